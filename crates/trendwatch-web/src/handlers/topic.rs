//! Topic archives ("All trends"): a topic's commentaries by weekly period, newest first, with
//! stable page URLs (`/en/topics/security`, `/en/topics/security/page/2`).

use super::{html, lang_of};
use crate::error::WebError;
use crate::views::{mirror_alternates, topic_url, Card, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

#[derive(Template)]
#[template(path = "topic.html")]
struct TopicPage {
    l: Layout,
    topic_name: String,
    cards: Vec<Card>,
    years: Vec<super::listing::YearLink>,
    page: u64,
    pages: u64,
    newer_url: Option<String>,
    older_url: Option<String>,
}

/// `/{lang}/topics/{topic}`.
pub async fn first_page(
    state: State<AppState>,
    Path((lang, topic)): Path<(String, String)>,
) -> Result<Response, WebError> {
    render(state, lang, topic, 1).await
}

/// `/{lang}/topics/{topic}/page/{n}`; page 1 lives only at the URL without a suffix.
pub async fn page(
    state: State<AppState>,
    Path((lang, topic, n)): Path<(String, String, String)>,
) -> Result<Response, WebError> {
    let l = lang_of(&state, &lang)?;
    match n.parse::<u64>() {
        Ok(n) if n >= 2 => render(state, lang, topic, n).await,
        // Page 1 has one canonical address, without the suffix. The redirect names the
        // topic's own slug, never the raw path segment (which may hold any byte).
        Ok(1) => match state.site.topics.by_slug(&topic) {
            Some(t) => Ok(Redirect::permanent(&topic_url(l, &t.slug, 1)).into_response()),
            None => Err(WebError::NotFound(l, state.site.clone())),
        },
        _ => Err(WebError::NotFound(l, state.site.clone())),
    }
}

async fn render(
    State(state): State<AppState>,
    lang: String,
    topic: String,
    page: u64,
) -> Result<Response, WebError> {
    let lang = lang_of(&state, &lang)?;
    let not_found = || WebError::NotFound(lang, state.site.clone());
    let t = state.site.topics.by_slug(&topic).ok_or_else(not_found)?;
    let listing = trendwatch_store::Listing::Topic(t.slug.clone());
    let result = super::listing::archive_page(&state, lang, &listing, page, |n| {
        topic_url(lang, &t.slug, n)
    })
    .await?;
    let pages = result.pages;
    if page > pages {
        return Err(not_found());
    }
    let path = if page == 1 {
        format!("/topics/{}", t.slug)
    } else {
        format!("/topics/{}/page/{page}", t.slug)
    };
    let topic_name = t.name(lang).to_string();
    let title = if page > 1 {
        format!("{topic_name} — {} {page}", crate::i18n::strings(lang).page)
    } else {
        topic_name.clone()
    };
    let view = TopicPage {
        l: Layout::new(
            &state.site,
            lang,
            &title,
            format!("/{}{}", lang.code(), path),
            // Later pages differ between editions (each paginates its own articles), so
            // every page of a topic offers the other edition's first page of it.
            mirror_alternates(lang, &format!("/topics/{}", t.slug)),
            Some(&t.slug),
        )
        .describe(&format!("{topic_name}: {}", state.site.tagline(lang)))
        .with_feeds(&format!("{}/", topic_url(lang, &t.slug, 1)), &topic_name),
        topic_name,
        cards: crate::views::archive_cards(&result.items, &state.site),
        years: result.years,
        page,
        pages,
        newer_url: (page > 1).then(|| topic_url(lang, &t.slug, page - 1)),
        older_url: (page < pages).then(|| topic_url(lang, &t.slug, page + 1)),
    };
    html(&view, lang, &state)
}
