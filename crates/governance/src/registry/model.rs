//! Organisations as stored, their domain types, and the queries that read them. Every
//! list query here takes the actor's scope as a [`ScopeFilter`]. The unit tree, roles and
//! the SQL builder live in `gov_core` (shared with the other G modules).

use crate::credit::CreditCode;
use crate::listing::Listing;
use gov_core::{Bind, ScopeFilter, Sql, Unit, UnitId, UnitKind, UnitPath};
use platform::db::Db;
use platform::web::Lang;
use serde::Serialize;
use sqlx::{FromRow, Row};
use std::marker::PhantomData;

platform::vocabulary! {
    OrgType {
        SocialGroup = "social_group", "社会团体", "Social group";
        SocialServiceAgency = "social_service_agency", "社会服务机构（民办非企业单位）", "Social service agency";
        Foundation = "foundation", "基金会", "Foundation";
    }
}

platform::vocabulary! {
    /// The place of an organisation in the "1+5+X" hub model.
    HubRole {
        /// The "1": the district's social-organisation federation (at most one per district).
        Federation = "federation", "社会组织联合会（1）", "Federation (1)";
        /// One of the "5": a hub organisation.
        Hub = "hub", "枢纽型社会组织（5）", "Hub organisation (5)";
        /// One of the "X": a member organisation attached to a hub.
        Member = "member", "会员组织（X）", "Member organisation (X)";
    }
}

/// The fixed vocabulary of service fields (服务领域).
pub const SERVICE_FIELDS: &[(&str, &str, &str)] = &[
    ("elderly", "养老服务", "Elderly care"),
    ("children", "儿童青少年", "Children and youth"),
    ("disability", "助残服务", "Disability support"),
    ("community", "社区建设", "Community building"),
    ("culture", "文体活动", "Culture and sports"),
    ("education", "教育培训", "Education and training"),
    ("health", "医疗健康", "Health"),
    ("legal", "法律援助", "Legal aid"),
    ("relief", "扶贫济困", "Relief"),
    ("environment", "环境保护", "Environment"),
    ("volunteering", "志愿服务", "Volunteering"),
    ("mediation", "矛盾调解", "Mediation"),
    ("employment", "就业创业", "Employment"),
];

pub fn field_label(code: &str, lang: Lang) -> String {
    SERVICE_FIELDS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, zh, en)| lang.pick(zh, en).to_string())
        .unwrap_or_else(|| code.to_string())
}

