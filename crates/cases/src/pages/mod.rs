//! The centre's pages under /cases: the resident's report form and "my cases", the
//! operator console, the unit inbox, the supervision list, a case with its timeline and
//! the steps the viewer may take, the dashboard, and the settings.

use crate::api::{self, ListQuery};
use crate::authz::{self, Action, Target, authorize};
use crate::error::CaseResult;
use crate::model::{self, Case, CaseState, Category, Priority};
use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::header;
use axum::response::Response;
use axum::routing::{get, post};
use gov_core::GovActor;
use platform::AppState;
use platform::clock::format_ms;
use platform::web::{Lang, PageCtx, SignedIn, redirect, render};
use std::collections::HashMap;

mod dashboard;
mod detail;
mod report;
mod settings;
mod upload;

use dashboard::dashboard;
use detail::{act, detail, photo, result_photo};
use report::{new_form, report};
use settings::{
    calendar_delete, calendar_save, categories_list, category_add, category_edit, category_update,
    key_issue, key_revoke, settings,
};

pub const MAX_PHOTO: usize = 5 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cases", get(start).post(report))
        .route("/cases/new", get(new_form))
        .route("/cases/mine", get(mine))
        .route("/cases/console", get(console))
        .route("/cases/inbox", get(inbox))
        .route("/cases/supervision", get(supervision))
        .route("/cases/dashboard", get(dashboard))
        .route("/cases/settings", get(settings))
        .route("/cases/settings/calendar", post(calendar_save))
        .route("/cases/settings/calendar/delete", post(calendar_delete))
        .route("/cases/settings/keys", post(key_issue))
        .route("/cases/settings/keys/{id}/revoke", post(key_revoke))
        .route("/cases/categories", get(categories_list).post(category_add))
        .route(
            "/cases/categories/{id}",
            get(category_edit).post(category_update),
        )
        .route("/cases/{id}", get(detail))
        .route("/cases/{id}/act", post(act))
        .route("/cases/{id}/photo", get(photo))
        .route("/cases/{id}/result-photo", get(result_photo))
        .route(
            "/static/cases.js",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/javascript"),
                        (header::CACHE_CONTROL, "public, max-age=300"),
                    ],
                    include_str!("../../static/cases.js"),
                )
            }),
        )
        .route(
            "/static/cases.css",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/css"),
                        (header::CACHE_CONTROL, "public, max-age=300"),
                    ],
                    include_str!("../../static/cases.css"),
                )
            }),
        )
        .layer(DefaultBodyLimit::max(MAX_PHOTO + 256 * 1024))
}

// ---------------------------------------------------------------------------------------
// Rows shared by the lists

pub struct Row {
    pub id: i64,
    pub category: String,
    pub place: String,
    pub lead: String,
    pub state: String,
    pub state_class: &'static str,
    pub priority: String,
    pub urgent: bool,
    pub left: String,
    pub left_class: &'static str,
    pub card: String,
    pub card_class: &'static str,
    pub reported: String,
    pub summary: String,
}

const HOUR: i64 = 3600 * 1000;

/// "Time left" as people read it, with the state colour it deserves.
pub fn time_left(c: &Case, now: i64, lang: Lang) -> (String, &'static str) {
    if CaseState::WITH_UNIT.contains(&c.state)
        && let Some(due) = c.due_at
    {
        let left = due - now;
        return if left < 0 {
            let days = (-left) / (24 * HOUR) + 1;
            (
                format!(
                    "{} {days} {}",
                    lang.pick("超期", "overdue"),
                    lang.pick("天", "d")
                ),
                "bad",
            )
        } else if left < 24 * HOUR {
            (
                format!(
                    "{} {} {}",
                    lang.pick("剩余", ""),
                    left / HOUR,
                    lang.pick("小时", "h left")
                ),
                "warn",
            )
        } else {
            (
                format!(
                    "{} {} {}",
                    lang.pick("剩余", ""),
                    left / (24 * HOUR),
                    lang.pick("天", "d left")
                ),
                "ok",
            )
        };
    }
    match c.state {
        CaseState::Reported | CaseState::Accepted => {
            let waited = (now - c.reported_at).max(0) / HOUR;
            (
                format!(
                    "{} {waited} {}",
                    lang.pick("已等待", "waiting"),
                    lang.pick("小时", "h")
                ),
                if waited >= 24 { "warn" } else { "" },
            )
        }
        _ => (String::new(), ""),
    }
}

