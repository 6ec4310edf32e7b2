//! Calendar dates (no time of day) in the district's zone, UTC+8: report deadlines,
//! assessment dates and grade expiries. Stored as `YYYY-MM-DD`, which sorts as text.

use platform::AppState;
use serde::Serialize;
use std::fmt;

const DAY_MS: i64 = 86_400_000;
const ZONE_MS: i64 = 8 * 3_600_000;

/// Today in the district (by the injected clock).
pub fn today(state: &AppState) -> Day {
    Day::at(state.now())
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day {
    y: i64,
    m: i64,
    d: i64,
}

fn leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn month_days(y: i64, m: i64) -> i64 {
    match m {
        2 if leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl Day {
    /// Exactly `YYYY-MM-DD`, a real date between 1949 and 9999.
    pub fn parse(raw: &str) -> Option<Day> {
        let s = raw.trim();
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            let part = &s[r];
            part.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| part.parse().ok())
                .flatten()
        };
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        if !(1949..=9999).contains(&y) || !(1..=12).contains(&m) || d < 1 || d > month_days(y, m) {
            return None;
        }
        Some(Day { y, m, d })
    }

    /// The date at `ms` (Unix milliseconds) in UTC+8.
    pub fn at(ms: i64) -> Day {
        let z = (ms + ZONE_MS).div_euclid(DAY_MS) + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        Day { y, m, d }
    }

    /// Midnight starting this day in UTC+8, as Unix milliseconds.
    pub fn start_ms(self) -> i64 {
        let y = if self.m <= 2 { self.y - 1 } else { self.y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (self.m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + self.d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        (era * 146_097 + doe - 719_468) * DAY_MS - ZONE_MS
    }

    pub fn year(self) -> i64 {
        self.y
    }

    /// The same day `n` years later (29 February becomes 28 February in common years).
    pub fn plus_years(self, n: i64) -> Day {
        let y = self.y + n;
        Day {
            y,
            m: self.m,
            d: self.d.min(month_days(y, self.m)),
        }
    }

    /// The last day of a year.
    pub fn year_end(year: i64) -> Day {
        Day {
            y: year,
            m: 12,
            d: 31,
        }
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.y, self.m, self.d)
    }
}

impl Serialize for Day {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_strictly_and_prints_back() {
        assert_eq!(Day::parse("2024-02-29").unwrap().to_string(), "2024-02-29");
        for bad in [
            "2023-02-29",
            "2024-2-01",
            "24-02-01",
            "2024-13-01",
            "２０２４-01-01",
            "",
        ] {
            assert!(Day::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn days_in_the_districts_zone() {
        // 2026-06-30T16:00:00Z is midnight of 1 July in UTC+8.
        assert_eq!(Day::at(1_782_835_200_000).to_string(), "2026-07-01");
        assert_eq!(Day::at(1_782_835_199_999).to_string(), "2026-06-30");
        assert_eq!(Day::at(0).to_string(), "1970-01-01");
        let d = Day::parse("2026-07-01").unwrap();
        assert_eq!(d.start_ms(), 1_782_835_200_000);
        assert_eq!(Day::at(d.start_ms()), d);
    }

    #[test]
    fn five_years_on() {
        let d = Day::parse("2024-02-29").unwrap();
        assert_eq!(d.plus_years(5).to_string(), "2029-02-28");
        assert_eq!(
            Day::parse("2021-06-15").unwrap().plus_years(5).to_string(),
            "2026-06-15"
        );
        assert!(Day::parse("2026-06-14").unwrap() < Day::parse("2026-06-15").unwrap());
    }
}
