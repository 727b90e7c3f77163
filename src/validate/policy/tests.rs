//! Unit tests.
use super::*;
use super::{backend_address::*, resources::*, secret_env::*};

/// The finding's message mentions `text`.
#[track_caller]
fn says(d: &Diagnostic, text: &str) {
    assert!(d.message.contains(text), "{:?} lacks {text:?}", d.message);
}
use crate::validate::yaml;

const ALL: &[&str] = &[
    "image-pull-never",
    "resources",
    "secret-env",
    "no-secret-objects",
    "service-selector",
    "selector-labels",
    "nodeport",
    "backend-address",
    "run-as-non-root",
    "probes",
];

fn docs(text: &str) -> Vec<Document> {
    let parsed = yaml::parse(text);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    parsed.documents
}

/// Run `selected` over one text (not under charts/).
fn run(text: &str, selected: &[&str]) -> Vec<Diagnostic> {
    let d = docs(text);
    let files = [Input {
        path: "x.yaml",
        documents: &d,
        under_charts: false,
    }];
    check(&files, selected, &PolicyConfig::default())
        .into_iter()
        .map(|(_, d)| d)
        .collect()
}

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../../tests/fixtures/policy/", $name))
    };
}

/// (code, line, column, pointer) of each finding.
fn brief(ds: &[Diagnostic]) -> Vec<(String, usize, usize, String)> {
    ds.iter()
        .map(|d| {
            (
                d.code.clone(),
                d.line,
                d.column,
                d.pointer.clone().unwrap_or_default(),
            )
        })
        .collect()
}

fn b(code: &str, line: usize, column: usize, pointer: &str) -> (String, usize, usize, String) {
    (code.to_owned(), line, column, pointer.to_owned())
}

#[test]
fn registry_is_consistent() {
    assert_eq!(POLICIES.len(), ALL.len());
    for (p, name) in POLICIES.iter().zip(ALL) {
        assert_eq!(p.name, *name);
        assert_eq!(p.code, format!("policy/{}", p.name));
        assert!(!p.hint.is_empty() && !p.description.is_empty());
        assert_eq!(find(p.name), Some(p));
    }
    assert_eq!(find("run-as-non-root").unwrap().severity, Severity::Warning);
    assert_eq!(find("probes").unwrap().severity, Severity::Warning);
    assert_eq!(find("nodeport").unwrap().severity, Severity::Error);
    assert!(find("dockerfile-non-root").is_none());
    // Unknown names are ignored by `check`.
    assert!(run("kind: Deployment\n", &["dockerfile-non-root"]).is_empty());
}

#[test]
fn good_fixture_passes_every_policy() {
    let text = fixture!("good/todo-app.yaml");
    let d = run(text, ALL);
    assert!(d.is_empty(), "{d:#?}");
}

#[test]
fn good_fixture_passes_the_strict_schemas() {
    let schemas = crate::validate::schema::Schemas::load("1.33").unwrap();
    for doc in docs(fixture!("good/todo-app.yaml")) {
        assert_eq!(schemas.validate(&doc), vec![], "document {}", doc.index);
    }
}

#[test]
fn good_fixture_split_over_files() {
    // The same resources in two files: cross-resource checks look across.
    let text = fixture!("good/todo-app.yaml");
    let all = docs(text);
    let (services, rest): (Vec<Document>, Vec<Document>) = all
        .into_iter()
        .partition(|d| d.root.get_str("kind") == Some("Service"));
    let files = [
        Input {
            path: "svc.yaml",
            documents: &services,
            under_charts: true,
        },
        Input {
            path: "rest.yaml",
            documents: &rest,
            under_charts: true,
        },
    ];
    assert!(check(&files, ALL, &PolicyConfig::default()).is_empty());
}

#[test]
fn image_pull_never_missing_and_wrong() {
    let text = fixture!("bad/image-pull.yaml");
    let d = run(text, &["image-pull-never"]);
    assert_eq!(
        brief(&d),
        vec![
            b(
                "policy/image-pull-never",
                16,
                11,
                "/spec/template/spec/initContainers/0"
            ),
            b(
                "policy/image-pull-never",
                22,
                28,
                "/spec/template/spec/containers/0/imagePullPolicy"
            ),
            b("policy/image-pull-never", 30, 5, "/spec/containers/0"),
        ]
    );
    says(&d[0], "initContainer `migrate`");
    says(&d[1], "`imagePullPolicy: Always`");
    assert_eq!(d[2].document, Some(1));
    assert!(d.iter().all(|d| d.is_error() && d.hint.is_some()));
}

