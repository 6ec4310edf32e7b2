//! Assessment (考核, issue 16): scores on a known data set — ties sharing a rank, a
//! lower-is-better indicator, a deduction, an upheld appeal — the steps up the tree
//! (self-assessment → review → approval → lock at the deadline → public notice → final),
//! figures frozen at the lock, trace-back links that open the counted cases, and who may
//! see or do what through the API and the pages.

use crate::common::{
    Backend, Clock, District, Server, both_dbs, cases, each, get_html, send, send_expect,
};
use serde_json::{Value, json};

const HOUR: i64 = 3600 * 1000;

struct World {
    s: Server,
    clock: Clock,
    admin: String,
    year: i32,
}

impl World {
    fn shift(&self, ms: i64) {
        self.clock.shift(ms);
    }

    fn url(&self, rest: &str) -> String {
        format!("/api/v1/assessments/{}{rest}", self.year)
    }

    async fn call(
        &self,
        token: Option<&str>,
        method: &str,
        rest: &str,
        body: Value,
    ) -> (u16, Value) {
        let body = (method == "POST").then_some(body);
        send(&self.s, method, token, &self.url(rest), body.as_ref()).await
    }

    /// A page's HTML as `token` (or a visitor) sees it.
    async fn html(&self, token: Option<&str>, path: &str) -> String {
        let mut r = crate::common::client().get(format!("{}{path}", self.s.url));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.unwrap().text().await.unwrap()
    }

    /// POSTs a plan; the status and the error code, if any.
    async fn plan(&self, token: &str, body: &Value) -> (u16, Option<String>) {
        let path = "/api/v1/assessments/plans";
        let (st, v) = send(&self.s, "POST", Some(token), path, Some(body)).await;
        (st, v["error"]["code"].as_str().map(String::from))
    }

    async fn ok(&self, token: &str, rest: &str, body: Value) -> Value {
        self.s
            .post(token, &self.url(rest), Some(&body))
            .await
            .want(200)
    }
}

