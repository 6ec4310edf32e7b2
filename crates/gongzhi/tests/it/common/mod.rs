//! Test support: the real `gongzhi` binary on 127.0.0.1:0 with a fresh data dir and a
//! fresh database (SQLite file, or a new PostgreSQL database per server).
#![allow(dead_code)]

pub mod cases;
pub mod clock;
pub mod district;
pub mod pay;
pub mod reply;
pub mod s3;
pub mod webdriver;

pub use clock::Clock;
pub use district::District;

use reqwest::multipart;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_gongzhi");
pub const PASSWORD: &str = "test-password-1";

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

const PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Whether PostgreSQL tests can run here. CI sets GONGZHI_REQUIRE_POSTGRES=1 so a missing
/// PostgreSQL fails the run instead of being skipped (said on stderr: the harness has no
/// "skipped" outcome).
pub async fn postgres_available() -> bool {
    match sqlx_pg_ping().await {
        Ok(()) => true,
        Err(e) => {
            if tool_required("GONGZHI_REQUIRE_POSTGRES") {
                panic!("PostgreSQL is required (GONGZHI_REQUIRE_POSTGRES=1) but unreachable: {e}");
            }
            eprintln!("skipped: PostgreSQL backend ({e})");
            false
        }
    }
}

/// Runs `async fn $name(backend: Backend)` as two tests, `$name::sqlite` and
/// `$name::postgres` (see [`postgres_available`] for when the second is skipped). Written
/// just above the function, like an attribute, so that rustfmt still formats its body.
macro_rules! both_dbs {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name($crate::common::Backend::Sqlite).await
            }

            #[tokio::test]
            async fn postgres() {
                if $crate::common::postgres_available().await {
                    super::$name($crate::common::Backend::Postgres).await
                }
            }
        }
    )+};
}
pub(crate) use both_dbs;

async fn sqlx_pg_ping() -> Result<(), String> {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut c = tokio::time::timeout(
        Duration::from_secs(5),
        sqlx::AnyConnection::connect(PG_ADMIN_URL),
    )
    .await
    .map_err(|_| "connection timed out".to_string())?
    .map_err(|e| e.to_string())?;
    sqlx::query("SELECT 1")
        .execute(&mut c)
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

async fn pg_admin(sql: &str) {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut c = sqlx::AnyConnection::connect(PG_ADMIN_URL)
        .await
        .expect("connect to PostgreSQL");
    sqlx::query(sql)
        .execute(&mut c)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

pub fn tool_required(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| v == "1")
}

/// The python that has `modules` (the venv `.ci/run` makes, or `GONGZHI_PYTHON`). Without
/// it a test is skipped — unless `GONGZHI_REQUIRE_PYTHON_TOOLS` says it must run.
pub fn python_with(modules: &str) -> Option<String> {
    let py =
        std::env::var("GONGZHI_PYTHON").unwrap_or_else(|_| "/var/tmp/gongzhi-py/bin/python".into());
    let ok = std::process::Command::new(&py)
        .args(["-c", &format!("import {modules}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(py);
    }
    assert!(
        !tool_required("GONGZHI_REQUIRE_PYTHON_TOOLS"),
        "python with {modules} is required at {py}"
    );
    eprintln!("skipped: python with {modules} at {py}");
    None
}

pub fn have_soffice() -> bool {
    let found = which("soffice").is_some();
    if !found && tool_required("GONGZHI_REQUIRE_SOFFICE") {
        panic!("LibreOffice is required (GONGZHI_REQUIRE_SOFFICE=1) but soffice is not on PATH");
    }
    found
}

/// Runs a command that must succeed (its standard error is the message if not); its
/// standard output.
pub fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// What follows `marker` on the first line of the child's (piped) standard output that has
/// it — the address a server says it listens on — or None if none came within `limit`.
/// The rest of the output is read and dropped, so the child never blocks on a full pipe.
pub fn address_line(child: &mut Child, marker: &'static str, limit: Duration) -> Option<String> {
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if !sent && let Some(rest) = line.split(marker).nth(1) {
                let _ = tx.send(rest.trim().to_string());
                sent = true;
            }
        }
    });
    rx.recv_timeout(limit).ok()
}

