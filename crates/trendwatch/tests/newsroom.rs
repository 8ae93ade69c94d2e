//! Issue 13 §3–§5 (and SECURITY.md B2, H3, H6, H7): writing in the desk. An analyst's
//! draft goes through review to the public site; stale saves get the merge page; who has
//! an article open is shown; the preview uses the public template; revisions are listed,
//! compared and restored; scheduled articles appear on time; and nothing unpublished shows
//! on any public surface. Against the real app on 127.0.0.1, pages read through a DOM.

mod common;

use common::*;
use reqwest::{Client, StatusCode};
use scraper::Html;
use trendwatch_core::accounts::Role;
use trendwatch_service::accounts::{Accounts, SessionLimits};

const PASSWORD: &str = DESK_PASSWORD;
/// A week the sample archive leaves empty.
const WEEK: &str = "2026-W48";

type Session = DeskSession;

struct Answer {
    status: StatusCode,
    location: String,
    body: String,
}

impl Answer {
    fn doc(&self) -> Html {
        Html::parse_document(&self.body)
    }
}

fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn answer(resp: reqwest::Response) -> Answer {
    let status = resp.status();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    Answer {
        status,
        location,
        body: resp.text().await.expect("body"),
    }
}

/// Creates an account and signs it in through the form.
async fn account(app: &TestApp, email: &str, name: &str, role: Role) -> Session {
    desk_account(app, email, name, role).await
}

async fn get(app: &TestApp, s: &Session, path: &str) -> Answer {
    answer(
        client()
            .get(format!("{}{path}", app.app.url()))
            .header("cookie", &s.cookie)
            .send()
            .await
            .expect("get"),
    )
    .await
}

/// Sends a desk form as the browser would: from the site's origin, with the token.
async fn post(app: &TestApp, s: &Session, path: &str, fields: &[(&str, &str)]) -> Answer {
    let mut all: Vec<(&str, &str)> = vec![("csrf", &s.csrf)];
    all.extend_from_slice(fields);
    answer(
        client()
            .post(format!("{}{path}", app.app.url()))
            .header("origin", app.app.url())
            .header("cookie", &s.cookie)
            .form(&all)
            .send()
            .await
            .expect("post"),
    )
    .await
}

/// The form's current fields as the edit page holds them (what a browser would send back).
fn form_fields(doc: &Html) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for el in doc.select(&sel(
        "form.desk-article input, form.desk-article textarea, form.desk-article select",
    )) {
        let v = el.value();
        let Some(name) = v.attr("name") else { continue };
        if name == "csrf" {
            continue;
        }
        let value = match v.name() {
            "textarea" => el.text().collect::<String>(),
            "select" => el
                .select(&sel("option[selected]"))
                .next()
                .and_then(|o| o.value().attr("value"))
                .unwrap_or("")
                .to_string(),
            _ => v.attr("value").unwrap_or("").to_string(),
        };
        out.push((name.to_string(), value));
    }
    out
}

