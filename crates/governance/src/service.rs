//! Governance operations shared by the JSON API, the pages, the CLI and the demo seed.
//! Each operation on behalf of a user checks `authorize` first.

use crate::authz::{Action, GovActor, Scope, authorize};
use crate::credit::CreditCode;
use crate::error::{GovError, GovResult, Invalid};
use crate::model::{
    self, HubRole, MemberRole, Org, OrgDraft, OrgType, StaffProfile, Unit, UnitId, UnitKind,
    UnitPath,
};
/// Memberships are shared G code; callers keep this path.
pub use gov_core::grant_role;
use platform::db::{Db, Tx};
use platform::{AppState, audit, outbox};
use serde::{Deserialize, Serialize};

/// Loads a unit the actor may perform `action` on (404 when out of scope).
pub async fn load_unit(
    state: &AppState,
    actor: &GovActor,
    id: UnitId,
    action: Action,
) -> GovResult<Unit> {
    authorize(actor, Action::View, &Scope::Anywhere)?;
    let unit = model::find_unit(&state.db, id)
        .await?
        .ok_or(GovError::NotFound)?;
    authorize(actor, action, &Scope::Unit(&unit.path))?;
    Ok(unit)
}

/// Loads an organisation the actor may perform `action` on (404 when out of scope).
pub async fn load_org(
    state: &AppState,
    actor: &GovActor,
    id: i64,
    action: Action,
) -> GovResult<Org> {
    // Organisation staff hold no unit role; anyone else needs some governance standing.
    if actor.org_links.is_empty() {
        authorize(actor, Action::View, &Scope::Anywhere)?;
    } else if actor.user.is_none() {
        return Err(GovError::SignIn);
    }
    let org = model::find_org(&state.db, id)
        .await?
        .ok_or(GovError::NotFound)?;
    authorize(actor, action, &Scope::Org(org.id, &org.unit_path))?;
    Ok(org)
}

/// The ancestors of a unit the actor may name, root first (breadcrumbs).
pub async fn ancestors(state: &AppState, actor: &GovActor, unit: &Unit) -> GovResult<Vec<Unit>> {
    let ids = unit.path.ids();
    let above = &ids[..ids.len().saturating_sub(1)];
    let units = model::units_by_ids(&state.db, above).await?;
    Ok(units
        .into_iter()
        .filter(|u| authorize(actor, Action::Reference, &Scope::Unit(&u.path)).is_ok())
        .collect())
}

// ---------------------------------------------------------------------------------------
// Units

/// A new unit's content; the parent decides where it hangs.
#[derive(Clone, Debug, Deserialize)]
pub struct UnitInput {
    pub parent_id: Option<i64>,
    pub kind: String,
    pub name: String,
    pub code: String,
    #[serde(default)]
    pub households: i64,
    #[serde(default)]
    pub residents: i64,
    #[serde(default)]
    pub party_org_name: String,
    #[serde(default)]
    pub party_secretary: String,
    #[serde(default)]
    pub party_members: i64,
    #[serde(default)]
    pub sort: i64,
}

