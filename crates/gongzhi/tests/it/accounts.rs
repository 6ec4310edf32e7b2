use crate::common::{
    Backend, Server, api_login, both_dbs, client, cookie_client, csrf_from, get_html, page_text,
    post_account, post_form, sign_out,
};
use serde_json::Value;

both_dbs!(register_login_logout_with_csrf);
async fn register_login_logout_with_csrf(backend: Backend) {
    let s = Server::start(backend).await;
    let web = cookie_client();
    let html = get_html(&web, format!("{}/register", s.url)).await;
    assert!(html.contains("lang=\"zh-CN\""), "Chinese by default");
    let csrf = csrf_from(&html);

    // A form post without the token is refused and creates nothing.
    let r = post_form(
        &web,
        format!("{}/register", s.url),
        &[("username", "xiaoming"), ("password", "long-enough-pw")],
    )
    .await;
    assert_eq!(r.status(), 403, "{backend:?}: missing CSRF token");
    assert_eq!(api_login(&s, "xiaoming", "long-enough-pw", None).await, 401);

    let r = post_account(&web, &s, "register", ("xiaoming", "long-enough-pw"), &csrf).await;
    assert_eq!(r.status(), 303, "{backend:?}: register redirects");
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect::<Vec<_>>();
    assert!(cookie.iter().any(|c| c.starts_with("gz_session=")
        && c.contains("HttpOnly")
        && c.contains("SameSite=Lax")));
    let home = get_html(&web, format!("{}/", s.url)).await;
    assert!(home.contains("xiaoming"), "signed in after registering");

    // Short passwords and taken names get a readable 400.
    let r = post_account(&web, &s, "register", ("xiaoming", "long-enough-pw"), &csrf).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("用户名已被占用"));

    assert_eq!(sign_out(&web, &s, &csrf).await.status(), 303);
    let home = get_html(&web, format!("{}/", s.url)).await;
    assert!(!home.contains("xiaoming"), "signed out");

    // A form login works too, and a wrong password says so.
    let r = post_account(&web, &s, "login", ("xiaoming", "wrong-password"), &csrf).await;
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("用户名或密码不正确"));
    let r = post_form(
        &web,
        format!("{}/login", s.url),
        &[
            ("username", "xiaoming"),
            ("password", "long-enough-pw"),
            ("_csrf", csrf.as_str()),
            ("next", "/me/uploads"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/me/uploads");
}

both_dbs!(bearer_tokens_and_login_throttling);
async fn bearer_tokens_and_login_throttling(backend: Backend) {
    let s = Server::start(backend).await;
    let token = s.user_token("apiuser", "member").await;
    let (status, me) = s.get_json(Some(&token), "/api/v1/me").await;
    assert_eq!(status, 200);
    assert_eq!(me["username"], "apiuser");
    assert_eq!(me["role"], "member");
    s.expect_statuses(&[
        (Some("not-a-token"), "/api/v1/me", 401),
        (None, "/api/v1/me", 401),
    ])
    .await;

    // Malformed JSON gets a readable 400, not a crash.
    let r = client()
        .post(format!("{}/api/v1/auth/login", s.url))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "invalid_json");

    // Five failures lock the account for a while, even with the right password.
    for _ in 0..5 {
        assert_eq!(api_login(&s, "apiuser", "nope-nope", None).await, 401);
    }
    let throttled = api_login(&s, "apiuser", crate::common::PASSWORD, None).await;
    assert_eq!(throttled, 429, "{backend:?}: throttled");

    // Logging out ends the token.
    assert_eq!(
        crate::common::status(&s, "POST", Some(&token), "/api/v1/auth/logout", None).await,
        204
    );
    assert_eq!(s.status_of(Some(&token), "/api/v1/me").await, 401);
}

#[tokio::test]
async fn health_metrics_openapi_and_language() {
    let s = Server::start(crate::common::Backend::Sqlite).await;
    let (status, h) = s.get_json(None, "/healthz").await;
    assert_eq!(status, 200);
    assert_eq!(h["status"], "ok");
    let admin = s.user_token("metrics-admin", "admin").await;
    let metrics = page_text(&s, &admin, "/metrics").await;
    assert!(metrics.contains("gongzhi_http_responses_2xx_total"));

    let (status, doc) = s.get_json(None, "/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    let paths = doc["paths"].as_object().expect("paths");
    for p in [
        "/api/v1/auth/login",
        "/api/v1/me",
        "/api/v1/documents",
        "/api/v1/documents/{id}",
        "/api/v1/documents/{id}/pages/{n}",
        "/api/v1/documents/{id}/download",
        "/api/v1/documents/{id}/approve",
        "/api/v1/documents/{id}/reject",
        "/api/v1/search",
        "/api/v1/search/suggest",
        "/api/v1/documents/{id}/related",
        "/api/v1/downloads/recent",
    ] {
        assert!(paths.contains_key(p), "openapi lacks {p}");
    }

    let web = cookie_client();
    let r = web.get(format!("{}/lang/en", s.url)).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let home = get_html(&web, format!("{}/", s.url)).await;
    assert!(home.contains("lang=\"en\"") && home.contains("Upload a document"));

    // Unknown pages: a page for browsers, JSON for the API.
    let r = s.raw("GET", None, "/no/such/page").await;
    assert_eq!(r.status(), 404);
    let (status, v) = s.get_json(None, "/api/v1/documents/999999").await;
    assert_eq!(status, 404);
    assert_eq!(v["error"]["code"], "not_found");
}
