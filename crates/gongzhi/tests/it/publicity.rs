//! Publicity (issue 16): announcements drafted by a unit's staff and published by its
//! administrators; what is public — pages, API, RSS and Atom feeds read by a real feed
//! parser — never carries a draft or a withdrawn one, and nobody outside the unit writes,
//! publishes or even sees its drafts.

use crate::common::{Backend, District, Server, both_dbs, each, run_ok, send, send_expect, status};
use serde_json::{Value, json};

struct World {
    s: Server,
    admin_a: String,
    worker_a: String,
    worker_b: String,
    resident: String,
    street: i64,
    community_a: i64,
    community_b: i64,
}

impl World {
    async fn new(backend: Backend) -> World {
        let s = Server::start(backend).await;
        let admin = s.user_token("boss", "admin").await;
        let plan = "district PD; street PS in PD; community PA PB in PS";
        let d = District::planned(&s, &admin, plan).await;
        let [admin_a, worker_a, worker_b] = d
            .staffs("admin_a=unit_admin@PA worker_a=worker@PA worker_b=worker@PB")
            .await;
        let resident = s.user_token("resident", "member").await;
        World {
            street: d.id("PS"),
            community_a: d.id("PA"),
            community_b: d.id("PB"),
            s,
            admin_a,
            worker_a,
            worker_b,
            resident,
        }
    }

    async fn draft(&self, token: &str, unit: i64, title: &str) -> i64 {
        let body = json!({ "unit_id": unit, "kind": "notice", "title": title, "body": "正文第一段。\n第二段。" });
        let v = self
            .s
            .post(token, "/api/v1/announcements", Some(&body))
            .await
            .want(201);
        assert_eq!(v["state"], "draft");
        v["id"].as_i64().unwrap()
    }

    async fn text(&self, path: &str) -> String {
        let r = reqwest::get(format!("{}{path}", self.s.url)).await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        r.text().await.unwrap()
    }

    /// The status of a request.
    async fn code(
        &self,
        method: &str,
        token: Option<&str>,
        path: &str,
        body: Option<&Value>,
    ) -> u16 {
        status(&self.s, method, token, path, body).await
    }

    /// How many drafts the bearer of `token` finds in their list.
    async fn drafts(&self, token: &str) -> i64 {
        let (_, v) = self
            .s
            .get(token, "/api/v1/announcements?state=draft")
            .await
            .parts();
        v["total"].as_i64().unwrap()
    }

    async fn public_titles(&self) -> Vec<String> {
        let (st, v) = send(&self.s, "GET", None, "/api/v1/announcements", None).await;
        assert_eq!(st, 200);
        each(&v["items"])
            .map(|i| i["title"].as_str().unwrap().to_string())
            .collect()
    }
}

async fn drafts_stay_inside_the_unit_until_published(backend: Backend) {
    let w = World::new(backend).await;
    let id = w
        .draft(&w.worker_a, w.community_a, "停水通知 DRAFTWORD")
        .await;
    let path = format!("/api/v1/announcements/{id}");

    // Not public yet: no list, no page, no feed, no API read for those outside the unit.
    assert!(w.public_titles().await.is_empty());
    for token in [None, Some(w.resident.as_str()), Some(w.worker_b.as_str())] {
        assert_eq!(w.code("GET", token, &path, None).await, 404);
    }
    assert_eq!(w.code("GET", None, &format!("/news/{id}"), None).await, 404);
    for feed in ["/feeds/announcements.atom", "/feeds/announcements.rss"] {
        assert!(!w.text(feed).await.contains("DRAFTWORD"), "{feed}");
    }
    assert!(!w.text("/news").await.contains("DRAFTWORD"));
    // Asking for drafts is for unit staff only; a neighbour's list holds none of A's.
    assert_eq!(
        w.code("GET", None, "/api/v1/announcements?state=draft", None)
            .await,
        401
    );
    assert_eq!(
        w.code(
            "GET",
            Some(&w.resident),
            "/api/v1/announcements?state=draft",
            None
        )
        .await,
        403
    );
    assert_eq!(w.drafts(&w.worker_b).await, 0);
    assert_eq!(w.drafts(&w.worker_a).await, 1);

    // Writing for another unit, or publishing without being its administrator: refused.
    let other = json!({ "unit_id": w.community_b, "kind": "news", "title": "t", "body": "b" });
    assert_eq!(
        w.code(
            "POST",
            Some(&w.worker_a),
            "/api/v1/announcements",
            Some(&other)
        )
        .await,
        403
    );
    assert_eq!(
        w.code(
            "POST",
            Some(&w.resident),
            "/api/v1/announcements",
            Some(&other)
        )
        .await,
        403
    );
    assert_eq!(
        w.code("POST", None, "/api/v1/announcements", Some(&other))
            .await,
        401
    );
    let publish = format!("{path}/publish");
    assert_eq!(w.code("POST", Some(&w.worker_a), &publish, None).await, 403);
    assert_eq!(w.code("POST", Some(&w.worker_b), &publish, None).await, 404);
    assert_eq!(w.code("POST", Some(&w.resident), &publish, None).await, 404);

    // The unit's administrator publishes it, once.
    let v = send_expect(&w.s, "POST", Some(&w.admin_a), &publish, None, 200).await;
    assert_eq!(v["state"], "published");
    let (st, v) = send(&w.s, "POST", Some(&w.admin_a), &publish, None).await;
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (409, Some("announcement_not_draft"))
    );
    assert_eq!(
        w.public_titles().await,
        vec!["停水通知 DRAFTWORD".to_string()]
    );
    let v = send_expect(&w.s, "GET", None, &path, None, 200).await;
    assert_eq!(v["unit_id"], w.community_a);
    assert!(v["published_at"].as_str().unwrap().ends_with('Z'));
    assert!(w.text(&format!("/news/{id}")).await.contains("第二段。"));

    // Per-unit lists: the street's includes its communities, the other community's does not.
    let titles = |v: Value| v["items"].as_array().unwrap().len();
    for (unit, count) in [(w.street, 1), (w.community_b, 0)] {
        let path = format!("/api/v1/announcements?unit={unit}");
        assert_eq!(titles(send(&w.s, "GET", None, &path, None).await.1), count);
    }

    // Withdrawn: gone from every public output again.
    w.s.post(&w.admin_a, &format!("{path}/withdraw"), None)
        .await
        .want(200);
    assert!(w.public_titles().await.is_empty());
    assert_eq!(w.code("GET", None, &path, None).await, 404);
    assert!(
        !w.text("/feeds/announcements.atom")
            .await
            .contains("DRAFTWORD")
    );
}

