//! The append-only audit log, chained by SHA-256 so that an edited or deleted entry shows
//! (ARCHITECTURE rule 14). Writers serialise on the single `platform_audit_head` row.

use crate::db::{Db, Tx};
use sha2::{Digest, Sha256};

pub struct Entry<'a> {
    pub at: i64,
    pub actor_id: Option<i64>,
    pub action: &'a str,
    pub subject: &'a str,
    pub detail: serde_json::Value,
}

fn entry_hash(
    prev: &str,
    seq: i64,
    e_at: i64,
    actor: Option<i64>,
    action: &str,
    subject: &str,
    detail: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [
        prev,
        &seq.to_string(),
        &e_at.to_string(),
        &actor.map(|a| a.to_string()).unwrap_or_default(),
        action,
        subject,
        detail,
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    hex::encode(h.finalize())
}

/// [`append`] from its parts, for writers that keep no sequence number.
pub async fn record(
    tx: &mut Tx,
    at: i64,
    actor_id: Option<i64>,
    action: &str,
    subject: &str,
    detail: serde_json::Value,
) -> sqlx::Result<()> {
    let e = Entry {
        at,
        actor_id,
        action,
        subject,
        detail,
    };
    append(tx, e).await.map(|_| ())
}

/// Ends a step: its audit entry, then the commit, so the entry lands with the change.
pub async fn commit(mut tx: Tx, e: Entry<'_>) -> sqlx::Result<()> {
    append(&mut tx, e).await?;
    tx.commit().await
}

/// One audited change in progress: when, by whom, and its transaction. [`Change::done`]
/// appends its audit entry and commits, so the entry lands with the change.
pub struct Change {
    now: i64,
    actor: Option<i64>,
    pub tx: Tx,
}

impl Change {
    /// Begins a change by `actor` at `now`.
    pub async fn begin(db: &Db, now: i64, actor: Option<i64>) -> sqlx::Result<Change> {
        let tx = db.begin().await?;
        Ok(Change { now, actor, tx })
    }

    /// Ends the change: its audit entry for `action` on `subject`, then the commit.
    pub async fn done(
        mut self,
        action: &str,
        subject: impl AsRef<str>,
        detail: serde_json::Value,
    ) -> sqlx::Result<()> {
        let subject = subject.as_ref();
        record(&mut self.tx, self.now, self.actor, action, subject, detail).await?;
        self.tx.commit().await
    }
}

/// Appends inside the caller's transaction, so the entry commits with the change it records.
pub async fn append(tx: &mut Tx, e: Entry<'_>) -> sqlx::Result<i64> {
    // The UPDATE takes the row lock on PostgreSQL (and the write lock on SQLite) first.
    let (seq, prev): (i64, String) = sqlx::query_as(
        "UPDATE platform_audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash",
    )
    .fetch_one(&mut **tx)
    .await?;
    let detail = e.detail.to_string();
    let hash = entry_hash(&prev, seq, e.at, e.actor_id, e.action, e.subject, &detail);
    sqlx::query(
        "INSERT INTO platform_audit (seq, at, actor_id, action, subject, detail, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(seq)
    .bind(e.at)
    .bind(e.actor_id)
    .bind(e.action)
    .bind(e.subject)
    .bind(&detail)
    .bind(&prev)
    .bind(&hash)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE platform_audit_head SET hash = $1 WHERE id = 1")
        .bind(&hash)
        .execute(&mut **tx)
        .await?;
    Ok(seq)
}

/// Walks the whole chain; returns the first sequence number whose entry does not verify.
pub async fn verify(db: &Db) -> anyhow::Result<Option<i64>> {
    type Row = (
        i64,
        i64,
        Option<i64>,
        String,
        String,
        String,
        String,
        String,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT seq, at, actor_id, action, subject, detail, prev_hash, hash FROM platform_audit ORDER BY seq",
    )
    .fetch_all(&db.pool)
    .await?;
    let mut prev = "0".repeat(64);
    let mut expected_seq = 1;
    for (seq, at, actor, action, subject, detail, prev_hash, hash) in rows {
        if seq != expected_seq
            || prev_hash != prev
            || entry_hash(&prev, seq, at, actor, &action, &subject, &detail) != hash
        {
            return Ok(Some(seq.min(expected_seq)));
        }
        prev = hash;
        expected_seq += 1;
    }
    let (head_seq, head_hash): (i64, String) =
        sqlx::query_as("SELECT seq, hash FROM platform_audit_head WHERE id = 1")
            .fetch_one(&db.pool)
            .await?;
    if head_seq != expected_seq - 1 || head_hash != prev {
        return Ok(Some(expected_seq));
    }
    Ok(None)
}
