//! Writing the generated corpus straight into a Gongzhi database, SQLite or PostgreSQL (one
//! `AnyConnection`), as ready documents of the `bench` user: shared by `search-bench` and
//! `cluster-bench`.
#![allow(dead_code)] // each benchmark binary uses part of it

use crate::corpus::Doc;
use sqlx::{AnyConnection, Connection};

/// Connects to the database at `url` (`sqlite://…` or `postgres://…`); an SQLite file is
/// written without syncing, as the loader runs alone and a crash means loading again.
pub async fn connect(url: &str) -> anyhow::Result<AnyConnection> {
    sqlx::any::install_default_drivers();
    let mut c = AnyConnection::connect(url).await?;
    if url.starts_with("sqlite:") {
        sqlx::raw_sql("PRAGMA synchronous = OFF")
            .execute(&mut c)
            .await?;
    }
    Ok(c)
}

/// Adds the `bench` user that uploads every document; its id.
pub async fn uploader(db: &mut AnyConnection, now: i64) -> anyhow::Result<i64> {
    sqlx::query(
        "INSERT INTO platform_users (username, display_name, password_hash, role, created_at) \
         VALUES ('bench', 'Bench', '!', 'member', $1)",
    )
    .bind(now)
    .execute(&mut *db)
    .await?;
    let (id,): (i64,) = sqlx::query_as("SELECT id FROM platform_users WHERE username = 'bench'")
        .fetch_one(&mut *db)
        .await?;
    Ok(id)
}

/// Inserts `docs` in one transaction, document `last` being the newest (one minute apart).
pub async fn insert(
    db: &mut AnyConnection,
    docs: &[Doc],
    uploader: i64,
    now: i64,
    last: i64,
) -> anyhow::Result<()> {
    sqlx::raw_sql("BEGIN").execute(&mut *db).await?;
    for d in docs {
        let size: usize = d.pages.iter().map(String::len).sum();
        let at = now - (last - d.id) * 60_000;
        sqlx::query(
            "INSERT INTO library_documents (id, sha256, title, format, original_name, size_bytes, \
             status, pages, uploader_id, created_at, updated_at, published_at) \
             VALUES ($1, $2, $3, 'txt', $4, $5, 'ready', $6, $7, $8, $9, $10)",
        )
        .bind(d.id)
        .bind(format!("{:064x}", d.id))
        .bind(&d.title)
        .bind(format!("bench-{}.txt", d.id))
        .bind(size as i64)
        .bind(d.pages.len() as i64)
        .bind(uploader)
        .bind(at)
        .bind(at)
        .bind(at)
        .execute(&mut *db)
        .await?;
        for (n, text) in d.pages.iter().enumerate() {
            sqlx::query(
                "INSERT INTO library_pages (document_id, n, text, image_key, mime) \
                 VALUES ($1, $2, $3, '', 'text/plain')",
            )
            .bind(d.id)
            .bind(n as i64 + 1)
            .bind(text)
            .execute(&mut *db)
            .await?;
        }
    }
    sqlx::raw_sql("COMMIT").execute(&mut *db).await?;
    Ok(())
}

/// After the last batch: SQLite folds its write-ahead log into the file; PostgreSQL moves the
/// documents' id sequence past the ids given here, so that a later upload gets a new one.
pub async fn finish(mut db: AnyConnection, url: &str) -> anyhow::Result<()> {
    let sql = if url.starts_with("sqlite:") {
        "PRAGMA wal_checkpoint(TRUNCATE)"
    } else {
        "SELECT setval(pg_get_serial_sequence('library_documents', 'id'), \
         (SELECT MAX(id) FROM library_documents)); ANALYZE"
    };
    sqlx::raw_sql(sql).execute(&mut db).await?;
    db.close().await?;
    Ok(())
}
