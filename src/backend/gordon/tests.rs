//! Gordon: argv, answers, approval and TUI detection, the working folder, and the fake.

use super::super::process::test_support::{
    captured, cfg, fixture, logged_argvs, run_fake, s, temp_log,
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

// --- the working folder and what the installed version shows --------------------------------

#[test]
fn help_tells_the_behaviours() {
    assert_eq!(
        behaviours(&fixture("gordon-help.txt")),
        Behaviours {
            working_dir: true,
            prompt_argument: true
        }
    );
    assert_eq!(
        behaviours("Usage: docker ai [OPTIONS]\n  -h, --help  help\n"),
        Behaviours::default()
    );
    let dir = std::path::Path::new("/tmp/w");
    assert_eq!(
        argv_in(&cfg(), Some(dir), "hi"),
        vec!["docker", "ai", "-C", "/tmp/w", "hi"]
    );
    assert_eq!(argv_in(&cfg(), None, "hi"), vec!["docker", "ai", "hi"]);
}

fn run_in(mode: &str, dir: &workdir::Workdir, answer: Option<&str>) -> Result<String, GordonError> {
    let mut env = vec![("FAKE_DOCKER_MODE", mode)];
    if let Some(a) = answer {
        env.push(("FAKE_ANSWER_FILE", a));
    }
    let mut inv_argv = argv_in(
        &cfg(),
        Some(dir.path()),
        "Write a Dockerfile for the FastAPI backend",
    );
    inv_argv[0] = "docker".into();
    interpret_in(run_fake(inv_argv, &env, Duration::from_secs(20)), dir)
}

#[test]
fn a_dockerfile_written_into_the_folder_is_the_answer() {
    let root = tempfile::tempdir().unwrap();
    let answer = super::super::process::test_support::repo_root()
        .join("tests/fixtures/answers/backend-dockerfile.md");
    let dir = workdir::Workdir::new(root.path(), "x").unwrap();
    let text = run_in("writes", &dir, Some(answer.to_str().unwrap())).unwrap();
    let md = std::fs::read_to_string(&answer).unwrap();
    let body = md
        .split("```dockerfile\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    assert_eq!(
        text,
        format!(
            "Gordon wrote Dockerfile:\n\n```dockerfile\n{}\n```\n",
            body.trim_end()
        )
    );
    // Printed only: the printed answer.
    let dir = workdir::Workdir::new(root.path(), "x").unwrap();
    let printed = run_in("answer", &dir, None).unwrap();
    assert!(printed.starts_with("Here's"), "{printed}");
    // Waiting at an approval question stays an error, whatever the folder holds.
    let dir = workdir::Workdir::new(root.path(), "x").unwrap();
    std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    let t = std::time::Instant::now();
    let mut a = argv_in(&cfg(), Some(dir.path()), "x");
    a[0] = "docker".into();
    let err = interpret_in(
        run_fake(
            a,
            &[("FAKE_DOCKER_MODE", "approval")],
            Duration::from_secs(30),
        ),
        &dir,
    )
    .unwrap_err();
    assert!(matches!(err, GordonError::Interactive { .. }), "{err:?}");
    assert!(t.elapsed() < Duration::from_secs(15), "{:?}", t.elapsed());
}

#[test]
fn the_command_shown_to_run_by_hand_leaves_out_the_temporary_folder() {
    let argv = s(&[
        "docker",
        "ai",
        "-C",
        "/tmp/dockhand-gordon-Ab12Cd",
        "Write it",
    ]);
    let c = captured(
        &argv.iter().map(String::as_str).collect::<Vec<_>>(),
        0,
        &fixture("gordon-approval.txt"),
        "",
    );
    match parse(&c) {
        Err(GordonError::Interactive { command, .. }) => {
            assert_eq!(command, "docker ai 'Write it'")
        }
        other => panic!("{other:?}"),
    }
    // A -C the user configured stays.
    assert_eq!(
        without_workdir(&s(&["docker", "ai", "-C", "/src/app", "x"])),
        s(&["docker", "ai", "-C", "/src/app", "x"])
    );
}
