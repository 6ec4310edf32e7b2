//! `cluster-bench`: the scale-out benchmark of issue 17 (see BENCHMARKS.md).
//!
//! In one run, on one machine, the same work against two layouts:
//! - **single**: one node on the embedded default (SQLite, local files, its own index);
//! - **cluster**: two nodes over one PostgreSQL database and one S3 bucket (s3s-fs), each with
//!   its own index built from the database at start, behind HAProxy (round robin).
//!
//! The work: the search benchmark's generated corpus (`--docs` documents of
//! `--pages-per-doc` pages, written straight into the database) and its query set, from
//! `--clients` keep-alive clients; then Open311 intake (`POST /open311/v2/requests.json`) from
//! `--intake-clients` clients for `--seconds`, as fast as answers come, and at `--rate`.
//! Every client goes through the layout's one entry address (the balancer for the cluster).
//!
//! On one 2-core machine every process of the cluster shares the same two cores, so the
//! ratio shows what the cluster's parts cost, not what a second machine would add.

#[allow(dead_code)] // the judged relevance belongs to search-bench
mod corpus;
mod http;
mod intake;
mod library_load;
mod proc;
#[allow(dead_code)] // the SQL baselines belong to search-bench
mod run;

use corpus::{BenchQuery, Params, Vocab};
use http::Http;
use run::{Summary, run_parallel, summarise, summary_json};
use serde_json::{Value, json};
use sqlx::Connection;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const USAGE: &str = "cluster-bench [--docs 2000] [--pages-per-doc 10] [--clients 8] [--rounds 3] \
[--intake-clients 50] [--seconds 10] [--rate 500] [--gongzhi PATH] [--s3s-fs PATH] \
[--haproxy PATH] [--postgres URL] [--work DIR] [--out DIR]";

struct Args {
    docs: usize,
    pages_per_doc: usize,
    clients: usize,
    rounds: usize,
    intake_clients: usize,
    seconds: u64,
    rate: f64,
    gongzhi: PathBuf,
    s3s_fs: PathBuf,
    haproxy: PathBuf,
    postgres: String,
    work: PathBuf,
    out: PathBuf,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut a = Args {
        docs: 2000,
        pages_per_doc: 10,
        clients: 8,
        rounds: 3,
        intake_clients: 50,
        seconds: 10,
        rate: 500.0,
        gongzhi: proc::default_gongzhi(),
        s3s_fs: PathBuf::from("/var/tmp/gongzhi-tools/bin/s3s-fs"),
        haproxy: PathBuf::from("/usr/sbin/haproxy"),
        postgres: "postgres://postgres@127.0.0.1:5432".into(),
        work: PathBuf::from("/var/tmp/gongzhi-cluster-bench"),
        out: Path::new(env!("CARGO_MANIFEST_DIR")).join("out"),
    };
    for (flag, v) in proc::flags(USAGE)? {
        let n = || proc::number(&flag, &v);
        match flag.as_str() {
            "--docs" => a.docs = n()?.max(1),
            "--pages-per-doc" => a.pages_per_doc = n()?.max(1),
            "--clients" => a.clients = n()?.max(1),
            "--rounds" => a.rounds = n()?.max(1),
            "--intake-clients" => a.intake_clients = n()?.max(1),
            "--seconds" => a.seconds = n()?.max(1) as u64,
            "--rate" => a.rate = n()?.max(1) as f64,
            "--gongzhi" => a.gongzhi = PathBuf::from(&v),
            "--s3s-fs" => a.s3s_fs = PathBuf::from(&v),
            "--haproxy" => a.haproxy = PathBuf::from(&v),
            "--postgres" => a.postgres = v.trim_end_matches('/').to_string(),
            "--work" => a.work = PathBuf::from(&v),
            "--out" => a.out = PathBuf::from(&v),
            _ => anyhow::bail!("unknown flag {flag}\n{USAGE}"),
        }
    }
    for (what, p) in [
        ("gongzhi", &a.gongzhi),
        ("s3s-fs", &a.s3s_fs),
        ("haproxy", &a.haproxy),
    ] {
        anyhow::ensure!(p.is_file(), "{what} not found at {}", p.display());
    }
    Ok(a)
}

