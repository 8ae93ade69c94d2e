//! The one allow-list HTML sanitiser. Every piece of HTML that reaches the database (imported
//! pages, Markdown rendered to HTML, JSON bodies) passes through [`sanitize_html`]; templates
//! escape everything else.

use std::collections::HashSet;
use std::sync::OnceLock;

fn builder() -> &'static ammonia::Builder<'static> {
    static BUILDER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    BUILDER.get_or_init(|| {
        let tags: HashSet<&str> = [
            "p",
            "br",
            "h2",
            "h3",
            "h4",
            "ul",
            "ol",
            "li",
            "blockquote",
            "em",
            "strong",
            "b",
            "i",
            "a",
            "q",
            "cite",
            "sup",
            "sub",
            "figure",
            "figcaption",
            "img",
            "table",
            "thead",
            "tbody",
            "tr",
            "th",
            "td",
            "hr",
            "abbr",
        ]
        .into_iter()
        .collect();
        let mut b = ammonia::Builder::new();
        b.tags(tags)
            .clean_content_tags(["script", "style"].into_iter().collect())
            .tag_attributes(
                [
                    ("a", ["href", "title"].into_iter().collect()),
                    (
                        "img",
                        ["src", "alt", "width", "height"].into_iter().collect(),
                    ),
                    ("abbr", ["title"].into_iter().collect()),
                    ("td", ["colspan", "rowspan"].into_iter().collect()),
                    ("th", ["colspan", "rowspan", "scope"].into_iter().collect()),
                ]
                .into_iter()
                .collect(),
            )
            .generic_attributes(HashSet::new())
            // Only http and https; relative URLs pass ammonia's scheme check, so the
            // attribute filter applies the one content-URL rule to every href and src.
            .url_schemes(["http", "https"].into_iter().collect())
            .attribute_filter(|_element, attribute, value| match attribute {
                "href" | "src" => crate::content_url::allowed(value).map(Into::into),
                _ => Some(value.into()),
            })
            .link_rel(Some("noopener nofollow"));
        b
    })
}

/// Cleans untrusted HTML down to the allow-list: structural text tags, links and images with
/// safe URL schemes; scripts, styles, event handlers and unknown tags are removed.
///
/// The result is a fixed point: sanitising it again changes nothing (SECURITY C1). One pass
/// of ammonia is not always one: when it drops a disallowed element it keeps the children,
/// and a child that the parser had nested inside it (`<h3>a<span><h3>b</h3></span></h3>`)
/// can become a nesting that a second parse rebuilds differently (`<h3>` directly inside
/// `<h3>` closes the first). The fuzz target found such a page, so the pass is repeated until
/// the output is stable; clean HTML is stable after the second pass, which costs less than
/// the first because there is less left to remove.
pub fn sanitize_html(html: &str) -> String {
    let mut out = builder().clean(html).to_string();
    for _ in 0..MAX_PASSES {
        let again = builder().clean(&out).to_string();
        if again == out {
            break;
        }
        out = again;
    }
    out
}

/// Extra passes before giving up on a fixed point (each one removes at least one level of
/// misnesting; the fuzz corpus needs one).
const MAX_PASSES: usize = 4;

