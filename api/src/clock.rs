//! The server's clock. Every timestamp is set here, in UTC, at microsecond precision: what
//! PostgreSQL stores, and a fixed-width text form on SQLite, so both compare the same way.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

pub fn now() -> DateTime<Utc> {
    let now = Utc::now();
    now.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(now)
}

/// Converts a configured lifetime to a chrono duration (saturating at a century).
pub fn lifetime(duration: std::time::Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::days(36_500))
}
