//! A few Prometheus counters in the text exposition format; no exporter crate needed.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

pub struct Counter {
    name: &'static str,
    help: &'static str,
    value: AtomicU64,
}

impl Counter {
    const fn new(name: &'static str, help: &'static str) -> Counter {
        Counter {
            name,
            help,
            value: AtomicU64::new(0),
        }
    }
    pub fn inc(&self) {
        self.value.fetch_add(1, Ordering::Relaxed);
    }
    pub fn get(&self) -> u64 {
        self.value.load(Ordering::Relaxed)
    }
}

pub static HTTP_2XX: Counter = Counter::new(
    "gongzhi_http_responses_2xx_total",
    "HTTP responses with a 2xx status",
);
pub static HTTP_3XX: Counter = Counter::new(
    "gongzhi_http_responses_3xx_total",
    "HTTP responses with a 3xx status",
);
pub static HTTP_4XX: Counter = Counter::new(
    "gongzhi_http_responses_4xx_total",
    "HTTP responses with a 4xx status",
);
pub static HTTP_5XX: Counter = Counter::new(
    "gongzhi_http_responses_5xx_total",
    "HTTP responses with a 5xx status",
);
pub static JOBS_STARTED: Counter =
    Counter::new("gongzhi_jobs_started_total", "Background jobs started");
pub static JOBS_DONE: Counter = Counter::new(
    "gongzhi_jobs_done_total",
    "Background jobs finished successfully",
);
pub static JOBS_FAILED: Counter = Counter::new(
    "gongzhi_jobs_failed_total",
    "Background jobs failed for good",
);
pub static LOGIN_FAILURES: Counter =
    Counter::new("gongzhi_login_failures_total", "Failed or throttled logins");
pub static UPLOADS: Counter =
    Counter::new("gongzhi_uploads_total", "Documents accepted for upload");
pub static DOWNLOADS: Counter =
    Counter::new("gongzhi_downloads_total", "Original files downloaded");
/// Runs of the clock's work (sweeps, weekly reports) on this node: non-zero on one node of a
/// cluster at a time, the holder of the `clock` lease (ADR 041).
pub static CLOCK_RUNS: Counter = Counter::new(
    "gongzhi_clock_runs_total",
    "Clock work (sweeps, weekly reports) run by this node",
);

static ALL: &[&Counter] = &[
    &HTTP_2XX,
    &HTTP_3XX,
    &HTTP_4XX,
    &HTTP_5XX,
    &JOBS_STARTED,
    &JOBS_DONE,
    &JOBS_FAILED,
    &LOGIN_FAILURES,
    &UPLOADS,
    &DOWNLOADS,
    &CLOCK_RUNS,
];

pub fn record_status(status: u16) {
    match status {
        200..=299 => HTTP_2XX.inc(),
        300..=399 => HTTP_3XX.inc(),
        400..=499 => HTTP_4XX.inc(),
        _ => HTTP_5XX.inc(),
    }
}

pub fn render() -> String {
    let mut out = String::new();
    for c in ALL {
        let _ = writeln!(
            out,
            "# HELP {} {}\n# TYPE {} counter\n{} {}",
            c.name,
            c.help,
            c.name,
            c.name,
            c.get()
        );
    }
    out
}
