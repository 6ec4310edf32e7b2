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

    b.goto(&format!("{}/login", s.url)).await;
    b.type_into("input[name=username]", "buyer").await;
    b.type_into("input[name=password]", PASSWORD).await;
    b.click("form.form button[type=submit]").await;
    b.wait_for("document.querySelector('.who') && document.querySelector('.who').textContent.includes('buyer')", Duration::from_secs(20)).await;

    // Top up 5.00 through the test provider's checkout page.
    b.goto(&format!("{}/me/wallet", s.url)).await;
    b.type_into("form[action='/me/wallet/topup'] input[name=amount]", "5.00")
        .await;
    b.click("form[action='/me/wallet/topup'] button").await;
    b.wait_for(
        "location.pathname.startsWith('/pay/sandbox/')",
        Duration::from_secs(20),
    )
    .await;
    b.click("input[name=result][value=paid] + button").await;
    b.wait_for(
        "location.pathname === '/me/wallet'",
        Duration::from_secs(20),
    )
    .await;
    assert!(
        b.text(".status-box").await.contains("5.00"),
        "the wallet shows the top-up"
    );

    // Buy: the licence is shown before paying.
    b.goto(&format!("{}/documents/{id}/buy", s.url)).await;
    assert!(b.text(".licence").await.contains("不是著作权"));
    b.click("form[action$='/buy'] button[type=submit]").await;
    b.wait_for(
        "location.pathname === '/me/purchases'",
        Duration::from_secs(20),
    )
    .await;
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
    b.wait_for(
        "window.__dl && window.__dl.length === 2",
        Duration::from_secs(20),
    )
    .await;
    let dl = b.eval("return window.__dl;").await;
    for d in dl["value"].as_array().or(dl.as_array()).unwrap() {
        assert_eq!(d[0], 200, "{dl}");
        assert!(d[1].as_i64().unwrap() > 0);
    }
    let buyer = s.login("buyer").await;
    let (_, w) = s.get_json(Some(&buyer), "/api/v1/me/wallet").await;
    assert_eq!(w["balance"], 200, "5.00 − 3.00, charged once");
    let out = s.run_cli(&["ledger", "check"], None);
    assert!(out.contains("ledger consistent"), "{out}");
}
