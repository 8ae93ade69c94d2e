//! `trendwatch eval related`: quality of the similar-articles engine on labelled corpora,
//! next to plain BM25 "more like this" (tantivy) computed in the same run.
//!
//! Two kinds of corpus:
//! - **labelled items** (any format [`crate::eval::load`] reads): every item whose label is
//!   shared by at least five other items is a query; its similar list is judged by
//!   precision@5 (relevant = shares a gold label) and its full ranking by average precision;
//! - **same-story pairs** (the tgcontest-toloka `clustering_pairs` TSV files, or a folder of
//!   them): each pair is scored by the engine's same-story score (text score lowered by
//!   conflicting dates and missing headline names, see `trendwatch_core::same_story`), and
//!   judged by ROC AUC, by the accuracy of the configured `same_story_threshold` (never
//!   fitted on these pairs) and by the accuracy of a threshold chosen by 5-fold
//!   cross-validation.

use crate::eval::{load, Item};
use anyhow::{bail, Context};
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;
use trendwatch_core::parallel::par_map;
use trendwatch_core::ranking_metrics::{
    accuracy_at, average_precision, best_threshold, cross_validated_accuracy, precision_at, roc_auc,
};
use trendwatch_core::related::{RelatedConfig, RelatedModel};
use trendwatch_core::same_story::{same_story_score, StoryEvidence};
use trendwatch_core::similarity::SimilarityDoc;
use trendwatch_core::Language;
use trendwatch_search::mlt::MltBaseline;

/// A ranked list of corpus positions with scores, best first.
type Ranked = Vec<(usize, f32)>;

/// Ranking figures of one engine.
#[derive(Debug, Clone, Serialize)]
pub struct RankingScores {
    /// Mean precision of the first five similar articles.
    pub precision_at_5: f64,
    /// Mean average precision of the full ranking.
    pub map: f64,
}

/// Pair figures of one engine.
#[derive(Debug, Clone, Serialize)]
pub struct PairScores {
    /// ROC AUC of the score for "same story".
    pub auc: f64,
    /// Accuracy with the configured threshold (absent for the baseline, which has none).
    pub accuracy: Option<f64>,
    /// Accuracy with a threshold chosen by 5-fold cross-validation.
    pub accuracy_cv: f64,
    /// The threshold that would be best on all pairs (reported, never used).
    pub best_threshold: f64,
}

/// What `eval related` prints.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RelatedReport {
    /// A corpus of labelled items.
    Ranking {
        /// The corpus path.
        corpus: String,
        /// Items read.
        items: usize,
        /// Items used as queries.
        queries: usize,
        /// Trendwatch's engine.
        engine: RankingScores,
        /// BM25 more-like-this.
        bm25: RankingScores,
        /// Seconds the engine took to build its model and rank every query.
        engine_seconds: f64,
        /// Seconds the baseline took.
        bm25_seconds: f64,
        /// The configuration used.
        config: RelatedConfig,
    },
    /// A corpus of same-story pairs.
    Pairs {
        /// The corpus path.
        corpus: String,
        /// Pairs read.
        pairs: usize,
        /// Pairs labelled "same story".
        positives: usize,
        /// Trendwatch's engine.
        engine: PairScores,
        /// BM25 more-like-this.
        bm25: PairScores,
        /// The configuration used.
        config: RelatedConfig,
    },
}

/// One labelled pair of texts.
struct Pair {
    first: (String, String),
    second: (String, String),
    same: bool,
}

/// Reads tgcontest-toloka pair files: a TSV with a header naming `INPUT:first_title`,
/// `INPUT:second_title`, `INPUT:first_text`, `INPUT:second_text` and `GOLDEN:quality`
/// (`OK` = same story). Quoted fields may hold newlines, hence a real TSV reader.
fn load_pairs(path: &Path) -> anyhow::Result<Vec<Pair>> {
    let files: Vec<std::path::PathBuf> = if path.is_dir() {
        let mut f: Vec<_> = std::fs::read_dir(path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("clustering_pairs__ru") && n.ends_with(".tsv"))
            })
            .collect();
        f.sort();
        f
    } else {
        vec![path.to_path_buf()]
    };
    let mut pairs = Vec::new();
    for file in files {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(b'\t')
            .flexible(true)
            .from_path(&file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let headers = reader.headers()?.clone();
        let col = |name: &str| -> anyhow::Result<usize> {
            headers
                .iter()
                .position(|h| h == name)
                .with_context(|| format!("{}: no column {name}", file.display()))
        };
        let (t1, t2, x1, x2, q) = (
            col("INPUT:first_title")?,
            col("INPUT:second_title")?,
            col("INPUT:first_text")?,
            col("INPUT:second_text")?,
            col("GOLDEN:quality")?,
        );
        for (n, rec) in reader.records().enumerate() {
            let rec = rec.with_context(|| format!("{}: record {}", file.display(), n + 1))?;
            let get = |i: usize| rec.get(i).unwrap_or("").to_string();
            let quality = get(q);
            if quality.is_empty() {
                continue;
            }
            pairs.push(Pair {
                first: (get(t1), get(x1)),
                second: (get(t2), get(x2)),
                same: quality == "OK",
            });
        }
    }
    if pairs.is_empty() {
        bail!("{}: no labelled pairs", path.display());
    }
    Ok(pairs)
}

