//! The newsroom's desk at `/desk/`: signing in and out, and the week it works on — a topic ×
//! language grid of the week's commentaries.
//!
//! Three rules hold for every desk route, by construction rather than by checks repeated in
//! handlers:
//! - who is asking is the [`DeskUser`] extractor: a handler that takes it runs only for a
//!   signed-in account, and anyone else is sent to the sign-in page;
//! - every request that is not GET or HEAD must come from the site itself (its `Origin`, or
//!   `Sec-Fetch-Site: same-origin`), which is what keeps other sites from submitting desk
//!   forms in a signed-in browser ([`same_origin`]);
//! - every answer is `Cache-Control: private, no-store`, and the router sits outside the page
//!   cache.
//!
//! Sign-in attempts are throttled per client address and per account: after five failures in
//! a row each further attempt waits, doubling, and a right password does not skip the wait.
//! An unknown address and a wrong password get the same answer.

use super::api::client_ip;
use super::desk_articles;
use crate::cache::SESSION_COOKIES;
use crate::AppState;
use askama::Template;
use axum::extract::Path;
use axum::extract::{ConnectInfo, Form, FromRequest, FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::time::Instant;
use time::OffsetDateTime;
use trendwatch_core::accounts::{Role, User};
use trendwatch_core::newsroom::{Deadline, DeskFilter, DeskState, DeskSummary};
use trendwatch_core::{ArticleKind, Language, Period};
use trendwatch_service::accounts::{InvitationError, LoginError, SecretToken, SignIn};

/// The desk's routes, with the same-origin check and the private cache header.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/desk", get(|| async { Redirect::permanent("/desk/") }))
        .route("/desk/", get(week))
        .route("/desk/login", get(login_form).post(login))
        .route("/desk/login/code", get(code_form).post(code))
        .route("/desk/account/two-step/start", post(two_step_start))
        .route("/desk/account/two-step/confirm", post(two_step_confirm))
        .route("/desk/account/two-step/disable", post(two_step_disable))
        .route("/desk/logout", post(logout))
        .route("/desk/users", get(users))
        .route("/desk/users/invite", post(invite))
        .route("/desk/audit", get(audit))
        .route(
            "/desk/digest",
            get(super::desk_digest::page).post(super::desk_digest::send),
        )
        .route("/desk/digest/preview", get(super::desk_digest::preview))
        .route("/desk/account", get(account))
        .route("/desk/account/password", post(change_password))
        .route("/desk/tokens", get(tokens).post(create_token))
        .route("/desk/tokens/{id}/revoke", post(revoke_token))
        .route("/desk/users/{id}/disable", post(disable_user))
        .route("/desk/users/{id}/enable", post(enable_user))
        .route("/desk/articles", post(desk_articles::create))
        .route("/desk/articles/new", get(desk_articles::new_form))
        .route(
            "/desk/articles/{id}",
            get(desk_articles::edit).post(desk_articles::save),
        )
        .route("/desk/articles/{id}/preview", get(desk_articles::preview))
        .route(
            "/desk/articles/{id}/public",
            get(desk_articles::public_page),
        )
        .route(
            "/desk/articles/{id}/revisions",
            get(desk_articles::revisions),
        )
        .route(
            "/desk/articles/{id}/revisions/{n}/restore",
            post(desk_articles::restore),
        )
        .route(
            "/desk/articles/{id}/translate",
            post(desk_articles::translate),
        )
        .route(
            "/desk/articles/{id}/storyline",
            post(desk_articles::move_to_storyline),
        )
        .route(
            "/desk/articles/{id}/similar",
            post(desk_articles::decide_similar),
        )
        .route(
            "/desk/articles/{id}/image",
            post(desk_articles::upload_image).layer(axum::extract::DefaultBodyLimit::max(
                crate::uploads::MAX_UPLOAD_BYTES + (1 << 20),
            )),
        )
        .route(
            "/desk/invite/{token}",
            get(invitation_form).post(accept_invitation),
        )
        .route(
            "/desk/login/forgot",
            get(super::desk_reset::forgot_form).post(super::desk_reset::forgot),
        )
        .route(
            "/desk/reset/{token}",
            get(super::desk_reset::reset_form).post(super::desk_reset::reset),
        )
        .layer(axum::middleware::from_fn_with_state(state, same_origin))
        .layer(axum::middleware::map_response(crate::cache::no_store))
}

/// `scheme://host[:port]` of the site's public address.
fn site_origin(state: &AppState) -> &str {
    let base = state.public.base();
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    match base[after_scheme..].find('/') {
        Some(i) => &base[..after_scheme + i],
        None => base,
    }
}

/// Middleware: a request that may change state must come from the site's own pages.
pub async fn same_origin(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() == Method::GET || req.method() == Method::HEAD {
        return next.run(req).await;
    }
    let headers = req.headers();
    let header_is = |name: &str, expected: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case(expected))
    };
    let from_the_site =
        header_is("origin", site_origin(&state)) || header_is("sec-fetch-site", "same-origin");
    if from_the_site {
        return next.run(req).await;
    }
    tracing::warn!(
        client = %client_ip(&req),
        path = %req.uri().path(),
        "desk: a request from another site was refused"
    );
    (
        StatusCode::FORBIDDEN,
        "This form must be sent from the site's own pages.",
    )
        .into_response()
}

/// The signed-in account asking. Handlers that take it run only for one; anyone else is sent
/// to the sign-in page.
pub struct DeskUser(pub User, SecretToken);

