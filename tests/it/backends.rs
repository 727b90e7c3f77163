//! The assistant CLIs behind the broker, as fake executables on PATH that
//! print what the real tools print: argv, parsing, fallback order, the lock's
//! record of the backend, and never hanging.

use std::path::{Path, PathBuf};

use crate::harness::{Project, Test, fixture, repo_root};
use crate::openai_server::{TestServer, chat_json};

fn fake_bin() -> PathBuf {
    repo_root().join("tests/fake-bin")
}

/// A PATH folder holding only the named fakes (so the others are "missing").
fn only(tools: &[&str]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for t in tools {
        std::os::unix::fs::symlink(fake_bin().join(t), d.path().join(t)).unwrap();
    }
    d
}

fn answer(name: &str) -> String {
    fixture(&format!("answers/{name}.md"))
        .to_string_lossy()
        .into_owned()
}

/// The argv vectors the fakes logged, one per invocation (argv[0] first).
fn logged(log: &Path) -> Vec<Vec<String>> {
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
fn log_file() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("fake.log");
    (d, p)
}

fn lock_backend(p: &Project, path: &str) -> String {
    let lock: toml::Value = toml::from_str(&p.read("dockhand.lock")).unwrap();
    let entry = lock["artifact"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"].as_str() == Some(path))
        .unwrap();
    entry["backend"].as_str().unwrap().to_owned()
}

fn tool(p: &Project, path_dir: &Path, log: &Path) -> Test {
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
        .status(1)
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
fn kagent_resources_pass_proposes_a_values_diff_without_applying_it() {
    let p = Project::seeded();
    crate::harness::copy_dir(
        &repo_root().join("charts/todo-app"),
        &p.path().join("charts/todo-app"),
    );
    p.git(&["add", "-A"]);
    p.git(&["commit", "-qm", "chart"]);
    let before = p.read("charts/todo-app/values.yaml");
    let dir = only(&["kagent"]);
    let out = p
        .dockhand()
        .path_prefix(dir.path())
        .args(["health", "--pass", "resources"])
        .run();
    assert!(
        out.stdout
            .contains("proposed change to charts/todo-app/values.yaml"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    assert!(
        out.stdout.contains("--- a/charts/todo-app/values.yaml"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("not applied"), "{}", out.stderr);
    assert_eq!(
        p.read("charts/todo-app/values.yaml"),
        before,
        "no change without consent"
    );
    assert!(p.exists("reports/health-resources@1.0.0.md"));
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
        .status(1)
        .stderr_has("could not run")
        .run();
    assert_eq!(server.request_count(), 0);
}

// --- asking again: --refresh, and --model on review -----------------------------------------

fn service_answer() -> String {
    std::fs::read_to_string(answer("backend-service")).unwrap()
}

#[test]
fn generate_refresh_asks_the_live_backend_although_the_cache_holds_an_answer() {
    let p = Project::seeded();
    let first = TestServer::start(vec![chat_json(&service_answer())]);
    p.dockhand()
        .args(["generate", "backend-service", "--backend", "openai"])
        .openai(&first)
        .run();
    assert_eq!(first.request_count(), 1);

    // Without --refresh the recorded answer is replayed: the server is not asked.
    let second = TestServer::start(vec![chat_json(&service_answer())]);
    let out = p
        .dockhand()
        .args(["-q", "generate", "backend-service", "--backend", "openai"])
        .openai(&second)
        .run();
    assert_eq!(
        (
            out.stdout.as_str(),
            out.stderr.as_str(),
            second.request_count()
        ),
        ("up to date: nothing changed\n", "", 0)
    );

    // With --refresh it is, and its new answer is written.
    let changed = service_answer().replace("protocol: TCP", "protocol: TCP\n      name: http");
    let third = TestServer::start(vec![chat_json(&changed)]);
    let out = p
        .dockhand()
        .args([
            "-q",
            "generate",
            "backend-service",
            "--backend",
            "openai",
            "--refresh",
            "--no-commit",
        ])
        .openai(&third)
        .run();
    assert_eq!(
        (
            out.stdout.as_str(),
            out.stderr.as_str(),
            third.request_count()
        ),
        (
            "wrote charts/todo-app/templates/backend-service.yaml\nwrote dockhand.lock\n",
            "",
            1
        )
    );
    assert!(
        p.read("charts/todo-app/templates/backend-service.yaml")
            .contains("      name: http\n")
    );
}

#[test]
fn refresh_and_offline_are_refused_together() {
    let p = Project::seeded();
    let out = p
        .dockhand()
        .args(["regen", "--offline", "--refresh"])
        .status(2)
        .run();
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str()),
        (
            "",
            "error: the argument '--offline' cannot be used with '--refresh'\n\nUsage: dockhand regen --offline [IDS]...\n\nFor more information, try '--help'.\n"
        )
    );
}

#[test]
fn regen_refresh_asks_again_and_regen_without_it_replays() {
    let p = Project::seeded();
    let first = TestServer::start(vec![chat_json(&service_answer())]);
    p.dockhand()
        .args(["generate", "backend-service", "--backend", "openai"])
        .openai(&first)
        .run();
    let idle = TestServer::start(vec![]);
    let out = p
        .dockhand()
        .args(["-q", "regen", "--check"])
        .openai(&idle)
        .run();
    assert_eq!(
        (
            out.stdout.as_str(),
            out.stderr.as_str(),
            idle.request_count()
        ),
        ("", "", 0)
    );
    let changed = service_answer().replace("protocol: TCP", "protocol: TCP\n      name: http");
    let live = TestServer::start(vec![chat_json(&changed)]);
    let out = p
        .dockhand()
        .args(["-q", "regen", "--check", "--refresh", "--backend", "openai"])
        .openai(&live)
        .status(1)
        .run();
    assert_eq!(
        (
            out.stdout.as_str(),
            out.stderr.as_str(),
            live.request_count()
        ),
        (
            "drift: 1 file(s) differ from what the lock and cache reproduce:\n  charts/todo-app/templates/backend-service.yaml\n",
            "",
            1
        )
    );
}

#[test]
fn review_with_another_model_asks_that_model_instead_of_replaying_the_lock() {
    let p = Project::seeded();
    let first = TestServer::start(vec![chat_json(&service_answer())]);
    p.dockhand()
        .args([
            "generate",
            "backend-service",
            "--backend",
            "openai",
            "--model",
            "m-old",
        ])
        .openai(&first)
        .run();
    let changed = service_answer().replace("protocol: TCP", "protocol: TCP\n      name: http");
    let server = TestServer::start(vec![chat_json(&changed)]);
    let out = p
        .dockhand()
        .args([
            "-q",
            "review",
            "backend-service",
            "--backend",
            "openai",
            "--model",
            "m-new",
        ])
        .openai(&server)
        .status(1)
        .run();
    assert_eq!(server.request_count(), 1);
    assert_eq!(
        server.requests()[0].json.as_ref().unwrap()["model"],
        "m-new"
    );
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str()),
        (
            "backend-service@1.1.0 attempt 1: openai model m-new: 0 error(s), 1 warning(s)\n\
charts/todo-app/templates/backend-service.yaml:9:3: warning[policy/service-selector]: Service `todo-backend` selects `app=todo-backend`, but the checked files contain no Deployment or other workload to match it against\n  |\n9 |   selector:\n  |   ^\n  at /spec/selector\n  hint: make the Service's `spec.selector` equal to labels of the Deployment's pod template, and its `targetPort` a `containerPort` (or port name) of that pod\n\
--- a/charts/todo-app/templates/backend-service.yaml\n\
+++ b/charts/todo-app/templates/backend-service.yaml\n\
@@ -12,3 +12,4 @@\n     - port: 8000\n       targetPort: 8000\n       protocol: TCP\n+      name: http\n",
            ""
        )
    );
    // The same model replays the lock's record: nothing to review.
    let idle = TestServer::start(vec![]);
    let out = p
        .dockhand()
        .args([
            "-q",
            "review",
            "backend-service",
            "--backend",
            "openai",
            "--model",
            "m-old",
        ])
        .openai(&idle)
        .run();
    assert_eq!(
        (
            out.stdout.as_str(),
            out.stderr.as_str(),
            idle.request_count()
        ),
        ("", "", 0)
    );
}

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
