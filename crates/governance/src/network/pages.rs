//! Pages of the service network: service points and services, their lists (with category
//! and unit filters), detail pages and create/edit forms for workers and unit admins.

use super::api::NetQuery;
use super::model::*;
use super::service::*;
use crate::authz::Action;
use crate::authz::Scope;
use crate::authz::authorize;
use crate::error::Invalid;
use crate::error::{GovError, GovResult};
use crate::forms::Flash;
use crate::forms::{decimal, saved, whole, with_error_status};
use crate::network::model::Hours;
use crate::network::model::PointKind;
use crate::network::model::Service;
use crate::network::model::ServicePoint;
use crate::network::model::Term;
use crate::network::model::id_list;
use crate::picker::UnitPicker;
use crate::registry::model;
use crate::registry::model::OrgFilter;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use gov_core::GovActor;
use gov_core::MemberRole;
use gov_core::ScopeFilter;
use gov_core::Unit;
use platform::AppState;
use platform::db::Db;
use platform::web::Code;
use platform::web::Lang;
use platform::web::Opt;
use platform::web::{Id, Page, PageCtx, SignedIn, redirect, render, url_encode};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/gov/service-points",
            get(points_page).post(create_form::<ServicePoint>),
        )
        .route("/gov/service-points/new", get(new_point_form))
        .route("/gov/service-points/{id}", get(point_page))
        .route(
            "/gov/service-points/{id}/edit",
            get(edit_form::<ServicePoint>).post(update_form::<ServicePoint>),
        )
        .route(
            "/gov/services",
            get(services_page).post(create_form::<Service>),
        )
        .route("/gov/services/new", get(new_service_form))
        .route("/gov/services/{id}", get(service_page))
        .route(
            "/gov/services/{id}/edit",
            get(edit_form::<Service>).post(update_form::<Service>),
        )
}

/// A record with a create/edit form (a point, a service): both are loaded, posted, saved
/// and shown again the same way; this is what differs between them.
trait Edited: Sized + Send + Sync {
    /// The form's fields as typed.
    type Values: Send;
    /// The list's path; a record is at `{PATH}/{id}`.
    const PATH: &'static str;
    fn id(&self) -> i64;
    fn values(&self) -> Self::Values;
    fn posted(pairs: &[(String, String)]) -> Self::Values;
    /// The record, if the actor may edit it.
    fn load(
        state: &AppState,
        actor: &GovActor,
        id: i64,
    ) -> impl Future<Output = GovResult<Self>> + Send;
    /// Checks the values and creates the record (`id` None) or rewrites record `id`.
    fn save(
        state: &AppState,
        actor: &GovActor,
        id: Option<i64>,
        v: &Self::Values,
    ) -> impl Future<Output = GovResult<i64>> + Send;
    fn form(
        state: &AppState,
        actor: &GovActor,
        editing: Option<&Self>,
        v: Self::Values,
        error: Option<&Invalid>,
    ) -> impl Future<Output = GovResult<Response>> + Send;
}

impl Edited for ServicePoint {
    type Values = PointValues;
    const PATH: &'static str = "/gov/service-points";
    fn id(&self) -> i64 {
        self.id
    }
    fn values(&self) -> PointValues {
        PointValues::from_point(self)
    }
    fn posted(pairs: &[(String, String)]) -> PointValues {
        PointValues::from_pairs(pairs)
    }
    async fn load(state: &AppState, actor: &GovActor, id: i64) -> GovResult<Self> {
        load_point(state, actor, id, Action::EditService).await
    }
    async fn save(
        state: &AppState,
        actor: &GovActor,
        id: Option<i64>,
        v: &PointValues,
    ) -> GovResult<i64> {
        let d = validate_point(&v.to_input().map_err(GovError::Invalid)?)?;
        match id {
            None => create_point(state, actor, &d).await,
            Some(id) => update_point(state, actor, id, &d).await.map(|()| id),
        }
    }
    async fn form(
        state: &AppState,
        actor: &GovActor,
        editing: Option<&Self>,
        v: PointValues,
        error: Option<&Invalid>,
    ) -> GovResult<Response> {
        point_form(state, actor, editing, v, error).await
    }
}

