//! Dynamics: the topic × week grid of markers, the balance index of each topic as an SVG chart
//! with a data-table alternative, and the same series as CSV and JSON downloads. Filters
//! (`topic`, `from`, `to`) come from the query string, so every view has a stable URL.

use super::{html, lang_of};
use crate::charts::balance_chart;
use crate::error::WebError;
use crate::views::{article_url, mirror_alternates, Layout, Marker};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use trendwatch_core::dynamics::{series, tally, weeks, Tally, WeekPoint, DEFAULT_WINDOW};
use trendwatch_core::{Language, Period, Status};
use utoipa::ToSchema;

/// Most weeks the page shows at once (a year): a longer range is paged, newest weeks first,
/// with links to the earlier and later weeks. The downloads give the whole range.
pub const PAGE_WEEKS: usize = 52;
/// Weeks shown when no range is given.
pub const DEFAULT_WEEKS: usize = 12;

/// The query string of the dynamics page and its downloads; the API builds it with
/// [`Filters::new`] (its documented parameters are `public_api::DynamicsQuery`).
#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    /// One topic's slug; all topics when absent.
    topic: Option<String>,
    /// First week (`2026-W38`); by default the last 12 weeks of the archive.
    from: Option<String>,
    /// Last week (`2026-W47`); by default the archive's latest.
    to: Option<String>,
}

impl Filters {
    /// Filters as the API reads them.
    pub fn new(topic: Option<String>, from: Option<String>, to: Option<String>) -> Filters {
        Filters { topic, from, to }
    }
}

/// One topic's series, as the downloads carry it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TopicSeries {
    /// Topic slug.
    slug: String,
    /// Topic name in the requested language.
    name: String,
    /// Weeks by status.
    tally: TallyOut,
    /// One point a week, oldest first.
    points: Vec<PointOut>,
}

/// Weeks of a series counted by status.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct TallyOut {
    improved: usize,
    unchanged: usize,
    worsened: usize,
    not_rated: usize,
    /// Weeks without a commentary.
    missing: usize,
}

impl From<Tally> for TallyOut {
    fn from(t: Tally) -> TallyOut {
        TallyOut {
            improved: t.improved,
            unchanged: t.unchanged,
            worsened: t.worsened,
            not_rated: t.not_rated,
            missing: t.missing,
        }
    }
}

/// One week of a topic's series.
#[derive(Debug, Serialize, ToSchema)]
pub struct PointOut {
    /// ISO week (`2026-W47`).
    period: String,
    /// Its Monday (`YYYY-MM-DD`).
    week_start: String,
    /// Its Sunday.
    week_end: String,
    /// `improved`, `unchanged`, `worsened` or `not_rated`; null without a commentary.
    status: Option<&'static str>,
    /// +1, 0 or -1; null when not rated or missing.
    score: Option<i8>,
    /// The balance index up to this week.
    balance: Option<f64>,
    /// The commentary's address on the site.
    article: Option<String>,
}

/// The series of a language's topics over a range of weeks: `/{lang}/dynamics.json` and
/// `GET /api/v1/dynamics`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DynamicsOut {
    /// Language code.
    lang: &'static str,
    /// Weeks the balance index averages over.
    window_weeks: usize,
    /// First week of the range; null when the archive is empty.
    from: Option<String>,
    /// Last week of the range.
    to: Option<String>,
    /// One series per topic.
    topics: Vec<TopicSeries>,
}

/// The dynamics of `lang` for the filters `f`.
pub async fn dynamics_out(
    state: &AppState,
    lang: Language,
    f: &Filters,
) -> Result<DynamicsOut, WebError> {
    let c = compute(state, lang, f, None).await?;
    Ok(DynamicsOut {
        lang: lang.code(),
        window_weeks: DEFAULT_WINDOW,
        from: c.as_ref().map(|c| c.from.to_string()),
        to: c.as_ref().map(|c| c.to.to_string()),
        topics: c.map(|c| c.topics).unwrap_or_default(),
    })
}

