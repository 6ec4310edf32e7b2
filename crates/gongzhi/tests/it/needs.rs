//! Needs, matching and closed-loop referrals (issue 14), on both databases: bad input,
//! who sees a need and who it is for, every referral step and the side allowed to take it,
//! the capacity check (yes / waiting list / no), outcome and feedback back to the referrer,
//! the gap report within scope, and the stall reminder with the injected clock.

use crate::common::{Backend, Clock, District, Server, both_dbs, credit_code, each, send};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

pub struct World {
    pub s: Server,
    pub clock: Clock,
    pub admin: String,
    pub worker_a: String,
    pub viewer_a: String,
    pub worker_b: String,
    pub resident: String,
    pub other: String,
    pub provider: String,
    /// The organisation the provider works for.
    pub org_a: i64,
    pub na: i64,
    /// Organisation A's meal service in NA: one place.
    pub meal: i64,
    pub inactive: i64,
}

async fn created(s: &Server, token: &str, path: &str, body: Value) -> i64 {
    s.post(token, path, Some(&body)).await.created()
}

/// The codes of the governance taxonomy's service categories, as the server lists them.
pub async fn service_categories(s: &Server, token: &str) -> Vec<String> {
    let v = s
        .get(token, "/api/v1/gov/service-categories")
        .await
        .want(200);
    each(&v["items"])
        .map(|t| t["code"].as_str().unwrap().to_string())
        .collect()
}

pub fn org(name: &str, n: u32, unit: i64, role: &str, hub: Option<i64>) -> Value {
    json!({
        "name": name, "credit_code": credit_code("52330199", n), "org_type": "social_service_agency",
        "registered_on": "2017-09-01", "legal_rep": "某某", "unit_id": unit, "service_fields": ["elderly"],
        "staff_count": 4, "staff_under_35": 2, "staff_35_to_54": 1, "staff_55_plus": 1,
        "contact_phone": "000-87654321", "hub_role": role, "hub_id": hub
    })
}

impl World {
    pub async fn new(backend: Backend, with_categories: bool) -> World {
        let clock = Clock::new();
        let s = clock
            .server(backend, &[("GONGZHI_NEEDS_SWEEP_MS", "100")])
            .await;
        let admin = s.user_token("boss", "admin").await;
        let mut d = District::new(&s, &admin, json!({ "residents": 3000 }));
        d.plan("district ND; street NS1 NS2 in ND; community NA NB in NS1; community NC in NS2")
            .await;
        let na = d.id("NA");
        let [worker_a, viewer_a, worker_b] = d
            .staffs("worker_a=worker@NA viewer_a=viewer@NA worker_b=worker@NB")
            .await;
        let resident = s.user_token("resident", "member").await;
        let other = s.user_token("other", "member").await;
        let add_org = async |body| created(&s, &admin, "/api/v1/gov/orgs", body).await;
        let hub = add_org(org("测试区服务协会", 1, d.id("ND"), "hub", None)).await;
        let org_a = add_org(org("甲社区长者服务社", 2, na, "member", Some(hub))).await;
        s.add_user("provider", "member");
        s.post(
            &admin,
            &format!("/api/v1/gov/orgs/{org_a}/staff"),
            Some(&json!({ "username": "provider" })),
        )
        .await
        .want(201);
        let provider = s.login("provider").await;
        let service = |org: i64, name: &str, cats: &[&str], capacity: i64, status: &str| {
            json!({ "org_id": org, "name": name, "description": format!("{name}：为辖区居民提供服务。"),
                    "capacity": capacity, "status": status, "categories": cats })
        };
        let add_service = async |body| created(&s, &admin, "/api/v1/gov/services", body).await;
        let meal = add_service(service(org_a, "长者助餐配送", &["meal_aid"], 1, "active")).await;
        let inactive =
            add_service(service(org_a, "暂停的助餐点", &["meal_aid"], 5, "inactive")).await;
        if with_categories {
            // Every category of the governance taxonomy gets a unit-offered service of its
            // own in community NA (meal_aid has one already), so that only category fit and
            // words tell them apart.
            for c in service_categories(&s, &admin).await {
                if c != "meal_aid" {
                    let body = json!({ "unit_id": na, "name": format!("社区服务 {c}"), "categories": [c], "capacity": 50, "status": "active" });
                    add_service(body).await;
                }
            }
        }
        World {
            s,
            clock,
            admin,
            worker_a,
            viewer_a,
            worker_b,
            resident,
            other,
            provider,
            org_a,
            na,
            meal,
            inactive,
        }
    }

    pub async fn need(&self, token: &str, body: Value) -> i64 {
        let v = self
            .s
            .post(token, "/api/v1/needs", Some(&body))
            .await
            .want(201);
        v["id"].as_i64().unwrap()
    }

