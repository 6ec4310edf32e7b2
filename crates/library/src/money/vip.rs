//! VIP membership: plans bought from the wallet, a download quota, and the rule that a
//! member's first download of a VIP document uses one right while later ones are free.

use super::ledger::{self, AccountKind, Entry, Fen, Posting};
use crate::error::{LibResult, LibraryError};
use platform::db::{Db, Tx};
use platform::web::Code;
use platform::{Actor, AppState};
use serde::Serialize;

const DAY_MS: i64 = 86_400_000;

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub id: i64,
    pub name_zh: String,
    pub name_en: String,
    pub days: i64,
    pub downloads: i64,
    pub price: i64,
    pub price_yuan: String,
}

pub async fn plans(db: &Db) -> sqlx::Result<Vec<Plan>> {
    let rows: Vec<(i64, String, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT id, name_zh, name_en, days, downloads, price FROM library_vip_plans WHERE active = 1 ORDER BY days",
    )
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name_zh, name_en, days, downloads, price)| Plan {
            id,
            name_zh,
            name_en,
            days,
            downloads,
            price,
            price_yuan: Fen(price).yuan(),
        })
        .collect())
}

#[derive(Debug, Clone, Serialize)]
pub struct Membership {
    pub ends_at: i64,
    pub rights_total: i64,
    pub rights_used: i64,
    pub rights_left: i64,
    pub active: bool,
}

pub async fn membership(db: &Db, user: i64, now: i64) -> sqlx::Result<Option<Membership>> {
    let row: Option<(i64, i64, i64)> = sqlx::query_as(
        "SELECT ends_at, rights_total, rights_used FROM library_memberships WHERE user_id = $1",
    )
    .bind(user)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|(ends_at, rights_total, rights_used)| Membership {
        ends_at,
        rights_total,
        rights_used,
        rights_left: (rights_total - rights_used).max(0),
        active: ends_at > now,
    }))
}

pub async fn is_member(db: &Db, user: i64, now: i64) -> sqlx::Result<bool> {
    Ok(membership(db, user, now).await?.is_some_and(|m| m.active))
}

/// Buys or renews a plan under the client's key: a renewal adds days and rights to an
/// active membership; after expiry the membership starts afresh. One key, one charge.
pub async fn buy_plan(
    state: &AppState,
    actor: &Actor,
    plan_id: i64,
    key: &str,
) -> LibResult<(Membership, bool)> {
    let user = actor.id().ok_or(LibraryError::SignIn)?;
    let plan = plans(&state.db)
        .await?
        .into_iter()
        .find(|p| p.id == plan_id)
        .ok_or(LibraryError::NotFound)?;
    let order_key = format!("vip:{user}:{key}");
    let done: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM library_membership_orders WHERE idempotency_key = $1")
            .bind(&order_key)
            .fetch_optional(&state.db.pool)
            .await?;
    let charged = if done.is_some() {
        false
    } else {
        match pay(state, user, &plan, &order_key).await {
            Ok(()) => true,
            Err(e) => {
                // The same request may have won a race: then it is a replay, not an error.
                let replay: Option<(i64,)> = sqlx::query_as(
                    "SELECT id FROM library_membership_orders WHERE idempotency_key = $1",
                )
                .bind(&order_key)
                .fetch_optional(&state.db.pool)
                .await?;
                if replay.is_none() {
                    return Err(e);
                }
                false
            }
        }
    };
    let m = membership(&state.db, user, state.now())
        .await?
        .ok_or(LibraryError::NotFound)?;
    Ok((m, charged))
}

