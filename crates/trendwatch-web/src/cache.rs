//! The page cache: every successful GET of a shared page is rendered once, kept in memory
//! with its ETag, and answered from memory (or with 304 Not Modified) until content changes.
//!
//! Whether a response may be kept is a property of its route ([`shared`] and [`private`]
//! mark the route's responses with a [`CachePolicy`]); a route that declares nothing is never
//! kept. A request that carries a session (someone signed in to the desk) is never answered
//! from the cache and never fills it: what a signed-in user sees is theirs alone.
//!
//! Pages are kept as rendered and, once a client asked for them, also gzip- and
//! Brotli-compressed: each encoding is computed once per page and its bytes reused for every
//! later request that accepts it (see [`negotiate`]).
//!
//! Content changes are noticed through the store's generation number, polled by
//! [`watch_generation`]. Polling rather than in-process notification means an import run
//! from the CLI in another process, or (later) a write on another web node sharing one
//! PostgreSQL, is picked up within one poll interval.

use crate::{zero_copy, AppState};
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;
use trendwatch_core::storyline::StorylineSummary;
use trendwatch_core::Language;
use trendwatch_store::{Listing, Store, StoreError};

/// What may happen to a route's responses in caches: this one and any on the way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CachePolicy {
    /// The same for every reader: kept here, and `Cache-Control: public` with the site's
    /// max-age for browsers and proxies.
    Shared,
    /// For one client only (health checks, anything personal): never kept, and
    /// `Cache-Control: private, no-store`.
    Private,
}

/// Marks every response of a route as [`CachePolicy::Shared`].
pub fn shared<S: Clone + Send + Sync + 'static>(
    route: axum::routing::MethodRouter<S>,
) -> axum::routing::MethodRouter<S> {
    with_policy(route, CachePolicy::Shared)
}

/// Marks every response of a route as [`CachePolicy::Private`].
pub fn private<S: Clone + Send + Sync + 'static>(
    route: axum::routing::MethodRouter<S>,
) -> axum::routing::MethodRouter<S> {
    with_policy(route, CachePolicy::Private)
}

fn with_policy<S: Clone + Send + Sync + 'static>(
    route: axum::routing::MethodRouter<S>,
    policy: CachePolicy,
) -> axum::routing::MethodRouter<S> {
    route.layer(axum::middleware::map_response(
        move |mut resp: Response| async move {
            resp.extensions_mut().insert(policy);
            resp
        },
    ))
}

/// Names of the desk's session cookie: with the `__Host-` prefix on an HTTPS site, without it
/// on plain HTTP (where browsers refuse the prefix).
pub const SESSION_COOKIES: [&str; 2] = ["__Host-trendwatch-session", "trendwatch-session"];

/// A request's header fields, however they were read: hyper's map, or the fields the
/// connection reads itself before hyper (see [`crate::connection`]).
pub trait HeaderFields {
    /// The values of the fields named `name` (given in lower case) that are visible ASCII
    /// text, as `HeaderValue::to_str` reads them.
    fn values<'s>(&'s self, name: &'static str) -> impl Iterator<Item = &'s str> + 's;
}

impl HeaderFields for HeaderMap {
    fn values<'s>(&'s self, name: &'static str) -> impl Iterator<Item = &'s str> + 's {
        self.get_all(name).iter().filter_map(|v| v.to_str().ok())
    }
}

impl HeaderFields for [httparse::Header<'_>] {
    fn values<'s>(&'s self, name: &'static str) -> impl Iterator<Item = &'s str> + 's {
        self.iter()
            .filter(move |f| f.name.eq_ignore_ascii_case(name))
            .filter(|f| {
                f.value
                    .iter()
                    .all(|&b| b == b'\t' || (32..127).contains(&b))
            })
            .filter_map(|f| std::str::from_utf8(f.value).ok())
    }
}

/// The value of the session cookie a request carries, if any.
pub fn session_cookie_value<H: HeaderFields + ?Sized>(headers: &H) -> Option<&str> {
    cookie_value(headers, &SESSION_COOKIES)
}

/// The value of the first cookie the request carries under one of `names`.
pub fn cookie_value<'h, H: HeaderFields + ?Sized>(
    headers: &'h H,
    names: &[&str],
) -> Option<&'h str> {
    headers
        .values("cookie")
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| names.contains(&name.trim()))
        .map(|(_, value)| value.trim())
}

