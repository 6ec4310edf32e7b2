//! Payment orders: reading them, and starting top-ups and payouts with a provider
//! (one order per idempotency key), or cancelling one before it is paid.

use super::provider::{PaymentProvider, payments, provider};
use super::records::{audit_order, lock_order, move_money, set_state};
use super::{Decision, Order, OrderState, Purpose};
use crate::error::{LibResult, LibraryError};
use crate::money::ledger::{self, AccountKind, Entry, Fen, LedgerError, Posting};
use platform::AppState;
use platform::db::{Db, Tx};
use platform::web::Code;
use serde::Serialize;
use std::sync::Arc;

const ORDER_COLUMNS: &str = "o.id, o.purpose, o.user_id, u.username, o.provider, o.amount, o.state, o.provider_ref, o.pay_url, o.created_at, o.expires_at";
/// What the stored order means at `now`: an unpaid order past its lifetime is expired,
/// whether or not a callback noticed yet, and only a pending one has a page to pay on.
fn as_of(mut o: Order, now: i64) -> Order {
    if o.state == OrderState::Pending && o.expires_at <= now {
        o.state = OrderState::Expired;
    }
    if o.state != OrderState::Pending {
        o.pay_url = None;
    }
    o.amount_yuan = Fen(o.amount).yuan();
    o
}

pub async fn find(db: &Db, id: i64, now: i64) -> sqlx::Result<Option<Order>> {
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM library_payment_orders o JOIN platform_users u ON u.id = o.user_id WHERE o.id = $1"
    );
    let row: Option<Order> = sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(|r| as_of(r, now)))
}

async fn find_by_key(db: &Db, key: &str, now: i64) -> sqlx::Result<Option<Order>> {
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM library_payment_orders o JOIN platform_users u ON u.id = o.user_id WHERE o.idempotency_key = $1"
    );
    let row: Option<Order> = sqlx::query_as(&sql)
        .bind(key)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(|r| as_of(r, now)))
}

/// A user's orders (user = Some) or everyone's, newest first, optionally of one state.
pub async fn list(
    db: &Db,
    user: Option<i64>,
    state_filter: Option<OrderState>,
    now: i64,
) -> sqlx::Result<Vec<Order>> {
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM library_payment_orders o JOIN platform_users u ON u.id = o.user_id \
         WHERE ($1 = 0 OR o.user_id = $1) ORDER BY o.id DESC LIMIT 500"
    );
    let rows: Vec<Order> = sqlx::query_as(&sql)
        .bind(user.unwrap_or(0))
        .fetch_all(&db.pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| as_of(r, now))
        .filter(|o| state_filter.is_none_or(|s| o.state == s))
        .collect())
}

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct CallbackRecord {
    pub id: i64,
    pub provider: String,
    pub event_id: String,
    pub reported: String,
    pub amount: i64,
    pub outcome: String,
    pub state_before: Option<String>,
    pub state_after: Option<String>,
    pub received_at: i64,
}

pub async fn callbacks(db: &Db, order: i64) -> sqlx::Result<Vec<CallbackRecord>> {
    sqlx::query_as(
        "SELECT id, provider, event_id, reported, amount, outcome, state_before, state_after, received_at \
         FROM library_payment_callbacks WHERE order_id = $1 ORDER BY id",
    )
    .bind(order)
    .fetch_all(&db.pool)
    .await
}

/// Inserts an order under `key` unless one exists; returns its id and whether it is new.
#[allow(clippy::too_many_arguments)]
async fn insert_order(
    tx: &mut Tx,
    purpose: Purpose,
    user: i64,
    provider: &str,
    amount: i64,
    key: &str,
    by: i64,
    now: i64,
    expires_at: i64,
) -> sqlx::Result<Option<i64>> {
    let row: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO library_payment_orders (purpose, user_id, provider, amount, state, idempotency_key, created_by, created_at, expires_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7, $8, $7) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
    )
    .bind(purpose.as_str())
    .bind(user)
    .bind(provider)
    .bind(amount)
    .bind(key)
    .bind(by)
    .bind(now)
    .bind(expires_at)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|r| r.0))
}

fn same_request(o: &Order, purpose: Purpose, provider: &str, amount: Option<i64>) -> bool {
    o.purpose == purpose && o.provider == provider && amount.is_none_or(|a| a == o.amount)
}

/// After the order row committed: ask the provider, remember its reference.
async fn start_with_provider(
    state: &AppState,
    p: &Arc<dyn PaymentProvider>,
    order: Order,
) -> LibResult<Order> {
    let started = match order.purpose {
        Purpose::Topup => p.start_payment(&order.info()).await,
        Purpose::Payout => p.start_payout(&order.info()).await,
    };
    let now = state.now();
    match started {
        Ok(s) => {
            sqlx::query(
                "UPDATE library_payment_orders SET provider_ref = $1, pay_url = $2, updated_at = $3 WHERE id = $4",
            )
            .bind(&s.reference)
            .bind(&s.pay_url)
            .bind(now)
            .bind(order.id)
            .execute(&state.db.pool)
            .await?;
        }
        Err(e) => {
            // Nothing was collected or sent: the order fails (a payout's money goes back).
            let mut tx = state.db.begin().await?;
            let before = lock_order(&mut tx, order.id).await?;
            if before.map(|b| b.state) == Some(OrderState::Pending) {
                if order.purpose == Purpose::Payout {
                    move_money(&mut tx, &order, Decision::Fail, now).await?;
                }
                set_state(&mut tx, order.id, OrderState::Failed, now).await?;
                audit_order(
                    &mut tx,
                    now,
                    None,
                    "library.payment.provider_refused",
                    order.id,
                    serde_json::json!({ "error": e.to_string() }),
                )
                .await?;
            }
            tx.commit().await?;
            return Err(LibraryError::WrongState(
                Code::ProviderRefused,
                e.to_string(),
            ));
        }
    }
    find(&state.db, order.id, now)
        .await?
        .ok_or(LibraryError::NotFound)
}

