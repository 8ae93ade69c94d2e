//! `trendwatch export` (issue 11 §5): the sample site exported, served by nginx (Debian's
//! package) as plain files, and crawled there: every internal link of every page, feed and
//! sitemap answers 200 without a redirect, every `#fragment` exists, and no page of the live
//! site's sitemap is missing from the copy.

mod common;

use common::*;
use quick_xml::events::Event;
use reqwest::StatusCode;
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::process::Command;
use trendwatch_web::static_copy::static_url;

/// Most addresses visited: a runaway (links that make new links forever) fails the test.
const MAX_ADDRESSES: usize = 5000;

/// nginx serving a folder on 127.0.0.1, stopped when dropped.
struct Nginx {
    conf: PathBuf,
    binary: PathBuf,
    _dir: tempfile::TempDir,
}

impl Nginx {
    /// Debian's nginx, or `None` (the caller says it was skipped).
    fn binary() -> Option<PathBuf> {
        ["/usr/sbin/nginx", "/usr/bin/nginx"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
    }

    /// Serves `root` on `port`. nginx opens its listening socket before it daemonises, so
    /// once the start command has returned, connections are accepted: no waiting needed.
    fn start(binary: PathBuf, root: &Path, port: u16) -> Nginx {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path().display();
        // As root, nginx would hand requests to `nobody`, who cannot read a private temp dir.
        let is_root = std::fs::read_to_string("/proc/self/status")
            .map(|s| {
                s.lines()
                    .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
            })
            .unwrap_or(false);
        let user = if is_root { "user root;" } else { "" };
        let conf = dir.path().join("nginx.conf");
        std::fs::write(
            &conf,
            format!(
                "{user}\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
                 events {{ worker_connections 64; }}\n\
                 http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
                 fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
                 types {{ text/html html; text/css css; application/xml xml; application/json json;\n\
                 image/svg+xml svg; image/x-icon ico; text/plain txt; text/csv csv; }}\n\
                 default_type application/octet-stream;\n  charset utf-8;\n\
                 server {{ listen 127.0.0.1:{port}; root {}; error_page 404 /404.html; }}\n}}\n",
                root.display()
            ),
        )
        .expect("nginx.conf");
        let out = Command::new(&binary)
            .arg("-c")
            .arg(&conf)
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .output()
            .expect("nginx runs");
        assert!(
            out.status.success(),
            "nginx did not start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Nginx {
            conf,
            binary,
            _dir: dir,
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = Command::new(&self.binary)
            .arg("-c")
            .arg(&self.conf)
            .args(["-s", "stop"])
            .output();
    }
}

/// A page of the copy, as nginx serves it, parsed.
async fn copy_page(client: &reqwest::Client, url: &str) -> scraper::Html {
    let body = client
        .get(url)
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    scraper::Html::parse_document(&body)
}

/// Every address an XML document names: element text that is a URL and `href` attributes.
fn xml_links(body: &str) -> Vec<String> {
    let mut reader = quick_xml::Reader::from_str(body);
    let mut links = Vec::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) => {
                for a in e.attributes().flatten() {
                    if a.key.as_ref() == b"href" {
                        links.push(String::from_utf8_lossy(&a.value).into_owned());
                    }
                }
            }
            Event::Text(t) => {
                let t = t.decode().expect("text").trim().to_string();
                if t.starts_with("http") {
                    links.push(t);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    links
}

/// Every string in a JSON document that is a URL.
fn json_links(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) if s.starts_with("http") => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| json_links(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| json_links(x, out)),
        _ => {}
    }
}

