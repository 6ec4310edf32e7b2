//! The conversion job: original → pages, text, images, thumbnail — run in a bounded
//! child process so a hostile file can take down only that child.

use futures_util::future::BoxFuture;
use platform::jobs::{JobCtx, JobError, JobHandler};
use platform::{AppState, audit, outbox};
use std::ffi::OsString;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub const KIND: &str = "library.convert";

pub struct ConvertJob {
    pub state: AppState,
    /// LibreOffice refuses to share a user profile between running instances: each
    /// conversion borrows one profile slot and gives it back when done.
    profiles: Arc<std::sync::Mutex<Vec<usize>>>,
}

impl ConvertJob {
    pub fn new(state: AppState) -> ConvertJob {
        let slots = (0..state.config.jobs.concurrency.max(1)).collect();
        ConvertJob {
            state,
            profiles: Arc::new(std::sync::Mutex::new(slots)),
        }
    }
}

/// A borrowed profile slot, returned on drop (also when the conversion fails).
struct ProfileSlot {
    pool: Arc<std::sync::Mutex<Vec<usize>>>,
    slot: usize,
}

impl ProfileSlot {
    fn take(pool: &Arc<std::sync::Mutex<Vec<usize>>>) -> ProfileSlot {
        let mut free = pool.lock().expect("profile pool");
        // More jobs than slots cannot happen (one slot per worker), but never block on it.
        let slot = free.pop().unwrap_or_else(|| 1000 + rand_slot());
        ProfileSlot {
            pool: pool.clone(),
            slot,
        }
    }
}

fn rand_slot() -> usize {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as usize)
        .unwrap_or(0)
}

impl Drop for ProfileSlot {
    fn drop(&mut self) {
        if self.slot < 1000
            && let Ok(mut free) = self.pool.lock()
        {
            free.push(self.slot);
        }
    }
}

fn document_id(ctx: &JobCtx) -> Result<i64, JobError> {
    ctx.payload["document_id"]
        .as_i64()
        .ok_or_else(|| JobError::Fail("job payload has no document_id".into()))
}

impl JobHandler for ConvertJob {
    fn run(&self, ctx: &JobCtx) -> BoxFuture<'_, Result<(), JobError>> {
        let id = document_id(ctx);
        Box::pin(async move {
            let profile = ProfileSlot::take(&self.profiles);
            convert_document(&self.state, id?, profile.slot).await
        })
    }

    fn failed<'a>(&'a self, ctx: &'a JobCtx, error: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let Ok(id) = document_id(ctx) else { return };
            let now = self.state.now();
            let result = sqlx::query(
                "UPDATE library_documents SET status = 'failed', error = $1, updated_at = $2 WHERE id = $3 AND status = 'processing'",
            )
            .bind(error)
            .bind(now)
            .bind(id)
            .execute(&self.state.db.pool)
            .await;
            if let Err(e) = result {
                tracing::error!(document = id, error = %e, "could not mark document failed");
            }
        })
    }
}

fn retry<E: std::fmt::Display>(e: E) -> JobError {
    JobError::Retry(e.to_string())
}

