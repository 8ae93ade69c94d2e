//! The embedded SQLite backend of [`trendwatch_store::Store`].
//!
//! One database file in the data directory, in WAL mode with foreign keys on and
//! `synchronous=FULL`. One writer connection (SQLite allows one writer at a time anyway) and
//! a few reader connections, all used from Tokio's blocking pool so the async web layer never
//! waits on disk. rusqlite is used rather than sqlx because its per-statement cost is several
//! times lower, which an archive import of thousands of articles per second needs.

mod accounts;
mod forecasts;
mod job_locks;
mod migrations;
mod newsletter;
mod newsroom;
mod related;
mod rows;
mod storylines;
mod throttles;

use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;
use trendwatch_core::accounts::{
    ApiTokenInfo, AuditEntry, Invitation, NewUser, Session, StoredUser, TotpState, User,
};
use trendwatch_core::article::{Article, ArticleSummary, ArticleText, NewArticle, RelatedOverride};
use trendwatch_core::forecast::{ForecastEntry, Outcome};
use trendwatch_core::newsletter::{
    Delivery, DigestSend, SubscribeOutcome, Subscriber, SubscriptionRequest,
};
use trendwatch_core::newsroom::{
    DeskArticle, DeskComment, DeskContent, DeskFilter, DeskLock, DeskRevision, DeskState,
    DeskSummary, PublishedMark,
};
use trendwatch_core::similarity::{Scored, SimilarityDoc};
use trendwatch_core::storyline::{NewAssignment, StorylineDetail, StorylineSummary, ThreadDoc};
use trendwatch_core::{archive_rules, Language, Period};
use trendwatch_store::{
    EditError, Listing, Page, PoolStatus, SitemapArticle, SitemapStoryline, Store, StoreError,
    WriteError, WriteOutcome,
};

use rows::{datetime_to_sql, SUMMARY_COLUMNS};

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "trendwatch.sqlite3";

const READERS: usize = 4;

struct Inner {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    /// Connections running a statement, and callers waiting for one (the pool metrics).
    in_use: AtomicUsize,
    waiting: AtomicUsize,
    /// The data folder, where job locks keep their files (see [`job_locks`]).
    data_dir: std::path::PathBuf,
}

impl Inner {
    /// Runs `f` on a reader connection, counted in the pool metrics.
    fn counted<T>(
        &self,
        conn: std::sync::MutexGuard<'_, Connection>,
        f: impl FnOnce(&Connection) -> T,
    ) -> T {
        self.in_use.fetch_add(1, Ordering::Relaxed);
        let out = f(&conn);
        self.in_use.fetch_sub(1, Ordering::Relaxed);
        out
    }

    /// A reader connection: the first free one from a rotating start, or, when all are busy,
    /// the next in turn. (Taking the next in turn unconditionally made concurrent renders
    /// queue behind one busy reader while others sat idle: a static export spent a tenth of
    /// its time in lock hand-offs.)
    fn reader(&self) -> Result<std::sync::MutexGuard<'_, Connection>, StoreError> {
        let n = self.readers.len();
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        for k in 0..n {
            match self.readers[(start + k) % n].try_lock() {
                Ok(conn) => return Ok(conn),
                Err(std::sync::TryLockError::WouldBlock) => continue,
                Err(std::sync::TryLockError::Poisoned(_)) => {
                    return Err(StoreError("reader connection poisoned".into()))
                }
            }
        }
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let conn = self.readers[start % n].lock();
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        conn.map_err(|_| StoreError("reader connection poisoned".into()))
    }
}

/// A Trendwatch archive in one SQLite file. Cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

pub(crate) fn store_err(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the archive in `data_dir`, applying pending migrations.
    pub fn open(data_dir: &Path) -> Result<SqliteStore, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            StoreError(format!(
                "cannot create data directory {}: {e}",
                data_dir.display()
            ))
        })?;
        let path = data_dir.join(DB_FILE);
        let ctx = |e: rusqlite::Error| StoreError(format!("{}: {e}", path.display()));
        let mut writer = Connection::open(&path).map_err(ctx)?;
        // 16 KiB pages for a new database (ignored for an existing one): an article row with
        // its body is several KiB, and smaller pages would spill most rows into overflow chains.
        writer
            .pragma_update(None, "page_size", 16384)
            .map_err(ctx)?;
        configure(&writer).map_err(ctx)?;
        let applied = migrations::apply(&mut writer, &path)
            .map_err(|e| StoreError(format!("{}: {e}", path.display())))?;
        if applied.contains(&"0004_storyline_stats") || applied.contains(&"0011_storyline_titles") {
            // An archive threaded before the statistics existed gets them now.
            storylines::refresh_all_stats(&writer).map_err(ctx)?;
        }
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let conn = Connection::open_with_flags(
                &path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(ctx)?;
            conn.busy_timeout(std::time::Duration::from_secs(10))
                .map_err(ctx)?;
            readers.push(Mutex::new(conn));
        }
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                writer: Mutex::new(writer),
                readers,
                next_reader: AtomicUsize::new(0),
                in_use: AtomicUsize::new(0),
                waiting: AtomicUsize::new(0),
                data_dir: data_dir.to_path_buf(),
            }),
        })
    }

    /// The writer connection's journal mode, `foreign_keys` and `synchronous` settings, for
    /// operators and tests to confirm the durability settings (`("wal", 1, 2)`).
    pub async fn durability_settings(&self) -> Result<(String, i64, i64), StoreError> {
        self.write(|conn| {
            let q = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, rusqlite::types::Value>(0));
            let mode = match q("PRAGMA journal_mode").map_err(store_err)? {
                rusqlite::types::Value::Text(t) => t,
                other => format!("{other:?}"),
            };
            let int = |v| match v {
                rusqlite::types::Value::Integer(i) => i,
                _ => -1,
            };
            Ok((
                mode,
                int(q("PRAGMA foreign_keys").map_err(store_err)?),
                int(q("PRAGMA synchronous").map_err(store_err)?),
            ))
        })
        .await
    }

    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let conn = inner.reader()?;
            inner.counted(conn, f).map_err(store_err)
        })
        .await
        .map_err(store_err)?
    }

    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            inner.waiting.fetch_add(1, Ordering::Relaxed);
            let conn = inner.writer.lock();
            inner.waiting.fetch_sub(1, Ordering::Relaxed);
            let mut conn = conn.map_err(|_| StoreError("writer connection poisoned".into()))?;
            inner.in_use.fetch_add(1, Ordering::Relaxed);
            let out = f(&mut conn);
            inner.in_use.fetch_sub(1, Ordering::Relaxed);
            out
        })
        .await
        .map_err(store_err)?
    }
}

impl SqliteStore {
    /// The archive's tables (SQLite's own and the migrations' bookkeeping left out), for
    /// copying the archive elsewhere.
    pub async fn table_names(&self) -> Result<Vec<String>, StoreError> {
        self.read(|conn| {
            let names = conn
                .prepare(
                    "SELECT name FROM sqlite_master WHERE type = 'table' \
                     AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name",
                )?
                .query_map([], |r| r.get(0))?
                .collect();
            names
        })
        .await
    }