fn is_pair_corpus(path: &Path) -> bool {
    if path.is_dir() {
        return true;
    }
    std::fs::read_to_string(path)
        .map(|s| s.lines().next().unwrap_or("").contains("INPUT:first_title"))
        .unwrap_or(false)
}

fn lang_of<'a>(texts: impl Iterator<Item = &'a str>) -> Language {
    let sample: String = texts.take(50).collect::<Vec<_>>().join(" ");
    Language::detect(&sample)
}

fn as_doc(id: usize, lang: Language, title: &str, text: &str, day: Option<i64>) -> SimilarityDoc {
    SimilarityDoc {
        id: id as i64,
        lang,
        group: None,
        topic: String::new(),
        storyline: None,
        day: day.and_then(|d| i32::try_from(d).ok()),
        title: title.to_string(),
        text: text.to_string(),
    }
}

/// Runs the evaluation of `path` with the given configuration.
pub fn related(path: &Path, config: &RelatedConfig) -> anyhow::Result<RelatedReport> {
    if is_pair_corpus(path) {
        pairs(path, config)
    } else {
        ranking(path, config)
    }
}

fn ranking(path: &Path, config: &RelatedConfig) -> anyhow::Result<RelatedReport> {
    let items = load(path)?;
    let lang = lang_of(items.iter().map(|i| i.text.as_str()));
    // How many items carry each label, to pick the queries with at least five relevant.
    let mut sizes: HashMap<&str, usize> = HashMap::new();
    for i in &items {
        for l in &i.labels {
            *sizes.entry(l.as_str()).or_default() += 1;
        }
    }
    let relevant_total = |q: &Item| -> usize {
        items
            .iter()
            .filter(|o| o.labels.iter().any(|l| q.labels.contains(l)))
            .count()
            - 1
    };
    let queries: Vec<usize> = (0..items.len())
        .filter(|&i| items[i].labels.iter().any(|l| sizes[l.as_str()] >= 6))
        .collect();
    let totals: Vec<usize> = par_map(&queries, |_, &q| relevant_total(&items[q]));
    let judge = |q: usize, ranked: &[(usize, f32)]| -> Vec<bool> {
        ranked
            .iter()
            .map(|&(j, _)| items[j].labels.iter().any(|l| items[q].labels.contains(l)))
            .collect()
    };
    let scores = |lists: &[(Ranked, Ranked)]| -> RankingScores {
        let n = queries.len().max(1) as f64;
        let (mut p5, mut ap) = (0.0, 0.0);
        for (k, &q) in queries.iter().enumerate() {
            p5 += precision_at(&judge(q, &lists[k].0), 5);
            ap += average_precision(&judge(q, &lists[k].1), totals[k]);
        }
        RankingScores {
            precision_at_5: p5 / n,
            map: ap / n,
        }
    };

    let started = Instant::now();
    let docs: Vec<SimilarityDoc> = items
        .iter()
        .enumerate()
        .map(|(n, i)| as_doc(n, lang, &i.title, &i.text, i.day))
        .collect();
    let model = RelatedModel::build(&docs, config);
    let exhaustive = model.exhaustive();
    let ours: Vec<_> = par_map(&queries, |_, &q| (model.ranked(q, 5), exhaustive.ranked(q)));
    let engine_seconds = started.elapsed().as_secs_f64();
    let engine = scores(&ours);

    let started = Instant::now();
    let texts: Vec<String> = items
        .iter()
        .map(|i| format!("{}\n{}", i.title, i.text))
        .collect();
    let mlt = MltBaseline::build(&texts, lang)?;
    let theirs: Vec<_> = par_map(&queries, |_, &q| {
        mlt.ranked(q, items.len())
            .map(|full| (full.iter().take(5).copied().collect::<Vec<_>>(), full))
    })
    .into_iter()
    .collect::<Result<_, _>>()?;
    let bm25_seconds = started.elapsed().as_secs_f64();
    let bm25 = scores(&theirs);

    Ok(RelatedReport::Ranking {
        corpus: path.display().to_string(),
        items: items.len(),
        queries: queries.len(),
        engine,
        bm25,
        engine_seconds,
        bm25_seconds,
        config: config.clone(),
    })
}

