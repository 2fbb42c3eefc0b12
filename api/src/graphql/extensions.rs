//! Schema extensions: every error gets a code (a panic becomes INTERNAL), WebSocket operations
//! authenticate again and get the same per-request controls as HTTP requests, a connection holds
//! a bounded number of subscriptions, read-only API tokens cannot mutate, mutations wake the
//! event hub, and documents built to overload the server or to multiply credential guesses are
//! refused before anything runs.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextPrepareRequest, NextRequest,
    NextSubscribe, NextValidation,
};
use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::{Request, Response, ServerResult, Value as ConstValue, Variables};
use async_graphql::{ServerError, ValidationResult};
use futures_util::FutureExt;
use futures_util::stream::{BoxStream, StreamExt};

use crate::auth::RequestAuth;
use crate::domain::validate::limits;
use crate::error::AppError;
use crate::graphql::loaders::Batch;
use crate::graphql::server_error;
use crate::state::AppState;

/// Gives every error an `extensions.code`. Errors from our resolvers carry one already; the
/// rest come from the GraphQL engine itself (syntax, validation, argument coercion, limits)
/// and are the client's to fix. A panic becomes INTERNAL instead of a dropped connection:
/// caught around each operation's execution and each subscription's stream, the paths HTTP
/// and the WebSocket share.
pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodesExtension)
    }
}

struct ErrorCodesExtension;

/// Gives an error without a code BAD_USER_INPUT.
fn add_code(error: &mut ServerError) {
    if !matches!(error.extensions.as_ref().and_then(|ext| ext.get("code")), Some(async_graphql::Value::String(_))) {
        error.extensions.get_or_insert_with(Default::default).set("code", "BAD_USER_INPUT");
    }
}

/// Codes every error of a response and counts them by code (once per response: the caller is
/// the outermost hook of its path).
fn with_codes(mut response: Response) -> Response {
    for error in &mut response.errors {
        add_code(error);
        if let Some(async_graphql::Value::String(code)) = error.extensions.as_ref().and_then(|ext| ext.get("code")) {
            crate::metrics::graphql_error(code);
        }
    }
    response
}

fn on_socket(ctx: &ExtensionContext<'_>) -> bool {
    ctx.data_opt::<SocketCredentials>().is_some()
}

fn internal_error() -> Response {
    Response::from_errors(vec![server_error(AppError::internal(anyhow::anyhow!("a resolver panicked")))])
}

#[async_graphql::async_trait::async_trait]
impl Extension for ErrorCodesExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        match AssertUnwindSafe(next.run(ctx)).catch_unwind().await {
            Ok(response) => with_codes(response),
            Err(_) => internal_error(),
        }
    }

    // Errors of parsing and validation reach a WebSocket client without passing `request`.
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        next.run(ctx, query, variables).await.map_err(|mut error| {
            add_code(&mut error);
            error
        })
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|mut errors| {
            errors.iter_mut().for_each(add_code);
            errors
        })
    }

    // Over the WebSocket, queries and mutations run without the `request` hook: this is the
    // outermost hook there.
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let response =
            AssertUnwindSafe(next.run(ctx, operation_name)).catch_unwind().await.unwrap_or_else(|_| internal_error());
        if on_socket(ctx) { with_codes(response) } else { response }
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        // A panic ends the subscription with INTERNAL; the connection and its other operations live on.
        AssertUnwindSafe(next.run(ctx, stream))
            .catch_unwind()
            .map(|item| item.unwrap_or_else(|_| internal_error()))
            .map(with_codes)
            .boxed()
    }
}

fn has_mutation(document: &ExecutableDocument) -> bool {
    document.operations.iter().any(|(_, op)| op.node.ty == OperationType::Mutation)
}

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

/// Mutations that check a secret: one per request, so aliases cannot multiply guesses.
const CREDENTIAL_FIELDS: [&str; 4] = ["login", "signUp", "refreshSession", "acceptInvitation"];

/// Refuses an operation that runs more than one of `login`, `signUp`, `refreshSession` and
/// `acceptInvitation` (aliases and fragments included), before anything runs.
pub struct OneCredentialCheck;

impl ExtensionFactory for OneCredentialCheck {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(OneCredentialCheckExtension)
    }
}

struct OneCredentialCheckExtension;

/// Shared by the operations of one HTTP request, so that a batch runs one credential check too.
#[derive(Clone, Default)]
pub struct CredentialBudget(Arc<std::sync::atomic::AtomicUsize>);

