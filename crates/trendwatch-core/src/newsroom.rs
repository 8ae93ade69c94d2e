//! The newsroom's rules: what an article in the desk holds ([`DeskContent`], one revision's
//! worth), the states it moves through ([`DeskState`]) and who may move it ([`transition`]),
//! the checks shown next to the fields before review and publication ([`DeskContent::problems`]),
//! and the word-level difference between two revisions ([`word_diff`]).
//!
//! Articles in the desk are kept apart from what readers see: the store holds them in tables
//! of their own, and only publishing copies one into the public archive (see
//! `trendwatch_service::newsroom`). So a draft cannot leak through a query that forgot a filter.

use crate::accounts::Role;
use crate::article::{ArticleDraft, DraftError};
use crate::forecast::ForecastDraft;
use crate::language::Language;
use crate::period::Period;
use crate::status::Status;
use crate::topic::Topics;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where an article stands in the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeskState {
    /// Being written; only the desk sees it.
    Draft,
    /// Submitted for an editor's review.
    InReview,
    /// Sent back by an editor with comments.
    ChangesRequested,
    /// Approved and waiting for its publication time.
    Scheduled,
    /// Readers see it.
    Published,
    /// Taken off the public site; the desk keeps it.
    Unpublished,
}

impl DeskState {
    /// Every state, in workflow order.
    pub const ALL: [DeskState; 6] = [
        DeskState::Draft,
        DeskState::InReview,
        DeskState::ChangesRequested,
        DeskState::Scheduled,
        DeskState::Published,
        DeskState::Unpublished,
    ];

    /// Stable identifier for storage, URLs and CSS classes.
    pub fn code(self) -> &'static str {
        match self {
            DeskState::Draft => "draft",
            DeskState::InReview => "in_review",
            DeskState::ChangesRequested => "changes_requested",
            DeskState::Scheduled => "scheduled",
            DeskState::Published => "published",
            DeskState::Unpublished => "unpublished",
        }
    }

    /// The words the desk shows.
    pub fn label(self) -> &'static str {
        match self {
            DeskState::Draft => "draft",
            DeskState::InReview => "in review",
            DeskState::ChangesRequested => "changes requested",
            DeskState::Scheduled => "scheduled",
            DeskState::Published => "published",
            DeskState::Unpublished => "unpublished",
        }
    }
}

impl fmt::Display for DeskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for DeskState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        DeskState::ALL
            .into_iter()
            .find(|d| d.code() == s)
            .ok_or_else(|| format!("unknown desk state {s:?}"))
    }
}

/// A step of the workflow, as a button in the desk names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transition {
    /// Hand a draft to the editors.
    Submit,
    /// Send it back to its author with comments.
    RequestChanges,
    /// Take it back to a draft (withdraw from review, cancel a schedule).
    BackToDraft,
    /// Publish at a set time.
    Schedule,
    /// Publish now (or publish the changes of a published article).
    Publish,
    /// Take it off the public site.
    Unpublish,
}

impl Transition {
    /// Every transition.
    pub const ALL: [Transition; 6] = [
        Transition::Submit,
        Transition::RequestChanges,
        Transition::BackToDraft,
        Transition::Schedule,
        Transition::Publish,
        Transition::Unpublish,
    ];

    /// Stable identifier, as in the desk's form actions.
    pub fn code(self) -> &'static str {
        match self {
            Transition::Submit => "submit",
            Transition::RequestChanges => "request-changes",
            Transition::BackToDraft => "back-to-draft",
            Transition::Schedule => "schedule",
            Transition::Publish => "publish",
            Transition::Unpublish => "unpublish",
        }
    }

    /// The button's words.
    pub fn label(self) -> &'static str {
        match self {
            Transition::Submit => "Submit for review",
            Transition::RequestChanges => "Request changes",
            Transition::BackToDraft => "Back to draft",
            Transition::Schedule => "Schedule",
            Transition::Publish => "Publish",
            Transition::Unpublish => "Unpublish",
        }
    }
}