async fn convert_document(state: &AppState, id: i64, profile_slot: usize) -> Result<(), JobError> {
    let row: Option<(String, String, String, i64)> = sqlx::query_as(
        "SELECT status, format, sha256, auto_publish FROM library_documents WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&state.db.pool)
    .await
    .map_err(retry)?;
    let Some((status, format, sha256, auto_publish)) = row else {
        return Ok(());
    };
    if status != "processing" {
        return Ok(()); // converted already (a retried job after a crash)
    }
    let format = convert::Format::parse(&format)
        .ok_or_else(|| JobError::Fail(format!("unknown format {format}")))?;
    let work = tempfile::Builder::new()
        .prefix(&format!("convert-{id}-"))
        .tempdir_in(crate::upload::temp_dir(state).map_err(retry)?)
        .map_err(retry)?;
    let input = work.path().join(format!("original.{}", format.extension()));
    state
        .storage
        .get_to_file(&format!("originals/{sha256}"), &input)
        .await
        .map_err(retry)?;
    let out_dir = work.path().join("out");
    std::fs::create_dir_all(&out_dir).map_err(retry)?;

    let cfg = &state.config;
    let mut args: Vec<OsString> = vec![
        "convert-child".into(),
        "--input".into(),
        input.clone().into(),
        "--format".into(),
        format.as_str().into(),
        "--out".into(),
        out_dir.clone().into(),
        "--page-width".into(),
        cfg.preview.page_width.to_string().into(),
        "--thumb-width".into(),
        cfg.preview.thumb_width.to_string().into(),
        "--profile-dir".into(),
        cfg.data_dir
            .join("soffice-profiles")
            .join(format!("slot-{profile_slot}"))
            .into(),
    ];
    if let Some(soffice) = cfg.soffice() {
        args.push("--soffice".into());
        args.push(soffice.into());
    }
    let limits = convert::Limits {
        timeout: Duration::from_secs(cfg.convert.timeout_secs),
        memory_bytes: cfg.convert.memory_mb * 1024 * 1024,
        cpu_seconds: cfg.convert.timeout_secs * 2,
    };

    // The child reports progress on a blocking thread; a small task copies it to the row.
    let done = Arc::new(AtomicU32::new(0));
    let total = Arc::new(AtomicU32::new(0));
    let reporter = {
        let (state, done, total) = (state.clone(), done.clone(), total.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(400)).await;
                let _ = sqlx::query("UPDATE library_documents SET progress_done = $1, progress_total = $2 WHERE id = $3")
                    .bind(done.load(Ordering::Relaxed) as i64)
                    .bind(total.load(Ordering::Relaxed) as i64)
                    .bind(id)
                    .execute(&state.db.pool)
                    .await;
            }
        })
    };
    let exe = state.converter_exe.clone();
    let started = Instant::now();
    let result = {
        let (done, total) = (done.clone(), total.clone());
        tokio::task::spawn_blocking(move || {
            convert::run_supervised(&exe, &args, &limits, &mut |d, t| {
                done.store(d, Ordering::Relaxed);
                total.store(t, Ordering::Relaxed);
            })
        })
        .await
        .map_err(retry)?
    };
    reporter.abort();
    let manifest = match result {
        Ok(m) => m,
        Err(e @ convert::ConvertError::Io(_)) => return Err(JobError::Retry(e.to_string())),
        Err(e) => return Err(JobError::Fail(e.to_string())),
    };
    let convert_ms = started.elapsed().as_millis() as i64;

    // Store the images first; the rows that point to them commit together afterwards.
    for page in &manifest.pages {
        let key = format!("pages/{id}/{}", page.image);
        state
            .storage
            .put_file(&key, &out_dir.join(&page.image))
            .await
            .map_err(retry)?;
    }
    let thumb_key = format!("thumbs/{id}/{}", manifest.thumbnail);
    state
        .storage
        .put_file(&thumb_key, &out_dir.join(&manifest.thumbnail))
        .await
        .map_err(retry)?;
    let thumb_mime = if manifest.thumbnail.ends_with(".svg") {
        "image/svg+xml"
    } else {
        "image/png"
    };
    let (preview_kind, preview_note) = match &manifest.preview {
        convert::PreviewKind::Faithful => ("faithful", None),
        convert::PreviewKind::TextOnly { reason } => ("text_only", Some(reason.clone())),
    };
    let note = match (preview_note, manifest.notes.is_empty()) {
        (n, true) => n,
        (n, false) => Some(
            n.into_iter()
                .chain(manifest.notes.iter().cloned())
                .collect::<Vec<_>>()
                .join(" "),
        ),
    };

    let now = state.now();
    let new_status = if auto_publish != 0 {
        "ready"
    } else {
        "pending_review"
    };
    let mut tx = state.db.begin().await.map_err(retry)?;
    sqlx::query("DELETE FROM library_pages WHERE document_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(retry)?;
    for page in &manifest.pages {
        sqlx::query("INSERT INTO library_pages (document_id, n, text, image_key, mime) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(page.n as i64)
            .bind(&page.text)
            .bind(format!("pages/{id}/{}", page.image))
            .bind(&page.mime)
            .execute(&mut *tx)
            .await
            .map_err(retry)?;
    }
    let n_pages = manifest.pages.len() as i64;
    let updated = sqlx::query(
        "UPDATE library_documents SET status = $1, pages = $2, preview_kind = $3, preview_note = $4, thumb_key = $5, \
         thumb_mime = $6, progress_done = $2, progress_total = $2, convert_ms = $7, updated_at = $8, \
         published_at = CASE WHEN $1 = 'ready' THEN $8 ELSE published_at END \
         WHERE id = $9 AND status = 'processing'",
    )
    .bind(new_status)
    .bind(n_pages)
    .bind(preview_kind)
    .bind(note)
    .bind(&thumb_key)
    .bind(thumb_mime)
    .bind(convert_ms)
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(retry)?;
    if updated.rows_affected() == 0 {
        return Ok(()); // someone else finished it meanwhile
    }
    let topic = if new_status == "ready" {
        "library.document.published"
    } else {
        "library.document.converted"
    };
    outbox::emit(
        &mut tx,
        now,
        topic,
        id,
        serde_json::json!({ "pages": n_pages }),
    )
    .await
    .map_err(retry)?;
    audit::append(
        &mut tx,
        audit::Entry {
            at: now,
            actor_id: None,
            action: "library.document.converted",
            subject: &format!("document:{id}"),
            detail: serde_json::json!({ "pages": n_pages, "ms": convert_ms, "status": new_status }),
        },
    )
    .await
    .map_err(retry)?;
    tx.commit().await.map_err(retry)?;
    tracing::info!(document = id, pages = n_pages, ms = convert_ms, "converted");
    Ok(())
}

/// Removes what interrupted work left in `data_dir/tmp`: conversion folders (`convert-…`,
/// only ever used by this server's workers, so none can be in use before they start)
/// and upload spool files older than an hour (a `gongzhi import` may be running now).
/// Called once at start; returns how many entries went.
pub fn remove_stale_work_dirs(state: &AppState) -> std::io::Result<usize> {
    let dir = state.config.data_dir.join("tmp");
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let an_hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let meta = entry.metadata()?;
        let old = meta.modified().is_ok_and(|t| t < an_hour_ago);
        let stale = (name.starts_with("convert-") && meta.is_dir())
            || (name.starts_with(".tmp") && meta.is_file() && old);
        if !stale {
            continue;
        }
        let path = entry.path();
        let gone = if meta.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        match gone {
            Ok(()) => removed += 1,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot remove stale temp")
            }
        }
    }
    if removed > 0 {
        tracing::info!(removed, "removed temp files left by interrupted work");
    }
    Ok(removed)
}
