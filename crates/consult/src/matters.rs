//! Community self-governance (自治在社区): matters residents raise in their community, the
//! support that obliges a residents' meeting (the law's thresholds, `rules`, configurable per
//! community), and the notice sequence 议题受理 → 审查 → 会议公告 → 表决 → 决议公告 →
//! 实施结果公告, each stage a public notice in order. The decision counts those present and
//! in favour against the community's rules (valid with more than half present, passed by
//! more than half of those present, by default). API under `/api/v1/consultation/matters`.

use crate::authz::{Action, ConsultActor, Target, authorize};
use crate::error::{ConsultError, ConsultResult};
use crate::people;
use crate::rules::{Counts, Rules};
use axum::extract::State as AxState;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use gov_core::{UnitId, UnitKind, find_unit};
use platform::AppState;
use platform::db::Db;
use platform::web::{ApiJson, Code, Id};
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::Row;

/// The stages in their one order; `rejected` ends a matter whose decision failed.
pub const STAGES: [&str; 7] = [
    "proposed",
    "accepted",
    "reviewed",
    "meeting_noticed",
    "voting",
    "resolved",
    "implemented",
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/consultation/matters", post(create))
        .route("/api/v1/consultation/matters/{id}", get(detail))
        .route("/api/v1/consultation/matters/{id}/support", post(support))
        .route("/api/v1/consultation/matters/{id}/advance", post(advance))
        .route(
            "/api/v1/consultation/rules/{id}",
            get(rules_of).put(set_rules),
        )
}

pub async fn load_rules(db: &Db, unit: i64) -> sqlx::Result<Rules> {
    let row = sqlx::query("SELECT rules FROM consult_rules WHERE unit_id = $1")
        .bind(unit)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row
        .and_then(|r| r.try_get::<String, _>("rules").ok())
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default())
}

async fn community(state: &AppState, id: i64) -> ConsultResult<gov_core::Unit> {
    find_unit(&state.db, UnitId(id))
        .await?
        .filter(|u| u.kind == UnitKind::Community)
        .ok_or_else(|| ConsultError::field(platform::bi!("须为一个社区。", "must be a community")))
}

/// A matter and what the rules make of it; `resident` says the actor lives there.
async fn load(
    state: &AppState,
    actor: &ConsultActor,
    id: i64,
) -> ConsultResult<(Value, String, bool)> {
    let r = sqlx::query("SELECT * FROM consult_matters WHERE id = $1")
        .bind(id)
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or(ConsultError::NotFound)?;
    let path: String = r.try_get("unit_path")?;
    let unit_id: i64 = r.try_get("unit_id")?;
    let resident = match actor.id() {
        Some(u) => people::resident_in(&state.db, u, &path).await?.is_some(),
        None => false,
    };
    // Matters are read where votes are: by the community's residents and staff.
    if !resident {
        authorize(actor, Action::ManageVotes, &Target::Unit(&path))
            .map_err(|_| ConsultError::NotFound)?;
    }
    let unit = community(state, unit_id).await?;
    let s = sqlx::query("SELECT COUNT(*) AS n, COUNT(DISTINCT household) AS h FROM consult_matter_supports WHERE matter_id = $1")
        .bind(id)
        .fetch_one(&state.db.pool)
        .await?;
    let (supporters, households): (i64, i64) = (s.try_get("n")?, s.try_get("h")?);
    let rules = load_rules(&state.db, unit_id).await?;
    let of = Counts {
        adults: unit.residents,
        households: unit.households,
        groups: 0,
    };
    let asking = Counts {
        adults: supporters,
        households,
        groups: 0,
    };
    let notices: Vec<Value> = sqlx::query("SELECT stage, text, at FROM consult_matter_notices WHERE matter_id = $1 ORDER BY id")
        .bind(id)
        .fetch_all(&state.db.pool)
        .await?
        .iter()
        .map(|n| Ok(json!({"stage": n.try_get::<String, _>("stage")?, "text": n.try_get::<String, _>("text")?, "at": n.try_get::<i64, _>("at")?})))
        .collect::<sqlx::Result<_>>()?;
    let v = json!({
        "id": id, "unit_id": unit_id, "title": r.try_get::<String, _>("title")?, "body": r.try_get::<String, _>("body")?,
        "stage": r.try_get::<String, _>("stage")?, "supporters": supporters, "supporting_households": households,
        "meeting_required": rules.must_call(of, asking), "present": r.try_get::<i64, _>("present")?,
        "in_favour": r.try_get::<i64, _>("in_favour")?, "notices": notices, "rules": rules,
    });
    Ok((v, path, resident))
}

#[derive(Deserialize)]
struct NewMatter {
    unit_id: i64,
    title: String,
    body: String,
}

/// A verified resident raises a matter in their community.
async fn create(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    ApiJson(b): ApiJson<NewMatter>,
) -> ConsultResult<Response> {
    let uid = actor.id().ok_or(ConsultError::SignIn)?;
    let unit = community(&state, b.unit_id).await?;
    if people::resident_in(&state.db, uid, unit.path.as_str())
        .await?
        .is_none()
    {
        return Err(ConsultError::of(Code::NotResident));
    }
    if b.title.trim().chars().count() < 4 || b.body.trim().chars().count() < 10 {
        return Err(ConsultError::field(platform::bi!(
            "标题至少 4 字，内容至少 10 字。",
            "a title of 4 characters and a text of 10 at least"
        )));
    }
    let id: i64 = sqlx::query(
        "INSERT INTO consult_matters (unit_id, unit_path, title, body, proposer_id, stage, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'proposed', $6) RETURNING id",
    )
    .bind(unit.id.0)
    .bind(unit.path.as_str())
    .bind(b.title.trim())
    .bind(b.body.trim())
    .bind(uid)
    .bind(state.now())
    .fetch_one(&state.db.pool)
    .await?
    .try_get("id")?;
    Ok((StatusCode::CREATED, Json(load(&state, &actor, id).await?.0)).into_response())
}

