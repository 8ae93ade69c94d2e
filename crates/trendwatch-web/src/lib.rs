//! The public Trendwatch site: server-rendered pages in every language, complete without
//! JavaScript, cacheable. This crate only reads through [`trendwatch_store::Store`]; it never
//! knows which database is behind it.
//!
//! `templates/` mirrors `handlers/`: each handler module renders the template of its name.

pub mod cache;
pub mod charts;
pub mod config;
pub mod connection;
pub mod emails;
pub mod error;
pub mod feeds;
pub mod handlers;
pub mod i18n;
pub mod observability;
pub mod public_address;
pub mod request_id;
pub mod security_headers;
pub mod server;
pub mod sitemap;
pub mod static_copy;
pub mod throttle;
pub mod uploads;
pub mod views;
mod xml;
pub mod zero_copy;

use axum::http::HeaderValue;
use axum::routing::get;
use axum::Router;
use std::sync::Arc;
use trendwatch_store::Store;

pub use config::SiteConfig;

/// Everything a handler may use, behind one reference count: axum clones the state for
/// every extractor and middleware of every request, and copying the twenty handles inside
/// (with their reference counts) cost about 5% of the CPU of a page served from the cache.
/// Fields are read through `Deref`; setting one (`state.static_copy = true`, the `with_…`
/// builders) copies the parts first if another clone shares them.
#[derive(Clone)]
pub struct AppState(Arc<StateParts>);

impl std::ops::Deref for AppState {
    type Target = StateParts;
    fn deref(&self) -> &StateParts {
        &self.0
    }
}

impl std::ops::DerefMut for AppState {
    fn deref_mut(&mut self) -> &mut StateParts {
        Arc::make_mut(&mut self.0)
    }
}

/// What an [`AppState`] holds.
#[derive(Clone)]
pub struct StateParts {
    /// The archive.
    pub store: Arc<dyn Store>,
    /// Site settings.
    pub site: Arc<SiteConfig>,
    /// Rendered pages.
    pub cache: Arc<cache::PageCache>,
    /// The `Cache-Control` value of pages.
    pub cache_control: HeaderValue,
    /// The editors' API token (none: API disabled).
    pub api_token: handlers::api::ApiToken,
    /// Readers' search (none: search answers with an empty page).
    pub search: Option<Arc<dyn trendwatch_search::Search>>,
    /// Every write goes through it: editors' storyline decisions, and what they change in
    /// the similar lists.
    pub publisher: Arc<trendwatch_service::Publisher>,
    /// Longest a request may take before it is answered 408.
    pub request_timeout: std::time::Duration,
    /// Failed API authentications by client address.
    pub api_failures: Arc<throttle::Throttle>,
    /// Desk accounts and sessions.
    pub accounts: Arc<trendwatch_service::accounts::Accounts>,
    /// Failed desk sign-ins by client address.
    pub login_by_address: Arc<throttle::Throttle>,
    /// Failed desk sign-ins by account (e-mail address as typed, lower-cased).
    pub login_by_account: Arc<throttle::Throttle<String>>,
    /// The public address and time zone, for absolute links and dated feeds.
    pub public: Arc<public_address::PublicAddress>,
    /// The newsroom: desk articles, their workflow and scheduled publication (built on the
    /// publisher and the office's time zone, so rebuilt whenever either changes).
    pub newsroom: Arc<trendwatch_service::newsroom::Newsroom>,
    /// Where uploaded images are kept (`<data>/uploads`); `None`: uploads refused.
    pub uploads_dir: Option<std::path::PathBuf>,
    /// Rendering for a static copy (`trendwatch export`): the search page says that search
    /// needs the live site instead of offering a form that a static server cannot answer.
    pub static_copy: bool,
    /// The mail system (`[mail]`); `None`: no e-mail, no digest.
    pub mailer: Option<Arc<dyn trendwatch_service::mailer::Mailer>>,
    /// The pause between two digest messages (`[mail] per_second`).
    pub mail_pace: std::time::Duration,
    /// What the e-mails say, with this site's names and address.
    pub letters: Arc<emails::SiteLetters>,
    /// Subscriptions and the weekly digest (rebuilt with the address and the mailer).
    pub newsletter: Arc<trendwatch_service::newsletter::Newsletter>,
    /// Anonymous requests that send an e-mail (subscriptions, password resets), by client
    /// address.
    pub mail_by_client: Arc<throttle::Throttle>,
    /// The same requests by the e-mail address they name (as typed, lower-cased).
    pub mail_by_address: Arc<throttle::Throttle<String>>,
    /// The bearer token of `/metrics` on the public listener (`[metrics] token`); `None`:
    /// not served there.
    pub metrics_token: Option<String>,
    /// Whether requests are counted and timed for the metrics: only when they are served
    /// somewhere (a token or a listener of their own), since counting costs on every page,
    /// cached ones included.
    pub record_requests: bool,
}

