//! Markdown files with front matter, laid out as Hugo and Zola do: YAML between `---` lines
//! or TOML between `+++` lines, then the Markdown body. A language suffix in the file name
//! (`post.ru.md`) sets the language, the section folder (`content/security/post.md`) is the
//! topic when the front matter names none, and section index pages (`_index.md`) are skipped.

use crate::fields::draft_from_map;
use crate::Parsed;
use pulldown_cmark::{html, Options, Parser};
use serde_json::{Map, Value};
use std::path::Path;

/// How deeply the blocks of `markdown` nest (block quotes and list items), from the markers
/// at the start of each line, in one linear pass. pulldown-cmark and the sanitiser after it
/// take time quadratic in depth (100,000 `>` took 140 s), so depth is bounded before
/// parsing. Indentation counts one level per two spaces, as nested list items need.
pub fn nesting_depth(markdown: &str) -> usize {
    let mut max = 0;
    for line in markdown.lines() {
        let mut depth = 0;
        let mut rest = line;
        loop {
            let trimmed = rest.trim_start_matches([' ', '\t']);
            depth += (rest.len() - trimmed.len()) / 2;
            let b = trimmed.as_bytes();
            let marker = match b.first() {
                Some(b'>') => 1,
                Some(b'-' | b'*' | b'+') if b.get(1).is_some_and(|c| *c == b' ') => 2,
                Some(c) if c.is_ascii_digit() => {
                    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
                    match (b.get(digits), b.get(digits + 1)) {
                        (Some(b'.' | b')'), Some(b' ')) => digits + 1,
                        _ => 0,
                    }
                }
                _ => 0,
            };
            if marker == 0 {
                break;
            }
            depth += 1;
            rest = &trimmed[marker..];
        }
        max = max.max(depth);
    }
    max
}

/// Renders Markdown to HTML (tables, footnotes and strikethrough on), refusing Markdown
/// nested deeper than [`trendwatch_core::limits::MAX_NESTING`]. The result is sanitised
/// later, with every other body, by `ArticleDraft::prepare`.
pub fn to_html(markdown: &str) -> Result<String, String> {
    let depth = nesting_depth(markdown);
    if depth > trendwatch_core::limits::MAX_NESTING {
        return Err(format!(
            "body: block quotes and lists nested {depth} levels deep: at most {} levels are \
             accepted",
            trendwatch_core::limits::MAX_NESTING
        ));
    }
    Ok(render(markdown))
}

fn render(markdown: &str) -> String {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_FOOTNOTES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    let mut out = String::with_capacity(markdown.len() * 5 / 4);
    html::push_html(&mut out, Parser::new_ext(markdown, opts));
    out
}

/// Splits front matter from body: `(delimiter, front matter, body, body's first line)`.
/// A problem found while reading the file: its line, if known, and the reason.
type Problem = (Option<usize>, String);

/// The parts of a Markdown file: delimiter, front matter, body, and the body's first line.
type Parts<'a> = (&'static str, &'a str, &'a str, usize);

fn split(text: &str) -> Result<Parts<'_>, Problem> {
    let t = text.trim_start_matches('\u{feff}');
    let delim = if t.starts_with("---") {
        "---"
    } else if t.starts_with("+++") {
        "+++"
    } else {
        return Err((
            Some(1),
            "missing front matter: expected a first line of --- (YAML) or +++ (TOML)".into(),
        ));
    };
    let after_open = t[3..].find('\n').map(|i| 3 + i + 1).unwrap_or(t.len());
    let rest = &t[after_open..];
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == delim {
            let fm = &rest[..offset];
            let body = &rest[offset + line.len()..];
            let body_line = 2 + fm.lines().count() + 1;
            return Ok((delim, fm, body, body_line));
        }
        offset += line.len();
    }
    Err((
        Some(1),
        format!("truncated: front matter opened with {delim} on line 1 is never closed"),
    ))
}

fn front_matter(delim: &str, fm: &str) -> Result<Map<String, Value>, Problem> {
    if delim == "---" {
        match serde_yaml_ng::from_str::<Value>(fm) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(Value::Null) => Ok(Map::new()),
            Ok(_) => Err((
                Some(2),
                "front matter must be a YAML mapping of fields".into(),
            )),
            Err(e) => Err((
                e.location().map(|l| l.line() + 1),
                format!("invalid YAML front matter: {e}"),
            )),
        }
    } else {
        match toml::from_str::<toml::Table>(fm) {
            Ok(t) => match serde_json::to_value(t) {
                Ok(Value::Object(m)) => Ok(m),
                _ => Err((Some(2), "front matter must be a TOML table".into())),
            },
            Err(e) => {
                let line = e
                    .span()
                    .map(|s| fm[..s.start.min(fm.len())].lines().count().max(1) + 1);
                Err((line, format!("invalid TOML front matter: {}", e.message())))
            }
        }
    }
}

