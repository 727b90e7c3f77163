//! check_chart on the fixtures under tests/fixtures/charts.
use super::*;
use crate::validate::diagnostic::Severity;
use std::time::Duration;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/charts")
}

fn builtin() -> ChartOptions {
    ChartOptions {
        renderer: Renderer::BuiltIn,
        ..ChartOptions::default()
    }
}

/// (file name relative to the chart, code, line, column) of every finding.
fn brief(dir: &Path, r: &ChartResult) -> Vec<(String, String, usize, usize)> {
    let prefix = dir.to_string_lossy().into_owned() + "/";
    r.files
        .iter()
        .flat_map(|(p, ds)| {
            let rel = p.strip_prefix(&prefix).unwrap_or(p).to_owned();
            ds.iter()
                .filter(|d| d.code != "chart/renderer")
                .map(move |d| (rel.clone(), d.code.clone(), d.line, d.column))
        })
        .collect()
}

fn t(file: &str, code: &str, line: usize, column: usize) -> (String, String, usize, usize) {
    (file.to_owned(), code.to_owned(), line, column)
}

#[test]
fn is_chart_needs_chart_yaml() {
    assert!(is_chart(&fixtures().join("todo-app")));
    assert!(!is_chart(&fixtures().join("todo-app/templates")));
    assert!(!is_chart(&fixtures().join("does-not-exist")));
}

#[test]
fn good_chart_has_no_findings() {
    let dir = fixtures().join("todo-app");
    let r = check_chart(&dir, &builtin());
    assert_eq!(r.renderer_used, "built-in");
    let all = brief(&dir, &r);
    assert!(all.is_empty(), "{:#?}", r.files);
    let names: Vec<&str> = r.rendered.iter().map(|f| f.template.as_str()).collect();
    assert_eq!(
        names,
        [
            "templates/backend-deployment.yaml",
            "templates/backend-service.yaml",
            "templates/configmap.yaml",
            "templates/frontend-deployment.yaml",
            "templates/frontend-service.yaml"
        ]
    );
    // Every source file has an entry, even without findings.
    let files: Vec<String> = r
        .files
        .iter()
        .map(|(p, _)| p.rsplit('/').next().unwrap().to_owned())
        .collect();
    assert!(
        files.contains(&"Chart.yaml".to_owned())
            && files.contains(&"values.yaml".to_owned())
            && files.contains(&"_helpers.tpl".to_owned()),
        "{files:?}"
    );
    let deploy = &r.rendered[0].text;
    assert!(deploy.contains("imagePullPolicy: Never"), "{deploy}");
    assert!(
        deploy.contains("\n    app.kubernetes.io/part-of: todo-app\n"),
        "{deploy}"
    );
    assert!(
        deploy.contains("\n          resources:\n            limits:\n              cpu: 500m\n"),
        "{deploy}"
    );
}

#[test]
fn good_chart_with_overrides() {
    let dir = fixtures().join("todo-app");
    let tmp =
        std::env::temp_dir().join(format!("dockhand-chart-values-{}.yaml", std::process::id()));
    std::fs::write(
        &tmp,
        "backend:\n  replicas: 3\nfrontend:\n  nodePort: 30081\n",
    )
    .unwrap();
    let opts = ChartOptions {
        values_files: vec![tmp.clone()],
        set: vec!["backend.replicas=5,frontend.image.tag=v2".into()],
        ..builtin()
    };
    let r = check_chart(&dir, &opts);
    std::fs::remove_file(&tmp).ok();
    let deploy = r
        .rendered
        .iter()
        .find(|f| f.template == "templates/backend-deployment.yaml")
        .unwrap();
    assert!(
        deploy.text.contains("replicas: 5\n"),
        "--set wins over the values file: {}",
        deploy.text
    );
    let front = r
        .rendered
        .iter()
        .find(|f| f.template == "templates/frontend-deployment.yaml")
        .unwrap();
    assert!(
        front.text.contains("image: \"todo-frontend:v2\""),
        "{}",
        front.text
    );
    // The values file's NodePort is checked against the policy.
    let all = brief(&dir, &r);
    assert_eq!(
        all,
        vec![t(
            "templates/frontend-service.yaml (rendered)",
            "policy/nodeport",
            18,
            17
        )],
        "{:#?}",
        r.files
    );
}

