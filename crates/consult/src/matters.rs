//! Community self-governance (自治在社区): matters residents raise in their community, the
//! support that obliges a residents' meeting (the law's thresholds, `rules`, configurable per
//! community), and the notice sequence 议题受理 → 审查 → 会议公告 → 表决 → 决议公告 →
//! 实施结果公告, each stage a public notice in order. At 表决 the staff may open a
//! recountable vote for the matter; the meeting's sign-in and that vote (or the counts
//! taken at the meeting) decide it against the community's rules (`meeting`). The steps
//! here serve both the API (below, `/api/v1/consultation/matters`) and the pages
//! (`matter_pages`).

use crate::authz::{Action, ConsultActor, Target, authorize};
use crate::error::{ConsultError, ConsultResult};
use crate::meeting::{self, Attendee};
use crate::people;
use crate::rules::{Counts, Rules};
use crate::votes::{self, Rule, Spec};
use axum::extract::State as AxState;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use gov_core::{UnitId, UnitKind, find_unit};
use platform::AppState;
use platform::db::Db;
use platform::web::i18n::Lang;
use platform::web::{ApiJson, Code, Id};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::{FromRow, Row};
use std::collections::HashMap;

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

/// A stage's name in the UI.
pub fn stage_label(stage: &str, lang: Lang) -> &'static str {
    let (zh, en) = match stage {
        "proposed" => ("议题提出", "Raised"),
        "accepted" => ("议题受理", "Accepted"),
        "reviewed" => ("审查", "Reviewed"),
        "meeting_noticed" => ("会议公告", "Meeting called"),
        "voting" => ("表决", "Voting"),
        "resolved" => ("决议公告", "Resolution"),
        "implemented" => ("实施结果公告", "Implemented"),
        "rejected" => ("未通过", "Not passed"),
        _ => ("—", "—"),
    };
    lang.pick(zh, en)
}

/// The stage that follows `current`, if any.
pub fn next_stage(current: &str) -> Option<&'static str> {
    STAGES
        .iter()
        .position(|s| *s == current)
        .and_then(|i| STAGES.get(i + 1))
        .copied()
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/consultation/matters", post(create_api))
        .route("/api/v1/consultation/matters/{id}", get(detail))
        .route(
            "/api/v1/consultation/matters/{id}/support",
            post(support_api),
        )
        .route(
            "/api/v1/consultation/matters/{id}/advance",
            post(advance_api),
        )
        .route(
            "/api/v1/consultation/matters/{id}/attendance",
            get(attendance_api).post(sign_in_api),
        )
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

pub async fn community(state: &AppState, id: i64) -> ConsultResult<gov_core::Unit> {
    find_unit(&state.db, UnitId(id))
        .await?
        .filter(|u| u.kind == UnitKind::Community)
        .ok_or_else(|| ConsultError::field(platform::bi!("须为一个社区。", "must be a community")))
}

#[derive(Clone, Debug, Serialize, FromRow)]
pub struct Notice {
    pub stage: String,
    pub text: String,
    pub at: i64,
}

/// A matter as its readers see it, with what the rules make of it. The stored columns are
/// read by name ([`COLUMNS`]); the fields marked `skip` are filled by [`assemble`].
#[derive(Clone, Debug, Serialize, FromRow)]
pub struct Matter {
    pub id: i64,
    pub unit_id: i64,
    #[sqlx(skip)]
    pub unit_name: String,
    pub title: String,
    pub body: String,
    pub stage: String,
    #[sqlx(skip)]
    pub supporters: i64,
    #[sqlx(skip)]
    pub supporting_households: i64,
    #[sqlx(skip)]
    pub meeting_required: bool,
    pub present: i64,
    pub in_favour: i64,
    /// Those signed in to the meeting so far.
    #[sqlx(skip)]
    pub attendance: i64,
    /// The recountable vote that decides the matter, if the meeting votes by ballot.
    pub vote_id: Option<i64>,
    pub minutes: String,
    #[sqlx(skip)]
    pub notices: Vec<Notice>,
    #[sqlx(skip)]
    pub rules: Rules,
    #[serde(skip)]
    pub unit_path: String,
    /// The actor is a verified resident of the community.
    #[serde(skip)]
    #[sqlx(skip)]
    pub resident: bool,
    /// The actor is the community's staff (worker or more).
    #[serde(skip)]
    #[sqlx(skip)]
    pub staff: bool,
}

/// The stored columns [`Matter`] reads, of `consult_matters m`.
const COLUMNS: &str = "m.id, m.unit_id, m.title, m.body, m.stage, m.present, m.in_favour, \
    m.vote_id, m.minutes, m.unit_path";

