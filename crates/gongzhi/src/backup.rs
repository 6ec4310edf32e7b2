//! `gongzhi backup DIR` and `gongzhi restore DIR` (issue 17, ADR 042): the platform writes
//! and reads the backup; this wires progress bars and, after a restore, checks the audit
//! chain against the manifest and the ledger, as an operator would.

use crate::app;
use indicatif::{ProgressBar, ProgressStyle};
use platform::backup::{self, Manifest, Progress};
use platform::config::Config;
use std::path::Path;

/// One bar: a spinner while the database is copied, then bytes of objects.
fn bar() -> (ProgressBar, impl FnMut(Progress<'_>)) {
    let bar = ProgressBar::new_spinner();
    let shown = bar.clone();
    let mut on_objects = false;
    let update = move |p: Progress<'_>| match p {
        Progress::Database => shown.set_message("database snapshot …"),
        Progress::Objects { done, total, key } => {
            if !on_objects {
                on_objects = true;
                shown.set_style(
                    ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg}")
                        .expect("valid template"),
                );
            }
            shown.set_length(total);
            shown.set_position(done);
            shown.set_message(key.to_string());
        }
    };
    (bar, update)
}

pub async fn take(config: Config, dir: &Path) -> anyhow::Result<()> {
    let url = config.database_url();
    let state = app::open(config).await?;
    let (bar, mut update) = bar();
    let m = backup::take(
        &state.db,
        &url,
        &state.storage,
        dir,
        state.now(),
        &mut update,
    )
    .await?;
    bar.finish_and_clear();
    println!(
        "backed up the {} database (audit log through entry {}) and {} objects ({} bytes) into {}",
        m.backend,
        m.audit_seq,
        m.objects,
        m.bytes,
        dir.display()
    );
    if !m.gone.is_empty() {
        println!(
            "{} objects were deleted while the backup ran and are not in it: {}",
            m.gone.len(),
            m.gone.join(", ")
        );
    }
    Ok(())
}

pub async fn restore(config: Config, dir: &Path) -> anyhow::Result<()> {
    let (bar, mut update) = bar();
    let m = backup::restore(&config, dir, &mut update).await?;
    bar.finish_and_clear();
    let state = app::open(config).await?;
    check(&state, &m).await?;
    println!(
        "restored the {} database and {} objects ({} bytes) from {}; audit log intact through \
         entry {}, ledger consistent. The search index is built when the server starts.",
        m.backend,
        m.objects,
        m.bytes,
        dir.display(),
        m.audit_seq
    );
    Ok(())
}

/// What a restore must give back: the audit chain intact and ending where the snapshot's
/// did, and a consistent ledger.
async fn check(state: &platform::AppState, m: &Manifest) -> anyhow::Result<()> {
    if let Some(seq) = platform::audit::verify(&state.db).await? {
        anyhow::bail!("the restored audit log is broken at entry {seq}");
    }
    let (seq, hash): (i64, String) =
        sqlx::query_as("SELECT seq, hash FROM platform_audit_head WHERE id = 1")
            .fetch_one(&state.db.pool)
            .await?;
    if (seq, hash.as_str()) != (m.audit_seq, m.audit_hash.as_str()) {
        anyhow::bail!(
            "the restored audit log ends at entry {seq}, the backup's at {}",
            m.audit_seq
        );
    }
    let problems = library::money::ledger::check(&state.db).await?;
    if !problems.is_empty() {
        anyhow::bail!(
            "the restored ledger is inconsistent: {}",
            problems.join("; ")
        );
    }
    Ok(())
}
