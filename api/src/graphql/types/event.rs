use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use entity::event;

use super::{EventKind, Json, User};
use crate::events;
use crate::graphql::loaders::{self, UserById};
use crate::ids;

pub struct Event(pub event::Model);

/// One entry of the append-only log of changes.
#[Object]
impl Event {
    /// The event's place in its organization's log, ordered as the log: a later event has a
    /// later ID, and `events(after:)` resumes from it.
    async fn id(&self) -> ID {
        ids::encode_event(self.0.sequence).into()
    }
    /// What the event records; its subject and payload keys are listed with each kind.
    async fn kind(&self) -> Option<EventKind> {
        Some(self.0.kind.into())
    }
    /// Who made the change; null for what time alone changes (ACTION_OVERDUE, FOLLOW_UP_DUE).
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(actor) = self.0.actor_id else { return Ok(None) };
        Ok(loaders::one(ctx, UserById(actor)).await?.map(User))
    }
    /// The global ID of the object changed.
    async fn subject_id(&self) -> ID {
        self.0.subject_id.clone().into()
    }
    /// What changed, as recorded: IDs, states, dates and counts (keys in camelCase, listed with
    /// each `EventKind`).
    async fn payload(&self) -> Json {
        Json(events::public_payload(&self.0))
    }
    /// When it happened.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
