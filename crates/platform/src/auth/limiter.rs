//! Throttling of sign-ins and registrations by client address (fixed windows, in memory).
//! In a multi-node deployment each node counts on its own; see ADR 003.
//!
//! Only failed sign-ins count, per address and per (account, address): an office behind one
//! address can sign in all day, and someone guessing an account's password from one
//! address slows down only there; the owner signing in from elsewhere is never blocked.

use std::collections::HashMap;
use std::sync::Mutex;

/// Counts of events per key in fixed windows.
struct Windows {
    window_ms: i64,
    hits: Mutex<HashMap<String, (i64, u32)>>,
}

impl Windows {
    fn new(window_secs: u64) -> Windows {
        Windows {
            window_ms: window_secs as i64 * 1000,
            hits: Mutex::new(HashMap::new()),
        }
    }

    fn count(&self, key: &str, now: i64) -> u32 {
        let hits = self.hits.lock().expect("limiter lock");
        match hits.get(key) {
            Some((start, n)) if now - start < self.window_ms => *n,
            _ => 0,
        }
    }

    fn bump(&self, key: String, now: i64) {
        self.bump_below(key, u32::MAX, now);
    }

    /// Counts one event for `key` only if it has fewer than `limit` in its window.
    fn bump_below(&self, key: String, limit: u32, now: i64) -> bool {
        let window = self.window_ms;
        let mut hits = self.hits.lock().expect("limiter lock");
        // Bounded memory: forget finished windows once the map grows large.
        if hits.len() > 100_000 {
            hits.retain(|_, (start, _)| now - *start < window);
        }
        let e = hits.entry(key).or_insert((now, 0));
        if now - e.0 >= window {
            *e = (now, 0);
        }
        let below = e.1 < limit;
        if below {
            e.1 += 1;
        }
        below
    }

    fn unbump(&self, key: &str) {
        if let Some(e) = self.hits.lock().expect("limiter lock").get_mut(key) {
            e.1 = e.1.saturating_sub(1);
        }
    }

    fn clear(&self, key: &str) {
        self.hits.lock().expect("limiter lock").remove(key);
    }
}

pub struct LoginLimiter {
    per_ip: u32,
    per_account_ip: u32,
    failures: Windows,
    attempts: Mutex<()>,
}

fn account_key(username: &str, ip: &str) -> String {
    format!("acct:{}@{ip}", username.trim().to_lowercase())
}

fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

impl LoginLimiter {
    /// `per_ip` failures from one address, `per_account_ip` failures for one account from
    /// one address, within `window_secs`.
    pub fn new(per_ip: u32, per_account_ip: u32, window_secs: u64) -> LoginLimiter {
        LoginLimiter {
            per_ip,
            per_account_ip,
            failures: Windows::new(window_secs),
            attempts: Mutex::new(()),
        }
    }

    /// May `ip` try a password for `username` now? The attempt is counted as a failure
    /// at once — so a guesser cannot slip many attempts through in parallel while the slow
    /// password checks run — and given back by [`LoginLimiter::succeeded`].
    pub fn try_attempt(&self, ip: &str, username: &str, now: i64) -> bool {
        // One lock for both checks and both counts, so parallel attempts cannot interleave.
        let _guard = self.attempts.lock().expect("limiter lock");
        let (ip_key, account_key) = (ip_key(ip), account_key(username, ip));
        let allowed = self.failures.count(&ip_key, now) < self.per_ip
            && self.failures.count(&account_key, now) < self.per_account_ip;
        if allowed {
            self.failures.bump(ip_key, now);
            self.failures.bump(account_key, now);
        }
        allowed
    }

    /// The password was right: the attempt is given back to the address, and the owner's
    /// own earlier typos from there are forgotten. Only this attempt is given back, or a
    /// guesser could reset the address's count by signing in to an account of their own.
    pub fn succeeded(&self, ip: &str, username: &str) {
        self.failures.unbump(&ip_key(ip));
        self.failures.clear(&account_key(username, ip));
    }
}

