//! The proposals JSON API: `/api/v1/proposals` (submit, list, read, act, statistics) and
//! the office's `/api/v1/consultation/…` (members, office accounts, periods).

use crate::authz::{Action, ConsultActor, Target, authorize, list_filter};
use crate::error::{ConsultError, ConsultResult};
use crate::model::{self, Full, Periods, Proposal, State};
use crate::workflow::{self, NewProposal, Step};
use axum::extract::{Query, State as AxState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use gov_core::{Bind, MemberRole, Sql, UnitId, UnitKind, find_unit};
use platform::AppState;
use platform::web::{ApiJson, Id, Paging};
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::{FromRow, Row};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/proposals", get(list).post(create))
        .route("/api/v1/proposals/stats", get(stats))
        .route("/api/v1/proposals/{id}", get(detail))
        .route("/api/v1/proposals/{id}/actions", post(act))
        .route("/api/v1/consultation/members", post(add_member))
        .route("/api/v1/consultation/office", post(add_office))
        .route(
            "/api/v1/consultation/settings",
            get(settings).put(save_settings),
        )
}

/// The supervision card of an open deadline: red when passed, yellow within five working
/// days of it (the case centre's idea, counted here on the same calendar).
pub fn card(
    cal: &cases::calendar::Calendar,
    due: Option<i64>,
    now: i64,
    open: bool,
) -> &'static str {
    match due {
        Some(d) if open && now > d => "red",
        Some(d) if open && cal.working_days_between(now, d) <= 5 => "yellow",
        _ => "",
    }
}

/// Whether the reply is still awaited (the reply deadline runs).
pub fn awaiting_reply(s: State) -> bool {
    matches!(
        s,
        State::Assigned
            | State::Handling
            | State::Drafted
            | State::Countersigned
            | State::Checked
            | State::SecondHandling
    )
}

/// A proposal as the API shows it; drafts, deadlines and the history only to `internal`
/// readers (the office and the units), the reply to the proposer once it is formal.
pub fn proposal_json(f: &Full, internal: bool, cal: &cases::calendar::Calendar, now: i64) -> Value {
    let p = &f.p;
    let formal = matches!(
        p.state,
        State::Replied | State::Closed | State::SecondHandling
    );
    let mut v = json!({
        "id": p.id,
        "title": p.title,
        "body": p.body,
        "kind": p.kind,
        "state": p.state,
        "sector": p.sector,
        "proposer": p.proposer_name,
        "proposer_id": p.proposer_id,
        "cosigners": f.cosigners,
        "decline_reason": p.decline_reason,
        "merged_into": p.merged_into,
        "lead_unit_id": p.lead_unit_id,
        "lead_unit": p.lead_name,
        "reply_class": if internal || formal { p.reply_class.as_str() } else { "" },
        "reply": if internal || formal { p.reply_text.as_str() } else { "" },
        "replied_at": p.replied_at,
        "round": p.round,
        "rating_work": p.rating_work,
        "rating_result": p.rating_result,
        "followup": p.followup,
        "consent": p.consent,
        "created_at": p.created_at,
        "filed_at": p.filed_at,
    });
    if internal {
        let obj = v.as_object_mut().expect("an object");
        let co: Vec<Value> = f
            .co_units
            .iter()
            .map(|c| {
                json!({"unit_id": c.unit_id, "name": c.name, "opinion": c.opinion, "opinion_at": c.opinion_at,
                       "late": c.opinion_at.is_some_and(|at| p.co_due.is_some_and(|d| at > d))})
            })
            .collect();
        obj.insert("co_units".into(), json!(co));
        obj.insert("sign_due".into(), json!(p.sign_due));
        obj.insert("co_due".into(), json!(p.co_due));
        obj.insert("reply_due".into(), json!(p.reply_due));
        obj.insert("extended".into(), json!(p.extended));
        obj.insert("extension_reason".into(), json!(p.extension_reason));
        obj.insert(
            "card".into(),
            json!(card(cal, p.reply_due, now, awaiting_reply(p.state))),
        );
        obj.insert(
            "on_time".into(),
            json!(p.replied_at.map(|r| p.reply_due.is_none_or(|d| r <= d))),
        );
    }
    v
}

async fn load_visible(state: &AppState, actor: &ConsultActor, id: i64) -> ConsultResult<Full> {
    let f = model::load(&state.db, id)
        .await?
        .ok_or(ConsultError::NotFound)?;
    let (co, cs) = (f.co_paths(), f.cosigner_ids());
    authorize(actor, Action::View, &Target::Proposal(&f.p, &co, &cs))?;
    Ok(f)
}