#[test]
fn bad_chart_version() {
    let dir = fixtures().join("bad-chart-yaml");
    let r = check_chart(&dir, &builtin());
    // `apiVersion: v1` is fine (helm accepts it); the version and a number for
    // `appVersion` are not.
    assert_eq!(
        brief(&dir, &r),
        vec![
            t("Chart.yaml", "chart/version", 4, 10),
            t("Chart.yaml", "chart/app-version", 5, 13),
        ]
    );
    let d = &r.files[0].1;
    let d: Vec<&Diagnostic> = d.iter().filter(|d| d.code != "chart/renderer").collect();
    assert_eq!(
        d[0].message,
        "chart version `one` is not a semantic version (MAJOR.MINOR.PATCH, e.g. 0.1.0)"
    );
    assert_eq!(d[1].message, "`appVersion` is a number, not a string");
    assert!(d.iter().all(|d| d.is_error() && d.hint.is_some()));
    // The chart still renders with the built-in renderer.
    assert_eq!(r.rendered.len(), 1);
}

#[test]
fn missing_value_reference() {
    let dir = fixtures().join("bad-missing-value");
    let r = check_chart(&dir, &builtin());
    // `.Values.backend.imag`, a typo; the references under `default` are guarded.
    assert_eq!(
        brief(&dir, &r),
        vec![t(
            "templates/deployment.yaml",
            "chart/missing-value",
            19,
            21
        )],
        "{:#?}",
        r.files
    );
    let d = &r
        .files
        .iter()
        .find(|(p, _)| p.ends_with("deployment.yaml"))
        .unwrap()
        .1[0];
    assert_eq!(
        d.message,
        "`.Values.backend.imag` is not defined in the chart's values (`.Values.backend` has `name`, `image`, `port`, `resources`); did you mean `image`?"
    );
    // helm renders a missing leaf as an empty string: a warning, and the
    // document still renders.
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(r.errors(), 0);
    assert_eq!(r.rendered.len(), 1);
    // For a generated template it is an error (a wrong answer).
    let strict = check_chart(
        &dir,
        &ChartOptions {
            strict_values: true,
            ..builtin()
        },
    );
    assert_eq!(strict.errors(), 1);
}

#[test]
fn unsupported_range_is_not_fully_checked_never_an_error() {
    let dir = fixtures().join("bad-range");
    let r = check_chart(&dir, &builtin());
    assert_eq!(
        brief(&dir, &r),
        vec![t(
            "templates/deployment.yaml",
            "chart/not-fully-checked",
            30,
            13
        )],
        "{:#?}",
        r.files
    );
    let d = &r
        .files
        .iter()
        .find(|(p, _)| p.ends_with("deployment.yaml"))
        .unwrap()
        .1[0];
    assert_eq!(
        d.message,
        "not fully checked: the built-in renderer cannot render `range`; not rendered or checked: templates/deployment.yaml"
    );
    assert_eq!(d.severity, Severity::Info);
    assert_eq!(r.errors(), 0);
    assert!(!r.complete);
    assert!(r.rendered.is_empty());
    let renderer = &r.files[0].1[0];
    assert_eq!(
        (renderer.code.as_str(), renderer.message.as_str()),
        (
            "chart/renderer",
            "rendered with dockhand's built-in renderer (as asked)"
        )
    );
}

#[test]
fn literal_secret_in_chart() {
    let dir = fixtures().join("bad-literal-secret");
    let r = check_chart(&dir, &builtin());
    assert_eq!(
        brief(&dir, &r),
        vec![t(
            "templates/deployment.yaml (rendered)",
            "policy/secret-env",
            25,
            22
        )],
        "{:#?}",
        r.files
    );
    let text = &r.rendered[0].text;
    assert_eq!(
        text.lines().nth(24).unwrap().trim(),
        "value: \"sk-test-not-a-real-key\""
    );
}

#[test]
fn nodeport_30081() {
    let dir = fixtures().join("bad-nodeport");
    let r = check_chart(&dir, &builtin());
    assert_eq!(
        brief(&dir, &r),
        vec![t(
            "templates/service.yaml (rendered)",
            "policy/nodeport",
            12,
            17
        )],
        "{:#?}",
        r.files
    );
    let d = &r
        .files
        .iter()
        .find(|(p, _)| p.ends_with(RENDERED_SUFFIX))
        .unwrap()
        .1[0];
    assert!(d.message.contains("nodePort 30081"), "{}", d.message);
    assert_eq!(d.pointer.as_deref(), Some("/spec/ports/0/nodePort"));
    // With the policy configured for 30081, it passes.
    let opts = ChartOptions {
        policy: PolicyConfig {
            nodeport: 30081,
            ..PolicyConfig::default()
        },
        ..builtin()
    };
    assert!(check_chart(&dir, &opts).errors() == 0);
}

