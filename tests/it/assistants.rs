//! The assistants as they really are, end to end: kagent repairing in one session, what
//! `doctor` says the installed versions do, and `dockhand extract` on kubectl-ai's terminal
//! output.

use crate::backends::{answer, lock_backend, log_file, logged, only, tool};
use crate::harness::{Project, Test, fixture};

// --- kagent: A2A 1.0 output, repair follow-ups in the same session -----------------------------

#[test]
fn kagent_repairs_in_the_same_session_with_only_the_follow_up() {
    let p = Project::seeded();
    // backend-service (every version) asked of kagent instead of kubectl-ai.
    for v in ["1.0.0", "1.1.0"] {
        let from = format!("prompts/kubectl-ai/backend-service@{v}.md");
        let prompt = p.read(&from);
        std::fs::remove_file(p.path().join(&from)).unwrap();
        p.write(
            &format!("prompts/kagent/backend-service@{v}.md"),
            &prompt.replace("tool = \"kubectl-ai\"", "tool = \"kagent\""),
        );
    }
    p.git(&["add", "-A"]);
    p.git(&["commit", "-qm", "kagent writes the service"]);
    let filled = p
        .dockhand()
        .args(["prompts", "render", "backend-service"])
        .run()
        .stdout;
    let good = std::fs::read_to_string(answer("backend-service")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.md");
    std::fs::write(&bad, good.replace("targetPort: 8000", "targetPort: [8000]")).unwrap();
    let (_logdir, log) = log_file();
    let tools = only(&["kagent"]);
    tool(&p, tools.path(), &log)
        .args(["-q", "generate", "backend-service", "--backend", "kagent"])
        .env("FAKE_KAGENT_SHAPE", "v1")
        .env("FAKE_ANSWER_FILE", bad.to_string_lossy())
        .env("FAKE_REPAIR_FILE", answer("backend-service"))
        .run();
    let calls = logged(&log);
    assert_eq!(calls.len(), 2, "{calls:?}");
    // The first call: the filled prompt, a new session.
    assert_eq!(
        calls[0],
        [
            "kagent",
            "invoke",
            "--agent",
            "k8s-agent",
            "--task",
            filled.as_str(),
            "--namespace",
            "kagent",
        ]
    );
    // The follow-up: only the findings, in the session the first answer came in.
    assert_eq!(
        &calls[1][..4],
        &["kagent", "invoke", "--agent", "k8s-agent"]
    );
    assert_eq!(
        &calls[1][6..],
        &["--namespace", "kagent", "--session", "ctx-fake-1"]
    );
    assert!(
        calls[1][5].contains("schema/type") && !calls[1][5].contains(filled.trim()),
        "{}",
        calls[1][5]
    );
    let yaml = good
        .split("```yaml\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    assert_eq!(
        p.read("charts/todo-app/templates/backend-service.yaml"),
        yaml
    );
    assert_eq!(
        lock_backend(&p, "charts/todo-app/templates/backend-service.yaml"),
        "kagent"
    );
}

// --- doctor: which behaviours the installed versions show ------------------------------------

fn doctor_backends(env: &[(&str, &str)]) -> serde_json::Value {
    let p = Project::seeded();
    let dir = only(&["docker", "kubectl-ai", "kagent"]);
    let mut t = p
        .dockhand()
        .path_prefix(dir.path())
        .args(["doctor", "--format", "json"]);
    for (k, v) in env {
        t = t.env(k, *v);
    }
    let out = t.run();
    assert_eq!(out.stderr, "");
    let all: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let prefix = format!("{}/", dir.path().display());
    serde_json::Value::Array(
        all.as_array()
            .unwrap()
            .iter()
            .filter(|c| ["gordon", "kubectl-ai", "kagent"].contains(&c["name"].as_str().unwrap()))
            .map(|c| {
                let mut c = c.clone();
                let path = c["path"].as_str().unwrap().replace(&prefix, "<bin>/");
                c["path"] = path.into();
                c
            })
            .collect(),
    )
}

#[test]
fn doctor_says_which_behaviours_the_installed_versions_show() {
    let current = doctor_backends(&[("FAKE_KAGENT_SHAPE", "v1")]);
    assert_eq!(
        current,
        serde_json::json!([
            {"name": "gordon", "kind": "backend", "found": true, "path": "<bin>/docker",
             "version": "Version: v1.9.11", "configured": false, "usable": true,
             "behaviours": [
                "takes the first prompt as an argument",
                "has -C/--working-dir: runs in a temporary folder holding copies of the context files the prompt names",
                "may ask approval ([Y/n/a]) or open its terminal UI: stdin is closed, and either ends the run with a message",
                "may write the Dockerfile instead of printing it: the folder is diffed"]},
            {"name": "kubectl-ai", "kind": "backend", "found": true, "path": "<bin>/kubectl-ai",
             "version": "google flavour", "flavour": "google", "configured": false, "usable": true,
             "behaviours": [
                "has --trace-path: the answer is the model's last message from the trace file",
                "never given --skip-permissions: a change to the cluster ends the run",
                "an empty kubeconfig: no cluster access"]},
            {"name": "kagent", "kind": "backend", "found": true, "path": "<bin>/kagent",
             "version": "{\"kagent_version\":\"0.11.2\",\"git_commit\":\"5229184\",\"build_date\":\"2026-11-20\"}",
             "configured": false, "usable": true,
             "behaviours": [
                "prints A2A 1.0 JSON (TASK_STATE_*, no \"kind\" fields)",
                "repair follow-ups continue the conversation with --session"]},
        ])
    );
    let older = doctor_backends(&[
        ("FAKE_DOCKER_AI_VERSION", "old"),
        ("FAKE_KUBECTL_AI_VERSION", "old"),
    ]);
    let behaviours: Vec<&serde_json::Value> = older
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["behaviours"])
        .collect();
    assert_eq!(
        behaviours,
        [
            &serde_json::json!([
                "takes the first prompt as an argument",
                "no -C/--working-dir: runs with a temporary folder (holding the context files) as its current directory",
                "may ask approval ([Y/n/a]) or open its terminal UI: stdin is closed, and either ends the run with a message",
                "may write the Dockerfile instead of printing it: the folder is diffed"
            ]),
            &serde_json::json!([
                "no --trace-path: the answer is read from its glamour-rendered terminal output",
                "never given --skip-permissions: a change to the cluster ends the run",
                "an empty kubeconfig: no cluster access"
            ]),
            &serde_json::json!([
                "prints A2A 0.x JSON (\"kind\" fields, lower-case states)",
                "repair follow-ups continue the conversation with --session"
            ]),
        ]
    );
}

// --- `dockhand extract` on kubectl-ai's terminal output ----------------------------------------

fn quiet_yaml() -> String {
    let md = std::fs::read_to_string(fixture("tool-output/kubectl-ai-google-answer.md")).unwrap();
    md.split("```yaml\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn extract_reads_the_whole_manifest_from_glamour_output_with_wrapped_lines() {
    // Before: the wrapped annotation ended the YAML, and a cut-off Deployment came out, exit 0.
    let out = Test::new()
        .args(["extract", "--as", "kubernetes"])
        .arg(fixture("tool-output/kubectl-ai-google-quiet.txt").to_string_lossy())
        .run();
    assert_eq!((out.stdout, out.stderr), (quiet_yaml(), String::new()));
}

#[test]
fn extract_never_takes_the_heredoc_of_a_command_when_the_manifest_is_shown() {
    let out = Test::new()
        .args(["extract", "--as", "kubernetes"])
        .arg(fixture("tool-output/kubectl-ai-google-heredoc.txt").to_string_lossy())
        .run();
    assert_eq!((out.stdout, out.stderr), (quiet_yaml(), String::new()));
}
