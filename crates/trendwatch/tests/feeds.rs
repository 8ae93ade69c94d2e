//! Issue 11 §1–§3: the public address and time zone, feeds (RSS, Atom, JSON Feed) read by
//! real parsers, sitemaps and robots.txt, canonical links, descriptions, link previews and
//! schema.org data read by a real extractor. The parsers are PyPI's `feedparser`,
//! `jsonfeed-util` and `extruct`; without them the tests that need them say SKIPPED.

mod common;

use common::*;
use reqwest::StatusCode;
use std::collections::BTreeMap;
use trendwatch_core::Language;

const BASE: &str = "https://monitor.example.org";
const CONFIG: &str =
    "[site]\nbase_url = \"https://monitor.example.org/\"\ntime_zone = \"Europe/Vienna\"\n";

/// The fixtures on a site with a public address.
async fn site() -> TestApp {
    fixture_site(Some(CONFIG)).await
}

/// The path of an absolute URL of the site.
fn local(url: &str) -> String {
    url.strip_prefix(BASE)
        .unwrap_or_else(|| panic!("{url} is not on {BASE}"))
        .to_string()
}

/// Every feed folder: the site's, each topic's and each storyline's, in both languages.
async fn feed_folders(app: &TestApp) -> Vec<String> {
    let mut dirs = Vec::new();
    for lang in Language::ALL {
        let code = lang.code();
        dirs.push(format!("/{code}/"));
        for topic in ["society", "east", "security"] {
            dirs.push(format!("/{code}/topics/{topic}/"));
        }
        for s in app
            .archive
            .store
            .recent_storylines(lang, 50)
            .await
            .expect("storylines")
        {
            dirs.push(format!("/{code}/storylines/{}/", s.id));
        }
    }
    dirs
}

const PARSE_FEEDS: &str = r#"
import json, sys, feedparser, jsonfeed
out = []
for path in sys.argv[1:]:
    text = open(path, encoding="utf-8").read()
    if path.endswith(".json"):
        f = jsonfeed.Feed.parse_string(text)
        out.append({"bozo": False, "version": f.version, "entries": [
            {"id": i.id, "title": i.title, "link": i.url, "published": str(i.date_published),
             "content": i.content_html or "", "tags": list(i.tags or [])} for i in f.items]})
    else:
        d = feedparser.parse(text)
        out.append({"bozo": bool(d.bozo), "error": str(d.get("bozo_exception", "")),
            "version": d.version, "entries": [
            {"id": e.get("id"), "title": e.get("title"), "link": e.get("link"),
             "published": e.get("published"),
             "content": e.content[0].value if "content" in e else "",
             "tags": [t.term for t in e.get("tags", [])]} for e in d.entries]})
print(json.dumps(out))
"#;

