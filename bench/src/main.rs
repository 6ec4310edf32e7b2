//! `search-bench`: the search benchmark of issue 3 (see BENCHMARKS.md).
//!
//! One run generates a deterministic Chinese corpus, loads it into a fresh Gongzhi data
//! dir and into an SQLite FTS5 (trigram) file, times `gongzhi reindex`, then runs the same
//! 200 queries through Gongzhi's HTTP API, FTS5 and a `LIKE '%w%'` scan, 8 clients each,
//! and judges the 30 written queries (`corpus::JUDGED`) by nDCG@10.

mod corpus;
mod http;
mod library_load;
mod proc;
mod run;

use corpus::{BenchQuery, Params, Vocab};
use http::Http;
use run::{Measured, Summary, run_parallel, summarise, summary_json};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

struct Args {
    docs: usize,
    pages_per_doc: usize,
    min_chars: usize,
    max_chars: usize,
    seed: u64,
    gongzhi: PathBuf,
    out: PathBuf,
    work: Option<PathBuf>,
    clients: usize,
    rounds: usize,
    baseline_rounds: usize,
    like_queries: Option<usize>,
    keep: bool,
    /// Reuse the corpus a `--keep` run left in the work dir (skips generating and loading).
    reuse: bool,
    /// Gongzhi only: no FTS5 file, no FTS5 or LIKE queries (for re-measuring at scale).
    baselines: bool,
    /// With --reuse: keep the index too and skip `gongzhi reindex` (queries only).
    reuse_index: bool,
}

const USAGE: &str =
    "search-bench --docs N [--pages-per-doc 10] [--min-chars 400] [--max-chars 800] \
[--seed 3] [--gongzhi PATH] [--out DIR] [--work DIR] [--clients 8] [--rounds 5] \
[--baseline-rounds 1] [--like-queries N] [--keep] [--reuse] [--reuse-index] [--no-baselines]

--keep          leave the work dir (corpus, index, FTS5 file) in place
--reuse         take the corpus a --keep run left instead of loading it again
--reuse-index   --reuse, and keep the index as well: no reindex, queries only
--no-baselines  measure Gongzhi only (no FTS5 file is loaded; no FTS5 or LIKE queries)";

fn parse_args() -> anyhow::Result<Args> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut a = Args {
        docs: 2000,
        pages_per_doc: 10,
        min_chars: 400,
        max_chars: 800,
        seed: 3,
        gongzhi: proc::default_gongzhi(),
        out: root.join("out"),
        work: None,
        clients: 8,
        rounds: 5,
        baseline_rounds: 1,
        like_queries: None,
        keep: false,
        reuse: false,
        baselines: true,
        reuse_index: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--keep" | "--reuse" | "--reuse-index" | "--no-baselines" => {
                match flag.as_str() {
                    "--keep" => a.keep = true,
                    "--reuse" => a.reuse = true,
                    "--reuse-index" => (a.reuse, a.reuse_index) = (true, true),
                    _ => a.baselines = false,
                }
                continue;
            }
            _ => {}
        }
        if flag == "-h" || flag == "--help" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let v = it
            .next()
            .ok_or_else(|| anyhow::anyhow!("{flag} needs a value\n{USAGE}"))?;
        let n = || -> anyhow::Result<usize> {
            v.parse()
                .map_err(|_| anyhow::anyhow!("{flag} needs a number, not {v:?}"))
        };
        match flag.as_str() {
            "--docs" => a.docs = n()?,
            "--pages-per-doc" => a.pages_per_doc = n()?,
            "--min-chars" => a.min_chars = n()?,
            "--max-chars" => a.max_chars = n()?,
            "--seed" => a.seed = n()? as u64,
            "--gongzhi" => a.gongzhi = PathBuf::from(&v),
            "--out" => a.out = PathBuf::from(&v),
            "--work" => a.work = Some(PathBuf::from(&v)),
            "--clients" => a.clients = n()?,
            "--rounds" => a.rounds = n()?,
            "--baseline-rounds" => a.baseline_rounds = n()?,
            "--like-queries" => a.like_queries = Some(n()?),
            _ => anyhow::bail!("unknown flag {flag}\n{USAGE}"),
        }
    }
    anyhow::ensure!(
        a.docs >= 100 && a.pages_per_doc >= 1,
        "use at least 100 documents"
    );
    anyhow::ensure!(
        a.min_chars >= 20 && a.max_chars >= a.min_chars,
        "bad page length"
    );
    Ok(a)
}

