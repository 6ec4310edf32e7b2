//! Needs and referrals as stored, and the words for their states. A need's state follows
//! its referrals: `open` until one is sent, `referred` while one is live, `met` once one is
//! completed, `unmet` when nothing matched or every referral ended without help.

use crate::error::{NeedError, NeedResult};
use platform::db::sql::{Bind, Sql};
use platform::db::{Db, Tx};
use platform::web::Code;
use platform::web::Lang;
use serde::Serialize;
use sqlx::FromRow;
use sqlx::any::AnyRow;
use std::collections::HashMap;

pub const URGENCIES: [&str; 3] = ["low", "normal", "high"];
pub const RAISER_KINDS: [&str; 5] = [
    "resident",
    "grid_worker",
    "community",
    "unit",
    "organisation",
];

pub fn urgency_label(u: &str, lang: Lang) -> &'static str {
    match u {
        "low" => lang.pick("不急", "Low"),
        "high" => lang.pick("紧急", "High"),
        _ => lang.pick("一般", "Normal"),
    }
}

pub fn need_state_label(s: &str, lang: Lang) -> &'static str {
    match s {
        "open" => lang.pick("待对接", "Open"),
        "referred" => lang.pick("已转介", "Referred"),
        "met" => lang.pick("已满足", "Met"),
        _ => lang.pick("未满足", "Unmet"),
    }
}

pub fn raiser_label(k: &str, lang: Lang) -> &'static str {
    match k {
        "grid_worker" => lang.pick("网格员", "Grid worker"),
        "community" => lang.pick("社区", "Community"),
        "unit" => lang.pick("单位", "Unit"),
        "organisation" => lang.pick("社会组织", "Organisation"),
        _ => lang.pick("居民", "Resident"),
    }
}

