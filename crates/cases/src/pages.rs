//! The centre's pages under /cases: the resident's report form and "my cases", the
//! operator console, the unit inbox, the supervision list, a case with its timeline and
//! the steps the viewer may take, the dashboard, and the settings.

use crate::api::{self, Filing, ListQuery, visible_case};
use crate::authz::{self, Action, Target, authorize};
use crate::error::{CaseError, CaseResult};
use crate::model::{self, Case, CaseState, Category, Priority, Satisfaction, Source};
use crate::{intake, stats, workflow};
use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use gov_core::{GovActor, ScopeFilter, Unit, UnitKind, UnitPath, list_units};
use platform::AppState;
use platform::clock::format_ms;
use platform::web::{Id, Lang, PageCtx, SignedIn, charts, redirect, render, sign_in_first};
use std::collections::{BTreeMap, HashMap};

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
                    include_str!("../static/cases.js"),
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
                    include_str!("../static/cases.css"),
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
    let link = |p: i64| {
        let mut s = format!("{}?page={p}", spec.base);
        if !current.is_empty() {
            s.push_str(&format!("&state={current}"));
        }
        if let Some(sup) = &q.supervision {
            s.push_str(&format!("&supervision={sup}"));
        }
        s
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

const CONSOLE_STATES: &[CaseState] = &[
    CaseState::Reported,
    CaseState::Accepted,
    CaseState::Dispatched,
    CaseState::InProgress,
    CaseState::Handled,
    CaseState::Verified,
    CaseState::Closed,
];

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
            filters: CONSOLE_STATES,
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
    if q.supervision.is_none() {
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
                "超过办理期限的事件亮黄牌；超期 2 个工作日以上仍未办结的升级为红牌。",
                "A case past its deadline gets a yellow card; more than 2 working days past it, a red card.",
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

// ---------------------------------------------------------------------------------------
// Reporting

pub struct CategoryOpt {
    pub code: String,
    pub label: String,
    pub group: String,
    pub selected: bool,
    pub hint: String,
}

pub struct UnitOpt {
    pub id: i64,
    pub label: String,
    pub selected: bool,
}

pub struct ValueOpt {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "cases_new.html")]
struct NewPage {
    page: PageCtx,
    tabs: Vec<Tab>,
    error: Option<String>,
    categories: Vec<CategoryOpt>,
    places: Vec<UnitOpt>,
    priorities: Vec<ValueOpt>,
    sources: Vec<ValueOpt>,
    on_behalf: bool,
    questions: Vec<QuestionSet>,
    f: Filing,
}

/// A category's extra questions (Open311 attributes), asked in its own fieldset that
/// shows only while the category is chosen.
pub struct QuestionSet {
    pub category_code: String,
    pub category: String,
    pub shown: bool,
    pub questions: Vec<Question>,
}

pub struct Question {
    pub code: String,
    pub description: String,
    pub required: bool,
    pub values: Vec<(String, String, bool)>,
}

fn question_list(c: &Category, f: &Filing) -> Vec<Question> {
    c.attributes
        .iter()
        .map(|a| Question {
            code: a.code.clone(),
            description: a.description.clone(),
            required: a.required,
            values: a
                .values
                .iter()
                .map(|v| {
                    let chosen = f.attributes.get(&a.code) == Some(&v.key);
                    (v.key.clone(), v.name.clone(), chosen)
                })
                .collect(),
        })
        .collect()
}

async fn place_units(state: &AppState) -> CaseResult<Vec<Unit>> {
    let mut units = list_units(&state.db, &ScopeFilter(None)).await?;
    units.retain(|u| {
        matches!(
            u.kind,
            UnitKind::Community | UnitKind::Grid | UnitKind::Street
        )
    });
    Ok(units)
}

async fn new_page(
    state: &AppState,
    actor: &GovActor,
    f: Filing,
    error: Option<String>,
) -> CaseResult<Response> {
    let lang = actor.lang;
    let all = model::categories(&state.db).await?;
    let names: HashMap<i64, String> = all
        .iter()
        .map(|c| (c.id, c.label(lang).to_string()))
        .collect();
    let categories = model::leaves(&all)
        .into_iter()
        .map(|c| CategoryOpt {
            code: c.code.clone(),
            label: c.label(lang).to_string(),
            group: c
                .parent_id
                .and_then(|p| names.get(&p).cloned())
                .unwrap_or_default(),
            selected: c.code == f.category,
            hint: c.description.clone(),
        })
        .collect();
    let place_id = f.place_unit_id.unwrap_or(0);
    let places = place_units(state)
        .await?
        .into_iter()
        .filter(|u| u.kind == UnitKind::Community)
        .map(|u| UnitOpt {
            id: u.id.0,
            label: u.name,
            selected: u.id.0 == place_id,
        })
        .collect();
    let questions = model::leaves(&all)
        .into_iter()
        .filter(|c| !c.attributes.is_empty())
        .map(|c| QuestionSet {
            category_code: c.code.clone(),
            category: c.label(lang).to_string(),
            shown: c.code == f.category,
            questions: question_list(c, &f),
        })
        .collect();
    let on_behalf = authorize(actor, Action::ReportOnBehalf, &Target::Anywhere).is_ok();
    let page = NewPage {
        page: actor.page(lang.pick("上报事件", "Report a case")),
        tabs: tabs(actor, "/cases/new", lang),
        error,
        categories,
        places,
        priorities: Priority::ALL
            .iter()
            .map(|p| ValueOpt {
                value: p.as_str(),
                label: p.label(lang),
                selected: p.as_str() == f.priority,
            })
            .collect(),
        sources: [Source::Web, Source::Grid, Source::Hotline]
            .iter()
            .map(|s| ValueOpt {
                value: s.as_str(),
                label: s.label(lang),
                selected: s.as_str() == f.source,
            })
            .collect(),
        on_behalf,
        questions,
        f,
    };
    Ok(render(&page)?)
}

async fn new_form(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
) -> CaseResult<Response> {
    new_page(&state, &actor, Filing::default(), None).await
}

/// JPEG, PNG or WebP by their first bytes (never by the name the browser sent).
fn image_type(b: &[u8]) -> Option<&'static str> {
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if b.len() > 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

type Photo = (bytes::Bytes, &'static str);

/// A photo field of a form: none when left empty; refused past the size limit or when it
/// is not a JPEG, PNG or WebP image.
async fn read_photo(field: axum::extract::multipart::Field<'_>) -> Result<Option<Photo>, String> {
    let too_big = || {
        format!(
            "照片不能超过 {} MB (the photo is larger than {} MB)",
            MAX_PHOTO >> 20,
            MAX_PHOTO >> 20
        )
    };
    let data = field.bytes().await.map_err(|_| too_big())?;
    if data.is_empty() {
        return Ok(None);
    }
    if data.len() > MAX_PHOTO {
        return Err(too_big());
    }
    let kind = image_type(&data).ok_or_else(|| {
        "照片须为 JPEG、PNG 或 WebP 图片 (the photo must be a JPEG, PNG or WebP image)".to_string()
    })?;
    Ok(Some((data, kind)))
}

/// A workflow step sent as multipart (the handling form, which may carry a photo).
async fn read_step(mut mp: Multipart) -> Result<(workflow::OpInput, Option<Photo>), CaseError> {
    let broken = |_| {
        CaseError::invalid(
            "bad_form",
            "表单没有完整传到，请重试 (the form arrived incomplete; try again)",
        )
    };
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut photo = None;
    while let Some(field) = mp.next_field().await.map_err(broken)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "photo" {
            photo = read_photo(field)
                .await
                .map_err(|m| CaseError::invalid("bad_photo", m))?;
        } else {
            let value = field.text().await.map_err(broken)?;
            fields.push((name, value));
        }
    }
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    Ok((workflow::OpInput::from_form(body.as_bytes())?, photo))
}

async fn read_report(
    mut mp: Multipart,
) -> Result<(Filing, Option<(bytes::Bytes, &'static str)>), String> {
    let mut f = Filing::default();
    let mut photo = None;
    let mut scoped = Vec::new();
    let broken =
        |_| "表单没有完整传到，请重试 (the form arrived incomplete; try again)".to_string();
    while let Some(field) = mp.next_field().await.map_err(broken)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "photo" {
            if let Some(p) = read_photo(field).await? {
                photo = Some(p);
            }
            continue;
        }
        let value = field.text().await.map_err(broken)?;
        match name.as_str() {
            "category" => f.category = value,
            "priority" => f.priority = value,
            "source" => f.source = value,
            "place_unit_id" => f.place_unit_id = value.trim().parse().ok(),
            "address" => f.address = value,
            "lat" => f.lat = value,
            "long" => f.long = value,
            "description" => f.description = value,
            "reporter_name" => f.reporter_name = value,
            "reporter_phone" => f.reporter_phone = value,
            other if other.starts_with("attribute[") => {
                if let Some(code) = other
                    .strip_prefix("attribute[")
                    .and_then(|s| s.strip_suffix(']'))
                {
                    f.attributes.insert(code.to_string(), value);
                }
            }
            other => {
                if let Some((cat, code)) = question_field(other) {
                    scoped.push((cat.to_string(), code.to_string(), value));
                }
            }
        }
    }
    // Only the chosen category's answers count: the others' questions may sit on the page
    // (without JS every category's fieldset shows) but are neither kept nor checked.
    for (cat, code, value) in scoped {
        if cat == f.category.trim() {
            f.attributes.insert(code, value);
        }
    }
    Ok((f, photo))
}

/// `q[CATEGORY][CODE]`, the form name of one category's question.
fn question_field(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_prefix("q[")?.strip_suffix(']')?;
    rest.split_once("][")
}

async fn report(
    State(state): State<AppState>,
    actor: GovActor,
    mp: Multipart,
) -> CaseResult<Response> {
    if let Some(r) = sign_in_first(&actor, "/cases/new") {
        return Ok(r);
    }
    let (f, photo) = match read_report(mp).await {
        Ok(x) => x,
        Err(msg) => return new_page(&state, &actor, Filing::default(), Some(msg)).await,
    };
    // Check everything before the photo is stored, so a refused form leaves nothing behind.
    let stored = photo.as_ref().map(|(_, kind)| {
        (
            format!("cases/photos/{}", platform::auth::new_token()),
            kind.to_string(),
        )
    });
    let keep = Filing {
        attributes: f.attributes.clone(),
        ..Filing {
            category: f.category.clone(),
            priority: f.priority.clone(),
            source: f.source.clone(),
            place_unit_id: f.place_unit_id,
            address: f.address.clone(),
            lat: f.lat.clone(),
            long: f.long.clone(),
            description: f.description.clone(),
            reporter_name: f.reporter_name.clone(),
            reporter_phone: f.reporter_phone.clone(),
            attributes: BTreeMap::new(),
        }
    };
    let new = match api::check_filing(&state, &actor, f, stored.clone()).await {
        Ok(n) => n,
        Err(CaseError::Invalid { message, .. }) => {
            return new_page(&state, &actor, keep, Some(message)).await;
        }
        Err(e) => return Err(e),
    };
    if let (Some((data, _)), Some((key, _))) = (photo, &stored) {
        state
            .storage
            .put(key, data)
            .await
            .map_err(|e| CaseError::Internal(anyhow::anyhow!("storing a case photo: {e}")))?;
    }
    let case = intake::file(&state, new).await?;
    Ok(redirect(&format!("/cases/{}?filed=1", case.id)))
}

async fn photo(State(state): State<AppState>, actor: GovActor, Id(id): Id) -> CaseResult<Response> {
    let (case, _) = visible_case(&state, &actor, id).await?;
    if case.photo_key.is_empty() {
        return Err(CaseError::NotFound);
    }
    image_response(&state, &case.photo_key, &case.photo_type).await
}

// ---------------------------------------------------------------------------------------
// One case

pub struct Step {
    pub label: &'static str,
    pub done: bool,
    pub current: bool,
}

pub struct EventView {
    pub at: String,
    pub who: String,
    pub what: &'static str,
    pub note: String,
    pub kind: String,
    pub internal: bool,
}

pub struct ExtView {
    pub id: i64,
    pub days: i64,
    pub reason: String,
    pub state: &'static str,
    pub pending: bool,
}

#[derive(Template)]
#[template(path = "cases_detail.html")]
struct DetailPage {
    page: PageCtx,
    tabs: Vec<Tab>,
    c: Case,
    filed: bool,
    category: String,
    place: String,
    lead: String,
    co: Vec<String>,
    priority: String,
    source: String,
    state_label: String,
    state_class: &'static str,
    steps: Vec<Step>,
    off_path: bool,
    left: String,
    left_class: &'static str,
    card: String,
    card_class: &'static str,
    contact: bool,
    attributes: Vec<(String, String)>,
    events: Vec<EventView>,
    extensions: Vec<ExtView>,
    times: Vec<(String, String)>,
    satisfaction: String,
    can_triage: bool,
    can_handle: bool,
    can_assist: bool,
    can_return: bool,
    units: Vec<UnitOpt>,
    satisfactions: Vec<ValueOpt>,
    is_reported: bool,
    is_open_for_triage: bool,
    is_with_unit: bool,
    is_dispatched: bool,
    is_handled: bool,
    is_verified: bool,
    is_closed: bool,
    is_reopenable: bool,
    has_pending_ext: bool,
    /// The unit's result as this viewer may read it (a resident: once closed).
    result: String,
    result_photo: bool,
    /// Staff view (internal steps, deadlines, cards, the publication text).
    internal: bool,
    /// The centre may set the text published for this case (accepted, not rejected/merged).
    can_publish: bool,
    category_public: bool,
    /// Whether Open311 shows this case now (the rule in ADR 018).
    published: bool,
    min_result: usize,
}

async fn detail(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Id(id): Id,
    Query(q): Query<HashMap<String, String>>,
) -> CaseResult<Response> {
    let (c, contact) = visible_case(&state, &actor, id).await?;
    let lang = actor.lang;
    let co_rows = model::co_units(&state.db, id).await?;
    let co_paths: Vec<String> = co_rows.iter().map(|r| r.1.clone()).collect();
    let target = Target::Case(&c, &co_paths);
    let can_triage = authorize(&actor, Action::Triage, &target).is_ok();
    let can_handle = authorize(&actor, Action::Handle, &target).is_ok();
    let can_assist = authorize(&actor, Action::Assist, &target).is_ok();
    let ids = [c.place_unit_id]
        .into_iter()
        .chain(c.lead_unit_id)
        .chain(co_rows.iter().map(|r| r.0))
        .collect::<Vec<i64>>();
    let names = unit_names(&state, ids).await?;
    let cat = model::category(&state.db, c.category_id).await?;
    let attributes = match (
        &cat,
        serde_json::from_str::<BTreeMap<String, String>>(&c.attributes),
    ) {
        (Some(cat), Ok(answers)) => cat
            .attributes
            .iter()
            .filter_map(|a| {
                let v = answers.get(&a.code)?;
                let shown = a
                    .values
                    .iter()
                    .find(|x| &x.key == v)
                    .map(|x| x.name.clone())
                    .unwrap_or_else(|| v.clone());
                Some((a.description.clone(), shown))
            })
            .collect(),
        _ => vec![],
    };
    let internal = api::sees_internal(&actor, &c, &co_paths);
    let events = api::shown_timeline(&state, &c, contact, internal, lang)
        .await?
        .into_iter()
        .map(|e| EventView {
            at: format_ms(e.at),
            who: e.actor_label,
            what: model::event_label(&e.kind, lang),
            note: e.note,
            kind: e.kind,
            internal: !e.public,
        })
        .collect();
    let exts = if internal {
        model::extensions(&state.db, id).await?
    } else {
        vec![]
    };
    let has_pending_ext = exts.iter().any(|e| e.state == "pending");
    let extensions = exts
        .into_iter()
        .map(|e| ExtView {
            id: e.id,
            days: e.days,
            reason: e.reason,
            pending: e.state == "pending",
            state: match e.state.as_str() {
                "approved" => lang.pick("已批准", "approved"),
                "denied" => lang.pick("已驳回", "denied"),
                _ => lang.pick("待批复", "waiting"),
            },
        })
        .collect();
    let current = CaseState::STEPS.iter().position(|s| *s == c.state);
    let steps = CaseState::STEPS
        .iter()
        .enumerate()
        .map(|(i, s)| Step {
            label: s.label(lang),
            done: current.is_some_and(|k| i < k),
            current: current == Some(i),
        })
        .collect();
    let units = if can_triage {
        let district = UnitPath::parse(&c.district_path);
        list_units(&state.db, &ScopeFilter(district.map(|d| vec![d])))
            .await?
            .into_iter()
            .filter(|u| u.kind != UnitKind::District)
            .map(|u| UnitOpt {
                id: u.id.0,
                label: format!("{}（{}）", u.name, u.kind.label(lang)),
                selected: Some(u.id.0) == c.lead_unit_id,
            })
            .collect()
    } else {
        vec![]
    };
    let now = state.now();
    let (left, left_class) = time_left(&c, now, lang);
    let (card, card_class) = if internal {
        card(&c, lang)
    } else {
        (String::new(), "")
    };
    let mut times = vec![(
        lang.pick("上报时间", "Reported").to_string(),
        format_ms(c.reported_at),
    )];
    let staff_only = |t: Option<i64>| t.filter(|_| internal);
    for (label, t) in [
        (
            lang.pick("签收期限", "Sign for by"),
            staff_only(c.respond_by),
        ),
        (lang.pick("退回期限", "Return by"), staff_only(c.return_by)),
        (lang.pick("办理期限", "Due"), c.due_at),
        (lang.pick("办结时间", "Handled"), c.handled_at),
        (lang.pick("结案时间", "Closed"), c.closed_at),
    ] {
        if let Some(t) = t {
            times.push((label.to_string(), format_ms(t)));
        }
    }
    let page = DetailPage {
        page: actor.page(format!("{} #{}", lang.pick("事件", "Case"), c.id)),
        tabs: tabs(&actor, "", lang),
        filed: q.contains_key("filed"),
        category: cat
            .as_ref()
            .map(|k| k.label(lang).to_string())
            .unwrap_or_default(),
        place: names.get(&c.place_unit_id).cloned().unwrap_or_default(),
        lead: c
            .lead_unit_id
            .and_then(|u| names.get(&u).cloned())
            .unwrap_or_default(),
        co: co_rows
            .iter()
            .filter_map(|r| names.get(&r.0).cloned())
            .collect(),
        priority: c.priority.label(lang).into(),
        source: c.source.label(lang).into(),
        state_label: c.state.label(lang).into(),
        state_class: state_class(c.state),
        steps,
        off_path: current.is_none(),
        left,
        left_class,
        card,
        card_class,
        contact,
        attributes,
        events,
        extensions,
        times,
        satisfaction: c
            .satisfaction
            .map(|s| s.label(lang).to_string())
            .unwrap_or_default(),
        can_triage,
        can_handle,
        can_assist,
        can_return: c.return_by.is_some_and(|by| now <= by),
        units,
        satisfactions: Satisfaction::ALL
            .iter()
            .map(|s| ValueOpt {
                value: s.as_str(),
                label: s.label(lang),
                selected: false,
            })
            .collect(),
        is_reported: c.state == CaseState::Reported,
        is_open_for_triage: matches!(c.state, CaseState::Reported | CaseState::Accepted),
        is_with_unit: CaseState::WITH_UNIT.contains(&c.state),
        is_dispatched: c.state == CaseState::Dispatched,
        is_handled: c.state == CaseState::Handled,
        is_verified: c.state == CaseState::Verified,
        is_closed: c.state == CaseState::Closed,
        is_reopenable: matches!(c.state, CaseState::Closed | CaseState::Rejected),
        has_pending_ext,
        result: if internal || c.state == CaseState::Closed {
            c.result.clone()
        } else {
            String::new()
        },
        result_photo: !c.result_photo_key.is_empty() && (internal || c.state == CaseState::Closed),
        internal,
        can_publish: can_triage
            && !matches!(
                c.state,
                CaseState::Reported | CaseState::Rejected | CaseState::Merged
            ),
        category_public: cat.as_ref().is_some_and(|k| k.public),
        published: model::is_published(&c, cat.as_ref()),
        min_result: workflow::MIN_RESULT,
        c,
    };
    Ok(render(&page)?)
}

async fn act(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    req: axum::extract::Request,
) -> CaseResult<Response> {
    use axum::extract::FromRequest;
    if let Some(r) = sign_in_first(&actor, &format!("/cases/{id}")) {
        return Ok(r);
    }
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|c| c.to_str().ok())
        .is_some_and(|c| c.starts_with("multipart/form-data"));
    let (mut input, photo) = if multipart {
        let mp = Multipart::from_request(req, &state)
            .await
            .map_err(|e| CaseError::invalid("bad_form", e.body_text()))?;
        read_step(mp).await?
    } else {
        let body = axum::body::to_bytes(req.into_body(), 256 * 1024)
            .await
            .map_err(|_| CaseError::invalid("bad_form", "表单太大 (the form is too large)"))?;
        (workflow::OpInput::from_form(&body)?, None)
    };
    // The photo is stored under a fresh key before the step, and removed if the step fails.
    let stored = photo.as_ref().map(|(_, kind)| {
        (
            format!("cases/results/{}", platform::auth::new_token()),
            kind.to_string(),
        )
    });
    input.photo = stored.clone();
    let op = input.parse()?;
    if let (Some((data, _)), Some((key, _))) = (photo, &stored) {
        state
            .storage
            .put(key, data)
            .await
            .map_err(|e| CaseError::Internal(anyhow::anyhow!("storing a result photo: {e}")))?;
    }
    let applied = workflow::apply(&state, &actor, id, op).await;
    if let (Err(_), Some((key, _))) = (&applied, &stored) {
        let _ = state.storage.delete(key).await;
    }
    applied?;
    Ok(redirect(&format!("/cases/{id}")))
}

