//! `dockhand regen`: offline replay, drift checks, parallel jobs, one commit.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::atomic::assert_whole;
use crate::harness::{Project, fixture};
use crate::openai_server::{RecordedRequest, Reply, TestServer, chat_json};

fn answer(name: &str) -> String {
    std::fs::read_to_string(fixture(&format!("answers/{name}.md"))).unwrap()
}

/// A project with two artifacts generated through the HTTP server.
fn generated() -> (Project, TestServer) {
    let p = Project::seeded();
    let server = TestServer::with_handler(|req: &RecordedRequest| {
        let prompt = req.last_user_message();
        if prompt.contains("ConfigMap") {
            chat_json(&answer("frontend-configmap"))
        } else {
            chat_json(&answer("backend-service"))
        }
    });
    for id in ["backend-service", "frontend-configmap"] {
        p.dockhand()
            .args(["generate", id, "--backend", "openai"])
            .openai(&server)
            .run();
    }
    (p, server)
}

#[test]
fn offline_regen_on_a_fresh_clone_reproduces_every_artifact_byte_for_byte() {
    let (p, server) = generated();
    let before = server.request_count();
    let clone = tempfile::tempdir().unwrap();
    let dest = clone.path().join("c");
    std::process::Command::new("git")
        .args(["clone", "-q"])
        .arg(p.path())
        .arg(&dest)
        .status()
        .unwrap();
    let out = crate::harness::Test::new()
        .current_dir(&dest)
        .args(["-q", "regen", "--offline"])
        .run();
    assert_whole(&out, &[], "up to date: every artifact matches\n", "");
    for f in [
        "charts/todo-app/templates/backend-service.yaml",
        "charts/todo-app/templates/configmap.yaml",
    ] {
        assert_eq!(
            std::fs::read(dest.join(f)).unwrap(),
            std::fs::read(p.path().join(f)).unwrap(),
            "{f}"
        );
    }
    assert_eq!(
        server.request_count(),
        before,
        "offline: no request\n{}",
        out.stderr
    );
    // Delete an artifact: regen --offline brings it back exactly.
    let original = std::fs::read(dest.join("charts/todo-app/templates/configmap.yaml")).unwrap();
    std::fs::remove_file(dest.join("charts/todo-app/templates/configmap.yaml")).unwrap();
    let out = crate::harness::Test::new()
        .current_dir(&dest)
        .args(["-q", "regen", "--offline", "--no-commit"])
        .run();
    assert_whole(&out, &[], "wrote 1 artifact(s); not committed\n", "");
    assert_eq!(
        std::fs::read(dest.join("charts/todo-app/templates/configmap.yaml")).unwrap(),
        original
    );
}

#[test]
fn check_names_drifted_files_and_exits_1() {
    let (p, _server) = generated();
    p.dockhand().args(["regen", "--offline", "--check"]).run();
    let path = "charts/todo-app/templates/configmap.yaml";
    p.write(
        path,
        &p.read(path).replace("todo-backend:8000", "10.0.0.7:8000"),
    );
    let out = p
        .dockhand()
        .args(["-q", "regen", "--offline", "--check"])
        .status(1)
        .run();
    // Only the drifted file is named.
    assert_whole(
        &out,
        &[],
        &format!("drift: 1 file(s) differ from what the lock and cache reproduce:\n  {path}\n"),
        "",
    );
    // --check never writes.
    assert!(p.read(path).contains("10.0.0.7"));
}

#[test]
fn check_json_lists_each_artifact_with_status() {
    let (p, _server) = generated();
    let out = p
        .dockhand()
        .args(["regen", "--offline", "--check", "--format", "json"])
        .run();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let arts = v["artifacts"].as_array().unwrap();
    assert_eq!(arts.len(), 2);
    for a in arts {
        assert_eq!(a["status"], "up-to-date");
        assert_eq!(a["backend"], "openai");
        assert_eq!(a["attempts"].as_array().unwrap().len(), 1);
        assert!(a["findings"].is_array());
        assert!(a["timings"]["total_ms"].is_number());
    }
}

