use crate::common::{
    Backend, Server, both_dbs, client, fixtures, get_html, have_soffice, page_text,
};
use serde_json::Value;
use std::time::Duration;

const CONVERT_LIMIT: Duration = Duration::from_secs(240);

#[derive(serde::Deserialize)]
struct Entry {
    file: String,
}

both_dbs!(every_fixture_format_converts);
async fn every_fixture_format_converts(backend: Backend) {
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
        let r = s
            .raw("GET", None, &format!("/api/v1/documents/{id}/pages/1"))
            .await;
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
        let r = s
            .raw("GET", None, &format!("/api/v1/documents/{id}/thumbnail"))
            .await;
        assert_eq!(r.status(), 200, "{file}: thumbnail");
    }
    // The page text was extracted: the long PDF's Chinese text is stored per page.
    let chars = s.scalar("SELECT CAST(COALESCE(SUM(LENGTH(p.text)), 0) AS BIGINT) FROM library_pages p JOIN library_documents d ON d.id = p.document_id WHERE d.original_name = 'yunxiu-community-service-guide.pdf'").await;
    assert!(
        chars > 1000,
        "{backend:?}: extracted only {chars} characters of text"
    );
}

both_dbs!(moderation_and_page_entitlements);
async fn moderation_and_page_entitlements(backend: Backend) {
    let s = Server::start(backend).await;
    let [member, other, moderator] = s.accounts("contributor reader checker=moderator").await;

    let id = s
        .upload_fixture(&member, "documents/yunxiu-community-service-guide.pdf")
        .await;
    let doc = s.wait_converted(&member, id, CONVERT_LIMIT).await;
    assert_eq!(doc["status"], "pending_review", "{backend:?}: {doc}");
    let pages = doc["pages"].as_i64().unwrap();
    assert!(pages >= 10, "{doc}");

    // Before review only the uploader and staff know the document exists.
    let doc_path = format!("/api/v1/documents/{id}");
    s.expect_statuses(&[
        (None, &doc_path, 404),
        (Some(&other), &format!("{doc_path}/pages/1"), 404),
        (Some(&member), &format!("{doc_path}/pages/{pages}"), 200),
    ])
    .await;
    let (_, queue) = s
        .get_json(Some(&moderator), "/api/v1/documents?page=1")
        .await;
    assert!(
        queue["items"].as_array().unwrap().is_empty(),
        "nothing is public yet"
    );

    // Members cannot approve; moderators can, once.
    let approve = |token: String| {
        let path = format!("/api/v1/documents/{id}/approve");
        let s = &s;
        async move { crate::common::status(s, "POST", Some(&token), &path, None).await }
    };
    assert_eq!(approve(other.clone()).await, 403);
    assert_eq!(approve(moderator.clone()).await, 200);
    assert_eq!(approve(moderator.clone()).await, 409);

    // Free preview: pages 1–5 for everyone, the rest for the uploader and staff.
    let doc_path = format!("/api/v1/documents/{id}");
    s.expect_statuses(&[
        (None, &format!("{doc_path}/pages/5"), 200),
        (None, &format!("{doc_path}/pages/6"), 401),
        (Some(&other), &format!("{doc_path}/pages/6"), 403),
        (Some(&member), &format!("{doc_path}/pages/{pages}"), 200),
        (Some(&moderator), &format!("{doc_path}/pages/{pages}"), 200),
        (
            Some(&member),
            &format!("{doc_path}/pages/{}", pages + 1),
            404,
        ),
        (None, &format!("{doc_path}/pages/0"), 404),
        (None, &format!("{doc_path}/pages/abc"), 404),
    ])
    .await;
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

both_dbs!(duplicates_and_downloads);
async fn duplicates_and_downloads(backend: Backend) {
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
    let (status, again) = s.upload(&admin, "faq-again.txt", bytes.clone(), &[]).await;
    assert_eq!(status, 200, "{backend:?}: one's own duplicate answers 200");
    assert_eq!(again["id"].as_i64(), Some(id));
    assert_eq!(again["duplicate"], true);
    let doc = s.wait_converted(&admin, id, CONVERT_LIMIT).await;
    assert_eq!(doc["status"], "ready");
    // Published: anyone may be pointed at it.
    let (status, again) = s
        .upload(&member, "copy-of-faq.txt", bytes.clone(), &[])
        .await;
    assert_eq!(status, 200, "{backend:?}: duplicate answers 200");
    assert_eq!(again["id"].as_i64(), Some(id));
    assert_eq!(again["duplicate"], true);
    assert_eq!(doc["title"], "热线问答");
    assert_eq!(doc["tags"], serde_json::json!(["热线", "问答"]));
    let n = s.scalar("SELECT COUNT(*) FROM platform_jobs").await;
    assert_eq!(n, 1, "converted once");

    assert_eq!(
        s.status_of(None, &format!("/api/v1/documents/{id}/download"))
            .await,
        401
    );
    let r = s.download(&member, id).await;
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

both_dbs!(bad_files_fail_cleanly_while_good_ones_convert);
async fn bad_files_fail_cleanly_while_good_ones_convert(backend: Backend) {
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

#[tokio::test]
async fn pages_render_for_readers() {
    let s = Server::start(Backend::Sqlite).await;
    let admin = s.user_token("admin", "admin").await;
    let id = s
        .upload_fixture(&admin, "documents/yunxiu-community-service-guide.pdf")
        .await;
    s.wait_converted(&admin, id, CONVERT_LIMIT).await;
    // Visitors see the free preview and are told where it ends.
    let html = get_html(&client(), format!("{}/documents/{id}", s.url)).await;
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
    let html = page_text(&s, &admin, &format!("/documents/{id}")).await;
    assert!(
        html.contains("id=\"load-more\"") && html.contains("查看更多"),
        "load-more button"
    );
    let html = page_text(&s, &admin, &format!("/documents/{id}?show=10")).await;
    assert_eq!(html.matches("class=\"page\"").count(), 10);
    let html = get_html(&client(), format!("{}/", s.url)).await;
    assert!(
        html.contains(&format!("/documents/{id}")),
        "home lists the new document"
    );
    let r = s.raw("GET", None, "/moderation").await;
    assert_eq!(r.status(), 303, "anonymous visitors are sent to sign in");
}

/// A multipart upload whose file name goes out as raw UTF-8, as browsers send it.
async fn upload_named(
    s: &Server,
    token: &str,
    name: &str,
    bytes: Vec<u8>,
    extra: &[(&str, &str)],
) -> (u16, Value) {
    let mut form = reqwest::multipart::Form::new().percent_encode_noop().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
    );
    for (k, v) in extra {
        form = form.text(k.to_string(), v.to_string());
    }
    let r = client()
        .post(format!("{}/api/v1/documents", s.url))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

both_dbs!(hidden_duplicates_stay_hidden_and_titles_are_clean);
async fn hidden_duplicates_stay_hidden_and_titles_are_clean(backend: Backend) {
    let s = Server::start(backend).await;
    let [author, other, moderator] = s.accounts("author other mod=moderator").await;
    let bytes = "待审核的内部材料：第一条。".as_bytes().to_vec();
    let (status, first) = s.upload(&author, "internal.txt", bytes.clone(), &[]).await;
    assert_eq!(status, 201, "{first}");
    let id = first["id"].as_i64().unwrap();
    let doc = s.wait_converted(&author, id, CONVERT_LIMIT).await;
    assert_eq!(doc["status"], "pending_review");
    // Someone else's identical bytes learn neither its id nor its status.
    let (status, v) = s.upload(&other, "mine.txt", bytes.clone(), &[]).await;
    assert_eq!(status, 409, "{backend:?}: {v}");
    assert!(v.get("id").is_none() && v.get("status").is_none(), "{v}");
    assert!(v["error"]["message"].is_string(), "{v}");
    let text = v.to_string();
    assert!(
        !text.contains("pending_review") && !text.contains(&format!("/documents/{id}")),
        "{v}"
    );
    // Rejected stays hidden too; the uploader and staff still hear "duplicate".
    let r = client()
        .post(format!("{}/api/v1/documents/{id}/reject", s.url))
        .bearer_auth(&moderator)
        .json(&serde_json::json!({"reason": "内部材料"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        s.upload(&other, "mine.txt", bytes.clone(), &[]).await.0,
        409
    );
    let (status, v) = s.upload(&author, "again.txt", bytes.clone(), &[]).await;
    assert_eq!((status, v["id"].as_i64()), (200, Some(id)), "{v}");
    assert_eq!(v["duplicate"], true);
    let (status, v) = s.upload(&moderator, "again.txt", bytes.clone(), &[]).await;
    assert_eq!((status, v["id"].as_i64()), (200, Some(id)), "{v}");

    // A file name without a stem gets a title; bidi controls never reach a title or
    // a download name.
    let (status, v) = upload_named(&s, &author, ".txt", "空名文件".as_bytes().to_vec(), &[]).await;
    assert_eq!(status, 201, "{v}");
    let (_, d) = s
        .get_json(Some(&author), &format!("/api/v1/documents/{}", v["id"]))
        .await;
    assert_eq!(d["title"], "未命名文档", "{backend:?}: {d}");
    let tricky = "年报\u{202E}gpj.exe\u{2066}.txt";
    let (status, v) = upload_named(&s, &author, tricky, "年报正文".as_bytes().to_vec(), &[]).await;
    assert_eq!(status, 201, "{v}");
    let tricky_id = v["id"].as_i64().unwrap();
    let (_, d) = s
        .get_json(Some(&author), &format!("/api/v1/documents/{tricky_id}"))
        .await;
    assert_eq!(d["title"], "年报gpj.exe", "{d}");
    let (status, v) = upload_named(
        &s,
        &author,
        "b.txt",
        "另一份".as_bytes().to_vec(),
        &[("title", "\u{202B}标题\u{2069}")],
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let (_, d) = s
        .get_json(Some(&author), &format!("/api/v1/documents/{}", v["id"]))
        .await;
    assert_eq!(d["title"], "标题", "{d}");
    s.wait_converted(&author, tricky_id, CONVERT_LIMIT).await;
    let r = s.download(&author, tricky_id).await;
    assert_eq!(r.status(), 200);
    let cd = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        !cd.contains("%E2%80%AE") && !cd.contains("%E2%81%A6"),
        "{cd}"
    );
    assert!(cd.contains("gpj.exe.txt"), "{cd}");
    let pool = s.db().await;
    let names: Vec<(String,)> = sqlx::query_as("SELECT original_name FROM library_documents")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(
        names
            .iter()
            .all(|(n,)| !n.contains('\u{202E}') && !n.contains('\u{2066}')),
        "{names:?}"
    );
}

both_dbs!(prices_and_previews_are_set_on_the_upload_form_and_the_edit_page);
async fn prices_and_previews_are_set_on_the_upload_form_and_the_edit_page(backend: Backend) {
    let s = Server::start(backend).await;
    let [author, stranger, moderator] = s.accounts("author stranger mod=moderator").await;
    let form = crate::common::page_text(&s, &author, "/upload").await;
    assert!(
        form.contains("name=\"price_kind\"")
            && form.contains("name=\"price\"")
            && form.contains("name=\"preview_pages\""),
        "{form}"
    );
    // The no-JavaScript upload form takes the price and the free preview.
    let pages = "第一页\u{c}第二页\u{c}第三页".as_bytes().to_vec();
    let priced = [
        ("price_kind", "paid"),
        ("price", "2.50"),
        ("preview_pages", "1"),
    ];
    let upload = async |name: &str, bytes: Vec<u8>, fields: &[(&str, &str)]| {
        let form = crate::common::file_form(name, bytes, fields);
        s.post_multipart(Some(&author), "/upload", form).await
    };
    let r = upload("priced.txt", pages, &priced).await;
    assert_eq!(r.status(), 303, "{backend:?}");
    let to = r.headers()["location"].to_str().unwrap().to_string();
    let id: i64 = to.trim_start_matches("/documents/").parse().unwrap();
    let d = s.wait_converted(&author, id, CONVERT_LIMIT).await;
    assert_eq!(
        (&d["price_kind"], &d["price"], &d["preview_pages"]),
        (
            &serde_json::json!("paid"),
            &serde_json::json!("2.50"),
            &serde_json::json!(1)
        ),
        "{d}"
    );
    // A bad price comes back on the form, not as an error page.
    let no_price = [("price_kind", "paid"), ("price", "")];
    let r = upload("x.txt", "另一份文件".as_bytes().to_vec(), &no_price).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("alert-error") && html.contains("price"),
        "{html}"
    );

    // The edit page: the uploader and moderators only, filled with what is set now.
    let page = crate::common::page_text(&s, &author, &format!("/documents/{id}/edit")).await;
    assert!(
        page.contains("value=\"2.50\"") && page.contains("value=\"1\""),
        "{page}"
    );
    assert!(page.contains("<option value=\"paid\" selected"), "{page}");
    assert_eq!(
        s.status_of(Some(&stranger), &format!("/documents/{id}/edit"))
            .await,
        404,
        "an unpublished document does not exist for others"
    );
    let edit = |token: &str, fields: Vec<(&'static str, &'static str)>| {
        client()
            .post(format!("{}/documents/{id}/edit", s.url))
            .bearer_auth(token.to_string())
            .form(&fields)
            .send()
    };
    let fields = vec![
        ("title", "改过的标题"),
        ("description", "简介"),
        ("category", ""),
        ("tags", "甲, 乙"),
        ("price_kind", "vip"),
        ("price", "4.00"),
        ("preview_pages", "2"),
    ];
    let r = edit(&author, fields.clone()).await.unwrap();
    assert_eq!(r.status(), 303, "{backend:?}");
    let (_, d) = s
        .get_json(Some(&author), &format!("/api/v1/documents/{id}"))
        .await;
    assert_eq!(d["title"], "改过的标题");
    assert_eq!(
        (d["price_kind"].as_str(), d["price"].as_str()),
        (Some("vip"), Some("4.00"))
    );
    assert_eq!(d["preview_pages"], 2);
    assert_eq!(d["tags"], serde_json::json!(["乙", "甲"]));
    let mut bad = fields.clone();
    bad[5] = ("price", "abc");
    bad[4] = ("price_kind", "paid");
    let r = edit(&author, bad).await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("alert-error") && html.contains("value=\"abc\""),
        "{html}"
    );
    let (_, d) = s
        .get_json(Some(&author), &format!("/api/v1/documents/{id}"))
        .await;
    assert_eq!(d["price_kind"], "vip", "unchanged after a bad price");
    // Moderators edit too; others may not.
    let mut free = fields.clone();
    free[4] = ("price_kind", "free");
    free[5] = ("price", "");
    assert_eq!(edit(&stranger, free.clone()).await.unwrap().status(), 404);
    assert_eq!(edit(&moderator, free).await.unwrap().status(), 303);
    assert_eq!(
        s.status_of(None, &format!("/api/v1/documents/{id}")).await,
        404,
        "still unpublished"
    );
    let (_, d) = s
        .get_json(Some(&author), &format!("/api/v1/documents/{id}"))
        .await;
    assert_eq!(
        (d["price_kind"].as_str(), d["price"].as_str()),
        (Some("free"), Some("0.00"))
    );
}