/// The photo a unit reported with its result: staff of the case, and the reporter once
/// the case is closed.
async fn result_photo(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
) -> CaseResult<Response> {
    let (case, _) = visible_case(&state, &actor, id).await?;
    let co = api::co_paths(&state, id).await?;
    let shown = api::sees_internal(&actor, &case, &co) || case.state == CaseState::Closed;
    if case.result_photo_key.is_empty() || !shown {
        return Err(CaseError::NotFound);
    }
    image_response(&state, &case.result_photo_key, &case.result_photo_type).await
}

async fn image_response(state: &AppState, key: &str, kind: &str) -> CaseResult<Response> {
    let data = state
        .storage
        .get(key)
        .await
        .map_err(|_| CaseError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, kind.to_string()),
            (header::CACHE_CONTROL, "private, max-age=3600".to_string()),
        ],
        data,
    )
        .into_response())
}

// ---------------------------------------------------------------------------------------
// Dashboard

pub struct RateRow {
    pub unit: String,
    pub dispatched: i64,
    pub response: String,
    pub resolution: String,
    pub satisfaction: String,
}

fn pct(v: Option<f64>) -> String {
    v.map(|p| format!("{p:.1}%")).unwrap_or_else(|| "—".into())
}

#[derive(Template)]
#[template(path = "cases_dashboard.html")]
struct DashPage {
    page: PageCtx,
    tabs: Vec<Tab>,
    d: stats::Dashboard,
    open_total: i64,
    open_states: Vec<(String, i64)>,
    /// Numbers link to the console only for those who may open it.
    console: bool,
    total: RateRow,
    rates: Vec<RateRow>,
    trend_svg: String,
    overdue_svg: String,
    periods: Vec<(i64, bool)>,
    /// Whose figures these are: the centre, or the community (street, unit) of the viewer.
    title: String,
}

