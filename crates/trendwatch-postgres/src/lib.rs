//! The PostgreSQL backend of [`trendwatch_store::Store`], for offices that outgrow one
//! machine: several web nodes share one database.
//!
//! The same rules as the SQLite backend hold here, and the same test suite
//! (`trendwatch-store-suite`) proves them. What differs is concurrency: SQLite has one
//! writer by construction, while here several nodes write at once. Every transaction that
//! reads before it writes (an article's rule checks, a desk save's revision check, the
//! threader's assignments, the digest queue) first takes one transaction-scoped advisory
//! lock, [`WRITE_LOCK`], so those transactions run one at a time across all nodes, as they do
//! on SQLite. Single-statement writes (a session touched, an audit line) do not take it.
//!
//! sqlx drives the connections: an async pool with per-connection statement caches, so the
//! web layer never blocks a runtime thread on the network.

mod accounts;
mod forecasts;
mod job_locks;
pub mod load;
pub mod migrations;
mod newsletter;
mod newsroom;
mod related;
mod rows;
mod storylines;
pub mod testing;
mod throttles;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::AssertSqlSafe;
use sqlx::{Connection, PgConnection, PgPool, Row};
use std::str::FromStr;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
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
    ArticlePage, EditError, Listing, Page, PoolStatus, SitemapArticle, SitemapStoryline, Store,
    StoreError, WriteError, WriteOutcome,
};

use rows::{R, SUMMARY_COLUMNS};
use storylines::{STORYLINE_COLUMNS, SUMMARY_OF_ARTICLE_JOIN};

/// The name of the database inside a backup (`pg_dump --format=custom`, restored with
/// `pg_restore`).
pub const DUMP_FILE: &str = "trendwatch.pgdump";

/// The advisory lock that serialises read-then-write transactions across every node.
pub const WRITE_LOCK: i64 = 0x7472_656e_6477_0002;

/// How to reach the database and how many connections to keep.
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// A `postgres://` URL (user, password, host or socket directory, database).
    pub url: String,
    /// Most connections this process opens.
    pub max_connections: u32,
    /// How long a request waits for a free connection (or for the database to answer a new
    /// one) before it fails with a clear error.
    pub acquire_timeout: Duration,
}

impl PgOptions {
    /// Defaults for `url`: 16 connections, 5 s to get one.
    pub fn new(url: impl Into<String>) -> PgOptions {
        PgOptions {
            url: url.into(),
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

/// A Trendwatch archive in a PostgreSQL database. Cheap to clone.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    /// The URL, for `pg_dump` (backups); never logged, it may hold a password.
    url: Arc<str>,
    /// Callers waiting for a connection (sqlx does not count them).
    waiting: Arc<AtomicUsize>,
    /// Articles when this process last refreshed the planner's statistics, and written
    /// since (see [`PgStore::analyze_after_writing`]).
    articles_at_analyze: Arc<AtomicI64>,
    written_since_analyze: Arc<AtomicI64>,
}

/// Failures of the database as the trait's error types.
trait Db<T> {
    fn db(self) -> Result<T, StoreError>;
    fn edit(self) -> Result<T, EditError>;
}

/// Whether `e` means the server cannot be reached now (rather than a wrong query or data):
/// connections refused or cut, no free connection in time, the server shutting down or
/// starting (SQLSTATE class 08 and 57P01–57P03).
fn unreachable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => d
            .code()
            .is_some_and(|c| c.starts_with("08") || matches!(&*c, "57P01" | "57P02" | "57P03")),
        _ => false,
    }
}

impl<T> Db<T> for Result<T, sqlx::Error> {
    fn db(self) -> Result<T, StoreError> {
        self.map_err(|e| {
            if unreachable(&e) {
                StoreError::unavailable(format!("postgres: {e}"))
            } else {
                StoreError(format!("postgres: {e}"))
            }
        })
    }
    fn edit(self) -> Result<T, EditError> {
        self.db().map_err(EditError::Backend)
    }
}

/// Takes [`WRITE_LOCK`] until the end of the current transaction.
pub(crate) async fn write_lock(c: &mut PgConnection) -> R<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(WRITE_LOCK)
        .execute(c)
        .await
        .map(|_| ())
}

/// Advances the named counters of `meta` by one.
pub(crate) async fn bump(c: &mut PgConnection, names: &[&str]) -> R<()> {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    sqlx::query("UPDATE meta SET value = value + 1 WHERE name = ANY($1)")
        .bind(names)
        .execute(c)
        .await
        .map(|_| ())
}

/// Records that `ids` changed in the current text generation (see [`Store::text_changes`]),
/// pruning what is older than [`trendwatch_store::TEXT_CHANGES_KEPT`] generations.
pub(crate) async fn log_text_changes(c: &mut PgConnection, ids: &[i64]) -> R<()> {
    sqlx::query(
        "INSERT INTO text_changes (generation, article_id) \
         SELECT (SELECT value FROM meta WHERE name = 'text_generation'), id \
         FROM unnest($1::bigint[]) AS id ON CONFLICT DO NOTHING",
    )
    .bind(ids)
    .execute(&mut *c)
    .await?;
    let keep_after = meta(c, "text_generation").await? - trendwatch_store::TEXT_CHANGES_KEPT;
    let pruned =
        sqlx::query("UPDATE meta SET value = $1 WHERE name = 'text_log_from' AND value < $1")
            .bind(keep_after)
            .execute(&mut *c)
            .await?
            .rows_affected();
    if pruned > 0 {
        sqlx::query("DELETE FROM text_changes WHERE generation <= $1")
            .bind(keep_after)
            .execute(c)
            .await?;
    }
    Ok(())
}

async fn meta(c: &mut PgConnection, name: &str) -> R<i64> {
    sqlx::query_scalar("SELECT value FROM meta WHERE name = $1")
        .bind(name)
        .fetch_one(c)
        .await
}

impl PgStore {
    /// Connects, applying pending migrations (once, under a lock, however many nodes start
    /// together).
    pub async fn connect(options: &PgOptions) -> Result<PgStore, StoreError> {
        let connect = PgConnectOptions::from_str(&options.url)
            .map_err(|e| {
                StoreError(format!(
                    "database url: {e} (expected postgres://user:password@host:port/database)"
                ))
            })?
            // Plan each prepared statement once per connection, not on every execution. Left
            // to itself, PostgreSQL re-planned the article page's statements each time (a fifth
            // of the server's CPU under load); its own objection to generic plans, skewed
            // values, does not apply to key lookups like these. A plan made on a table without
            // statistics is not kept: `ANALYZE` invalidates it (see `analyze_after_writing`).
            .options([("plan_cache_mode", "force_generic_plan")]);
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.acquire_timeout)
            // No ping before every use: an article page takes a connection several times, and
            // each ping was a round trip. A connection the server dropped fails its next
            // statement instead; the pool discards it, and that request answers 503.
            .test_before_acquire(false)
            .connect_with(connect)
            .await
            .map_err(|e| StoreError(format!("cannot connect to PostgreSQL: {e}")))?;
        let mut conn = pool.acquire().await.db()?;
        let applied = migrations::apply(&mut conn)
            .await
            .map_err(|e| StoreError(format!("PostgreSQL migrations: {e}")))?;
        if !applied.is_empty() {
            tracing::info!(migrations = ?applied, "PostgreSQL schema migrated");
        }
        // The planner's own estimate (no scan at start): 0 before the first ANALYZE.
        let articles: i64 = sqlx::query_scalar(
            "SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE oid = 'articles'::regclass",
        )
        .fetch_one(&mut *conn)
        .await
        .db()?;
        drop(conn);
        Ok(PgStore {
            pool,
            url: options.url.as_str().into(),
            waiting: Arc::new(AtomicUsize::new(0)),
            articles_at_analyze: Arc::new(AtomicI64::new(articles)),
            written_since_analyze: Arc::new(AtomicI64::new(0)),
        })
    }

    /// A connection from the pool, counted as waiting while there is none.
    async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Postgres>, StoreError> {
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let c = self.pool.acquire().await;
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        c.db()
    }

    /// A transaction, counted as [`PgStore::conn`] is.
    async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let tx = self.pool.begin().await;
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        tx.db()
    }

    /// A transaction holding [`WRITE_LOCK`].
    async fn begin_locked(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        let mut tx = self.begin().await?;
        write_lock(&mut tx).await.db()?;
        Ok(tx)
    }

    /// Refreshes the planner's statistics of the article tables once the articles written
    /// by this process since the last refresh are as many as were there then (and at least
    /// 200). An article's write runs statements prepared once per connection, and the plan
    /// PostgreSQL keeps for them was made from the statistics of the moment: made while an
    /// import's first batch saw nearly empty tables, it looked slugs up through the wrong
    /// index and read every article of the language (5 ms an article at 10,000). New
    /// statistics make it plan them again. (Autovacuum refreshes them too, but only after a
    /// minute, when an import is over.)
    async fn analyze_after_writing(&self, written: usize) {
        let since = self
            .written_since_analyze
            .fetch_add(written as i64, Ordering::Relaxed)
            + written as i64;
        let at = self.articles_at_analyze.load(Ordering::Relaxed);
        if since < at.max(200) {
            return;
        }
        self.written_since_analyze
            .fetch_sub(since, Ordering::Relaxed);
        self.articles_at_analyze.fetch_add(since, Ordering::Relaxed);
        // The statements of a write look rows up in `articles` alone (the lists are only
        // inserted into); the other tables are left to autovacuum.
        let analyzed = sqlx::query("ANALYZE articles").execute(&self.pool).await;
        if let Err(e) = analyzed {
            tracing::warn!(error = %e, "statistics of the article tables not refreshed");
        }
    }

    /// The pool itself, for tools that copy archives between backends.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// What the archive rules ask of the database about one article about to be written.
