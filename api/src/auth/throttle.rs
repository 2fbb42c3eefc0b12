//! Brute-force limits on credential checks. Attempts are counted in the database, per account and
//! per client address, so the limits hold across every server: once a key has used up its limit
//! within the window, further attempts on it answer RATE_LIMITED (with `retryAfter` seconds)
//! without checking anything, even with the right credentials.
//!
//! An attempt is recorded before its check runs and counted with every attempt recorded before
//! it, so concurrent guesses cannot all slip past the count: of any number sent at once, at most
//! the limit are checked. A successful check takes its attempt back (and clears the account's
//! count); a failed one stays as the failure it was. Sign-ups, which cost a password hash each
//! whatever their outcome, always count.
//!
//! An account has a low limit (`--auth-failure-limit`); an address, which a whole office may
//! share behind one NAT, has its own higher one (`--auth-failure-address-limit`). IPv6 clients
//! are counted by their /64 network, which one host usually holds whole.

use std::future::Future;
use std::net::IpAddr;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use entity::auth_failure;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::auth::secret;
use crate::clock;
use crate::error::{AppError, AppResult};

/// The credential checks that are limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    Login,
    Refresh,
    AcceptInvitation,
    SignUp,
    /// A signed-in person proving their password again (changing it, creating an API token).
    Reauthenticate,
    /// Asking for a password reset email: each sends mail, so each counts.
    PasswordReset,
    /// Spending an emailed one-time token (a password reset, an address confirmation).
    EmailedToken,
}

impl Check {
    /// Whether a success counts too (it still cost what a failure costs).
    fn success_counts(self) -> bool {
        matches!(self, Self::SignUp | Self::PasswordReset)
    }
}

/// At most `account` failures per account and `address` per client address in `window`.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub account: u32,
    pub address: u32,
    pub window: Duration,
}

/// Who is trying: the account named (for logins) and the client's address (over the network).
pub struct Attempt<'a> {
    pub check: Check,
    pub account: Option<&'a str>,
    pub address: Option<IpAddr>,
}

/// A key attempts are counted under, with its limit.
struct Key {
    key: String,
    limit: u32,
    account: bool,
}

impl Attempt<'_> {
    /// The keys attempts are counted under: one per account and one per network, whatever the
    /// check, so that guesses through one check do not get a fresh budget from another. Hashed:
    /// any account name fits the column, and the table holds neither emails nor addresses.
    fn keys(&self, limits: Limits) -> Vec<Key> {
        let account = self.account.map(|a| Key {
            key: format!("account:{}", secret::digest(&a.trim().to_lowercase())),
            limit: limits.account,
            account: true,
        });
        let address = self.address.map(|ip| Key {
            key: format!("address:{}", secret::digest(&network(ip))),
            limit: limits.address,
            account: false,
        });
        account.into_iter().chain(address).collect()
    }
}

/// The network an address is counted by: an IPv4 address itself, an IPv6 address's /64.
fn network(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// Records the attempt, refuses it when a key is over its limit, else runs `check`; takes the
/// attempt back when it succeeds (or could not be judged).
pub async fn guard<T>(
    db: &DatabaseConnection,
    limits: Limits,
    attempt: Attempt<'_>,
    check: impl Future<Output = AppResult<T>>,
) -> AppResult<T> {
    let keys = attempt.keys(limits);
    if keys.is_empty() {
        return check.await;
    }
    let now = clock::system_now();
    let window = clock::lifetime(limits.window);
    let recorded: Vec<Uuid> = keys.iter().map(|_| Uuid::now_v7()).collect();
    let rows = keys.iter().zip(&recorded).map(|(key, id)| auth_failure::ActiveModel {
        id: Set(*id),
        key: Set(key.key.clone()),
        failed_at: Set(now),
    });
    auth_failure::Entity::insert_many(rows).exec(db).await?;
    if let Err(refusal) = refuse_when_over(db, &keys, window, now).await {
        take_back(db, &recorded).await?;
        return Err(refusal);
    }
    let outcome = check.await;
    match &outcome {
        Ok(_) if attempt.check.success_counts() => {}
        Ok(_) => {
            // Success takes this attempt back and clears the account's count; an address keeps
            // the failures it had.
            let accounts = keys.iter().filter(|k| k.account).map(|k| k.key.clone());
            let forgotten = Condition::any()
                .add(auth_failure::Column::Id.is_in(recorded.iter().copied()))
                .add(auth_failure::Column::Key.is_in(accounts));
            auth_failure::Entity::delete_many().filter(forgotten).exec(db).await?;
        }
        Err(AppError::Unavailable | AppError::Internal(_) | AppError::RateLimited { .. } | AppError::Timeout) => {
            take_back(db, &recorded).await?;
        }
        Err(_) => {}
    }
    outcome
}

async fn take_back(db: &DatabaseConnection, recorded: &[Uuid]) -> AppResult<()> {
    auth_failure::Entity::delete_many()
        .filter(auth_failure::Column::Id.is_in(recorded.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}

/// RATE_LIMITED when any key holds more attempts in the window than its limit (this one
/// included), with how long until the oldest of them leaves the window.
async fn refuse_when_over(
    db: &DatabaseConnection,
    keys: &[Key],
    window: TimeDelta,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let counts: Vec<(String, i64, DateTime<Utc>)> = auth_failure::Entity::find()
        .select_only()
        .column(auth_failure::Column::Key)
        .column_as(Expr::col(auth_failure::Column::Id).count(), "attempts")
        .column_as(Expr::col(auth_failure::Column::FailedAt).min(), "oldest")
        .filter(auth_failure::Column::Key.is_in(keys.iter().map(|k| k.key.clone())))
        .filter(auth_failure::Column::FailedAt.gt(now - window))
        .group_by(auth_failure::Column::Key)
        .into_tuple()
        .all(db)
        .await?;
    let wait = counts
        .iter()
        .filter(|(key, attempts, _)| keys.iter().any(|k| &k.key == key && *attempts > i64::from(k.limit)))
        .map(|(_, _, oldest)| Ord::max((*oldest + window - now).num_seconds(), 1))
        .max();
    match wait {
        Some(seconds) => Err(AppError::RateLimited { retry_after_secs: u64::try_from(seconds).unwrap_or(1) }),
        None => Ok(()),
    }
}

/// Forgets, every minute for as long as the server runs, attempts that no longer count.
pub fn spawn_forgetting(db: DatabaseConnection, limits: Limits) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            ticks.tick().await;
            if let Err(error) = forget_old(&db, limits).await {
                tracing::warn!(%error, "cannot forget old failed sign-ins");
            }
        }
    })
}

/// Forgets attempts older than the window.
pub async fn forget_old(db: &DatabaseConnection, limits: Limits) -> AppResult<u64> {
    let before = clock::system_now() - clock::lifetime(limits.window);
    let deleted =
        auth_failure::Entity::delete_many().filter(auth_failure::Column::FailedAt.lt(before)).exec(db).await?;
    Ok(deleted.rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_counted_by_their_64_network() {
        let one: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let same_network: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(network(one), network(same_network));
        assert_ne!(network(one), network(other));
        assert_eq!(network("::ffff:192.0.2.7".parse().unwrap()), "192.0.2.7");
    }
}
