//! Issue 13 §2: personal API tokens made and revoked in the desk, stored hashed, acting with
//! their owner's role; the old shared token still works beside them.

mod common;

use common::*;
use reqwest::{Client, StatusCode};
use trendwatch_core::accounts::Role;

fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// Signs `email` in and returns its cookie and the anti-forgery token of its pages.
async fn signed_in(app: &TestApp, email: &str, role: Role) -> (String, String) {
    let s = desk_account(app, email, "", role).await;
    (s.cookie, s.csrf)
}

async fn desk_get(app: &TestApp, cookie: &str, path: &str) -> String {
    client()
        .get(format!("{}{path}", app.app.url()))
        .header("cookie", cookie)
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body")
}

/// Makes a token named `name` through the desk's form and returns its value.
async fn make_token(app: &TestApp, (cookie, csrf): &(String, String), name: &str) -> String {
    let page = client()
        .post(format!("{}/desk/tokens", app.app.url()))
        .header("origin", app.app.url())
        .header("cookie", cookie)
        .form(&[("csrf", csrf.as_str()), ("name", name)])
        .send()
        .await
        .expect("make")
        .text()
        .await
        .expect("body");
    attrs(
        &scraper::Html::parse_document(&page),
        "#token-value",
        "value",
    )
    .remove(0)
}

#[tokio::test]
async fn personal_tokens_act_with_their_owners_role_until_revoked() {
    let app = sample_site().await;
    let editor = signed_in(&app, "ed@example.org", Role::Editor).await;
    let analyst = signed_in(&app, "ana@example.org", Role::Analyst).await;
    let ed_token = make_token(&app, &editor, "storyline script").await;
    let ana_token = make_token(&app, &analyst, "my script").await;
    assert!(
        ed_token.starts_with("tw_") && ed_token.len() > 60,
        "{ed_token}"
    );

    let (status, _, _) = app.api("/api/v1/storylines", Some(&ed_token), None).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "an editor's token opens the editors' API"
    );
    let (status, _, body) = app.api("/api/v1/storylines", Some(&ana_token), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _, _) = app
        .api("/api/v1/storylines", Some("tw_not-a-real-token"), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Stored as a fingerprint only: the value is nowhere in the database.
    let stored = app.archive.stored_bytes();
    assert!(!stored.is_empty());
    assert!(
        !stored
            .windows(ed_token.len())
            .any(|w| w == ed_token.as_bytes()),
        "the token's value is not stored"
    );

    // The list shows when it was last used; revoking stops it at once.
    let page = scraper::Html::parse_document(&desk_get(&app, &editor.0, "/desk/tokens").await);
    let rows = texts(&page, ".desk-tokens tbody tr");
    assert_eq!(rows.len(), 1);
    assert!(
        rows[0].contains("storyline script") && !rows[0].contains("never"),
        "{rows:?}"
    );
    let revoke = attrs(&page, ".desk-tokens form", "action").remove(0);
    let resp = client()
        .post(format!("{}{revoke}", app.app.url()))
        .header("origin", app.app.url())
        .header("cookie", &editor.0)
        .form(&[("csrf", editor.1.as_str())])
        .send()
        .await
        .expect("revoke");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (status, _, _) = app.api("/api/v1/storylines", Some(&ed_token), None).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a revoked token opens nothing"
    );
    // Nobody revokes another account's token.
    let resp = client()
        .post(format!("{}{revoke}", app.app.url()))
        .header("origin", app.app.url())
        .header("cookie", &analyst.0)
        .form(&[("csrf", analyst.1.as_str())])
        .send()
        .await
        .expect("revoke");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_disabled_accounts_tokens_stop_working() {
    let app = TestArchive::fresh().await.serve().await;
    let editor = signed_in(&app, "ed@example.org", Role::Editor).await;
    let token = make_token(&app, &editor, "nightly").await;
    assert_eq!(
        app.api("/api/v1/storylines", Some(&token), None).await.0,
        StatusCode::OK
    );
    let id = app.archive.store.users().await.expect("users")[0].id;
    app.archive
        .store
        .set_user_disabled(id, true)
        .await
        .expect("disabled");
    assert_eq!(
        app.api("/api/v1/storylines", Some(&token), None).await.0,
        StatusCode::UNAUTHORIZED
    );
}
