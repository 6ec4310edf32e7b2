//! Support tickets (客服工单). VIP members' tickets are marked priority when filed and come
//! first in the staff queue (VIP benefit 6); the answer reaches the user as a notification.

use crate::authz::Action;
use crate::error::{LibResult, LibraryError};
use crate::service;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use platform::db::Db;
use platform::web::Code;
use platform::web::{ApiJson, Id, PageCtx, SignedIn, redirect, render};
use platform::{Actor, AppState, audit};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tickets", get(queue_json).post(open_json))
        .route("/api/v1/me/tickets", get(mine_json))
        .route("/api/v1/tickets/{id}/answer", post(answer_json))
        .route("/support", get(support_page).post(support_form))
        .route("/moderation/tickets", get(queue_page))
        .route("/moderation/tickets/{id}/answer", post(answer_form))
}

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct Ticket {
    pub id: i64,
    pub user_id: i64,
    #[sqlx(rename = "user_name")]
    pub user: String,
    pub subject: String,
    pub body: String,
    #[sqlx(try_from = "platform::db::Flag")]
    pub priority: bool,
    pub state: String,
    pub answer: Option<String>,
    pub created_at: i64,
}

const SELECT: &str = "SELECT t.id, t.user_id, u.display_name AS user_name, t.subject, t.body, t.priority, t.state, t.answer, t.created_at \
    FROM library_tickets t JOIN platform_users u ON u.id = t.user_id";

/// The staff queue: open tickets, members' first, oldest first within each.
pub async fn queue(db: &Db) -> sqlx::Result<Vec<Ticket>> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE t.state = 'open' ORDER BY t.priority DESC, t.id LIMIT 500"
    ))
    .fetch_all(&db.pool)
    .await
}

pub async fn mine(db: &Db, user: i64) -> sqlx::Result<Vec<Ticket>> {
    sqlx::query_as(&format!("{SELECT} WHERE t.user_id = $1 ORDER BY t.id DESC"))
        .bind(user)
        .fetch_all(&db.pool)
        .await
}

fn text(name: &str, v: &str, max: usize) -> LibResult<String> {
    let v = v.trim();
    if v.is_empty() || v.chars().count() > max {
        return Err(LibraryError::BadField(format!(
            "`{name}` needs 1 to {max} characters"
        )));
    }
    Ok(v.to_string())
}

pub async fn open(state: &AppState, actor: &Actor, subject: &str, body: &str) -> LibResult<i64> {
    service::permitted(state, actor, Action::UseWallet)?;
    let user = actor.id().ok_or(LibraryError::SignIn)?;
    let subject = text("subject", subject, 200)?;
    let body = text("body", body, 5000)?;
    let now = state.now();
    let member = crate::money::vip::is_member(&state.db, user, now).await?;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO library_tickets (user_id, subject, body, priority, state, created_at) VALUES ($1, $2, $3, $4, 'open', $5) RETURNING id",
    )
    .bind(user)
    .bind(&subject)
    .bind(&body)
    .bind(member as i64)
    .bind(now)
    .fetch_one(&state.db.pool)
    .await?;
    Ok(id)
}

pub async fn answer(state: &AppState, actor: &Actor, id: i64, answer: &str) -> LibResult<()> {
    let staff = service::allowed(state, actor, Action::ReviewComplaints)?;
    let answer = text("answer", answer, 5000)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let row: Option<(i64, String)> = sqlx::query_as(
        "UPDATE library_tickets SET state = 'answered', answer = $1, answered_by = $2, answered_at = $3 \
         WHERE id = $4 AND state = 'open' RETURNING user_id, subject",
    )
    .bind(&answer)
    .bind(staff)
    .bind(now)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((user, subject)) = row else {
        return Err(LibraryError::WrongState(
            Code::NoOpenTicket,
            platform::bi!(
                "没有这个编号的待处理工单。",
                "no open ticket with this number"
            )
            .into(),
        ));
    };
    crate::notifications::notify(
        &mut tx,
        user,
        "ticket_answered",
        &format!("你的工单“{subject}”已有答复。"),
        &format!("Your ticket “{subject}” has an answer."),
        "/support",
        now,
    )
    .await?;
    let subject_key = format!("ticket:{id}");
    audit::append(
        &mut tx,
        audit::Entry {
            at: now,
            actor_id: Some(staff),
            action: "library.ticket.answer",
            subject: &subject_key,
            detail: json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Deserialize)]
struct OpenBody {
    subject: String,
    body: String,
}

async fn open_json(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(b): ApiJson<OpenBody>,
) -> LibResult<Response> {
    let id = open(&state, &actor, &b.subject, &b.body).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id })).into_response(),
    )
        .into_response())
}

async fn mine_json(State(state): State<AppState>, actor: Actor) -> LibResult<Json<Value>> {
    service::permitted(&state, &actor, Action::UseWallet)?;
    let user = actor.id().ok_or(LibraryError::SignIn)?;
    Ok(Json(json!({ "items": mine(&state.db, user).await? })))
}

async fn queue_json(State(state): State<AppState>, actor: Actor) -> LibResult<Json<Value>> {
    service::permitted(&state, &actor, Action::ReviewComplaints)?;
    Ok(Json(json!({ "items": queue(&state.db).await? })))
}

#[derive(Deserialize)]
struct AnswerBody {
    answer: String,
}

async fn answer_json(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(b): ApiJson<AnswerBody>,
) -> LibResult<Json<Value>> {
    answer(&state, &actor, id, &b.answer).await?;
    Ok(Json(json!({ "state": "answered" })))
}

#[derive(Template)]
#[template(path = "support.html")]
struct SupportPage {
    page: PageCtx,
    items: Vec<Ticket>,
    member: bool,
    staff_view: bool,
}

async fn support_page(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn,
) -> LibResult<Response> {
    let user = actor.require_user()?.id;
    Ok(render(&SupportPage {
        page: actor.page(actor.lang.pick("客服工单", "Support")),
        items: mine(&state.db, user).await?,
        member: crate::money::vip::is_member(&state.db, user, state.now()).await?,
        staff_view: false,
    })?)
}

#[derive(Deserialize)]
struct SupportForm {
    subject: String,
    body: String,
}

async fn support_form(
    State(state): State<AppState>,
    actor: Actor,
    Form(f): Form<SupportForm>,
) -> LibResult<Response> {
    open(&state, &actor, &f.subject, &f.body).await?;
    Ok(redirect("/support"))
}

async fn queue_page(
    State(state): State<AppState>,
    SignedIn(actor): SignedIn,
) -> LibResult<Response> {
    service::permitted(&state, &actor, Action::ReviewComplaints)?;
    Ok(render(&SupportPage {
        page: actor.page(actor.lang.pick("工单队列", "Ticket queue")),
        items: queue(&state.db).await?,
        member: false,
        staff_view: true,
    })?)
}

#[derive(Deserialize)]
struct AnswerForm {
    answer: String,
}

async fn answer_form(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    Form(f): Form<AnswerForm>,
) -> LibResult<Response> {
    answer(&state, &actor, id, &f.answer).await?;
    Ok(redirect("/moderation/tickets"))
}
