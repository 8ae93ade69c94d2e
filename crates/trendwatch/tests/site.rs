//! The public site, end to end over HTTP: a real server on 127.0.0.1:0, a real SQLite archive
//! in a temporary directory, pages checked through a DOM.

mod common;

use common::*;
use reqwest::StatusCode;

const DRILLS: &str =
    "/en/articles/arvenia-hosts-iron-ridge-drills-with-a-larger-contingent-than-announced";

async fn seed_format_site() -> TestApp {
    let archive = TestArchive::fresh().await;
    let report = archive.import(&[fixtures().join("seed-format")]).await;
    assert_eq!(
        (report.created, report.rejected.len()),
        (2, 0),
        "{:?}",
        report.rejected
    );
    archive.serve().await
}

#[tokio::test]
async fn article_page_shows_every_element_of_the_seed_page() {
    let app = seed_format_site().await;
    let doc = app.page(DRILLS).await;
    assert_accessible_skeleton(&doc);

    assert_eq!(
        text(&doc, "h1"),
        "Arvenia hosts Iron Ridge drills with a larger contingent than announced"
    );
    assert_eq!(text(&doc, ".topic-label a"), "Security");
    // Status in colour (class) and in words, plus a shape symbol.
    assert_eq!(text(&doc, ".status-line dt"), "Category status:");
    assert_eq!(
        attrs(&doc, ".status-line .marker", "class"),
        vec!["marker marker-worsened"]
    );
    assert_eq!(text(&doc, ".status-line .marker-label"), "Worsened");
    assert_eq!(text(&doc, ".status-line .marker-symbol"), "▼");
    // Date and time, machine-readable too, with the office's UTC offset (no time zone
    // configured: UTC).
    assert_eq!(text(&doc, ".article-meta time"), "October 19, 2026 11:00");
    assert_eq!(
        attrs(&doc, ".article-meta time", "datetime"),
        vec!["2026-10-19T11:00:00Z"]
    );
    assert_eq!(text(&doc, ".article-meta .credit dt"), "Photo:");
    assert_eq!(
        text(&doc, ".article-meta .credit dd"),
        "mod.arvenia.example"
    );
    // The period is the ISO week before publication, shown as a label, linked to the overview.
    assert_eq!(
        text(&doc, ".article-meta a[href='/en/weeks/2026-w42']"),
        "October 12 – October 18, 2026"
    );
    let paragraphs = texts(&doc, ".article-body p");
    assert_eq!(paragraphs.len(), 4);
    assert!(paragraphs[0].starts_with("Last week, the Iron Ridge exercise began"));

    // Similar articles: the listed one that exists, with title, date, credit and summary;
    // the listed one that does not exist is not shown.
    assert_eq!(text(&doc, "#similar-heading"), "Similar articles");
    let similar = texts(&doc, ".similar-item .card-title a");
    assert_eq!(
        similar,
        vec!["Defence ministry publishes the Iron Ridge drill calendar"]
    );
    assert_eq!(
        attrs(&doc, ".similar-item .card-title a", "href"),
        vec!["/en/articles/defence-ministry-publishes-the-iron-ridge-drill-calendar"]
    );
    assert_eq!(text(&doc, ".similar-item time"), "October 12, 2026 09:30");
    assert_eq!(
        text(&doc, ".similar-item .credit"),
        "Photo: mod.arvenia.example"
    );
    assert!(text(&doc, ".similar-item .card-lead")
        .starts_with("Last week, the Arvenian Ministry of Defence"));
    assert!(!doc
        .root_element()
        .text()
        .any(|t| t.contains("not in this archive")));

    // Recent trends: the most recently active storylines, newest first, each with its latest
    // marker in words, topics, last week and size. (Whether the two fixture pages form one
    // storyline is the threader's call, tested with the threading itself.)
    assert_eq!(text(&doc, "#recent-heading"), "Recent trends");
    let drills = "Arvenia hosts Iron Ridge drills with a larger contingent than announced";
    assert_eq!(texts(&doc, ".recent li > a")[0], drills);
    assert!(attrs(&doc, ".recent li > a", "href")
        .iter()
        .all(|h| h.starts_with("/en/storylines/")));
    assert!(texts(&doc, ".recent li > .muted")[0]
        .starts_with("▼ Worsened · Security · October 12 – October 18, 2026 · "));
    assert_eq!(text(&doc, ".storyline-link dd a"), drills);
}

