//! The assistant CLIs behind the broker, as fake executables on PATH that
//! print what the real tools print: argv, parsing, fallback order, the lock's
//! record of the backend, and never hanging.

use std::path::{Path, PathBuf};

use crate::harness::{Project, Test, fixture, repo_root};
use crate::openai_server::{TestServer, chat_json};

pub(crate) fn fake_bin() -> PathBuf {
    repo_root().join("tests/fake-bin")
}

/// A PATH folder holding only the named fakes (so the others are "missing").
pub(crate) fn only(tools: &[&str]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for t in tools {
        std::os::unix::fs::symlink(fake_bin().join(t), d.path().join(t)).unwrap();
    }
    d
}

pub(crate) fn answer(name: &str) -> String {
    fixture(&format!("answers/{name}.md"))
        .to_string_lossy()
        .into_owned()
}

/// The argv vectors the fakes logged, one per invocation (argv[0] first).
pub(crate) fn logged(log: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut out = Vec::new();
    let mut cur: Option<Vec<String>> = None;
    for line in text.lines() {
        match (&mut cur, line) {
            (Some(_), "--- end argv ---") => out.push(cur.take().unwrap()),
            (Some(v), l) => v.push(l.replace('\u{1f}', "\n")),
            (None, l) if ["docker", "kubectl-ai", "kagent"].contains(&l) => {
                cur = Some(vec![l.to_owned()])
            }
            _ => {}
        }
    }
    out
}

/// A FAKE_LOG path private to one test.
pub(crate) fn log_file() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("fake.log");
    (d, p)
}

pub(crate) fn lock_backend(p: &Project, path: &str) -> String {
    let lock: toml::Value = toml::from_str(&p.read("dockhand.lock")).unwrap();
    let entry = lock["artifact"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"].as_str() == Some(path))
        .unwrap();
    entry["backend"].as_str().unwrap().to_owned()
}

pub(crate) fn tool(p: &Project, path_dir: &Path, log: &Path) -> Test {
    p.dockhand()
        .path_prefix(path_dir)
        .env("FAKE_LOG", log.to_string_lossy())
}

/// The lines the fakes noted besides argv (e.g. which kubeconfig they were given).
fn notes(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("--- kubeconfig:"))
        .map(str::to_owned)
        .collect()
}

/// A logged argv with the per-run temporary folder replaced by `<tmp>`.
fn redact_tmp(call: &[String]) -> Vec<String> {
    let tmp = std::env::temp_dir().to_string_lossy().into_owned();
    call.iter()
        .map(|a| {
            if a.starts_with(&tmp) && a.contains("dockhand-kubectl-ai-") {
                let name = a.rsplit('/').next().unwrap();
                format!("<tmp>/{name}")
            } else {
                a.clone()
            }
        })
        .collect()
}

#[test]
fn kubectl_ai_google_answer_comes_from_the_trace_and_runs_without_credentials() {
    let p = Project::seeded();
    let (_logdir, log) = log_file();
    let dir = only(&["kubectl-ai"]);
    tool(&p, dir.path(), &log)
        .args(["generate", "backend-deployment"])
        .env("FAKE_ANSWER_FILE", answer("backend-deployment"))
        .run();
    assert_eq!(
        lock_backend(&p, "charts/todo-app/templates/backend-deployment.yaml"),
        "kubectl-ai"
    );
    let want = std::fs::read_to_string(answer("backend-deployment")).unwrap();
    let yaml = want
        .split("```yaml\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    assert_eq!(
        p.read("charts/todo-app/templates/backend-deployment.yaml"),
        yaml
    );
    let calls = logged(&log);
    // flavour (and trace support) detection, then the call
    assert_eq!(calls[0], vec!["kubectl-ai", "--help"]);
    let call = redact_tmp(&calls[1]);
    assert_eq!(
        &call[..6],
        &[
            "kubectl-ai",
            "--quiet",
            "--kubeconfig",
            "<tmp>/kubeconfig",
            "--trace-path",
            "<tmp>/trace.yaml"
        ]
    );
    assert!(
        call[6].starts_with("Create one Kubernetes Deployment named todo-backend"),
        "{call:?}"
    );
    assert_eq!(call.len(), 7);
    // An empty kubeconfig, also in $KUBECONFIG: no cluster credentials.
    let kc = &calls[1][3];
    assert_eq!(
        notes(&log),
        vec![format!(
            "--- kubeconfig: {kc} (0 bytes), KUBECONFIG={kc} ---"
        )]
    );
    assert!(!Path::new(kc).exists(), "the temporary folder is removed");
    let msg = p.git(&["log", "-1", "--format=%B"]);
    assert!(msg.contains("Dockhand-Backend: kubectl-ai"), "{msg}");
}