/// Everything the page and the downloads need, computed once.
struct Computed {
    from: Period,
    to: Period,
    /// The archive's first and last weeks: links to earlier or later weeks stop there.
    first: Period,
    latest: Period,
    weeks: Vec<Period>,
    topics: Vec<TopicSeries>,
}

/// The series of the filters' range; on the page (`page_weeks`), only its last
/// `page_weeks` weeks. A range reaching beyond the archive is cut to it, so the work of a
/// request is bounded by the archive, not by what was typed.
async fn compute(
    state: &AppState,
    lang: Language,
    f: &Filters,
    page_weeks: Option<usize>,
) -> Result<Option<Computed>, WebError> {
    let t = crate::i18n::strings(lang);
    let bad = |msg: String| WebError::BadRequest(lang, state.site.clone(), msg);
    let parse = |field: &str, v: &Option<String>| -> Result<Option<Period>, WebError> {
        match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => s
                .parse::<Period>()
                .map(Some)
                .map_err(|_| bad(format!("{field} = {s:?}: {}", t.bad_period))),
        }
    };
    let topic = match f.topic.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(slug) => Some(
            state
                .site
                .topics
                .by_slug(slug)
                .ok_or_else(|| {
                    bad(format!(
                        "topic = {slug:?}: {} {}",
                        t.bad_topic,
                        state.site.topics.slugs()
                    ))
                })?
                .slug
                .clone(),
        ),
    };
    let from = parse("from", &f.from)?;
    let to = parse("to", &f.to)?;
    let latest = state
        .store
        .latest_period(lang)
        .await
        .map_err(|e| WebError::store(lang, &state.site, e))?;
    let first = state
        .store
        .first_period(lang)
        .await
        .map_err(|e| WebError::store(lang, &state.site, e))?;
    let (Some(latest), Some(first)) = (latest, first) else {
        return Ok(None);
    };
    let to = to.unwrap_or(latest);
    let from = from.unwrap_or_else(|| weeks_before(to, DEFAULT_WEEKS - 1));
    if from > to {
        return Err(bad(t.range_reversed.to_string()));
    }
    // Cut to the archive (the balance looks back a window before it anyway).
    // The default window (the latest weeks, empty ones included) is never cut.
    let to = to.min(latest).max(first);
    let mut from = from
        .max(first.min(weeks_before(to, DEFAULT_WEEKS - 1)))
        .min(to);
    if let Some(n) = page_weeks {
        from = from.max(weeks_before(to, n - 1));
    }
    let all = weeks(from, to);
    // The balance of the first shown week looks back a full window, so the index of a week
    // never depends on where the view starts.
    let mut history_start = from;
    for _ in 1..DEFAULT_WINDOW {
        history_start = history_start.prev();
    }
    let history = weeks(history_start, to);
    let articles = state
        .store
        .weekly_between(lang, history_start, to)
        .await
        .map_err(|e| WebError::store(lang, &state.site, e))?;
    let mut by_topic: HashMap<&str, Vec<(Period, Status, String)>> = HashMap::new();
    for a in &articles {
        by_topic.entry(a.topic.as_str()).or_default().push((
            a.period,
            a.status,
            article_url(lang, &a.slug),
        ));
    }
    let topics = state
        .site
        .topics
        .iter()
        .filter(|tp| topic.as_deref().is_none_or(|s| s == tp.slug))
        .map(|tp| {
            let rows = by_topic.get(tp.slug.as_str()).cloned().unwrap_or_default();
            let statuses: Vec<(Period, Status)> = rows.iter().map(|(p, s, _)| (*p, *s)).collect();
            let mut points: Vec<WeekPoint> = series(&history, &statuses, DEFAULT_WINDOW);
            points.drain(..history.len() - all.len());
            TopicSeries {
                slug: tp.slug.clone(),
                name: tp.name(lang).to_string(),
                tally: tally(&points).into(),
                points: points
                    .iter()
                    .map(|p| PointOut {
                        period: p.period.to_string(),
                        week_start: p.period.monday().to_string(),
                        week_end: p.period.sunday().to_string(),
                        status: p.status.map(Status::code),
                        score: p.score,
                        balance: p.balance.map(|b| (b * 1000.0).round() / 1000.0),
                        article: rows
                            .iter()
                            .find(|(q, _, _)| *q == p.period)
                            .map(|(_, _, u)| u.clone()),
                    })
                    .collect(),
            }
        })
        .collect();
    Ok(Some(Computed {
        from,
        to,
        first,
        latest,
        weeks: all,
        topics,
    }))
}

