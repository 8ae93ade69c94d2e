//! The writing desk: one form for everything the public page shows, saved as revisions that
//! never overwrite each other (a stale save gets the merge page, 409), the workflow buttons
//! (submit, request changes, schedule, publish, unpublish), the preview in the public
//! article template, translations side by side, and the revision history with word-level
//! differences and restore. The rules live in `trendwatch_service::newsroom`; this module
//! only reads forms and renders pages.

use super::desk::{render, DeskForm, DeskUser, NoFields};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::HashMap;
use time::OffsetDateTime;
use trendwatch_core::accounts::{Role, User};
use trendwatch_core::newsroom::{
    self, DeskArticle, DeskContent, DeskForecast, DeskState, DiffPart, FieldProblem, Transition,
};
use trendwatch_core::{Alert, Language, Period, Status};
use trendwatch_service::newsroom::{ActionRequest, NewsroomError};

/// Forecast rows the form offers beyond those already written.
const SPARE_FORECAST_ROWS: usize = 1;
/// Most forecast rows a form carries.
const MAX_FORECAST_ROWS: usize = 10;

/// The form's fields as sent: a map, because forecast rows are numbered fields.
type Fields = HashMap<String, String>;

fn field(f: &Fields, name: &str) -> String {
    f.get(name)
        .map(|v| v.trim().to_string())
        .unwrap_or_default()
}

fn list(f: &Fields, name: &str) -> Vec<String> {
    field(f, name)
        .split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The content a form describes; `lang` comes from the article (a version's language never
/// changes) or, for a new one, from the form.
fn content_of(f: &Fields, lang: Language) -> Result<DeskContent, FieldProblem> {
    let period = field(f, "period")
        .parse::<Period>()
        .map_err(|e| FieldProblem {
            field: "period",
            message: format!("Week: {e} (for example 2026-W48)."),
        })?;
    let forecasts = (1..=MAX_FORECAST_ROWS)
        .map(|i| DeskForecast {
            statement: field(f, &format!("forecast{i}_statement")),
            probability: field(f, &format!("forecast{i}_probability")),
            resolve_by: field(f, &format!("forecast{i}_resolve_by")),
        })
        .filter(|r| {
            !(r.statement.is_empty() && r.probability.is_empty() && r.resolve_by.is_empty())
        })
        .collect();
    Ok(DeskContent {
        lang,
        topic: field(f, "topic"),
        period,
        title: field(f, "title"),
        status: field(f, "status"),
        rationale: field(f, "rationale"),
        alert: field(f, "alert"),
        lead: field(f, "lead"),
        // Markdown keeps its line structure; only the ends are trimmed.
        body_markdown: f
            .get("body")
            .map(|b| b.replace("\r\n", "\n").trim().to_string())
            .unwrap_or_default(),
        image_url: field(f, "image_url"),
        image_credit: field(f, "image_credit"),
        image_alt: field(f, "image_alt"),
        tags: list(f, "tags"),
        authors: list(f, "authors"),
        forecasts,
        correction: field(f, "correction"),
        storyline: field(f, "storyline"),
    })
}

/// One forecast row of the form.
struct ForecastRow {
    n: usize,
    statement: String,
    probability: String,
    resolve_by: String,
}

/// What the form shows: the content's fields, as text.
struct FormView {
    lang: &'static str,
    topic: String,
    period: String,
    title: String,
    status: String,
    rationale: String,
    alert: String,
    lead: String,
    body: String,
    image_url: String,
    image_credit: String,
    image_alt: String,
    tags: String,
    authors: String,
    forecasts: Vec<ForecastRow>,
    correction: String,
    storyline: String,
}

impl FormView {
    fn of(c: &DeskContent) -> FormView {
        let mut forecasts: Vec<ForecastRow> = c
            .forecasts
            .iter()
            .enumerate()
            .map(|(i, f)| ForecastRow {
                n: i + 1,
                statement: f.statement.clone(),
                probability: f.probability.clone(),
                resolve_by: f.resolve_by.clone(),
            })
            .collect();
        for _ in 0..SPARE_FORECAST_ROWS {
            if forecasts.len() < MAX_FORECAST_ROWS {
                forecasts.push(ForecastRow {
                    n: forecasts.len() + 1,
                    statement: String::new(),
                    probability: String::new(),
                    resolve_by: String::new(),
                });
            }
        }
        FormView {
            lang: c.lang.code(),
            topic: c.topic.clone(),
            period: c.period.to_string(),
            title: c.title.clone(),
            status: c.status.clone(),
            rationale: c.rationale.clone(),
            alert: c.alert.clone(),
            lead: c.lead.clone(),
            body: c.body_markdown.clone(),
            image_url: c.image_url.clone(),
            image_credit: c.image_credit.clone(),
            image_alt: c.image_alt.clone(),
            tags: c.tags.join(", "),
            authors: c.authors.join(", "),
            forecasts,
            correction: c.correction.clone(),
            storyline: c.storyline.clone(),
        }
    }
}

/// A choice of a `<select>`.
struct Choice {
    value: String,
    label: String,
}

fn topic_choices(state: &AppState) -> Vec<Choice> {
    state
        .site
        .topics
        .iter()
        .map(|t| Choice {
            value: t.slug.clone(),
            label: t.name(Language::En).to_string(),
        })
        .collect()
}

fn status_choices() -> Vec<Choice> {
    Status::ALL
        .iter()
        .map(|s| Choice {
            value: s.code().to_string(),
            label: s.label(Language::En).to_string(),
        })
        .collect()
}

fn alert_choices() -> Vec<Choice> {
    [Alert::None, Alert::Risk, Alert::Opportunity]
        .iter()
        .map(|a| Choice {
            value: if *a == Alert::None {
                String::new()
            } else {
                a.code().to_string()
            },
            label: a.label(Language::En).to_string(),
        })
        .collect()
}

/// A workflow button.
struct Action {
    code: &'static str,
    label: &'static str,
}

/// A link to another language's version, or the button that starts it.
struct Version {
    lang: &'static str,
    url: Option<String>,
    state: String,
}

/// The other version shown beside the form.
struct Beside {
    lang: &'static str,
    url: String,
    title: String,
    lead: String,
    body: String,
}

struct CommentView {
    at: String,
    author: String,
    text: String,
}

#[derive(Template)]
#[template(path = "desk_article.html")]
struct ArticleFormPage<'a> {
    title: String,
    site_name: &'a str,
    css_url: String,
    user_name: &'a str,
    user_role: &'static str,
    csrf: String,
    /// Desk id, `None` for a new article.
    id: Option<i64>,
    action_url: String,
    state_code: &'static str,
    state_label: &'static str,
    author: String,
    updated: String,
    base_revision: i64,
    editable: bool,
    lock_notice: Option<String>,
    message: Option<String>,
    problems: Vec<FieldProblem>,
    form: FormView,
    topics: Vec<Choice>,
    statuses: Vec<Choice>,
    alerts: Vec<Choice>,
    actions: Vec<Action>,
    scheduled_for: Option<String>,
    publish_at: String,
    time_zone: String,
    public_url: Option<String>,
    /// For editors, once published: its storyline and similar list, to curate.
    curation: Option<Curation>,
    /// Before the first publication: the storyline field is offered, with the link that
    /// asks the threader.
    storyline_open: bool,
    /// The threader's suggestion, when asked for: what it means, and where to read it.
    suggestion: Option<(String, Option<String>)>,
    versions: Vec<Version>,
    beside: Option<Beside>,
    comments: Vec<CommentView>,
}

impl ArticleFormPage<'_> {
    /// The message of the check that failed on `field`, if one did.
    fn problem(&self, field: &str) -> Option<&str> {
        self.problems
            .iter()
            .find(|p| p.field == field)
            .map(|p| p.message.as_str())
    }
}

