//! Sign-in and sessions (issue 12): redirects stay on the site, throttling slows guessers
//! and not owners, CSRF, slow clients, metrics, temp folders, password pages.

use crate::common::{
    Backend, PASSWORD, Server, api_login, both_dbs, client, cookie_client, csrf_from, get_html,
    post_account, post_form, sign_out, web_login,
};
use std::time::{Duration, Instant};

fn location(r: &reqwest::Response) -> String {
    r.headers()["location"].to_str().unwrap().to_string()
}

const HOSTILE_NEXT: &[&str] = &[
    "/\t/evil.example/x",
    "/\n/evil.example/x",
    "/\r\n/evil.example/x",
    "/\u{0B}/evil.example/x",
    "/\u{0C}/evil.example/x",
    "/\u{7F}/evil.example/x",
    "/\u{85}/evil.example/x",
    "/\u{202E}/evil.example/x",
    "//evil.example/x",
    "/\\evil.example/x",
    "\\\\evil.example/x",
    "https://evil.example/x",
    "evil.example",
];

both_dbs!(next_never_leaves_the_site);
async fn next_never_leaves_the_site(backend: Backend) {
    let s = Server::start(backend).await;
    s.add_user("walker", "member");
    let web = cookie_client();
    let html = get_html(&web, format!("{}/login", s.url)).await;
    let csrf = csrf_from(&html);
    for next in HOSTILE_NEXT {
        for page in ["login", "register"] {
            let r = web
                .get(format!("{}/{page}", s.url))
                .query(&[("next", next)])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{backend:?} GET /{page} next={next:?}");
            let html = r.text().await.unwrap();
            assert!(
                html.contains(r#"name="next" value="/""#),
                "{backend:?} /{page} next={next:?} kept"
            );
        }
        let r = post_form(
            &web,
            format!("{}/login", s.url),
            &[
                ("username", "walker"),
                ("password", PASSWORD),
                ("_csrf", csrf.as_str()),
                ("next", next),
            ],
        )
        .await;
        assert_eq!(r.status(), 303, "{backend:?} POST /login next={next:?}");
        assert_eq!(location(&r), "/", "{backend:?} next={next:?}");
    }
    // Registering honours a local `next` and refuses a hostile one.
    for (i, (next, to)) in [
        ("/\n/evil.example", "/"),
        ("/search?q=社区", "/search?q=%E7%A4%BE%E5%8C%BA"),
    ]
    .into_iter()
    .enumerate()
    {
        let r = post_form(
            &web,
            format!("{}/register", s.url),
            &[
                ("username", format!("newcomer{i}").as_str()),
                ("password", "long-enough-pw"),
                ("_csrf", csrf.as_str()),
                ("next", next),
            ],
        )
        .await;
        assert_eq!(r.status(), 303, "{backend:?} register next={next:?}");
        assert_eq!(location(&r), to);
    }
    // The language switch goes back only to a page of this site.
    let r = client()
        .get(format!("{}/lang/en", s.url))
        .header("referer", "https://evil.example//evil.example/x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/");
    // Pages that need an account send the reader to sign in, and back afterwards.
    let r = s.raw("GET", None, "/cases/mine").await;
    assert_eq!(location(&r), "/login?next=/cases/mine");
}

both_dbs!(an_office_behind_one_address_signs_in_all_day);
async fn an_office_behind_one_address_signs_in_all_day(backend: Backend) {
    let s = Server::start(backend).await;
    for i in 0..4 {
        s.add_user(&format!("clerk{i}"), "member");
    }
    // 40 sign-ins from one address, more than the 30 failures it may have.
    for n in 0..40 {
        let name = format!("clerk{}", n % 4);
        assert_eq!(
            api_login(&s, &name, PASSWORD, None).await,
            200,
            "{backend:?} #{n}"
        );
    }
    // One typo in between does not change that.
    assert_eq!(api_login(&s, "clerk0", "typo-typo", None).await, 401);
    assert_eq!(api_login(&s, "clerk0", PASSWORD, None).await, 200);
}

both_dbs!(guesses_slow_the_guesser_not_the_owner);
async fn guesses_slow_the_guesser_not_the_owner(backend: Backend) {
    let s = Server::start_with(
        backend,
        &[
            ("GONGZHI_TRUSTED_PROXIES", "127.0.0.1"),
            ("GONGZHI_LOGIN_FAILURES_PER_IP", "8"),
        ],
    )
    .await;
    s.add_user("owner", "member");
    s.add_user("other", "member");
    let guesser = Some("203.0.113.5");
    for _ in 0..5 {
        assert_eq!(api_login(&s, "owner", "guess-guess", guesser).await, 401);
    }
    // The guesser's address is slowed for this account, even with the right password…
    assert_eq!(api_login(&s, "owner", PASSWORD, guesser).await, 429);
    // …the owner at another address is not.
    assert_eq!(
        api_login(&s, "owner", PASSWORD, Some("198.51.100.7")).await,
        200,
        "{backend:?}: the owner elsewhere signs in"
    );
    // Per address across accounts: 8 failures in all, then nothing more from there.
    for _ in 0..3 {
        assert_eq!(api_login(&s, "other", "guess-guess", guesser).await, 401);
    }
    assert_eq!(api_login(&s, "other", PASSWORD, guesser).await, 429);
    assert_eq!(
        api_login(&s, "other", PASSWORD, Some("198.51.100.7")).await,
        200
    );
    // A forged hop further left changes nothing: the proxy's own entry counts.
    assert_eq!(
        api_login(&s, "other", PASSWORD, Some("198.51.100.99, 203.0.113.5")).await,
        429
    );
}

#[tokio::test]
async fn forwarded_for_is_ignored_without_a_trusted_proxy() {
    let s = Server::start(Backend::Sqlite).await;
    s.add_user("owner", "member");
    for i in 0..5 {
        let ip = format!("203.0.113.{i}");
        assert_eq!(api_login(&s, "owner", "guess-guess", Some(&ip)).await, 401);
    }
    // Every attempt came from 127.0.0.1, whatever the header said.
    assert_eq!(
        api_login(&s, "owner", PASSWORD, Some("198.51.100.7")).await,
        429
    );
}

/// Guesses sent all at once are counted as they start, not when their slow checks end.
#[tokio::test]
async fn parallel_guesses_do_not_slip_through() {
    let s = Server::start(Backend::Sqlite).await;
    s.add_user("target", "member");
    let mut guesses = tokio::task::JoinSet::new();
    for i in 0..20 {
        let url = format!("{}/api/v1/auth/login", s.url);
        guesses.spawn(async move {
            let body =
                serde_json::json!({ "username": "target", "password": format!("guess-{i:04}") });
            let r = client().post(url).json(&body).send().await.unwrap();
            r.status().as_u16()
        });
    }
    let statuses = guesses.join_all().await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((checked, refused), (5, 15), "{statuses:?}");
}

both_dbs!(registration_is_limited_per_address);
async fn registration_is_limited_per_address(backend: Backend) {
    let s = Server::start(backend).await;
    let web = cookie_client();
    let html = get_html(&web, format!("{}/register", s.url)).await;
    let csrf = csrf_from(&html);
    let register = |i: usize| {
        web.post(format!("{}/register", s.url))
            .form(&[
                ("username", format!("signup{i}")),
                ("password", "long-enough-pw".to_string()),
                ("_csrf", csrf.clone()),
            ])
            .send()
    };
    // A refused name is said in Chinese and uses up nothing.
    let r = post_account(&web, &s, "register", ("ab", "long-enough-pw"), &csrf).await;
    assert_eq!(r.status(), 400);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("用户名需要 3 到 32 个字符")
    );
    for i in 0..5 {
        assert_eq!(register(i).await.unwrap().status(), 303, "{backend:?} #{i}");
    }
    let r = register(5).await.unwrap();
    assert_eq!(r.status(), 429, "{backend:?}: the sixth in an hour");
    let html = r.text().await.unwrap();
    assert!(html.contains("注册的账号过多"), "said on the form");
    assert!(
        html.contains(r#"value="signup5""#),
        "the form keeps the name"
    );
    assert_eq!(api_login(&s, "signup5", "long-enough-pw", None).await, 401);
}

both_dbs!(a_junk_bearer_does_not_skip_csrf);
async fn a_junk_bearer_does_not_skip_csrf(backend: Backend) {
    let s = Server::start(backend).await;
    s.add_user("carol", "member");
    let (web, csrf) = web_login(&s, "carol", PASSWORD).await;
    for auth in ["Bearer junk", "Basic Y2Fyb2w6cGFzc3dvcmQ=", "Bearer "] {
        let r = web
            .post(format!("{}/logout", s.url))
            .header("authorization", auth)
            .form(&[("x", "1")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{backend:?}: {auth} + cookie, no token");
    }
    let me = web
        .get(format!("{}/api/v1/me", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200, "still signed in");
    // A valid bearer authenticates the request by itself.
    let token = s.login("carol").await;
    let r = web
        .post(format!("{}/api/v1/auth/logout", s.url))
        .bearer_auth(&token)
        .form(&[("x", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204, "{backend:?}: valid bearer");
    assert_eq!(sign_out(&web, &s, &csrf).await.status(), 303);
}

/// Reads until the server closes the connection; what it sent.
async fn read_to_close(stream: &mut tokio::net::TcpStream, limit: Duration) -> String {
    use tokio::io::AsyncReadExt;
    let mut out = Vec::new();
    tokio::time::timeout(limit, stream.read_to_end(&mut out))
        .await
        .expect("the server closed the connection in time")
        .expect("read");
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn slow_clients_are_cut_off() {
    use tokio::io::AsyncWriteExt;
    let s = Server::start_with(
        Backend::Sqlite,
        &[
            ("GONGZHI_HEADER_TIMEOUT_SECS", "1"),
            ("GONGZHI_BODY_TIMEOUT_SECS", "1"),
        ],
    )
    .await;
    let addr = s.url.trim_start_matches("http://").to_string();

    // Half a request line, then silence.
    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    conn.write_all(b"GET /healthz HT").await.unwrap();
    let start = Instant::now();
    read_to_close(&mut conn, Duration::from_secs(10)).await;
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(800) && waited < Duration::from_secs(6),
        "closed after {waited:?}"
    );

    // Whole headers, a tenth of the promised form body, then silence.
    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let cookie = "a".repeat(64);
    let head = format!(
        "POST /login HTTP/1.1\r\nHost: {addr}\r\nCookie: gz_csrf={cookie}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nusername=x"
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let start = Instant::now();
    let answer = read_to_close(&mut conn, Duration::from_secs(10)).await;
    assert!(start.elapsed() < Duration::from_secs(6));
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(
        answer.contains("body_timeout") || answer.contains("超时"),
        "{answer}"
    );

    // Clients that send at a normal pace are served.
    let (status, _) = s.get_json(None, "/healthz").await;
    assert_eq!(status, 200);
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn metrics_for_admins_or_on_their_own_address() {
    let port = free_port();
    let metrics_addr = format!("127.0.0.1:{port}");
    let s = Server::start_with(Backend::Sqlite, &[("GONGZHI_METRICS_ADDR", &metrics_addr)]).await;
    let admin = s.user_token("boss", "admin").await;
    let member = s.user_token("reader", "member").await;
    assert_eq!(s.status_of(None, "/metrics").await, 404, "anonymous");
    assert_eq!(s.status_of(Some(&member), "/metrics").await, 404, "member");
    // Whether a response's text has `metric`.
    let shows = async |r: reqwest::Response, metric: &str| r.text().await.unwrap().contains(metric);
    let r = s.raw("GET", Some(&admin[..]), "/metrics").await;
    assert_eq!(r.status(), 200, "admin");
    assert!(shows(r, "gongzhi_http_responses_2xx_total").await);
    // The separate address serves metrics to its scraper, and nothing else.
    let scrape = async |path: &str| {
        let url = format!("http://{metrics_addr}{path}");
        client().get(url).send().await.unwrap()
    };
    let r = scrape("/metrics").await;
    assert_eq!(r.status(), 200);
    assert!(shows(r, "gongzhi_login_failures_total").await);
    assert_eq!(scrape("/api/v1/me").await.status(), 404);
}

#[tokio::test]
async fn temp_folders_of_interrupted_work_are_removed_at_start() {
    let mut s = Server::start(Backend::Sqlite).await;
    s.kill();
    let tmp = s.data.path().join("tmp");
    let work = tmp.join("convert-7-AbC123");
    std::fs::create_dir_all(work.join("out")).unwrap();
    std::fs::write(work.join("out/page-1.png"), b"half a page").unwrap();
    let old_spool = tmp.join(".tmpOld123");
    let f = std::fs::File::create(&old_spool).unwrap();
    f.set_modified(std::time::SystemTime::now() - Duration::from_secs(7200))
        .unwrap();
    drop(f);
    let fresh_spool = tmp.join(".tmpNew456");
    std::fs::write(&fresh_spool, b"an import running now").unwrap();
    s.spawn();
    assert!(!work.exists(), "the conversion folder is gone");
    assert!(!old_spool.exists(), "the old upload spool file is gone");
    assert!(
        fresh_spool.exists(),
        "a fresh one may belong to a running import"
    );
}

/// The audit entries with this action: (actor_id, subject).
async fn audit_rows(s: &Server, action: &str) -> Vec<(Option<i64>, String)> {
    let pool = s.db().await;
    sqlx::query_as("SELECT actor_id, subject FROM platform_audit WHERE action = $1 ORDER BY seq")
        .bind(action)
        .fetch_all(&pool)
        .await
        .unwrap()
}

async fn user_id(s: &Server, token: &str) -> i64 {
    let (status, me) = s.get_json(Some(token), "/api/v1/me").await;
    assert_eq!(status, 200);
    me["id"].as_i64().unwrap()
}

both_dbs!(password_change_signs_out_other_sessions);
async fn password_change_signs_out_other_sessions(backend: Backend) {
    let s = Server::start(backend).await;
    let api = s.user_token("dora", "member").await;
    let (other_device, _) = web_login(&s, "dora", PASSWORD).await;
    let (web, csrf) = web_login(&s, "dora", PASSWORD).await;
    let page = web
        .get(format!("{}/me/password", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("当前密码"));
    let change = |current: &str, new: &str, confirm: &str, csrf: &str| {
        web.post(format!("{}/me/password", s.url))
            .form(&[
                ("current", current.to_string()),
                ("new", new.to_string()),
                ("confirm", confirm.to_string()),
                ("_csrf", csrf.to_string()),
            ])
            .send()
    };
    let new = "a-brand-new-pw";
    let r = change(PASSWORD, new, new, "").await.unwrap();
    assert_eq!(r.status(), 403, "{backend:?}: without the CSRF token");
    let r = change("not-my-password", new, new, &csrf).await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("当前密码不正确"));
    let r = change(PASSWORD, new, "a-different-pw", &csrf)
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("两次输入的新密码不一致"));
    let r = change(PASSWORD, "short", "short", &csrf).await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("密码至少需要 8 个字符"));
    let r = change(PASSWORD, new, new, &csrf).await.unwrap();
    assert_eq!(r.status(), 303, "{backend:?}: changed");
    assert_eq!(location(&r), "/me/password?done=1");

    // This session stays; the API token and the other device are signed out.
    let me = web
        .get(format!("{}/api/v1/me", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200, "{backend:?}: the current session stays");
    assert_eq!(s.status_of(Some(&api), "/api/v1/me").await, 401);
    let me = other_device
        .get(format!("{}/api/v1/me", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 401, "{backend:?}: the other device is out");
    assert_eq!(api_login(&s, "dora", PASSWORD, None).await, 401);
    assert_eq!(api_login(&s, "dora", new, None).await, 200);
    let rows = audit_rows(&s, "account.password.change").await;
    assert_eq!(rows.len(), 1, "{backend:?}: audited once");
}

both_dbs!(an_admin_resets_a_password_and_a_member_cannot);
async fn an_admin_resets_a_password_and_a_member_cannot(backend: Backend) {
    let s = Server::start(backend).await;
    s.add_user("admin", "admin");
    let alice = s.user_token("alice", "member").await;
    let alice_id = user_id(&s, &alice).await;
    let (admin_web, admin_csrf) = web_login(&s, "admin", PASSWORD).await;
    let admin_id = user_id(&s, &s.login("admin").await).await;

    let list = get_html(&admin_web, format!("{}/admin/users?q=ali", s.url)).await;
    assert!(list.contains(&format!("/admin/users/{alice_id}/password")));
    assert!(
        list.contains(">alice</td>") && !list.contains(">admin</td>"),
        "filtered by the search"
    );

    // Generate: the password is shown once and works; alice's sessions end.
    let url = format!("{}/admin/users/{alice_id}/password", s.url);
    let r = post_form(
        &admin_web,
        &url,
        &[("mode", "generate"), ("_csrf", admin_csrf.as_str())],
    )
    .await;
    assert_eq!(r.status(), 200, "{backend:?}");
    assert_eq!(r.headers()["cache-control"], "private, no-store");
    let html = r.text().await.unwrap();
    let open = "<code class=\"secret\">";
    let i = html.find(open).expect("shown") + open.len();
    let generated = &html[i..i + 16];
    assert_eq!(s.status_of(Some(&alice), "/api/v1/me").await, 401);
    assert_eq!(api_login(&s, "alice", PASSWORD, None).await, 401);
    assert_eq!(api_login(&s, "alice", generated, None).await, 200);

    // Set: typed twice.
    let r = post_form(
        &admin_web,
        &url,
        &[
            ("mode", "set"),
            ("new", "chosen-by-admin"),
            ("confirm", "chosen-by-admiN"),
            ("_csrf", admin_csrf.as_str()),
        ],
    )
    .await;
    assert_eq!(r.status(), 400);
    let r = post_form(
        &admin_web,
        &url,
        &[
            ("mode", "set"),
            ("new", "chosen-by-admin"),
            ("confirm", "chosen-by-admin"),
            ("_csrf", admin_csrf.as_str()),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(api_login(&s, "alice", "chosen-by-admin", None).await, 200);
    let rows = audit_rows(&s, "account.password.reset").await;
    let subject = format!("platform_user:{alice_id}");
    assert_eq!(
        rows,
        vec![(Some(admin_id), subject.clone()), (Some(admin_id), subject)],
        "{backend:?}: both resets audited"
    );

    // A member may not, with or without the form's token; anonymous readers sign in.
    s.add_user("mallory", "member");
    let (mallory, csrf) = web_login(&s, "mallory", PASSWORD).await;
    let r = post_form(
        &mallory,
        &url,
        &[("mode", "generate"), ("_csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(r.status(), 403, "{backend:?}: member resets");
    for path in ["/admin/users", &format!("/admin/users/{alice_id}/password")] {
        let r = mallory
            .get(format!("{}{path}", s.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{path}");
        let r = s.raw("GET", None, path).await;
        assert_eq!(r.status(), 303, "{path}");
    }
    assert_eq!(api_login(&s, "alice", "chosen-by-admin", None).await, 200);
    let rows = audit_rows(&s, "account.password.reset").await;
    assert_eq!(rows.len(), 2, "{backend:?}: nothing more was audited");
}

/// In a real browser: a tab in `next` no longer leads to another site after signing in
/// (Chromium drops the tab, which made `/\t/host` into `//host`), and the password pages
/// work from the name in the header.
#[tokio::test]
async fn sign_in_and_password_pages_in_a_browser() {
    use crate::common::webdriver::Browser;
    let Some(b) = Browser::start().await else {
        return;
    };
    let s = Server::start(Backend::Sqlite).await;
    s.add_user("erin", "admin");
    s.add_user("frank", "member");
    let host = s.url.trim_start_matches("http://").to_string();

    b.goto(&format!("{}/login?next=/%09/evil.example/x", s.url))
        .await;
    b.type_into("input[name=username]", "erin").await;
    b.type_into("input[name=password]", PASSWORD).await;
    b.click("form.form button[type=submit]").await;
    b.wait("!!document.querySelector('a.who')").await;
    assert_eq!(b.eval("return location.host").await, host.as_str());
    assert_eq!(b.eval("return location.pathname").await, "/");

    // Own password, from the name in the header.
    b.click("a.who").await;
    b.wait_for(
        "location.pathname === '/me/password'",
        Duration::from_secs(10),
    )
    .await;
    let new = "erin-new-password";
    b.type_into("input[name=current]", PASSWORD).await;
    b.type_into("input[name=new]", new).await;
    b.type_into("input[name=confirm]", new).await;
    b.click("form.form button[type=submit]").await;
    b.wait("!!document.querySelector('.alert-info') && location.search === '?done=1'")
        .await;
    assert!(b.text(".alert-info").await.contains("密码已修改"));
    assert_eq!(api_login(&s, "erin", new, None).await, 200);

    // An administrator generates a password for another account and sees it once.
    b.click("a[href='/admin/users']").await;
    b.wait_for(
        "location.pathname === '/admin/users'",
        Duration::from_secs(10),
    )
    .await;
    b.type_into("main input[name=q]", "frank").await;
    b.click("main form[role=search] button").await;
    b.wait_for("location.search === '?q=frank'", Duration::from_secs(10))
        .await;
    b.click("td a[href$='/password']").await;
    b.wait_for(
        "location.pathname.endsWith('/password')",
        Duration::from_secs(10),
    )
    .await;
    b.click("input[value=generate] ~ button").await;
    b.wait("!!document.querySelector('code.secret')").await;
    let generated = b.text("code.secret").await;
    assert_eq!(api_login(&s, "frank", generated.trim(), None).await, 200);
}
