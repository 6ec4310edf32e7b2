//! Roles held on units (memberships) and the grants an actor carries: who works where.

use crate::unit::{Unit, UnitId, UnitPath};
use platform::audit;
use platform::db::Db;
use serde::Serialize;

platform::vocabulary! {
    /// A role held on a unit (and so on its whole subtree). Ordered by power.
    #[derive(PartialOrd, Ord)]
    MemberRole {
        Viewer = "viewer", "查看", "Viewer";
        Worker = "worker", "工作人员", "Worker";
        UnitAdmin = "unit_admin", "单位管理员", "Unit admin";
    }
}

/// A role the actor holds on one unit.
#[derive(Clone, Debug, Serialize)]
pub struct Grant {
    pub unit_id: UnitId,
    pub unit_name: String,
    #[serde(skip)]
    pub path: UnitPath,
    pub role: MemberRole,
}

impl Grant {
    /// A viewer's grant on `unit`: what a figure computed for one unit's subtree asks with.
    pub fn viewer_of(unit: &Unit) -> Grant {
        Grant {
            unit_id: unit.id,
            unit_name: unit.name.clone(),
            path: unit.path.clone(),
            role: MemberRole::Viewer,
        }
    }
}

/// The roles `user_id` holds, outermost units first.
pub async fn load_grants(db: &Db, user_id: i64) -> sqlx::Result<Vec<Grant>> {
    let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT m.unit_id, u.name, u.path, m.role FROM governance_memberships m \
         JOIN governance_units u ON u.id = m.unit_id WHERE m.user_id = $1 ORDER BY u.path",
    )
    .bind(user_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, name, path, role)| {
            Some(Grant {
                unit_id: UnitId(id),
                unit_name: name,
                path: UnitPath::parse(&path)?,
                role: MemberRole::parse(&role)?,
            })
        })
        .collect())
}

/// The accounts holding at least `role` on exactly this unit: its own staff (not those of
/// units above it), who hear of work sent to the unit.
pub async fn unit_staff(db: &Db, unit: UnitId, role: MemberRole) -> sqlx::Result<Vec<i64>> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT user_id, role FROM governance_memberships WHERE unit_id = $1 ORDER BY user_id",
    )
    .bind(unit.0)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|(_, r)| MemberRole::parse(r).is_some_and(|r| r >= role))
        .map(|(u, _)| u)
        .collect())
}

/// Gives `user_id` a role on `unit` (replacing a role they held there). The caller has
/// authorised it; `by` is recorded in the audit log (None: an operator on the CLI).
pub async fn grant_role(
    db: &Db,
    now: i64,
    by: Option<i64>,
    user_id: i64,
    unit: &Unit,
    role: MemberRole,
) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM governance_memberships WHERE user_id = $1 AND unit_id = $2")
        .bind(user_id)
        .bind(unit.id.0)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO governance_memberships (user_id, unit_id, role, granted_by, granted_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(user_id)
    .bind(unit.id.0)
    .bind(role.as_str())
    .bind(by)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        audit::Entry {
            at: now,
            actor_id: by,
            action: "governance.membership.grant",
            subject: &format!("platform_user:{user_id}"),
            detail: serde_json::json!({ "unit_id": unit.id, "unit_code": unit.code, "role": role }),
        },
    )
    .await?;
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_by_power_and_round_trip() {
        assert!(MemberRole::Viewer < MemberRole::Worker);
        assert!(MemberRole::Worker < MemberRole::UnitAdmin);
        for r in [
            MemberRole::Viewer,
            MemberRole::Worker,
            MemberRole::UnitAdmin,
        ] {
            assert_eq!(MemberRole::parse(r.as_str()), Some(r));
        }
        assert_eq!(MemberRole::parse("owner"), None);
    }
}
