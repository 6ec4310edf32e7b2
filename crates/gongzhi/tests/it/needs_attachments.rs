//! Issue 14, application attachments (申报材料, ADR 035), on both databases: the applicant's
//! staff attach PDF, Word and Excel files checked by their content; a renamed program, an
//! empty file, an oversized one, a broken form and a stray field are refused with a 4xx and
//! leave no row and no stored file behind. Nobody outside the applicant, the call's office
//! and a reviewer given the application downloads them — not a visitor, another
//! organisation, a worker of another community or a reviewer of another call — and the
//! open data never mentions them. A blind reviewer gets the files under neutral names. The
//! applicant deletes until the call closes; after its closing day both adding and deleting
//! answer 409.

use crate::common::{
    Backend, PASSWORD, both_dbs, client, each, fixtures, get_html, send_expect, web_login,
};
use crate::needs::{World, org};
use reqwest::multipart;
use serde_json::{Value, json};

const PLAN_NAME: &str = "甲社区长者服务社-实施方案.pdf";

/// `YYYY-MM-DD` of today in UTC+8 plus `days`.
fn day(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::hours(8) + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

async fn created(w: &World, token: &str, path: &str, body: Value) -> i64 {
    send_expect(&w.s, "POST", Some(token), path, Some(&body), 201).await["id"]
        .as_i64()
        .unwrap()
}

/// Posts a file (and text fields) to the application's attachments API.
async fn upload(
    w: &World,
    token: Option<&str>,
    app: i64,
    name: &str,
    bytes: Vec<u8>,
    extra: &[(&str, &str)],
) -> (u16, Value) {
    let path = format!("/api/v1/applications/{app}/attachments");
    w.s.upload_to(token, &path, name, bytes, extra).await
}

/// A DELETE's status.
async fn delete(w: &World, token: &str, href: &str) -> u16 {
    let r = client()
        .delete(format!("{}{href}", w.s.url))
        .bearer_auth(token);
    r.send().await.expect("delete").status().as_u16()
}

/// A download: status, Content-Disposition, body.
async fn download(w: &World, token: Option<&str>, href: &str) -> (u16, String, Vec<u8>) {
    let mut r = client().get(format!("{}{href}", w.s.url));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().await.expect("download");
    let status = r.status().as_u16();
    let disposition = r
        .headers()
        .get("content-disposition")
        .map(|h| h.to_str().unwrap_or("").to_string())
        .unwrap_or_default();
    (status, disposition, r.bytes().await.unwrap().to_vec())
}

fn stored_files(w: &World) -> usize {
    std::fs::read_dir(w.s.data.path().join("files/needs/attachments"))
        .map(|d| d.count())
        .unwrap_or(0)
}

async fn rows(w: &World) -> i64 {
    w.s.scalar("SELECT COUNT(*) FROM needs_attachments").await
}

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(rel)).unwrap()
}

/// A blind call on NA closing in two days, organisation A's application to it, a second
/// organisation with its own staff, `expert1` reviewing this call and `expert2` another.
struct Setup {
    app: i64,
    staff_b: String,
    expert1: String,
    expert2: String,
}

async fn setup(w: &World) -> Setup {
    let s = &w.s;
    let call = |title: &str| {
        json!({ "title": title, "unit_id": w.na, "budget_fen": 900_000, "opens_on": day(-1),
                "closes_on": day(2), "blind": true, "criteria": [{ "name": "方案", "weight": 100 }] })
    };
    let c = created(w, &w.admin, "/api/v1/calls", call("长者探访项目")).await;
    let other = created(w, &w.admin, "/api/v1/calls", call("青少年托管项目")).await;
    let plan = json!({ "org_id": w.org_a, "plan": "甲社区长者服务社每周上门探访独居老人，联系电话 000-87654321。",
                       "budget_fen": 200_000 });
    let app = created(
        w,
        &w.provider,
        &format!("/api/v1/calls/{c}/applications"),
        plan,
    )
    .await;
    let org_b = created(
        w,
        &w.admin,
        "/api/v1/gov/orgs",
        org("乙家园互助社", 10, w.na, "hub", None),
    )
    .await;
    s.add_user("staff_b", "member");
    s.post(
        &w.admin,
        &format!("/api/v1/gov/orgs/{org_b}/staff"),
        Some(&json!({ "username": "staff_b" })),
    )
    .await
    .want(201);
    for (u, call) in [("expert1", c), ("expert2", other)] {
        s.add_user(u, "member");
        s.post(
            &w.admin,
            &format!("/api/v1/calls/{call}/reviewers"),
            Some(&json!({ "username": u })),
        )
        .await
        .want(201);
    }
    Setup {
        app,
        staff_b: s.login("staff_b").await,
        expert1: s.login("expert1").await,
        expert2: s.login("expert2").await,
    }
}

