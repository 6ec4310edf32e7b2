//! The unit tree as governance edits it: loading a unit in the actor's reach, creating
//! and changing units, and granting roles in them. Each operation checks `authorize` first.

use crate::authz::Action;
use crate::authz::Scope;
use crate::authz::authorize;
use crate::error::{GovError, GovResult};
use crate::input::count;
use crate::input::text;
use crate::trail::changes;
use gov_core::GovActor;
use gov_core::MemberRole;
use gov_core::Unit;
use gov_core::UnitId;
use gov_core::UnitKind;
use gov_core::UnitPath;
use gov_core::grant_role;
use platform::db::{Db, Tx};
use platform::web::Code;
use platform::{AppState, audit};
use serde::Deserialize;

/// Loads a unit the actor may perform `action` on (404 when out of scope).
pub async fn load_unit(
    state: &AppState,
    actor: &GovActor,
    id: UnitId,
    action: Action,
) -> GovResult<Unit> {
    authorize(actor, Action::View, &Scope::Anywhere)?;
    let unit = gov_core::find_unit(&state.db, id)
        .await?
        .ok_or(GovError::NotFound)?;
    authorize(actor, action, &Scope::Unit(&unit.path))?;
    Ok(unit)
}

/// The ancestors of a unit the actor may name, root first (breadcrumbs).
pub async fn ancestors(state: &AppState, actor: &GovActor, unit: &Unit) -> GovResult<Vec<Unit>> {
    let ids = unit.path.ids();
    let above = &ids[..ids.len().saturating_sub(1)];
    let units = gov_core::units_by_ids(&state.db, above).await?;
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

fn unknown_parent() -> GovError {
    GovError::invalid(
        Code::UnknownParent,
        "parent_id",
        "上级单位不存在。",
        "the parent unit does not exist",
    )
}

/// Refuses a unit code another unit (than `except`, the one being edited) already has.
async fn code_free(tx: &mut Tx, code: &str, except: Option<UnitId>) -> GovResult<()> {
    let taken: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM governance_units WHERE code = $1 AND id <> $2")
            .bind(code)
            .bind(except.map(|u| u.0).unwrap_or(0))
            .fetch_optional(&mut **tx)
            .await?;
    match taken {
        Some(_) => Err(GovError::conflict(
            Code::CodeTaken,
            "code",
            format!("单位代码 {code} 已被使用。"),
            format!("the unit code {code} is taken"),
        )),
        None => Ok(()),
    }
}

/// Inserts a unit below its parent (checked: the four tiers) and sets its path.
pub async fn insert_unit(tx: &mut Tx, now: i64, input: &UnitInput) -> GovResult<Unit> {
    let kind = UnitKind::parse(&input.kind).ok_or_else(|| {
        GovError::invalid(
            Code::InvalidKind,
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
                .ok_or_else(unknown_parent)?,
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
            Code::InvalidParent,
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
    code_free(tx, &code, None).await?;
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
    platform::cluster::bump(tx, gov_core::UNITS_CHANGED).await?;
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
            let parent = gov_core::find_unit(&state.db, UnitId(pid))
                .await?
                .ok_or_else(unknown_parent)?;
            authorize(actor, Action::ManageUnits, &Scope::Unit(&parent.path)).map_err(
                |d| match d {
                    gov_core::Denied::Hidden => unknown_parent(),
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
    // A move: the new parent must be of the kind this unit hangs under, in the same district,
    // and the actor must be allowed to add units there.
    let new_parent = match edit.parent_id {
        Some(pid) if Some(UnitId(pid)) != unit.parent_id => {
            let parent = gov_core::find_unit(&state.db, UnitId(pid))
                .await?
                .ok_or_else(unknown_parent)?;
            authorize(actor, Action::ManageUnits, &Scope::Unit(&parent.path)).map_err(
                |d| match d {
                    gov_core::Denied::Hidden => unknown_parent(),
                    other => other.into(),
                },
            )?;
            if Some(parent.kind) != unit.kind.parent_kind() {
                return Err(GovError::invalid(
                    Code::InvalidParent,
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
                    Code::OtherDistrict,
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
    code_free(&mut tx, &code, Some(unit.id)).await?;
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
    platform::cluster::bump(&mut tx, gov_core::UNITS_CHANGED).await?;
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
    gov_core::find_unit(&state.db, unit.id)
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
    let unit = gov_core::find_unit(&state.db, unit)
        .await?
        .ok_or(GovError::NotFound)?;
    authorize(actor, Action::Grant(role), &Scope::Unit(&unit.path))?;
    let user = user_id_by_name(&state.db, username).await?.ok_or_else(|| {
        GovError::invalid(
            Code::UnknownUser,
            "username",
            format!("没有名为 {} 的账号。", username.trim()),
            format!("there is no account named {}", username.trim()),
        )
    })?;
    Ok(grant_role(&state.db, state.now(), actor.id(), user, &unit, role).await?)
}
