//! The SQLite schema, as numbered migrations embedded in the binary and applied at start.
//!
//! The applied version is kept in SQLite's own `PRAGMA user_version`; each step runs in one
//! transaction together with the version bump and a row in `schema_migrations` holding the
//! step's SHA-256. At every start, before anything else:
//! - each applied step's checksum must match the embedded one (a migration edited after it
//!   shipped would leave databases that differ from new ones);
//! - the database's schema (tables, indexes, triggers, views) must be exactly what its
//!   applied steps produce, found by replaying them on an in-memory database. A dropped
//!   unique index (`one_weekly_per_topic_week_lang`) would otherwise let duplicate weeks in
//!   silently;
//! - before pending steps run on an existing database, it is copied aside with
//!   `VACUUM INTO` (`trendwatch.sqlite3.v7-backup` before going past version 7).
//!
//! Thirty lines of checks, no migration library: the libraries that keep checksums (refinery,
//! sqlx) do not compare the resulting schema, which is what caught the dropped index.

use rusqlite::Connection;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

/// The migrations in order; the version after applying `MIGRATIONS[i]` is `i + 1`.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_articles",
        include_str!("../migrations/0001_articles.sql"),
    ),
    (
        "0002_storylines",
        include_str!("../migrations/0002_storylines.sql"),
    ),
    (
        "0003_forecasts",
        include_str!("../migrations/0003_forecasts.sql"),
    ),
    (
        "0004_storyline_stats",
        include_str!("../migrations/0004_storyline_stats.sql"),
    ),
    (
        "0005_fewer_indexes",
        include_str!("../migrations/0005_fewer_indexes.sql"),
    ),
    (
        "0006_search_and_related_overrides",
        include_str!("../migrations/0006_search_and_related_overrides.sql"),
    ),
    (
        "0007_related_as_lists",
        include_str!("../migrations/0007_related_as_lists.sql"),
    ),
    (
        "0008_derived_generation",
        include_str!("../migrations/0008_derived_generation.sql"),
    ),
    (
        "0009_duplicates",
        include_str!("../migrations/0009_duplicates.sql"),
    ),
    (
        "0010_image_alt",
        include_str!("../migrations/0010_image_alt.sql"),
    ),
    (
        "0011_storyline_titles",
        include_str!("../migrations/0011_storyline_titles.sql"),
    ),
    (
        "0012_accounts",
        include_str!("../migrations/0012_accounts.sql"),
    ),
    (
        "0013_invitations",
        include_str!("../migrations/0013_invitations.sql"),
    ),
    (
        "0014_audit_log",
        include_str!("../migrations/0014_audit_log.sql"),
    ),
    (
        "0015_newsroom",
        include_str!("../migrations/0015_newsroom.sql"),
    ),
    (
        "0016_api_tokens",
        include_str!("../migrations/0016_api_tokens.sql"),
    ),
    ("0017_totp", include_str!("../migrations/0017_totp.sql")),
    (
        "0018_corrections",
        include_str!("../migrations/0018_corrections.sql"),
    ),
    (
        "0019_newsletter",
        include_str!("../migrations/0019_newsletter.sql"),
    ),
    (
        "0020_password_resets",
        include_str!("../migrations/0020_password_resets.sql"),
    ),
    (
        "0021_legacy_paths",
        include_str!("../migrations/0021_legacy_paths.sql"),
    ),
    (
        "0022_tag_and_author_indexes",
        include_str!("../migrations/0022_tag_and_author_indexes.sql"),
    ),
    (
        "0023_threading_generation",
        include_str!("../migrations/0023_threading_generation.sql"),
    ),
    (
        "0024_text_changes",
        include_str!("../migrations/0024_text_changes.sql"),
    ),
    (
        "0025_throttles",
        include_str!("../migrations/0025_throttles.sql"),
    ),
    (
        "0026_shown_storylines",
        include_str!("../migrations/0026_shown_storylines.sql"),
    ),
];

/// Applies every migration newer than the database's version and returns the names of those
/// applied, after checking the applied ones (see the module comment). `db_path` is where the
/// database lives, for the backup. Refuses to open a database written by a newer Trendwatch,
/// rather than misreading it.
pub fn apply(conn: &mut Connection, db_path: &Path) -> Result<Vec<&'static str>, String> {
    apply_up_to(conn, db_path, MIGRATIONS.len())
}

