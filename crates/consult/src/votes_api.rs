//! The votes JSON API (`/api/v1/votes`) and the verification of residents
//! (`/api/v1/consultation/residents`).

use crate::authz::{Action, ConsultActor, Target, authorize};
use crate::error::{ConsultError, ConsultResult};
use crate::people::{self, Residency};
use crate::votes::{self, Rule, Spec, Vote};
use axum::extract::{Query, State as AxState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use gov_core::{Bind, Sql, UnitId, UnitKind, find_unit};
use platform::AppState;
use platform::web::authz::Denied;
use platform::web::{ApiJson, Code, Id};
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::Row;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/votes", get(list).post(create))
        .route("/api/v1/votes/{id}", get(detail).patch(change))
        .route("/api/v1/votes/{id}/ballots", get(log).post(cast))
        .route("/api/v1/votes/{id}/close", post(close))
        .route("/api/v1/consultation/residents", post(verify_resident))
}

/// A vote as the API shows it, with the live tally (option id → ballots).
pub async fn vote_json(state: &AppState, v: &Vote) -> ConsultResult<Value> {
    let tally: serde_json::Map<String, Value> = votes::tally(&state.db, v)
        .await?
        .into_iter()
        .map(|(k, n)| (k.to_string(), json!(n)))
        .collect();
    Ok(json!({
        "id": v.id, "title": v.title, "body": v.body, "unit_id": v.unit_id, "unit": v.unit_name,
        "rule": v.rule, "state": if v.open { "open" } else { "closed" },
        "options": v.options, "tally": tally, "ballots": v.ballots,
        "chain_head": if v.open { &v.chain_head } else { &v.published_head },
        "created_at": v.created_at, "closed_at": v.closed_at,
    }))
}

/// The vote and whether the actor is a verified resident of its community.
pub async fn load(
    state: &AppState,
    actor: &ConsultActor,
    id: i64,
) -> ConsultResult<(Vote, Option<Residency>)> {
    let v = votes::find(&state.db, id)
        .await?
        .ok_or(ConsultError::NotFound)?;
    let who = match actor.id() {
        Some(u) => people::resident_in(&state.db, u, &v.unit_path).await?,
        None => None,
    };
    authorize(actor, Action::ViewVote, &Target::Vote(&v, who.is_some()))?;
    Ok((v, who))
}

#[derive(Deserialize)]
struct ListQuery {
    state: Option<String>,
}

/// Votes in the viewer's communities (as a resident) and in their staff scope.
async fn list(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    Query(q): Query<ListQuery>,
) -> ConsultResult<Json<Value>> {
    authorize(&actor, Action::View, &Target::Anywhere)?;
    let items = visible(&state, &actor, q.state.as_deref()).await?;
    let mut out = Vec::new();
    for v in &items {
        out.push(json!({"id": v.id, "title": v.title, "unit_id": v.unit_id, "unit": v.unit_name,
                        "options": v.options, "state": if v.open { "open" } else { "closed" }, "ballots": v.ballots}));
    }
    Ok(Json(json!({"items": out})))
}

/// The votes `actor` may see, newest first (`state`: open, closed or all).
pub async fn visible(
    state: &AppState,
    actor: &ConsultActor,
    want: Option<&str>,
) -> ConsultResult<Vec<Vote>> {
    let mut sql = Sql::default();
    match want.unwrap_or("") {
        "" | "all" => {}
        s @ ("open" | "closed") => {
            let b = sql.bind(Bind::Text(s.into()));
            sql.push(format!("v.state = {b}"));
        }
        _ => {
            return Err(ConsultError::coded(
                Code::InvalidFilter,
                platform::bi!("state 须为 open 或 closed。", "state is open or closed"),
            ));
        }
    }
    people::audience(&mut sql, actor, "v.unit_path");
    let text = format!(
        "SELECT v.id FROM consult_votes v WHERE {} ORDER BY v.id DESC LIMIT 200",
        sql.where_clause()
    );
    let mut out = Vec::new();
    for r in sql.query(&text).fetch_all(&state.db.pool).await? {
        if let Some(v) = votes::find(&state.db, r.try_get("id")?).await? {
            out.push(v);
        }
    }
    Ok(out)
}

async fn detail(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    Id(id): Id,
) -> ConsultResult<Json<Value>> {
    let (v, _) = load(&state, &actor, id).await?;
    Ok(Json(vote_json(&state, &v).await?))
}

#[derive(Deserialize)]
struct SpecBody {
    unit_id: Option<i64>,
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default = "resident")]
    rule: String,
    options: Vec<String>,
}

fn resident() -> String {
    "resident".into()
}

impl SpecBody {
    fn spec(self) -> ConsultResult<Spec> {
        let rule = Rule::parse(&self.rule).ok_or_else(|| {
            ConsultError::field(platform::bi!(
                "rule 须为 resident 或 household。",
                "rule is resident or household"
            ))
        })?;
        Ok(Spec {
            title: self.title,
            body: self.body,
            rule,
            options: self.options,
        })
    }
}

async fn community(state: &AppState, id: Option<i64>) -> ConsultResult<gov_core::Unit> {
    let unit = match id {
        Some(id) => find_unit(&state.db, UnitId(id)).await?,
        None => None,
    };
    unit.filter(|u| u.kind == UnitKind::Community)
        .ok_or_else(|| {
            ConsultError::field(platform::bi!(
                "unit_id 须为一个社区。",
                "unit_id must be a community"
            ))
        })
}

