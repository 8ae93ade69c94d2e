//! The storyline page: a trend followed week by week, with its markers, first and last week,
//! latest status, topics and related storylines.

use super::{html, lang_of};
use crate::error::WebError;
use crate::views::{storyline_url, Card, Layout, Marker, StorylineCard};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use trendwatch_core::Language;

#[derive(Template)]
#[template(path = "storyline.html")]
struct StorylinePage {
    l: Layout,
    title: String,
    topics: String,
    first_label: String,
    last_label: String,
    latest: Marker,
    /// "Showing the latest 104 of 250 commentaries", when the timeline is cut.
    truncated: Option<String>,
    timeline: Vec<Card>,
    related: Vec<StorylineCard>,
    recent: Vec<StorylineCard>,
}

/// `/{lang}/storylines/{id}`.
pub async fn page(
    State(state): State<AppState>,
    Path((lang, id)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let lang = lang_of(&state, &lang)?;
    let not_found = || WebError::NotFound(lang, state.site.clone());
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let err = |e| WebError::store(lang, &state.site, e);
    let detail = state
        .store
        .storyline(id, lang)
        .await
        .map_err(err)?
        .ok_or_else(not_found)?;
    let related = state
        .store
        .related_storylines(id, lang, 5)
        .await
        .map_err(err)?;
    let recent = state.store.recent_storylines(lang, 5).await.map_err(err)?;
    // Other languages have this storyline only if it has articles in them.
    let mut alternates = Vec::new();
    for other in Language::ALL.into_iter().filter(|l| *l != lang) {
        if state
            .store
            .storyline_summary(id, other)
            .await
            .map_err(err)?
            .is_some()
        {
            alternates.push(crate::views::Alternate {
                code: other.code(),
                name: other.native_name(),
                url: storyline_url(other, id),
            });
        }
    }
    let s = &detail.summary;
    let card = StorylineCard::new(s, lang, &state.site);
    let view = StorylinePage {
        l: Layout::new(
            &state.site,
            lang,
            &s.title,
            storyline_url(lang, id),
            alternates,
            s.topics.first().map(String::as_str),
        ),
        title: s.title.clone(),
        topics: card.topics,
        first_label: s.first.label(lang),
        last_label: s.last.label(lang),
        latest: Marker::new(s.latest_status, lang),
        truncated: (s.articles > detail.articles.len() as u64).then(|| match lang {
            Language::En => format!(
                "Showing the latest {} of {}.",
                detail.articles.len(),
                crate::views::commentaries(s.articles, lang)
            ),
            Language::Ru => format!(
                "Показаны последние {} из {}.",
                detail.articles.len(),
                crate::views::commentaries(s.articles, lang)
            ),
        }),
        timeline: detail
            .articles
            .iter()
            .map(|a| Card::new(a, &state.site))
            .collect(),
        related: related
            .iter()
            .map(|r| StorylineCard::new(r, lang, &state.site))
            .collect(),
        recent: recent
            .iter()
            .map(|r| StorylineCard::new(r, lang, &state.site))
            .collect(),
    };
    html(&view, lang, &state)
}
