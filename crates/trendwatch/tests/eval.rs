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
fn eval_threads_reads_ria_lines_and_reports_storyline_sizes() {
    // RIA's layout (topic, title, text, "HH:MM DD.MM.YYYY"), with sentences written for this
    // test about the fictional Republic of Arvenia.
    let dir = tempfile::tempdir().expect("tempdir");
    let corpus = dir.path().join("ria-like.jsonl");
    let line = |topic: &str, title: &str, text: &str, when: &str| {
        serde_json::json!({"id": "1", "url": "https://example.org/x", "datetime": when,
            "topic": topic, "title": title, "subtitle": "", "text": text})
        .to_string()
    };
    let gas = "Арвения и Восточный союз обсудили цену на газ на следующий год.";
    let ballet = "Театр оперы и балета Лорска открыл сезон премьерой нового балета.";
    std::fs::write(
        &corpus,
        [
            line("economy", "Переговоры о газе", gas, "09:20 20.10.2023"),
            line(
                "economy",
                "Газовые переговоры продолжились",
                gas,
                "10:05 21.10.2023",
            ),
            line(
                "culture",
                "Премьера балета в Лорске",
                ballet,
                "18:00 22.10.2023",
            ),
        ]
        .join("\n"),
    )
    .expect("write");
    let report = trendwatch::eval::threads(&corpus, &Default::default()).expect("eval runs");
    assert_eq!(
        (report.scores.items, report.scores.classes),
        (3, 2),
        "{report}"
    );
    assert_eq!(report.scores.clusters, 2, "{report}");
    assert_eq!(report.largest_storyline, 2);
    assert!((report.largest_share - 2.0 / 3.0).abs() < 1e-9);
    assert!((report.single_article_storylines - 0.5).abs() < 1e-9);
    assert!((report.articles_in_multi - 2.0 / 3.0).abs() < 1e-9);
}

/// Runs `trendwatch eval <kind> --json` on a fixture of `fixtures/eval` and parses its output.
fn eval_json(kind: &str, fixture: &str) -> serde_json::Value {
    let data = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_trendwatch"))
        .args(["eval", kind, "--json", "--data"])
        .arg(data.path())
        .arg("--corpus")
        .arg(fixtures().join("eval").join(fixture))
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

#[test]
fn eval_threads_command_prints_json_with_documented_keys() {
    let v = eval_json("threads", "threads.jsonl");
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
        "largest_storyline",
        "largest_share",
        "single_article_storylines",
        "articles_in_multi",
        "config",
    ] {
        assert!(v.get(key).is_some(), "missing {key} in {v}");
    }
    let data = tempfile::tempdir().expect("tempdir");
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
    // The goals of the storyline issue, met as measured in BENCHMARKS.md (NMI 0.888, F1
    // 0.743, 256 storylines on News; NMI 0.899 on News-T; the threader is deterministic).
    let s = report.scores;
    assert!(
        s.nmi >= 0.88 && s.pairwise_f1 >= 0.72 && s.clusters <= 300,
        "{report}"
    );
    let corpus = shared.join("corpora/googlenews-stories/mstream_News-T.jsonl");
    let report = trendwatch::eval::threads(&corpus, &Default::default()).expect("eval runs");
    assert!(report.scores.nmi >= 0.89, "{report}");
}

#[test]
fn eval_threads_on_long_articles_does_not_collapse() {
    let Some(shared) = shared() else {
        eprintln!(
            "SKIPPED: ../shared is absent, so the BBC and RIA threading evaluation did not run"
        );
        return;
    };
    // Long articles on five (BBC) and three (RIA) topics: before the background was taken off
    // each similarity, BBC threaded into 3 storylines (precision 0.20, the largest 99.9% of
    // the corpus) and RIA into one of 95%; with the background off but no coherence floor,
    // BBC's largest was 7.1%. Measured now (BENCHMARKS.md): BBC precision 0.962, largest
    // 1.5%, 63% of articles in storylines of 2+; RIA 0.996, 1.7%, 33%. Issue 12's goals:
    for corpus in [
        "corpora/bbc-news/bbc.jsonl",
        "corpora/ru-news/ria_topics_partial.jsonl",
    ] {
        let report = trendwatch::eval::threads(&shared.join(corpus), &Default::default())
            .expect("eval runs");
        assert!(report.scores.pairwise_precision >= 0.95, "{report}");
        assert!(report.largest_share <= 0.02, "{report}");
        assert!(report.articles_in_multi >= 0.2, "{report}");
    }
}

