//! The project's policies: the seed's decisions (Minikube images, resources,
//! secrets through `secretKeyRef`, the NodePort, the backend's in-cluster
//! address, ...) as checks over parsed Kubernetes documents.
//!
//! Pure and synchronous. [`check`] runs the selected policies over a *set* of
//! files, because some of them look across resources (a Service's selector
//! must match a workload defined in another file). Every finding carries the
//! policy's code (`policy/<name>`), its severity and hint, the index of its
//! YAML document and a JSON pointer; its position is the offending node, or
//! the node that should have contained a missing field.
//!
//! Policy names that are not in [`POLICIES`] (e.g. the Dockerfile policies
//! `dockerfile-non-root`, checked by `dockerfile.rs`) are ignored by
//! [`check`]; callers that want to reject unknown names use [`find`].
//!
//! Heuristics, documented here because they decide what is flagged:
//! - *secret-like* env var names: the one test in `validate::secrets`
//!   (`DATABASE_URL`, `*_API_KEY`, `*SECRET`, `*SECRET_KEY*`, or containing
//!   `PASSWORD` or `TOKEN` (not `TOKENIZER`, as in `TOKENIZERS_PARALLELISM`), …),
//!   case-insensitive;
//! - a value *points at the backend* when its variable/key name mentions a URL
//!   of an API or backend (`NEXT_PUBLIC_API_URL`, `API_URL`, `BACKEND_URL`,
//!   `BACKEND_HOST`, ...) and its host is not a public domain name, or when its
//!   host is the backend's Service name whatever the variable is called. The
//!   backend's namespaced DNS names (`todo-backend.NS`, `todo-backend.NS.svc`,
//!   `todo-backend.NS.svc.cluster.local`) are accepted as its Service name.

use super::diagnostic::{Diagnostic, Pos, Severity, pointer_token};
use super::yaml::{Document, Node, Value};

/// Project settings the policies compare against (`[policies]` in dockhand.toml).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyConfig {
    /// The one NodePort the frontend is exposed on.
    pub nodeport: u16,
    /// `host:port` of the backend's Service, as the frontend must address it.
    pub backend_address: String,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            nodeport: 30080,
            backend_address: "todo-backend:8000".to_owned(),
        }
    }
}

/// One policy: its name (prompt front matter, dockhand.toml), stable code,
/// severity, fix hint and a one-line description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub name: &'static str,
    pub code: &'static str,
    pub severity: Severity,
    pub hint: &'static str,
    pub description: &'static str,
}

/// Every policy, in the order they are documented.
pub const POLICIES: &[Policy] = &[
    Policy {
        name: "image-pull-never",
        code: "policy/image-pull-never",
        severity: Severity::Error,
        hint: "set `imagePullPolicy: Never` on every container: Minikube runs the images built locally (`eval $(minikube docker-env)`), there is no registry to pull from",
        description: "every container and initContainer sets `imagePullPolicy: Never`",
    },
    Policy {
        name: "resources",
        code: "policy/resources",
        severity: Severity::Error,
        hint: "give every container `resources.requests` and `resources.limits` for both `cpu` and `memory` (e.g. requests 100m/128Mi, limits 500m/512Mi), with requests no larger than limits",
        description: "cpu and memory requests and limits on every container, requests <= limits",
    },
    Policy {
        name: "secret-env",
        code: "policy/secret-env",
        severity: Severity::Error,
        hint: "read secrets with `valueFrom.secretKeyRef` (name: todo-backend-secret, key: the variable's name); the Secret is created with `kubectl create secret generic` and never committed",
        description: "secret-like env vars (DATABASE_URL, *_API_KEY, *_SECRET, *PASSWORD*, *TOKEN*) come only from secretKeyRef",
    },
    Policy {
        name: "no-secret-objects",
        code: "policy/no-secret-objects",
        severity: Severity::Error,
        hint: "remove the Secret from the chart; create it imperatively (`kubectl create secret generic todo-backend-secret --from-literal=...`) and reference it with secretKeyRef",
        description: "no Secret carrying data or stringData under charts/",
    },
    Policy {
        name: "service-selector",
        code: "policy/service-selector",
        severity: Severity::Error,
        hint: "make the Service's `spec.selector` equal to labels of the Deployment's pod template, and its `targetPort` a `containerPort` (or port name) of that pod",
        description: "a Service selects some workload's pods and targets one of their container ports",
    },
    Policy {
        name: "selector-labels",
        code: "policy/selector-labels",
        severity: Severity::Error,
        hint: "every `spec.selector.matchLabels` entry must also be in `spec.template.metadata.labels` with the same value",
        description: "a workload's selector.matchLabels is a subset of its pod template's labels",
    },
    Policy {
        name: "nodeport",
        code: "policy/nodeport",
        severity: Severity::Error,
        hint: "expose the frontend with `type: NodePort` and the project's fixed `nodePort` (dockhand.toml [policies] nodeport, 30080 by default; the range is 30000-32767)",
        description: "NodePorts lie in 30000-32767 and equal the configured one",
    },
    Policy {
        name: "backend-address",
        code: "policy/backend-address",
        severity: Severity::Error,
        hint: "address the backend by its Service name and port, e.g. `http://todo-backend:8000` (dockhand.toml [policies] backend_address): Pod IPs change and localhost is the frontend's own Pod",
        description: "URLs pointing at the backend use its in-cluster Service name and port",
    },
    Policy {
        name: "run-as-non-root",
        code: "policy/run-as-non-root",
        severity: Severity::Warning,
        hint: "set `securityContext.runAsNonRoot: true` on the pod (and build the image with a non-root USER)",
        description: "securityContext.runAsNonRoot is true for every container (pod or container level)",
    },
    Policy {
        name: "probes",
        code: "policy/probes",
        severity: Severity::Warning,
        hint: "add `livenessProbe` and `readinessProbe` (e.g. httpGet on /health for the backend, / for the frontend)",
        description: "liveness and readiness probes on every long-running container",
    },
];

