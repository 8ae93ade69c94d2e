//! A full disk under the data folder (issue 14 §3): an import into a small tmpfs stops with
//! a clear error, the articles it had committed before are there, the database passes
//! `integrity_check`, and once there is room again the same import completes. Needs root
//! (to mount the tmpfs); skipped, saying so, otherwise.

use std::path::Path;
use std::process::{Command, Output};

struct Mount(std::path::PathBuf);

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
    std::fs::create_dir(&small).expect("mount point");
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=3m", "tmpfs"])
        .arg(&small)
        .output();
    if !mounted.as_ref().is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: full disk: cannot mount a tmpfs here (needs root)");
        return;
    }
    let _mount = Mount(small.clone());
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