/// A one-template chart in a temp dir (values `a: 1`); the caller removes it.
fn scratch_chart(tag: &str, template: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("dockhand-chart-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(
        dir.join("Chart.yaml"),
        "apiVersion: v2\nname: x\nversion: 0.1.0\nappVersion: \"1\"\n",
    )
    .unwrap();
    std::fs::write(dir.join("values.yaml"), "a: 1\n").unwrap();
    std::fs::write(dir.join("templates/cm.yaml"), template).unwrap();
    dir
}

#[test]
fn template_syntax_error() {
    let dir = scratch_chart("syntax", "kind: ConfigMap\n{{ if .Values.a }}\nx: 1\n");
    let r = check_chart(&dir, &builtin());
    std::fs::remove_dir_all(&dir).ok();
    let d: Vec<_> = r
        .files
        .iter()
        .flat_map(|(_, d)| d)
        .filter(|d| d.code != "chart/renderer")
        .collect();
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(
        (d[0].code.as_str(), d[0].line, d[0].column),
        ("chart/template-syntax", 2, 1)
    );
    assert!(
        d[0].message.contains("{{if}} has no {{end}}"),
        "{}",
        d[0].message
    );
}

// ------------------------------------------------------------ against helm

/// The peer `helm`, when `DOCKHAND_PEERS_BIN` names a folder holding it.
#[allow(clippy::print_stderr)]
fn peer_helm() -> Option<PathBuf> {
    let Some(dir) = std::env::var_os("DOCKHAND_PEERS_BIN") else {
        eprintln!("note: DOCKHAND_PEERS_BIN is not set; skipping the comparison with helm");
        return None;
    };
    let helm = PathBuf::from(dir).join("helm");
    if !helm.is_file() {
        eprintln!(
            "note: no helm in DOCKHAND_PEERS_BIN ({}); skipping the comparison with helm",
            helm.display()
        );
        return None;
    }
    Some(helm)
}

/// Parsed documents per template, sorted (helm orders by kind).
fn documents(r: &ChartResult) -> Vec<(String, Vec<String>)> {
    r.rendered
        .iter()
        .map(|f| {
            let parsed = yaml::parse(&f.text);
            let mut docs: Vec<String> = parsed
                .documents
                .iter()
                .map(|d| d.root.to_json().to_string())
                .collect();
            docs.sort();
            (f.template.clone(), docs)
        })
        .collect()
}

#[test]
fn builtin_renderer_matches_helm() {
    let Some(helm) = peer_helm() else { return };
    let tmp = std::env::temp_dir().join(format!("dockhand-chart-cmp-{}.yaml", std::process::id()));
    // Floats print as helm prints them (`1e+06`); odd strings go through `quote`.
    std::fs::write(
        &tmp,
        "backend:\n  resources:\n    limits: {cpu: '1', memory: 1Gi}\nfrontend:\n  replicas: 1000000\n  apiUrl: 'http://todo-backend:8000 # \"x\"'\n",
    )
    .unwrap();
    let cases: Vec<(&str, Vec<PathBuf>, Vec<String>)> = vec![
        ("todo-app", vec![], vec![]),
        (
            "todo-app",
            vec![tmp.clone()],
            vec!["backend.replicas=3,frontend.image.tag=v2,backend.port=8001".into()],
        ),
        ("bad-literal-secret", vec![], vec![]),
        ("bad-nodeport", vec![], vec![]),
        ("bad-missing-value", vec![], vec![]),
    ];
    for (chart, values_files, set) in cases {
        let dir = fixtures().join(chart);
        let base = ChartOptions {
            values_files,
            set,
            ..ChartOptions::default()
        };
        let ours = check_chart(
            &dir,
            &ChartOptions {
                renderer: Renderer::BuiltIn,
                ..base.clone()
            },
        );
        let theirs = check_chart(
            &dir,
            &ChartOptions {
                renderer: Renderer::Helm(helm.clone()),
                ..base.clone()
            },
        );
        assert_eq!(ours.renderer_used, "built-in");
        assert_eq!(theirs.renderer_used, "helm");
        assert!(
            !theirs.rendered.is_empty(),
            "{chart}: helm rendered nothing: {:#?}",
            theirs.files
        );
        assert_eq!(
            documents(&ours),
            documents(&theirs),
            "{chart} {:?}",
            base.set
        );
        // Same findings too, apart from where the rendered lines differ.
        let codes = |r: &ChartResult| {
            let mut c: Vec<(String, String)> = r
                .files
                .iter()
                .flat_map(|(p, ds)| ds.iter().map(move |d| (p.clone(), d.code.clone())))
                .collect();
            c.sort();
            c
        };
        assert_eq!(codes(&ours), codes(&theirs), "{chart}");
    }
    std::fs::remove_file(&tmp).ok();
}

