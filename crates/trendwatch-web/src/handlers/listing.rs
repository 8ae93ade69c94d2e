//! Listings by tag and by author (`/en/tags/media%20law`, `/en/authors/Mikael%20Sorn`), paged
//! like topic archives, with a jump to each year. Authors' pages also lead to their track
//! record when they made forecasts.

use super::{html, lang_of};
use crate::error::WebError;
use crate::views::{author_url, tag_url, Card, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use trendwatch_core::Language;
use trendwatch_store::Listing;

#[derive(Template)]
#[template(path = "listing.html")]
struct ListingPage {
    l: Layout,
    heading: String,
    cards: Vec<Card>,
    years: Vec<YearLink>,
    track_record_url: Option<String>,
    page: u64,
    pages: u64,
    newer_url: Option<String>,
    older_url: Option<String>,
}

/// A link to the first commentary of a year in a paged archive.
pub struct YearLink {
    pub year: i32,
    pub url: String,
}

/// One page of a paged archive (a topic's, a tag's, an author's): its commentaries, the
/// number of pages and the year links.
pub struct ArchivePage {
    pub items: Vec<trendwatch_core::article::ArticleSummary>,
    pub total: u64,
    pub pages: u64,
    pub years: Vec<YearLink>,
}

/// Page `page` of `listing` in `lang`, whose page `n` lives at `page_url(n)`. The listing's
/// size and years come from the page cache (one pass over the listing per content
/// generation, not one per page); each year link leads to the page holding the year's
/// newest commentary, at that commentary (`#y2025`).
pub async fn archive_page(
    state: &AppState,
    lang: Language,
    listing: &Listing,
    page: u64,
    page_url: impl Fn(u64) -> String,
) -> Result<ArchivePage, WebError> {
    let err = |e| WebError::store(lang, &state.site, e);
    let per_page = state.site.page_size.max(1);
    let facts = state
        .cache
        .listing_facts(&*state.store, lang, listing)
        .await
        .map_err(err)?;
    let pages = facts.total.div_ceil(per_page).max(1);
    // Past the last page there is nothing to read (and an offset scan to avoid).
    let items = if page > pages {
        Vec::new()
    } else {
        state
            .store
            .listing_items(lang, listing, (page - 1) * per_page, per_page)
            .await
            .map_err(err)?
    };
    // One year is nothing to jump between.
    let years = if facts.years.len() < 2 {
        Vec::new()
    } else {
        facts
            .years
            .iter()
            .map(|&(year, before)| YearLink {
                year,
                url: format!("{}#y{year}", page_url(before / per_page + 1)),
            })
            .collect()
    };
    Ok(ArchivePage {
        items,
        total: facts.total,
        pages,
        years,
    })
}

/// `/{lang}/tags/{tag}`.
pub async fn tag(
    state: State<AppState>,
    Path((lang, tag)): Path<(String, String)>,
) -> Result<Response, WebError> {
    render(state, lang, Listing::Tag(tag), 1).await
}

/// `/{lang}/tags/{tag}/page/{n}`.
pub async fn tag_page(
    state: State<AppState>,
    Path((lang, tag, n)): Path<(String, String, String)>,
) -> Result<Response, WebError> {
    paged(state, lang, Listing::Tag(tag), n).await
}

/// `/{lang}/authors/{name}`.
pub async fn author(
    state: State<AppState>,
    Path((lang, name)): Path<(String, String)>,
) -> Result<Response, WebError> {
    render(state, lang, Listing::Author(name), 1).await
}

/// `/{lang}/authors/{name}/page/{n}`.
pub async fn author_page(
    state: State<AppState>,
    Path((lang, name, n)): Path<(String, String, String)>,
) -> Result<Response, WebError> {
    paged(state, lang, Listing::Author(name), n).await
}

fn url_of(lang: Language, listing: &Listing, page: u64) -> String {
    match listing {
        Listing::Tag(t) => tag_url(lang, t, page),
        Listing::Author(a) => author_url(lang, a, page),
        Listing::Topic(t) => crate::views::topic_url(lang, t, page),
        // Neither has an archive of its own: the home page and the storyline's page.
        Listing::All => format!("/{}/", lang.code()),
        Listing::Storyline(id) => crate::views::storyline_url(lang, *id),
    }
}

/// Page 1 lives only at the address without a suffix, as for topics.
async fn paged(
    state: State<AppState>,
    lang: String,
    listing: Listing,
    n: String,
) -> Result<Response, WebError> {
    let l = lang_of(&state, &lang)?;
    match n.parse::<u64>() {
        Ok(n) if n >= 2 => render(state, lang, listing, n).await,
        Ok(1) => Ok(Redirect::permanent(&url_of(l, &listing, 1)).into_response()),
        _ => Err(WebError::NotFound(l, state.site.clone())),
    }
}

async fn render(
    State(state): State<AppState>,
    lang: String,
    listing: Listing,
    page: u64,
) -> Result<Response, WebError> {
    let lang = lang_of(&state, &lang)?;
    let t = crate::i18n::strings(lang);
    let err = |e| WebError::store(lang, &state.site, e);
    let result = archive_page(&state, lang, &listing, page, |n| url_of(lang, &listing, n)).await?;
    let pages = result.pages;
    // A tag or author without commentaries in this edition is no page.
    if result.total == 0 || page > pages {
        return Err(WebError::NotFound(lang, state.site.clone()));
    }
    let heading = match &listing {
        Listing::Tag(v) => format!("{}: {v}", t.tag),
        Listing::Author(v) => format!("{}: {v}", t.author),
        Listing::Topic(v) => v.clone(),
        Listing::All => state.site.name(lang).to_string(),
        Listing::Storyline(id) => format!("{} {id}", t.storyline),
    };
    let track_record_url = match &listing {
        Listing::Author(name) => {
            let forecasts = state
                .store
                .forecasts(lang, None, Some(name))
                .await
                .map_err(err)?;
            (!forecasts.is_empty()).then(|| crate::views::track_record_author_url(lang, name))
        }
        _ => None,
    };
    let self_url = url_of(lang, &listing, page);
    let title = if page > 1 {
        format!("{heading} — {} {page}", t.page)
    } else {
        heading.clone()
    };
    let view = ListingPage {
        // Tags and names are the source's words in one edition; the other edition has a page
        // of the same name only if it uses the same words, so no alternate is offered.
        l: Layout::new(&state.site, lang, &title, self_url, Vec::new(), None),
        heading,
        cards: crate::views::archive_cards(&result.items, &state.site),
        years: result.years,
        track_record_url,
        page,
        pages,
        newer_url: (page > 1).then(|| url_of(lang, &listing, page - 1)),
        older_url: (page < pages).then(|| url_of(lang, &listing, page + 1)),
    };
    html(&view, lang, &state)
}
