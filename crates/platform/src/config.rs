//! Typed configuration: defaults, then an optional TOML file, then environment variables.

use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Everything the embedded default writes lives here: database, files, search index.
    pub data_dir: PathBuf,
    /// `sqlite://…` (default: a file in the data dir) or `postgres://…`.
    pub database_url: Option<String>,
    pub upload: UploadConfig,
    pub preview: PreviewConfig,
    pub jobs: JobsConfig,
    pub convert: ConvertConfig,
    pub auth: AuthConfig,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UploadConfig {
    pub max_bytes: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PreviewConfig {
    /// Pages everyone may see before buying; a document may override it.
    pub free_pages: u32,
    pub page_width: u32,
    pub thumb_width: u32,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobsConfig {
    pub concurrency: usize,
    /// A running job whose lease is older than this is taken to be orphaned (its worker died).
    pub lease_secs: u64,
    pub max_attempts: i64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConvertConfig {
    /// LibreOffice binary; `None` means look for `soffice` on PATH.
    pub soffice: Option<PathBuf>,
    /// Set to false to behave as if LibreOffice were absent.
    pub use_soffice: bool,
    pub timeout_secs: u64,
    pub memory_mb: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    pub session_days: i64,
    pub login_attempts_per_ip: u32,
    pub login_failures_per_account: u32,
    pub login_window_secs: u64,
    pub allow_registration: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("./data"),
            database_url: None,
            upload: UploadConfig::default(),
            preview: PreviewConfig::default(),
            jobs: JobsConfig::default(),
            convert: ConvertConfig::default(),
            auth: AuthConfig::default(),
        }
    }
}
impl Default for UploadConfig {
    fn default() -> Self {
        UploadConfig {
            max_bytes: 100 * 1024 * 1024,
        }
    }
}
impl Default for PreviewConfig {
    fn default() -> Self {
        PreviewConfig {
            free_pages: 5,
            page_width: 1000,
            thumb_width: 240,
        }
    }
}
impl Default for JobsConfig {
    fn default() -> Self {
        JobsConfig {
            concurrency: 2,
            lease_secs: 60,
            max_attempts: 5,
        }
    }
}
impl Default for ConvertConfig {
    fn default() -> Self {
        ConvertConfig {
            soffice: None,
            use_soffice: true,
            timeout_secs: 180,
            memory_mb: 2048,
        }
    }
}
impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            secure_cookies: false,
            session_days: 30,
            login_attempts_per_ip: 30,
            login_failures_per_account: 5,
            login_window_secs: 900,
            allow_registration: true,
        }
    }
}

impl Config {
    /// Defaults ← file ← environment (`GONGZHI_DATA_DIR`, `DATABASE_URL`, `GONGZHI_*`).
    pub fn load(file: Option<&Path>, data_dir: Option<PathBuf>) -> anyhow::Result<Config> {
        let mut cfg = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| anyhow::anyhow!("cannot read config {}: {e}", path.display()))?;
                toml::from_str(&text)
                    .map_err(|e| anyhow::anyhow!("invalid config {}: {e}", path.display()))?
            }
            None => Config::default(),
        };
        if let Some(dir) = data_dir {
            cfg.data_dir = dir;
        }
        if let Ok(url) = std::env::var("DATABASE_URL")
            && !url.is_empty()
        {
            cfg.database_url = Some(url);
        }
        env_parse("GONGZHI_MAX_UPLOAD_BYTES", &mut cfg.upload.max_bytes)?;
        env_parse("GONGZHI_JOBS_CONCURRENCY", &mut cfg.jobs.concurrency)?;
        env_parse("GONGZHI_JOBS_LEASE_SECS", &mut cfg.jobs.lease_secs)?;
        env_parse("GONGZHI_FREE_PAGES", &mut cfg.preview.free_pages)?;
        env_parse("GONGZHI_USE_SOFFICE", &mut cfg.convert.use_soffice)?;
        env_parse(
            "GONGZHI_CONVERT_TIMEOUT_SECS",
            &mut cfg.convert.timeout_secs,
        )?;
        env_parse(
            "GONGZHI_LOGIN_FAILURES_PER_ACCOUNT",
            &mut cfg.auth.login_failures_per_account,
        )?;
        env_parse(
            "GONGZHI_LOGIN_ATTEMPTS_PER_IP",
            &mut cfg.auth.login_attempts_per_ip,
        )?;
        Ok(cfg)
    }

    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("gongzhi.db").display()
            ),
        }
    }

    /// The LibreOffice binary to use, if any.
    pub fn soffice(&self) -> Option<PathBuf> {
        if !self.convert.use_soffice {
            return None;
        }
        if let Some(p) = &self.convert.soffice {
            return Some(p.clone());
        }
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .flat_map(|dir| ["soffice", "libreoffice"].map(|n| dir.join(n)))
            .find(|p| p.is_file())
    }
}

fn env_parse<T: std::str::FromStr>(name: &str, slot: &mut T) -> anyhow::Result<()> {
    if let Ok(v) = std::env::var(name) {
        *slot = v.parse().map_err(|_| {
            anyhow::anyhow!("environment variable {name} has an invalid value {v:?}")
        })?;
    }
    Ok(())
}
