//! The public read API (issue 11 §8): what each endpoint answers on the fixture site, checked
//! against the pages readers see, and `schemathesis` (PyPI) run against the OpenAPI document:
//! no 5xx, and every response matches the document.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::Value;

async fn get_json(app: &TestApp, path: &str) -> (StatusCode, Value) {
    let f = app.get(path).await;
    let content_type = f
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(
        content_type.starts_with("application/json"),
        "{path}: {content_type}: {}",
        f.body
    );
    (f.status, serde_json::from_str(&f.body).expect("JSON"))
}

#[tokio::test]
async fn public_api_answers_what_the_pages_show() {
    let app = fixture_site(None).await;

    let (s, doc) = get_json(&app, "/api/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/api/v1/articles",
        "/api/v1/articles/{lang}/{slug}",
        "/api/v1/topics",
        "/api/v1/weeks/{period}",
        "/api/v1/storylines/{id}",
        "/api/v1/dynamics",
    ] {
        assert!(
            doc["paths"][path]["get"].is_object(),
            "{path} not documented"
        );
    }

    let (s, topics) = get_json(&app, "/api/v1/topics").await;
    assert_eq!(s, StatusCode::OK);
    let slugs: Vec<&str> = topics["topics"]
        .as_array()
        .expect("topics")
        .iter()
        .map(|t| t["slug"].as_str().expect("slug"))
        .collect();
    assert!(slugs.contains(&"security"), "{slugs:?}");

    // The newest English article, as the list gives it and whole.
    let (s, list) = get_json(&app, "/api/v1/articles?lang=en&sort=date").await;
    assert_eq!(s, StatusCode::OK);
    assert!(list["total"].as_u64().expect("total") >= 2, "{list}");
    let first = &list["items"][0];
    let api_url = first["api_url"].as_str().expect("api_url");
    let path = api_url.replacen(&app.app.url(), "", 1);
    let (s, article) = get_json(&app, &path).await;
    assert_eq!(s, StatusCode::OK, "{article}");
    let page_path = article["url"]
        .as_str()
        .expect("url")
        .replacen(&app.app.url(), "", 1);
    let page = app.page(&page_path).await;
    assert_eq!(article["title"].as_str(), Some(text(&page, "h1").as_str()));
    assert_eq!(article["title"], first["title"]);
    assert!(article["body_html"].as_str().expect("body").contains("<p>"));
    assert!(
        article["published"].as_str().expect("time").ends_with('Z')
            || article["published"].as_str().expect("time").contains('+')
    );

    // Filters narrow the list; a filter the site does not know is an error, not everything.
    let (_, security) = get_json(&app, "/api/v1/articles?topic=security&lang=all").await;
    assert!(security["items"]
        .as_array()
        .expect("items")
        .iter()
        .all(|i| i["topic"] == "security"));
    let (s, e) = get_json(&app, "/api/v1/articles?topic=nonsense").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(e["error"].as_str().expect("error").contains("topic"), "{e}");
    let (s, e) = get_json(&app, "/api/v1/articles?colour=red").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        e["error"].as_str().expect("error").contains("colour"),
        "{e}"
    );
    let (s, _) = get_json(&app, "/api/v1/articles/en/no-such-article").await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The article's week lists it, and so does its storyline.
    let period = article["period"].as_str().expect("period");
    let (s, week) = get_json(&app, &format!("/api/v1/weeks/{period}?lang=en")).await;
    assert_eq!(s, StatusCode::OK, "{week}");
    assert!(week["articles"]
        .as_array()
        .expect("articles")
        .iter()
        .any(|a| a["slug"] == article["slug"]));
    if let Some(id) = article["storyline"].as_i64() {
        let (s, storyline) = get_json(&app, &format!("/api/v1/storylines/{id}?lang=en")).await;
        assert_eq!(s, StatusCode::OK, "{storyline}");
        assert!(storyline["articles"]
            .as_array()
            .expect("articles")
            .iter()
            .any(|a| a["slug"] == article["slug"]));
    } else {
        panic!("the fixture's articles belong to storylines: {article}");
    }
    let (s, _) = get_json(&app, "/api/v1/weeks/1990-W01?lang=en").await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Dynamics: the same series as the page's JSON download.
    let (s, dynamics) = get_json(&app, "/api/v1/dynamics?lang=en").await;
    assert_eq!(s, StatusCode::OK);
    let (_, download) = get_json(&app, "/en/dynamics.json").await;
    assert_eq!(dynamics, download);
    let (s, _) = get_json(&app, "/api/v1/dynamics?from=not-a-week").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn schemathesis_finds_no_server_error_and_no_response_off_the_document() {
    let Some(python) = python_with(&["schemathesis"]) else {
        return;
    };
    let app = fixture_site(None).await;
    let url = app.app.url();
    // Its caches go into a folder of its own, not into the checkout.
    let work = tempfile::tempdir().expect("temp dir");
    let out = tokio::process::Command::new(&python)
        .current_dir(work.path())
        .args(["-m", "schemathesis.cli", "run"])
        .arg(format!("{url}/api/openapi.json"))
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            "--max-examples",
            "30",
            "--workers",
            "2",
            "--generation-deterministic",
        ])
        .output()
        .await
        .expect("schemathesis runs");
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "schemathesis failed:\n{report}");
    // Its summary, in the test log.
    let lines: Vec<&str> = report.lines().collect();
    eprintln!("{}", lines[lines.len().saturating_sub(20)..].join("\n"));
    assert!(report.contains("passed"), "{report}");
}