impl FromStr for Transition {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Transition::ALL
            .into_iter()
            .find(|t| t.code() == s)
            .ok_or_else(|| format!("unknown action {s:?}"))
    }
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    /// The role (or not being the author) does not allow it.
    #[error("{0}")]
    Forbidden(String),
    /// The article's state does not allow it.
    #[error("{0}")]
    WrongState(String),
}

/// The state `transition` leads to from `from`, when `role` asks it (`own`: the asker wrote
/// the article). Analysts move their own articles between draft and review; editors do
/// everything, publishing directly included.
pub fn transition(
    from: DeskState,
    t: Transition,
    role: Role,
    own: bool,
) -> Result<DeskState, WorkflowError> {
    use DeskState as S;
    use Transition as T;
    let editor = role.includes(Role::Editor);
    let (allowed_from, to, who_ok): (&[DeskState], DeskState, bool) = match t {
        T::Submit => (&[S::Draft, S::ChangesRequested], S::InReview, own || editor),
        T::BackToDraft => (&[S::InReview, S::Scheduled], S::Draft, own || editor),
        T::RequestChanges => (&[S::InReview, S::Scheduled], S::ChangesRequested, editor),
        T::Schedule => (
            &[S::Draft, S::InReview, S::ChangesRequested, S::Unpublished],
            S::Scheduled,
            editor,
        ),
        T::Publish => (
            &[
                S::Draft,
                S::InReview,
                S::ChangesRequested,
                S::Scheduled,
                S::Published,
                S::Unpublished,
            ],
            S::Published,
            editor,
        ),
        T::Unpublish => (&[S::Published], S::Unpublished, editor),
    };
    if !who_ok {
        return Err(WorkflowError::Forbidden(if editor || own {
            format!("{} is not allowed", t.label())
        } else if matches!(t, T::Submit | T::BackToDraft) {
            "only its author or an editor may do this".to_string()
        } else {
            "only editors may do this".to_string()
        }));
    }
    if !allowed_from.contains(&from) {
        return Err(WorkflowError::WrongState(format!(
            "“{}” is not possible for an article that is {}",
            t.label(),
            from.label()
        )));
    }
    Ok(to)
}

/// Whether `role` may change the content of an article in `state` (`own`: they wrote it).
/// Analysts edit their own articles until an editor takes them over (scheduled or published);
/// editors edit anything.
pub fn may_edit(state: DeskState, role: Role, own: bool) -> bool {
    role.includes(Role::Editor)
        || (own
            && matches!(
                state,
                DeskState::Draft | DeskState::InReview | DeskState::ChangesRequested
            ))
}

/// The transitions `role` can take from `state`, for the buttons the desk offers.
pub fn available(state: DeskState, role: Role, own: bool) -> Vec<Transition> {
    Transition::ALL
        .into_iter()
        .filter(|t| transition(state, *t, role, own).is_ok())
        .collect()
}

/// A forecast as the desk's form holds it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DeskForecast {
    /// What is expected.
    pub statement: String,
    /// Probability as written ("70%", "0.7").
    pub probability: String,
    /// Resolve-by date, `YYYY-MM-DD`.
    pub resolve_by: String,
}

/// Everything the writing form holds: one revision of a desk article. The public page is
/// rendered from it when it is published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeskContent {
    /// Language of this version.
    pub lang: Language,
    /// Topic slug.
    pub topic: String,
    /// The week it covers.
    pub period: Period,
    /// Headline.
    pub title: String,
    /// Status code (`improved`, `unchanged`, `worsened`, `not_rated`).
    pub status: String,
    /// Why the status: required for a rated status.
    pub rationale: String,
    /// Alert code (`none`, `escalation`, …) as the status module reads it.
    pub alert: String,
    /// One-paragraph summary (the body's first paragraph when empty).
    pub lead: String,
    /// Body in Markdown.
    pub body_markdown: String,
    /// Image address (an upload's or an outside one).
    pub image_url: String,
    /// Image credit.
    pub image_credit: String,
    /// Image text alternative.
    pub image_alt: String,
    /// Free tags.
    pub tags: Vec<String>,
    /// Author names as shown to readers.
    pub authors: Vec<String>,
    /// Forecasts.
    pub forecasts: Vec<DeskForecast>,
    /// The note readers see when a published article is changed ("the ministry's figure was
    /// corrected"); kept with the revision.
    #[serde(default)]
    pub correction: String,
    /// The storyline chosen before the first publication: empty (the threader decides),
    /// `new` (a storyline of its own), or a storyline's number.
    #[serde(default)]
    pub storyline: String,
}

