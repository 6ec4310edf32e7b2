//! The cases JSON API under /api/v1/cases.

use crate::authz::{self, Action, Target, authorize};
use crate::calendar::{DayKind, day_start, local_date, parse_day};
use crate::error::{CaseError, CaseResult};
use crate::intake::{self, NewCase};
use crate::model::{self, Case, CaseState, Priority, Source};
use crate::{stats, workflow};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use gov_core::{Bind, GovActor, Sql, UnitId, find_unit};
use platform::AppState;
use platform::web::{ApiJson, Code, Id};
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::FromRow;
use std::collections::BTreeMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/cases", get(list).post(create))
        .route(
            "/api/v1/cases/categories",
            get(categories).post(create_category),
        )
        .route("/api/v1/cases/categories/{id}", put(update_category))
        .route("/api/v1/cases/dashboard", get(dashboard))
        .route("/api/v1/cases/stats", get(rates))
        .route("/api/v1/cases/calendar", get(calendar))
        .route(
            "/api/v1/cases/calendar/{day}",
            put(set_day).delete(clear_day),
        )
        .route("/api/v1/cases/open311-clients", post(issue_key))
        .route("/api/v1/cases/{id}", get(detail))
        .route("/api/v1/cases/{id}/actions", post(act))
}

pub use crate::list_query::ListQuery;
pub use platform::web::parse_id;

fn ms_json(ms: Option<i64>) -> Value {
    ms.map(|m| json!(m)).unwrap_or(Value::Null)
}

/// Whether the actor reads a case as staff (internal steps, deadlines, cards), rather than
/// as the resident who reported it.
pub fn sees_internal(actor: &GovActor, c: &Case, co: &[String]) -> bool {
    authorize(actor, Action::SeeInternal, &Target::Case(c, co)).is_ok()
}

/// A case as the API shows it; contact details only to those who may see them, and to a
/// resident only what concerns them: the result once the case is closed, no cards or
/// internal deadlines.
pub fn case_json(c: &Case, show_contact: bool, internal: bool) -> Value {
    let mut v = staff_json(c, show_contact);
    if !internal {
        let obj = v.as_object_mut().expect("a case is a JSON object");
        for k in [
            "supervision",
            "respond_by",
            "return_by",
            "responded_at",
            "public_description",
        ] {
            obj.remove(k);
        }
        if c.state != CaseState::Closed {
            obj.insert("result".into(), json!(""));
            obj.insert("has_result_photo".into(), json!(false));
        }
    }
    v
}

fn staff_json(c: &Case, show_contact: bool) -> Value {
    let mut v = json!({
        "id": c.id,
        "token": c.token,
        "category_id": c.category_id,
        "source": c.source.as_str(),
        "priority": c.priority.as_str(),
        "state": c.state.as_str(),
        "open": c.state.is_open(),
        "place_unit_id": c.place_unit_id,
        "address": c.address,
        "lat": c.lat_e6.map(|l| l as f64 / 1e6),
        "long": c.lon_e6.map(|l| l as f64 / 1e6),
        "description": c.description,
        "attributes": serde_json::from_str::<Value>(&c.attributes).unwrap_or(Value::Null),
        "media_url": c.media_url,
        "has_photo": !c.photo_key.is_empty(),
        "has_result_photo": !c.result_photo_key.is_empty(),
        "lead_unit_id": c.lead_unit_id,
        "merged_into": c.merged_into,
        "result": c.result,
        "supervision": c.supervision.as_str(),
        "satisfaction": c.satisfaction.map(|s| s.as_str()),
        "reported_at": c.reported_at,
        "accepted_at": ms_json(c.accepted_at),
        "dispatched_at": ms_json(c.dispatched_at),
        "responded_at": ms_json(c.responded_at),
        "respond_by": ms_json(c.respond_by),
        "return_by": ms_json(c.return_by),
        "due_at": ms_json(c.due_at),
        "handled_at": ms_json(c.handled_at),
        "closed_at": ms_json(c.closed_at),
        "updated_at": c.updated_at,
        "public_description": c.public_description,
    });
    if show_contact {
        v["reporter"] = json!({
            "name": c.reporter_name,
            "phone": c.reporter_phone,
            "email": c.reporter_email,
        });
    }
    v
}

