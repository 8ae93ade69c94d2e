//! Feeds per language: the whole site (`/en/feed.xml`), a topic
//! (`/en/topics/security/feed.xml`) and a storyline (`/en/storylines/12/feed.xml`), each in
//! RSS (`feed.xml`), Atom (`atom.xml`) and JSON Feed (`feed.json`). They go through the page
//! cache like pages, so they get ETags, 304s and compression for free, and are rebuilt when
//! content changes.

use super::lang_of;
use crate::error::WebError;
use crate::feeds::{render, Feed, FeedFormat, FeedItem};
use crate::views::{article_url, path_segment, storyline_url, topic_url};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use trendwatch_core::article::Article;
use trendwatch_core::sanitize::escape_html;
use trendwatch_core::Language;
use trendwatch_store::Listing;

/// Items in the site's feed: six weeks of five topics.
pub const SITE_FEED_ITEMS: u64 = 30;
/// Items in a topic's or storyline's feed.
pub const FEED_ITEMS: u64 = 20;

/// What a feed follows.
enum Source {
    Site,
    Topic(String),
    Storyline(String),
}

/// One handler per address and format; each names its format and source.
macro_rules! feed_handlers {
    ($($site:ident, $topic:ident, $storyline:ident => $format:expr;)*) => {$(
        #[doc = concat!("The site's feed in ", stringify!($format), ".")]
        pub async fn $site(
            state: State<AppState>,
            Path(lang): Path<String>,
        ) -> Result<Response, WebError> {
            feed(state, lang, Source::Site, $format).await
        }

        #[doc = concat!("A topic's feed in ", stringify!($format), ".")]
        pub async fn $topic(
            state: State<AppState>,
            Path((lang, topic)): Path<(String, String)>,
        ) -> Result<Response, WebError> {
            feed(state, lang, Source::Topic(topic), $format).await
        }

        #[doc = concat!("A storyline's feed in ", stringify!($format), ".")]
        pub async fn $storyline(
            state: State<AppState>,
            Path((lang, id)): Path<(String, String)>,
        ) -> Result<Response, WebError> {
            feed(state, lang, Source::Storyline(id), $format).await
        }
    )*};
}

feed_handlers! {
    site_rss, topic_rss, storyline_rss => FeedFormat::Rss;
    site_atom, topic_atom, storyline_atom => FeedFormat::Atom;
    site_json, topic_json, storyline_json => FeedFormat::Json;
}

/// What one feed covers.
struct Scope {
    listing: Listing,
    limit: u64,
    title: String,
    description: String,
    /// The HTML page the feed follows.
    page: String,
    /// The feed's `tag:` specific part.
    id: String,
}

async fn feed(
    State(state): State<AppState>,
    lang: String,
    source: Source,
    format: FeedFormat,
) -> Result<Response, WebError> {
    let lang = lang_of(&state, &lang)?;
    let not_found = || WebError::NotFound(lang, state.site.clone());
    let err = |e| WebError::store(lang, &state.site, e);
    let site_name = state.site.name(lang).to_string();
    let scope = match source {
        Source::Site => Scope {
            listing: Listing::All,
            limit: SITE_FEED_ITEMS,
            title: site_name.clone(),
            description: state.site.tagline(lang).to_string(),
            page: format!("/{}/", lang.code()),
            id: format!("feed/{}", lang.code()),
        },
        Source::Topic(slug) => {
            let topic = state.site.topics.by_slug(&slug).ok_or_else(not_found)?;
            let name = topic.name(lang).to_string();
            Scope {
                listing: Listing::Topic(topic.slug.clone()),
                limit: FEED_ITEMS,
                title: format!("{name} — {site_name}"),
                description: format!("{name}: {}", state.site.tagline(lang)),
                page: topic_url(lang, &topic.slug, 1),
                id: format!("feed/{}/topic/{}", lang.code(), topic.slug),
            }
        }
        Source::Storyline(raw) => {
            let id: i64 = raw.parse().map_err(|_| not_found())?;
            let summary = state
                .store
                .storyline_summary(id, lang)
                .await
                .map_err(err)?
                .ok_or_else(not_found)?;
            Scope {
                listing: Listing::Storyline(id),
                limit: FEED_ITEMS,
                title: format!("{} — {site_name}", summary.title),
                description: summary.title,
                page: storyline_url(lang, id),
                id: format!("feed/{}/storyline/{id}", lang.code()),
            }
        }
    };
    let Scope {
        listing,
        limit,
        title,
        description,
        page,
        id,
    } = scope;
    // The feeds live in the page's folder: `/en/` or `/en/topics/security/`.
    let dir = if page.ends_with('/') {
        page.clone()
    } else {
        format!("{page}/")
    };
    let articles = state
        .store
        .feed_articles(lang, &listing, limit)
        .await
        .map_err(err)?;
    let public = &state.public;
    let items: Vec<FeedItem> = articles.iter().map(|a| item(&state, lang, a)).collect();
    let latest = articles
        .iter()
        .map(|a| a.content.published_at)
        .max()
        .unwrap_or(time::macros::datetime!(2026-01-01 00:00));
    let doc = Feed {
        id: public.tag_uri(&id),
        title,
        description,
        lang: lang.code().to_string(),
        page_url: public.absolute(&page),
        feed_urls: FeedFormat::ALL
            .iter()
            .map(|f| (*f, public.absolute(&format!("{dir}{}", f.file_name()))))
            .collect(),
        publisher: site_name,
        updated_rfc3339: public.rfc3339(latest),
        updated_rfc2822: public.rfc2822(latest),
        items,
    };
    Ok((
        [(header::CONTENT_TYPE, format.content_type())],
        render(&doc, format),
    )
        .into_response())
}

/// A commentary as a feed item: its status marker leads the title and the content.
fn item(state: &AppState, lang: Language, article: &Article) -> FeedItem {
    let a = &article.content;
    let public = &state.public;
    let label = a.status.label(lang);
    let mut content = format!(
        "<p><strong>{} {}</strong>",
        a.status.symbol(),
        escape_html(label)
    );
    if !a.rationale.is_empty() {
        content.push_str(&format!(" — {}", escape_html(&a.rationale)));
    }
    content.push_str("</p>");
    // The lead is the item's summary; the body usually opens with it, so it is not repeated.
    // Stored bodies went through the sanitiser on the way in.
    content.push_str(&a.body_html);
    let topic_name = state.site.topic_name(&a.topic, lang);
    FeedItem {
        id: public.tag_uri(&format!("article/{}/{}", path_segment(&a.key), lang.code())),
        url: public.absolute(&article_url(lang, &a.slug)),
        title: format!("{} {}", a.status.symbol(), a.title),
        summary: a.lead.clone(),
        content_html: content,
        published_rfc3339: public.rfc3339(a.published_at),
        published_rfc2822: public.rfc2822(a.published_at),
        authors: a.authors.clone(),
        status: (a.status.code().to_string(), label.to_string()),
        topic: (a.topic.clone(), topic_name),
        tags: a.tags.clone(),
        image: a
            .image_url
            .as_deref()
            .and_then(trendwatch_core::content_url::allowed)
            .map(|u| public.absolute(u)),
    }
}