#[test]
fn good_chart_passes_kubernetes_validate() {
    let Some(helm) = peer_helm() else { return };
    let kv = helm.with_file_name("kubernetes-validate");
    let dir = fixtures().join("todo-app");
    let r = check_chart(&dir, &builtin());
    let tmp = std::env::temp_dir().join(format!("dockhand-chart-kv-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let mut args = vec![
        "--strict".to_owned(),
        "--quiet".to_owned(),
        "-k".to_owned(),
        "1.33.0".to_owned(),
    ];
    for (i, f) in r.rendered.iter().enumerate() {
        let p = tmp.join(format!("{i}.yaml"));
        std::fs::write(&p, &f.text).unwrap();
        args.push(p.to_string_lossy().into_owned());
    }
    let out = std::process::Command::new(&kv)
        .args(&args)
        .output()
        .expect("run kubernetes-validate");
    std::fs::remove_dir_all(&tmp).ok();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn with_helm(helm: &Path) -> ChartOptions {
    ChartOptions {
        renderer: Renderer::Helm(helm.to_owned()),
        ..ChartOptions::default()
    }
}

/// (code, severity, line, column) of every finding but the renderer's.
fn findings(r: &ChartResult) -> Vec<(String, Severity, usize, usize)> {
    r.files
        .iter()
        .flat_map(|(_, d)| d)
        .filter(|d| d.code != "chart/renderer")
        .map(|d| (d.code.clone(), d.severity, d.line, d.column))
        .collect()
}

#[test]
fn chart_yaml_findings_do_not_change_the_renderer() {
    let Some(helm) = peer_helm() else { return };
    let dir = fixtures().join("bad-chart-yaml");
    let r = check_chart(&dir, &with_helm(&helm));
    assert_eq!(r.renderer_used, "helm");
    // helm refuses the version too; its message is not repeated.
    assert_eq!(
        findings(&r),
        [
            ("chart/version".to_owned(), Severity::Error, 4, 10),
            ("chart/app-version".to_owned(), Severity::Error, 5, 13),
        ],
        "{:#?}",
        r.files
    );
    let renderer = &r.files[0].1[0];
    assert_eq!(
        renderer.message,
        format!("rendered with `helm template` ({})", helm.display())
    );
}

#[test]
fn helm_errors_are_mapped_to_templates() {
    let Some(helm) = peer_helm() else { return };
    // A failure while rendering points at the template's line and column.
    let dir = scratch_chart(
        "helm-err",
        "kind: ConfigMap\nx: {{ .Values.nope.deeper }}\n",
    );
    let r = check_chart(&dir, &with_helm(&helm));
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(
        findings(&r),
        [
            ("chart/missing-value".to_owned(), Severity::Warning, 2, 7),
            ("chart/render".to_owned(), Severity::Error, 2, 14),
        ]
    );
    let render = r
        .files
        .iter()
        .flat_map(|(_, d)| d)
        .find(|d| d.code == "chart/render")
        .unwrap();
    assert_eq!(
        render.message,
        "helm template failed: x/templates/cm.yaml:2:13 executing \"x/templates/cm.yaml\" at <.Values.nope.deeper>: nil pointer evaluating interface {}.deeper"
    );
}

#[test]
fn a_looping_chart_is_stopped_by_the_timeout() {
    let Some(helm) = peer_helm() else { return };
    let dir = scratch_chart(
        "helm-loop",
        "kind: ConfigMap\n{{- range $i := until 1000000000 }}{{ $i }}{{ end }}\n",
    );
    let opts = ChartOptions {
        helm: HelmLimits {
            timeout: Duration::from_secs(2),
            ..HelmLimits::default()
        },
        ..with_helm(&helm)
    };
    let started = std::time::Instant::now();
    let r = check_chart(&dir, &opts);
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        findings(&r),
        [("chart/render".to_owned(), Severity::Error, 1, 1)]
    );
    let d = r
        .files
        .iter()
        .flat_map(|(_, d)| d)
        .find(|d| d.code == "chart/render")
        .unwrap();
    assert!(
        d.message.starts_with("helm template failed: `")
            && d.message.ends_with("did not finish within 2 s; it was killed together with its process group (raise [limits] helm_timeout_secs in dockhand.toml to allow longer)"),
        "{}",
        d.message
    );
    assert!(r.rendered.is_empty());
}

#[test]
fn helm_output_over_the_limit_is_refused() {
    let Some(helm) = peer_helm() else { return };
    let dir = scratch_chart(
        "helm-big",
        "kind: ConfigMap\ndata:\n{{- range $i := until 10000 }}\n  k{{ $i }}: \"0123456789012345678901234567890123456789\"{{ end }}\n",
    );
    let opts = ChartOptions {
        helm: HelmLimits {
            max_output: 100 * 1024,
            ..HelmLimits::default()
        },
        ..with_helm(&helm)
    };
    let r = check_chart(&dir, &opts);
    let unlimited = check_chart(&dir, &with_helm(&helm));
    std::fs::remove_dir_all(&dir).ok();
    let d = r
        .files
        .iter()
        .flat_map(|(_, d)| d)
        .find(|d| d.code == "chart/render")
        .unwrap();
    assert!(
        d.message.starts_with("helm template failed: `")
            && d.message.ends_with("wrote more than 100 KiB to stdout; it was stopped and its answer discarded (raise [limits] max_answer_bytes in dockhand.toml if the answer is meant to be this big)"),
        "{}",
        d.message
    );
    assert!(r.rendered.is_empty());
    assert_eq!(unlimited.rendered.len(), 1);
}

#[test]
fn a_missing_dependency_is_one_error_with_either_renderer() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("templates")).unwrap();
    std::fs::write(
        dir.path().join("Chart.yaml"),
        "apiVersion: v2\nname: x\nversion: 0.1.0\ndependencies:\n  - name: redis\n    version: 1.0.0\n    repository: https://example.com\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("templates/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
    )
    .unwrap();
    let expect = [("chart/dependency-missing".to_owned(), Severity::Error, 5, 5)];
    let r = check_chart(dir.path(), &builtin());
    assert_eq!(findings(&r), expect, "{:#?}", r.files);
    let d = r
        .files
        .iter()
        .flat_map(|(_, d)| d)
        .find(|d| d.code == "chart/dependency-missing")
        .unwrap();
    assert_eq!(
        d.message,
        "dependency `redis` is declared but missing in charts/"
    );
    if let Some(helm) = peer_helm() {
        let r = check_chart(dir.path(), &with_helm(&helm));
        assert_eq!(findings(&r), expect, "{:#?}", r.files);
    }
    // With the subchart in place, it passes.
    std::fs::create_dir_all(dir.path().join("charts/redis")).unwrap();
    std::fs::write(
        dir.path().join("charts/redis/Chart.yaml"),
        "apiVersion: v2\nname: redis\nversion: 1.0.0\n",
    )
    .unwrap();
    let r = check_chart(dir.path(), &builtin());
    assert_eq!(r.errors(), 0, "{:#?}", r.files);
}

