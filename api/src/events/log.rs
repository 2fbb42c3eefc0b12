//! The event log: every change appends one row, in the same transaction as the change.

use chrono::{DateTime, Utc};
use entity::{event, organization};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect,
    Statement,
};
use uuid::Uuid;

use crate::auth::Viewer;
use crate::error::AppResult;
use crate::events::Change;
use crate::ids::{self, EventPosition, NodeKind};

/// The PostgreSQL channel on which commits of new events are announced.
pub const NOTIFY_CHANNEL: &str = "hindsight_events";

/// Whether the viewer may see an event whose subject they may read: events about someone's
/// sign-in are theirs and the admins' only.
pub fn personal_event_visible(viewer: &Viewer, event: &event::Model) -> bool {
    !event.kind.is_personal() || viewer.is_admin() || event.subject_id == ids::encode(NodeKind::User, viewer.user_id)
}

/// An event's payload as clients see it (`Event.payload`, webhook messages): the fields of its
/// kind, nothing else a row may hold.
pub fn public_payload(event: &event::Model) -> serde_json::Value {
    Change::read(event.kind, &event.payload).map_or_else(|| serde_json::json!({}), |change| change.payload())
}

/// One change to record: what happened to which object, by whom. The change holds IDs,
/// states and dates, never the text written (see `Change`).
pub struct NewEvent {
    pub organization_id: Uuid,
    pub actor_id: Option<Uuid>,
    pub subject: (NodeKind, Uuid),
    pub change: Change,
    /// When it happened, by the application's clock.
    pub at: DateTime<Utc>,
}

/// Records a change the viewer made to `subject`.
pub async fn record_change(
    tx: &impl ConnectionTrait,
    viewer: &Viewer,
    subject: (NodeKind, Uuid),
    change: Change,
) -> AppResult<()> {
    let new =
        NewEvent { organization_id: viewer.org_id, actor_id: Some(viewer.user_id), subject, change, at: viewer.now() };
    record(tx, new).await?;
    Ok(())
}

/// Records something a person did to their own account without a viewer behind the request
/// (signing out with a refresh token, joining by invitation, resetting a password).
pub async fn record_own(
    tx: &impl ConnectionTrait,
    user: &entity::user::Model,
    change: Change,
    at: DateTime<Utc>,
) -> AppResult<()> {
    let subject = (NodeKind::User, user.id);
    record(tx, NewEvent { organization_id: user.organization_id, actor_id: Some(user.id), subject, change, at })
        .await?;
    Ok(())
}

/// Appends an event. Call it inside the write transaction (`db::begin_write`) that makes the
/// change.
///
/// Subscribers resume from an event's place in its organization's log (`events(after:)`), so an
/// organization's events must become visible in `sequence` order with no gap. The next number
/// comes from the organization's row (`event_sequence`), whose update holds that row until
/// commit: the organization's next writer waits for it, so numbers are drawn and committed in
/// the same order, and a writer that rolls back gives its numbers back. (The organization's
/// write lock, taken at `db::begin_write`, already queues those writers; the row keeps the order
/// for a caller that forgot.) On PostgreSQL the same statement queues a notification, sent on
/// commit and naming the organization, that wakes every server's event hub.
pub async fn record(tx: &impl ConnectionTrait, new: NewEvent) -> AppResult<event::Model> {
    let sequence = next_sequence(tx, new.organization_id).await?;
    let (kind, payload) = new.change.split();
    let row = event::ActiveModel {
        organization_id: Set(new.organization_id),
        sequence: Set(sequence),
        actor_id: Set(new.actor_id),
        kind: Set(kind),
        subject_id: Set(ids::encode(new.subject.0, new.subject.1)),
        payload: Set(payload),
        created_at: Set(new.at),
        ..Default::default()
    };
    Ok(row.insert(tx).await?)
}

/// The `sequence` an organization's log resumes after, from an event ID a subscriber holds.
pub async fn resume_after(db: &impl ConnectionTrait, org_id: Uuid, position: EventPosition) -> AppResult<i64> {
    match position {
        EventPosition::Sequence(sequence) => Ok(sequence),
        // The organization's last event at or before that place of the shared numbering.
        EventPosition::Shared(id) => {
            let last: Option<Option<i64>> = event::Entity::find()
                .select_only()
                .expr(Expr::col(event::Column::Sequence).max())
                .filter(event::Column::OrganizationId.eq(org_id))
                .filter(event::Column::Id.lte(id))
                .into_tuple()
                .one(db)
                .await?;
            Ok(last.flatten().unwrap_or(0))
        }
    }
}

/// Draws the organization's next event number (and, on PostgreSQL, queues the notification).
async fn next_sequence(tx: &impl ConnectionTrait, org_id: Uuid) -> AppResult<i64> {
    let backend = tx.get_database_backend();
    let statement = match backend {
        DbBackend::Postgres => Statement::from_sql_and_values(
            backend,
            format!(
                "WITH next AS (UPDATE organization SET event_sequence = event_sequence + 1 WHERE id = $1 \
                 RETURNING event_sequence) \
                 SELECT next.event_sequence FROM next, LATERAL (SELECT pg_notify('{NOTIFY_CHANNEL}', $2)) AS notified"
            ),
            [org_id.into(), org_id.to_string().into()],
        ),
        _ => Statement::from_sql_and_values(
            backend,
            "UPDATE organization SET event_sequence = event_sequence + 1 WHERE id = ? RETURNING event_sequence",
            [org_id.into()],
        ),
    };
    let row = tx.query_one_raw(statement).await?.ok_or_else(|| {
        crate::error::AppError::internal(anyhow::anyhow!("no organization {org_id} to log an event for"))
    })?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

/// The `sequence` of an organization's newest committed event (0 for none): inside a transaction
/// holding the organization's write lock, the last event there will be before this one's.
pub async fn log_end(db: &impl ConnectionTrait, org_id: Uuid) -> AppResult<i64> {
    let end = organization::Entity::find_by_id(org_id)
        .select_only()
        .column(organization::Column::EventSequence)
        .into_tuple::<i64>()
        .one(db)
        .await?;
    Ok(end.unwrap_or(0))
}
