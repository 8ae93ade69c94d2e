//! Importing every supported format, good and malformed, through the library and through the
//! `trendwatch import` command itself.

mod common;

use common::*;
use std::process::Command;
use time::macros::datetime;
use trendwatch_core::{Language, Status};

#[tokio::test]
async fn the_real_seed_page_imports_with_every_element() {
    let Some(shared) = shared() else {
        eprintln!("SKIPPED: ../shared is absent (as on a user's machine), so the seed-page test did not run");
        return;
    };
    let archive = TestArchive::fresh().await;
    let report = archive.import(&[shared.join("seed")]).await;
    assert_eq!(
        (report.created, report.rejected.len()),
        (1, 0),
        "{:?}",
        report.rejected
    );
    let a = archive
        .store
        .article(
            Language::En,
            "minsk-aims-to-steer-clear-of-new-commitments-to-moscow",
        )
        .await
        .expect("read")
        .expect("seed article stored");
    let c = &a.content;
    assert_eq!(c.topic, "security");
    assert_eq!(
        c.title,
        "Minsk aims to steer clear of new commitments to Moscow"
    );
    assert_eq!(c.published_at, datetime!(2017-08-07 12:25));
    assert_eq!(c.image_credit.as_deref(), Some("www.mil.by"));
    assert_eq!(c.body_html.matches("<p>").count(), 4);
    assert_eq!(c.period.to_string(), "2017-W31");
    assert_eq!(c.status, Status::NotRated);
    assert_eq!(c.similar_titles.len(), 1);
    assert!(c.similar_titles[0].starts_with("Minsk attempts to make up for image losses"));

    let app = archive.serve().await;
    let doc = app
        .page("/en/articles/minsk-aims-to-steer-clear-of-new-commitments-to-moscow")
        .await;
    assert_eq!(text(&doc, ".topic-label a"), "Security");
    assert_eq!(text(&doc, ".article-meta time"), "August 07, 2017 12:25");
    assert_eq!(
        text(&doc, ".article-meta a[href='/en/weeks/2017-w31']"),
        "July 31 – August 6, 2017"
    );
    assert_eq!(text(&doc, ".status-line .marker-label"), "Not rated");
    assert_eq!(texts(&doc, ".article-body p").len(), 4);
    let week = app.page("/en/weeks/2017-w31").await;
    assert_eq!(
        text(&week, "h1"),
        "Weekly overview: July 31 – August 6, 2017"
    );
}

#[tokio::test]
async fn html_pages_in_two_markup_styles() {
    let archive = TestArchive::fresh().await;
    let report = archive.import(&[fixtures().join("html")]).await;
    assert_eq!(
        (report.created, report.rejected.len()),
        (2, 0),
        "{:?}",
        report.rejected
    );

    let wp = archive
        .store
        .article(Language::En, "visa-talks-resume-at-expert-level")
        .await
        .expect("read")
        .expect("WordPress-style page");
    assert_eq!(wp.content.topic, "west");
    assert_eq!(wp.content.published_at, datetime!(2026-09-21 11:30));
    assert_eq!(wp.content.image_credit.as_deref(), Some("alliance.example"));
    assert_eq!(wp.content.status, Status::Improved);
    assert_eq!(wp.content.authors, vec!["Lena Korvath"]);
    assert_eq!(
        wp.content.source_url.as_deref(),
        Some("https://monitor.arvenia.example/visa-talks-resume/")
    );
    assert_eq!(wp.content.body_html.matches("<p>").count(), 2);
    assert!(!wp.content.body_html.contains("script"));
    assert!(!wp.content.body_html.contains("Not part of the body"));

    let ru = archive
        .store
        .article(
            Language::Ru,
            "profsoyuzy-dobilis-ustupki-po-pensionnoy-reforme",
        )
        .await
        .expect("read")
        .expect("monitor-style page");
    assert_eq!(ru.content.topic, "society");
    assert_eq!(ru.content.published_at, datetime!(2026-10-12 10:30));
    assert_eq!(
        ru.content.image_credit.as_deref(),
        Some("unions.arvenia.example")
    );
    assert_eq!(
        ru.content.body_html.matches("<p>").count(),
        2,
        "the credit line is not body text"
    );
}

#[tokio::test]
async fn markdown_folders_with_yaml_and_toml_front_matter() {
    let archive = TestArchive::fresh().await;
    let report = archive.import(&[fixtures().join("markdown")]).await;
    assert_eq!(
        (report.created, report.rejected.len()),
        (2, 0),
        "{:?}",
        report.rejected
    );
    let en = archive
        .store
        .article(
            Language::En,
            "draft-media-law-would-require-licences-for-online-outlets",
        )
        .await
        .expect("read")
        .expect("YAML article");
    assert_eq!(en.content.topic, "society", "topic from the section folder");
    assert_eq!(
        en.content.rationale,
        "The bill extends state licensing to websites."
    );
    assert!(en.content.body_html.contains("<strong>licence</strong>"));
    let translations = archive
        .store
        .translations("media-bill", en.id)
        .await
        .expect("read");
    assert_eq!(translations.len(), 1);
    assert_eq!(
        translations[0].lang,
        Language::Ru,
        "language from the .ru.md suffix"
    );
}

#[tokio::test]
async fn json_lines() {
    let archive = TestArchive::fresh().await;
    let report = archive.import(&[fixtures().join("jsonl")]).await;
    assert_eq!(
        (report.created, report.rejected.len()),
        (2, 0),
        "{:?}",
        report.rejected
    );
    let a = archive
        .store
        .article(
            Language::En,
            "union-ties-gas-discount-to-customs-integration",
        )
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(a.content.key, "east-2026-w41");
    assert_eq!(a.content.topic, "east");
    assert!(!a.content.body_html.contains("onclick"));
}

