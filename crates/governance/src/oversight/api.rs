//! JSON API for annual reports, the abnormal-activity list, grade assessments, org staff
//! and profiles. Every handler goes through `authorize` (via the oversight service).

use crate::authz::Action;
use crate::authz::Scope;
use crate::authz::authorize;
use crate::dates::today;
use crate::error::{GovError, GovResult};
use crate::oversight::assess::AssessmentInput;
use crate::oversight::assess::assess;
use crate::oversight::assess::set_cutoffs;
use crate::oversight::reports::Decision;
use crate::oversight::reports::ReportInput;
use crate::oversight::reports::ReportStatus;
use crate::oversight::reports::abnormal;
use crate::oversight::reports::deadlines;
use crate::oversight::reports::list_reports;
use crate::oversight::reports::load_report;
use crate::oversight::reports::org_reports;
use crate::oversight::reports::review_report;
use crate::oversight::reports::set_deadline;
use crate::oversight::reports::submit_report;
use crate::registry::grades::cutoffs;
use crate::registry::grades::latest_assessments;
use crate::registry::grades::org_assessments;
use crate::registry::orgs;
use crate::registry::profiles::ProfileInput;
use crate::registry::profiles::link_staff;
use crate::registry::profiles::org_staff;
use crate::registry::profiles::update_profile;
use gov_core::GovActor;
use platform::web::Code;
use platform::web::parse_id;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use platform::AppState;
use platform::web::{ApiJson, Id};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/gov/report-deadlines", get(list_deadlines))
        .route("/api/v1/gov/report-deadlines/{year}", put(put_deadline))
        .route("/api/v1/gov/reports", get(reports))
        .route("/api/v1/gov/reports/{id}", get(report))
        .route("/api/v1/gov/reports/{id}/review", post(review))
        .route(
            "/api/v1/gov/orgs/{id}/reports",
            get(reports_of_org).post(submit),
        )
        .route("/api/v1/gov/abnormal", get(abnormal_list))
        .route(
            "/api/v1/gov/grade-cutoffs",
            get(get_cutoffs).put(put_cutoffs),
        )
        .route("/api/v1/gov/grades", get(grades))
        .route(
            "/api/v1/gov/orgs/{id}/assessments",
            get(assessments_of_org).post(create_assessment),
        )
        .route("/api/v1/gov/orgs/{id}/staff", get(staff).post(add_staff))
        .route(
            "/api/v1/gov/orgs/{id}/staff/{user_id}",
            axum::routing::delete(remove_staff),
        )
        .route("/api/v1/gov/orgs/{id}/profile", put(profile))
}

