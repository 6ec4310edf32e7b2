//! A small W3C WebDriver client for chromedriver + headless Chromium (Debian packages).

use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::Client,
    _profile: tempfile::TempDir,
}

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Browser {
    /// None when chromium or chromedriver is missing (and not required by GONGZHI_REQUIRE_BROWSER=1).
    pub async fn start() -> Option<Browser> {
        let chromium = super::which("chromium").or_else(|| super::which("chromium-browser"));
        let driver_bin = super::which("chromedriver");
        let (Some(chromium), Some(driver_bin)) = (chromium, driver_bin) else {
            if super::tool_required("GONGZHI_REQUIRE_BROWSER") {
                panic!("chromium and chromedriver are required (GONGZHI_REQUIRE_BROWSER=1)");
            }
            eprintln!("skipped: browser test (chromium or chromedriver not installed)");
            return None;
        };
        let port = free_port();
        let driver = Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let start = Instant::now();
        while http.get(format!("{base}/status")).send().await.is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium.to_string_lossy(),
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--disable-dev-shm-usage", "--window-size=1280,900",
                         format!("--user-data-dir={}", profile.path().display())]
            }
        }}});
        let v: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .expect("new session")
            .json()
            .await
            .expect("json");
        let session = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {v}"))
            .to_string();
        Some(Browser {
            driver,
            base,
            session,
            http,
            _profile: profile,
        })
    }

    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{}", self.base, self.session, path);
        let mut r = self.http.request(method, url);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let v: Value = r
            .send()
            .await
            .expect("webdriver request")
            .json()
            .await
            .expect("webdriver json");
        if let Some(err) = v["value"].get("error") {
            panic!("webdriver {path}: {err} {}", v["value"]["message"]);
        }
        v["value"].clone()
    }

    /// Lays pages out as on a phone of this size (Chrome's device emulation).
    pub async fn emulate(&self, width: u32, height: u32) {
        let url = format!("{}/session/{}/goog/cdp/execute", self.base, self.session);
        let body = json!({ "cmd": "Emulation.setDeviceMetricsOverride", "params": {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": true } });
        let r = self.http.post(url).json(&body).send().await.expect("cdp");
        assert!(
            r.status().is_success(),
            "device emulation: {}",
            r.text().await.unwrap_or_default()
        );
    }

    pub async fn goto(&self, url: &str) {
        self.cmd(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    pub async fn url(&self) -> String {
        self.cmd(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Asks `/element` (the first match) or `/elements` (all) for a CSS selector.
    async fn select(&self, endpoint: &str, css: &str) -> Value {
        let by = json!({ "using": "css selector", "value": css });
        self.cmd(reqwest::Method::POST, endpoint, Some(by)).await
    }

    pub async fn find(&self, css: &str) -> String {
        let v = self.select("/element", css).await;
        v[ELEMENT_KEY]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_string()
    }

    pub async fn count(&self, css: &str) -> usize {
        let v = self.select("/elements", css).await;
        v.as_array().map(|a| a.len()).unwrap_or(0)
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{el}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    pub async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{el}/click"),
            Some(json!({})),
        )
        .await;
    }

    pub async fn text(&self, css: &str) -> String {
        let el = self.find(css).await;
        self.cmd(reqwest::Method::GET, &format!("/element/{el}/text"), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub async fn eval(&self, script: &str) -> Value {
        self.cmd(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({ "script": script, "args": [] })),
        )
        .await
    }

    /// Signs `name` in (password [`super::PASSWORD`]) through the login form of the server
    /// at `url`, and waits until the page header names them.
    pub async fn sign_in(&self, url: &str, name: &str) {
        self.goto(&format!("{url}/login")).await;
        self.type_into("input[name=username]", name).await;
        self.type_into("input[name=password]", super::PASSWORD)
            .await;
        self.click("form.form button[type=submit]").await;
        let named = format!(
            "document.querySelector('.who') && document.querySelector('.who').textContent.includes('{name}')"
        );
        self.wait(&named).await;
    }

    /// [`Browser::wait_for`] with the usual limit of 20 s.
    pub async fn wait(&self, cond: &str) {
        self.wait_for(cond, Duration::from_secs(20)).await;
    }

    /// Polls `cond` (a JS expression) until it is true.
    pub async fn wait_for(&self, cond: &str, limit: Duration) {
        let start = Instant::now();
        loop {
            if self.eval(&format!("return !!({cond});")).await == Value::Bool(true) {
                return;
            }
            assert!(
                start.elapsed() < limit,
                "timed out waiting for {cond} at {}",
                self.url().await
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    pub async fn screenshot(&self, path: &std::path::Path) {
        use base64_decode as b64;
        let v = self.cmd(reqwest::Method::GET, "/screenshot", None).await;
        if let Some(s) = v.as_str() {
            let _ = std::fs::write(path, b64::decode(s));
        }
    }
}

impl Drop for Browser {
    /// Ends the session first: chromedriver then quits Chromium. Killing chromedriver
    /// alone leaves its Chromium processes running after the tests (dozens per run).
    fn drop(&mut self) {
        use std::io::{Read, Write};
        let host = self.base.trim_start_matches("http://").to_string();
        if let Ok(mut s) = std::net::TcpStream::connect(&host) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
            let _ = write!(
                s,
                "DELETE /session/{} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                self.session
            );
            let _ = s.read_to_end(&mut Vec::new());
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// Enough base64 to save a screenshot without another dependency.
mod base64_decode {
    pub fn decode(s: &str) -> Vec<u8> {
        let val = |c: u8| -> Option<u32> {
            Some(match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                _ => return None,
            } as u32)
        };
        let mut out = Vec::with_capacity(s.len() * 3 / 4);
        let (mut buf, mut bits) = (0u32, 0);
        for v in s.bytes().filter_map(val) {
            buf = (buf << 6) | v;
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((buf >> bits) as u8);
                buf &= (1 << bits) - 1;
            }
        }
        out
    }
}
