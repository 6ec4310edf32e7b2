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

impl OffsetClock {
    /// A clock that reads `start_ms` now and runs on from there at the system's pace.
    pub fn starting_at(start_ms: i64) -> OffsetClock {
        OffsetClock {
            offset_ms: AtomicI64::new(start_ms - SystemClock.now_ms()),
        }
    }
}

pub type SharedClock = Arc<dyn Clock>;

/// The server's clock: a test's offset file (`GONGZHI_CLOCK_OFFSET_FILE`), or the system
/// clock, or — when `GONGZHI_NOW` is set — a clock that
/// starts at that instant and runs on (`2027-07-01`, `2027-07-01T09:30:00+08:00` or Unix
/// milliseconds). Tests and demos use it to put a server after a deadline or an expiry.
pub fn from_env() -> anyhow::Result<SharedClock> {
    if let Some(path) = std::env::var_os("GONGZHI_CLOCK_OFFSET_FILE") {
        return Ok(Arc::new(FileOffsetClock { path: path.into() }));
    }
    match std::env::var("GONGZHI_NOW") {
        Ok(v) if !v.trim().is_empty() => {
            Ok(Arc::new(OffsetClock::starting_at(parse_instant(v.trim())?)))
        }
        _ => Ok(Arc::new(SystemClock)),
    }
}

/// `YYYY-MM-DD` (midnight in UTC+8), an RFC 3339 instant, or Unix milliseconds.
pub fn parse_instant(v: &str) -> anyhow::Result<i64> {
    use chrono::{FixedOffset, NaiveDate, TimeZone};
    if let Ok(ms) = v.parse::<i64>() {
        return Ok(ms);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v) {
        return Ok(t.timestamp_millis());
    }
    let d = NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
        anyhow::anyhow!("GONGZHI_NOW={v:?} is not a date, an RFC 3339 instant or Unix milliseconds")
    })?;
    let tz = FixedOffset::east_opt(8 * 3600).expect("valid offset");
    let midnight = d.and_hms_opt(0, 0, 0).expect("midnight exists");
    tz.from_local_datetime(&midnight)
        .single()
        .map(|t| t.timestamp_millis())
        .ok_or_else(|| anyhow::anyhow!("GONGZHI_NOW={v:?} is out of range"))
}

/// The district's time zone (UTC+8), in which days begin and dates are shown.
pub fn zone() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// The calendar day (in the district's zone) an instant falls on.
pub fn local_day(ms: i64) -> chrono::NaiveDate {
    use chrono::TimeZone;
    zone()
        .timestamp_millis_opt(ms)
        .single()
        .map(|t| t.date_naive())
        .unwrap_or_default()
}

/// `2026-11-27 12:30` in the server's local display zone (UTC+8, the district's).
pub fn format_ms(ms: i64) -> String {
    use chrono::TimeZone;
    match zone().timestamp_millis_opt(ms).single() {
        Some(t) => t.format("%Y-%m-%d %H:%M").to_string(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_parse_in_three_shapes() {
        assert_eq!(parse_instant("1780000000000").unwrap(), 1_780_000_000_000);
        // Midnight in the district's zone is 16:00 UTC the day before.
        assert_eq!(
            parse_instant("2027-07-01").unwrap(),
            parse_instant("2027-06-30T16:00:00Z").unwrap()
        );
        assert!(parse_instant("yesterday").is_err());
        let c = OffsetClock::starting_at(1_000);
        assert!((c.now_ms() - 1_000).abs() < 5_000);
    }
}