fn store_failed(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "desk: the newsroom failed");
    StatusCode::SERVICE_UNAVAILABLE.into_response()
}

/// An instant as the desk shows it: the office's date and time to the minute.
pub(crate) fn minutes(state: &AppState, t: OffsetDateTime) -> String {
    let local = state.newsroom.wall_clock(t);
    format!("{} {:02}:{:02}", local.date(), local.hour(), local.minute())
}

/// Query of `GET /desk/articles/new`.
#[derive(Deserialize)]
pub struct NewQuery {
    lang: Option<String>,
    topic: Option<String>,
    week: Option<String>,
}

/// `GET /desk/articles/new?lang=en&topic=security&week=2026-W48`: an empty form for a grid
/// cell. Nothing is stored until it is sent (GET never changes state).
pub async fn new_form(
    State(state): State<AppState>,
    desk: DeskUser,
    Query(q): Query<NewQuery>,
) -> Response {
    let lang = q.lang.and_then(|l| l.parse().ok()).unwrap_or(Language::En);
    let period = q
        .week
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| Period::reviewed_on(OffsetDateTime::now_utc().date()));
    let topic = q
        .topic
        .filter(|t| state.site.topics.by_slug(t).is_some())
        .or_else(|| state.site.topics.iter().next().map(|t| t.slug.clone()))
        .unwrap_or_default();
    let content = DeskContent::empty(lang, &topic, period, &desk.0.name);
    new_page(
        &state,
        &desk.0,
        &desk.csrf(),
        &content,
        Vec::new(),
        StatusCode::OK,
    )
}

fn new_page(
    state: &AppState,
    user: &User,
    csrf: &str,
    content: &DeskContent,
    problems: Vec<FieldProblem>,
    status: StatusCode,
) -> Response {
    let page = ArticleFormPage {
        storyline_open: true,
        suggestion: None,
        title: "New commentary".into(),
        site_name: state.site.name(Language::En),
        css_url: super::assets::css_url(),
        user_name: &user.name,
        user_role: user.role.code(),
        csrf: csrf.to_string(),
        id: None,
        action_url: "/desk/articles".into(),
        state_code: "new",
        state_label: "new",
        author: user.name.clone(),
        updated: String::new(),
        base_revision: 0,
        editable: true,
        lock_notice: None,
        message: None,
        problems,
        form: FormView::of(content),
        topics: topic_choices(state),
        statuses: status_choices(),
        alerts: alert_choices(),
        actions: Vec::new(),
        scheduled_for: None,
        publish_at: String::new(),
        time_zone: state.public.zone_name().to_string(),
        public_url: None,
        curation: None,
        versions: Vec::new(),
        beside: None,
        comments: Vec::new(),
    };
    render(&page, status)
}

