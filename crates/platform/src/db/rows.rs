//! The rows one query finds for one record (its options, its attendees, its history), each
//! read by the caller's row reader: the query, the bind and the collecting written once.

use super::Db;
use sqlx::any::AnyRow;

/// The rows `sql` finds with `id` bound as `$1`, each read by `read`, in the query's order.
pub async fn by_id<T>(
    db: &Db,
    sql: &str,
    id: i64,
    read: impl Fn(&AnyRow) -> sqlx::Result<T>,
) -> sqlx::Result<Vec<T>> {
    sqlx::query(sql)
        .bind(id)
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(read)
        .collect()
}
