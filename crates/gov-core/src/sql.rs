//! The scope clauses that keep a list within the subtrees an actor may see, on the
//! platform's SQL builder (re-exported here for the G modules).

use crate::unit::UnitPath;
/// The builder lives in `platform` (every module filters lists with it); G modules keep
/// importing it from here.
pub use platform::db::sql::{Bind, Sql};

/// A unit path is the prefix `Sql::within` matches a path column against.
impl AsRef<str> for UnitPath {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

/// The subtrees an actor may see: `None` for everything (platform admins).
#[derive(Clone, Debug)]
pub struct ScopeFilter(pub Option<Vec<UnitPath>>);

impl ScopeFilter {
    /// Adds "the unit column's path lies in one of the subtrees" to `sql`.
    pub fn apply(&self, sql: &mut Sql, path_col: &str) {
        self.each_root(sql, |p| format!("{path_col} LIKE {p} || '%'"));
    }

    /// Adds "the unit lies in a subtree, or on the way down to one" (its ancestors):
    /// what an actor may see by name, e.g. the hubs that serve their community.
    pub fn apply_reference(&self, sql: &mut Sql, path_col: &str) {
        self.each_root(sql, |p| {
            format!("({path_col} LIKE {p} || '%' OR {p} LIKE {path_col} || '%')")
        });
    }

    /// Adds one clause per subtree root (given its bound placeholder), joined by OR; no
    /// roots match nothing, and `None` (everything) adds no clause.
    fn each_root(&self, sql: &mut Sql, clause: impl Fn(&str) -> String) {
        let Some(roots) = &self.0 else { return };
        if roots.is_empty() {
            sql.push("1 = 0".into());
            return;
        }
        let parts: Vec<String> = roots
            .iter()
            .map(|r| clause(&sql.bind(Bind::Text(r.as_str().to_string()))))
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
