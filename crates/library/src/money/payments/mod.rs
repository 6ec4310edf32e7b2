//! Payment providers behind one trait (ADR 012). Money enters by top-up orders that a
//! provider collects and leaves by payouts of contributor earnings; the provider reports
//! the result in signed callbacks. Every callback is recorded with the decision taken, and
//! the decision follows one table ([`decide`]), so duplicates, late and out-of-order
//! callbacks never credit twice or undo a payment.

use serde::Serialize;

mod orders;
mod provider;
mod records;
mod settle;

pub use orders::*;
pub use provider::*;
pub use settle::*;

pub const SIGNATURE_HEADER: &str = "x-gongzhi-signature";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Money in: the payer's wallet is credited when the provider confirms.
    Topup,
    /// Money out: a contributor's accrued earnings, paid by the provider.
    Payout,
}

platform::stored_as_text!(Purpose, |s| Some(Purpose::parse(s)), |p: &Purpose| p
    .as_str());

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

platform::vocabulary! {
    /// The explicit states of a payment order.
    OrderState {
        /// Waiting for the provider.
        Pending = "pending", "待支付", "Awaiting payment";
        /// The provider confirmed; the ledger has moved the money.
        Paid = "paid", "已完成", "Completed";
        /// The provider reported a failure; nothing moved (or a payout went back).
        Failed = "failed", "支付失败", "Failed";
        /// The payer gave up before paying.
        Cancelled = "cancelled", "已取消", "Cancelled";
        /// Nobody paid within the order's lifetime.
        Expired = "expired", "已过期", "Expired";
        /// The provider collected money for an order already cancelled or expired: it is held
        /// apart (not credited) until an operator refunds it.
        RefundDue = "refund_due", "迟到付款，待退款", "Late payment, to be refunded";
        /// A held late payment returned to the payer through the provider.
        Refunded = "refunded", "已退款", "Refunded";
    }
}

impl OrderState {
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

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Order {
    pub id: i64,
    pub purpose: Purpose,
    pub user_id: i64,
    pub username: String,
    pub provider: String,
    pub amount: i64,
    #[sqlx(skip)]
    pub amount_yuan: String,
    pub state: OrderState,
    pub provider_ref: Option<String>,
    pub pay_url: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

impl Order {
    pub(super) fn info(&self) -> OrderInfo {
        OrderInfo {
            id: self.id,
            purpose: self.purpose,
            user_id: self.user_id,
            amount: self.amount,
        }
    }
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
