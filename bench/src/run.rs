//! Running a query set on N threads and summarising latencies; the HTTP client and the
//! SQLite baselines (FTS5 trigram, LIKE scan).

use crate::corpus::{BenchQuery, Kind};
use crate::http::Http;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, SqliteConnection};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What one engine did with a list of jobs (indices into the query set).
pub struct Measured {
    /// (query index, latency) of every job.
    pub latencies: Vec<(usize, Duration)>,
    /// The top-10 document ids of each query (from its first run).
    pub results: Vec<Option<Vec<i64>>>,
    pub errors: usize,
    pub first_error: Option<String>,
    pub wall: Duration,
}

impl Measured {
    /// An engine that was not run (`--no-baselines`).
    pub fn not_run(n_queries: usize) -> Measured {
        Measured {
            latencies: Vec::new(),
            results: vec![None; n_queries],
            errors: 0,
            first_error: None,
            wall: Duration::ZERO,
        }
    }
}

/// Runs `jobs` on `threads` threads, each with its own state (a connection).
pub fn run_parallel<S: Send>(
    threads: usize,
    n_queries: usize,
    jobs: &[usize],
    init: impl Fn() -> anyhow::Result<S> + Sync,
    exec: impl Fn(&mut S, usize) -> anyhow::Result<Vec<i64>> + Sync,
) -> anyhow::Result<Measured> {
    let next = AtomicUsize::new(0);
    let out = Mutex::new(Measured {
        latencies: Vec::with_capacity(jobs.len()),
        results: vec![None; n_queries],
        errors: 0,
        first_error: None,
        wall: Duration::ZERO,
    });
    let states: Vec<S> = (0..threads).map(|_| init()).collect::<Result<_, _>>()?;
    let start = Instant::now();
    std::thread::scope(|s| {
        for mut state in states {
            let (next, out, exec) = (&next, &out, &exec);
            s.spawn(move || {
                let mut local = Vec::new();
                let mut results = Vec::new();
                let mut errors = Vec::new();
                loop {
                    let j = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&q) = jobs.get(j) else { break };
                    let t = Instant::now();
                    let r = exec(&mut state, q);
                    let dt = t.elapsed();
                    match r {
                        Ok(ids) => {
                            local.push((q, dt));
                            results.push((q, ids));
                        }
                        Err(e) => errors.push(format!("{e:#}")),
                    }
                }
                let mut o = out.lock().expect("results lock");
                o.latencies.extend(local);
                for (q, ids) in results {
                    o.results[q].get_or_insert(ids);
                }
                o.errors += errors.len();
                if o.first_error.is_none() {
                    o.first_error = errors.into_iter().next();
                }
            });
        }
    });
    let mut m = out.into_inner().expect("results lock");
    m.wall = start.elapsed();
    Ok(m)
}

#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub n: usize,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub mean: f64,
    pub max: f64,
    pub qps: f64,
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

/// Latency percentiles in milliseconds (nearest rank), over the jobs `keep` selects.
pub fn summarise(m: &Measured, keep: impl Fn(usize) -> bool) -> Summary {
    let mut v: Vec<f64> = m
        .latencies
        .iter()
        .filter(|(q, _)| keep(*q))
        .map(|(_, d)| d.as_secs_f64() * 1000.0)
        .collect();
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    Summary {
        n,
        p50: pct(&v, 0.50),
        p95: pct(&v, 0.95),
        p99: pct(&v, 0.99),
        mean: v.iter().sum::<f64>() / n.max(1) as f64,
        max: v.last().copied().unwrap_or(f64::NAN),
        qps: m.latencies.len() as f64 / m.wall.as_secs_f64(),
    }
}

pub fn summary_json(s: &Summary) -> serde_json::Value {
    serde_json::json!({
        "n": s.n, "p50_ms": s.p50, "p95_ms": s.p95, "p99_ms": s.p99,
        "mean_ms": s.mean, "max_ms": s.max, "queries_per_s": s.qps,
    })
}

pub fn by_kind(m: &Measured, qs: &[BenchQuery]) -> Vec<(Kind, Summary)> {
    Kind::ALL
        .iter()
        .map(|&k| (k, summarise(m, |q| qs[q].kind == k)))
        .filter(|(_, s)| s.n > 0)
        .collect()
}

// ---------------------------------------------------------------- HTTP (Gongzhi)

/// A minimal HTTP/1.1 keep-alive client (GET only), so that the measurement is the
/// server's and not a client library's.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn search_path(q: &str) -> String {
    format!("/api/v1/search?q={}&per_page=10", encode(q))
}

