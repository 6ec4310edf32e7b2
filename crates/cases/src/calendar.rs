//! The working-day calendar: Monday to Friday, except the holidays an operator sets, plus
//! the weekend days they declare worked (调休). Every case deadline is counted on it, in the
//! district's time zone (UTC+8), from an injected clock.

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Weekday};
use platform::db::Db;
use std::collections::HashMap;

const DAY_MS: i64 = 24 * 3600 * 1000;

use platform::clock::zone;

/// The calendar day (in the district's zone) an instant falls on.
pub use platform::clock::local_day as local_date;

/// The first millisecond of a calendar day.
pub fn day_start(day: NaiveDate) -> i64 {
    let midnight = day.and_hms_opt(0, 0, 0).expect("midnight exists");
    zone()
        .from_local_datetime(&midnight)
        .single()
        .map(|t| t.timestamp_millis())
        .unwrap_or_default()
}

/// The dashboard's window of `days` whole local days up to and including today, as
/// `[from, to)` in ms: what its rates count, and what a list opened from them shows.
pub fn days_window(now: i64, days: i64) -> (i64, i64) {
    let today = day_start(local_date(now));
    (today - (days - 1) * DAY_MS, today + DAY_MS)
}

/// A `YYYY-MM-DD` day, as forms and the calendar table hold it.
pub fn parse_day(raw: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").ok()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayKind {
    /// A weekday taken off.
    Holiday,
    /// A weekend day worked.
    Workday,
}

impl DayKind {
    pub fn parse(s: &str) -> Option<DayKind> {
        match s {
            "holiday" => Some(DayKind::Holiday),
            "workday" => Some(DayKind::Workday),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Calendar {
    overrides: HashMap<NaiveDate, DayKind>,
}

impl Calendar {
    pub fn new(overrides: impl IntoIterator<Item = (NaiveDate, DayKind)>) -> Calendar {
        Calendar {
            overrides: overrides.into_iter().collect(),
        }
    }

    pub async fn load(db: &Db) -> sqlx::Result<Calendar> {
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT day, kind FROM cases_calendar")
            .fetch_all(&db.pool)
            .await?;
        Ok(Calendar::new(rows.into_iter().filter_map(|(d, k)| {
            Some((parse_day(&d)?, DayKind::parse(&k)?))
        })))
    }

    pub fn is_working(&self, day: NaiveDate) -> bool {
        match self.overrides.get(&day) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            None => !matches!(day.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// The end of the `n`-th working day after the day of `from` (the last millisecond of
    /// it): "within 3 working days" of a Friday dispatch means by Wednesday night.
    /// `n = 0` is the end of `from`'s own day if it is a working day, else of the next one.
    pub fn deadline(&self, from: i64, n: i64) -> i64 {
        let mut day = local_date(from);
        let mut left = n;
        if left == 0 {
            while !self.is_working(day) {
                day += Duration::days(1);
            }
        }
        // A year of holidays cannot hold more than 366 days off; bound the walk anyway.
        let mut guard = 0;
        while left > 0 && guard < 4000 {
            day += Duration::days(1);
            if self.is_working(day) {
                left -= 1;
            }
            guard += 1;
        }
        day_start(day) + DAY_MS - 1
    }

    /// Working days from `from` up to `to` (how late an overdue case is), counting the days
    /// after `from`'s day up to and including `to`'s.
    pub fn working_days_between(&self, from: i64, to: i64) -> i64 {
        let (mut day, end) = (local_date(from), local_date(to));
        let mut n = 0;
        while day < end && n < 4000 {
            day += Duration::days(1);
            if self.is_working(day) {
                n += 1;
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: &str, hour: u32) -> i64 {
        let d = parse_day(day).unwrap();
        day_start(d) + hour as i64 * 3600 * 1000
    }

    #[test]
    fn weekends_are_skipped() {
        let c = Calendar::default();
        // 2026-11-27 is a Friday: three working days later is Wednesday 2 December.
        let due = c.deadline(at("2026-11-27", 10), 3);
        assert_eq!(local_date(due), parse_day("2026-12-02").unwrap());
        assert_eq!(due, at("2026-12-03", 0) - 1);
    }

    #[test]
    fn holidays_and_worked_weekends_count() {
        let c = Calendar::new([
            (parse_day("2026-12-01").unwrap(), DayKind::Holiday),
            (parse_day("2026-11-28").unwrap(), DayKind::Workday),
        ]);
        // Fri 27 → Sat 28 (worked), Mon 30, Tue 1 (holiday), Wed 2.
        let due = c.deadline(at("2026-11-27", 10), 3);
        assert_eq!(local_date(due), parse_day("2026-12-02").unwrap());
        let due = c.deadline(at("2026-11-27", 10), 1);
        assert_eq!(local_date(due), parse_day("2026-11-28").unwrap());
    }

    #[test]
    fn zero_days_is_the_end_of_the_next_working_day() {
        let c = Calendar::default();
        let sat = at("2026-11-28", 9);
        assert_eq!(
            local_date(c.deadline(sat, 0)),
            parse_day("2026-11-30").unwrap()
        );
    }

    #[test]
    fn days_between_counts_working_days_only() {
        let c = Calendar::default();
        assert_eq!(
            c.working_days_between(at("2026-11-27", 23), at("2026-12-01", 1)),
            2
        );
        assert_eq!(
            c.working_days_between(at("2026-12-01", 1), at("2026-11-27", 1)),
            0
        );
    }

    #[test]
    fn the_zone_is_the_districts() {
        // 2026-11-27 20:00 UTC is already Saturday 04:00 in UTC+8.
        let ms = chrono::Utc
            .with_ymd_and_hms(2026, 11, 27, 20, 0, 0)
            .unwrap()
            .timestamp_millis();
        assert_eq!(local_date(ms), parse_day("2026-11-28").unwrap());
    }
}
