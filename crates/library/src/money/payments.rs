//! Payment providers behind one trait (ADR 012). Money enters by top-up orders that a
//! provider collects and leaves by payouts of contributor earnings; the provider reports
//! the result in signed callbacks. Every callback is recorded with the decision taken, and
//! the decision follows one table ([`decide`]), so duplicates, late and out-of-order
//! callbacks never credit twice or undo a payment.

use super::ledger::{self, AccountKind, Entry, Fen, LedgerError, Posting};
use crate::error::{LibResult, LibraryError};
use axum::http::HeaderMap;
use futures_util::future::BoxFuture;
use hmac::{Hmac, Mac};
use platform::db::{Db, Tx};
use platform::{AppState, audit, outbox};
use serde::Serialize;
use sha2::Sha256;
use std::sync::Arc;

pub const SIGNATURE_HEADER: &str = "x-gongzhi-signature";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Money in: the payer's wallet is credited when the provider confirms.
    Topup,
    /// Money out: a contributor's accrued earnings, paid by the provider.
    Payout,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Topup => "topup",
            Purpose::Payout => "payout",
        }
    }
    fn parse(s: &str) -> Purpose {
        if s == "payout" {
            Purpose::Payout
        } else {
            Purpose::Topup
        }
    }
}

/// The explicit states of a payment order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// Waiting for the provider.
    Pending,
    /// The provider confirmed; the ledger has moved the money.
    Paid,
    /// The provider reported a failure; nothing moved (or a payout went back).
    Failed,
    /// The payer gave up before paying.
    Cancelled,
    /// Nobody paid within the order's lifetime.
    Expired,
    /// The provider collected money for an order already cancelled or expired: it is held
    /// apart (not credited) until an operator refunds it.
    RefundDue,
    /// A held late payment returned to the payer through the provider.
    Refunded,
}

impl OrderState {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Pending => "pending",
            OrderState::Paid => "paid",
            OrderState::Failed => "failed",
            OrderState::Cancelled => "cancelled",
            OrderState::Expired => "expired",
            OrderState::RefundDue => "refund_due",
            OrderState::Refunded => "refunded",
        }
    }
    pub fn parse(s: &str) -> Option<OrderState> {
        Some(match s {
            "pending" => OrderState::Pending,
            "paid" => OrderState::Paid,
            "failed" => OrderState::Failed,
            "cancelled" => OrderState::Cancelled,
            "expired" => OrderState::Expired,
            "refund_due" => OrderState::RefundDue,
            "refunded" => OrderState::Refunded,
            _ => return None,
        })
    }
    pub fn label(self, lang: platform::web::Lang) -> &'static str {
        match self {
            OrderState::Pending => lang.pick("待支付", "Awaiting payment"),
            OrderState::Paid => lang.pick("已完成", "Completed"),
            OrderState::Failed => lang.pick("支付失败", "Failed"),
            OrderState::Cancelled => lang.pick("已取消", "Cancelled"),
            OrderState::Expired => lang.pick("已过期", "Expired"),
            OrderState::RefundDue => lang.pick("迟到付款，待退款", "Late payment, to be refunded"),
            OrderState::Refunded => lang.pick("已退款", "Refunded"),
        }
    }
    pub fn tone(self) -> &'static str {
        match self {
            OrderState::Pending => "info",
            OrderState::Paid | OrderState::Refunded => "ok",
            OrderState::RefundDue => "warn",
            OrderState::Failed | OrderState::Cancelled | OrderState::Expired => "bad",
        }
    }
}

/// What a provider reports about an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reported {
    Paid,
    Failed,
}

impl Reported {
    pub fn as_str(self) -> &'static str {
        match self {
            Reported::Paid => "paid",
            Reported::Failed => "failed",
        }
    }
}

