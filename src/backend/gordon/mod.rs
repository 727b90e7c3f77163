//! Docker's Gordon, driven through `docker ai "<prompt>"`.
//!
//! Pure adapter: it builds argv, judges availability from a probe, and turns a finished
//! run into the answer text or a [`GordonError`]. Running is [`super::process`]'s job.
//!
//! Gordon is an interactive agent: `docker ai` may open a full-screen TUI, or propose an
//! action and wait at `Approve? [Y/n/a]`. dockhand never answers such prompts (stdin is
//! `/dev/null`); it reports [`GordonError::Interactive`] instead, both when the prompt is
//! in finished output and when the run timed out while sitting at one (the runner stops a
//! child whose output idles on such a question, well before the timeout).
//!
//! [`prepare`] sets it to run in a temporary folder ([`workdir::Workdir`], `-C DIR` when the installed
//! version has `-C/--working-dir`, and as its current directory either way) that holds
//! copies of the build-context files the prompt names. Gordon may write the Dockerfile
//! there instead of printing it: the folder is diffed, and a Dockerfile it wrote is the
//! answer.

use super::process::{
    Availability, Captured, Invocation, ProcessError, ToolConfig, display_argv, one_line,
};
use std::path::Path;
use std::time::Duration;

pub mod workdir;

/// Executable used when `ToolConfig::binary` is unset.
pub const DEFAULT_BINARY: &str = "docker";

/// Timeout for the availability probe.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, thiserror::Error)]
pub enum GordonError {
    /// Gordon wants a human: TUI, approval prompt, question.
    #[error(
        "Gordon (`docker ai`) is waiting for interactive input: {reason}. dockhand does not answer prompts on a tool's behalf.\nRun it yourself:\n  {command}\nor configure a fallback backend in dockhand.toml."
    )]
    Interactive { reason: String, command: String },

    /// Not installed / not signed in / Docker Desktop not running – the broker should move on.
    #[error("Gordon is unavailable: {0}")]
    Unavailable(String),

    #[error("Gordon finished without printing an answer{}", suffix(.stderr_tail))]
    Empty { stderr_tail: String },

    #[error(transparent)]
    Process(#[from] ProcessError),
}

fn suffix(t: &str) -> String {
    if t.trim().is_empty() {
        String::new()
    } else {
        format!(" (stderr: {})", t.trim())
    }
}

/// `[docker, ai, ...extra_args, prompt]`. A prompt beginning with `-` is preceded by `--` so
/// it cannot be taken for an option.
pub fn argv(cfg: &ToolConfig, prompt: &str) -> Vec<String> {
    let mut v = vec![cfg.program(DEFAULT_BINARY), "ai".to_string()];
    v.extend(cfg.extra_args.iter().cloned());
    if prompt.starts_with('-') {
        v.push("--".to_string());
    }
    v.push(prompt.to_string());
    v
}

/// `[docker, ai, -C, DIR, ...extra_args, prompt]`: [`argv`] run in `dir`.
pub fn argv_in(cfg: &ToolConfig, dir: Option<&Path>, prompt: &str) -> Vec<String> {
    let mut v = argv(cfg, prompt);
    if let Some(d) = dir {
        v.insert(2, "-C".to_string());
        v.insert(3, d.to_string_lossy().into_owned());
    }
    v
}

/// `[docker, ai, --help]`: tells whether this Gordon has `-C/--working-dir`.
pub fn help_invocation(cfg: &ToolConfig) -> Invocation {
    Invocation::from_argv(
        vec![
            cfg.program(DEFAULT_BINARY),
            "ai".to_string(),
            "--help".to_string(),
        ],
        PROBE_TIMEOUT.min(cfg.timeout),
    )
}

/// What `docker ai --help` says about the installed Gordon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Behaviours {
    /// `-C/--working-dir DIR`.
    pub working_dir: bool,
    /// `docker ai [OPTIONS] [PROMPT]`: the first prompt is an argument.
    pub prompt_argument: bool,
}

/// Judge the output of [`help_invocation`].
pub fn behaviours(help: &str) -> Behaviours {
    Behaviours {
        working_dir: help.contains("--working-dir"),
        prompt_argument: help.contains("[PROMPT]") || help.contains("[prompt]"),
    }
}

/// Probe `docker ai --help` (nothing known when it cannot run).
pub async fn detect(cfg: &ToolConfig) -> Behaviours {
    match super::process::run(help_invocation(cfg)).await {
        Ok(c) if c.success() => behaviours(&c.stdout),
        _ => Behaviours::default(),
    }
}