/// A server process plus everything it owns; dropping it kills the process and the database.
pub struct Server {
    pub backend: Backend,
    pub url: String,
    pub data: tempfile::TempDir,
    pub database_url: Option<String>,
    pub pg_db: Option<String>,
    pub env: Vec<(String, String)>,
    /// Start with `serve --demo` (demo accounts, categories, documents, district).
    pub demo: bool,
    child: Option<Child>,
}

impl Server {
    pub async fn start(backend: Backend) -> Server {
        Server::start_with(backend, &[]).await
    }

    /// The README's first command: `serve --demo` on an empty data dir.
    pub async fn start_demo(backend: Backend, password: &str) -> Server {
        let mut s = Server::start_with(backend, &[("GONGZHI_DEMO_PASSWORD", password)]).await;
        s.kill();
        s.demo = true;
        s.spawn();
        s
    }

    pub async fn start_with(backend: Backend, env: &[(&str, &str)]) -> Server {
        let mut s = Server::unstarted(backend, env).await;
        s.run_cli(&["migrate"], None);
        s.spawn();
        s
    }

    /// An empty data dir (and, on PostgreSQL, an empty database): nothing migrated, no
    /// process — for what must start from nothing, such as a restore.
    pub async fn unstarted(backend: Backend, env: &[(&str, &str)]) -> Server {
        let data = tempfile::tempdir().expect("temp dir");
        let (database_url, pg_db) = match backend {
            Backend::Sqlite => (None, None),
            Backend::Postgres => {
                let name = format!("gz_test_{}_{}", std::process::id(), rand_suffix());
                pg_admin(&format!("CREATE DATABASE {name}")).await;
                (
                    Some(format!("postgres://postgres@127.0.0.1:5432/{name}")),
                    Some(name),
                )
            }
        };
        Server {
            backend,
            url: String::new(),
            data,
            database_url,
            pg_db,
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            demo: false,
            child: None,
        }
    }

    /// Another node of this server's cluster (issue 17): the same PostgreSQL database and
    /// environment (give it object storage, `GONGZHI_S3_*`, to share the files), a data dir
    /// of its own (its own search index); started.
    pub fn another_node(&self) -> Server {
        assert_eq!(
            self.backend,
            Backend::Postgres,
            "nodes share a PostgreSQL database"
        );
        let data = tempfile::tempdir().expect("temp dir");
        let mut s = Server {
            backend: self.backend,
            url: String::new(),
            data,
            database_url: self.database_url.clone(),
            pg_db: None, // the first node drops the database
            env: self.env.clone(),
            demo: false,
            child: None,
        };
        s.spawn();
        s
    }

    /// The server process's id while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.arg("--data-dir").arg(self.data.path()).args(args);
        c.env_remove("DATABASE_URL");
        if let Some(url) = &self.database_url {
            c.env("DATABASE_URL", url);
        }
        c.env("RUST_LOG", "warn");
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    /// Runs a CLI subcommand against this server's data; panics on failure.
    pub fn run_cli(&self, args: &[&str], stdin: Option<&str>) -> String {
        use std::io::Write;
        let mut c = self.command(args);
        c.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().expect("spawn gongzhi");
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(input.as_bytes())
                .expect("write stdin");
        } else {
            drop(child.stdin.take());
        }
        let out = child.wait_with_output().expect("gongzhi output");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "gongzhi {args:?} failed: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }

    /// Runs a subcommand (`serve` too) that must stop by itself within 60 s; its exit
    /// status, standard output and standard error, whatever they are.
    pub fn run_cli_to_end(&self, args: &[&str]) -> (bool, String, String) {
        let dir = tempfile::tempdir().expect("temp dir");
        let (out, err) = (dir.path().join("out"), dir.path().join("err"));
        let mut child = self
            .command(args)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).expect("stdout file"))
            .stderr(std::fs::File::create(&err).expect("stderr file"))
            .spawn()
            .expect("spawn gongzhi");
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for gongzhi") {
                break status;
            }
            if start.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                let _ = child.wait();
                panic!("gongzhi {args:?} still running after 60 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let read = |p: &Path| std::fs::read_to_string(p).expect("output file");
        (status.success(), read(&out), read(&err))
    }

    /// Starts (or restarts) the server process and waits for its "listening" line.
    pub fn spawn(&mut self) {
        let mut args = vec!["serve", "--addr", "127.0.0.1:0"];
        if self.demo {
            args.push("--demo");
        }
        let mut c = self.command(&args);
        c.stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .stdin(Stdio::null());
        let mut child = c.spawn().expect("spawn server");
        self.url = address_line(&mut child, "listening on ", Duration::from_secs(60))
            .expect("server did not start within 60 s");
        self.child = Some(child);
    }

    /// kill -9: no graceful shutdown, whatever was running is interrupted.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn add_user(&self, name: &str, role: &str) {
        self.run_cli(
            &["user", "add", name, "--role", role, "--password-stdin"],
            Some(PASSWORD),
        );
    }

    /// New accounts written `name=role` or `name` (a member), separated by spaces; their
    /// tokens in order.
    pub async fn accounts<const N: usize>(&self, who: &str) -> [String; N] {
        let mut tokens = Vec::with_capacity(N);
        for one in who.split_whitespace() {
            let (name, role) = one.split_once('=').unwrap_or((one, "member"));
            tokens.push(self.user_token(name, role).await);
        }
        tokens.try_into().expect("as many names as tokens")
    }

    /// Uploads `fixtures/documents/{name}` as `owner`, waits for its conversion and has
    /// `moderator` approve it; its id.
    pub async fn published(&self, owner: &str, moderator: &str, name: &str) -> i64 {
        let id = self
            .upload_fixture(owner, &format!("documents/{name}"))
            .await;
        self.wait_converted(owner, id, Duration::from_secs(120))
            .await;
        let approve = format!("/api/v1/documents/{id}/approve");
        send_expect(self, "POST", Some(moderator), &approve, None, 200).await;
        id
    }

    /// [`Server::published`] for each of `names`, in order; their ids.
    pub async fn published_each<const N: usize>(
        &self,
        owner: &str,
        moderator: &str,
        names: [&str; N],
    ) -> [i64; N] {
        let mut ids = [0; N];
        for (id, name) in ids.iter_mut().zip(names) {
            *id = self.published(owner, moderator, name).await;
        }
        ids
    }

    /// The kinds of the notifications of the bearer of `token`, newest first.
    pub async fn notice_kinds(&self, token: &str) -> Vec<String> {
        let (_, v) = self.get_json(Some(token), "/api/v1/me/notifications").await;
        each(&v["items"])
            .map(|n| n["kind"].as_str().unwrap().to_string())
            .collect()
    }

    /// Asserts that `gongzhi ledger check` finds the books balanced.
    pub fn assert_ledger_consistent(&self) {
        let out = self.run_cli(&["ledger", "check"], None);
        assert!(out.contains("ledger consistent"), "{out}");
    }

    /// Asserts the status of each GET `(token, path, status)`, a row per request.
    pub async fn expect_statuses(&self, gets: &[(Option<&str>, &str, u16)]) {
        for &(token, path, want) in gets {
            assert_eq!(
                self.status_of(token, path).await,
                want,
                "GET {path} as {token:?}"
            );
        }
    }

    /// Creates the user and returns a bearer token for it.
    pub async fn user_token(&self, name: &str, role: &str) -> String {
        self.add_user(name, role);
        self.login(name).await
    }

    pub async fn login(&self, name: &str) -> String {
        self.login_with(name, PASSWORD).await
    }

    /// A bearer token for an account with this password (e.g. the demo's).
    pub async fn login_with(&self, name: &str, password: &str) -> String {
        let r = client()
            .post(format!("{}/api/v1/auth/login", self.url))
            .json(&serde_json::json!({ "username": name, "password": password }))
            .send()
            .await
            .expect("login request");
        assert_eq!(r.status(), 200, "login of {name}");
        let v: Value = r.json().await.expect("login json");
        v["token"].as_str().expect("token").to_string()
    }

    pub async fn upload(
        &self,
        token: &str,
        name: &str,
        bytes: Vec<u8>,
        extra: &[(&str, &str)],
    ) -> (u16, Value) {
        self.upload_to(Some(token), "/api/v1/documents", name, bytes, extra)
            .await
    }

    /// Posts a multipart form to `path`: the `file` part named `name`, and text fields.
    pub async fn upload_to(
        &self,
        token: Option<&str>,
        path: &str,
        name: &str,
        bytes: Vec<u8>,
        extra: &[(&str, &str)],
    ) -> (u16, Value) {
        let form = file_form(name, bytes, extra);
        answer(self.post_multipart(token, path, form).await).await
    }

    /// Posts a multipart form to `path` (as the bearer of `token` if any); the whole response,
    /// for a form page's redirect or HTML.
    pub async fn post_multipart(
        &self,
        token: Option<&str>,
        path: &str,
        form: multipart::Form,
    ) -> reqwest::Response {
        let mut r = client().post(format!("{}{path}", self.url)).multipart(form);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.expect("multipart request")
    }

    pub async fn upload_fixture(&self, token: &str, rel: &str) -> i64 {
        let path = fixtures().join(rel);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let (status, v) = self.upload(token, &name, bytes, &[]).await;
        assert!(status == 201 || status == 200, "upload {rel}: {status} {v}");
        v["id"].as_i64().expect("id")
    }

    pub async fn get_json(&self, token: Option<&str>, path: &str) -> (u16, Value) {
        send(self, "GET", token, path, None).await
    }

    /// A request without a body (as the bearer of `token` if any); the whole response, for a
    /// test that reads its headers, bytes or text.
    pub async fn raw(&self, method: &str, token: Option<&str>, path: &str) -> reqwest::Response {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut r = client().request(method, format!("{}{path}", self.url));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.expect("request")
    }

    /// Posts a form (`&[("field", "value"), …]`) to `path` as the bearer of `token` (no CSRF
    /// token needed), or anonymously; the whole response.
    pub async fn post_form_as<F: serde::Serialize + ?Sized>(
        &self,
        token: Option<&str>,
        path: &str,
        form: &F,
    ) -> reqwest::Response {
        let mut r = client().post(format!("{}{path}", self.url)).form(form);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.expect("form post")
    }

    /// `GET /api/v1/documents/{id}/download` as the bearer of `token`.
    pub async fn download(&self, token: &str, id: i64) -> reqwest::Response {
        let path = format!("/api/v1/documents/{id}/download");
        self.raw("GET", Some(token), &path).await
    }

    pub async fn status_of(&self, token: Option<&str>, path: &str) -> u16 {
        let mut r = client().get(format!("{}{}", self.url, path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.expect("request").status().as_u16()
    }

    /// Polls a document until it leaves `processing` (conversions take seconds).
    pub async fn wait_converted(&self, token: &str, id: i64, limit: Duration) -> Value {
        let start = Instant::now();
        loop {
            let (status, v) = self
                .get_json(Some(token), &format!("/api/v1/documents/{id}"))
                .await;
            assert_eq!(status, 200, "document {id}: {v}");
            if v["status"] != "processing" {
                return v;
            }
            assert!(
                start.elapsed() < limit,
                "document {id} still processing after {limit:?}: {v}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The one number `sql` selects (a `COUNT(*)`, say), read from this server's database.
    pub async fn scalar(&self, sql: &str) -> i64 {
        let (n,): (i64,) = sqlx::query_as(sql)
            .fetch_one(&self.db().await)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        n
    }

    pub async fn db(&self) -> sqlx::AnyPool {
        use sqlx::any::AnyPoolOptions;
        sqlx::any::install_default_drivers();
        let url = self.database_url.clone().unwrap_or_else(|| {
            format!("sqlite://{}", self.data.path().join("gongzhi.db").display())
        });
        AnyPoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await
            .expect("open test database")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        if let Some(name) = self.pg_db.take() {
            // Best effort; a leftover test database is harmless.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("rt");
                rt.block_on(pg_admin(&format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )));
            })
            .join();
        }
    }
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{}_{}", N.fetch_add(1, Ordering::SeqCst), nanos)
}

/// Clients follow no redirect (tests look at them) and give up after 60 s.
fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
}

