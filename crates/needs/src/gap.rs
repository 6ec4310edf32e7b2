//! The gap report: unmet needs — nothing matched, every referral declined, or closed as
//! failed — by category and unit, within the reader's scope. A call for projects starts
//! from it (issue 14).

use crate::api::visible;
use crate::error::NeedResult;
use crate::matching;
use gov_core::{GovActor, Sql};
use platform::AppState;
use serde::Serialize;
use sqlx::Row;
use std::collections::BTreeMap;

#[derive(Debug, Serialize)]
pub struct Gap {
    pub category: String,
    pub category_name: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub needs: i64,
    pub people: i64,
}

pub async fn report(state: &AppState, actor: &GovActor) -> NeedResult<Vec<Gap>> {
    let mut sql = Sql::default();
    visible(actor, &mut sql);
    sql.push("n.state = 'unmet'".into());
    let text = format!(
        "SELECT CASE WHEN n.category = '' THEN n.inferred_category ELSE n.category END AS cat, n.unit_id, \
         COUNT(*) AS needs, CAST(SUM(n.people) AS BIGINT) AS people \
         FROM needs_needs n WHERE {} \
         GROUP BY CASE WHEN n.category = '' THEN n.inferred_category ELSE n.category END, n.unit_id",
        sql.where_clause()
    );
    let rows = sql.query(&text).fetch_all(&state.db.pool).await?;
    let units = crate::model::unit_names(
        &state.db,
        rows.iter()
            .filter_map(|r| r.try_get::<i64, _>("unit_id").ok()),
    )
    .await?;
    let names: BTreeMap<String, String> = matching::taxonomy(&state.db)
        .await?
        .into_iter()
        .map(|c| (c.code, c.name))
        .collect();
    let mut out = Vec::new();
    for r in rows {
        let category: String = r.try_get("cat")?;
        out.push(Gap {
            category_name: names
                .get(&category)
                .cloned()
                .unwrap_or_else(|| "未分类".into()),
            category,
            unit_id: r.try_get("unit_id")?,
            unit_name: units
                .get(&r.try_get::<i64, _>("unit_id")?)
                .cloned()
                .unwrap_or_default(),
            needs: r.try_get("needs")?,
            people: r.try_get("people")?,
        });
    }
    out.sort_by(|a, b| {
        b.needs
            .cmp(&a.needs)
            .then(a.category.cmp(&b.category))
            .then(a.unit_id.cmp(&b.unit_id))
    });
    Ok(out)
}
