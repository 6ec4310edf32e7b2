//! Changing the service network: validation of service points and services, and their
//! writes (with opening hours, categories and HSDS identifiers), each checked first.

use crate::authz::Action;
use crate::authz::Scope;
use crate::authz::authorize;
use crate::error::{GovError, GovResult};
use crate::listing::AnyQuery;
use crate::network::model::Hours;
use crate::network::model::PointKind;
use crate::network::model::Service;
use crate::network::model::ServiceStatus;
use crate::network::model::TAXONOMY;
use crate::network::model::find_point;
use crate::network::model::load_point;
use crate::network::model::load_service;
use crate::registry::model;
use crate::trail::record_at;
use gov_core::Denied;
use gov_core::GovActor;
use gov_core::UnitId;
use gov_core::UnitPath;
use platform::AppState;
use platform::db::Tx;
use platform::web::Code;
use serde::Deserialize;

// ---------------------------------------------------------------------------------------
// Validation

fn text(
    field: &'static str,
    raw: Option<&str>,
    min: usize,
    max: usize,
    zh: &str,
    en: &str,
) -> GovResult<String> {
    let v = raw.unwrap_or("").trim();
    let n = v.chars().count();
    let multiline = max > 200;
    let bad_char = v
        .chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\r' || c == '\t')));
    if n < min || n > max || bad_char {
        return Err(GovError::invalid(
            if n < min && min > 0 {
                Code::MissingField
            } else {
                Code::InvalidField
            },
            field,
            if min > 0 {
                format!("请填写{zh}（{min}–{max} 个字符）。")
            } else {
                format!("{zh}最多 {max} 个字符。")
            },
            if min > 0 {
                format!("{en} must be {min} to {max} characters")
            } else {
                format!("{en} may have at most {max} characters")
            },
        ));
    }
    Ok(v.to_string())
}

pub fn phone(raw: Option<&str>) -> GovResult<String> {
    crate::input::phone(raw.unwrap_or(""))
}

/// `HH:MM` on a 24-hour clock.
pub fn parse_time(raw: &str) -> Option<String> {
    let v = raw.trim();
    let (h, m) = v.split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then(|| format!("{h:02}:{m:02}"))
}

pub fn check_hours(hours: &[Hours]) -> GovResult<Vec<Hours>> {
    let bad = |zh: String, en: String| GovError::invalid(Code::InvalidHours, "hours", zh, en);
    if hours.len() > 28 {
        return Err(bad(
            "开放时间最多 28 段。".into(),
            "at most 28 opening periods".into(),
        ));
    }
    let mut out: Vec<Hours> = Vec::new();
    for h in hours {
        if !(1..=7).contains(&h.weekday) {
            return Err(bad(
                "星期须为 1（周一）到 7（周日）。".into(),
                "weekday must be 1 (Monday) to 7 (Sunday)".into(),
            ));
        }
        let (Some(opens), Some(closes)) = (parse_time(&h.opens), parse_time(&h.closes)) else {
            return Err(bad(
                format!(
                    "“{} – {}”不是有效的时间，请用 24 小时制 HH:MM。",
                    h.opens, h.closes
                ),
                format!(
                    "“{} – {}” is not a valid time; use HH:MM on a 24-hour clock",
                    h.opens, h.closes
                ),
            ));
        };
        if closes <= opens {
            return Err(bad(
                format!("{opens} 开门、{closes} 关门：关门时间须晚于开门时间。"),
                format!("opens {opens}, closes {closes}: closing must be after opening"),
            ));
        }
        if out
            .iter()
            .any(|o| o.weekday == h.weekday && o.opens == opens)
        {
            return Err(bad(
                "同一天的同一开门时间填写了两次。".into(),
                "the same opening time is given twice for one day".into(),
            ));
        }
        out.push(Hours {
            weekday: h.weekday,
            opens,
            closes,
        });
    }
    out.sort_by(|a, b| (a.weekday, &a.opens).cmp(&(b.weekday, &b.opens)));
    Ok(out)
}

/// A service point as sent by a form or the API.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointInput {
    pub kind: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub unit_id: Option<i64>,
    pub contact_phone: Option<String>,
    pub hours: Option<Vec<Hours>>,
}

