//! The outbox: events turned into messages per webhook (`feed`), messages claimed, posted and
//! their outcome recorded (`deliver_due`, `attempt`).

use chrono::{DateTime, TimeDelta, Utc};
use entity::{DeliveryStatus, EventKind, event, webhook, webhook_delivery};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;
use uuid::Uuid;

use crate::auth::{Credential, Viewer};
use crate::clock::{self, Clock};
use crate::db;
use crate::domain::history;
use crate::error::{AppError, AppResult};
use crate::events::{self, Change, NewEvent};
use crate::ids::{self, NodeKind};
use crate::state::AppState;
use crate::webhooks::{Webhooks, safety};

/// Events read per webhook per round.
const BATCH: u64 = 200;
/// Deliveries claimed at once by one server, and attempted together: a claim never waits
/// behind another of the same server, so its lease covers its one attempt.
const CONCURRENT_ATTEMPTS: u64 = 16;
/// How long a claimed delivery is this server's: well beyond the longest attempt (10 s).
pub const LEASE: TimeDelta = TimeDelta::seconds(60);
/// A webhook whose every delivery has failed for this long is deactivated.
pub const GIVE_UP_AFTER: TimeDelta = TimeDelta::days(5);
/// How much of a receiver's answer is read, for `lastError`.
const ANSWER_BYTES: usize = 1_024;
/// The type of the message `pingWebhook` sends.
pub const PING: &str = "PING";

/// One round: every webhook's new events become messages, then due messages are attempted.
pub async fn run_once(state: &AppState) -> AppResult<()> {
    feed(&state.db, &state.clock).await?;
    deliver_due(state).await
}

/// The viewer a webhook's scope reads as (see `Credential::Webhook`).
pub fn scope_of(webhook: &webhook::Model, clock: &Clock) -> Viewer {
    Viewer {
        user_id: Uuid::nil(),
        org_id: webhook.organization_id,
        org_role: if webhook.team_id.is_some() { entity::OrgRole::Member } else { entity::OrgRole::Admin },
        credential: Credential::Webhook { webhook_id: webhook.id, team_id: webhook.team_id },
        expires_at: None,
        clock: clock.clone(),
    }
}

/// The names of the kinds a webhook asked for; empty for every kind.
fn kind_names(webhook: &webhook::Model) -> Vec<String> {
    serde_json::from_value(webhook.event_kinds.clone()).unwrap_or_default()
}

/// The kinds a webhook asked for that this server knows; empty for every kind.
pub fn kinds_of(webhook: &webhook::Model) -> Vec<EventKind> {
    let known = |name: String| serde_json::from_value(serde_json::Value::String(name)).ok();
    kind_names(webhook).into_iter().filter_map(known).collect()
}

/// Whether a webhook asked for events of `kind`. A name this server does not know (written by
/// a newer version) matches nothing: the list never widens to every kind.
fn wants(names: &[String], kind: EventKind) -> bool {
    names.is_empty() || names.iter().any(|name| *name == sea_orm::ActiveEnum::to_value(&kind))
}

/// Turns the events logged since each active webhook's cursor into messages. Reads alone until
/// there is something to write.
pub async fn feed(db: &DatabaseConnection, clock: &Clock) -> AppResult<usize> {
    let active = webhook::Entity::find().filter(webhook::Column::Active.eq(true)).all(db).await?;
    let mut made = 0;
    for webhook in active {
        loop {
            match feed_one(db, clock, &webhook).await {
                Ok((count, more)) => {
                    made += count;
                    if !more {
                        break;
                    }
                }
                // One webhook's trouble holds up no other's.
                Err(error) => {
                    tracing::warn!(webhook = %webhook.id, %error, "cannot turn events into messages; retrying");
                    break;
                }
            }
        }
    }
    Ok(made)
}

