//! Comments, ratings, favourites and synced reading progress over the JSON API.

use crate::authz::Action;
use crate::error::LibResult;
use crate::money::api::allowed;
use crate::{service, social};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use platform::web::{ApiJson, Id};
use platform::{Actor, AppState};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/documents/{id}/comments",
            get(comments).post(add_comment),
        )
        .route("/api/v1/comments", get(comment_queue))
        .route("/api/v1/comments/{id}/hide", post(hide))
        .route("/api/v1/comments/{id}/show", post(show))
        .route("/api/v1/documents/{id}/rating", get(rating).put(rate))
        .route(
            "/api/v1/documents/{id}/favourite",
            put(favourite).delete(unfavourite),
        )
        .route("/api/v1/me/favourites", get(favourites))
        .route("/api/v1/me/progress", get(progress))
        .route("/api/v1/me/progress/{id}", put(save_progress))
}

async fn comments(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
) -> LibResult<Json<Value>> {
    let doc = service::load(&state, &actor, id, Action::View).await?;
    let items = social::for_document(&state.db, doc.id, actor.id(), state.now()).await?;
    Ok(Json(json!({ "items": items })))
}

#[derive(Deserialize)]
struct CommentBody {
    body: String,
}

async fn add_comment(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(b): ApiJson<CommentBody>,
) -> LibResult<Response> {
    let c = social::add_comment(&state, &actor, id, &b.body).await?;
    Ok((StatusCode::CREATED, Json(json!({ "comment": c }))).into_response())
}

async fn comment_queue(State(state): State<AppState>, actor: Actor) -> LibResult<Json<Value>> {
    service::permitted(&state, &actor, Action::ReviewComplaints)?;
    Ok(Json(
        json!({ "items": social::queue(&state.db, state.now()).await? }),
    ))
}

async fn hide(State(state): State<AppState>, actor: Actor, Id(id): Id) -> LibResult<Json<Value>> {
    social::moderate_comment(&state, &actor, id, false).await?;
    Ok(Json(json!({ "state": "hidden" })))
}

async fn show(State(state): State<AppState>, actor: Actor, Id(id): Id) -> LibResult<Json<Value>> {
    social::moderate_comment(&state, &actor, id, true).await?;
    Ok(Json(json!({ "state": "visible" })))
}

async fn rating(State(state): State<AppState>, actor: Actor, Id(id): Id) -> LibResult<Json<Value>> {
    let doc = service::load(&state, &actor, id, Action::View).await?;
    Ok(Json(
        json!({ "rating": social::rating(&state.db, doc.id, actor.id()).await? }),
    ))
}

#[derive(Deserialize)]
struct RateBody {
    stars: i64,
}

async fn rate(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(b): ApiJson<RateBody>,
) -> LibResult<Json<Value>> {
    let r = social::rate(&state, &actor, id, b.stars).await?;
    Ok(Json(json!({ "rating": r })))
}

async fn favourite(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
) -> LibResult<Json<Value>> {
    social::set_favourite(&state, &actor, id, true).await?;
    Ok(Json(json!({ "favourite": true })))
}

async fn unfavourite(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
) -> LibResult<Json<Value>> {
    social::set_favourite(&state, &actor, id, false).await?;
    Ok(Json(json!({ "favourite": false })))
}

async fn favourites(State(state): State<AppState>, actor: Actor) -> LibResult<Json<Value>> {
    let user = allowed(&state, &actor, Action::UseWallet)?;
    Ok(Json(
        json!({ "items": social::favourites(&state.db, user).await? }),
    ))
}

async fn progress(State(state): State<AppState>, actor: Actor) -> LibResult<Json<Value>> {
    Ok(Json(
        json!({ "items": social::progress(&state, &actor).await? }),
    ))
}

#[derive(Deserialize)]
struct ProgressBody {
    page: i64,
    #[serde(default)]
    device: String,
}

async fn save_progress(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(b): ApiJson<ProgressBody>,
) -> LibResult<Json<Value>> {
    if b.page < 1 {
        return Err(bad_field!("页码（page）从 1 开始。", "`page` starts at 1"));
    }
    let p = social::save_progress(&state, &actor, id, b.page, &b.device).await?;
    Ok(Json(json!({ "progress": p })))
}
