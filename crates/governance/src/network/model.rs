//! The service network (SPEC G3) as stored: service points (楼宇服务点, 社区生活服务中心),
//! the community-service taxonomy and the services organisations or units offer at those
//! points, with the scoped queries that read them and the name-based UUIDs HSDS publishes.
//! Writes, each checked with `authorize`, are in `service`.

use crate::authz::Action;
use crate::authz::Scope;
use crate::authz::authorize;
use crate::error::{GovError, GovResult};
use crate::listing::Listing;
use gov_core::Bind;
use gov_core::GovActor;
use gov_core::ScopeFilter;
use gov_core::Sql;
use gov_core::UnitId;
use gov_core::UnitPath;
use platform::AppState;
use platform::db::Db;
use platform::web::Lang;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::FromRow;
use std::marker::PhantomData;

/// The key (and HSDS name) of our own taxonomy of community service categories.
pub const TAXONOMY: &str = "gongzhi-community-services";

platform::vocabulary! {
    PointKind {
        BuildingServicePoint = "building_service_point", "楼宇服务点", "Building service point";
        CommunityServiceCentre = "community_service_centre", "社区生活服务中心", "Community service centre";
        Other = "other", "其他服务场所", "Other place";
    }
}

platform::vocabulary! {
    ServiceStatus {
        Active = "active", "提供中", "Active";
        Inactive = "inactive", "暂停", "Inactive";
        Defunct = "defunct", "已停止", "Defunct";
    }
}

pub const WEEKDAYS: [(&str, &str, &str); 7] = [
    ("MO", "周一", "Mon"),
    ("TU", "周二", "Tue"),
    ("WE", "周三", "Wed"),
    ("TH", "周四", "Thu"),
    ("FR", "周五", "Fri"),
    ("SA", "周六", "Sat"),
    ("SU", "周日", "Sun"),
];

/// One opening: weekday 1 (Monday) … 7 (Sunday), times `HH:MM`, closing after opening.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hours {
    pub weekday: i64,
    pub opens: String,
    pub closes: String,
}