/// The rule for one callback, from the order's state and what the provider reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Move the money and mark the order paid.
    Settle,
    /// A "paid" after a "failed": the provider's later word that money moved wins, so the
    /// money moves now (a failure report is not final; a payment is).
    SettleAfterFailure,
    /// Mark failed; a payout's money goes back to the contributor.
    Fail,
    /// Money collected for a closed order: hold it for a refund, credit nothing.
    HoldForRefund,
    /// Record the callback and change nothing.
    Ignore(&'static str),
}

pub fn decide(purpose: Purpose, state: OrderState, reported: Reported) -> Decision {
    use OrderState::*;
    match (state, reported) {
        (Pending, Reported::Paid) => Decision::Settle,
        (Pending, Reported::Failed) => Decision::Fail,
        (Failed, Reported::Paid) => Decision::SettleAfterFailure,
        (Failed, Reported::Failed) => Decision::Ignore("ignored_already_failed"),
        (Paid, Reported::Paid) => Decision::Ignore("ignored_already_paid"),
        // A failure after a payment never undoes it (refunds are their own, explicit step).
        (Paid, Reported::Failed) => Decision::Ignore("ignored_failure_after_paid"),
        (Cancelled | Expired, Reported::Paid) if purpose == Purpose::Topup => {
            Decision::HoldForRefund
        }
        (Cancelled | Expired | RefundDue | Refunded, _) => Decision::Ignore("ignored_closed"),
    }
}

/// The order as a provider sees it.
#[derive(Clone, Debug)]
pub struct OrderInfo {
    pub id: i64,
    pub purpose: Purpose,
    pub user_id: i64,
    pub amount: i64,
}

pub struct Started {
    /// The provider's own reference for the order.
    pub reference: String,
    /// Where to send the payer (top-ups), if the provider has a checkout page.
    pub pay_url: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("the payment provider refused the request: {0}")]
    Refused(String),
}

/// One callback, authenticated and read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderEvent {
    pub event_id: String,
    pub order_id: i64,
    pub reported: Reported,
    pub amount: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum CallbackError {
    #[error("the callback's signature does not verify")]
    BadSignature,
    #[error("the callback is not in the provider's format: {0}")]
    Malformed(String),
}

/// A payment provider. Alipay, WeChat Pay or Stripe adapters implement the same four
/// operations; everything after the callback's verification is shared.
pub trait PaymentProvider: Send + Sync + 'static {
    /// The name in URLs and records (`sandbox`, later `alipay`, `wechat`, `stripe`).
    fn name(&self) -> &'static str;
    /// (Chinese, English) name shown to payers.
    fn label(&self) -> (&'static str, &'static str);
    /// Asks the provider to collect a top-up from the payer.
    fn start_payment<'a>(
        &'a self,
        order: &'a OrderInfo,
    ) -> BoxFuture<'a, Result<Started, ProviderError>>;
    /// Asks the provider to pay a contributor.
    fn start_payout<'a>(
        &'a self,
        order: &'a OrderInfo,
    ) -> BoxFuture<'a, Result<Started, ProviderError>>;
    /// Returns a late payment to the payer; idempotent per order on the provider's side.
    fn refund<'a>(&'a self, order: &'a OrderInfo) -> BoxFuture<'a, Result<(), ProviderError>>;
    /// Checks a callback's signature and reads it.
    fn verify_callback(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<ProviderEvent, CallbackError>;
}

/// `sha256=<hex>`: HMAC-SHA256 of the raw body under the provider's secret.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn signature_ok(secret: &[u8], body: &[u8], header: Option<&str>) -> bool {
    let Some(sig) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(sig) = hex::decode(sig) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(body);
    // Constant-time comparison.
    mac.verify_slice(&sig).is_ok()
}

/// The built-in test provider (测试支付通道): a real provider whose "bank" is a checkout
/// page on this site and whose callbacks are signed like any other provider's. Enabled
/// only when `GONGZHI_PAYMENT_SANDBOX_SECRET` is set — for demos and tests.
pub struct Sandbox {
    secret: Vec<u8>,
}

impl Sandbox {
    pub fn new(secret: &[u8]) -> Sandbox {
        Sandbox {
            secret: secret.to_vec(),
        }
    }

