//! The sample archive bundled with the binary: commentaries about the fictional Republic of
//! Arvenia, written for Trendwatch and labelled as sample data on every page of the demo.

use include_dir::{include_dir, Dir};
use std::path::{Path, PathBuf};

static SAMPLE: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/sample");

/// The notice shown on every page while the sample archive is loaded.
pub const NOTICE_EN: &str = "Sample data: the Republic of Arvenia and everything reported about \
    it here are fictional, written to demonstrate Trendwatch.";
/// Russian notice.
pub const NOTICE_RU: &str = "Демонстрационные данные: Республика Арвения и всё, что о ней \
    здесь написано, вымышлены для демонстрации Trendwatch.";

/// Writes the sample archive under `dir` and returns the folder to import.
pub fn extract(dir: &Path) -> anyhow::Result<PathBuf> {
    let root = dir.join("sample-archive");
    std::fs::create_dir_all(&root)?;
    SAMPLE.extract(&root)?;
    Ok(root)
}
