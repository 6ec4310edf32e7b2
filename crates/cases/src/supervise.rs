//! The centre pressing a handling unit by hand (issue 16): an urge (催办) — a notice to the
//! unit and a line on the case's timeline, at most once per case and working day — and a
//! listing for supervision (挂牌督办) with a reason and a day the case must be done by,
//! shown on the case page, in the case lists (`?listed=1`) and on the unit's workbench.
//! Both are workflow steps (`workflow::Op::Urge`, `Op::List`); this module keeps their
//! tables.

use crate::calendar::{Calendar, day_start, local_date};
use crate::error::{CaseError, CaseResult};
use crate::model::Case;
use chrono::{Duration, NaiveDate};
use platform::db::{Db, Tx};
use platform::web::Code;
use serde::Serialize;

/// How far ahead a supervision deadline may be set.
pub const MAX_DUE_DAYS: i64 = 366;

/// The SQL condition (over `cases_cases c`) for cases listed for supervision.
pub const LISTED_SQL: &str = "EXISTS (SELECT 1 FROM cases_listings l WHERE l.case_id = c.id)";

/// A supervision deadline is a day from today to a year ahead.
pub fn check_due_on(day: NaiveDate, now: i64) -> CaseResult<()> {
    let today = local_date(now);
    if day < today || day > today + Duration::days(MAX_DUE_DAYS) {
        return Err(CaseError::invalid(
            Code::BadDate,
            format!(
                "督办期限须在今天（{today}）到一年之内 (the deadline must be between today, {today}, and a year ahead)"
            ),
        ));
    }
    Ok(())
}

/// The working day an urge at `now` counts for: today when it is one, else the next one
/// (urges on a Saturday and the Monday after count as one).
pub fn work_day(cal: &Calendar, now: i64) -> NaiveDate {
    local_date(cal.deadline(now, 0))
}

/// Records an urge, refusing a second one for the same working day (409).
pub async fn urge(
    tx: &mut Tx,
    case: &Case,
    cal: &Calendar,
    note: &str,
    now: i64,
    by: Option<i64>,
) -> CaseResult<NaiveDate> {
    let day = work_day(cal, now);
    let refused = || {
        CaseError::refused(
            Code::AlreadyUrged,
            format!(
                "事件 #{} 在 {day} 已催办过，每个工作日最多催办一次 (case #{} was urged already on {day}; once a working day at most)",
                case.id, case.id
            ),
        )
    };
    let seen: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM cases_urges WHERE case_id = $1 AND work_day = $2")
            .bind(case.id)
            .bind(day.to_string())
            .fetch_optional(&mut **tx)
            .await?;
    if seen.is_some() {
        return Err(refused());
    }
    sqlx::query(
        "INSERT INTO cases_urges (case_id, work_day, note, urged_by, urged_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(case.id)
    .bind(day.to_string())
    .bind(note)
    .bind(by)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(|e| match &e {
        // Two urges at the same moment: the unique key keeps one.
        sqlx::Error::Database(d) if d.is_unique_violation() => refused(),
        _ => e.into(),
    })?;
    Ok(day)
}

/// Lists a case for supervision (again: the new reason and day replace the old ones).
pub async fn list(
    tx: &mut Tx,
    case_id: i64,
    reason: &str,
    due_on: NaiveDate,
    now: i64,
    by: Option<i64>,
) -> CaseResult<()> {
    sqlx::query("DELETE FROM cases_listings WHERE case_id = $1")
        .bind(case_id)
        .execute(&mut **tx)
        .await?;
    let due_at = day_start(due_on + Duration::days(1)) - 1;
    sqlx::query(
        "INSERT INTO cases_listings (case_id, reason, due_on, due_at, listed_by, listed_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(case_id)
    .bind(reason)
    .bind(due_on.to_string())
    .bind(due_at)
    .bind(by)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A case's listing for supervision.
#[derive(Clone, Debug, Serialize)]
pub struct Listing {
    pub reason: String,
    pub due_on: String,
    pub due_at: i64,
    pub listed_at: i64,
}

pub async fn listing(db: &Db, case_id: i64) -> sqlx::Result<Option<Listing>> {
    use sqlx::Row;
    let row = sqlx::query(
        "SELECT reason, due_on, due_at, listed_at FROM cases_listings WHERE case_id = $1",
    )
    .bind(case_id)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|r| {
        Ok(Listing {
            reason: r.try_get("reason")?,
            due_on: r.try_get("due_on")?,
            due_at: r.try_get("due_at")?,
            listed_at: r.try_get("listed_at")?,
        })
    })
    .transpose()
}

/// The working days a case was urged on, latest first.
pub async fn urged_days(db: &Db, case_id: i64) -> sqlx::Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT work_day FROM cases_urges WHERE case_id = $1 ORDER BY work_day DESC",
    )
    .bind(case_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::DayKind;

    fn at(day: &str, hour: i64) -> i64 {
        day_start(NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap()) + hour * 3600 * 1000
    }

    #[test]
    fn urges_on_days_off_count_for_the_next_working_day() {
        let cal = Calendar::new([(
            NaiveDate::from_ymd_opt(2026, 10, 5).unwrap(),
            DayKind::Holiday,
        )]);
        // Friday 2 October 2026 is a working day.
        assert_eq!(
            work_day(&cal, at("2026-10-02", 9)).to_string(),
            "2026-10-02"
        );
        // Saturday and Sunday count for Tuesday, Monday the 5th being a holiday.
        assert_eq!(
            work_day(&cal, at("2026-10-03", 9)).to_string(),
            "2026-10-06"
        );
        assert_eq!(
            work_day(&cal, at("2026-10-05", 23)).to_string(),
            "2026-10-06"
        );
    }

    #[test]
    fn deadlines_lie_between_today_and_a_year_ahead() {
        let now = at("2026-10-02", 9);
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(check_due_on(day("2026-10-02"), now).is_ok());
        assert!(check_due_on(day("2027-10-02"), now).is_ok());
        assert!(check_due_on(day("2026-10-01"), now).is_err());
        assert!(check_due_on(day("2027-10-04"), now).is_err());
    }
}
