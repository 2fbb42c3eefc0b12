//! Per-request controls: read-only API tokens cannot mutate, mutations wake the event hub, and
//! every operation gets batch loaders bound to its viewer.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextPrepareRequest,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, Response, ServerResult, Variables};

use super::has_mutation;
use crate::auth::RequestAuth;
use crate::graphql::loaders::Batch;
use crate::graphql::server_error;
use crate::state::AppState;

/// Refuses any mutation made with a `READ` API token, before anything runs.
pub struct ReadOnlyTokens;

impl ExtensionFactory for ReadOnlyTokens {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ReadOnlyTokensExtension)
    }
}

struct ReadOnlyTokensExtension;

#[async_graphql::async_trait::async_trait]
impl Extension for ReadOnlyTokensExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let is_mutation = has_mutation(&document);
        if is_mutation
            && let Some(RequestAuth::Authenticated(viewer)) = ctx.data_opt::<RequestAuth>()
            && let Err(refusal) = viewer.require_write()
        {
            return Err(server_error(refusal));
        }
        Ok(document)
    }
}

/// Wakes the event hub after a mutation, so that subscribers hear of its events at once rather
/// than at the hub's next poll.
pub struct WakeHub;

impl ExtensionFactory for WakeHub {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(WakeHubExtension::default())
    }
}

#[derive(Default)]
struct WakeHubExtension {
    mutation: AtomicBool,
}

#[async_graphql::async_trait::async_trait]
impl Extension for WakeHubExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        if has_mutation(&document) {
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
            state.hub.poke();
        }
        response
    }
}

/// Gives every operation its own batch loaders, bound to the viewer it runs as (after the
/// credentials of a WebSocket operation were checked again).
pub struct BatchLoading;

impl ExtensionFactory for BatchLoading {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(BatchLoadingExtension)
    }
}

struct BatchLoadingExtension;

#[async_graphql::async_trait::async_trait]
impl Extension for BatchLoadingExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let request = next.run(ctx, request).await?;
        let Some(state) = ctx.data_opt::<AppState>() else { return Ok(request) };
        let auth = request
            .data
            .get(&std::any::TypeId::of::<RequestAuth>())
            .and_then(|auth| auth.downcast_ref::<RequestAuth>())
            .cloned()
            .unwrap_or(RequestAuth::Anonymous);
        let loaders = Batch::new(state.db.clone(), auth).loaders(state.config.batch_delay);
        Ok(request.data(loaders))
    }
}
