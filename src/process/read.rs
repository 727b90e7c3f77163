//! Waiting for a child and reading what it wrote, with bounded memory: the answer is
//! read when the tool exits (whatever its children do), at most `limit` bytes of it; a
//! tool that writes more is killed at once.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::ansi::asks_for_input;
use super::spawn::{Spawned, spawn};
use super::{Captured, Invocation, ProcessError};

/// Granularity of the wait loop (exit, cancellation, size and question checks).
const POLL_SLICE: Duration = Duration::from_millis(50);

/// How long output must be idle, ending in a question, before the child counts as stuck.
const INPUT_IDLE: Duration = Duration::from_millis(1500);

/// The default limit on a tool's answer (stdout), and on the stderr kept (its last bytes).
pub const DEFAULT_MAX_OUTPUT: u64 = 1024 * 1024;

/// Run on a blocking thread (`spawn_blocking`) so the async runtime keeps going, with the
/// default output limit. Dropping the returned future kills the child's process group.
pub async fn run(inv: Invocation) -> Result<Captured, ProcessError> {
    run_limited(inv, DEFAULT_MAX_OUTPUT).await
}

/// [`run`] with an explicit limit on stdout (`[limits] max_answer_bytes`).
pub async fn run_limited(inv: Invocation, limit: u64) -> Result<Captured, ProcessError> {
    let argv = inv.argv();
    let cancel = Arc::new(AtomicBool::new(false));
    let mut guard = CancelOnDrop {
        flag: cancel.clone(),
        armed: true,
    };
    let flag = cancel.clone();
    let joined = tokio::task::spawn_blocking(move || run_with_cancel(&inv, limit, &flag)).await;
    guard.armed = false;
    match joined {
        Ok(result) => result,
        Err(e) => Err(ProcessError::Wait {
            argv,
            source: io::Error::other(e.to_string()),
        }),
    }
}

struct CancelOnDrop {
    flag: Arc<AtomicBool>,
    armed: bool,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if self.armed {
            self.flag.store(true, Ordering::SeqCst);
        }
    }
}

/// Run and wait on the current thread, with the default output limit.
pub fn run_blocking(inv: &Invocation) -> Result<Captured, ProcessError> {
    run_blocking_limited(inv, DEFAULT_MAX_OUTPUT)
}

/// Run and wait on the current thread, with an explicit limit on stdout.
pub fn run_blocking_limited(inv: &Invocation, limit: u64) -> Result<Captured, ProcessError> {
    run_with_cancel(inv, limit, &Arc::new(AtomicBool::new(false)))
}

fn run_with_cancel(
    inv: &Invocation,
    limit: u64,
    cancel: &AtomicBool,
) -> Result<Captured, ProcessError> {
    let argv = inv.argv();
    let mut sp = spawn(inv)?;
    let deadline = sp.started + inv.timeout;
    let mut watch = InputWatch::default();
    let exit = ExitWatch::new(&sp.child);
    loop {
        match sp.child.try_wait() {
            Ok(Some(status)) => {
                // The tool is done: its answer is complete now. Whatever it left behind
                // (in its group, or detached but holding its output) is killed.
                sp.registered.kill();
                let mut c = collect(&sp, limit)?;
                c.status = status.code();
                c.signal = std::os::unix::process::ExitStatusExt::signal(&status);
                if cancel.load(Ordering::SeqCst) {
                    return Err(ProcessError::Cancelled { argv });
                }
                return Ok(c);
            }
            Ok(None) => {}
            Err(source) => {
                stop(&mut sp);
                return Err(ProcessError::Wait { argv, source });
            }
        }
        if cancel.load(Ordering::SeqCst) {
            stop(&mut sp);
            return Err(ProcessError::Cancelled { argv });
        }
        let written = sp.stdout.metadata().map(|m| m.len()).unwrap_or(0);
        if written > limit {
            stop(&mut sp);
            return Err(ProcessError::TooLarge { argv, limit });
        }
        let waiting = watch.waiting_for_input(&sp.stdout, written);
        if waiting || Instant::now() >= deadline {
            stop(&mut sp);
            let partial = collect(&sp, limit).ok();
            return Err(ProcessError::Timeout {
                argv,
                after: if waiting {
                    sp.started.elapsed()
                } else {
                    inv.timeout
                },
                stderr_tail: partial
                    .as_ref()
                    .map(Captured::diagnostic_tail)
                    .unwrap_or_default(),
                partial: partial.map(Box::new),
            });
        }
        exit.wait(POLL_SLICE.min(deadline.saturating_duration_since(Instant::now())));
    }
}

