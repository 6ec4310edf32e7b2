//! Figures for the centre: the three rates per handling unit and period, today's intake,
//! overdue cases by unit and a daily trend — all read with indexed range queries, so the
//! dashboard stays fast at a million cases (see BENCHMARKS.md).

use crate::authz;
use crate::calendar::{day_start, local_date};
use crate::model::CaseState;
use gov_core::{Bind, GovActor, Sql};
use platform::AppState;
use serde::Serialize;
use std::collections::HashMap;

const DAY_MS: i64 = 24 * 3600 * 1000;

#[derive(Clone, Debug, Default, Serialize)]
pub struct Rates {
    pub unit_id: Option<i64>,
    pub unit_name: String,
    pub dispatched: i64,
    pub responded_on_time: i64,
    pub closed: i64,
    pub visited: i64,
    pub satisfied: i64,
    /// Percentages with one decimal, `None` (shown as "—") below [`MIN_CASES_FOR_RATE`].
    pub response_rate: Option<f64>,
    pub resolution_rate: Option<f64>,
    pub satisfaction_rate: Option<f64>,
}

/// Below this many cases a rate says more about chance than about a unit: it shows "—".
pub const MIN_CASES_FOR_RATE: i64 = 5;

fn pct(n: i64, d: i64) -> Option<f64> {
    (d >= MIN_CASES_FOR_RATE).then(|| (n as f64 * 1000.0 / d as f64).round() / 10.0)
}

impl Rates {
    fn finish(mut self) -> Rates {
        self.response_rate = pct(self.responded_on_time, self.dispatched);
        self.resolution_rate = pct(self.closed, self.dispatched);
        self.satisfaction_rate = pct(self.satisfied, self.visited);
        self
    }

    fn add(&mut self, o: &Rates) {
        self.dispatched += o.dispatched;
        self.responded_on_time += o.responded_on_time;
        self.closed += o.closed;
        self.visited += o.visited;
        self.satisfied += o.satisfied;
    }
}

/// The rates of each handling unit over cases dispatched in `[from, to)`, and the total.
pub async fn rates(
    state: &AppState,
    actor: &GovActor,
    from: i64,
    to: i64,
) -> sqlx::Result<(Vec<Rates>, Rates)> {
    let sql = dispatched_between(actor, from, to);
    let q = format!(
        "SELECT +c.lead_unit_id AS unit_id, CAST(COUNT(*) AS BIGINT) AS dispatched, \
         CAST(SUM(CASE WHEN c.responded_at IS NOT NULL AND c.responded_at <= c.respond_by THEN 1 ELSE 0 END) AS BIGINT) AS responded_on_time, \
         CAST(SUM(CASE WHEN {} THEN 1 ELSE 0 END) AS BIGINT) AS closed, \
         CAST(SUM(CASE WHEN c.satisfaction <> '' THEN 1 ELSE 0 END) AS BIGINT) AS visited, \
         CAST(SUM(CASE WHEN c.satisfaction IN ('satisfied', 'basic') THEN 1 ELSE 0 END) AS BIGINT) AS satisfied \
         FROM cases_cases c WHERE {} GROUP BY 1",
        CaseState::Closed.sql_is("c.state"),
        sql.where_clause()
    );
    let rows = sql.query(&q).fetch_all(&state.db.pool).await?;
    use sqlx::Row;
    let mut per: Vec<Rates> = Vec::new();
    for r in &rows {
        per.push(Rates {
            unit_id: r.try_get("unit_id")?,
            dispatched: r.try_get("dispatched")?,
            responded_on_time: r.try_get("responded_on_time")?,
            closed: r.try_get("closed")?,
            visited: r.try_get("visited")?,
            satisfied: r.try_get("satisfied")?,
            ..Default::default()
        });
    }
    let names = unit_names(state, per.iter().filter_map(|r| r.unit_id)).await?;
    let mut total = Rates {
        unit_name: "合计".into(),
        ..Default::default()
    };
    for r in &mut per {
        total.add(r);
        r.unit_name = r
            .unit_id
            .and_then(|id| names.get(&id).cloned())
            .unwrap_or_default();
    }
    let mut per: Vec<Rates> = per.into_iter().map(Rates::finish).collect();
    per.sort_by(|a, b| {
        b.dispatched
            .cmp(&a.dispatched)
            .then(a.unit_name.cmp(&b.unit_name))
    });
    Ok((per, total.finish()))
}

