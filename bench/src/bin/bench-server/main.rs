//! The Hindsight server as `hindsight serve` runs it (same flags, same state, same router), plus the
//! baselines the benchmark compares the GraphQL endpoint with, in the same process on the same
//! database pool:
//!
//! - `GET /l0`: fixed JSON, no database (the cost of HTTP and axum alone);
//! - `GET /l1/me`, `/l1/action/{id}`, `/l1/overdue-actions`, `/l1/dashboard`: plain axum handlers
//!   that check the bearer token exactly as `POST /graphql` does and then call the same domain
//!   functions (so run the same SQL) as the resolvers of the benchmarked query, answering JSON of
//!   the same shape as the GraphQL response;
//! - `POST /diagnostic/graphql-without-extensions`: the same schema and resolvers (with the same
//!   per-request batch loaders) but none of the server's schema extensions and limits, to tell
//!   what they cost.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::{action, user};
use hindsight_api::auth::{RequestAuth, Viewer};
use hindsight_api::config::{Cli, Command};
use hindsight_api::domain::actions;
use hindsight_api::domain::pagination::PageRequest;
use hindsight_api::domain::users;
use hindsight_api::graphql::loaders::{Batch, UserById};
use hindsight_api::ids::{self, NodeKind};
use hindsight_api::{AppError, AppState, Application, telemetry};
use sea_orm::ActiveEnum;
use serde_json::{Value, json};
use uuid::Uuid;

mod bare;
mod dashboard;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::from_env();
    telemetry::init(cli.config.log_format);
    if !matches!(cli.command, None | Some(Command::Serve)) {
        anyhow::bail!("bench-server only serves; use `hindsight` for other commands");
    }
    let app = Application::build(cli.config).await?;
    let baselines = routes(app.state().clone()).merge(bare::routes(app.state().clone()));
    app.run_until_with(baselines, terminated()).await?;
    Ok(())
}

async fn terminated() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = term.recv() => {},
    }
}

fn routes(state: AppState) -> Router {
    Router::new()
        .route("/l0", get(l0))
        .route("/l1/me", get(me))
        .route("/l1/action/{id}", get(action_by_id))
        .route("/l1/overdue-actions", get(overdue_actions))
        .route("/l1/dashboard", get(dashboard::dashboard))
        .with_state(state)
}

async fn l0() -> Json<Value> {
    Json(
        json!({ "data": { "me": { "id": "VXNlcjowMTk", "email": "l0@bench.example", "displayName": "L0", "role": "MEMBER" } } }),
    )
}

/// What goes wrong in a baseline handler, answered like the GraphQL endpoint would (in words).
pub struct Failure(StatusCode, String);

impl From<AppError> for Failure {
    fn from(error: AppError) -> Self {
        match error {
            AppError::NotFound(what) => Failure(StatusCode::NOT_FOUND, format!("{what} not found")),
            AppError::Unauthenticated { message, .. } => Failure(StatusCode::UNAUTHORIZED, message),
            other => Failure(StatusCode::INTERNAL_SERVER_ERROR, other.to_string()),
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "errors": [{ "message": self.1 }] }))).into_response()
    }
}

/// The same credential check `POST /graphql` makes before it runs a query.
pub async fn viewer(state: &AppState, headers: &HeaderMap) -> Result<Viewer, Failure> {
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    Ok(state.authenticate(authorization).await.viewer()?.clone())
}

/// `{ me { id email displayName role } }`
async fn me(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Value>, Failure> {
    let viewer = viewer(&state, &headers).await?;
    let me = users::find_in_org(&state.db, viewer.org_id, viewer.user_id).await?;
    Ok(Json(json!({ "data": { "me": {
        "id": ids::encode(NodeKind::User, me.id),
        "email": me.email,
        "displayName": me.display_name,
        "role": me.role.to_value(),
    } } })))
}

/// `owner { id displayName }` of each action, read as the `Action.owner` resolvers read them: one
/// batch for all of them.
pub async fn owners(batch: &Batch, actions: &[&action::Model]) -> Result<HashMap<Uuid, Value>, Failure> {
    let mut keys: Vec<UserById> = actions.iter().map(|a| UserById(a.owner_id)).collect();
    keys.sort_by_key(|k| k.0);
    keys.dedup();
    let found = batch.load(&keys).await.map_err(unshare)?;
    Ok(found.into_iter().map(|(key, user)| (key.0, user_json(&user))).collect())
}

fn user_json(user: &user::Model) -> Value {
    json!({ "id": ids::encode(NodeKind::User, user.id), "displayName": user.display_name })
}

/// A loader's error, as the GraphQL endpoint reports it.
pub fn unshare(error: Arc<AppError>) -> Failure {
    match &*error {
        AppError::NotFound(what) => Failure(StatusCode::NOT_FOUND, format!("{what} not found")),
        other => Failure(StatusCode::INTERNAL_SERVER_ERROR, other.to_string()),
    }
}

/// The owner of `action` among those loaded (every action has one in its organization).
pub fn owner_of(owners: &HashMap<Uuid, Value>, action: &action::Model) -> Result<Value, Failure> {
    owners.get(&action.owner_id).cloned().ok_or(Failure(StatusCode::NOT_FOUND, "user not found".into()))
}

/// `node(id: $id) { ... on Action { id title status dueDate owner { id displayName } } }`
async fn action_by_id(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, Failure> {
    let viewer = viewer(&state, &headers).await?;
    let Some((NodeKind::Action, key)) = ids::parse(&id) else {
        return Err(Failure(StatusCode::BAD_REQUEST, format!("`{id}` is not an action ID")));
    };
    let Some(found) = actions::get(&state.db, &viewer, key).await? else {
        return Ok(Json(json!({ "data": { "node": null } })));
    };
    let batch = Batch::new(state.db.clone(), RequestAuth::Authenticated(viewer));
    let owner = owner_of(&owners(&batch, &[&found]).await?, &found)?;
    Ok(Json(json!({ "data": { "node": {
        "id": ids::encode(NodeKind::Action, found.id),
        "title": found.title,
        "status": found.status.to_value(),
        "dueDate": found.due_date.to_string(),
        "owner": owner,
    } } })))
}

/// `overdueActions(first: 50) { edges { node { id title dueDate daysOverdue owner { id displayName } } } }`
async fn overdue_actions(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Value>, Failure> {
    let viewer = viewer(&state, &headers).await?;
    // `totalCount` is not asked for: not counted.
    let page = PageRequest::new(Some(50), None)?.counting(false);
    let page = actions::overdue(&state.db, &viewer, None, None, &page).await?;
    let today = viewer.today();
    let batch = Batch::new(state.db.clone(), RequestAuth::Authenticated(viewer));
    let found: Vec<&action::Model> = page.items.iter().map(|(_, a)| a).collect();
    let owners = owners(&batch, &found).await?;
    let edges = found
        .iter()
        .map(|found| {
            Ok(json!({ "node": {
                "id": ids::encode(NodeKind::Action, found.id),
                "title": found.title,
                "dueDate": found.due_date.to_string(),
                "daysOverdue": actions::days_overdue(found, today),
                "owner": owner_of(&owners, found)?,
            } }))
        })
        .collect::<Result<Vec<_>, Failure>>()?;
    Ok(Json(json!({ "data": { "overdueActions": { "edges": edges } } })))
}
