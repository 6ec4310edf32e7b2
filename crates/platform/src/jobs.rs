//! A durable job queue in the database (ADR 002): in-process workers, leases renewed by a
//! heartbeat, retries with exponential back-off. A job whose worker died (kill -9) is taken
//! again once its lease runs out, so it resumes after a restart.

use crate::clock::SharedClock;
use crate::config::JobsConfig;
use crate::db::{Backend, Db, Tx};
use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

#[derive(Debug)]
pub enum JobError {
    /// Worth another attempt later (I/O, a busy database).
    Retry(String),
    /// Will never succeed (a broken file): fail at once.
    Fail(String),
}

pub struct JobCtx {
    pub id: i64,
    pub kind: String,
    pub payload: serde_json::Value,
    pub attempt: i64,
    queue: JobQueue,
}

impl JobCtx {
    pub async fn progress(&self, done: u32, total: u32) {
        let _ = sqlx::query(
            "UPDATE platform_jobs SET progress_done = $1, progress_total = $2 WHERE id = $3",
        )
        .bind(done as i64)
        .bind(total as i64)
        .bind(self.id)
        .execute(&self.queue.db.pool)
        .await;
    }
}

pub trait JobHandler: Send + Sync + 'static {
    fn run(&self, ctx: &JobCtx) -> BoxFuture<'_, Result<(), JobError>>;
    /// Called once when the job has failed for good (its last attempt or a `Fail`).
    fn failed<'a>(&'a self, ctx: &'a JobCtx, error: &'a str) -> BoxFuture<'a, ()>;
}

#[derive(Clone)]
pub struct JobQueue {
    db: Db,
    clock: SharedClock,
    cfg: JobsConfig,
    node: String,
    wake: Arc<Notify>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct JobStatus {
    pub id: i64,
    pub status: String,
    pub attempts: i64,
    pub progress_done: i64,
    pub progress_total: i64,
    pub last_error: Option<String>,
}

impl JobQueue {
    pub fn new(db: Db, clock: SharedClock, cfg: JobsConfig) -> JobQueue {
        let node = format!("{}-{}", std::process::id(), rand::random::<u32>());
        JobQueue {
            db,
            clock,
            cfg,
            node,
            wake: Arc::new(Notify::new()),
        }
    }

    /// Enqueues inside the caller's transaction: the job exists iff the change commits.
    pub async fn enqueue(
        &self,
        tx: &mut Tx,
        kind: &str,
        payload: serde_json::Value,
    ) -> sqlx::Result<i64> {
        let now = self.clock.now_ms();
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO platform_jobs (kind, payload, status, max_attempts, run_at, created_at) \
             VALUES ($1, $2, 'queued', $3, $4, $4) RETURNING id",
        )
        .bind(kind)
        .bind(payload.to_string())
        .bind(self.cfg.max_attempts)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?;
        Ok(id)
    }

    /// Tells idle workers to look now (call after the enqueuing transaction committed).
    pub fn wake(&self) {
        self.wake.notify_waiters();
    }

