//! The scoring sheet page (issue 14): an assigned reviewer sees the application (its plan
//! and budget; on a blind call neither name nor identifying fields) and scores each criterion of the call's sheet 0–100, or declares a conflict
//! of interest instead. `projects_review::review` decides; a refused sheet re-renders with
//! the scores as typed and the reason in words.

use crate::error::{NeedError, NeedResult};
use crate::projects_review::{self as pr, Criterion, NewReview};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use gov_core::GovActor;
use platform::AppState;
use platform::web::{Code, Id, PageCtx, SignedIn, redirect, render, sign_in_first};
use std::collections::BTreeMap;

pub fn router() -> Router<AppState> {
    Router::new().route("/needs/applications/{id}/review", get(sheet).post(score))
}

pub struct Line {
    pub c: Criterion,
    pub typed: String,
}

#[derive(Template)]
#[template(path = "needs_review.html")]
struct ReviewPage {
    page: PageCtx,
    id: i64,
    call: i64,
    /// None on a blind call before the scores are final.
    org_name: Option<String>,
    plan: String,
    budget_fen: i64,
    lines: Vec<Line>,
    error: Option<String>,
}

async fn sheet_page(
    state: &AppState,
    actor: &GovActor,
    id: i64,
    typed: &BTreeMap<String, String>,
    error: Option<String>,
) -> NeedResult<Response> {
    let v = crate::review_plan::view(state, actor, id).await?;
    let call = v.call_id;
    let me = actor.id().ok_or(NeedError::SignIn)?;
    if !pr::is_reviewer(state, call, me).await? {
        return Err(NeedError::NotFound);
    }
    let lines = pr::rules(state, call)
        .await?
        .criteria
        .into_iter()
        .map(|c| Line {
            typed: typed.get(&c.name).cloned().unwrap_or_default(),
            c,
        })
        .collect();
    let lang = actor.lang;
    render(&ReviewPage {
        page: actor.page(lang.pick("评审打分", "Scoring sheet")),
        id,
        org_name: v.org_name,
        plan: v.plan,
        budget_fen: v.budget_fen,
        call,
        lines,
        error: error.map(|m| lang.msg(&m).to_string()),
    })
    .map_err(NeedError::from_app)
}

async fn sheet(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Id(id): Id,
) -> NeedResult<Response> {
    sheet_page(&state, &actor, id, &BTreeMap::new(), None).await
}

/// Fields `score:<criterion>` and an optional `conflict` box.
async fn score(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    Form(fields): Form<Vec<(String, String)>>,
) -> NeedResult<Response> {
    if let Some(r) = sign_in_first(&actor, &format!("/needs/applications/{id}/review")) {
        return Ok(r);
    }
    let typed: BTreeMap<String, String> = fields
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("score:")?.to_string(), v.trim().to_string())))
        .collect();
    let r = NewReview {
        // An unreadable score becomes -1, which the sheet's check refuses in words.
        scores: Some(
            typed
                .iter()
                .map(|(k, v)| (k.clone(), v.parse().unwrap_or(-1)))
                .collect(),
        ),
        conflict: Some(fields.iter().any(|(k, _)| k == "conflict")),
    };
    match pr::review(&state, &actor, id, &r).await {
        Ok(_) => {
            let call = crate::review_plan::view(&state, &actor, id).await?.call_id;
            Ok(redirect(&format!("/needs/projects/{call}")))
        }
        Err(NeedError::Coded {
            code: Code::InvalidField | Code::Conflict | Code::ConflictOfInterest,
            message,
        }) => sheet_page(&state, &actor, id, &typed, Some(message)).await,
        Err(e) => Err(e),
    }
}