#[test]
fn offline_regen_with_changed_values_fails_without_writing() {
    let (p, _server) = generated();
    p.write(
        "dockhand.toml",
        &p.read("dockhand.toml")
            .replace("backend_port = 8000", "backend_port = 8001"),
    );
    let before = p.read("charts/todo-app/templates/backend-service.yaml");
    let out = p
        .dockhand()
        .args(["-q", "regen", "--offline"])
        .status(2)
        .run();
    assert_whole(
        &out,
        &[],
        "error: backend-service@1.1.0: no backend could answer:\n  cache: no recorded answer for this exact prompt (and --offline)\n(--offline uses recorded answers only; run without it to ask an assistant)\nnothing written: some jobs failed (use --keep-going to write the others)\n",
        "error: 1 job(s) could not run\n",
    );
    assert_eq!(
        p.read("charts/todo-app/templates/backend-service.yaml"),
        before
    );
}

const CONFIGMAP_PROMPT: &str = "+++\nid = \"cm-NN\"\nversion = \"1.0.0\"\ntool = \"kubectl-ai\"\noutput = \"kubernetes\"\ntargets = [\"charts/many/templates/cm-NN.yaml\"]\n\n[vars.name]\ntype = \"string\"\ndefault = \"cm-NN\"\n+++\nCreate a ConfigMap named {{ name }}.\n";

/// A server answering each ConfigMap prompt after `delay`, counting the most
/// requests it held at once.
fn configmap_server(delay: Duration) -> (TestServer, Arc<AtomicUsize>) {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (f, pk) = (in_flight.clone(), peak.clone());
    let server = TestServer::with_handler(move |req: &RecordedRequest| {
        let now = f.fetch_add(1, Ordering::SeqCst) + 1;
        pk.fetch_max(now, Ordering::SeqCst);
        std::thread::sleep(delay);
        f.fetch_sub(1, Ordering::SeqCst);
        let name = req
            .last_user_message()
            .split("named ")
            .nth(1)
            .unwrap()
            .trim()
            .trim_end_matches('.')
            .to_owned();
        chat_json(&format!(
            "```yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  a: \"1\"\n```\n"
        ))
    });
    (server, peak)
}

/// A seeded project with `n` ConfigMap prompts cm-00.. committed.
fn with_configmap_prompts(n: usize) -> Project {
    let p = Project::seeded();
    for i in 0..n {
        p.write(
            &format!("prompts/kubectl-ai/cm-{i:02}.md"),
            &CONFIGMAP_PROMPT.replace("NN", &format!("{i:02}")),
        );
    }
    p.git(&["add", "-A"]);
    p.git(&["commit", "-qm", "configmap prompts"]);
    p
}

#[test]
fn thirty_two_prompts_run_in_parallel_and_make_one_commit() {
    let p = with_configmap_prompts(32);
    let (server, peak) = configmap_server(Duration::from_millis(300));
    let ids: Vec<String> = (0..32).map(|i| format!("cm-{i:02}")).collect();
    let commits = p.commit_count();
    let out = p
        .dockhand()
        .arg("regen")
        .args(ids.clone())
        .args(["--jobs", "8", "--backend", "openai"])
        .openai(&server)
        .run();
    // Whole output; the progress lines in the order the jobs finished.
    let mut lines: Vec<&str> = out.stderr.lines().collect();
    lines.sort();
    let expected: Vec<String> = ids
        .iter()
        .map(|id| format!("{id}@1.0.0: changed"))
        .collect();
    assert_eq!(lines, expected, "{}", out.stderr);
    assert_whole(
        &crate::harness::Output {
            status: 0,
            stdout: out.stdout.clone(),
            stderr: String::new(),
        },
        &[],
        "wrote 32 artifact(s); committed [SHA]\n",
        "",
    );
    assert_eq!(server.request_count(), 32);
    let peak = peak.load(Ordering::SeqCst);
    assert!(
        peak > 1,
        "jobs overlapped (peak {peak} in flight)\n{}",
        out.stderr
    );
    assert!(peak <= 8, "at most --jobs at once (peak {peak})");
    assert_eq!(p.commit_count(), commits + 1, "one commit for the run");
    let files = p.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(
        files
            .lines()
            .filter(|l| l.starts_with("charts/many/templates/"))
            .count(),
        32
    );
    // Progress lines of parallel jobs never interleave: each is whole.
    for line in out.stderr.lines().filter(|l| l.starts_with("cm-")) {
        assert!(line.matches("cm-").count() == 1, "interleaved: {line}");
    }
}

