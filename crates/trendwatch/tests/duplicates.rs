//! Duplicates at import (issue 12): exact and near copies are reported with both locations and
//! left out, or, with `keep_duplicates`, imported linked to their original and kept out of
//! similar lists and search. Sample data about a fictional country.

mod common;

use common::{texts, TestArchive};
use serde_json::json;
use trendwatch::import::{import_paths, ImportOptions};
use trendwatch_core::duplicates::Match;

/// A long commentary (enough words to be compared as a near copy).
const HARBOUR: &str = "Sample data about the fictional Republic of Arvenia. The port authority \
of Tarsk signed a twenty-year lease with a consortium from the Coastal League on Tuesday, \
ending a dispute that had kept the northern harbour half idle since the spring. The lease \
obliges the consortium to dredge the approach channel, rebuild two grain berths and keep the \
customs post staffed by Arvenian officers. Opposition deputies called the terms a sale in all \
but name and asked the audit chamber to publish the valuation before the assembly votes.";

const ELECTION: &str = "Sample data about the fictional Republic of Arvenia. The electoral \
commission published the final list of polling stations abroad, adding eleven consulates \
that had been left out of the draft. Observers from the Coastal League welcomed the change \
but noted that voters in the eastern provinces still have to travel more than a hundred \
kilometres to reach a station. The commission promised mobile ballot boxes for the villages \
cut off by the spring floods and a hotline for complaints on polling day.";

fn line(id: &str, title: &str, date: &str, body: &str) -> String {
    json!({
        "id": id, "title": title, "topic": "society", "lang": "en",
        "date": date, "status": "unchanged", "body": body,
    })
    .to_string()
}

fn archive_lines() -> Vec<String> {
    vec![
        line(
            "harbour",
            "Harbour lease signed",
            "2026-03-02 12:00",
            HARBOUR,
        ),
        line(
            "election",
            "Polling stations abroad",
            "2026-03-09 12:00",
            ELECTION,
        ),
        // The same text under another id and headline case: an exact copy.
        line(
            "harbour-copy",
            "HARBOUR LEASE SIGNED",
            "2026-03-16 12:00",
            HARBOUR,
        ),
        // One sentence added and a word changed: a near copy.
        line(
            "harbour-update",
            "Tarsk harbour leased for twenty years",
            "2026-03-23 12:00",
            &format!(
                "{} The consortium said work starts in May.",
                HARBOUR.replace("Tuesday", "Wednesday")
            ),
        ),
    ]
}

#[tokio::test]
async fn import_leaves_out_exact_and_near_copies_and_names_both_locations() {
    let archive = TestArchive::fresh().await;
    let file = archive.dir.path().join("week.jsonl");
    std::fs::write(&file, archive_lines().join("\n")).expect("write");
    let report = archive.import(std::slice::from_ref(&file)).await;
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    assert_eq!(report.created, 2, "{report}");
    assert_eq!(report.duplicates.len(), 2, "{:?}", report.duplicates);
    let (exact, near) = (&report.duplicates[0], &report.duplicates[1]);
    assert_eq!(exact.at.line, Some(3));
    assert_eq!(exact.how, Match::Exact);
    assert!(matches!(near.how, Match::Near(r) if r >= 0.8), "{near}");
    assert_eq!(near.at.line, Some(4));
    for d in &report.duplicates {
        assert!(!d.kept);
        assert_eq!(d.original_key, "harbour");
        // Both locations: the copy's file and line, and the original's.
        assert_eq!(d.original, format!("{}:1", file.display()));
        let message = d.to_string();
        assert!(
            message.starts_with(&format!("{}:", file.display())),
            "{message}"
        );
        assert!(message.contains("not imported"), "{message}");
    }
    assert!(
        report.to_string().contains("2 duplicates left out"),
        "{report}"
    );

    // Importing again: the originals are updated (an article is not a copy of itself), and
    // the copies are now found in the archive.
    let again = archive.import(&[file]).await;
    assert_eq!((again.created, again.updated), (0, 2), "{again}");
    assert_eq!(again.duplicates.len(), 2);
    assert!(
        again.duplicates[0]
            .original
            .contains("the archive's en/harbour-lease-signed"),
        "{}",
        again.duplicates[0]
    );
}

#[tokio::test]
async fn kept_duplicates_stay_out_of_similar_lists_and_search() {
    let archive = TestArchive::fresh().await;
    let file = archive.dir.path().join("week.jsonl");
    std::fs::write(&file, archive_lines().join("\n")).expect("write");
    let options = ImportOptions {
        keep_duplicates: true,
        ..ImportOptions::default()
    };
    let report = import_paths(&archive.store, &archive.config, &[file], &options)
        .await
        .expect("import runs");
    assert_eq!(report.created, 4, "{report}");
    assert!(report.duplicates.iter().all(|d| d.kept));
    assert!(report
        .to_string()
        .contains("2 duplicates imported as linked copies"));
    let app = archive.serve().await;

    // The copies' pages exist...
    let copy = app
        .get("/en/articles/harbour-lease-signed-2026-03-16")
        .await;
    assert_eq!(copy.status, 200, "{}", copy.body);
    // ...and link to their original.
    let doc = copy.doc();
    assert_eq!(
        common::attrs(&doc, ".copy-of a", "href"),
        vec!["/en/articles/harbour-lease-signed"]
    );
    assert_eq!(common::text(&doc, ".copy-of a"), "Harbour lease signed");
    // Search engines are told to index the original (issue 11 §3).
    assert_eq!(
        common::attrs(&doc, "link[rel=canonical]", "href"),
        vec![format!(
            "{}/en/articles/harbour-lease-signed",
            app.app.url()
        )]
    );
    // ...but the original's similar list and search show only the original.
    let doc = app.page("/en/articles/harbour-lease-signed").await;
    let similar = texts(&doc, ".similar-item .card-title a");
    assert!(
        similar
            .iter()
            .all(|t| !t.to_lowercase().contains("harbour")),
        "{similar:?}"
    );
    let doc = app.page("/en/search?q=consortium+dredge").await;
    let found = texts(&doc, ".search-results .card-title a");
    assert_eq!(found, vec!["Harbour lease signed"]);
}
