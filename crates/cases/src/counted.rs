//! The cases behind a rate, for the assessment's trace-back (issue 16): which cases
//! dispatched in a period were signed for on time, within an actor's scope (the same
//! filter as [`crate::stats::rates`], so the ids add up to its figures).

use gov_core::GovActor;
use platform::AppState;
use sqlx::Row;

/// Cases dispatched in `[from, to)` and the ids of those signed for by their deadline.
#[derive(Clone, Debug, Default)]
pub struct OnTime {
    pub dispatched: i64,
    pub on_time_ids: Vec<i64>,
}

pub async fn signed_on_time(
    state: &AppState,
    actor: &GovActor,
    from: i64,
    to: i64,
) -> sqlx::Result<OnTime> {
    let sql = crate::stats::dispatched_between(actor, from, to);
    let q = format!(
        "SELECT c.id AS id, CASE WHEN c.responded_at IS NOT NULL AND c.responded_at <= c.respond_by \
         THEN 1 ELSE 0 END AS on_time FROM cases_cases c WHERE {} ORDER BY c.id",
        sql.where_clause()
    );
    let mut out = OnTime::default();
    for r in sql.query(&q).fetch_all(&state.db.pool).await? {
        out.dispatched += 1;
        if r.try_get::<i32, _>("on_time")? == 1 {
            out.on_time_ids.push(r.try_get("id")?);
        }
    }
    Ok(out)
}
