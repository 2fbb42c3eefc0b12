//! The mail outbox: messages queued in the transaction of what they tell (`enqueue`), claimed
//! for a lease, sent and their outcome recorded (`send_due`).

use chrono::{DateTime, TimeDelta, Utc};
use entity::{DeliveryStatus, mail_message};
use lettre::AsyncTransport;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::clock;
use crate::domain::accounts;
use crate::error::AppResult;
use crate::mail::templates::Bodies;
use crate::mail::{Mailer, digest, nudges};
use crate::state::AppState;

/// Messages claimed at once by one server, and sent together over the pooled connections.
const CONCURRENT_SENDS: u64 = 8;
/// How long a claimed message is this server's: well beyond the longest conversation (20 s).
const LEASE: TimeDelta = TimeDelta::seconds(90);
/// How much of an SMTP error is kept.
const ERROR_CHARS: usize = 500;

/// A message to queue.
pub struct Outgoing {
    pub organization_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub to: String,
    /// `INVITATION`, `PASSWORD_RESET`, `VERIFY_EMAIL`, `SIGN_UP_TAKEN`, `NUDGE`, `DIGEST`.
    pub kind: &'static str,
    /// What the message is about, once: a message whose key was queued before is not queued.
    pub dedupe_key: String,
    pub subject: String,
    pub bodies: Bodies,
    /// Set on notifications: the `List-Unsubscribe` link (RFC 8058 one-click).
    pub unsubscribe_url: Option<String>,
}

/// Queues a message in `db`'s transaction; answers whether it was queued (false when a message
/// with its key already was). The bodies are sealed: they may carry one-time links.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    mailer: &Mailer,
    now: DateTime<Utc>,
    message: Outgoing,
) -> AppResult<bool> {
    let body = serde_json::to_string(&message.bodies).expect("bodies serialize");
    let row = mail_message::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(message.organization_id),
        user_id: Set(message.user_id),
        recipient: Set(message.to),
        kind: Set(message.kind.to_owned()),
        dedupe_key: Set(message.dedupe_key),
        subject: Set(message.subject),
        body: Set(mailer.secrets.seal(&body)),
        unsubscribe_url: Set(message.unsubscribe_url),
        status: Set(DeliveryStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(Some(now)),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        sent_at: Set(None),
    };
    let inserted = mail_message::Entity::insert(row)
        .on_conflict(OnConflict::column(mail_message::Column::DedupeKey).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(inserted > 0)
}

/// One round: deadline events become nudges, the week's digests are made, due messages sent.
/// Each step runs whatever befell the others: trouble making nudges holds up no reset link.
pub async fn run_once(state: &AppState) -> AppResult<()> {
    if let Err(error) = nudges::feed(state).await {
        tracing::warn!(%error, "cannot turn deadline events into nudges; retrying");
    }
    if let Err(error) = digest::make_due(state).await {
        tracing::warn!(%error, "cannot make this week's digests; retrying");
    }
    send_due(state).await.map(|_| ())
}

/// How long a message is worth sending: one that carries a one-time link is dropped when its
/// link has run out (a retry two days later would only disappoint).
fn worth_sending_until(message: &mail_message::Model) -> Option<DateTime<Utc>> {
    match message.kind.as_str() {
        "PASSWORD_RESET" => Some(message.created_at + accounts::RESET_TTL),
        "VERIFY_EMAIL" => Some(message.created_at + accounts::CONFIRM_TTL),
        _ => None,
    }
}

/// Messages waiting to be sent now, not held by a server.
fn due(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(mail_message::Column::Status.eq(DeliveryStatus::Pending))
        .add(mail_message::Column::NextAttemptAt.lte(now))
        .add(
            Condition::any()
                .add(mail_message::Column::LockedUntil.is_null())
                .add(mail_message::Column::LockedUntil.lte(now)),
        )
}

/// Claims due messages and sends them; answers how many were sent. A claim is one conditional
/// update: each message goes to the one server whose update still finds it due.
pub async fn send_due(state: &AppState) -> AppResult<usize> {
    let Some(transport) = state.mailer.transport() else { return Ok(0) };
    let mut sent = 0;
    loop {
        let now = state.clock.now();
        let ids: Vec<Uuid> = mail_message::Entity::find()
            .select_only()
            .column(mail_message::Column::Id)
            .filter(due(now))
            .order_by_asc(mail_message::Column::NextAttemptAt)
            .limit(CONCURRENT_SENDS)
            .into_tuple()
            .all(&state.db)
            .await?;
        if ids.is_empty() {
            return Ok(sent);
        }
        let claimed = mail_message::Entity::update_many()
            .col_expr(mail_message::Column::LockedUntil, Expr::value(now + LEASE))
            .filter(mail_message::Column::Id.is_in(ids))
            .filter(due(now))
            .exec_with_returning(&state.db)
            .await?;
        let count = claimed.len();
        let sends = claimed.into_iter().map(|message| async move {
            let outcome = match worth_sending_until(&message) {
                Some(until) if until <= now => {
                    Err(Failure { permanent: true, error: "its link ran out before it could be sent".into() })
                }
                _ => send(&state.mailer, transport, &message).await,
            };
            (message, outcome)
        });
        for (message, outcome) in futures_util::future::join_all(sends).await {
            if outcome.is_ok() {
                sent += 1;
            }
            if let Err(error) = record(state, &message, outcome).await {
                tracing::warn!(%error, message = %message.id, "a mail outcome could not be recorded; retried when its lease runs out");
            }
        }
        if (count as u64) < CONCURRENT_SENDS {
            return Ok(sent);
        }
    }
}

/// Why a send failed, and whether trying again may help. Every refusal of the SMTP server is
/// tried again on the schedule, 5xx included: a server that refuses everything is misconfigured
/// (credentials, relaying), and nothing is lost while it is fixed.
struct Failure {
    permanent: bool,
    error: String,
}

async fn send(
    mailer: &Mailer,
    transport: &lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    message: &mail_message::Model,
) -> Result<(), Failure> {
    let permanent = |error: String| Failure { permanent: true, error };
    // Sealed by a server with another key: tried again, by whichever server holds it.
    let bodies: Bodies =
        mailer.secrets.open(&message.body).ok().and_then(|body| serde_json::from_str(&body).ok()).ok_or_else(|| {
            Failure {
                permanent: false,
                error: "the message body cannot be read with this server's encryption key".into(),
            }
        })?;
    let to: Mailbox = message.recipient.parse().map_err(|e| permanent(format!("recipient: {e}")))?;
    let mut builder = lettre::Message::builder()
        .from(mailer.from.clone())
        .to(to)
        .subject(&message.subject)
        .message_id(Some(format!("<{}@{}>", message.id.simple(), mailer.from.email.domain())));
    if let Some(url) = &message.unsubscribe_url {
        builder = builder
            .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("List-Unsubscribe"), format!("<{url}>")))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_owned(),
            ));
    }
    let email = builder
        .multipart(MultiPart::alternative_plain_html(bodies.text, bodies.html))
        .map_err(|e| permanent(format!("message: {e}")))?;
    match transport.send(email).await {
        Ok(_) => Ok(()),
        Err(e) => Err(Failure { permanent: false, error: e.to_string() }),
    }
}

