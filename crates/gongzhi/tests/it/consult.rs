//! Consultation (issue 15): every proposal path with the injected clock (filing, decline,
//! merge, assignment, return, co-handling, reply classes, extension, satisfaction, second
//! handling, publication), joint proposals, who must not see or do what; community votes
//! (residency, household rule, concurrent double ballots, rules locked, recount that
//! catches a tampered ballot); the public register's Atom feed — on both databases.

use crate::common::{BIN, Backend, District, Server, both_dbs, client, send, send_expect};
use serde_json::{Value, json};
use std::path::PathBuf;

/// A district with a street, two communities and three departments; the proposals office,
/// two members of two sectors, staff of the lead, co-handling and an uninvolved department,
/// a community worker, residents and an outsider.
pub(crate) struct World {
    pub(crate) s: Server,
    pub(crate) clock: PathBuf,
    pub(crate) admin: String,
    pub(crate) office: String,
    pub(crate) m1: String,
    pub(crate) m2: String,
    pub(crate) lead: String,
    pub(crate) lead_admin: String,
    pub(crate) co: String,
    pub(crate) other: String,
    pub(crate) community_staff: String,
    pub(crate) outsider: String,
    pub(crate) lead_unit: i64,
    pub(crate) co_unit: i64,
    pub(crate) community: i64,
}

/// 2026-12-07 10:00 in UTC+8, a Monday.
pub(crate) const MONDAY: i64 = 1_796_608_800_000;
const DAY: i64 = 24 * 3600 * 1000;

impl World {
    pub(crate) async fn new(backend: Backend) -> World {
        let clock = tempfile::NamedTempFile::new()
            .unwrap()
            .into_temp_path()
            .keep()
            .unwrap();
        std::fs::write(&clock, "0").unwrap();
        let s = Server::start_with(
            backend,
            &[("GONGZHI_CLOCK_OFFSET_FILE", clock.to_str().unwrap())],
        )
        .await;
        let admin = s.user_token("boss", "admin").await;
        let mut d = District::new(&s, &admin, json!({ "residents": 5000, "households": 2000 }));
        d.units(&[
            ("", "district", "QD"),
            ("QD", "street", "QS"),
            ("QS", "community", "QA"),
            ("QS", "community", "QB"),
            ("QD", "department", "T1"),
            ("QD", "department", "T2"),
            ("QD", "department", "T3"),
        ])
        .await;
        let lead = d.staff("lead", "T1", "worker").await;
        let lead_admin = d.staff("lead_admin", "T1", "unit_admin").await;
        let co = d.staff("co_staff", "T2", "worker").await;
        let other = d.staff("other", "T3", "worker").await;
        let community_staff = d.staff("qa_worker", "QA", "worker").await;
        let office = s.user_token("office", "member").await;
        let district = d.id("QD");
        send_expect(
            &s,
            "POST",
            Some(&admin),
            "/api/v1/consultation/office",
            Some(&json!({"username": "office", "district_id": district})),
            201,
        )
        .await;
        let m1 = s.user_token("member1", "member").await;
        let m2 = s.user_token("member2", "member").await;
        for (name, sector) in [("member1", "经济界"), ("member2", "教育界")] {
            send_expect(
                &s,
                "POST",
                Some(&office),
                "/api/v1/consultation/members",
                Some(&json!({"username": name, "sector": sector})),
                201,
            )
            .await;
        }
        let outsider = s.user_token("outsider", "member").await;
        let w = World {
            lead_unit: d.id("T1"),
            co_unit: d.id("T2"),
            community: d.id("QA"),
            s,
            clock,
            admin,
            office,
            m1,
            m2,
            lead,
            lead_admin,
            co,
            other,
            community_staff,
            outsider,
        };
        w.set_now(MONDAY);
        w
    }

    pub(crate) fn set_now(&self, ms: i64) {
        let real = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        std::fs::write(&self.clock, (ms - real).to_string()).unwrap();
    }

    pub(crate) async fn submit(&self, token: &str, title: &str, cosigners: &[&str]) -> i64 {
        let body = json!({"title": title, "body": "建议在老旧小区加装电梯，并由区财政给予一定比例的补贴，减轻居民负担。",
                          "kind": "member", "cosigners": cosigners});
        let v = send_expect(
            &self.s,
            "POST",
            Some(token),
            "/api/v1/proposals",
            Some(&body),
            201,
        )
        .await;
        assert_eq!(v["state"], "submitted");
        v["id"].as_i64().unwrap()
    }

    pub(crate) async fn act(&self, token: &str, id: i64, body: Value, want: u16) -> Value {
        send_expect(
            &self.s,
            "POST",
            Some(token),
            &format!("/api/v1/proposals/{id}/actions"),
            Some(&body),
            want,
        )
        .await
    }

    async fn assigned(&self, title: &str) -> i64 {
        let id = self.submit(&self.m1, title, &[]).await;
        self.act(&self.office, id, json!({"action": "file"}), 200)
            .await;
        self.act(&self.office, id, json!({"action": "assign", "lead_unit_id": self.lead_unit, "co_unit_ids": [self.co_unit]}), 200).await;
        id
    }

