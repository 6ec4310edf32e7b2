//! Rights and trust: copyright complaints and claims from verified rights holders (or
//! enough different people) take a document down pending review;
//! a reviewer restores, removes or transfers it (earnings follow the new owner); reports
//! hide it after K reporters; both sides are notified — on every backend.

use crate::common::{Backend, Server, both_dbs, client, get_html, pay, set_price};
use serde_json::{Value, json};

/// A JSON POST (bearer token optional); the status and the body.
pub async fn post(s: &Server, token: Option<&str>, path: &str, body: Value) -> (u16, Value) {
    crate::common::send(s, "POST", token, path, Some(&body)).await
}

pub async fn send(r: reqwest::RequestBuilder) -> (u16, Value) {
    crate::common::answer(r.send().await.unwrap()).await
}

async fn status(s: &Server, token: &str, id: i64) -> String {
    let (st, v) = s
        .get_json(Some(token), &format!("/api/v1/documents/{id}"))
        .await;
    assert_eq!(st, 200, "{v}");
    v["status"].as_str().unwrap().to_string()
}

async fn kinds(s: &Server, token: &str) -> Vec<String> {
    s.notice_kinds(token).await
}

pub async fn buy(s: &Server, admin: &str, who: &str, token: &str, id: i64) {
    assert_eq!(
        pay::credit(&s, &admin, who, "10.00", &format!("top-{who}")).await,
        201
    );
    assert_eq!(
        pay::purchase(&s, token, id, &format!("buy-{who}")).await,
        201
    );
}

async fn earned(s: &Server, token: &str) -> i64 {
    let (_, e) = s.get_json(Some(token), "/api/v1/me/earnings").await;
    e["earnings"]["total"].as_i64().unwrap()
}