    /// Every row of table `name` (one of [`SqliteStore::table_names`]), read in one
    /// transaction, in rowid or key order.
    pub async fn dump_table(
        &self,
        name: &str,
    ) -> Result<trendwatch_store::dump::Table, StoreError> {
        use trendwatch_store::dump::{Cell, Table};
        let known = self.table_names().await?;
        let Some(name) = known.into_iter().find(|t| t == name) else {
            return Err(StoreError(format!("no table {name} in the SQLite archive")));
        };
        self.read(move |conn| {
            // `name` is one of the table names read above, never outside input.
            let mut stmt = conn.prepare(&format!("SELECT * FROM \"{name}\""))?;
            let columns: Vec<String> = stmt.column_names().iter().map(|c| c.to_string()).collect();
            let n = columns.len();
            let rows = stmt
                .query_map([], |r| {
                    (0..n)
                        .map(|i| {
                            Ok(match r.get::<_, Value>(i)? {
                                Value::Null => Cell::Null,
                                Value::Integer(v) => Cell::Integer(v),
                                Value::Real(v) => Cell::Real(v),
                                Value::Text(v) => Cell::Text(v),
                                Value::Blob(v) => Cell::Blob(v),
                            })
                        })
                        .collect::<rusqlite::Result<Vec<Cell>>>()
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Table {
                name,
                columns,
                rows,
            })
        })
        .await
    }
}

impl SqliteStore {
    async fn edit<T, F>(&self, f: F) -> Result<T, EditError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, EditError> + Send + 'static,
    {
        let result = self.write(move |conn| Ok(f(conn))).await?;
        result
    }
}

/// Checks the rules one article must satisfy against what is stored, then writes it with its
/// authors, tags and listed-similar titles. Runs inside a savepoint: on any error the caller
/// rolls the savepoint back, so nothing of the article remains.
// Rejections are rare and not on a hot path, so the large, flat error is kept for easy matching.
#[allow(clippy::result_large_err)]
fn write_one(tx: &Connection, a: &NewArticle) -> Result<WriteOutcome, WriteError> {
    let backend = |e: rusqlite::Error| WriteError::Backend(format!("database: {e}"));
    let lang = a.lang.code();
    // What the rules (`trendwatch_core::archive_rules`) ask, looked up in one statement:
    // per-statement overhead dominates an import. The week is looked up only for the kind of
    // article that claims one.
    let (existing, dup_week_key, dup_week_title, dup_translation, slug_taken): (
        Option<i64>,
        Option<String>,
        Option<String>,
        Option<String>,
        bool,
    ) = tx
        .prepare_cached(
            "SELECT (SELECT id FROM articles WHERE key = ?1), \
                    w.key, w.title, \
                    (SELECT key FROM articles WHERE ?6 IS NOT NULL AND translation_group = ?6 \
                       AND lang = ?5 AND key <> ?1), \
                    EXISTS (SELECT 1 FROM articles WHERE lang = ?5 AND slug = ?7 AND key <> ?1) \
             FROM (SELECT 1) LEFT JOIN (SELECT key, title FROM articles WHERE ?2 \
                    AND kind = 'weekly' AND topic = ?3 AND period_key = ?4 AND lang = ?5 \
                    AND key <> ?1 LIMIT 1) w",
        )
        .and_then(|mut s| {
            s.query_row(
                params![
                    a.key,
                    archive_rules::claimed_week(a).is_some(),
                    a.topic,
                    a.period.key(),
                    lang,
                    a.translation_group,
                    a.slug
                ],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
        })
        .map_err(backend)?;
    let neighbours = archive_rules::Neighbours {
        week_holder: dup_week_key.zip(dup_week_title),
        translation_holder: dup_translation,
    };
    archive_rules::check(a, neighbours)?;
    let slug = archive_rules::slug(a, |candidate| {
        if candidate == a.slug {
            return Ok(slug_taken);
        }
        tx.prepare_cached("SELECT 1 FROM articles WHERE lang = ?1 AND slug = ?2 AND key <> ?3")
            .and_then(|mut s| {
                s.query_row(params![lang, candidate, a.key], |r| r.get::<_, i64>(0))
                    .optional()
            })
            .map(|row| row.is_some())
    })
    .map_err(backend)??;
    let values = params![
        a.key,
        lang,
        a.kind.code(),
        a.topic,
        a.title,
        a.lead,
        a.body_html,
        a.body_text,
        datetime_to_sql(a.published_at),
        a.period.key(),
        a.status.code(),
        a.rationale,
        a.alert.code(),
        a.image_url,
        a.image_credit,
        a.source_url,
        slug,
        a.translation_group,
        a.duplicate_of,
        a.image_alt,
        a.updated_at.map(datetime_to_sql),
        a.correction,
    ];
    let (id, outcome) = match existing {
        Some(id) => {
            tx.prepare_cached(
                "UPDATE articles SET key = ?1, lang = ?2, kind = ?3, topic = ?4, title = ?5, \
                 lead = ?6, body_html = ?7, body_text = ?8, published_at = ?9, period_key = ?10, \
                 status = ?11, rationale = ?12, alert = ?13, image_url = ?14, image_credit = ?15, \
                 source_url = ?16, slug = ?17, translation_group = ?18, \
                 duplicate_of = (SELECT id FROM articles WHERE key = ?19), image_alt = ?20, \
                 updated_at = ?21, correction = ?22 WHERE id = ?23",
            )
            .and_then(|mut s| {
                let mut v: Vec<&dyn rusqlite::ToSql> = values.to_vec();
                v.push(&id);
                s.execute(v.as_slice())
            })
            .map_err(backend)?;
            for table in ["article_authors", "article_tags", "article_listed_similar"] {
                tx.prepare_cached(&format!("DELETE FROM {table} WHERE article_id = ?1"))
                    .and_then(|mut s| s.execute([id]))
                    .map_err(backend)?;
            }
            (id, WriteOutcome::Updated(id))
        }
        None => {
            tx.prepare_cached(
                "INSERT INTO articles (key, lang, kind, topic, title, lead, body_html, body_text, \
                 published_at, period_key, status, rationale, alert, image_url, image_credit, \
                 source_url, slug, translation_group, duplicate_of, image_alt, updated_at, \
                 correction) VALUES \
                 (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, \
                 (SELECT id FROM articles WHERE key = ?19), ?20, ?21, ?22)",
            )
            .and_then(|mut s| s.execute(values))
            .map_err(backend)?;
            let id = tx.last_insert_rowid();
            (id, WriteOutcome::Created(id))
        }
    };
    for (i, name) in a.authors.iter().enumerate() {
        tx.prepare_cached(
            "INSERT INTO article_authors (article_id, position, name, lang, period_key, published_at) \
             SELECT ?1, ?2, ?3, lang, period_key, published_at FROM articles WHERE id = ?1",
        )
        .and_then(|mut s| s.execute(params![id, i as i64, name]))
        .map_err(backend)?;
    }
    for tag in &a.tags {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO article_tags (article_id, tag, lang, period_key, published_at) \
             SELECT ?1, ?2, lang, period_key, published_at FROM articles WHERE id = ?1",
        )
        .and_then(|mut s| s.execute(params![id, tag]))
        .map_err(backend)?;
    }
    for (i, title) in a.similar_titles.iter().enumerate() {
        tx.prepare_cached(
            "INSERT INTO article_listed_similar (article_id, position, title) VALUES (?1, ?2, ?3)",
        )
        .and_then(|mut s| s.execute(params![id, i as i64, title]))
        .map_err(backend)?;
    }
    for path in &a.legacy_paths {
        tx.prepare_cached(
            "INSERT INTO legacy_paths (path, article_id) VALUES (?1, ?2) \
             ON CONFLICT (path) DO UPDATE SET article_id = excluded.article_id",
        )
        .and_then(|mut s| s.execute(params![path, id]))
        .map_err(backend)?;
    }
    // A new article without forecasts has none to write or clean up.
    if !a.forecasts.is_empty() || matches!(outcome, WriteOutcome::Updated(_)) {
        forecasts::write(tx, id, &a.forecasts).map_err(backend)?;
    }
    Ok(outcome)
}

/// Records that `ids` changed in the current text generation (see [`Store::text_changes`]),
/// pruning what is older than [`trendwatch_store::TEXT_CHANGES_KEPT`] generations.
pub(crate) fn log_text_changes(tx: &Connection, ids: &[i64]) -> rusqlite::Result<()> {
    let mut log = tx.prepare_cached(
        "INSERT OR IGNORE INTO text_changes (generation, article_id) \
         VALUES ((SELECT value FROM meta WHERE name = 'text_generation'), ?1)",
    )?;
    for id in ids {
        log.execute([id])?;
    }
    let keep_after: i64 = tx.query_row(
        "SELECT value - ?1 FROM meta WHERE name = 'text_generation'",
        [trendwatch_store::TEXT_CHANGES_KEPT],
        |r| r.get(0),
    )?;
    let pruned = tx.execute(
        "UPDATE meta SET value = ?1 WHERE name = 'text_log_from' AND value < ?1",
        [keep_after],
    )?;
    if pruned > 0 {
        tx.execute(
            "DELETE FROM text_changes WHERE generation <= ?1",
            [keep_after],
        )?;
    }
    Ok(())
}

/// The newest (`MAX`) or oldest (`MIN`) week with a commentary in `lang`.
fn period_bound(
    conn: &Connection,
    bound: &'static str,
    lang: Language,
) -> rusqlite::Result<Option<Period>> {
    let key: Option<i32> = conn
        .prepare_cached(&format!(
            "SELECT {bound}(period_key) FROM articles WHERE lang = ?1 AND kind = 'weekly'"
        ))?
        .query_row([lang.code()], |r| r.get(0))?;
    Ok(key.and_then(|k| Period::from_key(k).ok()))
}

/// The columns [`article_row`] reads, with the original of a linked copy as `o`.
const ARTICLE_SELECT: &str = "SELECT a.id, a.key, a.lang, a.kind, a.topic, a.title, a.lead, \
     a.body_html, a.body_text, a.published_at, a.period_key, a.status, a.rationale, a.alert, \
     a.image_url, a.image_credit, a.source_url, a.slug, a.translation_group, o.key, o.slug, \
     o.title, a.image_alt, a.updated_at, a.correction FROM articles a \
     LEFT JOIN articles o ON o.id = a.duplicate_of";

/// An article from a row of [`ARTICLE_SELECT`], without its lists ([`complete_article`]).
fn article_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Article> {
    Ok(Article {
        id: r.get(0)?,
        content: NewArticle {
            key: r.get(1)?,
            lang: rows::lang(r, 2)?,
            kind: rows::kind(r, 3)?,
            topic: r.get(4)?,
            title: r.get(5)?,
            lead: r.get(6)?,
            body_html: r.get(7)?,
            body_text: r.get(8)?,
            published_at: rows::datetime(r, 9)?,
            period: rows::period(r, 10)?,
            status: rows::status(r, 11)?,
            rationale: r.get(12)?,
            alert: rows::alert(r, 13)?,
            image_url: r.get(14)?,
            image_credit: r.get(15)?,
            image_alt: r.get(22)?,
            source_url: r.get(16)?,
            slug: r.get(17)?,
            translation_group: r.get(18)?,
            authors: Vec::new(),
            tags: Vec::new(),
            similar_titles: Vec::new(),
            duplicate_of: r.get(19)?,
            forecasts: Vec::new(),
            updated_at: match r.get::<_, Option<String>>(23)? {
                Some(_) => Some(rows::datetime(r, 23)?),
                None => None,
            },
            correction: r.get(24)?,
            legacy_paths: Vec::new(),
        },
        copy_of: match (r.get(20)?, r.get(21)?) {
            (Some(slug), Some(title)) => Some(trendwatch_core::article::CopyOf { slug, title }),
            _ => None,
        },
    })
}

/// Reads an article's authors, tags, source-listed similar titles and forecasts.
fn complete_article(conn: &Connection, article: &mut Article) -> rusqlite::Result<()> {
    let list = |sql: &str| -> rusqlite::Result<Vec<String>> {
        let mut stmt = conn.prepare_cached(sql)?;
        let v = stmt.query_map([article.id], |r| r.get(0))?.collect();
        v
    };
    article.content.authors =
        list("SELECT name FROM article_authors WHERE article_id = ?1 ORDER BY position")?;
    article.content.tags = list("SELECT tag FROM article_tags WHERE article_id = ?1 ORDER BY tag")?;
    article.content.similar_titles =
        list("SELECT title FROM article_listed_similar WHERE article_id = ?1 ORDER BY position")?;
    article.content.forecasts = forecasts::of_article(conn, article.id, article.content.lang)?;
    Ok(())
}

/// The condition on `articles a` of a listing in a language (`?1`), with its one parameter
/// (`?2`). Tags and authors are matched without an index of their own: a listing page is
/// rendered once per content generation, and the scan takes about a millisecond at 10,000
/// articles, less than an index would cost every import (see migration 0005).
fn listing_filter(listing: &Listing) -> (&'static str, Value) {
    match listing {
        Listing::All => ("a.lang = ?1 AND ?2 IS NULL", Value::Null),
        Listing::Topic(t) => ("a.lang = ?1 AND a.topic = ?2", Value::Text(t.clone())),
        // (Pages of tags and authors are read through `listing_rows`; this form serves the
        // feeds' query.)
        Listing::Tag(t) => (
            "a.lang = ?1 AND a.id IN (SELECT g.article_id FROM article_tags g WHERE g.tag = ?2)",
            Value::Text(t.clone()),
        ),
        Listing::Author(n) => (
            "a.lang = ?1 AND a.id IN (SELECT w.article_id FROM article_authors w WHERE w.name = ?2)",
            Value::Text(n.clone()),
        ),
        // A storyline is small: driven by its members (an index on storyline_id); the unary
        // `+` keeps SQLite off the language index, whose scan of every article of the
        // language made a storyline feed take 20 ms at 10,000 articles.
        Listing::Storyline(id) => (
            "+a.lang = ?1 AND a.id IN \
             (SELECT x.article_id FROM article_storylines x WHERE x.storyline_id = ?2)",
            Value::Integer(*id),
        ),
    }
}

/// The weekly commentaries of one week in one language (`?1`, `?2`), by topic.
fn week_sql() -> String {
    format!(
        "SELECT {SUMMARY_COLUMNS} FROM articles a WHERE a.lang = ?1 AND a.period_key = ?2 \
         AND a.kind = 'weekly' ORDER BY +a.topic"
    )
}

/// Where a listing's articles are found in publication order: a relation aliased `o` with
/// `period_key` and `published_at`, filtered by `?1` (the language) and `?2` (the listing's
/// value), and the expression of the article's id in it. Tags and authors keep copies of
/// their article's language and dates (migration 0022), so counting a tag that is on most
/// of the archive, its year links and any of its pages each read one range of one index.
fn listing_rows(listing: &Listing) -> (&'static str, &'static str) {
    match listing {
        Listing::Tag(_) => (
            "article_tags o WHERE o.lang = ?1 AND o.tag = ?2",
            "o.article_id",
        ),
        Listing::Author(_) => (
            "article_authors o WHERE o.lang = ?1 AND o.name = ?2",
            "o.article_id",
        ),
        Listing::All => ("articles o WHERE o.lang = ?1 AND ?2 IS NULL", "o.id"),
        Listing::Topic(_) => ("articles o WHERE o.lang = ?1 AND o.topic = ?2", "o.id"),
        // Driven by the storyline's members, as in `listing_filter`.
        Listing::Storyline(_) => (
            "articles o WHERE +o.lang = ?1 AND o.id IN \
             (SELECT x.article_id FROM article_storylines x WHERE x.storyline_id = ?2)",
            "o.id",
        ),
    }
}

/// One page of a listing, newest first: `?1` the language, `?2` the listing's value, `?3`
/// and `?4` the limit and offset. The page's ids are found in the listing's order first
/// (from an index, see [`listing_rows`]), and only those articles' rows are read.
fn listing_sql(listing: &Listing) -> String {
    format!(
        "SELECT {SUMMARY_COLUMNS} FROM articles a WHERE a.id IN ({}) \
         ORDER BY a.period_key DESC, a.published_at DESC, a.id DESC",
        listing_ids_sql(listing)
    )
}

/// The ids of one page of a listing, in order (see [`listing_sql`]).
fn listing_ids_sql(listing: &Listing) -> String {
    let (rows, id) = listing_rows(listing);
    format!(
        "SELECT {id} FROM {rows} ORDER BY o.period_key DESC, o.published_at DESC, {id} DESC \
         LIMIT ?3 OFFSET ?4"
    )
}

fn summaries(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<Vec<ArticleSummary>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params, rows::summary)?;
    rows.collect()
}

