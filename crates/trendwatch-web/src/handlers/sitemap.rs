//! `/robots.txt`, `/sitemap.xml` and, for a site of more than 50,000 addresses,
//! `/sitemaps/{n}.xml`: every page a search engine should index (edition pages, topics,
//! articles, weekly overviews, storylines), in both languages, with `hreflang` alternates
//! and last-modified dates.

use crate::error::WebError;
use crate::sitemap::{files, index, is_index, urlset, SitemapUrl, URLS_PER_FILE};
use crate::views::{article_url, storyline_url, topic_url, week_url};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::collections::{BTreeMap, HashMap};
use time::PrimitiveDateTime;
use trendwatch_core::{Language, Period};

/// `/robots.txt`: everything may be crawled except the API and search results (endless
/// combinations of one archive), and the sitemap is named.
pub async fn robots(State(state): State<AppState>) -> Response {
    let body = format!(
        "User-agent: *\nAllow: /\nDisallow: /api/\nDisallow: /desk/\nDisallow: /en/search\nDisallow: /ru/search\n\
         \nSitemap: {}\n",
        state.public.absolute("/sitemap.xml")
    );
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

/// `/sitemap.xml`: the sitemap, or the index of its files once there are more addresses
/// than one file may hold.
pub async fn sitemap(State(state): State<AppState>) -> Result<Response, WebError> {
    let (urls, latest) = every_url(&state).await?;
    let body = if is_index(urls.len(), URLS_PER_FILE) {
        let locs: Vec<String> = (1..=files(urls.len(), URLS_PER_FILE))
            .map(|n| state.public.absolute(&format!("/sitemaps/{n}.xml")))
            .collect();
        index(&locs, latest.as_deref())
    } else {
        urlset(&urls)
    };
    Ok(xml(body))
}

/// `/sitemaps/{n}.xml`: the n-th file of a sitemap index.
pub async fn sitemap_file(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, WebError> {
    let not_found = || WebError::NotFound(Language::En, state.site.clone());
    let n: usize = file
        .strip_suffix(".xml")
        .and_then(|n| n.parse().ok())
        .ok_or_else(not_found)?;
    let (urls, _) = every_url(&state).await?;
    if !is_index(urls.len(), URLS_PER_FILE) || n == 0 || n > files(urls.len(), URLS_PER_FILE) {
        return Err(not_found());
    }
    let from = (n - 1) * URLS_PER_FILE;
    let to = (from + URLS_PER_FILE).min(urls.len());
    Ok(xml(urlset(&urls[from..to])))
}

fn xml(body: String) -> Response {
    (
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        body,
    )
        .into_response()
}

/// One page in each language it exists in: (language, path, last modification).
type Versions = Vec<(Language, String, Option<PrimitiveDateTime>)>;

/// Every address: edition pages, then articles (oldest first, translations together),
/// weekly overviews and storylines; with the latest publication time (RFC 3339).
async fn every_url(state: &AppState) -> Result<(Vec<SitemapUrl>, Option<String>), WebError> {
    let store_err = |e| WebError::store(Language::En, &state.site, e);
    let articles = state.store.sitemap_articles().await.map_err(store_err)?;
    let storylines = state.store.sitemap_storylines().await.map_err(store_err)?;
    // One pass over the articles: each edition's latest time, the translation groups, the
    // weeks and each week's latest time per edition.
    let mut latest: HashMap<Language, PrimitiveDateTime> = HashMap::new();
    let mut pages: Vec<Versions> = Vec::new();
    let mut group_page: HashMap<&str, usize> = HashMap::new();
    let mut weeks: BTreeMap<Period, Vec<(Language, PrimitiveDateTime)>> = BTreeMap::new();
    for a in &articles {
        let newer = |t: &mut PrimitiveDateTime| *t = (*t).max(a.published_at);
        newer(latest.entry(a.lang).or_insert(a.published_at));
        let version = (a.lang, article_url(a.lang, &a.slug), Some(a.published_at));
        match a.group.as_deref() {
            Some(g) if group_page.contains_key(g) => pages[group_page[g]].push(version),
            group => {
                if let Some(g) = group {
                    group_page.insert(g, pages.len());
                }
                pages.push(vec![version]);
            }
        }
        let week = weeks.entry(a.period).or_default();
        match week.iter_mut().find(|(l, _)| *l == a.lang) {
            Some((_, t)) => newer(t),
            None => week.push((a.lang, a.published_at)),
        }
    }
    // Pages every edition has, at the same path after the language.
    let mut paths: Vec<String> = ["/", "/about", "/dynamics", "/track-record"]
        .iter()
        .map(|p| p.to_string())
        .collect();
    paths.extend(
        state
            .site
            .topics
            .iter()
            .map(|t| topic_url(Language::En, &t.slug, 1)["/en".len()..].to_string()),
    );
    let edition_pages = paths.iter().map(|path| {
        Language::ALL
            .iter()
            .map(|l| (*l, format!("/{}{path}", l.code()), latest.get(l).copied()))
            .collect::<Versions>()
    });
    let week_pages = weeks.iter().map(|(period, langs)| {
        let mut v: Versions = langs
            .iter()
            .map(|(l, t)| (*l, week_url(*l, *period), Some(*t)))
            .collect();
        v.sort_by_key(|(l, ..)| l.code());
        v
    });
    let mut storyline_pages: BTreeMap<i64, Versions> = BTreeMap::new();
    for s in &storylines {
        storyline_pages.entry(s.id).or_default().push((
            s.lang,
            storyline_url(s.lang, s.id),
            Some(s.last_published_at),
        ));
    }
    let public = &state.public;
    let mut urls = Vec::new();
    for versions in edition_pages
        .chain(pages)
        .chain(week_pages)
        .chain(storyline_pages.into_values())
    {
        let mut alternates: Vec<(String, String)> = versions
            .iter()
            .map(|(l, path, _)| (l.code().to_string(), public.absolute(path)))
            .collect();
        alternates.sort();
        for (_, path, lastmod) in &versions {
            urls.push(SitemapUrl {
                loc: public.absolute(path),
                lastmod: lastmod.map(|t| public.rfc3339(t)),
                alternates: alternates.clone(),
            });
        }
    }
    let newest = latest.values().max().map(|t| public.rfc3339(*t));
    Ok((urls, newest))
}
