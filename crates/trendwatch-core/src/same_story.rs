//! Deciding whether two articles report the same story, beyond the words they share.
//!
//! The text score ([`crate::related::RelatedModel::text_score`]) measures how much two texts
//! say alike. Reports of two different events on one subject (yesterday's weather forecast
//! and today's, one region's daily count and another's) say much alike too; what tells them
//! apart is what each report pins the event to, and the other contradicts:
//!
//! - **dates**: the leads of two reports of one event name the same day, if they name one;
//! - **names**: the people, places and organisations in a headline are the event's actors,
//!   and a report of the same event mentions them somewhere.
//!
//! [`StoryEvidence`] collects both from one article, and [`same_story_score`] lowers the text
//! score by what the two articles' evidence contradicts. Pure computation, no I/O.

use crate::related::{hash, RelatedConfig};
use crate::similarity::{FnvSet, SimilarityDoc};
use crate::text::{self, DayOfYear};

/// Words of a body, after the headline, searched for the dates an article reports on: the
/// lead names the event's date; further down come background and earlier events.
pub const LEAD_WORDS: usize = 40;

/// What one article pins its story to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoryEvidence {
    /// Calendar dates in the headline and the first [`LEAD_WORDS`] words, sorted, no repeats.
    dates: Vec<DayOfYear>,
    /// Headline terms that the body writes capitalised in mid-sentence: names. Their first
    /// [`NAME_PREFIX`] letters, hashed, sorted, no repeats.
    names: Vec<u64>,
    /// The beginnings of every term of headline and body (up to [`NAME_PREFIX`] letters, see
    /// [`StoryEvidence::names_missing_from`]), hashed, sorted, no repeats.
    prefixes: Vec<u64>,
}

/// Letters of a name compared with the other article's words: Russian derives adjectives
/// and demonyms from place names ("Закарпатье", "закарпатского"; "Крым", "крымчан"), which
/// stem differently but begin alike.
pub const NAME_PREFIX: usize = 5;

/// The hashes of `term`'s beginnings of 1 to [`NAME_PREFIX`] letters, shortest first (fewer
/// for a shorter term).
fn prefix_hashes(term: &str) -> impl Iterator<Item = u64> + '_ {
    term.char_indices()
        .take(NAME_PREFIX)
        .map(move |(i, c)| hash(&term[..i + c.len_utf8()], 0))
}

impl StoryEvidence {
    /// Collects the evidence of one article.
    pub fn of(doc: &SimilarityDoc) -> Self {
        let mut dates = Vec::new();
        text::calendar_dates(&doc.title, usize::MAX, |d| dates.push(d));
        text::calendar_dates(&doc.text, LEAD_WORDS, |d| dates.push(d));
        dates.sort_unstable();
        dates.dedup();

        // A headline capitalises its first word, and in English often every word, so a
        // name is recognised by how the body writes it, not the headline.
        let mut capitalised: FnvSet<u64> = FnvSet::default();
        text::capitalised_phrases(&doc.text, |phrase| {
            text::analyze(phrase, |t| {
                capitalised.insert(hash(t.term, 0));
            });
        });
        let mut names = Vec::new();
        let mut prefixes = Vec::new();
        text::analyze(&doc.title, |t| {
            let start = prefixes.len();
            prefixes.extend(prefix_hashes(t.term));
            if capitalised.contains(&hash(t.term, 0)) {
                // A name is known by its longest beginning.
                names.extend(prefixes[start..].last().copied());
            }
        });
        text::analyze(&doc.text, |t| prefixes.extend(prefix_hashes(t.term)));
        for v in [&mut names, &mut prefixes] {
            v.sort_unstable();
            v.dedup();
        }
        StoryEvidence {
            dates,
            names,
            prefixes,
        }
    }

    /// Whether both leads name dates and none is the same.
    pub fn dates_conflict(&self, other: &StoryEvidence) -> bool {
        !self.dates.is_empty()
            && !other.dates.is_empty()
            && !self
                .dates
                .iter()
                .any(|d| other.dates.binary_search(d).is_ok())
    }

    /// How many of this headline's names `other` never mentions: no word of `other` begins
    /// with the name's first [`NAME_PREFIX`] letters (all of them, for a shorter name).
    pub fn names_missing_from(&self, other: &StoryEvidence) -> usize {
        self.names
            .iter()
            .filter(|n| other.prefixes.binary_search(n).is_err())
            .count()
    }
}

/// The same-story score of two articles: their text score lowered by
/// [`RelatedConfig::date_conflict_penalty`] when their leads name different dates, and by
/// [`RelatedConfig::missing_name_penalty`] for each headline name that the other article
/// never mentions. Compared with [`RelatedConfig::same_story_threshold`].
pub fn same_story_score(
    text_score: f32,
    a: &StoryEvidence,
    b: &StoryEvidence,
    cfg: &RelatedConfig,
) -> f32 {
    let mut score = text_score;
    if a.dates_conflict(b) {
        score -= cfg.date_conflict_penalty;
    }
    let missing = a.names_missing_from(b) + b.names_missing_from(a);
    score - cfg.missing_name_penalty * missing as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::language::Language;

    fn doc(title: &str, text: &str) -> SimilarityDoc {
        SimilarityDoc {
            id: 0,
            lang: Language::En,
            group: None,
            topic: "t".into(),
            storyline: None,
            day: None,
            title: title.into(),
            text: text.into(),
        }
    }

    #[test]
    fn leads_naming_different_days_conflict() {
        let a = StoryEvidence::of(&doc("Forecast for 8 November", "Rain in Verina."));
        let b = StoryEvidence::of(&doc("Forecast for 16 November", "Rain in Verina."));
        let c = StoryEvidence::of(&doc("Forecast", "On 8 November and 16 November, rain."));
        let none = StoryEvidence::of(&doc("Forecast", "Rain in Verina."));
        assert!(a.dates_conflict(&b));
        assert!(!a.dates_conflict(&c), "one shared date is enough");
        assert!(!a.dates_conflict(&none), "no date names no conflict");
        let cfg = RelatedConfig::default();
        assert_eq!(
            same_story_score(0.8, &a, &b, &cfg),
            0.8 - cfg.date_conflict_penalty
        );
        assert_eq!(same_story_score(0.8, &a, &c, &cfg), 0.8);
    }

    #[test]
    fn a_headline_name_the_other_article_never_mentions_counts_against() {
        // "Daskal" and "Verina" are names: the bodies write them capitalised mid-sentence.
        let a = StoryEvidence::of(&doc(
            "Daskal Opens The Bridge In Verina",
            "On Monday minister Daskal opened the bridge in Verina.",
        ));
        let same = StoryEvidence::of(&doc(
            "Bridge opened",
            "The new bridge was opened by minister Daskal in the capital, Verina.",
        ));
        let other = StoryEvidence::of(&doc(
            "Bridge opened in Tolmar",
            "A bridge opened in Tolmar, said mayor Orsi.",
        ));
        assert_eq!(a.names_missing_from(&same), 0);
        assert_eq!(a.names_missing_from(&other), 2);
        assert_eq!(
            other.names_missing_from(&a),
            1,
            "Tolmar is a name of the other headline; Bridge, Opened are not"
        );
        let cfg = RelatedConfig::default();
        let score = same_story_score(0.5, &a, &other, &cfg);
        assert!((score - (0.5 - 3.0 * cfg.missing_name_penalty)).abs() < 1e-6);
        assert_eq!(same_story_score(0.5, &a, &same, &cfg), 0.5);
    }
}
