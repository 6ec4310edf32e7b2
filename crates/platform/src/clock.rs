//! Injected time, so deadlines and expiries are testable (ARCHITECTURE rule 8).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

pub trait Clock: Send + Sync + 'static {
    /// Unix time in milliseconds.
    fn now_ms(&self) -> i64;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        chrono::Utc::now().timestamp_millis()
    }
}

/// The system clock shifted by an adjustable offset (tests move time forward with it).
#[derive(Default)]
pub struct OffsetClock {
    offset_ms: AtomicI64,
}

impl OffsetClock {
    pub fn advance(&self, ms: i64) {
        self.offset_ms.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for OffsetClock {
    fn now_ms(&self) -> i64 {
        SystemClock.now_ms() + self.offset_ms.load(Ordering::SeqCst)
    }
}

/// The system clock shifted by an offset read from a file on every call, so that a test
/// can move a running server's time forward (deadlines, cards, expiries) from outside.
/// Chosen only when `GONGZHI_CLOCK_OFFSET_FILE` is set; there is no route that moves time.
pub struct FileOffsetClock {
    pub path: std::path::PathBuf,
}

impl Clock for FileOffsetClock {
    fn now_ms(&self) -> i64 {
        let offset = std::fs::read_to_string(&self.path)
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
            .unwrap_or(0);
        SystemClock.now_ms() + offset
    }
}

/// The clock the server runs on: the system's, or a test's offset file.
pub fn from_env() -> SharedClock {
    match std::env::var_os("GONGZHI_CLOCK_OFFSET_FILE") {
        Some(path) => Arc::new(FileOffsetClock { path: path.into() }),
        None => Arc::new(SystemClock),
    }
}

pub type SharedClock = Arc<dyn Clock>;

/// `2026-11-27 12:30` in the server's local display zone (UTC+8, the district's).
pub fn format_ms(ms: i64) -> String {
    use chrono::{FixedOffset, TimeZone};
    let tz = FixedOffset::east_opt(8 * 3600).expect("valid offset");
    match tz.timestamp_millis_opt(ms).single() {
        Some(t) => t.format("%Y-%m-%d %H:%M").to_string(),
        None => String::new(),
    }
}
