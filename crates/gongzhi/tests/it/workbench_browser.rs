//! The workbench in Chromium (issue 16), at desktop and phone width: a community worker
//! signs in, finds the case the centre sent and the centre's urge on the workbench, follows
//! the item to the inbox and the case; the empty workbench of a colleague in another
//! community says what will appear there.

use crate::common::district::District;
use crate::common::webdriver::Browser;
use crate::common::{Backend, Server, cases, send_expect};
use serde_json::json;

#[tokio::test]
async fn a_worker_finds_the_dispatched_case_on_the_workbench_and_opens_it() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let s = Server::start(Backend::Sqlite).await;
    let admin = s.user_token("boss", "admin").await;
    let plan = "district WD; street WS in WD; community WA WB in WS";
    let d = District::planned(&s, &admin, plan).await;
    let centre = d.staff("centre", "WD", "worker").await;
    d.staff("worker_a", "WA", "worker").await;
    d.staff("worker_b", "WB", "worker").await;
    let resident = s.user_token("resident", "member").await;
    cases::noise_category(&s, &admin).await;
    let text = "楼下工地夜里施工很吵";
    let case = cases::dispatched(&s, &resident, &centre, d.id("WA"), text).await;
    // The centre urges it (催办): the unit hears of it.
    let urge = json!({ "action": "urge", "note": "请尽快签收" });
    let actions = format!("/api/v1/cases/{case}/actions");
    send_expect(&s, "POST", Some(&centre), &actions, Some(&urge), 200).await;

    let url = s.url.clone();
    b.emulate(1280, 900).await;
    b.sign_in(&url, "worker_a").await;
    b.goto(&format!("{url}/workbench")).await;
    b.wait("document.querySelector('table.table a')").await;
    let table = b.text("table.table").await;
    assert!(table.contains('1'), "one case waits: {table}");
    let notices = b.text("ul.list").await;
    assert!(
        notices.contains("催办") || notices.contains("督办"),
        "the urge is among the notifications: {notices}"
    );
    // Follow the item to the inbox, and on to the case.
    b.click("table.table a[href^='/cases/inbox']").await;
    b.wait("location.pathname === '/cases/inbox'").await;
    b.wait(&format!(
        "document.querySelector(\"a[href='/cases/{case}']\")"
    ))
    .await;
    b.click(&format!("a[href='/cases/{case}']")).await;
    b.wait(&format!("location.pathname === '/cases/{case}'"))
        .await;
    assert!(b.text("main").await.contains("夜里施工"));

    // At phone width the colleague of the other community has an empty workbench that
    // says what will appear there.
    b.eval("document.querySelector(\"form[action='/logout']\").submit(); return 1")
        .await;
    b.wait("!document.querySelector('.who')").await;
    b.emulate(360, 740).await;
    b.sign_in(&url, "worker_b").await;
    b.goto(&format!("{url}/workbench")).await;
    b.wait("document.querySelector('.empty')").await;
    assert!(b.text(".empty").await.contains("新派来的事件"));
    assert_eq!(b.count("table.table").await, 0);
}
