//! The centre pressing a handling unit (issue 16): a manual urge (催办) at most once a
//! working day, moved by the injected clock, and a listing for supervision (挂牌督办)
//! shown on the case, in the lists' filter and on the unit's workbench — done by the
//! centre only, never by the handling unit, a resident or another street.

use crate::common::{
    Backend, Clock, District, Server, both_dbs, cases, each, page_text, send, send_expect,
};
use serde_json::{Value, json};

/// Wednesday 2 December 2026, 10:00 in the district (UTC+8).
const WED_10: i64 = 1_796_176_800_000;
const HOUR: i64 = 3_600_000;

struct World {
    s: Server,
    clock: Clock,
    centre: String,
    worker_a: String,
    worker_b: String,
    street_2: String,
    resident: String,
    other_resident: String,
    community_a: i64,
}

impl World {
    async fn new(backend: Backend) -> World {
        let clock = Clock::new();
        let s = clock.server(backend, &[]).await;
        let admin = s.user_token("boss", "admin").await;
        let plan = "district UD; street U1 in UD; community UA UB in U1; street U2 in UD; community UC in U2";
        let d = District::planned(&s, &admin, plan).await;
        let cat = json!({ "code": "noise", "name": "噪声扰民", "days_normal": 5, "route_kind": "community" });
        cases::category(&s, &admin, cat).await;
        World {
            centre: d.staff("centre", "UD", "worker").await,
            worker_a: d.staff("worker_a", "UA", "worker").await,
            worker_b: d.staff("worker_b", "UB", "worker").await,
            street_2: d.staff("street_2", "U2", "unit_admin").await,
            resident: s.user_token("resident", "member").await,
            other_resident: s.user_token("neighbour", "member").await,
            community_a: d.id("UA"),
            s,
            clock,
        }
    }

    fn set_now(&self, ms: i64) {
        self.clock.set_now(ms);
    }

    async fn act(&self, token: &str, id: i64, body: Value) -> (u16, Value) {
        cases::act(&self.s, token, id, &body).await
    }

    async fn expect(&self, token: &str, id: i64, body: Value, want: u16) -> Value {
        let (st, v) = self.act(token, id, body.clone()).await;
        assert_eq!(st, want, "{body}: {v}");
        v
    }

    /// A resident's case in community A, accepted and dispatched there.
    async fn dispatched_case(&self) -> i64 {
        let text = "楼下每晚施工很吵";
        cases::dispatched(
            &self.s,
            &self.resident,
            &self.centre,
            self.community_a,
            text,
        )
        .await
    }

    async fn case(&self, token: &str, id: i64) -> Value {
        self.s
            .get(token, &format!("/api/v1/cases/{id}"))
            .await
            .want(200)
    }

    async fn kinds(&self, token: &str, id: i64) -> Vec<String> {
        each(&self.case(token, id).await["timeline"])
            .map(|e| e["kind"].as_str().unwrap().to_string())
            .collect()
    }

    /// Notifications of `kind` the user named `user` has.
    async fn notices(&self, user: &str, kind: &str) -> i64 {
        let pool = self.s.db().await;
        let (n,): (i64,) = sqlx::query_as(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM platform_notifications n \
             JOIN platform_users u ON u.id = n.user_id WHERE u.username = $1 AND n.kind = $2",
        )
        .bind(user)
        .bind(kind)
        .fetch_one(&pool)
        .await
        .unwrap();
        n
    }
}

both_dbs!(the_centre_urges_once_a_working_day);
async fn the_centre_urges_once_a_working_day(backend: Backend) {
    let w = World::new(backend).await;
    w.set_now(WED_10);
    let id = w.dispatched_case().await;
    let urge = json!({ "action": "urge", "note": "请今天内上门核实" });

    // Not the handling unit itself, not the reporter, not a neighbour, not another street.
    w.expect(&w.worker_a, id, urge.clone(), 403).await;
    w.expect(&w.resident, id, urge.clone(), 403).await;
    w.expect(&w.other_resident, id, urge.clone(), 404).await;
    w.expect(&w.street_2, id, urge.clone(), 404).await;
    w.expect(&w.worker_b, id, urge.clone(), 404).await;
    assert_eq!(w.notices("worker_a", "case.urged").await, 0);

    // The centre: once on Wednesday, refused again that afternoon, again on Thursday.
    w.expect(&w.centre, id, urge.clone(), 200).await;
    assert_eq!(w.notices("worker_a", "case.urged").await, 1);
    w.set_now(WED_10 + 6 * HOUR);
    let refused = w.expect(&w.centre, id, urge.clone(), 409).await;
    assert_eq!(refused["error"]["code"], "already_urged", "{refused}");
    w.set_now(WED_10 + 23 * HOUR);
    w.expect(&w.centre, id, json!({ "action": "urge" }), 200)
        .await;
    // Saturday counts for Monday, the next working day: Monday morning is refused.
    w.set_now(WED_10 + 3 * 24 * HOUR);
    w.expect(&w.centre, id, json!({ "action": "urge" }), 200)
        .await;
    w.set_now(WED_10 + 5 * 24 * HOUR - HOUR);
    w.expect(&w.centre, id, json!({ "action": "urge" }), 409)
        .await;
    assert_eq!(w.notices("worker_a", "case.urged").await, 3);
    assert_eq!(w.notices("worker_b", "case.urged").await, 0);

    // On the timeline for staff, with the days; not in the reporter's view.
    let staff = w.case(&w.centre, id).await;
    let urged = w.kinds(&w.centre, id).await;
    assert_eq!(urged.iter().filter(|k| *k == "urged").count(), 3);
    assert_eq!(
        staff["urged_on"],
        json!(["2026-12-07", "2026-12-03", "2026-12-02"])
    );
    assert!(!w.kinds(&w.worker_a, id).await.is_empty());
    let mine = w.case(&w.resident, id).await;
    assert!(!w.kinds(&w.resident, id).await.contains(&"urged".into()));
    assert!(mine.get("urged_on").is_none(), "{mine}");

    // Only while the case is with the unit: a new report cannot be urged.
    let fresh = cases::report(&w.s, &w.resident, w.community_a, "又有施工噪声").await;
    let fresh = fresh["id"].as_i64().unwrap();
    let st = w
        .expect(&w.centre, fresh, json!({ "action": "urge" }), 409)
        .await;
    assert_eq!(st["error"]["code"], "wrong_state");
}