impl Edited for Service {
    type Values = ServiceValues;
    const PATH: &'static str = "/gov/services";
    fn id(&self) -> i64 {
        self.id
    }
    fn values(&self) -> ServiceValues {
        ServiceValues::from_service(self)
    }
    fn posted(pairs: &[(String, String)]) -> ServiceValues {
        ServiceValues::from_pairs(pairs)
    }
    async fn load(state: &AppState, actor: &GovActor, id: i64) -> GovResult<Self> {
        load_service(state, actor, id, Action::EditService).await
    }
    async fn save(
        state: &AppState,
        actor: &GovActor,
        id: Option<i64>,
        v: &ServiceValues,
    ) -> GovResult<i64> {
        let d = validate_service(&v.to_input().map_err(GovError::Invalid)?)?;
        match id {
            None => create_service(state, actor, &d).await,
            Some(id) => update_service(state, actor, id, &d).await.map(|()| id),
        }
    }
    async fn form(
        state: &AppState,
        actor: &GovActor,
        editing: Option<&Self>,
        v: ServiceValues,
        error: Option<&Invalid>,
    ) -> GovResult<Response> {
        service_form(state, actor, editing, v, error).await
    }
}

async fn edit_form<R: Edited>(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Id(id): Id,
) -> GovResult<Response> {
    let r = R::load(&state, &actor, id).await?;
    let v = r.values();
    R::form(&state, &actor, Some(&r), v, None).await
}

async fn create_form<R: Edited>(
    State(state): State<AppState>,
    actor: GovActor,
    Form(pairs): Form<Vec<(String, String)>>,
) -> GovResult<Response> {
    authorize(&actor, Action::EditService, &Scope::Anywhere)?;
    post_form::<R>(&state, &actor, None, &pairs).await
}

async fn update_form<R: Edited>(
    State(state): State<AppState>,
    actor: GovActor,
    Id(id): Id,
    Form(pairs): Form<Vec<(String, String)>>,
) -> GovResult<Response> {
    let r = R::load(&state, &actor, id).await?;
    post_form(&state, &actor, Some(r), &pairs).await
}

/// A form's heading, where it posts and where "cancel" goes: the record (with its name)
/// when editing, the list when creating.
fn frame<R: Edited>(
    editing: Option<(&R, &str)>,
    new: &str,
    lang: Lang,
) -> (String, String, String) {
    match editing {
        Some((r, name)) => (
            format!("{}{name}", lang.pick("编辑：", "Edit: ")),
            format!("{}/{}/edit", R::PATH, r.id()),
            format!("{}/{}", R::PATH, r.id()),
        ),
        None => (new.to_string(), R::PATH.to_string(), R::PATH.to_string()),
    }
}

/// Saves a posted form and goes to the record, or shows the form again with the error.
async fn post_form<R: Edited>(
    state: &AppState,
    actor: &GovActor,
    editing: Option<R>,
    pairs: &[(String, String)],
) -> GovResult<Response> {
    let v = R::posted(pairs);
    match saved(R::save(state, actor, editing.as_ref().map(R::id), &v).await)? {
        Ok(id) => Ok(redirect(&format!("{}/{id}?saved=1", R::PATH))),
        Err(inv) => R::form(state, actor, editing.as_ref(), v, Some(&inv)).await,
    }
}

fn hours_text(hours: &[Hours], lang: Lang) -> Vec<String> {
    hours
        .iter()
        .map(|h| format!("{} {}–{}", h.day_label(lang), h.opens, h.closes))
        .collect()
}

pub struct PointRow {
    pub id: i64,
    pub name: String,
    pub kind: &'static str,
    pub kind_label: &'static str,
    pub unit_name: String,
    pub address: String,
    pub hours: Vec<String>,
    pub services: i64,
}

pub struct ServiceRow {
    pub id: i64,
    pub name: String,
    pub provider: String,
    pub unit_name: String,
    pub categories: Vec<String>,
    pub status: &'static str,
    pub status_label: &'static str,
    pub capacity: String,
    pub schedule: String,
}

