//! JSON lines: one article per line, with the fields documented in the README. Each line is
//! its own item, so one broken line (even one with invalid UTF-8) rejects only that line.

use crate::fields::draft_from_map;
use crate::Parsed;
use serde_json::Value;

/// Parses every non-blank line of the file.
pub fn parse_bytes(bytes: &[u8]) -> Vec<Parsed> {
    let mut out = Vec::new();
    for (n, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = Some(n + 1);
        if raw.len() > trendwatch_core::limits::MAX_ITEM_BYTES {
            out.push(Parsed::err(
                line,
                format!(
                    "the line is {:.1} MiB: one article may be at most {} MiB",
                    raw.len() as f64 / 1048576.0,
                    trendwatch_core::limits::MAX_ITEM_BYTES >> 20
                ),
            ));
            continue;
        }
        let text = match std::str::from_utf8(raw) {
            Ok(t) => t.trim(),
            Err(e) => {
                out.push(Parsed::err(
                    line,
                    format!("invalid UTF-8 at column {}", e.valid_up_to() + 1),
                ));
                continue;
            }
        };
        if text.is_empty() {
            continue;
        }
        let text = text.trim_start_matches('\u{feff}');
        let result = match serde_json::from_str::<Value>(text) {
            Err(e) if e.is_eof() => Err(format!(
                "truncated JSON (line ends at column {})",
                e.column()
            )),
            Err(e) => Err(format!("invalid JSON: {e}")),
            Ok(Value::Object(map)) => draft_from_map(&map, None),
            Ok(_) => Err("expected a JSON object with the article's fields".to_string()),
        };
        out.push(Parsed { line, result });
    }
    if out.is_empty() {
        out.push(Parsed::err(None, "empty file"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_and_bad_lines() {
        let data = b"{\"title\":\"A\",\"topic\":\"security\",\"date\":\"2020-01-06\",\"body\":\"Hello *world*\"}\n\n{\"title\":\"B\",\n[1]\n{\"title\":\"C\",\"date\":\"yesterday\"}\n{\"title\":\"\xff\"}\n";
        let items = parse_bytes(data);
        assert_eq!(items.len(), 5);
        let a = items[0].result.as_ref().expect("line 1 valid");
        assert_eq!(a.body_html.trim(), "<p>Hello <em>world</em></p>");
        assert_eq!(items[1].line, Some(3));
        assert!(items[1]
            .result
            .as_ref()
            .is_err_and(|e| e.contains("truncated")));
        assert!(items[2]
            .result
            .as_ref()
            .is_err_and(|e| e.contains("JSON object")));
        assert!(items[3]
            .result
            .as_ref()
            .is_err_and(|e| e.contains("field `date`")));
        assert!(items[4].result.as_ref().is_err_and(|e| e.contains("UTF-8")));
    }
}
