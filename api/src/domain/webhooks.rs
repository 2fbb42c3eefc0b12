//! Webhooks as people manage them: an admin makes organization-wide webhooks, a team's lead
//! makes webhooks scoped to that team. What a webhook receives is decided when each event is
//! delivered (see `webhooks::outbox`), by the rules subscriptions follow.

use chrono::TimeDelta;
use entity::{DeliveryStatus, EventKind, event, webhook, webhook_delivery};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    Order, PaginatorTrait, QueryFilter,
};
use uuid::Uuid;

use crate::auth::Viewer;
use crate::db;
use crate::domain::access::TeamRoles;
use crate::domain::pagination::{Page, PageRequest, paginate};
use crate::domain::{teams, validate};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::webhooks::{Webhooks, outbox, safety, secrets};

/// How long a rotated secret keeps signing beside its successor.
pub const ROTATION_OVERLAP: TimeDelta = TimeDelta::hours(24);

/// A new webhook; no event kinds means every kind its scope may read.
pub struct NewWebhook {
    pub url: String,
    pub description: Option<String>,
    pub event_kinds: Vec<EventKind>,
    pub team_id: Option<Uuid>,
}

/// Changes to a webhook; `None` keeps a field.
#[derive(Default)]
pub struct WebhookChanges {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_kinds: Option<Vec<EventKind>>,
    pub active: Option<bool>,
}

/// A webhook with its signing secret, which is shown this once.
pub struct WithSecret {
    pub webhook: webhook::Model,
    pub secret: String,
}

/// Whether the viewer manages webhooks of this scope: admins every one, a lead their team's.
async fn manages(db: &impl ConnectionTrait, viewer: &Viewer, team_id: Option<Uuid>) -> AppResult<bool> {
    match team_id {
        Some(team_id) => teams::manages(db, viewer, team_id).await,
        None => Ok(viewer.is_admin()),
    }
}

/// A webhook the viewer manages; NOT_FOUND for any other (another team's, another
/// organization's), so that webhooks are not discovered by ID.
async fn managed(db: &impl ConnectionTrait, viewer: &Viewer, webhook_id: Uuid) -> AppResult<webhook::Model> {
    get(db, viewer, webhook_id).await?.ok_or(AppError::NotFound("webhook"))
}

pub async fn get(db: &impl ConnectionTrait, viewer: &Viewer, webhook_id: Uuid) -> AppResult<Option<webhook::Model>> {
    let found = webhook::Entity::find_by_id(webhook_id)
        .filter(webhook::Column::OrganizationId.eq(viewer.org_id))
        .one(db)
        .await?;
    match found {
        Some(webhook) if manages(db, viewer, webhook.team_id).await? => Ok(Some(webhook)),
        _ => Ok(None),
    }
}

/// The webhooks the viewer manages, oldest first: all of the organization's for an admin, their
/// teams' for a lead, none for anyone else.
pub async fn list(db: &impl ConnectionTrait, viewer: &Viewer, page: &PageRequest) -> AppResult<Page<webhook::Model>> {
    let mut select = webhook::Entity::find().filter(webhook::Column::OrganizationId.eq(viewer.org_id));
    if !viewer.is_admin() {
        let roles = TeamRoles::of(db, viewer).await?;
        let led: Vec<Uuid> = roles.led_teams().collect();
        select = select.filter(webhook::Column::TeamId.is_in(led));
    }
    paginate(db, select, webhook::Column::Id, Order::Asc, |w| w.id.to_string(), page).await
}

fn check_kinds(kinds: &[EventKind]) -> AppResult<serde_json::Value> {
    validate::at_most("eventKinds", kinds, validate::limits::LIST_ARGUMENT)?;
    validate::each("eventKinds", kinds, |kind| {
        if kind.is_personal() {
            Err(AppError::invalid("eventKinds", "a person's sign-in events are never sent to webhooks"))
        } else {
            Ok(*kind)
        }
    })?;
    let mut kinds: Vec<EventKind> = kinds.to_vec();
    kinds.sort_by_key(sea_orm::ActiveEnum::to_value);
    kinds.dedup();
    Ok(serde_json::to_value(kinds).expect("event kinds serialize"))
}