/// `POST /desk/articles`: creates the draft from the form and opens it.
pub async fn create(State(state): State<AppState>, sent: DeskForm<Fields>) -> Response {
    let lang = field(&sent.form, "lang").parse().unwrap_or(Language::En);
    let csrf = sent.session().csrf_token();
    let content = match content_of(&sent.form, lang) {
        Ok(c) => c,
        Err(p) => {
            let fallback = DeskContent::empty(
                lang,
                &field(&sent.form, "topic"),
                Period::reviewed_on(OffsetDateTime::now_utc().date()),
                &sent.user.name,
            );
            return new_page(
                &state,
                &sent.user,
                &csrf,
                &fallback,
                vec![p],
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
    };
    match state
        .newsroom
        .create(&sent.user, content.clone(), None, OffsetDateTime::now_utc())
        .await
    {
        Ok(id) => Redirect::to(&format!("/desk/articles/{id}")).into_response(),
        Err(NewsroomError::Invalid(m)) => new_page(
            &state,
            &sent.user,
            &csrf,
            &content,
            vec![FieldProblem {
                field: "topic",
                message: m,
            }],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => store_failed(e),
    }
}

/// What the edit page shows besides the article itself.
struct Notes {
    message: Option<String>,
    problems: Vec<FieldProblem>,
    lock: Option<newsroom::DeskLock>,
    /// The threader's suggestion, when the editor asked for it.
    suggestion: Option<trendwatch_service::newsroom::StorylineSuggestion>,
}

async fn edit_page(
    state: &AppState,
    user: &User,
    csrf: &str,
    a: &DeskArticle,
    shown: &DeskContent,
    notes: Notes,
    status: StatusCode,
) -> Response {
    let own = a.author_id == user.id;
    let (versions, comments) = match (
        state.store.desk_translations(a.id).await,
        state.store.desk_comments(a.id).await,
    ) {
        (Ok(v), Ok(c)) => (v, c),
        (Err(e), _) | (_, Err(e)) => return store_failed(e),
    };
    let beside = match versions.iter().find(|v| v.id != a.id) {
        Some(other) => match state.store.desk_article(other.id).await {
            Ok(Some(o)) => Some(Beside {
                lang: o.content.lang.code(),
                url: format!("/desk/articles/{}", o.id),
                title: o.content.title,
                lead: o.content.lead,
                body: o.content.body_markdown,
            }),
            Ok(None) => None,
            Err(e) => return store_failed(e),
        },
        None => None,
    };
    let versions = Language::ALL
        .iter()
        .filter(|l| **l != a.content.lang)
        .map(|l| {
            let found = versions.iter().find(|v| v.lang == *l);
            Version {
                lang: l.code(),
                url: found.map(|v| format!("/desk/articles/{}", v.id)),
                state: found.map_or_else(String::new, |v| v.state.label().to_string()),
            }
        })
        .collect();
    let public_url =
        (a.state == DeskState::Published).then(|| format!("/desk/articles/{}/public", a.id));
    let curation = if a.state == DeskState::Published && user.role.includes(Role::Editor) {
        match curation_of(state, a).await {
            Ok(c) => c,
            Err(e) => return store_failed(e),
        }
    } else {
        None
    };
    let lock_notice = notes.lock.map(|l| {
        format!(
            "{} has had this article open since {}. Saving may conflict with their changes; \
             the desk will show you both versions if it does.",
            l.user_name,
            minutes(state, l.since)
        )
    });
    let suggestion = notes.suggestion.map(|s| match s.choice {
        newsroom::StorylineChoice::Existing(id) => (
            format!(
                "storyline {id}, “{}”",
                s.title.as_deref().unwrap_or("untitled")
            ),
            Some(format!("/{}/storylines/{id}", a.content.lang.code())),
        ),
        _ => ("a new storyline of its own".to_string(), None),
    });
    let page = ArticleFormPage {
        storyline_open: a.published_revision.is_none(),
        suggestion,
        title: if a.content.title.is_empty() {
            "Untitled commentary".into()
        } else {
            a.content.title.clone()
        },
        site_name: state.site.name(Language::En),
        css_url: super::assets::css_url(),
        user_name: &user.name,
        user_role: user.role.code(),
        csrf: csrf.to_string(),
        id: Some(a.id),
        action_url: format!("/desk/articles/{}", a.id),
        state_code: a.state.code(),
        state_label: a.state.label(),
        author: a.author_name.clone(),
        updated: format!("{} by {}", minutes(state, a.updated_at), a.updated_by),
        base_revision: a.revision,
        editable: newsroom::may_edit(a.state, user.role, own),
        lock_notice,
        message: notes.message,
        problems: notes.problems,
        form: FormView::of(shown),
        topics: topic_choices(state),
        statuses: status_choices(),
        alerts: alert_choices(),
        actions: newsroom::available(a.state, user.role, own)
            .into_iter()
            .map(|t| Action {
                code: t.code(),
                label: t.label(),
            })
            .collect(),
        scheduled_for: a.scheduled_at.map(|t| minutes(state, t)),
        publish_at: String::new(),
        time_zone: state.public.zone_name().to_string(),
        public_url,
        curation,
        versions,
        beside,
        comments: comments
            .into_iter()
            .map(|c| CommentView {
                at: minutes(state, c.at),
                author: c.author_name,
                text: c.text,
            })
            .collect(),
    };
    render(&page, status)
}

/// Query of `GET /desk/articles/{id}`.
#[derive(Deserialize)]
pub struct EditQuery {
    /// Present: ask the threader where the article would go.
    suggest: Option<String>,
}

/// `GET /desk/articles/{id}`: the writing form, with the checks that still fail next to
/// their fields, and who else has the article open; `?suggest=1` adds the threader's
/// storyline (it threads the archive again, so only on demand).
pub async fn edit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<EditQuery>,
    desk: DeskUser,
) -> Response {
    let (a, lock) = match state
        .newsroom
        .open(&desk.0, id, OffsetDateTime::now_utc())
        .await
    {
        Ok(v) => v,
        Err(NewsroomError::NotFound) => return not_found(),
        Err(e) => return store_failed(e),
    };
    let problems = match state.newsroom.problems(&a).await {
        Ok(p) => p,
        Err(e) => return store_failed(e),
    };
    let suggestion = if q.suggest.is_some() && a.published_revision.is_none() {
        match state.newsroom.suggest_storyline(&a).await {
            Ok(s) => Some(s),
            Err(e) => return store_failed(e),
        }
    } else {
        None
    };
    let shown = a.content.clone();
    edit_page(
        &state,
        &desk.0,
        &desk.csrf(),
        &a,
        &shown,
        Notes {
            message: None,
            problems,
            lock,
            suggestion,
        },
        StatusCode::OK,
    )
    .await
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "No such article in the desk.").into_response()
}

/// `GET /desk/articles/{id}/public`: the published page of a desk article.
pub async fn public_page(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    _desk: DeskUser,
) -> Response {
    let a = match state.store.desk_article(id).await {
        Ok(Some(a)) => a,
        Ok(None) => return not_found(),
        Err(e) => return store_failed(e),
    };
    match public_slug(&state, &a).await {
        Some(url) => Redirect::to(&url).into_response(),
        None => not_found(),
    }
}

/// The public address of a desk article's published copy.
async fn public_slug(state: &AppState, a: &DeskArticle) -> Option<String> {
    let week = state
        .store
        .week(a.content.lang, a.content.period)
        .await
        .ok()?;
    let id = state.store.article_id_by_key(&a.article_key).await.ok()??;
    week.into_iter()
        .find(|s| s.id == id)
        .map(|s| crate::views::article_url(s.lang, &s.slug))
}

/// `POST /desk/articles/{id}`: saves the form as a new revision (if its content changed and
/// the account may change it), then takes the workflow step its button names. A save from
/// an older revision than the current one changes nothing and answers the merge page (409).
pub async fn save(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    sent: DeskForm<Fields>,
) -> Response {
    let now = OffsetDateTime::now_utc();
    let csrf = sent.session().csrf_token();
    let user = &sent.user;
    let a = match state.newsroom.article(id).await {
        Ok(a) => a,
        Err(NewsroomError::NotFound) => return not_found(),
        Err(e) => return store_failed(e),
    };
    let own = a.author_id == user.id;
    let requested = field(&sent.form, "action");
    let transition = match requested.as_str() {
        "" | "save" => None,
        code => match code.parse::<Transition>() {
            Ok(t) => Some(t),
            Err(e) => return (StatusCode::BAD_REQUEST, e).into_response(),
        },
    };
    let mut notes = Notes {
        message: None,
        problems: Vec::new(),
        lock: None,
        suggestion: None,
    };
    let may_edit = newsroom::may_edit(a.state, user.role, own);
    if !may_edit && transition.is_none() {
        return (
            StatusCode::FORBIDDEN,
            "You cannot change this article: only its author (until an editor takes it over) \
             and editors can.",
        )
            .into_response();
    }
    if may_edit {
        let content = match content_of(&sent.form, a.content.lang) {
            Ok(c) => c,
            Err(p) => {
                notes.problems.push(p);
                notes.message = Some("Nothing was saved: correct the marked field.".into());
                return edit_page(
                    &state,
                    user,
                    &csrf,
                    &a,
                    &a.content,
                    notes,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
        };
        let base: i64 = field(&sent.form, "base_revision").parse().unwrap_or(0);
        match state.newsroom.save(user, id, base, &content, now).await {
            Ok(_) => {}
            Err(NewsroomError::Stale { current, .. }) => {
                return conflict_page(&state, user, &csrf, id, &content, current).await;
            }
            Err(NewsroomError::Problems(p)) => {
                notes.problems = p;
                notes.message = Some("Nothing was saved: correct the marked fields.".into());
                return edit_page(
                    &state,
                    user,
                    &csrf,
                    &a,
                    &content,
                    notes,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
            Err(NewsroomError::Forbidden(m)) => return (StatusCode::FORBIDDEN, m).into_response(),
            Err(e) => return store_failed(e),
        }
    }
    if let Some(t) = transition {
        let at = field(&sent.form, "publish_at");
        let request = ActionRequest {
            comment: Some(field(&sent.form, "comment")).filter(|c| !c.is_empty()),
            at: parse_local(&state, &at),
        };
        if t == Transition::Schedule && request.at.is_none() {
            return reshow(
                &state,
                user,
                &csrf,
                id,
                "Choose the date and time of publication.",
                StatusCode::UNPROCESSABLE_ENTITY,
                Vec::new(),
            )
            .await;
        }
        match state.newsroom.act(user, id, t, request, now).await {
            Ok(_) => {
                if matches!(t, Transition::Publish | Transition::Unpublish) {
                    // Readers see the change at once rather than at the cache's next check.
                    if let Ok(g) = state.store.generation().await {
                        state.cache.observe_generation(g);
                    }
                }
            }
            Err(NewsroomError::Problems(p)) => {
                return reshow(
                    &state,
                    user,
                    &csrf,
                    id,
                    &format!(
                        "Saved, but not {}: correct the marked fields first.",
                        t.label().to_lowercase()
                    ),
                    StatusCode::UNPROCESSABLE_ENTITY,
                    p,
                )
                .await;
            }
            Err(NewsroomError::Forbidden(m)) => return (StatusCode::FORBIDDEN, m).into_response(),
            Err(NewsroomError::Invalid(m)) => {
                return reshow(
                    &state,
                    user,
                    &csrf,
                    id,
                    &m,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Vec::new(),
                )
                .await;
            }
            Err(NewsroomError::NotFound) => return not_found(),
            Err(e) => return store_failed(e),
        }
    }
    Redirect::to(&format!("/desk/articles/{id}")).into_response()
}

/// The edit page again, as stored now, with a message and the problems found.
async fn reshow(
    state: &AppState,
    user: &User,
    csrf: &str,
    id: i64,
    message: &str,
    status: StatusCode,
    problems: Vec<FieldProblem>,
) -> Response {
    match state.newsroom.article(id).await {
        Ok(a) => {
            let shown = a.content.clone();
            edit_page(
                state,
                user,
                csrf,
                &a,
                &shown,
                Notes {
                    message: Some(message.to_string()),
                    problems,
                    lock: None,
                    suggestion: None,
                },
                status,
            )
            .await
        }
        Err(e) => store_failed(e),
    }
}

/// A `datetime-local` value (`2026-12-01T09:30`) in the office's time zone, as an instant.
fn parse_local(state: &AppState, value: &str) -> Option<OffsetDateTime> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let fmt_s = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let local = time::PrimitiveDateTime::parse(value, &fmt)
        .or_else(|_| time::PrimitiveDateTime::parse(value, &fmt_s))
        .ok()?;
    Some(state.newsroom.instant(local))
}

/// One field of the merge page: the current text, the sender's, and the difference.
struct MergeField {
    label: &'static str,
    differs: bool,
    diff: Vec<DiffView>,
}

/// A run of a word-level difference, for templates.
struct DiffView {
    kind: &'static str,
    text: String,
}

fn diff_view(old: &str, new: &str) -> Vec<DiffView> {
    newsroom::word_diff(old, new)
        .into_iter()
        .map(|p| match p {
            DiffPart::Same(t) => DiffView {
                kind: "same",
                text: t,
            },
            DiffPart::Removed(t) => DiffView {
                kind: "removed",
                text: t,
            },
            DiffPart::Added(t) => DiffView {
                kind: "added",
                text: t,
            },
        })
        .collect()
}

fn field_diffs(old: &DeskContent, new: &DeskContent) -> Vec<MergeField> {
    old.fields_for_diff()
        .into_iter()
        .zip(new.fields_for_diff())
        .map(|((label, a), (_, b))| MergeField {
            label,
            differs: a != b,
            diff: diff_view(&a, &b),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "desk_conflict.html")]
struct ConflictPage<'a> {
    title: String,
    site_name: &'a str,
    css_url: String,
    user_name: &'a str,
    user_role: &'static str,
    csrf: String,
    id: i64,
    current_revision: i64,
    current_by: String,
    current_at: String,
    fields: Vec<MergeField>,
    form: FormView,
    topics: Vec<Choice>,
    statuses: Vec<Choice>,
    alerts: Vec<Choice>,
}

/// The 409 answer to a stale save: what changed between the current revision and the
/// sender's copy, field by field, and the form again holding the sender's text on top of the
/// current revision, to merge by hand and save. Nothing was overwritten.
async fn conflict_page(
    state: &AppState,
    user: &User,
    csrf: &str,
    id: i64,
    theirs: &DeskContent,
    current: i64,
) -> Response {
    let a = match state.newsroom.article(id).await {
        Ok(a) => a,
        Err(e) => return store_failed(e),
    };
    let page = ConflictPage {
        title: "Changed meanwhile".into(),
        site_name: state.site.name(Language::En),
        css_url: super::assets::css_url(),
        user_name: &user.name,
        user_role: user.role.code(),
        csrf: csrf.to_string(),
        id,
        current_revision: current,
        current_by: a.updated_by.clone(),
        current_at: minutes(state, a.updated_at),
        fields: field_diffs(&a.content, theirs),
        form: FormView::of(theirs),
        topics: topic_choices(state),
        statuses: status_choices(),
        alerts: alert_choices(),
    };
    render(&page, StatusCode::CONFLICT)
}

/// `GET /desk/articles/{id}/preview`: the article as readers will see it, rendered by the
/// public article template (similar articles and storyline appear once it is published).
pub async fn preview(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    _desk: DeskUser,
) -> Response {
    let a = match state.newsroom.article(id).await {
        Ok(a) => a,
        Err(NewsroomError::NotFound) => return not_found(),
        Err(e) => return store_failed(e),
    };
    let body_html = match trendwatch_import::markdown::to_html(&a.content.body_markdown) {
        Ok(h) => h,
        Err(m) => return (StatusCode::UNPROCESSABLE_ENTITY, m).into_response(),
    };
    let when = state.newsroom.wall_clock(
        a.published_at
            .or(a.scheduled_at)
            .unwrap_or_else(OffsetDateTime::now_utc),
    );
    let draft = a
        .content
        .to_article_draft(a.article_key.clone(), body_html, when, None);
    let new = match draft.prepare(&state.site.topics) {
        Ok(n) => n,
        Err(e) => {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("The preview needs a complete article: {e}"),
            )
                .into_response()
        }
    };
    let recent = state
        .cache
        .recent_storylines(&*state.store, new.lang, 5)
        .await
        .unwrap_or_default();
    let article = trendwatch_core::article::Article {
        id: 0,
        content: new,
        copy_of: None,
    };
    match super::article::render(
        &state,
        &article,
        super::article::Parts {
            translations: Vec::new(),
            similar: Vec::new(),
            storyline: None,
            recent,
        },
    ) {
        Ok(mut resp) => {
            resp.headers_mut().insert(
                "x-robots-tag",
                axum::http::HeaderValue::from_static("noindex"),
            );
            resp
        }
        Err(e) => e.into_response(),
    }
}

/// A revision in the history list.
struct RevisionRow {
    number: i64,
    at: String,
    author: String,
    note: String,
    title: String,
    published: bool,
}

#[derive(Template)]
#[template(path = "desk_revisions.html")]
struct RevisionsPage<'a> {
    title: String,
    site_name: &'a str,
    css_url: String,
    user_name: &'a str,
    user_role: &'static str,
    csrf: String,
    id: i64,
    editable: bool,
    current: i64,
    rows: Vec<RevisionRow>,
    compare: Option<(i64, i64, Vec<MergeField>)>,
}

/// Query of the history page: the two revisions to compare.
#[derive(Deserialize)]
pub struct CompareQuery {
    from: Option<i64>,
    to: Option<i64>,
}

/// `GET /desk/articles/{id}/revisions?from=1&to=3`: every revision, the word-level
/// difference between any two, and restore buttons.
pub async fn revisions(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    desk: DeskUser,
    Query(q): Query<CompareQuery>,
) -> Response {
    let a = match state.newsroom.article(id).await {
        Ok(a) => a,
        Err(NewsroomError::NotFound) => return not_found(),
        Err(e) => return store_failed(e),
    };
    let revs = match state.store.desk_revisions(id).await {
        Ok(r) => r,
        Err(e) => return store_failed(e),
    };
    let compare = match (q.from, q.to) {
        (Some(f), Some(t)) => {
            let find = |n: i64| revs.iter().find(|r| r.number == n);
            match (find(f), find(t)) {
                (Some(x), Some(y)) => Some((f, t, field_diffs(&x.content, &y.content))),
                _ => return not_found(),
            }
        }
        _ => None,
    };
    let user = &desk.0;
    let page = RevisionsPage {
        title: format!("History of “{}”", a.content.title),
        site_name: state.site.name(Language::En),
        css_url: super::assets::css_url(),
        user_name: &user.name,
        user_role: user.role.code(),
        csrf: desk.csrf(),
        id,
        editable: newsroom::may_edit(a.state, user.role, a.author_id == user.id),
        current: a.revision,
        rows: revs
            .iter()
            .map(|r| RevisionRow {
                number: r.number,
                at: minutes(&state, r.at),
                author: r.author_name.clone(),
                note: r.note.clone(),
                title: r.content.title.clone(),
                published: a.published_revision == Some(r.number),
            })
            .collect(),
        compare,
    };
    render(&page, StatusCode::OK)
}

/// `POST /desk/articles/{id}/revisions/{n}/restore`: makes revision `n` the current content
/// again, as a new revision.
pub async fn restore(
    State(state): State<AppState>,
    Path((id, n)): Path<(i64, i64)>,
    sent: DeskForm<NoFields>,
) -> Response {
    match state
        .newsroom
        .restore(&sent.user, id, n, OffsetDateTime::now_utc())
        .await
    {
        Ok(_) => Redirect::to(&format!("/desk/articles/{id}")).into_response(),
        Err(NewsroomError::NotFound) => not_found(),
        Err(NewsroomError::Forbidden(m)) => (StatusCode::FORBIDDEN, m).into_response(),
        Err(NewsroomError::Stale { .. }) => {
            Redirect::to(&format!("/desk/articles/{id}/revisions")).into_response()
        }
        Err(e) => store_failed(e),
    }
}

/// The translate button's field.
#[derive(Deserialize)]
pub struct TranslateForm {
    lang: String,
}

/// `POST /desk/articles/{id}/translate`: starts the other language's version, linked to
/// this one, and opens it beside the original.
pub async fn translate(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    sent: DeskForm<TranslateForm>,
) -> Response {
    let Ok(lang) = sent.form.lang.parse::<Language>() else {
        return (StatusCode::BAD_REQUEST, "unknown language").into_response();
    };
    match state
        .newsroom
        .translate(&sent.user, id, lang, OffsetDateTime::now_utc())
        .await
    {
        Ok(new) => Redirect::to(&format!("/desk/articles/{new}")).into_response(),
        Err(NewsroomError::NotFound) => not_found(),
        Err(NewsroomError::Invalid(m)) => (StatusCode::CONFLICT, m).into_response(),
        Err(e) => store_failed(e),
    }
}

/// `POST /desk/articles/{id}/image` (multipart): an image for the article, with its credit
/// and description. The anti-forgery field must come before the file (the form puts it
/// first), so that no byte of a forged upload is read; the file is capped while it streams
/// (413), checked and re-encoded ([`crate::uploads`]), stored under a name chosen here, and
/// set as the article's image in a new revision.
pub async fn upload_image(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    desk: DeskUser,
    mut multipart: axum::extract::Multipart,
) -> Response {
    use crate::uploads::{self, UploadError};
    let Some(dir) = state.uploads_dir.clone() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "Uploads are not set up on this server.",
        )
            .into_response();
    };
    let too_large = || {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("{}.", UploadError::TooLarge),
        )
            .into_response()
    };
    let mut token_ok = false;
    let mut fields: HashMap<String, String> = HashMap::new();
    let mut file: Vec<u8> = Vec::new();
    loop {
        let mut part = match multipart.next_field().await {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return too_large(),
            Err(e) => return (StatusCode::BAD_REQUEST, e.body_text()).into_response(),
        };
        let name = part.name().unwrap_or_default().to_string();
        if name == "image" {
            if !token_ok {
                return (
                    StatusCode::FORBIDDEN,
                    "The form did not come from the desk.",
                )
                    .into_response();
            }
            loop {
                match part.chunk().await {
                    Ok(Some(chunk)) => {
                        if file.len() + chunk.len() > uploads::MAX_UPLOAD_BYTES {
                            tracing::warn!(
                                user = desk.0.id,
                                "desk: upload over the size cap refused"
                            );
                            return too_large();
                        }
                        file.extend_from_slice(&chunk);
                    }
                    Ok(None) => break,
                    Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return too_large(),
                    Err(e) => return (StatusCode::BAD_REQUEST, e.body_text()).into_response(),
                }
            }
        } else {
            let value = match part.text().await {
                Ok(v) => v,
                Err(e) => return (StatusCode::BAD_REQUEST, e.body_text()).into_response(),
            };
            if name == "csrf" {
                token_ok = desk.csrf_matches(&value);
            }
            fields.insert(name, value);
        }
    }
    if !token_ok {
        return (
            StatusCode::FORBIDDEN,
            "The form did not come from the desk.",
        )
            .into_response();
    }
    if file.is_empty() {
        return reshow(
            &state,
            &desk.0,
            &desk.csrf(),
            id,
            "Choose an image file to upload.",
            StatusCode::UNPROCESSABLE_ENTITY,
            Vec::new(),
        )
        .await;
    }
    let a = match state.newsroom.article(id).await {
        Ok(a) => a,
        Err(NewsroomError::NotFound) => return not_found(),
        Err(e) => return store_failed(e),
    };
    if !newsroom::may_edit(a.state, desk.0.role, a.author_id == desk.0.id) {
        return (StatusCode::FORBIDDEN, "You cannot change this article.").into_response();
    }
    let checked = tokio::task::spawn_blocking(move || uploads::reencode(&file)).await;
    let (bytes, kind) = match checked {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            let status = match e {
                UploadError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
                UploadError::NotAnImage => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                UploadError::TooManyPixels | UploadError::Damaged(_) => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
            };
            return reshow(
                &state,
                &desk.0,
                &desk.csrf(),
                id,
                &format!("The image was not accepted: {e}."),
                status,
                Vec::new(),
            )
            .await;
        }
        Err(e) => return store_failed(e),
    };
    let stem = trendwatch_service::accounts::random_hex(16);
    let stored =
        tokio::task::spawn_blocking(move || uploads::store(&dir, &bytes, kind, &stem)).await;
    let name = match stored {
        Ok(Ok(n)) => n,
        Ok(Err(e)) => return store_failed(e),
        Err(e) => return store_failed(e),
    };
    let mut content = a.content.clone();
    content.image_url = format!("/uploads/{name}");
    for (key, slot) in [
        ("image_credit", &mut content.image_credit),
        ("image_alt", &mut content.image_alt),
    ] {
        if let Some(v) = fields.get(key).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            *slot = v.to_string();
        }
    }
    let base: i64 = fields
        .get("base_revision")
        .and_then(|b| b.parse().ok())
        .unwrap_or(0);
    match state
        .newsroom
        .save(&desk.0, id, base, &content, OffsetDateTime::now_utc())
        .await
    {
        Ok(_) => Redirect::to(&format!("/desk/articles/{id}")).into_response(),
        Err(NewsroomError::Stale { current, .. }) => {
            conflict_page(&state, &desk.0, &desk.csrf(), id, &content, current).await
        }
        Err(NewsroomError::Forbidden(m)) => (StatusCode::FORBIDDEN, m).into_response(),
        Err(e) => store_failed(e),
    }
}

