//! `gongzhi hsds export DIR` / `gongzhi hsds import DIR`: the published service network as
//! HSDS 3.0 JSON files, one per entity type, everything sorted by UUID so that an export,
//! imported into an empty data dir and exported again, is byte-identical. An import
//! creates or updates our rows (matched by UUID) in one transaction: all or nothing.

use super::api::{Ctx, ServiceQuery, ensure_org_uuids, published_org, sal_page, service_page};
use super::*;
use crate::credit::CreditCode;
use crate::network::model as net;
use crate::network::service;
use crate::network::service::PointInput;
use crate::network::service::ServiceInput;
use crate::registry::model;
use crate::registry::model::OrgType;
use crate::registry::units;
use crate::registry::units::UnitInput;
use anyhow::{Context, anyhow, bail};
use platform::db::{Db, Tx};
use platform::{AppState, audit};
use std::collections::{HashMap, HashSet};
use std::path::Path;

pub const FILES: [&str; 6] = [
    "organizations",
    "services",
    "locations",
    "service_at_locations",
    "taxonomies",
    "taxonomy_terms",
];

const ALL: i64 = 100_000_000;

/// How many objects of each type were written or read.
pub type Counts = Vec<(&'static str, usize)>;

/// Every published object, by file name.
pub async fn collect(db: &Db) -> anyhow::Result<Vec<(&'static str, Vec<Value>)>> {
    ensure_org_uuids(db).await?;
    let ctx = Ctx::load(db).await?;
    let org_ids: Vec<(i64,)> = sqlx::query_as(
        "SELECT o.id FROM governance_orgs o JOIN governance_org_uuids x ON x.org_id = o.id ORDER BY x.uuid",
    )
    .fetch_all(&db.pool)
    .await?;
    let mut orgs = Vec::new();
    let mut org_uuids: HashMap<i64, String> = HashMap::new();
    for (id,) in org_ids {
        if let Some((o, u, hub)) = published_org(db, id).await? {
            orgs.push(org_full(&o, &u, hub.as_deref(), &ctx.unit_code(o.unit_id)));
            org_uuids.insert(id, u);
        }
    }
    let (_, list) = service_page(db, &ServiceQuery::default(), ALL, 0).await?;
    let services: Vec<Value> = list
        .iter()
        .map(|s| {
            let org = s
                .org_id
                .and_then(|o| org_uuids.get(&o))
                .cloned()
                .unwrap_or_default();
            service_full(s, &org, &ctx.terms)
        })
        .collect();
    let points = net::list_points(
        db,
        &gov_core::ScopeFilter(None),
        &net::PointFilter::default(),
        ALL,
        0,
    )
    .await?;
    let mut locations: Vec<Value> = points
        .iter()
        .map(|p| location(p, &ctx.district_name(p)))
        .collect();
    let (_, sals) = sal_page(db, &ServiceQuery::default(), ALL, 0).await?;
    let sals: Vec<Value> = sals
        .iter()
        .map(|s| service_at_location_basic(&s.uuid, &s.service_uuid, &s.point_uuid, &s.description))
        .collect();
    let by_id = |a: &Value, b: &Value| a["id"].as_str().cmp(&b["id"].as_str());
    locations.sort_by(by_id);
    Ok(vec![
        ("organizations", orgs),
        ("services", services),
        ("locations", locations),
        ("service_at_locations", sals),
        ("taxonomies", ctx.all_taxonomies()),
        ("taxonomy_terms", ctx.all_terms()),
    ])
}

/// Writes the data set into `dir` (created if missing), one `<type>.json` per entity type.
pub async fn export(db: &Db, dir: &Path) -> anyhow::Result<Counts> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut counts = Vec::new();
    for (name, items) in collect(db).await? {
        let path = dir.join(format!("{name}.json"));
        let mut text = serde_json::to_string_pretty(&Value::Array(items.clone()))?;
        text.push('\n');
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        counts.push((name, items.len()));
    }
    Ok(counts)
}

