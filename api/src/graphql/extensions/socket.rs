//! What a WebSocket connection brings to its operations: its credentials (checked again for
//! each, see `request`) and a bound on its subscriptions.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use async_graphql::ServerResult;
use async_graphql::extensions::ExtensionContext;
use async_graphql::parser::types::{ExecutableDocument, OperationType};

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
pub(super) struct OpenSubscription(Arc<std::sync::atomic::AtomicUsize>);

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

/// Takes a place for a subscription of `document` on its connection, refused beyond the
/// connection's `--max-subscriptions-per-connection`; the others go on. The place is held by the
/// operation's extension, which lives as long as its stream: a completed or stopped subscription
/// frees it. Queries and mutations take none, nor do operations outside a WebSocket.
pub(super) fn subscription_place(
    ctx: &ExtensionContext<'_>,
    document: &ExecutableDocument,
) -> ServerResult<Option<OpenSubscription>> {
    let subscribes = document.operations.iter().any(|(_, op)| op.node.ty == OperationType::Subscription);
    let Some(subscriptions) = ctx.data_opt::<SocketSubscriptions>().filter(|_| subscribes) else { return Ok(None) };
    match subscriptions.open() {
        Some(place) => Ok(Some(place)),
        None => Err(server_error(AppError::bad_input(format!(
            "a connection may hold at most {} subscriptions: complete one, or open another connection",
            subscriptions.max
        )))),
    }
}
