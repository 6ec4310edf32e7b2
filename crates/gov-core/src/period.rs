//! The period an overview's figures are counted over (issue 16): the last month, quarter
//! or year, as days back from now, the way the centre's dashboard counts its days. One
//! word in the query (`period=quarter`) that the overview and every list it opens share.

use platform::web::Lang;

const DAY_MS: i64 = 24 * 3600 * 1000;

platform::vocabulary! {
    /// A period back from now.
    Period {
        Month = "month", "近一月", "Last month";
        Quarter = "quarter", "近一季", "Last quarter";
        Year = "year", "近一年", "Last year";
    }
}

impl Period {
    /// The days it spans: the dashboard's 30, 90 and 365.
    pub fn days(self) -> i64 {
        match self {
            Period::Month => 30,
            Period::Quarter => 90,
            Period::Year => 365,
        }
    }

    /// Its first moment (ms) seen from `now`.
    pub fn since(self, now: i64) -> i64 {
        now - self.days() * DAY_MS
    }

    /// `period` of a query: none or empty is "all time" (`Ok(None)`), junk is `Err` with
    /// the bilingual message [`Period::BAD`].
    pub fn from_query(raw: Option<&str>) -> Result<Option<Period>, &'static str> {
        match raw.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => Period::parse(s).map(Some).ok_or(Period::BAD),
        }
    }

    /// What a period (or all time) is called on a page.
    pub fn name(p: Option<Period>, lang: Lang) -> &'static str {
        p.map_or(lang.pick("全部时间", "All time"), |p| p.label(lang))
    }

    /// The bilingual message for a bad `period`.
    pub const BAD: &'static str = platform::bi!(
        "时间段须为 month、quarter 或 year。",
        "period must be month, quarter or year."
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_and_reach_back() {
        assert_eq!(Period::from_query(None), Ok(None));
        assert_eq!(Period::from_query(Some(" ")), Ok(None));
        assert_eq!(
            Period::from_query(Some("quarter")),
            Ok(Some(Period::Quarter))
        );
        assert_eq!(Period::from_query(Some("week")), Err(Period::BAD));
        assert_eq!(Period::Month.since(31 * DAY_MS), DAY_MS);
        assert_eq!(Period::name(None, Lang::Zh), "全部时间");
    }
}
