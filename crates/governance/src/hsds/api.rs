//! The public HSDS 3.0 read API under `/hsds/` (paths, paging and shapes of the HSDS
//! OpenAPI document). Everything here is public: only published data is read.

use super::*;
use crate::error::{GovError, GovResult};
use crate::network::model as net;
use crate::network::model::SERVICE_FROM;
use crate::registry::model;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use gov_core::Bind;
use gov_core::Sql;
use platform::AppState;
use platform::db::Db;
use platform::web::Code;
use serde::Deserialize;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/hsds", get(meta))
        .route("/hsds/", get(meta))
        .route("/hsds/organizations", get(organizations))
        .route("/hsds/organizations/{id}", get(organization))
        .route("/hsds/services", get(service_list))
        .route("/hsds/services/{id}", get(service))
        .route("/hsds/service_at_locations", get(sal_list))
        .route("/hsds/service_at_locations/{id}", get(sal))
        .route("/hsds/taxonomies", get(taxonomy_list))
        .route("/hsds/taxonomies/{id}", get(taxonomy_one))
        .route("/hsds/taxonomy_terms", get(term_list))
        .route("/hsds/taxonomy_terms/{id}", get(term_one))
}

pub const DEFAULT_PER_PAGE: i64 = 50;
pub const MAX_PER_PAGE: i64 = 500;

/// Query parameters of the list endpoints (strings, so bad values are our 400, not axum's).
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub page: Option<String>,
    pub per_page: Option<String>,
    pub search: Option<String>,
    pub organization_id: Option<String>,
    pub taxonomy_term_id: Option<String>,
    pub taxonomy_id: Option<String>,
    pub parent_id: Option<String>,
    pub top_only: Option<String>,
}

/// `page` ≥ 1 and 1 ≤ `per_page` ≤ 500; anything else is a 400 that says which.
pub fn paging(q: &ListQuery) -> GovResult<(i64, i64)> {
    let num = |v: &Option<String>, field: &'static str, default: i64, max: i64| match v
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => Ok(default),
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                GovError::invalid(
                    Code::InvalidPaging,
                    field,
                    format!("{field} 须为 1 到 {max} 之间的整数。"),
                    format!("{field} must be a whole number from 1 to {max}"),
                )
            }),
    };
    Ok((
        num(&q.page, "page", 1, 1_000_000)?,
        num(&q.per_page, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)?,
    ))
}

/// The HSDS paginated envelope.
pub fn page_envelope(total: i64, page: i64, per_page: i64, contents: Vec<Value>) -> Value {
    let total_pages = (total + per_page - 1) / per_page;
    json!({
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page,
        "size": contents.len(),
        "first_page": page == 1,
        "last_page": page >= total_pages,
        "empty": contents.is_empty(),
        "contents": contents,
    })
}

/// HSDS clients get JSON errors whatever they accept (the platform would render an
/// HTML page for a browser-like request).
pub struct HsdsError(GovError);

pub type HsdsResult<T> = Result<T, HsdsError>;

impl From<GovError> for HsdsError {
    fn from(e: GovError) -> Self {
        HsdsError(e)
    }
}

impl From<sqlx::Error> for HsdsError {
    fn from(e: sqlx::Error) -> Self {
        HsdsError(e.into())
    }
}

impl axum::response::IntoResponse for HsdsError {
    fn into_response(self) -> axum::response::Response {
        let mut r = platform::AppError::from(self.0).into_response();
        r.extensions_mut()
            .remove::<platform::web::error::ErrorInfo>();
        r
    }
}

fn not_found() -> GovError {
    GovError::NotFound
}

fn uuid_param(raw: &str) -> GovResult<String> {
    parse_uuid(raw).ok_or_else(not_found)
}

fn nonempty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

// ---------------------------------------------------------------------------------------
// Loading published data

