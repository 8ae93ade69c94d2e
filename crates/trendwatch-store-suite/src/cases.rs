//! The cases of the suite, one public function each, named as the test it becomes. Each
//! gets a fresh, empty store and uses nothing but the [`Store`] trait.

use std::sync::Arc;
use time::macros::{date, datetime};
use trendwatch_core::article::{NewArticle, RelatedOverride};
use trendwatch_core::forecast::{ForecastDraft, Outcome};
use trendwatch_core::similarity::Scored;
use trendwatch_core::storyline::{NewAssignment, StorylineTarget};
use trendwatch_core::{ArticleDraft, Language, Period, Status, Topics};
use trendwatch_store::{EditError, Listing, Store, WriteError, WriteOutcome};

/// A valid draft on the `security` topic, published on `day` of October 2026, counting on
/// into November (19 and 20 fall in one ISO week, 26 in the next, 33 is 2 November).
fn draft(key: &str, title: &str, day: i64, lang: &str, group: Option<&str>) -> ArticleDraft {
    ArticleDraft {
        key: Some(key.into()),
        lang: Some(lang.parse().expect("lang")),
        topic: Some("security".into()),
        title: title.into(),
        body_html: format!("<p>{title}: the body of the commentary.</p>"),
        published_at: Some(datetime!(2026-10-01 11:00) + time::Duration::days(day - 1)),
        authors: vec!["A. Author".into(), "B. Author".into()],
        tags: vec!["drills".into()],
        similar_titles: vec!["Some older title".into()],
        translation_group: group.map(str::to_string),
        ..ArticleDraft::default()
    }
}

fn prepare(d: ArticleDraft) -> NewArticle {
    d.prepare(&Topics::default()).expect("valid draft")
}

fn article(key: &str, title: &str, day: i64, lang: &str, group: Option<&str>) -> NewArticle {
    prepare(draft(key, title, day, lang, group))
}

/// An account to create, made on 2026-11-30 at 09:00 UTC, with a stand-in hash that names its
/// address.
fn new_user(
    email: &str,
    role: trendwatch_core::accounts::Role,
) -> trendwatch_core::accounts::NewUser {
    trendwatch_core::accounts::NewUser {
        email: email.into(),
        name: format!("Name of {email}"),
        role,
        password_hash: format!("$argon2id$hash-of-{email}"),
        created_at: datetime!(2026-11-30 09:00 UTC),
    }
}

/// Writes `articles` and returns the id of each, failing the test on any rejection.
async fn write_all(store: &Arc<dyn Store>, articles: &[NewArticle]) -> Vec<i64> {
    store
        .write_articles(articles)
        .await
        .expect("batch runs")
        .into_iter()
        .map(|r| r.expect("article written").id())
        .collect()
}

/// The week a commentary published on `day` covers.
fn week(day: i64) -> Period {
    article("w", "Week", day, "en", None).period
}

/// Every field of an article is read back as it was written, with its authors, tags,
/// listed titles and forecasts.
pub async fn an_article_reads_back_as_written(store: Arc<dyn Store>) {
    let mut d = draft("a", "Drills begin near the border", 19, "en", Some("g1"));
    d.status = Some("worsened".into());
    d.rationale = Some("More troops than announced.".into());
    d.image_url = Some("https://example.org/drills.jpg".into());
    d.image_credit = Some("Photo: Sample Agency".into());
    d.image_alt = Some("Tanks on a road".into());
    d.source_url = Some("https://example.org/original".into());
    d.forecasts = vec![ForecastDraft {
        statement: "The drills end by December".into(),
        probability: "70%".into(),
        resolve_by: "2026-12-31".into(),
        outcome: None,
    }];
    let a = prepare(d);
    let ids = write_all(&store, std::slice::from_ref(&a)).await;
    let read = store
        .article(Language::En, &a.slug)
        .await
        .expect("read")
        .expect("the article is there");
    assert_eq!(read.id, ids[0]);
    let c = &read.content;
    assert_eq!(
        (&c.key, c.lang, c.kind, &c.topic, &c.title, &c.lead),
        (&a.key, a.lang, a.kind, &a.topic, &a.title, &a.lead)
    );
    assert_eq!((&c.body_html, &c.body_text), (&a.body_html, &a.body_text));
    assert_eq!((c.published_at, c.period), (a.published_at, a.period));
    assert_eq!(
        (c.status, &c.rationale, c.alert),
        (Status::Worsened, &a.rationale, a.alert)
    );
    assert_eq!(
        (&c.image_url, &c.image_credit, &c.image_alt, &c.source_url),
        (&a.image_url, &a.image_credit, &a.image_alt, &a.source_url)
    );
    assert_eq!((&c.authors, &c.tags), (&a.authors, &a.tags));
    assert_eq!(c.similar_titles, a.similar_titles);
    assert_eq!(c.translation_group, a.translation_group);
    assert_eq!(c.forecasts.len(), 1);
    assert_eq!(c.forecasts[0].statement, "The drills end by December");
    assert!((c.forecasts[0].probability - 0.7).abs() < 1e-9);
    assert_eq!(c.forecasts[0].resolve_by, date!(2026 - 12 - 31));
    assert_ne!(c.forecasts[0].id, 0, "a stored forecast has an id");
    assert_eq!(
        store.article_id(Language::En, &a.slug).await.expect("id"),
        Some(ids[0])
    );
    assert_eq!(
        store.article(Language::Ru, &a.slug).await.expect("read"),
        None
    );
    assert_eq!(
        store.count_articles().await.expect("count"),
        vec![(Language::En, 1)]
    );
}

/// An article the rules refuse is reported with its reason and leaves nothing; the rest of
/// its batch is written.
pub async fn a_rejected_article_leaves_nothing_behind_and_its_batch_survives(
    store: Arc<dyn Store>,
) {
    let batch = vec![
        article("a", "First commentary", 19, "en", Some("g1")),
        // Same topic, same week (published the next day), same language: refused.
        article("b", "Second commentary", 20, "en", None),
        article("c", "Russian version", 19, "ru", Some("g1")),
        // Same translation group and language as "a": refused.
        article("d", "Another English version", 26, "en", Some("g1")),
    ];
    let results = store.write_articles(&batch).await.expect("batch runs");
    assert!(matches!(results[0], Ok(WriteOutcome::Created(_))));
    assert!(
        matches!(&results[1], Err(WriteError::DuplicateWeek { existing_key, existing_title, .. })
            if existing_key == "a" && existing_title == "First commentary"),
        "{:?}",
        results[1]
    );
    assert!(matches!(results[2], Ok(WriteOutcome::Created(_))));
    assert!(
        matches!(&results[3], Err(WriteError::DuplicateTranslation { existing_key, .. }) if existing_key == "a"),
        "{:?}",
        results[3]
    );
    for refused in [&batch[1], &batch[3]] {
        assert_eq!(
            store
                .article(refused.lang, &refused.slug)
                .await
                .expect("read"),
            None
        );
    }
    assert_eq!(
        store.count_articles().await.expect("count"),
        vec![(Language::En, 1), (Language::Ru, 1)]
    );
    let all = store
        .listing(Language::En, &Listing::Tag("drills".into()), 0, 10)
        .await
        .expect("tag listing");
    assert_eq!(all.total, 1, "a refused article's tags are not kept");
}