impl FromRequestParts<AppState> for DeskUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let to_login = || Redirect::to("/desk/login").into_response();
        let token = crate::cache::session_cookie_value(&parts.headers)
            .map(SecretToken::from_text)
            .ok_or_else(to_login)?;
        match state
            .accounts
            .session(&token, OffsetDateTime::now_utc())
            .await
        {
            Ok(Some(user)) => Ok(DeskUser(user, token)),
            Ok(None) => Err(to_login()),
            Err(e) => {
                tracing::error!(error = %e, "desk: sessions cannot be read");
                Err(StatusCode::SERVICE_UNAVAILABLE.into_response())
            }
        }
    }
}

impl DeskUser {
    /// The session's anti-forgery token, for the hidden field of every form on the page.
    pub fn csrf(&self) -> String {
        self.1.csrf_token()
    }

    /// Whether `sent` is this session's anti-forgery token (for forms read field by field,
    /// as uploads are).
    pub fn csrf_matches(&self, sent: &str) -> bool {
        self.1.csrf_matches(sent)
    }
}

/// Largest desk form accepted (a long commentary with its fields); bigger bodies are
/// answered 413 before they are read whole.
pub const MAX_FORM_BYTES: usize = 2 << 20;

/// The anti-forgery field every desk form carries.
#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

/// A desk form sent by a signed-in account holding at least role `R`, carrying the
/// session's anti-forgery token (checked here, so no handler can forget it). Anyone signed
/// out is sent to sign in, a lesser role is answered 403, a missing or wrong token 403.
pub struct DeskForm<T, R: RequiredRole = Analyst> {
    /// Who sent it.
    pub user: User,
    /// The form's fields.
    pub form: T,
    session: SecretToken,
    _role: PhantomData<R>,
}

impl<T, R: RequiredRole> DeskForm<T, R> {
    /// The session the form came with.
    pub fn session(&self) -> &SecretToken {
        &self.session
    }
}

impl<T, R> FromRequest<AppState> for DeskForm<T, R>
where
    T: serde::de::DeserializeOwned + Send,
    R: RequiredRole,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let DeskUser(user, session) = DeskUser::from_request_parts(&mut parts, state).await?;
        require::<R>(&user, &parts)?;
        let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
            .await
            .map_err(|_| {
                (StatusCode::PAYLOAD_TOO_LARGE, "The form is too large.").into_response()
            })?;
        let reparse = |bytes: bytes::Bytes| {
            let mut req = Request::new(axum::body::Body::from(bytes));
            *req.method_mut() = Method::POST;
            if let Some(ct) = parts.headers.get(header::CONTENT_TYPE) {
                req.headers_mut().insert(header::CONTENT_TYPE, ct.clone());
            }
            req
        };
        // A body that is not a form carries no token: refused as a forgery, not as a
        // malformed request.
        let sent_token =
            <Form<CsrfField> as FromRequest<AppState>>::from_request(reparse(bytes.clone()), state)
                .await
                .map(|Form(f)| f.csrf)
                .unwrap_or_default();
        if !session.csrf_matches(&sent_token) {
            tracing::warn!(user = user.id, path = %parts.uri.path(), "desk: form without a valid anti-forgery token refused");
            return Err((
                StatusCode::FORBIDDEN,
                "This form has expired or did not come from the desk. Go back, reload the page and send it again.",
            )
                .into_response());
        }
        let Form(form) = <Form<T> as FromRequest<AppState>>::from_request(reparse(bytes), state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(DeskForm {
            user,
            form,
            session,
            _role: PhantomData,
        })
    }
}

/// A form with no fields but the anti-forgery token (sign-out, enable, disable).
#[derive(Deserialize)]
pub struct NoFields {}

/// The least role a route needs, as a type: see [`AtLeast`].
pub trait RequiredRole: Send + Sync + 'static {
    /// The role.
    const ROLE: Role;
}

/// Every account (analysts, editors, admins).
pub struct Analyst;
impl RequiredRole for Analyst {
    const ROLE: Role = Role::Analyst;
}

/// Admins only.
pub struct Admin;
impl RequiredRole for Admin {
    const ROLE: Role = Role::Admin;
}

/// Editors and admins.
pub struct Editor;
impl RequiredRole for Editor {
    const ROLE: Role = Role::Editor;
}

/// A signed-in account holding at least role `R`. A handler that takes it never runs for
/// anyone else: the anonymous are sent to sign in, lesser roles are answered 403.
pub struct AtLeast<R: RequiredRole>(pub User, PhantomData<R>, SecretToken);

impl<R: RequiredRole> AtLeast<R> {
    /// The session's anti-forgery token, for the forms on the page.
    pub fn csrf(&self) -> String {
        self.2.csrf_token()
    }
}

impl<R: RequiredRole> FromRequestParts<AppState> for AtLeast<R> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let DeskUser(user, session) = DeskUser::from_request_parts(parts, state).await?;
        require::<R>(&user, parts)?;
        Ok(AtLeast(user, PhantomData, session))
    }
}

/// Refuses (403) an account whose role does not include `R`'s.
// The refusal is the response itself, built once per refused request; boxing it would only
// move the allocation.
#[allow(clippy::result_large_err)]
fn require<R: RequiredRole>(user: &User, parts: &Parts) -> Result<(), Response> {
    if user.role.includes(R::ROLE) {
        return Ok(());
    }
    tracing::warn!(user = user.id, path = %parts.uri.path(), "desk: role refused");
    Err((
        StatusCode::FORBIDDEN,
        format!("This page is for {}s only.", R::ROLE),
    )
        .into_response())
}

