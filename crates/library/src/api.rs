//! The library's JSON API under /api/v1.

use crate::authz::{Action, visible_pages};
use crate::error::{LibResult, LibraryError};
use crate::model::{self, Document, Status};
use crate::{service, upload};
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use platform::web::{ApiJson, Id, Page, Paging};
use platform::{Actor, AppState};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router(upload_limit: usize) -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/documents",
            get(list_public)
                .post(create)
                .layer(axum::extract::DefaultBodyLimit::max(upload_limit)),
        )
        .route("/api/v1/me/documents", get(list_mine))
        .route(
            "/api/v1/documents/{id}",
            get(show).patch(edit).delete(delete),
        )
        .route("/api/v1/documents/{id}/take-down", post(take_down))
        .route("/api/v1/documents/{id}/restore", post(restore))
        .route("/api/v1/documents/{id}/pages/{n}", get(page_image))
        .route("/api/v1/documents/{id}/thumbnail", get(thumbnail))
        .route("/api/v1/documents/{id}/download", get(download))
        .route("/api/v1/documents/{id}/approve", post(approve))
        .route("/api/v1/documents/{id}/reject", post(reject))
        .route("/api/v1/categories", get(categories))
}

/// The public JSON view of a document for this actor.
pub fn doc_json(actor: &Actor, doc: &Document, tags: &[String], free_pages: u32) -> Value {
    let mut v = json!({
        "id": doc.id,
        "title": doc.title,
        "description": doc.description,
        "status": doc.status,
        "format": doc.format,
        "pages": doc.pages,
        "visible_pages": visible_pages(actor, doc, free_pages),
        "preview": doc.preview_kind,
        "preview_pages": doc.preview_pages,
        "price_kind": doc.price_kind,
        "price": crate::money::ledger::Fen(doc.price).yuan(),
        "preview_note": doc.preview_note,
        "category_id": doc.category_id,
        "tags": tags,
        "size_bytes": doc.size_bytes,
        "uploader": { "id": doc.uploader_id, "name": doc.uploader_name },
        "views": doc.views,
        "downloads": doc.downloads,
        "created_at": doc.created_at,
        "published_at": doc.published_at,
        "progress": { "done": doc.progress_done, "total": doc.progress_total },
    });
    if let Some(e) = &doc.error {
        v["error"] = json!(e);
    }
    if let Some(r) = &doc.reject_reason {
        v["reject_reason"] = json!(r);
    }
    if let Some(r) = &doc.takedown_reason {
        v["takedown_reason"] = json!(r);
    }
    v
}

async fn create(State(state): State<AppState>, actor: Actor, mp: Multipart) -> LibResult<Response> {
    service::permitted(&state, &actor, Action::Upload)?;
    let user = actor
        .require_user()
        .map_err(|_| LibraryError::SignIn)?
        .clone();
    let (fields, rec) = upload::receive(&state, mp).await?;
    let created = upload::create(&state, &user, fields, rec).await?;
    let status = if created.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        [(
            header::LOCATION,
            format!("/api/v1/documents/{}", created.id),
        )],
        Json(created),
    )
        .into_response())
}

pub(crate) use platform::web::parse_id;

async fn show(State(state): State<AppState>, actor: Actor, Id(id): Id) -> LibResult<Json<Value>> {
    let doc = service::load(&state, &actor, id, Action::View).await?;
    let tags = model::tags(&state.db, doc.id).await?;
    Ok(Json(doc_json(
        &actor,
        &doc,
        &tags,
        service::free_pages(&state),
    )))
}

fn image_response(mime: &str, data: bytes::Bytes) -> Response {
    (
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (header::CACHE_CONTROL, "private, max-age=3600".to_string()),
            // SVG pages are drawn by us, but never let one run anything.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; sandbox".to_string(),
            ),
        ],
        data,
    )
        .into_response()
}

async fn page_image(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, n)): Path<(String, String)>,
) -> LibResult<Response> {
    let id = parse_id(&id)?;
    let n: i64 = n.parse().map_err(|_| LibraryError::NotFound)?;
    let doc = service::load(&state, &actor, id, Action::ViewPage(n)).await?;
    let page = model::page(&state.db, doc.id, n)
        .await?
        .ok_or(LibraryError::NotFound)?;
    let data = state
        .storage
        .get(&page.image_key)
        .await
        .map_err(|e| LibraryError::Internal(e.into()))?;
    Ok(image_response(&page.mime, data))
}

