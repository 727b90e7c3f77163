//! Secrets never land: a credential anywhere in an answer is a finding, the
//! answer is redacted before it reaches the terminal, the conversation or
//! the cache, and nothing is written, cached, locked or committed.

use crate::contract::{Refused, answer, refused, transcript};
use crate::harness::Project;
use crate::openai_server::{TestServer, chat_json};

const SK: &str = "sk-live-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c";
const GHP: &str = "ghp_Zx9kQ2mP7vR4tY8wL3nB6cF1aD5eH0jK2sT4";

/// The secret is in no output, no repair request, no file of the project
/// and no commit.
fn nowhere(r: &Refused, secret: &str) {
    assert!(!r.out.stdout.contains(secret), "stdout: {}", r.out.stdout);
    assert!(!r.out.stderr.contains(secret), "stderr: {}", r.out.stderr);
    for (i, req) in r.requests.iter().enumerate() {
        assert!(
            !req.body.contains(secret),
            "request {i} sent the secret back"
        );
    }
    for f in r.project.files() {
        let bytes = std::fs::read(r.project.path().join(&f)).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(secret),
            "{f} holds the secret"
        );
    }
    let history = r.project.git(&["log", "--all", "-p"]);
    assert!(!history.contains(secret), "a commit holds the secret");
}

fn snapshot(name: &str, r: &Refused) {
    crate::snapshots::settings(None).bind(|| insta::assert_snapshot!(name, transcript(&r.out)));
}

fn twice(s: String) -> Vec<String> {
    vec![s.clone(), s]
}

#[test]
fn an_api_key_in_configmap_data_is_refused_and_redacted() {
    let bad = answer("frontend-configmap").replace(
        "  NEXT_PUBLIC_API_URL: \"http://todo-backend:8000\"",
        &format!("  NEXT_PUBLIC_API_URL: \"http://todo-backend:8000\"\n  OPENAI_API_KEY: \"{SK}\""),
    );
    let r = refused(&["frontend-configmap"], &twice(bad));
    nowhere(&r, SK);
    // The repair shows the assistant its own answer, redacted.
    assert!(
        r.requests[1]
            .last_user_message()
            .contains("  OPENAI_API_KEY: \"<redacted:api-key>\"\n"),
        "{}",
        r.requests[1].last_user_message()
    );
    snapshot("secret_configmap_api_key", &r);
}

#[test]
fn an_api_key_in_container_args_is_refused() {
    let bad = answer("backend-deployment").replace(
        "          imagePullPolicy: Never\n",
        &format!("          imagePullPolicy: Never\n          args: [\"--port\", \"8000\", \"--api-key={SK}\"]\n"),
    );
    let r = refused(&["backend-deployment"], &twice(bad));
    nowhere(&r, SK);
    snapshot("secret_args_api_key", &r);
}

#[test]
fn a_password_in_a_url_in_an_env_value_is_refused_under_any_name() {
    let bad = answer("backend-deployment").replace(
        "          env:\n",
        "          env:\n            - name: APP_DSN\n              value: postgres://admin:S3cret@db/todo\n",
    );
    let r = refused(&["backend-deployment"], &twice(bad));
    nowhere(&r, "S3cret");
    snapshot("secret_env_url_password", &r);
}

#[test]
fn a_token_in_a_dockerfile_instruction_is_refused() {
    let bad = answer("backend-dockerfile").replace(
        "COPY requirements.txt .\n",
        &format!("COPY requirements.txt .\nRUN curl -fsSL -H \"Authorization: Bearer {GHP}\" https://example.com/wheels.tar | tar x\n"),
    );
    let r = refused(&["backend-dockerfile"], &twice(bad));
    nowhere(&r, GHP);
    snapshot("secret_dockerfile_token", &r);
}

#[test]
fn an_ignore_comment_does_not_silence_a_credential() {
    let bad = answer("frontend-configmap").replace(
        "\ndata:\n",
        &format!("\ndata:\n  # dockhand:ignore secret/token it is only a test key\n  OPENAI_API_KEY: \"{SK}\"\n"),
    );
    let r = refused(&["frontend-configmap"], &twice(bad));
    nowhere(&r, SK);
    snapshot("secret_ignore_comment", &r);
}