async fn pay(state: &AppState, user: i64, plan: &Plan, order_key: &str) -> LibResult<()> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let (order,): (i64,) = sqlx::query_as(
        "INSERT INTO library_membership_orders (user_id, plan_id, amount, idempotency_key, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(user)
    .bind(plan.id)
    .bind(plan.price)
    .bind(order_key)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let wallet = ledger::account(&mut tx, AccountKind::Wallet, Some(user), now).await?;
    let sales = ledger::account(&mut tx, AccountKind::VipSales, None, now).await?;
    let posted = ledger::post(
        &mut tx,
        Entry {
            key: &format!("vip_order:{order}"),
            kind: "vip_plan",
            memo: &format!("VIP会员：{}", plan.name_zh),
            actor: Some(user),
            now,
            postings: Posting::transfer(wallet, sales, Fen(plan.price)),
        },
    )
    .await
    .map_err(|e| match e {
        ledger::LedgerError::InsufficientFunds => LibraryError::WrongState(Code::InsufficientFunds, platform::web::i18n::bilingual(
            &format!("余额不足，该套餐需 {} 元；请先充值或兑换兑换码。", plan.price_yuan),
            &format!(
                "your balance is not enough for this plan ({} yuan); top up or redeem a voucher first",
                plan.price_yuan
            ),
        )),
        other => other.into(),
    })?;
    sqlx::query("UPDATE library_membership_orders SET transaction_id = $1 WHERE id = $2")
        .bind(posted.id())
        .bind(order)
        .execute(&mut *tx)
        .await?;
    let current: Option<(i64,)> =
        sqlx::query_as("SELECT ends_at FROM library_memberships WHERE user_id = $1")
            .bind(user)
            .fetch_optional(&mut *tx)
            .await?;
    match current {
        Some((ends,)) if ends > now => {
            sqlx::query(
                "UPDATE library_memberships SET ends_at = ends_at + $1, rights_total = rights_total + $2, updated_at = $3 WHERE user_id = $4",
            )
            .bind(plan.days * DAY_MS)
            .bind(plan.downloads)
            .bind(now)
            .bind(user)
            .execute(&mut *tx)
            .await?;
        }
        Some(_) => {
            sqlx::query(
                "UPDATE library_memberships SET ends_at = $1, rights_total = $2, rights_used = 0, updated_at = $3 WHERE user_id = $4",
            )
            .bind(now + plan.days * DAY_MS)
            .bind(plan.downloads)
            .bind(now)
            .bind(user)
            .execute(&mut *tx)
            .await?;
        }
        None => {
            sqlx::query(
                "INSERT INTO library_memberships (user_id, ends_at, rights_total, rights_used, updated_at) VALUES ($1, $2, $3, 0, $4)",
            )
            .bind(user)
            .bind(now + plan.days * DAY_MS)
            .bind(plan.downloads)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, PartialEq, Eq)]
pub enum RightUse {
    /// Downloaded before: free.
    AlreadyCounted,
    /// This download used one right.
    Used,
}

/// Inside the download's transaction: a member's first download of a VIP document uses a
/// right (atomically, so two parallel downloads cannot both use the last one).
pub async fn use_right(tx: &mut Tx, user: i64, document: i64, now: i64) -> LibResult<RightUse> {
    let had: Option<(i64,)> = sqlx::query_as(
        "SELECT at FROM library_vip_downloads WHERE user_id = $1 AND document_id = $2",
    )
    .bind(user)
    .bind(document)
    .fetch_optional(&mut **tx)
    .await?;
    if had.is_some() {
        return Ok(RightUse::AlreadyCounted);
    }
    let took = sqlx::query(
        "UPDATE library_memberships SET rights_used = rights_used + 1, updated_at = $1 \
         WHERE user_id = $2 AND ends_at > $1 AND rights_used < rights_total",
    )
    .bind(now)
    .bind(user)
    .execute(&mut **tx)
    .await?;
    if took.rows_affected() == 0 {
        return Err(LibraryError::Denied(
            platform::bi!("您的 VIP 下载权益已用完（或会员已到期），请续费或购买此文档。", "your VIP membership has no download rights left (or has ended); renew it, or buy this document").into(),
        ));
    }
    sqlx::query("INSERT INTO library_vip_downloads (user_id, document_id, at) VALUES ($1, $2, $3)")
        .bind(user)
        .bind(document)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(RightUse::Used)
}
