//! One-click unsubscribe (RFC 8058): every notification carries a link that turns its kind of
//! email off without signing in. The link's token names one person and one kind, and is signed
//! with the server's key; it does nothing else. `GET` shows a button (mail scanners follow links
//! and must not unsubscribe anyone), `POST` (the button, or a mail client's one-click request)
//! turns the kind off.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entity::user;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use uuid::Uuid;

use crate::error::AppResult;
use crate::mail::Mailer;
use crate::state::AppState;
use crate::webhooks::SecretBox;

/// The kinds of email a person can turn off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    /// Deadline nudges.
    Nudges,
    /// The weekly learning digest.
    Digest,
}

impl Topic {
    fn name(self) -> &'static str {
        match self {
            Self::Nudges => "nudges",
            Self::Digest => "digest",
        }
    }

    fn named(name: &str) -> Option<Self> {
        [Self::Nudges, Self::Digest].into_iter().find(|topic| topic.name() == name)
    }

    fn described(self) -> &'static str {
        match self {
            Self::Nudges => "deadline reminders",
            Self::Digest => "the weekly learning digest",
        }
    }
}

/// How much of the HMAC a link carries (128 bits).
const SIGNATURE_BYTES: usize = 16;

fn signed_text(user_id: Uuid, topic: Topic) -> String {
    format!("unsubscribe:v1:{}:{}", topic.name(), user_id.simple())
}

/// The token of `user_id`'s unsubscribe link for `topic`.
pub fn token(secrets: &SecretBox, user_id: Uuid, topic: Topic) -> String {
    let signature = secrets.sign(&signed_text(user_id, topic));
    format!("{}.{}.{}", user_id.simple(), topic.name(), URL_SAFE_NO_PAD.encode(&signature[..SIGNATURE_BYTES]))
}

/// The person and topic of a token this server signed; none for anything else.
pub fn read(secrets: &SecretBox, token: &str) -> Option<(Uuid, Topic)> {
    let mut parts = token.trim().splitn(3, '.');
    let user_id = Uuid::try_parse(parts.next()?).ok()?;
    let topic = Topic::named(parts.next()?)?;
    let signature = URL_SAFE_NO_PAD.decode(parts.next()?).ok()?;
    let genuine = signature.len() == SIGNATURE_BYTES && secrets.verify(&signed_text(user_id, topic), &signature);
    genuine.then_some((user_id, topic))
}

/// The unsubscribe link of a notification (`{api}/unsubscribe?token=…`).
pub fn link(mailer: &Mailer, user_id: Uuid, topic: Topic) -> Option<String> {
    mailer.api_link("unsubscribe", &[("token", &token(&mailer.secrets, user_id, topic))])
}

/// Turns `topic` off for `user_id`.
pub async fn apply(state: &AppState, user_id: Uuid, topic: Topic) -> AppResult<()> {
    let now = state.clock.now();
    let update = user::Entity::update_many().col_expr(user::Column::UpdatedAt, Expr::value(now));
    let update = match topic {
        Topic::Nudges => update.col_expr(user::Column::NotifyNudges, Expr::value(false)),
        Topic::Digest => {
            update.col_expr(user::Column::DigestSince, Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None))
        }
    };
    update.filter(user::Column::Id.eq(user_id)).exec(&state.db).await?;
    Ok(())
}

#[derive(Deserialize)]
pub struct Link {
    #[serde(default)]
    token: String,
}

fn page(status: StatusCode, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width\"><title>Hindsight email</title></head><body style=\"font-family:\
         sans-serif;max-width:480px;margin:48px auto;padding:0 16px;line-height:1.5\">{body}</body></html>"
    );
    (
        status,
        [(
            axum::http::header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
        )],
        Html(html),
    )
        .into_response()
}

fn not_valid() -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "<p>This unsubscribe link is not valid. Change what you receive in your settings.</p>",
    )
}

/// `GET /unsubscribe?token=…`: a page with the button that unsubscribes.
pub fn confirm_page(state: &AppState, link: &Link) -> Response {
    let Some((_, topic)) = read(&state.mailer.secrets, &link.token) else { return not_valid() };
    page(
        StatusCode::OK,
        &format!(
            "<p>Stop receiving {} by email?</p><form method=\"post\"><button type=\"submit\">Unsubscribe</button></form>",
            topic.described()
        ),
    )
}

/// `POST /unsubscribe?token=…`: unsubscribes (the page's button, or RFC 8058's one-click POST
/// with `List-Unsubscribe=One-Click`).
pub async fn unsubscribe(state: &AppState, link: &Link) -> Response {
    let Some((user_id, topic)) = read(&state.mailer.secrets, &link.token) else { return not_valid() };
    match apply(state, user_id, topic).await {
        Ok(()) => page(
            StatusCode::OK,
            &format!(
                "<p>Done: you will no longer receive {} by email. You can turn it back on in your settings.</p>",
                topic.described()
            ),
        ),
        Err(error) => {
            tracing::error!(%error, "cannot unsubscribe");
            page(
                StatusCode::SERVICE_UNAVAILABLE,
                "<p>Something went wrong on our side. Try the link again in a minute.</p>",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_names_one_person_and_one_topic_and_cannot_be_altered() {
        let secrets = SecretBox::new(b"a key of at least thirty-two bytes long");
        let user = Uuid::now_v7();
        let nudges = token(&secrets, user, Topic::Nudges);
        assert_eq!(read(&secrets, &nudges), Some((user, Topic::Nudges)));
        let as_digest = nudges.replace(".nudges.", ".digest.");
        assert_eq!(read(&secrets, &as_digest), None);
        let other = token(&secrets, Uuid::now_v7(), Topic::Nudges);
        let swapped = format!("{}{}", user.simple(), &other[32..]);
        assert_eq!(read(&secrets, &swapped), None);
        assert_eq!(read(&SecretBox::new(b"another key of at least thirty-two bytes"), &nudges), None);
        assert_eq!(read(&secrets, "garbage"), None);
    }
}