fn checksum(sql: &str) -> String {
    Sha256::digest(sql.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Tables, indexes, triggers and views by name, with their SQL (SQLite's own objects and
/// the bookkeeping table left out).
fn schema(conn: &Connection) -> Result<BTreeMap<String, (String, String)>, String> {
    let mut stmt = conn
        .prepare(
            "SELECT name, type, COALESCE(sql, '') FROM sqlite_master \
             WHERE name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations'",
        )
        .map_err(|e| format!("reading the schema: {e}"))?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
        .and_then(|rows| rows.collect::<Result<BTreeMap<_, _>, _>>())
        .map_err(|e| format!("reading the schema: {e}"));
    rows
}

const BOOKKEEPING: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (\
     version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL)";

/// [`apply`], stopping at version `target` (tests build old databases with it).
pub(crate) fn apply_up_to(
    conn: &mut Connection,
    db_path: &Path,
    target: usize,
) -> Result<Vec<&'static str>, String> {
    let current: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| format!("reading schema version: {e}"))?;
    let latest = MIGRATIONS.len() as i64;
    if current > latest {
        return Err(format!(
            "the database has schema version {current}, newer than this program's {latest}: \
             upgrade Trendwatch"
        ));
    }
    let current = current as usize;
    conn.execute_batch(BOOKKEEPING)
        .map_err(|e| format!("creating schema_migrations: {e}"))?;
    verify(conn, current)?;
    if current > 0 && current < target {
        backup(conn, db_path, current)?;
    }
    let mut applied = Vec::new();
    for (i, (name, sql)) in MIGRATIONS.iter().enumerate().take(target).skip(current) {
        let tx = conn
            .transaction()
            .map_err(|e| format!("migration {name}: {e}"))?;
        tx.execute_batch(sql)
            .and_then(|_| tx.pragma_update(None, "user_version", i as i64 + 1))
            .and_then(|_| {
                tx.execute(
                    "INSERT OR REPLACE INTO schema_migrations (version, name, checksum) \
                     VALUES (?1, ?2, ?3)",
                    rusqlite::params![i as i64 + 1, name, checksum(sql)],
                )
            })
            .and_then(|_| tx.commit())
            .map_err(|e| format!("migration {name}: {e}"))?;
        tracing::info!(migration = name, "applied");
        applied.push(*name);
    }
    Ok(applied)
}

/// Checks the applied steps' checksums and the schema they should have produced.
fn verify(conn: &Connection, current: usize) -> Result<(), String> {
    for (i, (name, sql)) in MIGRATIONS.iter().enumerate().take(current) {
        let version = i as i64 + 1;
        let stored: Option<String> = conn
            .query_row(
                "SELECT checksum FROM schema_migrations WHERE version = ?1",
                [version],
                |r| r.get(0),
            )
            .map_or_else(
                |e| match e {
                    rusqlite::Error::QueryReturnedNoRows => Ok(None),
                    e => Err(format!("reading schema_migrations: {e}")),
                },
                |c| Ok(Some(c)),
            )?;
        match stored {
            Some(c) if c != checksum(sql) => {
                return Err(format!(
                    "migration {name} differs from the one applied to this database \
                     (checksum {c}, this program's {}): it was edited after it shipped; \
                     refusing to start",
                    checksum(sql)
                ))
            }
            Some(_) => {}
            // A database from before checksums were kept: its steps are recorded now, and
            // the schema comparison below vouches for them.
            None => {
                conn.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES (?1, ?2, ?3)",
                    rusqlite::params![version, name, checksum(sql)],
                )
                .map_err(|e| format!("recording migration {name}: {e}"))?;
            }
        }
    }
    if current == 0 {
        return Ok(());
    }
    let reference = Connection::open_in_memory().map_err(|e| format!("in-memory database: {e}"))?;
    for (name, sql) in MIGRATIONS.iter().take(current) {
        reference
            .execute_batch(sql)
            .map_err(|e| format!("replaying migration {name}: {e}"))?;
    }
    let expected = schema(&reference)?;
    let _ = reference.close();
    let actual = schema(conn)?;
    let mut problems = Vec::new();
    for (name, (kind, sql)) in &expected {
        match actual.get(name) {
            None => problems.push(format!("{kind} {name} is missing")),
            Some((_, found)) if found != sql => problems.push(format!("{kind} {name} was altered")),
            Some(_) => {}
        }
    }
    for (name, (kind, _)) in &actual {
        if !expected.contains_key(name) {
            problems.push(format!(
                "{kind} {name} is not part of schema version {current}"
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the database schema differs from what its {current} migrations produce: {}. \
             Refusing to start: restore a backup, or recreate the object as the migration \
             defines it (crates/trendwatch-sqlite/migrations/)",
            problems.join("; ")
        ))
    }
}

/// Copies the database aside before it is migrated past `version`.
fn backup(conn: &Connection, db_path: &Path, version: usize) -> Result<(), String> {
    let file = db_path.with_file_name(format!(
        "{}.v{version}-backup",
        db_path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("trendwatch.sqlite3")
    ));
    // VACUUM INTO refuses to overwrite; an older copy of the same version is replaced.
    let _ = std::fs::remove_file(&file);
    conn.execute("VACUUM INTO ?1", [file.to_string_lossy()])
        .map_err(|e| format!("backing up to {} before migrating: {e}", file.display()))?;
    tracing::info!(backup = %file.display(), "database copied before migrating");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(dir: &Path) -> (Connection, std::path::PathBuf) {
        let path = dir.join("t.sqlite3");
        (Connection::open(&path).expect("open"), path)
    }

    #[test]
    fn h4_migration_schema_mismatch_refuses_start() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (mut conn, path) = open(dir.path());
        apply(&mut conn, &path).expect("fresh database");
        assert!(apply(&mut conn, &path).expect("reopen").is_empty());
        conn.execute_batch("DROP INDEX one_weekly_per_topic_week_lang")
            .expect("drop");
        let e = apply(&mut conn, &path).expect_err("dropped index noticed");
        assert!(
            e.contains("one_weekly_per_topic_week_lang is missing"),
            "{e}"
        );
    }

    #[test]
    fn h4_migration_checksum_mismatch_refuses_start() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (mut conn, path) = open(dir.path());
        apply(&mut conn, &path).expect("fresh database");
        conn.execute(
            "UPDATE schema_migrations SET checksum = 'edited' WHERE version = 2",
            [],
        )
        .expect("tamper");
        let e = apply(&mut conn, &path).expect_err("checksum noticed");
        assert!(e.contains("0002_storylines") && e.contains("edited"), "{e}");
    }

    /// Migration 0022 copies each tag's and author's article language and dates into their
    /// rows, so an archive written before it lists its tags and authors as before.
    #[test]
    fn tags_and_authors_of_an_older_archive_get_their_articles_dates() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (mut conn, path) = open(dir.path());
        apply_up_to(&mut conn, &path, 21).expect("version 21");
        conn.execute_batch(
            "INSERT INTO articles (id, key, lang, kind, topic, title, lead, body_html, body_text, \
               published_at, period_key, status, alert, slug) VALUES \
               (7, 'k', 'ru', 'weekly', 'society', 'T', '', '', '', '2026-03-04 10:00:00', 202610, \
                'unchanged', 'none', 't');
             INSERT INTO article_tags (article_id, tag) VALUES (7, 'budget');
             INSERT INTO article_authors (article_id, position, name) VALUES (7, 0, 'A. Analyst');",
        )
        .expect("an article of version 21");
        apply(&mut conn, &path).expect("upgrade");
        for table in ["article_tags", "article_authors"] {
            let copied: (String, i64, String) = conn
                .query_row(
                    &format!("SELECT lang, period_key, published_at FROM {table}"),
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .expect("row");
            assert_eq!(
                copied,
                ("ru".to_string(), 202610, "2026-03-04 10:00:00".to_string()),
                "{table}"
            );
        }
    }

    #[test]
    fn h4_backup_before_migrating() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (mut conn, path) = open(dir.path());
        apply_up_to(&mut conn, &path, 7).expect("version 7");
        // No backup for a new database.
        assert!(!dir.path().join("t.sqlite3.v0-backup").exists());
        let applied = apply(&mut conn, &path).expect("upgrade");
        assert_eq!(
            applied,
            vec![
                "0008_derived_generation",
                "0009_duplicates",
                "0010_image_alt",
                "0011_storyline_titles",
                "0012_accounts",
                "0013_invitations",
                "0014_audit_log",
                "0015_newsroom",
                "0016_api_tokens",
                "0017_totp",
                "0018_corrections",
                "0019_newsletter",
                "0020_password_resets",
                "0021_legacy_paths",
                "0022_tag_and_author_indexes",
                "0023_threading_generation",
                "0024_text_changes",
                "0025_throttles",
                "0026_shown_storylines"
            ]
        );
        let copy = Connection::open(dir.path().join("t.sqlite3.v7-backup")).expect("backup");
        let version: i64 = copy
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        assert_eq!(version, 7);
    }
}
