//! A full disk under the data folder (issue 14 §3): an import into a small tmpfs stops with
//! a clear error, the articles it had committed before are there, the database passes
//! `integrity_check`, and once there is room again the same import completes. On
//! PostgreSQL the data folder holds only the search index: the articles all reach the
//! database, the import says clearly that the index could not be written, the database
//! passes `amcheck`, and with room again the index is rebuilt. Needs root (to mount the
//! tmpfs) and, for PostgreSQL, `TRENDWATCH_TEST_DATABASE_URL`; skipped, saying so, otherwise.

use std::path::Path;
use std::process::{Command, Output};

struct Mount(std::path::PathBuf);

/// A tmpfs of `size` mounted at a new folder `dir`, or `None` (said) where that needs a
/// privilege this process lacks.
fn mount_small(dir: &Path, size: &str) -> Option<Mount> {
    std::fs::create_dir(dir).expect("mount point");
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(dir)
        .output();
    if !mounted.as_ref().is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: full disk: cannot mount a tmpfs here (needs root)");
        return None;
    }
    Some(Mount(dir.to_path_buf()))
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn import(data: &Path, archive: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trendwatch"))
        .arg("--data")
        .arg(data)
        .args(["import", "--no-progress"])
        .arg(archive)
        .env("RUST_LOG", "warn")
        .env_remove("TRENDWATCH_DATABASE_URL")
        .output()
        .expect("run the import")
}

#[test]
fn an_import_onto_a_full_disk_stops_clearly_and_leaves_a_sound_archive() {
    let work = tempfile::tempdir().expect("temp dir");
    let small = work.path().join("small");
    let Some(_mount) = mount_small(&small, "3m") else {
        return;
    };
    let archive = work.path().join("archive");
    trendwatch::generate::generate(1500, &archive).expect("generate");
    let data = small.join("data");

    let out = import(&data, &archive);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "the import cannot fit in 3 MB:\n{stderr}"
    );
    assert!(
        stderr.contains("disk is full") || stderr.contains("No space left on device"),
        "the error says the disk is full:\n{stderr}"
    );
    assert!(
        stderr.lines().count() <= 10,
        "one clear error, not a flood:\n{stderr}"
    );
    // Nothing corrupt: the database opens and checks out.
    let conn = rusqlite::Connection::open(data.join(trendwatch_sqlite::DB_FILE)).expect("open");
    let verdict: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(verdict, "ok");
    drop(conn);

    // Room again (the folder moved to a roomy disk): the same import completes.
    let roomy = work.path().join("roomy");
    let status = Command::new("cp")
        .arg("-a")
        .arg(&data)
        .arg(&roomy)
        .status()
        .expect("cp");
    assert!(status.success());
    let out = import(&roomy, &archive);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("0 rejected"), "{stdout}");
    let conn = rusqlite::Connection::open(roomy.join(trendwatch_sqlite::DB_FILE)).expect("open");
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM articles", [], |r| r.get(0))
        .expect("count");
    assert_eq!(n, 1500);
}

#[tokio::test]
async fn on_postgresql_a_full_data_folder_leaves_the_articles_and_a_clear_warning() {
    let Some(db) =
        trendwatch_postgres::testing::ThrowawayDatabase::create("full data folder").await
    else {
        return;
    };
    let work = tempfile::tempdir().expect("temp dir");
    let small = work.path().join("small");
    let Some(_mount) = mount_small(&small, "1m") else {
        return;
    };
    let archive = work.path().join("archive");
    trendwatch::generate::generate(1500, &archive).expect("generate");
    let data = small.join("data");
    let run = |data: &Path, args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_trendwatch"))
            .arg("--data")
            .arg(data)
            .args(args)
            .env("RUST_LOG", "warn")
            .env("TRENDWATCH_DATABASE_URL", &db.url)
            .output()
            .expect("run trendwatch")
    };
    let archive_arg = archive.to_str().expect("a UTF-8 path");
    let out = run(&data, &["import", "--no-progress", archive_arg]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    // The articles are the database's, which has room: all of them are written.
    assert!(
        stdout.contains("1500 articles created") && stdout.contains("0 rejected"),
        "{stdout}\n{stderr}"
    );
    // What could not be written is named, with the reason, in a line or two.
    assert!(
        stderr.contains("search index not updated") && stderr.contains("No space left on device"),
        "the warning says the search index's disk is full:\n{stderr}"
    );
    assert!(stderr.lines().count() <= 10, "not a flood:\n{stderr}");
    let checked = trendwatch_postgres::testing::amcheck(&db.url)
        .await
        .expect("amcheck passes");
    assert!(checked > 20, "{checked} indexes checked");
    // Room again (the folder moved to a roomy disk): the index is rebuilt from the database.
    let roomy = work.path().join("roomy");
    let out = run(&roomy, &["reindex"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("1500 articles"), "{said}");
}
