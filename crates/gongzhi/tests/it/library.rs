use crate::common::{Backend, Server, backends, client, fixtures, have_soffice};
use serde_json::Value;
use std::time::Duration;

const CONVERT_LIMIT: Duration = Duration::from_secs(240);

#[derive(serde::Deserialize)]
struct Entry {
    file: String,
}

#[tokio::test]
async fn every_fixture_format_converts() {
    let soffice = have_soffice();
    if !soffice {
        eprintln!(
            "skipped: faithful Office previews (LibreOffice not installed); checking the text fallback instead"
        );
    }
    let index: Vec<Entry> =
        serde_json::from_slice(&std::fs::read(fixtures().join("documents/index.json")).unwrap())
            .unwrap();
    let formats: std::collections::BTreeSet<_> = index
        .iter()
        .map(|e| e.file.rsplit('.').next().unwrap().to_string())
        .collect();
    for ext in [
        "pdf", "doc", "docx", "ppt", "pptx", "xls", "xlsx", "txt", "md", "epub",
    ] {
        assert!(formats.contains(ext), "fixtures lack a .{ext} file");
    }
    for backend in backends().await {
        let s = Server::start(backend).await;
        let admin = s.user_token("admin", "admin").await;
        let mut ids = Vec::new();
        for e in &index {
            ids.push((
                e.file.clone(),
                s.upload_fixture(&admin, &format!("documents/{}", e.file))
                    .await,
            ));
        }
        for (file, id) in ids {
            let doc = s.wait_converted(&admin, id, CONVERT_LIMIT).await;
            let ext = file.rsplit('.').next().unwrap();
            let legacy_office = matches!(ext, "doc" | "ppt" | "xls");
            if legacy_office && !soffice {
                assert_eq!(doc["status"], "failed", "{file}");
                assert!(
                    doc["error"].as_str().unwrap().contains("LibreOffice"),
                    "{file}: {doc}"
                );
                continue;
            }
            assert_eq!(doc["status"], "ready", "{backend:?} {file}: {doc}");
            assert!(doc["pages"].as_i64().unwrap() >= 1, "{file}: {doc}");
            if matches!(ext, "pdf")
                || (soffice && matches!(ext, "doc" | "docx" | "ppt" | "pptx" | "xls" | "xlsx"))
            {
                assert_eq!(doc["preview"], "faithful", "{file}: {doc}");
            }
            let r = client()
                .get(format!("{}/api/v1/documents/{id}/pages/1", s.url))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{file}: page 1");
            let mime = r.headers()["content-type"].to_str().unwrap().to_string();
            let body = r.bytes().await.unwrap();
            match mime.as_str() {
                "image/png" => assert!(body.starts_with(b"\x89PNG"), "{file}"),
                "image/svg+xml" => {
                    assert!(String::from_utf8_lossy(&body).contains("<svg"), "{file}")
                }
                other => panic!("{file}: unexpected page type {other}"),
            }
            let r = client()
                .get(format!("{}/api/v1/documents/{id}/thumbnail", s.url))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{file}: thumbnail");
        }
        // The page text was extracted: the long PDF's Chinese text is stored per page.
        let pool = s.db().await;
        let (chars,): (i64,) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(LENGTH(p.text)), 0) AS BIGINT) FROM library_pages p JOIN library_documents d ON d.id = p.document_id WHERE d.original_name = 'yunxiu-community-service-guide.pdf'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert!(
            chars > 1000,
            "{backend:?}: extracted only {chars} characters of text"
        );
    }
}

