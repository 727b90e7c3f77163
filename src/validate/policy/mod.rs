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

mod backend_address;
mod image_pull_never;
mod no_secret_objects;
mod nodeport;
mod resources;
mod run_as_non_root;
mod secret_env;
mod selector_labels;
mod service_selector;
#[cfg(test)]
mod tests;

pub use resources::parse_quantity;
pub use secret_env::is_secret_name;

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

/// The Dockerfile policies (checked by `dockerfile`, by code): the seed's
/// decisions about images, on top of the general Dockerfile rules.
pub const DOCKERFILE_POLICIES: &[Policy] = &[
    Policy {
        name: "non-root-user",
        code: "DH001",
        severity: Severity::Error,
        hint: "add e.g. `RUN useradd --system appuser` and `USER appuser` to the final stage",
        description: "the final stage switches to a non-root USER (and a root USER there is an error, not hadolint's warning)",
    },
    Policy {
        name: "npm-ci",
        code: "DH002",
        severity: Severity::Warning,
        hint: "copy package-lock.json and use `npm ci` (add `--omit=dev` for production)",
        description: "`npm ci`, not a bare `npm install`, installs the dependencies",
    },
    Policy {
        name: "expected-stages",
        code: "DH010",
        severity: Severity::Error,
        hint: "name the stages as the prompt (or `[policies.stages]` in dockhand.toml) says",
        description: "the stage names are the expected ones, in order",
    },
];

/// The policy set that stands for every policy above: the seed's decisions.
pub const PROJECT_SET: &str = "project";

/// Whether `name` is a policy (manifest or Dockerfile) or the `project` set.
pub fn is_known(name: &str) -> bool {
    name == PROJECT_SET || known_names().contains(&name)
}

/// Every policy name, manifest policies first.
pub fn known_names() -> Vec<&'static str> {
    POLICIES
        .iter()
        .chain(DOCKERFILE_POLICIES)
        .map(|p| p.name)
        .collect()
}

/// Policy names with the `project` set expanded, deduplicated, in the
/// documented order.
pub fn expand<S: AsRef<str>>(names: &[S]) -> Vec<String> {
    let all = names.iter().any(|n| n.as_ref() == PROJECT_SET);
    known_names()
        .into_iter()
        .filter(|k| all || names.iter().any(|n| n.as_ref() == *k))
        .map(str::to_owned)
        .collect()
}

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
