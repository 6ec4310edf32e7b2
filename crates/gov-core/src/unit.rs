//! The unit tree: districts, streets, communities, grids and departments, addressed by
//! materialised paths, and the queries that read it.
//!
//! The tables (`governance_units`, `governance_memberships`) are created by governance's
//! migrations (`crates/governance/migrations/001_governance.sql`); this crate reads and
//! writes them for every G module so that none of them needs all of governance.

use crate::sql::{ScopeFilter, Sql};
use platform::db::Db;
use serde::Serialize;
use sqlx::FromRow;
use std::fmt;

/// The id of a unit in the tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct UnitId(pub i64);

platform::stored_as_int!(UnitId);

impl UnitId {
    /// A path segment or query value that is a positive integer.
    pub fn parse(raw: &str) -> Option<UnitId> {
        raw.trim()
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(UnitId)
    }
}

impl fmt::Display for UnitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A materialised path of unit ids from the root, `/1/4/17/`. Unit X lies within unit Y
/// exactly when Y's path is a prefix of X's.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct UnitPath(String);

impl UnitPath {
    pub fn root(id: UnitId) -> UnitPath {
        UnitPath(format!("/{id}/"))
    }

    pub fn child(&self, id: UnitId) -> UnitPath {
        UnitPath(format!("{}{id}/", self.0))
    }

    /// Only `/` + positive ids separated and ended by `/`.
    pub fn parse(raw: &str) -> Option<UnitPath> {
        let inner = raw.strip_prefix('/')?.strip_suffix('/')?;
        if inner.is_empty() || !inner.split('/').all(|s| UnitId::parse(s).is_some()) {
            return None;
        }
        Some(UnitPath(raw.to_string()))
    }

    /// Whether `other` is this unit or lies below it.
    pub fn contains(&self, other: &UnitPath) -> bool {
        other.0.starts_with(&self.0)
    }

    /// Whether this unit lies strictly below `other`.
    pub fn strictly_below(&self, other: &UnitPath) -> bool {
        self.0.len() > other.0.len() && other.contains(self)
    }

    /// The root (district) this path starts at.
    pub fn root_path(&self) -> UnitPath {
        let first = self.0[1..].split('/').next().unwrap_or("");
        UnitPath(format!("/{first}/"))
    }

    /// Ids from the root down to this unit.
    pub fn ids(&self) -> Vec<UnitId> {
        self.0.split('/').filter_map(UnitId::parse).collect()
    }

