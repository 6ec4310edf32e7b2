//! Wallet, vouchers and operator top-ups over the JSON API. Every money-changing call
//! takes an `Idempotency-Key` header (or redeems a single-use code).

use super::ledger::{self, AccountKind, Entry, Fen, LedgerError, Posted, Posting};
use super::vouchers::{self, RedeemError};
use crate::authz::Action;
use crate::error::{LibResult, LibraryError};
use crate::model::PriceKind;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use platform::web::ApiJson;
use platform::web::Code;
use platform::{Actor, AppState};
use serde::Deserialize;
use serde_json::json;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me/wallet", get(wallet))
        .route("/api/v1/me/vouchers/redeem", post(redeem))
        .route("/api/v1/admin/topups", post(topup))
        .route("/api/v1/admin/vouchers", post(issue_vouchers))
        .route("/api/v1/documents/{id}/purchase", get(quote).post(purchase))
        .route("/api/v1/me/purchases", get(my_purchases))
        .route("/api/v1/vip/plans", get(vip_plans))
        .route("/api/v1/vip/plans/{id}/buy", post(vip_buy))
        .route("/api/v1/me/membership", get(my_membership))
        .route("/api/v1/me/earnings", get(my_earnings))
        .route(
            "/api/v1/admin/reward-rules",
            get(reward_rules).put(set_reward_rules),
        )
        .merge(super::payments_api::router())
}

async fn my_earnings(
    State(state): State<AppState>,
    actor: Actor,
) -> LibResult<Json<serde_json::Value>> {
    let user = allowed(&state, &actor, Action::UseWallet)?;
    Ok(Json(
        json!({ "earnings": super::rewards::earnings(&state.db, user).await? }),
    ))
}

#[derive(serde::Serialize, Deserialize)]
struct Rule {
    price_kind: String,
    original: bool,
    /// Share of the price credited for a paid sale, in ‰.
    share_permille: i64,
    /// Credited for a member's first download of a VIP document, in 分.
    vip_fen: i64,
}

async fn reward_rules(
    State(state): State<AppState>,
    actor: Actor,
) -> LibResult<Json<serde_json::Value>> {
    allowed(&state, &actor, Action::ManageMoney)?;
    let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "SELECT price_kind, original, share_permille, vip_fen FROM library_reward_rules ORDER BY price_kind, original DESC",
    )
    .fetch_all(&state.db.pool)
    .await?;
    let rules: Vec<Rule> = rows
        .into_iter()
        .map(|(price_kind, original, share_permille, vip_fen)| Rule {
            price_kind,
            original: original != 0,
            share_permille,
            vip_fen,
        })
        .collect();
    Ok(Json(json!({ "items": rules })))
}

async fn set_reward_rules(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(rules): ApiJson<Vec<Rule>>,
) -> LibResult<Json<serde_json::Value>> {
    let admin = allowed(&state, &actor, Action::ManageMoney)?;
    for r in &rules {
        if !matches!(
            PriceKind::parse(&r.price_kind),
            Some(PriceKind::Paid | PriceKind::Vip)
        ) || !(0..=1000).contains(&r.share_permille)
            || !(0..=100_000).contains(&r.vip_fen)
        {
            return Err(bad_field!(
                "每条规则需要 price_kind 为 paid 或 vip、share_permille 为 0–1000、vip_fen 为 0–100000。",
                "each rule needs price_kind paid or vip, share_permille 0–1000 and vip_fen 0–100000"
            ));
        }
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    for r in &rules {
        sqlx::query(
            "INSERT INTO library_reward_rules (price_kind, original, share_permille, vip_fen) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (price_kind, original) DO UPDATE SET share_permille = $3, vip_fen = $4",
        )
        .bind(&r.price_kind)
        .bind(r.original as i64)
        .bind(r.share_permille)
        .bind(r.vip_fen)
        .execute(&mut *tx)
        .await?;
    }
    let detail = serde_json::to_value(&rules).unwrap_or_default();
    platform::audit::append(
        &mut tx,
        platform::audit::Entry {
            at: now,
            actor_id: Some(admin),
            action: "library.reward_rules.set",
            subject: "reward_rules",
            detail,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Json(json!({ "updated": rules.len() })))
}

async fn vip_plans(State(state): State<AppState>) -> LibResult<Json<serde_json::Value>> {
    Ok(Json(
        json!({ "items": super::vip::plans(&state.db).await? }),
    ))
}

async fn vip_buy(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    platform::web::Id(id): platform::web::Id,
) -> LibResult<Response> {
    allowed(&state, &actor, Action::UseWallet)?;
    let key = idempotency_key(&headers)?;
    let (m, charged) = super::vip::buy_plan(&state, &actor, id, &key).await?;
    Ok(platform::web::created_or_replayed(
        charged,
        json!({ "membership": m, "charged": charged }),
    ))
}

async fn my_membership(
    State(state): State<AppState>,
    actor: Actor,
) -> LibResult<Json<serde_json::Value>> {
    let user = allowed(&state, &actor, Action::UseWallet)?;
    Ok(Json(
        json!({ "membership": super::vip::membership(&state.db, user, state.now()).await? }),
    ))
}

/// What buying would cost and grant, before paying.
async fn quote(
    State(state): State<AppState>,
    actor: Actor,
    platform::web::Id(id): platform::web::Id,
) -> LibResult<Json<serde_json::Value>> {
    let user = allowed(&state, &actor, Action::UseWallet)?;
    let doc = crate::service::load(&state, &actor, id, Action::View).await?;
    let balance = ledger::wallet_balance(&state.db, user).await?;
    Ok(Json(json!({
        "document_id": doc.id, "price_kind": doc.price_kind, "price": doc.price, "price_yuan": Fen(doc.price).yuan(),
        "bought": doc.bought, "balance": balance, "licence": super::purchase::LICENCE_ZH, "licence_en": super::purchase::LICENCE_EN,
    })))
}

async fn purchase(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    platform::web::Id(id): platform::web::Id,
) -> LibResult<Response> {
    allowed(&state, &actor, Action::UseWallet)?;
    let key = idempotency_key(&headers)?;
    let receipt = super::purchase::buy(&state, &actor, id, &key).await?;
    Ok(platform::web::created_or_replayed(receipt.charged, receipt))
}

async fn my_purchases(
    State(state): State<AppState>,
    actor: Actor,
) -> LibResult<Json<serde_json::Value>> {
    let user = allowed(&state, &actor, Action::UseWallet)?;
    let items = super::purchase::purchases(&state.db, user).await?;
    let items: Vec<_> = items
        .into_iter()
        .map(|r| json!({ "receipt": r, "download": format!("/api/v1/documents/{}/download", r.document_id) }))
        .collect();
    Ok(Json(json!({ "items": items })))
}

pub(crate) use crate::service::allowed;

impl From<LedgerError> for LibraryError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::Db(e) => LibraryError::Internal(e.into()),
            LedgerError::KeyReused => LibraryError::WrongState(Code::KeyReused, e.to_string()),
            LedgerError::InsufficientFunds => {
                LibraryError::WrongState(Code::InsufficientFunds, e.to_string())
            }
            other => LibraryError::BadField(other.to_string()),
        }
    }
}