async fn detail(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    Id(id): Id,
) -> ConsultResult<Json<Value>> {
    Ok(Json(load(&state, &actor, id).await?.0))
}

/// A resident supports a matter (once: the primary key keeps a second support out).
async fn support(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    Id(id): Id,
) -> ConsultResult<Json<Value>> {
    let (_, path, _) = load(&state, &actor, id).await?;
    let uid = actor.id().ok_or(ConsultError::SignIn)?;
    let who = people::resident_in(&state.db, uid, &path)
        .await?
        .ok_or(ConsultError::of(Code::NotResident))?;
    let added = sqlx::query("INSERT INTO consult_matter_supports (matter_id, user_id, household) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
        .bind(id)
        .bind(uid)
        .bind(&who.household)
        .execute(&state.db.pool)
        .await?;
    if added.rows_affected() == 0 {
        return Err(ConsultError::of(Code::AlreadyVoted));
    }
    Ok(Json(load(&state, &actor, id).await?.0))
}

#[derive(Deserialize)]
struct Advance {
    /// The next stage, which must follow the current one.
    stage: String,
    /// The notice published with it.
    text: String,
    /// For `resolved`: those present and those in favour at the meeting.
    #[serde(default)]
    present: i64,
    #[serde(default)]
    in_favour: i64,
}

/// The community's staff move a matter to its next stage and publish the notice.
async fn advance(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    Id(id): Id,
    ApiJson(b): ApiJson<Advance>,
) -> ConsultResult<Json<Value>> {
    let (m, path, _) = load(&state, &actor, id).await?;
    authorize(&actor, Action::ManageVotes, &Target::Unit(&path))?;
    let current = m["stage"].as_str().unwrap_or_default().to_string();
    let next = STAGES
        .iter()
        .position(|s| *s == current)
        .and_then(|i| STAGES.get(i + 1));
    if next != Some(&b.stage.as_str()) {
        return Err(ConsultError::state(platform::web::i18n::bilingual(
            &format!(
                "议题处于「{current}」阶段，下一步须为「{}」。",
                next.unwrap_or(&"—")
            ),
            &format!(
                "the matter is at {current}; the next stage is {}",
                next.unwrap_or(&"none")
            ),
        )));
    }
    if b.text.trim().chars().count() < 4 {
        return Err(ConsultError::field(platform::bi!(
            "请填写公告内容（至少 4 字）。",
            "write the notice (4 characters or more)"
        )));
    }
    let mut stage = b.stage.clone();
    if stage == "resolved" {
        let unit = community(&state, m["unit_id"].as_i64().unwrap_or_default()).await?;
        let rules = load_rules(&state.db, unit.id.0).await?;
        if b.present < 0
            || b.in_favour < 0
            || b.in_favour > b.present
            || b.present > unit.residents.max(unit.households)
        {
            return Err(ConsultError::field(platform::bi!(
                "到会和赞成人数不合理。",
                "the counts present and in favour do not add up"
            )));
        }
        if !rules.passes(b.in_favour, b.present, unit.residents) {
            stage = "rejected".into();
        }
    }
    let mut tx = state.db.begin().await?;
    let moved = sqlx::query("UPDATE consult_matters SET stage = $1, present = $2, in_favour = $3 WHERE id = $4 AND stage = $5")
        .bind(&stage)
        .bind(b.present)
        .bind(b.in_favour)
        .bind(id)
        .bind(&current)
        .execute(&mut *tx)
        .await?;
    if moved.rows_affected() == 0 {
        return Err(ConsultError::state(platform::bi!(
            "议题刚被他人推进，请刷新。",
            "the matter moved meanwhile; reload"
        )));
    }
    sqlx::query(
        "INSERT INTO consult_matter_notices (matter_id, stage, text, at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(&stage)
    .bind(b.text.trim())
    .bind(state.now())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Json(load(&state, &actor, id).await?.0))
}

async fn rules_of(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    Id(id): Id,
) -> ConsultResult<Json<Value>> {
    actor.user.as_ref().ok_or(ConsultError::SignIn)?;
    let unit = community(&state, id).await?;
    Ok(Json(
        json!({"unit_id": unit.id.0, "rules": load_rules(&state.db, unit.id.0).await?}),
    ))
}

/// The community's staff set its thresholds.
async fn set_rules(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    Id(id): Id,
    ApiJson(rules): ApiJson<Rules>,
) -> ConsultResult<Json<Value>> {
    actor.user.as_ref().ok_or(ConsultError::SignIn)?;
    let unit = community(&state, id).await?;
    authorize(
        &actor,
        Action::ManageVotes,
        &Target::Unit(unit.path.as_str()),
    )?;
    if !rules.sane() {
        return Err(ConsultError::field(platform::bi!(
            "每个比例须在 0 与 1 之间（分母为正）。",
            "each share is between 0 and 1 with a positive denominator"
        )));
    }
    let mut tx = state.db.begin().await?;
    sqlx::query("DELETE FROM consult_rules WHERE unit_id = $1")
        .bind(unit.id.0)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO consult_rules (unit_id, rules, updated_at) VALUES ($1, $2, $3)")
        .bind(unit.id.0)
        .bind(serde_json::to_string(&rules).map_err(|e| ConsultError::Internal(e.into()))?)
        .bind(state.now())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Json(json!({"unit_id": unit.id.0, "rules": rules})))
}
