//! The stylesheet (embedded in the binary, served with a content-hashed URL so it can be
//! cached for a year), the site icon and the health check.

use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::response::Response;
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

/// `GET /uploads/{name}`: an image uploaded from the desk. Only names the upload gave
/// (random, with the extension of the kind it checked) are looked up; the type comes from
/// that kind, and the name never changes, so browsers may keep it for a year.
pub async fn upload(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    let (Some(kind), Some(dir)) = (crate::uploads::is_upload_name(&name), &state.uploads_dir)
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let path = dir.join(&name);
    match tokio::task::spawn_blocking(move || std::fs::read(path)).await {
        Ok(Ok(bytes)) => (
            [
                (header::CONTENT_TYPE, kind.content_type()),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            bytes,
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}
