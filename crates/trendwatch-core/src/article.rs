//! Commentaries: what an importer or an editor submits ([`ArticleDraft`]), the checked form a
//! store writes ([`NewArticle`]), and what the site reads back ([`Article`], [`ArticleSummary`]).

use crate::language::Language;
use crate::limits::{
    check_chars, strip_controls, MAX_BODY_HTML_BYTES, MAX_ITEM_BYTES, MAX_KEY_CHARS,
    MAX_LEAD_SOURCE_CHARS, MAX_LIST_ITEMS, MAX_NAME_CHARS, MAX_RATIONALE_CHARS,
    MAX_STATEMENT_CHARS, MAX_TITLE_CHARS,
};
use crate::period::Period;
use crate::sanitize::{check_nesting, html_to_text, sanitize_html};
use crate::slug::{is_slug, slugify};
use crate::status::{Alert, Status};
use crate::topic::Topics;
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use time::PrimitiveDateTime;

/// What kind of publication an article is. Only weekly commentaries are bound to the
/// one-per-topic-week-language rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArticleKind {
    /// The weekly commentary on one topic.
    Weekly,
    /// An annual review (major threats, forecast).
    AnnualReview,
    /// Anything else (announcements, special reports).
    Other,
}

impl ArticleKind {
    /// Stable identifier for storage.
    pub fn code(self) -> &'static str {
        match self {
            ArticleKind::Weekly => "weekly",
            ArticleKind::AnnualReview => "annual_review",
            ArticleKind::Other => "other",
        }
    }
}

/// Error for an unknown kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown kind {0:?}: expected weekly, annual_review or other")]
pub struct UnknownKind(pub String);

impl FromStr for ArticleKind {
    type Err = UnknownKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_lowercase().replace(['-', ' '], "_").as_str() {
            "" | "weekly" | "commentary" | "weekly_commentary" => Ok(ArticleKind::Weekly),
            "annual_review" | "annual" | "review" => Ok(ArticleKind::AnnualReview),
            "other" => Ok(ArticleKind::Other),
            _ => Err(UnknownKind(s.to_string())),
        }
    }
}

/// An article as a source describes it, before checking. Importers fill what their format
/// has; [`ArticleDraft::prepare`] derives the rest and checks every field.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ArticleDraft {
    /// Identity across re-imports, if the source has one (JSON `id`, front matter `id`).
    pub key: Option<String>,
    /// Language; detected from the text when the source does not say.
    pub lang: Option<Language>,
    /// Kind name as written in the source; weekly when absent.
    pub kind: Option<String>,
    /// Topic name, slug or alias as written in the source.
    pub topic: Option<String>,
    /// Headline without the topic prefix.
    pub title: String,
    /// One-paragraph summary; the first paragraph of the body when absent.
    pub lead: Option<String>,
    /// Body as HTML (sanitised in `prepare`).
    pub body_html: String,
    /// Publication date and time (site-local).
    pub published_at: Option<PrimitiveDateTime>,
    /// Explicit period; wins over the one derived from the publication date.
    pub period: Option<String>,
    /// Status word as written in the source.
    pub status: Option<String>,
    /// One-line reason for the status.
    pub rationale: Option<String>,
    /// Alert word as written in the source.
    pub alert: Option<String>,
    /// Image URL.
    pub image_url: Option<String>,
    /// Image credit ("www.mil.by").
    pub image_credit: Option<String>,
    /// What the image shows, for readers who cannot see it (the source's `alt`).
    pub image_alt: Option<String>,
    /// Author names.
    pub authors: Vec<String>,
    /// Free tags.
    pub tags: Vec<String>,
    /// Where the article was first published.
    pub source_url: Option<String>,
    /// URL slug; derived from the title when absent.
    pub slug: Option<String>,
    /// Shared by the translations of one commentary.
    pub translation_group: Option<String>,
    /// Titles of articles the source lists as similar (the seed's "Similar articles").
    pub similar_titles: Vec<String>,
    /// Forecasts the commentary makes.
    pub forecasts: Vec<crate::forecast::ForecastDraft>,
    /// When an editor last changed the published article (office wall-clock time).
    pub updated_at: Option<PrimitiveDateTime>,
    /// The correction note shown with that change.
    pub correction: Option<String>,
    /// Addresses the article had on an older site (`/2017/08/07/slug/`, `/?p=123`), which
    /// redirect to it permanently.
    pub legacy_paths: Vec<String>,
    /// The source holds it unpublished (a WordPress draft): it may become a draft in the
    /// desk, never an article of the archive ([`ArticleDraft::prepare`] refuses it).
    pub unpublished: bool,
}

