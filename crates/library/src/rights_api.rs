//! Complaints, reports, notifications and the library's operator settings over the JSON API.

use crate::authz::Action;
use crate::error::{LibResult, LibraryError};
use crate::money::api::allowed;
use crate::rights::{self, Decision, Kind, NewComplaint, Settings};
use crate::service;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use platform::web::{ApiJson, Id};
use platform::{Actor, AppState};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/documents/{id}/complaints", post(file))
        .route("/api/v1/me/complaints", get(mine))
        .route("/api/v1/complaints", get(queue))
        .route("/api/v1/complaints/{id}", get(show))
        .route("/api/v1/complaints/{id}/decide", post(decide))
        .route(
            "/api/v1/admin/library-settings",
            get(get_settings).put(put_settings),
        )
        .route(
            "/api/v1/admin/rights-holders",
            get(list_rights_holders).post(add_rights_holder),
        )
        .route(
            "/api/v1/admin/rights-holders/{username}",
            axum::routing::delete(remove_rights_holder),
        )
        .route("/api/v1/me/notifications", get(notifications))
        .route("/api/v1/me/notifications/read", post(mark_read))
}

#[derive(Deserialize)]
struct FileBody {
    kind: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    evidence: String,
    #[serde(default)]
    contact: String,
}

async fn file(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(b): ApiJson<FileBody>,
) -> LibResult<Response> {
    let c = rights::file(
        &state,
        &actor,
        id,
        NewComplaint {
            kind: Kind::from_field(&b.kind)?,
            reason: b.reason,
            evidence: b.evidence,
            contact: b.contact,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(json!({ "complaint": c }))).into_response())
}

async fn mine(State(state): State<AppState>, actor: Actor) -> LibResult<Json<Value>> {
    service::permitted(&state, &actor, Action::Complain)?;
    let items = rights::list(&state.db, None, actor.id()).await?;
    Ok(Json(json!({ "items": items })))
}

#[derive(Deserialize)]
struct QueueQuery {
    state: Option<String>,
}

async fn queue(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<QueueQuery>,
) -> LibResult<Json<Value>> {
    service::permitted(&state, &actor, Action::ReviewComplaints)?;
    let filter = q.state.as_deref().unwrap_or("open");
    let filter = if filter == "all" { None } else { Some(filter) };
    let items = rights::list(&state.db, filter, None).await?;
    Ok(Json(json!({ "items": items })))
}

async fn show(State(state): State<AppState>, actor: Actor, Id(id): Id) -> LibResult<Json<Value>> {
    service::permitted(&state, &actor, Action::Complain)?;
    let c = rights::find(&state.db, id)
        .await?
        .ok_or(LibraryError::NotFound)?;
    let reviewer = service::permitted(&state, &actor, Action::ReviewComplaints).is_ok();
    if !reviewer && actor.id() != Some(c.complainant_id) {
        return Err(LibraryError::NotFound);
    }
    Ok(Json(json!({ "complaint": c })))
}

#[derive(Deserialize)]
struct DecideBody {
    decision: String,
    #[serde(default)]
    note: String,
}

async fn decide(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(b): ApiJson<DecideBody>,
) -> LibResult<Json<Value>> {
    let c = rights::decide(&state, &actor, id, Decision::parse(&b.decision)?, &b.note).await?;
    Ok(Json(json!({ "complaint": c })))
}

async fn get_settings(State(state): State<AppState>, actor: Actor) -> LibResult<Json<Value>> {
    allowed(&state, &actor, Action::ManageMoney)?;
    Ok(Json(
        json!({ "settings": rights::settings(&state.db).await? }),
    ))
}

async fn put_settings(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(s): ApiJson<Settings>,
) -> LibResult<Json<Value>> {
    Ok(Json(
        json!({ "settings": rights::set_settings(&state, &actor, &s).await? }),
    ))
}

async fn list_rights_holders(
    State(state): State<AppState>,
    actor: Actor,
) -> LibResult<Json<Value>> {
    allowed(&state, &actor, Action::VerifyRightsHolders)?;
    Ok(Json(
        json!({ "items": rights::rights_holders(&state.db).await? }),
    ))
}

#[derive(Deserialize)]
struct RightsHolderBody {
    username: String,
    #[serde(default)]
    note: String,
}

async fn add_rights_holder(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(b): ApiJson<RightsHolderBody>,
) -> LibResult<Response> {
    rights::set_rights_holder(&state, &actor, &b.username, &b.note, true).await?;
    Ok(StatusCode::CREATED.into_response())
}

async fn remove_rights_holder(
    State(state): State<AppState>,
    actor: Actor,
    Path(username): Path<String>,
) -> LibResult<StatusCode> {
    rights::set_rights_holder(&state, &actor, &username, "", false).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn notifications(State(state): State<AppState>, actor: Actor) -> LibResult<Json<Value>> {
    let user = allowed(&state, &actor, Action::UseWallet)?;
    let items = crate::notifications::list(&state.db, user, 100).await?;
    let unread = crate::notifications::unread(&state.db, user).await?;
    Ok(Json(json!({ "unread": unread, "items": items })))
}

#[derive(Deserialize)]
struct ReadBody {
    ids: Option<Vec<i64>>,
}

async fn mark_read(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(b): ApiJson<ReadBody>,
) -> LibResult<Json<Value>> {
    let user = allowed(&state, &actor, Action::UseWallet)?;
    let n = crate::notifications::mark_read(&state.db, user, b.ids.as_deref(), state.now()).await?;
    Ok(Json(json!({ "marked": n })))
}
