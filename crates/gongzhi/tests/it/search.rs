use crate::common::{Backend, Server, backends, client};
use serde_json::Value;
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(120);

async fn search(s: &Server, token: Option<&str>, query: &str) -> Value {
    let mut r = client()
        .get(format!("{}/api/v1/search", s.url))
        .query(&[("q", query)]);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().await.unwrap();
    assert_eq!(r.status(), 200, "search {query}");
    r.json().await.unwrap()
}

fn ids(v: &Value) -> Vec<i64> {
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_i64().unwrap())
        .collect()
}

/// Polls until `cond` holds for the search results of `query` (the index follows the
/// database through the event log; the promise is within a second).
async fn eventually(
    s: &Server,
    token: Option<&str>,
    query: &str,
    cond: impl Fn(&[i64]) -> bool,
) -> Duration {
    let start = Instant::now();
    loop {
        let v = search(s, token, query).await;
        if cond(&ids(&v)) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "index never followed for {query}: {v}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn search_follows_publication_and_finds_pages() {
    for backend in backends().await {
        let s = Server::start(backend).await;
        let member = s.user_token("writer", "member").await;
        let moderator = s.user_token("mod", "moderator").await;

        let bytes = std::fs::read(
            crate::common::fixtures().join("documents/yunxiu-community-service-guide.pdf"),
        )
        .unwrap();
        let (status, v) = s
            .upload(
                &member,
                "guide.pdf",
                bytes,
                &[("title", "云岫区社区服务指南"), ("tags", "便民,办事")],
            )
            .await;
        assert_eq!(status, 201, "{v}");
        let guide = v["id"].as_i64().unwrap();
        let doc = s.wait_converted(&member, guide, LIMIT).await;
        assert_eq!(doc["status"], "pending_review");
        // Pending documents are never returned, not even to their uploader.
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert!(
            ids(&search(&s, Some(&member), "社区服务指南").await).is_empty(),
            "{backend:?}: pending is hidden"
        );

        let r = client()
            .post(format!("{}/api/v1/documents/{guide}/approve", s.url))
            .bearer_auth(&moderator)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let lag = eventually(&s, None, "社区服务指南", |ids| ids.contains(&guide)).await;
        assert!(
            lag < Duration::from_secs(3),
            "{backend:?}: published → searchable took {lag:?}"
        );

        // Words deep inside the document: the hit says on which page, and the snippet marks them.
        let pool = s.db().await;
        let (n, text): (i64, String) = sqlx::query_as(
            "SELECT n, text FROM library_pages WHERE document_id = $1 AND n > 3 ORDER BY n LIMIT 1",
        )
        .bind(guide)
        .fetch_one(&pool)
        .await
        .unwrap();
        let word: String = platform_words(&text);
        let v = search(&s, None, &format!("\"{word}\"")).await;
        let hit = v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["id"] == guide)
            .unwrap_or_else(|| panic!("{word}: {v}"));
        assert!(hit["page"].as_i64().unwrap() <= n, "{hit}");
        assert!(hit["snippet"].as_str().unwrap().contains("<em>"), "{hit}");

        // Traditional characters find the simplified text.
        assert!(
            ids(&search(&s, None, "社區服務").await).contains(&guide),
            "{backend:?}: traditional → simplified"
        );

        // Filters, field search and bad parameters.
        let (status, v) = s
            .get_json(
                None,
                "/api/v1/search?q=%E7%A4%BE%E5%8C%BA&format=pdf&sort=newest",
            )
            .await;
        assert_eq!(status, 200, "{v}");
        assert!(ids(&v).contains(&guide));
        let (_, v) = s
            .get_json(None, "/api/v1/search?q=%E7%A4%BE%E5%8C%BA&format=docx")
            .await;
        assert!(!ids(&v).contains(&guide));
        let (status, _) = s.get_json(None, "/api/v1/search?q=x&sort=sideways").await;
        assert_eq!(status, 400);
        let (status, _) = s.get_json(None, "/api/v1/search?q=x&per_page=1000").await;
        assert_eq!(status, 400);
        let long = "长".repeat(300);
        let r = client()
            .get(format!("{}/api/v1/search", s.url))
            .query(&[("q", long.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        // Field search is VIP benefit 4: members of staff and VIP members only.
        for (token, expected) in [(None, 401), (Some(member.as_str()), 403)] {
            let mut r = client()
                .get(format!("{}/api/v1/search", s.url))
                .query(&[("q", "title:指南")]);
            if let Some(t) = token {
                r = r.bearer_auth(t);
            }
            assert_eq!(r.send().await.unwrap().status(), expected);
        }
        let staff = Some(moderator.as_str());
        assert!(ids(&search(&s, staff, "title:指南 uploader:writer").await).contains(&guide));
        assert!(ids(&search(&s, staff, "title:指南 uploader:somebody").await).is_empty());
        assert!(ids(&search(&s, staff, "tag:便民").await).contains(&guide));
        assert!(
            ids(&search(&s, None, "社区 -云岫").await)
                .iter()
                .all(|i| *i != guide),
            "excluded word"
        );

        // Suggestions and related documents.
        let (_, v) = s
            .get_json(None, "/api/v1/search/suggest?q=%E4%BA%91%E5%B2%AB")
            .await;
        assert!(
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["id"] == guide),
            "{v}"
        );
        let (status, _) = s
            .get_json(None, &format!("/api/v1/documents/{guide}/related"))
            .await;
        assert_eq!(status, 200);

        // A download shows in the public feed.
        let r = client()
            .get(format!("{}/api/v1/documents/{guide}/download", s.url))
            .bearer_auth(&moderator)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let (_, v) = s.get_json(None, "/api/v1/downloads/recent").await;
        assert_eq!(v["items"][0]["id"], guide);
        let (_, v) = s
            .get_json(None, "/api/v1/search?q=%E7%A4%BE%E5%8C%BA&sort=downloads")
            .await;
        assert_eq!(ids(&v).first(), Some(&guide), "{v}");

        // The search page renders hits that link to their page.
        let html = client()
            .get(format!("{}/search?q=%E7%A4%BE%E5%8C%BA", s.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            html.contains(&format!("/documents/{guide}?show=")),
            "search page links to the page"
        );
    }
}

/// A short word sequence from the page's own text to search for.
fn platform_words(text: &str) -> String {
    let chars: Vec<char> = text
        .chars()
        .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
        .collect();
    chars.iter().skip(chars.len() / 2).take(4).collect()
}

#[tokio::test]
async fn index_is_rebuilt_after_deletion() {
    let mut s = Server::start(Backend::Sqlite).await;
    let admin = s.user_token("admin", "admin").await;
    let id = s
        .upload_fixture(&admin, "documents/service-hotline-faq.txt")
        .await;
    s.wait_converted(&admin, id, LIMIT).await;
    eventually(&s, None, "热线", |ids| ids.contains(&id)).await;

    s.kill();
    std::fs::remove_dir_all(s.data.path().join("index")).unwrap();
    s.spawn();
    let v = search(&s, None, "热线").await;
    assert!(ids(&v).contains(&id), "rebuilt at start: {v}");

    // And on demand, with the server stopped.
    s.kill();
    std::fs::write(s.data.path().join("index/library/meta.json"), b"{ not json").unwrap();
    let out = s.run_cli(&["reindex"], None);
    assert!(out.contains("indexed 1"), "{out}");
    s.spawn();
    assert!(ids(&search(&s, None, "热线").await).contains(&id));
}

#[tokio::test]
async fn search_follows_edit_take_down_and_delete() {
    for backend in backends().await {
        let s = Server::start(backend).await;
        let admin = s.user_token("admin", "admin").await;
        let member = s.user_token("reader", "member").await;
        let id = s
            .upload_fixture(&admin, "documents/wanghu-residents-convention.txt")
            .await;
        s.wait_converted(&admin, id, LIMIT).await;
        eventually(&s, None, "公约", |ids| ids.contains(&id)).await;

        // Edit: a new title is searchable, the old one is gone.
        let patch = |token: &str, body: serde_json::Value| {
            client()
                .patch(format!("{}/api/v1/documents/{id}", s.url))
                .bearer_auth(token)
                .json(&body)
                .send()
        };
        let r = patch(&member, serde_json::json!({"title": "别人的标题"}))
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "only the uploader or staff edit");
        let r = patch(&admin, serde_json::json!({"title": ""}))
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let r = patch(
            &admin,
            serde_json::json!({"title": "邻里守则修订版", "tags": ["守则", "邻里"]}),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 200);
        let lag = eventually(&s, Some(&admin), "title:修订版", |ids| ids.contains(&id)).await;
        assert!(
            lag < Duration::from_secs(3),
            "{backend:?}: edit took {lag:?}"
        );
        assert!(ids(&search(&s, Some(&admin), "tag:守则").await).contains(&id));

        // Take-down hides it; restore brings it back.
        let post = |path: String, token: &str, body: serde_json::Value| {
            client()
                .post(format!("{}{path}", s.url))
                .bearer_auth(token)
                .json(&body)
                .send()
        };
        let r = post(
            format!("/api/v1/documents/{id}/take-down"),
            &member,
            serde_json::json!({"reason": "x"}),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 403);
        let r = post(
            format!("/api/v1/documents/{id}/take-down"),
            &admin,
            serde_json::json!({"reason": "收到权利人投诉，核实中"}),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 200);
        let lag = eventually(&s, Some(&admin), "title:修订版", |ids| {
            !ids.contains(&id)
        })
        .await;
        assert!(
            lag < Duration::from_secs(3),
            "{backend:?}: take-down took {lag:?}"
        );
        assert_eq!(
            s.status_of(None, &format!("/api/v1/documents/{id}")).await,
            404,
            "hidden from the public"
        );
        let (_, mine) = s
            .get_json(Some(&admin), &format!("/api/v1/documents/{id}"))
            .await;
        assert_eq!(mine["takedown_reason"], "收到权利人投诉，核实中");
        let r = post(
            format!("/api/v1/documents/{id}/restore"),
            &admin,
            serde_json::json!({}),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 200);
        eventually(&s, Some(&admin), "title:修订版", |ids| ids.contains(&id)).await;

        // Delete removes it everywhere.
        let r = client()
            .delete(format!("{}/api/v1/documents/{id}", s.url))
            .bearer_auth(&member)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let r = client()
            .delete(format!("{}/api/v1/documents/{id}", s.url))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
        let lag = eventually(&s, Some(&admin), "title:修订版", |ids| {
            !ids.contains(&id)
        })
        .await;
        assert!(
            lag < Duration::from_secs(3),
            "{backend:?}: delete took {lag:?}"
        );
        assert_eq!(
            s.status_of(Some(&admin), &format!("/api/v1/documents/{id}"))
                .await,
            404
        );
        assert_eq!(
            s.status_of(Some(&admin), &format!("/api/v1/documents/{id}/pages/1"))
                .await,
            404
        );
        if backend == Backend::Sqlite {
            let dir = s.data.path().join(format!("files/pages/{id}"));
            let left: Vec<_> = std::fs::read_dir(&dir)
                .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
                .unwrap_or_default();
            assert!(left.is_empty(), "page images removed: {left:?}");
        }
        let out = s.run_cli(&["audit-check"], None);
        assert!(out.contains("intact"), "{out}");
    }
}