fn scores(v: &Value) -> Vec<(String, f64, i64)> {
    each(&v["items"])
        .map(|i| {
            (
                i["unit_name"].as_str().unwrap().to_string(),
                i["score"].as_f64().unwrap(),
                i["rank"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn line<'a>(sheet: &'a Value, code: &str) -> &'a Value {
    each(&sheet["indicators"])
        .find(|l| l["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {sheet}"))
}

async fn a_year_from_plan_to_final_ranking(backend: Backend) {
    let clock = Clock::new();
    let s = clock.server(backend, &[]).await;
    let admin = s.user_token("boss", "admin").await;
    let plan = "district KD; street K1 in KD; community KA KB KC in K1; street K2 in KD; community KX in K2";
    let d = District::planned(&s, &admin, plan).await;
    let ids: Vec<i64> = ["KA", "KB", "KC", "KX"].iter().map(|c| d.id(c)).collect();
    let (ka, kb, kc, kx) = (ids[0], ids[1], ids[2], ids[3]);
    let [centre, street1, street2, wa, wb, wc, wx] = d
        .staffs("centre=worker@KD street1=worker@K1 street2=worker@K2 worker_a=worker@KA worker_b=worker@KB worker_c=worker@KC worker_x=worker@KX")
        .await;
    let resident = s.user_token("resident", "member").await;
    let kd = d.id("KD");
    drop(d);
    let year = chrono::Local::now()
        .format("%Y")
        .to_string()
        .parse()
        .unwrap();
    let w = World {
        s,
        clock,
        admin,
        year,
    };
    let s = &w.s;

    // A case in KA signed on time; one in KB dispatched and not signed yet.
    cases::noise_category(s, &w.admin).await;
    let mut dispatched = Vec::new();
    for unit in [ka, kb] {
        dispatched.push(cases::dispatched(s, &resident, &centre, unit, "夜里施工很吵").await);
    }
    let cases = dispatched;
    cases::steps(s, &wa, cases[0], &["sign"]).await;

    // The district's plan: only an administrator of the district sets it.
    let now_ms = chrono::Utc::now().timestamp_millis();
    let plan = json!({
        "district_id": kd, "year": w.year, "unit_kind": "community", "deadline": now_ms + HOUR,
        "items": [
            { "code": "case_on_time", "weight": 40, "target": 90 },
            { "code": "study_hours", "weight": 40, "target": 40 },
            { "code": "complaints", "weight": 20, "target": 1 },
            // No needs or replied proposals here: no value, no points, no sources.
            { "code": "needs_met", "weight": 10, "target": 80 },
            { "code": "proposals_on_time", "weight": 10, "target": 90 },
        ],
    });
    assert_eq!(w.plan(&street1, &plan).await.0, 403);
    assert_eq!(w.plan(&w.admin, &plan).await, (201, None));
    let exists = Some("plan_exists".to_string());
    assert_eq!(w.plan(&w.admin, &plan).await, (409, exists));
    let bad = json!({ "district_id": kd, "year": w.year, "unit_kind": "grid", "deadline": 0, "items": [] });
    let invalid = Some("invalid_field".to_string());
    assert_eq!(w.plan(&w.admin, &bad).await, (400, invalid));

    // Self-assessment: each unit's own staff enter its values, with evidence.
    let entered = [
        (&wa, ka, 20.0, 0.0),
        (&wb, kb, 40.0, 2.0),
        (&wc, kc, 50.0, 2.0),
        (&wx, kx, 10.0, 0.0),
    ];
    for (token, unit, hours, complaints) in entered {
        for (code, value) in [("study_hours", hours), ("complaints", complaints)] {
            let body = json!({ "code": code, "value": value, "evidence": "中心组学习记录" });
            w.ok(token, &format!("/units/{unit}/values"), body).await;
        }
    }
    // Refused entries: the street does not fill in a community's sheet, a neighbour's
    // sheet does not exist for KA, a formula is computed (not entered), evidence is needed.
    let values = |unit: i64| format!("/units/{unit}/values");
    let by_proxy = json!({ "code": "study_hours", "value": 99, "evidence": "代填" });
    let formula = json!({ "code": "case_on_time", "value": 100, "evidence": "x" });
    let no_evidence = json!({ "code": "study_hours", "value": 5, "evidence": " " });
    let refused = [
        (&street1, values(kb), by_proxy.clone(), 403),
        (&wa, values(kb), by_proxy, 404),
        (&wa, values(ka), formula, 400),
        (&wa, values(ka), no_evidence, 400),
    ];
    for (token, path, body, status) in refused {
        let (st, v) = w.call(Some(token), "POST", &path, body.clone()).await;
        assert_eq!(st, status, "{path} {body}: {v}");
    }
    w.ok(
        &w.admin,
        &format!("/units/{ka}/deduction"),
        json!({"points": 5, "reason": "台账不全"}),
    )
    .await;

    // KA 40 + 20 + 20 − 5 = 75; KB 0 + 40 + 10 = 50 = KC (no cases: 0) ; KX 0 + 10 + 20 = 30.
    let (st, v) = w.call(Some(&w.admin), "GET", "/ranking", json!(null)).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        scores(&v),
        vec![
            ("KA单位".to_string(), 75.0, 1),
            ("KB单位".to_string(), 50.0, 2),
            ("KC单位".to_string(), 50.0, 2),
            ("KX单位".to_string(), 30.0, 4),
        ]
    );
    // Scope: a community sees its own place, a street its communities, others nothing.
    let (_, v) = w.call(Some(&wb), "GET", "/ranking", json!(null)).await;
    assert_eq!(scores(&v), vec![("KB单位".to_string(), 50.0, 2)]);
    let (_, v) = w.call(Some(&street1), "GET", "/ranking", json!(null)).await;
    assert_eq!(scores(&v).len(), 3);
    for token in [None, Some(resident.as_str())] {
        let (st, _) = w.call(token, "GET", "/ranking", json!(null)).await;
        assert_eq!(st, 404, "no public ranking before the notice");
    }
    let (st, _) = w
        .call(Some(&wb), "GET", &format!("/units/{ka}"), json!(null))
        .await;
    assert_eq!(st, 404);

    // Trace-back: KA's on-time rate counted its case, and the link opens it.
    let (_, sheet) = w
        .call(Some(&wa), "GET", &format!("/units/{ka}"), json!(null))
        .await;
    let on_time = line(&sheet, "case_on_time");
    assert_eq!(on_time["value"], 100.0);
    assert_eq!(on_time["sources"], json!([format!("/cases/{}", cases[0])]));
    assert_eq!(
        s.status_of(Some(&centre), &format!("/cases/{}", cases[0]))
            .await,
        200
    );
    assert_eq!(sheet["score"], 75.0);
    for code in ["needs_met", "proposals_on_time"] {
        assert_eq!(line(&sheet, code)["value"], Value::Null, "{sheet}");
        assert_eq!(line(&sheet, code)["sources"], json!([]));
    }

    // Up the tree: submit (own staff) → review (street) → approve (district).
    let (st, _) = w
        .call(
            Some(&wa),
            "POST",
            &format!("/units/{ka}/approve"),
            json!({}),
        )
        .await;
    assert_eq!(st, 403);
    let (st, v) = w
        .call(
            Some(&w.admin),
            "POST",
            &format!("/units/{ka}/review"),
            json!({}),
        )
        .await;
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (409, Some("assess_stage")),
        "not submitted yet"
    );
    for (own, street, unit) in [
        (&wa, &street1, ka),
        (&wb, &street1, kb),
        (&wc, &street1, kc),
        (&wx, &street2, kx),
    ] {
        w.ok(own, &format!("/units/{unit}/submit"), json!({})).await;
        let (st, _) = w
            .call(
                Some(own),
                "POST",
                &format!("/units/{unit}/review"),
                json!({}),
            )
            .await;
        assert_eq!(st, 403, "a unit does not review itself");
        w.ok(street, &format!("/units/{unit}/review"), json!({}))
            .await;
        w.ok(&w.admin, &format!("/units/{unit}/approve"), json!({}))
            .await;
    }
    let late = json!({ "code": "study_hours", "value": 60, "evidence": "补录" });
    let (st, _) = w
        .call(Some(&wb), "POST", &format!("/units/{kb}/values"), late)
        .await;
    assert_eq!(st, 409, "an approved sheet no longer changes");

    // Locked only at the deadline; the figures are frozen with their sources.
    let (st, v) = w.call(Some(&w.admin), "POST", "/lock", json!({})).await;
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (409, Some("before_deadline"))
    );
    let (st, _) = w.call(Some(&street1), "POST", "/lock", json!({})).await;
    assert_eq!(st, 403);
    w.shift(2 * HOUR);
    w.ok(&w.admin, "/lock", json!({})).await;
    cases::steps(s, &wb, cases[1], &["sign"]).await;
    let (_, sheet) = w
        .call(Some(&wb), "GET", &format!("/units/{kb}"), json!(null))
        .await;
    assert_eq!(
        line(&sheet, "case_on_time")["value"],
        0.0,
        "frozen at the lock: {sheet}"
    );
    let (st, _) = w.call(None, "GET", "/ranking", json!(null)).await;
    assert_eq!(st, 404, "locked is not yet public");

    // Public notice: everyone sees the ranking; the unit appeals, the district decides.
    w.ok(&w.admin, "/notice", json!({})).await;
    let (st, v) = w.call(None, "GET", "/ranking", json!(null)).await;
    assert_eq!((st, scores(&v).len()), (200, 4));
    let appeal = json!({ "code": "complaints", "reason": "其中一件投诉经核实不成立" });
    let (st, _) = w
        .call(
            Some(&street1),
            "POST",
            &format!("/units/{kb}/appeals"),
            appeal.clone(),
        )
        .await;
    assert_eq!(st, 403, "the unit itself appeals");
    let filed = s
        .post(&wb, &w.url(&format!("/units/{kb}/appeals")), Some(&appeal))
        .await
        .want(201);
    // The sheet page: the unit may appeal, the district sees the decision form, the
    // public sees the scores but not the appeal.
    let kb_page = format!("/assessments/{}/units/{kb}", w.year);
    assert!(w.html(Some(&wb), &kb_page).await.contains("提出申诉"));
    let district_view = w.html(Some(&w.admin), &kb_page).await;
    assert!(district_view.contains("不予采纳") && district_view.contains("不成立"));
    let public_view = w.html(None, &kb_page).await;
    assert!(
        public_view.contains("KB单位") && !public_view.contains("不成立"),
        "{public_view}"
    );
    let decision = format!("/api/v1/assessments/appeals/{}/decision", filed["id"]);
    let upheld = json!({ "uphold": true, "value": 1, "reason": "经核实，一件投诉不成立" });
    let (st, _) = send(s, "POST", Some(&wb), &decision, Some(&upheld)).await;
    assert_eq!(st, 403);
    let (st, v) = w.call(Some(&w.admin), "POST", "/final", json!({})).await;
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (409, Some("appeal_window"))
    );
    send_expect(s, "POST", Some(&w.admin), &decision, Some(&upheld), 200).await;
    let (st, _) = send(s, "POST", Some(&w.admin), &decision, Some(&upheld)).await;
    assert_eq!(st, 409, "decided once");
    let (_, v) = w.call(None, "GET", "/ranking", json!(null)).await;
    assert_eq!(
        scores(&v),
        vec![
            ("KA单位".to_string(), 75.0, 1),
            ("KB单位".to_string(), 60.0, 2),
            ("KC单位".to_string(), 50.0, 3),
            ("KX单位".to_string(), 30.0, 4),
        ]
    );
    let db = s.db().await;
    let audited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM platform_audit WHERE action = 'assess.decide' AND detail LIKE '%不成立%'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(audited, 1);

    // Final after the appeal window; appeals are closed then.
    w.shift(8 * 24 * HOUR);
    w.ok(&w.admin, "/final", json!({})).await;
    let (st, _) = w
        .call(Some(&wb), "POST", &format!("/units/{kb}/appeals"), appeal)
        .await;
    assert_eq!(st, 409);

    // The pages: the public ranking, and a sheet whose formula links to the counted case.
    let public = crate::common::client();
    let html = get_html(&public, format!("{}/assessments/{}", s.url, w.year)).await;
    assert!(html.contains("KA") && html.contains("考核排名"), "{html}");
    let html = get_html(
        &public,
        format!("{}/assessments/{}/units/{ka}", s.url, w.year),
    )
    .await;
    assert!(
        html.contains(&format!("href=\"/cases/{}\"", cases[0])),
        "{html}"
    );
}

