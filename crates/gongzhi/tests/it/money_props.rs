//! Property test of the money rules: seeded random rounds of concurrent operator top-ups,
//! provider top-ups with callbacks (duplicate, late, out of order), cancellations, refunds
//! of late payments, purchases, VIP plans and VIP downloads against the real server. After
//! every round every invariant holds, each (user, document) is charged at most once, the
//! domain tables agree with the ledger, and `gongzhi ledger check` agrees.
//!
//! `GONGZHI_PROPTEST_SEED` replays one seed; `GONGZHI_PROPTEST_ROUNDS` sets the length.

use crate::common::{Backend, Server, both_dbs, client, set_price};
use crate::payments::{callback, env};
use library::money::payments::Reported;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// xorshift64*: small, seeded, reproducible.
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
}

#[derive(Debug, Clone)]
enum Op {
    OperatorTopup {
        user: usize,
        key: String,
        fen: i64,
    },
    ProviderTopup {
        user: usize,
        key: String,
        fen: i64,
    },
    Callback {
        order: i64,
        event: String,
        paid: bool,
        fen: i64,
    },
    Cancel {
        user: usize,
        order: i64,
    },
    Refund {
        order: i64,
    },
    Purchase {
        user: usize,
        doc: usize,
        key: String,
    },
    VipPlan {
        user: usize,
        key: String,
    },
    VipDownload {
        user: usize,
        doc: usize,
    },
    /// The operator pays out the uploader's accrued earnings.
    Payout {
        key: String,
    },
}

struct World {
    url: String,
    admin: String,
    users: Vec<(String, String)>,
    docs: Vec<i64>,
    vip_docs: Vec<i64>,
    plan: i64,
}

async fn send(r: reqwest::RequestBuilder) -> (u16, Value) {
    let r = r.send().await.expect("request");
    let st = r.status().as_u16();
    (st, r.json().await.unwrap_or(Value::Null))
}

async fn run(w: &World, op: Op) -> (u16, Value) {
    let c = client();
    let u = &w.url;
    let yuan = |fen: i64| format!("{}.{:02}", fen / 100, fen % 100);
    match op {
        Op::OperatorTopup { user, key, fen } => {
            send(
                c.post(format!("{u}/api/v1/admin/topups"))
                    .bearer_auth(&w.admin)
                    .header("Idempotency-Key", key)
                    .json(&json!({"username": w.users[user].0, "amount": yuan(fen)})),
            )
            .await
        }
        Op::ProviderTopup { user, key, fen } => {
            send(
                c.post(format!("{u}/api/v1/me/topups"))
                    .bearer_auth(&w.users[user].1)
                    .header("Idempotency-Key", key)
                    .json(&json!({"amount": yuan(fen), "provider": "sandbox"})),
            )
            .await
        }
        Op::Callback {
            order,
            event,
            paid,
            fen,
        } => {
            let rep = if paid {
                Reported::Paid
            } else {
                Reported::Failed
            };
            callback(u, &event, order, rep, fen).await
        }
        Op::Cancel { user, order } => {
            send(
                c.post(format!("{u}/api/v1/me/payments/{order}/cancel"))
                    .bearer_auth(&w.users[user].1),
            )
            .await
        }
        Op::Refund { order } => {
            send(
                c.post(format!("{u}/api/v1/admin/payments/{order}/refund"))
                    .bearer_auth(&w.admin),
            )
            .await
        }
        Op::Purchase { user, doc, key } => {
            send(
                c.post(format!("{u}/api/v1/documents/{}/purchase", w.docs[doc]))
                    .bearer_auth(&w.users[user].1)
                    .header("Idempotency-Key", key),
            )
            .await
        }
        Op::VipPlan { user, key } => {
            send(
                c.post(format!("{u}/api/v1/vip/plans/{}/buy", w.plan))
                    .bearer_auth(&w.users[user].1)
                    .header("Idempotency-Key", key),
            )
            .await
        }
        Op::Payout { key } => {
            send(
                c.post(format!("{u}/api/v1/admin/payouts"))
                    .bearer_auth(&w.admin)
                    .header("Idempotency-Key", key)
                    .json(&json!({"username": "admin", "provider": "sandbox"})),
            )
            .await
        }
        Op::VipDownload { user, doc } => {
            let r = c
                .get(format!("{u}/api/v1/documents/{}/download", w.vip_docs[doc]))
                .bearer_auth(&w.users[user].1)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), Value::Null)
        }
    }
}

