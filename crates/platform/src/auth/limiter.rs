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
        let mut hits = self.hits.lock().expect("limiter lock");
        // Bounded memory: forget finished windows once the map grows large.
        if hits.len() > 100_000 {
            let window = self.window_ms;
            hits.retain(|_, (start, _)| now - *start < window);
        }
        let e = hits.entry(key).or_insert((now, 0));
        if now - e.0 >= self.window_ms {
            *e = (now, 0);
        }
        e.1 += 1;
    }

    fn clear(&self, key: &str) {
        self.hits.lock().expect("limiter lock").remove(key);
    }
}

pub struct LoginLimiter {
    per_ip: u32,
    per_account_ip: u32,
    failures: Windows,
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
        }
    }

    /// May `ip` try to sign in as `username` now? Asking counts nothing.
    pub fn allow(&self, ip: &str, username: &str, now: i64) -> bool {
        self.failures.count(&ip_key(ip), now) < self.per_ip
            && self.failures.count(&account_key(username, ip), now) < self.per_account_ip
    }

    /// A wrong password from `ip` for `username`.
    pub fn failed(&self, ip: &str, username: &str, now: i64) {
        self.failures.bump(ip_key(ip), now);
        self.failures.bump(account_key(username, ip), now);
    }

    /// The owner got in: their own typos from this address are forgotten. The address's
    /// count stays, or a guesser could reset it by signing in to an account of their own.
    pub fn succeeded(&self, ip: &str, username: &str) {
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

    pub fn allow(&self, ip: &str, now: i64) -> bool {
        self.windows.count(ip, now) < self.limit
    }

    pub fn record(&self, ip: &str, now: i64) {
        self.windows.bump(ip.to_string(), now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successes_never_count() {
        let l = LoginLimiter::new(3, 3, 60);
        for _ in 0..100 {
            assert!(l.allow("1.1.1.1", "alice", 0));
            l.succeeded("1.1.1.1", "alice");
        }
    }

    #[test]
    fn guesses_block_the_guesser_not_the_owner_elsewhere() {
        let l = LoginLimiter::new(100, 3, 60);
        for _ in 0..3 {
            assert!(l.allow("6.6.6.6", "alice", 0));
            l.failed("6.6.6.6", "Alice", 0);
        }
        assert!(!l.allow("6.6.6.6", "alice", 10), "the guesser is slowed");
        assert!(
            l.allow("6.6.6.6", "bob", 10),
            "other accounts from there are not"
        );
        assert!(
            l.allow("2.2.2.2", "alice", 10),
            "the owner elsewhere is not"
        );
        assert!(l.allow("6.6.6.6", "alice", 60_001), "the window passes");
    }

    #[test]
    fn failures_per_address_across_accounts() {
        let l = LoginLimiter::new(2, 100, 60);
        l.failed("9.9.9.9", "a", 0);
        l.failed("9.9.9.9", "b", 0);
        assert!(!l.allow("9.9.9.9", "c", 0));
        assert!(l.allow("8.8.8.8", "c", 0));
    }

    #[test]
    fn success_forgets_own_typos_but_not_the_address_count() {
        let l = LoginLimiter::new(3, 2, 60);
        l.failed("1.1.1.1", "alice", 0);
        l.succeeded("1.1.1.1", "alice");
        l.failed("1.1.1.1", "alice", 0);
        assert!(l.allow("1.1.1.1", "alice", 0));
        l.failed("1.1.1.1", "mallory", 0);
        l.succeeded("1.1.1.1", "mallory");
        assert!(!l.allow("1.1.1.1", "anyone", 0));
    }

    #[test]
    fn rate_limit_per_address() {
        let r = RateLimit::new(2, 3600);
        r.record("1.1.1.1", 0);
        r.record("1.1.1.1", 0);
        assert!(!r.allow("1.1.1.1", 1));
        assert!(r.allow("2.2.2.2", 1));
        assert!(r.allow("1.1.1.1", 3_600_000));
    }
}
