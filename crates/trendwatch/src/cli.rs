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
    /// Recompute every "Similar articles" list.
    RebuildSimilar,
    /// Measure text analysis on a labelled corpus.
    Eval {
        /// What to measure.
        #[command(subcommand)]
        what: EvalCommand,
    },
}

/// The evaluations.
#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Storyline threading: NMI, pairwise precision/recall/F1, B-cubed F1 and documents/s of
    /// one pass over the corpus in file order (or by time when every item has one).
    Threads {
        /// Corpus file: MStream JSON lines, label<TAB>text TSV, BBC or Reuters JSON lines, or
        /// generic JSON lines {"id","title","text","label","lang","time"}.
        #[arg(long)]
        corpus: PathBuf,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
}
