//! The page to open a call for projects (issue 14), on both databases: the gap report links
//! to it with the category and unit filled in; a bad field re-renders the form as typed with
//! a readable message and writes nothing; a unit's administrator opens a call whose budget
//! was typed in yuan; a worker gets neither the form nor the call.

use crate::common::{Backend, PASSWORD, both_dbs, csrf_from, get_html, post_form, web_login};
use crate::needs::World;
use serde_json::json;

fn call_form<'a>(csrf: &'a str, unit: &'a str, budget: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("_csrf", csrf),
        ("title", "法律援助进社区"),
        ("description", "为社区居民提供法律咨询"),
        ("category", "legal_aid"),
        ("unit_id", unit),
        ("budget_yuan", budget),
        ("opens_on", "2026-03-01"),
        ("closes_on", "2099-12-31"),
        ("min_grade", "0"),
        ("min_years", "1"),
        ("criteria", "方案可行性 60\n团队能力 40\n~ 创新性 10"),
    ]
}

both_dbs!(needs_call_page_from_gap_report);
async fn needs_call_page_from_gap_report(backend: Backend) {
    let w = World::new(backend, false).await;
    let s = &w.s;
    // Nothing offers legal aid: the need is unmet at once and shows in the gap report.
    let v = s
        .post(
            &w.worker_a,
            "/api/v1/needs",
            Some(
                &json!({ "title": "邻里纠纷想咨询律师", "unit_id": w.na, "category": "legal_aid" }),
            ),
        )
        .await
        .want(201);
    assert_eq!(v["state"], "unmet", "{v}");

    let (web, _) = web_login(s, "boss", PASSWORD).await;
    let gaps = get_html(&web, format!("{}/needs/gaps", s.url)).await;
    let link = format!(
        "/needs/projects/new?category=legal_aid&amp;unit_id={}",
        w.na
    );
    assert!(
        gaps.contains(&link),
        "the gap report links to a prefilled call: {gaps}"
    );
    let form = get_html(
        &web,
        format!(
            "{}/needs/projects/new?category=legal_aid&unit_id={}",
            s.url, w.na
        ),
    )
    .await;
    assert!(form.contains(r#"value="legal_aid" selected"#), "{form}");
    assert!(
        form.contains(&format!(r#"value="{}" selected"#, w.na)),
        "{form}"
    );
    let csrf = csrf_from(&form);
    let na = w.na.to_string();

    // Bad budget and reversed dates: the form again, as typed, and no call written.
    for (budget, closes, says) in [
        ("12.345", "2026-03-31", "预算请填写正数金额"),
        ("5000", "2026-02-01", "截止日期不能早于开始日期"),
    ] {
        let mut f = call_form(&csrf, &na, budget);
        f.retain(|(k, _)| *k != "closes_on");
        f.push(("closes_on", closes));
        let r = post_form(&web, format!("{}/needs/projects/new", s.url), &f).await;
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        assert!(html.contains(says), "{says}: {html}");
        assert!(
            html.contains("法律援助进社区") && html.contains("方案可行性 60"),
            "kept as typed"
        );
    }
    let (_, calls) = s.get_json(Some(&w.admin), "/api/v1/calls").await;
    assert!(calls["items"].as_array().unwrap().is_empty(), "{calls}");

    // A worker: the form shows (workers are staff), but the post is refused; a resident
    // gets no call form.
    let new_call = format!("{}/needs/projects/new", s.url);
    let (wweb, wcsrf) = web_login(s, "worker_a", PASSWORD).await;
    let (rweb, _) = web_login(s, "resident", PASSWORD).await;
    let shown = async |web: &reqwest::Client| web.get(&new_call).send().await.unwrap().status();
    assert_eq!(shown(&wweb).await, 200);
    let r = post_form(&wweb, &new_call, &call_form(&wcsrf, &na, "5000")).await;
    assert_eq!(r.status(), 403);
    assert_eq!(shown(&rweb).await, 403);

    // The administrator opens it: 5000.50 yuan is 500050 fen.
    let r = post_form(&web, &new_call, &call_form(&csrf, &na, "5,000.50")).await;
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "{}",
        r.status()
    );
    let (_, calls) = s.get_json(Some(&w.admin), "/api/v1/calls").await;
    let items = calls["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{calls}");
    assert_eq!(items[0]["budget_fen"], 500_050);
    assert_eq!(items[0]["categories"], json!(["legal_aid"]));
    let page = get_html(&web, format!("{}/needs/projects", s.url)).await;
    assert!(
        page.contains("法律援助进社区") && page.contains("5000.50"),
        "{page}"
    );

    // The provider's staff apply through the page: a short plan comes back as typed; then
    // the application is recorded once for organisation A.
    let call = items[0]["id"].as_i64().unwrap();
    let applications = async || {
        let path = format!("/api/v1/calls/{call}/applications");
        s.get(&w.admin, &path).await.body
    };
    let (pweb, _) = web_login(s, "provider", PASSWORD).await;
    let url = format!("{}/needs/projects/{call}/apply", s.url);
    let form = get_html(&pweb, &url).await;
    assert!(form.contains(&format!(r#"value="{}""#, w.org_a)), "{form}");
    let pcsrf = csrf_from(&form);
    let org = w.org_a.to_string();
    let plan = "每周三次上门法律咨询，配两名律师，服务一百户居民";
    let r = post_form(
        &pweb,
        &url,
        &[
            ("_csrf", pcsrf.as_str()),
            ("org_id", &org),
            ("plan", "太短"),
            ("budget_yuan", "3000"),
        ],
    )
    .await;
    let html = r.text().await.unwrap();
    assert!(
        html.contains("实施方案须为 10 到 5000 字") && html.contains("3000"),
        "{html}"
    );
    let r = post_form(
        &pweb,
        &url,
        &[
            ("_csrf", pcsrf.as_str()),
            ("org_id", &org),
            ("plan", plan),
            ("budget_yuan", "3000"),
        ],
    )
    .await;
    assert!(r.status().is_success() || r.status().is_redirection());
    let apps = applications().await;
    assert_eq!(apps["items"].as_array().unwrap().len(), 1, "{apps}");
    assert_eq!(apps["items"][0]["budget_fen"], 300_000);
    // A resident works for no organisation: the page says so instead of a form.
    assert!(get_html(&rweb, &url).await.contains("没有关联任何社会组织"));

    // An assigned reviewer scores through the sheet; an unassigned account sees nothing.
    let app = apps["items"][0]["id"].as_i64().unwrap();
    s.user_token("judge", "member").await;
    let body = json!({ "username": "judge" });
    s.post(
        &w.admin,
        &format!("/api/v1/calls/{call}/reviewers"),
        Some(&body),
    )
    .await
    .want(201);
    let sheet_url = format!("{}/needs/applications/{app}/review", s.url);
    let r = rweb.get(&sheet_url).send().await.unwrap();
    assert_eq!(r.status(), 404, "not a reviewer of this call");
    let (jweb, _) = web_login(s, "judge", PASSWORD).await;
    let sheet = get_html(&jweb, &sheet_url).await;
    assert!(
        sheet.contains("score:方案可行性") && sheet.contains("不计入总分") && sheet.contains(plan),
        "{sheet}"
    );
    let jcsrf = csrf_from(&sheet);
    let bad = [
        ("_csrf", jcsrf.as_str()),
        ("score:方案可行性", "80"),
        ("score:团队能力", "abc"),
        ("score:创新性", "50"),
    ];
    let html = post_form(&jweb, &sheet_url, &bad)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("请为每个评分项打 0 到 100 分") && html.contains(r#"value="abc""#),
        "{html}"
    );
    let good = [
        ("_csrf", jcsrf.as_str()),
        ("score:方案可行性", "80"),
        ("score:团队能力", "50"),
        ("score:创新性", "10"),
    ];
    let r = post_form(&jweb, &sheet_url, &good).await;
    assert!(r.status().is_success() || r.status().is_redirection());
    let apps = applications().await;
    assert_eq!(
        apps["items"][0]["score"],
        json!(68.0),
        "(80×60 + 50×40) / 100: {apps}"
    );
    let html = post_form(&jweb, &sheet_url, &good)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("每位评审人对每份申报只评一次"), "{html}");
}
