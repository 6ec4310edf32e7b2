//! Library operations shared by the JSON API and the pages: each checks `authorize` first.

use crate::authz::{Action, Denied, authorize};
use crate::error::{LibResult, LibraryError};
use crate::model::PriceKind;
use crate::model::{self, Document, Status};
use platform::web::Code;
use platform::web::url_encode;
use platform::{Actor, AppState, audit, outbox};

pub fn free_pages(state: &AppState) -> u32 {
    state.config.preview.free_pages
}

/// Whether the actor may do `action`, which concerns no one document (review the
/// complaints, manage the money).
pub fn permitted(state: &AppState, actor: &Actor, action: Action) -> Result<(), Denied> {
    authorize(actor, action, None, free_pages(state))
}

/// [`permitted`], and who the actor is (such actions are signed in).
pub fn allowed(state: &AppState, actor: &Actor, action: Action) -> LibResult<i64> {
    permitted(state, actor, action)?;
    actor.id().ok_or(LibraryError::SignIn)
}

/// Loads a document the actor may perform `action` on.
pub async fn load(state: &AppState, actor: &Actor, id: i64, action: Action) -> LibResult<Document> {
    let mut doc = model::find(&state.db, id).await?;
    if let Some(d) = doc.as_mut() {
        entitle(state, actor, std::slice::from_mut(d)).await?;
    }
    authorize(actor, action, doc.as_ref(), free_pages(state))?;
    doc.ok_or(LibraryError::NotFound)
}

/// Marks whether `actor` bought each document and, for VIP documents, is a member now:
/// what decides how much of a paid document they may see (`authz::visible_pages`).
pub async fn entitle(state: &AppState, actor: &Actor, docs: &mut [Document]) -> LibResult<()> {
    let Some(user) = actor.id() else {
        return Ok(());
    };
    let priced: Vec<i64> = docs
        .iter()
        .filter(|d| d.price_kind != PriceKind::Free)
        .map(|d| d.id)
        .collect();
    let bought = crate::money::purchase::bought_among(&state.db, user, &priced).await?;
    let mut member = None;
    for d in docs.iter_mut().filter(|d| d.price_kind != PriceKind::Free) {
        d.bought = bought.contains(&d.id);
        if d.price_kind == PriceKind::Vip {
            if member.is_none() {
                member = Some(crate::money::vip::is_member(&state.db, user, state.now()).await?);
            }
            d.vip_member = member == Some(true);
        }
    }
    Ok(())
}

/// A moderation step: which status it leaves, which it enters, what it is called.
struct Transition {
    from: Status,
    to: Status,
    topic: &'static str,
    audit: &'static str,
    /// The column that keeps the moderator's reason, if the step takes one.
    reason_column: Option<&'static str>,
}

const APPROVE: Transition = Transition {
    from: Status::PendingReview,
    to: Status::Ready,
    topic: "library.document.published",
    audit: "library.document.approve",
    reason_column: None,
};
const REJECT: Transition = Transition {
    from: Status::PendingReview,
    to: Status::Rejected,
    topic: "library.document.rejected",
    audit: "library.document.reject",
    reason_column: Some("reject_reason"),
};
const TAKE_DOWN: Transition = Transition {
    from: Status::Ready,
    to: Status::TakenDown,
    topic: "library.document.taken_down",
    audit: "library.document.take_down",
    reason_column: Some("takedown_reason"),
};
const RESTORE: Transition = Transition {
    from: Status::TakenDown,
    to: Status::Ready,
    topic: "library.document.published",
    audit: "library.document.restore",
    reason_column: None,
};

fn parse_reason(reason: &str) -> LibResult<&str> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(bad_field!(
            "请填写 1 到 1000 字的理由，上传者会看到。",
            "give a reason of 1 to 1000 characters; the uploader will see it"
        ));
    }
    Ok(reason)
}

pub async fn approve(state: &AppState, actor: &Actor, id: i64) -> LibResult<Document> {
    moderate(state, actor, id, &APPROVE, None).await
}