both_dbs!(complaints_take_down_and_reviewers_restore_remove_or_transfer);
async fn complaints_take_down_and_reviewers_restore_remove_or_transfer(backend: Backend) {
    let s = Server::start(backend).await;
    let [admin, moderator, author, claimant, buyer, buyer2] = s
        .accounts("admin=admin mod=moderator author claimant buyer buyer2")
        .await;
    let a = s
        .published(&author, &moderator, "service-hotline-faq.txt")
        .await;
    let b = s
        .published(&author, &moderator, "wanghu-residents-convention.txt")
        .await;
    let c = s
        .published(&author, &moderator, "grid-management-measures.md")
        .await;
    set_price(&s, &author, a, "paid", "3.00").await;
    buy(&s, &admin, "buyer", &buyer, a).await;
    let author_before = earned(&s, &author).await;
    assert!(author_before > 0);

    // Filing: signed in, with evidence, not about one's own work, once.
    let complain = |token: Option<String>, id: i64, body: Value| {
        let s = &s;
        async move {
            post(
                s,
                token.as_deref(),
                &format!("/api/v1/documents/{id}/complaints"),
                body,
            )
            .await
        }
    };
    let evidence = "本文第2至5页摘自我2024年出版的《社区服务实务》，附出版合同与原稿截图。";
    // The operator has checked the claimant's identity and rights: their complaints
    // take a document down at once.
    let (st, v) = post(
        &s,
        Some(&admin),
        "/api/v1/admin/rights-holders",
        json!({"username": "claimant", "note": "核验身份证与出版合同"}),
    )
    .await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(
        complain(None, a, json!({"kind": "copyright", "evidence": evidence}))
            .await
            .0,
        401
    );
    assert_eq!(
        complain(
            Some(claimant.clone()),
            a,
            json!({"kind": "copyright", "evidence": "太短"})
        )
        .await
        .0,
        400
    );
    assert_eq!(
        complain(
            Some(claimant.clone()),
            a,
            json!({"kind": "other", "evidence": evidence})
        )
        .await
        .0,
        400
    );
    assert_eq!(
        complain(
            Some(author.clone()),
            a,
            json!({"kind": "copyright", "evidence": evidence})
        )
        .await
        .0,
        409
    );
    let (st, v) = complain(
        Some(claimant.clone()),
        a,
        json!({"kind": "claim", "evidence": evidence, "contact": "claimant@example.org"}),
    )
    .await;
    assert_eq!(st, 201, "{backend:?}: {v}");
    let ca = v["complaint"]["id"].as_i64().unwrap();
    // Hidden pending review: there is nothing left for others to see or complain about.
    assert_eq!(
        complain(
            Some(claimant.clone()),
            a,
            json!({"kind": "claim", "evidence": evidence})
        )
        .await
        .0,
        404
    );

    // Taken down pending review: hidden from readers, visible to its uploader.
    assert_eq!(status(&s, &author, a).await, "taken_down");
    assert_eq!(
        s.status_of(Some(&buyer2), &format!("/api/v1/documents/{a}"))
            .await,
        404
    );
    assert!(
        kinds(&s, &author)
            .await
            .contains(&"complaint_received".to_string())
    );
    assert!(
        kinds(&s, &claimant)
            .await
            .contains(&"complaint_filed".to_string())
    );

    // Only reviewers see the queue and decide; the complainant sees their own.
    s.expect_statuses(&[
        (Some(&author), "/api/v1/complaints", 403),
        (Some(&author), &format!("/api/v1/complaints/{ca}"), 404),
        (Some(&claimant), &format!("/api/v1/complaints/{ca}"), 200),
    ])
    .await;
    let (_, q) = s.get_json(Some(&moderator), "/api/v1/complaints").await;
    assert_eq!(q["items"].as_array().unwrap().len(), 1);
    let decide = |token: String, id: i64, decision: &'static str| {
        let s = &s;
        async move {
            post(
                s,
                Some(&token),
                &format!("/api/v1/complaints/{id}/decide"),
                json!({"decision": decision, "note": "核实了出版合同。"}),
            )
            .await
        }
    };
    assert_eq!(decide(author.clone(), ca, "restore").await.0, 403);
    assert_eq!(decide(moderator.clone(), ca, "keep").await.0, 400);

    // Transfer: the claimant owns it, it is public again, and future earnings are theirs.
    let (st, v) = decide(moderator.clone(), ca, "transfer").await;
    assert_eq!(st, 200, "{backend:?}: {v}");
    assert_eq!(v["complaint"]["decision"], "transfer");
    assert_eq!(
        decide(moderator.clone(), ca, "restore").await.0,
        409,
        "decided once"
    );
    let (_, d) = s
        .get_json(Some(&buyer2), &format!("/api/v1/documents/{a}"))
        .await;
    assert_eq!(d["status"], "ready");
    assert_eq!(d["uploader"]["name"], "claimant");
    buy(&s, &admin, "buyer2", &buyer2, a).await;
    assert_eq!(
        earned(&s, &author).await,
        author_before,
        "{backend:?}: past earnings stay, future ones move"
    );
    assert!(
        earned(&s, &claimant).await > 0,
        "{backend:?}: the new owner earns"
    );
    assert!(
        kinds(&s, &author)
            .await
            .contains(&"complaint_decided".to_string())
    );
    assert!(
        kinds(&s, &claimant)
            .await
            .contains(&"complaint_decided".to_string())
    );
    let (_, n) = s
        .get_json(Some(&claimant), "/api/v1/me/notifications")
        .await;
    assert!(n["unread"].as_i64().unwrap() >= 2);
    let (st, _) = post(
        &s,
        Some(&claimant),
        "/api/v1/me/notifications/read",
        json!({}),
    )
    .await;
    assert_eq!(st, 200);
    let (_, n) = s
        .get_json(Some(&claimant), "/api/v1/me/notifications")
        .await;
    assert_eq!(n["unread"], 0);

    // Restore: the complaint does not hold.
    let (st, v) = complain(
        Some(claimant.clone()),
        b,
        json!({"kind": "copyright", "evidence": evidence}),
    )
    .await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(status(&s, &author, b).await, "taken_down");
    let (st, _) = decide(
        moderator.clone(),
        v["complaint"]["id"].as_i64().unwrap(),
        "restore",
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(status(&s, &buyer, b).await, "ready");
    let (_, d) = s
        .get_json(Some(&buyer), &format!("/api/v1/documents/{b}"))
        .await;
    assert_eq!(d["uploader"]["name"], "author");

    // Remove: gone for good, for everyone.
    let (_, v) = complain(
        Some(claimant.clone()),
        c,
        json!({"kind": "copyright", "evidence": evidence}),
    )
    .await;
    let (st, _) = decide(
        moderator.clone(),
        v["complaint"]["id"].as_i64().unwrap(),
        "remove",
    )
    .await;
    assert_eq!(st, 200);
    let doc_path = format!("/api/v1/documents/{c}");
    s.expect_statuses(&[
        (Some(&moderator), &doc_path, 404),
        (Some(&author), &doc_path, 404),
    ])
    .await;

    // Operator settings: no take-down on complaint; reports hide after two reporters.
    assert_eq!(crate::common::status(&s, "PUT", Some(&moderator), "/api/v1/admin/library-settings", Some(&json!({"takedown_on_complaint": false, "report_hide_threshold": 2, "comments_premoderated": false}))).await, 403, "settings are the operator's");
    assert_eq!(crate::common::status(&s, "PUT", Some(&admin), "/api/v1/admin/library-settings", Some(&json!({"takedown_on_complaint": false, "report_hide_threshold": 2, "comments_premoderated": false}))).await, 200);
    let (st, _) = complain(
        Some(claimant.clone()),
        b,
        json!({"kind": "copyright", "evidence": evidence}),
    )
    .await;
    assert_eq!(st, 201);
    assert_eq!(
        status(&s, &buyer, b).await,
        "ready",
        "{backend:?}: no take-down when switched off"
    );
    let report = |reason: &str| {
        complain(
            Some(buyer.clone()),
            b,
            json!({"kind": "report", "reason": reason}),
        )
    };
    assert_eq!(report("gossip").await.0, 400);
    assert_eq!(report("spam").await.0, 201);
    assert_eq!(report("illegal").await.0, 409, "one person, one report");
    assert_eq!(status(&s, &buyer2, b).await, "ready");
    let (st, v) = complain(Some(buyer2.clone()), b, json!({"kind": "report", "reason": "personal_rights", "evidence": "第3页公开了居民住址与电话。"})).await;
    assert_eq!(st, 201);
    assert_eq!(
        s.status_of(Some(&buyer), &format!("/api/v1/documents/{b}"))
            .await,
        404,
        "{backend:?}: hidden after 2 reporters"
    );
    let (_, q) = s.get_json(Some(&moderator), "/api/v1/complaints").await;
    assert_eq!(q["items"].as_array().unwrap().len(), 3);
    let (st, _) = decide(
        moderator.clone(),
        v["complaint"]["id"].as_i64().unwrap(),
        "transfer",
    )
    .await;
    assert_eq!(st, 400, "a report cannot transfer ownership");
    let (st, _) = decide(
        moderator.clone(),
        v["complaint"]["id"].as_i64().unwrap(),
        "restore",
    )
    .await;
    assert_eq!(st, 200);
    let (_, q) = s.get_json(Some(&moderator), "/api/v1/complaints").await;
    assert_eq!(
        q["items"].as_array().unwrap().len(),
        0,
        "one decision settles the document's complaints"
    );
    assert_eq!(status(&s, &buyer, b).await, "ready");
    assert!(
        kinds(&s, &buyer)
            .await
            .contains(&"complaint_decided".to_string())
    );

    let out = s.run_cli(&["audit-check"], None);
    assert!(out.contains("intact"), "{out}");
    let decided = s.scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM platform_audit WHERE action = 'library.complaint.decide'").await;
    assert_eq!(decided, 4, "{backend:?}: every decision is audited");
    s.assert_ledger_consistent();
}

