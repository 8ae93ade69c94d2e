//! Starting the site: the one function ([`start`]) that the binary and every test use to run
//! Trendwatch on a listener they chose.

use crate::config::Config;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use trendwatch_postgres::{PgOptions, PgStore};
use trendwatch_sqlite::SqliteStore;
use trendwatch_store::Store;
use trendwatch_web::AppState;

/// How often a running site checks whether content changed (e.g. by an import run from the
/// CLI in another process).
pub const GENERATION_POLL: Duration = Duration::from_secs(1);

/// How often the scheduler looks for scheduled articles besides waking at the next one's
/// time: a schedule made by another process (a second web node) is seen this late at most.
pub const SCHEDULE_CHECK: Duration = Duration::from_secs(30);

/// Opens the archive the configuration names: the PostgreSQL database of `[database] url`
/// (or `TRENDWATCH_DATABASE_URL`), else the embedded SQLite file of the data directory.
/// Pending migrations are applied either way.
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    match config.database_url() {
        Some(url) => {
            let options = PgOptions {
                url,
                max_connections: config.file.database.max_connections,
                acquire_timeout: Duration::from_secs(config.file.database.acquire_timeout_secs),
            };
            Ok(Arc::new(PgStore::connect(&options).await?))
        }
        None => open_embedded_store(config),
    }
}

/// Opens the embedded SQLite archive of a data directory, whatever `[database]` says.
pub fn open_embedded_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    Ok(Arc::new(SqliteStore::open(&config.data_dir)?))
}

/// A site running in the background.
pub struct RunningApp {
    /// The address it listens on (useful with port 0).
    pub addr: SocketAddr,
    /// Its state, for tests that write content while it runs.
    pub state: AppState,
    /// Connections being served right now.
    pub connections: trendwatch_web::server::ConnectionCount,
    shutdown: Option<oneshot::Sender<()>>,
    server: JoinHandle<std::io::Result<()>>,
    watcher: JoinHandle<()>,
    follower: JoinHandle<()>,
    scheduler: JoinHandle<()>,
    digest: JoinHandle<()>,
    warm: JoinHandle<()>,
    metrics: Option<JoinHandle<std::io::Result<()>>>,
    /// Where `/metrics` is served off the public listener (`[metrics] listen`).
    pub metrics_addr: Option<SocketAddr>,
}

impl RunningApp {
    /// `http://addr`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections, lets open requests finish (at most the configured grace
    /// period) and returns.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.watcher.abort();
        self.follower.abort();
        self.scheduler.abort();
        self.digest.abort();
        self.warm.abort();
        if let Some(m) = &self.metrics {
            m.abort();
        }
        self.server.await??;
        Ok(())
    }

    /// Runs until the server ends (for the binary: until Ctrl-C or SIGTERM).
    pub async fn wait(self) -> anyhow::Result<()> {
        self.server.await??;
        Ok(())
    }
}

