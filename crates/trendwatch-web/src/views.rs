//! View models: domain values turned into the strings templates print, so templates hold no
//! logic beyond loops and conditions.

use crate::config::SiteConfig;
use crate::i18n::{strings, Strings};
use time::PrimitiveDateTime;
use trendwatch_core::article::ArticleSummary;
use trendwatch_core::period::{month_en, month_ru_genitive};
use trendwatch_core::{Alert, Language, Period, Status};

/// Formats a day ("August 07, 2017", "7 августа 2017").
pub fn format_date(d: time::Date, lang: Language) -> String {
    match lang {
        Language::En => format!("{} {:02}, {}", month_en(d.month()), d.day(), d.year()),
        Language::Ru => format!("{} {} {}", d.day(), month_ru_genitive(d.month()), d.year()),
    }
}

/// Formats a publication time as the reference site does ("August 07, 2017 12:25").
pub fn format_datetime(t: PrimitiveDateTime, lang: Language) -> String {
    match lang {
        Language::En => format!(
            "{} {:02}, {} {:02}:{:02}",
            month_en(t.month()),
            t.day(),
            t.year(),
            t.hour(),
            t.minute()
        ),
        Language::Ru => format!(
            "{} {} {} {:02}:{:02}",
            t.day(),
            month_ru_genitive(t.month()),
            t.year(),
            t.hour(),
            t.minute()
        ),
    }
}

