//! Feeds in three formats from one model: RSS 2.0, Atom 1.0 (RFC 4287) and JSON Feed 1.1.
//! Rendering only: the handlers in `handlers/feeds.rs` read the articles and fill a [`Feed`].
//! XML goes through quick-xml's writer (`xml.rs`), so every text and attribute is
//! escaped by the writer rather than by hand.

use crate::xml::Xml;
use serde_json::json;

/// The three feed formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedFormat {
    /// RSS 2.0, at `feed.xml`.
    Rss,
    /// Atom 1.0, at `atom.xml`.
    Atom,
    /// JSON Feed 1.1, at `feed.json`.
    Json,
}

impl FeedFormat {
    /// Every format, in the order pages announce them.
    pub const ALL: [FeedFormat; 3] = [FeedFormat::Rss, FeedFormat::Atom, FeedFormat::Json];

    /// The last path segment of the feed's address.
    pub fn file_name(self) -> &'static str {
        match self {
            FeedFormat::Rss => "feed.xml",
            FeedFormat::Atom => "atom.xml",
            FeedFormat::Json => "feed.json",
        }
    }

    /// The media type, for `Content-Type` and autodiscovery links.
    pub fn media_type(self) -> &'static str {
        match self {
            FeedFormat::Rss => "application/rss+xml",
            FeedFormat::Atom => "application/atom+xml",
            FeedFormat::Json => "application/feed+json",
        }
    }

    /// The `Content-Type` header value.
    pub fn content_type(self) -> &'static str {
        match self {
            FeedFormat::Rss => "application/rss+xml; charset=utf-8",
            FeedFormat::Atom => "application/atom+xml; charset=utf-8",
            FeedFormat::Json => "application/feed+json; charset=utf-8",
        }
    }

    /// The name readers see in autodiscovery titles.
    pub fn label(self) -> &'static str {
        match self {
            FeedFormat::Rss => "RSS",
            FeedFormat::Atom => "Atom",
            FeedFormat::Json => "JSON Feed",
        }
    }
}

/// A feed, whatever its format. Every URL is absolute and every time has its UTC offset.
#[derive(Debug, Clone, PartialEq)]
pub struct Feed {
    /// A stable identifier (a `tag:` URI).
    pub id: String,
    /// Title.
    pub title: String,
    /// One-line description.
    pub description: String,
    /// Language code (`en`, `ru`).
    pub lang: String,
    /// The HTML page the feed follows.
    pub page_url: String,
    /// The feed's own address in each format (its self link, and alternates).
    pub feed_urls: Vec<(FeedFormat, String)>,
    /// Publisher (the site's name): Atom needs an author for entries without one.
    pub publisher: String,
    /// Latest item's time, RFC 3339 (the generation time would change the bytes, and the
    /// ETag, on every render).
    pub updated_rfc3339: String,
    /// The same, RFC 2822, for RSS.
    pub updated_rfc2822: String,
    /// Items, newest first.
    pub items: Vec<FeedItem>,
}

/// One article in a feed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedItem {
    /// Stable identifier (a `tag:` URI from the article's import key and language): the same
    /// across re-imports, edits, new slugs and new titles.
    pub id: String,
    /// The article page.
    pub url: String,
    /// Headline, led by the status marker's symbol (`▲ Headline`), so that a feed reader's
    /// list shows the week's direction.
    pub title: String,
    /// The lead, as plain text.
    pub summary: String,
    /// The whole commentary as (sanitised) HTML, led by its status marker.
    pub content_html: String,
    /// Publication time, RFC 3339.
    pub published_rfc3339: String,
    /// Publication time, RFC 2822.
    pub published_rfc2822: String,
    /// Authors.
    pub authors: Vec<String>,
    /// The status marker: code (`improved`) and word in the feed's language.
    pub status: (String, String),
    /// Topic: slug and name.
    pub topic: (String, String),
    /// Free tags.
    pub tags: Vec<String>,
    /// Lead image, absolute.
    pub image: Option<String>,
}

/// The category scheme of status markers (a URL of the site's legend).
fn status_scheme(feed: &Feed) -> String {
    format!("{}#status", feed.page_url.trim_end_matches('/'))
}

