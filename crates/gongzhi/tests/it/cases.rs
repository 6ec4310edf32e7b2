//! The governance centre (issue 6): every workflow path, deadlines and cards moved by the
//! clock, routing, scope isolation with hidden reporter contact, rates, Open311 in JSON
//! and XML with its error cases, a published GeoReport client — on every backend.

use crate::common::clock::real_now;
use crate::common::{
    Backend, Clock, District, PASSWORD, Server, both_dbs, cases, client, each, expect_each, send,
    send_expect,
};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;

/// A district with a street, two communities and a department; the centre, a worker in
/// each community, a department worker and a resident; two categories.
struct World {
    s: Server,
    clock: Clock,
    admin: String,
    centre: String,
    worker_a: String,
    worker_b: String,
    dept: String,
    resident: String,
    community_a: i64,
    community_b: i64,
    dept_unit: i64,
    street: i64,
}

impl World {
    async fn new(backend: Backend) -> World {
        let clock = Clock::new();
        let s = clock
            .server(backend, &[("GONGZHI_CASES_SWEEP_MS", "100")])
            .await;
        let admin = s.user_token("boss", "admin").await;
        let plan = "district CD; street CS in CD; community CA CB in CS; department CT in CD";
        let d = District::planned(&s, &admin, plan).await;
        let (community_a, community_b, dept_unit) = (d.id("CA"), d.id("CB"), d.id("CT"));
        let street = d.id("CS");
        let [centre, worker_a, worker_b, dept] = d
            .staffs("centre=worker@CD worker_a=worker@CA worker_b=worker@CB dept=worker@CT")
            .await;
        let resident = s.user_token("resident", "member").await;
        let cats = [
            json!({ "code": "noise", "name": "噪声扰民", "days_normal": 3, "days_urgent": 1, "route_kind": "community" }),
            json!({ "code": "pothole", "name": "道路坑洼", "route_kind": "fixed", "route_unit_id": dept_unit,
                    "attributes": [{ "code": "size", "datatype": "singlevaluelist", "required": true, "description": "多大",
                                     "values": [{ "key": "small", "name": "小" }, { "key": "large", "name": "大" }] }] }),
        ];
        for c in cats {
            cases::category(&s, &admin, c).await;
        }
        World {
            s,
            clock,
            admin,
            centre,
            worker_a,
            worker_b,
            dept,
            resident,
            community_a,
            community_b,
            dept_unit,
            street,
        }
    }

    /// Moves the server's clock so that "now" is `ms` (Unix milliseconds).
    fn set_now(&self, ms: i64) {
        self.clock.set_now(ms);
    }

    async fn file(&self, token: &str, category: &str, place: i64) -> Value {
        let body = json!({ "category": category, "place_unit_id": place, "description": "楼下每晚很吵",
                           "reporter_phone": "000-1234-5678", "attributes": { "size": "small" } });
        self.s
            .post(token, "/api/v1/cases", Some(&body))
            .await
            .want(201)
    }

    /// The id of a case the resident files.
    async fn report(&self, category: &str, place: i64) -> i64 {
        self.file(&self.resident, category, place).await["id"]
            .as_i64()
            .unwrap()
    }

    async fn act(&self, token: &str, id: i64, body: Value) -> (u16, Value) {
        cases::act(&self.s, token, id, &body).await
    }

    async fn ok(&self, token: &str, id: i64, body: Value) -> Value {
        self.expect(token, id, body, 200).await
    }

    /// Takes a step and asserts the status it answers with.
    async fn expect(&self, token: &str, id: i64, body: Value, status: u16) -> Value {
        let (st, v) = self.act(token, id, body.clone()).await;
        assert_eq!(st, status, "{body}: {v}");
        v
    }

    /// Takes the steps of a table on case `id` (see [`cases::walk`]); the last answer.
    async fn walk(&self, id: i64, table: &[(&str, u16, Value)]) -> Value {
        cases::walk(&self.s, id, table).await
    }

    /// The lead unit (the bearer of `unit`) hands in `result`; the centre verifies it and
    /// closes the case. The closed case.
    async fn finish(&self, id: i64, unit: &str, result: &str) -> Value {
        let table = [
            (unit, 200, json!({"action": "handle", "result": result})),
            (&self.centre, 200, json!({"action": "verify", "ok": true})),
            (&self.centre, 200, json!({"action": "close"})),
        ];
        self.walk(id, &table).await
    }

    /// The step that dispatches a case by hand to community A, co-handled by the department.
    fn co_handled(&self) -> Value {
        json!({"action": "dispatch", "lead_unit_id": self.community_a, "co_unit_ids": [self.dept_unit]})
    }

    /// The id of the first extension requested on case `id`.
    async fn first_extension(&self, id: i64) -> i64 {
        let (_, detail) = self.get(&self.centre, id).await;
        detail["extensions"][0]["id"].as_i64().unwrap()
    }

    /// Takes a step that must be refused with `status` and the error `code`; the error.
    async fn refused(
        &self,
        token: &str,
        id: i64,
        body: Value,
        (status, code): (u16, &str),
    ) -> Value {
        let (st, v) = self.act(token, id, body).await;
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (status, Some(code)),
            "{v}"
        );
        v["error"].clone()
    }

    async fn get(&self, token: &str, id: i64) -> (u16, Value) {
        self.s
            .get(token, &format!("/api/v1/cases/{id}"))
            .await
            .parts()
    }

    async fn timeline_kinds(&self, id: i64) -> Vec<String> {
        let (_, v) = self.get(&self.centre, id).await;
        each(&v["timeline"])
            .map(|e| e["kind"].as_str().unwrap().to_string())
            .collect()
    }

    async fn wait_for_kind(&self, id: i64, kind: &str) {
        for _ in 0..100 {
            if self.timeline_kinds(id).await.iter().any(|k| k == kind) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "case {id} never got a {kind} step: {:?}",
            self.timeline_kinds(id).await
        );
    }
}

