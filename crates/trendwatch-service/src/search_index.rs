//! Keeping the search index (`<data>/search/`) in step with the database: rebuilt by
//! `trendwatch reindex`, repaired at start when missing or stale, updated by every import in
//! the same flow that wrote the articles.
//!
//! Staleness is decided by the store's text generation, which changes with every article
//! write and which each index commit records. A crash between the database commit and the
//! index commit leaves the two different, so the next start rebuilds the index.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use trendwatch_search::{SearchDoc, SearchIndex};
use trendwatch_store::Store;

/// Folder of the index inside the data directory `data_dir`.
pub fn index_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("search")
}

/// Opens the index; rebuilds it from the database when it is missing, of another version, or
/// stamped with another text generation than the store's.
pub async fn open_and_repair(
    store: &Arc<dyn Store>,
    data_dir: &Path,
) -> anyhow::Result<Arc<SearchIndex>> {
    let dir = index_dir(data_dir);
    let index = Arc::new(tokio::task::spawn_blocking(move || SearchIndex::open(&dir)).await??);
    let generation = store.text_generation().await?;
    let stamp = index.stamp();
    if stamp != Some(generation as u64) {
        tracing::info!(
            index_generation = ?stamp,
            store_generation = generation,
            "search index missing or stale; bringing it up to the database"
        );
        let n = catch_up(store, &index).await?;
        tracing::info!(articles = n, "search index repaired");
    }
    Ok(index)
}

/// Rebuilds the whole index from the database; returns the number of articles indexed.
pub async fn reindex(store: &Arc<dyn Store>, index: &Arc<SearchIndex>) -> anyhow::Result<usize> {
    let generation = store.text_generation().await?;
    let texts = store.article_texts(None).await?;
    let index = index.clone();
    let n = tokio::task::spawn_blocking(move || index.rebuild(texts, generation as u64)).await??;
    Ok(n)
}

/// Re-indexes the given articles (just written) and stamps the index with the store's text
/// generation.
pub async fn update(
    store: &Arc<dyn Store>,
    index: &Arc<SearchIndex>,
    ids: Vec<i64>,
) -> anyhow::Result<()> {
    let generation = store.text_generation().await?;
    let docs: Vec<SearchDoc> = store.article_texts(Some(ids)).await?;
    let index = index.clone();
    tokio::task::spawn_blocking(move || index.upsert(&docs, &[], generation as u64)).await??;
    Ok(())
}

/// Brings an index that is behind the store up to date: the articles the store's text log
/// names since the index's stamp are re-indexed (or removed, when they are gone), or, when
/// the log does not reach back that far or the index is new, everything is rebuilt. Returns
/// how many articles it touched; 0 when the index was current.
///
/// This is how a web node sees what another node (or an import run beside it) wrote: it runs
/// on every check of the store's generations.
pub async fn catch_up(store: &Arc<dyn Store>, index: &Arc<SearchIndex>) -> anyhow::Result<usize> {
    let generation = store.text_generation().await?;
    let stamp = index.stamp();
    if stamp == Some(generation as u64) {
        return Ok(0);
    }
    let changed = match stamp {
        // Stamped ahead of the store (a database restored from an older backup): rebuilt.
        Some(s) if s as i64 > generation => None,
        Some(s) => store.text_changes(s as i64).await?,
        None => None,
    };
    let Some(ids) = changed else {
        return reindex(store, index).await;
    };
    let docs: Vec<SearchDoc> = store.article_texts(Some(ids.clone())).await?;
    // Named by the log but no longer readable: taken off (or a linked copy, which search
    // never shows).
    let readable: std::collections::HashSet<i64> = docs.iter().map(|d| d.id).collect();
    let deleted: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| !readable.contains(id))
        .collect();
    let writing = index.clone();
    let n = ids.len();
    let updated =
        tokio::task::spawn_blocking(move || writing.upsert(&docs, &deleted, generation as u64))
            .await?;
    if let Err(e) = updated {
        // A process killed while committing can leave files behind that the next commit
        // collides with (tantivy: "FileAlreadyExists … .del"); a rebuild starts clean.
        tracing::warn!(error = %e, "search index not updated in place; rebuilding it");
        return reindex(store, index).await;
    }
    Ok(n)
}
