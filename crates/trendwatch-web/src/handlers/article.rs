//! The article page, with every element of the reference site's page: headline with topic,
//! category status in colour and words, date and time, image credit, body, similar articles,
//! recent trends, and a link to the translation.

use super::{html, lang_of};
use crate::error::WebError;
use crate::views::{
    article_url, format_datetime, topic_url, week_url, AlertView, Alternate, Card, Layout, Marker,
    StorylineCard,
};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use trendwatch_core::Language;

#[derive(Template)]
#[template(path = "article.html")]
struct ArticlePage {
    l: Layout,
    title: String,
    topic_name: String,
    topic_url: String,
    marker: Marker,
    rationale: String,
    alert: Option<AlertView>,
    date: String,
    iso_date: String,
    /// An editor's change after publication: (date, RFC 3339 date, correction note).
    updated: Option<(String, String, String)>,
    period_label: String,
    period_url: String,
    image_url: Option<String>,
    image_credit: Option<String>,
    image_alt: Option<String>,
    body_html: String,
    /// Names and their pages.
    authors: Vec<(String, String)>,
    /// Tags and their pages.
    tags: Vec<(String, String)>,
    source_url: Option<String>,
    translations: Vec<Alternate>,
    /// For an untranslated commentary: the same topic's archive in each other edition,
    /// named in that edition's language.
    /// (language code, archive URL, topic name).
    other_editions: Vec<(&'static str, String, String)>,
    /// The original's address and headline, when this article is a linked copy.
    copy_of: Option<(String, String)>,
    similar: Vec<Card>,
    storyline: Option<StorylineCard>,
    forecasts: Vec<crate::views::ForecastView>,
    recent: Vec<StorylineCard>,
    /// Link previews and structured data.
    preview: Preview,
}

/// What link previews (OpenGraph, Twitter cards) and search engines (schema.org JSON-LD)
/// read from an article page. Every URL is absolute and every time has its UTC offset.
struct Preview {
    locale: &'static str,
    other_locales: Vec<&'static str>,
    url: String,
    site_name: String,
    title: String,
    description: String,
    published: String,
    section: String,
    tags: Vec<String>,
    authors: Vec<String>,
    image: Option<String>,
    image_alt: Option<String>,
    /// The JSON-LD document, with `<` escaped so that no text can close the script element.
    json_ld: String,
}

/// The OpenGraph locale of a language.
fn og_locale(lang: Language) -> &'static str {
    match lang {
        Language::En => "en_GB",
        Language::Ru => "ru_RU",
    }
}

/// The preview of `a`, published at `published` (RFC 3339), canonical at `url`.
fn preview(
    state: &AppState,
    a: &trendwatch_core::article::NewArticle,
    url: String,
    section: &str,
    translations: &[Alternate],
) -> Preview {
    let lang = a.lang;
    let published = state.public.rfc3339(a.published_at);
    let modified = a
        .updated_at
        .map_or_else(|| published.clone(), |t| state.public.rfc3339(t));
    let image = a
        .image_url
        .as_deref()
        .and_then(trendwatch_core::content_url::allowed)
        .map(|u| state.public.absolute(u));
    let site_name = state.site.name(lang).to_string();
    let mut ld = serde_json::json!({
        "@context": "https://schema.org",
        // A commentary interprets the week's news: schema.org's analysis article.
        "@type": "AnalysisNewsArticle",
        "headline": a.title,
        "description": a.lead,
        "datePublished": published,
        "dateModified": modified,
        "inLanguage": lang.code(),
        "articleSection": section,
        "keywords": a.tags,
        "url": url,
        "mainEntityOfPage": { "@type": "WebPage", "@id": url },
        "author": a.authors.iter().map(|n| serde_json::json!({ "@type": "Person", "name": n })).collect::<Vec<_>>(),
        "publisher": { "@type": "Organization", "name": site_name },
    });
    if let Some(image) = &image {
        ld["image"] = serde_json::json!([image]);
    }
    Preview {
        locale: og_locale(lang),
        other_locales: translations
            .iter()
            .filter_map(|t| t.code.parse::<Language>().ok().map(og_locale))
            .collect(),
        url,
        site_name,
        title: a.title.clone(),
        description: crate::views::one_line(&a.lead),
        published,
        section: section.to_string(),
        tags: a.tags.clone(),
        authors: a.authors.clone(),
        image,
        image_alt: a.image_alt.clone(),
        json_ld: ld.to_string().replace('<', "\\u003c"),
    }
}

