//! One module per page; each renders the template of the same name in `templates/`.

pub mod about;
pub mod api;
pub mod article;
pub mod assets;
pub mod desk;
pub mod desk_articles;
pub mod desk_digest;
pub mod desk_reset;
pub mod dynamics;
pub mod feeds;
pub mod home;
pub mod listing;
pub mod newsletter;
pub mod public_api;
pub mod search;
pub mod sitemap;
pub mod storyline;
pub mod topic;
pub mod track_record;
pub mod week;

use crate::error::WebError;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{header, Uri};
use axum::response::{IntoResponse, Response};
use trendwatch_core::Language;

/// Parses the language prefix of a URL; an unknown one is a 404 (in English).
pub fn lang_of(state: &AppState, code: &str) -> Result<Language, WebError> {
    match code {
        "en" => Ok(Language::En),
        "ru" => Ok(Language::Ru),
        _ => Err(WebError::NotFound(Language::En, state.site.clone())),
    }
}

/// Renders a page template into an HTML response.
pub fn html<T: Template>(page: &T, lang: Language, state: &AppState) -> Result<Response, WebError> {
    let body = page
        .render()
        .map_err(|e| WebError::Internal(lang, state.site.clone(), format!("template: {e}")))?;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response())
}

/// The friendly 404 for any unknown address, in the language of its prefix, unless the
/// address is one an imported article had on the old site (`/2017/08/07/slug/`): then a
/// permanent redirect to the article.
pub async fn not_found(State(state): State<AppState>, uri: Uri) -> Response {
    if let Some(to) = legacy_redirect(&state, uri.path()).await {
        return to;
    }
    let lang = if uri.path().starts_with("/ru") {
        Language::Ru
    } else {
        Language::En
    };
    WebError::NotFound(lang, state.site.clone()).into_response()
}

/// The permanent redirect of an old site's address (see
/// [`trendwatch_store::Store::legacy_target`]), if an imported article had it.
pub async fn legacy_redirect(state: &AppState, path: &str) -> Option<Response> {
    // Paths of the public site's own shape are never legacy addresses: no lookup for them.
    if path.len() > 1024 || path.starts_with("/en/") || path.starts_with("/ru/") {
        return None;
    }
    let with_slash = if path.ends_with('/') || path.starts_with("/?") {
        None
    } else {
        Some(format!("{path}/"))
    };
    for candidate in std::iter::once(path.to_string()).chain(with_slash) {
        match state.store.legacy_target(&candidate).await {
            Ok(Some((lang, slug))) => {
                return Some(
                    axum::response::Redirect::permanent(&crate::views::article_url(lang, &slug))
                        .into_response(),
                )
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!(error = %e, "legacy address not looked up");
                return None;
            }
        }
    }
    None
}
