use async_graphql::{Context, ID, InputObject, Object, Result};

use crate::domain::webhooks::{self, NewWebhook, WebhookChanges, WithSecret};
use crate::error::AppError;
use crate::graphql::ContextExt;
use crate::graphql::types::{EventKind, Webhook, WebhookDelivery, WebhookPayload};
use crate::ids::{self, NodeKind};

/// A new webhook.
#[derive(InputObject)]
pub struct CreateWebhookInput {
    /// Where to POST messages: http(s), at most 2,000 characters, resolving to public addresses
    /// only (unless the server runs with `--webhook-allow-private`).
    pub url: String,
    /// What it is for: at most 2,000 characters.
    pub description: Option<String>,
    /// The kinds to receive; every kind its scope may read when omitted or empty.
    pub event_kinds: Option<Vec<EventKind>>,
    /// A team the viewer leads: the webhook receives what a member of that team may read.
    /// Organization-wide (admins only) when omitted.
    pub team_id: Option<ID>,
}

/// Omitted fields stay as they are.
#[derive(InputObject)]
pub struct UpdateWebhookInput {
    /// Where to POST messages (checked as at creation).
    pub url: Option<String>,
    /// What it is for; empty clears it.
    pub description: Option<String>,
    /// The kinds to receive; empty for every kind.
    pub event_kinds: Option<Vec<EventKind>>,
    /// Off stops deliveries (waiting ones keep waiting); on again starts after the newest event.
    pub active: Option<bool>,
}

fn webhook_id(id: &ID) -> Result<uuid::Uuid> {
    Ok(ids::decode(id, NodeKind::Webhook, "id")?)
}

fn with_secret(made: WithSecret) -> WebhookPayload {
    WebhookPayload { webhook: Webhook(made.webhook), secret: made.secret }
}

#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Makes a webhook and answers its signing secret, shown this once. Organization-wide:
    /// admins; for a team: its leads and admins (FORBIDDEN otherwise). A signed-in person only
    /// (API tokens: FORBIDDEN). A URL that is not http(s) or resolves to an internal address is
    /// BAD_USER_INPUT. It receives events logged from now on.
    async fn create_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The webhook.")] input: CreateWebhookInput,
    ) -> Result<WebhookPayload> {
        let team_id = input
            .team_id
            .map(|team| ids::decode(&team, NodeKind::Team, "teamId"))
            .transpose()
            .map_err(AppError::in_input)?;
        let new = NewWebhook {
            url: input.url,
            description: input.description,
            event_kinds: input.event_kinds.unwrap_or_default().into_iter().map(Into::into).collect(),
            team_id,
        };
        let state = ctx.state();
        Ok(with_secret(webhooks::create(&state.db, &state.webhooks, ctx.viewer()?, new).await?))
    }

    /// Changes a webhook the viewer manages (NOT_FOUND otherwise).
    async fn update_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The webhook.")] id: ID,
        #[graphql(desc = "The changes.")] input: UpdateWebhookInput,
    ) -> Result<Webhook> {
        let changes = WebhookChanges {
            url: input.url,
            description: input.description,
            event_kinds: input.event_kinds.map(|kinds| kinds.into_iter().map(Into::into).collect()),
            active: input.active,
        };
        let state = ctx.state();
        Ok(Webhook(webhooks::update(&state.db, &state.webhooks, ctx.viewer()?, webhook_id(&id)?, changes).await?))
    }

    /// Deletes a webhook the viewer manages, with its deliveries; answers its ID.
    async fn delete_webhook(&self, ctx: &Context<'_>, #[graphql(desc = "The webhook.")] id: ID) -> Result<ID> {
        let deleted = webhooks::delete(ctx.db(), ctx.viewer()?, webhook_id(&id)?).await?;
        Ok(ids::encode(NodeKind::Webhook, deleted).into())
    }

    /// A new signing secret, shown this once; the old one keeps signing beside it for 24 hours
    /// (messages carry both signatures meanwhile). A signed-in person only.
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The webhook.")] id: ID,
    ) -> Result<WebhookPayload> {
        let state = ctx.state();
        Ok(with_secret(webhooks::rotate_secret(&state.db, &state.webhooks, ctx.viewer()?, webhook_id(&id)?).await?))
    }

    /// Sends a `PING` message (`data: { webhookId }`) now and answers the delivery after its
    /// first attempt (SUCCEEDED, or PENDING with `lastError` and the retry's time). An inactive
    /// webhook is INVALID_STATE.
    async fn ping_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The webhook.")] id: ID,
    ) -> Result<WebhookDelivery> {
        Ok(WebhookDelivery(webhooks::ping(ctx.state(), ctx.viewer()?, webhook_id(&id)?).await?))
    }

    /// Sends a delivery's message again (same `webhook-id` and body) as a new delivery, and
    /// answers it after its first attempt.
    async fn redeliver_webhook_delivery(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The delivery to send again.")] id: ID,
    ) -> Result<WebhookDelivery> {
        let delivery_id = ids::decode(&id, NodeKind::WebhookDelivery, "id")?;
        Ok(WebhookDelivery(webhooks::redeliver(ctx.state(), ctx.viewer()?, delivery_id).await?))
    }
}
