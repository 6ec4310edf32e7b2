//! The registry's JSON API under /api/v1/gov: units, organisations, the hub structure and
//! role grants. Every handler goes through `authorize` (directly or via `units`/`orgs`);
//! lists are filtered by the actor's scope.

use crate::authz::Action;
use crate::authz::Scope;
use crate::authz::authorize;
use crate::error::{GovError, GovResult};
use crate::registry::hub::hub_structure;
use crate::registry::model;
use crate::registry::model::HubRole;
use crate::registry::model::Org;
use crate::registry::model::OrgFilter;
use crate::registry::model::OrgType;
use crate::registry::orgs;
use crate::registry::orgs::OrgInput;
use crate::registry::units;
use crate::registry::units::UnitInput;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use gov_core::GovActor;
use gov_core::MemberRole;
use gov_core::Unit;
use gov_core::UnitId;
use platform::AppState;
use platform::web::Code;
use platform::web::{ApiJson, Id, Page, Paging};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/gov/me", get(me))
        .route("/api/v1/gov/units", get(list_units).post(create_unit))
        .route("/api/v1/gov/units/{id}", get(show_unit).put(update_unit))
        .route("/api/v1/gov/orgs", get(list_orgs).post(create_org))
        .route("/api/v1/gov/orgs/{id}", get(show_org).put(update_org))
        .route("/api/v1/gov/hub", get(hub))
        .route("/api/v1/gov/memberships", post(grant))
}

async fn me(State(_state): State<AppState>, actor: GovActor) -> GovResult<Json<Value>> {
    let user = actor.user.clone().ok_or(GovError::SignIn)?;
    Ok(Json(json!({
        "user": user,
        "platform_admin": actor.is_platform_admin(),
        "grants": actor.grants,
        "organisations": actor.org_links,
    })))
}

fn unit_json(u: &Unit, org_count: Option<i64>) -> Value {
    let mut v = serde_json::to_value(u).unwrap_or(Value::Null);
    if let Some(n) = org_count {
        v["org_count"] = json!(n);
    }
    v
}

async fn list_units(State(state): State<AppState>, actor: GovActor) -> GovResult<Json<Value>> {
    authorize(&actor, Action::View, &Scope::Anywhere)?;
    let units = gov_core::list_units(&state.db, &actor.scope()).await?;
    let items: Vec<Value> = units.iter().map(|u| unit_json(u, None)).collect();
    Ok(Json(json!({ "items": items })))
}

async fn show_unit(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
) -> GovResult<Json<Value>> {
    let unit = units::load_unit(&state, &actor, UnitId(id), Action::View).await?;
    let subtree = OrgFilter {
        unit: Some(unit.path.clone()),
        ..OrgFilter::default()
    };
    let orgs = model::count_orgs(&state.db, &actor.scope(), &subtree).await?;
    let children: Vec<Value> = gov_core::children(&state.db, unit.id)
        .await?
        .iter()
        .map(|c| unit_json(c, None))
        .collect();
    let subtree = gov_core::ScopeFilter(Some(vec![unit.path.clone()]));
    let among_residents = crate::registry::model::orgs_among_residents(
        &gov_core::list_units(&state.db, &subtree).await?,
        &model::org_counts_by_unit(&state.db, &subtree).await?,
    );
    let mut v = unit_json(&unit, Some(orgs));
    v["orgs_per_10k"] = json!(model::per_10k(among_residents, unit.residents));
    v["children"] = json!(children);
    Ok(Json(v))
}

async fn create_unit(
    State(state): State<AppState>,
    actor: GovActor,
    ApiJson(input): ApiJson<UnitInput>,
) -> GovResult<Response> {
    let unit = units::create_unit(&state, &actor, &input).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/gov/units/{}", unit.id))],
        Json(unit_json(&unit, None)),
    )
        .into_response())
}

async fn update_unit(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    ApiJson(edit): ApiJson<units::UnitEdit>,
) -> GovResult<Json<Value>> {
    let id = UnitId(id);
    units::load_unit(&state, &actor, id, Action::EditUnit).await?;
    let unit = units::update_unit(&state, &actor, id, &edit).await?;
    Ok(Json(unit_json(&unit, None)))
}

