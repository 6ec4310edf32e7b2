//! The assessment's pages: a year's ranking and a unit's score sheet, whose formula values
//! link to the records they counted. Who sees what is the API's rule (`authz`): staff see
//! the units in their scope; everyone sees a ranking on public notice or final.

use crate::api::{KindQuery, SheetAt, plan_for};
use crate::authz::{Action, Target, authorize};
use crate::model::{self, Plan, PlanState, Sheet};
use crate::service::{self, Line, Ranked};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use gov_core::GovActor;
use platform::AppState;
use platform::web::menu::{Menu, MenuItem};
use platform::web::{AppResult, PageCtx, redirect, render};

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(crate::forms::router())
        .route("/assessments", get(latest))
        .route("/assessments/{year}", get(ranking))
        .route("/assessments/{year}/units/{unit_id}", get(sheet))
}

/// Staff find the running year's ranking in the menu.
pub fn menu<'a>(state: &'a AppState, user: &'a platform::auth::User) -> Menu<'a> {
    Box::pin(async move {
        let Ok(a) = GovActor::of_user(&state.db, user).await else {
            return Vec::new();
        };
        if !a.is_staff() {
            return Vec::new();
        }
        vec![
            MenuItem::new("/assessments", "考核", "Assessment", false),
            MenuItem::new("/study", "学习", "Study", false),
        ]
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
        kind: String::new(),
        next: None,
        may_plan: may_plan(&actor),
        items: Vec::new(),
    })
}

#[derive(Template)]
#[template(path = "ranking.html")]
struct RankingPage {
    page: PageCtx,
    year: i64,
    stage: &'static str,
    kind_q: String,
    kind: String,
    items: Vec<Ranked>,
    /// The plan's next step, if the viewer governs it: (step, label).
    next: Option<(&'static str, &'static str)>,
    /// Whether the viewer may set plans (a district administrator).
    may_plan: bool,
}

fn next_step(actor: &GovActor, plan: &Plan) -> Option<(&'static str, &'static str)> {
    let t = Target {
        unit: &plan.district_path,
        public: false,
    };
    authorize(actor, Action::Govern, &t).ok()?;
    let lang = actor.lang;
    match plan.state {
        PlanState::Open => Some((
            "lock",
            lang.pick("锁定并冻结数据", "Lock and freeze the figures"),
        )),
        PlanState::Locked => Some(("notice", lang.pick("发布公示", "Publish the notice"))),
        PlanState::Notice => Some((
            "final",
            lang.pick("公示期满，定案", "Close the notice: final"),
        )),
        PlanState::Final => None,
    }
}

fn may_plan(actor: &GovActor) -> bool {
    actor.is_platform_admin()
        || actor
            .grants
            .iter()
            .any(|g| g.path.depth() == 1 && g.role >= gov_core::MemberRole::UnitAdmin)
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
        stage: plan.state.label(lang),
        kind_q: format!("?kind={}", plan.unit_kind),
        kind: plan.unit_kind.clone(),
        next: next_step(&actor, &plan),
        may_plan: may_plan(&actor),
        items,
    })
}

#[derive(Template)]
#[template(path = "sheet.html")]
struct SheetPage {
    page: PageCtx,
    year: i64,
    unit_id: i64,
    unit_name: String,
    stage: &'static str,
    sheet_state: String,
    score: f64,
    deduction: f64,
    kind: String,
    lines: Vec<Line>,
    error: String,
    /// The steps this viewer may take on the sheet now (submit, review, approve).
    steps: Vec<(&'static str, &'static str)>,
    /// Whether the viewer may enter the sheet's values now.
    may_enter: bool,
    /// Whether the viewer may appeal now (the unit's staff, during the notice).
    may_appeal: bool,
    /// Whether the viewer decides appeals (the district, during the notice).
    may_decide: bool,
    /// The sheet's appeals: (id, indicator name, reason, state, decision).
    appeals: Vec<AppealRow>,
}

