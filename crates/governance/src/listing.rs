//! A record as the list queries read it: its columns and the tables they come from; the
//! record reads its row by column name (`sqlx::FromRow`, ADR 043). One way to fetch a
//! record by id and a page of a filtered list, so each record kind states its SQL once.

use gov_core::Sql;
use platform::db::Db;
use sqlx::FromRow;
use sqlx::any::AnyRow;
use std::marker::PhantomData;

/// A query being bound (the SQL is portable: `$n` placeholders, see `platform::db`).
pub type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

pub struct Listing<T> {
    /// The select list, with `AS` names where joined columns would clash.
    pub columns: &'static str,
    /// The tables and joins after `FROM`.
    pub from: &'static str,
    /// The qualified id column (`p.id`).
    pub id: &'static str,
    pub record: PhantomData<T>,
}

impl<T: for<'r> FromRow<'r, AnyRow>> Listing<T> {
    /// The record with this id, if any (no scope: callers authorise what they load).
    pub async fn by_id(&self, db: &Db, id: i64) -> sqlx::Result<Option<T>> {
        let text = format!(
            "SELECT {} FROM {} WHERE {} = $1",
            self.columns, self.from, self.id
        );
        let row = sqlx::query(&text).bind(id).fetch_optional(&db.pool).await?;
        row.as_ref().map(T::from_row).transpose()
    }

    /// One page of the records the clauses of `sql` select, in `order`.
    pub async fn page(
        &self,
        db: &Db,
        sql: &Sql,
        order: &str,
        limit: i64,
        offset: i64,
    ) -> sqlx::Result<Vec<T>> {
        let rows = sql
            .page(db, self.columns, self.from, order, limit, offset)
            .await?;
        rows.iter().map(T::from_row).collect()
    }
}
