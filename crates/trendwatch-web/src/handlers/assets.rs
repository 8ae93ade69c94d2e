//! The stylesheet (embedded in the binary, served with a content-hashed URL so it can be
//! cached for a year), the site icon and the health check.

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

const FAVICON: &str = include_str!("../../assets/favicon.svg");

/// `/favicon.svg`: the site icon (a rising line with a marker), linked from every page.
pub async fn favicon() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        FAVICON,
    )
}

/// `/favicon.ico`, which browsers and feed readers ask for without looking at the page: the
/// same icon.
pub async fn favicon_ico() -> impl IntoResponse {
    axum::response::Redirect::permanent("/favicon.svg")
}

/// `/healthz`: the process answers.
pub async fn health() -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "no-store")], "ok")
}
