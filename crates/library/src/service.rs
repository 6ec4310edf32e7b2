//! Library operations shared by the JSON API and the pages: each checks `authorize` first.

use crate::authz::{Action, authorize};
use crate::error::{LibResult, LibraryError};
use crate::model::{self, Document, Status};
use platform::{Actor, AppState, audit, outbox};

pub fn free_pages(state: &AppState) -> u32 {
    state.config.preview.free_pages
}

/// Loads a document the actor may perform `action` on.
pub async fn load(state: &AppState, actor: &Actor, id: i64, action: Action) -> LibResult<Document> {
    let doc = model::find(&state.db, id).await?;
    authorize(actor, action, doc.as_ref(), free_pages(state))?;
    doc.ok_or(LibraryError::NotFound)
}

pub async fn approve(state: &AppState, actor: &Actor, id: i64) -> LibResult<Document> {
    authorize(actor, Action::Moderate, None, free_pages(state))?;
    decide(state, actor, id, Status::Ready, None).await
}

pub async fn reject(state: &AppState, actor: &Actor, id: i64, reason: &str) -> LibResult<Document> {
    authorize(actor, Action::Moderate, None, free_pages(state))?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(LibraryError::BadField(
            "give a reason of 1 to 1000 characters; the uploader will see it".into(),
        ));
    }
    decide(state, actor, id, Status::Rejected, Some(reason)).await
}

async fn decide(
    state: &AppState,
    actor: &Actor,
    id: i64,
    to: Status,
    reason: Option<&str>,
) -> LibResult<Document> {
    let reviewer = actor.require_user().map_err(|_| LibraryError::SignIn)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let updated = sqlx::query(
        "UPDATE library_documents SET status = $1, reject_reason = $2, reviewer_id = $3, updated_at = $4, \
         published_at = CASE WHEN $1 = 'ready' THEN $4 ELSE published_at END \
         WHERE id = $5 AND status = 'pending_review'",
    )
    .bind(to.as_str())
    .bind(reason)
    .bind(reviewer.id)
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() == 0 {
        drop(tx);
        return match model::find(&state.db, id).await? {
            None => Err(LibraryError::NotFound),
            Some(d) => Err(LibraryError::WrongState(format!(
                "only documents awaiting review can be approved or rejected; this one is {}",
                d.status.as_str()
            ))),
        };
    }
    let (topic, action) = match to {
        Status::Ready => ("library.document.published", "library.document.approve"),
        _ => ("library.document.rejected", "library.document.reject"),
    };
    outbox::emit(
        &mut tx,
        now,
        topic,
        id,
        serde_json::json!({ "reviewer": reviewer.id }),
    )
    .await?;
    audit::append(
        &mut tx,
        audit::Entry {
            at: now,
            actor_id: Some(reviewer.id),
            action,
            subject: &format!("document:{id}"),
            detail: serde_json::json!({ "reason": reason }),
        },
    )
    .await?;
    tx.commit().await?;
    model::find(&state.db, id)
        .await?
        .ok_or(LibraryError::NotFound)
}

/// Records a download and returns the original's bytes.
pub async fn download(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> LibResult<(Document, bytes::Bytes)> {
    let doc = load(state, actor, id, Action::Download).await?;
    let user = actor.require_user().map_err(|_| LibraryError::SignIn)?;
    let data = state
        .storage
        .get(&format!("originals/{}", doc.sha256))
        .await
        .map_err(|e| LibraryError::Internal(e.into()))?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    sqlx::query("INSERT INTO library_downloads (document_id, user_id, at) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(user.id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE library_documents SET downloads = downloads + 1 WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    outbox::emit(
        &mut tx,
        now,
        "library.document.downloaded",
        id,
        serde_json::json!({ "user": user.id }),
    )
    .await?;
    tx.commit().await?;
    platform::metrics::DOWNLOADS.inc();
    Ok((doc, data))
}

pub async fn count_view(state: &AppState, id: i64) {
    let _ = sqlx::query("UPDATE library_documents SET views = views + 1 WHERE id = $1")
        .bind(id)
        .execute(&state.db.pool)
        .await;
}

/// `Content-Disposition` with an RFC 5987 UTF-8 file name (Chinese names survive).
pub fn attachment_header(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = percent_encode(name);
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn attachment_names_are_safe() {
        let h = super::attachment_header("报告 \"x\".pdf");
        assert!(h.starts_with("attachment; filename=\"____x_.pdf\""));
        assert!(h.contains("filename*=UTF-8''%E6%8A%A5%E5%91%8A%20%22x%22.pdf"));
    }
}
