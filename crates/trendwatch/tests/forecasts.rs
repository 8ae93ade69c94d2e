//! Forecasts and the track record over the sample archive (Brier scores checked against hand
//! computation), the overdue list, and the editors' JSON API with its bearer token.

mod common;

use common::*;
use reqwest::StatusCode;
use std::process::Command;

async fn sample_app(token: Option<&str>) -> TestApp {
    let mut archive = TestArchive::fresh().await;
    let sample = trendwatch::sample::extract(archive.dir.path()).expect("extract sample");
    assert!(archive.import(&[sample]).await.rejected.is_empty());
    archive.config.file.api.token = token.map(str::to_string);
    archive.serve().await
}

#[tokio::test]
async fn track_record_scores_match_hand_computation() {
    let app = sample_app(None).await;
    let doc = app.page("/en/track-record").await;
    assert_accessible_skeleton(&doc);
    // Ten scored sample forecasts: (p − outcome)² = .64 .09 .01 .36 .49 .0625 .16 .1225 .25
    // .0225, sum 2.2075, mean 0.22075.
    assert_eq!(text(&doc, ".scores .brier"), "0.221");
    assert_eq!(
        texts(&doc, ".scores tbody tr")[0],
        "0.221 10 0 5".replace(' ', ""),
        "brier, scored, void, open"
    );
    // West: 0.6 happened (.16) and 0.35 did not happen (.1225): 0.14125.
    let west = doc
        .select(&sel(".by-topic tbody tr"))
        .find(|r| r.text().any(|t| t == "Relations with the West"))
        .expect("west row");
    assert_eq!(
        west.select(&sel("td"))
            .map(|c| c.text().collect::<String>())
            .collect::<Vec<_>>(),
        vec!["2", "0.141"]
    );
    // Calibration chart: valid XML with a title and a description, plus a data table.
    let svg = doc
        .select(&sel("svg.calibration"))
        .next()
        .expect("chart")
        .html();
    let mut reader = quick_xml::Reader::from_str(&svg);
    let mut names = Vec::new();
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e)) => {
                names.push(String::from_utf8_lossy(e.name().as_ref()).to_string())
            }
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("calibration SVG is not well-formed: {e}"),
        }
    }
    assert!(names.contains(&"title".to_string()) && names.contains(&"desc".to_string()));
    assert_eq!(texts(&doc, ".calibration-table tbody tr").len(), 5);
    assert_eq!(texts(&doc, ".forecast-list li").len(), 15);
    // Per author and per topic pages.
    let author = app.page("/en/track-record/authors/Lena%20Korvath").await;
    assert_eq!(text(&author, "h1"), "Track record: Lena Korvath");
    assert_eq!(
        app.get("/en/track-record/authors/Nobody").await.status,
        StatusCode::NOT_FOUND
    );
    let topic = app.page("/en/track-record/topics/security").await;
    assert_eq!(texts(&topic, ".forecast-list li").len(), 2);
    // The article shows its forecast.
    let article = app
        .page("/en/articles/iron-ridge-drills-announced-near-the-northern-border")
        .await;
    assert_eq!(text(&article, "#forecasts-heading"), "Forecasts");
    assert!(text(&article, ".article-forecasts li").contains("30% by October 25, 2026 · Happened"));
}

/// Issue 12 §3: forecasts belong to the commentary, so the Russian edition's track record
/// scores the same forecasts (shown with the Russian translation where there is one, the
/// statement marked as English), a translation shows its original's forecasts, and every
/// author link of either edition answers.
#[tokio::test]
async fn forecasts_show_in_both_editions() {
    let app = sample_app(None).await;
    let en = app.page("/en/track-record").await;
    let ru = app.page("/ru/track-record").await;
    assert_eq!(text(&ru, ".scores .brier"), text(&en, ".scores .brier"));
    assert_eq!(
        texts(&ru, ".forecast-list li").len(),
        texts(&en, ".forecast-list li").len()
    );
    // Statements made in English are marked so on the Russian page.
    let marked = attrs(&ru, ".forecast-list .statement[lang=en]", "lang").len();
    assert_eq!(marked, texts(&ru, ".forecast-list li").len());
    // Links go to the Russian translation where there is one.
    let links = attrs(&ru, ".forecast-list li a", "href");
    assert!(
        links.iter().any(|l| l.starts_with("/ru/articles/")),
        "{links:?}"
    );
    for link in links
        .iter()
        .chain(attrs(&ru, ".by-author a, .by-topic a", "href").iter())
    {
        assert_eq!(app.get(link).await.status, StatusCode::OK, "{link}");
    }
    for link in attrs(&en, ".by-author a, .by-topic a", "href") {
        let mirror = link.replacen("/en/", "/ru/", 1);
        assert_eq!(app.get(&mirror).await.status, StatusCode::OK, "{mirror}");
    }
    // The Russian translation of an article with a forecast shows it.
    let ru_article = links
        .iter()
        .find(|l| l.starts_with("/ru/articles/"))
        .expect("a Russian article with forecasts");
    let doc = app.page(ru_article).await;
    assert_eq!(text(&doc, "#forecasts-heading"), "Прогнозы");
    assert!(!texts(&doc, ".article-forecasts .statement[lang=en]").is_empty());
}