#[tokio::test]
async fn moderation_and_page_entitlements() {
    for backend in backends().await {
        let s = Server::start(backend).await;
        let member = s.user_token("contributor", "member").await;
        let other = s.user_token("reader", "member").await;
        let moderator = s.user_token("checker", "moderator").await;

        let id = s
            .upload_fixture(&member, "documents/yunxiu-community-service-guide.pdf")
            .await;
        let doc = s.wait_converted(&member, id, CONVERT_LIMIT).await;
        assert_eq!(doc["status"], "pending_review", "{backend:?}: {doc}");
        let pages = doc["pages"].as_i64().unwrap();
        assert!(pages >= 10, "{doc}");

        // Before review only the uploader and staff know the document exists.
        assert_eq!(
            s.status_of(None, &format!("/api/v1/documents/{id}")).await,
            404
        );
        assert_eq!(
            s.status_of(Some(&other), &format!("/api/v1/documents/{id}/pages/1"))
                .await,
            404
        );
        assert_eq!(
            s.status_of(
                Some(&member),
                &format!("/api/v1/documents/{id}/pages/{pages}")
            )
            .await,
            200
        );
        let (_, queue) = s
            .get_json(Some(&moderator), "/api/v1/documents?page=1")
            .await;
        assert!(
            queue["items"].as_array().unwrap().is_empty(),
            "nothing is public yet"
        );

        // Members cannot approve; moderators can, once.
        let approve = |token: String| {
            let url = format!("{}/api/v1/documents/{id}/approve", s.url);
            async move {
                client()
                    .post(url)
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        };
        assert_eq!(approve(other.clone()).await, 403);
        assert_eq!(approve(moderator.clone()).await, 200);
        assert_eq!(approve(moderator.clone()).await, 409);

        // Free preview: pages 1–5 for everyone, the rest for the uploader and staff.
        assert_eq!(
            s.status_of(None, &format!("/api/v1/documents/{id}/pages/5"))
                .await,
            200
        );
        assert_eq!(
            s.status_of(None, &format!("/api/v1/documents/{id}/pages/6"))
                .await,
            401
        );
        assert_eq!(
            s.status_of(Some(&other), &format!("/api/v1/documents/{id}/pages/6"))
                .await,
            403
        );
        assert_eq!(
            s.status_of(
                Some(&member),
                &format!("/api/v1/documents/{id}/pages/{pages}")
            )
            .await,
            200
        );
        assert_eq!(
            s.status_of(
                Some(&moderator),
                &format!("/api/v1/documents/{id}/pages/{pages}")
            )
            .await,
            200
        );
        assert_eq!(
            s.status_of(
                Some(&member),
                &format!("/api/v1/documents/{id}/pages/{}", pages + 1)
            )
            .await,
            404
        );
        assert_eq!(
            s.status_of(None, &format!("/api/v1/documents/{id}/pages/0"))
                .await,
            404
        );
        assert_eq!(
            s.status_of(None, &format!("/api/v1/documents/{id}/pages/abc"))
                .await,
            404
        );
        let (_, public) = s.get_json(None, &format!("/api/v1/documents/{id}")).await;
        assert_eq!(public["visible_pages"], 5);

        // Stored files are not reachable around the check.
        for path in [
            "/files/originals",
            "/data/files",
            "/api/v1/documents/../files",
        ] {
            assert_eq!(s.status_of(None, path).await, 404, "{path}");
        }

        // Rejection carries a reason the uploader sees; an empty reason is refused.
        let id2 = s
            .upload_fixture(&member, "documents/wanghu-residents-convention.txt")
            .await;
        s.wait_converted(&member, id2, CONVERT_LIMIT).await;
        let reject = |token: String, reason: &'static str| {
            let url = format!("{}/api/v1/documents/{id2}/reject", s.url);
            async move {
                client()
                    .post(url)
                    .bearer_auth(token)
                    .json(&serde_json::json!({"reason": reason}))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        };
        assert_eq!(reject(other.clone(), "spam").await, 403);
        assert_eq!(reject(moderator.clone(), "  ").await, 400);
        assert_eq!(
            reject(moderator.clone(), "内容与分类不符，请补充来源后重新上传").await,
            200
        );
        let (_, mine) = s
            .get_json(Some(&member), &format!("/api/v1/documents/{id2}"))
            .await;
        assert_eq!(mine["status"], "rejected");
        assert_eq!(
            mine["reject_reason"],
            "内容与分类不符，请补充来源后重新上传"
        );
        assert_eq!(
            s.status_of(None, &format!("/api/v1/documents/{id2}")).await,
            404
        );

        // Moderation decisions are in the audit chain, which verifies.
        let out = s.run_cli(&["audit-check"], None);
        assert!(out.contains("intact"), "{out}");
    }
}

#[tokio::test]
async fn duplicates_and_downloads() {
    for backend in backends().await {
        let s = Server::start(backend).await;
        let admin = s.user_token("admin", "admin").await;
        let member = s.user_token("member1", "member").await;
        let bytes = std::fs::read(fixtures().join("documents/service-hotline-faq.txt")).unwrap();
        let (status, first) = s
            .upload(
                &admin,
                "faq.txt",
                bytes.clone(),
                &[("title", "热线问答"), ("tags", "热线,问答")],
            )
            .await;
        assert_eq!(status, 201, "{first}");
        let id = first["id"].as_i64().unwrap();
        let (status, again) = s
            .upload(&member, "copy-of-faq.txt", bytes.clone(), &[])
            .await;
        assert_eq!(status, 200, "{backend:?}: duplicate answers 200");
        assert_eq!(again["id"].as_i64(), Some(id));
        assert_eq!(again["duplicate"], true);
        let doc = s.wait_converted(&admin, id, CONVERT_LIMIT).await;
        assert_eq!(doc["status"], "ready");
        assert_eq!(doc["title"], "热线问答");
        assert_eq!(doc["tags"], serde_json::json!(["热线", "问答"]));
        let pool = s.db().await;
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM platform_jobs")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(n, 1, "converted once");

        assert_eq!(
            s.status_of(None, &format!("/api/v1/documents/{id}/download"))
                .await,
            401
        );
        let r = client()
            .get(format!("{}/api/v1/documents/{id}/download", s.url))
            .bearer_auth(&member)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment")
        );
        assert_eq!(r.bytes().await.unwrap().as_ref(), bytes.as_slice());
        let (_, doc) = s.get_json(None, &format!("/api/v1/documents/{id}")).await;
        assert_eq!(doc["downloads"], 1);
    }
}

