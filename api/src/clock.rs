//! The server's clock. Every timestamp of the product (when something happened, what is due,
//! late or expired) is read from a [`Clock`], in UTC, at microsecond precision: what PostgreSQL
//! stores, and a fixed-width text form on SQLite, so both compare the same way.
//!
//! The application state holds one clock and every request's viewer a handle to it. It runs
//! with the system's time; tests and the demo move it forward or back to let time pass (an
//! action falls overdue, an invitation expires) instead of rewriting rows.
//!
//! Guards that measure real elapsed time to protect the server keep the system's time: the
//! lifetimes of signed access tokens (checked by the token library), connection timers and the
//! brute-force windows ([`system_now`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, DurationRound, NaiveDate, TimeDelta, Utc};

/// A handle to a clock; clones share it, so moving one moves them all.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// How far this clock runs ahead of the system's (negative: behind), in microseconds.
    ahead: Arc<AtomicI64>,
}

impl Clock {
    /// A clock that tells the system's time until it is moved.
    pub fn system() -> Self {
        Self::default()
    }

    pub fn now(&self) -> DateTime<Utc> {
        system_now() + TimeDelta::microseconds(self.ahead.load(Ordering::Relaxed))
    }

    /// Today's date in UTC: what due dates are compared with.
    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }

    /// Lets `by` pass (or go back, when negative) for this clock and every handle to it.
    pub fn advance(&self, by: TimeDelta) {
        self.ahead.fetch_add(by.num_microseconds().unwrap_or(i64::MAX), Ordering::Relaxed);
    }

    /// Gives this clock (and every handle to it) back to the system's time.
    pub fn reset(&self) {
        self.ahead.store(0, Ordering::Relaxed);
    }

    /// Sets this clock (and every handle to it) to `at`, from where it runs on.
    pub fn set(&self, at: DateTime<Utc>) {
        let ahead = (at - system_now()).num_microseconds().unwrap_or(i64::MAX);
        self.ahead.store(ahead, Ordering::Relaxed);
    }
}

/// The system's time, for guards that measure real elapsed time (see the module's notes).
pub fn system_now() -> DateTime<Utc> {
    let now = Utc::now();
    now.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(now)
}

/// Converts a configured lifetime to a chrono duration (saturating at a century).
pub fn lifetime(duration: std::time::Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::days(36_500))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_share_the_time_they_are_moved_to() {
        let clock = Clock::system();
        let handle = clock.clone();
        clock.advance(TimeDelta::days(3));
        let ahead = handle.now() - system_now();
        assert!(ahead > TimeDelta::days(3) - TimeDelta::seconds(5) && ahead <= TimeDelta::days(3));
        let past = system_now() - TimeDelta::days(10);
        handle.set(past);
        assert!((clock.now() - past).abs() < TimeDelta::seconds(5));
        assert_eq!(clock.now().timestamp_subsec_nanos() % 1_000, 0, "microsecond precision");
    }
}
