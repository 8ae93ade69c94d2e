//! What only the SQLite backend can show: durability settings, migrations, and the rows an
//! article leaves in its tables. What every backend guarantees is in `store_suite.rs`.

use rusqlite::Connection;
use time::macros::datetime;
use trendwatch_core::{ArticleDraft, Language, Topics};
use trendwatch_sqlite::{SqliteStore, DB_FILE};
use trendwatch_store::{Store, WriteError, WriteOutcome};

fn article(
    key: &str,
    title: &str,
    day: u8,
    lang: &str,
    group: Option<&str>,
) -> trendwatch_core::article::NewArticle {
    ArticleDraft {
        key: Some(key.into()),
        lang: Some(lang.parse().expect("lang")),
        topic: Some("security".into()),
        title: title.into(),
        body_html: "<p>Body text.</p>".into(),
        published_at: Some(datetime!(2026-10-19 11:00).replace_day(day).expect("day")),
        authors: vec!["A. Author".into(), "B. Author".into()],
        tags: vec!["drills".into()],
        similar_titles: vec!["Some older title".into()],
        translation_group: group.map(str::to_string),
        ..ArticleDraft::default()
    }
    .prepare(&Topics::default())
    .expect("valid draft")
}

fn count(dir: &std::path::Path, sql: &str) -> i64 {
    let conn = Connection::open(dir.join(DB_FILE)).expect("open");
    conn.query_row(sql, [], |r| r.get(0)).expect("query")
}

#[tokio::test]
async fn opens_with_wal_foreign_keys_and_full_sync_and_migrates_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).expect("open");
    assert_eq!(
        store.durability_settings().await.expect("pragmas"),
        ("wal".to_string(), 1, 2)
    );
    drop(store);
    // Reopening applies nothing twice.
    let _again = SqliteStore::open(dir.path()).expect("reopen");
    assert_eq!(count(dir.path(), "PRAGMA user_version"), 26);
}

#[tokio::test]
async fn a_rejected_article_leaves_nothing_behind_and_its_batch_survives() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).expect("open");
    let batch = vec![
        article("a", "First commentary", 19, "en", Some("g1")),
        // Same topic, same week (published the next day), same language: rejected.
        article("b", "Second commentary", 20, "en", None),
        article("c", "Russian version", 19, "ru", Some("g1")),
        // Same translation group and language as "a": rejected.
        article("d", "Another English version", 26, "en", Some("g1")),
    ];
    let results = store.write_articles(&batch).await.expect("batch runs");
    assert!(matches!(results[0], Ok(WriteOutcome::Created(_))));
    match &results[1] {
        Err(WriteError::DuplicateWeek {
            existing_title,
            title,
            existing_key,
            ..
        }) => {
            assert_eq!(
                (
                    existing_title.as_str(),
                    title.as_str(),
                    existing_key.as_str()
                ),
                ("First commentary", "Second commentary", "a")
            );
        }
        other => panic!("expected a duplicate week, got {other:?}"),
    }
    assert!(matches!(results[2], Ok(WriteOutcome::Created(_))));
    assert!(
        matches!(&results[3], Err(WriteError::DuplicateTranslation { existing_key, .. }) if existing_key == "a")
    );
    // Only the two stored articles have child rows.
    assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM articles"), 2);
    assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM article_authors"), 4);
    assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM article_tags"), 2);
    assert_eq!(
        count(dir.path(), "SELECT COUNT(*) FROM article_listed_similar"),
        2
    );
    assert_eq!(
        store.count_articles().await.expect("count"),
        vec![(Language::En, 1), (Language::Ru, 1)]
    );
}

/// A batch is first written without a savepoint per article; an article that fails after
/// its own row was written (here a forecast the database refuses, past the checks made
/// before writing) must still leave nothing behind, and the rest of its batch is kept.
#[tokio::test]
async fn an_article_failing_midway_leaves_nothing_behind_and_its_batch_survives() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).expect("open");
    let mut broken = article("b", "Second commentary", 19, "ru", None);
    broken.forecasts.push(trendwatch_core::forecast::Forecast {
        id: 0,
        statement: "Something happens".into(),
        probability: 1.5,
        resolve_by: time::macros::date!(2027 - 01 - 01),
        outcome: None,
        made_in: None,
    });
    let batch = vec![
        article("a", "First commentary", 19, "en", None),
        broken,
        article("c", "Third commentary", 26, "en", None),
    ];
    let results = store.write_articles(&batch).await.expect("batch runs");
    assert!(matches!(results[0], Ok(WriteOutcome::Created(_))));
    assert!(
        matches!(&results[1], Err(WriteError::Backend(m)) if m.contains("CHECK")),
        "{:?}",
        results[1]
    );
    assert!(matches!(results[2], Ok(WriteOutcome::Created(_))));
    assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM articles"), 2);
    assert_eq!(
        count(dir.path(), "SELECT COUNT(*) FROM articles WHERE key = 'b'"),
        0
    );
    assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM forecasts"), 0);
    assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM article_authors"), 4);
    assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM article_tags"), 2);
}

#[tokio::test]
async fn rewriting_replaces_children_and_bumps_the_generation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).expect("open");
    let g0 = store.generation().await.expect("generation");
    store
        .write_articles(&[article("a", "Title", 19, "en", None)])
        .await
        .expect("write");
    let mut changed = article("a", "Title", 19, "en", None);
    changed.authors = vec!["Only Author".into()];
    let r = store.write_articles(&[changed]).await.expect("write");
    assert!(matches!(r[0], Ok(WriteOutcome::Updated(_))));
    assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM article_authors"), 1);
    assert!(store.generation().await.expect("generation") >= g0 + 2);
}
