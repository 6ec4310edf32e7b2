//! Stalled referrals: a live referral that has not moved for the operator-set time
//! (`stall_hours`, 72 by default) reminds both sides once per stall. Runs every minute on
//! every node with the injected clock; the conditional UPDATE makes one node send it. The
//! same loop runs the milestone sweep (`milestone_watch`).

use crate::matching::LIVE;
use crate::model;
use crate::referral;
use platform::AppState;
use platform::notify;
use sqlx::Row;

/// The stall time in hours.
pub async fn stall_hours(state: &AppState) -> sqlx::Result<i64> {
    let row = sqlx::query("SELECT value FROM needs_settings WHERE key = 'stall_hours'")
        .fetch_optional(&state.db.pool)
        .await?;
    Ok(match row {
        Some(r) => r.try_get("value")?,
        None => 72,
    })
}

/// One pass; how many referrals reminded.
pub async fn run_once(state: &AppState) -> anyhow::Result<usize> {
    let now = state.now();
    let cutoff = now - stall_hours(state).await? * 3_600_000;
    let sql = format!(
        "SELECT id FROM needs_referrals WHERE state IN {LIVE} AND changed_at < $1 AND reminded_at < changed_at ORDER BY id"
    );
    let ids: Vec<i64> = sqlx::query(&sql)
        .bind(cutoff)
        .fetch_all(&state.db.pool)
        .await?
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<Result<_, _>>()?;
    let mut sent = 0;
    for id in ids {
        let Some(r) = model::find_referral(&state.db, id).await? else {
            continue;
        };
        let Some(need) = model::find_need(&state.db, r.need_id).await? else {
            continue;
        };
        let mut users = referral::provider_staff(&state.db, &r).await?;
        let mut tx = state.db.begin().await?;
        let changed = sqlx::query("UPDATE needs_referrals SET reminded_at = $1 WHERE id = $2 AND reminded_at < changed_at")
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if changed.rows_affected() == 0 {
            continue;
        }
        users.push(r.referrer_id);
        let days = (now - r.changed_at) / 86_400_000;
        let zh = format!(
            "转介“{}”已 {days} 天没有进展（{}）",
            need.title,
            referral::state_label(&r.state, platform::web::Lang::Zh)
        );
        let en = format!(
            "Referral \"{}\" has not moved for {days} days ({})",
            need.title,
            referral::state_label(&r.state, platform::web::Lang::En)
        );
        notify::notify_all(
            &mut tx,
            &users,
            "needs.stalled",
            &zh,
            &en,
            &format!("/referrals/{id}"),
            now,
        )
        .await?;
        referral::record(&mut tx, now, None, id, "remind", &r.state, &r.state, "").await?;
        tx.commit().await?;
        sent += 1;
    }
    Ok(sent)
}

/// Every minute (`GONGZHI_NEEDS_SWEEP_MS`), on one node of the cluster (ADR 041).
pub fn start(state: AppState) {
    let every = platform::cluster::interval_from_env("GONGZHI_NEEDS_SWEEP_MS", 60_000);
    platform::cluster::periodic(&state, every, true, |state| {
        Box::pin(async move {
            match run_once(state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(reminded = n, "stalled referrals reminded"),
                Err(e) => tracing::warn!(error = %e, "needs sweep failed"),
            }
            match crate::milestone_watch::run_once(state).await {
                Ok((0, 0)) => {}
                Ok((r, o)) => tracing::info!(reminded = r, overdue = o, "milestones swept"),
                Err(e) => tracing::warn!(error = %e, "milestone sweep failed"),
            }
        })
    });
}
