//! An application's page and its files (ADR 035): the applicant's staff, the call's office
//! and the reviewers it was given to read it (`review_plan::view` decides, and masks a blind
//! call for reviewers); the applicant adds files (a multipart form, `_csrf` in the query)
//! and deletes them until the call closes. The JSON API of the same files sits here too.

use crate::attachments::{self, Attachment, BODY_LIMIT, Kind};
use crate::error::{NeedError, NeedResult};
use crate::review_plan::{self, ApplicationView};
use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use gov_core::GovActor;
use platform::AppState;
use platform::web::{Code, Id, PageCtx, SignedIn, render, sign_in_first};
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    let limit = || DefaultBodyLimit::max(BODY_LIMIT);
    Router::new()
        .route(
            "/api/v1/applications/{id}/attachments",
            get(list).post(upload).layer(limit()),
        )
        .route("/api/v1/attachments/{id}", get(download).delete(remove))
        .route("/needs/applications/{id}", get(show))
        .route(
            "/needs/applications/{id}/attachments",
            post(upload_form).layer(limit()),
        )
        .route("/needs/attachments/{id}/delete", post(delete_form))
}

async fn list(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
) -> NeedResult<Json<Value>> {
    let items = attachments::list(&state, &actor, id).await?;
    Ok(Json(json!({ "items": items })))
}

async fn upload(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    form: Result<Multipart, MultipartRejection>,
) -> NeedResult<(StatusCode, Json<Attachment>)> {
    let a = attachments::add(&state, &actor, id, form).await?;
    Ok((StatusCode::CREATED, Json(a)))
}

async fn download(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
) -> NeedResult<Response> {
    let (name, mime, data) = attachments::download(&state, &actor, id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                library::service::attachment_header(&name),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        data,
    )
        .into_response())
}

async fn remove(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
) -> NeedResult<StatusCode> {
    attachments::delete(&state, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Template)]
#[template(path = "needs_application.html")]
struct ApplicationPage {
    page: PageCtx,
    a: ApplicationView,
    /// The applicant's staff, before the deadline: the forms to add and delete.
    may_change: bool,
    kinds: Vec<(&'static str, &'static str)>,
    max_mb: usize,
    error: Option<String>,
}

async fn page(
    state: &AppState,
    actor: &GovActor,
    id: i64,
    error: Option<String>,
) -> NeedResult<Response> {
    let a = review_plan::view(state, actor, id).await?;
    let access = attachments::access(state, actor, id).await?;
    let may_change = access.applicant && attachments::open_for_changes(&access.call, state.now());
    let lang = actor.lang;
    render(&ApplicationPage {
        page: actor.page(lang.pick("申报详情", "Application")),
        a,
        may_change,
        kinds: Kind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label(lang)))
            .collect(),
        max_mb: attachments::MAX_BYTES >> 20,
        error: error.map(|m| lang.msg(&m).to_string()),
    })
    .map_err(NeedError::from_app)
}

async fn show(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Id(id): Id,
) -> NeedResult<Response> {
    page(&state, &actor, id, None).await
}

/// A refused file re-renders the page with the reason and the code's status; the rest
/// are errors.
async fn after<T>(
    state: &AppState,
    actor: &GovActor,
    id: i64,
    r: NeedResult<T>,
) -> NeedResult<Response> {
    let shown = [
        Code::TooLarge,
        Code::Unsupported,
        Code::NoFile,
        Code::BadForm,
        Code::InvalidField,
        Code::Conflict,
    ];
    let to = format!("/needs/applications/{id}#files");
    crate::call_page::form_outcome(r, &to, &shown, true, |m| page(state, actor, id, Some(m))).await
}

async fn upload_form(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    form: Result<Multipart, MultipartRejection>,
) -> NeedResult<Response> {
    if let Some(r) = sign_in_first(&actor, &format!("/needs/applications/{id}")) {
        return Ok(r);
    }
    let r = attachments::add(&state, &actor, id, form).await;
    after(&state, &actor, id, r).await
}

async fn delete_form(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
) -> NeedResult<Response> {
    if let Some(r) = sign_in_first(&actor, "/needs/projects") {
        return Ok(r);
    }
    let app = attachments::application_of(&state, id).await?;
    let r = attachments::delete(&state, &actor, id).await;
    after(&state, &actor, app, r).await
}
