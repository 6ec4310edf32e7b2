//! The projects page: every call with its budget used, its contracts, their milestones and
//! the instalments paid — what the open data publishes, for signed-in readers — and the
//! budget use per unit; each call links to its own page (`call_page`).

use crate::error::{NeedError, NeedResult};
use crate::projects::{self, Call, Contract};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use gov_core::GovActor;
use platform::AppState;
use platform::web::{Lang, PageCtx, SignedIn, render};

pub fn router() -> Router<AppState> {
    Router::new().route("/needs/projects", get(page))
}

/// Fen as yuan with two decimals.
pub fn yuan(fen: &i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

pub fn milestone_label(status: &str, lang: &Lang) -> &'static str {
    match status {
        "met" => lang.pick("已达成", "Met"),
        "partiallyMet" => lang.pick("部分达成", "Partly met"),
        "notMet" => lang.pick("未达成", "Not met"),
        _ => lang.pick("计划中", "Scheduled"),
    }
}

pub struct CallView {
    pub call: Call,
    pub contracts: Vec<Contract>,
}

#[derive(Template)]
#[template(path = "needs_projects.html")]
struct ProjectsPage {
    page: PageCtx,
    calls: Vec<CallView>,
    units: Vec<crate::budget::UnitUse>,
}

async fn page(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
) -> NeedResult<Response> {
    let mut calls = Vec::new();
    for call in projects::calls(&state).await? {
        let contracts = projects::contracts(&state, call.id).await?;
        calls.push(CallView { call, contracts });
    }
    let page = actor.page(
        actor
            .lang
            .pick("购买服务项目", "Purchased-service projects"),
    );
    let units = crate::budget::by_unit(&state.db).await?;
    render(&ProjectsPage { page, calls, units }).map_err(NeedError::from_app)
}
