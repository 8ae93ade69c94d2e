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

/// How many storylines `assignments` open: `New(0)` to `New(n - 1)`, which the store
/// creates in that order.
pub fn storylines_opened(assignments: &[NewAssignment]) -> usize {
    assignments
        .iter()
        .filter_map(|a| match a.target {
            StorylineTarget::New(k) => Some(k + 1),
            StorylineTarget::Existing(_) => None,
        })
        .max()
        .unwrap_or(0)
}

/// Commentaries a storyline needs in a language before readers are pointed to it there:
/// linked from its articles, listed in "Recent trends" and among related storylines, in the
/// sitemap, and so in a static export. One commentary is not yet a story that develops, and
/// its page would only repeat the article (a thin page to search engines, and on a generated
/// or freshly imported archive most storylines). The page and feeds of any storyline still
/// answer at their addresses, so one that an editor's move leaves with a single commentary
/// breaks no link or feed subscription.
pub const SHOWN_FROM_ARTICLES: u64 = 2;

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

impl StorylineSummary {
    /// Whether readers are pointed to this storyline (see [`SHOWN_FROM_ARTICLES`]).
    pub fn is_shown(&self) -> bool {
        self.articles >= SHOWN_FROM_ARTICLES
    }
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
    let mut planner = Planner::new(config.clone());
    docs.iter().filter_map(|d| planner.feed(d)).collect()
}

/// One language's threader, with the storylines it knows under their stored ids or this
/// batch's new numbers.
#[derive(Debug)]
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

/// The threader as [`plan`] runs it, kept between publications: documents are fed in
/// publication order, and once the assignments of a batch are stored ([`Planner::settle`])
/// the planner goes on with the next articles without reading or threading the archive
/// again. Fed the same documents in the same order, it plans what [`plan`] plans.
#[derive(Debug)]
pub struct Planner {
    config: ThreadingConfig,
    lanes: HashMap<Language, Lane>,
    group_target: HashMap<String, StorylineTarget>,
    /// New storylines of the batch not yet settled.
    created: usize,
    /// The last document fed, by (publication time, id): the order documents come in.
    last: Option<(PrimitiveDateTime, i64)>,
    /// Documents fed.
    fed: usize,
    /// The highest article id fed.
    max_id: i64,
}

impl Planner {
    /// A planner that has seen nothing yet.
    pub fn new(config: ThreadingConfig) -> Planner {
        Planner {
            config,
            lanes: HashMap::new(),
            group_target: HashMap::new(),
            created: 0,
            last: None,
            fed: 0,
            max_id: 0,
        }
    }

    /// Documents fed so far.
    pub fn len(&self) -> usize {
        self.fed
    }

    /// The highest article id fed (0 before any).
    pub fn max_id(&self) -> i64 {
        self.max_id
    }

    /// Whether nothing was fed yet.
    pub fn is_empty(&self) -> bool {
        self.fed == 0
    }

    /// Whether `doc` comes after every document fed so far in publication order (time, then
    /// id), so that feeding it continues the stream rather than rewriting its past.
    pub fn follows(&self, doc: &ThreadDoc) -> bool {
        self.last
            .is_none_or(|last| (doc.published_at, doc.article_id) > last)
    }

    /// Feeds the next document in publication order. An article that has a storyline (or
    /// whose translation has one) joins it; one without is threaded, and its assignment is
    /// returned.
    pub fn feed(&mut self, d: &ThreadDoc) -> Option<NewAssignment> {
        self.fed += 1;
        self.last = Some((d.published_at, d.article_id));
        self.max_id = self.max_id.max(d.article_id);
        let config = &self.config;
        let lane = self.lanes.entry(d.lang).or_insert_with(|| Lane {
            threader: Threader::new(config.clone()),
            by_target: HashMap::new(),
            targets: Vec::new(),
        });
        let day = Some(day_number(d.published_at));
        let known = d.storyline.map(StorylineTarget::Existing).or_else(|| {
            d.group
                .as_deref()
                .and_then(|g| self.group_target.get(g).copied())
        });
        let (target, assignment) = match known {
            Some(target) => {
                let i = lane.index_of(target);
                lane.threader.add_fixed(i, &d.title, &d.text, day);
                let assignment = d.storyline.is_none().then_some(NewAssignment {
                    article_id: d.article_id,
                    target,
                    confidence: 1.0,
                });
                (target, assignment)
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
                    let t = StorylineTarget::New(self.created);
                    self.created += 1;
                    lane.by_target.insert(t, i);
                    lane.targets.push(t);
                    t
                });
                let assignment = NewAssignment {
                    article_id: d.article_id,
                    target,
                    confidence: a.confidence,
                };
                (target, Some(assignment))
            }
        };
        if let Some(g) = d.group.as_deref() {
            self.group_target.entry(g.to_string()).or_insert(target);
        }
        assignment
    }

    /// After a batch's assignments were stored: `created[k]` is the stored id of the batch's
    /// storyline `New(k)`. Later batches then name those storylines by their ids, and number
    /// their own new ones from 0 again, as the store expects. Fails, changing nothing, when
    /// `created` does not cover every new storyline of the batch (the planner must then be
    /// built again).
    pub fn settle(&mut self, created: &[i64]) -> Result<(), String> {
        if created.len() < self.created {
            return Err(format!(
                "the store created {} storylines for a batch that opened {}",
                created.len(),
                self.created
            ));
        }
        let stored = |t: StorylineTarget| match t {
            StorylineTarget::New(k) => StorylineTarget::Existing(created[k]),
            existing => existing,
        };
        for lane in self.lanes.values_mut() {
            lane.by_target = lane
                .by_target
                .drain()
                .map(|(t, i)| (stored(t), i))
                .collect();
            for t in &mut lane.targets {
                *t = stored(*t);
            }
        }
        for t in self.group_target.values_mut() {
            *t = stored(*t);
        }
        self.created = 0;
        Ok(())
    }
}

