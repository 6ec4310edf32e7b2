//! The leader's overview (issue 16): every figure within the viewer's scope — a community
//! sees its own, a street its communities, nobody a unit outside their scope — and none
//! at all for residents and visitors.

use crate::common::{
    Backend, District, Server, both_dbs, cases, credit_code, each, run_ok, status,
};
use serde_json::{Value, json};

fn org(name: &str, seq: u32, unit: i64, role: &str, hub: Option<i64>) -> Value {
    json!({
        "name": name, "credit_code": credit_code("51110000", seq), "org_type": "social_group",
        "registered_on": "2018-03-15", "legal_rep": "测试人", "address": "测试路 1 号", "unit_id": unit,
        "service_fields": ["elderly"], "staff_count": 5, "staff_under_35": 2, "staff_35_to_54": 2,
        "staff_55_plus": 1, "volunteers": 12, "contact_phone": "000-12345678", "hub_role": role,
        "hub_id": hub, "brand": false, "leading_figure": ""
    })
}

async fn every_figure_stays_within_scope(backend: Backend) {
    let s = Server::start(backend).await;
    let admin = s.user_token("boss", "admin").await;
    let plan =
        "district OD; street O1 in OD; community OA OB in O1; street O2 in OD; community OC in O2";
    let d = District::planned(&s, &admin, plan).await;
    let (oa, ob, oc) = (d.id("OA"), d.id("OB"), d.id("OC"));
    let hub = org("区养老服务协会", 1, d.id("OD"), "hub", None);
    let hub = s
        .post(&admin, "/api/v1/gov/orgs", Some(&hub))
        .await
        .want(201);
    let member = org("甲社区老年协会", 2, oa, "member", hub["id"].as_i64());
    s.post(&admin, "/api/v1/gov/orgs", Some(&member))
        .await
        .want(201);
    let [centre, street, worker_a] = d
        .staffs("centre=worker@OD street=viewer@O1 worker_a=worker@OA")
        .await;
    let resident = s.user_token("resident", "member").await;

    // A case in community B, dispatched there.
    cases::noise_category(&s, &admin).await;
    cases::dispatched(&s, &resident, &centre, ob, "夜里施工很吵").await;

    // A need raised in community B.
    let need =
        json!({ "title": "老人中午没人做饭", "description": "独居老人需要送餐", "unit_id": ob });
    s.post(&resident, "/api/v1/needs", Some(&need))
        .await
        .want(201);

    let overview = |token: String, query: &'static str| {
        let s = &s;
        async move {
            s.get(&token, &format!("/api/v1/overview{query}"))
                .await
                .parts()
        }
    };
    // Community A: its own figures, one organisation for 5,000 residents, no cases.
    let (st, v) = overview(worker_a.clone(), "").await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["unit"]["id"], oa);
    assert_eq!(v["orgs"], 1);
    assert_eq!(v["orgs_per_10k"], 2.0);
    assert_eq!(v["cases"]["dispatched"], 0);
    assert_eq!(v["needs"]["pending"], 0);
    assert_eq!(v["projects"]["running"], 0);
    assert!(
        v["proposals"]["answered_on_time_rate"].is_null(),
        "none replied: no rate"
    );
    for q in ["?unit=0", "?unit=abc"] {
        assert_eq!(overview(worker_a.clone(), q).await.0, 404, "{q}");
    }
    let other = format!("/api/v1/overview?unit={oc}");
    assert_eq!(
        status(&s, "GET", Some(&worker_a), &other, None).await,
        404,
        "outside the scope"
    );
    let street_b = format!("/api/v1/overview?unit={ob}");
    assert_eq!(
        status(&s, "GET", Some(&worker_a), &street_b, None).await,
        404,
        "a neighbour"
    );

    // Street 1: its two communities, the case dispatched in B.
    let (_, v) = overview(street.clone(), "").await;
    assert_eq!(v["unit"]["id"], d.id("O1"));
    let areas: Vec<i64> = each(&v["areas"])
        .map(|a| a["unit_id"].as_i64().unwrap())
        .collect();
    assert_eq!(areas, vec![oa, ob]);
    assert_eq!(v["cases"]["dispatched"], 1);
    let (_, v) = s
        .get(&street, &format!("/api/v1/overview?unit={oa}"))
        .await
        .parts();
    assert_eq!(
        (v["unit"]["id"].as_i64(), v["cases"]["dispatched"].as_i64()),
        (Some(oa), Some(0))
    );
    assert_eq!(status(&s, "GET", Some(&street), &other, None).await, 404);

    // The district sees both streets; an administrator sees everything.
    let (_, v) = overview(centre.clone(), "").await;
    assert_eq!(v["areas"].as_array().unwrap().len(), 2);
    assert_eq!(v["orgs"], 2);
    let (st, _) = overview(admin.clone(), "").await;
    assert_eq!(st, 200);

    // Residents and visitors get no figures at all.
    assert_eq!(overview(resident.clone(), "").await.0, 403);
    assert_eq!(status(&s, "GET", None, "/api/v1/overview", None).await, 401);
    let page = crate::common::page_text(&s, &street, "/overview").await;
    assert!(
        page.contains("每万人社会组织数") && page.contains("OA单位") && !page.contains("OC单位")
    );
}