both_dbs!(every_workflow_path_with_scopes_and_hidden_contact);
async fn every_workflow_path_with_scopes_and_hidden_contact(backend: Backend) {
    let w = World::new(backend).await;
    let c = w.file(&w.resident, "noise", w.community_a).await;
    let id = c["id"].as_i64().unwrap();
    assert_eq!(c["state"], "reported");

    // Scope: community B sees nothing; community A sees the case but not the reporter.
    assert_eq!(w.get(&w.worker_b, id).await.0, 404);
    let (_, list_b) = send(&w.s, "GET", Some(&w.worker_b), "/api/v1/cases", None).await;
    assert_eq!(list_b["total"], 0, "{list_b}");
    let (st, seen_a) = w.get(&w.worker_a, id).await;
    assert_eq!(st, 200);
    assert!(
        seen_a.get("reporter").is_none(),
        "place staff must not see contact: {seen_a}"
    );
    assert!(!seen_a.to_string().contains("000-1234-5678"));
    let (_, seen_c) = w.get(&w.centre, id).await;
    assert_eq!(seen_c["reporter"]["phone"], "000-1234-5678");
    assert_eq!(w.get(&w.dept, id).await.0, 404);
    // Only the centre triages.
    let (a, b, centre, dept) = (&w.worker_a, &w.worker_b, &w.centre, &w.dept);
    let accept = json!({"action": "accept"});
    let refused = [
        (a.as_str(), 403, accept.clone()),
        (&w.resident, 403, accept.clone()),
        (b, 404, accept.clone()),
    ];
    w.walk(id, &refused).await;

    // Accept, dispatch by routing (noise → the community of the place).
    w.ok(centre, id, accept).await;
    let d = w.ok(centre, id, json!({"action": "dispatch"})).await;
    assert_eq!(d["lead_unit_id"], w.community_a);
    assert!(d["due_at"].as_i64().unwrap() > d["dispatched_at"].as_i64().unwrap());
    let (_, now_a) = w.get(a, id).await;
    assert_eq!(
        now_a["reporter"]["phone"], "000-1234-5678",
        "the handling unit sees contact"
    );
    // Not its case: community B can't act; A returns it within 3 working days, with a
    // reason (none: 400).
    let returned = [
        (b.as_str(), 404, json!({"action": "sign"})),
        (a, 400, json!({"action": "return"})),
        (
            a,
            200,
            json!({"action": "return", "reason": "不属于本社区"}),
        ),
    ];
    let r = w.walk(id, &returned).await;
    assert_eq!(r["state"], "accepted");
    assert!(r["lead_unit_id"].is_null());
    // Re-dispatched by hand, with a co-handling unit.
    let d = w.ok(centre, id, w.co_handled()).await;
    assert_eq!(d["state"], "dispatched");
    let (_, dept_view) = w.get(dept, id).await;
    assert_eq!(dept_view["co_unit_ids"], json!([w.dept_unit]));
    // Co-handling does not sign (403), it reports progress; the lead unit signs.
    let signing = [
        (dept.as_str(), 403, json!({"action": "sign"})),
        (
            dept,
            200,
            json!({"action": "progress", "note": "已派人查看"}),
        ),
        (a, 200, json!({"action": "sign"})),
    ];
    let signed = w.walk(id, &signing).await;
    assert_eq!(signed["state"], "in_progress");

    // Extension: requested, a second request refused while one waits, approved (by the
    // centre only).
    let due_before = signed["due_at"].as_i64().unwrap();
    let asking = [
        (
            a.as_str(),
            400,
            json!({"action": "request_extension", "days": 0, "reason": "x"}),
        ),
        (
            a,
            200,
            json!({"action": "request_extension", "days": 2, "reason": "需要协调物业"}),
        ),
        (
            a,
            409,
            json!({"action": "request_extension", "days": 1, "reason": "再等等"}),
        ),
    ];
    w.walk(id, &asking).await;
    let ext = w.first_extension(id).await;
    let decide = json!({"action": "decide_extension", "extension_id": ext, "approve": true});
    let deciding = [(a.as_str(), 403, decide.clone()), (centre, 200, decide)];
    let extended = w.walk(id, &deciding).await;
    assert!(
        extended["due_at"].as_i64().unwrap() >= due_before + 2 * 86_400_000,
        "two working days later"
    );

    // Handled → verification fails once → handled again → verified → closed (closing
    // first needs verification: 409).
    let failing = [
        (centre.as_str(), 409, json!({"action": "close"})),
        (
            a,
            200,
            json!({"action": "handle", "result": "已与商户沟通，营业时间调整"}),
        ),
        (
            centre,
            200,
            json!({"action": "verify", "ok": false, "note": "居民反映仍然吵"}),
        ),
    ];
    let back = w.walk(id, &failing).await;
    assert_eq!(back["state"], "in_progress");
    let closed = w.finish(id, a, "加装隔音设施，复查达标").await;
    assert_eq!(closed["state"], "closed");
    // Return visit once; reopen sends it back to the same unit.
    let visit =
        |satisfaction: &str| json!({"action": "return_visit", "satisfaction": satisfaction});
    let visiting = [
        (centre.as_str(), 400, visit("great")),
        (centre, 200, visit("basic")),
    ];
    let v = w.walk(id, &visiting).await;
    assert_eq!(v["satisfaction"], "basic");
    let reopening = [
        (centre.as_str(), 409, visit("satisfied")),
        (
            centre,
            200,
            json!({"action": "reopen", "reason": "居民再次反映"}),
        ),
    ];
    let re = w.walk(id, &reopening).await;
    assert_eq!(re["state"], "dispatched");
    assert_eq!(re["lead_unit_id"], w.community_a);
    assert!(re["satisfaction"].is_null());
    assert_eq!(
        w.timeline_kinds(id).await,
        [
            "reported",
            "accepted",
            "dispatched",
            "returned",
            "dispatched",
            "progress",
            "signed",
            "extension_requested",
            "extension_approved",
            "handled",
            "verify_failed",
            "handled",
            "verified",
            "closed",
            "return_visit",
            "reopened"
        ]
        .map(String::from)
    );
    // The resident follows it, without internal steps or other people's data.
    let (st, mine) = send(&w.s, "GET", Some(&w.resident), "/api/v1/cases?mine=1", None).await;
    assert_eq!((st, mine["total"].as_i64()), (200, Some(1)));

    // Reject and merge.
    let dup = w.report("noise", w.community_a).await;
    let m = w
        .ok(&w.centre, dup, json!({"action": "merge", "into": id}))
        .await;
    assert_eq!(
        (m["state"].as_str(), m["merged_into"].as_i64()),
        (Some("merged"), Some(id))
    );
    // Already merged: no second merge; a case never merges into itself.
    w.expect(&w.centre, dup, json!({"action": "merge", "into": id}), 409)
        .await;
    let other = w.report("noise", w.community_a).await;
    w.expect(
        &w.centre,
        other,
        json!({"action": "merge", "into": other}),
        400,
    )
    .await;
    let junk = w.report("noise", w.community_b).await;
    let rejecting = [
        (w.centre.as_str(), 400, json!({"action": "reject"})),
        (
            &w.centre,
            200,
            json!({"action": "reject", "reason": "不属于政府职责"}),
        ),
    ];
    let rj = w.walk(junk, &rejecting).await;
    assert_eq!(rj["state"], "rejected");

    // Routing by category: potholes go to the department, whatever the place.
    let p = w.report("pothole", w.community_b).await;
    let pd = w.ok(&w.centre, p, json!({"action": "dispatch"})).await;
    assert_eq!(pd["lead_unit_id"], w.dept_unit);
    assert!(w.get(&w.dept, p).await.1["reporter"].is_object());
    // A required attribute is enforced.
    w.s.post(
        &w.resident,
        "/api/v1/cases",
        Some(&json!({"category": "pothole", "place_unit_id": w.community_b, "description": "坑"})),
    )
    .await
    .want(400);
    // Bad input: a 4,001-character description, an unknown category, a unit that is not one.
    for body in [
        json!({"category": "noise", "place_unit_id": w.community_a, "description": "字".repeat(4001)}),
        json!({"category": "nope", "place_unit_id": w.community_a, "description": "x"}),
        json!({"category": "noise", "place_unit_id": 999999, "description": "x"}),
        json!({"category": "noise", "place_unit_id": w.community_a, "description": "x", "lat": "91", "long": "10"}),
        json!({"category": "noise", "place_unit_id": w.community_a, "description": "x", "source": "hotline"}),
    ] {
        let (st, v) =
            w.s.post(&w.resident, "/api/v1/cases", Some(&body))
                .await
                .parts();
        assert!(st == 400 || st == 403, "{body}: {st} {v}");
    }
    // Staff file for a caller; anonymous may not file at all.
    let (st, hot) = send(
        &w.s,
        "POST",
        Some(&w.centre),
        "/api/v1/cases",
        Some(
            &json!({"category": "noise", "place_unit_id": w.community_b, "description": "热线来电",
                     "source": "hotline", "reporter_name": "王先生"}),
        ),
    )
    .await;
    assert_eq!((st, hot["source"].as_str()), (201, Some("hotline")));
    assert_eq!(
        send(&w.s, "POST", None, "/api/v1/cases", Some(&json!({})))
            .await
            .0,
        401
    );

    let out = w.s.run_cli(&["audit-check"], None);
    assert!(out.contains("intact"), "{out}");
}

both_dbs!(the_clock_brings_reminders_cards_and_closes_the_return_window);
async fn the_clock_brings_reminders_cards_and_closes_the_return_window(backend: Backend) {
    let w = World::new(backend).await;
    let id = w.report("noise", w.community_a).await;
    let d = w.ok(&w.centre, id, json!({"action": "dispatch"})).await;
    let (due, return_by) = (
        d["due_at"].as_i64().unwrap(),
        d["return_by"].as_i64().unwrap(),
    );

    // A few hours before the deadline: a reminder (internal, not shown to the resident).
    w.set_now(due - 2 * 3_600_000);
    w.wait_for_kind(id, "reminder").await;
    let (_, theirs) = w.get(&w.resident, id).await;
    assert!(!theirs["timeline"].to_string().contains("reminder"));
    // Past the return window the unit can no longer send it back.
    w.set_now(return_by + 60_000);
    let late = json!({"action": "return", "reason": "晚了"});
    w.expect(&w.worker_a, id, late, 409).await;
    // Just past the deadline: a yellow card; long past it: a red card.
    w.set_now(due + 3_600_000);
    w.wait_for_kind(id, "yellow_card").await;
    assert_eq!(w.get(&w.centre, id).await.1["supervision"], "yellow");
    // The card is the centre's business with the unit: not on the resident's pages.
    for path in ["/cases/mine".to_string(), format!("/cases/{id}")] {
        let page = crate::common::page_text(&w.s, &w.resident, &path).await;
        assert!(
            page.contains(&format!("#{id}")) && !page.contains("黄牌督办"),
            "{path}: {page}"
        );
    }
    assert!(w.get(&w.resident, id).await.1.get("supervision").is_none());
    let (_, sup) =
        w.s.get(&w.centre, "/api/v1/cases?supervision=yellow")
            .await
            .parts();
    assert_eq!(sup["total"], 1);
    w.set_now(due + 10 * 86_400_000);
    w.wait_for_kind(id, "red_card").await;
    assert_eq!(w.get(&w.centre, id).await.1["supervision"], "red");
    let kinds = w.timeline_kinds(id).await;
    assert_eq!(
        kinds.iter().filter(|k| *k == "red_card").count(),
        1,
        "one card per step: {kinds:?}"
    );
    let (_, dash) = w.s.get(&w.centre, "/api/v1/cases/dashboard").await.parts();
    assert_eq!(dash["overdue_total"], 1, "{dash}");
    assert_eq!(dash["overdue_by_unit"][0]["red"], 1);
    // An approved extension into the future lifts the card (the timeline keeps it).
    let ask = json!({"action": "request_extension", "days": 20, "reason": "等待材料"});
    w.ok(&w.worker_a, id, ask).await;
    let ext = w.first_extension(id).await;
    let approve = json!({"action": "decide_extension", "extension_id": ext, "approve": true});
    let e = w.ok(&w.centre, id, approve).await;
    assert_eq!(e["supervision"], "none");

    // Holidays count: a holiday right after dispatch pushes the deadline one day on.
    w.set_now(real_now());
    let a = w.report("noise", w.community_a).await;
    let plain = w.ok(&w.centre, a, json!({"action": "dispatch"})).await["due_at"]
        .as_i64()
        .unwrap();
    let b = w.report("noise", w.community_a).await;
    // Mark every day of the next two weeks that is a working day… only the first one.
    let (_, cal) = send(&w.s, "GET", Some(&w.centre), "/api/v1/cases/calendar", None).await;
    assert_eq!(cal["days"], json!([]));
    let mut day = chrono_day(real_now());
    let mut marked = None;
    for _ in 0..14 {
        day = day.succ_opt().unwrap();
        use chrono::Datelike;
        if day.weekday().number_from_monday() <= 5 {
            marked = Some(day);
            break;
        }
    }
    let marked = marked.unwrap().format("%Y-%m-%d").to_string();
    let day_path = format!("/api/v1/cases/calendar/{marked}");
    let holiday = json!({"kind": "holiday", "note": "测试"});
    let bad_day = json!({"kind": "holiday"});
    // Operators are not administrators; a day that does not exist is refused.
    expect_each(
        &w.s,
        &[
            ("PUT", Some(&w.centre), &day_path, Some(&holiday), 403),
            ("PUT", Some(&w.admin), &day_path, Some(&holiday), 204),
            (
                "PUT",
                Some(&w.admin),
                "/api/v1/cases/calendar/2026-13-01",
                Some(&bad_day),
                400,
            ),
        ],
    )
    .await;
    let later = w.ok(&w.centre, b, json!({"action": "dispatch"})).await["due_at"]
        .as_i64()
        .unwrap();
    // The marked day lies before the plain deadline, so the deadline moves by one
    // working day: one or three calendar days (over a weekend).
    let shift = (later - plain) / 86_400_000;
    assert!(shift == 1 || shift == 3, "shift {shift} days");
}