/// Whether a request carries a session cookie.
pub fn has_session<H: HeaderFields + ?Sized>(headers: &H) -> bool {
    session_cookie_value(headers).is_some()
}

const NO_STORE: HeaderValue = HeaderValue::from_static("private, no-store");

/// Marks a response `Cache-Control: private, no-store` (for routers outside this cache whose
/// every answer is someone's own, such as the desk).
pub async fn no_store(mut resp: Response) -> Response {
    resp.headers_mut().insert(header::CACHE_CONTROL, NO_STORE);
    resp
}

/// Largest page body kept (bigger pages are served uncached): a sitemap file of 50,000
/// addresses with their alternates is about 12 MB, and rebuilding it for every crawler
/// request would cost far more than keeping it.
const MAX_BODY: usize = 16 * 1024 * 1024;
/// Most bytes of pages kept; the cache is emptied when full, which bounds memory against
/// crawlers requesting endless distinct URLs (query strings make every URL distinct).
const MAX_BYTES: usize = 48 * 1024 * 1024;

/// Bodies shorter than this are sent as they are: compressing them saves less than the
/// `Content-Encoding` header costs.
const MIN_COMPRESSED: usize = 1024;

/// A content coding the site can answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// The body as rendered.
    Identity,
    /// `gzip` (RFC 1952), which every client accepts.
    Gzip,
    /// `br` (RFC 7932): about a fifth smaller than gzip on HTML.
    Brotli,
}

impl Encoding {
    fn token(self) -> &'static str {
        match self {
            Encoding::Identity => "identity",
            Encoding::Gzip => "gzip",
            Encoding::Brotli => "br",
        }
    }
}