    async fn act(&self, token: &str, id: i64, action: &str, reason: &str, expect: u16) -> Value {
        let body = json!({ "action": action, "reason": reason, "rating": 5, "comment": "很好" });
        self.s
            .post(
                token,
                &format!("/api/v1/referrals/{id}/actions"),
                Some(&body),
            )
            .await
            .want(expect)
    }

    async fn refer(&self, token: &str, need: i64, service: i64, expect: u16) -> Value {
        let body = json!({ "service_id": service, "consent": true });
        self.s
            .post(
                token,
                &format!("/api/v1/needs/{need}/referrals"),
                Some(&body),
            )
            .await
            .want(expect)
    }

    async fn kinds(&self, token: &str) -> Vec<String> {
        self.s.notice_kinds(token).await
    }
}

both_dbs!(needs_reject_bad_input);
async fn needs_reject_bad_input(backend: Backend) {
    let w = World::new(backend, false).await;
    let s = &w.s;
    for (body, code) in [
        (json!({}), "missing_field"),
        (json!({ "title": "x", "unit_id": w.na }), "missing_field"),
        (
            json!({ "title": "老人吃饭难", "unit_id": 999_999 }),
            "missing_field",
        ),
        (
            json!({ "title": "老人吃饭难", "unit_id": w.na, "category": "nope" }),
            "invalid_field",
        ),
        (
            json!({ "title": "老人吃饭难", "unit_id": w.na, "urgency": "now" }),
            "invalid_field",
        ),
        (
            json!({ "title": "老人吃饭难", "unit_id": w.na, "people": 0 }),
            "invalid_field",
        ),
        (
            json!({ "title": "老人吃饭难", "unit_id": w.na, "raised_as": "grid_worker" }),
            "invalid_field",
        ),
        (
            json!({ "title": "老人吃饭难", "unit_id": "NA" }),
            "invalid_json",
        ),
    ] {
        let (st, v) = send(s, "POST", Some(&w.resident), "/api/v1/needs", Some(&body)).await;
        assert_eq!(st, 400, "{body}: {v}");
        assert_eq!(v["error"]["code"], code, "{body}");
    }
    let (st, _) = send(
        s,
        "POST",
        None,
        "/api/v1/needs",
        Some(&json!({ "title": "老人吃饭难", "unit_id": w.na })),
    )
    .await;
    assert_eq!(st, 401);
    let (_, list) = s.get_json(Some(&w.admin), "/api/v1/needs").await;
    assert_eq!(list["total"], 0, "nothing half-written");
}