/// Sends the edit form of desk article `id` with `changes` applied and `action` pressed.
async fn save(
    app: &TestApp,
    s: &Session,
    id: &str,
    changes: &[(&str, &str)],
    action: &str,
) -> Answer {
    let page = get(app, s, &format!("/desk/articles/{id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    save_from(app, s, id, &page.doc(), changes, action).await
}

async fn save_from(
    app: &TestApp,
    s: &Session,
    id: &str,
    page: &Html,
    changes: &[(&str, &str)],
    action: &str,
) -> Answer {
    let mut fields = form_fields(page);
    for (k, v) in changes {
        match fields.iter_mut().find(|(n, _)| n == k) {
            Some(f) => f.1 = v.to_string(),
            None => fields.push((k.to_string(), v.to_string())),
        }
    }
    fields.retain(|(n, _)| n != "action");
    fields.push(("action".into(), action.into()));
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    post(app, s, &format!("/desk/articles/{id}"), &refs).await
}

/// Creates a draft of `title` on the security topic in `lang`, returns its desk id.
async fn draft(app: &TestApp, s: &Session, lang: &str, title: &str, body: &str) -> String {
    let created = post(
        app,
        s,
        "/desk/articles",
        &[
            ("lang", lang),
            ("topic", "security"),
            ("period", WEEK),
            ("title", title),
            ("status", "worsened"),
            ("rationale", "More troops at the border of Arvenia."),
            ("body", body),
            ("authors", "Ana Analyst"),
        ],
    )
    .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    created
        .location
        .trim_start_matches("/desk/articles/")
        .to_string()
}

fn state_of(doc: &Html) -> String {
    attrs(doc, ".desk-meta .desk-state", "data-state").remove(0)
}

/// The whole review flow over HTTP, as §5 describes it, with the grid following along.
#[tokio::test]
async fn an_analysts_draft_goes_through_review_to_the_public_site() {
    let app = sample_site().await;
    let ana = account(&app, "ana@example.org", "Ana Analyst", Role::Analyst).await;
    let ed = account(&app, "ed@example.org", "Ed Editor", Role::Editor).await;

    // The grid links the missing cell to a new draft with topic, week and language filled.
    let grid = get(&app, &ana, &format!("/desk/?week={WEEK}")).await.doc();
    let new_links = attrs(&grid, "td.desk-missing a", "href");
    let link = new_links
        .iter()
        .find(|h| h.contains("lang=en") && h.contains("topic=security"))
        .expect("a link for the missing cell");
    let form = get(&app, &ana, link).await.doc();
    assert_eq!(attrs(&form, "#period", "value"), vec![WEEK]);
    assert_eq!(
        attrs(&form, "#topic option[selected]", "value"),
        vec!["security"]
    );

    let id = draft(
        &app,
        &ana,
        "en",
        "Border drills in Arvenia",
        "Troops gathered near the river.",
    )
    .await;
    let grid = get(&app, &ana, &format!("/desk/?week={WEEK}")).await.doc();
    assert!(texts(&grid, "#my-drafts li")
        .iter()
        .any(|t| t.contains("Border drills in Arvenia")));
    assert!(attrs(&grid, "td.desk-draft a", "href").contains(&format!("/desk/articles/{id}")));

    // A rated status without its reason is flagged next to the field, and not submitted.
    let refused = save(&app, &ana, &id, &[("rationale", "")], "submit").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let doc = refused.doc();
    assert_eq!(attrs(&doc, "#rationale", "aria-invalid"), vec!["true"]);
    assert!(!text(&doc, "#rationale-problem").is_empty());

    let submitted = save(&app, &ana, &id, &[("rationale", "More troops.")], "submit").await;
    assert_eq!(
        submitted.status,
        StatusCode::SEE_OTHER,
        "{}",
        submitted.body
    );
    let review = get(&app, &ed, "/desk/").await.doc();
    assert!(texts(&review, "#waiting-for-review li")
        .iter()
        .any(|t| t.contains("Border drills")));

    // The editor asks for changes; the comment stays with the article.
    let asked = save(
        &app,
        &ed,
        &id,
        &[("comment", "Name the river, please.")],
        "request-changes",
    )
    .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.body);
    let page = get(&app, &ana, &format!("/desk/articles/{id}")).await.doc();
    assert_eq!(state_of(&page), "changes_requested");
    assert!(texts(&page, ".desk-comments li")
        .iter()
        .any(|t| t.contains("Name the river")));

    let body = "Troops gathered near the Vell river.\n\nThe ministry of Arvenia called it routine.";
    assert_eq!(
        save(&app, &ana, &id, &[("body", body)], "submit")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    // Analysts cannot publish, whatever they send.
    assert_eq!(
        save(&app, &ana, &id, &[], "publish").await.status,
        StatusCode::FORBIDDEN
    );
    let published = save(&app, &ed, &id, &[], "publish").await;
    assert_eq!(
        published.status,
        StatusCode::SEE_OTHER,
        "{}",
        published.body
    );

    // On the public week page at once (no waiting for the cache's next check).
    let week = app.page("/en/weeks/2026-w48").await;
    let rows = texts(&week, ".topic-row");
    assert!(
        rows.iter().any(|t| t.contains("Border drills in Arvenia")),
        "{rows:?}"
    );
    let public = get(&app, &ed, &format!("/desk/articles/{id}/public")).await;
    assert_eq!(public.status, StatusCode::SEE_OTHER);
    let article = app.page(&public.location).await;
    assert!(text(&article, "h1").contains("Border drills in Arvenia"));
    assert!(texts(&article, ".article-body p")
        .iter()
        .any(|p| p.contains("Vell river")));
    let grid = get(&app, &ed, &format!("/desk/?week={WEEK}")).await.doc();
    assert!(attrs(&grid, "td.desk-published a", "href").contains(&format!("/desk/articles/{id}")));
}

/// H6: a save from a stale copy is answered 409 with both versions and a form to merge;
/// nothing is overwritten, and the merged save goes through. Someone else having the
/// article open is said before anyone types.
#[tokio::test]
async fn h6_stale_save_gets_the_merge_page() {
    let app = sample_site().await;
    let ana = account(&app, "ana@example.org", "Ana Analyst", Role::Analyst).await;
    let ed = account(&app, "ed@example.org", "Ed Editor", Role::Editor).await;
    let id = draft(
        &app,
        &ana,
        "en",
        "Budget talks in Arvenia",
        "The parliament met.",
    )
    .await;

    let anas_copy = get(&app, &ana, &format!("/desk/articles/{id}")).await.doc();
    let eds_copy = get(&app, &ed, &format!("/desk/articles/{id}")).await.doc();
    assert!(
        text(&eds_copy, "#lock-notice").contains("Ana Analyst"),
        "the editor is told the analyst has it open"
    );
    let first = save_from(
        &app,
        &ana,
        &id,
        &anas_copy,
        &[("title", "Budget talks stall in Arvenia")],
        "save",
    )
    .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    let stale = save_from(
        &app,
        &ed,
        &id,
        &eds_copy,
        &[("lead", "The editor's lead.")],
        "save",
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    let doc = stale.doc();
    assert!(text(&doc, "#conflict").contains("Ana Analyst"));
    // Field by field, from the saved revision to the editor's copy: the headline (the
    // analyst's change the editor never saw) and the lead (the editor's own).
    let diffs = texts(&doc, ".desk-diff h2");
    assert!(
        diffs.contains(&"Headline".to_string()) && diffs.contains(&"Lead".to_string()),
        "{diffs:?}"
    );
    let kept = get(&app, &ana, &format!("/desk/articles/{id}")).await.doc();
    assert_eq!(
        attrs(&kept, "#title", "value"),
        vec!["Budget talks stall in Arvenia"]
    );
    assert_eq!(text(&kept, "#lead"), "", "the stale save wrote nothing");

    // The merge form saves over the current revision.
    let merged = save_from(
        &app,
        &ed,
        &id,
        &doc,
        &[("title", "Budget talks stall in Arvenia")],
        "save",
    )
    .await;
    assert_eq!(merged.status, StatusCode::SEE_OTHER, "{}", merged.body);
    let now = get(&app, &ed, &format!("/desk/articles/{id}")).await.doc();
    assert_eq!(
        attrs(&now, "#title", "value"),
        vec!["Budget talks stall in Arvenia"]
    );
    assert_eq!(text(&now, "#lead"), "The editor's lead.");
}

/// H7 (and the history): every save that changes content is a revision; any two compare
/// word by word; a publication marks its revision, and restoring makes a new one.
#[tokio::test]
async fn h7_every_publish_makes_a_restorable_revision() {
    let app = sample_site().await;
    let ed = account(&app, "ed@example.org", "Ed Editor", Role::Editor).await;
    let id = draft(
        &app,
        &ed,
        "en",
        "Local elections in Arvenia",
        "Turnout was low.",
    )
    .await;
    assert_eq!(
        save(
            &app,
            &ed,
            &id,
            &[("body", "Turnout was very low in the north.")],
            "publish"
        )
        .await
        .status,
        StatusCode::SEE_OTHER
    );
    let history = get(
        &app,
        &ed,
        &format!("/desk/articles/{id}/revisions?from=1&to=2"),
    )
    .await;
    assert_eq!(history.status, StatusCode::OK);
    let doc = history.doc();
    let rows = texts(&doc, ".desk-revisions tbody tr td:first-child");
    assert_eq!(rows, vec!["2 (current) (published)", "1"]);
    assert!(texts(&doc, ".desk-diff ins")
        .iter()
        .any(|t| t.contains("very")));
    assert!(texts(&doc, ".desk-diff del")
        .iter()
        .any(|t| t.contains("low.")));

    let restored = post(
        &app,
        &ed,
        &format!("/desk/articles/{id}/revisions/1/restore"),
        &[],
    )
    .await;
    assert_eq!(restored.status, StatusCode::SEE_OTHER);
    let page = get(&app, &ed, &format!("/desk/articles/{id}")).await.doc();
    assert_eq!(text(&page, "#body"), "Turnout was low.");
    let history = get(&app, &ed, &format!("/desk/articles/{id}/revisions"))
        .await
        .doc();
    assert!(texts(&history, ".desk-revisions tbody tr")[0].contains("restored revision 1"));
    // Restoring changed the desk copy only: readers still see the published revision.
    let week = app.page("/en/weeks/2026-w48").await;
    let rows = texts(&week, ".topic-row");
    assert!(
        rows.iter().any(|t| t.contains("very low")),
        "the public page keeps the published text: {rows:?}"
    );
}

/// The preview is the public article template; translations are written side by side.
#[tokio::test]
async fn the_preview_is_the_public_page_and_translations_sit_side_by_side() {
    let app = sample_site().await;
    let ed = account(&app, "ed@example.org", "Ed Editor", Role::Editor).await;
    let id = draft(
        &app,
        &ed,
        "en",
        "Ferry strike in Arvenia",
        "Ferries stopped on Monday.",
    )
    .await;
    let preview = get(&app, &ed, &format!("/desk/articles/{id}/preview")).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    let doc = preview.doc();
    assert!(text(&doc, "h1").contains("Ferry strike in Arvenia"));
    assert!(texts(&doc, ".article-body p")
        .iter()
        .any(|p| p.contains("Ferries stopped")));
    assert_accessible_skeleton(&doc);

    let translated = post(
        &app,
        &ed,
        &format!("/desk/articles/{id}/translate"),
        &[("lang", "ru")],
    )
    .await;
    assert_eq!(translated.status, StatusCode::SEE_OTHER);
    let ru = get(&app, &ed, &translated.location).await.doc();
    assert_eq!(attrs(&ru, "input[name=lang]", "value"), vec!["ru"]);
    assert_eq!(attrs(&ru, "#period", "value"), vec![WEEK]);
    assert!(text(&ru, ".desk-beside h3").contains("Ferry strike in Arvenia"));
    // The original now links its translation.
    let en = get(&app, &ed, &format!("/desk/articles/{id}")).await.doc();
    assert!(attrs(&en, "#versions ~ ul a, section a", "href").contains(&translated.location));
    // Only one version per language.
    let again = post(
        &app,
        &ed,
        &format!("/desk/articles/{id}/translate"),
        &[("lang", "ru")],
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

/// B2: a draft, an article in review, a scheduled one and an unpublished one are planted
/// (each with a word of its own); a crawl of every public page from both home pages, and
/// every feed, sitemap, search (HTML and JSON), dynamics export and public API answer,
/// finds none of their words, while the published control article is found.
#[tokio::test]
async fn b2_unpublished_articles_never_reach_a_public_surface() {
    use std::collections::{HashSet, VecDeque};
    use trendwatch_core::newsroom::{DeskContent, Transition};
    use trendwatch_service::newsroom::ActionRequest;
    let app = sample_site().await;
    let newsroom = app.app.state.newsroom.clone();
    let accounts = Accounts::new(app.archive.store.clone(), SessionLimits::default());
    let now = time::OffsetDateTime::now_utc();
    accounts
        .add_user("ed@example.org", "Ed Editor", Role::Editor, PASSWORD, now)
        .await
        .expect("editor");
    let ed = app.archive.store.users().await.expect("users").remove(0);
    let plant = |topic: &str, word: &str| {
        let mut c = DeskContent::empty(
            trendwatch_core::Language::En,
            topic,
            WEEK.parse().expect("week"),
            "Ed Editor",
        );
        c.title = format!("Report {word}");
        c.lead = format!("Lead {word}.");
        c.body_markdown = format!("Body {word} in Arvenia.");
        c.tags = vec![format!("tag{word}")];
        c.authors = vec![format!("Author {word}")];
        c
    };
    let steps: [(&str, &str, &[Transition]); 5] = [
        ("security", "quoxdraft", &[]),
        ("society", "quoxreview", &[Transition::Submit]),
        ("west", "quoxscheduled", &[Transition::Schedule]),
        (
            "east",
            "quoxunpublished",
            &[Transition::Publish, Transition::Unpublish],
        ),
        ("ruling-elite", "quoxpublished", &[Transition::Publish]),
    ];
    for (topic, word, transitions) in steps {
        let id = newsroom
            .create(&ed, plant(topic, word), None, now)
            .await
            .expect("planted");
        for t in transitions {
            let request = ActionRequest {
                comment: None,
                at: Some(now + time::Duration::days(30)),
            };
            newsroom.act(&ed, id, *t, request, now).await.expect("step");
        }
    }
    let hidden = [
        "quoxdraft",
        "quoxreview",
        "quoxscheduled",
        "quoxunpublished",
    ];

    let mut fixed: Vec<String> = vec![
        "/".into(),
        "/sitemap.xml".into(),
        "/robots.txt".into(),
        "/api/v1/articles?lang=en".into(),
        "/api/v1/weeks/2026-w48".into(),
        "/api/v1/dynamics?lang=en".into(),
        "/api/v1/topics".into(),
    ];
    for lang in ["en", "ru"] {
        for feed in ["feed.xml", "atom.xml", "feed.json"] {
            fixed.push(format!("/{lang}/{feed}"));
            for topic in ["security", "society", "west", "east", "ruling-elite"] {
                fixed.push(format!("/{lang}/topics/{topic}/{feed}"));
            }
        }
        fixed.push(format!("/{lang}/dynamics.json"));
        fixed.push(format!("/{lang}/dynamics.csv"));
        fixed.push(format!("/{lang}/weeks/2026-w48"));
        for word in hidden.iter().chain(&["quoxpublished"]) {
            fixed.push(format!("/{lang}/search?q={word}"));
            fixed.push(format!("/{lang}/search.json?q={word}"));
            fixed.push(format!("/{lang}/tags/tag{word}"));
        }
    }
    let mut queue: VecDeque<String> = ["/en/", "/ru/"].iter().map(|s| s.to_string()).collect();
    queue.extend(fixed);
    let mut seen: HashSet<String> = queue.iter().cloned().collect();
    let mut control_found = false;
    let mut pages = 0;
    while let Some(path) = queue.pop_front() {
        assert!(pages < 5000, "runaway crawl");
        pages += 1;
        let page = app.get(&path).await;
        // A search answer repeats the query it was asked: what it found is what counts.
        let shown = if path.contains("/search?") {
            texts(&page.doc(), ".search-results, .did-you-mean, .search-count").join(" ")
        } else if path.contains("/search.json") {
            let mut v: serde_json::Value = serde_json::from_str(&page.body).expect("JSON");
            v["query"] = serde_json::Value::Null;
            v.to_string()
        } else {
            page.body.clone()
        };
        for word in hidden {
            assert!(
                !shown.contains(word),
                "{word} is on the public surface at {path}"
            );
        }
        control_found |= page.body.contains("quoxpublished");
        if page
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/html"))
        {
            for href in attrs(&page.doc(), "a[href], link[href]", "href") {
                let href = href.split('#').next().unwrap_or("").to_string();
                let internal = href.starts_with('/') && !href.starts_with("//");
                if internal && !href.starts_with("/desk") && seen.insert(href.clone()) {
                    queue.push_back(href);
                }
            }
        }
    }
    assert!(pages > 100, "the crawl saw the site ({pages} pages)");
    assert!(control_found, "the published control article is public");
    // The sitemap's own files, named in its index.
    let index = app.get("/sitemap.xml").await.body;
    for loc in index.split("<loc>").skip(1) {
        let url = loc.split("</loc>").next().unwrap_or("");
        if let Some(path) = url.find("/sitemaps/").map(|i| &url[i..]) {
            let body = app.get(path).await.body;
            for word in hidden {
                assert!(!body.contains(word), "{word} in {path}");
            }
        }
    }
}

/// Scheduling: an article scheduled a couple of seconds ahead is not public before its time
/// and is published by the running server at its time, without a restart.
#[tokio::test]
async fn a_scheduled_article_appears_on_time() {
    let app = sample_site().await;
    let ed = account(&app, "ed@example.org", "Ed Editor", Role::Editor).await;
    let id = draft(
        &app,
        &ed,
        "en",
        "Harbour reopens in Arvenia",
        "Ships are back.",
    )
    .await;
    // The office's clock is UTC here (no time zone configured).
    // Whole seconds, as the form sends it: "not early" is measured against what was asked.
    let at = (time::OffsetDateTime::now_utc() + time::Duration::seconds(2))
        .replace_nanosecond(0)
        .expect("a whole second");
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let when = at.format(&fmt).expect("format");
    let scheduled = save(&app, &ed, &id, &[("publish_at", when.as_str())], "schedule").await;
    assert_eq!(
        scheduled.status,
        StatusCode::SEE_OTHER,
        "{}",
        scheduled.body
    );
    let page = get(&app, &ed, &format!("/desk/articles/{id}")).await.doc();
    assert_eq!(state_of(&page), "scheduled");
    // The week has no public page until something of it is published.
    let public = || async {
        let week = app.get("/en/weeks/2026-w48").await;
        week.status == StatusCode::OK
            && texts(&week.doc(), ".topic-row")
                .iter()
                .any(|t| t.contains("Harbour reopens"))
    };
    assert!(!public().await, "not before its time");
    // Polled with a deadline: the server publishes on its own clock.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        if public().await {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not published on time"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(time::OffsetDateTime::now_utc() >= at, "not early");
    let page = get(&app, &ed, &format!("/desk/articles/{id}")).await.doc();
    assert_eq!(state_of(&page), "published");
}

/// B1 for the writing desk: each route × the article's author, another analyst, an editor
/// and someone signed out. Analysts change only their own articles and never publish.
#[tokio::test]
async fn b1_newsroom_role_route_table() {
    let app = sample_site().await;
    let author = account(&app, "ana@example.org", "Ana Analyst", Role::Analyst).await;
    let other = account(&app, "olga@example.org", "Olga Analyst", Role::Analyst).await;
    let editor = account(&app, "ed@example.org", "Ed Editor", Role::Editor).await;
    let anonymous = Session {
        cookie: String::new(),
        csrf: String::new(),
    };
    // A fresh article for each row, so that one row's change does not decide the next.
    type Row = (&'static str, &'static str, [u16; 4]);
    let table: [Row; 9] = [
        ("GET", "", [303, 200, 200, 200]),
        ("GET", "/preview", [303, 200, 200, 200]),
        ("GET", "/revisions", [303, 200, 200, 200]),
        ("POST", "save", [303, 303, 403, 303]),
        ("POST", "submit", [303, 303, 403, 303]),
        ("POST", "publish", [303, 403, 403, 303]),
        ("POST", "schedule", [303, 403, 403, 303]),
        ("POST", "/revisions/1/restore", [303, 303, 403, 303]),
        ("POST", "/translate", [303, 303, 303, 303]),
    ];
    let who = [&anonymous, &author, &other, &editor];
    let names = ["anonymous", "author", "other analyst", "editor"];
    let tomorrow = (time::OffsetDateTime::now_utc() + time::Duration::days(1))
        .format(time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]"
        ))
        .expect("format");
    for (method, what, expected) in table {
        for ((s, name), want) in who.iter().zip(names).zip(expected) {
            let id = draft(&app, &author, "en", &format!("Row {what} {name}"), "Text.").await;
            // The article also has a revision 2, so that restoring 1 changes something.
            save(&app, &author, &id, &[("lead", "A lead.")], "save").await;
            let got = match (method, what) {
                ("GET", path) => {
                    get(&app, s, &format!("/desk/articles/{id}{path}"))
                        .await
                        .status
                }
                ("POST", path) if path.starts_with('/') => {
                    let fields: &[(&str, &str)] = if path == "/translate" {
                        &[("lang", "ru")]
                    } else {
                        &[]
                    };
                    post(&app, s, &format!("/desk/articles/{id}{path}"), fields)
                        .await
                        .status
                }
                (_, action) => {
                    // The author's form, sent by `s` with the button `action`.
                    let page = get(&app, &author, &format!("/desk/articles/{id}"))
                        .await
                        .doc();
                    save_from(
                        &app,
                        s,
                        &id,
                        &page,
                        &[("publish_at", tomorrow.as_str())],
                        action,
                    )
                    .await
                    .status
                }
            };
            assert_eq!(got.as_u16(), want, "{method} {what} as {name}");
            // Each row leaves the week's cell free for the next.
            remove_from_week(&app, &id).await;
        }
    }
}

/// Moves a test's article out of the shared week, so that the next one is not refused as a
/// second commentary on the same topic.
async fn remove_from_week(app: &TestApp, id: &str) {
    let store = &app.archive.store;
    let id: i64 = id.parse().expect("id");
    let a = store
        .desk_article(id)
        .await
        .expect("read")
        .expect("article");
    let mut c = a.content.clone();
    c.period = "2020-W01".parse().expect("period");
    store
        .save_desk_content(
            id,
            a.revision,
            &c,
            a.author_id,
            "moved by the test",
            time::OffsetDateTime::now_utc(),
        )
        .await
        .expect("moved");
    store.remove_article(&a.article_key).await.expect("removed");
}

/// §5: a published article changed by an editor says so on the public page, "Updated" with
/// the date and the correction note, and its link preview's modification date follows.
#[tokio::test]
async fn a_changed_publication_shows_updated_and_its_correction() {
    let app = sample_site().await;
    let ed = account(&app, "ed@example.org", "Ed Editor", Role::Editor).await;
    let id = draft(
        &app,
        &ed,
        "en",
        "Customs talks in Arvenia",
        "Talks began on Monday.",
    )
    .await;
    assert_eq!(
        save(&app, &ed, &id, &[], "publish").await.status,
        StatusCode::SEE_OTHER
    );
    let public = get(&app, &ed, &format!("/desk/articles/{id}/public"))
        .await
        .location;
    let first = app.page(&public).await;
    assert!(
        texts(&first, ".article-updated").is_empty(),
        "not changed yet"
    );
    let changed = save(
        &app,
        &ed,
        &id,
        &[
            ("body", "Talks began on Tuesday."),
            ("correction", "The talks began on Tuesday, not Monday."),
        ],
        "publish",
    )
    .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    let page = app.page(&public).await;
    let updated = text(&page, ".article-updated");
    assert!(
        updated.contains("The talks began on Tuesday, not Monday."),
        "{updated}"
    );
    let published = attrs(&page, ".article-meta time", "datetime");
    assert_eq!(published.len(), 2, "published and updated: {published:?}");
    let ld: serde_json::Value =
        serde_json::from_str(&texts(&page, "script[type='application/ld+json']").remove(0))
            .expect("JSON-LD");
    assert_eq!(ld["dateModified"], published[1].as_str());
    assert_eq!(ld["datePublished"], published[0].as_str());
}

/// §4: once an article is published, its editor moves it to another storyline and pins or
/// excludes similar articles from its page in the desk; readers' pages follow at once.
#[tokio::test]
async fn an_editor_curates_storyline_and_similar_list_from_the_desk() {
    let app = sample_site().await;
    let ed = account(&app, "ed@example.org", "Ed Editor", Role::Editor).await;
    let ana = account(&app, "ana@example.org", "Ana Analyst", Role::Analyst).await;
    let id = draft(
        &app,
        &ed,
        "en",
        "Iron Ridge drills end in Arvenia",
        "The Iron Ridge drills ended; troops returned to their bases.",
    )
    .await;
    assert_eq!(
        save(&app, &ed, &id, &[], "publish").await.status,
        StatusCode::SEE_OTHER
    );
    app.app.state.newsroom.settle().await;
    let public = get(&app, &ed, &format!("/desk/articles/{id}/public"))
        .await
        .location;
    let desk_page = get(&app, &ed, &format!("/desk/articles/{id}")).await.doc();
    let before = attrs(&desk_page, "#current-storyline", "href").remove(0);
    assert!(
        attrs(&app.page(&public).await, "a", "href").contains(&before),
        "the public page links the storyline the threader chose"
    );
    // Analysts do not curate.
    assert_eq!(
        post(
            &app,
            &ana,
            &format!("/desk/articles/{id}/storyline"),
            &[("to", "new")]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let moved = post(
        &app,
        &ed,
        &format!("/desk/articles/{id}/storyline"),
        &[("to", "new")],
    )
    .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.body);
    let desk_page = get(&app, &ed, &format!("/desk/articles/{id}")).await.doc();
    let after_link = attrs(&desk_page, "#current-storyline", "href").remove(0);
    assert_ne!(before, after_link, "a new storyline");
    // The new storyline has one commentary: the public page links no storyline now (one of
    // one commentary would repeat it), and the new storyline's page holds the article.
    let links = attrs(&app.page(&public).await, "a", "href");
    assert!(
        !links.contains(&before) && !links.contains(&after_link),
        "the public page follows the move: {links:?}"
    );
    assert!(attrs(&app.page(&after_link).await, "a", "href").contains(&public));

    // Pin an article of another topic first in its similar list.
    let society = app.page("/en/topics/society").await;
    let pinned = attrs(&society, ".card-title a", "href").remove(0);
    let pin = post(
        &app,
        &ed,
        &format!("/desk/articles/{id}/similar"),
        &[("article", pinned.as_str()), ("decision", "pin")],
    )
    .await;
    assert_eq!(pin.status, StatusCode::SEE_OTHER, "{}", pin.body);
    let page = app.page(&public).await;
    let similar = attrs(&page, ".similar .card-title a", "href");
    assert_eq!(similar.first(), Some(&pinned), "{similar:?}");
    // Excluded, it is gone.
    let name = pinned
        .trim_start_matches('/')
        .replacen("/articles/", "/", 1);
    post(
        &app,
        &ed,
        &format!("/desk/articles/{id}/similar"),
        &[("article", name.as_str()), ("decision", "exclude")],
    )
    .await;
    let page = app.page(&public).await;
    assert!(!attrs(&page, ".similar .card-title a", "href").contains(&pinned));
}

/// §4: before the first publication the form offers the storyline, with the threader's
/// suggestion on demand; the editor's choice holds when the article is published.
#[tokio::test]
async fn the_threader_suggests_a_storyline_before_publication_and_the_choice_holds() {
    let app = sample_site().await;
    let ed = account(&app, "ed@example.org", "Ed Editor", Role::Editor).await;
    let text = "The Iron Ridge drills ended; troops returned to their bases near Velna.";
    let first = draft(&app, &ed, "en", "Iron Ridge drills end in Arvenia", text).await;
    assert_eq!(
        save(&app, &ed, &first, &[], "publish").await.status,
        StatusCode::SEE_OTHER
    );
    app.app.state.newsroom.settle().await;
    let page = get(&app, &ed, &format!("/desk/articles/{first}"))
        .await
        .doc();
    let storyline = attrs(&page, "#current-storyline", "href").remove(0);

    // The next week's commentary on the same story.
    let created = post(
        &app,
        &ed,
        "/desk/articles",
        &[
            ("lang", "en"),
            ("topic", "security"),
            ("period", "2026-W49"),
            ("title", "Iron Ridge drills end in Arvenia, troops back"),
            ("status", "not_rated"),
            ("body", text),
            ("authors", "Ed Editor"),
        ],
    )
    .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let next = created
        .location
        .trim_start_matches("/desk/articles/")
        .to_string();
    let plain = get(&app, &ed, &format!("/desk/articles/{next}"))
        .await
        .doc();
    assert!(
        texts(&plain, "#storyline-suggestion").is_empty(),
        "only on demand"
    );
    assert_eq!(
        attrs(&plain, "a[href$='?suggest=1#storyline']", "href").len(),
        1
    );
    let asked = get(&app, &ed, &format!("/desk/articles/{next}?suggest=1"))
        .await
        .doc();
    assert_eq!(
        attrs(&asked, "#storyline-suggestion a", "href"),
        vec![storyline.clone()],
        "the threader would join the story it continues"
    );

    // A value that is none of the choices is refused next to the field.
    save(&app, &ed, &next, &[("storyline", "somewhere")], "save").await;
    let bad = get(&app, &ed, &format!("/desk/articles/{next}"))
        .await
        .doc();
    assert!(texts(&bad, "#storyline-problem")[0].contains("storyline's number"));
    // The editor decides otherwise: a storyline of its own.
    assert_eq!(
        save(&app, &ed, &next, &[("storyline", "new")], "publish")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    app.app.state.newsroom.settle().await;
    let page = get(&app, &ed, &format!("/desk/articles/{next}"))
        .await
        .doc();
    let own = attrs(&page, "#current-storyline", "href").remove(0);
    assert_ne!(
        own, storyline,
        "the editor's choice holds over the threader's"
    );
    // Published, the field gives way to curation.
    assert!(attrs(&page, "input#storyline", "value").is_empty());
}