/// Records an outcome, if this server still holds the message's lease: sent (its body
/// dropped), due again after the schedule's next wait, or given up.
async fn record(state: &AppState, message: &mail_message::Model, outcome: Result<(), Failure>) -> AppResult<()> {
    let now = state.clock.now();
    let attempts = message.attempts + 1;
    let mut update = mail_message::Entity::update_many()
        .col_expr(mail_message::Column::Attempts, Expr::value(attempts))
        .col_expr(mail_message::Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(mail_message::Column::UpdatedAt, Expr::value(now));
    match outcome {
        Ok(()) => {
            update = update
                .col_expr(mail_message::Column::Status, Expr::value(DeliveryStatus::Succeeded))
                .col_expr(mail_message::Column::SentAt, Expr::value(now))
                .col_expr(mail_message::Column::Body, Expr::value(""))
                .col_expr(mail_message::Column::NextAttemptAt, Expr::value(Option::<DateTime<Utc>>::None))
                .col_expr(mail_message::Column::LastError, Expr::value(Option::<String>::None));
        }
        Err(failure) => {
            let error: String = failure.error.chars().take(ERROR_CHARS).collect();
            let wait = state.mailer.retry_schedule.get(message.attempts as usize).copied();
            match wait.filter(|_| !failure.permanent) {
                Some(wait) => {
                    tracing::warn!(message = %message.id, kind = %message.kind, attempts, %error, "email not sent; trying again later");
                    update = update
                        .col_expr(mail_message::Column::NextAttemptAt, Expr::value(now + clock::lifetime(wait)))
                        .col_expr(mail_message::Column::LastError, Expr::value(error));
                }
                None => {
                    tracing::error!(message = %message.id, kind = %message.kind, attempts, %error, "email given up");
                    update = update
                        .col_expr(mail_message::Column::Status, Expr::value(DeliveryStatus::Failed))
                        .col_expr(mail_message::Column::NextAttemptAt, Expr::value(Option::<DateTime<Utc>>::None))
                        .col_expr(mail_message::Column::LastError, Expr::value(error));
                }
            }
        }
    }
    update
        .filter(mail_message::Column::Id.eq(message.id))
        .filter(mail_message::Column::LockedUntil.eq(message.locked_until))
        .exec(&state.db)
        .await?;
    Ok(())
}