/// What filing a case needs, from the JSON API or the report form.
#[derive(Debug, Default, Deserialize)]
pub struct Filing {
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub priority: String,
    #[serde(default)]
    pub source: String,
    pub place_unit_id: Option<i64>,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub lat: String,
    #[serde(default)]
    pub long: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub reporter_name: String,
    #[serde(default)]
    pub reporter_phone: String,
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

/// Checks a filing and makes it a case to file. Residents file for themselves; staff may
/// file as a grid worker or hotline operator for someone else.
pub async fn check_filing(
    state: &AppState,
    actor: &GovActor,
    f: Filing,
    photo: Option<(String, String)>,
) -> CaseResult<NewCase> {
    authorize(actor, Action::Report, &Target::Anywhere)?;
    let user = actor.user.as_ref().ok_or(CaseError::SignIn)?;
    let source = match f.source.trim() {
        "" | "web" => Source::Web,
        s => {
            let s = Source::parse(s)
                .filter(|s| *s != Source::Open311)
                .ok_or_else(|| {
                    CaseError::invalid(Code::BadSource, "source: web, grid or hotline")
                })?;
            authorize(actor, Action::ReportOnBehalf, &Target::Anywhere)?;
            s
        }
    };
    let category = intake::leaf_category(state, &f.category).await?;
    let priority = match f.priority.trim() {
        "" => Priority::Normal,
        p => Priority::parse(p).ok_or_else(|| {
            CaseError::invalid(Code::BadPriority, "priority: normal, urgent or critical")
        })?,
    };
    let place_id = f.place_unit_id.ok_or_else(|| {
        CaseError::invalid(
            Code::MissingPlace,
            "请选择事件发生的社区 (choose where it happened)",
        )
    })?;
    let place = find_unit(&state.db, UnitId(place_id))
        .await?
        .ok_or_else(|| CaseError::invalid(Code::BadPlace, "no such unit"))?;
    let attributes = intake::check_attributes(&category, &f.attributes)?;
    let on_behalf = source != Source::Web;
    Ok(NewCase {
        category,
        source,
        priority,
        place,
        address: intake::short(&f.address, intake::MAX_ADDRESS, "address")?,
        lat_lon_e6: intake::coordinates(&f.lat, &f.long)?,
        description: intake::description(&f.description)?,
        attributes,
        media_url: String::new(),
        photo,
        reporter_id: (!on_behalf).then_some(user.id),
        reporter_name: if on_behalf {
            intake::short(&f.reporter_name, intake::MAX_CONTACT, "reporter_name")?
        } else {
            user.username.clone()
        },
        reporter_phone: intake::short(&f.reporter_phone, intake::MAX_CONTACT, "reporter_phone")?,
        reporter_email: String::new(),
        client_id: None,
    })
}

async fn create(
    State(state): State<AppState>,
    actor: GovActor,
    ApiJson(f): ApiJson<Filing>,
) -> CaseResult<Response> {
    let new = check_filing(&state, &actor, f, None).await?;
    let case = intake::file(&state, new).await?;
    let internal = sees_internal(&actor, &case, &[]);
    Ok((StatusCode::CREATED, Json(case_json(&case, true, internal))).into_response())
}

pub struct Listed {
    pub cases: Vec<Case>,
    pub total: i64,
}

/// Cases the actor may see, newest first, filtered by state or card.
pub async fn query_cases(
    state: &AppState,
    actor: &GovActor,
    q: &ListQuery,
    inbox: bool,
) -> CaseResult<Listed> {
    let mut sql = Sql::default();
    if q.mine.as_deref().is_some_and(|m| m == "1" || m == "true") {
        let me = actor.id().ok_or(CaseError::SignIn)?;
        let p = sql.bind(Bind::Int(me));
        sql.push(format!("c.reporter_id = {p}"));
    } else {
        authorize(actor, Action::View, &Target::Anywhere)?;
        authz::list_filter(actor, &mut sql);
    }
    if inbox {
        authz::inbox_filter(actor, &mut sql);
    }
    let states: Vec<CaseState> = q
        .state
        .as_deref()
        .unwrap_or("")
        .split(',')
        .filter_map(CaseState::parse)
        .collect();
    if !states.is_empty() {
        let ps: Vec<String> = states
            .iter()
            .map(|s| sql.bind(Bind::Text(s.as_str().into())))
            .collect();
        sql.push(format!("c.state IN ({})", ps.join(", ")));
    }
    match q.supervision.as_deref() {
        Some("any") => sql.push("c.supervision <> 'none'".into()),
        Some(s @ ("yellow" | "red")) => {
            let p = sql.bind(Bind::Text(s.into()));
            sql.push(format!("c.supervision = {p}"));
        }
        _ => {}
    }
    if q.flag(&q.listed) {
        sql.push(crate::supervise::LISTED_SQL.into());
    }
    if q.flag(&q.overdue) {
        let p = sql.bind(Bind::Int(state.now()));
        sql.push(format!(
            "{} AND c.due_at < {p}",
            CaseState::sql_in("c.state", &CaseState::WITH_UNIT)
        ));
    }
    if let Some(days) = q.dispatched_days()? {
        let (from, to) = crate::calendar::days_window(state.now(), days);
        let (a, b) = (sql.bind(Bind::Int(from)), sql.bind(Bind::Int(to)));
        sql.push(format!(
            "c.dispatched_at >= {a} AND c.dispatched_at < {b} AND c.lead_unit_id IS NOT NULL"
        ));
    }
    if q.flag(&q.rated) {
        sql.push("c.satisfaction <> ''".into());
    }
    if let Some(raw) = q.unit.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let unit = UnitId::parse(raw).ok_or_else(|| {
            CaseError::invalid(Code::BadUnit, "unit 须为单位编号 (unit must be a unit id)")
        })?;
        let unit = find_unit(&state.db, unit)
            .await?
            .filter(|u| actor.is_platform_admin() || actor.role_on(&u.path).is_some())
            .ok_or_else(|| {
                CaseError::invalid(
                    Code::BadUnit,
                    "该单位不在您的范围内 (that unit is not in your scope)",
                )
            })?;
        // The overview's figures for an area are the narrowed viewer's (ADR 032).
        authz::stats_filter(&actor.narrowed(&unit), &mut sql);
    }
    let page = q.page();
    let count = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM cases_cases c WHERE {}",
        sql.where_clause()
    );
    let total: i64 = {
        use sqlx::Row;
        let r = sql.query(&count).fetch_one(&state.db.pool).await?;
        r.try_get("n")?
    };
    let cols = model::columns("c");
    let order = if inbox || q.supervision.is_some() || q.flag(&q.listed) || q.flag(&q.overdue) {
        "COALESCE(c.due_at, c.reported_at), c.id"
    } else {
        "c.id DESC"
    };
    let list = format!(
        "SELECT {cols} FROM cases_cases c WHERE {} ORDER BY {order} LIMIT {} OFFSET {}",
        sql.where_clause(),
        page.per_page,
        page.offset()
    );
    let rows = sql.query(&list).fetch_all(&state.db.pool).await?;
    let cases = rows
        .iter()
        .map(model::Case::from_row)
        .collect::<sqlx::Result<Vec<_>>>()?;
    Ok(Listed { cases, total })
}

