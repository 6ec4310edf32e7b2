//! Keeps the index in step with the database by reading the outbox from the position
//! committed with the index; rebuilds the index from the database when it is new.

use super::SearchIndex;
use platform::{AppState, outbox};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    index.delete_all()?;
    let mut done = 0u64;
    let n = super::load::load_all(&state.db, &mut |doc, total| {
        index.put(&doc)?;
        done += 1;
        progress(done, total as u64);
        Ok(())
    })
    .await?;
    index.commit(position)?;
    Ok(n)
}

/// Download counts from the database, and the last event they include: download events
/// up to it are already counted.
async fn download_counts(state: &AppState) -> anyhow::Result<(HashMap<u64, u64>, i64)> {
    let mut tx = state.db.pool.begin().await?;
    let rows: Vec<(i64, i64)> =
        sqlx::query_as("SELECT id, downloads FROM library_documents WHERE downloads > 0")
            .fetch_all(&mut *tx)
            .await?;
    let (through,): (i64,) =
        sqlx::query_as("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM platform_events")
            .fetch_one(&mut *tx)
            .await?;
    tx.commit().await?;
    let counts = rows
        .into_iter()
        .map(|(id, n)| (id as u64, n as u64))
        .collect();
    Ok((counts, through))
}

/// Where the follower is in the event log (a cursor that no event committed out of order
/// slips past, ADR 041). The index is committed when an event changed it; when only other
/// modules' events went by, the position alone is committed at most every
/// [`Follower::IDLE_COMMIT`] (a tantivy commit syncs files to disk, and the log is
/// busiest exactly when the library is not: case intake writes an event per case).
struct Follower {
    cursor: outbox::Cursor,
    committed: i64,
    committed_at: Instant,
    counted_through: i64,
}

impl Follower {
    const IDLE_COMMIT: Duration = Duration::from_secs(10);

    /// Applies one event; true when the index changed.
    async fn apply(
        &self,
        state: &AppState,
        index: &SearchIndex,
        e: &outbox::Event,
    ) -> anyhow::Result<bool> {
        match e.topic.as_str() {
            "library.document.published" | "library.document.updated" => {
                match super::load(&state.db, e.subject_id).await? {
                    Some(doc) => index.put(&doc)?,
                    None => index.delete(e.subject_id),
                }
                Ok(true)
            }
            "library.document.rejected"
            | "library.document.taken_down"
            | "library.document.deleted" => {
                index.delete(e.subject_id);
                Ok(true)
            }
            "library.document.downloaded" => {
                if e.id > self.counted_through {
                    index.add_download(e.subject_id);
                }
                Ok(false)
            }
            _ => Ok(false),
        }
    }

    async fn once(&mut self, state: &AppState, index: &SearchIndex) -> anyhow::Result<()> {
        let events = self.cursor.next(&state.db, 500).await?;
        let mut changed = false;
        for e in &events {
            match self.apply(state, index, e).await {
                Ok(c) => changed |= c,
                Err(err) => {
                    // The cursor has moved past these: read them again from the last
                    // committed position (applying an event twice is harmless).
                    self.cursor = outbox::Cursor::new(self.committed, outbox::Cursor::WAIT);
                    return Err(err);
                }
            }
        }
        let read = self.cursor.position();
        let idle_due = read > self.committed && self.committed_at.elapsed() >= Self::IDLE_COMMIT;
        if changed || idle_due {
            tokio::task::block_in_place(|| index.commit(read))?;
            self.committed = read;
            self.committed_at = Instant::now();
        }
        Ok(())
    }
}

/// Opens (or rebuilds) the index and follows the event log in the background.
pub async fn start(state: &AppState) -> anyhow::Result<Arc<SearchIndex>> {
    let dir = super::index_dir(&state.config.data_dir);
    let (mut index, fresh) = tokio::task::block_in_place(|| SearchIndex::open(&dir))?;
    if fresh {
        tokio::task::block_in_place(|| index.close())?;
        let (big, _) = tokio::task::block_in_place(|| SearchIndex::open_for_rebuild(&dir))?;
        let n = rebuild(state, &big, &mut |_, _| {}).await?;
        tokio::task::block_in_place(|| big.close())?;
        tracing::info!(documents = n, "search index built");
        index = tokio::task::block_in_place(|| SearchIndex::open(&dir))?.0;
    }
    let index = Arc::new(index);
    let (counts, counted_through) = download_counts(state).await?;
    index.set_downloads(counts);
    let position = index.position();
    let mut follower = Follower {
        cursor: outbox::Cursor::new(position, outbox::Cursor::WAIT),
        committed: position,
        committed_at: Instant::now(),
        counted_through,
    };
    let (state, index2) = (state.clone(), index.clone());
    tokio::spawn(async move {
        loop {
            if let Err(e) = follower.once(&state, &index2).await {
                tracing::warn!(error = %e, "search index follower");
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    Ok(index)
}