both_dbs!(needs_referral_lifecycle_and_sides);
async fn needs_referral_lifecycle_and_sides(backend: Backend) {
    let w = World::new(backend, false).await;
    let s = &w.s;
    let body = json!({ "title": "老人中午没人做饭", "description": "独居老人，中午吃不上热饭", "unit_id": w.na,
                       "subject": "张阿姨 000-12345678", "people": 1, "urgency": "high" });
    let v = s
        .post(&w.resident, "/api/v1/needs", Some(&body))
        .await
        .want(201);
    assert_eq!(v["state"], "open");
    let need = v["id"].as_i64().unwrap();
    let path = format!("/api/v1/needs/{need}");

    // Who sees it, and who sees whom it is for.
    for (who, token, status, contact) in [
        ("raiser", &w.resident, 200, true),
        ("worker of the unit", &w.worker_a, 200, true),
        ("viewer of the unit", &w.viewer_a, 200, false),
        ("worker of another community", &w.worker_b, 404, false),
        ("another resident", &w.other, 404, false),
        ("organisation not yet referred", &w.provider, 404, false),
    ] {
        let (st, v) = s.get_json(Some(token), &path).await;
        assert_eq!(st, status, "{who}");
        assert_eq!(v["subject"].is_string(), contact, "{who}: {v}");
        let (_, list) = s.get_json(Some(token), "/api/v1/needs").await;
        let listed = each(&list["items"]).any(|n| n["id"] == need);
        assert_eq!(listed, status == 200, "{who} list");
        assert!(
            list.to_string().find("000-12345678").is_none(),
            "{who}: lists never carry the subject"
        );
        let (st, _) = s.get_json(Some(token), &format!("{path}/matches")).await;
        assert_eq!(st, status, "{who} matches");
    }
    let (st, list) = s
        .get_json(
            Some(&w.worker_a),
            "/api/v1/needs?state=open&per_page=1&page=x",
        )
        .await;
    assert_eq!((st, list["total"].as_i64()), (200, Some(1)), "{list}");
    let page = crate::common::page_text(s, &w.viewer_a, &format!("/needs/{need}")).await;
    assert!(page.contains("老人中午没人做饭") && !page.contains("000-12345678"));

    // Matches: the meal service, with a score and reasons; not the inactive one.
    let (_, m) = s
        .get_json(Some(&w.worker_a), &format!("{path}/matches"))
        .await;
    let items = m["items"].as_array().unwrap();
    assert_eq!(items[0]["service_id"], w.meal, "{m}");
    assert_eq!(items[0]["category"], "meal_aid");
    assert!(items[0]["score"].as_f64().unwrap() > 50.0);
    assert!(each(&items[0]["reasons"]).any(|r| r.as_str().unwrap().contains("同一社区")));
    assert!(!items.iter().any(|i| i["service_id"] == w.inactive));

    // Referring: workers of the need's unit only, with consent, to a service that takes people.
    let refer = format!("{path}/referrals");
    let referral =
        |service: i64, consent: bool| json!({ "service_id": service, "consent": consent });
    let (meal, no_consent) = (referral(w.meal, true), referral(w.meal, false));
    s.post(&w.resident, &refer, Some(&meal))
        .await
        .want_error(403, "forbidden");
    s.post(&w.worker_b, &refer, Some(&meal)).await.want(404);
    s.post(&w.worker_a, &refer, Some(&no_consent))
        .await
        .want_error(400, "consent_required");
    s.post(&w.worker_a, &refer, Some(&referral(w.inactive, true)))
        .await
        .want_error(409, "no_capacity");
    let r = w.refer(&w.worker_a, need, w.meal, 201).await;
    assert_eq!(r["state"], "requested");
    assert_eq!(r["waitlist"], false);
    let rid = r["id"].as_i64().unwrap();
    assert!(
        w.kinds(&w.provider)
            .await
            .contains(&"needs.referral".to_string()),
        "the provider hears of it"
    );

    // The provider now sees the need, but whom it is for only once they accept.
    let (st, v) = s.get_json(Some(&w.provider), &path).await;
    assert_eq!(st, 200);
    assert!(v["subject"].is_null());

    // Provider steps: not the referrer's, not an administrator's.
    for token in [&w.worker_a, &w.admin, &w.resident] {
        let v = w.act(token, rid, "accept", "", 403).await;
        assert_eq!(v["error"]["code"], "provider_only");
    }
    let v = w.act(&w.provider, rid, "cancel", "", 403).await;
    assert_eq!(v["error"]["code"], "referrer_only");
    w.act(&w.worker_b, rid, "accept", "", 404).await;
    w.act(&w.provider, rid, "accept", "", 200).await;
    let v = w.act(&w.provider, rid, "accept", "", 409).await;
    assert_eq!(v["error"]["code"], "referral_state");
    let (_, v) = s.get_json(Some(&w.provider), &path).await;
    assert_eq!(v["subject"], "张阿姨 000-12345678");
    for (action, state) in [
        ("start", "in_progress"),
        ("hold", "on_hold"),
        ("resume", "in_progress"),
    ] {
        assert_eq!(
            w.act(&w.provider, rid, action, "", 200).await["state"],
            state
        );
    }
    let v = w.act(&w.provider, rid, "feedback", "", 409).await;
    assert_eq!(
        v["error"]["code"], "referral_state",
        "feedback only once it ended"
    );
    assert_eq!(
        w.act(&w.provider, rid, "complete", "每天中午送餐上门", 200)
            .await["state"],
        "completed"
    );
    assert_eq!(s.get_json(Some(&w.resident), &path).await.1["state"], "met");
    assert!(
        w.kinds(&w.worker_a)
            .await
            .contains(&"needs.referral".to_string()),
        "the outcome returns"
    );
    let v = w.act(&w.provider, rid, "feedback", "", 403).await;
    assert_eq!(v["error"]["code"], "referrer_only");
    let v = w.act(&w.resident, rid, "feedback", "", 200).await;
    assert_eq!(v["feedback_rating"], 5);
    assert!(
        w.kinds(&w.worker_a)
            .await
            .contains(&"needs.feedback".to_string()),
        "feedback returns"
    );
    w.act(&w.provider, rid, "start", "", 409).await;
    w.act(&w.worker_a, rid, "cancel", "", 409).await;
    let v = w.act(&w.worker_a, rid, "fly", "", 400).await;
    assert_eq!(v["error"]["code"], "invalid_field");

    // Capacity: one place. The next need waits; a third is rejected at capacity.
    let n2 = w
        .need(
            &w.worker_a,
            json!({ "title": "送餐上门", "unit_id": w.na, "category": "meal_aid" }),
        )
        .await;
    let n3 = w
        .need(
            &w.worker_a,
            json!({ "title": "长者午餐", "unit_id": w.na, "category": "meal_aid" }),
        )
        .await;
    let r2 = w.refer(&w.worker_a, n2, w.meal, 201).await;
    assert_eq!(r2["waitlist"], false);
    let r3 = w.refer(&w.worker_a, n3, w.meal, 201).await;
    assert_eq!(r3["waitlist"], true);
    assert!(r3["expected_wait_days"].as_i64().unwrap() >= 1);
    w.refer(&w.worker_a, n3, w.meal, 409).await;
    let (_, m) = s
        .get_json(Some(&w.worker_a), &format!("/api/v1/needs/{n3}/matches"))
        .await;
    assert_eq!(m["items"][0]["capacity"], "waitlist", "{m}");
    let r3 = r3["id"].as_i64().unwrap();
    let v = w.act(&w.provider, r3, "reject", "", 400).await;
    assert_eq!(v["error"]["code"], "missing_field");
    assert_eq!(
        w.act(&w.provider, r3, "reject", "at_capacity", 200).await["state"],
        "rejected"
    );
    assert_eq!(
        s.get_json(Some(&w.worker_a), &format!("/api/v1/needs/{n3}"))
            .await
            .1["state"],
        "unmet"
    );
    let r2 = r2["id"].as_i64().unwrap();
    assert_eq!(
        w.act(&w.worker_a, r2, "cancel", "", 200).await["state"],
        "cancelled"
    );
    assert!(w.kinds(&w.provider).await.len() >= 3);

    // Failing: accepted, then failed with a reason.
    let n4 = w
        .need(
            &w.worker_a,
            json!({ "title": "助餐", "unit_id": w.na, "category": "meal_aid" }),
        )
        .await;
    let r4 = w.refer(&w.worker_a, n4, w.meal, 201).await["id"]
        .as_i64()
        .unwrap();
    w.act(&w.provider, r4, "accept", "", 200).await;
    w.act(&w.provider, r4, "fail", "", 400).await;
    assert_eq!(
        w.act(&w.provider, r4, "fail", "居民搬走了", 200).await["state"],
        "failed"
    );

    // The gap report: unmet meal needs in NA, to NA's staff and not to NB's.
    let (st, g) = s.get_json(Some(&w.worker_a), "/api/v1/needs/gaps").await;
    assert_eq!(st, 200);
    let row = each(&g["items"])
        .find(|r| r["category"] == "meal_aid")
        .cloned()
        .unwrap();
    assert_eq!(
        (row["unit_id"].as_i64(), row["needs"].as_i64()),
        (Some(w.na), Some(3)),
        "{g}"
    );
    let (_, g) = s.get_json(Some(&w.worker_b), "/api/v1/needs/gaps").await;
    assert!(g["items"].as_array().unwrap().is_empty(), "{g}");
    assert_eq!(
        s.status_of(Some(&w.resident), "/api/v1/needs/gaps").await,
        403
    );
    let (_, v) = s
        .get_json(Some(&w.worker_a), &format!("/api/v1/referrals/{rid}"))
        .await;
    let steps: Vec<&str> = each(&v["events"])
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "create", "accept", "start", "hold", "resume", "complete", "feedback"
        ]
    );
}

