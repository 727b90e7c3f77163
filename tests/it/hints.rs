//! Hints and exit codes say what is true for the command and the failure,
//! each checked on the whole output (stdout, stderr, exit status).

use crate::harness::{Project, fixture};
use crate::openai_server::{Reply, TestServer};

// Prompts are pinned at 1.0.0 so that newer versions in prompts/ change nothing here.

/// A seeded project whose OpenAI client retries once.
fn project() -> Project {
    let p = Project::seeded();
    let toml = p
        .read("dockhand.toml")
        .replace("max_retries = 4", "max_retries = 1");
    p.write("dockhand.toml", &toml);
    p.git(&["commit", "-qam", "one retry"]);
    p
}

#[test]
fn a_429_or_500_names_the_servers_answer_and_no_configure_hint() {
    for (status, message) in [
        (429, "Rate limit reached for gpt-4o-mini"),
        (500, "The server had an error"),
    ] {
        let p = project();
        let server = TestServer::start(vec![
            Reply::error(status, message).with_header("Retry-After", "0"),
            Reply::error(status, message).with_header("Retry-After", "0"),
        ]);
        p.dockhand()
            .args(["generate", "frontend-configmap@1.0.0", "--backend", "openai"])
            .openai(&server)
            .filter(server.base_url(), "[URL]")
            .status(2)
            .stderr(format!(
                "frontend-configmap@1.0.0: openai: HTTP {status}: {message}; retry 1 in 0.0s\n\
                 frontend-configmap@1.0.0: skipped openai: [URL]/chat/completions answered HTTP {status} (2 attempts): {message}\n\
                 frontend-configmap@1.0.0: error\n\
                 error: frontend-configmap@1.0.0: no backend could answer:\n\
                 \x20 cache: no recorded answer for this exact prompt\n\
                 \x20 openai: [URL]/chat/completions answered HTTP {status} (2 attempts): {message}\n"
            ))
            .run();
        assert_eq!(server.request_count(), 2);
    }
}

#[test]
fn with_nothing_configured_the_hint_says_how_to_configure() {
    let p = Project::seeded();
    // No tool on PATH and no OpenAI endpoint.
    let bin = tempfile::tempdir().unwrap();
    p.dockhand()
        .env("PATH", bin.path().to_string_lossy())
        .args(["generate", "frontend-configmap@1.0.0"])
        .status(2)
        .stderr(
            "frontend-configmap@1.0.0: skipped kubectl-ai: `kubectl-ai` not found on PATH\n\
             frontend-configmap@1.0.0: skipped openai: not configured (set OPENAI_BASE_URL or OPENAI_API_KEY, or [openai] base_url)\n\
             frontend-configmap@1.0.0: error\n\
             error: frontend-configmap@1.0.0: no backend could answer:\n\
             \x20 cache: no recorded answer for this exact prompt\n\
             \x20 kubectl-ai: `kubectl-ai` not found on PATH\n\
             \x20 openai: not configured (set OPENAI_BASE_URL or OPENAI_API_KEY, or [openai] base_url)\n\
             (configure an assistant in dockhand.toml or the environment (`dockhand doctor` shows what is usable), \
             or give an answer by hand with `dockhand generate ID --response-file FILE`; it is recorded as hand-written)\n",
        )
        .run();
}

#[test]
fn health_that_could_not_run_exits_2_without_a_response_file_hint() {
    let p = Project::seeded();
    let bin = tempfile::tempdir().unwrap();
    p.dockhand()
        .env("PATH", bin.path().to_string_lossy())
        .args(["health"])
        .status(2)
        .stderr(
            ["stability", "resources"]
                .map(|pass| {
                    format!(
                        "the agent could not run: health-{pass}@1.0.0: no backend could answer:\n\
                         \x20 cache, openai: not used for reports: only the agent that sees the cluster can report on it\n\
                         \x20 kagent: `kagent` not found on PATH\n\
                         (install kagent or set [tools.kagent] in dockhand.toml; `dockhand doctor` shows what is usable)\n"
                    )
                })
                .concat(),
        )
        .run();
}

