//! Operating a site (issue 14 §4): `/healthz`, `/readyz`, Prometheus metrics behind a token or
//! on a listener of their own, the request id in error pages, and JSON logs.

mod common;

use common::*;
use reqwest::StatusCode;

const TOKEN: &str = "0123456789abcdef0123456789abcdef-metrics";

#[tokio::test]
async fn readyz_says_the_store_answers_and_the_index_is_current() {
    let app = sample_site().await;
    assert_eq!(app.get("/healthz").await.status, StatusCode::OK);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.body);
    let json: serde_json::Value = serde_json::from_str(&ready.body).expect("JSON");
    assert_eq!(json["ready"], true);
    assert_eq!(json["store"], "ok");
    assert_eq!(json["search_index"], "current");
    assert!(ready.headers["cache-control"]
        .to_str()
        .expect("ascii")
        .contains("no-store"));
}

#[tokio::test]
async fn metrics_are_served_only_with_the_token_on_the_public_listener() {
    let without = sample_site().await;
    assert_eq!(without.get("/metrics").await.status, StatusCode::NOT_FOUND);

    let archive =
        TestArchive::fresh_with_config(&format!("[metrics]\ntoken = \"{TOKEN}\"\n")).await;
    let sample = trendwatch::sample::extract(archive.dir.path()).expect("extract sample");
    assert!(archive.import(&[sample]).await.rejected.is_empty());
    let app = archive.serve().await;
    // Some traffic: an article twice (a miss, then a hit), and an address that is none.
    let home = app.page("/en/").await;
    let article = attrs(&home, ".card-title a", "href").remove(0);
    app.page(&article).await;
    app.page(&article).await;
    assert_eq!(
        app.get("/en/no-such-page").await.status,
        StatusCode::NOT_FOUND
    );

    assert_eq!(app.get("/metrics").await.status, StatusCode::UNAUTHORIZED);
    let wrong = app
        .get_with("/metrics", &[("authorization", "Bearer not-the-token")])
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let auth = format!("Bearer {TOKEN}");
    let got = app
        .get_with("/metrics", &[("authorization", auth.as_str())])
        .await;
    assert_eq!(got.status, StatusCode::OK);
    assert!(got.headers["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/plain"));
    let body = &got.body;
    for expected in [
        // One series per route pattern, not per address.
        "http_requests_total{route=\"/{lang}/articles/{slug}\",method=\"GET\",status=\"200\"}",
        "route=\"unmatched\",method=\"GET\",status=\"404\"",
        "http_request_duration_seconds_bucket{route=\"/{lang}/articles/{slug}\"",
        "page_cache_hits ",
        "page_bytes_sent_without_copy ",
        "store_generation ",
        "search_index_generation_lag 0",
        // How many are busy depends on the moment.
        "store_connections ",
        "store_connections_in_use ",
        "store_connections_waiting ",
    ] {
        assert!(body.contains(expected), "metrics have {expected}:\n{body}");
    }
    assert!(!body.contains(&article), "no addresses in labels");
    // The hit was answered by the connection, before hyper and the router, and is counted all the same.
    let article_hits: f64 = body
        .lines()
        .find_map(|l| {
            l.strip_prefix(
                "http_requests_total{route=\"/{lang}/articles/{slug}\",method=\"GET\",status=\"200\"} ",
            )
        })
        .and_then(|v| v.parse().ok())
        .expect("the article route's count");
    assert!(article_hits >= 2.0, "a miss and a hit: {article_hits}");
    if app.archive.database.is_none() {
        // SQLite: four readers and the writer.
        assert!(body.contains("store_connections 5"), "{body}");
    }
}

#[tokio::test]
async fn metrics_can_have_a_listener_of_their_own() {
    let archive = TestArchive::fresh_with_config("[metrics]\nlisten = \"127.0.0.1:0\"\n").await;
    let app = archive.serve().await;
    let at = app.app.metrics_addr.expect("the metrics listener");
    let got = reqwest::get(format!("http://{at}/metrics"))
        .await
        .expect("metrics");
    assert_eq!(got.status(), StatusCode::OK);
    assert!(got.text().await.expect("body").contains("store_generation"));
    // Not on the public listener.
    assert_eq!(app.get("/metrics").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_short_metrics_token_stops_the_start_naming_the_setting() {
    let archive = TestArchive::fresh_with_config("[metrics]\ntoken = \"short\"\n").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let err = trendwatch::start(listener, archive.store.clone(), &archive.config)
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("[metrics] token"), "{err}");
}

#[test]
fn json_logs_are_one_object_a_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_trendwatch"))
        .arg("--data")
        .arg(dir.path())
        .args(["digest", "status"])
        .env("TRENDWATCH_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .output()
        .expect("runs");
    assert!(out.status.success());
    let logs = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = logs.lines().collect();
    assert!(!lines.is_empty(), "a fresh data folder logs its migrations");
    for line in lines {
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON object");
        assert!(
            v["level"].is_string() && v["fields"]["message"].is_string(),
            "{line}"
        );
    }
}
