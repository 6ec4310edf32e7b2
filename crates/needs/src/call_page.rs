//! One call's page (issue 14, ADR 033): its budget use, contracts with milestones (overdue
//! ones marked) and evaluations for every signed-in reader; for an assigned reviewer, the
//! applications given to them with a link to each scoring sheet (no names on a blind call
//! until the scores are final); for the office (workers of the call's unit), the
//! applications with their scores, the reviewers and their loads, and the forms to assign
//! reviewers, spread them in balance, close the review and evaluate a contract.

use crate::authz::{Action, Target, authorize};
use crate::budget::Use;
use crate::error::{NeedError, NeedResult};
use crate::evaluation::{self, Evaluation, NewEvaluation};
use crate::projects::{self, Call, Contract};
use crate::projects_review::{self as pr, ApplicationRow};
use crate::review_plan::{self, ApplicationView, Load};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use gov_core::GovActor;
use platform::AppState;
use platform::web::{Code, Id, PageCtx, SignedIn, redirect, render, sign_in_first};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/needs/projects/{id}", get(show))
        .route("/needs/projects/{id}/reviewers", post(assign))
        .route("/needs/projects/{id}/distribute", post(distribute))
        .route("/needs/projects/{id}/final", post(finalise))
        .route("/needs/projects/{id}/evaluate", post(evaluate))
}

pub struct ContractView {
    pub k: Contract,
    pub paid_fen: i64,
    pub evaluations: Vec<Evaluation>,
}

#[derive(Template)]
#[template(path = "needs_call.html")]
struct CallPage {
    page: PageCtx,
    call: Call,
    budget: Use,
    contracts: Vec<ContractView>,
    /// The office's part (workers of the call's unit); `funder`: its administrators.
    office: bool,
    funder: bool,
    applications: Vec<ApplicationRow>,
    loads: Vec<Load>,
    /// What the reader was given to review on this call.
    to_review: Vec<ApplicationView>,
    /// The reader's organisations' own applications: (application, organisation name).
    mine: Vec<(i64, String)>,
    error: Option<String>,
}

async fn call_page(
    state: &AppState,
    actor: &GovActor,
    id: i64,
    error: Option<String>,
) -> NeedResult<Response> {
    let call = projects::call(state, id).await?;
    let office = authorize(actor, Action::Verify, &Target::Unit(&call.unit_path)).is_ok();
    let funder = authorize(actor, Action::Fund, &Target::Unit(&call.unit_path)).is_ok();
    let mut contracts = Vec::new();
    for k in projects::contracts(state, id).await? {
        let paid_fen = k
            .milestones
            .iter()
            .filter(|m| m.paid)
            .map(|m| m.amount_fen)
            .sum();
        let evaluations = evaluation::of_contract(&state.db, k.id).await?;
        contracts.push(ContractView {
            k,
            paid_fen,
            evaluations,
        });
    }
    let (applications, loads) = if office {
        (
            pr::applications(state, actor, id).await?,
            review_plan::loads(state, id).await?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let to_review = review_plan::my_queue(state, actor)
        .await?
        .into_iter()
        .find(|q| q.call_id == id)
        .map(|q| q.items)
        .unwrap_or_default();
    let mut mine = Vec::new();
    if !actor.org_links.is_empty() {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT id, org_id FROM needs_applications WHERE call_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&state.db.pool)
        .await?;
        for l in &actor.org_links {
            if let Some((app, _)) = rows.iter().find(|(_, org)| *org == l.org_id) {
                mine.push((*app, l.org_name.clone()));
            }
        }
    }
    let lang = actor.lang;
    render(&CallPage {
        page: actor.page(&call.title),
        budget: Use::of_call(&call),
        call,
        contracts,
        office,
        funder,
        applications,
        loads,
        to_review,
        mine,
        error: error.map(|m| lang.msg(&m).to_string()),
    })
    .map_err(NeedError::from_app)
}

async fn show(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Id(id): Id,
) -> NeedResult<Response> {
    call_page(&state, &actor, id, None).await
}

/// What a form answers: `to` after a success; for a refusal whose code is in `shown`, the
/// page again (`again`) with the message in words — answered with the code's status when
/// `with_status` —; any other error as it is.
pub(crate) async fn form_outcome<T, Fut>(
    r: NeedResult<T>,
    to: &str,
    shown: &[Code],
    with_status: bool,
    again: impl FnOnce(String) -> Fut,
) -> NeedResult<Response>
where
    Fut: std::future::Future<Output = NeedResult<Response>>,
{
    match r {
        Ok(_) => Ok(redirect(to)),
        Err(NeedError::Coded { code, message }) if shown.contains(&code) => {
            let mut page = again(message).await?;
            if with_status {
                *page.status_mut() = code.status();
            }
            Ok(page)
        }
        Err(e) => Err(e),
    }
}

/// Back to the call page after a form: refusals in words on the page, the rest as errors.
async fn after<T>(
    state: &AppState,
    actor: &GovActor,
    id: i64,
    r: NeedResult<T>,
) -> NeedResult<Response> {
    let shown = [Code::InvalidField, Code::MissingField, Code::Conflict];
    form_outcome(r, &format!("/needs/projects/{id}"), &shown, false, |m| {
        call_page(state, actor, id, Some(m))
    })
    .await
}

#[derive(Deserialize)]
struct AssignForm {
    #[serde(default)]
    username: String,
}

async fn assign(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    Form(f): Form<AssignForm>,
) -> NeedResult<Response> {
    if let Some(r) = sign_in_first(&actor, &format!("/needs/projects/{id}")) {
        return Ok(r);
    }
    let r = pr::assign(&state, &actor, id, &f.username).await;
    after(&state, &actor, id, r).await
}

#[derive(Deserialize)]
struct SpreadForm {
    #[serde(default)]
    k: String,
}

async fn distribute(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    Form(f): Form<SpreadForm>,
) -> NeedResult<Response> {
    if let Some(r) = sign_in_first(&actor, &format!("/needs/projects/{id}")) {
        return Ok(r);
    }
    let k = Some(f.k.trim().parse().unwrap_or(0));
    let r = review_plan::distribute(&state, &actor, id, k).await;
    after(&state, &actor, id, r).await
}

async fn finalise(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
) -> NeedResult<Response> {
    if let Some(r) = sign_in_first(&actor, &format!("/needs/projects/{id}")) {
        return Ok(r);
    }
    let r = review_plan::finalise(&state, &actor, id).await;
    after(&state, &actor, id, r).await
}

#[derive(Deserialize)]
struct EvaluateForm {
    #[serde(default)]
    contract_id: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    score: String,
    #[serde(default)]
    summary: String,
}

async fn evaluate(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    Form(f): Form<EvaluateForm>,
) -> NeedResult<Response> {
    if let Some(r) = sign_in_first(&actor, &format!("/needs/projects/{id}")) {
        return Ok(r);
    }
    let contract: i64 = f.contract_id.trim().parse().unwrap_or(0);
    // The contract must be one of this call's.
    if !projects::contracts(&state, id)
        .await?
        .iter()
        .any(|k| k.id == contract)
    {
        return Err(NeedError::NotFound);
    }
    let e = NewEvaluation {
        kind: Some(f.kind),
        // An unreadable score becomes -1, which `evaluate` refuses in words.
        score: Some(f.score.trim().parse().unwrap_or(-1)),
        summary: Some(f.summary),
    };
    let r = evaluation::evaluate(&state, &actor, contract, &e).await;
    after(&state, &actor, id, r).await
}
