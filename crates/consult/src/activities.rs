//! CPPCC activities (履职活动): sector forums, standing-committee meetings, chair
//! inspections (with the places visited) and thematic research (with the units
//! interviewed) — their participants and sign-in (self, or by the office for those
//! present on paper), minutes and findings, and follow-up actions assigned to units and
//! tracked until the unit reports them done. API under `/api/v1/consultation/activities`.

use crate::activity_steps;
use crate::api::{office_district, user_by_name};
use crate::authz::{Action, ConsultActor, Target, authorize};
use crate::error::{ConsultError, ConsultResult};
use axum::extract::State as AxState;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use gov_core::{UnitId, UnitKind, find_unit};
use platform::AppState;
use platform::db::{Db, rows};
use platform::web::{ApiJson, Id};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::{FromRow, Row};

pub const KINDS: [&str; 4] = [
    "sector_forum",
    "standing_committee",
    "inspection",
    "research",
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/consultation/activities", get(list).post(create))
        .route("/api/v1/consultation/activities/{id}", get(detail))
        .route("/api/v1/consultation/activities/{id}/minutes", put(minutes))
        .route(
            "/api/v1/consultation/activities/{id}/sign-in",
            post(sign_in),
        )
        .route(
            "/api/v1/consultation/activities/{id}/followups",
            post(add_followup),
        )
        .route(
            "/api/v1/consultation/activities/{id}/documents",
            post(attach),
        )
        .route(
            "/api/v1/consultation/followups/{id}/done",
            post(followup_done),
        )
}

/// An activity with who takes part and what follows from it.
pub struct Activity {
    pub row: Value,
    pub district_id: i64,
    pub participants: Vec<i64>,
    pub unit_paths: Vec<String>,
}

/// An activity's own columns, as the API shows them.
#[derive(Serialize, FromRow)]
struct Stored {
    id: i64,
    #[serde(skip)]
    district_id: i64,
    kind: String,
    title: String,
    held_on: String,
    organiser: String,
    agenda: String,
    places: String,
    minutes: String,
    findings: String,
}

#[derive(Serialize, FromRow)]
struct Participant {
    user_id: i64,
    name: String,
    sector: String,
    #[sqlx(try_from = "platform::db::Flag")]
    signed_in: bool,
}

/// A follow-up action and the unit it was assigned to.
#[derive(Serialize, FromRow)]
struct Followup {
    id: i64,
    unit_id: i64,
    unit: String,
    #[serde(skip)]
    unit_path: String,
    text: String,
    #[sqlx(try_from = "platform::db::Flag")]
    done: bool,
    done_note: String,
}

pub async fn load(db: &Db, id: i64) -> sqlx::Result<Option<Activity>> {
    let found: Option<Stored> = sqlx::query_as(
        "SELECT id, district_id, kind, title, held_on, organiser, agenda, places, minutes, \
         findings FROM consult_activities WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    let Some(stored) = found else {
        return Ok(None);
    };
    let people: Vec<Participant> = rows::by_id(
        db,
        "SELECT p.user_id, u.display_name AS name, COALESCE(m.sector, '') AS sector, \
         CASE WHEN p.signed_in_at IS NULL THEN 0 ELSE 1 END AS signed_in FROM consult_participants p \
         JOIN platform_users u ON u.id = p.user_id LEFT JOIN consult_members m ON m.user_id = p.user_id \
         WHERE p.activity_id = $1 ORDER BY p.user_id",
        id,
        |r| Participant::from_row(r),
    )
    .await?;
    let followups: Vec<Followup> = rows::by_id(
        db,
        "SELECT f.id, f.unit_id, g.name AS unit, f.unit_path, f.text, \
         CASE WHEN f.done_at IS NULL THEN 0 ELSE 1 END AS done, f.done_note FROM consult_followups f \
         JOIN governance_units g ON g.id = f.unit_id WHERE f.activity_id = $1 ORDER BY f.id",
        id,
        |r| Followup::from_row(r),
    )
    .await?;
    let mut row = json!(stored);
    row["participants"] = json!(people);
    row["followups"] = json!(followups);
    Ok(Some(Activity {
        row,
        district_id: stored.district_id,
        participants: people.iter().map(|p| p.user_id).collect(),
        unit_paths: followups.into_iter().map(|f| f.unit_path).collect(),
    }))
}

