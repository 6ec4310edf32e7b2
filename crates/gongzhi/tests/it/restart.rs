use crate::common::{Backend, Server, both_dbs};
use std::time::{Duration, Instant};

both_dbs!(conversion_resumes_after_kill_9);
/// kill -9 the server while a conversion runs; after a restart the job completes.
async fn conversion_resumes_after_kill_9(backend: Backend) {
    // A short lease so the restarted server takes the orphaned job back quickly.
    let mut s = Server::start_with(
        backend,
        &[
            ("GONGZHI_JOBS_LEASE_SECS", "2"),
            ("GONGZHI_JOBS_CONCURRENCY", "1"),
        ],
    )
    .await;
    let admin = s.user_token("admin", "admin").await;
    let mut ids = Vec::new();
    for f in [
        "documents/yunxiu-community-service-guide.pdf",
        "documents/office-worker-service-points-research.pdf",
    ] {
        ids.push(s.upload_fixture(&admin, f).await);
    }
    let pool = s.db().await;
    let start = Instant::now();
    loop {
        let (running,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM platform_jobs WHERE status = 'running'")
                .fetch_one(&pool)
                .await
                .unwrap();
        if running > 0 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "no job started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    s.kill();
    let (done,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM library_documents WHERE status = 'ready'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(done < 2, "{backend:?}: the kill came while work was left");
    drop(pool);

    s.spawn();
    for id in ids {
        let doc = s.wait_converted(&admin, id, Duration::from_secs(240)).await;
        assert_eq!(doc["status"], "ready", "{backend:?}: {doc}");
    }
    let pool = s.db().await;
    let (attempts,): (i64,) =
        sqlx::query_as("SELECT CAST(MAX(attempts) AS BIGINT) FROM platform_jobs")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(
        attempts >= 2,
        "the interrupted job ran again (attempts {attempts})"
    );
}