/// How many credential mutations a selection set runs, following fragments.
fn credential_fields(document: &ExecutableDocument, selection: &SelectionSet, depth: usize) -> usize {
    if depth > 32 {
        return 0;
    }
    selection
        .items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) => usize::from(CREDENTIAL_FIELDS.contains(&field.node.name.node.as_str())),
            Selection::InlineFragment(inline) => {
                credential_fields(document, &inline.node.selection_set.node, depth + 1)
            }
            Selection::FragmentSpread(spread) => document
                .fragments
                .get(&spread.node.fragment_name.node)
                .map_or(0, |fragment| credential_fields(document, &fragment.node.selection_set.node, depth + 1)),
        })
        .sum()
}

#[async_graphql::async_trait::async_trait]
impl Extension for OneCredentialCheckExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let most = document
            .operations
            .iter()
            .filter(|(_, op)| op.node.ty == OperationType::Mutation)
            .map(|(_, op)| credential_fields(&document, &op.node.selection_set.node, 0))
            .max()
            .unwrap_or(0);
        // The operations of one batched HTTP request share a budget.
        let earlier = match ctx.data_opt::<CredentialBudget>() {
            Some(budget) if most > 0 => budget.0.fetch_add(most, Ordering::SeqCst),
            _ => 0,
        };
        if earlier + most > 1 {
            return Err(server_error(AppError::bad_input(
                "a request may run only one of login, signUp, refreshSession and acceptInvitation",
            )));
        }
        Ok(document)
    }
}

/// Refuses documents built to overload the server: more aliases than `max_aliases`, or a field
/// repeated more than `MAX_REPEATS` times in one selection (alias overloading and field
/// duplication attacks), before anything runs.
pub struct DocumentLimits {
    pub max_aliases: usize,
}

/// How often one response key may repeat in a selection set.
const MAX_REPEATS: usize = 3;

impl ExtensionFactory for DocumentLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(DocumentLimitsExtension { max_aliases: self.max_aliases })
    }
}

struct DocumentLimitsExtension {
    max_aliases: usize,
}

#[derive(Default)]
struct Shape {
    aliases: usize,
    most_repeats: usize,
}

fn measure(selection: &SelectionSet, shape: &mut Shape) {
    let mut keys: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for item in &selection.items {
        match &item.node {
            Selection::Field(field) => {
                let field = &field.node;
                if field.alias.is_some() {
                    shape.aliases += 1;
                }
                let key = field.response_key().node.as_str();
                let seen = keys.entry(key).or_default();
                *seen += 1;
                shape.most_repeats = shape.most_repeats.max(*seen);
                measure(&field.selection_set.node, shape);
            }
            Selection::InlineFragment(inline) => measure(&inline.node.selection_set.node, shape),
            Selection::FragmentSpread(_) => {}
        }
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for DocumentLimitsExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let mut shape = Shape::default();
        for (_, operation) in document.operations.iter() {
            measure(&operation.node.selection_set.node, &mut shape);
        }
        for fragment in document.fragments.values() {
            measure(&fragment.node.selection_set.node, &mut shape);
        }
        if shape.aliases > self.max_aliases {
            return Err(server_error(AppError::bad_input(format!(
                "a request may use at most {} aliases",
                self.max_aliases
            ))));
        }
        if shape.most_repeats > MAX_REPEATS {
            return Err(server_error(AppError::bad_input("the same field is repeated too often in one selection")));
        }
        check_input_sizes(&document, variables).map_err(server_error)?;
        Ok(document)
    }
}

/// Refuses any string longer than `limits::ANY_STRING` characters and any list longer than
/// `limits::LIST_ARGUMENT` items, in the variables or written in the document, before anything
/// runs: no resolver, validator or statement ever sees input larger than that, whatever field
/// it is for. The field is the variable or argument path.
fn check_input_sizes(document: &ExecutableDocument, variables: &Variables) -> Result<(), AppError> {
    for (name, value) in variables.iter() {
        check_value(name.as_str(), value)?;
    }
    let mut arguments = Vec::new();
    for (_, operation) in document.operations.iter() {
        collect_arguments(&operation.node.selection_set.node, &mut arguments);
    }
    for fragment in document.fragments.values() {
        collect_arguments(&fragment.node.selection_set.node, &mut arguments);
    }
    arguments.iter().try_for_each(|(name, value)| check_value(name, value))
}

