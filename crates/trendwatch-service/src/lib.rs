//! The one path every write takes, whoever makes it (the CLI, the import, the editors' JSON
//! API, the desk): the articles are written through the [`Store`], then everything derived
//! from them is brought in step — the search index, storyline threading, similar lists and
//! storyline statistics — and the derived mark is set, so that a crash in between is
//! completed at the next start ([`derive::repair_derived`]).
//!
//! Pages need no call: each write advances the store's generation, which the page cache
//! watches.

pub mod accounts;
pub mod derive;
pub mod mailer;
pub mod newsletter;
pub mod newsroom;
pub mod search_index;
pub mod two_step;

use std::sync::Arc;
use trendwatch_core::article::NewArticle;
use trendwatch_core::related::RelatedConfig;
use trendwatch_core::threading::ThreadingConfig;
use trendwatch_search::SearchIndex;
use trendwatch_store::{EditError, Listing, Store, StoreError, WriteError, WriteOutcome};

/// The settings derived work follows (`[similar]` and `[storylines]` of the configuration).
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The similar-articles engine.
    pub similar: RelatedConfig,
    /// Storyline threading.
    pub storylines: ThreadingConfig,
}

/// Storyline edits touching more articles than this rebuild every similar list instead of
/// updating the touched ones (each update costs a search and a rescoring).
const EDIT_INCREMENTAL_MAX: usize = 64;

/// Writes articles and derives what depends on them. One per running site or command.
pub struct Publisher {
    store: Arc<dyn Store>,
    search: Option<Arc<SearchIndex>>,
    settings: Settings,
    /// Derived work runs one at a time: two threaders planning against the same corpus at
    /// once would each start a storyline for the same story.
    deriving: tokio::sync::Mutex<()>,
    /// The threader, kept between publications.
    threader: derive::KeptThreader,
}

impl Publisher {
    /// A publisher writing to `store`, keeping `search` (when there is one) in step.
    pub fn new(
        store: Arc<dyn Store>,
        search: Option<Arc<SearchIndex>>,
        settings: Settings,
    ) -> Self {
        Publisher {
            store,
            search,
            settings,
            deriving: tokio::sync::Mutex::new(()),
            threader: derive::KeptThreader::default(),
        }
    }

    /// The threader it keeps between publications.
    pub fn threader(&self) -> &derive::KeptThreader {
        &self.threader
    }

    /// Builds the kept threader from the store (threading any article still without a
    /// storyline), so that the first publication after a start does not pay for it.
    pub async fn warm_threading(&self) -> anyhow::Result<()> {
        let _one_at_a_time = self.deriving.lock().await;
        self.threader.thread(&self.store, &self.settings).await?;
        Ok(())
    }

    /// The search index it keeps in step, if any.
    pub fn search(&self) -> Option<&Arc<SearchIndex>> {
        self.search.as_ref()
    }

    /// The settings derived work follows.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Writes `articles` (each whole or not at all, see [`Store::write_articles`]) and then
    /// indexes, threads and relates the ones written. Returns each article's outcome.
    pub async fn publish(
        &self,
        articles: &[NewArticle],
    ) -> anyhow::Result<Vec<Result<WriteOutcome, WriteError>>> {
        let results = self.store.write_articles(articles).await?;
        self.threader.wrote(&results);
        let written: Vec<i64> = results
            .iter()
            .filter_map(|r| r.as_ref().ok().map(|o| o.id()))
            .collect();
        if !written.is_empty() {
            self.derive_written(&written).await?;
        }
        Ok(results)
    }

    /// Writes `articles` only, leaving what derives from them to [`Publisher::derive_written`]
    /// (for callers that answer before deriving: the desk's publish button).
    pub async fn write(
        &self,
        articles: &[NewArticle],
    ) -> anyhow::Result<Vec<Result<WriteOutcome, WriteError>>> {
        let results = self.store.write_articles(articles).await?;
        self.threader.wrote(&results);
        Ok(results)
    }

