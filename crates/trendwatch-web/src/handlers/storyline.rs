//! The storyline page: a trend followed week by week, with its markers, first and last week,
//! latest status, topics and related storylines. A storyline followed for years is paginated
//! (`/en/storylines/12` holds the latest commentaries, `/en/storylines/12/page/2` those
//! before them), so every commentary is reachable.

use super::{html, lang_of};
use crate::error::WebError;
use crate::views::{storyline_url, Card, Layout, Marker, StorylineCard};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use trendwatch_core::Language;
use trendwatch_store::STORYLINE_PAGE_ARTICLES;

#[derive(Template)]
#[template(path = "storyline.html")]
struct StorylinePage {
    l: Layout,
    title: String,
    topics: String,
    first_label: String,
    last_label: String,
    latest: Marker,
    /// "Commentaries 1–104 of 250", when the timeline has several pages.
    truncated: Option<String>,
    timeline: Vec<Card>,
    page: u64,
    pages: u64,
    /// The page of later commentaries, and of earlier ones.
    newer_url: Option<String>,
    older_url: Option<String>,
    related: Vec<StorylineCard>,
    recent: Vec<StorylineCard>,
}

/// The address of page `page` of a storyline (page 1 has no suffix).
fn page_url(lang: Language, id: i64, page: u64) -> String {
    if page <= 1 {
        storyline_url(lang, id)
    } else {
        format!("{}/page/{page}", storyline_url(lang, id))
    }
}

/// `/{lang}/storylines/{id}`: the latest commentaries.
pub async fn first_page(
    state: State<AppState>,
    Path((lang, id)): Path<(String, String)>,
) -> Result<Response, WebError> {
    render(state, lang, id, 1).await
}

/// `/{lang}/storylines/{id}/page/{n}`: earlier commentaries; page 1 lives only at the URL
/// without a suffix.
pub async fn page(
    state: State<AppState>,
    Path((lang, id, n)): Path<(String, String, String)>,
) -> Result<Response, WebError> {
    let l = lang_of(&state, &lang)?;
    match (id.parse::<i64>(), n.parse::<u64>()) {
        (Ok(_), Ok(n)) if n >= 2 => render(state, lang, id, n).await,
        // The redirect names the parsed id, never the raw path segment.
        (Ok(id), Ok(1)) => Ok(Redirect::permanent(&storyline_url(l, id)).into_response()),
        _ => Err(WebError::NotFound(l, state.site.clone())),
    }
}

async fn render(
    State(state): State<AppState>,
    lang: String,
    id: String,
    page: u64,
) -> Result<Response, WebError> {
    let lang = lang_of(&state, &lang)?;
    let not_found = || WebError::NotFound(lang, state.site.clone());
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let err = |e| WebError::store(lang, &state.site, e);
    let detail = state
        .store
        .storyline_page(id, lang, page)
        .await
        .map_err(err)?
        .ok_or_else(not_found)?;
    let pages = detail
        .summary
        .articles
        .div_ceil(STORYLINE_PAGE_ARTICLES)
        .max(1);
    if page > pages {
        return Err(not_found());
    }
    let related = state
        .store
        .related_storylines(id, lang, 5)
        .await
        .map_err(err)?;
    let recent = state
        .cache
        .recent_storylines(&*state.store, lang, 5)
        .await
        .map_err(err)?;
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
    // Page 1 holds the latest commentaries: they are numbered from the oldest, so page
    // `page` shows numbers `first..=last` of `total`.
    let total = s.articles;
    let last = total.saturating_sub((page - 1) * STORYLINE_PAGE_ARTICLES);
    let first = last.saturating_sub(detail.articles.len() as u64) + 1;
    let page_title = if page > 1 {
        format!("{} — {} {page}", s.title, crate::i18n::strings(lang).page)
    } else {
        s.title.clone()
    };
    let view = StorylinePage {
        l: Layout::new(
            &state.site,
            lang,
            &page_title,
            page_url(lang, id, page),
            alternates,
            s.topics.first().map(String::as_str),
        )
        .describe(&format!(
            "{}: {} — {}",
            s.title,
            s.first.label(lang),
            s.last.label(lang)
        ))
        .with_feeds(&format!("{}/", storyline_url(lang, id)), &s.title),
        title: s.title.clone(),
        topics: card.topics,
        first_label: s.first.label(lang),
        last_label: s.last.label(lang),
        latest: Marker::new(s.latest_status, lang),
        truncated: (pages > 1).then(|| match lang {
            Language::En => format!("Commentaries {first}–{last} of {}, oldest first.", total),
            Language::Ru => format!(
                "Комментарии {first}–{last} из {}, от ранних к поздним.",
                total
            ),
        }),
        page,
        pages,
        newer_url: (page > 1).then(|| page_url(lang, id, page - 1)),
        older_url: (page < pages).then(|| page_url(lang, id, page + 1)),
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