/// What an editor chose for a draft's storyline ([`DeskContent::storyline`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorylineChoice {
    /// The threader decides at publication.
    Threader,
    /// A storyline of its own.
    New,
    /// This storyline.
    Existing(i64),
}

impl DeskContent {
    /// The storyline choice, or `None` when the field holds something else.
    pub fn storyline_choice(&self) -> Option<StorylineChoice> {
        let s = self.storyline.trim();
        // A storyline's address (`/en/storylines/123`) is accepted as well as its number.
        let number = s.rsplit('/').next().unwrap_or(s);
        match s {
            "" => Some(StorylineChoice::Threader),
            "new" => Some(StorylineChoice::New),
            _ => number
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .map(StorylineChoice::Existing),
        }
    }
}

impl DeskContent {
    /// An empty article for a grid cell: topic, week and language filled.
    pub fn empty(lang: Language, topic: &str, period: Period, author: &str) -> DeskContent {
        DeskContent {
            lang,
            topic: topic.to_string(),
            period,
            title: String::new(),
            status: Status::NotRated.code().to_string(),
            rationale: String::new(),
            alert: String::new(),
            lead: String::new(),
            body_markdown: String::new(),
            image_url: String::new(),
            image_credit: String::new(),
            image_alt: String::new(),
            tags: Vec::new(),
            authors: vec![author.to_string()],
            forecasts: Vec::new(),
            correction: String::new(),
            storyline: String::new(),
        }
    }

    /// The desk's draft of an article a source holds unpublished (a WordPress draft): its
    /// topic resolved, its week from its date, its HTML (sanitised) as the body, since
    /// Markdown carries HTML through.
    pub fn from_source(d: &ArticleDraft, topics: &Topics) -> Result<DeskContent, DraftError> {
        let title = d.title.split_whitespace().collect::<Vec<_>>().join(" ");
        if title.is_empty() {
            return Err(DraftError::new(
                "title",
                "missing: every draft needs a headline",
            ));
        }
        let topic = d
            .topic
            .as_deref()
            .and_then(|t| topics.find(t))
            .ok_or_else(|| DraftError::new("topic", format!("expected one of {}", topics.slugs())))?
            .slug
            .clone();
        let date = d
            .published_at
            .ok_or_else(|| DraftError::new("date", "missing: the draft's date gives its week"))?;
        let body = crate::sanitize::sanitize_html(&d.body_html);
        let lang = d
            .lang
            .unwrap_or_else(|| Language::detect(&format!("{title} {body}")));
        Ok(DeskContent {
            title,
            lead: d.lead.clone().unwrap_or_default(),
            body_markdown: body,
            image_url: d.image_url.clone().unwrap_or_default(),
            image_credit: d.image_credit.clone().unwrap_or_default(),
            image_alt: d.image_alt.clone().unwrap_or_default(),
            tags: d.tags.clone(),
            authors: d.authors.clone(),
            ..DeskContent::empty(lang, &topic, Period::reviewed_on(date.date()), "")
        })
    }