/// The id of the case a page's address (`…/cases/{id}?…`) shows.
fn case_in(url: &str) -> i64 {
    let after = url.split("/cases/").nth(1).expect("a case's address");
    after.split('?').next().unwrap().parse().unwrap()
}

fn chrono_day(ms: i64) -> chrono::NaiveDate {
    use chrono::TimeZone;
    chrono::FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .timestamp_millis_opt(ms)
        .unwrap()
        .date_naive()
}

both_dbs!(rates_on_a_known_set);
async fn rates_on_a_known_set(backend: Backend) {
    let w = World::new(backend).await;
    // Community A: six cases, five signed and closed (four satisfied, one not).
    // Community B: two cases — too few for a rate, so its rates are "—" (null).
    let mut ids = Vec::new();
    for place in [w.community_a; 6].into_iter().chain([w.community_b; 2]) {
        let id = w.report("noise", place).await;
        w.ok(&w.centre, id, json!({"action": "dispatch"})).await;
        ids.push(id);
    }
    let sats = [
        "satisfied",
        "satisfied",
        "dissatisfied",
        "satisfied",
        "basic",
    ];
    for (id, sat) in ids[..5].iter().zip(sats) {
        w.ok(&w.worker_a, *id, json!({"action": "sign"})).await;
        w.finish(*id, &w.worker_a, "已到现场处理，噪声已停止。")
            .await;
        let visit = json!({"action": "return_visit", "satisfaction": sat});
        w.ok(&w.centre, *id, visit).await;
    }
    let r = w.s.get(&w.centre, "/api/v1/cases/stats").await.want(200);
    let unit = &r["units"][0];
    assert_eq!(unit["unit_id"], w.community_a);
    assert_eq!(unit["dispatched"], 6);
    assert_eq!(unit["response_rate"], 83.3);
    assert_eq!(unit["resolution_rate"], 83.3);
    assert_eq!(unit["satisfaction_rate"], 80.0);
    let b = &r["units"][1];
    assert_eq!(
        (b["unit_id"].as_i64(), b["dispatched"].as_i64()),
        (Some(w.community_b), Some(2))
    );
    assert!(
        b["response_rate"].is_null() && b["resolution_rate"].is_null(),
        "fewer than 5 cases: no rate: {b}"
    );
    let page = crate::common::page_text(&w.s, &w.centre, "/cases/dashboard").await;
    assert!(page.contains("83.3%") && page.contains("—"), "{page}");
    // Community B's worker sees only B's cases, none of A's.
    let (_, rb) = send(&w.s, "GET", Some(&w.worker_b), "/api/v1/cases/stats", None).await;
    assert_eq!(rb["total"]["dispatched"], 2);
    assert_eq!(rb["units"].as_array().unwrap().len(), 1, "{rb}");
    expect_each(
        &w.s,
        &[
            ("GET", Some(&w.resident), "/api/v1/cases/stats", None, 403),
            (
                "GET",
                Some(&w.centre),
                "/api/v1/cases/stats?from=2026-02-30",
                None,
                400,
            ),
        ],
    )
    .await;
    the_map_counts_each_area_as_its_overview_does(&w).await;
}

/// The overview's map reads every area's case figures in one pass (issue 16); each must
/// equal what that area's own overview says — co-handled cases included.
async fn the_map_counts_each_area_as_its_overview_does(w: &World) {
    // A third case in B, led by B and co-handled by A; then three weeks pass, so A's
    // unsigned sixth case and all of B's are overdue.
    let id = w.report("noise", w.community_b).await;
    let both = json!({"action": "dispatch", "lead_unit_id": w.community_b, "co_unit_ids": [w.community_a]});
    w.ok(&w.centre, id, both).await;
    w.set_now(chrono::Utc::now().timestamp_millis() + 21 * 86_400_000);
    for unit in [w.community_a, w.community_b, w.street] {
        let square = json!({ "type": "Feature", "properties": {}, "geometry": { "type": "Polygon",
            "coordinates": [[[120.0, 30.0], [120.01, 30.0], [120.01, 30.01], [120.0, 30.01], [120.0, 30.0]]] } });
        let path = format!("/api/v1/gov/units/{unit}/boundary");
        send_expect(&w.s, "PUT", Some(&w.admin), &path, Some(&square), 200).await;
    }
    let overview = |unit: i64| {
        let path = format!("/api/v1/overview?unit={unit}");
        async move { send_expect(&w.s, "GET", Some(&w.centre), &path, None, 200).await }
    };
    let (a, b) = (overview(w.community_a).await, overview(w.community_b).await);
    assert_eq!(
        (
            a["cases"]["overdue"].as_i64(),
            b["cases"]["overdue"].as_i64()
        ),
        (Some(2), Some(3))
    );
    assert_eq!(a["cases"]["on_time_rate"], 71.4, "5 of 7 (one co-handled)");
    assert!(b["cases"]["on_time_rate"].is_null(), "3 cases: no rate");
    let map = |figure: &str| {
        let path = format!("/overview?unit={}&figure={figure}", w.street);
        async move { crate::common::page_text(&w.s, &w.centre, &path).await }
    };
    let overdue = map("overdue").await;
    assert!(
        overdue.contains("<title>CA单位：超期事件 2</title>"),
        "{overdue}"
    );
    assert!(
        overdue.contains("<title>CB单位：超期事件 3</title>"),
        "{overdue}"
    );
    let rate = map("on_time_rate").await;
    assert!(
        rate.contains("<title>CA单位：事件按时签收率 71.4%</title>"),
        "{rate}"
    );
    assert!(
        rate.contains("<title>CB单位：事件按时签收率 —</title>"),
        "{rate}"
    );
}

/// Every cases page and API route with every role: who gets what.
#[tokio::test]
async fn every_route_with_every_role() {
    let w = World::new(Backend::Sqlite).await;
    let id = w.report("noise", w.community_a).await;
    let pages = [
        "/cases/new",
        "/cases/mine",
        "/cases/console",
        "/cases/inbox",
        "/cases/supervision",
        "/cases/dashboard",
        "/cases/settings",
        &format!("/cases/{id}"),
        "/cases/categories",
        "/cases/categories/1",
    ];
    let who: [(&str, Option<&str>); 6] = [
        ("admin", Some(&w.admin)),
        ("centre", Some(&w.centre)),
        ("worker_a", Some(&w.worker_a)),
        ("worker_b", Some(&w.worker_b)),
        ("resident", Some(&w.resident)),
        ("anonymous", None),
    ];
    // The status each of them gets, page by page in order.
    let expected: [[u16; 10]; 6] = [
        [200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
        [200, 200, 200, 200, 200, 200, 403, 200, 403, 403],
        [200, 200, 403, 200, 200, 200, 403, 200, 403, 403],
        [200, 200, 403, 200, 200, 200, 403, 404, 403, 403],
        [200, 200, 403, 403, 403, 403, 403, 200, 403, 403],
        [303; 10],
    ];
    for ((name, token), statuses) in who.into_iter().zip(expected) {
        for (path, want) in pages.iter().zip(statuses) {
            assert_eq!(w.s.status_of(token, path).await, want, "{name} GET {path}");
        }
    }
    // The dashboard's JSON follows the same rule.
    expect_each(
        &w.s,
        &[
            (
                "GET",
                Some(&w.resident),
                "/api/v1/cases/dashboard",
                None,
                403,
            ),
            ("GET", None, "/api/v1/cases/dashboard", None, 401),
        ],
    )
    .await;
    let _ = PASSWORD;
}

// ---------------------------------------------------------------------------------------
// Open311

async fn o311(
    s: &Server,
    method: &str,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String, String) {
    let url = format!("{}/open311/v2/{}", s.url, path);
    let r = match method {
        "GET" => client().get(url).query(form),
        _ => client().post(url).form(form),
    };
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|c| c.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ct, r.text().await.unwrap())
}

/// The spec's error shape in both formats.
fn assert_error(fmt: &str, status: u16, expected: u16, body: &str) {
    assert_eq!(status, expected, "{body}");
    if fmt == "json" {
        let v: Value = serde_json::from_str(body).unwrap();
        assert_eq!(v[0]["code"], expected, "{body}");
        assert!(v[0]["description"].as_str().is_some_and(|d| !d.is_empty()));
    } else {
        assert!(
            body.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
            "{body}"
        );
        assert!(
            body.contains(&format!(
                "<errors><error><code>{expected}</code><description>"
            )),
            "{body}"
        );
    }
}