/// An activity as the API answers it to `actor`, with the attachments they may read.
async fn answer(state: &AppState, actor: &ConsultActor, id: i64) -> ConsultResult<Json<Value>> {
    let mut row = load(&state.db, id)
        .await?
        .ok_or(ConsultError::NotFound)?
        .row;
    row["documents"] = json!(activity_steps::attachments(state, actor, id).await?);
    Ok(Json(row))
}

pub(crate) async fn visible(
    state: &AppState,
    actor: &ConsultActor,
    id: i64,
    action: Action,
) -> ConsultResult<Activity> {
    let a = load(&state.db, id).await?.ok_or(ConsultError::NotFound)?;
    authorize(
        actor,
        Action::ViewActivity,
        &Target::Activity(a.district_id, &a.participants, &a.unit_paths),
    )?;
    authorize(
        actor,
        action,
        &Target::Activity(a.district_id, &a.participants, &a.unit_paths),
    )?;
    Ok(a)
}

/// The activities of the actor's district (office or member), newest first.
async fn list(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
) -> ConsultResult<Json<Value>> {
    actor.user.as_ref().ok_or(ConsultError::SignIn)?;
    Ok(Json(json!({"items": of_district(&state, &actor).await?})))
}

/// The activities the actor's district holds (none for who is neither office nor member).
pub async fn of_district(state: &AppState, actor: &ConsultActor) -> ConsultResult<Vec<Value>> {
    let district = actor
        .member
        .as_ref()
        .map(|(d, _)| *d)
        .or(actor.office.first().copied());
    let mut items = Vec::new();
    if let Some(d) = district {
        for r in sqlx::query("SELECT id FROM consult_activities WHERE district_id = $1 ORDER BY held_on DESC, id DESC LIMIT 200")
            .bind(d)
            .fetch_all(&state.db.pool)
            .await?
        {
            if let Some(a) = load(&state.db, r.try_get("id")?).await? {
                items.push(a.row);
            }
        }
    }
    Ok(items)
}

/// A new activity as the office records it.
#[derive(Deserialize)]
pub struct NewActivity {
    pub district_id: Option<i64>,
    pub kind: String,
    pub title: String,
    pub held_on: String,
    pub organiser: String,
    #[serde(default)]
    pub agenda: String,
    /// The places visited (inspection) or the units interviewed (research).
    #[serde(default)]
    pub places: String,
    #[serde(default)]
    pub participants: Vec<String>,
}

