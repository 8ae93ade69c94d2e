//! The weekly digest's public pages: subscribe, confirm (double opt-in), preferences and
//! unsubscribe (also RFC 8058's one-click POST from mail programs). Served only when e-mail is
//! configured, never cached, and the answers never tell whether an address is subscribed.
//!
//! Links in e-mails only show a page; every change is a POST, because mail scanners open links
//! before the reader does.

use super::{html, lang_of};
use crate::error::WebError;
use crate::i18n::{newsletter_strings, NewsletterStrings};
use crate::views::{mirror_alternates, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use serde::Deserialize;
use std::net::SocketAddr;
use std::time::Instant;
use time::OffsetDateTime;
use trendwatch_core::newsletter::Subscriber;
use trendwatch_core::Language;
use trendwatch_service::newsletter::{LinkPurpose, SubscribeError};

/// A topic box on the forms.
struct TopicChoice {
    slug: String,
    name: String,
    chosen: bool,
}

/// What the page shows under its heading.
enum Panel {
    Subscribe {
        email: String,
        topics: Vec<TopicChoice>,
    },
    Confirm,
    Preferences {
        editions: Vec<(&'static str, &'static str, bool)>,
        topics: Vec<TopicChoice>,
        unsubscribe_url: String,
    },
    Unsubscribe,
    Message,
}

#[derive(Template)]
#[template(path = "newsletter.html")]
struct NewsletterPage {
    l: Layout,
    w: &'static NewsletterStrings,
    heading: String,
    message: Option<String>,
    error: Option<String>,
    action: String,
    panel: Panel,
}

/// The signed token of a link (`?t=`).
#[derive(Deserialize)]
pub struct LinkQuery {
    #[serde(default)]
    t: String,
}

fn page(
    state: &AppState,
    lang: Language,
    status: StatusCode,
    heading: &str,
    action: String,
    panel: Panel,
    (message, error): (Option<&str>, Option<&str>),
) -> Result<Response, WebError> {
    let w = newsletter_strings(lang);
    let view = NewsletterPage {
        l: Layout::new(
            &state.site,
            lang,
            heading,
            format!("/{}/newsletter", lang.code()),
            mirror_alternates(lang, "/newsletter"),
            None,
        ),
        w,
        heading: heading.to_string(),
        message: message.map(str::to_string),
        error: error.map(str::to_string),
        action,
        panel,
    };
    let mut response = html(&view, lang, state)?;
    *response.status_mut() = status;
    Ok(response)
}

fn choices(state: &AppState, lang: Language, chosen: &[String]) -> Vec<TopicChoice> {
    state
        .site
        .topics
        .iter()
        .map(|t| TopicChoice {
            slug: t.slug.clone(),
            name: t.name(lang).to_string(),
            chosen: chosen.iter().any(|c| c == &t.slug),
        })
        .collect()
}

fn enabled(state: &AppState, lang: Language) -> Result<(), WebError> {
    if state.newsletter.enabled() {
        Ok(())
    } else {
        Err(WebError::NotFound(lang, state.site.clone()))
    }
}

use crate::views::newsletter_url as action;

fn message(
    state: &AppState,
    lang: Language,
    status: StatusCode,
    heading: &str,
    text: &str,
) -> Result<Response, WebError> {
    page(
        state,
        lang,
        status,
        heading,
        String::new(),
        Panel::Message,
        (Some(text), None),
    )
}

fn bad_link(state: &AppState, lang: Language) -> Result<Response, WebError> {
    let w = newsletter_strings(lang);
    page(
        state,
        lang,
        StatusCode::NOT_FOUND,
        w.title,
        String::new(),
        Panel::Message,
        (None, Some(w.bad_link)),
    )
}

fn store_error(
    state: &AppState,
    lang: Language,
) -> impl Fn(trendwatch_store::StoreError) -> WebError + '_ {
    move |e| WebError::store(lang, &state.site, e)
}

