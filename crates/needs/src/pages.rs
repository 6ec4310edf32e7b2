//! The needs pages: the list, the form to raise a need, a need with its matches (scores and
//! reasons in words) and referrals, a referral with its history and the steps the viewer
//! may take, and the gap report. Chinese first; tables stack at phone width.

use crate::api::visible;
use crate::authz::{self, Action, Target, authorize};
use crate::error::{NeedError, NeedResult};
use crate::figures;
use crate::flow::{self, NewNeed, Step};
use crate::model::{self, NEED_COLUMNS, NEED_FROM, Need, Referral, URGENCIES};
use crate::referral::{self, STEPS, Side};
use crate::{gap, matching};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use gov_core::{Asked, Bind, GovActor, Period, ScopeFilter, Sql, UnitKind, list_units};
use platform::AppState;
use platform::clock::format_ms;
use platform::web::{Id, Opt, PageCtx, SignedIn, redirect, render, sign_in_first};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/needs", get(list).post(raise))
        .route("/needs/new", get(new_form))
        .route("/needs/gaps", get(gaps))
        .route("/needs/{id}", get(detail))
        .route("/needs/{id}/refer", post(refer))
        .route("/referrals/{id}", get(referral_page))
        .route("/referrals/{id}/act", post(act))
}

pub struct NeedRow {
    pub id: i64,
    pub title: String,
    pub category: String,
    pub unit: String,
    pub urgency: String,
    pub state: String,
    pub state_code: String,
    pub raised: String,
}

#[derive(Template)]
#[template(path = "needs_list.html")]
struct ListPage {
    page: PageCtx,
    rows: Vec<NeedRow>,
    filters: Vec<Opt>,
    /// `&unit=…` when the list is narrowed to a unit, kept by the state links.
    unit_q: String,
    staff: bool,
    total: i64,
}

#[derive(Deserialize)]
struct ListQuery {
    state: Option<String>,
    /// A unit in the viewer's scope: only needs raised in its subtree (the overview's
    /// drill-down; the same clause its figures use).
    unit: Option<String>,
    /// `month`, `quarter` or `year`: only needs raised in that period (the overview's).
    period: Option<String>,
}

async fn category_names(state: &AppState, en: bool) -> NeedResult<Vec<(String, String)>> {
    Ok(matching::taxonomy(&state.db)
        .await?
        .into_iter()
        .map(|c| (c.code, if en { c.name_en } else { c.name }))
        .collect())
}

fn name_of(names: &[(String, String)], code: &str) -> String {
    names
        .iter()
        .find(|(c, _)| c == code)
        .map(|(_, n)| n.clone())
        .unwrap_or_else(|| "—".into())
}

