//! The steps on a recorded activity, shared by the API (`activities`) and the pages
//! (`activity_pages`): minutes and findings, sign-in (oneself, or by the office from the
//! paper list), follow-up actions reported done, and attachments kept in the library — a
//! library document the office may read, shown to each reader only if the library lets
//! that reader see it too (so an attachment never leaks a title past the library's rules).

use crate::activities::{mark_signed_in, visible};
use crate::authz::{Action, ConsultActor, Target, authorize};
use crate::error::{ConsultError, ConsultResult};
use platform::AppState;
use serde::Serialize;
use sqlx::Row;

const MAX_TEXT: usize = 20_000;

/// The office records the minutes and findings.
pub async fn set_minutes(
    state: &AppState,
    actor: &ConsultActor,
    id: i64,
    minutes: &str,
    findings: &str,
) -> ConsultResult<()> {
    visible(state, actor, id, Action::ManageActivities).await?;
    if minutes.chars().count() > MAX_TEXT || findings.chars().count() > MAX_TEXT {
        return Err(ConsultError::field(platform::bi!(
            "纪要和成果各不能超过 20000 字。",
            "the minutes and the findings are limited to 20,000 characters each"
        )));
    }
    sqlx::query("UPDATE consult_activities SET minutes = $1, findings = $2 WHERE id = $3")
        .bind(minutes.trim())
        .bind(findings.trim())
        .bind(id)
        .execute(&state.db.pool)
        .await?;
    Ok(())
}

/// Signs a participant in: oneself (`None`), or by the office someone on the paper list.
pub async fn sign_in(
    state: &AppState,
    actor: &ConsultActor,
    id: i64,
    user: Option<i64>,
) -> ConsultResult<()> {
    let by = actor.id().ok_or(ConsultError::SignIn)?;
    let who = match user {
        Some(uid) => {
            let a = visible(state, actor, id, Action::ManageActivities).await?;
            if !a.participants.contains(&uid) {
                return Err(ConsultError::field(platform::bi!(
                    "此人不在参加人员名单中。",
                    "not a participant of this activity"
                )));
            }
            uid
        }
        None => {
            visible(state, actor, id, Action::SignIn).await?;
            by
        }
    };
    mark_signed_in(state, id, who, by).await?;
    Ok(())
}

/// The unit a follow-up action was assigned to reports it done; the activity's id.
pub async fn complete_followup(
    state: &AppState,
    actor: &ConsultActor,
    id: i64,
    note: &str,
) -> ConsultResult<i64> {
    let row = sqlx::query("SELECT activity_id, unit_path FROM consult_followups WHERE id = $1")
        .bind(id)
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or(ConsultError::NotFound)?;
    let activity: i64 = row.try_get("activity_id")?;
    let path: String = row.try_get("unit_path")?;
    let a = crate::activities::load(&state.db, activity)
        .await?
        .ok_or(ConsultError::NotFound)?;
    // Only the unit of this action, not another action's unit of the same activity.
    let mine = [path];
    authorize(
        actor,
        Action::CompleteFollowup,
        &Target::Activity(a.district_id, &[], &mine),
    )?;
    if !(4..=MAX_TEXT).contains(&note.trim().chars().count()) {
        return Err(ConsultError::field(platform::bi!(
            "请写明落实情况（4–20000 字）。",
            "say what was done (4–20,000 characters)"
        )));
    }
    let done = sqlx::query("UPDATE consult_followups SET done_at = $1, done_note = $2 WHERE id = $3 AND done_at IS NULL")
        .bind(state.now())
        .bind(note.trim())
        .bind(id)
        .execute(&state.db.pool)
        .await?;
    if done.rows_affected() == 0 {
        return Err(ConsultError::state(platform::bi!(
            "该事项已报告落实。",
            "this action was reported done already"
        )));
    }
    Ok(activity)
}

/// The office attaches a library document it may read (once each).
pub async fn attach(
    state: &AppState,
    actor: &ConsultActor,
    id: i64,
    document: i64,
) -> ConsultResult<()> {
    visible(state, actor, id, Action::ManageActivities).await?;
    library::service::load(
        state,
        &actor.gov.base,
        document,
        library::authz::Action::View,
    )
    .await
    .map_err(|_| {
        ConsultError::field(platform::bi!(
            "文库中没有您可查看的这份文档，请先上传。",
            "no library document of that number that you may read; upload it first"
        ))
    })?;
    sqlx::query(
        "INSERT INTO consult_activity_documents (activity_id, document_id, added_by, added_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(document)
    .bind(actor.id())
    .bind(state.now())
    .execute(&state.db.pool)
    .await?;
    Ok(())
}

#[derive(Clone, Debug, Serialize)]
pub struct Attachment {
    pub id: i64,
    pub title: String,
}

/// The activity's attachments that `actor` may see in the library.
pub async fn attachments(
    state: &AppState,
    actor: &ConsultActor,
    id: i64,
) -> ConsultResult<Vec<Attachment>> {
    let rows = sqlx::query(
        "SELECT document_id FROM consult_activity_documents WHERE activity_id = $1 ORDER BY added_at, document_id",
    )
    .bind(id)
    .fetch_all(&state.db.pool)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let doc: i64 = r.try_get("document_id")?;
        let seen =
            library::service::load(state, &actor.gov.base, doc, library::authz::Action::View).await;
        if let Ok(d) = seen {
            out.push(Attachment {
                id: doc,
                title: d.title,
            });
        }
    }
    Ok(out)
}
