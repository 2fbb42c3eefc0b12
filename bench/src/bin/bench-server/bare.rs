//! The GraphQL schema without the server's extensions (error codes, hub wake-ups, socket
//! credentials, read-only tokens, credential budgets, document limits) and without its depth and
//! complexity limits: only the per-request batch loaders the resolvers need. Not an API: a
//! diagnostic that tells what the extensions cost next to the real endpoint.

use async_graphql::Schema;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::routing::post;
use hindsight_api::AppState;
use hindsight_api::graphql::loaders::Batch;
use hindsight_api::graphql::{AppSchema, Mutation, Query, Subscription};

#[derive(Clone)]
struct Bare {
    state: AppState,
    schema: AppSchema,
}

pub fn routes(state: AppState) -> Router {
    let schema = Schema::build(Query::default(), Mutation::default(), Subscription).data(state.clone()).finish();
    Router::new().route("/diagnostic/graphql-without-extensions", post(graphql)).with_state(Bare { state, schema })
}

async fn graphql(State(bare): State<Bare>, headers: HeaderMap, request: GraphQLRequest) -> GraphQLResponse {
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let auth = bare.state.authenticate(authorization).await;
    let loaders = Batch::new(bare.state.db.clone(), auth.clone()).loaders(bare.state.config.batch_delay);
    bare.schema.execute(request.into_inner().data(auth).data(loaders)).await.into()
}
