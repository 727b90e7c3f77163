//! Signals mid-run, and the API key and URL credentials in every output and file.

use std::time::{Duration, Instant};

use super::*;
use crate::harness::{Output, Project, fixture};
use crate::openai_server::{Reply, TestServer, chat_sse};

// ---------------------------------------------------------------------------------------------
// Signals
// ---------------------------------------------------------------------------------------------

/// Generate by hand (so the lock has an entry), then `regen --backend kubectl-ai` with a
/// tool that hangs with a child; send `signal` once both are running.
fn signal_mid_regen(signal: i32) -> (Output, Project, FakeTool, String) {
    let p = project(120, "");
    p.dockhand()
        .args(["generate", PROMPT, "--response-file"])
        .arg(fixture("answers/backend-deployment.md").to_string_lossy())
        .run();
    let before = p.read(TARGET);
    let tool = FakeTool::new(
        "echo $$ > \"$DIR/tool.pid\"\n\
         sh -c 'echo $$ > \"$0/child.pid\"; exec sleep 300' \"$DIR\" &\n\
         sleep 300",
    );
    let mut cmd = p
        .dockhand()
        .path_prefix(tool.path())
        .args(["regen", PROMPT, "--backend", "kubectl-ai"])
        .command();
    cmd.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while tool.pid("child").is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(tool.pid("child").is_some(), "the fake never started");
    // SAFETY: sending a signal to the child we spawned.
    unsafe {
        libc::kill(child.id() as i32, signal);
    }
    let out = child.wait_with_output().unwrap();
    let out = Output {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    (out, p, tool, before)
}

fn after_signal(p: &Project, tool: &FakeTool, before: &str) {
    assert_eq!(p.read(TARGET), before);
    assert_eq!(p.git(&["status", "--porcelain"]), "");
    for name in ["tool", "child"] {
        let pid = tool.pid(name).unwrap();
        assert!(gone(pid), "{name} {pid} survived the signal");
    }
}

#[test]
fn sigterm_mid_regen() {
    let (out, p, tool, before) = signal_mid_regen(libc::SIGTERM);
    assert_eq!(
        whole(&out, &[]),
        format!(
            "exit 143\n--- stdout\n--- stderr\nerror: terminated (SIGTERM): the assistants were stopped and nothing was written\n"
        )
    );
    after_signal(&p, &tool, &before);
}

#[test]
fn sighup_mid_regen() {
    let (out, p, tool, before) = signal_mid_regen(libc::SIGHUP);
    assert_eq!(
        whole(&out, &[]),
        format!(
            "exit 129\n--- stdout\n--- stderr\nerror: hung up (SIGHUP): the assistants were stopped and nothing was written\n"
        )
    );
    after_signal(&p, &tool, &before);
}

#[test]
fn sigint_mid_regen() {
    let (out, p, tool, before) = signal_mid_regen(libc::SIGINT);
    assert_eq!(
        whole(&out, &[]),
        format!("exit 130\n--- stdout\n--- stderr\ninterrupted: nothing was written\n")
    );
    after_signal(&p, &tool, &before);
}

// ---------------------------------------------------------------------------------------------
// The API key and the base URL's credentials
// ---------------------------------------------------------------------------------------------

#[test]
fn the_api_key_and_url_credentials_reach_no_output_log_lock_cache_or_commit() {
    const KEY: &str = "sk-fault-key-0123456789abcdef";
    const PASSWORD: &str = "pa55w0rd-url-secret";
    const QUERY_KEY: &str = "qk-url-secret-42";
    let p = super::http::http_project("");
    // Every failure echoes the secrets back; the last attempt succeeds.
    let echo = format!("bad key {KEY} and api-key={QUERY_KEY}");
    let server = TestServer::start(vec![
        Reply::error(500, &echo),
        Reply::error(429, &echo).with_header("Retry-After", "0"),
        chat_sse(&answer()),
    ]);
    // The key goes as a bearer token, a secret in the query as it is.
    let base = format!(
        "{}?api-version=2024-06-01&api-key={QUERY_KEY}",
        server.base_url()
    );
    let out = p
        .dockhand()
        .env("OPENAI_BASE_URL", &base)
        .env("OPENAI_API_KEY", KEY)
        .args(["-vv", "generate", PROMPT, "--backend", "openai"])
        .run();
    assert!(p.exists(TARGET), "{}", out.stderr);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(
        reqs[0].header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert!(reqs[0].path.contains(QUERY_KEY), "{}", reqs[0].path);
    // A URL with a password, to a port nobody listens on: the error names the URL.
    let with_password = format!(
        "http://dockhand:{PASSWORD}@127.0.0.1:9/v1?api-version=2024-06-01&api-key={QUERY_KEY}"
    );
    let failed = p
        .dockhand()
        .env("OPENAI_BASE_URL", &with_password)
        .env("OPENAI_API_KEY", KEY)
        .args(["-vv", "generate", "backend-service", "--backend", "openai"])
        .status(2)
        .run();
    assert!(
        failed
            .stderr
            .contains("http://REDACTED@127.0.0.1:9/v1/chat/completions?api-version=2024-06-01&api-key=REDACTED"),
        "{}",
        failed.stderr
    );
    let doctor = p
        .dockhand()
        .env("OPENAI_BASE_URL", &with_password)
        .env("OPENAI_API_KEY", KEY)
        .args(["doctor"])
        .run();

    let mut places = vec![
        ("generate stdout".to_owned(), out.stdout),
        ("generate stderr".to_owned(), out.stderr),
        ("failed stdout".to_owned(), failed.stdout),
        ("failed stderr".to_owned(), failed.stderr),
        ("doctor stdout".to_owned(), doctor.stdout),
        ("doctor stderr".to_owned(), doctor.stderr),
        (
            "git history".to_owned(),
            p.git(&["log", "-p", "--all", "--format=%H%n%B"]),
        ),
    ];
    for f in p.files() {
        places.push((
            f.clone(),
            String::from_utf8_lossy(&std::fs::read(p.path().join(&f)).unwrap()).into_owned(),
        ));
    }
    assert!(
        p.files().iter().any(|f| f.starts_with(".dockhand/cache/")),
        "the answer was cached"
    );
    for (place, text) in &places {
        for secret in [KEY, PASSWORD, QUERY_KEY] {
            assert!(!text.contains(secret), "{secret} in {place}:\n{text}");
        }
    }
}

/// `dockhand session` stopped by `signal` while kubectl-ai hangs with a child: both are
/// killed, nothing is written, the terminal is given back, and the status is 128 + signal.
fn signal_mid_session(name: &str, signal: i32) {
    use crate::harness::Step::{Expect, File, Send, Signal, Sleep};
    let p = project(120, "");
    let tool = FakeTool::new(
        "echo $$ > \"$DIR/tool.pid\"\n\
         sh -c 'echo $$ > \"$0/child.pid\"; exec sleep 300' \"$DIR\" &\n\
         sleep 300",
    );
    let child_pid = tool.path().join("child.pid").to_string_lossy().into_owned();
    let t = p
        .dockhand()
        .path_prefix(tool.path())
        .args(["session", "--backend", "kubectl-ai"]);
    let run = crate::harness::pty(
        t,
        &[
            Expect("filter>"),
            Send("backend-dep"),
            Send("\r"),
            Expect("Ctrl-C cancels)"),
            File(&child_pid),
            Sleep(0.2),
            Signal(name),
        ],
    );
    assert!(run.ok, "{}", run.context());
    assert_eq!(
        run.status,
        Some(128 + signal as i64),
        "exit status\n{}",
        run.context()
    );
    let last = run.transcript.trim_end().lines().last().unwrap_or_default();
    let what = if signal == libc::SIGTERM {
        "terminated (SIGTERM)"
    } else {
        "hung up (SIGHUP)"
    };
    assert_eq!(
        last,
        format!("error: {what}: the assistants were stopped and nothing was written"),
        "{}",
        run.context()
    );
    assert!(!p.exists(TARGET), "{}", run.context());
    assert_eq!(p.git(&["status", "--porcelain"]), "");
    for name in ["tool", "child"] {
        let pid = tool.pid(name).unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while !gone(pid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(gone(pid), "{name} {pid} survived the signal");
    }
}

#[test]
fn sigterm_mid_session() {
    signal_mid_session("TERM", libc::SIGTERM);
}

#[test]
fn sighup_mid_session() {
    signal_mid_session("HUP", libc::SIGHUP);
}