/// The first answer leaks a key, the repair fixes it: the artifact lands,
/// and the cached conversation holds the placeholder, never the key, yet
/// replays offline to the same artifact.
#[test]
fn a_repaired_answer_lands_and_its_cached_conversation_is_redacted() {
    let p = Project::seeded();
    let leaky = answer("frontend-configmap").replace(
        "\ndata:\n",
        &format!("\ndata:\n  OPENAI_API_KEY: \"{SK}\"\n"),
    );
    let server = TestServer::start(vec![
        chat_json(&leaky),
        chat_json(&answer("frontend-configmap")),
    ]);
    p.dockhand()
        .args(["generate", "frontend-configmap", "--backend", "openai"])
        .openai(&server)
        .run();
    assert_eq!(server.request_count(), 2);
    let cached: Vec<String> = p
        .files()
        .into_iter()
        .filter(|f| f.starts_with(".dockhand/cache/"))
        .collect();
    assert_eq!(cached.len(), 2, "{cached:?}");
    let texts: Vec<String> = cached.iter().map(|f| p.read(f)).collect();
    assert!(texts.iter().any(|t| t.contains("<redacted:api-key>")));
    for t in &texts {
        assert!(!t.contains(SK), "{t}");
    }
    assert!(!p.git(&["log", "--all", "-p"]).contains(SK));
    let out = p.dockhand().args(["regen", "--offline", "--check"]).run();
    assert_eq!(
        transcript(&out),
        "exit 0
--- stdout
frontend-configmap@1.1.0 attempt 1: openai (cached) model gpt-4o-mini: 2 error(s), 0 warning(s)
frontend-configmap@1.1.0 attempt 2: openai (cached) model gpt-4o-mini: 0 error(s), 0 warning(s)
--- stderr
frontend-configmap@1.1.0: repairing: 2 error(s), attempt 2
frontend-configmap@1.1.0: up to date
"
    );
}

/// What is not a credential passes: image digests, sha256 checksums, GPG
/// fingerprints as the official python, golang and postgres images fetch
/// them, public keys, and secretKeyRef names.
#[test]
fn digests_checksums_fingerprints_and_public_keys_are_not_credentials() {
    let p = Project::empty();
    p.write(
        "Dockerfile",
        "FROM python:3.11-slim@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
ENV GPG_KEY A035C8C19219BA821ECEA86B64E628F8D684696D
ENV PYTHON_SHA256 143b1dddefaec3bd2e21e3b839b34a2b7fb9842272883c576420d605e9f30c63
RUN set -eux; \\
\tgpg --batch --keyserver hkps://keys.openpgp.org --recv-keys \"$GPG_KEY\"; \\
\tgpg --batch --keyserver keyserver.ubuntu.com --recv-keys 'EB4C 1BFD 4F04 2F6D DDCC  EC91 7721 F63B D38B 4796'; \\
\tkey='B97B0AFCAA1A47F044F244A07FCC7D46ACCC4CF8'; gpg --batch --keyserver keyserver.ubuntu.com --recv-keys \"$key\"; \\
\techo \"$PYTHON_SHA256 *python.tar.xz\" | sha256sum -c -
USER 1000
CMD [\"python3\"]
",
    );
    p.write(
        "deploy.yaml",
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  annotations:
    ssh-public-key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGp1aW5rZmxhZ3NvbWV0aGluZw deploy@ci
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: registry.example.com/api@sha256:143b1dddefaec3bd2e21e3b839b34a2b7fb9842272883c576420d605e9f30c63
          env:
            - name: OPENAI_API_KEY
              valueFrom:
                secretKeyRef:
                  name: todo-backend-secret
                  key: OPENAI_API_KEY
            - name: JWT_PUBLIC_KEY
              value: |
                -----BEGIN PUBLIC KEY-----
                MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo
                -----END PUBLIC KEY-----
",
    );
    let out = p
        .dockhand()
        .args(["validate", "--format", "json", "Dockerfile", "deploy.yaml"])
        .run();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let codes: Vec<String> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["findings"].as_array().unwrap().iter())
        .map(|d| d["code"].as_str().unwrap().to_owned())
        .filter(|c| c.starts_with("secret/") || c == "DH003")
        .collect();
    assert_eq!(codes, Vec::<String>::new(), "{}", out.stdout);
}

/// `validate` of a file on disk names the credential's place and kind,
/// never its value.
#[test]
fn validate_reports_a_credential_without_echoing_it() {
    let p = Project::empty();
    p.write(
        "cm.yaml",
        &format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  OPENAI_API_KEY: \"{SK}\"\n"),
    );
    let out = p.dockhand().args(["validate", "cm.yaml"]).status(1).run();
    assert_eq!(
        transcript(&out),
        "exit 1\n--- stdout\ncm.yaml:6:19: error[secret/token]: `OPENAI_API_KEY` holds a credential: an API key (`sk-…`)\n  |\n6 |   OPENAI_API_KEY: \"<redacted:api-key>\"\n  |                   ^\n  at /data/OPENAI_API_KEY\n  hint: a credential never goes into an artifact: read it at run time from a Secret created with `kubectl create secret generic` (env `valueFrom.secretKeyRef`, or `RUN --mount=type=secret` in a Dockerfile)\n1 file checked: 1 error, 0 warnings\n--- stderr\n"
    );
}

