//! A workbench to-do counted in SQL: how many rows wait under a list's clauses, and the
//! nearest of their deadlines — the shape of every G module's `todos` hook.

use crate::sql::Sql;
use platform::db::Db;
use platform::module::Todo;
use sqlx::Row;

/// What waits and where the user does it (the count and deadline come from the query).
pub struct Waiting<'a> {
    pub href: &'a str,
    pub zh: &'a str,
    pub en: &'a str,
    /// The column whose smallest value is the nearest deadline, if any.
    pub due: Option<&'a str>,
}

/// Counts the rows of `from` under `sql`'s clauses; a to-do when any wait.
pub async fn count(db: &Db, sql: &Sql, from: &str, w: &Waiting<'_>) -> sqlx::Result<Option<Todo>> {
    let due = w.due.map_or("NULL".to_string(), |c| format!("MIN({c})"));
    let text = format!(
        "SELECT COUNT(*) AS n, {due} AS due FROM {from} WHERE {}",
        sql.where_clause()
    );
    let row = sql.query(&text).fetch_one(&db.pool).await?;
    let n: i64 = row.try_get("n")?;
    Ok((n > 0).then(|| Todo {
        href: w.href.into(),
        zh: w.zh.into(),
        en: w.en.into(),
        count: n as u64,
        due_ms: row.try_get::<Option<i64>, _>("due").ok().flatten(),
    }))
}
