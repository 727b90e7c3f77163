//! The values step against the real helm and kubernetes-validate: the derived
//! chart renders the generated manifests, `--set` changes exactly one field,
//! the schema refuses wrong types, and the chart is clean under
//! `helm lint --strict`, kubernetes-validate --strict (1.33) and dockhand.
//! Tests that need a peer say `skipped:` on stderr when it is absent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::harness::{Project, Test, copy_dir, repo_root};

/// A peer tool from DOCKHAND_PEERS_BIN (else .peers/bin), or None with a
/// `skipped:` line naming it.
pub fn peer(name: &str, test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("DOCKHAND_PEERS_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".peers/bin"));
    let p = dir.join(name);
    if p.exists() {
        Some(p)
    } else {
        eprintln!(
            "skipped: {test}: {} is missing (scripts/install-peers.sh)",
            p.display()
        );
        None
    }
}

/// A git repository holding this repo's project files: prompts, settings,
/// chart, Dockerfiles, lock and response cache.
pub fn project_copy() -> Project {
    let p = Project::empty();
    for dir in ["prompts", "charts", "docker", ".dockhand/cache"] {
        copy_dir(&repo_root().join(dir), &p.path().join(dir));
    }
    for f in ["dockhand.toml", "dockhand.lock"] {
        std::fs::copy(repo_root().join(f), p.path().join(f)).unwrap();
    }
    p.git(&["add", "-A"]);
    p.git(&["commit", "-q", "-m", "project"]);
    p
}

const CHART: &str = "charts/todo-app";

/// Run a command; (exit code, stdout, stderr).
fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.stdin(Stdio::null()).output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `kind/name` → the object, from a YAML stream.
fn objects(stream: &str) -> BTreeMap<String, serde_json::Value> {
    let parsed = dockhand::validate::yaml::parse(stream);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    parsed
        .documents
        .iter()
        .map(|d| {
            let j = d.root.to_json();
            (
                format!(
                    "{}/{}",
                    j["kind"].as_str().unwrap(),
                    j["metadata"]["name"].as_str().unwrap()
                ),
                j,
            )
        })
        .collect()
}

fn helm_template(helm: &Path, chart: &Path, sets: &[&str]) -> String {
    let mut cmd = Command::new(helm);
    cmd.args(["template", "todo"]).arg(chart);
    for s in sets {
        cmd.args(["--set", s]);
    }
    let (code, out, err) = run(&mut cmd);
    assert_eq!(code, 0, "helm template {sets:?}\n{err}");
    out
}

/// Every leaf that differs: (`kind/name`, JSON pointer, new value).
fn changed_leaves(
    a: &BTreeMap<String, serde_json::Value>,
    b: &BTreeMap<String, serde_json::Value>,
) -> Vec<(String, String, serde_json::Value)> {
    fn walk(
        obj: &str,
        at: String,
        x: Option<&serde_json::Value>,
        y: Option<&serde_json::Value>,
        out: &mut Vec<(String, String, serde_json::Value)>,
    ) {
        use serde_json::Value as J;
        match (x, y) {
            (Some(J::Object(m)), Some(J::Object(n))) => {
                let keys: std::collections::BTreeSet<&String> = m.keys().chain(n.keys()).collect();
                for k in keys {
                    walk(obj, format!("{at}/{k}"), m.get(k), n.get(k), out);
                }
            }
            (Some(J::Array(m)), Some(J::Array(n))) => {
                for i in 0..m.len().max(n.len()) {
                    walk(obj, format!("{at}/{i}"), m.get(i), n.get(i), out);
                }
            }
            (x, y) if x != y => out.push((obj.to_owned(), at, y.cloned().unwrap_or(J::Null))),
            _ => {}
        }
    }
    let mut out = Vec::new();
    let names: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for n in names {
        walk(n, String::new(), a.get(n), b.get(n), &mut out);
    }
    out
}

/// The overrides the tests use, with the one field each must change.
fn overrides() -> Vec<(&'static str, &'static str, &'static str, serde_json::Value)> {
    vec![
        (
            "backend.replicas=5",
            "Deployment/todo-backend",
            "/spec/replicas",
            5.into(),
        ),
        (
            "frontend.service.nodePort=30123",
            "Service/todo-frontend",
            "/spec/ports/0/nodePort",
            30123.into(),
        ),
        (
            "backend.image.tag=v2",
            "Deployment/todo-backend",
            "/spec/template/spec/containers/0/image",
            "todo-backend:v2".into(),
        ),
    ]
}

/// The manifests the lock and cache reproduce (the assistant's answers, extracted).
fn manifests_on_record(root: &Path) -> BTreeMap<String, String> {
    let library = dockhand::library::Library::load(root).unwrap();
    let lock = dockhand::lock::Lockfile::read(root).unwrap();
    let answers = dockhand::pipeline::record::Answers::load(root);
    dockhand::pipeline::record::manifests(
        root,
        &library,
        &lock,
        &answers,
        &format!("{CHART}/templates/"),
    )
}

#[test]
fn helm_template_with_the_default_values_renders_the_generated_manifests() {
    let Some(helm) = peer("helm", "helm_template_with_the_default_values") else {
        return;
    };
    let root = repo_root();
    let manifests = manifests_on_record(&root);
    assert_eq!(
        manifests.keys().collect::<Vec<_>>(),
        [
            "charts/todo-app/templates/backend-deployment.yaml",
            "charts/todo-app/templates/backend-service.yaml",
            "charts/todo-app/templates/configmap.yaml",
            "charts/todo-app/templates/frontend-deployment.yaml",
            "charts/todo-app/templates/frontend-service.yaml",
        ]
    );
    let generated = objects(
        &manifests
            .values()
            .cloned()
            .collect::<Vec<_>>()
            .join("---\n"),
    );
    let rendered = objects(&helm_template(&helm, &root.join(CHART), &[]));
    assert_eq!(rendered.len(), 5);
    assert_eq!(changed_leaves(&generated, &rendered), vec![]);
    // And the templates do reference values: they are not the manifests.
    for (path, text) in &manifests {
        let template = std::fs::read_to_string(root.join(path)).unwrap();
        assert_ne!(&template, text, "{path} was not derived");
    }
}

#[test]
fn a_set_changes_exactly_that_field() {
    let Some(helm) = peer("helm", "a_set_changes_exactly_that_field") else {
        return;
    };
    let chart = repo_root().join(CHART);
    let defaults = objects(&helm_template(&helm, &chart, &[]));
    for (set, object, pointer, value) in overrides() {
        let changed = objects(&helm_template(&helm, &chart, &[set]));
        assert_eq!(
            changed_leaves(&defaults, &changed),
            vec![(object.to_owned(), pointer.to_owned(), value)],
            "--set {set}"
        );
    }
}

#[test]
fn helm_refuses_wrongly_typed_and_unknown_values_through_the_schema() {
    let Some(helm) = peer("helm", "helm_refuses_wrongly_typed_values") else {
        return;
    };
    let chart = repo_root().join(CHART);
    let head = "Error: values don't meet the specifications of the schema(s) in the following chart(s):\ntodo-app:\n";
    for (set, why) in [
        (
            "backend.replicas=abc",
            "- at '/backend/replicas': got string, want integer",
        ),
        (
            "frontend.service.nodePort=40000",
            "- at '/frontend/service/nodePort': maximum: got 40,000, want 32,767",
        ),
        (
            "backend.replica=3",
            "- at '/backend': additional properties 'replica' not allowed",
        ),
        (
            "backend.image.pullPolicy=Sometimes",
            "- at '/backend/image/pullPolicy': value must be one of 'Always', 'IfNotPresent', 'Never'",
        ),
        (
            "frontend.resources.limits.memory=lots",
            r"- at '/frontend/resources/limits/memory': 'lots' does not match pattern '^[+-]?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$'",
        ),
    ] {
        let (code, out, err) = run(Command::new(&helm)
            .args(["template", "todo"])
            .arg(&chart)
            .args(["--set", set]));
        assert_eq!(
            (code, out.as_str(), err),
            (1, "", format!("{head}{why}\n\n")),
            "--set {set}"
        );
    }
}

/// `helm lint --strict`: exit 0 and nothing above INFO.
fn lint_clean(helm: &Path, dir: &Path, sets: &[&str]) {
    let mut cmd = Command::new(helm);
    cmd.current_dir(dir).args(["lint", "--strict", CHART]);
    for s in sets {
        cmd.args(["--set", s]);
    }
    let (code, out, err) = run(&mut cmd);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (
            0,
            "==> Linting charts/todo-app\n[INFO] Chart.yaml: icon is recommended\n\n1 chart(s) linted, 0 chart(s) failed\n",
            ""
        ),
        "helm lint --strict {sets:?}"
    );
}

