//! The JSON API of ADR 033: reviewers spread in balance and the review closed, an
//! application as a reviewer may see it, a reviewer's queue, contract evaluations, an
//! organisation's project record, and budget use per call and per unit.

use crate::authz::{Action, Target, authorize, signed_in};
use crate::budget;
use crate::error::NeedResult;
use crate::evaluation::{self, NewEvaluation};
use crate::projects;
use crate::review_plan;
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
        .route("/api/v1/calls/{id}/reviewers/distribute", post(distribute))
        .route("/api/v1/calls/{id}/reviews/final", post(finalise))
        .route("/api/v1/calls/{id}/budget", get(call_budget))
        .route("/api/v1/applications/{id}", get(application))
        .route("/api/v1/reviews/mine", get(mine))
        .route("/api/v1/contracts/{id}/evaluations", post(evaluate))
        .route("/api/v1/needs/budget", get(unit_budget))
        .route("/api/v1/needs/orgs/{id}/outcomes", get(outcomes))
}

#[derive(Deserialize)]
struct Spread {
    k: Option<i64>,
}

async fn distribute(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    ApiJson(s): ApiJson<Spread>,
) -> NeedResult<Json<Value>> {
    let d = review_plan::distribute(&state, &actor, id, s.k).await?;
    Ok(Json(json!(d)))
}

async fn finalise(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
) -> NeedResult<Json<Value>> {
    review_plan::finalise(&state, &actor, id).await?;
    Ok(Json(json!({ "id": id, "reviews_final": true })))
}

async fn application(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
) -> NeedResult<Json<Value>> {
    Ok(Json(json!(review_plan::view(&state, &actor, id).await?)))
}

async fn mine(State(state): State<AppState>, actor: GovActor) -> NeedResult<Json<Value>> {
    signed_in(&actor)?;
    Ok(Json(
        json!({ "items": review_plan::my_queue(&state, &actor).await? }),
    ))
}

async fn evaluate(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    ApiJson(e): ApiJson<NewEvaluation>,
) -> NeedResult<(StatusCode, Json<Value>)> {
    let ev = evaluation::evaluate(&state, &actor, id, &e).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": ev }))))
}

async fn outcomes(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
) -> NeedResult<Json<Value>> {
    authorize(&actor, Action::Record, &Target::Org(id))?;
    let items = evaluation::org_outcomes(&state.db, id).await?;
    let hint = evaluation::performance_hint(&state.db, id, 0).await?;
    Ok(Json(json!({
        "items": items,
        "mean_final_score": hint.map(|h| h.0),
    })))
}

/// Calls are read by every signed-in account (their sums are open data too).
async fn call_budget(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
) -> NeedResult<Json<Value>> {
    signed_in(&actor)?;
    let call = projects::call(&state, id).await?;
    let contracts: Vec<Value> = projects::contracts(&state, id)
        .await?
        .iter()
        .map(|k| {
            let paid: i64 = k
                .milestones
                .iter()
                .filter(|m| m.paid)
                .map(|m| m.amount_fen)
                .sum();
            json!({ "contract_id": k.id, "org_id": k.org_id, "org_name": k.org_name,
                    "awarded_fen": k.amount_fen, "paid_fen": paid })
        })
        .collect();
    let mut v = json!(budget::Use::of_call(&call));
    v["call_id"] = json!(id);
    v["contracts"] = json!(contracts);
    Ok(Json(v))
}

async fn unit_budget(State(state): State<AppState>, actor: GovActor) -> NeedResult<Json<Value>> {
    signed_in(&actor)?;
    Ok(Json(json!({ "items": budget::by_unit(&state.db).await? })))
}
