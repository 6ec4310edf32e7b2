//! `needs-bench`: matching one need over N active services (default 10,000) through HTTP
//! (`GET /api/v1/needs/{id}/matches`), against a plain SQL filter-and-sort over the same
//! SQLite file in the same run (issue 14; see BENCHMARKS.md).
//!
//! The network is written straight into the database (a district, 5 streets, 25
//! communities, 200 graded organisations, N services with one or two categories each)
//! after the server migrated it; the need is raised through the API without a category,
//! so the analyzer and the lexicon run on every request as well.

mod http;
mod proc;

use http::Http;
use serde_json::{Value, json};
use sqlx::{Connection, Row, SqliteConnection};
use std::path::{Path, PathBuf};
use std::time::Instant;

const USAGE: &str =
    "needs-bench [--services 10000] [--runs 200] [--gongzhi PATH] [--work DIR] [--out DIR]";

struct Args {
    services: usize,
    runs: usize,
    gongzhi: PathBuf,
    work: PathBuf,
    out: PathBuf,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut a = Args {
        services: 10_000,
        runs: 200,
        gongzhi: proc::default_gongzhi(),
        work: PathBuf::from("/var/tmp/gongzhi-needs-bench"),
        out: Path::new(env!("CARGO_MANIFEST_DIR")).join("out"),
    };
    for (flag, v) in proc::flags(USAGE)? {
        let n = || proc::number(&flag, &v);
        match flag.as_str() {
            "--services" => a.services = n()?,
            "--runs" => a.runs = n()?,
            "--gongzhi" => a.gongzhi = PathBuf::from(&v),
            "--work" => a.work = PathBuf::from(&v),
            "--out" => a.out = PathBuf::from(&v),
            _ => anyhow::bail!("unknown flag {flag}\n{USAGE}"),
        }
    }
    Ok(a)
}

/// A deterministic generator (xorshift), so every run builds the same network.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

async fn unit(
    db: &mut SqliteConnection,
    parent: Option<(i64, &str)>,
    kind: &str,
    code: &str,
) -> anyhow::Result<(i64, String)> {
    let id: i64 = sqlx::query(
        "INSERT INTO governance_units (parent_id, path, kind, name, code, created_at, updated_at) VALUES ($1, '', $2, $3, $4, 0, 0) RETURNING id",
    )
    .bind(parent.map(|p| p.0))
    .bind(kind)
    .bind(format!("{code}单位"))
    .bind(code)
    .fetch_one(&mut *db)
    .await?
    .try_get("id")?;
    let path = format!("{}{id}/", parent.map_or("/", |p| p.1));
    sqlx::query("UPDATE governance_units SET path = $1 WHERE id = $2")
        .bind(&path)
        .bind(id)
        .execute(&mut *db)
        .await?;
    Ok((id, path))
}

