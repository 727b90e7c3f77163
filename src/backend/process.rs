//! The one subprocess runner used by every tool backend.
//!
//! Everything that launches an external AI tool goes through [`run`] (async) or
//! [`run_blocking`]. The runner guarantees:
//!
//! * **argv only** – the program is executed directly, never through a shell.
//! * **stdin is never left dangling** – `Invocation::stdin` is written to the child's stdin
//!   and then closed; when it is `None` the child gets `/dev/null`, so a tool that waits on
//!   stdin sees EOF instead of hanging.
//! * **no pipe deadlocks** – stdout and stderr are drained concurrently by duct's capture
//!   threads, so a child flooding stderr (megabytes) cannot block.
//! * **timeouts kill the whole process group** – on unix the child is spawned as the leader
//!   of a new process group; on timeout (or cancellation) `kill(-pgid, SIGKILL)` takes down
//!   the child *and* every grandchild it left in the group, so the inherited pipes close
//!   and the runner returns promptly.
//! * **leftovers are reaped too** – if the child exits but something it started keeps our
//!   stdout/stderr pipes open, the group is killed after [`ORPHAN_GRACE`].
//! * **ANSI escapes are stripped** from captured stdout/stderr (whether the raw output
//!   switched to the terminal's alternate screen is remembered in [`Captured::alt_screen`]).
//! * **non-zero exit is not an error** – [`run`] returns a [`Captured`]; the adapter decides
//!   what a failure is (see [`ProcessError::failed`]).
//! * [`run`] executes on `tokio::task::spawn_blocking`; dropping its future cancels the
//!   child (the group is killed). Children live in their own process group, so a
//!   terminal's Ctrl-C reaches dockhand only, which cancels the future and so the child.

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long the runner keeps waiting for the stdout/stderr pipes to close after the direct
/// child has exited, before it kills the rest of the child's process group.
pub const ORPHAN_GRACE: Duration = Duration::from_millis(500);

/// After a kill, how long we wait for the capture threads to hand back partial output.
const KILL_GRACE: Duration = Duration::from_secs(3);

/// Granularity of the wait loop (cancellation / orphan checks).
const POLL_SLICE: Duration = Duration::from_millis(50);

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
    pub fn is_available(&self) -> bool {
        matches!(self, Availability::Available(_))
    }

    /// Availability when running the probe itself failed (binary missing, probe hung...).
    pub fn from_probe_error(err: &ProcessError) -> Availability {
        match err {
            ProcessError::NotFound { program } => Availability::Unavailable(format!(
                "`{program}` is not installed (not found on PATH)"
            )),
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
    #[error(
        "`{program}` was not found: it is not on PATH or not executable (install it, or set its path in dockhand.toml)"
    )]
    NotFound { program: String },

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
            ProcessError::NotFound { .. } => &[],
            ProcessError::Spawn { argv, .. }
            | ProcessError::Timeout { argv, .. }
            | ProcessError::Failed { argv, .. }
            | ProcessError::Wait { argv, .. }
            | ProcessError::Cancelled { argv } => argv,
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, ProcessError::NotFound { .. })
    }

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

// ---------------------------------------------------------------------------------------------
// Shell quoting (for humans) and tails
// ---------------------------------------------------------------------------------------------

/// Quote one argument for a POSIX shell (exact; safe to paste).
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

// ---------------------------------------------------------------------------------------------
// ANSI stripping
// ---------------------------------------------------------------------------------------------

/// Does raw terminal output switch to the alternate screen (full-screen TUI)?
pub fn has_alt_screen(raw: &str) -> bool {
    ["\x1b[?1049h", "\x1b[?1047h", "\x1b[?47h"]
        .iter()
        .any(|seq| raw.contains(seq))
}

