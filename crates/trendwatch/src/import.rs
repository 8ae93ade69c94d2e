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
use trendwatch_core::duplicates::{DuplicateFinder, Fingerprint, Match};
use trendwatch_core::limits::{MAX_ITEM_BYTES, MAX_JSONL_FILE_BYTES};
use trendwatch_core::newsroom::DeskContent;
use trendwatch_core::parallel::par_map;
use trendwatch_import::{parse_file_in, EXTENSIONS};
use trendwatch_search::{BulkWriter, SearchIndex};
use trendwatch_store::{Store, StoreError, WriteError, WriteOutcome};

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

/// The present, as a site-local time (UTC until the site's time zone is configurable).
fn now_local() -> time::PrimitiveDateTime {
    let now = time::OffsetDateTime::now_utc();
    time::PrimitiveDateTime::new(now.date(), now.time())
}

/// How an import run treats what it reads.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Draw a progress bar on the terminal.
    pub show_progress: bool,
    /// Import exact and near copies of other articles, linked to their original (they stay
    /// out of similar lists, search and storylines), instead of leaving them out.
    pub keep_duplicates: bool,
    /// The desk account (its e-mail address) that drafts at their source (WordPress drafts)
    /// belong to in the desk; without one, such drafts are reported, not imported.
    pub drafts_to: Option<String>,
}

/// Brings drafts at their source into the desk as drafts of the account `--drafts-to`
/// names. A draft whose week, topic, language and headline are already in the desk is not
/// made twice (importing again changes nothing).
async fn bring_drafts(
    store: &Arc<dyn Store>,
    config: &Config,
    drafts: Vec<(Location, DeskContent)>,
    options: &ImportOptions,
    report: &mut Report,
) -> anyhow::Result<()> {
    let owner = match &options.drafts_to {
        Some(email) => store.user_by_email(&email.trim().to_lowercase()).await?,
        None => None,
    };
    let Some(owner) = owner.map(|o| o.user).filter(|u| !u.disabled) else {
        let reason = match &options.drafts_to {
            None => "a draft at its source: pass --drafts-to EMAIL (a desk account) to bring drafts into the desk".to_string(),
            Some(e) => format!("a draft at its source: --drafts-to {e:?} is not an enabled desk account"),
        };
        for (at, _) in drafts {
            report.rejected.push(Rejection {
                at,
                reason: reason.clone(),
            });
        }
        return Ok(());
    };
    let newsroom = config.newsroom(store, None)?;
    for (at, content) in drafts {
        let filter = trendwatch_core::newsroom::DeskFilter {
            period: Some(content.period),
            ..Default::default()
        };
        let there = store.desk_articles(&filter).await?.into_iter().any(|d| {
            d.lang == content.lang && d.topic == content.topic && d.title == content.title
        });
        if there {
            report.notes.push(Rejection {
                at,
                reason: "a draft already in the desk: left as it is".into(),
            });
            continue;
        }
        match newsroom
            .create(&owner, content, None, time::OffsetDateTime::now_utc())
            .await
        {
            Ok(_) => report.drafts += 1,
            Err(e) => report.rejected.push(Rejection {
                at,
                reason: format!("not brought into the desk: {e}"),
            }),
        }
    }
    Ok(())
}

/// An item that copies an article met earlier (in this run or in the archive).
#[derive(Debug, Clone, PartialEq)]
pub struct Duplicate {
    /// Where the copy was.
    pub at: Location,
    /// Where the original is: a file of this run, or the archive.
    pub original: String,
    /// The original's key.
    pub original_key: String,
    /// Exact or near.
    pub how: Match,
    /// Whether the copy was imported (linked) or left out.
    pub kept: bool,
}

impl fmt::Display for Duplicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} of {} (key {:?}); {}",
            self.at,
            self.how,
            self.original,
            self.original_key,
            if self.kept {
                "imported, linked to it as a duplicate"
            } else {
                "not imported (--keep-duplicates imports it, linked to the original)"
            }
        )
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
    /// What was skipped without being an error (a folder reached twice through a link).
    pub notes: Vec<Rejection>,
    /// Copies of other articles, left out or linked (see [`ImportOptions::keep_duplicates`]).
    pub duplicates: Vec<Duplicate>,
    /// Ids of the articles written (created or updated).
    pub written: Vec<i64>,
    /// Drafts at their source brought into the desk as drafts.
    pub drafts: usize,
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
        )?;
        let kept = self.duplicates.iter().filter(|d| d.kept).count();
        let left = self.duplicates.len() - kept;
        if left > 0 {
            write!(f, ", {left} duplicates left out")?;
        }
        if kept > 0 {
            write!(f, ", {kept} duplicates imported as linked copies")?;
        }
        if self.drafts > 0 {
            write!(f, ", {} drafts brought into the desk", self.drafts)?;
        }
        Ok(())
    }
}