/// Parses one Markdown file; `path` supplies the language suffix and section folder.
pub fn parse(path: &Path, text: &str) -> Vec<Parsed> {
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if file_name.starts_with("_index.") {
        return Vec::new();
    }
    let (delim, fm, body, body_line) = match split(text) {
        Ok(parts) => parts,
        Err((line, reason)) => return vec![Parsed::err(line, reason)],
    };
    let mut map = match front_matter(delim, fm) {
        Ok(m) => m,
        Err((line, reason)) => return vec![Parsed::err(line, reason)],
    };
    // Hugo/Zola conventions, used only when the front matter is silent.
    let stem_parts: Vec<&str> = file_name.split('.').collect();
    if stem_parts.len() >= 3 && !map.contains_key("lang") && !map.contains_key("language") {
        map.insert(
            "lang".into(),
            Value::String(stem_parts[stem_parts.len() - 2].to_string()),
        );
    }
    let topic_keys = ["topic", "category", "section", "topics", "categories"];
    let has_topic = topic_keys.iter().any(|k| map.contains_key(*k))
        || map
            .get("taxonomies")
            .and_then(Value::as_object)
            .is_some_and(|t| topic_keys.iter().any(|k| t.contains_key(*k)));
    if !has_topic {
        if let Some(section) = path
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
        {
            map.insert("topic".into(), Value::String(section.to_string()));
        }
    }
    if body.trim().is_empty() {
        return vec![Parsed::err(
            Some(body_line),
            "the article has no body text after the front matter",
        )];
    }
    vec![Parsed {
        line: Some(1),
        result: to_html(body).and_then(|html| draft_from_map(&map, Some(html))),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use trendwatch_core::Language;

    #[test]
    fn yaml_hugo_layout() {
        let text = "---\ntitle: \"Ministers reshuffled\"\ndate: 2026-03-02T09:30:00+03:00\ncategories: [\"The ruling elite\"]\nstatus: worsened\ntranslationKey: resh-1\ntags: [cabinet]\n---\nThe **cabinet** changed.\n";
        let items = parse(Path::new("content/elite/reshuffle.ru.md"), text);
        let d = items[0].result.as_ref().expect("valid");
        assert_eq!(d.title, "Ministers reshuffled");
        assert_eq!(d.lang, Some(Language::Ru));
        assert_eq!(d.topic.as_deref(), Some("The ruling elite"));
        assert_eq!(d.published_at, Some(datetime!(2026-03-02 09:30)));
        assert_eq!(d.translation_group.as_deref(), Some("resh-1"));
        assert_eq!(
            d.body_html.trim(),
            "<p>The <strong>cabinet</strong> changed.</p>"
        );
    }

    #[test]
    fn toml_zola_layout_with_section_topic() {
        let text = "+++\ntitle = \"Border calm\"\ndate = 2026-03-02\n[taxonomies]\ntags = [\"border\"]\n+++\nQuiet week.\n";
        let items = parse(Path::new("content/security/border.md"), text);
        let d = items[0].result.as_ref().expect("valid");
        assert_eq!(d.topic.as_deref(), Some("security"));
        assert_eq!(d.published_at, Some(datetime!(2026-03-02 0:00)));
        assert_eq!(d.tags, vec!["border"]);
    }

    #[test]
    fn f3_markdown_nesting_bounded() {
        assert_eq!(nesting_depth("> a\n> > b\n- x\n  - y\n    1. z\n"), 3);
        assert_eq!(nesting_depth("> - > 1. > x\n"), 5);
        assert_eq!(nesting_depth("plain\n\n-1 not a list\n2025 a year"), 0);
        let deep = format!("{}x\n", ">".repeat(100_000));
        let started = std::time::Instant::now();
        let e = to_html(&deep).expect_err("too deep");
        assert!(e.contains("100000 levels"), "{e}");
        // Linear: the check over 100,000 markers takes milliseconds (140 s unbounded).
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        assert!(to_html(&format!("{}x\n", "> ".repeat(50))).is_ok());
    }

    #[test]
    fn malformed_front_matter() {
        let p = parse(Path::new("a.md"), "---\ntitle: x\n");
        assert!(p[0]
            .result
            .as_ref()
            .is_err_and(|e| e.contains("never closed")));
        let p = parse(Path::new("a.md"), "---\ntitle: [unclosed\n---\nBody\n");
        assert!(p[0]
            .result
            .as_ref()
            .is_err_and(|e| e.contains("invalid YAML")));
        let p = parse(Path::new("a.md"), "+++\ntitle = \n+++\nBody\n");
        assert_eq!(p[0].line, Some(2));
        assert!(p[0]
            .result
            .as_ref()
            .is_err_and(|e| e.contains("invalid TOML")));
        assert!(parse(Path::new("content/security/_index.md"), "+++\n+++\n").is_empty());
    }
}