    /// The body the sandbox sends for an event (tests and the checkout page use it).
    pub fn event_body(event_id: &str, order: i64, reported: Reported, amount: i64) -> String {
        serde_json::json!({
            "event_id": event_id, "order": order, "status": reported.as_str(), "amount": amount,
        })
        .to_string()
    }

    pub fn sign(&self, body: &[u8]) -> String {
        sign(&self.secret, body)
    }
}

impl PaymentProvider for Sandbox {
    fn name(&self) -> &'static str {
        "sandbox"
    }
    fn label(&self) -> (&'static str, &'static str) {
        ("测试支付通道", "Test payment channel")
    }
    fn start_payment<'a>(
        &'a self,
        order: &'a OrderInfo,
    ) -> BoxFuture<'a, Result<Started, ProviderError>> {
        Box::pin(async move {
            Ok(Started {
                reference: format!("sbx-pay-{}", order.id),
                pay_url: Some(format!("/pay/sandbox/{}", order.id)),
            })
        })
    }
    fn start_payout<'a>(
        &'a self,
        order: &'a OrderInfo,
    ) -> BoxFuture<'a, Result<Started, ProviderError>> {
        Box::pin(async move {
            Ok(Started {
                reference: format!("sbx-payout-{}", order.id),
                pay_url: None,
            })
        })
    }
    fn refund<'a>(&'a self, _order: &'a OrderInfo) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async { Ok(()) })
    }
    fn verify_callback(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<ProviderEvent, CallbackError> {
        let header = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
        if !signature_ok(&self.secret, body, header) {
            return Err(CallbackError::BadSignature);
        }
        #[derive(serde::Deserialize)]
        struct Body {
            event_id: String,
            order: i64,
            status: String,
            amount: i64,
        }
        let b: Body =
            serde_json::from_slice(body).map_err(|e| CallbackError::Malformed(e.to_string()))?;
        let reported = match b.status.as_str() {
            "paid" => Reported::Paid,
            "failed" => Reported::Failed,
            other => return Err(CallbackError::Malformed(format!("status {other:?}"))),
        };
        if b.event_id.is_empty() || b.event_id.len() > 200 {
            return Err(CallbackError::Malformed("event_id".into()));
        }
        Ok(ProviderEvent {
            event_id: b.event_id,
            order_id: b.order,
            reported,
            amount: b.amount,
        })
    }
}

/// The configured providers and order lifetime, attached to the state at start-up.
pub struct Payments {
    providers: Vec<Arc<dyn PaymentProvider>>,
    /// The test provider, when enabled: its checkout page signs callbacks with it.
    pub sandbox: Option<Arc<Sandbox>>,
    pub order_ttl_ms: i64,
}

impl Payments {
    /// From the environment: `GONGZHI_PAYMENT_SANDBOX_SECRET` enables the test provider;
    /// `GONGZHI_PAYMENT_ORDER_TTL_SECS` (default 1800) is how long a top-up waits.
    /// With `demo` (`serve --demo`) the sandbox channel is on even when no secret is set:
    /// a random one, good for this run, so a newcomer sees the money features.
    pub fn from_env(demo: bool) -> anyhow::Result<Payments> {
        let mut providers: Vec<Arc<dyn PaymentProvider>> = Vec::new();
        let mut sandbox = None;
        let secret = std::env::var("GONGZHI_PAYMENT_SANDBOX_SECRET")
            .ok()
            .filter(|s| !s.is_empty())
            .or_else(|| {
                demo.then(|| {
                    tracing::info!("demo: the test payment channel (测试支付通道) is on, with a generated secret");
                    platform::auth::new_token()
                })
            });
        if let Some(secret) = secret {
            let s = Arc::new(Sandbox::new(secret.as_bytes()));
            providers.push(s.clone());
            sandbox = Some(s);
        }
        let ttl: i64 = match std::env::var("GONGZHI_PAYMENT_ORDER_TTL_SECS") {
            Ok(v) => v.parse().map_err(|_| {
                anyhow::anyhow!("GONGZHI_PAYMENT_ORDER_TTL_SECS has an invalid value {v:?}")
            })?,
            Err(_) => 1800,
        };
        Ok(Payments {
            providers,
            sandbox,
            order_ttl_ms: ttl.max(1) * 1000,
        })
    }

