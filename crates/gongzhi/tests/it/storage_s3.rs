//! S3-compatible object storage (ADR 039) against a real S3 server, s3s-fs: documents live in
//! the bucket and nowhere in the data dir, a wrong bucket stops the start with one line, and
//! `gongzhi storage migrate --to s3` copies a local store once.

use crate::common::s3::{BUCKET, S3Server};
use crate::common::{Backend, Server, both_dbs, client, fixtures, send_expect};
use std::path::{Path, PathBuf};
use std::time::Duration;

const CONVERT_LIMIT: Duration = Duration::from_secs(240);

fn env_refs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Every file under `dir`, relative to it.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.map(Result::unwrap) {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out
}

async fn bytes_of(s: &Server, token: &str, path: &str) -> (u16, Vec<u8>) {
    let r = client()
        .get(format!("{}{path}", s.url))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    (status, r.bytes().await.expect("body").to_vec())
}

async fn sha256_of(s: &Server, id: i64) -> String {
    let (sha,): (String,) = sqlx::query_as("SELECT sha256 FROM library_documents WHERE id = $1")
        .bind(id)
        .fetch_one(&s.db().await)
        .await
        .unwrap();
    sha
}

both_dbs!(storage_s3_documents_live_in_the_bucket);
async fn storage_s3_documents_live_in_the_bucket(backend: Backend) {
    let Some(s3) = S3Server::start() else {
        return;
    };
    let env = s3.env();
    let mut s = Server::start_with(backend, &env_refs(&env)).await;
    let member = s.user_token("contributor", "member").await;
    let other = s.user_token("reader", "member").await;
    let admin = s.user_token("boss", "admin").await;
    let rel = "documents/yunxiu-community-service-guide.pdf";
    let id = s.upload_fixture(&member, rel).await;
    let doc = s.wait_converted(&member, id, CONVERT_LIMIT).await;
    assert_eq!(doc["status"], "pending_review", "{backend:?}: {doc}");
    let pages = doc["pages"].as_i64().unwrap();

    // The original, every page image and the thumbnail are objects of the bucket.
    let original = s3.object(&format!("originals/{}", sha256_of(&s, id).await));
    assert!(
        std::fs::read(&original).unwrap() == std::fs::read(fixtures().join(rel)).unwrap(),
        "the original is stored byte for byte"
    );
    let page_files = files_under(&s3.object(&format!("pages/{id}")));
    assert_eq!(page_files.len() as i64, pages, "{page_files:?}");
    assert_eq!(files_under(&s3.object(&format!("thumbs/{id}"))).len(), 1);

    // … and are served from there, to whom may see them and no one else.
    let (status, page1) = bytes_of(&s, &member, &format!("/api/v1/documents/{id}/pages/1")).await;
    assert_eq!(status, 200);
    assert!(page1 == std::fs::read(s3.object(&format!("pages/{id}/page-0001.png"))).unwrap());
    let (status, _) = bytes_of(&s, &other, &format!("/api/v1/documents/{id}/pages/1")).await;
    assert_eq!(status, 404, "not yet reviewed: another member sees nothing");
    let (status, _) = bytes_of(&s, &member, &format!("/api/v1/documents/{id}/thumbnail")).await;
    assert_eq!(status, 200);
    // The download is streamed from the bucket, whole.
    let (status, got) = bytes_of(&s, &member, &format!("/api/v1/documents/{id}/download")).await;
    assert_eq!(status, 200);
    assert!(got == std::fs::read(fixtures().join(rel)).unwrap());
    let (status, _) = bytes_of(&s, &other, &format!("/api/v1/documents/{id}/download")).await;
    assert_eq!(status, 404, "nor may another member download it");

    // Nothing of the document is in the data dir: only the database, the search index,
    // temporary or working folders and the node's name (ADR 041).
    let kept: Vec<_> = files_under(s.data.path())
        .into_iter()
        .filter(|p| {
            let first = p.components().next().unwrap().as_os_str().to_string_lossy();
            !(first.starts_with("gongzhi.db")
                || ["index", "tmp", "soffice-profiles", "node-id"].contains(&first.as_ref()))
        })
        .collect();
    assert!(kept.is_empty(), "{backend:?}: in the data dir: {kept:?}");
    assert!(!s.data.path().join("files").exists());

    // After a restart the pages still come from the bucket.
    s.kill();
    s.spawn();
    let (status, again) = bytes_of(
        &s,
        &member,
        &format!("/api/v1/documents/{id}/pages/{pages}"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(!again.is_empty());

    // Deleting the document removes its objects (a listing by prefix on S3).
    let path = format!("/api/v1/documents/{id}");
    send_expect(&s, "DELETE", Some(&admin), &path, None, 204).await;
    assert!(files_under(&s3.object(&format!("pages/{id}"))).is_empty());
    assert!(files_under(&s3.object(&format!("thumbs/{id}"))).is_empty());
    assert!(!original.exists());
}

/// A large original goes up to a real S3 server in parts and comes back whole.
#[tokio::test]
async fn storage_s3_large_files_go_up_in_parts() {
    let Some(s3) = S3Server::start() else {
        return;
    };
    let cfg = platform::config::S3Config {
        endpoint: s3.endpoint.clone(),
        bucket: BUCKET.into(),
        access_key: crate::common::s3::ACCESS_KEY.into(),
        secret_key: crate::common::s3::SECRET_KEY.into(),
        region: "us-east-1".into(),
    };
    let store = platform::storage::Storage::s3(&cfg).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.bin");
    let data: Vec<u8> = (0..platform::storage::PART_BYTES * 2 + 999)
        .map(|i| (i * 7 % 253) as u8)
        .collect();
    std::fs::write(&big, &data).unwrap();
    store.put_file("originals/big", &big).await.unwrap();
    assert!(std::fs::read(s3.object("originals/big")).unwrap() == data);
    let back = dir.path().join("back.bin");
    store.get_to_file("originals/big", &back).await.unwrap();
    assert!(std::fs::read(&back).unwrap() == data);
    assert_eq!(
        store.size("originals/big").await.unwrap(),
        Some(data.len() as u64)
    );
}

/// A bucket that is missing, unreachable or refuses the keys stops the start with one line.
#[tokio::test]
async fn storage_s3_a_wrong_bucket_stops_the_start() {
    let Some(s3) = S3Server::start() else {
        return;
    };
    let mut s = Server::start(Backend::Sqlite).await;
    s.kill();
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cases = [
        (
            "GONGZHI_S3_BUCKET",
            "no-such-bucket".to_string(),
            "does not exist",
        ),
        (
            "GONGZHI_S3_ENDPOINT",
            format!("http://127.0.0.1:{closed_port}"),
            "http://127.0.0.1",
        ),
        (
            "GONGZHI_S3_SECRET_KEY",
            "wrong".to_string(),
            "the keys were refused",
        ),
    ];
    for (var, value, says) in cases {
        s.env = s3
            .env()
            .into_iter()
            .map(|(k, v)| (k.to_string(), if k == var { value.clone() } else { v }))
            .collect();
        let (ok, _, err) = s.run_cli_to_end(&["serve", "--addr", "127.0.0.1:0"]);
        assert!(!ok, "{var}={value}: the server must not start");
        let line = err
            .lines()
            .find(|l| l.contains("cannot use the S3 bucket"))
            .unwrap_or_else(|| panic!("{var}={value}: {err}"));
        assert!(line.contains(says), "{var}={value}: {line}");
        assert!(!err.contains("Caused by"), "one line: {err}");
        assert!(
            !err.contains(crate::common::s3::SECRET_KEY),
            "no key in the message"
        );
    }
    s.env.clear();
    let (ok, _, err) = s.run_cli_to_end(&["storage", "migrate", "--to", "s3"]);
    assert!(!ok && err.contains("GONGZHI_S3_BUCKET"), "{err}");
}

both_dbs!(storage_migrate_to_s3_copies_the_local_store_once);
async fn storage_migrate_to_s3_copies_the_local_store_once(backend: Backend) {
    let Some(s3) = S3Server::start() else {
        return;
    };
    let mut s = Server::start(backend).await;
    let member = s.user_token("contributor", "member").await;
    let id = s
        .upload_fixture(&member, "documents/wanghu-residents-convention.txt")
        .await;
    s.wait_converted(&member, id, CONVERT_LIMIT).await;
    let (status, page1) = bytes_of(&s, &member, &format!("/api/v1/documents/{id}/pages/1")).await;
    assert_eq!(status, 200);
    s.kill();
    let local_root = s.data.path().join("files");
    let mut local = files_under(&local_root);
    local.sort();
    assert!(local.len() >= 3, "original, pages, thumbnail: {local:?}");

    s.env = s3
        .env()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let out = s.run_cli(&["storage", "migrate", "--to", "s3"], None);
    assert!(
        out.contains(&format!("copied {} objects", local.len()))
            && out.contains("0 were there already"),
        "{out}"
    );
    for rel in &local {
        let key = rel.to_string_lossy();
        assert_eq!(
            std::fs::read(s3.object(&key)).unwrap(),
            std::fs::read(local_root.join(rel)).unwrap(),
            "{key}"
        );
    }
    let out = s.run_cli(&["storage", "migrate", "--to", "s3"], None);
    assert!(
        out.contains("copied 0 objects")
            && out.contains(&format!("{} were there already", local.len())),
        "a second run copies nothing: {out}"
    );

    // Without the local files the server serves the same pages from the bucket.
    std::fs::remove_dir_all(&local_root).unwrap();
    s.spawn();
    let (status, served) = bytes_of(&s, &member, &format!("/api/v1/documents/{id}/pages/1")).await;
    assert_eq!(status, 200);
    assert!(served == page1, "{backend:?}: the same page after the move");
    assert!(!local_root.exists(), "nothing went back to the data dir");
}