impl Hours {
    pub fn day_code(&self) -> &'static str {
        WEEKDAYS[(self.weekday.clamp(1, 7) - 1) as usize].0
    }

    pub fn day_label(&self, lang: Lang) -> &'static str {
        let d = WEEKDAYS[(self.weekday.clamp(1, 7) - 1) as usize];
        lang.pick(d.1, d.2)
    }
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ServicePoint {
    pub id: i64,
    #[sqlx(try_from = "platform::db::OrEmpty")]
    pub uuid: String,
    pub kind: PointKind,
    pub name: String,
    pub description: String,
    pub address: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub unit_id: UnitId,
    pub unit_name: String,
    pub unit_code: String,
    #[serde(skip)]
    pub unit_path: UnitPath,
    pub contact_phone: String,
    #[sqlx(skip)]
    pub hours: Vec<Hours>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Term {
    pub id: i64,
    pub uuid: String,
    pub taxonomy_id: i64,
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub description: String,
    pub parent_id: Option<i64>,
    pub sort: i64,
}

impl Term {
    pub fn label(&self, lang: Lang) -> &str {
        if lang.is_en() && !self.name_en.is_empty() {
            &self.name_en
        } else {
            &self.name
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Taxonomy {
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub description: String,
    pub version: String,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Service {
    pub id: i64,
    #[sqlx(try_from = "platform::db::OrEmpty")]
    pub uuid: String,
    pub org_id: Option<i64>,
    pub org_name: Option<String>,
    /// The unit the service belongs to: its organisation's home unit, or its own.
    pub unit_id: UnitId,
    pub unit_name: String,
    #[serde(skip)]
    pub unit_path: UnitPath,
    pub name: String,
    pub description: String,
    pub schedule: String,
    pub eligibility: String,
    pub capacity: Option<i64>,
    pub contact_phone: String,
    pub status: ServiceStatus,
    /// Category codes of our taxonomy.
    #[sqlx(skip)]
    pub categories: Vec<String>,
    /// Ids of the service points where it is delivered.
    #[sqlx(skip)]
    pub point_ids: Vec<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

// ---------------------------------------------------------------------------------------
// Reading

const POINT_COLUMNS: &str = "p.id, p.uuid, p.kind, p.name, p.description, p.address, p.latitude, p.longitude, \
    p.unit_id, u.name AS unit_name, u.code AS unit_code, u.path AS unit_path, p.contact_phone, p.created_at, p.updated_at";

const POINT_FROM: &str = "governance_service_points p JOIN governance_units u ON u.id = p.unit_id";

/// Ids are integers we read ourselves, so inlining them is safe.
pub(crate) fn id_list(ids: impl Iterator<Item = i64>) -> String {
    ids.map(|i| i.to_string()).collect::<Vec<_>>().join(",")
}

async fn attach_hours(db: &Db, points: &mut [ServicePoint]) -> sqlx::Result<()> {
    if points.is_empty() {
        return Ok(());
    }
    let text = format!(
        "SELECT point_id, weekday, opens, closes FROM governance_point_hours WHERE point_id IN ({}) \
         ORDER BY weekday, opens",
        id_list(points.iter().map(|p| p.id))
    );
    let rows: Vec<(i64, i64, String, String)> = sqlx::query_as(&text).fetch_all(&db.pool).await?;
    for (id, weekday, opens, closes) in rows {
        if let Some(p) = points.iter_mut().find(|p| p.id == id) {
            p.hours.push(Hours {
                weekday,
                opens,
                closes,
            });
        }
    }
    Ok(())
}

const POINTS: Listing<ServicePoint> = Listing {
    columns: POINT_COLUMNS,
    from: POINT_FROM,
    id: "p.id",
    record: PhantomData,
};

pub async fn find_point(db: &Db, id: i64) -> sqlx::Result<Option<ServicePoint>> {
    let mut v: Vec<_> = POINTS.by_id(db, id).await?.into_iter().collect();
    attach_hours(db, &mut v).await?;
    Ok(v.pop())
}

#[derive(Clone, Debug, Default)]
pub struct PointFilter {
    pub kind: Option<PointKind>,
    pub unit: Option<UnitPath>,
    pub name: Option<String>,
}

fn point_where(scope: &ScopeFilter, f: &PointFilter) -> Sql {
    let mut sql = Sql::default();
    scope.apply(&mut sql, "u.path");
    if let Some(k) = f.kind {
        let p = sql.bind(Bind::Text(k.as_str().into()));
        sql.push(format!("p.kind = {p}"));
    }
    if let Some(unit) = &f.unit {
        sql.within("u.path", unit);
    }
    if let Some(name) = f.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        sql.contains("p.name", name);
    }
    sql
}

pub async fn count_points(db: &Db, scope: &ScopeFilter, f: &PointFilter) -> sqlx::Result<i64> {
    point_where(scope, f).count(db, POINT_FROM).await
}

pub async fn list_points(
    db: &Db,
    scope: &ScopeFilter,
    f: &PointFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<ServicePoint>> {
    let order = "u.path, p.kind, p.name, p.id";
    let mut points = POINTS
        .page(db, &point_where(scope, f), order, limit, offset)
        .await?;
    attach_hours(db, &mut points).await?;
    Ok(points)
}

/// Points by id (for a service's locations), in id order.
pub async fn points_by_ids(db: &Db, ids: &[i64]) -> sqlx::Result<Vec<ServicePoint>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let text = format!(
        "SELECT {POINT_COLUMNS} FROM {POINT_FROM} WHERE p.id IN ({}) ORDER BY p.id",
        id_list(ids.iter().copied())
    );
    let rows = sqlx::query(&text).fetch_all(&db.pool).await?;
    let mut points: Vec<ServicePoint> = rows
        .iter()
        .map(ServicePoint::from_row)
        .collect::<sqlx::Result<_>>()?;
    attach_hours(db, &mut points).await?;
    Ok(points)
}

pub async fn taxonomies(db: &Db) -> sqlx::Result<Vec<Taxonomy>> {
    let rows: Vec<(i64, String, String, String, String)> = sqlx::query_as(
        "SELECT id, uuid, name, description, version FROM governance_taxonomies ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, uuid, name, description, version)| Taxonomy {
            id,
            uuid,
            name,
            description,
            version,
        })
        .collect())
}

/// Every term of every stored taxonomy, parents before children within a taxonomy.
pub async fn terms(db: &Db) -> sqlx::Result<Vec<Term>> {
    sqlx::query_as(
        "SELECT id, uuid, taxonomy_id, code, name, name_en, description, parent_id, sort \
         FROM governance_taxonomy_terms ORDER BY taxonomy_id, sort, id",
    )
    .fetch_all(&db.pool)
    .await
}

/// The categories of our own taxonomy, in display order.
pub async fn categories(db: &Db) -> sqlx::Result<Vec<Term>> {
    let tax: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM governance_taxonomies WHERE name = $1")
            .bind(TAXONOMY)
            .fetch_optional(&db.pool)
            .await?;
    let Some((tax,)) = tax else {
        return Ok(Vec::new());
    };
    Ok(terms(db)
        .await?
        .into_iter()
        .filter(|t| t.taxonomy_id == tax)
        .collect())
}

const SERVICE_COLUMNS: &str = "s.id, s.uuid, s.org_id, o.name AS org_name, u.id AS unit_id, u.name AS unit_name, u.path AS unit_path, s.name, s.description, \
    s.schedule, s.eligibility, s.capacity, s.contact_phone, s.status, s.created_at, s.updated_at";

pub(crate) const SERVICE_FROM: &str = "governance_services s LEFT JOIN governance_orgs o ON o.id = s.org_id \
    JOIN governance_units u ON u.id = COALESCE(o.unit_id, s.unit_id)";

async fn attach_links(db: &Db, services: &mut [Service]) -> sqlx::Result<()> {
    if services.is_empty() {
        return Ok(());
    }
    let ids = id_list(services.iter().map(|s| s.id));
    let text = format!(
        "SELECT st.service_id, t.code FROM governance_service_terms st \
         JOIN governance_taxonomy_terms t ON t.id = st.term_id WHERE st.service_id IN ({ids}) \
         ORDER BY t.sort, t.id"
    );
    let rows: Vec<(i64, String)> = sqlx::query_as(&text).fetch_all(&db.pool).await?;
    for (id, code) in rows {
        if let Some(s) = services.iter_mut().find(|s| s.id == id) {
            s.categories.push(code);
        }
    }
    let text = format!(
        "SELECT service_id, point_id FROM governance_service_at_location WHERE service_id IN ({ids}) \
         ORDER BY point_id"
    );
    let rows: Vec<(i64, i64)> = sqlx::query_as(&text).fetch_all(&db.pool).await?;
    for (id, point) in rows {
        if let Some(s) = services.iter_mut().find(|s| s.id == id) {
            s.point_ids.push(point);
        }
    }
    Ok(())
}

const SERVICES: Listing<Service> = Listing {
    columns: SERVICE_COLUMNS,
    from: SERVICE_FROM,
    id: "s.id",
    record: PhantomData,
};

pub async fn find_service(db: &Db, id: i64) -> sqlx::Result<Option<Service>> {
    let mut v: Vec<_> = SERVICES.by_id(db, id).await?.into_iter().collect();
    attach_links(db, &mut v).await?;
    Ok(v.pop())
}

#[derive(Clone, Debug, Default)]
pub struct ServiceFilter {
    /// A category code: services in it or in one of its sub-categories.
    pub category: Option<String>,
    pub unit: Option<UnitPath>,
    pub org_id: Option<i64>,
    pub point_id: Option<i64>,
    pub status: Option<ServiceStatus>,
    pub name: Option<String>,
}

fn service_where(scope: &ScopeFilter, f: &ServiceFilter) -> Sql {
    let mut sql = Sql::default();
    scope.apply(&mut sql, "u.path");
    if let Some(code) = &f.category {
        let p = sql.bind(Bind::Text(code.clone()));
        sql.push(format!(
            "EXISTS (SELECT 1 FROM governance_service_terms st JOIN governance_taxonomy_terms t ON t.id = st.term_id \
             LEFT JOIN governance_taxonomy_terms tp ON tp.id = t.parent_id \
             WHERE st.service_id = s.id AND (t.code = {p} OR tp.code = {p}))"
        ));
    }
    if let Some(unit) = &f.unit {
        sql.within("u.path", unit);
    }
    if let Some(org) = f.org_id {
        let p = sql.bind(Bind::Int(org));
        sql.push(format!("s.org_id = {p}"));
    }
    if let Some(point) = f.point_id {
        let p = sql.bind(Bind::Int(point));
        sql.push(format!(
            "EXISTS (SELECT 1 FROM governance_service_at_location sl WHERE sl.service_id = s.id AND sl.point_id = {p})"
        ));
    }
    if let Some(st) = f.status {
        let p = sql.bind(Bind::Text(st.as_str().into()));
        sql.push(format!("s.status = {p}"));
    }
    if let Some(name) = f.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        sql.contains("s.name", name);
    }
    sql
}

pub async fn count_services(db: &Db, scope: &ScopeFilter, f: &ServiceFilter) -> sqlx::Result<i64> {
    service_where(scope, f).count(db, SERVICE_FROM).await
}

pub async fn list_services(
    db: &Db,
    scope: &ScopeFilter,
    f: &ServiceFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Service>> {
    let mut services = SERVICES
        .page(db, &service_where(scope, f), "s.name, s.id", limit, offset)
        .await?;
    attach_links(db, &mut services).await?;
    Ok(services)
}

// ---------------------------------------------------------------------------------------
// Loading with authorisation

/// A service point the actor may perform `action` on (404 when out of scope).
pub async fn load_point(
    state: &AppState,
    actor: &GovActor,
    id: i64,
    action: Action,
) -> GovResult<ServicePoint> {
    authorize(actor, Action::View, &Scope::Anywhere)?;
    let p = find_point(&state.db, id).await?.ok_or(GovError::NotFound)?;
    authorize(actor, action, &Scope::Unit(&p.unit_path))?;
    Ok(p)
}

/// A service the actor may perform `action` on (404 when out of scope).
pub async fn load_service(
    state: &AppState,
    actor: &GovActor,
    id: i64,
    action: Action,
) -> GovResult<Service> {
    authorize(actor, Action::View, &Scope::Anywhere)?;
    let s = find_service(&state.db, id)
        .await?
        .ok_or(GovError::NotFound)?;
    authorize(actor, action, &Scope::Unit(&s.unit_path))?;
    Ok(s)
}

/// The namespace our UUIDs are derived in (fixed forever: changing it renames everything).
const NAMESPACE: [u8; 16] = [
    0x6f, 0x0e, 0x2a, 0x4c, 0x9b, 0x1d, 0x4c, 0x3e, 0x8a, 0x57, 0x2d, 0x4b, 0x9e, 0x1f, 0x7c, 0x30,
];

/// A name-based UUID (RFC 9562 version 8): SHA-256 of namespace + name, first 16 bytes,
/// with the version and variant bits set. The same name always gives the same UUID.
pub fn derive_uuid(name: &str) -> String {
    let mut h = Sha256::new();
    h.update(NAMESPACE);
    h.update(name.as_bytes());
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}
