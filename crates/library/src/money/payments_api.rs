//! Payment orders over the JSON API: top-ups through a provider, cancellations, the
//! providers' signed callbacks, and the operators' payouts and refunds.

use super::api::{allowed, idempotency_key};
use super::ledger::Fen;
use super::payments::{self, CallbackRefusal, OrderState};
use crate::authz::Action;
use crate::error::{LibResult, LibraryError};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use platform::web::{ApiJson, Id};
use platform::{Actor, AppState};
use serde::Deserialize;
use serde_json::json;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/payments/providers", get(providers))
        .route("/api/v1/me/topups", post(create_topup))
        .route("/api/v1/me/payments", get(my_orders))
        .route("/api/v1/me/payments/{id}", get(my_order))
        .route("/api/v1/me/payments/{id}/cancel", post(cancel))
        .route("/api/v1/payments/{provider}/callback", post(callback))
        .route("/api/v1/admin/payments", get(all_orders))
        .route("/api/v1/admin/payments/{id}", get(order_detail))
        .route("/api/v1/admin/payments/{id}/refund", post(refund))
        .route("/api/v1/admin/payouts", post(create_payout))
}

async fn providers(
    State(state): State<AppState>,
    actor: Actor,
) -> LibResult<Json<serde_json::Value>> {
    allowed(&state, &actor, Action::UseWallet)?;
    let items: Vec<_> = payments::payments(&state)
        .all()
        .iter()
        .map(|p| json!({ "name": p.name(), "label": actor.lang.pick(p.label().0, p.label().1) }))
        .collect();
    Ok(Json(json!({ "items": items })))
}

#[derive(Deserialize)]
struct TopupBody {
    /// Yuan as a decimal string.
    amount: String,
    provider: String,
}

async fn create_topup(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    ApiJson(b): ApiJson<TopupBody>,
) -> LibResult<Response> {
    let user = allowed(&state, &actor, Action::UseWallet)?;
    let key = idempotency_key(&headers)?;
    let amount = Fen::parse_yuan(&b.amount)?;
    if amount.0 > 5_000_000 {
        return Err(bad_field!(
            "单次充值不超过 50000.00 元。",
            "a top-up is at most 50000.00 yuan"
        ));
    }
    let (order, created) = payments::create_topup(&state, user, amount, &b.provider, &key).await?;
    Ok(platform::web::created_or_replayed(
        created,
        json!({ "order": order, "created": created }),
    ))
}

async fn my_orders(
    State(state): State<AppState>,
    actor: Actor,
) -> LibResult<Json<serde_json::Value>> {
    let user = allowed(&state, &actor, Action::UseWallet)?;
    let items = payments::list(&state.db, Some(user), None, state.now()).await?;
    Ok(Json(json!({ "items": items })))
}

async fn my_order(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
) -> LibResult<Json<serde_json::Value>> {
    let user = allowed(&state, &actor, Action::UseWallet)?;
    match payments::find(&state.db, id, state.now()).await? {
        // Another user's order does not exist, as far as this user can tell.
        Some(o) if o.user_id == user => Ok(Json(json!({ "order": o }))),
        _ => Err(LibraryError::NotFound),
    }
}

async fn cancel(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
) -> LibResult<Json<serde_json::Value>> {
    let user = allowed(&state, &actor, Action::UseWallet)?;
    let order = payments::cancel(&state, user, id).await?;
    Ok(Json(json!({ "order": order })))
}

/// A provider's callback. Authenticated by its signature, not by a session.
async fn callback(
    State(state): State<AppState>,
    actor: Actor,
    Path(provider): Path<String>,
    headers: HeaderMap,
    raw: Bytes,
) -> LibResult<Response> {
    crate::service::permitted(&state, &actor, Action::ProviderCallback)?;
    let refusal = |status: StatusCode, code: &str, message: &str| {
        (
            status,
            Json(json!({ "error": { "code": code, "message": message } })),
        )
            .into_response()
    };
    Ok(
        match payments::handle_callback(&state, &provider, &headers, &raw).await {
            Ok(r) => Json(r).into_response(),
            Err(CallbackRefusal::UnknownProvider) => refusal(
                StatusCode::NOT_FOUND,
                "unknown_provider",
                "no such payment provider is configured",
            ),
            Err(CallbackRefusal::BadSignature) => refusal(
                StatusCode::UNAUTHORIZED,
                "bad_signature",
                "the signature does not verify; the callback was recorded and ignored",
            ),
            Err(CallbackRefusal::Malformed(m)) => refusal(StatusCode::BAD_REQUEST, "malformed", &m),
            Err(CallbackRefusal::UnknownOrder) => refusal(
                StatusCode::NOT_FOUND,
                "unknown_order",
                "no such order for this provider",
            ),
            Err(CallbackRefusal::Internal(e)) => return Err(e),
        },
    )
}

#[derive(Deserialize)]
struct ListQuery {
    state: Option<String>,
}

async fn all_orders(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<ListQuery>,
) -> LibResult<Json<serde_json::Value>> {
    allowed(&state, &actor, Action::ManageMoney)?;
    let filter = match q.state.as_deref() {
        None | Some("") => None,
        Some(s) => Some(
            OrderState::parse(s)
                .ok_or_else(|| LibraryError::BadField(format!("unknown state {s:?}")))?,
        ),
    };
    let items = payments::list(&state.db, None, filter, state.now()).await?;
    Ok(Json(json!({ "items": items })))
}

async fn order_detail(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
) -> LibResult<Json<serde_json::Value>> {
    allowed(&state, &actor, Action::ManageMoney)?;
    let order = payments::find(&state.db, id, state.now())
        .await?
        .ok_or(LibraryError::NotFound)?;
    let callbacks = payments::callbacks(&state.db, id).await?;
    Ok(Json(json!({ "order": order, "callbacks": callbacks })))
}

async fn refund(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
) -> LibResult<Json<serde_json::Value>> {
    let admin = allowed(&state, &actor, Action::ManageMoney)?;
    let order = payments::refund(&state, admin, id).await?;
    Ok(Json(json!({ "order": order })))
}

#[derive(Deserialize)]
struct PayoutBody {
    username: String,
    provider: String,
}

async fn create_payout(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    ApiJson(b): ApiJson<PayoutBody>,
) -> LibResult<Response> {
    let admin = allowed(&state, &actor, Action::ManageMoney)?;
    let key = idempotency_key(&headers)?;
    let user: Option<(i64,)> = sqlx::query_as("SELECT id FROM platform_users WHERE username = $1")
        .bind(b.username.trim())
        .fetch_optional(&state.db.pool)
        .await?;
    let (user,) =
        user.ok_or_else(|| LibraryError::BadField(format!("no user named {:?}", b.username)))?;
    let (order, created) = payments::create_payout(&state, admin, user, &b.provider, &key).await?;
    Ok(platform::web::created_or_replayed(
        created,
        json!({ "order": order, "created": created }),
    ))
}