/// Runs the operations at once, each on its own task; results in the order given.
async fn run_all(w: &Arc<World>, ops: Vec<Op>) -> Vec<(u16, Value)> {
    let tasks: Vec<_> = ops
        .into_iter()
        .map(|op| {
            let w = w.clone();
            tokio::spawn(async move { run(&w, op).await })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.expect("task"));
    }
    out
}

async fn scalar(pool: &sqlx::AnyPool, sql: &str) -> i64 {
    let (v,): (i64,) = sqlx::query_as(sql)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    v
}

/// Every invariant, from the tables themselves (an oracle independent of the server's own
/// `ledger check`, which is run as well).
async fn check_invariants(s: &Server, pool: &sqlx::AnyPool, ctx: &str) {
    let zero = |sql: &'static str| async move { (sql, scalar(pool, sql).await) };
    for (sql, n) in [
        zero("SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT transaction_id FROM library_postings GROUP BY transaction_id HAVING SUM(amount) <> 0) x").await,
        zero("SELECT CAST(COUNT(*) AS BIGINT) FROM library_accounts a WHERE a.balance <> COALESCE((SELECT SUM(p.amount) FROM library_postings p WHERE p.account_id = a.id), 0)").await,
        zero("SELECT CAST(COUNT(*) AS BIGINT) FROM library_accounts WHERE kind IN ('wallet', 'contributor_payable') AND balance < 0").await,
        // Each (user, document) is charged at most once.
        zero("SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT o.user_id, o.document_id FROM library_orders o JOIN library_transactions t ON t.id = o.transaction_id GROUP BY o.user_id, o.document_id HAVING COUNT(*) > 1) x").await,
        zero("SELECT CAST(COUNT(*) AS BIGINT) FROM library_orders o WHERE o.state = 'paid' AND NOT EXISTS (SELECT 1 FROM library_purchases p WHERE p.order_id = o.id)").await,
        // Each provider top-up is credited exactly when it is paid, and at most once.
        zero("SELECT CAST(COUNT(*) AS BIGINT) FROM library_payment_orders o WHERE o.purpose = 'topup' AND \
              (CASE WHEN o.state = 'paid' THEN 1 ELSE 0 END) <> (SELECT COUNT(*) FROM library_transactions t WHERE t.idempotency_key = 'payment:' || CAST(o.id AS TEXT) || ':credit')").await,
        // Late payments are held while due, and returned once refunded.
        zero("SELECT CAST(COUNT(*) AS BIGINT) FROM library_payment_orders o WHERE o.purpose = 'topup' AND \
              (CASE WHEN o.state IN ('refund_due', 'refunded') THEN 1 ELSE 0 END) <> (SELECT COUNT(*) FROM library_transactions t WHERE t.idempotency_key = 'payment:' || CAST(o.id AS TEXT) || ':hold')").await,
        // VIP: one right per first download, never more than the quota.
        zero("SELECT CAST(COUNT(*) AS BIGINT) FROM library_memberships m WHERE m.rights_used > m.rights_total OR \
              m.rights_used <> (SELECT COUNT(*) FROM library_vip_downloads d WHERE d.user_id = m.user_id)").await,
        zero("SELECT CAST(COUNT(*) AS BIGINT) FROM library_vip_downloads d WHERE NOT EXISTS (SELECT 1 FROM library_memberships m WHERE m.user_id = d.user_id)").await,
    ] {
        assert_eq!(n, 0, "{ctx}: invariant broken: {sql}");
    }
    // Every wallet equals what the domain tables say came in and went out.
    let wallets: Vec<(i64, i64)> =
        sqlx::query_as("SELECT owner_id, balance FROM library_accounts WHERE kind = 'wallet'")
            .fetch_all(pool)
            .await
            .unwrap();
    for (user, balance) in wallets {
        let q = |sql: String| async move { scalar(pool, &sql).await };
        let operator = q(format!("SELECT CAST(COALESCE(SUM(p.amount), 0) AS BIGINT) FROM library_postings p JOIN library_transactions t ON t.id = p.transaction_id JOIN library_accounts a ON a.id = p.account_id WHERE t.kind = 'topup' AND a.kind = 'wallet' AND a.owner_id = {user}")).await;
        let provider = q(format!("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM library_payment_orders WHERE purpose = 'topup' AND state = 'paid' AND user_id = {user}")).await;
        let bought = q(format!("SELECT CAST(COALESCE(SUM(o.amount), 0) AS BIGINT) FROM library_orders o JOIN library_purchases p ON p.order_id = o.id WHERE o.user_id = {user}")).await;
        let vip = q(format!("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM library_membership_orders WHERE transaction_id IS NOT NULL AND user_id = {user}")).await;
        assert_eq!(
            balance,
            operator + provider - bought - vip,
            "{ctx}: wallet of user {user} disagrees with its orders"
        );
    }
    // Contributor earnings are conserved: accrued = payable + being paid + paid out.
    let earned = scalar(
        pool,
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM library_rewards",
    )
    .await;
    let held_for_contributors = scalar(pool, "SELECT CAST(COALESCE(SUM(balance), 0) AS BIGINT) FROM library_accounts WHERE kind IN ('contributor_payable', 'payouts_pending', 'paid_out')").await;
    assert_eq!(
        earned, held_for_contributors,
        "{ctx}: contributor earnings leaked"
    );
    let held = scalar(pool, "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM library_payment_orders WHERE state = 'refund_due'").await;
    let due = scalar(pool, "SELECT CAST(COALESCE(SUM(balance), 0) AS BIGINT) FROM library_accounts WHERE kind = 'refunds_due'").await;
    assert_eq!(held, due, "{ctx}: refunds due disagree with held orders");
    let out = s.run_cli(&["ledger", "check"], None);
    assert!(out.contains("ledger consistent"), "{ctx}: {out}");
}

