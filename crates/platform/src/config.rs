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
    /// Connections this node's pool may open at most (`GONGZHI_DB_MAX_CONNECTIONS`; default 16
    /// on PostgreSQL, 8 on SQLite). Several nodes over one PostgreSQL: keep nodes × this below
    /// the server's `max_connections`, or a node that cannot connect fails its requests.
    pub database_pool: Option<u32>,
    /// Several nodes over one database (ADR 041).
    pub cluster: ClusterConfig,
    pub upload: UploadConfig,
    pub preview: PreviewConfig,
    pub jobs: JobsConfig,
    pub convert: ConvertConfig,
    pub auth: AuthConfig,
    pub server: ServerConfig,
    pub metrics: MetricsConfig,
    pub storage: StorageConfig,
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

/// Several nodes over one database (ADR 041).
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterConfig {
    /// How long the clock lease lasts unrenewed: a node that dies hands the sweeps over to
    /// another within this time.
    pub lease_secs: u64,
    /// How often a node looks whether a cached lookup changed on another node.
    pub poll_ms: u64,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            lease_secs: 15,
            poll_ms: 200,
        }
    }
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
    /// Failed sign-ins from one address (any accounts) per window; successes never count.
    #[serde(alias = "login_attempts_per_ip")]
    pub login_failures_per_ip: u32,
    /// Failed sign-ins for one account from one address per window: slows a guesser there,
    /// never the owner signing in from elsewhere.
    pub login_failures_per_account: u32,
    pub login_window_secs: u64,
    pub allow_registration: bool,
    /// New accounts one address may register per `registration_window_secs`.
    pub registrations_per_ip: u32,
    pub registration_window_secs: u64,
    /// Reverse proxies (addresses or CIDR networks) whose `X-Forwarded-For` is believed;
    /// empty: the socket peer is the client.
    pub trusted_proxies: Vec<String>,
}

/// The HTTP listener's limits against slow clients.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// A request's headers must arrive within this time, or the connection is closed
    /// (0: no limit).
    pub header_timeout_secs: u64,
    /// A request's body must arrive within this time, uploads included (0: no limit).
    pub body_timeout_secs: u64,
}

impl ServerConfig {
    pub fn header_timeout(&self) -> Option<std::time::Duration> {
        secs(self.header_timeout_secs)
    }
    pub fn body_timeout(&self) -> Option<std::time::Duration> {
        secs(self.body_timeout_secs)
    }
}

fn secs(n: u64) -> Option<std::time::Duration> {
    (n > 0).then(|| std::time::Duration::from_secs(n))
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// A separate address (e.g. `127.0.0.1:9090`) serving `/metrics` alone, to anyone who
    /// can reach it; on the main address only administrators may read it.
    pub addr: Option<String>,
}

/// Where originals, page images, thumbnails and attachments go (ADR 039).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// An S3-compatible bucket; unset: the `files/` folder of the data dir.
    pub s3: Option<S3Config>,
}

/// An S3-compatible bucket, addressed path-style (`ENDPOINT/BUCKET/KEY`).
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3Config {
    /// `http://127.0.0.1:9000` or `https://…`; empty: Amazon S3 of the region.
    pub endpoint: String,
    pub bucket: String,
    pub access_key: String,
    pub secret_key: String,
    pub region: String,
}

impl Default for S3Config {
    fn default() -> Self {
        S3Config {
            endpoint: String::new(),
            bucket: String::new(),
            access_key: String::new(),
            secret_key: String::new(),
            region: "us-east-1".into(),
        }
    }
}

/// The keys never reach a log line.
impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |v: &str| if v.is_empty() { "" } else { "***" };
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("access_key", &hidden(&self.access_key))
            .field("secret_key", &hidden(&self.secret_key))
            .field("region", &self.region)
            .finish()
    }
}