/// Starts Trendwatch on `listener` with `store` and `config`, in the background.
pub async fn start(
    listener: TcpListener,
    store: Arc<dyn Store>,
    config: &Config,
) -> anyhow::Result<RunningApp> {
    let addr = listener.local_addr()?;
    // The recorder goes in before anything is counted.
    trendwatch_web::observability::prometheus();
    let token = std::env::var("TRENDWATCH_API_TOKEN")
        .ok()
        .or_else(|| config.file.api.token.clone());
    let mut state = AppState::new(store.clone(), config.file.site.clone())
        .with_derivation(config.derivation())
        .with_api_token(token)
        .with_listen_address(addr)
        .map_err(anyhow::Error::msg)?;
    state
        .api_token
        .check_strength()
        .map_err(anyhow::Error::msg)?;
    state.metrics_token = std::env::var("TRENDWATCH_METRICS_TOKEN")
        .ok()
        .or_else(|| config.file.metrics.token.clone())
        .filter(|t| !t.trim().is_empty());
    state.record_requests = state.metrics_token.is_some() || config.file.metrics.listen.is_some();
    if let Some(t) = &state.metrics_token {
        anyhow::ensure!(
            t.chars().count() >= 32,
            "the metrics token ([metrics] token or TRENDWATCH_METRICS_TOKEN) has {} characters; \
             at least 32 are required: generate one with `openssl rand -hex 32`",
            t.chars().count()
        );
    }
    if let Some(mailer) = config.mailer()? {
        state = state.with_mailer(mailer, config.file.mail.pace());
    }
    state.uploads_dir = Some(trendwatch_web::uploads::dir(&config.data_dir));
    let limits = config.file.server.clone();
    state.request_timeout = limits.request_timeout();
    // Storylines and similar lists that a crashed import left unfinished are completed
    // before the first page is served, as the search index is below.
    trendwatch_service::derive::repair_derived(&store, &config.derivation()).await?;
    match trendwatch_service::search_index::open_and_repair(&store, &config.data_dir).await {
        Ok(index) => state = state.with_search(index),
        Err(e) => {
            // Another process may hold the index's writer (an import running); the site still
            // starts, searching the index as it is, and the next start repairs it.
            tracing::warn!(error = %e, "search index not repaired; serving it as it is");
            let dir = trendwatch_service::search_index::index_dir(&config.data_dir);
            match trendwatch_search::SearchIndex::open(&dir) {
                Ok(index) => state = state.with_search(Arc::new(index)),
                Err(e) => tracing::error!(error = %e, "search is unavailable"),
            }
        }
    }
    state
        .cache
        .observe_generation(state.store.generation().await?);
    let watcher = tokio::spawn(trendwatch_web::cache::watch_generation(
        state.clone(),
        GENERATION_POLL,
    ));
    // What another web node (or an import run beside the site) writes reaches this node's
    // search index within a check: the index catches up on the articles the store's text log
    // names. (Pages follow the generation the watcher reads; similar lists and storylines are
    // read from the store.)
    let following = state.clone();
    let follower = tokio::spawn(async move {
        let mut tick = tokio::time::interval(GENERATION_POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Throttles follow the other nodes' counts from the last few minutes at start.
        let mut throttles_since = time::OffsetDateTime::now_utc() - time::Duration::minutes(15);
        loop {
            tick.tick().await;
            match following.follow_throttles(throttles_since).await {
                Ok(next) => throttles_since = next,
                Err(e) => tracing::warn!(error = %e, "throttles not brought up to the other nodes"),
            }
            match following.publisher.catch_up_search().await {
                Ok(0) => {}
                Ok(n) => {
                    // Search pages rendered from the index before it caught up are stale.
                    following.cache.clear();
                    tracing::info!(articles = n, "search index caught up with the store");
                }
                Err(e) => tracing::warn!(error = %e, "search index not caught up"),
            }
        }
    });
    // Scheduled articles whose time passed while the server was down go out now; the
    // scheduler then publishes each at its time.
    match state
        .newsroom
        .publish_due(time::OffsetDateTime::now_utc())
        .await
    {
        Ok(0) => {}
        Ok(n) => tracing::info!(articles = n, "published scheduled articles that were due"),
        Err(e) => tracing::error!(error = %e, "scheduled articles not published"),
    }
    let scheduler = tokio::spawn(state.newsroom.clone().run_scheduler(SCHEDULE_CHECK));
    // A digest send that a crash or restart stopped half-way goes on (nobody gets it twice),
    // on one node at a time: the others stand by to take it over.
    let digest = tokio::spawn(state.newsletter.clone().keep_resuming(SCHEDULE_CHECK));
    // The threader kept between publications is built now rather than by the first
    // publication (seconds for a large archive).
    let publisher = state.publisher.clone();
    let warm = tokio::spawn(async move {
        if let Err(e) = publisher.warm_threading().await {
            tracing::error!(error = %e, "storyline threader not prepared");
        }
    });
    let (metrics, metrics_addr) = match config.file.metrics.listen {
        Some(at) => {
            let listener = TcpListener::bind(at)
                .await
                .map_err(|e| anyhow::anyhow!("[metrics] listen = \"{at}\": {e}"))?;
            let bound = listener.local_addr()?;
            let router = trendwatch_web::metrics_router(state.clone());
            (
                Some(tokio::spawn(
                    async move { axum::serve(listener, router).await },
                )),
                Some(bound),
            )
        }
        None => (None, None),
    };
    let router = trendwatch_web::router(state.clone());
    let kept_pages = trendwatch_web::kept_pages(state.clone());
    let (tx, rx) = oneshot::channel::<()>();
    let connections = trendwatch_web::server::ConnectionCount::default();
    let open = connections.clone();
    let server = tokio::spawn(async move {
        trendwatch_web::server::serve(
            listener,
            router,
            Some(kept_pages),
            limits,
            open,
            async move {
                tokio::select! {
                    _ = rx => {}
                    _ = shutdown_signal() => {}
                }
            },
        )
        .await
    });
    Ok(RunningApp {
        addr,
        state,
        connections,
        shutdown: Some(tx),
        server,
        watcher,
        follower,
        scheduler,
        digest,
        warm,
        metrics,
        metrics_addr,
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
