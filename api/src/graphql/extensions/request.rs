//! Per-request controls: every operation is bound to its viewer (authenticated again over a
//! WebSocket, with batch loaders of its own), read-only API tokens cannot mutate, and mutations
//! wake the event hub.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextPrepareRequest,
};
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{Request, Response, ServerResult, Variables};

use super::{CredentialBudget, SocketCredentials, has_mutation};
use crate::auth::RequestAuth;
use crate::error::AppError;
use crate::graphql::loaders::Batch;
use crate::graphql::server_error;
use crate::state::AppState;

/// Marks a request that came over HTTP GET: it may run queries only.
pub struct HttpGet;

/// Mutations: refused, before anything runs, when made with a `READ` API token or over HTTP GET
/// (with subscriptions; `METHOD_NOT_ALLOWED`); once run, they wake the event hub, so that
/// subscribers hear of their events at once rather than at the hub's next poll.
pub struct Mutations;

impl ExtensionFactory for Mutations {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(MutationsExtension::default())
    }
}

#[derive(Default)]
struct MutationsExtension {
    mutation: AtomicBool,
}

#[async_graphql::async_trait::async_trait]
impl Extension for MutationsExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        if ctx.data_opt::<HttpGet>().is_some()
            && document.operations.iter().any(|(_, op)| op.node.ty != OperationType::Query)
        {
            let refused = AppError::MethodNotAllowed("GET runs queries only: send mutations with POST");
            return Err(server_error(refused));
        }
        if has_mutation(&document) {
            if let Some(RequestAuth::Authenticated(viewer)) = ctx.data_opt::<RequestAuth>() {
                viewer.require_write().map_err(server_error)?;
            }
            self.mutation.store(true, Ordering::Relaxed);
        }
        Ok(document)
    }

    // `execute` runs for operations over HTTP and over the WebSocket alike.
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let response = next.run(ctx, operation_name).await;
        if self.mutation.load(Ordering::Relaxed)
            && let Some(state) = ctx.data_opt::<AppState>()
        {
            match ctx.data_opt::<RequestAuth>() {
                Some(RequestAuth::Authenticated(viewer)) => state.hub.poke_organization(viewer.org_id),
                // Signing up or in: the organization is not known here.
                _ => state.hub.poke(),
            }
        }
        response
    }
}

/// Binds every operation to its viewer. An operation of a WebSocket connection authenticates
/// again, so that a deactivated user, a revoked or expired token or a changed role takes effect
/// on open sockets too, and gets the credential budget an HTTP request has (the client address
/// comes with the connection). Then every operation gets its own batch loaders, bound to that
/// viewer.
pub struct OperationViewer;

impl ExtensionFactory for OperationViewer {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(OperationViewerExtension)
    }
}

struct OperationViewerExtension;

#[async_graphql::async_trait::async_trait]
impl Extension for OperationViewerExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let Some(state) = ctx.data_opt::<AppState>() else { return next.run(ctx, request).await };
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
        next.run(ctx, request.data(loaders)).await
    }
}
