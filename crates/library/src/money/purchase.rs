//! Buying a paid document: the reader sees the licence first, pays once from the wallet,
//! and from then on reads the whole document and downloads it free, for good — whatever
//! their balance later becomes.

use super::ledger::{self, AccountKind, Entry, Fen, LedgerError, Posting};
use crate::authz::Action;
use crate::error::{LibResult, LibraryError};
use crate::model::PriceKind;
use crate::service;
use platform::db::Db;
use platform::web::Code;
use platform::{Actor, AppState};
use serde::Serialize;

/// What a payment buys, shown before paying and on the receipt (our wording).
pub const LICENCE_ZH: &str = "您支付的是文档服务费，不是著作权的对价：付费后可在个人或本单位内为学习、研究使用本文档，\
不得用于商业用途，未经权利人许可不得复制、发行、汇编、翻译或在网络上传播。已购文档可在“已购文档”中随时免费再次下载。\
文档下载后不支持退款。";
pub const LICENCE_EN: &str = "You pay a service fee, not for the copyright: you may use this document for personal or \
in-house study and research, not commercially, and may not copy, distribute, compile, translate or post it online without \
the rights holder's permission. Bought documents download again free at any time from “My purchases”. No refunds after download.";

/// Which of `documents` the user has bought (one query for a page of search hits).
pub async fn bought_among(db: &Db, user: i64, documents: &[i64]) -> sqlx::Result<Vec<i64>> {
    if documents.is_empty() {
        return Ok(Vec::new());
    }
    // The ids are integers, so inlining them is safe.
    let ids: Vec<String> = documents.iter().map(i64::to_string).collect();
    let sql = format!(
        "SELECT document_id FROM library_purchases WHERE user_id = $1 AND document_id IN ({})",
        ids.join(",")
    );
    let rows: Vec<(i64,)> = sqlx::query_as(&sql).bind(user).fetch_all(&db.pool).await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

#[derive(Debug, Serialize)]
pub struct Receipt {
    pub order: i64,
    pub document_id: i64,
    pub title: String,
    pub amount: i64,
    pub amount_yuan: String,
    pub paid_at: i64,
    pub licence: &'static str,
    /// False when this request found an earlier purchase instead of paying again.
    pub charged: bool,
}

fn receipt(row: (i64, i64, String, i64, i64), charged: bool) -> Receipt {
    let (order, document_id, title, amount, paid_at) = row;
    Receipt {
        order,
        document_id,
        title,
        amount,
        amount_yuan: Fen(amount).yuan(),
        paid_at,
        licence: LICENCE_ZH,
        charged,
    }
}

async fn existing(db: &Db, user: i64, document: i64) -> sqlx::Result<Option<Receipt>> {
    let row: Option<(i64, i64, String, i64, i64)> = sqlx::query_as(
        "SELECT o.id, o.document_id, o.document_title, o.amount, o.paid_at FROM library_purchases p \
         JOIN library_orders o ON o.id = p.order_id WHERE p.user_id = $1 AND p.document_id = $2",
    )
    .bind(user)
    .bind(document)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|r| receipt(r, false)))
}

/// Buys `document` for the actor under the client's idempotency key. Buying again, or
/// retrying, never charges twice.
pub async fn buy(state: &AppState, actor: &Actor, document: i64, key: &str) -> LibResult<Receipt> {
    let user = actor.id().ok_or(LibraryError::SignIn)?;
    let doc = service::load(state, actor, document, Action::View).await?;
    let for_sale =
        doc.price_kind == PriceKind::Paid || (doc.price_kind == PriceKind::Vip && doc.price > 0);
    if !for_sale || doc.status != crate::model::Status::Ready {
        return Err(LibraryError::WrongState(
            Code::NotForSale,
            platform::bi!(
                "只有已发布且标价的文档可以购买。",
                "only published documents with a price can be bought"
            )
            .into(),
        ));
    }
    if doc.uploader_id == user {
        return Err(LibraryError::WrongState(
            Code::OwnDocument,
            platform::bi!("这是您自己的文档。", "this is your own document").into(),
        ));
    }
    if let Some(r) = existing(&state.db, user, document).await? {
        return Ok(r);
    }
    match pay(state, user, &doc, key).await {
        Ok(r) => Ok(r),
        // A concurrent request for the same document (a double click, a retry with another
        // key) may have paid first: then this one is that purchase, not an error.
        Err(e) => existing(&state.db, user, document).await?.ok_or(e),
    }
}

async fn pay(
    state: &AppState,
    user: i64,
    doc: &crate::model::Document,
    key: &str,
) -> LibResult<Receipt> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let (order,): (i64,) = sqlx::query_as(
        "INSERT INTO library_orders (user_id, document_id, document_title, amount, state, idempotency_key, created_at) \
         VALUES ($1, $2, $3, $4, 'created', $5, $6) RETURNING id",
    )
    .bind(user)
    .bind(doc.id)
    .bind(&doc.title)
    .bind(doc.price)
    .bind(format!("buy:{user}:{key}"))
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let wallet = ledger::account(&mut tx, AccountKind::Wallet, Some(user), now).await?;
    let revenue = ledger::account(&mut tx, AccountKind::PlatformRevenue, None, now).await?;
    let posted = ledger::post(
        &mut tx,
        Entry {
            key: &format!("order:{order}"),
            kind: "document_purchase",
            memo: &format!("购买文档：{}", doc.title),
            actor: Some(user),
            now,
            postings: Posting::transfer(wallet, revenue, Fen(doc.price)),
        },
    )
    .await
    .map_err(|e| match e {
        LedgerError::InsufficientFunds => LibraryError::WrongState(Code::InsufficientFunds, platform::web::i18n::bilingual(
            &format!("余额不足，本文档需 {} 元；请先充值或兑换兑换码。", Fen(doc.price).yuan()),
            &format!(
                "your balance is not enough for this document ({} yuan); top up or redeem a voucher first",
                Fen(doc.price).yuan()
            ),
        )),
        other => other.into(),
    })?;
    sqlx::query(
        "UPDATE library_orders SET state = 'paid', paid_at = $1, transaction_id = $2 WHERE id = $3",
    )
    .bind(now)
    .bind(posted.id())
    .bind(order)
    .execute(&mut *tx)
    .await?;
    super::rewards::credit(
        &mut tx,
        doc,
        doc.price,
        "purchase",
        &format!("order:{order}"),
        now,
    )
    .await?;
    sqlx::query("INSERT INTO library_purchases (user_id, document_id, order_id, created_at) VALUES ($1, $2, $3, $4)")
        .bind(user)
        .bind(doc.id)
        .bind(order)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(receipt(
        (order, doc.id, doc.title.clone(), doc.price, now),
        true,
    ))
}

/// Everything the user bought, newest first.
pub async fn purchases(db: &Db, user: i64) -> sqlx::Result<Vec<Receipt>> {
    let rows: Vec<(i64, i64, String, i64, i64)> = sqlx::query_as(
        "SELECT o.id, o.document_id, o.document_title, o.amount, o.paid_at FROM library_purchases p \
         JOIN library_orders o ON o.id = p.order_id WHERE p.user_id = $1 ORDER BY o.id DESC",
    )
    .bind(user)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|r| receipt(r, false)).collect())
}
