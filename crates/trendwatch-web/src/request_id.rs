//! Request ids: every request gets one, sent back as `X-Request-Id` and carried by every log
//! line written while it is served, so a reader's report ("the page failed, id …") leads
//! straight to the log. An id sent by the client is replaced: a log must not be forgeable.

use axum::extract::Request;
use axum::http::HeaderValue;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tower_http::request_id::{MakeRequestId, RequestId};

/// Makes ids: a per-process random value mixed with a counter, so ids never repeat within a
/// process and are not guessable across restarts. (No crate needed for 16 hex digits.)
#[derive(Clone, Default)]
pub struct MakeId {
    next: Arc<AtomicU64>,
    seed: RandomState,
}

impl MakeRequestId for MakeId {
    fn make_request_id<B>(&mut self, _req: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let id = format!("{:016x}", self.seed.hash_one(n));
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

/// The logging span of a request: method, path (without the query, which may hold a
/// reader's search) and id.
pub fn span(req: &Request) -> tracing::Span {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("request", id, method = %req.method(), path = %req.uri().path())
}

/// Removes an `X-Request-Id` the client sent, so the server's own id is always used.
pub async fn drop_client_id(mut req: Request) -> Request {
    req.headers_mut().remove("x-request-id");
    req
}