#[test]
fn eval_related_ranks_a_labelled_fixture_better_than_chance() {
    let corpus = fixtures().join("eval").join("related.jsonl");
    let report =
        trendwatch::eval_related::related(&corpus, &Default::default()).expect("eval runs");
    let trendwatch::eval_related::RelatedReport::Ranking {
        items,
        queries,
        engine,
        bm25,
        ..
    } = report
    else {
        panic!("a labelled corpus is ranked");
    };
    assert_eq!((items, queries), (21, 21));
    // Three stories of seven reports each: the same-story neighbours must come first (chance
    // would give 0.3).
    assert!(engine.precision_at_5 >= 0.9, "{engine:?}");
    assert!(engine.map >= 0.8, "{engine:?}");
    assert!(bm25.precision_at_5 > 0.5, "the baseline ran: {bm25:?}");
}

#[test]
fn eval_related_scores_same_story_pairs_and_prints_documented_keys() {
    let v = eval_json("related", "pairs.tsv");
    assert_eq!(v["kind"], "pairs");
    assert_eq!(
        (v["pairs"].as_u64(), v["positives"].as_u64()),
        (Some(10), Some(4))
    );
    for key in ["auc", "accuracy", "accuracy_cv", "best_threshold"] {
        assert!(
            v["engine"].get(key).is_some(),
            "missing engine.{key} in {v}"
        );
        assert!(v["bm25"].get(key).is_some(), "missing bm25.{key} in {v}");
    }
    assert!(v["config"]["same_story_threshold"].is_number());
    // Same-story pairs share their story's words; different-story pairs do not, or name other
    // dates and places.
    assert_eq!(v["engine"]["auc"].as_f64(), Some(1.0), "{v}");
    assert!(
        v["engine"]["accuracy"].as_f64().is_some_and(|a| a >= 0.75),
        "{v}"
    );
}

#[test]
fn conflicting_dates_and_missing_names_separate_look_alike_stories() {
    // Two of the fixture's different-story pairs are word for word alike but for the date
    // (a forecast for the 8th and one for the 16th) or the town (floods in two towns).
    let pairs = fixtures().join("eval").join("pairs.tsv");
    let auc =
        |cfg: &trendwatch_core::related::RelatedConfig| match trendwatch::eval_related::related(
            &pairs, cfg,
        )
        .expect("eval runs")
        {
            trendwatch::eval_related::RelatedReport::Pairs { engine, .. } => engine.auc,
            _ => panic!("the fixture holds pairs"),
        };
    let with_evidence = trendwatch_core::related::RelatedConfig::default();
    let dates_only = trendwatch_core::related::RelatedConfig {
        missing_name_penalty: 0.0,
        ..with_evidence.clone()
    };
    let words_only = trendwatch_core::related::RelatedConfig {
        date_conflict_penalty: 0.0,
        ..dates_only.clone()
    };
    let (all, dates, words) = (auc(&with_evidence), auc(&dates_only), auc(&words_only));
    assert_eq!(all, 1.0);
    assert!(words < dates && dates < all, "{words} {dates} {all}");
}

#[test]
fn eval_related_on_the_shared_corpora() {
    let Some(shared) = shared() else {
        eprintln!(
            "SKIPPED: ../shared is absent, so the similar-articles evaluation on real corpora did not run"
        );
        return;
    };
    // BBC: the smallest labelled corpus (2,225 articles, under a second). Regression guard at
    // the level of BENCHMARKS.md and above the BM25 baseline of the same run.
    let report = trendwatch::eval_related::related(
        &shared.join("corpora/bbc-news/bbc.jsonl"),
        &Default::default(),
    )
    .expect("eval runs");
    let trendwatch::eval_related::RelatedReport::Ranking { engine, bm25, .. } = report else {
        panic!("BBC is a labelled corpus");
    };
    // The goal is 0.95; measured 0.954.
    assert!(
        engine.precision_at_5 >= 0.95 && engine.precision_at_5 > bm25.precision_at_5,
        "{engine:?} {bm25:?}"
    );
    // The Russian same-story pairs.
    let report = trendwatch::eval_related::related(
        &shared.join("corpora/ru-news/tgcontest-toloka"),
        &Default::default(),
    )
    .expect("eval runs");
    let trendwatch::eval_related::RelatedReport::Pairs {
        pairs,
        engine,
        bm25,
        ..
    } = report
    else {
        panic!("the toloka folder holds pairs");
    };
    assert_eq!(pairs, 215);
    // Measured: AUC 0.928 (the goal is 0.92); accuracy 0.8698 at the configured
    // threshold (187 of 215 pairs; the goal of 0.87 needs 188), 0.837 cross-validated (BM25:
    // 0.845 and 0.77-0.79, its index layout varying from run to run).
    assert!(
        engine.auc > bm25.auc && engine.auc >= 0.92,
        "{engine:?} {bm25:?}"
    );
    assert!(
        engine.accuracy.is_some_and(|a| a > 0.86) && engine.accuracy_cv > bm25.accuracy_cv,
        "{engine:?} {bm25:?}"
    );
}