    /// Brings the search index, storylines and similar lists in step with the articles
    /// `written` (already in the store), then sets the derived mark.
    pub async fn derive_written(&self, written: &[i64]) -> anyhow::Result<()> {
        let _one_at_a_time = self.deriving.lock().await;
        // Read before deriving, so a write by another process meanwhile leaves the mark
        // behind and is derived later.
        let derived_upto = self.store.text_generation().await?;
        if let Some(index) = &self.search {
            if let Err(e) = search_index::update(&self.store, index, written.to_vec()).await {
                // The articles are stored; the index is repaired at the next start.
                tracing::warn!(error = %e, "search index not updated");
            }
        }
        derive::after_write(
            &self.store,
            self.search.as_ref(),
            &self.settings,
            written,
            Some(&self.threader),
        )
        .await?;
        self.store.set_derived_generation(derived_upto).await?;
        Ok(())
    }

    /// Brings the search index up to what the store holds, when another process (another web
    /// node, an import run beside the site) wrote since it was last stamped; returns how many
    /// articles it re-indexed. A derivation in progress here is not waited for: it stamps the
    /// index itself, and the next call sees whatever is left.
    pub async fn catch_up_search(&self) -> anyhow::Result<usize> {
        let Some(index) = &self.search else {
            return Ok(0);
        };
        let Ok(_one_at_a_time) = self.deriving.try_lock() else {
            return Ok(0);
        };
        search_index::catch_up(&self.store, index).await
    }

    /// Drops articles taken off the archive (already removed from the store) from the search
    /// index. One derivation at a time: the index has a single writer.
    pub async fn forget(&self, removed: &[i64]) -> anyhow::Result<()> {
        let _one_at_a_time = self.deriving.lock().await;
        if let Some(index) = &self.search {
            let generation = self.store.text_generation().await?;
            let (index, removed) = (index.clone(), removed.to_vec());
            tokio::task::spawn_blocking(move || index.upsert(&[], &removed, generation as u64))
                .await??;
        }
        Ok(())
    }

    /// An editor's rename of storyline `id` (`None` gives it back its derived title).
    pub async fn rename_storyline(&self, id: i64, title: Option<String>) -> Result<(), EditError> {
        self.store.rename_storyline(id, title).await
    }

    /// An editor's merge of storyline `from` into `into`, then the similar lists it changed.
    pub async fn merge_storylines(&self, from: i64, into: i64) -> Result<(), EditError> {
        self.store.merge_storylines(from, into).await?;
        self.storylines_edited(&[into]).await
    }

    /// An editor's move of an article (with its translations) to storyline `to` (`None`: a
    /// new one), then the similar lists it changed. Returns the storyline it is now in.
    pub async fn move_article(&self, article: i64, to: Option<i64>) -> Result<i64, EditError> {
        let now = self.store.move_article(article, to).await?;
        self.storylines_edited(&[now]).await?;
        Ok(now)
    }

    /// An editor's split of storyline `id` from `from_article` on, then the similar lists it
    /// changed. Returns the new storyline.
    pub async fn split_storyline(&self, id: i64, from_article: i64) -> Result<i64, EditError> {
        let new = self.store.split_storyline(id, from_article).await?;
        self.storylines_edited(&[id, new]).await?;
        Ok(new)
    }

    /// Refreshes what an editor's storyline decision changed: the similar lists weigh
    /// "same storyline", so the lists of the articles of the touched `storylines`, and the
    /// lists they appear in, are recomputed. The decision itself is already saved; a failure
    /// here says so.
    async fn storylines_edited(&self, storylines: &[i64]) -> Result<(), EditError> {
        self.refresh_similar_of(storylines).await.map_err(|e| {
            EditError::Backend(StoreError(format!(
                "the decision is saved, but the similar lists were not refreshed \
                 (`trendwatch rebuild-similar` does it): {e}"
            )))
        })
    }

    async fn refresh_similar_of(&self, storylines: &[i64]) -> anyhow::Result<()> {
        let _one_at_a_time = self.deriving.lock().await;
        let mut members: Vec<i64> = Vec::new();
        for &id in storylines {
            for lang in trendwatch_core::Language::ALL {
                let page = self
                    .store
                    .listing(
                        lang,
                        &Listing::Storyline(id),
                        0,
                        EDIT_INCREMENTAL_MAX as u64 + 1,
                    )
                    .await?;
                members.extend(page.items.iter().map(|a| a.id));
            }
        }
        members.sort_unstable();
        members.dedup();
        match &self.search {
            Some(index) if members.len() <= EDIT_INCREMENTAL_MAX => {
                derive::update_similar(&self.store, index, &self.settings, members).await?;
            }
            _ => derive::rebuild_similar(&self.store, &self.settings).await?,
        }
        Ok(())
    }
}