    /// What keeps this content from being submitted or published, field by field (the form
    /// shows each message next to its field). Empty when it may go on.
    pub fn problems(&self, topics: &Topics) -> Vec<FieldProblem> {
        let mut out = Vec::new();
        let mut flag = |field: &'static str, message: String| {
            out.push(FieldProblem { field, message });
        };
        if self.title.trim().is_empty() {
            flag("title", "A headline is required.".into());
        }
        if self.storyline_choice().is_none() {
            flag(
                "storyline",
                "Leave empty for the threader's choice, write “new”, or give a storyline's number or address."
                    .into(),
            );
        }
        if topics.find(&self.topic).is_none() {
            flag("topic", format!("Unknown topic “{}”.", self.topic));
        }
        match self.status.parse::<Status>() {
            Ok(s) if s != Status::NotRated && self.rationale.trim().is_empty() => flag(
                "rationale",
                format!(
                    "A rated status (“{}”) needs its reason.",
                    s.label(self.lang)
                ),
            ),
            Ok(_) => {}
            Err(e) => flag("status", e.to_string()),
        }
        if !self.alert.trim().is_empty() {
            if let Err(e) = self.alert.parse::<crate::status::Alert>() {
                flag("alert", e.to_string());
            }
        }
        if self.body_markdown.trim().is_empty() {
            flag("body", "The body is empty.".into());
        }
        if !self.image_url.trim().is_empty() && self.image_alt.trim().is_empty() {
            flag(
                "image_alt",
                "Describe the image for readers who cannot see it.".into(),
            );
        }
        for (i, f) in self.forecasts.iter().enumerate() {
            let draft = f.to_draft();
            if let Err((field, message)) = draft.prepare() {
                flag(
                    "forecasts",
                    format!("Forecast {}: {field}: {message}", i + 1),
                );
            }
        }
        out
    }

    /// The article this content publishes, as an importer would describe it: `key` is the
    /// desk article's lasting identity, `body_html` its Markdown rendered, `published_at`
    /// the publication time, `group` the translation group shared with its other language.
    pub fn to_article_draft(
        &self,
        key: String,
        body_html: String,
        published_at: time::PrimitiveDateTime,
        group: Option<String>,
    ) -> ArticleDraft {
        let some = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        ArticleDraft {
            key: Some(key),
            lang: Some(self.lang),
            kind: Some("weekly".into()),
            topic: Some(self.topic.clone()),
            title: self.title.clone(),
            lead: some(&self.lead),
            body_html,
            published_at: Some(published_at),
            period: Some(self.period.to_string()),
            status: some(&self.status),
            rationale: some(&self.rationale),
            alert: some(&self.alert),
            image_url: some(&self.image_url),
            image_credit: some(&self.image_credit),
            image_alt: some(&self.image_alt),
            authors: self.authors.clone(),
            tags: self.tags.clone(),
            source_url: None,
            slug: None,
            translation_group: group,
            similar_titles: Vec::new(),
            forecasts: self.forecasts.iter().map(DeskForecast::to_draft).collect(),
            updated_at: None,
            correction: None,
            legacy_paths: Vec::new(),
            unpublished: false,
        }
    }

    /// The content as one text per field, for revision diffs: (field label, text).
    pub fn fields_for_diff(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Headline", self.title.clone()),
            ("Topic", self.topic.clone()),
            ("Week", self.period.to_string()),
            ("Status", self.status.clone()),
            ("Reason for the status", self.rationale.clone()),
            ("Alert", self.alert.clone()),
            ("Lead", self.lead.clone()),
            ("Body", self.body_markdown.clone()),
            ("Image", self.image_url.clone()),
            ("Image credit", self.image_credit.clone()),
            ("Image description", self.image_alt.clone()),
            ("Tags", self.tags.join(", ")),
            ("Authors", self.authors.join(", ")),
            ("Correction note", self.correction.clone()),
            ("Storyline", self.storyline.clone()),
            (
                "Forecasts",
                self.forecasts
                    .iter()
                    .map(|f| format!("{} ({}, by {})", f.statement, f.probability, f.resolve_by))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
        ]
    }
}