#[test]
fn image_pull_never_in_cronjob() {
    let text = "\
apiVersion: batch/v1
kind: CronJob
metadata: {name: c}
spec:
  schedule: '* * * * *'
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: c
              image: x
              imagePullPolicy: IfNotPresent
";
    let d = run(text, &["image-pull-never"]);
    assert_eq!(
        brief(&d),
        vec![b(
            "policy/image-pull-never",
            13,
            32,
            "/spec/jobTemplate/spec/template/spec/containers/0/imagePullPolicy"
        )]
    );
}

#[test]
fn quantities() {
    let cases: &[(&str, f64)] = &[
        ("100m", 0.1),
        ("0.5", 0.5),
        ("1", 1.0),
        ("128Mi", 128.0 * 1024.0 * 1024.0),
        ("1Gi", 1024f64.powi(3)),
        ("2Ti", 2.0 * 1024f64.powi(4)),
        ("4Ki", 4096.0),
        ("1k", 1000.0),
        ("5M", 5e6),
        ("3G", 3e9),
        ("1e3", 1000.0),
        ("2E-3", 0.002),
        ("1.5e+2", 150.0),
        ("1E", 1e18),
        (".5", 0.5),
        ("+2", 2.0),
        ("250u", 250e-6),
    ];
    for (text, want) in cases {
        let got = parse_quantity(text).unwrap_or_else(|| panic!("{text}"));
        assert!(
            (got - want).abs() <= want.abs() * 1e-12,
            "{text}: {got} != {want}"
        );
    }
    for bad in [
        "", "m", "Mi", "1.5.5", "100mi", "1MB", "abc", "1e", "1 Gi", "1x", "e3", "1Gib",
    ] {
        assert_eq!(parse_quantity(bad), None, "{bad:?}");
    }
}

#[test]
fn resources_missing_invalid_and_inverted() {
    let text = fixture!("bad/resources.yaml");
    let d = run(text, &["resources"]);
    assert_eq!(
        brief(&d),
        vec![
            // container `none`: no resources at all
            b(
                "policy/resources",
                9,
                11,
                "/spec/template/spec/containers/0"
            ),
            // container `partial`: no limits, no requests.memory
            b(
                "policy/resources",
                13,
                11,
                "/spec/template/spec/containers/1/resources"
            ),
            b(
                "policy/resources",
                14,
                13,
                "/spec/template/spec/containers/1/resources/requests"
            ),
            // container `bad`: invalid cpu, requests.memory > limits.memory
            b(
                "policy/resources",
                20,
                20,
                "/spec/template/spec/containers/2/resources/requests/cpu"
            ),
            b(
                "policy/resources",
                21,
                23,
                "/spec/template/spec/containers/2/resources/requests/memory"
            ),
        ]
    );
    says(&d[1], "no `resources.limits`");
    says(&d[2], "`resources.requests.memory`");
    says(&d[3], "`100 millicores`");
    says(
        &d[4],
        "`requests.memory` 1Gi is larger than `limits.memory` 512Mi",
    );
}

#[test]
fn resources_numbers_and_equal_values() {
    let text = "\
kind: Pod
spec:
  containers:
    - name: a
      resources:
        requests: {cpu: 1, memory: 1e9}
        limits: {cpu: 1000m, memory: 1G}
    - name: b
      resources:
        requests: {cpu: '1.5', memory: 64Mi}
        limits: {cpu: 1, memory: 64Mi}
";
    let d = run(text, &["resources"]);
    assert_eq!(
        brief(&d),
        vec![b(
            "policy/resources",
            10,
            25,
            "/spec/containers/1/resources/requests/cpu"
        )]
    );
    says(&d[0], "1.5 is larger than `limits.cpu` 1");
}

#[test]
fn secret_names() {
    for yes in [
        "DATABASE_URL",
        "database_url",
        "OPENAI_API_KEY",
        "BETTER_AUTH_SECRET",
        "DB_PASSWORD",
        "GITHUB_TOKEN",
        "access_token_ttl",
        "SECRET_KEY",
        "API_KEY",
    ] {
        assert!(is_secret_name(yes), "{yes}");
    }
    for no in [
        "NEXT_PUBLIC_API_URL",
        "PORT",
        "LOG_LEVEL",
        "TOKENIZERS_PARALLELISM",
        "SECRETARY",
        "API_KEYS_PATH",
    ] {
        assert!(!is_secret_name(no), "{no}");
    }
}

