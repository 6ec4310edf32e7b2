//! In-app notifications (站内通知), one bell for every module: the library (comments,
//! complaints), the cases centre (dispatch, acceptance, returns, deadlines, closure) and
//! oversight (annual reports). Each is written in the same transaction as the decision it
//! reports; the list page and the API read them. Texts name the case or document, never a
//! reporter's contact details.

use crate::db::{Db, Tx};
use serde::Serialize;

/// Adds a notification for `user` inside the caller's transaction.
pub async fn notify(
    tx: &mut Tx,
    user: i64,
    kind: &str,
    text_zh: &str,
    text_en: &str,
    link: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO platform_notifications (user_id, kind, text_zh, text_en, link, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(user)
    .bind(kind)
    .bind(text_zh)
    .bind(text_en)
    .bind(link)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Notifies each of `users` once (duplicates dropped), inside the caller's transaction.
pub async fn notify_all(
    tx: &mut Tx,
    users: &[i64],
    kind: &str,
    text_zh: &str,
    text_en: &str,
    link: &str,
    now: i64,
) -> sqlx::Result<()> {
    let mut seen = std::collections::BTreeSet::new();
    for u in users.iter().filter(|u| seen.insert(**u)) {
        notify(tx, *u, kind, text_zh, text_en, link, now).await?;
    }
    Ok(())
}

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct Notification {
    pub id: i64,
    pub kind: String,
    pub text_zh: String,
    pub text_en: String,
    pub link: String,
    pub created_at: i64,
    #[sqlx(try_from = "crate::db::Flag")]
    pub read: bool,
}

pub async fn list(db: &Db, user: i64, limit: i64) -> sqlx::Result<Vec<Notification>> {
    sqlx::query_as(
        "SELECT id, kind, text_zh, text_en, link, created_at, \
         CASE WHEN read_at IS NULL THEN 0 ELSE 1 END AS \"read\" FROM platform_notifications \
         WHERE user_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(user)
    .bind(limit)
    .fetch_all(&db.pool)
    .await
}

pub async fn unread(db: &Db, user: i64) -> sqlx::Result<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM platform_notifications WHERE user_id = $1 AND read_at IS NULL",
    )
    .bind(user)
    .fetch_one(&db.pool)
    .await?;
    Ok(n)
}

/// Marks the given notifications (or all, for None) of `user` read; returns how many.
pub async fn mark_read(db: &Db, user: i64, ids: Option<&[i64]>, now: i64) -> sqlx::Result<u64> {
    match ids {
        None => Ok(sqlx::query(
            "UPDATE platform_notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL",
        )
        .bind(now)
        .bind(user)
        .execute(&db.pool)
        .await?
        .rows_affected()),
        Some(ids) => {
            let mut n = 0;
            for id in ids {
                n += sqlx::query(
                    "UPDATE platform_notifications SET read_at = $1 WHERE user_id = $2 AND id = $3 AND read_at IS NULL",
                )
                .bind(now)
                .bind(user)
                .bind(*id)
                .execute(&db.pool)
                .await?
                .rows_affected();
            }
            Ok(n)
        }
    }
}