/// An editor's view of a published article's place in the archive: its storyline (with the
/// storylines it could move to) and the similar list readers see.
struct Curation {
    /// Its storyline: title and public address.
    storyline: Option<(String, String)>,
    /// Where it could go: recent storylines of its language.
    storylines: Vec<Choice>,
    /// The similar list readers see: title, public address, `lang/slug`.
    similar: Vec<(String, String, String)>,
}

/// The public copy of a desk article, whole, if it is published.
async fn public_article(
    state: &AppState,
    a: &DeskArticle,
) -> Result<Option<trendwatch_core::article::Article>, trendwatch_store::StoreError> {
    let Some(id) = state.store.article_id_by_key(&a.article_key).await? else {
        return Ok(None);
    };
    let week = state.store.week(a.content.lang, a.content.period).await?;
    match week.into_iter().find(|s| s.id == id) {
        Some(s) => state.store.article(s.lang, &s.slug).await,
        None => Ok(None),
    }
}

async fn curation_of(
    state: &AppState,
    a: &DeskArticle,
) -> Result<Option<Curation>, trendwatch_store::StoreError> {
    let Some(article) = public_article(state, a).await? else {
        return Ok(None);
    };
    let lang = article.content.lang;
    let current = match state.store.storyline_of(article.id).await? {
        Some(sid) => state.store.storyline_summary(sid, lang).await?,
        None => None,
    };
    let storylines = state
        .store
        .recent_storylines(lang, 30)
        .await?
        .into_iter()
        .filter(|s| Some(s.id) != current.as_ref().map(|c| c.id))
        .map(|s| Choice {
            value: s.id.to_string(),
            label: s.title,
        })
        .collect();
    let similar = state
        .store
        .similar(&article, 5)
        .await?
        .into_iter()
        .map(|s| {
            let url = crate::views::article_url(s.lang, &s.slug);
            (s.title, url, format!("{}/{}", s.lang.code(), s.slug))
        })
        .collect();
    Ok(Some(Curation {
        storyline: current.map(|c| {
            let url = format!("/{}/storylines/{}", lang.code(), c.id);
            (c.title, url)
        }),
        storylines,
        similar,
    }))
}