#[tokio::test]
async fn article_main_content_snapshot() {
    let app = seed_format_site().await;
    let doc = app.page(DRILLS).await;
    let main = doc.select(&sel("main")).next().expect("main").html();
    insta::assert_snapshot!("article_main", main);
}

async fn markdown_site() -> TestApp {
    fixture_site(None).await
}

#[tokio::test]
async fn period_labels_in_both_languages() {
    let app = markdown_site().await;
    let en = app.page("/en/weeks/2026-w42").await;
    assert_eq!(
        text(&en, "h1"),
        "Weekly overview: October 12 – October 18, 2026"
    );
    let ru = app.page("/ru/weeks/2026-w42").await;
    assert_eq!(text(&ru, "h1"), "Обзор недели: 12–18 октября 2026");
    assert_eq!(attrs(&ru, "html", "lang"), vec!["ru"]);
    // A week spanning two months, in Russian.
    let ru = app
        .page("/ru/articles/zakonoproekt-o-smi-obyazhet-internet-izdaniya-poluchat-litsenzii")
        .await;
    assert_eq!(
        text(&ru, ".article-meta a[href^='/ru/weeks/']"),
        "12–18 октября 2026"
    );
    assert_eq!(text(&ru, ".article-meta time"), "19 октября 2026 10:30");
    assert_eq!(text(&ru, ".status-line .marker-label"), "Ухудшение");
}

#[tokio::test]
async fn weekly_overview_lists_every_topic_and_links_neighbour_weeks() {
    let app = markdown_site().await;
    let doc = app.page("/en/weeks/2026-w42").await;
    assert_accessible_skeleton(&doc);
    assert_eq!(texts(&doc, ".topic-row .topic-name").len(), 5);
    let security = doc
        .select(&sel(".topic-row"))
        .find(|r| r.text().any(|t| t == "Security"))
        .expect("security row");
    assert!(security
        .text()
        .any(|t| t.contains("Arvenia hosts Iron Ridge drills")));
    assert!(texts(&doc, ".topic-row .muted").contains(&"No commentary for this week.".to_string()));
    assert_eq!(
        attrs(&doc, "a[rel=prev]", "href"),
        vec!["/en/weeks/2026-w41"]
    );
    assert_eq!(
        attrs(&doc, "a[rel=next]", "href"),
        Vec::<String>::new(),
        "no later week"
    );
    assert_eq!(
        app.get("/en/weeks/2026-w60").await.status,
        StatusCode::NOT_FOUND
    );
    // Weeks before the first commentary and after the last are outside the archive (issue 12).
    for outside in [
        "/en/weeks/1990-w01",
        "/en/weeks/2026-w43",
        "/en/weeks/2099-w10",
    ] {
        assert_eq!(
            app.get(outside).await.status,
            StatusCode::NOT_FOUND,
            "{outside}"
        );
    }
    let latest = app.get("/en/weeks/").await;
    assert_eq!(latest.status, StatusCode::SEE_OTHER);
    assert_eq!(latest.headers["location"], "/en/weeks/2026-w42");
}

