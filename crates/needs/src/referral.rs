//! Closed-loop referrals (a referral as a task, after the Gravity Project / FHIR SDOH
//! model): `requested → accepted | rejected → in_progress ⇄ on_hold → completed |
//! cancelled | failed`. The table below says which side takes each step; the outcome and
//! the resident's feedback go back to the referrer as notifications.

use crate::error::{NeedError, NeedResult};
use crate::model::{Need, Referral};
use gov_core::{MemberRole, UnitPath};
use platform::db::{Db, Tx};
use platform::notify;
use platform::web::{Code, Lang};
use serde_json::json;

/// Who takes a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Staff of the organisation (or unit) offering the service.
    Provider,
    /// The one who referred, or workers of the need's unit.
    Referrer,
    /// The referrer or the resident who raised the need.
    Feedback,
}

/// Every step: (action, states it may start from, state it leads to, side).
/// `feedback` keeps the state: it records the resident's word on an ended referral.
pub const STEPS: &[(&str, &[&str], &str, Side)] = &[
    ("accept", &["requested"], "accepted", Side::Provider),
    ("reject", &["requested"], "rejected", Side::Provider),
    ("start", &["accepted"], "in_progress", Side::Provider),
    ("hold", &["in_progress"], "on_hold", Side::Provider),
    ("resume", &["on_hold"], "in_progress", Side::Provider),
    (
        "complete",
        &["accepted", "in_progress"],
        "completed",
        Side::Provider,
    ),
    (
        "fail",
        &["accepted", "in_progress", "on_hold"],
        "failed",
        Side::Provider,
    ),
    (
        "cancel",
        &["requested", "accepted", "in_progress", "on_hold"],
        "cancelled",
        Side::Referrer,
    ),
    ("feedback", &["completed", "failed"], "", Side::Feedback),
];

pub const STATES: [&str; 8] = [
    "requested",
    "accepted",
    "rejected",
    "in_progress",
    "on_hold",
    "completed",
    "cancelled",
    "failed",
];

/// Reasons a provider may give for rejecting, besides free text.
pub const AT_CAPACITY: &str = "at_capacity";

pub fn state_label(s: &str, lang: Lang) -> &'static str {
    match s {
        "requested" => lang.pick("待接收", "Requested"),
        "accepted" => lang.pick("已接收", "Accepted"),
        "rejected" => lang.pick("已拒绝", "Rejected"),
        "in_progress" => lang.pick("服务中", "In progress"),
        "on_hold" => lang.pick("暂停", "On hold"),
        "completed" => lang.pick("已完成", "Completed"),
        "cancelled" => lang.pick("已撤回", "Cancelled"),
        _ => lang.pick("未成功", "Failed"),
    }
}

pub fn action_label(a: &str, lang: Lang) -> &'static str {
    match a {
        "accept" => lang.pick("接收", "Accept"),
        "reject" => lang.pick("拒绝", "Reject"),
        "start" => lang.pick("开始服务", "Start"),
        "hold" => lang.pick("暂停", "Hold"),
        "resume" => lang.pick("恢复", "Resume"),
        "complete" => lang.pick("服务完成", "Complete"),
        "fail" => lang.pick("未能完成", "Failed"),
        "cancel" => lang.pick("撤回转介", "Cancel"),
        "feedback" => lang.pick("反馈", "Feedback"),
        "create" => lang.pick("发起转介", "Referred"),
        "remind" => lang.pick("停滞提醒", "Stall reminder"),
        _ => lang.pick("操作", "Step"),
    }
}

pub fn is_live(state: &str) -> bool {
    matches!(state, "requested" | "accepted" | "in_progress" | "on_hold")
}

/// The step `action` from `state`: (next state, side), or why not.
pub fn step(state: &str, action: &str) -> NeedResult<(&'static str, Side)> {
    let Some((_, from, to, side)) = STEPS.iter().find(|(a, ..)| *a == action) else {
        return Err(NeedError::field(platform::bi!(
            "未知的操作：可用 accept、reject、start、hold、resume、complete、fail、cancel、feedback。",
            "unknown action: use accept, reject, start, hold, resume, complete, fail, cancel or feedback"
        )));
    };
    if !from.contains(&state) {
        return Err(NeedError::of(Code::ReferralState));
    }
    Ok((
        if to.is_empty() {
            STATES
                .iter()
                .find(|s| **s == state)
                .copied()
                .unwrap_or("requested")
        } else {
            to
        },
        *side,
    ))
}

