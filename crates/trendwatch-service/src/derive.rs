//! What follows a write, derived from the articles: storyline threading, similar lists and
//! storyline statistics (written by the store with the assignments). Pure computation runs on
//! blocking threads; the store is the only I/O.

use crate::Settings;
use std::collections::HashMap;
use std::sync::Arc;
use trendwatch_core::related::RelatedModel;
use trendwatch_core::storyline::{NewAssignment, Planner, StorylineTarget, ThreadDoc};
use trendwatch_store::{Store, WriteError, WriteOutcome};

/// Threads the storylines and updates the similar lists after the articles `written` were
/// stored (and, when there is a search index, indexed): a few articles into a larger archive
/// are threaded and related incrementally; more rebuild every list, threading beside it.
///
/// `kept` is the running site's threader (see [`KeptThreader`]); a command that writes once
/// and exits passes `None` and threads from the store.
pub async fn after_write(
    store: &Arc<dyn Store>,
    search: Option<&Arc<trendwatch_search::SearchIndex>>,
    settings: &Settings,
    written: &[i64],
    kept: Option<&KeptThreader>,
) -> anyhow::Result<()> {
    let total: u64 = store.count_articles().await?.iter().map(|(_, n)| n).sum();
    let small = written.len() <= INCREMENTAL_MAX && (written.len() as u64) * 4 < total;
    if !small {
        if let Some(kept) = kept {
            // Threaded below from the store: what the kept threader holds falls behind.
            kept.forget();
        }
        return thread_and_rebuild_similar(store, settings).await;
    }
    match kept {
        Some(kept) => kept.thread(store, settings).await?,
        None => thread_storylines(store, settings).await?,
    };
    match search {
        Some(index) => {
            update_similar(store, index, settings, written.to_vec()).await?;
        }
        // Without an index to find candidates in, every list is computed again.
        None => rebuild_similar(store, settings).await?,
    }
    Ok(())
}

/// The threader of a running site, kept between publications: threading a new article
/// then costs the article and the storylines it is compared with, not a reading and a
/// threading of the whole archive (about 300 ms at 10,000 articles, seconds at 100,000, on
/// every publication).
///
/// It stays in step with the store while the store's threading generation (which moves with
/// every article written or taken off, and every editor's storyline decision) moved by this
/// process's own writes of new articles alone, and while the articles waiting for a
/// storyline come after everything it has seen. Otherwise (an edit of an older article, an
/// editor's merge, a write by another process, an article back-dated before the newest) it
/// is built again from the store, which is what a threading without it always does.
///
/// Kept, the threader goes on as the stream of publications does: each new article is
/// threaded once, as it comes, as a first import threads every article; built again, it
/// takes the stored assignments as given. The two can differ where the threader merges
/// storylines as it goes; both keep every stored assignment.
#[derive(Default)]
pub struct KeptThreader {
    state: std::sync::Mutex<Option<Kept>>,
    /// This process's writes that moved the threading generation by new articles alone.
    writes: std::sync::atomic::AtomicI64,
    /// Threadings that started from the store, for tests and the logs.
    rebuilds: std::sync::atomic::AtomicU64,
}

struct Kept {
    planner: Planner,
    /// The store's threading generation, and `writes`, when it was last in step.
    generation: i64,
    writes: i64,
}

