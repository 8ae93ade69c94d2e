//! `trendwatch bench`: in-process measurements that need the program's internals — search
//! latency over many varied queries, the cost of publishing one article into a large
//! archive (search index update plus incremental similar lists), and the full similar-lists
//! computation against tantivy's more-like-this for every article. Whole-program figures
//! (import, full rebuild, HTTP throughput, memory) are measured from outside by
//! `scripts/bench`. Benchmarks, not tests: they print figures and never fail on them.

use crate::config::Config;
use crate::generate::Rng;
use serde::Serialize;
use std::sync::Arc;
use std::time::Instant;
use trendwatch_core::parallel::par_map;
use trendwatch_core::related::{FeedbackEngine, RelatedConfig};
use trendwatch_core::similarity::{RelatedEngine, SimilarityDoc};
use trendwatch_core::Language;
use trendwatch_search::mlt::MltBaseline;
use trendwatch_search::{parse, SearchIndex, Sort};
use trendwatch_service::derive::update_similar;
use trendwatch_service::search_index;
use trendwatch_store::Store;

/// Latency percentiles in milliseconds.
#[derive(Debug, Serialize)]
pub struct Latency {
    /// Measurements taken.
    pub samples: usize,
    /// Median.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Slowest.
    pub max_ms: f64,
}

fn latency(mut ms: Vec<f64>) -> Latency {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    Latency {
        samples: ms.len(),
        p50_ms: at(0.5),
        p99_ms: at(0.99),
        max_ms: ms.last().copied().unwrap_or(0.0),
    }
}

fn below(rng: &mut Rng, n: usize) -> usize {
    (rng.next() % n.max(1) as u64) as usize
}

/// Builds `n` varied queries from the archive's own headlines: single words, two words, a
/// quoted phrase, a word with an exclusion, a word with a topic filter sorted by date, and a
/// date range.
pub fn queries(titles: &[String], topics: &[String], n: usize) -> Vec<String> {
    let mut rng = Rng(0x5DEE_CE66_D1CE_4E5B);
    let words: Vec<Vec<&str>> = titles
        .iter()
        .map(|t| {
            t.split(|c: char| !c.is_alphanumeric())
                .filter(|w| w.chars().count() > 3)
                .collect::<Vec<_>>()
        })
        .filter(|w| w.len() >= 2)
        .collect();
    if words.is_empty() {
        return Vec::new();
    }
    (0..n)
        .map(|i| {
            let w = &words[below(&mut rng, words.len())];
            let a = w[below(&mut rng, w.len())];
            let k = below(&mut rng, w.len() - 1);
            let other = &words[below(&mut rng, words.len())];
            let b = other[below(&mut rng, other.len())];
            match i % 6 {
                0 => a.to_string(),
                1 => format!("{a} {b}"),
                2 => format!("\"{} {}\"", w[k], w[k + 1]),
                3 => format!("{a} -{b}"),
                4 => format!(
                    "{a} topic:{}",
                    topics
                        .get(below(&mut rng, topics.len()))
                        .map_or("security", |s| s)
                ),
                _ => format!("{a} from:2020-01-01 to:2024-12-31"),
            }
        })
        .collect()
}

/// What `bench search` prints.
#[derive(Debug, Serialize)]
pub struct SearchBench {
    /// Articles in the index.
    pub articles: u64,
    /// Distinct queries run.
    pub queries: usize,
    /// Total results of all queries (to show they are not empty).
    pub results: usize,
    /// Per-query latency (first page, relevance or date as the query says).
    pub latency: Latency,
    /// The same by kind of query: word, two words, phrase, exclusion, topic filter sorted
    /// by date, date range.
    pub by_kind: Vec<(String, Latency)>,
}

/// Runs every query once to warm up, then `rounds` times measured.
pub async fn search(
    store: &Arc<dyn Store>,
    config: &Config,
    n: usize,
    rounds: usize,
) -> anyhow::Result<SearchBench> {
    let index = search_index::open_and_repair(store, &config.data_dir).await?;
    let titles: Vec<String> = store
        .article_texts(None)
        .await?
        .into_iter()
        .map(|t| t.title)
        .collect();
    let topics: Vec<String> = config
        .file
        .site
        .topics
        .iter()
        .map(|t| t.slug.clone())
        .collect();
    let qs = queries(&titles, &topics, n);
    let parsed: Vec<_> = qs
        .iter()
        .map(|q| parse(q))
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("generated query rejected: {e}"))?;
    let mut results = 0;
    for (i, q) in parsed.iter().enumerate() {
        let sort = if i % 6 == 4 {
            Sort::Date
        } else {
            Sort::Relevance
        };
        results += index.search(q, sort, 0, 10)?.total;
    }
    let mut ms = Vec::with_capacity(parsed.len() * rounds);
    let mut kinds: Vec<Vec<f64>> = vec![Vec::new(); 6];
    for _ in 0..rounds {
        for (i, q) in parsed.iter().enumerate() {
            let sort = if i % 6 == 4 {
                Sort::Date
            } else {
                Sort::Relevance
            };
            let t = Instant::now();
            let r = index.search(q, sort, 0, 10)?;
            let elapsed = t.elapsed().as_secs_f64() * 1000.0;
            ms.push(elapsed);
            kinds[i % 6].push(elapsed);
            std::hint::black_box(r);
        }
    }
    let names = [
        "word",
        "two words",
        "phrase",
        "exclusion",
        "topic, by date",
        "date range",
    ];
    Ok(SearchBench {
        articles: index.len(),
        queries: parsed.len(),
        results,
        latency: latency(ms),
        by_kind: names
            .iter()
            .zip(kinds)
            .map(|(n, k)| (n.to_string(), latency(k)))
            .collect(),
    })
}