#[tokio::test]
async fn every_feed_parses_cleanly_with_markers_full_content_and_stable_ids() {
    let app = site().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let mut files = Vec::new();
    let mut names = Vec::new();
    for dir in feed_folders(&app).await {
        for (file, media) in [
            ("feed.xml", "application/rss+xml"),
            ("atom.xml", "application/atom+xml"),
            ("feed.json", "application/feed+json"),
        ] {
            let path = format!("{dir}{file}");
            let f = app.get(&path).await;
            assert_eq!(f.status, StatusCode::OK, "{path}");
            assert!(
                f.headers["content-type"]
                    .to_str()
                    .expect("ascii")
                    .starts_with(media),
                "{path}"
            );
            let out = tmp.path().join(format!("{}.{file}", files.len()));
            std::fs::write(&out, &f.body).expect("write");
            files.push(out.display().to_string());
            names.push(path);
        }
    }
    let Some(python) = python_with(&["feedparser", "jsonfeed"]) else {
        return;
    };
    let parsed = run_python(&python, PARSE_FEEDS, &files);
    let mut ids_by_folder: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
    for (name, feed) in names.iter().zip(parsed.as_array().expect("list")) {
        assert_eq!(feed["bozo"], false, "{name}: {}", feed["error"]);
        let want = match &name[name.rfind('/').map_or(0, |i| i + 1)..] {
            "feed.xml" => "rss20",
            "atom.xml" => "atom10",
            _ => "https://jsonfeed.org/version/1.1",
        };
        assert_eq!(feed["version"], want, "{name}");
        let entries = feed["entries"].as_array().expect("entries");
        // A topic without commentaries in one edition has an empty (valid) feed.
        assert!(
            !entries.is_empty() || name.contains("/topics/"),
            "{name} has items"
        );
        let mut ids = Vec::new();
        for e in entries {
            let id = e["id"].as_str().expect("id");
            assert!(
                id.starts_with("tag:monitor.example.org,2026:article/"),
                "{id}"
            );
            ids.push(id.to_string());
            let title = e["title"].as_str().expect("title");
            assert!(
                title.starts_with(['▲', '■', '▼', '○']),
                "{name}: the status marker leads {title:?}"
            );
            let link = e["link"].as_str().expect("link");
            assert_eq!(app.get(&local(link)).await.status, StatusCode::OK, "{link}");
            // Europe/Vienna in October: +02:00 until the 25th, +01:00 after.
            let published = e["published"].as_str().expect("published");
            assert!(
                ["+02:00", "+01:00", "+0200", "+0100"]
                    .iter()
                    .any(|o| published.contains(o)),
                "{name}: {published} carries the office's offset"
            );
            let content = e["content"].as_str().expect("content");
            assert!(content.contains("<strong>"), "{name}: marker in content");
            // The marker paragraph, then the body.
            assert!(
                content.matches("<p").count() >= 2,
                "{name}: full content, got {content:?}"
            );
            assert!(!e["tags"].as_array().expect("tags").is_empty(), "{name}");
        }
        let folder = name[..name.rfind('/').expect("slash") + 1].to_string();
        ids_by_folder.entry(folder).or_default().push(ids);
    }
    for (folder, formats) in &ids_by_folder {
        assert_eq!(formats.len(), 3, "{folder}");
        assert!(
            formats.iter().all(|ids| ids == &formats[0]),
            "{folder}: the same items in every format: {formats:?}"
        );
    }
}

