//! Login throttling per client address and per account (fixed windows, in memory).
//! In a multi-node deployment each node counts on its own; see ADR 003.

use std::collections::HashMap;
use std::sync::Mutex;

pub struct LoginLimiter {
    per_ip: u32,
    per_account: u32,
    window_ms: i64,
    hits: Mutex<HashMap<String, (i64, u32)>>,
}

impl LoginLimiter {
    pub fn new(per_ip: u32, per_account: u32, window_secs: u64) -> LoginLimiter {
        LoginLimiter {
            per_ip,
            per_account,
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

    /// Counts an attempt from `ip`; false when the address or the account is over its limit.
    pub fn allow(&self, ip: &str, username: &str, now: i64) -> bool {
        let ip_key = format!("ip:{ip}");
        let ok = self.count(&ip_key, now) < self.per_ip
            && self.count(&format!("user:{}", username.trim().to_lowercase()), now)
                < self.per_account;
        self.bump(ip_key, now);
        ok
    }

    /// Only failures count against an account, so its owner is not locked out by successes.
    pub fn failed(&self, username: &str, now: i64) {
        self.bump(format!("user:{}", username.trim().to_lowercase()), now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttles_account_after_failures_and_resets_after_window() {
        let l = LoginLimiter::new(100, 3, 60);
        for _ in 0..3 {
            assert!(l.allow("1.1.1.1", "alice", 0));
            l.failed("alice", 0);
        }
        assert!(!l.allow("2.2.2.2", "Alice", 10));
        assert!(l.allow("2.2.2.2", "bob", 10));
        assert!(l.allow("2.2.2.2", "alice", 60_001));
    }

    #[test]
    fn throttles_ip() {
        let l = LoginLimiter::new(2, 100, 60);
        assert!(l.allow("9.9.9.9", "a", 0));
        assert!(l.allow("9.9.9.9", "b", 0));
        assert!(!l.allow("9.9.9.9", "c", 0));
    }
}