fn internal(actor: &ConsultActor, f: &Full) -> bool {
    let (co, cs) = (f.co_paths(), f.cosigner_ids());
    authorize(
        actor,
        Action::SeeInternal,
        &Target::Proposal(&f.p, &co, &cs),
    )
    .is_ok()
}

async fn create(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    ApiJson(body): ApiJson<NewProposal>,
) -> ConsultResult<Response> {
    authorize(&actor, Action::Submit, &Target::Anywhere)?;
    let user = actor.user.as_ref().ok_or(ConsultError::SignIn)?;
    let (district, sector) = match &actor.member {
        Some((d, s)) => (*d, s.clone()),
        None => (
            *actor.office.first().ok_or_else(|| {
                ConsultError::Denied(
                    platform::bi!(
                        "只有政协委员可以提交提案。",
                        "only CPPCC members submit proposals"
                    )
                    .into(),
                )
            })?,
            String::new(),
        ),
    };
    let id = workflow::submit(&state, user.id, district, &sector, body).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": id, "state": "submitted"})),
    )
        .into_response())
}

#[derive(Deserialize)]
struct ListQuery {
    state: Option<String>,
    mine: Option<String>,
}

async fn list(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    paging: Paging,
    Query(q): Query<ListQuery>,
) -> ConsultResult<Json<Value>> {
    authorize(&actor, Action::View, &Target::Anywhere)?;
    let page = paging.bounded(20, 100);
    let mut sql = Sql::default();
    list_filter(&actor, &mut sql);
    if let Some(s) = q.state.as_deref().filter(|s| !s.is_empty()) {
        let s = State::parse(s).ok_or_else(|| {
            ConsultError::coded(
                platform::web::Code::InvalidFilter,
                platform::bi!("未知的状态。", "unknown state"),
            )
        })?;
        let b = sql.bind(Bind::Text(s.as_str().into()));
        sql.push(format!("p.state = {b}"));
    }
    if q.mine.as_deref() == Some("1") {
        let b = sql.bind(Bind::Int(actor.id().unwrap_or_default()));
        sql.push(format!("p.proposer_id = {b}"));
    }
    let total = sql.count(&state.db, model::FROM).await?;
    let rows = sql
        .page(
            &state.db,
            model::COLUMNS,
            model::FROM,
            "p.id DESC",
            page.per_page,
            page.offset(),
        )
        .await?;
    let items: Vec<Value> = rows
        .iter()
        .map(|r| {
            let p = Proposal::from_row(r)?;
            Ok(json!({"id": p.id, "title": p.title, "kind": p.kind, "state": p.state, "sector": p.sector,
                      "proposer": p.proposer_name, "lead_unit": p.lead_name, "reply_due": p.reply_due,
                      "reply_class": if matches!(p.state, State::Replied | State::Closed | State::SecondHandling) { p.reply_class.as_str() } else { "" },
                      "created_at": p.created_at}))
        })
        .collect::<sqlx::Result<_>>()?;
    Ok(Json(json!({"total": total, "items": items})))
}

async fn detail(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    Id(id): Id,
) -> ConsultResult<Json<Value>> {
    let f = load_visible(&state, &actor, id).await?;
    let cal = cases::calendar::Calendar::load(&state.db).await?;
    let inner = internal(&actor, &f);
    let mut v = proposal_json(&f, inner, &cal, state.now());
    if inner {
        v["events"] = json!(model::events(&state.db, id).await?);
    }
    Ok(Json(v))
}

/// The proposal's co-handling units that `actor` works for.
pub fn my_co_units(actor: &ConsultActor, f: &Full) -> Vec<i64> {
    f.co_units
        .iter()
        .filter(|c| actor.unit_staff(&c.path, MemberRole::Worker))
        .map(|c| c.unit_id)
        .collect()
}

/// Authorises and applies one step; shared by the API and the pages.
pub async fn take_step(
    state: &AppState,
    actor: &ConsultActor,
    id: i64,
    step: Step,
) -> ConsultResult<Full> {
    let f = load_visible(state, actor, id).await?;
    let (co, cs) = (f.co_paths(), f.cosigner_ids());
    authorize(actor, step.action(), &Target::Proposal(&f.p, &co, &cs))?;
    let by = actor.id().ok_or(ConsultError::SignIn)?;
    workflow::apply(state, &f, step, by, &my_co_units(actor, &f)).await?;
    model::load(&state.db, id)
        .await?
        .ok_or(ConsultError::NotFound)
}

async fn act(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    Id(id): Id,
    ApiJson(step): ApiJson<Step>,
) -> ConsultResult<Json<Value>> {
    let f = take_step(&state, &actor, id, step).await?;
    let cal = cases::calendar::Calendar::load(&state.db).await?;
    Ok(Json(proposal_json(
        &f,
        internal(&actor, &f),
        &cal,
        state.now(),
    )))
}