/// Records a step in the referral's history and the audit log.
#[allow(clippy::too_many_arguments)]
pub async fn record(
    tx: &mut Tx,
    now: i64,
    actor: Option<i64>,
    referral: i64,
    action: &str,
    from: &str,
    to: &str,
    note: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO needs_referral_events (referral_id, at, actor_id, action, from_state, to_state, note) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(referral)
    .bind(now)
    .bind(actor)
    .bind(action)
    .bind(from)
    .bind(to)
    .bind(note)
    .execute(&mut **tx)
    .await?;
    platform::audit::record(
        tx,
        now,
        actor,
        &format!("needs.referral.{action}"),
        &format!("needs_referral:{referral}"),
        json!({ "from": from, "to": to, "note": note }),
    )
    .await?;
    Ok(())
}

/// Sets the need's state from its referrals after one of them changed: met once one is
/// completed, referred while one is live, otherwise unmet.
pub async fn settle_need(tx: &mut Tx, need: i64, now: i64) -> sqlx::Result<()> {
    let states: Vec<(String,)> =
        sqlx::query_as("SELECT state FROM needs_referrals WHERE need_id = $1")
            .bind(need)
            .fetch_all(&mut **tx)
            .await?;
    let state = if states.iter().any(|(s,)| s == "completed") {
        "met"
    } else if states.iter().any(|(s,)| is_live(s)) {
        "referred"
    } else {
        "unmet"
    };
    sqlx::query("UPDATE needs_needs SET state = $1, updated_at = $2 WHERE id = $3")
        .bind(state)
        .bind(now)
        .bind(need)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The accounts on the providing side of a referral: the organisation's staff, or the
/// workers of the unit offering the service.
pub async fn provider_staff(db: &Db, r: &Referral) -> sqlx::Result<Vec<i64>> {
    let mut users: Vec<i64> = match r.organization_id {
        Some(org) => governance::reads::org_staff(db, org)
            .await?
            .into_iter()
            .map(|s| s.user_id)
            .collect(),
        None => match UnitPath::parse(&r.service_unit_path).and_then(|p| p.ids().last().copied()) {
            Some(unit) => gov_core::unit_staff(db, unit, MemberRole::Worker).await?,
            None => Vec::new(),
        },
    };
    users.sort();
    Ok(users)
}

/// Tells the other side what happened: providers hear of new referrals and cancellations,
/// the referrer (and the resident who raised the need) of every provider step and of the
/// outcome, the referrer of the resident's feedback.
pub async fn tell(
    db: &Db,
    tx: &mut Tx,
    now: i64,
    r: &Referral,
    need: &Need,
    action: &str,
    to: &str,
) -> sqlx::Result<()> {
    let link = format!("/referrals/{}", r.id);
    let (zh_state, en_state) = (state_label(to, Lang::Zh), state_label(to, Lang::En));
    let title = &need.title;
    match action {
        "create" | "cancel" => {
            let users = provider_staff(db, r).await?;
            let (zh, en) = if action == "create" {
                (
                    format!("新的转介：{title}"),
                    format!("New referral: {title}"),
                )
            } else {
                (
                    format!("转介已撤回：{title}"),
                    format!("Referral cancelled: {title}"),
                )
            };
            notify::notify_all(tx, &users, "needs.referral", &zh, &en, &link, now).await
        }
        "feedback" => {
            let zh = format!("居民对“{title}”的服务结果作了反馈");
            let en = format!("Feedback on the outcome of \"{title}\"");
            notify::notify(tx, r.referrer_id, "needs.feedback", &zh, &en, &link, now).await
        }
        _ => {
            let zh = format!("转介“{title}”：{}（{}）", zh_state, r.service_name);
            let en = format!("Referral \"{title}\": {} ({})", en_state, r.service_name);
            notify::notify_all(
                tx,
                &[r.referrer_id, need.raised_by],
                "needs.referral",
                &zh,
                &en,
                &link,
                now,
            )
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_starts_and_ends_in_known_states() {
        for (action, from, to, _) in STEPS {
            assert!(from.iter().all(|s| STATES.contains(s)), "{action}");
            assert!(to.is_empty() || STATES.contains(to), "{action}");
        }
        // Ended referrals take feedback only; the provider's steps are the provider's.
        for ended in ["rejected", "completed", "cancelled", "failed"] {
            let open: Vec<&str> = STEPS
                .iter()
                .filter(|s| s.1.contains(&ended))
                .map(|s| s.0)
                .collect();
            assert!(open.iter().all(|a| *a == "feedback"), "{ended}: {open:?}");
        }
        assert_eq!(
            step("requested", "accept").unwrap(),
            ("accepted", Side::Provider)
        );
        assert_eq!(
            step("on_hold", "cancel").unwrap(),
            ("cancelled", Side::Referrer)
        );
        assert_eq!(
            step("completed", "feedback").unwrap(),
            ("completed", Side::Feedback)
        );
        assert!(step("completed", "start").is_err());
        assert!(step("requested", "fly").is_err());
    }
}