/// A week belongs to one weekly commentary per topic and language; other kinds of article,
/// other topics and other languages do not contest it.
pub async fn one_weekly_commentary_per_topic_week_and_language(store: Arc<dyn Store>) {
    let mut other_kind = draft("b", "Special report on the drills", 20, "en", None);
    other_kind.kind = Some("other".into());
    let mut other_topic = draft("c", "Budget talks stall", 20, "en", None);
    other_topic.topic = Some("society".into());
    let batch = vec![
        article("a", "Drills begin", 19, "en", None),
        prepare(other_kind),
        prepare(other_topic),
        article("d", "Учения начались", 20, "ru", None),
        article("e", "Drills end", 26, "en", None),
    ];
    let results = store.write_articles(&batch).await.expect("batch runs");
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    // Rewriting the holder itself (same key) does not contest its own week.
    let again = store
        .write_articles(&[article("a", "Drills begin, updated", 19, "en", None)])
        .await
        .expect("batch runs");
    assert!(
        matches!(again[0], Ok(WriteOutcome::Updated(_))),
        "{again:?}"
    );
}

/// Writing an article with a key already stored replaces it (same id, new slug, new
/// authors and tags), and its old address is gone.
pub async fn rewriting_by_key_replaces_the_article_and_its_lists(store: Arc<dyn Store>) {
    let first = article("a", "First headline", 19, "en", None);
    let ids = write_all(&store, std::slice::from_ref(&first)).await;
    let before = store.generation().await.expect("generation");
    let mut d = draft("a", "Second headline", 19, "en", None);
    d.authors = vec!["C. Author".into()];
    d.tags = vec!["talks".into()];
    let second = prepare(d);
    let results = store
        .write_articles(std::slice::from_ref(&second))
        .await
        .expect("batch runs");
    assert_eq!(results, vec![Ok(WriteOutcome::Updated(ids[0]))]);
    assert!(store.generation().await.expect("generation") > before);
    assert_eq!(
        store
            .article(Language::En, &first.slug)
            .await
            .expect("read"),
        None
    );
    let read = store
        .article(Language::En, &second.slug)
        .await
        .expect("read")
        .expect("rewritten article");
    assert_eq!(read.content.authors, vec!["C. Author".to_string()]);
    assert_eq!(read.content.tags, vec!["talks".to_string()]);
    let drills = store
        .listing(Language::En, &Listing::Tag("drills".into()), 0, 10)
        .await
        .expect("tag listing");
    assert_eq!(drills.total, 0, "the old tag is gone");
}

/// A headline already used in its language gets the publication date appended; when that is
/// taken too, the article is refused.
pub async fn repeated_headlines_get_dated_slugs(store: Arc<dyn Store>) {
    let on_topic = |key: &str, topic: &str| {
        let mut d = draft(key, "No change", 19, "en", None);
        d.topic = Some(topic.into());
        prepare(d)
    };
    let batch = vec![
        article("a", "No change", 19, "en", None),
        article("b", "No change", 26, "en", None),
        on_topic("c", "society"),
        article("d", "No change", 19, "ru", None),
        // The headline and its dated form are both taken in English.
        on_topic("e", "west"),
    ];
    let results = store.write_articles(&batch).await.expect("batch runs");
    assert!(results[..4].iter().all(Result::is_ok), "{results:?}");
    assert!(
        matches!(&results[4], Err(WriteError::SlugTaken { slug, .. }) if slug == "no-change"),
        "{:?}",
        results[4]
    );
    for (slug, lang, key) in [
        ("no-change", Language::En, "a"),
        ("no-change-2026-10-26", Language::En, "b"),
        ("no-change-2026-10-19", Language::En, "c"),
        ("no-change", Language::Ru, "d"),
    ] {
        let read = store.article(lang, slug).await.expect("read");
        assert_eq!(read.map(|a| a.content.key), Some(key.to_string()), "{slug}");
    }
}

/// Within one batch, each article is checked against the archive as the articles before it
/// left it: a rewrite that moves to another week frees the week it held, and a later article
/// of the batch may take it; one that claims a week taken earlier in the batch is refused.
pub async fn a_batch_sees_its_own_earlier_articles(store: Arc<dyn Store>) {
    write_all(&store, &[article("a", "Drills begin", 19, "en", None)]).await;
    let batch = vec![
        // "a" moves from the week of the 19th to the next one...
        article("a", "Drills begin", 26, "en", None),
        // ...so this one may have the week of the 19th; its headline is a's, so it is dated.
        article("b", "Drills begin", 20, "en", None),
        article("c", "Drills resume", 33, "en", Some("g")),
        // The week of the 33rd is c's now.
        article("d", "Drills again", 33, "en", None),
        // And so is the English version of group "g".
        article("e", "Drills resume once more", 41, "en", Some("g")),
    ];
    let results = store.write_articles(&batch).await.expect("batch runs");
    assert!(
        matches!(results[0], Ok(WriteOutcome::Updated(_))),
        "{results:?}"
    );
    assert!(
        matches!(results[1], Ok(WriteOutcome::Created(_))),
        "{results:?}"
    );
    assert!(results[2].is_ok(), "{results:?}");
    assert!(
        matches!(&results[3], Err(WriteError::DuplicateWeek { existing_key, .. }) if existing_key == "c"),
        "{:?}",
        results[3]
    );
    assert!(
        matches!(&results[4], Err(WriteError::DuplicateTranslation { existing_key, .. }) if existing_key == "c"),
        "{:?}",
        results[4]
    );
    for (slug, key) in [
        ("drills-begin", "a"),
        ("drills-begin-2026-10-20", "b"),
        ("drills-resume", "c"),
    ] {
        let read = store.article(Language::En, slug).await.expect("read");
        assert_eq!(read.map(|a| a.content.key), Some(key.to_string()), "{slug}");
    }
}