/// A variable's name and the setting it fills.
type S3Var = (&'static str, fn(&mut S3Config) -> &mut String);

impl S3Config {
    /// Laid over the file's `storage.s3` by `GONGZHI_S3_ENDPOINT`, `…_BUCKET`, `…_ACCESS_KEY`,
    /// `…_SECRET_KEY` and `…_REGION` (`var` reads one; any of them set turns S3 on), then
    /// checked: a bucket, both keys and an http(s) endpoint.
    fn from_env_over(
        file: Option<S3Config>,
        var: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Option<S3Config>> {
        let mut s3 = file;
        let fields: [S3Var; 5] = [
            ("GONGZHI_S3_ENDPOINT", |c| &mut c.endpoint),
            ("GONGZHI_S3_BUCKET", |c| &mut c.bucket),
            ("GONGZHI_S3_ACCESS_KEY", |c| &mut c.access_key),
            ("GONGZHI_S3_SECRET_KEY", |c| &mut c.secret_key),
            ("GONGZHI_S3_REGION", |c| &mut c.region),
        ];
        for (name, field) in fields {
            if let Some(v) = var(name).filter(|v| !v.trim().is_empty()) {
                *field(s3.get_or_insert_with(S3Config::default)) = v.trim().to_string();
            }
        }
        if let Some(c) = &s3 {
            for (value, what) in [
                (&c.bucket, "bucket (GONGZHI_S3_BUCKET)"),
                (&c.access_key, "access_key (GONGZHI_S3_ACCESS_KEY)"),
                (&c.secret_key, "secret_key (GONGZHI_S3_SECRET_KEY)"),
                (&c.region, "region (GONGZHI_S3_REGION)"),
            ] {
                anyhow::ensure!(!value.is_empty(), "storage.s3: {what} is missing");
            }
            anyhow::ensure!(
                c.endpoint.is_empty()
                    || c.endpoint.starts_with("http://")
                    || c.endpoint.starts_with("https://"),
                "storage.s3: endpoint {:?} must start with http:// or https://",
                c.endpoint
            );
        }
        Ok(s3)
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("./data"),
            database_url: None,
            database_pool: None,
            cluster: ClusterConfig::default(),
            upload: UploadConfig::default(),
            preview: PreviewConfig::default(),
            jobs: JobsConfig::default(),
            convert: ConvertConfig::default(),
            auth: AuthConfig::default(),
            server: ServerConfig::default(),
            metrics: MetricsConfig::default(),
            storage: StorageConfig::default(),
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
            login_failures_per_ip: 30,
            login_failures_per_account: 5,
            login_window_secs: 900,
            allow_registration: true,
            registrations_per_ip: 5,
            registration_window_secs: 3600,
            trusted_proxies: Vec::new(),
        }
    }
}
impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            header_timeout_secs: 30,
            body_timeout_secs: 300,
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
        if std::env::var_os("GONGZHI_DB_MAX_CONNECTIONS").is_some() {
            let mut n = 0u32;
            env_parse("GONGZHI_DB_MAX_CONNECTIONS", &mut n)?;
            cfg.database_pool = Some(n);
        }
        check_pool(cfg.database_pool)?;
        env_parse("GONGZHI_MAX_UPLOAD_BYTES", &mut cfg.upload.max_bytes)?;
        env_parse("GONGZHI_JOBS_CONCURRENCY", &mut cfg.jobs.concurrency)?;
        env_parse("GONGZHI_JOBS_LEASE_SECS", &mut cfg.jobs.lease_secs)?;
        env_parse("GONGZHI_CLUSTER_LEASE_SECS", &mut cfg.cluster.lease_secs)?;
        env_parse("GONGZHI_CLUSTER_POLL_MS", &mut cfg.cluster.poll_ms)?;
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
        // The old name still works.
        env_parse(
            "GONGZHI_LOGIN_ATTEMPTS_PER_IP",
            &mut cfg.auth.login_failures_per_ip,
        )?;
        env_parse(
            "GONGZHI_LOGIN_FAILURES_PER_IP",
            &mut cfg.auth.login_failures_per_ip,
        )?;
        env_parse("GONGZHI_LOGIN_WINDOW_SECS", &mut cfg.auth.login_window_secs)?;
        env_parse(
            "GONGZHI_REGISTRATIONS_PER_IP",
            &mut cfg.auth.registrations_per_ip,
        )?;
        if let Ok(v) = std::env::var("GONGZHI_TRUSTED_PROXIES") {
            cfg.auth.trusted_proxies = v.split(',').map(|p| p.trim().to_string()).collect();
        }
        crate::web::client_ip::TrustedProxies::parse(&cfg.auth.trusted_proxies)
            .map_err(|e| anyhow::anyhow!("auth.trusted_proxies: {e}"))?;
        env_parse(
            "GONGZHI_HEADER_TIMEOUT_SECS",
            &mut cfg.server.header_timeout_secs,
        )?;
        env_parse(
            "GONGZHI_BODY_TIMEOUT_SECS",
            &mut cfg.server.body_timeout_secs,
        )?;
        if let Ok(addr) = std::env::var("GONGZHI_METRICS_ADDR") {
            cfg.metrics.addr = Some(addr).filter(|a| !a.trim().is_empty());
        }
        cfg.storage.s3 = S3Config::from_env_over(cfg.storage.s3.take(), |n| std::env::var(n).ok())?;
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

/// A pool of no connection could serve nothing; more than a thousand is a typo.
fn check_pool(pool: Option<u32>) -> anyhow::Result<()> {
    match pool {
        Some(n) if !(1..=1000).contains(&n) => {
            anyhow::bail!("database_pool (GONGZHI_DB_MAX_CONNECTIONS) must be 1 to 1000, not {n}")
        }
        _ => Ok(()),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_sign_in_server_and_metrics_settings() {
        let cfg: Config = toml::from_str(
            "[auth]\nlogin_attempts_per_ip = 7\nregistrations_per_ip = 2\n\
             trusted_proxies = [\"10.0.0.0/8\", \"::1\"]\n\
             [server]\nheader_timeout_secs = 5\n[metrics]\naddr = \"127.0.0.1:9100\"\n",
        )
        .unwrap();
        assert_eq!(
            cfg.auth.login_failures_per_ip, 7,
            "the old name still works"
        );
        assert_eq!(cfg.auth.registrations_per_ip, 2);
        assert_eq!(cfg.auth.trusted_proxies, ["10.0.0.0/8", "::1"]);
        assert_eq!(cfg.server.header_timeout_secs, 5);
        assert_eq!(cfg.server.body_timeout_secs, 300);
        let off: ServerConfig = toml::from_str("body_timeout_secs = 0").unwrap();
        assert_eq!(off.body_timeout(), None, "0 turns the limit off");
        assert_eq!(
            off.header_timeout(),
            Some(std::time::Duration::from_secs(30))
        );
        assert_eq!(cfg.metrics.addr.as_deref(), Some("127.0.0.1:9100"));
        let d = Config::default();
        assert!(d.auth.trusted_proxies.is_empty() && d.metrics.addr.is_none());
    }

    #[test]
    fn the_pool_size_is_read_and_bounded() {
        let cfg: Config = toml::from_str("database_pool = 4").unwrap();
        assert_eq!(cfg.database_pool, Some(4));
        assert_eq!(Config::default().database_pool, None);
        check_pool(Some(4)).unwrap();
        check_pool(None).unwrap();
        for bad in [0, 1001] {
            let e = check_pool(Some(bad)).unwrap_err().to_string();
            assert!(e.contains("must be 1 to 1000"), "{e}");
        }
    }

    #[test]
    fn storage_s3_from_the_file_then_the_environment() {
        let cfg: Config = toml::from_str(
            "[storage.s3]\nendpoint = \"http://127.0.0.1:9000\"\nbucket = \"docs\"\n\
             access_key = \"AK\"\nsecret_key = \"very-secret\"\n",
        )
        .unwrap();
        let none = |_: &str| None;
        let s3 = S3Config::from_env_over(cfg.storage.s3.clone(), none)
            .unwrap()
            .unwrap();
        assert_eq!(
            (s3.endpoint.as_str(), s3.bucket.as_str(), s3.region.as_str()),
            ("http://127.0.0.1:9000", "docs", "us-east-1")
        );
        let shown = format!("{cfg:?}");
        assert!(
            !shown.contains("very-secret") && !shown.contains("\"AK\""),
            "{shown}"
        );
        assert!(shown.contains("docs"), "{shown}");

        let env = |n: &str| match n {
            "GONGZHI_S3_BUCKET" => Some("other".to_string()),
            "GONGZHI_S3_REGION" => Some("cn-north-1".to_string()),
            _ => None,
        };
        let s3 = S3Config::from_env_over(cfg.storage.s3.clone(), env)
            .unwrap()
            .unwrap();
        assert_eq!(
            (s3.bucket.as_str(), s3.region.as_str()),
            ("other", "cn-north-1")
        );
        assert_eq!(s3.secret_key, "very-secret", "the file's keys stay");

        assert!(S3Config::from_env_over(None, none).unwrap().is_none());
        let only_bucket = |n: &str| (n == "GONGZHI_S3_BUCKET").then(|| "b".to_string());
        let err = S3Config::from_env_over(None, only_bucket)
            .unwrap_err()
            .to_string();
        assert!(err.contains("GONGZHI_S3_ACCESS_KEY"), "{err}");
        let mut bad = cfg.storage.s3.clone().unwrap();
        bad.endpoint = "127.0.0.1:9000".into();
        let err = S3Config::from_env_over(Some(bad), none)
            .unwrap_err()
            .to_string();
        assert!(err.contains("http://"), "{err}");
    }

    #[test]
    fn a_bad_proxy_entry_stops_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("gongzhi.toml");
        std::fs::write(&file, "[auth]\ntrusted_proxies = [\"proxy.local\"]\n").unwrap();
        let err = Config::load(Some(&file), None).unwrap_err().to_string();
        assert!(err.contains("trusted_proxies"), "{err}");
    }
}