fn read_file(dir: &Path, name: &str) -> anyhow::Result<Vec<Value>> {
    let path = dir.join(format!("{name}.json"));
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let v: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not valid JSON", path.display()))?;
    let Value::Array(items) = v else {
        bail!("{} must hold a JSON array of {name}", path.display());
    };
    for (i, item) in items.iter().enumerate() {
        if item["id"].as_str().and_then(parse_uuid).is_none() {
            bail!("{name}.json item {}: \"id\" must be a UUID", i + 1);
        }
    }
    Ok(items)
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().and_then(parse_uuid).unwrap_or_default()
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("")
}

fn gov(e: crate::error::GovError, what: &str) -> anyhow::Error {
    anyhow!("{what}: {e}")
}

const TERM_BY_UUID: &str = "SELECT id FROM governance_taxonomy_terms WHERE uuid = $1";
const ORG_BY_UUID: &str = "SELECT org_id FROM governance_org_uuids WHERE uuid = $1";

async fn lookup(tx: &mut Tx, sql: &str, key: &str) -> anyhow::Result<Option<i64>> {
    let row: Option<(i64,)> = sqlx::query_as(sql)
        .bind(key)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.map(|r| r.0))
}

/// The id of a record the data set names by UUID: one this import has written (`read`), else
/// one stored before (`sql` by UUID); `None` when neither knows it.
async fn resolve(
    tx: &mut Tx,
    read: &HashMap<String, i64>,
    sql: &str,
    uuid: &str,
) -> anyhow::Result<Option<i64>> {
    match read.get(uuid) {
        Some(id) => Ok(Some(*id)),
        None => lookup(tx, sql, uuid).await,
    }
}

