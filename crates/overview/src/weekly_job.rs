//! The Monday weekly report (周报, issue 16): every week a PDF report is made for the
//! district and each street and kept (the row here, the file in the platform's storage),
//! listed at /overview/reports for those whose scope covers the unit. `run_weekly` makes
//! the reports of the week containing `now` that are missing: run again in the same week
//! (a restart, a second node, a periodic check) it adds none — the unique (unit, week)
//! row decides. A periodic task calls it, so a report is made on Monday, or on the first
//! check after a server was down on Monday.

use crate::figures;
use crate::weekly;
use chrono::{Datelike, Duration as Days, NaiveDate};
use gov_core::{GovActor, Grant, ScopeFilter, Unit, UnitKind, UnitPath, list_units};
use platform::AppState;
use platform::auth::{Role, User};
use platform::web::{AppError, AppResult};
use sqlx::Row;

/// The Monday of the week `ms` falls in (in the district's zone).
pub fn week_of(ms: i64) -> NaiveDate {
    let day = cases::calendar::local_date(ms);
    day - Days::days(i64::from(day.weekday().num_days_from_monday()))
}

/// Who a report is computed as: a viewer of the unit only, with no account behind it, so
/// every module's figures cover exactly the unit's subtree.
fn reporter(unit: &Unit) -> GovActor {
    let user = User {
        id: 0,
        username: "weekly-report".into(),
        display_name: "周报".into(),
        role: Role::Member,
    };
    GovActor::offline(Some(user), vec![Grant::viewer_of(unit)])
}

/// The PDF of `unit`'s report as of `now`.
async fn make(state: &AppState, unit: &Unit, now: i64) -> AppResult<Vec<u8>> {
    let o = figures::compute(state, &reporter(unit), Some(unit)).await?;
    let today = cases::calendar::local_date(now).to_string();
    let generated = format!("生成于 {}", platform::clock::format_ms(now));
    let r = weekly::Report::of(&o, true, weekly::period(&today, true), generated);
    weekly::pdf(&r)
        .ok_or_else(|| {
            AppError::Unavailable(
                platform::bi!(
                    "服务器未安装中文字体（fonts-noto-cjk），无法生成 PDF 周报。",
                    "No Chinese font (fonts-noto-cjk) is installed, so no PDF report can be made."
                )
                .into(),
            )
        })?
        .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))
}