pub(crate) fn text(
    field: &'static str,
    raw: &str,
    min: usize,
    max: usize,
    zh: &str,
    en: &str,
) -> GovResult<String> {
    let v = raw.trim();
    let n = v.chars().count();
    if n < min || n > max || v.chars().any(char::is_control) {
        return Err(GovError::invalid(
            "invalid_field",
            field,
            if min > 0 {
                format!("{zh}须为 {min}–{max} 个字符。")
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

pub(crate) fn count(field: &'static str, v: i64, zh: &str, en: &str) -> GovResult<i64> {
    if !(0..=10_000_000).contains(&v) {
        return Err(GovError::invalid(
            "invalid_field",
            field,
            format!("{zh}须为 0 到 10,000,000 之间的整数。"),
            format!("{en} must be a whole number from 0 to 10,000,000"),
        ));
    }
    Ok(v)
}

/// A unit's own data (new or changed), as typed and then as checked.
struct UnitFields {
    name: String,
    code: String,
    party_org_name: String,
    party_secretary: String,
    households: i64,
    residents: i64,
    party_members: i64,
}

fn unit_fields(raw: UnitFields) -> GovResult<UnitFields> {
    Ok(UnitFields {
        name: text("name", &raw.name, 1, 100, "名称", "the name")?,
        code: text("code", &raw.code, 1, 40, "单位代码", "the code")?,
        party_org_name: text(
            "party_org_name",
            &raw.party_org_name,
            0,
            100,
            "党组织名称",
            "the party organisation's name",
        )?,
        party_secretary: text(
            "party_secretary",
            &raw.party_secretary,
            0,
            50,
            "党组织书记",
            "the party secretary",
        )?,
        households: count("households", raw.households, "户数", "households")?,
        residents: count("residents", raw.residents, "人口", "residents")?,
        party_members: count(
            "party_members",
            raw.party_members,
            "党员人数",
            "party members",
        )?,
    })
}

/// A unit's own data as the audit log compares it.
fn unit_record(
    name: &str,
    code: &str,
    party_org_name: &str,
    party_secretary: &str,
    [households, residents, party_members]: [i64; 3],
) -> serde_json::Value {
    serde_json::json!({ "name": name, "code": code, "party_org_name": party_org_name,
        "party_secretary": party_secretary, "households": households, "residents": residents,
        "party_members": party_members })
}

/// Inserts a unit below its parent (checked: the four tiers) and sets its path.
pub async fn insert_unit(tx: &mut Tx, now: i64, input: &UnitInput) -> GovResult<Unit> {
    let kind = UnitKind::parse(&input.kind).ok_or_else(|| {
        GovError::invalid(
            "invalid_kind",
            "kind",
            "单位类型须为 district、street、community、grid 或 department。",
            "kind must be district, street, community, grid or department",
        )
    })?;
    let UnitFields {
        name,
        code,
        party_org_name,
        party_secretary,
        households,
        residents,
        party_members,
    } = unit_fields(UnitFields {
        name: input.name.clone(),
        code: input.code.clone(),
        party_org_name: input.party_org_name.clone(),
        party_secretary: input.party_secretary.clone(),
        households: input.households,
        residents: input.residents,
        party_members: input.party_members,
    })?;
    let parent: Option<(i64, String, String)> = match input.parent_id {
        Some(pid) => Some(
            sqlx::query_as("SELECT id, path, kind FROM governance_units WHERE id = $1")
                .bind(pid)
                .fetch_optional(&mut **tx)
                .await?
                .ok_or_else(|| {
                    GovError::invalid(
                        "unknown_parent",
                        "parent_id",
                        "上级单位不存在。",
                        "the parent unit does not exist",
                    )
                })?,
        ),
        None => None,
    };
    let parent_kind = parent.as_ref().and_then(|p| UnitKind::parse(&p.2));
    if parent_kind != kind.parent_kind() {
        let want = kind
            .parent_kind()
            .map(|k| k.as_str())
            .unwrap_or("none (a district is a root)");
        return Err(GovError::invalid(
            "invalid_parent",
            "parent_id",
            format!(
                "{}的上级必须是{}。",
                kind.label(platform::web::Lang::Zh),
                kind.parent_kind()
                    .map(|k| k.label(platform::web::Lang::Zh))
                    .unwrap_or("空（区是根单位）")
            ),
            format!("the parent of a {} must be: {want}", kind.as_str()),
        ));
    }
    let taken: Option<(i64,)> = sqlx::query_as("SELECT id FROM governance_units WHERE code = $1")
        .bind(&code)
        .fetch_optional(&mut **tx)
        .await?;
    if taken.is_some() {
        return Err(GovError::conflict(
            "code_taken",
            "code",
            format!("单位代码 {code} 已被使用。"),
            format!("the unit code {code} is taken"),
        ));
    }
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO governance_units (parent_id, path, kind, name, code, households, residents, \
         party_org_name, party_secretary, party_members, sort, created_at, updated_at) \
         VALUES ($1, '/', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
    )
    .bind(input.parent_id)
    .bind(kind.as_str())
    .bind(&name)
    .bind(&code)
    .bind(households)
    .bind(residents)
    .bind(&party_org_name)
    .bind(&party_secretary)
    .bind(party_members)
    .bind(input.sort)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    let path = match &parent {
        Some((_, p, _)) => UnitPath::parse(p)
            .ok_or_else(|| anyhow::anyhow!("unit {} has a bad path", input.parent_id.unwrap_or(0)))?
            .child(UnitId(id)),
        None => UnitPath::root(UnitId(id)),
    };
    sqlx::query("UPDATE governance_units SET path = $1 WHERE id = $2")
        .bind(path.as_str())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(Unit {
        id: UnitId(id),
        parent_id: input.parent_id.map(UnitId),
        path,
        kind,
        name,
        code,
        households,
        residents,
        party_org_name,
        party_secretary,
        party_members,
    })
}

/// Adds a unit on behalf of a user: a district needs a platform admin, anything else a
/// unit admin of the parent.
pub async fn create_unit(state: &AppState, actor: &GovActor, input: &UnitInput) -> GovResult<Unit> {
    match input.parent_id {
        None => authorize(actor, Action::CreateDistrict, &Scope::Anywhere)?,
        Some(pid) => {
            authorize(actor, Action::ManageUnits, &Scope::Anywhere)?;
            let parent = model::find_unit(&state.db, UnitId(pid))
                .await?
                .ok_or_else(|| {
                    GovError::invalid(
                        "unknown_parent",
                        "parent_id",
                        "上级单位不存在。",
                        "the parent unit does not exist",
                    )
                })?;
            authorize(actor, Action::ManageUnits, &Scope::Unit(&parent.path)).map_err(
                |d| match d {
                    crate::authz::Denied::Hidden => GovError::invalid(
                        "unknown_parent",
                        "parent_id",
                        "上级单位不存在。",
                        "the parent unit does not exist",
                    ),
                    other => other.into(),
                },
            )?;
        }
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let unit = insert_unit(&mut tx, now, input).await?;
    audit::append(
        &mut tx,
        audit::Entry {
            at: now,
            actor_id: actor.id(),
            action: "governance.unit.create",
            subject: &format!("governance_unit:{}", unit.id),
            detail: serde_json::json!({ "code": unit.code, "kind": unit.kind, "parent_id": unit.parent_id }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(unit)
}

/// A change to a unit: its data, and optionally a new parent (a move). Absent fields keep
/// their value; the kind never changes.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitEdit {
    pub parent_id: Option<i64>,
    pub name: Option<String>,
    pub code: Option<String>,
    pub households: Option<i64>,
    pub residents: Option<i64>,
    pub party_org_name: Option<String>,
    pub party_secretary: Option<String>,
    pub party_members: Option<i64>,
    pub sort: Option<i64>,
}

/// Changes a unit (unit administrators at or above it). A move needs the right to add
/// units under the new parent, keeps the four tiers and the district, and rewrites the
/// materialised paths of the whole subtree in the same transaction (ADR 007).
pub async fn update_unit(
    state: &AppState,
    actor: &GovActor,
    id: UnitId,
    edit: &UnitEdit,
) -> GovResult<Unit> {
    let unit = load_unit(state, actor, id, Action::EditUnit).await?;
    let or = |v: &Option<String>, old: &str| v.clone().unwrap_or_else(|| old.to_string());
    let UnitFields {
        name,
        code,
        party_org_name,
        party_secretary,
        households,
        residents,
        party_members,
    } = unit_fields(UnitFields {
        name: or(&edit.name, &unit.name),
        code: or(&edit.code, &unit.code),
        party_org_name: or(&edit.party_org_name, &unit.party_org_name),
        party_secretary: or(&edit.party_secretary, &unit.party_secretary),
        households: edit.households.unwrap_or(unit.households),
        residents: edit.residents.unwrap_or(unit.residents),
        party_members: edit.party_members.unwrap_or(unit.party_members),
    })?;
    let unknown_parent = || {
        GovError::invalid(
            "unknown_parent",
            "parent_id",
            "上级单位不存在。",
            "the parent unit does not exist",
        )
    };
    // A move: the new parent must be of the kind this unit hangs under, in the same district,
    // and the actor must be allowed to add units there.
    let new_parent = match edit.parent_id {
        Some(pid) if Some(UnitId(pid)) != unit.parent_id => {
            let parent = model::find_unit(&state.db, UnitId(pid))
                .await?
                .ok_or_else(unknown_parent)?;
            authorize(actor, Action::ManageUnits, &Scope::Unit(&parent.path)).map_err(
                |d| match d {
                    crate::authz::Denied::Hidden => unknown_parent(),
                    other => other.into(),
                },
            )?;
            if Some(parent.kind) != unit.kind.parent_kind() {
                return Err(GovError::invalid(
                    "invalid_parent",
                    "parent_id",
                    format!(
                        "{}只能挂在{}之下。",
                        unit.kind.label(platform::web::Lang::Zh),
                        unit.kind
                            .parent_kind()
                            .map(|k| k.label(platform::web::Lang::Zh))
                            .unwrap_or("（无）")
                    ),
                    format!(
                        "a {} can only hang under a {}",
                        unit.kind.as_str(),
                        unit.kind
                            .parent_kind()
                            .map(|k| k.as_str())
                            .unwrap_or("nothing")
                    ),
                ));
            }
            if parent.path.root_path() != unit.path.root_path() {
                return Err(GovError::invalid(
                    "other_district",
                    "parent_id",
                    "单位不能迁移到另一个区。",
                    "a unit cannot move to another district",
                ));
            }
            Some(parent)
        }
        _ => None,
    };
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let taken: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM governance_units WHERE code = $1 AND id <> $2")
            .bind(&code)
            .bind(unit.id.0)
            .fetch_optional(&mut *tx)
            .await?;
    if taken.is_some() {
        return Err(GovError::conflict(
            "code_taken",
            "code",
            format!("单位代码 {code} 已被使用。"),
            format!("the unit code {code} is taken"),
        ));
    }
    sqlx::query(
        "UPDATE governance_units SET name = $1, code = $2, households = $3, residents = $4, party_org_name = $5, \
         party_secretary = $6, party_members = $7, sort = CASE WHEN $8 < 0 THEN sort ELSE $8 END, updated_at = $9 WHERE id = $10",
    )
    .bind(&name)
    .bind(&code)
    .bind(households)
    .bind(residents)
    .bind(&party_org_name)
    .bind(&party_secretary)
    .bind(party_members)
    .bind(edit.sort.unwrap_or(-1))
    .bind(now)
    .bind(unit.id.0)
    .execute(&mut *tx)
    .await?;
    let mut path = unit.path.clone();
    if let Some(parent) = &new_parent {
        path = parent.path.child(unit.id);
        // Every path in the subtree starts with the old path: swap that prefix.
        sqlx::query(
            "UPDATE governance_units SET path = $1 || SUBSTR(path, CAST($2 AS INTEGER)) WHERE path LIKE $3 || '%'",
        )
        .bind(path.as_str())
        .bind(unit.path.as_str().len() as i64 + 1)
        .bind(unit.path.as_str())
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE governance_units SET parent_id = $1 WHERE id = $2")
            .bind(parent.id.0)
            .bind(unit.id.0)
            .execute(&mut *tx)
            .await?;
    }
    audit::append(
        &mut tx,
        audit::Entry {
            at: now,
            actor_id: actor.id(),
            action: if new_parent.is_some() {
                "governance.unit.move"
            } else {
                "governance.unit.update"
            },
            subject: &format!("governance_unit:{}", unit.id),
            detail: serde_json::json!({
                "code": code, "from": unit.path, "to": path,
                "changes": changes(
                    &unit_record(&unit.name, &unit.code, &unit.party_org_name, &unit.party_secretary,
                                 [unit.households, unit.residents, unit.party_members]),
                    &unit_record(&name, &code, &party_org_name, &party_secretary,
                                 [households, residents, party_members]),
                ),
            }),
        },
    )
    .await?;
    tx.commit().await?;
    model::find_unit(&state.db, unit.id)
        .await?
        .ok_or(GovError::NotFound)
}

// ---------------------------------------------------------------------------------------
// Memberships

/// Looks up an active account by username.
pub async fn user_id_by_name(db: &Db, username: &str) -> sqlx::Result<Option<i64>> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM platform_users WHERE username = $1 AND disabled = 0")
            .bind(username.trim())
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.map(|r| r.0))
}

/// A grant on behalf of a user (platform admin, or unit admin above the unit).
pub async fn grant(
    state: &AppState,
    actor: &GovActor,
    username: &str,
    unit: UnitId,
    role: MemberRole,
) -> GovResult<()> {
    authorize(actor, Action::Grant(MemberRole::Viewer), &Scope::Anywhere)?;
    let unit = model::find_unit(&state.db, unit)
        .await?
        .ok_or(GovError::NotFound)?;
    authorize(actor, Action::Grant(role), &Scope::Unit(&unit.path))?;
    let user = user_id_by_name(&state.db, username).await?.ok_or_else(|| {
        GovError::invalid(
            "unknown_user",
            "username",
            format!("没有名为 {} 的账号。", username.trim()),
            format!("there is no account named {}", username.trim()),
        )
    })?;
    Ok(grant_role(&state.db, state.now(), actor.id(), user, &unit, role).await?)
}

// ---------------------------------------------------------------------------------------
// Organisations

/// An organisation as sent by a form or the API, before validation.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OrgInput {
    pub name: Option<String>,
    pub credit_code: Option<String>,
    pub org_type: Option<String>,
    pub registered_on: Option<String>,
    pub legal_rep: Option<String>,
    pub address: Option<String>,
    pub unit_id: Option<i64>,
    pub service_fields: Option<Vec<String>>,
    pub staff_count: Option<i64>,
    pub staff_under_35: Option<i64>,
    pub staff_35_to_54: Option<i64>,
    pub staff_55_plus: Option<i64>,
    pub volunteers: Option<i64>,
    pub contact_phone: Option<String>,
    pub hub_role: Option<String>,
    pub hub_id: Option<i64>,
    pub brand: Option<bool>,
    pub leading_figure: Option<String>,
}

impl OrgInput {
    pub fn from_org(o: &Org) -> OrgInput {
        OrgInput {
            name: Some(o.name.clone()),
            credit_code: Some(o.credit_code.clone()),
            org_type: Some(o.org_type.as_str().into()),
            registered_on: Some(o.registered_on.clone()),
            legal_rep: Some(o.legal_rep.clone()),
            address: Some(o.address.clone()),
            unit_id: Some(o.unit_id.0),
            service_fields: Some(o.service_fields.clone()),
            staff_count: Some(o.staff.count),
            staff_under_35: Some(o.staff.under_35),
            staff_35_to_54: Some(o.staff.from_35_to_54),
            staff_55_plus: Some(o.staff.from_55),
            volunteers: Some(o.volunteers),
            contact_phone: Some(o.contact_phone.clone()),
            hub_role: Some(o.hub_role.as_str().into()),
            hub_id: o.hub_id,
            brand: Some(o.brand),
            leading_figure: Some(o.leading_figure.clone()),
        }
    }

    /// A checked draft in the same shape, so a change can be compared field by field.
    pub fn from_draft(d: &OrgDraft) -> OrgInput {
        OrgInput {
            name: Some(d.name.clone()),
            credit_code: Some(d.credit_code.as_str().to_string()),
            org_type: Some(d.org_type.as_str().into()),
            registered_on: Some(d.registered_on.clone()),
            legal_rep: Some(d.legal_rep.clone()),
            address: Some(d.address.clone()),
            unit_id: Some(d.unit_id.0),
            service_fields: Some(d.service_fields.clone()),
            staff_count: Some(d.staff.count),
            staff_under_35: Some(d.staff.under_35),
            staff_35_to_54: Some(d.staff.from_35_to_54),
            staff_55_plus: Some(d.staff.from_55),
            volunteers: Some(d.volunteers),
            contact_phone: Some(d.contact_phone.clone()),
            hub_role: Some(d.hub_role.as_str().into()),
            hub_id: d.hub_id,
            brand: Some(d.brand),
            leading_figure: Some(d.leading_figure.clone()),
        }
    }

    /// The district's marks (brand, leading figure) left out of a request keep their value:
    /// only the district may change them, so an edit that does not mention them is allowed.
    pub fn keep_marks_of(&mut self, o: &Org) {
        if self.brand.is_none() {
            self.brand = Some(o.brand);
        }
        if self.leading_figure.is_none() {
            self.leading_figure = Some(o.leading_figure.clone());
        }
    }
}

/// Every field whose value differs, as `{field: {"from": …, "to": …}}` (for the audit log).
pub fn changes<T: Serialize>(before: &T, after: &T) -> serde_json::Value {
    let (Ok(serde_json::Value::Object(b)), Ok(serde_json::Value::Object(a))) =
        (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return serde_json::Value::Null;
    };
    let mut out = serde_json::Map::new();
    for (k, to) in a {
        let from = b.get(&k).cloned().unwrap_or(serde_json::Value::Null);
        if from != to {
            out.insert(k, serde_json::json!({ "from": from, "to": to }));
        }
    }
    serde_json::Value::Object(out)
}

fn required<'a>(
    v: &'a Option<String>,
    field: &'static str,
    zh: &str,
    en: &str,
) -> GovResult<&'a str> {
    match v.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(GovError::invalid(
            "missing_field",
            field,
            format!("请填写{zh}。"),
            format!("{en} is required"),
        )),
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A `YYYY-MM-DD` registration date, not before 1949 and not after `today_ms` (UTC+8).
pub fn parse_date(raw: &str, today_ms: i64) -> Result<String, Invalid> {
    let bad = || {
        Invalid::new(
            "invalid_date",
            "registered_on",
            "登记日期须为有效日期，格式 YYYY-MM-DD，且不晚于今天。",
            "the registration date must be a real date as YYYY-MM-DD, not in the future",
        )
    };
    let s = raw.trim();
    let parts: Vec<&str> = s.split('-').collect();
    if parts.len() != 3
        || parts[0].len() != 4
        || parts[1].len() != 2
        || parts[2].len() != 2
        || !s.chars().all(|c| c.is_ascii_digit() || c == '-')
    {
        return Err(bad());
    }
    let (Ok(y), Ok(m), Ok(d)) = (
        parts[0].parse::<i64>(),
        parts[1].parse::<i64>(),
        parts[2].parse::<i64>(),
    ) else {
        return Err(bad());
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1949..=9999).contains(&y)
        || !(1..=12).contains(&m)
        || d < 1
        || d > month_days[(m - 1) as usize]
    {
        return Err(bad());
    }
    let today = (today_ms + 8 * 3_600_000).div_euclid(86_400_000);
    if days_from_civil(y, m, d) > today {
        return Err(bad());
    }
    Ok(s.to_string())
}

pub(crate) fn phone(raw: &str) -> GovResult<String> {
    let v = raw.trim();
    let ok = v.is_empty()
        || (v.chars().count() <= 30
            && v.chars().filter(char::is_ascii_digit).count() >= 5
            && v.chars()
                .all(|c| c.is_ascii_digit() || " -+()转".contains(c)));
    if !ok {
        return Err(GovError::invalid(
            "invalid_phone",
            "contact_phone",
            "联系电话只能包含数字、空格、-、+ 和括号（至少 5 位数字）。",
            "the contact phone may contain digits, spaces, -, + and brackets (at least 5 digits)",
        ));
    }
    Ok(v.to_string())
}

/// Checks everything about an input that does not need the database.
pub fn validate(input: &OrgInput, today_ms: i64) -> GovResult<OrgDraft> {
    let name = text(
        "name",
        required(&input.name, "name", "组织名称", "the name")?,
        2,
        100,
        "组织名称",
        "the name",
    )?;
    let code_raw = required(
        &input.credit_code,
        "credit_code",
        "统一社会信用代码",
        "the credit code",
    )?;
    let credit_code = CreditCode::parse(code_raw)
        .map_err(|e| GovError::invalid("invalid_credit_code", "credit_code", e.zh(), e.en()))?;
    let org_type = OrgType::parse(required(
        &input.org_type,
        "org_type",
        "组织类型",
        "the type",
    )?)
    .ok_or_else(|| {
        GovError::invalid(
            "invalid_org_type",
            "org_type",
            "组织类型须为社会团体、社会服务机构或基金会。",
            "org_type must be social_group, social_service_agency or foundation",
        )
    })?;
    let registered_on = parse_date(
        required(
            &input.registered_on,
            "registered_on",
            "登记日期",
            "the registration date",
        )?,
        today_ms,
    )
    .map_err(GovError::Invalid)?;
    let legal_rep = text(
        "legal_rep",
        required(
            &input.legal_rep,
            "legal_rep",
            "法定代表人",
            "the legal representative",
        )?,
        1,
        50,
        "法定代表人",
        "the legal representative",
    )?;
    let address = text(
        "address",
        input.address.as_deref().unwrap_or(""),
        0,
        200,
        "地址",
        "the address",
    )?;
    let unit_id = input
        .unit_id
        .filter(|u| *u > 0)
        .map(UnitId)
        .ok_or_else(|| {
            GovError::invalid(
                "missing_field",
                "unit_id",
                "请选择所属单位。",
                "unit_id (the home unit) is required",
            )
        })?;
    let mut service_fields: Vec<String> = Vec::new();
    for f in input.service_fields.iter().flatten() {
        let f = f.trim();
        if !model::is_field(f) {
            let known: Vec<&str> = model::SERVICE_FIELDS.iter().map(|x| x.0).collect();
            return Err(GovError::invalid(
                "invalid_service_field",
                "service_fields",
                format!("未知的服务领域“{f}”。"),
                format!("unknown service field `{f}`; use: {}", known.join(", ")),
            ));
        }
        if !service_fields.iter().any(|x| x == f) {
            service_fields.push(f.to_string());
        }
    }
    let staff = StaffProfile {
        count: count(
            "staff_count",
            input.staff_count.unwrap_or(0),
            "专职人员数",
            "staff_count",
        )?,
        under_35: count(
            "staff_under_35",
            input.staff_under_35.unwrap_or(0),
            "35 岁以下人数",
            "staff_under_35",
        )?,
        from_35_to_54: count(
            "staff_35_to_54",
            input.staff_35_to_54.unwrap_or(0),
            "35–54 岁人数",
            "staff_35_to_54",
        )?,
        from_55: count(
            "staff_55_plus",
            input.staff_55_plus.unwrap_or(0),
            "55 岁及以上人数",
            "staff_55_plus",
        )?,
    };
    if staff.under_35 + staff.from_35_to_54 + staff.from_55 > staff.count {
        return Err(GovError::invalid(
            "invalid_staff_profile",
            "staff_count",
            "各年龄段人数之和不能超过专职人员总数。",
            "the age groups add up to more than staff_count",
        ));
    }
    let volunteers = count(
        "volunteers",
        input.volunteers.unwrap_or(0),
        "志愿者人数",
        "volunteers",
    )?;
    let contact_phone = phone(input.contact_phone.as_deref().unwrap_or(""))?;
    let hub_role = match input
        .hub_role
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => HubRole::Member,
        Some(s) => HubRole::parse(s).ok_or_else(|| {
            GovError::invalid(
                "invalid_hub_role",
                "hub_role",
                "枢纽角色须为 federation、hub 或 member。",
                "hub_role must be federation, hub or member",
            )
        })?,
    };
    let hub_id = input.hub_id;
    match (hub_role, hub_id) {
        (HubRole::Member, None) => {
            return Err(GovError::invalid(
                "hub_required",
                "hub_id",
                "会员组织（X）必须挂靠一个枢纽型社会组织，请选择枢纽组织。",
                "a member organisation (the X) must be attached to a hub: give hub_id",
            ));
        }
        (HubRole::Federation | HubRole::Hub, Some(_)) => {
            return Err(GovError::invalid(
                "hub_not_allowed",
                "hub_id",
                "联合会和枢纽型社会组织不挂靠其他组织，请不要选择枢纽组织。",
                "only member organisations are attached to a hub; leave hub_id empty for the federation and hubs",
            ));
        }
        _ => {}
    }
    let leading_figure = text(
        "leading_figure",
        input.leading_figure.as_deref().unwrap_or(""),
        0,
        50,
        "领军人物",
        "the leading figure",
    )?;
    Ok(OrgDraft {
        name,
        credit_code,
        org_type,
        registered_on,
        legal_rep,
        address,
        unit_id,
        service_fields,
        staff,
        volunteers,
        contact_phone,
        hub_role,
        hub_id,
        brand: input.brand.unwrap_or(false),
        leading_figure,
    })
}

/// The "1+5+X" rules that need the database; run inside the writing transaction after the
/// district row is locked, so two writers cannot both create the district's federation.
async fn check_hub_rules(
    tx: &mut Tx,
    actor: Option<&GovActor>,
    draft: &OrgDraft,
    district: &UnitPath,
    self_id: Option<i64>,
) -> GovResult<()> {
    match draft.hub_role {
        HubRole::Federation => {
            let other: Option<(i64, String)> = sqlx::query_as(
                "SELECT o.id, o.name FROM governance_orgs o JOIN governance_units u ON u.id = o.unit_id \
                 WHERE o.hub_role = 'federation' AND u.path LIKE $1 || '%' AND o.id <> $2",
            )
            .bind(district.as_str())
            .bind(self_id.unwrap_or(0))
            .fetch_optional(&mut **tx)
            .await?;
            if let Some((_, name)) = other {
                return Err(GovError::conflict(
                    "federation_exists",
                    "hub_role",
                    format!("本区已有社会组织联合会（{name}），每个区只能有一个。"),
                    format!(
                        "this district already has its federation ({name}); there is at most one per district"
                    ),
                ));
            }
        }
        HubRole::Hub => {}
        HubRole::Member => {
            let hub_id = draft.hub_id.unwrap_or(0);
            let not_found = || {
                GovError::invalid(
                    "unknown_hub",
                    "hub_id",
                    "所选的枢纽组织不存在。",
                    "the chosen hub organisation does not exist",
                )
            };
            if Some(hub_id) == self_id {
                return Err(GovError::invalid(
                    "hub_is_self",
                    "hub_id",
                    "组织不能挂靠自己。",
                    "an organisation cannot be attached to itself",
                ));
            }
            let hub: Option<(String, String, String)> = sqlx::query_as(
                "SELECT o.hub_role, o.name, u.path FROM governance_orgs o JOIN governance_units u ON u.id = o.unit_id WHERE o.id = $1",
            )
            .bind(hub_id)
            .fetch_optional(&mut **tx)
            .await?;
            let (role, name, path) = hub.ok_or_else(not_found)?;
            let path = UnitPath::parse(&path).ok_or_else(not_found)?;
            if let Some(actor) = actor
                && authorize(actor, Action::Reference, &Scope::Unit(&path)).is_err()
            {
                return Err(not_found());
            }
            if role != HubRole::Hub.as_str() {
                return Err(GovError::invalid(
                    "not_a_hub",
                    "hub_id",
                    format!(
                        "“{name}”不是枢纽型社会组织，会员组织只能挂靠枢纽组织（不能挂靠联合会或其他会员组织）。"
                    ),
                    format!(
                        "“{name}” is not a hub organisation; members attach to a hub, not to the federation or another member"
                    ),
                ));
            }
            if !district.contains(&path) {
                return Err(GovError::invalid(
                    "hub_other_district",
                    "hub_id",
                    format!("“{name}”属于另一个区，只能挂靠本区的枢纽组织。"),
                    format!(
                        "“{name}” belongs to another district; attach to a hub of this district"
                    ),
                ));
            }
        }
    }
    Ok(())
}

async fn credit_code_taken(tx: &mut Tx, code: &CreditCode, self_id: Option<i64>) -> GovResult<()> {
    let other: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM governance_orgs WHERE credit_code = $1 AND id <> $2")
            .bind(code.as_str())
            .bind(self_id.unwrap_or(0))
            .fetch_optional(&mut **tx)
            .await?;
    if other.is_some() {
        return Err(GovError::conflict(
            "credit_code_taken",
            "credit_code",
            format!("统一社会信用代码 {code} 已登记在另一个组织名下。"),
            format!("the credit code {code} is already registered for another organisation"),
        ));
    }
    Ok(())
}

/// Locks the district's row for the rest of the transaction (PostgreSQL row lock; SQLite
/// holds the write lock already): the 1+5+X checks and the write become one step.
async fn lock_district(tx: &mut Tx, district: &UnitPath) -> GovResult<()> {
    let id = district.ids().first().map(|i| i.0).unwrap_or(0);
    sqlx::query("UPDATE governance_units SET updated_at = updated_at WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub(crate) async fn write_fields(tx: &mut Tx, id: i64, fields: &[String]) -> GovResult<()> {
    sqlx::query("DELETE FROM governance_org_fields WHERE org_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for f in fields {
        sqlx::query("INSERT INTO governance_org_fields (org_id, field) VALUES ($1, $2)")
            .bind(id)
            .bind(f)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The home unit of a draft, authorised for editing (a unit out of scope reads as unknown).
async fn home_unit(state: &AppState, actor: &GovActor, id: UnitId) -> GovResult<Unit> {
    let unknown = || {
        GovError::invalid(
            "unknown_unit",
            "unit_id",
            "所选的所属单位不存在。",
            "the home unit does not exist",
        )
    };
    let unit = model::find_unit(&state.db, id).await?.ok_or_else(unknown)?;
    authorize(actor, Action::EditOrg, &Scope::Unit(&unit.path)).map_err(|d| match d {
        crate::authz::Denied::Hidden => unknown(),
        other => other.into(),
    })?;
    Ok(unit)
}

/// A right reserved for the district (naming hubs, brand marks, leading figures). Staff
/// below the district know their district exists, so a refusal says why, not "not found".
pub fn district_right(actor: &GovActor, action: Action, district: &UnitPath) -> GovResult<()> {
    authorize(actor, action, &Scope::Unit(district)).map_err(|d| match d {
        crate::authz::Denied::Hidden => GovError::Denied(action.why().into()),
        other => other.into(),
    })
}

fn may_designate(actor: &GovActor, district: &UnitPath) -> GovResult<()> {
    district_right(actor, Action::DesignateHub, district)
}

/// Brand marks and leading figures are awarded by the district (ADR 011), by whatever path.
fn may_award(actor: &GovActor, district: &UnitPath) -> GovResult<()> {
    district_right(actor, Action::AssessGrade, district)
}

/// Registers an organisation on behalf of a user.
pub async fn create_org(state: &AppState, actor: &GovActor, draft: &OrgDraft) -> GovResult<i64> {
    authorize(actor, Action::EditOrg, &Scope::Anywhere)?;
    let unit = home_unit(state, actor, draft.unit_id).await?;
    let district = unit.path.root_path();
    if draft.hub_role != HubRole::Member {
        may_designate(actor, &district)?;
    }
    if draft.brand || !draft.leading_figure.is_empty() {
        may_award(actor, &district)?;
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let id = insert_org(&mut tx, Some(actor), actor.id(), now, draft, &district).await?;
    audit::append(
        &mut tx,
        audit::Entry {
            at: now,
            actor_id: actor.id(),
            action: "governance.org.create",
            subject: &format!("governance_org:{id}"),
            detail: serde_json::json!({ "name": draft.name, "fields": OrgInput::from_draft(draft) }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Inserts a checked organisation (rules, unique code, fields, event) in `tx`.
pub async fn insert_org(
    tx: &mut Tx,
    actor: Option<&GovActor>,
    by: Option<i64>,
    now: i64,
    draft: &OrgDraft,
    district: &UnitPath,
) -> GovResult<i64> {
    lock_district(tx, district).await?;
    check_hub_rules(tx, actor, draft, district, None).await?;
    credit_code_taken(tx, &draft.credit_code, None).await?;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO governance_orgs (name, credit_code, org_type, registered_on, legal_rep, address, unit_id, \
         staff_count, staff_under_35, staff_35_to_54, staff_55_plus, volunteers, contact_phone, hub_role, hub_id, \
         brand, leading_figure, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19) RETURNING id",
    )
    .bind(&draft.name)
    .bind(draft.credit_code.as_str())
    .bind(draft.org_type.as_str())
    .bind(&draft.registered_on)
    .bind(&draft.legal_rep)
    .bind(&draft.address)
    .bind(draft.unit_id.0)
    .bind(draft.staff.count)
    .bind(draft.staff.under_35)
    .bind(draft.staff.from_35_to_54)
    .bind(draft.staff.from_55)
    .bind(draft.volunteers)
    .bind(&draft.contact_phone)
    .bind(draft.hub_role.as_str())
    .bind(draft.hub_id)
    .bind(draft.brand as i64)
    .bind(&draft.leading_figure)
    .bind(by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    write_fields(tx, id, &draft.service_fields).await?;
    outbox::emit(
        tx,
        now,
        "governance.org.created",
        id,
        serde_json::json!({ "unit_id": draft.unit_id }),
    )
    .await?;
    Ok(id)
}

/// Changes an organisation on behalf of a user; it must stay (and move only) within scope.
pub async fn update_org(
    state: &AppState,
    actor: &GovActor,
    id: i64,
    draft: &OrgDraft,
) -> GovResult<()> {
    let old = load_org(state, actor, id, Action::EditOrg).await?;
    let unit = home_unit(state, actor, draft.unit_id).await?;
    let district = unit.path.root_path();
    if old.unit_path.root_path() != district {
        return Err(GovError::invalid(
            "other_district",
            "unit_id",
            "组织不能迁移到另一个区。",
            "an organisation cannot move to another district",
        ));
    }
    // Naming or un-naming the federation or a hub, or moving one, is the district's call.
    let role_changes = draft.hub_role != old.hub_role;
    let moves_a_hub = draft.hub_role != HubRole::Member && draft.unit_id != old.unit_id;
    if role_changes || moves_a_hub {
        may_designate(actor, &district)?;
    }
    if draft.brand != old.brand || draft.leading_figure != old.leading_figure {
        may_award(actor, &district)?;
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    lock_district(&mut tx, &district).await?;
    if old.hub_role == HubRole::Hub && draft.hub_role != HubRole::Hub {
        let (members,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM governance_orgs WHERE hub_id = $1 AND hub_role = 'member'",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        if members > 0 {
            return Err(GovError::conflict(
                "hub_has_members",
                "hub_role",
                format!("该枢纽组织还有 {members} 家会员组织挂靠，请先将它们转到其他枢纽组织。"),
                format!(
                    "{members} member organisations are attached to this hub; move them to another hub first"
                ),
            ));
        }
    }
    check_hub_rules(&mut tx, Some(actor), draft, &district, Some(id)).await?;
    credit_code_taken(&mut tx, &draft.credit_code, Some(id)).await?;
    sqlx::query(
        "UPDATE governance_orgs SET name = $1, credit_code = $2, org_type = $3, registered_on = $4, legal_rep = $5, \
         address = $6, unit_id = $7, staff_count = $8, staff_under_35 = $9, staff_35_to_54 = $10, staff_55_plus = $11, \
         volunteers = $12, contact_phone = $13, hub_role = $14, hub_id = $15, brand = $16, leading_figure = $17, \
         updated_at = $18 WHERE id = $19",
    )
    .bind(&draft.name)
    .bind(draft.credit_code.as_str())
    .bind(draft.org_type.as_str())
    .bind(&draft.registered_on)
    .bind(&draft.legal_rep)
    .bind(&draft.address)
    .bind(draft.unit_id.0)
    .bind(draft.staff.count)
    .bind(draft.staff.under_35)
    .bind(draft.staff.from_35_to_54)
    .bind(draft.staff.from_55)
    .bind(draft.volunteers)
    .bind(&draft.contact_phone)
    .bind(draft.hub_role.as_str())
    .bind(draft.hub_id)
    .bind(draft.brand as i64)
    .bind(&draft.leading_figure)
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    write_fields(&mut tx, id, &draft.service_fields).await?;
    outbox::emit(
        &mut tx,
        now,
        "governance.org.updated",
        id,
        serde_json::json!({ "unit_id": draft.unit_id }),
    )
    .await?;
    audit::append(
        &mut tx,
        audit::Entry {
            at: now,
            actor_id: actor.id(),
            action: "governance.org.update",
            subject: &format!("governance_org:{id}"),
            detail: serde_json::json!({
                "name": draft.name,
                "changes": changes(&OrgInput::from_org(&old), &OrgInput::from_draft(draft)),
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Records who exported which list (bulk reads of registry data are audited).
pub async fn audit_export(
    state: &AppState,
    actor: &GovActor,
    what: &str,
    rows: usize,
) -> GovResult<()> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    audit::append(
        &mut tx,
        audit::Entry {
            at: now,
            actor_id: actor.id(),
            action: "governance.export",
            subject: what,
            detail: serde_json::json!({ "rows": rows }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_780_000_000_000; // 2026-05-28

    fn input() -> OrgInput {
        OrgInput {
            name: Some("桂枝社区睦邻服务社".into()),
            credit_code: Some(
                CreditCode::complete("52330100MJ0000012")
                    .unwrap()
                    .to_string(),
            ),
            org_type: Some("social_service_agency".into()),
            registered_on: Some("2019-06-30".into()),
            legal_rep: Some("林晓禾".into()),
            unit_id: Some(7),
            service_fields: Some(vec![
                "elderly".into(),
                "elderly".into(),
                "volunteering".into(),
            ]),
            staff_count: Some(10),
            staff_under_35: Some(4),
            staff_35_to_54: Some(4),
            staff_55_plus: Some(2),
            hub_role: Some("member".into()),
            hub_id: Some(3),
            ..OrgInput::default()
        }
    }

    #[test]
    fn a_good_input_validates() {
        let d = validate(&input(), NOW).unwrap();
        assert_eq!(d.service_fields, vec!["elderly", "volunteering"]);
        assert_eq!(d.hub_role, HubRole::Member);
    }

    #[test]
    fn bad_inputs_say_which_field() {
        type Change = Box<dyn Fn(&mut OrgInput)>;
        let cases: Vec<(Change, &str)> = vec![
            (
                Box::new(|i| i.credit_code = Some("52330100MJ00000120".into())),
                "invalid_credit_code",
            ),
            (
                Box::new(|i| i.org_type = Some("company".into())),
                "invalid_org_type",
            ),
            (
                Box::new(|i| i.registered_on = Some("2019-02-30".into())),
                "invalid_date",
            ),
            (
                Box::new(|i| i.registered_on = Some("2099-01-01".into())),
                "invalid_date",
            ),
            (Box::new(|i| i.name = Some("  ".into())), "missing_field"),
            (
                Box::new(|i| i.staff_55_plus = Some(5)),
                "invalid_staff_profile",
            ),
            (Box::new(|i| i.volunteers = Some(-1)), "invalid_field"),
            (
                Box::new(|i| i.service_fields = Some(vec!["golf".into()])),
                "invalid_service_field",
            ),
            (Box::new(|i| i.hub_id = None), "hub_required"),
            (
                Box::new(|i| i.hub_role = Some("hub".into())),
                "hub_not_allowed",
            ),
            (
                Box::new(|i| i.contact_phone = Some("call me".into())),
                "invalid_phone",
            ),
        ];
        for (change, code) in cases {
            let mut i = input();
            change(&mut i);
            match validate(&i, NOW) {
                Err(GovError::Invalid(inv)) => assert_eq!(inv.code, code),
                other => panic!("expected {code}, got {other:?}"),
            }
        }
    }

    #[test]
    fn dates() {
        assert!(parse_date("2024-02-29", NOW).is_ok());
        assert!(parse_date("2023-02-29", NOW).is_err());
        assert!(parse_date("1948-12-31", NOW).is_err());
        assert!(parse_date("2020-1-01", NOW).is_err());
        assert!(parse_date("２０２０-01-01", NOW).is_err());
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }
}