#[derive(Clone, Debug, Serialize, FromRow)]
pub struct Need {
    pub id: i64,
    pub title: String,
    pub description: String,
    /// The taxonomy code chosen when the need was raised ('' = none).
    pub category: String,
    /// The code the analyzer read from the words (used when `category` is empty).
    pub inferred_category: String,
    pub unit_id: i64,
    /// Filled from gov-core after the read (see [`needs_from_rows`]).
    #[sqlx(skip)]
    pub unit_name: String,
    #[serde(skip)]
    pub unit_path: String,
    pub address: String,
    pub people: i64,
    /// Who it is for (name, phone): personal data, within scope only.
    #[serde(skip)]
    pub subject: String,
    pub urgency: String,
    pub wanted_at: Option<i64>,
    pub raiser_kind: String,
    #[serde(skip)]
    pub raised_by: i64,
    #[sqlx(try_from = "platform::db::Flag")]
    pub consent: bool,
    pub state: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Need {
    /// The category matching works with: the chosen one, else the one read from the words.
    pub fn effective_category(&self) -> &str {
        if self.category.is_empty() {
            &self.inferred_category
        } else {
            &self.category
        }
    }
}

pub const NEED_COLUMNS: &str = "n.id, n.title, n.description, n.category, n.inferred_category, n.unit_id, \
    n.unit_path, n.address, n.people, n.subject, n.urgency, n.wanted_at, n.raiser_kind, \
    n.raised_by, n.consent, n.state, n.created_at, n.updated_at";
pub const NEED_FROM: &str = "needs_needs n";

/// Needs read from rows of [`NEED_COLUMNS`], with their units' names (from gov-core).
pub async fn needs_from_rows(db: &Db, rows: &[AnyRow]) -> sqlx::Result<Vec<Need>> {
    let mut needs: Vec<Need> = rows
        .iter()
        .map(Need::from_row)
        .collect::<sqlx::Result<_>>()?;
    let names = unit_names(db, needs.iter().map(|n| n.unit_id)).await?;
    for n in &mut needs {
        n.unit_name = names.get(&n.unit_id).cloned().unwrap_or_default();
    }
    Ok(needs)
}

/// Units' names by id, in one query (the unit tree is gov-core's).
pub async fn unit_names(
    db: &Db,
    ids: impl Iterator<Item = i64>,
) -> sqlx::Result<HashMap<i64, String>> {
    let mut ids: Vec<gov_core::UnitId> = ids.map(gov_core::UnitId).collect();
    ids.sort();
    ids.dedup();
    Ok(gov_core::units_by_ids(db, &ids)
        .await?
        .into_iter()
        .map(|u| (u.id.0, u.name))
        .collect())
}

pub async fn find_need(db: &Db, id: i64) -> sqlx::Result<Option<Need>> {
    let sql = format!("SELECT {NEED_COLUMNS} FROM {NEED_FROM} WHERE n.id = $1");
    let rows = sqlx::query(&sql).bind(id).fetch_all(&db.pool).await?;
    Ok(needs_from_rows(db, &rows).await?.pop())
}

/// A referral as stored; the names and the unit's path come from governance and gov-core
/// after the read (see `referrals_by`).
#[derive(Clone, Debug, Serialize, FromRow)]
pub struct Referral {
    pub id: i64,
    pub need_id: i64,
    pub service_id: i64,
    #[sqlx(skip)]
    pub service_name: String,
    #[sqlx(rename = "org_id")]
    pub organization_id: Option<i64>,
    #[sqlx(skip)]
    pub organization_name: String,
    /// The unit offering the service itself (services without an organisation).
    #[serde(skip)]
    #[sqlx(skip)]
    pub service_unit_path: String,
    #[serde(skip)]
    pub referrer_id: i64,
    pub state: String,
    pub reason: String,
    #[sqlx(try_from = "platform::db::Flag")]
    pub waitlist: bool,
    pub expected_wait_days: i64,
    pub outcome: String,
    pub feedback_rating: Option<i64>,
    pub feedback_text: String,
    pub created_at: i64,
    pub changed_at: i64,
}

const REFERRAL_SELECT: &str = "SELECT r.id, r.need_id, r.service_id, r.org_id, r.service_unit_id, r.referrer_id, \
    r.state, r.reason, r.waitlist, r.expected_wait_days, r.outcome, r.feedback_rating, r.feedback_text, \
    r.created_at, r.changed_at FROM needs_referrals r";

#[derive(FromRow)]
struct WithUnit {
    #[sqlx(flatten)]
    referral: Referral,
    /// The unit of its service, if the service belongs to a unit itself.
    service_unit_id: Option<i64>,
}

/// The referrals `sql` finds for `id`, with the names of their services and organisations
/// (governance's) and the path of a unit offering its service itself (gov-core's), in three
/// more queries. A referral whose service is gone is left out.
async fn referrals_by(db: &Db, sql: &str, id: i64) -> sqlx::Result<Vec<Referral>> {
    let mut refs: Vec<WithUnit> = sqlx::query_as(sql).bind(id).fetch_all(&db.pool).await?;
    let ids = |f: &dyn Fn(&WithUnit) -> Option<i64>| -> Vec<i64> {
        let mut v: Vec<i64> = refs.iter().filter_map(f).collect();
        v.sort();
        v.dedup();
        v
    };
    let services =
        governance::reads::service_names(db, &ids(&|r| Some(r.referral.service_id))).await?;
    let orgs = governance::reads::org_names(db, &ids(&|r| r.referral.organization_id)).await?;
    let units: Vec<gov_core::UnitId> = ids(&|r| r.service_unit_id)
        .into_iter()
        .map(gov_core::UnitId)
        .collect();
    let paths: HashMap<i64, String> = gov_core::units_by_ids(db, &units)
        .await?
        .into_iter()
        .map(|u| (u.id.0, u.path.as_str().to_string()))
        .collect();
    refs.retain(|w| services.contains_key(&w.referral.service_id));
    Ok(refs
        .into_iter()
        .map(|w| {
            let (mut r, unit) = (w.referral, w.service_unit_id);
            r.service_name = services[&r.service_id].clone();
            r.organization_name = r
                .organization_id
                .and_then(|o| orgs.get(&o).cloned())
                .unwrap_or_default();
            r.service_unit_path = unit
                .and_then(|u| paths.get(&u).cloned())
                .unwrap_or_default();
            r
        })
        .collect())
}

pub async fn find_referral(db: &Db, id: i64) -> sqlx::Result<Option<Referral>> {
    let sql = format!("{REFERRAL_SELECT} WHERE r.id = $1");
    Ok(referrals_by(db, &sql, id).await?.pop())
}

pub async fn referrals_of(db: &Db, need_id: i64) -> sqlx::Result<Vec<Referral>> {
    let sql = format!("{REFERRAL_SELECT} WHERE r.need_id = $1 ORDER BY r.id");
    referrals_by(db, &sql, need_id).await
}

/// One step in a referral's history.
#[derive(Clone, Debug, Serialize, FromRow)]
pub struct Event {
    pub at: i64,
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub note: String,
}

pub async fn events_of(db: &Db, referral_id: i64) -> sqlx::Result<Vec<Event>> {
    let sql = "SELECT at, action, from_state, to_state, note FROM needs_referral_events \
         WHERE referral_id = $1 ORDER BY at, id";
    sqlx::query_as(sql)
        .bind(referral_id)
        .fetch_all(&db.pool)
        .await
}

/// Refuses a second record where there is one per key: 409 `conflict` with `why` when
/// `table` has a row with every (column, value) of `key`, read in the step's transaction.
pub async fn only_one(
    tx: &mut Tx,
    table: &str,
    key: [(&str, Bind); 2],
    why: &'static str,
) -> NeedResult<()> {
    let mut sql = Sql::default();
    for (col, value) in key {
        sql.eq(col, value);
    }
    let text = format!("SELECT id FROM {table} WHERE {}", sql.where_clause());
    if sql.query(&text).fetch_optional(&mut **tx).await?.is_some() {
        return Err(NeedError::coded(Code::Conflict, why));
    }
    Ok(())
}
