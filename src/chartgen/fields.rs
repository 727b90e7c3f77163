//! Which manifest fields become `.Values` references, and the text edits that
//! make a manifest into its template.

use std::collections::{BTreeMap, HashMap};

use super::values::{Scalar, Slot, Values};
use super::{is_identifier, section_name};
use crate::validate::yaml::{self, Node, Value};

/// One edit: the scalar at `start..end` becomes `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    start: usize,
    end: usize,
    text: String,
}

/// The values found, and the edits per manifest path.
#[derive(Debug, Default)]
pub struct Found {
    pub values: Values,
    pub params: BTreeMap<String, Vec<Param>>,
}

/// What a field becomes.
enum Want {
    /// One leaf: the field's value at this key path.
    Leaf(Vec<String>, Scalar),
    /// `repository:tag`, two leaves.
    Image {
        base: Vec<String>,
        repository: String,
        tag: String,
    },
}

struct Doc<'a> {
    path: &'a str,
    text: &'a str,
    root: Node,
}

fn keys(base: &[String], rest: &[&str]) -> Vec<String> {
    base.iter()
        .cloned()
        .chain(rest.iter().map(|s| (*s).to_owned()))
        .collect()
}

fn scalar(n: &Node) -> Option<Scalar> {
    match &n.value {
        Value::Int(i) => Some(Scalar::Int(*i)),
        Value::Str(s) if !s.contains('\n') => Some(Scalar::Str(s.clone())),
        _ => None,
    }
}

struct Finder<'a> {
    prefix: &'a str,
    found: Found,
    /// ConfigMap name → the section of the workload that reads it.
    configmap_owner: HashMap<String, String>,
    /// Section → its first container's first port.
    container_port: HashMap<String, i64>,
    /// Workload pod labels → section (for Service selectors).
    pod_labels: Vec<(Vec<(String, String)>, String)>,
}