/// The policy called `name`, if there is one.
pub fn find(name: &str) -> Option<&'static Policy> {
    POLICIES.iter().find(|p| p.name == name)
}

/// One file of the set being checked.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// Identifies the file for the caller; the checks do not use it.
    pub path: &'a str,
    pub documents: &'a [Document],
    /// Whether the file lives under `charts/` (for `no-secret-objects`).
    pub under_charts: bool,
}

/// Check the selected policies over a set of files (cross-resource checks
/// look across the whole set). Returns (index into `files`, diagnostic),
/// ordered by file, document and position. Unknown names are ignored.
pub fn check(
    files: &[Input<'_>],
    selected: &[&str],
    cfg: &PolicyConfig,
) -> Vec<(usize, Diagnostic)> {
    let want = |name: &str| selected.contains(&name);
    let mut cx = Cx {
        out: Vec::new(),
        cfg,
    };
    for (fi, f) in files.iter().enumerate() {
        for doc in f.documents {
            let root = &doc.root;
            let at = At {
                file: fi,
                doc: doc.index,
            };
            let kind = root.get_str("kind").unwrap_or("");
            if let Some(w) = workload(root) {
                for c in &w.containers {
                    if want("image-pull-never") {
                        cx.image_pull_never(at, c);
                    }
                    if want("resources") {
                        cx.resources(at, c);
                    }
                    if want("secret-env") {
                        cx.secret_env(at, c);
                    }
                    if want("backend-address") {
                        cx.backend_address_env(at, c);
                    }
                }
                if want("run-as-non-root") {
                    cx.run_as_non_root(at, &w);
                }
                if want("probes") && !matches!(w.kind, "Job" | "CronJob") {
                    for c in w.containers.iter().filter(|c| !c.init) {
                        cx.probes(at, c);
                    }
                }
                if want("selector-labels") {
                    cx.selector_labels(at, root, kind);
                }
            }
            match kind {
                "ConfigMap" => {
                    if want("secret-env") {
                        cx.secret_configmap(at, root);
                    }
                    if want("backend-address") {
                        cx.backend_address_configmap(at, root);
                    }
                }
                "Secret" if want("no-secret-objects") && f.under_charts => {
                    cx.secret_object(at, root)
                }
                "Service" if want("nodeport") => cx.nodeport(at, root),
                _ => {}
            }
        }
    }
    if want("service-selector") {
        cx.service_selector(files);
    }
    let mut out = cx.out;
    out.sort_by_key(|(f, d)| (*f, d.document, d.line, d.column));
    out
}

/// Where a finding belongs: file index and document index.
#[derive(Clone, Copy)]
struct At {
    file: usize,
    doc: usize,
}

struct Cx<'c> {
    out: Vec<(usize, Diagnostic)>,
    cfg: &'c PolicyConfig,
}

impl Cx<'_> {
    fn emit(
        &mut self,
        at: At,
        name: &str,
        severity: Option<Severity>,
        pos: Pos,
        pointer: String,
        message: String,
    ) {
        let p = find(name).expect("known policy");
        let d = Diagnostic::new(p.code, severity.unwrap_or(p.severity), pos, message)
            .with_hint(p.hint)
            .with_pointer(pointer)
            .with_document(at.doc);
        self.out.push((at.file, d));
    }
}

/// A container of a workload, with its JSON pointer.
struct Container<'a> {
    node: &'a Node,
    pointer: String,
    init: bool,
}

impl Container<'_> {
    fn name(&self) -> &str {
        self.node.get_str("name").unwrap_or("?")
    }

    fn what(&self) -> String {
        format!(
            "{} `{}`",
            if self.init {
                "initContainer"
            } else {
                "container"
            },
            self.name()
        )
    }
}