#[test]
fn secret_env_literal_configmap_and_other_sources() {
    let text = fixture!("bad/secret-env.yaml");
    let d = run(text, &["secret-env"]);
    assert_eq!(
        brief(&d),
        vec![
            b(
                "policy/secret-env",
                19,
                22,
                "/spec/template/spec/containers/0/env/1/value"
            ),
            b(
                "policy/secret-env",
                22,
                17,
                "/spec/template/spec/containers/0/env/2/valueFrom/configMapKeyRef"
            ),
            b(
                "policy/secret-env",
                26,
                15,
                "/spec/template/spec/containers/0/env/3/valueFrom"
            ),
            b(
                "policy/secret-env",
                29,
                15,
                "/spec/template/spec/containers/0/env/4"
            ),
            b("policy/secret-env", 38, 3, "/data/BETTER_AUTH_SECRET"),
        ]
    );
    says(&d[0], "`OPENAI_API_KEY` is set from a literal `value`");
    assert!(
        !d[0].message.contains("sk-"),
        "the secret value is never echoed"
    );
    says(&d[1], "ConfigMap");
    says(&d[2], "valueFrom.fieldRef");
    assert_eq!(d[4].document, Some(1));
}

#[test]
fn no_secret_objects_only_under_charts() {
    let text = fixture!("bad/secret-object.yaml");
    let d = docs(text);
    let cfg = PolicyConfig::default();
    let outside = [Input {
        path: "k8s/secret.yaml",
        documents: &d,
        under_charts: false,
    }];
    assert!(check(&outside, &["no-secret-objects"], &cfg).is_empty());
    let inside = [Input {
        path: "charts/todo-app/templates/secret.yaml",
        documents: &d,
        under_charts: true,
    }];
    let found: Vec<Diagnostic> = check(&inside, &["no-secret-objects"], &cfg)
        .into_iter()
        .map(|(_, d)| d)
        .collect();
    assert_eq!(
        brief(&found),
        vec![
            b("policy/no-secret-objects", 6, 1, "/data"),
            b("policy/no-secret-objects", 8, 1, "/stringData")
        ]
    );
    assert!(found[0].message.contains("Secret `todo-backend-secret`"));
    // A Secret without data (e.g. a placeholder with only metadata) is fine.
    let empty = docs("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: Opaque\ndata: {}\n");
    let files = [Input {
        path: "charts/x.yaml",
        documents: &empty,
        under_charts: true,
    }];
    assert!(check(&files, &["no-secret-objects"], &cfg).is_empty());
}

#[test]
fn service_selector_mismatch_and_target_ports() {
    let text = fixture!("bad/service-selector.yaml");
    let d = run(text, &["service-selector"]);
    assert_eq!(
        brief(&d),
        vec![
            // Service `todo-backend` selects app=backend: nobody has it.
            b("policy/service-selector", 27, 3, "/spec/selector"),
            // Service `todo-backend-2`: targetPort 8080 and the named port `web`.
            b(
                "policy/service-selector",
                44,
                19,
                "/spec/ports/0/targetPort"
            ),
            b(
                "policy/service-selector",
                46,
                19,
                "/spec/ports/1/targetPort"
            ),
            // Service `todo-backend-3`: no targetPort, port 80 is used.
            b("policy/service-selector", 56, 13, "/spec/ports/0/port"),
        ]
    );
    says(&d[0], "`app=backend`");
    says(&d[0], "Deployment `todo-backend` has app=todo-backend");
    says(&d[1], "declared: 8000 (http)");
    says(&d[2], "no container port is named `web`");
    says(&d[3], "defaults to `port`");
    assert!(d.iter().all(Diagnostic::is_error));
}

#[test]
fn service_selector_without_workloads_warns() {
    let text = "\
apiVersion: v1
kind: Service
metadata: {name: todo-backend}
spec:
  selector:
    app: todo-backend
  ports: [{port: 8000, targetPort: 8000}]
";
    let d = run(text, &["service-selector"]);
    assert_eq!(
        brief(&d),
        vec![b("policy/service-selector", 5, 3, "/spec/selector")]
    );
    assert_eq!(d[0].severity, Severity::Warning);
    says(&d[0], "no Deployment or other workload");
    // No selector at all is an error, workloads or not.
    let d = run(
        "kind: Service\nmetadata: {name: s}\nspec:\n  ports: [{port: 80}]\n",
        &["service-selector"],
    );
    assert_eq!(brief(&d), vec![b("policy/service-selector", 3, 1, "/spec")]);
    assert!(d[0].is_error());
    // ExternalName Services select nothing by design.
    assert!(
        run(
            "kind: Service\nspec: {type: ExternalName, externalName: x.example.com}\n",
            &["service-selector"]
        )
        .is_empty()
    );
}

