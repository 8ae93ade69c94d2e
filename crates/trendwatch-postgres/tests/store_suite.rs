//! The storage test suite every backend passes (`trendwatch-store-suite`), run on
//! PostgreSQL: each case in a throwaway database of the cluster named by
//! `TRENDWATCH_TEST_DATABASE_URL`, and reported skipped when that is not set.

use trendwatch_postgres::testing::ThrowawayDatabase;
use trendwatch_postgres::{PgOptions, PgStore};

trendwatch_store_suite::store_suite!(|| async {
    let db = ThrowawayDatabase::create("store suite").await?;
    let store = PgStore::connect(&PgOptions::new(db.url.clone()))
        .await
        .expect("connect");
    Some(trendwatch_store_suite::Fixture::new(
        std::sync::Arc::new(store),
        db,
    ))
});