pub async fn create(
    db: &DatabaseConnection,
    webhooks: &Webhooks,
    viewer: &Viewer,
    input: NewWebhook,
) -> AppResult<WithSecret> {
    viewer.require_session()?;
    if let Some(team_id) = input.team_id {
        teams::find_in_org(db, viewer.org_id, team_id).await.map_err(AppError::in_input)?;
    }
    if !manages(db, viewer, input.team_id).await? {
        return Err(AppError::forbidden(match input.team_id {
            Some(_) => "only the team's leads and admins make webhooks for a team",
            None => "only an admin makes organization-wide webhooks; a lead may make one for their team",
        }));
    }
    let (url, description, event_kinds) = validate::all((
        safety::check_url("url", &input.url, webhooks.allow_private).await,
        validate::optional_text("description", input.description.as_deref(), validate::limits::TEXT),
        check_kinds(&input.event_kinds),
    ))
    .map_err(AppError::in_input)?;
    let secret = secrets::generate();
    let tx = db::begin_write(db, viewer.org_id).await?;
    let existing = webhook::Entity::find().filter(webhook::Column::OrganizationId.eq(viewer.org_id));
    if existing.count(&tx).await? >= validate::limits::WEBHOOKS as u64 {
        return Err(AppError::bad_input(format!(
            "an organization holds at most {} webhooks; delete one first",
            validate::limits::WEBHOOKS
        )));
    }
    let now = viewer.now();
    let webhook = webhook::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(viewer.org_id),
        team_id: Set(input.team_id),
        url: Set(url),
        description: Set(description),
        event_kinds: Set(event_kinds),
        active: Set(true),
        secret: Set(webhooks.secrets.seal(&secret)),
        previous_secret: Set(None),
        previous_secret_until: Set(None),
        cursor: Set(crate::events::log_end(&tx, viewer.org_id).await?),
        failing_since: Set(None),
        created_by: Set(viewer.user_id),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&tx)
    .await?;
    tx.commit().await?;
    Ok(WithSecret { webhook, secret })
}

/// Changes a webhook. Turning it back on starts it after the newest event (what happened while
/// it was off is not sent; its deliveries still waiting are).
pub async fn update(
    db: &DatabaseConnection,
    webhooks: &Webhooks,
    viewer: &Viewer,
    webhook_id: Uuid,
    changes: WebhookChanges,
) -> AppResult<webhook::Model> {
    viewer.require_write()?;
    let found = managed(db, viewer, webhook_id).await?;
    let (url, description, event_kinds) = validate::all((
        match changes.url.as_deref() {
            Some(url) => safety::check_url("url", url, webhooks.allow_private).await.map(Some),
            None => Ok(None),
        },
        changes
            .description
            .as_deref()
            .map(|text| validate::optional_text("description", Some(text), validate::limits::TEXT))
            .transpose(),
        changes.event_kinds.as_deref().map(check_kinds).transpose(),
    ))
    .map_err(AppError::in_input)?;
    let tx = db::begin_write(db, viewer.org_id).await?;
    let reactivated = changes.active == Some(true) && !found.active;
    let mut active = found.into_active_model();
    if let Some(url) = url {
        active.url = Set(url);
    }
    if let Some(description) = description {
        active.description = Set(description);
    }
    if let Some(kinds) = event_kinds {
        active.event_kinds = Set(kinds);
    }
    if let Some(on) = changes.active {
        active.active = Set(on);
    }
    if reactivated {
        active.cursor = Set(crate::events::log_end(&tx, viewer.org_id).await?);
        active.failing_since = Set(None);
    }
    active.updated_at = Set(viewer.now());
    let webhook = active.update(&tx).await?;
    tx.commit().await?;
    Ok(webhook)
}

/// Deletes a webhook with its deliveries; answers its ID.
pub async fn delete(db: &DatabaseConnection, viewer: &Viewer, webhook_id: Uuid) -> AppResult<Uuid> {
    viewer.require_write()?;
    let webhook = managed(db, viewer, webhook_id).await?;
    let tx = db::begin_write(db, viewer.org_id).await?;
    webhook_delivery::Entity::delete_many()
        .filter(webhook_delivery::Column::WebhookId.eq(webhook.id))
        .exec(&tx)
        .await?;
    webhook::Entity::delete_by_id(webhook.id).exec(&tx).await?;
    tx.commit().await?;
    Ok(webhook.id)
}

