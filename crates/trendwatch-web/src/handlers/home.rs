//! The home page: the latest week across all topics, then recent trends.

use super::{html, lang_of};
use crate::error::WebError;
use crate::views::{mirror_alternates, topic_url, week_url, Card, Layout, StorylineCard};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use trendwatch_core::{Language, Period};

/// One topic's line on the home page and the weekly overview.
pub struct TopicRow {
    pub topic_name: String,
    pub topic_url: String,
    pub card: Option<Card>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    l: Layout,
    /// "This week" when the latest commentaries are of the current week, else "Latest week".
    heading: &'static str,
    period_label: String,
    period_url: String,
    rows: Vec<TopicRow>,
    alerts: Vec<Card>,
    recent: Vec<StorylineCard>,
}

/// `/`: sends the reader to the edition their browser prefers; an old WordPress address
/// (`/?p=123`) of an imported post goes to its article, permanently.
pub async fn root(
    State(state): State<AppState>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    if let Some(query) = uri.query() {
        if let Some(to) = super::legacy_redirect(&state, &format!("/?{query}")).await {
            return to;
        }
    }
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let pos = |code: &str| accept.find(code).unwrap_or(usize::MAX);
    let lang = if pos("ru") < pos("en") {
        Language::Ru
    } else {
        Language::En
    };
    let mut resp = Redirect::to(&format!("/{}/", lang.code())).into_response();
    resp.headers_mut().insert(
        header::VARY,
        header::HeaderValue::from_static("Accept-Language"),
    );
    resp
}

/// `/en` → `/en/`.
pub async fn redirect_to_slash(
    State(state): State<AppState>,
    Path(lang): Path<String>,
) -> Result<Redirect, WebError> {
    let lang = lang_of(&state, &lang)?;
    Ok(Redirect::permanent(&format!("/{}/", lang.code())))
}

/// Builds the per-topic rows of one week: every configured topic, with its commentary if any.
pub fn topic_rows(
    state: &AppState,
    lang: Language,
    cards: &[Card],
    slugs: &[String],
) -> Vec<TopicRow> {
    state
        .site
        .topics
        .iter()
        .map(|t| TopicRow {
            topic_name: t.name(lang).to_string(),
            topic_url: topic_url(lang, &t.slug, 1),
            card: slugs
                .iter()
                .position(|s| *s == t.slug)
                .map(|i| cards[i].clone()),
        })
        .collect()
}

/// `/{lang}/`.
pub async fn page(
    State(state): State<AppState>,
    Path(lang): Path<String>,
) -> Result<Response, WebError> {
    let lang = lang_of(&state, &lang)?;
    let err = |e| WebError::store(lang, &state.site, e);
    let latest = state.store.latest_period(lang).await.map_err(err)?;
    // The page cache is emptied when a new week begins (`cache::observe_week`), so this
    // heading never outlives its week.
    // "This week's" commentaries review the last full week (`Period::reviewed_on`); one filed
    // for the running week counts too.
    let today = time::OffsetDateTime::now_utc().date();
    let current = |p: Period| p == Period::reviewed_on(today) || p == Period::containing(today);
    let heading = if latest.is_none_or(current) {
        crate::i18n::strings(lang).this_week
    } else {
        crate::i18n::strings(lang).latest_week
    };
    let (period_label, period_url, rows, alerts) = match latest {
        Some(p) => {
            let week = state.store.week(lang, p).await.map_err(err)?;
            let cards: Vec<Card> = week.iter().map(|a| Card::new(a, &state.site)).collect();
            let slugs: Vec<String> = week.iter().map(|a| a.topic.clone()).collect();
            let alerts = cards
                .iter()
                .filter(|c| c.alert.is_some())
                .cloned()
                .collect();
            (
                p.label(lang),
                week_url(lang, p),
                topic_rows(&state, lang, &cards, &slugs),
                alerts,
            )
        }
        None => (String::new(), String::new(), Vec::new(), Vec::new()),
    };
    let recent = state
        .cache
        .recent_storylines(&*state.store, lang, 8)
        .await
        .map_err(err)?
        .iter()
        .map(|s| StorylineCard::new(s, lang, &state.site))
        .collect();
    let page = HomePage {
        l: Layout::new(
            &state.site,
            lang,
            "",
            format!("/{}/", lang.code()),
            mirror_alternates(lang, "/"),
            None,
        ),
        heading,
        period_label,
        period_url,
        rows,
        alerts,
        recent,
    };
    html(&page, lang, &state)
}
