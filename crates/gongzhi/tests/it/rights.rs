//! Rights and trust: copyright complaints and claims from verified rights holders (or
//! enough different people) take a document down pending review;
//! a reviewer restores, removes or transfers it (earnings follow the new owner); reports
//! hide it after K reporters; both sides are notified — on every backend.

use crate::common::reply::Reply;
use crate::common::{Backend, Server, both_dbs, client, expect_each, get_html, pay, set_price};
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

/// Whether the bearer of `token` has a notification of this kind.
async fn heard(s: &Server, token: &str, kind: &str) -> bool {
    s.notice_kinds(token).await.iter().any(|k| k == kind)
}

/// How many complaints wait in the reviewers' queue.
async fn queued(s: &Server, moderator: &str) -> usize {
    let q = s.get(moderator, "/api/v1/complaints").await.want(200);
    q["items"].as_array().unwrap().len()
}

/// Files a complaint (or report) about document `id` as the bearer of `token`.
async fn complain(s: &Server, token: &str, id: i64, body: Value) -> Reply {
    let path = format!("/api/v1/documents/{id}/complaints");
    s.post(token, &path, Some(&body)).await
}

/// A reviewer's decision on complaint `id` as the bearer of `token`.
async fn decide(s: &Server, token: &str, id: i64, decision: &str) -> Reply {
    let body = json!({"decision": decision, "note": "核实了出版合同。"});
    let path = format!("/api/v1/complaints/{id}/decide");
    s.post(token, &path, Some(&body)).await
}

/// The id of the complaint a filing answered with.
fn complaint_id(v: &Value) -> i64 {
    v["complaint"]["id"].as_i64().unwrap()
}

const SETTINGS: &str = "/api/v1/admin/library-settings";

pub async fn buy(s: &Server, admin: &str, who: &str, token: &str, id: i64) {
    assert_eq!(
        pay::credit(s, admin, who, "10.00", &format!("top-{who}")).await,
        201
    );
    assert_eq!(
        pay::purchase(s, token, id, &format!("buy-{who}")).await,
        201
    );
}

async fn earned(s: &Server, token: &str) -> i64 {
    let (_, e) = s.get_json(Some(token), "/api/v1/me/earnings").await;
    e["earnings"]["total"].as_i64().unwrap()
}

const FAQ: &str = "service-hotline-faq.txt";
const CONVENTION: &str = "wanghu-residents-convention.txt";

