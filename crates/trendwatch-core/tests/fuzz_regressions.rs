//! Inputs that `scripts/fuzz` found to break a promise, kept as regression tests. Each file
//! in `tests/fixtures/` named `fuzz-<target>-*` is the input as the fuzzer saved it.

use trendwatch_core::sanitize::sanitize_html;

#[test]
fn c1_fuzz_sanitize_inputs_are_sanitised_idempotently() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("fixtures folder") {
        let path = entry.expect("entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !name.starts_with("fuzz-sanitize-") {
            continue;
        }
        let bytes = std::fs::read(&path).expect("read");
        let html = String::from_utf8_lossy(&bytes);
        let once = sanitize_html(&html);
        assert_eq!(sanitize_html(&once), once, "{name}");
        assert!(!once.to_ascii_lowercase().contains("<script"), "{name}");
        seen += 1;
    }
    assert!(seen > 0, "no fuzz inputs found in {}", dir.display());
}
