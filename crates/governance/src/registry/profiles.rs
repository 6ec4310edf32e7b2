//! An organisation's own staff accounts and the profile they keep (staff numbers, ages,
//! service fields).

use crate::authz::Action;
use crate::error::{GovError, GovResult};
use crate::registry::model::Org;
use crate::registry::orgs;
use crate::registry::orgs::OrgInput;
use crate::registry::units;
use crate::trail;
use crate::trail::record;
use gov_core::GovActor;
use platform::db::Db;
use platform::web::Code;
use platform::{AppState, audit, outbox};
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------
// Organisation staff and profile

#[derive(Clone, Debug, Serialize)]
pub struct StaffAccount {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
}

pub async fn org_staff(db: &Db, org_id: i64) -> sqlx::Result<Vec<StaffAccount>> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT p.id, p.username, p.display_name FROM governance_org_staff s \
         JOIN platform_users p ON p.id = s.user_id WHERE s.org_id = $1 ORDER BY p.username",
    )
    .bind(org_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(user_id, username, display_name)| StaffAccount {
            user_id,
            username,
            display_name,
        })
        .collect())
}

/// Links an account to an organisation as its staff (unit administrators over the
/// organisation's home unit; `actor` None: an operator on the CLI or the demo seed).
pub async fn link_staff(
    state: &AppState,
    actor: Option<&GovActor>,
    org_id: i64,
    username: &str,
) -> GovResult<i64> {
    if let Some(a) = actor {
        orgs::load_org(state, a, org_id, Action::ManageOrgStaff).await?;
    }
    let user = units::user_id_by_name(&state.db, username)
        .await?
        .ok_or_else(|| {
            GovError::invalid(
                Code::UnknownUser,
                "username",
                format!("没有名为 {} 的账号。", username.trim()),
                format!("there is no account named {}", username.trim()),
            )
        })?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    sqlx::query("DELETE FROM governance_org_staff WHERE user_id = $1 AND org_id = $2")
        .bind(user)
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO governance_org_staff (user_id, org_id, granted_by, granted_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(user)
    .bind(org_id)
    .bind(actor.and_then(|a| a.id()))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        audit::Entry {
            at: now,
            actor_id: actor.and_then(|a| a.id()),
            action: "governance.org_staff.link",
            subject: &format!("platform_user:{user}"),
            detail: serde_json::json!({ "org_id": org_id }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(user)
}

/// Removes an account's link to an organisation (unit administrators over it); audited.
pub async fn unlink_staff(
    state: &AppState,
    actor: &GovActor,
    org_id: i64,
    user_id: i64,
) -> GovResult<()> {
    orgs::load_org(state, actor, org_id, Action::ManageOrgStaff).await?;

    let mut tx = state.db.begin().await?;
    let gone = sqlx::query("DELETE FROM governance_org_staff WHERE user_id = $1 AND org_id = $2")
        .bind(user_id)
        .bind(org_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if gone == 0 {
        return Err(GovError::NotFound);
    }
    record(
        state,
        &mut tx,
        actor,
        "governance.org_staff.unlink",
        format!("platform_user:{user_id}"),
        serde_json::json!({ "org_id": org_id }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The part of an organisation's record its own staff keep up to date.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileInput {
    pub address: Option<String>,
    pub contact_phone: Option<String>,
    pub service_fields: Option<Vec<String>>,
    pub staff_count: Option<i64>,
    pub staff_under_35: Option<i64>,
    pub staff_35_to_54: Option<i64>,
    pub staff_55_plus: Option<i64>,
    pub volunteers: Option<i64>,
}

/// Changes the profile fields (and only those); absent fields keep their value.
pub async fn update_profile(
    state: &AppState,
    actor: &GovActor,
    org_id: i64,
    p: &ProfileInput,
) -> GovResult<Org> {
    let org = orgs::load_org(state, actor, org_id, Action::EditProfile).await?;
    let mut input = OrgInput::from_org(&org);
    macro_rules! take {
        ($($f:ident),*) => { $( if p.$f.is_some() { input.$f = p.$f.clone(); } )* };
    }
    take!(
        address,
        contact_phone,
        service_fields,
        staff_count,
        staff_under_35,
        staff_35_to_54,
        staff_55_plus,
        volunteers
    );
    let draft = orgs::validate(&input, state.now())?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "UPDATE governance_orgs SET address = $1, contact_phone = $2, staff_count = $3, staff_under_35 = $4, \
         staff_35_to_54 = $5, staff_55_plus = $6, volunteers = $7, updated_at = $8 WHERE id = $9",
    )
    .bind(&draft.address)
    .bind(&draft.contact_phone)
    .bind(draft.staff.count)
    .bind(draft.staff.under_35)
    .bind(draft.staff.from_35_to_54)
    .bind(draft.staff.from_55)
    .bind(draft.volunteers)
    .bind(now)
    .bind(org.id)
    .execute(&mut *tx)
    .await?;
    orgs::write_fields(&mut tx, org.id, &draft.service_fields).await?;
    outbox::emit(
        &mut tx,
        now,
        "governance.org.updated",
        org.id,
        serde_json::json!({ "unit_id": org.unit_id }),
    )
    .await?;
    record(
        state,
        &mut tx,
        actor,
        "governance.org.profile",
        format!("governance_org:{}", org.id),
        serde_json::json!({
            "changes": trail::changes(&OrgInput::from_org(&org), &OrgInput::from_draft(&draft)),
        }),
    )
    .await?;
    tx.commit().await?;
    crate::registry::model::find_org(&state.db, org.id)
        .await?
        .ok_or(GovError::NotFound)
}