#[tokio::test]
async fn reimport_updates_instead_of_duplicating() {
    let archive = TestArchive::fresh().await;
    let dir = archive.dir.path().join("src");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let line = |title: &str| {
        format!(
            r#"{{"id":"w-1","title":"{title}","topic":"west","date":"2026-11-02 10:00","body":"Text."}}"#
        )
    };
    std::fs::write(dir.join("a.jsonl"), line("First title")).expect("write");
    let first = archive.import(std::slice::from_ref(&dir)).await;
    assert_eq!((first.created, first.updated), (1, 0));
    std::fs::write(dir.join("a.jsonl"), line("Corrected title")).expect("write");
    let second = archive.import(std::slice::from_ref(&dir)).await;
    assert_eq!(
        (second.created, second.updated, second.rejected.len()),
        (0, 1, 0)
    );
    assert_eq!(
        archive.store.count_articles().await.expect("count"),
        vec![(Language::En, 1)]
    );
    let a = archive
        .store
        .article(Language::En, "corrected-title")
        .await
        .expect("read");
    assert!(a.is_some());
    assert!(archive
        .store
        .article(Language::En, "first-title")
        .await
        .expect("read")
        .is_none());
}

#[tokio::test]
async fn malformed_items_are_reported_and_good_ones_kept() {
    let archive = TestArchive::fresh().await;
    let report = archive
        .import(&[fixtures().join("seed-format"), fixtures().join("malformed")])
        .await;
    let lines: Vec<String> = report.rejected.iter().map(|r| r.to_string()).collect();
    let find = |file: &str| {
        lines
            .iter()
            .find(|l| l.contains(file))
            .unwrap_or_else(|| panic!("no rejection for {file} in {lines:#?}"))
            .clone()
    };
    assert!(find("truncated.txt").contains("truncated.txt:6: truncated"));
    assert!(find("invalid-utf8.txt").contains("invalid-utf8.txt:3: invalid UTF-8"));
    assert!(find("missing-date.txt").contains("missing-date.txt:6: missing date"));
    let unknown = find("unknown-topic.txt");
    assert!(
        unknown.contains("field `topic`: unknown topic \"Sports\"") && unknown.contains("security"),
        "{unknown}"
    );
    let dup = find("duplicate-week.txt");
    assert!(
        dup.contains("duplicate week: security 2026-W42 (en)"),
        "{dup}"
    );
    assert!(
        dup.contains("Arvenia hosts Iron Ridge drills") && dup.contains("A second commentary"),
        "{dup}"
    );
    assert!(
        dup.contains("iron-ridge-drills.txt"),
        "names the first file: {dup}"
    );
    assert!(find("partly-broken.jsonl").contains("partly-broken.jsonl:2: truncated JSON"));
    assert!(find("invalid-utf8.jsonl").contains("invalid-utf8.jsonl:1: invalid UTF-8"));
    assert!(
        find("truncated.html").contains("truncated.html: truncated: the page opens <html>"),
        "{lines:#?}"
    );
    assert!(find("unknown-topic.md")
        .contains("unknown-topic.md:1: field `topic`: unknown topic \"sports\""));
    assert!(find("missing-date.md").contains("missing-date.md:1: field `date`: missing"));
    assert!(find("truncated.md").contains("truncated.md:1: truncated: front matter"));
    assert_eq!(report.rejected.len(), 11, "{lines:#?}");
    // The good items were kept: two seed-format pages and the good JSON lines.
    assert_eq!(report.created, 4);
    assert!(archive
        .store
        .article(Language::En, "a-good-line-after-a-bad-one")
        .await
        .expect("read")
        .is_some());
    assert!(archive
        .store
        .article(Language::En, "a-good-line")
        .await
        .expect("read")
        .is_some());
    assert!(archive
        .store
        .article(
            Language::En,
            "a-second-commentary-for-the-week-of-the-drills"
        )
        .await
        .expect("read")
        .is_none());
}

#[test]
fn the_import_command_exits_non_zero_when_anything_was_rejected() {
    let data = tempfile::tempdir().expect("tempdir");
    let bin = env!("CARGO_BIN_EXE_trendwatch");
    let out = Command::new(bin)
        .args(["import", "--no-progress", "--data"])
        .arg(data.path())
        .arg(fixtures().join("seed-format"))
        .arg(fixtures().join("malformed").join("missing-date.txt"))
        .output()
        .expect("run trendwatch import");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stderr.contains("rejected") && stderr.contains("missing-date.txt:6: missing date"),
        "{stderr}"
    );
    assert!(
        stdout.contains("2 articles created, 0 updated, 1 rejected"),
        "{stdout}"
    );

    let ok = Command::new(bin)
        .args(["import", "--no-progress", "--data"])
        .arg(data.path())
        .arg(fixtures().join("seed-format"))
        .output()
        .expect("run trendwatch import");
    assert_eq!(ok.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&ok.stdout).contains("0 articles created, 2 updated, 0 rejected")
    );

    let missing = Command::new(bin)
        .args(["import", "--data"])
        .arg(data.path())
        .arg(data.path().join("does-not-exist"))
        .output()
        .expect("run trendwatch import");
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no such file or folder"));
}

#[test]
fn help_explains_every_command() {
    let out = Command::new(env!("CARGO_BIN_EXE_trendwatch"))
        .arg("--help")
        .output()
        .expect("run");
    let help = String::from_utf8_lossy(&out.stdout);
    for cmd in [
        "serve",
        "import",
        "generate",
        "demo",
        "rebuild-similar",
        "--data",
    ] {
        assert!(help.contains(cmd), "--help lacks {cmd}: {help}");
    }
}