/// The best coding a request's `Accept-Encoding` allows: Brotli, then gzip, then the body as
/// it is. A coding given `q=0` is refused, and `*` stands for any coding not named.
pub fn negotiate<H: HeaderFields + ?Sized>(headers: &H) -> Encoding {
    let mut br = None;
    let mut gzip = None;
    let mut any = None;
    for item in headers.values("accept-encoding").flat_map(|v| v.split(',')) {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .filter_map(|q| q.trim().parse::<f32>().ok())
            .next()
            .unwrap_or(1.0);
        match name.as_str() {
            "br" => br = Some(q),
            "gzip" | "x-gzip" => gzip = Some(q),
            "*" => any = Some(q),
            _ => {}
        }
    }
    let allowed = |q: Option<f32>| q.or(any).is_some_and(|q| q > 0.0);
    if allowed(br) {
        Encoding::Brotli
    } else if allowed(gzip) {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

/// Whether a response of this type is text worth compressing (images other than SVG are
/// compressed already).
fn compressible(content_type: &HeaderValue) -> bool {
    let t = content_type.to_str().unwrap_or("");
    t.starts_with("text/")
        || t.starts_with("application/json")
        || t.starts_with("application/xml")
        || t.starts_with("application/atom+xml")
        || t.starts_with("application/rss+xml")
        || t.starts_with("image/svg+xml")
}

/// A compressor of a whole body.
type Encoder = fn(&[u8]) -> std::io::Result<Vec<u8>>;

fn gzip(body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(body)?;
    enc.finish()
}

fn brotli(body: &[u8]) -> std::io::Result<Vec<u8>> {
    // Quality 9 of 11: within a few per cent of the best size at a fraction of its time, and
    // it is paid once per page and generation.
    let mut out = Vec::with_capacity(body.len() / 4);
    {
        let mut enc = brotli::CompressorWriter::new(&mut out, 4096, 9, 22);
        enc.write_all(body)?;
        enc.flush()?;
    }
    Ok(out)
}

/// A rendered page, with its compressed forms once a client asked for them.
#[derive(Debug)]
pub struct CachedPage {
    etag: HeaderValue,
    content_type: HeaderValue,
    cache_control: HeaderValue,
    body: Bytes,
    /// The route pattern that rendered it (`/{lang}/articles/{slug}`), for the request
    /// metrics of answers given by the connection itself (see [`answer_head`]).
    route: Arc<str>,
    /// The body kept for sending without a copy (see [`crate::zero_copy`]).
    kept: Option<Arc<zero_copy::Kept>>,
    gzip: OnceLock<Option<Compressed>>,
    brotli: OnceLock<Option<Compressed>>,
    /// The headers of a 200 answer in each coding (identity, gzip, Brotli), security headers
    /// included, built on first use: a kept page is answered tens of thousands of times a
    /// second, and building these on each answer showed in its profile.
    headers: [OnceLock<HeaderMap>; 3],
    /// The same as an HTTP/1.1 head without the date and request id (see [`answer_head`]).
    raw_heads: [OnceLock<Vec<u8>>; 3],
}

/// A compressed form of a page, kept for sending without a copy like the page itself.
#[derive(Debug)]
struct Compressed {
    bytes: Bytes,
    kept: Option<Arc<zero_copy::Kept>>,
}

impl CachedPage {
    fn new(
        content_type: HeaderValue,
        cache_control: HeaderValue,
        body: Bytes,
        route: Arc<str>,
    ) -> CachedPage {
        CachedPage {
            etag: etag_for(&body),
            content_type,
            cache_control,
            kept: zero_copy::Kept::new(&body).map(Arc::new),
            body,
            route,
            gzip: OnceLock::new(),
            brotli: OnceLock::new(),
            headers: Default::default(),
            raw_heads: Default::default(),
        }
    }

    /// The head of a 200 answer with a body of `length` bytes in `encoding`, status line
    /// to the length, built once.
    fn raw_head(&self, encoding: Encoding, length: usize) -> &[u8] {
        self.raw_heads[encoding as usize]
            .get_or_init(|| serialize_head(StatusCode::OK, self.headers(encoding), Some(length)))
    }

    /// The headers of a 200 answer with the body in `encoding`.
    fn headers(&self, encoding: Encoding) -> &HeaderMap {
        self.headers[encoding as usize].get_or_init(|| {
            let mut h = HeaderMap::with_capacity(12);
            if encoding != Encoding::Identity {
                h.insert(
                    header::CONTENT_ENCODING,
                    HeaderValue::from_static(encoding.token()),
                );
            }
            h.insert(header::ETAG, variant_etag(&self.etag, encoding));
            h.insert(header::CACHE_CONTROL, self.cache_control.clone());
            h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
            h.insert(header::CONTENT_TYPE, self.content_type.clone());
            crate::security_headers::insert(&mut h);
            h
        })
    }

    /// The body in `encoding`, compressed on first use and kept; `None` when the page is
    /// sent as it is (small, already compressed, or the encoder failed).
    fn encoded(&self, encoding: Encoding, compressions: &AtomicU64) -> Option<&Compressed> {
        let (slot, encode): (_, Encoder) = match encoding {
            Encoding::Identity => return None,
            Encoding::Gzip => (&self.gzip, gzip),
            Encoding::Brotli => (&self.brotli, brotli),
        };
        slot.get_or_init(|| {
            if self.body.len() < MIN_COMPRESSED || !compressible(&self.content_type) {
                return None;
            }
            compressions.fetch_add(1, Ordering::Relaxed);
            match encode(&self.body) {
                Ok(bytes) if bytes.len() < self.body.len() => {
                    let bytes = Bytes::from(bytes);
                    Some(Compressed {
                        kept: zero_copy::Kept::new(&bytes).map(Arc::new),
                        bytes,
                    })
                }
                Ok(_) => None,
                Err(e) => {
                    tracing::error!(error = %e, encoding = encoding.token(), "compression failed");
                    None
                }
            }
        })
        .as_ref()
    }
}

/// Pages by path and query, valid for one content generation.
#[derive(Debug, Default)]
pub struct PageCache {
    pages: RwLock<HashMap<String, Arc<CachedPage>>>,
    bytes: AtomicU64,
    generation: AtomicI64,
    /// Bumped on every clear, so a render that started before a clear is not stored after it.
    epoch: AtomicU64,
    /// How many times a page body was compressed (each page and coding once).
    compressions: AtomicU64,
    /// The ISO week pages were rendered in: "this week" on the home page depends on it.
    week: AtomicI64,
    /// Requests answered from the cache, and shareable requests that were not, since start.
    hits: AtomicU64,
    misses: AtomicU64,
    /// "Recent trends" by edition and length, kept exactly as long as the pages are: every
    /// article and storyline page shows them, and a page rendered afresh (the first request
    /// after an import, a crawler walking the archive) would otherwise ask the store again.
    recent_storylines: Memo<(Language, u64), Vec<StorylineSummary>>,
    /// The size and years of each listing (a topic's, tag's or author's archive), kept as
    /// long as the pages are: each of a listing's pages shows them, and counting them costs
    /// a pass over the whole listing, so a crawler walking a tag's 450 pages (an export) read
    /// the tag 900 times over.
    listing_facts: Memo<(Language, Listing), ListingFacts>,
}

/// The most recently active storylines of one edition, shared by the pages that show them.
type RecentStorylines = Arc<Vec<StorylineSummary>>;

/// What every page of one listing shows about the whole of it.
#[derive(Debug, Clone, PartialEq)]
pub struct ListingFacts {
    /// Its commentaries.
    pub total: u64,
    /// Each year, newest first, with the number of commentaries listed before it.
    pub years: Vec<(i32, u64)>,
}

/// Values read from the store and kept for one content generation (see [`PageCache::clear`]).
type Memo<K, V> = RwLock<HashMap<K, Arc<V>>>;

/// Entries a [`Memo`] keeps at most: requests for listings that do not exist (a client making
/// up tag names) are answered as usual but fill no memory past this.
const MEMO_ENTRIES: usize = 50_000;

impl PageCache {
    /// Drops every page, e.g. after content was written in this process.
    pub fn clear(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut pages) = self.pages.write() {
            pages.clear();
            self.bytes.store(0, Ordering::SeqCst);
        }
        if let Ok(mut recent) = self.recent_storylines.write() {
            recent.clear();
        }
        if let Ok(mut facts) = self.listing_facts.write() {
            facts.clear();
        }
    }

    /// `key`'s value in `memo`: from memory when this generation read it before, else from
    /// `read` (and then kept, unless the cache was cleared while the store answered).
    async fn remembered<K, V, F>(
        &self,
        memo: &Memo<K, V>,
        key: K,
        read: F,
    ) -> Result<Arc<V>, StoreError>
    where
        K: std::hash::Hash + Eq,
        F: std::future::Future<Output = Result<V, StoreError>>,
    {
        if let Some(kept) = memo.read().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(kept);
        }
        let epoch = self.epoch.load(Ordering::SeqCst);
        let fresh = Arc::new(read.await?);
        if let Ok(mut kept) = memo.write() {
            // Checked under the lock `clear` also takes: a clear either came before this
            // (and the epoch shows it) or comes after and drops this entry.
            if self.epoch.load(Ordering::SeqCst) == epoch && kept.len() < MEMO_ENTRIES {
                kept.insert(key, fresh.clone());
            }
        }
        Ok(fresh)
    }

    /// The size and years of `listing` in edition `lang` (see [`ListingFacts`]), kept for
    /// this generation.
    pub async fn listing_facts(
        &self,
        store: &dyn Store,
        lang: Language,
        listing: &Listing,
    ) -> Result<Arc<ListingFacts>, StoreError> {
        self.remembered(&self.listing_facts, (lang, listing.clone()), async {
            Ok(ListingFacts {
                total: store.listing(lang, listing, 0, 0).await?.total,
                years: store.listing_years(lang, listing).await?,
            })
        })
        .await
    }

    /// The `limit` most recently active storylines readers are pointed to in edition `lang`
    /// ([`Store::shown_storylines`]): from memory when this
    /// generation asked before, else from the store (and then kept, unless the cache was
    /// cleared while the store answered).
    pub async fn recent_storylines(
        &self,
        store: &dyn Store,
        lang: Language,
        limit: u64,
    ) -> Result<RecentStorylines, StoreError> {
        self.remembered(
            &self.recent_storylines,
            (lang, limit),
            store.shown_storylines(lang, limit),
        )
        .await
    }

    /// Records the store's generation, clearing the cache if it moved on.
    pub fn observe_generation(&self, generation: i64) {
        if self.generation.swap(generation, Ordering::SeqCst) != generation {
            self.clear();
        }
    }

    /// Records today's ISO week (as `year * 100 + week`), clearing the cache when a new week
    /// began, so that no page still calls last week "this week".
    pub fn observe_week(&self, week: i64) {
        let old = self.week.swap(week, Ordering::SeqCst);
        if old != 0 && old != week {
            self.clear();
        }
    }

    /// How many page bodies were compressed since start: each page and coding once,
    /// however many requests it answered.
    pub fn compressions(&self) -> u64 {
        self.compressions.load(Ordering::Relaxed)
    }

    fn get(&self, key: &str) -> Option<Arc<CachedPage>> {
        let page = self.pages.read().ok()?.get(key).cloned();
        let counter = if page.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        page
    }

    /// Hits and misses since start, and the pages held now (for the metrics).
    pub fn counts(&self) -> (u64, u64, usize) {
        let pages = self.pages.read().map_or(0, |p| p.len());
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
            pages,
        )
    }

    fn put(&self, key: String, epoch: u64, page: Arc<CachedPage>) {
        if let Ok(mut pages) = self.pages.write() {
            if self.epoch.load(Ordering::SeqCst) != epoch {
                return;
            }
            let key_len = key.len() as u64;
            let size = page.body.len() as u64 + key_len;
            if self.bytes.load(Ordering::SeqCst) + size > MAX_BYTES as u64 {
                pages.clear();
                self.bytes.store(0, Ordering::SeqCst);
            }
            self.bytes.fetch_add(size, Ordering::SeqCst);
            if let Some(old) = pages.insert(key, page) {
                self.bytes
                    .fetch_sub(old.body.len() as u64 + key_len, Ordering::SeqCst);
            }
        }
    }

    /// Number of pages held.
    pub fn len(&self) -> usize {
        self.pages.read().map(|p| p.len()).unwrap_or(0)
    }

    /// Whether no page is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Today's ISO week as `year * 100 + week`.
