//! Mid-term and final evaluation of a contract (issue 14, ADR 033): a score 0–100, a
//! written judgement and the evaluator, once of each kind per contract, audited. The final
//! outcomes make up the organisation's project record ([`org_outcomes`]); governance's
//! grading can read [`performance_hint`] when it assesses the organisation next.

use crate::authz::{Action, Target, authorize};
use crate::error::{NeedError, NeedResult};
use crate::model;
use crate::projects;
use gov_core::GovActor;
use platform::AppState;
use platform::db::Db;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::FromRow;

pub const KINDS: [&str; 2] = ["midterm", "final"];

#[derive(Debug, Deserialize)]
pub struct NewEvaluation {
    pub kind: Option<String>,
    pub score: Option<i64>,
    pub summary: Option<String>,
}

#[derive(Clone, Debug, Serialize, FromRow)]
pub struct Evaluation {
    pub id: i64,
    pub contract_id: i64,
    pub kind: String,
    pub score: i64,
    pub summary: String,
    pub evaluator_id: Option<i64>,
    pub evaluator: String,
    pub at: i64,
}

/// The contract's call (for the unit that evaluates it).
async fn call_of_contract(state: &AppState, contract: i64) -> NeedResult<projects::Call> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT call_id FROM needs_contracts WHERE id = $1")
        .bind(contract)
        .fetch_optional(&state.db.pool)
        .await?;
    let (call,) = row.ok_or(NeedError::NotFound)?;
    projects::call(state, call).await
}

/// Records an evaluation (workers of the call's unit); one of each kind per contract.
pub async fn evaluate(
    state: &AppState,
    actor: &GovActor,
    contract: i64,
    e: &NewEvaluation,
) -> NeedResult<i64> {
    let call = call_of_contract(state, contract).await?;
    authorize(actor, Action::Verify, &Target::Unit(&call.unit_path))?;
    let kind = e.kind.as_deref().unwrap_or("").trim();
    if !KINDS.contains(&kind) {
        return Err(NeedError::field(platform::bi!(
            "评估类型须为 midterm（中期）或 final（结项）。",
            "kind must be midterm or final"
        )));
    }
    let score = e.score.filter(|s| (0..=100).contains(s)).ok_or_else(|| {
        NeedError::field(platform::bi!(
            "评估得分须为 0 到 100 的整数。",
            "score takes a whole number from 0 to 100"
        ))
    })?;
    let summary = projects::text(
        &e.summary,
        2,
        2000,
        platform::bi!(
            "请写明评估意见（2 到 2000 字）。",
            "the summary takes 2 to 2000 characters"
        ),
    )?;
    let now = state.now();
    let mut change = platform::audit::Change::begin(&state.db, now, actor.id()).await?;
    model::only_one(
        &mut change.tx,
        "needs_evaluations",
        [("contract_id", contract.into()), ("kind", kind.into())],
        platform::bi!(
            "该合同已有这一类评估。",
            "this contract has been evaluated so already"
        ),
    )
    .await?;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO needs_evaluations (contract_id, kind, score, summary, evaluator_id, at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(contract)
    .bind(kind)
    .bind(score)
    .bind(&summary)
    .bind(actor.id())
    .bind(now)
    .fetch_one(&mut *change.tx)
    .await?;
    change
        .done(
            "needs.contract.evaluate",
            format!("needs_contract:{contract}"),
            json!({ "kind": kind, "score": score, "evaluation_id": id }),
        )
        .await?;
    Ok(id)
}

const SELECT: &str = "SELECT e.id, e.contract_id, e.kind, e.score, e.summary, e.evaluator_id, \
    COALESCE(u.display_name, u.username, '') AS evaluator, e.at FROM needs_evaluations e \
    LEFT JOIN platform_users u ON u.id = e.evaluator_id";

/// A contract's evaluations, mid-term first.
pub async fn of_contract(db: &Db, contract: i64) -> sqlx::Result<Vec<Evaluation>> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE e.contract_id = $1 ORDER BY e.at, e.id"
    ))
    .bind(contract)
    .fetch_all(&db.pool)
    .await
}

