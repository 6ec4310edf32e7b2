//! Throttling of sign-ins and registrations by client address (fixed windows), counted in
//! the database so that every node of a cluster sees one count (ADR 041): a guesser spread
//! over several nodes by the load balancer gets the same allowance as on one.
//!
//! Only failed sign-ins count, per address and per (account, address): an office behind one
//! address can sign in all day, and someone guessing an account's password from one
//! address slows down only there; the owner signing in from elsewhere is never blocked.

use crate::db::Db;
use sqlx::AnyConnection;

/// Counts of events per key in fixed windows (`platform_throttle`).
struct Windows {
    window_ms: i64,
}

impl Windows {
    /// Counts one event for `key` only if it has fewer than `limit` in its window; one
    /// statement, so parallel requests on any nodes cannot both take the last one.
    async fn bump_below(
        &self,
        conn: &mut AnyConnection,
        key: &str,
        limit: u32,
        now: i64,
    ) -> sqlx::Result<bool> {
        if limit == 0 {
            return Ok(false);
        }
        let done = sqlx::query(
            "INSERT INTO platform_throttle (key, window_end, hits) VALUES ($1, $2, 1) \
             ON CONFLICT (key) DO UPDATE SET \
               hits = CASE WHEN platform_throttle.window_end <= $3 THEN 1 ELSE platform_throttle.hits + 1 END, \
               window_end = CASE WHEN platform_throttle.window_end <= $3 THEN $2 ELSE platform_throttle.window_end END \
             WHERE platform_throttle.window_end <= $3 OR platform_throttle.hits < $4",
        )
        .bind(key)
        .bind(now + self.window_ms)
        .bind(now)
        .bind(limit as i64)
        .execute(&mut *conn)
        .await?;
        // Now and then, forget finished windows (keys of addresses long gone).
        if rand::random::<u8>() == 0 {
            sqlx::query("DELETE FROM platform_throttle WHERE window_end <= $1")
                .bind(now)
                .execute(&mut *conn)
                .await?;
        }
        Ok(done.rows_affected() == 1)
    }

    async fn unbump(db: &Db, key: &str) -> sqlx::Result<()> {
        sqlx::query("UPDATE platform_throttle SET hits = hits - 1 WHERE key = $1 AND hits > 0")
            .bind(key)
            .execute(&db.pool)
            .await?;
        Ok(())
    }

    async fn clear(db: &Db, key: &str) -> sqlx::Result<()> {
        sqlx::query("DELETE FROM platform_throttle WHERE key = $1")
            .bind(key)
            .execute(&db.pool)
            .await?;
        Ok(())
    }
}

pub struct LoginLimiter {
    db: Db,
    per_ip: u32,
    per_account_ip: u32,
    failures: Windows,
}

fn account_key(username: &str, ip: &str) -> String {
    format!("login:acct:{}@{ip}", username.trim().to_lowercase())
}

fn ip_key(ip: &str) -> String {
    format!("login:ip:{ip}")
}

impl LoginLimiter {
    /// `per_ip` failures from one address, `per_account_ip` failures for one account from
    /// one address, within `window_secs`.
    pub fn new(db: Db, per_ip: u32, per_account_ip: u32, window_secs: u64) -> LoginLimiter {
        LoginLimiter {
            db,
            per_ip,
            per_account_ip,
            failures: Windows {
                window_ms: window_secs as i64 * 1000,
            },
        }
    }

    /// May `ip` try a password for `username` now? The attempt is counted as a failure
    /// at once — so a guesser cannot slip many attempts through in parallel while the slow
    /// password checks run — and given back by [`LoginLimiter::succeeded`].
    pub async fn try_attempt(&self, ip: &str, username: &str, now: i64) -> sqlx::Result<bool> {
        // One transaction for both counts: both are taken, or neither.
        let mut tx = self.db.begin().await?;
        let allowed = self
            .failures
            .bump_below(&mut tx, &ip_key(ip), self.per_ip, now)
            .await?
            && self
                .failures
                .bump_below(
                    &mut tx,
                    &account_key(username, ip),
                    self.per_account_ip,
                    now,
                )
                .await?;
        if allowed {
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        Ok(allowed)
    }

    /// The password was right: the attempt is given back to the address, and the owner's
    /// own earlier typos from there are forgotten. Only this attempt is given back, or a
    /// guesser could reset the address's count by signing in to an account of their own.
    pub async fn succeeded(&self, ip: &str, username: &str) -> sqlx::Result<()> {
        Windows::unbump(&self.db, &ip_key(ip)).await?;
        Windows::clear(&self.db, &account_key(username, ip)).await
    }
}

/// At most `limit` events per address within a window (e.g. registrations).
pub struct RateLimit {
    db: Db,
    /// Keeps this limit's keys apart from others' in the one table.
    name: &'static str,
    limit: u32,
    windows: Windows,
}

impl RateLimit {
    pub fn new(db: Db, name: &'static str, limit: u32, window_secs: u64) -> RateLimit {
        RateLimit {
            db,
            name,
            limit,
            windows: Windows {
                window_ms: window_secs as i64 * 1000,
            },
        }
    }

    fn key(&self, ip: &str) -> String {
        format!("{}:{ip}", self.name)
    }

    /// Takes one event from the address's allowance; false (and nothing taken) when spent.
    pub async fn try_take(&self, ip: &str, now: i64) -> sqlx::Result<bool> {
        let mut conn = self.db.pool.acquire().await?;
        self.windows
            .bump_below(&mut conn, &self.key(ip), self.limit, now)
            .await
    }