/// The working folder for `prompt` and the invocation that runs Gordon in it. `current` is
/// the target Dockerfile (relative to `root`): when it exists, a copy named `Dockerfile` is
/// put in the folder for Gordon to edit in place. Keep the folder until the run is judged
/// ([`interpret_in`]); dropping it removes it.
pub fn prepare(
    cfg: &ToolConfig,
    root: &Path,
    current: Option<&str>,
    found: Behaviours,
    prompt: &str,
) -> Result<(Invocation, workdir::Workdir), GordonError> {
    let unavailable = |e: std::io::Error| {
        GordonError::Unavailable(format!("cannot make its working folder: {e}"))
    };
    let mut dir = workdir::Workdir::new(root, prompt).map_err(unavailable)?;
    if let Some(bytes) = current.and_then(|c| std::fs::read(root.join(c)).ok()) {
        dir.put("Dockerfile", &bytes).map_err(unavailable)?;
    }
    let flag = found.working_dir.then(|| dir.path());
    let inv = Invocation::from_argv(argv_in(cfg, flag, prompt), cfg.timeout).with_cwd(dir.path());
    Ok((inv, dir))
}

/// [`interpret`], then the folder: a Dockerfile Gordon wrote there is the answer (it may
/// print only a line about it). Waiting for input, being unavailable or failing stay errors.
pub fn interpret_in(
    result: Result<Captured, ProcessError>,
    dir: &workdir::Workdir,
) -> Result<String, GordonError> {
    let printed = interpret(result);
    match (printed, dir.written_dockerfile()) {
        (Ok(_) | Err(GordonError::Empty { .. }), Some((name, content))) => Ok(format!(
            "Gordon wrote {name}:\n\n```dockerfile\n{}\n```\n",
            content.trim_end()
        )),
        (printed, _) => printed,
    }
}

/// The invocation for a prompt: argv above, no stdin (`/dev/null`), the configured timeout.
#[cfg(test)]
pub fn invocation(cfg: &ToolConfig, prompt: &str) -> Invocation {
    Invocation::from_argv(argv(cfg, prompt), cfg.timeout)
}

/// `[docker, ai, version]`: cheap, non-interactive, fails when the plugin is missing.
pub fn probe_argv(cfg: &ToolConfig) -> Vec<String> {
    vec![
        cfg.program(DEFAULT_BINARY),
        "ai".to_string(),
        "version".to_string(),
    ]
}

pub fn probe_invocation(cfg: &ToolConfig) -> Invocation {
    Invocation::from_argv(probe_argv(cfg), PROBE_TIMEOUT.min(cfg.timeout))
}

/// Judge the output of [`probe_argv`]. (Use [`Availability::from_probe_error`] when the
/// probe could not run at all, e.g. `docker` missing.)
pub fn judge_probe(c: &Captured) -> Availability {
    if let Some(reason) = unavailable_reason(c) {
        return Availability::Unavailable(reason);
    }
    if !c.success() {
        return Availability::Unavailable(format!(
            "`docker ai version` failed ({}): {}",
            status_words(c),
            one_line(&c.diagnostic_tail())
        ));
    }
    let detail = c
        .stdout
        .lines()
        .map(str::trim)
        .find(|l| l.to_ascii_lowercase().contains("version"))
        .or_else(|| c.stdout.lines().map(str::trim).find(|l| !l.is_empty()))
        .unwrap_or("")
        .to_string();
    Availability::Available(detail)
}

/// Turn a finished `docker ai` run into Gordon's answer (ANSI already stripped by the runner).
pub fn parse(c: &Captured) -> Result<String, GordonError> {
    if let Some(reason) = interactive_reason(c) {
        return Err(GordonError::Interactive {
            reason,
            command: display_argv(&without_workdir(&c.argv)),
        });
    }
    if let Some(reason) = unavailable_reason(c) {
        return Err(GordonError::Unavailable(reason));
    }
    if !c.success() {
        return Err(GordonError::Process(ProcessError::failed(c)));
    }
    let text = tidy(&c.stdout);
    if text.is_empty() {
        return Err(GordonError::Empty {
            stderr_tail: c.stderr_tail(),
        });
    }
    Ok(text)
}

/// [`parse`] for the runner's full result: a timeout while Gordon sat at a prompt or in its
/// TUI becomes [`GordonError::Interactive`]; a missing `docker` becomes `Unavailable`.
pub fn interpret(result: Result<Captured, ProcessError>) -> Result<String, GordonError> {
    match result {
        Ok(c) => parse(&c),
        Err(ProcessError::NotFound { program }) => Err(GordonError::Unavailable(format!(
            "`{program}` is not installed (not found on PATH)"
        ))),
        Err(err) => {
            if let Some(p) = err.partial()
                && let Some(reason) = interactive_reason(p)
            {
                return Err(GordonError::Interactive {
                    reason: format!("{reason} (it was still waiting when dockhand stopped it)"),
                    command: display_argv(&without_workdir(err.argv())),
                });
            }
            Err(GordonError::Process(err))
        }
    }
}

