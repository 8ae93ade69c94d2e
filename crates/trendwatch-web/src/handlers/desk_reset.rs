//! "Forgot your password?": a desk account asks for a one-time link by e-mail and chooses a
//! new password with it. Offered only when e-mail is configured. The request's answer is the
//! same for every address (SECURITY A2) and the e-mail leaves off the request's path; using
//! the link ends the account's sessions and leaves two-step sign-in on (A4).

use super::desk::render;
use crate::AppState;
use askama::Template;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use std::net::SocketAddr;
use std::time::Instant;
use time::OffsetDateTime;
use trendwatch_core::Language;
use trendwatch_service::accounts::{ResetError, SecretToken, RESET_LIFETIME};

/// The one answer to every reset request.
const SENT: &str = "If this address has a desk account, a link to choose a new password is on \
                    its way to it.";

#[derive(Template)]
#[template(path = "desk_forgot.html")]
struct ForgotPage<'a> {
    title: &'a str,
    site_name: &'a str,
    css_url: String,
    notice: Option<&'a str>,
    error: Option<&'a str>,
}

fn forgot_page(
    state: &AppState,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
) -> Response {
    if !state.newsletter.enabled() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let page = ForgotPage {
        title: "Choose a new password",
        site_name: state.site.name(Language::En),
        css_url: super::assets::css_url(),
        notice,
        error,
    };
    render(&page, status)
}

/// `GET /desk/login/forgot`.
pub async fn forgot_form(State(state): State<AppState>) -> Response {
    forgot_page(&state, StatusCode::OK, None, None)
}

/// The reset request's field.
#[derive(Deserialize)]
pub struct ForgotForm {
    email: String,
}

/// `POST /desk/login/forgot`: the same answer for every address; throttled per client and
/// per address like subscriptions (both send e-mail to whatever address is typed).
pub async fn forgot(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Form(form): Form<ForgotForm>,
) -> Response {
    if !state.newsletter.enabled() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let address = form.email.trim().to_lowercase();
    let now = Instant::now();
    let ip = client.ip();
    if state.mail_by_client.check(&ip, now).is_err()
        || state.mail_by_address.check(&address, now).is_err()
    {
        return forgot_page(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            None,
            Some("Too many requests. Please try again in a few minutes."),
        );
    }
    state.mail_by_client.fail(&ip, now);
    state.mail_by_address.fail(&address, now);
    // Everything that depends on the address happens after the answer.
    let (accounts, newsletter, letters, public) = (
        state.accounts.clone(),
        state.newsletter.clone(),
        state.letters.clone(),
        state.public.clone(),
    );
    tokio::spawn(async move {
        match accounts
            .request_password_reset(&form.email, OffsetDateTime::now_utc())
            .await
        {
            Ok(Some((token, email))) => {
                let link = public.absolute(&format!("/desk/reset/{}", token.as_str()));
                let message = letters.password_reset(&email, &link, RESET_LIFETIME.whole_minutes());
                if let Err(e) = newsletter.send_one(&message).await {
                    tracing::warn!(error = e.kind(), "desk: password reset e-mail not sent");
                }
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "desk: password reset not recorded"),
        }
    });
    forgot_page(&state, StatusCode::OK, Some(SENT), None)
}

#[derive(Template)]
#[template(path = "desk_reset.html")]
struct ResetPage<'a> {
    title: &'a str,
    site_name: &'a str,
    css_url: String,
    error: Option<String>,
    valid: bool,
    action: String,
}

fn reset_page(
    state: &AppState,
    token: &str,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let page = ResetPage {
        title: "Choose a new password",
        site_name: state.site.name(Language::En),
        css_url: super::assets::css_url(),
        valid: status != StatusCode::NOT_FOUND,
        error,
        action: format!("/desk/reset/{token}"),
    };
    render(&page, status)
}

const NOT_VALID: &str = "This link is not valid: it may have expired or been used already.";

/// `GET /desk/reset/{token}`: the new password's form, if the link is valid.
pub async fn reset_form(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match state
        .accounts
        .open_password_reset(&SecretToken::from_text(&token), OffsetDateTime::now_utc())
        .await
    {
        Ok(true) => reset_page(&state, &token, StatusCode::OK, None),
        Ok(false) => reset_page(
            &state,
            &token,
            StatusCode::NOT_FOUND,
            Some(NOT_VALID.into()),
        ),
        Err(e) => {
            tracing::error!(error = %e, "desk: reset link not checked");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// The new password.
#[derive(Deserialize)]
pub struct ResetForm {
    password: String,
}

/// `POST /desk/reset/{token}`: sets the password and sends the user to sign in.
pub async fn reset(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(form): Form<ResetForm>,
) -> Response {
    match state
        .accounts
        .reset_password(
            &SecretToken::from_text(&token),
            &form.password,
            OffsetDateTime::now_utc(),
        )
        .await
    {
        Ok(id) => {
            tracing::info!(user = id, "desk: password reset");
            Redirect::to("/desk/login").into_response()
        }
        Err(ResetError::Password(p)) => reset_page(
            &state,
            &token,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(format!("Password: {p}")),
        ),
        Err(ResetError::NotValid) => reset_page(
            &state,
            &token,
            StatusCode::NOT_FOUND,
            Some(NOT_VALID.into()),
        ),
        Err(ResetError::Failed(e)) => {
            tracing::error!(error = %e, "desk: password reset failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
