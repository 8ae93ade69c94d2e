//! Markdown with YAML or TOML front matter.
#![no_main]
use libfuzzer_sys::fuzz_target;
#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let path = std::path::Path::new("content/security/post.ru.md");
        common::check(trendwatch_import::markdown::parse(path, text));
    }
});
