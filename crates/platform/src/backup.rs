//! Backups for operators (issue 17, ADR 042): `gongzhi backup DIR` writes a consistent
//! snapshot of the database, every object of the store and the audit chain's head while the
//! server runs; `gongzhi restore DIR` puts them into an empty data dir (or an empty database
//! and bucket). The search index is not in a backup: a node builds it from the database.
//!
//! What a backup folder holds:
//! - `manifest.json`: when, which backend, the audit head inside the snapshot, the objects;
//! - `database.sqlite` (SQLite's `VACUUM INTO`, a transactionally consistent copy) or
//!   `database.pgdump` (`pg_dump` in custom format, run on a snapshot exported from a
//!   repeatable-read transaction in which the audit head is read — so head and dump agree);
//! - `objects/`: the store's objects under their keys, copied after the snapshot.
//!
//! Objects are written before the rows that name them and never rewritten under a key, so
//! every object the snapshot names exists when the copy starts; one deleted while the copy
//! runs (its document removed after the snapshot) is listed in the manifest as `gone`.

use crate::config::Config;
use crate::db::{Backend, Db};
use crate::storage::Storage;
use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use sqlx::Connection;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const MANIFEST: &str = "manifest.json";
const SQLITE_FILE: &str = "database.sqlite";
const PG_FILE: &str = "database.pgdump";
const OBJECTS: &str = "objects";
const FORMAT: u32 = 1;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub gongzhi: String,
    pub taken_at: i64,
    pub backend: String,
    /// The audit chain's head in the snapshot: a restore must end on the same entry.
    pub audit_seq: i64,
    pub audit_hash: String,
    pub objects: u64,
    pub bytes: u64,
    /// Objects listed but deleted before they could be copied.
    pub gone: Vec<String>,
}

/// What a long step has done so far, for a progress bar.
pub enum Progress<'a> {
    /// The database snapshot is being written or read back.
    Database,
    /// `done` of `total` bytes of objects copied; `key` is the one in hand.
    Objects { done: u64, total: u64, key: &'a str },
}

/// Writes a backup of `db` and `storage` into `dir`, which must be empty or not exist.
pub async fn take(
    db: &Db,
    database_url: &str,
    storage: &Storage,
    dir: &Path,
    now: i64,
    progress: &mut dyn FnMut(Progress<'_>),
) -> anyhow::Result<Manifest> {
    ensure_empty_dir(dir)?;
    progress(Progress::Database);
    let (audit_seq, audit_hash) = match db.backend {
        Backend::Sqlite => snapshot_sqlite(db, &dir.join(SQLITE_FILE)).await?,
        Backend::Postgres => snapshot_postgres(db, database_url, &dir.join(PG_FILE)).await?,
    };
    let into = Storage::local(&dir.join(OBJECTS))?;
    let (objects, bytes, gone) = copy_all(storage, &into, progress).await?;
    let manifest = Manifest {
        format: FORMAT,
        gongzhi: env!("CARGO_PKG_VERSION").to_string(),
        taken_at: now,
        backend: db.backend.name().to_string(),
        audit_seq,
        audit_hash,
        objects,
        bytes,
        gone,
    };
    // Written last: a folder with a manifest is a finished backup.
    std::fs::write(dir.join(MANIFEST), serde_json::to_string_pretty(&manifest)?)?;
    Ok(manifest)
}

/// Reads a backup's manifest, saying plainly what is wrong with a folder that is not one.
pub fn read_manifest(dir: &Path) -> anyhow::Result<Manifest> {
    let path = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("{} is not a finished backup (no {MANIFEST})", dir.display()))?;
    let m: Manifest = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a Gongzhi backup manifest", path.display()))?;
    if m.format != FORMAT {
        bail!(
            "{} is backup format {}; this Gongzhi reads format {FORMAT}",
            dir.display(),
            m.format
        );
    }
    Ok(m)
}

/// Restores the backup in `dir` into the database and store `config` names, which must be
/// empty; the caller opens the application afterwards (migrations of a newer version apply
/// then) and checks the audit chain against the manifest.
pub async fn restore(
    config: &Config,
    dir: &Path,
    progress: &mut dyn FnMut(Progress<'_>),
) -> anyhow::Result<Manifest> {
    let manifest = read_manifest(dir)?;
    let url = config.database_url();
    let backend = Backend::from_url(&url)?;
    if backend.name() != manifest.backend {
        bail!(
            "the backup holds a {} database but this server is configured for {}",
            manifest.backend,
            backend.name()
        );
    }
    let storage = Storage::open(config).await?;
    if !storage.objects().await?.is_empty() {
        bail!(
            "the store ({}) is not empty: restore into an empty one",
            storage.place()
        );
    }
    progress(Progress::Database);
    match backend {
        Backend::Sqlite => {
            let target = sqlite_path(&url)
                .ok_or_else(|| anyhow::anyhow!("cannot find the file in {url}"))?;
            if target.exists() {
                bail!(
                    "{} exists: restore into an empty data dir",
                    target.display()
                );
            }
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::copy(dir.join(SQLITE_FILE), &target)
                .with_context(|| format!("cannot write {}", target.display()))?;
        }
        Backend::Postgres => restore_postgres(&url, &dir.join(PG_FILE)).await?,
    }
    let from = Storage::local(&dir.join(OBJECTS))?;
    copy_all(&from, &storage, progress).await?;
    Ok(manifest)
}

fn ensure_empty_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        let mut entries =
            std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
        if entries.next().is_some() {
            bail!("{} is not empty: back up into a new folder", dir.display());
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(())
}

/// `sqlite:///var/x/gongzhi.db?mode=rwc` → `/var/x/gongzhi.db`.
fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty()).then(|| PathBuf::from(path))
}