/// The dashboard's title names the viewer's own area: a community worker sees their
/// community's figures, so the page says so rather than naming the district's centre.
fn dashboard_title(actor: &GovActor, lang: Lang) -> String {
    let centre = lang.pick("综治信息中心", "Governance centre");
    if actor.is_platform_admin() {
        return centre.to_string();
    }
    let roots = actor.scope().0.unwrap_or_default();
    let names: Vec<&str> = actor
        .grants
        .iter()
        .filter(|g| roots.contains(&g.path))
        .map(|g| g.unit_name.as_str())
        .collect();
    match names.as_slice() {
        [] => centre.to_string(),
        _ if roots.iter().all(|r| r.depth() == 1) => {
            format!("{}{}{centre}", names.join("、"), lang.pick("", " · "))
        }
        _ => format!(
            "{}{}",
            names.join("、"),
            lang.pick(" · 事件概况", " · cases")
        ),
    }
}

fn rate_row(r: &stats::Rates) -> RateRow {
    RateRow {
        unit: r.unit_name.clone(),
        dispatched: r.dispatched,
        response: pct(r.response_rate),
        resolution: pct(r.resolution_rate),
        satisfaction: pct(r.satisfaction_rate),
    }
}

/// A unit's name short enough for a chart label: "桂园社区" → "桂园", "区城市管理局" → "城市管理".
fn short_name(name: &str) -> String {
    let n = name.strip_prefix('区').unwrap_or(name);
    let n = ["社区", "街道", "局", "办公室"]
        .iter()
        .find_map(|s| n.strip_suffix(s))
        .unwrap_or(n);
    n.chars().take(4).collect()
}