/// The network, written in one transaction; the communities' (id, path).
async fn seed(db: &mut SqliteConnection, services: usize) -> anyhow::Result<Vec<(i64, String)>> {
    let mut tx = db.begin().await?;
    let district = unit(&mut tx, None, "district", "BD").await?;
    let mut communities = Vec::new();
    for s in 0..5 {
        let street = unit(
            &mut tx,
            Some((district.0, &district.1)),
            "street",
            &format!("BS{s}"),
        )
        .await?;
        for c in 0..5 {
            communities.push(
                unit(
                    &mut tx,
                    Some((street.0, &street.1)),
                    "community",
                    &format!("BC{s}{c}"),
                )
                .await?,
            );
        }
    }
    let terms: Vec<i64> = sqlx::query("SELECT id FROM governance_taxonomy_terms ORDER BY id")
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<Result<_, _>>()?;
    let mut rng = Rng(0x4e45_4544_5321);
    let mut orgs = Vec::new();
    for i in 0..200 {
        let (c, _) = &communities[i % communities.len()];
        let id: i64 = sqlx::query(
            "INSERT INTO governance_orgs (name, credit_code, org_type, registered_on, legal_rep, unit_id, hub_role, created_at, updated_at) \
             VALUES ($1, $2, 'social_service_agency', '2018-01-01', '—', $3, 'member', 0, 0) RETURNING id",
        )
        .bind(format!("基准组织{i}"))
        .bind(format!("BENCH{i:013}"))
        .bind(c)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        sqlx::query(
            "INSERT INTO governance_assessments (org_id, assessed_on, score_basic, score_governance, score_performance, \
             score_reputation, total, grade, valid_until, created_at) VALUES ($1, '2025-06-01', 0, 0, 0, 0, 800, $2, '2030-06-01', 0)",
        )
        .bind(id)
        .bind(1 + rng.below(5) as i64)
        .execute(&mut *tx)
        .await?;
        orgs.push(id);
    }
    for i in 0..services {
        let org = orgs[rng.below(orgs.len())];
        let id: i64 = sqlx::query(
            "INSERT INTO governance_services (org_id, name, description, capacity, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'active', 0, 0) RETURNING id",
        )
        .bind(org)
        .bind(format!("社区服务{i}"))
        .bind("为辖区居民提供上门、助餐、陪伴、咨询等服务。")
        .bind(10 + rng.below(50) as i64)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        let a = terms[rng.below(terms.len())];
        let b = terms[rng.below(terms.len())];
        for t in if a == b { vec![a] } else { vec![a, b] } {
            sqlx::query(
                "INSERT INTO governance_service_terms (service_id, term_id) VALUES ($1, $2)",
            )
            .bind(id)
            .bind(t)
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(communities)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn summary(mut ms: Vec<f64>) -> Value {
    ms.sort_by(f64::total_cmp);
    json!({ "runs": ms.len(), "p50_ms": percentile(&ms, 0.5), "p95_ms": percentile(&ms, 0.95),
            "p99_ms": percentile(&ms, 0.99), "max_ms": ms.last().copied().unwrap_or(0.0) })
}

fn request(
    h: &mut Http,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &Value,
) -> anyhow::Result<(u16, Value)> {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(a) = &auth {
        headers.push(("Authorization", a));
    }
    let payload = if body.is_null() {
        Vec::new()
    } else {
        body.to_string().into_bytes()
    };
    let (status, bytes) = h.request(method, path, &headers, &payload)?;
    Ok((
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let data = args.work.join("data");
    let _ = std::fs::remove_dir_all(&args.work);
    std::fs::create_dir_all(&data)?;
    let (mut server, addr) = proc::serve(&args.gongzhi, &data)?;
    let result = run(&args, &data, &addr).await;
    let _ = server.kill();
    let _ = server.wait();
    let report = result?;
    std::fs::create_dir_all(&args.out)?;
    let file = args.out.join("needs-bench.json");
    std::fs::write(&file, serde_json::to_string_pretty(&report)?)?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

async fn run(args: &Args, data: &Path, addr: &str) -> anyhow::Result<Value> {
    let url = format!("sqlite://{}", data.join("gongzhi.db").display());
    let mut db = SqliteConnection::connect(&url).await?;
    let started = Instant::now();
    let communities = seed(&mut db, args.services).await?;
    let seed_s = started.elapsed().as_secs_f64();
    proc::add_user(proc::gongzhi(&args.gongzhi, data), "bench_admin", "admin")?;
    let mut h = Http::new(addr);
    let (_, v) = request(
        &mut h,
        "POST",
        "/api/v1/auth/login",
        None,
        &json!({ "username": "bench_admin", "password": "bench-password-1" }),
    )?;
    let token = v["token"].as_str().unwrap_or_default().to_string();
    let (st, v) = request(
        &mut h,
        "POST",
        "/api/v1/needs",
        Some(&token),
        &json!({ "title": "老人中午没人做饭", "description": "独居老人，中午吃不上热饭", "unit_id": communities[0].0 }),
    )?;
    anyhow::ensure!(st == 201, "raise the need: {st} {v}");
    let path = format!("/api/v1/needs/{}/matches", v["id"]);
    let mut http_ms = Vec::new();
    let mut first = Value::Null;
    for i in 0..args.runs + 5 {
        let t = Instant::now();
        let (st, v) = request(&mut h, "GET", &path, Some(&token), &Value::Null)?;
        anyhow::ensure!(st == 200, "matches: {st}");
        if i >= 5 {
            http_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        } else {
            first = v["items"][0].clone();
        }
    }
    // The baseline: services of the need's category (and its parent), nearest community
    // first, then most places — one query, no words, no reasons.
    let baseline = "SELECT s.id FROM governance_services s \
        JOIN governance_service_terms st ON st.service_id = s.id \
        JOIN governance_taxonomy_terms t ON t.id = st.term_id \
        JOIN governance_orgs o ON o.id = s.org_id JOIN governance_units u ON u.id = o.unit_id \
        WHERE s.status = 'active' AND t.code IN ('meal_aid', 'elderly') \
        ORDER BY CASE WHEN u.path LIKE $1 || '%' THEN 0 ELSE 1 END, s.capacity DESC, s.id LIMIT 20";
    let mut sql_ms = Vec::new();
    for i in 0..args.runs + 5 {
        let t = Instant::now();
        let rows = sqlx::query(baseline)
            .bind(&communities[0].1)
            .fetch_all(&mut db)
            .await?;
        anyhow::ensure!(!rows.is_empty());
        if i >= 5 {
            sql_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    Ok(json!({
        "bench": "needs-bench", "when": proc::now_utc(), "machine": proc::machine(),
        "gongzhi": args.gongzhi.display().to_string(), "services": args.services, "seed_seconds": seed_s,
        "matches_http": summary(http_ms), "baseline_sql": summary(sql_ms), "first_match": first,
    }))
}
