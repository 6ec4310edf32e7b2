//! The JSON API under /api/v1/announcements: the public list and one announcement, and the
//! editor's steps (draft, publish, withdraw) for unit staff.

use crate::authz::{Action, Target, authorize};
use crate::model::{self, Draft, Filter, Post, PostKind, PostState};
use crate::service;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use gov_core::{GovActor, MemberRole, UnitId, find_unit};
use platform::AppState;
use platform::web::{ApiJson, AppError, AppResult, Code, Id, Paging};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/announcements", get(list).post(create))
        .route("/api/v1/announcements/{id}", get(one))
        .route("/api/v1/announcements/{id}/publish", post(publish))
        .route("/api/v1/announcements/{id}/withdraw", post(withdraw))
}

pub fn to_json(p: &Post) -> Value {
    json!({
        "id": p.id,
        "unit_id": p.unit_id,
        "unit_name": p.unit_name,
        "kind": p.kind.as_str(),
        "title": p.title,
        "summary": p.summary,
        "body": p.body,
        "state": p.state.as_str(),
        "has_picture": !p.picture_type.is_empty(),
        "published_at": p.published_ms.map(platform::web::feed::rfc3339),
        "url": format!("/news/{}", p.id),
    })
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    pub unit: Option<String>,
    pub kind: Option<String>,
    pub state: Option<String>,
}

/// The filter a list query asks for: published ones for anyone; drafts and withdrawn
/// ones only within the subtrees the actor writes for.
pub async fn filter(state: &AppState, actor: &GovActor, q: &ListQuery) -> AppResult<Filter> {
    let bad = |zh: &'static str, en: &'static str| {
        AppError::coded(Code::InvalidFilter, platform::web::i18n::bilingual(zh, en))
    };
    let mut f = Filter::default();
    if let Some(raw) = q.unit.as_deref().filter(|s| !s.is_empty()) {
        let id = UnitId::parse(raw)
            .ok_or_else(|| bad("unit 须为单位编号。", "unit must be a unit id."))?;
        let unit = find_unit(&state.db, id).await?.ok_or(AppError::NotFound)?;
        f.within = Some(unit.path);
    }
    if let Some(raw) = q.kind.as_deref().filter(|s| !s.is_empty()) {
        f.kind =
            Some(PostKind::parse(raw).ok_or_else(|| {
                bad("kind 须为 notice 或 news。", "kind must be notice or news.")
            })?);
    }
    let wanted = match q.state.as_deref().filter(|s| !s.is_empty()) {
        None => PostState::Published,
        Some(raw) => PostState::parse(raw).ok_or_else(|| {
            bad(
                "state 须为 draft、published 或 withdrawn。",
                "state must be draft, published or withdrawn.",
            )
        })?,
    };
    if wanted != PostState::Published {
        authorize(actor, Action::Write, &Target::Anywhere)?;
        f.scope = Some(actor.scope_with(MemberRole::Worker));
    }
    f.state = Some(wanted);
    Ok(f)
}

async fn list(
    State(state): State<AppState>,
    actor: GovActor,
    Query(q): Query<ListQuery>,
    paging: Paging,
) -> AppResult<Json<Value>> {
    let f = filter(&state, &actor, &q).await?;
    let page = paging.bounded(20, 100);
    let (posts, total) = model::list(&state.db, &f, page.per_page, page.offset()).await?;
    Ok(Json(json!({
        "items": posts.iter().map(to_json).collect::<Vec<_>>(),
        "total": total,
        "page": page.page,
        "per_page": page.per_page,
    })))
}

async fn one(State(state): State<AppState>, actor: GovActor, Id(id): Id) -> AppResult<Json<Value>> {
    let post = service::visible(&state, &actor, id).await?;
    Ok(Json(to_json(&post)))
}

#[derive(Deserialize)]
struct NewPost {
    unit_id: i64,
    kind: String,
    title: String,
    #[serde(default)]
    summary: String,
    body: String,
}

async fn create(
    State(state): State<AppState>,
    actor: GovActor,
    ApiJson(body): ApiJson<NewPost>,
) -> AppResult<Response> {
    authorize(&actor, Action::Write, &Target::Anywhere)?;
    let draft = Draft {
        kind: body.kind,
        title: body.title,
        summary: body.summary,
        body: body.body,
    };
    let checked = draft.check().map_err(|(_, e)| e)?;
    let id = service::create(&state, &actor, body.unit_id, checked).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "state": "draft" })),
    )
        .into_response())
}

async fn step(state: AppState, actor: GovActor, id: i64, to: PostState) -> AppResult<Json<Value>> {
    let post = service::visible(&state, &actor, id).await?;
    let now = service::step(&state, &actor, &post, to).await?;
    Ok(Json(json!({ "id": id, "state": now.as_str() })))
}

async fn publish(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
) -> AppResult<Json<Value>> {
    step(state, actor, id, PostState::Published).await
}

async fn withdraw(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
) -> AppResult<Json<Value>> {
    step(state, actor, id, PostState::Withdrawn).await
}