#[async_trait]
impl Store for SqliteStore {
    fn pool_status(&self) -> PoolStatus {
        let count = |a: &AtomicUsize| u32::try_from(a.load(Ordering::Relaxed)).unwrap_or(u32::MAX);
        PoolStatus {
            size: self.inner.readers.len() as u32 + 1,
            in_use: count(&self.inner.in_use),
            waiting: count(&self.inner.waiting),
        }
    }

    async fn write_articles(
        &self,
        articles: &[NewArticle],
    ) -> Result<Vec<Result<WriteOutcome, WriteError>>, StoreError> {
        let articles = articles.to_vec();
        self.write(move |conn| {
            // One outer transaction per batch (one fsync), each article whole or not at all.
            // Most batches are written whole, so they are first tried without a savepoint per
            // article: under a savepoint SQLite copies every page an article touches into a
            // sub-journal first (16 KiB a page, about 7% of a bulk import's CPU). Only a batch
            // where some article fails is rolled back and written again, one savepoint per
            // article, so that the failing one leaves nothing behind.
            let mut tx = conn.transaction().map_err(store_err)?;
            let mut results = Vec::with_capacity(articles.len());
            for a in &articles {
                match write_one(&tx, a) {
                    Ok(outcome) => results.push(Ok(outcome)),
                    // The database itself failed (a full disk, I/O) when SQLite rolled the
                    // whole transaction back on its own: the batch stops with that cause.
                    // (Rolling back again would only report "no transaction is active".) A
                    // refused constraint leaves the transaction open: that article alone is
                    // rejected, below.
                    Err(WriteError::Backend(cause)) if tx.is_autocommit() => {
                        drop(tx);
                        return Err(StoreError(format!("{}: {cause}", a.key)));
                    }
                    Err(_) => break,
                }
            }
            if results.len() < articles.len() {
                tx.rollback().map_err(store_err)?;
                tx = conn.transaction().map_err(store_err)?;
                results.clear();
                for a in &articles {
                    let sp = tx.savepoint().map_err(store_err)?;
                    let result = write_one(&sp, a);
                    if let Err(WriteError::Backend(cause)) = &result {
                        if sp.is_autocommit() {
                            return Err(StoreError(format!("{}: {cause}", a.key)));
                        }
                    }
                    match result {
                        Ok(_) => sp.commit().map_err(store_err)?,
                        Err(_) => sp.finish().map_err(store_err)?,
                    }
                    results.push(result);
                }
            }
            if results.iter().any(Result::is_ok) {
                // A rewritten article may change its storyline's title, status or weeks.
                let updated: Vec<i64> = results
                    .iter()
                    .filter_map(|r| match r {
                        Ok(WriteOutcome::Updated(id)) => Some(*id),
                        _ => None,
                    })
                    .collect();
                storylines::refresh_stats_of_articles(&tx, &updated).map_err(store_err)?;
                tx.execute(
                    "UPDATE meta SET value = value + 1 \
                     WHERE name IN ('generation', 'text_generation', 'threading_generation')",
                    [],
                )
                .map_err(store_err)?;
                let written: Vec<i64> = results
                    .iter()
                    .filter_map(|r| r.as_ref().ok().map(|o| o.id()))
                    .collect();
                log_text_changes(&tx, &written).map_err(store_err)?;
            }
            tx.set_drop_behavior(rusqlite::DropBehavior::Commit);
            tx.commit().map_err(store_err)?;
            Ok(results)
        })
        .await
    }