both_dbs!(open311_georeport_v2_in_json_and_xml);
async fn open311_georeport_v2_in_json_and_xml(backend: Backend) {
    let w = World::new(backend).await;
    let key =
        w.s.run_cli(&["open311", "key", "add", "测试客户端"], None)
            .trim()
            .to_string();
    assert_eq!(key.len(), 64, "{key}");
    let long = "长".repeat(4001);
    let huge = "x".repeat(3 * 1024 * 1024); // past the 2 MB body limit
    for fmt in ["json", "xml"] {
        let (st, ct, body) = o311(&w.s, "GET", &format!("discovery.{fmt}"), &[]).await;
        assert_eq!(st, 200);
        assert!(body.contains("GeoReport_v2"));
        assert!(
            ct.starts_with(if fmt == "json" {
                "application/json"
            } else {
                "text/xml"
            }),
            "{ct}"
        );

        let (st, _, body) = o311(&w.s, "GET", &format!("services.{fmt}"), &[]).await;
        assert_eq!(st, 200);
        if fmt == "json" {
            let v: Value = serde_json::from_str(&body).unwrap();
            let codes: Vec<&str> = v
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["service_code"].as_str().unwrap())
                .collect();
            assert_eq!(codes, ["noise", "pothole"]);
            assert_eq!(v[1]["metadata"], true);
            assert_eq!(v[0]["type"], "realtime");
        } else {
            assert!(
                body.contains("<services><service><service_code>noise</service_code>"),
                "{body}"
            );
        }
        let (st, _, body) = o311(&w.s, "GET", &format!("services/pothole.{fmt}"), &[]).await;
        assert_eq!(st, 200);
        assert!(body.contains("singlevaluelist") && body.contains("small"));
        let (st, _, body) = o311(&w.s, "GET", &format!("services/nothing.{fmt}"), &[]).await;
        assert_error(fmt, st, 404, &body);

        // Filing: a good request, then every error case.
        let ca = "CA";
        let good = [
            ("api_key", key.as_str()),
            ("service_code", "noise"),
            ("lat", "30.27"),
            ("long", "120.15"),
            ("description", "广场舞音响太响"),
            ("email", "secret@example.org"),
            ("phone", "000-9999"),
        ];
        let (st, _, body) = o311(&w.s, "POST", &format!("requests.{fmt}"), &good).await;
        assert_eq!(st, 200, "{body}");
        let (id, token) = if fmt == "json" {
            let v: Value = serde_json::from_str(&body).unwrap();
            (
                v[0]["service_request_id"].as_str().unwrap().to_string(),
                v[0]["token"].as_str().unwrap().to_string(),
            )
        } else {
            let between = |a: &str, b: &str| {
                body.split(a)
                    .nth(1)
                    .unwrap()
                    .split(b)
                    .next()
                    .unwrap()
                    .to_string()
            };
            (
                between("<service_request_id>", "</service_request_id>"),
                between("<token>", "</token>"),
            )
        };
        let by_code = [
            ("api_key", key.as_str()),
            ("service_code", "pothole"),
            ("address_id", ca),
            ("attribute[size]", "large"),
            ("description", "井盖松动"),
        ];
        let (st, _, body) = o311(&w.s, "POST", &format!("requests.{fmt}"), &by_code).await;
        assert_eq!(st, 200, "{body}");
        for (form, expected) in [
            (
                vec![
                    ("api_key", "wrong"),
                    ("service_code", "noise"),
                    ("lat", "1"),
                    ("long", "1"),
                ],
                403,
            ),
            (
                vec![("service_code", "noise"), ("lat", "1"), ("long", "1")],
                403,
            ),
            (
                vec![
                    ("api_key", key.as_str()),
                    ("service_code", "unknown"),
                    ("lat", "1"),
                    ("long", "1"),
                ],
                404,
            ),
            (
                vec![("api_key", key.as_str()), ("service_code", "noise")],
                400,
            ),
            (
                vec![
                    ("api_key", key.as_str()),
                    ("service_code", "noise"),
                    ("lat", "1"),
                    ("long", "1"),
                    ("description", long.as_str()),
                ],
                400,
            ),
            (
                vec![
                    ("api_key", key.as_str()),
                    ("service_code", "noise"),
                    ("description", huge.as_str()),
                ],
                413,
            ),
            (
                vec![
                    ("api_key", key.as_str()),
                    ("service_code", "pothole"),
                    ("address_id", ca),
                ],
                400,
            ),
            (
                vec![
                    ("api_key", key.as_str()),
                    ("service_code", "noise"),
                    ("lat", "abc"),
                    ("long", "1"),
                ],
                400,
            ),
            (
                vec![
                    ("api_key", key.as_str()),
                    ("service_code", "noise"),
                    ("address_id", "NOPE"),
                ],
                400,
            ),
        ] {
            let (st, _, body) = o311(&w.s, "POST", &format!("requests.{fmt}"), &form).await;
            assert_error(fmt, st, expected, &body);
        }

        // Reading back (the filing client's own requests, with its key): one request,
        // several, filtered, and the token.
        let k = ("api_key", key.as_str());
        let (st, _, body) = o311(&w.s, "GET", &format!("requests/{id}.{fmt}"), &[k]).await;
        assert_eq!(st, 200);
        assert!(
            body.contains("广场舞音响太响") && body.contains("open"),
            "{body}"
        );
        assert!(
            !body.contains("secret@example.org") && !body.contains("000-9999"),
            "contact leaked: {body}"
        );
        let (st, _, body) = o311(&w.s, "GET", &format!("requests/999999.{fmt}"), &[k]).await;
        assert_error(fmt, st, 404, &body);
        let (st, _, body) = o311(&w.s, "GET", &format!("tokens/{token}.{fmt}"), &[]).await;
        assert_eq!(st, 200);
        assert!(body.contains(&id));
        let (st, _, body) = o311(&w.s, "GET", &format!("tokens/nothing.{fmt}"), &[]).await;
        assert_error(fmt, st, 404, &body);
        let list = format!("requests.{fmt}");
        let requests = async |query: &[(&str, &str)]| o311(&w.s, "GET", &list, query).await;
        let (st, _, body) = requests(&[("service_code", "pothole"), k]).await;
        assert_eq!(st, 200);
        assert!(
            body.contains("井盖松动") && !body.contains("广场舞"),
            "{body}"
        );
        let (st, _, body) = requests(&[("service_request_id", id.as_str()), k]).await;
        assert_eq!(st, 200);
        assert!(body.contains("广场舞") && !body.contains("井盖松动"));
        let (st, _, body) = requests(&[("status", "closed")]).await;
        assert_eq!(st, 200);
        assert!(!body.contains("广场舞"));
        let five_months = [
            ("start_date", "2026-01-01T00:00:00Z"),
            ("end_date", "2026-06-01T00:00:00Z"),
        ];
        for bad in [
            &five_months[..],
            &[("start_date", "yesterday")],
            &[("status", "maybe")],
        ] {
            let (st, _, body) = requests(bad).await;
            assert_error(fmt, st, 400, &body);
        }
    }
    // The workflow shows through: dispatched → agency_responsible and expected_datetime;
    // closed → closed with the result in status_notes.
    let k = ("api_key", key.as_str());
    let (_, _, body) = o311(
        &w.s,
        "GET",
        "requests.json",
        &[("service_code", "pothole"), k],
    )
    .await;
    let v: Value = serde_json::from_str(&body).unwrap();
    let pid: i64 = v[0]["service_request_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(v[0]["address_id"], "CA");
    w.ok(&w.centre, pid, json!({"action": "dispatch"})).await;
    w.ok(&w.dept, pid, json!({"action": "sign"})).await;
    w.finish(pid, &w.dept, "已更换井盖，现场复查无松动。").await;
    let (_, _, body) = o311(&w.s, "GET", &format!("requests/{pid}.json"), &[k]).await;
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v[0]["status"], "closed");
    assert_eq!(v[0]["agency_responsible"], "CT单位");
    assert!(
        v[0]["status_notes"]
            .as_str()
            .unwrap()
            .contains("已更换井盖")
    );
    assert!(
        v[0]["expected_datetime"]
            .as_str()
            .unwrap()
            .ends_with("+08:00")
    );
    // A revoked… an unknown format is a 404 in the spec's shape.
    let (st, _, body) = o311(&w.s, "GET", "services.html", &[]).await;
    assert_error("json", st, 404, &body);
}