/// A new signing secret, shown once; the old one keeps signing beside it for
/// `ROTATION_OVERLAP`, so receivers can switch without losing a message.
pub async fn rotate_secret(
    db: &DatabaseConnection,
    webhooks: &Webhooks,
    viewer: &Viewer,
    webhook_id: Uuid,
) -> AppResult<WithSecret> {
    viewer.require_session()?;
    let found = managed(db, viewer, webhook_id).await?;
    let secret = secrets::generate();
    let tx = db::begin_write(db, viewer.org_id).await?;
    let now = viewer.now();
    let previous = found.secret.clone();
    let mut active = found.into_active_model();
    active.secret = Set(webhooks.secrets.seal(&secret));
    active.previous_secret = Set(Some(previous));
    active.previous_secret_until = Set(Some(now + ROTATION_OVERLAP));
    active.updated_at = Set(now);
    let webhook = active.update(&tx).await?;
    tx.commit().await?;
    Ok(WithSecret { webhook, secret })
}

/// Sends a `PING` message now and answers the delivery after its first attempt.
pub async fn ping(state: &AppState, viewer: &Viewer, webhook_id: Uuid) -> AppResult<webhook_delivery::Model> {
    viewer.require_write()?;
    let webhook = managed(&state.db, viewer, webhook_id).await?;
    ensure_active(&webhook)?;
    let data = serde_json::json!({ "webhookId": crate::ids::encode(crate::ids::NodeKind::Webhook, webhook.id) });
    let now = viewer.now();
    let message = outbox::new_message(&webhook, None, outbox::PING, now, data, now);
    send_now(state, message).await
}

/// Sends a delivery's message again, as a new delivery with the same `webhook-id` and body, and
/// answers it after its first attempt.
pub async fn redeliver(state: &AppState, viewer: &Viewer, delivery_id: Uuid) -> AppResult<webhook_delivery::Model> {
    viewer.require_write()?;
    let original = get_delivery(&state.db, viewer, delivery_id).await?.ok_or(AppError::NotFound("webhook delivery"))?;
    let webhook = managed(&state.db, viewer, original.webhook_id).await?;
    ensure_active(&webhook)?;
    let now = viewer.now();
    let mut message =
        outbox::new_message(&webhook, original.event_id, &original.event_type, now, serde_json::Value::Null, now);
    message.message_id = Set(original.message_id);
    message.body = Set(original.body);
    send_now(state, message).await
}

fn ensure_active(webhook: &webhook::Model) -> AppResult<()> {
    if webhook.active {
        Ok(())
    } else {
        Err(AppError::InvalidState(
            "the webhook is inactive; turn it on (`updateWebhook` with `active: true`) first".into(),
        ))
    }
}

/// Stores a message held by this server and attempts it at once; retries follow the schedule.
async fn send_now(state: &AppState, mut message: webhook_delivery::ActiveModel) -> AppResult<webhook_delivery::Model> {
    message.locked_until = Set(Some(state.clock.now() + outbox::LEASE));
    let tx = db::begin_local(&state.db).await?;
    let delivery = message.insert(&tx).await?;
    tx.commit().await?;
    outbox::attempt(state, delivery).await
}

/// A delivery of a webhook the viewer manages.
pub async fn get_delivery(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    delivery_id: Uuid,
) -> AppResult<Option<webhook_delivery::Model>> {
    let Some(delivery) = webhook_delivery::Entity::find_by_id(delivery_id)
        .filter(webhook_delivery::Column::OrganizationId.eq(viewer.org_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(get(db, viewer, delivery.webhook_id).await?.map(|_| delivery))
}

/// A webhook's deliveries, newest first, optionally of one status.
pub async fn deliveries(
    db: &impl ConnectionTrait,
    webhook: &webhook::Model,
    status: Option<DeliveryStatus>,
    page: &PageRequest,
) -> AppResult<Page<webhook_delivery::Model>> {
    let mut select = webhook_delivery::Entity::find().filter(webhook_delivery::Column::WebhookId.eq(webhook.id));
    if let Some(status) = status {
        select = select.filter(webhook_delivery::Column::Status.eq(status));
    }
    paginate(db, select, webhook_delivery::Column::Id, Order::Desc, |d| d.id.to_string(), page).await
}

/// The logged event a delivery carries.
pub async fn event_of(
    db: &impl ConnectionTrait,
    delivery: &webhook_delivery::Model,
) -> AppResult<Option<event::Model>> {
    let Some(event_id) = delivery.event_id else { return Ok(None) };
    Ok(event::Entity::find_by_id(event_id)
        .filter(event::Column::OrganizationId.eq(delivery.organization_id))
        .one(db)
        .await?)
}