    async fn article(&self, lang: Language, slug: &str) -> Result<Option<Article>, StoreError> {
        let slug = slug.to_string();
        self.read(move |conn| {
            let row = conn
                .prepare_cached(&format!(
                    "{ARTICLE_SELECT} WHERE a.lang = ?1 AND a.slug = ?2"
                ))?
                .query_row(params![lang.code(), slug], article_row)
                .optional()?;
            let Some(mut article) = row else {
                return Ok(None);
            };
            complete_article(conn, &mut article)?;
            Ok(Some(article))
        })
        .await
    }

    async fn snapshot(&self, dest: &std::path::Path) -> Result<(), StoreError> {
        let dest = dest
            .to_str()
            .ok_or_else(|| StoreError(format!("{}: not a UTF-8 path", dest.display())))?
            .to_string();
        // VACUUM INTO reads one transaction's view of the database: consistent, while other
        // connections keep reading and the writer waits at most for the copy.
        self.read(move |conn| conn.execute("VACUUM INTO ?1", [dest]).map(|_| ()))
            .await
    }

    fn snapshot_file_name(&self) -> &'static str {
        DB_FILE
    }

    async fn sitemap_articles(&self) -> Result<Vec<SitemapArticle>, StoreError> {
        self.read(|conn| {
            let v = conn
                .prepare_cached(
                    "SELECT lang, slug, published_at, translation_group, period_key FROM articles \
                     WHERE duplicate_of IS NULL ORDER BY published_at, id",
                )?
                .query_map([], |r| {
                    Ok(SitemapArticle {
                        lang: rows::lang(r, 0)?,
                        slug: r.get(1)?,
                        published_at: rows::datetime(r, 2)?,
                        group: r.get(3)?,
                        period: rows::period(r, 4)?,
                    })
                })?
                .collect();
            v
        })
        .await
    }

    async fn sitemap_storylines(&self) -> Result<Vec<SitemapStoryline>, StoreError> {
        self.read(|conn| {
            let v = conn
                .prepare_cached(&format!(
                    "SELECT storyline_id, lang, last_published_at FROM storyline_stats \
                     WHERE {} ORDER BY storyline_id, lang",
                    trendwatch_store::SHOWN_STORYLINES_SQL
                ))?
                .query_map([], |r| {
                    Ok(SitemapStoryline {
                        id: r.get(0)?,
                        lang: rows::lang(r, 1)?,
                        last_published_at: rows::datetime(r, 2)?,
                    })
                })?
                .collect();
            v
        })
        .await
    }

    async fn feed_articles(
        &self,
        lang: Language,
        listing: &Listing,
        limit: u64,
    ) -> Result<Vec<Article>, StoreError> {
        let (filter, value) = listing_filter(listing);
        self.read(move |conn| {
            let mut articles = conn
                .prepare_cached(&format!(
                    "{ARTICLE_SELECT} WHERE {filter} AND a.duplicate_of IS NULL \
                     ORDER BY a.published_at DESC, a.id DESC LIMIT ?3"
                ))?
                .query_map(params![lang.code(), value, limit as i64], article_row)?
                .collect::<rusqlite::Result<Vec<Article>>>()?;
            for article in &mut articles {
                complete_article(conn, article)?;
            }
            Ok(articles)
        })
        .await
    }

    async fn translations(
        &self,
        group: &str,
        except_id: i64,
    ) -> Result<Vec<ArticleSummary>, StoreError> {
        let group = group.to_string();
        self.read(move |conn| {
            summaries(
                conn,
                &format!(
                    "SELECT {SUMMARY_COLUMNS} FROM articles a \
                     WHERE a.translation_group = ?1 AND a.id <> ?2 ORDER BY a.lang"
                ),
                params![group, except_id],
            )
        })
        .await
    }

    async fn latest_period(&self, lang: Language) -> Result<Option<Period>, StoreError> {
        self.read(move |conn| period_bound(conn, "MAX", lang)).await
    }

    async fn first_period(&self, lang: Language) -> Result<Option<Period>, StoreError> {
        self.read(move |conn| period_bound(conn, "MIN", lang)).await
    }

    async fn week(
        &self,
        lang: Language,
        period: Period,
    ) -> Result<Vec<ArticleSummary>, StoreError> {
        self.read(move |conn| {
            summaries(
                conn,
                // `+a.topic`: ordering by the topic index made SQLite walk every article of
                // the language to skip sorting a week's handful (7 ms at 100,000 articles, on
                // every publication's checks and every week page).
                &week_sql(),
                params![lang.code(), period.key()],
            )
        })
        .await
    }

    async fn weekly_between(
        &self,
        lang: Language,
        from: Period,
        to: Period,
    ) -> Result<Vec<ArticleSummary>, StoreError> {
        self.read(move |conn| {
            summaries(
                conn,
                &format!(
                    "SELECT {SUMMARY_COLUMNS} FROM articles a WHERE a.lang = ?1 AND a.kind = 'weekly' \
                     AND a.period_key BETWEEN ?2 AND ?3 ORDER BY a.period_key, a.topic"
                ),
                params![lang.code(), from.key(), to.key()],
            )
        })
        .await
    }

    async fn adjacent_periods(
        &self,
        lang: Language,
        period: Period,
    ) -> Result<(Option<Period>, Option<Period>), StoreError> {
        self.read(move |conn| {
            let (prev, next): (Option<i32>, Option<i32>) = conn
                .prepare_cached(
                    "SELECT (SELECT MAX(period_key) FROM articles WHERE lang = ?1 AND kind = 'weekly' AND period_key < ?2), \
                            (SELECT MIN(period_key) FROM articles WHERE lang = ?1 AND kind = 'weekly' AND period_key > ?2)",
                )?
                .query_row(params![lang.code(), period.key()], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok((
                prev.and_then(|k| Period::from_key(k).ok()),
                next.and_then(|k| Period::from_key(k).ok()),
            ))
        })
        .await
    }

    async fn listing(
        &self,
        lang: Language,
        listing: &Listing,
        offset: u64,
        limit: u64,
    ) -> Result<Page<ArticleSummary>, StoreError> {
        let (_, value) = listing_filter(listing);
        let (rows, _) = listing_rows(listing);
        let total: i64 = self
            .read(move |conn| {
                conn.prepare_cached(&format!("SELECT COUNT(*) FROM {rows}"))?
                    .query_row(params![lang.code(), value], |r| r.get(0))
            })
            .await?;
        let items = self.listing_items(lang, listing, offset, limit).await?;
        Ok(Page {
            items,
            total: total as u64,
        })
    }

    async fn listing_items(
        &self,
        lang: Language,
        listing: &Listing,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<ArticleSummary>, StoreError> {
        let (_, value) = listing_filter(listing);
        let page = listing_sql(listing);
        self.read(move |conn| {
            summaries(
                conn,
                &page,
                params![lang.code(), value, limit as i64, offset as i64],
            )
        })
        .await
    }

    async fn listing_years(
        &self,
        lang: Language,
        listing: &Listing,
    ) -> Result<Vec<(i32, u64)>, StoreError> {
        let (_, value) = listing_filter(listing);
        let (rows, _) = listing_rows(listing);
        self.read(move |conn| {
            let counts: Vec<(i32, i64)> = conn
                .prepare_cached(&format!(
                    "SELECT o.period_key / 100 AS y, COUNT(*) FROM {rows} GROUP BY y ORDER BY y DESC"
                ))?
                .query_map(params![lang.code(), value], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let mut before = 0u64;
            Ok(counts
                .into_iter()
                .map(|(year, n)| {
                    let at = (year, before);
                    before += n as u64;
                    at
                })
                .collect())
        })
        .await
    }

    async fn similar(
        &self,
        article: &Article,
        limit: u64,
    ) -> Result<Vec<ArticleSummary>, StoreError> {
        let (id, lang, group) = (
            article.id,
            article.content.lang,
            article.content.translation_group.clone(),
        );
        self.read(move |conn| {
            // Editors' decisions come first and always hold: pins lead the list in the order
            // they were made, exclusions never appear.
            let overrides = related::overrides(conn, id)?;
            let excluded: Vec<i64> = overrides
                .iter()
                .filter(|(_, k)| *k == RelatedOverride::Exclude)
                .map(|(r, _)| *r)
                .collect();
            let mut pinned = summaries(
                conn,
                &format!(
                    "SELECT {SUMMARY_COLUMNS} FROM related_overrides o JOIN articles a ON a.id = o.related_id \
                     WHERE o.article_id = ?1 AND o.kind = 'pin' AND a.lang = ?2 ORDER BY o.created"
                ),
                params![id, lang.code()],
            )?;
            let listed = summaries(
                conn,
                &format!(
                    "SELECT {SUMMARY_COLUMNS} FROM article_listed_similar s \
                     JOIN articles a ON a.title = s.title AND a.lang = ?2 \
                     WHERE s.article_id = ?1 AND a.id <> ?1 \
                     AND (?3 IS NULL OR a.translation_group IS NULL OR a.translation_group <> ?3) \
                     ORDER BY s.position"
                ),
                params![id, lang.code(), group],
            )?;
            let computed = summaries(
                conn,
                &format!(
                    "SELECT {SUMMARY_COLUMNS} FROM related r, json_each(r.ids) j \
                     JOIN articles a ON a.id = j.value \
                     WHERE r.article_id = ?1 AND a.lang = ?2 AND a.id <> ?1 \
                     AND (?3 IS NULL OR a.translation_group IS NULL OR a.translation_group <> ?3) \
                     ORDER BY j.key"
                ),
                params![id, lang.code(), group],
            )?;
            for c in listed.into_iter().chain(computed) {
                if !excluded.contains(&c.id) && !pinned.iter().any(|l| l.id == c.id) {
                    pinned.push(c);
                }
            }
            pinned.truncate(limit as usize);
            Ok(pinned)
        })
        .await
    }

    async fn similarity_corpus(&self) -> Result<Vec<SimilarityDoc>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {} FROM articles a \
                 LEFT JOIN article_storylines s ON s.article_id = a.id \
                 WHERE a.duplicate_of IS NULL ORDER BY a.id",
                related::SIMILARITY_COLUMNS
            ))?;
            let docs = stmt.query_map([], related::similarity_doc)?.collect();
            docs
        })
        .await
    }

    async fn similarity_docs(&self, ids: Vec<i64>) -> Result<Vec<SimilarityDoc>, StoreError> {
        self.read(move |conn| related::similarity_docs(conn, &ids))
            .await
    }

    async fn related_lists(&self, ids: Vec<i64>) -> Result<Vec<(i64, Vec<Scored>)>, StoreError> {
        self.read(move |conn| related::lists(conn, &ids)).await
    }

    async fn set_related_override(
        &self,
        article: i64,
        related_id: i64,
        kind: Option<RelatedOverride>,
    ) -> Result<(), EditError> {
        self.edit(move |conn| related::set_override(conn, article, related_id, kind))
            .await
    }

    async fn related_overrides(
        &self,
        article: i64,
    ) -> Result<Vec<(i64, RelatedOverride)>, StoreError> {
        self.read(move |conn| related::overrides(conn, article))
            .await
    }

    async fn article_texts(&self, ids: Option<Vec<i64>>) -> Result<Vec<ArticleText>, StoreError> {
        self.read(move |conn| related::article_texts(conn, ids.as_deref()))
            .await
    }

    async fn derived_generation(&self) -> Result<i64, StoreError> {
        self.read(|conn| {
            conn.prepare_cached("SELECT value FROM meta WHERE name = 'derived_generation'")?
                .query_row([], |r| r.get(0))
        })
        .await
    }

    async fn set_derived_generation(&self, g: i64) -> Result<(), StoreError> {
        self.write(move |conn| {
            conn.execute(
                "UPDATE meta SET value = ?1 WHERE name = 'derived_generation'",
                [g],
            )
            .map(|_| ())
            .map_err(store_err)
        })
        .await
    }

    async fn text_generation(&self) -> Result<i64, StoreError> {
        self.read(|conn| {
            conn.prepare_cached("SELECT value FROM meta WHERE name = 'text_generation'")?
                .query_row([], |r| r.get(0))
        })
        .await
    }

    async fn text_changes(&self, after: i64) -> Result<Option<Vec<i64>>, StoreError> {
        self.read(move |conn| {
            let from: i64 = conn
                .prepare_cached("SELECT value FROM meta WHERE name = 'text_log_from'")?
                .query_row([], |r| r.get(0))?;
            if after < from {
                return Ok(None);
            }
            let ids = conn
                .prepare_cached(
                    "SELECT DISTINCT article_id FROM text_changes WHERE generation > ?1 \
                     ORDER BY article_id",
                )?
                .query_map([after], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<i64>>>()?;
            Ok(Some(ids))
        })
        .await
    }

    async fn article_id(&self, lang: Language, slug: &str) -> Result<Option<i64>, StoreError> {
        let slug = slug.to_string();
        self.read(move |conn| {
            conn.prepare_cached("SELECT id FROM articles WHERE lang = ?1 AND slug = ?2")?
                .query_row(params![lang.code(), slug], |r| r.get(0))
                .optional()
        })
        .await
    }

    async fn replace_related(&self, lists: &[(i64, Vec<Scored>)]) -> Result<(), StoreError> {
        let lists = lists.to_vec();
        self.write(move |conn| {
            let tx = conn.transaction().map_err(store_err)?;
            {
                let mut put = tx
                    .prepare_cached(
                        "INSERT INTO related (article_id, ids, scores) VALUES (?1, ?2, ?3) \
                         ON CONFLICT (article_id) DO UPDATE SET ids = excluded.ids, scores = excluded.scores",
                    )
                    .map_err(store_err)?;
                // A full rebuild (a list for every article) empties the table in one statement,
                // so lists of articles that no longer have neighbours do not linger.
                let articles: i64 = tx
                    .query_row("SELECT COUNT(*) FROM articles", [], |r| r.get(0))
                    .map_err(store_err)?;
                if lists.len() as i64 >= articles {
                    tx.execute("DELETE FROM related", []).map_err(store_err)?;
                }
                for (id, list) in &lists {
                    let (ids, scores) = related::encode_list(list);
                    put.execute(params![id, ids, scores]).map_err(store_err)?;
                }
            }
            tx.execute("UPDATE meta SET value = value + 1 WHERE name = 'generation'", [])
                .map_err(store_err)?;
            tx.commit().map_err(store_err)
        })
        .await
    }

    async fn threading_corpus(&self) -> Result<Vec<ThreadDoc>, StoreError> {
        self.read(storylines::threading_corpus).await
    }

    async fn unthreaded_articles(&self, after_id: i64) -> Result<Vec<ThreadDoc>, StoreError> {
        self.read(move |conn| storylines::unthreaded(conn, after_id))
            .await
    }

    async fn threading_generation(&self) -> Result<i64, StoreError> {
        self.read(|conn| {
            conn.prepare_cached("SELECT value FROM meta WHERE name = 'threading_generation'")?
                .query_row([], |r| r.get(0))
        })
        .await
    }

    async fn assign_storylines(
        &self,
        assignments: &[NewAssignment],
    ) -> Result<Vec<i64>, StoreError> {
        let assignments = assignments.to_vec();
        self.write(move |conn| storylines::assign(conn, &assignments).map_err(store_err))
            .await
    }

    async fn storyline_of(&self, article_id: i64) -> Result<Option<i64>, StoreError> {
        self.read(move |conn| storylines::storyline_of(conn, article_id))
            .await
    }

    async fn storyline_summary(
        &self,
        id: i64,
        lang: Language,
    ) -> Result<Option<StorylineSummary>, StoreError> {
        self.read(move |conn| storylines::summary(conn, id, lang))
            .await
    }

    async fn storyline_page(
        &self,
        id: i64,
        lang: Language,
        page: u64,
    ) -> Result<Option<StorylineDetail>, StoreError> {
        self.read(move |conn| storylines::detail(conn, id, lang, page))
            .await
    }

    async fn recent_storylines(
        &self,
        lang: Language,
        limit: u64,
    ) -> Result<Vec<StorylineSummary>, StoreError> {
        self.read(move |conn| storylines::recent(conn, lang, limit, false))
            .await
    }

    async fn shown_storylines(
        &self,
        lang: Language,
        limit: u64,
    ) -> Result<Vec<StorylineSummary>, StoreError> {
        self.read(move |conn| storylines::recent(conn, lang, limit, true))
            .await
    }

    async fn related_storylines(
        &self,
        id: i64,
        lang: Language,
        limit: u64,
    ) -> Result<Vec<StorylineSummary>, StoreError> {
        self.read(move |conn| storylines::related(conn, id, lang, limit))
            .await
    }

    async fn rename_storyline(&self, id: i64, title: Option<String>) -> Result<(), EditError> {
        let title = trendwatch_core::storyline::check_title(title).map_err(EditError::Invalid)?;
        self.edit(move |conn| storylines::rename(conn, id, title))
            .await
    }

    async fn merge_storylines(&self, from: i64, into: i64) -> Result<(), EditError> {
        self.edit(move |conn| storylines::merge(conn, from, into))
            .await
    }

    async fn move_article(&self, article_id: i64, to: Option<i64>) -> Result<i64, EditError> {
        self.edit(move |conn| storylines::move_article(conn, article_id, to))
            .await
    }

    async fn split_storyline(&self, id: i64, from_article: i64) -> Result<i64, EditError> {
        self.edit(move |conn| storylines::split(conn, id, from_article))
            .await
    }

    async fn forecasts(
        &self,
        lang: Language,
        topic: Option<&str>,
        author: Option<&str>,
    ) -> Result<Vec<ForecastEntry>, StoreError> {
        let (topic, author) = (topic.map(str::to_string), author.map(str::to_string));
        self.read(move |conn| forecasts::list(conn, lang, topic.as_deref(), author.as_deref()))
            .await
    }

    async fn overdue_forecasts(&self, today: time::Date) -> Result<Vec<ForecastEntry>, StoreError> {
        self.read(move |conn| forecasts::overdue(conn, today)).await
    }

    async fn resolve_forecast(&self, id: i64, outcome: Outcome) -> Result<(), EditError> {
        self.edit(move |conn| forecasts::resolve(conn, id, outcome))
            .await
    }

    async fn generation(&self) -> Result<i64, StoreError> {
        self.read(|conn| {
            conn.prepare_cached("SELECT value FROM meta WHERE name = 'generation'")?
                .query_row([], |r| r.get(0))
        })
        .await
    }

    async fn count_articles(&self) -> Result<Vec<(Language, u64)>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT lang, COUNT(*) FROM articles GROUP BY lang ORDER BY lang",
            )?;
            let v = stmt
                .query_map([], |r| Ok((rows::lang(r, 0)?, r.get::<_, i64>(1)? as u64)))?
                .collect();
            v
        })
        .await
    }

    async fn create_user(&self, user: &NewUser) -> Result<i64, EditError> {
        let user = user.clone();
        self.edit(move |conn| {
            accounts::create_user(conn, &user)
                .map_err(|e| EditError::Backend(store_err(e)))?
                .ok_or_else(|| EditError::Invalid(format!("{} already has an account", user.email)))
        })
        .await
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<StoredUser>, StoreError> {
        let email = email.to_string();
        self.read(move |conn| accounts::user_by_email(conn, &email))
            .await
    }

    async fn users(&self) -> Result<Vec<User>, StoreError> {
        self.read(accounts::users).await
    }

    async fn set_user_disabled(&self, id: i64, disabled: bool) -> Result<(), EditError> {
        self.edit(
            move |conn| match accounts::set_disabled(conn, id, disabled) {
                Ok(true) => Ok(()),
                Ok(false) => Err(EditError::NotFound(format!("no account {id}"))),
                Err(e) => Err(EditError::Backend(store_err(e))),
            },
        )
        .await
    }

    async fn set_password_hash(&self, id: i64, password_hash: &str) -> Result<(), EditError> {
        let hash = password_hash.to_string();
        self.edit(
            move |conn| match accounts::set_password_hash(conn, id, &hash) {
                Ok(true) => Ok(()),
                Ok(false) => Err(EditError::NotFound(format!("no account {id}"))),
                Err(e) => Err(EditError::Backend(store_err(e))),
            },
        )
        .await
    }

    async fn create_session(
        &self,
        token_hash: &[u8],
        user_id: i64,
        at: time::OffsetDateTime,
    ) -> Result<(), StoreError> {
        let hash = token_hash.to_vec();
        self.write(move |conn| {
            accounts::create_session(conn, &hash, user_id, at).map_err(store_err)
        })
        .await
    }

    async fn session(&self, token_hash: &[u8]) -> Result<Option<Session>, StoreError> {
        let hash = token_hash.to_vec();
        self.read(move |conn| accounts::session(conn, &hash)).await
    }

    async fn touch_session(
        &self,
        token_hash: &[u8],
        at: time::OffsetDateTime,
    ) -> Result<(), StoreError> {
        let hash = token_hash.to_vec();
        self.write(move |conn| accounts::touch_session(conn, &hash, at).map_err(store_err))
            .await
    }

    async fn end_session(&self, token_hash: &[u8]) -> Result<(), StoreError> {
        let hash = token_hash.to_vec();
        self.write(move |conn| accounts::end_session(conn, &hash).map_err(store_err))
            .await
    }

    async fn end_sessions_of(&self, user_id: i64) -> Result<u64, StoreError> {
        self.write(move |conn| accounts::end_sessions_of(conn, user_id).map_err(store_err))
            .await
    }

    async fn create_password_reset(
        &self,
        token_hash: &[u8],
        user_id: i64,
        at: time::OffsetDateTime,
        expires_at: time::OffsetDateTime,
    ) -> Result<(), StoreError> {
        let hash = token_hash.to_vec();
        self.write(move |conn| {
            accounts::create_password_reset(conn, &hash, user_id, at, expires_at).map_err(store_err)
        })
        .await
    }

    async fn password_reset_user(
        &self,
        token_hash: &[u8],
        now: time::OffsetDateTime,
    ) -> Result<Option<i64>, StoreError> {
        let hash = token_hash.to_vec();
        self.read(move |conn| accounts::password_reset_user(conn, &hash, now))
            .await
    }

    async fn use_password_reset(
        &self,
        token_hash: &[u8],
        password_hash: &str,
        now: time::OffsetDateTime,
    ) -> Result<Option<i64>, StoreError> {
        let (hash, password_hash) = (token_hash.to_vec(), password_hash.to_string());
        self.write(move |conn| {
            accounts::use_password_reset(conn, &hash, &password_hash, now).map_err(store_err)
        })
        .await
    }

    async fn create_invitation(
        &self,
        token_hash: &[u8],
        invitation: &Invitation,
        at: time::OffsetDateTime,
    ) -> Result<(), StoreError> {
        let (hash, invitation) = (token_hash.to_vec(), invitation.clone());
        self.write(move |conn| {
            accounts::create_invitation(conn, &hash, &invitation, at).map_err(store_err)
        })
        .await
    }

    async fn invitation(&self, token_hash: &[u8]) -> Result<Option<Invitation>, StoreError> {
        let hash = token_hash.to_vec();
        self.read(move |conn| accounts::invitation(conn, &hash))
            .await
    }

    async fn accept_invitation(&self, token_hash: &[u8], user: &NewUser) -> Result<i64, EditError> {
        let (hash, user) = (token_hash.to_vec(), user.clone());
        self.edit(move |conn| {
            accounts::accept_invitation(conn, &hash, &user)
                .map_err(|e| EditError::Backend(store_err(e)))?
                .ok_or_else(|| {
                    EditError::Invalid(
                        "this invitation was already used, or the address has an account".into(),
                    )
                })
        })
        .await
    }

    async fn throttle_failure(
        &self,
        scope: &str,
        key: &str,
        at: time::OffsetDateTime,
        forgive_after: Option<std::time::Duration>,
    ) -> Result<u32, StoreError> {
        let (scope, key) = (scope.to_string(), key.to_string());
        self.write(move |conn| {
            throttles::failure(conn, &scope, &key, at, forgive_after).map_err(store_err)
        })
        .await
    }

    async fn throttle_success(
        &self,
        scope: &str,
        key: &str,
        at: time::OffsetDateTime,
    ) -> Result<(), StoreError> {
        let (scope, key) = (scope.to_string(), key.to_string());
        self.write(move |conn| throttles::success(conn, &scope, &key, at).map_err(store_err))
            .await
    }

    async fn throttle_row(
        &self,
        scope: &str,
        key: &str,
    ) -> Result<Option<trendwatch_store::ThrottleRow>, StoreError> {
        let (scope, key) = (scope.to_string(), key.to_string());
        self.read(move |conn| throttles::row(conn, &scope, &key))
            .await
    }

    async fn throttle_changes(
        &self,
        since: time::OffsetDateTime,
    ) -> Result<Vec<trendwatch_store::ThrottleRow>, StoreError> {
        self.read(move |conn| throttles::changes(conn, since)).await
    }

    async fn try_lock_job(
        &self,
        name: &str,
    ) -> Result<Option<trendwatch_store::JobLock>, StoreError> {
        job_locks::try_lock(&self.inner.data_dir, name)
    }

    async fn record_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let entry = entry.clone();
        self.write(move |conn| accounts::record_audit(conn, &entry).map_err(store_err))
            .await
    }

    async fn audit_log(&self, limit: u64) -> Result<Vec<AuditEntry>, StoreError> {
        self.read(move |conn| accounts::audit_log(conn, limit))
            .await
    }

    async fn totp_state(&self, user_id: i64) -> Result<TotpState, StoreError> {
        self.read(move |conn| accounts::totp_state(conn, user_id))
            .await
    }

    async fn set_totp_pending(
        &self,
        user_id: i64,
        secret: Option<Vec<u8>>,
    ) -> Result<(), StoreError> {
        self.write(move |conn| {
            conn.execute(
                "UPDATE users SET totp_pending = ?2 WHERE id = ?1",
                params![user_id, secret],
            )
            .map(|_| ())
            .map_err(store_err)
        })
        .await
    }

    async fn enable_totp(
        &self,
        user_id: i64,
        secret: Vec<u8>,
        recovery_hashes: Vec<[u8; 32]>,
    ) -> Result<(), StoreError> {
        self.write(move |conn| {
            accounts::enable_totp(conn, user_id, &secret, &recovery_hashes).map_err(store_err)
        })
        .await
    }

    async fn disable_totp(&self, user_id: i64) -> Result<(), StoreError> {
        self.write(move |conn| accounts::disable_totp(conn, user_id).map_err(store_err))
            .await
    }

    async fn use_totp_step(&self, user_id: i64, step: i64) -> Result<bool, StoreError> {
        self.write(move |conn| {
            conn.execute(
                "UPDATE users SET totp_last_step = ?2 WHERE id = ?1 AND totp_last_step < ?2",
                params![user_id, step],
            )
            .map(|n| n == 1)
            .map_err(store_err)
        })
        .await
    }

    async fn use_recovery_code(
        &self,
        user_id: i64,
        code_hash: [u8; 32],
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.write(move |conn| {
            conn.execute(
                "UPDATE recovery_codes SET used_at = ?3 \
                 WHERE user_id = ?1 AND code_hash = ?2 AND used_at IS NULL",
                params![user_id, &code_hash[..], accounts::time_to_sql(at)],
            )
            .map(|n| n == 1)
            .map_err(store_err)
        })
        .await
    }

    async fn recovery_codes_left(&self, user_id: i64) -> Result<u64, StoreError> {
        self.read(move |conn| {
            conn.query_row(
                "SELECT count(*) FROM recovery_codes WHERE user_id = ?1 AND used_at IS NULL",
                [user_id],
                |r| r.get::<_, i64>(0).map(|n| n as u64),
            )
        })
        .await
    }

    async fn create_pending_login(
        &self,
        token_hash: [u8; 32],
        user_id: i64,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO pending_logins (token_hash, user_id, created_at) VALUES (?1, ?2, ?3)",
                params![&token_hash[..], user_id, accounts::time_to_sql(at)],
            )
            .map(|_| ())
            .map_err(store_err)
        })
        .await
    }

    async fn pending_login(
        &self,
        token_hash: [u8; 32],
    ) -> Result<Option<(i64, OffsetDateTime)>, StoreError> {
        self.read(move |conn| {
            conn.query_row(
                "SELECT user_id, created_at FROM pending_logins WHERE token_hash = ?1",
                [&token_hash[..]],
                |r| Ok((r.get(0)?, accounts::time_of(r, 1)?)),
            )
            .optional()
        })
        .await
    }

    async fn end_pending_login(&self, token_hash: [u8; 32]) -> Result<(), StoreError> {
        self.write(move |conn| {
            conn.execute(
                "DELETE FROM pending_logins WHERE token_hash = ?1",
                [&token_hash[..]],
            )
            .map(|_| ())
            .map_err(store_err)
        })
        .await
    }

    async fn create_api_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &[u8],
        at: OffsetDateTime,
    ) -> Result<i64, EditError> {
        let (name, hash) = (name.to_string(), token_hash.to_vec());
        self.edit(move |conn| {
            accounts::create_api_token(conn, user_id, &name, &hash, at)
                .map_err(|e| EditError::Backend(store_err(e)))
        })
        .await
    }

    async fn api_token_user(
        &self,
        token_hash: &[u8],
        at: OffsetDateTime,
    ) -> Result<Option<User>, StoreError> {
        let hash = token_hash.to_vec();
        self.write(move |conn| accounts::api_token_user(conn, &hash, at).map_err(store_err))
            .await
    }

    async fn api_tokens_of(&self, user_id: i64) -> Result<Vec<ApiTokenInfo>, StoreError> {
        self.read(move |conn| accounts::api_tokens_of(conn, user_id))
            .await
    }

    async fn revoke_api_token(
        &self,
        user_id: i64,
        id: i64,
        at: OffsetDateTime,
    ) -> Result<(), EditError> {
        self.edit(
            move |conn| match accounts::revoke_api_token(conn, user_id, id, at) {
                Ok(true) => Ok(()),
                Ok(false) => Err(EditError::NotFound(format!("no token {id}"))),
                Err(e) => Err(EditError::Backend(store_err(e))),
            },
        )
        .await
    }

    async fn create_desk_article(
        &self,
        content: &DeskContent,
        author_id: i64,
        translation_of: Option<i64>,
        at: OffsetDateTime,
    ) -> Result<i64, EditError> {
        let content = content.clone();
        self.edit(move |conn| newsroom::create(conn, &content, author_id, translation_of, at))
            .await
    }

    async fn desk_article(&self, id: i64) -> Result<Option<DeskArticle>, StoreError> {
        self.read(move |conn| newsroom::article(conn, id)).await
    }

    async fn desk_articles(&self, filter: &DeskFilter) -> Result<Vec<DeskSummary>, StoreError> {
        let filter = filter.clone();
        self.read(move |conn| newsroom::list(conn, &filter)).await
    }

    async fn desk_translations(&self, id: i64) -> Result<Vec<DeskSummary>, StoreError> {
        self.read(move |conn| newsroom::translations(conn, id))
            .await
    }

    async fn save_desk_content(
        &self,
        id: i64,
        base: i64,
        content: &DeskContent,
        by: i64,
        note: &str,
        at: OffsetDateTime,
    ) -> Result<i64, EditError> {
        let content = content.clone();
        let note = note.to_string();
        self.edit(move |conn| newsroom::save(conn, id, base, &content, by, &note, at))
            .await
    }

    async fn desk_revisions(&self, id: i64) -> Result<Vec<DeskRevision>, StoreError> {
        self.read(move |conn| newsroom::revisions(conn, id)).await
    }

    async fn set_desk_state(
        &self,
        id: i64,
        from: DeskState,
        to: DeskState,
        scheduled_at: Option<OffsetDateTime>,
        published: Option<PublishedMark>,
        by: i64,
        at: OffsetDateTime,
    ) -> Result<(), EditError> {
        self.edit(move |conn| {
            newsroom::set_state(conn, id, from, to, scheduled_at, published, by, at)
        })
        .await
    }

    async fn due_desk_articles(&self, now: OffsetDateTime) -> Result<Vec<i64>, StoreError> {
        self.read(move |conn| newsroom::due(conn, now)).await
    }

    async fn next_scheduled(&self) -> Result<Option<OffsetDateTime>, StoreError> {
        self.read(newsroom::next_scheduled).await
    }

    async fn add_desk_comment(
        &self,
        id: i64,
        by: i64,
        text: &str,
        at: OffsetDateTime,
    ) -> Result<(), EditError> {
        let text = text.to_string();
        self.edit(move |conn| newsroom::add_comment(conn, id, by, &text, at))
            .await
    }

    async fn desk_comments(&self, id: i64) -> Result<Vec<DeskComment>, StoreError> {
        self.read(move |conn| newsroom::comments(conn, id)).await
    }

    async fn lock_desk_article(
        &self,
        id: i64,
        user: i64,
        at: OffsetDateTime,
    ) -> Result<Option<DeskLock>, StoreError> {
        self.write(move |conn| newsroom::lock(conn, id, user, at).map_err(store_err))
            .await
    }

    async fn article_id_by_key(&self, key: &str) -> Result<Option<i64>, StoreError> {
        let key = key.to_string();
        self.read(move |conn| {
            conn.prepare_cached("SELECT id FROM articles WHERE key = ?1")?
                .query_row([key], |r| r.get(0))
                .optional()
        })
        .await
    }

    async fn remove_article(&self, key: &str) -> Result<Option<i64>, StoreError> {
        let key = key.to_string();
        self.write(move |conn| newsroom::remove_article(conn, &key).map_err(store_err))
            .await
    }

    async fn legacy_target(&self, path: &str) -> Result<Option<(Language, String)>, StoreError> {
        let path = path.to_string();
        self.read(move |conn| {
            conn.prepare_cached(
                "SELECT a.lang, a.slug FROM legacy_paths l JOIN articles a ON a.id = l.article_id \
                 WHERE l.path = ?1",
            )?
            .query_row([path], |r| Ok((rows::lang(r, 0)?, r.get(1)?)))
            .optional()
        })
        .await
    }

    async fn site_secret(&self, name: &str, fresh: [u8; 32]) -> Result<[u8; 32], StoreError> {
        let name = name.to_string();
        self.write(move |conn| newsletter::site_secret(conn, &name, fresh).map_err(store_err))
            .await
    }

    async fn subscribe(
        &self,
        request: &SubscriptionRequest,
        at: time::OffsetDateTime,
    ) -> Result<SubscribeOutcome, StoreError> {
        let request = request.clone();
        self.write(move |conn| newsletter::subscribe(conn, &request, at).map_err(store_err))
            .await
    }

    async fn subscriber(&self, id: i64) -> Result<Option<Subscriber>, StoreError> {
        self.read(move |conn| newsletter::subscriber(conn, id))
            .await
    }

    async fn confirm_subscriber(
        &self,
        id: i64,
        at: time::OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.write(move |conn| newsletter::confirm(conn, id, at).map_err(store_err))
            .await
    }

    async fn set_subscriber_preferences(
        &self,
        id: i64,
        language: Language,
        topics: &[String],
    ) -> Result<bool, StoreError> {
        let topics = topics.to_vec();
        self.write(move |conn| {
            newsletter::set_preferences(conn, id, language, &topics).map_err(store_err)
        })
        .await
    }

    async fn unsubscribe(&self, id: i64) -> Result<bool, StoreError> {
        self.write(move |conn| newsletter::unsubscribe(conn, id).map_err(store_err))
            .await
    }

    async fn subscriber_counts(
        &self,
        language: Language,
    ) -> Result<(u64, u64, u64, u64), StoreError> {
        self.read(move |conn| newsletter::counts(conn, language))
            .await
    }

    async fn start_digest_send(
        &self,
        period: Period,
        language: Language,
        by: Option<i64>,
        at: time::OffsetDateTime,
    ) -> Result<DigestSend, StoreError> {
        self.write(move |conn| newsletter::start(conn, period, language, by, at).map_err(store_err))
            .await
    }

    async fn digest_sends(&self, limit: u64) -> Result<Vec<DigestSend>, StoreError> {
        self.read(move |conn| newsletter::sends(conn, limit)).await
    }

    async fn digest_send(&self, id: i64) -> Result<Option<DigestSend>, StoreError> {
        self.read(move |conn| newsletter::send(conn, id)).await
    }

    async fn interrupt_digest_deliveries(&self, id: i64) -> Result<u64, StoreError> {
        self.write(move |conn| newsletter::interrupt(conn, id).map_err(store_err))
            .await
    }

    async fn claim_digest_recipient(
        &self,
        id: i64,
        at: time::OffsetDateTime,
    ) -> Result<Option<Subscriber>, StoreError> {
        self.write(move |conn| newsletter::claim(conn, id, at).map_err(store_err))
            .await
    }

    async fn finish_digest_delivery(
        &self,
        id: i64,
        subscriber: i64,
        delivery: &Delivery,
        at: time::OffsetDateTime,
    ) -> Result<(), StoreError> {
        let delivery = delivery.clone();
        self.write(move |conn| {
            newsletter::finish(conn, id, subscriber, &delivery, at).map_err(store_err)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How SQLite would run `sql`: the detail column of each step of its plan.
    fn plan(conn: &Connection, sql: &str) -> String {
        let mut stmt = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("plan");
        // The plan does not depend on the values; every parameter is bound to NULL.
        let nulls = vec![Value::Null; stmt.parameter_count()];
        let steps = stmt
            .query_map(rusqlite::params_from_iter(nulls), |r| r.get::<_, String>(3))
            .expect("steps")
            .collect::<rusqlite::Result<Vec<_>>>()
            .expect("read");
        steps.join("; ")
    }

    /// A read takes whichever reader is free: with every reader but one held by others, it
    /// still runs at once (taking readers strictly in turn made it wait for a busy one), and
    /// the pool's figures count it while it runs.
    #[tokio::test]
    async fn a_read_takes_a_free_reader_and_is_counted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(dir.path()).expect("open");
        assert_eq!(
            store.pool_status(),
            PoolStatus {
                size: READERS as u32 + 1,
                in_use: 0,
                waiting: 0
            }
        );
        let inner = store.inner.clone();
        let held: Vec<_> = (0..READERS - 1)
            .map(|i| inner.readers[i].lock().expect("reader"))
            .collect();
        let counter = store.inner.clone();
        let seen = store
            .read(move |conn| {
                let in_use = counter.in_use.load(Ordering::Relaxed);
                conn.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))
                    .map(|one| (one, in_use))
            })
            .await
            .expect("read beside busy readers");
        assert_eq!(seen, (1, 1));
        drop(held);
        assert_eq!(store.pool_status().in_use, 0);
    }

    /// The listings that can hold most of the archive (a tag on every article, a prolific
    /// author) must page through an index in order, never sort every match's row: that sort
    /// read each row past its body and cost 80 ms a page at 10,000 articles. A storyline is
    /// small and must start from its members, not from the language's index.
    #[test]
    fn listings_follow_their_indexes() {
        let dir = tempfile::tempdir().expect("tempdir");
        drop(SqliteStore::open(dir.path()).expect("open"));
        let conn = Connection::open(dir.path().join(DB_FILE)).expect("connection");
        for (listing, index) in [
            (
                Listing::Tag("t".into()),
                "COVERING INDEX article_tags_in_order",
            ),
            (
                Listing::Author("n".into()),
                "COVERING INDEX article_authors_in_order",
            ),
            (Listing::All, "COVERING INDEX articles_by_lang_period"),
        ] {
            let (rows, _) = listing_rows(&listing);
            // (The page's own articles, twenty at most, are sorted again once read.)
            for sql in [
                listing_ids_sql(&listing),
                format!("SELECT COUNT(*) FROM {rows}"),
                format!("SELECT o.period_key / 100 AS y, COUNT(*) FROM {rows} GROUP BY y"),
            ] {
                let steps = plan(&conn, &sql);
                assert!(
                    steps.contains(index)
                        && !steps.contains("TEMP B-TREE FOR ORDER BY")
                        && !steps.contains("SCAN"),
                    "{listing:?}: {sql}: {steps}"
                );
            }
        }
        // A week: the week's own rows, whatever the order asked for.
        let week = plan(&conn, &week_sql());
        assert!(
            week.contains("articles_by_lang_period (lang=? AND period_key=?)"),
            "week: {week}"
        );
        let page = plan(&conn, &listing_sql(&Listing::Storyline(1)));
        assert!(
            !page.contains("articles_by_lang_period"),
            "storyline: {page}"
        );
        let detail = plan(&conn, &storylines::detail_sql());
        assert!(
            !detail.contains("articles_by_lang_period"),
            "storyline page: {detail}"
        );
    }
}
