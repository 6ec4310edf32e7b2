//! Applications to a call and their review (issue 14): eligibility rules checked against
//! governance's registries (grade, years registered, last year's annual report), reviewers
//! assigned by the call's administrators, conflicts of interest declared by the reviewer
//! or detected from our own registries, and one scoring sheet per reviewer per application
//! with weighted criteria (some kept out of the total).

use crate::authz::Action;
use crate::error::{NeedError, NeedResult};
use crate::model;
use crate::projects;
use gov_core::GovActor;
use governance::reads;
use platform::AppState;
use platform::web::Code;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{FromRow, Row};
use std::collections::BTreeMap;

/// One line of the scoring sheet; scores are 0–100.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Criterion {
    pub name: String,
    pub weight: i64,
    /// false: scored and shown, but kept out of the total (e.g. "innovation, for notes").
    #[serde(default = "yes")]
    pub in_total: bool,
}

fn yes() -> bool {
    true
}

pub fn check_criteria(c: &[Criterion]) -> NeedResult<Vec<Criterion>> {
    let ok = c.len() <= 20
        && c.iter()
            .all(|k| !k.name.trim().is_empty() && (1..=100).contains(&k.weight))
        && (c.is_empty() || c.iter().any(|k| k.in_total));
    if !ok {
        return Err(NeedError::field(platform::bi!(
            "评分项最多 20 个，每项须有名称和 1 到 100 的权重，且至少一项计入总分。",
            "criteria: at most 20, each named with a weight of 1 to 100, at least one in the total"
        )));
    }
    Ok(c.to_vec())
}

#[derive(Debug, Deserialize)]
pub struct NewApplication {
    pub org_id: Option<i64>,
    pub plan: Option<String>,
    pub budget_fen: Option<i64>,
}

/// Why an organisation may not apply (empty: eligible), in both languages.
pub async fn ineligible(state: &AppState, rules: &Rules, org: i64) -> sqlx::Result<Vec<String>> {
    let mut why = Vec::new();
    let db = &state.db;
    // The latest assessment comes first.
    let grade = reads::org_assessments(db, org)
        .await?
        .first()
        .map_or(0, |a| a.grade);
    if grade < rules.min_grade {
        why.push(format!(
            "评估等级 {grade}A 低于要求的 {}A (grade below {}A)",
            rules.min_grade, rules.min_grade
        ));
    }
    let today = chrono::DateTime::from_timestamp_millis(state.now())
        .unwrap_or_default()
        .date_naive();
    let registered = reads::find_org(db, org)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?
        .registered_on;
    let cutoff = today
        .checked_sub_months(chrono::Months::new(12 * rules.min_years as u32))
        .unwrap_or(today);
    if rules.min_years > 0 && registered.as_str() > cutoff.format("%Y-%m-%d").to_string().as_str() {
        why.push(format!(
            "登记不满 {} 年 (registered less than {} years)",
            rules.min_years, rules.min_years
        ));
    }
    if rules.report_required {
        use chrono::Datelike;
        let year = today.year() as i64 - 1;
        let due = reads::deadline_of(db, year).await?;
        let filed = reads::org_reports(db, org)
            .await?
            .iter()
            .any(|r| r.year == year);
        let overdue = due.is_some_and(|d| d.to_string() < today.format("%Y-%m-%d").to_string());
        if overdue && !filed {
            why.push(format!(
                "{year} 年度报告逾期未报 (the {year} annual report is overdue)"
            ));
        }
    }
    Ok(why)
}

/// A call's eligibility rules and scoring sheet.
#[derive(FromRow)]
pub struct Rules {
    pub min_grade: i64,
    pub min_years: i64,
    #[sqlx(try_from = "platform::db::Flag")]
    pub report_required: bool,
    #[sqlx(skip)]
    pub criteria: Vec<Criterion>,
}

