//! The workbench in Chromium (issue 16), at desktop and phone width: a community worker
//! signs in, finds the case the centre sent and the centre's urge on the workbench, follows
//! the item to the inbox and the case; the empty workbench of a colleague in another
//! community says what will appear there.

use crate::common::district::District;
use crate::common::webdriver::Browser;
use crate::common::{Backend, PASSWORD, Server, send_expect};
use serde_json::json;
use std::time::Duration;

async fn sign_in(b: &Browser, url: &str, name: &str) {
    b.goto(&format!("{url}/login")).await;
    b.type_into("input[name=username]", name).await;
    b.type_into("input[name=password]", PASSWORD).await;
    b.click("form.form button[type=submit]").await;
    let who = format!(
        "document.querySelector('.who') && document.querySelector('.who').textContent.includes('{name}')"
    );
    b.wait_for(&who, Duration::from_secs(20)).await;
}

#[tokio::test]
async fn a_worker_finds_the_dispatched_case_on_the_workbench_and_opens_it() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let s = Server::start(Backend::Sqlite).await;
    let admin = s.user_token("boss", "admin").await;
    let mut d = District::new(&s, &admin, json!({ "residents": 5000, "households": 2000 }));
    d.units(&[
        ("", "district", "WD"),
        ("WD", "street", "WS"),
        ("WS", "community", "WA"),
        ("WS", "community", "WB"),
    ])
    .await;
    let centre = d.staff("centre", "WD", "worker").await;
    d.staff("worker_a", "WA", "worker").await;
    d.staff("worker_b", "WB", "worker").await;
    let resident = s.user_token("resident", "member").await;
    let cat = json!({ "code": "noise", "name": "噪声扰民", "route_kind": "community" });
    send_expect(
        &s,
        "POST",
        Some(&admin),
        "/api/v1/cases/categories",
        Some(&cat),
        201,
    )
    .await;
    let body = json!({ "category": "noise", "place_unit_id": d.id("WA"), "description": "楼下工地夜里施工很吵" });
    let case = send_expect(
        &s,
        "POST",
        Some(&resident),
        "/api/v1/cases",
        Some(&body),
        201,
    )
    .await;
    let case = case["id"].as_i64().unwrap();
    let actions = format!("/api/v1/cases/{case}/actions");
    for step in ["accept", "dispatch"] {
        send_expect(
            &s,
            "POST",
            Some(&centre),
            &actions,
            Some(&json!({ "action": step })),
            200,
        )
        .await;
    }
    // The centre urges it (催办): the unit hears of it.
    send_expect(
        &s,
        "POST",
        Some(&centre),
        &actions,
        Some(&json!({ "action": "urge", "note": "请尽快签收" })),
        200,
    )
    .await;

    let url = s.url.clone();
    b.emulate(1280, 900).await;
    sign_in(&b, &url, "worker_a").await;
    b.goto(&format!("{url}/workbench")).await;
    b.wait_for(
        "document.querySelector('table.table a')",
        Duration::from_secs(20),
    )
    .await;
    let table = b.text("table.table").await;
    assert!(table.contains('1'), "one case waits: {table}");
    let notices = b.text("ul.list").await;
    assert!(
        notices.contains("催办") || notices.contains("督办"),
        "the urge is among the notifications: {notices}"
    );
    // Follow the item to the inbox, and on to the case.
    b.click("table.table a[href^='/cases/inbox']").await;
    b.wait_for(
        "location.pathname === '/cases/inbox'",
        Duration::from_secs(20),
    )
    .await;
    b.wait_for(
        &format!("document.querySelector(\"a[href='/cases/{case}']\")"),
        Duration::from_secs(20),
    )
    .await;
    b.click(&format!("a[href='/cases/{case}']")).await;
    b.wait_for(
        &format!("location.pathname === '/cases/{case}'"),
        Duration::from_secs(20),
    )
    .await;
    assert!(b.text("main").await.contains("夜里施工"));

    // At phone width the colleague of the other community has an empty workbench that
    // says what will appear there.
    b.eval("document.querySelector(\"form[action='/logout']\").submit(); return 1")
        .await;
    b.wait_for("!document.querySelector('.who')", Duration::from_secs(20))
        .await;
    b.emulate(360, 740).await;
    sign_in(&b, &url, "worker_b").await;
    b.goto(&format!("{url}/workbench")).await;
    b.wait_for("document.querySelector('.empty')", Duration::from_secs(20))
        .await;
    assert!(b.text(".empty").await.contains("新派来的事件"));
    assert_eq!(b.count("table.table").await, 0);
}