#[test]
fn the_chart_is_clean_under_helm_lint_kubernetes_validate_and_dockhand() {
    let (Some(helm), Some(kv)) = (
        peer("helm", "the_chart_is_clean"),
        peer("kubernetes-validate", "the_chart_is_clean"),
    ) else {
        return;
    };
    let p = project_copy();
    let toml = p.read("dockhand.toml");
    let mut cases: Vec<Vec<&str>> = vec![vec![]];
    cases.extend(overrides().into_iter().map(|(s, ..)| vec![s]));
    cases.push(overrides().into_iter().map(|(s, ..)| s).collect());
    for sets in cases {
        // A project that moves its NodePort says so to the nodeport policy too.
        let moved = sets
            .iter()
            .any(|s| s.starts_with("frontend.service.nodePort="));
        p.write(
            "dockhand.toml",
            &toml.replace(
                "nodeport = 30080",
                if moved {
                    "nodeport = 30123"
                } else {
                    "nodeport = 30080"
                },
            ),
        );
        lint_clean(&helm, p.path(), &sets);
        let rendered = {
            let mut cmd = Command::new(&helm);
            cmd.current_dir(p.path()).args(["template", "todo", CHART]);
            for s in &sets {
                cmd.args(["--set", s]);
            }
            run(&mut cmd).1
        };
        let stream = p.path().join("rendered.yaml");
        std::fs::write(&stream, &rendered).unwrap();
        let (code, out, err) = run(Command::new(&kv)
            .args(["--strict", "--quiet", "-k", "1.33.0"])
            .arg(&stream));
        assert_eq!(
            (code, out.as_str(), err.as_str()),
            (0, "", ""),
            "kubernetes-validate {sets:?}"
        );
        // helm renders (it is first on PATH); the report names it.
        let mut t = p
            .dockhand()
            .path_prefix(helm.parent().unwrap())
            .args(["validate", CHART]);
        for s in &sets {
            t = t.args(["--set", s]);
        }
        let o = t.run();
        let expected = format!(
            "{CHART}/Chart.yaml:1:1: info[chart/renderer]: rendered with `helm template` ({})\n  |\n1 | apiVersion: v2\n  | ^\npolicies: project (13 policies)\n8 files checked: 0 errors, 0 warnings\n",
            helm.display()
        );
        assert_eq!(
            (o.stdout.as_str(), o.stderr.as_str()),
            (expected.as_str(), ""),
            "dockhand validate {sets:?}"
        );
    }
}

