//! Child-process plumbing shared by the LibreOffice runner and the supervisor: an own
//! process group (so a kill reaches grandchildren too), death with the parent, rlimits,
//! and pipe draining that cannot block the child.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Default)]
pub(crate) struct ChildLimits {
    /// RLIMIT_AS in bytes (0 = unchanged).
    pub memory_bytes: u64,
    /// RLIMIT_CPU in seconds (0 = unchanged).
    pub cpu_seconds: u64,
}

/// Makes the command start in its own process group, die if the spawning thread dies,
/// and run under `limits`.
pub(crate) fn configure(cmd: &mut Command, limits: ChildLimits) {
    // SAFETY: the closure runs between fork and exec and only makes async-signal-safe
    // system calls (setpgid, prctl, setrlimit) on values captured by copy; no allocation.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setpgid(0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            #[cfg(target_os = "linux")]
            libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGKILL as libc::c_ulong,
                0,
                0,
                0,
            );
            if limits.memory_bytes > 0 {
                let lim = libc::rlimit {
                    rlim_cur: limits.memory_bytes as libc::rlim_t,
                    rlim_max: limits.memory_bytes as libc::rlim_t,
                };
                libc::setrlimit(libc::RLIMIT_AS, &lim);
            }
            if limits.cpu_seconds > 0 {
                // Soft limit sends SIGXCPU; the hard limit a little later SIGKILL.
                let lim = libc::rlimit {
                    rlim_cur: limits.cpu_seconds as libc::rlim_t,
                    rlim_max: (limits.cpu_seconds + 5) as libc::rlim_t,
                };
                libc::setrlimit(libc::RLIMIT_CPU, &lim);
            }
            Ok(())
        });
    }
}

/// SIGKILL to a whole process group.
pub(crate) fn kill_group(pgid: u32) {
    if pgid > 1 {
        // SAFETY: plain system call; a group that no longer exists gives ESRCH, which is fine.
        unsafe {
            libc::killpg(pgid as libc::pid_t, libc::SIGKILL);
        }
    }
}

/// Reads a pipe to its end on a thread, keeping only the last `cap` bytes.
pub(crate) fn drain<R: Read + Send + 'static>(mut r: R, cap: usize) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            match r.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    kept.extend_from_slice(&buf[..n]);
                    if kept.len() > cap * 2 {
                        kept.drain(..kept.len() - cap);
                    }
                }
            }
        }
        if kept.len() > cap {
            kept.drain(..kept.len() - cap);
        }
        kept
    })
}

/// Waits for `child` until `deadline`; on timeout kills its process group and returns None.
pub(crate) fn wait_until(
    child: &mut Child,
    deadline: Instant,
) -> std::io::Result<Option<ExitStatus>> {
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        let now = Instant::now();
        if now >= deadline {
            kill_group(child.id());
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(20)));
    }
}
