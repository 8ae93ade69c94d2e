//! Parsers for the archive formats Trendwatch imports. Each takes the bytes of one file and
//! returns one [`Parsed`] item per article found, with the line it starts on where that makes
//! sense, so the importer can report every rejected item and keep the good ones.
//!
//! Formats are told apart by content, not by file name ([`detect`]):
//! - [`seed_text`]: text dumps of article pages, as in `shared/seed/`;
//! - [`html_page`]: HTML article pages of monitoring sites;
//! - [`markdown`]: Markdown with YAML (`---`) or TOML (`+++`) front matter, Hugo/Zola style;
//! - [`jsonl`]: JSON lines, one article per line;
//! - [`wxr`]: WordPress exports (WXR), categories mapped to topics by a [`Context`].

pub mod dates;
mod fields;
pub mod html_page;
pub mod jsonl;
pub mod markdown;
pub mod seed_text;
pub mod wxr;

use std::collections::BTreeMap;
use std::path::Path;
use trendwatch_core::{ArticleDraft, Topics};

/// What some formats need to know of the site: its topics, and how a WordPress export's
/// categories map to them (`[import.categories]` of the configuration).
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The site's topics.
    pub topics: Topics,
    /// Category (name or slug, any case) → topic slug.
    pub categories: BTreeMap<String, String>,
}

impl Context {
    /// The topic slug a category (by its name or its slug) stands for: the configured
    /// mapping first, then a topic of that name, slug or alias.
    pub fn topic_of(&self, name: &str, nicename: &str) -> Option<String> {
        let mapped = self.categories.iter().find_map(|(category, topic)| {
            (category.eq_ignore_ascii_case(name.trim()) || category.eq_ignore_ascii_case(nicename))
                .then(|| topic.clone())
        });
        mapped
            .and_then(|t| self.topics.find(&t).map(|t| t.slug.clone()))
            .or_else(|| {
                self.topics
                    .find(name.trim())
                    .or_else(|| self.topics.find(nicename))
                    .map(|t| t.slug.clone())
            })
    }
}

/// One article found in a file, or why the item at that place could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// 1-based line where the item starts or the problem is, when the format has lines.
    pub line: Option<usize>,
    /// The draft, or the reason it was rejected.
    pub result: Result<ArticleDraft, String>,
}

impl Parsed {
    fn ok(line: Option<usize>, draft: ArticleDraft) -> Parsed {
        Parsed {
            line,
            result: Ok(draft),
        }
    }

    fn err(line: Option<usize>, reason: impl Into<String>) -> Parsed {
        Parsed {
            line,
            result: Err(reason.into()),
        }
    }
}

/// The formats the importer understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Text dump of an article page (the seed's format).
    SeedText,
    /// An HTML article page.
    Html,
    /// Markdown with front matter.
    Markdown,
    /// JSON lines.
    JsonLines,
    /// A WordPress export (WXR).
    Wordpress,
}

/// File extensions worth reading when walking a folder.
pub const EXTENSIONS: &[&str] = &[
    "txt", "html", "htm", "md", "markdown", "jsonl", "ndjson", "json", "xml", "wxr",
];

/// Tells the format from the first bytes of the content. `None` when it is none of them.
pub fn detect(text: &str) -> Option<Format> {
    let t = text.trim_start_matches('\u{feff}').trim_start();
    let head: String = t
        .chars()
        .take(2048)
        .collect::<String>()
        .to_ascii_lowercase();
    if t.starts_with("---") || t.starts_with("+++") {
        Some(Format::Markdown)
    } else if t.starts_with('{') {
        Some(Format::JsonLines)
    } else if wxr::looks_like_wxr(&head) {
        Some(Format::Wordpress)
    } else if head.starts_with("<!doctype html")
        || head.starts_with("<html")
        || head.contains("<body")
        || head.contains("<article")
        || (t.starts_with('<') && !head.starts_with("header -->"))
    {
        Some(Format::Html)
    } else if head.starts_with("header -->")
        || text
            .lines()
            .take(40)
            .any(|l| l.trim() == "Category status:" || l.trim().starts_with("Category status:"))
    {
        Some(Format::SeedText)
    } else {
        None
    }
}

/// Locates the first invalid UTF-8 byte as a 1-based line number and byte offset.
fn utf8_error(bytes: &[u8], e: std::str::Utf8Error) -> Parsed {
    let at = e.valid_up_to();
    let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
    Parsed::err(
        Some(line),
        format!("invalid UTF-8 at byte {at}: the file must be UTF-8 encoded"),
    )
}

/// Parses one file's bytes with the default topics and no category mapping. See
/// [`parse_file_in`].
pub fn parse_file(path: &Path, bytes: &[u8]) -> Vec<Parsed> {
    parse_file_in(path, bytes, &Context::default())
}

/// Parses one file's bytes. `path` is used for Hugo/Zola conventions (language suffix
/// `name.ru.md`, section folder as topic), never read; `context` maps a WordPress export's
/// categories to topics.
pub fn parse_file_in(path: &Path, bytes: &[u8], context: &Context) -> Vec<Parsed> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        // JSON lines are independent records: keep the good lines of a partly broken file.
        Err(_) if bytes.first() == Some(&b'{') => return jsonl::parse_bytes(bytes),
        Err(e) => return vec![utf8_error(bytes, e)],
    };
    if text.trim().is_empty() {
        return vec![Parsed::err(None, "empty file")];
    }
    match detect(text) {
        Some(Format::SeedText) => vec![seed_text::parse(text)],
        Some(Format::Html) => vec![html_page::parse(text)],
        Some(Format::Markdown) => markdown::parse(path, text),
        Some(Format::JsonLines) => jsonl::parse_bytes(bytes),
        Some(Format::Wordpress) => wxr::parse(text, context),
        None => vec![Parsed::err(
            Some(1),
            "unrecognised format: expected a page dump (\"Topic: Title\" then \"Category status:\"), \
             an HTML page, Markdown with ---/+++ front matter, JSON lines, or a WordPress export",
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_formats() {
        assert_eq!(
            detect("header -->\n\nSecurity: X\n"),
            Some(Format::SeedText)
        );
        assert_eq!(
            detect("Security: X\n\nCategory status:\n"),
            Some(Format::SeedText)
        );
        assert_eq!(detect("<!DOCTYPE html><html>"), Some(Format::Html));
        assert_eq!(detect("---\ntitle: x\n---\n"), Some(Format::Markdown));
        assert_eq!(detect("+++\ntitle = 'x'\n+++\n"), Some(Format::Markdown));
        assert_eq!(detect("{\"title\":1}\n"), Some(Format::JsonLines));
        assert_eq!(detect("just some words"), None);
    }

    #[test]
    fn invalid_utf8_names_line_and_byte() {
        let bytes = b"header -->\n\nSecurity: X\n\xff\xfe\n";
        let items = parse_file(Path::new("x.txt"), bytes);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].line, Some(4));
        assert!(items[0]
            .result
            .as_ref()
            .is_err_and(|e| e.contains("invalid UTF-8 at byte 24")));
    }
}