/// Unit names by id, for rows that carry unit ids.
pub async fn unit_names(
    state: &AppState,
    ids: impl IntoIterator<Item = i64>,
) -> sqlx::Result<HashMap<i64, String>> {
    Ok(crate::model::units(&state.db, ids)
        .await?
        .into_iter()
        .map(|(id, u)| (id, u.name))
        .collect())
}

#[derive(Clone, Debug, Serialize)]
pub struct Overdue {
    pub unit_id: i64,
    pub unit_name: String,
    pub overdue: i64,
    pub yellow: i64,
    pub red: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Day {
    pub day: String,
    pub reported: i64,
    pub closed: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Dashboard {
    pub today_reported: i64,
    pub open_by_state: Vec<(String, i64)>,
    pub overdue_total: i64,
    pub overdue_by_unit: Vec<Overdue>,
    pub rates: Vec<Rates>,
    pub total: Rates,
    pub trend: Vec<Day>,
    pub period_days: i64,
}

async fn fetch(state: &AppState, sql: Sql, q: String) -> sqlx::Result<Vec<sqlx::any::AnyRow>> {
    sql.query(&q).fetch_all(&state.db.pool).await
}

/// Everything the centre dashboard shows, for the actor's scope.
pub async fn dashboard(state: &AppState, actor: &GovActor, days: i64) -> sqlx::Result<Dashboard> {
    use sqlx::Row;
    let now = state.now();
    let today = day_start(local_date(now));
    let first = today - (days - 1) * DAY_MS;
    let scoped = |extra: &str, binds: Vec<i64>| {
        let mut sql = Sql::default();
        for (i, b) in binds.into_iter().enumerate() {
            let p = sql.bind(Bind::Int(b));
            debug_assert_eq!(p, format!("${}", i + 1));
        }
        sql.push(extra.to_string());
        authz::stats_filter(actor, &mut sql);
        sql
    };

    // Every query is built first and then all run at once, each on its own connection.
    let sql = scoped("c.reported_at >= $1", vec![today]);
    let q_today = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM cases_cases c WHERE {}",
        sql.where_clause()
    );
    let today_q = fetch(state, sql, q_today);
    let sql = scoped(&CaseState::sql_in("c.state", &CaseState::OPEN), vec![]);
    let q_open = format!(
        "SELECT c.state, CAST(COUNT(*) AS BIGINT) AS n FROM cases_cases c WHERE {} GROUP BY c.state",
        sql.where_clause()
    );
    let open_q = fetch(state, sql, q_open);
    // `+c.lead_unit_id` keeps SQLite on the (state, due_at) index instead of walking
    // every case in lead-unit order to avoid a small sort.
    let sql = scoped(
        &format!(
            "{} AND c.due_at < $1",
            CaseState::sql_in("c.state", &CaseState::WITH_UNIT)
        ),
        vec![now],
    );
    let q_overdue = format!(
        "SELECT +c.lead_unit_id AS unit_id, CAST(COUNT(*) AS BIGINT) AS n, \
         CAST(SUM(CASE WHEN c.supervision = 'yellow' THEN 1 ELSE 0 END) AS BIGINT) AS yellow, \
         CAST(SUM(CASE WHEN c.supervision = 'red' THEN 1 ELSE 0 END) AS BIGINT) AS red \
         FROM cases_cases c WHERE {} GROUP BY 1",
        sql.where_clause()
    );
    let overdue_q = fetch(state, sql, q_overdue);
    // Daily buckets: whole days since `first`, computed in SQL on the indexed column.
    let day_query = |col: &str, extra: &str| {
        let sql = scoped(
            &format!("c.{col} >= $1 AND c.{col} < $2{extra}"),
            vec![first, today + DAY_MS],
        );
        let q = format!(
            "SELECT CAST((c.{col} - {first}) / {DAY_MS} AS BIGINT) AS d, CAST(COUNT(*) AS BIGINT) AS n \
             FROM cases_cases c WHERE {} GROUP BY d",
            sql.where_clause()
        );
        fetch(state, sql, q)
    };
    let reported_q = day_query("reported_at", "");
    let closed_q = day_query(
        "closed_at",
        &format!(" AND {}", CaseState::Closed.sql_is("c.state")),
    );
    let (today_rows, open_rows, overdue_rows, reported_rows, closed_rows, (rates, total)) = tokio::try_join!(
        today_q,
        open_q,
        overdue_q,
        reported_q,
        closed_q,
        rates(state, actor, first, today + DAY_MS)
    )?;
    let today_reported: i64 = match today_rows.first() {
        Some(r) => r.try_get("n")?,
        None => 0,
    };
    let mut open_by_state: Vec<(String, i64)> = Vec::new();
    for r in &open_rows {
        open_by_state.push((r.try_get("state")?, r.try_get("n")?));
    }
    let mut overdue: Vec<(i64, i64, i64, i64)> = Vec::new();
    for r in &overdue_rows {
        overdue.push((
            r.try_get::<Option<i64>, _>("unit_id")?.unwrap_or(0),
            r.try_get("n")?,
            r.try_get("yellow")?,
            r.try_get("red")?,
        ));
    }
    let names = unit_names(state, overdue.iter().map(|o| o.0)).await?;
    let mut overdue_by_unit: Vec<Overdue> = overdue
        .into_iter()
        .map(|(unit_id, n, y, r)| Overdue {
            unit_id,
            unit_name: names.get(&unit_id).cloned().unwrap_or_default(),
            overdue: n,
            yellow: y,
            red: r,
        })
        .collect();
    overdue_by_unit.sort_by(|a, b| {
        b.overdue
            .cmp(&a.overdue)
            .then(a.unit_name.cmp(&b.unit_name))
    });
    let overdue_total = overdue_by_unit.iter().map(|o| o.overdue).sum();

    let mut trend: Vec<Day> = (0..days)
        .map(|i| Day {
            day: local_date(first + i * DAY_MS).format("%m-%d").to_string(),
            reported: 0,
            closed: 0,
        })
        .collect();
    for (rows, closed) in [(&reported_rows, false), (&closed_rows, true)] {
        for r in rows.iter() {
            let (d, n): (i64, i64) = (r.try_get("d")?, r.try_get("n")?);
            if let Some(slot) = trend.get_mut(d as usize) {
                if closed {
                    slot.closed = n;
                } else {
                    slot.reported = n;
                }
            }
        }
    }
    Ok(Dashboard {
        today_reported,
        open_by_state,
        overdue_total,
        overdue_by_unit,
        rates,
        total,
        trend,
        period_days: days,
    })
}

/// Case figures of one area for the map: cases overdue now and the on-time response rate
/// over the dashboard's period — each what [`dashboard`] reports for a viewer narrowed to
/// that area.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct AreaCases {
    pub overdue: i64,
    pub response_rate: Option<f64>,
}

