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

/// Mutations: refused, before anything runs, when made with a `READ` API token; once run, they
/// wake the event hub, so that subscribers hear of their events at once rather than at the
/// hub's next poll.
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
