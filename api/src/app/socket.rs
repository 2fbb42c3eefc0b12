//! A GraphQL WebSocket connection (`graphql-transport-ws` or `graphql-ws`) that lives only as
//! long as its credentials: it is closed when the token presented in `connection_init` expires,
//! when it is revoked (sign-out everywhere, a password change, deactivation, a revoked API token)
//! or the user's organization role changes, and when one of its subscriptions falls too far
//! behind the event stream.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::http::{WebSocket as GraphQLSocket, WebSocketProtocols, WsMessage};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::{SinkExt, StreamExt, future};
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use crate::auth::{Credential, RequestAuth, Viewer};
use crate::clock;
use crate::error::AppError;
use crate::events::LiveEvent;
use crate::graphql::{AppSchema, ClientAddress, SocketControl, SocketCredentials, SocketSubscriptions, close};
use crate::ids::{self, NodeKind};
use crate::state::AppState;

/// Who is on the other end of a connection.
pub struct Client {
    pub protocol: WebSocketProtocols,
    pub address: std::net::IpAddr,
}

/// Why the server ends a connection, when it decides so outside the GraphQL protocol's own flow
/// (a refused `connection_init`, an oversized message): sent as the close frame.
#[derive(Clone, Default)]
struct Ending(Arc<Mutex<Option<(u16, String)>>>);

impl Ending {
    fn set(&self, code: u16, reason: impl Into<String>) {
        self.0.lock().expect("ending lock").get_or_insert((code, reason.into()));
    }

    fn take(&self) -> Option<(u16, String)> {
        self.0.lock().expect("ending lock").take()
    }
}

/// Serves one upgraded connection until either side ends it.
pub async fn serve(
    socket: WebSocket,
    schema: AppSchema,
    client: Client,
    state: AppState,
    mut stopping: watch::Receiver<bool>,
) {
    // Listen before the credentials are checked, so that a revocation committed in between is seen.
    let watch_events = state.hub.listen();
    let (mut sink, stream) = socket.split();
    let ending = Ending::default();
    let read_error = ending.clone();
    let max_message = state.config.max_body_bytes;
    let input = stream
        .take_while(move |message| {
            if let Err(error) = message {
                // The transport gives no typed reason; an oversized message says "too long".
                if error.to_string().contains("too long") {
                    read_error.set(close::TOO_BIG, format!("a message may hold at most {max_message} bytes"));
                }
            }
            future::ready(message.is_ok())
        })
        .filter_map(|message| {
            future::ready(match message {
                Ok(message @ (Message::Text(_) | Message::Binary(_))) => Some(message.into_data()),
                _ => None,
            })
        });
    let (signed_in, credentials) = oneshot::channel();
    let (close_tx, close_rx) = mpsc::channel(1);
    let control = SocketControl::new(close_tx);
    let init_state = state.clone();
    let refused = ending.clone();
    let subscriptions = SocketSubscriptions::new(state.config.max_subscriptions_per_connection);
    let address = client.address;
    let output = GraphQLSocket::new(schema, input, client.protocol).on_connection_init(move |payload| async move {
        let authorization = payload
            .get("authorization")
            .or_else(|| payload.get("Authorization"))
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        let viewer = match init_state.authenticate(authorization.as_deref()).await {
            RequestAuth::Authenticated(viewer) => viewer,
            refusal => {
                let (code, message) = match refusal {
                    RequestAuth::Rejected { message, .. } => (close::UNAUTHORIZED, message),
                    RequestAuth::Unavailable => (close::TRY_AGAIN_LATER, AppError::Unavailable.to_string()),
                    _ => (
                        close::UNAUTHORIZED,
                        "authentication required: send { \"authorization\": \"Bearer <token>\" } in connection_init"
                            .to_owned(),
                    ),
                };
                refused.set(code, message.clone());
                return Err(async_graphql::Error::new(message));
            }
        };
        let _ = signed_in.send((authorization.clone(), viewer));
        let mut data = async_graphql::Data::default();
        // Every operation authenticates again with these (see the schema's `Controls`) and is counted
        // against the client's address like a request over HTTP.
        data.insert(SocketCredentials(authorization));
        data.insert(ClientAddress(address));
        data.insert(subscriptions);
        data.insert(control);
        Ok(data)
    });
    let ended = async {
        tokio::select! {
            ended = session_end(state, watch_events, credentials, close_rx) => ended,
            _ = stopping.wait_for(|stopping| *stopping) => (close::GOING_AWAY, "the server is shutting down".to_owned()),
        }
    };
    tokio::pin!(output, ended);
    loop {
        tokio::select! {
            message = output.next() => {
                let Some(message) = message else {
                    // The protocol ended the connection without a close frame of its own (the older
                    // protocol's refused `connection_init`, an oversized message): say why.
                    if let Some((code, reason)) = ending.take() {
                        let _ = tokio::time::timeout(SEND_TIMEOUT, sink.send(close_message(code, reason))).await;
                    }
                    break;
                };
                let message = match message {
                    WsMessage::Text(text) => Message::Text(text.into()),
                    // A refused `connection_init` closes with our code (4401), not the library's.
                    WsMessage::Close(code, reason) => {
                        let (code, reason) = ending.take().unwrap_or((code, reason));
                        close_message(code, reason)
                    }
                };
                // A client that stops reading is let go rather than holding the connection open.
                if !matches!(tokio::time::timeout(SEND_TIMEOUT, sink.send(message)).await, Ok(Ok(()))) {
                    break;
                }
            }
            (code, reason) = &mut ended => {
                tracing::debug!(code, %reason, "closing a WebSocket connection");
                let _ = tokio::time::timeout(SEND_TIMEOUT, sink.send(close_message(code, reason))).await;
                break;
            }
        }
    }
}