/// `dockhand session` shows the answer as it streams in: a line at a time,
/// redacted, so the key never reaches the terminal.
#[test]
fn a_streamed_answer_is_redacted_on_the_terminal() {
    use crate::harness::Step::{Expect, Send};
    use crate::openai_server::chat_sse;
    let p = Project::seeded();
    let leaky = answer("frontend-configmap").replace(
        "\ndata:\n",
        &format!("\ndata:\n  OPENAI_API_KEY: \"{SK}\"\n"),
    );
    let server = TestServer::start(vec![chat_sse(&leaky), chat_sse(&leaky)]);
    let t = p
        .dockhand()
        .args(["session", "--backend", "openai"])
        .openai(&server);
    let run = crate::harness::pty(
        t,
        &[
            Expect("filter>"),
            Send("frontend-configmap@1.1.0"),
            Send("\r"),
            Expect("asking openai"),
            Expect("OPENAI_API_KEY: \"<redacted:api-key>\""),
            Expect("cannot accept: it fails validation"),
            Send("s"),
            Expect("filter>"),
            Send("\u{4}"),
        ],
    );
    run.assert_clean_exit();
    assert!(!run.transcript.contains(SK), "{}", run.transcript);
    assert!(!run.transcript.contains("sk-live"), "{}", run.transcript);
    assert_eq!(p.git(&["status", "--porcelain"]), "");
}

/// A tool that fails with a key in its output: the error names the tool,
/// its status and its last lines, with the key redacted.
#[test]
fn a_key_in_a_failing_tools_output_is_redacted_in_the_error() {
    use std::os::unix::fs::PermissionsExt;
    let p = Project::seeded();
    let bin = tempfile::tempdir().unwrap();
    let tool = bin.path().join("kubectl-ai");
    std::fs::write(
        &tool,
        format!(
            "#!/bin/sh\nif [ \"$1\" = --help ]; then echo 'Usage: kubectl-ai [flags] --quiet'; exit 0; fi\necho 'Error: the model provider refused the key {SK} (401)' >&2\nexit 1\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
    let files = p.files();
    let out = p
        .dockhand()
        .path_prefix(bin.path())
        .args(["generate", "backend-deployment", "--backend", "kubectl-ai"])
        .status(2)
        .run();
    assert_eq!(p.files(), files);
    assert!(!out.stderr.contains(SK) && !out.stdout.contains(SK));
    crate::snapshots::settings(None)
        .bind(|| insta::assert_snapshot!("secret_tool_error", transcript(&out)));
}

/// A health report that quotes a pod's environment is stored and shown
/// redacted: the agent's words reach neither the terminal nor reports/ with
/// the password in them.
#[test]
fn a_health_report_quoting_a_password_is_stored_redacted() {
    let p = Project::seeded();
    let bin = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        crate::harness::repo_root().join("tests/fake-bin/kagent"),
        bin.path().join("kagent"),
    )
    .unwrap();
    let report = bin.path().join("report.txt");
    std::fs::write(
        &report,
        "todo-backend-7d9f8-abcde: Running, no CrashLoopBackOff, OOMKilled or ImagePullBackOff.\n\
         It connects with DATABASE_URL=postgres://admin:S3cret@db/todo.\n",
    )
    .unwrap();
    let out = p
        .dockhand()
        .path_prefix(bin.path())
        .env("FAKE_ANSWER_FILE", report.to_string_lossy())
        .args(["health", "--pass", "stability"])
        .run();
    let stored = p.read("reports/health-stability@1.0.0.md");
    assert_eq!(
        stored,
        "<!-- dockhand health: prompt health-stability@1.0.0, backend kagent -->\n\
         todo-backend-7d9f8-abcde: Running, no CrashLoopBackOff, OOMKilled or ImagePullBackOff.\n\
         It connects with DATABASE_URL=postgres://admin:<redacted:url-password>@db/todo.\n"
    );
    assert_eq!(
        transcript(&out),
        "exit 0\n--- stdout\n== health-stability@1.0.0 (kagent) ==\n\
         todo-backend-7d9f8-abcde: Running, no CrashLoopBackOff, OOMKilled or ImagePullBackOff.\n\
         It connects with DATABASE_URL=postgres://admin:<redacted:url-password>@db/todo.\n\n\
         stored reports/health-stability@1.0.0.md\n\
         --- stderr\nstability: no pod in CrashLoopBackOff, OOMKilled or ImagePullBackOff\n"
    );
}