/// A published GeoReport v2 client (`georeport` from PyPI) lists services, reads a
/// definition, posts a request (its own, read back with its key in full), and — as the
/// public — reads only the case the centre published, with the approved text; a resident's
/// unpublished case and its own unaccepted request answer 404. georeport 0.3.1 has no
/// POST method, so the script posts with `requests`, the HTTP library georeport itself uses.
#[tokio::test]
async fn a_published_georeport_client_works() {
    let python =
        std::env::var("GONGZHI_PYTHON").unwrap_or_else(|_| "/var/tmp/gongzhi-py/bin/python".into());
    let has_client = std::process::Command::new(&python)
        .args(["-c", "import georeport"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_client {
        assert!(
            !crate::common::tool_required("GONGZHI_REQUIRE_OPEN311_CLIENT"),
            "the georeport client is required (pip install georeport into {python})"
        );
        eprintln!("skipped: python with georeport at {python}");
        return;
    }
    let w = World::new(Backend::Sqlite).await;
    let key =
        w.s.run_cli(&["open311", "key", "add", "georeport"], None)
            .trim()
            .to_string();
    // A resident's case the centre accepted and published, and one it did not.
    w.set_public("noise", true).await;
    let published = w.file_text("noise", PRIVATE).await;
    let accept = json!({"action": "accept", "public_description": APPROVED});
    w.ok(&w.centre, published, accept).await;
    let hidden = w.file_text("noise", PRIVATE).await;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/open311_client.py");
    let out = std::process::Command::new(&python)
        .arg(script)
        .arg(format!("{}/open311/v2", w.s.url))
        .arg(&key)
        .arg(published.to_string())
        .arg(APPROVED)
        .arg(hidden.to_string())
        .arg("独居老人")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("georeport client: ok"), "{stdout}");
}

/// A resident files a case with a photo in the browser; the centre accepts and dispatches
/// it, the community handles it (through the API), and the centre verifies and closes it.
#[tokio::test]
async fn a_resident_files_and_the_centre_closes_in_a_browser() {
    use crate::common::webdriver::Browser;
    let Some(b) = Browser::start().await else {
        return;
    };
    let w = World::new(Backend::Sqlite).await;
    let login = async |user: &str| b.sign_in(&w.s.url, user).await;
    // A real PNG to attach: a picture of the sign-in page.
    let photo = w.s.data.path().join("photo.png");
    b.goto(&format!("{}/login", w.s.url)).await;
    b.screenshot(&photo).await;

    login("resident").await;
    b.goto(&format!("{}/cases/new", w.s.url)).await;
    // Only the chosen category's questions show (issue 12): pothole asks its size, noise
    // asks nothing, and a hidden fieldset is disabled so nothing of it is sent.
    let pothole_shown = "(() => { const f = document.querySelector('fieldset[data-category=pothole]'); \
        return !f.hidden && !f.disabled && f.getBoundingClientRect().height > 0; })()";
    assert_eq!(
        b.eval(&format!("return {pothole_shown}")).await,
        json!(false)
    );
    let choose = |code: &str| {
        format!(
            "const s = document.querySelector('#category'); s.value = '{code}'; \
             s.dispatchEvent(new Event('change'));"
        )
    };
    b.eval(&choose("pothole")).await;
    assert_eq!(
        b.eval(&format!("return {pothole_shown}")).await,
        json!(true)
    );
    b.eval(&choose("noise")).await;
    assert_eq!(
        b.eval(&format!("return {pothole_shown}")).await,
        json!(false)
    );
    b.eval(&format!(
        "document.querySelector('#category').value = 'noise'; document.querySelector('#place').value = '{}';",
        w.community_a
    ))
    .await;
    b.type_into("#address", "5号楼南门").await;
    b.type_into("#description", "广场上的音响每晚十点以后还很响")
        .await;
    b.type_into("#phone", "000-5555-0101").await;
    b.type_into("#photo", &photo.to_string_lossy()).await;
    b.click(".case-form button[type=submit]").await;
    b.wait("location.pathname.startsWith('/cases/') && location.search.includes('filed')")
        .await;
    let id = case_in(&b.url().await);
    assert!(b.text(".alert-ok").await.contains(&format!("#{id}")));
    b.wait_for(
        "document.querySelector('.case-photo img').naturalWidth > 0",
        Duration::from_secs(10),
    )
    .await;

    b.click("form[action='/logout'] button").await;
    // Let the sign-out land before navigating, or its redirect can overtake the next page.
    b.wait_for("!document.querySelector('.who')", Duration::from_secs(10))
        .await;
    login("centre").await;
    b.goto(&format!("{}/cases/console", w.s.url)).await;
    assert!(b.text(".case-table").await.contains("噪声扰民"));
    b.goto(&format!("{}/cases/{id}", w.s.url)).await;
    assert!(
        b.text(".contact").await.contains("000-5555-0101"),
        "the centre sees the contact"
    );
    // Presses a step's button on the case page and waits for the state it leads to.
    let step = async |button: &str, state: &str| {
        b.click(button).await;
        let reached = format!("document.querySelector('.state').textContent.includes('{state}')");
        b.wait_for(&reached, Duration::from_secs(10)).await;
    };
    step(
        "form:has(input[name=action][value=accept]) button",
        "待派单",
    )
    .await;
    step(
        "form:has(input[name=action][value=dispatch]) button",
        "待签收",
    )
    .await;

    let handled = [
        (w.worker_a.as_str(), 200, json!({"action": "sign"})),
        (
            &w.worker_a,
            200,
            json!({"action": "handle", "result": "已约谈广场舞队，十点后停止播放"}),
        ),
    ];
    w.walk(id, &handled).await;

    b.goto(&format!("{}/cases/{id}", w.s.url)).await;
    step(
        "form:has(input[name=action][value=verify]) button[name=ok][value='1']",
        "待结案",
    )
    .await;
    step("form:has(input[name=action][value=close]) button", "已结案").await;
    assert!(b.text(".timeline").await.contains("已约谈广场舞队"));
    if let Ok(dir) = std::env::var("GONGZHI_SCREENSHOT_DIR") {
        b.screenshot(&std::path::Path::new(&dir).join("case-closed.png"))
            .await;
    }
    let (_, v) = w.get(&w.resident, id).await;
    assert_eq!(v["state"], "closed");
    assert_eq!(v["has_photo"], true);
}

// ---------------------------------------------------------------------------------------
// Issue 12: what the centre publishes, the lead unit's own steps, what residents read, the
// one bell, categories.

/// The resident's private words, and the text the centre approved for publication.
const PRIVATE: &str = "3号楼402独居老人夜里呼救，电话000-1111-2222";
const APPROVED: &str = "某小区夜间噪声问题，已受理并派社区处理";

impl World {
    /// Marks a category public (or not) through the categories API.
    async fn set_public(&self, code: &str, public: bool) {
        let (_, all) = send(&self.s, "GET", None, "/api/v1/cases/categories", None).await;
        let cat = each(&all["categories"])
            .find(|c| c["code"] == code)
            .unwrap()
            .clone();
        let mut body = cat.clone();
        body["public"] = json!(public);
        body["parent"] = json!("");
        body.as_object_mut().unwrap().remove("attributes");
        let (st, v) = self
            .s
            .put(
                &self.admin,
                &format!("/api/v1/cases/categories/{}", cat["id"]),
                Some(&body),
            )
            .await
            .parts();
        assert_eq!((st, v["public"].as_bool()), (200, Some(public)), "{v}");
    }

    async fn file_text(&self, category: &str, text: &str) -> i64 {
        let body = json!({ "category": category, "place_unit_id": self.community_a, "description": text,
                           "address": "幸福小区3号楼402", "lat": "30.27", "long": "120.15",
                           "reporter_phone": "000-1234-5678", "attributes": { "size": "small" } });
        let v = self
            .s
            .post(&self.resident, "/api/v1/cases", Some(&body))
            .await
            .want(201);
        v["id"].as_i64().unwrap()
    }

    async fn notifications(&self, token: &str) -> Vec<(String, String)> {
        let (st, v) = self
            .s
            .get_json(Some(token), "/api/v1/me/notifications")
            .await;
        assert_eq!(st, 200, "{v}");
        each(&v["items"])
            .map(|n| {
                (
                    n["kind"].as_str().unwrap().to_string(),
                    format!("{} {} {}", n["text_zh"], n["text_en"], n["link"]),
                )
            })
            .collect()
    }
}

fn request_ids(body: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(body).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| r["service_request_id"].as_str().unwrap().to_string())
        .collect()
}

both_dbs!(open311_publishes_only_accepted_cases_in_public_categories);
/// Open311 publishes only cases the centre accepted, in categories marked public, with the
/// text it approved — never the resident's words, address, coordinates or contact; a
/// client's key also sees the requests it filed itself.
async fn open311_publishes_only_accepted_cases_in_public_categories(backend: Backend) {
    let w = World::new(backend).await;
    let key =
        w.s.run_cli(&["open311", "key", "add", "客户端"], None)
            .trim()
            .to_string();
    let other_key =
        w.s.run_cli(&["open311", "key", "add", "别的客户端"], None)
            .trim()
            .to_string();
    let n1 = w.file_text("noise", PRIVATE).await;
    let p1 = w.file_text("pothole", "井盖松动，在3号楼门口").await;
    let form = [
        ("api_key", key.as_str()),
        ("service_code", "noise"),
        ("address_id", "CA"),
        ("description", "客户端提交的噪声"),
    ];
    let (st, _, body) = o311(&w.s, "POST", "requests.json", &form).await;
    assert_eq!(st, 200, "{body}");
    let o1 = serde_json::from_str::<Value>(&body).unwrap()[0]["service_request_id"]
        .as_str()
        .unwrap()
        .to_string();

    // Nothing is published yet: no category is public and nothing is accepted.
    let (st, _, body) = o311(&w.s, "GET", "requests.json", &[]).await;
    assert_eq!((st, body.as_str()), (200, "[]"));
    for id in [n1.to_string(), p1.to_string(), o1.clone()] {
        for fmt in ["json", "xml"] {
            let (st, _, body) = o311(&w.s, "GET", &format!("requests/{id}.{fmt}"), &[]).await;
            assert_error(fmt, st, 404, &body);
        }
    }
    // A client sees its own request in full, and only that one; a bad key is refused.
    let (_, _, body) = o311(&w.s, "GET", "requests.json", &[("api_key", key.as_str())]).await;
    assert_eq!(request_ids(&body), std::slice::from_ref(&o1));
    assert!(body.contains("客户端提交的噪声"));
    let (_, _, body) = o311(
        &w.s,
        "GET",
        "requests.json",
        &[("api_key", other_key.as_str())],
    )
    .await;
    assert_eq!(body, "[]");
    let (st, _, body) = o311(&w.s, "GET", "requests.json", &[("api_key", "nope")]).await;
    assert_error("json", st, 403, &body);

    // Accepted with an approved text, but the category is not public: still nothing.
    let published = async || o311(&w.s, "GET", "requests.json", &[]).await.2;
    let accept = |text: &str| json!({"action": "accept", "public_description": text});
    w.ok(&w.centre, n1, accept(APPROVED)).await;
    w.ok(&w.centre, p1, accept("道路问题")).await;
    assert_eq!(published().await, "[]");

    let staff_page =
        async |id: i64| crate::common::page_text(&w.s, &w.centre, &format!("/cases/{id}")).await;
    assert!(!staff_page(n1).await.contains("已在 Open311 公开"));
    // Noise becomes public: the accepted case shows, with the approved text only.
    w.set_public("noise", true).await;
    assert!(staff_page(n1).await.contains("已在 Open311 公开"));
    for fmt in ["json", "xml"] {
        let (st, _, list) = o311(&w.s, "GET", &format!("requests.{fmt}"), &[]).await;
        let (st1, _, one) = o311(&w.s, "GET", &format!("requests/{n1}.{fmt}"), &[]).await;
        assert_eq!((st, st1), (200, 200), "{list} {one}");
        for body in [&list, &one] {
            assert!(body.contains(APPROVED), "{body}");
            for secret in [
                "独居老人",
                "000-1111-2222",
                "000-1234-5678",
                "幸福小区",
                "30.27",
                "井盖",
                "客户端提交",
            ] {
                assert!(!body.contains(secret), "{secret} leaked: {body}");
            }
        }
    }
    let (_, _, list) = o311(&w.s, "GET", "requests.json", &[]).await;
    assert_eq!(request_ids(&list), [n1.to_string()]);
    let v: Value = serde_json::from_str(&list).unwrap();
    assert!(v[0]["lat"].is_null() && v[0]["media_url"] == "", "{v}");
    assert_eq!(v[0]["address_id"], "CA");
    // The client sees the published case as published, and its own in full.
    let (_, _, body) = o311(&w.s, "GET", "requests.json", &[("api_key", key.as_str())]).await;
    let mut ids = request_ids(&body);
    ids.sort();
    let mut want = vec![n1.to_string(), o1.clone()];
    want.sort();
    assert_eq!(ids, want);
    assert!(!body.contains("独居老人"), "{body}");
    // The client's own request is not public until the centre approves a text.
    let (st, _, _) = o311(&w.s, "GET", &format!("requests/{o1}.json"), &[]).await;
    assert_eq!(st, 404);

    // Withdrawing the text (or rejecting the case) takes it down again.
    let publish = |text: &str| json!({"action": "publish", "public_description": text});
    w.ok(&w.centre, n1, publish("")).await;
    assert_eq!(published().await, "[]");
    w.ok(&w.centre, n1, publish(APPROVED)).await;
    assert_eq!(request_ids(&published().await), [n1.to_string()]);
    w.ok(
        &w.centre,
        n1,
        json!({"action": "reject", "reason": "重复反映"}),
    )
    .await;
    assert_eq!(published().await, "[]");
    // Only the centre sets the published text.
    let p2 = w.file_text("noise", PRIVATE).await;
    w.ok(&w.centre, p2, json!({"action": "accept"})).await;
    let refused = [
        (w.resident.as_str(), 403, publish("x")),
        (&w.worker_a, 403, publish("x")),
    ];
    w.walk(p2, &refused).await;
}