/// `regen --offline --check`'s progress lines when every job reproduces.
const ALL_UP_TO_DATE: &str = "\
backend-deployment@1.1.0: up to date
backend-service@1.1.0: up to date
frontend-configmap@1.1.0: up to date
frontend@1.1.0: up to date
backend-dockerfile@1.1.0: up to date
frontend-dockerfile@1.1.0: up to date
";

#[test]
fn regen_check_covers_the_derived_files() {
    let p = project_copy();
    let o = p.dockhand().args(["regen", "--offline", "--check"]).run();
    assert_eq!((o.stdout.as_str(), o.stderr.as_str()), ("", ALL_UP_TO_DATE));
    // A hand edit of values.yaml and of a template: drift, named.
    let values = p.read("charts/todo-app/values.yaml");
    p.write(
        "charts/todo-app/values.yaml",
        &values.replacen("replicas: 2", "replicas: 3", 1),
    );
    let t = "charts/todo-app/templates/backend-service.yaml";
    p.write(t, &p.read(t).replace("protocol: TCP", "protocol: UDP"));
    let o = p
        .dockhand()
        .args(["regen", "--offline", "--check"])
        .status(1)
        .run();
    assert_eq!(
        (o.stdout.as_str(), o.stderr.as_str()),
        (
            "drift: 2 file(s) differ from what the lock and cache reproduce:\n  charts/todo-app/values.yaml\n  charts/todo-app/templates/backend-service.yaml\n",
            ALL_UP_TO_DATE
        )
    );
    // A deleted values.schema.json is drift too.
    std::fs::remove_file(p.path().join("charts/todo-app/values.schema.json")).unwrap();
    let o = p
        .dockhand()
        .args(["regen", "--offline", "--check", "backend-service"])
        .status(1)
        .run();
    assert_eq!(
        o.stdout,
        "drift: 3 file(s) differ from what the lock and cache reproduce:\n  charts/todo-app/templates/backend-service.yaml\n  charts/todo-app/values.yaml\n  charts/todo-app/values.schema.json\n"
    );
}

