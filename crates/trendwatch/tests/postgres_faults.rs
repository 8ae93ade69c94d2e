//! PostgreSQL going away under load (issue 14 §3): a cluster of the test's own is stopped
//! as if it crashed (`pg_ctl stop -m immediate`) while readers ask for pages. Meanwhile the
//! site answers 503 with a page that says it recovers by itself (pages already in its cache
//! still answer), and once the database is back it serves again, without a restart.
//! Skipped, saying so, without `TRENDWATCH_TEST_DATABASE_URL` (no PostgreSQL here).

mod common;

use common::*;
use reqwest::StatusCode;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use trendwatch_postgres::testing::{ThrowawayDatabase, TEST_DATABASE_ENV};

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/postgres-for-tests")
}

/// A cluster of this test's own, removed when dropped.
struct Cluster {
    dir: PathBuf,
    url: String,
}

impl Cluster {
    fn start() -> Cluster {
        let dir = std::env::temp_dir().join(format!("trendwatch-faults-{}", std::process::id()));
        let out = Command::new(script())
            .arg(&dir)
            .output()
            .expect("run the script");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Cluster {
            dir,
            url: String::from_utf8(out.stdout)
                .expect("url")
                .trim()
                .to_string(),
        }
    }

    fn run(&self, verb: &str) {
        let out = Command::new(script())
            .arg(verb)
            .arg(&self.dir)
            .output()
            .expect("run the script");
        assert!(
            out.status.success(),
            "{verb}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(script()).arg("--stop").arg(&self.dir).output();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_site_answers_503_while_postgresql_is_away_and_recovers_by_itself() {
    if std::env::var(TEST_DATABASE_ENV).map_or(true, |u| u.is_empty()) {
        eprintln!("skipped: PostgreSQL faults: {TEST_DATABASE_ENV} is not set");
        return;
    }
    let cluster = Cluster::start();
    let db = ThrowawayDatabase::create_on(&cluster.url).await;
    // Requests give up waiting for a connection after a second: 503 comes quickly.
    let archive = TestArchive::on_database_with_config(
        std::sync::Arc::new(db),
        "[database]\nacquire_timeout_secs = 1\n",
    )
    .await;
    let report = archive
        .import(&[fixtures().join("markdown"), fixtures().join("jsonl")])
        .await;
    assert!(report.rejected.is_empty(), "{report}");
    let app = archive.serve().await;
    assert_eq!(app.get("/en/").await.status, StatusCode::OK);
    // An article the public API will be asked for while the database is away (the list
    // comes from the search index, which is local; the article itself from the database).
    let list: serde_json::Value = app
        .client
        .get(format!("{}/api/v1/articles?lang=en", app.app.url()))
        .send()
        .await
        .expect("article list")
        .json()
        .await
        .expect("JSON");
    let slug = list["items"][0]["slug"]
        .as_str()
        .unwrap_or_else(|| panic!("an article in {list}"))
        .to_string();

    let outage = Instant::now();
    cluster.run("--halt");
    // Readers keep asking, each for a page not in the cache.
    let asks = (0..8).map(|i| {
        let (client, url) = (
            app.client.clone(),
            format!("{}/en/?reader={i}", app.app.url()),
        );
        tokio::spawn(async move { client.get(url).send().await })
    });
    for ask in asks {
        let resp = ask.await.expect("task").expect("an answer");
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            resp.headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok()),
            Some("10")
        );
        let doc = scraper::Html::parse_document(&resp.text().await.expect("body"));
        assert_eq!(
            texts(&doc, "h1"),
            vec!["The archive is briefly unavailable"]
        );
    }
    // The public API says the same in JSON: 503, try again, not 500.
    let api = app
        .client
        .get(format!("{}/api/v1/articles/en/{slug}", app.app.url()))
        .send()
        .await
        .expect("an answer");
    assert_eq!(api.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        api.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("10")
    );
    let body: serde_json::Value = api.json().await.expect("a JSON error");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("briefly unavailable")),
        "{body}"
    );
    // A page already rendered is still served from the cache.
    assert_eq!(app.get("/en/").await.status, StatusCode::OK);
    assert_eq!(
        app.get("/readyz").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );

    eprintln!("503s while away: {:.1} s", outage.elapsed().as_secs_f64());
    cluster.run("--resume");
    let started = Instant::now();
    let mut n = 0;
    loop {
        n += 1;
        let status = app.get(&format!("/en/?after={n}")).await.status;
        if status == StatusCode::OK {
            break;
        }
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the site did not recover within 30 s of the database's return"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "recovered {:.1} s after the database's return",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(app.get("/readyz").await.status, StatusCode::OK);
    let back = app
        .client
        .get(format!("{}/api/v1/articles/en/{slug}", app.app.url()))
        .send()
        .await
        .expect("an answer");
    assert_eq!(back.status(), StatusCode::OK, "the API recovered too");
}
