//! 学习 — study records (SPEC G7, issue 16): a unit's study sessions (中心组学习) with the
//! library documents studied and who attended, and reading the unit assigns to its staff,
//! counted from the library's reading progress (through `library::social::reading_states`,
//! never the library's tables). A person's hours in a year are the minutes of the sessions
//! they attended plus the stated hours of each assigned document they finished; a unit's
//! are the sum over its people. The indicator `study_hours_recorded` is the unit's hours
//! per staff member (`figures`), with the sessions and readings it counted as its sources.

use crate::authz::{Action, Target, authorize};
use crate::figures::year_bounds;
use crate::service::commit_audited;
use cases::calendar::{day_start, parse_day};
use gov_core::{GovActor, MemberRole, Sql, Unit, UnitId, UnitPath, find_unit, unit_staff};
use platform::AppState;
use platform::web::{AppError, AppResult, Code};
use serde::Serialize;
use sqlx::FromRow;
use std::collections::HashMap;

#[derive(Clone, Debug, Serialize, FromRow)]
pub struct Material {
    pub document_id: i64,
    pub title: String,
}

#[derive(Clone, Debug, Serialize, FromRow)]
pub struct Attendee {
    pub user_id: i64,
    pub display_name: String,
    /// Signed in by themselves (not by the organiser).
    #[sqlx(try_from = "platform::db::Flag")]
    pub self_signed: bool,
}

#[derive(Clone, Debug, Serialize, FromRow)]
pub struct Session {
    pub id: i64,
    pub unit_id: i64,
    #[serde(skip)]
    pub unit_path: UnitPath,
    pub unit_name: String,
    pub held_on: String,
    pub title: String,
    pub minutes: i64,
    pub host: String,
    pub notes: String,
    /// Read for many sessions at once by [`fill`].
    #[sqlx(skip)]
    pub materials: Vec<Material>,
    #[sqlx(skip)]
    pub attendance: Vec<Attendee>,
}

#[derive(Clone, Debug, Serialize, FromRow)]
pub struct Assignment {
    pub id: i64,
    pub unit_id: i64,
    pub document_id: i64,
    pub title: String,
    pub user_id: i64,
    pub display_name: String,
    pub hours: f64,
    pub due_on: String,
    /// The reader's last saved page in the library, and the document's pages: from the
    /// library's reading progress, filled by [`assignments`].
    #[sqlx(skip)]
    pub page: i64,
    #[sqlx(skip)]
    pub pages: i64,
    #[sqlx(skip)]
    pub finished: bool,
}

/// A session as asked for (the API's body; the form's fields).
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct NewSession {
    pub unit_id: i64,
    pub held_on: String,
    pub title: String,
    pub minutes: i64,
    pub host: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub materials: Vec<i64>,
    #[serde(default)]
    pub attendees: Vec<i64>,
}

/// Reading as assigned (the API's body; the form's fields).
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct NewAssignment {
    pub document_id: i64,
    pub user_ids: Vec<i64>,
    pub hours: f64,
    pub due_on: String,
}

pub(crate) fn invalid(zh: &str, en: &str) -> AppError {
    AppError::coded(Code::InvalidField, platform::web::i18n::bilingual(zh, en))
}

fn target(path: &UnitPath) -> Target<'_> {
    Target {
        unit: path,
        public: false,
    }
}

