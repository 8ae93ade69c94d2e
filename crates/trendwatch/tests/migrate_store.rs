//! `trendwatch migrate-store` (issue 14 §1): a SQLite archive with every kind of thing the
//! store holds (articles, storylines, similar lists, forecasts, an account with a session
//! and an API token, a draft with revisions and a comment, subscribers and a digest send)
//! copied into PostgreSQL; the copy serves the same site, keeps the newsroom and the readers,
//! is refused a second time without --replace, and a failed copy leaves nothing behind.
//! Skipped, saying so, without `TRENDWATCH_TEST_DATABASE_URL`.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::path::Path;
use time::macros::datetime;
use trendwatch::migrate_store::migrate;
use trendwatch_core::accounts::{NewUser, Role};
use trendwatch_core::newsletter::{SubscribeOutcome, SubscriptionRequest};
use trendwatch_core::newsroom::{DeskContent, DeskFilter};
use trendwatch_core::Language;
use trendwatch_postgres::testing::ThrowawayDatabase;
use trendwatch_postgres::{PgOptions, PgStore};
use trendwatch_store::Store;

/// Every file under `root` with its bytes.
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .expect("inside")
                    .display()
                    .to_string();
                out.insert(rel, std::fs::read(&path).expect("read"));
            }
        }
    }
    out
}

async fn export(
    store: std::sync::Arc<dyn Store>,
    archive: &TestArchive,
) -> BTreeMap<String, Vec<u8>> {
    let out = tempfile::tempdir().expect("temp dir");
    let target = out.path().join("site");
    trendwatch::export::export(store, &archive.config, &target, None)
        .await
        .expect("export");
    tree(&target)
}

/// A SQLite archive holding a bit of everything.
async fn full_archive() -> TestArchive {
    let archive = TestArchive::new();
    let report = archive
        .import(&[fixtures().join("markdown"), fixtures().join("jsonl")])
        .await;
    assert!(report.rejected.is_empty(), "{report}");
    let store = &archive.store;
    let at = datetime!(2026-11-30 09:00:00.123456 UTC);
    let editor = store
        .create_user(&NewUser {
            email: "editor@example.org".into(),
            name: "E. Ditor".into(),
            role: Role::Editor,
            password_hash: "$argon2id$stand-in".into(),
            created_at: at,
        })
        .await
        .expect("account");
    store
        .create_session(&[7; 32], editor, at)
        .await
        .expect("session");
    store
        .create_api_token(editor, "laptop", &[9; 32], at)
        .await
        .expect("token");
    let mut content = DeskContent::empty(
        Language::En,
        "security",
        "2026-W48".parse().expect("period"),
        "E. Ditor",
    );
    content.title = "Border drills, a draft".into();
    let draft = store
        .create_desk_article(&content, editor, None, at)
        .await
        .expect("draft");
    content.body_markdown = "A second version.\n\nWith a tab\there and a backslash \\.".into();
    store
        .save_desk_content(draft, 1, &content, editor, "second", at)
        .await
        .expect("revision");
    store
        .add_desk_comment(draft, editor, "Needs a source.", at)
        .await
        .expect("comment");
    for email in ["a@example.org", "b@example.org"] {
        let outcome = store
            .subscribe(
                &SubscriptionRequest {
                    email: email.into(),
                    language: Language::En,
                    topics: vec!["security".into()],
                },
                at,
            )
            .await
            .expect("subscribe");
        let id = match outcome {
            SubscribeOutcome::NeedsConfirmation(id) | SubscribeOutcome::AlreadyConfirmed(id) => id,
        };
        store.confirm_subscriber(id, at).await.expect("confirm");
    }
    store
        .start_digest_send(
            "2026-W47".parse().expect("period"),
            Language::En,
            Some(editor),
            at,
        )
        .await
        .expect("digest send");
    archive
}

