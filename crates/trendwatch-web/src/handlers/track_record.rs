//! The public track record of forecasts: overall, per topic and per author, with the Brier
//! score, a calibration chart (with a data table) and every forecast with its outcome.

use super::{html, lang_of};
use crate::charts::calibration_chart;
use crate::error::WebError;
use crate::views::{article_url, mirror_alternates, ForecastView, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use std::collections::BTreeMap;
use trendwatch_core::forecast::{track_record, ForecastEntry, TrackRecord};
use trendwatch_core::Language;

/// One row of a scores table (a topic or an author).
struct ScoreRow {
    name: String,
    url: String,
    scored: usize,
    brier: String,
}

#[derive(Template)]
#[template(path = "track_record.html")]
struct TrackRecordPage {
    l: Layout,
    heading: String,
    intro: &'static str,
    scored: usize,
    void: usize,
    open: usize,
    brier: String,
    chart_svg: String,
    bins: Vec<(String, usize, String, String)>,
    topics: Vec<ScoreRow>,
    authors: Vec<ScoreRow>,
    forecasts: Vec<ForecastView>,
}

fn brier_text(r: &TrackRecord) -> String {
    r.brier
        .map(|b| format!("{b:.3}"))
        .unwrap_or_else(|| "—".into())
}

fn record_of(entries: &[&ForecastEntry]) -> TrackRecord {
    let pairs: Vec<_> = entries
        .iter()
        .map(|e| (e.forecast.probability, e.forecast.outcome))
        .collect();
    track_record(&pairs)
}

/// Which forecasts a page covers.
enum Scope {
    All,
    Topic(String),
    Author(String),
}

async fn render(state: AppState, lang: Language, scope: Scope) -> Result<Response, WebError> {
    let t = crate::i18n::strings(lang);
    let not_found = || WebError::NotFound(lang, state.site.clone());
    let (topic, author) = match &scope {
        Scope::All => (None, None),
        Scope::Topic(s) => (
            Some(
                state
                    .site
                    .topics
                    .by_slug(s)
                    .ok_or_else(not_found)?
                    .slug
                    .clone(),
            ),
            None,
        ),
        Scope::Author(a) => (None, Some(a.clone())),
    };
    let all = state
        .store
        .forecasts(lang, topic.as_deref(), author.as_deref())
        .await
        .map_err(|e| WebError::store(lang, &state.site, e))?;
    if matches!(scope, Scope::Author(_)) && all.is_empty() {
        return Err(not_found());
    }
    let refs: Vec<&ForecastEntry> = all.iter().collect();
    let record = record_of(&refs);
    let mut by_topic: BTreeMap<String, Vec<&ForecastEntry>> = BTreeMap::new();
    let mut by_author: BTreeMap<String, Vec<&ForecastEntry>> = BTreeMap::new();
    for e in &all {
        by_topic.entry(e.article.topic.clone()).or_default().push(e);
        for a in &e.authors {
            by_author.entry(a.clone()).or_default().push(e);
        }
    }
    let code = lang.code();
    let topics = state
        .site
        .topics
        .iter()
        .filter_map(|tp| {
            by_topic.get(&tp.slug).map(|v| {
                let r = record_of(v);
                ScoreRow {
                    name: tp.name(lang).to_string(),
                    url: format!("/{code}/track-record/topics/{}", tp.slug),
                    scored: r.scored,
                    brier: brier_text(&r),
                }
            })
        })
        .collect();
    let authors = by_author
        .iter()
        .map(|(name, v)| {
            let r = record_of(v);
            ScoreRow {
                name: name.clone(),
                url: crate::views::track_record_author_url(lang, name),
                scored: r.scored,
                brier: brier_text(&r),
            }
        })
        .collect();
    let (heading, path) = match &scope {
        Scope::All => (t.track_record.to_string(), "/track-record".to_string()),
        Scope::Topic(s) => (
            format!(
                "{}: {}",
                t.track_record,
                state
                    .site
                    .topics
                    .by_slug(s)
                    .map(|x| x.name(lang))
                    .unwrap_or(s)
            ),
            format!("/track-record/topics/{s}"),
        ),
        Scope::Author(a) => (
            format!("{}: {a}", t.track_record),
            format!("/track-record/authors/{}", crate::views::path_segment(a)),
        ),
    };
    let view = TrackRecordPage {
        l: Layout::new(
            &state.site,
            lang,
            &heading,
            format!("/{code}{path}"),
            mirror_alternates(lang, &path),
            topic.as_deref(),
        ),
        chart_svg: calibration_chart(
            "calibration",
            &format!("{}: {}", t.calibration, heading),
            t.calibration_desc,
            lang,
            &record.calibration,
        ),
        bins: record
            .calibration
            .iter()
            .map(|b| {
                (
                    format!("{:.0}–{:.0}%", b.lower * 100.0, (b.lower + 0.2) * 100.0),
                    b.count,
                    format!("{:.0}%", b.mean_predicted * 100.0),
                    format!("{:.0}%", b.observed * 100.0),
                )
            })
            .collect(),
        heading,
        intro: t.track_record_intro,
        scored: record.scored,
        void: record.void,
        open: record.open,
        brier: brier_text(&record),
        topics,
        authors,
        forecasts: all
            .iter()
            .map(|e| ForecastView {
                article_lang: (e.article.lang != lang).then(|| e.article.lang.code()),
                ..ForecastView::new(
                    &e.forecast,
                    lang,
                    article_url(e.article.lang, &e.article.slug),
                    e.article.title.clone(),
                )
            })
            .collect(),
    };
    html(&view, lang, &state)
}

/// `/{lang}/track-record`.
pub async fn overall(
    State(state): State<AppState>,
    Path(lang): Path<String>,
) -> Result<Response, WebError> {
    let lang = lang_of(&state, &lang)?;
    render(state, lang, Scope::All).await
}

/// `/{lang}/track-record/topics/{topic}`.
pub async fn topic(
    State(state): State<AppState>,
    Path((lang, topic)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let lang = lang_of(&state, &lang)?;
    render(state, lang, Scope::Topic(topic)).await
}

/// `/{lang}/track-record/authors/{name}`.
pub async fn author(
    State(state): State<AppState>,
    Path((lang, name)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let lang = lang_of(&state, &lang)?;
    render(state, lang, Scope::Author(name)).await
}
