//! Several nodes behind a load balancer (issue 17, ADR 041): PostgreSQL, a real S3 server
//! (s3s-fs, ADR 039) for the files, two Gongzhi processes on their own data dirs, and
//! HAProxy in front.

use crate::common::s3::S3Server;
use crate::common::{self, Backend, District, Server, client, send_expect};
use serde_json::{Value, json};
use sqlx::Connection;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const GET: reqwest::Method = reqwest::Method::GET;
const POST: reqwest::Method = reqwest::Method::POST;

/// HAProxy in front of the nodes: round robin, or one node by the `x-node` header (`a`,
/// `b`) so that a test can say which node does what and still go through the balancer.
struct Balancer {
    url: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Balancer {
    /// None when HAProxy is not installed (fails instead with GONGZHI_REQUIRE_LB=1).
    fn start(nodes: &[&Server]) -> Option<Balancer> {
        let Some(exe) = common::which("haproxy").or_else(|| {
            let sbin = std::path::PathBuf::from("/usr/sbin/haproxy");
            sbin.is_file().then_some(sbin)
        }) else {
            assert!(
                !common::tool_required("GONGZHI_REQUIRE_LB"),
                "HAProxy is required (GONGZHI_REQUIRE_LB=1) but not installed"
            );
            eprintln!("skipped: HAProxy (apt-get install haproxy): the cluster tests");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let addr = |s: &Server| s.url.trim_start_matches("http://").to_string();
        let mut cfg = format!(
            "global\n  maxconn 256\ndefaults\n  mode http\n  timeout connect 5s\n  \
             timeout client 120s\n  timeout server 120s\n  option forwardfor\n  \
             option redispatch\n  retries 2\n\
             frontend web\n  bind 127.0.0.1:{port}\n"
        );
        let names = ["a", "b"];
        for name in names.iter().take(nodes.len()) {
            cfg += &format!("  use_backend node_{name} if {{ req.hdr(x-node) -m str {name} }}\n");
        }
        cfg += "  default_backend nodes\nbackend nodes\n  balance roundrobin\n";
        for (name, s) in names.iter().zip(nodes) {
            // A node found dead is taken out of the rotation.
            cfg += &format!(
                "  server {name} {} check inter 300ms fall 1 rise 1\n",
                addr(s)
            );
        }
        for (name, s) in names.iter().zip(nodes) {
            cfg += &format!("backend node_{name}\n  server {name} {}\n", addr(s));
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("haproxy.cfg");
        std::fs::write(&file, cfg).expect("haproxy.cfg");
        let child = Command::new(exe)
            .arg("-db")
            .arg("-f")
            .arg(&file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("start haproxy");
        let url = format!("http://127.0.0.1:{port}");
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "HAProxy did not listen"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(Balancer {
            url,
            child,
            _dir: dir,
        })
    }

    /// A request through the balancer, to `node` (`"a"`, `"b"`) or to either.
    fn req(
        &self,
        method: reqwest::Method,
        node: Option<&str>,
        path: &str,
    ) -> reqwest::RequestBuilder {
        let r = client().request(method, format!("{}{path}", self.url));
        match node {
            Some(n) => r.header("x-node", n),
            None => r,
        }
    }

    /// A request with a bearer token and no body, through the balancer; the response.
    async fn call(
        &self,
        method: reqwest::Method,
        node: Option<&str>,
        token: &str,
        path: &str,
    ) -> reqwest::Response {
        self.req(method, node, path)
            .bearer_auth(token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// Uploads a fixture as the bearer of `token`, with `title`; the new document's id.
    async fn upload(&self, node: Option<&str>, token: &str, fixture: &str, title: &str) -> i64 {
        let path = common::fixtures().join(fixture);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).expect("fixture");
        let form = reqwest::multipart::Form::new()
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(name),
            )
            .text("title", title.to_string());
        let r = self
            .req(POST, node, "/api/v1/documents")
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .expect("upload");
        assert_eq!(r.status(), 201, "upload {fixture}");
        r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `check` every 20 ms until it returns true; how long that took. Fails at `limit`.
async fn within<F, Fut>(limit: Duration, what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if check().await {
            return start.elapsed();
        }
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn search_ids(lb: &Balancer, node: &str, q: &str) -> Vec<i64> {
    let r = lb
        .req(GET, Some(node), "/api/v1/search")
        .query(&[("q", q)])
        .send()
        .await
        .expect("search");
    assert_eq!(r.status(), 200, "search {q} on {node}");
    let v: Value = r.json().await.expect("search json");
    v["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| h["id"].as_i64().expect("id"))
        .collect()
}

/// The environment of every node: short leases, so a dead node's work moves on quickly;
/// the balancer's address is trusted for the client's (`X-Forwarded-For`).
const NODE_ENV: &[(&str, &str)] = &[
    ("GONGZHI_JOBS_LEASE_SECS", "2"),
    ("GONGZHI_JOBS_CONCURRENCY", "1"),
    ("GONGZHI_CLUSTER_LEASE_SECS", "2"),
    ("GONGZHI_TRUSTED_PROXIES", "127.0.0.1"),
    ("GONGZHI_LOGIN_FAILURES_PER_ACCOUNT", "3"),
    ("GONGZHI_REGISTRATIONS_PER_IP", "3"),
];

/// Two nodes over one PostgreSQL database and one bucket, behind HAProxy. The S3 server
/// lives as long as the nodes.
struct Cluster {
    a: Server,
    b: Server,
    lb: Balancer,
    _s3: S3Server,
}

/// None when a part is missing (and not required).
async fn cluster() -> Option<Cluster> {
    cluster_with(&[]).await
}

/// A cluster whose nodes also get `extra` (after [`NODE_ENV`], so it wins).
async fn cluster_with(extra: &[(&str, &str)]) -> Option<Cluster> {
    if !common::postgres_available().await {
        return None;
    }
    let s3 = S3Server::start()?;
    let s3_env = s3.env();
    let env: Vec<(&str, &str)> = NODE_ENV
        .iter()
        .copied()
        .chain(s3_env.iter().map(|(k, v)| (*k, v.as_str())))
        .chain(extra.iter().copied())
        .collect();
    let a = Server::start_with(Backend::Postgres, &env).await;
    let b = a.another_node();
    let lb = Balancer::start(&[&a, &b])?;
    Some(Cluster { a, b, lb, _s3: s3 })
}

#[tokio::test]
async fn two_nodes_behind_a_load_balancer() {
    let Some(Cluster { a, b, lb, _s3 }) = cluster().await else {
        return;
    };
    let admin = a.user_token("admin", "admin").await;
    let moderator = a.user_token("mod", "moderator").await;
    let member = a.user_token("writer", "member").await;

    // A member uploads on node A; once a moderator approves it (on A), node B finds it
    // within 2 s and serves its pages.
    let guide = "documents/yunxiu-community-service-guide.pdf";
    let doc = lb
        .upload(Some("a"), &member, guide, "云岫区社区服务指南")
        .await;
    let v = b
        .wait_converted(&member, doc, Duration::from_secs(120))
        .await;
    assert_eq!(v["status"], "pending_review", "{v}");
    let approve = format!("/api/v1/documents/{doc}/approve");
    let r = lb.call(POST, Some("a"), &moderator, &approve).await;
    assert_eq!(r.status(), 200, "approved on A");
    let lag = within(Duration::from_secs(2), "searchable on node B", || async {
        search_ids(&lb, "b", "社区服务指南").await.contains(&doc)
    })
    .await;
    eprintln!("published on A → searchable on B: {lag:?}");
    for node in ["a", "b"] {
        let page = format!("/api/v1/documents/{doc}/pages/1");
        let r = lb.call(GET, Some(node), &admin, &page).await;
        assert_eq!(r.status(), 200, "page 1 on node {node}");
        assert!(!r.bytes().await.unwrap().is_empty());
    }

    // A revoked Open311 key: node B has it cached, node A revokes it, B refuses within 1 s.
    let mut d = District::new(&a, &admin, json!({}));
    d.units(&[("", "district", "KD")]).await;
    let key = a
        .run_cli(&["open311", "key", "add", "集群客户端"], None)
        .trim()
        .to_string();
    let open311 = |node: &'static str| {
        let key = key.clone();
        let lb = &lb;
        async move {
            lb.req(GET, Some(node), "/open311/v2/requests.json")
                .query(&[("api_key", key.as_str())])
                .send()
                .await
                .expect("open311")
                .status()
                .as_u16()
        }
    };
    for _ in 0..3 {
        assert_eq!(
            open311("b").await,
            200,
            "the key works on B (and is cached there)"
        );
    }
    let pool = a.db().await;
    let (client_id,): (i64,) = sqlx::query_as("SELECT id FROM cases_open311_clients")
        .fetch_one(&pool)
        .await
        .unwrap();
    let revoke = format!("/cases/settings/keys/{client_id}/revoke");
    let r = lb.call(POST, Some("a"), &admin, &revoke).await;
    assert_eq!(r.status(), 303, "revoked on A");
    assert_eq!(open311("a").await, 403, "A refuses at once");
    let lag = within(Duration::from_secs(1), "B refuses the revoked key", || {
        let f = open311("b");
        async move { f.await == 403 }
    })
    .await;
    eprintln!("revoked on A → refused on B: {lag:?}");

    // Throttling counts across nodes: three wrong passwords for one account, on either
    // node, and the fourth is refused on both.
    let wrong = |node: &'static str| {
        let lb = &lb;
        async move {
            lb.req(POST, Some(node), "/api/v1/auth/login")
                .json(&json!({ "username": "mod", "password": "wrong-password" }))
                .send()
                .await
                .expect("login")
                .status()
                .as_u16()
        }
    };
    assert_eq!(wrong("a").await, 401);
    assert_eq!(wrong("b").await, 401);
    assert_eq!(wrong("a").await, 401);
    assert_eq!(wrong("b").await, 429, "B counts A's failures");
    assert_eq!(wrong("a").await, 429);

    // So does registration from one address: three sign-ups through either node, and the
    // fourth is refused on both.
    let web = common::cookie_client();
    let form = web
        .get(format!("{}/register", lb.url))
        .header("x-node", "b")
        .send()
        .await
        .expect("register page");
    let csrf = common::csrf_from(&form.text().await.unwrap());
    let register = |node: &'static str, i: usize| {
        let (web, lb, csrf) = (&web, &lb, csrf.clone());
        async move {
            web.post(format!("{}/register", lb.url))
                .header("x-node", node)
                .form(&[
                    ("username", format!("signup{i}")),
                    ("password", "long-enough-pw".to_string()),
                    ("_csrf", csrf),
                ])
                .send()
                .await
                .expect("register")
                .status()
                .as_u16()
        }
    };
    assert_eq!(register("a", 0).await, 303);
    assert_eq!(register("b", 1).await, 303);
    assert_eq!(register("a", 2).await, 303);
    assert_eq!(register("b", 3).await, 429, "B counts A's sign-ups");
    assert_eq!(register("a", 4).await, 429);

    // A new node builds its index from the database before it serves.
    let c = a.another_node();
    let r = client()
        .get(format!("{}/api/v1/search", c.url))
        .query(&[("q", "社区服务指南")])
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["hits"][0]["id"], doc, "a new node's index: {v}");
    drop(c);
}

#[tokio::test]
async fn a_node_killed_mid_conversion_and_the_other_finishes() {
    if !common::have_soffice() {
        eprintln!("skipped: LibreOffice (soffice)");
        return;
    }
    let Some(Cluster { a, b, lb, _s3 }) = cluster().await else {
        return;
    };
    let admin = a.user_token("admin", "admin").await;
    // An Office document: LibreOffice takes seconds over it.
    let lecture = "documents/party-lecture-grid-governance.ppt";
    let doc = lb.upload(None, &admin, lecture, "网格治理党课").await;

    // Whichever node took the job is killed while it converts.
    let pool = a.db().await;
    let start = Instant::now();
    let holder = loop {
        let row: Option<(Option<String>,)> =
            sqlx::query_as("SELECT locked_by FROM platform_jobs WHERE status = 'running'")
                .fetch_optional(&pool)
                .await
                .unwrap();
        if let Some((Some(holder),)) = row {
            break holder;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no node took the job"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let (mut dying, survivor) = if holder.starts_with(&format!("{}-", a.pid().unwrap())) {
        (a, b)
    } else {
        (b, a)
    };
    let survivor_node = std::fs::read_to_string(survivor.data.path().join("node-id")).unwrap();
    dying.kill();
    let (status,): (String,) = sqlx::query_as("SELECT status FROM library_documents WHERE id = $1")
        .bind(doc)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "processing", "the kill came mid-conversion");

    // The survivor finishes it, and the balancer sends everyone there.
    let v = survivor
        .wait_converted(&admin, doc, Duration::from_secs(240))
        .await;
    assert_ne!(v["status"], "failed", "{v}");
    for _ in 0..4 {
        let r = lb
            .call(GET, None, &admin, &format!("/api/v1/documents/{doc}"))
            .await;
        assert_eq!(r.status(), 200, "through the balancer, with a node dead");
    }
    let (attempts, by): (i64, Option<String>) =
        sqlx::query_as("SELECT attempts, locked_by FROM platform_jobs WHERE status = 'done'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(attempts >= 2, "the interrupted job ran again ({attempts})");
    assert!(by.is_none());

    // The clock lease is the survivor's once the dead node's runs out.
    within(
        Duration::from_secs(10),
        "the survivor holds the clock lease",
        || {
            let (pool, survivor_node) = (&pool, &survivor_node);
            async move {
                let (holder,): (String,) =
                    sqlx::query_as("SELECT holder FROM platform_leases WHERE name = 'clock'")
                        .fetch_one(pool)
                        .await
                        .unwrap();
                &holder == survivor_node
            }
        },
    )
    .await;
    drop((lb, survivor, dying)); // the live node first, then the database
}

/// On PostgreSQL an event id drawn earlier can commit later: the follower must not skip it.
#[tokio::test]
async fn an_event_committed_out_of_order_is_indexed_on_every_node() {
    let Some(Cluster { a, b, lb, _s3 }) = cluster().await else {
        return;
    };
    let admin = a.user_token("admin", "admin").await;
    let mut docs = Vec::new();
    for f in [
        "documents/yunxiu-community-service-guide.pdf",
        "documents/office-worker-service-points-research.pdf",
    ] {
        let id = a.upload_fixture(&admin, f).await;
        let v = a.wait_converted(&admin, id, Duration::from_secs(120)).await;
        if v["status"] != "ready" {
            send_expect(
                &a,
                "POST",
                Some(&admin),
                &format!("/api/v1/documents/{id}/approve"),
                None,
                200,
            )
            .await;
        }
        docs.push(id);
    }
    // Two writers, as the library would write: a title and its event in one transaction.
    let url = a.database_url.clone().unwrap();
    let connect = || async { sqlx::AnyConnection::connect(&url).await.expect("connect") };
    let (mut first, mut second) = (connect().await, connect().await);
    let retitle = |doc: i64, word: &'static str| {
        (
            format!("UPDATE library_documents SET title = '{word}' WHERE id = {doc}"),
            format!(
                "INSERT INTO platform_events (at, topic, subject_id, payload) \
                 VALUES (0, 'library.document.updated', {doc}, '{{}}')"
            ),
        )
    };
    let mut t1 = first.begin().await.unwrap();
    let (u, e) = retitle(docs[0], "zirconlate");
    sqlx::query(&u).execute(&mut *t1).await.unwrap();
    sqlx::query(&e).execute(&mut *t1).await.unwrap(); // the lower id, not yet committed
    let mut t2 = second.begin().await.unwrap();
    let (u, e) = retitle(docs[1], "quartzearly");
    sqlx::query(&u).execute(&mut *t2).await.unwrap();
    sqlx::query(&e).execute(&mut *t2).await.unwrap();
    t2.commit().await.unwrap();
    for node in ["a", "b"] {
        within(
            Duration::from_secs(2),
            "the later id is indexed",
            || async { search_ids(&lb, node, "quartzearly").await == [docs[1]] },
        )
        .await;
    }
    // Both followers have read past the lower id; it commits now and must still show.
    t1.commit().await.unwrap();
    for node in ["a", "b"] {
        let lag = within(
            Duration::from_secs(2),
            "the earlier id is indexed",
            || async { search_ids(&lb, node, "zirconlate").await == [docs[0]] },
        )
        .await;
        eprintln!("an event committed out of order, searchable on {node}: {lag:?}");
    }
    drop((first, second, b, lb));
}

/// How many times this node has run the clock's work (`gongzhi_clock_runs_total`).
async fn clock_runs(lb: &Balancer, node: &str, token: &str) -> u64 {
    let r = lb.call(GET, Some(node), token, "/metrics").await;
    assert_eq!(r.status(), 200, "metrics of {node}");
    let text = r.text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("gongzhi_clock_runs_total "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no clock counter on {node}: {text}"))
}

/// The sweeps (case deadlines, needs follow-ups) run on the node holding the clock lease only,
/// and move to the other node when that one dies.
#[tokio::test]
async fn the_clock_runs_on_one_node_and_moves_when_it_dies() {
    // Sweeps every 100 ms; a 5 s lease, so a busy CI machine does not hand it over by itself.
    let extra = [
        ("GONGZHI_CASES_SWEEP_MS", "100"),
        ("GONGZHI_NEEDS_SWEEP_MS", "100"),
        ("GONGZHI_CLUSTER_LEASE_SECS", "5"),
    ];
    let Some(Cluster { a, b, lb, _s3 }) = cluster_with(&extra).await else {
        return;
    };
    let admin = a.user_token("admin", "admin").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (on_a, on_b) = (
        clock_runs(&lb, "a", &admin).await,
        clock_runs(&lb, "b", &admin).await,
    );
    assert!(
        (on_a == 0) != (on_b == 0),
        "the clock runs on exactly one node: A {on_a}, B {on_b}"
    );
    assert!(
        on_a + on_b >= 10,
        "two sweeps every 100 ms for 3 s ran {} times",
        on_a + on_b
    );
    let (mut holder, other, other_name) = if on_a > 0 { (a, b, "b") } else { (b, a, "a") };
    holder.kill();
    let lag = within(
        Duration::from_secs(15),
        "the other node takes the clock over",
        || async { clock_runs(&lb, other_name, &admin).await > 0 },
    )
    .await;
    eprintln!("clock holder killed → the other node sweeps after {lag:?}");
    drop((lb, other, holder)); // the live node first, then the database
}
