//! The ledger through the API: idempotent top-ups, single-use vouchers under concurrency,
//! operator-only money routes, and `gongzhi ledger check` — on every backend.

use crate::common::{
    Backend, Server, both_dbs, burst, client, expect_each, page_text, pay, set_price,
};
use serde_json::{Value, json};

/// `POST /api/v1/admin/topups` (an operator credits a wallet); the status and the body.
pub async fn topup(s: &Server, token: &str, key: Option<&str>, body: Value) -> (u16, Value) {
    let mut r = client()
        .post(format!("{}/api/v1/admin/topups", s.url))
        .bearer_auth(token)
        .json(&body);
    if let Some(k) = key {
        r = r.header("Idempotency-Key", k);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn balance(s: &Server, token: &str) -> i64 {
    let (status, v) = s.get_json(Some(token), "/api/v1/me/wallet").await;
    assert_eq!(status, 200, "{v}");
    v["balance"].as_i64().unwrap()
}

both_dbs!(topups_are_idempotent_and_vouchers_pay_once);
async fn topups_are_idempotent_and_vouchers_pay_once(backend: Backend) {
    let s = Server::start(backend).await;
    let [admin, moderator, reader] = s.accounts("admin=admin mod=moderator reader").await;
    assert_eq!(balance(&s, &reader).await, 0);
    assert_eq!(s.status_of(None, "/api/v1/me/wallet").await, 401);

    // Only administrators move money, and only with a key.
    let body = json!({"username": "reader", "amount": "50.00"});
    assert_eq!(topup(&s, &moderator, Some("k1"), body.clone()).await.0, 403);
    assert_eq!(topup(&s, &admin, None, body.clone()).await.0, 400);
    for bad in ["-5", "0", "1.234", "abc", "1e9"] {
        let (st, v) = topup(
            &s,
            &admin,
            Some("kbad"),
            json!({"username": "reader", "amount": bad}),
        )
        .await;
        assert_eq!(st, 400, "{bad}: {v}");
    }
    let (st, v) = topup(
        &s,
        &admin,
        Some("kx"),
        json!({"username": "nobody", "amount": "5"}),
    )
    .await;
    assert_eq!(st, 400, "{v}");

    // The same key twice posts once; the same key for another amount is refused.
    let (st, first) = topup(&s, &admin, Some("k1"), body.clone()).await;
    assert_eq!(st, 201, "{first}");
    let (st, again) = topup(&s, &admin, Some("k1"), body.clone()).await;
    assert_eq!(st, 200, "{again}");
    assert_eq!(again["transaction"], first["transaction"]);
    assert_eq!(again["replayed"], true);
    let (st, _) = topup(
        &s,
        &admin,
        Some("k1"),
        json!({"username": "reader", "amount": "60.00"}),
    )
    .await;
    assert_eq!(st, 409, "{backend:?}: key reused for a different amount");
    assert_eq!(balance(&s, &reader).await, 5000);

    // Concurrent retries of one request still post once.
    let retry = json!({"username": "reader", "amount": "1.50"});
    let retries = vec![("/api/v1/admin/topups".to_string(), retry); 8];
    let statuses = burst(&s, &admin, Some("k2"), retries).await;
    let mut created = 0;
    for st in statuses {
        assert!(
            st == 201 || st == 200,
            "{backend:?}: a retried request is created or replayed, got {st}"
        );
        created += (st == 201) as i32;
    }
    assert_eq!(created, 1, "{backend:?}: exactly one post for one key");
    assert_eq!(balance(&s, &reader).await, 5150);

    // Vouchers: issued by an administrator, redeemed once, even when raced.
    let r = client()
        .post(format!("{}/api/v1/admin/vouchers", s.url))
        .bearer_auth(&admin)
        .json(&json!({"amount": "20", "count": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    let code = v["codes"][0].as_str().unwrap().to_string();
    let redeem = json!({"code": code.to_lowercase()});
    let redemptions = vec![("/api/v1/me/vouchers/redeem".to_string(), redeem); 6];
    let statuses = burst(&s, &reader, None, redemptions).await;
    let ok = statuses.iter().filter(|st| **st == 200).count();
    assert_eq!(ok, 1, "{backend:?}: a voucher pays once");
    assert_eq!(balance(&s, &reader).await, 7150);
    assert_eq!(
        crate::common::status(
            &s,
            "POST",
            Some(&reader),
            "/api/v1/me/vouchers/redeem",
            Some(&json!({"code": "NOPE-NOPE-NOPE-NOPE"}))
        )
        .await,
        400
    );

    let (_, w) = s.get_json(Some(&reader), "/api/v1/me/wallet").await;
    assert_eq!(w["balance_yuan"], "71.50");
    assert_eq!(w["lines"].as_array().unwrap().len(), 3);

    s.assert_ledger_consistent();
    let out = s.run_cli(&["audit-check"], None);
    assert!(out.contains("intact"), "{out}");

    // A tampered balance is caught.
    let pool = s.db().await;
    sqlx::query("UPDATE library_accounts SET balance = balance + 1 WHERE kind = 'wallet'")
        .execute(&pool)
        .await
        .unwrap();
    let (ok, _, err) = s.run_cli_to_end(&["ledger", "check"]);
    assert!(
        !ok,
        "{backend:?}: ledger check must fail on a tampered balance"
    );
    assert!(err.contains("postings sum to"), "{err}");
}

both_dbs!(paid_documents_charge_once_and_download_again_free);
async fn paid_documents_charge_once_and_download_again_free(backend: Backend) {
    let s = Server::start(backend).await;
    let [admin, buyer, other] = s.accounts("admin=admin buyer other").await;
    let id = s
        .upload_fixture(&admin, "documents/yunxiu-community-service-guide.pdf")
        .await;
    s.wait_converted(&admin, id, std::time::Duration::from_secs(120))
        .await;
    let patch = |body: Value| {
        client()
            .patch(format!("{}/api/v1/documents/{id}", s.url))
            .bearer_auth(&admin)
            .json(&body)
            .send()
    };
    assert_eq!(
        patch(json!({"price_kind": "paid"})).await.unwrap().status(),
        400,
        "a price is needed"
    );
    assert_eq!(
        patch(json!({"price_kind": "paid", "price": "-1"}))
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(
        patch(json!({"price_kind": "paid", "price": "3.00"}))
            .await
            .unwrap()
            .status(),
        200
    );

    // Before buying: the free preview only, no download.
    let doc_path = format!("/api/v1/documents/{id}");
    s.expect_statuses(&[
        (Some(&buyer), &format!("{doc_path}/pages/6"), 403),
        (Some(&buyer), &format!("{doc_path}/download"), 403),
    ])
    .await;
    let (_, q) = s
        .get_json(Some(&buyer), &format!("/api/v1/documents/{id}/purchase"))
        .await;
    assert_eq!(q["price"], 300);
    assert!(
        q["licence"].as_str().unwrap().contains("不是著作权"),
        "the licence is shown before paying"
    );

    let buy = |token: String, key: &'static str| {
        let url = format!("{}/api/v1/documents/{id}/purchase", s.url);
        async move {
            let r = client()
                .post(url)
                .bearer_auth(token)
                .header("Idempotency-Key", key)
                .send()
                .await
                .unwrap();
            let st = r.status().as_u16();
            (st, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (st, v) = buy(buyer.clone(), "b1").await;
    assert_eq!(st, 409, "{backend:?}: no money yet: {v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("balance"));
    assert_eq!(pay::credit(&s, &admin, "buyer", "5.00", "t1").await, 201);

    // Several clicks at once, a retry and a second key: one charge.
    let mut tasks = Vec::new();
    for key in ["b2", "b2", "b3", "b2"] {
        tasks.push(tokio::spawn(buy(buyer.clone(), key)));
    }
    let mut charged = 0;
    for t in tasks {
        let (st, v) = t.await.unwrap();
        assert!(st == 201 || st == 200, "{backend:?}: {st} {v}");
        charged += (v["charged"] == true) as i32;
        assert!(
            v["licence"].as_str().unwrap().contains("不是著作权"),
            "the receipt repeats the licence"
        );
    }
    assert_eq!(charged, 1, "{backend:?}: charged exactly once");
    let (_, w) = s.get_json(Some(&buyer), "/api/v1/me/wallet").await;
    assert_eq!(w["balance"], 200, "5.00 - 3.00");

    // The buyer reads everything and downloads again, though 2.00 < 3.00 now.
    assert_eq!(
        s.status_of(Some(&buyer), &format!("/api/v1/documents/{id}/pages/12"))
            .await,
        200
    );
    for _ in 0..2 {
        assert_eq!(
            s.status_of(Some(&buyer), &format!("/api/v1/documents/{id}/download"))
                .await,
            200
        );
    }
    assert_eq!(
        s.status_of(Some(&other), &format!("/api/v1/documents/{id}/download"))
            .await,
        403
    );
    let (_, p) = s.get_json(Some(&buyer), "/api/v1/me/purchases").await;
    assert_eq!(p["items"].as_array().unwrap().len(), 1);
    assert_eq!(p["items"][0]["receipt"]["document_id"], id);
    let html = page_text(&s, &buyer, "/me/purchases").await;
    assert!(
        html.contains(&format!("/documents/{id}/download")),
        "re-download from the purchase history"
    );

    s.assert_ledger_consistent();
}

both_dbs!(vip_members_download_against_their_quota);
async fn vip_members_download_against_their_quota(backend: Backend) {
    let s = Server::start(backend).await;
    let admin = s.user_token("admin", "admin").await;
    let member = s.user_token("vipper", "member").await;
    let mut docs = Vec::new();
    for f in [
        "documents/service-hotline-faq.txt",
        "documents/wanghu-residents-convention.txt",
    ] {
        let id = s.upload_fixture(&admin, f).await;
        s.wait_converted(&admin, id, std::time::Duration::from_secs(120))
            .await;
        set_price(&s, &admin, id, "vip", "2.00").await;
        docs.push(id);
    }
    let dl = |id: i64| {
        let (url, t) = (
            format!("{}/api/v1/documents/{id}/download", s.url),
            member.clone(),
        );
        async move {
            client()
                .get(url)
                .bearer_auth(t)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(dl(docs[0]).await, 403, "{backend:?}: not a member yet");

    let (_, plans) = s.get_json(None, "/api/v1/vip/plans").await;
    let plan = plans["items"][0].clone();
    assert_eq!(plan["downloads"], 10);
    let buy = |key: &'static str| {
        let (url, t) = (
            format!("{}/api/v1/vip/plans/{}/buy", s.url, plan["id"]),
            member.clone(),
        );
        async move {
            let r = client()
                .post(url)
                .bearer_auth(t)
                .header("Idempotency-Key", key)
                .send()
                .await
                .unwrap();
            (
                r.status().as_u16(),
                r.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    assert_eq!(buy("v1").await.0, 409, "no balance");
    assert_eq!(
        pay::credit(&s, &admin, "vipper", "40.00", "t-vip").await,
        201
    );
    let (st, v) = buy("v2").await;
    assert_eq!(st, 201, "{v}");
    let (st, v) = buy("v2").await;
    assert_eq!(
        (st, v["charged"].clone()),
        (200, json!(false)),
        "a retried purchase is not charged"
    );
    assert_eq!(v["membership"]["rights_total"], 10);

    // First download of each VIP document uses one right; downloading again is free.
    assert_eq!(dl(docs[0]).await, 200);
    assert_eq!(dl(docs[0]).await, 200);
    assert_eq!(dl(docs[1]).await, 200);
    let (_, m) = s.get_json(Some(&member), "/api/v1/me/membership").await;
    assert_eq!(m["membership"]["rights_used"], 2, "{backend:?}: {m}");

    // With no rights left the member is told so; the paid route stays open.
    let pool = s.db().await;
    sqlx::query("UPDATE library_memberships SET rights_total = rights_used")
        .execute(&pool)
        .await
        .unwrap();
    let third = s
        .upload_fixture(
            &admin,
            "documents/neighbourhood-watch-volunteer-recruitment.txt",
        )
        .await;
    s.wait_converted(&admin, third, std::time::Duration::from_secs(120))
        .await;
    set_price(&s, &admin, third, "vip", "2.00").await;
    let r = s.download(&member, third).await;
    assert_eq!(r.status(), 403);
    let v: Value = r.json().await.unwrap();
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no download rights left"),
        "{v}"
    );
    assert_eq!(dl(docs[0]).await, 200, "earlier VIP downloads stay free");
    let r = client()
        .post(format!("{}/api/v1/documents/{third}/purchase", s.url))
        .bearer_auth(&member)
        .header("Idempotency-Key", "p-third")
        .send()
        .await
        .unwrap();
    let st = r.status().as_u16();
    let body = r.text().await.unwrap();
    assert_eq!(st, 201, "the paid route: {body}");
    assert_eq!(dl(third).await, 200);

    s.assert_ledger_consistent();
}

both_dbs!(contributors_earn_by_quality_and_type);
async fn contributors_earn_by_quality_and_type(backend: Backend) {
    let s = Server::start(backend).await;
    let [admin, moderator, author, buyer] =
        s.accounts("admin=admin mod=moderator author buyer").await;
    let id = s
        .published(&author, &moderator, "service-hotline-faq.txt")
        .await;
    // Authors price their work but do not rate it (403); a rating is at most 5.
    let doc = format!("/api/v1/documents/{id}");
    let (author_, moderator_) = (Some(author.as_str()), Some(moderator.as_str()));
    let paid = json!({"price_kind": "paid", "price": "3.00"});
    let (five, six) = (json!({"quality": 5}), json!({"quality": 6}));
    expect_each(
        &s,
        &[
            ("PATCH", author_, &doc, Some(&paid), 200),
            ("PATCH", author_, &doc, Some(&five), 403),
            ("PATCH", moderator_, &doc, Some(&six), 400),
            ("PATCH", moderator_, &doc, Some(&five), 200),
        ],
    )
    .await;

    // Rules are the operator's: only administrators change them.
    let rules =
        json!([{"price_kind": "paid", "original": false, "share_permille": 500, "vip_fen": 0}]);
    let put = |token: &str| {
        client()
            .put(format!("{}/api/v1/admin/reward-rules", s.url))
            .bearer_auth(token)
            .json(&rules)
            .send()
    };
    assert_eq!(put(&moderator).await.unwrap().status(), 403);
    assert_eq!(put(&admin).await.unwrap().status(), 200);

    assert_eq!(
        pay::credit(&s, &admin, "buyer", "10.00", "t-buyer").await,
        201
    );
    assert_eq!(pay::purchase(&s, &buyer, id, "p1").await, 201);
    // 300 分 × 500‰ (shared material) × 1,200‰ (quality 5, no downloads yet) = 180 分.
    let (_, e) = s.get_json(Some(&author), "/api/v1/me/earnings").await;
    assert_eq!(e["earnings"]["total"], 180, "{backend:?}: {e}");
    assert_eq!(e["earnings"]["by_document"][0][0], id);
    assert_eq!(e["earnings"]["by_month"].as_array().unwrap().len(), 1);
    let (_, e) = s.get_json(Some(&buyer), "/api/v1/me/earnings").await;
    assert_eq!(e["earnings"]["total"], 0);
    s.assert_ledger_consistent();
}

both_dbs!(operators_issue_vouchers_on_a_page_that_shows_codes_once);
async fn operators_issue_vouchers_on_a_page_that_shows_codes_once(backend: Backend) {
    let s = Server::start(backend).await;
    let [admin, moderator, member] = s.accounts("admin=admin mod=moderator reader").await;
    s.expect_statuses(&[
        (Some(&member), "/admin/vouchers", 403),
        (Some(&moderator), "/admin/vouchers", 403),
    ])
    .await;
    let page = crate::common::page_text(&s, &admin, "/admin/vouchers").await;
    assert!(
        page.contains("name=\"amount\"") && page.contains("name=\"count\""),
        "{page}"
    );
    let issue = |token: &str, amount: &str, count: &str| {
        client()
            .post(format!("{}/admin/vouchers", s.url))
            .bearer_auth(token.to_string())
            .form(&[("amount", amount.to_string()), ("count", count.to_string())])
            .send()
    };
    assert_eq!(issue(&member, "5.00", "3").await.unwrap().status(), 403);
    let r = issue(&admin, "5.00", "0").await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.text().await.unwrap().contains("alert-error"),
        "count 0 is refused on the form"
    );
    let r = issue(&admin, "5.00", "3").await.unwrap();
    assert_eq!(r.status(), 200, "{backend:?}");
    assert_eq!(r.headers()["cache-control"], "no-store");
    let html = r.text().await.unwrap();
    let codes: Vec<String> = html
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|w| w.len() == 19 && w.matches('-').count() == 3)
        .map(str::to_string)
        .collect();
    assert_eq!(codes.len(), 3, "{html}");
    let (st, v) = crate::rights::send(
        client()
            .post(format!("{}/api/v1/me/vouchers/redeem", s.url))
            .bearer_auth(&member)
            .header("Idempotency-Key", "redeem-1")
            .json(&json!({"code": codes[0]})),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    // Shown once: the list has the vouchers, not their codes.
    let page = crate::common::page_text(&s, &admin, "/admin/vouchers").await;
    assert!(!page.contains(&codes[1]), "{page}");
    assert_eq!(page.matches("¥5.00").count(), 3, "{page}");
    assert!(page.contains("已兑换"), "{page}");
}
