//! The PostgreSQL schema, as numbered migrations embedded in the binary and applied at start.
//!
//! Every node of a site may start at the same moment: the steps run in one transaction that
//! first takes a transaction-scoped advisory lock, so one node migrates and the others wait,
//! then find nothing left to do. Each applied step's SHA-256 is kept in `schema_migrations`
//! and checked at every start: a migration edited after it shipped would leave databases
//! that differ from new ones. PostgreSQL's DDL is transactional, so a failed step leaves the
//! schema as it was. (A hand-written runner rather than sqlx's migrator, whose macro needs a
//! build-time database or a second compile of sqlx; the SQLite crate keeps the same rules.)

use sha2::{Digest, Sha256};
use sqlx::{Connection, PgConnection, Row};

/// The migrations in order; version `i + 1` is `MIGRATIONS[i]`.
pub const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_schema", include_str!("../migrations/0001_schema.sql")),
    (
        "0002_text_changes",
        include_str!("../migrations/0002_text_changes.sql"),
    ),
    (
        "0003_lz4_bodies",
        include_str!("../migrations/0003_lz4_bodies.sql"),
    ),
    (
        "0004_throttles",
        include_str!("../migrations/0004_throttles.sql"),
    ),
    (
        "0005_shown_storylines",
        include_str!("../migrations/0005_shown_storylines.sql"),
    ),
];

/// The advisory lock key under which migrations run (any constant shared by all nodes).
const MIGRATION_LOCK: i64 = 0x7472_656e_6477_0001;

/// Applies the pending migrations; returns the names of those it applied.
pub async fn apply(conn: &mut PgConnection) -> Result<Vec<&'static str>, String> {
    let mut tx = conn.begin().await.map_err(|e| e.to_string())?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *tx)
        .await
        .map_err(|e| e.to_string())?;
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('schema_migrations') IS NOT NULL")
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| e.to_string())?;
    if !exists {
        sqlx::raw_sql(
            "CREATE TABLE schema_migrations (\
               version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum BYTEA NOT NULL, \
               applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        )
        .execute(&mut *tx)
        .await
        .map_err(|e| e.to_string())?;
    }
    let applied =
        sqlx::query("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
            .fetch_all(&mut *tx)
            .await
            .map_err(|e| e.to_string())?;
    for row in &applied {
        let version: i64 = row.get(0);
        let name: String = row.get(1);
        let checksum: Vec<u8> = row.get(2);
        let Some((known, sql)) = usize::try_from(version - 1)
            .ok()
            .and_then(|i| MIGRATIONS.get(i))
        else {
            return Err(format!(
                "the database has migration {version} ({name}), which this version of Trendwatch \
                 does not know: it was written by a newer version"
            ));
        };
        if *known != name || Sha256::digest(sql.as_bytes()).as_slice() != checksum.as_slice() {
            return Err(format!(
                "migration {version} ({name}) differs from the one this version ships ({known}): \
                 a migration must never change once applied"
            ));
        }
    }
    let mut done = Vec::new();
    for (i, (name, sql)) in MIGRATIONS.iter().enumerate().skip(applied.len()) {
        sqlx::raw_sql(*sql)
            .execute(&mut *tx)
            .await
            .map_err(|e| format!("migration {name}: {e}"))?;
        sqlx::query("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)")
            .bind(i as i64 + 1)
            .bind(*name)
            .bind(Sha256::digest(sql.as_bytes()).to_vec())
            .execute(&mut *tx)
            .await
            .map_err(|e| e.to_string())?;
        done.push(*name);
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    Ok(done)
}