/// Reads a data set from `dir` and creates or updates our rows, in one transaction.
pub async fn import(state: &AppState, dir: &Path) -> anyhow::Result<Counts> {
    if !dir.is_dir() {
        bail!("{} is not a directory", dir.display());
    }
    let mut files: HashMap<&str, Vec<Value>> = HashMap::new();
    for name in FILES {
        files.insert(name, read_file(dir, name)?);
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let units_tax = units_taxonomy_uuid();

    // Taxonomies (ours are stored; the units taxonomy is our unit tree).
    let mut taxonomy_ids: HashMap<String, i64> = HashMap::new();
    for t in &files["taxonomies"] {
        let uuid = id_of(t);
        if uuid == units_tax {
            continue;
        }
        let name = s(t, "name").trim();
        if name.is_empty() {
            bail!("taxonomy {uuid}: a name is required");
        }
        let id = match lookup(
            &mut tx,
            "SELECT id FROM governance_taxonomies WHERE uuid = $1",
            &uuid,
        )
        .await?
        {
            Some(id) => {
                sqlx::query("UPDATE governance_taxonomies SET name = $1, description = $2, version = $3 WHERE id = $4")
                    .bind(name)
                    .bind(s(t, "description"))
                    .bind(s(t, "version"))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                id
            }
            None => {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO governance_taxonomies (uuid, name, description, version) VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(&uuid)
                .bind(name)
                .bind(s(t, "description"))
                .bind(s(t, "version"))
                .fetch_one(&mut *tx)
                .await?;
                id
            }
        };
        taxonomy_ids.insert(uuid, id);
    }

    // Units, parents before children.
    let mut unit_ids: HashMap<String, i64> = HashMap::new();
    let mut pending: Vec<&Value> = files["taxonomy_terms"]
        .iter()
        .filter(|t| s(t, "taxonomy_id") == units_tax)
        .collect();
    while !pending.is_empty() {
        let before = pending.len();
        let mut later = Vec::new();
        for t in pending {
            let uuid = id_of(t);
            let parent = match t["parent_id"].as_str() {
                None => None,
                Some(p) => match unit_ids.get(p) {
                    Some(id) => Some(*id),
                    None => {
                        later.push(t);
                        continue;
                    }
                },
            };
            let code = s(t, "code").trim();
            if code.is_empty() {
                bail!("unit term {uuid}: a code is required");
            }
            let id = match lookup(
                &mut tx,
                "SELECT id FROM governance_units WHERE code = $1",
                code,
            )
            .await?
            {
                Some(id) => id,
                None => {
                    let kind = unit_kind_of(t).ok_or_else(|| {
                        anyhow!("unit term {uuid} ({code}): unit_kind is missing or unknown")
                    })?;
                    let input = UnitInput {
                        parent_id: parent,
                        kind: kind.as_str().into(),
                        name: s(t, "name").into(),
                        code: code.into(),
                        households: 0,
                        residents: 0,
                        party_org_name: String::new(),
                        party_secretary: String::new(),
                        party_members: 0,
                        sort: 0,
                    };
                    units::insert_unit(&mut tx, now, &input)
                        .await
                        .map_err(|e| gov(e, &format!("unit {code}")))?
                        .id
                        .0
                }
            };
            unit_ids.insert(uuid, id);
        }
        if later.len() == before {
            bail!(
                "{} unit terms name a parent that is not in the file",
                later.len()
            );
        }
        pending = later;
    }

    // Our taxonomy's terms: rows first, then parents.
    let mut term_ids: HashMap<String, i64> = HashMap::new();
    let others: Vec<&Value> = files["taxonomy_terms"]
        .iter()
        .filter(|t| s(t, "taxonomy_id") != units_tax)
        .collect();
    for t in &others {
        let uuid = id_of(t);
        let tax_uuid = s(t, "taxonomy_id");
        let tax = resolve(
            &mut tx,
            &taxonomy_ids,
            "SELECT id FROM governance_taxonomies WHERE uuid = $1",
            tax_uuid,
        )
        .await?
        .ok_or_else(|| anyhow!("term {uuid}: taxonomy {tax_uuid:?} is unknown"))?;
        let (code, name) = (s(t, "code").trim(), s(t, "name").trim());
        if code.is_empty() || name.is_empty() {
            bail!("term {uuid}: code and name are required");
        }
        let id = match lookup(&mut tx, TERM_BY_UUID, &uuid).await? {
            Some(id) => {
                sqlx::query(
                    "UPDATE governance_taxonomy_terms SET taxonomy_id = $1, code = $2, name = $3, description = $4 WHERE id = $5",
                )
                .bind(tax)
                .bind(code)
                .bind(name)
                .bind(s(t, "description"))
                .bind(id)
                .execute(&mut *tx)
                .await?;
                id
            }
            None => {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO governance_taxonomy_terms (uuid, taxonomy_id, code, name, description, sort) \
                     VALUES ($1, $2, $3, $4, $5, 1000) RETURNING id",
                )
                .bind(&uuid)
                .bind(tax)
                .bind(code)
                .bind(name)
                .bind(s(t, "description"))
                .fetch_one(&mut *tx)
                .await
                .with_context(|| format!("term {uuid} ({code})"))?;
                id
            }
        };
        term_ids.insert(uuid, id);
    }
    for t in &others {
        let parent = match t["parent_id"].as_str() {
            Some(p) => Some(
                resolve(&mut tx, &term_ids, TERM_BY_UUID, p)
                    .await?
                    .ok_or_else(|| anyhow!("term {}: parent {p} is unknown", id_of(t)))?,
            ),
            None => None,
        };
        sqlx::query("UPDATE governance_taxonomy_terms SET parent_id = $1 WHERE id = $2")
            .bind(parent)
            .bind(term_ids[&id_of(t)])
            .execute(&mut *tx)
            .await?;
    }

    // Units already here, by code (a data set may name units without listing them).
    let known: Vec<(String, i64)> = sqlx::query_as("SELECT code, id FROM governance_units")
        .fetch_all(&mut *tx)
        .await?;
    let known: HashMap<String, i64> = known.into_iter().collect();
    let unit_of = |v: &Value, what: &str| -> anyhow::Result<i64> {
        let (code, term) =
            attr(v, "unit").ok_or_else(|| anyhow!("{what}: the unit attribute is missing"))?;
        term.and_then(|t| unit_ids.get(t).copied())
            .or_else(|| known.get(code).copied())
            .ok_or_else(|| anyhow!("{what}: unit {code} is unknown"))
    };

    // Organisations, hubs before their members.
    let mut org_ids: HashMap<String, i64> = HashMap::new();
    let mut pending: Vec<&Value> = files["organizations"].iter().collect();
    while !pending.is_empty() {
        let before = pending.len();
        let mut later = Vec::new();
        for o in pending {
            let uuid = id_of(o);
            let hub = match o["parent_organization_id"].as_str() {
                None => None,
                Some(p) => match org_ids.get(p) {
                    Some(id) => Some(*id),
                    None => match lookup(&mut tx, ORG_BY_UUID, p).await? {
                        Some(id) if !files["organizations"].iter().any(|x| s(x, "id") == p) => {
                            Some(id)
                        }
                        _ => {
                            later.push(o);
                            continue;
                        }
                    },
                },
            };
            let id = upsert_org(
                &mut tx,
                now,
                o,
                &uuid,
                hub,
                unit_of(o, &format!("organization {uuid}"))?,
            )
            .await?;
            org_ids.insert(uuid, id);
        }
        if later.len() == before {
            bail!(
                "{} organisations name a parent organisation that cannot be resolved",
                later.len()
            );
        }
        pending = later;
    }

    // The imported organisations must leave every district a valid 1+5+X structure.
    check_structure(&mut tx).await?;

    // Locations → service points.
    let mut point_ids: HashMap<String, i64> = HashMap::new();
    for l in &files["locations"] {
        let uuid = id_of(l);
        let hours: Vec<net::Hours> = l["schedules"]
            .as_array()
            .map(|a| a.iter().filter_map(schedule_hours).collect())
            .unwrap_or_default();
        let input = PointInput {
            kind: Some(point_kind_of(l).as_str().into()),
            name: Some(s(l, "name").into()),
            description: Some(s(l, "description").into()),
            address: Some(s(&l["addresses"][0], "address_1").into()),
            latitude: l["latitude"].as_f64(),
            longitude: l["longitude"].as_f64(),
            unit_id: Some(unit_of(l, &format!("location {uuid}"))?),
            contact_phone: Some(s(&l["phones"][0], "number").into()),
            hours: Some(hours),
        };
        let d = service::validate_point(&input).map_err(|e| gov(e, &format!("location {uuid}")))?;
        let id = match lookup(
            &mut tx,
            "SELECT id FROM governance_service_points WHERE uuid = $1",
            &uuid,
        )
        .await?
        {
            Some(id) => {
                service::update_point_row(&mut tx, now, id, &d)
                    .await
                    .map_err(|e| gov(e, &format!("location {uuid}")))?;
                id
            }
            None => service::insert_point(&mut tx, now, &d, Some(&uuid))
                .await
                .map_err(|e| gov(e, &format!("location {uuid}")))?,
        };
        point_ids.insert(uuid, id);
    }

    // Services.
    let mut service_ids: HashMap<String, i64> = HashMap::new();
    for sv in &files["services"] {
        let uuid = id_of(sv);
        let org_uuid = s(sv, "organization_id");
        let org = resolve(&mut tx, &org_ids, ORG_BY_UUID, org_uuid)
            .await?
            .ok_or_else(|| anyhow!("service {uuid}: organisation {org_uuid:?} is unknown"))?;
        let schedule = sv["schedules"]
            .as_array()
            .and_then(|a| a.iter().find_map(|x| x["description"].as_str()))
            .unwrap_or("");
        let capacity = match attr(sv, "capacity") {
            Some((c, _)) => Some(
                c.parse::<i64>()
                    .map_err(|_| anyhow!("service {uuid}: capacity {c:?} is not a number"))?,
            ),
            None => None,
        };
        let input = ServiceInput {
            org_id: Some(org),
            name: Some(s(sv, "name").into()),
            description: Some(s(sv, "description").into()),
            schedule: Some(schedule.into()),
            eligibility: Some(s(sv, "eligibility_description").into()),
            capacity,
            contact_phone: Some(s(&sv["phones"][0], "number").into()),
            status: Some(s(sv, "status").into()),
            ..ServiceInput::default()
        };
        let d =
            service::validate_service(&input).map_err(|e| gov(e, &format!("service {uuid}")))?;
        let mut terms = Vec::new();
        for (code, term) in attrs(sv, "category") {
            let t = term.unwrap_or("");
            let id = resolve(&mut tx, &term_ids, TERM_BY_UUID, t)
                .await?
                .ok_or_else(|| anyhow!("service {uuid}: category {code} ({t}) is unknown"))?;
            if !terms.contains(&id) {
                terms.push(id);
            }
        }
        let modified = sv["last_modified"]
            .as_str()
            .and_then(parse_rfc3339)
            .unwrap_or(now);
        let id = upsert_service(&mut tx, &uuid, &d, modified).await?;
        sqlx::query("DELETE FROM governance_service_terms WHERE service_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for t in terms {
            sqlx::query(
                "INSERT INTO governance_service_terms (service_id, term_id) VALUES ($1, $2)",
            )
            .bind(id)
            .bind(t)
            .execute(&mut *tx)
            .await?;
        }
        service_ids.insert(uuid, id);
    }

    // Services at locations.
    for x in &files["service_at_locations"] {
        let uuid = id_of(x);
        let service = resolve(
            &mut tx,
            &service_ids,
            "SELECT id FROM governance_services WHERE uuid = $1",
            s(x, "service_id"),
        )
        .await?
        .ok_or_else(|| anyhow!("service_at_location {uuid}: unknown service"))?;
        let point = resolve(
            &mut tx,
            &point_ids,
            "SELECT id FROM governance_service_points WHERE uuid = $1",
            s(x, "location_id"),
        )
        .await?
        .ok_or_else(|| anyhow!("service_at_location {uuid}: unknown location"))?;
        let existing = match lookup(
            &mut tx,
            "SELECT id FROM governance_service_at_location WHERE uuid = $1",
            &uuid,
        )
        .await?
        {
            Some(id) => Some(id),
            None => {
                let row: Option<(i64,)> = sqlx::query_as(
                    "SELECT id FROM governance_service_at_location WHERE service_id = $1 AND point_id = $2",
                )
                .bind(service)
                .bind(point)
                .fetch_optional(&mut *tx)
                .await?;
                row.map(|r| r.0)
            }
        };
        match existing {
            Some(id) => {
                sqlx::query(
                    "UPDATE governance_service_at_location SET uuid = $1, service_id = $2, point_id = $3, description = $4 WHERE id = $5",
                )
                .bind(&uuid)
                .bind(service)
                .bind(point)
                .bind(s(x, "description"))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            None => {
                service::insert_service_at_location(
                    &mut tx,
                    service,
                    point,
                    s(x, "description"),
                    Some(&uuid),
                )
                .await
                .map_err(|e| gov(e, &format!("service_at_location {uuid}")))?;
            }
        }
    }

    // Deletions: the file is the full record of every organisation it lists. Their services
    // missing from it are withdrawn (status inactive, no longer at any location), and the
    // listed services' links to locations missing from it are removed. Organisations absent
    // from the file are kept: registry records are not deleted by an import (ADR 011).
    let listed_services: HashSet<i64> = service_ids.values().copied().collect();
    let listed_links: HashSet<String> = files["service_at_locations"].iter().map(id_of).collect();
    let mut withdrawn = 0usize;
    let mut unlinked = 0usize;
    for org in org_ids.values() {
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, status FROM governance_services WHERE org_id = $1")
                .bind(*org)
                .fetch_all(&mut *tx)
                .await?;
        for (id, status) in rows {
            if listed_services.contains(&id) {
                continue;
            }
            if status != "inactive" {
                sqlx::query("UPDATE governance_services SET status = 'inactive', updated_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                withdrawn += 1;
            }
            unlinked +=
                sqlx::query("DELETE FROM governance_service_at_location WHERE service_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected() as usize;
        }
    }
    for service in &listed_services {
        let links: Vec<(i64, Option<String>)> = sqlx::query_as(
            "SELECT id, uuid FROM governance_service_at_location WHERE service_id = $1",
        )
        .bind(*service)
        .fetch_all(&mut *tx)
        .await?;
        for (id, uuid) in links {
            if !uuid.is_some_and(|u| listed_links.contains(&u)) {
                sqlx::query("DELETE FROM governance_service_at_location WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                unlinked += 1;
            }
        }
    }

    let mut counts: Counts = FILES.iter().map(|n| (*n, files[n].len())).collect();
    if withdrawn > 0 || unlinked > 0 {
        counts.push(("withdrawn services", withdrawn));
        counts.push(("removed service_at_locations", unlinked));
    }
    audit::append(
        &mut tx,
        audit::Entry {
            at: now,
            actor_id: None,
            action: "governance.hsds.import",
            subject: "hsds",
            detail: serde_json::json!(
                counts
                    .iter()
                    .map(|(n, c)| (n.to_string(), *c))
                    .collect::<HashMap<_, _>>()
            ),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(counts)
}

/// The 1+5+X rules over everything stored (inside the import's transaction): at most one
/// federation per district; the federation and hubs attach to nobody; every member attaches
/// to a hub of its own district.
async fn check_structure(tx: &mut Tx) -> anyhow::Result<()> {
    let rows: Vec<(i64, String, String, Option<i64>, String)> = sqlx::query_as(
        "SELECT o.id, o.name, o.hub_role, o.hub_id, u.path FROM governance_orgs o \
         JOIN governance_units u ON u.id = o.unit_id ORDER BY o.id",
    )
    .fetch_all(&mut **tx)
    .await?;
    let district = |path: &str| path.split('/').nth(1).unwrap_or("").to_string();
    let by_id: HashMap<i64, &(i64, String, String, Option<i64>, String)> =
        rows.iter().map(|r| (r.0, r)).collect();
    let mut federations: HashMap<String, &str> = HashMap::new();
    for (id, name, role, hub, path) in &rows {
        match (role.as_str(), hub) {
            ("federation", None) => {
                if let Some(other) = federations.insert(district(path), name) {
                    bail!(
                        "1+5+X: the district already has its federation ({other}); {name} (organisation {id}) cannot be a second one"
                    );
                }
            }
            ("federation" | "hub", Some(_)) => {
                bail!(
                    "1+5+X: {name} is the federation or a hub and cannot be attached to another organisation"
                )
            }
            ("member", None) => {
                bail!(
                    "1+5+X: member organisation {name} must be attached to a hub (parent_organization_id)"
                )
            }
            ("member", Some(h)) => match by_id.get(h) {
                Some(hub) if hub.2 == "hub" && district(&hub.4) == district(path) => {}
                Some(hub) => bail!(
                    "1+5+X: member organisation {name} is attached to {}, which is not a hub of its district",
                    hub.1
                ),
                None => bail!(
                    "1+5+X: member organisation {name} is attached to an unknown organisation"
                ),
            },
            _ => {}
        }
    }
    Ok(())
}

fn org_type_of(v: &Value) -> OrgType {
    let status = s(v, "legal_status").trim();
    OrgType::ALL
        .iter()
        .copied()
        .find(|t| t.as_str() == status || org_type_label(*t) == status)
        .unwrap_or(OrgType::SocialGroup)
}

async fn upsert_org(
    tx: &mut Tx,
    now: i64,
    o: &Value,
    uuid: &str,
    hub: Option<i64>,
    unit: i64,
) -> anyhow::Result<i64> {
    let name = s(o, "name").trim();
    if name.is_empty() || name.chars().count() > 100 {
        bail!("organization {uuid}: the name must be 1 to 100 characters");
    }
    let code = o["organization_identifiers"]
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|i| s(i, "identifier_type") == "统一社会信用代码")
        })
        .map(|i| s(i, "identifier"))
        .ok_or_else(|| anyhow!("organization {uuid}: no 统一社会信用代码 identifier"))?;
    let code = CreditCode::parse(code).map_err(|e| anyhow!("organization {uuid}: {}", e.en()))?;
    let role = attr(o, "hub_role")
        .and_then(|(r, _)| model::HubRole::parse(r))
        .unwrap_or(model::HubRole::Member);
    let phone = service::phone(Some(s(&o["phones"][0], "number")))
        .map_err(|e| gov(e, &format!("organization {uuid}")))?;
    let year = o["year_incorporated"].as_i64();
    let fields: Vec<String> = attrs(o, "service_field")
        .into_iter()
        .map(|(f, _)| f.to_string())
        .filter(|f| model::is_field(f))
        .collect();
    let existing = lookup(tx, ORG_BY_UUID, uuid).await?;
    let taken = lookup(
        tx,
        "SELECT id FROM governance_orgs WHERE credit_code = $1",
        code.as_str(),
    )
    .await?;
    if taken.is_some() && taken != existing {
        bail!(
            "organization {uuid}: the credit code {} is already registered for another organisation",
            code.as_str()
        );
    }
    let id = match existing {
        Some(id) => {
            let (registered,): (String,) =
                sqlx::query_as("SELECT registered_on FROM governance_orgs WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut **tx)
                    .await?;
            let registered = match year {
                Some(y) if registered.get(..4) != Some(&format!("{y:04}")) => {
                    format!("{y:04}-01-01")
                }
                _ => registered,
            };
            sqlx::query(
                "UPDATE governance_orgs SET name = $1, credit_code = $2, org_type = $3, registered_on = $4, unit_id = $5, \
                 contact_phone = $6, hub_role = $7, hub_id = $8, updated_at = $9 WHERE id = $10",
            )
            .bind(name)
            .bind(code.as_str())
            .bind(org_type_of(o).as_str())
            .bind(&registered)
            .bind(unit)
            .bind(&phone)
            .bind(role.as_str())
            .bind(hub)
            .bind(now)
            .bind(id)
            .execute(&mut **tx)
            .await?;
            id
        }
        None => {
            // HSDS carries no legal representative (personal data): the record asks for it on edit.
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO governance_orgs (name, credit_code, org_type, registered_on, legal_rep, unit_id, \
                 contact_phone, hub_role, hub_id, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, '', $5, $6, $7, $8, $9, $9) RETURNING id",
            )
            .bind(name)
            .bind(code.as_str())
            .bind(org_type_of(o).as_str())
            .bind(year.map(|y| format!("{y:04}-01-01")).unwrap_or_default())
            .bind(unit)
            .bind(&phone)
            .bind(role.as_str())
            .bind(hub)
            .bind(now)
            .fetch_one(&mut **tx)
            .await?;
            sqlx::query("INSERT INTO governance_org_uuids (org_id, uuid) VALUES ($1, $2)")
                .bind(id)
                .bind(uuid)
                .execute(&mut **tx)
                .await?;
            id
        }
    };
    crate::registry::orgs::write_fields(tx, id, &fields)
        .await
        .map_err(|e| gov(e, &format!("organization {uuid}")))?;
    Ok(id)
}

async fn upsert_service(
    tx: &mut Tx,
    uuid: &str,
    d: &service::ServiceDraft,
    modified: i64,
) -> anyhow::Result<i64> {
    let what = || format!("service {uuid}");
    match lookup(
        tx,
        "SELECT id FROM governance_services WHERE uuid = $1",
        uuid,
    )
    .await?
    {
        Some(id) => {
            service::update_service_fields(tx, modified, id, d)
                .await
                .map_err(|e| gov(e, &what()))?;
            Ok(id)
        }
        None => service::insert_service_row(tx, None, modified, d, Some(uuid))
            .await
            .map_err(|e| gov(e, &what())),
    }
}
