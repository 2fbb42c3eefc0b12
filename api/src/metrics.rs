//! Prometheus metrics at `/metrics`: requests and their latency, GraphQL errors by code, open
//! subscriptions, the database pool and the heap.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::state::AppState;

/// Latency buckets, in seconds: from a cached lookup to a slow report.
const LATENCY_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

/// The process-wide recorder; installed once, whatever number of servers the process runs.
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full("hindsight_http_request_duration_seconds".into()), LATENCY_BUCKETS)
            .expect("static buckets are valid")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may be installed already (an embedding program's): ours still renders.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Starts recording; call before serving.
pub fn install() {
    handle();
}

/// Counts and times every HTTP request by route and status.
pub async fn track(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_owned();
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("route", route), ("method", method), ("status", status)];
    metrics::counter!("hindsight_http_requests_total", &labels).increment(1);
    metrics::histogram!("hindsight_http_request_duration_seconds", &labels).record(started.elapsed().as_secs_f64());
    response
}

/// Counts a GraphQL error by its code.
pub fn graphql_error(code: &str) {
    metrics::counter!("hindsight_graphql_errors_total", "code" => code.to_owned()).increment(1);
}

/// `GET /metrics`, in the Prometheus text format.
pub fn render(state: &AppState) -> Response {
    metrics::gauge!("hindsight_subscriptions").set(state.hub.subscribers() as f64);
    let (size, idle) = pool(state);
    metrics::gauge!("hindsight_db_pool_connections").set(f64::from(size));
    metrics::gauge!("hindsight_db_pool_idle_connections").set(idle as f64);
    if let Some(heap) = crate::memory::Heap::now() {
        metrics::gauge!("hindsight_heap_allocated_bytes").set(heap.allocated as f64);
        metrics::gauge!("hindsight_heap_resident_bytes").set(heap.resident as f64);
    }
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], handle().render()).into_response()
}

fn pool(state: &AppState) -> (u32, usize) {
    if crate::db::is_postgres(&state.db) {
        let pool = state.db.get_postgres_connection_pool();
        (pool.size(), pool.num_idle())
    } else {
        let pool = state.db.get_sqlite_connection_pool();
        (pool.size(), pool.num_idle())
    }
}