#[test]
fn a_failed_job_means_nothing_is_written_unless_keep_going() {
    let p = Project::seeded();
    let server = TestServer::with_handler(|req: &RecordedRequest| {
        if req.last_user_message().contains("ConfigMap") {
            chat_json(&answer("frontend-configmap"))
        } else {
            Reply::error(400, "no such model")
        }
    });
    let run = |extra: &[&str], status: i32| {
        p.dockhand()
            .args([
                "-q",
                "regen",
                "frontend-configmap",
                "backend-service",
                "--backend",
                "openai",
            ])
            .args(extra.iter().copied())
            .openai(&server)
            .status(status)
            .run()
    };
    let url = server.base_url();
    let server_is = [(std::path::Path::new(&url), "[SERVER]")];
    let failed = "error: backend-service@1.1.0: no backend could answer:\n  cache: no recorded answer for this exact prompt\n  openai: [SERVER]/chat/completions rejected the request with HTTP 400: no such model\n";
    let out = run(&[], 2);
    assert_whole(
        &out,
        &server_is,
        &format!(
            "{failed}nothing written: some jobs failed (use --keep-going to write the others)\n"
        ),
        "error: 1 job(s) could not run\n",
    );
    assert!(!p.exists("charts/todo-app/templates/configmap.yaml"));
    let out = run(&["--keep-going"], 2);
    assert_whole(
        &out,
        &server_is,
        &format!("{failed}wrote 1 artifact(s); committed [SHA]\n"),
        "error: 1 job(s) could not run\n",
    );
    assert!(p.exists("charts/todo-app/templates/configmap.yaml"));
}

#[test]
fn the_per_backend_limit_bounds_jobs_whatever_jobs_says() {
    let p = with_configmap_prompts(6);
    p.write(
        "dockhand.toml",
        &p.read("dockhand.toml").replace("openai = 4", "openai = 2"),
    );
    p.git(&["commit", "-qam", "openai limited to 2"]);
    let (server, peak) = configmap_server(Duration::from_millis(300));
    p.dockhand()
        .arg("regen")
        .args((0..6).map(|i| format!("cm-{i:02}")))
        .args(["--jobs", "6", "--backend", "openai", "--no-commit"])
        .openai(&server)
        .run();
    assert_eq!(peak.load(Ordering::SeqCst), 2);
}

#[test]
fn on_a_terminal_progress_shows_an_overall_bar_and_each_job_s_stage() {
    use crate::harness::Step::Expect;
    let p = with_configmap_prompts(3);
    let (server, _) = configmap_server(Duration::from_millis(1500));
    let t = p
        .dockhand()
        .args([
            "regen",
            "cm-00",
            "cm-01",
            "cm-02",
            "--backend",
            "openai",
            "--no-commit",
        ])
        .openai(&server);
    let run = crate::harness::pty(
        t,
        &[
            Expect("/3 artifacts"),
            Expect("cm-0"),
            Expect("asking openai"),
            Expect("wrote 3 artifact(s)"),
        ],
    );
    run.assert_clean_exit();
}