/// `GET /{lang}/newsletter`: the subscription form.
pub async fn form(
    State(state): State<AppState>,
    Path(lang): Path<String>,
) -> Result<Response, WebError> {
    let lang = lang_of(&state, &lang)?;
    enabled(&state, lang)?;
    let w = newsletter_strings(lang);
    page(
        &state,
        lang,
        StatusCode::OK,
        w.title,
        format!("/{}/newsletter", lang.code()),
        Panel::Subscribe {
            email: String::new(),
            topics: choices(&state, lang, &[]),
        },
        (None, None),
    )
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

fn topics_of(fields: &[(String, String)]) -> Vec<String> {
    fields
        .iter()
        .filter(|(k, _)| k == "topic")
        .map(|(_, v)| v.clone())
        .collect()
}

/// `POST /{lang}/newsletter`: records the request and sends the confirmation in the
/// background. The answer is the same for a new, pending or confirmed address. Throttled per
/// client and per address.
pub async fn subscribe(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let lang = lang_of(&state, &lang)?;
    enabled(&state, lang)?;
    let w = newsletter_strings(lang);
    let typed = field(&fields, "email");
    let topics = topics_of(&fields);
    let address = typed.trim().to_lowercase();
    let now = Instant::now();
    let ip = client.ip();
    if state.mail_by_client.check(&ip, now).is_err()
        || state.mail_by_address.check(&address, now).is_err()
    {
        return message(
            &state,
            lang,
            StatusCode::TOO_MANY_REQUESTS,
            w.title,
            w.throttled,
        );
    }
    state.mail_by_client.fail(&ip, now);
    state.mail_by_address.fail(&address, now);
    match state
        .newsletter
        .subscribe(typed, lang, &topics, OffsetDateTime::now_utc())
        .await
    {
        Ok(()) => message(
            &state,
            lang,
            StatusCode::OK,
            w.check_inbox_title,
            w.check_inbox_body,
        ),
        Err(SubscribeError::Address(e)) => page(
            &state,
            lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            w.title,
            format!("/{}/newsletter", lang.code()),
            Panel::Subscribe {
                email: typed.chars().take(254).collect(),
                topics: choices(&state, lang, &topics),
            },
            (None, Some(&e.to_string())),
        ),
        Err(SubscribeError::Off) => Err(WebError::NotFound(lang, state.site.clone())),
        Err(SubscribeError::Store(e)) => Err(WebError::store(lang, &state.site, e)),
    }
}

async fn reader_of(
    state: &AppState,
    lang: Language,
    purpose: LinkPurpose,
    token: &str,
) -> Result<Option<Subscriber>, WebError> {
    state
        .newsletter
        .reader(purpose, token, OffsetDateTime::now_utc())
        .await
        .map_err(store_error(state, lang))
}

/// A page with one button that acts on a signed link (`what`: `confirm` or `unsubscribe`),
/// shown only when the link is valid; pressing the button is the POST to the same address.
async fn button_page(
    state: &AppState,
    lang: &str,
    token: &str,
    (purpose, what, panel): (LinkPurpose, &str, Panel),
) -> Result<Response, WebError> {
    let lang = lang_of(state, lang)?;
    enabled(state, lang)?;
    if reader_of(state, lang, purpose, token).await?.is_none() {
        return bad_link(state, lang);
    }
    let w = newsletter_strings(lang);
    let heading = match panel {
        Panel::Confirm => w.confirm_title,
        _ => w.unsubscribe,
    };
    page(
        state,
        lang,
        StatusCode::OK,
        heading,
        action(lang, what, token),
        panel,
        (None, None),
    )
}

/// `GET /{lang}/newsletter/confirm?t=`: the button that confirms.
pub async fn confirm_page(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    Query(q): Query<LinkQuery>,
) -> Result<Response, WebError> {
    let what = (LinkPurpose::Confirm, "confirm", Panel::Confirm);
    button_page(&state, &lang, &q.t, what).await
}

/// `POST /{lang}/newsletter/confirm?t=`: confirms the subscription.
pub async fn confirm(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    Query(q): Query<LinkQuery>,
) -> Result<Response, WebError> {
    let lang = lang_of(&state, &lang)?;
    enabled(&state, lang)?;
    let confirmed = state
        .newsletter
        .confirm(&q.t, OffsetDateTime::now_utc())
        .await
        .map_err(store_error(&state, lang))?;
    let Some(reader) = confirmed else {
        return bad_link(&state, lang);
    };
    tracing::info!(subscriber = reader.id, "newsletter: subscription confirmed");
    let w = newsletter_strings(lang);
    message(
        &state,
        lang,
        StatusCode::OK,
        w.confirmed_title,
        w.confirmed_body,
    )
}

fn preferences_panel(state: &AppState, lang: Language, reader: &Subscriber, token: &str) -> Panel {
    Panel::Preferences {
        editions: Language::ALL
            .iter()
            .map(|l| (l.code(), l.native_name(), *l == reader.language))
            .collect(),
        topics: choices(state, lang, &reader.topics),
        unsubscribe_url: action(lang, "unsubscribe", token),
    }
}

/// `GET /{lang}/newsletter/preferences?t=`: edition and topics of the reader's subscription.
pub async fn preferences_page(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    Query(q): Query<LinkQuery>,
) -> Result<Response, WebError> {
    let lang = lang_of(&state, &lang)?;
    enabled(&state, lang)?;
    let Some(reader) = reader_of(&state, lang, LinkPurpose::Manage, &q.t).await? else {
        return bad_link(&state, lang);
    };
    let w = newsletter_strings(lang);
    page(
        &state,
        lang,
        StatusCode::OK,
        w.preferences,
        action(lang, "preferences", &q.t),
        preferences_panel(&state, lang, &reader, &q.t),
        (None, None),
    )
}

/// `POST /{lang}/newsletter/preferences?t=`: saves edition and topics.
pub async fn save_preferences(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    Query(q): Query<LinkQuery>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let lang = lang_of(&state, &lang)?;
    enabled(&state, lang)?;
    let edition = field(&fields, "edition")
        .parse::<Language>()
        .unwrap_or(lang);
    let saved = state
        .newsletter
        .set_preferences(
            &q.t,
            edition,
            &topics_of(&fields),
            OffsetDateTime::now_utc(),
        )
        .await
        .map_err(store_error(&state, lang))?;
    let Some(reader) = saved else {
        return bad_link(&state, lang);
    };
    let w = newsletter_strings(lang);
    page(
        &state,
        lang,
        StatusCode::OK,
        w.preferences,
        action(lang, "preferences", &q.t),
        preferences_panel(&state, lang, &reader, &q.t),
        (Some(w.saved), None),
    )
}

/// `GET /{lang}/newsletter/unsubscribe?t=`: the button that unsubscribes.
pub async fn unsubscribe_page(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    Query(q): Query<LinkQuery>,
) -> Result<Response, WebError> {
    let what = (LinkPurpose::Manage, "unsubscribe", Panel::Unsubscribe);
    button_page(&state, &lang, &q.t, what).await
}

/// `POST /{lang}/newsletter/unsubscribe?t=`: ends the subscription; also the one-click
/// unsubscribe of RFC 8058, which mail programs POST with `List-Unsubscribe=One-Click` and
/// no cookie or Origin of ours (the signed token is the authority).
pub async fn unsubscribe(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    Query(q): Query<LinkQuery>,
) -> Result<Response, WebError> {
    let lang = lang_of(&state, &lang)?;
    enabled(&state, lang)?;
    let done = state
        .newsletter
        .unsubscribe(&q.t, OffsetDateTime::now_utc())
        .await
        .map_err(store_error(&state, lang))?;
    if !done {
        return bad_link(&state, lang);
    }
    let w = newsletter_strings(lang);
    message(
        &state,
        lang,
        StatusCode::OK,
        w.unsubscribe,
        w.unsubscribed_body,
    )
}
