//! Announces what time alone changes, each once per object and date: an action coming near its
//! due date (`ACTION_DUE_SOON`) and passing it (`ACTION_OVERDUE`), a draft review's meeting
//! coming within a day (`REVIEW_DUE_SOON`) and passing (`REVIEW_LATE`), a review not published
//! in time (`PUBLISH_LATE`), and a published review's follow-up falling due (`FOLLOW_UP_DUE`).
//! Every server scans; a conditional update claims each announcement, so however many scan at
//! once, exactly one records it.

use std::time::Duration;

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use entity::{ActionStatus, FollowUpKind, ReviewStatus, action, follow_up, review, review_policy};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use std::sync::Arc;

use crate::clock::Clock;
use crate::db;
use crate::domain::policy::ReviewPolicy;
use crate::error::AppResult;
use crate::events::{self, ActionDueSoon, ActionOverdue, ActionState, Change, EventHub, NewEvent, ReviewDeadline};
use crate::ids::{GlobalId, NodeKind};

/// Announcements claimed per transaction.
const BATCH: u64 = 200;

/// What one scan announced.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Scan {
    pub overdue_actions: usize,
    pub follow_ups_due: usize,
    pub actions_due_soon: usize,
    pub review_deadlines: usize,
}

/// How long before a review meeting's deadline it is announced as near.
pub const REVIEW_DUE_SOON: TimeDelta = TimeDelta::hours(24);

/// The review deadlines the scanner announces.
#[derive(Debug, Clone, Copy)]
enum ReviewDeadlineKind {
    DueSoon,
    Late,
    PublishLate,
}

/// Scans every `every`, starting now, for as long as the server runs, and wakes the hub when
/// it announced something.
pub fn spawn(db: DatabaseConnection, hub: Arc<EventHub>, clock: Clock, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match scan(&db, &clock).await {
                Ok(scan) if scan != Scan::default() => {
                    tracing::info!(
                        overdue = scan.overdue_actions,
                        due_soon = scan.actions_due_soon,
                        review_deadlines = scan.review_deadlines,
                        follow_ups = scan.follow_ups_due,
                        "announced"
                    );
                    hub.poke();
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "the overdue scan failed; retrying at the next tick"),
            }
        }
    })
}

/// Announces everything due by `clock` and not yet announced.
pub async fn scan(db: &DatabaseConnection, clock: &Clock) -> AppResult<Scan> {
    let now = clock.now();
    let mut scan = Scan {
        actions_due_soon: drain(|| actions_due_soon(db, now)).await?,
        overdue_actions: drain(|| overdue_actions(db, now)).await?,
        ..Scan::default()
    };
    for kind in [ReviewDeadlineKind::DueSoon, ReviewDeadlineKind::Late, ReviewDeadlineKind::PublishLate] {
        scan.review_deadlines += drain(|| review_deadlines(db, kind, now)).await?;
    }
    for kind in [FollowUpKind::ShortTerm, FollowUpKind::LongTerm] {
        scan.follow_ups_due += drain(|| follow_ups_due(db, kind, now)).await?;
    }
    match crate::domain::accounts::expire_sign_ups(db, now).await {
        Ok(0) => {}
        Ok(expired) => tracing::info!(expired, "deleted sign-ups whose address was never confirmed"),
        // Announcements above stand; the sign-ups go at the next scan.
        Err(error) => tracing::warn!(%error, "cannot delete expired sign-ups"),
    }
    Ok(scan)
}

async fn overdue_actions(db: &DatabaseConnection, now: DateTime<Utc>) -> AppResult<usize> {
    let today = now.date_naive();
    let unannounced = Condition::all()
        .add(action::Column::Status.is_in([ActionStatus::Open, ActionStatus::InProgress]))
        .add(action::Column::DueDate.lt(today))
        .add(
            Condition::any()
                .add(action::Column::OverdueNoticeFor.is_null())
                .add(Expr::col(action::Column::OverdueNoticeFor).ne(Expr::col(action::Column::DueDate))),
        );
    let tx = db::begin_local(db).await?;
    let ids =
        candidates::<action::Entity>(&tx, action::Column::Id, action::Column::OrganizationId, unannounced.clone())
            .await?;
    if ids.is_empty() {
        return Ok(0);
    }
    // Re-checked row by row under the update's lock: a concurrent scanner's claim wins once.
    let claimed = action::Entity::update_many()
        .col_expr(action::Column::OverdueNoticeFor, Expr::col(action::Column::DueDate))
        .filter(action::Column::Id.is_in(ids))
        .filter(unannounced)
        .exec_with_returning(&tx)
        .await?;
    for action in &claimed {
        let days_overdue = (today - action.due_date).num_days();
        let overdue = ActionOverdue { action: ActionState::of(action), due_date: action.due_date, days_overdue };
        announce(&tx, action.organization_id, (NodeKind::Action, action.id), Change::ActionOverdue(overdue), now)
            .await?;
    }
    tx.commit().await?;
    Ok(claimed.len())
}