/// Machine-readable time for `<time datetime>`.
pub fn iso_datetime(t: PrimitiveDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// URL of an article.
pub fn article_url(lang: Language, slug: &str) -> String {
    format!("/{}/articles/{}", lang.code(), slug)
}

/// URL of a topic archive page (page 1 has no suffix, so its URL never changes).
pub fn topic_url(lang: Language, topic: &str, page: u64) -> String {
    if page <= 1 {
        format!("/{}/topics/{}", lang.code(), topic)
    } else {
        format!("/{}/topics/{}/page/{}", lang.code(), topic, page)
    }
}

/// Percent-encodes one path segment: tags and author names have spaces, Cyrillic letters
/// and anything else a source wrote.
pub fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// URL of an author's track record.
pub fn track_record_author_url(lang: Language, name: &str) -> String {
    format!(
        "/{}/track-record/authors/{}",
        lang.code(),
        path_segment(name)
    )
}

/// URL of a page of the commentaries with one tag.
pub fn tag_url(lang: Language, tag: &str, page: u64) -> String {
    listing_url(lang, "tags", tag, page)
}

/// URL of a page of one author's commentaries.
pub fn author_url(lang: Language, name: &str, page: u64) -> String {
    listing_url(lang, "authors", name, page)
}

fn listing_url(lang: Language, kind: &str, value: &str, page: u64) -> String {
    let base = format!("/{}/{kind}/{}", lang.code(), path_segment(value));
    if page <= 1 {
        base
    } else {
        format!("{base}/page/{page}")
    }
}

/// URL of a page of the digest's that acts on a reader's signed link (`confirm`,
/// `preferences`, `unsubscribe`).
pub fn newsletter_url(lang: Language, page: &str, token: &str) -> String {
    format!("/{}/newsletter/{page}?t={token}", lang.code())
}

/// URL of a weekly overview.
pub fn week_url(lang: Language, period: Period) -> String {
    format!("/{}/weeks/{}", lang.code(), period.url_slug())
}

/// A status marker: a CSS class for colour, a symbol for shape and a word, so meaning never
/// depends on colour alone.
#[derive(Debug, Clone)]
pub struct Marker {
    pub code: &'static str,
    pub symbol: &'static str,
    pub label: &'static str,
}

impl Marker {
    pub fn new(status: Status, lang: Language) -> Marker {
        Marker {
            code: status.code(),
            symbol: status.symbol(),
            label: status.label(lang),
        }
    }
}

/// A forward alert as shown next to a headline; `None` when there is none.
#[derive(Debug, Clone)]
pub struct AlertView {
    pub code: &'static str,
    pub label: &'static str,
}

impl AlertView {
    pub fn new(alert: Alert, lang: Language) -> Option<AlertView> {
        (alert != Alert::None).then(|| AlertView {
            code: alert.code(),
            label: alert.label(lang),
        })
    }
}

/// One article in a list: home, archives, weekly overview, similar articles, recent trends.
#[derive(Debug, Clone)]
pub struct Card {
    pub url: String,
    pub title: String,
    pub lead: String,
    pub topic_name: String,
    pub topic_url: String,
    pub date: String,
    pub iso_date: String,
    pub period_label: String,
    pub period_url: String,
    pub marker: Marker,
    pub alert: Option<AlertView>,
    pub credit: Option<String>,
    /// The ISO year of the week covered.
    pub year: i32,
    /// Set on the first card of each year of an archive page (see [`mark_years`]): the
    /// target of the page's jump to that year.
    pub year_anchor: Option<i32>,
}

/// The cards of an archive page, the first of each year marked as its anchor.
pub fn archive_cards(items: &[ArticleSummary], site: &SiteConfig) -> Vec<Card> {
    let mut cards: Vec<Card> = items.iter().map(|a| Card::new(a, site)).collect();
    mark_years(&mut cards);
    cards
}

/// Marks the first card of each year, in page order.
pub fn mark_years(cards: &mut [Card]) {
    let mut last = None;
    for c in cards {
        if last != Some(c.year) {
            c.year_anchor = Some(c.year);
        }
        last = Some(c.year);
    }
}

impl Card {
    pub fn new(a: &ArticleSummary, site: &SiteConfig) -> Card {
        let lang = a.lang;
        let topic_name = site
            .topics
            .by_slug(&a.topic)
            .map(|t| t.name(lang).to_string())
            .unwrap_or_else(|| a.topic.clone());
        Card {
            url: article_url(lang, &a.slug),
            title: a.title.clone(),
            lead: a.lead.clone(),
            topic_name,
            topic_url: topic_url(lang, &a.topic, 1),
            date: format_datetime(a.published_at, lang),
            iso_date: iso_datetime(a.published_at),
            period_label: a.period.label(lang),
            period_url: week_url(lang, a.period),
            marker: Marker::new(a.status, lang),
            alert: AlertView::new(a.alert, lang),
            credit: a.image_credit.clone(),
            year: a.period.year(),
            year_anchor: None,
        }
    }
}

/// URL of a storyline page.
pub fn storyline_url(lang: Language, id: i64) -> String {
    format!("/{}/storylines/{}", lang.code(), id)
}

/// A storyline in a list ("Recent trends", related storylines).
#[derive(Debug, Clone)]
pub struct StorylineCard {
    pub url: String,
    pub title: String,
    pub marker: Marker,
    pub last_label: String,
    pub last_url: String,
    pub topics: String,
    pub articles: u64,
    /// "3 commentaries" / "3 комментария".
    pub count_label: String,
}

/// "1 commentary", "5 commentaries"; Russian with its three plural forms.
pub fn commentaries(n: u64, lang: Language) -> String {
    match lang {
        Language::En => format!("{n} {}", if n == 1 { "commentary" } else { "commentaries" }),
        Language::Ru => {
            let word = match (n % 10, n % 100) {
                (1, r) if r != 11 => "комментарий",
                (2..=4, r) if !(12..=14).contains(&r) => "комментария",
                _ => "комментариев",
            };
            format!("{n} {word}")
        }
    }
}

impl StorylineCard {
    pub fn new(
        s: &trendwatch_core::storyline::StorylineSummary,
        lang: Language,
        site: &SiteConfig,
    ) -> StorylineCard {
        StorylineCard {
            url: storyline_url(lang, s.id),
            title: s.title.clone(),
            marker: Marker::new(s.latest_status, lang),
            last_label: s.last.label(lang),
            last_url: week_url(lang, s.last),
            topics: s
                .topics
                .iter()
                .map(|t| {
                    site.topics
                        .by_slug(t)
                        .map(|x| x.name(lang).to_string())
                        .unwrap_or_else(|| t.clone())
                })
                .collect::<Vec<_>>()
                .join(", "),
            articles: s.articles,
            count_label: commentaries(s.articles, lang),
        }
    }
}

/// A link to the same page in another language, for the switcher and `hreflang`.
#[derive(Debug, Clone)]
pub struct Alternate {
    pub code: &'static str,
    pub name: &'static str,
    pub url: String,
}

/// A topic in the main navigation.
#[derive(Debug, Clone)]
pub struct NavItem {
    pub url: String,
    pub name: String,
    pub current: bool,
}

/// What the shared layout needs on every page.
#[derive(Debug, Clone)]
pub struct Layout {
    pub lang: &'static str,
    pub t: &'static Strings,
    pub title: String,
    pub site_name: String,
    pub tagline: String,
    pub notice: String,
    pub home_url: String,
    pub about_url: String,
    /// The digest's subscription page, when e-mail is configured.
    pub newsletter_url: Option<String>,
    /// The words of that link.
    pub newsletter_label: &'static str,
    pub week_url: String,
    pub css_url: String,
    pub nav: Vec<NavItem>,
    /// Other languages of this page (empty when the page exists in one language only).
    pub alternates: Vec<Alternate>,
    /// This page's own URL, for the `hreflang` self-reference.
    pub self_url: String,
    /// The site's public address (no trailing slash): every link in `<head>` is absolute.
    pub base: String,
    /// The page's canonical URL, absolute (a linked copy names its original's).
    pub canonical: String,
    /// The page's meta description.
    pub description: String,
    /// Feeds announced in `<head>` for autodiscovery: the site's, and the topic's or
    /// storyline's on their pages.
    pub feeds: Vec<FeedLink>,
}

/// `text` on one line: every run of whitespace made one space (for meta descriptions).
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A feed announced in a page's `<head>`.
#[derive(Debug, Clone)]
pub struct FeedLink {
    /// Media type (`application/rss+xml`, ...).
    pub media_type: &'static str,
    /// Title readers see when their tool offers the feed.
    pub title: String,
    /// Absolute address.
    pub url: String,
}

/// The three formats of one feed, whose addresses end in `dir` (e.g. `/en/topics/security/`).
pub fn feed_links(base: &str, dir: &str, title: &str) -> Vec<FeedLink> {
    crate::feeds::FeedFormat::ALL
        .iter()
        .map(|f| FeedLink {
            media_type: f.media_type(),
            title: format!("{title} ({})", f.label()),
            url: format!("{base}{dir}{}", f.file_name()),
        })
        .collect()
}

impl Layout {
    /// Layout for a page of `lang` at `self_url`, whose other-language versions are
    /// `alternates`; `current_topic` is highlighted in the navigation.
    pub fn new(
        site: &SiteConfig,
        lang: Language,
        title: &str,
        self_url: String,
        alternates: Vec<Alternate>,
        current_topic: Option<&str>,
    ) -> Layout {
        let site_name = site.name(lang).to_string();
        let base = match site.base_url.trim_end_matches('/') {
            "" => "http://localhost".to_string(),
            b => b.to_string(),
        };
        Layout {
            canonical: format!("{base}{self_url}"),
            description: site.tagline(lang).to_string(),
            feeds: feed_links(&base, &format!("/{}/", lang.code()), &site_name),
            base,
            lang: lang.code(),
            t: strings(lang),
            title: if title.is_empty() {
                site_name.clone()
            } else {
                format!("{title} — {site_name}")
            },
            site_name,
            tagline: site.tagline(lang).to_string(),
            notice: site.notice(lang).to_string(),
            home_url: format!("/{}/", lang.code()),
            about_url: format!("/{}/about", lang.code()),
            newsletter_url: site
                .newsletter
                .then(|| format!("/{}/newsletter", lang.code())),
            newsletter_label: crate::i18n::newsletter_strings(lang).footer_link,
            week_url: format!("/{}/weeks/", lang.code()),
            css_url: crate::handlers::assets::css_url(),
            nav: site
                .topics
                .iter()
                .map(|t| NavItem {
                    url: topic_url(lang, &t.slug, 1),
                    name: t.name(lang).to_string(),
                    current: current_topic == Some(t.slug.as_str()),
                })
                .collect(),
            alternates,
            self_url,
        }
    }

    /// Sets the meta description (collapsed to one line, at most 300 characters).
    pub fn describe(mut self, text: &str) -> Layout {
        let one_line = one_line(text);
        if !one_line.is_empty() {
            self.description = match one_line.char_indices().nth(300) {
                Some((cut, _)) => format!("{}…", one_line[..cut].trim_end()),
                None => one_line,
            };
        }
        self
    }

    /// Announces the feeds under `dir` (e.g. `/en/topics/security/`) besides the site's.
    pub fn with_feeds(mut self, dir: &str, title: &str) -> Layout {
        self.feeds.extend(feed_links(&self.base, dir, title));
        self
    }
}

/// The same path in every other language (for pages that exist in all languages).
pub fn mirror_alternates(lang: Language, path_after_lang: &str) -> Vec<Alternate> {
    Language::ALL
        .iter()
        .filter(|l| **l != lang)
        .map(|l| Alternate {
            code: l.code(),
            name: l.native_name(),
            url: format!("/{}{}", l.code(), path_after_lang),
        })
        .collect()
}

/// A forecast as pages show it.
#[derive(Debug, Clone)]
pub struct ForecastView {
    pub id: i64,
    pub statement: String,
    /// The statement's language when it is not the page's (a forecast shown through a
    /// translation of the commentary that made it).
    pub statement_lang: Option<&'static str>,
    /// The linked commentary's language when it is not the page's (an untranslated one).
    pub article_lang: Option<&'static str>,
    pub probability: String,
    pub resolve_by: String,
    pub outcome_code: &'static str,
    pub outcome_label: &'static str,
    pub article_url: String,
    pub article_title: String,
}

impl ForecastView {
    pub fn new(
        f: &trendwatch_core::forecast::Forecast,
        lang: Language,
        article_url: String,
        article_title: String,
    ) -> ForecastView {
        use trendwatch_core::forecast::Outcome;
        let t = crate::i18n::strings(lang);
        let (outcome_code, outcome_label) = match f.outcome {
            Some(Outcome::Happened) => ("happened", t.outcome_happened),
            Some(Outcome::DidNotHappen) => ("did_not_happen", t.outcome_did_not_happen),
            Some(Outcome::Void) => ("void", t.outcome_void),
            None => ("open", t.outcome_open),
        };
        let d = f.resolve_by;
        ForecastView {
            id: f.id,
            statement: f.statement.clone(),
            statement_lang: f.made_in.map(Language::code),
            article_lang: None,
            probability: format!("{:.0}%", f.probability * 100.0),
            resolve_by: match lang {
                Language::En => format!("{} {}, {}", month_en(d.month()), d.day(), d.year()),
                Language::Ru => {
                    format!("{} {} {}", d.day(), month_ru_genitive(d.month()), d.year())
                }
            },
            outcome_code,
            outcome_label,
            article_url,
            article_title,
        }
    }
}
