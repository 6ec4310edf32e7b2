//! Calls to the governance centre (cases) that many tests make to set up what they test.

use super::{Server, send, send_expect};
use serde_json::{Value, json};

/// Creates a case category (as the bearer of `token`, an administrator).
pub async fn category(s: &Server, token: &str, body: Value) {
    send_expect(
        s,
        "POST",
        Some(token),
        "/api/v1/cases/categories",
        Some(&body),
        201,
    )
    .await;
}

/// The category most tests file under: noise, routed to the community of the place.
pub async fn noise_category(s: &Server, token: &str) {
    let body = json!({ "code": "noise", "name": "噪声扰民", "route_kind": "community" });
    category(s, token, body).await;
}

/// A noise case at `place` filed by the bearer of `token`; the case as answered.
pub async fn report(s: &Server, token: &str, place: i64, description: &str) -> Value {
    let body = json!({ "category": "noise", "place_unit_id": place, "description": description });
    send_expect(s, "POST", Some(token), "/api/v1/cases", Some(&body), 201).await
}

/// Takes one step (`{"action": …}`) on case `id` as the bearer of `token`; status and body.
pub async fn act(s: &Server, token: &str, id: i64, body: &Value) -> (u16, Value) {
    let path = format!("/api/v1/cases/{id}/actions");
    send(s, "POST", Some(token), &path, Some(body)).await
}

/// Takes the steps `steps` (`accept`, `dispatch`, …) on case `id` as the bearer of `token`,
/// each answered with 200.
pub async fn steps(s: &Server, token: &str, id: i64, steps: &[&str]) {
    let path = format!("/api/v1/cases/{id}/actions");
    for step in steps {
        let body = json!({ "action": step });
        send_expect(s, "POST", Some(token), &path, Some(&body), 200).await;
    }
}

/// Takes the steps of a table on case `id` in order, each `(token, status, step)`: the
/// bearer of `token` posts `step` (`{"action": …}`) and must be answered with `status`.
/// The last answer.
pub async fn walk(s: &Server, id: i64, table: &[(&str, u16, Value)]) -> Value {
    let mut last = Value::Null;
    for (token, status, step) in table {
        let (got, v) = act(s, token, id, step).await;
        assert_eq!(got, *status, "case {id}, {step}: {v}");
        last = v;
    }
    last
}

/// A noise case at `place` reported by `resident`, accepted and dispatched by `centre`; its id.
pub async fn dispatched(s: &Server, resident: &str, centre: &str, place: i64, text: &str) -> i64 {
    let id = report(s, resident, place, text).await["id"]
        .as_i64()
        .unwrap();
    steps(s, centre, id, &["accept", "dispatch"]).await;
    id
}
