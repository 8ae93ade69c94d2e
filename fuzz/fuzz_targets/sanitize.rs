//! The sanitiser never panics, is idempotent, and lets no URL through but http(s), site
//! paths and fragments.
#![no_main]
use libfuzzer_sys::fuzz_target;
use trendwatch_core::sanitize::{check_nesting, sanitize_html};

fuzz_target!(|data: &[u8]| {
    let Ok(html) = std::str::from_utf8(data) else {
        return;
    };
    // As in `ArticleDraft::prepare`: depth is bounded before the sanitiser runs.
    if check_nesting(html).is_err() {
        return;
    }
    let once = sanitize_html(html);
    assert_eq!(
        sanitize_html(&once),
        once,
        "sanitising twice changed the output"
    );
    let lower = once.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "a script survived");
    assert!(!lower.contains("javascript:"), "a javascript: URL survived");
});