/// `/{lang}/articles/{slug}`.
pub async fn page(
    State(state): State<AppState>,
    Path((lang, slug)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let lang = lang_of(&state, &lang)?;
    let err = |e| WebError::store(lang, &state.site, e);
    let trendwatch_store::ArticlePage {
        article,
        translations,
        similar,
        storyline,
    } = state
        .store
        .article_page(lang, &slug, 5)
        .await
        .map_err(err)?
        .ok_or_else(|| WebError::NotFound(lang, state.site.clone()))?;
    let translations: Vec<Alternate> = translations
        .into_iter()
        .map(|t| Alternate {
            code: t.lang.code(),
            name: t.lang.native_name(),
            url: article_url(t.lang, &t.slug),
        })
        .collect();
    let recent = state
        .cache
        .recent_storylines(&*state.store, lang, 5)
        .await
        .map_err(err)?;
    render(
        &state,
        &article,
        Parts {
            translations,
            similar,
            storyline,
            recent,
        },
    )
}

/// What an article page shows besides the article: its translations, similar articles,
/// storyline and the site's recent storylines.
pub(crate) struct Parts {
    /// The other-language versions.
    pub translations: Vec<Alternate>,
    /// Similar articles.
    pub similar: Vec<trendwatch_core::article::ArticleSummary>,
    /// Its storyline.
    pub storyline: Option<trendwatch_core::storyline::StorylineSummary>,
    /// "Recent trends", shared by every page of a generation (see the page cache).
    pub recent: std::sync::Arc<Vec<trendwatch_core::storyline::StorylineSummary>>,
}

/// Renders `article` with the public article template: the reader's page, and the desk's
/// preview (which passes an article not yet in the archive).
pub(crate) fn render(
    state: &AppState,
    article: &trendwatch_core::article::Article,
    parts: Parts,
) -> Result<Response, WebError> {
    let Parts {
        translations,
        similar,
        storyline,
        recent,
    } = parts;
    let a = &article.content;
    let lang = a.lang;
    // A storyline of one commentary is not linked: its page would repeat this one.
    let storyline = storyline
        .filter(|s| s.is_shown())
        .map(|s| StorylineCard::new(&s, lang, &state.site));
    let other_editions = if translations.is_empty() {
        trendwatch_core::Language::ALL
            .iter()
            .filter(|l| **l != lang)
            .filter_map(|l| {
                let topic = state.site.topics.by_slug(&a.topic)?;
                Some((
                    l.code(),
                    topic_url(*l, &a.topic, 1),
                    topic.name(*l).to_string(),
                ))
            })
            .collect()
    } else {
        Vec::new()
    };
    let topic_name = state.site.topic_name(&a.topic, lang);
    let mut layout = Layout::new(
        &state.site,
        lang,
        &format!("{topic_name}: {}", a.title),
        article_url(lang, &a.slug),
        translations.clone(),
        Some(&a.topic),
    )
    .describe(&a.lead)
    .with_feeds(&format!("{}/", topic_url(lang, &a.topic, 1)), &topic_name);
    // A linked copy names its original as the page search engines should index.
    if let Some(original) = &article.copy_of {
        layout.canonical = format!("{}{}", layout.base, article_url(lang, &original.slug));
    }
    let preview = preview(
        state,
        a,
        layout.canonical.clone(),
        &topic_name,
        &translations,
    );
    let view = ArticlePage {
        preview,
        l: layout,
        title: a.title.clone(),
        topic_url: topic_url(lang, &a.topic, 1),
        topic_name,
        marker: Marker::new(a.status, lang),
        rationale: a.rationale.clone(),
        alert: AlertView::new(a.alert, lang),
        date: format_datetime(a.published_at, lang),
        // With the office's UTC offset, as in feeds and previews.
        iso_date: state.public.rfc3339(a.published_at),
        updated: a.updated_at.map(|t| {
            (
                format_datetime(t, lang),
                state.public.rfc3339(t),
                a.correction.clone().unwrap_or_default(),
            )
        }),
        period_label: a.period.label(lang),
        period_url: week_url(lang, a.period),
        // Checked again on the way out: an archive written before the rule existed may
        // still hold a `javascript:` or protocol-relative URL.
        image_url: a
            .image_url
            .as_deref()
            .and_then(trendwatch_core::content_url::allowed)
            .map(str::to_string),
        image_credit: a.image_credit.clone(),
        image_alt: a.image_alt.clone(),
        body_html: a.body_html.clone(),
        authors: a
            .authors
            .iter()
            .map(|n| (n.clone(), crate::views::author_url(lang, n, 1)))
            .collect(),
        tags: a
            .tags
            .iter()
            .map(|g| (g.clone(), crate::views::tag_url(lang, g, 1)))
            .collect(),
        source_url: a
            .source_url
            .as_deref()
            .and_then(trendwatch_core::content_url::allowed)
            .map(str::to_string),
        translations,
        other_editions,
        copy_of: article
            .copy_of
            .as_ref()
            .map(|o| (article_url(lang, &o.slug), o.title.clone())),
        similar: similar.iter().map(|s| Card::new(s, &state.site)).collect(),
        storyline,
        forecasts: a
            .forecasts
            .iter()
            .map(|f| {
                crate::views::ForecastView::new(
                    f,
                    lang,
                    article_url(lang, &a.slug),
                    a.title.clone(),
                )
            })
            .collect(),
        recent: recent
            .iter()
            .map(|s| StorylineCard::new(s, lang, &state.site))
            .collect(),
    };
    html(&view, lang, state)
}