/// How long a client or address that asked too often waits before the count starts again.
const MAIL_REQUESTS_QUIET: std::time::Duration = std::time::Duration::from_secs(3600);

/// The newsroom of a site: writing through `publisher`, dating in the office's time zone.
fn newsroom_of(
    store: &Arc<dyn Store>,
    publisher: &Arc<trendwatch_service::Publisher>,
    site: &SiteConfig,
    public: &public_address::PublicAddress,
) -> Arc<trendwatch_service::newsroom::Newsroom> {
    Arc::new(trendwatch_service::newsroom::Newsroom::new(
        store.clone(),
        publisher.clone(),
        site.topics.clone(),
        public.zone().clone(),
    ))
}

impl AppState {
    fn rebuild_newsroom(mut self) -> AppState {
        self.newsroom = newsroom_of(&self.store, &self.publisher, &self.site, &self.public);
        self.letters = Arc::new(emails::SiteLetters::new(
            self.site.clone(),
            self.public.clone(),
        ));
        self.newsletter = Arc::new(trendwatch_service::newsletter::Newsletter::new(
            self.store.clone(),
            self.mailer.clone(),
            self.letters.clone(),
            self.site.topics.clone(),
            self.mail_pace,
        ));
        self
    }

    /// Sends e-mail through `mailer`, at most one digest message per `pace`: the digest,
    /// its subscription pages and e-mailed invitations are on.
    pub fn with_mailer(
        mut self,
        mailer: Arc<dyn trendwatch_service::mailer::Mailer>,
        pace: std::time::Duration,
    ) -> AppState {
        self.mailer = Some(mailer);
        self.mail_pace = pace;
        let mut site = (*self.site).clone();
        site.newsletter = true;
        self.site = Arc::new(site);
        self.rebuild_newsroom()
    }

    /// State for `store` with `site` settings and an empty page cache.
    pub fn new(store: Arc<dyn Store>, mut site: SiteConfig) -> AppState {
        let cache_control = HeaderValue::from_str(&format!(
            "public, max-age={}, stale-while-revalidate=300",
            site.max_age_seconds
        ))
        .unwrap_or_else(|_| HeaderValue::from_static("public, max-age=60"));
        let public = public_address::PublicAddress::of_site(&site, "http://localhost")
            .unwrap_or_else(|_| public_address::PublicAddress::local());
        // Pages read the address from the settings, normalised; unset, it stays empty until
        // the server knows where it listens (`with_listen_address`).
        if public.is_configured() {
            site.base_url = public.base().to_string();
        }
        let accounts = Arc::new(trendwatch_service::accounts::Accounts::new(
            store.clone(),
            trendwatch_service::accounts::SessionLimits::default(),
        ));
        let publisher = Arc::new(trendwatch_service::Publisher::new(
            store.clone(),
            None,
            trendwatch_service::Settings::default(),
        ));
        let site = Arc::new(site);
        let public = Arc::new(public);
        let letters = Arc::new(emails::SiteLetters::new(site.clone(), public.clone()));
        let mail_pace = std::time::Duration::from_millis(100);
        AppState(Arc::new(StateParts {
            newsroom: newsroom_of(&store, &publisher, &site, &public),
            newsletter: Arc::new(trendwatch_service::newsletter::Newsletter::new(
                store.clone(),
                None,
                letters.clone(),
                site.topics.clone(),
                mail_pace,
            )),
            letters,
            mailer: None,
            mail_pace,
            mail_by_client: Arc::new(
                throttle::Throttle::forgiving(MAIL_REQUESTS_QUIET)
                    .shared_through("mail-by-client", store.clone()),
            ),
            mail_by_address: Arc::new(
                throttle::Throttle::forgiving(MAIL_REQUESTS_QUIET)
                    .shared_through("mail-by-address", store.clone()),
            ),
            metrics_token: None,
            record_requests: false,
            public,
            publisher,
            store: store.clone(),
            site,
            cache: Arc::new(cache::PageCache::default()),
            cache_control,
            api_token: handlers::api::ApiToken::default(),
            search: None,
            request_timeout: server::ServerLimits::default().request_timeout(),
            api_failures: Arc::new(
                throttle::Throttle::default().shared_through("api-failures", store.clone()),
            ),
            accounts,
            login_by_address: Arc::new(
                throttle::Throttle::default().shared_through("login-by-address", store.clone()),
            ),
            login_by_account: Arc::new(
                throttle::Throttle::default().shared_through("login-by-account", store.clone()),
            ),
            static_copy: false,
            uploads_dir: None,
        }))
    }