#[test]
fn a_missing_variable_names_set_only_where_the_command_has_it() {
    let p = Project::seeded();
    p.dockhand()
        .args(["generate", "frontend-configmap@1.0.0", "--response-file"])
        .arg(fixture("answers/frontend-configmap.md").to_string_lossy())
        .run();
    let toml: String = p
        .read("dockhand.toml")
        .lines()
        .filter(|l| !l.starts_with("frontend_configmap"))
        .map(|l| format!("{l}\n"))
        .collect();
    p.write("dockhand.toml", &toml);
    p.git(&["commit", "-qam", "no frontend_configmap"]);
    p.dockhand()
        .args(["generate", "frontend-configmap@1.0.0", "--offline"])
        .status(2)
        .stderr(
            "frontend-configmap@1.0.0: error\n\
             error: prompts/kubectl-ai/frontend-configmap@1.0.0.md:10: frontend-configmap@1.0.0 needs variable \
             `frontend_configmap`: set it in dockhand.toml [vars] or with --set frontend_configmap=...\n",
        )
        .run();
    // regen has no --set: its hint names dockhand.toml only.
    p.dockhand()
        .args(["regen", "--offline"])
        .status(2)
        .stdout(
            "error: prompts/kubectl-ai/frontend-configmap@1.0.0.md:10: frontend-configmap@1.0.0 needs variable \
             `frontend_configmap`: set it in dockhand.toml [vars]\n\
             nothing written: some jobs failed (use --keep-going to write the others)\n",
        )
        .stderr("frontend-configmap@1.0.0: error\nerror: 1 job(s) could not run\n")
        .run();
}

#[test]
fn regen_json_counts_the_errors_of_a_failed_artifact() {
    let p = Project::seeded();
    p.dockhand()
        .args(["generate", "frontend-configmap@1.0.0", "--response-file"])
        .arg(fixture("answers/frontend-configmap.md").to_string_lossy())
        .run();
    // The recorded answer now points the frontend at an IP address: it fails
    // the backend-address policy when replayed.
    let cache = p.path().join(".dockhand/cache");
    let entry = std::fs::read_dir(&cache)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let text = std::fs::read_to_string(&entry)
        .unwrap()
        .replace("todo-backend:8000", "10.0.0.1:8000");
    std::fs::write(&entry, text).unwrap();
    let out = p
        .dockhand()
        .args(["regen", "--offline", "--check", "--format", "json"])
        .status(1)
        .stderr(
            "frontend-configmap@1.0.0: repairing: 1 error(s), attempt 2\n\
             frontend-configmap@1.0.0: failed validation\n",
        )
        .stdout_elsewhere()
        .run();
    crate::snapshots::settings(Some(&p))
        .bind(|| insta::assert_snapshot!("regen_json_failed_artifact", out.stdout));
}

#[test]
fn prompts_diff_names_each_side_by_its_own_file() {
    let p = Project::empty();
    p.write("dockhand.toml", "");
    let prompt = |version: &str, replicas: u32| {
        format!(
            "+++\nid = \"web\"\nversion = \"{version}\"\ntool = \"kubectl-ai\"\noutput = \"kubernetes\"\n\
             description = \"The web Deployment\"\ntargets = [\"charts/x/web.yaml\"]\n+++\n\
             Create a Deployment named web.\nIt runs {replicas} replicas.\n"
        )
    };
    p.write("prompts/kubectl-ai/web@1.0.0.md", &prompt("1.0.0", 2));
    p.write("prompts/kubectl-ai/web@1.1.0.md", &prompt("1.1.0", 3));
    p.dockhand()
        .args(["prompts", "diff", "web@1.0.0", "web@1.1.0"])
        .stdout(
            "--- a/prompts/kubectl-ai/web@1.0.0.md\n\
             +++ b/prompts/kubectl-ai/web@1.1.0.md\n\
             @@ -1,10 +1,10 @@\n \
             +++\n \
             id = \"web\"\n\
             -version = \"1.0.0\"\n\
             +version = \"1.1.0\"\n \
             tool = \"kubectl-ai\"\n \
             output = \"kubernetes\"\n \
             description = \"The web Deployment\"\n \
             targets = [\"charts/x/web.yaml\"]\n \
             +++\n \
             Create a Deployment named web.\n\
             -It runs 2 replicas.\n\
             +It runs 3 replicas.\n",
        )
        .run();
}