both_dbs!(needs_attachments_only_to_their_readers);
async fn needs_attachments_only_to_their_readers(backend: Backend) {
    let w = World::new(backend, false).await;
    let s = &w.s;
    let t = setup(&w).await;
    let app = t.app;
    let pdf = fixture("documents/gongzhi-library-reader-guide.pdf");
    let (st, plan) = upload(
        &w,
        Some(&w.provider),
        app,
        PLAN_NAME,
        pdf.clone(),
        &[("kind", "plan")],
    )
    .await;
    assert_eq!(st, 201, "{plan}");
    assert_eq!(
        (plan["kind"].as_str(), plan["format"].as_str()),
        (Some("plan"), Some("pdf"))
    );
    assert_eq!(plan["name"], PLAN_NAME);
    assert_eq!(plan["size"], pdf.len());
    let xlsx = fixture("documents/social-org-annual-report-template.xlsx");
    let (st, sheet) = upload(
        &w,
        Some(&w.provider),
        app,
        "预算表.xlsx",
        xlsx,
        &[("kind", "budget")],
    )
    .await;
    assert_eq!(st, 201, "{sheet}");
    assert_eq!(sheet["format"], "xlsx");
    let doc = fixture("documents/purchased-services-application-guide.doc");
    let (st, v) = upload(
        &w,
        Some(&w.provider),
        app,
        "资质.doc",
        doc,
        &[("kind", "qualification")],
    )
    .await;
    assert_eq!(st, 201, "{v}");

    // Refused: each a 4xx with our error body, and nothing kept.
    let elf = {
        let mut b = b"\x7fELF\x02\x01\x01".to_vec();
        b.resize(4096, 0);
        b
    };
    let huge = {
        let mut b = b"%PDF-1.4\n".to_vec();
        b.resize((10 << 20) + 1, b'x');
        b
    };
    // (file name, bytes, form fields, status, error code)
    type Case<'a> = (&'a str, Vec<u8>, &'a [(&'a str, &'a str)], u16, &'a str);
    let cases: [Case; 5] = [
        ("方案.pdf", elf, &[], 415, "unsupported"),
        (
            "随机.pdf",
            fixture("bad/random.pdf"),
            &[],
            415,
            "unsupported",
        ),
        ("空.pdf", Vec::new(), &[], 400, "no_file"),
        ("大.pdf", huge, &[], 413, "too_large"),
        (
            "方案.pdf",
            pdf.clone(),
            &[("kind", "photo")],
            400,
            "invalid_field",
        ),
    ];
    for (name, bytes, extra, want, code) in cases {
        let (st, v) = upload(&w, Some(&w.provider), app, name, bytes, extra).await;
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (want, Some(code)),
            "{name}: {v}"
        );
    }
    let url = format!("{}/api/v1/applications/{app}/attachments", s.url);
    let r = client()
        .post(&url)
        .bearer_auth(&w.provider)
        .header("content-type", "multipart/form-data; boundary=XYZ")
        .body("--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n%PDF-1.4 and no end")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "a form cut short");
    let r = client()
        .post(&url)
        .bearer_auth(&w.provider)
        .json(&json!({ "file": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "not a multipart form");
    let form = multipart::Form::new().text("kind", "plan");
    let r = client()
        .post(&url)
        .bearer_auth(&w.provider)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "no file part");
    assert_eq!(
        (rows(&w).await, stored_files(&w)),
        (3, 3),
        "refusals keep nothing"
    );

    // Who must not read them: every output answers as if they did not exist.
    let list = format!("/api/v1/applications/{app}/attachments");
    let file = plan["href"].as_str().unwrap().to_string();
    assert_eq!(s.status_of(None, &list).await, 401);
    assert_eq!(download(&w, None, &file).await.0, 401);
    for (who, token) in [
        ("another organisation", &t.staff_b),
        ("a reviewer of another call", &t.expert2),
        ("a worker of another community", &w.worker_b),
        ("a resident", &w.resident),
    ] {
        assert_eq!(s.status_of(Some(token), &list).await, 404, "{who}: list");
        assert_eq!(
            download(&w, Some(token), &file).await.0,
            404,
            "{who}: download"
        );
        assert_eq!(
            s.status_of(Some(token), &format!("/api/v1/applications/{app}"))
                .await,
            404,
            "{who}: application"
        );
        let (st, _) = upload(&w, Some(token), app, "x.pdf", pdf.clone(), &[]).await;
        assert_eq!(st, 404, "{who}: upload");
    }
    let (_, open) = s.get_json(None, "/ocds/releases.json").await;
    let open = open.to_string();
    assert!(
        !open.contains("attachments/") && !open.contains("实施方案.pdf"),
        "open data: {open}"
    );

    // Who may: the applicant, the office (the call unit's worker), the given reviewer.
    for token in [&w.provider, &w.worker_a, &w.admin] {
        let (st, v) = s.get_json(Some(token), &list).await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(
            v["items"][0]["name"], PLAN_NAME,
            "named for the applicant and the office"
        );
        let (st, disposition, body) = download(&w, Some(token), &file).await;
        assert_eq!((st, body == pdf), (200, true));
        assert!(disposition.starts_with("attachment;"), "{disposition}");
    }
    let (st, v) = s.get_json(Some(&t.expert1), &list).await;
    assert_eq!(st, 200);
    let names: Vec<&str> = each(&v["items"])
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 3);
    assert!(
        names
            .iter()
            .all(|n| !n.contains("甲社区") && !["预算表.xlsx", "资质.doc"].contains(n)),
        "blind names: {names:?}"
    );
    assert!(
        names[0].ends_with(".pdf") && names[1].ends_with(".xlsx"),
        "{names:?}"
    );
    let (st, disposition, body) = download(&w, Some(&t.expert1), &file).await;
    assert_eq!((st, body == pdf), (200, true));
    assert!(
        !disposition.contains("%E7%94%B2"),
        "no applicant name in the header: {disposition}"
    );
    let view = s
        .get(&t.expert1, &format!("/api/v1/applications/{app}"))
        .await
        .want(200);
    assert_eq!(view["attachments"].as_array().unwrap().len(), 3, "{view}");
    assert!(!view.to_string().contains("甲社区"), "{view}");
    let mine = s.get(&t.expert1, "/api/v1/reviews/mine").await.want(200);
    assert_eq!(
        mine["items"][0]["items"][0]["attachments"]
            .as_array()
            .unwrap()
            .len(),
        3,
        "{mine}"
    );
    assert!(!mine.to_string().contains("甲社区"), "{mine}");
    let own = s
        .get(&w.provider, &format!("/api/v1/applications/{app}"))
        .await
        .want(200);
    assert_eq!(
        own["org_name"], "甲社区长者服务社",
        "the applicant reads its own application"
    );

    // Only the applicant adds and deletes.
    let (st, _) = upload(&w, Some(&t.expert1), app, "x.pdf", pdf.clone(), &[]).await;
    assert_eq!(st, 403, "a reviewer adds nothing");
    let sheet_href = sheet["href"].as_str().unwrap();
    for token in [&t.expert1, &w.worker_a] {
        assert_eq!(delete(&w, token, sheet_href).await, 403);
    }
    assert_eq!(delete(&w, &t.staff_b, sheet_href).await, 404);
    assert_eq!(delete(&w, &w.provider, sheet_href).await, 204);
    assert_eq!(download(&w, Some(&w.provider), sheet_href).await.0, 404);
    assert_eq!(
        (rows(&w).await, stored_files(&w)),
        (2, 2),
        "the row and the file are gone"
    );

    // After the closing day: locked, still readable.
    w.clock.set_offset(4 * 86_400_000);
    let (st, v) = upload(&w, Some(&w.provider), app, "补充.pdf", pdf.clone(), &[]).await;
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (409, Some("conflict")),
        "{v}"
    );
    assert_eq!(delete(&w, &w.provider, &file).await, 409);
    assert_eq!(download(&w, Some(&w.provider), &file).await.0, 200);
    assert_eq!((rows(&w).await, stored_files(&w)), (2, 2));
}

