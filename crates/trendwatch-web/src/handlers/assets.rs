//! The stylesheet (embedded in the binary, served with a content-hashed URL so it can be
//! cached for a year) and the health check.

use axum::http::header;
use axum::response::IntoResponse;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::OnceLock;

const CSS: &str = include_str!("../../assets/style.css");

/// `/static/style.css?v=<hash>`: changes whenever the stylesheet does.
pub fn css_url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let mut h = DefaultHasher::new();
        CSS.hash(&mut h);
        format!("/static/style.css?v={:08x}", h.finish() as u32)
    })
    .clone()
}

/// `/static/style.css`.
pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        CSS,
    )
}

/// `/healthz`: the process answers.
pub async fn health() -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "no-store")], "ok")
}
