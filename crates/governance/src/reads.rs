//! What other modules may read of governance's data (ADR 036). A module never queries
//! `governance_*` tables itself: it calls these functions, which return plain rows and own
//! their SQL. Each answers for many ids in one query where a caller works on many (a list
//! page, matching a need over the whole network), so reading through governance costs no
//! more round trips than the join it replaces. The unit tree and memberships are gov-core's
//! (ADR 022), not listed here.

use crate::network::model::id_list;
use platform::db::Db;
use sqlx::Row;
use std::collections::HashMap;

pub use crate::network::model::{Service, ServiceStatus, Term, find_service, terms};
pub use crate::oversight::reports::{AnnualReport, deadline_of, org_reports};
pub use crate::registry::grades::{Assessment, org_assessments};
pub use crate::registry::model::{Org, find_org, orgs_by_ids};
pub use crate::registry::profiles::{StaffAccount, link_staff, org_staff};

/// Each organisation's latest grade (by assessment date, then id).
pub async fn latest_grades(db: &Db) -> sqlx::Result<HashMap<i64, i64>> {
    let rows =
        sqlx::query("SELECT org_id, grade FROM governance_assessments ORDER BY assessed_on, id")
            .fetch_all(&db.pool)
            .await?;
    let mut out = HashMap::new();
    for r in rows {
        out.insert(r.try_get("org_id")?, r.try_get("grade")?);
    }
    Ok(out)
}

/// Organisations' names by id (unknown ids are left out).
pub async fn org_names(db: &Db, ids: &[i64]) -> sqlx::Result<HashMap<i64, String>> {
    names_in(db, "governance_orgs", ids).await
}

/// Services' names by id.
pub async fn service_names(db: &Db, ids: &[i64]) -> sqlx::Result<HashMap<i64, String>> {
    names_in(db, "governance_services", ids).await
}

async fn names_in(db: &Db, table: &'static str, ids: &[i64]) -> sqlx::Result<HashMap<i64, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let text = format!(
        "SELECT id, name FROM {table} WHERE id IN ({})",
        id_list(ids.iter().copied())
    );
    let rows: Vec<(i64, String)> = sqlx::query_as(&text).fetch_all(&db.pool).await?;
    Ok(rows.into_iter().collect())
}

/// The first organisation registered, if any (demo seeds).
pub async fn first_org(db: &Db) -> sqlx::Result<Option<i64>> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM governance_orgs ORDER BY id LIMIT 1")
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(|r| r.0))
}

/// Categories (taxonomy terms) that no active service offers: (term code, name).
pub async fn uncovered_terms(db: &Db) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as(
        "SELECT t.code, t.name FROM governance_taxonomy_terms t WHERE NOT EXISTS (\
         SELECT 1 FROM governance_service_terms st JOIN governance_services s ON s.id = st.service_id \
         WHERE st.term_id = t.id AND s.status = 'active') ORDER BY t.id",
    )
    .fetch_all(&db.pool)
    .await
}

/// How an account is tied to an organisation in the registries, for conflicts of
/// interest: `org_staff` (its staff), `legal_representative` (the account's display name
/// is its legal representative's), `hub_relation` (staff of its hub or of an organisation
/// it is the hub of), `unit_staff` (a role on the unit it is registered in).
pub async fn ties(db: &Db, user: i64, org: i64) -> sqlx::Result<Vec<&'static str>> {
    let mut out = Vec::new();
    let checks: [(&str, &'static str); 4] = [
        (
            "SELECT 1 FROM governance_org_staff WHERE user_id = $1 AND org_id = $2",
            "org_staff",
        ),
        (
            "SELECT 1 FROM platform_users u JOIN governance_orgs o ON o.legal_rep = u.display_name WHERE u.id = $1 AND o.id = $2",
            "legal_representative",
        ),
        (
            "SELECT 1 FROM governance_org_staff s JOIN governance_orgs mine ON mine.id = s.org_id JOIN governance_orgs o ON o.id = $2 \
             WHERE s.user_id = $1 AND (o.hub_id = mine.id OR mine.hub_id = o.id)",
            "hub_relation",
        ),
        (
            "SELECT 1 FROM governance_memberships m JOIN governance_orgs o ON o.unit_id = m.unit_id WHERE m.user_id = $1 AND o.id = $2",
            "unit_staff",
        ),
    ];
    for (sql, tie) in checks {
        let hit = sqlx::query(sql)
            .bind(user)
            .bind(org)
            .fetch_optional(&db.pool)
            .await?;
        if hit.is_some() {
            out.push(tie);
        }
    }
    Ok(out)
}

