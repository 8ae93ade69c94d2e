//! The page cache: every successful GET of a page is rendered once, kept in memory with its
//! ETag, and answered from memory (or with 304 Not Modified) until content changes.
//!
//! Content changes are noticed through the store's generation number, polled by
//! [`watch_generation`]. Polling rather than in-process notification means an import run
//! from the CLI in another process, or (later) a write on another web node sharing one
//! PostgreSQL, is picked up within one poll interval.

use crate::AppState;
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Largest page body kept (bigger pages are served uncached).
const MAX_BODY: usize = 2 * 1024 * 1024;
/// Most bytes of pages kept; the cache is emptied when full, which bounds memory against
/// crawlers requesting endless distinct URLs (query strings make every URL distinct).
const MAX_BYTES: usize = 48 * 1024 * 1024;

/// A rendered page.
#[derive(Debug)]
pub struct CachedPage {
    etag: HeaderValue,
    content_type: HeaderValue,
    cache_control: HeaderValue,
    body: Bytes,
}

/// Pages by path and query, valid for one content generation.
#[derive(Debug, Default)]
pub struct PageCache {
    pages: RwLock<HashMap<String, Arc<CachedPage>>>,
    bytes: AtomicU64,
    generation: AtomicI64,
    /// Bumped on every clear, so a render that started before a clear is not stored after it.
    epoch: AtomicU64,
}

impl PageCache {
    /// Drops every page, e.g. after content was written in this process.
    pub fn clear(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut pages) = self.pages.write() {
            pages.clear();
            self.bytes.store(0, Ordering::SeqCst);
        }
    }

    /// Records the store's generation, clearing the cache if it moved on.
    pub fn observe_generation(&self, generation: i64) {
        if self.generation.swap(generation, Ordering::SeqCst) != generation {
            self.clear();
        }
    }

    fn get(&self, key: &str) -> Option<Arc<CachedPage>> {
        self.pages.read().ok()?.get(key).cloned()
    }

    fn put(&self, key: String, epoch: u64, page: Arc<CachedPage>) {
        if let Ok(mut pages) = self.pages.write() {
            if self.epoch.load(Ordering::SeqCst) != epoch {
                return;
            }
            let key_len = key.len() as u64;
            let size = page.body.len() as u64 + key_len;
            if self.bytes.load(Ordering::SeqCst) + size > MAX_BYTES as u64 {
                pages.clear();
                self.bytes.store(0, Ordering::SeqCst);
            }
            self.bytes.fetch_add(size, Ordering::SeqCst);
            if let Some(old) = pages.insert(key, page) {
                self.bytes
                    .fetch_sub(old.body.len() as u64 + key_len, Ordering::SeqCst);
            }
        }
    }

    /// Number of pages held.
    pub fn len(&self) -> usize {
        self.pages.read().map(|p| p.len()).unwrap_or(0)
    }

    /// Whether no page is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Polls the store's generation every `every` and clears the cache when it changed.
pub async fn watch_generation(state: AppState, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match state.store.generation().await {
            Ok(g) => state.cache.observe_generation(g),
            Err(e) => tracing::warn!(error = %e, "cannot read the content generation"),
        }
    }
}

fn etag_for(body: &[u8]) -> HeaderValue {
    let mut h = DefaultHasher::new();
    body.hash(&mut h);
    HeaderValue::from_str(&format!("\"{:016x}-{:x}\"", h.finish(), body.len()))
        .unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

fn matches_etag(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().trim_start_matches("W/"))
        .any(|v| v == "*" || v.as_bytes() == etag.as_bytes())
}

fn respond(page: &CachedPage, req_headers: &HeaderMap) -> Response {
    let not_modified = matches_etag(req_headers, &page.etag);
    let mut resp = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        Response::new(Body::from(page.body.clone()))
    };
    let h = resp.headers_mut();
    h.insert(header::ETAG, page.etag.clone());
    h.insert(header::CACHE_CONTROL, page.cache_control.clone());
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if !not_modified {
        h.insert(header::CONTENT_TYPE, page.content_type.clone());
    }
    resp
}

/// Middleware: answers GET and HEAD from the cache, fills it on a miss with successful
/// responses, and adds ETag and Cache-Control. Errors and redirects pass through uncached.
pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // Only GET and HEAD are answered from the cache (the API is a separate router, outside
    // this layer).
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return next.run(req).await;
    }
    let key = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    if let Some(page) = state.cache.get(&key) {
        return respond(&page, req.headers());
    }
    let epoch = state.cache.epoch.load(Ordering::SeqCst);
    let req_headers = req.headers().clone();
    let resp = next.run(req).await;
    if resp.status() != StatusCode::OK {
        return resp;
    }
    // A page too large to keep (or of unknown length) is served as it is, uncached: the
    // body is never cut or replaced by an error.
    let fits = axum::body::HttpBody::size_hint(resp.body())
        .upper()
        .is_some_and(|n| n <= MAX_BODY as u64);
    if !fits {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static("text/html; charset=utf-8"));
    let body = match to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "page body could not be buffered");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let cache_control = parts
        .headers
        .get(header::CACHE_CONTROL)
        .cloned()
        .unwrap_or_else(|| state.cache_control.clone());
    let page = Arc::new(CachedPage {
        etag: etag_for(&body),
        content_type,
        cache_control,
        body,
    });
    state.cache.put(key, epoch, page.clone());
    respond(&page, &req_headers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use tower::ServiceExt;

    /// I1: a page over the cache's size limit is served whole, uncached, never as an empty 500.
    #[tokio::test]
    async fn i1_large_page_served_uncached() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store: Arc<dyn trendwatch_store::Store> =
            Arc::new(trendwatch_sqlite::SqliteStore::open(dir.path()).expect("store"));
        let state = AppState::new(store, crate::SiteConfig::default());
        let big = "x".repeat(MAX_BODY + 1);
        let page = big.clone();
        let app = axum::Router::new()
            .route("/big", get(move || async move { page }))
            .route("/small", get(|| async { "small" }))
            .layer(axum::middleware::from_fn_with_state(state.clone(), layer))
            .with_state(state.clone());
        for _ in 0..2 {
            let resp = app
                .clone()
                .oneshot(Request::get("/big").body(Body::empty()).expect("request"))
                .await
                .expect("response");
            assert_eq!(resp.status(), StatusCode::OK);
            let body = to_bytes(resp.into_body(), usize::MAX).await.expect("body");
            assert_eq!(body.len(), big.len());
        }
        let resp = app
            .oneshot(Request::get("/small").body(Body::empty()).expect("request"))
            .await
            .expect("response");
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(state.cache.len(), 1, "only the small page is kept");
    }
}
