//! The provider seam: the trait a payment provider implements, signed callbacks, the
//! sandbox provider used in development and tests, and the registry of configured ones.

use super::{Purpose, Reported, SIGNATURE_HEADER};
use crate::error::{LibResult, LibraryError};
use axum::http::HeaderMap;
use futures_util::future::BoxFuture;
use hmac::{Hmac, Mac};
use platform::AppState;
use sha2::Sha256;
use std::sync::Arc;

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

pub(super) fn signature_ok(secret: &[u8], body: &[u8], header: Option<&str>) -> bool {
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

pub(super) fn provider(state: &AppState, name: &str) -> LibResult<Arc<dyn PaymentProvider>> {
    payments(state).get(name).ok_or_else(|| {
        LibraryError::BadField(format!(
            "no payment provider named {name:?} is configured here"
        ))
    })
}