fn dir_size(p: &Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(p) else {
        return 0;
    };
    rd.filter_map(Result::ok)
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

fn file_size(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

struct Loaded {
    /// (topic, title contains the topic word) of document id i+1.
    judged: Vec<(u8, bool)>,
    pages: usize,
    text_bytes: u64,
    text_chars: u64,
    load: Duration,
    /// None when the FTS5 file was not loaded (`--no-baselines`).
    fts_insert: Option<Duration>,
}

impl Loaded {
    const FILE: &str = "loaded.json";

    /// Written next to the corpus so that `--reuse` can skip loading it again.
    fn save(&self, work: &Path, args: &Args) -> anyhow::Result<()> {
        let v = json!({
            "docs": args.docs, "pages_per_doc": args.pages_per_doc, "seed": args.seed,
            "min_chars": args.min_chars, "max_chars": args.max_chars,
            "pages": self.pages, "text_bytes": self.text_bytes, "text_chars": self.text_chars,
            "load_s": self.load.as_secs_f64(),
            "fts_insert_s": self.fts_insert.map(|d| d.as_secs_f64()),
            "judged": self.judged.iter().map(|&(t, title)| json!([t, title])).collect::<Vec<_>>(),
        });
        std::fs::write(work.join(Self::FILE), serde_json::to_vec(&v)?)?;
        Ok(())
    }

    /// The corpus a `--keep` run left, if it was made with the same parameters.
    fn restore(work: &Path, args: &Args) -> anyhow::Result<Loaded> {
        let path = work.join(Self::FILE);
        let bytes = std::fs::read(&path).map_err(|e| {
            anyhow::anyhow!(
                "--reuse: no corpus at {} ({e}); run once with --keep",
                path.display()
            )
        })?;
        let v: serde_json::Value = serde_json::from_slice(&bytes)?;
        let u = |k: &str| v[k].as_u64().unwrap_or(u64::MAX);
        anyhow::ensure!(
            u("docs") == args.docs as u64
                && u("pages_per_doc") == args.pages_per_doc as u64
                && u("seed") == args.seed
                && u("min_chars") == args.min_chars as u64
                && u("max_chars") == args.max_chars as u64,
            "--reuse: the corpus in {} was made with other parameters",
            work.display()
        );
        let secs = |k: &str| v[k].as_f64().map(Duration::from_secs_f64);
        let judged = v["judged"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|p| {
                        (
                            p[0].as_u64().unwrap_or(0) as u8,
                            p[1].as_bool().unwrap_or(false),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Loaded {
            judged,
            pages: u("pages") as usize,
            text_bytes: u("text_bytes"),
            text_chars: u("text_chars"),
            load: secs("load_s").unwrap_or_default(),
            fts_insert: secs("fts_insert_s"),
        })
    }
}

/// Generates every document and inserts it into Gongzhi's database and the FTS5 file.
async fn load(
    args: &Args,
    v: &Vocab,
    p: &Params,
    data: &Path,
    fts: Option<&Path>,
) -> anyhow::Result<Loaded> {
    let start = Instant::now();
    let url = format!("sqlite://{}", data.join("gongzhi.db").display());
    let mut db = library_load::connect(&url).await?;
    let mut ft = match fts {
        Some(path) => {
            let mut c = run::connect(path, true, true).await?;
            sqlx::raw_sql(
                "CREATE VIRTUAL TABLE pages USING fts5(doc_id UNINDEXED, page UNINDEXED, text, tokenize='trigram')",
            )
            .execute(&mut c)
            .await?;
            Some(c)
        }
        None => None,
    };
    let now = 1_700_000_000_000i64;
    let uploader = library_load::uploader(&mut db, now).await?;
    let mut l = Loaded {
        judged: Vec::with_capacity(args.docs),
        pages: 0,
        text_bytes: 0,
        text_chars: 0,
        load: Duration::ZERO,
        fts_insert: ft.as_ref().map(|_| Duration::ZERO),
    };
    const BATCH: usize = 1000;
    let mut id = 1i64;
    let last = args.docs as i64;
    while id <= last {
        let end = (id + BATCH as i64 - 1).min(last);
        let docs: Vec<corpus::Doc> = (id..=end)
            .map(|i| corpus::generate(v, p, i, false))
            .collect();
        library_load::insert(&mut db, &docs, uploader, now, last).await?;
        for d in &docs {
            for text in &d.pages {
                l.pages += 1;
                l.text_bytes += text.len() as u64;
                l.text_chars += text.chars().count() as u64;
            }
            l.judged.push((d.topic as u8, d.title_has_topic));
        }
        if let Some(ft) = ft.as_mut() {
            let t = Instant::now();
            sqlx::raw_sql("BEGIN").execute(&mut *ft).await?;
            for d in &docs {
                let rows = std::iter::once(&d.title).chain(d.pages.iter());
                for (n, text) in rows.enumerate() {
                    sqlx::query("INSERT INTO pages (doc_id, page, text) VALUES ($1, $2, $3)")
                        .bind(d.id)
                        .bind(n as i64)
                        .bind(text)
                        .execute(&mut *ft)
                        .await?;
                }
            }
            sqlx::raw_sql("COMMIT").execute(&mut *ft).await?;
            *l.fts_insert.get_or_insert_default() += t.elapsed();
        }
        id = end + 1;
    }
    library_load::finish(db, &url).await?;
    use sqlx::Connection;
    if let Some(mut ft) = ft {
        let t = Instant::now();
        sqlx::raw_sql(
            "INSERT INTO pages(pages) VALUES ('optimize'); PRAGMA wal_checkpoint(TRUNCATE);",
        )
        .execute(&mut ft)
        .await?;
        *l.fts_insert.get_or_insert_default() += t.elapsed();
        ft.close().await?;
    }
    l.load = start.elapsed();
    Ok(l)
}

/// nDCG@10 of `ranked` for the topic `t`: grade 2 for a document of the topic whose title
/// contains the topic word, 1 for the other documents of the topic, 0 otherwise.
fn ndcg10(judged: &[(u8, bool)], t: usize, ranked: &[i64]) -> f64 {
    let grade = |id: i64| -> u32 {
        match judged.get((id - 1) as usize) {
            Some(&(topic, title)) if topic as usize == t => {
                if title {
                    2
                } else {
                    1
                }
            }
            _ => 0,
        }
    };
    let gain = |g: u32, i: usize| ((1u32 << g) - 1) as f64 / ((i + 2) as f64).log2();
    let dcg: f64 = ranked
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, &id)| gain(grade(id), i))
        .sum();
    let mut ideal: Vec<u32> = judged
        .iter()
        .filter(|(topic, _)| *topic as usize == t)
        .map(|&(_, title)| if title { 2 } else { 1 })
        .collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, &g)| gain(g, i))
        .sum();
    if idcg == 0.0 { 0.0 } else { dcg / idcg }
}

