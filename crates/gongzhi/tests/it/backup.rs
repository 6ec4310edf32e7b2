//! Backups (issue 17): `gongzhi backup DIR` while the server runs, `gongzhi restore DIR` into
//! an empty data dir or database, and the restored server serves the same documents, pages,
//! search, money and audit log — on both backends. What is refused: a non-empty backup
//! folder, a folder that is not a finished backup, a restore into a data dir or database
//! that is not empty.

use crate::common::s3::{self, S3Server};
use crate::common::{Backend, Server, both_dbs, client, send_expect};
use crate::money::topup;
use serde_json::json;
use std::time::{Duration, Instant};

async fn page_bytes(s: &Server, token: &str, id: i64) -> Vec<u8> {
    let r = client()
        .get(format!("{}/api/v1/documents/{id}/pages/1", s.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "page 1 of {id}");
    r.bytes().await.unwrap().to_vec()
}

/// The ids the search finds for `q`, once the index has caught up (it is built from the
/// database when a node starts on a new index).
async fn found(s: &Server, q: &str, want: i64) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        let (_, v) = s
            .get_json(None, &format!("/api/v1/search?q={}", urlencoding(q)))
            .await;
        if v["hits"]
            .as_array()
            .is_some_and(|h| h.iter().any(|h| h["id"] == want))
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
}

fn urlencoding(q: &str) -> String {
    q.bytes().map(|b| format!("%{b:02X}")).collect()
}

both_dbs!(a_backup_taken_while_serving_restores_the_same_district);
async fn a_backup_taken_while_serving_restores_the_same_district(backend: Backend) {
    round_trip(backend, &[], &[]).await;
}

/// The files in S3: backed up from one bucket while serving, restored into an empty one.
#[tokio::test]
async fn a_backup_of_an_s3_store_restores_into_an_empty_bucket() {
    let (Some(from), Some(to)) = (S3Server::start(), S3Server::start()) else {
        return;
    };
    let (from_env, to_env) = (from.env(), to.env());
    round_trip(Backend::Sqlite, &borrowed(&from_env), &borrowed(&to_env)).await;
    let restored = files_under(&to.dir.path().join(s3::BUCKET));
    assert!(
        restored >= 3,
        "the original, its page image and thumbnail are in the new bucket ({restored})"
    );
}

fn borrowed<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// How many files are under `dir`, at any depth.
fn files_under(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        files_under(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

/// A document, a top-up and the audit log on a server started with `env`, backed up while it
/// serves, restored into a new data dir (and database) with `restore_env`, then served.
async fn round_trip(backend: Backend, env: &[(&str, &str)], restore_env: &[(&str, &str)]) {
    let s = Server::start_with(backend, env).await;
    let admin = s.user_token("admin", "admin").await;
    let reader = s.user_token("reader", "member").await;
    let id = s
        .upload_fixture(&admin, "documents/yunxiu-community-service-guide.pdf")
        .await;
    let doc = s.wait_converted(&admin, id, Duration::from_secs(120)).await;
    assert_eq!(doc["status"], "ready", "{doc}");
    // Money and the audit log: a top-up posts to the ledger and is audited.
    let (st, v) = topup(
        &s,
        &admin,
        Some("backup-1"),
        json!({"username": "reader", "amount": "12.50"}),
    )
    .await;
    assert_eq!(st, 201, "{v}");
    let page = page_bytes(&s, &admin, id).await;

    // Taken while the server runs.
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("nightly");
    let dir_s = dir.to_str().unwrap();
    let out = s.run_cli(&["backup", dir_s], None);
    assert!(out.contains("backed up the"), "{out}");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let name = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(manifest["backend"], name);
    assert!(manifest["objects"].as_u64().unwrap() >= 3, "{manifest}");
    assert!(manifest["audit_seq"].as_i64().unwrap() >= 1, "{manifest}");
    // A second backup into the same folder is refused and leaves it as it was.
    let (ok, _, err) = s.run_cli_to_end(&["backup", dir_s]);
    assert!(!ok && err.contains("not empty"), "{err}");

    // Restored into a new, empty data dir (and database), then served.
    let mut t = Server::unstarted(backend, restore_env).await;
    let (ok, _, err) = t.run_cli_to_end(&["restore", root.path().to_str().unwrap()]);
    assert!(!ok && err.contains("not a finished backup"), "{err}");
    let out = t.run_cli(&["restore", dir_s], None);
    assert!(
        out.contains("audit log intact") && out.contains("ledger consistent"),
        "{out}"
    );
    let (ok, _, err) = t.run_cli_to_end(&["restore", dir_s]);
    assert!(!ok, "a second restore onto the restored data: {err}");
    assert!(
        err.contains("not empty") || err.contains("already"),
        "{err}"
    );
    assert!(
        t.run_cli(&["audit-check"], None)
            .contains("audit log intact")
    );
    assert!(
        t.run_cli(&["ledger", "check"], None)
            .contains("ledger consistent")
    );
    t.spawn();

    // The same accounts, document, page image, wallet and search.
    let admin2 = t.login("admin").await;
    let reader2 = t.login("reader").await;
    let (st, doc2) = t
        .get_json(Some(&admin2), &format!("/api/v1/documents/{id}"))
        .await;
    assert_eq!(st, 200);
    for field in ["title", "status", "pages", "size_bytes", "published_at"] {
        assert_eq!(doc2[field], doc[field], "{field}: {doc2}");
    }
    assert_eq!(page_bytes(&t, &admin2, id).await, page);
    let wallet = send_expect(&t, "GET", Some(&reader2), "/api/v1/me/wallet", None, 200).await;
    assert_eq!(wallet["balance"], 1250, "{wallet}");
    assert!(
        found(&t, "社区服务指南", id).await,
        "the restored node's index finds the document"
    );
    let _ = reader;
}
