//! Indicators, plans, sheets, values and appeals as stored, and the queries the API and the
//! pages share. Rows are read by column name into the structs (ADR 043).

use crate::score::Direction;
use gov_core::UnitPath;
use platform::db::{Db, Tx};
use sqlx::{FromRow, Row};

#[derive(Clone, Debug, FromRow)]
pub struct Indicator {
    pub id: i64,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub direction: Direction,
    /// Computed from live data (true) or entered with evidence by the unit.
    #[sqlx(try_from = "platform::db::Flag")]
    pub formula: bool,
    pub measure: String,
}

platform::vocabulary! {
    /// Where a year's plan is: self-assessment and review, locked, on public notice, final.
    PlanState {
        Open = "open", "自评审核中", "Self-assessment and review";
        Locked = "locked", "已锁定", "Locked";
        Notice = "notice", "公示中（可申诉）", "On public notice (appeals open)";
        Final = "final", "已定案", "Final";
    }
}

impl PlanState {
    /// On public notice or final: the ranking is public and values are frozen.
    pub fn is_public(self) -> bool {
        matches!(self, PlanState::Notice | PlanState::Final)
    }
}

#[derive(Clone, Debug, FromRow)]
pub struct Plan {
    pub id: i64,
    pub year: i64,
    pub unit_kind: String,
    pub district_id: i64,
    pub district_path: UnitPath,
    pub state: PlanState,
    pub deadline_ms: i64,
    pub appeal_until_ms: Option<i64>,
}

#[derive(Clone, Debug, FromRow)]
pub struct Item {
    #[sqlx(flatten)]
    pub indicator: Indicator,
    pub weight: f64,
    pub target: f64,
}

#[derive(Clone, Debug, FromRow)]
pub struct Sheet {
    pub id: i64,
    pub plan_id: i64,
    pub unit_id: i64,
    pub unit_path: UnitPath,
    pub unit_name: String,
    /// 'open', 'submitted', 'reviewed' or 'approved'.
    pub state: String,
    pub deduction: f64,
    pub deduction_reason: String,
}

#[derive(Clone, Debug, Default)]
pub struct Value {
    pub value: Option<f64>,
    pub evidence: String,
    pub sources: Vec<String>,
    pub frozen: bool,
}

/// The indicator columns [`Indicator`] reads, of `assess_indicators i`.
const IND: &str = "i.id AS id, i.code AS code, i.name_zh AS name_zh, i.name_en AS name_en, \
     i.direction AS direction, CASE WHEN i.kind = 'formula' THEN 1 ELSE 0 END AS formula, \
     i.measure AS measure";

pub async fn indicators(db: &Db) -> sqlx::Result<Vec<Indicator>> {
    let q = format!("SELECT {IND} FROM assess_indicators i ORDER BY i.id");
    sqlx::query_as(&q).fetch_all(&db.pool).await
}

const PLAN: &str = "SELECT id, year, unit_kind, district_id, district_path, state, deadline_ms, \
     appeal_until_ms FROM assess_plans";

/// The plans of a year for a kind of unit, oldest first (one per district).
pub async fn plans_of_year(db: &Db, year: i64, kind: &str) -> sqlx::Result<Vec<Plan>> {
    let q = format!("{PLAN} WHERE year = $1 AND unit_kind = $2 ORDER BY id");
    sqlx::query_as(&q)
        .bind(year)
        .bind(kind)
        .fetch_all(&db.pool)
        .await
}

/// Plans still in self-assessment and review.
pub async fn open_plans(db: &Db) -> sqlx::Result<Vec<Plan>> {
    let q = format!("{PLAN} WHERE state = 'open' ORDER BY deadline_ms, id");
    sqlx::query_as(&q).fetch_all(&db.pool).await
}

/// Years with a plan for communities, latest first.
pub async fn plan_years(db: &Db) -> sqlx::Result<Vec<i64>> {
    let rows = sqlx::query(
        "SELECT DISTINCT year FROM assess_plans WHERE unit_kind = 'community' ORDER BY year DESC",
    )
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(|r| r.try_get("year")).collect()
}

pub async fn find_plan(db: &Db, id: i64) -> sqlx::Result<Option<Plan>> {
    let q = format!("{PLAN} WHERE id = $1");
    sqlx::query_as(&q).bind(id).fetch_optional(&db.pool).await
}

pub async fn items(db: &Db, plan_id: i64) -> sqlx::Result<Vec<Item>> {
    let q = format!(
        "SELECT {IND}, p.weight AS weight, p.target AS target FROM assess_plan_items p \
         JOIN assess_indicators i ON i.id = p.indicator_id WHERE p.plan_id = $1 ORDER BY i.id"
    );
    sqlx::query_as(&q).bind(plan_id).fetch_all(&db.pool).await
}

const SHEET: &str = "SELECT id, plan_id, unit_id, unit_path, unit_name, state, deduction, \
     deduction_reason FROM assess_sheets";

pub async fn sheets(db: &Db, plan_id: i64) -> sqlx::Result<Vec<Sheet>> {
    let q = format!("{SHEET} WHERE plan_id = $1 ORDER BY id");
    sqlx::query_as(&q).bind(plan_id).fetch_all(&db.pool).await
}

