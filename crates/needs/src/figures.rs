//! Figures for the leader's overview (issue 16): needs by where they stand and projects
//! running, within an actor's scope as staff (the needs of the units they cover; calls
//! made by those units).

use gov_core::{GovActor, Sql};
use platform::AppState;
use serde::Serialize;
use sqlx::Row;

#[derive(Clone, Debug, Default, Serialize)]
pub struct Figures {
    /// Needs met by a completed referral.
    pub matched: i64,
    /// Needs nothing could meet: no match, every referral declined, or failed.
    pub unmet: i64,
    /// Needs still open or referred.
    pub pending: i64,
    /// Contracts of purchased-service projects under way.
    pub projects_running: i64,
    /// Their milestones past due and not reported met.
    pub milestones_slipping: i64,
}

pub async fn figures(state: &AppState, actor: &GovActor, today: &str) -> sqlx::Result<Figures> {
    let scope = actor.scope();
    let mut sql = Sql::default();
    scope.apply(&mut sql, "n.unit_path");
    let text = format!(
        "SELECT n.state AS state, COUNT(*) AS n FROM needs_needs n WHERE {} GROUP BY n.state",
        sql.where_clause()
    );
    let mut out = Figures::default();
    for r in sql.query(&text).fetch_all(&state.db.pool).await? {
        let n: i64 = r.try_get("n")?;
        match r.try_get::<String, _>("state")?.as_str() {
            "met" => out.matched += n,
            "unmet" => out.unmet += n,
            _ => out.pending += n,
        }
    }
    let mut sql = Sql::default();
    scope.apply(&mut sql, "c.unit_path");
    let day = sql.bind(gov_core::Bind::Text(today.into()));
    let text = format!(
        "SELECT COUNT(DISTINCT k.id) AS running, \
         COUNT(CASE WHEN m.status = 'scheduled' AND m.due_on < {day} THEN 1 END) AS slipping \
         FROM needs_contracts k JOIN needs_calls c ON c.id = k.call_id \
         LEFT JOIN needs_milestones m ON m.contract_id = k.id \
         WHERE k.state = 'active' AND {}",
        sql.where_clause()
    );
    let r = sql.query(&text).fetch_one(&state.db.pool).await?;
    out.projects_running = r.try_get("running")?;
    out.milestones_slipping = r.try_get("slipping")?;
    Ok(out)
}