pub fn service_rows(list: &[Service], terms: &[Term], lang: Lang) -> Vec<ServiceRow> {
    list.iter()
        .map(|s| ServiceRow {
            id: s.id,
            name: s.name.clone(),
            provider: s.org_name.clone().unwrap_or_else(|| s.unit_name.clone()),
            unit_name: s.unit_name.clone(),
            categories: s
                .categories
                .iter()
                .map(|c| {
                    terms
                        .iter()
                        .find(|t| &t.code == c)
                        .map(|t| t.label(lang).to_string())
                        .unwrap_or_else(|| c.clone())
                })
                .collect(),
            status: s.status.as_str(),
            status_label: s.status.label(lang),
            capacity: s.capacity.map(|c| c.to_string()).unwrap_or_default(),
            schedule: s.schedule.clone(),
        })
        .collect()
}

/// The services of an organisation, for its profile page (already authorised).
pub async fn org_services(db: &Db, org_id: i64, lang: Lang) -> GovResult<Vec<ServiceRow>> {
    let f = ServiceFilter {
        org_id: Some(org_id),
        ..ServiceFilter::default()
    };
    let list = list_services(db, &ScopeFilter(None), &f, 200, 0).await?;
    Ok(service_rows(&list, &categories(db).await?, lang))
}

fn query_string(q: &NetQuery) -> String {
    let mut parts = Vec::new();
    for (k, v) in [
        ("kind", &q.kind),
        ("unit", &q.unit),
        ("q", &q.q),
        ("category", &q.category),
        ("status", &q.status),
        ("org", &q.org),
    ] {
        if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            parts.push(format!("{k}={}", url_encode(v)));
        }
    }
    parts.join("&")
}

const PER_PAGE: i64 = 50;

// ---------------------------------------------------------------------------------------
// Service points

#[derive(Template)]
#[template(path = "gov_service_points.html")]
struct PointsPage {
    page: PageCtx,
    rows: Vec<PointRow>,
    total: i64,
    page_no: i64,
    pages: i64,
    query: String,
    q: String,
    kinds: Vec<Opt>,
    units: UnitPicker,
    filtered: bool,
    can_create: bool,
}

async fn point_service_counts(db: &Db, ids: &[i64]) -> GovResult<Vec<(i64, i64)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let text = format!(
        "SELECT point_id, COUNT(*) FROM governance_service_at_location WHERE point_id IN ({}) GROUP BY point_id",
        id_list(ids.iter().copied())
    );
    Ok(sqlx::query_as(&text).fetch_all(&db.pool).await?)
}

async fn points_page(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Query(q): Query<NetQuery>,
) -> GovResult<Response> {
    authorize(&actor, Action::View, &Scope::Anywhere)?;
    let f = q.point_filter(&state, &actor).await?;
    let scope = actor.scope();
    let total = count_points(&state.db, &scope, &f).await?;
    let (at, pages) = Page::of_total(q.paging(), PER_PAGE, total);
    let list = list_points(&state.db, &scope, &f, PER_PAGE, at.offset()).await?;
    let counts =
        point_service_counts(&state.db, &list.iter().map(|p| p.id).collect::<Vec<_>>()).await?;
    let lang = actor.lang;
    let kind_now = q.kind.clone().unwrap_or_default();
    let kinds = Opt::filter(
        lang.pick("全部类型", "All kinds"),
        &kind_now,
        PointKind::ALL.iter().map(|k| (k.as_str(), k.label(lang))),
    );
    let visible: Vec<Unit> = gov_core::list_units(&state.db, &scope).await?;
    let units = UnitPicker::filter(&visible, q.unit.as_deref().unwrap_or_default(), lang);
    Ok(render(&PointsPage {
        page: actor.page(lang.pick("服务阵地", "Service points")),
        rows: list
            .iter()
            .map(|p| PointRow {
                id: p.id,
                name: p.name.clone(),
                kind: p.kind.as_str(),
                kind_label: p.kind.label(lang),
                unit_name: p.unit_name.clone(),
                address: p.address.clone(),
                hours: hours_text(&p.hours, lang),
                services: counts
                    .iter()
                    .find(|(id, _)| *id == p.id)
                    .map(|(_, n)| *n)
                    .unwrap_or(0),
            })
            .collect(),
        total,
        page_no: at.page,
        pages,
        query: query_string(&q),
        q: q.q.clone().unwrap_or_default(),
        kinds,
        units,
        filtered: !query_string(&q).is_empty(),
        can_create: actor.can(Action::EditService, &Scope::Anywhere),
    })?)
}