impl DeskForecast {
    fn to_draft(&self) -> ForecastDraft {
        ForecastDraft {
            statement: self.statement.clone(),
            probability: self.probability.clone(),
            resolve_by: self.resolve_by.clone(),
            outcome: None,
        }
    }
}

/// A check that failed, next to its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The form field (`title`, `rationale`, …).
    pub field: &'static str,
    /// What to do about it.
    pub message: String,
}

/// One run of a word-level difference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffPart {
    /// In both versions.
    Same(String),
    /// Only in the older.
    Removed(String),
    /// Only in the newer.
    Added(String),
}

/// The word-level difference from `old` to `new`, runs of equal kind joined.
pub fn word_diff(old: &str, new: &str) -> Vec<DiffPart> {
    use similar::{ChangeTag, TextDiff};
    let diff = TextDiff::from_words(old, new);
    let mut parts: Vec<DiffPart> = Vec::new();
    for change in diff.iter_all_changes() {
        let text = change.value();
        let part = match change.tag() {
            ChangeTag::Equal => DiffPart::Same(text.to_string()),
            ChangeTag::Delete => DiffPart::Removed(text.to_string()),
            ChangeTag::Insert => DiffPart::Added(text.to_string()),
        };
        match (parts.last_mut(), part) {
            (Some(DiffPart::Same(a)), DiffPart::Same(b))
            | (Some(DiffPart::Removed(a)), DiffPart::Removed(b))
            | (Some(DiffPart::Added(a)), DiffPart::Added(b)) => a.push_str(&b),
            (_, part) => parts.push(part),
        }
    }
    parts
}

/// An article in the desk, with its current content (the newest revision).
#[derive(Debug, Clone, PartialEq)]
pub struct DeskArticle {
    /// Desk id (not the public article's id).
    pub id: i64,
    /// Where it stands.
    pub state: DeskState,
    /// The account that wrote it.
    pub author_id: i64,
    /// That account's name.
    pub author_name: String,
    /// Number of the current revision; a save names it to detect a stale copy.
    pub revision: i64,
    /// The current content.
    pub content: DeskContent,
    /// The desk article this one translates (the first version of the commentary); `None`
    /// for a first version.
    pub translation_of: Option<i64>,
    /// When a scheduled article goes out (UTC).
    pub scheduled_at: Option<time::OffsetDateTime>,
    /// The key its public copy has in the archive (`desk-<id>`), lasting across edits.
    pub article_key: String,
    /// The revision readers see, once published.
    pub published_revision: Option<i64>,
    /// First publication (UTC); republishing an edited article keeps it.
    pub published_at: Option<time::OffsetDateTime>,
    /// Last change (UTC).
    pub updated_at: time::OffsetDateTime,
    /// Account id of whoever made the last change.
    pub updated_by_id: i64,
    /// Name of whoever made the last change.
    pub updated_by: String,
    /// Who has the article open in the form, and since when, if anyone does (post lock).
    pub lock: Option<DeskLock>,
}

/// Someone having an article open in the writing form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskLock {
    /// Account id.
    pub user_id: i64,
    /// Account name.
    pub user_name: String,
    /// Last time the form was opened or saved (UTC).
    pub since: time::OffsetDateTime,
}

/// A desk article as lists and the week grid show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskSummary {
    /// Desk id.
    pub id: i64,
    /// Language.
    pub lang: Language,
    /// Topic slug.
    pub topic: String,
    /// Week.
    pub period: Period,
    /// Headline (may be empty in a fresh draft).
    pub title: String,
    /// State.
    pub state: DeskState,
    /// Author's account id.
    pub author_id: i64,
    /// Author's name.
    pub author_name: String,
    /// Last change (UTC).
    pub updated_at: time::OffsetDateTime,
    /// Publication time of a scheduled article (UTC).
    pub scheduled_at: Option<time::OffsetDateTime>,
}