/// A field of a draft that failed its check, with what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field `{field}`: {message}")]
pub struct DraftError {
    /// Name of the offending field, as in the JSON-lines schema (`forecasts[1].probability`).
    pub field: String,
    /// What was wrong and what was expected.
    pub message: String,
}

impl DraftError {
    pub(crate) fn new(field: impl Into<String>, message: impl Into<String>) -> DraftError {
        DraftError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A checked article, ready to be written by a store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewArticle {
    /// Identity across re-imports.
    pub key: String,
    /// Language.
    pub lang: Language,
    /// Kind.
    pub kind: ArticleKind,
    /// Topic slug, known to the site's topics.
    pub topic: String,
    /// Headline.
    pub title: String,
    /// Plain-text summary.
    pub lead: String,
    /// Sanitised body HTML.
    pub body_html: String,
    /// Plain text of the body, for similarity and search.
    pub body_text: String,
    /// Publication date and time.
    pub published_at: PrimitiveDateTime,
    /// The week the commentary covers.
    pub period: Period,
    /// Status marker.
    pub status: Status,
    /// Reason for the status.
    pub rationale: String,
    /// Forward alert.
    pub alert: Alert,
    /// Image URL (http or https only).
    pub image_url: Option<String>,
    /// Image credit.
    pub image_credit: Option<String>,
    /// Text alternative of the image.
    pub image_alt: Option<String>,
    /// Authors.
    pub authors: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Original URL.
    pub source_url: Option<String>,
    /// Preferred slug; a store may add a date suffix on collision.
    pub slug: String,
    /// Translation group.
    pub translation_group: Option<String>,
    /// Titles listed by the source as similar.
    pub similar_titles: Vec<String>,
    /// Forecasts (ids are 0 until stored).
    pub forecasts: Vec<crate::forecast::Forecast>,
    /// Key of the article this one copies, when it is kept as a linked duplicate: it then
    /// stays out of similar lists, search and storylines.
    pub duplicate_of: Option<String>,
    /// When an editor last changed the published article (office wall-clock time).
    pub updated_at: Option<PrimitiveDateTime>,
    /// The correction note readers see with that change.
    pub correction: Option<String>,
    /// Addresses on an older site that redirect here (see [`ArticleDraft::legacy_paths`]).
    pub legacy_paths: Vec<String>,
}

/// Longest lead kept, in characters.
pub const MAX_LEAD_CHARS: usize = 400;

/// The trimmed value without control characters, or `None` when nothing is left.
fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|v| strip_controls(v.trim(), false).trim().to_string())
        .filter(|v| !v.is_empty())
}

fn first_paragraph(text: &str) -> String {
    let p = text
        .split("\n\n")
        .map(str::trim)
        .find(|p| !p.is_empty())
        .unwrap_or("");
    truncate_words(p, MAX_LEAD_CHARS)
}

/// Cuts `text` to at most `max` characters at a word boundary, adding an ellipsis.
pub fn truncate_words(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > max / 2 => &cut[..i],
        _ => &cut[..],
    };
    format!("{}…", cut.trim_end_matches([',', ';', ':', ' ']))
}

