//! The service network and its HSDS 3.0 publication (issue 5, G3): every /hsds/ response
//! validated against the HSDS 3.0 JSON schemas, paging and 404s, export → import → export
//! byte-identical through the CLI, and scope isolation of the service write routes — on
//! every backend.

use crate::common::{
    BIN, Backend, District, Server, both_dbs, credit_code, each, expect_each, send, send_expect,
};
use serde_json::{Value, json};
use std::path::PathBuf;

const SCHEMAS: crate::common::LocalSchemas = crate::common::LocalSchemas("hsds-schemas");

fn schema_dir() -> PathBuf {
    SCHEMAS.dir()
}

struct Schemas {
    validators: Vec<(&'static str, jsonschema::Validator)>,
}

impl Schemas {
    fn load() -> Schemas {
        let mut validators = Vec::new();
        for name in [
            "organization",
            "organization_list",
            "service",
            "service_list",
            "service_at_location",
            "service_at_location_list",
            "taxonomy",
            "taxonomy_term",
            "location",
        ] {
            let path = schema_dir().join(format!("{name}.json"));
            let schema: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let v = jsonschema::options()
                .with_retriever(SCHEMAS)
                .should_validate_formats(true)
                .build(&schema)
                .unwrap_or_else(|e| panic!("schema {name}: {e}"));
            validators.push((name, v));
        }
        Schemas { validators }
    }