/// One saved version of a desk article.
#[derive(Debug, Clone, PartialEq)]
pub struct DeskRevision {
    /// 1, 2, … in order of saving.
    pub number: i64,
    /// When (UTC).
    pub at: time::OffsetDateTime,
    /// Who saved it.
    pub author_name: String,
    /// What made it (`saved`, `published`, `restored revision 3`).
    pub note: String,
    /// The content.
    pub content: DeskContent,
}

/// A review comment, kept with the article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskComment {
    /// When (UTC).
    pub at: time::OffsetDateTime,
    /// Who wrote it.
    pub author_name: String,
    /// The comment.
    pub text: String,
}

/// Which desk articles a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeskFilter {
    /// Only this week's.
    pub period: Option<Period>,
    /// Only this account's.
    pub author: Option<i64>,
    /// Only in these states (all when empty).
    pub states: Vec<DeskState>,
}

/// Which revision readers see and since when, as a state change records it: set on
/// publication, put back as it was when a publication fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublishedMark {
    /// The published revision.
    pub revision: Option<i64>,
    /// The first publication (UTC).
    pub at: Option<time::OffsetDateTime>,
}

/// How long an open form holds the post lock without being saved or reopened.
pub const LOCK_MINUTES: i64 = 15;

/// The key a desk article's public copy has in the archive.
pub fn article_key(desk_id: i64) -> String {
    format!("desk-{desk_id}")
}

/// The translation group of a commentary written in the desk: that of its first version.
pub fn translation_group(first_version: i64) -> String {
    format!("desk-group-{first_version}")
}

/// The weekly deadline (`[site] desk_deadline`, for example `Monday 12:00`): the commentaries
/// on a week are due at the first such moment after the week ends, in the office's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    /// Day of the week.
    pub weekday: time::Weekday,
    /// Time of day.
    pub time: time::Time,
}

impl Deadline {
    /// When the commentaries on `period` are due (office wall-clock time).
    pub fn for_period(self, period: Period) -> time::PrimitiveDateTime {
        let mut day = period.sunday().next_day().unwrap_or(period.sunday());
        while day.weekday() != self.weekday {
            day = day.next_day().unwrap_or(day);
        }
        time::PrimitiveDateTime::new(day, self.time)
    }
}

impl Default for Deadline {
    fn default() -> Self {
        Deadline {
            weekday: time::Weekday::Monday,
            time: time::Time::from_hms(12, 0, 0).unwrap_or(time::Time::MIDNIGHT),
        }
    }
}

impl FromStr for Deadline {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let expected = || {
            format!("desk_deadline: {s:?} is not a weekday and a time: expected, for example, \"Monday 12:00\"")
        };
        let mut words = s.split_whitespace();
        let (Some(day), Some(hm), None) = (words.next(), words.next(), words.next()) else {
            return Err(expected());
        };
        use time::Weekday::*;
        let weekday = [
            Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday,
        ]
        .into_iter()
        .find(|w| {
            let name = w.to_string().to_lowercase();
            let day = day.to_lowercase();
            day.len() >= 3 && name.starts_with(&day)
        })
        .ok_or_else(expected)?;
        let (h, m) = hm.split_once(':').ok_or_else(expected)?;
        let time = match (h.parse::<u8>(), m.parse::<u8>()) {
            (Ok(h), Ok(m)) => time::Time::from_hms(h, m, 0).map_err(|_| expected())?,
            _ => return Err(expected()),
        };
        Ok(Deadline { weekday, time })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DeskState as S;
    use Transition as T;

    #[test]
    fn analysts_move_their_own_articles_between_draft_and_review_only() {
        assert_eq!(
            transition(S::Draft, T::Submit, Role::Analyst, true),
            Ok(S::InReview)
        );
        assert_eq!(
            transition(S::InReview, T::BackToDraft, Role::Analyst, true),
            Ok(S::Draft)
        );
        assert!(matches!(
            transition(S::Draft, T::Submit, Role::Analyst, false),
            Err(WorkflowError::Forbidden(_))
        ));
        for t in [T::Publish, T::Schedule, T::RequestChanges, T::Unpublish] {
            assert!(
                matches!(
                    transition(S::InReview, t, Role::Analyst, true),
                    Err(WorkflowError::Forbidden(_))
                ),
                "{t:?}"
            );
        }
    }