#[derive(Clone, Debug)]
pub struct PointDraft {
    pub kind: PointKind,
    pub name: String,
    pub description: String,
    pub address: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub unit_id: UnitId,
    pub contact_phone: String,
    pub hours: Vec<Hours>,
}

pub fn validate_point(i: &PointInput) -> GovResult<PointDraft> {
    let kind = PointKind::parse(i.kind.as_deref().unwrap_or("")).ok_or_else(|| {
        GovError::invalid(
            Code::InvalidKind,
            "kind",
            "类型须为 building_service_point（楼宇服务点）、community_service_centre（社区生活服务中心）或 other。",
            "kind must be building_service_point, community_service_centre or other",
        )
    })?;
    let name = text("name", i.name.as_deref(), 2, 100, "名称", "the name")?;
    let description = text(
        "description",
        i.description.as_deref(),
        0,
        2000,
        "简介",
        "the description",
    )?;
    let address = text(
        "address",
        i.address.as_deref(),
        0,
        200,
        "地址",
        "the address",
    )?;
    let coord = |v: Option<f64>, limit: f64, field: &'static str| -> GovResult<Option<f64>> {
        match v {
            None => Ok(None),
            Some(x) if x.is_finite() && x.abs() <= limit => Ok(Some(x)),
            Some(_) => Err(GovError::invalid(
                Code::InvalidCoordinates,
                field,
                "纬度须在 -90 到 90 之间，经度须在 -180 到 180 之间。",
                "latitude must be within -90..90 and longitude within -180..180",
            )),
        }
    };
    let latitude = coord(i.latitude, 90.0, "latitude")?;
    let longitude = coord(i.longitude, 180.0, "longitude")?;
    if latitude.is_some() != longitude.is_some() {
        return Err(GovError::invalid(
            Code::InvalidCoordinates,
            "latitude",
            "经纬度须同时填写或同时留空。",
            "give both latitude and longitude, or neither",
        ));
    }
    let unit_id = i.unit_id.filter(|u| *u > 0).map(UnitId).ok_or_else(|| {
        GovError::invalid(
            Code::MissingField,
            "unit_id",
            "请选择服务的单位。",
            "the unit served is required",
        )
    })?;
    Ok(PointDraft {
        kind,
        name,
        description,
        address,
        latitude,
        longitude,
        unit_id,
        contact_phone: phone(i.contact_phone.as_deref())?,
        hours: check_hours(i.hours.as_deref().unwrap_or(&[]))?,
    })
}

/// A service as sent by a form or the API: offered by `org_id`, or by `unit_id` directly.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceInput {
    pub org_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub schedule: Option<String>,
    pub eligibility: Option<String>,
    pub capacity: Option<i64>,
    pub contact_phone: Option<String>,
    pub status: Option<String>,
    pub categories: Option<Vec<String>>,
    pub point_ids: Option<Vec<i64>>,
}

impl ServiceInput {
    pub fn from_service(s: &Service) -> ServiceInput {
        ServiceInput {
            org_id: s.org_id,
            unit_id: if s.org_id.is_none() {
                Some(s.unit_id.0)
            } else {
                None
            },
            name: Some(s.name.clone()),
            description: Some(s.description.clone()),
            schedule: Some(s.schedule.clone()),
            eligibility: Some(s.eligibility.clone()),
            capacity: s.capacity,
            contact_phone: Some(s.contact_phone.clone()),
            status: Some(s.status.as_str().into()),
            categories: Some(s.categories.clone()),
            point_ids: Some(s.point_ids.clone()),
        }
    }
}

#[derive(Clone, Debug)]
pub enum Provider {
    Org(i64),
    Unit(UnitId),
}

#[derive(Clone, Debug)]
pub struct ServiceDraft {
    pub provider: Provider,
    pub name: String,
    pub description: String,
    pub schedule: String,
    pub eligibility: String,
    pub capacity: Option<i64>,
    pub contact_phone: String,
    pub status: ServiceStatus,
    pub categories: Vec<String>,
    pub point_ids: Vec<i64>,
}