/// Collects the importable files under `paths`: files as given, folders recursively by
/// extension, skipping hidden entries. Arguments keep their order (the first one given wins a
/// contested week); each folder's files are sorted so runs are reproducible.
///
/// Symbolic links are followed, but every real file is read once and every real folder
/// walked once: a link back to a folder being walked (`s -> .`, `up -> ..`) would otherwise
/// import the same files dozens of times and never end. Such loops are reported as notes.
pub fn collect_files(paths: &[PathBuf], report: &mut Report) -> Vec<PathBuf> {
    use std::collections::HashSet;
    struct Walk<'a> {
        out: Vec<PathBuf>,
        dirs: HashSet<PathBuf>,
        files: HashSet<FileIdentity>,
        report: &'a mut Report,
    }
    impl Walk<'_> {
        fn file(&mut self, path: &Path) {
            let fresh = file_identity(path).is_none_or(|real| self.files.insert(real));
            if fresh {
                self.out.push(path.to_path_buf());
            }
        }
        fn dir(&mut self, dir: &Path) {
            let real = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
            if !self.dirs.insert(real.clone()) {
                self.report.notes.push(Rejection {
                    at: Location {
                        file: dir.to_path_buf(),
                        line: None,
                    },
                    reason: format!(
                        "skipped: a link to {}, which this import already reads",
                        real.display()
                    ),
                });
                return;
            }
            let entries = match std::fs::read_dir(dir) {
                Ok(e) => e,
                Err(e) => {
                    self.report.rejected.push(Rejection {
                        at: Location {
                            file: dir.to_path_buf(),
                            line: None,
                        },
                        reason: format!("cannot read folder: {e}"),
                    });
                    return;
                }
            };
            let mut children: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
            children.sort();
            for path in children {
                let hidden = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('.'));
                if hidden {
                    continue;
                }
                if path.is_dir() {
                    self.dir(&path);
                } else if path
                    .extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
                {
                    self.file(&path);
                }
            }
        }
    }
    let mut walk = Walk {
        out: Vec::new(),
        dirs: HashSet::new(),
        files: HashSet::new(),
        report,
    };
    for p in paths {
        if p.is_dir() {
            walk.dir(p);
        } else if p.exists() {
            walk.file(p);
        } else {
            walk.report.rejected.push(Rejection {
                at: Location {
                    file: p.clone(),
                    line: None,
                },
                reason: "no such file or folder".into(),
            });
        }
    }
    walk.out
}

/// What makes a file the same file whatever path reaches it. On Unix, its device and inode
/// (one `stat`); resolving the real path instead costs a `readlink` per path component, some
/// 60,000 system calls for a 10,000-file archive.
#[cfg(unix)]
type FileIdentity = (u64, u64);
#[cfg(not(unix))]
type FileIdentity = PathBuf;

#[cfg(unix)]
fn file_identity(path: &Path) -> Option<FileIdentity> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn file_identity(path: &Path) -> Option<FileIdentity> {
    std::fs::canonicalize(path).ok()
}

