use async_graphql::Context;
use sea_orm::DatabaseConnection;

use crate::auth::{RequestAuth, Viewer};
use crate::domain::identity::{self, Reauthenticated};
use crate::domain::pagination::PageRequest;
use crate::error::AppResult;
use crate::state::AppState;

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
    /// The page a connection field asks for; the total is counted only when selected.
    fn page(&self, first: Option<i32>, after: Option<&str>) -> AppResult<PageRequest>;
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

    fn page(&self, first: Option<i32>, after: Option<&str>) -> AppResult<PageRequest> {
        Ok(PageRequest::new(first, after)?.counting(self.look_ahead().field("totalCount").exists()))
    }
}

/// Has the signed-in viewer enter their password again (see `identity::reauthenticate`).
pub(crate) async fn reauthenticate(ctx: &Context<'_>, password: &str) -> AppResult<Reauthenticated> {
    let state = ctx.state();
    identity::reauthenticate(&state.db, &state.auth, ctx.viewer()?, password, ctx.client_address()).await
}
