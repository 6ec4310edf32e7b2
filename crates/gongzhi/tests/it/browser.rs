use crate::common::webdriver::Browser;
use crate::common::{Backend, Server, fixtures};
use std::time::Duration;

/// Log in, upload, wait for ready, open the document, click 查看更多 and see more pages.
#[tokio::test]
async fn upload_and_read_in_a_browser() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let s = Server::start(Backend::Sqlite).await;
    s.add_user("editor", "moderator");

    b.sign_in(&s.url, "editor").await;

    b.goto(&format!("{}/upload", s.url)).await;
    let pdf = fixtures()
        .join("documents/yunxiu-community-service-guide.pdf")
        .canonicalize()
        .unwrap();
    b.type_into("input[name=file]", &pdf.to_string_lossy())
        .await;
    b.type_into("input[name=title]", "浏览器上传测试").await;
    b.click("#upload-form button[type=submit]").await;
    b.wait_for(
        "location.pathname.startsWith('/documents/')",
        Duration::from_secs(60),
    )
    .await;

    // The page follows the conversion and reloads itself when it is done.
    b.wait_for(
        "document.querySelectorAll('#pages figure.page').length === 5",
        Duration::from_secs(180),
    )
    .await;
    assert!(b.text("h1").await.contains("浏览器上传测试"));
    b.click("#load-more").await;
    b.wait_for(
        "document.querySelectorAll('#pages figure.page').length === 10",
        Duration::from_secs(10),
    )
    .await;
    b.wait_for(
        "Array.from(document.querySelectorAll('#pages img')).slice(5).every(i => i.complete && i.naturalWidth > 0)",
        Duration::from_secs(30),
    )
    .await;
    if let Ok(dir) = std::env::var("GONGZHI_SCREENSHOT_DIR") {
        b.screenshot(&std::path::Path::new(&dir).join("browser-document.png"))
            .await;
    }
}
