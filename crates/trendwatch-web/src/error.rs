//! The one error type of the web layer. Readers see a friendly page in their language; the
//! cause of an internal error goes to the log only.

use crate::config::SiteConfig;
use crate::views::{mirror_alternates, Layout};
use askama::Template;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use trendwatch_core::Language;
use trendwatch_store::StoreError;

/// A request that cannot be answered with the page asked for.
#[derive(Debug)]
pub enum WebError {
    /// No such page; rendered in `lang`.
    NotFound(Language, Arc<SiteConfig>),
    /// The request itself is wrong (e.g. a filter that cannot be read); `message` says what
    /// was expected and is shown to the reader.
    BadRequest(Language, Arc<SiteConfig>, String),
    /// A failure on our side; the cause is logged, never shown.
    Internal(Language, Arc<SiteConfig>, String),
    /// The database cannot be reached now (stopped or restarting): 503 with a page saying
    /// the site recovers by itself, and `Retry-After`. The cause is logged, never shown.
    Unavailable(Language, Arc<SiteConfig>, String),
}

impl WebError {
    /// Wraps a storage failure.
    pub fn store(lang: Language, site: &Arc<SiteConfig>, e: StoreError) -> WebError {
        if e.is_unavailable() {
            WebError::Unavailable(lang, site.clone(), e.to_string())
        } else {
            WebError::Internal(lang, site.clone(), e.to_string())
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    l: Layout,
    heading: &'static str,
    message: String,
    /// The request's id, on server errors: a reader's report then names the log lines.
    request_id: Option<String>,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, lang, site, heading, message) = match self {
            WebError::NotFound(lang, site) => {
                let t = crate::i18n::strings(lang);
                (
                    StatusCode::NOT_FOUND,
                    lang,
                    site,
                    t.not_found_title,
                    t.not_found_body.to_string(),
                )
            }
            WebError::BadRequest(lang, site, message) => {
                let t = crate::i18n::strings(lang);
                (
                    StatusCode::BAD_REQUEST,
                    lang,
                    site,
                    t.bad_request_title,
                    message,
                )
            }
            WebError::Internal(lang, site, cause) => {
                tracing::error!(%cause, "internal error while rendering a page");
                let t = crate::i18n::strings(lang);
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    lang,
                    site,
                    t.error_title,
                    t.error_body.to_string(),
                )
            }
            WebError::Unavailable(lang, site, cause) => {
                tracing::warn!(%cause, "the database is unavailable");
                let t = crate::i18n::strings(lang);
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    lang,
                    site,
                    t.unavailable_title,
                    t.unavailable_body.to_string(),
                )
            }
        };
        let request_id = status
            .is_server_error()
            .then(crate::request_id::current)
            .flatten();
        let page = ErrorPage {
            request_id,
            l: Layout::new(
                &site,
                lang,
                heading,
                format!("/{}/", lang.code()),
                mirror_alternates(lang, "/"),
                None,
            ),
            heading,
            message,
        };
        let body = page.render().unwrap_or_else(|_| heading.to_string());
        let mut response = (
            status,
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            body,
        )
            .into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("10"),
            );
        }
        response
    }
}
