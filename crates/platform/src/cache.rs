//! A small time-limited cache for hot, rarely changing lookups (API keys, category lists,
//! units by code). Entries expire after `ttl`, so a change made on another node shows
//! within that time; a change made on this node clears the cache at once.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct TtlCache<K, V> {
    ttl: Duration,
    entries: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    pub fn new(ttl: Duration) -> TtlCache<K, V> {
        TtlCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn get(&self, k: &K) -> Option<V> {
        let map = self.entries.lock().expect("cache lock");
        map.get(k)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, v)| v.clone())
    }

    pub fn put(&self, k: K, v: V) {
        let mut map = self.entries.lock().expect("cache lock");
        // Bounded: a flood of distinct keys (wrong API keys) cannot grow it without end.
        if map.len() >= 10_000 {
            map.retain(|_, (at, _)| at.elapsed() < self.ttl);
            if map.len() >= 10_000 {
                map.clear();
            }
        }
        map.insert(k, (Instant::now(), v));
    }

    pub fn clear(&self) {
        self.entries.lock().expect("cache lock").clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_clear() {
        let c = TtlCache::new(Duration::from_millis(30));
        c.put("a", 1);
        assert_eq!(c.get(&"a"), Some(1));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(c.get(&"a"), None);
        c.put("b", 2);
        c.clear();
        assert_eq!(c.get(&"b"), None);
    }
}
