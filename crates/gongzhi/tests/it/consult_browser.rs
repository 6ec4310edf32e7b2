//! Consultation in Chromium at phone width (360 px): a member submits a proposal through
//! the form and, once the units have replied, rates the reply on its page; a resident
//! votes on the vote page, keeps the receipt, and reads the published result after close.

use crate::common::webdriver::Browser;
use crate::common::{Backend, send_expect};
use crate::consult::World;
use serde_json::json;

async fn sign_out(b: &Browser) {
    // At phone width the menu may be folded: submit the sign-out form itself.
    b.eval("document.querySelector(\"form[action='/logout']\").submit(); return 1")
        .await;
    b.wait("!document.querySelector('.who')").await;
}

#[tokio::test]
async fn a_member_submits_and_rates_and_a_resident_votes_and_reads_the_result() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let w = World::new(Backend::Sqlite).await;
    let url = w.s.url.clone();
    b.emulate(360, 740).await;

    // The member's submission, through the form.
    b.sign_in(&url, "member1").await;
    b.goto(&format!("{url}/consultation/proposals/new")).await;
    b.type_into("#title", "关于增设社区食堂的提案").await;
    b.type_into(
        "#body",
        "建议在人口密集的老旧小区增设社区食堂，为老年人提供助餐服务，并给予运营补贴。",
    )
    .await;
    b.click("#submit-proposal").await;
    b.wait(
        // The proposal's own page (the form itself is /consultation/proposals/new).
        "/^\\/consultation\\/proposals\\/\\d+$/.test(location.pathname)",
    )
    .await;
    let path = b.url().await;
    let id: i64 = path.rsplit('/').next().unwrap().parse().unwrap();
    assert!(b.text("#state").await.contains("已提交"));

    // The office and the units handle it (their API).
    w.act(&w.office, id, json!({"action": "file"}), 200).await;
    w.act(
        &w.office,
        id,
        json!({"action": "assign", "lead_unit_id": w.lead_unit}),
        200,
    )
    .await;
    w.act(&w.lead, id, json!({"action": "sign"}), 200).await;
    w.reply_formally(id, "已在两个社区试点开办社区食堂。", "A")
        .await;

    // The member reads the formal reply and rates it on the page.
    b.goto(&format!("{url}/consultation/proposals/{id}")).await;
    assert!(b.text("#reply").await.contains("试点开办社区食堂"));
    b.eval("document.querySelector('#rate-work').value = 'satisfied'; document.querySelector('#rate-result').value = 'basic'; return 1").await;
    b.click("form[data-action=rate] button[type=submit]").await;
    b.wait("document.querySelector('#state') && document.querySelector('#state').textContent.includes('已办结')").await;
    assert!(b.text("#rating").await.contains("satisfied / basic"));
    let overflow = b
        .eval("return document.documentElement.scrollWidth <= window.innerWidth + 1")
        .await;
    assert_eq!(overflow, json!(true), "the page fits 360 px");

    // The resident's vote.
    w.s.post(
        &w.community_staff,
        "/api/v1/consultation/residents",
        Some(&json!({"username": "member2", "unit_id": w.community, "household": "5-501"})),
    )
    .await
    .want(201);
    let v = send_expect(&w.s, "POST", Some(&w.community_staff), "/api/v1/votes",
        Some(&json!({"unit_id": w.community, "title": "社区食堂选址表决", "options": ["活动中心一楼", "菜市场二楼"]})), 201).await;
    let vote = v["id"].as_i64().unwrap();
    sign_out(&b).await;
    b.sign_in(&url, "member2").await;
    b.goto(&format!("{url}/consultation/votes")).await;
    assert!(b.text("table").await.contains("社区食堂选址表决"));
    b.goto(&format!("{url}/consultation/votes/{vote}")).await;
    b.click("#ballot-form input[type=radio]").await;
    b.click("#cast").await;
    b.wait("document.querySelector('#receipt')").await;
    let receipt = b.text("#receipt code").await;
    assert_eq!(receipt.trim().len(), 64);
    assert_eq!(
        b.count("#ballot-form").await,
        1,
        "the form stays; a second ballot is refused"
    );
    b.click("#ballot-form input[type=radio]").await;
    b.click("#cast").await;
    b.wait("document.querySelector('#form-error')").await;

    w.s.post(
        &w.community_staff,
        &format!("/api/v1/votes/{vote}/close"),
        None,
    )
    .await
    .want(200);
    b.goto(&format!("{url}/consultation/votes/{vote}")).await;
    assert!(b.text("#vote-state").await.contains("已结束"));
    assert_eq!(b.count("#ballot-form").await, 0);
    assert_eq!(b.text("#result .count").await.trim(), "1");
    assert!(!b.text("#chain-head").await.trim().is_empty());
}
