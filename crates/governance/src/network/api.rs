//! JSON API for the service network under /api/v1/gov: service points, services and the
//! category list. Lists are filtered by the actor's scope; writes go through `authorize`.

use super::model::*;
use super::service::*;
use crate::authz::Action;
use crate::authz::Scope;
use crate::authz::authorize;
use crate::error::{GovError, GovResult};
use crate::network::model::PointKind;
use crate::network::model::Service;
use crate::network::model::ServicePoint;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use gov_core::GovActor;
use gov_core::UnitId;
use gov_core::UnitPath;
use platform::AppState;
use platform::web::Code;
use platform::web::{ApiJson, Id, Page, Paging};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/gov/service-points",
            get(list_points_api).post(create_point_api),
        )
        .route(
            "/api/v1/gov/service-points/{id}",
            get(show_point).put(update_point_api),
        )
        .route(
            "/api/v1/gov/services",
            get(list_services_api).post(create_service_api),
        )
        .route(
            "/api/v1/gov/services/{id}",
            get(show_service).put(update_service_api),
        )
        .route("/api/v1/gov/service-categories", get(list_categories))
}

/// Filters of the service-network lists as they arrive in a query string.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct NetQuery {
    pub kind: Option<String>,
    pub unit: Option<String>,
    pub q: Option<String>,
    pub category: Option<String>,
    pub org: Option<String>,
    pub status: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

fn nonempty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl NetQuery {
    async fn unit(&self, state: &AppState, actor: &GovActor) -> GovResult<Option<UnitPath>> {
        match nonempty(&self.unit) {
            None => Ok(None),
            Some(s) => {
                let id = UnitId::parse(s).ok_or(GovError::NotFound)?;
                Ok(Some(
                    crate::registry::units::load_unit(state, actor, id, Action::View)
                        .await?
                        .path,
                ))
            }
        }
    }

    pub async fn point_filter(&self, state: &AppState, actor: &GovActor) -> GovResult<PointFilter> {
        let kind = match nonempty(&self.kind) {
            None => None,
            Some(k) => Some(PointKind::parse(k).ok_or_else(|| {
                GovError::invalid(
                    Code::InvalidFilter,
                    "kind",
                    "类型筛选须为 building_service_point、community_service_centre 或 other。",
                    "kind must be building_service_point, community_service_centre or other",
                )
            })?),
        };
        Ok(PointFilter {
            kind,
            unit: self.unit(state, actor).await?,
            name: nonempty(&self.q).map(|s| s.chars().take(100).collect()),
        })
    }

    pub async fn service_filter(
        &self,
        state: &AppState,
        actor: &GovActor,
    ) -> GovResult<ServiceFilter> {
        let status = match nonempty(&self.status) {
            None => None,
            Some(s) => Some(ServiceStatus::parse(s).ok_or_else(|| {
                GovError::invalid(
                    Code::InvalidFilter,
                    "status",
                    "状态筛选须为 active、inactive 或 defunct。",
                    "status must be active, inactive or defunct",
                )
            })?),
        };
        let category = match nonempty(&self.category) {
            None => None,
            Some(c) => {
                if !categories(&state.db).await?.iter().any(|t| t.code == c) {
                    return Err(GovError::invalid(
                        Code::InvalidFilter,
                        "category",
                        "未知的服务类别。",
                        "unknown category",
                    ));
                }
                Some(c.to_string())
            }
        };
        let org_id = match nonempty(&self.org) {
            None => None,
            Some(o) => Some(o.parse::<i64>().map_err(|_| {
                GovError::invalid(
                    Code::InvalidFilter,
                    "org",
                    "组织筛选须为组织编号。",
                    "org must be an organisation id",
                )
            })?),
        };
        Ok(ServiceFilter {
            category,
            unit: self.unit(state, actor).await?,
            org_id,
            point_id: None,
            status,
            name: nonempty(&self.q).map(|s| s.chars().take(100).collect()),
        })
    }

    /// `page` and `per_page` as typed; junk counts as absent.
    pub fn paging(&self) -> Paging {
        Paging::lenient(self.page.as_deref(), self.per_page.as_deref())
    }
}

