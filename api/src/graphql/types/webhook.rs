use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{webhook, webhook_delivery};

use super::{Connection, Event, EventKind, Team, User, connection};
use crate::domain::webhooks;
use crate::graphql::ContextExt;
use crate::graphql::loaders::{self, TeamById, UserById};
use crate::ids::{self, NodeKind};
use crate::webhooks::outbox;

/// Where a webhook delivery stands.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::DeliveryStatus")]
pub enum DeliveryStatus {
    /// Waiting for its first attempt or for a retry (`nextAttemptAt`).
    Pending,
    /// The receiver answered 2xx.
    Succeeded,
    /// Every attempt of the retry schedule failed; `redeliverWebhookDelivery` sends it again.
    Failed,
}

pub struct Webhook(pub webhook::Model);

/// An HTTP(S) endpoint that receives, signed (Standard Webhooks), every event its scope may
/// read: an organization-wide webhook what an admin may read (a person's sign-in events
/// excepted), a team's webhook what a member of that team may read. Visible to admins and, for
/// a team's webhooks, to the team's leads.
#[Object]
impl Webhook {
    /// Opaque global ID; `node(id:)` resolves it.
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::Webhook, self.0.id).into()
    }
    /// Where messages are POSTed.
    async fn url(&self) -> &str {
        &self.0.url
    }
    /// What it is for, as its creator described it.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// The kinds it receives; empty for every kind its scope may read.
    async fn event_kinds(&self) -> Vec<EventKind> {
        outbox::kinds_of(&self.0).into_iter().map(EventKind::from).collect()
    }
    /// The team whose members' view it receives; null for an organization-wide webhook.
    async fn team(&self, ctx: &Context<'_>) -> Result<Option<Team>> {
        let Some(team_id) = self.0.team_id else { return Ok(None) };
        Ok(loaders::one(ctx, TeamById(team_id)).await?.map(Team))
    }
    /// Whether it receives events. Turned off by `updateWebhook`, or by the server after every
    /// delivery failed for 5 days (a WEBHOOK_DEACTIVATED event says so).
    async fn active(&self) -> bool {
        self.0.active
    }
    /// Since when every delivery has failed; null after a success.
    async fn failing_since(&self) -> Option<DateTime<Utc>> {
        self.0.failing_since
    }
    /// Until when the secret before the last rotation still signs beside the new one (each
    /// message then carries two signatures); null when no rotation overlaps.
    async fn previous_secret_expires_at(&self, ctx: &Context<'_>) -> Result<Option<DateTime<Utc>>> {
        let now = ctx.viewer()?.now();
        Ok(self.0.previous_secret_until.filter(|until| *until > now))
    }
    /// Who made it. The webhook belongs to the organization (or team), not to them: it keeps
    /// sending if they leave or lose their role, so review the list when people move on.
    async fn created_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Ok(loaders::one(ctx, UserById(self.0.created_by)).await?.map(User))
    }
    /// When it was made.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it was last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Its deliveries, newest first.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return: 20 when omitted; more than 100 returns 100.")] first: Option<i32>,
        #[graphql(desc = "Return the items after this cursor: the previous page's `endCursor`.")] after: Option<String>,
        #[graphql(desc = "Only deliveries in this state.")] status: Option<DeliveryStatus>,
    ) -> Result<Connection<WebhookDelivery>> {
        let page = ctx.page(first, after.as_deref())?;
        let found = webhooks::deliveries(ctx.db(), &self.0, status.map(Into::into), &page).await?;
        Ok(connection(found, WebhookDelivery))
    }
}

pub struct WebhookDelivery(pub webhook_delivery::Model);

/// One message to one webhook, with its attempts so far. A message keeps its `webhook-id`
/// (`messageId`) on every attempt and on a redelivery, so receivers can drop duplicates.
#[Object]
impl WebhookDelivery {
    /// Opaque global ID; `node(id:)` resolves it.
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::WebhookDelivery, self.0.id).into()
    }
    /// The webhook it goes to.
    async fn webhook(&self, ctx: &Context<'_>) -> Result<Option<Webhook>> {
        Ok(webhooks::get(ctx.db(), ctx.viewer()?, self.0.webhook_id).await?.map(Webhook))
    }
    /// The `webhook-id` header: `msg_…`.
    async fn message_id(&self) -> &str {
        &self.0.message_id
    }
    /// The kind of the event it carries; null for a ping (`type: "PING"`).
    async fn event_kind(&self) -> Option<EventKind> {
        serde_json::from_value::<entity::EventKind>(serde_json::Value::String(self.0.event_type.clone()))
            .ok()
            .map(EventKind::from)
    }
    /// The event it carries; null for a ping.
    async fn event(&self, ctx: &Context<'_>) -> Result<Option<Event>> {
        Ok(webhooks::event_of(ctx.db(), &self.0).await?.map(Event))
    }
    /// Where it stands.
    async fn status(&self) -> DeliveryStatus {
        self.0.status.into()
    }
    /// Attempts made so far.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// The HTTP status of the last answer; null before an attempt or when none came.
    async fn response_status(&self) -> Option<i32> {
        self.0.response_status
    }
    /// Why the last attempt failed (`HTTP 500: …`, `no answer within 10 seconds`, …).
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    /// When the next attempt is due; null once SUCCEEDED or FAILED.
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        self.0.next_attempt_at
    }
    /// When the message was made.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed (its last attempt).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A webhook and its signing secret (shown only here).
#[derive(SimpleObject)]
pub struct WebhookPayload {
    /// The webhook.
    pub webhook: Webhook,
    /// `whsec_…`: give it to the receiver to verify signatures with a Standard Webhooks
    /// library. Never shown again.
    pub secret: String,
}
