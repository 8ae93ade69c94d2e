//! The SQLite schema, as numbered migrations embedded in the binary and applied at start.
//!
//! The applied version is kept in SQLite's own `PRAGMA user_version`, so this needs no
//! migration library: each step runs in one transaction together with the version bump.

use rusqlite::Connection;

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
];

/// Applies every migration newer than the database's version and returns the names of those
/// applied. Refuses to open a database written by a newer Trendwatch, rather than misreading it.
pub fn apply(conn: &mut Connection) -> Result<Vec<&'static str>, String> {
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
    let mut applied = Vec::new();
    for (i, (name, sql)) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn
            .transaction()
            .map_err(|e| format!("migration {name}: {e}"))?;
        tx.execute_batch(sql)
            .and_then(|_| tx.pragma_update(None, "user_version", i as i64 + 1))
            .and_then(|_| tx.commit())
            .map_err(|e| format!("migration {name}: {e}"))?;
        tracing::info!(migration = name, "applied");
        applied.push(*name);
    }
    Ok(applied)
}