/// Gives every organisation that has none its HSDS UUID (derived from its id).
pub async fn ensure_org_uuids(db: &Db) -> sqlx::Result<()> {
    let missing: Vec<(i64,)> = sqlx::query_as(
        "SELECT o.id FROM governance_orgs o LEFT JOIN governance_org_uuids x ON x.org_id = o.id \
         WHERE x.org_id IS NULL ORDER BY o.id",
    )
    .fetch_all(&db.pool)
    .await?;
    for (id,) in missing {
        sqlx::query(
            "INSERT INTO governance_org_uuids (org_id, uuid) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(org_uuid(id))
        .execute(&db.pool)
        .await?;
    }
    Ok(())
}

/// Terms, taxonomies and units: small, read once per request.
pub struct Ctx {
    pub taxonomies: Vec<Taxonomy>,
    pub terms: Vec<Term>,
    pub units: Vec<Unit>,
}

impl Ctx {
    pub async fn load(db: &Db) -> GovResult<Ctx> {
        Ok(Ctx {
            taxonomies: net::taxonomies(db).await?,
            terms: net::terms(db).await?,
            units: gov_core::list_units(db, &gov_core::ScopeFilter(None)).await?,
        })
    }

    pub fn district_name(&self, p: &ServicePoint) -> String {
        let root = p.unit_path.root_path();
        self.units
            .iter()
            .find(|u| u.path == root)
            .map(|u| u.name.clone())
            .unwrap_or_default()
    }

    pub fn unit_code(&self, id: gov_core::UnitId) -> String {
        self.units
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.code.clone())
            .unwrap_or_default()
    }

    /// Every taxonomy, ours and the units one, by UUID.
    pub fn all_taxonomies(&self) -> Vec<Value> {
        let mut v: Vec<Value> = self.taxonomies.iter().map(taxonomy).collect();
        v.push(units_taxonomy());
        v.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
        v
    }

    /// Every term, ours and the units, by UUID.
    pub fn all_terms(&self) -> Vec<Value> {
        let mut v: Vec<Value> = Vec::new();
        for t in &self.terms {
            let Some(tax) = self.taxonomies.iter().find(|x| x.id == t.taxonomy_id) else {
                continue;
            };
            let parent = t
                .parent_id
                .and_then(|p| self.terms.iter().find(|x| x.id == p))
                .map(|p| p.uuid.as_str());
            v.push(term(t, tax, parent));
        }
        for u in &self.units {
            let parent = u
                .parent_id
                .and_then(|p| self.units.iter().find(|x| x.id == p))
                .map(|p| p.code.as_str());
            v.push(unit_term(u, parent));
        }
        v.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
        v
    }
}

/// Organisation uuids (and their hubs') for a page, by uuid.
async fn org_page(
    db: &Db,
    search: Option<&str>,
    limit: i64,
    offset: i64,
) -> GovResult<(i64, Vec<i64>)> {
    ensure_org_uuids(db).await?;
    let mut sql = Sql::default();
    if let Some(s) = search {
        sql.contains("o.name", s);
    }
    let from = "governance_orgs o JOIN governance_org_uuids x ON x.org_id = o.id";
    let total = sql.count(db, from).await?;
    let rows = sql.page(db, "o.id", from, "x.uuid", limit, offset).await?;
    let ids = rows
        .iter()
        .map(|r| sqlx::Row::try_get(r, "id"))
        .collect::<sqlx::Result<Vec<i64>>>()?;
    Ok((total, ids))
}

pub async fn org_uuid_of(db: &Db, id: i64) -> sqlx::Result<Option<String>> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT uuid FROM governance_org_uuids WHERE org_id = $1")
            .bind(id)
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.map(|r| r.0))
}

/// An organisation as published: (record, uuid, hub uuid).
pub async fn published_org(db: &Db, id: i64) -> GovResult<Option<(Org, String, Option<String>)>> {
    let Some(org) = model::find_org(db, id).await? else {
        return Ok(None);
    };
    let Some(uuid) = org_uuid_of(db, id).await? else {
        return Ok(None);
    };
    let hub = match org.hub_id {
        Some(h) => org_uuid_of(db, h).await?,
        None => None,
    };
    Ok(Some((org, uuid, hub)))
}

