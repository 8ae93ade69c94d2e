//! Shared test support: a real Trendwatch on 127.0.0.1:0 over a SQLite archive in a temporary
//! directory, a small HTTP client, and DOM helpers.
#![allow(dead_code)]

use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use scraper::{Html, Selector};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tempfile::TempDir;
use trendwatch::import::{import_paths, Report};
use trendwatch::{Config, RunningApp};
use trendwatch_store::Store;

/// The fixtures folder of this crate.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
}

/// `../shared` next to the checkout, if present (it is on CI, not on a user's machine).
pub fn shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    p.is_dir().then_some(p)
}

/// An archive in a temporary data directory, not yet serving.
/// The variable that runs the site tests on PostgreSQL (`postgres`) instead of SQLite.
pub const BACKEND_ENV: &str = "TRENDWATCH_TEST_BACKEND";

pub struct TestArchive {
    pub dir: TempDir,
    pub config: Config,
    pub store: Arc<dyn Store>,
    /// The throwaway PostgreSQL database of an archive made by [`TestArchive::on_postgres`].
    pub database: Option<Arc<trendwatch_postgres::testing::ThrowawayDatabase>>,
}

impl TestArchive {
    pub fn new() -> TestArchive {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = Config::load(dir.path()).expect("default config");
        let store = trendwatch::open_embedded_store(&config).expect("open store");
        TestArchive {
            dir,
            config,
            store,
            database: None,
        }
    }

    /// An archive whose data directory holds `trendwatch.toml` with `toml`.
    pub fn with_config(toml: &str) -> TestArchive {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join(trendwatch::config::CONFIG_FILE), toml).expect("config");
        let config = Config::load(dir.path()).expect("valid config");
        let store = trendwatch::open_embedded_store(&config).expect("open store");
        TestArchive {
            dir,
            config,
            store,
            database: None,
        }
    }

    /// An empty archive on the backend the suite runs on: SQLite, or with
    /// `TRENDWATCH_TEST_BACKEND=postgres` a throwaway PostgreSQL database
    /// (`scripts/test` runs the tests of the sites a second time so).
    pub async fn fresh() -> TestArchive {
        Self::fresh_with_config("").await
    }

    /// [`TestArchive::fresh`] with `trendwatch.toml` holding `toml`.
    pub async fn fresh_with_config(toml: &str) -> TestArchive {
        if std::env::var(BACKEND_ENV).is_ok_and(|b| b == "postgres") {
            let db = trendwatch_postgres::testing::ThrowawayDatabase::create("a test site")
                .await
                .unwrap_or_else(|| {
                    panic!("{BACKEND_ENV}=postgres needs TRENDWATCH_TEST_DATABASE_URL")
                });
            Self::on_database_with_config(Arc::new(db), toml).await
        } else {
            Self::with_config(toml)
        }
    }

    /// Everything the archive's database holds, as bytes, to search for what must not be
    /// stored: SQLite's database file and its write-ahead log, or a `pg_dump` of the data.
    pub fn stored_bytes(&self) -> Vec<u8> {
        match &self.database {
            Some(db) => {
                let out = std::process::Command::new("pg_dump")
                    .args(["--data-only", "--dbname", &db.url])
                    .output()
                    .expect("pg_dump runs");
                assert!(out.status.success(), "pg_dump: {out:?}");
                out.stdout
            }
            None => ["trendwatch.sqlite3", "trendwatch.sqlite3-wal"]
                .iter()
                .flat_map(|f| std::fs::read(self.dir.path().join(f)).unwrap_or_default())
                .collect(),
        }
    }

    /// An empty archive in a throwaway PostgreSQL database (with its own data directory for
    /// the search index and uploads), or `None` when no test cluster is configured: the
    /// caller is then skipped, and the reason is printed.
    pub async fn on_postgres(test: &str) -> Option<TestArchive> {
        let db = trendwatch_postgres::testing::ThrowawayDatabase::create(test).await?;
        Some(Self::on_database(Arc::new(db)).await)
    }

    /// An archive (a data directory of its own) on the PostgreSQL database `db`, which other
    /// archives may share: another web node of the same site.
    pub async fn on_database(
        db: Arc<trendwatch_postgres::testing::ThrowawayDatabase>,
    ) -> TestArchive {
        Self::on_database_with_config(db, "").await
    }

    /// [`TestArchive::on_database`] with `trendwatch.toml` holding `toml` (its
    /// `[database] url` is set to `db`'s).
    pub async fn on_database_with_config(
        db: Arc<trendwatch_postgres::testing::ThrowawayDatabase>,
        toml: &str,
    ) -> TestArchive {
        let dir = tempfile::tempdir().expect("temp dir");
        // The URL goes into the file, so that the CLI run on this data directory (as some
        // tests do) opens the same database.
        let url = format!("url = {:?}\n", db.url);
        let toml = if toml.contains("[database]\n") {
            toml.replacen("[database]\n", &format!("[database]\n{url}"), 1)
        } else {
            format!("{toml}\n[database]\n{url}")
        };
        std::fs::write(dir.path().join(trendwatch::config::CONFIG_FILE), toml).expect("config");
        let config = Config::load(dir.path()).expect("valid config");
        assert_eq!(config.file.database.url.as_deref(), Some(db.url.as_str()));
        let store = trendwatch::open_store(&config)
            .await
            .expect("open the PostgreSQL store");
        TestArchive {
            dir,
            config,
            store,
            database: Some(db),
        }
    }

    /// The archive already in `dir` (e.g. restored from a backup).
    pub fn open(dir: TempDir) -> TestArchive {
        let config = Config::load(dir.path()).expect("valid config");
        let store = trendwatch::open_embedded_store(&config).expect("open store");
        TestArchive {
            dir,
            config,
            store,
            database: None,
        }
    }

    pub async fn import(&self, paths: &[PathBuf]) -> Report {
        import_paths(&self.store, &self.config, paths, &Default::default())
            .await
            .expect("import runs")
    }

    pub async fn serve(self) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let app = trendwatch::start(listener, self.store.clone(), &self.config)
            .await
            .expect("start");
        TestApp {
            app,
            archive: self,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
        }
    }
}

