//! `kill -9` of an import at random moments (issue 14 §3), 30 cycles on each backend: after
//! every kill, each article the import had reported as committed is there, the database
//! passes its own consistency check (SQLite's `integrity_check`, PostgreSQL's `amcheck` on
//! every B-tree index), and at the end the search index is repaired at start and a last
//! import completes the archive. PostgreSQL runs are skipped, saying so, without
//! `TRENDWATCH_TEST_DATABASE_URL`.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use trendwatch_postgres::testing::ThrowawayDatabase;
use trendwatch_store::Store;

const CYCLES: usize = 30;
/// Three batches of the import (500 articles each), so kills fall between commits too.
const ARTICLES: usize = 1200;

/// A small, seeded random number generator (the seed is printed, so a failure can be run
/// again with `TRENDWATCH_CRASH_SEED`).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// The keys the import's log reports committed, from its complete lines.
fn committed_keys(log: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for line in log.lines().filter(|l| l.contains("batch committed")) {
        let Some(start) = line.find("keys=[") else {
            continue;
        };
        let Some(len) = line[start + 6..].find(']') else {
            continue;
        };
        keys.extend(
            line[start + 6..start + 6 + len]
                .split(", ")
                .map(|k| k.trim_matches('"').to_string())
                .filter(|k| !k.is_empty()),
        );
    }
    keys
}

/// Runs the import on `data` (with `database_url` for PostgreSQL) and kills it after
/// `after` (`None`: lets it finish); returns its log up to then and whether it had finished
/// by itself.
fn import_killed(
    data: &Path,
    archive: &Path,
    database_url: Option<&str>,
    after: Option<Duration>,
) -> (String, bool) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trendwatch"));
    cmd.arg("--data")
        .arg(data)
        .args(["import", "--no-progress"])
        .arg(archive)
        .env("RUST_LOG", "trendwatch::import=debug")
        .env_remove("TRENDWATCH_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(url) = database_url {
        cmd.env("TRENDWATCH_DATABASE_URL", url);
    }
    let mut child = cmd.spawn().expect("start the import");
    // The log is read as it comes, so a full pipe never holds the import back.
    let mut stderr = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut log = String::new();
        let _ = stderr.read_to_string(&mut log);
        log
    });
    let finished = match after {
        None => child.wait().expect("import").success(),
        Some(after) => {
            // The fault injected: a kill at a chosen moment of the run.
            std::thread::sleep(after);
            let finished = child.try_wait().expect("status").is_some();
            if !finished {
                child.kill().expect("kill -9");
            }
            child.wait().expect("reaped");
            finished
        }
    };
    (reader.join().expect("log reader"), finished)
}

async fn check_consistent(store: &Arc<dyn Store>, data: &Path, db: Option<&ThrowawayDatabase>) {
    match db {
        None => {
            let conn =
                rusqlite::Connection::open(data.join(trendwatch_sqlite::DB_FILE)).expect("open");
            let verdict: String = conn
                .query_row("PRAGMA integrity_check", [], |r| r.get(0))
                .expect("integrity_check");
            assert_eq!(verdict, "ok");
        }
        Some(db) => {
            // Every B-tree index of the schema, with a check of its heap.
            let checked = trendwatch_postgres::testing::amcheck(&db.url)
                .await
                .expect("amcheck passes");
            assert!(checked > 20, "{checked} indexes checked");
        }
    }
    // The archive's own invariants read back: one article per key.
    assert!(store.count_articles().await.is_ok());
}

async fn crash_cycles(backend: &str, db: Option<ThrowawayDatabase>) {
    let seed = std::env::var("TRENDWATCH_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    eprintln!("{backend}: TRENDWATCH_CRASH_SEED={seed}");
    let mut rng = Rng(seed);
    let work = tempfile::tempdir().expect("temp dir");
    let archive = work.path().join("archive");
    trendwatch::generate::generate(ARTICLES, &archive).expect("generate");
    let data = work.path().join("data");
    let url = db.as_ref().map(|d| d.url.as_str());
    // How long a whole import takes here: kills fall anywhere in it.
    let started = std::time::Instant::now();
    let (_, finished) = import_killed(&work.path().join("timing"), &archive, None, None);
    assert!(finished, "a whole import finishes within a minute");
    let whole = started.elapsed().as_millis().max(50) as u64;
    let mut reported = std::collections::BTreeSet::new();
    let mut killed = 0;
    for cycle in 0..CYCLES {
        let after = Duration::from_millis(rng.below(whole));
        let (log, finished) = import_killed(&data, &archive, url, Some(after));
        killed += usize::from(!finished);
        reported.extend(committed_keys(&log));
        if !data.join(trendwatch_sqlite::DB_FILE).exists() && db.is_none() {
            continue; // killed before the database was created
        }
        let mut config = trendwatch::Config::load(&data).expect("config");
        config.file.database.url = url.map(str::to_string);
        let store = match trendwatch::open_store(&config).await {
            Ok(s) => s,
            Err(e) if db.is_some() && cycle == 0 => {
                // Killed before its migrations committed: nothing was reported either.
                assert!(reported.is_empty(), "{e}");
                continue;
            }
            Err(e) => panic!("cycle {cycle}: the archive does not open after kill -9: {e:#}"),
        };
        for key in &reported {
            assert!(
                store.article_id_by_key(key).await.expect("lookup").is_some(),
                "{backend}, cycle {cycle} (killed after {after:?}): {key} was reported committed and is missing"
            );
        }
        check_consistent(&store, &data, db.as_ref()).await;
    }
    assert!(
        killed >= CYCLES / 2,
        "only {killed} of {CYCLES} imports were killed mid-way"
    );
    // The search index is repaired when the site starts, and a last import completes it all.
    let (_, finished) = import_killed(&data, &archive, url, None);
    assert!(finished);
    let mut config = trendwatch::Config::load(&data).expect("config");
    config.file.database.url = url.map(str::to_string);
    let store = trendwatch::open_store(&config).await.expect("open");
    let counted: u64 = store
        .count_articles()
        .await
        .expect("count")
        .iter()
        .map(|(_, n)| n)
        .sum();
    assert_eq!(counted as usize, ARTICLES);
    let index = trendwatch_service::search_index::open_and_repair(&store, &data)
        .await
        .expect("index repaired");
    assert_eq!(
        index.stamp(),
        Some(store.text_generation().await.expect("generation") as u64)
    );
    eprintln!(
        "{backend}: {killed} of {CYCLES} imports killed mid-way; {} articles reported committed",
        reported.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_imports_on_sqlite_lose_nothing_reported_and_resume() {
    crash_cycles("sqlite", None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_imports_on_postgresql_lose_nothing_reported_and_resume() {
    let Some(db) = ThrowawayDatabase::create("kill -9 of imports").await else {
        return;
    };
    crash_cycles("postgres", Some(db)).await;
}