async fn list(
    State(state): State<AppState>,
    actor: GovActor,
    Query(q): Query<ListQuery>,
) -> CaseResult<Json<Value>> {
    let listed = query_cases(&state, &actor, &q, false).await?;
    let mut items = Vec::new();
    for c in &listed.cases {
        let co = co_paths(&state, c.id).await?;
        let contact = authorize(&actor, Action::SeeContact, &Target::Case(c, &co)).is_ok();
        items.push(case_json(c, contact, sees_internal(&actor, c, &co)));
    }
    Ok(Json(json!({ "total": listed.total, "cases": items })))
}

pub async fn co_paths(state: &AppState, id: i64) -> CaseResult<Vec<String>> {
    Ok(model::co_units(&state.db, id)
        .await?
        .into_iter()
        .map(|(_, p)| p)
        .collect())
}

/// A case the actor may view, with whether they may see its contact details.
pub async fn visible_case(state: &AppState, actor: &GovActor, id: i64) -> CaseResult<(Case, bool)> {
    let case = model::find(&state.db, id)
        .await?
        .ok_or(CaseError::NotFound)?;
    let co = co_paths(state, id).await?;
    authorize(actor, Action::View, &Target::Case(&case, &co))?;
    let contact = authorize(actor, Action::SeeContact, &Target::Case(&case, &co)).is_ok();
    Ok((case, contact))
}