/// The storyline form's field: a storyline id, or `new`.
#[derive(Deserialize)]
pub struct StorylineForm {
    to: String,
}

/// `POST /desk/articles/{id}/storyline` (editors): moves the published article (with its
/// translations) to another storyline or a new one; the similar lists follow.
pub async fn move_to_storyline(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    sent: DeskForm<StorylineForm, super::desk::Editor>,
) -> Response {
    let to = match sent.form.to.as_str() {
        "new" => None,
        n => match n.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                return (StatusCode::BAD_REQUEST, "to: a storyline id or new").into_response()
            }
        },
    };
    let public_id = match published_id(&state, id).await {
        Ok(p) => p,
        Err(refused) => return refused,
    };
    let moved = state.publisher.move_article(public_id, to).await;
    curated(&state, id, moved.map(|_| ()))
}

/// The archive id of desk article `id`'s public copy; the answer to send instead when it
/// has none (not found, not published, or the store failed).
// The refusal is the response itself, built once per refused request.
#[allow(clippy::result_large_err)]
async fn published_id(state: &AppState, id: i64) -> Result<i64, Response> {
    let a = match state.newsroom.article(id).await {
        Ok(a) => a,
        Err(NewsroomError::NotFound) => return Err(not_found()),
        Err(e) => return Err(store_failed(e)),
    };
    match state.store.article_id_by_key(&a.article_key).await {
        Ok(Some(public_id)) => Ok(public_id),
        Ok(None) => Err((
            StatusCode::CONFLICT,
            "Only a published article has a storyline and a similar list.",
        )
            .into_response()),
        Err(e) => Err(store_failed(e)),
    }
}

