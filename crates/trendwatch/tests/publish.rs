//! Issue 13 §1: the one publish path (`trendwatch_service::Publisher`) that the import, the
//! CLI, the editors' API and the desk share: one article published into the sample archive is
//! stored, indexed, threaded and related in one call.

mod common;

use common::*;
use trendwatch_core::{ArticleDraft, Language};
use trendwatch_service::{search_index, Publisher};

#[tokio::test]
async fn publishing_one_article_indexes_threads_and_relates_it() {
    let archive = TestArchive::fresh().await;
    let sample = trendwatch::sample::extract(archive.dir.path()).expect("extract sample");
    assert!(archive.import(&[sample]).await.rejected.is_empty());
    let index = search_index::open_and_repair(&archive.store, &archive.config.data_dir)
        .await
        .expect("index");
    let indexed_before = index.len();
    let publisher = Publisher::new(
        archive.store.clone(),
        Some(index.clone()),
        archive.config.derivation(),
    );
    // A follow-up to a sample commentary, so that it has neighbours to be related to.
    let original = archive
        .store
        .article(
            Language::En,
            "iron-ridge-drills-begin-with-a-larger-contingent-than-announced",
        )
        .await
        .expect("read")
        .expect("sample article");
    let article = ArticleDraft {
        key: Some("follow-up".into()),
        lang: Some(Language::En),
        kind: Some("other".into()),
        topic: Some(original.content.topic.clone()),
        title: "Iron Ridge drills: the contingent stays a second week".into(),
        body_html: format!(
            "<p>The contingent stays a second week.</p>{}",
            original.content.body_html
        ),
        published_at: Some(original.content.published_at + time::Duration::days(3)),
        ..ArticleDraft::default()
    }
    .prepare(&archive.config.file.site.topics)
    .expect("valid draft");

    let results = publisher
        .publish(std::slice::from_ref(&article))
        .await
        .expect("publish");
    let id = results[0].as_ref().expect("written").id();

    index.reload().expect("reload");
    assert_eq!(index.len(), indexed_before + 1, "indexed");
    let storyline = archive.store.storyline_of(id).await.expect("storyline");
    assert_eq!(
        storyline,
        archive
            .store
            .storyline_of(original.id)
            .await
            .expect("storyline"),
        "threaded into the story it follows"
    );
    let lists = archive.store.related_lists(vec![id]).await.expect("lists");
    assert!(
        lists[0].1.iter().any(|s| s.id == original.id),
        "related to the commentary it follows: {lists:?}"
    );
    assert_eq!(
        archive.store.derived_generation().await.expect("derived"),
        archive.store.text_generation().await.expect("text"),
        "nothing left for the next start to complete"
    );
    // A refused article (a second commentary for the original's week) changes nothing.
    let again = publisher
        .publish(&[article.clone()].map(|mut a| {
            a.key = "second-copy".into();
            a.translation_group = Some("g".into());
            a.kind = original.content.kind;
            a.period = original.content.period;
            a
        }))
        .await
        .expect("publish");
    assert!(again[0].is_err(), "{again:?}");
    assert_eq!(index.len(), indexed_before + 1);
}