/// Renders a desk page (desk pages are never cached: see the router).
pub(crate) fn render(page: &impl Template, status: StatusCode) -> Response {
    match page.render() {
        Ok(body) => (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            body,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "desk: template");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

struct UserRow {
    id: i64,
    email: String,
    name: String,
    role: &'static str,
    disabled: bool,
}

#[derive(Template)]
#[template(path = "desk_users.html")]
struct UsersPage<'a> {
    title: &'a str,
    site_name: &'a str,
    css_url: String,
    user_name: &'a str,
    user_role: &'static str,
    csrf: String,
    users: Vec<UserRow>,
    invitation_link: Option<String>,
    invited_email: String,
    mailed: bool,
    error: Option<String>,
}

async fn users_page(
    state: &AppState,
    admin: &User,
    csrf: &str,
    invitation: Option<(String, String)>,
    error: Option<String>,
) -> Response {
    let users = match state.accounts.users().await {
        Ok(u) => u,
        Err(e) => {
            tracing::error!(error = %e, "desk: accounts cannot be read");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let (invitation_link, invited_email) = match invitation {
        Some((link, email)) => (Some(link), email),
        None => (None, String::new()),
    };
    let page = UsersPage {
        title: "Accounts",
        site_name: state.site.name(Language::En),
        css_url: super::assets::css_url(),
        user_name: &admin.name,
        user_role: admin.role.code(),
        csrf: csrf.to_string(),
        users: users
            .into_iter()
            .map(|u| UserRow {
                id: u.id,
                email: u.email,
                name: u.name,
                role: u.role.code(),
                disabled: u.disabled,
            })
            .collect(),
        invitation_link,
        invited_email,
        mailed: state.newsletter.enabled(),
        error,
    };
    render(&page, status)
}

/// `GET /desk/users` (admins): the accounts, and the form that invites someone.
pub async fn users(State(state): State<AppState>, desk: AtLeast<Admin>) -> Response {
    let csrf = desk.csrf();
    let admin = desk.0;
    users_page(&state, &admin, &csrf, None, None).await
}

/// The invitation form's fields.
#[derive(Deserialize)]
pub struct InviteForm {
    email: String,
    role: String,
}

/// `POST /desk/users/invite` (admins): creates a one-time link for the address and role, shown
/// to the admin to pass on (e-mail comes with the newsletter).
pub async fn invite(State(state): State<AppState>, sent: DeskForm<InviteForm, Admin>) -> Response {
    let csrf = sent.session().csrf_token();
    let (admin, form) = (sent.user, sent.form);
    let role = match form.role.parse::<Role>() {
        Ok(r) => r,
        Err(e) => return users_page(&state, &admin, &csrf, None, Some(e)).await,
    };
    match state
        .accounts
        .invite(&form.email, role, &admin, OffsetDateTime::now_utc())
        .await
    {
        Ok(token) => {
            tracing::info!(by = admin.id, %role, "desk: invitation created");
            let link = state
                .public
                .absolute(&format!("/desk/invite/{}", token.as_str()));
            let email = form.email.trim().to_lowercase();
            if state.newsletter.enabled() {
                // Off the request's path: the admin sees the link at once either way.
                let expires = desk_articles::minutes(
                    &state,
                    OffsetDateTime::now_utc() + trendwatch_service::accounts::INVITATION_LIFETIME,
                );
                let message = state
                    .letters
                    .invitation(&email, &link, role.code(), &expires);
                let newsletter = state.newsletter.clone();
                tokio::spawn(async move {
                    if let Err(e) = newsletter.send_one(&message).await {
                        tracing::warn!(error = e.kind(), "desk: invitation e-mail not sent");
                    }
                });
            }
            users_page(&state, &admin, &csrf, Some((link, email)), None).await
        }
        Err(e) => users_page(&state, &admin, &csrf, None, Some(e.to_string())).await,
    }
}

#[derive(Template)]
#[template(path = "desk_invite.html")]
struct InvitePage<'a> {
    title: &'a str,
    site_name: &'a str,
    css_url: String,
    error: Option<String>,
    email: Option<String>,
    role: &'static str,
    action: String,
}

fn invite_page(
    state: &AppState,
    token: &str,
    status: StatusCode,
    invitation: Option<&trendwatch_core::accounts::Invitation>,
    error: Option<String>,
) -> Response {
    let page = InvitePage {
        title: "Join the desk",
        site_name: state.site.name(Language::En),
        css_url: super::assets::css_url(),
        error,
        email: invitation.map(|i| i.email.clone()),
        role: invitation.map_or("", |i| i.role.code()),
        action: format!("/desk/invite/{token}"),
    };
    render(&page, status)
}

/// `GET /desk/invite/{token}`: the form that creates the invited account.
pub async fn invitation_form(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let opened = state
        .accounts
        .open_invitation(&SecretToken::from_text(&token), OffsetDateTime::now_utc())
        .await;
    match opened {
        Ok(i) => invite_page(&state, &token, StatusCode::OK, Some(&i), None),
        Err(e) => invite_page(
            &state,
            &token,
            StatusCode::NOT_FOUND,
            None,
            Some(e.to_string()),
        ),
    }
}

/// The accepted invitation's fields.
#[derive(Deserialize)]
pub struct AcceptForm {
    name: String,
    password: String,
}

/// `POST /desk/invite/{token}`: creates the account; the link stops working.
pub async fn accept_invitation(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(form): Form<AcceptForm>,
) -> Response {
    let token = SecretToken::from_text(&token);
    let now = OffsetDateTime::now_utc();
    match state
        .accounts
        .accept_invitation(&token, &form.name, &form.password, now)
        .await
    {
        Ok(id) => {
            tracing::info!(user = id, "desk: invitation accepted");
            Redirect::to("/desk/login").into_response()
        }
        Err(InvitationError::Password(p)) => {
            let invitation = state.accounts.open_invitation(&token, now).await.ok();
            invite_page(
                &state,
                token.as_str(),
                StatusCode::UNPROCESSABLE_ENTITY,
                invitation.as_ref(),
                Some(format!("Password: {p}")),
            )
        }
        Err(e @ InvitationError::NotValid) => invite_page(
            &state,
            token.as_str(),
            StatusCode::NOT_FOUND,
            None,
            Some(e.to_string()),
        ),
        Err(InvitationError::Failed(e)) => {
            tracing::error!(error = %e, "desk: invitation failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// `POST /desk/users/{id}/disable` (admins): the account can no longer sign in, and its
/// sessions end now.
pub async fn disable_user(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    sent: DeskForm<NoFields, Admin>,
) -> Response {
    let csrf = sent.session().csrf_token();
    set_disabled(&state, &sent.user, &csrf, id, true).await
}

/// `POST /desk/users/{id}/enable` (admins).
pub async fn enable_user(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    sent: DeskForm<NoFields, Admin>,
) -> Response {
    let csrf = sent.session().csrf_token();
    set_disabled(&state, &sent.user, &csrf, id, false).await
}

async fn set_disabled(
    state: &AppState,
    admin: &User,
    csrf: &str,
    id: i64,
    disabled: bool,
) -> Response {
    use trendwatch_store::EditError;
    match state
        .accounts
        .set_disabled(admin, id, disabled, OffsetDateTime::now_utc())
        .await
    {
        Ok(()) => Redirect::to("/desk/users").into_response(),
        Err(EditError::Invalid(m)) => users_page(state, admin, csrf, None, Some(m)).await,
        Err(EditError::NotFound(m)) => (StatusCode::NOT_FOUND, m).into_response(),
        Err(e @ EditError::Stale { .. }) | Err(e @ EditError::Backend(_)) => {
            tracing::error!(error = %e, "desk: account not changed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "desk_account.html")]
struct AccountPage<'a> {
    two_step: bool,
    recovery_left: u64,
    title: &'a str,
    site_name: &'a str,
    css_url: String,
    user_name: &'a str,
    user_role: &'static str,
    csrf: String,
    email: &'a str,
    error: Option<String>,
}

async fn account_page(
    state: &AppState,
    user: &User,
    csrf: &str,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let (two_step, recovery_left) = match (
        state.accounts.two_step_enabled(user).await,
        state.accounts.recovery_codes_left(user).await,
    ) {
        (Ok(on), Ok(left)) => (on, left),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = %e, "desk: the account cannot be read");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let page = AccountPage {
        two_step,
        recovery_left,
        title: "Your account",
        site_name: state.site.name(Language::En),
        css_url: super::assets::css_url(),
        user_name: &user.name,
        user_role: user.role.code(),
        csrf: csrf.to_string(),
        email: &user.email,
        error,
    };
    render(&page, status)
}

/// `GET /desk/account`: one's own account, and the form that changes the password.
pub async fn account(State(state): State<AppState>, desk: DeskUser) -> Response {
    account_page(&state, &desk.0, &desk.csrf(), StatusCode::OK, None).await
}

/// The password form's fields.
#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    new: String,
}

/// `POST /desk/account/password`: checks the current password (a wrong one counts against
/// the account's sign-in throttle), sets the new one, and ends every session of the account.
pub async fn change_password(
    State(state): State<AppState>,
    sent: DeskForm<PasswordForm>,
) -> Response {
    let csrf = sent.session().csrf_token();
    let (user, form) = (sent.user, sent.form);
    let now = Instant::now();
    if let Err(wait) = state.login_by_account.check_shared(&user.email, now).await {
        let secs = wait.as_secs().max(1);
        let message = format!("Too many failed attempts. Try again in {secs} seconds.");
        return account_page(
            &state,
            &user,
            &csrf,
            StatusCode::TOO_MANY_REQUESTS,
            Some(message),
        )
        .await;
    }
    match state
        .accounts
        .check_current_password(&user, &form.current)
        .await
    {
        Ok(true) => state.login_by_account.succeed_shared(&user.email).await,
        Ok(false) => {
            state.login_by_account.fail_shared(&user.email, now).await;
            let message = "The current password is wrong.".to_string();
            return account_page(
                &state,
                &user,
                &csrf,
                StatusCode::UNAUTHORIZED,
                Some(message),
            )
            .await;
        }
        Err(e) => {
            tracing::error!(error = %e, "desk: password not checked");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    }
    match state.accounts.change_password(user.id, &form.new).await {
        Ok(()) => {
            let mut resp = Redirect::to("/desk/login").into_response();
            resp.headers_mut()
                .insert(header::SET_COOKIE, session_cookie(&state, "", Some(0)));
            resp
        }
        Err(trendwatch_service::accounts::AccountError::Password(p)) => {
            account_page(
                &state,
                &user,
                &csrf,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(format!("New password: {p}")),
            )
            .await
        }
        Err(e) => {
            tracing::error!(error = %e, "desk: password not changed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// Audit-log lines shown at once.
const AUDIT_LINES: u64 = 200;

struct AuditRow {
    at: String,
    actor: String,
    action: String,
    subject: String,
}

#[derive(Template)]
#[template(path = "desk_audit.html")]
struct AuditPage<'a> {
    title: &'a str,
    site_name: &'a str,
    css_url: String,
    user_name: &'a str,
    user_role: &'static str,
    csrf: String,
    limit: u64,
    entries: Vec<AuditRow>,
}

/// `GET /desk/audit` (admins): the newest lines of the audit log.
pub async fn audit(State(state): State<AppState>, desk: AtLeast<Admin>) -> Response {
    let admin = &desk.0;
    let (entries, users) = match (
        state.accounts.audit_log(AUDIT_LINES).await,
        state.accounts.users().await,
    ) {
        (Ok(e), Ok(u)) => (e, u),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = %e, "desk: the audit log cannot be read");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let who = |id: Option<i64>| match id {
        Some(id) => users
            .iter()
            .find(|u| u.id == id)
            .map_or_else(|| format!("account {id}"), |u| u.email.clone()),
        None => "(not signed in)".to_string(),
    };
    let page = AuditPage {
        title: "Audit log",
        site_name: state.site.name(Language::En),
        css_url: super::assets::css_url(),
        user_name: &admin.name,
        user_role: admin.role.code(),
        csrf: desk.csrf(),
        limit: AUDIT_LINES,
        entries: entries
            .into_iter()
            .map(|e| AuditRow {
                at: e
                    .at
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
                actor: who(e.actor),
                action: e.action,
                subject: e.subject,
            })
            .collect(),
    };
    render(&page, StatusCode::OK)
}

/// The session cookie: `__Host-` prefixed and Secure on an HTTPS site; HttpOnly and
/// SameSite=Lax always. `value` empty with `max_age` 0 removes it.
fn session_cookie(state: &AppState, value: &str, max_age: Option<i64>) -> HeaderValue {
    desk_cookie(state, SESSION_COOKIES, "Lax", value, max_age)
}

/// The cookie of a sign-in waiting for its second step: as the session's, but Strict and
/// for five minutes.
const PENDING_COOKIES: [&str; 2] = ["__Host-trendwatch-login", "trendwatch-login"];

fn pending_cookie(state: &AppState, value: &str, max_age: i64) -> HeaderValue {
    desk_cookie(state, PENDING_COOKIES, "Strict", value, Some(max_age))
}

/// A desk cookie: `__Host-` prefixed and Secure on an HTTPS site, HttpOnly always.
fn desk_cookie(
    state: &AppState,
    names: [&str; 2],
    same_site: &str,
    value: &str,
    max_age: Option<i64>,
) -> HeaderValue {
    let https = state.public.base().starts_with("https://");
    let name = if https { names[0] } else { names[1] };
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite={same_site}");
    if https {
        cookie.push_str("; Secure");
    }
    if let Some(age) = max_age {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[derive(Template)]
#[template(path = "desk_login.html")]
struct LoginPage<'a> {
    title: &'a str,
    site_name: &'a str,
    css_url: String,
    error: Option<String>,
    can_reset: bool,
}

/// The sign-in page. The address typed is not filled back in: a refusal must read the same
/// for every address, byte for byte.
fn login_page(state: &AppState, status: StatusCode, error: Option<String>) -> Response {
    let page = LoginPage {
        title: "Sign in",
        site_name: state.site.name(Language::En),
        css_url: super::assets::css_url(),
        error,
        can_reset: state.newsletter.enabled(),
    };
    render(&page, status)
}

/// `GET /desk/login`.
pub async fn login_form(State(state): State<AppState>) -> Response {
    login_page(&state, StatusCode::OK, None)
}

/// The sign-in form's fields.
#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

/// The same answer for every refused sign-in, whatever the reason.
const REFUSED: &str = "The e-mail address or the password is wrong.";

/// `POST /desk/login`.
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Form(form): Form<LoginForm>,
) -> Response {
    let client = peer.ip();
    let account = form.email.trim().to_lowercase();
    let now = Instant::now();
    let wait = [
        state.login_by_address.check_shared(&client, now).await,
        state.login_by_account.check_shared(&account, now).await,
    ]
    .into_iter()
    .filter_map(Result::err)
    .max();
    if let Some(wait) = wait {
        let secs = wait.as_secs().max(1);
        let mut resp = login_page(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            Some(format!(
                "Too many failed attempts. Try again in {secs} seconds."
            )),
        );
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return resp;
    }
    match state
        .accounts
        .log_in(&form.email, &form.password, OffsetDateTime::now_utc())
        .await
    {
        Ok(SignIn::Session(token, user)) => {
            state.login_by_address.succeed_shared(&client).await;
            state.login_by_account.succeed_shared(&account).await;
            tracing::info!(user = user.id, %client, "desk: signed in");
            let mut resp = Redirect::to("/desk/").into_response();
            resp.headers_mut().insert(
                header::SET_COOKIE,
                session_cookie(&state, token.as_str(), None),
            );
            resp
        }
        Ok(SignIn::SecondStep(pending)) => {
            // The password was right, but the account is not signed in until its code
            // is: the throttle's count for it stays as it is.
            tracing::info!(%client, "desk: password accepted, code asked");
            let mut resp = Redirect::to("/desk/login/code").into_response();
            resp.headers_mut().insert(
                header::SET_COOKIE,
                pending_cookie(&state, pending.as_str(), 300),
            );
            resp
        }
        Err(LoginError::Refused) => {
            let by_address = state.login_by_address.fail_shared(&client, now).await;
            let by_account = state.login_by_account.fail_shared(&account, now).await;
            // A security event: where from and how often, never the password.
            tracing::warn!(%client, by_address, by_account, "desk: sign-in refused");
            login_page(&state, StatusCode::UNAUTHORIZED, Some(REFUSED.into()))
        }
        Err(LoginError::Store(e)) => {
            tracing::error!(error = %e, "desk: sign-in failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// `POST /desk/logout`: ends the session and removes the cookie.
pub async fn logout(State(state): State<AppState>, sent: DeskForm<NoFields>) -> Response {
    let user = &sent.user;
    if let Err(e) = state
        .accounts
        .log_out(sent.session(), user, OffsetDateTime::now_utc())
        .await
    {
        tracing::error!(error = %e, "desk: sign-out failed");
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    tracing::info!(user = user.id, "desk: signed out");
    let mut resp = Redirect::to("/desk/login").into_response();
    resp.headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&state, "", Some(0)));
    resp
}

struct Cell {
    state: &'static str,
    label: &'static str,
    url: String,
    title: String,
    status: &'static str,
    author: String,
    changed: String,
    overdue: bool,
}

struct Row {
    topic: String,
    cells: Vec<Cell>,
}

/// A desk article in one of the week page's lists.
struct ListItem {
    url: String,
    title: String,
    state: &'static str,
    label: &'static str,
    lang: &'static str,
    period: Period,
    author: String,
}

#[derive(Template)]
#[template(path = "desk_week.html")]
struct WeekPage<'a> {
    title: String,
    site_name: &'a str,
    css_url: String,
    user_name: &'a str,
    user_role: &'static str,
    csrf: String,
    week: Period,
    week_dates: String,
    deadline: String,
    prev: Period,
    next: Period,
    languages: Vec<&'static str>,
    rows: Vec<Row>,
    mine: Vec<ListItem>,
    review: Option<Vec<ListItem>>,
}

fn list_items(items: Vec<DeskSummary>) -> Vec<ListItem> {
    items
        .into_iter()
        .map(|d| ListItem {
            url: format!("/desk/articles/{}", d.id),
            title: if d.title.is_empty() {
                "Untitled".to_string()
            } else {
                d.title
            },
            state: d.state.code(),
            label: d.state.label(),
            lang: d.lang.code(),
            period: d.period,
            author: d.author_name,
        })
        .collect()
}

/// `GET /desk/?week=2026-W48`: the week's grid (by default the week that commentaries
/// written today cover): each topic × language cell with its article's state, author and
/// last change, a link to write a missing one, and "overdue" once the deadline has passed.
/// Below it, the account's own articles in progress and, for editors, those waiting for
/// review.
pub async fn week(
    State(state): State<AppState>,
    desk: DeskUser,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let user = &desk.0;
    let now = OffsetDateTime::now_utc();
    let period = match params.get("week") {
        Some(w) => match w.parse::<Period>() {
            Ok(p) => p,
            Err(e) => return (StatusCode::BAD_REQUEST, format!("week: {e}")).into_response(),
        },
        None => Period::reviewed_on(state.newsroom.wall_clock(now).date()),
    };
    let failed = |e: trendwatch_store::StoreError| {
        tracing::error!(error = %e, "desk: the week cannot be read");
        StatusCode::SERVICE_UNAVAILABLE.into_response()
    };
    let mut weeks = Vec::new();
    for lang in Language::ALL {
        match state.store.week(lang, period).await {
            Ok(articles) => weeks.push((lang, articles)),
            Err(e) => return failed(e),
        }
    }
    let in_desk = match state
        .store
        .desk_articles(&DeskFilter {
            period: Some(period),
            ..DeskFilter::default()
        })
        .await
    {
        Ok(d) => d,
        Err(e) => return failed(e),
    };
    let open_states = vec![
        DeskState::Draft,
        DeskState::ChangesRequested,
        DeskState::InReview,
        DeskState::Scheduled,
    ];
    let mine = match state
        .store
        .desk_articles(&DeskFilter {
            author: Some(user.id),
            states: open_states,
            ..DeskFilter::default()
        })
        .await
    {
        Ok(d) => list_items(d),
        Err(e) => return failed(e),
    };
    let review = if user.role.includes(Role::Editor) {
        match state
            .store
            .desk_articles(&DeskFilter {
                states: vec![DeskState::InReview],
                ..DeskFilter::default()
            })
            .await
        {
            Ok(d) => Some(list_items(d)),
            Err(e) => return failed(e),
        }
    } else {
        None
    };
    let deadline = state
        .site
        .desk_deadline
        .parse::<Deadline>()
        .unwrap_or_default()
        .for_period(period);
    let past_deadline = state.newsroom.wall_clock(now) > deadline;
    let changed = |t: OffsetDateTime| desk_articles::minutes(&state, t);
    let rows = state
        .site
        .topics
        .iter()
        .map(|topic| Row {
            topic: topic.name(Language::En).to_string(),
            cells: weeks
                .iter()
                .map(|(lang, articles)| {
                    // The desk's article for the cell (the latest one still in play), else
                    // an article that reached the archive by import, else nothing yet.
                    let drafted = in_desk
                        .iter()
                        .filter(|d| {
                            d.lang == *lang
                                && d.topic == topic.slug
                                && d.state != DeskState::Unpublished
                        })
                        .max_by_key(|d| d.updated_at);
                    let imported = articles
                        .iter()
                        .find(|a| a.topic == topic.slug && a.kind == ArticleKind::Weekly);
                    let mut cell = match (drafted, imported) {
                        (Some(d), _) => Cell {
                            state: d.state.code(),
                            label: d.state.label(),
                            url: format!("/desk/articles/{}", d.id),
                            title: if d.title.is_empty() {
                                "Untitled".into()
                            } else {
                                d.title.clone()
                            },
                            status: "",
                            author: d.author_name.clone(),
                            changed: changed(d.updated_at),
                            overdue: false,
                        },
                        (None, Some(a)) => Cell {
                            state: "published",
                            label: "published",
                            url: format!("/{}/articles/{}", lang.code(), a.slug),
                            title: a.title.clone(),
                            status: a.status.code(),
                            author: String::new(),
                            changed: String::new(),
                            overdue: false,
                        },
                        (None, None) => Cell {
                            state: "missing",
                            label: "missing",
                            url: format!(
                                "/desk/articles/new?lang={}&topic={}&week={period}",
                                lang.code(),
                                topic.slug
                            ),
                            title: "Write it".into(),
                            status: "",
                            author: String::new(),
                            changed: String::new(),
                            overdue: false,
                        },
                    };
                    cell.overdue =
                        past_deadline && !matches!(cell.state, "published" | "scheduled");
                    cell
                })
                .collect(),
        })
        .collect();
    let page = WeekPage {
        title: format!("Week {period}"),
        site_name: state.site.name(Language::En),
        css_url: super::assets::css_url(),
        user_name: &user.name,
        user_role: user.role.code(),
        csrf: desk.csrf(),
        week: period,
        week_dates: format!("{} – {}", period.monday(), period.sunday()),
        deadline: format!(
            "{} {} {:02}:{:02} ({})",
            deadline.weekday(),
            deadline.date(),
            deadline.hour(),
            deadline.minute(),
            state.public.zone_name()
        ),
        prev: period.prev(),
        next: period.next(),
        languages: Language::ALL.iter().map(|l| l.code()).collect(),
        rows,
        mine,
        review,
    };
    render(&page, StatusCode::OK)
}

struct TokenRow {
    id: i64,
    name: String,
    created: String,
    last_used: String,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "desk_tokens.html")]
struct TokensPage<'a> {
    title: &'a str,
    site_name: &'a str,
    css_url: String,
    user_name: &'a str,
    user_role: &'static str,
    csrf: String,
    tokens: Vec<TokenRow>,
    new_token: Option<String>,
    new_name: String,
    error: Option<String>,
}

async fn tokens_page(
    state: &AppState,
    user: &User,
    csrf: &str,
    new: Option<(String, String)>,
    error: Option<String>,
) -> Response {
    let tokens = match state.accounts.api_tokens(user).await {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "desk: tokens cannot be read");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let when = |t: OffsetDateTime| desk_articles::minutes(state, t);
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let (new_token, new_name) = match new {
        Some((t, n)) => (Some(t), n),
        None => (None, String::new()),
    };
    let page = TokensPage {
        title: "API tokens",
        site_name: state.site.name(Language::En),
        css_url: super::assets::css_url(),
        user_name: &user.name,
        user_role: user.role.code(),
        csrf: csrf.to_string(),
        tokens: tokens
            .into_iter()
            .map(|t| TokenRow {
                id: t.id,
                name: t.name,
                created: when(t.created_at),
                last_used: t.last_used_at.map(when).unwrap_or_else(|| "never".into()),
                revoked: t.revoked_at.is_some(),
            })
            .collect(),
        new_token,
        new_name,
        error,
    };
    render(&page, status)
}

/// `GET /desk/tokens`: one's own API tokens, and the form that makes one.
pub async fn tokens(State(state): State<AppState>, desk: DeskUser) -> Response {
    tokens_page(&state, &desk.0, &desk.csrf(), None, None).await
}

/// The token form's field.
#[derive(Deserialize)]
pub struct TokenForm {
    name: String,
}

/// `POST /desk/tokens`: makes a token and shows its value, once.
pub async fn create_token(State(state): State<AppState>, sent: DeskForm<TokenForm>) -> Response {
    let csrf = sent.session().csrf_token();
    match state
        .accounts
        .create_api_token(&sent.user, &sent.form.name, OffsetDateTime::now_utc())
        .await
    {
        Ok(token) => {
            let name = sent.form.name.trim().to_string();
            tokens_page(
                &state,
                &sent.user,
                &csrf,
                Some((token.as_str().to_string(), name)),
                None,
            )
            .await
        }
        Err(trendwatch_store::EditError::Invalid(m)) => {
            tokens_page(&state, &sent.user, &csrf, None, Some(m)).await
        }
        Err(e) => {
            tracing::error!(error = %e, "desk: token not made");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// `POST /desk/tokens/{id}/revoke`: revokes one of one's own tokens.
pub async fn revoke_token(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    sent: DeskForm<NoFields>,
) -> Response {
    match state
        .accounts
        .revoke_api_token(&sent.user, id, OffsetDateTime::now_utc())
        .await
    {
        Ok(()) => Redirect::to("/desk/tokens").into_response(),
        Err(trendwatch_store::EditError::NotFound(m)) => (StatusCode::NOT_FOUND, m).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "desk: token not revoked");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "desk_code.html")]
struct CodePage<'a> {
    title: &'a str,
    site_name: &'a str,
    css_url: String,
    error: Option<String>,
}

fn code_page(state: &AppState, status: StatusCode, error: Option<String>) -> Response {
    let page = CodePage {
        title: "Sign-in code",
        site_name: state.site.name(Language::En),
        css_url: super::assets::css_url(),
        error,
    };
    render(&page, status)
}

/// The pending sign-in of a request, if its cookie names a live one.
async fn pending_of(
    state: &AppState,
    headers: &axum::http::HeaderMap,
) -> Option<(SecretToken, User)> {
    let token =
        crate::cache::cookie_value(headers, &PENDING_COOKIES).map(SecretToken::from_text)?;
    match state
        .accounts
        .pending_user(&token, OffsetDateTime::now_utc())
        .await
    {
        Ok(Some(user)) => Some((token, user)),
        Ok(None) => None,
        Err(e) => {
            tracing::error!(error = %e, "desk: pending sign-ins cannot be read");
            None
        }
    }
}

/// `GET /desk/login/code`: the second step of a sign-in, for accounts that have it.
pub async fn code_form(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    match pending_of(&state, &headers).await {
        Some(_) => code_page(&state, StatusCode::OK, None),
        None => Redirect::to("/desk/login").into_response(),
    }
}

/// The code form's field.
#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
}

/// `POST /desk/login/code`: a code from the authenticator app (or a recovery code) opens
/// the session. Wrong codes count against the account's and the address's sign-in
/// throttle, as wrong passwords do.
pub async fn code(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
    Form(form): Form<CodeForm>,
) -> Response {
    let Some((pending, user)) = pending_of(&state, &headers).await else {
        return Redirect::to("/desk/login").into_response();
    };
    let client = peer.ip();
    let account = user.email.to_lowercase();
    let now = Instant::now();
    let wait = [
        state.login_by_address.check_shared(&client, now).await,
        state.login_by_account.check_shared(&account, now).await,
    ]
    .into_iter()
    .filter_map(Result::err)
    .max();
    if let Some(wait) = wait {
        let secs = wait.as_secs().max(1);
        let message = format!("Too many failed attempts. Try again in {secs} seconds.");
        return code_page(&state, StatusCode::TOO_MANY_REQUESTS, Some(message));
    }
    match state
        .accounts
        .finish_sign_in(&pending, &form.code, OffsetDateTime::now_utc())
        .await
    {
        Ok((token, user)) => {
            state.login_by_address.succeed_shared(&client).await;
            state.login_by_account.succeed_shared(&account).await;
            tracing::info!(user = user.id, %client, "desk: signed in with a code");
            let mut resp = Redirect::to("/desk/").into_response();
            let headers = resp.headers_mut();
            headers.append(
                header::SET_COOKIE,
                session_cookie(&state, token.as_str(), None),
            );
            headers.append(header::SET_COOKIE, pending_cookie(&state, "", 0));
            resp
        }
        Err(LoginError::Refused) => {
            state.login_by_address.fail_shared(&client, now).await;
            state.login_by_account.fail_shared(&account, now).await;
            tracing::warn!(%client, user = user.id, "desk: sign-in code refused");
            code_page(
                &state,
                StatusCode::UNAUTHORIZED,
                Some("The code is wrong or was used already.".into()),
            )
        }
        Err(LoginError::Store(e)) => {
            tracing::error!(error = %e, "desk: sign-in failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "desk_two_step.html")]
struct TwoStepPage<'a> {
    title: &'a str,
    site_name: &'a str,
    css_url: String,
    user_name: &'a str,
    user_role: &'static str,
    csrf: String,
    setup: Option<trendwatch_service::two_step::Setup>,
    recovery: Vec<String>,
    error: Option<String>,
}

fn two_step_page(
    state: &AppState,
    user: &User,
    csrf: &str,
    setup: Option<trendwatch_service::two_step::Setup>,
    recovery: Vec<String>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let page = TwoStepPage {
        title: "Two-step sign-in",
        site_name: state.site.name(Language::En),
        css_url: super::assets::css_url(),
        user_name: &user.name,
        user_role: user.role.code(),
        csrf: csrf.to_string(),
        setup,
        recovery,
        error,
    };
    render(&page, status)
}

/// `POST /desk/account/two-step/start`: a new secret to enter into an authenticator app,
/// and the form that confirms it with a code.
pub async fn two_step_start(State(state): State<AppState>, sent: DeskForm<NoFields>) -> Response {
    let csrf = sent.session().csrf_token();
    match state
        .accounts
        .start_two_step(&sent.user, state.site.name(Language::En))
        .await
    {
        Ok(setup) => two_step_page(
            &state,
            &sent.user,
            &csrf,
            Some(setup),
            Vec::new(),
            None,
            StatusCode::OK,
        ),
        Err(e) => {
            tracing::error!(error = %e, "desk: two-step sign-in not started");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// `POST /desk/account/two-step/confirm`: a code from the new secret turns two-step
/// sign-in on; the recovery codes are shown, once.
pub async fn two_step_confirm(State(state): State<AppState>, sent: DeskForm<CodeForm>) -> Response {
    use trendwatch_service::two_step::CodeError;
    let csrf = sent.session().csrf_token();
    match state
        .accounts
        .confirm_two_step(&sent.user, &sent.form.code, OffsetDateTime::now_utc())
        .await
    {
        Ok(codes) => two_step_page(&state, &sent.user, &csrf, None, codes, None, StatusCode::OK),
        Err(CodeError::Refused) => two_step_page(
            &state,
            &sent.user,
            &csrf,
            None,
            Vec::new(),
            Some("That code does not match: start again and enter the new secret.".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(CodeError::Store(e)) => {
            tracing::error!(error = %e, "desk: two-step sign-in not confirmed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// The form that turns two-step sign-in off.
#[derive(Deserialize)]
pub struct DisableForm {
    password: String,
}

/// `POST /desk/account/two-step/disable`: with the current password (checked and
/// throttled as at sign-in), turns two-step sign-in off.
pub async fn two_step_disable(
    State(state): State<AppState>,
    sent: DeskForm<DisableForm>,
) -> Response {
    let csrf = sent.session().csrf_token();
    let user = &sent.user;
    let now = Instant::now();
    if let Err(wait) = state.login_by_account.check_shared(&user.email, now).await {
        let secs = wait.as_secs().max(1);
        return two_step_page(
            &state,
            user,
            &csrf,
            None,
            Vec::new(),
            Some(format!(
                "Too many failed attempts. Try again in {secs} seconds."
            )),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    match state
        .accounts
        .check_current_password(user, &sent.form.password)
        .await
    {
        Ok(true) => {
            state.login_by_account.succeed_shared(&user.email).await;
            match state
                .accounts
                .disable_two_step(user, OffsetDateTime::now_utc())
                .await
            {
                Ok(()) => Redirect::to("/desk/account").into_response(),
                Err(e) => {
                    tracing::error!(error = %e, "desk: two-step sign-in not turned off");
                    StatusCode::SERVICE_UNAVAILABLE.into_response()
                }
            }
        }
        Ok(false) => {
            state.login_by_account.fail_shared(&user.email, now).await;
            two_step_page(
                &state,
                user,
                &csrf,
                None,
                Vec::new(),
                Some("The password is wrong.".into()),
                StatusCode::UNAUTHORIZED,
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "desk: password not checked");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