/// One finished project on an organisation's record.
#[derive(Clone, Debug, Serialize, FromRow)]
pub struct Outcome {
    pub contract_id: i64,
    pub contract_title: String,
    pub call_id: i64,
    pub call_title: String,
    pub amount_fen: i64,
    pub score: i64,
    pub summary: String,
    pub at: i64,
}

/// The organisation's final evaluations, newest first: the outcome of each purchased
/// project joins its record here (a public function for other modules, ADR 033).
pub async fn org_outcomes(db: &Db, org_id: i64) -> sqlx::Result<Vec<Outcome>> {
    sqlx::query_as(
        "SELECT k.id AS contract_id, k.title AS contract_title, c.id AS call_id, c.title AS call_title, \
         k.amount_fen, e.score, e.summary, e.at FROM needs_evaluations e \
         JOIN needs_contracts k ON k.id = e.contract_id JOIN needs_calls c ON c.id = k.call_id \
         WHERE k.org_id = $1 AND e.kind = 'final' ORDER BY e.at DESC, e.id DESC",
    )
    .bind(org_id)
    .fetch_all(&db.pool)
    .await
}

/// What the projects say for the organisation's next grade: the mean final score (0–100,
/// weighted by the contracts' amounts) of the projects finished since `since` (ms), and how
/// many; None when none finished.
pub async fn performance_hint(
    db: &Db,
    org_id: i64,
    since: i64,
) -> sqlx::Result<Option<(i64, usize)>> {
    let done: Vec<Outcome> = org_outcomes(db, org_id)
        .await?
        .into_iter()
        .filter(|o| o.at >= since)
        .collect();
    let weight: i64 = done.iter().map(|o| o.amount_fen.max(1)).sum();
    if done.is_empty() || weight == 0 {
        return Ok(None);
    }
    let sum: i128 = done
        .iter()
        .map(|o| o.score as i128 * o.amount_fen.max(1) as i128)
        .sum();
    Ok(Some(((sum / weight as i128) as i64, done.len())))
}

/// The organisation's project record for its assessor (the `org_record` hook, issue 14): the
/// amount-weighted mean of the final evaluations of the last two years, then the latest
/// outcomes with their calls.
pub fn org_record(
    state: &AppState,
    org_id: i64,
) -> platform::module::BoxFuture<'_, Vec<platform::module::RecordLine>> {
    Box::pin(async move {
        match record_lines(&state.db, org_id, state.now()).await {
            Ok(lines) => lines,
            Err(e) => {
                tracing::warn!(org = org_id, "project record: {e}");
                Vec::new()
            }
        }
    })
}

async fn record_lines(
    db: &Db,
    org_id: i64,
    now: i64,
) -> sqlx::Result<Vec<platform::module::RecordLine>> {
    use platform::module::RecordLine;
    let two_years = now - 2 * 365 * 24 * 3600 * 1000;
    let mut out = Vec::new();
    if let Some((mean, n)) = performance_hint(db, org_id, two_years).await? {
        out.push(RecordLine {
            zh: format!("政府购买服务：近两年 {n} 个项目完成终期评估，按合同金额加权平均 {mean} 分"),
            en: format!(
                "Purchased services: {n} project(s) finally evaluated in two years, amount-weighted mean {mean}"
            ),
            href: None,
        });
    }
    for o in org_outcomes(db, org_id).await?.into_iter().take(5) {
        out.push(RecordLine {
            zh: format!(
                "《{}》终期评估 {} 分：{}",
                o.contract_title, o.score, o.summary
            ),
            en: format!(
                "\"{}\": final evaluation {}: {}",
                o.contract_title, o.score, o.summary
            ),
            href: Some(format!("/needs/projects/{}", o.call_id)),
        });
    }
    Ok(out)
}