#[test]
fn a_hand_edited_values_file_is_never_overwritten_without_review() {
    let p = project_copy();
    let rel = "charts/todo-app/values.yaml";
    let edited = p.read(rel).replacen("replicas: 2", "replicas: 3", 1);
    p.write(rel, &edited);
    let o = p.dockhand().args(["regen", "--offline"]).status(2).run();
    assert_eq!(
        (o.stdout.as_str(), o.stderr.as_str()),
        (
            "",
            format!("{ALL_UP_TO_DATE}error: charts/todo-app/values.yaml: has uncommitted changes; commit or stash them, or pass --force to overwrite\n")
                .as_str()
        )
    );
    // Another prompt's answer re-derives values.yaml too: refused the same way.
    let o = p
        .dockhand()
        .args(["generate", "frontend-configmap", "--response-file"])
        .arg(crate::harness::fixture("answers/frontend-configmap.md").to_string_lossy())
        .status(2)
        .run();
    assert_eq!(
        o.stderr.lines().last(),
        Some(
            "error: charts/todo-app/values.yaml: has uncommitted changes; commit or stash them, or pass --force to overwrite"
        )
    );
    assert_eq!(p.read(rel), edited);
    assert_eq!(
        p.git(&["status", "--porcelain"]),
        " M charts/todo-app/values.yaml\n"
    );
}

#[test]
fn a_new_answer_re_derives_the_chart_and_a_fresh_clone_reproduces_it() {
    let p = project_copy();
    let toml = p
        .read("dockhand.toml")
        .replace("backend_replicas = 2", "backend_replicas = 3");
    p.write("dockhand.toml", &toml);
    p.git(&["commit", "-qam", "three backend replicas"]);
    let answer = std::fs::read_to_string(crate::harness::fixture("answers/backend-deployment.md"))
        .unwrap()
        .replace("replicas: 2", "replicas: 3");
    p.write("answer.md", &answer);
    let templates_before: Vec<String> = [
        "backend-deployment",
        "backend-service",
        "frontend-deployment",
    ]
    .iter()
    .map(|n| p.read(&format!("charts/todo-app/templates/{n}.yaml")))
    .collect();
    let values_before = p.read("charts/todo-app/values.yaml");
    let o = p
        .dockhand()
        .args([
            "generate",
            "backend-deployment",
            "--response-file",
            "answer.md",
        ])
        .run();
    let head = p.git(&["rev-parse", "HEAD"]);
    let cache: Vec<String> = p
        .git(&["show", "--name-only", "--format=", "HEAD"])
        .lines()
        .filter(|l| l.starts_with(".dockhand/cache/"))
        .map(str::to_owned)
        .collect();
    assert_eq!(cache.len(), 1);
    assert_eq!(
        o.stdout,
        format!(
            "wrote charts/todo-app/values.yaml\nwrote {}\nwrote dockhand.lock\ncommitted {}\n",
            cache[0],
            &head[..12]
        )
    );
    assert_eq!(
        p.git(&["log", "-1", "--format=%B"]),
        "dockhand: generate backend-deployment@1.1.0\n\n\
         - charts/todo-app/values.yaml (1 attempt)\n\n\
         Dockhand-Prompt: backend-deployment@1.1.0\n\
         Dockhand-Backend: manual (hand-written)\n\
         Dockhand-Model: none\n\n"
    );
    // Only the value moved: the templates are the same references.
    let templates_after: Vec<String> = [
        "backend-deployment",
        "backend-service",
        "frontend-deployment",
    ]
    .iter()
    .map(|n| p.read(&format!("charts/todo-app/templates/{n}.yaml")))
    .collect();
    assert_eq!(templates_after, templates_before);
    assert_eq!(
        p.read("charts/todo-app/values.yaml"),
        values_before.replacen("  replicas: 2\n", "  replicas: 3\n", 1)
    );
    // The lock pins the template that is on disk.
    let lock = dockhand::lock::Lockfile::read(p.path()).unwrap();
    let entry = lock
        .artifacts
        .iter()
        .find(|a| a.path == "charts/todo-app/templates/backend-deployment.yaml")
        .unwrap();
    assert_eq!(
        entry.output_hash,
        dockhand::hash::tagged(templates_after[0].as_bytes())
    );
    // A fresh clone of that commit reproduces everything from the lock and cache.
    let clone = tempfile::tempdir().unwrap();
    let (code, _, err) = run(Command::new("git")
        .args(["clone", "-q"])
        .arg(p.path())
        .arg(clone.path()));
    assert_eq!(code, 0, "{err}");
    let o = Test::new()
        .current_dir(clone.path())
        .args(["regen", "--offline", "--check"])
        .run();
    assert_eq!((o.stdout.as_str(), o.stderr.as_str()), ("", ALL_UP_TO_DATE));
}