/// Published services: active, offered by an organisation.
fn published_services(f: &ServiceQuery) -> Sql {
    let mut sql = Sql::default();
    sql.push("s.status = 'active'".into());
    sql.push("s.org_id IS NOT NULL".into());
    if let Some(o) = &f.org_uuid {
        let p = sql.bind(Bind::Text(o.clone()));
        sql.push(format!(
            "EXISTS (SELECT 1 FROM governance_org_uuids ox WHERE ox.org_id = s.org_id AND ox.uuid = {p})"
        ));
    }
    if let Some(t) = &f.term_uuid {
        let p = sql.bind(Bind::Text(t.clone()));
        sql.push(format!(
            "EXISTS (SELECT 1 FROM governance_service_terms st JOIN governance_taxonomy_terms t ON t.id = st.term_id \
             WHERE st.service_id = s.id AND t.uuid = {p})"
        ));
    }
    if let Some(t) = &f.taxonomy_uuid {
        let p = sql.bind(Bind::Text(t.clone()));
        sql.push(format!(
            "EXISTS (SELECT 1 FROM governance_service_terms st JOIN governance_taxonomy_terms t ON t.id = st.term_id \
             JOIN governance_taxonomies x ON x.id = t.taxonomy_id WHERE st.service_id = s.id AND x.uuid = {p})"
        ));
    }
    if let Some(s) = &f.search {
        sql.contains("s.name", s);
    }
    sql
}

#[derive(Default)]
pub struct ServiceQuery {
    pub org_uuid: Option<String>,
    pub term_uuid: Option<String>,
    pub taxonomy_uuid: Option<String>,
    pub search: Option<String>,
}

pub async fn service_page(
    db: &Db,
    f: &ServiceQuery,
    limit: i64,
    offset: i64,
) -> GovResult<(i64, Vec<Service>)> {
    let sql = published_services(f);
    let total = sql.count(db, SERVICE_FROM).await?;
    let rows = sql
        .page(db, "s.id", SERVICE_FROM, "s.uuid", limit, offset)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: i64 = sqlx::Row::try_get(&r, "id")?;
        if let Some(s) = net::find_service(db, id).await? {
            out.push(s);
        }
    }
    Ok((total, out))
}

/// A published service by uuid.
pub async fn published_service(db: &Db, uuid: &str) -> GovResult<Option<Service>> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM governance_services WHERE uuid = $1 AND status = 'active' AND org_id IS NOT NULL",
    )
    .bind(uuid)
    .fetch_optional(&db.pool)
    .await?;
    match row {
        Some((id,)) => Ok(net::find_service(db, id).await?),
        None => Ok(None),
    }
}

/// A published service-at-location row.
#[derive(Clone, Debug)]
pub struct Sal {
    pub uuid: String,
    pub service_id: i64,
    pub service_uuid: String,
    pub point_id: i64,
    pub point_uuid: String,
    pub description: String,
}

const SAL_SELECT: &str = "SELECT sl.uuid, sl.service_id, s.uuid AS service_uuid, sl.point_id, \
    p.uuid AS point_uuid, sl.description \
    FROM governance_service_at_location sl JOIN governance_services s ON s.id = sl.service_id \
    JOIN governance_service_points p ON p.id = sl.point_id \
    WHERE s.status = 'active' AND s.org_id IS NOT NULL";

fn sal_from_row(r: &sqlx::any::AnyRow) -> sqlx::Result<Sal> {
    use sqlx::Row;
    Ok(Sal {
        uuid: r.try_get::<Option<String>, _>("uuid")?.unwrap_or_default(),
        service_id: r.try_get("service_id")?,
        service_uuid: r
            .try_get::<Option<String>, _>("service_uuid")?
            .unwrap_or_default(),
        point_id: r.try_get("point_id")?,
        point_uuid: r
            .try_get::<Option<String>, _>("point_uuid")?
            .unwrap_or_default(),
        description: r.try_get("description")?,
    })
}

