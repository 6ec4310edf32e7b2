//! Government-purchased service projects, the money part (issue 14): a call with a budget
//! in fen, contracts awarded under it with their milestones, each milestone's status
//! (`scheduled → met | partiallyMet | notMet`), and instalments paid only on met milestones.
//!
//! The budget is kept by conditional UPDATEs on the call's row (committed and paid sums
//! never pass the budget, whichever database and however many requests race), and every
//! instalment is written twice in the ledger — the call's budget credited, the contract's
//! expense debited — so the books balance per call.

use crate::authz::{Action, Target, authorize};
use crate::error::{NeedError, NeedResult};
use crate::matching;
use gov_core::{GovActor, UnitId, find_unit};
use platform::AppState;
use platform::web::Code;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{FromRow, Row};

pub const MILESTONE_STATUSES: [&str; 3] = ["met", "partiallyMet", "notMet"];

#[derive(Debug, Deserialize)]
pub struct NewCall {
    pub title: Option<String>,
    pub description: Option<String>,
    pub categories: Option<Vec<String>>,
    pub unit_id: Option<i64>,
    pub budget_fen: Option<i64>,
    pub opens_on: Option<String>,
    pub closes_on: Option<String>,
    /// Eligibility: the organisation's latest grade at least this (0: any).
    pub min_grade: Option<i64>,
    /// Eligibility: registered at least this many years before today.
    pub min_years: Option<i64>,
    /// Eligibility: last year's annual report not overdue.
    pub report_required: Option<bool>,
    /// The scoring sheet (see `projects_review`).
    pub criteria: Option<Vec<crate::projects_review::Criterion>>,
    /// Blind review: reviewers see no applicant's name until the scores are final.
    pub blind: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub struct NewMilestone {
    pub title: Option<String>,
    pub due_on: Option<String>,
    pub amount_fen: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub struct NewContract {
    pub org_id: Option<i64>,
    pub title: Option<String>,
    pub reason: Option<String>,
    pub milestones: Option<Vec<NewMilestone>>,
}

#[derive(Debug, Deserialize)]
pub struct Report {
    pub status: Option<String>,
    pub evidence: Option<String>,
}

#[derive(Clone, Debug, Serialize, FromRow)]
pub struct Call {
    pub id: i64,
    pub title: String,
    pub description: String,
    /// Stored as one comma-separated text (see `call_from_row`).
    #[sqlx(skip)]
    pub categories: Vec<String>,
    pub unit_id: i64,
    /// Filled from gov-core after the read.
    #[sqlx(skip)]
    pub unit_name: String,
    #[serde(skip)]
    pub unit_path: String,
    pub budget_fen: i64,
    pub committed_fen: i64,
    pub paid_fen: i64,
    pub opens_on: String,
    pub closes_on: String,
    pub state: String,
    #[sqlx(try_from = "platform::db::Flag")]
    pub blind: bool,
    /// The office closed the review (or awarded): scores are final, names are shown. Stored
    /// as the time it closed, 0 before, so it reads as a flag.
    #[sqlx(rename = "reviews_final_at", try_from = "platform::db::Flag")]
    pub reviews_final: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Call {
    /// The district's calendar day of `now_ms`, as the phase dates are written.
    fn day_of(now_ms: i64) -> String {
        platform::clock::local_day(now_ms)
            .format("%Y-%m-%d")
            .to_string()
    }

    /// Whether the call's closing day is over at `now_ms`.
    pub fn closed_at(&self, now_ms: i64) -> bool {
        Call::day_of(now_ms).as_str() > self.closes_on.as_str()
    }

    /// Whether applications are taken at `now_ms`: from the opening day to the closing day.
    pub fn taking_applications(&self, now_ms: i64) -> bool {
        Call::day_of(now_ms).as_str() >= self.opens_on.as_str() && !self.closed_at(now_ms)
    }
}

fn bad(msg: &'static str) -> NeedError {
    NeedError::field(msg)
}

fn day(raw: &Option<String>, msg: &'static str) -> NeedResult<String> {
    let d = raw.as_deref().unwrap_or("").trim();
    chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| bad(msg))?;
    Ok(d.to_string())
}

/// The trimmed text of a field, `min` to `max` characters long (else `msg`, as a bad field).
pub(crate) fn text(
    raw: &Option<String>,
    min: usize,
    max: usize,
    msg: &'static str,
) -> NeedResult<String> {
    let t = raw.as_deref().unwrap_or("").trim().to_string();
    let n = t.chars().count();
    if n < min || n > max {
        return Err(bad(msg));
    }
    Ok(t)
}

/// A call read by name; its categories are one comma-separated column, split here.
fn call_from_row(r: &sqlx::any::AnyRow) -> sqlx::Result<Call> {
    let mut call = Call::from_row(r)?;
    let cats: String = r.try_get("categories")?;
    call.categories = cats
        .split(',')
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect();
    Ok(call)
}

const CALL_SELECT: &str = "SELECT c.id, c.title, c.description, c.categories, c.unit_id, \
    c.unit_path, c.budget_fen, c.committed_fen, c.paid_fen, c.opens_on, c.closes_on, c.state, c.blind, \
    c.reviews_final_at, c.created_at, c.updated_at FROM needs_calls c";

/// Calls read by `sql` (CALL_SELECT and a condition), with their units' names (gov-core).
async fn calls_where(state: &AppState, sql: &str, bind: Option<i64>) -> sqlx::Result<Vec<Call>> {
    let mut q = sqlx::query(sql);
    if let Some(b) = bind {
        q = q.bind(b);
    }
    let rows = q.fetch_all(&state.db.pool).await?;
    let mut calls: Vec<Call> = rows
        .iter()
        .map(call_from_row)
        .collect::<sqlx::Result<_>>()?;
    let mut ids: Vec<UnitId> = calls.iter().map(|c| UnitId(c.unit_id)).collect();
    ids.sort();
    ids.dedup();
    let units = gov_core::units_by_ids(&state.db, &ids).await?;
    for c in &mut calls {
        if let Some(u) = units.iter().find(|u| u.id.0 == c.unit_id) {
            c.unit_name = u.name.clone();
        }
    }
    Ok(calls)
}

pub async fn calls(state: &AppState) -> sqlx::Result<Vec<Call>> {
    calls_where(state, &format!("{CALL_SELECT} ORDER BY c.id"), None).await
}

pub async fn find_call(state: &AppState, id: i64) -> sqlx::Result<Option<Call>> {
    Ok(
        calls_where(state, &format!("{CALL_SELECT} WHERE c.id = $1"), Some(id))
            .await?
            .pop(),
    )
}

/// A call, or 404.
pub async fn call(state: &AppState, id: i64) -> NeedResult<Call> {
    find_call(state, id).await?.ok_or(NeedError::NotFound)
}

/// A call the actor may take `action` on (`Fund`, `Verify`: by its unit), or 404.
pub async fn call_for(
    state: &AppState,
    actor: &GovActor,
    id: i64,
    action: Action,
) -> NeedResult<Call> {
    let call = call(state, id).await?;
    authorize(actor, action, &Target::Unit(&call.unit_path))?;
    Ok(call)
}

/// The calls `user` is a reviewer of, by id.
pub async fn calls_reviewed_by(state: &AppState, user: i64) -> sqlx::Result<Vec<Call>> {
    let sql = format!(
        "{CALL_SELECT} WHERE c.id IN (SELECT call_id FROM needs_reviewers WHERE user_id = $1) ORDER BY c.id"
    );
    calls_where(state, &sql, Some(user)).await
}

/// Opens a call for projects.
pub async fn open_call(state: &AppState, actor: &GovActor, c: &NewCall) -> NeedResult<i64> {
    let title = text(
        &c.title,
        2,
        100,
        platform::bi!(
            "标题须为 2 到 100 个字。",
            "the title takes 2 to 100 characters"
        ),
    )?;
    let unit = match c.unit_id.filter(|u| *u > 0) {
        Some(u) => find_unit(&state.db, UnitId(u)).await?,
        None => None,
    }
    .ok_or_else(|| {
        bad(platform::bi!(
            "请指定立项单位。",
            "unit_id must name an existing unit"
        ))
    })?;
    authorize(actor, Action::Fund, &Target::Unit(unit.path.as_str()))?;
    let budget = c
        .budget_fen
        .filter(|b| (1..=10_000_000_000).contains(b))
        .ok_or_else(|| {
            bad(platform::bi!(
                "预算须为正数（单位：分）。",
                "budget_fen must be a positive number of fen"
            ))
        })?;
    let (opens, closes) = (
        day(
            &c.opens_on,
            platform::bi!("开始日期格式为 YYYY-MM-DD。", "opens_on: YYYY-MM-DD"),
        )?,
        day(
            &c.closes_on,
            platform::bi!("截止日期格式为 YYYY-MM-DD。", "closes_on: YYYY-MM-DD"),
        )?,
    );
    if closes < opens {
        return Err(bad(platform::bi!(
            "截止日期不能早于开始日期。",
            "closes_on is before opens_on"
        )));
    }
    let criteria = crate::projects_review::check_criteria(c.criteria.as_deref().unwrap_or(&[]))?;
    let min_grade = c.min_grade.unwrap_or(0);
    let min_years = c.min_years.unwrap_or(0);
    if !(0..=5).contains(&min_grade) || !(0..=50).contains(&min_years) {
        return Err(bad(platform::bi!(
            "最低等级须为 0 到 5，成立年限须为 0 到 50。",
            "min_grade takes 0 to 5, min_years 0 to 50"
        )));
    }
    let known: Vec<String> = matching::taxonomy(&state.db)
        .await?
        .into_iter()
        .map(|c| c.code)
        .collect();
    let cats = c.categories.clone().unwrap_or_default();
    if cats.iter().any(|c| !known.contains(c)) {
        return Err(bad(platform::bi!(
            "有服务类别不存在。",
            "a category is not in the taxonomy"
        )));
    }
    let now = state.now();
    let mut change = platform::audit::Change::begin(&state.db, now, actor.id()).await?;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO needs_calls (title, description, categories, unit_id, unit_path, budget_fen, opens_on, closes_on, \
         state, created_by, created_at, updated_at, min_grade, min_years, report_required, criteria, blind) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9, $10, $10, $11, $12, $13, $14, $15) RETURNING id",
    )
    .bind(&title)
    .bind(c.description.as_deref().unwrap_or("").trim())
    .bind(cats.join(","))
    .bind(unit.id.0)
    .bind(unit.path.as_str())
    .bind(budget)
    .bind(&opens)
    .bind(&closes)
    .bind(actor.id())
    .bind(now)
    .bind(min_grade)
    .bind(min_years)
    .bind(c.report_required.unwrap_or(false) as i64)
    .bind(serde_json::to_string(&criteria).unwrap_or_else(|_| "[]".into()))
    .bind(c.blind.unwrap_or(false) as i64)
    .fetch_one(&mut *change.tx)
    .await?;
    change
        .done(
            "needs.call.open",
            format!("needs_call:{id}"),
            json!({ "budget_fen": budget, "unit_id": unit.id, "blind": c.blind.unwrap_or(false) }),
        )
        .await?;
    Ok(id)
}