async fn list(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Query(q): Query<ListQuery>,
) -> NeedResult<Response> {
    authorize(&actor, Action::Monitor, &Target::Anywhere)?;
    let lang = actor.lang;
    let mut sql = Sql::default();
    visible(&actor, &mut sql);
    let current = q.state.clone().unwrap_or_default();
    if !current.is_empty() {
        let p = sql.bind(Bind::Text(current.clone()));
        sql.push(format!("n.state = {p}"));
    }
    // Drill-down from the overview: the needs its figures counted for a unit and period.
    let bad = |m: &'static str| NeedError::coded(platform::web::Code::InvalidFilter, m);
    let period = Period::from_query(q.period.as_deref()).map_err(|_| bad(Period::BAD))?;
    let since = period.map(|p| p.since(state.now()));
    let mut unit_q = String::new();
    match Asked::parse(&state.db, &actor, q.unit.as_deref()).await? {
        Asked::NotYours => {
            return Err(bad(platform::bi!(
                "所选单位不在您的范围内。",
                "That unit is not in your scope."
            )));
        }
        Asked::Unit(unit) => {
            figures::needs_counted(&actor.narrowed(&unit), since, &mut sql);
            unit_q = format!("&unit={}", unit.id);
        }
        Asked::Everywhere if since.is_some() => figures::needs_counted(&actor, since, &mut sql),
        Asked::Everywhere => {}
    }
    if let Some(p) = period {
        unit_q.push_str(&format!("&period={}", p.as_str()));
    }
    let total = sql.count(&state.db, NEED_FROM).await?;
    let rows = sql
        .page(&state.db, NEED_COLUMNS, NEED_FROM, "n.id DESC", 100, 0)
        .await?;
    let names = category_names(&state, lang.is_en()).await?;
    let rows = model::needs_from_rows(&state.db, &rows)
        .await?
        .into_iter()
        .map(|n| NeedRow {
            id: n.id,
            category: name_of(&names, n.effective_category()),
            unit: n.unit_name.clone(),
            urgency: model::urgency_label(&n.urgency, lang).into(),
            state: model::need_state_label(&n.state, lang).into(),
            raised: format_ms(n.created_at),
            state_code: n.state,
            title: n.title,
        })
        .collect();
    let mut filters = vec![Opt::current("", lang.pick("全部", "All"), &current)];
    for s in ["open", "referred", "met", "unmet"] {
        filters.push(Opt::current(s, model::need_state_label(s, lang), &current));
    }
    render(&ListPage {
        page: actor.page(lang.pick("需求对接", "Needs")),
        rows,
        filters,
        unit_q,
        staff: authz::is_staff(&actor),
        total,
    })
    .map_err(NeedError::from_app)
}

#[derive(Template)]
#[template(path = "needs_new.html")]
struct NewPage {
    page: PageCtx,
    error: Option<String>,
    field: String,
    categories: Vec<Opt>,
    units: Vec<Opt>,
    urgencies: Vec<Opt>,
    f: NeedForm,
}

/// The form as typed (kept on a validation error).
#[derive(Clone, Default, Deserialize)]
pub struct NeedForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub unit_id: String,
    #[serde(default)]
    pub people: String,
    #[serde(default)]
    pub urgency: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub consent: Option<String>,
}

async fn new_page(
    state: &AppState,
    actor: &GovActor,
    f: NeedForm,
    error: Option<(&str, String)>,
) -> NeedResult<Response> {
    let lang = actor.lang;
    let mut categories = vec![Opt::current(
        "",
        lang.pick("不确定（按描述匹配）", "Not sure (match by the words)"),
        &f.category,
    )];
    for (code, name) in category_names(state, lang.is_en()).await? {
        categories.push(Opt::current(code, name, &f.category));
    }
    let scope = if authz::is_staff(actor) {
        actor.scope()
    } else {
        ScopeFilter(None)
    };
    let units = list_units(&state.db, &scope)
        .await?
        .into_iter()
        .filter(|u| matches!(u.kind, UnitKind::Community | UnitKind::Grid))
        .map(|u| Opt::current(u.id.0.to_string(), u.name, &f.unit_id))
        .collect();
    let urgency = if f.urgency.is_empty() {
        "normal".to_string()
    } else {
        f.urgency.clone()
    };
    let urgencies = URGENCIES
        .iter()
        .map(|u| Opt::current(*u, model::urgency_label(u, lang), &urgency))
        .collect();
    let (field, error) = match error {
        Some((field, m)) => (field.to_string(), Some(lang.msg(&m).to_string())),
        None => (String::new(), None),
    };
    render(&NewPage {
        page: actor.page(lang.pick("提出需求", "Raise a need")),
        error,
        field,
        categories,
        units,
        urgencies,
        f,
    })
    .map_err(NeedError::from_app)
}

async fn new_form(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
) -> NeedResult<Response> {
    new_page(&state, &actor, NeedForm::default(), None).await
}

