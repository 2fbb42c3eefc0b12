use async_graphql::Context;
use sea_orm::DatabaseConnection;

use crate::app::AppState;
use crate::auth::{RequestAuth, Viewer};
use crate::error::AppResult;

/// The network address a request came from.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub std::net::IpAddr);

static ANONYMOUS: RequestAuth = RequestAuth::Anonymous;

/// What resolvers read from the request context.
pub trait ContextExt {
    fn state(&self) -> &AppState;
    fn db(&self) -> &DatabaseConnection {
        &self.state().db
    }
    fn auth(&self) -> &RequestAuth;
    /// The address of the client, when the request came over the network.
    fn client_address(&self) -> Option<std::net::IpAddr>;
    /// The signed-in viewer, or UNAUTHENTICATED.
    fn viewer(&self) -> AppResult<&Viewer> {
        self.auth().viewer()
    }
}

impl ContextExt for Context<'_> {
    fn state(&self) -> &AppState {
        self.data_unchecked::<AppState>()
    }

    fn auth(&self) -> &RequestAuth {
        self.data_opt::<RequestAuth>().unwrap_or(&ANONYMOUS)
    }

    fn client_address(&self) -> Option<std::net::IpAddr> {
        self.data_opt::<ClientAddress>().map(|a| a.0)
    }
}