    pub async fn status(&self, id: i64) -> sqlx::Result<Option<JobStatus>> {
        let row: Option<(i64, String, i64, i64, i64, Option<String>)> = sqlx::query_as(
            "SELECT id, status, attempts, progress_done, progress_total, last_error FROM platform_jobs WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(row.map(
            |(id, status, attempts, progress_done, progress_total, last_error)| JobStatus {
                id,
                status,
                attempts,
                progress_done,
                progress_total,
                last_error,
            },
        ))
    }

    fn lease_ms(&self) -> i64 {
        (self.cfg.lease_secs.max(1) * 1000) as i64
    }

    async fn claim(&self) -> sqlx::Result<Option<(i64, String, String, i64, i64)>> {
        let now = self.clock.now_ms();
        let lock = match self.db.backend {
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "", // SQLite serialises writers; the UPDATE is atomic.
        };
        let sql = format!(
            "UPDATE platform_jobs SET status = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1 \
             WHERE id = (SELECT id FROM platform_jobs \
                         WHERE (status = 'queued' AND run_at <= $3) OR (status = 'running' AND locked_until < $3) \
                         ORDER BY run_at, id LIMIT 1 {lock}) \
             RETURNING id, kind, payload, attempts, max_attempts"
        );
        sqlx::query_as(&sql)
            .bind(&self.node)
            .bind(now + self.lease_ms())
            .bind(now)
            .fetch_optional(&self.db.pool)
            .await
    }

    async fn finish(&self, id: i64, status: &str, error: Option<&str>) -> sqlx::Result<()> {
        sqlx::query(
            "UPDATE platform_jobs SET status = $1, last_error = $2, finished_at = $3, locked_by = NULL, locked_until = NULL \
             WHERE id = $4 AND locked_by = $5",
        )
        .bind(status)
        .bind(error)
        .bind(self.clock.now_ms())
        .bind(id)
        .bind(&self.node)
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    async fn retry_later(&self, id: i64, attempt: i64, error: &str) -> sqlx::Result<()> {
        let backoff_ms =
            (1000i64 << attempt.clamp(0, 9)).min(600_000) + rand::random::<u16>() as i64 % 500;
        sqlx::query(
            "UPDATE platform_jobs SET status = 'queued', last_error = $1, run_at = $2, locked_by = NULL, locked_until = NULL \
             WHERE id = $3 AND locked_by = $4",
        )
        .bind(error)
        .bind(self.clock.now_ms() + backoff_ms)
        .bind(id)
        .bind(&self.node)
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    async fn heartbeat(&self, id: i64) {
        let _ = sqlx::query(
            "UPDATE platform_jobs SET locked_until = $1 WHERE id = $2 AND locked_by = $3",
        )
        .bind(self.clock.now_ms() + self.lease_ms())
        .bind(id)
        .bind(&self.node)
        .execute(&self.db.pool)
        .await;
    }

    /// Starts `cfg.concurrency` worker loops that run until the process ends.
    pub fn start(&self, handlers: HashMap<&'static str, Arc<dyn JobHandler>>) {
        let handlers = Arc::new(handlers);
        for _ in 0..self.cfg.concurrency.max(1) {
            let queue = self.clone();
            let handlers = handlers.clone();
            tokio::spawn(async move { queue.worker_loop(handlers).await });
        }
    }

    async fn worker_loop(self, handlers: Arc<HashMap<&'static str, Arc<dyn JobHandler>>>) {
        loop {
            let claimed = match self.claim().await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "job claim failed");
                    None
                }
            };
            let Some((id, kind, payload, attempt, max_attempts)) = claimed else {
                let _ =
                    tokio::time::timeout(Duration::from_millis(500), self.wake.notified()).await;
                continue;
            };
            let ctx = JobCtx {
                id,
                kind: kind.clone(),
                payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
                attempt,
                queue: self.clone(),
            };
            let Some(handler) = handlers.get(kind.as_str()).cloned() else {
                tracing::error!(job = id, kind, "no handler for job kind");
                let _ = self
                    .finish(id, "failed", Some("no handler for this job kind"))
                    .await;
                continue;
            };
            if attempt > max_attempts {
                let msg = format!("gave up after {max_attempts} attempts");
                handler.failed(&ctx, &msg).await;
                let _ = self.finish(id, "failed", Some(&msg)).await;
                continue;
            }
            crate::metrics::JOBS_STARTED.inc();
            let outcome = self.run_with_heartbeat(&*handler, &ctx).await;
            let result = match outcome {
                Ok(()) => {
                    crate::metrics::JOBS_DONE.inc();
                    self.finish(id, "done", None).await
                }
                Err(JobError::Retry(msg)) if attempt < max_attempts => {
                    tracing::warn!(job = id, kind, attempt, error = %msg, "job will be retried");
                    self.retry_later(id, attempt, &msg).await
                }
                Err(JobError::Retry(msg)) | Err(JobError::Fail(msg)) => {
                    crate::metrics::JOBS_FAILED.inc();
                    tracing::warn!(job = id, kind, attempt, error = %msg, "job failed");
                    handler.failed(&ctx, &msg).await;
                    self.finish(id, "failed", Some(&msg)).await
                }
            };
            if let Err(e) = result {
                tracing::error!(job = id, error = %e, "could not record job outcome");
            }
        }
    }

    async fn run_with_heartbeat(
        &self,
        handler: &dyn JobHandler,
        ctx: &JobCtx,
    ) -> Result<(), JobError> {
        let beat = Duration::from_millis((self.lease_ms() / 3).max(200) as u64);
        let work = handler.run(ctx);
        tokio::pin!(work);
        loop {
            tokio::select! {
                r = &mut work => return r,
                _ = tokio::time::sleep(beat) => self.heartbeat(ctx.id).await,
            }
        }
    }
}