pub async fn find_sheet(db: &Db, plan_id: i64, unit_id: i64) -> sqlx::Result<Option<Sheet>> {
    let q = format!("{SHEET} WHERE plan_id = $1 AND unit_id = $2");
    sqlx::query_as(&q)
        .bind(plan_id)
        .bind(unit_id)
        .fetch_optional(&db.pool)
        .await
}

/// A stored value as read: `sources` is a JSON array of texts, parsed by [`values`] (the
/// one column here that needs more than a decode).
#[derive(FromRow)]
struct StoredValue {
    indicator_id: i64,
    value: Option<f64>,
    evidence: String,
    sources: String,
    #[sqlx(try_from = "platform::db::Flag")]
    frozen: bool,
}

/// The stored values of a sheet by indicator id.
pub async fn values(db: &Db, sheet_id: i64) -> sqlx::Result<Vec<(i64, Value)>> {
    let stored: Vec<StoredValue> = sqlx::query_as(
        "SELECT indicator_id, value, evidence, sources, frozen FROM assess_values \
         WHERE sheet_id = $1",
    )
    .bind(sheet_id)
    .fetch_all(&db.pool)
    .await?;
    stored
        .into_iter()
        .map(|v| {
            let sources = serde_json::from_str(&v.sources)
                .map_err(|_| sqlx::Error::Decode("assess: bad sources".into()))?;
            Ok((
                v.indicator_id,
                Value {
                    value: v.value,
                    evidence: v.evidence,
                    sources,
                    frozen: v.frozen,
                },
            ))
        })
        .collect()
}

/// Writes (or replaces) one value of a sheet.
pub async fn put_value(
    tx: &mut Tx,
    sheet_id: i64,
    indicator_id: i64,
    v: &Value,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM assess_values WHERE sheet_id = $1 AND indicator_id = $2")
        .bind(sheet_id)
        .bind(indicator_id)
        .execute(&mut **tx)
        .await?;
    // A missing value is never bound as a NULL f64: sqlx 0.8.6's Any driver sends that as a
    // float4 NULL (its Real and Double arms are swapped), PostgreSQL keeps float4 for the
    // parameter in that connection's cached statement, and the next number then fails with
    // "incorrect binary data format". A number is always bound, and $8 says whether it counts.
    sqlx::query(
        "INSERT INTO assess_values (sheet_id, indicator_id, value, evidence, sources, frozen, \
         updated_ms) VALUES ($1, $2, CASE WHEN $8 = 1 THEN $3 END, $4, $5, $6, $7)",
    )
    .bind(sheet_id)
    .bind(indicator_id)
    .bind(v.value.unwrap_or(0.0))
    .bind(&v.evidence)
    .bind(serde_json::to_string(&v.sources).unwrap_or_else(|_| "[]".into()))
    .bind(i64::from(v.frozen))
    .bind(now)
    .bind(i64::from(v.value.is_some()))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn set_sheet_state(tx: &mut Tx, sheet_id: i64, to: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE assess_sheets SET state = $1 WHERE id = $2")
        .bind(to)
        .bind(sheet_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn set_plan_state(
    tx: &mut Tx,
    plan_id: i64,
    to: PlanState,
    appeal_until_ms: Option<i64>,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE assess_plans SET state = $1, appeal_until_ms = COALESCE($2, appeal_until_ms), \
         updated_ms = $3 WHERE id = $4",
    )
    .bind(to.as_str())
    .bind(appeal_until_ms)
    .bind(now)
    .bind(plan_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[derive(Clone, Debug, FromRow)]
pub struct Appeal {
    pub id: i64,
    pub sheet_id: i64,
    pub indicator_id: i64,
    pub reason: String,
    pub state: String,
    pub decision: String,
}

const APPEAL: &str =
    "SELECT id, sheet_id, indicator_id, reason, state, decision FROM assess_appeals";

pub async fn appeals(db: &Db, sheet_id: i64) -> sqlx::Result<Vec<Appeal>> {
    let q = format!("{APPEAL} WHERE sheet_id = $1 ORDER BY id");
    sqlx::query_as(&q).bind(sheet_id).fetch_all(&db.pool).await
}

pub async fn find_appeal(db: &Db, id: i64) -> sqlx::Result<Option<Appeal>> {
    let q = format!("{APPEAL} WHERE id = $1");
    sqlx::query_as(&q).bind(id).fetch_optional(&db.pool).await
}

/// Appeals of a plan not yet decided.
pub async fn open_appeals(db: &Db, plan_id: i64) -> sqlx::Result<i64> {
    sqlx::query(
        "SELECT COUNT(*) AS n FROM assess_appeals a JOIN assess_sheets s ON s.id = a.sheet_id \
         WHERE s.plan_id = $1 AND a.state = 'open'",
    )
    .bind(plan_id)
    .fetch_one(&db.pool)
    .await?
    .try_get("n")
}

pub async fn find_sheet_by_id(db: &Db, id: i64) -> sqlx::Result<Option<Sheet>> {
    let q = format!("{SHEET} WHERE id = $1");
    sqlx::query_as(&q).bind(id).fetch_optional(&db.pool).await
}