both_dbs!(a_year_from_plan_to_final_ranking);

/// The demo has a finished assessment year: a public ranking of its communities whose
/// sheets carry their indicators.
#[tokio::test]
async fn the_demo_has_a_finished_year() {
    let s = Server::start_demo(Backend::Sqlite, "demo-pass-1").await;
    let year = chrono::Local::now()
        .format("%Y")
        .to_string()
        .parse::<i32>()
        .unwrap()
        - 1;
    let (st, v) = s
        .get_json(None, &format!("/api/v1/assessments/{year}/ranking"))
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["state"], "final");
    let items = v["items"].as_array().unwrap();
    assert!(items.len() >= 2, "{v}");
    assert_eq!(items[0]["rank"], 1);
    let unit = &items[0]["unit_id"];
    let (st, sheet) = s
        .get_json(None, &format!("/api/v1/assessments/{year}/units/{unit}"))
        .await;
    assert_eq!(st, 200, "{sheet}");
    assert_eq!(sheet["indicators"].as_array().unwrap().len(), 6);
    assert_eq!(sheet["score"], items[0]["score"]);
    // The demo's met needs and organisations are counted, and each link opens its record.
    let admin = s.login_with("admin", "demo-pass-1").await;
    let mut counted = Vec::new();
    for item in items {
        let path = format!("/api/v1/assessments/{year}/units/{}", item["unit_id"]);
        let (_, sheet) = s.get_json(None, &path).await;
        for (code, prefix) in [("needs_met", "/needs/"), ("orgs_per_10k", "/gov/orgs/")] {
            let sources = line(&sheet, code)["sources"].as_array().unwrap().clone();
            counted.extend(sources.into_iter().map(|u| (prefix, u)));
        }
    }
    for prefix in ["/needs/", "/gov/orgs/"] {
        assert!(
            counted.iter().any(|(p, _)| *p == prefix),
            "nothing counted for {prefix}"
        );
    }
    for (prefix, url) in counted {
        let url = url.as_str().unwrap();
        assert!(url.starts_with(prefix), "{url}");
        assert_eq!(s.status_of(Some(&admin), url).await, 200, "{url}");
    }
}

