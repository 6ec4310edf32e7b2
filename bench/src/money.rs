//! `money-bench`: purchases per second through the real server with N concurrent clients,
//! on SQLite and on PostgreSQL, and a full invariant check afterwards (issue 4; see
//! BENCHMARKS.md). Kept apart from the search benchmark: it shares no code with it.
//!
//! Each client is a thread with one keep-alive connection and its own user. Every client
//! buys the same `--docs` paid documents in its own order (so purchases of one document
//! race each other across users); every 5th purchase is sent twice with the same
//! idempotency key, as a retrying client would. Afterwards: `gongzhi ledger check`, one
//! charge per (user, document), every wallet equal to its top-up minus its purchases.

mod http;
mod proc;

use http::Http;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;

const USAGE: &str = "money-bench [--backend sqlite|postgres|both] [--clients 50] [--docs 20] \
[--gongzhi PATH] [--pg postgres://postgres@127.0.0.1:5432/postgres] [--out DIR]";

struct Args {
    backends: Vec<String>,
    clients: usize,
    docs: usize,
    gongzhi: PathBuf,
    pg: String,
    out: PathBuf,
}

fn parse_args() -> anyhow::Result<Args> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut a = Args {
        backends: vec!["sqlite".into(), "postgres".into()],
        clients: 50,
        docs: 20,
        gongzhi: proc::default_gongzhi(),
        pg: "postgres://postgres@127.0.0.1:5432/postgres".into(),
        out: root.join("out"),
    };
    for (flag, v) in proc::flags(USAGE)? {
        let n = || proc::number(&flag, &v);
        match flag.as_str() {
            "--backend" => {
                a.backends = match v.as_str() {
                    "both" => vec!["sqlite".into(), "postgres".into()],
                    "sqlite" | "postgres" => vec![v.clone()],
                    _ => anyhow::bail!("--backend is sqlite, postgres or both"),
                }
            }
            "--clients" => a.clients = n()?,
            "--docs" => a.docs = n()?,
            "--gongzhi" => a.gongzhi = PathBuf::from(&v),
            "--pg" => a.pg = v.clone(),
            "--out" => a.out = PathBuf::from(&v),
            _ => anyhow::bail!("unknown flag {flag}\n{USAGE}"),
        }
    }
    Ok(a)
}