/// A resource that runs pods.
struct Workload<'a> {
    kind: &'a str,
    name: &'a str,
    namespace: Option<&'a str>,
    pod_spec: &'a Node,
    pod_spec_pointer: String,
    /// The pod template's labels (a Pod's own labels).
    labels: Option<&'a Node>,
    containers: Vec<Container<'a>>,
}

fn workload(root: &Node) -> Option<Workload<'_>> {
    let kind = root.get_str("kind")?;
    let (spec_ptr, meta_ptr) = match kind {
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
            ("/spec/template/spec", "/spec/template/metadata")
        }
        "CronJob" => (
            "/spec/jobTemplate/spec/template/spec",
            "/spec/jobTemplate/spec/template/metadata",
        ),
        "Pod" => ("/spec", "/metadata"),
        _ => return None,
    };
    let pod_spec = root.lookup(spec_ptr).filter(|n| n.as_map().is_some())?;
    let mut containers = Vec::new();
    for (field, init) in [("initContainers", true), ("containers", false)] {
        if let Some(items) = pod_spec.get(field).and_then(Node::as_seq) {
            for (i, node) in items.iter().enumerate() {
                if node.as_map().is_some() {
                    containers.push(Container {
                        node,
                        pointer: format!("{spec_ptr}/{field}/{i}"),
                        init,
                    });
                }
            }
        }
    }
    Some(Workload {
        kind,
        name: root
            .lookup("/metadata/name")
            .and_then(Node::as_str)
            .unwrap_or("?"),
        namespace: root.lookup("/metadata/namespace").and_then(Node::as_str),
        pod_spec,
        pod_spec_pointer: spec_ptr.to_owned(),
        labels: root
            .lookup(&format!("{meta_ptr}/labels"))
            .filter(|n| n.as_map().is_some()),
        containers,
    })
}

/// Where to point for a mapping entry: its value when that is a scalar, else
/// its key (a block collection starts on the next line, at its first entry;
/// an empty value's position is wherever the next token starts).
fn value_pos(key: &Node, value: &Node) -> Pos {
    match value.value {
        Value::Null | Value::Map(_) | Value::Seq(_) => key.pos,
        _ => value.pos,
    }
}

/// A scalar as written (for messages).
fn show(node: &Node) -> String {
    match &node.value {
        Value::Str(s) => s.clone(),
        Value::Seq(_) | Value::Map(_) => node.to_json().to_string(),
        _ => node.key_string(),
    }
}

// ---------------------------------------------------------------- image-pull-never

impl Cx<'_> {
    fn image_pull_never(&mut self, at: At, c: &Container<'_>) {
        const NAME: &str = "image-pull-never";
        match c.node.entry("imagePullPolicy") {
            None => self.emit(
                at,
                NAME,
                None,
                c.node.pos,
                c.pointer.clone(),
                format!(
                    "{} does not set `imagePullPolicy` (Kubernetes then pulls `:latest` images from a registry); expected `Never`",
                    c.what()
                ),
            ),
            Some((k, v)) if v.as_str() != Some("Never") => self.emit(
                at,
                NAME,
                None,
                value_pos(k, v),
                format!("{}/imagePullPolicy", c.pointer),
                format!("{} has `imagePullPolicy: {}`; expected `Never`", c.what(), show(v)),
            ),
            Some(_) => {}
        }
    }
}

// ---------------------------------------------------------------- resources

/// Parse a Kubernetes quantity (`100m`, `128Mi`, `1.5`, `1e3`, `2G`, `0.5Ki`)
/// to its value in base units. `None` if it is not a valid quantity.
pub fn parse_quantity(text: &str) -> Option<f64> {
    let s = text.trim();
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let mut saw_digit = false;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
        saw_digit = true;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
            saw_digit = true;
        }
    }
    if !saw_digit {
        return None;
    }
    let number: f64 = s[..i].parse().ok()?;
    let suffix = &s[i..];
    let factor = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        _ => {
            // Decimal exponent: e3, E-2, e+6.
            let exp = suffix.strip_prefix(['e', 'E'])?;
            let body = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            if body.is_empty() || !body.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            10f64.powi(exp.parse::<i32>().ok()?)
        }
    };
    Some(number * factor)
}

/// A resource quantity node's value: numbers as-is, strings parsed.
fn quantity_of(node: &Node) -> Option<f64> {
    match &node.value {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) if f.is_finite() => Some(*f),
        Value::Str(s) => parse_quantity(s),
        _ => None,
    }
}