async fn wait_failed(s: &Server, token: &str, id: i64, what: &str) -> Value {
    let doc = s.wait_converted(token, id, CONVERT_LIMIT).await;
    assert_eq!(doc["status"], "failed", "{what}: {doc}");
    let err = doc["error"].as_str().unwrap_or_default();
    assert!(
        err.len() > 10 && !err.contains("panicked"),
        "{what}: readable error, got {err:?}"
    );
    doc
}

#[tokio::test]
async fn bad_files_fail_cleanly_while_good_ones_convert() {
    for backend in backends().await {
        let s = Server::start_with(backend, &[("GONGZHI_MAX_UPLOAD_BYTES", "3000000")]).await;
        let admin = s.user_token("admin", "admin").await;
        let truncated = s.upload_fixture(&admin, "bad/truncated.pdf").await;
        let encrypted = s.upload_fixture(&admin, "bad/encrypted.pdf").await;
        let bomb = s.upload_fixture(&admin, "bad/zipbomb.docx").await;
        let wrong_ext = s.upload_fixture(&admin, "bad/wrong-extension.docx").await;
        let good = s
            .upload_fixture(
                &admin,
                "documents/office-worker-service-points-research.pdf",
            )
            .await;

        wait_failed(&s, &admin, truncated, "truncated PDF").await;
        let enc = wait_failed(&s, &admin, encrypted, "encrypted PDF").await;
        assert!(
            enc["error"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("password"),
            "{enc}"
        );
        wait_failed(&s, &admin, bomb, "zip bomb").await;
        let doc = s.wait_converted(&admin, wrong_ext, CONVERT_LIMIT).await;
        assert_eq!(
            doc["status"], "ready",
            "a PDF named .docx is read as the PDF it is: {doc}"
        );
        assert_eq!(doc["format"], "pdf");
        let doc = s.wait_converted(&admin, good, CONVERT_LIMIT).await;
        assert_eq!(
            doc["status"], "ready",
            "{backend:?}: the good file beside the bad ones: {doc}"
        );

        // Refused at the door with a 4xx and a message; nothing is created.
        for (file, want) in [
            ("bad/random.pdf", 415),
            ("bad/random.bin", 415),
            ("bad/binary.txt", 415),
            ("bad/empty.txt", 400),
        ] {
            let bytes = std::fs::read(fixtures().join(file)).unwrap();
            let name = file.rsplit('/').next().unwrap();
            let (status, v) = s.upload(&admin, name, bytes, &[]).await;
            assert_eq!(status, want, "{file}: {v}");
            assert!(
                v["error"]["message"].as_str().unwrap().len() > 5,
                "{file}: {v}"
            );
        }
        let (status, v) = s
            .upload(&admin, "big.txt", "字".repeat(1_100_000).into_bytes(), &[])
            .await;
        assert_eq!(status, 413, "over the configured limit: {v}");
        let (status, v) = s
            .upload(
                &admin,
                "a.txt",
                b"hello".to_vec(),
                &[("category", "no-such-category")],
            )
            .await;
        assert_eq!(status, 400, "{v}");
        let (status, v) = s
            .upload(
                &admin,
                "a.txt",
                b"hello".to_vec(),
                &[("title", &"长".repeat(201))],
            )
            .await;
        assert_eq!(status, 400, "{v}");
        let r = client()
            .post(format!("{}/api/v1/documents", s.url))
            .bearer_auth(&admin)
            .multipart(reqwest::multipart::Form::new().text("title", "no file"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let r = client()
            .post(format!("{}/api/v1/documents", s.url))
            .bearer_auth(&admin)
            .header("content-type", "multipart/form-data; boundary=x")
            .body("--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n%PDF-1.4 trunc")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "a cut-off multipart body");
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM library_documents")
            .fetch_one(&s.db().await)
            .await
            .unwrap();
        assert_eq!(n, 5, "refused uploads left no records");
        if backend == Backend::Sqlite {
            let leftovers = std::fs::read_dir(s.data.path().join("tmp"))
                .unwrap()
                .filter(|e| {
                    e.as_ref()
                        .is_ok_and(|e| e.file_type().is_ok_and(|t| t.is_file()))
                })
                .count();
            assert_eq!(leftovers, 0, "no temporary upload files left behind");
        }
    }
}

#[tokio::test]
async fn pages_render_for_readers() {
    let s = Server::start(Backend::Sqlite).await;
    let admin = s.user_token("admin", "admin").await;
    let id = s
        .upload_fixture(&admin, "documents/yunxiu-community-service-guide.pdf")
        .await;
    s.wait_converted(&admin, id, CONVERT_LIMIT).await;
    // Visitors see the free preview and are told where it ends.
    let html = client()
        .get(format!("{}/documents/{id}", s.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        html.matches("class=\"page\"").count(),
        5,
        "first five pages"
    );
    assert!(
        !html.contains("id=\"load-more\""),
        "nothing more to load for a visitor"
    );
    assert!(html.contains("免费预览已结束"));
    // The uploader may read on: "load more" is offered, and ?show= works without JavaScript.
    let html = client()
        .get(format!("{}/documents/{id}", s.url))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("id=\"load-more\"") && html.contains("查看更多"),
        "load-more button"
    );
    let html = client()
        .get(format!("{}/documents/{id}?show=10", s.url))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(html.matches("class=\"page\"").count(), 10);
    let html = client()
        .get(format!("{}/", s.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!("/documents/{id}")),
        "home lists the new document"
    );
    let r = client()
        .get(format!("{}/moderation", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "anonymous visitors are sent to sign in");
}
