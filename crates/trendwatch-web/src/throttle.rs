//! Throttling of failed authentications by client address or by account: after a few
//! failures in a row, each further attempt must wait, and the wait doubles with every failure
//! (capped). It guards the API token (by address) and desk logins (by address and by
//! account).
//!
//! Kept in memory, so that a check costs no database read. The table is bounded: when it is
//! full, entries whose wait is over are dropped, and if none are, the oldest half goes.
//!
//! Shared by the web nodes of one site ([`Throttle::shared_through`]): each failure and
//! success is also written to the store, and every node follows the store's rows
//! ([`Throttle::follow`], once a second), so a client spreading its guesses over several
//! nodes is counted once, within a second. The store's count is the total of all nodes; a
//! node's own newer count stands until the store has it.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use trendwatch_store::{Store, StoreError, ThrottleRow};

/// Failures allowed before waits start.
pub const FREE_FAILURES: u32 = 5;
/// The first wait; each later failure doubles it.
pub const FIRST_WAIT: Duration = Duration::from_secs(1);
/// The longest wait.
pub const MAX_WAIT: Duration = Duration::from_secs(15 * 60);
/// Most addresses remembered.
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    blocked_until: Instant,
    last: Instant,
}

/// Failure counts by key: a client address by default, or an account's name.
pub struct Throttle<K = IpAddr> {
    entries: Mutex<HashMap<K, Entry>>,
    /// Quiet time after which the count starts again (none: only a success forgives).
    forgive_after: Option<Duration>,
    /// The store the other nodes share it through, and this throttle's name there.
    shared: Option<(&'static str, Arc<dyn Store>)>,
}

impl<K> std::fmt::Debug for Throttle<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Throttle")
            .field("forgive_after", &self.forgive_after)
            .field("scope", &self.shared.as_ref().map(|(scope, _)| *scope))
            .finish_non_exhaustive()
    }
}

impl<K> Default for Throttle<K> {
    fn default() -> Self {
        Throttle {
            entries: Mutex::new(HashMap::new()),
            forgive_after: None,
            shared: None,
        }
    }
}

impl<K> Throttle<K> {
    /// A throttle of requests that are not failures (subscriptions): the count starts
    /// again after `quiet` without one, so that a reader coming back next month is not
    /// still waiting for last month's requests.
    pub fn forgiving(quiet: Duration) -> Self {
        Throttle {
            forgive_after: Some(quiet),
            ..Throttle::default()
        }
    }

    /// The same throttle, shared with every node on `store` under the name `scope`.
    pub fn shared_through(mut self, scope: &'static str, store: Arc<dyn Store>) -> Self {
        self.shared = Some((scope, store));
        self
    }

    /// Its name in the store, when shared.
    pub fn scope(&self) -> Option<&'static str> {
        self.shared.as_ref().map(|(scope, _)| *scope)
    }
}

/// Until when `failures` in a row, the last at `last`, make a client wait.
fn blocked_until(failures: u32, last: Instant) -> Instant {
    if failures >= FREE_FAILURES {
        let doublings = (failures - FREE_FAILURES).min(20);
        last + FIRST_WAIT.saturating_mul(1 << doublings).min(MAX_WAIT)
    } else {
        last
    }
}

/// How far apart a node's own count and the store's may be and still be taken for the same
/// moment (the two clocks are read microseconds apart for the same failure).
const OWN_WRITE_LEEWAY: Duration = Duration::from_millis(50);

impl<K: Hash + Eq + Clone + ToString + FromStr> Throttle<K> {
    /// `Err(wait)` when `client` must wait before trying again.
    pub fn check(&self, client: &K, now: Instant) -> Result<(), Duration> {
        let entries = self.entries.lock().map_err(|_| MAX_WAIT)?;
        match entries.get(client) {
            Some(e) if e.blocked_until > now => Err(e.blocked_until - now),
            _ => Ok(()),
        }
    }

    /// Records a failure; returns the failures so far from `client`. When shared, the
    /// store's count follows off the request's path (see [`Throttle::fail_shared`]).
    pub fn fail(&self, client: &K, now: Instant) -> u32 {
        let failures = self.count_failure(client, now);
        if let Some(write) = self.share_failure(client) {
            spawn_shared(async move { write.await.map(|_| ()) });
        }
        failures
    }

