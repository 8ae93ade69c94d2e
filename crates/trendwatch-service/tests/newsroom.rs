//! The newsroom's workflow against a real SQLite store: an analyst's draft goes through
//! review to publication, scheduled articles go out at their time, edits never overwrite
//! each other, and unpublishing takes the article off the archive.

use std::sync::Arc;
use time::macros::datetime;
use time::OffsetDateTime;
use trendwatch_core::accounts::{Role, User};
use trendwatch_core::newsroom::{DeskContent, DeskState, Transition};
use trendwatch_core::{Language, Topics};
use trendwatch_service::newsroom::{ActionRequest, Newsroom, NewsroomError};
use trendwatch_service::{Publisher, Settings};
use trendwatch_store::Store;

struct Desk {
    store: Arc<dyn Store>,
    newsroom: Newsroom,
    analyst: User,
    editor: User,
    _dir: tempfile::TempDir,
}

const NOW: OffsetDateTime = datetime!(2026-11-30 09:00 UTC);

async fn desk() -> Desk {
    let dir = tempfile::tempdir().expect("temp dir");
    let store: Arc<dyn Store> =
        Arc::new(trendwatch_sqlite::SqliteStore::open(dir.path()).expect("open"));
    let publisher = Arc::new(Publisher::new(store.clone(), None, Settings::default()));
    let zone = jiff::tz::TimeZone::get("Europe/Minsk").expect("zone");
    let newsroom = Newsroom::new(store.clone(), publisher, Topics::default(), zone);
    let mut users = Vec::new();
    for (email, role) in [
        ("ana@example.org", Role::Analyst),
        ("ed@example.org", Role::Editor),
    ] {
        let id = store
            .create_user(&trendwatch_core::accounts::NewUser {
                email: email.into(),
                name: format!("Name of {email}"),
                role,
                password_hash: "$argon2id$unused".into(),
                created_at: NOW,
            })
            .await
            .expect("user");
        users.push(
            store
                .users()
                .await
                .expect("users")
                .into_iter()
                .find(|u| u.id == id)
                .expect("created"),
        );
    }
    let editor = users.pop().expect("editor");
    let analyst = users.pop().expect("analyst");
    Desk {
        store,
        newsroom,
        analyst,
        editor,
        _dir: dir,
    }
}

fn content(lang: Language, title: &str) -> DeskContent {
    let mut c = DeskContent::empty(
        lang,
        "security",
        "2026-W48".parse().expect("period"),
        "Name of ana@example.org",
    );
    c.title = title.into();
    c.status = "worsened".into();
    c.rationale = "Troops moved closer to the border of Arvenia.".into();
    c.body_markdown = format!("{title}.\n\nSample text about the fictional republic of Arvenia.");
    c
}

fn ask(comment: &str) -> ActionRequest {
    ActionRequest {
        comment: Some(comment.into()),
        at: None,
    }
}

#[tokio::test]
async fn a_draft_goes_through_review_to_the_public_archive() {
    let d = desk().await;
    let n = &d.newsroom;
    let mut c = content(Language::En, "Drills near the Arvenia border");
    c.rationale.clear();
    let id = n
        .create(&d.analyst, c.clone(), None, NOW)
        .await
        .expect("draft");
    // A rated status without its reason cannot be submitted; the problem names the field.
    match n
        .act(
            &d.analyst,
            id,
            Transition::Submit,
            ActionRequest::default(),
            NOW,
        )
        .await
    {
        Err(NewsroomError::Problems(p)) => assert_eq!(p[0].field, "rationale"),
        other => panic!("expected the rationale to be asked for, got {other:?}"),
    }
    let c = content(Language::En, "Drills near the Arvenia border");
    let rev = n.save(&d.analyst, id, 1, &c, NOW).await.expect("saved");
    assert_eq!(rev, 2);
    // Analysts cannot publish.
    assert!(matches!(
        n.act(
            &d.analyst,
            id,
            Transition::Publish,
            ActionRequest::default(),
            NOW
        )
        .await,
        Err(NewsroomError::Forbidden(_))
    ));
    n.act(
        &d.analyst,
        id,
        Transition::Submit,
        ActionRequest::default(),
        NOW,
    )
    .await
    .expect("submitted");
    // Requesting changes needs a comment, and the comment stays with the article.
    assert!(matches!(
        n.act(
            &d.editor,
            id,
            Transition::RequestChanges,
            ActionRequest::default(),
            NOW
        )
        .await,
        Err(NewsroomError::Invalid(_))
    ));
    n.act(
        &d.editor,
        id,
        Transition::RequestChanges,
        ask("Cite the ministry."),
        NOW,
    )
    .await
    .expect("changes requested");
    assert_eq!(
        d.store.desk_comments(id).await.expect("comments")[0].text,
        "Cite the ministry."
    );
    let mut c2 = c.clone();
    c2.body_markdown
        .push_str("\n\nThe ministry of Arvenia confirmed the drills.");
    n.save(&d.analyst, id, 2, &c2, NOW).await.expect("saved");
    n.act(
        &d.analyst,
        id,
        Transition::Submit,
        ActionRequest::default(),
        NOW,
    )
    .await
    .expect("resubmitted");
    assert!(d
        .store
        .article_id_by_key(&format!("desk-{id}"))
        .await
        .expect("read")
        .is_none());
    let state = n
        .act(
            &d.editor,
            id,
            Transition::Publish,
            ActionRequest::default(),
            NOW,
        )
        .await
        .expect("published");
    assert_eq!(state, DeskState::Published);
    let week = d
        .store
        .week(Language::En, "2026-W48".parse().expect("period"))
        .await
        .expect("week");
    assert_eq!(week.len(), 1);
    let public = d
        .store
        .article(Language::En, &week[0].slug)
        .await
        .expect("read")
        .expect("public");
    assert!(public
        .content
        .body_html
        .contains("ministry of Arvenia confirmed"));
    // Published at 09:00 UTC: 12:00 in the office's wall clock (UTC+3).
    assert_eq!(public.content.published_at, datetime!(2026-11-30 12:00));
    let a = n.article(id).await.expect("article");
    assert_eq!(a.published_revision, Some(3));

    // An edit of the published article is republished with its first date kept.
    let mut c3 = c2.clone();
    c3.title = "Drills near the Arvenia border end".into();
    n.save(&d.editor, id, 3, &c3, NOW + time::Duration::hours(1))
        .await
        .expect("saved");
    n.act(
        &d.editor,
        id,
        Transition::Publish,
        ActionRequest::default(),
        NOW + time::Duration::hours(1),
    )
    .await
    .expect("republished");
    let week = d
        .store
        .week(Language::En, "2026-W48".parse().expect("period"))
        .await
        .expect("week");
    assert_eq!(week.len(), 1, "the same article, not a second one");
    assert_eq!(week[0].title, "Drills near the Arvenia border end");
    assert_eq!(week[0].published_at, datetime!(2026-11-30 12:00));

    // Unpublishing takes it off the archive; the desk keeps it.
    n.act(
        &d.editor,
        id,
        Transition::Unpublish,
        ActionRequest::default(),
        NOW,
    )
    .await
    .expect("unpublished");
    assert!(d
        .store
        .week(Language::En, "2026-W48".parse().expect("period"))
        .await
        .expect("week")
        .is_empty());
    assert_eq!(
        n.article(id).await.expect("kept").state,
        DeskState::Unpublished
    );
    // Every publication left a revision that can be restored (H7).
    let restored = n.restore(&d.editor, id, 2, NOW).await.expect("restored");
    let a = n.article(id).await.expect("article");
    assert_eq!(a.revision, restored);
    assert_eq!(a.content, c);
}

