//! The JSON API under /api/v1/assessments: the ranking and a unit's score sheet (the
//! contract of issue 16), the indicator library, and the steps of the year — plan, values,
//! submit / review / approve, lock, notice, appeals, final.

use crate::model::{self, Item, Plan, PlanState, Sheet};
use crate::service;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use gov_core::GovActor;
use platform::AppState;
use platform::web::{ApiJson, AppError, AppResult, Code, Id, parse_id};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/assessments/indicators", get(indicators))
        .route("/api/v1/assessments/plans", post(create_plan))
        .route("/api/v1/assessments/{year}/ranking", get(ranking))
        .route("/api/v1/assessments/{year}/units/{unit_id}", get(sheet))
        .route(
            "/api/v1/assessments/{year}/units/{unit_id}/values",
            post(enter),
        )
        .route(
            "/api/v1/assessments/{year}/units/{unit_id}/appeals",
            post(appeal),
        )
        .route(
            "/api/v1/assessments/{year}/units/{unit_id}/deduction",
            post(deduct),
        )
        .route(
            "/api/v1/assessments/{year}/units/{unit_id}/{step}",
            post(step),
        )
        .route("/api/v1/assessments/{year}/{step}", post(plan_step))
        .route("/api/v1/assessments/appeals/{id}/decision", post(decide))
}

#[derive(Deserialize, Default)]
pub struct KindQuery {
    /// 'community' (default) or 'street'.
    pub kind: Option<String>,
}

/// The plan of `year` for the kind of unit asked: the one of the viewer's district, else a
/// public one. Plans the viewer may not see do not exist for them.
pub async fn plan_for(
    state: &AppState,
    actor: &GovActor,
    year: &str,
    kind: Option<&str>,
) -> AppResult<Plan> {
    let year = parse_id(year)?;
    let kind = kind.filter(|k| !k.is_empty()).unwrap_or("community");
    let plans = model::plans_of_year(&state.db, year, kind).await?;
    let mine = |p: &Plan| {
        actor.is_platform_admin()
            || actor
                .grants
                .iter()
                .any(|g| p.district_path.contains(&g.path))
    };
    plans
        .iter()
        .find(|p| mine(p))
        .or_else(|| plans.iter().find(|p| p.state.is_public()))
        .cloned()
        .ok_or(AppError::NotFound)
}

/// The sheet of `unit_id` in the plan, if the actor may read it.
async fn readable_sheet(
    state: &AppState,
    actor: &GovActor,
    plan: &Plan,
    unit_id: &str,
) -> AppResult<Sheet> {
    let sheet = model::find_sheet(&state.db, plan.id, parse_id(unit_id)?)
        .await?
        .ok_or(AppError::NotFound)?;
    service::may_read(actor, plan, &sheet)?;
    Ok(sheet)
}

/// The sheet a unit-level request names: the year and the unit of its path, and the kind
/// of unit (the API's `?kind=`, a field of the forms).
pub(crate) struct SheetAt {
    pub year: String,
    pub unit_id: String,
    pub kind: Option<String>,
}

impl SheetAt {
    /// The plan and the sheet, if the actor may read it.
    pub(crate) async fn sheet(
        &self,
        state: &AppState,
        actor: &GovActor,
    ) -> AppResult<(Plan, Sheet)> {
        let plan = plan_for(state, actor, &self.year, self.kind.as_deref()).await?;
        let sheet = readable_sheet(state, actor, &plan, &self.unit_id).await?;
        Ok((plan, sheet))
    }

    /// The plan and sheet with the plan's item of indicator `code` (400 when it has none).
    pub(crate) async fn item(
        &self,
        state: &AppState,
        actor: &GovActor,
        code: &str,
    ) -> AppResult<(Plan, Sheet, Item)> {
        let (plan, sheet) = self.sheet(state, actor).await?;
        let item = model::items(&state.db, plan.id)
            .await?
            .into_iter()
            .find(|i| i.indicator.code == code)
            .ok_or_else(|| {
                AppError::coded(
                    Code::InvalidField,
                    platform::web::i18n::bilingual(
                        "考核方案中没有这个指标。",
                        "The plan has no indicator with this code.",
                    ),
                )
            })?;
        Ok((plan, sheet, item))
    }
}

