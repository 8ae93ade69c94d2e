//! JSON lines, bytes as they come (invalid UTF-8 included), and format detection.
#![no_main]
use libfuzzer_sys::fuzz_target;
#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    common::check(trendwatch_import::jsonl::parse_bytes(data));
    common::check(trendwatch_import::parse_file(
        std::path::Path::new("x.txt"),
        data,
    ));
});