/// Records an activity and its participants; its id.
pub async fn record(
    state: &AppState,
    district: i64,
    a: &NewActivity,
    by: Option<i64>,
) -> ConsultResult<i64> {
    if !KINDS.contains(&a.kind.as_str()) {
        return Err(ConsultError::field(platform::bi!(
            "活动类别须为 sector_forum、standing_committee、inspection 或 research。",
            "kind is sector_forum, standing_committee, inspection or research"
        )));
    }
    if cases::calendar::parse_day(&a.held_on).is_none()
        || a.title.trim().chars().count() < 4
        || a.organiser.trim().is_empty()
    {
        return Err(ConsultError::field(platform::bi!(
            "请填写标题（至少 4 字）、组织者和日期（YYYY-MM-DD）。",
            "give a title (4 characters or more), the organiser and the date (YYYY-MM-DD)"
        )));
    }
    let mut people = Vec::new();
    for name in &a.participants {
        people.push(user_by_name(state, name).await?);
    }
    let mut tx = state.db.begin().await?;
    let id: i64 = sqlx::query(
        "INSERT INTO consult_activities (district_id, kind, title, held_on, organiser, agenda, places, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(district)
    .bind(&a.kind)
    .bind(a.title.trim())
    .bind(a.held_on.trim())
    .bind(a.organiser.trim())
    .bind(a.agenda.trim())
    .bind(a.places.trim())
    .bind(by)
    .bind(state.now())
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    people.sort_unstable();
    people.dedup();
    for u in &people {
        sqlx::query("INSERT INTO consult_participants (activity_id, user_id) VALUES ($1, $2)")
            .bind(id)
            .bind(u)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(id)
}

async fn create(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    ApiJson(a): ApiJson<NewActivity>,
) -> ConsultResult<Response> {
    let d = office_district(&actor, a.district_id)?;
    let id = record(&state, d, &a, actor.id()).await?;
    let a = load(&state.db, id).await?.ok_or(ConsultError::NotFound)?;
    Ok((StatusCode::CREATED, Json(a.row)).into_response())
}

async fn detail(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    Id(id): Id,
) -> ConsultResult<Json<Value>> {
    visible(&state, &actor, id, Action::ViewActivity).await?;
    answer(&state, &actor, id).await
}

#[derive(Deserialize)]
struct MinutesBody {
    minutes: String,
    #[serde(default)]
    findings: String,
}

async fn minutes(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    Id(id): Id,
    ApiJson(b): ApiJson<MinutesBody>,
) -> ConsultResult<Json<Value>> {
    activity_steps::set_minutes(&state, &actor, id, &b.minutes, &b.findings).await?;
    answer(&state, &actor, id).await
}

#[derive(Deserialize)]
struct SignInBody {
    /// The office signs in a participant present on paper; absent (`{}`): oneself.
    username: Option<String>,
}

async fn sign_in(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    Id(id): Id,
    ApiJson(body): ApiJson<SignInBody>,
) -> ConsultResult<Json<Value>> {
    let who = match body.username {
        // The office's right first, so nobody else learns which accounts exist.
        Some(name) => {
            visible(&state, &actor, id, Action::ManageActivities).await?;
            Some(user_by_name(&state, &name).await?)
        }
        None => None,
    };
    activity_steps::sign_in(&state, &actor, id, who).await?;
    answer(&state, &actor, id).await
}

/// Signs `who` in (once; a second sign-in keeps the first time).
pub(crate) async fn mark_signed_in(
    state: &AppState,
    id: i64,
    who: i64,
    by: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE consult_participants SET signed_in_at = $1, signed_in_by = $2 WHERE activity_id = $3 AND user_id = $4 AND signed_in_at IS NULL")
        .bind(state.now())
        .bind(by)
        .bind(id)
        .bind(who)
        .execute(&state.db.pool)
        .await?;
    Ok(())
}

#[derive(Deserialize)]
struct FollowupBody {
    unit_id: i64,
    text: String,
}

/// Assigns a follow-up action to a department or street (the office).
pub async fn assign_followup(
    state: &AppState,
    activity: i64,
    district: i64,
    unit_id: i64,
    text: &str,
) -> ConsultResult<i64> {
    let unit = find_unit(&state.db, UnitId(unit_id)).await?.filter(|u| {
        matches!(u.kind, UnitKind::Department | UnitKind::Street)
            && u.path.ids().first() == Some(&UnitId(district))
    });
    let unit = unit.ok_or_else(|| {
        ConsultError::field(platform::bi!(
            "承办单位须为本区的职能部门或街道。",
            "the unit must be a department or street of the district"
        ))
    })?;
    if text.trim().chars().count() < 4 {
        return Err(ConsultError::field(platform::bi!(
            "请写明落实事项（至少 4 字）。",
            "describe the action (4 characters or more)"
        )));
    }
    let mut tx = state.db.begin().await?;
    let id: i64 = sqlx::query(
        "INSERT INTO consult_followups (activity_id, unit_id, unit_path, text, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(activity)
    .bind(unit.id.0)
    .bind(unit.path.as_str())
    .bind(text.trim())
    .bind(state.now())
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    let staff = gov_core::unit_staff(&state.db, unit.id, gov_core::MemberRole::Worker).await?;
    platform::notify::notify_all(
        &mut tx,
        &staff,
        "consult.followup",
        &format!("政协活动交办事项：{}", text.trim()),
        &format!("Follow-up from a CPPCC activity: {}", text.trim()),
        &format!("/consultation/activities/{activity}"),
        state.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

async fn add_followup(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    Id(id): Id,
    ApiJson(b): ApiJson<FollowupBody>,
) -> ConsultResult<Response> {
    let a = visible(&state, &actor, id, Action::ManageActivities).await?;
    let fid = assign_followup(&state, id, a.district_id, b.unit_id, &b.text).await?;
    Ok((StatusCode::CREATED, Json(json!({"id": fid}))).into_response())
}

#[derive(Deserialize)]
struct DoneBody {
    note: String,
}

/// The unit reports a follow-up action done.
async fn followup_done(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    Id(id): Id,
    ApiJson(b): ApiJson<DoneBody>,
) -> ConsultResult<Json<Value>> {
    let activity = activity_steps::complete_followup(&state, &actor, id, &b.note).await?;
    answer(&state, &actor, activity).await
}

#[derive(Deserialize)]
struct AttachBody {
    document_id: i64,
}

/// The office attaches a library document.
async fn attach(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    Id(id): Id,
    ApiJson(b): ApiJson<AttachBody>,
) -> ConsultResult<Response> {
    activity_steps::attach(&state, &actor, id, b.document_id).await?;
    Ok((StatusCode::CREATED, answer(&state, &actor, id).await?).into_response())
}
