//! Setting an annual plan: the district chooses indicators with weights and targets for
//! one kind of unit (communities or streets); a sheet is opened for each such unit of the
//! district, which then assesses itself until the deadline.

use crate::authz::{Action, Target, authorize};
use crate::model;
use crate::service::commit_audited;
use gov_core::{GovActor, ScopeFilter, UnitId, UnitKind, find_unit, list_units};
use platform::AppState;
use platform::web::{AppError, AppResult, Code};

/// A plan as asked for: (indicator code, weight, target) per item.
pub struct Spec {
    pub district_id: i64,
    pub year: i64,
    pub unit_kind: String,
    pub deadline_ms: i64,
    pub items: Vec<(String, f64, f64)>,
}

fn invalid(zh: &str, en: &str) -> AppError {
    AppError::coded(Code::InvalidField, platform::web::i18n::bilingual(zh, en))
}

pub async fn create(state: &AppState, actor: &GovActor, spec: &Spec) -> AppResult<i64> {
    let district = find_unit(&state.db, UnitId(spec.district_id))
        .await?
        .filter(|u| u.kind == UnitKind::District)
        .ok_or_else(|| {
            invalid(
                "district_id 须为区的编号。",
                "district_id must name a district.",
            )
        })?;
    let t = Target {
        unit: &district.path,
        public: false,
    };
    authorize(actor, Action::Govern, &t)?;
    let kind = UnitKind::parse(&spec.unit_kind)
        .filter(|k| matches!(k, UnitKind::Community | UnitKind::Street))
        .ok_or_else(|| {
            invalid(
                "unit_kind 须为 community 或 street。",
                "unit_kind must be community or street.",
            )
        })?;
    if !(2000..=2100).contains(&spec.year) {
        return Err(invalid("年度无效。", "year is out of range."));
    }
    let library = model::indicators(&state.db).await?;
    let mut items = Vec::new();
    for (code, weight, target) in &spec.items {
        let ind = library.iter().find(|i| &i.code == code).ok_or_else(|| {
            invalid(
                &format!("没有代码为 {code} 的指标。"),
                &format!("There is no indicator {code}."),
            )
        })?;
        if !(weight.is_finite() && *weight > 0.0 && target.is_finite() && *target >= 0.0) {
            return Err(invalid(
                "权重须大于 0，目标值须不小于 0。",
                "A weight must be above 0 and a target at least 0.",
            ));
        }
        if items.iter().any(|(id, _, _)| *id == ind.id) {
            return Err(invalid("指标重复。", "An indicator is listed twice."));
        }
        items.push((ind.id, *weight, *target));
    }
    if items.is_empty() {
        return Err(invalid(
            "请至少选择一个指标。",
            "Choose at least one indicator.",
        ));
    }
    if !model::plans_of_year(&state.db, spec.year, kind.as_str())
        .await?
        .iter()
        .all(|p| p.district_id != district.id.0)
    {
        return Err(AppError::of(Code::PlanExists));
    }
    let units: Vec<_> = list_units(&state.db, &ScopeFilter(Some(vec![district.path.clone()])))
        .await?
        .into_iter()
        .filter(|u| u.kind == kind)
        .collect();
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO assess_plans (year, unit_kind, district_id, district_path, state, \
         deadline_ms, created_ms, updated_ms) VALUES ($1, $2, $3, $4, 'open', $5, $6, $6) \
         RETURNING id",
    )
    .bind(spec.year)
    .bind(kind.as_str())
    .bind(district.id.0)
    .bind(district.path.as_str())
    .bind(spec.deadline_ms)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    for (ind, weight, target) in items {
        sqlx::query(
            "INSERT INTO assess_plan_items (plan_id, indicator_id, weight, target) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(ind)
        .bind(weight)
        .bind(target)
        .execute(&mut *tx)
        .await?;
    }
    for u in &units {
        sqlx::query(
            "INSERT INTO assess_sheets (plan_id, unit_id, unit_path, unit_name, state) \
             VALUES ($1, $2, $3, $4, 'open')",
        )
        .bind(id)
        .bind(u.id.0)
        .bind(u.path.as_str())
        .bind(&u.name)
        .execute(&mut *tx)
        .await?;
    }
    let detail =
        serde_json::json!({"year": spec.year, "kind": kind.as_str(), "units": units.len()});
    let subject = format!("assess_plan:{id}");
    commit_audited(state, actor, "assess.plan.create", subject, detail, tx).await?;
    Ok(id)
}

/// Sets a sheet's deduction (扣分) with its reason, while the plan is open (district only).
pub async fn deduct(
    state: &AppState,
    actor: &GovActor,
    plan: &model::Plan,
    sheet: &model::Sheet,
    points: f64,
    reason: &str,
) -> AppResult<()> {
    let t = Target {
        unit: &plan.district_path,
        public: false,
    };
    authorize(actor, Action::Govern, &t)?;
    if plan.state != model::PlanState::Open {
        return Err(AppError::of(Code::AssessStage));
    }
    if !(points.is_finite() && points >= 0.0) || (points > 0.0 && reason.trim().is_empty()) {
        return Err(invalid(
            "扣分须不小于 0，并说明理由。",
            "A deduction must be at least 0 and have a reason.",
        ));
    }
    let mut tx = state.db.begin().await?;
    sqlx::query("UPDATE assess_sheets SET deduction = $1, deduction_reason = $2 WHERE id = $3")
        .bind(points)
        .bind(reason.trim())
        .bind(sheet.id)
        .execute(&mut *tx)
        .await?;
    let detail = serde_json::json!({"points": points, "reason": reason.trim()});
    let subject = format!("assess_sheet:{}", sheet.id);
    commit_audited(state, actor, "assess.deduct", subject, detail, tx).await?;
    Ok(())
}
