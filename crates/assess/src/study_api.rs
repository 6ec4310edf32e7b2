//! The study records' JSON API under /api/v1/study: sessions (record, read, sign in),
//! assigned reading, a unit's hours and one's own. Who may do what is `authz` (the
//! `Study*` actions): a unit's records exist only for those holding a role on it or above.

use crate::authz::Action;
use crate::study::{self, NewAssignment, NewSession};
use crate::study_hours;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use gov_core::GovActor;
use platform::AppState;
use platform::web::authz::Denied;
use platform::web::{ApiJson, AppError, AppResult, Id, parse_id};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/study/sessions", get(list).post(create))
        .route("/api/v1/study/sessions/{id}", get(one))
        .route("/api/v1/study/sessions/{id}/attendance", post(attend))
        .route("/api/v1/study/units/{unit_id}/assignments", post(assign))
        .route("/api/v1/study/units/{unit_id}/hours", get(unit_hours))
        .route("/api/v1/study/me/hours", get(my_hours))
}

#[derive(Deserialize, Default)]
pub struct YearQuery {
    pub year: Option<String>,
    pub unit: Option<String>,
}

/// The year asked for, else this year (in the district's zone).
pub fn year_of(state: &AppState, raw: Option<&str>) -> AppResult<i64> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(y) => {
            let y = parse_id(y)?;
            if (2000..=2100).contains(&y) {
                Ok(y)
            } else {
                Err(study::invalid("年度无效。", "year is out of range."))
            }
        }
        None => Ok(cases::calendar::local_date(state.now())
            .format("%Y")
            .to_string()
            .parse()
            .unwrap_or(2000)),
    }
}

/// Study records are for staff: a signed-in account with a role on some unit (or a
/// platform administrator). Residents are refused; visitors asked to sign in.
pub fn staff_only(actor: &GovActor) -> Result<(), Denied> {
    actor.staff_only(platform::bi!(
        "学习记录供各单位的工作人员使用。",
        "Study records are for the staff of the district's units."
    ))
}

async fn list(
    State(state): State<AppState>,
    actor: GovActor,
    Query(q): Query<YearQuery>,
) -> AppResult<Json<Value>> {
    staff_only(&actor)?;
    let year = year_of(&state, q.year.as_deref())?;
    let unit = match q.unit.as_deref().filter(|u| !u.trim().is_empty()) {
        Some(u) => Some(parse_id(u)?),
        None => None,
    };
    let items = study::sessions(&state, &actor, year, unit).await?;
    Ok(Json(json!({ "year": year, "items": items })))
}

async fn create(
    State(state): State<AppState>,
    actor: GovActor,
    ApiJson(body): ApiJson<NewSession>,
) -> AppResult<Response> {
    let id = study::record(&state, &actor, &body).await?;
    let s = study::session(&state, &actor, id).await?;
    Ok((StatusCode::CREATED, Json(json!(s))).into_response())
}

async fn one(State(state): State<AppState>, actor: GovActor, Id(id): Id) -> AppResult<Json<Value>> {
    Ok(Json(json!(study::session(&state, &actor, id).await?)))
}

#[derive(Deserialize, Default)]
struct Attend {
    /// Whom the organiser signs in; empty or absent: the caller signs themselves in.
    #[serde(default)]
    user_ids: Vec<i64>,
}

async fn attend(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    ApiJson(body): ApiJson<Attend>,
) -> AppResult<Json<Value>> {
    let s = study::session(&state, &actor, id).await?;
    let added = study::sign_in(&state, &actor, &s, &body.user_ids).await?;
    let s = study::session(&state, &actor, id).await?;
    Ok(Json(json!({ "added": added, "attendance": s.attendance })))
}

async fn assign(
    State(state): State<AppState>,
    actor: GovActor,
    Path(unit_id): Path<String>,
    ApiJson(body): ApiJson<NewAssignment>,
) -> AppResult<Response> {
    let ids = study::assign(&state, &actor, parse_id(&unit_id)?, &body).await?;
    Ok((StatusCode::CREATED, Json(json!({ "ids": ids }))).into_response())
}

async fn unit_hours(
    State(state): State<AppState>,
    actor: GovActor,
    Path(unit_id): Path<String>,
    Query(q): Query<YearQuery>,
) -> AppResult<Json<Value>> {
    let unit = study::unit_for(&state, &actor, parse_id(&unit_id)?, Action::StudyRead).await?;
    let year = year_of(&state, q.year.as_deref())?;
    let h = study_hours::unit_hours(&state, &unit, year).await?;
    Ok(Json(json!({
        "unit_id": h.unit_id,
        "unit_name": h.unit_name,
        "year": h.year,
        "total_hours": h.total_hours,
        "staff": h.staff,
        "per_person": h.per_person,
        "people": h.people,
        "sources": h.sources(),
        "assignments": h.assignments,
    })))
}

async fn my_hours(
    State(state): State<AppState>,
    actor: GovActor,
    Query(q): Query<YearQuery>,
) -> AppResult<Json<Value>> {
    staff_only(&actor)?;
    let me = actor.id().ok_or(AppError::Unauthorized)?;
    let year = year_of(&state, q.year.as_deref())?;
    let (hours, sessions, assignments) = study_hours::my_hours(&state, me, year).await?;
    let sessions: Vec<Value> = sessions
        .iter()
        .map(|s| json!({"id": s.id, "unit_name": s.unit_name, "held_on": s.held_on, "title": s.title, "minutes": s.minutes}))
        .collect();
    Ok(Json(json!({
        "year": year,
        "hours": hours.hours,
        "session_minutes": hours.session_minutes,
        "reading_hours": hours.reading_hours,
        "sessions": sessions,
        "assignments": assignments,
    })))
}
