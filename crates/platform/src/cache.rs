//! A small time-limited cache for hot, rarely changing lookups (API keys, category lists,
//! units by code). A change clears it: at once on the node that made it, and on the others
//! when they see its cache epoch move ([`crate::cluster::on_bump`], within a poll). Entries
//! also expire after `ttl`, a backstop should the epochs not be read for a while.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub struct TtlCache<K, V> {
    ttl: Duration,
    entries: Mutex<HashMap<K, (Instant, V)>>,
    /// Moves on every clear: a value loaded before a clear is not kept after it.
    generation: AtomicU64,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    pub fn new(ttl: Duration) -> TtlCache<K, V> {
        TtlCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
        }
    }

    /// The cached value, or `load`'s, which is kept unless the cache was cleared while it
    /// loaded (the load may have read the database before the change that cleared it).
    pub async fn get_or_load<E>(
        &self,
        k: K,
        load: impl Future<Output = Result<V, E>>,
    ) -> Result<V, E> {
        if let Some(v) = self.get(&k) {
            return Ok(v);
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let v = load.await?;
        let mut map = self.entries.lock().expect("cache lock");
        if self.generation.load(Ordering::SeqCst) == generation {
            self.insert(&mut map, k, v.clone());
        }
        Ok(v)
    }

    pub fn get(&self, k: &K) -> Option<V> {
        let map = self.entries.lock().expect("cache lock");
        map.get(k)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, v)| v.clone())
    }

    pub fn put(&self, k: K, v: V) {
        let mut map = self.entries.lock().expect("cache lock");
        self.insert(&mut map, k, v);
    }

    fn insert(&self, map: &mut HashMap<K, (Instant, V)>, k: K, v: V) {
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
        let mut map = self.entries.lock().expect("cache lock");
        self.generation.fetch_add(1, Ordering::SeqCst);
        map.clear();
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

    #[tokio::test]
    async fn a_value_loaded_across_a_clear_is_not_kept() {
        let c = TtlCache::new(Duration::from_secs(60));
        let v = c
            .get_or_load("k", async {
                c.clear(); // the change lands while the old value is read
                Ok::<_, ()>("old")
            })
            .await;
        assert_eq!(v, Ok("old"), "the caller still gets what was read");
        assert_eq!(c.get(&"k"), None, "but it is not cached");
        let v = c.get_or_load("k", async { Ok::<_, ()>("new") }).await;
        assert_eq!((v, c.get(&"k")), (Ok("new"), Some("new")));
    }
}
