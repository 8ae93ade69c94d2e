//! `trendwatch export --out DIR`: the whole public site, both languages, as files that any
//! static server can serve: every page, feed, sitemap, download and asset.
//!
//! The pages are rendered by the same router that serves the live site (in process, without
//! a socket), so the copy is what readers of the live site get. The export walks the site as a
//! crawler would: it starts from the home pages, `robots.txt` and the sitemaps, follows every
//! link of this site in each page it writes, and stops when no new address turns up; so a
//! page that no link and no sitemap reaches is, rightly, not in the copy either. Addresses
//! become files by [`trendwatch_web::static_copy`]; a link that leads nowhere is reported
//! with the page that holds it.
//!
//! The copy is written into `DIR.partial` and renamed to `DIR` at the end, so a failed export
//! never leaves a folder that looks complete.

use crate::config::Config;
use anyhow::{bail, Context};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower::ServiceExt;
use trendwatch_store::Store;
use trendwatch_web::static_copy::{file_for, redirect_page, rewrite_links, static_url};
use trendwatch_web::AppState;

/// The base URL of a copy when neither `--base-url` nor `[site] base_url` gives one: where
/// `python3 -m http.server --directory DIR 8000` serves it.
pub const LOCAL_BASE_URL: &str = "http://localhost:8000";

/// Where the crawl starts; everything else is reached from these.
const SEEDS: &[&str] = &[
    "/",
    "/en/",
    "/ru/",
    "/robots.txt",
    "/sitemap.xml",
    "/favicon.ico",
    "/favicon.svg",
    "/static/style.css",
];

/// An address no page has, to render the site's "not found" page as `404.html`.
const MISSING: &str = "/en/this-address-is-not-part-of-the-site";

/// What an export wrote.
#[derive(Debug, Default)]
pub struct ExportReport {
    /// HTML pages written (redirect pages included).
    pub pages: usize,
    /// Every file written, pages included.
    pub files: usize,
    /// Their total size.
    pub bytes: u64,
    /// Links of this site that answered neither a page nor a redirect: the address, what it
    /// answered, and the page that links to it.
    pub broken: Vec<(String, StatusCode, String)>,
    /// The base URL the copy's absolute links use.
    pub base_url: String,
}

/// Exports the site of `store` with `config`'s settings into `out` (missing or an empty
/// folder). `base_url` overrides `[site] base_url`; without either the copy is addressed at
/// [`LOCAL_BASE_URL`].
pub async fn export(
    store: Arc<dyn Store>,
    config: &Config,
    out: &Path,
    base_url: Option<&str>,
) -> anyhow::Result<ExportReport> {
    if out.is_file() || (out.is_dir() && std::fs::read_dir(out)?.next().is_some()) {
        bail!(
            "{}: already exists and is not an empty folder; an export never writes over files",
            out.display()
        );
    }
    let mut site = config.file.site.clone();
    if let Some(b) = base_url {
        site.base_url = b.to_string();
    }
    if site.base_url.trim().is_empty() {
        site.base_url = LOCAL_BASE_URL.to_string();
    }
    // Checked here so that a bad address stops the export with the setting's name.
    trendwatch_web::public_address::PublicAddress::of_site(&site, LOCAL_BASE_URL)
        .map_err(anyhow::Error::msg)?;
    let mut state = AppState::new(store.clone(), site);
    state.static_copy = true;
    // Images uploaded in the desk are linked from the pages and copied like every file.
    state.uploads_dir = Some(trendwatch_web::uploads::dir(&config.data_dir));
    state.request_timeout = config.file.server.request_timeout();
    trendwatch_service::derive::repair_derived(&store, &config.derivation()).await?;

    let partial = {
        let mut p = out.as_os_str().to_owned();
        p.push(".partial");
        PathBuf::from(p)
    };
    if partial.exists() {
        // What a failed export left; never a user's folder (its name ends in `.partial`).
        std::fs::remove_dir_all(&partial)
            .with_context(|| format!("{}: removing an unfinished export", partial.display()))?;
    }
    std::fs::create_dir_all(&partial).with_context(|| format!("{}", partial.display()))?;
    let result = crawl(&state, &partial).await;
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&partial);
            return Err(e);
        }
    };
    if out.is_dir() {
        std::fs::remove_dir(out).with_context(|| format!("{}", out.display()))?;
    }
    std::fs::rename(&partial, out)
        .with_context(|| format!("renaming {} to {}", partial.display(), out.display()))?;
    Ok(report)
}

/// One address's outcome.
enum Fetched {
    /// Written; the links of this site it holds.
    Written {
        bytes: u64,
        html: bool,
        links: Vec<String>,
    },
    /// Answered with something other than a page or a redirect.
    Broken(StatusCode),
}

