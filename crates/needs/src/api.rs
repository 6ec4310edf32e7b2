//! The needs JSON API: needs, their matches and referrals, referral steps, the gap report
//! and the stall time. Lists keep to what the actor may see ([`visible`]).

use crate::authz::{Action, Target, authorize};
use crate::error::{NeedError, NeedResult};
use crate::flow::{self, NewNeed, Step};
use crate::model::{self, NEED_COLUMNS, NEED_FROM, Need, Referral};
use crate::{gap, matching, sweep};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use gov_core::{Bind, GovActor, Sql};
use platform::AppState;
use platform::web::{ApiJson, Code, Id, Paging};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/needs", get(list).post(create))
        .route("/api/v1/needs/gaps", get(gaps))
        .route("/api/v1/needs/settings", put(settings))
        .route("/api/v1/needs/{id}", get(detail))
        .route("/api/v1/needs/{id}/matches", get(matches))
        .route("/api/v1/needs/{id}/referrals", post(refer))
        .route("/api/v1/referrals/{id}", get(referral))
        .route("/api/v1/referrals/{id}/actions", post(act))
}

/// The needs an actor may list: within their scope, raised by them, or referred to an
/// organisation they work for. One clause for `sql`.
pub fn visible(actor: &GovActor, sql: &mut Sql) {
    if actor.is_platform_admin() {
        return;
    }
    let mut parts = Vec::new();
    for root in actor.scope().0.unwrap_or_default() {
        let p = sql.bind(Bind::Text(root.as_str().into()));
        parts.push(format!("n.unit_path LIKE {p} || '%'"));
    }
    let me = sql.bind(Bind::Int(actor.id().unwrap_or(0)));
    parts.push(format!("n.raised_by = {me}"));
    let orgs: Vec<String> = actor
        .org_links
        .iter()
        .map(|l| l.org_id.to_string())
        .collect();
    if !orgs.is_empty() {
        parts.push(format!(
            "n.id IN (SELECT need_id FROM needs_referrals WHERE org_id IN ({}))",
            orgs.join(", ")
        ));
    }
    sql.push(format!("({})", parts.join(" OR ")));
}

/// A need as the API shows it; who it is for only to those who may see it.
pub fn need_json(need: &Need, contact: bool) -> Value {
    let mut v = json!(need);
    if contact {
        v["subject"] = json!(need.subject);
    }
    v
}

pub fn referral_json(r: &Referral) -> Value {
    json!(r)
}

#[derive(Deserialize)]
pub struct ListQuery {
    pub state: Option<String>,
    pub category: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    actor: GovActor,
    Query(q): Query<ListQuery>,
) -> NeedResult<Json<Value>> {
    authorize(&actor, Action::Monitor, &Target::Anywhere)?;
    let page = Paging::lenient(q.page.as_deref(), q.per_page.as_deref()).bounded(50, 200);
    let mut sql = Sql::default();
    visible(&actor, &mut sql);
    if let Some(s) = q.state.as_deref().filter(|s| !s.is_empty()) {
        let p = sql.bind(Bind::Text(s.into()));
        sql.push(format!("n.state = {p}"));
    }
    if let Some(c) = q.category.as_deref().filter(|s| !s.is_empty()) {
        let p = sql.bind(Bind::Text(c.into()));
        sql.push(format!(
            "(n.category = {p} OR (n.category = '' AND n.inferred_category = {p}))"
        ));
    }
    let total = sql.count(&state.db, NEED_FROM).await?;
    let rows = sql
        .page(
            &state.db,
            NEED_COLUMNS,
            NEED_FROM,
            "n.id DESC",
            page.per_page,
            page.offset(),
        )
        .await?;
    let items: Vec<Value> = model::needs_from_rows(&state.db, &rows)
        .await?
        .iter()
        .map(|n| need_json(n, false))
        .collect();
    Ok(Json(json!({ "total": total, "items": items })))
}