/// Awards a contract with its milestones; 409 over_budget past the call's budget.
pub async fn award(
    state: &AppState,
    actor: &GovActor,
    call_id: i64,
    c: &NewContract,
) -> NeedResult<i64> {
    call_for(state, actor, call_id, Action::Fund).await?;
    let org = c.org_id.ok_or_else(|| {
        NeedError::coded(
            Code::MissingField,
            platform::bi!("请指定承接的社会组织。", "org_id is required"),
        )
    })?;
    if governance::reads::org_names(&state.db, &[org])
        .await?
        .is_empty()
    {
        return Err(bad(platform::bi!(
            "没有这个社会组织。",
            "org_id names no organisation"
        )));
    }
    let title = text(
        &c.title,
        2,
        100,
        platform::bi!(
            "合同名称须为 2 到 100 个字。",
            "the title takes 2 to 100 characters"
        ),
    )?;
    let reason = text(
        &c.reason,
        2,
        1000,
        platform::bi!("请写明授予理由。", "give the reason for the award"),
    )?;
    let ms = c.milestones.as_deref().unwrap_or(&[]);
    if ms.is_empty() || ms.len() > 50 {
        return Err(bad(platform::bi!(
            "合同须有 1 到 50 个里程碑。",
            "a contract takes 1 to 50 milestones"
        )));
    }
    let mut checked = Vec::new();
    for m in ms {
        let t = text(
            &m.title,
            2,
            100,
            platform::bi!(
                "里程碑名称须为 2 到 100 个字。",
                "a milestone title takes 2 to 100 characters"
            ),
        )?;
        let d = day(
            &m.due_on,
            platform::bi!("里程碑日期格式为 YYYY-MM-DD。", "due_on: YYYY-MM-DD"),
        )?;
        let a = m.amount_fen.filter(|a| *a >= 0).ok_or_else(|| {
            bad(platform::bi!(
                "里程碑金额不能为负。",
                "amount_fen must not be negative"
            ))
        })?;
        checked.push((t, d, a));
    }
    let amount: i64 = checked.iter().map(|m| m.2).sum();
    if amount <= 0 {
        return Err(bad(platform::bi!(
            "合同金额须大于零。",
            "the milestones' amounts add up to nothing"
        )));
    }
    let now = state.now();
    let mut change = platform::audit::Change::begin(&state.db, now, actor.id()).await?;
    let room = sqlx::query(
        "UPDATE needs_calls SET committed_fen = committed_fen + $1, state = 'complete', updated_at = $2, \
         reviews_final_at = CASE WHEN reviews_final_at = 0 THEN $2 ELSE reviews_final_at END WHERE id = $3 AND committed_fen + $1 <= budget_fen",
    )
    .bind(amount)
    .bind(now)
    .bind(call_id)
    .execute(&mut *change.tx)
    .await?;
    if room.rows_affected() == 0 {
        return Err(NeedError::of(Code::OverBudget));
    }
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO needs_contracts (call_id, org_id, title, amount_fen, award_reason, state, signed_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, 'active', $6, $7) RETURNING id",
    )
    .bind(call_id)
    .bind(org)
    .bind(&title)
    .bind(amount)
    .bind(&reason)
    .bind(now)
    .bind(actor.id())
    .fetch_one(&mut *change.tx)
    .await?;
    for (i, (t, d, a)) in checked.iter().enumerate() {
        sqlx::query("INSERT INTO needs_milestones (contract_id, title, due_on, amount_fen, status, sort) VALUES ($1, $2, $3, $4, 'scheduled', $5)")
            .bind(id)
            .bind(t)
            .bind(d)
            .bind(a)
            .bind(i as i64)
            .execute(&mut *change.tx)
            .await?;
    }
    change
        .done(
            "needs.contract.award",
            format!("needs_contract:{id}"),
            json!({ "call_id": call_id, "org_id": org, "amount_fen": amount, "reason": reason }),
        )
        .await?;
    Ok(id)
}