#[test]
fn service_selector_respects_namespaces() {
    let text = "\
kind: Deployment
metadata: {name: d, namespace: a}
spec:
  selector: {matchLabels: {app: x}}
  template:
    metadata: {labels: {app: x}}
    spec: {containers: [{name: c, ports: [{containerPort: 80}]}]}
---
kind: Service
metadata: {name: s, namespace: b}
spec: {selector: {app: x}, ports: [{port: 80}]}
";
    let d = run(text, &["service-selector"]);
    assert_eq!(
        brief(&d),
        vec![b("policy/service-selector", 11, 8, "/spec/selector")]
    );
    assert_eq!(d[0].document, Some(1));
}

#[test]
fn selector_labels_subset() {
    let text = fixture!("bad/selector-labels.yaml");
    let d = run(text, &["selector-labels"]);
    assert_eq!(
        brief(&d),
        vec![
            b(
                "policy/selector-labels",
                9,
                7,
                "/spec/selector/matchLabels/tier"
            ),
            b(
                "policy/selector-labels",
                10,
                7,
                "/spec/selector/matchLabels/app"
            ),
            b("policy/selector-labels", 28, 5, "/spec/template/metadata"),
        ]
    );
    says(&d[0], "no `tier` label");
    says(&d[1], "the pod template has `app: todo-frontend`");
    says(&d[2], "no labels");
}

#[test]
fn nodeport_range_value_and_missing() {
    let text = fixture!("bad/nodeport.yaml");
    let d = run(text, &["nodeport"]);
    assert_eq!(
        brief(&d),
        vec![
            b("policy/nodeport", 11, 17, "/spec/ports/0/nodePort"),
            b("policy/nodeport", 23, 17, "/spec/ports/0/nodePort"),
            b("policy/nodeport", 33, 7, "/spec/ports/0"),
            b("policy/nodeport", 43, 17, "/spec/ports/0/nodePort"),
        ]
    );
    says(&d[0], "nodePort 30081 is not the project's NodePort 30080");
    says(&d[1], "outside the NodePort range");
    says(&d[2], "random");
    says(&d[3], "type ClusterIP");
    // The configured port is honoured.
    let docs = docs(text);
    let files = [Input {
        path: "x",
        documents: &docs[..1],
        under_charts: false,
    }];
    let cfg = PolicyConfig {
        nodeport: 30081,
        ..PolicyConfig::default()
    };
    assert!(check(&files, &["nodeport"], &cfg).is_empty());
}

#[test]
fn backend_address_variants() {
    let text = fixture!("bad/backend-address.yaml");
    let d = run(text, &["backend-address"]);
    assert_eq!(
        brief(&d),
        vec![
            b("policy/backend-address", 7, 24, "/data/NEXT_PUBLIC_API_URL"),
            b("policy/backend-address", 8, 16, "/data/BACKEND_URL"),
            b("policy/backend-address", 9, 12, "/data/API_URL"),
            b("policy/backend-address", 10, 21, "/data/INTERNAL_API_URL"),
            b("policy/backend-address", 11, 14, "/data/SOMETHING"),
            b(
                "policy/backend-address",
                26,
                22,
                "/spec/template/spec/containers/0/env/0/value"
            ),
        ]
    );
    assert!(
        d[0].message.contains("localhost") || d[0].message.contains("own Pod"),
        "{}",
        d[0].message
    );
    says(&d[1], "IP address `10.96.12.4`");
    says(&d[2], "default port 80");
    says(&d[3], "not the backend Service");
    says(&d[4], "port 8080");
    says(&d[5], "not a URL");
    says(&d[5], "container `todo-frontend`");
}

