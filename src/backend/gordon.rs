//! Docker's Gordon, driven through `docker ai "<prompt>"`.
//!
//! Pure adapter: it builds argv, judges availability from a probe, and turns a finished
//! run into the answer text or a [`GordonError`]. Running is [`super::process`]'s job.
//!
//! Gordon is an interactive agent: `docker ai` may open a full-screen TUI, or propose an
//! action and wait at `Approve? [Y/n/a]`. dockhand never answers such prompts (stdin is
//! `/dev/null`); it reports [`GordonError::Interactive`] instead, both when the prompt is
//! in finished output and when the run timed out while sitting at one.

use super::process::{
    Availability, Captured, Invocation, ProcessError, ToolConfig, display_argv, one_line,
};
use std::time::Duration;

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

/// The invocation for a prompt: argv above, no stdin (`/dev/null`), the configured timeout.
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
            command: display_argv(&c.argv),
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
                    reason: format!("{reason} (it was still waiting when the timeout hit)"),
                    command: display_argv(err.argv()),
                });
            }
            Err(GordonError::Process(err))
        }
    }
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
mod tests {
    use super::super::process::test_support::{
        captured, cfg, fixture, logged_argvs, run_fake, temp_log,
    };
    use super::*;

    const ARGV: &[&str] = &["docker", "ai", "Write a Dockerfile"];

    #[test]
    fn argv_shapes() {
        assert_eq!(
            argv(&cfg(), "Write a Dockerfile for FastAPI"),
            vec!["docker", "ai", "Write a Dockerfile for FastAPI"]
        );
        let c = ToolConfig {
            binary: Some("/usr/local/bin/docker".into()),
            extra_args: vec!["-C".into(), "/src/app".into()],
            timeout: Duration::from_secs(60),
        };
        assert_eq!(
            argv(&c, "hi"),
            vec!["/usr/local/bin/docker", "ai", "-C", "/src/app", "hi"]
        );
        assert_eq!(
            argv(&cfg(), "-- weird"),
            vec!["docker", "ai", "--", "-- weird"]
        );
        assert_eq!(probe_argv(&cfg()), vec!["docker", "ai", "version"]);
        let inv = invocation(&c, "hi");
        assert_eq!(
            inv.program,
            std::path::PathBuf::from("/usr/local/bin/docker")
        );
        assert_eq!(inv.stdin, None);
        assert_eq!(inv.timeout, Duration::from_secs(60));
        assert!(probe_invocation(&c).timeout <= PROBE_TIMEOUT);
    }

    #[test]
    fn parses_coloured_answers() {
        for (file, needle) in [
            ("gordon-answer-fastapi.txt", "FROM python:3.12-slim"),
            ("gordon-answer-nextjs.txt", "FROM node:20-alpine AS runner"),
        ] {
            let c = captured(ARGV, 0, &fixture(file), "");
            let text = parse(&c).unwrap();
            assert!(text.contains(needle), "{text}");
            assert!(text.contains("```dockerfile"), "{text}");
            assert!(!text.contains('\x1b'), "ANSI left in {text:?}");
            assert!(text.starts_with("Here's"), "{text}");
        }
    }

    #[test]
    fn approval_prompt_is_interactive() {
        let c = captured(ARGV, 0, &fixture("gordon-approval.txt"), "");
        let err = parse(&c).unwrap_err();
        match &err {
            GordonError::Interactive { reason, command } => {
                assert!(reason.contains("Approve? [Y/n/a]"), "{reason}");
                assert!(
                    reason.contains("docker build -t todo-backend:latest ./backend"),
                    "{reason}"
                );
                assert_eq!(command, "docker ai 'Write a Dockerfile'");
            }
            other => panic!("{other:?}"),
        }
        let msg = err.to_string();
        assert!(msg.contains("Run it yourself"), "{msg}");
        assert!(msg.contains("fallback"), "{msg}");
        // Even if it exited non-zero after the prompt hit EOF, it's still "interactive".
        let c = captured(ARGV, 1, &fixture("gordon-approval.txt"), "error: EOF\n");
        assert!(matches!(parse(&c), Err(GordonError::Interactive { .. })));
        // Other prompt spellings.
        for p in [
            "Proceed with the build? (y/N)",
            "Run this command? [y/n]:",
            "Continue? [yes/no] >",
        ] {
            let c = captured(ARGV, 0, &format!("Some text\n{p}"), "");
            assert!(
                matches!(parse(&c), Err(GordonError::Interactive { .. })),
                "{p}"
            );
        }
    }