/// The answer to an editor's curation of desk article `id`: back to its page (the page
/// cache dropped, so readers see the change at once), or why it was refused.
fn curated(state: &AppState, id: i64, result: Result<(), trendwatch_store::EditError>) -> Response {
    use trendwatch_store::EditError;
    match result {
        Ok(()) => {
            state.cache.clear();
            Redirect::to(&format!("/desk/articles/{id}#curation")).into_response()
        }
        Err(EditError::NotFound(m)) => (StatusCode::NOT_FOUND, m).into_response(),
        Err(EditError::Invalid(m)) => (StatusCode::UNPROCESSABLE_ENTITY, m).into_response(),
        Err(e) => store_failed(e),
    }
}

/// The similar-list form's fields: an article's address and what to do with it.
#[derive(Deserialize)]
pub struct SimilarForm {
    article: String,
    decision: String,
}

/// `POST /desk/articles/{id}/similar` (editors): pins an article in the published article's
/// similar list, excludes one from it, or forgets the decision (`pin`, `exclude`, `forget`).
/// The article is named by its address (`/en/articles/<slug>`, a full URL, or `en/<slug>`).
pub async fn decide_similar(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    sent: DeskForm<SimilarForm, super::desk::Editor>,
) -> Response {
    use trendwatch_core::article::RelatedOverride;
    let decision = match sent.form.decision.as_str() {
        "pin" => Some(RelatedOverride::Pin),
        "exclude" => Some(RelatedOverride::Exclude),
        "forget" => None,
        _ => return (StatusCode::BAD_REQUEST, "decision: pin, exclude or forget").into_response(),
    };
    let public_id = match published_id(&state, id).await {
        Ok(p) => p,
        Err(refused) => return refused,
    };
    // `https://site/en/articles/x`, `/en/articles/x` and `en/x` all name one article.
    let named = sent.form.article.trim();
    let path = named.find("://").map_or(named, |i| {
        let rest = &named[i + 3..];
        rest.find('/').map_or("", |j| &rest[j..])
    });
    let path = path.trim_start_matches('/').replacen("/articles/", "/", 1);
    let found = match path.split_once('/') {
        Some((lang, slug)) => match lang.parse::<Language>() {
            Ok(lang) => {
                state
                    .store
                    .article_id(lang, slug.trim_end_matches('/'))
                    .await
            }
            Err(_) => Ok(None),
        },
        None => Ok(None),
    };
    let related = match found {
        Ok(Some(r)) => r,
        Ok(None) => {
            let message =
                format!("No published article at “{named}”: give its address (/en/articles/…).");
            let csrf = sent.session().csrf_token();
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return reshow(&state, &sent.user, &csrf, id, &message, status, Vec::new()).await;
        }
        Err(e) => return store_failed(e),
    };
    let decided = state
        .store
        .set_related_override(public_id, related, decision)
        .await;
    curated(&state, id, decided)
}
