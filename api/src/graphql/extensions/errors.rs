//! Every error gets an `extensions.code`. Errors from our resolvers carry one already; the rest
//! come from the GraphQL engine itself (syntax, validation, argument coercion, limits) and are
//! the client's to fix. A panic becomes INTERNAL instead of a dropped connection: caught around
//! each operation's execution and each subscription's stream, the paths HTTP and the WebSocket
//! share.

use std::panic::AssertUnwindSafe;

use async_graphql::{Response, ServerError};
use futures_util::FutureExt;
use futures_util::stream::{BoxStream, StreamExt};

use crate::error::{AppError, InputProblem, problem_extensions};
use crate::graphql::server_error;

/// Gives an error without a code BAD_USER_INPUT.
fn add_code(error: &mut ServerError) {
    if !matches!(error.extensions.as_ref().and_then(|ext| ext.get("code")), Some(async_graphql::Value::String(_))) {
        error.extensions.get_or_insert_with(Default::default).set("code", "BAD_USER_INPUT");
    }
}

/// One error per problem of an invalid input (`AppError::BadInput` answers them together),
/// each with its own message, `path` and `field`, at the place of the field that failed.
fn one_per_problem(errors: Vec<ServerError>) -> Vec<ServerError> {
    let mut out = Vec::with_capacity(errors.len());
    for error in errors {
        match error.source::<Vec<InputProblem>>() {
            Some(problems) if problems.len() > 1 => out.extend(problems.iter().map(|problem| ServerError {
                message: problem.message.clone(),
                extensions: Some(problem_extensions(problem)),
                ..error.clone()
            })),
            _ => out.push(error),
        }
    }
    out
}

/// Codes every error of a response and counts them by code (once per response: the caller is
/// the outermost hook of its path).
pub(super) fn with_codes(mut response: Response) -> Response {
    response.errors = one_per_problem(std::mem::take(&mut response.errors));
    for error in &mut response.errors {
        add_code(error);
        if let Some(async_graphql::Value::String(code)) = error.extensions.as_ref().and_then(|ext| ext.get("code")) {
            crate::metrics::graphql_error(code);
        }
    }
    response
}

fn internal_error() -> Response {
    Response::from_errors(vec![server_error(AppError::internal(anyhow::anyhow!("a resolver panicked")))])
}

/// The response of `run`, or INTERNAL if it panicked.
pub(super) async fn caught(run: impl Future<Output = Response>) -> Response {
    AssertUnwindSafe(run).catch_unwind().await.unwrap_or_else(|_| internal_error())
}

/// A subscription's answers, coded; a panic ends it with INTERNAL (the connection and its other
/// operations live on).
pub(super) fn caught_stream(stream: BoxStream<'_, Response>) -> BoxStream<'_, Response> {
    AssertUnwindSafe(stream)
        .catch_unwind()
        .map(|item| item.unwrap_or_else(|_| internal_error()))
        .map(with_codes)
        .boxed()
}

/// A statement the time limit cancelled: the client reads TIMEOUT; the operator learns which.
pub(super) fn log_timeouts(response: &Response, operation_name: Option<&str>) {
    for error in &response.errors {
        let code = error.extensions.as_ref().and_then(|extensions| extensions.get("code"));
        if code == Some(&async_graphql::Value::from("TIMEOUT")) {
            let path: Vec<String> = error
                .path
                .iter()
                .map(|segment| match segment {
                    async_graphql::PathSegment::Field(name) => name.clone(),
                    async_graphql::PathSegment::Index(index) => index.to_string(),
                })
                .collect();
            tracing::warn!(
                operation = operation_name.unwrap_or("(anonymous)"),
                path = %path.join("."),
                "a statement ran past the statement time limit and was cancelled"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::futures_util::StreamExt;
    use async_graphql::{Data, EmptyMutation, Object, Schema, Subscription};
    use futures_util::stream::{self, Stream};

    use std::sync::Arc;

    use super::*;
    use crate::graphql::extensions::Controls;

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
        Schema::build(Panicking, EmptyMutation, PanickingEvents).extension(Controls::default()).finish()
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
