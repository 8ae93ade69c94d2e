//! The evaluation commands on small fixtures written for Trendwatch (the real corpora are
//! measured in BENCHMARKS.md), so the evaluation code cannot rot.

mod common;

use common::*;
use std::process::Command;

#[test]
fn eval_threads_scores_a_labelled_stream() {
    let corpus = fixtures().join("eval").join("threads.jsonl");
    let report = trendwatch::eval::threads(&corpus, &Default::default()).expect("eval runs");
    let s = report.scores;
    assert_eq!((s.items, s.classes), (8, 3));
    assert_eq!(s.clusters, 3, "three stories, threaded apart: {report}");
    assert!(
        (s.nmi - 1.0).abs() < 1e-9 && s.pairwise_f1 == 1.0 && s.bcubed_f1 == 1.0,
        "{report}"
    );
    assert!(report.docs_per_second > 0.0);
}

#[test]
fn eval_threads_command_prints_json_with_documented_keys() {
    let data = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_trendwatch"))
        .args(["eval", "threads", "--json", "--data"])
        .arg(data.path())
        .arg("--corpus")
        .arg(fixtures().join("eval").join("threads.jsonl"))
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    for key in [
        "corpus",
        "nmi",
        "pairwise_precision",
        "pairwise_recall",
        "pairwise_f1",
        "bcubed_f1",
        "clusters",
        "classes",
        "items",
        "docs_per_second",
        "config",
    ] {
        assert!(v.get(key).is_some(), "missing {key} in {v}");
    }
    let bad = Command::new(env!("CARGO_BIN_EXE_trendwatch"))
        .args(["eval", "threads", "--data"])
        .arg(data.path())
        .arg("--corpus")
        .arg(fixtures().join("jsonl").join("articles.jsonl"))
        .output()
        .expect("run");
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("articles.jsonl:1: expected a labelled item")
    );
}

#[test]
fn eval_threads_on_the_googlenews_stream() {
    let Some(shared) = shared() else {
        eprintln!(
            "SKIPPED: ../shared is absent, so the GoogleNews threading evaluation did not run"
        );
        return;
    };
    let corpus = shared.join("corpora/googlenews-stories/mstream_News.jsonl");
    let report = trendwatch::eval::threads(&corpus, &Default::default()).expect("eval runs");
    // Regression guard at the level measured in BENCHMARKS.md (NMI 0.877, F1 0.705, 298
    // storylines; the threader is deterministic), above the plain one-pass TF-IDF centroid
    // anchor (NMI 0.842, F1 0.673).
    let s = report.scores;
    assert!(
        s.nmi > 0.87 && s.pairwise_f1 > 0.70 && s.clusters <= 300,
        "{report}"
    );
}