/// Reads one file for import, refusing before reading what is too large to be articles: a
/// JSON-lines file up to [`MAX_JSONL_FILE_BYTES`] (each line is then held to the item
/// limit), any other file up to [`MAX_ITEM_BYTES`].
fn read_capped(file: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let mut f = std::fs::File::open(file).map_err(|e| format!("cannot read: {e}"))?;
    let len = f.metadata().map_err(|e| format!("cannot read: {e}"))?.len();
    let mut first = [0u8; 64];
    let n = f
        .read(&mut first)
        .map_err(|e| format!("cannot read: {e}"))?;
    let json_lines = first[..n]
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{');
    let cap = if json_lines {
        MAX_JSONL_FILE_BYTES
    } else {
        MAX_ITEM_BYTES as u64
    };
    if len > cap {
        return Err(format!(
            "the file is {:.1} MiB: {} may be at most {} MiB",
            len as f64 / 1048576.0,
            if json_lines {
                "a JSON-lines file"
            } else {
                "a file holding one article"
            },
            cap >> 20
        ));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    bytes.extend_from_slice(&first[..n]);
    // Read at most one byte past the cap, in case the file grew since its size was read.
    f.take(cap + 1 - n as u64)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > cap {
        return Err(format!(
            "the file grew past {} MiB while being read",
            cap >> 20
        ));
    }
    Ok(bytes)
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

/// An item read and checked.
// Articles are nearly every item and are moved once, into their batch: boxing each would add
// an allocation per article on the import's hot path for nothing.
#[allow(clippy::large_enum_variant)]
enum Checked {
    /// An article for the archive, with the fingerprint its copies are found by.
    Article(NewArticle, Fingerprint),
    /// A draft at its source (a WordPress draft), for the desk (boxed: the rare case).
    Draft(Box<DeskContent>),
}

/// An item read and checked, or why not.
type Parsed = Result<Checked, String>;

/// Reads, parses and checks `files` on every core, keeping their order (so the first file
/// given wins a contested week).
fn parse_files(
    files: &[PathBuf],
    context: &trendwatch_import::Context,
    bar: &ProgressBar,
) -> Vec<(Location, Parsed)> {
    let topics = &context.topics;
    let now = now_local();
    par_map(files, |_, file| {
        let items: Vec<(Location, Parsed)> = match read_capped(file) {
            Ok(bytes) => parse_file_in(file, &bytes, context)
                .into_iter()
                .map(|item| {
                    let at = Location {
                        file: file.clone(),
                        line: item.line,
                    };
                    let checked = item.result.and_then(|d| {
                        if d.unpublished {
                            return DeskContent::from_source(&d, topics)
                                .map(|c| Checked::Draft(Box::new(c)))
                                .map_err(|e| e.to_string());
                        }
                        d.prepare(topics)
                            .and_then(|a| a.check_not_future(now).map(|_| a))
                            .map(|a| {
                                let fp = Fingerprint::of(&a.title, &a.body_text);
                                Checked::Article(a, fp)
                            })
                            .map_err(|e| e.to_string())
                    });
                    (at, checked)
                })
                .collect(),
            Err(e) => vec![(
                Location {
                    file: file.clone(),
                    line: None,
                },
                Err(e),
            )],
        };
        bar.inc(1);
        items
    })
    .into_iter()
    .flatten()
    .collect()
}

/// A batch being written: where each article came from, its key, and the write itself.
type InFlight = (
    Vec<Location>,
    Vec<String>,
    tokio::task::JoinHandle<Result<Vec<Result<WriteOutcome, WriteError>>, StoreError>>,
);

/// Waits for a batch write and records its outcome in `report`.
async fn settle(
    (locations, keys, write): InFlight,
    report: &mut Report,
    origin: &mut HashMap<String, Location>,
) -> anyhow::Result<()> {
    let results = write.await??;
    // What this batch committed, for an operator following a long import in the log, and
    // for the crash tests, which check that everything reported is there after a kill -9.
    let committed: Vec<&str> = keys
        .iter()
        .zip(&results)
        .filter(|(_, r)| r.is_ok())
        .map(|(k, _)| k.as_str())
        .collect();
    tracing::debug!(keys = ?committed, "batch committed");
    for ((at, key), result) in locations.into_iter().zip(keys).zip(results) {
        match result {
            Ok(WriteOutcome::Created(id)) => {
                report.created += 1;
                report.written.push(id);
            }
            Ok(WriteOutcome::Updated(id)) => {
                report.updated += 1;
                report.written.push(id);
            }
            Err(e) => {
                let mut reason = e.to_string();
                if let WriteError::DuplicateWeek { existing_key, .. } = &e {
                    if let Some(first) = origin.get(existing_key) {
                        reason.push_str(&format!(" (the first was imported from {first})"));
                    }
                }
                report.rejected.push(Rejection { at, reason });
                continue;
            }
        }
        origin.insert(key, at);
    }
    Ok(())
}

/// The archive's articles, for finding copies of the ones imported: each is named by its key
/// and by where it can be read.
async fn stored_texts(store: &Arc<dyn Store>) -> anyhow::Result<DuplicateFinder<(String, String)>> {
    let texts = store.article_texts(None).await?;
    let finder = tokio::task::spawn_blocking(move || {
        let prints = par_map(&texts, |_, t| Fingerprint::of(&t.title, &t.text));
        let mut finder = DuplicateFinder::new();
        for (t, fp) in texts.into_iter().zip(prints) {
            if let Ok(lang) = t.lang.parse::<trendwatch_core::Language>() {
                let place = format!("the archive's {}/{}", t.lang, t.slug);
                finder.insert((t.key, place), lang, fp);
            }
        }
        finder
    })
    .await?;
    Ok(finder)
}

/// Imports `paths` into `store`.
///
/// Parsing (on every core) and writing (on the store's one writer) overlap: while one batch
/// is written, the next one is parsed. A batch is settled before the next one is written, so
/// a duplicate-week error can always name the file of the article that came first.
pub async fn import_paths(
    store: &Arc<dyn Store>,
    config: &Config,
    paths: &[PathBuf],
    options: &ImportOptions,
) -> anyhow::Result<Report> {
    let show_progress = options.show_progress;
    let started = std::time::Instant::now();
    let ms = || started.elapsed().as_millis() as u64;
    let mut report = Report::default();
    // The index is brought up to date with the database before anything is written, so that
    // afterwards only this run's articles need indexing; if the run dies between its writes
    // and the index update, the index is left stale and the next start rebuilds it.
    let index = match trendwatch_service::search_index::open_and_repair(store, &config.data_dir)
        .await
    {
        Ok(index) => Some(index),
        Err(e) => {
            tracing::warn!(error = %e, "search index unavailable; run `trendwatch reindex` later");
            None
        }
    };
    let files = collect_files(paths, &mut report);
    report.files = files.len();
    // Each batch is indexed as soon as it is written, on tantivy's threads, while the next
    // batches are parsed and written; one commit at the end makes them visible.
    let mut indexer = Indexer::open(index.as_ref(), files.len());
    let topics = Arc::new(trendwatch_import::Context {
        topics: config.file.site.topics.clone(),
        categories: config.file.import.categories.clone(),
    });
    let bar = progress(files.len() as u64, show_progress);
    bar.set_message("importing");

    // Where each key of this run came from, so a duplicate-week error can name both files.
    let mut origin: HashMap<String, Location> = HashMap::new();
    // Where each id of this run was first seen, to report a second use.
    let mut seen: HashMap<String, Location> = HashMap::new();
    // Every article of the archive and of this run so far, to find copies.
    let mut finder = stored_texts(store).await?;
    let mut in_flight: Option<InFlight> = None;
    // Drafts at their source, brought into the desk once the articles are in.
    let mut drafts: Vec<(Location, DeskContent)> = Vec::new();
    for chunk in files.chunks(BATCH) {
        let (chunk, topics, chunk_bar) = (chunk.to_vec(), topics.clone(), bar.clone());
        let parsed =
            tokio::task::spawn_blocking(move || parse_files(&chunk, &topics, &chunk_bar)).await?;
        let (mut locations, mut keys, mut articles) = (Vec::new(), Vec::new(), Vec::new());
        for (at, result) in parsed {
            let result = match result {
                Ok(Checked::Draft(content)) => {
                    drafts.push((at, *content));
                    continue;
                }
                Ok(Checked::Article(a, fp)) => Ok((a, fp)),
                Err(e) => Err(e),
            };
            // The same id twice in one run: the first stays, the second is reported (it
            // would otherwise silently replace the first).
            let result = result.and_then(|(a, fp)| match seen.get(&a.key) {
                Some(first) => Err(format!(
                    "id {:?} was already used in this import by {first}; ids must be unique",
                    a.key
                )),
                None => {
                    seen.insert(a.key.clone(), at.clone());
                    Ok((a, fp))
                }
            });
            match result {
                Ok((mut a, fp)) => {
                    // Its own earlier version (a re-import) is not a copy.
                    let found = finder.find(a.lang, &fp, |(key, _)| *key == a.key);
                    if let Some(((original_key, original), how)) = found {
                        let kept = options.keep_duplicates;
                        report.duplicates.push(Duplicate {
                            at: at.clone(),
                            original: original.clone(),
                            original_key: original_key.clone(),
                            how,
                            kept,
                        });
                        if !kept {
                            continue;
                        }
                        a.duplicate_of = Some(original_key.clone());
                    } else {
                        finder.insert((a.key.clone(), at.to_string()), a.lang, fp);
                    }
                    locations.push(at);
                    keys.push(a.key.clone());
                    articles.push(a);
                }
                Err(reason) => report.rejected.push(Rejection { at, reason }),
            }
        }
        if let Some(previous) = in_flight.take() {
            let before = report.written.len();
            settle(previous, &mut report, &mut origin).await?;
            indexer.add(store, &report.written[before..]).await;
        }
        let writer = store.clone();
        let write = tokio::spawn(async move { writer.write_articles(&articles).await });
        in_flight = Some((locations, keys, write));
    }
    if let Some(previous) = in_flight.take() {
        let before = report.written.len();
        settle(previous, &mut report, &mut origin).await?;
        indexer.add(store, &report.written[before..]).await;
    }
    bar.finish_and_clear();
    tracing::debug!(
        elapsed_ms = ms(),
        files = files.len(),
        "articles parsed and written"
    );

    if report.created + report.updated > 0 {
        // The generation this run's derived work will cover; read before deriving, so a
        // write by another process meanwhile leaves the mark behind and is derived later.
        // (`trendwatch_service::Publisher::derive_written` does the same for a few articles;
        // an import streams its batches into the index instead, and commits it once here.)
        let derived_upto = store.text_generation().await?;
        // Storylines first: the similar-articles engine weighs "same storyline". The search
        // index, which depends on neither, is committed meanwhile (on tantivy's threads),
        // which keeps a second core busy while the threader runs on one.
        let indexing = indexer.commit(store);
        let settings = config.derivation();
        let derived = trendwatch_service::derive::after_write(
            store,
            index.as_ref(),
            &settings,
            &report.written,
            None,
        );
        let (indexed, similar) = tokio::join!(indexing, derived);
        similar?;
        if let Err(e) = indexed {
            // The articles are safely stored; the index is repaired at the next start or by
            // `trendwatch reindex`.
            tracing::warn!(error = %e, "search index not updated");
        }
        tracing::debug!(elapsed_ms = ms(), "similar lists and search index updated");
        store.set_derived_generation(derived_upto).await?;
    }
    if !drafts.is_empty() {
        bring_drafts(store, config, drafts, options, &mut report).await?;
    }
    metrics::counter!("articles_imported_total", "outcome" => "created")
        .increment(report.created as u64);
    metrics::counter!("articles_imported_total", "outcome" => "updated")
        .increment(report.updated as u64);
    metrics::counter!("articles_imported_total", "outcome" => "rejected")
        .increment(report.rejected.len() as u64);
    report
        .rejected
        .sort_by(|a, b| (&a.at.file, a.at.line).cmp(&(&b.at.file, b.at.line)));
    report
        .duplicates
        .sort_by(|a, b| (&a.at.file, a.at.line).cmp(&(&b.at.file, b.at.line)));
    Ok(report)
}

/// The search-index side of an import: a [`BulkWriter`] fed batch by batch. A failure
/// (logged) only drops it: the articles are safely stored, and the index, left stale, is
/// repaired at the next start or by `trendwatch reindex`.
struct Indexer(Option<Arc<BulkWriter>>);

impl Indexer {
    fn open(index: Option<&Arc<SearchIndex>>, expected_docs: usize) -> Self {
        Indexer(index.and_then(|index| {
            index
                .bulk_writer(expected_docs)
                .map_err(|e| tracing::warn!(error = %e, "search index not updated"))
                .ok()
                .map(Arc::new)
        }))
    }

    /// Hands the articles just written (`ids`) to the indexing threads.
    async fn add(&mut self, store: &Arc<dyn Store>, ids: &[i64]) {
        let Some(writer) = self.0.clone() else {
            return;
        };
        if ids.is_empty() {
            return;
        }
        let added = async {
            let docs = store.article_texts(Some(ids.to_vec())).await?;
            tokio::task::spawn_blocking(move || writer.upsert(&docs)).await??;
            anyhow::Ok(())
        };
        if let Err(e) = added.await {
            tracing::warn!(error = %e, "search index not updated");
            self.0 = None;
        }
    }

    /// Waits for the indexing threads and commits, stamped with the store's text generation
    /// as of now (after every write of the import).
    async fn commit(self, store: &Arc<dyn Store>) -> anyhow::Result<()> {
        let Some(writer) = self.0 else {
            return Ok(());
        };
        let writer = Arc::try_unwrap(writer)
            .map_err(|_| anyhow::anyhow!("the search index writer is still in use"))?;
        let generation = store.text_generation().await?;
        tokio::task::spawn_blocking(move || writer.commit(generation as u64)).await??;
        Ok(())
    }
}