impl ArticleDraft {
    /// Refuses any field longer than its limit in [`crate::limits`], before any work is
    /// spent on it, with the field's name, its limit and its size.
    fn check_sizes(&self) -> Result<(), DraftError> {
        let text_fields: [(&str, Option<&str>, usize); 15] = [
            ("title", Some(&self.title), MAX_TITLE_CHARS),
            ("id", self.key.as_deref(), MAX_KEY_CHARS),
            ("kind", self.kind.as_deref(), MAX_NAME_CHARS),
            ("topic", self.topic.as_deref(), MAX_NAME_CHARS),
            ("lead", self.lead.as_deref(), MAX_LEAD_SOURCE_CHARS),
            ("period", self.period.as_deref(), MAX_NAME_CHARS),
            ("status", self.status.as_deref(), MAX_NAME_CHARS),
            ("rationale", self.rationale.as_deref(), MAX_RATIONALE_CHARS),
            ("alert", self.alert.as_deref(), MAX_NAME_CHARS),
            ("image_credit", self.image_credit.as_deref(), MAX_NAME_CHARS),
            ("image_alt", self.image_alt.as_deref(), MAX_RATIONALE_CHARS),
            ("slug", self.slug.as_deref(), MAX_KEY_CHARS),
            (
                "translation_group",
                self.translation_group.as_deref(),
                MAX_KEY_CHARS,
            ),
            (
                "image",
                self.image_url.as_deref(),
                crate::content_url::MAX_URL_BYTES,
            ),
            (
                "correction",
                self.correction.as_deref(),
                MAX_RATIONALE_CHARS,
            ),
        ];
        for (field, value, max) in text_fields {
            if let Some(v) = value {
                check_chars(v.trim(), max).map_err(|e| DraftError::new(field, e))?;
            }
        }
        if let Some(u) = &self.source_url {
            check_chars(u.trim(), crate::content_url::MAX_URL_BYTES)
                .map_err(|e| DraftError::new("source_url", e))?;
        }
        if self.body_html.len() > MAX_ITEM_BYTES {
            return Err(DraftError::new(
                "body",
                format!(
                    "too long: at most {} MiB, found {:.1} MiB",
                    MAX_ITEM_BYTES >> 20,
                    self.body_html.len() as f64 / 1048576.0
                ),
            ));
        }
        let lists: [(&str, &[String], usize); 3] = [
            ("authors", &self.authors, MAX_NAME_CHARS),
            ("tags", &self.tags, MAX_NAME_CHARS),
            ("similar", &self.similar_titles, MAX_TITLE_CHARS),
        ];
        for (field, items, max) in lists {
            if items.len() > MAX_LIST_ITEMS {
                return Err(DraftError::new(
                    field,
                    format!(
                        "too many entries: at most {MAX_LIST_ITEMS}, found {}",
                        items.len()
                    ),
                ));
            }
            for (i, item) in items.iter().enumerate() {
                check_chars(item.trim(), max)
                    .map_err(|e| DraftError::new(format!("{field}[{i}]"), e))?;
            }
        }
        if self.forecasts.len() > MAX_LIST_ITEMS {
            return Err(DraftError::new(
                "forecasts",
                format!(
                    "too many entries: at most {MAX_LIST_ITEMS}, found {}",
                    self.forecasts.len()
                ),
            ));
        }
        for (i, f) in self.forecasts.iter().enumerate() {
            check_chars(&f.statement, MAX_STATEMENT_CHARS)
                .map_err(|e| DraftError::new(format!("forecasts[{i}].statement"), e))?;
            for (name, v) in [
                ("probability", &f.probability),
                ("resolve_by", &f.resolve_by),
            ] {
                check_chars(v, MAX_NAME_CHARS)
                    .map_err(|e| DraftError::new(format!("forecasts[{i}].{name}"), e))?;
            }
        }
        Ok(())
    }