struct Checked {
    /// The id of its earlier version (same key), if any.
    existing: Option<i64>,
    neighbours: archive_rules::Neighbours,
    /// Whether its slug, and the slug dated with its publication day, are taken by others.
    slug_taken: bool,
    dated_taken: bool,
}

/// What the archive rules (`trendwatch_core::archive_rules`) ask about each of `articles`,
/// in one statement however many there are: round trips dominate an import. Each answer
/// reflects the database as it is, not the articles before it in the list.
async fn check_articles(c: &mut PgConnection, articles: &[&NewArticle]) -> R<Vec<Checked>> {
    let column = |f: fn(&NewArticle) -> Option<String>| -> Vec<Option<String>> {
        articles.iter().map(|a| f(a)).collect()
    };
    let found = sqlx::query(
        "SELECT (SELECT id FROM articles WHERE key = n.key), \
                w.key, w.title, \
                (SELECT key FROM articles WHERE n.grp IS NOT NULL AND translation_group = n.grp \
                   AND lang = n.lang AND key <> n.key LIMIT 1), \
                EXISTS (SELECT 1 FROM articles WHERE lang = n.lang AND slug = n.slug AND key <> n.key), \
                EXISTS (SELECT 1 FROM articles WHERE lang = n.lang AND slug = n.dated AND key <> n.key) \
         FROM unnest($1::text[], $2::bool[], $3::text[], $4::int[], $5::text[], $6::text[], \
                     $7::text[], $8::text[]) WITH ORDINALITY \
              AS n(key, claims, topic, period, lang, grp, slug, dated, ord) \
         LEFT JOIN LATERAL (SELECT key, title FROM articles WHERE n.claims \
                AND kind = 'weekly' AND topic = n.topic AND period_key = n.period \
                AND lang = n.lang AND key <> n.key LIMIT 1) w ON TRUE \
         ORDER BY n.ord",
    )
    .bind(column(|a| Some(a.key.clone())))
    .bind(
        articles
            .iter()
            .map(|a| archive_rules::claimed_week(a).is_some())
            .collect::<Vec<bool>>(),
    )
    .bind(column(|a| Some(a.topic.clone())))
    .bind(articles.iter().map(|a| a.period.key()).collect::<Vec<i32>>())
    .bind(column(|a| Some(a.lang.code().to_string())))
    .bind(column(|a| a.translation_group.clone()))
    .bind(column(|a| Some(a.slug.clone())))
    .bind(column(|a| Some(format!("{}-{}", a.slug, a.published_at.date()))))
    .fetch_all(c)
    .await?;
    rows::all(found, |row| {
        let week_key: Option<String> = row.try_get(1)?;
        let week_title: Option<String> = row.try_get(2)?;
        Ok(Checked {
            existing: row.try_get(0)?,
            neighbours: archive_rules::Neighbours {
                week_holder: week_key.zip(week_title),
                translation_holder: row.try_get(3)?,
            },
            slug_taken: row.try_get(4)?,
            dated_taken: row.try_get(5)?,
        })
    })
}

/// Checks the rules one article must satisfy against what is stored, then writes it with its
/// authors, tags and listed-similar titles. The caller rolls back on any error.
#[allow(clippy::result_large_err)]
async fn write_one(c: &mut PgConnection, a: &NewArticle) -> Result<WriteOutcome, WriteError> {
    let backend = |e: sqlx::Error| WriteError::Backend(format!("database: {e}"));
    let checked = check_articles(&mut *c, &[a])
        .await
        .map_err(backend)?
        .pop()
        .ok_or_else(|| WriteError::Backend("database: no answer to the check".into()))?;
    write_checked(c, a, checked).await
}

/// What the archive rules (`trendwatch_core::archive_rules`) decide for `a`, given what the
/// database holds around it: refused, or written under the slug returned.
#[allow(clippy::result_large_err)]
fn decide(a: &NewArticle, checked: Checked) -> Result<String, WriteError> {
    let dated = format!("{}-{}", a.slug, a.published_at.date());
    archive_rules::check(a, checked.neighbours)?;
    archive_rules::slug(a, |candidate| {
        Ok::<bool, WriteError>(if candidate == a.slug {
            checked.slug_taken
        } else if candidate == dated {
            checked.dated_taken
        } else {
            true
        })
    })?
}

/// Inserts new articles, each under the slug chosen for it, with all their lists, in one
/// statement; returns their ids in order. Their keys are distinct and none is the
/// `duplicate_of` of another (such articles are written one by one). A refused constraint
/// fails the whole statement: the caller then writes the batch article by article.
async fn insert_new(c: &mut PgConnection, new: &[(&NewArticle, String)]) -> R<Vec<i64>> {
    let text = |f: &dyn Fn(&NewArticle) -> Option<String>| -> Vec<Option<String>> {
        new.iter().map(|(a, _)| f(a)).collect()
    };
    // The lists, flattened: the owner's key, then the item (positions from 0).
    let (mut au_key, mut au_pos, mut au_name) = (Vec::new(), Vec::new(), Vec::new());
    let (mut tg_key, mut tg_tag) = (Vec::new(), Vec::new());
    let (mut ls_key, mut ls_pos, mut ls_title) = (Vec::new(), Vec::new(), Vec::new());
    let (mut lp_key, mut lp_path) = (Vec::new(), Vec::new());
    let (mut fc_key, mut fc_pos, mut fc_statement, mut fc_probability, mut fc_date, mut fc_outcome) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for (a, _) in new {
        for (i, name) in a.authors.iter().enumerate() {
            au_key.push(a.key.as_str());
            au_pos.push(i as i64);
            au_name.push(name.as_str());
        }
        for tag in &a.tags {
            tg_key.push(a.key.as_str());
            tg_tag.push(tag.as_str());
        }
        for (i, title) in a.similar_titles.iter().enumerate() {
            ls_key.push(a.key.as_str());
            ls_pos.push(i as i64);
            ls_title.push(title.as_str());
        }
        for path in &a.legacy_paths {
            lp_key.push(a.key.as_str());
            lp_path.push(path.as_str());
        }
        for (i, f) in a.forecasts.iter().enumerate() {
            fc_key.push(a.key.as_str());
            fc_pos.push(i as i64);
            fc_statement.push(f.statement.as_str());
            fc_probability.push(f.probability);
            fc_date.push(f.resolve_by);
            fc_outcome.push(f.outcome.map(|o| o.code().to_string()));
        }
    }
    let found = sqlx::query(
        "WITH n AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], \
                 $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamp[], $10::int[], \
                 $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], \
                 $17::text[], $18::text[], $19::text[], $20::text[], $21::timestamp[], $22::text[]) \
               WITH ORDINALITY AS n(key, lang, kind, topic, title, lead, body_html, body_text, \
                 published_at, period_key, status, rationale, alert, image_url, image_credit, \
                 source_url, slug, translation_group, duplicate_key, image_alt, updated_at, \
                 correction, ord)), \
         a AS (INSERT INTO articles (key, lang, kind, topic, title, lead, body_html, body_text, \
                 published_at, period_key, status, rationale, alert, image_url, image_credit, \
                 source_url, slug, translation_group, duplicate_of, image_alt, updated_at, \
                 correction) \
               SELECT key, lang, kind, topic, title, lead, body_html, body_text, published_at, \
                 period_key, status, rationale, alert, image_url, image_credit, source_url, slug, \
                 translation_group, (SELECT d.id FROM articles d WHERE d.key = n.duplicate_key), \
                 image_alt, updated_at, correction FROM n ORDER BY n.ord \
               RETURNING id, key, lang, period_key, published_at), \
         au AS (INSERT INTO article_authors (article_id, position, name, lang, period_key, \
                 published_at) \
               SELECT a.id, x.pos, x.name, a.lang, a.period_key, a.published_at \
               FROM unnest($23::text[], $24::bigint[], $25::text[]) AS x(key, pos, name) \
               JOIN a ON a.key = x.key), \
         tg AS (INSERT INTO article_tags (article_id, tag, lang, period_key, published_at) \
               SELECT a.id, x.tag, a.lang, a.period_key, a.published_at \
               FROM unnest($26::text[], $27::text[]) AS x(key, tag) JOIN a ON a.key = x.key \
               ON CONFLICT DO NOTHING), \
         ls AS (INSERT INTO article_listed_similar (article_id, position, title) \
               SELECT a.id, x.pos, x.title \
               FROM unnest($28::text[], $29::bigint[], $30::text[]) AS x(key, pos, title) \
               JOIN a ON a.key = x.key), \
         lp AS (INSERT INTO legacy_paths (path, article_id) \
               SELECT x.path, a.id FROM unnest($31::text[], $32::text[]) AS x(key, path) \
               JOIN a ON a.key = x.key \
               ON CONFLICT (path) DO UPDATE SET article_id = excluded.article_id), \
         fc AS (INSERT INTO forecasts (article_id, position, statement, probability, \
                 resolve_by, outcome) \
               SELECT a.id, x.pos, x.s, x.p, x.d, x.o \
               FROM unnest($33::text[], $34::bigint[], $35::text[], $36::float8[], $37::date[], \
                 $38::text[]) AS x(key, pos, s, p, d, o) JOIN a ON a.key = x.key \
               ON CONFLICT (article_id, statement) DO NOTHING) \
         SELECT id, key FROM a",
    )
    .bind(text(&|a| Some(a.key.clone())))
    .bind(text(&|a| Some(a.lang.code().to_string())))
    .bind(text(&|a| Some(a.kind.code().to_string())))
    .bind(text(&|a| Some(a.topic.clone())))
    .bind(text(&|a| Some(a.title.clone())))
    .bind(text(&|a| Some(a.lead.clone())))
    .bind(text(&|a| Some(a.body_html.clone())))
    .bind(text(&|a| Some(a.body_text.clone())))
    .bind(new.iter().map(|(a, _)| a.published_at).collect::<Vec<_>>())
    .bind(new.iter().map(|(a, _)| a.period.key()).collect::<Vec<i32>>())
    .bind(text(&|a| Some(a.status.code().to_string())))
    .bind(text(&|a| Some(a.rationale.clone())))
    .bind(text(&|a| Some(a.alert.code().to_string())))
    .bind(text(&|a| a.image_url.clone()))
    .bind(text(&|a| a.image_credit.clone()))
    .bind(text(&|a| a.source_url.clone()))
    .bind(new.iter().map(|(_, slug)| slug.as_str()).collect::<Vec<&str>>())
    .bind(text(&|a| a.translation_group.clone()))
    .bind(text(&|a| a.duplicate_of.clone()))
    .bind(text(&|a| a.image_alt.clone()))
    .bind(new.iter().map(|(a, _)| a.updated_at).collect::<Vec<_>>())
    .bind(text(&|a| a.correction.clone()))
    .bind(au_key)
    .bind(au_pos)
    .bind(au_name)
    .bind(tg_key)
    .bind(tg_tag)
    .bind(ls_key)
    .bind(ls_pos)
    .bind(ls_title)
    .bind(lp_key)
    .bind(lp_path)
    .bind(fc_key)
    .bind(fc_pos)
    .bind(fc_statement)
    .bind(fc_probability)
    .bind(fc_date)
    .bind(fc_outcome)
    .fetch_all(&mut *c)
    .await?;
    let ids: std::collections::HashMap<String, i64> = rows::all(found, |r| {
        Ok((r.try_get::<String, _>(1)?, r.try_get::<i64, _>(0)?))
    })?
    .into_iter()
    .collect();
    new.iter()
        .map(|(a, _)| {
            ids.get(&a.key)
                .copied()
                .ok_or_else(|| rows::bad(0, format!("no id returned for {}", a.key)))
        })
        .collect()
}

