//! A crawl of the whole sample site from `/en/` and `/ru/` (issue 12 §3): every internal link
//! of every page answers (a redirect must lead to a page that does), and every `#fragment` a
//! link names exists on its page.

mod common;

use common::*;
use reqwest::StatusCode;
use std::collections::{BTreeMap, HashSet, VecDeque};

/// Most pages visited: the sample site has a few hundred; a runaway (a link that makes new
/// links forever) fails instead of hanging.
const MAX_PAGES: usize = 5000;

#[tokio::test]
async fn crawl_of_the_sample_site_finds_no_broken_link() {
    let archive = TestArchive::fresh().await;
    let sample = trendwatch::sample::extract(archive.dir.path()).expect("extract sample");
    let report = archive.import(&[sample]).await;
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    let app = archive.serve().await;

    let mut queue: VecDeque<(String, String)> = ["/en/", "/ru/"]
        .iter()
        .map(|p| (p.to_string(), "start".to_string()))
        .collect();
    let mut seen: HashSet<String> = queue.iter().map(|(p, _)| p.clone()).collect();
    // Page → the ids it has, for checking fragments once the crawl is done.
    let mut ids: BTreeMap<String, HashSet<String>> = BTreeMap::new();
    let mut fragments: Vec<(String, String, String)> = Vec::new();
    let mut broken: Vec<String> = Vec::new();
    let mut kinds: HashSet<String> = HashSet::new();
    while let Some((path, from)) = queue.pop_front() {
        assert!(
            seen.len() <= MAX_PAGES,
            "more than {MAX_PAGES} pages: runaway links"
        );
        let mut page = app.get(&path).await;
        let mut at = path.clone();
        for _ in 0..3 {
            if !page.status.is_redirection() {
                break;
            }
            let location = page.headers["location"]
                .to_str()
                .expect("ascii")
                .to_string();
            page = app.get(&location).await;
            at = location;
        }
        if page.status != StatusCode::OK {
            broken.push(format!("{path} (linked from {from}): {}", page.status));
            continue;
        }
        let content_type = page.headers["content-type"]
            .to_str()
            .unwrap_or("")
            .to_string();
        kinds.insert(
            path.split('/')
                .nth(2)
                .unwrap_or("")
                .split('?')
                .next()
                .unwrap_or("")
                .to_string(),
        );
        if !content_type.starts_with("text/html") {
            continue;
        }
        let doc = page.doc();
        ids.insert(
            at.clone(),
            doc.select(&sel("[id]"))
                .filter_map(|e| e.value().attr("id").map(str::to_string))
                .collect(),
        );
        for href in attrs(&doc, "a[href], link[href]", "href") {
            if !href.starts_with('/') || href.starts_with("//") {
                continue;
            }
            let (target, fragment) = match href.split_once('#') {
                Some((t, f)) => (
                    if t.is_empty() {
                        at.clone()
                    } else {
                        t.to_string()
                    },
                    Some(f),
                ),
                None => (href.clone(), None),
            };
            if let Some(f) = fragment {
                fragments.push((target.clone(), f.to_string(), at.clone()));
            }
            if seen.insert(target.clone()) {
                queue.push_back((target, at.clone()));
            }
        }
    }
    for (page, fragment, from) in &fragments {
        if let Some(have) = ids.get(page) {
            if !have.contains(fragment) {
                broken.push(format!(
                    "{page}#{fragment} (linked from {from}): no such id"
                ));
            }
        }
    }
    eprintln!("crawled {} addresses of kinds {kinds:?}", seen.len());
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    // The crawl reached every kind of page, in both editions.
    for kind in [
        "",
        "articles",
        "topics",
        "weeks",
        "storylines",
        "dynamics",
        "track-record",
        "search",
        "about",
        "tags",
        "authors",
    ] {
        assert!(kinds.contains(kind), "no {kind:?} page reached: {kinds:?}");
    }
    assert!(seen.iter().any(|p| p.starts_with("/ru/articles/")));
}
