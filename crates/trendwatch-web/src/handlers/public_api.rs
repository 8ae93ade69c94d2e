//! The public read API (`GET /api/v1/…`, no token): articles (searched and filtered as on the
//! search page, or one whole), topics, weeks, storylines and dynamics, as JSON, with the
//! OpenAPI 3.1 document at `/api/openapi.json` generated from these handlers and types by
//! `utoipa`, so the document cannot drift from the code.
//!
//! Every answer is JSON, errors included (`{"error": "…"}` naming the parameter and what
//! was expected); unknown query parameters are refused rather than ignored, so a typo never
//! silently returns everything. It reads only what the public pages show.

use super::api::{ApiError, ApiPath, ApiQuery};
use super::dynamics::{dynamics_out, DynamicsOut, Filters};
use super::search::PER_PAGE;
use crate::error::WebError;
use crate::views::{article_url, storyline_url, topic_url, week_url};
use crate::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use trendwatch_core::article::ArticleSummary;
use trendwatch_core::{Language, Period};
use utoipa::{IntoParams, OpenApi, ToSchema};

/// The OpenAPI document of the public API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Trendwatch public API",
        version = "1",
        description = "Read-only access to a Trendwatch monitor: its weekly commentaries with \
                       their status markers, topics, weeks, storylines and dynamics."
    ),
    paths(articles, article, topics, week, storyline, dynamics),
    tags(
        (name = "articles", description = "Weekly commentaries"),
        (name = "topics", description = "The monitor's topics"),
        (name = "weeks", description = "Weekly overviews"),
        (name = "storylines", description = "Commentaries on one developing story"),
        (name = "dynamics", description = "Status series per topic")
    )
)]
pub struct PublicApi;

/// The public API's routes and its OpenAPI document.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/openapi.json", get(openapi))
        .route("/api/v1/articles", get(articles))
        .route("/api/v1/articles/{lang}/{slug}", get(article))
        .route("/api/v1/topics", get(topics))
        .route("/api/v1/weeks/{period}", get(week))
        .route("/api/v1/storylines/{id}", get(storyline))
        .route("/api/v1/dynamics", get(dynamics))
}

/// `GET /api/openapi.json`.
pub async fn openapi() -> Response {
    Json(PublicApi::openapi()).into_response()
}

/// An error answer, as documented.
#[derive(Serialize, ToSchema)]
pub struct ErrorOut {
    /// What was wrong, naming the parameter and what was expected.
    pub error: String,
}

fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, message)
}

fn not_found(what: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, what)
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "public API failed");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error; see the server log",
    )
}

/// A JSON answer that caches and proxies may keep as long as the site's pages.
fn answer<T: Serialize>(state: &AppState, value: &T) -> Response {
    (
        [(header::CACHE_CONTROL, state.cache_control.clone())],
        Json(value),
    )
        .into_response()
}

/// Refuses parameters other than `known`.
fn only(params: &HashMap<String, String>, known: &[&str]) -> Result<(), ApiError> {
    match params.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(bad_request(format!(
            "unknown parameter \"{k}\"; the parameters are {}",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        ))),
        None => Ok(()),
    }
}

/// The `lang` parameter: `en` (the default) or `ru`.
fn lang_param(params: &HashMap<String, String>) -> Result<Language, ApiError> {
    match params.get("lang").map(String::as_str) {
        None | Some("en") => Ok(Language::En),
        Some("ru") => Ok(Language::Ru),
        Some(other) => Err(bad_request(format!(
            "lang: expected en or ru, got \"{other}\""
        ))),
    }
}

fn lang_path(code: &str) -> Result<Language, ApiError> {
    match code {
        "en" => Ok(Language::En),
        "ru" => Ok(Language::Ru),
        other => Err(not_found(format!(
            "language \"{other}\": expected en or ru"
        ))),
    }
}

/// The language of one resource.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangParam {
    /// `en` (default) or `ru`.
    #[param(pattern = "^(en|ru)$")]
    pub lang: Option<String>,
}

