//! `dockhand generate` against a real HTTP server speaking the OpenAI wire
//! format, into a real git repository.

use std::time::Duration;

use crate::atomic::assert_whole;
use crate::harness::{Project, fixture};
use crate::openai_server::{Reply, TestServer, chat_json, chat_sse, empty_stream};

const KEY: &str = "sk-test-DOCKHAND-never-print-me-1234567890";
const TARGET: &str = "charts/todo-app/templates/backend-deployment.yaml";

fn answer(name: &str) -> String {
    std::fs::read_to_string(fixture(&format!("answers/{name}.md"))).unwrap()
}

fn generate(p: &Project, server: &TestServer) -> crate::harness::Test {
    p.dockhand()
        .args(["generate", "backend-deployment", "--backend", "openai"])
        .env("OPENAI_BASE_URL", server.base_url())
        .env("OPENAI_API_KEY", KEY)
}

#[test]
fn streams_validates_writes_locks_caches_and_commits() {
    let p = Project::seeded();
    let server = TestServer::start(vec![chat_sse(&answer("backend-deployment"))]);
    let out = generate(&p, &server).arg("-q").run();
    assert_whole(
        &out,
        &[],
        &format!(
            "wrote {TARGET}\nwrote .dockhand/cache/[KEY].json\nwrote dockhand.lock\ncommitted [SHA]\n"
        ),
        "",
    );
    assert_eq!(server.request_count(), 1, "{}", out.stderr);

    // The artifact is what the answer's fence held, nothing else.
    let written = p.read(TARGET);
    assert!(
        written.starts_with("apiVersion: apps/v1\nkind: Deployment\n"),
        "{written}"
    );
    assert!(written.contains("imagePullPolicy: Never"));
    assert!(!written.contains("Here is"));

    // The request: the filled prompt, a system message, the model, streaming.
    let req = &server.requests()[0];
    assert_eq!(req.path, "/v1/chat/completions");
    assert_eq!(
        req.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    let body = req.json.as_ref().unwrap();
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(body["stream"], true);
    let msgs = req.messages();
    assert_eq!(msgs[0].0, "system");
    assert!(msgs[0].1.contains("kubectl-ai"));
    assert!(
        msgs[1]
            .1
            .contains("Create one Kubernetes Deployment named todo-backend")
    );

    // The lock pins how it was made.
    let lock: toml::Value = toml::from_str(&p.read("dockhand.lock")).unwrap();
    let entry = &lock["artifact"][0];
    assert_eq!(entry["path"].as_str(), Some(TARGET));
    assert_eq!(entry["prompt"].as_str(), Some("backend-deployment"));
    assert_eq!(entry["version"].as_str(), Some("1.1.0"));
    assert_eq!(entry["backend"].as_str(), Some("openai"));
    assert_eq!(entry["model"].as_str(), Some("gpt-4o-mini"));
    assert_eq!(entry["hand_written"].as_bool(), Some(false));
    for k in ["template_hash", "vars_hash", "response_hash", "output_hash"] {
        assert!(entry[k].as_str().unwrap().starts_with("sha256:"), "{k}");
    }
    let output_hash = format!("sha256:{}", sha256(written.as_bytes()));
    assert_eq!(entry["output_hash"].as_str(), Some(output_hash.as_str()));

    // The raw response is in the cache, in the repo.
    let cached: Vec<String> = p
        .files()
        .into_iter()
        .filter(|f| f.starts_with(".dockhand/cache/"))
        .collect();
    assert_eq!(cached.len(), 1, "{cached:?}");
    let entry: serde_json::Value = serde_json::from_str(&p.read(&cached[0])).unwrap();
    assert_eq!(
        entry["response"].as_str(),
        Some(answer("backend-deployment").as_str())
    );

    // One commit, with trailers, holding exactly the artifact, the lock and the cache entry.
    assert_eq!(p.commit_count(), 3);
    let msg = p.git(&["log", "-1", "--format=%B"]);
    assert!(
        msg.contains("Dockhand-Prompt: backend-deployment@1.1.0"),
        "{msg}"
    );
    assert!(msg.contains("Dockhand-Backend: openai"), "{msg}");
    assert!(msg.contains("Dockhand-Model: gpt-4o-mini"), "{msg}");
    let mut files: Vec<String> = p
        .git(&["show", "--name-only", "--format=", "HEAD"])
        .lines()
        .map(str::to_owned)
        .collect();
    files.sort();
    assert_eq!(
        files,
        vec![
            cached[0].clone(),
            TARGET.to_owned(),
            "dockhand.lock".to_owned()
        ]
    );
    assert_eq!(p.git(&["status", "--porcelain"]), "");
}

fn sha256(b: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

#[test]
fn plain_json_responses_work_too() {
    let p = Project::seeded();
    let server = TestServer::start(vec![chat_json(&answer("backend-deployment"))]);
    generate(&p, &server).run();
    assert!(p.read(TARGET).contains("kind: Deployment"));
}

#[test]
fn a_second_run_replays_the_cache_without_a_request() {
    let p = Project::seeded();
    let server = TestServer::start(vec![chat_sse(&answer("backend-deployment"))]);
    generate(&p, &server).run();
    assert_eq!(server.request_count(), 1);
    let out = generate(&p, &server).arg("-q").run();
    assert_whole(&out, &[], "up to date: nothing changed\n", "");
    assert_eq!(server.request_count(), 1, "the cache answered");
    // --offline with a cache hit is fine; with a changed prompt it is refused.
    let out = p
        .dockhand()
        .args(["-q", "generate", "backend-deployment", "--offline"])
        .run();
    assert_whole(&out, &[], "up to date: nothing changed\n", "");
    let out = p
        .dockhand()
        .args([
            "generate",
            "backend-deployment",
            "--offline",
            "--set",
            "backend_replicas=5",
        ])
        .status(2)
        .run();
    assert_whole(
        &out,
        &[],
        "",
        "backend-deployment@1.1.0: error\nerror: backend-deployment@1.1.0: no backend could answer:\n  cache: no recorded answer for this exact prompt (and --offline)\n(--offline uses recorded answers only; run without it to ask an assistant)\n",
    );
    assert_eq!(server.request_count(), 1);
}

#[test]
fn retries_429_then_succeeds() {
    let p = Project::seeded();
    let server = TestServer::start(vec![
        Reply::error(429, "slow down").with_header("Retry-After", "1"),
        chat_sse(&answer("backend-deployment")),
    ]);
    let out = generate(&p, &server).run();
    assert_eq!(server.request_count(), 2);
    // The retry is shown.
    assert_whole(
        &out,
        &[],
        &format!(
            "wrote {TARGET}\nwrote .dockhand/cache/[KEY].json\nwrote dockhand.lock\ncommitted [SHA]\n"
        ),
        "backend-deployment@1.1.0: openai: HTTP 429: slow down; retry 1 in 1.0s\nbackend-deployment@1.1.0: changed\nbackend-deployment@1.1.0 attempt 1: openai model gpt-4o-mini: 0 error(s), 0 warning(s)\n",
    );
    assert!(p.exists(TARGET));
}

#[test]
fn persistent_500_fails_with_exit_2_and_writes_nothing() {
    let p = Project::seeded();
    p.write(
        "dockhand.toml",
        &p.read("dockhand.toml")
            .replace("max_retries = 4", "max_retries = 1"),
    );
    p.git(&["commit", "-qam", "one retry"]);
    let server = TestServer::start(vec![Reply::error(500, "upstream exploded")]);
    let out = generate(&p, &server).status(2).run();
    let why = "[SERVER]/chat/completions answered HTTP 500 (2 attempts): upstream exploded";
    assert_whole(
        &out,
        &[(std::path::Path::new(&server.base_url()), "[SERVER]")],
        "",
        &format!(
            "backend-deployment@1.1.0: openai: HTTP 500: upstream exploded; retry 1 in 0.5s\nbackend-deployment@1.1.0: skipped openai: {why}\nbackend-deployment@1.1.0: error\nerror: backend-deployment@1.1.0: no backend could answer:\n  cache: no recorded answer for this exact prompt\n  openai: {why}\n"
        ),
    );
    assert_eq!(server.request_count(), 2);
    assert!(!p.exists(TARGET));
    assert!(!p.exists("dockhand.lock"));
    assert_eq!(p.commit_count(), 3);
}

#[test]
fn empty_200_stream_is_an_error_not_an_empty_answer() {
    let p = Project::seeded();
    let server = TestServer::start(vec![empty_stream()]);
    let out = generate(&p, &server).status(2).run();
    let why = "[SERVER]/chat/completions answered HTTP 200 but the stream closed without sending any data";
    assert_whole(
        &out,
        &[(std::path::Path::new(&server.base_url()), "[SERVER]")],
        "",
        &format!(
            "backend-deployment@1.1.0: skipped openai: {why}\nbackend-deployment@1.1.0: error\nerror: backend-deployment@1.1.0: no backend could answer:\n  cache: no recorded answer for this exact prompt\n  openai: {why}\n"
        ),
    );
    assert!(!p.exists(TARGET));
}

#[test]
fn client_error_is_clear_and_not_retried() {
    let p = Project::seeded();
    let server = TestServer::start(vec![Reply::error(401, "Incorrect API key provided")]);
    let out = generate(&p, &server).status(2).run();
    let why =
        "[SERVER]/chat/completions rejected the request with HTTP 401: Incorrect API key provided";
    assert_whole(
        &out,
        &[(std::path::Path::new(&server.base_url()), "[SERVER]")],
        "",
        &format!(
            "backend-deployment@1.1.0: skipped openai: {why}\nbackend-deployment@1.1.0: error\nerror: backend-deployment@1.1.0: no backend could answer:\n  cache: no recorded answer for this exact prompt\n  openai: {why}\n"
        ),
    );
    assert_eq!(server.request_count(), 1);
    assert!(!out.stderr.contains(KEY));
}

#[test]
fn validation_failure_after_repairs_writes_nothing_and_shows_findings() {
    let p = Project::seeded();
    let bad = answer("backend-deployment").replace(
        "imagePullPolicy: Never",
        "imagePullPolicy: Never\n          imagePullPolicyy: Always",
    );
    let server = TestServer::start(vec![chat_sse(&bad)]);
    let out = generate(&p, &server).status(1).run();
    // The findings, the attempts, and that nothing was written: the whole output.
    assert_eq!(out.stdout, "");
    crate::atomic::snapshot("generate_validation_failure", &out.stderr);
    // The same artifact came back on the first repair, so the loop stopped early.
    assert_eq!(server.request_count(), 2, "{}", out.stderr);
    assert!(!p.exists(TARGET));
    assert!(!p.exists("dockhand.lock"));
    assert!(p.files().iter().all(|f| !f.starts_with(".dockhand/cache")));
    assert_eq!(p.commit_count(), 2);
}

#[test]
fn repair_sends_findings_back_and_accepts_the_fix() {
    let p = Project::seeded();
    let bad = answer("backend-deployment").replace("replicas: 2", "replicas: two");
    let server = TestServer::start(vec![
        chat_sse(&bad),
        chat_sse(&answer("backend-deployment")),
    ]);
    let out = generate(&p, &server).run();
    assert_eq!(server.request_count(), 2);
    let second = &server.requests()[1];
    let msgs = second.messages();
    // system, user prompt, assistant's bad answer, user repair request.
    assert_eq!(msgs.len(), 4, "{msgs:?}");
    assert_eq!(msgs[2].0, "assistant");
    crate::atomic::snapshot("generate_repair_request", &msgs[3].1);
    assert_whole(
        &crate::harness::Output {
            status: 0,
            stdout: out.stdout.clone(),
            stderr: String::new(),
        },
        &[],
        &format!(
            "wrote {TARGET}\nwrote .dockhand/cache/[KEY].json\nwrote .dockhand/cache/[KEY].json\nwrote dockhand.lock\ncommitted [SHA]\n"
        ),
        "",
    );
    crate::atomic::snapshot("generate_repair_stderr", &out.stderr);
    let lock = p.read("dockhand.lock");
    assert!(lock.contains("attempts = 2"), "{lock}");
    assert!(p.read(TARGET).contains("replicas: 2"));
}

#[test]
fn the_key_never_reaches_output_files_or_commits() {
    let p = Project::seeded();
    // A server that echoes the key back in its answer, and a failing first call.
    let echo = answer("backend-deployment").replace(
        "Create the secret first",
        &format!("Your key {KEY} works. Create the secret first"),
    );
    let server = TestServer::start(vec![
        Reply::error(503, &format!("overloaded for key {KEY}")),
        chat_sse(&echo),
    ]);
    let out = generate(&p, &server).arg("-vv").run();
    assert!(
        !out.stdout.contains(KEY) && !out.stderr.contains(KEY),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    for f in p.files() {
        let bytes = std::fs::read(p.path().join(&f)).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(KEY),
            "{f} holds the key"
        );
    }
    let log = p.git(&["log", "-p", "--all"]);
    assert!(!log.contains(KEY));
    assert!(
        log.contains("[redacted]"),
        "the echo was scrubbed, not dropped"
    );
}

#[test]
fn unrelated_staged_changes_stay_out_of_the_commit() {
    let p = Project::seeded();
    p.write("notes.txt", "mine\n");
    p.git(&["add", "notes.txt"]);
    let server = TestServer::start(vec![chat_sse(&answer("backend-deployment"))]);
    generate(&p, &server).run();
    let files = p.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert!(!files.contains("notes.txt"), "{files}");
    assert_eq!(
        p.git(&["status", "--porcelain", "notes.txt"]),
        "A  notes.txt\n"
    );
}

#[test]
fn a_target_with_uncommitted_edits_is_not_overwritten_without_force() {
    let p = Project::seeded();
    let server = TestServer::start(vec![chat_sse(&answer("backend-deployment"))]);
    generate(&p, &server).run();
    let mine = p
        .read(TARGET)
        .replace("replicas: 2", "replicas: 2 # my edit");
    p.write(TARGET, &mine);
    let out = generate(&p, &server)
        .args(["-q", "--set", "backend_replicas=2"])
        .status(2)
        .run();
    assert_whole(
        &out,
        &[],
        "",
        &format!(
            "error: {TARGET}: has uncommitted changes; commit or stash them, or pass --force to overwrite\n"
        ),
    );
    assert_eq!(p.read(TARGET), mine);
    let out = generate(&p, &server).args(["-q", "--force"]).run();
    assert_whole(
        &out,
        &[],
        &format!("wrote {TARGET}\nnothing new to commit (HEAD already holds it)\n"),
        "",
    );
    assert!(!p.read(TARGET).contains("my edit"));
}

#[test]
fn no_commit_writes_but_does_not_commit() {
    let p = Project::seeded();
    let server = TestServer::start(vec![chat_sse(&answer("backend-deployment"))]);
    let out = generate(&p, &server).args(["-q", "--no-commit"]).run();
    assert_whole(
        &out,
        &[],
        &format!("wrote {TARGET}\nwrote .dockhand/cache/[KEY].json\nwrote dockhand.lock\n"),
        "",
    );
    assert!(p.exists(TARGET));
    assert_eq!(p.commit_count(), 2);
    assert_eq!(
        p.git(&["status", "--porcelain", "--untracked-files=all"])
            .lines()
            .count(),
        3,
        "the artifact, its cache entry and the lock are left uncommitted"
    );
}

#[test]
fn hand_written_answers_are_recorded_as_such() {
    let p = Project::seeded();
    p.dockhand()
        .args(["generate", "backend-deployment", "--response-file"])
        .arg(fixture("answers/backend-deployment.md").to_string_lossy())
        .run();
    let lock = p.read("dockhand.lock");
    assert!(lock.contains("backend = \"manual\""), "{lock}");
    assert!(lock.contains("hand_written = true"), "{lock}");
    let msg = p.git(&["log", "-1", "--format=%B"]);
    assert!(
        msg.contains("Dockhand-Backend: manual (hand-written)"),
        "{msg}"
    );
}

#[test]
fn slow_server_times_out() {
    let p = Project::seeded();
    p.write(
        "dockhand.toml",
        &p.read("dockhand.toml")
            .replace("timeout_secs = 120", "timeout_secs = 1")
            .replace("max_retries = 4", "max_retries = 0"),
    );
    p.git(&["commit", "-qam", "short timeout"]);
    let server = TestServer::start(vec![Reply::Delay(
        Duration::from_secs(5),
        Box::new(chat_json("late")),
    )]);
    let out = generate(&p, &server).status(2).run();
    let why = "no complete response from [SERVER]/chat/completions within 1s (1 attempt)";
    assert_whole(
        &out,
        &[(std::path::Path::new(&server.base_url()), "[SERVER]")],
        "",
        &format!(
            "backend-deployment@1.1.0: skipped openai: {why}\nbackend-deployment@1.1.0: error\nerror: backend-deployment@1.1.0: no backend could answer:\n  cache: no recorded answer for this exact prompt\n  openai: {why}\n"
        ),
    );
}

// A refusal (an answer without an artifact) is the backend's failure, shown in the
// assistant's own words: see faults::a_refusal_shows_the_assistants_own_words.

const HELM_PROMPT: &str = "+++\nid = \"extra-configmap\"\nversion = \"1.0.0\"\ntool = \"kubectl-ai\"\noutput = \"helm\"\ntargets = [\"charts/demo/templates/extra-configmap.yaml\"]\n+++\nCreate a Helm template for a ConfigMap holding the backend port from .Values.\n";

#[test]
fn a_helm_template_is_checked_inside_its_chart() {
    let p = Project::seeded();
    crate::harness::copy_dir(&fixture("charts/todo-app"), &p.path().join("charts/demo"));
    p.write("prompts/kubectl-ai/extra-configmap.md", HELM_PROMPT);
    p.write(
        "dockhand.toml",
        &p.read("dockhand.toml")
            .replace("repair_attempts = 2", "repair_attempts = 0"),
    );
    p.git(&["add", "-A"]);
    p.git(&["commit", "-qm", "chart and helm prompt"]);
    let template = |value: &str| {
        format!(
            "```yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  port: {value}\n```\n"
        )
    };
    // A value the chart does not have: caught by rendering with the chart's values.
    let server = TestServer::start(vec![chat_json(&template(
        "{{ .Values.backend.portt | quote }}",
    ))]);
    let out = p
        .dockhand()
        .args(["generate", "extra-configmap", "--backend", "openai"])
        .openai(&server)
        .status(1)
        .run();
    assert_eq!(out.stdout, "");
    crate::atomic::snapshot("generate_helm_missing_value", &out.stderr);
    assert!(!p.exists("charts/demo/templates/extra-configmap.yaml"));
    // The right value renders and passes.
    let server = TestServer::start(vec![chat_json(&template(
        "{{ .Values.backend.port | quote }}",
    ))]);
    p.dockhand()
        .args(["generate", "extra-configmap", "--backend", "openai"])
        .openai(&server)
        .run();
    assert!(
        p.read("charts/demo/templates/extra-configmap.yaml")
            .contains("{{ .Values.backend.port | quote }}")
    );
}

#[test]
fn a_missing_kind_for_a_target_is_sent_back_for_repair() {
    let p = Project::seeded();
    let full = answer("frontend");
    let only_deployment = full[..full.find("---\n").unwrap()].to_owned() + "```\n";
    let server = TestServer::start(vec![chat_json(&only_deployment), chat_json(&full)]);
    p.dockhand()
        .args(["generate", "frontend", "--backend", "openai"])
        .openai(&server)
        .run();
    let repair = server.requests()[1].last_user_message();
    assert!(repair.contains("[extract/targets] the answer has no Service for charts/todo-app/templates/frontend-service.yaml"), "{repair}");
    assert!(
        p.read("charts/todo-app/templates/frontend-service.yaml")
            .contains("nodePort: 30080")
    );
    assert!(
        p.read("charts/todo-app/templates/frontend-deployment.yaml")
            .starts_with("apiVersion: apps/v1\nkind: Deployment\n")
    );
}
