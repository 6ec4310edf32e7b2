//! Consultation (issue 15): every proposal path with the injected clock (filing, decline,
//! merge, assignment, return, co-handling, reply classes, extension, satisfaction, second
//! handling, publication), joint proposals, who must not see or do what, the public
//! register's Atom feed, and the demo — on both databases. The `World` here is shared with
//! `consult_community` (votes, matters, activities) and `consult_browser`.

use crate::common::{
    BIN, Backend, Clock, District, Server, both_dbs, client, each, get_html, run_ok, send,
    send_expect,
};
use serde_json::{Value, json};

/// A district with a street, two communities and three departments; the proposals office,
/// two members of two sectors, staff of the lead, co-handling and an uninvolved department,
/// a community worker, residents and an outsider.
pub(crate) struct World {
    pub(crate) s: Server,
    pub(crate) clock: Clock,
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
        let clock = Clock::new();
        let s = clock.server(backend, &[]).await;
        let admin = s.user_token("boss", "admin").await;
        let plan = "district QD; street QS in QD; community QA QB in QS; department T1 T2 T3 in QD";
        let d = District::planned(&s, &admin, plan).await;
        let [lead, lead_admin, co, other, community_staff] = d
            .staffs("lead=worker@T1 lead_admin=unit_admin@T1 co_staff=worker@T2 other=worker@T3 qa_worker=worker@QA")
            .await;
        let office = s.user_token("office", "member").await;
        let seat = json!({"username": "office", "district_id": d.id("QD")});
        let office_path = "/api/v1/consultation/office";
        send_expect(&s, "POST", Some(&admin), office_path, Some(&seat), 201).await;
        let [m1, m2] = s.accounts("member1 member2").await;
        for (name, sector) in [("member1", "经济界"), ("member2", "教育界")] {
            let member = json!({"username": name, "sector": sector});
            let path = "/api/v1/consultation/members";
            send_expect(&s, "POST", Some(&office), path, Some(&member), 201).await;
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
        self.clock.set_now(ms);
    }

    pub(crate) async fn submit(&self, token: &str, title: &str, cosigners: &[&str]) -> i64 {
        let body = json!({"title": title, "body": "建议在老旧小区加装电梯，并由区财政给予一定比例的补贴，减轻居民负担。",
                          "kind": "member", "cosigners": cosigners});
        let v = self
            .s
            .post(token, "/api/v1/proposals", Some(&body))
            .await
            .want(201);
        assert_eq!(v["state"], "submitted");
        v["id"].as_i64().unwrap()
    }

    pub(crate) async fn act(&self, token: &str, id: i64, body: Value, want: u16) -> Value {
        self.s
            .post(
                token,
                &format!("/api/v1/proposals/{id}/actions"),
                Some(&body),
            )
            .await
            .want(want)
    }

    /// Takes the steps of a table on proposal `id` in order, each `(token, status, step)`:
    /// the bearer of `token` posts `step` and must be answered with `status`. The last answer.
    async fn walk(&self, id: i64, table: &[(&str, u16, Value)]) -> Value {
        let mut last = Value::Null;
        for (token, status, step) in table {
            last = self.act(token, id, step.clone(), *status).await;
        }
        last
    }

    pub(crate) async fn assigned(&self, title: &str) -> i64 {
        let id = self.submit(&self.m1, title, &[]).await;
        self.act(&self.office, id, json!({"action": "file"}), 200)
            .await;
        self.act(&self.office, id, json!({"action": "assign", "lead_unit_id": self.lead_unit, "co_unit_ids": [self.co_unit]}), 200).await;
        id
    }

    /// Takes an assigned proposal, signed for, through draft, countersignature, the office's
    /// check and the formal reply.
    pub(crate) async fn reply_formally(&self, id: i64, reply: &str, class: &str) -> Value {
        self.act(
            &self.lead,
            id,
            json!({"action": "draft", "reply": reply, "class": class}),
            200,
        )
        .await;
        self.act(&self.lead_admin, id, json!({"action": "countersign"}), 200)
            .await;
        self.act(&self.office, id, json!({"action": "check"}), 200)
            .await;
        self.act(&self.lead, id, json!({"action": "reply"}), 200)
            .await
    }

    /// Accounts verified by the community's staff as residents of its community, in the
    /// households given; their tokens.
    pub(crate) async fn residents(&self, people: &[(&str, &str)]) -> Vec<String> {
        let mut out = Vec::new();
        for (name, household) in people {
            out.push(self.s.user_token(name, "member").await);
            let body = json!({"username": name, "unit_id": self.community, "household": household});
            self.s
                .post(
                    &self.community_staff,
                    "/api/v1/consultation/residents",
                    Some(&body),
                )
                .await
                .want(201);
        }
        out
    }