/// The rules read by name; the scoring sheet is stored as JSON text, parsed here (a sheet
/// that does not parse reads as empty).
pub async fn rules(state: &AppState, call: i64) -> sqlx::Result<Rules> {
    let r = sqlx::query(
        "SELECT min_grade, min_years, report_required, criteria FROM needs_calls WHERE id = $1",
    )
    .bind(call)
    .fetch_one(&state.db.pool)
    .await?;
    let mut rules = Rules::from_row(&r)?;
    rules.criteria = serde_json::from_str(&r.try_get::<String, _>("criteria")?).unwrap_or_default();
    Ok(rules)
}

/// An organisation's staff apply to a call (one application per organisation).
pub async fn apply(
    state: &AppState,
    actor: &GovActor,
    call_id: i64,
    a: &NewApplication,
) -> NeedResult<i64> {
    let call = projects::call(state, call_id).await?;
    let org = a.org_id.ok_or_else(|| {
        NeedError::coded(
            Code::MissingField,
            platform::bi!("请指定申报的社会组织。", "org_id is required"),
        )
    })?;
    if !actor.works_for(org) {
        return Err(NeedError::Denied(
            platform::bi!(
                "只有该组织的工作人员可以申报。",
                "only the organisation's staff apply for it"
            )
            .into(),
        ));
    }
    let plan = projects::text(
        &a.plan,
        10,
        5000,
        platform::bi!(
            "实施方案须为 10 到 5000 字。",
            "the plan takes 10 to 5000 characters"
        ),
    )?;
    let budget = a
        .budget_fen
        .filter(|b| *b > 0 && *b <= call.budget_fen)
        .ok_or_else(|| {
            NeedError::field(platform::bi!(
                "申报预算须为正数且不超过项目预算。",
                "budget_fen must be positive and within the call's budget"
            ))
        })?;
    let now = state.now();
    if !call.taking_applications(now) {
        return Err(NeedError::coded(
            Code::Conflict,
            platform::web::i18n::bilingual(
                &format!(
                    "本项目的申报时间为 {} 至 {}，当前不在申报期内。",
                    call.opens_on, call.closes_on
                ),
                &format!(
                    "applications are taken from {} to {}",
                    call.opens_on, call.closes_on
                ),
            ),
        ));
    }
    let why = ineligible(state, &rules(state, call_id).await?, org).await?;
    if !why.is_empty() {
        return Err(NeedError::coded(Code::NotEligible, why.join("；")));
    }
    let mut change = platform::audit::Change::begin(&state.db, now, actor.id()).await?;
    model::only_one(
        &mut change.tx,
        "needs_applications",
        [("call_id", call_id.into()), ("org_id", org.into())],
        platform::bi!(
            "该组织已申报此项目。",
            "this organisation has applied already"
        ),
    )
    .await?;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO needs_applications (call_id, org_id, plan, budget_fen, submitted_by, submitted_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(call_id)
    .bind(org)
    .bind(&plan)
    .bind(budget)
    .bind(actor.id())
    .bind(now)
    .fetch_one(&mut *change.tx)
    .await?;
    change
        .done(
            "needs.application.submit",
            format!("needs_application:{id}"),
            json!({ "call_id": call_id, "org_id": org, "budget_fen": budget }),
        )
        .await?;
    Ok(id)
}

/// Assigns a reviewer (by user name) to a call.
pub async fn assign(
    state: &AppState,
    actor: &GovActor,
    call_id: i64,
    username: &str,
) -> NeedResult<i64> {
    projects::call_for(state, actor, call_id, Action::Fund).await?;
    let user: Option<(i64,)> = sqlx::query_as("SELECT id FROM platform_users WHERE username = $1")
        .bind(username.trim())
        .fetch_optional(&state.db.pool)
        .await?;
    let (user,) =
        user.ok_or_else(|| NeedError::field(platform::bi!("没有这个账号。", "no such user")))?;
    let now = state.now();
    let mut change = platform::audit::Change::begin(&state.db, now, actor.id()).await?;
    sqlx::query("DELETE FROM needs_reviewers WHERE call_id = $1 AND user_id = $2")
        .bind(call_id)
        .bind(user)
        .execute(&mut *change.tx)
        .await?;
    sqlx::query("INSERT INTO needs_reviewers (call_id, user_id) VALUES ($1, $2)")
        .bind(call_id)
        .bind(user)
        .execute(&mut *change.tx)
        .await?;
    change
        .done(
            "needs.reviewer.assign",
            format!("needs_call:{call_id}"),
            json!({ "user_id": user }),
        )
        .await?;
    Ok(user)
}

/// Conflicts of interest our registries show between a reviewer and an applicant: staff of
/// the applicant, its legal representative by name, staff of its hub or of an organisation
/// it is the hub of, staff of the unit it is registered in.
pub async fn detect(state: &AppState, reviewer: i64, org: i64) -> sqlx::Result<Vec<&'static str>> {
    reads::ties(&state.db, reviewer, org).await
}