/// A storyline's topic slugs, most frequent first (ties by name), comma-separated: the form
/// every backend keeps in its storyline statistics (one function, so no two backends list a
/// storyline's topics differently).
pub fn topics_by_frequency<'a>(topics: impl Iterator<Item = &'a str>) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for t in topics {
        match counts.iter_mut().find(|(s, _)| *s == t) {
            Some((_, n)) => *n += 1,
            None => counts.push((t, 1)),
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    counts.iter().map(|(t, _)| *t).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn topics_are_listed_most_frequent_first_ties_by_name() {
        let topics = ["east", "security", "east", "society", "security", "east"];
        assert_eq!(
            topics_by_frequency(topics.into_iter()),
            "east,security,society"
        );
        assert_eq!(topics_by_frequency(["b", "a"].into_iter()), "a,b");
        assert_eq!(topics_by_frequency(std::iter::empty()), "");
    }

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

    /// The kept threader of a running site: fed publication by publication, each batch
    /// settled with the ids the store gave its new storylines, it groups the articles
    /// exactly as one pass over all of them does.
    #[test]
    fn a_planner_fed_batch_by_batch_groups_as_one_pass_does() {
        let stories = [
            "army drills near the northern border with tanks and artillery",
            "parliament passes the budget after a long night of amendments",
            "gas prices rise again as the pipeline talks stall",
            "the central bank raises its key rate to slow inflation",
            "opposition leaders call a rally against the media law",
        ];
        let words = [
            "monday",
            "again",
            "officials",
            "sources",
            "reported",
            "week",
        ];
        let docs: Vec<ThreadDoc> = (0..60)
            .map(|i| {
                let story = stories[(i * 7 + i / 5) % stories.len()];
                let text = format!("{story} {} {}", words[i % words.len()], i % 3);
                let lang = if i % 4 == 3 {
                    Language::Ru
                } else {
                    Language::En
                };
                let mut d = doc(i as i64 + 1, lang, None, &text, 1 + (i / 3) as u8, None);
                // Every fifth article is the translation of the one before.
                if i % 5 == 4 {
                    d.group = Some(format!("g{}", i - 1));
                } else if i % 5 == 3 {
                    d.group = Some(format!("g{i}"));
                }
                d
            })
            .collect();
        let config = ThreadingConfig::default();
        // One pass: the new storylines numbered by the plan.
        let one_pass: HashMap<i64, StorylineTarget> = plan(&docs, &config)
            .into_iter()
            .map(|a| (a.article_id, a.target))
            .collect();
        // Batch by batch, as publications come: the store numbers new storylines from 100.
        let mut planner = Planner::new(config);
        let mut stored: HashMap<i64, i64> = HashMap::new();
        let mut next_id = 100;
        for batch in docs.chunks(7) {
            assert!(batch.iter().all(|d| planner.follows(d)));
            let assignments: Vec<NewAssignment> =
                batch.iter().filter_map(|d| planner.feed(d)).collect();
            let opened = storylines_opened(&assignments);
            let created: Vec<i64> = (0..opened).map(|k| next_id + k as i64).collect();
            next_id += opened as i64;
            for a in &assignments {
                let id = match a.target {
                    StorylineTarget::Existing(id) => id,
                    StorylineTarget::New(k) => created[k],
                };
                stored.insert(a.article_id, id);
            }
            planner.settle(&created).expect("every new storyline named");
        }
        assert_eq!(planner.len(), docs.len());
        assert!(!planner.follows(&docs[10]), "the past is not fed again");
        // The same partition: two articles share a storyline in one iff in the other.
        let ids: Vec<i64> = docs.iter().map(|d| d.article_id).collect();
        let mut shared = 0;
        for a in &ids {
            for b in &ids {
                let together = one_pass[a] == one_pass[b];
                assert_eq!(together, stored[a] == stored[b], "articles {a} and {b}");
                shared += usize::from(together && a < b);
            }
        }
        assert!(
            shared > 20,
            "the stories formed storylines ({shared} pairs)"
        );
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