/// One batch of one webhook's events: the messages it gets, made in the transaction that moves
/// its cursor past them. Another server moving the same cursor first makes this one a no-op.
/// Answers how many messages it made and whether more events wait.
async fn feed_one(db: &DatabaseConnection, clock: &Clock, webhook: &webhook::Model) -> AppResult<(usize, bool)> {
    let cursor = webhook::Entity::find_by_id(webhook.id)
        .select_only()
        .column(webhook::Column::Cursor)
        .into_tuple::<i64>()
        .one(db)
        .await?;
    let Some(cursor) = cursor else { return Ok((0, false)) };
    let events = event::Entity::find()
        .filter(event::Column::OrganizationId.eq(webhook.organization_id))
        .filter(event::Column::Sequence.gt(cursor))
        .order_by_asc(event::Column::Sequence)
        .limit(BATCH)
        .all(db)
        .await?;
    let Some(last) = events.last().map(|e| e.sequence) else { return Ok((0, false)) };
    let scope = scope_of(webhook, clock);
    let kinds = kind_names(webhook);
    let mut messages = Vec::new();
    for event in &events {
        if wants(&kinds, event.kind) && receives(db, &scope, event).await? {
            messages.push(message_for_event(webhook, event, clock.now()));
        }
    }
    let tx = db::begin_local(db).await?;
    let moved = webhook::Entity::update_many()
        .col_expr(webhook::Column::Cursor, Expr::value(last))
        .filter(webhook::Column::Id.eq(webhook.id))
        .filter(webhook::Column::Cursor.eq(cursor))
        .exec(&tx)
        .await?;
    if moved.rows_affected != 1 {
        return Ok((0, false));
    }
    let made = messages.len();
    if !messages.is_empty() {
        webhook_delivery::Entity::insert_many(messages).exec(&tx).await?;
    }
    tx.commit().await?;
    Ok((made, events.len() as u64 == BATCH))
}

/// Whether a webhook's scope may read an event: by the rules subscriptions follow, and never a
/// person's own sign-in events.
async fn receives(db: &DatabaseConnection, scope: &Viewer, event: &event::Model) -> AppResult<bool> {
    if event.kind.is_personal() {
        return Ok(false);
    }
    let Some((kind, id)) = ids::parse(&event.subject_id) else { return Ok(false) };
    if let Credential::Webhook { team_id: Some(own), .. } = scope.credential
        && let Some(change) = Change::read(event.kind, &event.payload)
        && change.addressed_to().is_some_and(|team| team.id != own)
    {
        return Ok(false);
    }
    history::can_read(db, scope, kind, id).await
}

/// The event as the `events` subscription shows it.
pub fn event_data(event: &event::Model) -> serde_json::Value {
    json!({
        "id": ids::encode_event(event.sequence),
        "kind": event.kind,
        "subjectId": event.subject_id,
        "actorId": event.actor_id.map(|actor| ids::encode(NodeKind::User, actor)),
        "payload": events::public_payload(event),
        "createdAt": event.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    })
}