/// Renders `feed` in `format`.
pub fn render(feed: &Feed, format: FeedFormat) -> String {
    match format {
        FeedFormat::Rss => rss(feed),
        FeedFormat::Atom => atom(feed),
        FeedFormat::Json => json_feed(feed),
    }
}

fn self_url(feed: &Feed, format: FeedFormat) -> &str {
    feed.feed_urls
        .iter()
        .find(|(f, _)| *f == format)
        .map(|(_, u)| u.as_str())
        .unwrap_or(&feed.page_url)
}

fn rss(feed: &Feed) -> String {
    let mut x = Xml::new();
    x.open(
        "rss",
        &[
            ("version", "2.0"),
            ("xmlns:atom", "http://www.w3.org/2005/Atom"),
            ("xmlns:content", "http://purl.org/rss/1.0/modules/content/"),
            ("xmlns:dc", "http://purl.org/dc/elements/1.1/"),
        ],
    );
    x.open("channel", &[]);
    x.text("title", &[], &feed.title);
    x.text("link", &[], &feed.page_url);
    x.text("description", &[], &feed.description);
    x.text("language", &[], &feed.lang);
    x.text("generator", &[], "Trendwatch");
    if !feed.items.is_empty() {
        x.text("lastBuildDate", &[], &feed.updated_rfc2822);
    }
    x.empty(
        "atom:link",
        &[
            ("href", self_url(feed, FeedFormat::Rss)),
            ("rel", "self"),
            ("type", FeedFormat::Rss.media_type()),
        ],
    );
    let scheme = status_scheme(feed);
    for item in &feed.items {
        x.open("item", &[]);
        x.text("title", &[], &item.title);
        x.text("link", &[], &item.url);
        x.text("guid", &[("isPermaLink", "false")], &item.id);
        x.text("pubDate", &[], &item.published_rfc2822);
        x.text("description", &[], &item.summary);
        x.cdata("content:encoded", &item.content_html);
        for a in &item.authors {
            x.text("dc:creator", &[], a);
        }
        x.text("category", &[("domain", &scheme)], &item.status.1);
        x.text("category", &[], &item.topic.1);
        for t in &item.tags {
            x.text("category", &[], t);
        }
        x.close("item");
    }
    x.close("channel");
    x.close("rss");
    x.finish()
}

fn atom(feed: &Feed) -> String {
    let mut x = Xml::new();
    x.open(
        "feed",
        &[
            ("xmlns", "http://www.w3.org/2005/Atom"),
            ("xml:lang", &feed.lang),
        ],
    );
    x.text("id", &[], &feed.id);
    x.text("title", &[], &feed.title);
    x.text("subtitle", &[], &feed.description);
    x.text("updated", &[], &feed.updated_rfc3339);
    x.empty(
        "link",
        &[
            ("rel", "self"),
            ("type", FeedFormat::Atom.media_type()),
            ("href", self_url(feed, FeedFormat::Atom)),
        ],
    );
    x.empty(
        "link",
        &[
            ("rel", "alternate"),
            ("type", "text/html"),
            ("href", &feed.page_url),
        ],
    );
    x.open("author", &[]);
    x.text("name", &[], &feed.publisher);
    x.close("author");
    x.text("generator", &[], "Trendwatch");
    let scheme = status_scheme(feed);
    for item in &feed.items {
        x.open("entry", &[]);
        x.text("id", &[], &item.id);
        x.text("title", &[], &item.title);
        x.empty(
            "link",
            &[
                ("rel", "alternate"),
                ("type", "text/html"),
                ("href", &item.url),
            ],
        );
        x.text("published", &[], &item.published_rfc3339);
        x.text("updated", &[], &item.published_rfc3339);
        for a in &item.authors {
            x.open("author", &[]);
            x.text("name", &[], a);
            x.close("author");
        }
        x.empty(
            "category",
            &[
                ("term", &item.status.0),
                ("scheme", &scheme),
                ("label", &item.status.1),
            ],
        );
        x.empty(
            "category",
            &[("term", &item.topic.0), ("label", &item.topic.1)],
        );
        for t in &item.tags {
            x.empty("category", &[("term", t)]);
        }
        x.text("summary", &[("type", "text")], &item.summary);
        x.text("content", &[("type", "html")], &item.content_html);
        x.close("entry");
    }
    x.close("feed");
    x.finish()
}

