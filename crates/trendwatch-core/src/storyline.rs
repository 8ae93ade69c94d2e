//! Storylines: a trend followed across weeks, made of the commentaries that continue it.
//! The threader ([`crate::threading`]) proposes assignments; editors can rename, merge, split
//! and move, and their decisions are kept apart (`manual`) so the threader never undoes them.

use crate::article::ArticleSummary;
use crate::language::Language;
use crate::period::Period;
use crate::status::Status;
use crate::threading::{Threader, ThreadingConfig};
use std::collections::HashMap;
use time::PrimitiveDateTime;

/// What the threader needs to know of one article.
#[derive(Debug, Clone)]
pub struct ThreadDoc {
    /// Article id.
    pub article_id: i64,
    /// Language (each language is threaded on its own; translations follow their original).
    pub lang: Language,
    /// Translation group.
    pub group: Option<String>,
    /// Headline.
    pub title: String,
    /// The lead (summary paragraph): it names the story without the body's digressions, and
    /// keeps threading cheap.
    pub text: String,
    /// Publication time (threading runs in publication order).
    pub published_at: PrimitiveDateTime,
    /// The storyline it already belongs to, if any.
    pub storyline: Option<i64>,
}

/// Where an article goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StorylineTarget {
    /// An existing storyline.
    Existing(i64),
    /// The k-th storyline created by this batch of assignments.
    New(usize),
}

/// One assignment proposed by the threader.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NewAssignment {
    /// Article id.
    pub article_id: i64,
    /// Storyline.
    pub target: StorylineTarget,
    /// The threader's confidence, 0 to 1.
    pub confidence: f64,
}

/// A storyline as lists and pages show it, in one language.
#[derive(Debug, Clone, PartialEq)]
pub struct StorylineSummary {
    /// Storyline id.
    pub id: i64,
    /// The editor's title, or the headline that best names the story in this language
    /// ([`representative_headline`]).
    pub title: String,
    /// Whether an editor set the title.
    pub titled_by_editor: bool,
    /// Topic slugs of its articles, most frequent first.
    pub topics: Vec<String>,
    /// First week with a commentary.
    pub first: Period,
    /// Last week with a commentary.
    pub last: Period,
    /// Status of the latest commentary.
    pub latest_status: Status,
    /// Number of articles in this language.
    pub articles: u64,
}

/// A storyline with its articles (oldest first), for its page.
#[derive(Debug, Clone, PartialEq)]
pub struct StorylineDetail {
    /// The summary.
    pub summary: StorylineSummary,
    /// Its articles in this language, oldest first.
    pub articles: Vec<ArticleSummary>,
}

fn day_number(t: PrimitiveDateTime) -> i64 {
    i64::from(t.date().to_julian_day())
}