/// A folder holding only these fake tools (tests/fake-bin), for PATH.
fn fake_tools(tools: &[&str]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for t in tools {
        std::os::unix::fs::symlink(repo_root().join("tests/fake-bin").join(t), d.path().join(t))
            .unwrap();
    }
    d
}

const RESOURCES_REPORT: &str = "\
== health-resources@1.0.0 (kagent) ==
Based on `kubectl top pods` over the last 15 minutes, I recommend:

- todo-backend: requests cpu=100m memory=128Mi, limits cpu=300m memory=256Mi
- todo-frontend: requests cpu=50m memory=96Mi, limits cpu=200m memory=192Mi

Both workloads currently run well below these limits.

stored reports/health-resources@1.0.0.md
proposed change to charts/todo-app/values.yaml:
--- a/charts/todo-app/values.yaml
+++ b/charts/todo-app/values.yaml
@@ -15,8 +15,8 @@
       cpu: 100m
       memory: 128Mi
     limits:
-      cpu: 500m
-      memory: 512Mi
+      cpu: 300m
+      memory: 256Mi
   secret:
     name: todo-backend-secret
 frontend:
@@ -32,10 +32,10 @@
   resources:
     requests:
       cpu: 50m
-      memory: 64Mi
+      memory: 96Mi
     limits:
       cpu: 200m
-      memory: 256Mi
+      memory: 192Mi
   configMap:
     name: todo-frontend-config
     data:
";

