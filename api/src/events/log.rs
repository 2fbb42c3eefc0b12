//! The event log: every change appends one row, in the same transaction as the change.

use chrono::{DateTime, Utc};
use entity::event;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbBackend};
use uuid::Uuid;

use crate::auth::Viewer;
use crate::error::AppResult;
use crate::events::Change;
use crate::ids::{self, NodeKind};

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
/// Subscribers resume from an event ID (`events(after:)`), so IDs must become visible in
/// order. The write transaction holds the database's write lock from its start to its commit
/// (SQLite's single writer, a PostgreSQL advisory lock), so IDs are drawn and committed in the
/// same order. Taking the lock again here is free when it is already held and keeps the order
/// for a caller that forgot. On PostgreSQL the same statement queues a notification, sent on
/// commit, that wakes every server's event hub.
pub async fn record(tx: &impl ConnectionTrait, new: NewEvent) -> AppResult<event::Model> {
    if tx.get_database_backend() == DbBackend::Postgres {
        tx.execute_unprepared(&format!(
            "SELECT pg_advisory_xact_lock({}), pg_notify('{NOTIFY_CHANNEL}', '')",
            crate::db::WRITE_LOCK
        ))
        .await?;
    }
    let (kind, payload) = new.change.split();
    let row = event::ActiveModel {
        organization_id: Set(new.organization_id),
        actor_id: Set(new.actor_id),
        kind: Set(kind),
        subject_id: Set(ids::encode(new.subject.0, new.subject.1)),
        payload: Set(payload),
        created_at: Set(new.at),
        ..Default::default()
    };
    Ok(row.insert(tx).await?)
}
