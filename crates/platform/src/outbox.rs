//! The outbox (ARCHITECTURE rule 13): a domain write and its event commit together;
//! followers (search index, notifications) read the log from their own position.

use crate::db::{Db, Tx};

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

/// Events after `position`, oldest first.
pub async fn read_after(db: &Db, position: i64, limit: i64) -> sqlx::Result<Vec<Event>> {
    let rows: Vec<(i64, i64, String, i64, String)> = sqlx::query_as(
        "SELECT id, at, topic, subject_id, payload FROM platform_events WHERE id > $1 ORDER BY id LIMIT $2",
    )
    .bind(position)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, at, topic, subject_id, payload)| Event {
            id,
            at,
            topic,
            subject_id,
            payload,
        })
        .collect())
}
