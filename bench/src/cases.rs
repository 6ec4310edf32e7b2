//! `cases-bench`: the governance-centre benchmark of issue 6 (see BENCHMARKS.md).
//!
//! In one run, on one fresh SQLite data dir:
//! 1. the raw SQLite rate of inserting one case row and committing, single writer, with
//!    the server's pragmas (WAL, synchronous=NORMAL) — the baseline;
//! 2. Open311 intake: `POST /open311/v2/requests.json` from N concurrent keep-alive
//!    clients (default 50) for S seconds → requests/s and p50/p95/p99, as a ratio of (1):
//!    first as fast as answers come (saturation), then at each fixed offered rate of
//!    `--rates` (open loop: latency counted from when a request was due, so a stall is
//!    not hidden by clients that stop sending while they wait);
//! 3. the centre dashboard (`GET /api/v1/cases/dashboard`) after loading M cases (default
//!    1,000,000) spread over two years, for the platform admin and for a district centre
//!    operator → p50/p95/max;
//! 4. the leader's overview (`GET /api/v1/overview`, issue 16) over that district-year with
//!    300 organisations, 10,000 needs and 1,000 proposals beside the cases, for the centre
//!    operator, against the same figures by plain SQL in the same run (`overview_phase`).

mod http;
mod intake;
mod overview_phase;
mod proc;

use http::Http;
use intake::{District, intake, latency_json, set_up};
use serde_json::{Value, json};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, SqliteConnection};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const USAGE: &str = "cases-bench [--clients 50] [--seconds 10] [--cases 1000000] \
[--rates 1000,1500,2000] [--dashboard-runs 20] [--orgs 300] [--needs 10000] [--proposals 1000] \
[--gongzhi PATH] [--work DIR] [--out DIR]";

struct Args {
    clients: usize,
    seconds: u64,
    cases: usize,
    rates: Vec<f64>,
    dashboard_runs: usize,
    orgs: usize,
    needs: usize,
    proposals: usize,
    gongzhi: PathBuf,
    work: PathBuf,
    out: PathBuf,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut a = Args {
        clients: 50,
        seconds: 10,
        cases: 1_000_000,
        rates: vec![1000.0, 1500.0, 2000.0],
        dashboard_runs: 20,
        orgs: 300,
        needs: 10_000,
        proposals: 1_000,
        gongzhi: proc::default_gongzhi(),
        work: PathBuf::from("/var/tmp/gongzhi-cases-bench"),
        out: Path::new(env!("CARGO_MANIFEST_DIR")).join("out"),
    };
    for (flag, v) in proc::flags(USAGE)? {
        let n = || proc::number(&flag, &v);
        match flag.as_str() {
            "--clients" => a.clients = n()?.max(1),
            "--seconds" => a.seconds = n()?.max(1) as u64,
            "--cases" => a.cases = n()?,
            "--rates" => {
                a.rates = v
                    .split(',')
                    .filter(|r| !r.trim().is_empty())
                    .map(|r| r.trim().parse::<f64>().ok().filter(|r| *r > 0.0))
                    .collect::<Option<_>>()
                    .ok_or_else(|| anyhow::anyhow!("--rates needs numbers like 1000,1500"))?
            }
            "--dashboard-runs" => a.dashboard_runs = n()?.max(1),
            "--orgs" => a.orgs = n()?.max(1),
            "--needs" => a.needs = n()?,
            "--proposals" => a.proposals = n()?,
            "--gongzhi" => a.gongzhi = PathBuf::from(&v),
            "--work" => a.work = PathBuf::from(&v),
            "--out" => a.out = PathBuf::from(&v),
            _ => anyhow::bail!("unknown flag {flag}\n{USAGE}"),
        }
    }
    Ok(a)
}

async fn sqlite(path: &Path) -> anyhow::Result<SqliteConnection> {
    Ok(SqliteConnectOptions::new()
        .filename(path)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10))
        .connect()
        .await?)
}