pub async fn sal_page(
    db: &Db,
    f: &ServiceQuery,
    limit: i64,
    offset: i64,
) -> GovResult<(i64, Vec<Sal>)> {
    let sql = published_services(f);
    let w = sql.where_clause();
    let total = sql
        .count(
            db,
            "governance_service_at_location sl JOIN governance_services s ON s.id = sl.service_id",
        )
        .await?;
    let rows = sql
        .query(&format!(
            "{SAL_SELECT} AND {w} ORDER BY sl.uuid LIMIT {limit} OFFSET {offset}"
        ))
        .fetch_all(&db.pool)
        .await?;
    Ok((
        total,
        rows.iter().map(sal_from_row).collect::<sqlx::Result<_>>()?,
    ))
}

async fn sal_by_uuid(db: &Db, uuid: &str) -> GovResult<Option<Sal>> {
    let row = sqlx::query(&format!("{SAL_SELECT} AND sl.uuid = $1"))
        .bind(uuid)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.as_ref().map(sal_from_row).transpose()?)
}

async fn sals_of_service(db: &Db, service_id: i64) -> GovResult<Vec<Sal>> {
    let rows = sqlx::query(&format!(
        "{SAL_SELECT} AND sl.service_id = $1 ORDER BY sl.uuid"
    ))
    .bind(service_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(sal_from_row).collect::<sqlx::Result<_>>()?)
}

async fn location_json(db: &Db, ctx: &Ctx, point_id: i64) -> GovResult<Value> {
    let p = net::find_point(db, point_id).await?.ok_or_else(not_found)?;
    Ok(location(&p, &ctx.district_name(&p)))
}

/// A service with its organisation and its locations.
async fn service_nested(db: &Db, ctx: &Ctx, s: &Service) -> GovResult<Value> {
    let org_id = s.org_id.ok_or_else(not_found)?;
    let (org, org_uuid, hub) = published_org(db, org_id).await?.ok_or_else(not_found)?;
    let mut v = service_full(s, &org_uuid, &ctx.terms);
    v["organization"] = org_basic(&org, &org_uuid, hub.as_deref());
    let mut sals = Vec::new();
    for sal in sals_of_service(db, s.id).await? {
        let mut x = service_at_location_basic(
            &sal.uuid,
            &sal.service_uuid,
            &sal.point_uuid,
            &sal.description,
        );
        x["location"] = location_json(db, ctx, sal.point_id).await?;
        sals.push(x);
    }
    v["service_at_locations"] = Value::Array(sals);
    Ok(v)
}

// ---------------------------------------------------------------------------------------
// Handlers

async fn meta(headers: HeaderMap) -> Json<Value> {
    let origin = platform::web::feed::forwarded_origin(&headers);
    Json(json!({
        "version": HSDS_VERSION,
        "profile": "https://specs.openreferral.org/en/latest/",
        "openapi_url": format!("{origin}/api/v1/openapi.json"),
    }))
}

