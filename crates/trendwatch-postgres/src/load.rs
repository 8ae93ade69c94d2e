//! Loading a whole archive copied from another backend (`trendwatch migrate-store`): every
//! table in one transaction, by `COPY`, each cell converted to its column's type. Either the
//! whole archive arrives or nothing does, so an interrupted copy can simply be run again.

use crate::{Db, PgStore};
use sqlx::{AssertSqlSafe, Postgres, Row, Transaction};
use trendwatch_store::dump::{Cell, Table};
use trendwatch_store::StoreError;

/// The tables in an order that satisfies their foreign keys: what a copy loads, in turn.
pub const LOAD_ORDER: &[&str] = &[
    "meta",
    "users",
    "articles",
    "article_authors",
    "article_tags",
    "article_listed_similar",
    "legacy_paths",
    "related",
    "related_overrides",
    "storylines",
    "article_storylines",
    "storyline_stats",
    "forecasts",
    "sessions",
    "invitations",
    "password_resets",
    "recovery_codes",
    "pending_logins",
    "audit_log",
    "api_tokens",
    "desk_articles",
    "desk_revisions",
    "desk_comments",
    "subscribers",
    "site_secrets",
    "digest_sends",
    "digest_recipients",
    "text_changes",
    "throttles",
];

/// A copy in progress: one transaction, committed by [`ArchiveLoad::finish`] (dropping it
/// rolls everything back).
pub struct ArchiveLoad {
    tx: Transaction<'static, Postgres>,
}

impl PgStore {
    /// The number of rows of `table` (one of [`LOAD_ORDER`]), for checking a copy.
    pub async fn row_count(&self, table: &str) -> Result<u64, StoreError> {
        if !LOAD_ORDER.contains(&table) {
            return Err(StoreError(format!("no table {table} in the archive")));
        }
        sqlx::query_scalar::<_, i64>(AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
            .fetch_one(self.pool())
            .await
            .db()
            .map(|n| n as u64)
    }

    /// Starts loading a copied archive. The database must hold no archive yet (no article,
    /// account, draft or subscriber), unless `replace` is set: then everything in it is
    /// emptied first, in the same transaction.
    pub async fn begin_load(&self, replace: bool) -> Result<ArchiveLoad, StoreError> {
        let mut tx = self.begin_locked().await?;
        let held: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM articles) + (SELECT COUNT(*) FROM users) \
                  + (SELECT COUNT(*) FROM desk_articles) + (SELECT COUNT(*) FROM subscribers)",
        )
        .fetch_one(&mut *tx)
        .await
        .db()?;
        if held > 0 && !replace {
            return Err(StoreError(format!(
                "the PostgreSQL database already holds an archive ({held} articles, accounts, \
                 drafts and subscribers); --replace empties it first (everything in it is lost)"
            )));
        }
        let tables: Vec<&str> = LOAD_ORDER
            .iter()
            .copied()
            .filter(|t| *t != "meta")
            .collect();
        sqlx::raw_sql(AssertSqlSafe(format!(
            "TRUNCATE {} RESTART IDENTITY CASCADE",
            tables.join(", ")
        )))
        .execute(&mut *tx)
        .await
        .db()?;
        Ok(ArchiveLoad { tx })
    }
}

/// A cell in `COPY`'s text format for a column of PostgreSQL type `data_type`.
fn copy_text(cell: &Cell, data_type: &str, out: &mut String) -> Result<(), String> {
    match cell {
        Cell::Null => out.push_str("\\N"),
        Cell::Integer(v) if data_type == "boolean" => out.push_str(if *v != 0 { "t" } else { "f" }),
        Cell::Integer(v) => out.push_str(&v.to_string()),
        Cell::Real(v) => out.push_str(&v.to_string()),
        Cell::Text(t) if data_type == "ARRAY" => {
            // Lists are JSON arrays of numbers in SQLite; PostgreSQL's literal is {a,b}.
            let inner = t.trim().trim_start_matches('[').trim_end_matches(']');
            if inner
                .chars()
                .any(|c| !(c.is_ascii_digit() || ".,-+eE ".contains(c)))
            {
                return Err(format!("expected a JSON array of numbers, found {t:?}"));
            }
            out.push('{');
            out.push_str(&inner.replace(' ', ""));
            out.push('}');
        }
        Cell::Text(t) => {
            for ch in t.chars() {
                match ch {
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c => out.push(c),
                }
            }
        }
        Cell::Blob(b) => {
            out.push_str("\\\\x");
            for byte in b {
                out.push_str(&format!("{byte:02x}"));
            }
        }
    }
    Ok(())
}

