use crate::common::{Backend, Server, both_dbs, client, each, expect_each, get_html, pay};
use serde_json::{Value, json};
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
    each(&v["hits"])
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

both_dbs!(search_follows_publication_and_finds_pages);
async fn search_follows_publication_and_finds_pages(backend: Backend) {
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

    assert_eq!(
        crate::common::status(
            &s,
            "POST",
            Some(&moderator),
            &format!("/api/v1/documents/{guide}/approve"),
            None
        )
        .await,
        200
    );
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
    let hit = each(&v["hits"])
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
    assert!(each(&v["items"]).any(|i| i["id"] == guide), "{v}");
    let (status, _) = s
        .get_json(None, &format!("/api/v1/documents/{guide}/related"))
        .await;
    assert_eq!(status, 200);

    // A download shows in the public feed.
    assert_eq!(
        crate::common::status(
            &s,
            "GET",
            Some(&moderator),
            &format!("/api/v1/documents/{guide}/download"),
            None
        )
        .await,
        200
    );
    let (_, v) = s.get_json(None, "/api/v1/downloads/recent").await;
    assert_eq!(v["items"][0]["id"], guide);
    let (_, v) = s
        .get_json(None, "/api/v1/search?q=%E7%A4%BE%E5%8C%BA&sort=downloads")
        .await;
    assert_eq!(ids(&v).first(), Some(&guide), "{v}");

    // The search page renders hits that link to their page.
    let html = get_html(&client(), format!("{}/search?q=%E7%A4%BE%E5%8C%BA", s.url)).await;
    assert!(
        html.contains(&format!("/documents/{guide}?show=")),
        "search page links to the page"
    );
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

both_dbs!(search_follows_edit_take_down_and_delete);
async fn search_follows_edit_take_down_and_delete(backend: Backend) {
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
    let take_down = format!("/api/v1/documents/{id}/take-down");
    for (token, reason, want) in [(&member, "x", 403), (&admin, "收到权利人投诉，核实中", 200)]
    {
        let r = post(
            take_down.clone(),
            token,
            serde_json::json!({ "reason": reason }),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), want);
    }
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
    expect_each(
        &s,
        &[
            (
                "DELETE",
                Some(&member),
                &format!("/api/v1/documents/{id}"),
                None,
                403,
            ),
            (
                "DELETE",
                Some(&admin),
                &format!("/api/v1/documents/{id}"),
                None,
                204,
            ),
        ],
    )
    .await;
    let lag = eventually(&s, Some(&admin), "title:修订版", |ids| {
        !ids.contains(&id)
    })
    .await;
    assert!(
        lag < Duration::from_secs(3),
        "{backend:?}: delete took {lag:?}"
    );
    let doc_path = format!("/api/v1/documents/{id}");
    s.expect_statuses(&[
        (Some(&admin), &doc_path, 404),
        (Some(&admin), &format!("{doc_path}/pages/1"), 404),
    ])
    .await;
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

/// A text document of these pages (a form feed starts a page), uploaded with `extra`
/// form fields; returns its id once converted.
pub async fn text_document(
    s: &Server,
    token: &str,
    name: &str,
    pages: &[&str],
    extra: &[(&str, &str)],
) -> i64 {
    let (status, v) = s
        .upload(token, name, pages.join("\u{c}").into_bytes(), extra)
        .await;
    assert_eq!(status, 201, "{v}");
    let id = v["id"].as_i64().unwrap();
    s.wait_converted(token, id, LIMIT).await;
    id
}

async fn hit_for(s: &Server, token: Option<&str>, query: &str, id: i64) -> Value {
    let v = search(s, token, query).await;
    each(&v["hits"])
        .find(|h| h["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("{query}: no hit {id} in {v}"))
}

async fn html(s: &Server, token: Option<&str>, path: &str) -> String {
    let mut r = client().get(format!("{}{path}", s.url));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.unwrap().text().await.unwrap()
}

async fn related_ids(s: &Server, token: Option<&str>, id: i64) -> Vec<i64> {
    let (status, v) = s
        .get_json(token, &format!("/api/v1/documents/{id}/related"))
        .await;
    assert_eq!(status, 200, "{v}");
    each(&v["items"])
        .map(|i| i["id"].as_i64().unwrap())
        .collect()
}

both_dbs!(search_snippets_suggestions_and_related_keep_the_paywall);
async fn search_snippets_suggestions_and_related_keep_the_paywall(backend: Backend) {
    // Page 3 of a paid document previewing 2 pages holds the phrase and a secret sentence.
    const SECRET: &str = "每日三次温水送服";
    let pages = [
        "第一页：社区公告与办事指南。",
        "第二页：窗口办理时间与材料清单。",
        "第三页：独家秘方在此记载，每日三次温水送服，切勿外传。",
    ];
    let s = Server::start(backend).await;
    let [admin, moderator, uploader, member, buyer] = s
        .accounts("admin=admin mod=moderator author reader buyer")
        .await;
    let paid = text_document(
        &s,
        &uploader,
        "paid.txt",
        &pages,
        &[
            ("title", "社区办事汇编"),
            ("description", "汇编简介：三页材料"),
            ("price_kind", "paid"),
            ("price", "3.00"),
            ("preview_pages", "2"),
        ],
    )
    .await;
    // A free document about what only page 3 of the paid one says.
    let other = text_document(
        &s,
        &admin,
        "other.txt",
        &["独家秘方 温水送服 秘方记载 温水送服 秘方"],
        &[("title", "服药提醒")],
    )
    .await;
    for id in [paid, other] {
        let r = s
            .raw(
                "POST",
                Some(&moderator[..]),
                &format!("/api/v1/documents/{id}/approve"),
            )
            .await;
        assert!(r.status() == 200 || r.status() == 409, "{}", r.status());
    }
    let (_, d) = s.get_json(None, &format!("/api/v1/documents/{paid}")).await;
    assert_eq!(d["price_kind"], "paid", "{d}");
    assert_eq!(d["price"], "3.00", "{d}");
    assert_eq!(d["visible_pages"], 2, "{d}");
    let q = "\"独家秘方\"";
    eventually(&s, None, q, |ids| ids.contains(&paid)).await;

    // Stranger and member without purchase: the page number, never its text.
    for token in [None, Some(member.as_str())] {
        let h = hit_for(&s, token, q, paid).await;
        assert_eq!(h["page"], 3, "{backend:?}: {h}");
        assert_eq!(h["locked"], true, "{h}");
        assert_eq!(h["snippet"], "汇编简介：三页材料", "{h}");
        let page = html(
            &s,
            token,
            "/search?q=%22%E7%8B%AC%E5%AE%B6%E7%A7%98%E6%96%B9%22",
        )
        .await;
        assert!(
            page.contains("在第 3 页，购买后可读"),
            "{backend:?}: {page}"
        );
        assert!(
            !page.contains(SECRET) && !page.contains("切勿外传") && !page.contains("此记载"),
            "{page}"
        );
        let doc_page = html(&s, token, &format!("/documents/{paid}")).await;
        assert!(!doc_page.contains(SECRET), "{doc_page}");
        assert!(
            !related_ids(&s, token, paid).await.contains(&other),
            "{backend:?}: related documents are chosen from readable pages only"
        );
        for typed in ["独家秘方", "温水送服", "社区办事"] {
            let (status, v) = s
                .get_json(token, &format!("/api/v1/search/suggest?q={typed}"))
                .await;
            assert_eq!(status, 200);
            assert!(!v.to_string().contains(SECRET), "{v}");
        }
    }
    let (_, v) = s.get_json(None, "/api/v1/search/suggest?q=社区办事").await;
    assert_eq!(v["items"][0]["id"], paid, "titles are suggested: {v}");

    // Buyer and uploader read page 3: its snippet, and related documents from it.
    crate::rights::buy(&s, &admin, "buyer", &buyer, paid).await;
    for token in [&buyer, &uploader, &moderator] {
        let h = hit_for(&s, Some(token), q, paid).await;
        assert_eq!(h["page"], 3, "{h}");
        assert_eq!(h["locked"], false, "{h}");
        let snippet = h["snippet"].as_str().unwrap();
        assert!(snippet.contains("<em>") && snippet.contains(SECRET), "{h}");
        let page = html(
            &s,
            Some(token),
            "/search?q=%22%E7%8B%AC%E5%AE%B6%E7%A7%98%E6%96%B9%22",
        )
        .await;
        assert!(page.contains(SECRET), "{backend:?}: {page}");
        assert!(related_ids(&s, Some(token), paid).await.contains(&other));
    }

    // As a VIP document: members read page 3; the page names what opens it for others.
    assert_eq!(
        crate::common::status(
            &s,
            "PATCH",
            Some(&uploader),
            &format!("/api/v1/documents/{paid}"),
            Some(&json!({"price_kind": "vip"}))
        )
        .await,
        200
    );
    assert_eq!(
        pay::credit(&s, &admin, "reader", "20.00", "t-reader").await,
        201
    );
    let h = hit_for(&s, Some(&member), q, paid).await;
    assert_eq!(h["locked"], true, "{h}");
    let page = html(
        &s,
        Some(&member),
        "/search?q=%22%E7%8B%AC%E5%AE%B6%E7%A7%98%E6%96%B9%22",
    )
    .await;
    assert!(page.contains("在第 3 页，开通 VIP 或购买后可读"), "{page}");
    assert_eq!(pay::buy_vip(&s, &member, "vip").await, 201);
    let h = hit_for(&s, Some(&member), q, paid).await;
    assert_eq!(
        h["locked"], false,
        "{backend:?}: a VIP member reads a VIP document: {h}"
    );
    assert!(h["snippet"].as_str().unwrap().contains(SECRET), "{h}");
    assert_eq!(hit_for(&s, None, q, paid).await["locked"], true);
}

both_dbs!(related_documents_survive_edits_take_downs_and_restores);
async fn related_documents_survive_edits_take_downs_and_restores(backend: Backend) {
    let mut s = Server::start(backend).await;
    let admin = s.user_token("admin", "admin").await;
    let mut ids = Vec::new();
    for i in 0..4 {
        let text = format!("社区养老 助餐服务 日间照料 社区养老 志愿服务 第{i}号");
        ids.push(text_document(&s, &admin, &format!("care{i}.txt"), &[&text], &[]).await);
    }
    eventually(&s, None, "日间照料", |found| {
        ids.iter().all(|id| found.contains(id))
    })
    .await;
    // A rebuild puts them in one segment (as at start-up after an upgrade); from then
    // on every edit re-indexes a document and leaves its old entry there, deleted.
    s.kill();
    s.run_cli(&["reindex"], None);
    s.spawn();
    for round in 0..3 {
        for id in &ids {
            assert_eq!(
                crate::common::status(
                    &s,
                    "PATCH",
                    Some(&admin),
                    &format!("/api/v1/documents/{id}"),
                    Some(&json!({"title": format!("社区养老服务 {id}-{round}")}))
                )
                .await,
                200
            );
        }
    }
    let (down, up) = (ids[0], ids[1]);
    for (path, body) in [
        (
            format!("/api/v1/documents/{down}/take-down"),
            json!({"reason": "核实中"}),
        ),
        (
            format!("/api/v1/documents/{up}/take-down"),
            json!({"reason": "核实中"}),
        ),
        (format!("/api/v1/documents/{up}/restore"), json!({})),
    ] {
        let r = client()
            .post(format!("{}{path}", s.url))
            .bearer_auth(&admin)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    eventually(&s, Some(&admin), "日间照料", |found| {
        !found.contains(&down) && found.contains(&up)
    })
    .await;
    for id in &ids {
        let (status, v) = s
            .get_json(Some(&admin), &format!("/api/v1/documents/{id}/related"))
            .await;
        assert_eq!(status, 200, "{backend:?}: related of {id}: {v}");
        assert!(!v.to_string().contains(&format!("\"id\":{down}")), "{v}");
    }
    let page = html(&s, None, &format!("/documents/{up}")).await;
    assert!(!page.contains("related-unavailable"), "{page}");
    assert!(
        page.contains(&format!("/documents/{}", ids[2])),
        "{backend:?}: {page}"
    );
}
