//! Issue 13 §2: `trendwatch users add EMAIL --role admin` creates the first account of the
//! desk, with the password from standard input (or a prompt), held to the password rules and
//! stored only as an Argon2id hash.

mod common;

use common::*;
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn users(archive: &TestArchive, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_trendwatch"))
        .arg("--data")
        .arg(archive.dir.path())
        .arg("users")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run trendwatch users");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).expect("write stdin");
    }
    drop(input);
    child.wait_with_output().expect("finish")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

#[tokio::test]
async fn the_first_admin_is_created_from_the_cli_and_weak_passwords_are_refused() {
    let archive = TestArchive::fresh().await;
    let out = users(
        &archive,
        &[
            "add",
            "Ana@Example.org",
            "--role",
            "admin",
            "--name",
            "Ana Admin",
            "--password-stdin",
        ],
        Some("correct horse battery\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).trim(),
        "account 1 created: ana@example.org (admin)"
    );
    let stored = archive
        .store
        .user_by_email("ana@example.org")
        .await
        .expect("read")
        .expect("account");
    assert!(stored.password_hash.starts_with("$argon2id$"));
    assert_eq!(stored.user.name, "Ana Admin");

    for (args, stdin, says) in [
        (
            vec![
                "add",
                "ben@example.org",
                "--role",
                "editor",
                "--password-stdin",
            ],
            "short\n",
            "password: the password has 5 characters; at least 8 are required",
        ),
        (
            vec![
                "add",
                "ben@example.org",
                "--role",
                "editor",
                "--password-stdin",
            ],
            "Password123\n",
            "password: this password is among the most common ones",
        ),
        (
            vec![
                "add",
                "ana@example.org",
                "--role",
                "editor",
                "--password-stdin",
            ],
            "another fine passphrase\n",
            "ana@example.org already has an account",
        ),
        (
            vec![
                "add",
                "ben@example.org",
                "--role",
                "root",
                "--password-stdin",
            ],
            "another fine passphrase\n",
            "--role: unknown role \"root\"",
        ),
        (
            vec!["add", "ben@example.org", "--role", "editor"],
            "",
            "pass --password-stdin",
        ),
    ] {
        let out = users(&archive, &args, Some(stdin));
        assert!(!out.status.success(), "{args:?} was accepted");
        let err = text(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(
            !err.contains(stdin.trim()) || stdin.trim().is_empty(),
            "the password is never echoed: {err}"
        );
    }

    let list = users(&archive, &["list"], None);
    assert!(list.status.success());
    assert_eq!(text(&list.stdout), "1\tana@example.org\tadmin\tAna Admin\n");
}
