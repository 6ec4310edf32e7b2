//! Several nodes over one database (issue 17, ADR 041). Nothing here talks node to node:
//! the database is the only thing the nodes share, and each of these is one small table.
//!
//! - **Cache epochs**: a change to a cached lookup bumps its group's counter in the same
//!   transaction ([`bump`]); every node polls the counters a few times a second (one
//!   query) and runs the clear functions registered for a group whose counter moved
//!   ([`on_bump`]), so a revoked key stops working everywhere within the poll interval.
//! - **The clock lease**: work driven by the clock (sweeps, reminders, weekly reports) runs
//!   on the one node holding the `clock` lease ([`periodic`]). The holder renews it every
//!   third of its length; when the holder dies, another node takes it once it runs out.
//!
//! Lease times are the system clock's, not the injected [`crate::clock::Clock`]: they
//! measure whether a process still lives, and a test that moves a server's calendar must
//! not hand its lease to another node. Nodes' clocks must agree to well within a third of
//! the lease (NTP does).

use crate::AppState;
use crate::config::ClusterConfig;
use crate::db::{Db, Tx};
use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// The lease behind [`periodic`].
const CLOCK: &str = "clock";

/// A cache group and what clears this node's copy of it.
type Clearer = (&'static str, fn(&AppState));

/// What this node knows of the cluster: its name, the clock lease, the cache clearers.
pub struct Cluster {
    node: String,
    lease_ms: i64,
    poll: Duration,
    /// Until when (system ms) this node holds the clock lease as far as it knows; 0: not.
    held_until: AtomicI64,
    clearers: Mutex<Vec<Clearer>>,
}

fn system_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Cluster {
    /// `data_dir` is the node's own: its name is kept there, so that a node restarted on
    /// it takes its lease back at once instead of waiting for it to run out.
    pub fn new(cfg: &ClusterConfig, data_dir: &Path) -> Cluster {
        Cluster {
            node: node_name(data_dir),
            lease_ms: (cfg.lease_secs.max(1) * 1000) as i64,
            poll: Duration::from_millis(cfg.poll_ms.max(10)),
            held_until: AtomicI64::new(0),
            clearers: Mutex::new(Vec::new()),
        }
    }

    /// This node's name in leases (its host and a random part, kept in its data dir).
    pub fn node(&self) -> &str {
        &self.node
    }
}

/// The name in `data_dir/node-id`, made there on the first start.
fn node_name(data_dir: &Path) -> String {
    let file = data_dir.join("node-id");
    if let Ok(name) = std::fs::read_to_string(&file)
        && !name.trim().is_empty()
    {
        return name.trim().to_string();
    }
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "node".into());
    let name = format!("{host}-{:016x}", rand::random::<u64>());
    if let Err(e) = std::fs::write(&file, &name) {
        tracing::warn!(error = %e, "cannot keep the node's name in its data dir");
    }
    name
}

/// Marks the cached lookups of `group` as changed, inside the transaction that changes
/// them: every node clears them once it commits.
pub async fn bump(tx: &mut Tx, group: &str) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO platform_cache_epochs (name, epoch) VALUES ($1, 1) \
         ON CONFLICT (name) DO UPDATE SET epoch = platform_cache_epochs.epoch + 1",
    )
    .bind(group)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Runs `clear` on this node whenever `group` is bumped (on any node).
pub fn on_bump(state: &AppState, group: &'static str, clear: fn(&AppState)) {
    state
        .cluster
        .clearers
        .lock()
        .expect("cluster lock")
        .push((group, clear));
}

