//! Issue 14's remainders (ADR 033), on both databases: reviewers spread in balance over a
//! call's applications, skipping conflicts of interest, deterministically; blind review
//! that leaks no applicant name through the API, the scoring sheet or the call page until
//! the scores are final, and no reviewer reading another's scores; the call page and the
//! workbench leading a reviewer to the sheet; contract evaluations joining the
//! organisation's record; milestone reminders and overdue marks with the injected clock;
//! budget use per call and per unit, unchanged by a repeated instalment.

use crate::common::{
    Backend, PASSWORD, both_dbs, csrf_from, each, get_html, post_form, send, send_expect, status,
    web_login,
};
use crate::needs::{World, org};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

async fn created(w: &World, token: &str, path: &str, body: Value) -> i64 {
    send_expect(&w.s, "POST", Some(token), path, Some(&body), 201).await["id"]
        .as_i64()
        .unwrap()
}

const NAMES: [&str; 3] = ["乙家园互助社", "丙邻里服务中心", "丁阳光助老社"];

/// A blind call on NA with four applications (organisation A's and three more), and the
/// reviewers expert1..3 and `provider` (staff of A) assigned.
async fn blind_call(w: &World) -> (i64, Vec<i64>) {
    let s = &w.s;
    let body = json!({ "title": "长者探访项目", "unit_id": w.na, "budget_fen": 900_000, "opens_on": "2026-03-01",
        "closes_on": "2099-12-31", "blind": true, "criteria": [{ "name": "方案", "weight": 100 }] });
    let c = created(w, &w.admin, "/api/v1/calls", body).await;
    let apply = format!("/api/v1/calls/{c}/applications");
    let plan = |name: &str| json!({ "plan": format!("{name}每周上门探访独居老人，联系电话 000-87654321。"), "budget_fen": 200_000 });
    let mut apps = Vec::new();
    let mut a = plan("甲社区长者服务社");
    a["org_id"] = json!(w.org_a);
    apps.push(created(w, &w.provider, &apply, a).await);
    for (i, name) in NAMES.iter().enumerate() {
        let o = created(
            w,
            &w.admin,
            "/api/v1/gov/orgs",
            org(name, 10 + i as u32, w.na, "hub", None),
        )
        .await;
        let staff = format!("staff{i}");
        s.add_user(&staff, "member");
        s.post(
            &w.admin,
            &format!("/api/v1/gov/orgs/{o}/staff"),
            Some(&json!({ "username": staff })),
        )
        .await
        .want(201);
        let mut body = plan(name);
        body["org_id"] = json!(o);
        apps.push(created(w, &s.login(&staff).await, &apply, body).await);
    }
    for u in ["expert1", "expert2", "expert3"] {
        s.add_user(u, "member");
    }
    for u in ["expert1", "expert2", "expert3", "provider"] {
        s.post(
            &w.admin,
            &format!("/api/v1/calls/{c}/reviewers"),
            Some(&json!({ "username": u })),
        )
        .await
        .want(201);
    }
    (c, apps)
}

fn given(plan: &Value, reviewer: i64) -> Vec<i64> {
    each(&plan["assignments"])
        .filter(|a| {
            a["reviewers"]
                .as_array()
                .unwrap()
                .contains(&json!(reviewer))
        })
        .map(|a| a["application_id"].as_i64().unwrap())
        .collect()
}

