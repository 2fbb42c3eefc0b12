//! What a WebSocket connection gives the operations it runs: how they ask for the connection to
//! be closed, and the close codes the server uses.

use tokio::sync::mpsc;

/// Close codes sent by the server (4400–4499 as graphql-transport-ws uses them).
pub mod close {
    /// The credentials were refused or revoked, or the user was deactivated: sign in again
    /// (stock graphql-ws clients never retry it).
    pub const UNAUTHORIZED: u16 = 4401;
    /// The session's access token expired: refresh it and reconnect (stock graphql-ws clients
    /// retry this code, asking their `connectionParams` for credentials again).
    pub const TOKEN_EXPIRED: u16 = 4419;
    /// The user's organization role changed: reconnect to act with the new one.
    pub const ROLE_CHANGED: u16 = 4403;
    /// No `connection_init` arrived in time (as graphql-transport-ws defines it).
    pub const INIT_TIMEOUT: u16 = 4408;
    /// A subscription fell too far behind the events it asked for.
    pub const SLOW_CONSUMER: u16 = 4413;
    /// The server is shutting down (RFC 6455 "going away"): reconnect to another one.
    pub const GOING_AWAY: u16 = 1001;
    /// A message larger than the server accepts (RFC 6455 "message too big").
    pub const TOO_BIG: u16 = 1009;
    /// The credentials could not be checked now (RFC 6455 "try again later").
    pub const TRY_AGAIN_LATER: u16 = 1013;
}

/// Lets a connection's subscriptions ask for the connection to be closed.
#[derive(Clone)]
pub struct SocketControl(mpsc::Sender<(u16, String)>);

impl SocketControl {
    pub fn new(requests: mpsc::Sender<(u16, String)>) -> Self {
        Self(requests)
    }

    pub fn close(&self, code: u16, reason: impl Into<String>) {
        // One reason is enough; later ones are dropped.
        let _ = self.0.try_send((code, reason.into()));
    }
}
