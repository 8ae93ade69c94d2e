//! Request ids: every request gets one, sent back as `X-Request-Id` and carried by every log
//! line written while it is served (a `request{id=…}` span), so a reader's report ("the page
//! failed, id …") leads straight to the log. An id sent by the client is ignored: a log must
//! not be forgeable.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use tracing::Instrument;

/// The next id: a per-process random value mixed with a counter, so ids never repeat within
/// a process and are not guessable across restarts. (No crate needed for 16 hex digits.)
/// The header's name, checked at compile time rather than parsed on every request.
const X_REQUEST_ID: axum::http::HeaderName = axum::http::HeaderName::from_static("x-request-id");

pub(crate) fn next_id() -> HeaderValue {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    static SEED: OnceLock<RandomState> = OnceLock::new();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let h = SEED.get_or_init(RandomState::new).hash_one(n);
    let mut buf = [0u8; 16];
    for (i, b) in buf.iter_mut().enumerate() {
        *b = b"0123456789abcdef"[((h >> (60 - 4 * i)) & 0xf) as usize];
    }
    HeaderValue::from_bytes(&buf).unwrap_or_else(|_| HeaderValue::from_static("0"))
}

/// Middleware, outermost: gives the request its id and adds the id and the security headers
/// to the response. One layer rather than three, and no span here: every layer costs on
/// every cached page (measured: tower-http's request-id, trace and propagation layers took a
/// third of the cached article page's throughput).
pub async fn layer(mut req: Request, next: Next) -> Response {
    let id = next_id();
    req.headers_mut().insert(X_REQUEST_ID, id.clone());
    let mut resp = next.run(req).await;
    crate::security_headers::add(&mut resp);
    resp.headers_mut().insert(X_REQUEST_ID, id);
    resp
}

tokio::task_local! {
    /// The id of the request being served, for the error page to show it.
    static CURRENT: String;
}

/// The id of the request this task is serving, if any (error pages show it, so that a
/// reader's report names the log lines).
pub fn current() -> Option<String> {
    CURRENT.try_with(Clone::clone).ok()
}

/// Middleware inside the page cache (so a page answered from memory, which logs nothing,
/// costs no span): serves the request inside a `request{id=…}` span, so every log line
/// written meanwhile names the request.
pub async fn span(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_string();
    let span = tracing::info_span!("request", id = id.as_str());
    CURRENT.scope(id, next.run(req).instrument(span)).await
}