both_dbs!(needs_attachments_through_the_application_page);
async fn needs_attachments_through_the_application_page(backend: Backend) {
    let w = World::new(backend, false).await;
    let s = &w.s;
    let t = setup(&w).await;
    let app = t.app;
    let (web, _) = web_login(s, "provider", PASSWORD).await;
    let page_url = format!("{}/needs/applications/{app}", s.url);
    let html = get_html(&web, &page_url).await;
    assert!(
        html.contains("申报材料") && html.contains("enctype=\"multipart/form-data\""),
        "{html}"
    );
    let csrf = crate::common::csrf_from(&html);
    let post = |name: &'static str, bytes: Vec<u8>| {
        let form = multipart::Form::new()
            .text("kind", "plan")
            .part("file", multipart::Part::bytes(bytes).file_name(name));
        web.post(format!("{page_url}/attachments?_csrf={csrf}"))
            .multipart(form)
            .send()
    };
    let r = post("方案.txt", b"not a document at all".to_vec())
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let text = r.text().await.unwrap();
    assert!(
        text.contains("申报材料须为 PDF、Word 或 Excel 文件"),
        "the reason on the page: {text}"
    );
    let r = post(
        "甲社区方案.pdf",
        fixture("documents/gongzhi-library-reader-guide.pdf"),
    )
    .await
    .unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    let html = get_html(&web, &page_url).await;
    assert!(
        html.contains("甲社区方案.pdf") && html.contains("/delete"),
        "{html}"
    );

    // The reviewer's page: the file under its neutral name, no forms; others: 404.
    let (jweb, _) = web_login(s, "expert1", PASSWORD).await;
    let html = get_html(&jweb, &page_url).await;
    assert!(
        html.contains("/api/v1/attachments/") && !html.contains("甲社区"),
        "{html}"
    );
    assert!(
        !html.contains("multipart/form-data"),
        "a reviewer uploads nothing"
    );
    for user in ["staff_b", "expert2"] {
        let (c, _) = web_login(s, user, PASSWORD).await;
        assert_eq!(
            c.get(&page_url).send().await.unwrap().status(),
            404,
            "{user}"
        );
    }
    // The applicant reaches the page from the call page.
    let call = s
        .get(&w.provider, &format!("/api/v1/applications/{app}"))
        .await
        .want(200)["call_id"]
        .as_i64()
        .unwrap();
    let html = get_html(&web, format!("{}/needs/projects/{call}", s.url)).await;
    assert!(
        html.contains(&format!("/needs/applications/{app}")),
        "{html}"
    );
}