async fn organizations(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> HsdsResult<Json<Value>> {
    let (page, per_page) = paging(&q)?;
    let (total, ids) = org_page(
        &state.db,
        nonempty(&q.search),
        per_page,
        (page - 1) * per_page,
    )
    .await?;
    let mut contents = Vec::new();
    for id in ids {
        if let Some((o, u, hub)) = published_org(&state.db, id).await? {
            contents.push(org_basic(&o, &u, hub.as_deref()));
        }
    }
    Ok(Json(page_envelope(total, page, per_page, contents)))
}

async fn organization(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> HsdsResult<Json<Value>> {
    let uuid = uuid_param(&id)?;
    ensure_org_uuids(&state.db).await?;
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT org_id FROM governance_org_uuids WHERE uuid = $1")
            .bind(&uuid)
            .fetch_optional(&state.db.pool)
            .await?;
    let (org_id,) = row.ok_or_else(not_found)?;
    let (org, u, hub) = published_org(&state.db, org_id)
        .await?
        .ok_or_else(not_found)?;
    let ctx = Ctx::load(&state.db).await?;
    let mut v = org_full(&org, &u, hub.as_deref(), &ctx.unit_code(org.unit_id));
    let f = ServiceQuery {
        org_uuid: Some(u.clone()),
        ..ServiceQuery::default()
    };
    let (_, list) = service_page(&state.db, &f, 10_000, 0).await?;
    let mut services = Vec::new();
    for s in &list {
        services.push(service_full(s, &u, &ctx.terms));
    }
    v["services"] = Value::Array(services);
    Ok(Json(v))
}

/// An id filter: a UUID, or (when it is not one) a value that matches nothing rather than everything.
fn uuid_filter(v: &Option<String>) -> Option<String> {
    nonempty(v).map(|s| parse_uuid(s).unwrap_or_else(|| "-".into()))
}

fn service_query(q: &ListQuery) -> ServiceQuery {
    let id = uuid_filter;
    ServiceQuery {
        org_uuid: id(&q.organization_id),
        term_uuid: id(&q.taxonomy_term_id),
        taxonomy_uuid: id(&q.taxonomy_id),
        search: nonempty(&q.search).map(|s| s.chars().take(100).collect()),
    }
}

async fn service_list(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> HsdsResult<Json<Value>> {
    let (page, per_page) = paging(&q)?;
    let (total, list) = service_page(
        &state.db,
        &service_query(&q),
        per_page,
        (page - 1) * per_page,
    )
    .await?;
    let mut org_uuids: HashMap<i64, String> = HashMap::new();
    let mut contents = Vec::new();
    for s in &list {
        let org_id = s.org_id.unwrap_or(0);
        let u = match org_uuids.get(&org_id) {
            Some(u) => u.clone(),
            None => {
                let u = org_uuid_of(&state.db, org_id).await?.unwrap_or_default();
                org_uuids.insert(org_id, u.clone());
                u
            }
        };
        contents.push(service_basic(s, &u));
    }
    Ok(Json(page_envelope(total, page, per_page, contents)))
}

async fn service(State(state): State<AppState>, Path(id): Path<String>) -> HsdsResult<Json<Value>> {
    let uuid = uuid_param(&id)?;
    ensure_org_uuids(&state.db).await?;
    let s = published_service(&state.db, &uuid)
        .await?
        .ok_or_else(not_found)?;
    let ctx = Ctx::load(&state.db).await?;
    Ok(Json(service_nested(&state.db, &ctx, &s).await?))
}

async fn sal_list(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> HsdsResult<Json<Value>> {
    let (page, per_page) = paging(&q)?;
    let (total, list) = sal_page(
        &state.db,
        &service_query(&q),
        per_page,
        (page - 1) * per_page,
    )
    .await?;
    let contents = list
        .iter()
        .map(|s| service_at_location_basic(&s.uuid, &s.service_uuid, &s.point_uuid, &s.description))
        .collect();
    Ok(Json(page_envelope(total, page, per_page, contents)))
}

async fn sal(State(state): State<AppState>, Path(id): Path<String>) -> HsdsResult<Json<Value>> {
    let uuid = uuid_param(&id)?;
    ensure_org_uuids(&state.db).await?;
    let sal = sal_by_uuid(&state.db, &uuid).await?.ok_or_else(not_found)?;
    let ctx = Ctx::load(&state.db).await?;
    let s = net::find_service(&state.db, sal.service_id)
        .await?
        .ok_or_else(not_found)?;
    let org_uuid = org_uuid_of(&state.db, s.org_id.unwrap_or(0))
        .await?
        .ok_or_else(not_found)?;
    let mut v = service_at_location_basic(
        &sal.uuid,
        &sal.service_uuid,
        &sal.point_uuid,
        &sal.description,
    );
    v["location"] = location_json(&state.db, &ctx, sal.point_id).await?;
    v["service"] = service_full(&s, &org_uuid, &ctx.terms);
    Ok(Json(v))
}

fn slice(all: Vec<Value>, page: i64, per_page: i64) -> Value {
    let total = all.len() as i64;
    let contents: Vec<Value> = all
        .into_iter()
        .skip(((page - 1) * per_page) as usize)
        .take(per_page as usize)
        .collect();
    page_envelope(total, page, per_page, contents)
}

/// The items whose `keys` contain the `search` text (all when there is none).
fn searched(mut all: Vec<Value>, q: &ListQuery, keys: &[&str]) -> Vec<Value> {
    if let Some(s) = nonempty(&q.search) {
        all.retain(|t| {
            keys.iter()
                .any(|k| t[*k].as_str().is_some_and(|n| n.contains(s)))
        });
    }
    all
}

/// The one item with this id, or 404.
fn by_id(all: Vec<Value>, uuid: &str) -> HsdsResult<Json<Value>> {
    all.into_iter()
        .find(|t| t["id"].as_str() == Some(uuid))
        .map(Json)
        .ok_or_else(|| not_found().into())
}

async fn taxonomy_list(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> HsdsResult<Json<Value>> {
    let (page, per_page) = paging(&q)?;
    let ctx = Ctx::load(&state.db).await?;
    let all = searched(ctx.all_taxonomies(), &q, &["name", "description"]);
    Ok(Json(slice(all, page, per_page)))
}

async fn taxonomy_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> HsdsResult<Json<Value>> {
    let uuid = uuid_param(&id)?;
    by_id(Ctx::load(&state.db).await?.all_taxonomies(), &uuid)
}

async fn term_list(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> HsdsResult<Json<Value>> {
    let (page, per_page) = paging(&q)?;
    let ctx = Ctx::load(&state.db).await?;
    let mut all = ctx.all_terms();
    if let Some(t) = uuid_filter(&q.taxonomy_id) {
        all.retain(|x| x["taxonomy_id"].as_str() == Some(t.as_str()));
    }
    if let Some(p) = uuid_filter(&q.parent_id) {
        all.retain(|x| x["parent_id"].as_str() == Some(p.as_str()));
    }
    if nonempty(&q.top_only).is_some_and(|v| v == "true" || v == "1") {
        all.retain(|x| x.get("parent_id").is_none());
    }
    Ok(Json(slice(
        searched(all, &q, &["name", "code"]),
        page,
        per_page,
    )))
}

async fn term_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> HsdsResult<Json<Value>> {
    let uuid = uuid_param(&id)?;
    by_id(Ctx::load(&state.db).await?.all_terms(), &uuid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_is_checked() {
        let q = |p: Option<&str>, pp: Option<&str>| ListQuery {
            page: p.map(String::from),
            per_page: pp.map(String::from),
            ..ListQuery::default()
        };
        assert_eq!(paging(&q(None, None)).unwrap(), (1, DEFAULT_PER_PAGE));
        assert_eq!(paging(&q(Some("3"), Some("10"))).unwrap(), (3, 10));
        for (p, pp) in [
            ("0", "10"),
            ("-1", "10"),
            ("x", "10"),
            ("1", "0"),
            ("1", "501"),
            ("1", "1.5"),
        ] {
            assert!(paging(&q(Some(p), Some(pp))).is_err(), "{p} {pp}");
        }
    }

    #[test]
    fn the_envelope_counts_pages() {
        let e = page_envelope(101, 2, 50, vec![json!({}); 50]);
        assert_eq!(e["total_pages"], 3);
        assert_eq!(e["first_page"], false);
        assert_eq!(e["last_page"], false);
        assert_eq!(e["size"], 50);
        let e = page_envelope(0, 1, 50, vec![]);
        assert_eq!(e["total_pages"], 0);
        assert_eq!(e["empty"], true);
        assert_eq!(e["last_page"], true);
    }
}
