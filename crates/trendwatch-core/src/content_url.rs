//! The one rule for URLs that come from content (an article's source, its image, links and
//! images inside bodies): only `http`, `https` and paths on this site are allowed.
//!
//! Every other form is refused, because each has been used to run script or to load from a
//! place the reader did not choose: `javascript:` and `data:` URLs run or embed code when
//! followed, `vbscript:` likewise in old browsers, and a protocol-relative `//host/x` (or its
//! backslash spellings, which browsers normalise to slashes) silently points at another
//! host. The sanitiser, the import checks and the templates all call [`check`], so there is
//! one place to read and test.

/// Why a URL from content was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{url:?} is not allowed: {reason}")]
pub struct UrlRefused {
    /// The URL as given (cut to 200 characters).
    pub url: String,
    /// What was wrong and what is expected.
    pub reason: &'static str,
}

/// Longest URL accepted from content, in bytes (browsers and servers commonly stop at 2–8 KB).
pub const MAX_URL_BYTES: usize = 2048;

const EXPECTED: &str = "expected an http:// or https:// URL or a path on this site (/…)";

/// Checks a URL from content and returns it trimmed. Accepted: `http://host…`,
/// `https://host…` (scheme in any case), a site path starting with one `/`, and a fragment
/// `#…` (a link within the page). Refused: any other scheme, protocol-relative URLs, and any
/// URL holding whitespace or control characters (browsers strip those, which is how
/// `java\tscript:` slips past naive checks).
pub fn check(url: &str) -> Result<&str, UrlRefused> {
    let u = url.trim();
    let refuse = |reason| UrlRefused {
        url: u.chars().take(200).collect(),
        reason,
    };
    if u.is_empty() {
        return Err(refuse("it is empty"));
    }
    if u.len() > MAX_URL_BYTES {
        return Err(refuse("it is longer than 2048 bytes"));
    }
    if u.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(refuse(
            "it contains spaces or control characters (encode them as %20 …)",
        ));
    }
    if u.starts_with('#') {
        return Ok(u);
    }
    if let Some(rest) = u.strip_prefix('/') {
        if rest.starts_with('/') || rest.starts_with('\\') {
            return Err(refuse(
                "a protocol-relative URL (//host) points at another site; write https://host",
            ));
        }
        return Ok(u);
    }
    if u.starts_with('\\') {
        return Err(refuse(EXPECTED));
    }
    let lower: String = u.chars().take(8).collect::<String>().to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &u[8..]
    } else if lower.starts_with("http://") {
        &u[7..]
    } else {
        return Err(refuse(EXPECTED));
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.contains('\\') {
        return Err(refuse("it names no host after the scheme"));
    }
    Ok(u)
}

/// `Some(url)` when [`check`] accepts it; for templates and the sanitiser, which drop a
/// refused URL rather than fail.
pub fn allowed(url: &str) -> Option<&str> {
    check(url).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_http_https_and_site_paths() {
        for ok in [
            "https://example.org/a.jpg",
            "HTTP://Example.org",
            "http://example.org:8080/x?q=1#f",
            "/static/a.png",
            "/en/articles/x",
            "#section-2",
            "  https://example.org/padded  ",
        ] {
            assert!(check(ok).is_ok(), "{ok} should be accepted");
        }
    }

    #[test]
    fn refuses_script_data_and_protocol_relative_urls() {
        for bad in [
            "javascript:alert(document.domain)",
            "JavaScript:alert(1)",
            "java\tscript:alert(1)",
            " javascript:alert(1)",
            "data:text/html;base64,PHNjcmlwdD4=",
            "data:image/png;base64,iVBOR",
            "vbscript:msgbox(1)",
            "//evil.example/x.png",
            "/\\evil.example/x.png",
            "\\\\evil.example\\x.png",
            "https:///path-only",
            "https://\\evil",
            "mailto:a@b.c",
            "ftp://example.org/file",
            "relative/path.png",
            "",
            "https://example.org/\u{0}x",
        ] {
            assert!(check(bad).is_err(), "{bad:?} should be refused");
        }
    }

    proptest! {
        /// Whatever is accepted starts with http(s)://, one slash, or #: no other scheme can
        /// ever get through, however it is spelled.
        #[test]
        fn accepted_urls_have_an_allowed_start(s in "\\PC{0,40}") {
            if let Ok(u) = check(&s) {
                let l = u.to_ascii_lowercase();
                prop_assert!(
                    l.starts_with("http://") || l.starts_with("https://")
                        || (l.starts_with('/') && !l.starts_with("//"))
                        || l.starts_with('#')
                );
            }
        }
    }
}
