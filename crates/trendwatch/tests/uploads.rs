//! SECURITY.md E1–E5 (issue 13 §6): images uploaded from the desk. Against the real app on
//! 127.0.0.1, through the desk's upload form.

mod common;

use common::*;
use reqwest::multipart::{Form, Part};
use reqwest::{Client, StatusCode};
use std::io::Cursor;
use trendwatch_core::accounts::Role;

struct Desk {
    app: TestApp,
    cookie: String,
    csrf: String,
    id: i64,
}

fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The sample site, an editor signed in, and a draft to put images on.
async fn desk() -> Desk {
    let app = sample_site().await;
    let now = time::OffsetDateTime::now_utc();
    let cookie = desk_account(&app, "ed@example.org", "Ed Editor", Role::Editor)
        .await
        .cookie;
    let user = app.archive.store.users().await.expect("users").remove(0);
    let mut content = trendwatch_core::newsroom::DeskContent::empty(
        trendwatch_core::Language::En,
        "security",
        "2026-W48".parse().expect("week"),
        "Ed Editor",
    );
    content.title = "Drills in Arvenia".into();
    content.body_markdown = "Sample text.".into();
    let id = app
        .app
        .state
        .newsroom
        .create(&user, content, None, now)
        .await
        .expect("draft");
    let page = client()
        .get(format!("{}/desk/articles/{id}", app.app.url()))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("body");
    let csrf = attrs(
        &scraper::Html::parse_document(&page),
        "form.desk-upload input[name=csrf]",
        "value",
    )
    .remove(0);
    Desk {
        app,
        cookie,
        csrf,
        id,
    }
}

impl Desk {
    /// Uploads `bytes` as `file_name` with `mime` declared, through the desk's form.
    async fn upload(&self, bytes: Vec<u8>, file_name: &str, mime: &str) -> (StatusCode, String) {
        let revision = self
            .app
            .archive
            .store
            .desk_article(self.id)
            .await
            .expect("read")
            .expect("article")
            .revision;
        let form = Form::new()
            .text("csrf", self.csrf.clone())
            .text("base_revision", revision.to_string())
            .text("image_credit", "Sample Photo Agency")
            .text("image_alt", "Soldiers on a field")
            .part(
                "image",
                Part::bytes(bytes)
                    .file_name(file_name.to_string())
                    .mime_str(mime)
                    .expect("mime"),
            );
        let resp = client()
            .post(format!(
                "{}/desk/articles/{}/image",
                self.app.app.url(),
                self.id
            ))
            .header("origin", self.app.app.url())
            .header("cookie", &self.cookie)
            .multipart(form)
            .send()
            .await
            .expect("upload");
        (resp.status(), resp.text().await.unwrap_or_default())
    }

    /// The article's image address now.
    async fn image_url(&self) -> String {
        self.app
            .archive
            .store
            .desk_article(self.id)
            .await
            .expect("read")
            .expect("article")
            .content
            .image_url
    }
}

fn picture(w: u32, h: u32, format: image::ImageFormat) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 7) as u8, (y * 5) as u8, 90]));
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut out), format)
        .expect("encode");
    out
}

/// A JPEG carrying an EXIF block (camera data with a GPS position, as phones write it).
fn jpeg_with_exif() -> Vec<u8> {
    let jpeg = picture(64, 48, image::ImageFormat::Jpeg);
    let mut exif = b"Exif\0\0MM\0*\0\0\0\x08GPSLatitude 53.9 sample position".to_vec();
    let len = (exif.len() + 2) as u16;
    let mut segment = vec![0xFF, 0xE1];
    segment.extend_from_slice(&len.to_be_bytes());
    segment.append(&mut exif);
    let mut out = jpeg[..2].to_vec();
    out.extend(segment);
    out.extend_from_slice(&jpeg[2..]);
    out
}

#[tokio::test]
async fn e1_upload_size_capped_while_streaming() {
    let d = desk().await;
    let big = vec![0xFFu8; trendwatch_web::uploads::MAX_UPLOAD_BYTES + 4096];
    let (status, _) = d.upload(big, "big.jpg", "image/jpeg").await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(d.image_url().await, "", "nothing was stored");
}

