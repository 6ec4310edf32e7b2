//! In a real browser: top up through the sandbox provider's checkout, buy a document after
//! reading the licence, and download it twice — charged once.

use crate::common::webdriver::Browser;
use crate::common::{Backend, PASSWORD, Server, client};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn top_up_buy_and_download_twice_in_a_browser() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let s = Server::start_with(Backend::Sqlite, &crate::payments::env()).await;
    let admin = s.user_token("admin", "admin").await;
    s.add_user("buyer", "member");
    let id = s
        .upload_fixture(&admin, "documents/service-hotline-faq.txt")
        .await;
    s.wait_converted(&admin, id, Duration::from_secs(120)).await;
    let r = client()
        .patch(format!("{}/api/v1/documents/{id}", s.url))
        .bearer_auth(&admin)
        .json(&json!({"price_kind": "paid", "price": "3.00"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    b.sign_in(&s.url, "buyer").await;

    // Top up 5.00 through the test provider's checkout page.
    b.goto(&format!("{}/me/wallet", s.url)).await;
    b.type_into("form[action='/me/wallet/topup'] input[name=amount]", "5.00")
        .await;
    b.click("form[action='/me/wallet/topup'] button").await;
    b.wait("location.pathname.startsWith('/pay/sandbox/')")
        .await;
    b.click("input[name=result][value=paid] + button").await;
    b.wait("location.pathname === '/me/wallet'").await;
    assert!(
        b.text(".status-box").await.contains("5.00"),
        "the wallet shows the top-up"
    );

    // Buy: the licence is shown before paying.
    b.goto(&format!("{}/documents/{id}/buy", s.url)).await;
    assert!(b.text(".licence").await.contains("不是著作权"));
    b.click("form[action$='/buy'] button[type=submit]").await;
    b.wait("location.pathname === '/me/purchases'").await;
    assert_eq!(
        b.count(&format!("a[href='/documents/{id}/download']"))
            .await,
        1
    );

    // Download twice from the purchase history, with the browser's own session.
    b.eval(&format!(
        "window.__dl = []; const get = () => fetch('/documents/{id}/download').then(r => r.arrayBuffer().then(x => window.__dl.push([r.status, x.byteLength]))); get().then(get);"
    ))
    .await;
    b.wait("window.__dl && window.__dl.length === 2").await;
    let dl = b.eval("return window.__dl;").await;
    for d in dl["value"].as_array().or(dl.as_array()).unwrap() {
        assert_eq!(d[0], 200, "{dl}");
        assert!(d[1].as_i64().unwrap() > 0);
    }
    let buyer = s.login("buyer").await;
    let (_, w) = s.get_json(Some(&buyer), "/api/v1/me/wallet").await;
    assert_eq!(w["balance"], 200, "5.00 − 3.00, charged once");
    s.assert_ledger_consistent();
}

/// In a real browser: the uploader sets a price and a free preview on the document's edit
/// page; a visitor's search then names the page of a match beyond the preview, not its text.
#[tokio::test]
async fn price_set_on_the_edit_page_and_search_keeps_the_paywall_in_a_browser() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let s = Server::start(Backend::Sqlite).await;
    let admin = s.user_token("admin", "admin").await;
    let id = crate::search::text_document(
        &s,
        &admin,
        "three.txt",
        &[
            "第一页：公告。",
            "第二页：指南。",
            "第三页：独家秘方，每日三次温水送服。",
        ],
        &[("title", "三页汇编")],
    )
    .await;

    b.goto(&format!("{}/login", s.url)).await;
    b.type_into("input[name=username]", "admin").await;
    b.type_into("input[name=password]", PASSWORD).await;
    b.click("form.form button[type=submit]").await;
    b.wait("!!document.querySelector('.who')").await;
    b.goto(&format!("{}/documents/{id}", s.url)).await;
    b.click(&format!("a[href='/documents/{id}/edit']")).await;
    b.wait("!!document.querySelector('#edit-form')").await;
    b.eval("document.querySelector('#edit-form select[name=price_kind]').value = 'paid';")
        .await;
    b.type_into("#edit-form input[name=price]", "2.00").await;
    b.type_into("#edit-form input[name=preview_pages]", "2")
        .await;
    b.click("#edit-form button[type=submit]").await;
    b.wait(&format!("location.pathname === '/documents/{id}'"))
        .await;
    assert!(b.text("#price").await.contains("¥2.00"), "the price shows");
    let (_, d) = s.get_json(None, &format!("/api/v1/documents/{id}")).await;
    assert_eq!(
        (d["price_kind"].as_str(), d["price"].as_str()),
        (Some("paid"), Some("2.00"))
    );
    assert_eq!(d["visible_pages"], 2, "{d}");

    // Signed out, a search for page 3's words says where they are, not what it says.
    b.click("form[action='/logout'] button").await;
    b.wait("!document.querySelector('.who')").await;
    b.goto(&format!(
        "{}/search?q=%E7%8B%AC%E5%AE%B6%E7%A7%98%E6%96%B9",
        s.url
    ))
    .await;
    b.wait("!!document.querySelector('.locked-hit')").await;
    assert!(
        b.text(".locked-hit")
            .await
            .contains("在第 3 页，购买后可读")
    );
    assert!(!b.text(".hits").await.contains("温水送服"));
}