#[derive(Template)]
#[template(path = "gov_service_point.html")]
struct PointPage {
    page: PageCtx,
    p: ServicePoint,
    kind_label: &'static str,
    hours: Vec<String>,
    services: Vec<ServiceRow>,
    can_edit: bool,
    saved: bool,
}

async fn point_page(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Id(id): Id,
    Query(sq): Query<Flash>,
) -> GovResult<Response> {
    let p = load_point(&state, &actor, id, Action::View).await?;
    let lang = actor.lang;
    let f = ServiceFilter {
        point_id: Some(p.id),
        ..ServiceFilter::default()
    };
    // Services delivered here that the actor may see.
    let list = list_services(&state.db, &actor.scope(), &f, 200, 0).await?;
    let terms = categories(&state.db).await?;
    Ok(render(&PointPage {
        page: actor.page(p.name.clone()),
        kind_label: p.kind.label(lang),
        hours: hours_text(&p.hours, lang),
        services: service_rows(&list, &terms, lang),
        can_edit: actor.can(Action::EditService, &Scope::Unit(&p.unit_path)),
        saved: sq.saved.is_some(),
        p,
    })?)
}

pub struct DayRow {
    pub n: i64,
    pub label: &'static str,
    pub opens: String,
    pub closes: String,
}

#[derive(Template)]
#[template(path = "gov_service_point_form.html")]
struct PointFormPage {
    page: PageCtx,
    heading: String,
    action: String,
    cancel: String,
    v: PointValues,
    days: Vec<DayRow>,
    kinds: Vec<Opt>,
    units: UnitPicker,
    error: Option<String>,
    error_field: String,
}

#[derive(Default)]
pub struct PointValues {
    pub kind: String,
    pub name: String,
    pub description: String,
    pub address: String,
    pub latitude: String,
    pub longitude: String,
    pub unit_id: String,
    pub contact_phone: String,
    /// (opens, closes) for Monday … Sunday.
    pub days: Vec<(String, String)>,
}

