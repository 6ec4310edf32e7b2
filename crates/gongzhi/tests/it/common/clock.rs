//! The server's injected clock for tests: a file holding the offset (ms) the server adds to
//! the real time (`GONGZHI_CLOCK_OFFSET_FILE`), so a test can move "now" while it runs.

use super::{Backend, Server};
use std::path::PathBuf;

pub struct Clock(PathBuf);

impl Clock {
    /// A clock at the real time (offset 0).
    pub fn new() -> Clock {
        let path = tempfile::NamedTempFile::new()
            .expect("clock file")
            .into_temp_path()
            .keep()
            .expect("keep clock file");
        std::fs::write(&path, "0").expect("write clock file");
        Clock(path)
    }

    /// A server started with this clock and the extra environment `env`.
    pub async fn server(&self, backend: Backend, env: &[(&str, &str)]) -> Server {
        let mut all = vec![("GONGZHI_CLOCK_OFFSET_FILE", self.0.to_str().unwrap())];
        all.extend_from_slice(env);
        Server::start_with(backend, &all).await
    }

    /// Sets the offset: the server's "now" is the real time plus `ms`.
    pub fn set_offset(&self, ms: i64) {
        std::fs::write(&self.0, ms.to_string()).expect("write clock file");
    }

    /// Moves the server's "now" on by `ms` from where it stands.
    pub fn shift(&self, ms: i64) {
        let now: i64 = std::fs::read_to_string(&self.0)
            .expect("read clock file")
            .trim()
            .parse()
            .expect("clock offset");
        self.set_offset(now + ms);
    }

    /// Moves the server's "now" to `ms` (Unix milliseconds).
    pub fn set_now(&self, ms: i64) {
        self.set_offset(ms - real_now());
    }
}

/// The real time, Unix milliseconds.
pub fn real_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}