    pub fn depth(&self) -> usize {
        self.ids().len()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

platform::vocabulary! {
    UnitKind {
        District = "district", "区", "District";
        Street = "street", "街道", "Street";
        Community = "community", "社区", "Community";
        Grid = "grid", "网格", "Grid";
        Department = "department", "职能部门", "Department";
    }
}

platform::stored_as_text!(UnitPath, UnitPath::parse, |p: &UnitPath| p
    .as_str()
    .to_owned());

impl UnitKind {
    /// The kind a parent of this kind must have (`None`: a root).
    pub fn parent_kind(self) -> Option<UnitKind> {
        match self {
            UnitKind::District => None,
            UnitKind::Street | UnitKind::Department => Some(UnitKind::District),
            UnitKind::Community => Some(UnitKind::Street),
            UnitKind::Grid => Some(UnitKind::Community),
        }
    }
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Unit {
    pub id: UnitId,
    pub parent_id: Option<UnitId>,
    pub path: UnitPath,
    pub kind: UnitKind,
    pub name: String,
    pub code: String,
    pub households: i64,
    pub residents: i64,
    pub party_org_name: String,
    pub party_secretary: String,
    pub party_members: i64,
}

impl Unit {
    /// A unit with its place in the tree and no figures (code `c{id}`): unit tests' tree.
    #[doc(hidden)]
    pub fn bare(id: i64, parent: Option<i64>, path: &str, kind: UnitKind, name: &str) -> Unit {
        Unit {
            id: UnitId(id),
            parent_id: parent.map(UnitId),
            path: UnitPath::parse(path).expect("a unit path such as /1/2/"),
            kind,
            name: name.into(),
            code: format!("c{id}"),
            households: 0,
            residents: 0,
            party_org_name: String::new(),
            party_secretary: String::new(),
            party_members: 0,
        }
    }
}

const UNIT_COLUMNS: &str = "u.id, u.parent_id, u.path, u.kind, u.name, u.code, u.households, u.residents, \
    u.party_org_name, u.party_secretary, u.party_members";

/// The cache epoch group of the unit tree ([`platform::cluster::bump`]): whoever changes a
/// unit bumps it, and whoever caches units clears them when it moves.
pub const UNITS_CHANGED: &str = "governance.units";

pub async fn find_unit(db: &Db, id: UnitId) -> sqlx::Result<Option<Unit>> {
    let sql = format!("SELECT {UNIT_COLUMNS} FROM governance_units u WHERE u.id = $1");
    let row = sqlx::query(&sql)
        .bind(id.0)
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(Unit::from_row).transpose()
}

pub async fn find_unit_by_code(db: &Db, code: &str) -> sqlx::Result<Option<Unit>> {
    let sql = format!("SELECT {UNIT_COLUMNS} FROM governance_units u WHERE u.code = $1");
    let row = sqlx::query(&sql)
        .bind(code.trim())
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(Unit::from_row).transpose()
}

/// Units within the scope, siblings in their display order (`sort`, then id).
pub async fn list_units(db: &Db, scope: &ScopeFilter) -> sqlx::Result<Vec<Unit>> {
    let mut sql = Sql::default();
    scope.apply(&mut sql, "u.path");
    let text = format!(
        "SELECT {UNIT_COLUMNS} FROM governance_units u WHERE {} ORDER BY u.sort, u.id",
        sql.where_clause()
    );
    let rows = sql.query(&text).fetch_all(&db.pool).await?;
    rows.iter().map(Unit::from_row).collect()
}

/// The children of a unit (all within the scope of whoever may see the unit).
pub async fn children(db: &Db, id: UnitId) -> sqlx::Result<Vec<Unit>> {
    let sql = format!(
        "SELECT {UNIT_COLUMNS} FROM governance_units u WHERE u.parent_id = $1 ORDER BY u.sort, u.id"
    );
    let rows = sqlx::query(&sql).bind(id.0).fetch_all(&db.pool).await?;
    rows.iter().map(Unit::from_row).collect()
}

/// The named units (e.g. a unit's ancestors), in the order given, in one query; unknown
/// ids are left out.
pub async fn units_by_ids(db: &Db, ids: &[UnitId]) -> sqlx::Result<Vec<Unit>> {
    let mut found = std::collections::HashMap::with_capacity(ids.len());
    // In chunks, well under every backend's limit of bound values.
    for chunk in ids.chunks(500) {
        let mut sql = Sql::default();
        let marks: Vec<String> = chunk
            .iter()
            .map(|id| sql.bind(crate::sql::Bind::Int(id.0)))
            .collect();
        let q = format!(
            "SELECT {UNIT_COLUMNS} FROM governance_units u WHERE u.id IN ({})",
            marks.join(", ")
        );
        for row in sql.query(&q).fetch_all(&db.pool).await? {
            let unit = Unit::from_row(&row)?;
            found.insert(unit.id, unit);
        }
    }
    // In the order asked, the unknown left out.
    Ok(ids.iter().filter_map(|id| found.get(id).cloned()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_contain_their_subtrees_only() {
        let district = UnitPath::root(UnitId(1));
        let street = district.child(UnitId(4));
        let community = street.child(UnitId(17));
        let other_street = district.child(UnitId(41));
        assert_eq!(community.as_str(), "/1/4/17/");
        assert!(district.contains(&community));
        assert!(street.contains(&community));
        assert!(community.contains(&community));
        assert!(!community.contains(&street));
        // `/1/4/` must not contain `/1/41/`: the trailing slash makes the prefix exact.
        assert!(!street.contains(&other_street));
        assert!(community.strictly_below(&street));
        assert!(!street.strictly_below(&street));
        assert_eq!(community.root_path(), district);
        assert_eq!(community.ids(), vec![UnitId(1), UnitId(4), UnitId(17)]);
        assert_eq!(community.depth(), 3);
    }

    #[test]
    fn paths_are_parsed_strictly() {
        assert!(UnitPath::parse("/1/4/").is_some());
        for bad in [
            "", "/", "//", "1/4/", "/1/4", "/1//4/", "/a/", "/0/", "/-1/",
        ] {
            assert!(UnitPath::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn unit_kinds_nest_in_four_tiers() {
        assert_eq!(UnitKind::District.parent_kind(), None);
        assert_eq!(UnitKind::Department.parent_kind(), Some(UnitKind::District));
        assert_eq!(UnitKind::Grid.parent_kind(), Some(UnitKind::Community));
        for k in UnitKind::ALL {
            assert_eq!(UnitKind::parse(k.as_str()), Some(*k));
        }
        assert_eq!(UnitKind::parse("building"), None);
    }
}