impl KeptThreader {
    /// Notes a write of articles by this process: counted when it created articles only, so
    /// that an update of an article already threaded (whose text the threader holds) sends
    /// the next threading back to the store.
    pub fn wrote(&self, outcomes: &[Result<WriteOutcome, WriteError>]) {
        let any = outcomes.iter().any(Result::is_ok);
        let updated = outcomes
            .iter()
            .any(|o| matches!(o, Ok(WriteOutcome::Updated(_))));
        if any && !updated {
            self.writes
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    /// Drops the kept threader: the next threading starts from the store.
    pub fn forget(&self) {
        if let Ok(mut state) = self.state.lock() {
            *state = None;
        }
    }

    /// How many threadings started from the store rather than from the kept threader.
    pub fn rebuilds(&self) -> u64 {
        self.rebuilds.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Assigns every article without a storyline, as [`thread_storylines`] does, from the
    /// kept threader when it is in step with the store. Callers run one at a time (the
    /// publisher's derivation lock). Returns how many articles were assigned.
    pub async fn thread(
        &self,
        store: &Arc<dyn Store>,
        settings: &Settings,
    ) -> anyhow::Result<usize> {
        use std::sync::atomic::Ordering::SeqCst;
        let started = std::time::Instant::now();
        // Both read before the articles: a write landing in between makes them disagree
        // next time, which only costs a threading from the store.
        let writes = self.writes.load(SeqCst);
        let generation = store.threading_generation().await?;
        let kept = self.state.lock().ok().and_then(|mut s| s.take());
        let in_step = kept.filter(|k| generation - k.generation == writes - k.writes);
        let mut resumed = None;
        if let Some(mut kept) = in_step {
            // In step, no article was taken off since: every article written meanwhile
            // has a higher id than all it has seen.
            let docs = store.unthreaded_articles(kept.planner.max_id()).await?;
            if docs.iter().all(|d| kept.planner.follows(d)) {
                let plan: Vec<NewAssignment> =
                    docs.iter().filter_map(|d| kept.planner.feed(d)).collect();
                record_threading(started, plan.len());
                resumed = Some((kept.planner, plan));
            }
        }
        let from_store = resumed.is_none();
        let (mut planner, plan) = match resumed {
            Some(p) => p,
            None => {
                self.rebuilds.fetch_add(1, SeqCst);
                let (_, planner, plan) = plan_storylines(store, settings).await?;
                (planner, plan)
            }
        };
        let created = if plan.is_empty() {
            Vec::new()
        } else {
            store.assign_storylines(&plan).await?
        };
        // Kept only when the store named every new storyline.
        if planner.settle(&created).is_ok() {
            if let Ok(mut state) = self.state.lock() {
                *state = Some(Kept {
                    planner,
                    generation,
                    writes,
                });
            }
        }
        tracing::debug!(
            from_store,
            assigned = plan.len(),
            elapsed_us = started.elapsed().as_micros() as u64,
            "storylines threaded"
        );
        Ok(plan.len())
    }
}

/// Imports of at most this many articles into a larger archive update similar lists
/// incrementally; larger ones rebuild them all.
pub const INCREMENTAL_MAX: usize = 32;

/// Terms of a new article looked up in the search index to find its candidate pool (its
/// heaviest by weight × IDF). Fewer than the engine's `query_terms`: every term lengthens
/// the disjunction that each publish runs over the whole archive, and the pool is rescored
/// by the engine anyway.
const INCREMENTAL_QUERY_TERMS: usize = 20;

/// Candidate neighbours fetched from the search index per changed article.
const INCREMENTAL_POOL: usize = 100;

/// Updates only the similar lists that the `changed` articles affect: their own lists and the
/// lists they now enter. Candidates come from the search index (which must already hold the
/// changed articles); scores use the index's document frequencies.
pub async fn update_similar(
    store: &Arc<dyn Store>,
    index: &Arc<trendwatch_search::SearchIndex>,
    settings: &Settings,
    changed: Vec<i64>,
) -> anyhow::Result<usize> {
    let started = std::time::Instant::now();
    let cfg = settings.similar.clone();
    let docs = store.similarity_docs(changed.clone()).await?;
    let mut pool_ids: Vec<i64> = Vec::new();
    for d in &docs {
        let terms = trendwatch_core::related::weighted_terms(d, &cfg);
        pool_ids.extend(index.more_like(&terms, INCREMENTAL_QUERY_TERMS, INCREMENTAL_POOL)?);
    }
    pool_ids.sort_unstable();
    pool_ids.dedup();
    pool_ids.retain(|id| !changed.contains(id));
    let pool = store.similarity_docs(pool_ids.clone()).await?;
    let stored = store.related_lists(pool_ids).await?;
    let k = stored_list_length(settings);
    let index_for_idf = index.clone();
    let lists = tokio::task::spawn_blocking(move || {
        // Each distinct term is looked up in the index once (the pool's articles share
        // most of their words).
        let seen = std::sync::Mutex::new(std::collections::HashMap::<String, f32>::new());
        let idf = |t: &str| {
            let cached = seen.lock().ok().and_then(|m| m.get(t).copied());
            cached.unwrap_or_else(|| {
                let v = index_for_idf.idf(t);
                if let Ok(mut m) = seen.lock() {
                    m.insert(t.to_string(), v);
                }
                v
            })
        };
        trendwatch_core::related::incremental_update(&docs, &pool, &stored, &idf, &cfg, k)
    })
    .await?;
    store.replace_related(&lists).await?;
    tracing::debug!(
        elapsed_us = started.elapsed().as_micros() as u64,
        lists = lists.len(),
        "similar lists updated incrementally"
    );
    Ok(lists.len())
}

/// Entries stored per list: twice the list length, so that an editor's exclusions (applied
/// when a list is read) do not leave it short.
pub fn stored_list_length(settings: &Settings) -> usize {
    settings.similar.list_length.max(1) * 2
}

/// Threads the storylines and recomputes every similar list, the two side by side: the
/// similarity model is built from the articles' texts (on every core) while the threader runs
/// (on one), and storylines, which only weigh in the final ranking, are set on the model once
/// threaded. The lists are the same as threading first and then [`rebuild_similar`].
pub async fn thread_and_rebuild_similar(
    store: &Arc<dyn Store>,
    settings: &Settings,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let ms = || started.elapsed().as_millis() as u64;
    let corpus = store.similarity_corpus().await?;
    let similar = settings.similar.clone();
    let model = tokio::task::spawn_blocking(move || RelatedModel::build(&corpus, &similar));
    let (docs, _, plan) = plan_storylines(store, settings).await?;
    tracing::debug!(elapsed_ms = ms(), "storylines planned");
    // The model only asks whether two articles share a storyline, so the plan's own
    // numbering of the storylines it creates (negative, unlike stored ids) serves as well as
    // the stored ids: the lists are ranked while the assignments are written.
    let mut storyline_of: HashMap<i64, i64> = docs
        .iter()
        .filter_map(|d| Some((d.article_id, d.storyline?)))
        .collect();
    storyline_of.extend(plan.iter().map(|a| {
        let id = match a.target {
            StorylineTarget::Existing(id) => id,
            StorylineTarget::New(k) => -1 - k as i64,
        };
        (a.article_id, id)
    }));
    let k = stored_list_length(settings);
    let ranking = async {
        let mut model = model.await?;
        model.set_storylines(|id| storyline_of.get(&id).copied());
        tracing::debug!(
            elapsed_ms = ms(),
            docs = model.len(),
            "similarity model built"
        );
        anyhow::Ok(tokio::task::spawn_blocking(move || model.all_lists(k)).await?)
    };
    let assigning = async {
        if !plan.is_empty() {
            store.assign_storylines(&plan).await?;
        }
        tracing::debug!(elapsed_ms = ms(), "storylines assigned");
        anyhow::Ok(())
    };
    let (lists, assigned) = tokio::join!(ranking, assigning);
    assigned?;
    let lists = lists?;
    tracing::debug!(elapsed_ms = ms(), "similar lists computed");
    store.replace_related(&lists).await?;
    tracing::debug!(elapsed_ms = ms(), "similar lists stored");
    Ok(())
}

/// Recomputes every similar-articles list with the configured engine (on every core).
pub async fn rebuild_similar(store: &Arc<dyn Store>, settings: &Settings) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let corpus = store.similarity_corpus().await?;
    let similar = settings.similar.clone();
    let k = stored_list_length(settings);
    let lists =
        tokio::task::spawn_blocking(move || RelatedModel::build(&corpus, &similar).all_lists(k))
            .await?;
    store.replace_related(&lists).await?;
    tracing::debug!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "similar lists rebuilt"
    );
    Ok(())
}

/// Finishes what an interrupted import left undone: if articles were written after
/// storylines and similar lists were last derived (the import was killed in between), threads
/// the unassigned articles and rebuilds every similar list. Returns whether it had to.
pub async fn repair_derived(store: &Arc<dyn Store>, settings: &Settings) -> anyhow::Result<bool> {
    let text = store.text_generation().await?;
    if store.derived_generation().await? == text {
        return Ok(false);
    }
    tracing::info!("storylines and similar lists are behind the articles; completing them");
    thread_and_rebuild_similar(store, settings).await?;
    store.set_derived_generation(text).await?;
    Ok(true)
}

/// Assigns every article without a storyline to one, in publication order, building on the
/// assignments already made (by editors or earlier runs), which are never changed.
/// Returns how many articles were assigned.
pub async fn thread_storylines(
    store: &Arc<dyn Store>,
    settings: &Settings,
) -> anyhow::Result<usize> {
    let (_, _, plan) = plan_storylines(store, settings).await?;
    if !plan.is_empty() {
        store.assign_storylines(&plan).await?;
    }
    Ok(plan.len())
}

/// Reads the threading corpus and plans where each unassigned article goes (on a blocking
/// thread); returns the corpus with the plan.
async fn plan_storylines(
    store: &Arc<dyn Store>,
    settings: &Settings,
) -> anyhow::Result<(Arc<Vec<ThreadDoc>>, Planner, Vec<NewAssignment>)> {
    let started = std::time::Instant::now();
    let docs = Arc::new(store.threading_corpus().await?);
    let config = settings.storylines.clone();
    let read_ms = started.elapsed().as_millis() as u64;
    let corpus = docs.clone();
    let (planner, plan) = tokio::task::spawn_blocking(move || {
        let mut planner = Planner::new(config);
        let plan: Vec<NewAssignment> = corpus.iter().filter_map(|d| planner.feed(d)).collect();
        (planner, plan)
    })
    .await?;
    tracing::debug!(
        read_ms,
        plan_ms = started.elapsed().as_millis() as u64,
        "threading planned"
    );
    record_threading(started, plan.len());
    Ok((docs, planner, plan))
}

/// The threading metrics of one run that assigned `assigned` articles.
fn record_threading(started: std::time::Instant, assigned: usize) {
    metrics::counter!("threading_runs_total").increment(1);
    metrics::histogram!("threading_seconds").record(started.elapsed().as_secs_f64());
    metrics::counter!("threading_assignments_total").increment(assigned as u64);
}