async fn audit_head<'c, E>(conn: E) -> sqlx::Result<(i64, String)>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    sqlx::query_as("SELECT seq, hash FROM platform_audit_head WHERE id = 1")
        .fetch_one(conn)
        .await
}

async fn snapshot_sqlite(db: &Db, file: &Path) -> anyhow::Result<(i64, String)> {
    let target = file
        .to_str()
        .ok_or_else(|| anyhow::anyhow!("the backup folder's path must be UTF-8"))?;
    sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(&db.pool)
        .await
        .context("the database snapshot (VACUUM INTO) failed")?;
    // The head as the snapshot has it, read back from the copy itself.
    let mut copy = sqlx::AnyConnection::connect(&format!("sqlite://{target}?mode=ro")).await?;
    let head = audit_head(&mut copy).await?;
    copy.close().await?;
    Ok(head)
}

async fn snapshot_postgres(db: &Db, url: &str, file: &Path) -> anyhow::Result<(i64, String)> {
    let mut conn = db.pool.acquire().await?;
    sqlx::query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute(&mut *conn)
        .await?;
    let (snapshot,): (String,) = sqlx::query_as("SELECT pg_export_snapshot()")
        .fetch_one(&mut *conn)
        .await?;
    let head = audit_head(&mut *conn).await?;
    // pg_dump reads exactly what this transaction sees; it must stay open until it is done.
    let out = tool("pg_dump")?
        .arg(format!("--snapshot={snapshot}"))
        .args(["--format=custom", "--no-owner", "--no-privileges", "--file"])
        .arg(file)
        .arg(format!("--dbname={url}"))
        .output()
        .context("cannot run pg_dump")?;
    sqlx::query("COMMIT").execute(&mut *conn).await?;
    if !out.status.success() {
        bail!(
            "pg_dump failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(head)
}

async fn restore_postgres(url: &str, file: &Path) -> anyhow::Result<()> {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url)
        .await
        .context("cannot open the PostgreSQL database to restore into")?;
    let (tables,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_one(&mut conn)
    .await?;
    conn.close().await?;
    if tables > 0 {
        bail!("the database has {tables} tables already: restore into an empty database");
    }
    let out = tool("pg_restore")?
        .args([
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
        ])
        .arg(format!("--dbname={url}"))
        .arg(file)
        .output()
        .context("cannot run pg_restore")?;
    if !out.status.success() {
        bail!(
            "pg_restore failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// PostgreSQL's own client tools, from PATH (Debian: postgresql-client).
fn tool(name: &str) -> anyhow::Result<Command> {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
        .unwrap_or(false);
    if !found {
        bail!("{name} is not installed (Debian: apt-get install postgresql-client)");
    }
    Ok(Command::new(name))
}

/// Copies every object of `from` into `to`; how many, how many bytes, and which vanished
/// between the listing and their copy.
async fn copy_all(
    from: &Storage,
    to: &Storage,
    progress: &mut dyn FnMut(Progress<'_>),
) -> anyhow::Result<(u64, u64, Vec<String>)> {
    let mut objects = from.objects().await?;
    objects.sort();
    let total: u64 = objects.iter().map(|(_, size)| size).sum();
    let (mut n, mut done, mut gone) = (0u64, 0u64, Vec::new());
    for (key, size) in &objects {
        progress(Progress::Objects { done, total, key });
        match from.copy_to(to, key, *size).await {
            Ok(_) => {
                n += 1;
                done += size;
            }
            Err(e) if from.size(key).await.ok() == Some(None) => {
                tracing::warn!(key, error = %e, "an object went away during the copy");
                gone.push(key.clone());
            }
            Err(e) => return Err(e.context(format!("copying {key}"))),
        }
    }
    progress(Progress::Objects {
        done,
        total,
        key: "",
    });
    Ok((n, done, gone))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sqlite_file_is_read_from_its_url() {
        assert_eq!(
            sqlite_path("sqlite:///var/x/gongzhi.db?mode=rwc"),
            Some(PathBuf::from("/var/x/gongzhi.db"))
        );
        assert_eq!(
            sqlite_path("sqlite:data/g.db"),
            Some(PathBuf::from("data/g.db"))
        );
        assert_eq!(sqlite_path("postgres://h/db"), None);
        assert_eq!(sqlite_path("sqlite://?mode=rwc"), None);
    }

    #[test]
    fn a_folder_with_files_is_refused_and_a_missing_one_made() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("new");
        ensure_empty_dir(&fresh).unwrap();
        assert!(fresh.is_dir());
        std::fs::write(fresh.join("x"), "1").unwrap();
        let e = ensure_empty_dir(&fresh).unwrap_err().to_string();
        assert!(e.contains("not empty"), "{e}");
        let e = read_manifest(dir.path()).unwrap_err().to_string();
        assert!(e.contains("not a finished backup"), "{e}");
    }
}