/// Walks the site from [`SEEDS`] in waves: each wave's addresses are rendered and written in
/// parallel, and the new links they hold make the next wave.
async fn crawl(state: &AppState, dir: &Path) -> anyhow::Result<ExportReport> {
    let router = trendwatch_web::router(state.clone());
    let base = state.public.base().to_string();
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()) * 2;
    let mut report = ExportReport {
        base_url: base.clone(),
        ..ExportReport::default()
    };
    // Each address with the page that first linked to it (the seeds link from nowhere).
    let mut linked_from: HashMap<String, String> = HashMap::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut wave: Vec<String> = Vec::new();
    for s in SEEDS {
        seen.insert(s.to_string());
        wave.push(s.to_string());
    }
    while !wave.is_empty() {
        let mut tasks = tokio::task::JoinSet::new();
        for w in 0..workers {
            let mine: Vec<String> = wave.iter().skip(w).step_by(workers).cloned().collect();
            let (router, base, dir) = (router.clone(), base.clone(), dir.to_path_buf());
            tasks.spawn(async move {
                let mut done = Vec::with_capacity(mine.len());
                for request in mine {
                    let fetched = fetch_and_write(&router, &base, &dir, &request).await?;
                    done.push((request, fetched));
                }
                anyhow::Ok(done)
            });
        }
        let mut next = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            for (request, fetched) in joined?? {
                match fetched {
                    Fetched::Written { bytes, html, links } => {
                        report.files += 1;
                        report.pages += usize::from(html);
                        report.bytes += bytes;
                        for link in links {
                            if static_url(&link).is_some() && seen.insert(link.clone()) {
                                linked_from.insert(link.clone(), request.clone());
                                next.push(link);
                            }
                        }
                    }
                    Fetched::Broken(status) => {
                        let from = linked_from.get(&request).cloned().unwrap_or_default();
                        report.broken.push((request, status, from));
                    }
                }
            }
        }
        wave = next;
    }
    // The "not found" page, under the name static hosts look for.
    let (_, _, body) = fetch(&router, MISSING).await?;
    let (page, _) = rewrite_links(&String::from_utf8_lossy(&body), &base);
    std::fs::write(dir.join("404.html"), page.as_bytes())
        .with_context(|| format!("{}", dir.join("404.html").display()))?;
    report.files += 1;
    report.pages += 1;
    report.bytes += page.len() as u64;
    report.broken.sort();
    Ok(report)
}

/// Renders `request` through the site's router: status, content type and body.
async fn fetch(
    router: &axum::Router,
    request: &str,
) -> anyhow::Result<(StatusCode, String, axum::body::Bytes)> {
    let req = Request::get(request)
        .body(Body::empty())
        .with_context(|| format!("{request}: not a valid address"))?;
    let resp = router.clone().oneshot(req).await?;
    let status = resp.status();
    let headers = resp.headers();
    let kind = if status.is_redirection() {
        headers.get(header::LOCATION)
    } else {
        headers.get(header::CONTENT_TYPE)
    }
    .and_then(|v| v.to_str().ok())
    .unwrap_or("")
    .to_string();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX).await?;
    Ok((status, kind, body))
}

/// Renders one address, writes its file with this site's links rewritten, and returns the
/// links it holds.
async fn fetch_and_write(
    router: &axum::Router,
    base: &str,
    dir: &Path,
    request: &str,
) -> anyhow::Result<Fetched> {
    let Some(file) = file_for(request) else {
        return Ok(Fetched::Broken(StatusCode::NOT_FOUND));
    };
    let (status, kind, body) = fetch(router, request).await?;
    let (content, html, links) = if status == StatusCode::OK {
        // Text formats hold links; CSV and images are written as they are.
        let text = kind.starts_with("text/html")
            || kind.contains("xml")
            || kind.contains("json")
            || kind.starts_with("text/plain");
        if text {
            let (rewritten, links) = rewrite_links(&String::from_utf8_lossy(&body), base);
            (rewritten.into_bytes(), kind.starts_with("text/html"), links)
        } else {
            (body.to_vec(), false, Vec::new())
        }
    } else if status.is_redirection() {
        // `kind` is the redirect's target, which the copy reaches through a small page.
        let target = kind.strip_prefix(base).unwrap_or(&kind).to_string();
        let Some(static_target) = static_url(&target) else {
            return Ok(Fetched::Broken(status));
        };
        (
            redirect_page(&static_target).into_bytes(),
            true,
            vec![target],
        )
    } else {
        return Ok(Fetched::Broken(status));
    };
    let path = dir.join(&file);
    if let Some(parent) = path.parent() {
        // Most pages land in a folder an earlier page made (`en/articles/`).
        if !parent.is_dir() {
            std::fs::create_dir_all(parent).with_context(|| format!("{}", parent.display()))?;
        }
    }
    std::fs::write(&path, &content).with_context(|| format!("{}", path.display()))?;
    Ok(Fetched::Written {
        bytes: content.len() as u64,
        html,
        links,
    })
}
