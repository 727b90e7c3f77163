use super::kill::is_gone;
use super::*;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use super::test_support::{fake_bin as fake, repo_root};

fn sh(script: &str) -> Invocation {
    Invocation::new("sh", vec!["-c".into(), script.into()]).with_timeout(Duration::from_secs(20))
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
    // Only the last 1 MiB of stderr is kept: memory stays bounded.
    assert_eq!(c.stderr.len(), DEFAULT_MAX_OUTPUT as usize);
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
    assert_eq!(c.stderr.len(), DEFAULT_MAX_OUTPUT as usize);
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
            .contains("`dockhand-no-such-tool` not found on PATH")
    );
    let err = run_blocking(&Invocation::new("/nonexistent/dir/tool", vec![])).unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(err.to_string(), "`/nonexistent/dir/tool` does not exist");
    let not_exec = repo_root().join("Cargo.toml");
    let err2 = run_blocking(&Invocation::new(&not_exec, vec![])).unwrap_err();
    assert_eq!(
        err2.to_string(),
        format!("`{}` is not executable", not_exec.display())
    );
    assert!(matches!(
        Availability::from_probe_error(&err),
        Availability::Unavailable(r) if r == "`/nonexistent/dir/tool` does not exist"
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

#[test]
fn stdout_over_the_limit_kills_the_tool_at_once() {
    // An endless writer: it is stopped as soon as it passes the limit, not at the timeout.
    let inv = sh("yes dockhand").with_timeout(Duration::from_secs(30));
    let t = Instant::now();
    let err = run_blocking_limited(&inv, 64 * 1024).unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert_eq!(
        err.to_string(),
        "`sh -c 'yes dockhand'` wrote more than 64 KiB to stdout; it was stopped and its answer \
         discarded (raise [limits] max_answer_bytes in dockhand.toml if the answer is meant to be \
         this big)"
    );
    // Exactly the limit is fine.
    let c = run_blocking_limited(&sh("head -c 65536 /dev/zero | tr '\\0' x"), 64 * 1024).unwrap();
    assert_eq!(c.stdout.len(), 65536);
}

#[test]
fn a_detached_child_holding_stdout_does_not_delay_the_answer_and_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    // setsid: the child leaves the tool's process group but keeps its stdout.
    let script = format!(
        "setsid sh -c 'echo $$ > {0}; exec sleep 60' & \
         while [ ! -s {0} ]; do sleep 0.05; done; echo answer",
        pidfile.display()
    );
    let t = Instant::now();
    let c = run_blocking(&sh(&script).with_timeout(Duration::from_secs(30))).unwrap();
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert_eq!(c.stdout, "answer\n");
    let pid: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let gone = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(20));
        is_gone(pid)
    });
    assert!(gone, "the detached child {pid} survived");
}
