//! Settling orders: a provider's callback decided by the table in [`super::decide`],
//! the ledger postings it moves, and refunds of paid top-ups.

use super::orders::find;
use super::provider::{CallbackError, ProviderEvent, payments, provider};
use super::records::{audit_order, lock_order, move_money, set_state, transfer};
use super::{Decision, Order, OrderState, decide};
use crate::error::{LibResult, LibraryError};
use crate::money::ledger::{self, AccountKind, Fen};
use axum::http::HeaderMap;
use platform::db::Tx;
use platform::web::Code;
use platform::{AppState, audit, outbox};
use serde::Serialize;

/// How a callback was answered.
#[derive(Debug, Serialize)]
pub struct CallbackResult {
    pub outcome: String,
    pub order: Option<i64>,
    pub state: Option<OrderState>,
}

#[derive(Debug)]
pub enum CallbackRefusal {
    UnknownProvider,
    BadSignature,
    Malformed(String),
    UnknownOrder,
    Internal(LibraryError),
}

impl<E: Into<LibraryError>> From<E> for CallbackRefusal {
    fn from(e: E) -> Self {
        CallbackRefusal::Internal(e.into())
    }
}

#[allow(clippy::too_many_arguments)]
async fn record(
    tx: &mut Tx,
    provider: &str,
    ev: Option<&ProviderEvent>,
    order: Option<i64>,
    outcome: &str,
    before: Option<OrderState>,
    after: Option<OrderState>,
    body: &[u8],
    now: i64,
) -> sqlx::Result<()> {
    let body: String = String::from_utf8_lossy(body).chars().take(2000).collect();
    sqlx::query(
        "INSERT INTO library_payment_callbacks (provider, event_id, order_id, reported, amount, outcome, state_before, state_after, body, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(provider)
    .bind(ev.map(|e| e.event_id.as_str()).unwrap_or(""))
    .bind(order)
    .bind(ev.map(|e| e.reported.as_str()).unwrap_or(""))
    .bind(ev.map(|e| e.amount).unwrap_or(0))
    .bind(outcome)
    .bind(before.map(|s| s.as_str()))
    .bind(after.map(|s| s.as_str()))
    .bind(body)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let subject = match order {
        Some(o) => format!("payment:{o}"),
        None => format!("payment_provider:{provider}"),
    };
    audit::append(
        tx,
        audit::Entry {
            at: now,
            actor_id: None,
            action: "library.payment.callback",
            subject: &subject,
            detail: serde_json::json!({
                "provider": provider,
                "event": ev.map(|e| e.event_id.clone()),
                "reported": ev.map(|e| e.reported.as_str()),
                "outcome": outcome,
                "before": before.map(|s| s.as_str()),
                "after": after.map(|s| s.as_str()),
            }),
        },
    )
    .await?;
    Ok(())
}

/// Verifies, records and applies one provider callback, all in one transaction.
pub async fn handle_callback(
    state: &AppState,
    provider_name: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<CallbackResult, CallbackRefusal> {
    let p = payments(state)
        .get(provider_name)
        .ok_or(CallbackRefusal::UnknownProvider)?;
    let now = state.now();
    let ev = match p.verify_callback(headers, body) {
        Ok(ev) => ev,
        Err(e) => {
            let outcome = match e {
                CallbackError::BadSignature => "bad_signature",
                CallbackError::Malformed(_) => "malformed",
            };
            // Unverified bodies are not kept: anyone can send them, and only the fact of a
            // refusal is worth recording.
            let mut tx = state.db.begin().await?;
            record(&mut tx, p.name(), None, None, outcome, None, None, b"", now).await?;
            tx.commit().await?;
            tracing::warn!(provider = p.name(), outcome, "payment callback refused");
            return Err(match e {
                CallbackError::BadSignature => CallbackRefusal::BadSignature,
                CallbackError::Malformed(m) => CallbackRefusal::Malformed(m),
            });
        }
    };
    let mut tx = state.db.begin().await?;
    let Some(locked) = lock_order(&mut tx, ev.order_id).await? else {
        record(
            &mut tx,
            p.name(),
            Some(&ev),
            None,
            "unknown_order",
            None,
            None,
            body,
            now,
        )
        .await?;
        tx.commit().await?;
        return Err(CallbackRefusal::UnknownOrder);
    };
    if locked.provider != p.name() {
        record(
            &mut tx,
            p.name(),
            Some(&ev),
            Some(ev.order_id),
            "wrong_provider",
            Some(locked.state),
            Some(locked.state),
            body,
            now,
        )
        .await?;
        tx.commit().await?;
        return Err(CallbackRefusal::UnknownOrder);
    }
    let mut current = locked.state;
    let seen: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM library_payment_callbacks WHERE provider = $1 AND event_id = $2 \
         AND outcome NOT IN ('bad_signature', 'malformed', 'unknown_order', 'wrong_provider') LIMIT 1",
    )
    .bind(p.name())
    .bind(&ev.event_id)
    .fetch_optional(&mut *tx)
    .await?;
    let result = |outcome: &str, state: OrderState| CallbackResult {
        outcome: outcome.to_string(),
        order: Some(ev.order_id),
        state: Some(state),
    };
    if seen.is_some() {
        record(
            &mut tx,
            p.name(),
            Some(&ev),
            Some(ev.order_id),
            "duplicate",
            Some(current),
            Some(current),
            body,
            now,
        )
        .await?;
        tx.commit().await?;
        return Ok(result("duplicate", current));
    }
    if ev.amount != locked.amount {
        record(
            &mut tx,
            p.name(),
            Some(&ev),
            Some(ev.order_id),
            "amount_mismatch",
            Some(current),
            Some(current),
            body,
            now,
        )
        .await?;
        tx.commit().await?;
        return Ok(result("amount_mismatch", current));
    }
    if current == OrderState::Pending && locked.expires_at <= now {
        set_state(&mut tx, ev.order_id, OrderState::Expired, now).await?;
        audit_order(
            &mut tx,
            now,
            None,
            "library.payment.expired",
            ev.order_id,
            serde_json::json!({}),
        )
        .await?;
        current = OrderState::Expired;
    }
    let decision = decide(locked.purpose, current, ev.reported);
    let order = Order {
        id: ev.order_id,
        purpose: locked.purpose,
        user_id: locked.user_id,
        username: String::new(),
        provider: locked.provider.clone(),
        amount: locked.amount,
        amount_yuan: Fen(locked.amount).yuan(),
        state: current,
        provider_ref: None,
        pay_url: None,
        created_at: 0,
        expires_at: locked.expires_at,
    };
    let (outcome, after) = match decision {
        Decision::Ignore(why) => (why, current),
        Decision::Settle => {
            move_money(&mut tx, &order, decision, now).await?;
            ("settled", OrderState::Paid)
        }
        Decision::SettleAfterFailure => {
            if move_money(&mut tx, &order, decision, now).await? {
                ("settled_after_failure", OrderState::Paid)
            } else {
                ("needs_review", current)
            }
        }
        Decision::Fail => {
            move_money(&mut tx, &order, decision, now).await?;
            ("failed", OrderState::Failed)
        }
        Decision::HoldForRefund => {
            move_money(&mut tx, &order, decision, now).await?;
            ("late_refund_due", OrderState::RefundDue)
        }
    };
    if after != current {
        set_state(&mut tx, ev.order_id, after, now).await?;
        outbox::emit(
            &mut tx,
            now,
            "library.payment.updated",
            ev.order_id,
            serde_json::json!({ "state": after.as_str() }),
        )
        .await?;
    }
    record(
        &mut tx,
        p.name(),
        Some(&ev),
        Some(ev.order_id),
        outcome,
        Some(current),
        Some(after),
        body,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(result(outcome, after))
}

/// Returns a held late payment to the payer through its provider.
pub async fn refund(state: &AppState, admin: i64, id: i64) -> LibResult<Order> {
    let now = state.now();
    let order = find(&state.db, id, now)
        .await?
        .ok_or(LibraryError::NotFound)?;
    if order.state != OrderState::RefundDue {
        return Err(LibraryError::WrongState(
            Code::WrongState,
            format!(
                "only a late payment held for refund can be refunded; this order is {}",
                order.state.as_str()
            ),
        ));
    }
    let p = provider(state, &order.provider)?;
    p.refund(&order.info())
        .await
        .map_err(|e| LibraryError::WrongState(Code::ProviderRefused, e.to_string()))?;
    let mut tx = state.db.begin().await?;
    let locked = lock_order(&mut tx, id)
        .await?
        .ok_or(LibraryError::NotFound)?;
    if locked.state == OrderState::RefundDue {
        let due = ledger::account(&mut tx, AccountKind::RefundsDue, None, now).await?;
        let clearing = ledger::account(&mut tx, AccountKind::ProviderClearing, None, now).await?;
        let key = format!("payment:{id}:refund");
        let memo = "迟到付款已退回";
        transfer(
            &mut tx,
            &key,
            "refund",
            memo,
            (due, clearing),
            Fen(order.amount),
            now,
        )
        .await?;
        set_state(&mut tx, id, OrderState::Refunded, now).await?;
        audit_order(
            &mut tx,
            now,
            Some(admin),
            "library.payment.refunded",
            id,
            serde_json::json!({ "amount": order.amount }),
        )
        .await?;
    }
    tx.commit().await?;
    find(&state.db, id, now)
        .await?
        .ok_or(LibraryError::NotFound)
}