both_dbs!(every_figure_stays_within_scope);

/// The weekly report as PDF and Excel: a PDF text extractor (poppler's pdftotext) finds the
/// unit's name and the figures in Chinese; the workbook's strings hold the same; only
/// within scope.
#[tokio::test]
async fn the_weekly_report_is_real_pdf_and_xlsx_text() {
    let Some(pdftotext) = crate::common::which("pdftotext") else {
        assert!(
            !crate::common::tool_required("GONGZHI_REQUIRE_PDFTOTEXT"),
            "pdftotext (poppler-utils) is required"
        );
        eprintln!("skipped: pdftotext");
        return;
    };
    let s = Server::start(Backend::Sqlite).await;
    let admin = s.user_token("boss", "admin").await;
    let plan = "district WD; street W1 in WD; community WA WB in W1";
    let d = District::planned(&s, &admin, plan).await;
    let worker = d.staff("worker_a", "WA", "worker").await;
    let resident = s.user_token("resident", "member").await;
    let get = |token: String, path: String| {
        let url = format!("{}{path}", s.url);
        async move {
            crate::common::client()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
        }
    };
    let r = get(worker.clone(), "/overview/weekly.pdf".into()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("weekly.pdf");
    std::fs::write(&pdf, r.bytes().await.unwrap()).unwrap();
    let text = run_ok(
        std::process::Command::new(pdftotext)
            .args(["-enc", "UTF-8"])
            .arg(&pdf)
            .arg("-"),
    );
    for want in [
        "WA单位",
        "社会治理周报",
        "每万人社会组织数",
        "提案按时办复率",
    ] {
        assert!(text.contains(want), "{want} not in the PDF's text: {text}");
    }
    assert!(!text.contains("WB单位"), "a neighbour's figures");

    let r = get(worker.clone(), "/overview/weekly.xlsx".into()).await;
    assert_eq!(r.status(), 200);
    let xlsx = dir.path().join("weekly.xlsx");
    std::fs::write(&xlsx, r.bytes().await.unwrap()).unwrap();
    let out = run_ok(std::process::Command::new("python3")
        .args(["-c", "import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read('xl/sharedStrings.xml').decode())"])
        .arg(&xlsx));
    assert!(out.contains("WA单位"));

    let other = format!("/overview/weekly.pdf?unit={}", d.id("WB"));
    assert_eq!(get(worker, other).await.status(), 404);
    assert_eq!(
        get(resident, "/overview/weekly.pdf".into()).await.status(),
        403
    );
}
