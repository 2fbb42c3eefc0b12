//! What a WebSocket connection brings to its operations: its credentials (checked again for
//! each, see `request`) and a bound on its subscriptions.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{ServerResult, Variables};

use crate::error::AppError;
use crate::graphql::server_error;

/// The credentials a WebSocket connection presented in `connection_init`.
pub struct SocketCredentials(pub Option<String>);

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
/// others go on. The place is held by the operation's extensions, which live as long as its
/// stream: a completed or stopped subscription frees it. Queries and mutations take none.
pub struct SubscriptionLimit;

impl ExtensionFactory for SubscriptionLimit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(SubscriptionLimitExtension::default())
    }
}

#[derive(Default)]
struct SubscriptionLimitExtension {
    place: std::sync::Mutex<Option<OpenSubscription>>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for SubscriptionLimitExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let subscribes = document.operations.iter().any(|(_, op)| op.node.ty == OperationType::Subscription);
        if let (true, Some(subscriptions)) = (subscribes, ctx.data_opt::<SocketSubscriptions>()) {
            let Some(place) = subscriptions.open() else {
                return Err(server_error(AppError::bad_input(format!(
                    "a connection may hold at most {} subscriptions: complete one, or open another connection",
                    subscriptions.max
                ))));
            };
            *self.place.lock().expect("subscription place lock") = Some(place);
        }
        Ok(document)
    }
}