/// What `bench publish` prints.
#[derive(Debug, Serialize)]
pub struct PublishBench {
    /// Articles in the archive before.
    pub articles: u64,
    /// Articles published, one at a time.
    pub published: usize,
    /// Writing the article to the database.
    pub write: Latency,
    /// Updating the search index with it.
    pub index: Latency,
    /// Updating the similar lists it affects (the incremental update).
    pub similar: Latency,
    /// Lists changed per publication, on average.
    pub lists_changed: f64,
}

/// Publishes `n` generated articles one at a time, timing each step.
pub async fn publish(
    store: &Arc<dyn Store>,
    config: &Config,
    n: usize,
) -> anyhow::Result<PublishBench> {
    let index: Arc<SearchIndex> = search_index::open_and_repair(store, &config.data_dir).await?;
    let before: u64 = store.count_articles().await?.iter().map(|(_, c)| c).sum();
    let topics = &config.file.site.topics;
    let (mut write, mut indexing, mut similar, mut changed) = (vec![], vec![], vec![], 0usize);
    for i in 0..n {
        let (title, body) = crate::generate::english_article(1_000_000 + i as u64);
        let line = serde_json::json!({
            "id": format!("bench-publish-{i}-{before}"),
            // Unique per run too: the slug comes from the headline.
            "title": format!("Bench {before}-{i}: {title}"),
            "topic": "security",
            "lang": "en",
            "kind": "other",
            "date": "2026-11-30 10:00",
            "status": "unchanged",
            "body": body,
        })
        .to_string();
        let draft =
            trendwatch_import::parse_file(std::path::Path::new("bench.jsonl"), line.as_bytes())
                .into_iter()
                .next()
                .ok_or_else(|| anyhow::anyhow!("no article parsed"))?
                .result
                .map_err(|e| anyhow::anyhow!(e))?;
        let article = draft.prepare(topics)?;
        let t = Instant::now();
        let outcome = store
            .write_articles(std::slice::from_ref(&article))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| anyhow::anyhow!("nothing written"))??;
        write.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        search_index::update(store, &index, vec![outcome.id()]).await?;
        indexing.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        changed += update_similar(store, &index, &config.derivation(), vec![outcome.id()]).await?;
        similar.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(PublishBench {
        articles: before,
        published: n,
        write: latency(write),
        index: latency(indexing),
        similar: latency(similar),
        lists_changed: changed as f64 / n.max(1) as f64,
    })
}

/// What `bench similar` prints: the full similar-lists computation against the issue's
/// anchor, tantivy's more-like-this for every article, on the same archive in the same run.
#[derive(Debug, Serialize)]
pub struct SimilarBench {
    /// Articles in the archive.
    pub articles: usize,
    /// Entries per list (the stored length).
    pub list_length: usize,
    /// Every list computed by the configured engine, on every core (what `rebuild-similar`
    /// does before storing them).
    pub trendwatch_seconds: f64,
    /// Building the more-like-this baseline's in-memory BM25 index (one per language).
    pub mlt_index_seconds: f64,
    /// More-like-this for every article within its language, one thread (the anchor).
    pub mlt_one_thread_seconds: f64,
    /// The same on every core.
    pub mlt_all_cores_seconds: f64,
    /// `mlt_one_thread_seconds / trendwatch_seconds`.
    pub ratio_to_one_thread: f64,
    /// `mlt_all_cores_seconds / trendwatch_seconds`.
    pub ratio_to_all_cores: f64,
}

/// Times the similar lists of every article of the archive, then the more-like-this baseline
/// for every article, one thread and then every core.
pub async fn similar(store: &Arc<dyn Store>, config: &Config) -> anyhow::Result<SimilarBench> {
    let corpus = store.similarity_corpus().await?;
    let k = trendwatch_service::derive::stored_list_length(&config.derivation());
    let engine = config.file.similar.clone();
    tokio::task::spawn_blocking(move || similar_in(&corpus, &engine, k)).await?
}