/// Claims batch after batch until one comes back short; answers how many were claimed in all.
async fn drain<F, Fut>(mut claim: F) -> AppResult<usize>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = AppResult<usize>>,
{
    let mut total = 0;
    loop {
        let claimed = claim().await?;
        total += claimed;
        if (claimed as u64) < BATCH {
            return Ok(total);
        }
    }
}

/// Live actions whose due date is within their organization's `action_due_soon_days`.
async fn actions_due_soon(db: &DatabaseConnection, now: DateTime<Utc>) -> AppResult<usize> {
    let today = now.date_naive();
    let tx = db::begin_local(db).await?;
    let unannounced = Condition::all()
        .add(action::Column::Status.is_in([ActionStatus::Open, ActionStatus::InProgress]))
        .add(action::Column::DueDate.gte(today))
        .add(within_windows(&tx, today).await?)
        .add(
            Condition::any()
                .add(action::Column::DueSoonNoticeFor.is_null())
                .add(Expr::col(action::Column::DueSoonNoticeFor).ne(Expr::col(action::Column::DueDate))),
        );
    let ids =
        candidates::<action::Entity>(&tx, action::Column::Id, action::Column::OrganizationId, unannounced.clone())
            .await?;
    if ids.is_empty() {
        return Ok(0);
    }
    let claimed = action::Entity::update_many()
        .col_expr(action::Column::DueSoonNoticeFor, Expr::col(action::Column::DueDate))
        .filter(action::Column::Id.is_in(ids))
        .filter(unannounced)
        .exec_with_returning(&tx)
        .await?;
    for action in &claimed {
        let days_left = (action.due_date - today).num_days();
        let soon = ActionDueSoon { action: ActionState::of(action), due_date: action.due_date, days_left };
        announce(&tx, action.organization_id, (NodeKind::Action, action.id), Change::ActionDueSoon(soon), now).await?;
    }
    tx.commit().await?;
    Ok(claimed.len())
}

/// Actions due within their organization's window, as SQL: organizations are grouped by the
/// window their policy sets (those without a policy of their own have the default).
async fn within_windows(tx: &DatabaseTransaction, today: NaiveDate) -> AppResult<Condition> {
    let default = ReviewPolicy::default().action_due_soon_days;
    let custom: Vec<(Uuid, i32)> = review_policy::Entity::find()
        .select_only()
        .columns([review_policy::Column::OrganizationId, review_policy::Column::ActionDueSoonDays])
        .filter(review_policy::Column::ActionDueSoonDays.ne(default))
        .into_tuple()
        .all(tx)
        .await?;
    let mut by_window: BTreeMap<i32, Vec<Uuid>> = BTreeMap::new();
    for (org_id, days) in &custom {
        by_window.entry(*days).or_default().push(*org_id);
    }
    let due_within = |days: i32| action::Column::DueDate.lte(today + TimeDelta::days(days.into()));
    let mut windows = Condition::any().add(
        Condition::all()
            .add(action::Column::OrganizationId.is_not_in(custom.iter().map(|(org_id, _)| *org_id)))
            .add(due_within(default)),
    );
    for (days, orgs) in by_window {
        windows = windows.add(Condition::all().add(action::Column::OrganizationId.is_in(orgs)).add(due_within(days)));
    }
    Ok(windows)
}