/// Whether the account is one of the call's assigned reviewers.
pub async fn is_reviewer(state: &AppState, call: i64, user: i64) -> sqlx::Result<bool> {
    let assigned: Option<(i64,)> =
        sqlx::query_as("SELECT user_id FROM needs_reviewers WHERE call_id = $1 AND user_id = $2")
            .bind(call)
            .bind(user)
            .fetch_optional(&state.db.pool)
            .await?;
    Ok(assigned.is_some())
}

/// Who applied to what: an application's call and organisation.
#[derive(FromRow)]
pub struct Applicant {
    pub call_id: i64,
    pub org_id: i64,
}

/// Application `id`'s call and organisation, or 404.
pub async fn applicant(state: &AppState, id: i64) -> NeedResult<Applicant> {
    let found = sqlx::query_as("SELECT call_id, org_id FROM needs_applications WHERE id = $1")
        .bind(id)
        .fetch_optional(&state.db.pool)
        .await?;
    found.ok_or(NeedError::NotFound)
}

#[derive(Debug, Deserialize)]
pub struct NewReview {
    /// Criterion name → score 0–100.
    pub scores: Option<BTreeMap<String, i64>>,
    /// The reviewer declares a conflict of interest (then cannot score).
    pub conflict: Option<bool>,
}