pub async fn reject(state: &AppState, actor: &Actor, id: i64, reason: &str) -> LibResult<Document> {
    let reason = parse_reason(reason)?;
    moderate(state, actor, id, &REJECT, Some(reason)).await
}

pub async fn take_down(
    state: &AppState,
    actor: &Actor,
    id: i64,
    reason: &str,
) -> LibResult<Document> {
    let reason = parse_reason(reason)?;
    moderate(state, actor, id, &TAKE_DOWN, Some(reason)).await
}

pub async fn restore(state: &AppState, actor: &Actor, id: i64) -> LibResult<Document> {
    moderate(state, actor, id, &RESTORE, None).await
}

/// Moves a document from one status to the next, with its event and audit entry, in one
/// transaction; refuses (409) when the document is not in the step's starting status.
async fn moderate(
    state: &AppState,
    actor: &Actor,
    id: i64,
    step: &Transition,
    reason: Option<&str>,
) -> LibResult<Document> {
    authorize(actor, Action::Moderate, None, free_pages(state))?;
    let reviewer = actor.require_user().map_err(|_| LibraryError::SignIn)?;
    let now = state.now();
    let reason_set = match step.reason_column {
        Some(col) => format!(", {col} = $6"),
        None => String::new(),
    };
    let sql = format!(
        "UPDATE library_documents SET status = $1, reviewer_id = $2, updated_at = $3, \
         published_at = CASE WHEN $1 = 'ready' AND published_at IS NULL THEN $3 ELSE published_at END{reason_set} \
         WHERE id = $4 AND status = $5"
    );
    let mut tx = state.db.begin().await?;
    let mut q = sqlx::query(&sql)
        .bind(step.to.as_str())
        .bind(reviewer.id)
        .bind(now)
        .bind(id)
        .bind(step.from.as_str());
    if step.reason_column.is_some() {
        q = q.bind(reason);
    }
    if q.execute(&mut *tx).await?.rows_affected() == 0 {
        drop(tx);
        return match model::find(&state.db, id).await? {
            None => Err(LibraryError::NotFound),
            Some(d) => Err(LibraryError::WrongState(
                Code::WrongState,
                format!(
                    "this step needs a document that is {}; this one is {}",
                    step.from.as_str(),
                    d.status.as_str()
                ),
            )),
        };
    }
    outbox::emit(
        &mut tx,
        now,
        step.topic,
        id,
        serde_json::json!({ "reviewer": reviewer.id }),
    )
    .await?;
    let subject = format!("document:{id}");
    let detail = serde_json::json!({ "reason": reason });
    audit::append(
        &mut tx,
        audit::Entry {
            at: now,
            actor_id: Some(reviewer.id),
            action: step.audit,
            subject: &subject,
            detail,
        },
    )
    .await?;
    tx.commit().await?;
    model::find(&state.db, id)
        .await?
        .ok_or(LibraryError::NotFound)
}

/// Changes to a document's description, all optional.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Edit {
    pub title: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    pub tags: Option<Vec<String>>,
    pub preview_pages: Option<i64>,
    /// `free` or `paid` (VIP documents arrive with memberships).
    pub price_kind: Option<String>,
    /// Yuan as a decimal string, for paid documents.
    pub price: Option<String>,
    /// 1–5, moderators only: scales the uploader's rewards.
    pub quality: Option<i64>,
    /// The uploader's own work (rewarded more than shared material).
    pub original: Option<bool>,
}