both_dbs!(only_the_lead_unit_signs_and_results_need_a_sentence);
/// Only the lead unit signs and handles (the centre and admins cannot do it for it); no
/// result before signing; a result says at least a sentence; the return deadline never
/// falls after the handling deadline.
async fn only_the_lead_unit_signs_and_results_need_a_sentence(backend: Backend) {
    let w = World::new(backend).await;
    let id = w.report("noise", w.community_a).await;
    w.ok(&w.centre, id, json!({"action": "dispatch"})).await;
    let lead_only = (403, "lead_unit_only");
    for who in [&w.centre, &w.admin] {
        let e = w
            .refused(who, id, json!({"action": "sign"}), lead_only)
            .await;
        assert!(e["message"].as_str().unwrap().contains("主办单位"));
    }
    let handle = |result: &str| json!({"action": "handle", "result": result});
    let early = handle("已经全部处理完毕，居民满意");
    w.refused(&w.worker_a, id, early, (409, "not_signed")).await;
    w.ok(&w.worker_a, id, json!({"action": "sign"})).await;
    let short = (400, "result_too_short");
    w.refused(&w.worker_a, id, handle("好了"), short).await;
    let for_them = handle("中心代为办结，已处理完毕");
    w.refused(&w.centre, id, for_them, lead_only).await;
    let done = w
        .ok(&w.worker_a, id, handle("已约谈商户，晚十点后停止营业"))
        .await;
    assert_eq!(done["state"], "handled");

    // A category handled within one working day: returning closes with the deadline.
    w.s.post(
        &w.admin,
        "/api/v1/cases/categories",
        Some(&json!({"code": "quick", "name": "紧急抢修", "days_normal": 1})),
    )
    .await
    .want(201);
    for category in ["quick", "noise"] {
        let c = w.report(category, w.community_a).await;
        let d = w.ok(&w.centre, c, json!({"action": "dispatch"})).await;
        let (due, back) = (
            d["due_at"].as_i64().unwrap(),
            d["return_by"].as_i64().unwrap(),
        );
        assert!(back <= due, "{category}: return by {back} after due {due}");
        if category == "quick" {
            assert_eq!(back, due);
        }
    }
}

both_dbs!(residents_see_milestones_not_internal_steps);
/// The reporter reads public milestones and the final result only: no internal notes,
/// return or checking reasons, extensions, cards or staff account names — in the API and
/// on the page.
async fn residents_see_milestones_not_internal_steps(backend: Backend) {
    let w = World::new(backend).await;
    let id = w.report("noise", w.community_a).await;
    let secrets = [
        "派单内部说明-勿外传",
        "退回理由-不属本社区",
        "协办进展-已派人查看",
        "延期理由-需要协调物业",
        "核查未通过-居民仍反映吵",
        "结案内部备注-归档",
    ];
    let (a, centre) = (w.worker_a.as_str(), w.centre.as_str());
    let handled_once = [
        (
            centre,
            200,
            json!({"action": "dispatch", "note": secrets[0]}),
        ),
        (a, 200, json!({"action": "return", "reason": secrets[1]})),
        (centre, 200, w.co_handled()),
        (
            &w.dept,
            200,
            json!({"action": "progress", "note": secrets[2]}),
        ),
        (a, 200, json!({"action": "sign"})),
        (
            a,
            200,
            json!({"action": "request_extension", "days": 2, "reason": secrets[3]}),
        ),
        (
            a,
            200,
            json!({"action": "handle", "result": "第一次办理结果，尚未核实"}),
        ),
        (
            centre,
            200,
            json!({"action": "verify", "ok": false, "note": secrets[4]}),
        ),
    ];
    w.walk(id, &handled_once).await;
    let result = "加装隔音设施，复查噪声达标";
    w.ok(a, id, json!({"action": "handle", "result": result}))
        .await;
    let (_, before_close) = w.get(&w.resident, id).await;
    assert_eq!(before_close["result"], "", "the result shows once closed");
    let closing = [
        (centre, 200, json!({"action": "verify", "ok": true})),
        (centre, 200, json!({"action": "close", "note": secrets[5]})),
    ];
    w.walk(id, &closing).await;

    let (st, mine) = w.get(&w.resident, id).await;
    assert_eq!(st, 200);
    let kinds: Vec<&str> = each(&mine["timeline"])
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "reported",
            "dispatched",
            "dispatched",
            "signed",
            "handled",
            "handled",
            "verified",
            "closed"
        ],
        "{mine}"
    );
    assert_eq!(mine["result"], result);
    assert!(mine.get("supervision").is_none() && mine.get("return_by").is_none());
    assert_eq!(mine["extensions"], json!([]));
    let page = crate::common::page_text(&w.s, &w.resident, &format!("/cases/{id}")).await;
    for text in [mine.to_string(), page.clone()] {
        for secret in secrets {
            assert!(
                !text.contains(secret),
                "{secret} shown to the resident: {text}"
            );
        }
        for staff in ["worker_a", "\"centre\"", "· centre"] {
            assert!(!text.contains(staff), "{staff} shown to the resident");
        }
    }
    assert!(page.contains(result) && page.contains("承办单位"), "{page}");
    // Staff still read the whole story.
    let (_, theirs) = w.get(&w.centre, id).await;
    for secret in secrets {
        assert!(
            theirs.to_string().contains(secret),
            "{secret} missing for the centre"
        );
    }
}

