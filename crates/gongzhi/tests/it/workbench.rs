//! The workbench (issue 16): each member of staff sees what waits for them from every
//! module — and nothing that waits for somebody else.

use crate::common::{Backend, District, Server, both_dbs, cases, each, send, send_expect, status};
use serde_json::json;

async fn items(s: &Server, token: &str) -> Vec<(String, u64, bool)> {
    let v = send_expect(s, "GET", Some(token), "/api/v1/workbench", None, 200).await;
    each(&v["items"])
        .map(|i| {
            (
                i["href"].as_str().unwrap().to_string(),
                i["count"].as_u64().unwrap(),
                i["due_at"].is_string(),
            )
        })
        .collect()
}

async fn each_sees_only_what_waits_for_them(backend: Backend) {
    let s = Server::start(backend).await;
    let admin = s.user_token("boss", "admin").await;
    let plan = "district WD; street WS in WD; community WA WB in WS";
    let d = District::planned(&s, &admin, plan).await;
    let [centre, worker_a, admin_a, worker_b] = d
        .staffs("centre=worker@WD worker_a=worker@WA admin_a=unit_admin@WA worker_b=worker@WB")
        .await;
    let resident = s.user_token("resident", "member").await;
    cases::noise_category(&s, &admin).await;

    for t in [&centre, &worker_a, &admin_a, &worker_b, &resident] {
        assert!(items(&s, t).await.is_empty());
    }
    assert_eq!(
        status(&s, "GET", None, "/api/v1/workbench", None).await,
        401
    );

    // A resident's report waits for the centre, and only for the centre.
    let case = cases::report(&s, &resident, d.id("WA"), "夜里施工很吵").await;
    let case = case["id"].as_i64().unwrap();
    assert_eq!(
        items(&s, &centre).await,
        vec![("/cases/console?state=reported".into(), 1, false)]
    );
    for t in [&worker_a, &worker_b, &resident] {
        assert!(items(&s, t).await.is_empty());
    }

    // Dispatched to community A: it waits for A's staff to sign, with the deadline.
    cases::steps(&s, &centre, case, &["accept", "dispatch"]).await;
    assert!(items(&s, &centre).await.is_empty());
    let signing = vec![("/cases/inbox?state=dispatched".to_string(), 1, true)];
    assert_eq!(items(&s, &worker_a).await, signing);
    assert!(items(&s, &worker_b).await.is_empty());

    // A draft announcement waits for A's administrator, not for the worker who wrote it.
    let draft = json!({ "unit_id": d.id("WA"), "kind": "notice", "title": "停电通知", "body": "周六停电。" });
    s.post(&worker_a, "/api/v1/announcements", Some(&draft))
        .await
        .want(201);
    assert_eq!(items(&s, &worker_a).await, signing);
    let for_admin = items(&s, &admin_a).await;
    assert!(
        for_admin.contains(&("/news/drafts?state=draft".into(), 1, false)),
        "{for_admin:?}"
    );
    assert!(items(&s, &worker_b).await.is_empty());

    // The page: the to-dos with their links for staff; a resident is told what it is for.
    let (c, _) = crate::common::web_login(&s, "worker_a", crate::common::PASSWORD).await;
    let html = crate::common::get_html(&c, format!("{}/workbench", s.url)).await;
    assert!(html.contains("/cases/inbox?state=dispatched") && html.contains("待签收的事件"));
    let (c, _) = crate::common::web_login(&s, "resident", crate::common::PASSWORD).await;
    let html = crate::common::get_html(&c, format!("{}/workbench", s.url)).await;
    assert!(html.contains("工作台供区、街道、社区和社会组织的工作人员使用"));
    assert!(!html.contains("/cases/inbox"));
    let (st, _) = send(&s, "GET", None, "/workbench", None).await;
    assert_eq!(st, 303, "visitors are sent to sign in");
}

both_dbs!(each_sees_only_what_waits_for_them);