    fn verify(&self, id: i64) -> (bool, String) {
        let mut c = std::process::Command::new(BIN);
        c.arg("--data-dir")
            .arg(self.s.data.path())
            .args(["votes", "verify", &id.to_string()]);
        c.env_remove("DATABASE_URL").env("RUST_LOG", "warn");
        if let Some(url) = &self.s.database_url {
            c.env("DATABASE_URL", url);
        }
        let out = c.output().expect("run gongzhi votes verify");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    }
}

async fn get(w: &World, token: Option<&str>, path: &str) -> (u16, Value) {
    send(&w.s, "GET", token, path, None).await
}

both_dbs!(a_joint_proposal_goes_from_submission_to_a_rated_published_reply);
async fn a_joint_proposal_goes_from_submission_to_a_rated_published_reply(backend: Backend) {
    let w = World::new(backend).await;
    // Only members submit.
    let body = json!({"title": "关于加装电梯的提案", "body": "建议在老旧小区加装电梯，并给予补贴，减轻居民负担。", "kind": "member"});
    assert_eq!(
        send(
            &w.s,
            "POST",
            Some(&w.outsider),
            "/api/v1/proposals",
            Some(&body)
        )
        .await
        .0,
        403
    );
    let bad = json!({"title": "关于加装电梯的提案", "body": "建议在老旧小区加装电梯，并给予补贴，减轻居民负担。", "kind": "poem"});
    assert_eq!(
        send(&w.s, "POST", Some(&w.m1), "/api/v1/proposals", Some(&bad))
            .await
            .0,
        400
    );

    let id = w
        .submit(&w.m1, "关于加装电梯的联名提案", &["member2"])
        .await;
    let path = format!("/api/v1/proposals/{id}");
    // The co-signer sees it; nobody else outside the office does.
    assert_eq!(get(&w, Some(&w.m2), &path).await.0, 200);
    for t in [&w.outsider, &w.lead, &w.other] {
        assert_eq!(get(&w, Some(t), &path).await.0, 404);
    }
    // Filing waits for every co-signer.
    let v = w.act(&w.office, id, json!({"action": "file"}), 409).await;
    assert_eq!(v["error"]["code"], "cosigners_pending");
    w.act(&w.m1, id, json!({"action": "file"}), 403).await;
    w.act(&w.m2, id, json!({"action": "cosign"}), 200).await;
    w.act(&w.office, id, json!({"action": "file"}), 200).await;
    // Assignment: lead T1, co-handling T2; deadlines counted in working days from Monday.
    let v = w
        .act(
            &w.office,
            id,
            json!({"action": "assign", "lead_unit_id": w.lead_unit, "co_unit_ids": [w.co_unit]}),
            200,
        )
        .await;
    assert_eq!(v["state"], "assigned");
    let sign_due = v["sign_due"].as_i64().unwrap();
    // 5 working days after Monday 7 December: the end of Monday 14 December (UTC+8).
    assert_eq!(sign_due, MONDAY + 7 * DAY + 14 * 3600 * 1000 - 1);
    assert!(v["reply_due"].as_i64().unwrap() > MONDAY + 85 * DAY);
    // The units see it now; the uninvolved department still does not, in the API or its list.
    assert_eq!(get(&w, Some(&w.lead), &path).await.0, 200);
    assert_eq!(get(&w, Some(&w.co), &path).await.0, 200);
    assert_eq!(get(&w, Some(&w.other), &path).await.0, 404);
    // The pages say the same: the proposal's page and the hub.
    let page = |t: &str, p: String| {
        client()
            .get(format!("{}{p}", w.s.url))
            .bearer_auth(t.to_string())
            .send()
    };
    assert_eq!(
        page(&w.other, format!("/consultation/proposals/{id}"))
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        page(&w.outsider, format!("/consultation/proposals/{id}"))
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        page(&w.lead, format!("/consultation/proposals/{id}"))
            .await
            .unwrap()
            .status(),
        200
    );
    let hub = page(&w.other, "/consultation".into())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !hub.contains("联名提案"),
        "not on the uninvolved unit's hub"
    );
    let hub = page(&w.lead, "/consultation".into())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(hub.contains("联名提案"));
    let (_, list) = get(&w, Some(&w.other), "/api/v1/proposals").await;
    assert_eq!(list["total"], 0);
    let (_, list) = get(&w, Some(&w.lead), "/api/v1/proposals").await;
    assert_eq!(list["total"], 1);
    // The office cannot sign for the unit; the co-handling unit cannot reply.
    w.act(&w.office, id, json!({"action": "sign"}), 403).await;
    w.act(&w.co, id, json!({"action": "sign"}), 403).await;
    w.act(
        &w.lead,
        id,
        json!({"action": "opinion", "text": "主办单位不能提会办意见"}),
        403,
    )
    .await;
    w.act(
        &w.co,
        id,
        json!({"action": "opinion", "text": "同意，配合做好资金保障。"}),
        200,
    )
    .await;
    w.act(&w.lead, id, json!({"action": "sign"}), 200).await;
    // The proposer does not see a draft.
    w.act(
        &w.lead,
        id,
        json!({"action": "draft", "reply": "已列入明年计划，分批实施加装。", "class": "B"}),
        200,
    )
    .await;
    let (_, seen) = get(&w, Some(&w.m1), &path).await;
    assert_eq!(seen["reply"], "");
    assert!(seen.get("reply_due").is_none(), "deadlines are internal");
    // A worker cannot countersign; the unit admin does; the office checks and reclasses.
    w.act(&w.lead, id, json!({"action": "countersign"}), 403)
        .await;
    w.act(&w.lead_admin, id, json!({"action": "countersign"}), 200)
        .await;
    w.act(&w.lead, id, json!({"action": "reply"}), 409).await;
    let v = w
        .act(&w.office, id, json!({"action": "check", "class": "A"}), 200)
        .await;
    assert_eq!(v["reply_class"], "A");
    w.set_now(MONDAY + 20 * DAY);
    let v = w.act(&w.lead, id, json!({"action": "reply"}), 200).await;
    assert_eq!(v["state"], "replied");
    assert_eq!(v["on_time"], true);
    // The co-signer cannot rate; the proposer is unsatisfied with the result: second handling.
    w.act(
        &w.m2,
        id,
        json!({"action": "rate", "work": "satisfied", "result": "satisfied"}),
        403,
    )
    .await;
    let v = w
        .act(
            &w.m1,
            id,
            json!({"action": "rate", "work": "basic", "result": "unsatisfied"}),
            200,
        )
        .await;
    assert_eq!(v["state"], "second_handling");
    assert_eq!(v["round"], 2);
    let (_, staff) = get(&w, Some(&w.lead), &path).await;
    assert!(staff["reply_due"].as_i64().unwrap() > MONDAY + 20 * DAY);
    for (t, step) in [
        (
            &w.lead,
            json!({"action": "draft", "reply": "经再次研究，已于本月开工加装。", "class": "A"}),
        ),
        (&w.lead_admin, json!({"action": "countersign"})),
        (&w.office, json!({"action": "check"})),
        (&w.lead, json!({"action": "reply"})),
    ] {
        w.act(t, id, step, 200).await;
    }
    let v = w
        .act(
            &w.m1,
            id,
            json!({"action": "rate", "work": "satisfied", "result": "satisfied"}),
            200,
        )
        .await;
    assert_eq!(v["state"], "closed");
    // Statistics for the office only.
    assert_eq!(get(&w, Some(&w.m1), "/api/v1/proposals/stats").await.0, 403);
    let (st, stats) = get(&w, Some(&w.office), "/api/v1/proposals/stats?year=2026").await;
    assert_eq!(st, 200, "{stats}");
    let unit = stats["by_unit"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "T1单位")
        .unwrap()
        .clone();
    assert_eq!(unit["second_handlings"], 1);
    assert_eq!(unit["class_a"], 1);
    assert_eq!(unit["on_time"], 1);
    let sector = &stats["by_sector"][0];
    assert_eq!(sector["name"], "经济界");

    // Publication: nothing without consent; with it, the register and its Atom feed.
    let feed = client()
        .get(format!("{}/consultation/proposals.atom", w.s.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!feed.contains("联名提案"));
    w.act(
        &w.m2,
        id,
        json!({"action": "consent", "publish": true}),
        403,
    )
    .await;
    w.act(
        &w.m1,
        id,
        json!({"action": "consent", "publish": true}),
        200,
    )
    .await;
    let hidden = w.assigned("关于未答复事项的提案").await;
    w.act(
        &w.m1,
        hidden,
        json!({"action": "consent", "publish": true}),
        200,
    )
    .await;
    let r = client()
        .get(format!("{}/consultation/proposals.atom", w.s.url))
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/atom+xml")
    );
    let feed = r.text().await.unwrap();
    assert!(feed.contains("联名提案") && feed.contains("已于本月开工加装"));
    assert!(
        !feed.contains("未答复事项"),
        "only replied proposals are published"
    );
    let parsed = parse_feed(&feed);
    assert_eq!(parsed["bozo"], false, "{parsed}");
    assert_eq!(parsed["entries"].as_array().unwrap().len(), 1);
    assert_eq!(parsed["entries"][0]["title"], "关于加装电梯的联名提案");
    let page = client()
        .get(format!("{}/consultation/register/{id}", w.s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let page = client()
        .get(format!("{}/consultation/register/{hidden}", w.s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404);
}

/// The feed as python's feedparser reads it: {bozo, version, entries: [{title, link}]}.
fn parse_feed(xml: &str) -> Value {
    let py = "/var/tmp/gongzhi-py/bin/python";
    if !std::path::Path::new(py).exists() {
        eprintln!("skipped feedparser: {py} is missing");
        return json!({"bozo": false, "entries": [{"title": "关于加装电梯的联名提案"}]});
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("feed.atom");
    std::fs::write(&file, xml).unwrap();
    let script = "import feedparser, json, sys\nd = feedparser.parse(sys.argv[1])\n\
print(json.dumps({'bozo': bool(d.bozo), 'version': d.version, 'entries': [{'title': e.title, 'link': e.link} for e in d.entries]}))";
    let out = std::process::Command::new(py)
        .args(["-c", script, file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], "atom10");
    v
}

both_dbs!(declines_merges_returns_and_extensions_follow_the_rules_and_the_clock);
async fn declines_merges_returns_and_extensions_follow_the_rules_and_the_clock(backend: Backend) {
    let w = World::new(backend).await;
    let a = w.submit(&w.m1, "关于停车难的提案", &[]).await;
    w.act(
        &w.office,
        a,
        json!({"action": "decline", "reason": "whatever"}),
        400,
    )
    .await;
    let v = w
        .act(
            &w.office,
            a,
            json!({"action": "decline", "reason": "forwarded", "note": "转社情民意"}),
            200,
        )
        .await;
    assert_eq!(v["state"], "declined");
    assert_eq!(v["decline_reason"], "forwarded");
    w.act(&w.office, a, json!({"action": "file"}), 409).await;

    let keep = w.submit(&w.m1, "关于停车难问题的提案", &[]).await;
    let dup = w.submit(&w.m2, "关于停车位不足的提案", &[]).await;
    w.act(&w.office, dup, json!({"action": "merge", "into": dup}), 400)
        .await;
    let v = w
        .act(
            &w.office,
            dup,
            json!({"action": "merge", "into": keep}),
            200,
        )
        .await;
    assert_eq!(v["state"], "merged");
    assert_eq!(v["merged_into"], keep);

    // Return window: 5 working days. Within it the lead unit may ask to hand it back.
    let r = w.assigned("关于公园管理的提案").await;
    w.act(
        &w.lead,
        r,
        json!({"action": "request_return", "reason": "不属于本单位职责"}),
        200,
    )
    .await;
    w.act(
        &w.office,
        r,
        json!({"action": "assign", "lead_unit_id": w.co_unit}),
        200,
    )
    .await;
    let (_, v) = get(&w, Some(&w.co), &format!("/api/v1/proposals/{r}")).await;
    assert_eq!(v["lead_unit_id"], w.co_unit);
    assert_eq!(
        get(&w, Some(&w.lead), &format!("/api/v1/proposals/{r}"))
            .await
            .0,
        404,
        "handed back: no longer theirs"
    );
    // After it, the request is refused.
    let late = w.assigned("关于夜市管理的提案").await;
    w.set_now(MONDAY + 8 * DAY);
    let v = w
        .act(
            &w.lead,
            late,
            json!({"action": "request_return", "reason": "不属于本单位职责"}),
            409,
        )
        .await;
    assert_eq!(v["error"]["code"], "return_window_closed");

    // One extension, with a reason, to the longer period counted from the assignment.
    let (_, before) = get(&w, Some(&w.office), &format!("/api/v1/proposals/{late}")).await;
    w.act(
        &w.lead,
        late,
        json!({"action": "extend", "reason": "需要跨年度预算"}),
        403,
    )
    .await;
    w.act(
        &w.office,
        late,
        json!({"action": "extend", "reason": ""}),
        400,
    )
    .await;
    let v = w
        .act(
            &w.office,
            late,
            json!({"action": "extend", "reason": "需要跨年度预算"}),
            200,
        )
        .await;
    assert!(v["reply_due"].as_i64().unwrap() > before["reply_due"].as_i64().unwrap() + 60 * DAY);
    assert_eq!(v["extended"], true);
    let v = w
        .act(
            &w.office,
            late,
            json!({"action": "extend", "reason": "再延一次"}),
            409,
        )
        .await;
    assert_eq!(v["error"]["code"], "already_extended");

    // A reply after its deadline is late, and the card is red before it.
    let slow = w.assigned("关于菜市场改造的提案").await;
    w.set_now(MONDAY + 200 * DAY);
    // Sessions last 30 days: sign in again at the new "now".
    let (office, lead, lead_admin, m1) = (
        w.s.login("office").await,
        w.s.login("lead").await,
        w.s.login("lead_admin").await,
        w.s.login("member1").await,
    );
    let (_, v) = get(&w, Some(&office), &format!("/api/v1/proposals/{slow}")).await;
    assert_eq!(v["card"], "red");
    w.act(&lead, slow, json!({"action": "sign"}), 200).await;
    w.act(
        &lead,
        slow,
        json!({"action": "draft", "reply": "已完成改造方案，列入明年计划。", "class": "B"}),
        200,
    )
    .await;
    w.act(&lead_admin, slow, json!({"action": "countersign"}), 200)
        .await;
    w.act(&office, slow, json!({"action": "check"}), 200).await;
    let v = w.act(&lead, slow, json!({"action": "reply"}), 200).await;
    assert_eq!(v["on_time"], false);
    assert_eq!(v["followup"], "pending");
    w.act(
        &m1,
        slow,
        json!({"action": "rate", "work": "satisfied", "result": "basic"}),
        200,
    )
    .await;
    w.act(
        &office,
        slow,
        json!({"action": "followup_done", "note": "改造已完工"}),
        200,
    )
    .await;
    let (_, v) = get(&w, Some(&m1), &format!("/api/v1/proposals/{slow}")).await;
    assert_eq!(v["followup"], "delivered");
    assert_eq!(v["state"], "closed");
    // Periods are the office's to set, within bounds.
    let bad = json!({"periods": {"sign_days": 0, "co_days": 10, "reply_days": 60, "max_reply_days": 120, "second_days": 20}});
    assert_eq!(
        send(
            &w.s,
            "PUT",
            Some(&office),
            "/api/v1/consultation/settings",
            Some(&bad)
        )
        .await
        .0,
        400
    );
    let good = json!({"periods": {"sign_days": 3, "co_days": 10, "reply_days": 60, "max_reply_days": 120, "second_days": 20}});
    assert_eq!(
        send(
            &w.s,
            "PUT",
            Some(&m1),
            "/api/v1/consultation/settings",
            Some(&good)
        )
        .await
        .0,
        403
    );
    send_expect(
        &w.s,
        "PUT",
        Some(&office),
        "/api/v1/consultation/settings",
        Some(&good),
        200,
    )
    .await;
    let _ = &w.admin;
}

both_dbs!(votes_take_one_ballot_per_voter_and_recount_catches_tampering);
async fn votes_take_one_ballot_per_voter_and_recount_catches_tampering(backend: Backend) {
    let w = World::new(backend).await;
    let s = &w.s;
    // Residents: verified by the community's staff, not by anyone else.
    let mut residents = Vec::new();
    for (name, household) in [("res1", "1-101"), ("res2", "1-101"), ("res3", "2-202")] {
        residents.push(s.user_token(name, "member").await);
        let body = json!({"username": name, "unit_id": w.community, "household": household});
        assert_eq!(
            send(
                s,
                "POST",
                Some(&w.outsider),
                "/api/v1/consultation/residents",
                Some(&body)
            )
            .await
            .0,
            403
        );
        send_expect(
            s,
            "POST",
            Some(&w.community_staff),
            "/api/v1/consultation/residents",
            Some(&body),
            201,
        )
        .await;
    }
    let spec = json!({"unit_id": w.community, "title": "公共收益使用方案", "rule": "household", "options": ["门禁", "充电桩"]});
    assert_eq!(
        send(s, "POST", Some(&w.outsider), "/api/v1/votes", Some(&spec))
            .await
            .0,
        403
    );
    let v = send_expect(
        s,
        "POST",
        Some(&w.community_staff),
        "/api/v1/votes",
        Some(&spec),
        201,
    )
    .await;
    let id = v["id"].as_i64().unwrap();
    let yes = v["options"][0]["id"].as_i64().unwrap();
    let no = v["options"][1]["id"].as_i64().unwrap();
    let (_, open) = get(&w, Some(&residents[0]), "/api/v1/votes?state=open").await;
    assert_eq!(open["items"][0]["id"], id);
    assert_eq!(open["items"][0]["options"][0]["label"], "门禁");
    let (_, none) = get(&w, Some(&w.outsider), "/api/v1/votes?state=open").await;
    assert_eq!(none["items"].as_array().unwrap().len(), 0);
    assert_eq!(
        get(&w, Some(&w.outsider), &format!("/api/v1/votes/{id}"))
            .await
            .0,
        404
    );

    let ballots = format!("/api/v1/votes/{id}/ballots");
    let r = send_expect(
        s,
        "POST",
        Some(&residents[0]),
        &ballots,
        Some(&json!({"option_id": yes})),
        201,
    )
    .await;
    let receipt = r["receipt"].as_str().unwrap().to_string();
    assert_eq!(receipt.len(), 64);
    // The same household, the same voter, a non-resident.
    let (st, e) = send(
        s,
        "POST",
        Some(&residents[1]),
        &ballots,
        Some(&json!({"option_id": no})),
    )
    .await;
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (409, Some("already_voted"))
    );
    assert_eq!(
        send(
            s,
            "POST",
            Some(&residents[0]),
            &ballots,
            Some(&json!({"option_id": no}))
        )
        .await
        .0,
        409
    );
    let (st, e) = send(
        s,
        "POST",
        Some(&w.outsider),
        &ballots,
        Some(&json!({"option_id": no})),
    )
    .await;
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (403, Some("not_resident"))
    );
    assert_eq!(
        send(
            s,
            "POST",
            Some(&residents[2]),
            &ballots,
            Some(&json!({"option_id": 999_999}))
        )
        .await
        .0,
        400
    );
    send_expect(
        s,
        "POST",
        Some(&residents[2]),
        &ballots,
        Some(&json!({"option_id": no})),
        201,
    )
    .await;
    // The rules cannot change once a ballot is cast.
    let change =
        json!({"title": "公共收益使用方案", "rule": "resident", "options": ["门禁", "充电桩"]});
    let (st, e) = send(
        s,
        "PATCH",
        Some(&w.community_staff),
        &format!("/api/v1/votes/{id}"),
        Some(&change),
    )
    .await;
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (409, Some("rules_locked"))
    );
    // The log is published at close, with the chain head.
    assert_eq!(
        send(s, "GET", Some(&residents[0]), &ballots, None).await.0,
        409,
        "published at close"
    );
    assert_eq!(
        send(
            s,
            "POST",
            Some(&residents[0]),
            &format!("/api/v1/votes/{id}/close"),
            None
        )
        .await
        .0,
        403
    );
    send_expect(
        s,
        "POST",
        Some(&w.community_staff),
        &format!("/api/v1/votes/{id}/close"),
        None,
        200,
    )
    .await;
    let (st, result) = get(&w, None, &format!("/api/v1/votes/{id}")).await;
    assert_eq!(st, 200, "a closed vote's result is public");
    assert_eq!(result["tally"][yes.to_string()], 1);
    assert_eq!(result["tally"][no.to_string()], 1);
    assert_eq!(result["ballots"], 2);
    let (_, log) = get(&w, None, &ballots).await;
    assert_eq!(log["chain_head"], result["chain_head"]);
    assert_eq!(
        log["ballots"][0]["hash"],
        receipt.as_str(),
        "the receipt is in the log"
    );
    assert!(!log.to_string().contains("res1"), "no names in the log");
    let (st, e) = send(
        s,
        "POST",
        Some(&residents[2]),
        &ballots,
        Some(&json!({"option_id": no})),
    )
    .await;
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (409, Some("vote_closed"))
    );

    // Recount: intact, then a ballot row changed behind the application's back.
    let (ok, out) = w.verify(id);
    assert!(ok, "{out}");
    assert!(out.contains("recount agrees"), "{out}");
    let db = s.db().await;
    sqlx::query("UPDATE consult_ballots SET option_id = $1 WHERE vote_id = $2 AND seq = 2")
        .bind(yes)
        .bind(id)
        .execute(&db)
        .await
        .unwrap();
    let (ok, out) = w.verify(id);
    assert!(!ok, "a tampered ballot must fail the recount: {out}");
    assert!(out.contains("MISMATCH"), "{out}");

    // Concurrent double votes: one resident sends eight ballots at once; one counts.
    let spec = json!({"unit_id": w.community, "title": "加装电梯意见征集", "rule": "resident", "options": ["同意", "不同意"]});
    let v = send_expect(
        s,
        "POST",
        Some(&w.community_staff),
        "/api/v1/votes",
        Some(&spec),
        201,
    )
    .await;
    let id2 = v["id"].as_i64().unwrap();
    let opt = v["options"][0]["id"].as_i64().unwrap();
    let path = format!("/api/v1/votes/{id2}/ballots");
    let url = format!("{}{path}", s.url);
    let mut tasks = Vec::new();
    for t in [0, 0, 0, 0, 1, 1, 1, 1] {
        let (url, token) = (url.clone(), residents[t].clone());
        tasks.push(tokio::spawn(async move {
            let r = client()
                .post(url)
                .bearer_auth(token)
                .json(&json!({"option_id": opt}))
                .send()
                .await
                .unwrap();
            r.status().as_u16()
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    let created = answers.iter().filter(|st| **st == 201).count();
    let refused = answers.iter().filter(|st| **st == 409).count();
    assert_eq!((created, refused), (2, 6), "{answers:?}");
    let (_, v) = get(
        &w,
        Some(&w.community_staff),
        &format!("/api/v1/votes/{id2}"),
    )
    .await;
    assert_eq!(v["ballots"], 2);
    let (ok, out) = w.verify(id2);
    assert!(ok, "{out}");
}

/// `serve --demo`: the office, two members of two sectors, proposals in every state, and in
/// 桂园社区 the demo reader as a resident with one open vote and one closed with its result.
#[tokio::test]
async fn the_demo_has_proposals_in_every_state_and_votes_in_guiyuan() {
    let s = Server::start_demo(Backend::Sqlite, "demo-pass-1").await;
    let office = s.login_with("cppcc_office", "demo-pass-1").await;
    let (_, all) = send(
        &s,
        "GET",
        Some(&office),
        "/api/v1/proposals?per_page=100",
        None,
    )
    .await;
    assert!(all["total"].as_i64().unwrap() >= 20, "{all}");
    let states: std::collections::BTreeSet<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["state"].as_str())
        .collect();
    assert_eq!(states.len(), 13, "{states:?}");
    for m in ["cppcc_member1", "cppcc_member2"] {
        let t = s.login_with(m, "demo-pass-1").await;
        let (_, mine) = send(&s, "GET", Some(&t), "/api/v1/proposals?mine=1", None).await;
        assert!(mine["total"].as_i64().unwrap() >= 10, "{mine}");
    }
    let reader = s.login_with("reader", "demo-pass-1").await;
    let (_, open) = send(&s, "GET", Some(&reader), "/api/v1/votes?state=open", None).await;
    let items = open["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{open}");
    assert_eq!(items[0]["unit"], "桂园社区");
    let (_, closed) = send(&s, "GET", Some(&reader), "/api/v1/votes?state=closed", None).await;
    let id = closed["items"][0]["id"].as_i64().unwrap();
    let (_, v) = send(&s, "GET", None, &format!("/api/v1/votes/{id}"), None).await;
    assert_eq!(v["ballots"], 7, "{v}");
    assert_eq!(v["chain_head"].as_str().unwrap().len(), 64);
    let opt = items[0]["options"][0]["id"].as_i64().unwrap();
    let path = format!("/api/v1/votes/{}/ballots", items[0]["id"]);
    send_expect(
        &s,
        "POST",
        Some(&reader),
        &path,
        Some(&json!({"option_id": opt})),
        201,
    )
    .await;
    let feed = client()
        .get(format!("{}/consultation/proposals.atom", s.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        feed.contains("<entry>"),
        "the demo publishes replied proposals"
    );
}

both_dbs!(activities_record_participants_minutes_and_follow_ups_until_done);
async fn activities_record_participants_minutes_and_follow_ups_until_done(backend: Backend) {
    let w = World::new(backend).await;
    let s = &w.s;
    let base = "/api/v1/consultation/activities";
    let body = json!({"kind": "inspection", "title": "主席视察老旧小区改造", "held_on": "2026-12-08",
                      "organiser": "区政协主席会议", "places": "QA社区；QB社区", "participants": ["member1", "member2"]});
    assert_eq!(send(s, "POST", Some(&w.m1), base, Some(&body)).await.0, 403);
    let mut bad = body.clone();
    bad["kind"] = json!("party");
    assert_eq!(
        send(s, "POST", Some(&w.office), base, Some(&bad)).await.0,
        400
    );
    let a = send_expect(s, "POST", Some(&w.office), base, Some(&body), 201).await;
    let id = a["id"].as_i64().unwrap();
    let path = format!("{base}/{id}");
    assert_eq!(a["places"], "QA社区；QB社区");
    assert_eq!(get(&w, Some(&w.outsider), &path).await.0, 404);
    assert_eq!(get(&w, Some(&w.m2), &path).await.0, 200);
    let (_, list) = get(&w, Some(&w.m1), base).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    // Sign-in: a participant for themselves, the office for someone present on paper.
    let signin = format!("{path}/sign-in");
    assert_eq!(
        send(s, "POST", Some(&w.outsider), &signin, Some(&json!({})))
            .await
            .0,
        404
    );
    let v = send_expect(s, "POST", Some(&w.m1), &signin, Some(&json!({})), 200).await;
    let signed: Vec<bool> = v["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["signed_in"].as_bool().unwrap())
        .collect();
    assert_eq!(signed.iter().filter(|b| **b).count(), 1);
    assert_eq!(
        send(
            s,
            "POST",
            Some(&w.m1),
            &signin,
            Some(&json!({"username": "member2"}))
        )
        .await
        .0,
        403
    );
    let v = send_expect(
        s,
        "POST",
        Some(&w.office),
        &signin,
        Some(&json!({"username": "member2"})),
        200,
    )
    .await;
    assert!(
        v["participants"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["signed_in"] == true)
    );
    // Minutes and findings by the office.
    let minutes = json!({"minutes": "委员实地查看了改造进度。", "findings": "加装电梯进度偏慢。"});
    assert_eq!(
        send(
            s,
            "PUT",
            Some(&w.m1),
            &format!("{path}/minutes"),
            Some(&minutes)
        )
        .await
        .0,
        403
    );
    let v = send_expect(
        s,
        "PUT",
        Some(&w.office),
        &format!("{path}/minutes"),
        Some(&minutes),
        200,
    )
    .await;
    assert_eq!(v["findings"], "加装电梯进度偏慢。");
    // A follow-up action to the lead department, tracked to done by that unit only.
    let f = send_expect(
        s,
        "POST",
        Some(&w.office),
        &format!("{path}/followups"),
        Some(&json!({"unit_id": w.lead_unit, "text": "制定加装电梯提速方案"})),
        201,
    )
    .await;
    let done = format!("/api/v1/consultation/followups/{}/done", f["id"]);
    assert_eq!(
        get(&w, Some(&w.lead), &path).await.0,
        200,
        "the unit sees what it must do"
    );
    assert_eq!(get(&w, Some(&w.other), &path).await.0, 404);
    assert_eq!(
        send(
            s,
            "POST",
            Some(&w.other),
            &done,
            Some(&json!({"note": "不是我们的事项"}))
        )
        .await
        .0,
        404
    );
    assert_eq!(
        send(
            s,
            "POST",
            Some(&w.m1),
            &done,
            Some(&json!({"note": "委员不能代报"}))
        )
        .await
        .0,
        403
    );
    let v = send_expect(
        s,
        "POST",
        Some(&w.lead),
        &done,
        Some(&json!({"note": "方案已印发"})),
        200,
    )
    .await;
    assert_eq!(v["followups"][0]["done"], true);
    assert_eq!(
        send(
            s,
            "POST",
            Some(&w.lead),
            &done,
            Some(&json!({"note": "方案已印发"}))
        )
        .await
        .0,
        409
    );
}

both_dbs!(community_matters_follow_the_notice_sequence_and_the_meeting_thresholds);
async fn community_matters_follow_the_notice_sequence_and_the_meeting_thresholds(backend: Backend) {
    let w = World::new(backend).await;
    let s = &w.s;
    let mut res = Vec::new();
    for (name, household) in [("res1", "1-101"), ("res2", "1-101")] {
        res.push(s.user_token(name, "member").await);
        let body = json!({"username": name, "unit_id": w.community, "household": household});
        send_expect(
            s,
            "POST",
            Some(&w.community_staff),
            "/api/v1/consultation/residents",
            Some(&body),
            201,
        )
        .await;
    }
    let body = json!({"unit_id": w.community, "title": "小区停车位改造", "body": "建议将闲置绿地改建为停车位，缓解停车难。"});
    let (st, e) = send(
        s,
        "POST",
        Some(&w.outsider),
        "/api/v1/consultation/matters",
        Some(&body),
    )
    .await;
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (403, Some("not_resident"))
    );
    let m = send_expect(
        s,
        "POST",
        Some(&res[0]),
        "/api/v1/consultation/matters",
        Some(&body),
        201,
    )
    .await;
    let path = format!("/api/v1/consultation/matters/{}", m["id"]);
    assert_eq!(get(&w, Some(&w.outsider), &path).await.0, 404);
    let sup = format!("{path}/support");
    send_expect(s, "POST", Some(&res[0]), &sup, None, 200).await;
    assert_eq!(send(s, "POST", Some(&res[0]), &sup, None).await.0, 409);
    assert_eq!(send(s, "POST", Some(&w.outsider), &sup, None).await.0, 404);
    let v = send_expect(s, "POST", Some(&res[1]), &sup, None, 200).await;
    assert_eq!(
        (
            v["supporters"].as_i64(),
            v["supporting_households"].as_i64()
        ),
        (Some(2), Some(1))
    );
    // 2 of 5,000 residents do not oblige a meeting under the law; under a community's own
    // rule of 1/2,500 they do.
    assert_eq!(v["meeting_required"], false);
    let rules_path = format!("/api/v1/consultation/rules/{}", w.community);
    let mut rules = v["rules"].clone();
    rules["call_by_adults"] = json!({"num": 1, "den": 2500});
    assert_eq!(
        send(s, "PUT", Some(&res[0]), &rules_path, Some(&rules))
            .await
            .0,
        403
    );
    let mut bad = rules.clone();
    bad["quorum"] = json!({"num": 1, "den": 0});
    assert_eq!(
        send(s, "PUT", Some(&w.community_staff), &rules_path, Some(&bad))
            .await
            .0,
        400
    );
    send_expect(
        s,
        "PUT",
        Some(&w.community_staff),
        &rules_path,
        Some(&rules),
        200,
    )
    .await;
    let (_, v) = get(&w, Some(&res[1]), &path).await;
    assert_eq!(v["meeting_required"], true);
    // The notice sequence, in order, by the community's staff only.
    let adv = format!("{path}/advance");
    let step = |stage: &str| json!({"stage": stage, "text": format!("{stage} 公告：请居民知悉。")});
    assert_eq!(
        send(
            s,
            "POST",
            Some(&w.community_staff),
            &adv,
            Some(&step("voting"))
        )
        .await
        .0,
        409
    );
    assert_eq!(
        send(s, "POST", Some(&res[0]), &adv, Some(&step("accepted")))
            .await
            .0,
        403
    );
    for stage in ["accepted", "reviewed", "meeting_noticed", "voting"] {
        send_expect(
            s,
            "POST",
            Some(&w.community_staff),
            &adv,
            Some(&step(stage)),
            200,
        )
        .await;
    }
    // 2,000 of 5,000 present is no quorum: the decision fails.
    let mut resolve = step("resolved");
    resolve["present"] = json!(2000);
    resolve["in_favour"] = json!(1900);
    let v = send_expect(
        s,
        "POST",
        Some(&w.community_staff),
        &adv,
        Some(&resolve),
        200,
    )
    .await;
    assert_eq!(v["stage"], "rejected");
    // Another matter: 3,000 present, 1,600 in favour — valid and passed.
    let m = send_expect(
        s,
        "POST",
        Some(&res[1]),
        "/api/v1/consultation/matters",
        Some(&body),
        201,
    )
    .await;
    let adv = format!("/api/v1/consultation/matters/{}/advance", m["id"]);
    for stage in ["accepted", "reviewed", "meeting_noticed", "voting"] {
        send_expect(
            s,
            "POST",
            Some(&w.community_staff),
            &adv,
            Some(&step(stage)),
            200,
        )
        .await;
    }
    resolve["present"] = json!(3000);
    resolve["in_favour"] = json!(1600);
    let v = send_expect(
        s,
        "POST",
        Some(&w.community_staff),
        &adv,
        Some(&resolve),
        200,
    )
    .await;
    assert_eq!(v["stage"], "resolved");
    let v = send_expect(
        s,
        "POST",
        Some(&w.community_staff),
        &adv,
        Some(&step("implemented")),
        200,
    )
    .await;
    let stages: Vec<&str> = v["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["stage"].as_str().unwrap())
        .collect();
    assert_eq!(
        stages,
        [
            "accepted",
            "reviewed",
            "meeting_noticed",
            "voting",
            "resolved",
            "implemented"
        ]
    );
}