/// Takes the lease `name` for `node` until `until`, or renews it: true when `node` holds
/// it now. One statement, so two nodes racing for a lapsed lease cannot both win (a
/// row lock on PostgreSQL, the single writer on SQLite).
pub async fn hold(db: &Db, name: &str, node: &str, now: i64, until: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO platform_leases (name, holder, until_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until_ms = excluded.until_ms \
         WHERE platform_leases.holder = excluded.holder OR platform_leases.until_ms < $4",
    )
    .bind(name)
    .bind(node)
    .bind(until)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Tries to take or renew the clock lease; whether this node holds it.
async fn renew(state: &AppState) -> bool {
    let c = &state.cluster;
    let now = system_ms();
    match hold(&state.db, CLOCK, &c.node, now, now + c.lease_ms).await {
        Ok(held) => {
            c.held_until
                .store(if held { now + c.lease_ms } else { 0 }, Ordering::SeqCst);
            held
        }
        Err(e) => {
            tracing::warn!(error = %e, "clock lease");
            // Keep what we had: the lease may still be ours until it runs out.
            c.held_until.load(Ordering::SeqCst) > now
        }
    }
}

/// Whether this node is the one to do the clock's work now. The lease must have a third
/// of its length left, or it is renewed first.
pub async fn lead(state: &AppState) -> bool {
    let c = &state.cluster;
    if c.held_until.load(Ordering::SeqCst) - system_ms() > c.lease_ms / 3 {
        return true;
    }
    renew(state).await
}

/// The group counters now, by name.
async fn epochs(db: &Db) -> sqlx::Result<HashMap<String, i64>> {
    let rows: Vec<(String, i64)> = sqlx::query_as("SELECT name, epoch FROM platform_cache_epochs")
        .fetch_all(&db.pool)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Starts this node's part: polling the cache epochs and renewing (or taking over) the
/// clock lease. Called once by a serving node, before the modules start.
pub fn start(state: &AppState) {
    let st = state.clone();
    tokio::spawn(async move {
        let mut seen = epochs(&st.db).await.unwrap_or_default();
        loop {
            tokio::time::sleep(st.cluster.poll).await;
            let now = match epochs(&st.db).await {
                Ok(now) => now,
                Err(e) => {
                    tracing::warn!(error = %e, "cache epochs");
                    continue;
                }
            };
            let clearers = st.cluster.clearers.lock().expect("cluster lock").clone();
            for (group, clear) in clearers {
                if now.get(group) != seen.get(group) {
                    clear(&st);
                }
            }
            seen = now;
        }
    });
    let st = state.clone();
    tokio::spawn(async move {
        let every = Duration::from_millis((st.cluster.lease_ms / 3).max(100) as u64);
        loop {
            renew(&st).await;
            tokio::time::sleep(every).await;
        }
    });
}

/// Work the clock drives; it logs its own outcome.
pub type Work = for<'a> fn(&'a AppState) -> BoxFuture<'a, ()>;

/// Runs `work` every `every` (first at once when `at_start`, else after one interval) on
/// the node holding the clock lease, so once per cluster.
pub fn periodic(state: &AppState, every: Duration, at_start: bool, work: Work) {
    let state = state.clone();
    tokio::spawn(async move {
        if !at_start {
            tokio::time::sleep(every).await;
        }
        loop {
            if lead(&state).await {
                crate::metrics::CLOCK_RUNS.inc();
                work(&state).await;
            }
            tokio::time::sleep(every).await;
        }
    });
}

/// An interval in milliseconds from the environment variable `var` (at least 50 ms), or
/// `default_ms`: how tests make the clock's work run often.
pub fn interval_from_env(var: &str, default_ms: u64) -> Duration {
    let ms = std::env::var(var)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(default_ms)
        .max(50);
    Duration::from_millis(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_holder_at_a_time_and_takeover_when_it_lapses() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::testing::migrated(dir.path()).await;
        assert!(hold(&db, "clock", "a", 1_000, 2_000).await.unwrap());
        assert!(
            !hold(&db, "clock", "b", 1_500, 2_500).await.unwrap(),
            "b waits while a's lease runs"
        );
        assert!(
            hold(&db, "clock", "a", 1_900, 2_900).await.unwrap(),
            "a renews"
        );
        assert!(!hold(&db, "clock", "b", 2_800, 3_800).await.unwrap());
        assert!(
            hold(&db, "clock", "b", 2_901, 3_901).await.unwrap(),
            "b takes over once a's lease ran out"
        );
        assert!(
            !hold(&db, "clock", "a", 3_000, 4_000).await.unwrap(),
            "and a, back late, does not get it back"
        );
        assert!(
            hold(&db, "other", "a", 3_000, 4_000).await.unwrap(),
            "leases are by name"
        );
    }

    #[test]
    fn a_node_keeps_its_name_across_restarts() {
        let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let cfg = ClusterConfig::default();
        let first = Cluster::new(&cfg, one.path());
        assert_eq!(Cluster::new(&cfg, one.path()).node(), first.node());
        assert_ne!(Cluster::new(&cfg, two.path()).node(), first.node());
    }

    #[tokio::test]
    async fn bumps_count_per_group_and_only_when_committed() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::testing::migrated(dir.path()).await;
        for _ in 0..2 {
            let mut tx = db.begin().await.unwrap();
            bump(&mut tx, "g").await.unwrap();
            tx.commit().await.unwrap();
        }
        let mut tx = db.begin().await.unwrap();
        bump(&mut tx, "g").await.unwrap();
        bump(&mut tx, "h").await.unwrap();
        tx.rollback().await.unwrap();
        let now = epochs(&db).await.unwrap();
        assert_eq!(now.get("g"), Some(&2));
        assert_eq!(now.get("h"), None, "a rolled-back change bumps nothing");
    }
}
