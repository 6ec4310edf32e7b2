//! The form an organisation's staff use to apply to a call (issue 14): which of their
//! organisations, the plan and the budget asked for in yuan. Eligibility is checked by
//! `projects_review::apply`; a refusal (a field, not eligible, applied already) re-renders
//! the form as typed with the reason in words.

use crate::call_pages::fen_of_yuan;
use crate::error::{NeedError, NeedResult};
use crate::projects::{self, Call};
use crate::projects_review::{self as pr, NewApplication};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use gov_core::GovActor;
use platform::AppState;
use platform::web::{Code, Id, Opt, PageCtx, SignedIn, redirect, render, sign_in_first};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/needs/projects/{id}/apply", get(form).post(submit))
}

#[derive(Clone, Default, Deserialize)]
pub struct ApplyForm {
    #[serde(default)]
    pub org_id: String,
    #[serde(default)]
    pub plan: String,
    #[serde(default)]
    pub budget_yuan: String,
}

#[derive(Template)]
#[template(path = "needs_apply.html")]
struct ApplyPage {
    page: PageCtx,
    call: Call,
    error: Option<String>,
    orgs: Vec<Opt>,
    f: ApplyForm,
}

async fn form_page(
    state: &AppState,
    actor: &GovActor,
    id: i64,
    f: ApplyForm,
    error: Option<String>,
) -> NeedResult<Response> {
    let call = projects::call(state, id).await?;
    let lang = actor.lang;
    let orgs = actor
        .org_links
        .iter()
        .map(|l| Opt::current(l.org_id.to_string(), l.org_name.clone(), &f.org_id))
        .collect();
    render(&ApplyPage {
        page: actor.page(lang.pick("申报项目", "Apply")),
        call,
        error: error.map(|m| lang.msg(&m).to_string()),
        orgs,
        f,
    })
    .map_err(NeedError::from_app)
}

async fn form(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Id(id): Id,
) -> NeedResult<Response> {
    form_page(&state, &actor, id, ApplyForm::default(), None).await
}

async fn submit(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    Form(f): Form<ApplyForm>,
) -> NeedResult<Response> {
    if let Some(r) = sign_in_first(&actor, &format!("/needs/projects/{id}/apply")) {
        return Ok(r);
    }
    let Some(budget) = fen_of_yuan(&f.budget_yuan) else {
        let m = platform::bi!(
            "申报预算请填写正数金额（元，最多两位小数）。",
            "the budget asked for takes a positive amount in yuan"
        );
        return form_page(&state, &actor, id, f, Some(m.into())).await;
    };
    let a = NewApplication {
        org_id: f.org_id.trim().parse().ok(),
        plan: Some(f.plan.clone()),
        budget_fen: Some(budget),
    };
    match pr::apply(&state, &actor, id, &a).await {
        Ok(app) => Ok(redirect(&format!("/needs/applications/{app}#files"))),
        Err(NeedError::Coded {
            code: Code::InvalidField | Code::MissingField | Code::NotEligible | Code::Conflict,
            message,
        }) => form_page(&state, &actor, id, f, Some(message)).await,
        Err(e) => Err(e),
    }
}
