//! The gap report: unmet needs — nothing matched, every referral declined, or closed as
//! failed — by category and unit, within the reader's scope. A call for projects starts
//! from it (issue 14).

use crate::api::visible;
use crate::error::{NeedError, NeedResult};
use crate::matching;
use gov_core::{GovActor, Sql};
use platform::AppState;
use serde::Serialize;
use sqlx::FromRow;
use std::collections::BTreeMap;

/// A category's unmet needs in a unit; the names are filled in after the read.
#[derive(Debug, Serialize, FromRow)]
pub struct Gap {
    pub category: String,
    #[sqlx(skip)]
    pub category_name: String,
    pub unit_id: i64,
    #[sqlx(skip)]
    pub unit_name: String,
    pub needs: i64,
    pub people: i64,
}

/// The report for unit staff (anyone else: denied).
pub async fn report(state: &AppState, actor: &GovActor) -> NeedResult<Vec<Gap>> {
    if !crate::authz::is_staff(actor) {
        return Err(NeedError::Denied(
            platform::bi!(
                "缺口报告供单位工作人员使用。",
                "the gap report is for unit staff"
            )
            .into(),
        ));
    }
    let mut sql = Sql::default();
    visible(actor, &mut sql);
    sql.push("n.state = 'unmet'".into());
    let text = format!(
        "SELECT CASE WHEN n.category = '' THEN n.inferred_category ELSE n.category END AS category, n.unit_id, \
         COUNT(*) AS needs, CAST(SUM(n.people) AS BIGINT) AS people \
         FROM needs_needs n WHERE {} \
         GROUP BY CASE WHEN n.category = '' THEN n.inferred_category ELSE n.category END, n.unit_id",
        sql.where_clause()
    );
    let mut out: Vec<Gap> = sql
        .query(&text)
        .fetch_all(&state.db.pool)
        .await?
        .iter()
        .map(Gap::from_row)
        .collect::<sqlx::Result<_>>()?;
    let units = crate::model::unit_names(&state.db, out.iter().map(|g| g.unit_id)).await?;
    let names: BTreeMap<String, String> = matching::taxonomy(&state.db)
        .await?
        .into_iter()
        .map(|c| (c.code, c.name))
        .collect();
    for g in &mut out {
        g.category_name = names
            .get(&g.category)
            .cloned()
            .unwrap_or_else(|| "未分类".into());
        g.unit_name = units.get(&g.unit_id).cloned().unwrap_or_default();
    }
    out.sort_by(|a, b| {
        b.needs
            .cmp(&a.needs)
            .then(a.category.cmp(&b.category))
            .then(a.unit_id.cmp(&b.unit_id))
    });
    Ok(out)
}
