//! Throwaway databases for tests: each test gets a database of its own on the cluster that
//! `TRENDWATCH_TEST_DATABASE_URL` names (`scripts/postgres-for-tests` starts one; `.ci/run`
//! always does), dropped when the test ends.

use sqlx::{AssertSqlSafe, Connection, PgConnection};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The environment variable holding an administrator's URL of the test cluster.
pub const TEST_DATABASE_ENV: &str = "TRENDWATCH_TEST_DATABASE_URL";

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A database created for one test, dropped (with its connections) when this is dropped.
pub struct ThrowawayDatabase {
    admin_url: String,
    name: String,
    /// The URL of the new, empty database.
    pub url: String,
}

/// `url` with its database name replaced by `name` (keeping any query string).
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    format!("{host_part}/{name}{query}")
}

impl ThrowawayDatabase {
    /// A new empty database, or `None` (saying so on stderr) when no test cluster is
    /// configured, as on a machine without PostgreSQL. A configured cluster that cannot be
    /// reached fails the test: CI must not pass by skipping.
    pub async fn create(test: &str) -> Option<ThrowawayDatabase> {
        let admin_url = match std::env::var(TEST_DATABASE_ENV) {
            Ok(url) if !url.trim().is_empty() => url,
            _ => {
                eprintln!(
                    "skipped on PostgreSQL: {test}: {TEST_DATABASE_ENV} is not set \
                     (scripts/postgres-for-tests starts a throwaway cluster)"
                );
                return None;
            }
        };
        Some(Self::create_on(&admin_url).await)
    }

    /// A new empty database on the cluster of `admin_url` (a cluster a test started itself).
    pub async fn create_on(admin_url: &str) -> ThrowawayDatabase {
        let admin_url = admin_url.to_string();
        let name = format!(
            "trendwatch_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("{TEST_DATABASE_ENV} is set but unreachable: {e}"));
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e}"));
        let url = with_database(&admin_url, &name);
        ThrowawayDatabase {
            admin_url,
            name,
            url,
        }
    }
}

/// Checks every B-tree index of the database at `url` against its table with PostgreSQL's
/// `amcheck` (`bt_index_check` with the heap check), the consistency check the fault tests
/// ask of an archive after a crash or a full disk. Returns how many indexes were checked;
/// any inconsistency is an error.
pub async fn amcheck(url: &str) -> Result<i64, sqlx::Error> {
    let mut c = PgConnection::connect(url).await?;
    sqlx::query("CREATE EXTENSION IF NOT EXISTS amcheck")
        .execute(&mut c)
        .await?;
    let checked = sqlx::query_scalar(
        "SELECT COUNT(bt_index_check(c.oid, true)) FROM pg_index i \
         JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE a.amname = 'btree' AND n.nspname = current_schema()",
    )
    .fetch_one(&mut c)
    .await?;
    c.close().await?;
    Ok(checked)
}

impl Drop for ThrowawayDatabase {
    fn drop(&mut self) {
        // Drop runs outside async code; a thread of its own with a small runtime drops the
        // database (FORCE ends the connections the store's pool may still hold).
        let (url, name) = (self.admin_url.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let mut admin = PgConnection::connect(&url).await.ok()?;
                sqlx::raw_sql(AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut admin)
                .await
                .ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("could not drop the test database {}", self.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn a_test_database_url_keeps_everything_but_the_name() {
        assert_eq!(
            with_database("postgres://u@127.0.0.1:5432/postgres", "t1"),
            "postgres://u@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u:p@h/postgres?sslmode=disable", "t2"),
            "postgres://u:p@h/t2?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h", "t3"), "postgres://h/t3");
    }
}
