//! Purchased-service projects (issue 14), on both databases: who opens, awards, records
//! and pays; instalments only on met milestones, once; the budget never exceeded under
//! concurrent awards and instalments, with the ledger balanced; and the OCDS 1.1 release
//! package validated against the 1.1.5 schema and its codelists.

use crate::common::{Backend, both_dbs, burst, each, send, send_expect};
use crate::needs::World;
use serde_json::{Value, json};
use std::path::PathBuf;

const SCHEMAS: crate::common::LocalSchemas = crate::common::LocalSchemas("ocds-schemas");

fn schema_dir() -> PathBuf {
    SCHEMAS.dir()
}

fn validate_package(v: &Value) {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(schema_dir().join("release-package-schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::options()
        .with_retriever(SCHEMAS)
        .should_validate_formats(true)
        .build(&schema)
        .expect("OCDS package schema");
    let errors: Vec<String> = validator
        .iter_errors(v)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "OCDS release package invalid: {errors:#?}\n{v:#}"
    );
}

async fn call(w: &World, budget: i64) -> i64 {
    let body = json!({ "title": "长者助餐服务项目", "description": "为独居老人提供助餐", "categories": ["meal_aid"],
                       "unit_id": w.na, "budget_fen": budget, "opens_on": "2026-03-01", "closes_on": "2099-12-31" });
    w.s.post(&w.admin, "/api/v1/calls", Some(&body))
        .await
        .want(201)["id"]
        .as_i64()
        .unwrap()
}

fn contract(org: i64, amounts: &[i64]) -> Value {
    let ms: Vec<Value> = amounts
        .iter()
        .enumerate()
        .map(|(i, a)| json!({ "title": format!("第{}期服务", i + 1), "due_on": format!("2026-0{}-30", i + 4), "amount_fen": a }))
        .collect();
    json!({ "org_id": org, "title": "助餐配送合同", "reason": "评审得分最高，方案可行", "milestones": ms })
}

async fn milestones(w: &World, call: i64) -> Vec<i64> {
    let (_, v) =
        w.s.get_json(Some(&w.admin), &format!("/api/v1/calls/{call}"))
            .await;
    each(&v["contracts"])
        .flat_map(|k| each(&k["milestones"]).map(|m| m["id"].as_i64().unwrap()))
        .collect()
}

both_dbs!(needs_projects_lifecycle_and_ocds);
async fn needs_projects_lifecycle_and_ocds(backend: Backend) {
    let w = World::new(backend, false).await;
    let s = &w.s;
    let body = json!({ "title": "项目", "unit_id": w.na, "budget_fen": 1000, "opens_on": "2026-03-01", "closes_on": "2099-12-31" });
    let (st, _) = send(s, "POST", Some(&w.worker_a), "/api/v1/calls", Some(&body)).await;
    assert_eq!(st, 403, "workers do not open calls");
    for bad in [
        json!({ "budget_fen": -1 }),
        json!({ "closes_on": "2026-02-01" }),
        json!({ "opens_on": "March" }),
        json!({ "categories": ["nope"] }),
    ] {
        let mut b = body.clone();
        for (k, v) in bad.as_object().unwrap() {
            b[k] = v.clone();
        }
        let (st, v) = send(s, "POST", Some(&w.admin), "/api/v1/calls", Some(&b)).await;
        assert_eq!(st, 400, "{b}: {v}");
    }
    let c = call(&w, 100_000).await;
    let path = format!("/api/v1/calls/{c}/contracts");
    let (st, _) = s
        .post(
            &w.worker_a,
            &path,
            Some(&contract(w.org_a, &[30_000, 30_000])),
        )
        .await
        .parts();
    assert_eq!(st, 403);
    s.post(&w.admin, &path, Some(&contract(w.org_a, &[30_000, 30_000])))
        .await
        .want(201);
    let (st, v) = s
        .post(&w.admin, &path, Some(&contract(w.org_a, &[50_000])))
        .await
        .parts();
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (409, Some("over_budget"))
    );
    let ms = milestones(&w, c).await;
    assert_eq!(ms.len(), 2);
    let pay = |m: i64| format!("/api/v1/milestones/{m}/payments");
    let report = |m: i64| format!("/api/v1/milestones/{m}/report");
    let (st, v) = send(s, "POST", Some(&w.admin), &pay(ms[0]), None).await;
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (409, Some("milestone_not_met")),
        "scheduled: not paid"
    );
    let met = json!({ "status": "met", "evidence": "服务记录 120 人次，附签到表" });
    let (st, _) = send(s, "POST", Some(&w.worker_b), &report(ms[0]), Some(&met)).await;
    assert_eq!(st, 403, "another community's worker");
    let (st, _) = s
        .post(
            &w.worker_a,
            &report(ms[0]),
            Some(&json!({ "status": "done", "evidence": "好" })),
        )
        .await
        .parts();
    assert_eq!(st, 400);
    s.post(&w.worker_a, &report(ms[0]), Some(&met))
        .await
        .want(200);
    let (st, _) = send(s, "POST", Some(&w.worker_a), &pay(ms[0]), None).await;
    assert_eq!(st, 403, "workers record, administrators pay");
    send_expect(s, "POST", Some(&w.admin), &pay(ms[0]), None, 201).await;
    let (st, _) = send(s, "POST", Some(&w.admin), &pay(ms[0]), None).await;
    assert_eq!(st, 409, "paid once");
    let (st, _) = s
        .post(
            &w.worker_a,
            &report(ms[0]),
            Some(&json!({ "status": "notMet", "evidence": "改口" })),
        )
        .await
        .parts();
    assert_eq!(st, 409, "a paid milestone keeps its status");
    let partly = json!({ "status": "partiallyMet", "evidence": "只完成一半" });
    s.post(&w.worker_a, &report(ms[1]), Some(&partly))
        .await
        .want(200);
    let (st, _) = send(s, "POST", Some(&w.admin), &pay(ms[1]), None).await;
    assert_eq!(st, 409, "partly met: not paid");
    let (_, v) = s
        .get_json(Some(&w.resident), &format!("/api/v1/calls/{c}"))
        .await;
    assert_eq!(
        (v["committed_fen"].as_i64(), v["paid_fen"].as_i64()),
        (Some(60_000), Some(30_000))
    );
    assert_eq!(
        v["ledger"],
        json!({ "debit_fen": 30_000, "credit_fen": 30_000 })
    );
    // A second call, open with nothing awarded yet.
    call(&w, 5_000).await;

    // Open data: anyone reads it; valid OCDS 1.1.5; public data only.
    let r = s.raw("GET", None, "/ocds/releases.json").await;
    assert_eq!(r.status(), 200);
    let pkg: Value = r.json().await.unwrap();
    validate_package(&pkg);
    let releases = pkg["releases"].as_array().unwrap();
    assert_eq!(releases.len(), 2);
    let k = &releases[0]["contracts"][0];
    let statuses: Vec<&str> = each(&k["milestones"])
        .map(|m| m["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["met", "partiallyMet"]);
    let codelist = std::fs::read_to_string(schema_dir().join("milestoneStatus.csv")).unwrap();
    assert!(
        statuses
            .iter()
            .all(|st| codelist.lines().any(|l| l.starts_with(&format!("{st},"))))
    );
    assert_eq!(
        k["implementation"]["transactions"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        k["implementation"]["transactions"][0]["value"]["amount"],
        300.0
    );
    assert_eq!(releases[0]["tender"]["status"], "complete");
    assert_eq!(releases[1]["tender"]["status"], "active");
    assert!(
        !pkg.to_string().contains("某某"),
        "no legal representative, no person"
    );
    let db = s.db().await;
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM platform_audit WHERE action LIKE 'needs.%'")
            .fetch_one(&db)
            .await
            .unwrap();
    assert!(n >= 6, "every decision audited: {n}");
}

both_dbs!(needs_budget_holds_under_concurrent_awards_and_instalments);
async fn needs_budget_holds_under_concurrent_awards_and_instalments(backend: Backend) {
    let w = World::new(backend, false).await;
    let s = &w.s;
    let c = call(&w, 100_000).await;
    let path = format!("/api/v1/calls/{c}/contracts");
    let awards = burst(
        s,
        &w.admin,
        None,
        (0..10)
            .map(|_| (path.clone(), contract(w.org_a, &[20_000])))
            .collect(),
    )
    .await;
    assert_eq!(
        awards.iter().filter(|st| **st == 201).count(),
        5,
        "{awards:?}"
    );
    assert!(
        awards.iter().all(|st| *st == 201 || *st == 409),
        "{awards:?}"
    );
    let ms = milestones(&w, c).await;
    assert_eq!(ms.len(), 5);
    for m in &ms {
        let met = json!({ "status": "met", "evidence": "完成并验收" });
        s.post(
            &w.worker_a,
            &format!("/api/v1/milestones/{m}/report"),
            Some(&met),
        )
        .await
        .want(200);
    }
    // Every milestone paid by two requests at once: each paid once, the budget exactly spent.
    let reqs = ms
        .iter()
        .flat_map(|m| [0, 1].map(|_| (format!("/api/v1/milestones/{m}/payments"), json!({}))))
        .collect();
    let pays = burst(s, &w.admin, None, reqs).await;
    assert_eq!(pays.iter().filter(|st| **st == 201).count(), 5, "{pays:?}");
    assert!(pays.iter().all(|st| *st == 201 || *st == 409), "{pays:?}");
    let (_, v) = s
        .get_json(Some(&w.admin), &format!("/api/v1/calls/{c}"))
        .await;
    assert_eq!(
        (v["committed_fen"].as_i64(), v["paid_fen"].as_i64()),
        (Some(100_000), Some(100_000))
    );
    assert_eq!(
        v["ledger"],
        json!({ "debit_fen": 100_000, "credit_fen": 100_000 })
    );
    let n = s.scalar("SELECT COUNT(*) FROM needs_payments").await;
    assert_eq!(n, 5);
}

both_dbs!(needs_applications_eligibility_review_and_conflicts);
async fn needs_applications_eligibility_review_and_conflicts(backend: Backend) {
    let w = World::new(backend, false).await;
    let s = &w.s;
    let body = json!({ "title": "长者关爱项目", "unit_id": w.na, "budget_fen": 500_000, "opens_on": "2026-03-01",
        "closes_on": "2099-12-31", "min_grade": 3, "min_years": 3, "report_required": true,
        "criteria": [{ "name": "方案", "weight": 60 }, { "name": "团队", "weight": 40 }, { "name": "创新", "weight": 10, "in_total": false }] });
    let c = send_expect(s, "POST", Some(&w.admin), "/api/v1/calls", Some(&body), 201).await["id"]
        .as_i64()
        .unwrap();
    let apply = format!("/api/v1/calls/{c}/applications");
    let app = |org: i64| json!({ "org_id": org, "plan": "每周三次上门探访，建立长者档案并转介助餐。", "budget_fen": 400_000 });
    let (st, _) = send(s, "POST", Some(&w.worker_a), &apply, Some(&app(w.org_a))).await;
    assert_eq!(st, 403, "only the organisation's staff apply");
    // Outside the call's phase dates nobody applies: after its closing day, before its opening.
    for (opens, closes) in [("2026-03-01", "2026-03-31"), ("2099-01-01", "2099-12-31")] {
        let mut shut = body.clone();
        shut["opens_on"] = json!(opens);
        shut["closes_on"] = json!(closes);
        let id =
            send_expect(s, "POST", Some(&w.admin), "/api/v1/calls", Some(&shut), 201).await["id"]
                .as_i64()
                .unwrap();
        let path = format!("/api/v1/calls/{id}/applications");
        let (st, v) = send(s, "POST", Some(&w.provider), &path, Some(&app(w.org_a))).await;
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (409, Some("conflict")),
            "{v}"
        );
        assert!(
            v["error"]["message"].as_str().unwrap().contains(closes),
            "{v}"
        );
    }
    // No grade yet.
    let (st, v) = send(s, "POST", Some(&w.provider), &apply, Some(&app(w.org_a))).await;
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (409, Some("not_eligible")),
        "{v}"
    );
    assert!(
        v["error"]["message"].as_str().unwrap().contains("grade"),
        "{v}"
    );
    let db = s.db().await;
    sqlx::query("INSERT INTO governance_assessments (org_id, assessed_on, score_basic, score_governance, score_performance, score_reputation, total, grade, valid_until, created_at) VALUES ($1, '2025-06-01', 200, 200, 200, 200, 800, 4, '2030-06-01', 0)")
        .bind(w.org_a).execute(&db).await.unwrap();
    // Last year's annual report overdue.
    let year = chrono::Utc::now()
        .format("%Y")
        .to_string()
        .parse::<i64>()
        .unwrap()
        - 1;
    sqlx::query(
        "INSERT INTO governance_report_deadlines (year, due_on, set_at) VALUES ($1, $2, 0)",
    )
    .bind(year)
    .bind(format!("{year}-12-01"))
    .execute(&db)
    .await
    .unwrap();
    let (st, v) = send(s, "POST", Some(&w.provider), &apply, Some(&app(w.org_a))).await;
    assert_eq!(st, 409);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("annual report"),
        "{v}"
    );
    sqlx::query("INSERT INTO governance_annual_reports (org_id, year, status, submitted_at) VALUES ($1, $2, 'submitted', 0)")
        .bind(w.org_a).bind(year).execute(&db).await.unwrap();
    let a = s
        .post(&w.provider, &apply, Some(&app(w.org_a)))
        .await
        .want(201)["id"]
        .as_i64()
        .unwrap();
    let (st, _) = send(s, "POST", Some(&w.provider), &apply, Some(&app(w.org_a))).await;
    assert_eq!(st, 409, "one application per organisation");

    // Reviewers: assigned by the administrator; conflicts found in the registries.
    for u in ["expert1", "expert2", "outsider"] {
        s.add_user(u, "member");
    }
    let expert1 = s.login("expert1").await;
    let expert2 = s.login("expert2").await;
    let outsider = s.login("outsider").await;
    let reviewers = format!("/api/v1/calls/{c}/reviewers");
    let (st, _) = s
        .post(
            &w.worker_a,
            &reviewers,
            Some(&json!({ "username": "expert1" })),
        )
        .await
        .parts();
    assert_eq!(st, 403);
    for u in ["expert1", "expert2", "worker_a", "provider"] {
        s.post(&w.admin, &reviewers, Some(&json!({ "username": u })))
            .await
            .want(201);
    }
    let path = format!("/api/v1/applications/{a}/reviews");
    let sheet = json!({ "scores": { "方案": 80, "团队": 60, "创新": 100 } });
    let (st, _) = send(s, "POST", Some(&outsider), &path, Some(&sheet)).await;
    assert_eq!(st, 403, "not assigned");
    for (token, source) in [(&w.worker_a, "unit_staff"), (&w.provider, "org_staff")] {
        let (st, v) = send(s, "POST", Some(token), &path, Some(&sheet)).await;
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (409, Some("conflict_of_interest"))
        );
        assert!(
            v["error"]["message"].as_str().unwrap().contains(source),
            "{v}"
        );
    }
    let (st, _) = s
        .post(
            &expert2,
            &path,
            Some(&json!({ "scores": sheet["scores"], "conflict": true })),
        )
        .await
        .parts();
    assert_eq!(st, 409, "declared");
    let (st, _) = send(s, "POST", Some(&expert2), &path, Some(&sheet)).await;
    assert_eq!(st, 409, "a declared conflict stands");
    let (st, _) = s
        .post(&expert1, &path, Some(&json!({ "scores": { "方案": 80 } })))
        .await
        .parts();
    assert_eq!(st, 400, "every criterion scored");
    let v = send_expect(s, "POST", Some(&expert1), &path, Some(&sheet), 201).await;
    assert_eq!(
        v["total"], 72.0,
        "(60×80 + 40×60) / 100; innovation kept out"
    );
    let (st, _) = send(s, "POST", Some(&expert1), &path, Some(&sheet)).await;
    assert_eq!(st, 409, "one review per reviewer");
    let (_, v) = s.get_json(Some(&w.worker_a), &apply).await;
    let row = &v["items"][0];
    assert_eq!(
        (row["reviews"].as_i64(), row["score"].as_f64()),
        (Some(1), Some(72.0)),
        "{v}"
    );
    assert!(row["conflicts"].as_i64().unwrap() >= 3);
    assert_eq!(s.status_of(Some(&w.worker_b), &apply).await, 403);
}