/// A new message with its body: `{"type", "timestamp", "data"}`.
pub fn new_message(
    webhook: &webhook::Model,
    event_id: Option<i64>,
    event_type: &str,
    at: DateTime<Utc>,
    data: serde_json::Value,
    now: DateTime<Utc>,
) -> webhook_delivery::ActiveModel {
    let id = Uuid::now_v7();
    let body = json!({
        "type": event_type,
        "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": data,
    });
    webhook_delivery::ActiveModel {
        id: Set(id),
        webhook_id: Set(webhook.id),
        organization_id: Set(webhook.organization_id),
        message_id: Set(format!("msg_{}", id.simple())),
        event_id: Set(event_id),
        event_type: Set(event_type.to_owned()),
        body: Set(body.to_string()),
        status: Set(DeliveryStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(Some(now)),
        locked_until: Set(None),
        response_status: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

fn message_for_event(
    webhook: &webhook::Model,
    event: &event::Model,
    now: DateTime<Utc>,
) -> webhook_delivery::ActiveModel {
    let kind = sea_orm::ActiveEnum::to_value(&event.kind);
    new_message(webhook, Some(event.id), &kind, event.created_at, event_data(event), now)
}

/// Deliveries waiting for an attempt now, of active webhooks, not held by a server.
fn due(now: DateTime<Utc>) -> Condition {
    let active = Query::select()
        .column(webhook::Column::Id)
        .from(webhook::Entity)
        .and_where(webhook::Column::Active.eq(true))
        .to_owned();
    Condition::all()
        .add(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending))
        .add(webhook_delivery::Column::NextAttemptAt.lte(now))
        .add(
            Condition::any()
                .add(webhook_delivery::Column::LockedUntil.is_null())
                .add(webhook_delivery::Column::LockedUntil.lte(now)),
        )
        .add(webhook_delivery::Column::WebhookId.in_subquery(active))
}

/// Claims due deliveries and attempts them. A claim is one conditional update: each delivery
/// goes to the one server whose update still finds it due (re-checked under the row's lock),
/// and a round with nothing due only reads.
pub async fn deliver_due(state: &AppState) -> AppResult<()> {
    loop {
        let now = state.clock.now();
        let ids: Vec<Uuid> = webhook_delivery::Entity::find()
            .select_only()
            .column(webhook_delivery::Column::Id)
            .filter(due(now))
            .order_by_asc(webhook_delivery::Column::NextAttemptAt)
            .limit(CONCURRENT_ATTEMPTS)
            .into_tuple()
            .all(&state.db)
            .await?;
        if ids.is_empty() {
            return Ok(());
        }
        let claimed = webhook_delivery::Entity::update_many()
            .col_expr(webhook_delivery::Column::LockedUntil, Expr::value(now + LEASE))
            .filter(webhook_delivery::Column::Id.is_in(ids))
            .filter(due(now))
            .exec_with_returning(&state.db)
            .await?;
        let count = claimed.len();
        // Posted together; recorded together, in one transaction (one writer at a time is what
        // SQLite allows, and its waits would otherwise set the pace).
        let webhook_ids: Vec<Uuid> = claimed.iter().map(|d| d.webhook_id).collect();
        let webhooks = webhook::Entity::find().filter(webhook::Column::Id.is_in(webhook_ids)).all(&state.db).await?;
        let posts = claimed.into_iter().filter_map(|delivery| {
            let webhook = webhooks.iter().find(|w| w.id == delivery.webhook_id)?.clone();
            Some(async move {
                let outcome = post(&state.webhooks, &state.clock, &webhook, &delivery).await;
                (webhook, delivery, outcome)
            })
        });
        let outcomes = futures_util::future::join_all(posts).await;
        if let Err(error) = record(state, outcomes).await {
            tracing::warn!(%error, "webhook attempts could not be recorded; they are retried when their lease runs out");
        }
        if (count as u64) < CONCURRENT_ATTEMPTS {
            return Ok(());
        }
    }
}

/// What one attempt came to.
struct Outcome {
    succeeded: bool,
    response_status: Option<i32>,
    error: Option<String>,
}

/// Posts a claimed delivery and records the outcome; answers the delivery as it now stands.
pub async fn attempt(state: &AppState, delivery: webhook_delivery::Model) -> AppResult<webhook_delivery::Model> {
    let Some(webhook) = webhook::Entity::find_by_id(delivery.webhook_id).one(&state.db).await? else {
        return Ok(delivery);
    };
    let outcome = post(&state.webhooks, &state.clock, &webhook, &delivery).await;
    let unchanged = delivery.clone();
    Ok(record(state, vec![(webhook, delivery, outcome)]).await?.pop().unwrap_or(unchanged))
}

/// The signatures of a message: one per live secret (two while a rotated one overlaps).
fn signatures(
    webhooks: &Webhooks,
    webhook: &webhook::Model,
    delivery: &webhook_delivery::Model,
    timestamp: i64,
    now: DateTime<Utc>,
) -> AppResult<String> {
    let mut secrets = vec![webhooks.secrets.open(&webhook.secret)?];
    if let (Some(previous), Some(until)) = (&webhook.previous_secret, webhook.previous_secret_until)
        && until > now
    {
        secrets.push(webhooks.secrets.open(previous)?);
    }
    let signed = secrets.iter().map(|secret| {
        standardwebhooks::Webhook::new(secret)
            .and_then(|signer| signer.sign(&delivery.message_id, timestamp, delivery.body.as_bytes()))
            .map_err(|e| AppError::internal(anyhow::anyhow!("cannot sign a webhook message: {e}")))
    });
    Ok(signed.collect::<AppResult<Vec<_>>>()?.join(" "))
}

async fn post(
    webhooks: &Webhooks,
    clock: &Clock,
    webhook: &webhook::Model,
    delivery: &webhook_delivery::Model,
) -> AppResult<Outcome> {
    let failed = |error: String| Ok(Outcome { succeeded: false, response_status: None, error: Some(error) });
    let url = match url::Url::parse(&webhook.url) {
        Ok(url) => url,
        Err(e) => return failed(format!("the URL cannot be read: {e}")),
    };
    if let Err(refused) = safety::check_literal(&url, webhooks.allow_private) {
        return failed(refused);
    }
    // Receivers compare the timestamp with their own clock, so it is the system's time.
    let timestamp = clock::system_now().timestamp();
    let signature = signatures(webhooks, webhook, delivery, timestamp, clock.now())?;
    let sent = webhooks
        .client
        .post(url)
        .header("content-type", "application/json")
        .header(standardwebhooks::HEADER_WEBHOOK_ID, &delivery.message_id)
        .header(standardwebhooks::HEADER_WEBHOOK_TIMESTAMP, timestamp.to_string())
        .header(standardwebhooks::HEADER_WEBHOOK_SIGNATURE, signature)
        .body(delivery.body.clone())
        .send()
        .await;
    let mut response = match sent {
        Ok(response) => response,
        Err(e) => return failed(describe(&e)),
    };
    let status = response.status();
    let mut answer = Vec::new();
    while answer.len() < ANSWER_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => answer.extend_from_slice(&chunk),
            _ => break,
        }
    }
    answer.truncate(ANSWER_BYTES);
    let succeeded = status.is_success();
    let error = (!succeeded).then(|| {
        let text = String::from_utf8_lossy(&answer);
        let text: String = text.chars().filter(|c| !c.is_control()).take(200).collect();
        format!(
            "HTTP {}{}",
            status.as_u16(),
            if text.trim().is_empty() { String::new() } else { format!(": {}", text.trim()) }
        )
    });
    Ok(Outcome { succeeded, response_status: Some(i32::from(status.as_u16())), error })
}

