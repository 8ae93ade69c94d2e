//! The editors' JSON API (until the editorial workspace arrives): storyline merges, splits,
//! renames and moves, and forecast resolution.
//!
//! Authentication is a bearer token from the configuration (`[api] token`) or the
//! `TRENDWATCH_API_TOKEN` environment variable; without one the API refuses every call.
//! Browsers never attach an `Authorization` header on their own, so these state-changing
//! requests cannot be forged cross-site (no cookie is involved): the token is the CSRF defence.
//! Responses are never cached.

use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use trendwatch_core::forecast::{ForecastEntry, Outcome};
use trendwatch_core::Language;
use trendwatch_store::EditError;

/// A secret that never appears in logs or debug output.
#[derive(Clone, Default)]
pub struct ApiToken(Option<String>);

impl ApiToken {
    /// A token; empty strings count as none.
    pub fn new(token: Option<String>) -> ApiToken {
        ApiToken(token.filter(|t| !t.trim().is_empty()))
    }

    /// Compares in time independent of where the strings differ, so the token cannot be
    /// guessed byte by byte from response times. (Five lines; no crate needed.)
    fn matches(&self, given: &str) -> bool {
        let Some(expected) = &self.0 else {
            return false;
        };
        let (a, b) = (expected.as_bytes(), given.as_bytes());
        let mut diff = a.len() ^ b.len();
        for i in 0..a.len().max(b.len()) {
            diff |= usize::from(a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0));
        }
        diff == 0
    }
}

impl std::fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "ApiToken(<set>)"
        } else {
            "ApiToken(<none>)"
        })
    }
}

/// An API failure, as JSON.
pub struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.0,
            [(header::CACHE_CONTROL, "no-store")],
            Json(json!({ "error": self.1 })),
        )
            .into_response()
    }
}

impl From<EditError> for ApiError {
    fn from(e: EditError) -> ApiError {
        match e {
            EditError::NotFound(m) => ApiError(StatusCode::NOT_FOUND, m),
            EditError::Invalid(m) => ApiError(StatusCode::UNPROCESSABLE_ENTITY, m),
            EditError::Backend(b) => internal(b),
        }
    }
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "editors' API failed");
    ApiError(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error; see the server log".into(),
    )
}

fn authorise(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    if state.api_token.0.is_none() {
        return Err(ApiError(
            StatusCode::FORBIDDEN,
            "the editors' API is disabled: set [api] token in trendwatch.toml or TRENDWATCH_API_TOKEN".into(),
        ));
    }
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if state.api_token.matches(given) {
        Ok(())
    } else {
        Err(ApiError(
            StatusCode::UNAUTHORIZED,
            "missing or wrong bearer token".into(),
        ))
    }
}

fn ok(value: serde_json::Value) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], Json(value)).into_response()
}

/// Body of a rename.
#[derive(Deserialize)]
pub struct Rename {
    title: Option<String>,
}

/// `POST /api/v1/storylines/{id}/rename` `{"title": "…"}` (null clears it).
pub async fn rename(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(b): Json<Rename>,
) -> Result<Response, ApiError> {
    authorise(&state, &headers)?;
    state.store.rename_storyline(id, b.title).await?;
    state.cache.clear();
    Ok(ok(json!({ "storyline": id })))
}

/// Body of a merge.
#[derive(Deserialize)]
pub struct Merge {
    into: i64,
}

/// `POST /api/v1/storylines/{id}/merge` `{"into": 12}`.
pub async fn merge(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(b): Json<Merge>,
) -> Result<Response, ApiError> {
    authorise(&state, &headers)?;
    state.store.merge_storylines(id, b.into).await?;
    state.cache.clear();
    Ok(ok(json!({ "storyline": b.into, "merged": id })))
}

async fn article_id(state: &AppState, name: &str) -> Result<i64, ApiError> {
    let bad = || {
        ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("article {name:?}: expected <lang>/<slug>"),
        )
    };
    let (lang, slug) = name.split_once('/').ok_or_else(bad)?;
    let lang: Language = lang.parse().map_err(|_| bad())?;
    state
        .store
        .article(lang, slug)
        .await
        .map_err(internal)?
        .map(|a| a.id)
        .ok_or_else(|| {
            ApiError(
                StatusCode::NOT_FOUND,
                format!("article {name:?} does not exist"),
            )
        })
}

/// Body of a split.
#[derive(Deserialize)]
pub struct Split {
    from: String,
}

/// `POST /api/v1/storylines/{id}/split` `{"from": "en/<slug>"}`.
pub async fn split(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(b): Json<Split>,
) -> Result<Response, ApiError> {
    authorise(&state, &headers)?;
    let article = article_id(&state, &b.from).await?;
    let new = state.store.split_storyline(id, article).await?;
    state.cache.clear();
    Ok(ok(json!({ "storyline": id, "new_storyline": new })))
}

/// Body of a move.
#[derive(Deserialize)]
pub struct Move {
    to: Option<i64>,
}

/// `POST /api/v1/articles/{lang}/{slug}/storyline` `{"to": 12}` (null: a new storyline).
pub async fn move_article(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((lang, slug)): Path<(String, String)>,
    Json(b): Json<Move>,
) -> Result<Response, ApiError> {
    authorise(&state, &headers)?;
    let article = article_id(&state, &format!("{lang}/{slug}")).await?;
    let now = state.store.move_article(article, b.to).await?;
    state.cache.clear();
    Ok(ok(json!({ "storyline": now })))
}