/// A row of a list kept per matter: the matter it belongs to and the item.
#[derive(FromRow)]
struct OfMatter<T> {
    matter_id: i64,
    #[sqlx(flatten)]
    item: T,
}

impl Matter {
    /// Sign-in is open from the meeting notice until the decision.
    pub fn meeting_open(&self) -> bool {
        matches!(self.stage.as_str(), "meeting_noticed" | "voting")
    }
}

/// A matter for `actor`: its community's residents and staff read it, nobody else (404).
pub async fn load(state: &AppState, actor: &ConsultActor, id: i64) -> ConsultResult<Matter> {
    let text = format!("SELECT {COLUMNS} FROM consult_matters m WHERE m.id = $1");
    let found: Vec<Matter> = sqlx::query_as(&text)
        .bind(id)
        .fetch_all(&state.db.pool)
        .await?;
    assemble(state, actor, found)
        .await?
        .pop()
        .ok_or(ConsultError::NotFound)
}

/// The matters `actor` reads (as a resident or as staff), newest first.
pub async fn visible(state: &AppState, actor: &ConsultActor) -> ConsultResult<Vec<Matter>> {
    let mut sql = gov_core::Sql::default();
    people::audience(&mut sql, actor, "m.unit_path");
    let text = format!(
        "SELECT {COLUMNS} FROM consult_matters m WHERE {} ORDER BY m.id DESC LIMIT 200",
        sql.where_clause()
    );
    let found = sql
        .query(&text)
        .fetch_all(&state.db.pool)
        .await?
        .iter()
        .map(Matter::from_row)
        .collect::<sqlx::Result<_>>()?;
    assemble(state, actor, found).await
}

/// Matters as stored, in order, completed with their supports, rules, notices and sign-ins
/// read for all of them at once: a fixed number of queries however many matters. Each must
/// be readable by `actor` (a resident of its community or its staff), else 404.
async fn assemble(
    state: &AppState,
    actor: &ConsultActor,
    mut matters: Vec<Matter>,
) -> ConsultResult<Vec<Matter>> {
    if matters.is_empty() {
        return Ok(matters);
    }
    let db = &state.db;
    let ids: Vec<i64> = matters.iter().map(|m| m.id).collect();
    let mut unit_ids: Vec<i64> = matters.iter().map(|m| m.unit_id).collect();
    unit_ids.sort();
    unit_ids.dedup();
    let homes = match actor.id() {
        Some(u) => people::residencies(db, u).await?,
        None => Vec::new(),
    };
    let units: HashMap<i64, gov_core::Unit> =
        gov_core::units_by_ids(db, &unit_ids.iter().map(|u| UnitId(*u)).collect::<Vec<_>>())
            .await?
            .into_iter()
            .map(|u| (u.id.0, u))
            .collect();
    let mut by_matter = gov_core::Sql::default();
    by_matter.any_of("matter_id", ids.iter().copied());
    let text = format!(
        "SELECT matter_id, COUNT(*) AS n, COUNT(DISTINCT household) AS h FROM consult_matter_supports \
         WHERE {} GROUP BY matter_id",
        by_matter.where_clause()
    );
    let mut supports: HashMap<i64, (i64, i64)> = HashMap::new();
    for r in by_matter.query(&text).fetch_all(&db.pool).await? {
        supports.insert(r.try_get("matter_id")?, (r.try_get("n")?, r.try_get("h")?));
    }
    let text = format!(
        "SELECT matter_id, COUNT(*) AS n FROM consult_matter_attendance WHERE {} GROUP BY matter_id",
        by_matter.where_clause()
    );
    let mut attendance: HashMap<i64, i64> = HashMap::new();
    for r in by_matter.query(&text).fetch_all(&db.pool).await? {
        attendance.insert(r.try_get("matter_id")?, r.try_get("n")?);
    }
    let text = format!(
        "SELECT matter_id, stage, text, at FROM consult_matter_notices WHERE {} ORDER BY id",
        by_matter.where_clause()
    );
    let mut notices: HashMap<i64, Vec<Notice>> = HashMap::new();
    for r in by_matter.query(&text).fetch_all(&db.pool).await? {
        let n = OfMatter::<Notice>::from_row(&r)?;
        notices.entry(n.matter_id).or_default().push(n.item);
    }
    let mut by_unit = gov_core::Sql::default();
    by_unit.any_of("unit_id", unit_ids.iter().copied());
    let text = format!(
        "SELECT unit_id, rules FROM consult_rules WHERE {}",
        by_unit.where_clause()
    );
    let mut rules_of: HashMap<i64, Rules> = HashMap::new();
    for r in by_unit.query(&text).fetch_all(&db.pool).await? {
        if let Some(rules) = r
            .try_get::<String, _>("rules")
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
        {
            rules_of.insert(r.try_get("unit_id")?, rules);
        }
    }
    for m in &mut matters {
        m.resident = homes.iter().any(|h| h.unit_path.starts_with(&m.unit_path));
        m.staff = authorize(actor, Action::ManageVotes, &Target::Unit(&m.unit_path)).is_ok();
        if !(m.resident || m.staff) {
            return Err(ConsultError::NotFound);
        }
        let unit = units
            .get(&m.unit_id)
            .filter(|u| u.kind == UnitKind::Community)
            .ok_or_else(|| {
                ConsultError::field(platform::bi!("须为一个社区。", "must be a community"))
            })?;
        (m.supporters, m.supporting_households) = supports.get(&m.id).copied().unwrap_or((0, 0));
        m.rules = rules_of.get(&m.unit_id).copied().unwrap_or_default();
        let of = Counts {
            adults: unit.residents,
            households: unit.households,
            groups: 0,
        };
        let asking = Counts {
            adults: m.supporters,
            households: m.supporting_households,
            groups: 0,
        };
        m.unit_name = unit.name.clone();
        m.meeting_required = m.rules.must_call(of, asking);
        m.attendance = attendance.get(&m.id).copied().unwrap_or(0);
        m.notices = notices.remove(&m.id).unwrap_or_default();
    }
    Ok(matters)
}

