//! The one subprocess runner used by every tool backend (and helm).
//!
//! Everything that launches an external tool goes through [`run`] (async) or
//! [`run_blocking`], split along its seams: [`spawn`] starts the child, [`read`] waits
//! for it and reads what it wrote, [`kill`] ends it and everything it started. The runner
//! guarantees:
//!
//! * **argv only** – the program is executed directly, never through a shell. A
//!   configured path is used as given: if it does not exist, or is not executable, the
//!   error says exactly that; a bare name is looked up on PATH (`which`).
//! * **stdin is never left dangling** – `Invocation::stdin` is written to the child's stdin
//!   on its own thread and then closed; when it is `None` the child gets `/dev/null`.
//! * **no pipe deadlocks, bounded memory** – stdout and stderr go to unnamed temp files.
//!   Stdout over the limit (default 1 MiB, `[limits] max_answer_bytes`) kills the child at
//!   once and is [`ProcessError::TooLarge`]; only the last `limit` bytes of stderr are kept.
//! * **the answer is read when the tool exits** – whatever its children do. Then its
//!   process group is killed, and so is any process that left the group (`setsid`) but
//!   still holds the tool's output files (found through `/proc`).
//! * **timeouts and cancellation kill the whole process group** – the child leads a new
//!   process group; `kill(-pgid, SIGKILL)` takes down the tool and every grandchild.
//!   Dropping [`run`]'s future cancels the child; [`kill_all_children`] kills every live
//!   one (dockhand's signal handler calls it on SIGINT, SIGTERM and SIGHUP).
//! * **ANSI escapes are stripped** from captured stdout/stderr (whether the raw output
//!   switched to the terminal's alternate screen is remembered in [`Captured::alt_screen`]).
//! * **non-zero exit is not an error** – [`run`] returns a [`Captured`]; the adapter decides
//!   what a failure is (see [`ProcessError::failed`]).

mod ansi;
mod kill;
mod read;
mod spawn;
#[cfg(test)]
pub(crate) mod test_support;
#[cfg(test)]
mod tests;

pub use ansi::has_alt_screen;
pub(crate) use ansi::strip_ansi;
pub use kill::kill_all_children;
pub use read::{DEFAULT_MAX_OUTPUT, run, run_blocking, run_blocking_limited, run_limited};
pub use spawn::resolve;

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// Lines / bytes kept by [`tail`] for error messages.
pub const TAIL_LINES: usize = 20;
pub const TAIL_BYTES: usize = 2048;

/// Default timeout for a tool invocation when the configuration doesn't say.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

// ---------------------------------------------------------------------------------------------
// Configuration shared by the adapters
// ---------------------------------------------------------------------------------------------

/// Per-tool configuration (the lead deserializes it from `dockhand.toml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolConfig {
    /// Path or name of the executable; `None` means the tool's usual name looked up on PATH.
    pub binary: Option<PathBuf>,
    /// Extra arguments inserted by the adapter at a documented position.
    pub extra_args: Vec<String>,
    /// Wall-clock limit for one invocation.
    pub timeout: Duration,
}

