//! Charts as helm sees them: `dockhand validate` on charts, with helm as the
//! renderer and without it, and its verdicts against `helm lint --strict` +
//! `helm template | kubernetes-validate --strict` on helm's own test charts
//! (`../shared/realworld/charts/`). Tests that need the peers
//! (DOCKHAND_PEERS_BIN) or the real-world files say so when they skip.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::harness::{Project, Test, fixture, repo_root};

/// The peers' folder, when DOCKHAND_PEERS_BIN names one holding helm.
#[allow(clippy::print_stderr)]
fn peers(test: &str) -> Option<PathBuf> {
    let Some(dir) = std::env::var_os("DOCKHAND_PEERS_BIN").map(PathBuf::from) else {
        eprintln!("{test}: skipped: DOCKHAND_PEERS_BIN is not set (scripts/test sets it)");
        return None;
    };
    if !dir.join("helm").is_file() || !dir.join("kubernetes-validate").exists() {
        eprintln!(
            "{test}: skipped: no helm or kubernetes-validate in DOCKHAND_PEERS_BIN ({})",
            dir.display()
        );
        return None;
    }
    Some(dir)
}

/// `../shared/realworld/charts`, when it is there.
#[allow(clippy::print_stderr)]
fn realworld(test: &str) -> Option<PathBuf> {
    let dir = repo_root().join("../shared/realworld/charts");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "{test}: skipped: {} is absent (the real-world charts live beside the repo)",
            dir.display()
        );
        None
    }
}

/// PATH without any helm: the built-in renderer.
const NO_HELM_PATH: &str = "/usr/bin:/bin";

fn chart(name: &str) -> String {
    fixture(&format!("charts/{name}"))
        .to_string_lossy()
        .into_owned()
}

fn settings(peers: Option<&Path>) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_prepend_module_to_snapshot(false);
    if let Some(p) = peers {
        s.add_filter(&regex_escape(&p.to_string_lossy()), "[PEERS]");
    }
    s.add_filter(&regex_escape(&repo_root().to_string_lossy()), "[REPO]");
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

// ------------------------------------------------------------------ the CLI

#[test]
fn without_helm_a_construct_it_cannot_render_is_one_info_not_an_error() {
    // apiVersion v1 without appVersion is fine; `range` is outside the
    // built-in renderer: one info naming it, exit 0.
    let out = Test::new()
        .env("PATH", NO_HELM_PATH)
        .args(["validate", &chart("v1-range")])
        .run();
    assert_eq!(out.stderr, "");
    settings(None).bind(|| insta::assert_snapshot!("chart_v1_range_builtin", out.stdout));
}

#[test]
fn with_helm_on_path_helm_renders_whatever_chart_yaml_holds() {
    let Some(peers) = peers("with_helm_on_path_helm_renders_whatever_chart_yaml_holds") else {
        return;
    };
    let out = Test::new()
        .env("PATH", format!("{}:{NO_HELM_PATH}", peers.display()))
        .args(["validate", &chart("v1-range")])
        .run();
    assert_eq!(out.stderr, "");
    settings(Some(&peers)).bind(|| insta::assert_snapshot!("chart_v1_range_helm", out.stdout));
}

