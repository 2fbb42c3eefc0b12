//! Announces what time alone changes: an action passing its due date (`ACTION_OVERDUE`, once per
//! action and due date) and a published review's follow-up falling due (`FOLLOW_UP_DUE`, once per
//! date). Every server scans; a conditional update claims each announcement, so however many
//! scan at once, exactly one records it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::{ActionStatus, FollowUpKind, ReviewStatus, action, follow_up, review};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use std::sync::Arc;

use crate::clock::Clock;
use crate::db;
use crate::error::AppResult;
use crate::events::{self, ActionOverdue, ActionState, Change, EventHub, NewEvent};
use crate::ids::{GlobalId, NodeKind};

/// Announcements claimed per transaction.
const BATCH: u64 = 200;

/// What one scan announced.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Scan {
    pub overdue_actions: usize,
    pub follow_ups_due: usize,
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
                    tracing::info!(overdue = scan.overdue_actions, follow_ups = scan.follow_ups_due, "announced");
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
    let mut scan = Scan::default();
    loop {
        let claimed = overdue_actions(db, now).await?;
        scan.overdue_actions += claimed;
        if (claimed as u64) < BATCH {
            break;
        }
    }
    for kind in [FollowUpKind::ShortTerm, FollowUpKind::LongTerm] {
        loop {
            let claimed = follow_ups_due(db, kind, now).await?;
            scan.follow_ups_due += claimed;
            if (claimed as u64) < BATCH {
                break;
            }
        }
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
    let tx = db::begin_write(db).await?;
    let ids =
        candidates(&tx, action::Entity::find().select_only().column(action::Column::Id), unannounced.clone()).await?;
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

async fn follow_ups_due(db: &DatabaseConnection, kind: FollowUpKind, now: DateTime<Utc>) -> AppResult<usize> {
    let (due_at, notice) = match kind {
        FollowUpKind::ShortTerm => (review::Column::FollowUpAt, review::Column::FollowUpNoticeFor),
        FollowUpKind::LongTerm => (review::Column::LongTermReviewAt, review::Column::LongTermNoticeFor),
    };
    let recorded = Query::select()
        .column(follow_up::Column::ReviewId)
        .from(follow_up::Entity)
        .and_where(follow_up::Column::Kind.eq(kind))
        .to_owned();
    let unannounced = Condition::all()
        .add(review::Column::Status.eq(ReviewStatus::Published))
        .add(due_at.lte(now))
        .add(review::Column::Id.not_in_subquery(recorded))
        .add(Condition::any().add(notice.is_null()).add(Expr::col(notice).ne(Expr::col(due_at))));
    let tx = db::begin_write(db).await?;
    let ids =
        candidates(&tx, review::Entity::find().select_only().column(review::Column::Id), unannounced.clone()).await?;
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

async fn candidates<E: EntityTrait>(
    tx: &DatabaseTransaction,
    select: sea_orm::Select<E>,
    condition: Condition,
) -> AppResult<Vec<Uuid>> {
    Ok(select.filter(condition).limit(BATCH).into_tuple().all(tx).await?)
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