/// Each write advances the content generation (pages) and the text generation (search
/// index); the derived mark is kept as set.
pub async fn writes_advance_the_generations(store: Arc<dyn Store>) {
    let (g0, t0, h0) = (
        store.generation().await.expect("generation"),
        store.text_generation().await.expect("text generation"),
        store
            .threading_generation()
            .await
            .expect("threading generation"),
    );
    write_all(&store, &[article("a", "First", 19, "en", None)]).await;
    let (g1, t1, h1) = (
        store.generation().await.expect("generation"),
        store.text_generation().await.expect("text generation"),
        store
            .threading_generation()
            .await
            .expect("threading generation"),
    );
    assert!(g1 > g0 && t1 > t0, "{g0}->{g1}, {t0}->{t1}");
    // Exactly one step per batch written: a kept threader counts its own writes by it.
    assert_eq!(h1, h0 + 1);
    store.set_derived_generation(t1).await.expect("set derived");
    assert_eq!(store.derived_generation().await.expect("derived"), t1);
    // A batch that writes nothing changes nothing.
    let refused = store
        .write_articles(&[article("b", "Second", 20, "en", None)])
        .await
        .expect("batch runs");
    assert!(refused[0].is_err());
    assert_eq!(store.text_generation().await.expect("text generation"), t1);
    assert_eq!(
        store
            .threading_generation()
            .await
            .expect("threading generation"),
        h1
    );
}

/// Listings, weeks and their neighbours follow what is stored, newest first.
pub async fn listings_and_weeks_follow_the_archive(store: Arc<dyn Store>) {
    let mut economy = draft("c", "Budget talks stall", 26, "en", None);
    economy.topic = Some("society".into());
    write_all(
        &store,
        &[
            article("a", "Drills begin", 19, "en", None),
            article("b", "Drills end", 26, "en", None),
            prepare(economy),
            article("d", "Учения начались", 19, "ru", None),
        ],
    )
    .await;
    let all = store
        .listing(Language::En, &Listing::All, 0, 2)
        .await
        .expect("listing");
    assert_eq!(all.total, 3);
    assert_eq!(all.items.len(), 2, "a page holds at most its limit");
    let topic = store
        .listing(Language::En, &Listing::Topic("security".into()), 0, 10)
        .await
        .expect("topic listing");
    let titles: Vec<&str> = topic.items.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(titles, ["Drills end", "Drills begin"]);
    assert_eq!(
        store.latest_period(Language::En).await.expect("latest"),
        Some(week(26))
    );
    assert_eq!(
        store.first_period(Language::En).await.expect("first"),
        Some(week(19))
    );
    let later = store.week(Language::En, week(26)).await.expect("week");
    let mut topics: Vec<&str> = later.iter().map(|a| a.topic.as_str()).collect();
    topics.sort_unstable();
    assert_eq!(topics, ["security", "society"]);
    assert_eq!(
        store
            .adjacent_periods(Language::En, week(19))
            .await
            .expect("adjacent"),
        (None, Some(week(26)))
    );
    assert_eq!(
        store.week(Language::Ru, week(26)).await.expect("week"),
        vec![]
    );
}

/// Storylines: the threader's assignments, then an editor's renames, merges, moves and
/// splits, each reflected in what readers are shown.
pub async fn storylines_are_assigned_edited_and_summarised(store: Arc<dyn Store>) {
    let ids = write_all(
        &store,
        &[
            article("a", "Drills begin", 19, "en", None),
            article("b", "Drills end", 26, "en", None),
            article("c", "Drills resume", 33, "en", None),
        ],
    )
    .await;
    let assign = |article_id, k| NewAssignment {
        article_id,
        target: StorylineTarget::New(k),
        confidence: 0.9,
    };
    // Before threading: every article waits, in publication order.
    let waiting: Vec<i64> = store
        .unthreaded_articles(0)
        .await
        .expect("unthreaded")
        .iter()
        .map(|d| d.article_id)
        .collect();
    assert_eq!(waiting, ids);
    // Past an id: only the articles written after it.
    let later: Vec<i64> = store
        .unthreaded_articles(ids[1])
        .await
        .expect("unthreaded")
        .iter()
        .map(|d| d.article_id)
        .collect();
    assert_eq!(later, vec![ids[2]]);
    let threading = || {
        let store = store.clone();
        async move {
            store
                .threading_generation()
                .await
                .expect("threading generation")
        }
    };
    let before = threading().await;
    let created = store
        .assign_storylines(&[assign(ids[0], 0), assign(ids[1], 0), assign(ids[2], 1)])
        .await
        .expect("assign");
    assert_eq!(created.len(), 2, "New(0) and New(1) were created");
    // The threader's own assignments leave the threading generation where it was.
    assert_eq!(threading().await, before);
    assert!(store
        .unthreaded_articles(0)
        .await
        .expect("unthreaded")
        .is_empty());
    let of = |i: usize| {
        let store = store.clone();
        let id = ids[i];
        async move {
            store
                .storyline_of(id)
                .await
                .expect("storyline of")
                .expect("assigned")
        }
    };
    let (s1, s2) = (of(0).await, of(2).await);
    assert_eq!(of(1).await, s1);
    assert_ne!(s1, s2);
    assert_eq!(created, vec![s1, s2]);
    let corpus = store.threading_corpus().await.expect("corpus");
    assert_eq!(corpus.len(), 3);
    assert!(corpus.iter().all(|d| d.storyline.is_some()));

    let summary = store
        .storyline_summary(s1, Language::En)
        .await
        .expect("summary")
        .expect("a storyline with English articles");
    assert_eq!((summary.first, summary.last), (week(19), week(26)));
    assert!(!summary.titled_by_editor);
    let detail = store
        .storyline(s1, Language::En)
        .await
        .expect("detail")
        .expect("detail");
    assert_eq!(detail.articles.len(), 2);
    assert_eq!(
        store
            .storyline_summary(s1, Language::Ru)
            .await
            .expect("summary"),
        None,
        "no Russian commentary, no Russian page"
    );
    store
        .rename_storyline(s1, Some("The autumn drills".into()))
        .await
        .expect("rename");
    let renamed = store
        .storyline_summary(s1, Language::En)
        .await
        .expect("summary")
        .expect("summary");
    assert_eq!(renamed.title, "The autumn drills");
    assert!(renamed.titled_by_editor);
    // "Recent trends": the storyline with the latest article first, as many as asked.
    let recent = |lang, limit| {
        let store = store.clone();
        async move {
            store
                .recent_storylines(lang, limit)
                .await
                .expect("recent storylines")
        }
    };
    let newest_first: Vec<i64> = recent(Language::En, 5).await.iter().map(|s| s.id).collect();
    assert_eq!(newest_first, vec![s2, s1]);
    assert_eq!(recent(Language::En, 5).await[1], renamed);
    assert_eq!(recent(Language::En, 1).await.len(), 1);
    assert!(recent(Language::Ru, 5).await.is_empty());
    // Readers are pointed only to the storyline of two commentaries: in "Recent trends" and
    // in the sitemap (s2 has one).
    let shown: Vec<i64> = store
        .shown_storylines(Language::En, 5)
        .await
        .expect("shown storylines")
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(shown, vec![s1]);
    let in_sitemap: Vec<i64> = store
        .sitemap_storylines()
        .await
        .expect("sitemap storylines")
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(in_sitemap, vec![s1]);
    assert!(renamed.is_shown());

    assert!(matches!(
        store.merge_storylines(s1, s1).await,
        Err(EditError::Invalid(_))
    ));
    assert!(matches!(
        store.merge_storylines(s2, 999_999).await,
        Err(EditError::NotFound(_))
    ));
    let before_merge = threading().await;
    store.merge_storylines(s2, s1).await.expect("merge");
    // An editor's decision moves the threading generation: a kept threader starts again.
    assert!(threading().await > before_merge);
    assert_eq!(of(2).await, s1);
    assert_eq!(
        store
            .storyline_summary(s2, Language::En)
            .await
            .expect("summary"),
        None,
        "a merged storyline is gone"
    );

    let alone = store.move_article(ids[2], None).await.expect("move out");
    assert_ne!(alone, s1);
    assert_eq!(of(2).await, alone);
    store
        .move_article(ids[2], Some(s1))
        .await
        .expect("move back");
    assert_eq!(of(2).await, s1);

    let split = store.split_storyline(s1, ids[1]).await.expect("split");
    assert_ne!(split, s1);
    assert_eq!(of(0).await, s1, "articles before the split point stay");
    assert_eq!(of(1).await, split);
    assert_eq!(of(2).await, split, "later articles follow the split point");
}

