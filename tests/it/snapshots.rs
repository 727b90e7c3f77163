//! Snapshots of what users read, with temp paths, hashes and timings filtered
//! out (insta; `cargo insta review` to update).

use crate::harness::{Project, fixture};

pub(crate) fn settings(p: Option<&Project>) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_prepend_module_to_snapshot(false);
    if let Some(p) = p {
        s.add_filter(&regex_escape(&p.path().to_string_lossy()), "[PROJECT]");
    }
    s.add_filter(
        &regex_escape(&crate::harness::repo_root().to_string_lossy()),
        "[REPO]",
    );
    // The per-run folders of kubectl-ai (empty kubeconfig, trace) and Gordon.
    s.add_filter(
        r"[^\s'`]*/dockhand-(kubectl-ai|gordon)-[A-Za-z0-9]+",
        "[TMP]/dockhand-$1",
    );
    s.add_filter(r"sha256:[0-9a-f]{64}", "sha256:[HASH]");
    s.add_filter(r"\b[0-9a-f]{64}\b", "[HASH]");
    s.add_filter(r"\b[0-9a-f]{12}\b", "[SHA]");
    s.add_filter(r#""(backend|validate|total)_ms": \d+"#, "\"${1}_ms\": [MS]");
    s
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .map(|c| {
            if "\\.+*?()|[]{}^$".contains(c) {
                format!("\\{c}")
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[test]
fn validate_text_report() {
    // In an empty project: no dockhand.toml, so only the built-in checks.
    let p = Project::empty();
    let out = p
        .dockhand()
        .args(["validate"])
        .arg(fixture("manifests/bad/several-errors.yaml").to_string_lossy())
        .status(1)
        .run();
    settings(None).bind(|| insta::assert_snapshot!("validate_text_report", out.stdout));
}

#[test]
fn rendered_prompt() {
    let p = Project::seeded();
    let out = p.dockhand().args(["prompts", "render", "frontend"]).run();
    settings(Some(&p)).bind(|| insta::assert_snapshot!("rendered_prompt_frontend", out.stdout));
}

#[test]
fn generate_commit_message_and_lock() {
    let p = Project::seeded();
    p.dockhand()
        .args(["generate", "frontend", "--response-file"])
        .arg(fixture("answers/frontend.md").to_string_lossy())
        .run();
    let msg = p.git(&["log", "-1", "--format=%B"]);
    let lock = p.read("dockhand.lock");
    settings(Some(&p)).bind(|| {
        insta::assert_snapshot!("generate_commit_message", msg);
        insta::assert_snapshot!("generate_lock", lock);
    });
}

#[test]
fn regen_check_json() {
    let p = Project::seeded();
    p.dockhand()
        .args(["generate", "frontend-configmap", "--response-file"])
        .arg(fixture("answers/frontend-configmap.md").to_string_lossy())
        .run();
    let out = p
        .dockhand()
        .args(["regen", "--offline", "--check", "--format", "json"])
        .run();
    settings(Some(&p)).bind(|| insta::assert_snapshot!("regen_check_json", out.stdout));
}
