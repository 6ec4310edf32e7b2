//! The library copy of the public register (issue 15, ADR 027): a replied proposal with
//! its proposer's consent becomes a published library document that the library's search
//! finds with the reply's words; without consent, or after consent is withdrawn, the
//! library and its search know nothing of it — on both databases.

use crate::common::{Backend, both_dbs, client, each};
use crate::consult::World;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

async fn titles(w: &World, token: Option<&str>, query: &str) -> Vec<String> {
    let mut r = client()
        .get(format!("{}/api/v1/search", w.s.url))
        .query(&[("q", query)]);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().await.unwrap();
    assert_eq!(r.status(), 200, "search {query}");
    let v: Value = r.json().await.unwrap();
    each(&v["hits"])
        .map(|h| h["title"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Waits until the search for `query` does (or does not) list a title containing `title`.
async fn until_listed(w: &World, query: &str, title: &str, listed: bool) {
    let start = Instant::now();
    loop {
        let found = titles(w, None, query).await;
        if found.iter().any(|t| t.contains(title)) == listed {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "{query}: {title} listed={listed} never held: {found:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn replied(w: &World, title: &str, reply: &str) -> i64 {
    let id = w.assigned(title).await;
    w.act(&w.lead, id, json!({"action": "sign"}), 200).await;
    w.reply_formally(id, reply, "A").await;
    id
}

both_dbs!(published_proposals_reach_the_library_and_leave_it_with_consent);
async fn published_proposals_reach_the_library_and_leave_it_with_consent(backend: Backend) {
    let w = World::new(backend).await;
    let consent = |publish: bool| json!({"action": "consent", "publish": publish});
    // Consent given before the reply: nothing is public until the formal reply.
    let lift = w.assigned("关于老旧小区加装电梯的提案").await;
    w.act(&w.m1, lift, consent(true), 200).await;
    w.act(&w.lead, lift, json!({"action": "sign"}), 200).await;
    // Replied without consent.
    let quiet = replied(
        &w,
        "关于萤火虫栖息地保护的提案",
        "萤火虫栖息地保护已纳入湿地公园规划，明年开工。",
    )
    .await;
    w.reply_formally(
        lift,
        "电梯补贴试点方案已列入明年计划，区财政补贴三成。",
        "A",
    )
    .await;

    until_listed(&w, "电梯补贴试点", "加装电梯", true).await;
    let hits = titles(&w, Some(&w.outsider), "电梯补贴试点").await;
    assert!(
        hits.iter().any(|t| t.contains("提案答复")),
        "the copy is named as a reply: {hits:?}"
    );
    // The unconsented proposal's job ran before or alongside: its words are nowhere.
    tokio::time::sleep(Duration::from_millis(800)).await;
    for who in [None, Some(w.admin.as_str()), Some(w.m1.as_str())] {
        let found = titles(&w, who, "萤火虫栖息地").await;
        assert!(
            !found.iter().any(|t| t.contains("萤火虫")),
            "unpublished proposal in search: {found:?}"
        );
    }

    // Withdrawing consent takes the document out of the library and its search.
    w.act(&w.m1, lift, consent(false), 200).await;
    until_listed(&w, "电梯补贴试点", "加装电梯", false).await;
    // Consent given after the reply publishes at once.
    w.act(&w.m1, quiet, consent(true), 200).await;
    until_listed(&w, "萤火虫栖息地", "萤火虫", true).await;
}
