//! Running the gongzhi binary for a benchmark, and describing the machine it ran on.
#![allow(dead_code)] // shared by the three benchmark binaries; each uses part of it

use serde_json::json;
use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The binary a benchmark runs unless told otherwise: the release build if there is one,
/// else the debug build, else `gongzhi` on the PATH.
pub fn default_gongzhi() -> std::path::PathBuf {
    ["release", "debug"]
        .iter()
        .map(|p| std::path::PathBuf::from(format!("/var/tmp/gongzhi-target/{p}/gongzhi")))
        .find(|p| p.exists())
        .unwrap_or_else(|| std::path::PathBuf::from("gongzhi"))
}

/// The command line as `--flag value` pairs; `-h` or `--help` prints `usage` and exits.
pub fn flags(usage: &str) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            println!("{usage}");
            std::process::exit(0);
        }
        let v = it
            .next()
            .ok_or_else(|| anyhow::anyhow!("{flag} needs a value\n{usage}"))?;
        out.push((flag, v));
    }
    Ok(out)
}

/// Adds the account `user` with `role` and the benchmarks' password through `cmd` (a
/// `gongzhi` command on the benchmarked data).
pub fn add_user(mut cmd: Command, user: &str, role: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut c = cmd
        .args(["user", "add", user, "--role", role, "--password-stdin"])
        .stdin(Stdio::piped())
        .spawn()?;
    c.stdin
        .take()
        .expect("stdin")
        .write_all(b"bench-password-1\n")?;
    anyhow::ensure!(c.wait()?.success(), "user add {user}");
    Ok(())
}

/// The value of `flag` as a number.
pub fn number(flag: &str, v: &str) -> anyhow::Result<usize> {
    v.parse()
        .map_err(|_| anyhow::anyhow!("{flag} needs a number, not {v:?}"))
}

pub fn gongzhi(exe: &Path, data: &Path) -> Command {
    gongzhi_on(exe, data, None)
}

/// The binary on a data dir and, when given, a PostgreSQL database; login throttling is
/// lifted because every benchmark client signs in from 127.0.0.1.
pub fn gongzhi_on(exe: &Path, data: &Path, database_url: Option<&str>) -> Command {
    let mut c = Command::new(exe);
    c.arg("--data-dir")
        .arg(data)
        .env("RUST_LOG", "warn")
        .env("GONGZHI_LOGIN_ATTEMPTS_PER_IP", "100000")
        .env_remove("GONGZHI_CONFIG")
        .env_remove("DATABASE_URL");
    if let Some(u) = database_url {
        c.env("DATABASE_URL", u);
    }
    c
}

/// Runs a gongzhi command (`migrate`, `reindex`) to its end; its progress bar goes to
/// the bench's stderr, its error into the returned one.
pub fn run(exe: &Path, data: &Path, command: &str) -> anyhow::Result<()> {
    let out = gongzhi(exe, data)
        .arg(command)
        .stderr(Stdio::inherit())
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "gongzhi {command} failed ({})",
        out.status
    );
    Ok(())
}

/// Starts `gongzhi serve` and waits for its listening line.
pub fn serve(exe: &Path, data: &Path) -> anyhow::Result<(std::process::Child, String)> {
    serve_on(exe, data, None)
}

pub fn serve_on(
    exe: &Path,
    data: &Path,
    database_url: Option<&str>,
) -> anyhow::Result<(std::process::Child, String)> {
    listen(gongzhi_on(exe, data, database_url), &data.join("serve.log"))
}

/// Runs `cmd` (a `gongzhi` command on its data) as `serve` on a free port, its log in `log`;
/// the child and its address once it says it listens (after building its index).
pub fn listen(mut cmd: Command, log: &Path) -> anyhow::Result<(std::process::Child, String)> {
    let mut child = cmd
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log)?)
        .spawn()?;
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut r = std::io::BufReader::new(stdout);
        let mut line = String::new();
        while r.read_line(&mut line).unwrap_or(0) > 0 {
            if let Some(a) = line.trim().strip_prefix("Gongzhi listening on http://") {
                let _ = tx.send(a.to_string());
            }
            line.clear();
        }
    });
    match rx.recv_timeout(Duration::from_secs(300)) {
        Ok(addr) => Ok((child, addr)),
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!("gongzhi serve did not start; see {}", log.display())
        }
    }
}

pub fn machine() -> serde_json::Value {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let cpu = read("/proc/cpuinfo")
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    let mem = read("/proc/meminfo")
        .lines()
        .find(|l| l.starts_with("MemTotal"))
        .map(|l| {
            l.split_whitespace()
                .nth(1)
                .unwrap_or("0")
                .parse::<u64>()
                .unwrap_or(0)
        })
        .unwrap_or(0);
    json!({
        "nproc": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "cpu": cpu,
        "mem_gib": mem as f64 / 1024.0 / 1024.0,
    })
}

pub fn now_utc() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}