/// The command to show a person: without `-C` and dockhand's temporary folder, which is
/// gone by the time they read it (they run it in their project instead).
fn without_workdir(argv: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(argv.len());
    let mut i = 0;
    while i < argv.len() {
        if argv[i] == "-C"
            && argv
                .get(i + 1)
                .is_some_and(|d| d.contains("dockhand-gordon-"))
        {
            i += 2;
            continue;
        }
        out.push(argv[i].clone());
        i += 1;
    }
    out
}

/// Why this output means Gordon is waiting for a human, if it does.
pub fn interactive_reason(c: &Captured) -> Option<String> {
    if c.alt_screen {
        return Some("it opened its full-screen terminal UI".to_string());
    }
    let lines: Vec<&str> = c.stdout.lines().chain(c.stderr.lines()).collect();
    let prompt_line = lines.iter().rposition(|l| is_approval_prompt(l))?;
    // Collect what Gordon proposed to run ("Gordon proposes:" block) for the message.
    let proposed: Vec<&str> = lines[..prompt_line]
        .iter()
        .rposition(|l| l.trim().to_ascii_lowercase().ends_with("proposes:"))
        .map(|start| {
            lines[start + 1..prompt_line]
                .iter()
                .map(|l| l.trim())
                .filter(|l| !l.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let prompt = lines[prompt_line].trim();
    Some(if proposed.is_empty() {
        format!("it is asking for approval (`{prompt}`)")
    } else {
        format!(
            "it is asking for approval (`{prompt}`) to run `{}`",
            proposed.join("; ")
        )
    })
}

/// `Approve? [Y/n/a]`, `Continue? (y/N)`, `[yes/no]`-style prompts.
fn is_approval_prompt(line: &str) -> bool {
    let l = line.trim().to_ascii_lowercase();
    if l.starts_with("approve?") || l.contains("approve? [") {
        return true;
    }
    let l = l.trim_end_matches([':', '>', ' ', '?']);
    [
        "[y/n/a]", "[y/n]", "(y/n)", "[yes/no]", "(yes/no)", "(y/n/a)",
    ]
    .iter()
    .any(|m| l.ends_with(m))
}

/// Why this output means Gordon cannot be used right now, if it does. stderr is always
/// checked; stdout only when the run failed or printed next to nothing (a long successful
/// answer may legitimately mention `docker login`).
pub fn unavailable_reason(c: &Captured) -> Option<String> {
    let short_stdout = c.stdout.lines().filter(|l| !l.trim().is_empty()).count() <= 4;
    let mut text = c.stderr.to_ascii_lowercase();
    if !c.success() || short_stdout {
        text.push('\n');
        text.push_str(&c.stdout.to_ascii_lowercase());
    }
    let has = |needles: &[&str]| needles.iter().any(|n| text.contains(n));

    if has(&[
        "'ai' is not a docker command",
        "unknown command: docker ai",
        "unknown command \"ai\"",
    ]) {
        return Some(
            "this Docker CLI has no `ai` command: Gordon ships with Docker Desktop (enable it under Settings → Beta features)"
                .to_string(),
        );
    }
    if has(&[
        "gordon is disabled",
        "gordon is not enabled",
        "enable gordon",
    ]) {
        return Some(
            "Gordon is disabled in Docker Desktop (Settings → Beta features → Enable Gordon)"
                .to_string(),
        );
    }
    if has(&[
        "not signed in",
        "please sign in",
        "sign in to docker",
        "sign in to use",
        "must be signed in",
        "need to sign in",
        "not logged in",
        "please log in",
        "login required",
    ]) || (!c.success() && has(&["docker login"]))
    {
        return Some(
            "you are not signed in to Docker Desktop (sign in, or run `docker login`)".to_string(),
        );
    }
    if has(&[
        "cannot connect to the docker daemon",
        "docker desktop is not running",
        "is the docker daemon running",
        "docker desktop is starting",
    ]) {
        return Some("Docker Desktop is not running".to_string());
    }
    None
}

/// Trim trailing spaces on every line and blank lines at both ends.
fn tidy(s: &str) -> String {
    let lines: Vec<&str> = s.lines().map(str::trim_end).collect();
    let start = lines
        .iter()
        .position(|l| !l.is_empty())
        .unwrap_or(lines.len());
    let end = lines
        .iter()
        .rposition(|l| !l.is_empty())
        .map_or(start, |e| e + 1);
    lines[start..end].join("\n")
}

fn status_words(c: &Captured) -> String {
    match (c.status, c.signal) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(sig)) => format!("signal {sig}"),
        _ => "abnormal exit".to_string(),
    }
}

#[cfg(test)]
mod tests;
