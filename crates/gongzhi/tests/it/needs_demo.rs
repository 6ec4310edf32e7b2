//! The demo has the needs module on show (issue 14): an active service in every category,
//! at least 30 needs in various states with referrals in every state, the demo accounts,
//! two calls with an awarded contract and a paid instalment in the open data.

use crate::common::{Backend, Server, client, each};
use serde_json::{Value, json};
use std::collections::BTreeSet;

#[tokio::test]
async fn demo_shows_needs_referrals_and_projects() {
    let s = Server::start_demo(Backend::Sqlite, "demo-pass-1").await;
    let login = |user: &'static str| {
        let url = s.url.clone();
        async move {
            let r = client()
                .post(format!("{url}/api/v1/auth/login"))
                .json(&json!({ "username": user, "password": "demo-pass-1" }))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{user} signs in");
            r.json::<Value>().await.unwrap()["token"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let admin = login("admin").await;
    let (_, cats) = s
        .get_json(Some(&admin), "/api/v1/gov/service-categories")
        .await;
    let db = s.db().await;
    for c in cats["items"].as_array().unwrap() {
        let code = c["code"].as_str().unwrap();
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM governance_services s JOIN governance_service_terms st ON st.service_id = s.id \
             JOIN governance_taxonomy_terms t ON t.id = st.term_id WHERE t.code = $1 AND s.status = 'active'",
        )
        .bind(code)
        .fetch_one(&db)
        .await
        .unwrap();
        assert!(n > 0, "no active service in {code}");
    }
    let (_, v) = s.get_json(Some(&admin), "/api/v1/needs?per_page=200").await;
    assert!(v["total"].as_i64().unwrap() >= 30, "{v}");
    let states: BTreeSet<&str> = each(&v["items"])
        .map(|n| n["state"].as_str().unwrap())
        .collect();
    assert!(
        states.is_superset(&BTreeSet::from(["open", "referred", "met", "unmet"])),
        "{states:?}"
    );
    let rows: Vec<(String,)> = sqlx::query_as("SELECT DISTINCT state FROM needs_referrals")
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 8, "referrals in every state: {rows:?}");
    let worker = login("needs_worker").await;
    let (_, mine) = s.get_json(Some(&worker), "/api/v1/needs").await;
    assert!(mine["total"].as_i64().unwrap() > 0);
    login("needs_provider").await;
    let pkg: Value = client()
        .get(format!("{}/ocds/releases.json", s.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let releases = pkg["releases"].as_array().unwrap();
    assert!(releases.len() >= 2);
    let paid = releases
        .iter()
        .filter_map(|r| r["contracts"].as_array())
        .flatten()
        .map(|k| {
            k["implementation"]["transactions"]
                .as_array()
                .map_or(0, |t| t.len())
        })
        .sum::<usize>();
    assert_eq!(paid, 1, "one instalment paid");
}