#[test]
fn a_dependency_missing_from_charts_is_an_error() {
    let out = Test::new()
        .env("PATH", NO_HELM_PATH)
        .args(["validate", &chart("missing-dependency")])
        .status(1)
        .run();
    assert_eq!(out.stderr, "");
    settings(None).bind(|| insta::assert_snapshot!("chart_missing_dependency_builtin", out.stdout));
    // helm says the same, once.
    let Some(peers) = peers("a_dependency_missing_from_charts_is_an_error (with helm)") else {
        return;
    };
    let with_helm = Test::new()
        .env("PATH", format!("{}:{NO_HELM_PATH}", peers.display()))
        .args(["validate", &chart("missing-dependency")])
        .status(1)
        .run();
    let strip = |s: &str| {
        s.lines()
            .filter(|l| !l.contains("[chart/renderer]"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    // Only the renderer's line (and its snippet) differs.
    let findings = |s: &str| {
        strip(s)
            .lines()
            .filter(|l| l.contains("error[") || l.contains("warning["))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(findings(&with_helm.stdout), findings(&out.stdout));
    assert_eq!(
        with_helm.stdout.lines().last(),
        out.stdout.lines().last(),
        "{}",
        with_helm.stdout
    );
}

#[test]
fn a_looping_chart_does_not_hang_validate() {
    let Some(peers) = peers("a_looping_chart_does_not_hang_validate") else {
        return;
    };
    let p = Project::empty();
    p.write(
        "dockhand.toml",
        &format!(
            "[tools.helm]\nbinary = \"{}\"\ntimeout_secs = 2\n",
            peers.join("helm").display()
        ),
    );
    crate::harness::copy_dir(&fixture("charts/looping"), &p.path().join("looping"));
    let started = Instant::now();
    let out = p
        .dockhand()
        .env("PATH", NO_HELM_PATH)
        .args(["validate", "looping"])
        .status(1)
        .run();
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    let errors: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.contains(": error["))
        .collect();
    assert_eq!(errors.len(), 1, "{}", out.stdout);
    assert!(
        errors[0]
            .starts_with("looping/Chart.yaml:1:1: error[chart/render]: helm template failed: `")
            && errors[0].contains(
                "did not finish within 2 s; it was killed together with its process group"
            ),
        "{}",
        errors[0]
    );
}

#[test]
fn a_configured_helm_that_does_not_exist_is_named() {
    let p = Project::empty();
    p.write(
        "dockhand.toml",
        "[tools.helm]\nbinary = \"/nonexistent/helm\"\n",
    );
    crate::harness::copy_dir(&fixture("charts/v1-range"), &p.path().join("v1-range"));
    let out = p.dockhand().args(["validate", "v1-range"]).status(1).run();
    let errors: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.contains(": error["))
        .collect();
    assert_eq!(
        errors,
        [
            "v1-range/Chart.yaml:1:1: error[chart/render]: cannot run helm: `/nonexistent/helm` does not exist"
        ],
        "{}",
        out.stdout
    );
}

// ------------------------------------------------------------ agreement with helm

/// helm's test charts the suite checks on every run; `DOCKHAND_CHARTS_ALL=1`
/// checks the whole folder.
const SAMPLE: &[&str] = &[
    "helm-lint-testdata/albatross",
    "helm-lint-testdata/badchartfile",
    "helm-lint-testdata/badcrdfile",
    "helm-lint-testdata/goodone",
    "helm-lint-testdata/invalidchartfile",
    "helm-lint-testdata/multi-template-fail",
    "helm-testcharts/alpine",
    "helm-testcharts/chart-missing-deps",
    "helm-testcharts/chart-with-lib-dep",
    "helm-testcharts/chart-with-schema",
    "helm-testcharts/chart-with-schema-negative",
    "helm-testcharts/chart-with-subchart-notes",
    "helm-testcharts/empty",
    "helm-testcharts/issue1979",
    "helm-testcharts/test1",
];

/// Disagreements judged in VALIDATION.md (## Charts), with the reason. A
/// disagreement not listed here fails the test.
const JUDGED: &[(&str, &str)] = &[
    (
        "invalidchartfile",
        "helm lint --strict fails on warnings only (a duplicate key in Chart.yaml, no templates/); dockhand warns",
    ),
    (
        "chart-with-only-crds",
        "helm lint --strict fails on a warning only (no templates/: a CRD-only chart); dockhand warns",
    ),
    (
        "deprecated",
        "helm lint --strict fails on a warning only (no templates/); dockhand warns",
    ),
    (
        "test",
        "helm lint --strict fails on a warning only (no templates/); dockhand warns",
    ),
    (
        "test1",
        "helm lint --strict fails on a warning only (no templates/); dockhand warns",
    ),
    (
        "chart-with-deprecated-api",
        "policy/v1beta1 PodDisruptionBudget, removed in 1.25: helm lint warns; dockhand's removed-API error comes with the schema work",
    ),
    (
        "chart-with-schema-negative",
        "built-in renderer only: values.schema.json is not checked without helm",
    ),
    (
        "v3-fail",
        "the project's policies (image-pull-never, resources) ran on a chart outside the project",
    ),
    (
        "object-order",
        "the project's policies (image-pull-never, resources) ran on a chart outside the project",
    ),
    (
        "chart-with-secret",
        "the project's policy no-secret-objects ran on a chart outside the project",
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Valid,
    Invalid,
}

/// `helm lint --strict` + `helm template | kubernetes-validate --strict`.
fn reference(peers: &Path, dir: &Path, scratch: &Path) -> Verdict {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let lint = Command::new(peers.join("helm"))
        .args(["lint", "--strict"])
        .arg(dir)
        .output()
        .expect("helm lint runs");
    let template = Command::new(peers.join("helm"))
        .args(["template", &name])
        .arg(dir)
        .output()
        .expect("helm template runs");
    let mut ok = lint.status.success() && template.status.success();
    if template.status.success() {
        let rendered = scratch.join(format!("{name}.yaml"));
        std::fs::write(&rendered, &template.stdout).unwrap();
        let kv = Command::new(peers.join("kubernetes-validate"))
            .args(["--strict", "--quiet", "-k", "1.33.0"])
            .arg(&rendered)
            .output()
            .expect("kubernetes-validate runs");
        ok &= kv.status.success();
    }
    if ok { Verdict::Valid } else { Verdict::Invalid }
}

/// `dockhand validate DIR` as a user outside the project runs it (no
/// dockhand.toml), with or without helm on PATH.
fn ours(dir: &Path, path: &str, outside: &Path) -> Verdict {
    let out = Test::new()
        .current_dir(outside)
        .env("PATH", path)
        .args(["validate", "--format", "json"])
        .arg(dir.to_string_lossy())
        .command()
        .output()
        .expect("dockhand runs");
    match out.status.code() {
        Some(0) => Verdict::Valid,
        Some(1) => Verdict::Invalid,
        other => panic!(
            "dockhand validate {} exited {other:?}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

#[test]
#[allow(clippy::print_stderr)]
fn verdicts_agree_with_helm_lint_and_kubernetes_validate() {
    let test = "verdicts_agree_with_helm_lint_and_kubernetes_validate";
    let (Some(peers), Some(root)) = (peers(test), realworld(test)) else {
        return;
    };
    let charts: Vec<PathBuf> = if std::env::var_os("DOCKHAND_CHARTS_ALL").is_some() {
        let mut all = Vec::new();
        for group in ["helm-lint-testdata", "helm-testcharts"] {
            let mut found: Vec<PathBuf> = std::fs::read_dir(root.join(group))
                .unwrap()
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect();
            found.sort();
            all.extend(found);
        }
        all
    } else {
        SAMPLE.iter().map(|c| root.join(c)).collect()
    };
    let scratch = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let with_helm = format!("{}:{NO_HELM_PATH}", peers.display());
    let mut table = String::from(
        "| chart | helm lint --strict + template + kubernetes-validate | dockhand (helm) | dockhand (built-in) |\n|---|---|---|---|\n",
    );
    let (mut agree_helm, mut agree_builtin) = (0, 0);
    let mut unjudged = Vec::new();
    for dir in &charts {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let theirs = reference(&peers, dir, scratch.path());
        let helm = ours(dir, &with_helm, outside.path());
        let builtin = ours(dir, NO_HELM_PATH, outside.path());
        agree_helm += usize::from(helm == theirs);
        agree_builtin += usize::from(builtin == theirs);
        for (mode, v) in [("helm", helm), ("built-in", builtin)] {
            if v != theirs && !JUDGED.iter().any(|(c, _)| *c == name) {
                unjudged.push(format!(
                    "{name} ({mode}): reference {theirs:?}, dockhand {v:?}"
                ));
            }
        }
        table.push_str(&format!(
            "| {name} | {theirs:?} | {helm:?} | {builtin:?} |\n"
        ));
    }
    let n = charts.len();
    eprintln!(
        "{table}\nagreement on {n} charts: with helm {agree_helm}/{n}, built-in renderer {agree_builtin}/{n}"
    );
    assert!(
        unjudged.is_empty(),
        "disagreements not judged in VALIDATION.md:\n{}\n{table}",
        unjudged.join("\n")
    );
}

// ------------------------------------------------------------ read once, in memory

#[test]
fn a_chart_is_read_once_per_run_and_artifacts_are_laid_over_it_in_memory() {
    let p = Project::empty();
    crate::harness::copy_dir(&fixture("charts/todo-app"), &p.path().join("charts/demo"));
    let settings = dockhand::settings::Settings::resolve(
        p.path().to_owned(),
        None,
        &dockhand::settings::Env::default(),
    )
    .unwrap();
    let mut config = settings.validator_config(None);
    config.chart_renderer = dockhand::validate::chart::Renderer::BuiltIn;
    let validator = dockhand::validate::Validator::new(config).unwrap();
    let template = |key: &str| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  port: {{{{ .Values.backend.{key} | quote }}}}\n"
        )
    };
    let rel = "charts/demo/templates/extra.yaml";
    let checks = dockhand::validate::Checks::default();
    let first = validator.check_in_chart(p.path(), rel, &template("port"), &checks);
    assert_eq!(first, [], "the right value renders and passes");
    // The chart on disk is gone: the second artifact is still checked
    // against the chart as it was read, and nothing was written beside it.
    std::fs::remove_dir_all(p.path().join("charts/demo/templates")).unwrap();
    std::fs::write(p.path().join("charts/demo/values.yaml"), "{}\n").unwrap();
    let second = validator.check_in_chart(p.path(), rel, &template("portt"), &checks);
    let codes: Vec<(&str, usize, usize)> = second
        .iter()
        .map(|d| (d.code.as_str(), d.line, d.column))
        .collect();
    assert_eq!(codes, [("chart/missing-value", 6, 12)], "{second:#?}");
    assert!(
        second[0].is_error(),
        "a value the chart lacks is a wrong answer"
    );
    assert!(
        second[0].message.contains("did you mean `port`?"),
        "{}",
        second[0].message
    );
    assert!(!p.exists(rel));
}

#[test]
fn a_template_the_built_in_renderer_cannot_render_is_rendered_by_helm_in_the_pipeline() {
    let Some(peers) =
        peers("a_template_the_built_in_renderer_cannot_render_is_rendered_by_helm_in_the_pipeline")
    else {
        return;
    };
    let p = Project::empty();
    crate::harness::copy_dir(&fixture("charts/v1-range"), &p.path().join("charts/demo"));
    let settings = dockhand::settings::Settings::resolve(
        p.path().to_owned(),
        None,
        &dockhand::settings::Env::default(),
    )
    .unwrap();
    let mut config = settings.validator_config(None);
    config.chart_renderer = dockhand::validate::chart::Renderer::Helm(peers.join("helm"));
    let validator = dockhand::validate::Validator::new(config).unwrap();
    let rel = "charts/demo/templates/extra.yaml";
    let checks = dockhand::validate::Checks::default();
    // `range` is outside the built-in subset: helm renders the chart with the
    // artifact laid over it, and the rendered document is checked.
    let template = |replicas: &str| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n{{{{- range $k, $v := .Values.settings }}}}\n  {{{{ $k }}}}: {{{{ $v | quote }}}}\n{{{{- end }}}}\n  replicas: {replicas}\n"
        )
    };
    assert_eq!(
        validator.check_in_chart(p.path(), rel, &template("\"2\""), &checks),
        []
    );
    let bad = validator.check_in_chart(p.path(), rel, &template("2"), &checks);
    let codes: Vec<(&str, usize, usize)> = bad
        .iter()
        .map(|d| (d.code.as_str(), d.line, d.column))
        .collect();
    assert_eq!(codes, [("schema/type", 8, 13)], "{bad:#?}");
    // The chart's one copy for helm gets each artifact in turn.
    assert_eq!(
        validator.check_in_chart(p.path(), rel, &template("\"3\""), &checks),
        []
    );
    let other = "charts/demo/templates/other.yaml";
    let only_other = validator.check_in_chart(p.path(), other, &template("4"), &checks);
    assert_eq!(only_other.len(), 1, "{only_other:#?}");
    assert!(!p.exists(rel), "nothing is written beside the chart");
}
