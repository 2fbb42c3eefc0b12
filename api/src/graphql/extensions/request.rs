//! Per-request controls: every operation is bound to its viewer (authenticated again over a
//! WebSocket, with batch loaders of its own), read-only API tokens cannot mutate, and mutations
//! wake the event hub.

use async_graphql::extensions::ExtensionContext;
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{Request, ServerResult};

use super::{CredentialBudget, SocketCredentials, has_mutation};
use crate::auth::RequestAuth;
use crate::error::AppError;
use crate::graphql::loaders::Batch;
use crate::graphql::server_error;
use crate::state::AppState;

/// Marks a request that came over HTTP GET: it may run queries only.
pub struct HttpGet;

/// Refuses mutations, before anything runs, when made with a `READ` API token or over HTTP GET
/// (with subscriptions; `METHOD_NOT_ALLOWED`). Answers whether `document` mutates.
pub(super) fn check_mutations(ctx: &ExtensionContext<'_>, document: &ExecutableDocument) -> ServerResult<bool> {
    if ctx.data_opt::<HttpGet>().is_some()
        && document.operations.iter().any(|(_, op)| op.node.ty != OperationType::Query)
    {
        let refused = AppError::MethodNotAllowed("GET runs queries only: send mutations with POST");
        return Err(server_error(refused));
    }
    if !has_mutation(document) {
        return Ok(false);
    }
    if let Some(RequestAuth::Authenticated(viewer)) = ctx.data_opt::<RequestAuth>() {
        viewer.require_write().map_err(server_error)?;
    }
    Ok(true)
}

/// After a mutation ran (over HTTP or the WebSocket alike): wakes the event hub, so that
/// subscribers hear of its events at once rather than at the hub's next poll.
pub(super) fn wake_hub(ctx: &ExtensionContext<'_>) {
    let Some(state) = ctx.data_opt::<AppState>() else { return };
    match ctx.data_opt::<RequestAuth>() {
        Some(RequestAuth::Authenticated(viewer)) => state.hub.poke_organization(viewer.org_id),
        // Signing up or in: the organization is not known here.
        _ => state.hub.poke(),
    }
}

/// Binds an operation to its viewer. An operation of a WebSocket connection authenticates
/// again, so that a deactivated user, a revoked or expired token or a changed role takes effect
/// on open sockets too, and gets the credential budget an HTTP request has (the client address
/// comes with the connection). Then every operation gets its own batch loaders, bound to that
/// viewer.
pub(super) async fn bind_viewer(ctx: &ExtensionContext<'_>, request: Request) -> Request {
    let Some(state) = ctx.data_opt::<AppState>() else { return request };
    let (request, auth) = match ctx.data_opt::<SocketCredentials>() {
        Some(SocketCredentials(authorization)) => {
            let auth = state.authenticate(authorization.as_deref()).await;
            (request.data(auth.clone()).data(CredentialBudget::default()), auth)
        }
        None => {
            let auth = request
                .data
                .get(&std::any::TypeId::of::<RequestAuth>())
                .and_then(|auth| auth.downcast_ref::<RequestAuth>())
                .cloned()
                .unwrap_or(RequestAuth::Anonymous);
            (request, auth)
        }
    };
    let loaders = Batch::new(state.db.clone(), auth).loaders(state.config.batch_delay);
    request.data(loaders)
}