async fn thumbnail(State(state): State<AppState>, actor: Actor, Id(id): Id) -> LibResult<Response> {
    let doc = service::load(&state, &actor, id, Action::View).await?;
    let (Some(key), Some(mime)) = (&doc.thumb_key, &doc.thumb_mime) else {
        return Err(LibraryError::NotFound);
    };
    let data = state
        .storage
        .get(key)
        .await
        .map_err(|e| LibraryError::Internal(e.into()))?;
    Ok(image_response(mime, data))
}

pub async fn download(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
) -> LibResult<Response> {
    let (doc, data) = service::download(&state, &actor, id).await?;
    let mime = doc.format.mime();
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                service::attachment_header(&doc.original_name),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
            (header::CONTENT_LENGTH, data.size.to_string()),
        ],
        data.into_body(),
    )
        .into_response())
}

async fn approve(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
) -> LibResult<Json<Value>> {
    let doc = service::approve(&state, &actor, id).await?;
    Ok(Json(json!({ "id": doc.id, "status": doc.status })))
}

#[derive(Deserialize)]
struct RejectBody {
    reason: String,
}

async fn edit(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(e): ApiJson<service::Edit>,
) -> LibResult<Json<Value>> {
    let doc = service::edit(&state, &actor, id, e).await?;
    let tags = model::tags(&state.db, doc.id).await?;
    Ok(Json(doc_json(
        &actor,
        &doc,
        &tags,
        service::free_pages(&state),
    )))
}

async fn delete(State(state): State<AppState>, actor: Actor, Id(id): Id) -> LibResult<StatusCode> {
    service::delete(&state, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn take_down(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(body): ApiJson<RejectBody>,
) -> LibResult<Json<Value>> {
    let doc = service::take_down(&state, &actor, id, &body.reason).await?;
    Ok(Json(json!({ "id": doc.id, "status": doc.status })))
}

async fn restore(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
) -> LibResult<Json<Value>> {
    let doc = service::restore(&state, &actor, id).await?;
    Ok(Json(json!({ "id": doc.id, "status": doc.status })))
}

async fn reject(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(body): ApiJson<RejectBody>,
) -> LibResult<Json<Value>> {
    let doc = service::reject(&state, &actor, id, &body.reason).await?;
    Ok(Json(
        json!({ "id": doc.id, "status": doc.status, "reject_reason": doc.reject_reason }),
    ))
}

#[derive(Deserialize)]
pub struct ListQuery {
    pub category: Option<String>,
}

async fn list_public(
    State(state): State<AppState>,
    actor: Actor,
    paging: Paging,
    Query(q): Query<ListQuery>,
) -> LibResult<Json<Value>> {
    let Page { page, per_page } = paging.bounded(20, 100);
    let listed = match &q.category {
        Some(slug) => {
            let cat: Option<(i64,)> =
                sqlx::query_as("SELECT id FROM library_categories WHERE slug = $1")
                    .bind(slug)
                    .fetch_optional(&state.db.pool)
                    .await?;
            let cat = cat
                .ok_or_else(|| LibraryError::BadField(format!("unknown category `{slug}`")))?
                .0;
            model::published_in(cat)
        }
        None => model::with_status(Status::Ready),
    };
    let docs = model::list(
        &state.db,
        &listed,
        model::NEWEST,
        per_page,
        (page - 1) * per_page,
    )
    .await?;
    let items: Vec<Value> = docs
        .iter()
        .map(|d| doc_json(&actor, d, &[], service::free_pages(&state)))
        .collect();
    Ok(Json(
        json!({ "page": page, "per_page": per_page, "items": items }),
    ))
}

async fn list_mine(State(state): State<AppState>, actor: Actor) -> LibResult<Json<Value>> {
    let user = actor.require_user().map_err(|_| LibraryError::SignIn)?;
    let mine = model::uploaded_by(user.id);
    let docs = model::list(&state.db, &mine, model::LATEST_UPLOAD, 500, 0).await?;
    let items: Vec<Value> = docs
        .iter()
        .map(|d| doc_json(&actor, d, &[], service::free_pages(&state)))
        .collect();
    Ok(Json(json!({ "items": items })))
}

async fn categories(State(state): State<AppState>) -> LibResult<Json<Value>> {
    Ok(Json(
        json!({ "items": model::categories(&state.db).await? }),
    ))
}
