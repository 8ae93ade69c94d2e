//! Size limits on everything that enters the archive, whatever the entry point (import,
//! the editors' API, the CLI). Without them one careless file (a 200 MB single-line
//! article) costs gigabytes at import and on every render of its page, and a storyline
//! renamed to megabytes turns its pages into errors. The numbers are far above what any
//! real commentary needs: the longest articles of the shared corpora are under 60 KB.

/// Largest input file (or JSON line) read as one article, in bytes. Checked before reading.
pub const MAX_ITEM_BYTES: usize = 8 * 1024 * 1024;
/// Largest JSON-lines file, in bytes (many articles; each line is one item). The file is held
/// in memory while its lines are parsed, so this bounds the import's memory too.
pub const MAX_JSONL_FILE_BYTES: u64 = 1024 * 1024 * 1024;
/// Longest body after sanitising, in bytes of HTML.
pub const MAX_BODY_HTML_BYTES: usize = 2 * 1024 * 1024;
/// Deepest nesting of HTML elements (or Markdown block quotes and lists) accepted. Real
/// pages stay under 40; parsers and sanitisers cost grows with depth × size, so this bound
/// keeps them linear in the input's size.
pub const MAX_NESTING: usize = 200;
/// Longest headline, in characters.
pub const MAX_TITLE_CHARS: usize = 300;
/// Longest storyline title, in characters (same as a headline).
pub const MAX_STORYLINE_TITLE_CHARS: usize = MAX_TITLE_CHARS;
/// Longest name: an author, a tag, an image credit, a topic as written, a kind or status word.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest status rationale, in characters.
pub const MAX_RATIONALE_CHARS: usize = 2000;
/// Longest lead as given by a source (it is then cut to a summary), in characters.
pub const MAX_LEAD_SOURCE_CHARS: usize = 20_000;
/// Longest forecast statement, in characters.
pub const MAX_STATEMENT_CHARS: usize = 1000;
/// Longest identifier (id, translation group, slug), in characters.
pub const MAX_KEY_CHARS: usize = 200;
/// Most entries in one list field (authors, tags, similar titles, forecasts).
pub const MAX_LIST_ITEMS: usize = 100;

/// Checks a text field's length in characters; the error says the limit and what was found.
pub fn check_chars(text: &str, max: usize) -> Result<(), String> {
    // Counting stops at the limit, so a 200 MB field costs no more than a short one.
    if text.chars().nth(max).is_some() {
        Err(format!(
            "too long: at most {max} characters, found {}",
            text.chars().count()
        ))
    } else {
        Ok(())
    }
}

/// Removes control characters (C0, DEL and C1), keeping newlines and tabs only where
/// `multiline` is set. An escaped NUL or ESC in a JSON title would otherwise reach pages,
/// feeds and terminals.
pub fn strip_controls(text: &str, multiline: bool) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    text.chars()
        .filter(|&c| !c.is_control() || (multiline && (c == '\n' || c == '\t')))
        .collect()
}

/// Text for a terminal: every control character (ESC, CR, BEL, C1 …) is shown as a visible
/// `\u{…}` escape, so content printed by the CLI cannot move the cursor, retitle the window
/// or hide lines.
pub fn terminal_safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn long_fields_are_named_with_their_limit() {
        assert!(check_chars("abc", 3).is_ok());
        let e = check_chars("abcd", 3).expect_err("too long");
        assert!(e.contains("at most 3") && e.contains("found 4"));
    }

    #[test]
    fn controls_are_removed_or_made_visible() {
        assert_eq!(strip_controls("a\u{0}b\u{1b}[31mc", false), "ab[31mc");
        assert_eq!(strip_controls("a\nb\tc\u{7f}", true), "a\nb\tc");
        assert_eq!(
            terminal_safe("x\u{1b}]0;pwned\u{7}y"),
            "x\\u{1b}]0;pwned\\u{7}y"
        );
    }

    proptest! {
        #[test]
        fn terminal_safe_leaves_no_control(s in "\\PC{0,20}[\\x00-\\x1f\\x7f-\\x9f]{0,5}") {
            prop_assert!(!terminal_safe(&s).chars().any(char::is_control));
            prop_assert!(!strip_controls(&s, false).chars().any(char::is_control));
        }
    }
}