/// A transport failure in words, without the chain of library types.
fn describe(error: &reqwest::Error) -> String {
    let mut text = if error.is_timeout() {
        format!("no answer within {} seconds", super::ATTEMPT_TIMEOUT.as_secs())
    } else if error.is_connect() {
        "cannot connect".to_owned()
    } else {
        "the request failed".to_owned()
    };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text.chars().take(300).collect()
}

/// Records attempts, in one transaction: each SUCCEEDED; or retried after the schedule's next
/// wait; or FAILED once the schedule is spent. A webhook failing every delivery for
/// `GIVE_UP_AFTER` is deactivated. Only the claim that made an attempt records it: a claim whose
/// lease ran out (and went to another server) changes nothing. An attempt that could not be
/// made (the secret cannot be read here) is left to its lease, for a server that can.
async fn record(
    state: &AppState,
    outcomes: Vec<(webhook::Model, webhook_delivery::Model, AppResult<Outcome>)>,
) -> AppResult<Vec<webhook_delivery::Model>> {
    let now = state.clock.now();
    let mut made = Vec::new();
    for (webhook, delivery, outcome) in outcomes {
        match outcome {
            Ok(outcome) => made.push((webhook, delivery, outcome)),
            Err(error) => tracing::warn!(delivery = %delivery.id, %error, "cannot attempt a webhook delivery here"),
        }
    }
    if made.is_empty() {
        return Ok(Vec::new());
    }
    // A failure may turn a webhook off, which logs an event: the write locks of the failing
    // webhooks' organizations come first (as for every writer), so that this cannot deadlock with
    // a change to the webhook.
    let tx = db::begin_local(&state.db).await?;
    let failing = made.iter().filter(|(_, _, outcome)| !outcome.succeeded);
    db::lock_organizations(&tx, failing.map(|(webhook, _, _)| webhook.organization_id)).await?;
    let mut recorded = Vec::new();
    let mut logged = false;
    for (webhook, delivery, outcome) in made {
        let attempts = delivery.attempts + 1;
        let retry_in = state.webhooks.retry_schedule.get(usize::try_from(attempts - 1).unwrap_or(usize::MAX));
        let (status, next) = match (outcome.succeeded, retry_in) {
            (true, _) => (DeliveryStatus::Succeeded, None),
            (false, Some(wait)) => (DeliveryStatus::Pending, Some(now + clock::lifetime(*wait))),
            (false, None) => (DeliveryStatus::Failed, None),
        };
        let updated = webhook_delivery::Entity::update_many()
            .col_expr(webhook_delivery::Column::Status, Expr::value(status))
            .col_expr(webhook_delivery::Column::Attempts, Expr::value(attempts))
            .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(next))
            .col_expr(webhook_delivery::Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(webhook_delivery::Column::ResponseStatus, Expr::value(outcome.response_status))
            .col_expr(webhook_delivery::Column::LastError, Expr::value(outcome.error))
            .col_expr(webhook_delivery::Column::UpdatedAt, Expr::value(now))
            .filter(webhook_delivery::Column::Id.eq(delivery.id))
            .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending))
            .filter(webhook_delivery::Column::Attempts.eq(delivery.attempts))
            .filter(webhook_delivery::Column::LockedUntil.eq(delivery.locked_until))
            .exec_with_returning(&tx)
            .await?;
        let Some(updated) = updated.into_iter().next() else {
            tracing::warn!(delivery = %delivery.id, "an attempt outlived its lease; another server's attempt counts");
            continue;
        };
        recorded.push(updated);
        logged |= note_trend(&tx, &webhook, outcome.succeeded, now).await?;
    }
    tx.commit().await?;
    if logged {
        state.hub.poke();
    }
    Ok(recorded)
}

