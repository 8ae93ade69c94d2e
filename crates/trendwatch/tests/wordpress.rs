//! Bringing in a WordPress archive: `tests/fixtures/wordpress/arvenia.wxr.xml` was exported by
//! a real WordPress (Debian's package) filled with fictional sample content by
//! `scripts/make_wxr_fixture`. Posts become articles with their categories mapped to topics,
//! tags, authors, featured images with their captions as credits, dates, slugs and Polylang
//! translation links; old addresses redirect permanently; unmapped categories and drafts are
//! reported with their lines; importing again with a mapping completes the archive.

mod common;

use common::*;
use reqwest::StatusCode;
use trendwatch::import::{import_paths, ImportOptions};
use trendwatch_core::accounts::Role;
use trendwatch_core::newsroom::{DeskFilter, DeskState};

fn export() -> std::path::PathBuf {
    fixtures().join("wordpress/arvenia.wxr.xml")
}

fn location(app: &TestApp, got: &Fetched) -> String {
    let _ = app;
    got.headers["location"].to_str().expect("ascii").to_string()
}

#[tokio::test]
async fn a_wordpress_export_becomes_articles_with_redirects_from_the_old_addresses() {
    let archive = TestArchive::fresh().await;
    let report = archive.import(&[export()]).await;
    assert_eq!(report.created, 3, "{report}");
    let reasons: Vec<&str> = report.rejected.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("\"Festival season opens in Dorn\"")
                && r.contains("categories: Culture")
                && r.contains("[import.categories]")),
        "the unmapped category is reported with the way to map it: {reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("draft") && r.contains("--drafts-to")),
        "the draft is reported with the way to bring it in: {reasons:?}"
    );
    assert!(report.rejected.iter().all(|r| r.at.line.is_some()));
    let dir = archive.dir.path().to_path_buf();
    let app = archive.serve().await;

    let page = app.page("/en/articles/border-talks-resume").await;
    assert_eq!(
        text(&page, "main h1"),
        "Border talks with Velna resume after a year"
    );
    let body = text(&page, ".article-body");
    assert!(body.contains("two checkpoints"), "{body}");
    assert!(texts(&page, ".article-body script").is_empty());
    let html = page.html();
    for expected in [
        "Tomas Lind",
        "Arvenia Press Agency (sample)",
        "Negotiators met for the first time",
        "/en/tags/borders",
    ] {
        assert!(html.contains(expected), "the page shows {expected}");
    }
    assert_eq!(
        attrs(&page, "main img", "alt"),
        vec!["A border checkpoint at dawn".to_string()]
    );
    // Polylang's translation link: the two editions know each other.
    let alternates = attrs(&page, "link[rel=alternate][hreflang=ru]", "href");
    assert!(
        alternates
            .iter()
            .any(|h| h.ends_with("/ru/articles/peregovory-s-velnoj")),
        "{alternates:?}"
    );

    // The old addresses redirect permanently.
    for old in [
        "/?p=5",
        "/2017/08/07/border-talks-resume/",
        "/2017/08/07/border-talks-resume",
    ] {
        let got = app.get(old).await;
        assert!(
            matches!(
                got.status,
                StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT
            ),
            "{old}: {}",
            got.status
        );
        assert_eq!(
            location(&app, &got),
            "/en/articles/border-talks-resume",
            "{old}"
        );
    }
    assert_eq!(app.get("/?p=99999").await.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/2017/08/07/no-such-post/").await.status,
        StatusCode::NOT_FOUND
    );

    // Mapping the category and importing again, with an owner for the drafts, completes the
    // archive and brings the draft into the desk, changing nothing else.
    std::fs::write(
        dir.join(trendwatch::config::CONFIG_FILE),
        "[import.categories]\n\"Culture\" = \"society\"\n",
    )
    .expect("config");
    let config = trendwatch::Config::load(&dir).expect("valid config");
    desk_account(&app, "ed@example.org", "Ed Editor", Role::Editor).await;
    let options = ImportOptions {
        drafts_to: Some("ed@example.org".into()),
        ..ImportOptions::default()
    };
    let store = &app.archive.store;
    let again = import_paths(store, &config, &[export()], &options)
        .await
        .expect("import runs");
    assert_eq!(
        (again.created, again.updated, again.drafts),
        (1, 3, 1),
        "{again}"
    );
    assert!(again.rejected.is_empty(), "{:?}", again.rejected);
    let desk = store
        .desk_articles(&DeskFilter::default())
        .await
        .expect("desk");
    assert_eq!(desk.len(), 1);
    assert_eq!(
        (
            desk[0].title.as_str(),
            desk[0].state,
            desk[0].topic.as_str()
        ),
        ("Draft: the week in security", DeskState::Draft, "security")
    );
    // The draft stays off every public surface.
    assert_eq!(
        app.get("/en/search?q=week+in+security").await.status,
        StatusCode::OK
    );
    assert!(!app
        .get("/en/search?q=week+in+security")
        .await
        .body
        .contains("Draft: the week in security"));
    // A third run makes nothing twice.
    let third = import_paths(store, &config, &[export()], &options)
        .await
        .expect("import runs");
    assert_eq!((third.created, third.drafts), (0, 0), "{third}");
    assert_eq!(
        store
            .desk_articles(&DeskFilter::default())
            .await
            .expect("desk")
            .len(),
        1
    );
}
#[tokio::test]
async fn an_unknown_topic_in_the_category_mapping_is_refused_naming_the_setting() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join(trendwatch::config::CONFIG_FILE),
        "[import.categories]\n\"Culture\" = \"sports\"\n",
    )
    .expect("config");
    let err = format!(
        "{:#}",
        trendwatch::Config::load(dir.path()).expect_err("refused")
    );
    assert!(
        err.contains("[import.categories]") && err.contains("sports"),
        "{err}"
    );
}