    /// Checks every field against the site's `topics` and derives what the source left out:
    /// language, period, slug, lead, key. Errors name the field and say what was expected.
    pub fn prepare(self, topics: &Topics) -> Result<NewArticle, DraftError> {
        if self.unpublished {
            return Err(DraftError::new(
                "status",
                "unpublished at its source: a draft does not enter the archive",
            ));
        }
        self.check_sizes()?;
        let title = strip_controls(&self.title, false)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if title.is_empty() {
            return Err(DraftError::new(
                "title",
                "missing: every article needs a headline",
            ));
        }
        check_nesting(&self.body_html).map_err(|e| DraftError::new("body", e))?;
        let body_html = sanitize_html(&strip_controls(&self.body_html, true));
        if body_html.len() > MAX_BODY_HTML_BYTES {
            return Err(DraftError::new(
                "body",
                format!(
                    "too long: at most {} MiB of HTML after cleaning, found {:.1} MiB",
                    MAX_BODY_HTML_BYTES >> 20,
                    body_html.len() as f64 / 1048576.0
                ),
            ));
        }
        let body_text = html_to_text(&body_html);
        if body_text.trim().is_empty() {
            return Err(DraftError::new("body", "missing: the article has no text"));
        }
        let published_at = self.published_at.ok_or_else(|| {
            DraftError::new(
                "date",
                "missing: expected a publication date such as 2017-08-07 12:25",
            )
        })?;
        let kind = match self.kind.as_deref() {
            None => ArticleKind::Weekly,
            Some(k) => k
                .parse()
                .map_err(|e: UnknownKind| DraftError::new("kind", e.to_string()))?,
        };
        let topic_name = non_empty(self.topic).ok_or_else(|| {
            DraftError::new(
                "topic",
                format!("missing: expected one of {}", topics.slugs()),
            )
        })?;
        let topic = topics
            .find(&topic_name)
            .ok_or_else(|| {
                DraftError::new(
                    "topic",
                    format!(
                        "unknown topic {topic_name:?}: expected one of {}",
                        topics.slugs()
                    ),
                )
            })?
            .slug
            .clone();
        let lang = self
            .lang
            .unwrap_or_else(|| Language::detect(&format!("{title} {body_text}")));
        let period = match non_empty(self.period) {
            Some(p) => p
                .parse::<Period>()
                .map_err(|e| DraftError::new("period", e.to_string()))?,
            None => Period::reviewed_on(published_at.date()),
        };
        let status = match self.status.as_deref() {
            None => Status::NotRated,
            Some(s) => s.parse().map_err(|e: crate::status::UnknownStatus| {
                DraftError::new("status", e.to_string())
            })?,
        };
        let alert = match self.alert.as_deref() {
            None => Alert::None,
            Some(s) => s.parse().map_err(|e: crate::status::UnknownAlert| {
                DraftError::new("alert", e.to_string())
            })?,
        };
        let content_url = |field: &str, url: Option<String>| match non_empty(url) {
            None => Ok(None),
            Some(u) => crate::content_url::check(&u)
                .map(|u| Some(u.to_string()))
                .map_err(|e| DraftError::new(field, e.to_string())),
        };
        let image_url = content_url("image", self.image_url)?;
        let source_url = content_url("source_url", self.source_url)?;
        let slug = match non_empty(self.slug) {
            Some(s) if is_slug(&s) => s,
            Some(s) => {
                return Err(DraftError::new(
                    "slug",
                    format!("{s:?} is not a slug: expected lowercase a-z, 0-9 and single hyphens"),
                ))
            }
            None => {
                let s = slugify(&title);
                if s.is_empty() {
                    format!("article-{}", published_at.date())
                } else {
                    s
                }
            }
        };
        let key = non_empty(self.key)
            .unwrap_or_else(|| format!("{}:{}:{}", lang.code(), published_at.date(), slug));
        let lead = match non_empty(self.lead) {
            Some(l) => truncate_words(&html_to_text(&l), MAX_LEAD_CHARS),
            None => first_paragraph(&body_text),
        };
        let clean_list = |v: Vec<String>| -> Vec<String> {
            let mut out: Vec<String> = Vec::new();
            for s in v.into_iter().map(|s| strip_controls(s.trim(), false)) {
                if !s.is_empty() && !out.contains(&s) {
                    out.push(s);
                }
            }
            out
        };
        let forecasts = self
            .forecasts
            .iter()
            .enumerate()
            .map(|(i, f)| {
                f.prepare()
                    .map_err(|(field, msg)| DraftError::new(format!("forecasts[{i}].{field}"), msg))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let legacy_paths = self
            .legacy_paths
            .into_iter()
            .map(|p| {
                let fine = p.starts_with('/')
                    && p.len() <= 1024
                    && !p.contains(|c: char| c.is_whitespace() || c.is_control());
                if fine {
                    Ok(p)
                } else {
                    Err(DraftError::new(
                        "legacy_paths",
                        format!("{p:?}: expected a path of the old site starting with /"),
                    ))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(NewArticle {
            legacy_paths,
            forecasts,
            key,
            lang,
            kind,
            topic,
            title,
            lead,
            body_html,
            body_text,
            published_at,
            period,
            status,
            rationale: non_empty(self.rationale).unwrap_or_default(),
            alert,
            image_url,
            image_credit: non_empty(self.image_credit),
            image_alt: non_empty(self.image_alt),
            authors: clean_list(self.authors),
            tags: clean_list(self.tags),
            source_url,
            slug,
            translation_group: non_empty(self.translation_group),
            similar_titles: clean_list(self.similar_titles),
            duplicate_of: None,
            updated_at: self.updated_at,
            correction: non_empty(self.correction),
        })
    }
}

/// How far past the present a publication date may lie, for clocks and time zones that
/// differ between the source and this machine.
pub const FUTURE_TOLERANCE: time::Duration = time::Duration::days(1);

impl NewArticle {
    /// Refuses an article dated after `now` (plus [`FUTURE_TOLERANCE`]). Until scheduled
    /// publication exists, an article dated in 2099 would go live at once and hold the home
    /// page's "latest week" for decades. `now` is passed in: this crate reads no clock.
    pub fn check_not_future(&self, now: PrimitiveDateTime) -> Result<(), DraftError> {
        if self.published_at > now + FUTURE_TOLERANCE {
            return Err(DraftError::new(
                "date",
                format!(
                    "{} is in the future: articles dated later than today are refused \
                     (scheduled publication is not supported yet); import it on its date",
                    self.published_at
                ),
            ));
        }
        Ok(())
    }
}

/// A stored article, as the article page needs it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Article {
    /// Database id.
    pub id: i64,
    /// The checked content.
    #[serde(flatten)]
    pub content: NewArticle,
    /// The article this one copies (same language), when it was imported as a linked
    /// duplicate.
    pub copy_of: Option<CopyOf>,
}

/// The original of an article kept as a linked duplicate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CopyOf {
    /// The original's URL slug.
    pub slug: String,
    /// The original's headline.
    pub title: String,
}

/// The part of an article that lists, archives and "Similar articles" show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArticleSummary {
    /// Database id.
    pub id: i64,
    /// Language.
    pub lang: Language,
    /// Kind.
    pub kind: ArticleKind,
    /// URL slug.
    pub slug: String,
    /// Topic slug.
    pub topic: String,
    /// Headline.
    pub title: String,
    /// Summary.
    pub lead: String,
    /// Publication date and time.
    pub published_at: PrimitiveDateTime,
    /// Covered week.
    pub period: Period,
    /// Status marker.
    pub status: Status,
    /// Forward alert.
    pub alert: Alert,
    /// Image credit.
    pub image_credit: Option<String>,
    /// Translation group.
    pub translation_group: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn draft() -> ArticleDraft {
        ArticleDraft {
            topic: Some("Security".into()),
            title: "  Minsk   aims to steer clear ".into(),
            body_html: "<p>Last week, a trend.</p><p>Second.</p>".into(),
            published_at: Some(datetime!(2017-08-07 12:25)),
            ..ArticleDraft::default()
        }
    }

    #[test]
    fn derives_missing_fields() {
        let a = draft().prepare(&Topics::default()).expect("valid draft");
        assert_eq!(a.title, "Minsk aims to steer clear");
        assert_eq!(a.topic, "security");
        assert_eq!(a.period.to_string(), "2017-W31");
        assert_eq!(a.lead, "Last week, a trend.");
        assert_eq!(a.slug, "minsk-aims-to-steer-clear");
        assert_eq!(a.key, "en:2017-08-07:minsk-aims-to-steer-clear");
        assert_eq!(a.status, Status::NotRated);
        assert_eq!(a.lang, Language::En);
    }

    #[test]
    fn every_field_has_a_size_limit() {
        let mut d = draft();
        d.title = "x".repeat(MAX_TITLE_CHARS + 1);
        let e = d.prepare(&Topics::default()).expect_err("long title");
        assert_eq!(e.field, "title");
        assert!(e.message.contains("at most 300"));

        let mut d = draft();
        d.rationale = Some("r".repeat(MAX_RATIONALE_CHARS + 1));
        assert_eq!(
            d.prepare(&Topics::default()).map_err(|e| e.field),
            Err("rationale".to_string())
        );

        let mut d = draft();
        d.authors = vec!["a".repeat(MAX_NAME_CHARS + 1)];
        assert_eq!(
            d.prepare(&Topics::default()).map_err(|e| e.field),
            Err("authors[0]".to_string())
        );

        let mut d = draft();
        d.tags = (0..=MAX_LIST_ITEMS).map(|i| format!("t{i}")).collect();
        assert_eq!(
            d.prepare(&Topics::default()).map_err(|e| e.field),
            Err("tags".to_string())
        );

        let mut d = draft();
        d.body_html = format!("<p>{}</p>", "word ".repeat(MAX_ITEM_BYTES / 5 + 1));
        assert_eq!(
            d.prepare(&Topics::default()).map_err(|e| e.field),
            Err("body".to_string())
        );
    }

    #[test]
    fn deep_nesting_is_refused_before_sanitising() {
        let mut d = draft();
        d.body_html = format!("{}x", "<blockquote>".repeat(5000));
        let e = d.prepare(&Topics::default()).expect_err("too deep");
        assert_eq!(e.field, "body");
        assert!(e.message.contains("5000 levels"));
    }

    #[test]
    fn control_characters_leave_titles_and_names() {
        let mut d = draft();
        d.title = "Drills\u{0} end\u{1b}[2J".into();
        d.authors = vec!["Lena\u{7}".into()];
        let a = d.prepare(&Topics::default()).expect("valid");
        assert_eq!(a.title, "Drills end[2J");
        assert_eq!(a.authors, vec!["Lena".to_string()]);
    }

    #[test]
    fn c2_source_and_image_urls_allow_only_http_https_and_site_paths() {
        for (field, bad) in [
            ("source_url", "javascript:alert(document.domain)"),
            ("image", "data:image/png;base64,AAAA"),
            ("image", "//evil.example/x.png"),
        ] {
            let mut d = draft();
            match field {
                "source_url" => d.source_url = Some(bad.into()),
                _ => d.image_url = Some(bad.into()),
            }
            let e = d.prepare(&Topics::default()).expect_err(bad);
            assert_eq!(e.field, field);
        }
    }

    #[test]
    fn future_dates_are_refused() {
        let a = draft().prepare(&Topics::default()).expect("valid");
        assert!(a.check_not_future(datetime!(2017-08-07 00:00)).is_ok());
        let e = a
            .check_not_future(datetime!(2017-08-05 12:00))
            .expect_err("two days early");
        assert_eq!(e.field, "date");
        assert!(e.message.contains("future"));
    }

    #[test]
    fn explicit_period_wins() {
        let mut d = draft();
        d.period = Some("2017-W30".into());
        assert_eq!(
            d.prepare(&Topics::default()).map(|a| a.period.to_string()),
            Ok("2017-W30".into())
        );
    }

    #[test]
    fn errors_name_the_field() {
        let mut d = draft();
        d.topic = Some("Sports".into());
        let e = d.prepare(&Topics::default()).expect_err("unknown topic");
        assert_eq!(e.field, "topic");
        assert!(e.message.contains("Sports") && e.message.contains("security"));

        let mut d = draft();
        d.published_at = None;
        assert_eq!(
            d.prepare(&Topics::default()).map_err(|e| e.field),
            Err("date".to_string())
        );

        let mut d = draft();
        d.status = Some("sideways".into());
        assert_eq!(
            d.prepare(&Topics::default()).map_err(|e| e.field),
            Err("status".to_string())
        );

        let mut d = draft();
        d.body_html = "<script>x</script>".into();
        assert_eq!(
            d.prepare(&Topics::default()).map_err(|e| e.field),
            Err("body".to_string())
        );

        let mut d = draft();
        d.forecasts = vec![crate::forecast::ForecastDraft {
            statement: "Drills end on time".into(),
            probability: "140%".into(),
            resolve_by: "2026-11-30".into(),
            outcome: None,
        }];
        assert_eq!(
            d.prepare(&Topics::default()).map_err(|e| e.field),
            Err("forecasts[0].probability".to_string())
        );
    }
}

/// What full-text search knows of one article: its words and the fields readers filter by.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleText {
    /// Article id.
    pub id: i64,
    /// Language code (`en`, `ru`).
    pub lang: String,
    /// Topic slug.
    pub topic: String,
    /// Status code (`improved`, `unchanged`, `worsened`, `not_rated`).
    pub status: String,
    /// Publication day, days since 1970-01-01.
    pub day: i64,
    /// URL slug.
    pub slug: String,
    /// Headline.
    pub title: String,
    /// Lead paragraph.
    pub lead: String,
    /// Plain text of the body.
    pub text: String,
    /// Identity across re-imports.
    pub key: String,
}

/// An editor's decision about one entry of an article's similar list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RelatedOverride {
    /// Always listed, before the engine's suggestions.
    Pin,
    /// Never listed.
    Exclude,
}

impl RelatedOverride {
    /// The stored and API name.
    pub fn code(self) -> &'static str {
        match self {
            RelatedOverride::Pin => "pin",
            RelatedOverride::Exclude => "exclude",
        }
    }
}
