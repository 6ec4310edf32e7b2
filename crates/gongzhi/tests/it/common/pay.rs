//! Money calls many library tests make: they carry an `Idempotency-Key`, as a real client's
//! retries must.

use super::{Server, answer, client};
use serde_json::{Value, json};

/// A POST with an idempotency key (and a JSON body if any); the status and the body.
pub async fn post_once(
    s: &Server,
    token: &str,
    path: &str,
    key: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut r = client()
        .post(format!("{}{path}", s.url))
        .bearer_auth(token)
        .header("Idempotency-Key", key);
    if let Some(b) = body {
        r = r.json(b);
    }
    answer(r.send().await.expect("request")).await
}

/// Buys document `id` as the bearer of `token`; the status.
pub async fn purchase(s: &Server, token: &str, id: i64, key: &str) -> u16 {
    let path = format!("/api/v1/documents/{id}/purchase");
    post_once(s, token, &path, key, None).await.0
}

/// Buys the VIP plan listed first, as the bearer of `token`; the status.
pub async fn buy_vip(s: &Server, token: &str, key: &str) -> u16 {
    let plans = s.get_json(None, "/api/v1/vip/plans").await.1;
    let path = format!("/api/v1/vip/plans/{}/buy", plans["items"][0]["id"]);
    post_once(s, token, &path, key, None).await.0
}

/// An operator (`admin`) credits `amount` yuan to `who`'s wallet; the status.
pub async fn credit(s: &Server, admin: &str, who: &str, amount: &str, key: &str) -> u16 {
    let body = json!({"username": who, "amount": amount});
    post_once(s, admin, "/api/v1/admin/topups", key, Some(&body))
        .await
        .0
}
