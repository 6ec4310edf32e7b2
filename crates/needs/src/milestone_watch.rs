//! Milestone reminders and overdue marks (issue 14, ADR 033), like the cases sweep: a
//! milestone still scheduled reminds the contractor's staff `milestone_remind_days` (7 by
//! default) before its date, once; a milestone not met by the end of its date is marked
//! overdue, once, and the call's unit workers are told — the mark shows on their workbench
//! until the milestone is met. Dates are calendar days (UTC) of the injected clock; the
//! conditional UPDATEs make one node act when several run the sweep.

use platform::AppState;
use platform::notify;
use sqlx::{FromRow, Row};

/// Days before its date that a milestone reminds the contractor.
pub async fn remind_days(state: &AppState) -> sqlx::Result<i64> {
    let row = sqlx::query("SELECT value FROM needs_settings WHERE key = 'milestone_remind_days'")
        .fetch_optional(&state.db.pool)
        .await?;
    Ok(match row {
        Some(r) => r.try_get("value")?,
        None => 7,
    })
}

fn day(ms: i64) -> chrono::NaiveDate {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .date_naive()
}

fn iso(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

#[derive(FromRow)]
struct Due {
    id: i64,
    title: String,
    due_on: String,
    contract: String,
    org_id: i64,
    call_id: i64,
    unit_id: i64,
}

async fn due(state: &AppState, clause: &str, days: &[String]) -> sqlx::Result<Vec<Due>> {
    let sql = format!(
        "SELECT m.id, m.title, m.due_on, k.title AS contract, k.org_id, k.call_id, c.unit_id \
         FROM needs_milestones m JOIN needs_contracts k ON k.id = m.contract_id \
         JOIN needs_calls c ON c.id = k.call_id WHERE {clause} ORDER BY m.id"
    );
    let mut q = sqlx::query_as(&sql);
    for d in days {
        q = q.bind(d.as_str());
    }
    q.fetch_all(&state.db.pool).await
}

/// Sets `column` to now where it is still 0; whether this call did it.
async fn mark(tx: &mut platform::db::Tx, column: &str, id: i64, now: i64) -> sqlx::Result<bool> {
    let sql = format!("UPDATE needs_milestones SET {column} = $1 WHERE id = $2 AND {column} = 0");
    let done = sqlx::query(&sql)
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

impl Due {
    /// (中文, English) about this milestone: its contract and title, then `zh` / `en`.
    fn words(&self, zh: &str, en: &str) -> (String, String) {
        (
            format!("合同“{}”的里程碑“{}”{zh}", self.contract, self.title),
            format!("Milestone \"{}\" of \"{}\" {en}", self.title, self.contract),
        )
    }
}

/// Marks the milestone's `column` and tells `users` (a `kind` notification linking to the
/// call), in `tx`; false when it was marked already (another node's pass).
async fn tell(
    tx: &mut platform::db::Tx,
    m: &Due,
    column: &str,
    users: &[i64],
    kind: &str,
    (zh, en): (String, String),
    now: i64,
) -> sqlx::Result<bool> {
    if !mark(tx, column, m.id, now).await? {
        return Ok(false);
    }
    let link = format!("/needs/projects/{}", m.call_id);
    notify::notify_all(tx, users, kind, &zh, &en, &link, now).await?;
    Ok(true)
}

/// One pass: (reminders sent, milestones marked overdue).
pub async fn run_once(state: &AppState) -> anyhow::Result<(usize, usize)> {
    let now = state.now();
    let today = day(now);
    let horizon = today + chrono::Days::new(remind_days(state).await?.max(0) as u64);
    let (mut reminded, mut overdue) = (0, 0);
    let soon = due(
        state,
        "m.status = 'scheduled' AND m.reminded_at = 0 AND m.due_on >= $1 AND m.due_on <= $2",
        &[iso(today), iso(horizon)],
    )
    .await?;
    for m in soon {
        let mut users: Vec<i64> = governance::reads::org_staff(&state.db, m.org_id)
            .await?
            .into_iter()
            .map(|s| s.user_id)
            .collect();
        users.sort();
        let mut tx = state.db.begin().await?;
        let words = m.words(
            &format!("将于 {} 到期，请按时完成并提交证明材料", m.due_on),
            &format!("is due on {}: report it with its evidence", m.due_on),
        );
        if !tell(
            &mut tx,
            &m,
            "reminded_at",
            &users,
            "needs.milestone_due",
            words,
            now,
        )
        .await?
        {
            continue;
        }
        tx.commit().await?;
        reminded += 1;
    }
    let late = due(
        state,
        "m.status <> 'met' AND m.overdue_at = 0 AND m.due_on < $1",
        &[iso(today)],
    )
    .await?;
    for m in late {
        let office = gov_core::unit_staff(
            &state.db,
            gov_core::UnitId(m.unit_id),
            gov_core::MemberRole::Worker,
        )
        .await?;
        let mut change = platform::audit::Change::begin(&state.db, now, None).await?;
        let words = m.words(
            &format!("已于 {} 到期仍未达成", m.due_on),
            &format!("was due on {} and is not met", m.due_on),
        );
        if !tell(
            &mut change.tx,
            &m,
            "overdue_at",
            &office,
            "needs.milestone_overdue",
            words,
            now,
        )
        .await?
        {
            continue;
        }
        change
            .done(
                "needs.milestone.overdue",
                format!("needs_milestone:{}", m.id),
                serde_json::json!({ "due_on": m.due_on }),
            )
            .await?;
        overdue += 1;
    }
    Ok((reminded, overdue))
}