async fn dashboard(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Query(q): Query<api::DashQuery>,
) -> CaseResult<Response> {
    authorize(&actor, Action::Monitor, &Target::Anywhere)?;
    let lang = actor.lang;
    let days = q.days.unwrap_or(30).clamp(7, 366);
    let d = stats::dashboard(&state, &actor, days).await?;
    let labels: Vec<String> = d.trend.iter().map(|t| t.day.clone()).collect();
    let trend_svg = charts::lines(
        &format!(
            "{} {days} {}",
            lang.pick("近", "Reported and closed, last"),
            lang.pick("天上报与结案", "days")
        ),
        &labels,
        &[
            (
                lang.pick("上报", "Reported").into(),
                "#b4232a",
                d.trend.iter().map(|t| t.reported).collect(),
            ),
            (
                lang.pick("结案", "Closed").into(),
                "#1a7f37",
                d.trend.iter().map(|t| t.closed).collect(),
            ),
        ],
    );
    let overdue_svg = charts::bars(
        lang.pick("各单位超期事件", "Overdue cases by unit"),
        &d.overdue_by_unit
            .iter()
            .take(10)
            .map(|o| (short_name(&o.unit_name), o.overdue, o.overdue.to_string()))
            .collect::<Vec<_>>(),
    );
    let open_states: Vec<(String, i64)> = CaseState::ALL
        .iter()
        .filter(|s| s.is_open())
        .map(|s| {
            let n = d
                .open_by_state
                .iter()
                .find(|(k, _)| k == s.as_str())
                .map(|(_, n)| *n)
                .unwrap_or(0);
            (s.label(lang).to_string(), n)
        })
        .collect();
    let page = DashPage {
        page: actor.page(dashboard_title(&actor, lang)),
        tabs: tabs(&actor, "/cases/dashboard", lang),
        open_total: open_states.iter().map(|s| s.1).sum(),
        open_states,
        console: authz::is_any_centre(&actor),
        total: rate_row(&d.total),
        rates: d.rates.iter().map(rate_row).collect(),
        trend_svg,
        overdue_svg,
        periods: [7, 30, 90, 365].iter().map(|p| (*p, *p == days)).collect(),
        title: dashboard_title(&actor, lang),
        d,
    };
    Ok(render(&page)?)
}

