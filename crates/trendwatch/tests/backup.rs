//! Issue 11 §7: `trendwatch backup` takes a consistent snapshot of a running site and
//! `trendwatch restore` brings it back; every public page of the restored site is the same,
//! byte for byte.

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

#[tokio::test]
async fn a_backup_of_a_running_site_restores_every_page_byte_for_byte() {
    let app = fixture_site(Some(CONFIG)).await;
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
            "trendwatch.toml".to_string()
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
    let paths = public_paths(&app).await;
    assert!(paths.len() > 40, "{paths:?}");
    for path in &paths {
        let (a, b) = (app.get(path).await, restored.get(path).await);
        assert_eq!(a.status, StatusCode::OK, "{path}");
        assert_eq!(b.status, StatusCode::OK, "{path}");
        assert!(a.body == b.body, "{path} differs after the restore");
    }
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
    // A tar with anything else in it (here a path out of the data directory) is refused
    // before a file is written.
    let evil = out.path().join("evil.tar");
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
        header.set_cksum();
        tar.append_data(&mut header, "sub/escape.txt", &data[..])
            .expect("entry");
        tar.finish().expect("finish");
    }
    let target = tempfile::tempdir().expect("tmp");
    let err = trendwatch::backup::restore(&evil, target.path()).expect_err("refused");
    assert!(format!("{err:#}").contains("unexpected entry"), "{err:#}");
    assert_eq!(std::fs::read_dir(target.path()).expect("list").count(), 0);
}
