//! What operators watch: `/readyz` (the store answers and the search index is current), and
//! Prometheus metrics — requests and latency by route and status, page-cache hits, the
//! store's generation and how far the search index lags behind it, and the counters the
//! service and the import keep (threading runs, articles imported, digest messages).
//!
//! Metrics go through the `metrics` facade into one process-wide Prometheus recorder
//! ([`prometheus`]); `/metrics` is served on the public listener only with a bearer token
//! (`[metrics] token`), or on a listener of its own (`[metrics] listen`), never openly.

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

/// The process's Prometheus recorder, installed on first use (a process has one global
/// recorder; every site started in it, as in the tests, shares it).
pub fn prometheus() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ])
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            match metrics::set_global_recorder(recorder) {
                Ok(()) => Some(handle),
                Err(e) => {
                    tracing::warn!(error = %e, "metrics: another recorder is installed");
                    None
                }
            }
        })
        .as_ref()
}

/// Middleware: counts each request by route pattern (not by address: one series per
/// route), method and status, and times it. Requests that matched no route count as
/// `unmatched`.
pub async fn record(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let method = req.method().clone();
    let started = Instant::now();
    let response = next.run(req).await;
    count(&route, &method, response.status(), started);
    response
}

/// Counts one answered request of `route` and records its duration since `started` (for
/// [`record`], and for pages the connection answers itself, see [`crate::connection`]).
pub fn count(route: &str, method: &Method, status: StatusCode, started: Instant) {
    let route = route.to_string();
    metrics::counter!("http_requests_total", "route" => route.clone(), "method" => method.as_str().to_string(), "status" => status.as_u16().to_string())
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
}

/// The metrics in Prometheus's text format, with the gauges read at scrape time.
pub async fn render(state: &AppState) -> Response {
    let Some(handle) = prometheus() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "metrics are unavailable").into_response();
    };
    if let Ok(g) = state.store.generation().await {
        metrics::gauge!("store_generation").set(g as f64);
    }
    if let (Ok(text), Some(stamp)) = (
        state.store.text_generation().await,
        state.publisher.search().and_then(|i| i.stamp()),
    ) {
        metrics::gauge!("search_index_generation_lag").set((text - stamp as i64).max(0) as f64);
    }
    let pool = state.store.pool_status();
    metrics::gauge!("store_connections").set(f64::from(pool.size));
    metrics::gauge!("store_connections_in_use").set(f64::from(pool.in_use));
    metrics::gauge!("store_connections_waiting").set(f64::from(pool.waiting));
    let (hits, misses, pages) = state.cache.counts();
    metrics::gauge!("page_cache_pages").set(pages as f64);
    metrics::gauge!("page_cache_hits").set(hits as f64);
    metrics::gauge!("page_cache_misses").set(misses as f64);
    metrics::gauge!("page_bytes_sent_without_copy").set(crate::zero_copy::bytes_sent() as f64);
    (
        [
            (header::CONTENT_TYPE, "text/plain; version=0.0.4"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        handle.render(),
    )
        .into_response()
}

/// `GET /metrics` on the public listener: only with `Authorization: Bearer <[metrics] token>`;
/// 404 when no token is configured (the endpoint is not there).
pub async fn metrics_with_token(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(expected) = state.metrics_token.as_deref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !crate::handlers::api::same_secret(sent, expected) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "a valid metrics token is required",
        )
            .into_response();
    }
    render(&state).await
}

/// `GET /metrics` on the metrics listener (`[metrics] listen`), which only operators reach.
pub async fn metrics_open(State(state): State<AppState>) -> Response {
    render(&state).await
}

/// `GET /readyz`: 200 when the store answers and the search index reflects the store's
/// latest text; 503 otherwise (a node catching up after a publication answers 503 for that
/// moment), with what is wrong, as JSON.
pub async fn ready(State(state): State<AppState>) -> Response {
    let generation = match state.store.text_generation().await {
        Ok(g) => g,
        Err(e) => {
            tracing::warn!(error = %e, "readyz: the store does not answer");
            return readiness(false, "unreachable", "unknown".into());
        }
    };
    let index = match state.publisher.search() {
        None => "unavailable".to_string(),
        Some(i) => match i.stamp() {
            Some(s) if s as i64 == generation => "current".to_string(),
            Some(s) => format!("behind (index {s}, store {generation})"),
            None => "empty".to_string(),
        },
    };
    readiness(index == "current", "ok", index)
}

fn readiness(ready: bool, store: &str, index: String) -> Response {
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(serde_json::json!({
            "ready": ready,
            "store": store,
            "search_index": index,
        })),
    )
        .into_response()
}
