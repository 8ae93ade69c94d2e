//! The test suite every storage backend must pass, written against [`Store`] alone: what
//! one backend guarantees (atomic article writes, the archive's rules, storylines, similar
//! lists, forecasts, generations), every backend guarantees.
//!
//! A backend's test file runs all of it with one line, giving a function that opens a fresh,
//! empty store:
//!
//! ```text
//! trendwatch_store_suite::store_suite!(|| async {
//!     let dir = tempfile::tempdir().expect("tempdir");
//!     let store = trendwatch_sqlite::SqliteStore::open(dir.path()).expect("open");
//!     trendwatch_store_suite::Fixture::new(std::sync::Arc::new(store), dir)
//! });
//! ```
//!
//! Each case becomes a test of its own name in that file. The cases panic on failure, as
//! tests do; they are not meant for anything but tests.

pub mod cases;

use std::sync::Arc;
use trendwatch_store::Store;

/// A fresh store, with whatever must live as long as it (a temporary folder, a throwaway
/// database).
pub struct Fixture {
    /// The store under test.
    pub store: Arc<dyn Store>,
    _keep: Box<dyn Send + Sync>,
}

impl Fixture {
    /// A fixture of `store`, keeping `keep` alive while it is used.
    pub fn new(store: Arc<dyn Store>, keep: impl Send + Sync + 'static) -> Fixture {
        Fixture {
            store,
            _keep: Box::new(keep),
        }
    }
}

/// Expands to one `#[tokio::test]` per case of [`cases`], each on a fresh store made by
/// `$fresh` (a function returning a future of a [`Fixture`], or of an `Option<Fixture>` that
/// is `None` when the backend is not available here: the case then returns at once, and
/// `$fresh` says on stderr that it was skipped). The calling crate needs
/// `tokio` (with `macros` and `rt-multi-thread`) among its dev-dependencies.
#[macro_export]
macro_rules! store_suite {
    ($fresh:expr) => {
        $crate::store_suite!(@cases $fresh;
            an_article_reads_back_as_written,
            a_rejected_article_leaves_nothing_behind_and_its_batch_survives,
            one_weekly_commentary_per_topic_week_and_language,
            rewriting_by_key_replaces_the_article_and_its_lists,
            repeated_headlines_get_dated_slugs,
            a_batch_sees_its_own_earlier_articles,
            writes_advance_the_generations,
            listings_and_weeks_follow_the_archive,
            storylines_are_assigned_edited_and_summarised,
            similar_lists_and_overrides_round_trip,
            an_article_page_reads_what_its_parts_read,
            forecasts_are_listed_and_resolved,
            accounts_and_sessions_round_trip,
            invitations_are_accepted_once,
            the_audit_log_reads_back_newest_first,
            throttles_count_forgive_and_are_followed,
            a_job_lock_is_held_in_one_place_until_released,
            desk_saves_make_revisions_and_stale_saves_are_refused,
            desk_states_schedules_and_locks,
            removed_articles_leave_the_archive,
            text_changes_name_what_each_generation_changed,
            subscriptions_and_the_digest_queue
        );
    };
    (@cases $fresh:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let fixture: Option<$crate::Fixture> = ($fresh)().await.into();
                let Some(fixture) = fixture else {
                    return;
                };
                $crate::cases::$case(fixture.store.clone()).await;
            }
        )*
    };
}
