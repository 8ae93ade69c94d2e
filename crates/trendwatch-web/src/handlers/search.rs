//! Full-text search: the page `/{lang}/search` and its JSON twin `/{lang}/search.json`.
//! Parameters: `q` (words, "phrases", -exclusions, inline filters), `topic`, `status`, `from`,
//! `to` (YYYY-MM-DD), `lang` (`en`, `ru` or `all`; the page's language by default), `sort`
//! (`relevance` or `date`) and `page`. A query that cannot be run is answered with 400 and a
//! message saying what to change, never with a server error.

use super::{html, lang_of};
use crate::error::WebError;
use crate::views::{mirror_alternates, topic_url, Layout, Marker};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use trendwatch_core::{Language, Status};
use trendwatch_search::query::{apply_filter, parse};
use trendwatch_search::{ParsedQuery, Results, SearchError, Sort};

/// Results per page.
pub const PER_PAGE: usize = 10;
/// Deepest page served: beyond it, refining the query helps more than paging.
pub const MAX_PAGE: usize = 100;

/// What the request asks for, checked.
pub(crate) struct Request {
    pub(crate) query: ParsedQuery,
    pub(crate) raw: String,
    pub(crate) sort: Sort,
    pub(crate) page: usize,
}

pub(crate) fn read(
    page_lang: Language,
    topics: &trendwatch_core::Topics,
    params: &HashMap<String, String>,
) -> Result<Request, String> {
    const KNOWN: [&str; 8] = ["q", "topic", "status", "from", "to", "lang", "sort", "page"];
    // The page's own messages in its language; the query's through `QueryError::message`.
    let say = |en: String, ru: String| if page_lang == Language::Ru { ru } else { en };
    if let Some(unknown) = params.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(say(
            format!(
                "unknown parameter \"{unknown}\"; the parameters are {}",
                KNOWN.join(", ")
            ),
            format!(
                "неизвестный параметр «{unknown}»; параметры: {}",
                KNOWN.join(", ")
            ),
        ));
    }
    let raw = params.get("q").cloned().unwrap_or_default();
    let mut query = parse(&raw).map_err(|e| e.message(page_lang))?;
    for name in ["topic", "status", "from", "to"] {
        if let Some(v) = params.get(name).filter(|v| !v.is_empty()) {
            apply_filter(&mut query, name, v).map_err(|e| e.message(page_lang))?;
        }
    }
    // A topic the site does not have finds nothing; say so, as for an unknown status.
    if let Some(t) = &query.topic {
        if topics.by_slug(t).is_none() {
            let known: Vec<&str> = topics.iter().map(|tp| tp.slug.as_str()).collect();
            return Err(say(
                format!(
                    "topic: unknown topic \"{t}\"; the topics are {}",
                    known.join(", ")
                ),
                format!("topic: неизвестная тема «{t}»; темы: {}", known.join(", ")),
            ));
        }
    }
    let lang = match params.get("lang").map(String::as_str) {
        Some("all") => None,
        Some("") | None => match query.lang.as_deref() {
            Some("all") => None,
            Some("ru") => Some(Language::Ru),
            Some(_) => Some(Language::En),
            None => Some(page_lang),
        },
        Some("en") => Some(Language::En),
        Some("ru") => Some(Language::Ru),
        Some(other) => {
            return Err(say(
                format!("lang: expected en, ru or all, got \"{other}\""),
                format!("lang: ожидается en, ru или all, получено «{other}»"),
            ))
        }
    };
    query.lang = lang.map(|l| l.code().to_string());
    let sort = match params.get("sort").map(String::as_str) {
        None | Some("") | Some("relevance") => Sort::Relevance,
        Some("date") => Sort::Date,
        Some(other) => {
            return Err(say(
                format!("sort: expected relevance or date, got \"{other}\""),
                format!("sort: ожидается relevance или date, получено «{other}»"),
            ))
        }
    };
    let page = match params.get("page").map(String::as_str) {
        None | Some("") => 1,
        Some(p) => match p.parse::<usize>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => n,
            _ => {
                return Err(say(
                    format!("page: expected a number from 1 to {MAX_PAGE}, got \"{p}\""),
                    format!("page: ожидается число от 1 до {MAX_PAGE}, получено «{p}»"),
                ))
            }
        },
    };
    Ok(Request {
        query,
        raw,
        sort,
        page,
    })
}