/// `{year}/units/{unit_id}` with `?kind=`, as the API's unit-level routes take it (axum's
/// own answers when the path or the query does not parse).
impl<S: Send + Sync> FromRequestParts<S> for SheetAt {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let Path((year, unit_id)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Query(q) = Query::<KindQuery>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(SheetAt {
            year,
            unit_id,
            kind: q.kind,
        })
    }
}

async fn indicators(State(state): State<AppState>, actor: GovActor) -> AppResult<Json<Value>> {
    if actor.user.is_none() {
        return Err(AppError::Unauthorized);
    }
    let items: Vec<Value> = model::indicators(&state.db)
        .await?
        .iter()
        .map(|i| {
            json!({"code": i.code, "name": actor.lang.pick(&i.name_zh, &i.name_en),
                   "direction": i.direction, "kind": if i.formula { "formula" } else { "entered" },
                   "measure": i.measure})
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}

async fn ranking(
    State(state): State<AppState>,
    actor: GovActor,
    Path(year): Path<String>,
    Query(q): Query<KindQuery>,
) -> AppResult<Json<Value>> {
    let plan = plan_for(&state, &actor, &year, q.kind.as_deref()).await?;
    let items = service::ranking(&state, &actor, &plan).await?;
    Ok(Json(json!({
        "year": plan.year,
        "unit_kind": plan.unit_kind,
        "state": plan.state.as_str(),
        "items": items,
    })))
}

async fn sheet(
    State(state): State<AppState>,
    actor: GovActor,
    at: SheetAt,
) -> AppResult<Json<Value>> {
    let (plan, sheet) = at.sheet(&state, &actor).await?;
    let items = model::items(&state.db, plan.id).await?;
    let scored = service::score_sheet(&state, &actor, &plan, &items, &sheet).await?;
    Ok(Json(json!({
        "year": plan.year,
        "unit_id": scored.unit_id,
        "unit_name": scored.unit_name,
        "state": scored.state,
        "plan_state": plan.state.as_str(),
        "score": scored.score,
        "deduction": scored.deduction,
        "indicators": scored.indicators,
    })))
}

#[derive(Deserialize)]
struct Entered {
    code: String,
    value: f64,
    #[serde(default)]
    evidence: String,
}

async fn enter(
    State(state): State<AppState>,
    actor: GovActor,
    at: SheetAt,
    ApiJson(body): ApiJson<Entered>,
) -> AppResult<Json<Value>> {
    let (plan, sheet, item) = at.item(&state, &actor, &body.code).await?;
    service::enter(
        &state,
        &actor,
        &plan,
        &sheet,
        &item,
        body.value,
        &body.evidence,
    )
    .await?;
    Ok(Json(json!({ "code": body.code, "value": body.value })))
}

async fn step(
    State(state): State<AppState>,
    actor: GovActor,
    Path((year, unit_id, step)): Path<(String, String, String)>,
    Query(q): Query<KindQuery>,
) -> AppResult<Json<Value>> {
    let at = SheetAt {
        year,
        unit_id,
        kind: q.kind,
    };
    let (plan, sheet) = at.sheet(&state, &actor).await?;
    let to = service::step(&state, &actor, &plan, &sheet, &step).await?;
    Ok(Json(json!({ "unit_id": sheet.unit_id, "state": to })))
}

async fn plan_step(
    State(state): State<AppState>,
    actor: GovActor,
    Path((year, step)): Path<(String, String)>,
    Query(q): Query<KindQuery>,
) -> AppResult<Json<Value>> {
    let plan = plan_for(&state, &actor, &year, q.kind.as_deref()).await?;
    take_plan_step(&state, &actor, &plan, &step).await?;
    let now = model::find_plan(&state.db, plan.id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(json!({
        "year": now.year,
        "state": now.state.as_str(),
        "appeal_until": now.appeal_until_ms,
    })))
}

/// A step of the whole plan by its word (in the path or the form): lock, notice, final;
/// any other word names nothing (404).
pub(crate) async fn take_plan_step(
    state: &AppState,
    actor: &GovActor,
    plan: &Plan,
    step: &str,
) -> AppResult<()> {
    match step {
        "lock" => service::lock(state, actor, plan).await?,
        "notice" => service::advance(state, actor, plan, PlanState::Notice).await?,
        "final" => service::advance(state, actor, plan, PlanState::Final).await?,
        _ => return Err(AppError::NotFound),
    }
    Ok(())
}

#[derive(Deserialize)]
struct Deduction {
    points: f64,
    reason: String,
}

async fn deduct(
    State(state): State<AppState>,
    actor: GovActor,
    at: SheetAt,
    ApiJson(body): ApiJson<Deduction>,
) -> AppResult<Json<Value>> {
    let (plan, sheet) = at.sheet(&state, &actor).await?;
    crate::plan::deduct(&state, &actor, &plan, &sheet, body.points, &body.reason).await?;
    Ok(Json(
        json!({ "unit_id": sheet.unit_id, "deduction": body.points }),
    ))
}

#[derive(Deserialize)]
struct NewAppeal {
    code: String,
    reason: String,
}

async fn appeal(
    State(state): State<AppState>,
    actor: GovActor,
    at: SheetAt,
    ApiJson(body): ApiJson<NewAppeal>,
) -> AppResult<Response> {
    let (plan, sheet, item) = at.item(&state, &actor, &body.code).await?;
    let id = service::appeal(&state, &actor, &plan, &sheet, &item, &body.reason).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "state": "open" })),
    )
        .into_response())
}