#[tokio::test]
async fn a_whole_sqlite_archive_moves_to_postgresql_and_serves_the_same_site() {
    let Some(db) = ThrowawayDatabase::create("migrate-store").await else {
        return;
    };
    let archive = full_archive().await;
    let report = migrate(archive.dir.path(), &db.url, false, 4)
        .await
        .expect("the copy succeeds and checks out");
    let rows = |t: &str| report.tables.iter().find(|(n, _)| n == t).map(|(_, r)| *r);
    assert_eq!(rows("desk_revisions"), Some(2));
    assert_eq!(rows("subscribers"), Some(2));
    assert_eq!(rows("digest_recipients"), Some(2));
    // A small archive is compared whole.
    let published = archive
        .store
        .sitemap_articles()
        .await
        .expect("articles")
        .len();
    assert_eq!(report.sampled, published, "{report}");

    let target: std::sync::Arc<dyn Store> = std::sync::Arc::new(
        PgStore::connect(&PgOptions::new(db.url.clone()))
            .await
            .expect("connect"),
    );
    // The public site, byte for byte.
    assert_eq!(
        export(archive.store.clone(), &archive).await,
        export(target.clone(), &archive).await
    );
    // The newsroom and the readers.
    let drafts = target
        .desk_articles(&DeskFilter::default())
        .await
        .expect("drafts");
    assert_eq!(drafts.len(), 1);
    let draft = target
        .desk_article(drafts[0].id)
        .await
        .expect("draft")
        .expect("exists");
    assert_eq!(draft.revision, 2);
    assert!(draft
        .content
        .body_markdown
        .contains("a tab\there and a backslash \\."));
    assert_eq!(
        target
            .desk_comments(draft.id)
            .await
            .expect("comments")
            .len(),
        1
    );
    let session = target
        .session(&[7; 32])
        .await
        .expect("session")
        .expect("kept");
    assert_eq!(session.user.email, "editor@example.org");
    assert!(target
        .api_token_user(&[9; 32], datetime!(2026-11-30 10:00 UTC))
        .await
        .expect("token")
        .is_some());
    assert_eq!(
        target
            .subscriber_counts(Language::En)
            .await
            .expect("counts"),
        (0, 2, 0, 0)
    );
    // New rows continue after the copied ids.
    let next = target
        .create_desk_article(
            &draft.content,
            draft.author_id,
            None,
            datetime!(2026-11-30 11:00 UTC),
        )
        .await
        .expect("a new draft");
    assert!(next > draft.id);

    // A second run is refused; with --replace it copies again.
    let again = migrate(archive.dir.path(), &db.url, false, 4)
        .await
        .expect_err("refused");
    assert!(format!("{again:#}").contains("--replace"), "{again:#}");
    migrate(archive.dir.path(), &db.url, true, 4)
        .await
        .expect("replaced");
    assert_eq!(
        target
            .desk_articles(&DeskFilter::default())
            .await
            .expect("drafts")
            .len(),
        1
    );
}

/// A copy that fails half-way (a value PostgreSQL cannot take) names the table, column and
/// row, and leaves the database as it was: empty, ready for the next run.
#[tokio::test]
async fn a_failed_copy_leaves_nothing_behind() {
    let Some(db) = ThrowawayDatabase::create("migrate-store failure").await else {
        return;
    };
    let archive = full_archive().await;
    let path = archive.dir.path().join(trendwatch_sqlite::DB_FILE);
    let conn = rusqlite::Connection::open(&path).expect("open");
    conn.execute("UPDATE related SET ids = '[\"not a number\"]' WHERE rowid = (SELECT MAX(rowid) FROM related)", [])
        .expect("spoil one list");
    drop(conn);
    let e = migrate(archive.dir.path(), &db.url, false, 4)
        .await
        .expect_err("the copy fails");
    let e = format!("{e:#}");
    assert!(e.contains("related.ids of row"), "{e}");
    let target = PgStore::connect(&PgOptions::new(db.url.clone()))
        .await
        .expect("connect");
    assert_eq!(target.row_count("articles").await.expect("count"), 0);
    assert_eq!(target.row_count("users").await.expect("count"), 0);
}
