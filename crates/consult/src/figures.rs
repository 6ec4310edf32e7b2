//! Figures for the leader's overview (issue 16): proposals replied on time and the
//! proposers' satisfaction with the result, for proposals led by units in an actor's scope.

use gov_core::{GovActor, Sql};
use platform::AppState;
use serde::Serialize;
use sqlx::Row;

#[derive(Clone, Debug, Default, Serialize)]
pub struct Figures {
    pub replied: i64,
    pub replied_on_time: i64,
    /// Of the replied ones, the share replied by their deadline (%, one decimal).
    pub answered_on_time_rate: Option<f64>,
    pub rated: i64,
    /// Of the rated ones, the share rated satisfied or mostly satisfied with the result.
    pub satisfaction_rate: Option<f64>,
}

fn pct(n: i64, d: i64) -> Option<f64> {
    (d > 0).then(|| (n as f64 * 1000.0 / d as f64).round() / 10.0)
}

pub async fn figures(state: &AppState, actor: &GovActor) -> sqlx::Result<Figures> {
    let mut sql = Sql::default();
    actor.scope().apply(&mut sql, "l.path");
    let text = format!(
        "SELECT COUNT(CASE WHEN p.replied_at IS NOT NULL THEN 1 END) AS replied, \
         COUNT(CASE WHEN p.replied_at IS NOT NULL AND p.replied_at <= p.reply_due THEN 1 END) AS on_time, \
         COUNT(CASE WHEN p.rating_result <> '' THEN 1 END) AS rated, \
         COUNT(CASE WHEN p.rating_result IN ('satisfied', 'basic') THEN 1 END) AS satisfied \
         FROM consult_proposals p JOIN governance_units l ON l.id = p.lead_unit_id WHERE {}",
        sql.where_clause()
    );
    let r = sql.query(&text).fetch_one(&state.db.pool).await?;
    let (replied, on_time, rated, satisfied): (i64, i64, i64, i64) = (
        r.try_get("replied")?,
        r.try_get("on_time")?,
        r.try_get("rated")?,
        r.try_get("satisfied")?,
    );
    Ok(Figures {
        replied,
        replied_on_time: on_time,
        answered_on_time_rate: pct(on_time, replied),
        rated,
        satisfaction_rate: pct(satisfied, rated),
    })
}