async fn list_deadlines(State(state): State<AppState>, actor: GovActor) -> GovResult<Json<Value>> {
    if actor.org_links.is_empty() {
        authorize(&actor, Action::View, &Scope::Anywhere)?;
    } else if actor.user.is_none() {
        return Err(GovError::SignIn);
    }
    let today = today(&state);
    let items: Vec<Value> = deadlines(&state.db)
        .await?
        .into_iter()
        .map(|d| json!({ "year": d.year, "due_on": d.due_on, "passed": today > d.due_on }))
        .collect();
    Ok(Json(json!({ "today": today, "items": items })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeadlineBody {
    due_on: String,
}

async fn put_deadline(
    State(state): State<AppState>,
    actor: GovActor,
    Path(year): Path<String>,
    ApiJson(b): ApiJson<DeadlineBody>,
) -> GovResult<Json<Value>> {
    authorize(&actor, Action::SetRules, &Scope::Anywhere)?;
    let year = parse_id(&year)?;
    Ok(Json(json!(
        set_deadline(&state, &actor, year, &b.due_on).await?
    )))
}

#[derive(Deserialize, Default)]
pub struct ReportQuery {
    pub status: Option<String>,
    pub year: Option<String>,
}

impl ReportQuery {
    pub fn parse(&self) -> GovResult<(Option<ReportStatus>, Option<i64>)> {
        let status = match self
            .status
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty() && *s != "all")
        {
            None => None,
            Some(s) => Some(ReportStatus::parse(s).ok_or_else(|| {
                GovError::invalid(
                    Code::InvalidFilter,
                    "status",
                    "状态须为 submitted、accepted、returned 或 all。",
                    "status must be submitted, accepted, returned or all",
                )
            })?),
        };
        let year = match self
            .year
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(y) => Some(y.parse::<i64>().map_err(|_| {
                GovError::invalid(
                    Code::InvalidFilter,
                    "year",
                    "年度须为数字。",
                    "year must be a number",
                )
            })?),
        };
        Ok((status, year))
    }
}

async fn reports(
    State(state): State<AppState>,
    actor: GovActor,
    Query(q): Query<ReportQuery>,
) -> GovResult<Json<Value>> {
    authorize(&actor, Action::View, &Scope::Anywhere)?;
    let (status, year) = q.parse()?;
    let items = list_reports(&state.db, &actor.scope(), status, year).await?;
    Ok(Json(json!({ "total": items.len(), "items": items })))
}

async fn report(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
) -> GovResult<Json<Value>> {
    let r = load_report(&state, &actor, id, Action::View).await?;
    Ok(Json(json!(r)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReviewBody {
    decision: String,
    #[serde(default)]
    note: String,
}

async fn review(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    ApiJson(b): ApiJson<ReviewBody>,
) -> GovResult<Json<Value>> {
    load_report(&state, &actor, id, Action::ReviewReport).await?;
    let decision = Decision::parse(&b.decision).ok_or_else(|| {
        GovError::invalid(
            Code::InvalidDecision,
            "decision",
            "审核结论须为 accept（通过）或 return（退回）。",
            "decision must be accept or return",
        )
    })?;
    Ok(Json(json!(
        review_report(&state, &actor, id, decision, &b.note).await?
    )))
}

async fn reports_of_org(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
) -> GovResult<Json<Value>> {
    let org = orgs::load_org(&state, &actor, id, Action::View).await?;
    let items = org_reports(&state.db, org.id).await?;
    Ok(Json(json!({ "org_id": org.id, "items": items })))
}

async fn submit(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    ApiJson(input): ApiJson<ReportInput>,
) -> GovResult<Response> {
    orgs::load_org(&state, &actor, id, Action::SubmitReport).await?;
    let r = submit_report(&state, &actor, id, &input).await?;
    Ok((StatusCode::CREATED, Json(json!(r))).into_response())
}

async fn abnormal_list(State(state): State<AppState>, actor: GovActor) -> GovResult<Json<Value>> {
    authorize(&actor, Action::View, &Scope::Anywhere)?;
    let today = today(&state);
    let items = abnormal(&state.db, &actor.scope(), today).await?;
    Ok(Json(
        json!({ "today": today, "total": items.len(), "items": items }),
    ))
}

async fn get_cutoffs(State(state): State<AppState>, actor: GovActor) -> GovResult<Json<Value>> {
    authorize(&actor, Action::View, &Scope::Anywhere)?;
    let c = cutoffs(&state.db).await?;
    Ok(Json(cutoffs_json(c.0)))
}

fn cutoffs_json(c: [i64; 5]) -> Value {
    json!({
        "sections": crate::registry::grades::SECTIONS.iter().map(|(code, zh, en, max)| json!({ "code": code, "name_zh": zh, "name_en": en, "max": max })).collect::<Vec<_>>(),
        "cutoffs": (1..=5).rev().map(|g| json!({ "grade": format!("{g}A"), "min_score": c[g - 1] })).collect::<Vec<_>>(),
        "valid_years": crate::registry::grades::GRADE_VALID_YEARS,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CutoffsBody {
    /// Minimum totals for 1A, 2A, 3A, 4A, 5A.
    min_scores: [i64; 5],
}

async fn put_cutoffs(
    State(state): State<AppState>,
    actor: GovActor,
    ApiJson(b): ApiJson<CutoffsBody>,
) -> GovResult<Json<Value>> {
    authorize(&actor, Action::SetRules, &Scope::Anywhere)?;
    let c = set_cutoffs(&state, &actor, b.min_scores).await?;
    Ok(Json(cutoffs_json(c.0)))
}

/// Current grades of the organisations in scope, with their state on today's date.
async fn grades(State(state): State<AppState>, actor: GovActor) -> GovResult<Json<Value>> {
    authorize(&actor, Action::View, &Scope::Anywhere)?;
    let today = today(&state);
    let mut items: Vec<Value> = latest_assessments(&state.db, &actor.scope())
        .await?
        .into_values()
        .map(|a| {
            let mut v = json!(a);
            v["expired"] = json!(a.expired(today));
            v
        })
        .collect();
    items.sort_by_key(|v| v["org_id"].as_i64());
    Ok(Json(json!({ "today": today, "items": items })))
}

async fn assessments_of_org(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
) -> GovResult<Json<Value>> {
    let org = orgs::load_org(&state, &actor, id, Action::View).await?;
    let today = today(&state);
    let items: Vec<Value> = org_assessments(&state.db, org.id)
        .await?
        .into_iter()
        .map(|a| {
            let mut v = json!(a);
            v["expired"] = json!(a.expired(today));
            v
        })
        .collect();
    Ok(Json(json!({
        "org_id": org.id, "brand": org.brand, "leading_figure": org.leading_figure, "items": items
    })))
}

async fn create_assessment(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    ApiJson(input): ApiJson<AssessmentInput>,
) -> GovResult<Response> {
    let org = orgs::load_org(&state, &actor, id, Action::View).await?;
    crate::oversight::assess::may_assess(&actor, &org)?;
    let a = assess(&state, &actor, id, &input).await?;
    Ok((StatusCode::CREATED, Json(json!(a))).into_response())
}

async fn staff(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
) -> GovResult<Json<Value>> {
    let org = orgs::load_org(&state, &actor, id, Action::View).await?;
    Ok(Json(
        json!({ "org_id": org.id, "items": org_staff(&state.db, org.id).await? }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StaffBody {
    username: String,
}

async fn add_staff(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    ApiJson(b): ApiJson<StaffBody>,
) -> GovResult<Response> {
    orgs::load_org(&state, &actor, id, Action::ManageOrgStaff).await?;
    let user = link_staff(&state, Some(&actor), id, &b.username).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "org_id": id, "user_id": user, "username": b.username.trim() })),
    )
        .into_response())
}

async fn remove_staff(
    State(state): State<AppState>,
    actor: GovActor,
    Path((id, user_id)): Path<(String, String)>,
) -> GovResult<StatusCode> {
    crate::registry::profiles::unlink_staff(&state, &actor, parse_id(&id)?, parse_id(&user_id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn profile(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    ApiJson(p): ApiJson<ProfileInput>,
) -> GovResult<Json<Value>> {
    orgs::load_org(&state, &actor, id, Action::EditProfile).await?;
    Ok(Json(json!(update_profile(&state, &actor, id, &p).await?)))
}