both_dbs!(needs_stalled_referrals_remind_both_sides);
async fn needs_stalled_referrals_remind_both_sides(backend: Backend) {
    let w = World::new(backend, false).await;
    let s = &w.s;
    let stall = json!({ "stall_hours": 2 });
    let (st, _) = s
        .put(&w.worker_a, "/api/v1/needs/settings", Some(&stall))
        .await
        .parts();
    assert_eq!(st, 403);
    let (st, _) = s
        .put(
            &w.admin,
            "/api/v1/needs/settings",
            Some(&json!({ "stall_hours": 0 })),
        )
        .await
        .parts();
    assert_eq!(st, 400);
    s.put(&w.admin, "/api/v1/needs/settings", Some(&stall))
        .await
        .want(200);
    let need = w
        .need(
            &w.worker_a,
            json!({ "title": "老人吃饭难", "unit_id": w.na }),
        )
        .await;
    w.refer(&w.worker_a, need, w.meal, 201).await;
    let stalled = |k: Vec<String>| k.iter().filter(|k| *k == "needs.stalled").count();
    w.clock.set_offset(3600 * 1000);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        stalled(w.kinds(&w.worker_a).await),
        0,
        "one hour is not a stall"
    );
    w.clock.set_offset(3 * 3600 * 1000);
    let start = Instant::now();
    while stalled(w.kinds(&w.provider).await) == 0 {
        assert!(start.elapsed() < Duration::from_secs(20), "no reminder");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        stalled(w.kinds(&w.worker_a).await),
        1,
        "the referrer too, once"
    );
    assert_eq!(stalled(w.kinds(&w.provider).await), 1);
}