#[test]
fn health_resources_pass_changes_values_through_the_pipeline() {
    let p = project_copy();
    let tools = fake_tools(&["kagent"]);
    let rel = "charts/todo-app/values.yaml";
    let before = p.read(rel);
    let commits = p.commit_count();

    // Shown, not written, without consent.
    let o = p
        .dockhand()
        .path_prefix(tools.path())
        .args(["health", "--pass", "resources"])
        .run();
    assert_eq!(
        (o.stdout.as_str(), o.stderr.as_str()),
        (
            RESOURCES_REPORT,
            "not applied (pass --apply, or answer y at a terminal)\n"
        )
    );
    assert_eq!((p.read(rel), p.commit_count()), (before.clone(), commits));

    // A hand edit of values.yaml is never overwritten.
    let edited = before.replace("replicas: 2", "replicas: 4");
    p.write(rel, &edited);
    let o = p
        .dockhand()
        .path_prefix(tools.path())
        .args(["health", "--pass", "resources", "--apply"])
        .status(2)
        .run();
    assert_eq!(
        o.stderr,
        "error: charts/todo-app/values.yaml: has uncommitted changes; commit or stash them, or pass --force to overwrite\n"
    );
    assert_eq!((p.read(rel), p.commit_count()), (edited, commits));
    p.write(rel, &before);

    // Another run holds the repository lock: nothing is written.
    {
        let held = std::fs::File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(p.path().join(".git/dockhand-run.lock"))
            .unwrap();
        held.lock().unwrap();
        let o = p
            .dockhand()
            .path_prefix(tools.path())
            .args(["health", "--pass", "resources", "--apply"])
            .env("DOCKHAND_LOCK_WAIT", "1")
            .status(2)
            .run();
        let root = p.path().canonicalize().unwrap();
        assert_eq!(
            o.stderr
                .replace(&root.to_string_lossy().into_owned(), "[ROOT]"),
            "error: another dockhand run holds the repository lock [ROOT]/.git/dockhand-run.lock; waited 1s\n"
        );
        assert_eq!((p.read(rel), p.commit_count()), (before.clone(), commits));
    }

    // Accepted: written, locked as kagent's, committed with the trailers.
    let o = p
        .dockhand()
        .path_prefix(tools.path())
        .args(["health", "--pass", "resources", "--apply"])
        .run();
    let head = p.git(&["rev-parse", "HEAD"]);
    let head = head.trim();
    let cache = p
        .git(&["show", "--name-only", "--format=", "HEAD"])
        .lines()
        .find(|l| l.starts_with(".dockhand/cache/"))
        .unwrap()
        .to_owned();
    assert_eq!(
        o.stdout,
        format!(
            "{RESOURCES_REPORT}wrote charts/todo-app/values.yaml\nwrote {cache}\nwrote dockhand.lock\ncommitted {}\n",
            &head[..12]
        )
    );
    assert_eq!(
        p.git(&["log", "-1", "--format=%B"]),
        "dockhand: generate health-resources@1.0.0\n\n- charts/todo-app/values.yaml (1 attempt)\n\nDockhand-Prompt: health-resources@1.0.0\nDockhand-Backend: kagent\nDockhand-Model: none\n\n"
    );
    assert_eq!(
        p.git(&["show", "--name-only", "--format=", "HEAD"]),
        format!("{cache}\ncharts/todo-app/values.yaml\ndockhand.lock\n")
    );
    let lock = dockhand::lock::Lockfile::read(p.path()).unwrap();
    let entry = lock.artifacts.iter().find(|a| a.path == rel).unwrap();
    assert_eq!(
        (
            entry.prompt.as_str(),
            entry.answerer.backend.as_str(),
            entry.hand_written
        ),
        ("health-resources", "kagent", false)
    );
    assert_eq!(
        entry.output_hash,
        dockhand::hash::tagged(p.read(rel).as_bytes())
    );

    // The lock and cache reproduce it: regen --check is clean, offline.
    let o = p.dockhand().args(["regen", "--offline", "--check"]).run();
    assert_eq!((o.stdout.as_str(), o.stderr.as_str()), ("", ALL_UP_TO_DATE));

    // And the change reaches the rendered Deployments, nothing else.
    let Some(helm) = peer("helm", "health_resources_pass (rendering)") else {
        return;
    };
    let old = objects(&helm_template(&helm, &repo_root().join(CHART), &[]));
    let new = objects(&helm_template(&helm, &p.path().join(CHART), &[]));
    let res = "/spec/template/spec/containers/0/resources";
    assert_eq!(
        changed_leaves(&old, &new),
        vec![
            (
                "Deployment/todo-backend".into(),
                format!("{res}/limits/cpu"),
                "300m".into()
            ),
            (
                "Deployment/todo-backend".into(),
                format!("{res}/limits/memory"),
                "256Mi".into()
            ),
            (
                "Deployment/todo-frontend".into(),
                format!("{res}/limits/memory"),
                "192Mi".into()
            ),
            (
                "Deployment/todo-frontend".into(),
                format!("{res}/requests/memory"),
                "96Mi".into()
            ),
        ]
    );
}

