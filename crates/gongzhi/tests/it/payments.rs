//! Payment providers: top-ups through the built-in sandbox provider with signed callbacks
//! replayed duplicate, late, out of order and badly signed; payouts of contributor
//! earnings through the same interface — on every backend.

use crate::common::{
    Backend, Server, answer, both_dbs, client, each, expect_each, pay, set_price, status,
};
use library::money::payments::{Reported, Sandbox, sign};
use serde_json::{Value, json};

pub const SECRET: &str = "sandbox-test-secret";

pub fn env() -> Vec<(&'static str, &'static str)> {
    vec![("GONGZHI_PAYMENT_SANDBOX_SECRET", SECRET)]
}

pub async fn topup(s: &Server, token: &str, key: &str, amount: &str) -> (u16, Value) {
    topup_from(s, token, key, amount, "sandbox").await
}

/// A top-up order of `amount` yuan through the payment provider `provider`.
async fn topup_from(
    s: &Server,
    token: &str,
    key: &str,
    amount: &str,
    provider: &str,
) -> (u16, Value) {
    let body = json!({"amount": amount, "provider": provider});
    pay::post_once(s, token, "/api/v1/me/topups", key, Some(&body)).await
}

/// Posts `body` to the sandbox's callback, with the signature header if any.
async fn post_callback(url: &str, signature: Option<String>, body: String) -> (u16, Value) {
    let mut r = client()
        .post(format!("{url}/api/v1/payments/sandbox/callback"))
        .header("Content-Type", "application/json");
    if let Some(sig) = signature {
        r = r.header("X-Gongzhi-Signature", sig);
    }
    answer(r.body(body).send().await.unwrap()).await
}

/// Sends a callback as the sandbox would, signed with `secret`.
pub async fn callback_signed(
    url: &str,
    secret: &str,
    event: &str,
    order: i64,
    reported: Reported,
    amount: i64,
) -> (u16, Value) {
    let body = Sandbox::event_body(event, order, reported, amount);
    let signature = sign(secret.as_bytes(), body.as_bytes());
    post_callback(url, Some(signature), body).await
}

pub async fn callback(
    url: &str,
    event: &str,
    order: i64,
    reported: Reported,
    amount: i64,
) -> (u16, Value) {
    callback_signed(url, SECRET, event, order, reported, amount).await
}

async fn balance(s: &Server, token: &str) -> i64 {
    let (status, v) = s.get_json(Some(token), "/api/v1/me/wallet").await;
    assert_eq!(status, 200, "{v}");
    v["balance"].as_i64().unwrap()
}

async fn order_state(s: &Server, token: &str, id: i64) -> String {
    let (st, v) = s
        .get_json(Some(token), &format!("/api/v1/me/payments/{id}"))
        .await;
    assert_eq!(st, 200, "{v}");
    v["order"]["state"].as_str().unwrap().to_string()
}

