//! The editors' JSON API (until the editorial workspace arrives): storyline merges, splits,
//! renames and moves, and forecast resolution.
//!
//! Authentication is a bearer token from the configuration (`[api] token`) or the
//! `TRENDWATCH_API_TOKEN` environment variable; without one the API refuses every call.
//! Browsers never attach an `Authorization` header on their own, so these state-changing
//! requests cannot be forged cross-site (no cookie is involved): the token is the CSRF defence.
//! Responses are never cached.
//!
//! Order matters: the caller is authorised by a layer on this router, before any handler's
//! extractor reads the path or the body, so an anonymous caller learns nothing from parser
//! errors. Bodies are strict: a JSON object of exactly the documented fields and types;
//! anything else is refused with a JSON error naming what was wrong. Failed tokens are
//! throttled per client address and logged without the token.

use crate::AppState;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::net::{IpAddr, SocketAddr};
use trendwatch_core::forecast::{ForecastEntry, Outcome};
use trendwatch_core::Language;
use trendwatch_store::{EditError, StoreError};

/// A secret that never appears in logs or debug output.
#[derive(Clone, Default)]
pub struct ApiToken(Option<String>);

/// Shortest token accepted: 32 characters, e.g. `openssl rand -hex 16` gives exactly that.
pub const MIN_TOKEN_CHARS: usize = 32;

impl ApiToken {
    /// A token; empty strings count as none.
    pub fn new(token: Option<String>) -> ApiToken {
        ApiToken(token.filter(|t| !t.trim().is_empty()))
    }

    /// Refuses a token too short to withstand guessing, with what to do instead. The message
    /// never contains the token.
    pub fn check_strength(&self) -> Result<(), String> {
        match &self.0 {
            Some(t) if t.chars().count() < MIN_TOKEN_CHARS => Err(format!(
                "the API token ([api] token or TRENDWATCH_API_TOKEN) has {} characters; at least \
                 {MIN_TOKEN_CHARS} are required: generate one with `openssl rand -hex 32`",
                t.chars().count()
            )),
            _ => Ok(()),
        }
    }

    fn matches(&self, given: &str) -> bool {
        self.0
            .as_deref()
            .is_some_and(|expected| same_secret(given, expected))
    }
}

/// Compares in time independent of where the strings differ, so a secret cannot be guessed
/// byte by byte from response times. (Five lines; no crate needed.)
pub(crate) fn same_secret(given: &str, expected: &str) -> bool {
    let (a, b) = (expected.as_bytes(), given.as_bytes());
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        diff |= usize::from(a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0));
    }
    diff == 0
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

impl ApiError {
    /// A failure answered with `status` and `message` (which must never hold a secret).
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError(status, message.into())
    }
}

