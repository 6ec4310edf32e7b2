//! Grading an organisation: who may assess, the assessment itself and the district's
//! cut-offs.

use crate::authz::Action;
use crate::authz::Scope;
use crate::authz::authorize;
use crate::dates::Day;
use crate::dates::today;
use crate::error::{GovError, GovResult};
use crate::input;
use crate::registry::grades::Assessment;
use crate::registry::grades::Cutoffs;
use crate::registry::grades::GRADE_VALID_YEARS;
use crate::registry::grades::SECTIONS;
use crate::registry::grades::cutoffs;
use crate::registry::model::Org;
use crate::registry::orgs;
use crate::trail::record;
use gov_core::GovActor;
use platform::web::Code;
use platform::{AppState, outbox};
use serde::Deserialize;

pub async fn set_cutoffs(state: &AppState, actor: &GovActor, v: [i64; 5]) -> GovResult<Cutoffs> {
    authorize(actor, Action::SetRules, &Scope::Anywhere)?;
    let c = Cutoffs::parse(v)?;
    let mut tx = state.db.begin().await?;
    for (i, min) in c.0.iter().enumerate() {
        sqlx::query(
            "UPDATE governance_grade_cutoffs SET min_score = $1, updated_by = $2, updated_at = $3 WHERE grade = $4",
        )
        .bind(*min)
        .bind(actor.id())
        .bind(state.now())
        .bind(i as i64 + 1)
        .execute(&mut *tx)
        .await?;
    }
    record(
        state,
        &mut tx,
        actor,
        "governance.grade.cutoffs",
        "governance_grade_cutoffs".into(),
        serde_json::json!({ "cutoffs": c.0 }),
    )
    .await?;
    tx.commit().await?;
    Ok(c)
}

/// An assessment as a form or the API sends it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssessmentInput {
    pub assessed_on: Option<String>,
    pub score_basic: Option<i64>,
    pub score_governance: Option<i64>,
    pub score_performance: Option<i64>,
    pub score_reputation: Option<i64>,
    #[serde(default)]
    pub note: String,
    /// Mark (or unmark) the organisation as a brand organisation; unchanged when absent.
    pub brand: Option<bool>,
    /// Name its leading figure (empty: none); unchanged when absent.
    pub leading_figure: Option<String>,
}

/// Records an assessment: the grade follows from the total and the current cut-offs and
/// stands for five years from the assessment date.
pub async fn assess(
    state: &AppState,
    actor: &GovActor,
    org_id: i64,
    input: &AssessmentInput,
) -> GovResult<Assessment> {
    let org = orgs::load_org(state, actor, org_id, Action::View).await?;
    may_assess(actor, &org)?;
    let today = today(state);
    let assessed_on = input
        .assessed_on
        .as_deref()
        .and_then(Day::parse)
        .filter(|d| *d <= today)
        .ok_or_else(|| {
            GovError::invalid(
                Code::InvalidDate,
                "assessed_on",
                "评估日期须为 YYYY-MM-DD 格式的有效日期，且不晚于今天。",
                "the assessment date must be a real date as YYYY-MM-DD, not in the future",
            )
        })?;
    let raw = [
        input.score_basic,
        input.score_governance,
        input.score_performance,
        input.score_reputation,
    ];
    let mut scores = [0i64; 4];
    for (i, (code, zh, en, max)) in SECTIONS.iter().enumerate() {
        match raw[i] {
            Some(v) if (0..=*max).contains(&v) => scores[i] = v,
            _ => {
                return Err(GovError::invalid(
                    Code::InvalidScore,
                    code,
                    format!("“{zh}”得分须为 0 到 {max} 之间的整数。"),
                    format!("the {en} score must be a whole number from 0 to {max}"),
                ));
            }
        }
    }
    let note = input::text("note", &input.note, 0, 1000, "评估意见", "the note")?;
    let leading = match &input.leading_figure {
        Some(v) => Some(input::text(
            "leading_figure",
            v,
            0,
            50,
            "领军人物",
            "the leading figure",
        )?),
        None => None,
    };
    let total: i64 = scores.iter().sum();
    let grade = cutoffs(&state.db).await?.grade(total);
    let valid_until = assessed_on.plus_years(GRADE_VALID_YEARS);
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO governance_assessments (org_id, assessed_on, score_basic, score_governance, score_performance, \
         score_reputation, total, grade, valid_until, note, assessed_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(org.id)
    .bind(assessed_on.to_string())
    .bind(scores[0])
    .bind(scores[1])
    .bind(scores[2])
    .bind(scores[3])
    .bind(total)
    .bind(grade)
    .bind(valid_until.to_string())
    .bind(&note)
    .bind(actor.id())
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let brand = input.brand.unwrap_or(org.brand);
    let leading = leading.unwrap_or_else(|| org.leading_figure.clone());
    if brand != org.brand || leading != org.leading_figure {
        sqlx::query(
            "UPDATE governance_orgs SET brand = $1, leading_figure = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(brand as i64)
        .bind(&leading)
        .bind(now)
        .bind(org.id)
        .execute(&mut *tx)
        .await?;
        outbox::emit(
            &mut tx,
            now,
            "governance.org.updated",
            org.id,
            serde_json::json!({ "unit_id": org.unit_id }),
        )
        .await?;
    }
    record(
        state,
        &mut tx,
        actor,
        "governance.grade.assess",
        format!("governance_org:{}", org.id),
        serde_json::json!({ "assessment_id": id, "assessed_on": assessed_on, "scores": scores,
                            "total": total, "grade": grade, "brand": brand, "leading_figure": leading }),
    )
    .await?;
    tx.commit().await?;
    Ok(Assessment {
        id,
        org_id: org.id,
        assessed_on: assessed_on.to_string(),
        scores,
        total,
        grade,
        valid_until: valid_until.to_string(),
        note,
    })
}

/// Assessments are the district's: staff of the organisation's district record them.
pub fn may_assess(actor: &GovActor, org: &Org) -> GovResult<()> {
    orgs::district_right(actor, Action::AssessGrade, &org.unit_path.root_path())
}