pub(crate) fn idempotency_key(headers: &HeaderMap) -> LibResult<String> {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or("");
    if key.is_empty() || key.len() > 200 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad_field!(
            "请带上 `Idempotency-Key` 请求头（1–200 个可见 ASCII 字符），以免重试时重复扣款。",
            "send an `Idempotency-Key` header (1–200 visible ASCII characters) so that a retried request is applied once"
        ));
    }
    Ok(key.to_string())
}

async fn wallet(State(state): State<AppState>, actor: Actor) -> LibResult<Json<serde_json::Value>> {
    let user = allowed(&state, &actor, Action::UseWallet)?;
    let balance = ledger::wallet_balance(&state.db, user).await?;
    let lines = ledger::wallet_lines(&state.db, user, 50).await?;
    Ok(Json(
        json!({ "balance": balance, "balance_yuan": Fen(balance).yuan(), "lines": lines }),
    ))
}

#[derive(Deserialize)]
struct RedeemBody {
    code: String,
}

async fn redeem(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(b): ApiJson<RedeemBody>,
) -> LibResult<Json<serde_json::Value>> {
    let user = allowed(&state, &actor, Action::UseWallet)?;
    let amount = match vouchers::redeem(&state, user, &b.code).await {
        Ok(a) => a,
        Err(RedeemError::Invalid) => {
            return Err(LibraryError::BadField(RedeemError::Invalid.to_string()));
        }
        Err(RedeemError::Ledger(e)) => return Err(e.into()),
    };
    let balance = ledger::wallet_balance(&state.db, user).await?;
    Ok(Json(
        json!({ "amount": amount.0, "amount_yuan": amount.yuan(), "balance": balance }),
    ))
}

#[derive(Deserialize)]
struct TopupBody {
    username: String,
    /// Yuan as a decimal string, e.g. "50.00".
    amount: String,
}

async fn topup(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    ApiJson(b): ApiJson<TopupBody>,
) -> LibResult<Response> {
    let admin = allowed(&state, &actor, Action::ManageMoney)?;
    let key = idempotency_key(&headers)?;
    let amount = Fen::parse_yuan(&b.amount)?;
    let user: Option<(i64,)> = sqlx::query_as("SELECT id FROM platform_users WHERE username = $1")
        .bind(b.username.trim())
        .fetch_optional(&state.db.pool)
        .await?;
    let (user,) =
        user.ok_or_else(|| LibraryError::BadField(format!("no user named {:?}", b.username)))?;
    // A concurrent request with the same key may win the insert; then ours is a replay.
    let posted = match credit_topup(&state, admin, user, amount, &key).await {
        Err(LedgerError::Db(sqlx::Error::Database(e))) if e.is_unique_violation() => {
            credit_topup(&state, admin, user, amount, &key).await?
        }
        other => other?,
    };
    let created = matches!(posted, Posted::New(_));
    let balance = ledger::wallet_balance(&state.db, user).await?;
    let body = json!({ "transaction": posted.id(), "replayed": !created, "balance": balance });
    Ok(platform::web::created_or_replayed(created, body))
}

async fn credit_topup(
    state: &AppState,
    admin: i64,
    user: i64,
    amount: Fen,
    key: &str,
) -> Result<Posted, LedgerError> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let wallet = ledger::account(&mut tx, AccountKind::Wallet, Some(user), now).await?;
    let clearing = ledger::account(&mut tx, AccountKind::ProviderClearing, None, now).await?;
    let posted = ledger::post(
        &mut tx,
        Entry {
            key: &format!("topup:{key}"),
            kind: "topup",
            memo: "运营充值",
            actor: Some(admin),
            now,
            postings: Posting::transfer(clearing, wallet, amount),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(posted)
}

#[derive(Deserialize)]
struct IssueBody {
    amount: String,
    count: usize,
}

async fn issue_vouchers(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(b): ApiJson<IssueBody>,
) -> LibResult<Response> {
    let admin = allowed(&state, &actor, Action::ManageMoney)?;
    let count = vouchers::batch_size(b.count)?;
    let amount = Fen::parse_yuan(&b.amount)?;
    let codes = vouchers::issue(&state, admin, amount, count).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "amount": amount.0, "codes": codes })),
    )
        .into_response())
}
