//! One end-to-end walk in a real headless Chromium (Debian's `chromium`, driven by
//! Playwright from npm with its executablePath, no browser download): home → topic archive →
//! article on the sample archive, seed elements visible, screenshots kept under
//! `e2e/artifacts/`, and axe-core reporting no serious or critical violation.
//! Without Chromium, Node.js or `e2e/node_modules`, it says plainly that it was skipped.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

fn find_chromium() -> Option<String> {
    std::env::var("CHROMIUM")
        .ok()
        .into_iter()
        .chain([
            "/usr/bin/chromium".to_string(),
            "/usr/bin/chromium-browser".to_string(),
        ])
        .find(|p| Path::new(p).exists())
}

#[tokio::test]
async fn home_to_archive_to_article_in_headless_chromium() {
    let e2e = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../e2e");
    let Some(chromium) = find_chromium() else {
        eprintln!("SKIPPED: browser test — no Chromium found (apt-get install chromium)");
        return;
    };
    if !e2e.join("node_modules/playwright-core").is_dir()
        || Command::new("node").arg("--version").output().is_err()
    {
        eprintln!("SKIPPED: browser test — Node.js or e2e/node_modules missing (cd e2e && npm ci)");
        return;
    }
    let archive = TestArchive::fresh().await;
    let sample = trendwatch::sample::extract(archive.dir.path()).expect("extract sample");
    let report = archive.import(&[sample]).await;
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    let app = archive.serve().await;
    let url = app.app.url();
    // The desk's walk signs in as an admin made here.
    let (desk_email, desk_password) = ("editor-in-chief@example.org", "sample desk passphrase");
    trendwatch_service::accounts::Accounts::new(
        app.archive.store.clone(),
        trendwatch_service::accounts::SessionLimits::default(),
    )
    .add_user(
        desk_email,
        "Editor in chief",
        trendwatch_core::accounts::Role::Admin,
        desk_password,
        time::OffsetDateTime::now_utc(),
    )
    .await
    .expect("desk account");
    let artifacts = e2e.join("artifacts");
    // The image the analyst of the newsroom walk uploads (sample data, made here).
    std::fs::create_dir_all(&artifacts).expect("artifacts folder");
    let desk_image = artifacts.join("sample-upload.png");
    image::RgbImage::from_fn(120, 80, |x, y| {
        image::Rgb([(x * 2) as u8, (y * 3) as u8, 140])
    })
    .save(&desk_image)
    .expect("sample image");
    // The browser runs in its own process; this test only waits for it.
    let out = tokio::process::Command::new("node")
        .arg(e2e.join("browse.mjs"))
        .arg(&url)
        .arg(&artifacts)
        .arg(&chromium)
        .env("DESK_EMAIL", desk_email)
        .env("DESK_PASSWORD", desk_password)
        .env("DESK_IMAGE", &desk_image)
        .output()
        .await
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "browser test failed:\n{stdout}\n{stderr}"
    );
    assert!(artifacts.join("article.png").is_file(), "screenshot kept");
}
