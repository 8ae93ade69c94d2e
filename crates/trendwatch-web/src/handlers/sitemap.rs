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
use std::collections::HashMap;
use trendwatch_core::Language;

/// `/robots.txt`: everything may be crawled except the API and search results (endless
/// combinations of one archive), and the sitemap is named.
pub async fn robots(State(state): State<AppState>) -> Response {
    let body = format!(
        "User-agent: *\nAllow: /\nDisallow: /api/\nDisallow: /en/search\nDisallow: /ru/search\n\
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

/// Every address, the edition pages first, then the articles oldest first; with the latest
/// publication time (RFC 3339).
async fn every_url(state: &AppState) -> Result<(Vec<SitemapUrl>, Option<String>), WebError> {
    let public = &state.public;
    let articles = state
        .store
        .sitemap_articles()
        .await
        .map_err(|e| WebError::store(Language::En, &state.site, e))?;
    let latest = |lang: Language| {
        articles
            .iter()
            .filter(|a| a.lang == lang)
            .map(|a| a.published_at)
            .max()
            .map(|t| public.rfc3339(t))
    };
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
    let mut urls = Vec::new();
    for path in &paths {
        let alternates: Vec<(String, String)> = Language::ALL
            .iter()
            .map(|l| {
                (
                    l.code().to_string(),
                    public.absolute(&format!("/{}{path}", l.code())),
                )
            })
            .collect();
        for (i, lang) in Language::ALL.iter().enumerate() {
            urls.push(SitemapUrl {
                loc: alternates[i].1.clone(),
                lastmod: latest(*lang),
                alternates: alternates.clone(),
            });
        }
    }
    let mut groups: HashMap<&str, Vec<(String, String)>> = HashMap::new();
    for a in &articles {
        if let Some(g) = a.group.as_deref() {
            groups.entry(g).or_default().push((
                a.lang.code().to_string(),
                public.absolute(&article_url(a.lang, &a.slug)),
            ));
        }
    }
    for a in &articles {
        let loc = public.absolute(&article_url(a.lang, &a.slug));
        let mut alternates = a
            .group
            .as_deref()
            .and_then(|g| groups.get(g))
            .cloned()
            .unwrap_or_default();
        alternates.sort();
        urls.push(SitemapUrl {
            loc,
            lastmod: Some(public.rfc3339(a.published_at)),
            alternates,
        });
    }
    // Weekly overviews and storylines, with the editions that have them as alternates.
    let mut weeks: std::collections::BTreeMap<trendwatch_core::Period, Vec<Language>> =
        Default::default();
    let mut week_latest: HashMap<(trendwatch_core::Period, Language), time::PrimitiveDateTime> =
        HashMap::new();
    for a in &articles {
        let langs = weeks.entry(a.period).or_default();
        if !langs.contains(&a.lang) {
            langs.push(a.lang);
        }
        let t = week_latest
            .entry((a.period, a.lang))
            .or_insert(a.published_at);
        *t = (*t).max(a.published_at);
    }
    for (period, langs) in &weeks {
        let alternates: Vec<(String, String)> = Language::ALL
            .iter()
            .filter(|l| langs.contains(l))
            .map(|l| {
                (
                    l.code().to_string(),
                    public.absolute(&week_url(*l, *period)),
                )
            })
            .collect();
        for (lang, loc) in Language::ALL
            .iter()
            .filter(|l| langs.contains(l))
            .zip(alternates.iter().map(|(_, u)| u.clone()))
        {
            urls.push(SitemapUrl {
                loc,
                lastmod: week_latest
                    .get(&(*period, *lang))
                    .map(|t| public.rfc3339(*t)),
                alternates: alternates.clone(),
            });
        }
    }
    let storylines = state
        .store
        .sitemap_storylines()
        .await
        .map_err(|e| WebError::store(Language::En, &state.site, e))?;
    let mut by_storyline: HashMap<i64, Vec<(String, String)>> = HashMap::new();
    for s in &storylines {
        by_storyline.entry(s.id).or_default().push((
            s.lang.code().to_string(),
            public.absolute(&storyline_url(s.lang, s.id)),
        ));
    }
    for s in &storylines {
        urls.push(SitemapUrl {
            loc: public.absolute(&storyline_url(s.lang, s.id)),
            lastmod: Some(public.rfc3339(s.last_published_at)),
            alternates: by_storyline.get(&s.id).cloned().unwrap_or_default(),
        });
    }
    let newest = articles
        .iter()
        .map(|a| a.published_at)
        .max()
        .map(|t| public.rfc3339(t));
    Ok((urls, newest))
}