/// Makes the missing reports of the week containing `now` for the district(s) and every
/// street; returns how many it added.
pub async fn run_weekly(state: &AppState, now: i64) -> AppResult<usize> {
    let week = week_of(now).to_string();
    let rows = sqlx::query("SELECT unit_id FROM overview_reports WHERE week_of = $1")
        .bind(&week)
        .fetch_all(&state.db.pool)
        .await?;
    let done: Vec<i64> = rows
        .iter()
        .map(|r| r.try_get("unit_id"))
        .collect::<Result<_, _>>()?;
    let units = list_units(&state.db, &ScopeFilter(None)).await?;
    let mut added = 0;
    for u in units
        .iter()
        .filter(|u| matches!(u.kind, UnitKind::District | UnitKind::Street))
        .filter(|u| !done.contains(&u.id.0))
    {
        let pdf = make(state, u, now).await?;
        let key = format!("overview/weekly/{week}/{}.pdf", u.id.0);
        let size = pdf.len() as i64;
        state
            .storage
            .put(&key, pdf.into())
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        // Another run may have stored the same week meanwhile: its row stands, the file
        // under the same key is the same report.
        let n = sqlx::query(
            "INSERT INTO overview_reports (unit_id, unit_path, unit_name, week_of, storage_key, \
             size_bytes, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (unit_id, week_of) DO NOTHING",
        )
        .bind(u.id.0)
        .bind(u.path.as_str())
        .bind(&u.name)
        .bind(&week)
        .bind(&key)
        .bind(size)
        .bind(now)
        .execute(&state.db.pool)
        .await?
        .rows_affected();
        added += n as usize;
    }
    Ok(added)
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Stored {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub week_of: String,
    pub size_bytes: i64,
    pub created_ms: i64,
    #[serde(skip)]
    pub unit_path: UnitPath,
    #[serde(skip)]
    pub storage_key: String,
}

fn stored(r: &sqlx::any::AnyRow) -> sqlx::Result<Stored> {
    let path: String = r.try_get("unit_path")?;
    Ok(Stored {
        id: r.try_get("id")?,
        unit_id: r.try_get("unit_id")?,
        unit_name: r.try_get("unit_name")?,
        week_of: r.try_get("week_of")?,
        size_bytes: r.try_get("size_bytes")?,
        created_ms: r.try_get("created_ms")?,
        unit_path: UnitPath::parse(&path)
            .ok_or_else(|| sqlx::Error::Decode("overview: bad unit_path".into()))?,
        storage_key: r.try_get("storage_key")?,
    })
}

const STORED: &str = "SELECT id, unit_id, unit_path, unit_name, week_of, storage_key, \
     size_bytes, created_ms FROM overview_reports";

/// Whether the viewer's scope covers the report's unit.
pub fn may_see(actor: &GovActor, r: &Stored) -> bool {
    actor.is_platform_admin() || actor.role_on(&r.unit_path).is_some()
}

/// The stored reports the viewer may open, newest week first (at most `limit`).
pub async fn list(state: &AppState, actor: &GovActor, limit: i64) -> AppResult<Vec<Stored>> {
    let q = format!(
        "{STORED} ORDER BY week_of DESC, unit_path LIMIT {}",
        limit.clamp(1, 1000)
    );
    let rows = sqlx::query(&q).fetch_all(&state.db.pool).await?;
    let mut out = Vec::new();
    for r in &rows {
        let s = stored(r)?;
        if may_see(actor, &s) {
            out.push(s);
        }
    }
    Ok(out)
}

/// One stored report and its PDF, if the viewer may open it (404 otherwise).
pub async fn open(state: &AppState, actor: &GovActor, id: i64) -> AppResult<(Stored, Vec<u8>)> {
    let q = format!("{STORED} WHERE id = $1");
    let row = sqlx::query(&q)
        .bind(id)
        .fetch_optional(&state.db.pool)
        .await?;
    let s = row
        .as_ref()
        .map(stored)
        .transpose()?
        .filter(|s| may_see(actor, s))
        .ok_or(AppError::NotFound)?;
    let bytes = state
        .storage
        .get(&s.storage_key)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok((s, bytes.to_vec()))
}

/// The periodic task: at start-up (unless `now` is false) and then every hour
/// (`GONGZHI_WEEKLY_CHECK_MS`), the week's missing reports, on one node of the cluster.
pub fn start(state: AppState, now: bool) {
    let every = platform::cluster::interval_from_env("GONGZHI_WEEKLY_CHECK_MS", 3_600_000);
    platform::cluster::periodic(&state, every, now, |state| {
        Box::pin(async move {
            match run_weekly(state, state.now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(n, "weekly reports made"),
                Err(e) => tracing::warn!(error = %e, "weekly reports failed"),
            }
        })
    });
}

#[cfg(test)]
mod tests {
    use super::week_of;

    fn at(raw: &str) -> i64 {
        platform::clock::parse_instant(raw).unwrap()
    }

    #[test]
    fn a_week_is_named_by_its_monday_in_the_districts_zone() {
        // Monday 2026-11-30 from its first minute to the Sunday's last, in UTC+8.
        for t in [
            "2026-11-30T00:01:00+08:00",
            "2026-12-02T12:00:00+08:00",
            "2026-12-06T23:59:00+08:00",
        ] {
            assert_eq!(week_of(at(t)).to_string(), "2026-11-30", "{t}");
        }
        // Sunday evening in UTC is already Monday in the district.
        assert_eq!(
            week_of(at("2026-12-06T17:00:00+00:00")).to_string(),
            "2026-12-07"
        );
    }
}