/// Directory filters as they arrive in a query string (empty values mean "any").
#[derive(Clone, Debug, Default, Deserialize)]
pub struct DirQuery {
    #[serde(rename = "type")]
    pub org_type: Option<String>,
    pub role: Option<String>,
    pub hub: Option<String>,
    pub field: Option<String>,
    pub unit: Option<String>,
    pub q: Option<String>,
    pub brand: Option<String>,
    /// A current grade: 1A … 5A (or 1 … 5).
    pub grade: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

fn nonempty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl DirQuery {
    /// Parses the filters; a unit filter must be within the actor's scope.
    pub async fn filter(&self, state: &AppState, actor: &GovActor) -> GovResult<OrgFilter> {
        let bad = |field: &'static str, zh: &str, en: &str| {
            GovError::invalid(Code::InvalidFilter, field, zh.to_string(), en.to_string())
        };
        let org_type = match nonempty(&self.org_type) {
            None => None,
            Some(s) => Some(OrgType::parse(s).ok_or_else(|| {
                bad(
                    "type",
                    "类型筛选须为 social_group、social_service_agency 或 foundation。",
                    "type must be social_group, social_service_agency or foundation",
                )
            })?),
        };
        let hub_role = match nonempty(&self.role) {
            None => None,
            Some(s) => Some(HubRole::parse(s).ok_or_else(|| {
                bad(
                    "role",
                    "角色筛选须为 federation、hub 或 member。",
                    "role must be federation, hub or member",
                )
            })?),
        };
        let hub_id = match nonempty(&self.hub) {
            None => None,
            Some(s) => Some(s.parse::<i64>().map_err(|_| {
                bad(
                    "hub",
                    "枢纽筛选须为组织编号。",
                    "hub must be an organisation id",
                )
            })?),
        };
        let field = match nonempty(&self.field) {
            None => None,
            Some(s) if model::is_field(s) => Some(s.to_string()),
            Some(_) => {
                return Err(bad("field", "未知的服务领域。", "unknown service field"));
            }
        };
        let unit = match nonempty(&self.unit) {
            None => None,
            Some(s) => {
                let id = UnitId::parse(s).ok_or(GovError::NotFound)?;
                Some(units::load_unit(state, actor, id, Action::View).await?.path)
            }
        };
        let grade = match nonempty(&self.grade) {
            None => None,
            Some(g) => Some(
                g.trim_end_matches(['A', 'a'])
                    .parse::<i64>()
                    .ok()
                    .filter(|g| (1..=5).contains(g))
                    .ok_or_else(|| {
                        bad("grade", "等级筛选须为 1A 到 5A。", "grade must be 1A to 5A")
                    })?,
            ),
        };
        Ok(OrgFilter {
            grade,
            today: crate::dates::Day::at(state.now()).to_string(),
            org_type,
            hub_role,
            hub_id,
            field,
            unit,
            name: nonempty(&self.q).map(|s| s.chars().take(100).collect()),
            brand: nonempty(&self.brand).is_some_and(|b| b == "1" || b == "true"),
        })
    }

    /// `page` and `per_page` as typed; junk counts as absent.
    pub fn paging(&self) -> Paging {
        Paging::lenient(self.page.as_deref(), self.per_page.as_deref())
    }
}

async fn list_orgs(
    State(state): State<AppState>,
    actor: GovActor,
    Query(q): Query<DirQuery>,
) -> GovResult<Json<Value>> {
    authorize(&actor, Action::View, &Scope::Anywhere)?;
    let filter = q.filter(&state, &actor).await?;
    let Page { page, per_page } = q.paging().bounded(50, 200);
    let scope = actor.scope();
    let total = model::count_orgs(&state.db, &scope, &filter).await?;
    let items =
        model::list_orgs(&state.db, &scope, &filter, per_page, (page - 1) * per_page).await?;
    Ok(Json(json!({
        "page": page,
        "per_page": per_page,
        "total": total,
        "items": items,
    })))
}

async fn show_org(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
) -> GovResult<Json<Org>> {
    Ok(Json(
        orgs::load_org(&state, &actor, id, Action::View).await?,
    ))
}

async fn create_org(
    State(state): State<AppState>,
    actor: GovActor,
    ApiJson(input): ApiJson<OrgInput>,
) -> GovResult<Response> {
    authorize(&actor, Action::EditOrg, &Scope::Anywhere)?;
    let draft = orgs::validate(&input, state.now())?;
    let id = orgs::create_org(&state, &actor, &draft).await?;
    let org = model::find_org(&state.db, id)
        .await?
        .ok_or(GovError::NotFound)?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/gov/orgs/{id}"))],
        Json(org),
    )
        .into_response())
}

async fn update_org(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    ApiJson(body): ApiJson<OrgInput>,
) -> GovResult<Json<Org>> {
    // Out-of-scope records are 404 before the body is even looked at.
    let old = orgs::load_org(&state, &actor, id, Action::EditOrg).await?;
    let mut input = body;
    input.keep_marks_of(&old);
    let draft = orgs::validate(&input, state.now())?;
    orgs::update_org(&state, &actor, id, &draft).await?;
    Ok(Json(
        model::find_org(&state.db, id)
            .await?
            .ok_or(GovError::NotFound)?,
    ))
}

async fn hub(State(state): State<AppState>, actor: GovActor) -> GovResult<Json<Value>> {
    let s = hub_structure(&state, &actor).await?;
    Ok(Json(json!({
        "federation": s.federation.map(|(id, name)| json!({ "id": id, "name": name })),
        "hubs": s.hubs,
        "members": s.hubs.iter().map(|h| h.members).sum::<i64>(),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantBody {
    username: String,
    unit_id: Option<i64>,
    unit_code: Option<String>,
    role: String,
}

async fn grant(
    State(state): State<AppState>,
    actor: GovActor,
    ApiJson(b): ApiJson<GrantBody>,
) -> GovResult<Response> {
    authorize(&actor, Action::Grant(MemberRole::Viewer), &Scope::Anywhere)?;
    let role = MemberRole::parse(&b.role).ok_or_else(|| {
        GovError::invalid(
            Code::InvalidRole,
            "role",
            "角色须为 viewer、worker 或 unit_admin。",
            "role must be viewer, worker or unit_admin",
        )
    })?;
    let unit = match (b.unit_id, b.unit_code.as_deref()) {
        (Some(id), _) => gov_core::find_unit(&state.db, UnitId(id)).await?,
        (None, Some(code)) => gov_core::find_unit_by_code(&state.db, code).await?,
        (None, None) => {
            return Err(GovError::invalid(
                Code::MissingField,
                "unit_id",
                "请给出单位编号 unit_id 或单位代码 unit_code。",
                "give unit_id or unit_code",
            ));
        }
    }
    .ok_or(GovError::NotFound)?;
    units::grant(&state, &actor, &b.username, unit.id, role).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "username": b.username.trim(), "unit_id": unit.id, "role": role })),
    )
        .into_response())
}