    /// The store's count of one more failure of `client`, to await or to spawn; `None`
    /// when the throttle is not shared.
    fn share_failure(
        &self,
        client: &K,
    ) -> Option<impl std::future::Future<Output = Result<u32, StoreError>> + Send + 'static> {
        let (scope, store) = self.shared.clone()?;
        let (key, forgive) = (client.to_string(), self.forgive_after);
        Some(async move {
            store
                .throttle_failure(scope, &key, OffsetDateTime::now_utc(), forgive)
                .await
        })
    }

    /// Forgets `client`'s failures in memory; when it had any and the throttle is shared,
    /// the store's reset to await or to spawn (a client without failures costs no write).
    fn forget(
        &self,
        client: &K,
    ) -> Option<impl std::future::Future<Output = Result<(), StoreError>> + Send + 'static> {
        let had_failures = self
            .entries
            .lock()
            .map(|mut entries| entries.remove(client).is_some())
            .unwrap_or(true);
        let (scope, store) = self.shared.clone().filter(|_| had_failures)?;
        let key = client.to_string();
        Some(async move {
            store
                .throttle_success(scope, &key, OffsetDateTime::now_utc())
                .await
        })
    }

    /// Counts a failure in memory; returns the failures so far from `client`.
    fn count_failure(&self, client: &K, now: Instant) -> u32 {
        let Ok(mut entries) = self.entries.lock() else {
            return u32::MAX;
        };
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(client) {
            entries.retain(|_, e| e.blocked_until > now);
            if entries.len() >= MAX_ENTRIES {
                let mut lasts: Vec<Instant> = entries.values().map(|e| e.last).collect();
                lasts.sort_unstable();
                let cut = lasts[lasts.len() / 2];
                entries.retain(|_, e| e.last > cut);
            }
        }
        let e = entries.entry(client.clone()).or_insert(Entry {
            failures: 0,
            blocked_until: now,
            last: now,
        });
        if self
            .forgive_after
            .is_some_and(|quiet| now.saturating_duration_since(e.last) >= quiet)
        {
            e.failures = 0;
        }
        e.failures = e.failures.saturating_add(1);
        e.last = now;
        e.blocked_until = blocked_until(e.failures, now);
        e.failures
    }

    /// Forgets `client`'s failures after a success.
    pub fn succeed(&self, client: &K) {
        if let Some(write) = self.forget(client) {
            spawn_shared(write);
        }
    }

    /// [`Throttle::check`], after taking the store's count of `client`: for password and
    /// token attempts, where no node may lag behind another. A store that cannot be read
    /// leaves this node's own count.
    pub async fn check_shared(&self, client: &K, now: Instant) -> Result<(), Duration> {
        if let Some((scope, store)) = &self.shared {
            match store.throttle_row(scope, &client.to_string()).await {
                Ok(Some(row)) => self.follow(&[row], Instant::now(), OffsetDateTime::now_utc()),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "a throttle's shared count was not read"),
            }
        }
        self.check(client, now)
    }

    /// [`Throttle::fail`], with the store's count written before it returns, so that the
    /// client's next attempt meets it on every node.
    pub async fn fail_shared(&self, client: &K, now: Instant) -> u32 {
        let failures = self.count_failure(client, now);
        let Some(write) = self.share_failure(client) else {
            return failures;
        };
        match write.await {
            // The count of all nodes, which may be more than this node's own.
            Ok(shared) => {
                self.follow_count(client, shared, now);
                failures.max(shared)
            }
            Err(e) => {
                tracing::warn!(error = %e, "a throttle's count was not shared with the other nodes");
                failures
            }
        }
    }

    /// [`Throttle::succeed`], with the store's count reset before it returns. Only a
    /// client with failures on record costs a write: the first success after them.
    pub async fn succeed_shared(&self, client: &K) {
        if let Some(write) = self.forget(client) {
            if let Err(e) = write.await {
                tracing::warn!(error = %e, "a throttle's success was not shared with the other nodes");
            }
        }
    }

    /// Raises `client`'s count to `failures` (the store's total) as of `now`.
    fn follow_count(&self, client: &K, failures: u32, now: Instant) {
        if let Ok(mut entries) = self.entries.lock() {
            if let Some(e) = entries.get_mut(client) {
                if failures > e.failures {
                    e.failures = failures;
                    e.blocked_until = blocked_until(failures, now);
                }
            }
        }
    }

    /// Takes the counts the store holds for this throttle (other nodes' failures and
    /// successes, and this node's own once written); `now` and `wall` are the same moment
    /// on the two clocks.
    pub fn follow(&self, rows: &[ThrottleRow], now: Instant, wall: OffsetDateTime) {
        let Some(scope) = self.scope() else {
            return;
        };
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        for row in rows.iter().filter(|r| r.scope == scope) {
            let Ok(key) = row.key.parse::<K>() else {
                continue;
            };
            let age = (wall - row.last).max(time::Duration::ZERO).unsigned_abs();
            let last = now.checked_sub(age).unwrap_or(now);
            let local = entries.get(&key).copied();
            // A count of this node's that is as new as the store's, or newer, may hold
            // failures whose writes are still on the way: the larger count holds. An older
            // one gives way to the store's (a success elsewhere, or more failures).
            let merged = match local {
                Some(e) if row.failures == 0 && e.last > last + OWN_WRITE_LEEWAY => continue,
                _ if row.failures == 0 => None,
                Some(e) if e.last + OWN_WRITE_LEEWAY >= last => {
                    Some((e.failures.max(row.failures), e.last.max(last)))
                }
                _ => Some((row.failures, last)),
            };
            match merged {
                None => {
                    entries.remove(&key);
                }
                Some((failures, last))
                    if entries.len() < MAX_ENTRIES || entries.contains_key(&key) =>
                {
                    entries.insert(
                        key,
                        Entry {
                            failures,
                            blocked_until: blocked_until(failures, last),
                            last,
                        },
                    );
                }
                Some(_) => {}
            }
        }
    }
}

