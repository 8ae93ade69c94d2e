//! The about page; its text comes from the configuration, rendered once at start.

use super::{html, lang_of};
use crate::error::WebError;
use crate::views::{mirror_alternates, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

#[derive(Template)]
#[template(path = "about.html")]
struct AboutPage {
    l: Layout,
    heading: &'static str,
    body_html: String,
}

/// `/{lang}/about`.
pub async fn page(
    State(state): State<AppState>,
    Path(lang): Path<String>,
) -> Result<Response, WebError> {
    let lang = lang_of(&state, &lang)?;
    let t = crate::i18n::strings(lang);
    let body_html =
        trendwatch_core::sanitize::paragraphs_to_html(state.site.about(lang).split("\n\n"));
    let view = AboutPage {
        l: Layout::new(
            &state.site,
            lang,
            t.about,
            format!("/{}/about", lang.code()),
            mirror_alternates(lang, "/about"),
            None,
        ),
        heading: t.about,
        body_html,
    };
    html(&view, lang, &state)
}