/// One review by an assigned reviewer without a conflict; the weighted total (0–100, to
/// a thousandth) over the criteria counted in the total.
pub async fn review(
    state: &AppState,
    actor: &GovActor,
    application: i64,
    r: &NewReview,
) -> NeedResult<f64> {
    let applied = applicant(state, application).await?;
    let (call, org) = (applied.call_id, applied.org_id);
    let me = actor.id().ok_or(NeedError::SignIn)?;
    let found = projects::call(state, call).await?;
    crate::review_plan::may_score(state, &found, application, me).await?;
    let earlier: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM needs_conflicts WHERE application_id = $1 AND reviewer_id = $2",
    )
    .bind(application)
    .bind(me)
    .fetch_optional(&state.db.pool)
    .await?;
    if earlier.is_some() {
        return Err(NeedError::of(Code::ConflictOfInterest));
    }
    let mut sources = detect(state, me, org).await?;
    if r.conflict == Some(true) {
        sources.insert(0, "declared");
    }
    let now = state.now();
    if !sources.is_empty() {
        let mut change = platform::audit::Change::begin(&state.db, now, Some(me)).await?;
        for s in &sources {
            sqlx::query("INSERT INTO needs_conflicts (application_id, reviewer_id, source, at) VALUES ($1, $2, $3, $4)")
                .bind(application)
                .bind(me)
                .bind(*s)
                .bind(now)
                .execute(&mut *change.tx)
                .await?;
        }
        change
            .done(
                "needs.review.conflict",
                format!("needs_application:{application}"),
                json!({ "sources": sources }),
            )
            .await?;
        return Err(NeedError::coded(
            Code::ConflictOfInterest,
            format!(
                "{} ({})",
                Code::ConflictOfInterest.message(),
                sources.join(", ")
            ),
        ));
    }
    let sheet = rules(state, call).await?.criteria;
    let scores = r.scores.clone().unwrap_or_default();
    let complete = sheet
        .iter()
        .all(|c| scores.get(&c.name).is_some_and(|s| (0..=100).contains(s)))
        && scores.len() == sheet.len();
    if !complete {
        return Err(NeedError::field(platform::bi!(
            "请为每个评分项打 0 到 100 分。",
            "score every criterion of the sheet from 0 to 100"
        )));
    }
    let counted: Vec<&Criterion> = sheet.iter().filter(|c| c.in_total).collect();
    let weights: i64 = counted.iter().map(|c| c.weight).sum::<i64>().max(1);
    let total_milli = counted
        .iter()
        .map(|c| c.weight * scores[&c.name] * 1000)
        .sum::<i64>()
        / weights;
    let mut change = platform::audit::Change::begin(&state.db, now, Some(me)).await?;
    model::only_one(
        &mut change.tx,
        "needs_reviews",
        [
            ("application_id", application.into()),
            ("reviewer_id", me.into()),
        ],
        platform::bi!(
            "每位评审人对每份申报只评一次。",
            "one review per reviewer per application"
        ),
    )
    .await?;
    sqlx::query("INSERT INTO needs_reviews (application_id, reviewer_id, scores, total_milli, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(application)
        .bind(me)
        .bind(serde_json::to_string(&scores).unwrap_or_default())
        .bind(total_milli)
        .bind(now)
        .execute(&mut *change.tx)
        .await?;
    change
        .done(
            "needs.review.score",
            format!("needs_application:{application}"),
            json!({ "total_milli": total_milli }),
        )
        .await?;
    Ok(total_milli as f64 / 1000.0)
}

#[derive(Debug, Serialize, FromRow)]
pub struct ApplicationRow {
    pub id: i64,
    pub org_id: i64,
    #[sqlx(skip)]
    pub org_name: String,
    pub budget_fen: i64,
    pub reviews: i64,
    /// The sum of the reviewers' weighted totals, in thousandths.
    #[serde(skip)]
    pub total_milli: i64,
    /// The mean of the reviewers' weighted totals (None before the first review).
    #[sqlx(skip)]
    pub score: Option<f64>,
    pub conflicts: i64,
}

/// A call's applications with their review state, for the call's staff.
pub async fn applications(
    state: &AppState,
    actor: &GovActor,
    call_id: i64,
) -> NeedResult<Vec<ApplicationRow>> {
    projects::call_for(state, actor, call_id, Action::Verify).await?;
    let mut rows: Vec<ApplicationRow> = sqlx::query_as(
        "SELECT a.id, a.org_id, a.budget_fen, \
         (SELECT COUNT(*) FROM needs_reviews r WHERE r.application_id = a.id) AS reviews, \
         (SELECT CAST(COALESCE(SUM(r.total_milli), 0) AS BIGINT) FROM needs_reviews r WHERE r.application_id = a.id) AS total_milli, \
         (SELECT COUNT(*) FROM needs_conflicts c WHERE c.application_id = a.id) AS conflicts \
         FROM needs_applications a WHERE a.call_id = $1 ORDER BY a.id",
    )
    .bind(call_id)
    .fetch_all(&state.db.pool)
    .await?;
    let orgs: Vec<i64> = rows.iter().map(|a| a.org_id).collect();
    let names = reads::org_names(&state.db, &orgs).await?;
    for a in &mut rows {
        a.org_name = names.get(&a.org_id).cloned().unwrap_or_default();
        a.score = (a.reviews > 0).then(|| a.total_milli as f64 / a.reviews as f64 / 1000.0);
    }
    Ok(rows)
}
