//! `trendwatch migrate-store`: copies a whole SQLite archive (articles, storylines, similar
//! lists, forecasts, accounts, sessions, drafts and their revisions, subscribers, the digest
//! queue) into a PostgreSQL database, in one transaction, then checks it: every table's row
//! count, and a sample of what pages show, read through the storage trait from both.

use anyhow::{bail, Context};
use std::path::Path;
use std::sync::Arc;
use trendwatch_core::Language;
use trendwatch_postgres::load::LOAD_ORDER;
use trendwatch_postgres::{PgOptions, PgStore};
use trendwatch_sqlite::SqliteStore;
use trendwatch_store::{Listing, Store};

/// What a copy did.
#[derive(Debug, Default)]
pub struct MigrateReport {
    /// Rows copied, by table, in load order.
    pub tables: Vec<(String, u64)>,
    /// Articles whose page data was compared on both sides.
    pub sampled: usize,
}

impl std::fmt::Display for MigrateReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rows: u64 = self.tables.iter().map(|(_, n)| n).sum();
        write!(
            f,
            "copied {rows} rows in {} tables; row counts match, and {} sampled articles \
             (with their storylines, listings and weeks) read the same from both",
            self.tables.len(),
            self.sampled
        )
    }
}

/// Most articles whose pages are compared after the copy.
const SAMPLE: usize = 200;

/// Copies the archive in `from` (a data directory) into the PostgreSQL database `to`.
/// Refuses a database that already holds an archive unless `replace`.
pub async fn migrate(
    from: &Path,
    to: &str,
    replace: bool,
    max_connections: u32,
) -> anyhow::Result<MigrateReport> {
    let db = from.join(trendwatch_sqlite::DB_FILE);
    if !db.is_file() {
        bail!(
            "{}: no SQLite archive here (expected {})",
            from.display(),
            db.display()
        );
    }
    let source = SqliteStore::open(from)?;
    let mut options = PgOptions::new(to);
    options.max_connections = max_connections;
    let target = PgStore::connect(&options).await?;
    let names = source.table_names().await?;
    if let Some(unknown) = names.iter().find(|n| !LOAD_ORDER.contains(&n.as_str())) {
        bail!("table {unknown} of the SQLite archive has no place in PostgreSQL");
    }
    let mut load = target.begin_load(replace).await?;
    let mut report = MigrateReport::default();
    for name in LOAD_ORDER.iter().filter(|t| names.iter().any(|n| n == *t)) {
        let table = source.dump_table(name).await?;
        let expected = table.rows.len() as u64;
        let loaded = load
            .table(&table)
            .await
            .with_context(|| format!("copying table {name}"))?;
        anyhow::ensure!(
            loaded == expected,
            "table {name}: {expected} rows read, {loaded} written"
        );
        report.tables.push((name.to_string(), loaded));
    }
    load.finish().await?;
    // Row counts once committed, against the rows read from SQLite.
    for (name, rows) in &report.tables {
        let target_rows = target.row_count(name).await?;
        anyhow::ensure!(
            target_rows == *rows,
            "table {name}: {rows} rows in SQLite, {target_rows} in PostgreSQL"
        );
    }
    let source: Arc<dyn Store> = Arc::new(source);
    let target: Arc<dyn Store> = Arc::new(target);
    report.sampled = compare_pages(&source, &target).await?;
    Ok(report)
}

/// Reads a sample of what pages show from both stores and fails on the first difference.
/// Returns how many articles were compared.
async fn compare_pages(source: &Arc<dyn Store>, target: &Arc<dyn Store>) -> anyhow::Result<usize> {
    let articles = source.sitemap_articles().await?;
    anyhow::ensure!(
        articles == target.sitemap_articles().await?,
        "the list of published articles differs"
    );
    let step = (articles.len() / SAMPLE).max(1);
    let mut sampled = 0;
    for a in articles.iter().step_by(step) {
        let (one, two) = (
            source.article(a.lang, &a.slug).await?,
            target.article(a.lang, &a.slug).await?,
        );
        anyhow::ensure!(
            one == two,
            "article /{}/articles/{} differs",
            a.lang.code(),
            a.slug
        );
        if let Some(article) = one {
            let similar = |s: &Arc<dyn Store>| {
                let (s, article) = (s.clone(), article.clone());
                async move { s.similar(&article, 5).await }
            };
            anyhow::ensure!(
                similar(source).await? == similar(target).await?,
                "the similar articles of /{}/articles/{} differ",
                a.lang.code(),
                a.slug
            );
            if let Some(id) = source.storyline_of(article.id).await? {
                anyhow::ensure!(
                    source.storyline_page(id, a.lang, 1).await?
                        == target.storyline_page(id, a.lang, 1).await?,
                    "storyline {id} differs"
                );
            }
        }
        sampled += 1;
    }
    for lang in [Language::En, Language::Ru] {
        anyhow::ensure!(
            source.listing(lang, &Listing::All, 0, 20).await?
                == target.listing(lang, &Listing::All, 0, 20).await?,
            "the {} archive's first page differs",
            lang.code()
        );
        if let Some(week) = source.latest_period(lang).await? {
            anyhow::ensure!(
                source.week(lang, week).await? == target.week(lang, week).await?,
                "the latest {} week differs",
                lang.code()
            );
        }
        anyhow::ensure!(
            source.recent_storylines(lang, 10).await? == target.recent_storylines(lang, 10).await?,
            "the {} recent storylines differ",
            lang.code()
        );
    }
    // PostgreSQL keeps times to the microsecond; SQLite kept the clock's nanoseconds.
    let accounts = |users: Vec<trendwatch_core::accounts::User>| {
        users
            .into_iter()
            .map(|u| {
                let micros = u.created_at.nanosecond() / 1000 * 1000;
                (
                    u.id,
                    u.email,
                    u.name,
                    u.role,
                    u.disabled,
                    u.created_at.replace_nanosecond(micros).ok(),
                )
            })
            .collect::<Vec<_>>()
    };
    anyhow::ensure!(
        accounts(source.users().await?) == accounts(target.users().await?),
        "the accounts differ"
    );
    Ok(sampled)
}