/// How deeply the elements of `html` nest, as an HTML parser would build them, found in one
/// linear pass without building a tree. Parsers and sanitisers spend time proportional to
/// depth on every tag (html5ever checks element scopes by walking its stack of open
/// elements), so deep nesting makes them quadratic: a 62 KB page of 2,500 nested
/// `<blockquote>` took a gigabyte. Callers refuse input deeper than
/// [`crate::limits::MAX_NESTING`] before parsing it.
///
/// The count errs on the side of deeper: every start tag opens an element except void ones
/// (`<br>`, `<img>` …) and those a parser closes by itself when the next one starts (`<p>`,
/// `<li>`, `<td>` …); every end tag closes one. Comments, doctypes and the raw text of
/// `<script>` and `<style>` are skipped. (No crate offers this: html5ever's tokenizer could,
/// but only by running the same machinery whose cost this check bounds.)
pub fn html_nesting_depth(html: &str) -> usize {
    const VOID: &[&str] = &[
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr", "param", "keygen", "frame", "basefont", "bgsound",
    ];
    const SELF_CLOSING: &[&str] = &[
        "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "rb", "rt", "rp", "rtc",
        "tbody", "thead", "tfoot", "colgroup", "caption", "html", "head", "body",
    ];
    const RAW: &[&str] = &[
        "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript",
    ];
    let b = html.as_bytes();
    let find = |from: usize, needle: &[u8]| -> usize {
        b[from.min(b.len())..]
            .windows(needle.len())
            .position(|w| w.eq_ignore_ascii_case(needle))
            .map_or(b.len(), |p| from + p + needle.len())
    };
    let (mut depth, mut max, mut i) = (0usize, 0usize, 0usize);
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        let next = b.get(i + 1).copied().unwrap_or(b' ');
        if next == b'!' {
            i = if b[i..].starts_with(b"<!--") {
                find(i + 4, b"-->")
            } else {
                find(i + 2, b">")
            };
            continue;
        }
        if next == b'?' {
            i = find(i + 2, b">");
            continue;
        }
        let closing = next == b'/';
        let start = i + 1 + usize::from(closing);
        let mut end = start;
        while end < b.len() && (b[end].is_ascii_alphanumeric() || b[end] == b'-') {
            end += 1;
        }
        if end == start {
            // "<" not starting a tag is text.
            i += 1;
            continue;
        }
        let name = html[start..end].to_ascii_lowercase();
        // The end of the tag, skipping quoted attribute values (they may hold ">").
        let mut j = end;
        let mut quote = 0u8;
        while j < b.len() {
            match (quote, b[j]) {
                (0, b'"' | b'\'') => quote = b[j],
                (0, b'>') => break,
                (q, c) if q == c => quote = 0,
                _ => {}
            }
            j += 1;
        }
        i = j + 1;
        if VOID.contains(&name.as_str()) || SELF_CLOSING.contains(&name.as_str()) {
            continue;
        }
        if closing {
            depth = depth.saturating_sub(1);
        } else if RAW.contains(&name.as_str()) {
            i = find(i, format!("</{name}").as_bytes());
        } else {
            depth += 1;
            max = max.max(depth);
        }
    }
    max
}

/// Refuses HTML nested deeper than [`crate::limits::MAX_NESTING`], naming both numbers.
pub fn check_nesting(html: &str) -> Result<(), String> {
    let depth = html_nesting_depth(html);
    if depth > crate::limits::MAX_NESTING {
        Err(format!(
            "elements nested {depth} levels deep: at most {} levels are accepted",
            crate::limits::MAX_NESTING
        ))
    } else {
        Ok(())
    }
}

/// Escapes plain text for HTML and wraps each blank-line-separated paragraph in `<p>`.
pub fn paragraphs_to_html<'a>(paragraphs: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for p in paragraphs {
        let p = p.trim();
        if p.is_empty() {
            continue;
        }
        out.push_str("<p>");
        out.push_str(&escape_html(p));
        out.push_str("</p>\n");
    }
    out
}