/// A commentary in a list.
#[derive(Serialize, ToSchema)]
pub struct ArticleItemOut {
    /// Language code.
    pub lang: String,
    /// Slug (with `lang`, the article's identity in the API).
    pub slug: String,
    /// Headline.
    pub title: String,
    /// Topic slug.
    pub topic: String,
    /// `improved`, `unchanged`, `worsened` or `not_rated`.
    pub status: String,
    /// Publication date (`YYYY-MM-DD`).
    pub date: String,
    /// The article's page.
    pub url: String,
    /// The article in this API.
    pub api_url: String,
    /// A passage with the matched words in `<mark>` (search results only).
    pub snippet_html: Option<String>,
    /// Summary (lists other than search results).
    pub lead: Option<String>,
}

impl ArticleItemOut {
    fn of_summary(state: &AppState, a: &ArticleSummary) -> ArticleItemOut {
        ArticleItemOut {
            lang: a.lang.code().to_string(),
            slug: a.slug.clone(),
            title: a.title.clone(),
            topic: a.topic.clone(),
            status: a.status.code().to_string(),
            date: a.published_at.date().to_string(),
            url: state.public.absolute(&article_url(a.lang, &a.slug)),
            api_url: state.public.absolute(&format!(
                "/api/v1/articles/{}/{}",
                a.lang.code(),
                a.slug
            )),
            snippet_html: None,
            lead: Some(a.lead.clone()),
        }
    }
}

/// One page of articles.
#[derive(Serialize, ToSchema)]
pub struct ArticleListOut {
    /// Articles matching, over all pages.
    pub total: usize,
    /// This page's number.
    pub page: usize,
    /// Articles a page.
    pub per_page: usize,
    /// The articles of this page.
    pub items: Vec<ArticleItemOut>,
}

/// The filters of the article list: those of the search page.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArticleQuery {
    /// Words, `"phrases"`, `-excluded` words and `field:value` filters, as on the search
    /// page; empty lists every article.
    pub q: Option<String>,
    /// Topic slug.
    pub topic: Option<String>,
    /// `improved`, `unchanged`, `worsened` or `not_rated`.
    pub status: Option<String>,
    /// Published on or after this day (`YYYY-MM-DD`).
    pub from: Option<String>,
    /// Published on or before this day (`YYYY-MM-DD`).
    pub to: Option<String>,
    /// `en`, `ru` or `all` (the default).
    #[param(pattern = "^(en|ru|all)$")]
    pub lang: Option<String>,
    /// `relevance` (the default with words) or `date` (newest first).
    #[param(pattern = "^(relevance|date)$")]
    pub sort: Option<String>,
    /// Page number, 1 to 100.
    #[param(minimum = 1, maximum = 100)]
    pub page: Option<u32>,
}

/// Lists articles, filtered and searched as on the search page.
#[utoipa::path(
    get,
    path = "/api/v1/articles",
    tag = "articles",
    params(ArticleQuery),
    responses(
        (status = 200, description = "One page of matching articles", body = ArticleListOut),
        (status = 400, description = "A parameter could not be read", body = ErrorOut),
        (status = 503, description = "The search index is being rebuilt", body = ErrorOut)
    )
)]
pub async fn articles(
    State(state): State<AppState>,
    ApiQuery(mut params): ApiQuery<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    params.entry("lang".into()).or_insert_with(|| "all".into());
    let request =
        super::search::read(Language::En, &state.site.topics, &params).map_err(bad_request)?;
    let Some(index) = state.search.clone() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the search index is being rebuilt; try again in a minute",
        ));
    };
    let offset = (request.page - 1) * PER_PAGE;
    let results = index
        .search(request.query.clone(), request.sort, offset, PER_PAGE)
        .await
        .map_err(|e| match e {
            trendwatch_search::SearchError::Query(q) => bad_request(q.message(Language::En)),
            other => internal(other),
        })?;
    let items = results
        .hits
        .iter()
        .map(|h| {
            let lang = h.lang.parse::<Language>().unwrap_or(Language::En);
            ArticleItemOut {
                lang: h.lang.clone(),
                slug: h.slug.clone(),
                title: h.title.clone(),
                topic: h.topic.clone(),
                status: h.status.clone(),
                date: day(h.day),
                url: state.public.absolute(&article_url(lang, &h.slug)),
                api_url: state
                    .public
                    .absolute(&format!("/api/v1/articles/{}/{}", h.lang, h.slug)),
                snippet_html: Some(h.snippet_html.clone()),
                lead: None,
            }
        })
        .collect();
    Ok(answer(
        &state,
        &ArticleListOut {
            total: results.total,
            page: request.page,
            per_page: PER_PAGE,
            items,
        },
    ))
}

