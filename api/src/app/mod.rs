//! The HTTP server: router, WebSocket sessions and lifecycle.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use crate::config::Config;
use anyhow::Context as _;
use async_graphql::http::WebSocketProtocols;
use async_graphql_axum::{GraphQLBatchRequest, GraphQLResponse};
use axum::Router;
use axum::extract::{ConnectInfo, Path, Query, State, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::auth::cookie::SessionCookie;
use crate::error::AppError;
use crate::graphql::{self, AppSchema};
use crate::state::AppState;
use crate::{db, events};

mod graphiql;
pub mod socket;

#[derive(Clone)]
struct Server {
    state: AppState,
    schema: AppSchema,
    /// Turns true when the server is shutting down: open WebSockets close.
    stopping: watch::Receiver<bool>,
}

/// The routes, plus `extra` ones behind the same layers; serve them with connect info (the client
/// address limits failed sign-ins).
fn router(state: AppState, stopping: watch::Receiver<bool>, extra: Router) -> Router {
    let schema = graphql::build_schema(state.clone());
    let cors = cors_layer(&state.config);
    let max_body = state.config.max_body_bytes;
    let mut router = Router::new()
        .route("/graphql", get(graphql_get).post(graphql_http))
        .route("/graphql/ws", get(graphql_ws))
        .route("/graphiql/{version}/{file}", get(graphiql_asset).layer(CompressionLayer::new()))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/unsubscribe", get(unsubscribe_page).post(unsubscribe))
        .with_state(Server { state, schema, stopping })
        .merge(extra)
        .route_layer(axum::middleware::from_fn(crate::metrics::track))
        .layer(RequestBodyLimitLayer::new(max_body))
        .layer(TraceLayer::new_for_http())
        // Every answer carries the request's ID (the client's `x-request-id`, or a new one).
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid));
    if let Some(cors) = cors {
        router = router.layer(cors);
    }
    router
}

/// Cross-origin calls from the configured front-end origins, with the configured request
/// headers; the request ID is readable by them.
fn cors_layer(config: &Config) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> =
        config.cors_origins.iter().filter_map(|origin| HeaderValue::from_str(origin.trim()).ok()).collect();
    if origins.is_empty() {
        return None;
    }
    let headers: Vec<header::HeaderName> =
        config.cors_allow_headers.iter().filter_map(|h| header::HeaderName::try_from(h.trim()).ok()).collect();
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
            .allow_headers(headers)
            .expose_headers([header::HeaderName::from_static("x-request-id")])
            .allow_credentials(config.session_cookie)
            .max_age(config.cors_max_age),
    )
}

/// `GET /unsubscribe?token=…`: the one-click unsubscribe page of an email (see `mail::unsubscribe`).
async fn unsubscribe_page(
    State(server): State<Server>,
    Query(link): Query<crate::mail::unsubscribe::Link>,
) -> Response {
    crate::mail::unsubscribe::confirm_page(&server.state, &link)
}

/// `POST /unsubscribe?token=…`: unsubscribes (RFC 8058 one-click).
async fn unsubscribe(State(server): State<Server>, Query(link): Query<crate::mail::unsubscribe::Link>) -> Response {
    crate::mail::unsubscribe::unsubscribe(&server.state, &link).await
}