async fn detail(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
) -> CaseResult<Json<Value>> {
    let (case, contact) = visible_case(&state, &actor, id).await?;
    let co_paths = co_paths(&state, case.id).await?;
    let internal = sees_internal(&actor, &case, &co_paths);
    let mut v = case_json(&case, contact, internal);
    let events: Vec<Value> = shown_timeline(&state, &case, contact, internal, actor.lang)
        .await?
        .into_iter()
        .map(|e| json!({ "at": e.at, "actor": e.actor_label, "kind": e.kind, "note": e.note }))
        .collect();
    v["timeline"] = Value::Array(events);
    v["extensions"] = if internal {
        json!(model::extensions(&state.db, case.id).await?)
    } else {
        json!([])
    };
    if internal {
        v["listing"] = json!(crate::supervise::listing(&state.db, case.id).await?);
        v["urged_on"] = json!(crate::supervise::urged_days(&state.db, case.id).await?);
    }
    let co: Vec<i64> = model::co_units(&state.db, case.id)
        .await?
        .into_iter()
        .map(|(u, _)| u)
        .collect();
    v["co_unit_ids"] = json!(co);
    Ok(Json(v))
}

/// The timeline as this viewer may read it: staff with contact rights see internal steps,
/// other staff the public ones, the reporter public milestones only (no staff names).
pub async fn shown_timeline(
    state: &AppState,
    case: &Case,
    contact: bool,
    internal: bool,
    lang: platform::web::Lang,
) -> CaseResult<Vec<model::Event>> {
    let all = model::timeline(&state.db, case.id).await?;
    Ok(if internal {
        all.into_iter().filter(|e| e.public || contact).collect()
    } else {
        all.iter()
            .filter_map(|e| model::resident_event(e, lang))
            .collect()
    })
}

async fn act(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    ApiJson(input): ApiJson<workflow::OpInput>,
) -> CaseResult<Json<Value>> {
    let op = input.parse()?;
    let case = workflow::apply(&state, &actor, id, op).await?;
    let co = co_paths(&state, id).await?;
    let contact = authorize(&actor, Action::SeeContact, &Target::Case(&case, &co)).is_ok();
    Ok(Json(case_json(
        &case,
        contact,
        sees_internal(&actor, &case, &co),
    )))
}

async fn categories(State(state): State<AppState>) -> CaseResult<Json<Value>> {
    let all = model::categories(&state.db).await?;
    Ok(Json(json!({ "categories": all })))
}

#[derive(Debug, Deserialize)]
pub struct DashQuery {
    pub days: Option<i64>,
}