// ---------------------------------------------------------------------------------------
// Settings

pub struct DayRow {
    pub day: String,
    pub kind: &'static str,
    pub note: String,
}

pub struct CategoryRow {
    pub code: String,
    pub name: String,
    pub days: String,
    pub route: String,
    pub leaf: bool,
}

pub struct KeyRow {
    pub id: i64,
    pub name: String,
    pub created: String,
    pub revoked: bool,
}

#[derive(Template)]
#[template(path = "cases_settings.html")]
struct SettingsPage {
    page: PageCtx,
    tabs: Vec<Tab>,
    days: Vec<DayRow>,
    categories: Vec<CategoryRow>,
    keys: Vec<KeyRow>,
    new_key: Option<String>,
    message: Option<String>,
}

async fn settings_page(
    state: &AppState,
    actor: &GovActor,
    new_key: Option<String>,
    message: Option<String>,
) -> CaseResult<Response> {
    authorize(actor, Action::Configure, &Target::Anywhere)?;
    let lang = actor.lang;
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT day, kind, note FROM cases_calendar ORDER BY day")
            .fetch_all(&state.db.pool)
            .await?;
    let all = model::categories(&state.db).await?;
    let leaves: Vec<i64> = model::leaves(&all).iter().map(|c| c.id).collect();
    let page = SettingsPage {
        page: actor.page(lang.pick("事件设置", "Case settings")),
        tabs: tabs(actor, "/cases/settings", lang),
        days: rows
            .into_iter()
            .map(|(day, kind, note)| DayRow {
                day,
                kind: if kind == "holiday" {
                    lang.pick("放假", "Holiday")
                } else {
                    lang.pick("调休上班", "Worked day")
                },
                note,
            })
            .collect(),
        categories: all
            .iter()
            .map(|c| CategoryRow {
                code: c.code.clone(),
                name: c.label(lang).to_string(),
                days: format!(
                    "{} / {} / {}",
                    c.days_normal, c.days_urgent, c.days_critical
                ),
                route: c.route_kind.label(lang).to_string(),
                leaf: leaves.contains(&c.id),
            })
            .collect(),
        keys: crate::open311::keys::list(state)
            .await?
            .into_iter()
            .map(|k| KeyRow {
                id: k.id,
                name: k.name,
                created: format_ms(k.created_at),
                revoked: k.revoked,
            })
            .collect(),
        new_key,
        message,
    };
    Ok(render(&page)?)
}