/// (1) Raw single-row insert-and-commit into a copy of the database.
async fn raw_rate(db: &Path, seconds: u64, category: i64) -> anyhow::Result<(f64, usize)> {
    let copy = db.with_file_name("raw-baseline.db");
    let mut src = sqlite(db).await?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut src)
        .await?;
    src.close().await?;
    std::fs::copy(db, &copy)?;
    let mut c = sqlite(&copy).await?;
    let started = Instant::now();
    let mut n = 0usize;
    while started.elapsed() < Duration::from_secs(seconds) {
        let mut tx = c.begin().await?;
        sqlx::query(
            "INSERT INTO cases_cases (token, category_id, source, priority, state, place_unit_id, \
             place_path, district_path, description, reported_at, updated_at) \
             VALUES ($1, $2, 'open311', 'normal', 'reported', 1, '/1/', '/1/', $3, $4, $4)",
        )
        .bind(format!("raw{n}"))
        .bind(category)
        .bind("广场舞音响太响，影响休息")
        .bind(n as i64)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        n += 1;
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    c.close().await?;
    let _ = std::fs::remove_file(&copy);
    Ok((rate, n))
}

/// (3) Loads `n` cases straight into the database, spread over two years before `now`.
async fn load_cases(db: &Path, n: usize, d: &District, now: i64) -> anyhow::Result<f64> {
    let mut c = sqlite(db).await?;
    let started = Instant::now();
    let day = 86_400_000i64;
    let mut rng = 0x2545F4914F6CDD1Du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut done = 0;
    while done < n {
        let mut tx = c.begin().await?;
        for _ in 0..(n - done).min(20_000) {
            let r = next();
            let reported = now - (r % (730 * day as u64)) as i64;
            let (uid, upath) = &d.units[(r >> 20) as usize % d.units.len()];
            let age = now - reported;
            // Older cases are closed; recent ones are spread along the workflow.
            let state = match (age / day, r >> 40 & 7) {
                (a, _) if a > 30 => "closed",
                (_, 0) => "reported",
                (_, 1) => "accepted",
                (_, 2 | 3) => "in_progress",
                (_, 4) => "handled",
                _ => "closed",
            };
            let dispatched =
                (state != "reported" && state != "accepted").then_some(reported + 3_600_000);
            let due = dispatched.map(|t| t + 5 * day);
            let closed = (state == "closed").then_some(reported + (r >> 8) as i64 % (6 * day));
            let sat = if state == "closed" {
                ["satisfied", "basic", "dissatisfied", ""][(r >> 50) as usize % 4]
            } else {
                ""
            };
            let sup = if state == "in_progress" && due.is_some_and(|d| d < now) {
                "yellow"
            } else {
                "none"
            };
            let id = sqlx::query(
                "INSERT INTO cases_cases (token, category_id, source, priority, state, place_unit_id, place_path, \
                 district_path, description, lead_unit_id, lead_path, supervision, satisfaction, reported_at, \
                 dispatched_at, responded_at, respond_by, due_at, closed_at, updated_at) \
                 VALUES ($1, $2, 'open311', 'normal', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $12)",
            )
            .bind(format!("b{done}"))
            .bind(d.category)
            .bind(state)
            .bind(uid)
            .bind(upath)
            .bind(&d.district_path)
            .bind("楼下商铺夜间噪声扰民")
            .bind(dispatched.map(|_| *uid))
            .bind(if dispatched.is_some() { upath.as_str() } else { "" })
            .bind(sup)
            .bind(sat)
            .bind(reported)
            .bind(dispatched)
            .bind(dispatched.map(|t| t + 7_200_000))
            .bind(dispatched.map(|t| t + day))
            .bind(due)
            .bind(closed)
            .execute(&mut *tx)
            .await?
            .last_insert_rowid();
            // One dispatched case in 20 has a co-handling unit elsewhere in the district,
            // so a scope's co-handled cases are part of what its figures read.
            if dispatched.is_some() && (r >> 33) % 20 == 0 {
                let (co, co_path) = &d.units[(r >> 24) as usize % d.units.len()];
                sqlx::query(
                    "INSERT INTO cases_co_units (case_id, unit_id, unit_path) VALUES ($1, $2, $3) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(id)
                .bind(co)
                .bind(co_path)
                .execute(&mut *tx)
                .await?;
            }
            done += 1;
        }
        tx.commit().await?;
    }
    sqlx::query("ANALYZE").execute(&mut c).await?;
    c.close().await?;
    Ok(started.elapsed().as_secs_f64())
}

/// `GET path` timed `runs` times after two warm-ups; the latencies and the last answer.
fn timed_get(addr: &str, token: &str, path: &str, runs: usize) -> anyhow::Result<(Value, Value)> {
    let mut h = Http::new(addr);
    let auth = format!("Bearer {token}");
    let mut l = Vec::new();
    let mut last = Value::Null;
    for i in 0..runs + 2 {
        let t = Instant::now();
        let (st, body) = h.request("GET", path, &[("Authorization", &auth)], b"")?;
        anyhow::ensure!(
            st == 200,
            "{path}: HTTP {st}: {}",
            String::from_utf8_lossy(&body)
        );
        if i >= 2 {
            l.push(t.elapsed());
        }
        if i == runs + 1 {
            last = serde_json::from_slice(&body).unwrap_or(Value::Null);
        }
    }
    Ok((latency_json(l), last))
}

fn dashboard(addr: &str, token: &str, runs: usize) -> anyhow::Result<Value> {
    Ok(timed_get(addr, token, "/api/v1/cases/dashboard", runs)?.0)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let _ = std::fs::remove_dir_all(&args.work);
    let data = args.work.join("data");
    std::fs::create_dir_all(&data)?;
    std::fs::create_dir_all(&args.out)?;
    proc::run(&args.gongzhi, &data, "migrate")?;
    let (mut child, addr) = proc::serve(&args.gongzhi, &data)?;
    let district = set_up(|| proc::gongzhi(&args.gongzhi, &data), &addr)?;
    let key_out = proc::gongzhi(&args.gongzhi, &data)
        .args(["open311", "key", "add", "bench"])
        .output()?;
    anyhow::ensure!(
        key_out.status.success(),
        "key: {}",
        String::from_utf8_lossy(&key_out.stderr)
    );
    let key = String::from_utf8_lossy(&key_out.stdout).trim().to_string();
    let db = data.join("gongzhi.db");

    println!(
        "raw SQLite insert-and-commit, 1 writer, {} s …",
        args.seconds
    );
    let (raw, raw_n) = raw_rate(&db, args.seconds, district.category).await?;
    println!("  {raw:.0} rows/s ({raw_n} rows)");
    println!(
        "Open311 intake, {} clients, {} s …",
        args.clients, args.seconds
    );
    let _ = intake(&addr, &key, args.clients, 1, None); // warm-up
    let (rps, lat, errors, first_error) = intake(&addr, &key, args.clients, args.seconds, None);
    println!(
        "  saturation: {rps:.0} requests/s, latency {lat}, errors {errors} {}",
        first_error.clone().unwrap_or_default()
    );
    let mut paced = Vec::new();
    for &r in &args.rates {
        let (got, lat, errs, first) = intake(&addr, &key, args.clients, args.seconds, Some(r));
        println!(
            "  offered {r:.0}/s: {got:.0} requests/s, latency {lat}, errors {errs} {}",
            first.clone().unwrap_or_default()
        );
        paced.push(
            json!({ "offered_per_s": r, "requests_per_s": got, "latency": lat,
                           "errors": errs, "first_error": first }),
        );
    }
    let _ = child.kill();
    let _ = child.wait();

    println!("loading {} cases …", args.cases);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as i64;
    let load_s = load_cases(&db, args.cases, &district, now).await?;
    println!("  {load_s:.1} s");
    let (mut child, addr) = proc::serve(&args.gongzhi, &data)?;
    let dash_admin = dashboard(&addr, &district.admin, args.dashboard_runs)?;
    let dash_centre = dashboard(&addr, &district.centre, args.dashboard_runs)?;
    println!(
        "dashboard over {} cases: admin {dash_admin}, centre {dash_centre}",
        args.cases
    );
    let _ = child.kill();
    let _ = child.wait();

    println!(
        "overview: seeding {} organisations, {} needs, {} proposals …",
        args.orgs, args.needs, args.proposals
    );
    let seed_s =
        overview_phase::seed(&db, &district, args.orgs, args.needs, args.proposals, now).await?;
    let (mut child, addr) = proc::serve(&args.gongzhi, &data)?;
    let (overview, body) = timed_get(
        &addr,
        &district.centre,
        "/api/v1/overview",
        args.dashboard_runs,
    )?;
    overview_phase::check(&body, args.orgs)?;
    // The page too: its cards, charts and the map coloured by the default figure, and by the
    // costliest figure (overdue cases, counted for each street on the map).
    let (page, _) = timed_get(&addr, &district.centre, "/overview", args.dashboard_runs)?;
    let (page_overdue, _) = timed_get(
        &addr,
        &district.centre,
        "/overview?figure=overdue",
        args.dashboard_runs,
    )?;
    // One street's own overview and its page with the map of its communities by overdue
    // cases: the scope filter on place, lead and co-handling paths rather than the district.
    let street = district
        .units
        .iter()
        .find(|(_, p)| p.matches('/').count() == 3)
        .map(|(id, _)| *id)
        .ok_or_else(|| anyhow::anyhow!("the district has no street"))?;
    let (street_api, _) = timed_get(
        &addr,
        &district.centre,
        &format!("/api/v1/overview?unit={street}"),
        args.dashboard_runs,
    )?;
    let (street_page, _) = timed_get(
        &addr,
        &district.centre,
        &format!("/overview?unit={street}&figure=overdue"),
        args.dashboard_runs,
    )?;
    println!("a street's overview: API {street_api}, page with its map by overdue {street_page}");
    let _ = child.kill();
    let _ = child.wait();
    let plain = overview_phase::baseline(&db, &district, now, args.dashboard_runs).await?;
    println!(
        "overview (centre operator) API {overview}, page {page}, page coloured by overdue {page_overdue}; \
         the same figures by plain SQL {plain}"
    );

    let report = json!({
        "date": proc::now_utc(),
        "machine": proc::machine(),
        "binary": args.gongzhi.display().to_string(),
        "raw_sqlite_insert_commit_per_s": raw,
        "intake": {
            "clients": args.clients,
            "seconds": args.seconds,
            "requests_per_s": rps,
            "ratio_to_raw": rps / raw,
            "latency": lat,
            "errors": errors,
            "first_error": first_error,
            "paced": paced,
        },
        "dashboard": {
            "cases": args.cases,
            "load_seconds": load_s,
            "admin": dash_admin,
            "centre_operator": dash_centre,
        },
        "overview": {
            "cases": args.cases,
            "orgs": args.orgs,
            "needs": args.needs,
            "proposals": args.proposals,
            "seed_seconds": seed_s,
            "http_centre_operator": overview,
            "page_centre_operator": page,
            "page_figure_overdue": page_overdue,
            "street_http_centre_operator": street_api,
            "street_page_figure_overdue": street_page,
            "plain_sql_baseline": plain,
            "p95_ratio_to_baseline": overview["p95_ms"].as_f64().unwrap_or(0.0)
                / plain["p95_ms"].as_f64().unwrap_or(1.0).max(0.001),
        },
    });
    let path = args.out.join("cases-bench.json");
    std::fs::write(&path, serde_json::to_string_pretty(&report)?)?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    println!("written to {}", path.display());
    Ok(())
}