#[derive(Deserialize)]
pub struct NewMatter {
    pub unit_id: i64,
    pub title: String,
    pub body: String,
}

/// A verified resident raises a matter in their community; its id.
pub async fn create(state: &AppState, actor: &ConsultActor, b: &NewMatter) -> ConsultResult<i64> {
    let uid = actor.id().ok_or(ConsultError::SignIn)?;
    let unit = community(state, b.unit_id).await?;
    if people::resident_in(&state.db, uid, unit.path.as_str())
        .await?
        .is_none()
    {
        return Err(ConsultError::of(Code::NotResident));
    }
    let (title, body) = (b.title.trim(), b.body.trim());
    if !(4..=120).contains(&title.chars().count()) || !(10..=5000).contains(&body.chars().count()) {
        return Err(ConsultError::field(platform::bi!(
            "标题须为 4–120 字，内容须为 10–5000 字。",
            "a title of 4–120 characters and a text of 10–5,000"
        )));
    }
    Ok(sqlx::query(
        "INSERT INTO consult_matters (unit_id, unit_path, title, body, proposer_id, stage, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'proposed', $6) RETURNING id",
    )
    .bind(unit.id.0)
    .bind(unit.path.as_str())
    .bind(title)
    .bind(body)
    .bind(uid)
    .bind(state.now())
    .fetch_one(&state.db.pool)
    .await?
    .try_get("id")?)
}

/// A resident supports a matter (once: the primary key keeps a second support out).
pub async fn support(state: &AppState, actor: &ConsultActor, id: i64) -> ConsultResult<()> {
    let m = load(state, actor, id).await?;
    let uid = actor.id().ok_or(ConsultError::SignIn)?;
    let who = people::resident_in(&state.db, uid, &m.unit_path)
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
    Ok(())
}

#[derive(Deserialize, Default)]
pub struct Advance {
    /// The next stage, which must follow the current one.
    pub stage: String,
    /// The notice published with it.
    pub text: String,
    /// For `voting`: open a recountable vote (赞成 / 反对 / 弃权) for the matter.
    #[serde(default)]
    pub ballot: bool,
    /// For that vote: `resident` (default) or `household`.
    #[serde(default)]
    pub rule: Option<String>,
    /// For `resolved` without a vote: those present and those in favour at the meeting.
    #[serde(default)]
    pub present: i64,
    #[serde(default)]
    pub in_favour: i64,
    /// For `resolved`: the meeting's minutes.
    #[serde(default)]
    pub minutes: String,
}

/// The options of a matter's vote, in this order (the first counts as in favour).
pub const VOTE_OPTIONS: [&str; 3] = ["赞成", "反对", "弃权"];