impl Finder<'_> {
    /// Take the want if its keys are free or hold the same value, and its
    /// scalar can be located in the text; otherwise the field stays literal.
    fn want(&mut self, doc: &Doc<'_>, node: &Node, want: Want) {
        let leaves: Vec<(Vec<String>, Scalar)> = match &want {
            Want::Leaf(k, v) => vec![(k.clone(), v.clone())],
            Want::Image {
                base,
                repository,
                tag,
            } => vec![
                (
                    keys(base, &["image", "repository"]),
                    Scalar::Str(repository.clone()),
                ),
                (keys(base, &["image", "tag"]), Scalar::Str(tag.clone())),
            ],
        };
        if leaves
            .iter()
            .any(|(k, _)| k.is_empty() || !k.iter().all(|s| is_identifier(s)))
        {
            return;
        }
        if leaves
            .iter()
            .any(|(k, v)| matches!(self.found.values.slot(k, v), Slot::Taken(_)))
        {
            return;
        }
        // helm reads values.yaml numbers as floats and prints 1e+06 and up in
        // exponent form: such a number stays literal. So does a value its own
        // schema would refuse.
        if leaves.iter().any(|(k, v)| {
            matches!(v, Scalar::Int(i) if i.unsigned_abs() >= 1_000_000)
                || !super::values::fits(k.last().map_or("", String::as_str), v)
        }) {
            return;
        }
        let Some((start, end)) = extent(doc.text, node) else {
            return;
        };
        let reference = |k: &[String]| format!(".Values.{}", k.join("."));
        let text = match &want {
            Want::Leaf(k, Scalar::Int(_)) => format!("{{{{ {} }}}}", reference(k)),
            Want::Leaf(k, Scalar::Str(_)) => format!("{{{{ {} | quote }}}}", reference(k)),
            Want::Image { .. } => format!(
                "\"{{{{ {} }}}}:{{{{ {} }}}}\"",
                reference(&leaves[0].0),
                reference(&leaves[1].0)
            ),
        };
        for (k, v) in leaves {
            self.found.values.insert(&k, v);
        }
        self.found
            .params
            .entry(doc.path.to_owned())
            .or_default()
            .push(Param { start, end, text });
    }

    fn leaf(&mut self, doc: &Doc<'_>, node: Option<&Node>, k: Vec<String>) {
        if let Some(n) = node
            && let Some(v) = scalar(n)
        {
            self.want(doc, n, Want::Leaf(k, v));
        }
    }

    fn workload(&mut self, doc: &Doc<'_>) {
        let root = &doc.root;
        let Some(name) = root.lookup("/metadata/name").and_then(Node::as_str) else {
            return;
        };
        let section = section_name(name, self.prefix);
        let base = vec![section.clone()];
        self.leaf(
            doc,
            root.lookup("/spec/replicas"),
            keys(&base, &["replicas"]),
        );
        if let Some(labels) = root
            .lookup("/spec/template/metadata/labels")
            .and_then(Node::as_map)
        {
            let labels = labels
                .iter()
                .filter_map(|(k, v)| Some((k.key_string(), v.as_str()?.to_owned())))
                .collect();
            self.pod_labels.push((labels, section.clone()));
        }
        let Some(containers) = root
            .lookup("/spec/template/spec/containers")
            .and_then(Node::as_seq)
        else {
            return;
        };
        for (i, c) in containers.iter().enumerate() {
            let cbase = if i == 0 {
                base.clone()
            } else {
                match c.get_str("name") {
                    Some(n) => keys(&base, &[&section_name(n, "")]),
                    None => continue,
                }
            };
            if let Some(img) = c.get("image")
                && let Some(s) = img.as_str()
            {
                let want = match split_image(s) {
                    Some((repository, tag)) => Want::Image {
                        base: cbase.clone(),
                        repository,
                        tag,
                    },
                    None => Want::Leaf(
                        keys(&cbase, &["image", "repository"]),
                        Scalar::Str(s.to_owned()),
                    ),
                };
                self.want(doc, img, want);
            }
            self.leaf(
                doc,
                c.get("imagePullPolicy"),
                keys(&cbase, &["image", "pullPolicy"]),
            );
            let port = c.lookup("/ports/0/containerPort");
            if i == 0
                && let Some(p) = port.and_then(Node::as_i64)
            {
                self.container_port.insert(section.clone(), p);
            }
            self.leaf(doc, port, keys(&cbase, &["containerPort"]));
            for kind in ["requests", "limits"] {
                for res in ["cpu", "memory"] {
                    self.leaf(
                        doc,
                        c.lookup(&format!("/resources/{kind}/{res}")),
                        keys(&cbase, &["resources", kind, res]),
                    );
                }
            }
            for e in c.get("env").and_then(Node::as_seq).unwrap_or(&[]) {
                self.leaf(
                    doc,
                    e.lookup("/valueFrom/secretKeyRef/name"),
                    keys(&base, &["secret", "name"]),
                );
                self.config_ref(doc, e.lookup("/valueFrom/configMapKeyRef/name"), &section);
            }
            for e in c.get("envFrom").and_then(Node::as_seq).unwrap_or(&[]) {
                self.leaf(
                    doc,
                    e.lookup("/secretRef/name"),
                    keys(&base, &["secret", "name"]),
                );
                self.config_ref(doc, e.lookup("/configMapRef/name"), &section);
            }
            if i == 0
                && let Some(&p) = self.container_port.get(&section)
            {
                for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
                    for how in ["httpGet", "tcpSocket", "grpc"] {
                        let n = c.lookup(&format!("/{probe}/{how}/port"));
                        if n.and_then(Node::as_i64) == Some(p) {
                            self.leaf(doc, n, keys(&base, &["containerPort"]));
                        }
                    }
                }
            }
        }
    }

    fn config_ref(&mut self, doc: &Doc<'_>, node: Option<&Node>, section: &str) {
        if let Some(n) = node
            && let Some(name) = n.as_str()
        {
            self.configmap_owner
                .entry(name.to_owned())
                .or_insert_with(|| section.to_owned());
            self.leaf(
                doc,
                Some(n),
                vec![section.to_owned(), "configMap".into(), "name".into()],
            );
        }
    }

    fn service(&mut self, doc: &Doc<'_>) {
        let root = &doc.root;
        let Some(name) = root.lookup("/metadata/name").and_then(Node::as_str) else {
            return;
        };
        let selector: Vec<(String, String)> = root
            .lookup("/spec/selector")
            .and_then(Node::as_map)
            .unwrap_or(&[])
            .iter()
            .filter_map(|(k, v)| Some((k.key_string(), v.as_str()?.to_owned())))
            .collect();
        let section = self
            .pod_labels
            .iter()
            .find(|(labels, _)| !selector.is_empty() && selector.iter().all(|s| labels.contains(s)))
            .map(|(_, s)| s.clone())
            .unwrap_or_else(|| section_name(name, self.prefix));
        let base = vec![section.clone()];
        let port = root.lookup("/spec/ports/0");
        let Some(port) = port else {
            return;
        };
        self.leaf(doc, port.get("port"), keys(&base, &["service", "port"]));
        let target = port.get("targetPort");
        if let (Some(t), Some(&p)) = (target, self.container_port.get(&section))
            && t.as_i64() == Some(p)
        {
            self.leaf(doc, target, keys(&base, &["containerPort"]));
        }
        self.leaf(
            doc,
            port.get("nodePort"),
            keys(&base, &["service", "nodePort"]),
        );
    }

    fn configmap(&mut self, doc: &Doc<'_>) {
        let root = &doc.root;
        let Some(name_node) = root.lookup("/metadata/name") else {
            return;
        };
        let Some(name) = name_node.as_str() else {
            return;
        };
        let section = self
            .configmap_owner
            .get(name)
            .cloned()
            .unwrap_or_else(|| section_name(name, self.prefix));
        let base = vec![section, "configMap".to_owned()];
        self.leaf(doc, Some(name_node), keys(&base, &["name"]));
        for (k, v) in root.get("data").and_then(Node::as_map).unwrap_or(&[]) {
            let key = k.key_string();
            if v.as_str().is_some() {
                self.leaf(doc, Some(v), keys(&base, &["data", &key]));
            }
        }
    }
}