/// At most `limit` events per address within a window (e.g. registrations).
pub struct RateLimit {
    limit: u32,
    windows: Windows,
}

impl RateLimit {
    pub fn new(limit: u32, window_secs: u64) -> RateLimit {
        RateLimit {
            limit,
            windows: Windows::new(window_secs),
        }
    }

    /// Takes one event from the address's allowance; false (and nothing taken) when spent.
    pub fn try_take(&self, ip: &str, now: i64) -> bool {
        self.windows.bump_below(ip.to_string(), self.limit, now)
    }

    /// Gives back an event that did not happen after all (e.g. a refused registration).
    pub fn give_back(&self, ip: &str) {
        self.windows.unbump(ip);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successes_never_count() {
        let l = LoginLimiter::new(3, 3, 60);
        for _ in 0..100 {
            assert!(l.try_attempt("1.1.1.1", "alice", 0));
            l.succeeded("1.1.1.1", "alice");
        }
    }

    #[test]
    fn guesses_block_the_guesser_not_the_owner_elsewhere() {
        let l = LoginLimiter::new(100, 3, 60);
        for _ in 0..3 {
            assert!(l.try_attempt("6.6.6.6", "Alice", 0));
        }
        assert!(
            !l.try_attempt("6.6.6.6", "alice", 10),
            "the guesser is slowed"
        );
        assert!(
            l.try_attempt("6.6.6.6", "bob", 10),
            "other accounts from there are not"
        );
        assert!(
            l.try_attempt("2.2.2.2", "alice", 10),
            "the owner elsewhere is not"
        );
        assert!(
            l.try_attempt("6.6.6.6", "alice", 60_001),
            "the window passes"
        );
    }

    #[test]
    fn attempts_in_flight_count_at_once() {
        // Three parallel guesses may start; a fourth may not, before any of them ends.
        let l = LoginLimiter::new(100, 3, 60);
        let started = (0..10)
            .filter(|_| l.try_attempt("6.6.6.6", "alice", 0))
            .count();
        assert_eq!(started, 3);
    }

    #[test]
    fn failures_per_address_across_accounts() {
        let l = LoginLimiter::new(2, 100, 60);
        assert!(l.try_attempt("9.9.9.9", "a", 0));
        assert!(l.try_attempt("9.9.9.9", "b", 0));
        assert!(!l.try_attempt("9.9.9.9", "c", 0));
        assert!(l.try_attempt("8.8.8.8", "c", 0));
    }

    #[test]
    fn success_forgets_own_typos_but_not_the_address_count() {
        let l = LoginLimiter::new(3, 2, 60);
        assert!(l.try_attempt("1.1.1.1", "alice", 0)); // a typo
        assert!(l.try_attempt("1.1.1.1", "alice", 0));
        l.succeeded("1.1.1.1", "alice");
        assert!(l.try_attempt("1.1.1.1", "alice", 0)); // typos forgotten: 1 of 2
        assert!(l.try_attempt("1.1.1.1", "mallory", 0));
        l.succeeded("1.1.1.1", "mallory");
        // The address has three failures: alice's typo, alice's new one, and one more.
        assert!(l.try_attempt("1.1.1.1", "bob", 0));
        assert!(!l.try_attempt("1.1.1.1", "anyone", 0));
    }

    #[test]
    fn rate_limit_per_address() {
        let r = RateLimit::new(2, 3600);
        assert!(r.try_take("1.1.1.1", 0));
        assert!(r.try_take("1.1.1.1", 0));
        assert!(!r.try_take("1.1.1.1", 1));
        assert!(r.try_take("2.2.2.2", 1));
        r.give_back("1.1.1.1");
        assert!(r.try_take("1.1.1.1", 1));
        assert!(r.try_take("1.1.1.1", 3_600_000), "a new window");
    }
}