#[test]
fn outside_git_a_hand_edited_values_file_is_told_by_its_hash() {
    let d = tempfile::tempdir().unwrap();
    for dir in ["prompts", "charts", "docker", ".dockhand/cache"] {
        copy_dir(&repo_root().join(dir), &d.path().join(dir));
    }
    for f in ["dockhand.toml", "dockhand.lock"] {
        std::fs::copy(repo_root().join(f), d.path().join(f)).unwrap();
    }
    let rel = "charts/todo-app/values.yaml";
    let edited = std::fs::read_to_string(d.path().join(rel))
        .unwrap()
        .replacen("replicas: 2", "replicas: 3", 1);
    std::fs::write(d.path().join(rel), &edited).unwrap();
    let o = Test::new()
        .current_dir(d.path())
        .args(["regen", "--offline", "--no-commit"])
        .status(2)
        .run();
    assert_eq!(
        o.stderr.lines().last(),
        Some(
            "error: charts/todo-app/values.yaml: changed since dockhand wrote it (its content no longer matches the output hash in dockhand.lock); pass --force to overwrite"
        )
    );
    assert_eq!(std::fs::read_to_string(d.path().join(rel)).unwrap(), edited);
    let o = Test::new()
        .current_dir(d.path())
        .args(["regen", "--offline", "--no-commit", "--force"])
        .run();
    assert_eq!(o.stdout, "wrote 1 artifact(s); not committed\n");
    assert_eq!(
        std::fs::read_to_string(d.path().join(rel)).unwrap(),
        std::fs::read_to_string(repo_root().join(rel)).unwrap()
    );
}

/// Every folder of real-world manifests (kubernetes/examples, read where they
/// lie in ../shared/realworld) made into a chart by the values step: `helm
/// template` with the default values renders exactly the manifests' objects,
/// and `helm lint --strict` finds nothing the values step brought in.
#[test]
fn real_world_manifests_become_charts_that_render_them_back() {
    let Some(helm) = peer("helm", "real_world_manifests_become_charts") else {
        return;
    };
    let realworld = repo_root().join("../shared/realworld/manifests");
    if !realworld.is_dir() {
        eprintln!(
            "skipped: real_world_manifests_become_charts: {} is missing",
            realworld.display()
        );
        return;
    }
    let mut dirs = Vec::new();
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        out.push(dir.to_owned());
        let mut subs: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect();
        subs.sort();
        for s in subs {
            walk(&s, out);
        }
    }
    walk(&realworld, &mut dirs);
    let (mut charts, mut documents, mut references) = (0, 0, 0);
    let mut lint_problems: Vec<String> = Vec::new();
    for dir in dirs {
        // The folder's manifests that read as Kubernetes objects.
        let mut manifests = BTreeMap::new();
        let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
            .collect();
        names.sort();
        for f in names {
            let Ok(text) = std::fs::read_to_string(&f) else {
                continue;
            };
            let parsed = dockhand::validate::yaml::parse(&text);
            let objects = !parsed.documents.is_empty()
                && parsed.diagnostics.is_empty()
                && parsed.documents.iter().all(|d| {
                    d.root.get_str("kind").is_some()
                        && d.root.get_str("apiVersion").is_some()
                        && d.root.lookup("/metadata/name").is_some()
                });
            if objects {
                let name = f.file_name().unwrap().to_string_lossy().into_owned();
                manifests.insert(format!("templates/{name}"), text);
            }
        }
        if manifests.is_empty() {
            continue;
        }
        let chart = dockhand::chartgen::derive("example-app", &manifests, &[]);
        let tmp = tempfile::tempdir().unwrap();
        let c = tmp.path().join("example-app");
        std::fs::create_dir_all(c.join("templates")).unwrap();
        std::fs::write(
            c.join("Chart.yaml"),
            "apiVersion: v2\nname: example-app\nversion: 0.1.0\n",
        )
        .unwrap();
        std::fs::write(c.join("values.yaml"), &chart.values).unwrap();
        std::fs::write(c.join("values.schema.json"), &chart.schema).unwrap();
        for (rel, t) in &chart.templates {
            references += t.matches("{{ .Values.").count();
            std::fs::write(c.join(rel), t).unwrap();
        }
        let rendered = helm_template(&helm, &c, &[]);
        let (code, out, err) = run(Command::new(&helm).args(["lint", "--strict"]).arg(&c));
        if code != 0 || out.contains("[WARNING]") || out.contains("[ERROR]") {
            lint_problems.push(format!("{}: {out}{err}", dir.display()));
        }
        let as_list = |stream: &str| {
            let mut v: Vec<String> = dockhand::validate::yaml::parse(stream)
                .documents
                .iter()
                .map(|d| d.root.to_json().to_string())
                .collect();
            v.sort();
            v
        };
        let want = as_list(
            &manifests
                .values()
                .cloned()
                .collect::<Vec<_>>()
                .join("\n---\n"),
        );
        documents += want.len();
        assert_eq!(as_list(&rendered), want, "{}", dir.display());
        charts += 1;
    }
    // Measured on kubernetes/examples@279e8e4: every folder with manifests.
    assert_eq!((charts, documents, references), (69, 263, 201));
    // `helm lint --strict` objects only to the manifests themselves: 11 archived
    // examples use APIs removed since (and two old DaemonSets have no selector).
    assert_eq!(lint_problems.len(), 11, "{lint_problems:#?}");
    let other: Vec<&str> = lint_problems
        .iter()
        .flat_map(|p| p.lines())
        .filter(|l| l.starts_with("[WARNING]") || l.starts_with("[ERROR]"))
        .filter(|l| !l.contains(" is deprecated in v") && !l.contains("must contain matchLabels"))
        .collect();
    assert_eq!(other, Vec::<&str>::new());
    assert!(
        lint_problems.iter().all(|p| p.contains("/_archived/")),
        "{lint_problems:#?}"
    );
    eprintln!(
        "real-world charts: {charts} folders, {documents} objects, {references} .Values references"
    );
}