/// Where a milestone stands: its contract and call, and its amount.
#[derive(FromRow)]
struct Placed {
    contract_id: i64,
    call_id: i64,
    amount_fen: i64,
}

/// The call a milestone belongs to, with the milestone's contract and amount.
async fn milestone_call(state: &AppState, id: i64) -> NeedResult<(Call, Placed)> {
    let placed: Placed = sqlx::query_as(
        "SELECT k.id AS contract_id, k.call_id, m.amount_fen FROM needs_milestones m \
         JOIN needs_contracts k ON k.id = m.contract_id WHERE m.id = $1",
    )
    .bind(id)
    .fetch_optional(&state.db.pool)
    .await?
    .ok_or(NeedError::NotFound)?;
    Ok((call(state, placed.call_id).await?, placed))
}

/// Records a milestone's status with its evidence (not once it is paid).
pub async fn report(state: &AppState, actor: &GovActor, id: i64, r: &Report) -> NeedResult<()> {
    let (call, ..) = milestone_call(state, id).await?;
    authorize(actor, Action::Verify, &Target::Unit(&call.unit_path))?;
    let status = r.status.as_deref().unwrap_or("").trim();
    if !MILESTONE_STATUSES.contains(&status) {
        return Err(bad(platform::bi!(
            "状态须为 met、partiallyMet 或 notMet。",
            "status must be met, partiallyMet or notMet"
        )));
    }
    let evidence = text(
        &r.evidence,
        2,
        2000,
        platform::bi!(
            "请提供证明材料说明（2 到 2000 字）。",
            "evidence takes 2 to 2000 characters"
        ),
    )?;
    let now = state.now();
    let mut change = platform::audit::Change::begin(&state.db, now, actor.id()).await?;
    let done = sqlx::query("UPDATE needs_milestones SET status = $1, evidence = $2, reported_at = $3 WHERE id = $4 AND paid = 0")
        .bind(status)
        .bind(&evidence)
        .bind(now)
        .bind(id)
        .execute(&mut *change.tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(NeedError::coded(
            Code::Conflict,
            platform::bi!(
                "已付款的里程碑不能再改状态。",
                "a paid milestone keeps its status"
            ),
        ));
    }
    change
        .done(
            "needs.milestone.report",
            format!("needs_milestone:{id}"),
            json!({ "status": status }),
        )
        .await?;
    Ok(())
}

