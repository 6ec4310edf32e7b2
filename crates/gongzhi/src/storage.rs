//! `gongzhi storage migrate --to s3`: copies the local store (`data_dir/files`) into the
//! configured S3 bucket, with a progress bar (ADR 039).

use indicatif::{ProgressBar, ProgressStyle};
use platform::config::Config;
use platform::storage::Storage;

pub async fn migrate_to_s3(config: &Config) -> anyhow::Result<()> {
    let Some(s3) = &config.storage.s3 else {
        anyhow::bail!(
            "no S3 bucket is configured: set storage.s3 in the config file or GONGZHI_S3_ENDPOINT, \
             GONGZHI_S3_BUCKET, GONGZHI_S3_ACCESS_KEY and GONGZHI_S3_SECRET_KEY"
        );
    };
    let root = config.data_dir.join("files");
    if !root.is_dir() {
        println!("no local store at {}: nothing to copy", root.display());
        return Ok(());
    }
    let from = Storage::local(&root)?;
    let to = Storage::s3(s3).await?;
    let mut objects = from.objects().await?;
    objects.sort();
    let total: u64 = objects.iter().map(|(_, size)| size).sum();
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg}")
            .expect("valid template"),
    );
    let (mut copied, mut skipped, mut bytes) = (0u64, 0u64, 0u64);
    for (key, size) in &objects {
        bar.set_message(key.clone());
        let done = from
            .copy_to(&to, key, *size)
            .await
            .map_err(|e| anyhow::anyhow!("{key}: {e}"))?;
        if done {
            copied += 1;
            bytes += size;
        } else {
            skipped += 1;
        }
        bar.inc(*size);
    }
    bar.finish_and_clear();
    println!(
        "copied {copied} objects ({bytes} bytes) from {} to the S3 {}; {skipped} were there already \
         with the same size. The local files stay: remove them once the server runs on S3.",
        from.place(),
        to.place()
    );
    Ok(())
}