#[test]
fn health_resources_pass_writes_nothing_for_a_chart_without_locked_manifests() {
    let p = Project::seeded();
    copy_dir(&repo_root().join(CHART), &p.path().join(CHART));
    p.git(&["add", "-A"]);
    p.git(&["commit", "-qm", "chart by hand"]);
    let before = p.read("charts/todo-app/values.yaml");
    let tools = fake_tools(&["kagent"]);
    let o = p
        .dockhand()
        .path_prefix(tools.path())
        .args(["health", "--pass", "resources", "--apply"])
        .run();
    assert_eq!(
        o.stderr,
        "resources: charts/todo-app has no locked manifests to derive values from; suggestions not applied\n"
    );
    assert_eq!(p.read("charts/todo-app/values.yaml"), before);
    assert_eq!(p.git(&["status", "--porcelain"]), "?? reports/\n");
}

#[test]
fn dockhand_refuses_what_the_overrides_break() {
    let expect = |set: &str, stdout: &str| {
        // The built-in renderer (no helm on PATH), so the output is the same everywhere.
        let o = Test::new()
            .current_dir(&repo_root())
            .env("PATH", "/usr/bin:/bin")
            .args(["validate", CHART, "--set", set])
            .status(1)
            .run();
        assert_eq!(
            (o.stdout.as_str(), o.stderr.as_str()),
            (stdout, ""),
            "--set {set}"
        );
    };
    expect(
        "backend.replicas=abc",
        "\
charts/todo-app/Chart.yaml:1:1: info[chart/renderer]: rendered with dockhand's built-in renderer (no helm on PATH)
  |
1 | apiVersion: v2
  | ^
--set:1:1: error[chart/values-schema]: values don't meet values.schema.json: at /backend/replicas: got string, want integer
  at /backend/replicas
  hint: helm refuses to render the chart with these values
charts/todo-app/templates/backend-deployment.yaml (rendered):8:13: error[schema/type]: expected integer, found string `abc`
  |
8 |   replicas: abc
  |             ^
  at /spec/replicas
policies: project (13 policies)
10 files checked: 2 errors, 0 warnings
",
    );
    expect(
        "backend.image.pullPolicy=Always",
        "\
charts/todo-app/Chart.yaml:1:1: info[chart/renderer]: rendered with dockhand's built-in renderer (no helm on PATH)
  |
1 | apiVersion: v2
  | ^
charts/todo-app/templates/backend-deployment.yaml (rendered):22:28: error[policy/image-pull-never]: container `todo-backend` has `imagePullPolicy: Always`; expected `Never`
   |
22 |           imagePullPolicy: \"Always\"
   |                            ^
  at /spec/template/spec/containers/0/imagePullPolicy
  hint: set `imagePullPolicy: Never` on every container: Minikube runs the images built locally (`eval $(minikube docker-env)`), there is no registry to pull from
policies: project (13 policies)
9 files checked: 1 error, 0 warnings
",
    );
}