/// How long a client has to send `connection_init`.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a message may wait for a client that does not read.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// How soon credentials are checked again after the database could not tell.
const RECHECK_AFTER: Duration = Duration::from_secs(5);

/// A close frame's reason holds at most 123 bytes.
const MAX_CLOSE_REASON: usize = 123;

/// A close frame; its reason cut to what a frame holds.
fn close_message(code: u16, reason: String) -> Message {
    Message::Close(Some(CloseFrame { code, reason: truncate(reason, MAX_CLOSE_REASON).into() }))
}

fn truncate(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

/// Resolves with a close code and reason when the connection must end.
async fn session_end(
    state: AppState,
    mut events: broadcast::Receiver<LiveEvent>,
    credentials: oneshot::Receiver<(Option<String>, Viewer)>,
    mut close_requests: mpsc::Receiver<(u16, String)>,
) -> (u16, String) {
    let (authorization, viewer) = match tokio::time::timeout(INIT_TIMEOUT, credentials).await {
        Ok(Ok(signed_in)) => signed_in,
        Err(_) => return (close::INIT_TIMEOUT, "Connection initialisation timeout".into()),
        // A refused `connection_init`: async-graphql ends the connection itself.
        Ok(Err(_)) => return future::pending().await,
    };
    let expiry = async {
        match viewer.expires_at {
            Some(at) => tokio::time::sleep((at - expiry_clock(&viewer)).to_std().unwrap_or_default()).await,
            None => future::pending().await,
        }
    };
    tokio::pin!(expiry);
    let mut retry: Option<tokio::time::Instant> = None;
    loop {
        let retry_due = async {
            match retry {
                Some(at) => tokio::time::sleep_until(at).await,
                None => future::pending().await,
            }
        };
        let recheck = tokio::select! {
            () = &mut expiry => return expired(&viewer),
            Some(request) = close_requests.recv() => return request,
            () = retry_due => true,
            event = events.recv() => match event {
                Ok(event) => concerns(&viewer, &event),
                // Missed events might have revoked us: check.
                Err(broadcast::error::RecvError::Lagged(_)) => true,
                Err(broadcast::error::RecvError::Closed) => return future::pending().await,
            },
        };
        if recheck {
            retry = None;
            match state.authenticate(authorization.as_deref()).await {
                RequestAuth::Authenticated(now) if now.org_role == viewer.org_role => {}
                RequestAuth::Authenticated(_) => {
                    return (close::ROLE_CHANGED, "your organization role changed: reconnect".into());
                }
                RequestAuth::Rejected { message, .. } => return (close::UNAUTHORIZED, message),
                RequestAuth::Anonymous => return (close::UNAUTHORIZED, "no credentials".into()),
                // Cannot tell now: ask again shortly.
                RequestAuth::Unavailable => retry = Some(tokio::time::Instant::now() + RECHECK_AFTER),
            }
        }
    }
}

/// The time a credential's expiry is measured against: a session's signed access token runs on
/// the system's time (the token library checks it so), an API token's expiry on the product's.
fn expiry_clock(viewer: &Viewer) -> chrono::DateTime<chrono::Utc> {
    match viewer.credential {
        Credential::Session { .. } => clock::system_now(),
        Credential::ApiToken { .. } | Credential::Webhook { .. } => viewer.now(),
    }
}

/// How a connection ends when its credentials run out: a session's access token can be
/// refreshed (the client reconnects with a fresh one), an API token cannot.
fn expired(viewer: &Viewer) -> (u16, String) {
    match viewer.credential {
        Credential::Session { .. } => {
            (close::TOKEN_EXPIRED, "the access token has expired: refresh it and reconnect".into())
        }
        Credential::ApiToken { .. } | Credential::Webhook { .. } => {
            (close::UNAUTHORIZED, "the API token has expired".into())
        }
    }
}

/// Whether an event may have changed what the viewer's credentials allow: a change to their
/// account or to the API token they signed in with.
fn concerns(viewer: &Viewer, event: &LiveEvent) -> bool {
    if event.organization_id != viewer.org_id || !event.kind.affects_credentials() {
        return false;
    }
    let token = match viewer.credential {
        Credential::ApiToken { token_id, .. } => Some(ids::encode(NodeKind::ApiToken, token_id)),
        Credential::Session { .. } | Credential::Webhook { .. } => None,
    };
    event.subject_id == ids::encode(NodeKind::User, viewer.user_id)
        || token.as_deref() == Some(event.subject_id.as_str())
}
