//! A real S3-compatible server for tests: `s3s-fs` (crates.io), run on a free port over a
//! fresh folder. `.ci/run` installs it into /var/tmp/gongzhi-tools; GONGZHI_REQUIRE_S3=1
//! makes a missing binary fail the test instead of skipping it.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const ACCESS_KEY: &str = "gongzhi-test";
pub const SECRET_KEY: &str = "gongzhi-test-secret";
pub const BUCKET: &str = "gongzhi";

/// The s3s-fs binary (`GONGZHI_S3S_FS`, /var/tmp/gongzhi-tools/bin, or PATH), if any.
pub fn s3s_fs() -> Option<PathBuf> {
    let found = std::env::var_os("GONGZHI_S3S_FS")
        .map(PathBuf::from)
        .or_else(|| Some(PathBuf::from("/var/tmp/gongzhi-tools/bin/s3s-fs")))
        .filter(|p| p.is_file())
        .or_else(|| super::which("s3s-fs"));
    if found.is_none() {
        assert!(
            !super::tool_required("GONGZHI_REQUIRE_S3"),
            "s3s-fs is required (GONGZHI_REQUIRE_S3=1) but missing: cargo install s3s-fs \
             --version 0.14.1 --features binary --locked --root /var/tmp/gongzhi-tools"
        );
        eprintln!("skipped: S3 storage (no s3s-fs)");
    }
    found
}

/// An s3s-fs process with one bucket; dropping it stops the process and removes its folder.
pub struct S3Server {
    pub endpoint: String,
    /// Objects of bucket B with key K are the file `dir/B/K`.
    pub dir: tempfile::TempDir,
    child: Child,
}

impl S3Server {
    /// None when s3s-fs is missing (and not required).
    pub fn start() -> Option<S3Server> {
        let exe = s3s_fs()?;
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join(BUCKET)).expect("bucket folder");
        let mut child = Command::new(exe)
            .args(["--host", "127.0.0.1", "--port", "0"])
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .arg(dir.path())
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .stdin(Stdio::null())
            .spawn()
            .expect("spawn s3s-fs");
        let endpoint =
            super::address_line(&mut child, "server is running at ", Duration::from_secs(30))
                .expect("s3s-fs did not start within 30 s");
        Some(S3Server {
            endpoint,
            dir,
            child,
        })
    }

    /// The environment that points a Gongzhi process at this server's bucket.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("GONGZHI_S3_ENDPOINT", self.endpoint.clone()),
            ("GONGZHI_S3_BUCKET", BUCKET.to_string()),
            ("GONGZHI_S3_ACCESS_KEY", ACCESS_KEY.to_string()),
            ("GONGZHI_S3_SECRET_KEY", SECRET_KEY.to_string()),
        ]
    }

    /// The stored object `key` of the bucket, as a file.
    pub fn object(&self, key: &str) -> PathBuf {
        self.dir.path().join(BUCKET).join(key)
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