pub fn validate_service(i: &ServiceInput) -> GovResult<ServiceDraft> {
    let provider = match (i.org_id.filter(|v| *v > 0), i.unit_id.filter(|v| *v > 0)) {
        (Some(o), None) => Provider::Org(o),
        (None, Some(u)) => Provider::Unit(UnitId(u)),
        (Some(_), Some(_)) => {
            return Err(GovError::invalid(
                Code::ProviderAmbiguous,
                "org_id",
                "服务由社会组织或单位提供，二者只能选一个。",
                "a service is offered by an organisation or by a unit, not both",
            ));
        }
        (None, None) => {
            return Err(GovError::invalid(
                Code::MissingField,
                "org_id",
                "请选择提供服务的社会组织或单位。",
                "choose the organisation or unit that offers the service",
            ));
        }
    };
    let name = text("name", i.name.as_deref(), 2, 100, "服务名称", "the name")?;
    let description = text(
        "description",
        i.description.as_deref(),
        0,
        2000,
        "服务内容",
        "the description",
    )?;
    let schedule = text(
        "schedule",
        i.schedule.as_deref(),
        0,
        200,
        "服务时间",
        "the schedule",
    )?;
    let eligibility = text(
        "eligibility",
        i.eligibility.as_deref(),
        0,
        500,
        "服务对象",
        "the eligibility",
    )?;
    if let Some(c) = i.capacity
        && !(0..=1_000_000).contains(&c)
    {
        return Err(GovError::invalid(
            Code::InvalidField,
            "capacity",
            "服务容量须为 0 到 1,000,000 之间的整数。",
            "capacity must be a whole number from 0 to 1,000,000",
        ));
    }
    let status = match i.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => ServiceStatus::Active,
        Some(s) => ServiceStatus::parse(s).ok_or_else(|| {
            GovError::invalid(
                Code::InvalidStatus,
                "status",
                "状态须为 active（提供中）、inactive（暂停）或 defunct（已停止）。",
                "status must be active, inactive or defunct",
            )
        })?,
    };
    let mut categories: Vec<String> = Vec::new();
    for c in i.categories.as_deref().unwrap_or(&[]) {
        let c = c.trim().to_string();
        if !c.is_empty() && !categories.contains(&c) {
            categories.push(c);
        }
    }
    if categories.len() > 10 {
        return Err(GovError::invalid(
            Code::InvalidCategory,
            "categories",
            "服务类别最多选 10 个。",
            "choose at most 10 categories",
        ));
    }
    let mut point_ids: Vec<i64> = Vec::new();
    for p in i.point_ids.as_deref().unwrap_or(&[]) {
        if !point_ids.contains(p) {
            point_ids.push(*p);
        }
    }
    if point_ids.len() > 50 {
        return Err(GovError::invalid(
            Code::InvalidPoint,
            "point_ids",
            "服务地点最多 50 个。",
            "at most 50 service points",
        ));
    }
    Ok(ServiceDraft {
        provider,
        name,
        description,
        schedule,
        eligibility,
        capacity: i.capacity,
        contact_phone: phone(i.contact_phone.as_deref())?,
        status,
        categories,
        point_ids,
    })
}

// ---------------------------------------------------------------------------------------
// Writing

/// A unit the actor may attach service-network records to; out of scope reads as unknown.
async fn editable_unit(
    state: &AppState,
    actor: &GovActor,
    id: UnitId,
) -> GovResult<gov_core::Unit> {
    let unknown = || {
        GovError::invalid(
            Code::UnknownUnit,
            "unit_id",
            "所选的单位不存在。",
            "the unit does not exist",
        )
    };
    let unit = gov_core::find_unit(&state.db, id)
        .await?
        .ok_or_else(unknown)?;
    authorize(actor, Action::EditService, &Scope::Unit(&unit.path)).map_err(|d| match d {
        Denied::Hidden => unknown(),
        other => other.into(),
    })?;
    Ok(unit)
}

/// The unit path of a draft's provider, authorised for editing.
async fn provider_path(
    state: &AppState,
    actor: &GovActor,
    provider: &Provider,
) -> GovResult<UnitPath> {
    match provider {
        Provider::Unit(u) => Ok(editable_unit(state, actor, *u).await?.path),
        Provider::Org(id) => {
            let unknown = || {
                GovError::invalid(
                    Code::UnknownOrg,
                    "org_id",
                    "所选的社会组织不存在。",
                    "the organisation does not exist",
                )
            };
            let org = model::find_org(&state.db, *id).await?.ok_or_else(unknown)?;
            authorize(actor, Action::EditService, &Scope::Unit(&org.unit_path)).map_err(
                |d| match d {
                    Denied::Hidden => unknown(),
                    other => other.into(),
                },
            )?;
            Ok(org.unit_path)
        }
    }
}