async fn raise(
    State(state): State<AppState>,
    actor: GovActor,
    Form(f): Form<NeedForm>,
) -> NeedResult<Response> {
    if let Some(r) = sign_in_first(&actor, "/needs/new") {
        return Ok(r);
    }
    let people = f.people.trim();
    let n = NewNeed {
        title: Some(f.title.clone()),
        description: Some(f.description.clone()),
        category: Some(f.category.clone()),
        unit_id: Some(f.unit_id.trim().parse().unwrap_or(0)),
        people: if people.is_empty() {
            None
        } else {
            Some(people.parse().unwrap_or(0))
        },
        urgency: Some(f.urgency.clone()).filter(|u| !u.is_empty()),
        address: Some(f.address.clone()),
        subject: Some(f.subject.clone()),
        consent: Some(f.consent.is_some()),
        ..NewNeed::default()
    };
    match flow::raise(&state, &actor, &n).await? {
        Ok((id, _)) => Ok(redirect(&format!("/needs/{id}"))),
        Err(e) => new_page(&state, &actor, f, Some((e.field, e.message.to_string()))).await,
    }
}

pub struct MatchRow {
    pub m: matching::Match,
    pub category: String,
    pub reasons: String,
    pub capacity: String,
}

pub struct RefRow {
    pub r: Referral,
    pub state: String,
}

#[derive(Template)]
#[template(path = "needs_detail.html")]
struct DetailPage {
    page: PageCtx,
    n: Need,
    category: String,
    chosen: bool,
    urgency: String,
    state: String,
    raiser: String,
    contact: bool,
    may_refer: bool,
    matches: Vec<MatchRow>,
    referrals: Vec<RefRow>,
    error: Option<String>,
}

async fn detail_page(
    state: &AppState,
    actor: &GovActor,
    id: i64,
    error: Option<String>,
) -> NeedResult<Response> {
    let lang = actor.lang;
    let (n, refs) = flow::visible_need(state, actor, id).await?;
    let contact = authorize(actor, Action::SeeContact, &Target::Need(&n, &refs)).is_ok();
    let may_refer = authorize(actor, Action::Refer, &Target::Need(&n, &refs)).is_ok();
    let names = category_names(state, lang.is_en()).await?;
    let matches = matching::matches(&state.db, &n, 10)
        .await?
        .into_iter()
        .map(|m| MatchRow {
            category: name_of(&names, &m.category),
            reasons: if lang.is_en() {
                m.reasons_en.join("; ")
            } else {
                m.reasons.join("；")
            },
            capacity: match m.capacity {
                matching::Capacity::Yes => lang.pick("可接收", "Has places"),
                matching::Capacity::Waitlist => lang.pick("已满，可排队", "Full: waiting list"),
                matching::Capacity::No => lang.pick("不接收", "Takes nobody"),
            }
            .into(),
            m,
        })
        .collect();
    let referrals = refs
        .into_iter()
        .map(|r| RefRow {
            state: referral::state_label(&r.state, lang).into(),
            r,
        })
        .collect();
    render(&DetailPage {
        page: actor.page(n.title.clone()),
        category: name_of(&names, n.effective_category()),
        chosen: !n.category.is_empty(),
        urgency: model::urgency_label(&n.urgency, lang).into(),
        state: model::need_state_label(&n.state, lang).into(),
        raiser: model::raiser_label(&n.raiser_kind, lang).into(),
        n,
        contact,
        may_refer,
        matches,
        referrals,
        error,
    })
    .map_err(NeedError::from_app)
}

async fn detail(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Id(id): Id,
) -> NeedResult<Response> {
    detail_page(&state, &actor, id, None).await
}

#[derive(Deserialize)]
struct ReferForm {
    service_id: String,
    consent: Option<String>,
}

async fn refer(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    Form(f): Form<ReferForm>,
) -> NeedResult<Response> {
    if let Some(r) = sign_in_first(&actor, &format!("/needs/{id}")) {
        return Ok(r);
    }
    let service = f.service_id.trim().parse().unwrap_or(0);
    match flow::refer(&state, &actor, id, service, f.consent.is_some(), "").await {
        Ok(r) => Ok(redirect(&format!("/referrals/{}", r.id))),
        Err(NeedError::Coded { message, .. }) => {
            let m = actor.lang.msg(&message).to_string();
            detail_page(&state, &actor, id, Some(m)).await
        }
        Err(e) => Err(e),
    }
}

