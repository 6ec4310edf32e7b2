//! Figures for the leader's overview (issue 16): proposals replied on time and the
//! proposers' satisfaction with the result, for proposals led by units in an actor's scope.
//! The list behind them (`counted`) is read with the same clause, so a figure and the list
//! it opens cannot disagree.

use gov_core::{GovActor, Sql};
use platform::AppState;
use serde::Serialize;
use sqlx::FromRow;

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

/// The counts the figures divide, read by name.
#[derive(FromRow)]
struct Counts {
    replied: i64,
    on_time: i64,
    rated: i64,
    satisfied: i64,
}

fn pct(n: i64, d: i64) -> Option<f64> {
    (d > 0).then(|| (n as f64 * 1000.0 / d as f64).round() / 10.0)
}

/// The proposals (alias `p`, lead unit `l`) the figures look at.
pub const FROM: &str = "consult_proposals p JOIN governance_units l ON l.id = p.lead_unit_id";

/// "The proposal counts": led by a unit in the actor's scope and, with `since`, replied
/// from then on (the overview's period).
pub fn counted(actor: &GovActor, since: Option<i64>, sql: &mut Sql) {
    actor.scope().apply(sql, "l.path");
    if let Some(since) = since {
        let p = sql.bind(since);
        sql.push(format!("p.replied_at >= {p}"));
    }
}

/// The figures over every proposal as it stands.
pub async fn figures(state: &AppState, actor: &GovActor) -> sqlx::Result<Figures> {
    figures_in(state, actor, None).await
}

/// The figures over proposals replied from `since` when given.
pub async fn figures_in(
    state: &AppState,
    actor: &GovActor,
    since: Option<i64>,
) -> sqlx::Result<Figures> {
    let mut sql = Sql::default();
    counted(actor, since, &mut sql);
    let text = format!(
        "SELECT COUNT(CASE WHEN {REPLIED} THEN 1 END) AS replied, \
         COUNT(CASE WHEN {REPLIED} AND p.replied_at <= p.reply_due THEN 1 END) AS on_time, \
         COUNT(CASE WHEN {RATED} THEN 1 END) AS rated, \
         COUNT(CASE WHEN p.rating_result IN ('satisfied', 'basic') THEN 1 END) AS satisfied \
         FROM {FROM} WHERE {}",
        sql.where_clause()
    );
    let c = Counts::from_row(&sql.query(&text).fetch_one(&state.db.pool).await?)?;
    Ok(Figures {
        replied: c.replied,
        replied_on_time: c.on_time,
        answered_on_time_rate: pct(c.on_time, c.replied),
        rated: c.rated,
        satisfaction_rate: pct(c.satisfied, c.rated),
    })
}

/// A replied proposal: what the on-time rate divides by.
pub const REPLIED: &str = "p.replied_at IS NOT NULL";
/// A rated proposal: what the satisfaction rate divides by.
pub const RATED: &str = "p.rating_result <> ''";