async fn setup(s: &Server, users: usize) -> World {
    let admin = s.user_token("admin", "admin").await;
    let mut us = Vec::new();
    for i in 0..users {
        let name = format!("user{i}");
        let t = s.user_token(&name, "member").await;
        us.push((name, t));
    }
    let mut docs = Vec::new();
    let mut vip_docs = Vec::new();
    for (f, kind, price) in [
        ("documents/service-hotline-faq.txt", "paid", "3.00"),
        ("documents/wanghu-residents-convention.txt", "paid", "2.00"),
        (
            "documents/neighbourhood-watch-volunteer-recruitment.txt",
            "vip",
            "4.00",
        ),
        ("documents/grid-management-measures.md", "vip", "1.00"),
    ] {
        let id = s.upload_fixture(&admin, f).await;
        s.wait_converted(&admin, id, Duration::from_secs(180)).await;
        set_price(s, &admin, id, kind, price).await;
        // VIP documents with a price are for sale too: the paid route for non-members.
        docs.push(id);
        if kind == "vip" {
            vip_docs.push(id);
        }
    }
    let (_, plans) = s.get_json(None, "/api/v1/vip/plans").await;
    World {
        url: s.url.clone(),
        admin,
        users: us,
        docs,
        vip_docs,
        plan: plans["items"][0]["id"].as_i64().unwrap(),
    }
}