/// Similar lists are stored and read back whole; an editor's pins lead and exclusions never
/// appear.
pub async fn similar_lists_and_overrides_round_trip(store: Arc<dyn Store>) {
    let ids = write_all(
        &store,
        &[
            article("a", "Drills begin", 19, "en", None),
            article("b", "Drills end", 26, "en", None),
            article("c", "Drills resume", 33, "en", None),
        ],
    )
    .await;
    let list = vec![
        Scored {
            id: ids[1],
            score: 0.8,
        },
        Scored {
            id: ids[2],
            score: 0.5,
        },
    ];
    store
        .replace_related(&[(ids[0], list.clone())])
        .await
        .expect("replace");
    let stored = store.related_lists(vec![ids[0]]).await.expect("lists");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].0, ids[0]);
    let got: Vec<i64> = stored[0].1.iter().map(|s| s.id).collect();
    assert_eq!(got, [ids[1], ids[2]]);

    let first = store
        .article(Language::En, "drills-begin")
        .await
        .expect("read")
        .expect("article");
    let shown = |limit| {
        let (store, first) = (store.clone(), first.clone());
        async move {
            store
                .similar(&first, limit)
                .await
                .expect("similar")
                .into_iter()
                .map(|a| a.id)
                .collect::<Vec<i64>>()
        }
    };
    assert_eq!(shown(5).await, [ids[1], ids[2]]);
    store
        .set_related_override(ids[0], ids[2], Some(RelatedOverride::Pin))
        .await
        .expect("pin");
    store
        .set_related_override(ids[0], ids[1], Some(RelatedOverride::Exclude))
        .await
        .expect("exclude");
    assert_eq!(shown(5).await, [ids[2]]);
    let mut overrides = store.related_overrides(ids[0]).await.expect("overrides");
    overrides.sort_by_key(|(id, _)| *id);
    assert_eq!(
        overrides,
        vec![
            (ids[1], RelatedOverride::Exclude),
            (ids[2], RelatedOverride::Pin)
        ]
    );
    store
        .set_related_override(ids[0], ids[1], None)
        .await
        .expect("clear");
    assert_eq!(shown(5).await, [ids[2], ids[1]]);
    assert!(store
        .set_related_override(ids[0], ids[0], Some(RelatedOverride::Pin))
        .await
        .is_err());
}

/// An article's page reads in one call what the separate methods read: the article with a
/// translation's forecasts, its translations, similar articles with an editor's pin and
/// exclusion and the source's own list, and its storyline.
pub async fn an_article_page_reads_what_its_parts_read(store: Arc<dyn Store>) {
    let mut a = draft("a", "Drills begin", 19, "en", Some("g1"));
    a.similar_titles = vec!["Drills end".into()];
    let mut a_ru = draft("a-ru", "Учения начались", 19, "ru", Some("g1"));
    a_ru.forecasts = vec![ForecastDraft {
        statement: "Учения закончатся в течение месяца".into(),
        probability: "0.6".into(),
        resolve_by: "2026-11-19".into(),
        outcome: None,
    }];
    let ids = write_all(
        &store,
        &[
            prepare(a),
            prepare(a_ru),
            article("b", "Drills end", 26, "en", None),
            article("c", "Drills resume", 33, "en", None),
            article("d", "Drills reviewed", 41, "en", None),
        ],
    )
    .await;
    let (a, b, c, d) = (ids[0], ids[2], ids[3], ids[4]);
    let scored = |id| Scored { id, score: 0.5 };
    store
        .replace_related(&[(a, vec![scored(c), scored(d), scored(b)])])
        .await
        .expect("related");
    store
        .set_related_override(a, d, Some(RelatedOverride::Pin))
        .await
        .expect("pin");
    store
        .set_related_override(a, c, Some(RelatedOverride::Exclude))
        .await
        .expect("exclude");
    store
        .assign_storylines(&[
            NewAssignment {
                article_id: a,
                target: StorylineTarget::New(0),
                confidence: 0.9,
            },
            NewAssignment {
                article_id: b,
                target: StorylineTarget::New(0),
                confidence: 0.9,
            },
        ])
        .await
        .expect("assign");

    let page = store
        .article_page(Language::En, "drills-begin", 5)
        .await
        .expect("article page")
        .expect("the article exists");
    // What the separate methods read.
    let article = store
        .article(Language::En, "drills-begin")
        .await
        .expect("article")
        .expect("article");
    let storyline = store.storyline_of(a).await.expect("storyline of");
    let storyline = store
        .storyline_summary(storyline.expect("assigned"), Language::En)
        .await
        .expect("summary");
    assert_eq!(page.article, article);
    assert_eq!(
        page.translations,
        store.translations("g1", a).await.expect("translations")
    );
    assert_eq!(
        page.similar,
        store.similar(&article, 5).await.expect("similar")
    );
    assert_eq!(page.storyline, storyline);
    // And what that is: the pin first, then the source's own list, then the engine's, the
    // excluded and the translation left out.
    let similar: Vec<i64> = page.similar.iter().map(|s| s.id).collect();
    assert_eq!(similar, [d, b]);
    let translations: Vec<i64> = page.translations.iter().map(|s| s.id).collect();
    assert_eq!(translations, [ids[1]]);
    assert_eq!(page.article.content.forecasts.len(), 1);
    assert_eq!(
        page.article.content.forecasts[0].made_in,
        Some(Language::Ru),
        "the Russian commentary's forecast, said to be made there"
    );
    assert_eq!(page.storyline.as_ref().map(|s| s.articles), Some(2));
    let shorter = store
        .article_page(Language::En, "drills-begin", 1)
        .await
        .expect("article page")
        .expect("article");
    assert_eq!(shorter.similar.len(), 1);

    // An article with none of these.
    let alone = store
        .article_page(Language::En, "drills-reviewed", 5)
        .await
        .expect("article page")
        .expect("the article exists");
    assert!(alone.translations.is_empty());
    assert!(alone.similar.is_empty());
    assert_eq!(alone.storyline, None);
    assert!(alone.article.content.forecasts.is_empty());
    assert_eq!(
        store
            .article_page(Language::Ru, "drills-begin", 5)
            .await
            .expect("article page"),
        None,
        "no such page in the other edition"
    );
}

