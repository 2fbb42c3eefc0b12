//! What a WebSocket connection brings to its operations: credentials checked again for each, a
//! credential budget per operation, and a bound on its subscriptions.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest, NextSubscribe};
use async_graphql::{Request, Response, ServerResult};
use futures_util::stream::{BoxStream, StreamExt};

use super::CredentialBudget;
use crate::error::AppError;
use crate::graphql::server_error;
use crate::state::AppState;

/// The credentials a WebSocket connection presented in `connection_init`.
pub struct SocketCredentials(pub Option<String>);

/// Authenticates every operation of a WebSocket connection again, so that a deactivated user,
/// a revoked or expired token or a changed role takes effect on open sockets too; and gives it
/// the credential budget an HTTP request has (the client address comes with the connection).
pub struct SocketAuth;

impl ExtensionFactory for SocketAuth {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(SocketAuthExtension)
    }
}

struct SocketAuthExtension;

#[async_graphql::async_trait::async_trait]
impl Extension for SocketAuthExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let request = match (ctx.data_opt::<SocketCredentials>(), ctx.data_opt::<AppState>()) {
            (Some(SocketCredentials(authorization)), Some(state)) => {
                request.data(state.authenticate(authorization.as_deref()).await).data(CredentialBudget::default())
            }
            _ => request,
        };
        next.run(ctx, request).await
    }
}

/// How many subscriptions one WebSocket connection holds, and how many it may.
#[derive(Clone)]
pub struct SocketSubscriptions {
    open: Arc<std::sync::atomic::AtomicUsize>,
    max: usize,
}

/// One open subscription of a connection, counted until its stream is dropped.
struct OpenSubscription(Arc<std::sync::atomic::AtomicUsize>);

impl Drop for OpenSubscription {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl SocketSubscriptions {
    pub fn new(max: usize) -> Self {
        Self { open: Arc::default(), max }
    }

    fn open(&self) -> Option<OpenSubscription> {
        let taken = self.open.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| (n < self.max).then_some(n + 1));
        taken.ok().map(|_| OpenSubscription(self.open.clone()))
    }
}

/// Refuses a subscription beyond the connection's `--max-subscriptions-per-connection`; the
/// others go on. A completed or stopped subscription frees its place.
pub struct SubscriptionLimit;

impl ExtensionFactory for SubscriptionLimit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(SubscriptionLimitExtension)
    }
}

struct SubscriptionLimitExtension;

impl Extension for SubscriptionLimitExtension {
    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let Some(subscriptions) = ctx.data_opt::<SocketSubscriptions>() else { return next.run(ctx, stream) };
        match subscriptions.open() {
            Some(open) => next
                .run(ctx, stream)
                .map(move |response| {
                    let _counted = &open;
                    response
                })
                .boxed(),
            None => {
                let refusal = AppError::bad_input(format!(
                    "a connection may hold at most {} subscriptions: complete one, or open another connection",
                    subscriptions.max
                ));
                futures_util::stream::once(async move { Response::from_errors(vec![server_error(refusal)]) }).boxed()
            }
        }
    }
}