/// An active service as matching reads it: its text, provider, place in the unit tree
/// (its own unit, else its organisation's) and the category codes it is tagged with.
#[derive(Clone, Debug)]
pub struct Offer {
    pub service_id: i64,
    pub name: String,
    pub description: String,
    pub eligibility: String,
    pub capacity: Option<i64>,
    pub org_id: Option<i64>,
    pub org_name: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub unit_path: String,
    pub terms: Vec<String>,
}

/// Active services tagged with any of `codes` (all active services when empty), by id, in
/// one query. Codes must come from the taxonomy, never from a request (quotes are
/// dropped all the same).
pub async fn active_offers(db: &Db, codes: &[String]) -> sqlx::Result<Vec<Offer>> {
    let filter = if codes.is_empty() {
        String::new()
    } else {
        let list = codes
            .iter()
            .map(|c| format!("'{}'", c.replace('\'', "")))
            .collect::<Vec<_>>()
            .join(", ");
        format!(" AND t.code IN ({list})")
    };
    let sql = format!(
        "SELECT s.id, s.name, s.description, s.eligibility, s.capacity, s.org_id, \
         COALESCE(o.name, '') AS org_name, u.id AS unit_id, u.name AS unit_name, u.path, t.code \
         FROM governance_services s \
         JOIN governance_service_terms st ON st.service_id = s.id \
         JOIN governance_taxonomy_terms t ON t.id = st.term_id \
         LEFT JOIN governance_orgs o ON o.id = s.org_id \
         JOIN governance_units u ON u.id = COALESCE(s.unit_id, o.unit_id) \
         WHERE s.status = 'active'{filter} ORDER BY s.id"
    );
    let rows = sqlx::query(&sql).fetch_all(&db.pool).await?;
    let mut out: Vec<Offer> = Vec::new();
    for r in rows {
        let id: i64 = r.try_get("id")?;
        let code: String = r.try_get("code")?;
        if let Some(last) = out.last_mut().filter(|o| o.service_id == id) {
            last.terms.push(code);
            continue;
        }
        out.push(Offer {
            service_id: id,
            name: r.try_get("name")?,
            description: r.try_get("description")?,
            eligibility: r.try_get("eligibility")?,
            capacity: r.try_get("capacity")?,
            org_id: r.try_get("org_id")?,
            org_name: r.try_get("org_name")?,
            unit_id: r.try_get("unit_id")?,
            unit_name: r.try_get("unit_name")?,
            unit_path: r.try_get("path")?,
            terms: vec![code],
        });
    }
    Ok(out)
}

/// Opening hours of the places of the given services: service → (weekday, opens, closes).
pub async fn service_hours(
    db: &Db,
    ids: &[i64],
) -> sqlx::Result<HashMap<i64, Vec<(i64, String, String)>>> {
    let mut out: HashMap<i64, Vec<(i64, String, String)>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let sql = format!(
        "SELECT sal.service_id, h.weekday, h.opens, h.closes FROM governance_service_at_location sal \
         JOIN governance_point_hours h ON h.point_id = sal.point_id WHERE sal.service_id IN ({})",
        id_list(ids.iter().copied())
    );
    for r in sqlx::query(&sql).fetch_all(&db.pool).await? {
        out.entry(r.try_get("service_id")?).or_default().push((
            r.try_get("weekday")?,
            r.try_get("opens")?,
            r.try_get("closes")?,
        ));
    }
    Ok(out)
}