/// A job lock is held by one holder at a time: refused to a second taker (another
/// connection, as another process would be) while held, for that job only, confirmed while
/// held, and free again once the holder releases it.
pub async fn a_job_lock_is_held_in_one_place_until_released(store: Arc<dyn Store>) {
    let mut first = store
        .try_lock_job("digest-send-1")
        .await
        .expect("lock")
        .expect("a free lock is taken");
    first.confirm().await.expect("held");
    assert!(
        store
            .try_lock_job("digest-send-1")
            .await
            .expect("lock")
            .is_none(),
        "a held lock is refused"
    );
    let other = store.try_lock_job("digest-send-2").await.expect("lock");
    assert!(other.is_some(), "another job's lock is free");
    first.release().await;
    let again = store.try_lock_job("digest-send-1").await.expect("lock");
    assert!(again.is_some(), "a released lock is free again");
    for lock in [other, again].into_iter().flatten() {
        lock.release().await;
    }
}

/// A shared throttle counts failures by scope and key, starts again after a success (which
/// other nodes see as a count of 0) or, when forgiving, after a quiet time, and keeps rows
/// no longer than a day.
pub async fn throttles_count_forgive_and_are_followed(store: Arc<dyn Store>) {
    let t0 = datetime!(2026-11-30 09:00 UTC);
    let minutes = |m: i64| t0 + time::Duration::minutes(m);
    let mut counts = Vec::new();
    for m in 0..3 {
        counts.push(
            store
                .throttle_failure("login", "192.0.2.1", minutes(m), None)
                .await
                .expect("count"),
        );
    }
    assert_eq!(counts, [1, 2, 3]);
    // Another scope, the same key: counted apart.
    assert_eq!(
        store
            .throttle_failure("api", "192.0.2.1", minutes(3), None)
            .await
            .expect("count"),
        1
    );
    let changed = store.throttle_changes(minutes(2)).await.expect("changes");
    let seen: Vec<(&str, &str, u32)> = changed
        .iter()
        .map(|r| (r.scope.as_str(), r.key.as_str(), r.failures))
        .collect();
    assert_eq!(seen, [("login", "192.0.2.1", 3), ("api", "192.0.2.1", 1)]);
    assert_eq!(changed[0].last, minutes(2));
    assert_eq!(
        store
            .throttle_row("login", "192.0.2.1")
            .await
            .expect("row")
            .as_ref(),
        Some(&changed[0])
    );
    assert_eq!(
        store.throttle_row("login", "192.0.2.2").await.expect("row"),
        None
    );
    assert!(store
        .throttle_changes(minutes(4))
        .await
        .expect("changes")
        .is_empty());

    store
        .throttle_success("login", "192.0.2.1", minutes(5))
        .await
        .expect("success");
    let after = store.throttle_changes(minutes(5)).await.expect("changes");
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].failures, 0, "other nodes learn of the success");
    assert_eq!(
        store
            .throttle_failure("login", "192.0.2.1", minutes(6), None)
            .await
            .expect("count"),
        1
    );

    // A forgiving throttle (of requests) starts again after a quiet hour.
    let quiet = Some(std::time::Duration::from_secs(3600));
    let mail = |m| {
        let store = store.clone();
        async move {
            store
                .throttle_failure("mail", "reader@example.org", minutes(m), quiet)
                .await
                .expect("count")
        }
    };
    assert_eq!(mail(0).await, 1);
    assert_eq!(mail(30).await, 2);
    assert_eq!(mail(200).await, 1, "after a quiet hour");

    // Two days on, a new count clears the rows nobody touched for a day.
    store
        .throttle_failure("login", "198.51.100.7", minutes(2 * 24 * 60), None)
        .await
        .expect("count");
    let kept: Vec<String> = store
        .throttle_changes(t0 - time::Duration::days(1))
        .await
        .expect("changes")
        .into_iter()
        .map(|r| r.key)
        .collect();
    assert_eq!(kept, ["198.51.100.7"]);
}

/// A forecast past its date is overdue until resolved; resolving records the outcome.
pub async fn forecasts_are_listed_and_resolved(store: Arc<dyn Store>) {
    let mut d = draft("a", "Drills begin", 19, "en", None);
    d.forecasts = vec![ForecastDraft {
        statement: "The drills end within a month".into(),
        probability: "0.6".into(),
        resolve_by: "2026-11-19".into(),
        outcome: None,
    }];
    write_all(&store, &[prepare(d)]).await;
    let listed = store
        .forecasts(Language::En, None, None)
        .await
        .expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].authors, ["A. Author", "B. Author"]);
    let id = listed[0].forecast.id;
    assert_eq!(
        store
            .overdue_forecasts(date!(2026 - 11 - 18))
            .await
            .expect("overdue")
            .len(),
        0
    );
    assert_eq!(
        store
            .overdue_forecasts(date!(2026 - 11 - 20))
            .await
            .expect("overdue")
            .len(),
        1
    );
    store
        .resolve_forecast(id, Outcome::Happened)
        .await
        .expect("resolve");
    let listed = store
        .forecasts(Language::En, None, None)
        .await
        .expect("list");
    assert_eq!(listed[0].forecast.outcome, Some(Outcome::Happened));
    assert!(store
        .overdue_forecasts(date!(2026 - 11 - 20))
        .await
        .expect("overdue")
        .is_empty());
    assert!(matches!(
        store.resolve_forecast(id + 1000, Outcome::Void).await,
        Err(EditError::NotFound(_))
    ));
    assert_eq!(
        store
            .forecasts(Language::En, Some("society"), None)
            .await
            .expect("list")
            .len(),
        0
    );
}

