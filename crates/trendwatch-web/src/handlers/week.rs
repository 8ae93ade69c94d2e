//! The weekly overview: every topic of one week with its marker, and the neighbouring weeks.

use super::home::topic_rows;
use super::{html, lang_of};
use crate::error::WebError;
use crate::views::{mirror_alternates, week_url, Card, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use trendwatch_core::{Language, Period};

#[derive(Template)]
#[template(path = "week.html")]
struct WeekPage {
    l: Layout,
    period_label: String,
    period_code: String,
    rows: Vec<super::home::TopicRow>,
    alerts: Vec<Card>,
    prev: Option<(String, String)>,
    next: Option<(String, String)>,
}

/// `/{lang}/weeks/`: the latest week with commentaries.
pub async fn latest(
    State(state): State<AppState>,
    Path(lang): Path<String>,
) -> Result<Response, WebError> {
    let lang = lang_of(&state, &lang)?;
    match state
        .store
        .latest_period(lang)
        .await
        .map_err(|e| WebError::store(lang, &state.site, e))?
    {
        Some(p) => Ok(Redirect::to(&week_url(lang, p)).into_response()),
        None => Err(WebError::NotFound(lang, state.site.clone())),
    }
}

/// `/{lang}/weeks/{2017-w31}`.
pub async fn page(
    State(state): State<AppState>,
    Path((lang, period)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let lang = lang_of(&state, &lang)?;
    let not_found = || WebError::NotFound(lang, state.site.clone());
    let period: Period = period.parse().map_err(|_| not_found())?;
    let err = |e| WebError::store(lang, &state.site, e);
    let week = state.store.week(lang, period).await.map_err(err)?;
    let (prev, next) = state
        .store
        .adjacent_periods(lang, period)
        .await
        .map_err(err)?;
    // An empty week inside the archive is a page (with the weeks around it); one before the
    // first commentary or after the last is not part of the archive.
    if week.is_empty() && (prev.is_none() || next.is_none()) {
        return Err(not_found());
    }
    let cards: Vec<Card> = week.iter().map(|a| Card::new(a, &state.site)).collect();
    let slugs: Vec<String> = week.iter().map(|a| a.topic.clone()).collect();
    let label = period.label(lang);
    let path = format!("/weeks/{}", period.url_slug());
    // The other editions have this week's page only if it lies within their archives.
    let mut alternates = Vec::new();
    for alternate in mirror_alternates(lang, &path) {
        let Ok(other) = alternate.code.parse::<Language>() else {
            continue;
        };
        let first = state.store.first_period(other).await.map_err(err)?;
        let last = state.store.latest_period(other).await.map_err(err)?;
        if first.is_some_and(|f| f <= period) && last.is_some_and(|l| period <= l) {
            alternates.push(alternate);
        }
    }
    let link = |p: Period| (week_url(lang, p), p.label(lang));
    let view = WeekPage {
        l: Layout::new(
            &state.site,
            lang,
            &label,
            format!("/{}{}", lang.code(), path),
            alternates,
            None,
        ),
        period_label: label,
        period_code: period.to_string(),
        alerts: cards
            .iter()
            .filter(|c| c.alert.is_some())
            .cloned()
            .collect(),
        rows: topic_rows(&state, lang, &cards, &slugs),
        prev: prev.map(link),
        next: next.map(link),
    };
    html(&view, lang, &state)
}