/// `repo[:port]/name:tag` → (`repo[:port]/name`, `tag`); None without a tag
/// or with a digest.
fn split_image(s: &str) -> Option<(String, String)> {
    if s.contains('@') {
        return None;
    }
    let slash = s.rfind('/').map_or(0, |i| i + 1);
    let colon = s[slash..].rfind(':')? + slash;
    let (repo, tag) = (&s[..colon], &s[colon + 1..]);
    (!repo.is_empty() && !tag.is_empty()).then(|| (repo.to_owned(), tag.to_owned()))
}

/// Find the values and edits for every manifest. Workloads first (they name
/// the sections and own the ConfigMaps and Secrets they read), then
/// Services, then ConfigMaps; within each, by path and document order.
pub fn find(prefix: &str, manifests: &BTreeMap<String, String>) -> Found {
    let mut docs = Vec::new();
    for (path, text) in manifests {
        let parsed = yaml::parse(text);
        if parsed.has_errors() {
            continue;
        }
        for d in parsed.documents {
            docs.push(Doc {
                path,
                text,
                root: d.root,
            });
        }
    }
    let mut f = Finder {
        prefix,
        found: Found::default(),
        configmap_owner: HashMap::new(),
        container_port: HashMap::new(),
        pod_labels: Vec::new(),
    };
    let kind = |d: &Doc<'_>| d.root.get_str("kind").unwrap_or("").to_owned();
    for d in docs
        .iter()
        .filter(|d| matches!(kind(d).as_str(), "Deployment" | "StatefulSet"))
    {
        f.workload(d);
    }
    for d in docs.iter().filter(|d| kind(d) == "Service") {
        f.service(d);
    }
    for d in docs.iter().filter(|d| kind(d) == "ConfigMap") {
        f.configmap(d);
    }
    f.found
}

/// The manifest with its edits made: its template. Text that Go templates
/// would read as an action (`{{` in a manifest's string) is escaped as
/// `{{ "{{" }}`, so that it renders as written.
pub fn apply(text: &str, params: &[Param]) -> String {
    let mut sorted: Vec<&Param> = params.iter().collect();
    sorted.sort_by_key(|p| p.start);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for p in sorted {
        // Two edits of one scalar (cannot happen: one node, one want) are skipped.
        if p.start < at {
            continue;
        }
        out.push_str(&escape(&text[at..p.start]));
        out.push_str(&p.text);
        at = p.end;
    }
    out.push_str(&escape(&text[at..]));
    out
}

fn escape(literal: &str) -> String {
    literal.replace("{{", "{{ \"{{\" }}")
}

/// The byte range of a one-line scalar node in `text`, checked by reading it
/// back: None when it is not a plain or quoted scalar on one line.
fn extent(text: &str, node: &Node) -> Option<(usize, usize)> {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(node.pos.line().checked_sub(1)?)
        .map(str::len)
        .sum();
    let line = text[line_start..]
        .split('\n')
        .next()?
        .trim_end_matches('\r');
    let off = line
        .char_indices()
        .nth(node.pos.column().checked_sub(1)?)
        .map(|(i, _)| i)?;
    let rest = &line[off..];
    let len = match rest.chars().next()? {
        '"' => {
            let mut escaped = false;
            let mut end = None;
            for (i, c) in rest.char_indices().skip(1) {
                match (escaped, c) {
                    (true, _) => escaped = false,
                    (false, '\\') => escaped = true,
                    (false, '"') => {
                        end = Some(i + 1);
                        break;
                    }
                    _ => {}
                }
            }
            end?
        }
        '\'' => {
            let b = rest.as_bytes();
            let mut i = 1;
            loop {
                match b.get(i)? {
                    b'\'' if b.get(i + 1) == Some(&b'\'') => i += 2,
                    b'\'' => break i + 1,
                    _ => i += 1,
                }
            }
        }
        '[' | '{' | '|' | '>' | '&' | '*' | '!' => return None,
        _ => {
            let cut = rest.find(" #").unwrap_or(rest.len());
            let s = rest[..cut].trim_end();
            if s.contains([',', ']', '}']) {
                return None;
            }
            s.len()
        }
    };
    let scalar = &rest[..len];
    let back = yaml::parse(&format!("v: {scalar}\n"));
    let same = back
        .documents
        .first()
        .and_then(|d| d.root.get("v"))
        .is_some_and(|v| v.value == node.value);
    same.then_some((line_start + off, line_start + off + len))
}
