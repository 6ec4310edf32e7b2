//! Governance (issue 5, first slice): scope isolation, the 1+5+X rules, credit-code
//! validation, and every governance route walked with every role — on every backend.

use crate::common::{
    Backend, District, PASSWORD, Server, both_dbs, client, cookie_client, credit_code, csrf_from,
    each, expect_each, get_html, page_text, post_form, send, send_expect, status, web_login,
};
use serde_json::{Value, json};

mod trust;

/// A valid credit code for these tests.
fn code(seq: u32) -> String {
    credit_code("51330199", seq)
}

/// The same code with its check character replaced by a wrong one.
fn corrupt(code: &str) -> String {
    let last = code.chars().last().unwrap();
    let wrong = if last == '0' { '1' } else { '0' };
    format!("{}{wrong}", &code[..17])
}

/// This file's units: with population and a party organisation.
fn district<'a>(s: &'a Server, token: &str) -> District<'a> {
    District::new(
        s,
        token,
        json!({ "residents": 5000, "households": 2000, "party_org_name": "{code}党支部" }),
    )
}

fn org_body(name: &str, code: &str, unit: i64, role: &str, hub: Option<i64>) -> Value {
    json!({
        "name": name, "credit_code": code, "org_type": "social_group", "registered_on": "2018-03-15",
        "legal_rep": "测试人", "address": "测试路 1 号", "unit_id": unit, "service_fields": ["elderly"],
        "staff_count": 5, "staff_under_35": 2, "staff_35_to_54": 2, "staff_55_plus": 1, "volunteers": 12,
        "contact_phone": "000-12345678", "hub_role": role, "hub_id": hub, "brand": false, "leading_figure": ""
    })
}

async fn org(s: &Server, token: &str, body: &Value) -> i64 {
    let v = send_expect(s, "POST", Some(token), "/api/v1/gov/orgs", Some(body), 201).await;
    v["id"].as_i64().unwrap()
}

/// A small district: D → streets SA (communities CA with grid GA, CA2) and SB (community CB).
struct World {
    s: Server,
    admin: String,
    nobody: String,
    viewer_a: String,
    worker_a: String,
    uadmin_a: String,
    street_a: String,
    district_v: String,
    /// Staff of organisation `ma` (an org-staff link, no unit role).
    org_a: String,
    d: i64,
    ca: i64,
    cb: i64,
    fed: i64,
    hub: i64,
    ma: i64,
    ma2: i64,
    mb: i64,
}

async fn world(backend: crate::common::Backend) -> World {
    world_with(backend, &[]).await
}

/// The world on a server started with extra environment (e.g. `GONGZHI_NOW`).
async fn world_with(backend: crate::common::Backend, env: &[(&str, &str)]) -> World {
    let s = Server::start_with(backend, env).await;
    let admin = s.user_token("admin", "admin").await;
    let mut units = district(&s, &admin);
    let plan = "district TD; street TSA TSB in TD; community TCA TCA2 in TSA; community TCB in TSB; grid TGA in TCA";
    units.plan(plan).await;
    let (d, ca, ca2, cb) = (
        units.id("TD"),
        units.id("TCA"),
        units.id("TCA2"),
        units.id("TCB"),
    );
    let fed = org(
        &s,
        &admin,
        &org_body("测试区社会组织联合会", &code(1), d, "federation", None),
    )
    .await;
    let hub = org(
        &s,
        &admin,
        &org_body("测试区养老服务协会", &code(2), d, "hub", None),
    )
    .await;
    let ma = org(
        &s,
        &admin,
        &org_body("甲社区老年协会", &code(3), ca, "member", Some(hub)),
    )
    .await;
    let ma2 = org(
        &s,
        &admin,
        &org_body("甲二社区读书会", &code(4), ca2, "member", Some(hub)),
    )
    .await;
    let mb = org(
        &s,
        &admin,
        &org_body("乙社区书画社", &code(5), cb, "member", Some(hub)),
    )
    .await;
    for name in [
        "nobody",
        "viewer_a",
        "worker_a",
        "uadmin_a",
        "street_a",
        "district_v",
        "orgstaff_a",
        "spare",
    ] {
        s.add_user(name, "member");
    }
    // Roles through the operator CLI…
    units.grant("viewer_a", "TCA", "viewer");
    units.grant("worker_a", "TCA", "worker");
    units.grant("street_a", "TSA", "worker");
    // …and through the API.
    for (user, unit_code, role) in [
        ("uadmin_a", "TCA", "unit_admin"),
        ("district_v", "TD", "viewer"),
    ] {
        s.post(
            &admin,
            "/api/v1/gov/memberships",
            Some(&json!({ "username": user, "unit_code": unit_code, "role": role })),
        )
        .await
        .want(201);
    }
    // An organisation's own staff account, linked by the community's administrator.
    let uadmin = s.login("uadmin_a").await;
    s.post(
        &uadmin,
        &format!("/api/v1/gov/orgs/{ma}/staff"),
        Some(&json!({ "username": "orgstaff_a" })),
    )
    .await
    .want(201);
    World {
        org_a: s.login("orgstaff_a").await,
        nobody: s.login("nobody").await,
        viewer_a: s.login("viewer_a").await,
        worker_a: s.login("worker_a").await,
        uadmin_a: s.login("uadmin_a").await,
        street_a: s.login("street_a").await,
        district_v: s.login("district_v").await,
        s,
        admin,
        d,
        ca,
        cb,
        fed,
        hub,
        ma,
        ma2,
        mb,
    }
}

async fn org_ids(w: &World, token: &str, query: &str) -> Vec<i64> {
    let v =
        w.s.get(token, &format!("/api/v1/gov/orgs{query}"))
            .await
            .want(200);
    let mut ids: Vec<i64> = each(&v["items"])
        .map(|o| o["id"].as_i64().unwrap())
        .collect();
    ids.sort();
    assert_eq!(v["total"].as_i64().unwrap() as usize, ids.len());
    ids
}

async fn csv(w: &World, token: &str, query: &str) -> (u16, String) {
    let r =
        w.s.raw("GET", Some(token), &format!("/gov/orgs.csv{query}"))
            .await;
    (r.status().as_u16(), r.text().await.unwrap())
}

both_dbs!(scope_isolation);
async fn scope_isolation(backend: Backend) {
    let w = world(backend).await;
    let s = &w.s;
    let (a, b) = (&w.worker_a, format!("/api/v1/gov/orgs/{}", w.mb));

    // A community worker lists, reads, finds and exports only their community.
    assert_eq!(org_ids(&w, a, "").await, vec![w.ma], "{backend:?}");
    assert_eq!(
        org_ids(&w, a, "?q=%E4%B9%99").await,
        Vec::<i64>::new(),
        "B's name is not found"
    );
    assert_eq!(org_ids(&w, a, &format!("?hub={}", w.hub)).await, vec![w.ma]);
    for path in [
        b.clone(),
        format!("/api/v1/gov/units/{}", w.cb),
        format!("/api/v1/gov/orgs?unit={}", w.cb),
        format!("/gov/orgs/{}", w.mb),
        format!("/gov/units/{}", w.cb),
        // The federation's own record is above the community: named, not readable.
        format!("/api/v1/gov/orgs/{}", w.fed),
    ] {
        assert_eq!(s.status_of(Some(a), &path).await, 404, "{path}");
    }
    let body = org_body("乙社区书画社（改）", &code(5), w.cb, "member", Some(w.hub));
    // B's organisations can be neither changed nor registered.
    s.put(a, &b, Some(&body)).await.want(404);
    let in_b = org_body("乙新组织", &code(90), w.cb, "member", Some(w.hub));
    s.post(a, "/api/v1/gov/orgs", Some(&in_b))
        .await
        .want_error(400, "unknown_unit");
    let moved = org_body("甲社区老年协会", &code(3), w.cb, "member", Some(w.hub));
    s.put(a, &format!("/api/v1/gov/orgs/{}", w.ma), Some(&moved))
        .await
        .want(400);
    let (st, text) = csv(&w, a, "").await;
    assert_eq!(st, 200);
    assert!(
        text.contains("甲社区老年协会")
            && !text.contains("乙社区书画社")
            && !text.contains("甲二社区读书会"),
        "{text}"
    );
    assert_eq!(csv(&w, a, &format!("?unit={}", w.cb)).await.0, 404);
    let html = page_text(s, a, "/gov/units").await;
    assert!(
        html.contains("TCA单位") && !html.contains("TCB单位") && !html.contains("TSB单位"),
        "tree shows only A"
    );
    let (_, units) = send(s, "GET", Some(a), "/api/v1/gov/units", None).await;
    assert_eq!(
        units["items"].as_array().unwrap().len(),
        2,
        "the community and its grid: {units}"
    );
    let (_, hub) = send(s, "GET", Some(a), "/api/v1/gov/hub", None).await;
    assert_eq!(hub["members"], 1, "statistics count only A: {hub}");
    assert_eq!(
        hub["federation"]["id"], w.fed,
        "the district's federation is named"
    );

    // The worker changes their own community's organisation.
    let mut changed = org_body("甲社区老年协会", &code(3), w.ca, "member", Some(w.hub));
    changed["volunteers"] = json!(40);
    let (st, v) = s
        .put(a, &format!("/api/v1/gov/orgs/{}", w.ma), Some(&changed))
        .await
        .parts();
    assert_eq!((st, v["volunteers"].as_i64()), (200, Some(40)), "{v}");

    // A street sees its communities, not the other street's.
    assert_eq!(org_ids(&w, &w.street_a, "").await, vec![w.ma, w.ma2]);
    expect_each(
        s,
        &[
            (
                "GET",
                Some(&w.street_a[..]),
                &format!("/api/v1/gov/units/{}", w.ca)[..],
                None,
                200,
            ),
            ("GET", Some(&w.street_a[..]), &b[..], None, 404),
        ],
    )
    .await;

    // The district sees all (read-only for a viewer: no export, no edit).
    assert_eq!(
        org_ids(&w, &w.district_v, "").await,
        vec![w.fed, w.hub, w.ma, w.ma2, w.mb]
    );
    assert_eq!(csv(&w, &w.district_v, "").await.0, 403);
    s.put(&w.district_v, &b, Some(&body)).await.want(403);
    let (_, u) = s
        .get(&w.district_v, &format!("/api/v1/gov/units/{}", w.d))
        .await
        .parts();
    assert_eq!(u["org_count"], 5, "{u}");

    // The platform admin sees everything.
    assert_eq!(org_ids(&w, &w.admin, "").await.len(), 5);
}