/// The pages: the district sets a plan with the editor; the community enters a value on its
/// sheet (a refusal re-renders the sheet with the message) and submits it; the street sees
/// the review button, the community no longer sees the form; a neighbour sees nothing.
async fn the_pages_take_a_sheet_up_the_tree(backend: Backend) {
    use crate::common::{PASSWORD, get_html, post_form, web_login};
    let s = Server::start(backend).await;
    let admin = s.user_token("boss", "admin").await;
    let plan = "district PD; street P1 in PD; community PA PB in P1";
    let d = District::planned(&s, &admin, plan).await;
    let (pa, pd) = (d.id("PA"), d.id("PD"));
    d.staff("district_admin", "PD", "unit_admin").await;
    d.staff("street_p", "P1", "worker").await;
    d.staff("worker_pa", "PA", "worker").await;
    d.staff("worker_pb", "PB", "worker").await;
    let year = chrono::Local::now().format("%Y").to_string();
    let url = |rest: &str| format!("{}{rest}", s.url);

    let (web, csrf) = web_login(&s, "district_admin", PASSWORD).await;
    let form = get_html(&web, url("/assessments/plans/new")).await;
    assert!(
        form.contains("w_study_hours") && form.contains("PD单位"),
        "{form}"
    );
    let deadline = chrono::Local::now().date_naive() + chrono::Days::new(30);
    let fields = [
        ("_csrf", csrf.as_str()),
        ("district_id", &pd.to_string()),
        ("unit_kind", "community"),
        ("year", &year),
        ("deadline", &deadline.to_string()),
        ("w_study_hours", "60"),
        ("t_study_hours", "40"),
        ("w_complaints", "40"),
        ("t_complaints", "0"),
    ];
    let mut no_weight = fields.to_vec();
    no_weight.retain(|(k, _)| !k.starts_with("w_"));
    let r = post_form(&web, url("/assessments/plans"), &no_weight).await;
    assert_eq!(r.status(), 200, "re-rendered with the message");
    let html = r.text().await.unwrap();
    assert!(
        html.contains("请至少选择一个指标") && html.contains(&year),
        "{html}"
    );
    let r = post_form(&web, url("/assessments/plans"), &fields).await;
    assert_eq!(r.status(), 303);
    let ranking = get_html(&web, url(&format!("/assessments/{year}"))).await;
    assert!(
        ranking.contains("PA单位") && ranking.contains("锁定并冻结数据"),
        "{ranking}"
    );

    let sheet_url = url(&format!("/assessments/{year}/units/{pa}"));
    let (pa_web, pa_csrf) = web_login(&s, "worker_pa", PASSWORD).await;
    let page = get_html(&pa_web, &sheet_url).await;
    assert!(
        page.contains("name=\"evidence\"") && page.contains("提交自评"),
        "{page}"
    );
    let values = url(&format!("/assessments/{year}/units/{pa}/values"));
    let no_evidence = [
        ("_csrf", pa_csrf.as_str()),
        ("kind", "community"),
        ("code", "study_hours"),
        ("value", "30"),
        ("evidence", ""),
    ];
    let r = post_form(&pa_web, &values, &no_evidence).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("说明依据"));
    let good = [
        ("_csrf", pa_csrf.as_str()),
        ("kind", "community"),
        ("code", "study_hours"),
        ("value", "30"),
        ("evidence", "学习签到表"),
    ];
    assert_eq!(post_form(&pa_web, &values, &good).await.status(), 303);
    let page = get_html(&pa_web, &sheet_url).await;
    assert!(
        page.contains("学习签到表") && page.contains("45.00"),
        "30/40 × 60: {page}"
    );

    let (pb_web, _) = web_login(&s, "worker_pb", PASSWORD).await;
    let r = pb_web.get(&sheet_url).send().await.unwrap();
    assert_eq!(r.status(), 404, "a neighbour's sheet");

    let todo = |token: String, label: &'static str| {
        let s = &s;
        async move {
            let (_, v) = s.get_json(Some(&token), "/api/v1/workbench").await;
            each(&v["items"]).any(|t| t["label"].as_str().unwrap_or("").contains(label))
        }
    };
    let pa_token = s.login("worker_pa").await;
    let street_token = s.login("street_p").await;
    assert!(todo(pa_token.clone(), "待填报提交的考核自评").await);
    assert!(!todo(street_token.clone(), "待审核的考核表").await);

    let step = url(&format!("/assessments/{year}/units/{pa}/step"));
    let submit = [
        ("_csrf", pa_csrf.as_str()),
        ("kind", "community"),
        ("step", "submit"),
    ];
    assert_eq!(post_form(&pa_web, &step, &submit).await.status(), 303);
    let page = get_html(&pa_web, &sheet_url).await;
    assert!(
        !page.contains("name=\"evidence\""),
        "submitted: no more entering"
    );
    let (street_web, _) = web_login(&s, "street_p", PASSWORD).await;
    let page = get_html(&street_web, &sheet_url).await;
    assert!(page.contains("审核通过"), "{page}");
    assert!(
        todo(street_token, "待审核的考核表").await,
        "the street's workbench"
    );
    let district_token = s.login("district_admin").await;
    assert!(
        !todo(district_token, "待审核的考核表").await,
        "not the district's"
    );
}

both_dbs!(the_pages_take_a_sheet_up_the_tree);
