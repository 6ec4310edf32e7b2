//! Vote pages: the votes of the viewer's communities, and one vote with its ballot form
//! (for a verified resident while it is open), the receipt after voting, and the result
//! with the published chain head once it is closed (public, like the result notice).

use crate::authz::ConsultActor;
use crate::error::ConsultResult;
use crate::pages::form_error;
use crate::votes::{self, Rule};
use crate::votes_api::{cast_ballot, load, visible};
use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State as AxState};
use axum::response::Response;
use axum::routing::{get, post};
use platform::web::extract::SignedIn;
use platform::web::{Id, redirect, render, sign_in_first, url_encode};
use platform::{AppState, PageCtx};
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/consultation/votes", get(list))
        .route("/consultation/votes/{id}", get(show))
        .route("/consultation/votes/{id}/ballot", post(ballot))
}

pub struct Row {
    pub id: i64,
    pub title: String,
    pub unit: String,
    pub open: bool,
    pub ballots: i64,
}

#[derive(Template)]
#[template(path = "consult_votes.html")]
struct ListPage {
    page: PageCtx,
    rows: Vec<Row>,
}

async fn list(
    AxState(state): AxState<AppState>,
    SignedIn(actor): SignedIn<ConsultActor>,
) -> ConsultResult<Response> {
    let rows = visible(&state, &actor, None)
        .await?
        .into_iter()
        .map(|v| Row {
            id: v.id,
            title: v.title,
            unit: v.unit_name,
            open: v.open,
            ballots: v.ballots,
        })
        .collect();
    let page = actor.page(actor.lang.pick("社区表决", "Community votes"));
    Ok(render(&ListPage { page, rows })?)
}

/// One option with its count and share of the ballots (for the bar).
pub struct Line {
    pub id: i64,
    pub label: String,
    pub count: i64,
    pub percent: i64,
}

#[derive(Template)]
#[template(path = "consult_vote.html")]
struct VotePage {
    page: PageCtx,
    v: votes::Vote,
    household: bool,
    lines: Vec<Line>,
    can_vote: bool,
    receipt: String,
    error: Option<String>,
}

async fn vote_page(
    state: &AppState,
    actor: &ConsultActor,
    id: i64,
    receipt: String,
    error: Option<String>,
) -> ConsultResult<Response> {
    let (v, who) = load(state, actor, id).await?;
    let tally = votes::tally(&state.db, &v).await?;
    let lines = v
        .options
        .iter()
        .map(|o| {
            let count = tally.get(&o.id).copied().unwrap_or(0);
            Line {
                id: o.id,
                label: o.label.clone(),
                count,
                percent: if v.ballots > 0 {
                    count * 100 / v.ballots
                } else {
                    0
                },
            }
        })
        .collect();
    let page = actor.page(v.title.clone());
    Ok(render(&VotePage {
        page,
        household: v.rule == Rule::Household,
        can_vote: v.open && who.is_some(),
        lines,
        receipt,
        error,
        v,
    })?)
}

async fn show(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    Id(id): Id,
    Query(q): Query<HashMap<String, String>>,
) -> ConsultResult<Response> {
    let receipt: String = q
        .get("receipt")
        .map(|r| r.chars().filter(char::is_ascii_hexdigit).take(64).collect())
        .unwrap_or_default();
    vote_page(&state, &actor, id, receipt, None).await
}

async fn ballot(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    Id(id): Id,
    Form(f): Form<HashMap<String, String>>,
) -> ConsultResult<Response> {
    let here = format!("/consultation/votes/{id}");
    if let Some(r) = sign_in_first(&actor, &here) {
        return Ok(r);
    }
    let option = f
        .get("option_id")
        .and_then(|o| o.trim().parse::<i64>().ok())
        .unwrap_or(0);
    match cast_ballot(&state, &actor, id, option).await {
        Ok(receipt) => Ok(redirect(&format!(
            "{here}?receipt={}",
            url_encode(&receipt)
        ))),
        Err(e) => {
            let msg = form_error(e, actor.lang)?;
            vote_page(&state, &actor, id, String::new(), Some(msg)).await
        }
    }
}
