//! Running `convert` in a child process with bounded time and memory.
//!
//! Protocol on the child's stdout, one line each:
//!   `PROGRESS done total`, `PGID n` (a process group the child started, e.g. LibreOffice),
//!   `MANIFEST {json}` on success, `ERROR code message` on failure.
//! Anything else is ignored, so stray output cannot confuse the parent.

use crate::process::{ChildLimits, configure, drain, kill_group, wait_until};
use crate::{ConvertError, Format, Manifest, Options, convert};
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Bounds for one supervised conversion.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Wall-clock time; the whole process group is killed after it.
    pub timeout: Duration,
    /// RLIMIT_AS of the child (default 2 GiB).
    pub memory_bytes: u64,
    /// RLIMIT_CPU of the child.
    pub cpu_seconds: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(300),
            memory_bytes: 2 << 30,
            cpu_seconds: 300,
        }
    }
}

/// Longest protocol line we accept (a manifest with the text of 2000 pages fits easily).
const MAX_LINE: u64 = 256 << 20;

static CHILD_MODE: AtomicBool = AtomicBool::new(false);

/// Tells the supervising parent about a process group we started, so that it can kill it
/// too if we die. Does nothing outside `child_main`.
pub(crate) fn announce_group(pgid: u32) {
    if CHILD_MODE.load(Ordering::Relaxed) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "PGID {pgid}");
        let _ = out.flush();
    }
}

/// The child side: runs [`convert`] and prints the protocol lines. Returns the exit code.
pub fn child_main(input: &Path, format: Format, opts: &Options, out_dir: &Path) -> i32 {
    CHILD_MODE.store(true, Ordering::Relaxed);
    {
        // End any partial line something else left on stdout, so ours start clean.
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out);
        let _ = out.flush();
    }
    let mut progress = |done: u32, total: u32| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "PROGRESS {done} {total}");
        let _ = out.flush();
    };
    let result = convert(input, format, opts, out_dir, &mut progress);
    let mut out = std::io::stdout().lock();
    let code = match result.and_then(|m| {
        serde_json::to_string(&m)
            .map_err(|e| ConvertError::Crashed(format!("The result could not be encoded ({e}).")))
    }) {
        Ok(json) => {
            let _ = writeln!(out, "MANIFEST {json}");
            0
        }
        Err(e) => {
            let message = e.to_string().replace(['\n', '\r'], " ");
            let _ = writeln!(out, "ERROR {} {message}", e.code());
            1
        }
    };
    let _ = out.flush();
    code
}

/// Reads lines of at most `MAX_LINE` bytes; longer ones are skipped whole.
fn read_lines(stdout: impl Read + Send + 'static, tx: mpsc::Sender<String>) {
    let mut reader = BufReader::new(stdout);
    loop {
        let mut buf = Vec::new();
        match reader.by_ref().take(MAX_LINE).read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if !buf.ends_with(b"\n") && buf.len() as u64 >= MAX_LINE {
            // Skip the rest of an overlong line.
            let mut sink = Vec::new();
            loop {
                sink.clear();
                match reader.by_ref().take(1 << 20).read_until(b'\n', &mut sink) {
                    Ok(0) | Err(_) => return,
                    Ok(_) if sink.ends_with(b"\n") => break,
                    Ok(_) => {}
                }
            }
            continue;
        }
        let line = String::from_utf8_lossy(&buf).trim_end().to_string();
        if tx.send(line).is_err() {
            return;
        }
    }
}

#[derive(Default)]
struct Outcome {
    manifest: Option<Result<Manifest, ConvertError>>,
    error: Option<ConvertError>,
    groups: Vec<u32>,
}