#[tokio::test]
async fn editors_api_resolves_forecasts_and_edits_storylines_with_a_token() {
    use serde_json::json;
    let app = sample_app(Some("s3cret-token-for-the-editors-api-tests")).await;
    let token = Some("s3cret-token-for-the-editors-api-tests");
    let (_, _, overdue) = app
        .api("/api/v1/forecasts/overdue?today=2026-11-27", token, None)
        .await;
    let list = overdue["forecasts"].as_array().expect("list");
    assert_eq!(list.len(), 1, "{overdue}");
    assert_eq!(
        list[0]["article"],
        "en/union-suspends-dairy-imports-from-two-arvenian-plants"
    );
    let id = list[0]["id"].as_i64().expect("id");
    let resolve = format!("/api/v1/forecasts/{id}/resolve");

    // Without the token, or with a wrong one, nothing happens; a bad outcome is refused.
    let happened = json!({"outcome": "happened"});
    let (status, _, _) = app.api(&resolve, None, Some(happened.clone())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = app
        .api(&resolve, Some("s3cret-tokem"), Some(happened))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = app
        .api(&resolve, token, Some(json!({"outcome": "perhaps"})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let before = app.page("/en/track-record").await;
    assert_eq!(text(&before, ".scores .brier"), "0.221");
    let (status, headers, _) = app
        .api(&resolve, token, Some(json!({"outcome": "did_not_happen"})))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["cache-control"], "no-store");
    // The page cache was cleared: 0.25 did not happen adds .0625 → 2.27 / 11 = 0.2064.
    let after = app.page("/en/track-record").await;
    assert_eq!(text(&after, ".scores .brier"), "0.206");
    let (_, _, overdue) = app
        .api("/api/v1/forecasts/overdue?today=2026-11-27", token, None)
        .await;
    assert_eq!(overdue["forecasts"].as_array().map(Vec::len), Some(0));

    // The editor's resolution survives a re-import of the same article.
    let sample = trendwatch::sample::extract(app.archive.dir.path()).expect("extract");
    app.archive.import(&[sample]).await;
    app.app.state.cache.clear();
    assert_eq!(
        text(&app.page("/en/track-record").await, ".scores .brier"),
        "0.206"
    );

    // Storyline rename through the API shows on the page.
    let (_, _, storylines) = app.api("/api/v1/storylines?lang=en", token, None).await;
    let first = storylines["storylines"][0]["id"].as_i64().expect("id");
    let rename = format!("/api/v1/storylines/{first}/rename");
    let (status, _, _) = app
        .api(&rename, token, Some(json!({"title": "The dairy dispute"})))
        .await;
    assert_eq!(status, StatusCode::OK);
    let page = app.page(&format!("/en/storylines/{first}")).await;
    assert_eq!(text(&page, "h1"), "The dairy dispute");
    let (status, _, body) = app
        .api(
            "/api/v1/storylines/999999/merge",
            token,
            Some(json!({"into": first})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "storyline 999999 does not exist");
}

#[tokio::test]
async fn api_needs_a_token_when_none_is_configured() {
    let app = sample_app(None).await;
    let resp = app.get("/api/v1/forecasts/overdue").await;
    assert_eq!(resp.status, StatusCode::UNAUTHORIZED);
    assert!(resp.body.contains("/desk/tokens"));
    assert!(
        !resp.headers.contains_key("etag"),
        "API answers are never cached"
    );
}

#[test]
fn cli_lists_overdue_forecasts_and_resolves_them() {
    let data = tempfile::tempdir().expect("tempdir");
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_trendwatch"))
            .arg("--data")
            .arg(data.path())
            .args(args)
            .output()
            .expect("run");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (ok, _, err) = run(&[
        "import",
        "--no-progress",
        fixtures().join("forecasts").to_str().expect("utf-8 path"),
    ]);
    assert!(ok, "{err}");
    let (_, out, _) = run(&["forecasts", "overdue", "--today", "2026-12-01"]);
    assert!(
        out.contains("Gas price agreed before December") && out.ends_with("1 overdue forecasts\n"),
        "{out}"
    );
    let id = out.split_whitespace().next().expect("id").to_string();
    let (ok, out, _) = run(&["forecasts", "resolve", &id, "void"]);
    assert!(ok && out.contains("resolved: void"));
    let (_, out, _) = run(&["forecasts", "overdue", "--today", "2026-12-01"]);
    assert!(out.ends_with("0 overdue forecasts\n"), "{out}");
    let (ok, _, err) = run(&["forecasts", "resolve", "99999", "happened"]);
    assert!(!ok && err.contains("forecast 99999 does not exist"));
    // A bad forecast in a source is rejected with the field named.
    let bad = data.path().join("bad.jsonl");
    std::fs::write(&bad, r#"{"title":"T","topic":"east","date":"2026-11-02","body":"x","forecasts":[{"statement":"S","probability":"high","resolve_by":"2027-01-01"}]}"#).expect("write");
    let (ok, _, err) = run(&["import", "--no-progress", bad.to_str().expect("utf-8")]);
    assert!(
        !ok && err.contains("field `forecasts[0].probability`: \"high\" is not a probability"),
        "{err}"
    );
}