impl Cx<'_> {
    fn resources(&mut self, at: At, c: &Container<'_>) {
        const NAME: &str = "resources";
        let Some((rk, res)) = c
            .node
            .entry("resources")
            .filter(|(_, v)| v.as_map().is_some())
        else {
            self.emit(
                at,
                NAME,
                None,
                c.node.pos,
                c.pointer.clone(),
                format!(
                    "{} sets no `resources` (requests and limits for cpu and memory)",
                    c.what()
                ),
            );
            return;
        };
        let res_ptr = format!("{}/resources", c.pointer);
        let mut parsed: [[Option<(f64, &Node)>; 2]; 2] = [[None; 2]; 2];
        for (si, section) in ["requests", "limits"].into_iter().enumerate() {
            let Some((sk, sec)) = res.entry(section).filter(|(_, v)| v.as_map().is_some()) else {
                self.emit(
                    at,
                    NAME,
                    None,
                    value_pos(rk, res),
                    res_ptr.clone(),
                    format!("{} has no `resources.{section}` (cpu and memory)", c.what()),
                );
                continue;
            };
            let sec_ptr = format!("{res_ptr}/{section}");
            for (ri, resource) in ["cpu", "memory"].into_iter().enumerate() {
                match sec.entry(resource) {
                    None => self.emit(
                        at,
                        NAME,
                        None,
                        value_pos(sk, sec),
                        sec_ptr.clone(),
                        format!("{} has no `resources.{section}.{resource}`", c.what()),
                    ),
                    Some((k, v)) => match quantity_of(v) {
                        Some(q) if q >= 0.0 => parsed[si][ri] = Some((q, v)),
                        _ => self.emit(
                            at,
                            NAME,
                            None,
                            value_pos(k, v),
                            format!("{sec_ptr}/{resource}"),
                            format!(
                                "{}: `resources.{section}.{resource}` is `{}`, not a valid quantity (e.g. {})",
                                c.what(),
                                show(v),
                                if resource == "cpu" { "100m or 0.5" } else { "128Mi or 1Gi" }
                            ),
                        ),
                    },
                }
            }
        }
        for (ri, resource) in ["cpu", "memory"].into_iter().enumerate() {
            if let (Some((req, rn)), Some((lim, ln))) = (parsed[0][ri], parsed[1][ri])
                && req > lim * (1.0 + 1e-9)
            {
                self.emit(
                    at,
                    NAME,
                    None,
                    rn.pos,
                    format!("{res_ptr}/requests/{resource}"),
                    format!(
                        "{}: `requests.{resource}` {} is larger than `limits.{resource}` {}",
                        c.what(),
                        show(rn),
                        show(ln)
                    ),
                );
            }
        }
    }
}

// ---------------------------------------------------------------- secret-env

/// Whether an env var (or ConfigMap key) name looks like it holds a secret:
/// the one secret-name test, [`crate::validate::secrets::is_secret_name`].
pub fn is_secret_name(name: &str) -> bool {
    crate::validate::secrets::is_secret_name(name)
}

