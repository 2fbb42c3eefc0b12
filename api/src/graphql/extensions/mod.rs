//! The schema's one extension, `Controls`, and its concerns: every error gets a code and a panic
//! becomes INTERNAL (`errors`); a failed field answers `null` in its place (`nulls`); documents
//! built to overload the server or to multiply credential guesses are refused before anything
//! runs (`document`); each operation gets its controls: bound to its viewer (WebSocket
//! operations authenticate again) with loaders of its own, read-only API tokens cannot mutate,
//! mutations wake the event hub (`request`); a WebSocket connection holds a bounded number of
//! subscriptions (`socket`); one user runs a bounded number of top-level fields at once
//! (`user_slots`); automatic persisted queries (`persisted`).
//!
//! One extension rather than one per concern: async-graphql sends every field through every
//! extension's `resolve` hook, each a boxed future of its own.

mod document;
mod errors;
mod nulls;
mod persisted;
mod request;
mod socket;
mod user_slots;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextPrepareRequest, NextRequest,
    NextResolve, NextSubscribe, NextValidation, ResolveInfo,
};
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{Request, Response, ServerError, ServerResult, ValidationResult, Value, Variables};
use futures_util::stream::{BoxStream, StreamExt};

pub use document::{CredentialBudget, DocumentLimits};
pub use request::HttpGet;
pub use socket::{SocketCredentials, SocketSubscriptions};
pub use user_slots::UserSlots;

fn has_mutation(document: &ExecutableDocument) -> bool {
    document.operations.iter().any(|(_, op)| op.node.ty == OperationType::Mutation)
}

/// Every control of the schema; one per schema (per server). Without document limits or user
/// slots (the unit tests of null propagation and error codes), the rest still apply.
#[derive(Default)]
pub struct Controls {
    persisted: persisted::PersistedQueries,
    limits: Option<DocumentLimits>,
    slots: Option<Arc<UserSlots>>,
}

impl Controls {
    pub fn new(limits: DocumentLimits, slots: Arc<UserSlots>) -> Self {
        Self { persisted: Default::default(), limits: Some(limits), slots: Some(slots) }
    }
}

impl ExtensionFactory for Controls {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(OperationControls {
            persisted: self.persisted.clone(),
            document: self.limits.as_ref().map(DocumentLimits::for_request),
            slots: self.slots.clone(),
            failures: Arc::default(),
            mutation: AtomicBool::new(false),
            subscription: Mutex::new(None),
        })
    }
}

/// The controls of one request (one operation over the WebSocket; one subscription lives as
/// long as its stream).
struct OperationControls {
    persisted: persisted::PersistedQueries,
    document: Option<document::DocumentCheck>,
    slots: Option<Arc<UserSlots>>,
    failures: Arc<nulls::Failures>,
    /// Whether the document mutates: the hub is woken after it ran.
    mutation: AtomicBool,
    /// The subscription's place on its connection, held until the stream ends.
    subscription: Mutex<Option<socket::OpenSubscription>>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for OperationControls {
    // Over HTTP. Over the WebSocket, queries and mutations run without this hook; their answers
    // are coded (and counted) by `subscribe`, which wraps every operation there.
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        errors::with_codes(errors::caught(next.run(ctx)).await)
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let failures = self.failures.clone();
        errors::caught_stream(next.run(ctx, stream).map(move |response| failures.finish(response)).boxed())
    }

    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let request = request::bind_viewer(ctx, self.persisted.prepare(request)?).await;
        if let Some(document) = &self.document {
            document.prepare(&request);
        }
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = match &self.document {
            Some(check) => check.parse(ctx, query, variables, next).await?,
            None => next.run(ctx, query, variables).await?,
        };
        let mutation = request::check_mutations(ctx, &document)?;
        self.mutation.store(mutation, Ordering::Relaxed);
        if let Some(place) = socket::subscription_place(ctx, &document)? {
            *self.subscription.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(place);
        }
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        match &self.document {
            Some(check) => check.validate(ctx, next).await,
            None => next.run(ctx).await,
        }
    }

    // For operations over HTTP and over the WebSocket alike.
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let response = errors::caught(async {
            let response = next.run(ctx, operation_name).await;
            if self.mutation.load(Ordering::Relaxed) {
                request::wake_hub(ctx);
            }
            self.failures.finish(response)
        })
        .await;
        errors::log_timeouts(&response, operation_name);
        response
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let field = self.failures.start(&info)?;
        let outcome = match &self.slots {
            Some(slots) => slots.resolve(ctx, info, next).await,
            None => next.run(ctx, info).await,
        };
        self.failures.settle(field, outcome)
    }
}