    fn check(&self, schema: &str, v: &Value, what: &str) {
        let validator = &self
            .validators
            .iter()
            .find(|(n, _)| *n == schema)
            .expect("known schema")
            .1;
        let errors: Vec<String> = validator
            .iter_errors(v)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{what} does not validate against {schema}.json: {errors:#?}\n{v:#}"
        );
    }
}

/// A GET without a token that must be answered with 200 (the publication is public); the
/// body.
async fn public(s: &Server, path: &str) -> Value {
    send_expect(s, "GET", None, path, None, 200).await
}

/// A valid credit code for these tests.
fn code(seq: u32) -> String {
    credit_code("52330199", seq)
}

/// Creates something as the bearer of `token`; its id.
async fn created(s: &Server, token: &str, path: &str, body: Value) -> i64 {
    s.post(token, path, Some(&body)).await.created()
}

struct World {
    s: Server,
    admin: String,
    worker_a: String,
    viewer_a: String,
    ca: i64,
    cb: i64,
    ma: i64,
    mb: i64,
    point_a: i64,
    point_b: i64,
    s_a: i64,
    s_b: i64,
    s_inactive: i64,
}

async fn world(backend: Backend) -> World {
    let s = Server::start(backend).await;
    let admin = s.user_token("admin", "admin").await;
    let mut units = District::new(&s, &admin, json!({ "residents": 4000 }));
    let plan = "district HD; street HSA HSB in HD; community HCA in HSA; community HCB in HSB";
    units.plan(plan).await;
    let (d, ca, cb) = (units.id("HD"), units.id("HCA"), units.id("HCB"));
    let add_org = async |body| created(&s, &admin, "/api/v1/gov/orgs", body).await;
    let add_point = async |body| created(&s, &admin, "/api/v1/gov/service-points", body).await;
    let add_service = async |body| created(&s, &admin, "/api/v1/gov/services", body).await;
    let org = |name: &str, n: u32, unit: i64, role: &str, hub: Option<i64>| {
        json!({
            "name": name, "credit_code": code(n), "org_type": "social_service_agency", "registered_on": "2017-09-01",
            "legal_rep": "私人姓名", "unit_id": unit, "service_fields": ["elderly", "volunteering"],
            "staff_count": 4, "staff_under_35": 2, "staff_35_to_54": 1, "staff_55_plus": 1,
            "contact_phone": "000-87654321", "hub_role": role, "hub_id": hub, "leading_figure": "领军某人"
        })
    };
    add_org(org("测试区社会组织联合会", 1, d, "federation", None)).await;
    let hub = add_org(org("测试区养老服务协会", 2, d, "hub", None)).await;
    let ma = add_org(org("甲社区长者服务社", 3, ca, "member", Some(hub))).await;
    let mb = add_org(org("乙社区志愿者协会", 4, cb, "member", Some(hub))).await;
    let point = |name: &str, kind: &str, unit: i64| {
        json!({
            "kind": kind, "name": name, "address": format!("测试区{name}路 9 号"), "unit_id": unit,
            "latitude": 30.2741, "longitude": 120.1551, "contact_phone": "000-11112222",
            "hours": [
                { "weekday": 1, "opens": "08:30", "closes": "17:30" },
                { "weekday": 6, "opens": "09:00", "closes": "12:00" }
            ]
        })
    };
    let point_a = add_point(point("甲社区生活服务中心", "community_service_centre", ca)).await;
    let building = add_point(
        json!({ "kind": "building_service_point", "name": "甲商务中心楼宇服务点", "unit_id": ca }),
    )
    .await;
    let point_b = add_point(point("乙社区生活服务中心", "community_service_centre", cb)).await;
    let service = |org: i64, name: &str, points: Vec<i64>, status: &str| {
        json!({
            "org_id": org, "name": name, "description": format!("{name}的服务内容。"), "schedule": "每周二上午",
            "eligibility": "辖区 60 岁以上老年人", "capacity": 30, "contact_phone": "000-33334444",
            "status": status, "categories": ["elderly", "meal_aid"], "point_ids": points
        })
    };
    let s_a = add_service(service(
        ma,
        "甲社区长者助餐",
        vec![point_a, building],
        "active",
    ))
    .await;
    let s_b = add_service(service(mb, "乙社区志愿陪伴", vec![point_b], "active")).await;
    let s_inactive = add_service(service(ma, "甲社区暂停的服务", vec![point_a], "inactive")).await;
    // A service a unit offers itself (not an organisation's: not published).
    add_service(json!({ "unit_id": ca, "name": "甲社区便民代办", "categories": ["convenience"], "point_ids": [point_a] })).await;
    for name in ["worker_a", "viewer_a"] {
        s.add_user(name, "member");
    }
    units.grant("worker_a", "HCA", "worker");
    units.grant("viewer_a", "HCA", "viewer");
    World {
        worker_a: s.login("worker_a").await,
        viewer_a: s.login("viewer_a").await,
        s,
        admin,
        ca,
        cb,
        ma,
        mb,
        point_a,
        point_b,
        s_a,
        s_b,
        s_inactive,
    }
}

fn check_envelope(v: &Value, what: &str) {
    for (k, t) in [
        ("total_items", "n"),
        ("total_pages", "n"),
        ("page_number", "n"),
        ("size", "n"),
        ("first_page", "b"),
        ("last_page", "b"),
        ("empty", "b"),
        ("contents", "a"),
    ] {
        let ok = match t {
            "n" => v[k].is_u64(),
            "b" => v[k].is_boolean(),
            _ => v[k].is_array(),
        };
        assert!(ok, "{what}: {k} missing or mistyped in {v}");
    }
    assert_eq!(
        v["size"].as_u64().unwrap() as usize,
        v["contents"].as_array().unwrap().len()
    );
}

/// Every content item of a list, fetched with per_page=500.
async fn all_items(s: &Server, path: &str, schema: &str, schemas: &Schemas) -> Vec<Value> {
    let v = public(s, &format!("{path}?per_page=500")).await;
    check_envelope(&v, path);
    let items = v["contents"].as_array().unwrap().clone();
    for (i, item) in items.iter().enumerate() {
        schemas.check(schema, item, &format!("{path} item {i}"));
    }
    items
}

both_dbs!(hsds_responses_validate_against_the_schemas);
async fn hsds_responses_validate_against_the_schemas(backend: Backend) {
    let schemas = Schemas::load();
    // The validators are real: formats are checked and nested $refs resolve.
    for bad in [
        json!({ "id": "not-a-uuid", "name": "x", "status": "active" }),
        json!({ "id": "0b7e2f51-3c4d-4e5f-8a9b-0c1d2e3f4a5b", "name": "x", "status": "open" }),
        json!({ "id": "0b7e2f51-3c4d-4e5f-8a9b-0c1d2e3f4a5b", "name": "x", "status": "active",
                "phones": [{ "id": "0b7e2f51-3c4d-4e5f-8a9b-0c1d2e3f4a5b" }] }),
    ] {
        let v = &schemas
            .validators
            .iter()
            .find(|(n, _)| *n == "service")
            .unwrap()
            .1;
        assert!(!v.is_valid(&bad), "{bad} must not validate");
    }
    let w = world(backend).await;
    let s = &w.s;

    // API metadata, anonymously.
    let meta = public(s, "/hsds/").await;
    assert_eq!(meta["version"], "3.0");
    assert!(meta["openapi_url"].as_str().unwrap().starts_with("http://"));
    assert!(meta["profile"].as_str().unwrap().starts_with("https://"));

    let orgs = all_items(s, "/hsds/organizations", "organization_list", &schemas).await;
    assert_eq!(orgs.len(), 4);
    let text = serde_json::to_string(&orgs).unwrap();
    assert!(
        !text.contains("私人姓名") && !text.contains("领军某人"),
        "no personal data"
    );
    for o in &orgs {
        let id = o["id"].as_str().unwrap();
        let full = public(s, &format!("/hsds/organizations/{id}")).await;
        schemas.check("organization", &full, "organization");
        for sv in full["services"].as_array().unwrap() {
            schemas.check("service", sv, "organization.services[]");
        }
        assert!(!full.to_string().contains("私人姓名"));
    }

    // Only the active services of organisations are published.
    let services = all_items(s, "/hsds/services", "service_list", &schemas).await;
    let names: Vec<&str> = services
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"甲社区长者助餐") && names.contains(&"乙社区志愿陪伴"));
    for sv in &services {
        let id = sv["id"].as_str().unwrap();
        let full = public(s, &format!("/hsds/services/{id}")).await;
        schemas.check("service", &full, "service");
        for sal in full["service_at_locations"].as_array().unwrap() {
            schemas.check("service_at_location", sal, "service.service_at_locations[]");
        }
    }
    let meal = services
        .iter()
        .find(|x| x["name"] == "甲社区长者助餐")
        .unwrap();
    let (_, full) = send(
        s,
        "GET",
        None,
        &format!("/hsds/services/{}", meal["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(full["service_at_locations"].as_array().unwrap().len(), 2);
    assert_eq!(full["organization"]["name"], "甲社区长者服务社");
    let cats: Vec<&str> = each(&full["attributes"])
        .filter(|a| a["link_type"] == "category")
        .map(|a| a["value"].as_str().unwrap())
        .collect();
    assert_eq!(cats, vec!["elderly", "meal_aid"]);
    let centre = each(&full["service_at_locations"])
        .map(|x| &x["location"])
        .find(|l| l["name"] == "甲社区生活服务中心")
        .unwrap();
    assert_eq!(centre["schedules"][0]["byday"], "MO");
    assert_eq!(centre["schedules"][1]["opens_at"], "09:00");

    let sals = all_items(
        s,
        "/hsds/service_at_locations",
        "service_at_location_list",
        &schemas,
    )
    .await;
    assert_eq!(sals.len(), 3);
    for x in &sals {
        let id = x["id"].as_str().unwrap();
        let full = public(s, &format!("/hsds/service_at_locations/{id}")).await;
        schemas.check("service_at_location", &full, "service_at_location");
        schemas.check(
            "location",
            &full["location"],
            "service_at_location.location",
        );
        schemas.check("service", &full["service"], "service_at_location.service");
    }

    let taxonomies = all_items(s, "/hsds/taxonomies", "taxonomy", &schemas).await;
    assert_eq!(taxonomies.len(), 2);
    for t in &taxonomies {
        let id = t["id"].as_str().unwrap();
        let one = public(s, &format!("/hsds/taxonomies/{id}")).await;
        schemas.check("taxonomy", &one, "taxonomy");
    }
    let terms = all_items(s, "/hsds/taxonomy_terms", "taxonomy_term", &schemas).await;
    assert!(terms.len() >= 20 + 5, "{} terms", terms.len());
    for t in terms.iter().take(40) {
        let id = t["id"].as_str().unwrap();
        let one = public(s, &format!("/hsds/taxonomy_terms/{id}")).await;
        schemas.check("taxonomy_term", &one, "taxonomy_term");
        assert_eq!(&one, t);
    }
    // Filters: a category's services, an organisation's services, a taxonomy's terms.
    let meal_term = terms.iter().find(|t| t["code"] == "meal_aid").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let v = public(s, &format!("/hsds/services?taxonomy_term_id={meal_term}")).await;
    assert_eq!(v["total_items"], 2);
    let ma_uuid = meal["organization_id"].as_str().unwrap();
    let v = public(s, &format!("/hsds/services?organization_id={ma_uuid}")).await;
    assert_eq!(v["total_items"], 1);
    let v = public(s, "/hsds/services?organization_id=nonsense").await;
    assert_eq!(v["total_items"], 0);
    let cat_tax = taxonomies
        .iter()
        .find(|t| t["name"] == "gongzhi-community-services")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, v) = send(
        s,
        "GET",
        None,
        &format!("/hsds/taxonomy_terms?taxonomy_id={cat_tax}&per_page=100"),
        None,
    )
    .await;
    assert!(
        (18..=25).contains(&v["total_items"].as_i64().unwrap()),
        "{}",
        v["total_items"]
    );

    // Paging: the envelope and its limits.
    let p2 = public(s, "/hsds/services?per_page=1&page=2").await;
    check_envelope(&p2, "page 2");
    assert_eq!(p2["total_items"], 2);
    assert_eq!(p2["total_pages"], 2);
    assert_eq!(p2["page_number"], 2);
    assert_eq!(p2["size"], 1);
    assert_eq!(p2["first_page"], false);
    assert_eq!(p2["last_page"], true);
    assert_eq!(p2["empty"], false);
    let (_, p1) = send(s, "GET", None, "/hsds/services?per_page=1", None).await;
    assert_eq!(p1["first_page"], true);
    assert_eq!(p1["last_page"], false);
    assert_ne!(p1["contents"][0]["id"], p2["contents"][0]["id"]);
    let beyond = public(s, "/hsds/services?page=9").await;
    assert_eq!(beyond["empty"], true);
    assert_eq!(beyond["size"], 0);
    for q in [
        "page=0",
        "page=-1",
        "page=x",
        "per_page=0",
        "per_page=501",
        "per_page=1.5",
    ] {
        for list in [
            "/hsds/organizations",
            "/hsds/services",
            "/hsds/taxonomy_terms",
            "/hsds/service_at_locations",
            "/hsds/taxonomies",
        ] {
            let v = send_expect(s, "GET", None, &format!("{list}?{q}"), None, 400).await;
            assert_eq!(v["error"]["code"], "invalid_paging", "{v}");
        }
    }

    // Unknown or unpublished ids are 404.
    let unknown = "0b7e2f51-3c4d-4e5f-8a9b-0c1d2e3f4a5b";
    for path in [
        "organizations",
        "services",
        "service_at_locations",
        "taxonomies",
        "taxonomy_terms",
    ] {
        for id in [unknown, "not-a-uuid", "42"] {
            send_expect(s, "GET", None, &format!("/hsds/{path}/{id}"), None, 404).await;
        }
    }
    let (_, inactive) = s
        .get(&w.admin, &format!("/api/v1/gov/services/{}", w.s_inactive))
        .await
        .parts();
    send_expect(
        s,
        "GET",
        None,
        &format!("/hsds/services/{}", inactive["uuid"].as_str().unwrap()),
        None,
        404,
    )
    .await;

    // The pages render for the district admin, in Chinese.
    for path in [
        "/gov/services".to_string(),
        "/gov/services?category=elderly".to_string(),
        format!("/gov/services?unit={}", w.ca),
        "/gov/service-points".to_string(),
        "/gov/service-points?kind=building_service_point".to_string(),
        format!("/gov/service-points/{}", w.point_a),
        format!("/gov/services/{}", w.s_a),
        format!("/gov/orgs/{}", w.ma),
        "/gov/services/new".to_string(),
        "/gov/service-points/new".to_string(),
        format!("/gov/services/{}/edit", w.s_a),
        format!("/gov/service-points/{}/edit", w.point_a),
    ] {
        let r = s.raw("GET", Some(&w.admin[..]), &path).await;
        assert_eq!(r.status(), 200, "{path}");
        let html = r.text().await.unwrap();
        assert!(html.contains("服务"), "{path}");
    }
    let r = s
        .raw("GET", Some(&w.admin[..]), &format!("/gov/orgs/{}", w.ma))
        .await;
    let html = r.text().await.unwrap();
    assert!(html.contains("提供的服务") && html.contains("甲社区长者助餐"));
}

both_dbs!(service_writes_stay_in_scope);
async fn service_writes_stay_in_scope(backend: Backend) {
    let w = world(backend).await;
    let s = &w.s;
    let body = |org: i64, points: Vec<i64>| json!({ "org_id": org, "name": "新登记的服务", "categories": ["health"], "point_ids": points });
    let (with_point, bare) = (body(w.ma, vec![w.point_a]), body(w.ma, vec![]));
    let service = |id: i64| format!("/api/v1/gov/services/{id}");
    let (own, theirs) = (service(w.s_a), service(w.s_b));
    let (a, services) = (Some(w.worker_a.as_str()), "/api/v1/gov/services");
    // A community-A worker registers and edits A's services…
    expect_each(
        s,
        &[
            ("POST", a, services, Some(&with_point), 201),
            ("PUT", a, &own, Some(&with_point), 200),
            // …but B's are invisible to them, whatever route they take.
            ("PUT", a, &theirs, Some(&bare), 404),
            ("GET", a, &theirs, None, 404),
        ],
    )
    .await;
    let worker_a = &w.worker_a;
    let of_b = body(w.mb, vec![]);
    let post = async |path: &str, body: &Value| s.post(worker_a, path, Some(body)).await;
    post(services, &of_b).await.want_error(400, "unknown_org");
    let b_point = body(w.ma, vec![w.point_b]);
    post(services, &b_point)
        .await
        .want_error(400, "unknown_point");
    s.put(worker_a, &own, Some(&of_b)).await.want(400);
    let point_b = json!({ "kind": "other", "name": "乙社区活动室", "unit_id": w.cb });
    let point_of_b = format!("/api/v1/gov/service-points/{}", w.point_b);
    s.put(worker_a, &point_of_b, Some(&point_b)).await.want(404);
    let points = "/api/v1/gov/service-points";
    post(points, &point_b).await.want_error(400, "unknown_unit");
    let point_a = json!({ "kind": "other", "name": "甲社区活动室", "unit_id": w.ca,
                          "hours": [{ "weekday": 2, "opens": "19:00", "closes": "21:00" }] });
    post(points, &point_a).await.want(201);
    let bad_hours = json!({ "kind": "other", "name": "甲社区活动室", "unit_id": w.ca,
                            "hours": [{ "weekday": 2, "opens": "21:00", "closes": "19:00" }] });
    post(points, &bad_hours)
        .await
        .want_error(400, "invalid_hours");
    // The form routes are guarded the same way.
    let form = [
        ("provider", format!("org:{}", w.ma)),
        ("name", "表单改名的服务".to_string()),
        ("status", "active".into()),
    ];
    let form_status = async |path: String, form: &[(&str, String)]| {
        s.post_form_as(a, &path, form).await.status().as_u16()
    };
    let edit = |id: i64| format!("/gov/services/{id}/edit");
    assert_eq!(form_status(edit(w.s_b), &form).await, 404);
    assert_eq!(form_status(edit(w.s_a), &form).await, 303);
    let b_point_form = [
        ("kind", "other".to_string()),
        ("name", "乙社区活动室".to_string()),
        ("unit_id", w.cb.to_string()),
    ];
    let point_edit = format!("/gov/service-points/{}/edit", w.point_b);
    assert_eq!(form_status(point_edit, &b_point_form).await, 404);
    let b_provider = [
        ("provider", format!("org:{}", w.mb)),
        ("name", "越界的服务".to_string()),
    ];
    assert_eq!(
        form_status("/gov/services".to_string(), &b_provider).await,
        400,
        "out-of-scope provider reads as unknown"
    );
    // A viewer reads but does not write.
    let viewer = Some(w.viewer_a.as_str());
    let own_point = format!("/api/v1/gov/service-points/{}", w.point_a);
    expect_each(
        s,
        &[
            ("GET", viewer, &own, None, 200),
            ("PUT", viewer, &own, Some(&bare), 403),
            ("POST", viewer, points, Some(&point_a), 403),
            // Anonymous callers cannot write at all.
            ("POST", None, services, Some(&bare), 401),
            ("PUT", None, &own_point, Some(&point_a), 401),
        ],
    )
    .await;
    let r = s.post_form_as(None, &edit(w.s_a), &form).await;
    assert!(matches!(r.status().as_u16(), 401 | 403), "{}", r.status());
    // Lists are scoped: worker A sees A's services only.
    let (_, v) = s
        .get(worker_a, "/api/v1/gov/services?per_page=200")
        .await
        .parts();
    let names: Vec<&str> = each(&v["items"])
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert!(!names.iter().any(|n| n.starts_with("乙")), "{names:?}");
    assert!(names.contains(&"表单改名的服务"), "{names:?}");
    s.get(worker_a, &format!("/api/v1/gov/services?unit={}", w.cb))
        .await
        .want(404);
}

fn cli(s: &Server, args: &[&str]) -> std::process::Output {
    let mut c = std::process::Command::new(BIN);
    c.arg("--data-dir").arg(s.data.path()).args(args);
    c.env_remove("DATABASE_URL").env("RUST_LOG", "warn");
    if let Some(url) = &s.database_url {
        c.env("DATABASE_URL", url);
    }
    c.output().expect("run gongzhi")
}

both_dbs!(export_import_export_is_byte_identical);
async fn export_import_export_is_byte_identical(backend: Backend) {
    let w = world(backend).await;
    let out = tempfile::tempdir().unwrap();
    let (first, second) = (out.path().join("first"), out.path().join("second"));
    let text =
        w.s.run_cli(&["hsds", "export", first.to_str().unwrap()], None);
    assert!(text.contains("services.json: 2"), "{text}");
    let fresh = Server::start(backend).await;
    let text = fresh.run_cli(&["hsds", "import", first.to_str().unwrap()], None);
    assert!(text.contains("organizations.json: 4"), "{text}");
    fresh.run_cli(&["hsds", "export", second.to_str().unwrap()], None);
    for name in governance::hsds::io::FILES {
        let a = std::fs::read(first.join(format!("{name}.json"))).unwrap();
        let b = std::fs::read(second.join(format!("{name}.json"))).unwrap();
        assert!(a == b, "{name}.json differs after export → import → export");
    }
    // The imported copy publishes the same data through the API.
    for path in [
        "/hsds/services",
        "/hsds/organizations",
        "/hsds/service_at_locations",
    ] {
        let (_, a) = send(&w.s, "GET", None, path, None).await;
        let (_, b) = send(&fresh, "GET", None, path, None).await;
        assert_eq!(a, b, "{path}");
    }
    // Importing again changes nothing (matched by UUID), and is all-or-nothing on bad input.
    fresh.run_cli(&["hsds", "import", first.to_str().unwrap()], None);
    let (_, v) = send(&fresh, "GET", None, "/hsds/organizations", None).await;
    assert_eq!(v["total_items"], 4);
    let bad = out.path().join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::copy(
        first.join("taxonomy_terms.json"),
        bad.join("taxonomy_terms.json"),
    )
    .unwrap();
    std::fs::write(bad.join("services.json"), "[{\"id\": \"x\"}]").unwrap();
    let o = cli(&fresh, &["hsds", "import", bad.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("must be a UUID"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::write(bad.join("services.json"), "{ not json").unwrap();
    let o = cli(&fresh, &["hsds", "import", bad.to_str().unwrap()]);
    assert!(!o.status.success());
    let svc: Value =
        serde_json::from_str(&std::fs::read_to_string(first.join("services.json")).unwrap())
            .unwrap();
    let mut broken = svc.clone();
    broken[0]["organization_id"] = json!("0b7e2f51-3c4d-4e5f-8a9b-0c1d2e3f4a5b");
    broken[0]["name"] = json!("不应写入的名称");
    std::fs::write(bad.join("services.json"), broken.to_string()).unwrap();
    std::fs::write(bad.join("organizations.json"), "[]").unwrap();
    let o = cli(&fresh, &["hsds", "import", bad.to_str().unwrap()]);
    assert!(!o.status.success());
    let (_, v) = send(&fresh, "GET", None, "/hsds/services?per_page=10", None).await;
    assert!(
        !v.to_string().contains("不应写入的名称"),
        "nothing of a failed import is kept"
    );
    let _ = (w.ma, w.mb, w.cb);
}

both_dbs!(import_withdraws_missing_services_and_keeps_1_5_x);
/// Re-importing a changed data set: a service missing from it (of an organisation it lists)
/// is withdrawn and loses its locations; a data set that would break the 1+5+X rules is
/// refused as a whole.
async fn import_withdraws_missing_services_and_keeps_1_5_x(backend: Backend) {
    let w = world(backend).await;
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("set");
    w.s.run_cli(&["hsds", "export", dir.to_str().unwrap()], None);
    let read = |name: &str| -> Vec<Value> {
        serde_json::from_str(&std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap())
            .unwrap()
    };
    let write = |name: &str, v: &Vec<Value>| {
        std::fs::write(
            dir.join(format!("{name}.json")),
            serde_json::to_string(v).unwrap(),
        )
        .unwrap()
    };
    // Drop 甲社区长者助餐 and its locations from the set.
    let services = read("services");
    let gone = services
        .iter()
        .find(|s| s["name"] == "甲社区长者助餐")
        .unwrap()["id"]
        .clone();
    write(
        "services",
        &services
            .iter()
            .filter(|s| s["id"] != gone)
            .cloned()
            .collect(),
    );
    let links = read("service_at_locations");
    write(
        "service_at_locations",
        &links
            .iter()
            .filter(|l| l["service_id"] != gone)
            .cloned()
            .collect(),
    );
    let text =
        w.s.run_cli(&["hsds", "import", dir.to_str().unwrap()], None);
    assert!(text.contains("withdrawn services: 1"), "{backend:?} {text}");
    let (_, v) =
        w.s.get(&w.admin, &format!("/api/v1/gov/services/{}", w.s_a))
            .await
            .parts();
    assert_eq!(v["status"], "inactive", "{v}");
    let (_, v) = send(
        &w.s,
        "GET",
        None,
        "/hsds/service_at_locations?per_page=50",
        None,
    )
    .await;
    assert!(!v.to_string().contains(gone.as_str().unwrap()), "{v}");
    // The other services are untouched.
    let (_, v) =
        w.s.get(&w.admin, &format!("/api/v1/gov/services/{}", w.s_b))
            .await
            .parts();
    assert_eq!(v["status"], "active");

    // Making the hub a second federation, or a member's parent a member, is refused.
    let orgs = read("organizations");
    let with_role = |name: &str, role: &str| -> Vec<Value> {
        orgs.iter()
            .cloned()
            .map(|mut o| {
                if o["name"] == name {
                    for a in o["attributes"].as_array_mut().unwrap() {
                        if a["link_type"] == "hub_role" {
                            a["value"] = json!(role);
                        }
                    }
                }
                o
            })
            .collect()
    };
    for (name, role, why) in [
        (
            "测试区养老服务协会",
            "federation",
            "already has its federation",
        ),
        ("测试区养老服务协会", "member", "must be attached to a hub"),
    ] {
        write("organizations", &with_role(name, role));
        let o = cli(&w.s, &["hsds", "import", dir.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success() && err.contains("1+5+X") && err.contains(why),
            "{backend:?} {err}"
        );
    }
    let (_, v) = send(&w.s, "GET", Some(&w.admin), "/api/v1/gov/hub", None).await;
    assert_eq!(
        v["hubs"].as_array().unwrap().len(),
        1,
        "nothing of a refused import is kept: {v}"
    );
    let _ = (w.ma, w.mb, w.cb, w.point_a, w.point_b, w.s_inactive);
}