#[test]
fn backend_address_accepts_service_names() {
    let text = "\
kind: ConfigMap
data:
  NEXT_PUBLIC_API_URL: http://todo-backend:8000
  API_URL: http://todo-backend.default.svc.cluster.local:8000/api
  BACKEND_URL: http://todo-backend.default:8000
  OPENAI_API_URL: https://api.openai.com/v1
  DATABASE_URL: postgresql://user@db.neon.tech/todo
  HOMEPAGE: http://example.com
  EMPTY_API_URL: ''
";
    assert!(run(text, &["backend-address"]).is_empty());
    let cfg = PolicyConfig {
        nodeport: 30080,
        backend_address: "api:9000".into(),
    };
    let d = docs("kind: ConfigMap\ndata:\n  NEXT_PUBLIC_API_URL: http://api:9000\n");
    let files = [Input {
        path: "x",
        documents: &d,
        under_charts: false,
    }];
    assert!(check(&files, &["backend-address"], &cfg).is_empty());
    let d = docs("kind: ConfigMap\ndata:\n  NEXT_PUBLIC_API_URL: http://todo-backend:8000\n");
    let files = [Input {
        path: "x",
        documents: &d,
        under_charts: false,
    }];
    let found = check(&files, &["backend-address"], &cfg);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].1.message.contains("not the backend Service `api`"),
        "{}",
        found[0].1.message
    );
}

#[test]
fn url_parts() {
    assert_eq!(
        parse_url("http://todo-backend:8000/x"),
        Some(("http", "todo-backend", Some("8000")))
    );
    assert_eq!(
        parse_url("https://u:p@host/x?y"),
        Some(("https", "host", None))
    );
    assert_eq!(
        parse_url("http://[::1]:3000"),
        Some(("http", "::1", Some("3000")))
    );
    assert_eq!(parse_url("todo-backend:8000"), None);
    assert_eq!(parse_url("http://"), None);
    assert_eq!(parse_url("http://todo-backend:8000 # comment"), None);
    assert!(
        is_loopback("127.0.0.1")
            && is_loopback("::1")
            && is_loopback("LOCALHOST")
            && is_loopback("0.0.0.0")
    );
    assert!(!is_loopback("todo-backend"));
    assert!(is_service_host("todo-backend.ns.svc", "todo-backend"));
    assert!(!is_service_host("todo-backend.example.com", "todo-backend"));
    assert!(!is_service_host("todo-backend2", "todo-backend"));
}

#[test]
fn run_as_non_root_and_probes_warn() {
    let text = fixture!("bad/hardening.yaml");
    let d = run(text, &["run-as-non-root", "probes"]);
    assert_eq!(
        brief(&d),
        vec![
            b(
                "policy/run-as-non-root",
                9,
                11,
                "/spec/template/spec/containers/0"
            ),
            b("policy/probes", 9, 11, "/spec/template/spec/containers/0"),
            b("policy/probes", 11, 11, "/spec/template/spec/containers/1"),
            b(
                "policy/run-as-non-root",
                14,
                27,
                "/spec/template/spec/containers/1/securityContext/runAsNonRoot"
            ),
            // pod-level `false`, reported once for both containers
            b(
                "policy/run-as-non-root",
                26,
                23,
                "/spec/template/spec/securityContext/runAsNonRoot"
            ),
        ]
    );
    assert!(d.iter().all(|d| d.severity == Severity::Warning));
    let probes: Vec<&Diagnostic> = d.iter().filter(|d| d.code == "policy/probes").collect();
    assert!(
        probes[0]
            .message
            .contains("`livenessProbe` and `readinessProbe`"),
        "{}",
        probes[0].message
    );
    assert!(
        probes[1].message.contains("no `livenessProbe`")
            && !probes[1].message.contains("readiness"),
        "{}",
        probes[1].message
    );
}

#[test]
fn probes_not_required_for_jobs_and_init_containers() {
    let text = "\
kind: Job
spec:
  template:
    spec:
      securityContext: {runAsNonRoot: true}
      containers: [{name: j, image: x}]
---
kind: Pod
spec:
  securityContext: {runAsNonRoot: true}
  initContainers: [{name: i, image: x}]
  containers:
    - name: c
      image: x
      livenessProbe: {tcpSocket: {port: 80}}
      readinessProbe: {tcpSocket: {port: 80}}
";
    assert!(run(text, &["probes", "run-as-non-root"]).is_empty());
}

#[test]
fn findings_map_to_their_files() {
    let a = docs(fixture!("bad/image-pull.yaml"));
    let b_ = docs(fixture!("good/todo-app.yaml"));
    let files = [
        Input {
            path: "good.yaml",
            documents: &b_,
            under_charts: false,
        },
        Input {
            path: "bad.yaml",
            documents: &a,
            under_charts: false,
        },
    ];
    let found = check(&files, &["image-pull-never"], &PolicyConfig::default());
    assert_eq!(found.len(), 3);
    assert!(found.iter().all(|(i, _)| *i == 1));
}
