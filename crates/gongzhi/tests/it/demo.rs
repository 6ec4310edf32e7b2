//! The README's first command gives a living site: demo accounts, categories, sample
//! documents in every format converted and published, and the demo district.

use crate::common::{Backend, Server, client, each, get_html};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[tokio::test]
async fn serve_demo_gives_a_living_site() {
    let s = Server::start_demo(Backend::Sqlite, "demo-pass-1").await;
    let r = client()
        .post(format!("{}/api/v1/auth/login", s.url))
        .json(&json!({"username": "admin", "password": "demo-pass-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the printed demo admin can sign in");
    let start = Instant::now();
    loop {
        let (_, v) = s.get_json(None, "/api/v1/documents?per_page=100").await;
        let published = v["items"].as_array().map(|a| a.len()).unwrap_or(0);
        if published >= 20 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "only {published} demo documents published: {v}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Publicity: at least five published announcements, and a draft waiting for review.
    let (_, v) = s.get_json(None, "/api/v1/announcements").await;
    assert!(v["total"].as_i64().unwrap() >= 5, "demo announcements: {v}");
    let (_, v) = s.get_json(None, "/api/v1/announcements?per_page=100").await;
    assert!(each(&v["items"]).all(|a| a["state"] == "published"));
    // Money features are on show: paid and VIP documents, and the test payment channel.
    let (_, v) = s.get_json(None, "/api/v1/documents?per_page=100").await;
    let kinds: Vec<&str> = each(&v["items"])
        .filter_map(|d| d["price_kind"].as_str())
        .collect();
    assert!(
        kinds.contains(&"paid") && kinds.contains(&"vip") && kinds.contains(&"free"),
        "{kinds:?}"
    );
    let reader = s.login_with("reader", "demo-pass-1").await;
    let (status, providers) = s
        .get_json(Some(&reader), "/api/v1/payments/providers")
        .await;
    assert_eq!(status, 200);
    assert_eq!(providers["items"][0]["name"], "sandbox", "{providers}");
    assert!(
        providers["items"][0]["label"]
            .as_str()
            .unwrap()
            .contains("测试"),
        "{providers}"
    );
    let (_, cats) = s.get_json(None, "/api/v1/categories").await;
    assert!(cats["items"].as_array().unwrap().len() >= 8);
    let (status, hsds): (u16, Value) = s.get_json(None, "/hsds/organizations?per_page=1").await;
    assert_eq!(status, 200);
    assert!(
        hsds["total_items"].as_i64().unwrap_or(0) >= 300,
        "the demo district: {hsds}"
    );
    // The district's oversight data: reports (some overdue), grades (some lapsed), org staff.
    let admin = s.login_with("admin", "demo-pass-1").await;
    let (_, st) = s.get_json(Some(&admin), "/api/v1/gov/stats").await;
    assert!(st["overdue_reports"].as_i64().unwrap_or(0) > 0, "{st}");
    assert!(st["grades"]["expired"].as_i64().unwrap_or(0) > 0, "{st}");
    assert!(each(&st["grades"]["valid"]).any(|g| g.as_i64() > Some(0)));
    // The centre's demo: cases taken through to closure by their lead units, and Open311
    // publishing only the approved texts of accepted cases in the public categories.
    let (_, closed) = s.get_json(Some(&admin), "/api/v1/cases?state=closed").await;
    assert!(closed["total"].as_i64().unwrap_or(0) > 0, "{closed}");
    let (status, published) = s.get_json(None, "/open311/v2/requests.json").await;
    assert_eq!(status, 200);
    let published = published.as_array().unwrap();
    assert!(!published.is_empty(), "the demo publishes some cases");
    for r in published {
        let text = r["description"].as_str().unwrap();
        assert!(text.contains("已受理"), "only approved texts: {r}");
        assert!(r["lat"].is_null(), "{r}");
    }
    // The district's map: its streets drawn from the demo's schematic shapes, said to be so.
    let district = s.login_with("gov_district", "demo-pass-1").await;
    let overview = crate::common::page_text(&s, &district, "/overview").await;
    assert!(overview.contains("area-map"), "the demo has a map");
    assert!(
        overview.contains("示意边界"),
        "the shapes are said to be schematic"
    );
    assert!(
        !overview.to_lowercase().contains("schematic"),
        "the Chinese page says it in Chinese only"
    );
    let org_staff = s.login_with("gov_org1", "demo-pass-1").await;
    let (status, me) = s.get_json(Some(&org_staff), "/api/v1/gov/me").await;
    assert_eq!(status, 200, "{me}");
    assert!(me["organisations"][0]["org_id"].is_i64(), "{me}");
    let home = get_html(&client(), format!("{}/", s.url)).await;
    assert!(
        home.contains("/documents/"),
        "the home page lists documents"
    );
}

/// `serve --demo` again on a data dir that has accounts says it seeds nothing.
#[tokio::test]
async fn serve_demo_on_old_data_says_it_seeds_nothing() {
    use std::io::{BufRead, BufReader};
    let mut s = Server::start(Backend::Sqlite).await;
    s.add_user("someone", "member");
    s.kill();
    let mut child = std::process::Command::new(crate::common::BIN)
        .arg("--data-dir")
        .arg(s.data.path())
        .args(["serve", "--addr", "127.0.0.1:0", "--demo"])
        .env_remove("DATABASE_URL")
        .env_remove("GONGZHI_PAYMENT_SANDBOX_SECRET")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut said = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        let done = line.contains("listening on");
        said.push(line);
        if done {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let said = said.join("\n");
    assert!(said.contains("seeds nothing"), "{said}");
    assert!(!said.contains("Demo accounts"), "{said}");
}
