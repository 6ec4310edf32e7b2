//! The clock's part of the workflow: reminders before a deadline, a yellow card when it
//! passes, a red card when it stays passed (督办). Runs every few seconds on every node;
//! each change is a conditional UPDATE, so two nodes never record the same card twice.

use crate::calendar::{Calendar, day_start, local_date};
use crate::model::CaseState;
use crate::workflow::{self, RED_AFTER_DAYS};
use platform::AppState;
use serde_json::json;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub reminders: usize,
    pub yellow: usize,
    pub red: usize,
}

/// One pass over the cases whose unit clock is running.
pub async fn run_once(state: &AppState) -> anyhow::Result<Swept> {
    let now = state.now();
    let cal = Calendar::load(&state.db).await?;
    // Only cases within a day of their deadline or past it can change.
    let horizon = now + 24 * 3600 * 1000;
    let due = format!(
        "SELECT id, due_at, supervision, reminded FROM cases_cases \
         WHERE {} AND due_at IS NOT NULL AND due_at < $1",
        CaseState::sql_in("state", &CaseState::WITH_UNIT)
    );
    let rows: Vec<(i64, i64, String, i64)> = sqlx::query_as(&due)
        .bind(horizon)
        .fetch_all(&state.db.pool)
        .await?;
    let mut out = Swept::default();
    for (id, due, sup, reminded) in rows {
        // The reminder comes at the start of the deadline's day.
        let last_day = day_start(local_date(due));
        let red_at = cal.deadline(due, RED_AFTER_DAYS);
        let change = if now > red_at && sup != "red" {
            Some(("red", "red_card"))
        } else if now > due && sup == "none" {
            Some(("yellow", "yellow_card"))
        } else if now >= last_day && now <= due && reminded == 0 {
            Some(("", "reminder"))
        } else {
            None
        };
        let Some((card, kind)) = change else { continue };
        let notice = match crate::model::find(&state.db, id).await? {
            Some(case) => crate::notices::deadline(state, &case, kind).await?,
            None => None,
        };
        let mut tx = state.db.begin().await?;
        let changed = if card.is_empty() {
            sqlx::query("UPDATE cases_cases SET reminded = 1 WHERE id = $1 AND reminded = 0")
                .bind(id)
                .execute(&mut *tx)
                .await?
        } else {
            sqlx::query(&format!(
                "UPDATE cases_cases SET supervision = $1 WHERE id = $2 AND supervision = $3 AND {}",
                CaseState::sql_in("state", &CaseState::WITH_UNIT)
            ))
            .bind(card)
            .bind(id)
            .bind(&sup)
            .execute(&mut *tx)
            .await?
        };
        if changed.rows_affected() == 0 {
            continue;
        }
        let note = format!("办理期限：{}", platform::clock::format_ms(due));
        workflow::event(&mut tx, id, now, None, kind, &note, false).await?;
        if let Some(n) = notice {
            n.write(&mut tx, now).await?;
        }
        if card.is_empty() {
            out.reminders += 1;
        } else {
            workflow::decided(&mut tx, now, None, kind, id, json!({ "due_at": due })).await?;
            if card == "red" {
                out.red += 1;
            } else {
                out.yellow += 1;
            }
        }
        tx.commit().await?;
    }
    Ok(out)
}

/// Every minute (`GONGZHI_CASES_SWEEP_MS`), on one node of the cluster (ADR 041).
pub fn start(state: AppState) {
    let every = platform::cluster::interval_from_env("GONGZHI_CASES_SWEEP_MS", 60_000);
    platform::cluster::periodic(&state, every, true, |state| {
        Box::pin(async move {
            match run_once(state).await {
                Ok(s) if s != Swept::default() => tracing::info!(?s, "case deadlines swept"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "case sweep failed"),
            }
        })
    });
}