/// One cell of the grid.
struct Cell {
    marker: Option<Marker>,
    url: Option<String>,
    week_label: String,
}

/// One topic of the page: its grid row, chart and table.
struct TopicView {
    slug: String,
    name: String,
    cells: Vec<Cell>,
    chart_svg: String,
    table: Vec<(String, String, String, String)>,
    tally: TallyOut,
}

/// `n` weeks before `p`.
fn weeks_before(p: Period, n: usize) -> Period {
    (0..n).fold(p, |p, _| p.prev())
}

struct Week {
    /// The year, on the first column and wherever a new year begins.
    year: Option<i32>,
    short: String,
    label: String,
    url: Option<String>,
}

#[derive(Template)]
#[template(path = "dynamics.html")]
struct DynamicsPage {
    l: Layout,
    intro: &'static str,
    topic_options: Vec<(String, String, bool)>,
    from: String,
    to: String,
    weeks: Vec<Week>,
    topics: Vec<TopicView>,
    csv_url: String,
    json_url: String,
    /// The weeks before and after the shown ones, when the archive has them.
    earlier_url: Option<String>,
    later_url: Option<String>,
    empty: bool,
}

fn query_string(f: &Filters, from: &str, to: &str) -> String {
    let mut q = format!("from={from}&to={to}");
    if let Some(t) = f.topic.as_deref().filter(|t| !t.is_empty()) {
        q.push_str("&topic=");
        q.push_str(&trendwatch_core::slug::slugify(t));
    }
    q
}