/// A minimal keep-alive HTTP/1.1 client: the clients should cost little next to the server.
/// A JSON request through the shared client; the answer's body as text.
fn send(
    http: &mut Http,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> anyhow::Result<(u16, String)> {
    let mut all = vec![("Content-Type", "application/json")];
    all.extend_from_slice(headers);
    let (status, bytes) = http.request(method, path, &all, body.as_bytes())?;
    Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
}

fn cli(
    args: &Args,
    data: &Path,
    url: Option<&str>,
    a: &[&str],
    stdin: Option<&str>,
) -> anyhow::Result<String> {
    let mut child = proc::gongzhi_on(&args.gongzhi, data, url)
        .args(a)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    if let Some(s) = stdin {
        child.stdin.take().expect("stdin").write_all(s.as_bytes())?;
    }
    drop(child.stdin.take());
    let out = child.wait_with_output()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        anyhow::bail!(
            "gongzhi {a:?} failed: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(text)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

async fn one(args: &Args, backend: &str) -> anyhow::Result<serde_json::Value> {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let data =
        std::env::temp_dir().join(format!("gz-money-bench-{backend}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data)?;
    let (url, pg_db) = if backend == "postgres" {
        let name = format!("gz_money_bench_{}", std::process::id());
        let mut admin = sqlx::AnyConnection::connect(&args.pg).await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
            .execute(&mut admin)
            .await?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await?;
        let base = args.pg.rsplit_once('/').map(|(b, _)| b).unwrap_or(&args.pg);
        (Some(format!("{base}/{name}")), Some(name))
    } else {
        (None, None)
    };
    let url = url.as_deref();
    cli(args, &data, url, &["migrate"], None)?;
    // `add_user` sets this password (Argon2 is slow, so the other buyers copy buyer0's hash).
    let password = "bench-password-1";
    for (user, role) in [("benchadmin", "admin"), ("buyer0", "member")] {
        proc::add_user(proc::gongzhi_on(&args.gongzhi, &data, url), user, role)?;
    }
    let db_url = url
        .map(str::to_string)
        .unwrap_or_else(|| format!("sqlite://{}", data.join("gongzhi.db").display()));
    let mut db = sqlx::AnyConnection::connect(&db_url).await?;
    let now = 1_790_000_000_000i64;
    // The other buyers share buyer0's password hash (Argon2 is slow by design).
    for i in 1..args.clients {
        sqlx::query(
            "INSERT INTO platform_users (username, display_name, password_hash, role, created_at) \
             SELECT $1, $1, password_hash, 'member', $2 FROM platform_users WHERE username = 'buyer0'",
        )
        .bind(format!("buyer{i}"))
        .bind(now)
        .execute(&mut db)
        .await?;
    }
    sqlx::query("INSERT INTO platform_users (username, display_name, password_hash, role, created_at) VALUES ('uploader', 'Uploader', '!', 'member', $1)")
        .bind(now)
        .execute(&mut db)
        .await?;
    let (uploader,): (i64,) =
        sqlx::query_as("SELECT id FROM platform_users WHERE username = 'uploader'")
            .fetch_one(&mut db)
            .await?;
    let mut docs = Vec::new();
    for d in 0..args.docs {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO library_documents (sha256, title, format, original_name, size_bytes, status, pages, uploader_id, \
             created_at, updated_at, published_at, price_kind, price) \
             VALUES ($1, $2, 'txt', $3, 1000, 'ready', 3, $4, $5, $5, $5, 'paid', 100) RETURNING id",
        )
        .bind(format!("{:064x}", d + 1))
        .bind(format!("付费文档 {d}"))
        .bind(format!("paid-{d}.txt"))
        .bind(uploader)
        .bind(now)
        .fetch_one(&mut db)
        .await?;
        docs.push(id);
    }
    db.close().await?;

    let (mut server, addr) = proc::serve_on(&args.gongzhi, &data, url)?;
    let result = (|| -> anyhow::Result<serde_json::Value> {
        let mut http = Http::new(&addr);
        let login = |http: &mut Http, name: &str| -> anyhow::Result<String> {
            let (st, body) = send(
                http,
                "POST",
                "/api/v1/auth/login",
                &[],
                &format!("{{\"username\":\"{name}\",\"password\":\"{password}\"}}"),
            )?;
            anyhow::ensure!(st == 200, "login {name}: {st} {body}");
            let v: serde_json::Value = serde_json::from_str(&body)?;
            Ok(v["token"].as_str().unwrap_or_default().to_string())
        };
        let admin = login(&mut http, "benchadmin")?;
        let per_buyer = args.docs as i64 * 100;
        let mut tokens = Vec::new();
        for i in 0..args.clients {
            tokens.push(login(&mut http, &format!("buyer{i}"))?);
            let auth = format!("Bearer {admin}");
            let key = format!("bench-top-{i}");
            let (st, body) = send(
                &mut http,
                "POST",
                "/api/v1/admin/topups",
                &[("Authorization", &auth), ("Idempotency-Key", &key)],
                &format!(
                    "{{\"username\":\"buyer{i}\",\"amount\":\"{}.{:02}\"}}",
                    per_buyer / 100,
                    per_buyer % 100
                ),
            )?;
            anyhow::ensure!(st == 201, "top-up: {st} {body}");
        }
        let start = Instant::now();
        let handles: Vec<_> = tokens
            .into_iter()
            .enumerate()
            .map(|(c, token)| {
                let (addr, docs) = (addr.clone(), docs.clone());
                std::thread::spawn(move || -> anyhow::Result<(Vec<f64>, usize, usize, usize)> {
                    let mut http = Http::new(&addr);
                    let auth = format!("Bearer {token}");
                    let (mut lat, mut charged, mut replays, mut other) = (Vec::new(), 0, 0, 0);
                    for k in 0..docs.len() {
                        let doc = docs[(c * 7 + k) % docs.len()];
                        let key = format!("c{c}-d{doc}");
                        let tries = if k % 5 == 0 { 2 } else { 1 };
                        for _ in 0..tries {
                            let t = Instant::now();
                            let (st, _) = send(
                                &mut http,
                                "POST",
                                &format!("/api/v1/documents/{doc}/purchase"),
                                &[("Authorization", &auth), ("Idempotency-Key", &key)],
                                "",
                            )?;
                            lat.push(t.elapsed().as_secs_f64() * 1000.0);
                            match st {
                                201 => charged += 1,
                                200 => replays += 1,
                                _ => other += 1,
                            }
                        }
                    }
                    Ok((lat, charged, replays, other))
                })
            })
            .collect();
        let (mut lat, mut charged, mut replays, mut other) = (Vec::new(), 0, 0, 0);
        for h in handles {
            let (l, c, r, o) = h.join().map_err(|_| anyhow::anyhow!("client panicked"))??;
            lat.extend(l);
            charged += c;
            replays += r;
            other += o;
        }
        let wall = start.elapsed().as_secs_f64();
        lat.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
        Ok(serde_json::json!({
            "requests": lat.len(), "charged": charged, "replayed": replays, "errors": other,
            "wall_s": wall, "purchases_per_s": charged as f64 / wall, "requests_per_s": lat.len() as f64 / wall,
            "p50_ms": percentile(&lat, 0.5), "p95_ms": percentile(&lat, 0.95), "p99_ms": percentile(&lat, 0.99),
        }))
    })();
    let _ = server.kill();
    let _ = server.wait();
    let mut r = result?;

    // Invariants, after the run.
    let check = cli(args, &data, url, &["ledger", "check"], None);
    let mut db = sqlx::AnyConnection::connect(&db_url).await?;
    let (double,): (i64,) = sqlx::query_as(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT o.user_id, o.document_id FROM library_orders o \
         WHERE o.transaction_id IS NOT NULL GROUP BY o.user_id, o.document_id HAVING COUNT(*) > 1) x",
    )
    .fetch_one(&mut db)
    .await?;
    let (purchases,): (i64,) =
        sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) FROM library_purchases")
            .fetch_one(&mut db)
            .await?;
    let (bad_wallets,): (i64,) = sqlx::query_as(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM library_accounts WHERE kind = 'wallet' AND balance <> 0",
    )
    .fetch_one(&mut db)
    .await?;
    db.close().await?;
    let expected = (args.clients * args.docs) as i64;
    let mut breaches = Vec::new();
    if check
        .as_ref()
        .map(|o| !o.contains("ledger consistent"))
        .unwrap_or(true)
    {
        breaches.push(format!("ledger check: {check:?}"));
    }
    if double > 0 {
        breaches.push(format!("{double} (user, document) pairs charged twice"));
    }
    if purchases != expected || r["charged"].as_i64() != Some(expected) {
        breaches.push(format!(
            "{purchases} purchases recorded, {} charged, {expected} expected",
            r["charged"]
        ));
    }
    if bad_wallets > 0 {
        breaches.push(format!(
            "{bad_wallets} wallets do not equal top-up minus purchases"
        ));
    }
    if r["errors"].as_i64() != Some(0) {
        breaches.push(format!("{} requests failed", r["errors"]));
    }
    r["backend"] = backend.into();
    r["clients"] = args.clients.into();
    r["documents"] = args.docs.into();
    r["invariant_breaches"] = breaches.clone().into();
    if let Some(name) = pg_db {
        let mut admin = sqlx::AnyConnection::connect(&args.pg).await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut admin)
            .await?;
    }
    let _ = std::fs::remove_dir_all(&data);
    Ok(r)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    std::fs::create_dir_all(&args.out)?;
    let mut all = Vec::new();
    let mut failed = false;
    for b in &args.backends {
        let r = one(&args, b).await?;
        println!(
            "{b:9} {} clients × {} documents: {:.1} purchases/s ({} requests, {:.1} req/s), p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, breaches {}",
            args.clients,
            args.docs,
            r["purchases_per_s"].as_f64().unwrap_or(0.0),
            r["requests"],
            r["requests_per_s"].as_f64().unwrap_or(0.0),
            r["p50_ms"].as_f64().unwrap_or(0.0),
            r["p95_ms"].as_f64().unwrap_or(0.0),
            r["p99_ms"].as_f64().unwrap_or(0.0),
            r["invariant_breaches"]
        );
        failed |= !r["invariant_breaches"]
            .as_array()
            .is_none_or(|v| v.is_empty());
        all.push(r);
    }
    let out = args.out.join("money.json");
    std::fs::write(
        &out,
        serde_json::to_string_pretty(&serde_json::json!({ "gongzhi": args.gongzhi, "runs": all }))?,
    )?;
    println!("results: {}", out.display());
    if failed {
        anyhow::bail!("invariant breaches");
    }
    Ok(())
}