/// The fixtures (sample data about the fictional Arvenia: Markdown with a translation,
/// JSON lines, the seed's text format) imported into an archive configured with `toml`
/// (`None`: no configuration file), served.
pub async fn fixture_site(toml: Option<&str>) -> TestApp {
    let archive = TestArchive::fresh_with_config(toml.unwrap_or("")).await;
    let report = archive
        .import(&[
            fixtures().join("markdown"),
            fixtures().join("jsonl"),
            fixtures().join("seed-format"),
        ])
        .await;
    assert_eq!(report.rejected, vec![], "fixtures import cleanly");
    archive.serve().await
}

/// A running site over `n` generated commentaries (`trendwatch generate`): five topics a
/// week, going back from 2026-W47.
pub async fn generated_site(n: usize) -> TestApp {
    let archive = TestArchive::fresh().await;
    let dir = tempfile::tempdir().expect("temp dir");
    trendwatch::generate::generate(n, dir.path()).expect("generate");
    let report = archive.import(&[dir.path().to_path_buf()]).await;
    assert!(report.rejected.is_empty(), "{report}");
    archive.serve().await
}

/// A running site.
pub struct TestApp {
    pub app: RunningApp,
    pub archive: TestArchive,
    pub client: reqwest::Client,
}

/// A fetched page.
pub struct Fetched {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Fetched {
    pub fn doc(&self) -> Html {
        Html::parse_document(&self.body)
    }
}

impl TestApp {
    pub async fn get(&self, path: &str) -> Fetched {
        self.get_with(path, &[]).await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Fetched {
        let mut req = self.client.get(format!("{}{}", self.app.url(), path));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.text().await.expect("body");
        Fetched {
            status,
            headers,
            body,
        }
    }

    /// Calls the editors' JSON API: POST with `body`, or GET without; `token` as bearer.
    /// Returns the status, the headers and the JSON answer.
    pub async fn api(
        &self,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> (StatusCode, HeaderMap, serde_json::Value) {
        let url = format!("{}{}", self.app.url(), path);
        let mut req = match &body {
            Some(b) => self.client.post(url).json(b),
            None => self.client.get(url),
        };
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("request");
        let (status, headers) = (resp.status(), resp.headers().clone());
        (status, headers, resp.json().await.expect("JSON answer"))
    }

    /// GETs a page that must exist and returns its DOM.
    pub async fn page(&self, path: &str) -> Html {
        let f = self.get(path).await;
        assert_eq!(f.status, StatusCode::OK, "GET {path}: {}", f.body);
        f.doc()
    }
}

/// A Python interpreter that can import every one of `modules` (PyPI packages the tests use
/// as independent parsers): `$TRENDWATCH_PYTHON`, the virtual environment `scripts/test`
/// prepares (`~/.cache/trendwatch-py`), or `python3`. Without one, says plainly that the
/// caller is skipped and returns `None`.
pub fn python_with(modules: &[&str]) -> Option<PathBuf> {
    let home_venv =
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/trendwatch-py/bin/python"));
    let candidates = std::env::var_os("TRENDWATCH_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain(home_venv)
        .chain(Some(PathBuf::from("python3")));
    let probe = format!("import {}", modules.join(", "));
    for python in candidates {
        let ok = std::process::Command::new(&python)
            .args(["-c", &probe])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(python);
        }
    }
    eprintln!(
        "SKIPPED: no Python with {} (scripts/test installs them into ~/.cache/trendwatch-py)",
        modules.join(", ")
    );
    None
}

/// Runs `script` with `python` and `args`; its standard output must be JSON.
pub fn run_python(python: &Path, script: &str, args: &[String]) -> serde_json::Value {
    let out = std::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("python prints JSON")
}

/// A TCP port on 127.0.0.1 that nobody listens on now, for a server a test starts as another
/// process (nginx, a `trendwatch serve` node) and so cannot hand a bound listener to.
///
/// Why not "bind port 0 and let go": that port comes from the kernel's ephemeral range, the
/// same range every outgoing connection's local port is drawn from, so with tests running in
/// parallel some client's connection can take it before the server binds (CI saw nginx fail
/// with "Address already in use"). This draws from below that range instead, where only
/// listeners live, and probes each candidate.
#[allow(dead_code)]
pub fn unused_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static DRAWN: AtomicU32 = AtomicU32::new(0);
    let (low, high) = (20_000u32, 32_000u32);
    let seed = std::process::id()
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
    for _ in 0..1000 {
        let n = DRAWN.fetch_add(1, Ordering::Relaxed);
        // A multiplicative step spreads consecutive draws across the range.
        let port = low + (seed.wrapping_add(n.wrapping_mul(7919)) % (high - low));
        let port = port as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no unused port between {low} and {high}")
}

pub fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("valid selector")
}

/// Text of every element matching `s`, whitespace-normalised.
pub fn texts(doc: &Html, s: &str) -> Vec<String> {
    doc.select(&sel(s))
        .map(|e| {
            e.text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// Text of the single element matching `s`.
pub fn text(doc: &Html, s: &str) -> String {
    let t = texts(doc, s);
    assert_eq!(t.len(), 1, "expected exactly one {s}, found {t:?}");
    t[0].clone()
}

/// `attr` of every element matching `s`.
pub fn attrs(doc: &Html, s: &str, attr: &str) -> Vec<String> {
    doc.select(&sel(s))
        .filter_map(|e| e.value().attr(attr).map(str::to_string))
        .collect()
}

/// Checks the page skeleton every page shares: one h1, the landmarks, a language.
pub fn assert_accessible_skeleton(doc: &Html) {
    assert_eq!(doc.select(&sel("h1")).count(), 1, "exactly one h1");
    for landmark in ["header", "nav", "main", "footer"] {
        assert!(
            doc.select(&sel(landmark)).next().is_some(),
            "missing <{landmark}>"
        );
    }
    assert!(!attrs(doc, "html", "lang")[0].is_empty());
}

/// The password of the desk accounts tests make.
pub const DESK_PASSWORD: &str = "correct horse battery";

/// A signed-in desk account: its session cookie (`name=value`) and the anti-forgery token
/// its pages put in their forms.
pub struct DeskSession {
    pub cookie: String,
    pub csrf: String,
}

/// Creates a desk account (password [`DESK_PASSWORD`]) and signs it in through the sign-in
/// form, as a browser would.
pub async fn desk_account(
    app: &TestApp,
    email: &str,
    name: &str,
    role: trendwatch_core::accounts::Role,
) -> DeskSession {
    trendwatch_service::accounts::Accounts::new(
        app.archive.store.clone(),
        trendwatch_service::accounts::SessionLimits::default(),
    )
    .add_user(
        email,
        name,
        role,
        DESK_PASSWORD,
        time::OffsetDateTime::now_utc(),
    )
    .await
    .expect("account");
    let resp = app
        .client
        .post(format!("{}/desk/login", app.app.url()))
        .header("origin", app.app.url())
        .form(&[("email", email), ("password", DESK_PASSWORD)])
        .send()
        .await
        .expect("sign in");
    let cookie = resp.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .split(';')
        .next()
        .expect("name=value")
        .to_string();
    let account = app
        .client
        .get(format!("{}/desk/account", app.app.url()))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("account page")
        .text()
        .await
        .expect("body");
    let csrf = attrs(&Html::parse_document(&account), "input[name=csrf]", "value").remove(0);
    DeskSession { cookie, csrf }
}

/// The sample archive, imported and served.
pub async fn sample_site() -> TestApp {
    let archive = TestArchive::fresh().await;
    let sample = trendwatch::sample::extract(archive.dir.path()).expect("extract sample");
    assert!(archive.import(&[sample]).await.rejected.is_empty());
    archive.serve().await
}