/// Plans storyline assignments for every article of `docs` (in publication order) that has
/// none yet. Articles already assigned (by an editor or an earlier run) are fed to the
/// threader as they are, so its decisions build on them and never change them. Each language
/// is threaded on its own; a translation joins the storyline of its original.
pub fn plan(docs: &[ThreadDoc], config: &ThreadingConfig) -> Vec<NewAssignment> {
    struct Lane {
        threader: Threader,
        by_target: HashMap<StorylineTarget, usize>,
        targets: Vec<StorylineTarget>,
    }
    impl Lane {
        fn index_of(&mut self, target: StorylineTarget) -> usize {
            if let Some(&i) = self.by_target.get(&target) {
                return self.threader.resolve(i);
            }
            let i = self.threader.open_storyline();
            self.by_target.insert(target, i);
            self.targets.push(target);
            i
        }
    }
    let mut lanes: HashMap<Language, Lane> = HashMap::new();
    let mut group_target: HashMap<&str, StorylineTarget> = HashMap::new();
    let mut created = 0usize;
    let mut out = Vec::new();
    for d in docs {
        let lane = lanes.entry(d.lang).or_insert_with(|| Lane {
            threader: Threader::new(config.clone()),
            by_target: HashMap::new(),
            targets: Vec::new(),
        });
        let day = Some(day_number(d.published_at));
        let known = d.storyline.map(StorylineTarget::Existing).or_else(|| {
            d.group
                .as_deref()
                .and_then(|g| group_target.get(g).copied())
        });
        let target = match known {
            Some(target) => {
                let i = lane.index_of(target);
                lane.threader.add_fixed(i, &d.title, &d.text, day);
                if d.storyline.is_none() {
                    out.push(NewAssignment {
                        article_id: d.article_id,
                        target,
                        confidence: 1.0,
                    });
                }
                target
            }
            None => {
                let a = lane.threader.add(&d.title, &d.text, day);
                let i = lane.threader.resolve(a.storyline);
                // The storyline joined is known under the first target registered for it
                // (in registration order, so the result is deterministic).
                let known = (!a.opened)
                    .then(|| {
                        lane.targets.iter().copied().find(|t| {
                            lane.by_target
                                .get(t)
                                .is_some_and(|&j| lane.threader.resolve(j) == i)
                        })
                    })
                    .flatten();
                let target = known.unwrap_or_else(|| {
                    let t = StorylineTarget::New(created);
                    created += 1;
                    lane.by_target.insert(t, i);
                    lane.targets.push(t);
                    t
                });
                out.push(NewAssignment {
                    article_id: d.article_id,
                    target,
                    confidence: a.confidence,
                });
                target
            }
        };
        if let Some(g) = d.group.as_deref() {
            group_target.entry(g).or_insert(target);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn doc(
        id: i64,
        lang: Language,
        group: Option<&str>,
        text: &str,
        day: u8,
        storyline: Option<i64>,
    ) -> ThreadDoc {
        ThreadDoc {
            article_id: id,
            lang,
            group: group.map(str::to_string),
            title: String::new(),
            text: text.into(),
            published_at: datetime!(2026-10-01 10:00).replace_day(day).expect("day"),
            storyline,
        }
    }

    #[test]
    fn plans_new_articles_and_keeps_existing_and_translations_together() {
        let docs = vec![
            doc(
                1,
                Language::En,
                Some("g1"),
                "army drills near the northern border tanks",
                1,
                Some(70),
            ),
            doc(
                2,
                Language::Ru,
                Some("g1"),
                "учения армии у северной границы",
                1,
                None,
            ),
            doc(
                3,
                Language::En,
                None,
                "parliament passes the budget in first reading",
                2,
                None,
            ),
            doc(
                4,
                Language::En,
                None,
                "northern border drills continue with tanks",
                3,
                None,
            ),
            doc(
                5,
                Language::En,
                None,
                "budget reading vote in parliament deficit",
                4,
                None,
            ),
        ];
        let plan = plan(&docs, &ThreadingConfig::default());
        let target = |id: i64| plan.iter().find(|a| a.article_id == id).map(|a| a.target);
        assert_eq!(target(1), None, "already assigned: untouched");
        assert_eq!(
            target(2),
            Some(StorylineTarget::Existing(70)),
            "translation follows its original"
        );
        assert_eq!(target(3), Some(StorylineTarget::New(0)));
        assert_eq!(
            target(4),
            Some(StorylineTarget::Existing(70)),
            "joins the existing story"
        );
        assert_eq!(target(5), Some(StorylineTarget::New(0)));
        assert!(plan.iter().all(|a| (0.0..=1.0).contains(&a.confidence)));
        // Deterministic.
        assert_eq!(plan, super::plan(&docs, &ThreadingConfig::default()));
    }
}

/// Which headline names a storyline: the one whose words the storyline's commentaries share
/// most, so the title describes the story rather than its latest turn. `docs` are the
/// headline and lead of each commentary in one language, oldest first. Each headline word
/// scores the share of commentaries that use it (in headline or lead); a headline scores the
/// sum over its words divided by its word count plus one, which favours headlines made of
/// the story's words over short or padded ones. Ties go to the newer headline; with fewer
/// than three commentaries, there is nothing to compare and the latest is chosen.
pub fn representative_headline(docs: &[(&str, &str)]) -> Option<usize> {
    let n = docs.len();
    if n < 3 {
        return n.checked_sub(1);
    }
    let sets: Vec<(Vec<String>, std::collections::HashSet<String>)> = docs
        .iter()
        .map(|(title, lead)| {
            let mut headline = Vec::new();
            crate::text::analyze(title, |t| {
                if !headline.iter().any(|h: &String| h == t.term) {
                    headline.push(t.term.to_string());
                }
            });
            let mut all: std::collections::HashSet<String> = headline.iter().cloned().collect();
            crate::text::analyze(lead, |t| {
                all.insert(t.term.to_string());
            });
            (headline, all)
        })
        .collect();
    let mut df: HashMap<&str, usize> = HashMap::new();
    for (_, all) in &sets {
        for t in all {
            *df.entry(t.as_str()).or_default() += 1;
        }
    }
    let score = |headline: &[String]| {
        let shared: f64 = headline
            .iter()
            .map(|t| df.get(t.as_str()).copied().unwrap_or(0) as f64 / n as f64)
            .sum();
        shared / (headline.len() + 1) as f64
    };
    (0..n).rev().max_by(|&a, &b| {
        score(&sets[a].0)
            .total_cmp(&score(&sets[b].0))
            // `max_by` keeps the last of equals; walking newest first, prefer the newer.
            .then(b.cmp(&a))
    })
}

/// Cleans an editor's storyline title: control characters removed, spaces collapsed, at most
/// [`crate::limits::MAX_STORYLINE_TITLE_CHARS`] characters. An empty title means "none" (the
/// storyline is named after its latest headline again). Every backend calls this before
/// storing, so a title cannot reach pages that a headline could not.
pub fn check_title(title: Option<String>) -> Result<Option<String>, String> {
    let Some(title) = title else {
        return Ok(None);
    };
    let clean = crate::limits::strip_controls(&title, false)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    crate::limits::check_chars(&clean, crate::limits::MAX_STORYLINE_TITLE_CHARS)
        .map_err(|e| format!("storyline title: {e}"))?;
    Ok((!clean.is_empty()).then_some(clean))
}

#[cfg(test)]
mod title_tests {
    use super::{check_title, representative_headline};

    #[test]
    fn the_headline_that_names_the_story_wins_over_the_latest() {
        let docs = [
            (
                "Iron Ridge drills announced near the northern border",
                "The ministry announced drills at Iron Ridge with the Eastern Union.",
            ),
            (
                "Observers invited to the Iron Ridge drills",
                "Foreign attachés may watch the drills at Iron Ridge.",
            ),
            (
                "Iron Ridge drills begin with a larger contingent",
                "The drills at Iron Ridge began with more troops than announced.",
            ),
            ("Troops go home", "The last units left the exercise area."),
        ];
        // Any headline made of the story's words ("Iron Ridge drills"), not the latest one.
        let chosen = representative_headline(&docs).expect("a headline");
        assert!(
            docs[chosen].0.contains("Iron Ridge drills"),
            "{}",
            docs[chosen].0
        );
        // Russian alike.
        let ru = [
            (
                "Учения у Железного хребта объявлены",
                "Министерство объявило учения у Железного хребта.",
            ),
            (
                "Начались учения у Железного хребта",
                "Учения у Железного хребта начались с большим контингентом.",
            ),
            ("Войска вернулись", "Последние части покинули район."),
        ];
        let chosen = representative_headline(&ru).expect("a headline");
        assert!(
            ru[chosen].0.contains("Железного хребта"),
            "{}",
            ru[chosen].0
        );
        assert_eq!(
            representative_headline(&docs[..2]),
            Some(1),
            "too few: the latest"
        );
        assert_eq!(representative_headline(&[]), None);
    }

    #[test]
    fn titles_are_cleaned_and_bounded() {
        assert_eq!(
            check_title(Some("  Gas\u{1b}  talks ".into())),
            Ok(Some("Gas talks".into()))
        );
        assert_eq!(check_title(Some("   ".into())), Ok(None));
        assert_eq!(check_title(None), Ok(None));
        let e = check_title(Some("x".repeat(1_900_000))).expect_err("too long");
        assert!(e.contains("at most"), "{e}");
    }
}