pub fn current_week() -> i64 {
    let (year, week, _) = time::OffsetDateTime::now_utc().date().to_iso_week_date();
    i64::from(year) * 100 + i64::from(week)
}

/// Polls the store's generation every `every` and clears the cache when it changed (or when
/// a new week began).
pub async fn watch_generation(state: AppState, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        state.cache.observe_week(current_week());
        match state.store.generation().await {
            Ok(g) => state.cache.observe_generation(g),
            Err(e) => tracing::warn!(error = %e, "cannot read the content generation"),
        }
    }
}

fn etag_for(body: &[u8]) -> HeaderValue {
    let mut h = DefaultHasher::new();
    body.hash(&mut h);
    HeaderValue::from_str(&format!("\"{:016x}-{:x}\"", h.finish(), body.len()))
        .unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

fn matches_etag<H: HeaderFields + ?Sized>(headers: &H, etag: &HeaderValue) -> bool {
    headers
        .values("if-none-match")
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().trim_start_matches("W/"))
        .any(|v| v == "*" || v.as_bytes() == etag.as_bytes())
}

/// The ETag of `page` in a coding: each coding is a different representation, so it gets
/// its own tag (RFC 9110 §8.8.3), which keeps caches from mixing them up.
fn variant_etag(etag: &HeaderValue, encoding: Encoding) -> HeaderValue {
    if encoding == Encoding::Identity {
        return etag.clone();
    }
    let base = etag.to_str().unwrap_or("\"0\"").trim_end_matches('"');
    HeaderValue::from_str(&format!("{base}-{}\"", encoding.token()))
        .unwrap_or_else(|_| etag.clone())
}