/// [`AreaCases`] for each of `areas`, in order. The areas of a map are siblings, so each
/// case is assigned to the child of their parent it lies in by its place, its lead unit and
/// its co-handling units (a case counts once in each area it concerns, as a viewer narrowed
/// to that area would count it): two grouped reads per parent, however many areas — where a
/// dashboard per area read the district's cases once per area.
pub async fn by_area(
    state: &AppState,
    areas: &[gov_core::UnitPath],
    days: i64,
) -> sqlx::Result<Vec<AreaCases>> {
    let now = state.now();
    let today = day_start(local_date(now));
    let first = today - (days - 1) * DAY_MS;
    let mut overdue: HashMap<String, (i64, i64)> = HashMap::new();
    let mut rates: HashMap<String, (i64, i64)> = HashMap::new();
    let mut parents: Vec<&str> = areas.iter().map(|a| parent_prefix(a.as_str())).collect();
    parents.sort_unstable();
    parents.dedup();
    for parent in parents {
        let mut sql = Sql::default();
        let at = sql.bind(Bind::Int(now));
        let due = format!(
            "{} AND c.due_at < {at}",
            CaseState::sql_in("c.state", &CaseState::WITH_UNIT)
        );
        overdue.extend(per_child(state, sql, &due, "0", parent).await?);
        let mut sql = Sql::default();
        let (a, b) = (
            sql.bind(Bind::Int(first)),
            sql.bind(Bind::Int(today + DAY_MS)),
        );
        let period = format!(
            "c.dispatched_at >= {a} AND c.dispatched_at < {b} AND c.lead_unit_id IS NOT NULL"
        );
        let on_time = "CASE WHEN c.responded_at IS NOT NULL AND c.responded_at <= c.respond_by THEN 1 ELSE 0 END";
        rates.extend(per_child(state, sql, &period, on_time, parent).await?);
    }
    Ok(areas
        .iter()
        .map(|a| {
            let (dispatched, on_time) = rates.get(a.as_str()).copied().unwrap_or_default();
            AreaCases {
                overdue: overdue.get(a.as_str()).map_or(0, |o| o.0),
                response_rate: pct(on_time, dispatched),
            }
        })
        .collect())
}