impl ArchiveLoad {
    /// Loads one table's rows (into an emptied table; `meta`'s counters are set instead).
    /// Returns how many rows arrived.
    pub async fn table(&mut self, table: &Table) -> Result<u64, StoreError> {
        if !LOAD_ORDER.contains(&table.name.as_str()) {
            return Err(StoreError(format!(
                "table {} has no place in the PostgreSQL archive",
                table.name
            )));
        }
        let types = sqlx::query(
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1",
        )
        .bind(&table.name)
        .fetch_all(&mut *self.tx)
        .await
        .db()?;
        let mut column_types = Vec::with_capacity(table.columns.len());
        for column in &table.columns {
            let found = types
                .iter()
                .find(|r| r.get::<String, _>(0) == *column)
                .map(|r| r.get::<String, _>(1));
            let Some(data_type) = found else {
                return Err(StoreError(format!(
                    "{}.{column} has no column in the PostgreSQL archive",
                    table.name
                )));
            };
            column_types.push(data_type);
        }
        if table.name == "meta" {
            for row in &table.rows {
                if let [Cell::Text(name), Cell::Integer(value)] = row.as_slice() {
                    sqlx::query(
                        "INSERT INTO meta (name, value) VALUES ($1, $2) \
                         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    )
                    .bind(name)
                    .bind(value)
                    .execute(&mut *self.tx)
                    .await
                    .db()?;
                }
            }
            return Ok(table.rows.len() as u64);
        }
        if table.rows.is_empty() {
            return Ok(0);
        }
        let quoted: Vec<String> = table.columns.iter().map(|c| format!("\"{c}\"")).collect();
        let mut copy = self
            .tx
            .copy_in_raw(&format!(
                "COPY {} ({}) FROM STDIN",
                table.name,
                quoted.join(", ")
            ))
            .await
            .db()?;
        let mut chunk = String::new();
        for (n, row) in table.rows.iter().enumerate() {
            for (i, cell) in row.iter().enumerate() {
                if i > 0 {
                    chunk.push('\t');
                }
                if let Err(e) = copy_text(cell, &column_types[i], &mut chunk) {
                    let _ = copy.abort("bad value").await;
                    return Err(StoreError(format!(
                        "{}.{} of row {}: {e}",
                        table.name,
                        table.columns[i],
                        n + 1
                    )));
                }
            }
            chunk.push('\n');
            if chunk.len() > 1 << 20 {
                copy.send(std::mem::take(&mut chunk).into_bytes())
                    .await
                    .db()?;
            }
        }
        if !chunk.is_empty() {
            copy.send(chunk.into_bytes()).await.db()?;
        }
        copy.finish()
            .await
            .map_err(|e| StoreError(format!("loading {}: {e}", table.name)))
    }

    /// Sets every id sequence past the ids copied, and commits the whole load.
    pub async fn finish(mut self) -> Result<(), StoreError> {
        let identities = sqlx::query(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND is_identity = 'YES'",
        )
        .fetch_all(&mut *self.tx)
        .await
        .db()?;
        for row in identities {
            let (table, column): (String, String) = (row.get(0), row.get(1));
            sqlx::query(AssertSqlSafe(format!(
                "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), \
                 GREATEST(COALESCE(MAX({column}), 0), 1), COALESCE(MAX({column}), 0) > 0) \
                 FROM {table}"
            )))
            .execute(&mut *self.tx)
            .await
            .db()?;
        }
        self.tx.commit().await.db()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_take_copy_text_form_by_column_type() {
        let text = |cell: Cell, ty: &str| {
            let mut out = String::new();
            copy_text(&cell, ty, &mut out).map(|_| out)
        };
        assert_eq!(text(Cell::Null, "text").as_deref(), Ok("\\N"));
        assert_eq!(text(Cell::Integer(1), "boolean").as_deref(), Ok("t"));
        assert_eq!(text(Cell::Integer(0), "boolean").as_deref(), Ok("f"));
        assert_eq!(text(Cell::Integer(-7), "bigint").as_deref(), Ok("-7"));
        assert_eq!(
            text(Cell::Text("a\tb\\c\nd".into()), "text").as_deref(),
            Ok("a\\tb\\\\c\\nd")
        );
        assert_eq!(
            text(Cell::Text("[3, 14]".into()), "ARRAY").as_deref(),
            Ok("{3,14}")
        );
        assert!(text(Cell::Text("[\"x\"]".into()), "ARRAY").is_err());
        assert_eq!(
            text(Cell::Blob(vec![0, 255]), "bytea").as_deref(),
            Ok("\\\\x00ff")
        );
    }
}
