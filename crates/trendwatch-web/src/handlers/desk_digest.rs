//! The desk's weekly digest page (editors): readers by edition, the sends so far with their
//! counts, a preview of a week's digest as readers receive it, and the button that sends it.
//! Sending runs in the background; the page shows how far it got.

use super::desk::{render, AtLeast, DeskForm, Editor};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use time::OffsetDateTime;
use trendwatch_core::accounts::User;
use trendwatch_core::newsletter::{Subscriber, SubscriberState};
use trendwatch_core::{Language, Period};
use trendwatch_service::newsletter::{DigestError, Letters, ReaderLinks};

struct SendRow {
    week: String,
    lang: &'static str,
    started: String,
    sent: u64,
    failed: u64,
    skipped: u64,
    interrupted: u64,
    pending: u64,
}

#[derive(Template)]
#[template(path = "desk_digest.html")]
struct DigestPage<'a> {
    title: &'a str,
    site_name: &'a str,
    css_url: String,
    user_name: &'a str,
    user_role: &'static str,
    csrf: String,
    enabled: bool,
    week: String,
    readers: Vec<(&'static str, u64, u64, u64, u64)>,
    sends: Vec<SendRow>,
    notice: Option<String>,
    error: Option<String>,
}

async fn digest_page(
    state: &AppState,
    user: &User,
    csrf: &str,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let store = &state.store;
    let loaded = async {
        let mut readers = Vec::new();
        for lang in Language::ALL {
            let (pending, confirmed, left, suppressed) = store.subscriber_counts(lang).await?;
            readers.push((lang.native_name(), confirmed, pending, left, suppressed));
        }
        let sends = store.digest_sends(20).await?;
        let latest = store.latest_period(Language::En).await?;
        Ok::<_, trendwatch_store::StoreError>((readers, sends, latest))
    };
    let (readers, sends, latest) = match loaded.await {
        Ok(v) => v,
        Err(e) => {
            tracing::error!(error = %e, "desk: digest page cannot be read");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = DigestPage {
        title: "Weekly digest",
        site_name: state.site.name(Language::En),
        css_url: super::assets::css_url(),
        user_name: &user.name,
        user_role: user.role.code(),
        csrf: csrf.to_string(),
        enabled: state.newsletter.enabled(),
        week: latest.map(|p| p.to_string()).unwrap_or_default(),
        readers,
        sends: sends
            .into_iter()
            .map(|s| SendRow {
                week: s.period.to_string(),
                lang: s.language.code(),
                started: super::desk_articles::minutes(state, s.created_at),
                sent: s.sent,
                failed: s.failed,
                skipped: s.skipped,
                interrupted: s.interrupted,
                pending: s.pending,
            })
            .collect(),
        notice,
        error,
    };
    render(&page, status)
}

/// `GET /desk/digest` (editors).
pub async fn page(State(state): State<AppState>, desk: AtLeast<Editor>) -> Response {
    let csrf = desk.csrf();
    digest_page(&state, &desk.0, &csrf, None, None).await
}

/// The week and edition of a send or a preview.
#[derive(Deserialize)]
pub struct WeekForm {
    week: String,
    lang: String,
}

fn parse(form: &WeekForm) -> Result<(Period, Language), String> {
    let period = form
        .week
        .trim()
        .parse::<Period>()
        .map_err(|e| format!("Week {:?}: {e} (expected 2026-W48)", form.week))?;
    let lang = form
        .lang
        .parse::<Language>()
        .map_err(|e| format!("Edition: {e}"))?;
    Ok((period, lang))
}

/// `POST /desk/digest` (editors): starts the week's digest and sends it in the background.
pub async fn send(State(state): State<AppState>, sent: DeskForm<WeekForm, Editor>) -> Response {
    let csrf = sent.session().csrf_token();
    let (user, form) = (sent.user, sent.form);
    let (period, lang) = match parse(&form) {
        Ok(v) => v,
        Err(e) => return digest_page(&state, &user, &csrf, None, Some(e)).await,
    };
    let started = state
        .newsletter
        .start(period, lang, Some(user.id), OffsetDateTime::now_utc())
        .await;
    match started {
        Ok(send) => {
            let newsletter = state.newsletter.clone();
            let id = send.id;
            tokio::spawn(async move {
                if let Err(e) = newsletter.run(id).await {
                    tracing::error!(send = id, error = %e, "digest: send stopped");
                }
            });
            let notice = format!(
                "The digest of {period} ({}) is going out to {} readers ({} left to send). Reload this page to follow it.",
                lang.native_name(),
                send.total(),
                send.pending
            );
            digest_page(&state, &user, &csrf, Some(notice), None).await
        }
        Err(DigestError::Store(e)) => {
            tracing::error!(error = %e, "desk: digest not started");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
        Err(e) => digest_page(&state, &user, &csrf, None, Some(e.to_string())).await,
    }
}

/// `GET /desk/digest/preview?week=&lang=` (editors): the week's digest in HTML as a reader of
/// every topic receives it (its own links point at a preview reader, not at anyone's
/// subscription).
pub async fn preview(
    State(state): State<AppState>,
    _desk: AtLeast<Editor>,
    Query(form): Query<WeekForm>,
) -> Response {
    let (period, lang) = match parse(&form) {
        Ok(v) => v,
        Err(e) => return (StatusCode::BAD_REQUEST, e).into_response(),
    };
    let issue = match state.newsletter.issue(period, lang).await {
        Ok(i) => i,
        Err(e) => {
            tracing::error!(error = %e, "desk: digest preview not read");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let reader = Subscriber {
        id: 0,
        email: "preview@localhost".into(),
        language: lang,
        topics: Vec::new(),
        state: SubscriberState::Confirmed,
        created_at: OffsetDateTime::now_utc(),
    };
    let links = ReaderLinks {
        manage: "preview".into(),
        confirm: None,
    };
    match state.letters.digest(&issue, &reader, &links) {
        Some(email) => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            email.html.unwrap_or_default(),
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            format!("Week {period} has no published commentary in this edition."),
        )
            .into_response(),
    }
}