#[tokio::test]
async fn translations_are_linked_with_hreflang() {
    let app = markdown_site().await;
    let en = app
        .page("/en/articles/draft-media-law-would-require-licences-for-online-outlets")
        .await;
    let ru_url = "/ru/articles/zakonoproekt-o-smi-obyazhet-internet-izdaniya-poluchat-litsenzii";
    assert_eq!(
        attrs(&en, ".translations a[hreflang=ru]", "href"),
        vec![ru_url]
    );
    // In <head>, alternates are absolute (issue 11 §1): here the address the test server
    // listens on, as no base_url is configured.
    assert_eq!(
        attrs(&en, "link[rel=alternate][hreflang=ru]", "href"),
        vec![format!("{}{ru_url}", app.app.url())]
    );
    assert_eq!(text(&en, ".translations a"), "Русский");
    let ru = app.page(ru_url).await;
    assert_eq!(
        attrs(&ru, ".translations a[hreflang=en]", "href"),
        vec!["/en/articles/draft-media-law-would-require-licences-for-online-outlets"]
    );
    // The image sits in the text column with its credit as caption and the source's alt text
    // (issue 12); the credit then is not repeated in the metadata.
    assert_eq!(
        attrs(&en, ".article-body > figure.lead-image img", "alt"),
        vec!["Deputies in the chamber of the Arvenian Assembly (sample image)"]
    );
    assert_eq!(
        text(&en, ".article-body > figure.lead-image figcaption"),
        "Photo: assembly.arvenia.example"
    );
    assert!(texts(&en, ".article-meta .credit").is_empty());
    // Similar articles never include the translation, and stay in the reader's language.
    assert!(texts(&ru, ".similar-item a")
        .iter()
        .all(|t| !t.contains("Draft media law")));
    // An article without a translation has no alternates, and leads to its topic's archive
    // in the other edition instead (issue 12), named in that edition's language.
    let solo = app.page("/en/articles/gas-price-talks-drag-on").await;
    assert!(attrs(&solo, "link[rel=alternate]", "hreflang").is_empty());
    assert!(solo
        .select(&sel(".translations a[rel=alternate]"))
        .next()
        .is_none());
    assert_eq!(
        attrs(&solo, ".untranslated a[hreflang=ru]", "href"),
        vec!["/ru/topics/east"]
    );
    assert_eq!(text(&solo, ".untranslated a"), "Отношения с Востоком");
    assert_eq!(app.get("/ru/topics/east").await.status, StatusCode::OK);
    // Pages that exist in both languages point to each other.
    let home = app.page("/en/").await;
    assert_eq!(
        attrs(&home, "link[rel=alternate][hreflang=ru]", "href"),
        vec![format!("{}/ru/", app.app.url())]
    );
}

#[tokio::test]
async fn home_shows_the_latest_week_across_topics() {
    let app = markdown_site().await;
    let doc = app.page("/en/").await;
    assert_accessible_skeleton(&doc);
    // The fixtures' latest week is long past: the heading names it, without "This week".
    assert_eq!(
        text(&doc, "h1"),
        "Latest week: October 12 – October 18, 2026"
    );
    let ru = app.page("/ru/").await;
    assert!(
        text(&ru, "h1").starts_with("Последняя неделя: "),
        "{}",
        text(&ru, "h1")
    );
    let rows = texts(&doc, ".topic-row .topic-name");
    assert_eq!(
        rows,
        vec![
            "The ruling elite",
            "Society and political parties",
            "Security",
            "Relations with the West",
            "Relations with the East"
        ]
    );
    let titles = texts(&doc, ".topic-row .card-title a");
    assert!(titles.contains(
        &"Arvenia hosts Iron Ridge drills with a larger contingent than announced".to_string()
    ));
    assert!(
        titles.contains(&"Draft media law would require licences for online outlets".to_string())
    );
    // Markers carry words, not only colour; the risk alert is listed separately.
    assert!(texts(&doc, ".topic-row .marker-label").iter().all(|w| [
        "Improved",
        "Unchanged",
        "Worsened",
        "Not rated"
    ]
    .contains(&w.as_str())));
    assert_eq!(
        texts(&doc, ".alerts li a"),
        vec!["Draft media law would require licences for online outlets"]
    );
    // "Recent trends" lists the storylines of more than one commentary, newest first.
    let shown: Vec<String> = app
        .archive
        .store
        .shown_storylines(trendwatch_core::Language::En, 8)
        .await
        .expect("storylines")
        .into_iter()
        .map(|s| s.title)
        .collect();
    assert!(!shown.is_empty());
    assert_eq!(texts(&doc, ".recent li a"), shown);
    // The language root redirects by Accept-Language.
    let root = app
        .get_with("/", &[("accept-language", "ru-RU,ru;q=0.9,en;q=0.5")])
        .await;
    assert_eq!(root.headers["location"], "/ru/");

    // A commentary of the current week makes it "This week".
    let today = time::OffsetDateTime::now_utc().date();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("now.jsonl");
    std::fs::write(
        &file,
        format!(
            r#"{{"id":"now","title":"Sample: a commentary of this week","topic":"security","lang":"en","date":"{today} 09:00","status":"unchanged","body":"Sample text about the fictional Republic of Arvenia."}}"#
        ),
    )
    .expect("write fixture");
    let report = app.archive.import(&[file]).await;
    assert_eq!(report.rejected, vec![]);
    let generation = app.archive.store.generation().await.expect("generation");
    app.app.state.cache.observe_generation(generation);
    let doc = app.page("/en/").await;
    assert!(
        text(&doc, "h1").starts_with("This week: "),
        "{}",
        text(&doc, "h1")
    );
}