fn state_class(s: CaseState) -> &'static str {
    match s {
        CaseState::Closed | CaseState::Verified => "ok",
        CaseState::Rejected | CaseState::Merged => "muted",
        CaseState::Reported | CaseState::Accepted => "info",
        _ => "warn",
    }
}

fn card(c: &Case, lang: Lang) -> (String, &'static str) {
    match c.supervision {
        model::Supervision::None => (String::new(), ""),
        model::Supervision::Yellow => (c.supervision.label(lang).into(), "yellow"),
        model::Supervision::Red => (c.supervision.label(lang).into(), "red"),
    }
}

use crate::stats::unit_names;

async fn rows(state: &AppState, cases: &[Case], lang: Lang) -> CaseResult<Vec<Row>> {
    let cats: HashMap<i64, Category> = model::categories(&state.db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let ids: Vec<i64> = cases
        .iter()
        .flat_map(|c| [Some(c.place_unit_id), c.lead_unit_id])
        .flatten()
        .collect();
    let names = unit_names(state, ids).await?;
    let now = state.now();
    Ok(cases
        .iter()
        .map(|c| {
            let (left, left_class) = time_left(c, now, lang);
            let (card, card_class) = card(c, lang);
            Row {
                id: c.id,
                category: cats
                    .get(&c.category_id)
                    .map(|k| k.label(lang).to_string())
                    .unwrap_or_default(),
                place: names.get(&c.place_unit_id).cloned().unwrap_or_default(),
                lead: c
                    .lead_unit_id
                    .and_then(|u| names.get(&u).cloned())
                    .unwrap_or_default(),
                state: c.state.label(lang).into(),
                state_class: state_class(c.state),
                priority: c.priority.label(lang).into(),
                urgent: c.priority != Priority::Normal,
                left,
                left_class,
                card,
                card_class,
                reported: format_ms(c.reported_at),
                summary: c.description.chars().take(40).collect(),
            }
        })
        .collect())
}

// ---------------------------------------------------------------------------------------
// Lists

pub struct Tab {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

fn tabs(actor: &GovActor, current: &str, lang: Lang) -> Vec<Tab> {
    let staff = authorize(actor, Action::Monitor, &Target::Anywhere).is_ok();
    let centre = authz::is_any_centre(actor);
    let configure = authorize(actor, Action::Configure, &Target::Anywhere).is_ok();
    let mut out = vec![
        ("/cases/new", lang.pick("我要上报", "Report"), true),
        ("/cases/mine", lang.pick("我的事件", "My cases"), true),
        ("/cases/console", lang.pick("受理派单", "Console"), centre),
        ("/cases/inbox", lang.pick("承办待办", "Unit inbox"), staff),
        (
            "/cases/supervision",
            lang.pick("督办", "Supervision"),
            staff,
        ),
        (
            "/cases/dashboard",
            lang.pick("指挥大屏", "Dashboard"),
            staff,
        ),
        (
            "/cases/categories",
            lang.pick("事件类别", "Categories"),
            configure,
        ),
        ("/cases/settings", lang.pick("设置", "Settings"), configure),
    ];
    out.retain(|t| t.2);
    out.into_iter()
        .map(|(href, label, _)| Tab {
            href,
            label,
            current: href == current,
        })
        .collect()
}

/// A choice in a select (a unit, a value of a vocabulary), for the forms.
pub struct UnitOpt {
    pub id: i64,
    pub label: String,
    pub selected: bool,
}

impl UnitOpt {
    /// The units under the district in `scope` a case can go to, labelled with their
    /// level; `selected` chosen.
    pub async fn below_district(
        db: &platform::db::Db,
        scope: &gov_core::ScopeFilter,
        selected: Option<i64>,
        lang: platform::web::Lang,
    ) -> sqlx::Result<Vec<UnitOpt>> {
        Ok(gov_core::list_units(db, scope)
            .await?
            .into_iter()
            .filter(|u| u.kind != gov_core::UnitKind::District)
            .map(|u| UnitOpt {
                id: u.id.0,
                label: format!("{}（{}）", u.name, u.kind.label(lang)),
                selected: Some(u.id.0) == selected,
            })
            .collect())
    }
}

pub struct ValueOpt {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

pub struct StateFilter {
    pub value: &'static str,
    pub label: &'static str,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "cases_list.html")]
struct ListPage {
    page: PageCtx,
    tabs: Vec<Tab>,
    heading: String,
    intro: String,
    base: &'static str,
    filters: Vec<StateFilter>,
    /// The other filters in force, as query pairs (`&listed=1…`), kept by the state links.
    extra: String,
    /// What those filters are, for the reader ("listed for supervision", a unit's name).
    narrowed: Vec<String>,
    /// The list's own toggles (listed for supervision, overdue): label, link, current.
    toggles: Vec<(&'static str, String, bool)>,
    rows: Vec<Row>,
    total: i64,
    empty: String,
    show_lead: bool,
    pager_prev: Option<String>,
    pager_next: Option<String>,
}

struct ListSpec {
    base: &'static str,
    heading: (&'static str, &'static str),
    intro: (&'static str, &'static str),
    empty: (&'static str, &'static str),
    filters: &'static [CaseState],
    inbox: bool,
}

async fn list_page(
    state: &AppState,
    actor: &GovActor,
    mut q: ListQuery,
    spec: ListSpec,
) -> CaseResult<Response> {
    let lang = actor.lang;
    let current = q.state.clone().unwrap_or_default();
    if spec.inbox && q.state.is_none() {
        q.state = Some("dispatched,in_progress".into());
    }
    let listed = api::query_cases(state, actor, &q, spec.inbox).await?;
    let platform::web::Page {
        page: page_no,
        per_page: per,
    } = q.page();
    let extra = q.filter_pairs();
    let link = |p: i64| {
        let mut s = format!("{}?page={p}", spec.base);
        if !current.is_empty() {
            s.push_str(&format!("&state={}", platform::web::url_encode(&current)));
        }
        s.push_str(&extra);
        s
    };
    let on = |v: &Option<String>| v.as_deref() == Some("1");
    let mut narrowed = Vec::new();
    if on(&q.listed) {
        narrowed.push(lang.pick("挂牌督办", "Listed for supervision").to_string());
    }
    if on(&q.overdue) {
        narrowed.push(lang.pick("已超期", "Overdue").to_string());
    }
    if let Some(days) = q.dispatched_days()? {
        narrowed.push(format!(
            "{} {days} {}",
            lang.pick("近", "dispatched in the last"),
            lang.pick("天派单", "days")
        ));
    }
    if on(&q.rated) {
        narrowed.push(lang.pick("已回访", "Visited for satisfaction").to_string());
    }
    if let Some(u) = q.unit.as_deref().and_then(gov_core::UnitId::parse) {
        // query_cases checked the unit is in scope.
        if let Some(u) = gov_core::find_unit(&state.db, u).await? {
            narrowed.push(u.name);
        }
    }
    let toggles = if spec.base == "/cases/mine" {
        vec![]
    } else {
        vec![
            (
                lang.pick("挂牌督办", "Listed for supervision"),
                format!("{}?listed=1", spec.base),
                on(&q.listed),
            ),
            (
                lang.pick("已超期", "Overdue"),
                format!("{}?overdue=1", spec.base),
                on(&q.overdue),
            ),
        ]
    };
    let mut rows = rows(state, &listed.cases, lang).await?;
    if spec.base == "/cases/mine" {
        // Supervision cards are the centre's business with the unit, not the reporter's.
        rows.iter_mut().for_each(|r| r.card.clear());
    }
    let page = ListPage {
        page: actor.page(lang.pick(spec.heading.0, spec.heading.1)),
        tabs: tabs(actor, spec.base, lang),
        heading: lang.pick(spec.heading.0, spec.heading.1).into(),
        intro: lang.pick(spec.intro.0, spec.intro.1).into(),
        base: spec.base,
        filters: spec
            .filters
            .iter()
            .map(|s| StateFilter {
                value: s.as_str(),
                label: s.label(lang),
                current: current == s.as_str(),
            })
            .collect(),
        extra: extra.clone(),
        narrowed,
        toggles,
        rows,
        total: listed.total,
        empty: lang.pick(spec.empty.0, spec.empty.1).into(),
        show_lead: spec.base != "/cases/mine",
        pager_prev: (page_no > 1).then(|| link(page_no - 1)),
        pager_next: (page_no * per < listed.total).then(|| link(page_no + 1)),
    };
    Ok(render(&page)?)
}

async fn start(actor: GovActor) -> Response {
    if authz::is_any_centre(&actor) {
        redirect("/cases/console")
    } else if !actor.grants.is_empty() {
        redirect("/cases/inbox")
    } else {
        redirect("/cases/mine")
    }
}

async fn mine(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Query(mut q): Query<ListQuery>,
) -> CaseResult<Response> {
    q.mine = Some("1".into());
    list_page(
        &state,
        &actor,
        q,
        ListSpec {
            base: "/cases/mine",
            heading: ("我的事件", "My cases"),
            intro: (
                "您上报的事件和办理进度。每一步都会记录在事件的时间线上。",
                "The cases you reported and where they stand; every step is on the case's timeline.",
            ),
            empty: (
                "您还没有上报过事件。看到道路破损、垃圾堆放、噪声扰民等问题，点“我要上报”告诉我们。",
                "You have not reported anything yet. Seen a broken pavement, rubbish or noise? Use Report to tell us.",
            ),
            filters: &[],
            inbox: false,
        },
    )
    .await
}

async fn console(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Query(mut q): Query<ListQuery>,
) -> CaseResult<Response> {
    authorize(&actor, Action::Triage, &Target::Anywhere)?;
    if q.state.is_none() {
        q.state = Some("reported".into());
    }
    list_page(
        &state,
        &actor,
        q,
        ListSpec {
            base: "/cases/console",
            heading: ("受理派单", "Operator console"),
            intro: (
                "按状态查看全区事件：受理或不予受理新上报的事件，合并重复事件，派给承办单位，核查办结结果并结案。",
                "Every case of the district by state: accept or reject new reports, merge duplicates, dispatch to a handling unit, verify results and close.",
            ),
            empty: (
                "这个状态下没有事件。新上报的事件会出现在“待受理”里。",
                "No cases in this state. New reports appear under Reported.",
            ),
            filters: &CaseState::STEPS,
            inbox: false,
        },
    )
    .await
}

async fn inbox(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Query(q): Query<ListQuery>,
) -> CaseResult<Response> {
    authorize(&actor, Action::Monitor, &Target::Anywhere)?;
    list_page(
        &state,
        &actor,
        q,
        ListSpec {
            base: "/cases/inbox",
            heading: ("承办待办", "Unit inbox"),
            intro: (
                "派给本单位的事件，按办理期限排序。请先签收；不属于本单位职责的，须在派单后 3 个工作日内退回并说明理由。",
                "Cases sent to your unit, soonest deadline first. Sign for them; a case that is not yours goes back within 3 working days, with a reason.",
            ),
            empty: (
                "目前没有派给本单位的事件。中心派单后会出现在这里。",
                "Nothing has been sent to your unit. Cases appear here once the centre dispatches them.",
            ),
            filters: &[CaseState::Dispatched, CaseState::InProgress, CaseState::Handled],
            inbox: true,
        },
    )
    .await
}

async fn supervision(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Query(mut q): Query<ListQuery>,
) -> CaseResult<Response> {
    authorize(&actor, Action::Monitor, &Target::Anywhere)?;
    // Cards unless another supervision filter (listed, overdue) was asked for.
    if q.supervision.is_none()
        && q.listed.is_none()
        && q.overdue.is_none()
        && q.dispatched.is_none()
        && q.rated.is_none()
    {
        q.supervision = Some("any".into());
    }
    list_page(
        &state,
        &actor,
        q,
        ListSpec {
            base: "/cases/supervision",
            heading: ("督办", "Supervision"),
            intro: (
                "超过办理期限的事件亮黄牌；超期 2 个工作日以上仍未办结的升级为红牌。中心还可以对事件催办或挂牌督办。",
                "A case past its deadline gets a yellow card; more than 2 working days past it, a red card. The centre may also urge a case or list it for supervision.",
            ),
            empty: (
                "没有被督办的事件，所有事件都在期限内。",
                "No case is under supervision: everything is within its deadline.",
            ),
            filters: &[CaseState::Dispatched, CaseState::InProgress],
            inbox: false,
        },
    )
    .await
}
