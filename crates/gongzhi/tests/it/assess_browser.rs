//! The assessment in Chromium at phone width (360 px): a community worker fills in an
//! entered indicator on the unit's score sheet and sees the score move; the sheet and the
//! ranking fit the screen.

use crate::common::district::District;
use crate::common::webdriver::Browser;
use crate::common::{Backend, Server};
use serde_json::json;

#[tokio::test]
async fn a_worker_fills_in_the_sheet_at_phone_width() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let s = Server::start(Backend::Sqlite).await;
    let admin = s.user_token("boss", "admin").await;
    let plan = "district BD; street B1 in BD; community BA in B1";
    let d = District::planned(&s, &admin, plan).await;
    d.staff("worker_ba", "BA", "worker").await;
    let year = chrono::Local::now().format("%Y").to_string();
    let plan = json!({
        "district_id": d.id("BD"), "year": year.parse::<i64>().unwrap(), "unit_kind": "community",
        "deadline": chrono::Utc::now().timestamp_millis() + 3_600_000,
        "items": [{ "code": "study_hours", "weight": 100, "target": 40 }],
    });
    s.post(&admin, "/api/v1/assessments/plans", Some(&plan))
        .await
        .want(201);
    let ba = d.id("BA");

    b.emulate(360, 740).await;
    b.sign_in(&s.url, "worker_ba").await;
    b.goto(&format!("{}/assessments/{year}/units/{ba}", s.url))
        .await;
    b.type_into("input[name=value]", "30").await;
    b.type_into("input[name=evidence]", "中心组学习签到表")
        .await;
    b.click("form.form button.btn").await;
    b.wait("document.body.textContent.includes('75.00')").await;
    let fits = "return document.documentElement.scrollWidth <= window.innerWidth + 1";
    assert_eq!(b.eval(fits).await, json!(true), "the sheet fits 360 px");
    b.goto(&format!("{}/assessments/{year}", s.url)).await;
    assert!(b.text("table.stack").await.contains("BA单位"));
    assert_eq!(b.eval(fits).await, json!(true), "the ranking fits 360 px");
}