#[derive(Deserialize)]
struct DistrictQuery {
    district_id: Option<i64>,
    year: Option<i32>,
}

/// The district the office actor means: the one asked for, else their (first) own.
pub fn office_district(actor: &ConsultActor, asked: Option<i64>) -> ConsultResult<i64> {
    let d = match asked {
        Some(d) => d,
        None => match actor.office.first() {
            Some(d) => *d,
            None => {
                authorize(actor, Action::Administer, &Target::Anywhere)?;
                return Err(ConsultError::coded(
                    platform::web::Code::MissingField,
                    platform::bi!("请指定 district_id。", "give district_id"),
                ));
            }
        },
    };
    authorize(actor, Action::Administer, &Target::District(d))?;
    Ok(d)
}

async fn stats(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    Query(q): Query<DistrictQuery>,
) -> ConsultResult<Json<Value>> {
    let d = office_district(&actor, q.district_id)?;
    Ok(Json(crate::stats::compute(&state.db, d, q.year).await?))
}

#[derive(Deserialize)]
struct NewMember {
    username: String,
    #[serde(default)]
    sector: String,
    district_id: Option<i64>,
}

/// The id of the account named `name` (400 when there is none).
pub async fn user_by_name(state: &AppState, name: &str) -> ConsultResult<i64> {
    let row = sqlx::query("SELECT id FROM platform_users WHERE username = $1")
        .bind(name.trim())
        .fetch_optional(&state.db.pool)
        .await?;
    match row {
        Some(r) => Ok(r.try_get("id")?),
        None => Err(ConsultError::field(platform::bi!(
            "没有这个账号。",
            "no such account"
        ))),
    }
}

/// Registers a CPPCC member of a sector (the office of the district).
async fn add_member(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    ApiJson(m): ApiJson<NewMember>,
) -> ConsultResult<Response> {
    let d = office_district(&actor, m.district_id)?;
    let sector = m.sector.trim();
    if sector.is_empty() || sector.chars().count() > 40 {
        return Err(ConsultError::field(platform::bi!(
            "请填写界别（40 字以内）。",
            "give the sector (up to 40 characters)"
        )));
    }
    let uid = user_by_name(&state, &m.username).await?;
    crate::people::set_member(&state.db, uid, d, sector, state.now()).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"user_id": uid, "district_id": d, "sector": sector})),
    )
        .into_response())
}

/// Adds an account to a district's proposals office (platform admins).
async fn add_office(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    ApiJson(m): ApiJson<NewMember>,
) -> ConsultResult<Response> {
    actor.user.as_ref().ok_or(ConsultError::SignIn)?;
    if !actor.is_platform_admin() {
        return Err(ConsultError::Denied(
            platform::bi!(
                "只有平台管理员可以设置提案办人员。",
                "only platform admins staff the office"
            )
            .into(),
        ));
    }
    let d = m.district_id.ok_or_else(|| {
        ConsultError::coded(
            platform::web::Code::MissingField,
            platform::bi!("请指定 district_id。", "give district_id"),
        )
    })?;
    let unit = find_unit(&state.db, UnitId(d))
        .await?
        .filter(|u| u.kind == UnitKind::District);
    if unit.is_none() {
        return Err(ConsultError::field(platform::bi!(
            "district_id 须为一个区。",
            "district_id must be a district"
        )));
    }
    let uid = user_by_name(&state, &m.username).await?;
    crate::people::set_office(&state.db, uid, d, state.now()).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"user_id": uid, "district_id": d})),
    )
        .into_response())
}

async fn settings(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    Query(q): Query<DistrictQuery>,
) -> ConsultResult<Json<Value>> {
    let d = office_district(&actor, q.district_id)?;
    Ok(Json(
        json!({"district_id": d, "periods": Periods::load(&state.db, d).await?}),
    ))
}

#[derive(Deserialize)]
struct SettingsBody {
    district_id: Option<i64>,
    periods: Periods,
}

async fn save_settings(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    ApiJson(b): ApiJson<SettingsBody>,
) -> ConsultResult<Json<Value>> {
    let d = office_district(&actor, b.district_id)?;
    if !b.periods.valid() {
        return Err(ConsultError::field(platform::bi!(
            "各期限须为 1–400 个工作日，延期后的期限不短于答复期限。",
            "periods are 1–400 working days, the extended reply period at least the reply period"
        )));
    }
    b.periods.save(&state.db, d).await?;
    Ok(Json(json!({"district_id": d, "periods": b.periods})))
}