pub fn client() -> reqwest::Client {
    client_builder().build().expect("client")
}

pub fn cookie_client() -> reqwest::Client {
    client_builder().cookie_store(true).build().expect("client")
}

/// A multipart form: the `file` part named `name`, and text fields.
pub fn file_form(name: &str, bytes: Vec<u8>, fields: &[(&str, &str)]) -> multipart::Form {
    let mut form = multipart::Form::new().part(
        "file",
        multipart::Part::bytes(bytes).file_name(name.to_string()),
    );
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    form
}

/// The status and the JSON body (`Null` if not JSON) of a response.
pub async fn answer(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// One JSON request (bearer token optional); the status and the body (`Null` if not JSON).
pub async fn send(
    s: &Server,
    method: &str,
    token: Option<&str>,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let url = format!("{}{}", s.url, path);
    let mut r = match method {
        "GET" => client().get(url),
        "POST" => client().post(url),
        "PUT" => client().put(url),
        "DELETE" => client().delete(url),
        "PATCH" => client().patch(url),
        other => panic!("method {other}"),
    };
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(b) = body {
        r = r.json(b);
    }
    answer(r.send().await.expect("request")).await
}

/// [`send`] that asserts the status; the body.
pub async fn send_expect(
    s: &Server,
    method: &str,
    token: Option<&str>,
    path: &str,
    body: Option<&Value>,
    want: u16,
) -> Value {
    let (status, v) = send(s, method, token, path, body).await;
    assert_eq!(status, want, "{method} {path} {body:?}: {v}");
    v
}

/// One row of [`expect_each`]: method, bearer token, path, JSON body, the status wanted.
pub type Request<'a> = (&'a str, Option<&'a str>, &'a str, Option<&'a Value>, u16);

/// Sends each request of a table and checks its status: a row per request instead of a
/// call per request (`send_expect` names the path of one that fails).
pub async fn expect_each(s: &Server, reqs: &[Request<'_>]) {
    for &(method, token, path, body, want) in reqs {
        send_expect(s, method, token, path, body, want).await;
    }
}

/// POSTs every `(path, body)` of `reqs` at once as the bearer of `token` (each with the
/// idempotency key `key` if any), for races; the statuses, sorted.
pub async fn burst(
    s: &Server,
    token: &str,
    key: Option<&str>,
    reqs: Vec<(String, Value)>,
) -> Vec<u16> {
    let mut set = tokio::task::JoinSet::new();
    for (path, body) in reqs {
        let mut r = client()
            .post(format!("{}{path}", s.url))
            .bearer_auth(token)
            .json(&body);
        if let Some(k) = key {
            r = r.header("Idempotency-Key", k);
        }
        set.spawn(async move { r.send().await.unwrap().status().as_u16() });
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        out.push(r.unwrap());
    }
    out.sort();
    out
}

/// Prices a document (`price_kind` free, paid or vip; `price` in yuan) as the bearer of
/// `token`, which must be allowed to.
pub async fn set_price(s: &Server, token: &str, id: i64, kind: &str, price: &str) {
    let body = serde_json::json!({ "price_kind": kind, "price": price });
    let path = format!("/api/v1/documents/{id}");
    send_expect(s, "PATCH", Some(token), &path, Some(&body), 200).await;
}

/// The items of a JSON array (panics if `v` is not one): `each(&v["items"]).map(…)`.
pub fn each(v: &Value) -> std::slice::Iter<'_, Value> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
}

/// Only the status of [`send`].
pub async fn status(
    s: &Server,
    method: &str,
    token: Option<&str>,
    path: &str,
    body: Option<&Value>,
) -> u16 {
    send(s, method, token, path, body).await.0
}

/// A page's HTML as the bearer of `token` sees it.
pub async fn page_text(s: &Server, token: &str, path: &str) -> String {
    let r = s.raw("GET", Some(token), path).await;
    r.text().await.expect("page text")
}

/// [`page_text`] in the language `lang` (`zh` or `en`, the `gz_lang` cookie).
pub async fn page_in(s: &Server, token: &str, path: &str, lang: &str) -> String {
    let r = client()
        .get(format!("{}{path}", s.url))
        .bearer_auth(token)
        .header("Cookie", format!("gz_lang={lang}"));
    r.send()
        .await
        .expect("request")
        .text()
        .await
        .expect("page text")
}

/// Signs `c` (a [`cookie_client`]) in through the login form as a browser would; the CSRF
/// token of its session.
pub async fn sign_in(s: &Server, c: &reqwest::Client, name: &str, password: &str) -> String {
    let csrf = csrf_from(&get_html(c, format!("{}/login", s.url)).await);
    let r = c
        .post(format!("{}/login", s.url))
        .form(&[
            ("username", name),
            ("password", password),
            ("_csrf", csrf.as_str()),
        ])
        .send()
        .await
        .expect("login form");
    assert_eq!(r.status(), 303, "form login of {name}");
    csrf
}

/// A browser-like client signed in through the login form, and its CSRF token.
pub async fn web_login(s: &Server, name: &str, password: &str) -> (reqwest::Client, String) {
    let web = cookie_client();
    let csrf = sign_in(s, &web, name, password).await;
    (web, csrf)
}

/// Posts a form (`&[("field", "value"), …]`, repeated fields allowed) on this client.
pub async fn post_form<F: serde::Serialize + ?Sized>(
    c: &reqwest::Client,
    url: impl reqwest::IntoUrl,
    form: &F,
) -> reqwest::Response {
    c.post(url).form(form).send().await.expect("form post")
}

/// Posts the sign-up or sign-in form (`page` is `register` or `login`) on this client with
/// these credentials and CSRF token.
pub async fn post_account(
    c: &reqwest::Client,
    s: &Server,
    page: &str,
    (user, password): (&str, &str),
    csrf: &str,
) -> reqwest::Response {
    let fields = [("username", user), ("password", password), ("_csrf", csrf)];
    post_form(c, format!("{}/{page}", s.url), &fields).await
}

/// Posts the sign-out form on this client.
pub async fn sign_out(c: &reqwest::Client, s: &Server, csrf: &str) -> reqwest::Response {
    post_form(c, format!("{}/logout", s.url), &[("_csrf", csrf)]).await
}

/// `POST /api/v1/auth/login`, optionally as if forwarded for `xff`; the status.
pub async fn api_login(s: &Server, name: &str, password: &str, xff: Option<&str>) -> u16 {
    let mut r = client()
        .post(format!("{}/api/v1/auth/login", s.url))
        .json(&serde_json::json!({ "username": name, "password": password }));
    if let Some(ip) = xff {
        r = r.header("x-forwarded-for", ip);
    }
    r.send().await.expect("login request").status().as_u16()
}

/// The body of a GET on this client, whatever the status (pages, forms).
pub async fn get_html(c: &reqwest::Client, url: impl reqwest::IntoUrl) -> String {
    c.get(url)
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("page text")
}

/// The CSRF token a server-rendered form carries.
pub fn csrf_from(html: &str) -> String {
    let i = html
        .find("name=\"_csrf\" value=\"")
        .expect("form has a CSRF field")
        + 20;
    html[i..i + 64].to_string()
}

/// A valid GB 32100-2015 credit code from an 8-character prefix and a sequence number,
/// its check character computed here independently of the server's implementation.
pub fn credit_code(prefix: &str, seq: u32) -> String {
    const CS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let first17 = format!("{prefix}MJ{seq:07}");
    let mut w = 1u32;
    let mut sum = 0u32;
    for c in first17.bytes() {
        sum += CS.iter().position(|x| *x == c).unwrap() as u32 * w;
        w = w * 3 % 31;
    }
    format!("{first17}{}", CS[((31 - sum % 31) % 31) as usize] as char)
}

/// Resolves a JSON schema's `$ref`s ("location.json", or a URL ending in a file name)
/// among schema files copied into the repository, in the folder `.0` under tests/it.
pub struct LocalSchemas(pub &'static str);

impl LocalSchemas {
    pub fn dir(&self) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/it")
            .join(self.0)
    }
}

impl jsonschema::Retrieve for LocalSchemas {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<serde_json::Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri
            .path()
            .as_str()
            .rsplit('/')
            .next()
            .unwrap_or("")
            .to_string();
        let text = std::fs::read_to_string(self.dir().join(&name))
            .map_err(|e| format!("schema {name}: {e}"))?;
        Ok(serde_json::from_str(&text)?)
    }
}