impl ApiError {
    /// A storage failure: 503 with `Retry-After` while the database cannot be reached (a
    /// client may simply try again; the site recovers by itself), 500 otherwise. The cause
    /// is logged, never sent.
    pub fn store(e: StoreError) -> ApiError {
        if e.is_unavailable() {
            tracing::warn!(cause = %e, "API: the database is unavailable");
            ApiError(
                StatusCode::SERVICE_UNAVAILABLE,
                "the database is briefly unavailable; try again in a few seconds".into(),
            )
        } else {
            internal(e)
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        ApiError::store(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry = self.0 == StatusCode::SERVICE_UNAVAILABLE;
        let mut response = (
            self.0,
            [(header::CACHE_CONTROL, "no-store")],
            Json(json!({ "error": self.1 })),
        )
            .into_response();
        if retry {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("10"));
        }
        response
    }
}

impl From<EditError> for ApiError {
    fn from(e: EditError) -> ApiError {
        match e {
            EditError::NotFound(m) => ApiError(StatusCode::NOT_FOUND, m),
            EditError::Invalid(m) => ApiError(StatusCode::UNPROCESSABLE_ENTITY, m),
            e @ EditError::Stale { .. } => ApiError(StatusCode::CONFLICT, e.to_string()),
            EditError::Backend(b) => ApiError::store(b),
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

/// The editors' API routes, each behind [`authorise`].
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/api/v1/storylines", get(list))
        .route("/api/v1/storylines/{id}/rename", post(rename))
        .route("/api/v1/storylines/{id}/merge", post(merge))
        .route("/api/v1/storylines/{id}/split", post(split))
        .route(
            "/api/v1/articles/{lang}/{slug}/storyline",
            post(move_article),
        )
        .route(
            "/api/v1/articles/{lang}/{slug}/similar",
            get(similar_list).post(similar_decision),
        )
        .route("/api/v1/forecasts/overdue", get(overdue))
        .route("/api/v1/forecasts/{id}/resolve", post(resolve))
        .route_layer(axum::middleware::from_fn_with_state(state, authorise))
}

/// The client's address as seen on the connection (a proxy's `X-Forwarded-For` is not
/// trusted: no trusted proxy can be configured yet).
pub(crate) fn client_ip(req: &Request) -> IpAddr {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

/// Who an API request acts for: the owner of the personal token it carried, or (`None`)
/// the deprecated shared token of the configuration.
#[derive(Debug, Clone)]
pub struct ApiCaller(pub Option<trendwatch_core::accounts::User>);

/// Middleware on every API route: refuses a caller without a valid bearer token before
/// anything of the request is read, and throttles addresses that keep failing. A personal
/// token (`tw_…`, made in the desk at `/desk/tokens`) acts with its owner's role, and these
/// routes are an editor's work, so an analyst's token is refused (403). The shared token of
/// `[api] token`, from before personal tokens, is still accepted.
pub async fn authorise(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let client = client_ip(&req);
    let now = std::time::Instant::now();
    if let Err(wait) = state.api_failures.check_shared(&client, now).await {
        let secs = wait.as_secs().max(1);
        let mut resp = ApiError(
            StatusCode::TOO_MANY_REQUESTS,
            format!("too many failed attempts from this address: wait {secs} s"),
        )
        .into_response();
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return resp;
    }
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
        .to_string();
    let personal = if given.starts_with(trendwatch_service::accounts::API_TOKEN_PREFIX) {
        let token = trendwatch_service::accounts::SecretToken::from_text(&given);
        match state
            .accounts
            .api_user(&token, time::OffsetDateTime::now_utc())
            .await
        {
            Ok(user) => user,
            Err(e) => return ApiError::store(e).into_response(),
        }
    } else {
        None
    };
    let caller = match personal {
        Some(user) if !user.role.includes(trendwatch_core::accounts::Role::Editor) => {
            state.api_failures.succeed_shared(&client).await;
            tracing::warn!(user = user.id, path = %req.uri().path(), "editors' API: role refused");
            return ApiError(
                StatusCode::FORBIDDEN,
                "this token's owner is an analyst: the editors' API needs an editor's token".into(),
            )
            .into_response();
        }
        Some(user) => Some(ApiCaller(Some(user))),
        None if state.api_token.matches(&given) => Some(ApiCaller(None)),
        None => None,
    };
    match caller {
        Some(caller) => {
            state.api_failures.succeed_shared(&client).await;
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        None => {
            let failures = state.api_failures.fail_shared(&client, now).await;
            // A security event: who and where, never what was sent.
            tracing::warn!(
                %client,
                path = %req.uri().path(),
                failures,
                token_sent = !given.is_empty(),
                "editors' API: missing or wrong bearer token"
            );
            ApiError(
                StatusCode::UNAUTHORIZED,
                "missing or wrong bearer token: editors create personal tokens in the desk, \
                 at /desk/tokens"
                    .into(),
            )
            .into_response()
        }
    }
}

/// A JSON body held to its type: `Content-Type: application/json`, a JSON object, only
/// known fields (the body types deny unknown ones), every field of its type. A list such as
/// `[2]`, which serde would otherwise read as a struct's fields in order, is refused.
pub struct StrictJson<T>(pub T);

/// Largest API body, in bytes.
const MAX_API_BODY: usize = 64 * 1024;

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for StrictJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, ApiError> {
        let json_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
        if !json_type {
            return Err(ApiError(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "expected a JSON body with Content-Type: application/json".into(),
            ));
        }
        let bytes = axum::body::to_bytes(req.into_body(), MAX_API_BODY)
            .await
            .map_err(|_| {
                ApiError(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("the body is larger than {MAX_API_BODY} bytes"),
                )
            })?;
        let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
            ApiError(
                StatusCode::BAD_REQUEST,
                format!("the body is not valid JSON: {e}"),
            )
        })?;
        if !value.is_object() {
            return Err(ApiError(
                StatusCode::UNPROCESSABLE_ENTITY,
                "expected a JSON object such as {\"into\": 12}".into(),
            ));
        }
        serde_json::from_value(value)
            .map(StrictJson)
            .map_err(|e| ApiError(StatusCode::UNPROCESSABLE_ENTITY, format!("body: {e}")))
    }
}

/// Path parameters, with a JSON error when they do not parse (an id must be a number).
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| ApiPath(v))
            .map_err(|e| ApiError(StatusCode::NOT_FOUND, format!("path: {}", e.body_text())))
    }
}