/// Inserts the `pending` new articles (see [`insert_new`]) and records them as created;
/// `false` when the statement failed (the transaction is then aborted).
async fn flush_new(
    c: &mut PgConnection,
    pending: &mut Vec<(&NewArticle, String)>,
    results: &mut Vec<Result<WriteOutcome, WriteError>>,
) -> bool {
    if pending.is_empty() {
        return true;
    }
    match insert_new(c, pending).await {
        Ok(ids) => {
            for id in ids {
                results.push(Ok(WriteOutcome::Created(id)));
            }
            pending.clear();
            true
        }
        Err(e) => {
            tracing::debug!(error = %e, "a batch's new articles were refused together; writing them one by one");
            false
        }
    }
}

/// Writes one article whole, `checked` being what the database holds around it now.
// The slug closure's error is the rules' own (large) error type, as for `write_one`.
#[allow(clippy::result_large_err)]
async fn write_checked(
    c: &mut PgConnection,
    a: &NewArticle,
    checked: Checked,
) -> Result<WriteOutcome, WriteError> {
    let backend = |e: sqlx::Error| WriteError::Backend(format!("database: {e}"));
    let lang = a.lang.code();
    let existing = checked.existing;
    let slug = decide(a, checked)?;
    // A new article goes in as a batch's new articles do, with its lists.
    let Some(id) = existing else {
        let ids = insert_new(c, &[(a, slug)]).await.map_err(backend)?;
        let id = ids
            .first()
            .copied()
            .ok_or_else(|| WriteError::Backend("database: no id returned".into()))?;
        return Ok(WriteOutcome::Created(id));
    };
    // A rewritten one replaces its row, then its lists.
    sqlx::query(
        "UPDATE articles SET key = $1, lang = $2, kind = $3, topic = $4, title = $5, \
         lead = $6, body_html = $7, body_text = $8, published_at = $9, period_key = $10, \
         status = $11, rationale = $12, alert = $13, image_url = $14, image_credit = $15, \
         source_url = $16, slug = $17, translation_group = $18, \
         duplicate_of = (SELECT id FROM articles WHERE key = $19), image_alt = $20, \
         updated_at = $21, correction = $22 WHERE id = $23",
    )
    .bind(&a.key)
    .bind(lang)
    .bind(a.kind.code())
    .bind(&a.topic)
    .bind(&a.title)
    .bind(&a.lead)
    .bind(&a.body_html)
    .bind(&a.body_text)
    .bind(a.published_at)
    .bind(a.period.key())
    .bind(a.status.code())
    .bind(&a.rationale)
    .bind(a.alert.code())
    .bind(&a.image_url)
    .bind(&a.image_credit)
    .bind(&a.source_url)
    .bind(&slug)
    .bind(&a.translation_group)
    .bind(&a.duplicate_of)
    .bind(&a.image_alt)
    .bind(a.updated_at)
    .bind(&a.correction)
    .bind(id)
    .execute(&mut *c)
    .await
    .map_err(backend)?;
    sqlx::query(
        "WITH a AS (DELETE FROM article_authors WHERE article_id = $1), \
              t AS (DELETE FROM article_tags WHERE article_id = $1) \
         DELETE FROM article_listed_similar WHERE article_id = $1",
    )
    .bind(id)
    .execute(&mut *c)
    .await
    .map_err(backend)?;
    let outcome = WriteOutcome::Updated(id);
    // Each list in one statement, whatever its length.
    if !a.authors.is_empty() {
        sqlx::query(
            "INSERT INTO article_authors (article_id, position, name, lang, period_key, published_at) \
             SELECT $1, n.ord - 1, n.name, $3, $4, $5 FROM unnest($2::text[]) WITH ORDINALITY AS n(name, ord)",
        )
        .bind(id)
        .bind(&a.authors)
        .bind(lang)
        .bind(a.period.key())
        .bind(a.published_at)
        .execute(&mut *c)
        .await
        .map_err(backend)?;
    }
    if !a.tags.is_empty() {
        sqlx::query(
            "INSERT INTO article_tags (article_id, tag, lang, period_key, published_at) \
             SELECT $1, t, $3, $4, $5 FROM unnest($2::text[]) AS t ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(&a.tags)
        .bind(lang)
        .bind(a.period.key())
        .bind(a.published_at)
        .execute(&mut *c)
        .await
        .map_err(backend)?;
    }
    if !a.similar_titles.is_empty() {
        sqlx::query(
            "INSERT INTO article_listed_similar (article_id, position, title) \
             SELECT $1, s.ord - 1, s.title FROM unnest($2::text[]) WITH ORDINALITY AS s(title, ord)",
        )
        .bind(id)
        .bind(&a.similar_titles)
        .execute(&mut *c)
        .await
        .map_err(backend)?;
    }
    if !a.legacy_paths.is_empty() {
        sqlx::query(
            "INSERT INTO legacy_paths (path, article_id) SELECT p, $1 FROM unnest($2::text[]) AS p \
             ON CONFLICT (path) DO UPDATE SET article_id = excluded.article_id",
        )
        .bind(id)
        .bind(&a.legacy_paths)
        .execute(&mut *c)
        .await
        .map_err(backend)?;
    }
    forecasts::write(c, id, &a.forecasts)
        .await
        .map_err(backend)?;
    Ok(outcome)
}

/// The columns [`article_row`] reads, with the original of a linked copy as `o` and the
/// article's lists as arrays (one round trip for a whole article).
const ARTICLE_COLUMNS: &str = "a.id, a.key, a.lang, a.kind, a.topic, a.title, a.lead, \
     a.body_html, a.body_text, a.published_at, a.period_key, a.status, a.rationale, a.alert, \
     a.image_url, a.image_credit, a.source_url, a.slug, a.translation_group, o.key, o.slug, \
     o.title, a.image_alt, a.updated_at, a.correction, \
     ARRAY(SELECT w.name FROM article_authors w WHERE w.article_id = a.id ORDER BY w.position), \
     ARRAY(SELECT g.tag FROM article_tags g WHERE g.article_id = a.id ORDER BY g.tag), \
     ARRAY(SELECT ls.title FROM article_listed_similar ls WHERE ls.article_id = a.id ORDER BY ls.position), \
     (EXISTS (SELECT 1 FROM forecasts f WHERE f.article_id = a.id) \
      OR (a.translation_group IS NOT NULL AND EXISTS (SELECT 1 FROM articles tr \
          JOIN forecasts f ON f.article_id = tr.id WHERE tr.translation_group = a.translation_group)))";

/// The number of [`ARTICLE_COLUMNS`].
const ARTICLE_COLUMN_COUNT: usize = 29;

/// The tables [`ARTICLE_COLUMNS`] come from.
const ARTICLE_FROM: &str = "FROM articles a LEFT JOIN articles o ON o.id = a.duplicate_of";

/// Whether the article of a row of [`ARTICLE_COLUMNS`] shows forecasts (its own or a
/// translation's): most make none, and asking only then saves a statement a page.
fn shows_forecasts(r: &PgRow) -> R<bool> {
    r.try_get(ARTICLE_COLUMN_COUNT - 1)
}

/// An article from a row of [`ARTICLE_COLUMNS`], without its forecasts.
fn article_row(r: &PgRow) -> R<Article> {
    Ok(Article {
        id: r.try_get(0)?,
        content: NewArticle {
            key: r.try_get(1)?,
            lang: rows::lang(r, 2)?,
            kind: rows::parsed(r, 3)?,
            topic: r.try_get(4)?,
            title: r.try_get(5)?,
            lead: r.try_get(6)?,
            body_html: r.try_get(7)?,
            body_text: r.try_get(8)?,
            published_at: r.try_get(9)?,
            period: rows::period(r, 10)?,
            status: rows::parsed(r, 11)?,
            rationale: r.try_get(12)?,
            alert: rows::parsed(r, 13)?,
            image_url: r.try_get(14)?,
            image_credit: r.try_get(15)?,
            image_alt: r.try_get(22)?,
            source_url: r.try_get(16)?,
            slug: r.try_get(17)?,
            translation_group: r.try_get(18)?,
            authors: r.try_get(25)?,
            tags: r.try_get(26)?,
            similar_titles: r.try_get(27)?,
            duplicate_of: r.try_get(19)?,
            forecasts: Vec::new(),
            updated_at: r.try_get(23)?,
            correction: r.try_get(24)?,
            legacy_paths: Vec::new(),
        },
        copy_of: match (r.try_get(20)?, r.try_get(21)?) {
            (Some(slug), Some(title)) => Some(trendwatch_core::article::CopyOf { slug, title }),
            _ => None,
        },
    })
}

/// An article's similar articles (up to `limit`, as [`Store::similar`] lists them) and, when
/// `with_translations`, its translations (as [`Store::translations`] does): one statement,
/// as every article page asks for them.
async fn article_lists(
    c: &mut PgConnection,
    article: &Article,
    limit: u64,
    with_translations: bool,
) -> R<(Vec<ArticleSummary>, Vec<ArticleSummary>)> {
    // Editors' decisions come first and always hold: pins lead the list in the order they
    // were made, exclusions never appear. Ordering and exclusion happen here rather than in
    // SQL, because a sort and an anti-join per branch made this the costliest statement of
    // the page.
    const PIN: i32 = 0;
    const EXCLUDED: i32 = 3;
    const TRANSLATION: i32 = 4;
    let group = &article.content.translation_group;
    let not_own_translation = "a.id <> $1 AND ($3::text IS NULL OR a.translation_group IS NULL \
         OR a.translation_group <> $3)";
    let own_list = if article.content.similar_titles.is_empty() {
        String::new()
    } else {
        format!(
            "UNION ALL \
             SELECT {SUMMARY_COLUMNS}, 1, s.position FROM article_listed_similar s \
               JOIN articles a ON a.title = s.title AND a.lang = $2 \
               WHERE s.article_id = $1 AND {not_own_translation} "
        )
    };
    let translations = if with_translations && group.is_some() {
        format!(
            "UNION ALL \
             SELECT {SUMMARY_COLUMNS}, {TRANSLATION}, 0 FROM articles a \
               WHERE a.translation_group = $3 AND a.id <> $1 "
        )
    } else {
        String::new()
    };
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, CASE o.kind WHEN 'pin' THEN {PIN} ELSE {EXCLUDED} END, \
                o.created FROM related_overrides o \
           JOIN articles a ON a.id = o.related_id \
           WHERE o.article_id = $1 AND a.lang = $2 \
         {own_list}{translations}\
         UNION ALL \
         SELECT {SUMMARY_COLUMNS}, 2, j.ord FROM related r \
           CROSS JOIN LATERAL unnest(r.ids) WITH ORDINALITY AS j(id, ord) \
           JOIN articles a ON a.id = j.id \
           WHERE r.article_id = $1 AND a.lang = $2 AND {not_own_translation}"
    );
    let found = sqlx::query(AssertSqlSafe(sql))
        .bind(article.id)
        .bind(article.content.lang.code())
        .bind(group)
        .fetch_all(c)
        .await?;
    let mut ranked: Vec<(i32, i64, ArticleSummary)> = Vec::with_capacity(found.len());
    for row in &found {
        ranked.push((row.try_get(13)?, row.try_get(14)?, rows::summary(row)?));
    }
    ranked.sort_by(|(src, ord, a), (other_src, other_ord, b)| {
        (src, ord, a.lang.code()).cmp(&(other_src, other_ord, b.lang.code()))
    });
    let excluded: Vec<i64> = ranked
        .iter()
        .filter(|(src, _, _)| *src == EXCLUDED)
        .map(|(_, _, s)| s.id)
        .collect();
    let (mut similar, mut translations) = (Vec::new(), Vec::new());
    for (src, _, s) in ranked {
        if src == TRANSLATION {
            translations.push(s);
            continue;
        }
        let shown = src == PIN
            || (src != EXCLUDED
                && !excluded.contains(&s.id)
                && !similar.iter().any(|l: &ArticleSummary| l.id == s.id));
        if shown && similar.len() < limit as usize {
            similar.push(s);
        }
    }
    Ok((similar, translations))
}