impl Cx<'_> {
    fn secret_env(&mut self, at: At, c: &Container<'_>) {
        const NAME: &str = "secret-env";
        let Some(env) = c.node.get("env").and_then(Node::as_seq) else {
            return;
        };
        for (i, e) in env.iter().enumerate() {
            let Some(name) = e.get_str("name") else {
                continue;
            };
            if !is_secret_name(name) {
                continue;
            }
            let ptr = format!("{}/env/{i}", c.pointer);
            if let Some((k, v)) = e.entry("value") {
                // Never echo the value: it may be the secret itself.
                self.emit(
                    at,
                    NAME,
                    None,
                    value_pos(k, v),
                    format!("{ptr}/value"),
                    format!("{}: `{name}` is set from a literal `value`; a secret must come from `valueFrom.secretKeyRef`", c.what()),
                );
            } else if let Some((vk, vf)) = e.entry("valueFrom") {
                if vf.get("secretKeyRef").is_some() {
                    continue;
                }
                if let Some((k, v)) = vf.entry("configMapKeyRef") {
                    self.emit(
                        at,
                        NAME,
                        None,
                        value_pos(k, v),
                        format!("{ptr}/valueFrom/configMapKeyRef"),
                        format!("{}: `{name}` is read from a ConfigMap, which is not secret; use `secretKeyRef`", c.what()),
                    );
                } else {
                    let source = vf
                        .as_map()
                        .and_then(|m| m.first())
                        .map(|(k, _)| k.key_string())
                        .unwrap_or_default();
                    self.emit(
                        at,
                        NAME,
                        None,
                        value_pos(vk, vf),
                        format!("{ptr}/valueFrom"),
                        format!(
                            "{}: `{name}` comes from `valueFrom.{source}`, not from `secretKeyRef`",
                            c.what()
                        ),
                    );
                }
            } else {
                self.emit(
                    at,
                    NAME,
                    None,
                    e.pos,
                    ptr,
                    format!(
                        "{}: `{name}` has no value source; read it with `valueFrom.secretKeyRef`",
                        c.what()
                    ),
                );
            }
        }
    }

    /// A ConfigMap holding a secret-like key is a secret in plain sight.
    fn secret_configmap(&mut self, at: At, root: &Node) {
        let name = root
            .lookup("/metadata/name")
            .and_then(Node::as_str)
            .unwrap_or("?");
        for field in ["data", "binaryData"] {
            let Some(data) = root.get(field).and_then(Node::as_map) else {
                continue;
            };
            for (k, _) in data {
                let key = k.key_string();
                if is_secret_name(&key) {
                    self.emit(
                        at,
                        "secret-env",
                        None,
                        k.pos,
                        format!("/{field}/{}", pointer_token(&key)),
                        format!("ConfigMap `{name}` holds `{key}`, which looks like a secret; ConfigMaps are not secret"),
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------- no-secret-objects

impl Cx<'_> {
    fn secret_object(&mut self, at: At, root: &Node) {
        let name = root
            .lookup("/metadata/name")
            .and_then(Node::as_str)
            .unwrap_or("?");
        for field in ["data", "stringData"] {
            if let Some((k, v)) = root.entry(field)
                && !v.is_null()
                && v.as_map().is_none_or(|m| !m.is_empty())
            {
                self.emit(
                    at,
                    "no-secret-objects",
                    None,
                    k.pos,
                    format!("/{field}"),
                    format!("Secret `{name}` carries `{field}` in the chart; secrets are created imperatively and never committed"),
                );
            }
        }
    }
}

// ---------------------------------------------------------------- service-selector

fn labels_text(map: &Node) -> String {
    let parts: Vec<String> = map
        .as_map()
        .unwrap_or_default()
        .iter()
        .map(|(k, v)| format!("{}={}", k.key_string(), show(v)))
        .collect();
    if parts.is_empty() {
        "no labels".to_owned()
    } else {
        parts.join(",")
    }
}

/// Whether every entry of `selector` is in `labels` with the same value.
fn selects(selector: &Node, labels: Option<&Node>) -> bool {
    let Some(labels) = labels else {
        return false;
    };
    selector.as_map().unwrap_or_default().iter().all(|(k, v)| {
        labels
            .get(&k.key_string())
            .is_some_and(|l| l.key_string() == v.key_string())
    })
}

impl Cx<'_> {
    fn service_selector(&mut self, files: &[Input<'_>]) {
        const NAME: &str = "service-selector";
        let workloads: Vec<Workload<'_>> = files
            .iter()
            .flat_map(|f| f.documents.iter().filter_map(|d| workload(&d.root)))
            .collect();
        for (fi, f) in files.iter().enumerate() {
            for doc in f.documents {
                let root = &doc.root;
                if root.get_str("kind") != Some("Service") {
                    continue;
                }
                let at = At {
                    file: fi,
                    doc: doc.index,
                };
                let name = root
                    .lookup("/metadata/name")
                    .and_then(Node::as_str)
                    .unwrap_or("?");
                let namespace = root.lookup("/metadata/namespace").and_then(Node::as_str);
                let Some((spec_key, spec)) = root.entry("spec") else {
                    continue;
                };
                if spec.get_str("type") == Some("ExternalName") {
                    continue;
                }
                let selector = spec
                    .entry("selector")
                    .filter(|(_, v)| v.as_map().is_some_and(|m| !m.is_empty()));
                let Some((sel_key, selector)) = selector else {
                    self.emit(
                        at,
                        NAME,
                        None,
                        value_pos(spec_key, spec),
                        "/spec".to_owned(),
                        format!("Service `{name}` has no `spec.selector`, so it sends traffic to no pods"),
                    );
                    continue;
                };
                if workloads.is_empty() {
                    self.emit(
                        at,
                        NAME,
                        Some(Severity::Warning),
                        value_pos(sel_key, selector),
                        "/spec/selector".to_owned(),
                        format!(
                            "Service `{name}` selects `{}`, but the checked files contain no Deployment or other workload to match it against",
                            labels_text(selector)
                        ),
                    );
                    continue;
                }
                let matching: Vec<&Workload<'_>> = workloads
                    .iter()
                    .filter(|w| {
                        namespace.is_none() || w.namespace.is_none() || namespace == w.namespace
                    })
                    .filter(|w| selects(selector, w.labels))
                    .collect();
                if matching.is_empty() {
                    let found: Vec<String> = workloads
                        .iter()
                        .map(|w| {
                            format!(
                                "{} `{}` has {}",
                                w.kind,
                                w.name,
                                w.labels.map_or("no labels".to_owned(), labels_text)
                            )
                        })
                        .collect();
                    self.emit(
                        at,
                        NAME,
                        None,
                        value_pos(sel_key, selector),
                        "/spec/selector".to_owned(),
                        format!(
                            "Service `{name}` selects `{}`, but no workload's pod template has these labels ({})",
                            labels_text(selector),
                            found.join("; ")
                        ),
                    );
                    continue;
                }
                let ports: Vec<(&Node, &Workload<'_>)> = matching
                    .iter()
                    .flat_map(|w| {
                        w.containers
                            .iter()
                            .filter(|c| !c.init)
                            .flat_map(|c| {
                                c.node
                                    .get("ports")
                                    .and_then(Node::as_seq)
                                    .unwrap_or_default()
                            })
                            .map(move |p| (p, *w))
                    })
                    .collect();
                let Some(service_ports) = spec.get("ports").and_then(Node::as_seq) else {
                    continue;
                };
                for (i, sp) in service_ports.iter().enumerate() {
                    let (field, target) = match sp.entry("targetPort") {
                        Some((k, v)) if !v.is_null() => ("targetPort", Some((k, v))),
                        _ => ("port", sp.entry("port")),
                    };
                    let Some((tk, target)) = target else {
                        continue;
                    };
                    let ok = match &target.value {
                        Value::Int(n) => ports.iter().any(|(p, _)| {
                            p.get("containerPort").and_then(Node::as_i64) == Some(*n)
                        }),
                        Value::Str(s) => ports
                            .iter()
                            .any(|(p, _)| p.get_str("name") == Some(s.as_str())),
                        _ => true, // a type error, for the schema
                    };
                    if ok {
                        continue;
                    }
                    let declared: Vec<String> = ports
                        .iter()
                        .map(|(p, _)| match (p.get("containerPort"), p.get_str("name")) {
                            (Some(n), Some(pn)) => format!("{} ({pn})", show(n)),
                            (Some(n), None) => show(n),
                            _ => "?".to_owned(),
                        })
                        .collect();
                    let targets: Vec<String> = matching
                        .iter()
                        .map(|w| format!("{} `{}`", w.kind, w.name))
                        .collect();
                    let what = if matches!(target.value, Value::Str(_)) {
                        "no container port is named"
                    } else {
                        "no containerPort is"
                    };
                    let implicit = if field == "port" {
                        " (no targetPort: it defaults to `port`)"
                    } else {
                        ""
                    };
                    self.emit(
                        at,
                        NAME,
                        None,
                        value_pos(tk, target),
                        format!("/spec/ports/{i}/{field}"),
                        format!(
                            "Service `{name}` targets port `{}`{implicit}, but {what} `{}` in {} (declared: {})",
                            show(target),
                            show(target),
                            targets.join(", "),
                            if declared.is_empty() { "none".to_owned() } else { declared.join(", ") }
                        ),
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------- selector-labels

impl Cx<'_> {
    fn selector_labels(&mut self, at: At, root: &Node, kind: &str) {
        const NAME: &str = "selector-labels";
        if !matches!(
            kind,
            "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet"
        ) {
            return;
        }
        let Some(match_labels) = root
            .lookup("/spec/selector/matchLabels")
            .and_then(Node::as_map)
        else {
            return;
        };
        let labels = root
            .lookup("/spec/template/metadata/labels")
            .filter(|l| l.as_map().is_some());
        let name = root
            .lookup("/metadata/name")
            .and_then(Node::as_str)
            .unwrap_or("?");
        if labels.is_none() && !match_labels.is_empty() {
            let template = root.get("spec").and_then(|s| s.entry("template"));
            let (pos, ptr) = match template.and_then(|(_, t)| t.entry("metadata")) {
                Some((k, _)) => (k.pos, "/spec/template/metadata"),
                None => (template.map_or(root.pos, |(k, _)| k.pos), "/spec/template"),
            };
            self.emit(
                at,
                NAME,
                None,
                pos,
                ptr.to_owned(),
                format!("{kind} `{name}`: the pod template has no labels, so `spec.selector.matchLabels` matches none of its pods"),
            );
            return;
        }
        let Some(labels) = labels else {
            return;
        };
        for (k, v) in match_labels {
            let key = k.key_string();
            let found = labels.get(&key);
            if found.is_some_and(|l| l.key_string() == v.key_string()) {
                continue;
            }
            let why = match found {
                Some(l) => format!("the pod template has `{key}: {}`", show(l)),
                None => format!("the pod template has no `{key}` label"),
            };
            self.emit(
                at,
                NAME,
                None,
                k.pos,
                format!("/spec/selector/matchLabels/{}", pointer_token(&key)),
                format!("{kind} `{name}` selects `{key}: {}`, but {why}", show(v)),
            );
        }
    }
}

// ---------------------------------------------------------------- nodeport

impl Cx<'_> {
    fn nodeport(&mut self, at: At, root: &Node) {
        const NAME: &str = "nodeport";
        let wanted = i64::from(self.cfg.nodeport);
        let name = root
            .lookup("/metadata/name")
            .and_then(Node::as_str)
            .unwrap_or("?");
        let Some(spec) = root.get("spec") else {
            return;
        };
        let ty = spec.get_str("type").unwrap_or("ClusterIP");
        let exposes = matches!(ty, "NodePort" | "LoadBalancer");
        let ports = spec.get("ports").and_then(Node::as_seq).unwrap_or_default();
        for (i, p) in ports.iter().enumerate() {
            let ptr = format!("/spec/ports/{i}/nodePort");
            match p.entry("nodePort") {
                Some((k, v)) if !v.is_null() => {
                    let pos = value_pos(k, v);
                    let Some(n) = v.as_i64() else {
                        continue; // a type error, for the schema
                    };
                    if !exposes {
                        self.emit(
                            at,
                            NAME,
                            None,
                            pos,
                            ptr,
                            format!("Service `{name}` is of type {ty}, which takes no `nodePort` (the API server rejects it); use `type: NodePort`"),
                        );
                    } else if !(30000..=32767).contains(&n) {
                        self.emit(
                            at,
                            NAME,
                            None,
                            pos,
                            ptr,
                            format!("Service `{name}`: nodePort {n} is outside the NodePort range 30000-32767; the project uses {wanted}"),
                        );
                    } else if n != wanted {
                        self.emit(
                            at,
                            NAME,
                            None,
                            pos,
                            ptr,
                            format!("Service `{name}`: nodePort {n} is not the project's NodePort {wanted}"),
                        );
                    }
                }
                _ if ty == "NodePort" => self.emit(
                    at,
                    NAME,
                    None,
                    p.pos,
                    format!("/spec/ports/{i}"),
                    format!("Service `{name}` is a NodePort without a fixed `nodePort`, so Kubernetes picks a random one; the project uses {wanted}"),
                ),
                _ => {}
            }
        }
    }
}

// ---------------------------------------------------------------- backend-address

/// A URL's parts: scheme, host (brackets stripped for IPv6) and explicit port.
fn parse_url(text: &str) -> Option<(&str, &str, Option<&str>)> {
    let (scheme, rest) = text.trim().split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    if authority.contains(char::is_whitespace) {
        return None;
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return None;
    }
    Some((scheme, host, port))
}

fn is_ip(host: &str) -> bool {
    host.parse::<std::net::IpAddr>().is_ok()
}

fn is_loopback(host: &str) -> bool {
    let h = host.to_ascii_lowercase();
    h == "localhost"
        || h.ends_with(".localhost")
        || h == "0.0.0.0"
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Whether a variable/key name says it holds the backend's address.
fn is_backend_var(name: &str) -> bool {
    let u = name.to_ascii_uppercase();
    let addressy =
        u.contains("URL") || u.contains("HOST") || u.contains("ADDR") || u.contains("ENDPOINT");
    addressy && (u.contains("API") || u.contains("BACKEND")) && !is_secret_name(&u)
}

/// Whether `host` is the backend Service's name, short or namespaced.
fn is_service_host(host: &str, service: &str) -> bool {
    let h = host.to_ascii_lowercase();
    let s = service.to_ascii_lowercase();
    if h == s {
        return true;
    }
    let Some(rest) = h.strip_prefix(&format!("{s}.")) else {
        return false;
    };
    let labels: Vec<&str> = rest.split('.').collect();
    matches!(
        labels.as_slice(),
        [_ns] | [_ns, "svc"] | [_ns, "svc", "cluster", "local"]
    )
}

/// A public DNS name: dotted, not an IP, not in-cluster.
fn is_public_domain(host: &str) -> bool {
    let h = host.to_ascii_lowercase();
    h.contains('.')
        && !is_ip(&h)
        && !h.ends_with(".svc")
        && !h.ends_with(".local")
        && !h.ends_with(".localhost")
        && !h.ends_with(".internal")
}

impl Cx<'_> {
    /// What is wrong with `value` as the backend's address, if anything.
    fn backend_problem(&self, name: &str, value: &str) -> Option<String> {
        let expected = &self.cfg.backend_address;
        let (want_host, want_port) = expected
            .rsplit_once(':')
            .unwrap_or((expected.as_str(), "80"));
        let by_name = is_backend_var(name);
        let Some((scheme, host, port)) = parse_url(value) else {
            if !by_name || value.trim().is_empty() {
                return None;
            }
            return Some(format!(
                "`{name}` is `{value}`, not a URL; expected `http://{expected}`"
            ));
        };
        if !by_name && !is_service_host(host, want_host) {
            return None;
        }
        if by_name && !is_service_host(host, want_host) && is_public_domain(host) {
            return None; // an external API, not our backend
        }
        if is_loopback(host) {
            return Some(format!(
                "`{name}` points at `{host}`, which is the frontend's own Pod, not the backend; expected `{scheme}://{expected}`"
            ));
        }
        if is_ip(host) {
            return Some(format!(
                "`{name}` points at the IP address `{host}`; Pod and Service IPs change, use the Service name: `{scheme}://{expected}`"
            ));
        }
        if !is_service_host(host, want_host) {
            return Some(format!(
                "`{name}` points at `{host}`, not the backend Service `{want_host}`; expected `{scheme}://{expected}`"
            ));
        }
        let effective = match port {
            Some(p) => p.to_owned(),
            None => match scheme.to_ascii_lowercase().as_str() {
                "https" | "wss" => "443".to_owned(),
                _ => "80".to_owned(),
            },
        };
        if effective != want_port {
            let how = if port.is_none() {
                format!("the default port {effective}")
            } else {
                format!("port {effective}")
            };
            return Some(format!(
                "`{name}` reaches the backend on {how}, but its Service listens on {want_port}; expected `{scheme}://{expected}`"
            ));
        }
        None
    }

    fn backend_address_env(&mut self, at: At, c: &Container<'_>) {
        let Some(env) = c.node.get("env").and_then(Node::as_seq) else {
            return;
        };
        for (i, e) in env.iter().enumerate() {
            let (Some(name), Some(v)) = (e.get_str("name"), e.get("value")) else {
                continue;
            };
            let Some(value) = v.as_str() else {
                continue;
            };
            if let Some(problem) = self.backend_problem(name, value) {
                self.emit(
                    at,
                    "backend-address",
                    None,
                    v.pos,
                    format!("{}/env/{i}/value", c.pointer),
                    format!("{}: {problem}", c.what()),
                );
            }
        }
    }

    fn backend_address_configmap(&mut self, at: At, root: &Node) {
        let cm = root
            .lookup("/metadata/name")
            .and_then(Node::as_str)
            .unwrap_or("?");
        let Some(data) = root.get("data").and_then(Node::as_map) else {
            return;
        };
        for (k, v) in data {
            let key = k.key_string();
            let Some(value) = v.as_str() else {
                continue;
            };
            if let Some(problem) = self.backend_problem(&key, value) {
                self.emit(
                    at,
                    "backend-address",
                    None,
                    value_pos(k, v),
                    format!("/data/{}", pointer_token(&key)),
                    format!("ConfigMap `{cm}`: {problem}"),
                );
            }
        }
    }
}

// ---------------------------------------------------------------- run-as-non-root, probes

impl Cx<'_> {
    fn run_as_non_root(&mut self, at: At, w: &Workload<'_>) {
        const NAME: &str = "run-as-non-root";
        let pod_entry = w
            .pod_spec
            .get("securityContext")
            .and_then(|s| s.entry("runAsNonRoot"));
        let pod_level = pod_entry.and_then(|(_, v)| v.as_bool());
        let mut pod_reported = false;
        for c in &w.containers {
            let own = c
                .node
                .get("securityContext")
                .and_then(|s| s.entry("runAsNonRoot"));
            match (own, own.and_then(|(_, v)| v.as_bool()).or(pod_level)) {
                (_, Some(true)) => {}
                (Some((k, v)), _) => self.emit(
                    at,
                    NAME,
                    None,
                    value_pos(k, v),
                    format!("{}/securityContext/runAsNonRoot", c.pointer),
                    format!("{} sets `runAsNonRoot: {}`; it may run as root", c.what(), show(v)),
                ),
                (None, _) => match pod_entry {
                    Some((k, v)) => {
                        if !pod_reported {
                            pod_reported = true;
                            self.emit(
                                at,
                                NAME,
                                None,
                                value_pos(k, v),
                                format!("{}/securityContext/runAsNonRoot", w.pod_spec_pointer),
                                format!("{} `{}` sets `runAsNonRoot: {}`; its containers may run as root", w.kind, w.name, show(v)),
                            );
                        }
                    }
                    None => self.emit(
                        at,
                        NAME,
                        None,
                        c.node.pos,
                        c.pointer.clone(),
                        format!("{} does not set `securityContext.runAsNonRoot: true` (neither does its pod); it may run as root", c.what()),
                    ),
                },
            }
        }
    }

    fn probes(&mut self, at: At, c: &Container<'_>) {
        let missing: Vec<&str> = ["livenessProbe", "readinessProbe"]
            .into_iter()
            .filter(|p| c.node.get(p).is_none_or(Node::is_null))
            .collect();
        if missing.is_empty() {
            return;
        }
        let list = missing
            .iter()
            .map(|m| format!("`{m}`"))
            .collect::<Vec<_>>()
            .join(" and ");
        self.emit(
            at,
            "probes",
            None,
            c.node.pos,
            c.pointer.clone(),
            format!("{} has no {list}", c.what()),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            include_str!(concat!("../../tests/fixtures/policy/", $name))
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
        let empty =
            docs("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: Opaque\ndata: {}\n");
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
}