/// Starts a top-up of `amount` through `provider_name` under the client's key. The same
/// key again returns the same order (and starts nothing new).
pub async fn create_topup(
    state: &AppState,
    user: i64,
    amount: Fen,
    provider_name: &str,
    key: &str,
) -> LibResult<(Order, bool)> {
    let p = provider(state, provider_name)?;
    let order_key = format!("topup:{user}:{key}");
    let now = state.now();
    let ttl = payments(state).order_ttl_ms;
    let mut tx = state.db.begin().await?;
    let id = insert_order(
        &mut tx,
        Purpose::Topup,
        user,
        p.name(),
        amount.0,
        &order_key,
        user,
        now,
        now + ttl,
    )
    .await?;
    if let Some(id) = id {
        audit_order(
            &mut tx,
            now,
            Some(user),
            "library.payment.topup_created",
            id,
            serde_json::json!({ "amount": amount.0, "provider": p.name() }),
        )
        .await?;
    }
    tx.commit().await?;
    let order = find_by_key(&state.db, &order_key, now)
        .await?
        .ok_or(LibraryError::NotFound)?;
    if !same_request(&order, Purpose::Topup, p.name(), Some(amount.0)) {
        return Err(LedgerError::KeyReused.into());
    }
    match id {
        Some(_) => Ok((start_with_provider(state, &p, order).await?, true)),
        None => Ok((order, false)),
    }
}

/// Pays out everything a contributor has accrued: the earnings leave their payable account
/// at once (so they cannot be paid twice) and settle when the provider confirms.
pub async fn create_payout(
    state: &AppState,
    admin: i64,
    user: i64,
    provider_name: &str,
    key: &str,
) -> LibResult<(Order, bool)> {
    let p = provider(state, provider_name)?;
    let order_key = format!("payout:{key}");
    let now = state.now();
    if let Some(o) = find_by_key(&state.db, &order_key, now).await? {
        if o.user_id != user || !same_request(&o, Purpose::Payout, p.name(), None) {
            return Err(LedgerError::KeyReused.into());
        }
        return Ok((o, false));
    }
    let mut tx = state.db.begin().await?;
    let payable =
        ledger::account(&mut tx, AccountKind::ContributorPayable, Some(user), now).await?;
    let (amount,): (i64,) = sqlx::query_as("SELECT balance FROM library_accounts WHERE id = $1")
        .bind(payable)
        .fetch_one(&mut *tx)
        .await?;
    if amount <= 0 {
        return Err(LibraryError::WrongState(
            Code::NoEarnings,
            platform::bi!(
                "该贡献者没有可结算的收益。",
                "this contributor has no accrued earnings to pay out"
            )
            .into(),
        ));
    }
    let Some(id) = insert_order(
        &mut tx,
        Purpose::Payout,
        user,
        p.name(),
        amount,
        &order_key,
        admin,
        now,
        // Payouts wait for the provider however long it takes.
        i64::MAX / 2,
    )
    .await?
    else {
        drop(tx);
        let o = find_by_key(&state.db, &order_key, now)
            .await?
            .ok_or(LibraryError::NotFound)?;
        return Ok((o, false));
    };
    let pending = ledger::account(&mut tx, AccountKind::PayoutsPending, None, now).await?;
    ledger::post(
        &mut tx,
        Entry {
            key: &format!("payment:{id}:payout"),
            kind: "payout",
            memo: "收益提现",
            actor: Some(admin),
            now,
            postings: Posting::transfer(payable, pending, Fen(amount)),
        },
    )
    .await
    .map_err(|e| match e {
        // Another payout took the same earnings a moment earlier.
        LedgerError::InsufficientFunds => LibraryError::WrongState(
            Code::PayoutPending,
            platform::bi!(
                "该贡献者的收益正在结算中。",
                "this contributor's earnings are already being paid out"
            )
            .into(),
        ),
        other => other.into(),
    })?;
    audit_order(
        &mut tx,
        now,
        Some(admin),
        "library.payment.payout_created",
        id,
        serde_json::json!({ "amount": amount, "provider": p.name(), "contributor": user }),
    )
    .await?;
    tx.commit().await?;
    let order = find(&state.db, id, now)
        .await?
        .ok_or(LibraryError::NotFound)?;
    Ok((start_with_provider(state, &p, order).await?, true))
}

/// The payer gives up on a pending top-up.
pub async fn cancel(state: &AppState, user: i64, id: i64) -> LibResult<Order> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let done = sqlx::query(
        "UPDATE library_payment_orders SET state = 'cancelled', updated_at = $1 \
         WHERE id = $2 AND user_id = $3 AND purpose = 'topup' AND state = 'pending' AND expires_at > $1",
    )
    .bind(now)
    .bind(id)
    .bind(user)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        drop(tx);
        let o = find(&state.db, id, now).await?;
        return match o {
            Some(o) if o.user_id == user => Err(LibraryError::WrongState(
                Code::WrongState,
                format!(
                    "only a pending top-up can be cancelled; this one is {}",
                    o.state.as_str()
                ),
            )),
            _ => Err(LibraryError::NotFound),
        };
    }
    audit_order(
        &mut tx,
        now,
        Some(user),
        "library.payment.cancelled",
        id,
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    find(&state.db, id, now)
        .await?
        .ok_or(LibraryError::NotFound)
}