pub async fn edit(state: &AppState, actor: &Actor, id: i64, e: Edit) -> LibResult<Document> {
    let doc = load(state, actor, id, Action::Edit).await?;
    let title = match e.title {
        Some(t) => crate::upload::text_field("title", t, 200)?,
        None => doc.title.clone(),
    };
    if title.is_empty() {
        return Err(bad_field!("标题不能为空。", "`title` cannot be empty"));
    }
    let description = match e.description {
        Some(d) => crate::upload::text_field("description", d, 5000)?,
        None => doc.description.clone(),
    };
    let category_id = match e.category.as_deref() {
        None => doc.category_id,
        Some("") => None,
        Some(slug) => Some(crate::upload::category_id(state, slug).await?),
    };
    let preview_pages = match e.preview_pages {
        Some(n) if !(0..=10_000).contains(&n) => {
            return Err(bad_field!(
                "免费预览页数须在 0 到 10000 之间。",
                "`preview_pages` must be between 0 and 10000"
            ));
        }
        Some(n) => Some(n),
        None => doc.preview_pages,
    };
    let tags = match e.tags {
        Some(t) => Some(crate::upload::parse_tags(&t.join(","))?),
        None => None,
    };
    let (price_kind, price) = parse_price(
        e.price_kind.as_deref(),
        e.price.as_deref(),
        (doc.price_kind, doc.price),
    )?;
    let quality = match e.quality {
        None => doc.quality,
        Some(_) if !actor.is_staff() => {
            return Err(LibraryError::Denied(
                platform::bi!(
                    "只有审核员可以评定文档质量。",
                    "only moderators rate a document's quality"
                )
                .into(),
            ));
        }
        Some(q) if (1..=5).contains(&q) => q,
        Some(_) => {
            return Err(bad_field!(
                "质量评分（quality）须在 1 到 5 之间。",
                "`quality` must be from 1 to 5"
            ));
        }
    };
    let original = e.original.unwrap_or(doc.original);
    let user = actor.require_user().map_err(|_| LibraryError::SignIn)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "UPDATE library_documents SET title = $1, description = $2, category_id = $3, preview_pages = $4, updated_at = $5, \
         price_kind = $7, price = $8, quality = $9, original = $10 WHERE id = $6",
    )
    .bind(&title)
    .bind(&description)
    .bind(category_id)
    .bind(preview_pages)
    .bind(now)
    .bind(id)
    .bind(price_kind.as_str())
    .bind(price)
    .bind(quality)
    .bind(original as i64)
    .execute(&mut *tx)
    .await?;
    if let Some(tags) = &tags {
        sqlx::query("DELETE FROM library_document_tags WHERE document_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for tag in tags {
            sqlx::query("INSERT INTO library_document_tags (document_id, tag) VALUES ($1, $2)")
                .bind(id)
                .bind(tag)
                .execute(&mut *tx)
                .await?;
        }
    }
    outbox::emit(
        &mut tx,
        now,
        "library.document.updated",
        id,
        serde_json::json!({ "by": user.id }),
    )
    .await?;
    tx.commit().await?;
    model::find(&state.db, id)
        .await?
        .ok_or(LibraryError::NotFound)
}

/// A document's price from a request: `kind` free, paid or vip and `price` in yuan
/// ("3.00"; blank counts as absent); `current` (kind, 分) when neither is given.
pub fn parse_price(
    kind: Option<&str>,
    price: Option<&str>,
    current: (PriceKind, i64),
) -> LibResult<(PriceKind, i64)> {
    let price = price.map(str::trim).filter(|p| !p.is_empty());
    let kind = match kind.map(str::trim).filter(|k| !k.is_empty()) {
        None => None,
        Some(word) => Some(PriceKind::parse(word).ok_or_else(|| {
            LibraryError::BadField(format!(
                "`price_kind` must be free, paid or vip, not {word:?}"
            ))
        })?),
    };
    Ok(match (kind, price) {
        (None, None) => current,
        (Some(PriceKind::Free), _) => (PriceKind::Free, 0),
        (Some(PriceKind::Paid) | None, Some(p)) => (PriceKind::Paid, document_price(p)?),
        (Some(PriceKind::Paid), None) => {
            return Err(bad_field!(
                "付费文档需要填写价格。",
                "a paid document needs a `price`"
            ));
        }
        // A VIP document may also carry a price: the paid route for non-members.
        (Some(PriceKind::Vip), p) => (
            PriceKind::Vip,
            p.map(document_price).transpose()?.unwrap_or(0),
        ),
    })
}

