//! Governance (issue 5, first slice): scope isolation, the 1+5+X rules, credit-code
//! validation, and every governance route walked with every role — on every backend.

use crate::common::{PASSWORD, Server, backends, client, cookie_client};
use serde_json::{Value, json};

/// A valid GB 32100-2015 code, computed here independently of the server's implementation.
fn code(seq: u32) -> String {
    const CS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let first17 = format!("51330199MJ{seq:07}");
    let mut w = 1u32;
    let mut sum = 0u32;
    for c in first17.bytes() {
        sum += CS.iter().position(|x| *x == c).unwrap() as u32 * w;
        w = w * 3 % 31;
    }
    let check = CS[((31 - sum % 31) % 31) as usize] as char;
    format!("{first17}{check}")
}

/// The same code with its check character replaced by a wrong one.
fn corrupt(code: &str) -> String {
    let last = code.chars().last().unwrap();
    let wrong = if last == '0' { '1' } else { '0' };
    format!("{}{wrong}", &code[..17])
}

async fn send(
    s: &Server,
    method: &str,
    token: Option<&str>,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let url = format!("{}{}", s.url, path);
    let mut r = match method {
        "GET" => client().get(url),
        "POST" => client().post(url),
        "PUT" => client().put(url),
        other => panic!("method {other}"),
    };
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(b) = body {
        r = r.json(b);
    }
    let r = r.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn unit(s: &Server, token: &str, parent: Option<i64>, kind: &str, code: &str) -> i64 {
    let body = json!({ "parent_id": parent, "kind": kind, "name": format!("{code}单位"), "code": code,
                       "residents": 5000, "households": 2000, "party_org_name": format!("{code}党支部") });
    let (st, v) = send(s, "POST", Some(token), "/api/v1/gov/units", Some(&body)).await;
    assert_eq!(st, 201, "create unit {code}: {v}");
    v["id"].as_i64().unwrap()
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
    let (st, v) = send(s, "POST", Some(token), "/api/v1/gov/orgs", Some(body)).await;
    assert_eq!(st, 201, "create org {}: {v}", body["name"]);
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
    let s = Server::start(backend).await;
    let admin = s.user_token("admin", "admin").await;
    let d = unit(&s, &admin, None, "district", "TD").await;
    let sa = unit(&s, &admin, Some(d), "street", "TSA").await;
    let sb = unit(&s, &admin, Some(d), "street", "TSB").await;
    let ca = unit(&s, &admin, Some(sa), "community", "TCA").await;
    let ca2 = unit(&s, &admin, Some(sa), "community", "TCA2").await;
    let cb = unit(&s, &admin, Some(sb), "community", "TCB").await;
    unit(&s, &admin, Some(ca), "grid", "TGA").await;
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
    ] {
        s.add_user(name, "member");
    }
    // Roles through the operator CLI…
    s.run_cli(
        &[
            "gov", "grant", "viewer_a", "--unit", "TCA", "--role", "viewer",
        ],
        None,
    );
    s.run_cli(
        &[
            "gov", "grant", "worker_a", "--unit", "TCA", "--role", "worker",
        ],
        None,
    );
    s.run_cli(
        &[
            "gov", "grant", "street_a", "--unit", "TSA", "--role", "worker",
        ],
        None,
    );
    // …and through the API.
    for (user, unit_code, role) in [
        ("uadmin_a", "TCA", "unit_admin"),
        ("district_v", "TD", "viewer"),
    ] {
        let (st, v) = send(
            &s,
            "POST",
            Some(&admin),
            "/api/v1/gov/memberships",
            Some(&json!({ "username": user, "unit_code": unit_code, "role": role })),
        )
        .await;
        assert_eq!(st, 201, "grant {user}: {v}");
    }
    World {
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
    let (st, v) = send(
        &w.s,
        "GET",
        Some(token),
        &format!("/api/v1/gov/orgs{query}"),
        None,
    )
    .await;
    assert_eq!(st, 200, "{query}: {v}");
    let mut ids: Vec<i64> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect();
    ids.sort();
    assert_eq!(v["total"].as_i64().unwrap() as usize, ids.len());
    ids
}

async fn csv(w: &World, token: &str, query: &str) -> (u16, String) {
    let r = client()
        .get(format!("{}/gov/orgs.csv{query}", w.s.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn scope_isolation() {
    for backend in backends().await {
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
        assert_eq!(send(s, "GET", Some(a), &b, None).await.0, 404);
        assert_eq!(
            send(
                s,
                "GET",
                Some(a),
                &format!("/api/v1/gov/units/{}", w.cb),
                None
            )
            .await
            .0,
            404
        );
        assert_eq!(
            send(
                s,
                "GET",
                Some(a),
                &format!("/api/v1/gov/orgs?unit={}", w.cb),
                None
            )
            .await
            .0,
            404
        );
        assert_eq!(
            s.status_of(Some(a), &format!("/gov/orgs/{}", w.mb)).await,
            404
        );
        assert_eq!(
            s.status_of(Some(a), &format!("/gov/units/{}", w.cb)).await,
            404
        );
        let body = org_body("乙社区书画社（改）", &code(5), w.cb, "member", Some(w.hub));
        assert_eq!(
            send(s, "PUT", Some(a), &b, Some(&body)).await.0,
            404,
            "cannot change B"
        );
        let (st, v) = send(
            s,
            "POST",
            Some(a),
            "/api/v1/gov/orgs",
            Some(&org_body(
                "乙新组织",
                &code(90),
                w.cb,
                "member",
                Some(w.hub),
            )),
        )
        .await;
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (400, Some("unknown_unit")),
            "cannot register in B: {v}"
        );
        let moved = org_body("甲社区老年协会", &code(3), w.cb, "member", Some(w.hub));
        let (st, _) = send(
            s,
            "PUT",
            Some(a),
            &format!("/api/v1/gov/orgs/{}", w.ma),
            Some(&moved),
        )
        .await;
        assert_eq!(st, 400, "cannot move A's organisation into B");
        let (st, text) = csv(&w, a, "").await;
        assert_eq!(st, 200);
        assert!(
            text.contains("甲社区老年协会")
                && !text.contains("乙社区书画社")
                && !text.contains("甲二社区读书会"),
            "{text}"
        );
        assert_eq!(csv(&w, a, &format!("?unit={}", w.cb)).await.0, 404);
        let html = client()
            .get(format!("{}/gov/units", s.url))
            .bearer_auth(a)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
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
        // The federation's own record is above the community: named, not readable.
        assert_eq!(
            send(
                s,
                "GET",
                Some(a),
                &format!("/api/v1/gov/orgs/{}", w.fed),
                None
            )
            .await
            .0,
            404
        );

        // The worker changes their own community's organisation.
        let mut changed = org_body("甲社区老年协会", &code(3), w.ca, "member", Some(w.hub));
        changed["volunteers"] = json!(40);
        let (st, v) = send(
            s,
            "PUT",
            Some(a),
            &format!("/api/v1/gov/orgs/{}", w.ma),
            Some(&changed),
        )
        .await;
        assert_eq!((st, v["volunteers"].as_i64()), (200, Some(40)), "{v}");

        // A street sees its communities, not the other street's.
        assert_eq!(org_ids(&w, &w.street_a, "").await, vec![w.ma, w.ma2]);
        assert_eq!(
            send(
                s,
                "GET",
                Some(&w.street_a),
                &format!("/api/v1/gov/units/{}", w.ca),
                None
            )
            .await
            .0,
            200
        );
        assert_eq!(send(s, "GET", Some(&w.street_a), &b, None).await.0, 404);

        // The district sees all (read-only for a viewer: no export, no edit).
        assert_eq!(
            org_ids(&w, &w.district_v, "").await,
            vec![w.fed, w.hub, w.ma, w.ma2, w.mb]
        );
        assert_eq!(csv(&w, &w.district_v, "").await.0, 403);
        assert_eq!(
            send(s, "PUT", Some(&w.district_v), &b, Some(&body)).await.0,
            403
        );
        let (_, u) = send(
            s,
            "GET",
            Some(&w.district_v),
            &format!("/api/v1/gov/units/{}", w.d),
            None,
        )
        .await;
        assert_eq!(u["org_count"], 5, "{u}");

        // The platform admin sees everything.
        assert_eq!(org_ids(&w, &w.admin, "").await.len(), 5);
    }
}

#[tokio::test]
async fn hub_rules_1_5_x() {
    for backend in backends().await {
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
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("federation"),
            "{v}"
        );
        let (st, c, v) = err(post(org_body("无枢纽会员", &code(11), w.ca, "member", None)).await);
        assert_eq!((st, c.as_str()), (400, "hub_required"), "{v}");
        let (st, c, v) =
            err(post(org_body("挂联合会", &code(12), w.ca, "member", Some(w.fed))).await);
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
        let (st, c, v) =
            err(post(org_body("挂靠的枢纽", &code(15), w.ca, "hub", Some(w.hub))).await);
        assert_eq!((st, c.as_str()), (400, "hub_not_allowed"), "{v}");
        let (st, c, v) =
            err(post(org_body("重复代码", &code(3), w.ca, "member", Some(w.hub))).await);
        assert_eq!((st, c.as_str()), (409, "conflict"), "{v}");

        // A hub of another district cannot take this district's members.
        let d2 = unit(s, &w.admin, None, "district", "TD2").await;
        let hub2 = org(
            s,
            &w.admin,
            &org_body("另一区枢纽", &code(20), d2, "hub", None),
        )
        .await;
        let (st, c, v) =
            err(post(org_body("跨区会员", &code(16), w.ca, "member", Some(hub2))).await);
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
        let (st, v) = send(
            s,
            "PUT",
            Some(&w.admin),
            &format!("/api/v1/gov/orgs/{}", w.hub),
            Some(&demote),
        )
        .await;
        assert_eq!(st, 409, "{v}");
        let hub3 = org(
            s,
            &w.admin,
            &org_body("空枢纽", &code(22), w.d, "hub", None),
        )
        .await;
        let demote3 = org_body("空枢纽", &code(22), w.d, "member", Some(w.hub));
        let (st, v) = send(
            s,
            "PUT",
            Some(&w.admin),
            &format!("/api/v1/gov/orgs/{hub3}"),
            Some(&demote3),
        )
        .await;
        assert_eq!((st, v["hub_role"].as_str()), (200, Some("member")), "{v}");

        // Only the district's administrators name hubs: a community worker or admin cannot.
        for t in [&w.worker_a, &w.uadmin_a] {
            let (st, v) = send(
                s,
                "POST",
                Some(t),
                "/api/v1/gov/orgs",
                Some(&org_body("自封枢纽", &code(30), w.ca, "hub", None)),
            )
            .await;
            assert_eq!(st, 403, "{v}");
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
}

#[tokio::test]
async fn credit_codes_are_checked() {
    for backend in backends().await {
        let w = world(backend).await;
        let s = &w.s;
        let good = code(40);
        let bad = corrupt(&good);
        let (st, v) = send(
            s,
            "POST",
            Some(&w.worker_a),
            "/api/v1/gov/orgs",
            Some(&org_body("校验位错误", &bad, w.ca, "member", Some(w.hub))),
        )
        .await;
        assert_eq!(st, 400, "{backend:?}: {v}");
        assert_eq!(v["error"]["code"], "invalid_credit_code");
        let msg = v["error"]["message"].as_str().unwrap();
        assert!(
            msg.contains("check character") && msg.contains("校验位"),
            "readable in both languages: {msg}"
        );
        for (raw, what) in [("12345", "length"), ("9111010855I385082Q", "letter I")] {
            let (st, v) = send(
                s,
                "POST",
                Some(&w.worker_a),
                "/api/v1/gov/orgs",
                Some(&org_body("坏代码", raw, w.ca, "member", Some(w.hub))),
            )
            .await;
            assert_eq!(
                (st, v["error"]["code"].as_str()),
                (400, Some("invalid_credit_code")),
                "{what}: {v}"
            );
        }
        let (_, list) = send(
            s,
            "GET",
            Some(&w.admin),
            "/api/v1/gov/orgs?q=%E6%A0%A1%E9%AA%8C",
            None,
        )
        .await;
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
        let (_, v) = send(
            s,
            "GET",
            Some(&w.worker_a),
            &format!("/api/v1/gov/orgs/{id}"),
            None,
        )
        .await;
        assert_eq!(v["credit_code"], good.as_str());

        // The browser form: signed in by cookie, with the CSRF token; the error is in Chinese.
        let web = cookie_client();
        let login = web
            .get(format!("{}/login", s.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = csrf_from(&login);
        let r = web
            .post(format!("{}/login", s.url))
            .form(&[
                ("username", "worker_a"),
                ("password", PASSWORD),
                ("_csrf", csrf.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let form = web
            .get(format!("{}/gov/orgs/new", s.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
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
        let r = web
            .post(format!("{}/gov/orgs", s.url))
            .form(&fields(corrupt(&code(41))))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let html = r.text().await.unwrap();
        assert!(
            html.contains("校验位不正确") && html.contains("表单登记的组织"),
            "error shown, input kept"
        );
        let r = web
            .post(format!("{}/gov/orgs", s.url))
            .form(&fields(code(41)))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let to = r.headers()["location"].to_str().unwrap().to_string();
        let page = web
            .get(format!("{}{to}", s.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("表单登记的组织")
                && page.contains("养老服务")
                && page.contains("医疗健康"),
            "{to}"
        );
        // Without the token the same form is refused.
        let mut no_token = fields(code(42));
        no_token.remove(0);
        let r = web
            .post(format!("{}/gov/orgs", s.url))
            .form(&no_token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
    }
}

fn csrf_from(html: &str) -> String {
    let i = html
        .find("name=\"_csrf\" value=\"")
        .expect("form has a CSRF field")
        + 20;
    html[i..i + 64].to_string()
}

#[tokio::test]
async fn every_route_with_every_role() {
    for backend in backends().await {
        let w = world(backend).await;
        let s = &w.s;
        // anonymous, member without scope, viewer, worker, unit admin (all of community A), platform admin
        let roles: [(&str, Option<&str>); 6] = [
            ("anonymous", None),
            ("no scope", Some(&w.nobody)),
            ("viewer", Some(&w.viewer_a)),
            ("worker", Some(&w.worker_a)),
            ("unit admin", Some(&w.uadmin_a)),
            ("admin", Some(&w.admin)),
        ];
        let (ma, mb, ca, cb) = (w.ma, w.mb, w.ca, w.cb);
        let read = [303, 403, 200, 200, 200, 200];
        let write_page = [303, 403, 403, 200, 200, 200];
        let other_page = [303, 403, 404, 404, 404, 200];
        let api_read = [401, 403, 200, 200, 200, 200];
        let api_other = [401, 403, 404, 404, 404, 200];
        let gets: Vec<(String, [u16; 6])> = vec![
            ("/gov".into(), read),
            ("/gov/units".into(), read),
            (format!("/gov/units/{ca}"), read),
            (format!("/gov/units/{cb}"), other_page),
            ("/gov/orgs".into(), read),
            (
                "/gov/orgs?type=social_group&field=elderly&q=%E7%A4%BE".into(),
                read,
            ),
            (format!("/gov/orgs/{ma}"), read),
            (format!("/gov/orgs/{mb}"), other_page),
            ("/gov/orgs/new".into(), write_page),
            (format!("/gov/orgs/{ma}/edit"), write_page),
            (
                format!("/gov/orgs/{mb}/edit"),
                [303, 403, 404, 404, 404, 200],
            ),
            ("/gov/orgs.csv".into(), write_page),
            ("/gov/hub".into(), read),
            ("/api/v1/gov/me".into(), [401, 200, 200, 200, 200, 200]),
            ("/api/v1/gov/units".into(), api_read),
            (format!("/api/v1/gov/units/{ca}"), api_read),
            (format!("/api/v1/gov/units/{cb}"), api_other),
            ("/api/v1/gov/orgs".into(), api_read),
            (format!("/api/v1/gov/orgs/{ma}"), api_read),
            (format!("/api/v1/gov/orgs/{mb}"), api_other),
            ("/api/v1/gov/hub".into(), api_read),
        ];
        for (path, expected) in &gets {
            for ((who, token), want) in roles.iter().zip(expected) {
                let got = s.status_of(*token, path).await;
                assert_eq!(got, *want, "{backend:?} GET {path} as {who}");
            }
        }
        // Writes through the API (bearer tokens need no CSRF token).
        let (_, a_org) = send(
            s,
            "GET",
            Some(&w.admin),
            &format!("/api/v1/gov/orgs/{ma}"),
            None,
        )
        .await;
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
            ])
            .enumerate()
        {
            let put = |id: i64, body: &Value| {
                let body = body.clone();
                async move {
                    send(
                        s,
                        "PUT",
                        *token,
                        &format!("/api/v1/gov/orgs/{id}"),
                        Some(&body),
                    )
                    .await
                    .0
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
                send(s, "POST", *token, "/api/v1/gov/orgs", Some(&body))
                    .await
                    .0,
                create,
                "{backend:?} POST org as {who}"
            );
            let grid = json!({ "parent_id": ca, "kind": "grid", "name": "新网格", "code": format!("NG{i}") });
            assert_eq!(
                send(s, "POST", *token, "/api/v1/gov/units", Some(&grid))
                    .await
                    .0,
                unit,
                "{backend:?} POST unit as {who}"
            );
            let g = json!({ "username": "nobody", "unit_id": ca, "role": "viewer" });
            assert_eq!(
                send(s, "POST", *token, "/api/v1/gov/memberships", Some(&g))
                    .await
                    .0,
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
        // A unit admin names workers but not fellow administrators of their own unit,
        // and nothing outside their subtree.
        let g = json!({ "username": "nobody", "unit_id": ca, "role": "unit_admin" });
        assert_eq!(
            send(
                s,
                "POST",
                Some(&w.uadmin_a),
                "/api/v1/gov/memberships",
                Some(&g)
            )
            .await
            .0,
            403
        );
        let g = json!({ "username": "nobody", "unit_id": cb, "role": "viewer" });
        assert_eq!(
            send(
                s,
                "POST",
                Some(&w.uadmin_a),
                "/api/v1/gov/memberships",
                Some(&g)
            )
            .await
            .0,
            404
        );
        // The OpenAPI document lists the governance paths.
        let (_, doc) = send(s, "GET", None, "/api/v1/openapi.json", None).await;
        assert!(doc["paths"]["/api/v1/gov/orgs/{id}"]["put"].is_object());
    }
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