/// `GET /graphql`: runs a query given in the query string (the GraphQL-over-HTTP convention;
/// mutations are refused with 405), or shows GraphiQL to a browser asking for a page.
async fn graphql_get(
    State(server): State<Server>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let parameters = uri.query().unwrap_or_default();
    let wants_page = headers
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_page && !parameters.split('&').any(|p| p.starts_with("query=") || p.starts_with("extensions=")) {
        return graphiql(State(server)).await;
    }
    let bad_request = |refused: AppError| {
        let answer = async_graphql::Response::from_errors(vec![graphql::server_error(refused)]);
        (StatusCode::BAD_REQUEST, GraphQLResponse::from(answer)).into_response()
    };
    let request = match async_graphql::http::parse_query_string(parameters) {
        Ok(request) if request.query.is_empty() && !request.extensions.contains_key("persistedQuery") => {
            return bad_request(AppError::invalid("query", "a GET request carries its query in the `query` parameter"));
        }
        Ok(request) => request.data(graphql::HttpGet),
        Err(error) => {
            return bad_request(AppError::bad_input(format!("the query string is not a GraphQL request: {error}")));
        }
    };
    let answer = execute(&server, peer, &headers, async_graphql::BatchRequest::Single(request)).await;
    let errors = match &answer {
        async_graphql::BatchResponse::Single(response) => response.errors.as_slice(),
        async_graphql::BatchResponse::Batch(_) => &[],
    };
    let refused = errors.iter().any(|e| {
        matches!(e.extensions.as_ref().and_then(|x| x.get("code")), Some(async_graphql::Value::String(code)) if code == "METHOD_NOT_ALLOWED")
    });
    let mut response = GraphQLResponse::from(answer).into_response();
    if refused {
        *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    response
}

async fn graphiql(State(server): State<Server>) -> Response {
    if !server.state.config.graphiql {
        return (StatusCode::NOT_FOUND, "GraphiQL is disabled on this server").into_response();
    }
    graphiql::page()
}

async fn graphiql_asset(State(server): State<Server>, path: Path<(String, String)>) -> Response {
    if !server.state.config.graphiql {
        return StatusCode::NOT_FOUND.into_response();
    }
    graphiql::asset(path).await
}

async fn graphql_http(
    State(server): State<Server>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    request: GraphQLBatchRequest,
) -> GraphQLResponse {
    let batch = request.into_inner();
    let max_batch = server.state.config.max_batch;
    if let async_graphql::BatchRequest::Batch(requests) = &batch
        && requests.len() > max_batch
    {
        return graphql::batch_too_large(max_batch).into();
    }
    execute(&server, peer, &headers, batch).await.into()
}

/// Runs a request (or batch) that came over HTTP, as the bearer of its `Authorization` header.
async fn execute(
    server: &Server,
    peer: SocketAddr,
    headers: &HeaderMap,
    batch: async_graphql::BatchRequest,
) -> async_graphql::BatchResponse {
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let auth = server.state.authenticate(authorization).await;
    let config = &server.state.config;
    let cookie =
        SessionCookie::of_request(config.session_cookie, config.refresh_token_ttl, headers, &config.cors_origins);
    let batch = batch
        .data(auth)
        .data(graphql::CredentialBudget::default())
        .data(graphql::ClientAddress(peer.ip()))
        .data(cookie);
    server.schema.execute_batch(batch).await
}

async fn graphql_ws(
    State(server): State<Server>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let protocol = headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|value| value.to_str().ok())
        .and_then(|offered| offered.split(',').find_map(|p| p.trim().parse::<WebSocketProtocols>().ok()));
    let Some(protocol) = protocol else {
        return (StatusCode::BAD_REQUEST, "offer the graphql-transport-ws or graphql-ws subprotocol").into_response();
    };
    // A message may be as large as a request body over HTTP, and no larger.
    let max_message = server.state.config.max_body_bytes;
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(max_message)
        .max_frame_size(max_message)
        .on_upgrade(move |socket| {
            let client = socket::Client { protocol, address: peer.ip() };
            socket::serve(socket, server.schema, client, server.state, server.stopping)
        })
}

async fn metrics(State(server): State<Server>) -> Response {
    crate::metrics::render(&server.state)
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(server): State<Server>) -> Response {
    match db::ping(&server.state.db).await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// How long open WebSockets get to close when the server stops.
const SOCKET_CLOSE_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// A bound, ready-to-serve server.
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Connects, migrates and binds the listener (port 0 picks a free port: tests use that).
    /// The binary seeds the demo organization (`--demo`) between connecting and binding.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        Self::bind(AppState::connect(config).await?).await
    }

    /// Binds the configured address for an already connected state.
    pub async fn bind(state: AppState) -> anyhow::Result<Self> {
        let bind = state.config.bind;
        let listener = TcpListener::bind(bind).await.with_context(|| format!("cannot listen on {bind}"))?;
        Ok(Self { listener, state })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish and closes open
    /// WebSockets with a close frame (1001, going away).
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        self.serve(Router::new(), shutdown).await
    }

    /// Like [`Self::run_until`], also serving `extra` routes next to the API's, behind the same
    /// layers (the benchmark mounts its baseline handlers this way).
    #[cfg(feature = "bench")]
    pub async fn run_until_with(
        self,
        extra: Router,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        self.serve(extra, shutdown).await
    }

    async fn serve(self, extra: Router, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let addr = self.local_addr();
        crate::metrics::install();
        let state = &self.state;
        let scanner = events::scanner::spawn(
            state.db.clone(),
            state.hub.clone(),
            state.clock.clone(),
            state.config.scan_interval,
        );
        let forgetting = crate::auth::throttle::spawn_forgetting(state.db.clone(), state.config.auth_limits());
        let webhooks = crate::webhooks::spawn(state.clone(), state.hub.clone());
        let mail = crate::mail::spawn(state.clone());
        tracing::info!("Hindsight listening on http://{addr} (GraphiQL at http://{addr}/graphql)");
        let (stop, stopping) = watch::channel(false);
        let app = router(self.state, stopping, extra).into_make_service_with_connect_info::<SocketAddr>();
        let stop = Arc::new(stop);
        let signal = stop.clone();
        let shutdown = async move {
            shutdown.await;
            signal.send_replace(true);
        };
        let served = axum::serve(self.listener, app).with_graceful_shutdown(shutdown).await;
        scanner.abort();
        forgetting.abort();
        webhooks.abort();
        if let Some(mail) = mail {
            mail.abort();
        }
        // Upgraded sockets outlive the HTTP server: give them a moment to send their close frames.
        let deadline = tokio::time::Instant::now() + SOCKET_CLOSE_GRACE;
        while stop.receiver_count() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        served
    }

    /// Serves until Ctrl-C or SIGTERM.
    pub async fn run(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