both_dbs!(notifications_reach_the_right_people_only);
/// One bell: units hear of dispatch and deadlines, the centre of returns, the reporter of
/// acceptance and closure — nobody else, and never with the reporter's contact details.
async fn notifications_reach_the_right_people_only(backend: Backend) {
    let w = World::new(backend).await;
    w.s.add_user("neighbour", "member");
    let neighbour = w.s.login("neighbour").await;
    let id = w.report("noise", w.community_a).await;
    // The neighbour's own case, rejected: only the neighbour hears of it.
    let theirs = send_expect(&w.s, "POST", Some(&neighbour), "/api/v1/cases",
        Some(&json!({"category": "noise", "place_unit_id": w.community_a, "description": "邻居的事"})), 201).await;
    let nid = theirs["id"].as_i64().unwrap();
    let reject = json!({"action": "reject", "reason": "不属于受理范围"});
    w.ok(&w.centre, nid, reject).await;

    let (a, centre) = (w.worker_a.as_str(), w.centre.as_str());
    let returned = [
        (centre, 200, json!({"action": "accept"})),
        (centre, 200, w.co_handled()),
        (
            a,
            200,
            json!({"action": "return", "reason": "不属于本社区"}),
        ),
        (
            centre,
            200,
            json!({"action": "dispatch", "lead_unit_id": w.community_a}),
        ),
    ];
    let d = w.walk(id, &returned).await;
    w.ok(a, id, json!({"action": "sign"})).await;
    // The deadline's day: a reminder for the unit.
    w.set_now(d["due_at"].as_i64().unwrap() - 3_600_000);
    w.wait_for_kind(id, "reminder").await;
    w.finish(id, a, "已处理完毕，现场复查安静").await;
    // Dispatched straight from the queue: that is acceptance too. The neighbour's
    // duplicate is merged: they hear of it, and their page links to nobody else's case.
    let id2 = w.report("noise", w.community_a).await;
    w.ok(&w.centre, id2, json!({"action": "dispatch"})).await;
    let (_, dup) = send(&w.s, "POST", Some(&neighbour), "/api/v1/cases",
        Some(&json!({"category": "noise", "place_unit_id": w.community_a, "description": "邻居的事"}))).await;
    let dup = dup["id"].as_i64().unwrap();
    w.ok(&w.centre, dup, json!({"action": "merge", "into": id2}))
        .await;
    let page = crate::common::page_text(&w.s, &neighbour, &format!("/cases/{dup}")).await;
    assert!(!page.contains(&format!("/cases/{id2}")), "{page}");

    let kinds = |n: &[(String, String)]| -> Vec<String> {
        let mut k: Vec<String> = n.iter().map(|x| x.0.clone()).collect();
        k.reverse();
        k
    };
    let resident = w.notifications(&w.resident).await;
    assert_eq!(
        kinds(&resident),
        ["case.accepted", "case.closed", "case.accepted"]
    );
    assert!(resident[0].1.contains(&format!("#{id2}")));
    assert!(
        resident[1..]
            .iter()
            .all(|n| n.1.contains(&format!("#{id}")))
    );
    let neighbour_n = w.notifications(&neighbour).await;
    assert_eq!(kinds(&neighbour_n), ["case.rejected", "case.merged"]);
    assert!(neighbour_n[1].1.contains(&format!("#{nid}")));
    assert!(neighbour_n[0].1.contains(&format!("#{dup}")));
    let worker_a = w.notifications(&w.worker_a).await;
    assert_eq!(
        kinds(&worker_a),
        [
            "case.dispatched",
            "case.dispatched",
            "case.reminder",
            "case.dispatched"
        ]
    );
    assert_eq!(kinds(&w.notifications(&w.dept).await), ["case.dispatched"]);
    assert_eq!(kinds(&w.notifications(&w.centre).await), ["case.returned"]);
    assert!(w.notifications(&w.worker_b).await.is_empty());
    assert!(w.notifications(&w.admin).await.is_empty());
    for token in [&w.resident, &neighbour, &w.worker_a, &w.dept, &w.centre] {
        for (_, text) in w.notifications(token).await {
            for private in ["000-1234-5678", "楼下每晚很吵", "resident", "邻居的事"] {
                assert!(
                    !text.contains(private),
                    "{private} in a notification: {text}"
                );
            }
        }
    }
    // The bell's page lists them too.
    let page = crate::common::page_text(&w.s, &w.worker_a, "/me/notifications").await;
    assert!(page.contains(&format!("/cases/{id}")), "{page}");
    // The bell counts what is unread, on every page; nothing for those without news.
    let page = crate::common::page_text(&w.s, &neighbour, "/").await;
    assert!(page.contains("class=\"bell-n\">2<"), "{page}");
    let page = crate::common::page_text(&w.s, &w.worker_b, "/").await;
    assert!(!page.contains("bell-n"), "{page}");
    w.s.post(
        &neighbour,
        "/api/v1/me/notifications/read",
        Some(&json!({})),
    )
    .await
    .want(200);
    let page = crate::common::page_text(&w.s, &neighbour, "/").await;
    assert!(!page.contains("bell-n"), "{page}");
}

/// Posts a form (bearer-authenticated, so no CSRF token is needed) and returns the status,
/// the redirect target and the body.
async fn post_form(
    s: &Server,
    token: &str,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String, String) {
    let r = client()
        .post(format!("{}{path}", s.url))
        .bearer_auth(token)
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, location, r.text().await.unwrap())
}

both_dbs!(the_categories_page_adds_and_edits);
/// The centre's categories page: list, add (with time limits, a fixed route and the public
/// flag), refuse bad input on the form keeping what was typed, edit (audited field by
/// field); the API refuses a changed code; only the centre's administrators get in.
async fn the_categories_page_adds_and_edits(backend: Backend) {
    let w = World::new(backend).await;
    let page = crate::common::page_text(&w.s, &w.admin, "/cases/categories").await;
    assert!(
        page.contains("noise") && page.contains("噪声扰民") && page.contains("不公开"),
        "{page}"
    );
    let dept = w.dept_unit.to_string();
    let good = [
        ("code", "water"),
        ("name", "供水故障"),
        ("name_en", "Water supply"),
        ("days_normal", "2"),
        ("days_urgent", "1"),
        ("days_critical", "0"),
        ("route_kind", "fixed"),
        ("route_unit_id", dept.as_str()),
        ("public", "1"),
        ("active", "1"),
    ];
    let (st, to, _) = post_form(&w.s, &w.admin, "/cases/categories", &good).await;
    assert_eq!((st, to.as_str()), (303, "/cases/categories"));
    let (_, all) = send(&w.s, "GET", None, "/api/v1/cases/categories", None).await;
    let water = each(&all["categories"])
        .find(|c| c["code"] == "water")
        .unwrap()
        .clone();
    assert_eq!(
        (
            water["public"].as_bool(),
            water["route_kind"].as_str(),
            water["route_unit_id"].as_i64(),
            water["days_critical"].as_i64()
        ),
        (Some(true), Some("fixed"), Some(w.dept_unit), Some(0))
    );
    // Bad input comes back on the form, in Chinese, with what was typed.
    let mut bad = good.to_vec();
    bad[0] = ("code", "water2");
    bad[3] = ("days_normal", "三天");
    let (st, _, html) = post_form(&w.s, &w.admin, "/cases/categories", &bad).await;
    assert_eq!(st, 200);
    assert!(
        html.contains("一般时限须为整数") && html.contains("value=\"water2\""),
        "{html}"
    );
    let (st, _, html) = post_form(&w.s, &w.admin, "/cases/categories", &good).await;
    assert_eq!(st, 200);
    assert!(html.contains("已有代码为 water 的类别"), "{html}");

    // Edit: a new name and limit, no longer public.
    let id = water["id"].as_i64().unwrap();
    let edit_page =
        crate::common::page_text(&w.s, &w.admin, &format!("/cases/categories/{id}")).await;
    assert!(
        edit_page.contains("供水故障") && edit_page.contains("checked"),
        "{edit_page}"
    );
    let mut edit = good.to_vec();
    edit[1] = ("name", "供水与管网");
    edit[3] = ("days_normal", "4");
    edit.retain(|f| f.0 != "public");
    let (st, to, _) = post_form(&w.s, &w.admin, &format!("/cases/categories/{id}"), &edit).await;
    assert_eq!((st, to.as_str()), (303, "/cases/categories"));
    let (_, all) = send(&w.s, "GET", None, "/api/v1/cases/categories", None).await;
    let water = each(&all["categories"])
        .find(|c| c["id"] == id)
        .unwrap()
        .clone();
    assert_eq!(
        (
            water["name"].as_str(),
            water["days_normal"].as_i64(),
            water["public"].as_bool()
        ),
        (Some("供水与管网"), Some(4), Some(false))
    );
    let db = w.s.db().await;
    let (detail,): (String,) = sqlx::query_as(
        "SELECT detail FROM platform_audit WHERE action = 'case.category_changed' ORDER BY seq DESC LIMIT 1",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    let detail: Value = serde_json::from_str(&detail).unwrap();
    assert_eq!(
        detail["changed"]["public"],
        json!({"from": true, "to": false}),
        "{detail}"
    );
    assert_eq!(detail["changed"]["name"]["to"], "供水与管网");
    assert!(
        detail["changed"].get("route_kind").is_none(),
        "unchanged fields stay out: {detail}"
    );
    // The code is the Open311 service_code: fixed.
    let (st, v) =
        w.s.put(
            &w.admin,
            &format!("/api/v1/cases/categories/{id}"),
            Some(&json!({"code": "water-x", "name": "供水"})),
        )
        .await
        .parts();
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (400, Some("code_fixed")),
        "{v}"
    );
    // Only the centre's administrators.
    for token in [&w.centre, &w.worker_a, &w.resident] {
        let (st, _, _) = post_form(&w.s, token, "/cases/categories", &good).await;
        assert_eq!(st, 403);
        w.s.put(
            token,
            &format!("/api/v1/cases/categories/{id}"),
            Some(&json!({"code": "water", "name": "供水"})),
        )
        .await
        .want(403);
    }
}

both_dbs!(the_report_form_checks_only_the_chosen_categorys_questions);
/// The report form asks each category's questions in its own fieldset, and without JS the
/// server keeps and checks only the chosen category's answers.
async fn the_report_form_checks_only_the_chosen_categorys_questions(backend: Backend) {
    let w = World::new(backend).await;
    let (st, v) = send(&w.s, "POST", Some(&w.admin), "/api/v1/cases/categories",
        Some(&json!({"code": "tree", "name": "树木倒伏", "attributes": [{"code": "size", "datatype": "string",
            "required": true, "description": "树有多高"}]}))).await;
    assert_eq!(st, 201, "{v}");
    let html = crate::common::page_text(&w.s, &w.resident, "/cases/new").await;
    assert!(
        html.contains("data-category=\"pothole\"") && html.contains("name=\"q[tree][size]\""),
        "{html}"
    );
    let file = async |fields: &[(&str, &str)]| {
        let mut form = reqwest::multipart::Form::new()
            .text("place_unit_id", w.community_a.to_string())
            .text("description", "路口的井盖松动了");
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        let r = w.s.post_multipart(Some(&w.resident), "/cases", form).await;
        let st = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string());
        (st, location, r.text().await.unwrap())
    };
    // Pothole chosen: tree's required question left empty does not matter, and its
    // stray answer is not kept.
    let (st, location, body) = file(&[
        ("category", "pothole"),
        ("q[pothole][size]", "large"),
        ("q[tree][size]", "五米"),
    ])
    .await;
    assert_eq!(st, 303, "{body}");
    let id = case_in(&location.unwrap());
    let (_, case) = w.get(&w.centre, id).await;
    assert_eq!(case["attributes"], json!({"size": "large"}));
    // Tree chosen: its own required question is checked, on the form.
    let (st, _, body) = file(&[("category", "tree"), ("q[pothole][size]", "large")]).await;
    assert_eq!(st, 200);
    assert!(body.contains("请回答“树有多高”"), "{body}");
}