    pub(crate) fn verify(&self, id: i64) -> (bool, String) {
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

pub(crate) async fn get(w: &World, token: Option<&str>, path: &str) -> (u16, Value) {
    send(&w.s, "GET", token, path, None).await
}

both_dbs!(a_joint_proposal_goes_from_submission_to_a_rated_published_reply);
async fn a_joint_proposal_goes_from_submission_to_a_rated_published_reply(backend: Backend) {
    let w = World::new(backend).await;
    // Only members submit.
    let body = json!({"title": "关于加装电梯的提案", "body": "建议在老旧小区加装电梯，并给予补贴，减轻居民负担。", "kind": "member"});
    assert_eq!(
        w.s.post(&w.outsider, "/api/v1/proposals", Some(&body))
            .await
            .status,
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
    let page = format!("/consultation/proposals/{id}");
    w.s.expect_statuses(&[
        (Some(&w.other), &page, 404),
        (Some(&w.outsider), &page, 404),
        (Some(&w.lead), &page, 200),
    ])
    .await;
    let hub = async |t: &str| crate::common::page_text(&w.s, t, "/consultation").await;
    assert!(
        !hub(&w.other).await.contains("联名提案"),
        "not on the uninvolved unit's hub"
    );
    assert!(hub(&w.lead).await.contains("联名提案"));
    let (_, list) = get(&w, Some(&w.other), "/api/v1/proposals").await;
    assert_eq!(list["total"], 0);
    let (_, list) = get(&w, Some(&w.lead), "/api/v1/proposals").await;
    assert_eq!(list["total"], 1);
    // The office cannot sign for the unit; the co-handling unit cannot reply. The proposer
    // does not see a draft.
    let (office, co, lead) = (w.office.as_str(), w.co.as_str(), w.lead.as_str());
    let drafting = [
        (office, 403, json!({"action": "sign"})),
        (co, 403, json!({"action": "sign"})),
        (
            lead,
            403,
            json!({"action": "opinion", "text": "主办单位不能提会办意见"}),
        ),
        (
            co,
            200,
            json!({"action": "opinion", "text": "同意，配合做好资金保障。"}),
        ),
        (lead, 200, json!({"action": "sign"})),
        (
            lead,
            200,
            json!({"action": "draft", "reply": "已列入明年计划，分批实施加装。", "class": "B"}),
        ),
    ];
    w.walk(id, &drafting).await;
    let (_, seen) = get(&w, Some(&w.m1), &path).await;
    assert_eq!(seen["reply"], "");
    assert!(seen.get("reply_due").is_none(), "deadlines are internal");
    // A worker cannot countersign; the unit admin does; the office checks and reclasses.
    let checking = [
        (lead, 403, json!({"action": "countersign"})),
        (&w.lead_admin, 200, json!({"action": "countersign"})),
        (lead, 409, json!({"action": "reply"})),
        (office, 200, json!({"action": "check", "class": "A"})),
    ];
    let v = w.walk(id, &checking).await;
    assert_eq!(v["reply_class"], "A");
    w.set_now(MONDAY + 20 * DAY);
    let v = w.act(&w.lead, id, json!({"action": "reply"}), 200).await;
    assert_eq!(v["state"], "replied");
    assert_eq!(v["on_time"], true);
    // The co-signer cannot rate; the proposer is unsatisfied with the result: second handling.
    let rate = |work: &str, result: &str| json!({"action": "rate", "work": work, "result": result});
    let rating = [
        (w.m2.as_str(), 403, rate("satisfied", "satisfied")),
        (&w.m1, 200, rate("basic", "unsatisfied")),
    ];
    let v = w.walk(id, &rating).await;
    assert_eq!(v["state"], "second_handling");
    assert_eq!(v["round"], 2);
    let (_, staff) = get(&w, Some(&w.lead), &path).await;
    assert!(staff["reply_due"].as_i64().unwrap() > MONDAY + 20 * DAY);
    w.reply_formally(id, "经再次研究，已于本月开工加装。", "A")
        .await;
    let v = w.act(&w.m1, id, rate("satisfied", "satisfied"), 200).await;
    assert_eq!(v["state"], "closed");
    // Statistics for the office only.
    assert_eq!(get(&w, Some(&w.m1), "/api/v1/proposals/stats").await.0, 403);
    let (st, stats) = get(&w, Some(&w.office), "/api/v1/proposals/stats?year=2026").await;
    assert_eq!(st, 200, "{stats}");
    let unit = each(&stats["by_unit"])
        .find(|u| u["name"] == "T1单位")
        .unwrap()
        .clone();
    assert_eq!(unit["second_handlings"], 1);
    assert_eq!(unit["class_a"], 1);
    assert_eq!(unit["on_time"], 1);
    let sector = &stats["by_sector"][0];
    assert_eq!(sector["name"], "经济界");

    // Publication: nothing without consent; with it, the register and its Atom feed.
    let feed = get_html(
        &client(),
        format!("{}/consultation/proposals.atom", w.s.url),
    )
    .await;
    assert!(!feed.contains("联名提案"));
    let consent = json!({"action": "consent", "publish": true});
    w.act(&w.m2, id, consent.clone(), 403).await;
    w.act(&w.m1, id, consent.clone(), 200).await;
    let hidden = w.assigned("关于未答复事项的提案").await;
    w.act(&w.m1, hidden, consent, 200).await;
    let r = w.s.raw("GET", None, "/consultation/proposals.atom").await;
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
    if let Some(parsed) = parse_feed(&feed) {
        assert_eq!(parsed["bozo"], false, "{parsed}");
        assert_eq!(parsed["entries"].as_array().unwrap().len(), 1);
        assert_eq!(parsed["entries"][0]["title"], "关于加装电梯的联名提案");
        assert!(
            parsed["entries"][0]["link"]
                .as_str()
                .unwrap()
                .starts_with("http://")
        );
    }
    let page =
        w.s.raw("GET", None, &format!("/consultation/register/{id}"))
            .await;
    assert_eq!(page.status(), 200);
    let page =
        w.s.raw("GET", None, &format!("/consultation/register/{hidden}"))
            .await;
    assert_eq!(page.status(), 404);
}

/// The feed as python's feedparser reads it: {bozo, version, entries: [{title, link}]}.
/// `None` when no python with feedparser is installed (and not required).
fn parse_feed(xml: &str) -> Option<Value> {
    let py = crate::common::python_with("feedparser")?;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("feed.atom");
    std::fs::write(&file, xml).unwrap();
    let script = "import feedparser, json, sys\nd = feedparser.parse(sys.argv[1])\n\
print(json.dumps({'bozo': bool(d.bozo), 'version': d.version, 'entries': [{'title': e.title, 'link': e.link} for e in d.entries]}))";
    let out = run_ok(std::process::Command::new(&py).args(["-c", script, file.to_str().unwrap()]));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], "atom10");
    Some(v)
}

both_dbs!(declines_merges_returns_and_extensions_follow_the_rules_and_the_clock);
async fn declines_merges_returns_and_extensions_follow_the_rules_and_the_clock(backend: Backend) {
    let w = World::new(backend).await;
    let a = w.submit(&w.m1, "关于停车难的提案", &[]).await;
    let declining = [
        (
            w.office.as_str(),
            400,
            json!({"action": "decline", "reason": "whatever"}),
        ),
        (
            &w.office,
            200,
            json!({"action": "decline", "reason": "forwarded", "note": "转社情民意"}),
        ),
    ];
    let v = w.walk(a, &declining).await;
    assert_eq!(v["state"], "declined");
    assert_eq!(v["decline_reason"], "forwarded");
    w.act(&w.office, a, json!({"action": "file"}), 409).await;

    let keep = w.submit(&w.m1, "关于停车难问题的提案", &[]).await;
    let dup = w.submit(&w.m2, "关于停车位不足的提案", &[]).await;
    let merging = [
        (
            w.office.as_str(),
            400,
            json!({"action": "merge", "into": dup}),
        ),
        (&w.office, 200, json!({"action": "merge", "into": keep})),
    ];
    let v = w.walk(dup, &merging).await;
    assert_eq!(v["state"], "merged");
    assert_eq!(v["merged_into"], keep);

    // Return window: 5 working days. Within it the lead unit may ask to hand it back.
    let r = w.assigned("关于公园管理的提案").await;
    let hand_back = json!({"action": "request_return", "reason": "不属于本单位职责"});
    let handing_back = [
        (w.lead.as_str(), 200, hand_back.clone()),
        (
            &w.office,
            200,
            json!({"action": "assign", "lead_unit_id": w.co_unit}),
        ),
    ];
    w.walk(r, &handing_back).await;
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
    let v = w.act(&w.lead, late, hand_back, 409).await;
    assert_eq!(v["error"]["code"], "return_window_closed");

    // One extension, with a reason, to the longer period counted from the assignment.
    let (_, before) = get(&w, Some(&w.office), &format!("/api/v1/proposals/{late}")).await;
    let extend = |reason: &str| json!({"action": "extend", "reason": reason});
    let extending = [
        (w.lead.as_str(), 403, extend("需要跨年度预算")),
        (&w.office, 400, extend("")),
        (&w.office, 200, extend("需要跨年度预算")),
    ];
    let v = w.walk(late, &extending).await;
    assert!(v["reply_due"].as_i64().unwrap() > before["reply_due"].as_i64().unwrap() + 60 * DAY);
    assert_eq!(v["extended"], true);
    let v = w.act(&w.office, late, extend("再延一次"), 409).await;
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
    let replying = [
        (lead.as_str(), 200, json!({"action": "sign"})),
        (
            &lead,
            200,
            json!({"action": "draft", "reply": "已完成改造方案，列入明年计划。", "class": "B"}),
        ),
        (&lead_admin, 200, json!({"action": "countersign"})),
        (&office, 200, json!({"action": "check"})),
        (&lead, 200, json!({"action": "reply"})),
    ];
    let v = w.walk(slow, &replying).await;
    assert_eq!(v["on_time"], false);
    assert_eq!(v["followup"], "pending");
    let following_up = [
        (
            m1.as_str(),
            200,
            json!({"action": "rate", "work": "satisfied", "result": "basic"}),
        ),
        (
            &office,
            200,
            json!({"action": "followup_done", "note": "改造已完工"}),
        ),
    ];
    w.walk(slow, &following_up).await;
    let (_, v) = get(&w, Some(&m1), &format!("/api/v1/proposals/{slow}")).await;
    assert_eq!(v["followup"], "delivered");
    assert_eq!(v["state"], "closed");
    // Periods are the office's to set, within bounds.
    let bad = json!({"periods": {"sign_days": 0, "co_days": 10, "reply_days": 60, "max_reply_days": 120, "second_days": 20}});
    let settings = "/api/v1/consultation/settings";
    w.s.put(&office, settings, Some(&bad)).await.want(400);
    let good = json!({"periods": {"sign_days": 3, "co_days": 10, "reply_days": 60, "max_reply_days": 120, "second_days": 20}});
    w.s.put(&m1, settings, Some(&good)).await.want(403);
    w.s.put(&office, settings, Some(&good)).await.want(200);
    let _ = &w.admin;
}

/// `serve --demo`: the office, two members of two sectors, proposals in every state, and in
/// 桂园社区 the demo reader as a resident with one open vote and one closed with its result.
#[tokio::test]
async fn the_demo_has_proposals_in_every_state_and_votes_in_guiyuan() {
    let s = Server::start_demo(Backend::Sqlite, "demo-pass-1").await;
    let office = s.login_with("cppcc_office", "demo-pass-1").await;
    let (_, all) = s
        .get(&office, "/api/v1/proposals?per_page=100")
        .await
        .parts();
    assert!(all["total"].as_i64().unwrap() >= 20, "{all}");
    let states: std::collections::BTreeSet<&str> = each(&all["items"])
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
    s.post(&reader, &path, Some(&json!({"option_id": opt})))
        .await
        .want(201);
    let feed = get_html(&client(), format!("{}/consultation/proposals.atom", s.url)).await;
    assert!(
        feed.contains("<entry>"),
        "the demo publishes replied proposals"
    );
}

/// The workbench: a submitted proposal waits for the office; once assigned, for the lead
/// unit (with the sign-for deadline) — never for an uninvolved department or a member.
async fn the_workbench_shows_who_a_proposal_waits_for(backend: Backend) {
    let w = World::new(backend).await;
    let todos = |token: String| {
        let s = &w.s;
        async move {
            let v = send_expect(s, "GET", Some(&token), "/api/v1/workbench", None, 200).await;
            each(&v["items"])
                .map(|i| {
                    (
                        i["label"].as_str().unwrap().to_string(),
                        i["count"].as_u64().unwrap(),
                        i["due_at"].is_string(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let id = w.submit(&w.m1, "关于增设社区食堂的提案", &[]).await;
    assert_eq!(
        todos(w.office.clone()).await,
        vec![("待立案审查的提案".into(), 1, false)]
    );
    for t in [&w.lead, &w.other, &w.m1] {
        assert!(todos(t.clone()).await.is_empty());
    }
    w.act(&w.office, id, json!({"action": "file"}), 200).await;
    w.act(
        &w.office,
        id,
        json!({"action": "assign", "lead_unit_id": w.lead_unit, "co_unit_ids": [w.co_unit]}),
        200,
    )
    .await;
    assert!(todos(w.office.clone()).await.is_empty());
    assert_eq!(
        todos(w.lead.clone()).await,
        vec![("待签收的提案".into(), 1, true)]
    );
    assert!(todos(w.other.clone()).await.is_empty());
}

both_dbs!(the_workbench_shows_who_a_proposal_waits_for);