fn document_price(yuan: &str) -> LibResult<i64> {
    let fen = crate::money::ledger::Fen::parse_yuan(yuan)?;
    if fen.0 > 100_000 {
        return Err(bad_field!(
            "文档价格不超过 1000.00 元。",
            "a document costs at most 1000.00 yuan"
        ));
    }
    Ok(fen.0)
}

/// Removes a document, its pages and its files for good (the audit log keeps the fact).
pub async fn delete(state: &AppState, actor: &Actor, id: i64) -> LibResult<()> {
    let doc = load(state, actor, id, Action::Delete).await?;
    let user = actor.require_user().map_err(|_| LibraryError::SignIn)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    for table in [
        "library_pages",
        "library_document_tags",
        "library_downloads",
        "library_comments",
        "library_ratings",
        "library_favourites",
        "library_reading_progress",
    ] {
        sqlx::query(&format!("DELETE FROM {table} WHERE document_id = $1"))
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("DELETE FROM library_documents WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    outbox::emit(
        &mut tx,
        now,
        "library.document.deleted",
        id,
        serde_json::json!({ "by": user.id }),
    )
    .await?;
    let subject = format!("document:{id}");
    let detail = serde_json::json!({ "title": doc.title, "sha256": doc.sha256 });
    audit::append(
        &mut tx,
        audit::Entry {
            at: now,
            actor_id: Some(user.id),
            action: "library.document.delete",
            subject: &subject,
            detail,
        },
    )
    .await?;
    tx.commit().await?;
    // Files go after the rows: a crash in between leaves unreachable files, never dangling rows.
    for prefix in [format!("pages/{id}"), format!("thumbs/{id}")] {
        state
            .storage
            .delete_prefix(&prefix)
            .await
            .map_err(|e| LibraryError::Internal(e.into()))?;
    }
    state
        .storage
        .delete(&format!("originals/{}", doc.sha256))
        .await
        .map_err(|e| LibraryError::Internal(e.into()))?;
    Ok(())
}

/// Records a download and returns the original, as it comes from storage (a large
/// original is passed on, never held whole).
pub async fn download(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> LibResult<(Document, platform::storage::ObjectStream)> {
    let doc = load(state, actor, id, Action::Download).await?;
    let user = actor.require_user().map_err(|_| LibraryError::SignIn)?;
    let data = state
        .storage
        .get_stream(&format!("originals/{}", doc.sha256))
        .await
        .map_err(|e| LibraryError::Internal(e.into()))?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let privileged = doc.uploader_id == user.id || actor.is_staff();
    if doc.price_kind == PriceKind::Vip && !privileged && !doc.bought {
        let first = crate::money::vip::use_right(&mut tx, user.id, id, now).await?;
        if first == crate::money::vip::RightUse::Used {
            let cause = format!("vip:{}:{id}", user.id);
            crate::money::rewards::credit(&mut tx, &doc, 0, "vip_download", &cause, now).await?;
        }
    }
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

/// `Content-Disposition` with an RFC 5987 UTF-8 file name (Chinese names survive), without
/// bidirectional controls (a name must read as what it is).
pub fn attachment_header(name: &str) -> String {
    let name = &crate::upload::strip_bidi(name);
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
    let encoded = url_encode(name);
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn attachment_names_are_safe() {
        let h = super::attachment_header("报告 \"x\".pdf");
        assert!(h.starts_with("attachment; filename=\"____x_.pdf\""));
        assert!(h.contains("filename*=UTF-8''%E6%8A%A5%E5%91%8A%20%22x%22.pdf"));
        let h = super::attachment_header("a\u{202E}fdp.exe");
        assert!(h.ends_with("filename*=UTF-8''afdp.exe"), "{h}");
    }
}
