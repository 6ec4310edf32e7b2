//! Every money, rights and reader route with every role: the library's one authorize()
//! decides, and the pages render (Chinese first, English on request) — on every backend.

use crate::common::{Backend, Server, both_dbs, page_in};
use crate::payments::{env, topup};

both_dbs!(every_money_and_rights_route_with_every_role);
async fn every_money_and_rights_route_with_every_role(backend: Backend) {
    let s = Server::start_with(backend, &env()).await;
    let [admin, moderator, member, author] =
        s.accounts("admin=admin mod=moderator member author").await;
    let doc = s
        .published(&author, &moderator, "service-hotline-faq.txt")
        .await;
    let (_, v) = topup(&s, &member, "k", "5.00").await;
    let order = v["order"]["id"].as_i64().unwrap();
    let tokens = [
        None,
        Some(member.as_str()),
        Some(moderator.as_str()),
        Some(admin.as_str()),
    ];
    // [anonymous, member, moderator, administrator]
    let routes: Vec<(String, [u16; 4])> = vec![
        ("/api/v1/me/payments".into(), [401, 200, 200, 200]),
        (format!("/api/v1/me/payments/{order}"), [401, 200, 404, 404]),
        ("/api/v1/admin/payments".into(), [401, 403, 403, 200]),
        (
            format!("/api/v1/admin/payments/{order}"),
            [401, 403, 403, 200],
        ),
        ("/api/v1/payments/providers".into(), [401, 200, 200, 200]),
        ("/api/v1/complaints".into(), [401, 403, 200, 200]),
        ("/api/v1/me/complaints".into(), [401, 200, 200, 200]),
        ("/api/v1/me/notifications".into(), [401, 200, 200, 200]),
        (
            "/api/v1/admin/library-settings".into(),
            [401, 403, 403, 200],
        ),
        ("/api/v1/comments".into(), [401, 403, 200, 200]),
        ("/api/v1/me/favourites".into(), [401, 200, 200, 200]),
        // Synced progress is a VIP benefit (staff may always use it).
        ("/api/v1/me/progress".into(), [401, 403, 200, 200]),
        (
            format!("/api/v1/documents/{doc}/comments"),
            [200, 200, 200, 200],
        ),
        (
            format!("/api/v1/documents/{doc}/rating"),
            [200, 200, 200, 200],
        ),
        ("/me/wallet".into(), [303, 200, 200, 200]),
        ("/admin/payments".into(), [303, 403, 403, 200]),
        ("/admin/vouchers".into(), [303, 403, 403, 200]),
        ("/api/v1/admin/rights-holders".into(), [401, 403, 403, 200]),
        // The uploader and staff edit; a published document is forbidden to others.
        (format!("/documents/{doc}/edit"), [303, 403, 200, 200]),
        ("/support".into(), [303, 200, 200, 200]),
        ("/moderation/tickets".into(), [303, 403, 200, 200]),
        ("/api/v1/tickets".into(), [401, 403, 200, 200]),
        ("/api/v1/me/tickets".into(), [401, 200, 200, 200]),
        ("/api/v1/admin/promotion".into(), [401, 403, 403, 200]),
        ("/me/notifications".into(), [303, 200, 200, 200]),
        ("/me/favourites".into(), [303, 200, 200, 200]),
        (format!("/pay/sandbox/{order}"), [303, 200, 404, 404]),
        (format!("/documents/{doc}/complain"), [303, 200, 200, 200]),
        ("/moderation/complaints".into(), [303, 403, 200, 200]),
        ("/moderation/comments".into(), [303, 403, 200, 200]),
        ("/disclaimer".into(), [200, 200, 200, 200]),
        ("/terms".into(), [200, 200, 200, 200]),
        (format!("/documents/{doc}"), [200, 200, 200, 200]),
    ];
    for (path, expected) in &routes {
        for (token, want) in tokens.iter().zip(expected) {
            let got = s.status_of(*token, path).await;
            assert_eq!(got, *want, "{backend:?}: GET {path} as {token:?}");
        }
    }
    // Pages speak Chinese first, English on request, and teach when empty.
    let page = |path: String, token: String, lang: &'static str| {
        let s = &s;
        async move { page_in(s, &token, &path, lang).await }
    };
    let html = page(format!("/documents/{doc}"), member.clone(), "zh").await;
    assert!(
        html.contains("文档评论") && html.contains("投诉与举报") && html.contains("收藏"),
        "{backend:?}"
    );
    let html = page("/moderation/complaints".into(), moderator.clone(), "zh").await;
    assert!(html.contains("没有待审的投诉"));
    let html = page("/me/wallet".into(), member.clone(), "zh").await;
    assert!(html.contains("测试支付通道") && html.contains("待支付"));
    let html = page("/admin/payments".into(), admin.clone(), "zh").await;
    assert!(
        html.contains("结算贡献者收益") && html.contains("待支付"),
        "{backend:?}"
    );
    let html = page("/me/notifications".into(), author.clone(), "zh").await;
    assert!(html.contains("暂无通知"));
    let html = page("/disclaimer".into(), member.clone(), "en").await;
    assert!(html.contains("Disclaimer"), "the English switch");
}