/// Writes a throttle's change to the store off the request's path; a failure to write costs
/// only the sharing, so it is logged and the request goes on.
fn spawn_shared(
    write: impl std::future::Future<Output = Result<(), trendwatch_store::StoreError>> + Send + 'static,
) {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(async move {
            if let Err(e) = write.await {
                tracing::warn!(error = %e, "a throttle's count was not shared with the other nodes");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The store's count for `key` in `scope`, once it is `failures` (the writes are made off
    /// the request's path), at most 10 s.
    async fn store_reaches(store: &Arc<dyn Store>, scope: &str, key: &str, failures: u32) {
        let started = Instant::now();
        loop {
            let rows = store
                .throttle_changes(OffsetDateTime::UNIX_EPOCH)
                .await
                .expect("changes");
            if rows
                .iter()
                .any(|r| r.scope == scope && r.key == key && r.failures == failures)
            {
                return;
            }
            assert!(started.elapsed() < Duration::from_secs(10), "{rows:?}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    #[tokio::test]
    async fn failures_on_one_node_make_another_wait_and_a_success_frees_both() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store: Arc<dyn Store> =
            Arc::new(trendwatch_sqlite::SqliteStore::open(dir.path()).expect("store"));
        let node_a: Throttle = Throttle::default().shared_through("login", store.clone());
        let node_b: Throttle = Throttle::default().shared_through("login", store.clone());
        let ip: IpAddr = [192, 0, 2, 7].into();
        for _ in 0..FREE_FAILURES {
            node_a.fail(&ip, Instant::now());
        }
        assert!(node_a.check(&ip, Instant::now()).is_err());
        assert!(
            node_b.check(&ip, Instant::now()).is_ok(),
            "not yet followed"
        );
        store_reaches(&store, "login", &ip.to_string(), FREE_FAILURES).await;
        let read_rows = || {
            let store = store.clone();
            let (now, wall) = (Instant::now(), OffsetDateTime::now_utc());
            async move {
                let rows = store
                    .throttle_changes(wall - time::Duration::minutes(1))
                    .await
                    .expect("changes");
                (rows, now, wall)
            }
        };
        let (rows, now, wall) = read_rows().await;
        node_b.follow(&rows, now, wall);
        let wait = node_b
            .check(&ip, Instant::now())
            .expect_err("node B makes it wait");
        assert!(wait <= FIRST_WAIT, "{wait:?}");
        // One more failure on B: the count goes on from A's, and both wait longer.
        node_b.fail(&ip, Instant::now());
        store_reaches(&store, "login", &ip.to_string(), FREE_FAILURES + 1).await;
        let (rows, now, wall) = read_rows().await;
        node_a.follow(&rows, now, wall);
        let wait = node_a.check(&ip, Instant::now()).expect_err("waits");
        assert!(wait > FIRST_WAIT, "{wait:?}");
        // A success on A frees the client on B too.
        node_a.succeed(&ip);
        store_reaches(&store, "login", &ip.to_string(), 0).await;
        let (rows, now, wall) = read_rows().await;
        node_b.follow(&rows, now, wall);
        assert!(node_b.check(&ip, Instant::now()).is_ok());
        // Another throttle's rows are not this one's.
        let other: Throttle = Throttle::default().shared_through("api", store.clone());
        for _ in 0..FREE_FAILURES {
            node_a.fail(&ip, Instant::now());
        }
        store_reaches(&store, "login", &ip.to_string(), FREE_FAILURES).await;
        let (rows, now, wall) = read_rows().await;
        other.follow(&rows, now, wall);
        assert!(other.check(&ip, Instant::now()).is_ok());
    }

    #[test]
    fn a_newer_count_of_its_own_stands_against_an_older_one_in_the_store() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store: Arc<dyn Store> =
            Arc::new(trendwatch_sqlite::SqliteStore::open(dir.path()).expect("store"));
        // No runtime here: nothing is written, only followed.
        let node: Throttle<String> = Throttle::default().shared_through("login", store);
        let key = "ana@example.org".to_string();
        let (now, wall) = (Instant::now(), OffsetDateTime::now_utc());
        for _ in 0..FREE_FAILURES {
            node.fail(&key, now);
        }
        // The store has two of them so far, from a second ago.
        let row = ThrottleRow {
            scope: "login".into(),
            key: key.clone(),
            failures: 2,
            last: wall - time::Duration::seconds(1),
        };
        node.follow(std::slice::from_ref(&row), now, wall);
        assert!(node.check(&key, now).is_err(), "still five, still waiting");
        // A success elsewhere, newer than this node's failures, frees it.
        let freed = ThrottleRow {
            failures: 0,
            last: wall + time::Duration::seconds(1),
            ..row
        };
        let later = now + Duration::from_secs(1);
        node.follow(&[freed], later, wall + time::Duration::seconds(1));
        assert!(node.check(&key, later).is_ok());
    }

    #[test]
    fn waits_start_after_the_free_failures_and_double() {
        let t: Throttle = Throttle::default();
        let ip: IpAddr = [192, 0, 2, 1].into();
        let now = Instant::now();
        for _ in 1..FREE_FAILURES {
            t.fail(&ip, now);
            assert!(t.check(&ip, now).is_ok());
        }
        t.fail(&ip, now);
        assert_eq!(t.check(&ip, now), Err(FIRST_WAIT));
        t.fail(&ip, now);
        assert_eq!(t.check(&ip, now), Err(FIRST_WAIT * 2));
        assert!(t.check(&ip, now + FIRST_WAIT * 2).is_ok());
        // Another address is not affected; a success forgives.
        assert!(t.check(&[192, 0, 2, 2].into(), now).is_ok());
        t.succeed(&ip);
        assert!(t.check(&ip, now).is_ok());
        for _ in 0..100 {
            t.fail(&ip, now);
        }
        assert_eq!(t.check(&ip, now), Err(MAX_WAIT));
    }

    #[test]
    fn a_forgiving_throttle_starts_again_after_a_quiet_time() {
        let t: Throttle = Throttle::forgiving(Duration::from_secs(3600));
        let ip: IpAddr = [192, 0, 2, 1].into();
        let now = Instant::now();
        for _ in 0..FREE_FAILURES + 2 {
            t.fail(&ip, now);
        }
        assert!(t.check(&ip, now).is_err());
        let later = now + Duration::from_secs(3600);
        assert_eq!(t.fail(&ip, later), 1);
        assert!(t.check(&ip, later).is_ok());
    }
}
