//! `gongzhi import DIR`: bulk upload with a progress bar.

use indicatif::{ProgressBar, ProgressStyle};
use platform::config::Config;
use std::path::{Path, PathBuf};

const EXTENSIONS: &[&str] = &[
    "pdf", "doc", "docx", "ppt", "pptx", "xls", "xlsx", "txt", "md", "markdown", "epub",
];

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        {
            out.push(path);
        }
    }
    Ok(())
}

pub async fn run(
    config: Config,
    dir: &Path,
    username: &str,
    category: Option<String>,
) -> anyhow::Result<()> {
    let state = crate::app::open(config).await?;
    let (id,): (i64,) = sqlx::query_as("SELECT id FROM platform_users WHERE username = $1")
        .bind(username)
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or_else(|| {
            anyhow::anyhow!("no user named {username}; create one with `gongzhi user add`")
        })?;
    let user = platform::auth::find_user(&state.db, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("user {username} is disabled"))?;
    let mut files = Vec::new();
    collect(dir, &mut files).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", dir.display()))?;
    files.sort();
    let bar = ProgressBar::new(files.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}").expect("valid template"),
    );
    let (mut created, mut duplicates, mut failed) = (0, 0, 0);
    for path in &files {
        bar.set_message(
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
        let fields = library::upload::Fields {
            category: category.clone(),
            ..Default::default()
        };
        let result = match library::upload::receive_local(&state, path) {
            Ok(rec) => library::upload::create(&state, &user, fields, rec).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(c) if c.duplicate => duplicates += 1,
            Ok(_) => created += 1,
            Err(e) => {
                failed += 1;
                bar.println(format!("{}: {e}", path.display()));
            }
        }
        bar.inc(1);
    }
    bar.finish_with_message("done");
    println!(
        "imported {created} documents ({duplicates} already present, {failed} refused); they convert when the server runs"
    );
    Ok(())
}