both_dbs!(provider_callbacks_are_verified_idempotent_and_ordered);
async fn provider_callbacks_are_verified_idempotent_and_ordered(backend: Backend) {
    let s = Server::start_with(backend, &env()).await;
    let [admin, reader, other] = s.accounts("admin=admin reader other").await;
    let (_, p) = s
        .get_json(Some(&reader), "/api/v1/payments/providers")
        .await;
    assert_eq!(p["items"][0]["name"], "sandbox", "{p}");

    // A top-up order: one per key; the same key for another amount is refused.
    let (st, v) = topup(&s, &reader, "t1", "50.00").await;
    assert_eq!(st, 201, "{backend:?}: {v}");
    let o1 = v["order"]["id"].as_i64().unwrap();
    assert_eq!(v["order"]["state"], "pending");
    assert_eq!(v["order"]["pay_url"], format!("/pay/sandbox/{o1}"));
    let (st, v) = topup(&s, &reader, "t1", "50.00").await;
    assert_eq!((st, v["order"]["id"].as_i64()), (200, Some(o1)));
    assert_eq!(topup(&s, &reader, "t1", "60.00").await.0, 409);
    assert_eq!(topup(&s, &reader, "t9", "0").await.0, 400);
    let (st, _) = topup_from(&s, &reader, "t8", "5", "nope").await;
    assert_eq!(st, 400, "unknown provider");

    // Badly signed and unsigned callbacks are refused and credit nothing.
    let (st, _) = callback_signed(&s.url, "wrong-secret", "e1", o1, Reported::Paid, 5000).await;
    assert_eq!(st, 401, "{backend:?}");
    let body = Sandbox::event_body("e1", o1, Reported::Paid, 5000);
    let (st, _) = post_callback(&s.url, None, body.clone()).await;
    assert_eq!(st, 401);
    let signature = sign(SECRET.as_bytes(), body.as_bytes());
    let tampered = body.replace("5000", "9000");
    let (st, _) = post_callback(&s.url, Some(signature), tampered).await;
    assert_eq!(st, 401, "a tampered body fails its signature");
    assert_eq!(balance(&s, &reader).await, 0);
    // The wrong amount is recorded, not credited.
    let (st, v) = callback(&s.url, "e0", o1, Reported::Paid, 4000).await;
    assert_eq!((st, v["outcome"].as_str()), (200, Some("amount_mismatch")));
    assert_eq!(balance(&s, &reader).await, 0);
    assert_eq!(
        callback(&s.url, "e-x", 999_999, Reported::Paid, 1).await.0,
        404
    );
    let (st, _) = client()
        .post(format!("{}/api/v1/payments/nope/callback", s.url))
        .json(&json!({}))
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .unwrap();
    assert_eq!(st, 404);

    // Paid: credited once, however often and however concurrently it is repeated.
    let (st, v) = callback(&s.url, "e1", o1, Reported::Paid, 5000).await;
    assert_eq!((st, v["outcome"].as_str()), (200, Some("settled")), "{v}");
    let mut tasks = Vec::new();
    for i in 0..12 {
        let url = s.url.clone();
        // Half repeat the same event, half are new events saying the same thing.
        let ev = if i % 2 == 0 {
            "e1".to_string()
        } else {
            format!("e1-{i}")
        };
        tasks.push(tokio::spawn(async move {
            callback(&url, &ev, o1, Reported::Paid, 5000).await
        }));
    }
    for t in tasks {
        let (st, v) = t.await.unwrap();
        assert_eq!(st, 200);
        assert!(
            v["outcome"] == "duplicate" || v["outcome"] == "ignored_already_paid",
            "{backend:?}: {v}"
        );
    }
    assert_eq!(
        balance(&s, &reader).await,
        5000,
        "{backend:?}: credited once"
    );
    // Out of order: a failure after the payment does not undo it.
    let (_, v) = callback(&s.url, "e2", o1, Reported::Failed, 5000).await;
    assert_eq!(v["outcome"], "ignored_failure_after_paid");
    assert_eq!(order_state(&s, &reader, o1).await, "paid");
    assert_eq!(balance(&s, &reader).await, 5000);

    // Failed, then paid: the later payment is credited (the rule in ADR 012).
    let (_, v) = topup(&s, &reader, "t2", "10.00").await;
    let o2 = v["order"]["id"].as_i64().unwrap();
    let (_, v) = callback(&s.url, "e3", o2, Reported::Failed, 1000).await;
    assert_eq!(v["outcome"], "failed");
    assert_eq!(order_state(&s, &reader, o2).await, "failed");
    let (_, v) = callback(&s.url, "e3", o2, Reported::Failed, 1000).await;
    assert_eq!(v["outcome"], "duplicate");
    let (_, v) = callback(&s.url, "e4", o2, Reported::Paid, 1000).await;
    assert_eq!(v["outcome"], "settled_after_failure");
    assert_eq!(balance(&s, &reader).await, 6000);

    // Late: paid after the payer cancelled → held for a refund, not credited.
    let (_, v) = topup(&s, &reader, "t3", "7.00").await;
    let o3 = v["order"]["id"].as_i64().unwrap();
    // Another user's order is not theirs to cancel (nor to see); it is cancelled once.
    let cancel = format!("/api/v1/me/payments/{o3}/cancel");
    let (other_, reader_) = (Some(other.as_str()), Some(reader.as_str()));
    expect_each(
        &s,
        &[
            ("POST", other_, &cancel, None, 404),
            (
                "GET",
                other_,
                &format!("/api/v1/me/payments/{o3}"),
                None,
                404,
            ),
            ("POST", reader_, &cancel, None, 200),
            ("POST", reader_, &cancel, None, 409),
        ],
    )
    .await;
    let (_, v) = callback(&s.url, "e5", o3, Reported::Paid, 700).await;
    assert_eq!(v["outcome"], "late_refund_due", "{v}");
    assert_eq!(v["state"], "refund_due");
    assert_eq!(
        balance(&s, &reader).await,
        6000,
        "a late payment is not credited"
    );
    let (_, v) = callback(&s.url, "e6", o3, Reported::Paid, 700).await;
    assert_eq!(v["outcome"], "ignored_closed");
    let refund = |id: i64, token: String| {
        let path = format!("/api/v1/admin/payments/{id}/refund");
        let s = &s;
        async move { crate::common::status(s, "POST", Some(&token), &path, None).await }
    };
    assert_eq!(refund(o3, reader.clone()).await, 403);
    assert_eq!(refund(o3, admin.clone()).await, 200);
    assert_eq!(refund(o3, admin.clone()).await, 409, "refunded once");
    assert_eq!(
        refund(o1, admin.clone()).await,
        409,
        "a credited top-up is not refunded here"
    );
    let (_, d) = s
        .get_json(Some(&admin), &format!("/api/v1/admin/payments/{o3}"))
        .await;
    assert_eq!(d["order"]["state"], "refunded");
    let outcomes: Vec<&str> = each(&d["callbacks"])
        .map(|c| c["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["late_refund_due", "ignored_closed"]);
    assert_eq!(
        s.status_of(Some(&reader), &format!("/api/v1/admin/payments/{o3}"))
            .await,
        403
    );
    let (_, l) = s
        .get_json(Some(&admin), "/api/v1/admin/payments?state=paid")
        .await;
    assert_eq!(l["items"].as_array().unwrap().len(), 2);

    // Cancelled then failed: recorded, nothing changes.
    let (_, v) = topup(&s, &reader, "t4", "3.00").await;
    let o4 = v["order"]["id"].as_i64().unwrap();
    s.raw(
        "POST",
        Some(&reader[..]),
        &format!("/api/v1/me/payments/{o4}/cancel"),
    )
    .await;
    let (_, v) = callback(&s.url, "e7", o4, Reported::Failed, 300).await;
    assert_eq!(v["outcome"], "ignored_closed");
    assert_eq!(order_state(&s, &reader, o4).await, "cancelled");

    // Many different "paid" events racing for one order: one credit.
    let (_, v) = topup(&s, &reader, "t5", "1.00").await;
    let o5 = v["order"]["id"].as_i64().unwrap();
    let mut tasks = Vec::new();
    for i in 0..16 {
        let url = s.url.clone();
        tasks.push(tokio::spawn(async move {
            callback(&url, &format!("race-{i}"), o5, Reported::Paid, 100).await
        }));
    }
    let mut settled = 0;
    for t in tasks {
        let (st, v) = t.await.unwrap();
        assert_eq!(st, 200, "{v}");
        settled += (v["outcome"] == "settled") as i32;
    }
    assert_eq!(settled, 1, "{backend:?}");
    assert_eq!(balance(&s, &reader).await, 6100);

    s.assert_ledger_consistent();
    let out = s.run_cli(&["audit-check"], None);
    assert!(out.contains("intact"), "{out}");
    let pool = s.db().await;
    let bad = s.scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM library_payment_callbacks WHERE outcome = 'bad_signature'").await;
    assert_eq!(bad, 3, "{backend:?}: refused callbacks are recorded");
    let audited = s.scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM platform_audit WHERE action = 'library.payment.callback'").await;
    let (recorded,): (i64,) =
        sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) FROM library_payment_callbacks")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(audited, recorded, "every callback decision is audited");

    // `ledger check` also holds the orders to the ledger: a top-up marked paid without
    // its credit is a breach.
    sqlx::query("UPDATE library_payment_orders SET state = 'paid' WHERE id = $1")
        .bind(o4)
        .execute(&pool)
        .await
        .unwrap();
    let (ok, _, err) = s.run_cli_to_end(&["ledger", "check"]);
    assert!(!ok, "{backend:?}");
    assert!(err.contains("credited 0 time(s)"), "{err}");
}

both_dbs!(unpaid_orders_expire_and_late_payments_are_held);
async fn unpaid_orders_expire_and_late_payments_are_held(backend: Backend) {
    let mut e = env();
    e.push(("GONGZHI_PAYMENT_ORDER_TTL_SECS", "1"));
    let s = Server::start_with(backend, &e).await;
    let reader = s.user_token("reader", "member").await;
    let (_, v) = topup(&s, &reader, "t1", "8.00").await;
    let o = v["order"]["id"].as_i64().unwrap();
    // The order lives one second (set above); wait it out.
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    assert_eq!(order_state(&s, &reader, o).await, "expired");
    assert_eq!(
        status(
            &s,
            "POST",
            Some(&reader),
            &format!("/api/v1/me/payments/{o}/cancel"),
            None
        )
        .await,
        409,
        "an expired order cannot be cancelled"
    );
    let (_, v) = callback(&s.url, "late", o, Reported::Paid, 800).await;
    assert_eq!(v["outcome"], "late_refund_due", "{backend:?}: {v}");
    assert_eq!(balance(&s, &reader).await, 0);
    s.assert_ledger_consistent();
}

both_dbs!(contributor_payouts_go_through_the_provider);
async fn contributor_payouts_go_through_the_provider(backend: Backend) {
    let s = Server::start_with(backend, &env()).await;
    let [admin, author, buyer] = s.accounts("admin=admin author buyer").await;
    let id = s
        .published(&author, &admin, "service-hotline-faq.txt")
        .await;
    set_price(&s, &author, id, "paid", "3.00").await;
    // The buyer pays through the provider, then buys.
    let (_, v) = topup(&s, &buyer, "b1", "5.00").await;
    let o = v["order"]["id"].as_i64().unwrap();
    callback(&s.url, "pay-b1", o, Reported::Paid, 500).await;
    assert_eq!(pay::purchase(&s, &buyer, id, "p1").await, 201);
    let (_, e) = s.get_json(Some(&author), "/api/v1/me/earnings").await;
    let earned = e["earnings"]["total"].as_i64().unwrap();
    assert!(earned > 0, "{e}");
    assert_eq!(e["earnings"]["payable"], earned);

    let to_author = json!({"username": "author", "provider": "sandbox"});
    let payout = async |token: &str, key: &str| {
        pay::post_once(&s, token, "/api/v1/admin/payouts", key, Some(&to_author)).await
    };
    assert_eq!(payout(&author, "x").await.0, 403, "operators pay out");
    let (st, v) = payout(&admin, "po1").await;
    assert_eq!(st, 201, "{backend:?}: {v}");
    let p1 = v["order"]["id"].as_i64().unwrap();
    assert_eq!(v["order"]["amount"], earned);
    assert_eq!(payout(&admin, "po1").await.0, 200, "replayed");
    assert_eq!(payout(&admin, "po2").await.0, 409, "nothing left to pay");
    let (_, e) = s.get_json(Some(&author), "/api/v1/me/earnings").await;
    assert_eq!(e["earnings"]["payable"], 0);
    // The provider fails the payout: the earnings go back.
    let (_, v) = callback(&s.url, "po-e1", p1, Reported::Failed, earned).await;
    assert_eq!(v["outcome"], "failed");
    let (_, e) = s.get_json(Some(&author), "/api/v1/me/earnings").await;
    assert_eq!(e["earnings"]["payable"], earned);
    // A second payout succeeds.
    let (st, v) = payout(&admin, "po3").await;
    assert_eq!(st, 201, "{v}");
    let p2 = v["order"]["id"].as_i64().unwrap();
    let (_, v) = callback(&s.url, "po-e2", p2, Reported::Paid, earned).await;
    assert_eq!(v["outcome"], "settled");
    let (_, v) = callback(&s.url, "po-e3", p2, Reported::Failed, earned).await;
    assert_eq!(v["outcome"], "ignored_failure_after_paid");
    // The failed first payout reported paid after all: its money was paid out again
    // already, so it waits for a person instead of paying twice.
    let (_, v) = callback(&s.url, "po-e4", p1, Reported::Paid, earned).await;
    assert_eq!(v["outcome"], "needs_review", "{v}");
    let (_, e) = s.get_json(Some(&author), "/api/v1/me/earnings").await;
    assert_eq!(
        (
            e["earnings"]["payable"].as_i64(),
            e["earnings"]["paid_out"].as_i64()
        ),
        (Some(0), Some(earned))
    );
    s.assert_ledger_consistent();
}