async fn settings(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
) -> CaseResult<Response> {
    settings_page(&state, &actor, None, None).await
}

#[derive(Debug, serde::Deserialize)]
struct DayForm {
    day: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    note: String,
}

async fn calendar_save(
    State(state): State<AppState>,
    actor: GovActor,
    Form(f): Form<DayForm>,
) -> CaseResult<Response> {
    match api::save_day(&state, &actor, &f.day, &f.kind, &f.note).await {
        Ok(()) => Ok(redirect("/cases/settings")),
        Err(CaseError::Invalid { message, .. }) => {
            settings_page(&state, &actor, None, Some(message)).await
        }
        Err(e) => Err(e),
    }
}

async fn calendar_delete(
    State(state): State<AppState>,
    actor: GovActor,
    Form(f): Form<DayForm>,
) -> CaseResult<Response> {
    api::remove_day(&state, &actor, &f.day).await?;
    Ok(redirect("/cases/settings"))
}

#[derive(Debug, serde::Deserialize)]
struct KeyForm {
    name: String,
}

async fn key_issue(
    State(state): State<AppState>,
    actor: GovActor,
    Form(f): Form<KeyForm>,
) -> CaseResult<Response> {
    authorize(&actor, Action::Configure, &Target::Anywhere)?;
    let district = crate::open311::keys::district_for(&state, &actor, None).await?;
    match crate::open311::keys::issue(&state, actor.id(), &f.name, district).await {
        Ok(key) => settings_page(&state, &actor, Some(key), None).await,
        Err(CaseError::Invalid { message, .. }) => {
            settings_page(&state, &actor, None, Some(message)).await
        }
        Err(e) => Err(e),
    }
}

