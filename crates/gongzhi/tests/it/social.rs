//! Readers: comments with moderation, ratings that feed the quality score behind
//! contributor rewards, favourites, and reading progress synced across devices for VIP
//! members — on every backend.

use crate::common::{Backend, Server, both_dbs, client, each, pay, set_price};
use crate::rights::{post, send};
use serde_json::json;

both_dbs!(comments_ratings_favourites_and_synced_progress);
async fn comments_ratings_favourites_and_synced_progress(backend: Backend) {
    let s = Server::start(backend).await;
    let [admin, moderator, author] = s.accounts("admin=admin mod=moderator author").await;
    let readers = [
        s.user_token("reader1", "member").await,
        s.user_token("reader2", "member").await,
        s.user_token("reader3", "member").await,
    ];
    let id = s
        .published(&author, &moderator, "service-hotline-faq.txt")
        .await;
    let path = format!("/api/v1/documents/{id}/comments");

    // Comments: signed in, not empty; the uploader hears of them.
    assert_eq!(
        post(&s, None, &path, json!({"body": "写得很清楚"})).await.0,
        401
    );
    assert_eq!(
        post(&s, Some(&readers[0]), &path, json!({"body": "  "}))
            .await
            .0,
        400
    );
    let (st, v) = post(
        &s,
        Some(&readers[0]),
        &path,
        json!({"body": "热线的分类很实用，谢谢整理。"}),
    )
    .await;
    assert_eq!(st, 201, "{backend:?}: {v}");
    let first = v["comment"]["id"].as_i64().unwrap();
    assert_eq!(v["comment"]["state"], "visible");
    let (_, n) = s.get_json(Some(&author), "/api/v1/me/notifications").await;
    assert_eq!(n["items"][0]["kind"], "comment");

    // Pre-moderation (an operator setting): new comments wait for a moderator.
    let r = client()
        .put(format!("{}/api/v1/admin/library-settings", s.url))
        .bearer_auth(&admin)
        .json(&json!({"takedown_on_complaint": true, "report_hide_threshold": 3, "comments_premoderated": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (_, v) = post(
        &s,
        Some(&readers[1]),
        &path,
        json!({"body": "第二页的电话号码好像有误。"}),
    )
    .await;
    assert_eq!(v["comment"]["state"], "pending");
    let pending = v["comment"]["id"].as_i64().unwrap();
    let (_, list) = s.get_json(None, &path).await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        1,
        "pending comments are not public"
    );
    let (_, list) = s.get_json(Some(&readers[1]), &path).await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        2,
        "their author sees them"
    );
    assert_eq!(
        s.status_of(Some(&readers[0]), "/api/v1/comments").await,
        403
    );
    let (_, q) = s.get_json(Some(&moderator), "/api/v1/comments").await;
    assert_eq!(
        q["items"][0]["id"], pending,
        "pending comments head the queue"
    );
    assert_eq!(
        post(
            &s,
            Some(&readers[0]),
            &format!("/api/v1/comments/{pending}/show"),
            json!({})
        )
        .await
        .0,
        403
    );
    assert_eq!(
        post(
            &s,
            Some(&moderator),
            &format!("/api/v1/comments/{pending}/show"),
            json!({})
        )
        .await
        .0,
        200
    );
    assert_eq!(
        post(
            &s,
            Some(&moderator),
            &format!("/api/v1/comments/{first}/hide"),
            json!({})
        )
        .await
        .0,
        200
    );
    let (_, list) = s.get_json(None, &path).await;
    let ids: Vec<i64> = each(&list["items"])
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![pending]);
    let (_, n) = s
        .get_json(Some(&readers[0]), "/api/v1/me/notifications")
        .await;
    assert_eq!(n["items"][0]["kind"], "comment_hidden");

    // Ratings: 1–5, one per reader (a second replaces the first), never one's own.
    let rate = |token: String, stars: i64| {
        let url = format!("{}/api/v1/documents/{id}/rating", s.url);
        async move {
            send(
                client()
                    .put(url)
                    .bearer_auth(token)
                    .json(&json!({"stars": stars})),
            )
            .await
        }
    };
    assert_eq!(rate(author.clone(), 5).await.0, 403);
    assert_eq!(rate(readers[0].clone(), 6).await.0, 400);
    for r in &readers {
        assert_eq!(rate(r.clone(), 5).await.0, 200);
    }
    let (st, v) = rate(readers[0].clone(), 4).await;
    assert_eq!(st, 200);
    assert_eq!(v["rating"]["count"], 3);
    assert_eq!(v["rating"]["average"], 4.6);
    assert_eq!(v["rating"]["mine"], 4);
    // The reader signal feeds the quality score: 300 分 × 400‰ (shared, paid) × (800‰
    // for quality 3 + (14 − 9) × 50 / 3 = 83‰ from readers) = 105 分.
    set_price(&s, &author, id, "paid", "3.00").await;
    let buyer = s.user_token("buyer", "member").await;
    for (who, key) in [("buyer", "t1"), ("reader2", "t2")] {
        assert_eq!(pay::credit(&s, &admin, who, "30.00", key).await, 201);
    }
    assert_eq!(pay::purchase(&s, &buyer, id, "p1").await, 201);
    let (_, e) = s.get_json(Some(&author), "/api/v1/me/earnings").await;
    assert_eq!(e["earnings"]["total"], 105, "{backend:?}: {e}");

    // Favourites.
    let fav = client()
        .put(format!("{}/api/v1/documents/{id}/favourite", s.url))
        .json(&json!({}));
    assert_eq!(send(fav).await.0, 401);
    let fav = client()
        .put(format!("{}/api/v1/documents/{id}/favourite", s.url))
        .bearer_auth(&readers[1]);
    assert_eq!(send(fav).await.0, 200);
    let (_, f) = s.get_json(Some(&readers[1]), "/api/v1/me/favourites").await;
    assert_eq!(f["items"][0]["document_id"], id);

    // Reading progress on every device: a VIP benefit.
    let (_, d) = s
        .get_json(Some(&readers[1]), &format!("/api/v1/documents/{id}"))
        .await;
    let last = d["visible_pages"].as_i64().unwrap();
    assert!(last >= 1);
    let save = |token: String, page: i64, device: &'static str| {
        let url = format!("{}/api/v1/me/progress/{id}", s.url);
        async move {
            send(
                client()
                    .put(url)
                    .bearer_auth(token)
                    .json(&json!({"page": page, "device": device})),
            )
            .await
        }
    };
    let (st, v) = save(readers[1].clone(), 1, "phone").await;
    assert_eq!(st, 403, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("VIP"));
    assert_eq!(pay::buy_vip(&s, &readers[1], "vip").await, 201);
    assert_eq!(
        save(readers[1].clone(), 9999, "phone").await.0,
        404,
        "no such page"
    );
    let (st, v) = save(readers[1].clone(), last, "phone").await;
    assert_eq!(st, 200, "{backend:?}: {v}");
    // Another device: a fresh sign-in of the same reader picks up the place.
    let laptop = s.login("reader2").await;
    let (_, p) = s.get_json(Some(&laptop), "/api/v1/me/progress").await;
    assert_eq!(p["items"][0]["page"], last);
    assert_eq!(p["items"][0]["device"], "phone");
    let (_, f) = s.get_json(Some(&laptop), "/api/v1/me/favourites").await;
    assert_eq!(f["items"][0]["last_page"], last);
    let unfav = client()
        .delete(format!("{}/api/v1/documents/{id}/favourite", s.url))
        .bearer_auth(&laptop);
    assert_eq!(send(unfav).await.0, 200);
    let (_, f) = s.get_json(Some(&readers[1]), "/api/v1/me/favourites").await;
    assert!(f["items"].as_array().unwrap().is_empty());
}