#[test]
fn kubectl_ai_without_trace_support_is_read_from_its_glamour_output() {
    // An older kubectl-ai: no --trace-path. Its terminal output has no fences and a wrapped
    // annotation line; the whole Deployment must still come out.
    let p = Project::seeded();
    let (_logdir, log) = log_file();
    let dir = only(&["kubectl-ai"]);
    let md = repo_root().join("tests/fixtures/tool-output/kubectl-ai-google-answer.md");
    tool(&p, dir.path(), &log)
        .args(["generate", "backend-deployment"])
        .env("FAKE_KUBECTL_AI_VERSION", "old")
        .env("FAKE_ANSWER_FILE", md.to_string_lossy())
        .run();
    let want = std::fs::read_to_string(&md).unwrap();
    let yaml = want
        .split("```yaml\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    assert_eq!(
        p.read("charts/todo-app/templates/backend-deployment.yaml"),
        yaml
    );
    let call = redact_tmp(&logged(&log)[1]);
    assert_eq!(
        &call[..4],
        &["kubectl-ai", "--quiet", "--kubeconfig", "<tmp>/kubeconfig"]
    );
    assert_eq!(call.len(), 5, "no --trace-path: {call:?}");
}

#[test]
fn a_configured_kubeconfig_is_given_to_kubectl_ai() {
    let p = Project::seeded();
    p.write("kube/config", "apiVersion: v1\nkind: Config\n");
    p.write(
        "dockhand.toml",
        &format!(
            "{}\n[tools.kubectl-ai]\nkubeconfig = \"kube/config\"\n",
            p.read("dockhand.toml")
        ),
    );
    let (_logdir, log) = log_file();
    let dir = only(&["kubectl-ai"]);
    tool(&p, dir.path(), &log)
        .args(["generate", "backend-deployment", "--no-commit", "--force"])
        .env("FAKE_ANSWER_FILE", answer("backend-deployment"))
        .run();
    let kc = p.path().join("kube/config").to_string_lossy().into_owned();
    assert_eq!(
        notes(&log),
        vec![format!(
            "--- kubeconfig: {kc} (28 bytes), KUBECONFIG={kc} ---"
        )]
    );
}

#[test]
fn kubectl_ai_sozercan_flavour_gets_raw_and_nothing_that_applies() {
    let p = Project::seeded();
    let (_logdir, log) = log_file();
    let dir = only(&["kubectl-ai"]);
    p.write(
        "dockhand.toml",
        &format!(
            "{}\n[tools.kubectl-ai]\nargs = [\"--require-confirmation=false\", \"--skip-permissions\"]\n",
            p.read("dockhand.toml")
        ),
    );
    p.git(&["commit", "-qam", "unsafe args"]);
    tool(&p, dir.path(), &log)
        .args(["generate", "backend-deployment"])
        .env("FAKE_KUBECTL_AI_FLAVOUR", "sozercan")
        .env("FAKE_ANSWER_FILE", answer("backend-deployment"))
        .run();
    let call = logged(&log).pop().unwrap();
    assert_eq!(call[0], "kubectl-ai");
    assert!(
        call[1].starts_with("Create one Kubernetes Deployment"),
        "{call:?}"
    );
    assert_eq!(&call[2..], &["--raw".to_owned()]);
}

#[test]
fn a_permission_request_is_a_clear_failure_then_fallback_to_openai() {
    let p = Project::seeded();
    let (_logdir, log) = log_file();
    let dir = only(&["kubectl-ai"]);
    let server = TestServer::start(vec![chat_json(
        &std::fs::read_to_string(answer("backend-deployment")).unwrap(),
    )]);
    let out = tool(&p, dir.path(), &log)
        .args(["generate", "backend-deployment"])
        .env("FAKE_KUBECTL_AI_MODE", "permission")
        .openai(&server)
        .stderr_has("skipped kubectl-ai:")
        .run();
    assert!(
        out.stderr.to_lowercase().contains("permission"),
        "{}",
        out.stderr
    );
    assert_eq!(
        lock_backend(&p, "charts/todo-app/templates/backend-deployment.yaml"),
        "openai"
    );
    // The fallback asks for the artifact in the form kubectl-ai would give.
    let system = &server.requests()[0].messages()[0];
    assert_eq!(system.0, "system");
    assert!(system.1.contains("kubectl-ai"), "{}", system.1);
}