#[tokio::test]
async fn export_served_by_nginx_has_every_page_and_no_broken_link() {
    let Some(nginx) = Nginx::binary() else {
        eprintln!(
            "SKIPPED: static export under nginx — nginx is not installed (apt-get install nginx)"
        );
        return;
    };
    let archive = TestArchive::fresh().await;
    let sample = trendwatch::sample::extract(archive.dir.path()).expect("extract sample");
    let report = archive.import(&[sample]).await;
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    let live = archive.serve().await;

    let port = unused_port();
    let base = format!("http://127.0.0.1:{port}");
    let out_dir = tempfile::tempdir().expect("temp dir");
    let out = out_dir.path().join("site");
    let exported = trendwatch::export::export(
        live.archive.store.clone(),
        &live.archive.config,
        &out,
        Some(&base),
    )
    .await
    .expect("export");
    assert!(exported.broken.is_empty(), "{:?}", exported.broken);
    assert!(exported.pages > 100, "{exported:?}");
    assert!(!out_dir.path().join("site.partial").exists());
    let _nginx = Nginx::start(nginx, &out, port);

    // Crawl the copy as a reader's browser and a feed reader would.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut queue: VecDeque<(String, String)> =
        ["/", "/en/", "/ru/", "/robots.txt", "/sitemap.xml"]
            .iter()
            .map(|p| (p.to_string(), "start".to_string()))
            .collect();
    let mut seen: HashSet<String> = queue.iter().map(|(p, _)| p.clone()).collect();
    let mut ids: BTreeMap<String, HashSet<String>> = BTreeMap::new();
    let mut fragments = Vec::new();
    let mut broken = Vec::new();
    let mut pages = 0;
    while let Some((path, from)) = queue.pop_front() {
        assert!(seen.len() <= MAX_ADDRESSES, "runaway links");
        let resp = client
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect("request");
        let status = resp.status();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = resp.text().await.expect("body");
        if status != StatusCode::OK {
            broken.push(format!("{path} (linked from {from}): {status}"));
            continue;
        }
        let mut links = Vec::new();
        if content_type.starts_with("text/html") {
            pages += 1;
            let doc = scraper::Html::parse_document(&body);
            ids.insert(
                path.clone(),
                doc.select(&sel("[id]"))
                    .filter_map(|e| e.value().attr("id").map(str::to_string))
                    .collect(),
            );
            links.extend(attrs(&doc, "a[href], link[href]", "href"));
            links.extend(attrs(&doc, "img[src], script[src]", "src"));
            links.extend(attrs(
                &doc,
                "meta[property='og:url'], meta[property='og:image']",
                "content",
            ));
            for refresh in attrs(&doc, "meta[http-equiv='refresh']", "content") {
                let target = refresh.split_once("url=").map(|(_, u)| u.to_string());
                links.extend(target);
            }
        } else if content_type.contains("xml") {
            links = xml_links(&body);
        } else if content_type.contains("json") {
            json_links(&serde_json::from_str(&body).expect("JSON"), &mut links);
        }
        for link in links {
            let link = link
                .strip_prefix(&base)
                .map_or(link.clone(), str::to_string);
            if !link.starts_with('/') || link.starts_with("//") {
                continue;
            }
            let (target, fragment) = match link.split_once('#') {
                Some(("", f)) => (path.clone(), Some(f.to_string())),
                Some((t, f)) => (t.to_string(), Some(f.to_string())),
                None => (link.clone(), None),
            };
            if let Some(f) = fragment {
                fragments.push((target.clone(), f, path.clone()));
            }
            if seen.insert(target.clone()) {
                queue.push_back((target, path.clone()));
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
    assert!(
        broken.is_empty(),
        "broken links in the copy:\n{}",
        broken.join("\n")
    );
    eprintln!(
        "crawled {} addresses of the copy, {pages} pages",
        seen.len()
    );

    // No page of the live site's sitemap is missing from the copy.
    let live_base = live.app.url();
    let mut sitemap_pages = 0;
    for file in std::iter::once("/sitemap.xml".to_string()).chain(
        xml_links(&live.get("/sitemap.xml").await.body)
            .into_iter()
            .filter(|l| l.contains("/sitemaps/"))
            .map(|l| l.replacen(&live_base, "", 1)),
    ) {
        for loc in xml_links(&live.get(&file).await.body) {
            let path = loc.replacen(&live_base, "", 1);
            if path.starts_with("/sitemaps/") {
                continue;
            }
            sitemap_pages += 1;
            let copy = static_url(&path).expect("a page of the site");
            assert!(
                seen.contains(&copy),
                "{path} of the live sitemap is not in the copy ({copy})"
            );
        }
    }
    assert!(
        sitemap_pages > 50,
        "the live sitemap lists {sitemap_pages} pages"
    );

    // The copy's pages are the live pages: same headline, with the copy's address.
    let article = live
        .page("/en/")
        .await
        .select(&sel("main a[href^='/en/articles/']"))
        .next()
        .and_then(|a| a.value().attr("href").map(str::to_string))
        .expect("an article on the home page");
    let live_doc = live.page(&article).await;
    let copy_url = format!("{base}{article}.html");
    let copy_doc = copy_page(&client, &copy_url).await;
    assert_eq!(text(&copy_doc, "h1"), text(&live_doc, "h1"));
    assert_eq!(
        attrs(&copy_doc, "link[rel=canonical]", "href"),
        vec![copy_url]
    );

    // Search says plainly that it needs the live site, in both languages.
    for lang in ["en", "ru"] {
        let doc = copy_page(&client, &format!("{base}/{lang}/search.html")).await;
        assert_eq!(doc.select(&sel("form.search-form")).count(), 0);
        assert!(!text(&doc, ".search-static").is_empty());
    }

    // An unknown address gets the site's own "not found" page from the static server.
    let missing = client
        .get(format!("{base}/en/no-such-page.html"))
        .send()
        .await
        .expect("get");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let missing_doc = scraper::Html::parse_document(&missing.text().await.expect("body"));
    let live_missing = live.get("/en/no-such-page").await;
    assert_eq!(text(&missing_doc, "h1"), text(&live_missing.doc(), "h1"));
}

#[tokio::test]
async fn export_refuses_a_folder_that_holds_files() {
    let archive = TestArchive::fresh().await;
    let out = tempfile::tempdir().expect("temp dir");
    std::fs::write(out.path().join("keep.txt"), "mine").expect("write");
    let err = trendwatch::export::export(archive.store.clone(), &archive.config, out.path(), None)
        .await
        .expect_err("a folder with files is refused");
    assert!(err.to_string().contains("not an empty folder"), "{err}");
    assert_eq!(
        std::fs::read_to_string(out.path().join("keep.txt")).expect("kept"),
        "mine"
    );
}

/// A generated archive whose editions differ (most weeks have no Russian commentary, and the
/// Russian topic pages are fewer): the export's own link check finds no link to a missing
/// page, such as a language switch to a week or a page number the other edition lacks.
#[tokio::test]
async fn export_of_uneven_editions_has_no_broken_link() {
    let site = generated_site(150).await;
    let out = tempfile::tempdir().expect("temp dir");
    let report = trendwatch::export::export(
        site.archive.store.clone(),
        &site.archive.config,
        &out.path().join("site"),
        None,
    )
    .await
    .expect("export");
    assert!(report.broken.is_empty(), "{:#?}", report.broken);
    assert!(report.pages > 150, "{report:?}");
    assert_eq!(report.base_url, trendwatch::export::LOCAL_BASE_URL);
}

/// An image uploaded in the desk and published with its article is copied into the export,
/// under the same address, byte for byte.
#[tokio::test]
async fn export_copies_uploaded_images() {
    use trendwatch_core::newsroom::{DeskContent, Transition};
    let app = sample_site().await;
    let editor = desk_account(
        &app,
        "ed@example.org",
        "Ed Editor",
        trendwatch_core::accounts::Role::Editor,
    )
    .await;
    let now = time::OffsetDateTime::now_utc();
    let user = app.archive.store.users().await.expect("users").remove(0);
    let mut content = DeskContent::empty(
        trendwatch_core::Language::En,
        "security",
        "2026-W48".parse().expect("week"),
        "Ed Editor",
    );
    content.title = "A harbour photographed in Arvenia".into();
    content.body_markdown = "Sample text.".into();
    let newsroom = app.app.state.newsroom.clone();
    let id = newsroom
        .create(&user, content, None, now)
        .await
        .expect("draft");
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(8, 8, image::Rgb([1, 2, 3])))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("png");
    let form = reqwest::multipart::Form::new()
        .text("csrf", editor.csrf.clone())
        .text("base_revision", "1")
        .text("image_alt", "A harbour")
        .part(
            "image",
            reqwest::multipart::Part::bytes(png)
                .file_name("harbour.png")
                .mime_str("image/png")
                .expect("mime"),
        );
    let resp = app
        .client
        .post(format!("{}/desk/articles/{id}/image", app.app.url()))
        .header("origin", app.app.url())
        .header("cookie", &editor.cookie)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(resp.status(), reqwest::StatusCode::SEE_OTHER);
    newsroom
        .act(&user, id, Transition::Publish, Default::default(), now)
        .await
        .expect("published");
    let url = app
        .archive
        .store
        .desk_article(id)
        .await
        .expect("read")
        .expect("article")
        .content
        .image_url;
    let out = tempfile::tempdir().expect("temp dir");
    let report = trendwatch::export::export(
        app.archive.store.clone(),
        &app.archive.config,
        &out.path().join("site"),
        None,
    )
    .await
    .expect("export");
    assert!(report.broken.is_empty(), "{:#?}", report.broken);
    let copied = std::fs::read(out.path().join("site").join(url.trim_start_matches('/')))
        .expect("the image is in the export");
    let served = app
        .client
        .get(format!("{}{url}", app.app.url()))
        .send()
        .await
        .expect("get");
    assert_eq!(copied, served.bytes().await.expect("bytes").to_vec());
}