/// Accounts: one per address; disabling or a new password ends every session of the account
/// and only of it; sessions are found by their token's hash alone.
pub async fn accounts_and_sessions_round_trip(store: Arc<dyn Store>) {
    use trendwatch_core::accounts::Role;
    let at = datetime!(2026-11-30 09:00 UTC);
    let ana = store
        .create_user(&new_user("ana@example.org", Role::Admin))
        .await
        .expect("create");
    let ben = store
        .create_user(&new_user("ben@example.org", Role::Analyst))
        .await
        .expect("create");
    assert!(matches!(
        store
            .create_user(&new_user("ana@example.org", Role::Editor))
            .await,
        Err(EditError::Invalid(_))
    ));
    let users = store.users().await.expect("users");
    let listed: Vec<(&str, Role, bool)> = users
        .iter()
        .map(|u| (u.email.as_str(), u.role, u.disabled))
        .collect();
    assert_eq!(
        listed,
        [
            ("ana@example.org", Role::Admin, false),
            ("ben@example.org", Role::Analyst, false)
        ]
    );
    assert_eq!(users[0].created_at, at);
    let stored = store
        .user_by_email("ana@example.org")
        .await
        .expect("read")
        .expect("account");
    assert_eq!(
        (stored.user.id, stored.password_hash.as_str()),
        (ana, "$argon2id$hash-of-ana@example.org")
    );
    assert!(store
        .user_by_email("nobody@example.org")
        .await
        .expect("read")
        .is_none());

    let (a1, a2, b1) = ([1u8; 32], [2u8; 32], [3u8; 32]);
    for (token, user) in [(&a1, ana), (&a2, ana), (&b1, ben)] {
        store
            .create_session(token, user, at)
            .await
            .expect("session");
    }
    let session = store.session(&a1).await.expect("read").expect("session");
    assert_eq!(
        (session.user.id, session.created_at, session.last_seen_at),
        (ana, at, at)
    );
    let later = at + time::Duration::minutes(5);
    store.touch_session(&a1, later).await.expect("touch");
    let session = store.session(&a1).await.expect("read").expect("session");
    assert_eq!((session.created_at, session.last_seen_at), (at, later));
    assert!(store.session(&[9u8; 32]).await.expect("read").is_none());

    store.end_session(&a1).await.expect("logout");
    assert!(store.session(&a1).await.expect("read").is_none());
    assert!(store.session(&a2).await.expect("read").is_some());
    store
        .set_password_hash(ana, "$argon2id$new")
        .await
        .expect("new password");
    assert!(
        store.session(&a2).await.expect("read").is_none(),
        "a new password ends sessions"
    );
    assert!(
        store.session(&b1).await.expect("read").is_some(),
        "only that account's"
    );
    store.set_user_disabled(ben, true).await.expect("disable");
    assert!(
        store.session(&b1).await.expect("read").is_none(),
        "disabling ends sessions"
    );
    assert!(
        store
            .user_by_email("ben@example.org")
            .await
            .expect("read")
            .expect("account")
            .user
            .disabled
    );
    store.create_session(&b1, ben, at).await.expect("session");
    assert_eq!(store.end_sessions_of(ben).await.expect("end"), 1);
    assert!(matches!(
        store.set_user_disabled(999_999, true).await,
        Err(EditError::NotFound(_))
    ));
}

/// Invitations: kept by token hash, accepted once; accepting for an address that has an
/// account changes nothing (the invitation stays unused).
pub async fn invitations_are_accepted_once(store: Arc<dyn Store>) {
    use trendwatch_core::accounts::{Invitation, Role};
    let at = datetime!(2026-11-30 09:00 UTC);
    let user = |email: &str| new_user(email, Role::Editor);
    let admin = store
        .create_user(&new_user("admin@example.org", Role::Admin))
        .await
        .expect("admin");
    let invitation = |email: &str| Invitation {
        email: email.into(),
        role: Role::Editor,
        invited_by: admin,
        expires_at: at + time::Duration::days(7),
        used_at: None,
    };
    store
        .create_invitation(&[1u8; 32], &invitation("ed@example.org"), at)
        .await
        .expect("invite");
    store
        .create_invitation(&[2u8; 32], &invitation("admin@example.org"), at)
        .await
        .expect("invite");
    assert_eq!(
        store.invitation(&[1u8; 32]).await.expect("read"),
        Some(invitation("ed@example.org"))
    );
    assert_eq!(store.invitation(&[3u8; 32]).await.expect("read"), None);
    let id = store
        .accept_invitation(&[1u8; 32], &user("ed@example.org"))
        .await
        .expect("accepted");
    let used = store
        .invitation(&[1u8; 32])
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(used.used_at, Some(at));
    assert!(matches!(
        store
            .accept_invitation(&[1u8; 32], &user("other@example.org"))
            .await,
        Err(EditError::Invalid(_))
    ));
    assert!(matches!(
        store
            .accept_invitation(&[2u8; 32], &user("admin@example.org"))
            .await,
        Err(EditError::Invalid(_))
    ));
    assert_eq!(
        store
            .invitation(&[2u8; 32])
            .await
            .expect("read")
            .and_then(|i| i.used_at),
        None,
        "a refused acceptance leaves the invitation unused"
    );
    let emails: Vec<String> = store
        .users()
        .await
        .expect("users")
        .into_iter()
        .map(|u| u.email)
        .collect();
    assert_eq!(emails, ["admin@example.org", "ed@example.org"]);
    assert!(id > admin);
}

/// The audit log keeps every line as written and reads back newest first.
pub async fn the_audit_log_reads_back_newest_first(store: Arc<dyn Store>) {
    use trendwatch_core::accounts::AuditEntry;
    let line = |minute: i64, actor: Option<i64>, action: &str| AuditEntry {
        at: datetime!(2026-11-30 09:00 UTC) + time::Duration::minutes(minute),
        actor,
        action: action.into(),
        subject: format!("subject of {action}"),
    };
    let admin = store
        .create_user(&new_user(
            "admin@example.org",
            trendwatch_core::accounts::Role::Admin,
        ))
        .await
        .expect("admin");
    let lines = [
        line(0, None, "sign-in refused"),
        line(1, Some(admin), "sign-in"),
        line(2, Some(admin), "invitation"),
    ];
    for l in &lines {
        store.record_audit(l).await.expect("record");
    }
    let read = store.audit_log(10).await.expect("read");
    let newest_first: Vec<AuditEntry> = lines.iter().rev().cloned().collect();
    assert_eq!(read, newest_first);
    assert_eq!(store.audit_log(1).await.expect("read"), newest_first[..1]);
}

/// A desk article's content on the `security` topic in week 2026-W48.
fn desk_content(lang: Language, title: &str) -> trendwatch_core::newsroom::DeskContent {
    let mut c = trendwatch_core::newsroom::DeskContent::empty(
        lang,
        "security",
        "2026-W48".parse().expect("period"),
        "A. Analyst",
    );
    c.title = title.into();
    c.body_markdown = format!("{title}: the body.");
    c
}