fn mean_ndcg(judged: &[(u8, bool)], qs: &[BenchQuery], m: &Measured) -> f64 {
    let v: Vec<f64> = qs
        .iter()
        .enumerate()
        .filter_map(|(i, q)| q.topic.map(|t| (i, t)))
        .map(|(i, t)| ndcg10(judged, t, m.results[i].as_deref().unwrap_or(&[])))
        .collect();
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

fn sql_engine(
    threads: usize,
    db: &Path,
    qs: &[BenchQuery],
    sql: &[run::SqlQuery],
    jobs: &[usize],
) -> anyhow::Result<Measured> {
    run_parallel(
        threads,
        qs.len(),
        jobs,
        || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let conn = rt.block_on(run::connect(db, false, false))?;
            Ok((rt, conn))
        },
        |(rt, conn), q| rt.block_on(run::run_sql(conn, &sql[q])),
    )
}

fn row(name: &str, s: &Summary) -> String {
    if s.n == 0 {
        return format!("{name:<26} not run (--no-baselines)");
    }
    format!(
        "{name:<26} {:>6} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>10.1}",
        s.n, s.p50, s.p95, s.p99, s.mean, s.qps
    )
}

fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    anyhow::ensure!(
        args.gongzhi.exists(),
        "no gongzhi binary at {} (build it: cargo build --release -p gongzhi, or pass --gongzhi)",
        args.gongzhi.display()
    );
    let scale = format!("{}x{}", args.docs, args.pages_per_doc);
    let work = args
        .work
        .clone()
        .unwrap_or_else(|| PathBuf::from("/var/tmp/gongzhi-bench").join(&scale));
    let data = work.join("data");
    let fts = work.join("fts5.db");
    if work.exists() && !args.reuse {
        std::fs::remove_dir_all(&work)?;
    }
    if args.reuse && !args.reuse_index {
        // The index is rebuilt (and measured) from the kept database.
        let _ = std::fs::remove_dir_all(data.join("index"));
    }
    std::fs::create_dir_all(&data)?;
    std::fs::create_dir_all(&args.out)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;

    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/documents");
    let vocab = Vocab::build(&fixtures, args.seed)?;
    let params = Params {
        seed: args.seed,
        pages_per_doc: args.pages_per_doc,
        min_chars: args.min_chars,
        max_chars: args.max_chars,
    };
    eprintln!(
        "[bench] scale {scale}: vocabulary {} words ({} from fixtures + built-in), work dir {}",
        vocab.words.len(),
        vocab.core,
        work.display()
    );

    // 1–2. Corpus, migrate, load (or the corpus a --keep run left).
    let loaded = if args.reuse {
        let l = Loaded::restore(&work, &args)?;
        anyhow::ensure!(
            l.fts_insert.is_some() || !args.baselines,
            "--reuse: the kept corpus has no FTS5 file; add --no-baselines"
        );
        eprintln!("[bench] reusing the corpus in {}", work.display());
        l
    } else {
        proc::run(&args.gongzhi, &data, "migrate")?;
        let fts_path = args.baselines.then_some(fts.as_path());
        let l = rt.block_on(load(&args, &vocab, &params, &data, fts_path))?;
        l.save(&work, &args)?;
        l
    };
    eprintln!(
        "[bench] loaded {} documents, {} pages, {:.1} MB of page text in {:.1}s",
        args.docs,
        loaded.pages,
        loaded.text_bytes as f64 / 1e6,
        loaded.load.as_secs_f64()
    );

    // 3. Indexing (not measured with --reuse-index).
    let t = Instant::now();
    if !args.reuse_index {
        proc::run(&args.gongzhi, &data, "reindex")?;
    }
    let reindex = t.elapsed();
    let index_bytes = dir_size(&data.join("index").join("library"));
    let fts_bytes = file_size(&fts);
    let pages_per_s = if args.reuse_index {
        f64::NAN
    } else {
        loaded.pages as f64 / reindex.as_secs_f64()
    };
    let index_ratio = index_bytes as f64 / loaded.text_bytes as f64;
    eprintln!(
        "[bench] reindex {:.1}s = {:.0} pages/s; index {:.1} MB = {:.2}x the page text",
        reindex.as_secs_f64(),
        pages_per_s,
        index_bytes as f64 / 1e6,
        index_ratio
    );

    // Diagnostic: the analyzer alone (jieba + folding, as `put` calls it), one thread.
    let sample: Vec<String> = (1..=args.docs.min(300) as i64)
        .flat_map(|i| corpus::generate(&vocab, &params, i, false).pages)
        .collect();
    let t = Instant::now();
    let tokens: usize = sample
        .iter()
        .map(|p| platform::search::index_tokens(p).len())
        .sum();
    let analyzer_pages_per_s = sample.len() as f64 / t.elapsed().as_secs_f64();
    eprintln!(
        "[bench] analyzer alone: {analyzer_pages_per_s:.0} pages/s on one thread ({:.0} tokens/page)",
        tokens as f64 / sample.len() as f64
    );

    // 4. Queries through HTTP.
    let qs = corpus::queries(&vocab, &params, args.docs);
    let all: Vec<usize> = (0..qs.len()).collect();
    let texts: Vec<String> = qs.iter().map(BenchQuery::text).collect();
    let (mut child, addr) = proc::serve(&args.gongzhi, &data)?;
    let http = |jobs: &[usize]| {
        run_parallel(
            args.clients,
            qs.len(),
            jobs,
            || Ok(Http::new(&addr)),
            |c, q| c.search(&texts[q]),
        )
    };
    let result = (|| -> anyhow::Result<(Measured, Measured)> {
        let warm = http(&all)?;
        let jobs: Vec<usize> = (0..args.rounds).flat_map(|_| all.iter().copied()).collect();
        let measured = http(&jobs)?;
        Ok((warm, measured))
    })();
    let _ = child.kill();
    let _ = child.wait();
    let (warm, gz) = result?;
    if let Some(e) = gz.first_error.as_ref().or(warm.first_error.as_ref()) {
        eprintln!(
            "[bench] gongzhi errors: {} (first: {e})",
            gz.errors + warm.errors
        );
    }
    let gz_sum = summarise(&gz, |_| true);
    eprintln!(
        "[bench] gongzhi: {} queries, p50 {:.2} ms, p99 {:.2} ms, {:.0} q/s",
        gz_sum.n, gz_sum.p50, gz_sum.p99, gz_sum.qps
    );

    // 5a. FTS5 trigram.
    let fts_sql: Vec<run::SqlQuery> = qs.iter().map(run::fts5_query).collect();
    let fts_jobs: Vec<usize> = (0..args.baseline_rounds)
        .flat_map(|_| all.iter().copied())
        .collect();
    let ft = if args.baselines {
        sql_engine(args.clients, &fts, &qs, &fts_sql, &fts_jobs)?
    } else {
        Measured::not_run(qs.len())
    };
    if let Some(e) = &ft.first_error {
        eprintln!("[bench] fts5 errors: {} (first: {e})", ft.errors);
    }
    let ft_sum = summarise(&ft, |_| true);
    eprintln!(
        "[bench] fts5: p50 {:.2} ms, p99 {:.2} ms, {:.1} q/s",
        ft_sum.p50, ft_sum.p99, ft_sum.qps
    );

    // 5b. LIKE scan (on an evenly spread subset at large scales).
    let like_n = args
        .like_queries
        .unwrap_or(if loaded.pages <= 50_000 { qs.len() } else { 40 })
        .clamp(1, qs.len());
    let like_jobs: Vec<usize> = (0..like_n).map(|i| i * qs.len() / like_n).collect();
    let like_sql: Vec<run::SqlQuery> = qs.iter().map(run::like_query).collect();
    let lk = if args.baselines {
        sql_engine(
            args.clients,
            &data.join("gongzhi.db"),
            &qs,
            &like_sql,
            &like_jobs,
        )?
    } else {
        Measured::not_run(qs.len())
    };
    if let Some(e) = &lk.first_error {
        eprintln!("[bench] like errors: {} (first: {e})", lk.errors);
    }
    let lk_sum = summarise(&lk, |_| true);
    // Gongzhi on exactly the LIKE subset, for a like-for-like ratio.
    let in_like = |q: usize| like_jobs.contains(&q);
    let gz_on_like = summarise(&gz, in_like);

    // 6. Relevance.
    let ndcg_gz = mean_ndcg(&loaded.judged, &qs, &warm);
    let ndcg_ft = args.baselines.then(|| mean_ndcg(&loaded.judged, &qs, &ft));
    let ndcg_lk = if args.baselines
        && qs
            .iter()
            .enumerate()
            .all(|(i, q)| q.topic.is_none() || in_like(i))
    {
        Some(mean_ndcg(&loaded.judged, &qs, &lk))
    } else {
        None
    };
    let fts_index_share = fts_sql.iter().filter(|s| s.uses_index).count();

    // 7. Report.
    let ratio = |a: f64, b: f64| b / a;
    println!();
    println!(
        "Search benchmark {scale} ({} pages, {:.1} MB page text, {:.0} chars/page), {} clients, {}",
        loaded.pages,
        loaded.text_bytes as f64 / 1e6,
        loaded.text_chars as f64 / loaded.pages as f64,
        args.clients,
        proc::now_utc()
    );
    println!();
    println!(
        "{:<26} {:>6} {:>9} {:>9} {:>9} {:>9} {:>10}",
        "engine (latency ms)", "n", "p50", "p95", "p99", "mean", "queries/s"
    );
    println!("{}", row("Gongzhi HTTP", &gz_sum));
    println!("{}", row("FTS5 trigram", &ft_sum));
    println!("{}", row(&format!("LIKE scan ({like_n} q)"), &lk_sum));
    println!(
        "{}",
        row(&format!("Gongzhi on those {like_n} q"), &gz_on_like)
    );
    println!();
    println!("Gongzhi by query kind:");
    for (k, s) in run::by_kind(&gz, &qs) {
        println!("{}", row(&format!("  {}", k.name()), &s));
    }
    println!("FTS5 by query kind:");
    for (k, s) in run::by_kind(&ft, &qs) {
        println!("{}", row(&format!("  {}", k.name()), &s));
    }
    println!(
        "  ({fts_index_share} of {} queries can use the trigram index; the rest have only 1–2 character terms and scan)",
        qs.len()
    );
    println!();
    println!(
        "speed-up Gongzhi vs FTS5:  p50 {:.1}x  p99 {:.1}x  throughput {:.1}x",
        ratio(gz_sum.p50, ft_sum.p50),
        ratio(gz_sum.p99, ft_sum.p99),
        gz_sum.qps / ft_sum.qps
    );
    println!(
        "speed-up Gongzhi vs LIKE:  p50 {:.1}x  p99 {:.1}x  throughput {:.1}x (same {like_n} queries)",
        ratio(gz_on_like.p50, lk_sum.p50),
        ratio(gz_on_like.p99, lk_sum.p99),
        gz_sum.qps / lk_sum.qps
    );
    println!();
    let fts_insert_s = loaded.fts_insert.map_or(f64::NAN, |d| d.as_secs_f64());
    println!(
        "indexing: gongzhi reindex {:.1}s = {:.0} pages/s (target >= 5000; analyzer alone {:.0} pages/s/thread); FTS5 inserts {:.1}s = {:.0} pages/s",
        reindex.as_secs_f64(),
        pages_per_s,
        analyzer_pages_per_s,
        fts_insert_s,
        loaded.pages as f64 / fts_insert_s
    );
    println!(
        "index size: {:.1} MB = {:.2}x the {:.1} MB page text (target <= 1.5x); FTS5 file {:.1} MB = {:.2}x",
        index_bytes as f64 / 1e6,
        index_ratio,
        loaded.text_bytes as f64 / 1e6,
        fts_bytes as f64 / 1e6,
        fts_bytes as f64 / loaded.text_bytes as f64
    );
    println!(
        "nDCG@10 over the 30 judged queries: Gongzhi {ndcg_gz:.3}  FTS5 {}{}",
        ndcg_ft.map_or("not run".into(), |n| format!("{n:.3}")),
        ndcg_lk
            .map(|n| format!("  LIKE {n:.3}"))
            .unwrap_or_default()
    );
    println!(
        "p99 target (<= 20 ms with {} clients): {}",
        args.clients,
        if gz_sum.p99 <= 20.0 { "met" } else { "NOT met" }
    );

    let kinds = |m: &Measured| {
        serde_json::Value::Object(
            run::by_kind(m, &qs)
                .into_iter()
                .map(|(k, s)| (k.name().to_string(), summary_json(&s)))
                .collect(),
        )
    };
    let report = json!({
        "scale": scale,
        "date": proc::now_utc(),
        "machine": proc::machine(),
        "args": {
            "docs": args.docs, "pages_per_doc": args.pages_per_doc,
            "min_chars": args.min_chars, "max_chars": args.max_chars, "seed": args.seed,
            "clients": args.clients, "rounds": args.rounds, "baseline_rounds": args.baseline_rounds,
            "like_queries": like_n, "gongzhi": args.gongzhi.display().to_string(),
        },
        "corpus": {
            "documents": args.docs, "pages": loaded.pages, "text_bytes": loaded.text_bytes,
            "text_chars": loaded.text_chars, "vocabulary": vocab.words.len(),
            "load_s": loaded.load.as_secs_f64(),
        },
        "indexing": {
            "reindex_s": reindex.as_secs_f64(), "pages_per_s": pages_per_s,
            "analyzer_only_pages_per_s_one_thread": analyzer_pages_per_s,
            "index_bytes": index_bytes, "index_to_text": index_ratio,
            "fts5_insert_s": fts_insert_s,
            "fts5_pages_per_s": loaded.pages as f64 / fts_insert_s,
            "fts5_bytes": fts_bytes, "fts5_to_text": fts_bytes as f64 / loaded.text_bytes as f64,
        },
        "gongzhi": { "all": summary_json(&gz_sum), "by_kind": kinds(&gz), "errors": gz.errors + warm.errors,
                     "on_like_subset": summary_json(&gz_on_like) },
        "fts5": { "all": summary_json(&ft_sum), "by_kind": kinds(&ft), "errors": ft.errors,
                  "queries_using_index": fts_index_share },
        "like": { "all": summary_json(&lk_sum), "by_kind": kinds(&lk), "errors": lk.errors },
        "speedup": {
            "vs_fts5": { "p50": ratio(gz_sum.p50, ft_sum.p50), "p99": ratio(gz_sum.p99, ft_sum.p99),
                         "throughput": gz_sum.qps / ft_sum.qps },
            "vs_like": { "p50": ratio(gz_on_like.p50, lk_sum.p50), "p99": ratio(gz_on_like.p99, lk_sum.p99),
                         "throughput": gz_sum.qps / lk_sum.qps },
        },
        "ndcg10": { "gongzhi": ndcg_gz, "fts5": ndcg_ft, "like": ndcg_lk },
        "targets": {
            "p99_le_20ms": gz_sum.p99 <= 20.0,
            "indexing_ge_5000_pages_per_s": pages_per_s >= 5000.0,
            "index_le_1_5x_text": index_ratio <= 1.5,
        },
        "queries": qs.iter().map(|q| json!({"kind": q.kind.name(), "q": q.text()})).collect::<Vec<_>>(),
    });
    let out = args.out.join(format!("search-{scale}.json"));
    std::fs::write(&out, serde_json::to_string_pretty(&report)?)?;
    println!("\nwrote {}", out.display());
    if !args.keep {
        std::fs::remove_dir_all(&work)?;
    }
    Ok(())
}