    /// Brings every throttle up to the counts the store holds, changed at or after `since`
    /// (other nodes' failures and successes); returns the `since` of the next call. The
    /// window reaches back a few seconds, as a row is written a moment after its time.
    pub async fn follow_throttles(
        &self,
        since: time::OffsetDateTime,
    ) -> Result<time::OffsetDateTime, trendwatch_store::StoreError> {
        let wall = time::OffsetDateTime::now_utc();
        let now = std::time::Instant::now();
        let rows = self.store.throttle_changes(since).await?;
        self.api_failures.follow(&rows, now, wall);
        self.login_by_address.follow(&rows, now, wall);
        self.login_by_account.follow(&rows, now, wall);
        self.mail_by_client.follow(&rows, now, wall);
        self.mail_by_address.follow(&rows, now, wall);
        Ok(wall - time::Duration::seconds(5))
    }

    /// Serves search from `index`.
    pub fn with_search(mut self, index: Arc<trendwatch_search::SearchIndex>) -> AppState {
        self.search = Some(Arc::new(trendwatch_search::LocalSearch(index.clone())));
        self.publisher = Arc::new(trendwatch_service::Publisher::new(
            self.store.clone(),
            Some(index),
            self.publisher.settings().clone(),
        ));
        self.rebuild_newsroom()
    }

    /// Derives storylines and similar lists after writes with `settings` (the
    /// configuration's `[similar]` and `[storylines]`).
    pub fn with_derivation(mut self, settings: trendwatch_service::Settings) -> AppState {
        self.publisher = Arc::new(trendwatch_service::Publisher::new(
            self.store.clone(),
            self.publisher.search().cloned(),
            settings,
        ));
        self.rebuild_newsroom()
    }

    /// Takes the public address from the settings, or from `listening` (the server's own
    /// address) when `base_url` is unset; fails, naming the setting, when it is invalid.
    pub fn with_listen_address(
        mut self,
        listening: std::net::SocketAddr,
    ) -> Result<AppState, String> {
        let mut site = (*self.site).clone();
        let public = public_address::PublicAddress::of_site(&site, &format!("http://{listening}"))?;
        // (`site.newsletter` is kept: it follows the mailer, not the address.)
        site.base_url = public.base().to_string();
        self.site = Arc::new(site);
        self.public = Arc::new(public);
        Ok(self.rebuild_newsroom())
    }

    /// Enables the editors' API with `token`.
    pub fn with_api_token(mut self, token: Option<String>) -> AppState {
        self.api_token = handlers::api::ApiToken::new(token);
        self
    }
}

/// The whole site as one router: the public pages (through the page cache) and the editors'
/// API, inside the layers every response passes: request id with its logging span and the
/// security headers (one layer), and the request timeout.
pub fn router(state: AppState) -> Router {
    use cache::{private, shared};
    use handlers::*;
    let pages = Router::new()
        .route("/", shared(get(home::root)))
        .route("/healthz", private(get(assets::health)))
        .route("/readyz", private(get(observability::ready)))
        .route("/metrics", private(get(observability::metrics_with_token)))
        .route("/static/style.css", shared(get(assets::stylesheet)))
        .route("/favicon.svg", shared(get(assets::favicon)))
        .route("/favicon.ico", shared(get(assets::favicon_ico)))
        .route("/robots.txt", shared(get(sitemap::robots)))
        .route("/sitemap.xml", shared(get(sitemap::sitemap)))
        .route("/sitemaps/{file}", shared(get(sitemap::sitemap_file)))
        .route("/{lang}", shared(get(home::redirect_to_slash)))
        .route("/{lang}/", shared(get(home::page)))
        .route("/{lang}/feed.xml", shared(get(feeds::site_rss)))
        .route("/{lang}/atom.xml", shared(get(feeds::site_atom)))
        .route("/{lang}/feed.json", shared(get(feeds::site_json)))
        .route(
            "/{lang}/topics/{topic}/feed.xml",
            shared(get(feeds::topic_rss)),
        )
        .route(
            "/{lang}/topics/{topic}/atom.xml",
            shared(get(feeds::topic_atom)),
        )
        .route(
            "/{lang}/topics/{topic}/feed.json",
            shared(get(feeds::topic_json)),
        )
        .route(
            "/{lang}/storylines/{id}/feed.xml",
            shared(get(feeds::storyline_rss)),
        )
        .route(
            "/{lang}/storylines/{id}/atom.xml",
            shared(get(feeds::storyline_atom)),
        )
        .route(
            "/{lang}/storylines/{id}/feed.json",
            shared(get(feeds::storyline_json)),
        )
        .route("/{lang}/about", shared(get(about::page)))
        .route("/{lang}/search", shared(get(search::page)))
        .route("/{lang}/search.json", shared(get(search::json)))
        .route("/{lang}/topics/{topic}", shared(get(topic::first_page)))
        .route("/{lang}/topics/{topic}/page/{n}", shared(get(topic::page)))
        .route("/{lang}/articles/{slug}", shared(get(article::page)))
        .route("/{lang}/tags/{tag}", shared(get(listing::tag)))
        .route(
            "/{lang}/tags/{tag}/page/{n}",
            shared(get(listing::tag_page)),
        )
        .route("/{lang}/authors/{name}", shared(get(listing::author)))
        .route(
            "/{lang}/authors/{name}/page/{n}",
            shared(get(listing::author_page)),
        )
        .route("/{lang}/dynamics", shared(get(dynamics::page)))
        .route("/{lang}/dynamics.csv", shared(get(dynamics::csv)))
        .route("/{lang}/dynamics.json", shared(get(dynamics::json)))
        .route(
            "/{lang}/storylines/{id}",
            shared(get(storyline::first_page)),
        )
        .route(
            "/{lang}/storylines/{id}/page/{n}",
            shared(get(storyline::page)),
        )
        .route("/{lang}/track-record", shared(get(track_record::overall)))
        .route(
            "/{lang}/track-record/topics/{topic}",
            shared(get(track_record::topic)),
        )
        .route(
            "/{lang}/track-record/authors/{name}",
            shared(get(track_record::author)),
        )
        .route("/{lang}/weeks/", shared(get(week::latest)))
        .route("/{lang}/weeks/{period}", shared(get(week::page)))
        .fallback(not_found)
        // Innermost first: the timeout and the logging span apply to rendering, and a page
        // answered by the cache (outermost here) skips both.
        .layer(timeout(&state))
        .layer(axum::middleware::from_fn(request_id::span))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            cache::layer,
        ));
    let api = api::router(state.clone())
        .route("/uploads/{name}", get(assets::upload))
        .merge(public_api::router())
        .merge(desk::router(state.clone()))
        .merge(newsletter_router())
        .layer(timeout(&state))
        .layer(axum::middleware::from_fn(request_id::span));
    // Outermost of each part but inside routing, so that the route pattern is known; a page
    // answered from the cache is counted too.
    let (pages, api) = if state.record_requests {
        let record = || axum::middleware::from_fn(observability::record);
        (pages.layer(record()), api.layer(record()))
    } else {
        (pages, api)
    };
    pages
        .merge(api)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            refuse_nul,
        ))
        .with_state(state)
        .layer(axum::middleware::from_fn(request_id::layer))
}