/// Waits between the loop's checks, waking at once when the child exits (a pidfd polled
/// for readability, Linux 5.3+), so a tool that runs 30 ms is answered in 30 ms, not at
/// the next 50 ms slice. Without a pidfd it sleeps the slice.
struct ExitWatch {
    #[cfg(target_os = "linux")]
    pidfd: Option<std::os::fd::OwnedFd>,
}

impl ExitWatch {
    fn new(child: &std::process::Child) -> ExitWatch {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::FromRawFd;
            // SAFETY: pidfd_open(2) takes a pid and flags and returns a new descriptor
            // (or -1); the child is not reaped before this runner's own `try_wait`.
            let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, child.id() as libc::pid_t, 0) };
            let pidfd = (fd >= 0).then(|| {
                // SAFETY: a fresh descriptor owned by nothing else.
                unsafe { std::os::fd::OwnedFd::from_raw_fd(fd as i32) }
            });
            ExitWatch { pidfd }
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = child;
            ExitWatch {}
        }
    }

    /// Sleep `slice`, or less if the child exits meanwhile.
    fn wait(&self, slice: Duration) {
        #[cfg(target_os = "linux")]
        if let Some(fd) = &self.pidfd {
            use std::os::fd::AsRawFd;
            let mut p = libc::pollfd {
                fd: fd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            let ms = slice.as_millis().min(i32::MAX as u128) as i32;
            // SAFETY: one valid pollfd for the duration of the call.
            if unsafe { libc::poll(&mut p, 1, ms) } >= 0 {
                return;
            }
        }
        std::thread::sleep(slice);
    }
}

/// Kill the group (and detached holders) and reap the direct child.
fn stop(sp: &mut Spawned) {
    sp.registered.kill();
    let _ = sp.child.kill();
    let _ = sp.child.wait();
}

/// What the child wrote: stdout whole (over `limit` is an error), stderr's last `limit`
/// bytes.
fn collect(sp: &Spawned, limit: u64) -> Result<Captured, ProcessError> {
    let argv = sp.argv.clone();
    let mut out = Vec::new();
    let mut f = &sp.stdout;
    f.seek(SeekFrom::Start(0))
        .and_then(|_| f.take(limit + 1).read_to_end(&mut out))
        .map_err(|source| ProcessError::Wait {
            argv: argv.clone(),
            source,
        })?;
    if out.len() as u64 > limit {
        return Err(ProcessError::TooLarge { argv, limit });
    }
    let err = read_tail(&sp.stderr, limit).unwrap_or_default();
    let mut c = Captured::from_raw(argv, None, &out, &err);
    c.elapsed = sp.started.elapsed();
    Ok(c)
}

/// The last `max` bytes of a file.
fn read_tail(f: &File, max: u64) -> io::Result<Vec<u8>> {
    let len = f.metadata()?.len();
    let start = len.saturating_sub(max);
    let mut buf = vec![0; (len - start) as usize];
    f.read_exact_at(&mut buf, start)?;
    Ok(buf)
}

/// Watches a child's stdout for a question it is waiting to have answered.
#[derive(Default)]
struct InputWatch {
    len: u64,
    changed_at: Option<Instant>,
}

impl InputWatch {
    fn waiting_for_input(&mut self, f: &File, len: u64) -> bool {
        if len != self.len || self.changed_at.is_none() {
            self.len = len;
            self.changed_at = Some(Instant::now());
            return false;
        }
        if self.changed_at.is_some_and(|t| t.elapsed() < INPUT_IDLE) || len == 0 {
            return false;
        }
        let Ok(bytes) = read_tail(f, 4096) else {
            return false;
        };
        asks_for_input(&String::from_utf8_lossy(&bytes))
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::ExitWatch;
    use std::time::{Duration, Instant};

    #[test]
    fn a_quick_tool_is_answered_when_it_exits_not_at_the_next_poll_slice() {
        // The wait wakes when the child exits (after 50 ms), not at the end of the
        // slice it was given: 60 s here, so the margin holds on any loaded machine.
        let mut child = std::process::Command::new("sh")
            .args(["-c", "sleep 0.05"])
            .spawn()
            .unwrap();
        let exit = ExitWatch::new(&child);
        let t = Instant::now();
        exit.wait(Duration::from_secs(60));
        let waited = t.elapsed();
        assert!(child.wait().unwrap().success());
        assert!(waited < Duration::from_secs(30), "{waited:?}");
    }
}