/// Days since 1970-01-01 as `YYYY-MM-DD`.
fn day(days: i64) -> String {
    i32::try_from(days)
        .ok()
        .and_then(|d| time::Date::from_julian_day(2_440_588 + d).ok())
        .map(|d| d.to_string())
        .unwrap_or_default()
}

/// Another version or a neighbour of an article.
#[derive(Serialize, ToSchema)]
pub struct ArticleRefOut {
    /// Language code.
    pub lang: String,
    /// Slug.
    pub slug: String,
    /// Headline.
    pub title: String,
    /// The article's page.
    pub url: String,
}

/// A forecast made in a commentary.
#[derive(Serialize, ToSchema)]
pub struct ForecastOut {
    /// What is expected.
    pub statement: String,
    /// The analyst's probability, 0 to 1.
    pub probability: f64,
    /// The day by which it resolves (`YYYY-MM-DD`).
    pub resolve_by: String,
    /// `happened`, `did_not_happen` or `void` once resolved; null while open.
    pub outcome: Option<String>,
}

/// One whole commentary.
#[derive(Serialize, ToSchema)]
pub struct ArticleOut {
    /// Language code.
    pub lang: String,
    /// Slug.
    pub slug: String,
    /// The article's page.
    pub url: String,
    /// Headline.
    pub title: String,
    /// Summary.
    pub lead: String,
    /// The commentary, as sanitised HTML.
    pub body_html: String,
    /// Topic slug.
    pub topic: String,
    /// The ISO week it covers (`2026-W47`).
    pub period: String,
    /// Publication time with the site's offset (RFC 3339).
    pub published: String,
    /// `improved`, `unchanged`, `worsened` or `not_rated`.
    pub status: String,
    /// Why the status was given.
    pub rationale: String,
    /// `none`, `risk` or `opportunity`.
    pub alert: String,
    /// Authors.
    pub authors: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Image address.
    pub image_url: Option<String>,
    /// Image credit.
    pub image_credit: Option<String>,
    /// Image text alternative.
    pub image_alt: Option<String>,
    /// The storyline it belongs to.
    pub storyline: Option<i64>,
    /// Its versions in other languages.
    pub translations: Vec<ArticleRefOut>,
    /// Similar articles, most similar first.
    pub similar: Vec<ArticleRefOut>,
    /// Forecasts made in it.
    pub forecasts: Vec<ForecastOut>,
}

fn reference(state: &AppState, a: &ArticleSummary) -> ArticleRefOut {
    ArticleRefOut {
        lang: a.lang.code().to_string(),
        slug: a.slug.clone(),
        title: a.title.clone(),
        url: state.public.absolute(&article_url(a.lang, &a.slug)),
    }
}

/// One article, whole.
#[utoipa::path(
    get,
    path = "/api/v1/articles/{lang}/{slug}",
    tag = "articles",
    params(
        ("lang" = String, Path, description = "`en` or `ru`"),
        ("slug" = String, Path, description = "The article's slug")
    ),
    responses(
        (status = 200, description = "The article", body = ArticleOut),
        (status = 400, description = "A parameter could not be read", body = ErrorOut),
        (status = 404, description = "No such article", body = ErrorOut)
    )
)]
pub async fn article(
    State(state): State<AppState>,
    ApiPath((lang, slug)): ApiPath<(String, String)>,
    ApiQuery(params): ApiQuery<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    only(&params, &[])?;
    let lang = lang_path(&lang)?;
    let a = state
        .store
        .article(lang, &slug)
        .await
        .map_err(ApiError::store)?
        .ok_or_else(|| not_found(format!("no {} article \"{slug}\"", lang.code())))?;
    let translations = match &a.content.translation_group {
        Some(group) => state
            .store
            .translations(group, a.id)
            .await
            .map_err(ApiError::store)?,
        None => Vec::new(),
    };
    let similar = state.store.similar(&a, 5).await.map_err(ApiError::store)?;
    let storyline = state
        .store
        .storyline_of(a.id)
        .await
        .map_err(ApiError::store)?;
    let c = &a.content;
    let out = ArticleOut {
        lang: c.lang.code().to_string(),
        slug: c.slug.clone(),
        url: state.public.absolute(&article_url(c.lang, &c.slug)),
        title: c.title.clone(),
        lead: c.lead.clone(),
        body_html: c.body_html.clone(),
        topic: c.topic.clone(),
        period: c.period.to_string(),
        published: state.public.rfc3339(c.published_at),
        status: c.status.code().to_string(),
        rationale: c.rationale.clone(),
        alert: c.alert.code().to_string(),
        authors: c.authors.clone(),
        tags: c.tags.clone(),
        image_url: c.image_url.clone(),
        image_credit: c.image_credit.clone(),
        image_alt: c.image_alt.clone(),
        storyline,
        translations: translations.iter().map(|t| reference(&state, t)).collect(),
        similar: similar.iter().map(|s| reference(&state, s)).collect(),
        forecasts: c
            .forecasts
            .iter()
            .map(|f| ForecastOut {
                statement: f.statement.clone(),
                probability: f.probability,
                resolve_by: f.resolve_by.to_string(),
                outcome: f.outcome.map(|o| o.code().to_string()),
            })
            .collect(),
    };
    Ok(answer(&state, &out))
}