async fn run(state: &AppState, r: &Request) -> Result<Option<Results>, SearchError> {
    let Some(index) = &state.search else {
        return Ok(None);
    };
    if !r.query.has_text()
        && r.query.topic.is_none()
        && r.query.status.is_none()
        && r.query.from.is_none()
        && r.query.to.is_none()
    {
        // Nothing asked yet: show the empty form.
        return Ok(None);
    }
    index
        .search(r.query.clone(), r.sort, (r.page - 1) * PER_PAGE, PER_PAGE)
        .await
        .map(Some)
}

/// The corrected query to offer when a query with words found nothing.
async fn suggestion(state: &AppState, r: &Request, results: &Results) -> Option<String> {
    if results.total > 0 || r.query.words.is_empty() {
        return None;
    }
    state
        .search
        .as_ref()?
        .suggest(r.raw.clone(), r.query.clone())
        .await
}

/// One result as the page shows it.
struct ResultView {
    url: String,
    title: String,
    date: String,
    topic_name: String,
    topic_url: String,
    marker: Option<Marker>,
    snippet_html: String,
    lang: &'static str,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    l: Layout,
    q: String,
    topic: String,
    status: String,
    from: String,
    to: String,
    both_languages: bool,
    by_date: bool,
    topics: Vec<(String, String)>,
    statuses: Vec<(&'static str, &'static str)>,
    error: Option<String>,
    /// "Did you mean": the link and the corrected query, when nothing was found.
    suggestion: Option<(String, String)>,
    total: Option<usize>,
    results: Vec<ResultView>,
    page: usize,
    pages: usize,
    prev_url: Option<String>,
    next_url: Option<String>,
    /// "Newer"/"Older" when results are by date, "Previous"/"Next" in relevance order.
    prev_label: &'static str,
    next_label: &'static str,
    /// A static copy's search page: a note that search needs the live site, no form.
    static_copy: bool,
}

fn day_label(day: i64, lang: Language) -> String {
    let date = time::Date::from_julian_day(2_440_588 + day as i32).ok();
    date.map(|d| crate::views::format_date(d, lang))
        .unwrap_or_default()
}

fn page_url(lang: Language, params: &HashMap<String, String>, page: usize) -> String {
    let mut pairs: Vec<(&String, &String)> = params.iter().filter(|(k, _)| *k != "page").collect();
    pairs.sort();
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    if page > 1 {
        s.append_pair("page", &page.to_string());
    }
    format!("/{}/search?{}", lang.code(), s.finish())
}

