//! Keeps the index in step with the database by reading the outbox from the position
//! committed with the index; rebuilds the index from the database when it is new.

use super::SearchIndex;
use platform::{AppState, outbox};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Re-indexes every published document and sets the position to the log's end.
pub async fn rebuild(
    state: &AppState,
    index: &SearchIndex,
    progress: &mut dyn FnMut(u64, u64),
) -> anyhow::Result<usize> {
    let (position,): (i64,) =
        sqlx::query_as("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM platform_events")
            .fetch_one(&state.db.pool)
            .await?;
    let ids: Vec<(i64,)> =
        sqlx::query_as("SELECT id FROM library_documents WHERE status = 'ready' ORDER BY id")
            .fetch_all(&state.db.pool)
            .await?;
    index.delete_all()?;
    let total = ids.len() as u64;
    for (i, (id,)) in ids.iter().enumerate() {
        if let Some(doc) = super::load(&state.db, *id).await? {
            index.put(&doc)?;
        }
        progress(i as u64 + 1, total);
    }
    index.commit(position)?;
    Ok(ids.len())
}

async fn download_counts(state: &AppState) -> anyhow::Result<HashMap<u64, u64>> {
    let rows: Vec<(i64, i64)> =
        sqlx::query_as("SELECT id, downloads FROM library_documents WHERE downloads > 0")
            .fetch_all(&state.db.pool)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(id, n)| (id as u64, n as u64))
        .collect())
}

/// Applies one event; true when the index changed.
async fn apply(state: &AppState, index: &SearchIndex, e: &outbox::Event) -> anyhow::Result<()> {
    match e.topic.as_str() {
        "library.document.published" | "library.document.updated" => {
            match super::load(&state.db, e.subject_id).await? {
                Some(doc) => index.put(&doc)?,
                None => index.delete(e.subject_id),
            }
        }
        "library.document.rejected"
        | "library.document.taken_down"
        | "library.document.deleted" => index.delete(e.subject_id),
        "library.document.downloaded" => index.add_download(e.subject_id),
        _ => {}
    }
    Ok(())
}

/// Opens (or rebuilds) the index and follows the event log in the background.
pub async fn start(state: &AppState) -> anyhow::Result<Arc<SearchIndex>> {
    let dir = super::index_dir(&state.config.data_dir);
    let (index, fresh) = tokio::task::block_in_place(|| SearchIndex::open(&dir))?;
    let index = Arc::new(index);
    if fresh {
        let n = rebuild(state, &index, &mut |_, _| {}).await?;
        tracing::info!(documents = n, "search index built");
    }
    index.set_downloads(download_counts(state).await?);
    let (state, follower) = (state.clone(), index.clone());
    tokio::spawn(async move {
        loop {
            if let Err(e) = follow_once(&state, &follower).await {
                tracing::warn!(error = %e, "search index follower");
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    Ok(index)
}

async fn follow_once(state: &AppState, index: &SearchIndex) -> anyhow::Result<()> {
    let position = index.position();
    let events = outbox::read_after(&state.db, position, 500).await?;
    let Some(last) = events.last().map(|e| e.id) else {
        return Ok(());
    };
    for e in &events {
        apply(state, index, e).await?;
    }
    tokio::task::block_in_place(|| index.commit(last))?;
    Ok(())
}
