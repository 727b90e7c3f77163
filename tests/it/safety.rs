//! Safety in every mode: the repo lock, atomic writes under SIGINT, target confinement.

use std::time::{Duration, Instant};

use crate::atomic::assert_whole;
use crate::harness::{Project, fixture};
use crate::openai_server::{Reply, TestServer, chat_json};

fn answer(name: &str) -> String {
    std::fs::read_to_string(fixture(&format!("answers/{name}.md"))).unwrap()
}

fn hold_lock(p: &Project) -> std::fs::File {
    let f = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(p.path().join(".git/dockhand-run.lock"))
        .unwrap();
    f.lock().unwrap();
    f
}

#[test]
fn a_second_run_fails_clearly_while_the_repo_lock_is_held() {
    let p = Project::seeded();
    let _held = hold_lock(&p);
    let out = p
        .dockhand()
        .args(["generate", "backend-service", "--response-file"])
        .arg(fixture("answers/backend-service.md").to_string_lossy())
        .env("DOCKHAND_LOCK_WAIT", "1")
        .status(2)
        .run();
    assert_whole(
        &out,
        &[(p.path(), "[ROOT]")],
        "",
        "error: another dockhand run holds the repository lock [ROOT]/.git/dockhand-run.lock; waited 1s\n",
    );
    assert!(!p.exists("charts/todo-app/templates/backend-service.yaml"));
}

#[test]
fn a_check_waits_for_a_writing_run_and_never_sees_half_of_it() {
    let p = Project::seeded();
    let out = p
        .dockhand()
        .args(["-q", "generate", "backend-service", "--response-file"])
        .arg(fixture("answers/backend-service.md").to_string_lossy())
        .run();
    assert_eq!(out.stderr, "");
    // Readers share the lock: a check runs beside another reader.
    let reader = std::fs::File::open(p.path().join(".git/dockhand-run.lock")).unwrap();
    reader.lock_shared().unwrap();
    let out = p
        .dockhand()
        .args(["-q", "regen", "--offline", "--check"])
        .env("DOCKHAND_LOCK_WAIT", "1")
        .run();
    assert_whole(&out, &[], "", "");
    drop(reader);
    // A writing run holds it exclusively: the check waits, then says so.
    let _held = hold_lock(&p);
    let out = p
        .dockhand()
        .args(["-q", "regen", "--offline", "--check"])
        .env("DOCKHAND_LOCK_WAIT", "1")
        .status(2)
        .run();
    assert_whole(
        &out,
        &[(p.path(), "[ROOT]")],
        "",
        "error: another dockhand run holds the repository lock [ROOT]/.git/dockhand-run.lock; waited 1s\n",
    );
}

#[test]
fn a_second_run_waits_for_the_lock_then_proceeds() {
    let p = Project::seeded();
    let held = hold_lock(&p);
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        drop(held);
    });
    let started = Instant::now();
    let out = p
        .dockhand()
        .args(["-q", "generate", "backend-service", "--response-file"])
        .arg(fixture("answers/backend-service.md").to_string_lossy())
        .env("DOCKHAND_LOCK_WAIT", "20")
        .run();
    assert_whole(
        &out,
        &[],
        "wrote charts/todo-app/templates/backend-service.yaml\nwrote .dockhand/cache/[KEY].json\nwrote dockhand.lock\ncommitted [SHA]\n",
        "",
    );
    release.join().unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(1400),
        "it waited"
    );
    assert!(p.exists("charts/todo-app/templates/backend-service.yaml"));
}

#[test]
fn sigint_while_waiting_leaves_no_partial_file_and_no_commit() {
    let p = Project::seeded();
    let server = TestServer::start(vec![Reply::Delay(
        Duration::from_secs(10),
        Box::new(chat_json(&answer("backend-service"))),
    )]);
    let child = p
        .dockhand()
        .args(["-q", "generate", "backend-service", "--backend", "openai"])
        .openai(&server)
        .spawn_piped();
    // Wait until the request reached the server, then interrupt.
    server.wait_for_a_request();
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let started = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "stopped promptly"
    );
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        (
            String::from_utf8_lossy(&out.stdout).as_ref(),
            String::from_utf8_lossy(&out.stderr).as_ref()
        ),
        ("", "interrupted: nothing was written\n")
    );
    let files = p.files();
    assert!(
        !files
            .iter()
            .any(|f| f.starts_with("charts") || f.contains(".tmp") || f == "dockhand.lock"),
        "{files:?}"
    );
    assert_eq!(p.commit_count(), 2);
    assert_eq!(p.git(&["status", "--porcelain"]), "");
}