/// Reviews whose meeting is not held by its deadline (none scheduled in time, as
/// `reviews::is_late` judges) and the deadline is near or passed, or whose publication deadline
/// passed while unpublished.
async fn review_deadlines(db: &DatabaseConnection, kind: ReviewDeadlineKind, now: DateTime<Utc>) -> AppResult<usize> {
    let (deadline, notice) = match kind {
        ReviewDeadlineKind::DueSoon => (review::Column::DueAt, review::Column::DueSoonNoticeFor),
        ReviewDeadlineKind::Late => (review::Column::DueAt, review::Column::LateNoticeFor),
        ReviewDeadlineKind::PublishLate => (review::Column::PublishDueAt, review::Column::PublishLateNoticeFor),
    };
    let unpublished = review::Column::Status.ne(ReviewStatus::Published);
    let no_meeting_in_time = Condition::any()
        .add(review::Column::ScheduledFor.is_null())
        .add(Expr::col(review::Column::ScheduledFor).gt(Expr::col(review::Column::DueAt)));
    let state = match kind {
        ReviewDeadlineKind::DueSoon => Condition::all()
            .add(unpublished)
            .add(no_meeting_in_time)
            .add(deadline.gt(now))
            .add(deadline.lte(now + REVIEW_DUE_SOON)),
        ReviewDeadlineKind::Late => Condition::all().add(unpublished).add(no_meeting_in_time).add(deadline.lt(now)),
        ReviewDeadlineKind::PublishLate => Condition::all().add(unpublished).add(deadline.lt(now)),
    };
    let unannounced = state.add(Condition::any().add(notice.is_null()).add(Expr::col(notice).ne(Expr::col(deadline))));
    let tx = db::begin_local(db).await?;
    let ids =
        candidates::<review::Entity>(&tx, review::Column::Id, review::Column::OrganizationId, unannounced.clone())
            .await?;
    if ids.is_empty() {
        return Ok(0);
    }
    let claimed = review::Entity::update_many()
        .col_expr(notice, Expr::col(deadline))
        .filter(review::Column::Id.is_in(ids))
        .filter(unannounced)
        .exec_with_returning(&tx)
        .await?;
    for review in &claimed {
        let due_at = match kind {
            ReviewDeadlineKind::PublishLate => review.publish_due_at,
            _ => review.due_at,
        };
        let Some(due_at) = due_at else { continue };
        let deadline = ReviewDeadline { team_id: GlobalId::new(NodeKind::Team, review.team_id), due_at };
        let change = match kind {
            ReviewDeadlineKind::DueSoon => Change::ReviewDueSoon(deadline),
            ReviewDeadlineKind::Late => Change::ReviewLate(deadline),
            ReviewDeadlineKind::PublishLate => Change::PublishLate(deadline),
        };
        announce(&tx, review.organization_id, (NodeKind::Review, review.id), change, now).await?;
    }
    tx.commit().await?;
    Ok(claimed.len())
}

async fn follow_ups_due(db: &DatabaseConnection, kind: FollowUpKind, now: DateTime<Utc>) -> AppResult<usize> {
    let (due_at, notice) = match kind {
        FollowUpKind::ShortTerm => (review::Column::FollowUpAt, review::Column::FollowUpNoticeFor),
        FollowUpKind::LongTerm => (review::Column::LongTermReviewAt, review::Column::LongTermNoticeFor),
    };
    // An anti-join on the (review, kind) index (see `reviews::due_follow_ups`).
    let recorded = Query::select()
        .expr(Expr::cust("1"))
        .from(follow_up::Entity)
        .and_where(
            Expr::col((follow_up::Entity, follow_up::Column::ReviewId)).equals((review::Entity, review::Column::Id)),
        )
        .and_where(Expr::col((follow_up::Entity, follow_up::Column::Kind)).eq(kind))
        .to_owned();
    let unannounced = Condition::all()
        .add(review::Column::Status.eq(ReviewStatus::Published))
        .add(due_at.lte(now))
        .add(Expr::exists(recorded).not())
        .add(Condition::any().add(notice.is_null()).add(Expr::col(notice).ne(Expr::col(due_at))));
    let tx = db::begin_local(db).await?;
    let ids =
        candidates::<review::Entity>(&tx, review::Column::Id, review::Column::OrganizationId, unannounced.clone())
            .await?;
    if ids.is_empty() {
        return Ok(0);
    }
    let claimed = review::Entity::update_many()
        .col_expr(notice, Expr::col(due_at))
        .filter(review::Column::Id.is_in(ids))
        .filter(unannounced)
        .exec_with_returning(&tx)
        .await?;
    for review in &claimed {
        let due = Change::FollowUpDue {
            kind,
            team_id: GlobalId::new(NodeKind::Team, review.team_id),
            due_at: if kind == FollowUpKind::ShortTerm { review.follow_up_at } else { review.long_term_review_at },
        };
        announce(&tx, review.organization_id, (NodeKind::Review, review.id), due, now).await?;
    }
    tx.commit().await?;
    Ok(claimed.len())
}

/// The IDs of a batch of rows to claim, after taking the write locks of their organizations:
/// the transaction is begun with `db::begin_local` and has written nothing yet.
async fn candidates<E: EntityTrait>(
    tx: &DatabaseTransaction,
    id: E::Column,
    organization_id: E::Column,
    condition: Condition,
) -> AppResult<Vec<Uuid>> {
    let select = E::find().select_only().columns([id, organization_id]);
    let found: Vec<(Uuid, Uuid)> = select.filter(condition).limit(BATCH).into_tuple().all(tx).await?;
    db::lock_organizations(tx, found.iter().map(|(_, org_id)| *org_id)).await?;
    Ok(found.into_iter().map(|(id, _)| id).collect())
}

async fn announce(
    tx: &DatabaseTransaction,
    organization_id: Uuid,
    subject: (NodeKind, Uuid),
    change: Change,
    at: DateTime<Utc>,
) -> AppResult<()> {
    events::record(tx, NewEvent { organization_id, actor_id: None, subject, change, at }).await?;
    Ok(())
}