/// The unit `id` if the actor may do `action` on its study records (404 when outside
/// their scope, as for every unit they may not know of).
pub async fn unit_for(
    state: &AppState,
    actor: &GovActor,
    id: i64,
    action: Action,
) -> AppResult<Unit> {
    if actor.user.is_none() {
        return Err(AppError::Unauthorized);
    }
    let unit = find_unit(&state.db, UnitId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    authorize(actor, action, &target(&unit.path))?;
    Ok(unit)
}

/// Staff of the unit itself (any role), by id and name: who may attend and be assigned.
pub async fn staff(state: &AppState, unit: &Unit) -> AppResult<Vec<(i64, String)>> {
    let mut out = Vec::new();
    for id in unit_staff(&state.db, unit.id, MemberRole::Viewer).await? {
        if let Some(u) = platform::auth::find_user(&state.db, id).await? {
            let name = if u.display_name.is_empty() {
                u.username
            } else {
                u.display_name
            };
            out.push((id, name));
        }
    }
    Ok(out)
}

/// The named people, who must all be the unit's staff: (id, name) each.
async fn staff_named(state: &AppState, unit: &Unit, ids: &[i64]) -> AppResult<Vec<(i64, String)>> {
    let all = staff(state, unit).await?;
    let mut out: Vec<(i64, String)> = Vec::new();
    for id in ids {
        let found = all.iter().find(|(s, _)| s == id).ok_or_else(|| {
            invalid(
                &format!("用户 {id} 不是{}的工作人员。", unit.name),
                &format!("User {id} is not on the staff of {}.", unit.name),
            )
        })?;
        if !out.iter().any(|(s, _)| s == id) {
            out.push(found.clone());
        }
    }
    Ok(out)
}

/// A library document the actor may see, by its title (an error naming it otherwise).
async fn document(state: &AppState, actor: &GovActor, id: i64) -> AppResult<Material> {
    match library::service::load(state, &actor.base, id, library::authz::Action::View).await {
        Ok(d) => Ok(Material {
            document_id: d.id,
            title: d.title,
        }),
        Err(library::error::LibraryError::NotFound | library::error::LibraryError::Denied(_)) => {
            Err(invalid(
                &format!("文库中没有编号为 {id} 的文档，或您无权查看。"),
                &format!("The library has no document {id} that you may see."),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

fn day(raw: &str) -> AppResult<(String, i64)> {
    let d = parse_day(raw.trim()).ok_or_else(|| {
        invalid(
            "日期须为 YYYY-MM-DD。",
            "A date must be written YYYY-MM-DD.",
        )
    })?;
    Ok((d.to_string(), day_start(d)))
}

/// Records a session with its materials and the people the organiser signs in.
pub async fn record(state: &AppState, actor: &GovActor, s: &NewSession) -> AppResult<i64> {
    let unit = unit_for(state, actor, s.unit_id, Action::StudyManage).await?;
    let title = s.title.trim();
    let host = s.host.trim();
    if title.is_empty() || title.chars().count() > 200 || host.is_empty() {
        return Err(invalid(
            "请填写学习主题（不超过 200 字）和主持人。",
            "Enter the topic (at most 200 characters) and who hosted it.",
        ));
    }
    if !(1..=24 * 60).contains(&s.minutes) {
        return Err(invalid(
            "时长须为 1 到 1440 分钟。",
            "The duration must be 1 to 1440 minutes.",
        ));
    }
    let (held_on, held_ms) = day(&s.held_on)?;
    let mut materials = Vec::new();
    for id in &s.materials {
        if !materials.iter().any(|m: &Material| m.document_id == *id) {
            materials.push(document(state, actor, *id).await?);
        }
    }
    let people = staff_named(state, &unit, &s.attendees).await?;
    let me = actor.id().unwrap_or_default();
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO assess_study_sessions (unit_id, unit_path, unit_name, held_on, held_ms, \
         title, minutes, host, notes, created_by, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(unit.id.0)
    .bind(unit.path.as_str())
    .bind(&unit.name)
    .bind(&held_on)
    .bind(held_ms)
    .bind(title)
    .bind(s.minutes)
    .bind(host)
    .bind(s.notes.trim())
    .bind(me)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    for m in &materials {
        sqlx::query(
            "INSERT INTO assess_study_materials (session_id, document_id, title) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(m.document_id)
        .bind(&m.title)
        .execute(&mut *tx)
        .await?;
    }
    sign(&mut tx, id, &people, me, now).await?;
    let detail = serde_json::json!({"unit": unit.id.0, "held_on": held_on, "minutes": s.minutes,
        "materials": s.materials, "attendees": people.iter().map(|p| p.0).collect::<Vec<_>>()});
    commit_audited(
        state,
        actor,
        "assess.study.session",
        format!("assess_study_session:{id}"),
        detail,
        tx,
    )
    .await?;
    Ok(id)
}

/// Adds people to a session's attendance (someone signed in already stays as they were).
async fn sign(
    tx: &mut platform::db::Tx,
    session: i64,
    people: &[(i64, String)],
    by: i64,
    now: i64,
) -> AppResult<usize> {
    let mut added = 0;
    for (user, name) in people {
        let n = sqlx::query(
            "INSERT INTO assess_study_attendance (session_id, user_id, display_name, signed_by, \
             signed_ms) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (session_id, user_id) DO NOTHING",
        )
        .bind(session)
        .bind(user)
        .bind(name)
        .bind(by)
        .bind(now)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        added += n as usize;
    }
    Ok(added)
}

/// Signs people in at a session: the organiser names them (`users`), or the actor signs
/// themselves in (`users` empty). Returns how many were added.
pub async fn sign_in(
    state: &AppState,
    actor: &GovActor,
    session: &Session,
    users: &[i64],
) -> AppResult<usize> {
    let me = actor.id().ok_or(AppError::Unauthorized)?;
    let unit = find_unit(&state.db, UnitId(session.unit_id))
        .await?
        .ok_or(AppError::NotFound)?;
    let people = if users.is_empty() {
        authorize(actor, Action::StudySignIn, &target(&unit.path))?;
        staff_named(state, &unit, &[me]).await?
    } else {
        authorize(actor, Action::StudyManage, &target(&unit.path))?;
        staff_named(state, &unit, users).await?
    };
    let mut tx = state.db.begin().await?;
    let added = sign(&mut tx, session.id, &people, me, state.now()).await?;
    let detail = serde_json::json!({"users": people.iter().map(|p| p.0).collect::<Vec<_>>()});
    commit_audited(
        state,
        actor,
        "assess.study.attendance",
        format!("assess_study_session:{}", session.id),
        detail,
        tx,
    )
    .await?;
    Ok(added)
}

/// Assigns a library document to some of the unit's staff, due on a day and worth `hours`
/// when finished. Someone assigned the document already keeps their assignment. Returns
/// the ids of the new assignments.
pub async fn assign(
    state: &AppState,
    actor: &GovActor,
    unit_id: i64,
    a: &NewAssignment,
) -> AppResult<Vec<i64>> {
    let unit = unit_for(state, actor, unit_id, Action::StudyManage).await?;
    if !(a.hours.is_finite() && a.hours > 0.0 && a.hours <= 100.0) {
        return Err(invalid(
            "学时须大于 0 且不超过 100。",
            "The hours must be above 0 and at most 100.",
        ));
    }
    if a.user_ids.is_empty() {
        return Err(invalid(
            "请选择要布置给谁。",
            "Choose whom to assign it to.",
        ));
    }
    let (due_on, due_ms) = day(&a.due_on)?;
    let doc = document(state, actor, a.document_id).await?;
    let people = staff_named(state, &unit, &a.user_ids).await?;
    let me = actor.id().unwrap_or_default();
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let mut ids = Vec::new();
    for (user, name) in &people {
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO assess_study_assignments (unit_id, unit_path, document_id, title, user_id, \
             display_name, hours, due_on, due_ms, assigned_by, created_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (unit_id, document_id, user_id) DO NOTHING RETURNING id",
        )
        .bind(unit.id.0)
        .bind(unit.path.as_str())
        .bind(doc.document_id)
        .bind(&doc.title)
        .bind(user)
        .bind(name)
        .bind(a.hours)
        .bind(&due_on)
        .bind(due_ms)
        .bind(me)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        ids.extend(id);
        // The library keeps this reader's position in this document even without VIP,
        // or the reading could never be seen finished (ADR 037). Again for a repeated
        // assignment, which also mends assignments made before that.
        library::social::assign_reading(&mut tx, *user, doc.document_id, now).await?;
    }
    let detail = serde_json::json!({"unit": unit.id.0, "document": doc.document_id,
        "hours": a.hours, "due_on": due_on, "assignments": ids});
    commit_audited(
        state,
        actor,
        "assess.study.assign",
        format!("governance_unit:{}", unit.id.0),
        detail,
        tx,
    )
    .await?;
    Ok(ids)
}

const SESSION: &str = "SELECT id, unit_id, unit_path, unit_name, held_on, title, minutes, host, \
     notes FROM assess_study_sessions";

/// A row of a list kept per session: the session it belongs to and the item.
#[derive(FromRow)]
struct OfSession<T> {
    session_id: i64,
    #[sqlx(flatten)]
    item: T,
}

/// The items `text` finds (each with its `session_id`), by session, in the query's order.
async fn by_session<T>(state: &AppState, sql: &Sql, text: &str) -> AppResult<HashMap<i64, Vec<T>>>
where
    T: for<'r> FromRow<'r, sqlx::any::AnyRow>,
{
    let mut out: HashMap<i64, Vec<T>> = HashMap::new();
    for r in sql.query(text).fetch_all(&state.db.pool).await? {
        let o = OfSession::<T>::from_row(&r)?;
        out.entry(o.session_id).or_default().push(o.item);
    }
    Ok(out)
}

/// The materials and attendance of `sessions`, two queries for any number of them.
async fn fill(state: &AppState, sessions: &mut [Session]) -> AppResult<()> {
    let mut sql = Sql::default();
    sql.any_of("session_id", sessions.iter().map(|s| s.id));
    let text = format!(
        "SELECT session_id, document_id, title FROM assess_study_materials WHERE {} \
         ORDER BY session_id, document_id",
        sql.where_clause()
    );
    let mut materials: HashMap<i64, Vec<Material>> = by_session(state, &sql, &text).await?;
    let text = format!(
        "SELECT session_id, user_id, display_name, \
         CASE WHEN signed_by = user_id THEN 1 ELSE 0 END AS self_signed \
         FROM assess_study_attendance WHERE {} ORDER BY session_id, signed_ms, user_id",
        sql.where_clause()
    );
    let mut attendance: HashMap<i64, Vec<Attendee>> = by_session(state, &sql, &text).await?;
    for s in sessions {
        s.materials = materials.remove(&s.id).unwrap_or_default();
        s.attendance = attendance.remove(&s.id).unwrap_or_default();
    }
    Ok(())
}

/// One session with its materials and attendance, if the actor may read its unit's records.
pub async fn session(state: &AppState, actor: &GovActor, id: i64) -> AppResult<Session> {
    if actor.user.is_none() {
        return Err(AppError::Unauthorized);
    }
    let q = format!("{SESSION} WHERE id = $1");
    let mut s: Session = sqlx::query_as(&q)
        .bind(id)
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or(AppError::NotFound)?;
    authorize(actor, Action::StudyRead, &target(&s.unit_path))?;
    fill(state, std::slice::from_mut(&mut s)).await?;
    Ok(s)
}

/// The sessions of `year` held by units the actor may read (one unit's when `unit` is
/// given), newest first, with their materials and attendance.
pub async fn sessions(
    state: &AppState,
    actor: &GovActor,
    year: i64,
    unit: Option<i64>,
) -> AppResult<Vec<Session>> {
    Ok(year_sessions(state, year, unit)
        .await?
        .into_iter()
        .filter(|s| authorize(actor, Action::StudyRead, &target(&s.unit_path)).is_ok())
        .collect())
}

/// Every session of `year` (of one unit when given), newest first, filled: for the hours,
/// whose callers have checked who may see them.
pub async fn year_sessions(
    state: &AppState,
    year: i64,
    unit: Option<i64>,
) -> AppResult<Vec<Session>> {
    let (from, to) = year_bounds(year);
    let q = format!(
        "{SESSION} WHERE held_ms >= $1 AND held_ms < $2 AND ($3 = 0 OR unit_id = $3) \
         ORDER BY held_ms DESC, id DESC"
    );
    let mut out: Vec<Session> = sqlx::query_as(&q)
        .bind(from)
        .bind(to)
        .bind(unit.unwrap_or(0))
        .fetch_all(&state.db.pool)
        .await?;
    fill(state, &mut out).await?;
    Ok(out)
}

/// Assignments due in `year`, of one unit or of one person, with each reader's progress.
pub async fn assignments(
    state: &AppState,
    year: i64,
    unit: Option<i64>,
    user: Option<i64>,
) -> AppResult<Vec<Assignment>> {
    let (from, to) = year_bounds(year);
    let mut out: Vec<Assignment> = sqlx::query_as(
        "SELECT id, unit_id, document_id, title, user_id, display_name, hours, due_on \
         FROM assess_study_assignments WHERE due_ms >= $1 AND due_ms < $2 \
         AND ($3 = 0 OR unit_id = $3) AND ($4 = 0 OR user_id = $4) ORDER BY due_ms, id",
    )
    .bind(from)
    .bind(to)
    .bind(unit.unwrap_or(0))
    .bind(user.unwrap_or(0))
    .fetch_all(&state.db.pool)
    .await?;
    let pairs: Vec<(i64, i64)> = out.iter().map(|a| (a.user_id, a.document_id)).collect();
    let read = library::social::reading_states(&state.db, &pairs).await?;
    for a in &mut out {
        if let Some(r) = read
            .iter()
            .find(|r| r.user_id == a.user_id && r.document_id == a.document_id)
        {
            a.page = r.page;
            a.pages = r.pages;
            a.finished = r.finished();
        }
    }
    Ok(out)
}