    #[test]
    fn tui_is_interactive() {
        let c = captured(ARGV, 0, &fixture("gordon-tui.txt"), "");
        assert!(c.alt_screen);
        match parse(&c) {
            Err(GordonError::Interactive { reason, .. }) => assert!(reason.contains("terminal UI")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_question_in_the_answer_is_not_a_prompt() {
        let c = captured(
            ARGV,
            0,
            "FROM python:3.12-slim\n\nWould you like me to add a healthcheck?\n",
            "",
        );
        assert!(parse(&c).is_ok());
    }

    #[test]
    fn unavailable_cases() {
        let cases = [
            (fixture("gordon-not-signed-in.txt"), "not signed in"),
            (fixture("docker-no-ai.txt"), "no `ai` command"),
            (fixture("docker-unknown-command-ai.txt"), "no `ai` command"),
            ("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n".to_string(), "not running"),
            ("Gordon is disabled. Enable Gordon in Docker Desktop settings.\n".to_string(), "disabled"),
        ];
        for (stderr, want) in cases {
            let c = captured(ARGV, 1, "", &stderr);
            match parse(&c) {
                Err(GordonError::Unavailable(r)) => assert!(r.contains(want), "{r} vs {want}"),
                other => panic!("{stderr}: {other:?}"),
            }
            match judge_probe(&captured(&["docker", "ai", "version"], 1, "", &stderr)) {
                Availability::Unavailable(r) => assert!(r.contains(want), "{r}"),
                other => panic!("{other:?}"),
            }
        }
        // Not-signed-in printed on stdout with exit 0 is still caught (short output).
        let c = captured(
            ARGV,
            0,
            "Please sign in to Docker Desktop to use Gordon.\n",
            "",
        );
        assert!(matches!(parse(&c), Err(GordonError::Unavailable(_))));
    }

    #[test]
    fn long_answer_mentioning_docker_login_is_fine() {
        let body = format!(
            "{}\nTo push the image, first run `docker login`, then `docker push`.\nYou are not logged in? Run docker login.\n",
            fixture("gordon-answer-fastapi.txt")
        );
        let c = captured(ARGV, 0, &body, "");
        assert!(parse(&c).unwrap().contains("docker push"));
    }

    #[test]
    fn probe_judgement() {
        let c = captured(
            &["docker", "ai", "version"],
            0,
            &fixture("gordon-version.txt"),
            "",
        );
        assert_eq!(
            judge_probe(&c),
            Availability::Available("Version: v1.9.11".into())
        );
        let c = captured(
            &["docker", "ai", "version"],
            2,
            "",
            "panic: something odd\n",
        );
        match judge_probe(&c) {
            Availability::Unavailable(r) => {
                assert!(r.contains("exit status 2") && r.contains("panic"), "{r}")
            }
            other => panic!("{other:?}"),
        }
        let err = ProcessError::NotFound {
            program: "docker".into(),
        };
        assert!(!Availability::from_probe_error(&err).is_available());
    }

    #[test]
    fn failures_and_empty() {
        let c = captured(
            ARGV,
            1,
            "",
            "Error: failed to reach Gordon: 503 Service Unavailable\n",
        );
        let err = parse(&c).unwrap_err();
        assert!(matches!(
            err,
            GordonError::Process(ProcessError::Failed {
                status: Some(1),
                ..
            })
        ));
        let msg = err.to_string();
        assert!(
            msg.contains("503 Service Unavailable") && msg.contains("docker ai"),
            "{msg}"
        );
        let c = captured(ARGV, 0, "  \n\n", "warning: slow\n");
        match parse(&c) {
            Err(e @ GordonError::Empty { .. }) => assert!(e.to_string().contains("warning: slow")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn timeout_at_a_prompt_is_interactive() {
        let partial = captured(ARGV, 0, &fixture("gordon-approval.txt"), "");
        let err = ProcessError::Timeout {
            argv: partial.argv.clone(),
            after: Duration::from_secs(1),
            stderr_tail: String::new(),
            partial: Some(Box::new(partial)),
        };
        match interpret(Err(err)) {
            Err(GordonError::Interactive { reason, .. }) => {
                assert!(reason.contains("still waiting"))
            }
            other => panic!("{other:?}"),
        }
        let plain = ProcessError::Timeout {
            argv: vec!["docker".into()],
            after: Duration::from_secs(1),
            stderr_tail: String::new(),
            partial: Some(Box::new(captured(ARGV, 0, "Thinking…", ""))),
        };
        assert!(matches!(
            interpret(Err(plain)),
            Err(GordonError::Process(ProcessError::Timeout { .. }))
        ));
        assert!(matches!(
            interpret(Err(ProcessError::NotFound {
                program: "docker".into()
            })),
            Err(GordonError::Unavailable(_))
        ));
    }

    // --- end-to-end through the runner and the fake `docker` -------------------------------

    fn run_mode(mode: &str, prompt: &str, timeout_ms: u64) -> Result<String, GordonError> {
        interpret(run_fake(
            argv(&cfg(), prompt),
            &[("FAKE_DOCKER_MODE", mode)],
            Duration::from_millis(timeout_ms),
        ))
    }

    #[test]
    fn fake_answer_and_argv_log() {
        let log = temp_log("gordon");
        let r = run_fake(
            argv(&cfg(), "Write a Dockerfile for the Next.js frontend"),
            &[("FAKE_LOG", log.to_str().unwrap())],
            Duration::from_secs(20),
        );
        let text = interpret(r).unwrap();
        assert!(text.contains("FROM node:20-alpine"), "{text}");
        assert_eq!(
            logged_argvs(&log),
            vec![vec![
                "docker".to_string(),
                "ai".into(),
                "Write a Dockerfile for the Next.js frontend".into()
            ]]
        );
        let _ = std::fs::remove_file(&log);
        assert!(
            run_mode("answer", "FastAPI backend", 20_000)
                .unwrap()
                .contains("uvicorn")
        );
        assert!(
            run_mode("flood", "FastAPI backend", 60_000)
                .unwrap()
                .contains("uvicorn")
        );
    }

    #[test]
    fn fake_interactive_modes_fail_clearly_and_promptly() {
        let t = std::time::Instant::now();
        assert!(matches!(
            run_mode("approval", "x", 1500),
            Err(GordonError::Interactive { .. })
        ));
        assert!(matches!(
            run_mode("tui", "x", 1500),
            Err(GordonError::Interactive { .. })
        ));
        assert!(t.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn fake_failure_modes() {
        assert!(matches!(
            run_mode("not-signed-in", "x", 20_000),
            Err(GordonError::Unavailable(_))
        ));
        assert!(matches!(
            run_mode("no-ai", "x", 20_000),
            Err(GordonError::Unavailable(_))
        ));
        assert!(matches!(
            run_mode("stderr-fail", "x", 20_000),
            Err(GordonError::Process(ProcessError::Failed { .. }))
        ));
        assert!(matches!(
            run_mode("hang", "x", 700),
            Err(GordonError::Process(ProcessError::Timeout { .. }))
        ));
        let probe = run_fake(
            probe_argv(&cfg()),
            &[("FAKE_DOCKER_MODE", "not-signed-in")],
            PROBE_TIMEOUT,
        )
        .unwrap();
        assert!(!judge_probe(&probe).is_available());
        let probe = run_fake(probe_argv(&cfg()), &[], PROBE_TIMEOUT).unwrap();
        assert!(judge_probe(&probe).is_available());
    }
}
