//! The assessment's steps and scores. A sheet's formula values are computed live while the
//! plan is open and read from what was frozen at the lock afterwards, so the final ranking
//! does not move with live data. Every state change runs in one transaction with its audit
//! entry.

use crate::authz::{Action, Target, authorize};
use crate::figures;
use crate::model::{self, Item, Plan, PlanState, Sheet, Value};
use crate::score;
use gov_core::{GovActor, UnitId, find_unit};
use platform::AppState;
use platform::web::{AppError, AppResult, Code};
use serde::Serialize;

/// How long the public notice stays open for appeals.
pub const APPEAL_DAYS: i64 = 7;
const DAY_MS: i64 = 24 * 3600 * 1000;

#[derive(Clone, Debug, Serialize)]
pub struct Line {
    pub code: String,
    pub name: String,
    pub formula: bool,
    pub value: Option<f64>,
    pub measure: String,
    pub weight: f64,
    pub target: f64,
    pub points: f64,
    pub evidence: String,
    pub sources: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Scored {
    pub unit_id: i64,
    pub unit_name: String,
    pub state: String,
    pub score: f64,
    pub deduction: f64,
    pub indicators: Vec<Line>,
}

/// Whether `actor` may read `sheet` of `plan` (the reason as an error otherwise).
pub fn may_read(actor: &GovActor, plan: &Plan, sheet: &Sheet) -> AppResult<()> {
    let t = Target {
        unit: &sheet.unit_path,
        public: plan.state.is_public(),
    };
    authorize(actor, Action::Read, &t).map_err(AppError::from)
}

/// One sheet with its values (live formulas while the plan is open) and points.
pub async fn score_sheet(
    state: &AppState,
    actor: &GovActor,
    plan: &Plan,
    items: &[Item],
    sheet: &Sheet,
) -> AppResult<Scored> {
    let stored = model::values(&state.db, sheet.id).await?;
    let unit = find_unit(&state.db, UnitId(sheet.unit_id))
        .await?
        .ok_or(AppError::NotFound)?;
    let mut lines = Vec::with_capacity(items.len());
    for it in items {
        let ind = &it.indicator;
        let mut v = stored
            .iter()
            .find(|(id, _)| *id == ind.id)
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        if ind.formula && !v.frozen {
            let f = figures::formula(state, actor, &ind.code, &unit, plan.year)
                .await?
                .unwrap_or_default();
            v.value = f.value;
            v.sources = f.sources;
        }
        lines.push(Line {
            code: ind.code.clone(),
            name: actor.lang.pick(&ind.name_zh, &ind.name_en).to_string(),
            formula: ind.formula,
            value: v.value,
            measure: ind.measure.clone(),
            weight: it.weight,
            target: it.target,
            points: score::points(v.value, it.weight, it.target, ind.direction),
            evidence: v.evidence,
            sources: v.sources,
        });
    }
    Ok(Scored {
        unit_id: sheet.unit_id,
        unit_name: sheet.unit_name.clone(),
        state: sheet.state.clone(),
        score: score::total(lines.iter().map(|l| l.points), sheet.deduction),
        deduction: sheet.deduction,
        indicators: lines,
    })
}

#[derive(Clone, Debug, Serialize)]
pub struct Ranked {
    pub unit_id: i64,
    pub unit_name: String,
    pub score: f64,
    pub rank: u32,
}

/// The plan's ranking over the sheets the actor may see (all once it is public). Ranks are
/// those among every sheet of the plan, so a narrower viewer sees the same places.
pub async fn ranking(state: &AppState, actor: &GovActor, plan: &Plan) -> AppResult<Vec<Ranked>> {
    let items = model::items(&state.db, plan.id).await?;
    let sheets = model::sheets(&state.db, plan.id).await?;
    let mut scored = Vec::with_capacity(sheets.len());
    for s in &sheets {
        scored.push(score_sheet(state, actor, plan, &items, s).await?);
    }
    let ranks = score::ranks(&scored.iter().map(|s| s.score).collect::<Vec<_>>());
    let mut out: Vec<Ranked> = sheets
        .iter()
        .zip(scored)
        .zip(ranks)
        .filter(|((sheet, _), _)| may_read(actor, plan, sheet).is_ok())
        .map(|((_, s), rank)| Ranked {
            unit_id: s.unit_id,
            unit_name: s.unit_name,
            score: s.score,
            rank,
        })
        .collect();
    out.sort_by(|a, b| a.rank.cmp(&b.rank).then(a.unit_name.cmp(&b.unit_name)));
    Ok(out)
}

fn stage(zh: &'static str, en: &'static str) -> AppError {
    AppError::coded(Code::AssessStage, platform::web::i18n::bilingual(zh, en))
}

fn govern(actor: &GovActor, plan: &Plan) -> AppResult<()> {
    let t = Target {
        unit: &plan.district_path,
        public: false,
    };
    Ok(authorize(actor, Action::Govern, &t)?)
}

/// Ends a step: its audit entry, then the commit, so the entry lands with the change.
pub(crate) async fn commit_audited(
    state: &AppState,
    actor: &GovActor,
    action: &str,
    subject: String,
    detail: serde_json::Value,
    mut tx: platform::db::Tx,
) -> AppResult<()> {
    actor
        .audit(&mut tx, state.now(), action, &subject, detail)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The unit enters the value of an entered indicator, with its evidence.
pub async fn enter(
    state: &AppState,
    actor: &GovActor,
    plan: &Plan,
    sheet: &Sheet,
    item: &Item,
    value: f64,
    evidence: &str,
) -> AppResult<()> {
    let t = Target {
        unit: &sheet.unit_path,
        public: false,
    };
    authorize(actor, Action::SelfAssess, &t)?;
    if plan.state != PlanState::Open || sheet.state != "open" {
        return Err(stage(
            "考核表已提交或已锁定，不能再填报。",
            "The sheet was submitted or the plan is locked: values can no longer change.",
        ));
    }
    if item.indicator.formula {
        return Err(AppError::coded(
            Code::InvalidField,
            platform::web::i18n::bilingual(
                "该指标由系统按实际数据计算，无需填报。",
                "This indicator is computed from live data, not entered.",
            ),
        ));
    }
    if !value.is_finite() || value < 0.0 || evidence.trim().is_empty() {
        return Err(AppError::coded(
            Code::InvalidField,
            platform::web::i18n::bilingual(
                "请填写不小于 0 的数值，并说明依据。",
                "Enter a value of at least 0 and the evidence for it.",
            ),
        ));
    }
    let v = Value {
        value: Some(value),
        evidence: evidence.trim().to_string(),
        ..Value::default()
    };
    let mut tx = state.db.begin().await?;
    model::put_value(&mut tx, sheet.id, item.indicator.id, &v, state.now()).await?;
    tx.commit().await?;
    Ok(())
}

/// A sheet's next step: `submit` (the unit), `review` (the level above), `approve`
/// (the district). Returns the new state.
pub async fn step(
    state: &AppState,
    actor: &GovActor,
    plan: &Plan,
    sheet: &Sheet,
    step: &str,
) -> AppResult<&'static str> {
    let (action, from, to) = match step {
        "submit" => (Action::SelfAssess, "open", "submitted"),
        "review" => (Action::Review, "submitted", "reviewed"),
        "approve" => (Action::Govern, "reviewed", "approved"),
        _ => return Err(AppError::NotFound),
    };
    let unit = if action == Action::Govern {
        &plan.district_path
    } else {
        &sheet.unit_path
    };
    authorize(
        actor,
        action,
        &Target {
            unit,
            public: false,
        },
    )?;
    if plan.state != PlanState::Open || sheet.state != from {
        return Err(stage(
            "考核表不在可执行此步骤的阶段。",
            "The sheet is not at the stage for this step.",
        ));
    }
    let mut tx = state.db.begin().await?;
    model::set_sheet_state(&mut tx, sheet.id, to).await?;
    let detail = serde_json::json!({"plan": plan.id, "unit": sheet.unit_id, "to": to});
    commit_audited(
        state,
        actor,
        "assess.sheet",
        format!("assess_sheet:{}", sheet.id),
        detail,
        tx,
    )
    .await?;
    Ok(to)
}

/// Locks the plan at its deadline: every sheet's figures are frozen with their sources.
pub async fn lock(state: &AppState, actor: &GovActor, plan: &Plan) -> AppResult<()> {
    govern(actor, plan)?;
    if plan.state != PlanState::Open {
        return Err(stage("考核已锁定。", "The plan is locked already."));
    }
    if state.now() < plan.deadline_ms {
        return Err(AppError::of(Code::BeforeDeadline));
    }
    let sheets = model::sheets(&state.db, plan.id).await?;
    if sheets.iter().any(|s| s.state != "approved") {
        return Err(AppError::of(Code::SheetsPending));
    }
    let items = model::items(&state.db, plan.id).await?;
    // Compute everything first, then write it all in one transaction.
    let mut frozen = Vec::new();
    for s in &sheets {
        let scored = score_sheet(state, actor, plan, &items, s).await?;
        for (it, line) in items.iter().zip(scored.indicators) {
            let v = Value {
                value: line.value,
                evidence: line.evidence,
                sources: line.sources,
                frozen: true,
            };
            frozen.push((s.id, it.indicator.id, v));
        }
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    for (sheet, ind, v) in &frozen {
        model::put_value(&mut tx, *sheet, *ind, v, now).await?;
    }
    move_plan(state, actor, tx, plan, PlanState::Locked, None).await
}

/// Moves the plan to `to` within `tx`, audits it and commits.
async fn move_plan(
    state: &AppState,
    actor: &GovActor,
    mut tx: platform::db::Tx,
    plan: &Plan,
    to: PlanState,
    appeal_until: Option<i64>,
) -> AppResult<()> {
    model::set_plan_state(&mut tx, plan.id, to, appeal_until, state.now()).await?;
    let detail = serde_json::json!({"year": plan.year, "kind": plan.unit_kind, "to": to.as_str()});
    let subject = format!("assess_plan:{}", plan.id);
    commit_audited(state, actor, "assess.plan", subject, detail, tx).await?;
    Ok(())
}

/// Publishes the ranking (公示) and opens the appeal window, or ends it (final).
pub async fn advance(
    state: &AppState,
    actor: &GovActor,
    plan: &Plan,
    to: PlanState,
) -> AppResult<()> {
    govern(actor, plan)?;
    let now = state.now();
    let until = match (plan.state, to) {
        (PlanState::Locked, PlanState::Notice) => Some(now + APPEAL_DAYS * DAY_MS),
        (PlanState::Notice, PlanState::Final) => {
            if plan.appeal_until_ms.is_some_and(|t| now < t)
                || model::open_appeals(&state.db, plan.id).await? > 0
            {
                return Err(AppError::of(Code::AppealWindow));
            }
            None
        }
        _ => {
            return Err(stage(
                "考核不在可执行此步骤的阶段。",
                "The plan is not at the stage for this step.",
            ));
        }
    };
    let tx = state.db.begin().await?;
    move_plan(state, actor, tx, plan, to, until).await
}

/// The unit appeals one indicator's value during the notice.
pub async fn appeal(
    state: &AppState,
    actor: &GovActor,
    plan: &Plan,
    sheet: &Sheet,
    item: &Item,
    reason: &str,
) -> AppResult<i64> {
    let t = Target {
        unit: &sheet.unit_path,
        public: false,
    };
    authorize(actor, Action::SelfAssess, &t)?;
    let now = state.now();
    if plan.state != PlanState::Notice || plan.appeal_until_ms.is_none_or(|t| now >= t) {
        return Err(AppError::of(Code::AppealWindow));
    }
    if reason.trim().is_empty() {
        return Err(AppError::coded(
            Code::MissingField,
            platform::web::i18n::bilingual("请说明申诉理由。", "Give the reason for the appeal."),
        ));
    }
    let mut tx = state.db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO assess_appeals (sheet_id, indicator_id, reason, state, filed_by, filed_ms) \
         VALUES ($1, $2, $3, 'open', $4, $5) RETURNING id",
    )
    .bind(sheet.id)
    .bind(item.indicator.id)
    .bind(reason.trim())
    .bind(actor.id().unwrap_or_default())
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let detail = serde_json::json!({"indicator": item.indicator.code, "reason": reason.trim()});
    commit_audited(
        state,
        actor,
        "assess.appeal",
        format!("assess_sheet:{}", sheet.id),
        detail,
        tx,
    )
    .await?;
    Ok(id)
}

/// The district decides an appeal; upholding it may change the frozen value, with a reason
/// (audited with the old and the new value).
pub async fn decide(
    state: &AppState,
    actor: &GovActor,
    plan: &Plan,
    appeal: &model::Appeal,
    uphold: bool,
    new_value: Option<f64>,
    reason: &str,
) -> AppResult<()> {
    govern(actor, plan)?;
    if appeal.state != "open" || plan.state != PlanState::Notice {
        return Err(stage("该申诉已处理。", "This appeal was decided already."));
    }
    if reason.trim().is_empty() || new_value.is_some_and(|v| !v.is_finite() || v < 0.0) {
        return Err(AppError::coded(
            Code::InvalidField,
            platform::web::i18n::bilingual(
                "请说明处理理由；新数值须不小于 0。",
                "Give the reason for the decision; a new value must be at least 0.",
            ),
        ));
    }
    let stored = model::values(&state.db, appeal.sheet_id).await?;
    let old = stored
        .into_iter()
        .find(|(id, _)| *id == appeal.indicator_id)
        .map(|(_, v)| v)
        .unwrap_or_default();
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if let (true, Some(v)) = (uphold, new_value) {
        let changed = Value {
            value: Some(v),
            ..old.clone()
        };
        model::put_value(&mut tx, appeal.sheet_id, appeal.indicator_id, &changed, now).await?;
    }
    sqlx::query(
        "UPDATE assess_appeals SET state = $1, decided_by = $2, decided_ms = $3, decision = $4 \
         WHERE id = $5",
    )
    .bind(if uphold { "upheld" } else { "rejected" })
    .bind(actor.id())
    .bind(now)
    .bind(reason.trim())
    .bind(appeal.id)
    .execute(&mut *tx)
    .await?;
    let detail = serde_json::json!({
        "appeal": appeal.id, "upheld": uphold, "old": old.value,
        "new": if uphold { new_value.or(old.value) } else { old.value }, "reason": reason.trim(),
    });
    commit_audited(
        state,
        actor,
        "assess.decide",
        format!("assess_sheet:{}", appeal.sheet_id),
        detail,
        tx,
    )
    .await?;
    Ok(())
}
