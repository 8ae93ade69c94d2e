//! Dynamics over the bundled sample archive: the topic × week grid, the balance index checked
//! against hand-computed values, accessible SVG charts that are valid XML, CSV and JSON
//! downloads, and helpful errors for bad filters.

mod common;

use common::*;
use reqwest::StatusCode;

async fn sample_site() -> TestApp {
    let archive = TestArchive::fresh().await;
    let sample = trendwatch::sample::extract(archive.dir.path()).expect("extract sample");
    let report = archive.import(&[sample]).await;
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    archive.serve().await
}

#[tokio::test]
async fn grid_shows_every_topic_and_week_with_markers_in_words() {
    let app = sample_site().await;
    let doc = app.page("/en/dynamics").await;
    assert_accessible_skeleton(&doc);
    assert_eq!(text(&doc, "h1"), "Dynamics");
    // Default: the 12 weeks up to the latest one.
    let weeks = texts(&doc, ".grid thead th[scope=col]");
    assert_eq!(weeks.len(), 13, "the topic column and 12 weeks");
    assert_eq!((weeks[1].as_str(), weeks[12].as_str()), ("2026 W36", "W47"));
    // Weeks before the archive begins (W36, W37) have no overview to link to.
    assert_eq!(texts(&doc, ".grid thead th a").len(), 10);
    assert_eq!(texts(&doc, ".grid tbody th").len(), 5);
    // Security, 2026-W42 (the tenth column): worsened, linked to its commentary, in words.
    let row = doc
        .select(&sel(".grid tbody tr"))
        .find(|r| r.text().any(|t| t == "Security"))
        .expect("security row");
    let cells: Vec<_> = row.select(&sel("td")).collect();
    assert_eq!(cells.len(), 12);
    assert_eq!(cells[6].value().attr("class"), Some("cell marker-worsened"));
    let label: String = cells[6]
        .select(&sel(".visually-hidden"))
        .flat_map(|e| e.text())
        .collect();
    assert_eq!(label, "October 12 – October 18, 2026: Worsened");
    assert_eq!(
        cells[6]
            .select(&sel("a"))
            .next()
            .and_then(|a| a.value().attr("href")),
        Some("/en/articles/iron-ridge-drills-begin-with-a-larger-contingent-than-announced")
    );
    // The sample starts in week 38: the first two columns are empty, and say so.
    assert_eq!(cells[0].value().attr("class"), Some("cell empty"));
    assert!(cells[0].text().any(|t| t.contains("no commentary")));
}

#[tokio::test]
async fn balance_index_matches_hand_computed_values() {
    let app = sample_site().await;
    let resp = app.get("/en/dynamics.json?topic=west").await;
    assert_eq!(resp.status, StatusCode::OK);
    assert_eq!(resp.headers["content-type"], "application/json");
    let v: serde_json::Value = serde_json::from_str(&resp.body).expect("json");
    assert_eq!(v["window_weeks"], 8);
    assert_eq!(v["from"], "2026-W36");
    assert_eq!(v["to"], "2026-W47");
    let topics = v["topics"].as_array().expect("topics");
    assert_eq!(topics.len(), 1);
    let points = topics[0]["points"].as_array().expect("points");
    let scores: Vec<Option<i64>> = points.iter().map(|p| p["score"].as_i64()).collect();
    // West, weeks 36..47: –, –, +1, 0, –, +1, −1, 0, +1, 0, –, +1.
    assert_eq!(
        scores,
        vec![
            None,
            None,
            Some(1),
            Some(0),
            None,
            Some(1),
            Some(-1),
            Some(0),
            Some(1),
            Some(0),
            None,
            Some(1)
        ]
    );
    let balance: Vec<Option<f64>> = points.iter().map(|p| p["balance"].as_f64()).collect();
    // Mean of the rated weeks in the trailing 8 weeks, computed by hand:
    // W38 1/1; W39 1/2; W40 1/2; W41 2/3; W42 1/4; W43 1/5; W44 2/6; W45 2/7; W46 1/6; W47 2/6.
    assert_eq!(
        balance,
        vec![
            None,
            None,
            Some(1.0),
            Some(0.5),
            Some(0.5),
            Some(0.667),
            Some(0.25),
            Some(0.2),
            Some(0.333),
            Some(0.286),
            Some(0.167),
            Some(0.333)
        ]
    );
    assert_eq!(topics[0]["tally"]["improved"], 4);
    assert_eq!(topics[0]["tally"]["worsened"], 1);
    // Of the 4 weeks without a rating, those with no commentary at all are "missing", not
    // "not rated" (issue 12).
    let missing = points.iter().filter(|p| p["status"].is_null()).count();
    assert!(
        missing > 0,
        "the sample has weeks without a security commentary"
    );
    assert_eq!(topics[0]["tally"]["missing"], missing);
    assert_eq!(topics[0]["tally"]["not_rated"], 4 - missing);
}