async fn list_points_api(
    State(state): State<AppState>,
    actor: GovActor,
    Query(q): Query<NetQuery>,
) -> GovResult<Json<Value>> {
    authorize(&actor, Action::View, &Scope::Anywhere)?;
    let f = q.point_filter(&state, &actor).await?;
    let Page { page, per_page } = q.paging().bounded(50, 200);
    let scope = actor.scope();
    let total = count_points(&state.db, &scope, &f).await?;
    let items = list_points(&state.db, &scope, &f, per_page, (page - 1) * per_page).await?;
    Ok(Json(
        json!({ "page": page, "per_page": per_page, "total": total, "items": items }),
    ))
}

async fn show_point(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
) -> GovResult<Json<ServicePoint>> {
    Ok(Json(load_point(&state, &actor, id, Action::View).await?))
}

async fn create_point_api(
    State(state): State<AppState>,
    actor: GovActor,
    ApiJson(body): ApiJson<PointInput>,
) -> GovResult<Response> {
    authorize(&actor, Action::EditService, &Scope::Anywhere)?;
    let d = validate_point(&body)?;
    let id = create_point(&state, &actor, &d).await?;
    let p = find_point(&state.db, id).await?.ok_or(GovError::NotFound)?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/gov/service-points/{id}"))],
        Json(p),
    )
        .into_response())
}

async fn update_point_api(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    ApiJson(body): ApiJson<PointInput>,
) -> GovResult<Json<ServicePoint>> {
    load_point(&state, &actor, id, Action::EditService).await?;
    let d = validate_point(&body)?;
    update_point(&state, &actor, id, &d).await?;
    Ok(Json(
        find_point(&state.db, id).await?.ok_or(GovError::NotFound)?,
    ))
}

async fn list_services_api(
    State(state): State<AppState>,
    actor: GovActor,
    Query(q): Query<NetQuery>,
) -> GovResult<Json<Value>> {
    authorize(&actor, Action::View, &Scope::Anywhere)?;
    let f = q.service_filter(&state, &actor).await?;
    let Page { page, per_page } = q.paging().bounded(50, 200);
    let scope = actor.scope();
    let total = count_services(&state.db, &scope, &f).await?;
    let items = list_services(&state.db, &scope, &f, per_page, (page - 1) * per_page).await?;
    Ok(Json(
        json!({ "page": page, "per_page": per_page, "total": total, "items": items }),
    ))
}

async fn show_service(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
) -> GovResult<Json<Service>> {
    Ok(Json(load_service(&state, &actor, id, Action::View).await?))
}

async fn create_service_api(
    State(state): State<AppState>,
    actor: GovActor,
    ApiJson(body): ApiJson<ServiceInput>,
) -> GovResult<Response> {
    authorize(&actor, Action::EditService, &Scope::Anywhere)?;
    let d = validate_service(&body)?;
    let id = create_service(&state, &actor, &d).await?;
    let s = find_service(&state.db, id)
        .await?
        .ok_or(GovError::NotFound)?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/gov/services/{id}"))],
        Json(s),
    )
        .into_response())
}

async fn update_service_api(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    ApiJson(body): ApiJson<ServiceInput>,
) -> GovResult<Json<Service>> {
    load_service(&state, &actor, id, Action::EditService).await?;
    let d = validate_service(&body)?;
    update_service(&state, &actor, id, &d).await?;
    Ok(Json(
        find_service(&state.db, id)
            .await?
            .ok_or(GovError::NotFound)?,
    ))
}

async fn list_categories(State(state): State<AppState>, actor: GovActor) -> GovResult<Json<Value>> {
    authorize(&actor, Action::View, &Scope::Anywhere)?;
    Ok(Json(json!({ "items": categories(&state.db).await? })))
}