/// The community `unit_id` names, if the actor runs its votes (its staff).
async fn managed_community(
    state: &AppState,
    actor: &ConsultActor,
    unit_id: Option<i64>,
) -> ConsultResult<gov_core::Unit> {
    actor.user.as_ref().ok_or(ConsultError::SignIn)?;
    let unit = community(state, unit_id).await?;
    authorize(
        actor,
        Action::ManageVotes,
        &Target::Unit(unit.path.as_str()),
    )?;
    Ok(unit)
}

async fn create(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    ApiJson(b): ApiJson<SpecBody>,
) -> ConsultResult<Response> {
    let unit = managed_community(&state, &actor, b.unit_id).await?;
    let id = votes::create(
        &state.db,
        unit.id.0,
        unit.path.as_str(),
        &b.spec()?,
        actor.id(),
        state.now(),
    )
    .await?;
    let v = votes::find(&state.db, id)
        .await?
        .ok_or(ConsultError::NotFound)?;
    Ok((StatusCode::CREATED, Json(vote_json(&state, &v).await?)).into_response())
}

async fn change(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    Id(id): Id,
    ApiJson(b): ApiJson<SpecBody>,
) -> ConsultResult<Json<Value>> {
    managed_vote(&state, &actor, id).await?;
    votes::change(&state.db, id, &b.spec()?).await?;
    vote_answer(&state, id).await
}

/// The vote, if the actor runs it (the community's staff).
async fn managed_vote(state: &AppState, actor: &ConsultActor, id: i64) -> ConsultResult<Vote> {
    let (v, who) = load(state, actor, id).await?;
    authorize(actor, Action::ManageVotes, &Target::Vote(&v, who.is_some()))?;
    Ok(v)
}

/// The vote as the API answers it, read afresh.
async fn vote_answer(state: &AppState, id: i64) -> ConsultResult<Json<Value>> {
    let v = votes::find(&state.db, id)
        .await?
        .ok_or(ConsultError::NotFound)?;
    Ok(Json(vote_json(state, &v).await?))
}

#[derive(Deserialize)]
struct BallotBody {
    option_id: i64,
}

/// Casts the actor's ballot; shared by the API and the vote page.
pub async fn cast_ballot(
    state: &AppState,
    actor: &ConsultActor,
    id: i64,
    option: i64,
) -> ConsultResult<String> {
    actor.user.as_ref().ok_or(ConsultError::SignIn)?;
    let v = votes::find(&state.db, id)
        .await?
        .ok_or(ConsultError::NotFound)?;
    let who = people::resident_in(&state.db, actor.id().unwrap_or_default(), &v.unit_path).await?;
    match authorize(actor, Action::CastBallot, &Target::Vote(&v, who.is_some())) {
        Ok(()) => {}
        Err(Denied::Forbidden(_)) => return Err(ConsultError::of(Code::NotResident)),
        Err(d) => return Err(d.into()),
    }
    let who = who.ok_or(ConsultError::of(Code::NotResident))?;
    if !v.open {
        return Err(ConsultError::of(Code::VoteClosed));
    }
    votes::cast(&state.db, &v, &who, option, state.now()).await
}

async fn cast(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    Id(id): Id,
    ApiJson(b): ApiJson<BallotBody>,
) -> ConsultResult<Response> {
    let receipt = cast_ballot(&state, &actor, id, b.option_id).await?;
    Ok((StatusCode::CREATED, Json(json!({"receipt": receipt}))).into_response())
}

async fn close(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    Id(id): Id,
) -> ConsultResult<Json<Value>> {
    managed_vote(&state, &actor, id).await?;
    votes::close(&state.db, id, state.now()).await?;
    vote_answer(&state, id).await
}

/// The published ballot log of a closed vote: no names, enough to recount it.
async fn log(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    Id(id): Id,
) -> ConsultResult<Json<Value>> {
    let (v, _) = load(&state, &actor, id).await?;
    if v.open {
        return Err(ConsultError::state(platform::bi!(
            "表决结束后公布投票记录。",
            "the ballot log is published when the vote closes"
        )));
    }
    Ok(Json(json!({
        "vote_id": v.id, "genesis": votes::genesis(v.id), "chain_head": v.published_head,
        "options": v.options, "ballots": votes::ballots(&state.db, id).await?,
    })))
}

#[derive(Deserialize)]
struct ResidentBody {
    username: String,
    unit_id: Option<i64>,
    household: String,
}

/// Records that an account lives in a community (its staff verify it).
async fn verify_resident(
    AxState(state): AxState<AppState>,
    actor: ConsultActor,
    ApiJson(b): ApiJson<ResidentBody>,
) -> ConsultResult<Response> {
    let unit = managed_community(&state, &actor, b.unit_id).await?;
    let household = b.household.trim();
    if household.is_empty() || household.chars().count() > 60 {
        return Err(ConsultError::field(platform::bi!(
            "请填写户号（60 字以内）。",
            "give the household (up to 60 characters)"
        )));
    }
    let uid = crate::api::user_by_name(&state, &b.username).await?;
    people::verify_resident(
        &state.db,
        uid,
        unit.id.0,
        household,
        actor.id(),
        state.now(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"user_id": uid, "unit_id": unit.id.0, "household": household})),
    )
        .into_response())
}