/// Query parameters, strict like bodies, with a JSON error.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| ApiQuery(v))
            .map_err(|e| ApiError(StatusCode::BAD_REQUEST, format!("query: {}", e.body_text())))
    }
}

fn ok(value: serde_json::Value) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], Json(value)).into_response()
}

/// Body of a rename.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rename {
    title: Option<String>,
}

/// `POST /api/v1/storylines/{id}/rename` `{"title": "…"}` (null clears it).
pub async fn rename(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    StrictJson(b): StrictJson<Rename>,
) -> Result<Response, ApiError> {
    state.publisher.rename_storyline(id, b.title).await?;
    state.cache.clear();
    Ok(ok(json!({ "storyline": id })))
}

/// Body of a merge.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Merge {
    into: i64,
}

/// `POST /api/v1/storylines/{id}/merge` `{"into": 12}`.
pub async fn merge(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    StrictJson(b): StrictJson<Merge>,
) -> Result<Response, ApiError> {
    state.publisher.merge_storylines(id, b.into).await?;
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
        .map_err(ApiError::store)?
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
#[serde(deny_unknown_fields)]
pub struct Split {
    from: String,
}

/// `POST /api/v1/storylines/{id}/split` `{"from": "en/<slug>"}`.
pub async fn split(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    StrictJson(b): StrictJson<Split>,
) -> Result<Response, ApiError> {
    let article = article_id(&state, &b.from).await?;
    let new = state.publisher.split_storyline(id, article).await?;
    state.cache.clear();
    Ok(ok(json!({ "storyline": id, "new_storyline": new })))
}

/// Body of a move.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Move {
    to: Option<i64>,
}

/// `POST /api/v1/articles/{lang}/{slug}/storyline` `{"to": 12}` (null: a new storyline).
pub async fn move_article(
    State(state): State<AppState>,
    ApiPath((lang, slug)): ApiPath<(String, String)>,
    StrictJson(b): StrictJson<Move>,
) -> Result<Response, ApiError> {
    let article = article_id(&state, &format!("{lang}/{slug}")).await?;
    let now = state.publisher.move_article(article, b.to).await?;
    state.cache.clear();
    Ok(ok(json!({ "storyline": now })))
}

/// Query of the storyline list.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
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
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    let lang: Language = q.lang.as_deref().unwrap_or("en").parse().map_err(
        |e: trendwatch_core::language::UnknownLanguage| {
            ApiError(StatusCode::BAD_REQUEST, e.to_string())
        },
    )?;
    let items: Vec<StorylineOut> = state
        .store
        .recent_storylines(lang, 10_000)
        .await
        .map_err(ApiError::store)?
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
#[serde(deny_unknown_fields)]
pub struct Resolve {
    outcome: String,
}

/// `POST /api/v1/forecasts/{id}/resolve` `{"outcome": "happened" | "did_not_happen" | "void"}`.
pub async fn resolve(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    StrictJson(b): StrictJson<Resolve>,
) -> Result<Response, ApiError> {
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
#[serde(deny_unknown_fields)]
pub struct OverdueQuery {
    today: Option<String>,
}

/// `GET /api/v1/forecasts/overdue[?today=YYYY-MM-DD]`: unresolved forecasts past their date.
pub async fn overdue(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<OverdueQuery>,
) -> Result<Response, ApiError> {
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
        .map_err(ApiError::store)?;
    Ok(ok(
        json!({ "today": today.to_string(), "forecasts": list.iter().map(forecast_json).collect::<Vec<_>>() }),
    ))
}

/// Body of a similar-list decision.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
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
    ApiPath((lang, slug)): ApiPath<(String, String)>,
    StrictJson(b): StrictJson<SimilarDecision>,
) -> Result<Response, ApiError> {
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
    ApiPath((lang, slug)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let id = article_id(&state, &format!("{lang}/{slug}")).await?;
    let l: Language = lang
        .parse()
        .map_err(|_| ApiError(StatusCode::NOT_FOUND, "unknown language".into()))?;
    let a = state
        .store
        .article(l, &slug)
        .await
        .map_err(ApiError::store)?
        .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, "no such article".into()))?;
    let list = state.store.similar(&a, 5).await.map_err(ApiError::store)?;
    let decisions = state
        .store
        .related_overrides(id)
        .await
        .map_err(ApiError::store)?;
    Ok(ok(json!({
        "similar": list.iter().map(|s| format!("{}/{}", s.lang.code(), s.slug)).collect::<Vec<_>>(),
        "decisions": decisions.iter().map(|(r, k)| json!({"article_id": r, "decision": k})).collect::<Vec<_>>(),
    })))
}
