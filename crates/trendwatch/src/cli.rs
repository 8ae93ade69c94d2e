//! The command line: what `trendwatch --help` shows.

use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Trendwatch: a weekly political-trend monitor. Analysts write one commentary per topic and
/// week, mark the trend improved, unchanged or worsened, and readers follow it over time.
#[derive(Debug, Parser)]
#[command(name = "trendwatch", version, about, long_about = None)]
pub struct Cli {
    /// Data directory: the SQLite archive and the optional trendwatch.toml live here.
    #[arg(
        long,
        global = true,
        env = "TRENDWATCH_DATA",
        default_value = "./trendwatch-data"
    )]
    pub data: PathBuf,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the public site on the archive in --data.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Load the bundled sample archive first (same as `trendwatch demo`).
        #[arg(long)]
        demo: bool,
    },
    /// Import files or folders: seed-format page dumps, HTML pages, Markdown with front
    /// matter (Hugo/Zola layout) and JSON lines; the format is detected from each file's
    /// content. Re-importing updates articles instead of duplicating them. Exits with status 1
    /// when any item was rejected; the good items are kept.
    Import {
        /// Files or folders to import.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Do not draw a progress bar.
        #[arg(long)]
        no_progress: bool,
        /// Import exact and near copies of other articles (same language, nearly the same
        /// text), linked to their original, instead of leaving them out. Linked copies never
        /// appear in similar lists, search or storylines.
        #[arg(long)]
        keep_duplicates: bool,
        /// The desk account (e-mail address) that drafts at their source (WordPress drafts
        /// and pending posts) belong to; they become drafts in the desk. Without it they are
        /// reported, not imported.
        #[arg(long, value_name = "EMAIL")]
        drafts_to: Option<String>,
    },
    /// Write a synthetic archive of N articles as a Markdown folder (for benchmarks).
    Generate {
        /// Number of articles.
        #[arg(long)]
        articles: usize,
        /// Output folder (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
    /// Load the bundled sample archive (a fictional country, labelled as sample data) into
    /// --data and run the site, printing its URL.
    Demo {
        /// Address to listen on; if it is taken, a free port is chosen.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
    },
    /// Write a backup of the archive in --data (database snapshot and configuration) to one
    /// tar file, while the site keeps running.
    Backup {
        /// The backup file to write (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Write the whole public site (both languages, every page, feed, sitemap and download)
    /// as files for any static server; search on the copy says it needs the live site.
    Export {
        /// Output folder (must not exist, or be empty).
        #[arg(long)]
        out: PathBuf,
        /// The address the copy will be served at, for its canonical links, feeds and
        /// sitemaps (default: `[site] base_url`, else `http://localhost:8000`).
        #[arg(long)]
        base_url: Option<String>,
    },
    /// Copy the whole SQLite archive of a data directory (articles, storylines, accounts,
    /// drafts, subscribers, everything) into a PostgreSQL database, in one transaction, and
    /// check the copy. Safe to run again: an interrupted copy leaves nothing behind, and a
    /// database that already holds an archive is refused unless --replace.
    MigrateStore {
        /// The data directory of the SQLite archive.
        #[arg(long)]
        from: PathBuf,
        /// The PostgreSQL database: postgres://user:password@host:port/database.
        #[arg(long)]
        to: String,
        /// Empty the PostgreSQL database first (everything in it is lost).
        #[arg(long)]
        replace: bool,
    },
    /// Restore a backup into --data, which must not hold an archive yet.
    Restore {
        /// The backup file.
        file: PathBuf,
    },
    /// Recompute every "Similar articles" list.
    RebuildSimilar,
    /// Rebuild the full-text search index from the database (it is also repaired
    /// automatically at start when missing or stale).
    Reindex,
    /// Editors' pins and exclusions of "Similar articles" (always honoured by the engine).
    Similar {
        /// What to do.
        #[command(subcommand)]
        action: SimilarCommand,
    },
    /// List and edit storylines (editors' decisions are never undone by the threader).
    Storylines {
        /// What to do.
        #[command(subcommand)]
        action: StorylineCommand,
    },
    /// Manage the accounts of the desk (analysts, editors, admins).
    Users {
        /// What to do.
        #[command(subcommand)]
        action: UserCommand,
    },
    /// The weekly digest by e-mail: send a week's digest to its confirmed readers, see sends.
    Digest {
        /// What to do.
        #[command(subcommand)]
        action: DigestCommand,
    },
    /// List forecasts, find overdue ones and resolve them.
    Forecasts {
        /// What to do.
        #[command(subcommand)]
        action: ForecastCommand,
    },
    /// Measure search latency, the cost of publishing one article and the full similar-lists
    /// computation, in-process, on the archive in --data (prints JSON; see BENCHMARKS.md).
    Bench {
        /// What to measure.
        #[command(subcommand)]
        what: BenchCommand,
    },
    /// Measure text analysis on a labelled corpus.
    Eval {
        /// What to measure.
        #[command(subcommand)]
        what: EvalCommand,
    },
}

/// The in-process benchmarks.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Latency of varied queries (words, phrases, exclusions, filters) built from the
    /// archive's headlines.
    Search {
        /// Distinct queries.
        #[arg(long, default_value_t = 1200)]
        queries: usize,
        /// Measured runs over all queries (after one warm-up run).
        #[arg(long, default_value_t = 3)]
        rounds: usize,
    },
    /// Publish generated articles one at a time (they stay in the archive) and time the
    /// database write, the search-index update and the incremental similar-list update.
    Publish {
        /// Articles to publish.
        #[arg(long, default_value_t = 20)]
        articles: usize,
    },
    /// Save drafts and publish them through the newsroom (they stay in the archive, in weeks
    /// of the next century), timing the save, the publish request and the derived work.
    Newsroom {
        /// Saves and publications to time.
        #[arg(long, default_value_t = 200)]
        rounds: usize,
    },
    /// Compute every similar list (without storing them), then tantivy's more-like-this for
    /// every article, on one thread and on every core: the search issue's anchor, same run.
    Similar,
}