#[tokio::test]
async fn item_ids_survive_reimports_and_edits_and_unknown_feeds_answer_404() {
    let archive = TestArchive::fresh_with_config(CONFIG).await;
    let dir = tempfile::tempdir().expect("tmp");
    // A source's own identifier (`id`) is the article's identity; without one, a file's is
    // its language, date and headline, so only an `id` survives a new headline.
    let original =
        std::fs::read_to_string(fixtures().join("markdown/content/society/media-bill.md"))
            .expect("fixture")
            .replacen("---\n", "---\nid: society-2026-w42\n", 1);
    // The folder names the topic, as in the fixture.
    std::fs::create_dir_all(dir.path().join("society")).expect("mkdir");
    let file = dir.path().join("society/media-bill.md");
    std::fs::write(&file, &original).expect("write");
    let report = archive.import(&[dir.path().to_path_buf()]).await;
    assert_eq!(report.created, 1, "{report}: {:?}", report.rejected);
    let app = archive.serve().await;
    let before = app.get("/en/feed.json").await.body;
    let before: serde_json::Value = serde_json::from_str(&before).expect("JSON");
    let id = before["items"][0]["id"].as_str().expect("id").to_string();
    // The commentary is edited (headline, text) and imported again.
    let edited = original
        .replace(
            "Draft media law would require licences for online outlets",
            "Media law draft: licences for online outlets",
        )
        .replace("Most independent", "Nearly all independent");
    std::fs::write(&file, edited).expect("write");
    let report = app.archive.import(&[dir.path().to_path_buf()]).await;
    assert_eq!(report.updated, 1, "{report}");
    // The running site notices the new content within a second; the test does not wait.
    app.app.state.cache.clear();
    let after: serde_json::Value =
        serde_json::from_str(&app.get("/en/feed.json").await.body).expect("JSON");
    assert_eq!(after["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(after["items"][0]["id"], id.as_str());
    assert!(after["items"][0]["title"]
        .as_str()
        .expect("title")
        .ends_with("Media law draft: licences for online outlets"));
    for missing in [
        "/en/topics/no-such-topic/feed.xml",
        "/en/storylines/999999/atom.xml",
        "/en/storylines/x/feed.json",
        "/xx/feed.xml",
    ] {
        assert_eq!(
            app.get(missing).await.status,
            StatusCode::NOT_FOUND,
            "{missing}"
        );
    }
}

#[tokio::test]
async fn feeds_revalidate_with_304_and_match_their_snapshots() {
    let app = site().await;
    for path in [
        "/en/feed.xml",
        "/ru/atom.xml",
        "/en/topics/society/feed.json",
    ] {
        let first = app.get(path).await;
        let etag = first.headers["etag"].to_str().expect("etag").to_string();
        let again = app.get_with(path, &[("if-none-match", &etag)]).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{path}");
        let name = path.trim_start_matches('/').replace('/', "_");
        insta::assert_snapshot!(name, first.body);
    }
}

#[tokio::test]
async fn pages_announce_their_feeds_and_name_their_canonical_address() {
    let app = site().await;
    let storyline = app
        .archive
        .store
        .recent_storylines(Language::En, 1)
        .await
        .expect("storylines")[0]
        .id;
    let article = "/en/articles/draft-media-law-would-require-licences-for-online-outlets";
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let pages: Vec<(String, Vec<String>)> = vec![
        ("/en/".into(), strings(&["/en/"])),
        ("/ru/".into(), strings(&["/ru/"])),
        (
            "/en/topics/society".into(),
            strings(&["/en/", "/en/topics/society/"]),
        ),
        (article.into(), strings(&["/en/", "/en/topics/society/"])),
        (
            format!("/en/storylines/{storyline}"),
            vec!["/en/".into(), format!("/en/storylines/{storyline}/")],
        ),
        ("/en/dynamics".into(), strings(&["/en/"])),
        ("/en/weeks/2026-w42".into(), strings(&["/en/"])),
        ("/en/about".into(), strings(&["/en/"])),
    ];
    for (path, folders) in pages {
        let doc = app.page(&path).await;
        assert_eq!(
            attrs(&doc, "link[rel=canonical]", "href"),
            vec![format!("{BASE}{path}")],
            "{path}"
        );
        let description = attrs(&doc, "meta[name=description]", "content");
        assert!(
            description.len() == 1 && !description[0].trim().is_empty(),
            "{path}: {description:?}"
        );
        let mut want = Vec::new();
        for folder in folders {
            for file in ["feed.xml", "atom.xml", "feed.json"] {
                want.push(format!("{BASE}{folder}{file}"));
            }
        }
        assert_eq!(
            attrs(&doc, "link[rel=alternate][type]", "href"),
            want,
            "{path}"
        );
    }
    let doc = app.page(article).await;
    assert_eq!(
        attrs(&doc, "link[rel=alternate][hreflang=ru]", "href"),
        vec![format!(
            "{BASE}/ru/articles/zakonoproekt-o-smi-obyazhet-internet-izdaniya-poluchat-litsenzii"
        )]
    );
}

const EXTRACT: &str = r#"
import json, sys, extruct
html = open(sys.argv[1], encoding="utf-8").read()
data = extruct.extract(html, base_url=sys.argv[2], syntaxes=["json-ld", "opengraph"], uniform=True)
print(json.dumps(data))
"#;

#[tokio::test]
async fn article_pages_carry_opengraph_twitter_and_schema_org_data() {
    let app = site().await;
    let path = "/en/articles/draft-media-law-would-require-licences-for-online-outlets";
    let page = app.get(path).await;
    let doc = page.doc();
    // Twitter cards are plain meta names; read them from the DOM.
    assert_eq!(
        attrs(&doc, "meta[name='twitter:card']", "content"),
        vec!["summary_large_image"]
    );
    assert_eq!(
        attrs(&doc, "meta[name='twitter:title']", "content"),
        vec![text(&doc, "h1")]
    );
    let Some(python) = python_with(&["extruct"]) else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let file = tmp.path().join("article.html");
    std::fs::write(&file, &page.body).expect("write");
    let data = run_python(
        &python,
        EXTRACT,
        &[file.display().to_string(), format!("{BASE}{path}")],
    );
    let og = &data["opengraph"][0];
    assert_eq!(og["og:title"], text(&doc, "h1").as_str());
    // extruct's uniform form moves og:type to "@type".
    assert_eq!(og["@type"], "article");
    assert_eq!(og["og:url"], format!("{BASE}{path}").as_str());
    assert_eq!(
        og["og:image"],
        "https://monitor.arvenia.example/img/assembly.jpg"
    );
    assert_eq!(
        og["og:image:alt"],
        "Deputies in the chamber of the Arvenian Assembly (sample image)"
    );
    assert_eq!(og["og:locale"], "en_GB");
    assert_eq!(og["article:published_time"], "2026-10-19T10:30:00+02:00");
    assert_eq!(og["article:section"], "Society and political parties");
    assert_eq!(og["og:locale:alternate"], "ru_RU");
    let ld = &data["json-ld"][0];
    assert_eq!(ld["@type"], "AnalysisNewsArticle");
    assert_eq!(ld["headline"], text(&doc, "h1").as_str());
    assert_eq!(ld["datePublished"], "2026-10-19T10:30:00+02:00");
    assert_eq!(ld["inLanguage"], "en");
    assert_eq!(ld["articleSection"], "Society and political parties");
    assert_eq!(ld["author"][0]["name"], "Mikael Sorn");
    assert_eq!(
        ld["image"][0],
        "https://monitor.arvenia.example/img/assembly.jpg"
    );
    assert_eq!(
        ld["mainEntityOfPage"]["@id"],
        format!("{BASE}{path}").as_str()
    );
}

/// One `<url>` of a sitemap: its `<loc>`, `<lastmod>` and `hreflang` alternates.
type Entry = (String, Option<String>, Vec<(String, String)>);

/// Every `<url>` of a sitemap.
fn sitemap_entries(xml: &str) -> Vec<Entry> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = Vec::new();
    let mut current: Option<Entry> = None;
    let mut field = String::new();
    loop {
        match reader.read_event().expect("well-formed sitemap") {
            Event::Start(e) if e.name().as_ref() == b"url" => {
                current = Some((String::new(), None, Vec::new()))
            }
            Event::Start(e) => field = String::from_utf8_lossy(e.name().as_ref()).into(),
            Event::Empty(e) if e.name().as_ref() == b"xhtml:link" => {
                let get = |k: &[u8]| {
                    e.try_get_attribute(k)
                        .ok()
                        .flatten()
                        .map(|a| a.unescape_value().expect("value").into_owned())
                        .unwrap_or_default()
                };
                if let Some(c) = current.as_mut() {
                    c.2.push((get(b"hreflang"), get(b"href")));
                }
            }
            // quick-xml hands text and entity references (`&amp;`) over separately.
            ev @ (Event::Text(_) | Event::GeneralRef(_)) => {
                let value = match ev {
                    Event::Text(t) => t.decode().expect("UTF-8").into_owned(),
                    Event::GeneralRef(r) => {
                        quick_xml::escape::unescape(&format!("&{};", r.decode().expect("UTF-8")))
                            .expect("known entity")
                            .into_owned()
                    }
                    _ => String::new(),
                };
                if let Some(c) = current.as_mut() {
                    match field.as_str() {
                        "loc" => c.0.push_str(&value),
                        "lastmod" => c.1.get_or_insert_with(String::new).push_str(&value),
                        _ => {}
                    }
                }
            }
            Event::End(e) if e.name().as_ref() == b"url" => out.extend(current.take()),
            Event::End(_) => field.clear(),
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

#[tokio::test]
async fn sitemap_lists_every_page_with_alternates_and_robots_names_it() {
    let app = site().await;
    let robots = app.get("/robots.txt").await;
    assert_eq!(robots.status, StatusCode::OK);
    assert!(robots
        .body
        .lines()
        .any(|l| l == format!("Sitemap: {BASE}/sitemap.xml")));
    let sitemap = app.get("/sitemap.xml").await;
    assert_eq!(sitemap.status, StatusCode::OK);
    let entries = sitemap_entries(&sitemap.body);
    let locs: Vec<String> = entries.iter().map(|e| local(&e.0)).collect();
    // Every commentary of both editions is listed, and every listed page answers.
    for lang in Language::ALL {
        let articles = app
            .archive
            .store
            .feed_articles(lang, &trendwatch_store::Listing::All, 1000)
            .await
            .expect("articles");
        for a in articles {
            let url = format!("/{}/articles/{}", lang.code(), a.content.slug);
            assert!(locs.contains(&url), "{url} missing from the sitemap");
        }
    }
    // Weekly overviews and storylines are listed too; a storyline only where it has more
    // than one commentary (that of the newest Russian one has one), though its page answers.
    assert!(locs.contains(&"/en/weeks/2026-w42".to_string()), "{locs:?}");
    let storyline = app
        .archive
        .store
        .recent_storylines(Language::En, 1)
        .await
        .expect("storylines")[0]
        .id;
    assert!(
        locs.contains(&format!("/en/storylines/{storyline}")),
        "{locs:?}"
    );
    let ru_article = app
        .archive
        .store
        .feed_articles(Language::Ru, &trendwatch_store::Listing::All, 1)
        .await
        .expect("articles")
        .remove(0);
    let lonely = app
        .archive
        .store
        .storyline_of(ru_article.id)
        .await
        .expect("store")
        .expect("threaded");
    let lonely_url = format!("/ru/storylines/{lonely}");
    assert!(!locs.contains(&lonely_url), "{locs:?}");
    assert_eq!(app.get(&lonely_url).await.status, StatusCode::OK);
    for loc in &locs {
        assert_eq!(app.get(loc).await.status, StatusCode::OK, "{loc}");
    }
    for (loc, lastmod, _) in &entries {
        let m = lastmod.as_deref().expect("lastmod");
        assert!(m.ends_with("+01:00") || m.ends_with("+02:00"), "{loc}: {m}");
    }
    let (_, _, alternates) = entries
        .iter()
        .find(|e| {
            e.0.ends_with("/en/articles/draft-media-law-would-require-licences-for-online-outlets")
        })
        .expect("translated article");
    assert_eq!(
        alternates
            .iter()
            .map(|(l, _)| l.as_str())
            .collect::<Vec<_>>(),
        ["en", "ru"]
    );
    assert_eq!(
        app.get("/sitemaps/1.xml").await.status,
        StatusCode::NOT_FOUND,
        "one file: no index"
    );
}

#[tokio::test]
async fn without_a_base_url_links_use_the_address_the_server_listens_on() {
    let archive = TestArchive::fresh().await;
    archive.import(&[fixtures().join("markdown")]).await;
    let app = archive.serve().await;
    let doc = app.page("/en/").await;
    assert_eq!(
        attrs(&doc, "link[rel=canonical]", "href"),
        vec![format!("{}/en/", app.app.url())]
    );
    let rss = app.get("/en/feed.xml").await.body;
    assert!(
        rss.contains(&format!("<link>{}/en/</link>", app.app.url())),
        "{rss}"
    );
}