/// A community's dashboard is titled by the community, the centre's by its district.
#[tokio::test]
async fn dashboards_are_titled_by_their_area() {
    let w = World::new(Backend::Sqlite).await;
    let a = crate::common::page_text(&w.s, &w.worker_a, "/cases/dashboard").await;
    assert!(a.contains("<h1>CA单位 · 事件概况</h1>"), "{a}");
    assert!(!a.contains("<h1>综治信息中心"), "{a}");
    let c = crate::common::page_text(&w.s, &w.centre, "/cases/dashboard").await;
    assert!(c.contains("<h1>CD单位综治信息中心</h1>"), "{c}");
}

both_dbs!(notifications_move_from_the_library_to_the_platform);
/// Upgrading a database whose notifications still live in the library's table: the
/// platform's migration makes the one table, the library's copies every row over (read or
/// not, in order) and drops the old one.
async fn notifications_move_from_the_library_to_the_platform(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = match backend {
        Backend::Sqlite => format!("sqlite://{}?mode=rwc", dir.path().join("up.db").display()),
        Backend::Postgres => {
            use sqlx::Connection;
            let name = format!("gz_move_{}", std::process::id());
            let mut c = sqlx::AnyConnection::connect("postgres://postgres@127.0.0.1:5432/postgres")
                .await
                .unwrap();
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
                .execute(&mut c)
                .await
                .unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut c)
                .await
                .unwrap();
            format!("postgres://postgres@127.0.0.1:5432/{name}")
        }
    };
    let db = platform::db::Db::connect(&url).await.unwrap();
    // The schema as it was: the platform's first migration and the library's up to
    // its tickets.
    let old_library: Vec<_> = library::MIGRATIONS
        .iter()
        .take_while(|m| m.id <= "019a_library_tickets")
        .map(|m| platform::db::Migration {
            id: m.id,
            sql: m.sql,
        })
        .collect();
    let first = [platform::db::Migration {
        id: platform::MIGRATIONS[0].id,
        sql: platform::MIGRATIONS[0].sql,
    }];
    db.migrate(&[&first, &old_library]).await.unwrap();
    let user = platform::auth::create_user(
        &db,
        1,
        "reader",
        "a-long-password",
        platform::auth::Role::Member,
    )
    .await
    .unwrap();
    for (i, read) in [(1, Some(5_i64)), (2, None)] {
        sqlx::query(
            "INSERT INTO library_notifications (user_id, kind, text_zh, text_en, link, created_at, read_at) \
                 VALUES ($1, 'comment', $2, 'x', '/d/1', $3, $4)",
        )
        .bind(user.id)
        .bind(format!("第{i}条"))
        .bind(i as i64)
        .bind(read)
        .execute(&db.pool)
        .await
        .unwrap();
    }
    db.migrate(&[platform::MIGRATIONS, library::MIGRATIONS])
        .await
        .unwrap();
    let moved = platform::notify::list(&db, user.id, 10).await.unwrap();
    let texts: Vec<(&str, bool)> = moved.iter().map(|n| (n.text_zh.as_str(), n.read)).collect();
    assert_eq!(texts, [("第2条", false), ("第1条", true)], "{backend:?}");
    assert_eq!(platform::notify::unread(&db, user.id).await.unwrap(), 1);
    let gone = sqlx::query("SELECT 1 FROM library_notifications")
        .fetch_all(&db.pool)
        .await;
    assert!(gone.is_err(), "the library's table is dropped");
}

both_dbs!(a_result_can_be_a_photo);
/// A handling result may be a photo instead of a sentence (the handling form is multipart);
/// staff see it at once, the reporter once the case is closed.
async fn a_result_can_be_a_photo(backend: Backend) {
    let w = World::new(backend).await;
    let id = w.report("noise", w.community_a).await;
    w.ok(&w.centre, id, json!({"action": "dispatch"})).await;
    w.ok(&w.worker_a, id, json!({"action": "sign"})).await;
    let png: Vec<u8> = b"\x89PNG\r\n\x1a\n-a-photo-of-the-quiet-square".to_vec();
    let handle = async |photo: Option<Vec<u8>>| {
        let mut form = reqwest::multipart::Form::new()
            .text("action", "handle")
            .text("result", "好了");
        if let Some(p) = photo {
            form = form.part(
                "photo",
                reqwest::multipart::Part::bytes(p).file_name("done.png"),
            );
        }
        let path = format!("/cases/{id}/act");
        let r = w.s.post_multipart(Some(&w.worker_a), &path, form).await;
        r.status().as_u16()
    };
    assert_eq!(handle(None).await, 400, "a short result needs a photo");
    assert_eq!(handle(Some(b"not an image".to_vec())).await, 400);
    assert_eq!(handle(Some(png.clone())).await, 303);
    let (_, c) = w.get(&w.centre, id).await;
    assert_eq!(
        (c["state"].as_str(), c["has_result_photo"].as_bool()),
        (Some("handled"), Some(true))
    );
    let get = async |token: &str| {
        let r =
            w.s.raw("GET", Some(token), &format!("/cases/{id}/result-photo"))
                .await;
        (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
    };
    assert_eq!(get(&w.centre).await, (200, png.clone()));
    assert_eq!(
        get(&w.resident).await.0,
        404,
        "not before the case is closed"
    );
    assert_eq!(get(&w.worker_b).await.0, 404);
    w.ok(&w.centre, id, json!({"action": "verify", "ok": true}))
        .await;
    w.ok(&w.centre, id, json!({"action": "close"})).await;
    assert_eq!(get(&w.resident).await, (200, png));
    let page = crate::common::page_text(&w.s, &w.resident, &format!("/cases/{id}")).await;
    assert!(page.contains(&format!("/cases/{id}/result-photo")));
}

/// The centre's administrator adds a public category on the categories page in a browser,
/// and edits its time limit; the list shows both.
#[tokio::test]
async fn the_categories_page_works_in_a_browser() {
    use crate::common::webdriver::Browser;
    let Some(b) = Browser::start().await else {
        return;
    };
    let w = World::new(Backend::Sqlite).await;
    b.sign_in(&w.s.url, "boss").await;
    b.goto(&format!("{}/cases/categories", w.s.url)).await;
    b.type_into("#code", "graffiti").await;
    b.type_into("#name", "乱涂乱画").await;
    b.eval("document.querySelector('input[name=public]').click()")
        .await;
    b.click("#edit button.btn").await;
    b.wait_for(
        "document.querySelector('.cat-table') && document.querySelector('.cat-table').textContent.includes('graffiti')",
        Duration::from_secs(10),
    )
    .await;
    let row = b
        .eval("return [...document.querySelectorAll('.cat-table tr')].find(r => r.textContent.includes('graffiti')).textContent")
        .await;
    let row = row.as_str().unwrap();
    assert!(
        row.contains("乱涂乱画") && row.contains("5 / 2 / 1") && !row.contains("不公开"),
        "{row}"
    );
    b.eval("[...document.querySelectorAll('.cat-table tr')].find(r => r.textContent.includes('graffiti')).querySelector('a').click()")
        .await;
    b.wait_for(
        "location.pathname.startsWith('/cases/categories/') && document.querySelector('#code').readOnly",
        Duration::from_secs(10),
    )
    .await;
    b.eval("const d = document.querySelector('#dn'); d.value = '7';")
        .await;
    b.click("#edit button.btn").await;
    b.wait_for(
        "location.pathname === '/cases/categories' && document.querySelector('.cat-table').textContent.includes('7 / 2 / 1')",
        Duration::from_secs(10),
    )
    .await;
}

both_dbs!(bad_json_and_junk_ids_get_our_json_errors);
/// Bad JSON and junk ids get the house's JSON error (`ApiJson`, `Id`), not axum's text.
async fn bad_json_and_junk_ids_get_our_json_errors(backend: Backend) {
    let s = Server::start(backend).await;
    let token = s.user_token("caller", "admin").await;
    let post = |body: &'static str, json: bool| {
        let mut r = client()
            .post(format!("{}/api/v1/cases", s.url))
            .bearer_auth(&token)
            .body(body);
        if json {
            r = r.header("content-type", "application/json");
        }
        r.send()
    };
    for (body, json) in [("{", true), ("[1]", true), ("{}", false)] {
        let r = post(body, json).await.unwrap();
        assert_eq!(r.status(), 400, "{body} json={json}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], "invalid_json", "{body}: {v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    for path in ["/api/v1/cases/abc", "/api/v1/cases/0", "/api/v1/cases/-3"] {
        let (st, v) = send(&s, "GET", Some(&token), path, None).await;
        assert_eq!(
            (st, &v["error"]["code"]),
            (404, &json!("not_found")),
            "{path}"
        );
    }
    let (st, v) = s
        .put(
            &token,
            "/api/v1/cases/categories/x1",
            Some(&json!({ "code": "noise", "name": "噪声" })),
        )
        .await
        .parts();
    assert_eq!((st, &v["error"]["code"]), (404, &json!("not_found")), "{v}");
}