/// `/{lang}/dynamics`.
pub async fn page(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    Query(f): Query<Filters>,
) -> Result<Response, WebError> {
    let lang = lang_of(&state, &lang)?;
    let t = crate::i18n::strings(lang);
    let computed = compute(&state, lang, &f, Some(PAGE_WEEKS)).await?;
    let (from, to) = computed
        .as_ref()
        .map(|c| (c.from.to_string(), c.to.to_string()))
        .unwrap_or_default();
    // The downloads carry the whole range asked for, not only the page's weeks.
    let asked_from = f
        .from
        .clone()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| from.clone());
    let qs = query_string(&f, &asked_from, &to);
    let code = lang.code();
    let earlier_url = computed.as_ref().filter(|c| c.from > c.first).map(|c| {
        let to = c.from.prev();
        let from = weeks_before(to, PAGE_WEEKS - 1).max(c.first);
        format!(
            "/{code}/dynamics?{}",
            query_string(&f, &from.to_string(), &to.to_string())
        )
    });
    let later_url = computed.as_ref().filter(|c| c.to < c.latest).map(|c| {
        let from = c.to.next();
        let to = c.latest.min((1..PAGE_WEEKS).fold(from, |p, _| p.next()));
        format!(
            "/{code}/dynamics?{}",
            query_string(&f, &from.to_string(), &to.to_string())
        )
    });
    let (weeks_view, topics) = match &computed {
        Some(c) => {
            let weeks_view = c
                .weeks
                .iter()
                .enumerate()
                .map(|(i, p)| Week {
                    year: (i == 0 || p.week() == 1).then(|| p.year()),
                    short: format!("W{:02}", p.week()),
                    label: p.label(lang),
                    // Weeks outside the archive have no overview page (they answer 404).
                    url: (c.first..=c.latest)
                        .contains(p)
                        .then(|| crate::views::week_url(lang, *p)),
                })
                .collect::<Vec<_>>();
            let topics = c
                .topics
                .iter()
                .map(|ts| TopicView {
                    slug: ts.slug.clone(),
                    name: ts.name.clone(),
                    cells: ts
                        .points
                        .iter()
                        .zip(&c.weeks)
                        .map(|(p, w)| Cell {
                            marker: p
                                .status
                                .and_then(|s| s.parse::<Status>().ok())
                                .map(|s| Marker::new(s, lang)),
                            url: p.article.clone(),
                            week_label: w.label(lang),
                        })
                        .collect(),
                    chart_svg: {
                        let pts: Vec<WeekPoint> = ts
                            .points
                            .iter()
                            .zip(&c.weeks)
                            .map(|(p, w)| WeekPoint {
                                period: *w,
                                status: p.status.and_then(|s| s.parse().ok()),
                                score: p.score,
                                balance: p.balance,
                            })
                            .collect();
                        balance_chart(
                            &format!("chart-{}", ts.slug),
                            &format!("{}: {} ({} – {})", ts.name, t.balance_index, c.from, c.to),
                            t.balance_chart_desc,
                            lang,
                            &pts,
                        )
                    },
                    table: ts
                        .points
                        .iter()
                        .zip(&c.weeks)
                        .map(|(p, w)| {
                            (
                                w.label(lang),
                                p.status
                                    .and_then(|s| s.parse::<Status>().ok())
                                    .map(|s| s.label(lang).to_string())
                                    .unwrap_or_else(|| t.no_commentary_short.to_string()),
                                p.score
                                    .map(|s| format!("{s:+}").replace("+0", "0"))
                                    .unwrap_or_else(|| "—".into()),
                                p.balance
                                    .map(|b| format!("{b:+.2}"))
                                    .unwrap_or_else(|| "—".into()),
                            )
                        })
                        .collect(),
                    tally: ts.tally,
                })
                .collect();
            (weeks_view, topics)
        }
        None => (Vec::new(), Vec::new()),
    };
    let selected = f.topic.clone().unwrap_or_default();
    let view = DynamicsPage {
        l: Layout::new(
            &state.site,
            lang,
            t.dynamics,
            format!("/{}/dynamics", lang.code()),
            mirror_alternates(lang, "/dynamics"),
            None,
        ),
        intro: t.dynamics_intro,
        topic_options: state
            .site
            .topics
            .iter()
            .map(|tp| {
                (
                    tp.slug.clone(),
                    tp.name(lang).to_string(),
                    tp.slug == selected,
                )
            })
            .collect(),
        from,
        to,
        empty: computed.is_none(),
        weeks: weeks_view,
        topics,
        csv_url: format!("/{}/dynamics.csv?{qs}", lang.code()),
        json_url: format!("/{}/dynamics.json?{qs}", lang.code()),
        earlier_url,
        later_url,
    };
    html(&view, lang, &state)
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `/{lang}/dynamics.csv`: one row per topic and week.
pub async fn csv(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    Query(f): Query<Filters>,
) -> Result<Response, WebError> {
    let lang = lang_of(&state, &lang)?;
    let mut out = String::from("topic,period,week_start,week_end,status,score,balance,article\n");
    if let Some(c) = compute(&state, lang, &f, None).await? {
        for ts in &c.topics {
            for p in &ts.points {
                let row = [
                    csv_field(&ts.slug),
                    p.period.clone(),
                    p.week_start.clone(),
                    p.week_end.clone(),
                    p.status.unwrap_or("").to_string(),
                    p.score.map(|s| s.to_string()).unwrap_or_default(),
                    p.balance.map(|b| b.to_string()).unwrap_or_default(),
                    p.article.as_deref().map(csv_field).unwrap_or_default(),
                ];
                out.push_str(&row.join(","));
                out.push('\n');
            }
        }
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"trendwatch-dynamics.csv\"",
            ),
        ],
        out,
    )
        .into_response())
}

/// `/{lang}/dynamics.json`: the same series as one JSON object.
pub async fn json(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    Query(f): Query<Filters>,
) -> Result<Response, WebError> {
    let lang = lang_of(&state, &lang)?;
    let body = serde_json::to_string(&dynamics_out(&state, lang, &f).await?)
        .map_err(|e| WebError::Internal(lang, state.site.clone(), e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}