both_dbs!(hub_rules_1_5_x);
async fn hub_rules_1_5_x(backend: Backend) {
    let w = world(backend).await;
    let s = &w.s;
    let post = |body: Value| {
        let s = &w.s;
        let admin = w.admin.clone();
        async move { send(s, "POST", Some(&admin), "/api/v1/gov/orgs", Some(&body)).await }
    };
    let err = |r: (u16, Value)| {
        (
            r.0,
            r.1["error"]["code"].as_str().unwrap_or("").to_string(),
            r.1,
        )
    };

    let (st, _, v) = err(post(org_body(
        "第二个联合会",
        &code(10),
        w.ca,
        "federation",
        None,
    ))
    .await);
    assert_eq!(st, 409, "{backend:?}: one federation per district: {v}");
    assert_eq!(v["error"]["code"], "federation_exists", "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("federation"),
        "{v}"
    );
    let (st, c, v) = err(post(org_body("无枢纽会员", &code(11), w.ca, "member", None)).await);
    assert_eq!((st, c.as_str()), (400, "hub_required"), "{v}");
    let (st, c, v) = err(post(org_body("挂联合会", &code(12), w.ca, "member", Some(w.fed))).await);
    assert_eq!((st, c.as_str()), (400, "not_a_hub"), "{v}");
    let (st, c, v) = err(post(org_body("挂会员", &code(13), w.ca, "member", Some(w.ma))).await);
    assert_eq!((st, c.as_str()), (400, "not_a_hub"), "{v}");
    let (st, c, v) = err(post(org_body(
        "挂不存在",
        &code(14),
        w.ca,
        "member",
        Some(999_999),
    ))
    .await);
    assert_eq!((st, c.as_str()), (400, "unknown_hub"), "{v}");
    let (st, c, v) = err(post(org_body("挂靠的枢纽", &code(15), w.ca, "hub", Some(w.hub))).await);
    assert_eq!((st, c.as_str()), (400, "hub_not_allowed"), "{v}");
    let (st, c, v) = err(post(org_body("重复代码", &code(3), w.ca, "member", Some(w.hub))).await);
    assert_eq!((st, c.as_str()), (409, "credit_code_taken"), "{v}");

    // A hub of another district cannot take this district's members.
    let d2 = district(s, &w.admin).unit(None, "district", "TD2").await;
    let hub2 = org(
        s,
        &w.admin,
        &org_body("另一区枢纽", &code(20), d2, "hub", None),
    )
    .await;
    let (st, c, v) = err(post(org_body("跨区会员", &code(16), w.ca, "member", Some(hub2))).await);
    assert_eq!((st, c.as_str()), (400, "hub_other_district"), "{v}");
    // …but the other district may have its own federation.
    org(
        s,
        &w.admin,
        &org_body("另一区联合会", &code(21), d2, "federation", None),
    )
    .await;

    // A hub with members keeps its role; without members it may become a member.
    let demote = org_body("测试区养老服务协会", &code(2), w.d, "member", Some(hub2));
    let v = s
        .put(
            &w.admin,
            &format!("/api/v1/gov/orgs/{}", w.hub),
            Some(&demote),
        )
        .await
        .want(409);
    assert_eq!(v["error"]["code"], "hub_has_members", "{v}");
    let hub3 = org(
        s,
        &w.admin,
        &org_body("空枢纽", &code(22), w.d, "hub", None),
    )
    .await;
    let demote3 = org_body("空枢纽", &code(22), w.d, "member", Some(w.hub));
    let (st, v) = s
        .put(
            &w.admin,
            &format!("/api/v1/gov/orgs/{hub3}"),
            Some(&demote3),
        )
        .await
        .parts();
    assert_eq!((st, v["hub_role"].as_str()), (200, Some("member")), "{v}");

    // Only the district's administrators name hubs: a community worker or admin cannot.
    for t in [&w.worker_a, &w.uadmin_a] {
        s.post(
            t,
            "/api/v1/gov/orgs",
            Some(&org_body("自封枢纽", &code(30), w.ca, "hub", None)),
        )
        .await
        .want(403);
    }
    // A worker may attach their members to the district's hub (named above them).
    let id = org(
        s,
        &w.worker_a,
        &org_body("甲社区新会员", &code(31), w.ca, "member", Some(w.hub)),
    )
    .await;
    assert!(id > 0);
}

both_dbs!(credit_codes_are_checked);
async fn credit_codes_are_checked(backend: Backend) {
    let w = world(backend).await;
    let s = &w.s;
    let good = code(40);
    let bad = corrupt(&good);
    let v = s
        .post(
            &w.worker_a,
            "/api/v1/gov/orgs",
            Some(&org_body("校验位错误", &bad, w.ca, "member", Some(w.hub))),
        )
        .await
        .want(400);
    assert_eq!(v["error"]["code"], "invalid_credit_code");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("check character") && msg.contains("校验位"),
        "readable in both languages: {msg}"
    );
    for (raw, what) in [("12345", "length"), ("9111010855I385082Q", "letter I")] {
        let (st, v) = s
            .post(
                &w.worker_a,
                "/api/v1/gov/orgs",
                Some(&org_body("坏代码", raw, w.ca, "member", Some(w.hub))),
            )
            .await
            .parts();
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (400, Some("invalid_credit_code")),
            "{what}: {v}"
        );
    }
    let (_, list) = s
        .get(&w.admin, "/api/v1/gov/orgs?q=%E6%A0%A1%E9%AA%8C")
        .await
        .parts();
    assert_eq!(list["total"], 0, "nothing was stored");
    // Lower case is accepted and stored upper case.
    let id = org(
        s,
        &w.worker_a,
        &org_body(
            "小写代码",
            &good.to_lowercase(),
            w.ca,
            "member",
            Some(w.hub),
        ),
    )
    .await;
    let (_, v) = s
        .get(&w.worker_a, &format!("/api/v1/gov/orgs/{id}"))
        .await
        .parts();
    assert_eq!(v["credit_code"], good.as_str());

    // The browser form: signed in by cookie, with the CSRF token; the error is in Chinese.
    let (web, _) = web_login(s, "worker_a", PASSWORD).await;
    let form = get_html(&web, format!("{}/gov/orgs/new", s.url)).await;
    let csrf = csrf_from(&form);
    let ca = w.ca.to_string();
    let hub = w.hub.to_string();
    let fields = |code: String| {
        vec![
            ("_csrf".to_string(), csrf.clone()),
            ("name".into(), "表单登记的组织".into()),
            ("credit_code".into(), code),
            ("org_type".into(), "social_service_agency".into()),
            ("registered_on".into(), "2020-05-06".into()),
            ("legal_rep".into(), "表单人".into()),
            ("unit_id".into(), ca.clone()),
            ("hub_role".into(), "member".into()),
            ("hub_id".into(), hub.clone()),
            ("service_fields".into(), "elderly".into()),
            ("service_fields".into(), "health".into()),
            ("staff_count".into(), "3".into()),
        ]
    };
    let r = post_form(
        &web,
        format!("{}/gov/orgs", s.url),
        &fields(corrupt(&code(41))),
    )
    .await;
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("校验位不正确") && html.contains("表单登记的组织"),
        "error shown, input kept"
    );
    let r = post_form(&web, format!("{}/gov/orgs", s.url), &fields(code(41))).await;
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    let page = get_html(&web, format!("{}{to}", s.url)).await;
    assert!(
        page.contains("表单登记的组织") && page.contains("养老服务") && page.contains("医疗健康"),
        "{to}"
    );
    // Without the token the same form is refused.
    let mut no_token = fields(code(42));
    no_token.remove(0);
    let r = post_form(&web, format!("{}/gov/orgs", s.url), &no_token).await;
    assert_eq!(r.status(), 403);
}

