//! Social organisations as governance registers them: the input, its validation (credit
//! code, dates, the 1+5+X hub rules) and the writes, each checked with `authorize` first.

use crate::authz::Action;
use crate::authz::Scope;
use crate::authz::authorize;
use crate::credit::CreditCode;
use crate::error::{GovError, GovResult};
use crate::input::count;
use crate::input::parse_date;
use crate::input::required;
use crate::input::{phone, text};
use crate::listing::AnyQuery;
use crate::registry::model;
use crate::registry::model::HubRole;
use crate::registry::model::Org;
use crate::registry::model::OrgDraft;
use crate::registry::model::OrgType;
use crate::registry::model::StaffProfile;
use crate::trail::changes;
use gov_core::GovActor;
use gov_core::Unit;
use gov_core::UnitId;
use gov_core::UnitPath;
use platform::db::Tx;
use platform::web::Code;
use platform::{AppState, audit, outbox};
use serde::{Deserialize, Serialize};
use sqlx::Row;

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
        .map_err(|e| GovError::invalid(Code::InvalidCreditCode, "credit_code", e.zh(), e.en()))?;
    let org_type = OrgType::parse(required(
        &input.org_type,
        "org_type",
        "组织类型",
        "the type",
    )?)
    .ok_or_else(|| {
        GovError::invalid(
            Code::InvalidOrgType,
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
                Code::MissingField,
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
                Code::InvalidServiceField,
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
            Code::InvalidStaffProfile,
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
                Code::InvalidHubRole,
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
                Code::HubRequired,
                "hub_id",
                "会员组织（X）必须挂靠一个枢纽型社会组织，请选择枢纽组织。",
                "a member organisation (the X) must be attached to a hub: give hub_id",
            ));
        }
        (HubRole::Federation | HubRole::Hub, Some(_)) => {
            return Err(GovError::invalid(
                Code::HubNotAllowed,
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
                    Code::FederationExists,
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
                    Code::UnknownHub,
                    "hub_id",
                    "所选的枢纽组织不存在。",
                    "the chosen hub organisation does not exist",
                )
            };
            if Some(hub_id) == self_id {
                return Err(GovError::invalid(
                    Code::HubIsSelf,
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
                    Code::NotAHub,
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
                    Code::HubOtherDistrict,
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
            Code::CreditCodeTaken,
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
            Code::UnknownUnit,
            "unit_id",
            "所选的所属单位不存在。",
            "the home unit does not exist",
        )
    };
    let unit = gov_core::find_unit(&state.db, id)
        .await?
        .ok_or_else(unknown)?;
    authorize(actor, Action::EditOrg, &Scope::Unit(&unit.path)).map_err(|d| match d {
        gov_core::Denied::Hidden => unknown(),
        other => other.into(),
    })?;
    Ok(unit)
}

/// A right reserved for the district (naming hubs, brand marks, leading figures). Staff
/// below the district know their district exists, so a refusal says why, not "not found".
pub fn district_right(actor: &GovActor, action: Action, district: &UnitPath) -> GovResult<()> {
    authorize(actor, action, &Scope::Unit(district)).map_err(|d| match d {
        gov_core::Denied::Hidden => GovError::Denied(action.why().into()),
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

/// Binds a record's fields as $1–$17, in the column order both writes list them.
fn bind_org<'q>(q: AnyQuery<'q>, draft: &'q OrgDraft) -> AnyQuery<'q> {
    q.bind(&draft.name)
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
    let row = bind_org(
        sqlx::query(
            "INSERT INTO governance_orgs (name, credit_code, org_type, registered_on, legal_rep, address, unit_id, \
         staff_count, staff_under_35, staff_35_to_54, staff_55_plus, volunteers, contact_phone, hub_role, hub_id, \
         brand, leading_figure, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19) RETURNING id",
        ),
        draft,
    )
    .bind(by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    let id: i64 = row.try_get("id")?;
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
            Code::OtherDistrict,
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
                Code::HubHasMembers,
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
    bind_org(
        sqlx::query(
            "UPDATE governance_orgs SET name = $1, credit_code = $2, org_type = $3, registered_on = $4, legal_rep = $5, \
         address = $6, unit_id = $7, staff_count = $8, staff_under_35 = $9, staff_35_to_54 = $10, staff_55_plus = $11, \
         volunteers = $12, contact_phone = $13, hub_role = $14, hub_id = $15, brand = $16, leading_figure = $17, \
         updated_at = $18 WHERE id = $19",
        ),
        draft,
    )
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
    use crate::dates::days_from_civil;

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
                Err(GovError::Invalid(inv)) => assert_eq!(inv.code.as_str(), code),
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