both_dbs!(complaints_take_down_and_reviewers_restore_remove_or_transfer);
async fn complaints_take_down_and_reviewers_restore_remove_or_transfer(backend: Backend) {
    let s = Server::start(backend).await;
    let [admin, moderator, author, claimant, buyer, buyer2] = s
        .accounts("admin=admin mod=moderator author claimant buyer buyer2")
        .await;
    let [a, b, c] = s
        .published_each(
            &author,
            &moderator,
            [FAQ, CONVENTION, "grid-management-measures.md"],
        )
        .await;
    set_price(&s, &author, a, "paid", "3.00").await;
    buy(&s, &admin, "buyer", &buyer, a).await;
    let author_before = earned(&s, &author).await;
    assert!(author_before > 0);

    // Filing: signed in, with evidence, not about one's own work, once.
    let evidence = "本文第2至5页摘自我2024年出版的《社区服务实务》，附出版合同与原稿截图。";
    // The operator has checked the claimant's identity and rights: their complaints
    // take a document down at once.
    let holder = json!({"username": "claimant", "note": "核验身份证与出版合同"});
    s.post(&admin, "/api/v1/admin/rights-holders", Some(&holder))
        .await
        .want(201);
    let copyright = json!({"kind": "copyright", "evidence": evidence});
    let too_short = json!({"kind": "copyright", "evidence": "太短"});
    let other = json!({"kind": "other", "evidence": evidence});
    let about_a = format!("/api/v1/documents/{a}/complaints");
    let (claimant_, author_) = (Some(claimant.as_str()), Some(author.as_str()));
    expect_each(
        &s,
        &[
            ("POST", None, &about_a, Some(&copyright), 401),
            ("POST", claimant_, &about_a, Some(&too_short), 400),
            ("POST", claimant_, &about_a, Some(&other), 400),
            ("POST", author_, &about_a, Some(&copyright), 409),
        ],
    )
    .await;
    let claim = json!({"kind": "claim", "evidence": evidence, "contact": "claimant@example.org"});
    let v = complain(&s, &claimant, a, claim).await.want(201);
    let ca = complaint_id(&v);
    // Hidden pending review: there is nothing left for others to see or complain about.
    let again = json!({"kind": "claim", "evidence": evidence});
    complain(&s, &claimant, a, again).await.want(404);

    // Taken down pending review: hidden from readers, visible to its uploader.
    assert_eq!(status(&s, &author, a).await, "taken_down");
    assert_eq!(
        s.status_of(Some(&buyer2), &format!("/api/v1/documents/{a}"))
            .await,
        404
    );
    assert!(heard(&s, &author, "complaint_received").await);
    assert!(heard(&s, &claimant, "complaint_filed").await);

    // Only reviewers see the queue and decide; the complainant sees their own.
    s.expect_statuses(&[
        (Some(&author), "/api/v1/complaints", 403),
        (Some(&author), &format!("/api/v1/complaints/{ca}"), 404),
        (Some(&claimant), &format!("/api/v1/complaints/{ca}"), 200),
    ])
    .await;
    assert_eq!(queued(&s, &moderator).await, 1);
    decide(&s, &author, ca, "restore").await.want(403);
    decide(&s, &moderator, ca, "keep").await.want(400);

    // Transfer: the claimant owns it, it is public again, and future earnings are theirs;
    // a complaint is decided once (then 409).
    let v = decide(&s, &moderator, ca, "transfer").await.want(200);
    assert_eq!(v["complaint"]["decision"], "transfer");
    decide(&s, &moderator, ca, "restore").await.want(409);
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
    assert!(heard(&s, &author, "complaint_decided").await);
    assert!(heard(&s, &claimant, "complaint_decided").await);
    let (_, n) = s
        .get_json(Some(&claimant), "/api/v1/me/notifications")
        .await;
    assert!(n["unread"].as_i64().unwrap() >= 2);
    s.post(&claimant, "/api/v1/me/notifications/read", Some(&json!({})))
        .await
        .want(200);
    let (_, n) = s
        .get_json(Some(&claimant), "/api/v1/me/notifications")
        .await;
    assert_eq!(n["unread"], 0);

    // Restore: the complaint does not hold.
    let v = complain(&s, &claimant, b, copyright.clone())
        .await
        .want(201);
    assert_eq!(status(&s, &author, b).await, "taken_down");
    decide(&s, &moderator, complaint_id(&v), "restore")
        .await
        .want(200);
    assert_eq!(status(&s, &buyer, b).await, "ready");
    let (_, d) = s
        .get_json(Some(&buyer), &format!("/api/v1/documents/{b}"))
        .await;
    assert_eq!(d["uploader"]["name"], "author");

    // Remove: gone for good, for everyone.
    let v = complain(&s, &claimant, c, copyright.clone()).await.body;
    decide(&s, &moderator, complaint_id(&v), "remove")
        .await
        .want(200);
    let doc_path = format!("/api/v1/documents/{c}");
    s.expect_statuses(&[
        (Some(&moderator), &doc_path, 404),
        (Some(&author), &doc_path, 404),
    ])
    .await;

    // Operator settings (the operator's, not a moderator's): no take-down on complaint;
    // reports hide after two reporters.
    let settings = json!({"takedown_on_complaint": false, "report_hide_threshold": 2, "comments_premoderated": false});
    s.put(&moderator, SETTINGS, Some(&settings)).await.want(403);
    s.put(&admin, SETTINGS, Some(&settings)).await.want(200);
    complain(&s, &claimant, b, copyright).await.want(201);
    assert_eq!(
        status(&s, &buyer, b).await,
        "ready",
        "{backend:?}: no take-down when switched off"
    );
    let report =
        |reason: &str| complain(&s, &buyer, b, json!({"kind": "report", "reason": reason}));
    report("gossip").await.want(400);
    report("spam").await.want(201);
    // One person, one report.
    report("illegal").await.want(409);
    assert_eq!(status(&s, &buyer2, b).await, "ready");
    let personal = json!({"kind": "report", "reason": "personal_rights", "evidence": "第3页公开了居民住址与电话。"});
    let v = complain(&s, &buyer2, b, personal).await.want(201);
    assert_eq!(
        s.status_of(Some(&buyer), &format!("/api/v1/documents/{b}"))
            .await,
        404,
        "{backend:?}: hidden after 2 reporters"
    );
    assert_eq!(queued(&s, &moderator).await, 3);
    // A report cannot transfer ownership.
    decide(&s, &moderator, complaint_id(&v), "transfer")
        .await
        .want(400);
    decide(&s, &moderator, complaint_id(&v), "restore")
        .await
        .want(200);
    assert_eq!(
        queued(&s, &moderator).await,
        0,
        "one decision settles the document's complaints"
    );
    assert_eq!(status(&s, &buyer, b).await, "ready");
    assert!(heard(&s, &buyer, "complaint_decided").await);

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
    let [a, b] = s
        .published_each(&author, &moderator, [FAQ, CONVENTION])
        .await;
    let evidence = "此文摘自我单位内部手册第三章，附手册封面与目录页照片。";
    let copyright = json!({"kind": "copyright", "evidence": evidence});
    let file = async |token: &str, id: i64| complain(&s, token, id, copyright.clone()).await;

    // One fresh account's complaint: the document stays public; the complaint waits
    // in the queue with a deadline 72 hours on.
    let v = file(&newcomers[0], a).await.want(201);
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
    assert!(heard(&s, &author, "complaint_received").await);

    // The second of K = 3 still waits; the third distinct complainant takes it down.
    file(&newcomers[1], a).await.want(201);
    assert_eq!(status(&s, &author, a).await, "ready");
    file(&newcomers[2], a).await.want(201);
    assert_eq!(status(&s, &author, a).await, "taken_down", "{backend:?}");

    // Only operators verify rights holders; a verified one takes a document down alone.
    let body = json!({"username": "new0", "note": "核验身份证与著作权登记证书"});
    let holders = "/api/v1/admin/rights-holders";
    s.post(&moderator, holders, Some(&body)).await.want(403);
    s.post(&admin, holders, Some(&body)).await.want(201);
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
    let v = file(&newcomers[0], b).await.want(201);
    assert_eq!(v["complaint"]["verified_complainant"], true, "{v}");
    assert_eq!(status(&s, &author, b).await, "taken_down", "{backend:?}");

    // K is the operator's setting, and the terms state the rule in force.
    let five = json!({"takedown_on_complaint": true, "report_hide_threshold": 3,
                "comments_premoderated": false, "complaint_quorum": 5, "complaint_review_hours": 48});
    let v = s.put(&admin, SETTINGS, Some(&five)).await.want(200);
    assert_eq!(v["settings"]["complaint_quorum"], 5);
    let none = json!({"takedown_on_complaint": true, "report_hide_threshold": 3,
                "comments_premoderated": false, "complaint_quorum": 0});
    s.put(&admin, SETTINGS, Some(&none)).await.want(400);
    let terms = get_html(&client(), format!("{}/terms", s.url)).await;
    assert!(terms.contains("一次投诉不会让文档下架"), "{terms}");
    assert!(terms.contains(" 5 ") && terms.contains(" 48 "), "{terms}");
}