/// What a listing's `$2` is bound to.
enum ListingValue {
    None,
    Text(String),
    Id(i64),
}

fn listing_value(listing: &Listing) -> ListingValue {
    match listing {
        Listing::All => ListingValue::None,
        Listing::Topic(t) | Listing::Tag(t) | Listing::Author(t) => ListingValue::Text(t.clone()),
        Listing::Storyline(id) => ListingValue::Id(*id),
    }
}

/// Binds a listing's value as the query's next parameter (`$2`): its text, its id, or a
/// NULL text for the whole edition.
macro_rules! bind_value {
    ($q:expr, $v:expr) => {
        match $v {
            ListingValue::None => $q.bind(None::<String>),
            ListingValue::Text(t) => $q.bind(t.clone()),
            ListingValue::Id(id) => $q.bind(*id),
        }
    };
}

/// Runs a query of [`SUMMARY_COLUMNS`] on connection `$c`: a future of the summaries.
macro_rules! summaries {
    ($c:expr, $q:expr $(,)?) => {
        async {
            let found: Vec<PgRow> = match $q.fetch_all(&mut *$c).await {
                Ok(found) => found,
                Err(e) => return Err(e),
            };
            rows::all(found, rows::summary)
        }
    };
}

/// The condition on `articles a` of a listing in a language (`$1`) with its value (`$2`).
fn listing_filter(listing: &Listing) -> &'static str {
    match listing {
        Listing::All => "a.lang = $1 AND $2::text IS NULL",
        Listing::Topic(_) => "a.lang = $1 AND a.topic = $2",
        Listing::Tag(_) => {
            "a.lang = $1 AND a.id IN (SELECT g.article_id FROM article_tags g WHERE g.tag = $2)"
        }
        Listing::Author(_) => {
            "a.lang = $1 AND a.id IN (SELECT w.article_id FROM article_authors w WHERE w.name = $2)"
        }
        Listing::Storyline(_) => {
            "a.lang = $1 AND a.id IN \
             (SELECT x.article_id FROM article_storylines x WHERE x.storyline_id = $2)"
        }
    }
}

/// Where a listing's articles are found in publication order (a relation aliased `o`,
/// filtered by `$1` and `$2`), and the expression of the article's id in it. Tags and
/// authors keep their article's language and dates, so they read one index range.
fn listing_rows(listing: &Listing) -> (&'static str, &'static str) {
    match listing {
        Listing::Tag(_) => (
            "article_tags o WHERE o.lang = $1 AND o.tag = $2",
            "o.article_id",
        ),
        Listing::Author(_) => (
            "article_authors o WHERE o.lang = $1 AND o.name = $2",
            "o.article_id",
        ),
        Listing::All => ("articles o WHERE o.lang = $1 AND $2::text IS NULL", "o.id"),
        Listing::Topic(_) => ("articles o WHERE o.lang = $1 AND o.topic = $2", "o.id"),
        Listing::Storyline(_) => (
            "articles o WHERE o.lang = $1 AND o.id IN \
             (SELECT x.article_id FROM article_storylines x WHERE x.storyline_id = $2)",
            "o.id",
        ),
    }
}

/// One page of a listing, newest first: `$3` and `$4` the limit and offset.
fn listing_sql(listing: &Listing) -> String {
    let (rows, id) = listing_rows(listing);
    format!(
        "SELECT {SUMMARY_COLUMNS} FROM articles a WHERE a.id IN (\
           SELECT {id} FROM {rows} ORDER BY o.period_key DESC, o.published_at DESC, {id} DESC \
           LIMIT $3 OFFSET $4) \
         ORDER BY a.period_key DESC, a.published_at DESC, a.id DESC"
    )
}

/// The newest (`MAX`) or oldest (`MIN`) week with a commentary in `lang`.
async fn period_bound(
    c: &mut PgConnection,
    bound: &'static str,
    lang: Language,
) -> R<Option<Period>> {
    let key: Option<i32> = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT {bound}(period_key) FROM articles WHERE lang = $1 AND kind = 'weekly'"
    )))
    .bind(lang.code())
    .fetch_one(c)
    .await?;
    Ok(key.and_then(|k| Period::from_key(k).ok()))
}