#[tokio::test]
async fn charts_are_valid_accessible_svg_with_a_data_table() {
    let app = sample_site().await;
    let resp = app
        .get("/en/dynamics?topic=security&from=2026-W38&to=2026-W47")
        .await;
    assert_eq!(resp.status, StatusCode::OK);
    let doc = resp.doc();
    let svgs: Vec<_> = doc.select(&sel("svg.chart")).collect();
    assert_eq!(svgs.len(), 1, "one chart for the one selected topic");
    let svg = svgs[0].html();
    // Well-formed XML, with a title and a description the image is labelled by.
    let mut reader = quick_xml::Reader::from_str(&svg);
    let (mut title, mut desc, mut depth_ok) = (false, false, true);
    let mut depth = 0i32;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e)) => {
                depth += 1;
                title |= e.name().as_ref() == b"title";
                desc |= e.name().as_ref() == b"desc";
            }
            Ok(quick_xml::events::Event::End(_)) => depth -= 1,
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("SVG is not well-formed XML: {e}\n{svg}"),
        }
        depth_ok &= depth >= 0;
    }
    assert!(title && desc && depth_ok && depth == 0, "{svg}");
    assert_eq!(attrs(&doc, "svg.chart", "role"), vec!["img"]);
    assert_eq!(
        attrs(&doc, "svg.chart", "aria-labelledby"),
        vec!["chart-security-title chart-security-desc"]
    );
    assert!(
        text(&doc, "svg.chart title").starts_with("Security: Balance index (2026-W38 – 2026-W47)")
    );
    // The data table carries the same ten weeks.
    assert_eq!(texts(&doc, "table.data tbody tr").len(), 10);
    assert_eq!(
        texts(&doc, "table.data tbody tr:nth-child(5) > *"),
        vec!["October 12 – October 18, 2026", "Worsened", "-1", "-0.60"]
    );
    assert_eq!(texts(&doc, ".grid thead th a").len(), 10);
}

#[tokio::test]
async fn csv_download_has_one_row_per_topic_and_week() {
    let app = sample_site().await;
    let resp = app.get("/en/dynamics.csv?from=2026-W40&to=2026-W42").await;
    assert_eq!(resp.status, StatusCode::OK);
    assert_eq!(resp.headers["content-type"], "text/csv; charset=utf-8");
    let lines: Vec<&str> = resp.body.lines().collect();
    assert_eq!(
        lines[0],
        "topic,period,week_start,week_end,status,score,balance,article"
    );
    assert_eq!(lines.len(), 1 + 5 * 3);
    assert!(lines.contains(&"security,2026-W42,2026-10-12,2026-10-18,worsened,-1,-0.6,/en/articles/iron-ridge-drills-begin-with-a-larger-contingent-than-announced"), "{lines:#?}");
    // A week without a commentary has no score but still a balance (W38 +1, W39 0).
    assert!(
        lines.contains(&"west,2026-W40,2026-09-28,2026-10-04,,,0.5,"),
        "{lines:#?}"
    );
    // The balance looks back a full window even when the view starts later: security's
    // W42 balance is the mean of W38..W42 (0, −1, 0, −1, −1), not of W40..W42 alone.
    // Russian edition: its own series, of the weeks it has (one unchanged and two worsened
    // commentaries in the window: the mean of 0, −1, −1).
    let ru = app
        .get("/ru/dynamics.csv?topic=security&from=2026-W42&to=2026-W42")
        .await;
    assert_eq!(ru.body.lines().nth(1), Some("security,2026-W42,2026-10-12,2026-10-18,worsened,-1,-0.667,/ru/articles/ucheniya-zheleznyy-khrebet-nachalis-s-bolshim-kontingentom-chem-obyavlyalos"));
}