#[test]
fn a_regen_commit_counts_and_lists_only_what_changed() {
    let p = Project::seeded();
    for id in [
        "frontend-configmap",
        "backend-deployment",
        "backend-service",
        "frontend",
    ] {
        p.dockhand()
            .args(["-q", "generate", &format!("{id}@1.0.0"), "--response-file"])
            .arg(fixture(&format!("answers/{id}.md")).to_string_lossy())
            .run();
    }
    let target = "charts/todo-app/templates/configmap.yaml";
    p.write(
        target,
        &p.read(target).replace("todo-frontend-config", "changed"),
    );
    p.git(&["commit", "-qam", "by hand"]);
    p.dockhand()
        .args(["-q", "regen", "--offline"])
        .stdout("wrote 1 artifact(s); committed [SHA]\n")
        .run();
    assert_eq!(
        p.git(&["log", "-1", "--format=%B"]),
        "dockhand: generate frontend-configmap@1.0.0\n\n\
         - charts/todo-app/templates/configmap.yaml (1 attempt)\n\n\
         Dockhand-Prompt: frontend-configmap@1.0.0\n\
         Dockhand-Backend: manual (hand-written)\n\
         Dockhand-Model: none\n\n"
    );
    // Two of three change: the subject counts the two files it lists.
    p.write(
        target,
        &p.read(target).replace("todo-frontend-config", "changed"),
    );
    let service = "charts/todo-app/templates/backend-service.yaml";
    p.write(service, &format!("{}# by hand\n", p.read(service)));
    p.git(&["commit", "-qam", "by hand again"]);
    p.dockhand()
        .args(["-q", "regen", "--offline"])
        .stdout("wrote 2 artifact(s); committed [SHA]\n")
        .run();
    assert_eq!(
        p.git(&["log", "-1", "--format=%B"]),
        "dockhand: regenerate 2 artifacts\n\n\
         - charts/todo-app/templates/backend-service.yaml (1 attempt)\n\
         - charts/todo-app/templates/configmap.yaml (1 attempt)\n\n\
         Dockhand-Prompt: backend-service@1.0.0\n\
         Dockhand-Backend: manual (hand-written)\n\
         Dockhand-Model: none\n\
         Dockhand-Prompt: frontend-configmap@1.0.0\n\
         Dockhand-Backend: manual (hand-written)\n\
         Dockhand-Model: none\n\n"
    );
}

#[test]
fn a_retry_shows_one_line_of_a_multi_line_server_message() {
    let p = project();
    let answer = std::fs::read_to_string(fixture("answers/frontend-configmap.md")).unwrap();
    let server = TestServer::start(vec![
        Reply::error(500, "upstream failed\n  at frame 1\n  at frame 2")
            .with_header("Retry-After", "0"),
        crate::openai_server::chat_json(&answer),
    ]);
    p.dockhand()
        .args(["generate", "frontend-configmap@1.0.0", "--backend", "openai"])
        .openai(&server)
        .stdout(
            "wrote charts/todo-app/templates/configmap.yaml\n\
             wrote .dockhand/cache/[SHA].json\n\
             wrote dockhand.lock\n\
             committed [SHA]\n",
        )
        .stderr(
            "frontend-configmap@1.0.0: openai: HTTP 500: upstream failed…; retry 1 in 0.0s\n\
             frontend-configmap@1.0.0: changed\n\
             frontend-configmap@1.0.0 attempt 1: openai model gpt-4o-mini: 0 error(s), 0 warning(s)\n",
        )
        .run();
    assert_eq!(server.request_count(), 2);
}
