//! The proposals behind the "answered on time" figure, for the assessment's trace-back
//! (issue 16): of the proposals led by units in an actor's scope and replied, the ids of
//! those replied by their deadline (the same filter as [`crate::figures::figures`]).

use gov_core::{GovActor, Sql};
use platform::AppState;
use sqlx::Row;

#[derive(Clone, Debug, Default)]
pub struct Replied {
    pub replied: i64,
    pub on_time_ids: Vec<i64>,
}

pub async fn replied(state: &AppState, actor: &GovActor) -> sqlx::Result<Replied> {
    let mut sql = Sql::default();
    crate::figures::counted(actor, None, &mut sql);
    sql.push(crate::figures::REPLIED.into());
    let text = format!(
        "SELECT p.id AS id, CASE WHEN p.replied_at <= p.reply_due THEN 1 ELSE 0 END AS on_time \
         FROM {} WHERE {} ORDER BY p.id",
        crate::figures::FROM,
        sql.where_clause()
    );
    let mut out = Replied::default();
    for r in sql.query(&text).fetch_all(&state.db.pool).await? {
        out.replied += 1;
        if r.try_get::<i32, _>("on_time")? == 1 {
            out.on_time_ids.push(r.try_get("id")?);
        }
    }
    Ok(out)
}