impl Http {
    /// Runs one search and returns the hit ids.
    pub fn search(&mut self, q: &str) -> anyhow::Result<Vec<i64>> {
        let (status, body) = self.get(&search_path(q))?;
        if status != 200 {
            anyhow::bail!(
                "HTTP {status} for {q:?}: {}",
                String::from_utf8_lossy(&body)
            );
        }
        let v: serde_json::Value = serde_json::from_slice(&body)?;
        Ok(v["hits"]
            .as_array()
            .map(|a| a.iter().filter_map(|h| h["id"].as_i64()).collect())
            .unwrap_or_default())
    }
}

// ---------------------------------------------------------------- SQLite baselines

pub async fn connect(path: &Path, create: bool, loading: bool) -> anyhow::Result<SqliteConnection> {
    let mut o = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(create)
        .journal_mode(SqliteJournalMode::Wal);
    o = if loading {
        o.synchronous(SqliteSynchronous::Off)
    } else {
        o.read_only(true)
    };
    Ok(o.connect().await?)
}

/// One SQL statement and its bound values.
#[derive(Clone, Debug)]
pub struct SqlQuery {
    pub sql: String,
    pub binds: Vec<String>,
    /// Whether the FTS5 index (MATCH) is used, rather than a scan.
    pub uses_index: bool,
}

fn like_pattern(s: &str) -> String {
    format!("%{s}%")
}

fn fts_string(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// FTS5 trigram: terms of three or more characters go to MATCH (a quoted string is a
/// substring match for the trigram tokenizer, so phrases are quoted strings too); shorter
/// terms cannot use the trigram index and become `text LIKE '%w%'` on the same table.
/// Exclusions are `NOT` (per row: a page, or the title row). Documents are ranked by
/// their best row's bm25, or by their number of matching rows when nothing can MATCH.
pub fn fts5_query(q: &BenchQuery) -> SqlQuery {
    let long = |t: &str| t.chars().count() >= 3;
    let pos: Vec<&str> = q
        .clauses
        .iter()
        .filter(|c| !c.negated)
        .map(|c| c.text.as_str())
        .collect();
    let neg: Vec<&str> = q
        .clauses
        .iter()
        .filter(|c| c.negated)
        .map(|c| c.text.as_str())
        .collect();
    let matched: Vec<String> = pos
        .iter()
        .filter(|t| long(t))
        .map(|t| fts_string(t))
        .collect();
    let mut binds = Vec::new();
    let mut conds = Vec::new();
    let uses_index = !matched.is_empty();
    if uses_index {
        let mut m = format!("({})", matched.join(" AND "));
        for n in neg.iter().filter(|t| long(t)) {
            m.push_str(&format!(" NOT {}", fts_string(n)));
        }
        binds.push(m);
        conds.push(format!("pages MATCH ?{}", binds.len()));
    }
    for t in pos.iter().filter(|t| !long(t)) {
        binds.push(like_pattern(t));
        conds.push(format!("text LIKE ?{}", binds.len()));
    }
    for t in neg.iter().filter(|t| !uses_index || !long(t)) {
        binds.push(like_pattern(t));
        conds.push(format!("text NOT LIKE ?{}", binds.len()));
    }
    let sql = if uses_index {
        format!(
            // bm25() cannot be called under GROUP BY; the `rank` column (bm25) can.
            "SELECT doc_id, MIN(r) AS s FROM (SELECT doc_id, rank AS r FROM pages WHERE {}) \
             GROUP BY doc_id ORDER BY s LIMIT 10",
            conds.join(" AND ")
        )
    } else {
        format!(
            "SELECT doc_id, COUNT(*) AS s FROM pages WHERE {} GROUP BY doc_id ORDER BY s DESC, doc_id LIMIT 10",
            conds.join(" AND ")
        )
    };
    SqlQuery {
        sql,
        binds,
        uses_index,
    }
}

/// What a LIKE-based library does: every word `LIKE '%w%'` over the page text (AND),
/// exclusions `NOT LIKE`; all matching documents are collected (for the total), the first
/// ten by id are the hits.
pub fn like_query(q: &BenchQuery) -> SqlQuery {
    let mut binds = Vec::new();
    let mut conds = Vec::new();
    for c in &q.clauses {
        binds.push(like_pattern(&c.text));
        conds.push(format!(
            "text {}LIKE ?{}",
            if c.negated { "NOT " } else { "" },
            binds.len()
        ));
    }
    SqlQuery {
        sql: format!(
            "SELECT document_id FROM library_pages WHERE {} GROUP BY document_id",
            conds.join(" AND ")
        ),
        binds,
        uses_index: false,
    }
}

pub async fn run_sql(conn: &mut SqliteConnection, q: &SqlQuery) -> anyhow::Result<Vec<i64>> {
    let mut query = sqlx::query_as::<_, (i64,)>(&q.sql);
    for b in &q.binds {
        query = query.bind(b);
    }
    let rows = query.fetch_all(conn).await?;
    Ok(rows.into_iter().take(10).map(|r| r.0).collect())
}