    /// Gives back an event that did not happen after all (e.g. a refused registration).
    pub async fn give_back(&self, ip: &str) -> sqlx::Result<()> {
        Windows::unbump(&self.db, &self.key(ip)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two limiters over one database: two nodes of a cluster.
    async fn nodes(per_ip: u32, per_account_ip: u32) -> (tempfile::TempDir, [LoginLimiter; 2]) {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::testing::migrated(dir.path()).await;
        let l = || LoginLimiter::new(db.clone(), per_ip, per_account_ip, 60);
        (dir, [l(), l()])
    }

    #[tokio::test]
    async fn successes_never_count() {
        let (_d, [l, _]) = nodes(3, 3).await;
        for _ in 0..20 {
            assert!(l.try_attempt("1.1.1.1", "alice", 0).await.unwrap());
            l.succeeded("1.1.1.1", "alice").await.unwrap();
        }
    }

    #[tokio::test]
    async fn guesses_block_the_guesser_not_the_owner_elsewhere() {
        let (_d, [l, _]) = nodes(100, 3).await;
        for _ in 0..3 {
            assert!(l.try_attempt("6.6.6.6", "Alice", 0).await.unwrap());
        }
        assert!(
            !l.try_attempt("6.6.6.6", "alice", 10).await.unwrap(),
            "the guesser is slowed"
        );
        assert!(
            l.try_attempt("6.6.6.6", "bob", 10).await.unwrap(),
            "other accounts from there are not"
        );
        assert!(
            l.try_attempt("2.2.2.2", "alice", 10).await.unwrap(),
            "the owner elsewhere is not"
        );
        assert!(
            l.try_attempt("6.6.6.6", "alice", 60_001).await.unwrap(),
            "the window passes"
        );
    }

    #[tokio::test]
    async fn attempts_in_flight_count_at_once_on_every_node() {
        // Parallel guesses on two nodes: three may start, before any of them ends.
        let (_d, [a, b]) = nodes(100, 3).await;
        let mut started = 0;
        for i in 0..10 {
            let node = if i % 2 == 0 { &a } else { &b };
            started += node.try_attempt("6.6.6.6", "alice", 0).await.unwrap() as u32;
        }
        assert_eq!(started, 3);
        let tries = (0..8).map(|i| {
            let node = if i % 2 == 0 { &a } else { &b };
            node.try_attempt("7.7.7.7", "alice", 0)
        });
        let at_once = futures_util::future::join_all(tries).await;
        let started = at_once.into_iter().filter(|r| *r.as_ref().unwrap()).count();
        assert_eq!(started, 3, "three of eight at once");
    }

    #[tokio::test]
    async fn failures_per_address_across_accounts() {
        let (_d, [a, b]) = nodes(2, 100).await;
        assert!(a.try_attempt("9.9.9.9", "a", 0).await.unwrap());
        assert!(b.try_attempt("9.9.9.9", "b", 0).await.unwrap());
        assert!(!a.try_attempt("9.9.9.9", "c", 0).await.unwrap());
        assert!(!b.try_attempt("9.9.9.9", "c", 0).await.unwrap());
        assert!(a.try_attempt("8.8.8.8", "c", 0).await.unwrap());
    }

    #[tokio::test]
    async fn a_refused_attempt_takes_nothing() {
        // The account's allowance is spent; tries for it must not use up the address's.
        let (_d, [l, _]) = nodes(3, 1).await;
        assert!(l.try_attempt("5.5.5.5", "alice", 0).await.unwrap());
        for _ in 0..5 {
            assert!(!l.try_attempt("5.5.5.5", "alice", 0).await.unwrap());
        }
        assert!(l.try_attempt("5.5.5.5", "bob", 0).await.unwrap());
        assert!(l.try_attempt("5.5.5.5", "carol", 0).await.unwrap());
        assert!(!l.try_attempt("5.5.5.5", "dave", 0).await.unwrap());
    }

    #[tokio::test]
    async fn success_forgets_own_typos_but_not_the_address_count() {
        let (_d, [l, _]) = nodes(3, 2).await;
        assert!(l.try_attempt("1.1.1.1", "alice", 0).await.unwrap()); // a typo
        assert!(l.try_attempt("1.1.1.1", "alice", 0).await.unwrap());
        l.succeeded("1.1.1.1", "alice").await.unwrap();
        assert!(l.try_attempt("1.1.1.1", "alice", 0).await.unwrap()); // typos forgotten
        assert!(l.try_attempt("1.1.1.1", "mallory", 0).await.unwrap());
        l.succeeded("1.1.1.1", "mallory").await.unwrap();
        // The address has three failures: alice's typo, alice's new one, and one more.
        assert!(l.try_attempt("1.1.1.1", "bob", 0).await.unwrap());
        assert!(!l.try_attempt("1.1.1.1", "anyone", 0).await.unwrap());
    }

    #[tokio::test]
    async fn rate_limit_per_address() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::testing::migrated(dir.path()).await;
        let r = RateLimit::new(db.clone(), "registration", 2, 3600);
        let other = RateLimit::new(db, "other", 1, 3600);
        assert!(r.try_take("1.1.1.1", 0).await.unwrap());
        assert!(r.try_take("1.1.1.1", 0).await.unwrap());
        assert!(!r.try_take("1.1.1.1", 1).await.unwrap());
        assert!(r.try_take("2.2.2.2", 1).await.unwrap());
        assert!(
            other.try_take("1.1.1.1", 1).await.unwrap(),
            "another limit counts apart"
        );
        r.give_back("1.1.1.1").await.unwrap();
        assert!(r.try_take("1.1.1.1", 1).await.unwrap());
        assert!(
            r.try_take("1.1.1.1", 3_600_000).await.unwrap(),
            "a new window"
        );
    }
}