const ESCAPING: &str = "+++\nid = \"escape\"\nversion = \"1.0.0\"\ntool = \"kubectl-ai\"\noutput = \"kubernetes\"\ntargets = [\"TARGET\"]\n+++\nCreate a ConfigMap.\n";

#[test]
fn targets_outside_charts_and_docker_are_refused() {
    for (target, why) in [
        ("../outside.yaml", "`..` or `.` in the path"),
        ("charts/../../outside.yaml", "`..` or `.` in the path"),
        ("/etc/passwd", "absolute path"),
        ("src/main.yaml", "targets live under charts/ or docker/"),
        ("charts", "targets live under charts/ or docker/"),
    ] {
        let p = Project::seeded();
        p.write(
            "prompts/kubectl-ai/escape.md",
            &ESCAPING.replace("TARGET", target),
        );
        let out = p
            .dockhand()
            .args(["-q", "generate", "escape", "--response-file"])
            .arg(fixture("answers/frontend-configmap.md").to_string_lossy())
            .status(2)
            .run();
        assert_whole(
            &out,
            &[],
            "",
            &format!("error: escape@1.0.0: target `{target}` is refused: {why}\n"),
        );
        assert_eq!(p.commit_count(), 2);
        assert_eq!(
            p.git(&["status", "--porcelain"]),
            "?? prompts/kubectl-ai/escape.md\n"
        );
    }
}

#[test]
fn a_symlink_that_leads_outside_is_refused() {
    let p = Project::seeded();
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(p.path().join("charts")).unwrap();
    std::os::unix::fs::symlink(outside.path(), p.path().join("charts/evil")).unwrap();
    p.write(
        "prompts/kubectl-ai/escape.md",
        &ESCAPING.replace("TARGET", "charts/evil/cm.yaml"),
    );
    let out = p
        .dockhand()
        .args(["-q", "generate", "escape", "--response-file"])
        .arg(fixture("answers/frontend-configmap.md").to_string_lossy())
        .status(2)
        .run();
    assert_whole(
        &out,
        &[],
        "",
        "error: escape@1.0.0: target `charts/evil/cm.yaml` is refused: a symlink leads outside\n",
    );
    assert!(
        std::fs::read_dir(outside.path()).unwrap().next().is_none(),
        "nothing written outside"
    );
}

#[test]
fn sigint_during_the_commit_lets_the_commit_finish_whole() {
    signal_during_the_commit_lets_the_commit_finish_whole("INT");
}

#[test]
fn sigterm_and_sighup_during_the_commit_let_the_commit_finish_whole() {
    signal_during_the_commit_lets_the_commit_finish_whole("TERM");
    signal_during_the_commit_lets_the_commit_finish_whole("HUP");
}

/// A signal that lands while git commits: the unit is written and committed whole.
fn signal_during_the_commit_lets_the_commit_finish_whole(signal: &str) {
    let p = Project::seeded();
    let scratch = tempfile::tempdir().unwrap();
    let marker = scratch.path().join("hook-started");
    // A slow pre-commit hook: the interrupt lands while git is committing.
    p.write(
        ".git/hooks/pre-commit",
        &format!("#!/bin/sh\ntouch '{}'\nsleep 2\n", marker.display()),
    );
    std::fs::set_permissions(
        p.path().join(".git/hooks/pre-commit"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let child = p
        .dockhand()
        .args(["-q", "generate", "backend-service", "--response-file"])
        .arg(fixture("answers/backend-service.md").to_string_lossy())
        .command()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !marker.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(marker.exists(), "the hook ran");
    std::process::Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = crate::harness::Output {
        status: 0,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_whole(
        &out,
        &[],
        "wrote charts/todo-app/templates/backend-service.yaml\nwrote .dockhand/cache/[KEY].json\nwrote dockhand.lock\ncommitted [SHA]\n",
        "",
    );
    assert_eq!(p.commit_count(), 3, "the commit is whole");
    assert_eq!(
        p.git(&["status", "--porcelain"]),
        "",
        "nothing half-written or half-staged"
    );
    assert!(!p.exists(".git/index.lock"));
}