async fn dashboard(
    State(state): State<AppState>,
    actor: GovActor,
    Query(q): Query<DashQuery>,
) -> CaseResult<Json<stats::Dashboard>> {
    authorize(&actor, Action::Monitor, &Target::Anywhere)?;
    let days = q.days.unwrap_or(30).clamp(1, 366);
    Ok(Json(stats::dashboard(&state, &actor, days).await?))
}

#[derive(Debug, Deserialize)]
pub struct RateQuery {
    pub from: Option<String>,
    pub to: Option<String>,
}

/// `[from, to]` as whole days (both inclusive); defaults to the last 30 days.
pub fn period(state: &AppState, from: Option<&str>, to: Option<&str>) -> CaseResult<(i64, i64)> {
    let today = local_date(state.now());
    let bad = || CaseError::invalid(Code::BadDate, "dates are YYYY-MM-DD");
    let to = match to.filter(|s| !s.is_empty()) {
        Some(s) => parse_day(s).ok_or_else(bad)?,
        None => today,
    };
    let from = match from.filter(|s| !s.is_empty()) {
        Some(s) => parse_day(s).ok_or_else(bad)?,
        None => to - chrono::Duration::days(29),
    };
    if from > to {
        return Err(CaseError::invalid(Code::BadPeriod, "from is after to"));
    }
    Ok((day_start(from), day_start(to) + 24 * 3600 * 1000))
}

async fn rates(
    State(state): State<AppState>,
    actor: GovActor,
    Query(q): Query<RateQuery>,
) -> CaseResult<Json<Value>> {
    authorize(&actor, Action::Monitor, &Target::Anywhere)?;
    let (from, to) = period(&state, q.from.as_deref(), q.to.as_deref())?;
    let (units, total) = stats::rates(&state, &actor, from, to).await?;
    Ok(Json(
        json!({ "from": from, "to": to, "units": units, "total": total }),
    ))
}

async fn calendar(State(state): State<AppState>) -> CaseResult<Json<Value>> {
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT day, kind, note FROM cases_calendar ORDER BY day")
            .fetch_all(&state.db.pool)
            .await?;
    let days: Vec<Value> = rows
        .into_iter()
        .map(|(d, k, n)| json!({ "day": d, "kind": k, "note": n }))
        .collect();
    Ok(Json(json!({ "days": days })))
}

#[derive(Debug, Deserialize)]
pub struct DayInput {
    pub kind: String,
    #[serde(default)]
    pub note: String,
}

