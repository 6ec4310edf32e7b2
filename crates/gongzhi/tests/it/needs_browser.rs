//! In a real browser, from need to referral to feedback: a resident raises a need in their
//! own words, the community worker sees the matches with their reasons and refers it with
//! consent, the provider completes it, and the resident's feedback reaches the worker.

use crate::common::webdriver::Browser;
use crate::common::{Backend, each};
use crate::needs::World;
use serde_json::json;

async fn sign_out(b: &Browser) {
    b.click("form[action='/logout'] button").await;
    b.wait("!document.querySelector('.who')").await;
}

#[tokio::test]
async fn need_to_referral_to_feedback_in_a_browser() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let w = World::new(Backend::Sqlite, false).await;
    let url = w.s.url.clone();

    // The resident raises a need without choosing a category.
    b.sign_in(&url, "resident").await;
    b.goto(&format!("{url}/needs/new")).await;
    b.type_into("#title", "老人中午没人做饭").await;
    b.type_into("#description", "楼里的王奶奶一个人住，中午常常吃不上热饭")
        .await;
    b.eval(&format!(
        "document.querySelector('#unit_id').value = '{}'",
        w.na
    ))
    .await;
    b.click("form[action='/needs'] button[type=submit]").await;
    b.wait("/^\\/needs\\/\\d+$/.test(location.pathname)").await;
    let path = b
        .eval("return location.pathname")
        .await
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        b.text("main").await.contains("助餐服务"),
        "the category is read from the words"
    );
    sign_out(&b).await;

    // The worker sees the match with its reasons and refers it with consent.
    b.sign_in(&url, "worker_a").await;
    b.goto(&format!("{url}{path}")).await;
    let page = b.text("main").await;
    assert!(
        page.contains("长者助餐配送") && page.contains("同一社区"),
        "{page}"
    );
    b.click("form[action$='/refer'] input[name=consent]").await;
    b.click(&format!("button[data-refer='{}']", w.meal)).await;
    b.wait("/^\\/referrals\\/\\d+$/.test(location.pathname)")
        .await;
    assert!(b.text("#referral-state").await.contains("待接收"));
    let rid: i64 = b
        .eval("return location.pathname.split('/')[2]")
        .await
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    sign_out(&b).await;

    // The provider takes it to completion (through the API: the browser part is the loop).
    for action in ["accept", "start", "complete"] {
        let body = json!({ "action": action, "reason": "每天中午送餐上门" });
        w.s.post(
            &w.provider,
            &format!("/api/v1/referrals/{rid}/actions"),
            Some(&body),
        )
        .await
        .want(200);
    }

    // The resident gives feedback on the outcome in the browser.
    b.sign_in(&url, "resident").await;
    b.goto(&format!("{url}/referrals/{rid}")).await;
    assert!(b.text("#referral-state").await.contains("已完成"));
    b.eval("document.querySelector('#rating').value = '4'")
        .await;
    b.type_into("#comment", "饭菜热乎，谢谢").await;
    b.click("form input[name=action][value=feedback] ~ button[type=submit]")
        .await;
    b.wait("document.querySelector('#feedback')").await;
    assert!(b.text("#feedback").await.contains("4/5"));

    // It returned to the worker.
    let (_, v) =
        w.s.get_json(Some(&w.worker_a), "/api/v1/me/notifications")
            .await;
    assert!(
        each(&v["items"]).any(|n| n["kind"] == "needs.feedback"),
        "{v}"
    );
}