/// Category codes → term ids (unknown codes are an input error).
async fn category_ids(tx: &mut Tx, codes: &[String]) -> GovResult<Vec<i64>> {
    let mut ids = Vec::new();
    for code in codes {
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT t.id FROM governance_taxonomy_terms t JOIN governance_taxonomies x ON x.id = t.taxonomy_id \
             WHERE x.name = $1 AND t.code = $2",
        )
        .bind(TAXONOMY)
        .bind(code)
        .fetch_optional(&mut **tx)
        .await?;
        let (id,) = row.ok_or_else(|| {
            GovError::invalid(
                Code::InvalidCategory,
                "categories",
                format!("未知的服务类别“{code}”。"),
                format!("unknown category “{code}”"),
            )
        })?;
        ids.push(id);
    }
    Ok(ids)
}

/// Points must exist and be visible to the actor (a service may be delivered at any point
/// the actor can see, e.g. a district organisation at a community centre).
async fn check_points(state: &AppState, actor: Option<&GovActor>, ids: &[i64]) -> GovResult<()> {
    for id in ids {
        let unknown = || {
            GovError::invalid(
                Code::UnknownPoint,
                "point_ids",
                format!("服务地点 {id} 不存在。"),
                format!("service point {id} does not exist"),
            )
        };
        let p = find_point(&state.db, *id).await?.ok_or_else(unknown)?;
        if let Some(a) = actor
            && authorize(a, Action::View, &Scope::Unit(&p.unit_path)).is_err()
        {
            return Err(unknown());
        }
    }
    Ok(())
}