/// Notes a webhook's success or failure: clears or starts `failing_since`, and turns it off,
/// logging `WEBHOOK_DEACTIVATED`, once it has failed for `GIVE_UP_AFTER`. Answers whether it
/// logged an event.
async fn note_trend(
    tx: &sea_orm::DatabaseTransaction,
    webhook: &webhook::Model,
    succeeded: bool,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    if succeeded {
        webhook::Entity::update_many()
            .col_expr(webhook::Column::FailingSince, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(webhook::Column::Id.eq(webhook.id))
            .filter(webhook::Column::FailingSince.is_not_null())
            .exec(tx)
            .await?;
        return Ok(false);
    }
    webhook::Entity::update_many()
        .col_expr(webhook::Column::FailingSince, Expr::value(now))
        .filter(webhook::Column::Id.eq(webhook.id))
        .filter(webhook::Column::FailingSince.is_null())
        .exec(tx)
        .await?;
    let given_up = webhook::Entity::update_many()
        .col_expr(webhook::Column::Active, Expr::value(false))
        .filter(webhook::Column::Id.eq(webhook.id))
        .filter(webhook::Column::Active.eq(true))
        .filter(webhook::Column::FailingSince.lte(now - GIVE_UP_AFTER))
        .exec(tx)
        .await?;
    if given_up.rows_affected != 1 {
        return Ok(false);
    }
    let change = Change::WebhookDeactivated { failing_since: webhook.failing_since.unwrap_or(now) };
    let subject = (NodeKind::Webhook, webhook.id);
    let new = NewEvent { organization_id: webhook.organization_id, actor_id: None, subject, change, at: now };
    events::record(tx, new).await?;
    tracing::warn!(webhook = %webhook.id, "deactivated a webhook that failed every delivery for 5 days");
    Ok(true)
}