    #[test]
    fn editors_review_schedule_and_publish_directly() {
        assert_eq!(
            transition(S::InReview, T::RequestChanges, Role::Editor, false),
            Ok(S::ChangesRequested)
        );
        assert_eq!(
            transition(S::ChangesRequested, T::Submit, Role::Analyst, true),
            Ok(S::InReview)
        );
        assert_eq!(
            transition(S::Draft, T::Publish, Role::Editor, false),
            Ok(S::Published)
        );
        assert_eq!(
            transition(S::InReview, T::Schedule, Role::Admin, false),
            Ok(S::Scheduled)
        );
        assert_eq!(
            transition(S::Published, T::Unpublish, Role::Editor, false),
            Ok(S::Unpublished)
        );
        assert!(matches!(
            transition(S::Published, T::Submit, Role::Editor, true),
            Err(WorkflowError::WrongState(_))
        ));
        assert!(matches!(
            transition(S::Draft, T::Unpublish, Role::Editor, true),
            Err(WorkflowError::WrongState(_))
        ));
    }

    #[test]
    fn analysts_stop_editing_once_an_editor_has_scheduled_or_published() {
        assert!(may_edit(S::ChangesRequested, Role::Analyst, true));
        assert!(!may_edit(S::Draft, Role::Analyst, false));
        assert!(!may_edit(S::Scheduled, Role::Analyst, true));
        assert!(may_edit(S::Published, Role::Editor, false));
        assert_eq!(
            available(S::Draft, Role::Analyst, true),
            vec![T::Submit],
            "an analyst's own draft offers submission only"
        );
    }

    #[test]
    fn a_rated_status_needs_its_reason_and_the_headline_is_required() {
        let topics = Topics::default();
        let topic = topics
            .iter()
            .next()
            .map(|t| t.slug.clone())
            .unwrap_or_default();
        let period: Period = "2026-W48".parse().expect("period");
        let mut c = DeskContent::empty(Language::En, &topic, period, "A. Analyst");
        c.status = "worsened".into();
        let fields: Vec<_> = c.problems(&topics).iter().map(|p| p.field).collect();
        assert_eq!(fields, vec!["title", "rationale", "body"]);
        c.title = "Headline".into();
        c.rationale = "Why".into();
        c.body_markdown = "Text.".into();
        assert!(c.problems(&topics).is_empty());
        c.topic = "no-such-topic".into();
        assert_eq!(c.problems(&topics)[0].field, "topic");
    }

    #[test]
    fn word_diff_marks_changed_words_only() {
        let parts = word_diff("the army moved north", "the army moved south quickly");
        assert_eq!(parts[0], DiffPart::Same("the army moved ".into()));
        assert!(parts.contains(&DiffPart::Removed("north".into())));
        assert!(parts
            .iter()
            .any(|p| matches!(p, DiffPart::Added(s) if s.contains("south"))));
    }

    #[test]
    fn the_deadline_falls_after_the_week_it_closes() {
        let d: Deadline = "Monday 12:00".parse().expect("deadline");
        let w48: Period = "2026-W48".parse().expect("period");
        // Week 48 of 2026 runs 23–29 November; its commentaries are due on Monday 30th.
        assert_eq!(d.for_period(w48), time::macros::datetime!(2026-11-30 12:00));
        let tue: Deadline = "tue 09:30".parse().expect("deadline");
        assert_eq!(
            tue.for_period(w48),
            time::macros::datetime!(2026-12-01 09:30)
        );
        for bad in ["", "Monday", "Funday 12:00", "Monday 25:00", "Mo 12:00"] {
            assert!(bad.parse::<Deadline>().is_err(), "{bad:?}");
        }
    }
}
