//! The assessment's pages: a year's ranking and a unit's score sheet, whose formula values
//! link to the records they counted. Who sees what is the API's rule (`authz`): staff see
//! the units in their scope; everyone sees a ranking on public notice or final.

use crate::api::{KindQuery, plan_for, readable_sheet};
use crate::model::{self, PlanState};
use crate::service::{self, Line, Ranked};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use gov_core::GovActor;
use platform::AppState;
use platform::web::menu::MenuItem;
use platform::web::{AppResult, Lang, PageCtx, redirect, render};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assessments", get(latest))
        .route("/assessments/{year}", get(ranking))
        .route("/assessments/{year}/units/{unit_id}", get(sheet))
}

/// Staff find the running year's ranking in the menu.
pub fn menu<'a>(
    state: &'a AppState,
    user: &'a platform::auth::User,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Vec<MenuItem>> + Send + 'a>> {
    Box::pin(async move {
        let Ok(a) = GovActor::of_user(&state.db, user).await else {
            return Vec::new();
        };
        if !a.is_platform_admin() && a.grants.is_empty() {
            return Vec::new();
        }
        vec![MenuItem {
            href: "/assessments",
            zh: "考核",
            en: "Assessment",
            main: false,
        }]
    })
}

/// The latest year with a plan the viewer may see.
async fn latest(State(state): State<AppState>, actor: GovActor) -> AppResult<Response> {
    for year in model::plan_years(&state.db).await? {
        if plan_for(&state, &actor, &year.to_string(), None)
            .await
            .is_ok()
        {
            return Ok(redirect(&format!("/assessments/{year}")));
        }
    }
    let lang = actor.lang;
    render(&RankingPage {
        page: actor.page(lang.pick("考核", "Assessment")),
        year: 0,
        stage: lang.pick("尚无考核方案", "No plan yet"),
        kind_q: String::new(),
        items: Vec::new(),
    })
}

fn stage_label(state: PlanState, lang: Lang) -> &'static str {
    match state {
        PlanState::Open => lang.pick("自评审核中", "Self-assessment and review"),
        PlanState::Locked => lang.pick("已锁定", "Locked"),
        PlanState::Notice => lang.pick("公示中（可申诉）", "On public notice (appeals open)"),
        PlanState::Final => lang.pick("已定案", "Final"),
    }
}

#[derive(Template)]
#[template(path = "ranking.html")]
struct RankingPage {
    page: PageCtx,
    year: i64,
    stage: &'static str,
    kind_q: String,
    items: Vec<Ranked>,
}

async fn ranking(
    State(state): State<AppState>,
    actor: GovActor,
    Path(year): Path<String>,
    Query(q): Query<KindQuery>,
) -> AppResult<Response> {
    let plan = plan_for(&state, &actor, &year, q.kind.as_deref()).await?;
    let items = service::ranking(&state, &actor, &plan).await?;
    let lang = actor.lang;
    render(&RankingPage {
        page: actor.page(format!(
            "{} {}",
            plan.year,
            lang.pick("年度考核排名", "assessment ranking")
        )),
        year: plan.year,
        stage: stage_label(plan.state, lang),
        kind_q: format!("?kind={}", plan.unit_kind),
        items,
    })
}

#[derive(Template)]
#[template(path = "sheet.html")]
struct SheetPage {
    page: PageCtx,
    year: i64,
    unit_name: String,
    stage: &'static str,
    sheet_state: String,
    score: f64,
    deduction: f64,
    kind_q: String,
    lines: Vec<Line>,
}

async fn sheet(
    State(state): State<AppState>,
    actor: GovActor,
    Path((year, unit_id)): Path<(String, String)>,
    Query(q): Query<KindQuery>,
) -> AppResult<Response> {
    let plan = plan_for(&state, &actor, &year, q.kind.as_deref()).await?;
    let sheet = readable_sheet(&state, &actor, &plan, &unit_id).await?;
    let items = model::items(&state.db, plan.id).await?;
    let s = service::score_sheet(&state, &actor, &plan, &items, &sheet).await?;
    let lang = actor.lang;
    render(&SheetPage {
        page: actor.page(format!(
            "{} · {}",
            s.unit_name,
            lang.pick("考核表", "score sheet")
        )),
        year: plan.year,
        unit_name: s.unit_name,
        stage: stage_label(plan.state, lang),
        sheet_state: s.state,
        score: s.score,
        deduction: s.deduction,
        kind_q: format!("?kind={}", plan.unit_kind),
        lines: s.indicators,
    })
}