both_dbs!(needs_reviewers_in_balance_and_blind_review);
async fn needs_reviewers_in_balance_and_blind_review(backend: Backend) {
    let w = World::new(backend, false).await;
    let s = &w.s;
    let (c, apps) = blind_call(&w).await;
    let spread = format!("/api/v1/calls/{c}/reviewers/distribute");
    let (st, _) = s
        .post(&w.worker_a, &spread, Some(&json!({ "k": 2 })))
        .await
        .parts();
    assert_eq!(st, 403, "workers do not assign reviewers");
    for k in [0, 5] {
        let (st, v) = send(s, "POST", Some(&w.admin), &spread, Some(&json!({ "k": k }))).await;
        assert_eq!(st, 400, "k = {k}: {v}");
    }
    let plan = s
        .post(&w.admin, &spread, Some(&json!({ "k": 2 })))
        .await
        .want(200);
    let again = s
        .post(&w.admin, &spread, Some(&json!({ "k": 2 })))
        .await
        .want(200);
    assert_eq!(plan["assignments"], again["assignments"], "deterministic");
    assert_eq!(plan["short"], json!([]));
    let loads: Vec<i64> = each(&plan["loads"])
        .map(|l| l["assigned"].as_i64().unwrap())
        .collect();
    assert_eq!(loads.iter().sum::<i64>(), 8, "{plan}");
    assert!(
        loads.iter().max().unwrap() - loads.iter().min().unwrap() <= 1,
        "near-equal loads: {plan}"
    );
    let (_, me) = s.get_json(Some(&w.provider), "/api/v1/me").await;
    let provider_id = me["id"].as_i64().unwrap();
    assert!(
        !given(&plan, provider_id).contains(&apps[0]),
        "the applicant's own staff is never given its application: {plan}"
    );

    // Blind: a reviewer sees no name through the API, the sheet or the call page.
    let expert = s.login("expert1").await;
    let (_, me) = s.get_json(Some(&expert), "/api/v1/me").await;
    let expert_id = me["id"].as_i64().unwrap();
    let mine = given(&plan, expert_id);
    assert_eq!(mine.len(), 2);
    let names = ["甲社区长者服务社", NAMES[0], NAMES[1], NAMES[2]];
    for a in &mine {
        let v = s
            .get(&expert, &format!("/api/v1/applications/{a}"))
            .await
            .want(200);
        assert!(v["org_name"].is_null() && v["org_id"].is_null(), "{v}");
        let text = v.to_string();
        assert!(
            names.iter().all(|n| !text.contains(n)) && !text.contains("87654321"),
            "{text}"
        );
    }
    let other = apps.iter().find(|a| !mine.contains(a)).unwrap();
    assert_eq!(
        s.status_of(Some(&expert), &format!("/api/v1/applications/{other}"))
            .await,
        404,
        "not given: not shown"
    );
    let (st, _) = s
        .post(
            &expert,
            &format!("/api/v1/applications/{other}/reviews"),
            Some(&json!({ "scores": { "方案": 70 } })),
        )
        .await
        .parts();
    assert_eq!(st, 403, "scores only what was given");
    for token in [&expert, &w.resident] {
        assert_eq!(
            s.status_of(Some(token), &format!("/api/v1/calls/{c}/applications"))
                .await,
            403,
            "the scores of all reviewers are the office's"
        );
    }
    assert_eq!(
        s.status_of(
            Some(&w.resident),
            &format!("/api/v1/applications/{}", apps[1])
        )
        .await,
        404
    );
    assert_eq!(
        status(
            s,
            "GET",
            None,
            &format!("/api/v1/applications/{}", apps[1]),
            None
        )
        .await,
        401
    );

    // The workbench and the call page lead the reviewer to the sheet.
    let wb = send_expect(s, "GET", Some(&expert), "/api/v1/workbench", None, 200).await;
    let item = each(&wb["items"])
        .find(|i| i["href"] == format!("/needs/projects/{c}"))
        .unwrap_or_else(|| panic!("a to-do for the reviewer: {wb}"));
    assert_eq!(item["count"], 2);
    let (web, _) = web_login(s, "expert1", PASSWORD).await;
    let page = get_html(&web, format!("{}/needs/projects/{c}", s.url)).await;
    for a in &mine {
        assert!(
            page.contains(&format!("/needs/applications/{a}/review")),
            "{page}"
        );
    }
    assert!(names.iter().all(|n| !page.contains(n)), "{page}");
    let sheet = get_html(
        &web,
        format!("{}/needs/applications/{}/review", s.url, mine[0]),
    )
    .await;
    assert!(sheet.contains("匿名申报"), "{sheet}");
    assert!(names.iter().all(|n| !sheet.contains(n)), "{sheet}");
    let r = post_form(
        &web,
        format!("{}/needs/applications/{}/review", s.url, mine[0]),
        &[("_csrf", csrf_from(&sheet).as_str()), ("score:方案", "85")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, v) = s.get_json(Some(&expert), "/api/v1/reviews/mine").await;
    assert_eq!(v["items"][0]["waiting"], 1, "{v}");
    let peers: Vec<i64> = each(&plan["assignments"])
        .find(|a| a["application_id"] == mine[0])
        .unwrap()["reviewers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_i64().unwrap())
        .filter(|r| *r != expert_id)
        .collect();
    let peer_name = each(&plan["loads"])
        .find(|l| l["user_id"] == peers[0])
        .unwrap()["username"]
        .as_str()
        .unwrap()
        .to_string();
    // The other reviewer of that application does not see this score.
    let peer = s.login(&peer_name).await;
    let v = s
        .get(&peer, &format!("/api/v1/applications/{}", mine[0]))
        .await
        .want(200);
    assert!(v["my_total"].is_null() && v["my_scores"].is_null(), "{v}");
    assert!(!v.to_string().contains("85"), "{v}");

    // The office sees the names; a resident's call page has no office part.
    let (office, _) = web_login(s, "worker_a", PASSWORD).await;
    let html = get_html(&office, format!("{}/needs/projects/{c}", s.url)).await;
    assert!(names.iter().all(|n| html.contains(n)), "{html}");
    let (res, _) = web_login(s, "resident", PASSWORD).await;
    let html = get_html(&res, format!("{}/needs/projects/{c}", s.url)).await;
    assert!(names.iter().all(|n| !html.contains(n)), "{html}");
    // The office's form refuses an unknown account in words.
    let (boss, _) = web_login(s, "boss", PASSWORD).await;
    let html = get_html(&boss, format!("{}/needs/projects/{c}", s.url)).await;
    let r = post_form(
        &boss,
        format!("{}/needs/projects/{c}/reviewers", s.url),
        &[("_csrf", csrf_from(&html).as_str()), ("username", "nobody")],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("没有这个账号"));

    // Final: names shown, no more scoring.
    let fin = format!("/api/v1/calls/{c}/reviews/final");
    let (st, _) = send(s, "POST", Some(&w.worker_a), &fin, None).await;
    assert_eq!(st, 403);
    send_expect(s, "POST", Some(&w.admin), &fin, None, 200).await;
    let (st, _) = send(s, "POST", Some(&w.admin), &fin, None).await;
    assert_eq!(st, 409);
    let v = s
        .get(&expert, &format!("/api/v1/applications/{}", mine[1]))
        .await
        .want(200);
    assert!(v["org_name"].is_string(), "{v}");
    let (st, _) = s
        .post(
            &expert,
            &format!("/api/v1/applications/{}/reviews", mine[1]),
            Some(&json!({ "scores": { "方案": 60 } })),
        )
        .await
        .parts();
    assert_eq!(st, 409, "scores are final");
    let (st, _) = send(s, "POST", Some(&w.admin), &spread, Some(&json!({ "k": 1 }))).await;
    assert_eq!(st, 409, "no new plan after the scores are final");
}

fn day_from_now(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

async fn kinds(w: &World, token: &str) -> Vec<String> {
    w.s.notice_kinds(token).await
}

async fn wait_for(w: &World, token: &str, kind: &str) {
    let start = Instant::now();
    while !kinds(w, token).await.iter().any(|k| k == kind) {
        assert!(start.elapsed() < Duration::from_secs(20), "no {kind}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

both_dbs!(needs_evaluations_budget_and_milestone_sweep);
async fn needs_evaluations_budget_and_milestone_sweep(backend: Backend) {
    let w = World::new(backend, false).await;
    let s = &w.s;
    let body = json!({ "title": "助餐配送项目", "unit_id": w.na, "budget_fen": 100_000,
                       "opens_on": "2026-03-01", "closes_on": "2099-12-31" });
    let c = created(&w, &w.admin, "/api/v1/calls", body).await;
    let award = json!({ "org_id": w.org_a, "title": "助餐配送合同", "reason": "方案可行，得分最高",
        "milestones": [{ "title": "第一期", "due_on": day_from_now(3), "amount_fen": 30_000 },
                       { "title": "第二期", "due_on": day_from_now(30), "amount_fen": 30_000 }] });
    let k = created(&w, &w.admin, &format!("/api/v1/calls/{c}/contracts"), award).await;

    // Reminder before the date (7 days by default), once, to the contractor only.
    wait_for(&w, &w.provider, "needs.milestone_due").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let due = |k: Vec<String>| k.iter().filter(|k| *k == "needs.milestone_due").count();
    assert_eq!(
        due(kinds(&w, &w.provider).await),
        1,
        "the second is a month off"
    );
    assert_eq!(due(kinds(&w, &w.worker_a).await), 0);
    // Five days on, the first is overdue: the office hears of it and sees it on its workbench.
    w.clock.set_offset(5 * 86_400_000);
    wait_for(&w, &w.worker_a, "needs.milestone_overdue").await;
    let href = |v: &Value| each(&v["items"]).any(|i| i["href"] == "/needs/projects");
    let wb = send_expect(s, "GET", Some(&w.worker_a), "/api/v1/workbench", None, 200).await;
    assert!(href(&wb), "{wb}");
    let wb = send_expect(s, "GET", Some(&w.worker_b), "/api/v1/workbench", None, 200).await;
    assert!(!href(&wb), "another community's worker: {wb}");
    let (_, v) = s
        .get_json(Some(&w.admin), &format!("/api/v1/calls/{c}"))
        .await;
    let ms = v["contracts"][0]["milestones"].as_array().unwrap().clone();
    assert_eq!(
        (ms[0]["overdue"].as_bool(), ms[1]["overdue"].as_bool()),
        (Some(true), Some(false))
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(due(kinds(&w, &w.provider).await), 1, "reminded once");
    let (web, _) = web_login(s, "worker_a", PASSWORD).await;
    let page = get_html(&web, format!("{}/needs/projects/{c}", s.url)).await;
    assert!(page.contains("已逾期"), "{page}");
    let m0 = ms[0]["id"].as_i64().unwrap();
    let met = json!({ "status": "met", "evidence": "送餐记录 300 份" });
    s.post(
        &w.worker_a,
        &format!("/api/v1/milestones/{m0}/report"),
        Some(&met),
    )
    .await
    .want(200);
    let wb = send_expect(s, "GET", Some(&w.worker_a), "/api/v1/workbench", None, 200).await;
    assert!(!href(&wb), "met: off the workbench: {wb}");

    // Budget use: per call and per unit; a repeated instalment changes nothing.
    let pay = format!("/api/v1/milestones/{m0}/payments");
    send_expect(s, "POST", Some(&w.admin), &pay, None, 201).await;
    let (st, _) = send(s, "POST", Some(&w.admin), &pay, None).await;
    assert_eq!(st, 409);
    let b = s
        .get(&w.resident, &format!("/api/v1/calls/{c}/budget"))
        .await
        .want(200);
    assert_eq!(
        [
            &b["budget_fen"],
            &b["awarded_fen"],
            &b["paid_fen"],
            &b["remaining_fen"],
            &b["unpaid_fen"]
        ],
        [
            &json!(100_000),
            &json!(60_000),
            &json!(30_000),
            &json!(40_000),
            &json!(30_000)
        ],
        "{b}"
    );
    assert_eq!(b["contracts"][0]["paid_fen"], 30_000);
    let u = send_expect(s, "GET", Some(&w.admin), "/api/v1/needs/budget", None, 200).await;
    let row = &u["items"][0];
    assert_eq!(
        (
            row["unit_id"].as_i64(),
            row["paid_fen"].as_i64(),
            row["remaining_fen"].as_i64()
        ),
        (Some(w.na), Some(30_000), Some(40_000)),
        "{u}"
    );
    assert_eq!(
        status(s, "GET", None, &format!("/api/v1/calls/{c}/budget"), None).await,
        401
    );
    let page = get_html(&web, format!("{}/needs/projects/{c}", s.url)).await;
    assert!(
        page.contains("¥400.00") && page.contains("¥300.00"),
        "{page}"
    );

    // Evaluations: the call's unit's workers, once of each kind, audited.
    let path = format!("/api/v1/contracts/{k}/evaluations");
    let ev = |kind: &str, score: i64| json!({ "kind": kind, "score": score, "summary": "按期完成送餐，老人满意度高" });
    for token in [&w.worker_b, &w.resident, &w.provider] {
        let (st, _) = send(s, "POST", Some(token), &path, Some(&ev("midterm", 80))).await;
        assert_eq!(st, 403);
    }
    for bad in [
        ev("halfway", 80),
        ev("midterm", 101),
        json!({ "kind": "final", "score": 50, "summary": "" }),
    ] {
        let (st, v) = send(s, "POST", Some(&w.worker_a), &path, Some(&bad)).await;
        assert_eq!(st, 400, "{bad}: {v}");
    }
    s.post(&w.worker_a, &path, Some(&ev("midterm", 80)))
        .await
        .want(201);
    let (st, _) = s
        .post(&w.worker_a, &path, Some(&ev("midterm", 70)))
        .await
        .parts();
    assert_eq!(st, 409, "one mid-term evaluation");
    s.post(&w.worker_a, &path, Some(&ev("final", 90)))
        .await
        .want(201);
    // The outcome joins the organisation's record: its staff and government staff read it.
    let rec = format!("/api/v1/needs/orgs/{}/outcomes", w.org_a);
    for token in [&w.provider, &w.admin, &w.worker_b] {
        let v = send_expect(s, "GET", Some(token), &rec, None, 200).await;
        assert_eq!(
            (
                v["items"].as_array().unwrap().len(),
                v["mean_final_score"].as_i64()
            ),
            (1, Some(90)),
            "{v}"
        );
    }
    for token in [&w.resident, &w.other] {
        assert_eq!(s.status_of(Some(token), &rec).await, 403);
    }
    let n = s
        .scalar("SELECT COUNT(*) FROM platform_audit WHERE action = 'needs.contract.evaluate'")
        .await;
    assert_eq!(n, 2);
    let page = get_html(&web, format!("{}/needs/projects/{c}", s.url)).await;
    assert!(
        page.contains("结项评估") && page.contains("按期完成送餐"),
        "{page}"
    );
    // …and reaches the assessor grading the organisation next, on governance's form (the
    // `org_record` hook), which nobody outside the district's graders opens.
    let form = format!("{}/gov/orgs/{}/assess", s.url, w.org_a);
    let (boss, _) = web_login(s, "boss", PASSWORD).await;
    let page = get_html(&boss, &form).await;
    assert!(
        page.contains("id=\"org-record\"")
            && page.contains("加权平均 90 分")
            && page.contains(&format!("/needs/projects/{c}")),
        "{page}"
    );
    let (res, _) = web_login(s, "resident", PASSWORD).await;
    let r = res.get(&form).send().await.unwrap();
    assert!(matches!(r.status().as_u16(), 403 | 404), "{}", r.status());
}
