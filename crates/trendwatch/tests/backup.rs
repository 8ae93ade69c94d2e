//! Issue 11 §7: `trendwatch backup` takes a consistent snapshot of a running site (database,
//! uploaded images, configuration) and `trendwatch restore` brings it back; every public
//! page and image of the restored site is the same, byte for byte.

mod common;

use common::*;
use reqwest::StatusCode;

const CONFIG: &str = "[site]\nbase_url = \"https://monitor.example.org\"\ntime_zone = \"Europe/Vienna\"\nname_en = \"Arvenia Monitor (sample)\"\n";

/// Every public address of a site: its sitemap's pages, the feeds, robots.txt and the
/// sitemap itself.
async fn public_paths(app: &TestApp) -> Vec<String> {
    let sitemap = app.get("/sitemap.xml").await.body;
    let mut paths: Vec<String> = sitemap
        .split("<loc>")
        .skip(1)
        .filter_map(|s| s.split("</loc>").next())
        .map(|u| {
            u.trim_start_matches("https://monitor.example.org")
                .to_string()
        })
        .collect();
    for dir in [
        "/en/",
        "/ru/",
        "/en/topics/society/",
        "/en/topics/security/",
    ] {
        for f in ["feed.xml", "atom.xml", "feed.json"] {
            paths.push(format!("{dir}{f}"));
        }
    }
    paths.extend([
        "/robots.txt".into(),
        "/sitemap.xml".into(),
        "/en/search?q=drills".into(),
    ]);
    paths
}

/// An image as the desk stores an upload: re-encoded, under a random name.
fn uploaded_image(data_dir: &std::path::Path, stem: &str) -> String {
    let img = image::RgbImage::from_fn(40, 30, |x, y| {
        image::Rgb([(x * 6) as u8, (y * 8) as u8, 70])
    });
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("png");
    let (bytes, kind) = trendwatch_web::uploads::reencode(&png).expect("re-encoded");
    let dir = trendwatch_web::uploads::dir(data_dir);
    trendwatch_web::uploads::store(&dir, &bytes, kind, stem).expect("stored")
}

#[tokio::test]
async fn a_backup_of_a_running_site_restores_every_page_byte_for_byte() {
    let app = fixture_site(Some(CONFIG)).await;
    let image = uploaded_image(
        &app.archive.config.data_dir,
        "0123456789abcdef0123456789abcdef",
    );
    // An upload under way (its temporary file) is not an image yet and stays out.
    let dir = trendwatch_web::uploads::dir(&app.archive.config.data_dir);
    std::fs::write(
        dir.join(".fedcba9876543210fedcba9876543210.png.tmp"),
        b"half",
    )
    .expect("tmp");
    let out = tempfile::tempdir().expect("tmp");
    let file = out.path().join("site.tar");
    // Taken while the site serves.
    let manifest = trendwatch::backup::backup(&app.archive.store, &app.archive.config, &file)
        .await
        .expect("backup");
    assert_eq!(
        manifest.files,
        vec![
            "trendwatch.sqlite3".to_string(),
            "trendwatch.toml".to_string(),
            format!("uploads/{image}"),
        ]
    );
    assert!(
        std::fs::read_dir(out.path()).expect("list").count() == 1,
        "no working files left beside the backup"
    );
    // A second backup never overwrites the first.
    let again = trendwatch::backup::backup(&app.archive.store, &app.archive.config, &file).await;
    assert!(format!("{:#}", again.expect_err("exists")).contains("already exists"));

    let restored_dir = tempfile::tempdir().expect("tmp");
    trendwatch::backup::restore(&file, restored_dir.path()).expect("restore");
    let restored = TestArchive::open(restored_dir).serve().await;
    let mut paths = public_paths(&app).await;
    assert!(paths.len() > 40, "{paths:?}");
    paths.push(format!("/uploads/{image}"));
    for path in &paths {
        let (a, b) = (app.get(path).await, restored.get(path).await);
        assert_eq!(a.status, StatusCode::OK, "{path}");
        assert_eq!(b.status, StatusCode::OK, "{path}");
        assert!(a.body == b.body, "{path} differs after the restore");
    }
    // The image itself, byte for byte (the page bodies above are text).
    let image_bytes = |dir: &std::path::Path| {
        std::fs::read(trendwatch_web::uploads::dir(dir).join(&image)).expect("image")
    };
    assert_eq!(
        image_bytes(&restored.archive.config.data_dir),
        image_bytes(&app.archive.config.data_dir)
    );
}

#[tokio::test]
async fn restore_refuses_an_existing_archive_and_foreign_files() {
    let app = fixture_site(Some(CONFIG)).await;
    let out = tempfile::tempdir().expect("tmp");
    let file = out.path().join("site.tar");
    trendwatch::backup::backup(&app.archive.store, &app.archive.config, &file)
        .await
        .expect("backup");
    // Into a data directory that already has an archive: refused, nothing changed.
    let err = trendwatch::backup::restore(&file, app.archive.dir.path()).expect_err("refused");
    assert!(
        format!("{err:#}").contains("restore into a new data directory"),
        "{err:#}"
    );
    // A tar with anything else in it (a path out of the data directory, a file in uploads/
    // under a name no upload has) is refused before a file is written.
    for foreign in [
        "sub/escape.txt",
        "uploads/run.sh",
        "uploads/../../0123456789abcdef0123456789abcdef.png",
    ] {
        let evil = out.path().join("evil.tar");
        let _ = std::fs::remove_file(&evil);
        {
            let mut tar = tar::Builder::new(std::fs::File::create(&evil).expect("create"));
            let manifest = br#"{"format":1,"created":"","files":[]}"#;
            let mut header = tar::Header::new_gnu();
            header.set_size(manifest.len() as u64);
            header.set_cksum();
            tar.append_data(&mut header, "MANIFEST.json", &manifest[..])
                .expect("manifest");
            let data = b"x";
            let mut header = tar::Header::new_gnu();
            header.set_size(1);
            // Written by hand: the tar crate refuses `..` in a name it is given.
            header.as_old_mut().name[..foreign.len()].copy_from_slice(foreign.as_bytes());
            header.set_cksum();
            tar.append(&header, &data[..]).expect("entry");
            tar.finish().expect("finish");
        }
        let target = tempfile::tempdir().expect("tmp");
        let err = trendwatch::backup::restore(&evil, target.path()).expect_err("refused");
        assert!(
            format!("{err:#}").contains("unexpected entry"),
            "{foreign}: {err:#}"
        );
        assert_eq!(
            std::fs::read_dir(target.path()).expect("list").count(),
            0,
            "{foreign}: nothing written"
        );
    }
}