/// The arguments written in a selection, with every variable in them read as null (the
/// variables are checked on their own).
fn collect_arguments<'a>(selection: &'a SelectionSet, into: &mut Vec<(&'a str, ConstValue)>) {
    for item in &selection.items {
        match &item.node {
            Selection::Field(field) => {
                for (name, value) in &field.node.arguments {
                    let value = value.node.clone().into_const_with(|_| Ok::<_, ()>(ConstValue::Null));
                    into.push((name.node.as_str(), value.unwrap_or(ConstValue::Null)));
                }
                collect_arguments(&field.node.selection_set.node, into);
            }
            Selection::InlineFragment(inline) => collect_arguments(&inline.node.selection_set.node, into),
            Selection::FragmentSpread(_) => {}
        }
    }
}

fn too_large(path: &str) -> AppError {
    AppError::invalid(
        path,
        format!(
            "{path} is too large: text may hold at most {} characters and a list at most {} items",
            limits::ANY_STRING,
            limits::LIST_ARGUMENT
        ),
    )
}

fn check_value(path: &str, value: &ConstValue) -> Result<(), AppError> {
    match value {
        ConstValue::String(text) if text.len() > limits::ANY_STRING && text.chars().count() > limits::ANY_STRING => {
            Err(too_large(path))
        }
        ConstValue::List(items) if items.len() > limits::LIST_ARGUMENT => Err(too_large(path)),
        ConstValue::List(items) => items.iter().try_for_each(|item| check_value(path, item)),
        ConstValue::Object(fields) => {
            fields.iter().try_for_each(|(name, field)| check_value(&format!("{path}.{name}"), field))
        }
        _ => Ok(()),
    }
}

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

#[cfg(test)]
mod tests {
    use async_graphql::futures_util::StreamExt;
    use async_graphql::{Data, EmptyMutation, Object, Schema, Subscription};
    use futures_util::stream::{self, Stream};

    use super::*;

    struct Panicking;

    #[Object]
    impl Panicking {
        async fn boom(&self) -> i32 {
            std::hint::black_box(None::<i32>).expect("a resolver bug")
        }
        async fn fine(&self) -> i32 {
            1
        }
    }

    struct PanickingEvents;

    #[Subscription]
    impl PanickingEvents {
        async fn ticks(&self) -> impl Stream<Item = i32> {
            stream::iter([1, 2]).map(|n| if n == 2 { panic!("a stream bug") } else { n })
        }
    }

    fn schema() -> Schema<Panicking, EmptyMutation, PanickingEvents> {
        Schema::build(Panicking, EmptyMutation, PanickingEvents).extension(ErrorCodes).finish()
    }

    fn code(response: &Response) -> Option<String> {
        response.errors.first().and_then(|e| e.extensions.as_ref()).and_then(|ext| match ext.get("code") {
            Some(async_graphql::Value::String(code)) => Some(code.clone()),
            _ => None,
        })
    }

    #[tokio::test]
    async fn a_panicking_resolver_answers_internal_on_the_websocket_path() {
        // `execute_stream` is what the WebSocket runs each operation with.
        let socket = Arc::new(Data::default());
        let mut answers = schema().execute_stream_with_session_data("{ boom }", socket.clone());
        let answer = answers.next().await.expect("an answer");
        assert_eq!(code(&answer).as_deref(), Some("INTERNAL"));
        assert!(!answer.errors[0].message.contains("bug"), "{:?}", answer.errors);
        // The schema (and so the connection) serves the next operation.
        let mut answers = schema().execute_stream_with_session_data("{ fine }", socket);
        assert!(answers.next().await.expect("an answer").errors.is_empty());
    }

    #[tokio::test]
    async fn a_panicking_subscription_ends_with_internal() {
        let mut events = schema().execute_stream("subscription { ticks }");
        assert!(events.next().await.expect("the first tick").errors.is_empty());
        let failed = events.next().await.expect("an answer for the panic");
        assert_eq!(code(&failed).as_deref(), Some("INTERNAL"));
        assert!(events.next().await.is_none());
    }

    #[tokio::test]
    async fn every_validation_error_carries_a_code_on_the_websocket_path() {
        let mut answers = schema().execute_stream("{ missing }");
        assert_eq!(code(&answers.next().await.expect("an answer")).as_deref(), Some("BAD_USER_INPUT"));
    }
}
