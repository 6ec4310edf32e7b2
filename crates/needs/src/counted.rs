//! The needs behind the "needs met" figure, for the assessment's trace-back (issue 16):
//! the ids of the needs met and the count of those nothing could meet, within an actor's
//! scope (the same filter as [`crate::figures::figures`], so they add up to its figures).

use gov_core::{GovActor, Sql};
use platform::AppState;
use sqlx::Row;

#[derive(Clone, Debug, Default)]
pub struct Settled {
    pub met_ids: Vec<i64>,
    pub unmet: i64,
}

pub async fn settled(state: &AppState, actor: &GovActor) -> sqlx::Result<Settled> {
    let mut sql = Sql::default();
    crate::figures::needs_counted(actor, None, &mut sql);
    let text = format!(
        "SELECT n.id AS id, n.state AS state FROM needs_needs n \
         WHERE n.state IN ('met', 'unmet') AND {} ORDER BY n.id",
        sql.where_clause()
    );
    let mut out = Settled::default();
    for r in sql.query(&text).fetch_all(&state.db.pool).await? {
        if r.try_get::<String, _>("state")? == "met" {
            out.met_ids.push(r.try_get("id")?);
        } else {
            out.unmet += 1;
        }
    }
    Ok(out)
}