impl Default for ToolConfig {
    fn default() -> Self {
        ToolConfig {
            binary: None,
            extra_args: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

impl ToolConfig {
    /// The program to run: the configured binary, or `default_name`.
    pub fn program(&self, default_name: &str) -> String {
        match &self.binary {
            Some(p) => p.to_string_lossy().into_owned(),
            None => default_name.to_string(),
        }
    }
}

/// Whether a tool can be used at all. `Unavailable` is not an error: the broker just moves
/// on to the next backend and tells the user why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    /// Usable; the string is a human detail (usually the version line).
    Available(String),
    /// Not usable; the string says why, in words a user can act on.
    Unavailable(String),
}

impl Availability {
    #[cfg(test)]
    pub fn is_available(&self) -> bool {
        matches!(self, Availability::Available(_))
    }

    /// Availability when running the probe itself failed (binary missing, probe hung...).
    #[cfg(test)]
    pub fn from_probe_error(err: &ProcessError) -> Availability {
        match err {
            ProcessError::NotFound { program } => Availability::Unavailable(format!(
                "`{program}` is not installed (not found on PATH)"
            )),
            ProcessError::NoSuchFile { .. } | ProcessError::NotExecutable { .. } => {
                Availability::Unavailable(err.to_string())
            }
            other => Availability::Unavailable(other.to_string()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Invocation / Captured
// ---------------------------------------------------------------------------------------------

/// One subprocess to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub program: PathBuf,
    pub args: Vec<String>,
    /// Written to the child's stdin, then stdin is closed. `None` → `/dev/null`.
    pub stdin: Option<String>,
    /// Added to (or overriding) the inherited environment.
    pub env: Vec<(String, String)>,
    pub timeout: Duration,
    pub cwd: Option<PathBuf>,
}

impl Invocation {
    pub fn new(program: impl Into<PathBuf>, args: Vec<String>) -> Self {
        Invocation {
            program: program.into(),
            args,
            stdin: None,
            env: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            cwd: None,
        }
    }

    /// Build from a full argv (`argv[0]` is the program). An empty argv yields an
    /// invocation of `""`, which fails with [`ProcessError::NotFound`].
    pub fn from_argv(argv: Vec<String>, timeout: Duration) -> Self {
        let mut it = argv.into_iter();
        let program = it.next().unwrap_or_default();
        Invocation {
            timeout,
            ..Invocation::new(program, it.collect())
        }
    }

    pub fn with_stdin(mut self, stdin: impl Into<String>) -> Self {
        self.stdin = Some(stdin.into());
        self
    }

    pub fn with_env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn with_cwd(mut self, cwd: impl Into<PathBuf>) -> Self {
        self.cwd = Some(cwd.into());
        self
    }

    /// The full argv, program first.
    pub fn argv(&self) -> Vec<String> {
        let mut v = Vec::with_capacity(self.args.len() + 1);
        v.push(self.program.to_string_lossy().into_owned());
        v.extend(self.args.iter().cloned());
        v
    }
}

/// What a finished child produced. Both streams are lossily decoded as UTF-8 and have ANSI
/// escape sequences removed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Captured {
    pub stdout: String,
    pub stderr: String,
    /// Exit code; `None` when the child was terminated by a signal.
    pub status: Option<i32>,
    /// The terminating signal, if any (unix).
    pub signal: Option<i32>,
    pub argv: Vec<String>,
    /// The raw output switched to the terminal's alternate screen (a full-screen TUI).
    pub alt_screen: bool,
    pub elapsed: Duration,
}

impl Captured {
    /// Build from raw bytes: decodes, detects the alternate screen, strips ANSI escapes.
    /// Also what unit tests use to turn a captured fixture into a `Captured`.
    pub fn from_raw(argv: Vec<String>, status: Option<i32>, stdout: &[u8], stderr: &[u8]) -> Self {
        let out = String::from_utf8_lossy(stdout);
        let err = String::from_utf8_lossy(stderr);
        Captured {
            alt_screen: has_alt_screen(&out) || has_alt_screen(&err),
            stdout: strip_ansi(&out),
            stderr: strip_ansi(&err),
            status,
            signal: None,
            argv,
            elapsed: Duration::ZERO,
        }
    }

    /// Exit status 0.
    pub fn success(&self) -> bool {
        self.status == Some(0)
    }

    /// Last [`TAIL_LINES`] lines / [`TAIL_BYTES`] bytes of stderr.
    pub fn stderr_tail(&self) -> String {
        tail(&self.stderr, TAIL_LINES, TAIL_BYTES)
    }

    /// Last lines of stdout.
    pub fn stdout_tail(&self) -> String {
        tail(&self.stdout, TAIL_LINES, TAIL_BYTES)
    }

    /// Tail of stderr, or of stdout when stderr is empty (many tools print errors on stdout).
    pub fn diagnostic_tail(&self) -> String {
        let t = self.stderr_tail();
        if t.trim().is_empty() {
            self.stdout_tail()
        } else {
            t
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Everything that can go wrong running a tool. The `Display` impl holds all the wording;
/// argv is shown shell-quoted (long arguments elided) so a human can re-run it.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("`{program}` not found on PATH")]
    NotFound { program: String },

    /// A configured path (one with a `/`) that does not exist.
    #[error("`{}` does not exist", path.display())]
    NoSuchFile { path: PathBuf },

    /// A configured path that exists but cannot be run.
    #[error("`{}` is not executable", path.display())]
    NotExecutable { path: PathBuf },

    /// The tool wrote more than the limit to stdout; it was killed, nothing was kept.
    #[error("`{}` wrote more than {} to stdout; it was stopped and its answer discarded (raise [limits] max_answer_bytes in dockhand.toml if the answer is meant to be this big)", display_argv(.argv), human_bytes(*.limit))]
    TooLarge { argv: Vec<String>, limit: u64 },

    #[error("could not start `{}`: {source}", display_argv(.argv))]
    Spawn {
        argv: Vec<String>,
        #[source]
        source: io::Error,
    },

    #[error("`{}` did not finish within {}; it was killed together with its process group{}", display_argv(.argv), human_duration(*.after), tail_suffix(.stderr_tail))]
    Timeout {
        argv: Vec<String>,
        after: Duration,
        stderr_tail: String,
        /// Whatever the child had written before it was killed (if it could be collected).
        partial: Option<Box<Captured>>,
    },

    /// Not produced by the runner itself: adapters build it (see [`ProcessError::failed`]).
    #[error("`{}` failed ({}){}", display_argv(.argv), status_text(*.status, *.signal), tail_suffix(.stderr_tail))]
    Failed {
        argv: Vec<String>,
        status: Option<i32>,
        signal: Option<i32>,
        stderr_tail: String,
    },

    #[error("lost track of `{}` while waiting for it: {source}", display_argv(.argv))]
    Wait {
        argv: Vec<String>,
        #[source]
        source: io::Error,
    },

    #[error("`{}` was cancelled and killed", display_argv(.argv))]
    Cancelled { argv: Vec<String> },
}

impl ProcessError {
    /// A `Failed` error describing a finished child (uses stderr's tail, or stdout's when
    /// stderr is empty).
    pub fn failed(c: &Captured) -> ProcessError {
        ProcessError::Failed {
            argv: c.argv.clone(),
            status: c.status,
            signal: c.signal,
            stderr_tail: c.diagnostic_tail(),
        }
    }

    /// The argv of the invocation (empty for `NotFound`).
    pub fn argv(&self) -> &[String] {
        match self {
            ProcessError::NotFound { .. }
            | ProcessError::NoSuchFile { .. }
            | ProcessError::NotExecutable { .. } => &[],
            ProcessError::Spawn { argv, .. }
            | ProcessError::Timeout { argv, .. }
            | ProcessError::Failed { argv, .. }
            | ProcessError::Wait { argv, .. }
            | ProcessError::TooLarge { argv, .. }
            | ProcessError::Cancelled { argv } => argv,
        }
    }

    #[cfg(test)]
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            ProcessError::NotFound { .. }
                | ProcessError::NoSuchFile { .. }
                | ProcessError::NotExecutable { .. }
        )
    }

    #[cfg(test)]
    pub fn is_timeout(&self) -> bool {
        matches!(self, ProcessError::Timeout { .. })
    }

    /// Partial output of a timed-out child.
    pub fn partial(&self) -> Option<&Captured> {
        match self {
            ProcessError::Timeout { partial, .. } => partial.as_deref(),
            _ => None,
        }
    }
}

fn status_text(status: Option<i32>, signal: Option<i32>) -> String {
    match (status, signal) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(sig)) => format!("killed by signal {sig}"),
        (None, None) => "terminated abnormally".to_string(),
    }
}

fn tail_suffix(tail: &str) -> String {
    let t = tail.trim_end();
    if t.trim().is_empty() {
        String::new()
    } else {
        let indented: Vec<String> = t.lines().map(|l| format!("  {l}")).collect();
        format!("; its output ended with:\n{}", indented.join("\n"))
    }
}

fn human_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// `1 MiB`, `512 KiB`, `300 B`.
pub fn human_bytes(n: u64) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

/// Find an executable like the shell would (the `which` crate): a name containing a `/`
/// is checked as-is, otherwise each `PATH` entry is tried.
pub fn which(program: &str) -> Option<PathBuf> {
    if program.is_empty() {
        return None;
    }
    ::which::which(program).ok()
}

// ---------------------------------------------------------------------------------------------
// Shell quoting (for humans) and tails
// ---------------------------------------------------------------------------------------------

/// Quote one argument for a POSIX shell (exact; safe to paste). Hand-written rather than
/// `shlex::try_quote`, which also quotes `--x=1` and so makes argv harder to read.
pub fn shell_quote_arg(arg: &str) -> String {
    let safe = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c));
    if safe {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// Quote a whole argv for a POSIX shell (exact; safe to paste).
#[cfg(test)]
pub fn shell_quote(argv: &[String]) -> String {
    argv.iter()
        .map(|a| shell_quote_arg(a))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Arguments longer than this are elided in error messages.
const DISPLAY_ARG_MAX: usize = 160;

/// argv for error messages: shell-quoted, newlines shown as `\n`, long arguments (prompts)
/// shortened to their beginning plus a character count.
pub fn display_argv(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            let count = a.chars().count();
            let mut s: String = if count > DISPLAY_ARG_MAX {
                let head: String = a.chars().take(DISPLAY_ARG_MAX - 40).collect();
                format!("{head}… [{count} chars]")
            } else {
                a.clone()
            };
            s = s.replace('\n', "\\n");
            shell_quote_arg(&s)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The last `max_lines` lines of `s`, further cut to at most `max_bytes` bytes (on a char
/// boundary). Trailing blank lines are ignored.
pub fn tail(s: &str, max_lines: usize, max_bytes: usize) -> String {
    let trimmed = s.trim_end();
    let lines: Vec<&str> = trimmed.lines().collect();
    let start = lines.len().saturating_sub(max_lines);
    let joined = lines[start..].join("\n");
    if joined.len() <= max_bytes {
        return joined;
    }
    let mut cut = joined.len() - max_bytes;
    while !joined.is_char_boundary(cut) {
        cut += 1;
    }
    format!("…{}", &joined[cut..])
}

/// The last few non-empty lines of a tool's output, joined on one line (for error messages).
pub fn one_line(s: &str) -> String {
    tail(s, 3, 400)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" / ")
}

impl fmt::Display for Availability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Availability::Available(d) if d.is_empty() => write!(f, "available"),
            Availability::Available(d) => write!(f, "available ({d})"),
            Availability::Unavailable(r) => write!(f, "unavailable: {r}"),
        }
    }
}