/// `GET /{lang}/search`.
pub async fn page(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let lang = lang_of(&state, &lang)?;
    let t = crate::i18n::strings(lang);
    let request = read(lang, &state.site.topics, &params);
    let (results, error) = match &request {
        _ if state.static_copy => (None, None),
        Ok(_) if state.search.is_none() && params.get("q").is_some_and(|q| !q.is_empty()) => {
            (None, Some(t.search_unavailable.to_string()))
        }
        Ok(r) => match run(&state, r).await {
            Ok(res) => (res, None),
            Err(SearchError::Query(e)) => (None, Some(e.message(lang))),
            Err(e) => return Err(WebError::Internal(lang, state.site.clone(), e.to_string())),
        },
        Err(message) => (None, Some(message.clone())),
    };
    let suggestion = match (&request, &results) {
        (Ok(r), Some(res)) => suggestion(&state, r, res).await.map(|text| {
            let mut with_q = params.clone();
            with_q.insert("q".into(), text.clone());
            (page_url(lang, &with_q, 1), text)
        }),
        _ => None,
    };
    let page = request.as_ref().map_or(1, |r| r.page);
    // Filters without words are listed newest first whatever the sort asked.
    let by_time = request
        .as_ref()
        .is_ok_and(|r| r.sort == Sort::Date || !r.query.has_text());
    let total = results.as_ref().map(|r| r.total);
    let pages = total.map_or(1, |t| t.div_ceil(PER_PAGE).clamp(1, MAX_PAGE));
    let view = SearchPage {
        l: Layout::new(
            &state.site,
            lang,
            t.search,
            format!("/{}/search", lang.code()),
            mirror_alternates(lang, "/search"),
            None,
        ),
        q: params.get("q").cloned().unwrap_or_default(),
        topic: params.get("topic").cloned().unwrap_or_default(),
        status: params.get("status").cloned().unwrap_or_default(),
        from: params.get("from").cloned().unwrap_or_default(),
        to: params.get("to").cloned().unwrap_or_default(),
        both_languages: request.as_ref().is_ok_and(|r| r.query.lang.is_none()),
        by_date: params.get("sort").is_some_and(|s| s == "date"),
        topics: state
            .site
            .topics
            .iter()
            .map(|tp| (tp.slug.clone(), tp.name(lang).to_string()))
            .collect(),
        statuses: Status::ALL
            .iter()
            .map(|s| (s.code(), s.label(lang)))
            .collect(),
        results: results
            .as_ref()
            .map(|r| {
                r.hits
                    .iter()
                    .map(|h| {
                        let hit_lang = if h.lang == "ru" {
                            Language::Ru
                        } else {
                            Language::En
                        };
                        ResultView {
                            url: format!("/{}/articles/{}", h.lang, h.slug),
                            title: h.title.clone(),
                            date: day_label(h.day, lang),
                            topic_name: state
                                .site
                                .topics
                                .by_slug(&h.topic)
                                .map_or_else(|| h.topic.clone(), |tp| tp.name(lang).to_string()),
                            topic_url: topic_url(hit_lang, &h.topic, 1),
                            marker: h
                                .status
                                .parse::<Status>()
                                .ok()
                                .map(|s| Marker::new(s, lang)),
                            snippet_html: h.snippet_html.clone(),
                            lang: hit_lang.code(),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default(),
        error: error.clone(),
        suggestion,
        total,
        page,
        pages,
        prev_url: (page > 1).then(|| page_url(lang, &params, page - 1)),
        next_url: (page < pages).then(|| page_url(lang, &params, page + 1)),
        prev_label: if by_time { t.newer } else { t.previous_page },
        next_label: if by_time { t.older } else { t.next_page },
        static_copy: state.static_copy,
    };
    let mut response = html(&view, lang, &state)?;
    if error.is_some() {
        *response.status_mut() = if state.search.is_none() {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::BAD_REQUEST
        };
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
    }
    Ok(response)
}

/// The JSON answer of `/{lang}/search.json`.
#[derive(Serialize)]
struct JsonAnswer<'a> {
    query: &'a str,
    sort: Sort,
    page: usize,
    per_page: usize,
    #[serde(flatten)]
    results: Results,
    /// The corrected query, when nothing was found and a word could be corrected.
    #[serde(skip_serializing_if = "Option::is_none")]
    did_you_mean: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct JsonError {
    error: String,
}

/// `GET /{lang}/search.json`: the same search as the page, as JSON.
pub async fn json(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let bad =
        |status: StatusCode, error: String| (status, Json(JsonError { error })).into_response();
    let Ok(lang) = lang_of(&state, &lang) else {
        return bad(StatusCode::NOT_FOUND, "unknown language".into());
    };
    let request = match read(lang, &state.site.topics, &params) {
        Ok(r) => r,
        Err(message) => return bad(StatusCode::BAD_REQUEST, message),
    };
    if state.search.is_none() {
        let t = crate::i18n::strings(lang);
        return bad(
            StatusCode::SERVICE_UNAVAILABLE,
            t.search_unavailable.to_string(),
        );
    }
    match run(&state, &request).await {
        Ok(results) => {
            let results = results.unwrap_or(Results {
                total: 0,
                hits: Vec::new(),
            });
            let did_you_mean = suggestion(&state, &request, &results).await;
            Json(JsonAnswer {
                query: &request.raw,
                sort: request.sort,
                page: request.page,
                per_page: PER_PAGE,
                did_you_mean,
                results,
            })
            .into_response()
        }
        Err(SearchError::Query(e)) => bad(StatusCode::BAD_REQUEST, e.message(lang)),
        Err(e) => {
            tracing::error!(cause = %e, "search failed");
            bad(StatusCode::INTERNAL_SERVER_ERROR, "search failed".into())
        }
    }
}