    pub fn get(&self, name: &str) -> Option<Arc<dyn PaymentProvider>> {
        self.providers.iter().find(|p| p.name() == name).cloned()
    }

    pub fn all(&self) -> &[Arc<dyn PaymentProvider>] {
        &self.providers
    }
}

pub fn payments(state: &AppState) -> Arc<Payments> {
    state.ext::<Payments>().unwrap_or_else(|| {
        Arc::new(Payments {
            providers: Vec::new(),
            sandbox: None,
            order_ttl_ms: 1_800_000,
        })
    })
}

fn provider(state: &AppState, name: &str) -> LibResult<Arc<dyn PaymentProvider>> {
    payments(state).get(name).ok_or_else(|| {
        LibraryError::BadField(format!(
            "no payment provider named {name:?} is configured here"
        ))
    })
}

#[derive(Clone, Debug, Serialize)]
pub struct Order {
    pub id: i64,
    pub purpose: Purpose,
    pub user_id: i64,
    pub username: String,
    pub provider: String,
    pub amount: i64,
    pub amount_yuan: String,
    pub state: OrderState,
    pub provider_ref: Option<String>,
    pub pay_url: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

impl Order {
    fn info(&self) -> OrderInfo {
        OrderInfo {
            id: self.id,
            purpose: self.purpose,
            user_id: self.user_id,
            amount: self.amount,
        }
    }
}

const ORDER_COLUMNS: &str = "o.id, o.purpose, o.user_id, u.username, o.provider, o.amount, o.state, o.provider_ref, o.pay_url, o.created_at, o.expires_at";
type OrderRow = (
    i64,
    String,
    i64,
    String,
    String,
    i64,
    String,
    Option<String>,
    Option<String>,
    i64,
    i64,
);

fn order_from(r: OrderRow, now: i64) -> Order {
    let (id, purpose, user_id, username, provider, amount, state, provider_ref, pay_url, c, e) = r;
    let mut state = OrderState::parse(&state).unwrap_or(OrderState::Failed);
    // An unpaid order past its lifetime is expired, whether or not a callback noticed yet.
    if state == OrderState::Pending && e <= now {
        state = OrderState::Expired;
    }
    Order {
        id,
        purpose: Purpose::parse(&purpose),
        user_id,
        username,
        provider,
        amount,
        amount_yuan: Fen(amount).yuan(),
        state,
        provider_ref,
        pay_url: if state == OrderState::Pending {
            pay_url
        } else {
            None
        },
        created_at: c,
        expires_at: e,
    }
}

pub async fn find(db: &Db, id: i64, now: i64) -> sqlx::Result<Option<Order>> {
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM library_payment_orders o JOIN platform_users u ON u.id = o.user_id WHERE o.id = $1"
    );
    let row: Option<OrderRow> = sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(|r| order_from(r, now)))
}

async fn find_by_key(db: &Db, key: &str, now: i64) -> sqlx::Result<Option<Order>> {
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM library_payment_orders o JOIN platform_users u ON u.id = o.user_id WHERE o.idempotency_key = $1"
    );
    let row: Option<OrderRow> = sqlx::query_as(&sql)
        .bind(key)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(|r| order_from(r, now)))
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
    let rows: Vec<OrderRow> = sqlx::query_as(&sql)
        .bind(user.unwrap_or(0))
        .fetch_all(&db.pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| order_from(r, now))
        .filter(|o| state_filter.is_none_or(|s| o.state == s))
        .collect())
}

