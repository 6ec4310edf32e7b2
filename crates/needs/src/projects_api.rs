//! The projects JSON API: calls, awards with milestones, milestone reports, instalments,
//! and the OCDS release package at /ocds/releases.json.

use crate::authz::signed_in;
use crate::error::NeedResult;
use crate::ocds;
use crate::projects::{self, NewCall, NewContract, Report};
use crate::projects_review::{self as pr, NewApplication, NewReview};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use gov_core::GovActor;
use platform::AppState;
use platform::web::{ApiJson, Id};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/calls", get(list).post(open))
        .route("/api/v1/calls/{id}", get(detail))
        .route("/api/v1/calls/{id}/contracts", post(award))
        .route(
            "/api/v1/calls/{id}/applications",
            get(applications).post(apply),
        )
        .route("/api/v1/calls/{id}/reviewers", post(assign))
        .route("/api/v1/applications/{id}/reviews", post(review))
        .route("/api/v1/milestones/{id}/report", post(report))
        .route("/api/v1/milestones/{id}/payments", post(pay))
        .route("/ocds/releases.json", get(ocds::releases))
}

async fn list(State(state): State<AppState>, actor: GovActor) -> NeedResult<Json<Value>> {
    signed_in(&actor)?;
    Ok(Json(json!({ "items": projects::calls(&state).await? })))
}

async fn open(
    State(state): State<AppState>,
    actor: GovActor,
    ApiJson(c): ApiJson<NewCall>,
) -> NeedResult<(StatusCode, Json<Value>)> {
    let id = projects::open_call(&state, &actor, &c).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

async fn detail(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
) -> NeedResult<Json<Value>> {
    signed_in(&actor)?;
    let call = projects::call(&state, id).await?;
    let (debits, credits) = projects::ledger_totals(&state, id).await?;
    let mut v = json!(call);
    v["contracts"] = json!(projects::contracts(&state, id).await?);
    v["ledger"] = json!({ "debit_fen": debits, "credit_fen": credits });
    Ok(Json(v))
}

async fn award(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    ApiJson(c): ApiJson<NewContract>,
) -> NeedResult<(StatusCode, Json<Value>)> {
    let contract = projects::award(&state, &actor, id, &c).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": contract }))))
}

async fn report(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    ApiJson(r): ApiJson<Report>,
) -> NeedResult<Json<Value>> {
    projects::report(&state, &actor, id, &r).await?;
    Ok(Json(json!({ "id": id, "status": r.status })))
}

async fn pay(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
) -> NeedResult<(StatusCode, Json<Value>)> {
    let payment = projects::pay(&state, &actor, id).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": payment }))))
}

async fn apply(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    ApiJson(a): ApiJson<NewApplication>,
) -> NeedResult<(StatusCode, Json<Value>)> {
    let app = pr::apply(&state, &actor, id, &a).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": app }))))
}

async fn applications(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
) -> NeedResult<Json<Value>> {
    Ok(Json(
        json!({ "items": pr::applications(&state, &actor, id).await? }),
    ))
}

#[derive(Deserialize)]
struct Reviewer {
    username: Option<String>,
}

async fn assign(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    ApiJson(r): ApiJson<Reviewer>,
) -> NeedResult<(StatusCode, Json<Value>)> {
    let user = pr::assign(&state, &actor, id, r.username.as_deref().unwrap_or("")).await?;
    Ok((StatusCode::CREATED, Json(json!({ "user_id": user }))))
}

async fn review(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    ApiJson(r): ApiJson<NewReview>,
) -> NeedResult<(StatusCode, Json<Value>)> {
    let total = pr::review(&state, &actor, id, &r).await?;
    Ok((StatusCode::CREATED, Json(json!({ "total": total }))))
}