/// What a kept page answers one request with.
enum Choice {
    /// 304: the client's copy, with this ETag, is current.
    NotModified(HeaderValue),
    /// The page in `encoding`.
    Page {
        encoding: Encoding,
        body: Bytes,
        kept: Option<Arc<zero_copy::Kept>>,
    },
}

/// The answer to a request for a kept page: 304 when the client's copy is current, else the
/// page in the best coding the client accepts.
fn choose<H: HeaderFields + ?Sized>(
    state: &AppState,
    page: &CachedPage,
    req_headers: &H,
) -> Choice {
    let wanted = negotiate(req_headers);
    let (encoding, body, kept) = match page.encoded(wanted, &state.cache.compressions) {
        Some(c) => (wanted, c.bytes.clone(), c.kept.clone()),
        None => (Encoding::Identity, page.body.clone(), page.kept.clone()),
    };
    let etag = page
        .headers(encoding)
        .get(header::ETAG)
        .cloned()
        .unwrap_or_else(|| page.etag.clone());
    if matches_etag(req_headers, &etag) {
        Choice::NotModified(etag)
    } else {
        Choice::Page {
            encoding,
            body,
            kept,
        }
    }
}

/// The headers of a 304 answer for `page`, security headers included.
fn not_modified_headers(page: &CachedPage, etag: HeaderValue) -> HeaderMap {
    let mut h = HeaderMap::with_capacity(10);
    h.insert(header::ETAG, etag);
    h.insert(header::CACHE_CONTROL, page.cache_control.clone());
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    crate::security_headers::insert(&mut h);
    h
}

