//! Statistics by handling unit and by sector for a year: filed, replied, replied on time,
//! A/B/C, the proposers' ratings of the result, second handlings, B-class promises kept.

use cases::calendar::{day_start, parse_day};
use platform::db::Db;
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::FromRow;

const MEASURES: &str = "COUNT(*) AS total, \
    COUNT(CASE WHEN p.filed_at IS NOT NULL THEN 1 END) AS filed, \
    COUNT(CASE WHEN p.replied_at IS NOT NULL THEN 1 END) AS replied, \
    COUNT(CASE WHEN p.replied_at IS NOT NULL AND p.replied_at <= p.reply_due THEN 1 END) AS on_time, \
    COUNT(CASE WHEN p.replied_at IS NOT NULL AND p.reply_class = 'A' THEN 1 END) AS class_a, \
    COUNT(CASE WHEN p.replied_at IS NOT NULL AND p.reply_class = 'B' THEN 1 END) AS class_b, \
    COUNT(CASE WHEN p.replied_at IS NOT NULL AND p.reply_class = 'C' THEN 1 END) AS class_c, \
    COUNT(CASE WHEN p.rating_result = 'satisfied' THEN 1 END) AS satisfied, \
    COUNT(CASE WHEN p.rating_result = 'basic' THEN 1 END) AS basic, \
    COUNT(CASE WHEN p.rating_result = 'unsatisfied' THEN 1 END) AS unsatisfied, \
    COUNT(CASE WHEN p.round = 2 THEN 1 END) AS second_handlings, \
    COUNT(CASE WHEN p.followup = 'delivered' THEN 1 END) AS b_delivered";

/// One group's line: its name and the [`MEASURES`], read by their names.
#[derive(Serialize, FromRow)]
struct Line {
    name: String,
    total: i64,
    filed: i64,
    replied: i64,
    on_time: i64,
    class_a: i64,
    class_b: i64,
    class_c: i64,
    satisfied: i64,
    basic: i64,
    unsatisfied: i64,
    second_handlings: i64,
    b_delivered: i64,
}

async fn grouped(db: &Db, key: &str, district: i64, from: i64, to: i64) -> sqlx::Result<Vec<Line>> {
    let sql = format!(
        "SELECT {key} AS name, {MEASURES} FROM consult_proposals p \
         LEFT JOIN governance_units l ON l.id = p.lead_unit_id \
         WHERE p.district_id = $1 AND p.created_at >= $2 AND p.created_at < $3 \
         GROUP BY {key} ORDER BY {key}"
    );
    sqlx::query_as(&sql)
        .bind(district)
        .bind(from)
        .bind(to)
        .fetch_all(&db.pool)
        .await
}

/// The statistics of a district for `year` (all years when absent).
pub async fn compute(db: &Db, district: i64, year: Option<i32>) -> sqlx::Result<Value> {
    let (from, to) = year
        .and_then(|y| {
            Some((
                day_start(parse_day(&format!("{y}-01-01"))?),
                day_start(parse_day(&format!("{}-01-01", y + 1))?),
            ))
        })
        .unwrap_or((i64::MIN, i64::MAX));
    Ok(json!({
        "district_id": district,
        "year": year,
        "by_unit": grouped(db, "COALESCE(l.name, '')", district, from, to).await?,
        "by_sector": grouped(db, "p.sector", district, from, to).await?,
    }))
}