/// A topic of the monitor.
#[derive(Serialize, ToSchema)]
pub struct TopicOut {
    /// Stable identifier.
    pub slug: String,
    /// Its name in each language, by language code.
    pub names: BTreeMap<String, String>,
    /// Its page in each language, by language code.
    pub urls: BTreeMap<String, String>,
}

/// The monitor's topics.
#[derive(Serialize, ToSchema)]
pub struct TopicsOut {
    /// In the site's order.
    pub topics: Vec<TopicOut>,
}

/// The monitor's topics, in the site's order.
#[utoipa::path(
    get,
    path = "/api/v1/topics",
    tag = "topics",
    responses(
        (status = 200, description = "The topics", body = TopicsOut),
        (status = 400, description = "A parameter could not be read", body = ErrorOut)
    )
)]
pub async fn topics(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    only(&params, &[])?;
    let topics = state
        .site
        .topics
        .iter()
        .map(|t| TopicOut {
            slug: t.slug.clone(),
            names: Language::ALL
                .iter()
                .map(|l| (l.code().to_string(), t.name(*l).to_string()))
                .collect(),
            urls: Language::ALL
                .iter()
                .map(|l| {
                    (
                        l.code().to_string(),
                        state.public.absolute(&topic_url(*l, &t.slug, 1)),
                    )
                })
                .collect(),
        })
        .collect();
    Ok(answer(&state, &TopicsOut { topics }))
}

/// One week's commentaries.
#[derive(Serialize, ToSchema)]
pub struct WeekOut {
    /// ISO week (`2026-W47`).
    pub period: String,
    /// Its name in the language asked for.
    pub label: String,
    /// Its overview page.
    pub url: String,
    /// The week before with commentaries, if any.
    pub previous: Option<String>,
    /// The week after with commentaries, if any.
    pub next: Option<String>,
    /// One commentary per topic, in the site's topic order.
    pub articles: Vec<ArticleItemOut>,
}

/// One week's commentaries in one language.
#[utoipa::path(
    get,
    path = "/api/v1/weeks/{period}",
    tag = "weeks",
    params(("period" = String, Path, description = "ISO week, `2026-W47`"), LangParam),
    responses(
        (status = 200, description = "The week", body = WeekOut),
        (status = 400, description = "A parameter could not be read", body = ErrorOut),
        (status = 404, description = "No such week in the archive", body = ErrorOut)
    )
)]
pub async fn week(
    State(state): State<AppState>,
    ApiPath(period): ApiPath<String>,
    ApiQuery(params): ApiQuery<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    only(&params, &["lang"])?;
    let lang = lang_param(&params)?;
    let period: Period = period.parse().map_err(|_| {
        not_found(format!(
            "week \"{period}\": expected an ISO week such as 2026-W47"
        ))
    })?;
    let articles = state
        .store
        .week(lang, period)
        .await
        .map_err(ApiError::store)?;
    let (previous, next) = state
        .store
        .adjacent_periods(lang, period)
        .await
        .map_err(ApiError::store)?;
    // As on the site: an empty week inside the archive exists, one outside it does not.
    if articles.is_empty() && (previous.is_none() || next.is_none()) {
        return Err(not_found(format!(
            "week {period} is outside the {} archive",
            lang.code()
        )));
    }
    let out = WeekOut {
        period: period.to_string(),
        label: period.label(lang),
        url: state.public.absolute(&week_url(lang, period)),
        previous: previous.map(|p| p.to_string()),
        next: next.map(|p| p.to_string()),
        articles: articles
            .iter()
            .map(|a| ArticleItemOut::of_summary(&state, a))
            .collect(),
    };
    Ok(answer(&state, &out))
}

