//! Throttling of failed authentications by client address or by account: after a few
//! failures in a row, each further attempt must wait, and the wait doubles with every failure
//! (capped). It guards the API token (by address) and desk logins (by address and by
//! account).
//!
//! Kept in memory: a restart forgives everyone, which is acceptable for a throttle (the goal
//! is to make guessing take centuries, not to keep a record). The table is bounded: when it
//! is full, entries whose wait is over are dropped, and if none are, the oldest half goes.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

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
#[derive(Debug)]
pub struct Throttle<K = IpAddr> {
    entries: Mutex<HashMap<K, Entry>>,
    /// Quiet time after which the count starts again (none: only a success forgives).
    forgive_after: Option<Duration>,
}

impl<K> Default for Throttle<K> {
    fn default() -> Self {
        Throttle {
            entries: Mutex::new(HashMap::new()),
            forgive_after: None,
        }
    }
}

impl<K> Throttle<K> {
    /// A throttle of requests that are not failures (subscriptions): the count starts
    /// again after `quiet` without one, so that a reader coming back next month is not
    /// still waiting for last month's requests.
    pub fn forgiving(quiet: Duration) -> Self {
        Throttle {
            entries: Mutex::new(HashMap::new()),
            forgive_after: Some(quiet),
        }
    }
}

impl<K: Hash + Eq + Clone> Throttle<K> {
    /// `Err(wait)` when `client` must wait before trying again.
    pub fn check(&self, client: &K, now: Instant) -> Result<(), Duration> {
        let entries = self.entries.lock().map_err(|_| MAX_WAIT)?;
        match entries.get(client) {
            Some(e) if e.blocked_until > now => Err(e.blocked_until - now),
            _ => Ok(()),
        }
    }

    /// Records a failure; returns the failures so far from `client`.
    pub fn fail(&self, client: &K, now: Instant) -> u32 {
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
        if e.failures >= FREE_FAILURES {
            let doublings = (e.failures - FREE_FAILURES).min(20);
            let wait = FIRST_WAIT.saturating_mul(1 << doublings).min(MAX_WAIT);
            e.blocked_until = now + wait;
        }
        e.failures
    }

    /// Forgets `client`'s failures after a success.
    pub fn succeed(&self, client: &K) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(client);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
