//! What the API and the pages both do to an announcement: check, store, audit — each in
//! one transaction, so a refused or failed step leaves nothing half-written.

use crate::authz::{Action, Target, authorize};
use crate::model::{self, Checked, Post, PostState};
use gov_core::{GovActor, UnitId, find_unit};
use platform::AppState;
use platform::audit;
use platform::db::Tx;
use platform::web::{AppError, AppResult, Code};
use serde_json::json;

/// The largest picture accepted.
pub const MAX_PICTURE: usize = 5 * 1024 * 1024;

/// An announcement the actor may read (published: anyone), else not found.
pub async fn visible(state: &AppState, actor: &GovActor, id: i64) -> AppResult<Post> {
    let post = model::find(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    authorize(actor, Action::Read, &Target::Post(&post))?;
    Ok(post)
}

async fn audited(
    tx: &mut Tx,
    state: &AppState,
    actor: &GovActor,
    action: &str,
    id: i64,
) -> AppResult<()> {
    audit::append(
        tx,
        audit::Entry {
            at: state.clock.now_ms(),
            actor_id: actor.id(),
            action,
            subject: &format!("announcement:{id}"),
            detail: json!({}),
        },
    )
    .await?;
    Ok(())
}

/// Drafts a new announcement for a unit; its id.
pub async fn create(
    state: &AppState,
    actor: &GovActor,
    unit_id: i64,
    checked: Checked,
) -> AppResult<i64> {
    let unit = find_unit(&state.db, UnitId(unit_id))
        .await?
        .ok_or_else(|| {
            AppError::coded(
                Code::InvalidField,
                platform::bi!("没有这个单位。", "No such unit."),
            )
        })?;
    authorize(actor, Action::Write, &Target::Unit(&unit.path))?;
    let author = actor.id().ok_or(AppError::Unauthorized)?;
    let now = state.clock.now_ms();
    let mut tx = state.db.begin().await?;
    let id = model::insert(&mut tx, unit_id, &unit.path, &checked, author, now).await?;
    audited(&mut tx, state, actor, "announcement.draft", id).await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes a draft's text.
pub async fn edit(
    state: &AppState,
    actor: &GovActor,
    post: &Post,
    checked: Checked,
) -> AppResult<()> {
    authorize(actor, Action::Write, &Target::Post(post))?;
    let mut tx = state.db.begin().await?;
    if !model::update_draft(&mut tx, post.id, &checked, state.clock.now_ms()).await? {
        return Err(AppError::of(Code::AnnouncementNotDraft));
    }
    audited(&mut tx, state, actor, "announcement.edit", post.id).await?;
    tx.commit().await?;
    Ok(())
}

/// Stores a draft's picture (already checked to be an image within the limit).
pub async fn attach_picture(
    state: &AppState,
    actor: &GovActor,
    post: &Post,
    data: bytes::Bytes,
    media_type: &'static str,
) -> AppResult<()> {
    authorize(actor, Action::Write, &Target::Post(post))?;
    if post.state != PostState::Draft {
        return Err(AppError::of(Code::AnnouncementNotDraft));
    }
    state
        .storage
        .put(&model::picture_key(post.id), data)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let mut tx = state.db.begin().await?;
    model::set_picture(&mut tx, post.id, media_type, state.clock.now_ms()).await?;
    audited(&mut tx, state, actor, "announcement.picture", post.id).await?;
    tx.commit().await?;
    Ok(())
}

/// Publishes a draft or withdraws a published announcement; the new state.
pub async fn step(
    state: &AppState,
    actor: &GovActor,
    post: &Post,
    to: PostState,
) -> AppResult<PostState> {
    authorize(actor, Action::Publish, &Target::Post(post))?;
    let (from, refusal, action) = match to {
        PostState::Published => (
            PostState::Draft,
            Code::AnnouncementNotDraft,
            "announcement.publish",
        ),
        _ => (
            PostState::Published,
            Code::AnnouncementNotPublished,
            "announcement.withdraw",
        ),
    };
    let by = actor.id().ok_or(AppError::Unauthorized)?;
    let mut tx = state.db.begin().await?;
    if !model::transition(&mut tx, post.id, from, to, by, state.clock.now_ms()).await? {
        return Err(AppError::of(refusal));
    }
    audited(&mut tx, state, actor, action, post.id).await?;
    tx.commit().await?;
    Ok(to)
}

/// JPEG, PNG or WebP by their first bytes (never by the name the browser sent), within
/// the size limit.
pub fn check_picture(data: &[u8]) -> AppResult<&'static str> {
    let kind = if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if data.len() > 12 && &data[..4] == b"RIFF" && &data[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    };
    match kind {
        Some(k) if data.len() <= MAX_PICTURE => Ok(k),
        _ => Err(AppError::of(Code::InvalidImage)),
    }
}