/// A storyline with its latest commentaries.
#[derive(Serialize, ToSchema)]
pub struct StorylineOut {
    /// Identifier.
    pub id: i64,
    /// Title (an editor's, or the latest headline).
    pub title: String,
    /// Topic slugs, most frequent first.
    pub topics: Vec<String>,
    /// First week (`2026-W02`).
    pub first: String,
    /// Latest week.
    pub last: String,
    /// Status of the latest commentary.
    pub latest_status: String,
    /// Commentaries in this language, over its whole span.
    pub total: u64,
    /// The storyline's page.
    pub url: String,
    /// Its latest commentaries, oldest first.
    pub articles: Vec<ArticleItemOut>,
}

/// One storyline in one language.
#[utoipa::path(
    get,
    path = "/api/v1/storylines/{id}",
    tag = "storylines",
    params(("id" = i64, Path, description = "Storyline id"), LangParam),
    responses(
        (status = 200, description = "The storyline", body = StorylineOut),
        (status = 400, description = "A parameter could not be read", body = ErrorOut),
        (status = 404, description = "No such storyline in this language", body = ErrorOut)
    )
)]
pub async fn storyline(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    only(&params, &["lang"])?;
    let lang = lang_param(&params)?;
    let missing = || not_found(format!("no storyline \"{id}\" in {}", lang.code()));
    let number: i64 = id.parse().map_err(|_| missing())?;
    let detail = state
        .store
        .storyline(number, lang)
        .await
        .map_err(ApiError::store)?
        .ok_or_else(missing)?;
    let s = &detail.summary;
    let out = StorylineOut {
        id: s.id,
        title: s.title.clone(),
        topics: s.topics.clone(),
        first: s.first.to_string(),
        last: s.last.to_string(),
        latest_status: s.latest_status.code().to_string(),
        total: s.articles,
        url: state.public.absolute(&storyline_url(lang, s.id)),
        articles: detail
            .articles
            .iter()
            .map(|a| ArticleItemOut::of_summary(&state, a))
            .collect(),
    };
    Ok(answer(&state, &out))
}

/// The filters of the dynamics and its language.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DynamicsQuery {
    /// `en` (default) or `ru`.
    #[param(pattern = "^(en|ru)$")]
    pub lang: Option<String>,
    /// One topic's slug; all topics when absent.
    pub topic: Option<String>,
    /// First week (`2026-W38`); by default the last 12 weeks of the archive.
    pub from: Option<String>,
    /// Last week (`2026-W47`); by default the archive's latest.
    pub to: Option<String>,
}

/// Each topic's status series over a range of weeks, with the balance index.
#[utoipa::path(
    get,
    path = "/api/v1/dynamics",
    tag = "dynamics",
    params(DynamicsQuery),
    responses(
        (status = 200, description = "The series", body = DynamicsOut),
        (status = 400, description = "A parameter could not be read", body = ErrorOut)
    )
)]
pub async fn dynamics(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    only(&params, &["lang", "topic", "from", "to"])?;
    let lang = lang_param(&params)?;
    let filters = Filters::new(
        params.get("topic").cloned(),
        params.get("from").cloned(),
        params.get("to").cloned(),
    );
    match dynamics_out(&state, lang, &filters).await {
        Ok(out) => Ok(answer(&state, &out)),
        Err(WebError::BadRequest(_, _, message)) => Err(bad_request(message)),
        Err(WebError::NotFound(..)) => Err(bad_request("topic: no such topic")),
        Err(WebError::Internal(_, _, cause)) => Err(internal(cause)),
        Err(WebError::Unavailable(_, _, cause)) => {
            Err(ApiError::store(trendwatch_store::StoreError(cause)))
        }
    }
}