/// Desk articles keep every changed save as a revision; a save from an old revision is
/// refused as stale and writes nothing; an unchanged save makes no revision; lists, filters
/// and translations find them.
pub async fn desk_saves_make_revisions_and_stale_saves_are_refused(store: Arc<dyn Store>) {
    use trendwatch_core::accounts::Role;
    use trendwatch_core::newsroom::{DeskFilter, DeskState};
    let at = datetime!(2026-11-30 09:00 UTC);
    let ana = store
        .create_user(&new_user("ana@example.org", Role::Analyst))
        .await
        .expect("analyst");
    let ed = store
        .create_user(&new_user("ed@example.org", Role::Editor))
        .await
        .expect("editor");
    let id = store
        .create_desk_article(&desk_content(Language::En, "First draft"), ana, None, at)
        .await
        .expect("created");
    let a = store.desk_article(id).await.expect("read").expect("exists");
    assert_eq!(
        (a.state, a.revision, a.author_id),
        (DeskState::Draft, 1, ana)
    );
    assert_eq!(a.content.title, "First draft");
    assert_eq!(a.article_key, format!("desk-{id}"));

    let second = desk_content(Language::En, "Second draft");
    let r2 = store
        .save_desk_content(id, 1, &second, ana, "saved", at)
        .await
        .expect("saved");
    assert_eq!(r2, 2);
    // The same content again makes no revision.
    assert_eq!(
        store
            .save_desk_content(id, 2, &second, ana, "saved", at)
            .await
            .expect("saved"),
        2
    );
    // An editor's copy opened at revision 1 is stale now.
    match store
        .save_desk_content(
            id,
            1,
            &desk_content(Language::En, "Editor's"),
            ed,
            "saved",
            at,
        )
        .await
    {
        Err(EditError::Stale { base, current }) => assert_eq!((base, current), (1, 2)),
        other => panic!("expected a stale save, got {other:?}"),
    }
    let a = store.desk_article(id).await.expect("read").expect("exists");
    assert_eq!(
        a.content.title, "Second draft",
        "the stale save wrote nothing"
    );
    assert_eq!(a.updated_by, "Name of ana@example.org");
    let revs = store.desk_revisions(id).await.expect("revisions");
    assert_eq!(
        revs.iter().map(|r| r.number).collect::<Vec<_>>(),
        vec![2, 1]
    );
    assert_eq!(revs[1].content.title, "First draft");

    let ru = store
        .create_desk_article(&desk_content(Language::Ru, "Перевод"), ed, Some(id), at)
        .await
        .expect("translation");
    let group: Vec<i64> = store
        .desk_translations(ru)
        .await
        .expect("translations")
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(group, vec![id, ru]);
    let mine = store
        .desk_articles(&DeskFilter {
            author: Some(ana),
            ..DeskFilter::default()
        })
        .await
        .expect("list");
    assert_eq!(mine.iter().map(|s| s.id).collect::<Vec<_>>(), vec![id]);
    let week = store
        .desk_articles(&DeskFilter {
            period: Some("2026-W48".parse().expect("period")),
            states: vec![DeskState::Draft],
            ..DeskFilter::default()
        })
        .await
        .expect("list");
    assert_eq!(week.len(), 2);
    store
        .add_desk_comment(id, ed, "Please cite the ministry.", at)
        .await
        .expect("comment");
    let comments = store.desk_comments(id).await.expect("comments");
    assert_eq!(comments[0].text, "Please cite the ministry.");
    assert_eq!(comments[0].author_name, "Name of ed@example.org");
}

/// A state change names the state it starts from, so two publishers cannot both act; due
/// scheduled articles are found in time order; the post lock names its holder to others.
pub async fn desk_states_schedules_and_locks(store: Arc<dyn Store>) {
    use trendwatch_core::accounts::Role;
    use trendwatch_core::newsroom::DeskState;
    let at = datetime!(2026-11-30 09:00 UTC);
    let ed = store
        .create_user(&new_user("ed@example.org", Role::Editor))
        .await
        .expect("editor");
    let other = store
        .create_user(&new_user("other@example.org", Role::Editor))
        .await
        .expect("editor");
    let a = store
        .create_desk_article(&desk_content(Language::En, "A"), ed, None, at)
        .await
        .expect("a");
    let b = store
        .create_desk_article(&desk_content(Language::Ru, "B"), ed, None, at)
        .await
        .expect("b");
    let later = at + time::Duration::hours(2);
    let sooner = at + time::Duration::hours(1);
    let mark = |t| trendwatch_core::newsroom::PublishedMark {
        revision: Some(1),
        at: Some(t),
    };
    for (id, when) in [(a, later), (b, sooner)] {
        store
            .set_desk_state(
                id,
                DeskState::Draft,
                DeskState::Scheduled,
                Some(when),
                None,
                ed,
                at,
            )
            .await
            .expect("scheduled");
    }
    assert_eq!(store.next_scheduled().await.expect("next"), Some(sooner));
    assert!(store.due_desk_articles(at).await.expect("due").is_empty());
    assert_eq!(
        store.due_desk_articles(later).await.expect("due"),
        vec![b, a]
    );
    store
        .set_desk_state(
            b,
            DeskState::Scheduled,
            DeskState::Published,
            None,
            Some(mark(sooner)),
            ed,
            sooner,
        )
        .await
        .expect("published");
    // A second publisher working from the old state is refused.
    assert!(matches!(
        store
            .set_desk_state(
                b,
                DeskState::Scheduled,
                DeskState::Published,
                None,
                Some(mark(sooner)),
                other,
                sooner
            )
            .await,
        Err(EditError::Invalid(_))
    ));
    let read = store.desk_article(b).await.expect("read").expect("b");
    assert_eq!(
        (
            read.state,
            read.published_revision,
            read.published_at,
            read.scheduled_at
        ),
        (DeskState::Published, Some(1), Some(sooner), None)
    );
    // A failed publication puts the marks back exactly as they were.
    store
        .set_desk_state(
            b,
            DeskState::Published,
            DeskState::Draft,
            None,
            Some(trendwatch_core::newsroom::PublishedMark {
                revision: None,
                at: None,
            }),
            ed,
            sooner,
        )
        .await
        .expect("put back");
    let read = store.desk_article(b).await.expect("read").expect("b");
    assert_eq!((read.published_revision, read.published_at), (None, None));

    assert_eq!(
        store.lock_desk_article(a, ed, at).await.expect("lock"),
        None
    );
    let held = store
        .lock_desk_article(a, other, at + time::Duration::minutes(1))
        .await
        .expect("lock")
        .expect("held by the first editor");
    assert_eq!((held.user_id, held.since), (ed, at));
    // A lock left alone expires.
    assert_eq!(
        store
            .lock_desk_article(a, other, at + time::Duration::hours(1))
            .await
            .expect("lock"),
        None
    );
}

/// Taking an article off the archive removes it from every listing and advances the
/// generations; removing an unknown key does nothing.
pub async fn removed_articles_leave_the_archive(store: Arc<dyn Store>) {
    let ids = write_all(
        &store,
        &[
            article("a", "Drills begin", 19, "en", None),
            article("b", "Drills go on", 26, "en", None),
        ],
    )
    .await;
    let (g0, t0, h0) = (
        store.generation().await.expect("generation"),
        store.text_generation().await.expect("text generation"),
        store
            .threading_generation()
            .await
            .expect("threading generation"),
    );
    assert_eq!(
        store.remove_article("a").await.expect("removed"),
        Some(ids[0])
    );
    assert_eq!(store.remove_article("a").await.expect("again"), None);
    assert!(store.generation().await.expect("generation") > g0);
    assert!(store.text_generation().await.expect("text generation") > t0);
    assert!(
        store
            .threading_generation()
            .await
            .expect("threading generation")
            > h0
    );
    let left = store
        .listing(Language::En, &Listing::All, 0, 10)
        .await
        .expect("listing");
    assert_eq!(
        left.items.iter().map(|a| a.id).collect::<Vec<_>>(),
        vec![ids[1]]
    );
    assert!(store
        .week(Language::En, week(19))
        .await
        .expect("week")
        .is_empty());
    assert!(store.article_texts(None).await.expect("texts").len() == 1);
}