/// [`choose`]'s answer as a response, with the security headers either way.
fn respond(state: &AppState, page: &CachedPage, req_headers: &HeaderMap) -> Response {
    match choose(state, page, req_headers) {
        Choice::NotModified(etag) => {
            let mut resp = StatusCode::NOT_MODIFIED.into_response();
            *resp.headers_mut() = not_modified_headers(page, etag);
            resp
        }
        Choice::Page { encoding, body, .. } => {
            let mut resp = Response::new(Body::from(body));
            *resp.headers_mut() = page.headers(encoding).clone();
            resp
        }
    }
}

/// An HTTP/1.1 response head: the status line, `headers` and, when given, the length; the
/// connection adds the date, the request id and the empty line
/// ([`crate::connection::finish_head`]).
fn serialize_head(status: StatusCode, headers: &HeaderMap, length: Option<usize>) -> Vec<u8> {
    let mut out = Vec::with_capacity(640);
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(status.canonical_reason().unwrap_or("").as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if let Some(length) = length {
        let _ = write!(out, "content-length: {length}\r\n");
    }
    out
}

/// Answers a request head the connection read itself (see [`crate::connection`]) when a kept
/// page answers it: a GET or HEAD without a session. `None` sends the request to hyper and
/// the router (where [`layer`] renders and keeps the page).
///
/// This is [`layer`]'s hit path without hyper's request and response objects, the router or
/// the middleware: under wrk they cost more CPU than the page itself, and were what kept
/// a kept page below nginx serving the same file. The answer is the one the router gives:
/// the same headers (built once per page and coding), a request id and the date, and the
/// request counted in the metrics under the route that rendered the page.
pub fn answer_head(
    state: &AppState,
    head: &crate::connection::Head<'_>,
) -> Option<crate::connection::Answer> {
    if state.static_copy || has_session(head.headers) {
        return None;
    }
    let started = state.record_requests.then(std::time::Instant::now);
    let page = state.cache.get(head.target)?;
    let mut answer = match choose(state, &page, head.headers) {
        Choice::NotModified(etag) => {
            let headers = not_modified_headers(&page, etag);
            crate::connection::Answer {
                status: StatusCode::NOT_MODIFIED,
                // Made with room for the date and request id (see `serialize_head`).
                head: serialize_head(StatusCode::NOT_MODIFIED, &headers, None),
                body: None,
                kept: None,
            }
        }
        Choice::Page {
            encoding,
            body,
            kept,
        } => crate::connection::Answer {
            status: StatusCode::OK,
            head: crate::connection::head_from(page.raw_head(encoding, body.len())),
            body: (!head.head_only).then_some(body),
            kept: kept.filter(|_| !head.head_only),
        },
    };
    crate::connection::finish_head(&mut answer.head, crate::request_id::next_id().as_bytes());
    if let Some(started) = started {
        let method = if head.head_only {
            Method::HEAD
        } else {
            Method::GET
        };
        crate::observability::count(&page.route, &method, answer.status, started);
    }
    Some(answer)
}

/// Middleware: answers GET and HEAD of shared routes from the cache, fills it on a miss with
/// their successful responses, and adds ETag and Cache-Control. Errors and redirects pass
/// through uncached; private routes and requests with a session get `private, no-store`.
pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // Only GET and HEAD are answered from the cache (the API is a separate router, outside
    // this layer).
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return next.run(req).await;
    }
    // An export asks for each page once: keeping them would only fill memory.
    if state.static_copy {
        return next.run(req).await;
    }
    if has_session(req.headers()) {
        let mut resp = next.run(req).await;
        resp.headers_mut().insert(header::CACHE_CONTROL, NO_STORE);
        return resp;
    }
    let key = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    if let Some(page) = state.cache.get(&key) {
        return respond(&state, &page, req.headers());
    }
    let epoch = state.cache.epoch.load(Ordering::SeqCst);
    let req_headers = req.headers().clone();
    let route: Arc<str> = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("unmatched", |m| m.as_str())
        .into();
    let mut resp = next.run(req).await;
    match resp.extensions().get::<CachePolicy>() {
        Some(CachePolicy::Shared) => {}
        Some(CachePolicy::Private) => {
            resp.headers_mut().insert(header::CACHE_CONTROL, NO_STORE);
            return resp;
        }
        None => return resp,
    }
    if resp.status() != StatusCode::OK {
        return resp;
    }
    // A page too large to keep (or of unknown length) is served as it is, uncached: the
    // body is never cut or replaced by an error.
    let fits = axum::body::HttpBody::size_hint(resp.body())
        .upper()
        .is_some_and(|n| n <= MAX_BODY as u64);
    if !fits {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static("text/html; charset=utf-8"));
    let body = match to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "page body could not be buffered");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let cache_control = parts
        .headers
        .get(header::CACHE_CONTROL)
        .cloned()
        .unwrap_or_else(|| state.cache_control.clone());
    let page = Arc::new(CachedPage::new(content_type, cache_control, body, route));
    state.cache.put(key, epoch, page.clone());
    respond(&state, &page, &req_headers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use tower::ServiceExt;

    /// A remembered value is read once per content generation, read again after the cache
    /// is cleared, and a full memo answers without keeping more.
    #[tokio::test]
    async fn listing_facts_are_read_once_per_generation() {
        let cache = PageCache::default();
        let tag = |t: &str| (Language::En, Listing::Tag(t.to_string()));
        let read = |total: u64| async move {
            Ok(ListingFacts {
                total,
                years: vec![(2026, 0)],
            })
        };
        let first = cache
            .remembered(&cache.listing_facts, tag("gas"), read(7))
            .await
            .expect("read");
        let again = cache
            .remembered(&cache.listing_facts, tag("gas"), read(8))
            .await
            .expect("kept");
        // The kept value answers: the second read is never awaited.
        assert_eq!((first.total, again.total), (7, 7));
        cache.clear();
        let after = cache
            .remembered(&cache.listing_facts, tag("gas"), read(8))
            .await
            .expect("read again");
        assert_eq!(after.total, 8);
        for i in 0..MEMO_ENTRIES {
            cache
                .remembered(&cache.listing_facts, tag(&format!("t{i}")), async {
                    Ok(ListingFacts {
                        total: 1,
                        years: Vec::new(),
                    })
                })
                .await
                .expect("read");
        }
        let len = || cache.listing_facts.read().map(|m| m.len()).unwrap_or(0);
        assert_eq!(len(), MEMO_ENTRIES);
    }

    /// I1: a page over the cache's size limit is served whole, uncached, never as an empty 500.
    #[tokio::test]
    async fn i1_large_page_served_uncached() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store: Arc<dyn trendwatch_store::Store> =
            Arc::new(trendwatch_sqlite::SqliteStore::open(dir.path()).expect("store"));
        let state = AppState::new(store, crate::SiteConfig::default());
        let big = "x".repeat(MAX_BODY + 1);
        let page = big.clone();
        let app = axum::Router::new()
            .route("/big", shared(get(move || async move { page })))
            .route("/small", shared(get(|| async { "small" })))
            .layer(axum::middleware::from_fn_with_state(state.clone(), layer))
            .with_state(state.clone());
        for _ in 0..2 {
            let resp = app
                .clone()
                .oneshot(Request::get("/big").body(Body::empty()).expect("request"))
                .await
                .expect("response");
            assert_eq!(resp.status(), StatusCode::OK);
            let body = to_bytes(resp.into_body(), usize::MAX).await.expect("body");
            assert_eq!(body.len(), big.len());
        }
        let resp = app
            .oneshot(Request::get("/small").body(Body::empty()).expect("request"))
            .await
            .expect("response");
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(state.cache.len(), 1, "only the small page is kept");
    }

    /// Whether a response is kept is its route's property, and a signed-in request neither
    /// reads nor fills the cache.
    #[tokio::test]
    async fn routes_declare_what_is_kept_and_sessions_bypass_the_cache() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store: Arc<dyn trendwatch_store::Store> =
            Arc::new(trendwatch_sqlite::SqliteStore::open(dir.path()).expect("store"));
        let state = AppState::new(store, crate::SiteConfig::default());
        let rendered = Arc::new(AtomicU64::new(0));
        let counter = rendered.clone();
        let app = axum::Router::new()
            .route(
                "/shared",
                shared(get(move || {
                    let n = counter.fetch_add(1, Ordering::SeqCst);
                    async move { format!("render {n}") }
                })),
            )
            .route("/private", private(get(|| async { "for you" })))
            .route("/undeclared", get(|| async { "undeclared" }))
            .layer(axum::middleware::from_fn_with_state(state.clone(), layer))
            .with_state(state.clone());
        let fetch = |path: &'static str, cookie: Option<&'static str>| {
            let app = app.clone();
            async move {
                let mut req = Request::get(path);
                if let Some(c) = cookie {
                    req = req.header(header::COOKIE, c);
                }
                let resp = app
                    .oneshot(req.body(Body::empty()).expect("request"))
                    .await
                    .expect("response");
                let cc = resp
                    .headers()
                    .get(header::CACHE_CONTROL)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                let body = to_bytes(resp.into_body(), usize::MAX).await.expect("body");
                (cc, String::from_utf8_lossy(&body).to_string())
            }
        };
        for path in ["/private", "/undeclared"] {
            fetch(path, None).await;
        }
        assert!(state.cache.is_empty(), "only shared routes are kept");
        assert_eq!(fetch("/private", None).await.0, "private, no-store");

        // A signed-in request renders afresh and keeps nothing.
        let session = Some("theme=dark; trendwatch-session=abc");
        let (cc, body) = fetch("/shared", session).await;
        assert_eq!(
            (cc.as_str(), body.as_str()),
            ("private, no-store", "render 0")
        );
        assert!(state.cache.is_empty());
        // Readers share one render...
        assert_eq!(fetch("/shared", None).await.1, "render 1");
        assert_eq!(fetch("/shared", None).await.1, "render 1");
        assert_eq!(state.cache.len(), 1);
        // ...which a signed-in request never gets.
        let (cc, body) = fetch("/shared", Some("__Host-trendwatch-session=x")).await;
        assert_eq!(
            (cc.as_str(), body.as_str()),
            ("private, no-store", "render 2")
        );
        assert!(!has_session(&HeaderMap::new()));
    }

    /// The cache is emptied when a new ISO week begins, so "This week" on the home page is
    /// never served from last week's render; the same week keeps it.
    #[test]
    fn a_new_week_empties_the_cache() {
        let cache = PageCache::default();
        let page = || {
            Arc::new(CachedPage::new(
                HeaderValue::from_static("text/html"),
                HeaderValue::from_static("public"),
                Bytes::from_static(b"page"),
                "/page".into(),
            ))
        };
        cache.observe_week(202648);
        cache.put("/en/".into(), 0, page());
        cache.observe_week(202648);
        assert_eq!(cache.len(), 1, "same week: kept");
        cache.observe_week(202649);
        assert!(cache.is_empty(), "new week: emptied");
    }

    #[test]
    fn accept_encoding_is_negotiated_by_preference_and_q() {
        let h = |v: &'static str| {
            let mut m = HeaderMap::new();
            m.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(v));
            negotiate(&m)
        };
        assert_eq!(h("gzip, deflate, br, zstd"), Encoding::Brotli);
        assert_eq!(h("gzip"), Encoding::Gzip);
        assert_eq!(h("br;q=0, gzip;q=0.5"), Encoding::Gzip);
        assert_eq!(h("*"), Encoding::Brotli);
        assert_eq!(h("*;q=0, gzip"), Encoding::Gzip);
        assert_eq!(h("identity"), Encoding::Identity);
        assert_eq!(h("gzip;q=0, br;q=0"), Encoding::Identity);
        assert_eq!(negotiate(&HeaderMap::new()), Encoding::Identity);
    }
}
