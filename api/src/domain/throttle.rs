//! Brute-force limits on credential checks. Failures are counted in the database, per account
//! and per client address, so the limit holds across every server: after `limit` failures in
//! `window`, further attempts on that key answer RATE_LIMITED (with `retryAfter` seconds) without
//! checking anything, even with the right credentials.

use std::future::Future;
use std::net::IpAddr;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use entity::auth_failure;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::clock;
use crate::error::{AppError, AppResult};

/// The credential checks that are limited.
#[derive(Debug, Clone, Copy)]
pub enum Check {
    Login,
    Refresh,
    AcceptInvitation,
}

impl Check {
    fn name(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Refresh => "refresh",
            Self::AcceptInvitation => "invitation",
        }
    }
}

/// The limit: at most `limit` failures per key in `window`.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub limit: u32,
    pub window: Duration,
}

/// Who is trying: the account named (for logins) and the client's address (over HTTP).
pub struct Attempt<'a> {
    pub check: Check,
    pub account: Option<&'a str>,
    pub address: Option<IpAddr>,
}

impl Attempt<'_> {
    fn account_key(&self) -> Option<String> {
        self.account.map(|a| format!("{}:account:{}", self.check.name(), a.trim().to_lowercase()))
    }

    fn keys(&self) -> Vec<String> {
        let address = self.address.map(|ip| format!("{}:address:{ip}", self.check.name()));
        self.account_key().into_iter().chain(address).collect()
    }
}

/// Runs `check` unless its keys are over the limit; records a failure when it fails.
pub async fn guard<T>(
    db: &DatabaseConnection,
    limits: Limits,
    attempt: Attempt<'_>,
    check: impl Future<Output = AppResult<T>>,
) -> AppResult<T> {
    let keys = attempt.keys();
    if keys.is_empty() {
        return check.await;
    }
    let now = clock::now();
    let window = clock::lifetime(limits.window);
    refuse_when_over(db, limits.limit, window, &keys, now).await?;
    let outcome = check.await;
    match &outcome {
        Ok(_) => {
            // Success clears the account's count; an address keeps its own.
            if let Some(account) = attempt.account_key() {
                auth_failure::Entity::delete_many().filter(auth_failure::Column::Key.eq(account)).exec(db).await?;
            }
        }
        Err(AppError::Unavailable | AppError::Internal(_) | AppError::RateLimited { .. }) => {}
        Err(_) => {
            let rows = keys.into_iter().map(|key| auth_failure::ActiveModel {
                id: Set(Uuid::now_v7()),
                key: Set(key),
                failed_at: Set(now),
            });
            auth_failure::Entity::insert_many(rows).exec(db).await?;
        }
    }
    outcome
}

async fn refuse_when_over(
    db: &DatabaseConnection,
    limit: u32,
    window: TimeDelta,
    keys: &[String],
    now: DateTime<Utc>,
) -> AppResult<()> {
    let counts: Vec<(String, i64, DateTime<Utc>)> = auth_failure::Entity::find()
        .select_only()
        .column(auth_failure::Column::Key)
        .column_as(Expr::col(auth_failure::Column::Id).count(), "failures")
        .column_as(Expr::col(auth_failure::Column::FailedAt).min(), "oldest")
        .filter(auth_failure::Column::Key.is_in(keys.iter().cloned()))
        .filter(auth_failure::Column::FailedAt.gt(now - window))
        .group_by(auth_failure::Column::Key)
        .into_tuple()
        .all(db)
        .await?;
    let wait = counts
        .iter()
        .filter(|(_, failures, _)| *failures >= i64::from(limit))
        .map(|(_, _, oldest)| Ord::max((*oldest + window - now).num_seconds(), 1))
        .max();
    match wait {
        Some(seconds) => Err(AppError::RateLimited { retry_after_secs: u64::try_from(seconds).unwrap_or(1) }),
        None => Ok(()),
    }
}

/// Forgets failures older than the window.
pub async fn forget_old(db: &DatabaseConnection, limits: Limits) -> AppResult<u64> {
    let before = clock::now() - clock::lifetime(limits.window);
    let deleted =
        auth_failure::Entity::delete_many().filter(auth_failure::Column::FailedAt.lt(before)).exec(db).await?;
    Ok(deleted.rows_affected)
}