/// Remove ANSI/VT escape sequences and terminal control noise from captured output:
///
/// * CSI (`ESC [ … final`, also the 8-bit `U+009B`), OSC (`ESC ] … BEL|ST`),
///   DCS/SOS/PM/APC strings (`ESC P|X|^|_ … ST`), charset designations (`ESC ( B`) and
///   other two-byte escapes (`ESC 7`, `ESC =`, …);
/// * BEL and other C0 controls except `\t` and `\n`;
/// * `\r\n` becomes `\n`; a lone `\r` (spinner / progress redraw) keeps only the last
///   non-empty segment of the line, which is what the terminal would end up showing.
pub(crate) fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => match chars.next() {
                Some('[') => skip_csi(&mut chars),
                Some(']') | Some('P') | Some('X') | Some('^') | Some('_') => {
                    skip_string(&mut chars)
                }
                Some(c2) if ('\x20'..='\x2f').contains(&c2) => {
                    // ESC intermediate(s) final, e.g. ESC ( B
                    while let Some(&n) = chars.peek() {
                        chars.next();
                        if !('\x20'..='\x2f').contains(&n) {
                            break;
                        }
                    }
                }
                Some(_) | None => {}
            },
            '\u{9b}' => skip_csi(&mut chars),
            '\n' | '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\x7f' => {}
            c => out.push(c),
        }
    }
    if !out.contains('\r') {
        return out;
    }
    let normalized = out.replace("\r\n", "\n");
    normalized
        .split('\n')
        .map(|line| {
            if line.contains('\r') {
                line.split('\r').rfind(|seg| !seg.is_empty()).unwrap_or("")
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    // parameters / intermediates 0x20..=0x3f, final byte 0x40..=0x7e
    for n in chars.by_ref() {
        if ('\x40'..='\x7e').contains(&n) {
            break;
        }
        if !('\x20'..='\x3f').contains(&n) {
            break; // malformed: drop what we have
        }
    }
}

fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    // terminated by BEL or ST (ESC \)
    while let Some(n) = chars.next() {
        if n == '\x07' || n == '\u{9c}' {
            break;
        }
        if n == '\x1b' {
            if chars.peek() == Some(&'\\') {
                chars.next();
            }
            break;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// PATH lookup
// ---------------------------------------------------------------------------------------------

/// Find an executable like the shell would: a name containing a path separator is checked
/// as-is, otherwise each `PATH` entry is tried. Used for availability checks.
pub fn which(program: &str) -> Option<PathBuf> {
    if program.is_empty() {
        return None;
    }
    let p = Path::new(program);
    if p.components().count() > 1 || program.contains('/') {
        return is_executable(p).then(|| p.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        if dir.as_os_str().is_empty() {
            continue; // an empty entry means "." – never trust it implicitly
        }
        let candidate = dir.join(program);
        if is_executable(&candidate) {
            return Some(candidate);
        }
        #[cfg(windows)]
        for ext in ["exe", "cmd", "bat"] {
            let c = candidate.with_extension(ext);
            if is_executable(&c) {
                return Some(c);
            }
        }
    }
    None
}

fn is_executable(p: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(p) else {
        return false;
    };
    if !meta.is_file() {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        true
    }
}

// ---------------------------------------------------------------------------------------------
// Process groups (unix)
// ---------------------------------------------------------------------------------------------

#[cfg(unix)]
mod sys {
    unsafe extern "C" {
        fn kill(pid: i32, sig: i32) -> i32;
    }

    pub const SIGKILL: i32 = 9;
    const ESRCH: i32 = 3;

    /// SIGKILL every process in the group `pgid`.
    pub fn kill_group(pgid: i32) {
        if pgid > 1 {
            // SAFETY: plain syscall wrapper; a negative pid addresses the process group.
            unsafe {
                kill(-pgid, SIGKILL);
            }
        }
    }

    /// Is there still a process with this pid (zombies count)? False once it was reaped.
    pub fn process_exists(pid: i32) -> bool {
        if pid <= 1 {
            return true;
        }
        // SAFETY: signal 0 only performs the existence/permission check.
        let r = unsafe { kill(pid, 0) };
        r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(ESRCH)
    }
}

#[cfg(not(unix))]
mod sys {
    pub fn kill_group(_pgid: i32) {}
    pub fn process_exists(_pid: i32) -> bool {
        true
    }
}

// ---------------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------------

/// Run on a blocking thread (`spawn_blocking`) so the async runtime keeps going. Dropping
/// the returned future kills the child's process group.
pub async fn run(inv: Invocation) -> Result<Captured, ProcessError> {
    let argv = inv.argv();
    let cancel = Arc::new(AtomicBool::new(false));
    let mut guard = CancelOnDrop {
        flag: cancel.clone(),
        armed: true,
    };
    let flag = cancel.clone();
    let joined = tokio::task::spawn_blocking(move || run_with_cancel(&inv, &flag)).await;
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

/// The last few non-empty lines of a tool's output, joined on one line (for error messages).
pub fn one_line(s: &str) -> String {
    tail(s, 3, 400)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" / ")
}

/// A temp file for a child's stdout, removed when dropped.
struct TempOut {
    path: PathBuf,
}

impl TempOut {
    fn new() -> TempOut {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let n = SEQ.fetch_add(1, Ordering::Relaxed);
        TempOut {
            path: std::env::temp_dir().join(format!("dockhand-out-{}-{n}", std::process::id())),
        }
    }
}

impl Drop for TempOut {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// How long output must be idle, ending in a question, before the child counts as stuck.
const INPUT_IDLE: Duration = Duration::from_millis(1500);

/// Watches a child's stdout for a question it is waiting to have answered.
#[derive(Default)]
struct InputWatch {
    len: u64,
    changed_at: Option<Instant>,
}

impl InputWatch {
    fn waiting_for_input(&mut self, path: &Path) -> bool {
        let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        if len != self.len || self.changed_at.is_none() {
            self.len = len;
            self.changed_at = Some(Instant::now());
            return false;
        }
        if self.changed_at.is_some_and(|t| t.elapsed() < INPUT_IDLE) || len == 0 {
            return false;
        }
        let Ok(bytes) = std::fs::read(path) else {
            return false;
        };
        let raw = String::from_utf8_lossy(&bytes[bytes.len().saturating_sub(4096)..]).into_owned();
        asks_for_input(&raw)
    }
}

/// Does this output end in a prompt for input (or open a full-screen UI)?
pub fn asks_for_input(raw: &str) -> bool {
    if has_alt_screen(raw) {
        return true;
    }
    let text = strip_ansi(raw);
    // The question is on one of the last few lines (a menu of choices may follow it).
    text.lines()
        .rev()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(4)
        .any(|line| {
            let lower = line.to_ascii_lowercase();
            [
                "[y/n",
                "(y/n",
                "(yes/no)",
                "do you want to proceed",
                "would you like to apply",
                "approve?",
            ]
            .iter()
            .any(|p| lower.contains(p))
        })
}

/// Run and wait on the current thread.
pub fn run_blocking(inv: &Invocation) -> Result<Captured, ProcessError> {
    run_with_cancel(inv, &Arc::new(AtomicBool::new(false)))
}

fn run_with_cancel(inv: &Invocation, cancel: &Arc<AtomicBool>) -> Result<Captured, ProcessError> {
    let argv = inv.argv();
    if inv.program.as_os_str().is_empty() {
        return Err(ProcessError::NotFound {
            program: String::new(),
        });
    }
    if let Some(cwd) = &inv.cwd
        && !cwd.is_dir()
    {
        return Err(ProcessError::Spawn {
            argv,
            source: io::Error::new(
                io::ErrorKind::NotFound,
                format!("working directory {} does not exist", cwd.display()),
            ),
        });
    }

    let args: Vec<OsString> = inv.args.iter().map(OsString::from).collect();
    // duct treats a bare `Path` like "cat" as "./cat"; an OsString is looked up on PATH.
    let program: OsString = inv.program.clone().into_os_string();
    // stdout goes to a temp file the poll loop can watch, so a tool that stops to ask a
    // question (stdin is never a terminal here) is caught at once, not at the timeout.
    let stdout_file = TempOut::new();
    let mut expr = duct::cmd(program, args)
        .stdout_path(&stdout_file.path)
        .stderr_capture()
        .unchecked();
    expr = match &inv.stdin {
        Some(s) => expr.stdin_bytes(s.as_bytes().to_vec()),
        None => expr.stdin_null(),
    };
    for (k, v) in &inv.env {
        expr = expr.env(k, v);
    }
    if let Some(cwd) = &inv.cwd {
        expr = expr.dir(cwd);
    }
    #[cfg(unix)]
    {
        expr = expr.before_spawn(|cmd| {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
            Ok(())
        });
    }

    let started = Instant::now();
    let handle = match expr.start() {
        Ok(h) => h,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(ProcessError::NotFound {
                program: inv.program.to_string_lossy().into_owned(),
            });
        }
        Err(e) => return Err(ProcessError::Spawn { argv, source: e }),
    };

    let pid = handle.pids().first().copied().unwrap_or(0) as i32;
    let deadline = started + inv.timeout;
    let mut watch = InputWatch::default();
    let mut child_gone_at: Option<Instant> = None;

    let to_captured = |out: &std::process::Output| {
        let stdout = std::fs::read(&stdout_file.path).unwrap_or_default();
        let mut c = Captured::from_raw(argv.clone(), out.status.code(), &stdout, &out.stderr);
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            c.signal = out.status.signal();
        }
        c.elapsed = started.elapsed();
        c
    };

    // Kill the group, then collect whatever the capture threads got.
    let kill_and_collect = |handle: &duct::Handle| -> Option<Box<Captured>> {
        sys::kill_group(pid);
        let _ = handle.kill();
        match handle.wait_timeout(KILL_GRACE) {
            Ok(Some(out)) => Some(Box::new(to_captured(out))),
            _ => None,
        }
    };

    loop {
        let now = Instant::now();
        let slice_end = (now + POLL_SLICE).min(deadline);
        match handle.wait_deadline(slice_end) {
            // A child that died because we killed it on request is "cancelled", not "done".
            Ok(Some(_)) if cancel.load(Ordering::SeqCst) => {
                return Err(ProcessError::Cancelled { argv });
            }
            Ok(Some(out)) => return Ok(to_captured(out)),
            Ok(None) => {}
            Err(e) => {
                sys::kill_group(pid);
                return Err(ProcessError::Wait { argv, source: e });
            }
        }

        if cancel.load(Ordering::SeqCst) {
            let _ = kill_and_collect(&handle);
            return Err(ProcessError::Cancelled { argv });
        }

        let waiting = watch.waiting_for_input(&stdout_file.path);
        if waiting || Instant::now() >= deadline {
            let partial = kill_and_collect(&handle);
            let stderr_tail = partial
                .as_ref()
                .map(|c| c.diagnostic_tail())
                .unwrap_or_default();
            return Err(ProcessError::Timeout {
                argv,
                after: if waiting {
                    started.elapsed()
                } else {
                    inv.timeout
                },
                stderr_tail,
                partial,
            });
        }

        // The direct child is gone (reaped) but the pipes are still open: something it
        // started holds them. Give it a moment, then kill the rest of the group.
        if !sys::process_exists(pid) {
            let gone = *child_gone_at.get_or_insert_with(Instant::now);
            if gone.elapsed() >= ORPHAN_GRACE {
                sys::kill_group(pid);
                match handle.wait_timeout(KILL_GRACE) {
                    Ok(Some(out)) => return Ok(to_captured(out)),
                    Ok(None) => {
                        let stderr_tail = String::new();
                        return Err(ProcessError::Timeout {
                            argv,
                            after: started.elapsed(),
                            stderr_tail,
                            partial: None,
                        });
                    }
                    Err(e) => return Err(ProcessError::Wait { argv, source: e }),
                }
            }
        }
    }
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

// ---------------------------------------------------------------------------------------------
// Test support shared by the adapters' unit tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    pub fn cfg() -> ToolConfig {
        ToolConfig::default()
    }

    pub fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    /// The repository root.
    pub fn repo_root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    pub fn fake_bin(name: &str) -> PathBuf {
        repo_root().join("tests/fake-bin").join(name)
    }

    pub fn fixture(name: &str) -> String {
        let p = repo_root().join("tests/fixtures/tool-output").join(name);
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()))
    }

    /// A finished child that printed the fixture `stdout` (and `stderr`) and exited `status`.
    pub fn captured(argv: &[&str], status: i32, stdout: &str, stderr: &str) -> Captured {
        Captured::from_raw(
            argv.iter().map(|s| s.to_string()).collect(),
            Some(status),
            stdout.as_bytes(),
            stderr.as_bytes(),
        )
    }

    /// Run a fake tool: `argv[0]` is replaced by the fake's path; `env` selects its mode.
    pub fn run_fake(
        argv: Vec<String>,
        env: &[(&str, &str)],
        timeout: Duration,
    ) -> Result<Captured, ProcessError> {
        let mut inv = Invocation::from_argv(argv, timeout);
        let name = inv.program.to_string_lossy().into_owned();
        let name = Path::new(&name)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        inv.program = fake_bin(&name);
        for (k, v) in env {
            inv = inv.with_env(*k, *v);
        }
        run_blocking(&inv)
    }

    /// A unique temp file path for FAKE_LOG.
    pub fn temp_log(tag: &str) -> PathBuf {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("dockhand-{tag}-{}-{n}.log", std::process::id()));
        let _ = std::fs::remove_file(&p);
        p
    }

    /// The argv blocks a fake wrote to FAKE_LOG (one Vec per invocation, argv[0] first).
    pub fn logged_argvs(log: &Path) -> Vec<Vec<String>> {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let mut out = Vec::new();
        let mut cur: Option<Vec<String>> = None;
        for line in text.lines() {
            match (&mut cur, line) {
                (Some(_), "--- end argv ---") => out.push(cur.take().unwrap()),
                (Some(v), l) => v.push(l.to_string()),
                (None, l)
                    if !l.starts_with("--- ")
                        && ["docker", "kubectl-ai", "kagent"].contains(&l) =>
                {
                    cur = Some(vec![l.to_string()])
                }
                _ => {}
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    use super::test_support::{fake_bin as fake, repo_root};

    fn sh(script: &str) -> Invocation {
        Invocation::new("sh", vec!["-c".into(), script.into()])
            .with_timeout(Duration::from_secs(20))
    }

    #[test]
    fn strip_ansi_removes_sequences() {
        let raw = "\x1b[1;32mgreen\x1b[0m plain \x1b]8;;http://x\x07link\x1b]8;;\x07 \x1b(Bdone\x1b[?25l\x1b[2K";
        assert_eq!(strip_ansi(raw), "green plain link done");
        assert_eq!(strip_ansi("a\r\nb\r\n"), "a\nb\n");
        assert_eq!(
            strip_ansi("⠋ thinking\r⠙ thinking\r\x1b[Kanswer\nnext"),
            "answer\nnext"
        );
        assert_eq!(
            strip_ansi("bell\x07 and \u{9b}31mcsi8\u{9b}0m"),
            "bell and csi8"
        );
        assert_eq!(strip_ansi("tab\tkept"), "tab\tkept");
        assert_eq!(strip_ansi("trailing cr\r"), "trailing cr");
    }

    #[test]
    fn alt_screen_detected() {
        let c = Captured::from_raw(vec![], Some(0), b"\x1b[?1049h\x1b[Hhello", b"");
        assert!(c.alt_screen);
        assert_eq!(c.stdout, "hello");
        assert!(!Captured::from_raw(vec![], Some(0), b"\x1b[31mred", b"").alt_screen);
    }

    #[test]
    fn quoting() {
        let argv = vec![
            "docker".to_string(),
            "ai".into(),
            "it's a prompt".into(),
            "--x=1".into(),
            "".into(),
        ];
        assert_eq!(
            shell_quote(&argv),
            r#"docker ai 'it'\''s a prompt' --x=1 ''"#
        );
        let long = "p".repeat(500);
        let shown = display_argv(&["kagent".into(), long, "two\nlines".into()]);
        assert!(shown.contains("[500 chars]"), "{shown}");
        assert!(shown.ends_with(r"'two\nlines'"), "{shown}");
        assert!(shown.len() < 200);
    }

    #[test]
    fn tail_limits_lines_and_bytes() {
        let s: String = (1..=100).map(|i| format!("line {i}\n")).collect();
        let t = tail(&s, 20, 2048);
        assert_eq!(t.lines().count(), 20);
        assert!(t.starts_with("line 81"));
        assert!(t.ends_with("line 100"));
        let big = "é".repeat(5000);
        let t = tail(&big, 20, 2048);
        assert!(t.len() <= 2048 + "…".len());
        assert!(t.starts_with('…'));
    }

    #[test]
    fn which_finds_sh_and_not_nonsense() {
        assert!(which("sh").is_some());
        assert!(which("definitely-not-a-real-binary-dockhand").is_none());
        assert!(which("").is_none());
        let f = fake("docker");
        assert_eq!(which(f.to_str().unwrap()), Some(f.clone()));
        assert!(
            which(repo_root().join("Cargo.toml").to_str().unwrap()).is_none(),
            "not executable"
        );
    }

    #[test]
    fn stdin_is_delivered() {
        let c = run_blocking(&Invocation::new("cat", vec![]).with_stdin("hello\nworld")).unwrap();
        assert_eq!(c.stdout, "hello\nworld");
        assert!(c.success());
        assert_eq!(c.argv, vec!["cat".to_string()]);
    }

    #[test]
    fn no_stdin_means_dev_null_not_a_hang() {
        let inv = Invocation::new("cat", vec![]).with_timeout(Duration::from_secs(10));
        let t = Instant::now();
        let c = run_blocking(&inv).unwrap();
        assert!(c.success());
        assert_eq!(c.stdout, "");
        assert!(t.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn big_stdin_to_a_child_that_ignores_it() {
        let inv = sh("echo ignored").with_stdin("x".repeat(1 << 20));
        let c = run_blocking(&inv).unwrap();
        assert_eq!(c.stdout.trim(), "ignored");
    }

    #[test]
    fn argv_is_not_interpreted_by_a_shell() {
        let c = run_blocking(&Invocation::new(
            "echo",
            vec!["$HOME; rm -rf /tmp/nothing `id`".into()],
        ))
        .unwrap();
        assert_eq!(c.stdout.trim(), "$HOME; rm -rf /tmp/nothing `id`");
    }

    #[test]
    fn env_and_cwd() {
        let dir = std::env::temp_dir();
        let inv = sh("printf '%s|' \"$DOCKHAND_TEST_VAR\"; pwd")
            .with_env("DOCKHAND_TEST_VAR", "v a l")
            .with_cwd(&dir);
        let c = run_blocking(&inv).unwrap();
        let (var, pwd) = c.stdout.trim().split_once('|').unwrap();
        assert_eq!(var, "v a l");
        assert_eq!(
            Path::new(pwd).canonicalize().unwrap(),
            dir.canonicalize().unwrap()
        );
        let bad = sh("true").with_cwd("/definitely/not/here");
        assert!(matches!(
            run_blocking(&bad),
            Err(ProcessError::Spawn { .. })
        ));
    }

    #[test]
    fn stderr_flood_does_not_deadlock() {
        // 8 MB on stderr, then an answer on stdout.
        let inv = sh("head -c 8388608 /dev/zero | tr '\\0' 'e' >&2; echo answer")
            .with_timeout(Duration::from_secs(60));
        let t = Instant::now();
        let c = run_blocking(&inv).unwrap();
        assert_eq!(c.stdout.trim(), "answer");
        assert_eq!(c.stderr.len(), 8 * 1024 * 1024);
        assert!(t.elapsed() < Duration::from_secs(30));
    }

    #[test]
    fn fake_flood_mode_answers_after_several_mb() {
        let inv = Invocation::new(
            fake("docker"),
            vec!["ai".into(), "Dockerfile for FastAPI".into()],
        )
        .with_env("FAKE_DOCKER_MODE", "flood")
        .with_timeout(Duration::from_secs(60));
        let c = run_blocking(&inv).unwrap();
        assert!(c.success());
        assert!(c.stderr.len() >= 4_000_000, "{}", c.stderr.len());
        assert!(c.stdout.contains("FROM python"), "{}", c.stdout);
    }

    #[test]
    fn timeout_kills_the_whole_group_including_grandchildren() {
        let marker = format!("sleep 7{}", std::process::id());
        // The grandchild is a separate `sh -c 'sleep …'` holding our pipes.
        let script = format!("sh -c '{marker}' & echo started; wait");
        let inv = sh(&script).with_timeout(Duration::from_millis(800));
        let t = Instant::now();
        let err = run_blocking(&inv).unwrap_err();
        let took = t.elapsed();
        assert!(took < Duration::from_secs(5), "took {took:?}");
        match &err {
            ProcessError::Timeout {
                after,
                partial,
                argv,
                ..
            } => {
                assert_eq!(*after, Duration::from_millis(800));
                assert_eq!(argv[0], "sh");
                let p = partial.as_ref().expect("partial output collected");
                assert_eq!(p.stdout.trim(), "started");
            }
            other => panic!("expected timeout, got {other:?}"),
        }
        let msg = err.to_string();
        assert!(msg.contains("did not finish within 800 ms"), "{msg}");
        assert!(msg.contains("process group"), "{msg}");
        // The grandchild must be gone.
        std::thread::sleep(Duration::from_millis(200));
        let ps = std::process::Command::new("ps")
            .args(["-eo", "args"])
            .output()
            .unwrap();
        let ps = String::from_utf8_lossy(&ps.stdout);
        assert!(
            !ps.lines().any(|l| l.contains(&marker)),
            "grandchild survived:\n{ps}"
        );
    }

    #[test]
    fn fake_hang_mode_with_grandchild_times_out_promptly() {
        let inv = Invocation::new(fake("docker"), vec!["ai".into(), "hi".into()])
            .with_env("FAKE_DOCKER_MODE", "hang")
            .with_timeout(Duration::from_millis(600));
        let t = Instant::now();
        let err = run_blocking(&inv).unwrap_err();
        assert!(err.is_timeout(), "{err:?}");
        assert!(t.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn child_exits_but_background_grandchild_holds_pipes() {
        let inv = sh("sleep 100 & echo done").with_timeout(Duration::from_secs(30));
        let t = Instant::now();
        let c = run_blocking(&inv).unwrap();
        assert_eq!(c.stdout.trim(), "done");
        assert!(c.success());
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "took {:?}",
            t.elapsed()
        );
    }

    #[test]
    fn nonzero_exit_is_captured_not_an_error() {
        let inv = sh("echo partial; echo 'boom: it broke' >&2; exit 3");
        let c = run_blocking(&inv).unwrap();
        assert_eq!(c.status, Some(3));
        assert!(!c.success());
        let err = ProcessError::failed(&c);
        match &err {
            ProcessError::Failed {
                argv,
                status,
                stderr_tail,
                ..
            } => {
                assert_eq!(
                    argv,
                    &vec![
                        "sh".to_string(),
                        "-c".into(),
                        "echo partial; echo 'boom: it broke' >&2; exit 3".into()
                    ]
                );
                assert_eq!(*status, Some(3));
                assert_eq!(stderr_tail, "boom: it broke");
            }
            other => panic!("{other:?}"),
        }
        let msg = err.to_string();
        assert!(msg.contains("exit status 3"), "{msg}");
        assert!(msg.contains("boom: it broke"), "{msg}");
        assert!(msg.starts_with("`sh -c 'echo partial;"), "{msg}");
    }

    #[test]
    fn stderr_tail_is_bounded() {
        let inv =
            sh("i=0; while [ $i -lt 200 ]; do echo \"err line $i\" >&2; i=$((i+1)); done; exit 1");
        let c = run_blocking(&inv).unwrap();
        let t = c.stderr_tail();
        assert_eq!(t.lines().count(), TAIL_LINES);
        assert!(t.ends_with("err line 199"));
    }

    #[test]
    fn signal_death_is_reported() {
        let c = run_blocking(&sh("kill -9 $$")).unwrap();
        assert_eq!(c.status, None);
        assert_eq!(c.signal, Some(9));
        assert!(
            ProcessError::failed(&c)
                .to_string()
                .contains("killed by signal 9")
        );
    }

    #[test]
    fn ansi_is_stripped_from_both_streams() {
        let c = run_blocking(&sh(
            "printf '\\033[1;34mblue\\033[0m\\n'; printf '\\033[31merror\\033[0m\\n' >&2",
        ))
        .unwrap();
        assert_eq!(c.stdout, "blue\n");
        assert_eq!(c.stderr, "error\n");
    }

    #[test]
    fn missing_binary_is_not_found() {
        let err = run_blocking(&Invocation::new("dockhand-no-such-tool", vec![])).unwrap_err();
        assert!(err.is_not_found(), "{err:?}");
        assert!(
            err.to_string()
                .contains("`dockhand-no-such-tool` was not found")
        );
        let err = run_blocking(&Invocation::new("/nonexistent/dir/tool", vec![])).unwrap_err();
        assert!(err.is_not_found());
        assert!(matches!(
            Availability::from_probe_error(&err),
            Availability::Unavailable(r) if r.contains("not installed")
        ));
    }

    #[test]
    fn fake_logs_argv_and_stdin() {
        let log = std::env::temp_dir().join(format!("dockhand-fake-log-{}", std::process::id()));
        let _ = std::fs::remove_file(&log);
        let inv = Invocation::new(
            fake("kagent"),
            vec![
                "invoke".into(),
                "--agent".into(),
                "k8s-agent".into(),
                "--task".into(),
                "two words".into(),
            ],
        )
        .with_env("FAKE_LOG", log.to_str().unwrap())
        .with_stdin("from stdin");
        let c = run_blocking(&inv).unwrap();
        assert!(c.success(), "{c:?}");
        let logged = std::fs::read_to_string(&log).unwrap();
        let _ = std::fs::remove_file(&log);
        assert!(
            logged.contains("invoke\n--agent\nk8s-agent\n--task\ntwo words\n"),
            "{logged}"
        );
        assert!(logged.contains("from stdin"), "{logged}");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn run_does_not_block_the_runtime() {
        use std::sync::atomic::AtomicUsize;
        let ticks = Arc::new(AtomicUsize::new(0));
        let t2 = ticks.clone();
        let ticker = tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(20)).await;
                t2.fetch_add(1, Ordering::SeqCst);
            }
        });
        let c = run(sh("sleep 0.6; echo slept")).await.unwrap();
        ticker.abort();
        assert_eq!(c.stdout.trim(), "slept");
        let n = ticks.load(Ordering::SeqCst);
        assert!(n >= 10, "ticker only ran {n} times while the child ran");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn async_timeout_and_cancellation() {
        let t = Instant::now();
        let err = run(sh("sleep 100").with_timeout(Duration::from_millis(300)))
            .await
            .unwrap_err();
        assert!(err.is_timeout());
        assert!(t.elapsed() < Duration::from_secs(5));

        // Dropping the future (here: via tokio::time::timeout) kills the child.
        let marker = format!("sleep 8{}", std::process::id());
        let inv = sh(&format!("exec {marker}")).with_timeout(Duration::from_secs(60));
        let r = tokio::time::timeout(Duration::from_millis(300), run(inv)).await;
        assert!(r.is_err(), "should have been cut off");
        tokio::time::sleep(Duration::from_millis(500)).await;
        let ps = std::process::Command::new("ps")
            .args(["-eo", "args"])
            .output()
            .unwrap();
        let ps = String::from_utf8_lossy(&ps.stdout);
        assert!(
            !ps.lines().any(|l| l.contains(&marker)),
            "cancelled child survived:\n{ps}"
        );
    }

    #[test]
    fn invocation_helpers() {
        let inv = Invocation::from_argv(
            vec!["docker".into(), "ai".into(), "x".into()],
            Duration::from_secs(7),
        );
        assert_eq!(inv.program, PathBuf::from("docker"));
        assert_eq!(inv.args, vec!["ai".to_string(), "x".into()]);
        assert_eq!(inv.timeout, Duration::from_secs(7));
        assert_eq!(
            inv.argv(),
            vec!["docker".to_string(), "ai".into(), "x".into()]
        );
        assert!(
            run_blocking(&Invocation::from_argv(vec![], Duration::from_secs(1)))
                .unwrap_err()
                .is_not_found()
        );
        let cfg = ToolConfig::default();
        assert_eq!(cfg.program("docker"), "docker");
        let cfg = ToolConfig {
            binary: Some("/opt/bin/docker".into()),
            ..ToolConfig::default()
        };
        assert_eq!(cfg.program("docker"), "/opt/bin/docker");
    }
}