/// Escapes the five HTML-significant characters. (`ammonia::clean_text` also escapes spaces,
/// which bloats stored bodies, so this small function is written here.)
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Strips every tag and returns the text content, paragraphs separated by blank lines; used
/// for leads, search and similarity.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    let mut tag = String::new();
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                tag.clear();
            }
            '>' if in_tag => {
                in_tag = false;
                let name = tag
                    .trim_start_matches('/')
                    .split_whitespace()
                    .next()
                    .unwrap_or("");
                if matches!(
                    name,
                    "p" | "br" | "li" | "h2" | "h3" | "h4" | "blockquote" | "tr"
                ) && !out.ends_with("\n\n")
                {
                    out.push_str("\n\n");
                }
            }
            _ if in_tag => tag.push(c),
            _ => out.push(c),
        }
    }
    let paragraphs: Vec<String> = out
        .split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect();
    decode_entities(&paragraphs.join("\n\n"))
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_scripts_handlers_and_bad_urls() {
        let dirty = r#"<p onclick="x()">Hi <script>alert(1)</script><a href="javascript:evil()">x</a><img src="https://e.org/a.jpg" onerror="y"></p><style>p{}</style>"#;
        let clean = sanitize_html(dirty);
        assert!(!clean.contains("script"));
        assert!(!clean.contains("onclick"));
        assert!(!clean.contains("onerror"));
        assert!(!clean.contains("javascript"));
        assert!(!clean.contains("style"));
        assert!(clean.contains(r#"<img src="https://e.org/a.jpg">"#));
    }

    #[test]
    fn nesting_depth_counts_what_a_parser_nests() {
        assert_eq!(html_nesting_depth("<p>a<p>b<br><img src=x></p>"), 0);
        assert_eq!(
            html_nesting_depth("<div><div></div><div><b>x</b></div></div>"),
            3
        );
        assert_eq!(html_nesting_depth("<ul><li><ul><li>x</ul></ul>"), 2);
        assert_eq!(
            html_nesting_depth("<script>'<div><div><div>'</script><!-- <div> --><i>a</i>"),
            1
        );
        assert_eq!(html_nesting_depth("<a title='>'><b>x</b></a> 1 < 2"), 2);
        let deep = "<blockquote>".repeat(2500);
        assert_eq!(html_nesting_depth(&deep), 2500);
        assert!(check_nesting(&deep).is_err_and(|e| e.contains("2500 levels")));
        assert!(check_nesting(&"<div>".repeat(200)).is_ok());
    }

    #[test]
    fn links_and_images_keep_only_http_https_and_site_paths() {
        let dirty = r##"<a href="javascript:alert(1)">a</a><a href="//evil.example/">b</a><a href="mailto:x@y.z">c</a><a href="/en/about">d</a><a href="#s">e</a><img src="data:image/png;base64,AAAA"><img src="//evil.example/x.png"><img src="/static/x.png"><img src="https://e.org/y.png">"##;
        let clean = sanitize_html(dirty);
        for gone in ["javascript", "evil.example", "data:", "mailto"] {
            assert!(!clean.contains(gone), "{gone} survived: {clean}");
        }
        for kept in [
            r#"href="/en/about""#,
            r##"href="#s""##,
            r#"src="/static/x.png""#,
            r#"src="https://e.org/y.png""#,
        ] {
            assert!(clean.contains(kept), "{kept} lost: {clean}");
        }
    }

    proptest::proptest! {
        /// C1: sanitising twice changes nothing.
        #[test]
        fn c1_sanitise_is_idempotent(s in "(<(a|img|p|b|script|div) ?(href|src|onclick)?=?\"?(javascript:|//|/|https://e.org/)?[a-z]{0,3}\"?>|</(a|p|b|div)>|[a-z <>&\"']{0,4}){0,12}") {
            let once = sanitize_html(&s);
            proptest::prop_assert_eq!(sanitize_html(&once), once);
        }
    }

    /// Found by `scripts/fuzz` (sanitize target): a heading nested in a heading through an
    /// element the sanitiser drops.
    #[test]
    fn c1_sanitise_is_idempotent_for_headings_nested_through_dropped_elements() {
        for dirty in [
            "<h3>a<span><h3>b</h3></span></h3>",
            "<p><h3>Alliance notes<meta content=\"x\"><span><h3>drills</h3></span></h3></p>",
            "<ul><li><div><ul><li>x</li></ul><h2>y<span><h2>z</h2></span></h2></div></li></ul>",
        ] {
            let once = sanitize_html(dirty);
            assert_eq!(sanitize_html(&once), once, "{dirty}");
        }
    }

    #[test]
    fn text_round_trip() {
        let html = paragraphs_to_html(["A < B & C", "", "Second"]);
        assert_eq!(html, "<p>A &lt; B &amp; C</p>\n<p>Second</p>\n");
        assert_eq!(html_to_text(&html), "A < B & C\n\nSecond");
    }
}