/// One layout, running: the address every client uses, the processes to stop, and how to
/// run a `gongzhi` command on its data.
struct Layout {
    name: &'static str,
    entry: String,
    /// Stopped in this order when the layout is dropped.
    children: Vec<Child>,
    data: PathBuf,
    env: Vec<(&'static str, String)>,
    gongzhi: PathBuf,
}

impl Layout {
    fn cli(&self) -> Command {
        cli(&self.gongzhi, &self.data, &self.env)
    }
}

impl Drop for Layout {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// `gongzhi --data-dir data` with `env` (database, bucket) on top of the benchmark's own.
fn cli(exe: &Path, data: &Path, env: &[(&'static str, String)]) -> Command {
    let mut c = proc::gongzhi(exe, data);
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

fn run_cli(cmd: &mut Command, what: &str) -> anyhow::Result<String> {
    let out = cmd.stderr(Stdio::inherit()).output()?;
    anyhow::ensure!(out.status.success(), "{what} failed ({})", out.status);
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Generates the corpus into the database at `url`, 1,000 documents a transaction.
async fn load_corpus(args: &Args, v: &Vocab, p: &Params, url: &str) -> anyhow::Result<usize> {
    let mut db = library_load::connect(url).await?;
    let now = 1_700_000_000_000i64;
    let uploader = library_load::uploader(&mut db, now).await?;
    let last = args.docs as i64;
    let mut pages = 0;
    for start in (1..=last).step_by(1000) {
        let docs: Vec<corpus::Doc> = (start..=(start + 999).min(last))
            .map(|i| corpus::generate(v, p, i, false))
            .collect();
        pages += docs.iter().map(|d| d.pages.len()).sum::<usize>();
        library_load::insert(&mut db, &docs, uploader, now, last).await?;
    }
    library_load::finish(db, url).await?;
    Ok(pages)
}

async fn single(args: &Args, v: &Vocab, p: &Params) -> anyhow::Result<Layout> {
    let data = args.work.join("single");
    std::fs::create_dir_all(&data)?;
    let env = Vec::new();
    run_cli(cli(&args.gongzhi, &data, &env).arg("migrate"), "migrate")?;
    let url = format!("sqlite://{}", data.join("gongzhi.db").display());
    let pages = load_corpus(args, v, p, &url).await?;
    eprintln!("[bench] single: {pages} pages loaded into SQLite");
    let t = Instant::now();
    let (child, addr) = proc::listen(cli(&args.gongzhi, &data, &env), &data.join("serve.log"))?;
    eprintln!(
        "[bench] single: node up, index built from the database in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    Ok(Layout {
        name: "single",
        entry: addr,
        children: vec![child],
        data,
        env,
        gongzhi: args.gongzhi.clone(),
    })
}

/// s3s-fs over a fresh folder with one bucket; the process and its endpoint.
fn s3_server(args: &Args, dir: &Path) -> anyhow::Result<(Child, String)> {
    std::fs::create_dir_all(dir.join("gongzhi"))?;
    let mut child = Command::new(&args.s3s_fs)
        .args(["--host", "127.0.0.1", "--port", "0"])
        .args(["--access-key", "bench", "--secret-key", "bench-secret"])
        .arg(dir)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(rest) = line.split("server is running at ").nth(1) {
                let _ = tx.send(rest.trim().to_string());
            }
        }
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(endpoint) => Ok((child, endpoint)),
        Err(_) => {
            let _ = child.kill();
            anyhow::bail!("s3s-fs did not start")
        }
    }
}

/// HAProxy on a free port, round robin over `nodes`; the process and its address.
fn balancer(args: &Args, dir: &Path, nodes: &[&str]) -> anyhow::Result<(Child, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut cfg = format!(
        "global\n  maxconn 4096\ndefaults\n  mode http\n  maxconn 4096\n  timeout connect 5s\n  \
         timeout client 120s\n  timeout server 120s\n  option forwardfor\n\
         frontend web\n  bind 127.0.0.1:{port}\n  default_backend nodes\n\
         backend nodes\n  balance roundrobin\n"
    );
    for (i, addr) in nodes.iter().enumerate() {
        cfg += &format!("  server n{i} {addr}\n");
    }
    let file = dir.join("haproxy.cfg");
    std::fs::write(&file, cfg)?;
    let child = Command::new(&args.haproxy)
        .arg("-db")
        .arg("-f")
        .arg(&file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()?;
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        anyhow::ensure!(
            start.elapsed() < Duration::from_secs(20),
            "HAProxy did not listen"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok((child, format!("127.0.0.1:{port}")))
}

async fn cluster(args: &Args, v: &Vocab, p: &Params) -> anyhow::Result<Layout> {
    const DB: &str = "gongzhi_cluster_bench";
    let mut admin = sqlx::PgConnection::connect(&format!("{}/postgres", args.postgres)).await?;
    // Two statements: PostgreSQL runs neither inside a transaction block.
    for sql in [
        format!("DROP DATABASE IF EXISTS {DB} WITH (FORCE)"),
        format!("CREATE DATABASE {DB}"),
    ] {
        sqlx::raw_sql(&sql).execute(&mut admin).await?;
    }
    admin.close().await?;
    let url = format!("{}/{DB}", args.postgres);
    let (s3, endpoint) = s3_server(args, &args.work.join("s3"))?;
    let mut children = vec![s3];
    let env = vec![
        ("DATABASE_URL", url.clone()),
        ("GONGZHI_S3_ENDPOINT", endpoint),
        ("GONGZHI_S3_BUCKET", "gongzhi".to_string()),
        ("GONGZHI_S3_ACCESS_KEY", "bench".to_string()),
        ("GONGZHI_S3_SECRET_KEY", "bench-secret".to_string()),
        // Every client reaches the nodes through the balancer.
        ("GONGZHI_TRUSTED_PROXIES", "127.0.0.1".to_string()),
    ];
    let a = args.work.join("node-a");
    let b = args.work.join("node-b");
    std::fs::create_dir_all(&a)?;
    std::fs::create_dir_all(&b)?;
    run_cli(cli(&args.gongzhi, &a, &env).arg("migrate"), "migrate")?;
    let pages = load_corpus(args, v, p, &url).await?;
    eprintln!("[bench] cluster: {pages} pages loaded into PostgreSQL");
    let mut addrs = Vec::new();
    for data in [&a, &b] {
        let t = Instant::now();
        let (child, addr) = proc::listen(cli(&args.gongzhi, data, &env), &data.join("serve.log"))?;
        eprintln!(
            "[bench] cluster: node {addr} up, index built from the database in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        children.insert(0, child);
        addrs.push(addr);
    }
    let refs: Vec<&str> = addrs.iter().map(String::as_str).collect();
    let (lb, entry) = balancer(args, &args.work, &refs)?;
    children.insert(0, lb);
    Ok(Layout {
        name: "cluster",
        entry,
        children,
        data: a,
        env,
        gongzhi: args.gongzhi.clone(),
    })
}

/// The query set from `clients` clients: one warm-up pass, then `rounds` timed passes.
fn search(args: &Args, l: &Layout, qs: &[BenchQuery]) -> anyhow::Result<(Summary, usize)> {
    let texts: Vec<String> = qs.iter().map(BenchQuery::text).collect();
    let all: Vec<usize> = (0..qs.len()).collect();
    let pass = |jobs: &[usize]| {
        run_parallel(
            args.clients,
            qs.len(),
            jobs,
            || Ok(Http::new(&l.entry)),
            |c, q| c.search(&texts[q]),
        )
    };
    pass(&all)?;
    let jobs: Vec<usize> = (0..args.rounds).flat_map(|_| all.clone()).collect();
    let m = pass(&jobs)?;
    if let Some(e) = &m.first_error {
        eprintln!(
            "[bench] {}: {} search errors (first: {e})",
            l.name, m.errors
        );
    }
    let found = m.results.iter().flatten().filter(|r| !r.is_empty()).count();
    Ok((summarise(&m, |_| true), found))
}

/// Open311 intake as fast as answers come, then at `args.rate`.
fn open311(args: &Args, l: &Layout) -> anyhow::Result<Value> {
    intake::set_up(|| l.cli(), &l.entry)?;
    let key = run_cli(l.cli().args(["open311", "key", "add", "bench"]), "key")?;
    let _ = intake::intake(&l.entry, &key, args.intake_clients, 1, None); // warm-up
    let mut out = Vec::new();
    for rate in [None, Some(args.rate)] {
        let (rps, lat, errors, first) =
            intake::intake(&l.entry, &key, args.intake_clients, args.seconds, rate);
        eprintln!(
            "[bench] {}: intake offered {}: {rps:.0} requests/s, latency {lat}, errors {errors} {}",
            l.name,
            rate.map_or("as fast as answered".to_string(), |r| format!("{r:.0}/s")),
            first.clone().unwrap_or_default()
        );
        out.push(
            json!({ "offered_per_s": rate, "requests_per_s": rps, "latency": lat,
                         "errors": errors, "first_error": first }),
        );
    }
    Ok(json!({ "saturation": out[0], "paced": out[1] }))
}

fn ratio(a: &Value, b: &Value, path: &[&str]) -> f64 {
    let get = |v: &Value| {
        path.iter()
            .fold(v, |v, k| &v[*k])
            .as_f64()
            .unwrap_or(f64::NAN)
    };
    get(a) / get(b)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let _ = std::fs::remove_dir_all(&args.work);
    std::fs::create_dir_all(&args.work)?;
    std::fs::create_dir_all(&args.out)?;
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/documents");
    let params = Params {
        seed: 3,
        pages_per_doc: args.pages_per_doc,
        min_chars: 400,
        max_chars: 800,
    };
    let vocab = Vocab::build(&fixtures, params.seed)?;
    let qs = corpus::queries(&vocab, &params, args.docs);

    let mut results = serde_json::Map::new();
    for name in ["single", "cluster"] {
        let layout = match name {
            "single" => single(&args, &vocab, &params).await?,
            _ => cluster(&args, &vocab, &params).await?,
        };
        let (s, found) = search(&args, &layout, &qs)?;
        eprintln!(
            "[bench] {name}: search {} queries, p50 {:.2} ms, p99 {:.2} ms, {:.0} q/s; {found} of {} queries found something",
            s.n,
            s.p50,
            s.p99,
            s.qps,
            qs.len()
        );
        let intake = open311(&args, &layout)?;
        results.insert(
            name.into(),
            json!({ "search": summary_json(&s), "queries_with_hits": found, "intake": intake }),
        );
        drop(layout);
    }
    let (one, two) = (&results["single"], &results["cluster"]);
    let report = json!({
        "date": proc::now_utc(),
        "machine": proc::machine(),
        "binary": args.gongzhi.display().to_string(),
        "docs": args.docs,
        "pages_per_doc": args.pages_per_doc,
        "search_clients": args.clients,
        "search_rounds": args.rounds,
        "intake_clients": args.intake_clients,
        "seconds": args.seconds,
        "single": one,
        "cluster": two,
        "cluster_to_single": {
            "search_qps": ratio(two, one, &["search", "queries_per_s"]),
            "search_p99": ratio(two, one, &["search", "p99_ms"]),
            "intake_rps": ratio(two, one, &["intake", "saturation", "requests_per_s"]),
            "intake_paced_p99": ratio(two, one, &["intake", "paced", "latency", "p99_ms"]),
        },
    });
    let path = args.out.join("cluster-bench.json");
    std::fs::write(&path, serde_json::to_string_pretty(&report)?)?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    println!("written to {}", path.display());
    Ok(())
}
