//! The threader a running site keeps between publications, against a real SQLite store: it
//! threads each new article without reading the archive again, groups the articles as a
//! threading from the store does, and starts from the store again whenever the store moved
//! in a way it did not see.

use std::collections::HashMap;
use std::sync::Arc;
use time::macros::datetime;
use trendwatch_core::article::{ArticleDraft, NewArticle};
use trendwatch_core::Topics;
use trendwatch_service::{derive, Publisher, Settings};
use trendwatch_store::Store;

/// The stories the sample commentaries follow (a fictional country's); each article is one
/// of them retold on its own day.
const STORIES: [&str; 4] = [
    "Arvenian army drills near the northern border with tanks and artillery",
    "The Arvenian assembly passes the budget after a long night of amendments",
    "Gas prices in Arvenia rise again as the pipeline talks stall",
    "Opposition leaders in Lorsk call a rally against the new media law",
];

fn commentary(n: i64) -> NewArticle {
    let story = STORIES[(n as usize * 3 + n as usize / 4) % STORIES.len()];
    ArticleDraft {
        key: Some(format!("sample-{n}")),
        lang: Some(trendwatch_core::Language::En),
        topic: Some("security".into()),
        // Not a weekly commentary: several a week, on one topic.
        kind: Some("other".into()),
        title: format!("{story}, day {n}"),
        lead: Some(format!("{story}; officials spoke again on day {n}.")),
        body_html: format!("<p>{story}.</p>"),
        published_at: Some(datetime!(2026-09-01 10:00) + time::Duration::days(n)),
        ..ArticleDraft::default()
    }
    .prepare(&Topics::default())
    .expect("valid sample commentary")
}

async fn storylines(store: &Arc<dyn Store>, ids: &[i64]) -> Vec<i64> {
    let mut out = Vec::new();
    for &id in ids {
        out.push(
            store
                .storyline_of(id)
                .await
                .expect("read")
                .expect("every article threaded"),
        );
    }
    out
}

/// Two articles share a storyline in one list iff they do in the other.
fn same_partition(a: &[i64], b: &[i64]) -> bool {
    let mut map: HashMap<i64, i64> = HashMap::new();
    let mut back: HashMap<i64, i64> = HashMap::new();
    a.iter()
        .zip(b)
        .all(|(x, y)| *map.entry(*x).or_insert(*y) == *y && *back.entry(*y).or_insert(*x) == *x)
}

/// A site's store holding the first 12 sample commentaries, threaded, and its publisher with
/// the kept threader built, as at a start.
async fn site() -> (
    tempfile::TempDir,
    Arc<dyn Store>,
    Publisher,
    Vec<NewArticle>,
) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store: Arc<dyn Store> =
        Arc::new(trendwatch_sqlite::SqliteStore::open(dir.path()).expect("open"));
    let publisher = Publisher::new(store.clone(), None, Settings::default());
    let archive: Vec<NewArticle> = (0..12).map(commentary).collect();
    publisher.publish(&archive).await.expect("archive");
    publisher.warm_threading().await.expect("warm");
    (dir, store, publisher, archive)
}

#[tokio::test]
async fn publications_are_threaded_from_the_kept_threader_as_from_the_store() {
    let (_dir, store, publisher, archive) = site().await;
    assert_eq!(publisher.threader().rebuilds(), 1);

    // Publications one at a time: each threaded from the kept threader.
    let mut ids: Vec<i64> = Vec::new();
    for n in 0..12 {
        let written = publisher
            .publish(&[commentary(n)])
            .await
            .expect("re-publish");
        assert!(written[0].is_ok());
    }
    assert!(
        publisher.threader().rebuilds() > 1,
        "an update of a threaded article starts from the store"
    );
    let after_updates = publisher.threader().rebuilds();
    for n in 12..30 {
        let written = publisher.publish(&[commentary(n)]).await.expect("publish");
        ids.push(written[0].as_ref().expect("written").id());
    }
    // (Each update was threaded from the store, which put the kept threader in step again.)
    assert_eq!(
        publisher.threader().rebuilds(),
        after_updates,
        "no new publication read the archive"
    );
    let kept = storylines(&store, &ids).await;
    assert!(
        kept.iter().collect::<std::collections::HashSet<_>>().len() < ids.len(),
        "the stories formed storylines: {kept:?}"
    );

    // The same publications into a second archive, each threaded from the store.
    let dir2 = tempfile::tempdir().expect("temp dir");
    let store2: Arc<dyn Store> =
        Arc::new(trendwatch_sqlite::SqliteStore::open(dir2.path()).expect("open"));
    let settings = Settings::default();
    let first = store2.write_articles(&archive).await.expect("archive");
    assert!(first.iter().all(Result::is_ok));
    derive::thread_storylines(&store2, &settings)
        .await
        .expect("thread");
    let mut ids2 = Vec::new();
    for n in 12..30 {
        let written = store2
            .write_articles(&[commentary(n)])
            .await
            .expect("write");
        ids2.push(written[0].as_ref().expect("written").id());
        derive::thread_storylines(&store2, &settings)
            .await
            .expect("thread");
    }
    let from_store = storylines(&store2, &ids2).await;
    assert!(
        same_partition(&kept, &from_store),
        "kept {kept:?}, from the store {from_store:?}"
    );
}

#[tokio::test]
async fn the_kept_threader_starts_again_when_the_store_moved_without_it() {
    let (_dir, store, publisher, _) = site().await;
    let publish = |n: i64| {
        let publisher = &publisher;
        async move {
            let written = publisher.publish(&[commentary(n)]).await.expect("publish");
            written[0].as_ref().expect("written").id()
        }
    };
    publish(20).await;
    let rebuilds = publisher.threader().rebuilds();

    // A write by another process (straight to the store, as a second `trendwatch` would).
    let other = store
        .write_articles(&[commentary(21)])
        .await
        .expect("write");
    assert!(other[0].is_ok());
    publish(22).await;
    assert_eq!(
        publisher.threader().rebuilds(),
        rebuilds + 1,
        "another process wrote"
    );

    // An editor's merge.
    let a = publish(23).await;
    let b = publish(24).await;
    let (sa, sb) = (
        store
            .storyline_of(a)
            .await
            .expect("read")
            .expect("threaded"),
        store
            .storyline_of(b)
            .await
            .expect("read")
            .expect("threaded"),
    );
    let rebuilds = publisher.threader().rebuilds();
    if sa != sb {
        publisher.merge_storylines(sb, sa).await.expect("merge");
    } else {
        publisher.move_article(b, None).await.expect("move");
    }
    publish(25).await;
    assert_eq!(
        publisher.threader().rebuilds(),
        rebuilds + 1,
        "an editor's decision"
    );

    // An article dated before the newest one seen.
    let rebuilds = publisher.threader().rebuilds();
    publish(19).await;
    assert_eq!(
        publisher.threader().rebuilds(),
        rebuilds + 1,
        "a back-dated article"
    );

    // And in step again afterwards.
    let rebuilds = publisher.threader().rebuilds();
    publish(26).await;
    publish(27).await;
    assert_eq!(publisher.threader().rebuilds(), rebuilds);
    assert!(store.unthreaded_articles(0).await.expect("read").is_empty());
}