#[test]
fn fallback_follows_the_configured_order_and_says_why() {
    let p = Project::seeded();
    let dir = only(&[]);
    let server = TestServer::start(vec![chat_json(
        &std::fs::read_to_string(answer("backend-service")).unwrap(),
    )]);
    let out = p
        .dockhand()
        .path_prefix(dir.path())
        .args(["generate", "backend-service"])
        .openai(&server)
        .run();
    let skipped: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains(": skipped "))
        .collect();
    assert_eq!(
        skipped,
        vec!["backend-service@1.1.0: skipped kubectl-ai: `kubectl-ai` not found on PATH"],
        "{}",
        out.stderr
    );
    assert_eq!(
        lock_backend(&p, "charts/todo-app/templates/backend-service.yaml"),
        "openai"
    );

    // Reverse the chain: openai first, so the tool is never called.
    let (_logdir, log) = log_file();
    let p2 = Project::seeded();
    p2.write(
        "dockhand.toml",
        &p2.read("dockhand.toml").replace(
            "chain = [\"cache\", \"tool\", \"openai\"]",
            "chain = [\"openai\", \"tool\"]",
        ),
    );
    let dir = only(&["kubectl-ai"]);
    tool(&p2, dir.path(), &log)
        .args(["generate", "backend-service"])
        .openai(&server)
        .run();
    assert!(logged(&log).is_empty(), "kubectl-ai was not called");
    assert_eq!(
        lock_backend(&p2, "charts/todo-app/templates/backend-service.yaml"),
        "openai"
    );
}

/// A logged argv with Gordon's per-run working folder replaced by `<tmp>`.
fn redact_workdir(call: &[String]) -> Vec<String> {
    call.iter()
        .map(|a| {
            if a.contains("dockhand-gordon-") {
                "<tmp>".to_owned()
            } else {
                a.clone()
            }
        })
        .collect()
}