async fn key_revoke(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
) -> CaseResult<Response> {
    crate::open311::keys::revoke(&state, &actor, id).await?;
    Ok(redirect("/cases/settings"))
}

// ---------------------------------------------------------------------------------------
// Case categories (the centre's administrators)

/// One category in the list.
pub struct CategoryItem {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub parent: String,
    pub days: String,
    pub route: String,
    pub public: bool,
    pub active: bool,
    pub questions: usize,
}

/// The add / edit form, holding what was typed (so a refused form keeps it).
#[derive(Debug, Default, serde::Deserialize)]
pub struct CategoryForm {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub parent: String,
    #[serde(default)]
    pub days_normal: String,
    #[serde(default)]
    pub days_urgent: String,
    #[serde(default)]
    pub days_critical: String,
    #[serde(default)]
    pub route_kind: String,
    #[serde(default)]
    pub route_unit_id: String,
    #[serde(default)]
    pub public: Option<String>,
    #[serde(default)]
    pub active: Option<String>,
}

impl CategoryForm {
    fn of(c: &Category, all: &[Category]) -> CategoryForm {
        CategoryForm {
            code: c.code.clone(),
            name: c.name.clone(),
            name_en: c.name_en.clone(),
            description: c.description.clone(),
            parent: c
                .parent_id
                .and_then(|p| all.iter().find(|k| k.id == p))
                .map(|p| p.code.clone())
                .unwrap_or_default(),
            days_normal: c.days_normal.to_string(),
            days_urgent: c.days_urgent.to_string(),
            days_critical: c.days_critical.to_string(),
            route_kind: c.route_kind.as_str().into(),
            route_unit_id: c.route_unit_id.map(|u| u.to_string()).unwrap_or_default(),
            public: c.public.then(|| "1".into()),
            active: c.active.then(|| "1".into()),
        }
    }

    fn blank() -> CategoryForm {
        CategoryForm {
            days_normal: "5".into(),
            days_urgent: "2".into(),
            days_critical: "1".into(),
            route_kind: "community".into(),
            active: Some("1".into()),
            ..CategoryForm::default()
        }
    }