/// Query of the storyline list.
#[derive(Deserialize)]
pub struct ListQuery {
    lang: Option<String>,
}

#[derive(Serialize)]
struct StorylineOut {
    id: i64,
    title: String,
    titled_by_editor: bool,
    topics: Vec<String>,
    first: String,
    last: String,
    latest_status: &'static str,
    articles: u64,
}

/// `GET /api/v1/storylines?lang=en`.
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    authorise(&state, &headers)?;
    let lang: Language = q.lang.as_deref().unwrap_or("en").parse().map_err(
        |e: trendwatch_core::language::UnknownLanguage| {
            ApiError(StatusCode::BAD_REQUEST, e.to_string())
        },
    )?;
    let items: Vec<StorylineOut> = state
        .store
        .recent_storylines(lang, 10_000)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|s| StorylineOut {
            id: s.id,
            title: s.title,
            titled_by_editor: s.titled_by_editor,
            topics: s.topics,
            first: s.first.to_string(),
            last: s.last.to_string(),
            latest_status: s.latest_status.code(),
            articles: s.articles,
        })
        .collect();
    Ok(ok(json!({ "storylines": items })))
}

/// Body of a resolution.
#[derive(Deserialize)]
pub struct Resolve {
    outcome: String,
}

/// `POST /api/v1/forecasts/{id}/resolve` `{"outcome": "happened" | "did_not_happen" | "void"}`.
pub async fn resolve(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(b): Json<Resolve>,
) -> Result<Response, ApiError> {
    authorise(&state, &headers)?;
    let outcome: Outcome =
        b.outcome
            .parse()
            .map_err(|e: trendwatch_core::forecast::UnknownOutcome| {
                ApiError(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
            })?;
    state.store.resolve_forecast(id, outcome).await?;
    state.cache.clear();
    Ok(ok(json!({ "forecast": id, "outcome": outcome.code() })))
}

fn forecast_json(e: &ForecastEntry) -> serde_json::Value {
    json!({
        "id": e.forecast.id,
        "statement": e.forecast.statement,
        "probability": e.forecast.probability,
        "resolve_by": e.forecast.resolve_by.to_string(),
        "outcome": e.forecast.outcome.map(Outcome::code),
        "article": format!("{}/{}", e.article.lang, e.article.slug),
        "authors": e.authors,
    })
}

/// Query of the overdue list.
#[derive(Deserialize)]
pub struct OverdueQuery {
    today: Option<String>,
}

/// `GET /api/v1/forecasts/overdue[?today=YYYY-MM-DD]`: unresolved forecasts past their date.
pub async fn overdue(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<OverdueQuery>,
) -> Result<Response, ApiError> {
    authorise(&state, &headers)?;
    let today = match q.today {
        Some(d) => time::Date::parse(
            &d,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .map_err(|_| {
            ApiError(
                StatusCode::BAD_REQUEST,
                format!("today = {d:?}: expected a date such as 2026-11-27"),
            )
        })?,
        None => time::OffsetDateTime::now_utc().date(),
    };
    let list = state
        .store
        .overdue_forecasts(today)
        .await
        .map_err(internal)?;
    Ok(ok(
        json!({ "today": today.to_string(), "forecasts": list.iter().map(forecast_json).collect::<Vec<_>>() }),
    ))
}

/// Body of a similar-list decision.
#[derive(Deserialize)]
pub struct SimilarDecision {
    /// The article concerned, as `en/<slug>`.
    article: String,
    /// `pin`, `exclude`, or `null` to forget the decision.
    decision: Option<trendwatch_core::article::RelatedOverride>,
}

/// `POST /api/v1/articles/{lang}/{slug}/similar` `{"article": "en/<slug>", "decision": "pin"}`
/// (or `"exclude"`, or `null`): an editor's pin or exclusion in one article's similar list.
pub async fn similar_decision(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((lang, slug)): Path<(String, String)>,
    Json(b): Json<SimilarDecision>,
) -> Result<Response, ApiError> {
    authorise(&state, &headers)?;
    let article = article_id(&state, &format!("{lang}/{slug}")).await?;
    let related = article_id(&state, &b.article).await?;
    state
        .store
        .set_related_override(article, related, b.decision)
        .await?;
    state.cache.clear();
    Ok(ok(json!({
        "article": format!("{lang}/{slug}"),
        "related": b.article,
        "decision": b.decision,
    })))
}

/// `GET /api/v1/articles/{lang}/{slug}/similar`: the list readers see and the editors'
/// decisions behind it.
pub async fn similar_list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((lang, slug)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    authorise(&state, &headers)?;
    let id = article_id(&state, &format!("{lang}/{slug}")).await?;
    let l: Language = lang
        .parse()
        .map_err(|_| ApiError(StatusCode::NOT_FOUND, "unknown language".into()))?;
    let a = state
        .store
        .article(l, &slug)
        .await
        .map_err(internal)?
        .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, "no such article".into()))?;
    let list = state.store.similar(&a, 5).await.map_err(internal)?;
    let decisions = state.store.related_overrides(id).await.map_err(internal)?;
    Ok(ok(json!({
        "similar": list.iter().map(|s| format!("{}/{}", s.lang.code(), s.slug)).collect::<Vec<_>>(),
        "decisions": decisions.iter().map(|(r, k)| json!({"article_id": r, "decision": k})).collect::<Vec<_>>(),
    })))
}
