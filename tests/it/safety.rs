//! Safety in every mode: the repo lock, atomic writes under SIGINT, target confinement.

use std::time::{Duration, Instant};

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
    p.dockhand()
        .args(["generate", "backend-service", "--response-file"])
        .arg(fixture("answers/backend-service.md").to_string_lossy())
        .env("DOCKHAND_LOCK_WAIT", "1")
        .status(2)
        .stderr_has("another dockhand run holds the repository lock")
        .run();
    assert!(!p.exists("charts/todo-app/templates/backend-service.yaml"));
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
    p.dockhand()
        .args(["generate", "backend-service", "--response-file"])
        .arg(fixture("answers/backend-service.md").to_string_lossy())
        .env("DOCKHAND_LOCK_WAIT", "20")
        .run();
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
        .args(["generate", "backend-service", "--backend", "openai"])
        .openai(&server)
        .command()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the request reached the server, then interrupt.
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.request_count() == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
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
    assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted"));
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
        ("../outside.yaml", "`..`"),
        ("charts/../../outside.yaml", "`..`"),
        ("/etc/passwd", "absolute"),
        ("src/main.yaml", "charts/ or docker/"),
        ("charts", "charts/ or docker/"),
    ] {
        let p = Project::seeded();
        p.write(
            "prompts/kubectl-ai/escape.md",
            &ESCAPING.replace("TARGET", target),
        );
        p.dockhand()
            .args(["generate", "escape", "--response-file"])
            .arg(fixture("answers/frontend-configmap.md").to_string_lossy())
            .status(2)
            .stderr_has(format!("target `{target}` is refused"))
            .stderr_has(why)
            .run();
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
    p.dockhand()
        .args(["generate", "escape", "--response-file"])
        .arg(fixture("answers/frontend-configmap.md").to_string_lossy())
        .status(2)
        .stderr_has("a symlink leads outside")
        .run();
    assert!(
        std::fs::read_dir(outside.path()).unwrap().next().is_none(),
        "nothing written outside"
    );
}

#[test]
fn sigint_during_the_commit_lets_the_commit_finish_whole() {
    let p = Project::seeded();
    let marker = p.path().join("../hook-started");
    let _ = std::fs::remove_file(&marker);
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
        .args(["generate", "backend-service", "--response-file"])
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
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(p.commit_count(), 3, "the commit is whole");
    assert_eq!(
        p.git(&["status", "--porcelain"]),
        "",
        "nothing half-written or half-staged"
    );
    assert!(!p.exists(".git/index.lock"));
    let _ = std::fs::remove_file(&marker);
}
