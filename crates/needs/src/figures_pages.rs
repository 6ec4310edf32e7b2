//! The lists behind the overview's project figures (issue 16): the contracts it counts as
//! running and the milestones it counts as slipping, for the viewer's scope or one unit in
//! it (`?unit=ID`, the viewer narrowed as the overview narrows it), read with the figures'
//! own clauses (`figures::running`, `figures::slipping`).

use crate::authz::{Action, Target, authorize};
use crate::error::{NeedError, NeedResult};
use crate::figures::{self, ProjectLine};
use crate::projects_pages::yuan;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use gov_core::{Asked, GovActor};
use platform::AppState;
use platform::web::{PageCtx, SignedIn, render};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/needs/projects/running", get(running))
        .route("/needs/projects/slipping", get(slipping))
}

#[derive(Deserialize)]
struct UnitQuery {
    unit: Option<String>,
}

pub struct Line {
    pub href: String,
    pub call: String,
    pub unit: String,
    pub contract: String,
    pub org: String,
    pub amount: String,
    pub milestone: String,
    pub due: String,
}

#[derive(Template)]
#[template(path = "needs_project_figure.html")]
struct FigurePage {
    page: PageCtx,
    heading: String,
    intro: &'static str,
    empty: &'static str,
    /// The unit the list is narrowed to, if any.
    unit: Option<String>,
    milestones: bool,
    lines: Vec<Line>,
}

/// The viewer the figure was counted for: narrowed to `unit=ID` (which must be in scope).
async fn viewer(
    state: &AppState,
    actor: &GovActor,
    q: &UnitQuery,
) -> NeedResult<(GovActor, Option<String>)> {
    authorize(actor, Action::Monitor, &Target::Anywhere)?;
    match Asked::parse(&state.db, actor, q.unit.as_deref()).await? {
        Asked::NotYours => Err(NeedError::coded(
            platform::web::Code::InvalidFilter,
            platform::bi!(
                "所选单位不在您的范围内。",
                "That unit is not in your scope."
            ),
        )),
        Asked::Unit(u) => Ok((actor.narrowed(&u), Some(u.name))),
        Asked::Everywhere => Ok((actor.clone(), None)),
    }
}

fn page(
    actor: &GovActor,
    heading: (&str, &str),
    texts: [(&'static str, &'static str); 2],
    unit: Option<String>,
    found: Vec<ProjectLine>,
) -> NeedResult<Response> {
    let lang = actor.lang;
    let milestones = found.iter().any(|l| l.milestone.is_some());
    let lines = found
        .into_iter()
        .map(|l| {
            let (milestone, due) = l.milestone.unwrap_or_default();
            Line {
                href: format!("/needs/projects/{}", l.call_id),
                call: l.call_title,
                unit: l.unit_name,
                contract: l.contract_title,
                org: l.org_name,
                amount: yuan(&l.amount_fen),
                milestone,
                due,
            }
        })
        .collect();
    let [intro, empty] = texts;
    render(&FigurePage {
        page: actor.page(lang.pick(heading.0, heading.1)),
        heading: lang.pick(heading.0, heading.1).to_string(),
        intro: lang.pick(intro.0, intro.1),
        empty: lang.pick(empty.0, empty.1),
        unit,
        milestones,
        lines,
    })
    .map_err(NeedError::from_app)
}

async fn running(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Query(q): Query<UnitQuery>,
) -> NeedResult<Response> {
    let (viewer, unit) = viewer(&state, &actor, &q).await?;
    let found = figures::running(&state, &viewer).await?;
    page(
        &actor,
        ("在建购买服务项目", "Purchased-service projects running"),
        [
            (
                "总览中“在建项目”数到的合同：已签约、正在执行。",
                "The contracts the overview counts as running: signed and under way.",
            ),
            (
                "这里没有在建的项目。项目授予并签约后会出现在这里。",
                "No project is running here. A project appears once it is awarded and signed.",
            ),
        ],
        unit,
        found,
    )
}

async fn slipping(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Query(q): Query<UnitQuery>,
) -> NeedResult<Response> {
    let (viewer, unit) = viewer(&state, &actor, &q).await?;
    let today = platform::clock::local_day(state.now()).to_string();
    let found = figures::slipping(&state, &viewer, &today).await?;
    page(
        &actor,
        ("逾期里程碑", "Milestones slipping"),
        [
            (
                "总览中“逾期里程碑”数到的里程碑：在建项目中已过到期日、尚未报告完成。",
                "The milestones the overview counts as slipping: past their due day in a running project and not reported met.",
            ),
            (
                "没有逾期的里程碑，所有里程碑都在期限内。",
                "No milestone is slipping: every one is within its due day.",
            ),
        ],
        unit,
        found,
    )
}
