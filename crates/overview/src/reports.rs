//! The stored weekly reports: a list at /overview/reports (and /api/v1/overview/reports) of
//! those whose unit lies in the viewer's scope, each PDF to download, and an operator's
//! `POST /api/v1/overview/reports/run` that makes the week's missing ones now.

use crate::pages::authorize;
use crate::weekly_job::{self, Stored};
use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use gov_core::GovActor;
use platform::AppState;
use platform::clock::format_ms;
use platform::web::authz::Denied;
use platform::web::{AppResult, Id, PageCtx, SignedIn, render};
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/overview/reports", get(page))
        .route("/overview/reports/{id}/pdf", get(pdf))
        .route("/api/v1/overview/reports", get(api))
        .route("/api/v1/overview/reports/run", post(run))
}

pub struct Row {
    pub id: i64,
    pub unit_name: String,
    pub week_of: String,
    pub made: String,
    pub kb: i64,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    page: PageCtx,
    rows: Vec<Row>,
}

async fn page(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
) -> AppResult<Response> {
    authorize(&actor)?;
    let rows = weekly_job::list(&state, &actor, 200)
        .await?
        .into_iter()
        .map(|r: Stored| Row {
            id: r.id,
            unit_name: r.unit_name,
            week_of: r.week_of,
            made: format_ms(r.created_ms),
            kb: (r.size_bytes + 1023) / 1024,
        })
        .collect();
    render(&ReportsPage {
        page: actor.page(actor.lang.pick("周报", "Weekly reports")),
        rows,
    })
}

async fn api(State(state): State<AppState>, actor: GovActor) -> AppResult<Json<Value>> {
    authorize(&actor)?;
    let items: Vec<Value> = weekly_job::list(&state, &actor, 200)
        .await?
        .into_iter()
        .map(|r| {
            let href = format!("/overview/reports/{}/pdf", r.id);
            json!({"id": r.id, "unit_id": r.unit_id, "unit_name": r.unit_name,
                   "week_of": r.week_of, "size_bytes": r.size_bytes, "href": href})
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}

async fn pdf(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Id(id): Id,
) -> AppResult<Response> {
    authorize(&actor)?;
    let (r, bytes) = weekly_job::open(&state, &actor, id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"weekly-{}-{}.pdf\"",
                    r.week_of, r.unit_id
                ),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

/// Makes the week's missing reports now (platform administrators: operators).
async fn run(State(state): State<AppState>, actor: GovActor) -> AppResult<Json<Value>> {
    if actor.user.is_none() {
        return Err(Denied::SignIn.into());
    }
    if !actor.is_platform_admin() {
        return Err(Denied::Forbidden(platform::bi!(
            "只有平台管理员可以立即生成周报。",
            "Only platform administrators make the weekly reports on demand."
        ))
        .into());
    }
    let now = state.now();
    let added = weekly_job::run_weekly(&state, now).await?;
    Ok(Json(json!({
        "week_of": weekly_job::week_of(now).to_string(),
        "added": added,
    })))
}