#[derive(Deserialize)]
struct Decision {
    uphold: bool,
    value: Option<f64>,
    reason: String,
}

async fn decide(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    ApiJson(body): ApiJson<Decision>,
) -> AppResult<Json<Value>> {
    let (plan, _, appeal) = appeal_context(&state, &actor, id).await?;
    service::decide(
        &state,
        &actor,
        &plan,
        &appeal,
        body.uphold,
        body.value,
        &body.reason,
    )
    .await?;
    Ok(Json(
        json!({ "id": id, "state": if body.uphold { "upheld" } else { "rejected" } }),
    ))
}

/// An appeal with its plan and sheet, if the actor may read the sheet.
pub async fn appeal_context(
    state: &AppState,
    actor: &GovActor,
    id: i64,
) -> AppResult<(Plan, Sheet, model::Appeal)> {
    let appeal = model::find_appeal(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let sheet = model::find_sheet_by_id(&state.db, appeal.sheet_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let plan = model::find_plan(&state.db, sheet.plan_id)
        .await?
        .ok_or(AppError::NotFound)?;
    service::may_read(actor, &plan, &sheet)?;
    Ok((plan, sheet, appeal))
}

#[derive(Deserialize)]
struct NewPlan {
    district_id: i64,
    year: i64,
    unit_kind: String,
    /// Self-assessment ends at this instant (ms since the epoch).
    deadline: i64,
    items: Vec<NewItem>,
}

#[derive(Deserialize)]
struct NewItem {
    code: String,
    weight: f64,
    target: f64,
}

async fn create_plan(
    State(state): State<AppState>,
    actor: GovActor,
    ApiJson(body): ApiJson<NewPlan>,
) -> AppResult<Response> {
    let items: Vec<(String, f64, f64)> = body
        .items
        .into_iter()
        .map(|i| (i.code, i.weight, i.target))
        .collect();
    let spec = crate::plan::Spec {
        district_id: body.district_id,
        year: body.year,
        unit_kind: body.unit_kind,
        deadline_ms: body.deadline,
        items,
    };
    let id = crate::plan::create(&state, &actor, &spec).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "state": "open" })),
    )
        .into_response())
}
