//! The small SQL builder every G module filters lists with, and the scope clauses that keep
//! a list within the subtrees an actor may see.

use crate::unit::UnitPath;
use platform::db::Db;
use sqlx::Row;

/// A bound query parameter of either type.
#[derive(Clone, Debug)]
pub enum Bind {
    Int(i64),
    Text(String),
}

/// Builds `WHERE` clauses with numbered `$n` parameters.
#[derive(Default)]
pub struct Sql {
    pub clauses: Vec<String>,
    pub binds: Vec<Bind>,
}

impl Sql {
    /// Adds a bind and returns its placeholder.
    pub fn bind(&mut self, b: Bind) -> String {
        self.binds.push(b);
        format!("${}", self.binds.len())
    }

    pub fn push(&mut self, clause: String) {
        self.clauses.push(clause);
    }

    pub fn where_clause(&self) -> String {
        if self.clauses.is_empty() {
            "1 = 1".into()
        } else {
            self.clauses.join(" AND ")
        }
    }

    /// "The unit column's path lies in `unit`'s subtree."
    pub fn within(&mut self, path_col: &str, unit: &UnitPath) {
        let p = self.bind(Bind::Text(unit.as_str().into()));
        self.push(format!("{path_col} LIKE {p} || '%'"));
    }

    /// A substring match on `col`; LIKE wildcards typed by the user are matched literally.
    pub fn contains(&mut self, col: &str, raw: &str) {
        let escaped = raw
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let p = self.bind(Bind::Text(format!("%{escaped}%")));
        self.push(format!("{col} LIKE {p} ESCAPE '\\'"));
    }

    /// `COUNT(*)` of `from` under these clauses.
    pub async fn count(&self, db: &Db, from: &str) -> sqlx::Result<i64> {
        let text = format!("SELECT COUNT(*) FROM {from} WHERE {}", self.where_clause());
        self.query(&text).fetch_one(&db.pool).await?.try_get(0)
    }

    /// `columns` of `from` under these clauses, in `order`, one page.
    pub async fn page(
        &self,
        db: &Db,
        columns: &str,
        from: &str,
        order: &str,
        limit: i64,
        offset: i64,
    ) -> sqlx::Result<Vec<sqlx::any::AnyRow>> {
        let text = format!(
            "SELECT {columns} FROM {from} WHERE {} ORDER BY {order} LIMIT {limit} OFFSET {offset}",
            self.where_clause()
        );
        self.query(&text).fetch_all(&db.pool).await
    }

    pub fn query<'q>(
        &self,
        sql: &'q str,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        let mut q = sqlx::query(sql);
        for b in &self.binds {
            q = match b {
                Bind::Int(i) => q.bind(*i),
                Bind::Text(s) => q.bind(s.clone()),
            };
        }
        q
    }
}

/// The subtrees an actor may see: `None` for everything (platform admins).
#[derive(Clone, Debug)]
pub struct ScopeFilter(pub Option<Vec<UnitPath>>);

impl ScopeFilter {
    /// Adds "the unit column's path lies in one of the subtrees" to `sql`.
    pub fn apply(&self, sql: &mut Sql, path_col: &str) {
        let Some(roots) = &self.0 else { return };
        if roots.is_empty() {
            sql.push("1 = 0".into());
            return;
        }
        let parts: Vec<String> = roots
            .iter()
            .map(|r| {
                let p = sql.bind(Bind::Text(r.as_str().to_string()));
                format!("{path_col} LIKE {p} || '%'")
            })
            .collect();
        sql.push(format!("({})", parts.join(" OR ")));
    }

    /// Adds "the unit lies in a subtree, or on the way down to one" (its ancestors):
    /// what an actor may see by name, e.g. the hubs that serve their community.
    pub fn apply_reference(&self, sql: &mut Sql, path_col: &str) {
        let Some(roots) = &self.0 else { return };
        if roots.is_empty() {
            sql.push("1 = 0".into());
            return;
        }
        let parts: Vec<String> = roots
            .iter()
            .map(|r| {
                let p = sql.bind(Bind::Text(r.as_str().to_string()));
                format!("({path_col} LIKE {p} || '%' OR {p} LIKE {path_col} || '%')")
            })
            .collect();
        sql.push(format!("({})", parts.join(" OR ")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_filter_builds_prefix_clauses() {
        let mut sql = Sql::default();
        ScopeFilter(Some(vec![
            UnitPath::parse("/1/4/").unwrap(),
            UnitPath::parse("/1/9/").unwrap(),
        ]))
        .apply(&mut sql, "u.path");
        assert_eq!(
            sql.where_clause(),
            "(u.path LIKE $1 || '%' OR u.path LIKE $2 || '%')"
        );
        let mut none = Sql::default();
        ScopeFilter(Some(vec![])).apply(&mut none, "u.path");
        assert_eq!(none.where_clause(), "1 = 0");
        let mut all = Sql::default();
        ScopeFilter(None).apply(&mut all, "u.path");
        assert_eq!(all.where_clause(), "1 = 1");
    }
}