pub fn is_field(code: &str) -> bool {
    SERVICE_FIELDS.iter().any(|(c, _, _)| *c == code)
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct StaffProfile {
    #[sqlx(rename = "staff_count")]
    pub count: i64,
    #[sqlx(rename = "staff_under_35")]
    pub under_35: i64,
    #[sqlx(rename = "staff_35_to_54")]
    pub from_35_to_54: i64,
    #[sqlx(rename = "staff_55_plus")]
    pub from_55: i64,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Org {
    pub id: i64,
    pub name: String,
    pub credit_code: String,
    pub org_type: OrgType,
    pub registered_on: String,
    pub legal_rep: String,
    pub address: String,
    pub unit_id: UnitId,
    pub unit_name: String,
    #[serde(skip)]
    pub unit_path: UnitPath,
    #[sqlx(skip)]
    pub service_fields: Vec<String>,
    #[sqlx(flatten)]
    pub staff: StaffProfile,
    pub volunteers: i64,
    pub contact_phone: String,
    pub hub_role: HubRole,
    pub hub_id: Option<i64>,
    pub hub_name: Option<String>,
    #[sqlx(try_from = "platform::db::Flag")]
    pub brand: bool,
    pub leading_figure: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const ORG_COLUMNS: &str = "o.id, o.name, o.credit_code, o.org_type, o.registered_on, o.legal_rep, o.address, \
    o.unit_id, u.name AS unit_name, u.path AS unit_path, o.staff_count, o.staff_under_35, o.staff_35_to_54, o.staff_55_plus, \
    o.volunteers, o.contact_phone, o.hub_role, o.hub_id, h.name AS hub_name, o.brand, o.leading_figure, \
    o.created_at, o.updated_at";

const ORG_FROM: &str = "governance_orgs o JOIN governance_units u ON u.id = o.unit_id \
    LEFT JOIN governance_orgs h ON h.id = o.hub_id";

/// An organisation by id, whoever may see it (callers authorise against `unit_path`).
const ORGS: Listing<Org> = Listing {
    columns: ORG_COLUMNS,
    from: ORG_FROM,
    id: "o.id",
    record: PhantomData,
};

pub async fn find_org(db: &Db, id: i64) -> sqlx::Result<Option<Org>> {
    let Some(mut org) = ORGS.by_id(db, id).await? else {
        return Ok(None);
    };
    org.service_fields = org_fields(db, id).await?;
    Ok(Some(org))
}

/// Organisations by id (service fields left empty), one query; unknown ids are skipped.
pub async fn orgs_by_ids(db: &Db, ids: &[i64]) -> sqlx::Result<Vec<Org>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = crate::network::model::id_list(ids.iter().copied());
    let text = format!("SELECT {ORG_COLUMNS} FROM {ORG_FROM} WHERE o.id IN ({list}) ORDER BY o.id");
    let rows = sqlx::query(&text).fetch_all(&db.pool).await?;
    rows.iter().map(Org::from_row).collect()
}

pub async fn org_fields(db: &Db, id: i64) -> sqlx::Result<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT field FROM governance_org_fields WHERE org_id = $1 ORDER BY field")
            .bind(id)
            .fetch_all(&db.pool)
            .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Directory filters; every one is optional and they combine with AND.
#[derive(Clone, Debug, Default)]
pub struct OrgFilter {
    pub org_type: Option<OrgType>,
    pub hub_role: Option<HubRole>,
    pub hub_id: Option<i64>,
    pub field: Option<String>,
    /// The subtree of this unit (already authorised by the caller).
    pub unit: Option<UnitPath>,
    /// Words to find (segmented with the platform's Chinese analyzer; see [`search_rank`]).
    pub name: Option<String>,
    pub brand: bool,
    /// A current (unexpired on `today`) grade, 1–5.
    pub grade: Option<i64>,
    /// `YYYY-MM-DD`, for the grade filter.
    pub today: String,
}

fn org_where(scope: &ScopeFilter, f: &OrgFilter) -> Sql {
    let mut sql = Sql::default();
    scope.apply(&mut sql, "u.path");
    if let Some(t) = f.org_type {
        let p = sql.bind(Bind::Text(t.as_str().into()));
        sql.push(format!("o.org_type = {p}"));
    }
    if let Some(r) = f.hub_role {
        let p = sql.bind(Bind::Text(r.as_str().into()));
        sql.push(format!("o.hub_role = {p}"));
    }
    if let Some(h) = f.hub_id {
        let p = sql.bind(Bind::Int(h));
        sql.push(format!("(o.hub_id = {p} OR o.id = {p})"));
    }
    if let Some(field) = &f.field {
        let p = sql.bind(Bind::Text(field.clone()));
        sql.push(format!(
            "EXISTS (SELECT 1 FROM governance_org_fields ff WHERE ff.org_id = o.id AND ff.field = {p})"
        ));
    }
    if let Some(unit) = &f.unit {
        sql.within("u.path", unit);
    }
    if f.brand {
        sql.push("o.brand = 1".into());
    }
    if let Some(g) = f.grade {
        // The latest assessment has this grade and has not lapsed.
        let g = sql.bind(Bind::Int(g));
        let t = sql.bind(Bind::Text(f.today.clone()));
        sql.push(format!(
            "EXISTS (SELECT 1 FROM governance_assessments a WHERE a.org_id = o.id AND a.grade = {g} \
             AND a.valid_until > {t} AND NOT EXISTS (SELECT 1 FROM governance_assessments b \
             WHERE b.org_id = o.id AND (b.assessed_on > a.assessed_on OR (b.assessed_on = a.assessed_on AND b.id > a.id))))"
        ));
    }
    sql
}

fn words_of(f: &OrgFilter) -> Option<Vec<String>> {
    let q = f.name.as_deref().map(str::trim).filter(|n| !n.is_empty())?;
    let words = platform::search::query_words(q);
    Some(if words.is_empty() {
        vec![platform::search::fold(q).to_lowercase()]
    } else {
        words
    })
}

/// How well an organisation matches the query words (segmented by jieba, like the
/// library's search): every word must occur in its name, address, legal representative,
/// home unit, credit code, leading figure or service fields (the hub is a filter); words in the name weigh most.
/// `None`: no match.
pub fn search_rank(o: &Org, words: &[String], whole: &str) -> Option<i64> {
    let norm = |t: &str| platform::search::fold(t).to_lowercase();
    let name = norm(&o.name);
    let mut rest = vec![
        o.address.clone(),
        o.legal_rep.clone(),
        o.unit_name.clone(),
        o.credit_code.clone(),
        o.leading_figure.clone(),
    ];
    for f in &o.service_fields {
        rest.push(field_label(f, Lang::Zh));
        rest.push(field_label(f, Lang::En));
    }
    let rest = norm(&rest.join(" "));
    let mut score = 0;
    for w in words {
        match (name.contains(w.as_str()), rest.contains(w.as_str())) {
            (true, _) => score += 3,
            (false, true) => score += 1,
            (false, false) => return None,
        }
    }
    if name.contains(&norm(whole)) {
        score += 5;
    }
    Some(score)
}

/// The matching organisations of a word search within the scope, best first.
async fn search_orgs(
    db: &Db,
    scope: &ScopeFilter,
    f: &OrgFilter,
    words: &[String],
) -> sqlx::Result<Vec<Org>> {
    let whole = f.name.clone().unwrap_or_default();
    let rest = OrgFilter {
        name: None,
        ..f.clone()
    };
    let all = list_orgs_sql(db, scope, &rest, 1_000_000, 0).await?;
    let mut hits: Vec<(i64, Org)> = all
        .into_iter()
        .filter_map(|o| search_rank(&o, words, whole.trim()).map(|s| (s, o)))
        .collect();
    // Stable: equal scores keep the directory order (federation, hubs, then by name).
    hits.sort_by_key(|h| std::cmp::Reverse(h.0));
    Ok(hits.into_iter().map(|(_, o)| o).collect())
}

pub async fn count_orgs(db: &Db, scope: &ScopeFilter, f: &OrgFilter) -> sqlx::Result<i64> {
    if let Some(words) = words_of(f) {
        return Ok(search_orgs(db, scope, f, &words).await?.len() as i64);
    }
    org_where(scope, f).count(db, ORG_FROM).await
}

/// One page of the directory, federation and hubs first, then by name.
pub async fn list_orgs(
    db: &Db,
    scope: &ScopeFilter,
    f: &OrgFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Org>> {
    if let Some(words) = words_of(f) {
        let hits = search_orgs(db, scope, f, &words).await?;
        return Ok(hits
            .into_iter()
            .skip(offset.max(0) as usize)
            .take(limit.max(0) as usize)
            .collect());
    }
    list_orgs_sql(db, scope, f, limit, offset).await
}

/// One page of the directory by the SQL filters alone (no word search).
async fn list_orgs_sql(
    db: &Db,
    scope: &ScopeFilter,
    f: &OrgFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Org>> {
    let order =
        "CASE o.hub_role WHEN 'federation' THEN 0 WHEN 'hub' THEN 1 ELSE 2 END, o.name, o.id";
    let mut orgs = ORGS
        .page(db, &org_where(scope, f), order, limit, offset)
        .await?;
    attach_fields(db, &mut orgs).await?;
    Ok(orgs)
}

async fn attach_fields(db: &Db, orgs: &mut [Org]) -> sqlx::Result<()> {
    if orgs.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = orgs.iter().map(|o| o.id.to_string()).collect();
    // Ids are integers we read ourselves, so inlining them is safe.
    let text = format!(
        "SELECT org_id, field FROM governance_org_fields WHERE org_id IN ({}) ORDER BY field",
        ids.join(",")
    );
    let rows: Vec<(i64, String)> = sqlx::query_as(&text).fetch_all(&db.pool).await?;
    for (id, field) in rows {
        if let Some(o) = orgs.iter_mut().find(|o| o.id == id) {
            o.service_fields.push(field);
        }
    }
    Ok(())
}

/// A federation or hub, as a name others may pick or see.
#[derive(Clone, Debug, Serialize)]
pub struct HubRef {
    pub id: i64,
    pub name: String,
    pub hub_role: HubRole,
    pub unit_id: UnitId,
    #[serde(skip)]
    pub unit_path: UnitPath,
}

/// Federations and hubs an actor may see by name (in their subtrees or above them).
pub async fn hub_refs(db: &Db, scope: &ScopeFilter) -> sqlx::Result<Vec<HubRef>> {
    let mut sql = Sql::default();
    scope.apply_reference(&mut sql, "u.path");
    sql.push("o.hub_role IN ('federation', 'hub')".into());
    let text = format!(
        "SELECT o.id, o.name, o.hub_role, o.unit_id, u.path AS unit_path FROM governance_orgs o \
         JOIN governance_units u ON u.id = o.unit_id WHERE {} \
         ORDER BY CASE o.hub_role WHEN 'federation' THEN 0 ELSE 1 END, o.id",
        sql.where_clause()
    );
    let rows = sql.query(&text).fetch_all(&db.pool).await?;
    let mut out = Vec::new();
    for row in rows {
        let role: String = row.try_get("hub_role")?;
        let path: String = row.try_get("unit_path")?;
        let (Some(hub_role), Some(unit_path)) = (HubRole::parse(&role), UnitPath::parse(&path))
        else {
            continue;
        };
        out.push(HubRef {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            hub_role,
            unit_id: UnitId(row.try_get("unit_id")?),
            unit_path,
        });
    }
    Ok(out)
}

/// Organisations within the scope (and matching `only`, if given), counted by `key`.
async fn counts_by(
    db: &Db,
    scope: &ScopeFilter,
    key: &str,
    only: Option<&str>,
) -> sqlx::Result<Vec<(Option<i64>, i64)>> {
    let mut sql = Sql::default();
    scope.apply(&mut sql, "u.path");
    if let Some(clause) = only {
        sql.push(clause.into());
    }
    let text = format!(
        "SELECT {key} AS k, COUNT(*) AS n FROM governance_orgs o \
         JOIN governance_units u ON u.id = o.unit_id WHERE {} GROUP BY {key}",
        sql.where_clause()
    );
    let rows = sql.query(&text).fetch_all(&db.pool).await?;
    rows.iter()
        .map(|r| Ok((r.try_get("k")?, r.try_get("n")?)))
        .collect()
}

/// Per hub: how many member organisations within the scope are attached to it.
pub async fn member_counts(db: &Db, scope: &ScopeFilter) -> sqlx::Result<Vec<(i64, i64)>> {
    let counts = counts_by(db, scope, "o.hub_id", Some("o.hub_role = 'member'")).await?;
    Ok(counts
        .into_iter()
        .map(|(h, n)| (h.unwrap_or(0), n))
        .collect())
}

/// Organisations homed directly at each unit within the scope.
pub async fn org_counts_by_unit(db: &Db, scope: &ScopeFilter) -> sqlx::Result<Vec<(UnitId, i64)>> {
    let counts = counts_by(db, scope, "o.unit_id", None).await?;
    Ok(counts
        .into_iter()
        .map(|(u, n)| (UnitId(u.unwrap_or(0)), n))
        .collect())
}

/// The validated content of an organisation record (create and update).
#[derive(Clone, Debug)]
pub struct OrgDraft {
    pub name: String,
    pub credit_code: CreditCode,
    pub org_type: OrgType,
    pub registered_on: String,
    pub legal_rep: String,
    pub address: String,
    pub unit_id: UnitId,
    pub service_fields: Vec<String>,
    pub staff: StaffProfile,
    pub volunteers: i64,
    pub contact_phone: String,
    pub hub_role: HubRole,
    pub hub_id: Option<i64>,
    pub brand: bool,
    pub leading_figure: String,
}

/// Organisations per 10,000 residents, one decimal.
pub fn per_10k(orgs: i64, residents: i64) -> String {
    if residents <= 0 {
        return "—".into();
    }
    format!("{:.1}", orgs as f64 * 10_000.0 / residents as f64)
}

/// Orgs per unit including everything below it.
/// Organisations of units that have residents behind them: those registered under a
/// department (a unit without population) are left out of per-10,000 figures, where they
/// would raise the density of an area they do not live in.
pub(crate) fn orgs_among_residents(units: &[Unit], direct: &[(UnitId, i64)]) -> i64 {
    let department = |id: UnitId| {
        units
            .iter()
            .any(|u| u.id == id && u.kind == UnitKind::Department)
    };
    direct
        .iter()
        .filter(|(unit_id, _)| {
            units
                .iter()
                .find(|u| u.id == *unit_id)
                .is_some_and(|u| !u.path.ids().into_iter().any(department))
        })
        .map(|(_, n)| n)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn density_per_10k() {
        assert_eq!(per_10k(300, 210_000), "14.3");
        assert_eq!(per_10k(3, 0), "—");
    }
}
