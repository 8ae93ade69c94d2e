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
            .url_schemes(["http", "https", "mailto"].into_iter().collect())
            .link_rel(Some("noopener nofollow"));
        b
    })
}

/// Cleans untrusted HTML down to the allow-list: structural text tags, links and images with
/// safe URL schemes; scripts, styles, event handlers and unknown tags are removed.
pub fn sanitize_html(html: &str) -> String {
    builder().clean(html).to_string()
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
    fn text_round_trip() {
        let html = paragraphs_to_html(["A < B & C", "", "Second"]);
        assert_eq!(html, "<p>A &lt; B &amp; C</p>\n<p>Second</p>\n");
        assert_eq!(html_to_text(&html), "A < B & C\n\nSecond");
    }
}