both_dbs!(every_route_with_every_role);
async fn every_route_with_every_role(backend: Backend) {
    let w = world(backend).await;
    let s = &w.s;
    // anonymous, member without scope, viewer, worker, unit admin (all of community A),
    // platform admin, and the staff of organisation A (an org-staff link, no unit role)
    let roles: [(&str, Option<&str>); 7] = [
        ("anonymous", None),
        ("no scope", Some(&w.nobody)),
        ("viewer", Some(&w.viewer_a)),
        ("worker", Some(&w.worker_a)),
        ("unit admin", Some(&w.uadmin_a)),
        ("admin", Some(&w.admin)),
        ("org staff", Some(&w.org_a)),
    ];
    let (ma, mb, ca, cb) = (w.ma, w.mb, w.ca, w.cb);
    // A report of A's organisation to look at.
    let rep = s
        .post(
            &w.org_a,
            &format!("/api/v1/gov/orgs/{ma}/reports"),
            Some(&json!({ "year": 2019, "activities": "全年开展睦邻活动十余次，服务老人。" })),
        )
        .await
        .want(201);
    let rid = rep["id"].as_i64().unwrap();
    let read = [303, 403, 200, 200, 200, 200, 403];
    let write_page = [303, 403, 403, 200, 200, 200, 403];
    let other_page = [303, 403, 404, 404, 404, 200, 403];
    let api_read = [401, 403, 200, 200, 200, 200, 403];
    let api_other = [401, 403, 404, 404, 404, 200, 403];
    let own_org_page = [303, 403, 200, 200, 200, 200, 200];
    let own_org_api = [401, 403, 200, 200, 200, 200, 200];
    let other_org_page = [303, 403, 404, 404, 404, 200, 404];
    let other_org_api = [401, 403, 404, 404, 404, 200, 404];
    let org_write_page = [303, 403, 403, 200, 200, 200, 200];
    let gets: Vec<(String, [u16; 7])> = vec![
        ("/gov".into(), [303, 403, 200, 200, 200, 200, 303]),
        ("/gov/my".into(), [303, 200, 200, 200, 200, 200, 200]),
        ("/gov/units".into(), read),
        (format!("/gov/units/{ca}"), read),
        (format!("/gov/units/{cb}"), other_page),
        (
            format!("/gov/units/{ca}/edit"),
            [303, 403, 403, 403, 200, 200, 403],
        ),
        (format!("/gov/units/{cb}/edit"), other_page),
        ("/gov/orgs".into(), read),
        (
            "/gov/orgs?type=social_group&field=elderly&q=%E7%A4%BE&grade=5A".into(),
            read,
        ),
        (format!("/gov/orgs/{ma}"), own_org_page),
        (format!("/gov/orgs/{mb}"), other_org_page),
        ("/gov/orgs/new".into(), write_page),
        (format!("/gov/orgs/{ma}/edit"), write_page),
        (
            format!("/gov/orgs/{mb}/edit"),
            [303, 403, 404, 404, 404, 200, 404],
        ),
        (format!("/gov/orgs/{ma}/report"), org_write_page),
        (format!("/gov/orgs/{mb}/report"), other_org_page),
        (format!("/gov/orgs/{ma}/profile"), org_write_page),
        (format!("/gov/orgs/{mb}/profile"), other_org_page),
        (
            format!("/gov/orgs/{ma}/assess"),
            [303, 403, 403, 403, 403, 200, 403],
        ),
        ("/gov/orgs.csv".into(), write_page),
        ("/gov/hub".into(), read),
        ("/gov/reports".into(), read),
        ("/gov/reports?status=submitted&year=2019".into(), read),
        ("/gov/reports?status=all".into(), read),
        (format!("/gov/reports/{rid}"), own_org_page),
        ("/gov/abnormal".into(), read),
        ("/gov/grades".into(), read),
        ("/gov/stats".into(), read),
        (format!("/gov/stats?unit={ca}"), read),
        (format!("/gov/stats?unit={cb}"), other_page),
        ("/api/v1/gov/me".into(), [401, 200, 200, 200, 200, 200, 200]),
        ("/api/v1/gov/units".into(), api_read),
        (format!("/api/v1/gov/units/{ca}"), api_read),
        (format!("/api/v1/gov/units/{cb}"), api_other),
        ("/api/v1/gov/orgs".into(), api_read),
        (format!("/api/v1/gov/orgs/{ma}"), own_org_api),
        (format!("/api/v1/gov/orgs/{mb}"), other_org_api),
        ("/api/v1/gov/hub".into(), api_read),
        ("/api/v1/gov/reports".into(), api_read),
        (format!("/api/v1/gov/reports/{rid}"), own_org_api),
        (format!("/api/v1/gov/orgs/{ma}/reports"), own_org_api),
        (format!("/api/v1/gov/orgs/{mb}/reports"), other_org_api),
        (format!("/api/v1/gov/orgs/{ma}/assessments"), own_org_api),
        (format!("/api/v1/gov/orgs/{ma}/staff"), own_org_api),
        (format!("/api/v1/gov/orgs/{mb}/staff"), other_org_api),
        (
            "/api/v1/gov/report-deadlines".into(),
            [401, 403, 200, 200, 200, 200, 200],
        ),
        ("/api/v1/gov/abnormal".into(), api_read),
        ("/api/v1/gov/grades".into(), api_read),
        ("/api/v1/gov/grade-cutoffs".into(), api_read),
        ("/api/v1/gov/stats".into(), api_read),
        (format!("/api/v1/gov/stats?unit={ca}"), api_read),
        (format!("/api/v1/gov/stats?unit={cb}"), api_other),
    ];
    for (path, expected) in &gets {
        for ((who, token), want) in roles.iter().zip(expected) {
            let got = s.status_of(*token, path).await;
            assert_eq!(got, *want, "{backend:?} GET {path} as {who}");
        }
    }
    // Writes through the API (bearer tokens need no CSRF token).
    let (_, a_org) = s
        .get(&w.admin, &format!("/api/v1/gov/orgs/{ma}"))
        .await
        .parts();
    let put_a = org_body(
        a_org["name"].as_str().unwrap(),
        a_org["credit_code"].as_str().unwrap(),
        ca,
        "member",
        Some(w.hub),
    );
    let put_b = org_body("乙社区书画社", &code(5), cb, "member", Some(w.hub));
    for (i, ((who, token), (a, b, create, unit, grant))) in roles
        .iter()
        .zip([
            (401, 401, 401, 401, 401),
            (403, 403, 403, 403, 403),
            (403, 404, 403, 403, 403),
            (200, 404, 201, 403, 403),
            (200, 404, 201, 201, 201),
            (200, 200, 201, 201, 201),
            (403, 404, 403, 403, 403),
        ])
        .enumerate()
    {
        let put = |id: i64, body: &Value| {
            let body = body.clone();
            async move {
                status(
                    s,
                    "PUT",
                    *token,
                    &format!("/api/v1/gov/orgs/{id}"),
                    Some(&body),
                )
                .await
            }
        };
        assert_eq!(put(ma, &put_a).await, a, "{backend:?} PUT A's org as {who}");
        assert_eq!(put(mb, &put_b).await, b, "{backend:?} PUT B's org as {who}");
        let body = org_body(
            &format!("新组织{i}"),
            &code(100 + i as u32),
            ca,
            "member",
            Some(w.hub),
        );
        assert_eq!(
            status(s, "POST", *token, "/api/v1/gov/orgs", Some(&body)).await,
            create,
            "{backend:?} POST org as {who}"
        );
        let grid =
            json!({ "parent_id": ca, "kind": "grid", "name": "新网格", "code": format!("NG{i}") });
        assert_eq!(
            status(s, "POST", *token, "/api/v1/gov/units", Some(&grid)).await,
            unit,
            "{backend:?} POST unit as {who}"
        );
        let g = json!({ "username": "nobody", "unit_id": ca, "role": "viewer" });
        assert_eq!(
            status(s, "POST", *token, "/api/v1/gov/memberships", Some(&g)).await,
            grant,
            "{backend:?} POST membership as {who}"
        );
        // Form posts with a bearer token (no CSRF needed): redirect on success.
        let form_status = {
            let mut r = client()
                .post(format!("{}/gov/orgs/{ma}/edit", s.url))
                .form(&[
                    ("name", a_org["name"].as_str().unwrap()),
                    ("credit_code", a_org["credit_code"].as_str().unwrap()),
                    ("org_type", "social_group"),
                    ("registered_on", "2018-03-15"),
                    ("legal_rep", "测试人"),
                    ("unit_id", &ca.to_string()),
                    ("hub_role", "member"),
                    ("hub_id", &w.hub.to_string()),
                ]);
            if let Some(t) = token {
                r = r.bearer_auth(t);
            }
            r.send().await.unwrap().status().as_u16()
        };
        let want = match a {
            200 => 303,
            401 => 403, // no session and no CSRF token: refused by the CSRF check
            other => other,
        };
        assert_eq!(form_status, want, "{backend:?} POST edit form as {who}");
    }
    // Oversight writes: profile, reports (submit and review), assessments, rules, staff links.
    // Reports of A's organisation, one per role to review.
    for year in 2018..=2024 {
        if year == 2019 {
            continue;
        }
        let (st, v) = s
            .post(
                &w.admin,
                &format!("/api/v1/gov/orgs/{ma}/reports"),
                Some(&json!({ "year": year, "activities": "年度内开展多次社区服务活动。" })),
            )
            .await
            .parts();
        assert_eq!(st, 201, "{v}");
    }
    let admin_token = w.admin.as_str();
    let report_of = |year: i64| async move {
        let (_, v) = s
            .get(admin_token, &format!("/api/v1/gov/orgs/{ma}/reports"))
            .await
            .parts();
        each(&v["items"]).find(|r| r["year"] == year).unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    for (i, ((who, token), want)) in roles
        .iter()
        .zip([
            [401, 401, 401, 401, 401, 401, 401, 403],
            [403, 404, 403, 403, 403, 403, 403, 403],
            [403, 404, 403, 403, 403, 403, 403, 403],
            [200, 404, 201, 200, 403, 403, 403, 303],
            [200, 404, 201, 200, 403, 403, 201, 303],
            [200, 200, 201, 200, 201, 200, 201, 303],
            [200, 404, 201, 403, 403, 403, 403, 303],
        ])
        .enumerate()
    {
        let profile = json!({ "volunteers": 20 + i as i64 });
        let got = [
            status(
                s,
                "PUT",
                *token,
                &format!("/api/v1/gov/orgs/{ma}/profile"),
                Some(&profile),
            ).await,
            status(
                s,
                "PUT",
                *token,
                &format!("/api/v1/gov/orgs/{mb}/profile"),
                Some(&profile),
            ).await,
            {
                // Each allowed submitter resubmits the 2025 report after it was returned.
                let body = json!({ "year": 2025, "activities": format!("第{i}次报送的年度活动情况说明。") });
                let st = status(
                    s,
                    "POST",
                    *token,
                    &format!("/api/v1/gov/orgs/{ma}/reports"),
                    Some(&body),
                ).await;
                if st == 201 {
                    let id = report_of(2025).await;
                    send_expect(s, "POST", Some(&w.admin), &format!("/api/v1/gov/reports/{id}/review"),
                        Some(&json!({ "decision": "return", "note": "请补充活动照片与签到表。" })), 200).await;
                }
                st
            },
            {
                let id = report_of(2018 + i as i64).await;
                let id = if i as i64 + 2018 == 2019 {
                    report_of(2020).await
                } else {
                    id
                };
                status(
                    s,
                    "POST",
                    *token,
                    &format!("/api/v1/gov/reports/{id}/review"),
                    Some(&json!({ "decision": "accept", "note": "" })),
                ).await
            },
            status(
                s,
                "POST",
                *token,
                &format!("/api/v1/gov/orgs/{ma}/assessments"),
                Some(
                    &json!({ "assessed_on": "2024-05-01", "score_basic": 80, "score_governance": 250,
                              "score_performance": 380, "score_reputation": 120 }),
                ),
            ).await,
            status(
                s,
                "PUT",
                *token,
                "/api/v1/gov/grade-cutoffs",
                Some(&json!({ "min_scores": [500, 600, 700, 800, 900] })),
            ).await,
            status(
                s,
                "POST",
                *token,
                &format!("/api/v1/gov/orgs/{ma}/staff"),
                Some(&json!({ "username": "spare" })),
            ).await,
            {
                let mut r = client()
                    .post(format!("{}/gov/orgs/{ma}/profile", s.url))
                    .form(&[("volunteers", "30"), ("service_fields", "elderly")]);
                if let Some(t) = token {
                    r = r.bearer_auth(t);
                }
                r.send().await.unwrap().status().as_u16()
            },
        ];
        let what = [
            "PUT A's profile",
            "PUT B's profile",
            "POST A's report",
            "review A's report",
            "POST assessment",
            "PUT cut-offs",
            "link org staff",
            "POST profile form",
        ];
        for k in 0..want.len() {
            assert_eq!(got[k], want[k], "{backend:?} {} as {who}", what[k]);
        }
    }
    // The oversight forms, posted with a bearer token (no CSRF token needed; anonymous
    // posts are refused by the CSRF check): 303 on success, re-shown with 409 on conflict.
    // ("no scope" was made a viewer of community A above, so B's records are now hidden.)
    let scores = [
        ("assessed_on", "2024-01-01"),
        ("score_basic", "80"),
        ("score_governance", "250"),
        ("score_performance", "380"),
        ("score_reputation", "120"),
    ];
    let cut = [
        ("min_1", "500"),
        ("min_2", "600"),
        ("min_3", "700"),
        ("min_4", "800"),
        ("min_5", "900"),
    ];
    // (path, fields, the status for each role in order)
    type Form<'a> = (String, Vec<(&'a str, &'a str)>, [u16; 7]);
    let forms: Vec<Form> = vec![
        (
            "/gov/reports/deadline".into(),
            vec![("year", "2031"), ("due_on", "2032-06-30")],
            [403, 403, 403, 403, 403, 303, 403],
        ),
        (
            "/gov/grades/cutoffs".into(),
            cut.to_vec(),
            [403, 403, 403, 403, 403, 303, 403],
        ),
        (
            format!("/gov/orgs/{ma}/assess"),
            scores.to_vec(),
            [403, 403, 403, 403, 403, 303, 403],
        ),
        (
            format!("/gov/orgs/{mb}/report"),
            vec![
                ("year", "2022"),
                ("activities", "全年开展书画培训与展览活动。"),
            ],
            [403, 404, 404, 404, 404, 303, 404],
        ),
        (
            format!("/gov/reports/{rid}/review"),
            vec![("decision", "return"), ("note", "请补充年度收支明细。")],
            [403, 403, 403, 303, 409, 409, 403],
        ),
        (
            format!("/gov/units/{ca}/edit"),
            vec![("name", "TCA单位"), ("code", "TCA")],
            [403, 403, 403, 403, 303, 303, 403],
        ),
        (
            format!("/gov/orgs/{ma}/staff"),
            vec![("username", "spare")],
            [403, 403, 403, 403, 303, 303, 403],
        ),
    ];
    for (path, fields, expected) in &forms {
        for ((who, token), want) in roles.iter().zip(expected) {
            let got = s.post_form_as(*token, path, fields).await.status().as_u16();
            assert_eq!(got, *want, "{backend:?} POST {path} as {who}");
        }
    }
    // A unit admin names workers but not fellow administrators of their own unit,
    // and nothing outside their subtree.
    let memberships = "/api/v1/gov/memberships";
    let g = json!({ "username": "nobody", "unit_id": ca, "role": "unit_admin" });
    s.post(&w.uadmin_a, memberships, Some(&g)).await.want(403);
    let g = json!({ "username": "nobody", "unit_id": cb, "role": "viewer" });
    s.post(&w.uadmin_a, memberships, Some(&g)).await.want(404);
    // The OpenAPI document lists the governance paths.
    let (_, doc) = send(s, "GET", None, "/api/v1/openapi.json", None).await;
    assert!(doc["paths"]["/api/v1/gov/orgs/{id}"]["put"].is_object());
    assert!(doc["paths"]["/api/v1/gov/reports/{id}/review"]["post"].is_object());
}

/// In a browser: a community worker signs in, opens the hub structure, follows a hub's
/// member count to the directory and opens an organisation profile of their community.
#[tokio::test]
async fn hub_view_and_profile_in_a_browser() {
    let Some(b) = crate::common::webdriver::Browser::start().await else {
        return;
    };
    let w = world(crate::common::Backend::Sqlite).await;
    b.goto(&format!("{}/login?next=/gov/hub", w.s.url)).await;
    b.type_into("input[name=username]", "worker_a").await;
    b.type_into("input[name=password]", PASSWORD).await;
    b.click("form.form button[type=submit]").await;
    b.wait_for(
        "location.pathname === '/gov/hub'",
        std::time::Duration::from_secs(20),
    )
    .await;
    // The structure is drawn (SVG) and also given as a table for screen readers.
    b.wait_for(
        "document.querySelector('svg') !== null",
        std::time::Duration::from_secs(5),
    )
    .await;
    let page = b.eval("return document.body.innerText;").await;
    let text = page.as_str().unwrap_or_default();
    assert!(
        text.contains("测试区社会组织联合会") && text.contains("测试区养老服务协会"),
        "{text}"
    );
    b.goto(&format!("{}/gov/orgs/{}", w.s.url, w.ma)).await;
    b.wait_for(
        "document.querySelector('h1') !== null",
        std::time::Duration::from_secs(5),
    )
    .await;
    assert!(b.text("h1").await.contains("甲社区老年协会"));
    let body = b.eval("return document.body.innerText;").await;
    assert!(
        body.as_str().unwrap_or_default().contains(&code(3)),
        "profile shows the credit code"
    );
    // Community B's organisation is not there for this worker.
    b.goto(&format!("{}/gov/orgs/{}", w.s.url, w.mb)).await;
    let body = b.eval("return document.body.innerText;").await;
    assert!(
        !body.as_str().unwrap_or_default().contains("乙社区书画社"),
        "out of scope"
    );
    if let Ok(dir) = std::env::var("GONGZHI_SCREENSHOT_DIR") {
        b.goto(&format!("{}/gov/hub", w.s.url)).await;
        b.screenshot(&std::path::Path::new(&dir).join("browser-hub.png"))
            .await;
    }
}

/// Audit actions recorded so far (oldest first).
async fn audit_actions(s: &Server) -> Vec<String> {
    let db = s.db().await;
    let rows: Vec<(String,)> = sqlx::query_as("SELECT action FROM platform_audit ORDER BY seq")
        .fetch_all(&db)
        .await
        .unwrap();
    rows.into_iter().map(|r| r.0).collect()
}

async fn abnormal_ids(s: &Server, token: &str) -> Vec<i64> {
    let v = send_expect(s, "GET", Some(token), "/api/v1/gov/abnormal", None, 200).await;
    let mut ids: Vec<i64> = each(&v["items"])
        .map(|e| e["org_id"].as_i64().unwrap())
        .collect();
    ids.sort();
    ids
}

both_dbs!(annual_reports_review_and_the_abnormal_list);
/// Annual reports: submitted by the organisation's own staff before the deadline, returned
/// with reasons, resubmitted, accepted; after the deadline (by the server's clock) the
/// organisations without a report are on the abnormal-activity list, each viewer seeing
/// only their scope; a late report takes an organisation off the list.
async fn annual_reports_review_and_the_abnormal_list(backend: Backend) {
    let mut w = world_with(backend, &[("GONGZHI_NOW", "2026-05-01T10:00:00+08:00")]).await;
    let ma = w.ma;
    let deadline = json!({ "due_on": "2026-06-30" });
    let put = "/api/v1/gov/report-deadlines/2025";
    assert_eq!(
        status(&w.s, "PUT", Some(&w.worker_a), put, Some(&deadline)).await,
        403
    );
    let (st, v) = send(&w.s, "PUT", Some(&w.admin), put, Some(&deadline)).await;
    assert_eq!((st, v["due_on"].as_str()), (200, Some("2026-06-30")), "{v}");
    let bad = json!({ "due_on": "2025-02-30" });
    assert_eq!(
        status(&w.s, "PUT", Some(&w.admin), put, Some(&bad)).await,
        400
    );

    // The organisation's staff submit; a second submission waits for the review.
    let path = format!("/api/v1/gov/orgs/{ma}/reports");
    let body = json!({ "year": 2025, "activities": "全年组织老年人健康讲座十二场、上门探访八十余户。",
                       "events": 24, "beneficiaries": 860, "income_yuan": 120000, "expenditure_yuan": 98000 });
    let r = send_expect(&w.s, "POST", Some(&w.org_a), &path, Some(&body), 201).await;
    assert_eq!(
        (r["status"].as_str(), r["late"].as_bool()),
        (Some("submitted"), Some(false))
    );
    let rid = r["id"].as_i64().unwrap();
    let v = send_expect(&w.s, "POST", Some(&w.org_a), &path, Some(&body), 409).await;
    assert_eq!(v["error"]["code"], "report_pending", "{v}");
    let short = json!({ "year": 2025, "activities": "太短" });
    assert_eq!(
        status(&w.s, "POST", Some(&w.org_a), &path, Some(&short)).await,
        400
    );

    // Reviewing: the org's staff and viewers may not; a return needs reasons.
    let review = format!("/api/v1/gov/reports/{rid}/review");
    let ret = json!({ "decision": "return", "note": "" });
    expect_each(
        &w.s,
        &[
            ("POST", Some(&w.org_a[..]), &review[..], Some(&ret), 403),
            ("POST", Some(&w.viewer_a[..]), &review[..], Some(&ret), 403),
        ],
    )
    .await;
    let (st, v) = send(&w.s, "POST", Some(&w.worker_a), &review, Some(&ret)).await;
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (400, Some("reasons_required")),
        "{v}"
    );
    let ret = json!({ "decision": "return", "note": "支出明细缺少票据说明，请补充后重新报送。" });
    let (st, v) = send(&w.s, "POST", Some(&w.worker_a), &review, Some(&ret)).await;
    assert_eq!((st, v["status"].as_str()), (200, Some("returned")), "{v}");
    // The street's worker covers the community too: after the resubmission, they accept.
    let (st, v) = send(&w.s, "POST", Some(&w.org_a), &path, Some(&body)).await;
    assert_eq!((st, v["status"].as_str()), (201, Some("submitted")), "{v}");
    let ok = json!({ "decision": "accept" });
    let (st, v) = send(&w.s, "POST", Some(&w.street_a), &review, Some(&ok)).await;
    assert_eq!(
        (st, v["status"].as_str(), v["returns"].as_i64()),
        (200, Some("accepted"), Some(1)),
        "{v}"
    );
    for (who, url, body, code) in [
        (&w.worker_a, &review, &ok, "report_not_pending"),
        (&w.org_a, &path, &body, "report_accepted"),
    ] {
        let v = send_expect(&w.s, "POST", Some(who), url, Some(body), 409).await;
        assert_eq!(v["error"]["code"], code, "{v}");
    }
    // Decisions are audited.
    let actions = audit_actions(&w.s).await;
    for a in [
        "governance.report.deadline",
        "governance.report.submit",
        "governance.report.return",
        "governance.report.accept",
    ] {
        assert!(
            actions.iter().any(|x| x == a),
            "{backend:?} audit has {a}: {actions:?}"
        );
    }
    // The organisation's staff heard of both decisions in the bell; the reviewers and
    // other accounts did not (issue 12).
    let kinds = |v: Value| -> Vec<String> {
        each(&v["items"])
            .map(|n| n["kind"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, n) =
        w.s.get_json(Some(&w.org_a), "/api/v1/me/notifications")
            .await;
    assert_eq!(
        kinds(n.clone()),
        ["report.accepted", "report.returned"],
        "{backend:?} {n}"
    );
    assert!(n.to_string().contains("/gov/orgs/"), "{n}");
    for other in [&w.worker_a, &w.street_a, &w.viewer_a] {
        let (_, n) = w.s.get_json(Some(other), "/api/v1/me/notifications").await;
        assert!(kinds(n.clone()).is_empty(), "{backend:?} {n}");
    }

    // Before the deadline nobody is overdue.
    assert!(abnormal_ids(&w.s, &w.admin).await.is_empty());

    // Two weeks after the deadline (the server restarted with a later clock).
    w.s.kill();
    w.s.env.retain(|(k, _)| k != "GONGZHI_NOW");
    w.s.env
        .push(("GONGZHI_NOW".into(), "2026-07-15T09:00:00+08:00".into()));
    w.s.spawn();
    let admin = w.s.login("admin").await;
    let worker = w.s.login("worker_a").await;
    let street = w.s.login("street_a").await;
    let org_a = w.s.login("orgstaff_a").await;
    let mut everyone = vec![w.fed, w.hub, w.ma2, w.mb];
    everyone.sort();
    assert_eq!(abnormal_ids(&w.s, &admin).await, everyone, "{backend:?}");
    assert!(
        abnormal_ids(&w.s, &worker).await.is_empty(),
        "A's only org reported"
    );
    assert_eq!(
        abnormal_ids(&w.s, &street).await,
        vec![w.ma2],
        "street A sees its own only"
    );
    assert_eq!(
        status(&w.s, "GET", Some(&org_a), "/api/v1/gov/abnormal", None).await,
        403
    );
    let page = page_text(&w.s, &admin, "/gov/abnormal").await;
    assert!(
        page.contains("乙社区书画社") && !page.contains("甲社区老年协会"),
        "{backend:?}"
    );
    // A late report (here by the street's worker for its community) takes ma2 off the list.
    let (st, v) =
        w.s.post(
            &street,
            &format!("/api/v1/gov/orgs/{}/reports", w.ma2),
            Some(&json!({ "year": 2025, "activities": "补报：全年开展读书分享活动二十次。" })),
        )
        .await
        .parts();
    assert_eq!((st, v["late"].as_bool()), (201, Some(true)), "{v}");
    assert!(abnormal_ids(&w.s, &street).await.is_empty());
    // The statistics count what is left.
    let (_, st) = send(&w.s, "GET", Some(&admin), "/api/v1/gov/stats", None).await;
    assert_eq!(st["overdue_reports"], 3, "{st}");
}

both_dbs!(grades_follow_cutoffs_and_expire);
/// Grade assessment: district staff record a score sheet, the grade follows the operator's
/// cut-offs, lasts five years (expired by the server's clock afterwards), and brand
/// organisations and leading figures are marked; the directory filters by current grade.
async fn grades_follow_cutoffs_and_expire(backend: Backend) {
    let mut w = world_with(backend, &[("GONGZHI_NOW", "2026-05-01T10:00:00+08:00")]).await;
    let cut = "/api/v1/gov/grade-cutoffs";
    let bad = json!({ "min_scores": [500, 600, 600, 800, 900] });
    assert_eq!(
        status(&w.s, "PUT", Some(&w.admin), cut, Some(&bad)).await,
        400
    );
    let good = json!({ "min_scores": [450, 600, 700, 800, 900] });
    let (st, v) = send(&w.s, "PUT", Some(&w.admin), cut, Some(&good)).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["cutoffs"][4], json!({ "grade": "1A", "min_score": 450 }));
    assert_eq!(
        each(&v["sections"])
            .map(|s| s["max"].as_i64().unwrap())
            .sum::<i64>(),
        1000
    );

    let sheet = |on: &str, b: i64, g: i64, p: i64, r: i64| {
        json!({ "assessed_on": on, "score_basic": b, "score_governance": g,
                "score_performance": p, "score_reputation": r, "note": "实地评估" })
    };
    let path_a = format!("/api/v1/gov/orgs/{}/assessments", w.ma);
    // Only the district's staff assess (a community worker or a district viewer may not).
    for t in [&w.worker_a, &w.uadmin_a, &w.district_v, &w.org_a] {
        assert_eq!(
            status(
                &w.s,
                "POST",
                Some(t),
                &path_a,
                Some(&sheet("2021-06-15", 90, 280, 420, 140))
            )
            .await,
            403
        );
    }
    // A score above its section's maximum, a date after today.
    for bad in [
        sheet("2021-06-15", 101, 280, 420, 140),
        sheet("2026-06-01", 90, 280, 420, 140),
    ] {
        let st = status(&w.s, "POST", Some(&w.admin), &path_a, Some(&bad)).await;
        assert_eq!(st, 400, "{bad}");
    }
    let mut a = sheet("2021-06-15", 90, 280, 420, 140);
    a["brand"] = json!(true);
    a["leading_figure"] = json!("林晓禾");
    let v = send_expect(&w.s, "POST", Some(&w.admin), &path_a, Some(&a), 201).await;
    assert_eq!(
        (
            v["total"].as_i64(),
            v["grade"].as_i64(),
            v["valid_until"].as_str()
        ),
        (Some(930), Some(5), Some("2026-06-15"))
    );
    let (st, v) =
        w.s.post(
            &w.admin,
            &format!("/api/v1/gov/orgs/{}/assessments", w.mb),
            Some(&sheet("2024-03-01", 60, 200, 300, 100)),
        )
        .await
        .parts();
    assert_eq!((st, v["grade"].as_i64()), (201, Some(2)), "{v}");
    let (_, org) =
        w.s.get(&w.worker_a, &format!("/api/v1/gov/orgs/{}", w.ma))
            .await
            .parts();
    assert_eq!(
        (org["brand"].as_bool(), org["leading_figure"].as_str()),
        (Some(true), Some("林晓禾"))
    );
    assert_eq!(org_ids(&w, &w.admin, "?grade=5A").await, vec![w.ma]);
    assert_eq!(org_ids(&w, &w.admin, "?grade=2").await, vec![w.mb]);
    assert_eq!(
        org_ids(&w, &w.worker_a, "?grade=2A").await,
        Vec::<i64>::new(),
        "B is out of scope"
    );
    assert_eq!(
        status(
            &w.s,
            "GET",
            Some(&w.admin),
            "/api/v1/gov/orgs?grade=6A",
            None
        )
        .await,
        400
    );
    let actions = audit_actions(&w.s).await;
    assert!(actions.iter().any(|a| a == "governance.grade.assess"));
    assert!(actions.iter().any(|a| a == "governance.grade.cutoffs"));

    // On 2026-06-15 the 2021 grade lapses; later cut-off changes leave recorded grades alone.
    w.s.kill();
    w.s.env.retain(|(k, _)| k != "GONGZHI_NOW");
    w.s.env
        .push(("GONGZHI_NOW".into(), "2026-06-15T08:00:00+08:00".into()));
    w.s.spawn();
    let admin = w.s.login("admin").await;
    w.admin = admin.clone();
    let (_, g) = send(&w.s, "GET", Some(&admin), "/api/v1/gov/grades", None).await;
    let by_org = |id: i64| {
        each(&g["items"])
            .find(|x| x["org_id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(by_org(w.ma)["expired"], true, "{g}");
    assert_eq!(by_org(w.mb)["expired"], false, "{g}");
    assert!(org_ids(&w, &admin, "?grade=5A").await.is_empty());
    let (_, stats) = send(&w.s, "GET", Some(&admin), "/api/v1/gov/stats", None).await;
    assert_eq!(stats["grades"]["expired"], 1, "{stats}");
    assert_eq!(stats["grades"]["valid"], json!([0, 1, 0, 0, 0]));
    assert_eq!(stats["grades"]["none"], 3);
    assert_eq!(
        (
            stats["brand_orgs"].as_i64(),
            stats["leading_figures"].as_i64()
        ),
        (Some(1), Some(1))
    );
    let page = page_text(&w.s, &admin, &format!("/gov/orgs/{}", w.ma)).await;
    assert!(
        page.contains("等级已过期") && page.contains("5A"),
        "{backend:?}"
    );
}

both_dbs!(statistics_on_a_known_data_set);
/// The statistics of a small known district: density per 10,000 residents, staff ages,
/// fields covered, overdue reports — for the district and within a worker's scope.
async fn statistics_on_a_known_data_set(backend: Backend) {
    let w = world_with(backend, &[("GONGZHI_NOW", "2026-11-27T10:00:00+08:00")]).await;
    let s = &w.s;
    s.put(
        &w.admin,
        "/api/v1/gov/report-deadlines/2025",
        Some(&json!({ "due_on": "2026-06-30" })),
    )
    .await
    .want(200);
    // Every unit has 5,000 residents; five organisations of five staff each (2/2/1 by age), all in elderly care.
    let v = send_expect(s, "GET", Some(&w.admin), "/api/v1/gov/stats", None, 200).await;
    assert_eq!(
        (
            v["unit_id"].as_i64(),
            v["residents"].as_i64(),
            v["orgs"].as_i64()
        ),
        (Some(w.d), Some(5000), Some(5))
    );
    assert_eq!(v["orgs_per_10k"], "10.0");
    let rows: Vec<(String, i64, String, i64)> = each(&v["rows"])
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["orgs"].as_i64().unwrap(),
                r["orgs_per_10k"].as_str().unwrap().to_string(),
                r["overdue_reports"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("TSA单位".into(), 2, "4.0".into(), 2),
            ("TSB单位".into(), 1, "2.0".into(), 1)
        ],
        "{backend:?}"
    );
    assert_eq!(
        v["staff"],
        json!({ "total": 25, "under_35": 10, "from_35_to_54": 10, "from_55": 5 })
    );
    assert_eq!(v["fields_covered"], 1);
    assert_eq!(v["fields_uncovered"].as_array().unwrap().len(), 12);
    assert_eq!(v["overdue_reports"], 5);
    // A community worker: their community only, its grid as the rows.
    let (_, v) = send(s, "GET", Some(&w.worker_a), "/api/v1/gov/stats", None).await;
    assert_eq!(
        (
            v["unit_id"].as_i64(),
            v["orgs"].as_i64(),
            v["orgs_per_10k"].as_str()
        ),
        (Some(w.ca), Some(1), Some("2.0"))
    );
    assert_eq!(v["rows"].as_array().unwrap().len(), 1);
    assert_eq!(v["overdue_reports"], 1);
    assert_eq!(
        status(
            s,
            "GET",
            Some(&w.worker_a),
            &format!("/api/v1/gov/stats?unit={}", w.cb),
            None
        )
        .await,
        404
    );
    // The page draws every chart as SVG, each with its table.
    let page = page_text(s, &w.admin, "/gov/stats").await;
    assert_eq!(page.matches("<svg class=\"chart").count(), 5, "{backend:?}");
    assert_eq!(page.matches("<table").count(), 5);
    assert!(page.contains("10.0") && page.contains("TSA单位"));

    // A department has no population: its organisation counts, but not per 10,000
    // residents (issue 12) — the district's figure stays 5 orgs / 5,000 residents.
    let body = json!({ "parent_id": w.d, "kind": "department", "name": "文化局", "code": "TDEPT",
                       "residents": 0, "households": 0 });
    let v = s
        .post(&w.admin, "/api/v1/gov/units", Some(&body))
        .await
        .want(201);
    let dept = v["id"].as_i64().unwrap();
    org(
        s,
        &w.admin,
        &org_body("文化志愿者协会", &code(30), dept, "member", Some(w.hub)),
    )
    .await;
    let (_, v) = send(s, "GET", Some(&w.admin), "/api/v1/gov/stats", None).await;
    assert_eq!(
        (v["orgs"].as_i64(), v["orgs_per_10k"].as_str()),
        (Some(6), Some("10.0")),
        "{v}"
    );
    let dept_row = each(&v["rows"])
        .find(|r| r["unit_id"] == dept)
        .unwrap()
        .clone();
    assert_eq!(
        (dept_row["orgs"].as_i64(), dept_row["orgs_per_10k"].as_str()),
        (Some(1), Some("—"))
    );
    // The same rule on the district's own figures: its API record, its unit page and
    // the governance home page.
    let (_, v) = s
        .get(&w.admin, &format!("/api/v1/gov/units/{}", w.d))
        .await
        .parts();
    assert_eq!(
        (v["org_count"].as_i64(), v["orgs_per_10k"].as_str()),
        (Some(6), Some("10.0")),
        "{v}"
    );
    for path in [format!("/gov/units/{}", w.d), "/gov".to_string()] {
        let page = page_text(s, &w.admin, &path).await;
        assert!(
            page.contains("10.0") && !page.contains("12.0"),
            "{path}: {page}"
        );
    }
}

both_dbs!(directory_search_is_segmented_and_scoped);
/// Directory search segments with the platform's Chinese analyzer (jieba) and never finds
/// anything outside the searcher's scope.
async fn directory_search_is_segmented_and_scoped(backend: Backend) {
    let w = world(backend).await;
    // "社区协会" is not a substring of any name, but both its words are in 甲社区老年协会.
    assert_eq!(
        org_ids(&w, &w.admin, "?q=%E7%A4%BE%E5%8C%BA%E5%8D%8F%E4%BC%9A").await,
        vec![w.ma],
        "{backend:?}"
    );
    // Traditional characters fold to simplified: 社區 finds the three community organisations.
    let mut three = vec![w.ma, w.ma2, w.mb];
    three.sort();
    assert_eq!(org_ids(&w, &w.admin, "?q=%E7%A4%BE%E5%8D%80").await, three);
    // 书画 is B's; community A's worker does not find it, with or without filters.
    assert_eq!(
        org_ids(&w, &w.admin, "?q=%E4%B9%A6%E7%94%BB").await,
        vec![w.mb]
    );
    assert!(
        org_ids(&w, &w.worker_a, "?q=%E4%B9%A6%E7%94%BB")
            .await
            .is_empty()
    );
    assert!(
        org_ids(
            &w,
            &w.worker_a,
            "?q=%E4%B9%A6%E7%94%BB&type=social_group&field=elderly"
        )
        .await
        .is_empty()
    );
    assert_eq!(
        status(
            &w.s,
            "GET",
            Some(&w.worker_a),
            &format!("/api/v1/gov/orgs?q=x&unit={}", w.cb),
            None
        )
        .await,
        404
    );
    // Words match service fields too, in either language; filters still apply.
    assert_eq!(org_ids(&w, &w.worker_a, "?q=Elderly").await, vec![w.ma]);
    assert_eq!(org_ids(&w, &w.street_a, "?q=%E7%A4%BE%E5%8C%BA").await, {
        let mut v = vec![w.ma, w.ma2];
        v.sort();
        v
    });
    assert_eq!(
        org_ids(
            &w,
            &w.street_a,
            &format!("?q=%E7%A4%BE%E5%8C%BA&unit={}", w.ca)
        )
        .await,
        vec![w.ma]
    );
    assert_eq!(
        org_ids(&w, &w.admin, "?q=%E7%A4%BE%E5%8C%BA&hub=0&type=foundation").await,
        Vec::<i64>::new()
    );
    // The page shows the hits.
    let page = page_text(
        &w.s,
        &w.admin,
        "/gov/orgs?q=%E7%A4%BE%E5%8C%BA%E5%8D%8F%E4%BC%9A",
    )
    .await;
    assert!(page.contains("甲社区老年协会") && !page.contains("乙社区书画社"));
}

both_dbs!(org_staff_edit_their_profile_only);
/// Organisation staff keep their organisation's profile (only its profile fields) and
/// see nothing else; their landing page lists what is due.
async fn org_staff_edit_their_profile_only(backend: Backend) {
    let w = world(backend).await;
    let s = &w.s;
    let path = format!("/api/v1/gov/orgs/{}/profile", w.ma);
    let v = send_expect(s, "PUT", Some(&w.org_a), &path,
        Some(&json!({ "volunteers": 40, "staff_count": 6, "staff_under_35": 3, "staff_35_to_54": 2, "staff_55_plus": 1,
                      "service_fields": ["elderly", "health"], "contact_phone": "000-7654321" })), 200).await;
    assert_eq!(
        (v["volunteers"].as_i64(), v["staff"]["count"].as_i64()),
        (Some(40), Some(6))
    );
    assert_eq!(v["service_fields"], json!(["elderly", "health"]));
    // Registration data is not theirs to change.
    expect_each(
        s,
        &[
            (
                "PUT",
                Some(&w.org_a[..]),
                &path[..],
                Some(&json!({ "name": "改名" })),
                400,
            ),
            (
                "PUT",
                Some(&w.org_a[..]),
                &path[..],
                Some(&json!({ "staff_count": 1, "staff_under_35": 3 })),
                400,
            ),
        ],
    )
    .await;
    let home = s.raw("GET", Some(&w.org_a[..]), "/gov").await;
    assert_eq!(home.headers()["location"], "/gov/my");
    let my = page_text(s, &w.org_a, "/gov/my").await;
    assert!(
        my.contains("甲社区老年协会") && my.contains("报送年报"),
        "{backend:?}"
    );
    // In English too.
    let en = client()
        .get(format!("{}/gov/my", s.url))
        .bearer_auth(&w.org_a)
        .header("cookie", "gz_lang=en");
    let en = en.send().await.unwrap().text().await.unwrap();
    assert!(
        en.contains("Submit the annual report") && en.contains("lang=\"en\""),
        "{backend:?}"
    );
    // Unlinked by the community's administrator (not by a worker), they lose the organisation.
    let (_, staff) = s
        .get(&w.admin, &format!("/api/v1/gov/orgs/{}/staff", w.ma))
        .await
        .parts();
    let uid = staff["items"][0]["user_id"].as_i64().unwrap();
    let unlink = format!("/api/v1/gov/orgs/{}/staff/{uid}", w.ma);
    expect_each(
        s,
        &[
            ("DELETE", Some(&w.worker_a[..]), &unlink[..], None, 403),
            ("DELETE", Some(&w.uadmin_a[..]), &unlink[..], None, 204),
            ("DELETE", Some(&w.uadmin_a[..]), &unlink[..], None, 404),
            (
                "GET",
                Some(&w.org_a[..]),
                &format!("/api/v1/gov/orgs/{}", w.ma)[..],
                None,
                403,
            ),
        ],
    )
    .await;
    let actions = audit_actions(s).await;
    for a in [
        "governance.org.profile",
        "governance.org_staff.link",
        "governance.org_staff.unlink",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a}");
    }
}

both_dbs!(units_are_edited_and_moved_with_their_subtree);
/// Units are edited and moved by their administrators; a move rewrites the subtree's paths,
/// so scopes follow: the organisations of a moved community leave the old street's scope.
async fn units_are_edited_and_moved_with_their_subtree(backend: Backend) {
    let w = world(backend).await;
    let s = &w.s;
    let path = format!("/api/v1/gov/units/{}", w.ca);
    // Data: the community's administrator may; its worker may not.
    let edit = json!({ "residents": 7200, "party_secretary": "周书记" });
    s.put(&w.worker_a, &path, Some(&edit)).await.want(403);
    let (st, v) = send(s, "PUT", Some(&w.uadmin_a), &path, Some(&edit)).await;
    assert_eq!(
        (st, v["residents"].as_i64(), v["party_secretary"].as_str()),
        (200, Some(7200), Some("周书记")),
        "{v}"
    );
    assert_eq!(v["name"], "TCA单位", "absent fields keep their value");
    // A move needs the right over the new parent, and keeps the tiers and the district:
    // B's street reads as unknown, a community never goes under a community; codes are
    // unique.
    let (_, units) = send(s, "GET", Some(&w.admin), "/api/v1/gov/units", None).await;
    let id_of = |code: &str| {
        each(&units["items"]).find(|u| u["code"] == code).unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let (sb, ca2) = (id_of("TSB"), id_of("TCA2"));
    let under = |parent: i64| json!({ "parent_id": parent });
    s.put(&w.uadmin_a, &path, Some(&under(sb))).await.want(400);
    s.put(&w.admin, &path, Some(&under(ca2))).await.want(400);
    let taken = json!({ "code": "TCB" });
    s.put(&w.admin, &path, Some(&taken))
        .await
        .want_error(409, "code_taken");
    assert_eq!(org_ids(&w, &w.street_a, "").await, {
        let mut v = vec![w.ma, w.ma2];
        v.sort();
        v
    });
    let v = s.put(&w.admin, &path, Some(&under(sb))).await.want(200);
    assert_eq!(v["path"], format!("/{}/{sb}/{}/", w.d, w.ca));
    // The grid below moved too; street A no longer sees community A's organisation, street B's scope has it.
    let (_, grid) = s
        .get(&w.admin, &format!("/api/v1/gov/units/{}", id_of("TGA")))
        .await
        .parts();
    assert_eq!(
        grid["path"],
        format!("/{}/{sb}/{}/{}/", w.d, w.ca, id_of("TGA"))
    );
    assert_eq!(org_ids(&w, &w.street_a, "").await, vec![w.ma2]);
    assert_eq!(
        org_ids(&w, &w.worker_a, "").await,
        vec![w.ma],
        "grants on the community itself still hold"
    );
    // The form: a bad number is shown back (400); a good save redirects to the unit.
    let form = |fields: Vec<(&'static str, String)>| {
        let r = client()
            .post(format!("{}/gov/units/{}/edit", s.url, w.ca))
            .bearer_auth(&w.admin)
            .form(&fields);
        async move { r.send().await.unwrap() }
    };
    let bad = form(vec![
        ("name", "TCA单位".into()),
        ("code", "TCA".into()),
        ("residents", "很多".into()),
    ])
    .await;
    assert_eq!(bad.status(), 400);
    assert!(
        bad.text().await.unwrap().contains("很多"),
        "the typed value is shown back"
    );
    let ok = form(vec![
        ("name", "甲社区".into()),
        ("code", "TCA".into()),
        ("residents", "7300".into()),
        ("parent_id", sb.to_string()),
    ])
    .await;
    assert_eq!(ok.status(), 303);
    let (_, v) = send(s, "GET", Some(&w.admin), &path, None).await;
    assert_eq!(
        (v["name"].as_str(), v["residents"].as_i64()),
        (Some("甲社区"), Some(7300))
    );
    let actions = audit_actions(s).await;
    assert!(
        actions.iter().any(|a| a == "governance.unit.move")
            && actions.iter().any(|a| a == "governance.unit.update")
    );
}

/// In a browser: the organisation's staff submit the annual report through the form (a
/// typing mistake is shown back in place), then a community worker returns it with reasons
/// and the organisation sees the reasons on its page.
#[tokio::test]
async fn annual_report_forms_in_a_browser() {
    let Some(b) = crate::common::webdriver::Browser::start().await else {
        return;
    };
    let w = world(crate::common::Backend::Sqlite).await;
    let url = &w.s.url;
    let sign_in = |who: &'static str, next: String| {
        let b = &b;
        async move {
            // Sign out first when someone is signed in (the header's sign-out form).
            if b.count("form[action='/logout'] button").await > 0 {
                b.click("form[action='/logout'] button").await;
                b.wait_for(
                    "document.querySelector(\"form[action='/logout']\") === null",
                    std::time::Duration::from_secs(10),
                )
                .await;
            }
            b.goto(&format!("{url}/login?next={next}")).await;
            b.type_into("input[name=username]", who).await;
            b.type_into("input[name=password]", PASSWORD).await;
            b.click("form.form button[type=submit]").await;
            b.wait_for(
                &format!("location.pathname === '{next}'"),
                std::time::Duration::from_secs(20),
            )
            .await;
        }
    };
    sign_in("orgstaff_a", "/gov/my".into()).await;
    assert!(b.text("h1").await.contains("我的组织"));
    b.click(&format!("a[href='/gov/orgs/{}/report']", w.ma))
        .await;
    b.wait_for(
        "document.querySelector('textarea[name=activities]') !== null",
        std::time::Duration::from_secs(10),
    )
    .await;
    b.type_into(
        "textarea[name=activities]",
        "全年开展长者健康讲座与上门探访，服务三百余人次。",
    )
    .await;
    b.eval("document.querySelector('input[name=events]').value = '十二'; return 1;")
        .await;
    b.click("form.org-form button").await;
    b.wait_for(
        "document.querySelector('#form-error') !== null",
        std::time::Duration::from_secs(10),
    )
    .await;
    assert!(b.text("#form-error").await.contains("十二"));
    b.eval("document.querySelector('input[name=events]').value = '12'; return 1;")
        .await;
    b.click("form.org-form button").await;
    b.wait_for(
        "location.pathname.startsWith('/gov/reports/')",
        std::time::Duration::from_secs(10),
    )
    .await;
    let report_path: String = b
        .eval("return location.pathname;")
        .await
        .as_str()
        .unwrap()
        .to_string();
    assert!(b.text(".badges").await.contains("待审核"));

    sign_in("worker_a", report_path.clone()).await;
    b.type_into("textarea[name=note]", "请补充活动签到表后重新报送。")
        .await;
    b.click("button[value=return]").await;
    b.wait_for(
        "document.querySelector('.alert-ok') !== null",
        std::time::Duration::from_secs(10),
    )
    .await;
    assert!(b.text(".badges").await.contains("已退回"));

    sign_in("orgstaff_a", "/gov/my".into()).await;
    let page = b.eval("return document.body.innerText;").await;
    assert!(
        page.as_str()
            .unwrap_or_default()
            .contains("请补充活动签到表"),
        "{page}"
    );
}