fn json_feed(feed: &Feed) -> String {
    let items: Vec<serde_json::Value> = feed
        .items
        .iter()
        .map(|item| {
            let mut tags = vec![item.status.1.clone(), item.topic.1.clone()];
            tags.extend(item.tags.iter().cloned());
            let mut v = json!({
                "id": item.id,
                "url": item.url,
                "title": item.title,
                "content_html": item.content_html,
                "summary": item.summary,
                "date_published": item.published_rfc3339,
                "authors": item.authors.iter().map(|a| json!({ "name": a })).collect::<Vec<_>>(),
                "tags": tags,
                "language": feed.lang,
                // JSON Feed's extension convention: an object whose name starts with "_".
                "_trendwatch": {
                    "status": item.status.0,
                    "status_label": item.status.1,
                    "topic": item.topic.0,
                },
            });
            if let Some(image) = &item.image {
                v["image"] = json!(image);
            }
            v
        })
        .collect();
    let doc = json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": feed.title,
        "home_page_url": feed.page_url,
        "feed_url": self_url(feed, FeedFormat::Json),
        "description": feed.description,
        "language": feed.lang,
        "authors": [{ "name": feed.publisher }],
        "items": items,
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed feed (sample data, fictional): two items, one with XML's special characters
    /// and a `]]>` in its HTML.
    fn sample() -> Feed {
        let item = |n: u32, status: (&str, &str), title: &str, html: &str| FeedItem {
            id: format!("tag:monitor.example.org,2026:article/sample-{n}/en"),
            url: format!("https://monitor.example.org/en/articles/sample-{n}"),
            title: title.into(),
            summary: "Sample data: the lead of a fictional commentary.".into(),
            content_html: html.into(),
            published_rfc3339: format!("2026-11-2{n}T10:21:00+01:00"),
            published_rfc2822: format!("Mon, 2{n} Nov 2026 10:21:00 +0100"),
            authors: vec!["Mira Ostrova".into()],
            status: (status.0.into(), status.1.into()),
            topic: ("security".into(), "Security".into()),
            tags: vec!["border".into()],
            image: (n == 2).then(|| "https://monitor.example.org/img/drills.jpg".into()),
        };
        Feed {
            id: "tag:monitor.example.org,2026:feed/en".into(),
            title: "Trendwatch".into(),
            description: "Weekly political trends, topic by topic".into(),
            lang: "en".into(),
            page_url: "https://monitor.example.org/en/".into(),
            feed_urls: FeedFormat::ALL
                .iter()
                .map(|f| {
                    (
                        *f,
                        format!("https://monitor.example.org/en/{}", f.file_name()),
                    )
                })
                .collect(),
            publisher: "Trendwatch".into(),
            updated_rfc3339: "2026-11-22T10:21:00+01:00".into(),
            updated_rfc2822: "Sun, 22 Nov 2026 10:21:00 +0100".into(),
            items: vec![
                item(
                    2,
                    ("worsened", "Worsened"),
                    "▼ Drills & \"exercises\" <near> the border",
                    "<p><strong>▼ Worsened</strong></p><p>A ]]> in the text.</p>",
                ),
                item(
                    1,
                    ("improved", "Improved"),
                    "▲ Budget passes first reading",
                    "<p><strong>▲ Improved</strong></p><p>Sample body.</p>",
                ),
            ],
        }
    }

    #[test]
    fn rss_snapshot() {
        insta::assert_snapshot!(render(&sample(), FeedFormat::Rss));
    }

    #[test]
    fn atom_snapshot() {
        insta::assert_snapshot!(render(&sample(), FeedFormat::Atom));
    }

    #[test]
    fn json_feed_snapshot() {
        insta::assert_snapshot!(render(&sample(), FeedFormat::Json));
    }

    #[test]
    fn cdata_end_marker_in_html_survives() {
        let rss = render(&sample(), FeedFormat::Rss);
        // The HTML is split across two CDATA sections around "]]>", never cut.
        assert!(
            rss.contains("<p>A ]]]]>&gt;<![CDATA[ in the text.</p>"),
            "{rss}"
        );
        let atom = render(&sample(), FeedFormat::Atom);
        assert!(atom.contains("A ]]&gt; in the text."), "{atom}");
    }
}