/// Pays a met milestone's instalment: once, within the call's budget, in double entry.
pub async fn pay(state: &AppState, actor: &GovActor, id: i64) -> NeedResult<i64> {
    let (call, placed) = milestone_call(state, id).await?;
    let (contract, amount) = (placed.contract_id, placed.amount_fen);
    authorize(actor, Action::Fund, &Target::Unit(&call.unit_path))?;
    let now = state.now();
    let mut change = platform::audit::Change::begin(&state.db, now, actor.id()).await?;
    // Claim the milestone first: a second request for it finds it paid (or not met).
    let claimed = sqlx::query(
        "UPDATE needs_milestones SET paid = 1 WHERE id = $1 AND status = 'met' AND paid = 0",
    )
    .bind(id)
    .execute(&mut *change.tx)
    .await?;
    if claimed.rows_affected() == 0 {
        return Err(NeedError::of(Code::MilestoneNotMet));
    }
    let room = sqlx::query("UPDATE needs_calls SET paid_fen = paid_fen + $1, updated_at = $2 WHERE id = $3 AND paid_fen + $1 <= budget_fen")
        .bind(amount)
        .bind(now)
        .bind(call.id)
        .execute(&mut *change.tx)
        .await?;
    if room.rows_affected() == 0 {
        return Err(NeedError::of(Code::OverBudget));
    }
    let (pid,): (i64,) = sqlx::query_as(
        "INSERT INTO needs_payments (milestone_id, contract_id, call_id, amount_fen, paid_by, paid_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(id)
    .bind(contract)
    .bind(call.id)
    .bind(amount)
    .bind(actor.id())
    .bind(now)
    .fetch_one(&mut *change.tx)
    .await?;
    for (account, debit, credit) in [
        (format!("expense:contract:{contract}"), amount, 0),
        (format!("budget:call:{}", call.id), 0, amount),
    ] {
        sqlx::query("INSERT INTO needs_ledger (payment_id, call_id, account, debit_fen, credit_fen, at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(pid)
            .bind(call.id)
            .bind(account)
            .bind(debit)
            .bind(credit)
            .bind(now)
            .execute(&mut *change.tx)
            .await?;
    }
    change
        .done(
            "needs.instalment.pay",
            format!("needs_milestone:{id}"),
            json!({ "payment_id": pid, "amount_fen": amount, "call_id": call.id }),
        )
        .await?;
    Ok(pid)
}

#[derive(Debug, Serialize, FromRow)]
pub struct Milestone {
    pub id: i64,
    pub title: String,
    pub due_on: String,
    pub amount_fen: i64,
    pub status: String,
    pub evidence: String,
    pub reported_at: i64,
    #[sqlx(try_from = "platform::db::Flag")]
    pub paid: bool,
    pub paid_at: Option<i64>,
    /// Marked overdue by the milestone sweep and not met since.
    #[sqlx(try_from = "platform::db::Flag")]
    pub overdue: bool,
}

#[derive(Debug, Serialize, FromRow)]
pub struct Contract {
    pub id: i64,
    pub org_id: i64,
    #[sqlx(skip)]
    pub org_name: String,
    pub title: String,
    pub amount_fen: i64,
    pub award_reason: String,
    pub state: String,
    pub signed_at: i64,
    #[sqlx(skip)]
    pub milestones: Vec<Milestone>,
}

/// A call's contracts with their milestones.
pub async fn contracts(state: &AppState, call: i64) -> sqlx::Result<Vec<Contract>> {
    let pool = &state.db.pool;
    let mut out: Vec<Contract> = sqlx::query_as(
        "SELECT k.id, k.org_id, k.title, k.amount_fen, k.award_reason, k.state, k.signed_at \
         FROM needs_contracts k WHERE k.call_id = $1 ORDER BY k.id",
    )
    .bind(call)
    .fetch_all(pool)
    .await?;
    let orgs: Vec<i64> = out.iter().map(|k| k.org_id).collect();
    let names = governance::reads::org_names(&state.db, &orgs).await?;
    for k in &mut out {
        k.org_name = names.get(&k.org_id).cloned().unwrap_or_default();
        k.milestones = sqlx::query_as(
            "SELECT m.id, m.title, m.due_on, m.amount_fen, m.status, m.evidence, m.reported_at, m.paid, p.paid_at, \
             CASE WHEN m.overdue_at > 0 AND m.status <> 'met' THEN 1 ELSE 0 END AS overdue \
             FROM needs_milestones m LEFT JOIN needs_payments p ON p.milestone_id = m.id WHERE m.contract_id = $1 ORDER BY m.sort, m.id",
        )
        .bind(k.id)
        .fetch_all(pool)
        .await?;
    }
    Ok(out)
}

/// The ledger's balance per call: (debits, credits) — equal when the books balance.
pub async fn ledger_totals(state: &AppState, call: i64) -> sqlx::Result<(i64, i64)> {
    let r = sqlx::query(
        "SELECT CAST(COALESCE(SUM(debit_fen), 0) AS BIGINT) AS d, CAST(COALESCE(SUM(credit_fen), 0) AS BIGINT) AS c \
         FROM needs_ledger WHERE call_id = $1",
    )
    .bind(call)
    .fetch_one(&state.db.pool)
    .await?;
    Ok((r.try_get("d")?, r.try_get("c")?))
}