both_dbs!(a_listed_case_shows_on_the_case_the_list_and_the_units_workbench);
async fn a_listed_case_shows_on_the_case_the_list_and_the_units_workbench(backend: Backend) {
    let w = World::new(backend).await;
    w.set_now(WED_10);
    let id = w.dispatched_case().await;
    let listing = json!({ "action": "list", "reason": "群众反复投诉", "deadline": "2026-12-10" });

    for (who, want) in [
        (&w.worker_a, 403),
        (&w.resident, 403),
        (&w.street_2, 404),
        (&w.worker_b, 404),
    ] {
        w.expect(who, id, listing.clone(), want).await;
    }
    // Bad input: no reason, no day, a day past or too far ahead.
    for bad in [
        json!({ "action": "list", "deadline": "2026-12-10" }),
        json!({ "action": "list", "reason": "x", "deadline": "10 December" }),
        json!({ "action": "list", "reason": "x", "deadline": "2026-12-01" }),
        json!({ "action": "list", "reason": "x", "deadline": "2028-01-01" }),
    ] {
        w.expect(&w.centre, id, bad, 400).await;
    }
    assert!(w.case(&w.centre, id).await["listing"].is_null());

    let (_, before) = send(&w.s, "GET", Some(&w.worker_a), "/api/v1/workbench", None).await;
    assert!(!before.to_string().contains("listed=1"), "{before}");

    w.expect(&w.centre, id, listing.clone(), 200).await;
    let seen = w.case(&w.centre, id).await;
    assert_eq!(seen["listing"]["reason"], "群众反复投诉");
    assert_eq!(seen["listing"]["due_on"], "2026-12-10");
    assert!(w.kinds(&w.centre, id).await.contains(&"listed".into()));
    assert_eq!(w.notices("worker_a", "case.listed").await, 1);
    let mine = w.case(&w.resident, id).await;
    assert!(mine.get("listing").is_none(), "{mine}");

    // The list's filter: the centre and the unit find it; community B and street 2 do not.
    let listed = |token: String| {
        let s = &w.s;
        async move {
            send_expect(s, "GET", Some(&token), "/api/v1/cases?listed=1", None, 200).await["total"]
                .as_i64()
                .unwrap()
        }
    };
    assert_eq!(listed(w.centre.clone()).await, 1);
    assert_eq!(listed(w.worker_a.clone()).await, 1);
    assert_eq!(listed(w.worker_b.clone()).await, 0);
    assert_eq!(listed(w.street_2.clone()).await, 0);

    // The handling unit's workbench counts it, with the supervision deadline.
    let (_, bench) = send(&w.s, "GET", Some(&w.worker_a), "/api/v1/workbench", None).await;
    let item = each(&bench["items"])
        .find(|i| i["href"] == "/cases/inbox?listed=1")
        .unwrap_or_else(|| panic!("no listed item: {bench}"))
        .clone();
    assert_eq!(item["count"], 1);
    assert!(
        item["due_at"].as_str().unwrap().starts_with("2026-12-10"),
        "{item}"
    );
    for other in [&w.worker_b, &w.street_2, &w.resident] {
        let (_, b) = send(&w.s, "GET", Some(other), "/api/v1/workbench", None).await;
        assert!(!b.to_string().contains("listed=1"), "{b}");
    }

    // Listing again changes the day and the reason.
    let again = json!({ "action": "list", "reason": "区领导批示", "deadline": "2026-12-08" });
    w.expect(&w.centre, id, again, 200).await;
    assert_eq!(
        w.case(&w.centre, id).await["listing"]["due_on"],
        "2026-12-08"
    );

    // The pages: the case shows the listing and the centre's buttons; the unit sees the
    // listing but no buttons; the inbox filter lists it.
    let page = page_text(&w.s, &w.centre, &format!("/cases/{id}")).await;
    assert!(page.contains("区领导批示") && page.contains("2026-12-08"));
    assert!(page.contains(r#"value="urge""#) && page.contains(r#"value="list""#));
    let page = page_text(&w.s, &w.worker_a, &format!("/cases/{id}")).await;
    assert!(page.contains("区领导批示"));
    assert!(!page.contains(r#"value="urge""#) && !page.contains(r#"value="list""#));
    let link = format!("href=\"/cases/{id}\"");
    let inbox = page_text(&w.s, &w.worker_a, "/cases/inbox?listed=1").await;
    assert!(inbox.contains(&link), "listed in the inbox");
    let inbox_b = page_text(&w.s, &w.worker_b, "/cases/inbox?listed=1").await;
    assert!(!inbox_b.contains(&link));
}