#[tokio::test]
async fn e2_magic_bytes_decide_and_images_are_reencoded_without_exif() {
    let d = desk().await;
    // Text dressed as a PNG is refused, whatever its name and declared type.
    let (status, _) = d
        .upload(
            b"just some text, not a picture".to_vec(),
            "photo.png",
            "image/png",
        )
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // A declared giant is refused before it is decoded.
    let mut giant = picture(1, 1, image::ImageFormat::Png);
    giant[16..20].copy_from_slice(&50_000u32.to_be_bytes());
    giant[20..24].copy_from_slice(&50_000u32.to_be_bytes());
    let (status, _) = d.upload(giant, "giant.png", "image/png").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(d.image_url().await, "");

    let original = jpeg_with_exif();
    assert!(original.windows(4).any(|w| w == b"Exif"));
    // A JPEG named .png: its bytes decide, and it is stored as a JPEG.
    let (status, body) = d.upload(original, "holiday.png", "image/png").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let url = d.image_url().await;
    assert!(url.ends_with(".jpg"), "{url}");
    let stored = client()
        .get(format!("{}{url}", d.app.app.url()))
        .send()
        .await
        .expect("get")
        .bytes()
        .await
        .expect("bytes");
    assert!(stored.starts_with(&[0xFF, 0xD8, 0xFF]));
    assert!(!stored.windows(4).any(|w| w == b"Exif"), "EXIF removed");
    assert!(!stored.windows(11).any(|w| w == b"GPSLatitude"));
    let decoded = image::load_from_memory(&stored).expect("a valid picture");
    assert_eq!((decoded.width(), decoded.height()), (64, 48));
    // The credit and description came with it.
    let a = d
        .app
        .archive
        .store
        .desk_article(d.id)
        .await
        .expect("read")
        .expect("article");
    assert_eq!(a.content.image_credit, "Sample Photo Agency");
    assert_eq!(a.content.image_alt, "Soldiers on a field");
}

#[tokio::test]
async fn e3_svg_rejected() {
    let d = desk().await;
    let svg =
        br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.to_vec();
    let (status, _) = d.upload(svg, "chart.svg", "image/svg+xml").await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(d.image_url().await, "");
}

#[tokio::test]
async fn e4_server_generated_names_and_no_traversal() {
    let d = desk().await;
    let (status, _) = d
        .upload(
            picture(8, 8, image::ImageFormat::Png),
            "../../../../etc/passwd",
            "image/png",
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let url = d.image_url().await;
    let name = url.strip_prefix("/uploads/").expect("an upload address");
    let (stem, ext) = name.split_once('.').expect("stem.ext");
    assert_eq!(ext, "png");
    assert!(
        stem.len() == 32 && stem.bytes().all(|b| b.is_ascii_hexdigit()),
        "{stem}"
    );
    assert!(d
        .app
        .archive
        .dir
        .path()
        .join("uploads")
        .join(name)
        .is_file());
    // Nothing but such names is ever looked up.
    for path in [
        "/uploads/..%2Ftrendwatch.sqlite3",
        "/uploads/%2E%2E%2Ftrendwatch.toml",
        "/uploads/passwd",
        "/uploads/0123456789abcdef0123456789abcdef.svg",
    ] {
        assert_eq!(
            d.app.get(path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

#[tokio::test]
async fn e5_uploads_served_with_their_type_and_nosniff() {
    let d = desk().await;
    let (status, _) = d
        .upload(
            picture(8, 8, image::ImageFormat::WebP),
            "x.jpg",
            "image/jpeg",
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let url = d.image_url().await;
    assert!(url.ends_with(".webp"), "{url}");
    let got = d.app.get(&url).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.headers["content-type"], "image/webp");
    assert_eq!(got.headers["x-content-type-options"], "nosniff");
    // The preview shows it as the article's image.
    let preview = client()
        .get(format!(
            "{}/desk/articles/{}/preview",
            d.app.app.url(),
            d.id
        ))
        .header("cookie", &d.cookie)
        .send()
        .await
        .expect("preview")
        .text()
        .await
        .expect("body");
    let doc = scraper::Html::parse_document(&preview);
    assert!(attrs(&doc, "img", "src").contains(&url));
}