both_dbs!(random_concurrent_money_sequences_keep_every_invariant);
async fn random_concurrent_money_sequences_keep_every_invariant(backend: Backend) {
    let seeds: Vec<u64> = match std::env::var("GONGZHI_PROPTEST_SEED") {
        Ok(s) => vec![s.parse().expect("GONGZHI_PROPTEST_SEED is a number")],
        Err(_) => vec![0x5EED_0001, 0x5EED_0002],
    };
    let rounds: usize = std::env::var("GONGZHI_PROPTEST_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let s = Server::start_with(backend, &env()).await;
    let w = Arc::new(setup(&s, 4).await);
    let pool = s.db().await;
    let mut orders: Vec<(usize, i64, i64)> = Vec::new();
    let mut statuses: std::collections::BTreeMap<String, usize> = Default::default();
    for seed in &seeds {
        let mut rng = Rng(*seed);
        for round in 0..rounds {
            let n = 1 + rng.below(6) as usize;
            let mut ops = Vec::new();
            for _ in 0..n {
                let user = rng.below(w.users.len() as u64) as usize;
                let fen = *rng.pick(&[100, 250, 300, 1500, 2000]);
                // Keys from small pools, so that retries and reuse happen.
                let key = format!("{seed}-k{}", rng.below(12));
                let op = match rng.below(11) {
                    10 => Op::Payout { key },
                    0 => Op::OperatorTopup { user, key, fen },
                    1 | 2 => Op::ProviderTopup { user, key, fen },
                    3 | 4 if !orders.is_empty() => {
                        let (_, order, amount) = *rng.pick(&orders);
                        Op::Callback {
                            order,
                            // Events repeat (duplicates) and arrive in any order.
                            event: format!("ev{}", rng.below(40)),
                            paid: rng.below(3) != 0,
                            fen: if rng.below(20) == 0 {
                                amount + 1
                            } else {
                                amount
                            },
                        }
                    }
                    5 if !orders.is_empty() => {
                        let (owner, order, _) = *rng.pick(&orders);
                        Op::Cancel { user: owner, order }
                    }
                    6 if !orders.is_empty() => Op::Refund {
                        order: rng.pick(&orders).1,
                    },
                    7 => Op::Purchase {
                        user,
                        doc: rng.below(w.docs.len() as u64) as usize,
                        key,
                    },
                    8 => Op::VipPlan { user, key },
                    _ => Op::VipDownload {
                        user,
                        doc: rng.below(w.vip_docs.len() as u64) as usize,
                    },
                };
                ops.push(op);
            }
            let results = run_all(&w, ops.clone()).await;
            for (op, (st, v)) in ops.iter().zip(results) {
                assert!(
                    st < 500,
                    "{backend:?} seed {seed} round {round}: {op:?} → {st} {v}"
                );
                let name = format!("{op:?}")
                    .split([' ', '{'])
                    .next()
                    .unwrap()
                    .to_string();
                let what = match v["outcome"].as_str() {
                    Some(outcome) => format!("{name} {outcome}"),
                    None => format!("{name} {st}"),
                };
                *statuses.entry(what).or_default() += 1;
                if let Op::Payout { .. } = op
                    && let Some(id) = v["order"]["id"].as_i64()
                    && !orders.iter().any(|o| o.1 == id)
                {
                    orders.push((0, id, v["order"]["amount"].as_i64().unwrap()));
                }
                if let Op::ProviderTopup { user, .. } = op
                    && let Some(id) = v["order"]["id"].as_i64()
                    && !orders.iter().any(|o| o.1 == id)
                {
                    orders.push((*user, id, v["order"]["amount"].as_i64().unwrap()));
                }
            }
            check_invariants(&s, &pool, &format!("{backend:?} seed {seed} round {round}")).await;
        }
    }
    eprintln!("{backend:?}: outcomes {statuses:?}");
    // The sequences did exercise the interesting paths.
    for must in [
        "Purchase 201",
        "ProviderTopup 201",
        "Callback settled",
        "Callback duplicate",
        "Payout 201",
    ] {
        assert!(
            statuses.contains_key(must),
            "{backend:?}: never saw {must}: {statuses:?}"
        );
    }
}

both_dbs!(two_hundred_concurrent_purchases_charge_once);
async fn two_hundred_concurrent_purchases_charge_once(backend: Backend) {
    let s = Server::start_with(backend, &env()).await;
    let w = Arc::new(setup(&s, 2).await);
    assert_eq!(
        crate::money::topup(
            &s,
            &w.admin,
            Some("t"),
            json!({"username": "user0", "amount": "100.00"})
        )
        .await
        .0,
        201
    );
    assert_eq!(
        crate::money::topup(
            &s,
            &w.admin,
            Some("t1"),
            json!({"username": "user1", "amount": "100.00"})
        )
        .await
        .0,
        201
    );
    for (user, same_key) in [(0usize, true), (1usize, false)] {
        let ops: Vec<Op> = (0..200)
            .map(|i| Op::Purchase {
                user,
                doc: 0,
                key: if same_key {
                    "one".into()
                } else {
                    format!("k{i}")
                },
            })
            .collect();
        let results = run_all(&w, ops).await;
        let mut charged = 0;
        for (st, v) in results {
            assert!(st == 200 || st == 201, "{backend:?}: {st} {v}");
            charged += (v["charged"] == true) as i32;
        }
        assert_eq!(charged, 1, "{backend:?}: same key {same_key}: one charge");
        let (_, wal) = s
            .get_json(Some(&w.users[user].1), "/api/v1/me/wallet")
            .await;
        assert_eq!(wal["balance"], 10000 - 300, "{backend:?}");
    }
    let pool = s.db().await;
    check_invariants(&s, &pool, &format!("{backend:?} 200 purchases")).await;
}