#[async_trait]
impl Store for PgStore {
    fn pool_status(&self) -> PoolStatus {
        let size = self.pool.size();
        let idle = u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX);
        PoolStatus {
            size,
            in_use: size.saturating_sub(idle),
            waiting: u32::try_from(self.waiting.load(Ordering::Relaxed)).unwrap_or(u32::MAX),
        }
    }

    async fn write_articles(
        &self,
        articles: &[NewArticle],
    ) -> Result<Vec<Result<WriteOutcome, WriteError>>, StoreError> {
        // One transaction per batch, each article whole or not at all. Most batches are
        // written whole, so they are first tried without a savepoint per article; a batch
        // where some article fails is rolled back and written again, one savepoint each.
        let mut tx = self.begin_locked().await?;
        let mut results = Vec::with_capacity(articles.len());
        // The whole batch checked in one statement, and its new articles inserted together
        // in one more: round trips and statements dominate an import. An article that an
        // earlier one of the batch may affect, and a rewrite, are written alone, after the
        // ones before them, and the former checked again first.
        let all: Vec<&NewArticle> = articles.iter().collect();
        let checks = check_articles(&mut tx, &all).await.db()?;
        let rewrites: Vec<bool> = checks.iter().map(|c| c.existing.is_some()).collect();
        let mut pending: Vec<(&NewArticle, String)> = Vec::new();
        let mut refused = false;
        for (i, (a, checked)) in articles.iter().zip(checks).enumerate() {
            let affected = articles[..i]
                .iter()
                .zip(&rewrites)
                .any(|(earlier, rewrite)| archive_rules::may_depend_on(a, earlier, *rewrite));
            let copies_pending = a
                .duplicate_of
                .as_ref()
                .is_some_and(|k| pending.iter().any(|(p, _)| &p.key == k));
            if !affected && !copies_pending && checked.existing.is_none() {
                match decide(a, checked) {
                    Ok(slug) => pending.push((a, slug)),
                    Err(_) => {
                        refused = true;
                        break;
                    }
                }
                continue;
            }
            if !flush_new(&mut tx, &mut pending, &mut results).await {
                refused = true;
                break;
            }
            let written = if affected {
                write_one(&mut tx, a).await
            } else {
                write_checked(&mut tx, a, checked).await
            };
            match written {
                Ok(outcome) => results.push(Ok(outcome)),
                Err(_) => {
                    refused = true;
                    break;
                }
            }
        }
        if !refused && !flush_new(&mut tx, &mut pending, &mut results).await {
            results.clear();
        }
        if results.len() < articles.len() {
            tx.rollback().await.db()?;
            tx = self.begin_locked().await?;
            results.clear();
            for a in articles {
                let mut sp = Connection::begin(&mut *tx).await.db()?;
                // A refused constraint rolls back to the savepoint: that article alone is
                // rejected. A lost connection fails the rollback, and the batch with it.
                let result = write_one(&mut sp, a).await;
                match result {
                    Ok(_) => sp.commit().await.db()?,
                    Err(_) => sp.rollback().await.db()?,
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
            storylines::refresh_stats_of_articles(&mut tx, &updated)
                .await
                .db()?;
            bump(
                &mut tx,
                &["generation", "text_generation", "threading_generation"],
            )
            .await
            .db()?;
            let written: Vec<i64> = results
                .iter()
                .filter_map(|r| r.as_ref().ok().map(|o| o.id()))
                .collect();
            log_text_changes(&mut tx, &written).await.db()?;
        }
        tx.commit().await.db()?;
        self.analyze_after_writing(results.iter().filter(|r| r.is_ok()).count())
            .await;
        Ok(results)
    }

    async fn article(&self, lang: Language, slug: &str) -> Result<Option<Article>, StoreError> {
        let mut c = self.conn().await?;
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ARTICLE_COLUMNS} {ARTICLE_FROM} WHERE a.lang = $1 AND a.slug = $2"
        )))
        .bind(lang.code())
        .bind(slug)
        .fetch_optional(&mut *c)
        .await
        .db()?;
        let Some(row) = row else {
            return Ok(None);
        };
        let mut article = article_row(&row).db()?;
        if shows_forecasts(&row).db()? {
            article.content.forecasts =
                forecasts::of_article(&mut c, article.id, lang).await.db()?;
        }
        Ok(Some(article))
    }

    async fn feed_articles(
        &self,
        lang: Language,
        listing: &Listing,
        limit: u64,
    ) -> Result<Vec<Article>, StoreError> {
        let mut c = self.conn().await?;
        let sql = format!(
            "SELECT {ARTICLE_COLUMNS} {ARTICLE_FROM} WHERE {} AND a.duplicate_of IS NULL \
             ORDER BY a.published_at DESC, a.id DESC LIMIT $3",
            listing_filter(listing)
        );
        let q = bind_value!(
            sqlx::query(AssertSqlSafe(sql.clone())).bind(lang.code()),
            &listing_value(listing)
        )
        .bind(limit as i64);
        let found = q.fetch_all(&mut *c).await.db()?;
        let mut articles = Vec::with_capacity(found.len());
        for row in &found {
            let mut a = article_row(row).db()?;
            if shows_forecasts(row).db()? {
                a.content.forecasts = forecasts::of_article(&mut c, a.id, lang).await.db()?;
            }
            articles.push(a);
        }
        Ok(articles)
    }

    async fn snapshot(&self, dest: &std::path::Path) -> Result<(), StoreError> {
        // pg_dump reads one snapshot of the whole database while the site keeps serving and
        // writing: the consistent copy a backup needs, in PostgreSQL's own restorable format.
        let out = tokio::process::Command::new("pg_dump")
            .arg("--format=custom")
            .arg("--no-owner")
            .arg("--file")
            .arg(dest)
            .arg("--dbname")
            .arg(&*self.url)
            .output()
            .await
            .map_err(|e| {
                StoreError(format!(
                    "a backup of a PostgreSQL archive runs pg_dump, which could not be started \
                     ({e}); install PostgreSQL's client programs"
                ))
            })?;
        if !out.status.success() {
            return Err(StoreError(format!(
                "pg_dump failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(())
    }

    fn snapshot_file_name(&self) -> &'static str {
        DUMP_FILE
    }

    async fn sitemap_articles(&self) -> Result<Vec<SitemapArticle>, StoreError> {
        let found = sqlx::query(
            "SELECT lang, slug, published_at, translation_group, period_key FROM articles \
             WHERE duplicate_of IS NULL ORDER BY published_at, id",
        )
        .fetch_all(&self.pool)
        .await
        .db()?;
        rows::all(found, |r| {
            Ok(SitemapArticle {
                lang: rows::lang(r, 0)?,
                slug: r.try_get(1)?,
                published_at: r.try_get(2)?,
                group: r.try_get(3)?,
                period: rows::period(r, 4)?,
            })
        })
        .db()
    }

    async fn sitemap_storylines(&self) -> Result<Vec<SitemapStoryline>, StoreError> {
        let found = sqlx::query(AssertSqlSafe(format!(
            "SELECT storyline_id, lang, last_published_at FROM storyline_stats \
             WHERE {} ORDER BY storyline_id, lang",
            trendwatch_store::SHOWN_STORYLINES_SQL
        )))
        .fetch_all(&self.pool)
        .await
        .db()?;
        rows::all(found, |r| {
            Ok(SitemapStoryline {
                id: r.try_get(0)?,
                lang: rows::lang(r, 1)?,
                last_published_at: r.try_get(2)?,
            })
        })
        .db()
    }

    async fn translations(
        &self,
        group: &str,
        except_id: i64,
    ) -> Result<Vec<ArticleSummary>, StoreError> {
        let mut c = self.conn().await?;
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM articles a \
             WHERE a.translation_group = $1 AND a.id <> $2 ORDER BY a.lang"
        );
        summaries!(
            c,
            sqlx::query(AssertSqlSafe(sql.clone()))
                .bind(group)
                .bind(except_id)
        )
        .await
        .db()
    }

    async fn latest_period(&self, lang: Language) -> Result<Option<Period>, StoreError> {
        let mut c = self.conn().await?;
        period_bound(&mut c, "MAX", lang).await.db()
    }

    async fn first_period(&self, lang: Language) -> Result<Option<Period>, StoreError> {
        let mut c = self.conn().await?;
        period_bound(&mut c, "MIN", lang).await.db()
    }

    async fn week(
        &self,
        lang: Language,
        period: Period,
    ) -> Result<Vec<ArticleSummary>, StoreError> {
        let mut c = self.conn().await?;
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM articles a WHERE a.lang = $1 AND a.period_key = $2 \
             AND a.kind = 'weekly' ORDER BY a.topic"
        );
        summaries!(
            c,
            sqlx::query(AssertSqlSafe(sql.clone()))
                .bind(lang.code())
                .bind(period.key()),
        )
        .await
        .db()
    }

    async fn weekly_between(
        &self,
        lang: Language,
        from: Period,
        to: Period,
    ) -> Result<Vec<ArticleSummary>, StoreError> {
        let mut c = self.conn().await?;
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM articles a WHERE a.lang = $1 AND a.kind = 'weekly' \
             AND a.period_key BETWEEN $2 AND $3 ORDER BY a.period_key, a.topic"
        );
        summaries!(
            c,
            sqlx::query(AssertSqlSafe(sql.clone()))
                .bind(lang.code())
                .bind(from.key())
                .bind(to.key()),
        )
        .await
        .db()
    }

    async fn adjacent_periods(
        &self,
        lang: Language,
        period: Period,
    ) -> Result<(Option<Period>, Option<Period>), StoreError> {
        let row = sqlx::query(
            "SELECT (SELECT MAX(period_key) FROM articles WHERE lang = $1 AND kind = 'weekly' AND period_key < $2), \
                    (SELECT MIN(period_key) FROM articles WHERE lang = $1 AND kind = 'weekly' AND period_key > $2)",
        )
        .bind(lang.code())
        .bind(period.key())
        .fetch_one(&self.pool)
        .await
        .db()?;
        let (prev, next): (Option<i32>, Option<i32>) = (row.try_get(0).db()?, row.try_get(1).db()?);
        Ok((
            prev.and_then(|k| Period::from_key(k).ok()),
            next.and_then(|k| Period::from_key(k).ok()),
        ))
    }

    async fn listing(
        &self,
        lang: Language,
        listing: &Listing,
        offset: u64,
        limit: u64,
    ) -> Result<Page<ArticleSummary>, StoreError> {
        let value = listing_value(listing);
        let (rows, _) = listing_rows(listing);
        let mut c = self.conn().await?;
        let count = format!("SELECT COUNT(*) FROM {rows}");
        let total: i64 = bind_value!(sqlx::query(AssertSqlSafe(count)).bind(lang.code()), &value)
            .fetch_one(&mut *c)
            .await
            .and_then(|r| r.try_get(0))
            .db()?;
        drop(c);
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
        let value = listing_value(listing);
        let mut c = self.conn().await?;
        let page = listing_sql(listing);
        let q = bind_value!(sqlx::query(AssertSqlSafe(page)).bind(lang.code()), &value)
            .bind(limit as i64)
            .bind(offset as i64);
        summaries!(c, q).await.db()
    }

    async fn listing_years(
        &self,
        lang: Language,
        listing: &Listing,
    ) -> Result<Vec<(i32, u64)>, StoreError> {
        let (rows, _) = listing_rows(listing);
        let sql = format!(
            "SELECT o.period_key / 100 AS y, COUNT(*) FROM {rows} GROUP BY y ORDER BY y DESC"
        );
        let found = bind_value!(
            sqlx::query(AssertSqlSafe(sql.clone())).bind(lang.code()),
            &listing_value(listing)
        )
        .fetch_all(&self.pool)
        .await
        .db()?;
        let counts = rows::all(found, |r| {
            Ok((r.try_get::<i32, _>(0)?, r.try_get::<i64, _>(1)?))
        })
        .db()?;
        let mut before = 0u64;
        Ok(counts
            .into_iter()
            .map(|(year, n)| {
                let at = (year, before);
                before += n as u64;
                at
            })
            .collect())
    }

    async fn similar(
        &self,
        article: &Article,
        limit: u64,
    ) -> Result<Vec<ArticleSummary>, StoreError> {
        let mut c = self.conn().await?;
        let (similar, _) = article_lists(&mut c, article, limit, false).await.db()?;
        Ok(similar)
    }

    async fn similarity_corpus(&self) -> Result<Vec<SimilarityDoc>, StoreError> {
        let mut c = self.conn().await?;
        related::similarity_docs(&mut c, None).await.db()
    }

    async fn similarity_docs(&self, ids: Vec<i64>) -> Result<Vec<SimilarityDoc>, StoreError> {
        let mut c = self.conn().await?;
        related::similarity_docs(&mut c, Some(&ids)).await.db()
    }

    async fn related_lists(&self, ids: Vec<i64>) -> Result<Vec<(i64, Vec<Scored>)>, StoreError> {
        let mut c = self.conn().await?;
        related::lists(&mut c, &ids).await.db()
    }

    async fn set_related_override(
        &self,
        article: i64,
        related_id: i64,
        kind: Option<RelatedOverride>,
    ) -> Result<(), EditError> {
        let mut tx = self.begin().await?;
        related::set_override(&mut tx, article, related_id, kind).await?;
        tx.commit().await.edit()
    }

    async fn related_overrides(
        &self,
        article: i64,
    ) -> Result<Vec<(i64, RelatedOverride)>, StoreError> {
        let mut c = self.conn().await?;
        related::overrides(&mut c, article).await.db()
    }

    async fn article_texts(&self, ids: Option<Vec<i64>>) -> Result<Vec<ArticleText>, StoreError> {
        let mut c = self.conn().await?;
        related::article_texts(&mut c, ids.as_deref()).await.db()
    }

    async fn text_generation(&self) -> Result<i64, StoreError> {
        let mut c = self.conn().await?;
        meta(&mut c, "text_generation").await.db()
    }

    async fn text_changes(&self, after: i64) -> Result<Option<Vec<i64>>, StoreError> {
        let mut c = self.conn().await?;
        if after < meta(&mut c, "text_log_from").await.db()? {
            return Ok(None);
        }
        sqlx::query_scalar(
            "SELECT DISTINCT article_id FROM text_changes WHERE generation > $1 ORDER BY article_id",
        )
        .bind(after)
        .fetch_all(&mut *c)
        .await
        .db()
        .map(Some)
    }

    async fn derived_generation(&self) -> Result<i64, StoreError> {
        let mut c = self.conn().await?;
        meta(&mut c, "derived_generation").await.db()
    }

    async fn set_derived_generation(&self, g: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE meta SET value = $1 WHERE name = 'derived_generation'")
            .bind(g)
            .execute(&self.pool)
            .await
            .db()
            .map(|_| ())
    }

    async fn article_id_by_key(&self, key: &str) -> Result<Option<i64>, StoreError> {
        sqlx::query_scalar("SELECT id FROM articles WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .db()
    }

    async fn article_id(&self, lang: Language, slug: &str) -> Result<Option<i64>, StoreError> {
        sqlx::query_scalar("SELECT id FROM articles WHERE lang = $1 AND slug = $2")
            .bind(lang.code())
            .bind(slug)
            .fetch_optional(&self.pool)
            .await
            .db()
    }

    async fn replace_related(&self, lists: &[(i64, Vec<Scored>)]) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        related::replace(&mut tx, lists).await.db()?;
        bump(&mut tx, &["generation"]).await.db()?;
        tx.commit().await.db()
    }

    async fn threading_corpus(&self) -> Result<Vec<ThreadDoc>, StoreError> {
        let mut c = self.conn().await?;
        storylines::threading_corpus(&mut c).await.db()
    }

    async fn unthreaded_articles(&self, after_id: i64) -> Result<Vec<ThreadDoc>, StoreError> {
        let mut c = self.conn().await?;
        storylines::unthreaded(&mut c, after_id).await.db()
    }

    async fn threading_generation(&self) -> Result<i64, StoreError> {
        let mut c = self.conn().await?;
        meta(&mut c, "threading_generation").await.db()
    }

    async fn assign_storylines(
        &self,
        assignments: &[NewAssignment],
    ) -> Result<Vec<i64>, StoreError> {
        let mut tx = self.begin_locked().await?;
        let created = storylines::assign(&mut tx, assignments).await.db()?;
        tx.commit().await.db()?;
        Ok(created)
    }

    async fn storyline_of(&self, article_id: i64) -> Result<Option<i64>, StoreError> {
        let mut c = self.conn().await?;
        storylines::storyline_of(&mut c, article_id).await.db()
    }

    async fn storyline_summary(
        &self,
        id: i64,
        lang: Language,
    ) -> Result<Option<StorylineSummary>, StoreError> {
        let mut c = self.conn().await?;
        storylines::summary(&mut c, id, lang).await.db()
    }

    async fn article_page(
        &self,
        lang: Language,
        slug: &str,
        similar: u64,
    ) -> Result<Option<ArticlePage>, StoreError> {
        // Two statements where the parts would take five: the article with its storyline's
        // summary, then its similar articles with its translations (and its forecasts only
        // when it shows any). Each statement costs PostgreSQL more to start than to run.
        let mut c = self.conn().await?;
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ARTICLE_COLUMNS}, {STORYLINE_COLUMNS} {ARTICLE_FROM} {SUMMARY_OF_ARTICLE_JOIN} \
             WHERE a.lang = $1 AND a.slug = $2"
        )))
        .bind(lang.code())
        .bind(slug)
        .fetch_optional(&mut *c)
        .await
        .db()?;
        let Some(row) = row else {
            return Ok(None);
        };
        let mut article = article_row(&row).db()?;
        if shows_forecasts(&row).db()? {
            article.content.forecasts =
                forecasts::of_article(&mut c, article.id, lang).await.db()?;
        }
        let storyline = storylines::summary_at(&row, ARTICLE_COLUMN_COUNT).db()?;
        let (similar, translations) = article_lists(&mut c, &article, similar, true).await.db()?;
        Ok(Some(ArticlePage {
            article,
            translations,
            similar,
            storyline,
        }))
    }

    async fn storyline_page(
        &self,
        id: i64,
        lang: Language,
        page: u64,
    ) -> Result<Option<StorylineDetail>, StoreError> {
        let mut c = self.conn().await?;
        storylines::detail(&mut c, id, lang, page).await.db()
    }

    async fn recent_storylines(
        &self,
        lang: Language,
        limit: u64,
    ) -> Result<Vec<StorylineSummary>, StoreError> {
        let mut c = self.conn().await?;
        storylines::recent(&mut c, lang, limit, false).await.db()
    }

    async fn shown_storylines(
        &self,
        lang: Language,
        limit: u64,
    ) -> Result<Vec<StorylineSummary>, StoreError> {
        let mut c = self.conn().await?;
        storylines::recent(&mut c, lang, limit, true).await.db()
    }

    async fn related_storylines(
        &self,
        id: i64,
        lang: Language,
        limit: u64,
    ) -> Result<Vec<StorylineSummary>, StoreError> {
        let mut c = self.conn().await?;
        storylines::related(&mut c, id, lang, limit).await.db()
    }

    async fn rename_storyline(&self, id: i64, title: Option<String>) -> Result<(), EditError> {
        let title = trendwatch_core::storyline::check_title(title).map_err(EditError::Invalid)?;
        let mut tx = self.begin_locked().await?;
        storylines::rename(&mut tx, id, title).await?;
        tx.commit().await.edit()
    }

    async fn merge_storylines(&self, from: i64, into: i64) -> Result<(), EditError> {
        if from == into {
            return Err(EditError::Invalid(format!(
                "cannot merge storyline {from} into itself"
            )));
        }
        let mut tx = self.begin_locked().await?;
        storylines::merge(&mut tx, from, into).await?;
        tx.commit().await.edit()
    }

    async fn move_article(&self, article_id: i64, to: Option<i64>) -> Result<i64, EditError> {
        let mut tx = self.begin_locked().await?;
        let target = storylines::move_article(&mut tx, article_id, to).await?;
        tx.commit().await.edit()?;
        Ok(target)
    }

    async fn split_storyline(&self, id: i64, from_article: i64) -> Result<i64, EditError> {
        let mut tx = self.begin_locked().await?;
        let new = storylines::split(&mut tx, id, from_article).await?;
        tx.commit().await.edit()?;
        Ok(new)
    }

    async fn forecasts(
        &self,
        lang: Language,
        topic: Option<&str>,
        author: Option<&str>,
    ) -> Result<Vec<ForecastEntry>, StoreError> {
        let mut c = self.conn().await?;
        forecasts::list(&mut c, lang, topic, author).await.db()
    }

    async fn overdue_forecasts(&self, today: time::Date) -> Result<Vec<ForecastEntry>, StoreError> {
        let mut c = self.conn().await?;
        forecasts::overdue(&mut c, today).await.db()
    }

    async fn resolve_forecast(&self, id: i64, outcome: Outcome) -> Result<(), EditError> {
        let mut tx = self.begin().await?;
        forecasts::resolve(&mut tx, id, outcome).await?;
        tx.commit().await.edit()
    }

    async fn generation(&self) -> Result<i64, StoreError> {
        let mut c = self.conn().await?;
        meta(&mut c, "generation").await.db()
    }

    async fn count_articles(&self) -> Result<Vec<(Language, u64)>, StoreError> {
        let found = sqlx::query("SELECT lang, COUNT(*) FROM articles GROUP BY lang ORDER BY lang")
            .fetch_all(&self.pool)
            .await
            .db()?;
        rows::all(found, |r| {
            Ok((rows::lang(r, 0)?, r.try_get::<i64, _>(1)? as u64))
        })
        .db()
    }

    async fn create_user(&self, user: &NewUser) -> Result<i64, EditError> {
        let mut c = self.conn().await?;
        accounts::create_user(&mut c, user)
            .await
            .edit()?
            .ok_or_else(|| EditError::Invalid(format!("{} already has an account", user.email)))
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<StoredUser>, StoreError> {
        let mut c = self.conn().await?;
        accounts::user_by_email(&mut c, email).await.db()
    }

    async fn users(&self) -> Result<Vec<User>, StoreError> {
        let mut c = self.conn().await?;
        accounts::users(&mut c).await.db()
    }

    async fn set_user_disabled(&self, id: i64, disabled: bool) -> Result<(), EditError> {
        let mut tx = self.begin().await?;
        if !accounts::set_disabled(&mut tx, id, disabled).await.edit()? {
            return Err(EditError::NotFound(format!("no account {id}")));
        }
        tx.commit().await.edit()
    }

    async fn set_password_hash(&self, id: i64, password_hash: &str) -> Result<(), EditError> {
        let mut tx = self.begin().await?;
        if !accounts::set_password_hash(&mut tx, id, password_hash)
            .await
            .edit()?
        {
            return Err(EditError::NotFound(format!("no account {id}")));
        }
        tx.commit().await.edit()
    }

    async fn create_session(
        &self,
        token_hash: &[u8],
        user_id: i64,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at) VALUES ($1, $2, $3, $3)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(at)
        .execute(&self.pool)
        .await
        .db()
        .map(|_| ())
    }

    async fn session(&self, token_hash: &[u8]) -> Result<Option<Session>, StoreError> {
        let mut c = self.conn().await?;
        accounts::session(&mut c, token_hash).await.db()
    }

    async fn touch_session(&self, token_hash: &[u8], at: OffsetDateTime) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(at)
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .db()
            .map(|_| ())
    }

    async fn end_session(&self, token_hash: &[u8]) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .db()
            .map(|_| ())
    }

    async fn end_sessions_of(&self, user_id: i64) -> Result<u64, StoreError> {
        let mut c = self.conn().await?;
        accounts::end_sessions_of(&mut c, user_id).await.db()
    }

    async fn create_password_reset(
        &self,
        token_hash: &[u8],
        user_id: i64,
        at: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(at)
        .bind(expires_at)
        .execute(&self.pool)
        .await
        .db()
        .map(|_| ())
    }

    async fn password_reset_user(
        &self,
        token_hash: &[u8],
        now: OffsetDateTime,
    ) -> Result<Option<i64>, StoreError> {
        let mut c = self.conn().await?;
        accounts::password_reset_user(&mut c, token_hash, now)
            .await
            .db()
    }

    async fn use_password_reset(
        &self,
        token_hash: &[u8],
        password_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<i64>, StoreError> {
        let mut tx = self.begin().await?;
        let user = accounts::use_password_reset(&mut tx, token_hash, password_hash, now)
            .await
            .db()?;
        if user.is_some() {
            tx.commit().await.db()?;
        }
        Ok(user)
    }

    async fn create_invitation(
        &self,
        token_hash: &[u8],
        invitation: &Invitation,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO invitations (token_hash, email, role, invited_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash)
        .bind(&invitation.email)
        .bind(invitation.role.code())
        .bind(invitation.invited_by)
        .bind(at)
        .bind(invitation.expires_at)
        .execute(&self.pool)
        .await
        .db()
        .map(|_| ())
    }

    async fn invitation(&self, token_hash: &[u8]) -> Result<Option<Invitation>, StoreError> {
        let mut c = self.conn().await?;
        accounts::invitation(&mut c, token_hash).await.db()
    }

    async fn accept_invitation(&self, token_hash: &[u8], user: &NewUser) -> Result<i64, EditError> {
        let mut tx = self.begin().await?;
        let id = accounts::accept_invitation(&mut tx, token_hash, user)
            .await
            .edit()?
            .ok_or_else(|| {
                EditError::Invalid(
                    "this invitation was already used, or the address has an account".into(),
                )
            })?;
        tx.commit().await.edit()?;
        Ok(id)
    }

    async fn throttle_failure(
        &self,
        scope: &str,
        key: &str,
        at: time::OffsetDateTime,
        forgive_after: Option<std::time::Duration>,
    ) -> Result<u32, StoreError> {
        // Its own transaction: the count and the pruning together.
        let mut tx = self.begin().await?;
        let failures = throttles::failure(&mut tx, scope, key, at, forgive_after)
            .await
            .db()?;
        tx.commit().await.db()?;
        Ok(failures)
    }

    async fn throttle_success(
        &self,
        scope: &str,
        key: &str,
        at: time::OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut c = self.conn().await?;
        throttles::success(&mut c, scope, key, at).await.db()
    }

    async fn throttle_row(
        &self,
        scope: &str,
        key: &str,
    ) -> Result<Option<trendwatch_store::ThrottleRow>, StoreError> {
        let mut c = self.conn().await?;
        throttles::row(&mut c, scope, key).await.db()
    }

    async fn throttle_changes(
        &self,
        since: time::OffsetDateTime,
    ) -> Result<Vec<trendwatch_store::ThrottleRow>, StoreError> {
        let mut c = self.conn().await?;
        throttles::changes(&mut c, since).await.db()
    }

    async fn try_lock_job(
        &self,
        name: &str,
    ) -> Result<Option<trendwatch_store::JobLock>, StoreError> {
        job_locks::try_lock(self.conn().await?, name).await
    }

    async fn record_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO audit_log (at, actor_id, action, subject) VALUES ($1, $2, $3, $4)")
            .bind(entry.at)
            .bind(entry.actor)
            .bind(&entry.action)
            .bind(&entry.subject)
            .execute(&self.pool)
            .await
            .db()
            .map(|_| ())
    }

    async fn audit_log(&self, limit: u64) -> Result<Vec<AuditEntry>, StoreError> {
        let mut c = self.conn().await?;
        accounts::audit_log(&mut c, limit).await.db()
    }

    async fn totp_state(&self, user_id: i64) -> Result<TotpState, StoreError> {
        let mut c = self.conn().await?;
        accounts::totp_state(&mut c, user_id).await.db()
    }

    async fn set_totp_pending(
        &self,
        user_id: i64,
        secret: Option<Vec<u8>>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET totp_pending = $2 WHERE id = $1")
            .bind(user_id)
            .bind(secret)
            .execute(&self.pool)
            .await
            .db()
            .map(|_| ())
    }

    async fn enable_totp(
        &self,
        user_id: i64,
        secret: Vec<u8>,
        recovery_hashes: Vec<[u8; 32]>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        accounts::enable_totp(&mut tx, user_id, &secret, &recovery_hashes)
            .await
            .db()?;
        tx.commit().await.db()
    }

    async fn disable_totp(&self, user_id: i64) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        accounts::disable_totp(&mut tx, user_id).await.db()?;
        tx.commit().await.db()
    }

    async fn use_totp_step(&self, user_id: i64, step: i64) -> Result<bool, StoreError> {
        sqlx::query("UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2")
            .bind(user_id)
            .bind(step)
            .execute(&self.pool)
            .await
            .db()
            .map(|r| r.rows_affected() == 1)
    }

    async fn use_recovery_code(
        &self,
        user_id: i64,
        code_hash: [u8; 32],
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        sqlx::query(
            "UPDATE recovery_codes SET used_at = $3 \
             WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
        )
        .bind(user_id)
        .bind(&code_hash[..])
        .bind(at)
        .execute(&self.pool)
        .await
        .db()
        .map(|r| r.rows_affected() == 1)
    }

    async fn recovery_codes_left(&self, user_id: i64) -> Result<u64, StoreError> {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(&self.pool)
        .await
        .db()
        .map(|n| n as u64)
    }

    async fn create_pending_login(
        &self,
        token_hash: [u8; 32],
        user_id: i64,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO pending_logins (token_hash, user_id, created_at) VALUES ($1, $2, $3)",
        )
        .bind(&token_hash[..])
        .bind(user_id)
        .bind(at)
        .execute(&self.pool)
        .await
        .db()
        .map(|_| ())
    }

    async fn pending_login(
        &self,
        token_hash: [u8; 32],
    ) -> Result<Option<(i64, OffsetDateTime)>, StoreError> {
        let row =
            sqlx::query("SELECT user_id, created_at FROM pending_logins WHERE token_hash = $1")
                .bind(&token_hash[..])
                .fetch_optional(&self.pool)
                .await
                .db()?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .transpose()
            .db()
    }

    async fn end_pending_login(&self, token_hash: [u8; 32]) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM pending_logins WHERE token_hash = $1")
            .bind(&token_hash[..])
            .execute(&self.pool)
            .await
            .db()
            .map(|_| ())
    }

    async fn create_api_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &[u8],
        at: OffsetDateTime,
    ) -> Result<i64, EditError> {
        sqlx::query_scalar(
            "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id",
        )
        .bind(user_id)
        .bind(name)
        .bind(token_hash)
        .bind(at)
        .fetch_one(&self.pool)
        .await
        .edit()
    }

    async fn api_token_user(
        &self,
        token_hash: &[u8],
        at: OffsetDateTime,
    ) -> Result<Option<User>, StoreError> {
        let mut c = self.conn().await?;
        accounts::api_token_user(&mut c, token_hash, at).await.db()
    }

    async fn api_tokens_of(&self, user_id: i64) -> Result<Vec<ApiTokenInfo>, StoreError> {
        let mut c = self.conn().await?;
        accounts::api_tokens_of(&mut c, user_id).await.db()
    }

    async fn revoke_api_token(
        &self,
        user_id: i64,
        id: i64,
        at: OffsetDateTime,
    ) -> Result<(), EditError> {
        let changed = sqlx::query(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $3) \
             WHERE id = $1 AND user_id = $2",
        )
        .bind(id)
        .bind(user_id)
        .bind(at)
        .execute(&self.pool)
        .await
        .edit()?
        .rows_affected();
        if changed != 1 {
            return Err(EditError::NotFound(format!("no token {id}")));
        }
        Ok(())
    }

    async fn create_desk_article(
        &self,
        content: &DeskContent,
        author_id: i64,
        translation_of: Option<i64>,
        at: OffsetDateTime,
    ) -> Result<i64, EditError> {
        let mut tx = self.begin().await?;
        let id = newsroom::create(&mut tx, content, author_id, translation_of, at).await?;
        tx.commit().await.edit()?;
        Ok(id)
    }

    async fn desk_article(&self, id: i64) -> Result<Option<DeskArticle>, StoreError> {
        let mut c = self.conn().await?;
        newsroom::article(&mut c, id).await.db()
    }

    async fn desk_articles(&self, filter: &DeskFilter) -> Result<Vec<DeskSummary>, StoreError> {
        let mut c = self.conn().await?;
        newsroom::list(&mut c, filter).await.db()
    }

    async fn desk_translations(&self, id: i64) -> Result<Vec<DeskSummary>, StoreError> {
        let mut c = self.conn().await?;
        newsroom::translations(&mut c, id).await.db()
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
        let mut tx = self.begin().await?;
        let revision = newsroom::save(&mut tx, id, base, content, by, note, at).await?;
        tx.commit().await.edit()?;
        Ok(revision)
    }

    async fn desk_revisions(&self, id: i64) -> Result<Vec<DeskRevision>, StoreError> {
        let mut c = self.conn().await?;
        newsroom::revisions(&mut c, id).await.db()
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
        let mut c = self.conn().await?;
        newsroom::set_state(&mut c, id, from, to, scheduled_at, published, by, at).await
    }

    async fn due_desk_articles(&self, now: OffsetDateTime) -> Result<Vec<i64>, StoreError> {
        sqlx::query_scalar(
            "SELECT id FROM desk_articles WHERE state = 'scheduled' AND scheduled_at <= $1 \
             ORDER BY scheduled_at, id",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await
        .db()
    }

    async fn next_scheduled(&self) -> Result<Option<OffsetDateTime>, StoreError> {
        sqlx::query_scalar(
            "SELECT scheduled_at FROM desk_articles WHERE state = 'scheduled' \
             ORDER BY scheduled_at LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await
        .db()
        .map(Option::flatten)
    }

    async fn add_desk_comment(
        &self,
        id: i64,
        by: i64,
        text: &str,
        at: OffsetDateTime,
    ) -> Result<(), EditError> {
        let inserted = sqlx::query(
            "INSERT INTO desk_comments (desk_id, author_id, at, text) \
             SELECT id, $2, $3, $4 FROM desk_articles WHERE id = $1",
        )
        .bind(id)
        .bind(by)
        .bind(at)
        .bind(text)
        .execute(&self.pool)
        .await
        .edit()?
        .rows_affected();
        if inserted == 0 {
            return Err(EditError::NotFound(format!("no desk article {id}")));
        }
        Ok(())
    }

    async fn desk_comments(&self, id: i64) -> Result<Vec<DeskComment>, StoreError> {
        let mut c = self.conn().await?;
        newsroom::comments(&mut c, id).await.db()
    }

    async fn lock_desk_article(
        &self,
        id: i64,
        user: i64,
        at: OffsetDateTime,
    ) -> Result<Option<DeskLock>, StoreError> {
        let mut tx = self.begin().await?;
        let held = newsroom::lock(&mut tx, id, user, at).await.db()?;
        tx.commit().await.db()?;
        Ok(held)
    }

    async fn remove_article(&self, key: &str) -> Result<Option<i64>, StoreError> {
        let mut tx = self.begin_locked().await?;
        let removed = newsroom::remove_article(&mut tx, key).await.db()?;
        tx.commit().await.db()?;
        Ok(removed)
    }

    async fn legacy_target(&self, path: &str) -> Result<Option<(Language, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT a.lang, a.slug FROM legacy_paths l JOIN articles a ON a.id = l.article_id \
             WHERE l.path = $1",
        )
        .bind(path)
        .fetch_optional(&self.pool)
        .await
        .db()?;
        row.map(|r| Ok((rows::lang(&r, 0)?, r.try_get(1)?)))
            .transpose()
            .db()
    }

    async fn site_secret(&self, name: &str, fresh: [u8; 32]) -> Result<[u8; 32], StoreError> {
        let mut c = self.conn().await?;
        newsletter::site_secret(&mut c, name, fresh).await.db()
    }

    async fn subscribe(
        &self,
        request: &SubscriptionRequest,
        at: OffsetDateTime,
    ) -> Result<SubscribeOutcome, StoreError> {
        let mut tx = self.begin_locked().await?;
        let outcome = newsletter::subscribe(&mut tx, request, at).await.db()?;
        tx.commit().await.db()?;
        Ok(outcome)
    }

    async fn subscriber(&self, id: i64) -> Result<Option<Subscriber>, StoreError> {
        let mut c = self.conn().await?;
        newsletter::subscriber(&mut c, id).await.db()
    }

    async fn confirm_subscriber(&self, id: i64, at: OffsetDateTime) -> Result<bool, StoreError> {
        sqlx::query(
            "UPDATE subscribers SET state = 'confirmed', confirmed_at = $2 \
             WHERE id = $1 AND state = 'pending'",
        )
        .bind(id)
        .bind(at)
        .execute(&self.pool)
        .await
        .db()
        .map(|r| r.rows_affected() == 1)
    }

    async fn set_subscriber_preferences(
        &self,
        id: i64,
        language: Language,
        topics: &[String],
    ) -> Result<bool, StoreError> {
        sqlx::query("UPDATE subscribers SET lang = $2, topics = $3 WHERE id = $1")
            .bind(id)
            .bind(language.code())
            .bind(topics.join(","))
            .execute(&self.pool)
            .await
            .db()
            .map(|r| r.rows_affected() == 1)
    }

    async fn unsubscribe(&self, id: i64) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let changed = newsletter::unsubscribe(&mut tx, id).await.db()?;
        tx.commit().await.db()?;
        Ok(changed)
    }

    async fn subscriber_counts(
        &self,
        language: Language,
    ) -> Result<(u64, u64, u64, u64), StoreError> {
        let mut c = self.conn().await?;
        newsletter::counts(&mut c, language).await.db()
    }

    async fn start_digest_send(
        &self,
        period: Period,
        language: Language,
        by: Option<i64>,
        at: OffsetDateTime,
    ) -> Result<DigestSend, StoreError> {
        let mut tx = self.begin_locked().await?;
        let send = newsletter::start(&mut tx, period, language, by, at)
            .await
            .db()?;
        tx.commit().await.db()?;
        Ok(send)
    }

    async fn digest_sends(&self, limit: u64) -> Result<Vec<DigestSend>, StoreError> {
        let mut c = self.conn().await?;
        newsletter::sends(&mut c, limit).await.db()
    }

    async fn digest_send(&self, id: i64) -> Result<Option<DigestSend>, StoreError> {
        let mut c = self.conn().await?;
        newsletter::send(&mut c, id).await.db()
    }

    async fn interrupt_digest_deliveries(&self, id: i64) -> Result<u64, StoreError> {
        sqlx::query(
            "UPDATE digest_recipients SET state = 'interrupted' \
             WHERE send_id = $1 AND state = 'sending'",
        )
        .bind(id)
        .execute(&self.pool)
        .await
        .db()
        .map(|r| r.rows_affected())
    }

    async fn claim_digest_recipient(
        &self,
        id: i64,
        at: OffsetDateTime,
    ) -> Result<Option<Subscriber>, StoreError> {
        let mut tx = self.begin().await?;
        let next = newsletter::claim(&mut tx, id, at).await.db()?;
        tx.commit().await.db()?;
        Ok(next)
    }

    async fn finish_digest_delivery(
        &self,
        id: i64,
        subscriber: i64,
        delivery: &Delivery,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        newsletter::finish(&mut tx, id, subscriber, delivery, at)
            .await
            .db()?;
        tx.commit().await.db()
    }
}