pub struct EventRow {
    pub at: String,
    pub action: String,
    pub to: String,
    pub note: String,
}

pub struct ActionOpt {
    pub action: &'static str,
    pub label: String,
    pub needs_reason: bool,
}

#[derive(Template)]
#[template(path = "needs_referral.html")]
struct ReferralPage {
    page: PageCtx,
    r: Referral,
    n: Need,
    state: String,
    contact: bool,
    events: Vec<EventRow>,
    actions: Vec<ActionOpt>,
    feedback: bool,
    error: Option<String>,
}

async fn referral_view(
    state: &AppState,
    actor: &GovActor,
    id: i64,
    error: Option<String>,
) -> NeedResult<Response> {
    let lang = actor.lang;
    let (r, n) = flow::visible_referral(state, actor, id).await?;
    let refs = model::referrals_of(&state.db, n.id).await?;
    let contact = authorize(actor, Action::SeeContact, &Target::Need(&n, &refs)).is_ok();
    let may = |side: Side| {
        let a = match side {
            Side::Provider => Action::Provide,
            Side::Referrer => Action::Direct,
            Side::Feedback => Action::Feedback,
        };
        authorize(actor, a, &Target::Referral(&r, &n)).is_ok()
    };
    let mut actions = Vec::new();
    let mut feedback = false;
    for (a, from, _, side) in STEPS {
        if !from.contains(&r.state.as_str()) || !may(*side) {
            continue;
        }
        if *a == "feedback" {
            feedback = true;
        } else {
            actions.push(ActionOpt {
                action: a,
                label: referral::action_label(a, lang).into(),
                needs_reason: matches!(*a, "reject" | "fail" | "complete"),
            });
        }
    }
    let events = model::events_of(&state.db, id)
        .await?
        .into_iter()
        .map(|e| EventRow {
            at: format_ms(e.at),
            action: referral::action_label(&e.action, lang).into(),
            to: referral::state_label(&e.to_state, lang).into(),
            note: e.note,
        })
        .collect();
    render(&ReferralPage {
        page: actor.page(format!("{} · {}", lang.pick("转介", "Referral"), n.title)),
        state: referral::state_label(&r.state, lang).into(),
        r,
        n,
        contact,
        events,
        actions,
        feedback,
        error,
    })
    .map_err(NeedError::from_app)
}

async fn referral_page(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Id(id): Id,
) -> NeedResult<Response> {
    referral_view(&state, &actor, id, None).await
}

#[derive(Deserialize)]
struct ActForm {
    action: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    rating: String,
    #[serde(default)]
    comment: String,
}

async fn act(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    Form(f): Form<ActForm>,
) -> NeedResult<Response> {
    if let Some(r) = sign_in_first(&actor, &format!("/referrals/{id}")) {
        return Ok(r);
    }
    let step = Step {
        action: Some(f.action),
        reason: Some(f.reason),
        rating: f.rating.trim().parse().ok(),
        comment: Some(f.comment),
    };
    match flow::act(&state, &actor, id, &step).await {
        Ok(_) => Ok(redirect(&format!("/referrals/{id}"))),
        Err(NeedError::Coded { message, .. }) | Err(NeedError::Denied(message)) => {
            let m = actor.lang.msg(&message).to_string();
            referral_view(&state, &actor, id, Some(m)).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "needs_gaps.html")]
struct GapsPage {
    page: PageCtx,
    rows: Vec<gap::Gap>,
}

async fn gaps(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
) -> NeedResult<Response> {
    let rows = gap::report(&state, &actor).await?;
    render(&GapsPage {
        page: actor.page(actor.lang.pick("需求缺口", "Unmet needs")),
        rows,
    })
    .map_err(NeedError::from_app)
}