/// `/1/4/17/` → `/1/4/`; a district's `/1/` → `/`.
fn parent_prefix(path: &str) -> &str {
    let inner = &path[..path.len().saturating_sub(1)];
    inner.rfind('/').map_or("/", |i| &path[..=i])
}

/// For the cases matching `cond`, per child path of `parent`: how many, and the sum of
/// `flag` over them. The three arms find a case's children by place, lead and co-handling;
/// `UNION` keeps one row per (case, child), so a case led and filed in the same child
/// counts once there.
async fn per_child(
    state: &AppState,
    mut sql: Sql,
    cond: &str,
    flag: &str,
    parent: &str,
) -> sqlx::Result<HashMap<String, (i64, i64)>> {
    use sqlx::Row;
    let p = sql.bind(Bind::Text(parent.to_string()));
    let len = parent.len();
    let backend = state.db.backend;
    let child = |col: &str| {
        let slash = backend.position(&format!("substr({col}, {len} + 1)"), "'/'");
        format!("substr({col}, 1, {len} + {slash})")
    };
    let arm = |col: &str, from: &str| {
        format!(
            "SELECT c.id AS id, {} AS child, {flag} AS f FROM {from} WHERE {cond} AND substr({col}, 1, {len}) = {p}",
            child(col)
        )
    };
    let q = format!(
        "SELECT a.child AS child, CAST(COUNT(*) AS BIGINT) AS n, CAST(SUM(a.f) AS BIGINT) AS f FROM ({} UNION {} UNION {}) a GROUP BY a.child",
        arm("c.place_path", "cases_cases c"),
        arm("c.lead_path", "cases_cases c"),
        arm(
            "k.unit_path",
            "cases_cases c JOIN cases_co_units k ON k.case_id = c.id"
        ),
    );
    let mut out = HashMap::new();
    for r in sql.query(&q).fetch_all(&state.db.pool).await? {
        out.insert(
            r.try_get("child")?,
            (
                r.try_get("n")?,
                r.try_get::<Option<i64>, _>("f")?.unwrap_or(0),
            ),
        );
    }
    Ok(out)
}

/// The cases dispatched to a lead unit within [from, to), in what `actor`'s statistics
/// cover: the rows every rate is counted over.
pub(crate) fn dispatched_between(actor: &GovActor, from: i64, to: i64) -> Sql {
    let mut sql = Sql::default();
    let a = sql.bind(Bind::Int(from));
    let b = sql.bind(Bind::Int(to));
    sql.push(format!("c.dispatched_at >= {a} AND c.dispatched_at < {b}"));
    sql.push("c.lead_unit_id IS NOT NULL".into());
    authz::stats_filter(actor, &mut sql);
    sql
}

#[cfg(test)]
mod tests {
    use super::parent_prefix;

    #[test]
    fn an_areas_parent_is_its_path_less_the_last_id() {
        assert_eq!(parent_prefix("/1/4/17/"), "/1/4/");
        assert_eq!(parent_prefix("/1/4/"), "/1/");
        assert_eq!(parent_prefix("/1/"), "/");
    }
}