    /// The API's input; a number field that is not a whole number is refused by name.
    fn input(&self) -> CaseResult<api::CategoryInput> {
        let number = |raw: &str, zh: &str| -> CaseResult<Option<i64>> {
            let raw = raw.trim();
            if raw.is_empty() {
                return Ok(None);
            }
            raw.parse().map(Some).map_err(|_| {
                CaseError::invalid("bad_number", format!("{zh}须为整数 ({zh}: a whole number)"))
            })
        };
        Ok(api::CategoryInput {
            code: self.code.clone(),
            name: self.name.clone(),
            name_en: self.name_en.clone(),
            description: self.description.clone(),
            parent: self.parent.clone(),
            days_normal: number(&self.days_normal, "一般时限")?,
            days_urgent: number(&self.days_urgent, "紧急时限")?,
            days_critical: number(&self.days_critical, "特急时限")?,
            route_kind: self.route_kind.clone(),
            route_unit_id: number(&self.route_unit_id, "指定单位")?,
            attributes: None,
            public: self.public.is_some(),
            active: Some(self.active.is_some()),
        })
    }
}

#[derive(Template)]
#[template(path = "cases_categories.html")]
struct CategoriesPage {
    page: PageCtx,
    tabs: Vec<Tab>,
    items: Vec<CategoryItem>,
    /// The category being edited (None: the add form).
    editing: Option<i64>,
    form: CategoryForm,
    parents: Vec<(String, String)>,
    routes: Vec<ValueOpt>,
    units: Vec<UnitOpt>,
    message: Option<String>,
}

async fn categories_page(
    state: &AppState,
    actor: &GovActor,
    editing: Option<i64>,
    form: Option<CategoryForm>,
    message: Option<String>,
) -> CaseResult<Response> {
    authorize(actor, Action::Configure, &Target::Anywhere)?;
    let lang = actor.lang;
    let all = model::categories(&state.db).await?;
    let form = match (form, editing) {
        (Some(f), _) => f,
        (None, Some(id)) => {
            let c = all.iter().find(|c| c.id == id).ok_or(CaseError::NotFound)?;
            CategoryForm::of(c, &all)
        }
        (None, None) => CategoryForm::blank(),
    };
    let route_unit: Option<i64> = form.route_unit_id.trim().parse().ok();
    let scope = actor.scope_with(gov_core::MemberRole::UnitAdmin);
    let units = list_units(&state.db, &scope)
        .await?
        .into_iter()
        .filter(|u| u.kind != UnitKind::District)
        .map(|u| UnitOpt {
            id: u.id.0,
            label: format!("{}（{}）", u.name, u.kind.label(lang)),
            selected: Some(u.id.0) == route_unit,
        })
        .collect();
    let page = CategoriesPage {
        page: actor.page(lang.pick("事件类别", "Case categories")),
        tabs: tabs(actor, "/cases/categories", lang),
        items: all
            .iter()
            .map(|c| CategoryItem {
                id: c.id,
                code: c.code.clone(),
                name: c.label(lang).to_string(),
                parent: c
                    .parent_id
                    .and_then(|p| all.iter().find(|k| k.id == p))
                    .map(|p| p.label(lang).to_string())
                    .unwrap_or_default(),
                days: format!(
                    "{} / {} / {}",
                    c.days_normal, c.days_urgent, c.days_critical
                ),
                route: c.route_kind.label(lang).to_string(),
                public: c.public,
                active: c.active,
                questions: c.attributes.len(),
            })
            .collect(),
        parents: all
            .iter()
            .filter(|c| c.parent_id.is_none() && Some(c.id) != editing)
            .map(|c| (c.code.clone(), c.label(lang).to_string()))
            .collect(),
        routes: model::RouteKind::ALL
            .iter()
            .map(|r| ValueOpt {
                value: r.as_str(),
                label: r.label(lang),
                selected: r.as_str() == form.route_kind,
            })
            .collect(),
        units,
        editing,
        form,
        message,
    };
    Ok(render(&page)?)
}

async fn categories_list(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
) -> CaseResult<Response> {
    categories_page(&state, &actor, None, None, None).await
}

async fn category_edit(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Id(id): Id,
) -> CaseResult<Response> {
    categories_page(&state, &actor, Some(id), None, None).await
}

/// A refused form comes back with what was typed and the reason next to it.
async fn category_saved(
    state: &AppState,
    actor: &GovActor,
    editing: Option<i64>,
    form: CategoryForm,
    saved: CaseResult<Category>,
) -> CaseResult<Response> {
    match saved {
        Ok(_) => Ok(redirect("/cases/categories")),
        Err(CaseError::Invalid { message, .. }) | Err(CaseError::Refused { message, .. }) => {
            categories_page(state, actor, editing, Some(form), Some(message)).await
        }
        Err(e) => Err(e),
    }
}

async fn category_add(
    State(state): State<AppState>,
    actor: GovActor,
    Form(f): Form<CategoryForm>,
) -> CaseResult<Response> {
    let saved = match f.input() {
        Ok(input) => api::add_category(&state, &actor, input).await,
        Err(e) => Err(e),
    };
    category_saved(&state, &actor, None, f, saved).await
}

async fn category_update(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    Form(f): Form<CategoryForm>,
) -> CaseResult<Response> {
    let saved = match f.input() {
        Ok(input) => api::edit_category(&state, &actor, id, input).await,
        Err(e) => Err(e),
    };
    category_saved(&state, &actor, Some(id), f, saved).await
}
