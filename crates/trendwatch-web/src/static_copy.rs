//! How the live site's addresses become files of a static copy (`trendwatch export`), and the
//! rewriting of links inside exported pages, feeds and sitemaps so that they keep working when
//! the copy is served by any static server. Pure functions over strings: no I/O.
//!
//! The live site's pages have addresses without a trailing slash (`/en/articles/a-slug`);
//! a static server maps an address to a file, so each page becomes `…/a-slug.html` and its
//! links become `/en/articles/a-slug.html`, which every static server answers with that
//! file (as Hugo's `uglyURLs` and `wget --adjust-extension` do). A folder per page with an
//! `index.html` would work as well, but creating a folder costs a file system about what a
//! file does, and an export of 10,000 articles spent a quarter of its time creating them.
//! Addresses that end in `/` (`/en/`) keep their `index.html`; addresses whose last segment
//! has an extension (`feed.xml`, `style.css`) stay files of that name. A query string, which
//! a static server ignores, is folded into the path: `/en/dynamics?from=2026-W01&to=2026-W20`
//! becomes `/en/dynamics/from-2026-W01_to-2026-W20.html` and `dynamics.csv?from=…` becomes
//! `dynamics.from-…csv`.
//!
//! Written here rather than with an HTML rewriter because the same few rules apply to HTML,
//! XML and JSON alike, and only addresses of this site are touched: root-relative values of
//! attributes (`href="/…"`) and absolute addresses that start with the site's base URL.

use percent_encoding::percent_decode_str;

/// Where the copy keeps the page that the live site serves at `request` (a root-relative
/// path with an optional query): a path relative to the export folder, e.g.
/// `en/articles/a-slug.html`. `None` for addresses a static copy cannot hold (the API,
/// `..` segments, encoded slashes).
pub fn file_for(request: &str) -> Option<String> {
    let url = static_url(request)?;
    let path = url.strip_prefix('/')?;
    let mut out = String::with_capacity(path.len() + 10);
    for segment in path.split('/') {
        if segment.is_empty() {
            continue;
        }
        // Static servers decode the address before looking for the file.
        let decoded = percent_decode_str(segment).decode_utf8().ok()?;
        if decoded == "." || decoded == ".." || decoded.contains(['/', '\\', '\0']) {
            return None;
        }
        if !out.is_empty() {
            out.push('/');
        }
        out.push_str(&decoded);
    }
    if url.ends_with('/') {
        if !out.is_empty() {
            out.push('/');
        }
        out.push_str("index.html");
    }
    Some(out)
}

/// The static copy's address for the live address `request` (root-relative, with an optional
/// query and without a fragment). `None` when it is not a page of the public site.
pub fn static_url(request: &str) -> Option<String> {
    let (path, query) = match request.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (request, None),
    };
    if !path.starts_with('/') || path.starts_with("//") || is_dynamic(path) {
        return None;
    }
    let query = query.map(fold_query).filter(|q| !q.is_empty());
    let last = path.rsplit('/').next().unwrap_or("");
    match last.rsplit_once('.') {
        // A file: the query goes between its stem and its extension.
        Some((stem, ext)) if !stem.is_empty() && !ext.is_empty() => Some(match query {
            Some(q) => format!("{}{stem}.{q}.{ext}", &path[..path.len() - last.len()]),
            None => path.to_string(),
        }),
        // A page: a file of its name with `.html`, or the index of a folder the address
        // names with its trailing slash.
        _ => {
            let mut url = path.to_string();
            match query {
                Some(q) => {
                    if !url.ends_with('/') {
                        url.push('/');
                    }
                    url.push_str(&q);
                    url.push_str(".html");
                }
                None if url.ends_with('/') => {}
                None => url.push_str(".html"),
            }
            Some(url)
        }
    }
}

/// Addresses that only the live site can answer.
fn is_dynamic(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/") || path == "/healthz"
}

/// A query string as one path segment: `from=2026-W01&to=2026-W20` →
/// `from-2026-W01_to-2026-W20`; anything but ASCII letters, digits, `-` and `.` becomes `_`.
fn fold_query(query: &str) -> String {
    query
        .chars()
        .map(|c| match c {
            '=' => '-',
            '&' => '_',
            c if c.is_ascii_alphanumeric() || c == '-' || c == '.' => c,
            _ => '_',
        })
        .collect()
}