fn get_pair(pairs: &[(String, String)], k: &str) -> String {
    pairs
        .iter()
        .find(|(key, _)| key == k)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

impl PointValues {
    fn from_pairs(pairs: &[(String, String)]) -> PointValues {
        let g = |k: &str| get_pair(pairs, k);
        PointValues {
            kind: g("kind"),
            name: g("name"),
            description: g("description"),
            address: g("address"),
            latitude: g("latitude"),
            longitude: g("longitude"),
            unit_id: g("unit_id"),
            contact_phone: g("contact_phone"),
            days: (1..=7)
                .map(|d| (g(&format!("opens_{d}")), g(&format!("closes_{d}"))))
                .collect(),
        }
    }

    fn from_point(p: &ServicePoint) -> PointValues {
        PointValues {
            kind: p.kind.as_str().into(),
            name: p.name.clone(),
            description: p.description.clone(),
            address: p.address.clone(),
            latitude: p.latitude.map(|v| v.to_string()).unwrap_or_default(),
            longitude: p.longitude.map(|v| v.to_string()).unwrap_or_default(),
            unit_id: p.unit_id.0.to_string(),
            contact_phone: p.contact_phone.clone(),
            days: (1..=7)
                .map(|d| {
                    p.hours
                        .iter()
                        .find(|h| h.weekday == d)
                        .map(|h| (h.opens.clone(), h.closes.clone()))
                        .unwrap_or_default()
                })
                .collect(),
        }
    }

    fn to_input(&self) -> Result<PointInput, Invalid> {
        let mut hours = Vec::new();
        for (i, (o, c)) in self.days.iter().enumerate() {
            if o.trim().is_empty() && c.trim().is_empty() {
                continue;
            }
            hours.push(Hours {
                weekday: i as i64 + 1,
                opens: o.clone(),
                closes: c.clone(),
            });
        }
        Ok(PointInput {
            kind: Some(self.kind.clone()),
            name: Some(self.name.clone()),
            description: Some(self.description.clone()),
            address: Some(self.address.clone()),
            latitude: decimal("latitude", &self.latitude)?,
            longitude: decimal("longitude", &self.longitude)?,
            unit_id: self.unit_id.trim().parse().ok(),
            contact_phone: Some(self.contact_phone.clone()),
            hours: Some(hours),
        })
    }
}

async fn point_form(
    state: &AppState,
    actor: &GovActor,
    editing: Option<&ServicePoint>,
    v: PointValues,
    error: Option<&Invalid>,
) -> GovResult<Response> {
    let lang = actor.lang;
    let kinds = PointKind::ALL
        .iter()
        .map(|k| Opt::new(k.as_str(), k.label(lang), k.as_str() == v.kind))
        .collect();
    let editable = gov_core::list_units(&state.db, &actor.scope_with(MemberRole::Worker)).await?;
    let units = UnitPicker::new(
        "unit_id",
        lang.pick("请选择服务的单位", "Choose the unit served"),
        &editable,
        &v.unit_id,
        false,
    );
    let days = WEEKDAYS
        .iter()
        .enumerate()
        .map(|(i, (_, zh, en))| DayRow {
            n: i as i64 + 1,
            label: lang.pick(zh, en),
            opens: v.days.get(i).map(|d| d.0.clone()).unwrap_or_default(),
            closes: v.days.get(i).map(|d| d.1.clone()).unwrap_or_default(),
        })
        .collect();
    let (heading, action, cancel) = frame(
        editing.map(|p| (p, p.name.as_str())),
        lang.pick("新增服务阵地", "Add a service point"),
        lang,
    );
    let resp = render(&PointFormPage {
        page: actor.page(heading.clone()),
        heading,
        action,
        cancel,
        v,
        days,
        kinds,
        units,
        error: error.map(|e| e.message(lang).to_string()),
        error_field: error.map(|e| e.field.to_string()).unwrap_or_default(),
    })?;
    Ok(with_error_status(resp, error, false))
}

async fn new_point_form(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
) -> GovResult<Response> {
    authorize(&actor, Action::EditService, &Scope::Anywhere)?;
    let v = PointValues {
        kind: PointKind::CommunityServiceCentre.as_str().into(),
        days: vec![Default::default(); 7],
        ..PointValues::default()
    };
    point_form(&state, &actor, None, v, None).await
}

// ---------------------------------------------------------------------------------------
// Services

#[derive(Template)]
#[template(path = "gov_services.html")]
struct ServicesPage {
    page: PageCtx,
    rows: Vec<ServiceRow>,
    total: i64,
    page_no: i64,
    pages: i64,
    query: String,
    q: String,
    categories: Vec<Opt>,
    statuses: Vec<Opt>,
    units: UnitPicker,
    filtered: bool,
    can_create: bool,
}

async fn services_page(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Query(q): Query<NetQuery>,
) -> GovResult<Response> {
    authorize(&actor, Action::View, &Scope::Anywhere)?;
    let f = q.service_filter(&state, &actor).await?;
    let scope = actor.scope();
    let total = count_services(&state.db, &scope, &f).await?;
    let (at, pages) = Page::of_total(q.paging(), PER_PAGE, total);
    let list = list_services(&state.db, &scope, &f, PER_PAGE, at.offset()).await?;
    let lang = actor.lang;
    let terms = categories(&state.db).await?;
    let cat_now = q.category.clone().unwrap_or_default();
    let cats = Opt::filter(
        lang.pick("全部类别", "All categories"),
        &cat_now,
        terms.iter().map(|t| {
            let indent = if t.parent_id.is_some() { "　" } else { "" };
            (t.code.clone(), format!("{indent}{}", t.label(lang)))
        }),
    );
    let status_now = q.status.clone().unwrap_or_default();
    let statuses = Opt::filter(
        lang.pick("全部状态", "Any status"),
        &status_now,
        ServiceStatus::ALL
            .iter()
            .map(|s| (s.as_str(), s.label(lang))),
    );
    let visible: Vec<Unit> = gov_core::list_units(&state.db, &scope).await?;
    let units = UnitPicker::filter(&visible, q.unit.as_deref().unwrap_or_default(), lang);
    Ok(render(&ServicesPage {
        page: actor.page(lang.pick("服务项目", "Services")),
        rows: service_rows(&list, &terms, lang),
        total,
        page_no: at.page,
        pages,
        query: query_string(&q),
        q: q.q.clone().unwrap_or_default(),
        categories: cats,
        statuses,
        units,
        filtered: !query_string(&q).is_empty(),
        can_create: actor.can(Action::EditService, &Scope::Anywhere),
    })?)
}

pub struct PointLink {
    pub id: i64,
    pub name: String,
    pub kind_label: &'static str,
    pub hours: Vec<String>,
    pub link: bool,
}

#[derive(Template)]
#[template(path = "gov_service.html")]
struct ServicePage {
    page: PageCtx,
    s: Service,
    status_label: &'static str,
    categories: Vec<String>,
    points: Vec<PointLink>,
    org_link: bool,
    can_edit: bool,
    saved: bool,
    hsds_id: String,
}

async fn service_page(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Id(id): Id,
    Query(sq): Query<Flash>,
) -> GovResult<Response> {
    let s = load_service(&state, &actor, id, Action::View).await?;
    let lang = actor.lang;
    let terms = categories(&state.db).await?;
    let points = points_by_ids(&state.db, &s.point_ids)
        .await?
        .into_iter()
        .map(|p| PointLink {
            id: p.id,
            link: actor.can(Action::View, &Scope::Unit(&p.unit_path)),
            kind_label: p.kind.label(lang),
            hours: hours_text(&p.hours, lang),
            name: p.name,
        })
        .collect();
    let published = s.status == ServiceStatus::Active && s.org_id.is_some();
    Ok(render(&ServicePage {
        page: actor.page(s.name.clone()),
        status_label: s.status.label(lang),
        categories: service_rows(std::slice::from_ref(&s), &terms, lang)
            .pop()
            .map(|r| r.categories)
            .unwrap_or_default(),
        points,
        org_link: s.org_id.is_some(),
        can_edit: actor.can(Action::EditService, &Scope::Unit(&s.unit_path)),
        saved: sq.saved.is_some(),
        hsds_id: if published {
            s.uuid.clone()
        } else {
            String::new()
        },
        s,
    })?)
}

#[derive(Default)]
pub struct ServiceValues {
    pub provider: String,
    pub name: String,
    pub description: String,
    pub schedule: String,
    pub eligibility: String,
    pub capacity: String,
    pub contact_phone: String,
    pub status: String,
    pub categories: Vec<String>,
    pub points: Vec<String>,
}

impl ServiceValues {
    fn from_pairs(pairs: &[(String, String)]) -> ServiceValues {
        let g = |k: &str| get_pair(pairs, k);
        let all = |k: &str| {
            pairs
                .iter()
                .filter(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
                .collect()
        };
        ServiceValues {
            provider: g("provider"),
            name: g("name"),
            description: g("description"),
            schedule: g("schedule"),
            eligibility: g("eligibility"),
            capacity: g("capacity"),
            contact_phone: g("contact_phone"),
            status: g("status"),
            categories: all("categories"),
            points: all("point_ids"),
        }
    }

    fn from_service(s: &Service) -> ServiceValues {
        ServiceValues {
            provider: match s.org_id {
                Some(o) => format!("org:{o}"),
                None => format!("unit:{}", s.unit_id),
            },
            name: s.name.clone(),
            description: s.description.clone(),
            schedule: s.schedule.clone(),
            eligibility: s.eligibility.clone(),
            capacity: s.capacity.map(|c| c.to_string()).unwrap_or_default(),
            contact_phone: s.contact_phone.clone(),
            status: s.status.as_str().into(),
            categories: s.categories.clone(),
            points: s.point_ids.iter().map(|p| p.to_string()).collect(),
        }
    }

    fn to_input(&self) -> Result<ServiceInput, Invalid> {
        let (org_id, unit_id) = match self.provider.split_once(':') {
            Some(("org", id)) => (id.trim().parse().ok(), None),
            Some(("unit", id)) => (None, id.trim().parse().ok()),
            _ => (None, None),
        };
        let capacity = whole("capacity", &self.capacity)?;
        let mut points = Vec::new();
        for p in &self.points {
            points.push(p.trim().parse::<i64>().map_err(|_| {
                Invalid::new(
                    Code::UnknownPoint,
                    "point_ids",
                    "所选的服务地点不存在。",
                    "a chosen service point does not exist",
                )
            })?);
        }
        Ok(ServiceInput {
            org_id,
            unit_id,
            name: Some(self.name.clone()),
            description: Some(self.description.clone()),
            schedule: Some(self.schedule.clone()),
            eligibility: Some(self.eligibility.clone()),
            capacity,
            contact_phone: Some(self.contact_phone.clone()),
            status: Some(self.status.clone()),
            categories: Some(self.categories.clone()),
            point_ids: Some(points),
        })
    }
}

#[derive(Template)]
#[template(path = "gov_service_form.html")]
struct ServiceFormPage {
    page: PageCtx,
    heading: String,
    action: String,
    cancel: String,
    v: ServiceValues,
    providers: Vec<Opt>,
    statuses: Vec<Opt>,
    categories: Vec<Opt>,
    points: Vec<Opt>,
    error: Option<String>,
    error_field: String,
}

async fn service_form(
    state: &AppState,
    actor: &GovActor,
    editing: Option<&Service>,
    v: ServiceValues,
    error: Option<&Invalid>,
) -> GovResult<Response> {
    let lang = actor.lang;
    let editable = actor.scope_with(MemberRole::Worker);
    let mut providers = vec![Opt::new(
        "",
        lang.pick("请选择提供服务的组织或单位", "Choose who offers it"),
        v.provider.is_empty(),
    )];
    let orgs = model::list_orgs(&state.db, &editable, &OrgFilter::default(), 1000, 0).await?;
    providers.extend(orgs.iter().map(|o| {
        let value = format!("org:{}", o.id);
        let selected = value == v.provider;
        Opt::new(value, format!("{}（{}）", o.name, o.unit_name), selected)
    }));
    let units = gov_core::list_units(&state.db, &editable).await?;
    providers.extend(
        units
            .iter()
            .filter(|u| u.kind != gov_core::UnitKind::Grid)
            .map(|u| {
                let value = format!("unit:{}", u.id);
                let selected = value == v.provider;
                Opt::new(
                    value,
                    format!("{}{}", lang.pick("单位：", "Unit: "), u.name),
                    selected,
                )
            }),
    );
    let status_now = if v.status.is_empty() {
        ServiceStatus::Active.as_str().to_string()
    } else {
        v.status.clone()
    };
    let statuses = ServiceStatus::ALL
        .iter()
        .map(|s| Opt::new(s.as_str(), s.label(lang), s.as_str() == status_now))
        .collect();
    let categories = categories(&state.db)
        .await?
        .iter()
        .map(|t| {
            Opt::new(
                t.code.clone(),
                t.label(lang),
                v.categories.contains(&t.code),
            )
        })
        .collect();
    let points = list_points(&state.db, &actor.scope(), &PointFilter::default(), 1000, 0)
        .await?
        .into_iter()
        .map(|p| {
            let id = p.id.to_string();
            let selected = v.points.contains(&id);
            Opt::new(id, format!("{}（{}）", p.name, p.unit_name), selected)
        })
        .collect();
    let (heading, action, cancel) = frame(
        editing.map(|s| (s, s.name.as_str())),
        lang.pick("登记服务项目", "Register a service"),
        lang,
    );
    let resp = render(&ServiceFormPage {
        page: actor.page(heading.clone()),
        heading,
        action,
        cancel,
        v,
        providers,
        statuses,
        categories,
        points,
        error: error.map(|e| e.message(lang).to_string()),
        error_field: error.map(|e| e.field.to_string()).unwrap_or_default(),
    })?;
    Ok(with_error_status(resp, error, false))
}

#[derive(Deserialize)]
struct NewServiceQuery {
    org: Option<String>,
}

async fn new_service_form(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn<GovActor>,
    Query(nq): Query<NewServiceQuery>,
) -> GovResult<Response> {
    authorize(&actor, Action::EditService, &Scope::Anywhere)?;
    let v = ServiceValues {
        provider: nq
            .org
            .as_deref()
            .and_then(|o| o.trim().parse::<i64>().ok())
            .map(|o| format!("org:{o}"))
            .unwrap_or_default(),
        status: ServiceStatus::Active.as_str().into(),
        ..ServiceValues::default()
    };
    service_form(&state, &actor, None, v, None).await
}