#[derive(Debug, Serialize)]
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
    type Row = (
        i64,
        String,
        String,
        String,
        i64,
        String,
        Option<String>,
        Option<String>,
        i64,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, provider, event_id, reported, amount, outcome, state_before, state_after, received_at \
         FROM library_payment_callbacks WHERE order_id = $1 ORDER BY id",
    )
    .bind(order)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(
                id,
                provider,
                event_id,
                reported,
                amount,
                outcome,
                state_before,
                state_after,
                received_at,
            )| {
                CallbackRecord {
                    id,
                    provider,
                    event_id,
                    reported,
                    amount,
                    outcome,
                    state_before,
                    state_after,
                    received_at,
                }
            },
        )
        .collect())
}

async fn audit_order(
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
            return Err(LibraryError::WrongState(e.to_string()));
        }
    }
    Ok(find(&state.db, order.id, now)
        .await?
        .ok_or(LibraryError::NotFound)?)
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
            postings: vec![
                Posting {
                    account: payable,
                    amount: -amount,
                },
                Posting {
                    account: pending,
                    amount,
                },
            ],
        },
    )
    .await
    .map_err(|e| match e {
        // Another payout took the same earnings a moment earlier.
        LedgerError::InsufficientFunds => LibraryError::WrongState(
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
            Some(o) if o.user_id == user => Err(LibraryError::WrongState(format!(
                "only a pending top-up can be cancelled; this one is {}",
                o.state.as_str()
            ))),
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

struct Locked {
    purpose: Purpose,
    user_id: i64,
    provider: String,
    amount: i64,
    state: OrderState,
    expires_at: i64,
}

/// Reads the order and holds its row until the transaction ends (a no-op UPDATE locks it on
/// PostgreSQL; SQLite transactions here hold the write lock already).
async fn lock_order(tx: &mut Tx, id: i64) -> sqlx::Result<Option<Locked>> {
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

async fn set_state(tx: &mut Tx, id: i64, to: OrderState, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE library_payment_orders SET state = $1, updated_at = $2 WHERE id = $3")
        .bind(to.as_str())
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn transfer(
    tx: &mut Tx,
    key: String,
    kind: &str,
    memo: &str,
    from: i64,
    to: i64,
    amount: i64,
    now: i64,
) -> Result<(), LedgerError> {
    ledger::post(
        tx,
        Entry {
            key: &key,
            kind,
            memo,
            actor: None,
            now,
            postings: vec![
                Posting {
                    account: from,
                    amount: -amount,
                },
                Posting {
                    account: to,
                    amount,
                },
            ],
        },
    )
    .await?;
    Ok(())
}

/// The ledger side of a decision. Returns false when the money cannot move (a payout
/// settled after a failure whose returned earnings were paid out again meanwhile).
async fn move_money(
    tx: &mut Tx,
    o: &Order,
    decision: Decision,
    now: i64,
) -> Result<bool, LedgerError> {
    use AccountKind::*;
    let id = o.id;
    match (o.purpose, decision) {
        (Purpose::Topup, Decision::Settle | Decision::SettleAfterFailure) => {
            let clearing = ledger::account(tx, ProviderClearing, None, now).await?;
            let wallet = ledger::account(tx, Wallet, Some(o.user_id), now).await?;
            let memo = format!("在线充值（{}）", o.provider);
            transfer(
                tx,
                format!("payment:{id}:credit"),
                "topup_provider",
                &memo,
                clearing,
                wallet,
                o.amount,
                now,
            )
            .await?;
        }
        (Purpose::Topup, Decision::HoldForRefund) => {
            let clearing = ledger::account(tx, ProviderClearing, None, now).await?;
            let due = ledger::account(tx, RefundsDue, None, now).await?;
            transfer(
                tx,
                format!("payment:{id}:hold"),
                "late_payment",
                "迟到付款，待退款",
                clearing,
                due,
                o.amount,
                now,
            )
            .await?;
        }
        (Purpose::Payout, Decision::Settle) => {
            let pending = ledger::account(tx, PayoutsPending, None, now).await?;
            let out = ledger::account(tx, PaidOut, None, now).await?;
            transfer(
                tx,
                format!("payment:{id}:settle"),
                "payout_settled",
                "收益已提现",
                pending,
                out,
                o.amount,
                now,
            )
            .await?;
        }
        (Purpose::Payout, Decision::Fail) => {
            let pending = ledger::account(tx, PayoutsPending, None, now).await?;
            let payable = ledger::account(tx, ContributorPayable, Some(o.user_id), now).await?;
            transfer(
                tx,
                format!("payment:{id}:return"),
                "payout_returned",
                "提现失败，收益退回",
                pending,
                payable,
                o.amount,
                now,
            )
            .await?;
        }
        (Purpose::Payout, Decision::SettleAfterFailure) => {
            let payable = ledger::account(tx, ContributorPayable, Some(o.user_id), now).await?;
            let (balance,): (i64,) = sqlx::query_as(
                "UPDATE library_accounts SET balance = balance WHERE id = $1 RETURNING balance",
            )
            .bind(payable)
            .fetch_one(&mut **tx)
            .await?;
            if balance < o.amount {
                return Ok(false);
            }
            let out = ledger::account(tx, PaidOut, None, now).await?;
            transfer(
                tx,
                format!("payment:{id}:settle"),
                "payout_settled",
                "收益已提现",
                payable,
                out,
                o.amount,
                now,
            )
            .await?;
        }
        _ => {}
    }
    Ok(true)
}

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
        return Err(LibraryError::WrongState(format!(
            "only a late payment held for refund can be refunded; this order is {}",
            order.state.as_str()
        )));
    }
    let p = provider(state, &order.provider)?;
    p.refund(&order.info())
        .await
        .map_err(|e| LibraryError::WrongState(e.to_string()))?;
    let mut tx = state.db.begin().await?;
    let locked = lock_order(&mut tx, id)
        .await?
        .ok_or(LibraryError::NotFound)?;
    if locked.state == OrderState::RefundDue {
        let due = ledger::account(&mut tx, AccountKind::RefundsDue, None, now).await?;
        let clearing = ledger::account(&mut tx, AccountKind::ProviderClearing, None, now).await?;
        transfer(
            &mut tx,
            format!("payment:{id}:refund"),
            "refund",
            "迟到付款已退回",
            due,
            clearing,
            order.amount,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_decision_table() {
        use OrderState::*;
        let t = Purpose::Topup;
        assert_eq!(decide(t, Pending, Reported::Paid), Decision::Settle);
        assert_eq!(
            decide(t, Paid, Reported::Paid),
            Decision::Ignore("ignored_already_paid")
        );
        assert_eq!(
            decide(t, Paid, Reported::Failed),
            Decision::Ignore("ignored_failure_after_paid"),
            "a failure never undoes a payment"
        );
        assert_eq!(
            decide(t, Failed, Reported::Paid),
            Decision::SettleAfterFailure
        );
        assert_eq!(decide(t, Expired, Reported::Paid), Decision::HoldForRefund);
        assert_eq!(
            decide(t, Cancelled, Reported::Paid),
            Decision::HoldForRefund
        );
        assert_eq!(
            decide(t, Cancelled, Reported::Failed),
            Decision::Ignore("ignored_closed")
        );
        assert_eq!(
            decide(t, Refunded, Reported::Paid),
            Decision::Ignore("ignored_closed")
        );
        assert_eq!(
            decide(Purpose::Payout, Pending, Reported::Failed),
            Decision::Fail
        );
    }

    #[test]
    fn signatures() {
        let body = Sandbox::event_body("e1", 3, Reported::Paid, 500);
        let sig = sign(b"secret", body.as_bytes());
        assert!(signature_ok(b"secret", body.as_bytes(), Some(&sig)));
        assert!(!signature_ok(b"other", body.as_bytes(), Some(&sig)));
        assert!(!signature_ok(b"secret", b"{}", Some(&sig)));
        assert!(!signature_ok(b"secret", body.as_bytes(), None));
        assert!(!signature_ok(b"secret", body.as_bytes(), Some("sha256=zz")));
    }
}