/// The community's staff move a matter to its next stage and publish the notice.
pub async fn advance(
    state: &AppState,
    actor: &ConsultActor,
    id: i64,
    b: &Advance,
) -> ConsultResult<()> {
    let m = load(state, actor, id).await?;
    authorize(actor, Action::ManageVotes, &Target::Unit(&m.unit_path))?;
    let next = next_stage(&m.stage);
    if next != Some(b.stage.as_str()) {
        return Err(ConsultError::state(platform::web::i18n::bilingual(
            &format!(
                "议题处于「{}」阶段，下一步须为「{}」。",
                stage_label(&m.stage, Lang::Zh),
                next.map_or("—", |n| stage_label(n, Lang::Zh))
            ),
            &format!(
                "the matter is at {}; the next stage is {}",
                m.stage,
                next.unwrap_or("none")
            ),
        )));
    }
    if b.text.trim().chars().count() < 4 || b.text.chars().count() > 5000 {
        return Err(ConsultError::field(platform::bi!(
            "请填写公告内容（4–5000 字）。",
            "write the notice (4–5,000 characters)"
        )));
    }
    if b.minutes.chars().count() > 20_000 {
        return Err(ConsultError::field(platform::bi!(
            "会议记录不能超过 20000 字。",
            "the minutes are limited to 20,000 characters"
        )));
    }
    let unit = community(state, m.unit_id).await?;
    let mut stage = b.stage.clone();
    let (mut present, mut in_favour) = (m.present, m.in_favour);
    let rule = match b.rule.as_deref().map(str::trim) {
        None | Some("") => Rule::Resident,
        Some(r) => Rule::parse(r).ok_or_else(|| {
            ConsultError::field(platform::bi!(
                "表决方式须为 resident（每人一票）或 household（每户一票）。",
                "rule is resident or household"
            ))
        })?,
    };
    if stage == "resolved" {
        let d = meeting::decide(state, &m, &unit, b.present, b.in_favour).await?;
        (present, in_favour) = (d.present, d.in_favour);
        if !d.passed {
            stage = "rejected".into();
        }
    }
    let mut tx = state.db.begin().await?;
    let mut vote_id = m.vote_id;
    if b.stage == "voting" && b.ballot {
        let spec = Spec {
            title: m.title.clone(),
            body: b.text.trim().to_string(),
            rule,
            options: VOTE_OPTIONS.iter().map(|o| o.to_string()).collect(),
        };
        vote_id = Some(
            votes::create_in(
                &mut tx,
                m.unit_id,
                &m.unit_path,
                &spec,
                actor.id(),
                state.now(),
            )
            .await?,
        );
    }
    let minutes = if b.minutes.trim().is_empty() {
        m.minutes.clone()
    } else {
        b.minutes.trim().to_string()
    };
    let moved = sqlx::query(
        "UPDATE consult_matters SET stage = $1, present = $2, in_favour = $3, vote_id = $4, minutes = $5 \
         WHERE id = $6 AND stage = $7",
    )
    .bind(&stage)
    .bind(present)
    .bind(in_favour)
    .bind(vote_id)
    .bind(&minutes)
    .bind(id)
    .bind(&m.stage)
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
    Ok(())
}

/// Signs someone in to the matter's meeting: the actor (a resident) when `who` is empty,
/// else the staff sign in a verified resident or a paper entry.
pub async fn sign_in(
    state: &AppState,
    actor: &ConsultActor,
    id: i64,
    who: &meeting::SignIn,
) -> ConsultResult<()> {
    let m = load(state, actor, id).await?;
    if !m.meeting_open() {
        return Err(ConsultError::state(platform::bi!(
            "会议签到在会议公告后、决议前开放。",
            "sign-in is open from the meeting notice until the decision"
        )));
    }
    let attendee = meeting::attendee(state, actor, &m, who).await?;
    meeting::record(&state.db, id, &attendee, actor.id(), state.now()).await
}

async fn create_api(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    ApiJson(b): ApiJson<NewMatter>,
) -> ConsultResult<Response> {
    let id = create(&state, &actor, &b).await?;
    Ok((StatusCode::CREATED, Json(load(&state, &actor, id).await?)).into_response())
}

async fn detail(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    Id(id): Id,
) -> ConsultResult<Json<Matter>> {
    Ok(Json(load(&state, &actor, id).await?))
}

async fn support_api(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    Id(id): Id,
) -> ConsultResult<Json<Matter>> {
    support(&state, &actor, id).await?;
    Ok(Json(load(&state, &actor, id).await?))
}

async fn advance_api(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    Id(id): Id,
    ApiJson(b): ApiJson<Advance>,
) -> ConsultResult<Json<Matter>> {
    advance(&state, &actor, id, &b).await?;
    Ok(Json(load(&state, &actor, id).await?))
}

async fn sign_in_api(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    Id(id): Id,
    ApiJson(b): ApiJson<meeting::SignIn>,
) -> ConsultResult<Response> {
    sign_in(&state, &actor, id, &b).await?;
    Ok((StatusCode::CREATED, Json(load(&state, &actor, id).await?)).into_response())
}

/// The sign-in list with names: the community's staff only.
async fn attendance_api(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    Id(id): Id,
) -> ConsultResult<Json<Value>> {
    let m = load(&state, &actor, id).await?;
    authorize(&actor, Action::ManageVotes, &Target::Unit(&m.unit_path))?;
    let items: Vec<Attendee> = meeting::list(&state.db, id).await?;
    Ok(Json(json!({"items": items, "total": items.len()})))
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