async fn create(
    State(state): State<AppState>,
    actor: GovActor,
    ApiJson(body): ApiJson<NewNeed>,
) -> NeedResult<(StatusCode, Json<Value>)> {
    match flow::raise(&state, &actor, &body).await? {
        Ok((id, st)) => Ok((StatusCode::CREATED, Json(json!({ "id": id, "state": st })))),
        Err(e) => Err(NeedError::coded(
            if e.field == "title" || e.field == "unit_id" {
                Code::MissingField
            } else {
                Code::InvalidField
            },
            format!("{}: {}", e.field, e.message),
        )),
    }
}

async fn detail(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
) -> NeedResult<Json<Value>> {
    let (need, refs) = flow::visible_need(&state, &actor, id).await?;
    let contact = authorize(&actor, Action::SeeContact, &Target::Need(&need, &refs)).is_ok();
    let mut v = need_json(&need, contact);
    v["referrals"] = json!(refs);
    Ok(Json(v))
}

async fn matches(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
) -> NeedResult<Json<Value>> {
    let (need, _) = flow::visible_need(&state, &actor, id).await?;
    let items = matching::matches(&state.db, &need, 20).await?;
    Ok(Json(json!({ "items": items })))
}

#[derive(Deserialize)]
struct ReferBody {
    service_id: Option<i64>,
    consent: Option<bool>,
    note: Option<String>,
}

async fn refer(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    ApiJson(b): ApiJson<ReferBody>,
) -> NeedResult<(StatusCode, Json<Value>)> {
    let Some(service) = b.service_id else {
        return Err(NeedError::coded(
            Code::MissingField,
            platform::bi!("请指定服务（service_id）。", "service_id is required"),
        ));
    };
    let note = b.note.unwrap_or_default();
    let r = flow::refer(
        &state,
        &actor,
        id,
        service,
        b.consent == Some(true),
        note.trim(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(referral_json(&r))))
}

async fn referral(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
) -> NeedResult<Json<Value>> {
    let (r, need) = flow::visible_referral(&state, &actor, id).await?;
    let refs = model::referrals_of(&state.db, need.id).await?;
    let contact = authorize(&actor, Action::SeeContact, &Target::Need(&need, &refs)).is_ok();
    let mut v = referral_json(&r);
    v["need"] = need_json(&need, contact);
    v["events"] = json!(model::events_of(&state.db, id).await?);
    Ok(Json(v))
}

async fn act(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    ApiJson(step): ApiJson<Step>,
) -> NeedResult<Json<Value>> {
    let r = flow::act(&state, &actor, id, &step).await?;
    Ok(Json(referral_json(&r)))
}

async fn gaps(State(state): State<AppState>, actor: GovActor) -> NeedResult<Json<Value>> {
    authorize(&actor, Action::Monitor, &Target::Anywhere)?;
    Ok(Json(json!({ "items": gap::report(&state, &actor).await? })))
}

#[derive(Deserialize)]
struct Settings {
    stall_hours: Option<i64>,
}

async fn settings(
    State(state): State<AppState>,
    actor: GovActor,
    ApiJson(b): ApiJson<Settings>,
) -> NeedResult<Json<Value>> {
    authorize(&actor, Action::Configure, &Target::Anywhere)?;
    let Some(hours) = b.stall_hours.filter(|h| (1..=24 * 90).contains(h)) else {
        return Err(NeedError::field(platform::bi!(
            "停滞提醒时间须为 1 到 2160 小时。",
            "stall_hours must be 1 to 2160"
        )));
    };
    let now = state.now();
    let mut change = platform::audit::Change::begin(&state.db, now, actor.id()).await?;
    sqlx::query(
        "UPDATE needs_settings SET value = $1, set_by = $2, set_at = $3 WHERE key = 'stall_hours'",
    )
    .bind(hours)
    .bind(actor.id())
    .bind(now)
    .execute(&mut *change.tx)
    .await?;
    change
        .done(
            "needs.settings.stall_hours",
            "needs_settings:stall_hours".to_string(),
            json!({ "stall_hours": hours }),
        )
        .await?;
    Ok(Json(
        json!({ "stall_hours": sweep::stall_hours(&state).await? }),
    ))
}
