//! A small SQL builder with typed binds: `WHERE` clauses joined by `AND`, each value bound
//! as a numbered `$n` parameter of a known type (never formatted into the text), so list
//! filters and partial updates are built the same way in every module.

use super::Db;
use sqlx::Row;

/// A bound query parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum Bind {
    Int(i64),
    Text(String),
    /// SQL NULL (an integer column left empty).
    Null,
}

impl From<i64> for Bind {
    fn from(v: i64) -> Bind {
        Bind::Int(v)
    }
}

impl From<Option<i64>> for Bind {
    fn from(v: Option<i64>) -> Bind {
        v.map_or(Bind::Null, Bind::Int)
    }
}

impl From<String> for Bind {
    fn from(v: String) -> Bind {
        Bind::Text(v)
    }
}

impl From<&str> for Bind {
    fn from(v: &str) -> Bind {
        Bind::Text(v.to_string())
    }
}

/// Clauses with numbered `$n` parameters.
#[derive(Clone, Debug, Default)]
pub struct Sql {
    pub clauses: Vec<String>,
    pub binds: Vec<Bind>,
}

impl Sql {
    /// Adds a bind and returns its placeholder.
    pub fn bind(&mut self, b: impl Into<Bind>) -> String {
        self.binds.push(b.into());
        format!("${}", self.binds.len())
    }

    pub fn push(&mut self, clause: String) {
        self.clauses.push(clause);
    }

    /// Adds `col = $n`.
    pub fn eq(&mut self, col: &str, value: impl Into<Bind>) {
        let p = self.bind(value);
        self.push(format!("{col} = {p}"));
    }

    pub fn where_clause(&self) -> String {
        if self.clauses.is_empty() {
            "1 = 1".into()
        } else {
            self.clauses.join(" AND ")
        }
    }

    /// The clauses as an assignment list (`a = $1, b = $2`), for an `UPDATE … SET`.
    pub fn set_list(&self) -> String {
        self.clauses.join(", ")
    }

    /// Adds `col IN ($n, …)` over `values`, each bound; no value at all matches nothing.
    /// One query for a whole set instead of one per value.
    pub fn any_of(&mut self, col: &str, values: impl IntoIterator<Item = impl Into<Bind>>) {
        let ps: Vec<String> = values.into_iter().map(|v| self.bind(v)).collect();
        if ps.is_empty() {
            self.push("1 = 0".into());
        } else {
            self.push(format!("{col} IN ({})", ps.join(", ")));
        }
    }

    /// "The path column lies in the subtree whose path is `prefix`."
    pub fn within(&mut self, path_col: &str, prefix: impl AsRef<str>) {
        let p = self.bind(prefix.as_ref());
        self.push(format!("{path_col} LIKE {p} || '%'"));
    }

    /// A substring match on `col`; LIKE wildcards typed by the user are matched literally.
    pub fn contains(&mut self, col: &str, raw: &str) {
        let escaped = raw
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let p = self.bind(format!("%{escaped}%"));
        self.push(format!("{col} LIKE {p} ESCAPE '\\'"));
    }

    /// `COUNT(*)` of `from` under these clauses.
    pub async fn count(&self, db: &Db, from: &str) -> sqlx::Result<i64> {
        let text = format!(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {from} WHERE {}",
            self.where_clause()
        );
        self.query(&text).fetch_one(&db.pool).await?.try_get("n")
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

    /// `sql` with these binds, in order (any further `.bind`s come after them).
    pub fn query<'q>(
        &self,
        sql: &'q str,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        let mut q = sqlx::query(sql);
        for b in &self.binds {
            q = match b {
                Bind::Int(i) => q.bind(*i),
                Bind::Text(s) => q.bind(s.clone()),
                Bind::Null => q.bind(None::<i64>),
            };
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clauses_number_their_binds() {
        let mut sql = Sql::default();
        sql.eq("state", "closed");
        sql.within("path", "/1/4/");
        sql.contains("name", "50%_off");
        assert_eq!(
            sql.where_clause(),
            "state = $1 AND path LIKE $2 || '%' AND name LIKE $3 ESCAPE '\\'"
        );
        assert_eq!(sql.binds[2], Bind::Text("%50\\%\\_off%".into()));
        assert_eq!(Sql::default().where_clause(), "1 = 1");
        let mut set = Sql::default();
        set.eq("lead_unit_id", None::<i64>);
        set.eq("result", "done");
        assert_eq!(set.set_list(), "lead_unit_id = $1, result = $2");
        assert_eq!(set.binds[0], Bind::Null);
        let mut ids = Sql::default();
        ids.eq("kind", "a");
        ids.any_of("id", [7_i64, 9]);
        assert_eq!(ids.where_clause(), "kind = $1 AND id IN ($2, $3)");
        assert_eq!(ids.binds[2], Bind::Int(9));
        let mut none = Sql::default();
        none.any_of("id", Vec::<i64>::new());
        assert_eq!(none.where_clause(), "1 = 0");
    }
}