fn pair_scores(scores: &[f64], labels: &[bool], threshold: Option<f64>) -> PairScores {
    PairScores {
        auc: roc_auc(scores, labels),
        accuracy: threshold.map(|t| accuracy_at(scores, labels, t)),
        accuracy_cv: cross_validated_accuracy(scores, labels, 5),
        best_threshold: best_threshold(scores, labels),
    }
}

fn pairs(path: &Path, config: &RelatedConfig) -> anyhow::Result<RelatedReport> {
    let pairs = load_pairs(path)?;
    // Every text once, in order: the engine's corpus is the texts of all pairs.
    let mut texts: Vec<(String, String)> = Vec::new();
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    let mut id_of = |t: &(String, String)| -> usize {
        *index.entry(t.clone()).or_insert_with(|| {
            texts.push(t.clone());
            texts.len() - 1
        })
    };
    let ends: Vec<(usize, usize)> = pairs
        .iter()
        .map(|p| (id_of(&p.first), id_of(&p.second)))
        .collect();
    let labels: Vec<bool> = pairs.iter().map(|p| p.same).collect();
    let lang = lang_of(texts.iter().map(|t| t.1.as_str()));

    let docs: Vec<SimilarityDoc> = texts
        .iter()
        .enumerate()
        .map(|(n, (title, text))| as_doc(n, lang, title, text, None))
        .collect();
    let model = RelatedModel::build(&docs, config);
    let evidence: Vec<StoryEvidence> = docs.iter().map(StoryEvidence::of).collect();
    let ours: Vec<f64> = ends
        .iter()
        .map(|&(a, b)| {
            let text = model.text_score(a, b);
            f64::from(same_story_score(text, &evidence[a], &evidence[b], config))
        })
        .collect();

    let joined: Vec<String> = texts.iter().map(|(t, x)| format!("{t}\n{x}")).collect();
    let mlt = MltBaseline::build(&joined, lang)?;
    let mut theirs = Vec::with_capacity(ends.len());
    for &(a, b) in &ends {
        let ranked = mlt.ranked(a, texts.len())?;
        theirs.push(
            ranked
                .iter()
                .find(|(j, _)| *j == b)
                .map_or(0.0, |(_, s)| f64::from(*s)),
        );
    }
    Ok(RelatedReport::Pairs {
        corpus: path.display().to_string(),
        pairs: pairs.len(),
        positives: labels.iter().filter(|l| **l).count(),
        engine: pair_scores(&ours, &labels, Some(f64::from(config.same_story_threshold))),
        bm25: pair_scores(&theirs, &labels, None),
        config: config.clone(),
    })
}

impl std::fmt::Display for RelatedReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RelatedReport::Ranking {
                corpus,
                items,
                queries,
                engine,
                bm25,
                engine_seconds,
                bm25_seconds,
                ..
            } => {
                writeln!(f, "corpus            {corpus}")?;
                writeln!(f, "items / queries   {items} / {queries}")?;
                writeln!(f, "                  trendwatch   bm25-mlt")?;
                writeln!(
                    f,
                    "precision@5       {:.4}       {:.4}",
                    engine.precision_at_5, bm25.precision_at_5
                )?;
                writeln!(
                    f,
                    "MAP               {:.4}       {:.4}",
                    engine.map, bm25.map
                )?;
                write!(
                    f,
                    "seconds           {engine_seconds:.2}         {bm25_seconds:.2}"
                )
            }
            RelatedReport::Pairs {
                corpus,
                pairs,
                positives,
                engine,
                bm25,
                config,
            } => {
                writeln!(f, "corpus            {corpus}")?;
                writeln!(f, "pairs             {pairs} ({positives} same story)")?;
                writeln!(f, "                  trendwatch   bm25-mlt")?;
                writeln!(
                    f,
                    "ROC AUC           {:.4}       {:.4}",
                    engine.auc, bm25.auc
                )?;
                writeln!(
                    f,
                    "accuracy          {:.4}       -      (threshold {:.2} from the configuration)",
                    engine.accuracy.unwrap_or(0.0),
                    config.same_story_threshold
                )?;
                write!(
                    f,
                    "accuracy, 5-fold  {:.4}       {:.4}",
                    engine.accuracy_cv, bm25.accuracy_cv
                )
            }
        }
    }
}
