//! What every order step writes besides its own row: the locked read of the order, its
//! state change, the ledger entry a decision moves, and the audit entry.

use super::{Decision, Order, OrderState, Purpose};
use crate::money::ledger::{self, AccountKind, Entry, Fen, LedgerError, Posting};
use platform::db::Tx;
use platform::{audit, outbox};

pub(super) async fn audit_order(
    tx: &mut Tx,
    now: i64,
    actor: Option<i64>,
    action: &str,
    order: i64,
    detail: serde_json::Value,
) -> sqlx::Result<()> {
    let subject = format!("payment:{order}");
    audit::append(
        tx,
        audit::Entry {
            at: now,
            actor_id: actor,
            action,
            subject: &subject,
            detail,
        },
    )
    .await?;
    outbox::emit(
        tx,
        now,
        "library.payment.updated",
        order,
        serde_json::json!({}),
    )
    .await?;
    Ok(())
}

pub(super) struct Locked {
    pub(super) purpose: Purpose,
    pub(super) user_id: i64,
    pub(super) provider: String,
    pub(super) amount: i64,
    pub(super) state: OrderState,
    pub(super) expires_at: i64,
}

/// Reads the order and holds its row until the transaction ends (a no-op UPDATE locks it on
/// PostgreSQL; SQLite transactions here hold the write lock already).
pub(super) async fn lock_order(tx: &mut Tx, id: i64) -> sqlx::Result<Option<Locked>> {
    let row: Option<(String, i64, String, i64, String, i64)> = sqlx::query_as(
        "UPDATE library_payment_orders SET updated_at = updated_at WHERE id = $1 \
         RETURNING purpose, user_id, provider, amount, state, expires_at",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(
        |(purpose, user_id, provider, amount, state, expires_at)| Locked {
            purpose: Purpose::parse(&purpose),
            user_id,
            provider,
            amount,
            state: OrderState::parse(&state).unwrap_or(OrderState::Failed),
            expires_at,
        },
    ))
}

pub(super) async fn set_state(tx: &mut Tx, id: i64, to: OrderState, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE library_payment_orders SET state = $1, updated_at = $2 WHERE id = $3")
        .bind(to.as_str())
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The ledger side of a decision. Returns false when the money cannot move (a payout
/// settled after a failure whose returned earnings were paid out again meanwhile).
pub(super) async fn move_money(
    tx: &mut Tx,
    o: &Order,
    decision: Decision,
    now: i64,
) -> Result<bool, LedgerError> {
    use AccountKind::*;
    let user = Some(o.user_id);
    // (key suffix, entry kind, memo, from, to) of the one transfer the decision makes.
    let (step, kind, memo, from, to) = match (o.purpose, decision) {
        (Purpose::Topup, Decision::Settle | Decision::SettleAfterFailure) => (
            "credit",
            "topup_provider",
            format!("在线充值（{}）", o.provider),
            ledger::account(tx, ProviderClearing, None, now).await?,
            ledger::account(tx, Wallet, user, now).await?,
        ),
        (Purpose::Topup, Decision::HoldForRefund) => (
            "hold",
            "late_payment",
            "迟到付款，待退款".into(),
            ledger::account(tx, ProviderClearing, None, now).await?,
            ledger::account(tx, RefundsDue, None, now).await?,
        ),
        (Purpose::Payout, Decision::Settle) => (
            "settle",
            "payout_settled",
            "收益已提现".into(),
            ledger::account(tx, PayoutsPending, None, now).await?,
            ledger::account(tx, PaidOut, None, now).await?,
        ),
        (Purpose::Payout, Decision::Fail) => (
            "return",
            "payout_returned",
            "提现失败，收益退回".into(),
            ledger::account(tx, PayoutsPending, None, now).await?,
            ledger::account(tx, ContributorPayable, user, now).await?,
        ),
        (Purpose::Payout, Decision::SettleAfterFailure) => {
            let payable = ledger::account(tx, ContributorPayable, user, now).await?;
            let (balance,): (i64,) = sqlx::query_as(
                "UPDATE library_accounts SET balance = balance WHERE id = $1 RETURNING balance",
            )
            .bind(payable)
            .fetch_one(&mut **tx)
            .await?;
            if balance < o.amount {
                return Ok(false);
            }
            (
                "settle",
                "payout_settled",
                "收益已提现".into(),
                payable,
                ledger::account(tx, PaidOut, None, now).await?,
            )
        }
        _ => return Ok(true),
    };
    let key = format!("payment:{}:{step}", o.id);
    transfer(tx, &key, kind, &memo, (from, to), Fen(o.amount), now).await?;
    Ok(true)
}

/// Posts the entry that moves `amount` between two accounts (once per `key`).
pub(super) async fn transfer(
    tx: &mut Tx,
    key: &str,
    kind: &str,
    memo: &str,
    (from, to): (i64, i64),
    amount: Fen,
    now: i64,
) -> Result<(), LedgerError> {
    let postings = Posting::transfer(from, to, amount);
    let entry = Entry {
        key,
        kind,
        memo,
        actor: None,
        now,
        postings,
    };
    ledger::post(tx, entry).await?;
    Ok(())
}