impl Outcome {
    fn line(&mut self, line: &str, progress: &mut dyn FnMut(u32, u32)) {
        let (head, rest) = line.split_once(' ').unwrap_or((line, ""));
        match head {
            "PROGRESS" => {
                let mut nums = rest
                    .split_whitespace()
                    .filter_map(|n| n.parse::<u32>().ok());
                if let (Some(done), Some(total)) = (nums.next(), nums.next()) {
                    progress(done, total);
                }
            }
            "PGID" => {
                if let Ok(pgid) = rest.trim().parse::<u32>() {
                    self.groups.push(pgid);
                }
            }
            "MANIFEST" => {
                self.manifest = Some(serde_json::from_str(rest).map_err(|e| {
                    ConvertError::Crashed(format!(
                        "The converter returned an unreadable result ({e})."
                    ))
                }));
            }
            "ERROR" => {
                let (code, message) = rest.split_once(' ').unwrap_or((rest, ""));
                self.error = Some(ConvertError::from_code(code, message.trim()));
            }
            _ => {}
        }
    }

    fn kill_groups(&self) {
        for &g in &self.groups {
            kill_group(g);
        }
    }
}

/// Spawns `exe args` in its own process group under `limits`, relays progress and returns
/// the child's manifest or error. On timeout the whole group is killed.
pub fn run_supervised(
    exe: &Path,
    args: &[OsString],
    limits: &Limits,
    progress: &mut dyn FnMut(u32, u32),
) -> Result<Manifest, ConvertError> {
    let mut cmd = Command::new(exe);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    configure(
        &mut cmd,
        ChildLimits {
            memory_bytes: limits.memory_bytes,
            cpu_seconds: limits.cpu_seconds,
        },
    );
    let deadline = Instant::now() + limits.timeout;
    let mut child = cmd.spawn()?;
    let pgid = child.id();
    let (tx, rx) = mpsc::channel();
    let reader = child
        .stdout
        .take()
        .map(|out| std::thread::spawn(move || read_lines(out, tx)));
    let stderr = child.stderr.take().map(|err| drain(err, 16 * 1024));

    let mut outcome = Outcome::default();
    let mut exited_at: Option<Instant> = None;
    let timed_out = loop {
        let now = Instant::now();
        if now >= deadline {
            break true;
        }
        match rx.recv_timeout((deadline - now).min(Duration::from_millis(100))) {
            Ok(line) => outcome.line(&line, progress),
            Err(mpsc::RecvTimeoutError::Disconnected) => break false,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                // The child may be gone while something it left behind holds stdout open.
                if exited_at.is_none() && matches!(child.try_wait(), Ok(Some(_))) {
                    exited_at = Some(now);
                }
                if exited_at.is_some_and(|t| now - t > Duration::from_millis(500)) {
                    break false;
                }
            }
        }
    };
    if timed_out {
        kill_group(pgid);
        let _ = child.kill();
        let _ = child.wait();
        outcome.kill_groups();
        return Err(ConvertError::Timeout);
    }
    let status = match wait_until(&mut child, deadline)? {
        Some(s) => s,
        None => {
            outcome.kill_groups();
            return Err(ConvertError::Timeout);
        }
    };
    // Leftovers of the child's group would keep the pipe open.
    kill_group(pgid);
    // The reader is not joined: a process that escaped the group could hold the pipe
    // forever. Take what it has already read, waiting briefly for the tail.
    drop(reader);
    let grace = Instant::now() + Duration::from_millis(300);
    while let Ok(line) = rx.recv_timeout(grace.saturating_duration_since(Instant::now())) {
        outcome.line(&line, progress);
    }
    let stderr = stderr.and_then(|h| h.join().ok()).unwrap_or_default();
    let stderr = String::from_utf8_lossy(&stderr);

    if status.success() {
        return match (outcome.manifest, outcome.error) {
            (Some(m), _) => m,
            (None, Some(e)) => Err(e),
            (None, None) => Err(ConvertError::Crashed(
                "The converter finished without a result.".into(),
            )),
        };
    }
    outcome.kill_groups();
    if let Some(e) = outcome.error {
        return Err(e);
    }
    if stderr.contains("memory allocation of") {
        return Err(ConvertError::TooLarge(
            "The document needs more memory than this server allows for one conversion.".into(),
        ));
    }
    Err(match status.signal() {
        Some(libc::SIGXCPU) => ConvertError::Timeout,
        Some(sig) => ConvertError::Crashed(format!("The converter crashed (signal {sig}).")),
        None => ConvertError::Crashed(format!(
            "The converter failed (exit status {}).",
            status.code().unwrap_or(-1)
        )),
    })
}