/// Middleware: an address whose path or query holds a NUL byte (`%00`) is no page of this
/// site and answers 404 (400 with the API's error body under `/api/`) before any handler
/// reads it. No name, slug or search text the site
/// keeps can contain NUL (PostgreSQL's text cannot hold it, and it refused such a parameter
/// with an error, so `/en/track-record/authors/%00` answered 500 there).
async fn refuse_nul(
    state: axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let uri = req.uri().clone();
    let raw = uri.path_and_query().map_or("", |p| p.as_str());
    if !raw
        .as_bytes()
        .windows(3)
        .any(|w| w.eq_ignore_ascii_case(b"%00"))
    {
        return next.run(req).await;
    }
    if uri.path().starts_with("/api/") {
        // Every API operation documents 400 for a parameter it cannot read.
        return handlers::api::ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "the address holds a NUL byte (%00), which no parameter may contain",
        )
        .into_response();
    }
    handlers::not_found(state, uri).await
}

/// What each connection asks about a request head before hyper reads it: a page kept in
/// the page cache is answered straight away (see [`cache::answer_head`]), everything else
/// goes through hyper to [`router`].
pub fn kept_pages(state: AppState) -> connection::Answerer {
    std::sync::Arc::new(move |head| cache::answer_head(&state, head))
}

/// The metrics alone, for a listener only operators reach (`[metrics] listen`).
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(observability::metrics_open))
        .with_state(state)
}

/// The digest's public pages: outside the page cache (they answer per reader) and never
/// stored by browsers or proxies (their addresses hold the reader's signed token).
fn newsletter_router() -> Router<AppState> {
    use handlers::newsletter::*;
    Router::new()
        .route("/{lang}/newsletter", get(form).post(subscribe))
        .route(
            "/{lang}/newsletter/confirm",
            get(confirm_page).post(confirm),
        )
        .route(
            "/{lang}/newsletter/preferences",
            get(preferences_page).post(save_preferences),
        )
        .route(
            "/{lang}/newsletter/unsubscribe",
            get(unsubscribe_page).post(unsubscribe),
        )
        .layer(axum::middleware::map_response(cache::no_store))
}

/// The request timeout: 408 once a request has taken longer than the configured time.
fn timeout(state: &AppState) -> tower_http::timeout::TimeoutLayer {
    tower_http::timeout::TimeoutLayer::with_status_code(
        axum::http::StatusCode::REQUEST_TIMEOUT,
        state.request_timeout,
    )
}
