//! What an office configures about its public site (the `[site]` table of `trendwatch.toml`).

use serde::{Deserialize, Serialize};
use trendwatch_core::{Language, Topics};

/// Public-site settings. Every field has a default, so an empty file is a valid configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SiteConfig {
    /// Site name in English, shown in the header and page titles.
    pub name_en: String,
    /// Site name in Russian.
    pub name_ru: String,
    /// One-line description under the name, English.
    pub tagline_en: String,
    /// One-line description under the name, Russian.
    pub tagline_ru: String,
    /// The about page, English, in Markdown (rendered and sanitised at start).
    pub about_en: String,
    /// The about page, Russian, in Markdown.
    pub about_ru: String,
    /// Shown on every page when set, e.g. to say that the content is sample data.
    pub notice_en: String,
    /// Russian notice.
    pub notice_ru: String,
    /// Commentaries per topic-archive page.
    pub page_size: u64,
    /// How long browsers and proxies may reuse a page without asking, in seconds.
    pub max_age_seconds: u32,
    /// The topics, in display order.
    pub topics: Topics,
    /// The public address of the site's root, e.g. `https://monitor.example.org`: canonical
    /// links, `hreflang` alternates, feeds, sitemaps and emails use it. Unset (empty), they
    /// use the address the server listens on, which suits a local run only.
    pub base_url: String,
    /// The office's time zone (an IANA name such as `Europe/Vienna`): publication times are
    /// wall-clock times there, and feeds, sitemaps and link previews give them with its
    /// UTC offset.
    pub time_zone: String,
    /// When each week's commentaries are due, in the office's time: a weekday and a time
    /// after the week (`Monday 12:00`). The desk marks cells still open after it overdue.
    pub desk_deadline: String,
    /// Whether the digest's subscription page is offered: set at start when `[mail]` is
    /// configured, not a key of the file.
    #[serde(skip)]
    pub newsletter: bool,
}

impl Default for SiteConfig {
    fn default() -> Self {
        SiteConfig {
            name_en: "Trendwatch".into(),
            name_ru: "Trendwatch".into(),
            tagline_en: "Weekly political trends, topic by topic".into(),
            tagline_ru: "Еженедельный мониторинг политических тенденций".into(),
            about_en: "Every week our analysts write one commentary per topic and mark whether \
                the trend changed for the better, for the worse or not at all, so that readers \
                can see the connection between events, evaluate the dynamics, assess progress or \
                regress on major issues, and prepare for the most probable developments."
                .into(),
            about_ru: "Каждую неделю наши аналитики пишут по одному комментарию на каждую тему и \
                отмечают, изменилась ли тенденция к лучшему, к худшему или осталась прежней, \
                чтобы читатели видели связь между событиями, оценивали динамику и готовились к \
                наиболее вероятному развитию событий."
                .into(),
            notice_en: String::new(),
            notice_ru: String::new(),
            page_size: 20,
            max_age_seconds: 60,
            topics: Topics::default(),
            base_url: String::new(),
            time_zone: "UTC".into(),
            desk_deadline: "Monday 12:00".into(),
            newsletter: false,
        }
    }
}

impl SiteConfig {
    /// Site name in `lang`.
    pub fn name(&self, lang: Language) -> &str {
        match lang {
            Language::En => &self.name_en,
            Language::Ru => &self.name_ru,
        }
    }

    /// Tagline in `lang`.
    pub fn tagline(&self, lang: Language) -> &str {
        match lang {
            Language::En => &self.tagline_en,
            Language::Ru => &self.tagline_ru,
        }
    }

    /// Notice in `lang` (empty for none).
    pub fn notice(&self, lang: Language) -> &str {
        match lang {
            Language::En => &self.notice_en,
            Language::Ru => &self.notice_ru,
        }
    }

    /// The name of topic `slug` in `lang`; the slug itself for a topic the configuration no
    /// longer has.
    pub fn topic_name(&self, slug: &str, lang: Language) -> String {
        self.topics
            .by_slug(slug)
            .map(|t| t.name(lang).to_string())
            .unwrap_or_else(|| slug.to_string())
    }

    /// About text in `lang` (Markdown).
    pub fn about(&self, lang: Language) -> &str {
        match lang {
            Language::En => &self.about_en,
            Language::Ru => &self.about_ru,
        }
    }
}