fn working_dir_notes(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("--- working dir:"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn gordon_runs_in_a_folder_with_the_named_context_files_and_its_written_dockerfile_is_taken() {
    let p = Project::seeded();
    p.write(
        "backend/requirements.txt",
        "fastapi==0.115.0\nuvicorn==0.30.0\n",
    );
    p.write("backend/.env", "DATABASE_URL=postgres://secret\n");
    // The current Dockerfile goes in too, for Gordon to edit in place.
    p.write("docker/backend/Dockerfile", "FROM python:3.11-slim\n");
    p.git(&["add", "-A"]);
    p.git(&["commit", "-qm", "backend"]);
    let (_logdir, log) = log_file();
    let dir = only(&["docker"]);
    tool(&p, dir.path(), &log)
        .args(["generate", "backend-dockerfile"])
        .env("FAKE_DOCKER_MODE", "writes")
        .env("FAKE_ANSWER_FILE", answer("backend-dockerfile"))
        .run();
    assert_eq!(lock_backend(&p, "docker/backend/Dockerfile"), "gordon");
    let md = std::fs::read_to_string(answer("backend-dockerfile")).unwrap();
    let body = md
        .split("```dockerfile\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    assert_eq!(p.read("docker/backend/Dockerfile"), body);
    let calls: Vec<Vec<String>> = logged(&log).iter().map(|c| redact_workdir(c)).collect();
    assert_eq!(calls[0], ["docker", "ai", "--help"]);
    assert_eq!(&calls[1][..4], ["docker", "ai", "-C", "<tmp>"]);
    assert!(calls[1][4].starts_with("Create a multi-stage Dockerfile for a FastAPI"));
    assert_eq!(calls[1].len(), 5);
    // The current Dockerfile and the file the prompt names, not the rest of the project
    // (.env stays out).
    assert_eq!(
        working_dir_notes(&log),
        ["--- working dir: Dockerfile 22 requirements.txt 33 ---"]
    );
}

#[test]
fn an_older_gordon_without_working_dir_runs_in_the_folder_as_its_cwd() {
    let p = Project::seeded();
    p.write("requirements.txt", "fastapi\n");
    let (_logdir, log) = log_file();
    let dir = only(&["docker"]);
    tool(&p, dir.path(), &log)
        .args(["generate", "backend-dockerfile", "--no-commit", "--force"])
        .env("FAKE_DOCKER_AI_VERSION", "old")
        .env("FAKE_ANSWER_FILE", answer("backend-dockerfile"))
        .run();
    let call = logged(&log).pop().unwrap();
    assert_eq!(&call[..2], ["docker", "ai"]);
    assert_eq!(call.len(), 3, "no -C: {call:?}");
    assert_eq!(
        working_dir_notes(&log),
        ["--- working dir: requirements.txt 8 ---"]
    );
}

#[test]
fn gordon_asking_for_approval_fails_clearly_and_never_hangs() {
    let p = Project::seeded();
    let dir = only(&["docker"]);
    let started = std::time::Instant::now();
    let out = p
        .dockhand()
        .path_prefix(dir.path())
        .args(["generate", "backend-dockerfile", "--backend", "gordon"])
        .env("FAKE_DOCKER_MODE", "approval")
        .status(2)
        .run();
    assert!(out.stderr.contains("Approve"), "{}", out.stderr);
    // The runner stops it at the question, long before the 300 s timeout.
    assert!(
        started.elapsed().as_secs() < 20,
        "took {:?}",
        started.elapsed()
    );
    assert!(!p.exists("docker/backend/Dockerfile"));
}

#[test]
fn a_hanging_tool_is_killed_at_its_timeout() {
    let p = Project::seeded();
    p.write(
        "dockhand.toml",
        &format!(
            "{}\n[tools.gordon]\ntimeout_secs = 2\n",
            p.read("dockhand.toml")
        ),
    );
    let dir = only(&["docker"]);
    let started = std::time::Instant::now();
    p.dockhand()
        .path_prefix(dir.path())
        .args(["generate", "backend-dockerfile", "--backend", "gordon"])
        .env("FAKE_DOCKER_MODE", "hang")
        .status(2)
        .stderr_has("gordon")
        .run();
    assert!(
        started.elapsed().as_secs() < 30,
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_tool_flooding_stderr_still_answers() {
    let p = Project::seeded();
    let dir = only(&["docker"]);
    p.dockhand()
        .path_prefix(dir.path())
        .args(["generate", "backend-dockerfile", "--backend", "gordon"])
        .env("FAKE_DOCKER_MODE", "flood")
        .env("FAKE_ANSWER_FILE", answer("backend-dockerfile"))
        .run();
    assert!(p.exists("docker/backend/Dockerfile"));
}

#[test]
fn a_tool_failing_on_stderr_carries_its_argv_status_and_stderr() {
    let p = Project::seeded();
    let dir = only(&["docker"]);
    let out = p
        .dockhand()
        .path_prefix(dir.path())
        .args(["generate", "backend-dockerfile", "--backend", "gordon"])
        .env("FAKE_DOCKER_MODE", "stderr-fail")
        .status(2)
        .run();
    assert!(out.stderr.contains("docker ai"), "argv: {}", out.stderr);
    assert!(
        out.stderr.contains("exit") || out.stderr.contains("status"),
        "status: {}",
        out.stderr
    );
}

#[test]
fn kagent_health_passes_judge_each_pod() {
    let p = Project::seeded();
    let (_logdir, log) = log_file();
    let dir = only(&["kagent"]);
    let out = tool(&p, dir.path(), &log)
        .args(["health", "--pass", "stability"])
        .run();
    assert!(
        p.exists("reports/health-stability@1.0.0.md"),
        "{}",
        out.stdout
    );
    let call = logged(&log).pop().unwrap();
    assert_eq!(
        &call[..4],
        &["kagent", "invoke", "--agent", "k8s-agent"].map(String::from)
    );
    assert!(call.iter().any(|a| a == "--task"));

    let out = p
        .dockhand()
        .path_prefix(dir.path())
        .args(["health", "--pass", "stability"])
        .env("FAKE_KAGENT_MODE", "unhealthy")
        .status(1)
        .run();
    assert!(
        out.stderr.contains("CrashLoopBackOff") || out.stderr.contains("OOMKilled"),
        "{}",
        out.stderr
    );

    // kagent exits 0 but its JSON says the task failed: that is a failure too.
    p.dockhand()
        .path_prefix(dir.path())
        .args(["health", "--pass", "stability"])
        .env("FAKE_KAGENT_MODE", "failed-exit0")
        .status(2)
        .stderr_has("could not run")
        .run();
}

#[test]
fn doctor_reports_found_flavour_and_reasons() {
    let p = Project::seeded();
    let dir = only(&["kubectl-ai", "kagent"]);
    let out = p
        .dockhand()
        .path_prefix(dir.path())
        .args(["doctor", "--format", "json"])
        .run();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let find = |n: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == n)
            .unwrap()
            .clone()
    };
    assert_eq!(find("kubectl-ai")["found"], true);
    assert_eq!(find("kubectl-ai")["flavour"], "google");
    assert_eq!(find("kagent")["found"], true);
    assert_eq!(find("openai")["usable"], false);
    assert!(
        find("openai")["reason"]
            .as_str()
            .unwrap()
            .contains("OPENAI")
    );
    assert!(find("git")["found"].as_bool().unwrap());
}

#[test]
fn a_health_report_comes_only_from_the_live_agent() {
    let p = Project::seeded();
    // No kagent on PATH, an OpenAI endpoint that would answer anything: still a failure,
    // because a model that cannot see the cluster would make the report up.
    let server = TestServer::start(vec![chat_json("All pods are healthy.")]);
    let dir = only(&[]);
    p.dockhand()
        .path_prefix(dir.path())
        .args(["health", "--pass", "stability"])
        .openai(&server)
        .status(2)
        .stderr_has("could not run")
        .run();
    assert_eq!(server.request_count(), 0);
}