/// The text log names the articles each text generation changed, a rewrite and a removal
/// included: an index stamped with an older generation catches up on those alone. A
/// generation before the log began answers `None` (rebuild everything).
pub async fn text_changes_name_what_each_generation_changed(store: Arc<dyn Store>) {
    let t0 = store.text_generation().await.expect("text generation");
    assert_eq!(store.text_changes(t0).await.expect("log"), Some(vec![]));
    assert_eq!(store.text_changes(t0 - 1).await.expect("log"), None);
    let ids = write_all(
        &store,
        &[
            article("a", "Drills begin", 19, "en", None),
            article("b", "Drills go on", 26, "en", None),
        ],
    )
    .await;
    let t1 = store.text_generation().await.expect("text generation");
    assert_eq!(
        store.text_changes(t0).await.expect("log"),
        Some(ids.clone())
    );
    assert_eq!(store.text_changes(t1).await.expect("log"), Some(vec![]));
    // A rejected batch logs nothing.
    let refused = store
        .write_articles(&[article("c", "Drills begin", 19, "en", None)])
        .await
        .expect("batch runs");
    assert!(refused[0].is_err());
    assert_eq!(store.text_changes(t1).await.expect("log"), Some(vec![]));
    let mut rewritten = article("b", "Drills go on and on", 26, "en", None);
    rewritten.body_text = "Rewritten.".into();
    write_all(&store, &[rewritten]).await;
    assert_eq!(
        store.text_changes(t1).await.expect("log"),
        Some(vec![ids[1]])
    );
    let t2 = store.text_generation().await.expect("text generation");
    store.remove_article("a").await.expect("removed");
    assert_eq!(
        store.text_changes(t2).await.expect("log"),
        Some(vec![ids[0]])
    );
    assert_eq!(store.text_changes(t0).await.expect("log"), Some(ids));
}

pub async fn subscriptions_and_the_digest_queue(store: Arc<dyn Store>) {
    use trendwatch_core::newsletter::{Delivery, SubscribeOutcome, SubscriptionRequest};
    write_all(&store, &[article("a", "Drills begin", 19, "en", None)]).await;
    let at = datetime!(2026-10-25 10:00 UTC);
    // The secret is made once and then always the same.
    let secret = store.site_secret("links", [1; 32]).await.expect("secret");
    assert_eq!(secret, [1; 32]);
    assert_eq!(
        store.site_secret("links", [2; 32]).await.expect("again"),
        [1; 32]
    );
    let ask = |email: &str, topics: &[&str]| SubscriptionRequest {
        email: email.into(),
        language: Language::En,
        topics: topics.iter().map(|t| t.to_string()).collect(),
    };
    let mut ids = Vec::new();
    for email in ["a@example.org", "b@example.org", "c@example.org"] {
        match store
            .subscribe(&ask(email, &[]), at)
            .await
            .expect("subscribe")
        {
            SubscribeOutcome::NeedsConfirmation(id) => ids.push(id),
            other => panic!("a new address needs confirming: {other:?}"),
        }
    }
    // Pending readers are not recipients; confirming is once.
    assert!(store.confirm_subscriber(ids[0], at).await.expect("confirm"));
    assert!(!store.confirm_subscriber(ids[0], at).await.expect("twice"));
    assert!(store.confirm_subscriber(ids[1], at).await.expect("confirm"));
    assert_eq!(
        store.subscriber_counts(Language::En).await.expect("counts"),
        (1, 2, 0, 0)
    );
    // A confirmed reader asking again stays confirmed and takes the new topics.
    assert_eq!(
        store
            .subscribe(&ask("a@example.org", &["security"]), at)
            .await
            .expect("again"),
        SubscribeOutcome::AlreadyConfirmed(ids[0])
    );
    let a = store
        .subscriber(ids[0])
        .await
        .expect("read")
        .expect("there");
    assert_eq!(a.topics, vec!["security".to_string()]);
    assert!(store
        .set_subscriber_preferences(ids[0], Language::Ru, &[])
        .await
        .expect("preferences"));
    assert!(store
        .set_subscriber_preferences(ids[0], Language::En, &[])
        .await
        .expect("back"));

    // A send fixes its recipients: the confirmed readers of its language.
    let period = week(19);
    let send = store
        .start_digest_send(period, Language::En, None, at)
        .await
        .expect("start");
    assert_eq!((send.pending, send.total()), (2, 2));
    let first = store
        .claim_digest_recipient(send.id, at)
        .await
        .expect("claim")
        .expect("a recipient");
    // A process that stops here leaves the claim in flight: it is interrupted, not resent.
    assert_eq!(
        store
            .interrupt_digest_deliveries(send.id)
            .await
            .expect("interrupt"),
        1
    );
    let second = store
        .claim_digest_recipient(send.id, at)
        .await
        .expect("claim")
        .expect("another recipient");
    assert_ne!(first.id, second.id);
    store
        .finish_digest_delivery(
            send.id,
            second.id,
            &Delivery::PermanentFailure("550".into()),
            at,
        )
        .await
        .expect("finish");
    assert!(store
        .claim_digest_recipient(send.id, at)
        .await
        .expect("claim")
        .is_none());
    let done = store
        .digest_send(send.id)
        .await
        .expect("read")
        .expect("there");
    assert_eq!(
        (done.pending, done.sent, done.failed, done.interrupted),
        (0, 0, 1, 1)
    );
    // The refused address is suppressed; starting the week again finds the same send.
    assert_eq!(
        store.subscriber_counts(Language::En).await.expect("counts"),
        (1, 1, 0, 1)
    );
    let again = store
        .start_digest_send(period, Language::En, None, at)
        .await
        .expect("again");
    assert_eq!((again.id, again.pending), (send.id, 0));
    assert_eq!(store.digest_sends(10).await.expect("sends").len(), 1);

    // A reader who leaves before their turn is not sent to.
    let next = store
        .start_digest_send(period.next(), Language::En, None, at)
        .await
        .expect("next week");
    assert_eq!(next.pending, 1);
    assert!(store.unsubscribe(ids[0]).await.expect("leave"));
    assert!(store
        .claim_digest_recipient(next.id, at)
        .await
        .expect("claim")
        .is_none());
    assert_eq!(
        store
            .digest_send(next.id)
            .await
            .expect("read")
            .expect("there")
            .total(),
        0
    );
}