both_dbs!(one_complaint_from_a_new_account_waits_for_review);
async fn one_complaint_from_a_new_account_waits_for_review(backend: Backend) {
    let s = Server::start(backend).await;
    let [admin, moderator, author] = s.accounts("admin=admin mod=moderator author").await;
    let mut newcomers = Vec::new();
    for i in 0..3 {
        newcomers.push(s.user_token(&format!("new{i}"), "member").await);
    }
    let a = s
        .published(&author, &moderator, "service-hotline-faq.txt")
        .await;
    let b = s
        .published(&author, &moderator, "wanghu-residents-convention.txt")
        .await;
    let evidence = "此文摘自我单位内部手册第三章，附手册封面与目录页照片。";
    let complain = |token: String, id: i64| {
        let s = &s;
        async move {
            post(
                s,
                Some(&token),
                &format!("/api/v1/documents/{id}/complaints"),
                json!({"kind": "copyright", "evidence": evidence}),
            )
            .await
        }
    };

    // One fresh account's complaint: the document stays public; the complaint waits
    // in the queue with a deadline 72 hours on.
    let (st, v) = complain(newcomers[0].clone(), a).await;
    assert_eq!(st, 201, "{backend:?}: {v}");
    let c = &v["complaint"];
    assert_eq!(
        c["review_by"].as_i64().unwrap() - c["created_at"].as_i64().unwrap(),
        72 * 3_600_000,
        "{c}"
    );
    assert_eq!(c["verified_complainant"], false);
    assert_eq!(status(&s, &author, a).await, "ready", "{backend:?}");
    assert_eq!(
        s.status_of(None, &format!("/api/v1/documents/{a}")).await,
        200
    );
    let html = crate::common::page_text(&s, &moderator, "/moderation/complaints").await;
    assert!(
        html.contains("审核期限") && html.contains("id=\"takedown-rule\""),
        "{html}"
    );
    assert!(
        kinds(&s, &author)
            .await
            .contains(&"complaint_received".to_string())
    );

    // The second of K = 3 still waits; the third distinct complainant takes it down.
    assert_eq!(complain(newcomers[1].clone(), a).await.0, 201);
    assert_eq!(status(&s, &author, a).await, "ready");
    assert_eq!(complain(newcomers[2].clone(), a).await.0, 201);
    assert_eq!(status(&s, &author, a).await, "taken_down", "{backend:?}");

    // Only operators verify rights holders; a verified one takes a document down alone.
    let body = json!({"username": "new0", "note": "核验身份证与著作权登记证书"});
    let (st, _) = post(
        &s,
        Some(&moderator),
        "/api/v1/admin/rights-holders",
        body.clone(),
    )
    .await;
    assert_eq!(st, 403);
    let (st, _) = post(&s, Some(&admin), "/api/v1/admin/rights-holders", body).await;
    assert_eq!(st, 201);
    // The complaints page's form does the same for operators only.
    let form = |token: &str, verified: &'static str| {
        client()
            .post(format!("{}/moderation/rights-holders", s.url))
            .bearer_auth(token.to_string())
            .form(&[
                ("username", "new2"),
                ("note", "核验营业执照与授权书"),
                ("verified", verified),
            ])
            .send()
    };
    assert_eq!(form(&moderator, "1").await.unwrap().status(), 403);
    assert_eq!(form(&admin, "1").await.unwrap().status(), 303);
    let page = crate::common::page_text(&s, &admin, "/moderation/complaints").await;
    assert!(
        page.contains("@new2") && page.contains("核验营业执照与授权书"),
        "{page}"
    );
    assert_eq!(form(&admin, "0").await.unwrap().status(), 303);
    let (_, list) = s
        .get_json(Some(&admin), "/api/v1/admin/rights-holders")
        .await;
    assert_eq!(list["items"][0]["username"], "new0", "{list}");
    let (st, v) = complain(newcomers[0].clone(), b).await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["complaint"]["verified_complainant"], true, "{v}");
    assert_eq!(status(&s, &author, b).await, "taken_down", "{backend:?}");

    // K is the operator's setting, and the terms state the rule in force.
    let (st, v) = send(
        client()
            .put(format!("{}/api/v1/admin/library-settings", s.url))
            .bearer_auth(&admin)
            .json(&json!({"takedown_on_complaint": true, "report_hide_threshold": 3,
                "comments_premoderated": false, "complaint_quorum": 5, "complaint_review_hours": 48})),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["settings"]["complaint_quorum"], 5);
    let (st, _) = send(
        client()
            .put(format!("{}/api/v1/admin/library-settings", s.url))
            .bearer_auth(&admin)
            .json(
                &json!({"takedown_on_complaint": true, "report_hide_threshold": 3,
                "comments_premoderated": false, "complaint_quorum": 0}),
            ),
    )
    .await;
    assert_eq!(st, 400);
    let terms = get_html(&client(), format!("{}/terms", s.url)).await;
    assert!(terms.contains("一次投诉不会让文档下架"), "{terms}");
    assert!(terms.contains(" 5 ") && terms.contains(" 48 "), "{terms}");
}