async fn bad_input_is_refused_and_nothing_is_stored(backend: Backend) {
    let w = World::new(backend).await;
    let cases = [
        (
            json!({ "unit_id": w.community_a, "kind": "notice", "title": " ", "body": "b" }),
            "missing_field",
        ),
        (
            json!({ "unit_id": w.community_a, "kind": "notice", "title": "t", "body": "" }),
            "missing_field",
        ),
        (
            json!({ "unit_id": w.community_a, "kind": "poster", "title": "t", "body": "b" }),
            "invalid_field",
        ),
        (
            json!({ "unit_id": w.community_a, "kind": "news", "title": "长".repeat(121), "body": "b" }),
            "invalid_field",
        ),
        (
            json!({ "unit_id": 999_999, "kind": "news", "title": "t", "body": "b" }),
            "invalid_field",
        ),
        (json!({ "unit_id": "x" }), "invalid_json"),
    ];
    for (body, code) in cases {
        let (st, v) =
            w.s.post(&w.worker_a, "/api/v1/announcements", Some(&body))
                .await
                .parts();
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (400, Some(code)),
            "{body}"
        );
    }
    for q in ["unit=abc", "kind=poster", "state=secret", "page=x"] {
        let (st, v) = send(
            &w.s,
            "GET",
            None,
            &format!("/api/v1/announcements?{q}"),
            None,
        )
        .await;
        assert_eq!(st, 400, "{q}: {v}");
    }
    assert_eq!(
        w.code("GET", None, "/api/v1/announcements/abc", None).await,
        404
    );
    assert_eq!(
        w.code("GET", None, "/feeds/announcements.atom?unit=999999", None)
            .await,
        404
    );
    assert_eq!(w.drafts(&w.worker_a).await, 0, "nothing half-written");
}

both_dbs!(
    drafts_stay_inside_the_unit_until_published,
    bad_input_is_refused_and_nothing_is_stored
);

/// The feeds as a real feed reader sees them (python feedparser): well-formed, the right
/// version, entries newest first with their links, markup in a title kept as text.
#[tokio::test]
async fn feeds_parse_in_a_real_feed_reader() {
    let Some(python) = crate::common::python_with("feedparser") else {
        return;
    };
    let w = World::new(Backend::Sqlite).await;
    let first = w
        .draft(&w.worker_a, w.community_a, "第一条 <b>&amp;</b>")
        .await;
    let second = w.draft(&w.worker_a, w.community_a, "第二条").await;
    w.draft(&w.worker_a, w.community_a, "未发布的稿件").await;
    for id in [first, second] {
        w.s.post(
            &w.admin_a,
            &format!("/api/v1/announcements/{id}/publish"),
            None,
        )
        .await
        .want(200);
    }
    let script = r#"
import json, sys, urllib.request, feedparser
out = {}
for name in ("atom", "rss"):
    url = sys.argv[1] + "/feeds/announcements." + name + sys.argv[2]
    raw = urllib.request.urlopen(url).read()
    d = feedparser.parse(raw)
    out[name] = {"bozo": bool(d.bozo), "version": d.version,
                 "titles": [e.title for e in d.entries], "links": [e.link for e in d.entries],
                 "self": [l.href for l in d.feed.get("links", []) if l.get("rel") == "self"]}
print(json.dumps(out))
"#;
    for query in ["", &format!("?unit={}", w.street)] {
        let out = run_ok(std::process::Command::new(&python).args(["-c", script, &w.s.url, query]));
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["atom"]["version"], "atom10");
        assert_eq!(v["rss"]["version"], "rss20");
        for name in ["atom", "rss"] {
            let f = &v[name];
            assert_eq!(f["bozo"], false, "{name}: {f}");
            assert_eq!(
                f["titles"],
                json!(["第二条", "第一条 <b>&amp;</b>"]),
                "{name}"
            );
            assert!(
                f["links"][0]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("/news/{second}"))
            );
            assert!(
                f["self"][0]
                    .as_str()
                    .unwrap()
                    .contains("/feeds/announcements."),
                "{name}: {f}"
            );
        }
    }
    // Another community's feed is empty but valid.
    let atom = w
        .text(&format!("/feeds/announcements.atom?unit={}", w.community_b))
        .await;
    assert!(atom.contains("<feed") && !atom.contains("<entry>"));
}