#[test]
fn backend_flag_asks_that_backend_instead_of_replaying_the_lock() {
    let p = Project::seeded();
    p.dockhand()
        .args(["generate", "backend-service", "--response-file"])
        .arg(fixture("answers/backend-service.md").to_string_lossy())
        .run();
    // Without --backend the hand-written answer is replayed; with it, openai is asked.
    p.dockhand().args(["regen", "--offline", "--check"]).run();
    let server = TestServer::start(vec![chat_json(&answer("backend-service"))]);
    p.dockhand()
        .args(["regen", "backend-service", "--backend", "openai"])
        .openai(&server)
        .run();
    assert_eq!(server.request_count(), 1);
    assert!(p.read("dockhand.lock").contains("backend = \"openai\""));
}

/// A project holding this repository's own artifacts, lock and response cache, committed.
fn with_the_repo_s_artifacts() -> (Project, Vec<String>) {
    let p = Project::seeded();
    let root = crate::harness::repo_root();
    for dir in ["charts", "docker", ".dockhand/cache"] {
        crate::harness::copy_dir(&root.join(dir), &p.path().join(dir));
    }
    std::fs::copy(root.join("dockhand.lock"), p.path().join("dockhand.lock")).unwrap();
    p.git(&["add", "-A"]);
    p.git(&["commit", "-qm", "artifacts"]);
    let lock: toml::Value = toml::from_str(&p.read("dockhand.lock")).unwrap();
    let paths: Vec<String> = lock["artifact"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["path"].as_str().unwrap().to_owned())
        .collect();
    assert!(paths.len() >= 7, "{paths:?}");
    (p, paths)
}

#[test]
fn deleting_any_artifact_and_running_regen_offline_brings_it_back_byte_for_byte() {
    let (p, paths) = with_the_repo_s_artifacts();
    let out = p
        .dockhand()
        .args(["-q", "regen", "--offline", "--check"])
        .run();
    crate::atomic::assert_whole(&out, &[], "", "");
    let head = p.git(&["rev-parse", "HEAD"]);
    for path in &paths {
        let original = std::fs::read(p.path().join(path)).unwrap();
        std::fs::remove_file(p.path().join(path)).unwrap();
        // The others' cross-resource checks (a Service's selector) see it as the cache has it.
        let out = p
            .dockhand()
            .args(["-q", "regen", "--offline", "--check"])
            .status(1)
            .run();
        crate::atomic::assert_whole(
            &out,
            &[],
            &format!("drift: 1 file(s) differ from what the lock and cache reproduce:\n  {path}\n"),
            "",
        );
        let out = p.dockhand().args(["-q", "regen", "--offline"]).run();
        crate::atomic::assert_whole(
            &out,
            &[],
            "wrote 1 artifact(s); nothing new to commit (HEAD already holds them)\n",
            "",
        );
        assert_eq!(
            std::fs::read(p.path().join(path)).unwrap(),
            original,
            "{path}"
        );
        assert_eq!(p.git(&["status", "--porcelain"]), "", "{path}");
    }
    // All of them at once.
    let originals: Vec<Vec<u8>> = paths
        .iter()
        .map(|f| std::fs::read(p.path().join(f)).unwrap())
        .collect();
    for f in &paths {
        std::fs::remove_file(p.path().join(f)).unwrap();
    }
    let out = p.dockhand().args(["-q", "regen", "--offline"]).run();
    crate::atomic::assert_whole(
        &out,
        &[],
        &format!(
            "wrote {} artifact(s); nothing new to commit (HEAD already holds them)\n",
            paths.len()
        ),
        "",
    );
    for (f, original) in paths.iter().zip(&originals) {
        assert_eq!(&std::fs::read(p.path().join(f)).unwrap(), original, "{f}");
    }
    assert_eq!(p.git(&["rev-parse", "HEAD"]), head, "no new commit");
}
