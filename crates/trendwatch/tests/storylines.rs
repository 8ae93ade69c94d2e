//! Storylines over the sample archive: every article in exactly one storyline, deterministic
//! threading, the storyline page through a DOM, and editors' merges, splits, renames and moves
//! that the threader never undoes.

mod common;

use common::*;
use std::collections::HashMap;
use std::process::Command;
use trendwatch_core::Language;

async fn sample_archive() -> TestArchive {
    let archive = TestArchive::fresh().await;
    let sample = trendwatch::sample::extract(archive.dir.path()).expect("extract sample");
    assert!(archive.import(&[sample]).await.rejected.is_empty());
    archive
}

/// article id → storyline id, for every article.
async fn assignments(archive: &TestArchive) -> HashMap<i64, i64> {
    let docs = archive.store.threading_corpus().await.expect("corpus");
    let n = docs.len();
    let map: HashMap<i64, i64> = docs
        .into_iter()
        .map(|d| {
            (
                d.article_id,
                d.storyline.expect("every article is in a storyline"),
            )
        })
        .collect();
    assert_eq!(map.len(), n);
    map
}

fn cli(archive: &TestArchive, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_trendwatch"))
        .arg("--data")
        .arg(archive.dir.path())
        .args(["storylines"])
        .args(args)
        .output()
        .expect("run trendwatch storylines");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

async fn id_of(archive: &TestArchive, slug: &str) -> i64 {
    archive
        .store
        .article(Language::En, slug)
        .await
        .expect("read")
        .expect("article")
        .id
}

#[tokio::test]
async fn threading_is_deterministic_and_translations_share_storylines() {
    let a = sample_archive().await;
    let b = sample_archive().await;
    let (ma, mb) = (assignments(&a).await, assignments(&b).await);
    assert_eq!(ma, mb, "same input, same storylines");
    // Every translation sits in its original's storyline.
    let docs = a.store.threading_corpus().await.expect("corpus");
    let mut by_group: HashMap<String, Vec<i64>> = HashMap::new();
    for d in &docs {
        if let Some(g) = &d.group {
            by_group
                .entry(g.clone())
                .or_default()
                .push(ma[&d.article_id]);
        }
    }
    for (g, s) in by_group {
        assert!(
            s.windows(2).all(|w| w[0] == w[1]),
            "group {g} split across storylines {s:?}"
        );
    }
}

#[tokio::test]
async fn storyline_page_shows_the_trend_week_by_week() {
    let archive = sample_archive().await;
    let drills = id_of(
        &archive,
        "iron-ridge-drills-begin-with-a-larger-contingent-than-announced",
    )
    .await;
    let storyline = archive
        .store
        .storyline_of(drills)
        .await
        .expect("read")
        .expect("assigned");
    let app = archive.serve().await;
    let doc = app.page(&format!("/en/storylines/{storyline}")).await;
    assert_accessible_skeleton(&doc);
    let weeks = texts(&doc, ".timeline .period a");
    assert!(weeks.len() >= 2, "{weeks:?}");
    assert!(texts(&doc, ".timeline .card-title a")
        .contains(&"Iron Ridge drills begin with a larger contingent than announced".to_string()));
    // Week by week, oldest first; every entry has a marker in words.
    assert_eq!(texts(&doc, ".timeline .marker-label").len(), weeks.len());
    let meta = texts(&doc, ".article-meta dd");
    assert_eq!(meta[1], weeks[0], "first week");
    assert_eq!(meta[2], *weeks.last().expect("weeks"), "last week");
    // The title names the story (issue 12 §1): the headline made of the words its
    // commentaries share, not the latest one, and in Russian a Russian headline.
    let timeline = texts(&doc, ".timeline .card-title a");
    let title = text(&doc, "h1");
    assert!(title.contains("Iron Ridge drills"), "{title}");
    assert!(timeline.contains(&title), "{title} is one of its headlines");
    assert_eq!(
        timeline.last().map(String::as_str),
        Some("Media bill and drills cloud western relations"),
        "the latest headline, which names another story"
    );
    let ru_doc = app.page(&format!("/ru/storylines/{storyline}")).await;
    assert!(
        text(&ru_doc, "h1").contains("Железный хребет"),
        "{}",
        text(&ru_doc, "h1")
    );
    assert_eq!(text(&doc, "#timeline-heading"), "Week by week");
    assert_eq!(text(&doc, "#recent-heading"), "Recent trends");
    // The drills story has Russian articles, so the page has a Russian version.
    let ru = attrs(&doc, "link[rel=alternate][hreflang=ru]", "href");
    assert_eq!(
        ru,
        vec![format!("{}/ru/storylines/{storyline}", app.app.url())]
    );
    assert_eq!(
        app.get("/en/storylines/99999").await.status,
        reqwest::StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/en/storylines/abc").await.status,
        reqwest::StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn editors_merge_split_rename_and_move_and_the_threader_keeps_their_decisions() {
    let archive = sample_archive().await;
    let total = assignments(&archive).await.len();
    let drills = id_of(
        &archive,
        "iron-ridge-drills-begin-with-a-larger-contingent-than-announced",
    )
    .await;
    let budget = id_of(
        &archive,
        "assembly-passes-the-budget-in-first-reading-without-surprises",
    )
    .await;
    let (sa, sb) = {
        let m = assignments(&archive).await;
        (m[&drills], m[&budget])
    };
    assert_ne!(sa, sb);

    // Merge: every article stays in exactly one storyline, and sb is gone.
    cli(&archive, &["merge", &sb.to_string(), &sa.to_string()]);
    let m = assignments(&archive).await;
    assert_eq!(m.len(), total);
    assert_eq!(m[&budget], sa);
    assert!(!m.values().any(|&s| s == sb));

    // Rename.
    cli(
        &archive,
        &["rename", &sa.to_string(), "Iron Ridge and the budget"],
    );
    let detail = archive
        .store
        .storyline(sa, Language::En)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(detail.summary.title, "Iron Ridge and the budget");
    assert!(detail.summary.titled_by_editor);

    // Move one article out to a new storyline; its Russian translation follows.
    let out = cli(
        &archive,
        &[
            "move",
            "en/iron-ridge-drills-begin-with-a-larger-contingent-than-announced",
        ],
    );
    let moved_to: i64 = out
        .trim()
        .rsplit(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("new id printed");
    let m = assignments(&archive).await;
    assert_eq!(m[&drills], moved_to);
    let ru = archive
        .store
        .article(
            Language::Ru,
            "ucheniya-zheleznyy-khrebet-nachalis-s-bolshim-kontingentom-chem-obyavlyalos",
        )
        .await
        .expect("read")
        .expect("translation");
    assert_eq!(m[&ru.id], moved_to);

    // Split: from the budget article on, a new storyline.
    let before = archive
        .store
        .storyline(sa, Language::En)
        .await
        .expect("read")
        .expect("exists")
        .articles
        .len();
    let out = cli(
        &archive,
        &[
            "split",
            &sa.to_string(),
            "--from",
            "en/assembly-passes-the-budget-in-first-reading-without-surprises",
        ],
    );
    assert!(out.contains("split"));
    let m = assignments(&archive).await;
    assert_eq!(m.len(), total);
    let after = archive
        .store
        .storyline(sa, Language::En)
        .await
        .expect("read")
        .expect("exists")
        .articles
        .len();
    let new_story = m[&budget];
    assert_ne!(new_story, sa);
    let split_off = archive
        .store
        .storyline(new_story, Language::En)
        .await
        .expect("read")
        .expect("exists")
        .articles
        .len();
    assert_eq!(after + split_off, before);

    // Re-importing and re-threading changes none of these decisions.
    let snapshot = assignments(&archive).await;
    let sample = trendwatch::sample::extract(archive.dir.path()).expect("extract");
    archive.import(&[sample]).await;
    cli(&archive, &["thread"]);
    assert_eq!(assignments(&archive).await, snapshot);

    // Mistakes get clear messages and change nothing.
    let bad = Command::new(env!("CARGO_BIN_EXE_trendwatch"))
        .arg("--data")
        .arg(archive.dir.path())
        .args(["storylines", "merge", "424242", &sa.to_string()])
        .output()
        .expect("run");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("storyline 424242 does not exist"));
    assert_eq!(assignments(&archive).await, snapshot);
}

#[tokio::test]
async fn a_long_storyline_is_paginated_and_every_commentary_is_reachable() {
    let archive = TestArchive::fresh().await;
    let gen = archive.dir.path().join("generated");
    trendwatch::generate::generate(300, &gen).expect("generate");
    assert!(archive.import(&[gen]).await.rejected.is_empty());
    // An editor merges every English storyline into the longest one, so it is longer than
    // a page (the threader no longer lumps the synthetic archive together by itself).
    let all = archive
        .store
        .recent_storylines(Language::En, 1000)
        .await
        .expect("read");
    let target = all
        .iter()
        .max_by_key(|s| s.articles)
        .expect("storylines")
        .id;
    for s in all.iter().filter(|s| s.id != target) {
        archive
            .store
            .merge_storylines(s.id, target)
            .await
            .expect("merge");
    }
    let longest = archive
        .store
        .recent_storylines(Language::En, 1000)
        .await
        .expect("read")
        .into_iter()
        .find(|s| s.id == target)
        .expect("the merged storyline");
    let limit = trendwatch_store::STORYLINE_PAGE_ARTICLES;
    assert!(longest.articles > limit, "{} articles", longest.articles);
    let app = archive.serve().await;
    let base = format!("/en/storylines/{}", longest.id);
    let doc = app.page(&base).await;
    let total = longest.articles;
    assert_eq!(texts(&doc, ".timeline .archive-item").len() as u64, limit);
    assert_eq!(
        text(&doc, "section p.muted"),
        format!(
            "Commentaries {}–{total} of {total}, oldest first.",
            total - limit + 1
        )
    );
    // Oldest first within the latest ones: the last entry is the latest week.
    let weeks = texts(&doc, ".timeline .period a");
    assert_eq!(
        weeks.last().map(String::as_str),
        Some("November 16 – November 22, 2026")
    );
    // Following "Older" from page to page reaches every commentary once.
    let mut seen: Vec<String> = attrs(&doc, ".timeline .card-title a", "href");
    let mut next = attrs(&doc, ".pagination a[rel=next]", "href");
    let mut pages = 1;
    while let Some(url) = next.first().cloned() {
        pages += 1;
        assert_eq!(url, format!("{base}/page/{pages}"));
        let doc = app.page(&url).await;
        assert_eq!(
            attrs(&doc, ".pagination a[rel=prev]", "href"),
            vec![if pages == 2 {
                base.clone()
            } else {
                format!("{base}/page/{}", pages - 1)
            }]
        );
        seen.extend(attrs(&doc, ".timeline .card-title a", "href"));
        next = attrs(&doc, ".pagination a[rel=next]", "href");
    }
    assert_eq!(pages as u64, total.div_ceil(limit));
    let distinct: std::collections::HashSet<&String> = seen.iter().collect();
    assert_eq!((seen.len() as u64, distinct.len() as u64), (total, total));
    // Page 1 has one address; past the last page there is nothing.
    let one = app.get(&format!("{base}/page/1")).await;
    assert_eq!(one.status, 308);
    let past = app.get(&format!("{base}/page/{}", pages + 1)).await;
    assert_eq!(past.status, 404);
}

/// Issue 12 §5: an import builds the similarity model while it threads the storylines; the
/// lists are exactly those of threading first and rebuilding every list afterwards (the
/// same-storyline bonus included).
#[tokio::test]
async fn similar_lists_built_beside_threading_equal_a_rebuild_after_it() {
    let archive = sample_archive().await;
    let ids: Vec<i64> = assignments(&archive).await.into_keys().collect();
    let during = archive
        .store
        .related_lists(ids.clone())
        .await
        .expect("lists");
    assert!(during.iter().any(|(_, l)| !l.is_empty()));
    trendwatch_service::derive::rebuild_similar(&archive.store, &archive.config.derivation())
        .await
        .expect("rebuild");
    let after = archive.store.related_lists(ids).await.expect("lists");
    let key = |lists: Vec<(i64, Vec<trendwatch_core::similarity::Scored>)>| {
        let mut v: Vec<(i64, Vec<(i64, i64)>)> = lists
            .into_iter()
            .map(|(id, l)| {
                (
                    id,
                    l.iter()
                        .map(|s| (s.id, (s.score * 1e5).round() as i64))
                        .collect(),
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(key(during), key(after));
}

/// Issue 13 §1: an editor's storyline decision goes through the publish path, which refreshes
/// the similar lists it changes (they weigh "same storyline"). An article moved out of its
/// storyline loses the bonus in its former neighbour's list; merged back, it regains it;
/// moved out again, it loses it again. (Scores are compared among edits: an edit rescores
/// incrementally, with the search index's document frequencies, where the import built the
/// whole model.)
#[tokio::test]
async fn editors_storyline_decisions_refresh_the_similar_lists() {
    let archive = sample_archive().await;
    let storyline_of = assignments(&archive).await;
    let mut ids: Vec<i64> = storyline_of.keys().copied().collect();
    ids.sort_unstable();
    let lists = archive.store.related_lists(ids).await.expect("lists");
    // An article (a) whose list holds another article (b) of its own storyline.
    let (a, b) = lists
        .iter()
        .find_map(|(a, list)| {
            list.iter()
                .find(|s| storyline_of[&s.id] == storyline_of[a])
                .map(|s| (*a, s.id))
        })
        .expect("the sample has similar articles within a storyline");
    let score = |of: i64, other: i64| {
        let store = archive.store.clone();
        async move {
            let lists = store.related_lists(vec![of]).await.expect("lists");
            lists
                .iter()
                .flat_map(|(_, l)| l.iter())
                .find(|s| s.id == other)
                .map_or(0.0, |s| s.score)
        }
    };
    let text = &archive.store.article_texts(Some(vec![b])).await.expect("b")[0];
    let b_name = format!("{}/{}", text.lang, text.slug);
    let move_out = || {
        let out = cli(&archive, &["move", &b_name]);
        assert!(out.contains("is now in storyline"), "{out}");
    };
    move_out();
    let apart = score(a, b).await;
    let moved_to = assignments(&archive).await[&b];
    assert_ne!(moved_to, storyline_of[&a]);
    cli(
        &archive,
        &[
            "merge",
            &moved_to.to_string(),
            &storyline_of[&a].to_string(),
        ],
    );
    let merged = score(a, b).await;
    assert!(merged > apart, "apart {apart}, merged back {merged}");
    move_out();
    let apart_again = score(a, b).await;
    assert!(
        apart_again < merged && (apart_again - apart).abs() < 1e-4,
        "apart {apart}, merged back {merged}, apart again {apart_again}"
    );
}