#[test]
fn duplicate_finder_finds_the_bbc_corpus_copies() {
    let Some(shared) = shared() else {
        eprintln!("SKIPPED: ../shared is absent, so the BBC duplicate count did not run");
        return;
    };
    use trendwatch_core::duplicates::{DuplicateFinder, Fingerprint, Match};
    // The BBC corpus carries 98 pairs of identical articles (issue 12); every one must be
    // found. Near copies (a word or a headline changed: "Fast moving phone bugs appear" and
    // "Fast moving phone viruses appear") are counted on top: 54 when this was written.
    let items = trendwatch::eval::load(&shared.join("corpora/bbc-news/bbc.jsonl")).expect("load");
    let mut finder: DuplicateFinder<usize> = DuplicateFinder::new();
    let (mut exact, mut near, mut across_topics) = (0, 0, 0);
    for (i, item) in items.iter().enumerate() {
        let fp = Fingerprint::of(&item.title, &item.text);
        match finder.find(trendwatch_core::Language::En, &fp, |_| false) {
            Some((&j, how)) => {
                match how {
                    Match::Exact => exact += 1,
                    Match::Near(_) => near += 1,
                }
                if items[j].label != item.label {
                    across_topics += 1;
                }
            }
            None => finder.insert(i, trendwatch_core::Language::En, fp),
        }
    }
    eprintln!("BBC: {exact} exact copies, {near} near copies, {across_topics} across topics");
    assert!(exact >= 98, "{exact} exact copies found");
    assert!(near >= 1, "the near copies were not found");
    // A copy is of the same article, so never of another topic.
    assert_eq!(across_topics, 0);
}

/// Issue 12 §3: "Did you mean" on real archives, for the words the issue names: an index of
/// the BBC and RIA corpora offers "Chelsea" for "Chelsae", "Arsenal" for "Arsenel" and
/// "Гергиев" for "Гергиеф", and the corrected query finds articles.
#[test]
fn did_you_mean_on_the_bbc_and_ria_corpora() {
    let Some(shared) = shared() else {
        eprintln!("SKIPPED: ../shared is absent, so \"Did you mean\" on real corpora did not run");
        return;
    };
    use trendwatch_search::{parse, SearchDoc, SearchIndex, Sort};
    let mut docs = Vec::new();
    for (file, lang) in [
        ("corpora/bbc-news/bbc.jsonl", "en"),
        ("corpora/ru-news/ria_topics_partial.jsonl", "ru"),
    ] {
        let items = trendwatch::eval::load(&shared.join(file)).expect("load");
        for item in items {
            let id = docs.len() as i64;
            docs.push(SearchDoc {
                id,
                lang: lang.into(),
                topic: item.label.clone(),
                status: "not_rated".into(),
                day: 0,
                slug: format!("a-{id}"),
                title: item.title,
                lead: String::new(),
                text: item.text,
                key: format!("k{id}"),
            });
        }
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let index = SearchIndex::open(dir.path()).expect("open index");
    index.rebuild(docs, 1).expect("index the corpora");
    for (typed, expected) in [
        ("Chelsae", "Chelsea"),
        ("Arsenel", "Arsenal"),
        ("Гергиеф", "Гергиев"),
    ] {
        let q = parse(typed).expect("valid");
        let found = index.search(&q, Sort::Relevance, 0, 10).expect("search");
        assert_eq!(found.total, 0, "{typed} finds nothing as typed");
        let suggestion = index.suggest(typed, &q);
        assert_eq!(suggestion.as_deref(), Some(expected), "for {typed}");
        let fixed = parse(expected).expect("valid");
        let found = index
            .search(&fixed, Sort::Relevance, 0, 10)
            .expect("search");
        assert!(found.total > 0, "{expected} finds articles");
    }
}
