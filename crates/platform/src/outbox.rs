//! The outbox (ARCHITECTURE rule 13): a domain write and its event commit together;
//! followers (search index, notifications) read the log from their own position.

use crate::db::{Db, Sql, Tx};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

pub async fn emit(
    tx: &mut Tx,
    at: i64,
    topic: &str,
    subject_id: i64,
    payload: serde_json::Value,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO platform_events (at, topic, subject_id, payload) VALUES ($1, $2, $3, $4)",
    )
    .bind(at)
    .bind(topic)
    .bind(subject_id)
    .bind(payload.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct Event {
    pub id: i64,
    pub at: i64,
    pub topic: String,
    pub subject_id: i64,
    pub payload: String,
}

const EVENT: &str = "SELECT id, at, topic, subject_id, payload FROM platform_events";

/// Events after `position`, oldest first.
pub async fn read_after(db: &Db, position: i64, limit: i64) -> sqlx::Result<Vec<Event>> {
    sqlx::query(&format!("{EVENT} WHERE id > $1 ORDER BY id LIMIT $2"))
        .bind(position)
        .bind(limit)
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(event)
        .collect()
}

fn event(row: &AnyRow) -> sqlx::Result<Event> {
    Ok(Event {
        id: row.try_get("id")?,
        at: row.try_get("at")?,
        topic: row.try_get("topic")?,
        subject_id: row.try_get("subject_id")?,
        payload: row.try_get("payload")?,
    })
}

/// A follower's place in the log that no event slips past (ADR 041). On PostgreSQL an
/// event's id is drawn when it is inserted, not when its transaction commits, so id 10
/// can be visible before id 9; a follower that moved past 10 would never read 9. The
/// cursor reads on from the highest id it has seen and keeps each id it skipped as a
/// gap, looked for again on every read until it appears or is older than `wait` (a
/// rolled-back transaction leaves a gap for good). [`Cursor::position`] stays below the
/// oldest open gap, so a follower that restarts from it reads that gap again.
pub struct Cursor {
    tail: i64,
    gaps: BTreeMap<i64, Instant>,
    wait: Duration,
}

impl Cursor {
    /// How long a skipped id is waited for: longer than any transaction that writes events.
    pub const WAIT: Duration = Duration::from_secs(30);
    /// More skipped ids at once than this are not waited for (events were deleted).
    const MAX_GAP: i64 = 10_000;

    pub fn new(position: i64, wait: Duration) -> Cursor {
        Cursor {
            tail: position,
            gaps: BTreeMap::new(),
            wait,
        }
    }

    /// Every event up to here has been returned or given up on.
    pub fn position(&self) -> i64 {
        self.gaps.keys().next().map_or(self.tail, |first| first - 1)
    }

    /// Events not returned before: the log after the highest id seen (at most `limit`),
    /// then any of the skipped ids that have committed since.
    pub async fn next(&mut self, db: &Db, limit: i64) -> sqlx::Result<Vec<Event>> {
        let now = Instant::now();
        let mut out = read_after(db, self.tail, limit).await?;
        for e in &out {
            if e.id - self.tail <= Self::MAX_GAP {
                self.gaps.extend((self.tail + 1..e.id).map(|id| (id, now)));
            }
            self.tail = e.id;
        }
        let before = out.len();
        if !self.gaps.is_empty() {
            let mut sql = Sql::default();
            let ids: Vec<String> = self.gaps.keys().take(500).map(|id| sql.bind(*id)).collect();
            sql.push(format!("id IN ({})", ids.join(", ")));
            let text = format!("{EVENT} WHERE {} ORDER BY id", sql.where_clause());
            for row in sql.query(&text).fetch_all(&db.pool).await? {
                out.push(event(&row)?);
            }
        }
        for e in &out[before..] {
            self.gaps.remove(&e.id);
        }
        let wait = self.wait;
        self.gaps.retain(|_, seen| now.duration_since(*seen) < wait);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn insert(db: &Db, id: i64) {
        sqlx::query(
            "INSERT INTO platform_events (id, at, topic, subject_id, payload) VALUES ($1, 0, 't', $1, '{}')",
        )
        .bind(id)
        .execute(&db.pool)
        .await
        .unwrap();
    }

    fn ids(events: &[Event]) -> Vec<i64> {
        events.iter().map(|e| e.id).collect()
    }

    #[tokio::test]
    async fn an_id_that_commits_late_is_still_read() {
        // Ids inserted out of order stand for transactions committing out of order.
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::testing::migrated(dir.path()).await;
        let mut c = Cursor::new(0, Duration::from_secs(60));
        insert(&db, 1).await;
        insert(&db, 3).await;
        assert_eq!(ids(&c.next(&db, 100).await.unwrap()), [1, 3]);
        assert_eq!(c.position(), 1, "2 may still commit");
        assert!(c.next(&db, 100).await.unwrap().is_empty(), "nothing twice");
        insert(&db, 2).await;
        insert(&db, 4).await;
        assert_eq!(ids(&c.next(&db, 100).await.unwrap()), [4, 2]);
        assert_eq!(c.position(), 4);
        assert!(c.next(&db, 100).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_gap_is_given_up_after_the_wait() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::testing::migrated(dir.path()).await;
        let mut c = Cursor::new(0, Duration::ZERO);
        insert(&db, 2).await;
        assert_eq!(ids(&c.next(&db, 100).await.unwrap()), [2]);
        assert_eq!(
            c.position(),
            2,
            "a rolled-back id is not waited for past the wait"
        );
    }
}