/// Finds this site's links in `text` (HTML, XML or JSON) and rewrites each to its static
/// address. `base` is the site's public base URL without a trailing slash
/// (`https://example.org`). Returns the rewritten text and the links found, in order, as
/// the requests that fetch them from the live site (path and query, `&amp;` decoded:
/// `/en/dynamics?from=…&to=…`).
pub fn rewrite_links(text: &str, base: &str) -> (String, Vec<String>) {
    let mut out = String::with_capacity(text.len() + text.len() / 32);
    let mut links = Vec::new();
    let bytes = text.as_bytes();
    let mut copied = 0;
    let mut i = 0;
    // A link starts at `=` (an attribute) or at the base URL's first byte: only those bytes
    // are looked at, found with `memchr`, rather than every byte of the page.
    let first = base.as_bytes().first().copied().unwrap_or(b'=');
    while i < bytes.len() {
        match memchr::memchr2(b'=', first, &bytes[i..]) {
            Some(n) => i += n,
            None => break,
        }
        let start = match link_start(text, i, base) {
            Some(s) => s,
            None => {
                i += 1;
                continue;
            }
        };
        let path_start = start;
        let end = link_end(bytes, path_start);
        let raw = &text[path_start..end];
        let (without_fragment, fragment) = match raw.split_once('#') {
            Some((u, f)) => (u, Some(f)),
            None => (raw, None),
        };
        // Attribute values and XML text escape `&` as `&amp;`; the request needs it plain.
        let request = without_fragment.replace("&amp;", "&");
        match static_url(&request) {
            Some(url) if !request.contains("//") => {
                // Up to the path: the attribute's quote, or the base URL of an absolute link.
                out.push_str(&text[copied..path_start]);
                out.push_str(&url);
                if let Some(f) = fragment {
                    out.push('#');
                    out.push_str(f);
                }
                copied = end;
                links.push(request);
            }
            _ => {}
        }
        i = end.max(i + 1);
    }
    out.push_str(&text[copied..]);
    (out, links)
}

/// Whether a link of this site starts at byte `i`: the site's base URL followed by `/`
/// (anywhere), or a root-relative attribute value (`="/…`, `='/…`). Returns where its path
/// starts.
fn link_start(text: &str, i: usize, base: &str) -> Option<usize> {
    let rest = &text.as_bytes()[i..];
    // Bytes, not a `str` slice: `i` may fall inside a multi-byte character.
    if !base.is_empty() && rest.starts_with(base.as_bytes()) {
        let after = i + base.len();
        if text.as_bytes().get(after) == Some(&b'/') {
            return Some(after);
        }
    }
    if rest.len() >= 4
        && rest[0] == b'='
        && (rest[1] == b'"' || rest[1] == b'\'')
        && rest[2] == b'/'
        && rest[3] != b'/'
    {
        return Some(i + 2);
    }
    None
}

/// The end of an address that starts at `from`: the first quote, angle bracket, backslash,
/// white space or non-ASCII byte (the site's own addresses are percent-encoded ASCII).
fn link_end(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|&b| {
            b >= 0x80
                || matches!(
                    b,
                    b'"' | b'\'' | b'<' | b'>' | b'\\' | b' ' | b'\n' | b'\r' | b'\t'
                )
        })
        .map_or(bytes.len(), |n| from + n)
}

