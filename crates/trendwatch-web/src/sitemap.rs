//! Sitemaps (sitemaps.org 0.9) with `hreflang` alternates (`xhtml:link`) and last-modified
//! dates: one file while the site has at most [`URLS_PER_FILE`] addresses, beyond that a
//! sitemap index over numbered files. Rendering only; `handlers/sitemap.rs` gathers the URLs.

use crate::xml::Xml;

/// The protocol's limit of addresses per sitemap file.
pub const URLS_PER_FILE: usize = 50_000;

/// One address of the site.
#[derive(Debug, Clone, PartialEq)]
pub struct SitemapUrl {
    /// Absolute address.
    pub loc: String,
    /// Last modification, RFC 3339 (W3C datetime).
    pub lastmod: Option<String>,
    /// The page in every language it exists in, itself included: (language code, address).
    pub alternates: Vec<(String, String)>,
}

/// What `/sitemap.xml` is: the only file, or an index of `files` numbered files.
pub fn is_index(urls: usize, per_file: usize) -> bool {
    urls > per_file
}

/// Number of files the addresses fill.
pub fn files(urls: usize, per_file: usize) -> usize {
    urls.div_ceil(per_file.max(1)).max(1)
}

/// A sitemap of `urls`.
pub fn urlset(urls: &[SitemapUrl]) -> String {
    let mut x = Xml::new();
    x.open(
        "urlset",
        &[
            ("xmlns", "http://www.sitemaps.org/schemas/sitemap/0.9"),
            ("xmlns:xhtml", "http://www.w3.org/1999/xhtml"),
        ],
    );
    for u in urls {
        x.open("url", &[]);
        x.text("loc", &[], &u.loc);
        if let Some(m) = &u.lastmod {
            x.text("lastmod", &[], m);
        }
        // A page in one language alone has no alternates.
        if u.alternates.len() > 1 {
            for (lang, href) in &u.alternates {
                x.empty(
                    "xhtml:link",
                    &[("rel", "alternate"), ("hreflang", lang), ("href", href)],
                );
            }
        }
        x.close("url");
    }
    x.close("urlset");
    x.finish()
}

/// A sitemap index of the files at `locs`, each last modified at `lastmod`.
pub fn index(locs: &[String], lastmod: Option<&str>) -> String {
    let mut x = Xml::new();
    x.open(
        "sitemapindex",
        &[("xmlns", "http://www.sitemaps.org/schemas/sitemap/0.9")],
    );
    for loc in locs {
        x.open("sitemap", &[]);
        x.text("loc", &[], loc);
        if let Some(m) = lastmod {
            x.text("lastmod", &[], m);
        }
        x.close("sitemap");
    }
    x.close("sitemapindex");
    x.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(n: usize) -> SitemapUrl {
        SitemapUrl {
            loc: format!("https://monitor.example.org/en/articles/a-{n}?x=1&y=2"),
            lastmod: Some("2026-11-23T10:21:00+01:00".into()),
            alternates: vec![
                (
                    "en".into(),
                    format!("https://monitor.example.org/en/articles/a-{n}"),
                ),
                (
                    "ru".into(),
                    format!("https://monitor.example.org/ru/articles/a-{n}"),
                ),
            ],
        }
    }

    #[test]
    fn urlset_snapshot() {
        insta::assert_snapshot!(urlset(&[url(1), url(2)]));
    }

    #[test]
    fn index_beyond_the_limit() {
        assert!(!is_index(50_000, URLS_PER_FILE));
        assert!(is_index(50_001, URLS_PER_FILE));
        assert_eq!(files(50_001, URLS_PER_FILE), 2);
        assert_eq!(files(0, URLS_PER_FILE), 1);
        let xml = index(
            &["https://monitor.example.org/sitemaps/1.xml".into()],
            Some("2026-11-23T10:21:00+01:00"),
        );
        insta::assert_snapshot!(xml);
    }
}
