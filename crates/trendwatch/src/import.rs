//! The import run: walk the given files and folders, parse each file, check each draft,
//! write the good ones in batches (each article atomically), then refresh similar lists.
//! Every rejected item is reported with its file, line and reason.

use crate::config::Config;
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use trendwatch_core::article::NewArticle;
use trendwatch_core::similarity::RelatedEngine;
use trendwatch_import::{parse_file, EXTENSIONS};
use trendwatch_store::{Store, WriteError, WriteOutcome};

/// Articles written per transaction: one fsync per batch, each article in its own savepoint.
const BATCH: usize = 500;

/// Where a rejected item was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file.
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}", self.file.display()),
            None => write!(f, "{}", self.file.display()),
        }
    }
}

/// One item that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Where it was.
    pub at: Location,
    /// Why.
    pub reason: String,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.reason)
    }
}

/// What an import did.
#[derive(Debug, Default)]
pub struct Report {
    /// Files read.
    pub files: usize,
    /// New articles.
    pub created: usize,
    /// Articles replaced by a re-import.
    pub updated: usize,
    /// Items not imported.
    pub rejected: Vec<Rejection>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} files: {} articles created, {} updated, {} rejected",
            self.files,
            self.created,
            self.updated,
            self.rejected.len()
        )
    }
}

/// Collects the importable files under `paths`: files as given, folders recursively by
/// extension, skipping hidden entries. Arguments keep their order (the first one given wins a
/// contested week); each folder's files are sorted so runs are reproducible.
pub fn collect_files(paths: &[PathBuf], report: &mut Report) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>, report: &mut Report) {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                report.rejected.push(Rejection {
                    at: Location {
                        file: dir.to_path_buf(),
                        line: None,
                    },
                    reason: format!("cannot read folder: {e}"),
                });
                return;
            }
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let hidden = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'));
            if hidden {
                continue;
            }
            if path.is_dir() {
                walk(&path, out, report);
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
            {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found, report);
            found.sort();
            out.extend(found);
        } else if p.exists() {
            out.push(p.clone());
        } else {
            report.rejected.push(Rejection {
                at: Location {
                    file: p.clone(),
                    line: None,
                },
                reason: "no such file or folder".into(),
            });
        }
    }
    out
}

fn progress(len: u64, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {msg:10} [{bar:40}] {pos}/{len} ({per_sec}, {eta})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Imports `paths` into `store`. `show_progress` draws a progress bar on the terminal.
pub async fn import_paths(
    store: &Arc<dyn Store>,
    config: &Config,
    paths: &[PathBuf],
    show_progress: bool,
) -> anyhow::Result<Report> {
    let mut report = Report::default();
    let files = collect_files(paths, &mut report);
    report.files = files.len();
    let topics = &config.file.site.topics;

    let bar = progress(files.len() as u64, show_progress);
    bar.set_message("reading");
    let mut pending: Vec<(NewArticle, Location)> = Vec::new();
    // Where each key of this run came from, so a duplicate-week error can name both files.
    let mut origin: HashMap<String, Location> = HashMap::new();
    for file in &files {
        bar.inc(1);
        let bytes = match std::fs::read(file) {
            Ok(b) => b,
            Err(e) => {
                report.rejected.push(Rejection {
                    at: Location {
                        file: file.clone(),
                        line: None,
                    },
                    reason: format!("cannot read: {e}"),
                });
                continue;
            }
        };
        for item in parse_file(file, &bytes) {
            let at = Location {
                file: file.clone(),
                line: item.line,
            };
            match item
                .result
                .and_then(|d| d.prepare(topics).map_err(|e| e.to_string()))
            {
                Ok(a) => pending.push((a, at)),
                Err(reason) => report.rejected.push(Rejection { at, reason }),
            }
        }
    }
    bar.finish_and_clear();

    let bar = progress(pending.len() as u64, show_progress);
    bar.set_message("writing");
    for chunk in pending.chunks(BATCH) {
        let articles: Vec<NewArticle> = chunk.iter().map(|(a, _)| a.clone()).collect();
        let results = store.write_articles(&articles).await?;
        for ((article, at), result) in chunk.iter().zip(results) {
            match result {
                Ok(WriteOutcome::Created(_)) => report.created += 1,
                Ok(WriteOutcome::Updated(_)) => report.updated += 1,
                Err(e) => {
                    let mut reason = e.to_string();
                    if let WriteError::DuplicateWeek { existing_key, .. } = &e {
                        if let Some(first) = origin.get(existing_key) {
                            reason.push_str(&format!(" (the first was imported from {first})"));
                        }
                    }
                    report.rejected.push(Rejection {
                        at: at.clone(),
                        reason,
                    });
                    continue;
                }
            }
            origin.insert(article.key.clone(), at.clone());
        }
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();

    if report.created + report.updated > 0 {
        rebuild_similar(store, config).await?;
    }
    report
        .rejected
        .sort_by(|a, b| (&a.at.file, a.at.line).cmp(&(&b.at.file, b.at.line)));
    Ok(report)
}

/// Recomputes every similar-articles list with the configured engine.
pub async fn rebuild_similar(store: &Arc<dyn Store>, config: &Config) -> anyhow::Result<()> {
    let corpus = store.similarity_corpus().await?;
    let similar = config.file.similar.clone();
    let lists = tokio::task::spawn_blocking(move || {
        similar.engine().related_lists(&corpus, similar.list_length)
    })
    .await?;
    store.replace_related(&lists).await?;
    Ok(())
}