#[test]
fn an_undefined_function_is_an_error_with_either_renderer() {
    let dir = scratch_chart(
        "undefined-fn",
        "kind: ConfigMap\n{{ if false }}{{ deliberateTypo .Values.a }}{{ end }}\n",
    );
    let r = check_chart(&dir, &builtin());
    let theirs = peer_helm().map(|helm| check_chart(&dir, &with_helm(&helm)));
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(
        findings(&r),
        [("chart/template-syntax".to_owned(), Severity::Error, 2, 18)]
    );
    let d = r
        .files
        .iter()
        .flat_map(|(_, d)| d)
        .find(|d| d.is_error())
        .unwrap();
    assert_eq!(d.message, "function \"deliberateTypo\" not defined");
    if let Some(theirs) = theirs {
        assert_eq!(
            findings(&theirs),
            [("chart/render".to_owned(), Severity::Error, 2, 1)],
            "{:#?}",
            theirs.files
        );
    }
    // Sprig's and helm's functions are known.
    let dir = scratch_chart(
        "known-fn",
        "kind: ConfigMap\n{{ if false }}{{ tpl (toYaml .Values) . | b64enc | sha256sum | lookup }}{{ end }}\n",
    );
    let r = check_chart(&dir, &builtin());
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(r.errors(), 0, "{:#?}", r.files);
}

#[test]
fn a_subchart_helm_cannot_load_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("charts/sub")).unwrap();
    std::fs::write(
        dir.path().join("Chart.yaml"),
        "apiVersion: v2\nname: x\nversion: 0.1.0\ndependencies:\n  - name: sub\n    version: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("charts/sub/Chart.yaml"),
        "apiVersion: v2\nversion: 0.1.0\n",
    )
    .unwrap();
    let r = check_chart(dir.path(), &builtin());
    assert_eq!(
        findings(&r),
        [
            ("chart/subchart".to_owned(), Severity::Error, 1, 1),
            ("chart/templates".to_owned(), Severity::Warning, 1, 1),
            ("chart/not-fully-checked".to_owned(), Severity::Info, 1, 1),
        ],
        "{:#?}",
        r.files
    );
}