/// The application page on a phone: the files table stacks, the upload form fits 360 px.
#[tokio::test]
async fn needs_application_page_at_phone_width() {
    let Some(b) = crate::common::webdriver::Browser::start().await else {
        return;
    };
    let w = World::new(Backend::Sqlite, false).await;
    let t = setup(&w).await;
    let pdf = fixture("documents/gongzhi-library-reader-guide.pdf");
    let (st, _) = upload(
        &w,
        Some(&w.provider),
        t.app,
        PLAN_NAME,
        pdf,
        &[("kind", "plan")],
    )
    .await;
    assert_eq!(st, 201);
    b.emulate(360, 740).await;
    b.sign_in(&w.s.url, "provider").await;
    b.goto(&format!("{}/needs/applications/{}", w.s.url, t.app))
        .await;
    assert!(b.text("#files").await.contains(PLAN_NAME));
    assert_eq!(b.count("input[type=file]").await, 1);
    let fits = b
        .eval("return document.documentElement.scrollWidth <= window.innerWidth")
        .await;
    assert_eq!(fits, json!(true), "no sideways scrolling at 360 px");
    if let Ok(dir) = std::env::var("GONGZHI_SCREENSHOT_DIR") {
        b.screenshot(&std::path::Path::new(&dir).join("needs-application-360.png"))
            .await;
    }
}