#[tokio::test]
async fn scheduled_articles_go_out_at_their_time_and_only_once() {
    let d = desk().await;
    let n = &d.newsroom;
    let id = n
        .create(
            &d.editor,
            content(Language::En, "Budget vote in Arvenia"),
            None,
            NOW,
        )
        .await
        .expect("draft");
    assert!(matches!(
        n.act(
            &d.editor,
            id,
            Transition::Schedule,
            ActionRequest {
                comment: None,
                at: Some(NOW - time::Duration::minutes(1))
            },
            NOW
        )
        .await,
        Err(NewsroomError::Invalid(_))
    ));
    let at = NOW + time::Duration::hours(2);
    n.act(
        &d.editor,
        id,
        Transition::Schedule,
        ActionRequest {
            comment: None,
            at: Some(at),
        },
        NOW,
    )
    .await
    .expect("scheduled");
    assert_eq!(n.publish_due(NOW).await.expect("due"), 0);
    assert!(d
        .store
        .article_id_by_key(&format!("desk-{id}"))
        .await
        .expect("read")
        .is_none());
    // Found at the next check after its time (as after a downtime), published once.
    let later = at + time::Duration::hours(5);
    assert_eq!(n.publish_due(later).await.expect("due"), 1);
    assert_eq!(n.publish_due(later).await.expect("due"), 0);
    let a = n.article(id).await.expect("article");
    assert_eq!(a.state, DeskState::Published);
    assert_eq!(a.published_at, Some(later));
    assert!(d
        .store
        .article_id_by_key(&format!("desk-{id}"))
        .await
        .expect("read")
        .is_some());
}

#[tokio::test]
async fn stale_saves_are_refused_and_the_week_cannot_be_taken_twice() {
    let d = desk().await;
    let n = &d.newsroom;
    let id = n
        .create(
            &d.analyst,
            content(Language::En, "Protests in Arvenia"),
            None,
            NOW,
        )
        .await
        .expect("draft");
    n.save(
        &d.editor,
        id,
        1,
        &content(Language::En, "Editor's headline"),
        NOW,
    )
    .await
    .expect("editor saved");
    match n
        .save(
            &d.analyst,
            id,
            1,
            &content(Language::En, "Analyst's headline"),
            NOW,
        )
        .await
    {
        Err(NewsroomError::Stale {
            base: 1,
            current: 2,
        }) => {}
        other => panic!("expected a stale save, got {other:?}"),
    }
    assert_eq!(
        n.article(id).await.expect("article").content.title,
        "Editor's headline"
    );
    // A second draft for the same topic, week and language is flagged on the week field.
    let other = n
        .create(&d.editor, content(Language::En, "Another take"), None, NOW)
        .await
        .expect("second draft");
    let problems = n
        .problems(&n.article(other).await.expect("article"))
        .await
        .expect("checked");
    assert!(problems.iter().any(|p| p.field == "period"), "{problems:?}");
    // The translation shares topic and week, and is linked to its original.
    let ru = n
        .translate(&d.editor, id, Language::Ru, NOW)
        .await
        .expect("translation");
    let group = d.store.desk_translations(id).await.expect("group");
    assert_eq!(group.iter().map(|s| s.id).collect::<Vec<_>>(), vec![id, ru]);
    assert!(matches!(
        n.translate(&d.editor, ru, Language::Ru, NOW).await,
        Err(NewsroomError::Invalid(_))
    ));
}
