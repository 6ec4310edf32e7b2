//! VIP benefits: reading without the promotion block, format conversion, member badges and
//! hash-chained copyright certificates with a public verify page — on every backend.

use crate::common::{Backend, Server, both_dbs, client, each, get_html, page_text, pay, set_price};
use crate::rights::send;
use serde_json::json;

both_dbs!(member_benefits_are_real_and_refused_to_others);
async fn member_benefits_are_real_and_refused_to_others(backend: Backend) {
    let s = Server::start(backend).await;
    let [admin, moderator, author, reader, vip] = s
        .accounts("admin=admin mod=moderator author reader vipper")
        .await;
    let id = s
        .published(&author, &moderator, "service-hotline-faq.txt")
        .await;
    let pdf_id = s
        .published(&author, &moderator, "gongzhi-library-reader-guide.pdf")
        .await;
    for who in ["vipper", "author"] {
        assert_eq!(
            pay::credit(&s, &admin, who, "20.00", &format!("t-{who}")).await,
            201
        );
    }
    for t in [&vip, &author] {
        assert_eq!(pay::buy_vip(&s, t, "vip").await, 201);
    }
    let html = |token: String, path: String| {
        let s = &s;
        async move { page_text(s, &token, &path).await }
    };

    // (2) The operator's promotion block: non-members see it, members do not.
    let promo = json!({"text_zh": "社区志愿服务季报名开启", "text_en": "Volunteer season is open", "link": "/vip", "active": true});
    let put = |token: &str, body: serde_json::Value| {
        client()
            .put(format!("{}/api/v1/admin/promotion", s.url))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    assert_eq!(put(&moderator, promo.clone()).await.unwrap().status(), 403);
    let mut bad = promo.clone();
    bad["link"] = json!("javascript:alert(1)");
    assert_eq!(put(&admin, bad).await.unwrap().status(), 400);
    assert_eq!(put(&admin, promo).await.unwrap().status(), 200);
    assert!(
        html(reader.clone(), format!("/documents/{id}"))
            .await
            .contains("社区志愿服务季报名开启")
    );
    let page = get_html(&client(), format!("{}/documents/{id}", s.url)).await;
    assert!(
        page.contains("社区志愿服务季报名开启"),
        "anonymous readers see it too"
    );
    assert!(
        !html(vip.clone(), format!("/documents/{id}"))
            .await
            .contains("社区志愿服务季报名开启"),
        "{backend:?}: members read without it"
    );

    // (5) The member badge next to the name.
    let doc_html = html(reader.clone(), format!("/documents/{id}")).await;
    assert!(
        doc_html.contains(r#"title="VIP会员">VIP</span>"#),
        "the uploader is a member now"
    );

    // (3) Format conversion: members only, and only what they may download.
    let conv = |token: String, id: i64, f: &'static str| {
        let url = format!("{}/api/v1/documents/{id}/convert/{f}", s.url);
        async move { client().get(url).bearer_auth(token).send().await.unwrap() }
    };
    assert_eq!(conv(reader.clone(), id, "txt").await.status(), 403);
    assert_eq!(
        s.status_of(None, &format!("/api/v1/documents/{id}/convert/txt"))
            .await,
        401
    );
    assert_eq!(conv(vip.clone(), id, "docx").await.status(), 404);
    let r = conv(vip.clone(), id, "txt").await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = r.text().await.unwrap();
    assert!(text.contains("第 1 页"), "{text}");
    let r = conv(vip.clone(), id, "pdf").await;
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.unwrap();
    assert!(
        bytes.starts_with(b"%PDF-"),
        "{backend:?}: a PDF made from the text"
    );
    let r = conv(vip.clone(), pdf_id, "pdf").await;
    assert!(r.bytes().await.unwrap().starts_with(b"%PDF-"));
    // A paid document converts only for those who bought it.
    set_price(&s, &author, id, "paid", "2.00").await;
    assert_eq!(
        conv(vip.clone(), id, "txt").await.status(),
        403,
        "{backend:?}: paywall holds"
    );

    // (8) Copyright registration: the uploader, a member, gets a chained certificate.
    let reg = |token: String, id: i64| {
        let url = format!("{}/api/v1/documents/{id}/certificate", s.url);
        async move { send(client().post(url).bearer_auth(token).json(&json!({}))).await }
    };
    assert_eq!(reg(vip.clone(), id).await.0, 403, "not the uploader");
    let (st, first) = reg(author.clone(), id).await;
    assert_eq!(st, 201, "{backend:?}: {first}");
    let (st, again) = reg(author.clone(), id).await;
    assert_eq!(
        (st, &again["certificate"]["code"]),
        (200, &first["certificate"]["code"])
    );
    let (st, second) = reg(author.clone(), pdf_id).await;
    assert_eq!(st, 201);
    assert_eq!(
        second["certificate"]["prev_hash"],
        first["certificate"]["hash"]
    );
    let code = second["certificate"]["code"].as_str().unwrap().to_string();
    let (st, v) = s
        .get_json(None, &format!("/api/v1/certificates/{code}"))
        .await;
    assert_eq!(st, 200);
    assert_eq!(v["chain_intact"], true);
    assert_eq!(v["certificate"]["file_sha256"].as_str().unwrap().len(), 64);
    assert_eq!(
        s.status_of(None, "/api/v1/certificates/not-a-code").await,
        404
    );
    let page = get_html(&client(), format!("{}/certificates/{code}", s.url)).await;
    assert!(page.contains("哈希链校验通过"));
    // Backdating the first certificate breaks the chain for everything after it.
    let pool = s.db().await;
    sqlx::query(
        "UPDATE library_certificates SET registered_at = registered_at - 86400000 WHERE seq = 1",
    )
    .execute(&pool)
    .await
    .unwrap();
    let (_, v) = s
        .get_json(None, &format!("/api/v1/certificates/{code}"))
        .await;
    assert_eq!(
        v["chain_intact"], false,
        "{backend:?}: backdating is detected"
    );
    assert_eq!(v["broken_at"], 1);
}

both_dbs!(members_tickets_come_first);
async fn members_tickets_come_first(backend: Backend) {
    let s = Server::start(backend).await;
    let [admin, moderator, reader, vip] =
        s.accounts("admin=admin mod=moderator reader vipper").await;
    assert_eq!(pay::credit(&s, &admin, "vipper", "20.00", "t").await, 201);
    assert_eq!(pay::buy_vip(&s, &vip, "vip").await, 201);
    let open = |token: Option<String>, subject: &'static str| {
        let url = format!("{}/api/v1/tickets", s.url);
        async move {
            let mut r = client()
                .post(url)
                .json(&json!({"subject": subject, "body": "下载后打不开文件。"}));
            if let Some(t) = token {
                r = r.bearer_auth(t);
            }
            send(r).await
        }
    };
    assert_eq!(open(None, "匿名").await.0, 401);
    assert_eq!(open(Some(reader.clone()), "普通读者的问题").await.0, 201);
    let (st, v) = open(Some(vip.clone()), "会员的问题").await;
    assert_eq!(st, 201);
    let vip_ticket = v["id"].as_i64().unwrap();
    assert_eq!(s.status_of(Some(&reader), "/api/v1/tickets").await, 403);
    let (_, q) = s.get_json(Some(&moderator), "/api/v1/tickets").await;
    let subjects: Vec<&str> = each(&q["items"])
        .map(|t| t["subject"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects,
        ["会员的问题", "普通读者的问题"],
        "{backend:?}: members first, though later"
    );
    let answer = |token: String| {
        let url = format!("{}/api/v1/tickets/{vip_ticket}/answer", s.url);
        async move {
            send(
                client()
                    .post(url)
                    .bearer_auth(token)
                    .json(&json!({"answer": "请换用最新版阅读器再试。"})),
            )
            .await
        }
    };
    assert_eq!(answer(reader.clone()).await.0, 403);
    assert_eq!(answer(moderator.clone()).await.0, 200);
    assert_eq!(answer(moderator.clone()).await.0, 409, "answered once");
    let (_, mine) = s.get_json(Some(&vip), "/api/v1/me/tickets").await;
    assert_eq!(mine["items"][0]["state"], "answered");
    let (_, n) = s.get_json(Some(&vip), "/api/v1/me/notifications").await;
    assert_eq!(n["items"][0]["kind"], "ticket_answered");
    s.expect_statuses(&[
        (Some(&reader), "/moderation/tickets", 403),
        (Some(&moderator), "/moderation/tickets", 200),
        (Some(&reader), "/support", 200),
    ])
    .await;
}
