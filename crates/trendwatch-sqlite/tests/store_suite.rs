//! The storage test suite every backend passes (`trendwatch-store-suite`), run on SQLite in
//! a temporary folder.

trendwatch_store_suite::store_suite!(|| async {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = trendwatch_sqlite::SqliteStore::open(dir.path()).expect("open");
    trendwatch_store_suite::Fixture::new(std::sync::Arc::new(store), dir)
});
