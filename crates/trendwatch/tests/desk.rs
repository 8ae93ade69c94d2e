//! Issue 13 §2 (and SECURITY.md A, D): signing in to the desk, its session cookie, the
//! throttle on sign-ins, the same-origin rule on desk forms, and the week grid it opens on.
//! Against the real app on 127.0.0.1 with accounts made by `trendwatch users add`'s library.

mod common;

use common::*;
use reqwest::{Client, StatusCode};
use std::net::IpAddr;
use trendwatch_core::accounts::Role;
use trendwatch_service::accounts::{Accounts, SessionLimits};

const PASSWORD: &str = "correct horse battery";

async fn add_user(app: &TestApp, email: &str, role: Role) {
    Accounts::new(app.archive.store.clone(), SessionLimits::default())
        .add_user(email, "", role, PASSWORD, time::OffsetDateTime::now_utc())
        .await
        .expect("account");
}

/// A client that keeps redirects visible, connecting from `source` (any 127.x address is
/// this machine, which lets a test stand for two clients).
fn client_from(source: [u8; 4]) -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .local_address(IpAddr::from(source))
        .build()
        .expect("client")
}

struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: String,
}

async fn post_login(app: &TestApp, client: &Client, email: &str, password: &str) -> Answer {
    let resp = client
        .post(format!("{}/desk/login", app.app.url()))
        .header("origin", app.app.url())
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .expect("post");
    Answer {
        status: resp.status(),
        headers: resp.headers().clone(),
        body: resp.text().await.expect("body"),
    }
}

/// The session cookie's `name=value` from a sign-in answer.
fn session_of(answer: &Answer) -> String {
    let cookie = answer
        .headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("a session cookie");
    cookie.split(';').next().expect("name=value").to_string()
}

async fn get_desk(app: &TestApp, path: &str, cookie: Option<&str>) -> Answer {
    let mut req = client_from([127, 0, 0, 1]).get(format!("{}{path}", app.app.url()));
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let resp = req.send().await.expect("get");
    Answer {
        status: resp.status(),
        headers: resp.headers().clone(),
        body: resp.text().await.expect("body"),
    }
}

/// The anti-forgery token the desk's pages put in their forms for the session of `cookie`,
/// read from a page as a browser would send it.
async fn csrf(app: &TestApp, cookie: &str) -> String {
    let page = get_desk(app, "/desk/account", Some(cookie)).await;
    let doc = scraper::Html::parse_document(&page.body);
    attrs(&doc, "input[name=csrf]", "value").remove(0)
}

fn location(a: &Answer) -> &str {
    a.headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test]