#[tokio::test]
async fn topic_archive_is_paginated_with_stable_urls() {
    let archive = TestArchive::fresh().await;
    let gen = archive.dir.path().join("generated");
    trendwatch::generate::generate(120, &gen).expect("generate");
    let report = archive.import(&[gen]).await;
    assert_eq!((report.created, report.rejected.len()), (120, 0));
    let app = archive.serve().await;

    let p1 = app.page("/en/topics/security").await;
    assert_accessible_skeleton(&p1);
    assert_eq!(text(&p1, "h1"), "Security");
    assert_eq!(texts(&p1, ".archive-item").len(), 20);
    assert_eq!(
        texts(&p1, ".archive-item .period a")[0],
        "November 16 – November 22, 2026"
    );
    assert_eq!(
        attrs(&p1, "a[rel=next]", "href"),
        vec!["/en/topics/security/page/2"]
    );
    assert_eq!(
        attrs(&p1, "link[rel=next]", "href"),
        vec!["/en/topics/security/page/2"]
    );
    assert!(p1.select(&sel("a[rel=prev]")).next().is_none());
    assert_eq!(
        attrs(&p1, "nav a[aria-current=page]", "href"),
        vec!["/en/topics/security"]
    );

    let p2 = app.page("/en/topics/security/page/2").await;
    assert_eq!(texts(&p2, ".archive-item").len(), 4);
    assert_eq!(
        attrs(&p2, "a[rel=prev]", "href"),
        vec!["/en/topics/security"]
    );
    assert_eq!(text(&p2, ".pagination span"), "Page 2 of 2");
    // Periods run newest first, each week once.
    let all: Vec<String> = [
        texts(&p1, ".archive-item .period a"),
        texts(&p2, ".archive-item .period a"),
    ]
    .concat();
    let mut dedup = all.clone();
    dedup.dedup();
    assert_eq!(all, dedup);

    assert_eq!(
        app.get("/en/topics/security/page/3").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/en/topics/security/page/zero").await.status,
        StatusCode::NOT_FOUND
    );
    let one = app.get("/en/topics/security/page/1").await;
    assert_eq!(one.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(one.headers["location"], "/en/topics/security");
    assert_eq!(
        app.get("/en/topics/sports").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn unknown_pages_get_a_friendly_404_in_their_language() {
    let app = seed_format_site().await;
    let en = app.get("/en/articles/no-such-article").await;
    assert_eq!(en.status, StatusCode::NOT_FOUND);
    let doc = en.doc();
    assert_accessible_skeleton(&doc);
    assert_eq!(text(&doc, "h1"), "Page not found");
    assert_eq!(attrs(&doc, "main a", "href"), vec!["/en/"]);

    let ru = app.get("/ru/nothing/here").await;
    assert_eq!(ru.status, StatusCode::NOT_FOUND);
    let doc = ru.doc();
    assert_eq!(text(&doc, "h1"), "Страница не найдена");
    assert_eq!(attrs(&doc, "html", "lang"), vec!["ru"]);
    assert_eq!(app.get("/de/").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn pages_revalidate_with_304_and_change_with_content() {
    let app = seed_format_site().await;
    let first = app.get(DRILLS).await;
    assert_eq!(first.status, StatusCode::OK);
    let etag = first.headers["etag"].to_str().expect("ascii").to_string();
    assert!(first.headers["cache-control"]
        .to_str()
        .expect("ascii")
        .starts_with("public, max-age="));
    assert_eq!(first.headers["content-type"], "text/html; charset=utf-8");

    let again = app.get_with(DRILLS, &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    let other = app
        .get_with(DRILLS, &[("if-none-match", "\"something-else\"")])
        .await;
    assert_eq!(other.status, StatusCode::OK);

    // New content: once the site sees the new generation, the old ETag no longer matches.
    const EAST: &str = "/en/topics/east";
    let topic_before = app.get(EAST).await.headers.get("etag").cloned();
    let report = app.archive.import(&[fixtures().join("jsonl")]).await;
    assert_eq!(report.created, 2);
    let generation = app.archive.store.generation().await.expect("generation");
    app.app.state.cache.observe_generation(generation);
    let topic_after = app.get(EAST).await;
    assert_eq!(topic_after.status, StatusCode::OK);
    assert_ne!(topic_after.headers.get("etag"), topic_before.as_ref());
    assert!(texts(&topic_after.doc(), "a")
        .contains(&"Union ties gas discount to customs integration".to_string()));
    let home_after = app.get("/en/").await;

    let css = app.get("/static/style.css").await;
    assert_eq!(
        css.headers["cache-control"],
        "public, max-age=31536000, immutable"
    );

    // The site icon: linked from every page, and /favicon.ico leads to it (issue 12).
    assert_eq!(
        attrs(&home_after.doc(), "link[rel=icon]", "href"),
        vec!["/favicon.svg"]
    );
    let icon = app.get("/favicon.svg").await;
    assert_eq!(icon.status, StatusCode::OK);
    assert_eq!(icon.headers["content-type"], "image/svg+xml");
    assert!(icon.body.starts_with("<svg"), "{}", icon.body);
    let ico = app.get("/favicon.ico").await;
    assert_eq!(ico.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(ico.headers["location"], "/favicon.svg");
}

/// A kept page is answered by the connection itself, before hyper and the router (issue 13
/// §7, throughput against nginx), with what the router answered when it rendered the page:
/// the same body, ETag and headers, security headers and a request id of its own; and a
/// kept body of [`trendwatch_web::zero_copy::MIN_BODY`] or more (here the sample archive's
/// Atom feed) leaves from the in-memory file, without a copy.
#[tokio::test]
async fn kept_pages_are_answered_the_same_before_hyper_and_sent_without_a_copy() {
    let archive = TestArchive::fresh().await;
    let sample = trendwatch::sample::extract(archive.dir.path()).expect("extract sample");
    assert!(archive.import(&[sample]).await.rejected.is_empty());
    let app = archive.serve().await;
    let article = attrs(&app.page("/en/").await, ".card-title a", "href").remove(0);
    for path in ["/en/atom.xml".to_string(), article] {
        let rendered = app.get(&path).await;
        assert_eq!(rendered.status, StatusCode::OK, "{path}");
        let hits = app.app.state.cache.counts().0;
        let sent = trendwatch_web::zero_copy::bytes_sent();
        let kept = app.get(&path).await;
        let sent = trendwatch_web::zero_copy::bytes_sent() - sent;
        assert_eq!(
            app.app.state.cache.counts().0,
            hits + 1,
            "{path}: answered from the cache"
        );
        if path.ends_with(".xml") {
            assert!(
                kept.body.len() >= trendwatch_web::zero_copy::MIN_BODY,
                "{path} is large enough to be sent from the file: {} bytes",
                kept.body.len()
            );
            assert!(
                sent >= kept.body.len() as u64,
                "{path}: the body was sent from the in-memory file ({sent} bytes)"
            );
        }
        assert_eq!(kept.status, StatusCode::OK);
        assert_eq!(kept.body, rendered.body);
        let names = |r: &Fetched| {
            let mut n: Vec<String> = r.headers.keys().map(|k| k.to_string()).collect();
            n.sort();
            n
        };
        assert_eq!(names(&kept), names(&rendered), "{path}");
        for same in [
            "etag",
            "cache-control",
            "content-type",
            "content-security-policy",
            "x-content-type-options",
            "referrer-policy",
            "x-frame-options",
        ] {
            assert_eq!(kept.headers[same], rendered.headers[same], "{path}: {same}");
        }
        assert_ne!(
            kept.headers["x-request-id"],
            rendered.headers["x-request-id"]
        );
        // A HEAD is answered from the cache too, with the length and no body.
        let head = app
            .client
            .head(format!("{}{}", app.app.url(), path))
            .send()
            .await
            .expect("HEAD");
        assert_eq!(head.status(), StatusCode::OK);
        assert_eq!(
            head.headers()["content-length"],
            rendered.body.len().to_string().as_str()
        );
        assert_eq!(head.bytes().await.expect("body").len(), 0);
    }
}

/// Issue 12 §3: pages are sent gzip- or Brotli-compressed when the client accepts it, each
/// coding with its own ETag, and a page is compressed once however often it is served.
#[tokio::test]
async fn pages_are_compressed_once_and_reused() {
    use std::io::Read;
    let app = seed_format_site().await;
    let raw = |path: &'static str, accept: &'static str| {
        let req = app
            .client
            .get(format!("{}{}", app.app.url(), path))
            .header("accept-encoding", accept);
        async move {
            let resp = req.send().await.expect("request");
            let headers = resp.headers().clone();
            (headers, resp.bytes().await.expect("body"))
        }
    };
    let (plain_headers, plain) = raw(DRILLS, "identity").await;
    assert!(plain_headers.get("content-encoding").is_none());
    assert_eq!(plain_headers["vary"], "Accept-Encoding");

    let compressions = app.app.state.cache.compressions();
    let (br_headers, br) = raw(DRILLS, "gzip, deflate, br").await;
    assert_eq!(br_headers["content-encoding"], "br");
    let mut unpacked = Vec::new();
    brotli::Decompressor::new(&br[..], 4096)
        .read_to_end(&mut unpacked)
        .expect("valid Brotli");
    assert_eq!(unpacked, plain, "Brotli body unpacks to the page");
    assert!(
        br.len() * 2 < plain.len(),
        "{} of {} bytes",
        br.len(),
        plain.len()
    );
    assert_ne!(
        br_headers["etag"], plain_headers["etag"],
        "each coding its own ETag"
    );

    let (gz_headers, gz) = raw(DRILLS, "gzip;q=1, br;q=0").await;
    assert_eq!(gz_headers["content-encoding"], "gzip");
    let mut unpacked = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut unpacked)
        .expect("valid gzip");
    assert_eq!(unpacked, plain, "gzip body unpacks to the page");
    assert_eq!(app.app.state.cache.compressions(), compressions + 2);

    // Served again: the kept bytes, not a new compression.
    for _ in 0..3 {
        let (h, again) = raw(DRILLS, "br").await;
        assert_eq!(h["content-encoding"], "br");
        assert_eq!(again, br);
    }
    assert_eq!(app.app.state.cache.compressions(), compressions + 2);

    // A revalidation of the Brotli form answers 304 with its own ETag.
    let etag = br_headers["etag"].to_str().expect("ascii");
    let resp = app
        .client
        .get(format!("{}{}", app.app.url(), DRILLS))
        .header("accept-encoding", "br")
        .header("if-none-match", etag)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::NOT_MODIFIED);

    // The stylesheet too; a client that accepts nothing gets the page as it is.
    let (css_headers, _) = raw("/static/style.css", "gzip").await;
    assert_eq!(css_headers["content-encoding"], "gzip");
    let (none_headers, none) = raw(DRILLS, "br;q=0, gzip;q=0").await;
    assert!(none_headers.get("content-encoding").is_none());
    assert_eq!(none, plain);
}

#[tokio::test]
async fn content_is_escaped_and_sanitised() {
    let archive = TestArchive::fresh().await;
    let file = archive.dir.path().join("hostile.jsonl");
    std::fs::write(
        &file,
        r#"{"title":"<script>alert(1)</script> & friends","topic":"west","date":"2026-11-02 10:00","body_html":"<p>Safe <img src=x onerror=alert(2)> text</p><script>alert(3)</script><p><a href=\"javascript:alert(4)\">link</a></p>","image_credit":"<b>credit</b>"}"#,
    )
    .expect("write");
    assert_eq!(archive.import(&[file]).await.created, 1);
    let app = archive.serve().await;
    let doc = app.page("/en/articles/script-alert-1-script-friends").await;
    assert_eq!(text(&doc, "h1"), "<script>alert(1)</script> & friends");
    // The only script element is the JSON-LD data block, in which no text can close it.
    assert_eq!(
        attrs(&doc, "script", "type"),
        vec!["application/ld+json".to_string()]
    );
    let ld = doc
        .select(&sel("script"))
        .next()
        .map(|e| e.text().collect::<String>())
        .unwrap_or_default();
    assert!(!ld.contains('<'), "{ld}");
    let ld: serde_json::Value = serde_json::from_str(&ld).expect("JSON-LD parses");
    assert_eq!(ld["headline"], "<script>alert(1)</script> & friends");
    assert_eq!(doc.select(&sel("[onerror]")).count(), 0);
    assert!(attrs(&doc, ".article-body a", "href").is_empty());
    assert_eq!(text(&doc, ".article-meta .credit dd"), "<b>credit</b>");
}

#[tokio::test]
async fn about_page_uses_configured_text() {
    let archive = TestArchive::fresh().await;
    std::fs::write(
        archive.dir.path().join("trendwatch.toml"),
        "[site]\nname_en = \"Arvenia Monitor\"\nabout_en = \"We watch <Arvenia>.\\n\\nSecond paragraph.\"\n",
    )
    .expect("write config");
    let config = trendwatch::Config::load(archive.dir.path()).expect("config");
    let archive = TestArchive { config, ..archive };
    let app = archive.serve().await;
    let doc = app.page("/en/about").await;
    assert_eq!(text(&doc, "h1"), "About");
    assert_eq!(
        texts(&doc, ".article-body p"),
        vec!["We watch <Arvenia>.", "Second paragraph."]
    );
    assert_eq!(text(&doc, ".site-name a"), "Arvenia Monitor");
    assert_eq!(text(&doc, "title"), "About — Arvenia Monitor");
    let ru = app.page("/ru/about").await;
    assert_eq!(text(&ru, "h1"), "О проекте");
}

/// Issue 12 §3: tags and authors on an article lead to their own paged listings.
#[tokio::test]
async fn tag_and_author_pages_list_their_commentaries() {
    let app = markdown_site().await;
    let doc = app
        .page("/en/articles/draft-media-law-would-require-licences-for-online-outlets")
        .await;
    let tag = attrs(&doc, ".tags a[rel=tag]", "href");
    assert_eq!(tag, vec!["/en/tags/media%20law"]);
    let author = attrs(&doc, ".article-meta .authors a[rel=author]", "href");
    assert_eq!(author, vec!["/en/authors/Mikael%20Sorn"]);

    let tagged = app.page(&tag[0]).await;
    assert_accessible_skeleton(&tagged);
    assert_eq!(text(&tagged, "h1"), "Tag: media law");
    assert_eq!(
        texts(&tagged, ".archive-item .card-title a"),
        vec!["Draft media law would require licences for online outlets"]
    );
    let by = app.page(&author[0]).await;
    assert_eq!(text(&by, "h1"), "Author: Mikael Sorn");
    assert!(texts(&by, ".archive-item .card-title a")
        .contains(&"Draft media law would require licences for online outlets".to_string()));
    // Unknown tags and authors, and page 1 by its suffix.
    assert_eq!(
        app.get("/en/tags/no-such-tag").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/en/authors/Nobody").await.status,
        StatusCode::NOT_FOUND
    );
    let one = app.get("/en/tags/media%20law/page/1").await;
    assert_eq!(one.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(one.headers["location"], "/en/tags/media%20law");
    assert_eq!(
        app.get("/en/tags/media%20law/page/2").await.status,
        StatusCode::NOT_FOUND
    );
}

/// Issue 12 §3: a topic archive of several years jumps to each year: the link leads to the
/// page holding the year's newest commentary, which carries the year's anchor.
#[tokio::test]
async fn topic_archives_jump_by_year() {
    // 400 generated commentaries: 80 weeks of five topics back from 2026-W47.
    let app = generated_site(400).await;
    let topic = attrs(&app.page("/en/").await, ".topic-row .topic-name a", "href").remove(0);
    let doc = app.page(&topic).await;
    assert_eq!(texts(&doc, ".year-jump a"), vec!["2026", "2025"]);
    for (year, href) in ["2026", "2025"]
        .iter()
        .zip(attrs(&doc, ".year-jump a", "href"))
    {
        let (path, anchor) = href.split_once('#').expect("anchor");
        assert_eq!(anchor, format!("y{year}"));
        let page = app.page(path).await;
        assert_eq!(
            attrs(&page, &format!("#{anchor}"), "class"),
            vec!["archive-item"],
            "{href}"
        );
        // The anchored item is of its year, and every item before it on the page is newer.
        let period = text(&page, &format!("#{anchor} .period a"));
        assert!(period.contains(year), "{period}");
        let items = texts(&page, ".archive-item .period a");
        let at = items.iter().position(|p| *p == period).expect("listed");
        assert!(
            items[..at]
                .iter()
                .all(|p| !p.ends_with(&format!(", {year}"))),
            "{items:?}"
        );
    }
    assert!(attrs(&doc, ".year-jump a", "href")[1].contains("/page/"));
}