/// Marks a day a holiday or a worked weekend day.
pub async fn save_day(
    state: &AppState,
    actor: &GovActor,
    day: &str,
    kind: &str,
    note: &str,
) -> CaseResult<()> {
    authorize(actor, Action::Configure, &Target::Anywhere)?;
    let day =
        parse_day(day).ok_or_else(|| CaseError::invalid(Code::BadDate, "dates are YYYY-MM-DD"))?;
    let kind = DayKind::parse(kind)
        .ok_or_else(|| CaseError::invalid(Code::BadKind, "kind: holiday or workday"))?;
    let note = intake::short(note, 100, "note")?;
    let day = day.format("%Y-%m-%d").to_string();
    let now = state.now();
    let mut tx = state.db.begin().await?;
    sqlx::query("DELETE FROM cases_calendar WHERE day = $1")
        .bind(&day)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO cases_calendar (day, kind, note) VALUES ($1, $2, $3)")
        .bind(&day)
        .bind(kind.as_str())
        .bind(&note)
        .execute(&mut *tx)
        .await?;
    platform::audit::record(
        &mut tx,
        now,
        actor.id(),
        "case.calendar_set",
        &format!("day:{day}"),
        json!({ "kind": kind.as_str(), "note": note }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn remove_day(state: &AppState, actor: &GovActor, day: &str) -> CaseResult<()> {
    authorize(actor, Action::Configure, &Target::Anywhere)?;
    let day =
        parse_day(day).ok_or_else(|| CaseError::invalid(Code::BadDate, "dates are YYYY-MM-DD"))?;
    let day = day.format("%Y-%m-%d").to_string();
    let mut tx = state.db.begin().await?;
    sqlx::query("DELETE FROM cases_calendar WHERE day = $1")
        .bind(&day)
        .execute(&mut *tx)
        .await?;
    platform::audit::record(
        &mut tx,
        state.now(),
        actor.id(),
        "case.calendar_cleared",
        &format!("day:{day}"),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn set_day(
    State(state): State<AppState>,
    actor: GovActor,
    Path(day): Path<String>,
    ApiJson(input): ApiJson<DayInput>,
) -> CaseResult<StatusCode> {
    save_day(&state, &actor, &day, &input.kind, &input.note).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn clear_day(
    State(state): State<AppState>,
    actor: GovActor,
    Path(day): Path<String>,
) -> CaseResult<StatusCode> {
    remove_day(&state, &actor, &day).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
pub struct KeyInput {
    pub name: String,
    pub district_unit_id: Option<i64>,
}

async fn issue_key(
    State(state): State<AppState>,
    actor: GovActor,
    ApiJson(input): ApiJson<KeyInput>,
) -> CaseResult<Response> {
    authorize(&actor, Action::Configure, &Target::Anywhere)?;
    let district =
        crate::open311::keys::district_for(&state, &actor, input.district_unit_id).await?;
    let key = crate::open311::keys::issue(&state, actor.id(), &input.name, district).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "name": input.name.trim(), "api_key": key })),
    )
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct CategoryInput {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub parent: String,
    pub days_normal: Option<i64>,
    pub days_urgent: Option<i64>,
    pub days_critical: Option<i64>,
    #[serde(default)]
    pub route_kind: String,
    pub route_unit_id: Option<i64>,
    /// None on an edit: keep the category's questions.
    pub attributes: Option<Vec<model::Attribute>>,
    /// Whether accepted cases of this category may be published (default: no).
    #[serde(default)]
    pub public: bool,
    /// Whether new cases may be filed under it (default: yes).
    pub active: Option<bool>,
}

/// A category input checked against the rules and the database, ready to write.
struct CheckedCategory {
    code: String,
    name: String,
    name_en: String,
    description: String,
    parent_id: Option<i64>,
    days: [i64; 3],
    route: model::RouteKind,
    route_unit_id: Option<i64>,
    attributes: Option<String>,
    public: bool,
    active: bool,
}

const ATTRIBUTE_TYPES: [&str; 6] = [
    "string",
    "number",
    "datetime",
    "text",
    "singlevaluelist",
    "multivaluelist",
];

/// Checks a category; `editing` is the category being changed (its code stays fixed and it
/// may not become its own ancestor).
async fn check_category(
    state: &AppState,
    c: CategoryInput,
    editing: Option<&model::Category>,
) -> CaseResult<CheckedCategory> {
    let code = c.code.trim().to_string();
    if code.is_empty()
        || code.len() > 40
        || !code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(CaseError::invalid(
            Code::BadCode,
            "代码须为 1–40 个字母、数字、- 或 _ (code: 1–40 letters, digits, - or _)",
        ));
    }
    if editing.is_some_and(|e| e.code != code) {
        return Err(CaseError::invalid(
            Code::CodeFixed,
            "类别代码是 Open311 的 service_code，创建后不能修改 (the code is the Open311 service_code and cannot change)",
        ));
    }
    let name = intake::short(&c.name, 60, "name")?;
    if name.is_empty() {
        return Err(CaseError::invalid(
            Code::MissingName,
            "请填写类别名称 (name is required)",
        ));
    }
    let route = match c.route_kind.trim() {
        "" => model::RouteKind::Community,
        r => model::RouteKind::parse(r).ok_or_else(|| {
            CaseError::invalid(
                Code::BadRoute,
                "派往须为网格、社区、街道或指定部门 (route_kind: grid, community, street or fixed)",
            )
        })?,
    };
    if route == model::RouteKind::Fixed {
        let ok = match c.route_unit_id {
            Some(id) => find_unit(&state.db, UnitId(id)).await?.is_some(),
            None => false,
        };
        if !ok {
            return Err(CaseError::invalid(
                Code::BadRoute,
                "派往指定部门时请选择一个单位 (a fixed route needs route_unit_id, an existing unit)",
            ));
        }
    }
    let days = |d: Option<i64>, default: i64| -> CaseResult<i64> {
        let v = d.unwrap_or(default);
        if (0..=365).contains(&v) {
            Ok(v)
        } else {
            Err(CaseError::invalid(
                Code::BadDays,
                "时限须为 0–365 个工作日 (time limits are 0–365 working days)",
            ))
        }
    };
    let current = |f: fn(&model::Category) -> i64, default: i64| editing.map(f).unwrap_or(default);
    let days = [
        days(c.days_normal, current(|k| k.days_normal, 5))?,
        days(c.days_urgent, current(|k| k.days_urgent, 2))?,
        days(c.days_critical, current(|k| k.days_critical, 1))?,
    ];
    for a in c.attributes.iter().flatten() {
        if a.code.trim().is_empty() || !ATTRIBUTE_TYPES.contains(&a.datatype.as_str()) {
            return Err(CaseError::invalid(
                Code::BadAttribute,
                "each attribute needs a code and a GeoReport datatype",
            ));
        }
    }
    let parent_id = if c.parent.trim().is_empty() {
        None
    } else {
        let parent = model::category_by_code(&state.db, c.parent.trim())
            .await?
            .ok_or_else(|| {
                CaseError::invalid(
                    Code::BadParent,
                    "没有这个上级类别代码 (no category has that parent code)",
                )
            })?;
        if let Some(e) = editing {
            let all = model::categories(&state.db).await?;
            let mut up = Some(parent.id);
            while let Some(id) = up {
                if id == e.id {
                    return Err(CaseError::invalid(
                        Code::BadParent,
                        "上级类别不能是它自己或它的下级 (a category cannot sit below itself)",
                    ));
                }
                up = all.iter().find(|k| k.id == id).and_then(|k| k.parent_id);
            }
        }
        Some(parent.id)
    };
    Ok(CheckedCategory {
        code,
        name,
        name_en: intake::short(&c.name_en, 60, "name_en")?,
        description: intake::short(&c.description, 300, "description")?,
        parent_id,
        days,
        route,
        route_unit_id: c.route_unit_id.filter(|_| route == model::RouteKind::Fixed),
        attributes: c
            .attributes
            .map(|a| serde_json::to_string(&a))
            .transpose()
            .map_err(anyhow::Error::from)?,
        public: c.public,
        active: c.active.unwrap_or(true),
    })
}

/// Adds a category (an Open311 service). Codes are URL-safe and unique.
pub async fn add_category(
    state: &AppState,
    actor: &GovActor,
    c: CategoryInput,
) -> CaseResult<model::Category> {
    authorize(actor, Action::Configure, &Target::Anywhere)?;
    let k = check_category(state, c, None).await?;
    if model::category_by_code(&state.db, &k.code).await?.is_some() {
        return Err(CaseError::refused(
            Code::CodeTaken,
            format!(
                "已有代码为 {} 的类别 (a category with code {} exists)",
                k.code, k.code
            ),
        ));
    }
    let mut tx = state.db.begin().await?;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO cases_categories (parent_id, code, name, name_en, description, keywords, \
         days_normal, days_urgent, days_critical, route_kind, route_unit_id, attributes, public, active) \
         VALUES ($1, $2, $3, $4, $5, $3, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(k.parent_id)
    .bind(&k.code)
    .bind(&k.name)
    .bind(&k.name_en)
    .bind(&k.description)
    .bind(k.days[0])
    .bind(k.days[1])
    .bind(k.days[2])
    .bind(k.route.as_str())
    .bind(k.route_unit_id)
    .bind(k.attributes.as_deref().unwrap_or("[]"))
    .bind(k.public as i64)
    .bind(k.active as i64)
    .fetch_one(&mut *tx)
    .await?;
    platform::audit::record(
        &mut tx,
        state.now(),
        actor.id(),
        "case.category_added",
        &format!("case_category:{id}"),
        json!({ "code": k.code, "public": k.public }),
    )
    .await?;
    crate::hot::changed(&mut tx).await?;
    tx.commit().await?;
    crate::hot::forget(state);
    model::category(&state.db, id)
        .await?
        .ok_or(CaseError::NotFound)
}

/// Changes a category: names, time limits, routing, whether it is public or active, and
/// (when given) its questions. The audit entry records every field's old and new value.
pub async fn edit_category(
    state: &AppState,
    actor: &GovActor,
    id: i64,
    c: CategoryInput,
) -> CaseResult<model::Category> {
    authorize(actor, Action::Configure, &Target::Anywhere)?;
    let old = model::category(&state.db, id)
        .await?
        .ok_or(CaseError::NotFound)?;
    let k = check_category(state, c, Some(&old)).await?;
    let attributes = match &k.attributes {
        Some(a) => a.clone(),
        None => serde_json::to_string(&old.attributes).map_err(anyhow::Error::from)?,
    };
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "UPDATE cases_categories SET parent_id = $1, name = $2, name_en = $3, description = $4, \
         days_normal = $5, days_urgent = $6, days_critical = $7, route_kind = $8, route_unit_id = $9, \
         attributes = $10, public = $11, active = $12 WHERE id = $13",
    )
    .bind(k.parent_id)
    .bind(&k.name)
    .bind(&k.name_en)
    .bind(&k.description)
    .bind(k.days[0])
    .bind(k.days[1])
    .bind(k.days[2])
    .bind(k.route.as_str())
    .bind(k.route_unit_id)
    .bind(&attributes)
    .bind(k.public as i64)
    .bind(k.active as i64)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let before = json!({
        "parent_id": old.parent_id, "name": old.name, "name_en": old.name_en,
        "description": old.description, "days": [old.days_normal, old.days_urgent, old.days_critical],
        "route_kind": old.route_kind.as_str(), "route_unit_id": old.route_unit_id,
        "attributes": old.attributes, "public": old.public, "active": old.active,
    });
    let after = json!({
        "parent_id": k.parent_id, "name": k.name, "name_en": k.name_en,
        "description": k.description, "days": k.days,
        "route_kind": k.route.as_str(), "route_unit_id": k.route_unit_id,
        "attributes": serde_json::from_str::<Value>(&attributes).unwrap_or(Value::Null),
        "public": k.public, "active": k.active,
    });
    let changed: serde_json::Map<String, Value> = after
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(f, v)| before.get(f.as_str()) != Some(*v))
        .map(|(f, v)| (f.clone(), json!({ "from": before[f.as_str()], "to": v })))
        .collect();
    platform::audit::record(
        &mut tx,
        state.now(),
        actor.id(),
        "case.category_changed",
        &format!("case_category:{id}"),
        json!({ "code": old.code, "changed": changed }),
    )
    .await?;
    crate::hot::changed(&mut tx).await?;
    tx.commit().await?;
    crate::hot::forget(state);
    model::category(&state.db, id)
        .await?
        .ok_or(CaseError::NotFound)
}

async fn create_category(
    State(state): State<AppState>,
    actor: GovActor,
    ApiJson(c): ApiJson<CategoryInput>,
) -> CaseResult<Response> {
    let cat = add_category(&state, &actor, c).await?;
    Ok((StatusCode::CREATED, Json(json!(cat))).into_response())
}

async fn update_category(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    ApiJson(c): ApiJson<CategoryInput>,
) -> CaseResult<Json<Value>> {
    let cat = edit_category(&state, &actor, id, c).await?;
    Ok(Json(json!(cat)))
}