async fn write_hours(tx: &mut Tx, id: i64, hours: &[Hours]) -> GovResult<()> {
    sqlx::query("DELETE FROM governance_point_hours WHERE point_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for h in hours {
        sqlx::query(
            "INSERT INTO governance_point_hours (point_id, weekday, opens, closes) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(h.weekday)
        .bind(&h.opens)
        .bind(&h.closes)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Inserts a checked service point; its UUID is derived from its id unless one is given.
pub async fn insert_point(
    tx: &mut Tx,
    now: i64,
    d: &PointDraft,
    uuid: Option<&str>,
) -> GovResult<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO governance_service_points (uuid, kind, name, description, address, latitude, longitude, \
         unit_id, contact_phone, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, CASE WHEN $11 = 1 THEN $6 END, CASE WHEN $12 = 1 THEN $7 END, $8, $9, $10, $10) \
         RETURNING id",
    )
    .bind(uuid)
    .bind(d.kind.as_str())
    .bind(&d.name)
    .bind(&d.description)
    .bind(&d.address)
    // Always an f64 (with a flag for "none"): a NULL bound as the first value of a cached
    // PostgreSQL statement would fix the parameter's type wrongly for later coordinates.
    .bind(d.latitude.unwrap_or(0.0))
    .bind(d.longitude.unwrap_or(0.0))
    .bind(d.unit_id.0)
    .bind(&d.contact_phone)
    .bind(now)
    .bind(d.latitude.is_some() as i64)
    .bind(d.longitude.is_some() as i64)
    .fetch_one(&mut **tx)
    .await?;
    if uuid.is_none() {
        sqlx::query("UPDATE governance_service_points SET uuid = $1 WHERE id = $2")
            .bind(crate::network::model::derive_uuid(&format!(
                "location:{id}"
            )))
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    write_hours(tx, id, &d.hours).await?;
    Ok(id)
}

pub async fn update_point_row(tx: &mut Tx, now: i64, id: i64, d: &PointDraft) -> GovResult<()> {
    sqlx::query(
        "UPDATE governance_service_points SET kind = $1, name = $2, description = $3, address = $4, \
         latitude = CASE WHEN $11 = 1 THEN $5 END, longitude = CASE WHEN $12 = 1 THEN $6 END, \
         unit_id = $7, contact_phone = $8, updated_at = $9 WHERE id = $10",
    )
    .bind(d.kind.as_str())
    .bind(&d.name)
    .bind(&d.description)
    .bind(&d.address)
    // Always an f64 (with a flag for "none"): a NULL bound as the first value of a cached
    // PostgreSQL statement would fix the parameter's type wrongly for later coordinates.
    .bind(d.latitude.unwrap_or(0.0))
    .bind(d.longitude.unwrap_or(0.0))
    .bind(d.unit_id.0)
    .bind(&d.contact_phone)
    .bind(now)
    .bind(id)
    .bind(d.latitude.is_some() as i64)
    .bind(d.longitude.is_some() as i64)
    .execute(&mut **tx)
    .await?;
    write_hours(tx, id, &d.hours).await
}

pub async fn create_point(state: &AppState, actor: &GovActor, d: &PointDraft) -> GovResult<i64> {
    save(state, actor, None, Draft::Point(d)).await
}

pub async fn update_point(
    state: &AppState,
    actor: &GovActor,
    id: i64,
    d: &PointDraft,
) -> GovResult<()> {
    save(state, actor, Some(id), Draft::Point(d))
        .await
        .map(drop)
}

async fn write_service_links(
    tx: &mut Tx,
    id: i64,
    term_ids: &[i64],
    point_ids: &[i64],
) -> GovResult<()> {
    sqlx::query("DELETE FROM governance_service_terms WHERE service_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for t in term_ids {
        sqlx::query("INSERT INTO governance_service_terms (service_id, term_id) VALUES ($1, $2)")
            .bind(id)
            .bind(*t)
            .execute(&mut **tx)
            .await?;
    }
    // Keep the join rows (and their UUIDs) of points that stay; add and drop the others.
    let existing: Vec<(i64,)> =
        sqlx::query_as("SELECT point_id FROM governance_service_at_location WHERE service_id = $1")
            .bind(id)
            .fetch_all(&mut **tx)
            .await?;
    for (p,) in &existing {
        if !point_ids.contains(p) {
            sqlx::query(
                "DELETE FROM governance_service_at_location WHERE service_id = $1 AND point_id = $2",
            )
            .bind(id)
            .bind(*p)
            .execute(&mut **tx)
            .await?;
        }
    }
    for p in point_ids {
        if existing.iter().any(|(e,)| e == p) {
            continue;
        }
        insert_service_at_location(tx, id, *p, "", None).await?;
    }
    Ok(())
}

pub async fn insert_service_at_location(
    tx: &mut Tx,
    service_id: i64,
    point_id: i64,
    description: &str,
    uuid: Option<&str>,
) -> GovResult<i64> {
    let (sal,): (i64,) = sqlx::query_as(
        "INSERT INTO governance_service_at_location (uuid, service_id, point_id, description) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(uuid)
    .bind(service_id)
    .bind(point_id)
    .bind(description)
    .fetch_one(&mut **tx)
    .await?;
    if uuid.is_none() {
        sqlx::query("UPDATE governance_service_at_location SET uuid = $1 WHERE id = $2")
            .bind(crate::network::model::derive_uuid(&format!(
                "service_at_location:{sal}"
            )))
            .bind(sal)
            .execute(&mut **tx)
            .await?;
    }
    Ok(sal)
}

/// Inserts a checked service and its categories and locations.
pub async fn insert_service(
    tx: &mut Tx,
    by: Option<i64>,
    now: i64,
    d: &ServiceDraft,
    uuid: Option<&str>,
) -> GovResult<i64> {
    let term_ids = category_ids(tx, &d.categories).await?;
    let id = insert_service_row(tx, by, now, d, uuid).await?;
    write_service_links(tx, id, &term_ids, &d.point_ids).await?;
    Ok(id)
}

pub async fn update_service_row(tx: &mut Tx, now: i64, id: i64, d: &ServiceDraft) -> GovResult<()> {
    let term_ids = category_ids(tx, &d.categories).await?;
    update_service_fields(tx, now, id, d).await?;
    write_service_links(tx, id, &term_ids, &d.point_ids).await
}

/// Binds a service's own columns as `$1`…`$9`: org_id, unit_id, name, description,
/// schedule, eligibility, capacity, contact_phone, status.
fn bind_service<'q>(q: AnyQuery<'q>, d: &'q ServiceDraft) -> AnyQuery<'q> {
    let (org_id, unit_id) = match d.provider {
        Provider::Org(o) => (Some(o), None),
        Provider::Unit(u) => (None, Some(u.0)),
    };
    q.bind(org_id)
        .bind(unit_id)
        .bind(&d.name)
        .bind(&d.description)
        .bind(&d.schedule)
        .bind(&d.eligibility)
        .bind(d.capacity)
        .bind(&d.contact_phone)
        .bind(d.status.as_str())
}

/// Inserts the service's own row (not its categories or locations); its UUID is derived
/// from its id unless one is given.
pub async fn insert_service_row(
    tx: &mut Tx,
    by: Option<i64>,
    now: i64,
    d: &ServiceDraft,
    uuid: Option<&str>,
) -> GovResult<i64> {
    let q = sqlx::query(
        "INSERT INTO governance_services (org_id, unit_id, name, description, schedule, eligibility, capacity, \
         contact_phone, status, uuid, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
    );
    let row = bind_service(q, d)
        .bind(uuid)
        .bind(by)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?;
    let id: i64 = sqlx::Row::try_get(&row, "id")?;
    if uuid.is_none() {
        sqlx::query("UPDATE governance_services SET uuid = $1 WHERE id = $2")
            .bind(crate::network::model::derive_uuid(&format!("service:{id}")))
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(id)
}

/// Rewrites the service's own row (not its categories or locations).
pub async fn update_service_fields(
    tx: &mut Tx,
    now: i64,
    id: i64,
    d: &ServiceDraft,
) -> GovResult<()> {
    let q = sqlx::query(
        "UPDATE governance_services SET org_id = $1, unit_id = $2, name = $3, description = $4, schedule = $5, \
         eligibility = $6, capacity = $7, contact_phone = $8, status = $9, updated_at = $10 WHERE id = $11",
    );
    bind_service(q, d)
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn create_service(
    state: &AppState,
    actor: &GovActor,
    d: &ServiceDraft,
) -> GovResult<i64> {
    save(state, actor, None, Draft::Service(d)).await
}

pub async fn update_service(
    state: &AppState,
    actor: &GovActor,
    id: i64,
    d: &ServiceDraft,
) -> GovResult<()> {
    save(state, actor, Some(id), Draft::Service(d))
        .await
        .map(drop)
}

/// A checked point or service on its way to being saved: both are created and edited by
/// the same steps, only their checks, rows and trail words differ.
#[derive(Clone, Copy)]
enum Draft<'a> {
    Point(&'a PointDraft),
    Service(&'a ServiceDraft),
}

impl Draft<'_> {
    /// The record's name in the trail ("governance.<kind>.create", "governance_<kind>:id").
    fn kind(self) -> &'static str {
        match self {
            Draft::Point(_) => "service_point",
            Draft::Service(_) => "service",
        }
    }

    fn detail(self) -> serde_json::Value {
        match self {
            Draft::Point(d) => {
                serde_json::json!({ "name": d.name, "kind": d.kind, "unit_id": d.unit_id })
            }
            Draft::Service(d) => {
                serde_json::json!({ "name": d.name, "status": d.status, "points": d.point_ids })
            }
        }
    }

    /// Whether the existing record `id` may be edited (it is loaded for that).
    async fn may_edit(self, state: &AppState, actor: &GovActor, id: i64) -> GovResult<()> {
        match self {
            Draft::Point(_) => load_point(state, actor, id, Action::EditService)
                .await
                .map(drop),
            Draft::Service(_) => load_service(state, actor, id, Action::EditService)
                .await
                .map(drop),
        }
    }

    /// Where the draft places the record must be the actor's to edit.
    async fn check(self, state: &AppState, actor: &GovActor) -> GovResult<()> {
        match self {
            Draft::Point(d) => editable_unit(state, actor, d.unit_id).await.map(drop),
            Draft::Service(d) => {
                provider_path(state, actor, &d.provider).await?;
                check_points(state, Some(actor), &d.point_ids).await
            }
        }
    }

    async fn insert(self, tx: &mut Tx, actor: &GovActor, now: i64) -> GovResult<i64> {
        match self {
            Draft::Point(d) => insert_point(tx, now, d, None).await,
            Draft::Service(d) => insert_service(tx, actor.id(), now, d, None).await,
        }
    }

    async fn update(self, tx: &mut Tx, now: i64, id: i64) -> GovResult<()> {
        match self {
            Draft::Point(d) => update_point_row(tx, now, id, d).await,
            Draft::Service(d) => update_service_row(tx, now, id, d).await,
        }
    }
}

/// Creates the record (`id` None) or rewrites record `id`, with its trail entry, in one
/// transaction; returns its id.
async fn save(state: &AppState, actor: &GovActor, id: Option<i64>, d: Draft<'_>) -> GovResult<i64> {
    match id {
        None => authorize(actor, Action::EditService, &Scope::Anywhere)?,
        Some(id) => d.may_edit(state, actor, id).await?,
    }
    d.check(state, actor).await?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let (id, verb) = match id {
        None => (d.insert(&mut tx, actor, now).await?, "create"),
        Some(id) => {
            d.update(&mut tx, now, id).await?;
            (id, "update")
        }
    };
    let kind = d.kind();
    record_at(
        &mut tx,
        now,
        actor,
        &format!("governance.{kind}.{verb}"),
        format!("governance_{kind}:{id}"),
        d.detail(),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_are_checked_and_sorted() {
        let h = |d, o: &str, c: &str| Hours {
            weekday: d,
            opens: o.into(),
            closes: c.into(),
        };
        let ok = check_hours(&[h(3, "9:00", "17:00"), h(1, "08:30", "12:00")]);
        assert!(ok.is_err(), "9:00 needs two digits");
        let ok = check_hours(&[h(3, "09:00", "17:00"), h(1, "08:30", "12:00")]).unwrap();
        assert_eq!(ok[0].weekday, 1);
        assert_eq!(ok[1].day_code(), "WE");
        for bad in [
            vec![h(0, "09:00", "10:00")],
            vec![h(8, "09:00", "10:00")],
            vec![h(1, "10:00", "09:00")],
            vec![h(1, "24:00", "25:00")],
            vec![h(1, "09:00", "10:00"), h(1, "09:00", "11:00")],
        ] {
            assert!(check_hours(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn service_inputs_name_their_field() {
        let good = ServiceInput {
            org_id: Some(3),
            name: Some("长者助餐".into()),
            status: Some("active".into()),
            categories: Some(vec!["meal_aid".into(), "meal_aid".into()]),
            point_ids: Some(vec![1, 1, 2]),
            ..ServiceInput::default()
        };
        let d = validate_service(&good).unwrap();
        assert_eq!(d.categories, vec!["meal_aid"]);
        assert_eq!(d.point_ids, vec![1, 2]);
        type Change = Box<dyn Fn(&mut ServiceInput)>;
        let cases: Vec<(Change, &str)> = vec![
            (Box::new(|i| i.unit_id = Some(4)), "provider_ambiguous"),
            (Box::new(|i| i.org_id = None), "missing_field"),
            (
                Box::new(|i| i.status = Some("gone".into())),
                "invalid_status",
            ),
            (Box::new(|i| i.capacity = Some(-1)), "invalid_field"),
            (Box::new(|i| i.name = Some("x".into())), "missing_field"),
            (
                Box::new(|i| i.contact_phone = Some("call".into())),
                "invalid_phone",
            ),
        ];
        for (change, code) in cases {
            let mut i = good.clone();
            change(&mut i);
            match validate_service(&i) {
                Err(GovError::Invalid(inv)) => assert_eq!(inv.code.as_str(), code),
                other => panic!("expected {code}, got {other:?}"),
            }
        }
    }

    #[test]
    fn point_inputs_are_checked() {
        let good = PointInput {
            kind: Some("community_service_centre".into()),
            name: Some("桂园社区生活服务中心".into()),
            unit_id: Some(4),
            latitude: Some(30.1),
            longitude: Some(120.2),
            ..PointInput::default()
        };
        assert!(validate_point(&good).is_ok());
        let mut i = good.clone();
        i.longitude = None;
        assert!(validate_point(&i).is_err());
        let mut i = good.clone();
        i.latitude = Some(f64::NAN);
        assert!(validate_point(&i).is_err());
        let mut i = good;
        i.kind = Some("shop".into());
        assert!(validate_point(&i).is_err());
    }
}