pub struct AppealRow {
    pub id: i64,
    pub indicator: String,
    pub reason: String,
    pub open: bool,
    pub state: &'static str,
    pub decision: String,
}

/// The steps the viewer may take on `sheet` now, with their button labels.
fn steps(actor: &GovActor, plan: &Plan, sheet: &Sheet) -> Vec<(&'static str, &'static str)> {
    if plan.state != PlanState::Open {
        return Vec::new();
    }
    let lang = actor.lang;
    let on = |unit| Target {
        unit,
        public: false,
    };
    [
        (
            "open",
            "submit",
            Action::SelfAssess,
            &sheet.unit_path,
            lang.pick("提交自评", "Submit"),
        ),
        (
            "submitted",
            "review",
            Action::Review,
            &sheet.unit_path,
            lang.pick("审核通过", "Reviewed"),
        ),
        (
            "reviewed",
            "approve",
            Action::Govern,
            &plan.district_path,
            lang.pick("审批通过", "Approve"),
        ),
    ]
    .into_iter()
    .filter(|(from, _, action, unit, _)| {
        sheet.state == *from && authorize(actor, *action, &on(unit)).is_ok()
    })
    .map(|(_, step, _, _, label)| (step, label))
    .collect()
}

/// A unit's score sheet, with the forms the viewer may use (and a refusal's message).
pub async fn sheet_page(
    state: &AppState,
    actor: &GovActor,
    plan: &Plan,
    sheet: &Sheet,
    error: String,
) -> AppResult<Response> {
    let items = model::items(&state.db, plan.id).await?;
    let s = service::score_sheet(state, actor, plan, &items, sheet).await?;
    let lang = actor.lang;
    let own = Target {
        unit: &sheet.unit_path,
        public: false,
    };
    let district = Target {
        unit: &plan.district_path,
        public: false,
    };
    let notice = plan.state == PlanState::Notice;
    let window = notice && plan.appeal_until_ms.is_some_and(|t| state.now() < t);
    let may_decide = notice && authorize(actor, Action::Govern, &district).is_ok();
    let may_appeal = window && authorize(actor, Action::SelfAssess, &own).is_ok();
    // Appeals are the unit's and the district's business, not the public's.
    let appeals = if may_decide || authorize(actor, Action::SelfAssess, &own).is_ok() {
        model::appeals(&state.db, sheet.id).await?
    } else {
        Vec::new()
    };
    let appeals = appeals
        .into_iter()
        .map(|a| AppealRow {
            id: a.id,
            indicator: items
                .iter()
                .find(|i| i.indicator.id == a.indicator_id)
                .map(|i| {
                    lang.pick(&i.indicator.name_zh, &i.indicator.name_en)
                        .to_string()
                })
                .unwrap_or_default(),
            reason: a.reason,
            open: a.state == "open",
            state: match a.state.as_str() {
                "open" => lang.pick("待处理", "Open"),
                "upheld" => lang.pick("已采纳", "Upheld"),
                _ => lang.pick("未采纳", "Rejected"),
            },
            decision: a.decision,
        })
        .collect();
    render(&SheetPage {
        page: actor.page(format!(
            "{} · {}",
            s.unit_name,
            lang.pick("考核表", "score sheet")
        )),
        year: plan.year,
        unit_id: sheet.unit_id,
        unit_name: s.unit_name,
        stage: plan.state.label(lang),
        sheet_state: s.state,
        score: s.score,
        deduction: s.deduction,
        kind: plan.unit_kind.clone(),
        lines: s.indicators,
        error,
        steps: steps(actor, plan, sheet),
        may_enter: plan.state == PlanState::Open
            && sheet.state == "open"
            && authorize(actor, Action::SelfAssess, &own).is_ok(),
        may_appeal,
        may_decide,
        appeals,
    })
}

async fn sheet(State(state): State<AppState>, actor: GovActor, at: SheetAt) -> AppResult<Response> {
    let (plan, sheet) = at.sheet(&state, &actor).await?;
    sheet_page(&state, &actor, &plan, &sheet, String::new()).await
}
