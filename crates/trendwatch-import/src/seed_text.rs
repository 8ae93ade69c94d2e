//! Text dumps of article pages, the format of `shared/seed/`:
//!
//! ```text
//! header -->                      (optional)
//! Security: Headline              topic, colon, headline
//! Category status: [status]       status word optional
//! August 07, 2017 12:25           publication date and time
//! Photo: www.mil.by               image credit, optional
//! paragraphs…                     the body
//! Similar articles                optional: entries of headline, date, "Image: credit", summary
//! Recent trends                   optional, ignored
//! ```

use crate::dates::parse_datetime;
use crate::Parsed;
use trendwatch_core::sanitize::paragraphs_to_html;
use trendwatch_core::ArticleDraft;

const CREDIT_PREFIXES: &[&str] = &["Photo:", "Image:", "Фото:", "Изображение:"];
const SIMILAR_HEADINGS: &[&str] = &["Similar articles", "Похожие статьи", "Похожие материалы"];
const RECENT_HEADINGS: &[&str] = &["Recent trends", "Последние тренды", "Последние тенденции"];

fn credit(line: &str) -> Option<String> {
    CREDIT_PREFIXES
        .iter()
        .find_map(|p| line.strip_prefix(p))
        .map(|c| c.trim().to_string())
}

/// Parses one page dump.
pub fn parse(text: &str) -> Parsed {
    let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
    let mut i = 0;
    let skip_blank = |i: &mut usize| {
        while *i < lines.len() && lines[*i].trim().is_empty() {
            *i += 1;
        }
    };
    skip_blank(&mut i);
    if lines
        .get(i)
        .is_some_and(|l| l.trim().starts_with("header -->"))
    {
        i += 1;
        skip_blank(&mut i);
    }
    let Some(heading) = lines.get(i) else {
        return Parsed::err(Some(i + 1), "truncated: expected \"Topic: Headline\"");
    };
    let heading_line = i + 1;
    let Some((topic, title)) = heading.split_once(':') else {
        return Parsed::err(
            Some(heading_line),
            format!("expected \"Topic: Headline\", found {:?}", heading.trim()),
        );
    };
    let mut d = ArticleDraft {
        topic: Some(topic.trim().to_string()),
        title: title.trim().to_string(),
        ..ArticleDraft::default()
    };
    i += 1;
    skip_blank(&mut i);
    if let Some(rest) = lines
        .get(i)
        .and_then(|l| l.trim().strip_prefix("Category status:"))
    {
        let s = rest.trim();
        if !s.is_empty() {
            d.status = Some(s.to_string());
        }
        i += 1;
        skip_blank(&mut i);
    }
    let Some(date_line) = lines.get(i) else {
        return Parsed::err(
            Some(i + 1),
            "truncated: expected the publication date after the headline",
        );
    };
    match parse_datetime(date_line) {
        Some(t) => d.published_at = Some(t),
        None => {
            return Parsed::err(
                Some(i + 1),
                format!(
                    "missing date: expected e.g. \"August 07, 2017 12:25\", found {:?}",
                    date_line.trim()
                ),
            )
        }
    }
    i += 1;
    if let Some(c) = lines.get(i).and_then(|l| credit(l.trim())) {
        d.image_credit = Some(c);
        i += 1;
    }
    // Body: paragraphs up to "Similar articles" or "Recent trends".
    let mut paragraphs: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut in_similar = false;
    while i < lines.len() {
        let l = lines[i].trim();
        if SIMILAR_HEADINGS.contains(&l) {
            in_similar = true;
            i += 1;
            break;
        }
        if RECENT_HEADINGS.contains(&l) {
            break;
        }
        if l.is_empty() {
            if !current.is_empty() {
                paragraphs.push(std::mem::take(&mut current));
            }
        } else {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(l);
        }
        i += 1;
    }
    if !current.is_empty() {
        paragraphs.push(current);
    }
    if paragraphs.is_empty() {
        return Parsed::err(
            Some(i.min(lines.len()) + 1),
            "truncated: the article has no body text",
        );
    }
    d.body_html = paragraphs_to_html(paragraphs.iter().map(String::as_str));
    // Similar entries: a headline is a non-empty line followed by a date line.
    if in_similar {
        while i < lines.len() {
            let l = lines[i].trim();
            if RECENT_HEADINGS.contains(&l) {
                break;
            }
            if !l.is_empty()
                && lines
                    .get(i + 1)
                    .is_some_and(|n| parse_datetime(n).is_some())
            {
                d.similar_titles.push(l.to_string());
                i += 2;
                continue;
            }
            i += 1;
        }
    }
    Parsed::ok(Some(heading_line), d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const PAGE: &str = "header -->\n\nSociety: Fictional headline\n\nCategory status: improved\nMay 14, 2018 10:00\nPhoto: example.org\n\nFirst paragraph\ncontinues here.\n\nSecond <b>para</b>.\n\nSimilar articles\n\nOther headline\nMay 07, 2018 09:00\nImage: x.org\n\nSummary one.\n\nThird headline\nApril 30, 2018 09:00\n\nSummary.\n\nRecent trends\n";

    #[test]
    fn parses_every_element() {
        let p = parse(PAGE);
        assert_eq!(p.line, Some(3));
        let d = p.result.expect("valid page");
        assert_eq!(d.topic.as_deref(), Some("Society"));
        assert_eq!(d.title, "Fictional headline");
        assert_eq!(d.status.as_deref(), Some("improved"));
        assert_eq!(d.published_at, Some(datetime!(2018-05-14 10:00)));
        assert_eq!(d.image_credit.as_deref(), Some("example.org"));
        assert_eq!(
            d.body_html,
            "<p>First paragraph continues here.</p>\n<p>Second &lt;b&gt;para&lt;/b&gt;.</p>\n"
        );
        assert_eq!(d.similar_titles, vec!["Other headline", "Third headline"]);
    }

    #[test]
    fn truncated_and_malformed_pages_name_the_line() {
        let p = parse("header -->\n\nSecurity: Headline\n\nCategory status:\n");
        assert_eq!(p.line, Some(6));
        assert!(p.result.is_err_and(|e| e.contains("truncated")));

        let p = parse("Security: Headline\nCategory status:\nsometime last summer\n\nBody.\n");
        assert_eq!(p.line, Some(3));
        assert!(p.result.is_err_and(|e| e.contains("missing date")));

        let p = parse("Security: Headline\nCategory status:\nAugust 07, 2017 12:25\nPhoto: x\n");
        assert!(p.result.is_err_and(|e| e.contains("no body")));

        let p = parse("No colon headline\nCategory status:\n");
        assert_eq!(p.line, Some(1));
        assert!(p.result.is_err());
    }
}