/// A small page that sends the reader on to `target` (a static address): what a static copy
/// has in place of the live site's redirects.
pub fn redirect_page(target: &str) -> String {
    let t = quick_xml::escape::escape(target);
    format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{t}</title>\
         <link rel=\"canonical\" href=\"{t}\"><meta http-equiv=\"refresh\" content=\"0; url={t}\">\
         </head><body><p><a href=\"{t}\">{t}</a></p></body></html>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn pages_become_html_files_and_files_keep_their_names() {
        assert_eq!(
            static_url("/en/articles/a-b").as_deref(),
            Some("/en/articles/a-b.html")
        );
        assert_eq!(static_url("/en/").as_deref(), Some("/en/"));
        assert_eq!(static_url("/").as_deref(), Some("/"));
        assert_eq!(static_url("/en/feed.xml").as_deref(), Some("/en/feed.xml"));
        assert_eq!(
            static_url("/static/style.css").as_deref(),
            Some("/static/style.css")
        );
        assert_eq!(static_url("/api/v1/topics"), None);
        assert_eq!(static_url("https://elsewhere.org/x"), None);
        assert_eq!(
            file_for("/en/articles/a-b").as_deref(),
            Some("en/articles/a-b.html")
        );
        assert_eq!(file_for("/").as_deref(), Some("index.html"));
        assert_eq!(
            file_for("/sitemaps/1.xml").as_deref(),
            Some("sitemaps/1.xml")
        );
    }

    #[test]
    fn queries_are_folded_into_the_path() {
        assert_eq!(
            static_url("/en/dynamics?from=2026-W01&to=2026-W20").as_deref(),
            Some("/en/dynamics/from-2026-W01_to-2026-W20.html")
        );
        assert_eq!(
            static_url("/en/dynamics.csv?from=2026-W01&to=2026-W20").as_deref(),
            Some("/en/dynamics.from-2026-W01_to-2026-W20.csv")
        );
        assert_eq!(
            static_url("/en/search?").as_deref(),
            Some("/en/search.html")
        );
    }

    #[test]
    fn encoded_names_are_decoded_for_the_file_and_traversal_is_refused() {
        assert_eq!(
            file_for("/ru/tags/%D0%BC%D0%B8%D1%80").as_deref(),
            Some("ru/tags/мир.html")
        );
        assert_eq!(file_for("/en/../etc/passwd"), None);
        assert_eq!(file_for("/en/%2e%2e/x"), None);
        assert_eq!(file_for("/en/a%2Fb"), None);
    }

    #[test]
    fn links_of_the_site_are_rewritten_and_others_left_alone() {
        let html = r#"<a href="/en/articles/x#top">x</a> <a href="https://other.org/en/a">o</a>
<link rel="canonical" href="https://ex.org/en/articles/x"><a href="/en/dynamics?from=A&amp;to=B">d</a>
<code>/etc/passwd</code> <img src="/favicon.svg"> <a href="//cdn.org/x">c</a>"#;
        let (out, links) = rewrite_links(html, "https://ex.org");
        assert!(out.contains(r#"href="/en/articles/x.html#top""#), "{out}");
        assert!(out.contains(r#"href="https://other.org/en/a""#));
        assert!(out.contains(r#"href="https://ex.org/en/articles/x.html""#));
        assert!(
            out.contains(r#"href="/en/dynamics/from-A_to-B.html""#),
            "{out}"
        );
        assert!(out.contains("<code>/etc/passwd</code>"));
        assert!(out.contains(r#"href="//cdn.org/x""#));
        let requests: Vec<&str> = links.iter().map(String::as_str).collect();
        assert_eq!(
            requests,
            [
                "/en/articles/x",
                "/en/articles/x",
                "/en/dynamics?from=A&to=B",
                "/favicon.svg"
            ]
        );
    }

    #[test]
    fn text_in_any_script_is_scanned_safely() {
        let text = "Статья «https://ex.org/ru/tags/%D0%BC%D0%B8%D1%80» и ещё ∑ ='/ru/'";
        let (out, links) = rewrite_links(text, "https://ex.org");
        assert!(
            out.contains("«https://ex.org/ru/tags/%D0%BC%D0%B8%D1%80.html»"),
            "{out}"
        );
        assert_eq!(links.len(), 2);
    }

    #[test]
    fn json_and_xml_addresses_are_rewritten() {
        let json =
            r#"{"url":"https://ex.org/en/articles/y","feed_url":"https://ex.org/en/feed.json"}"#;
        let (out, _) = rewrite_links(json, "https://ex.org");
        assert_eq!(
            out,
            r#"{"url":"https://ex.org/en/articles/y.html","feed_url":"https://ex.org/en/feed.json"}"#
        );
        let xml = "<loc>https://ex.org/en/weeks/2026-W47</loc>";
        assert_eq!(
            rewrite_links(xml, "https://ex.org").0,
            "<loc>https://ex.org/en/weeks/2026-W47.html</loc>"
        );
    }

    proptest! {
        /// Every page address maps to a file inside the export folder, and rewriting is
        /// stable: a static address maps to itself.
        #[test]
        fn files_stay_inside_the_folder(segments in proptest::collection::vec("[a-zA-Z0-9%._~-]{0,12}", 0..5), query in proptest::option::of("[a-z=&0-9%-]{0,20}")) {
            let mut request = format!("/{}", segments.join("/"));
            if let Some(q) = &query {
                request.push('?');
                request.push_str(q);
            }
            if let Some(file) = file_for(&request) {
                prop_assert!(!file.starts_with('/'));
                prop_assert!(!file.split('/').any(|s| s == ".." || s == "." || s.is_empty()), "{}", file);
                let url = static_url(&request).expect("a file has an address");
                prop_assert_eq!(static_url(&url), Some(url.clone()));
            }
        }
    }
}