async fn a1_login_throttled() {
    let app = sample_site().await;
    add_user(&app, "ana@example.org", Role::Editor).await;
    add_user(&app, "ben@example.org", Role::Analyst).await;
    let first = client_from([127, 0, 0, 2]);
    for _ in 0..5 {
        let a = post_login(&app, &first, "ana@example.org", "wrong horse battery").await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    }
    // Blocked: the right password does not skip the wait, for this account...
    let a = post_login(&app, &first, "ana@example.org", PASSWORD).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(a.headers.get("retry-after").is_some());
    assert!(a.headers.get("set-cookie").is_none());
    // ...nor for another account from the same address...
    let a = post_login(&app, &first, "ben@example.org", PASSWORD).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    // ...nor for the same account from another address.
    let second = client_from([127, 0, 0, 3]);
    let a = post_login(&app, &second, "ana@example.org", PASSWORD).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    // Another account from another address signs in, and X-Forwarded-For changes nothing.
    let a = second
        .post(format!("{}/desk/login", app.app.url()))
        .header("origin", app.app.url())
        .header("x-forwarded-for", "203.0.113.9")
        .form(&[("email", "ben@example.org"), ("password", PASSWORD)])
        .send()
        .await
        .expect("post");
    assert_eq!(a.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a2_unknown_user_and_wrong_password_get_the_same_answer() {
    let app = sample_site().await;
    add_user(&app, "ana@example.org", Role::Editor).await;
    let wrong = post_login(
        &app,
        &client_from([127, 0, 0, 4]),
        "ana@example.org",
        "wrong horse battery",
    )
    .await;
    let unknown = post_login(
        &app,
        &client_from([127, 0, 0, 5]),
        "nobody@example.org",
        PASSWORD,
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!((wrong.status, &wrong.body), (unknown.status, &unknown.body));
    let doc = scraper::Html::parse_document(&wrong.body);
    assert_eq!(
        text(&doc, "#login-error"),
        "The e-mail address or the password is wrong."
    );
}

#[tokio::test]
async fn a5_session_cookie_is_http_only_same_site_and_opaque() {
    let app = sample_site().await;
    add_user(&app, "ana@example.org", Role::Editor).await;
    let a = post_login(
        &app,
        &client_from([127, 0, 0, 6]),
        "Ana@Example.org",
        PASSWORD,
    )
    .await;
    assert_eq!((a.status, location(&a)), (StatusCode::SEE_OTHER, "/desk/"));
    let cookie = a.headers["set-cookie"].to_str().expect("ascii");
    let (pair, flags) = cookie.split_once(';').expect("flags");
    let (name, token) = pair.split_once('=').expect("name=value");
    assert_eq!(name, "trendwatch-session", "plain HTTP: no __Host- prefix");
    assert!(
        token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()),
        "{token}"
    );
    let flags: Vec<&str> = flags.split(';').map(str::trim).collect();
    for f in ["Path=/", "HttpOnly", "SameSite=Lax"] {
        assert!(flags.contains(&f), "{cookie}");
    }
    assert!(!flags.contains(&"Secure"), "no Secure over plain HTTP");
    assert!(!location(&a).contains(token), "never in a URL");
}

#[tokio::test]
async fn a5_session_cookie_is_host_prefixed_and_secure_on_an_https_site() {
    let archive =
        TestArchive::fresh_with_config("[site]\nbase_url = \"https://monitor.example.org\"\n")
            .await;
    let app = archive.serve().await;
    add_user(&app, "ana@example.org", Role::Editor).await;
    let resp = client_from([127, 0, 0, 7])
        .post(format!("{}/desk/login", app.app.url()))
        .header("origin", "https://monitor.example.org")
        .form(&[("email", "ana@example.org"), ("password", PASSWORD)])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let cookie = resp.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(cookie.starts_with("__Host-trendwatch-session="), "{cookie}");
    assert!(cookie.split(';').any(|f| f.trim() == "Secure"), "{cookie}");
}

#[tokio::test]
async fn a6_new_session_at_login_and_logout_ends_it() {
    let app = sample_site().await;
    add_user(&app, "ana@example.org", Role::Editor).await;
    let client = client_from([127, 0, 0, 8]);
    let one = session_of(&post_login(&app, &client, "ana@example.org", PASSWORD).await);
    let two = session_of(&post_login(&app, &client, "ana@example.org", PASSWORD).await);
    assert_ne!(one, two, "a new token at every sign-in");
    assert_eq!(
        get_desk(&app, "/desk/", Some(&one)).await.status,
        StatusCode::OK
    );
    let out = client
        .post(format!("{}/desk/logout", app.app.url()))
        .header("origin", app.app.url())
        .header("cookie", &one)
        .form(&[("csrf", csrf(&app, &one).await)])
        .send()
        .await
        .expect("logout");
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let cleared = out.headers()["set-cookie"].to_str().expect("ascii");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let after = get_desk(&app, "/desk/", Some(&one)).await;
    assert_eq!(
        (after.status, location(&after)),
        (StatusCode::SEE_OTHER, "/desk/login"),
        "the ended session opens nothing"
    );
    assert_eq!(
        get_desk(&app, "/desk/", Some(&two)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn d1_desk_forms_must_come_from_the_site() {
    let app = sample_site().await;
    add_user(&app, "ana@example.org", Role::Editor).await;
    let client = client_from([127, 0, 0, 9]);
    let url = format!("{}/desk/login", app.app.url());
    let form = [("email", "ana@example.org"), ("password", PASSWORD)];
    let none = client.post(&url).form(&form).send().await.expect("post");
    assert_eq!(none.status(), StatusCode::FORBIDDEN, "no Origin");
    let foreign = client
        .post(&url)
        .header("origin", "https://attacker.example")
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN, "another site");
    let cross = client
        .post(&url)
        .header("sec-fetch-site", "cross-site")
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
    let same = client
        .post(&url)
        .header("sec-fetch-site", "same-origin")
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(same.status(), StatusCode::SEE_OTHER, "the site's own form");
    // GET never changes state, and needs no origin.
    assert_eq!(
        client.get(&url).send().await.expect("get").status(),
        StatusCode::OK
    );
}

/// D1: a signed-in form also carries the session's anti-forgery token; from the site's own
/// origin but without it (or with another session's), nothing changes.
#[tokio::test]
async fn d1_desk_forms_carry_the_session_token() {
    let app = sample_site().await;
    add_user(&app, "ana@example.org", Role::Editor).await;
    let cookie = signed_in(&app, "ana@example.org", [127, 0, 9, 1]).await;
    let other = signed_in(&app, "ana@example.org", [127, 0, 9, 2]).await;
    let client = client_from([127, 0, 9, 3]);
    let logout = |token: String| {
        client
            .post(format!("{}/desk/logout", app.app.url()))
            .header("origin", app.app.url())
            .header("cookie", &cookie)
            .form(&[("csrf", token)])
            .send()
    };
    let missing = client
        .post(format!("{}/desk/logout", app.app.url()))
        .header("origin", app.app.url())
        .header("cookie", &cookie)
        .send()
        .await
        .expect("post");
    assert_eq!(missing.status(), StatusCode::FORBIDDEN, "no token");
    let foreign = logout(csrf(&app, &other).await).await.expect("post");
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN, "another session's");
    assert_eq!(
        get_desk(&app, "/desk/", Some(&cookie)).await.status,
        StatusCode::OK,
        "the session survived the forged sign-outs"
    );
    let own = logout(csrf(&app, &cookie).await).await.expect("post");
    assert_eq!(own.status(), StatusCode::SEE_OTHER);
}

/// The desk opens on the week: every topic × language, published cells linking to the
/// commentary, the others missing; only for a signed-in account, never cached.
#[tokio::test]
async fn the_desk_shows_the_week_by_topic_and_language() {
    let app = sample_site().await;
    add_user(&app, "ana@example.org", Role::Analyst).await;
    let anonymous = get_desk(&app, "/desk/", None).await;
    assert_eq!(
        (anonymous.status, location(&anonymous)),
        (StatusCode::SEE_OTHER, "/desk/login")
    );
    let cookie = session_of(
        &post_login(
            &app,
            &client_from([127, 0, 0, 10]),
            "ana@example.org",
            PASSWORD,
        )
        .await,
    );
    let week = app
        .archive
        .store
        .latest_period(trendwatch_core::Language::En)
        .await
        .expect("read")
        .expect("a week");
    let page = get_desk(&app, &format!("/desk/?week={week}"), Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.headers["cache-control"], "private, no-store");
    let doc = scraper::Html::parse_document(&page.body);
    assert_eq!(
        text(&doc, "h1 small"),
        format!("{} – {}", week.monday(), week.sunday())
    );
    let topics = app.archive.config.file.site.topics.iter().count();
    assert_eq!(doc.select(&sel("table.desk-week tbody tr")).count(), topics);
    let cells = attrs(&doc, "td.desk-cell", "data-state");
    assert_eq!(cells.len(), topics * 2);
    let published = app
        .archive
        .store
        .week(trendwatch_core::Language::En, week)
        .await
        .expect("week")
        .len()
        + app
            .archive
            .store
            .week(trendwatch_core::Language::Ru, week)
            .await
            .expect("week")
            .len();
    assert_eq!(
        cells.iter().filter(|s| *s == "published").count(),
        published
    );
    assert!(published > 0);
    for href in attrs(&doc, "td.desk-published a", "href") {
        assert_eq!(app.get(&href).await.status, 200, "{href}");
    }
    let account = text(&doc, ".desk-account span");
    assert_eq!(account, "ana (analyst)");
    assert_eq!(
        attrs(&doc, "nav.pagination a[rel=prev]", "href"),
        vec![format!("/desk/?week={}", week.prev())]
    );
    let bad = get_desk(&app, "/desk/?week=2026-W99", Some(&cookie)).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

/// Signs in `email` from its own client and returns the session cookie.
async fn signed_in(app: &TestApp, email: &str, source: [u8; 4]) -> String {
    session_of(&post_login(app, &client_from(source), email, PASSWORD).await)
}

/// B1: every desk route × every role. Anonymous callers are sent to sign in; lesser roles
/// get 403 where admins only may go.
#[tokio::test]
async fn b1_role_route_table() {
    let app = sample_site().await;
    add_user(&app, "analyst@example.org", Role::Analyst).await;
    add_user(&app, "editor@example.org", Role::Editor).await;
    add_user(&app, "admin@example.org", Role::Admin).await;
    let mut cookies = vec![("anonymous", None)];
    for (i, who) in ["analyst", "editor", "admin"].into_iter().enumerate() {
        let email = format!("{who}@example.org");
        cookies.push((
            who,
            Some(signed_in(&app, &email, [127, 0, 1, i as u8 + 1]).await),
        ));
    }
    // (method, path, what each of anonymous, analyst, editor, admin gets)
    let table: [(&str, &str, [u16; 4]); 9] = [
        ("GET", "/desk/", [303, 200, 200, 200]),
        ("GET", "/desk/digest", [303, 403, 200, 200]),
        // A week outside the archive: only an editor gets as far as finding that out.
        (
            "GET",
            "/desk/digest/preview?week=2000-W01&lang=en",
            [303, 403, 404, 404],
        ),
        ("GET", "/desk/users", [303, 403, 403, 200]),
        ("GET", "/desk/audit", [303, 403, 403, 200]),
        // Account 999999 does not exist: only an admin gets as far as finding that out.
        ("POST", "/desk/users/999999/disable", [303, 403, 403, 404]),
        ("POST", "/desk/users/invite", [303, 403, 403, 200]),
        ("GET", "/desk/login", [200, 200, 200, 200]),
        ("GET", "/desk/account", [303, 200, 200, 200]),
    ];
    let client = client_from([127, 0, 1, 9]);
    let mut tokens = Vec::new();
    for (_, cookie) in &cookies {
        tokens.push(match cookie {
            Some(c) => csrf(&app, c).await,
            None => String::new(),
        });
    }
    for (method, path, expected) in table {
        for (((who, cookie), want), token) in cookies.iter().zip(expected).zip(&tokens) {
            let url = format!("{}{path}", app.app.url());
            let mut req = match method {
                "GET" => client.get(&url),
                _ => client.post(&url).header("origin", app.app.url()).form(&[
                    ("email", "new@example.org"),
                    ("role", "analyst"),
                    ("csrf", token),
                ]),
            };
            if let Some(c) = cookie {
                req = req.header("cookie", c);
            }
            let got = req.send().await.expect("request").status().as_u16();
            assert_eq!(got, want, "{method} {path} as {who}");
        }
    }
}

/// An admin invites from the desk; the link opens a form once, holds the password rules, and
/// the new account signs in; a used link opens nothing.
#[tokio::test]
async fn an_admin_invites_and_the_link_creates_one_account() {
    let app = sample_site().await;
    add_user(&app, "admin@example.org", Role::Admin).await;
    let cookie = signed_in(&app, "admin@example.org", [127, 0, 2, 1]).await;
    let client = client_from([127, 0, 2, 2]);
    let page = client
        .post(format!("{}/desk/users/invite", app.app.url()))
        .header("origin", app.app.url())
        .header("cookie", &cookie)
        .form(&[
            ("email", "New.Analyst@example.org"),
            ("role", "analyst"),
            ("csrf", &csrf(&app, &cookie).await),
        ])
        .send()
        .await
        .expect("invite");
    assert_eq!(page.status(), StatusCode::OK);
    let doc = scraper::Html::parse_document(&page.text().await.expect("body"));
    let link = attrs(&doc, "#invitation-link", "value").remove(0);
    let prefix = format!("{}/desk/invite/", app.app.url());
    assert!(link.starts_with(&prefix), "{link}");
    let path = link.trim_start_matches(app.app.url().as_str()).to_string();

    let form = get_desk(&app, &path, None).await;
    assert_eq!(form.status, StatusCode::OK);
    let form_doc = scraper::Html::parse_document(&form.body);
    assert_eq!(
        text(&form_doc, ".desk-invited-as"),
        "You were invited as analyst with the address new.analyst@example.org. Choose your name and a password (8 to 128 characters)."
    );
    let post = |password: &'static str| {
        let client = client.clone();
        let url = link.clone();
        let origin = app.app.url();
        async move {
            client
                .post(url)
                .header("origin", origin)
                .form(&[("name", "Nia Analyst"), ("password", password)])
                .send()
                .await
                .expect("accept")
                .status()
        }
    };
    assert_eq!(post("short").await, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(post("a good long passphrase").await, StatusCode::SEE_OTHER);
    assert_eq!(
        post("another long passphrase").await,
        StatusCode::NOT_FOUND,
        "used once"
    );
    assert_eq!(
        get_desk(&app, &path, None).await.status,
        StatusCode::NOT_FOUND
    );

    let signed = post_login(
        &app,
        &client_from([127, 0, 2, 3]),
        "new.analyst@example.org",
        "a good long passphrase",
    )
    .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);
    let listing = get_desk(&app, "/desk/users", Some(&cookie)).await;
    let doc = scraper::Html::parse_document(&listing.body);
    let rows = texts(&doc, "table.desk-users tbody tr");
    assert!(
        rows.iter().any(|r| r.contains("new.analyst@example.org")
            && r.contains("Nia Analyst")
            && r.contains("analyst")),
        "{rows:?}"
    );
}

/// The audit log records sign-ins (and refusals), invitations and their acceptance, sign-outs,
/// with who and what, and never a password or a link; only admins read it.
#[tokio::test]
async fn the_audit_log_records_who_did_what_without_secrets() {
    let app = sample_site().await;
    add_user(&app, "admin@example.org", Role::Admin).await;
    add_user(&app, "ed@example.org", Role::Editor).await;
    let refused = post_login(
        &app,
        &client_from([127, 0, 3, 1]),
        "ed@example.org",
        "not the password",
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let cookie = signed_in(&app, "admin@example.org", [127, 0, 3, 2]).await;
    let invited = client_from([127, 0, 3, 3])
        .post(format!("{}/desk/users/invite", app.app.url()))
        .header("origin", app.app.url())
        .header("cookie", &cookie)
        .form(&[
            ("email", "new@example.org"),
            ("role", "editor"),
            ("csrf", &csrf(&app, &cookie).await),
        ])
        .send()
        .await
        .expect("invite")
        .text()
        .await
        .expect("body");
    let link = attrs(
        &scraper::Html::parse_document(&invited),
        "#invitation-link",
        "value",
    )
    .remove(0);
    let token = link.rsplit('/').next().expect("token").to_string();

    let page = get_desk(&app, "/desk/audit", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    let doc = scraper::Html::parse_document(&page.body);
    let rows: Vec<Vec<String>> = doc
        .select(&sel("table.desk-audit tbody tr"))
        .map(|tr| {
            tr.select(&sel("td"))
                .skip(1)
                .map(|td| td.text().collect())
                .collect()
        })
        .collect();
    let expected: Vec<Vec<String>> = [
        [
            "admin@example.org",
            "invitation",
            "new@example.org as editor",
        ],
        ["admin@example.org", "sign-in", "admin@example.org"],
        ["(not signed in)", "sign-in refused", "ed@example.org"],
    ]
    .iter()
    .map(|r| r.iter().map(|c| c.to_string()).collect())
    .collect();
    assert_eq!(rows, expected);
    for secret in [PASSWORD, "not the password", token.as_str()] {
        assert!(
            !page.body.contains(secret),
            "the audit page shows {secret:?}"
        );
    }
    let editor = signed_in(&app, "ed@example.org", [127, 0, 3, 4]).await;
    assert_eq!(
        get_desk(&app, "/desk/audit", Some(&editor)).await.status,
        StatusCode::FORBIDDEN
    );
}

/// A6 and account changes: an admin disables an editor from the desk; the editor's session
/// ends at once and sign-in is refused; re-enabled, they sign in again. An admin cannot
/// disable their own account.
#[tokio::test]
async fn a6_disabling_an_account_ends_its_sessions() {
    let app = sample_site().await;
    add_user(&app, "admin@example.org", Role::Admin).await;
    add_user(&app, "ed@example.org", Role::Editor).await;
    let admin = signed_in(&app, "admin@example.org", [127, 0, 4, 1]).await;
    let editor = signed_in(&app, "ed@example.org", [127, 0, 4, 2]).await;
    assert_eq!(
        get_desk(&app, "/desk/", Some(&editor)).await.status,
        StatusCode::OK
    );
    let users = app.archive.store.users().await.expect("users");
    let id_of = |email: &str| users.iter().find(|u| u.email == email).expect("account").id;
    let token = csrf(&app, &admin).await;
    let change = |id: i64, what: &'static str| {
        let url = format!("{}/desk/users/{id}/{what}", app.app.url());
        let (origin, admin, token) = (app.app.url(), admin.clone(), token.clone());
        async move {
            client_from([127, 0, 4, 3])
                .post(url)
                .header("origin", origin)
                .header("cookie", admin)
                .form(&[("csrf", token)])
                .send()
                .await
                .expect("post")
                .status()
        }
    };
    assert_eq!(
        change(id_of("ed@example.org"), "disable").await,
        StatusCode::SEE_OTHER
    );
    let after = get_desk(&app, "/desk/", Some(&editor)).await;
    assert_eq!(
        (after.status, location(&after)),
        (StatusCode::SEE_OTHER, "/desk/login")
    );
    let refused = post_login(
        &app,
        &client_from([127, 0, 4, 4]),
        "ed@example.org",
        PASSWORD,
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let listing = get_desk(&app, "/desk/users", Some(&admin)).await;
    let rows = texts(
        &scraper::Html::parse_document(&listing.body),
        "table.desk-users tbody tr",
    );
    assert!(
        rows.iter()
            .any(|r| r.contains("ed@example.org") && r.contains("disabled")),
        "{rows:?}"
    );

    assert_eq!(
        change(id_of("ed@example.org"), "enable").await,
        StatusCode::SEE_OTHER
    );
    let again = post_login(
        &app,
        &client_from([127, 0, 4, 5]),
        "ed@example.org",
        PASSWORD,
    )
    .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);

    assert_eq!(
        change(id_of("admin@example.org"), "disable").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not one's own account"
    );
    assert_eq!(change(999_999, "disable").await, StatusCode::NOT_FOUND);
    let audit = get_desk(&app, "/desk/audit", Some(&admin)).await;
    let actions = texts(
        &scraper::Html::parse_document(&audit.body),
        "table.desk-audit td:nth-child(3)",
    );
    assert!(
        actions.contains(&"account disabled".to_string()),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"account enabled".to_string()),
        "{actions:?}"
    );
}

/// A6: changing one's password checks the current one, holds the new one to the rules, and
/// ends every session of the account, this one included; the new password signs in.
#[tokio::test]
async fn a6_a_password_change_ends_every_session() {
    let app = sample_site().await;
    add_user(&app, "ed@example.org", Role::Editor).await;
    let here = signed_in(&app, "ed@example.org", [127, 0, 5, 1]).await;
    let elsewhere = signed_in(&app, "ed@example.org", [127, 0, 5, 2]).await;
    let page = get_desk(&app, "/desk/account", Some(&here)).await;
    assert_eq!(page.status, StatusCode::OK);
    let token = csrf(&app, &here).await;
    let change = |current: &'static str, new: &'static str| {
        let url = format!("{}/desk/account/password", app.app.url());
        let (origin, cookie, token) = (app.app.url(), here.clone(), token.clone());
        async move {
            client_from([127, 0, 5, 3])
                .post(url)
                .header("origin", origin)
                .header("cookie", cookie)
                .form(&[("current", current), ("new", new), ("csrf", &token)])
                .send()
                .await
                .expect("post")
                .status()
        }
    };
    assert_eq!(
        change("not it at all", "a brand new passphrase").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        change(PASSWORD, "short").await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        get_desk(&app, "/desk/", Some(&elsewhere)).await.status,
        StatusCode::OK,
        "nothing changed yet"
    );
    assert_eq!(
        change(PASSWORD, "a brand new passphrase").await,
        StatusCode::SEE_OTHER
    );
    for cookie in [&here, &elsewhere] {
        let after = get_desk(&app, "/desk/", Some(cookie)).await;
        assert_eq!(
            (after.status, location(&after)),
            (StatusCode::SEE_OTHER, "/desk/login")
        );
    }
    let old = post_login(
        &app,
        &client_from([127, 0, 5, 4]),
        "ed@example.org",
        PASSWORD,
    )
    .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let new = post_login(
        &app,
        &client_from([127, 0, 5, 5]),
        "ed@example.org",
        "a brand new passphrase",
    )
    .await;
    assert_eq!(new.status, StatusCode::SEE_OTHER);
}

/// Signs in with the password of an account that has two-step sign-in, from `source`:
/// returns the pending sign-in's cookie (no session yet).
async fn pending_sign_in(app: &TestApp, source: [u8; 4]) -> String {
    let a = post_login(app, &client_from(source), "ed@example.org", PASSWORD).await;
    assert_eq!(
        (a.status, location(&a)),
        (StatusCode::SEE_OTHER, "/desk/login/code")
    );
    let set = a.headers["set-cookie"].to_str().expect("ascii").to_string();
    assert!(
        set.starts_with("trendwatch-login=") && set.contains("HttpOnly"),
        "{set}"
    );
    set.split(';').next().expect("cookie").to_string()
}

/// A4: two-step sign-in. Set up from the account page with a code from the new secret; then
/// a right password alone opens no session; a code works once; a recovery code works once
/// and is stored only as a hash; changing the password does not turn it off; wrong codes
/// are throttled like wrong passwords, and then a right code waits too.
#[tokio::test]
async fn a4_two_step_codes_single_use_throttled_recovery_hashed() {
    use trendwatch_service::two_step::{code_at, decode_secret, STEP_SECONDS};
    let app = sample_site().await;
    add_user(&app, "ed@example.org", Role::Editor).await;
    let client = client_from([127, 0, 6, 1]);
    let cookie = signed_in(&app, "ed@example.org", [127, 0, 6, 2]).await;
    let token = csrf(&app, &cookie).await;
    let post = |path: &str, cookie: &str, fields: Vec<(&str, String)>| {
        client
            .post(format!("{}{path}", app.app.url()))
            .header("origin", app.app.url())
            .header("cookie", cookie)
            .form(&fields)
            .send()
    };
    let setup = post(
        "/desk/account/two-step/start",
        &cookie,
        vec![("csrf", token.clone())],
    )
    .await
    .expect("start")
    .text()
    .await
    .expect("body");
    let doc = scraper::Html::parse_document(&setup);
    let secret = decode_secret(&attrs(&doc, "#secret", "value").remove(0)).expect("base32");
    assert!(attrs(&doc, "#uri", "value")[0].starts_with("otpauth://totp/"));
    let now = time::OffsetDateTime::now_utc();
    let confirmed = post(
        "/desk/account/two-step/confirm",
        &cookie,
        vec![
            ("csrf", token.clone()),
            ("code", code_at(&secret, now).expect("code")),
        ],
    )
    .await
    .expect("confirm")
    .text()
    .await
    .expect("body");
    let recovery = texts(
        &scraper::Html::parse_document(&confirmed),
        "#recovery-codes li",
    );
    assert_eq!(recovery.len(), 10, "{confirmed}");

    // The password alone now opens no session: it leads to the code form.
    let send_code_from = |source: [u8; 4], pending: String, code: String| {
        let url = format!("{}/desk/login/code", app.app.url());
        let origin = app.app.url();
        async move {
            let r = client_from(source)
                .post(url)
                .header("origin", origin)
                .header("cookie", pending)
                .form(&[("code", code)])
                .send()
                .await
                .expect("code");
            let session = r
                .headers()
                .get_all("set-cookie")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find(|c| c.starts_with("trendwatch-session="))
                .map(|c| c.split(';').next().unwrap_or("").to_string());
            (r.status(), session)
        }
    };
    let send_code = |pending: String, code: String| send_code_from([127, 0, 6, 9], pending, code);
    let p1 = pending_sign_in(&app, [127, 0, 6, 3]).await;
    assert!(
        get_desk(&app, "/desk/", Some(&p1)).await.status == StatusCode::SEE_OTHER,
        "a pending sign-in is no session"
    );
    // The code that confirmed the setup was used up by it.
    let used = code_at(&secret, now).expect("code");
    assert_eq!(
        send_code(p1.clone(), used).await.0,
        StatusCode::UNAUTHORIZED
    );
    // The next step's code (within the allowed drift) signs in, once.
    let next = code_at(&secret, now + time::Duration::seconds(STEP_SECONDS)).expect("code");
    let (status, session) = send_code(p1, next.clone()).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let session = session.expect("a session cookie");
    assert_eq!(
        get_desk(&app, "/desk/", Some(&session)).await.status,
        StatusCode::OK
    );
    let p2 = pending_sign_in(&app, [127, 0, 6, 4]).await;
    assert_eq!(
        send_code(p2.clone(), next).await.0,
        StatusCode::UNAUTHORIZED,
        "a code works once"
    );
    // A recovery code works once.
    let (status, _) = send_code(p2, recovery[0].clone()).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let p3 = pending_sign_in(&app, [127, 0, 6, 5]).await;
    assert_eq!(
        send_code(p3, recovery[0].clone()).await.0,
        StatusCode::UNAUTHORIZED
    );
    // Stored as hashes only.
    let stored = app.archive.stored_bytes();
    assert!(!stored.is_empty());
    for code in &recovery {
        assert!(!stored.windows(code.len()).any(|w| w == code.as_bytes()));
    }
    // A password change leaves two-step sign-in on.
    let fresh = session;
    let token = csrf(&app, &fresh).await;
    let changed = post(
        "/desk/account/password",
        &fresh,
        vec![
            ("csrf", token),
            ("current", PASSWORD.to_string()),
            ("new", "an entirely new passphrase".to_string()),
        ],
    )
    .await
    .expect("change");
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    let a = post_login(
        &app,
        &client_from([127, 0, 6, 6]),
        "ed@example.org",
        "an entirely new passphrase",
    )
    .await;
    assert_eq!(
        location(&a),
        "/desk/login/code",
        "the new password still needs a code"
    );
    let p4 = a.headers["set-cookie"]
        .to_str()
        .expect("ascii")
        .split(';')
        .next()
        .expect("c")
        .to_string();
    // Five wrong codes (from an address with no failures yet), then even a right one waits.
    let fresh_address = [127, 0, 6, 10];
    for _ in 0..5 {
        assert_eq!(
            send_code_from(fresh_address, p4.clone(), "000000".into())
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        send_code_from(fresh_address, p4, recovery[1].clone())
            .await
            .0,
        StatusCode::TOO_MANY_REQUESTS
    );
}