#[tokio::test]
async fn bad_filters_get_a_helpful_400() {
    let app = sample_site().await;
    let bad = app.get("/en/dynamics?from=last+spring").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let doc = bad.doc();
    assert_eq!(text(&doc, "h1"), "This request cannot be answered");
    assert_eq!(
        texts(&doc, "main p")[0],
        "from = \"last spring\": expected an ISO week such as 2026-W38"
    );
    let topic = app.get("/en/dynamics.json?topic=sports").await;
    assert_eq!(topic.status, StatusCode::BAD_REQUEST);
    assert!(topic
        .body
        .contains("unknown topic; expected one of ruling-elite, society, security, west, east"));
    let reversed = app.get("/en/dynamics?from=2026-W47&to=2026-W40").await;
    assert_eq!(reversed.status, StatusCode::BAD_REQUEST);
    assert!(texts(&reversed.doc(), "main p")[0].contains("from must not be after to"));
}

/// Issue 12 §3: no cap on the range. The page shows a year at a time with links to earlier
/// and later weeks, its headers name the year where one begins, and the downloads give the
/// whole range (cut to the archive, so a range from the year 2000 costs no more than the
/// archive).
#[tokio::test]
async fn long_ranges_page_on_the_page_and_download_whole() {
    // 400 generated commentaries: 80 weeks of five topics back from 2026-W47.
    let app = generated_site(400).await;

    let doc = app.page("/en/dynamics?from=2000-W01&to=2026-W47").await;
    let heads = texts(&doc, ".grid thead th a");
    assert_eq!(heads.len(), 52, "a year of weeks on the page");
    assert_eq!(heads[0], "2025 W48");
    assert_eq!(heads[51], "W47");
    let new_year = heads
        .iter()
        .position(|h| h == "2026 W01")
        .expect("year named");
    assert_eq!(texts(&doc, ".grid thead th .year"), vec!["2025", "2026"]);
    assert_eq!(new_year, 5);
    assert!(texts(&doc, "a[rel=next]").is_empty(), "no later weeks");
    let earlier = attrs(&doc, "a[rel=prev]", "href").remove(0);
    let older = app.page(&earlier).await;
    let older_heads = texts(&older, ".grid thead th a");
    assert_eq!(
        older_heads.last().map(String::as_str),
        Some("W47"),
        "{earlier}"
    );
    assert!(older_heads[0].starts_with("2025 "), "{older_heads:?}");
    assert!(
        older_heads.len() < 52,
        "the archive begins: {}",
        older_heads.len()
    );
    assert!(
        texts(&older, "a[rel=prev]").is_empty(),
        "nothing before the archive"
    );
    let later = attrs(&older, "a[rel=next]", "href").remove(0);
    assert_eq!(texts(&app.page(&later).await, ".grid thead th a"), heads);

    // The CSV of the same range: every week of the archive, five topics each.
    let csv_url = attrs(&doc, ".downloads a", "href").remove(0);
    let csv = app.get(&csv_url).await;
    assert_eq!(csv.status, StatusCode::OK, "{csv_url}");
    assert_eq!(csv.body.lines().count() - 1, 80 * 5, "{csv_url}");
    let json = app.get("/en/dynamics.json?from=1990-W01").await;
    let v: serde_json::Value = serde_json::from_str(&json.body).expect("JSON");
    assert_eq!(v["topics"][0]["points"].as_array().map(Vec::len), Some(80));
}
