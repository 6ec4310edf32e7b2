//! Open311 api_keys: one per client, issued by a centre administrator (on the settings
//! page, by the API, or `gongzhi open311 key add CLIENT`). Only a SHA-256 of each key is
//! kept; the key is shown once.

use crate::authz::{Action, Target, authorize};
use crate::error::{CaseError, CaseResult};
use gov_core::{GovActor, Unit, UnitId, find_unit};
use platform::AppState;
use platform::web::Code;
use sha2::{Digest, Sha256};

fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Issues a key for a client of `district` and returns it.
pub async fn issue(
    state: &AppState,
    by: Option<i64>,
    name: &str,
    district: Unit,
) -> CaseResult<String> {
    let name = crate::intake::short(name, 100, "name")?;
    if name.is_empty() {
        return Err(CaseError::invalid(
            Code::MissingName,
            "请填写客户端名称 (name the client)",
        ));
    }
    let key = platform::auth::new_token();
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO cases_open311_clients (name, key_hash, district_unit_id, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(&name)
    .bind(hash(&key))
    .bind(district.id.0)
    .bind(by)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    platform::audit::record(
        &mut tx,
        now,
        by,
        "open311.key_issued",
        &format!("open311_client:{id}"),
        serde_json::json!({ "name": name, "district_unit_id": district.id.0 }),
    )
    .await?;
    tx.commit().await?;
    Ok(key)
}

pub async fn revoke(state: &AppState, actor: &GovActor, id: i64) -> CaseResult<()> {
    authorize(actor, Action::Configure, &Target::Anywhere)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let done = sqlx::query(
        "UPDATE cases_open311_clients SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(CaseError::NotFound);
    }
    crate::hot::changed(&mut tx).await?;
    platform::audit::record(
        &mut tx,
        now,
        actor.id(),
        "open311.key_revoked",
        &format!("open311_client:{id}"),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    crate::hot::forget(state);
    Ok(())
}

/// The client a key belongs to and its district, if the key is valid.
pub async fn client(state: &AppState, key: &str) -> CaseResult<Option<(i64, Unit)>> {
    if key.is_empty() || key.len() > 200 {
        return Ok(None);
    }
    let hashed = hash(key);
    let load = lookup(state, &hashed);
    crate::hot::key(state, hashed.clone(), load).await
}

async fn lookup(state: &AppState, hashed: &str) -> CaseResult<Option<(i64, Unit)>> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "SELECT id, district_unit_id FROM cases_open311_clients WHERE key_hash = $1 AND revoked_at IS NULL",
    )
    .bind(hashed)
    .fetch_optional(&state.db.pool)
    .await?;
    let Some((id, district)) = row else {
        return Ok(None);
    };
    Ok(find_unit(&state.db, UnitId(district))
        .await?
        .map(|u| (id, u)))
}

/// The district a new key serves: the one asked for (which the actor must administer), or
/// the actor's own.
pub async fn district_for(
    state: &AppState,
    actor: &GovActor,
    asked: Option<i64>,
) -> CaseResult<Unit> {
    let candidates: Vec<i64> = match asked {
        Some(id) => vec![id],
        None if actor.is_platform_admin() => {
            let roots = gov_core::list_units(&state.db, &gov_core::ScopeFilter(None)).await?;
            roots
                .into_iter()
                .filter(|u| u.parent_id.is_none())
                .map(|u| u.id.0)
                .collect()
        }
        None => actor
            .grants
            .iter()
            .filter(|g| g.path.depth() == 1)
            .map(|g| g.unit_id.0)
            .collect(),
    };
    for id in candidates {
        if let Some(u) = find_unit(&state.db, UnitId(id)).await?
            && u.parent_id.is_none()
            && (actor.is_platform_admin()
                || actor
                    .grants
                    .iter()
                    .any(|g| g.unit_id == u.id && g.role >= gov_core::MemberRole::UnitAdmin))
        {
            return Ok(u);
        }
    }
    Err(CaseError::invalid(
        Code::BadDistrict,
        "choose a district you administer",
    ))
}

pub struct ClientRow {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub revoked: bool,
}

pub async fn list(state: &AppState) -> CaseResult<Vec<ClientRow>> {
    let rows: Vec<(i64, String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT id, name, created_at, revoked_at FROM cases_open311_clients ORDER BY id DESC",
    )
    .fetch_all(&state.db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, created_at, revoked)| ClientRow {
            id,
            name,
            created_at,
            revoked: revoked.is_some(),
        })
        .collect())
}
