//! The Monday weekly report (周报, issue 16): made for the district and each street once per
//! week — a second run in the same week adds none — kept as a PDF, listed and downloadable
//! for those whose scope covers the unit and for no one else, and made by the periodic task
//! at start-up without anyone asking.

use crate::common::{Backend, District, Server, both_dbs, client, run_ok, send};
use serde_json::Value;
use std::time::{Duration, Instant};

async fn reports(s: &Server, token: Option<&str>) -> (u16, Vec<Value>) {
    let (st, v) = send(s, "GET", token, "/api/v1/overview/reports", None).await;
    (st, v["items"].as_array().cloned().unwrap_or_default())
}

async fn run(s: &Server, token: Option<&str>) -> (u16, Value) {
    send(s, "POST", token, "/api/v1/overview/reports/run", None).await
}

both_dbs!(monday_reports_once_a_week_for_the_district_and_each_street);
async fn monday_reports_once_a_week_for_the_district_and_each_street(backend: Backend) {
    // A Monday morning in the district's zone (2026-11-30 is a Monday).
    let mut s = Server::start_with(backend, &[("GONGZHI_NOW", "2026-11-30T09:00:00+08:00")]).await;
    let admin = s.user_token("boss", "admin").await;
    let plan = "district RD; street R1 R2 in RD; community RC in R1";
    let d = District::planned(&s, &admin, plan).await;
    let street = d.staff("street1", "R1", "worker").await;
    let community = d.staff("community", "RC", "worker").await;
    drop(d);
    let resident = s.user_token("resident", "member").await;

    assert!([401, 403].contains(&run(&s, None).await.0), "a visitor");
    assert_eq!(run(&s, Some(&street)).await.0, 403);
    let (st, v) = run(&s, Some(&admin)).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["week_of"], "2026-11-30");
    assert_eq!(v["added"], 3, "the district and its two streets: {v}");
    assert_eq!(run(&s, Some(&admin)).await.1["added"], 0, "once a week");

    let (_, all) = reports(&s, Some(&admin)).await;
    assert_eq!(all.len(), 3);
    assert!(all.iter().all(|r| r["week_of"] == "2026-11-30"));
    let (st, mine) = reports(&s, Some(&street)).await;
    assert_eq!(st, 200);
    let names: Vec<&str> = mine
        .iter()
        .map(|r| r["unit_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["R1单位"], "a street sees its own report only");
    assert!(
        reports(&s, Some(&community)).await.1.is_empty(),
        "nothing below a street"
    );
    assert_eq!(reports(&s, Some(&resident)).await.0, 403);
    assert_eq!(reports(&s, None).await.0, 401);

    // The stored PDF: for the street's staff, and for no one outside its scope.
    let href = mine[0]["href"].as_str().unwrap().to_string();
    let get = |token: Option<String>, path: String| {
        let url = format!("{}{path}", s.url);
        async move {
            let mut r = client().get(url);
            if let Some(t) = token {
                r = r.bearer_auth(t);
            }
            let r = r.send().await.unwrap();
            let ct = r
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_string());
            (r.status().as_u16(), ct, r.bytes().await.unwrap())
        }
    };
    let (st, ct, pdf) = get(Some(street.clone()), href.clone()).await;
    assert_eq!(st, 200);
    assert_eq!(ct.as_deref(), Some("application/pdf"));
    assert!(pdf.starts_with(b"%PDF"));
    // The stored report is the street's: a PDF text extractor finds its name and week.
    if let Some(pdftotext) = crate::common::which("pdftotext") {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("stored.pdf");
        std::fs::write(&file, &pdf).unwrap();
        let text = run_ok(
            std::process::Command::new(pdftotext)
                .args(["-enc", "UTF-8"])
                .arg(&file)
                .arg("-"),
        );
        assert!(
            text.contains("R1单位") && text.contains("2026-11-30"),
            "{text}"
        );
    } else {
        assert!(!crate::common::tool_required("GONGZHI_REQUIRE_PDFTOTEXT"));
    }
    let district = all.iter().find(|r| r["unit_name"] == "RD单位").unwrap();
    let district_href = district["href"].as_str().unwrap().to_string();
    assert_eq!(
        get(Some(street.clone()), district_href.clone()).await.0,
        404
    );
    assert_eq!(get(Some(community.clone()), href.clone()).await.0, 404);
    assert_eq!(get(Some(resident.clone()), href.clone()).await.0, 403);
    assert_eq!(get(Some(admin.clone()), district_href).await.0, 200);
    let (st, _, page) = get(Some(street.clone()), "/overview/reports".into()).await;
    assert_eq!(st, 200);
    let page = String::from_utf8_lossy(&page).to_string();
    assert!(page.contains(&href) && page.contains("2026-11-30"));
    assert!(
        !page.contains("RD单位"),
        "the district's report is not listed for a street"
    );

    // The next Monday: the periodic task makes that week's reports at start-up by itself.
    s.kill();
    s.env = vec![("GONGZHI_NOW".into(), "2026-12-07T08:00:00+08:00".into())];
    s.spawn();
    let started = Instant::now();
    loop {
        let (_, all) = reports(&s, Some(&admin)).await;
        let next: Vec<&Value> = all
            .iter()
            .filter(|r| r["week_of"] == "2026-12-07")
            .collect();
        if next.len() == 3 {
            assert_eq!(all.len(), 6);
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no reports for 2026-12-07: {all:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(run(&s, Some(&admin)).await.1["added"], 0);
}