/// The evaluations.
#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Similar articles against plain BM25 more-like-this: precision@5 and MAP on labelled
    /// items, or ROC AUC and accuracy on same-story pairs.
    Related {
        /// Corpus: any format `eval threads` reads, or tgcontest-toloka pair TSV files (a
        /// file, or the folder holding `clustering_pairs__ru_*.tsv`).
        #[arg(long)]
        corpus: PathBuf,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Storyline threading: NMI, pairwise precision/recall/F1, B-cubed F1 and documents/s of
    /// one pass over the corpus in file order (or by time when every item has one).
    Threads {
        /// Corpus file: MStream JSON lines, `label<TAB>text` TSV, BBC or Reuters JSON lines, or
        /// generic JSON lines {"id","title","text","label","lang","time"}.
        #[arg(long)]
        corpus: PathBuf,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// Editor operations on similar lists. Articles are named by language and slug, `en/<slug>`.
#[derive(Debug, Subcommand)]
pub enum SimilarCommand {
    /// Show an article's similar list and the editors' decisions about it.
    Show {
        /// The article, as `en/<slug>`.
        article: String,
    },
    /// Always list RELATED under ARTICLE, before the engine's suggestions.
    Pin {
        /// The article whose list changes, as `en/<slug>`.
        article: String,
        /// The article to list, as `en/<slug>`.
        related: String,
    },
    /// Never list RELATED under ARTICLE.
    Exclude {
        /// The article whose list changes, as `en/<slug>`.
        article: String,
        /// The article to keep out, as `en/<slug>`.
        related: String,
    },
    /// Forget the editors' decision about RELATED under ARTICLE.
    Clear {
        /// The article whose list changes, as `en/<slug>`.
        article: String,
        /// The article concerned, as `en/<slug>`.
        related: String,
    },
}

/// The weekly digest.
#[derive(Debug, Subcommand)]
pub enum DigestCommand {
    /// Send the digest of a week to every confirmed reader of the edition (needs `[mail]`
    /// and `[site] base_url`). Sending a week again resumes that send: nobody receives it
    /// twice. Exits with status 1 when any message was refused.
    Send {
        /// The ISO week, `2026-W48` (default: the latest week with commentaries).
        #[arg(long)]
        week: Option<String>,
        /// The edition: `en` or `ru`.
        #[arg(long, default_value = "en")]
        lang: String,
    },
    /// Subscriptions by state, and the latest sends with their counts.
    Status,
}

/// Accounts of the desk.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. The password is asked for on the terminal, or read from standard
    /// input with --password-stdin (never given on the command line, where other users of
    /// the machine could read it): 8 to 128 characters, not a common password.
    Add {
        /// E-mail address, the account's name at login.
        email: String,
        /// analyst, editor or admin.
        #[arg(long)]
        role: String,
        /// Name shown in the desk (default: the address's part before the @).
        #[arg(long, default_value = "")]
        name: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the accounts.
    List,
}

/// Editor operations on storylines. Articles are named by language and slug, `en/<slug>`.
#[derive(Debug, Subcommand)]
pub enum StorylineCommand {
    /// List storylines, most recently active first.
    List {
        /// Language of the titles and counts.
        #[arg(long, default_value = "en")]
        lang: String,
        /// How many.
        #[arg(long, default_value_t = 50)]
        limit: u64,
    },
    /// Set a storyline's title (an empty title goes back to the derived one).
    Rename {
        /// Storyline id.
        id: i64,
        /// The new title.
        title: String,
    },
    /// Move every article of storyline FROM into storyline INTO.
    Merge {
        /// Storyline that disappears.
        from: i64,
        /// Storyline that stays.
        into: i64,
    },
    /// Move one article (and its translations) to another storyline, or to a new one.
    Move {
        /// The article, as `en/<slug>`.
        article: String,
        /// Target storyline id; without it, a new storyline is opened.
        #[arg(long)]
        to: Option<i64>,
    },
    /// Split a storyline: the articles from ARTICLE on move to a new storyline.
    Split {
        /// Storyline id.
        id: i64,
        /// First article of the new storyline, as `en/<slug>`.
        #[arg(long)]
        from: String,
    },
    /// Thread every article that has no storyline yet.
    Thread,
}

/// Editor operations on forecasts.
#[derive(Debug, Subcommand)]
pub enum ForecastCommand {
    /// Every forecast of one language with its id and outcome.
    List {
        /// Language.
        #[arg(long, default_value = "en")]
        lang: String,
    },
    /// Unresolved forecasts whose date has passed, in every language.
    Overdue {
        /// The day to compare with (default: today, UTC), as YYYY-MM-DD.
        #[arg(long)]
        today: Option<String>,
    },
    /// Record how a forecast turned out.
    Resolve {
        /// Forecast id (see `forecasts list`).
        id: i64,
        /// happened, did_not_happen or void.
        outcome: String,
    },
}