fn similar_in(
    corpus: &[SimilarityDoc],
    engine: &RelatedConfig,
    k: usize,
) -> anyhow::Result<SimilarBench> {
    let started = Instant::now();
    let lists = FeedbackEngine {
        config: engine.clone(),
    }
    .related_lists(corpus, k);
    let trendwatch_seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(lists.len() == corpus.len(), "a list for every article");

    // One baseline index per language: lists never mix languages.
    let started = Instant::now();
    let mut baselines = Vec::new();
    for lang in [Language::En, Language::Ru] {
        let texts: Vec<String> = corpus
            .iter()
            .filter(|d| d.lang == lang)
            .map(|d| format!("{}\n{}", d.title, d.text))
            .collect();
        if !texts.is_empty() {
            baselines.push(MltBaseline::build(&texts, lang)?);
        }
    }
    let mlt_index_seconds = started.elapsed().as_secs_f64();
    let every_article = |all_cores: bool| -> anyhow::Result<f64> {
        let started = Instant::now();
        for mlt in &baselines {
            let positions: Vec<usize> = (0..mlt.len()).collect();
            let lists: Vec<_> = if all_cores {
                par_map(&positions, |_, &i| mlt.ranked(i, k))
            } else {
                positions.iter().map(|&i| mlt.ranked(i, k)).collect()
            };
            for list in lists {
                list?;
            }
        }
        Ok(started.elapsed().as_secs_f64())
    };
    let mlt_one_thread_seconds = every_article(false)?;
    let mlt_all_cores_seconds = every_article(true)?;
    Ok(SimilarBench {
        articles: corpus.len(),
        list_length: k,
        trendwatch_seconds,
        mlt_index_seconds,
        mlt_one_thread_seconds,
        mlt_all_cores_seconds,
        ratio_to_one_thread: mlt_one_thread_seconds / trendwatch_seconds,
        ratio_to_all_cores: mlt_all_cores_seconds / trendwatch_seconds,
    })
}

/// What `bench newsroom` prints: the desk's own costs, as an editor meets them.
#[derive(Debug, Serialize)]
pub struct NewsroomBench {
    /// Articles in the archive before.
    pub articles: u64,
    /// Saves and publications timed (of each).
    pub rounds: usize,
    /// Saving a changed draft (a new revision), what the save button waits for.
    pub save: Latency,
    /// The publish request itself: checks, the state change and the article's write.
    pub publish: Latency,
    /// From the publish request to the search index, storylines and similar lists being
    /// in step with it (what reaches the public pages last).
    pub derived: Latency,
}

/// Times `rounds` draft saves and `rounds` publications through the newsroom, each
/// publication on its own topic and week (far in the future, so that no commentary of the
/// archive is in the way), one at a time.
pub async fn newsroom(
    store: &Arc<dyn Store>,
    config: &Config,
    rounds: usize,
) -> anyhow::Result<NewsroomBench> {
    use trendwatch_core::accounts::{NewUser, Role, User};
    use trendwatch_core::newsroom::{DeskContent, Transition};
    use trendwatch_service::newsroom::ActionRequest;
    let index: Arc<SearchIndex> = search_index::open_and_repair(store, &config.data_dir).await?;
    let before: u64 = store.count_articles().await?.iter().map(|(_, c)| c).sum();
    let now = time::OffsetDateTime::now_utc();
    let email = format!("bench-{}@example.invalid", now.unix_timestamp_nanos());
    let user_id = store
        .create_user(&NewUser {
            email: email.clone(),
            name: "Bench Editor".into(),
            role: Role::Editor,
            password_hash: "!".into(),
            created_at: now,
        })
        .await?;
    let user: User = store
        .users()
        .await?
        .into_iter()
        .find(|u| u.id == user_id)
        .ok_or_else(|| anyhow::anyhow!("bench account not found"))?;
    let topics = config.file.site.topics.clone();
    let newsroom = config.newsroom(store, Some(index))?;
    // As a site does at start: the threader kept between publications is built first.
    newsroom.publisher().warm_threading().await?;
    let slugs: Vec<String> = topics.iter().map(|t| t.slug.clone()).collect();
    let (mut save, mut publish, mut derived) = (vec![], vec![], vec![]);
    // Weeks no archive has yet: one a round, from the year after the latest one (an earlier
    // run's), and never before 2100.
    let latest = store
        .latest_period(trendwatch_core::Language::En)
        .await?
        .map_or(2099, |p| p.year());
    let first_year = latest.max(2099) + 1;
    for i in 0..rounds {
        let period: trendwatch_core::Period =
            format!("{}-W{:02}", first_year + (i / 50) as i32, 1 + i % 50).parse()?;
        let (title, body) = crate::generate::english_article(2_000_000 + i as u64 + before);
        let mut content = DeskContent::empty(
            trendwatch_core::Language::En,
            &slugs[i % slugs.len()],
            period,
            "Bench Editor",
        );
        content.title = format!("Bench {before}-{i}: {title}");
        content.body_markdown = body.clone();
        let id = newsroom.create(&user, content.clone(), None, now).await?;
        content.body_markdown = format!("{body}\n\nA sentence added while editing.");
        let t = Instant::now();
        newsroom.save(&user, id, 1, &content, now).await?;
        save.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        newsroom
            .act(
                &user,
                id,
                Transition::Publish,
                ActionRequest::default(),
                now,
            )
            .await?;
        publish.push(t.elapsed().as_secs_f64() * 1000.0);
        newsroom.settle().await;
        derived.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(NewsroomBench {
        articles: before,
        rounds,
        save: latency(save),
        publish: latency(publish),
        derived: latency(derived),
    })
}
