//! The contract of a Kubernetes prompt, checked over all the files of one
//! answer: exactly the declared resources (kind and name), each with the
//! values the prompt asked for.

use super::{Container, Resource};
use crate::validate::diagnostic::{Diagnostic, Pos, pointer_token};
use crate::validate::yaml::{Document, Node, Value};

/// One file of the answer: its documents, and the kinds its target takes
/// (empty: any).
pub struct File<'a> {
    pub documents: &'a [Document],
    pub kinds: &'a [String],
}

/// Findings, each with the index of the file it belongs to.
pub fn check(resources: &[Resource], files: &[File<'_>]) -> Vec<(usize, Diagnostic)> {
    let mut out = Vec::new();
    struct Doc<'a> {
        file: usize,
        doc: &'a Document,
        kind: String,
        name: String,
        used: bool,
    }
    let mut docs: Vec<Doc<'_>> = files
        .iter()
        .enumerate()
        .flat_map(|(file, f)| {
            f.documents.iter().map(move |doc| Doc {
                file,
                doc,
                kind: doc.root.get_str("kind").unwrap_or("").to_owned(),
                name: doc
                    .root
                    .lookup("/metadata/name")
                    .and_then(Node::as_str)
                    .unwrap_or("")
                    .to_owned(),
                used: false,
            })
        })
        .collect();
    let produced = resources
        .iter()
        .map(|r| format!("{} `{}`", r.kind, r.name))
        .collect::<Vec<_>>()
        .join(", ");
    for r in resources {
        let exact = docs
            .iter()
            .position(|d| !d.used && d.kind == r.kind && d.name == r.name);
        let renamed = || {
            docs.iter().position(|d| {
                !d.used && d.kind == r.kind && !resources.iter().any(|o| o.name == d.name)
            })
        };
        let Some(i) = exact.or_else(renamed) else {
            let file = files
                .iter()
                .position(|f| f.kinds.contains(&r.kind))
                .unwrap_or(0);
            out.push((
                file,
                Diagnostic::error(
                    "contract/missing",
                    Pos::new(1, 1),
                    format!(
                        "the prompt asks for a {} named `{}`; the answer has none",
                        r.kind, r.name
                    ),
                )
                .with_hint(format!("answer with exactly: {produced}")),
            ));
            continue;
        };
        docs[i].used = true;
        let d = &docs[i];
        let mut cx = Cx {
            file: d.file,
            document: d.doc.index,
            out: &mut out,
        };
        if d.name != r.name {
            let node = d.doc.root.lookup("/metadata/name").unwrap_or(&d.doc.root);
            cx.push(
                "contract/name",
                node.pos,
                "/metadata/name",
                format!(
                    "the {} is named `{}`; the prompt asks for `{}`",
                    r.kind, d.name, r.name
                ),
            );
        }
        resource(&mut cx, r, &d.doc.root);
    }
    for d in docs.iter().filter(|d| !d.used) {
        let at = d.doc.root.get("kind").map_or(d.doc.start, |k| k.pos);
        let what = if d.kind.is_empty() {
            "a document without `kind`".to_owned()
        } else {
            format!("{} `{}`", d.kind, d.name)
        };
        let (code, message) = if resources.iter().any(|r| r.kind == d.kind) {
            (
                "contract/extra",
                format!("{what} is one resource too many: the prompt produces {produced}"),
            )
        } else {
            (
                "contract/kind",
                format!("{what} is not what this prompt produces ({produced})"),
            )
        };
        out.push((
            d.file,
            Diagnostic::error(code, at, message)
                .with_pointer("/kind")
                .with_document(d.doc.index)
                .with_hint(format!("answer with exactly: {produced}")),
        ));
    }
    out
}

struct Cx<'o> {
    file: usize,
    document: usize,
    out: &'o mut Vec<(usize, Diagnostic)>,
}

impl Cx<'_> {
    fn push(&mut self, code: &str, pos: Pos, pointer: &str, message: String) {
        self.out.push((
            self.file,
            Diagnostic::error(code, pos, message)
                .with_pointer(pointer)
                .with_document(self.document),
        ));
    }

    fn value(&mut self, pos: Pos, pointer: &str, message: String) {
        self.push("contract/value", pos, pointer, message);
    }
}

/// The deepest existing node on the way to `pointer`: where a missing value belongs.
fn nearest<'a>(root: &'a Node, pointer: &str) -> &'a Node {
    let mut node = root;
    let mut path = String::new();
    for token in pointer.split('/').skip(1) {
        path.push('/');
        path.push_str(token);
        match root.lookup(&path) {
            Some(n) => node = n,
            None => break,
        }
    }
    node
}

fn show(n: &Node) -> String {
    match &n.value {
        Value::Str(s) => format!("`{s}`"),
        Value::Seq(_) | Value::Map(_) => n.to_json().to_string(),
        _ => format!("`{}`", n.key_string()),
    }
}

/// `expected` at `pointer`, compared as text (`2` and `"2"` differ in kind, not here).
fn expect_scalar(cx: &mut Cx<'_>, root: &Node, pointer: &str, what: &str, expected: &str) {
    match root.lookup(pointer) {
        Some(n)
            if n.key_string() == expected && !matches!(n.value, Value::Seq(_) | Value::Map(_)) => {}
        Some(n) => cx.value(
            n.pos,
            pointer,
            format!("{what} is {}; the prompt asks for `{expected}`", show(n)),
        ),
        None => cx.value(
            nearest(root, pointer).pos,
            pointer,
            format!("{what} is missing; the prompt asks for `{expected}`"),
        ),
    }
}

fn resource(cx: &mut Cx<'_>, r: &Resource, root: &Node) {
    if let Some(n) = r.replicas {
        expect_scalar(
            cx,
            root,
            "/spec/replicas",
            "`spec.replicas`",
            &n.to_string(),
        );
    }
    for (k, v) in &r.pod_labels {
        let p = format!("/spec/template/metadata/labels/{}", pointer_token(k));
        expect_scalar(cx, root, &p, &format!("pod label `{k}`"), v);
    }
    if !r.containers.is_empty() {
        let p = "/spec/template/spec/containers";
        let list = root.lookup(p).and_then(Node::as_seq).unwrap_or_default();
        for (j, c) in r.containers.iter().enumerate() {
            let found = match &c.name {
                Some(name) => list.iter().position(|n| n.get_str("name") == Some(name)),
                None => (j < list.len()).then_some(j),
            };
            match found {
                Some(i) => container(cx, c, root, &format!("{p}/{i}")),
                None => cx.value(
                    nearest(root, p).pos,
                    p,
                    match &c.name {
                        Some(name) => format!("the pod has no container named `{name}`"),
                        None => format!(
                            "the pod has {} container(s); the prompt asks for {}",
                            list.len(),
                            r.containers.len()
                        ),
                    },
                ),
            }
        }
    }
    if let Some(t) = &r.service_type {
        match root.lookup("/spec/type") {
            None if t == "ClusterIP" => {}
            _ => expect_scalar(cx, root, "/spec/type", "`spec.type`", t),
        }
    }
    if !r.selector.is_empty() {
        let p = "/spec/selector";
        let have: Vec<(String, String)> = root
            .lookup(p)
            .and_then(Node::as_map)
            .unwrap_or_default()
            .iter()
            .map(|(k, v)| (k.key_string(), v.key_string()))
            .collect();
        let want: Vec<(String, String)> = r.selector.clone().into_iter().collect();
        let mut sorted = have.clone();
        sorted.sort();
        if sorted != want {
            let fmt = |v: &[(String, String)]| {
                v.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(",")
            };
            cx.value(
                nearest(root, p).pos,
                p,
                format!(
                    "`spec.selector` is {{{}}}; the prompt asks for {{{}}}",
                    fmt(&have),
                    fmt(&want)
                ),
            );
        }
    }
    if !r.ports.is_empty() {
        let p = "/spec/ports";
        let list = root.lookup(p).and_then(Node::as_seq).unwrap_or_default();
        if list.len() != r.ports.len() {
            cx.value(
                nearest(root, p).pos,
                p,
                format!(
                    "the Service has {} port(s); the prompt asks for {}",
                    list.len(),
                    r.ports.len()
                ),
            );
        }
        for sp in &r.ports {
            let Some(i) = list
                .iter()
                .position(|n| n.get("port").and_then(Node::as_i64) == Some(sp.port))
            else {
                cx.value(
                    nearest(root, p).pos,
                    p,
                    format!(
                        "the Service has no port {}; the prompt asks for it",
                        sp.port
                    ),
                );
                continue;
            };
            let base = format!("{p}/{i}");
            if let Some(t) = sp.target_port {
                // An absent targetPort is the port itself.
                if root.lookup(&format!("{base}/targetPort")).is_some() || t != sp.port {
                    expect_scalar(
                        cx,
                        root,
                        &format!("{base}/targetPort"),
                        &format!("port {}'s `targetPort`", sp.port),
                        &t.to_string(),
                    );
                }
            }
            if let Some(n) = sp.node_port {
                expect_scalar(
                    cx,
                    root,
                    &format!("{base}/nodePort"),
                    &format!("port {}'s `nodePort`", sp.port),
                    &n.to_string(),
                );
            }
        }
    }
    if let Some(data) = &r.data {
        let p = "/data";
        let have = root.lookup(p).and_then(Node::as_map).unwrap_or_default();
        for (k, n) in have {
            let key = k.key_string();
            if !data.contains_key(&key) {
                cx.value(
                    k.pos,
                    &format!("{p}/{}", pointer_token(&key)),
                    format!(
                        "key `{key}` is not asked for; the prompt asks for exactly: {}",
                        data.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                );
            } else if n.key_string() != data[&key] {
                // The value may be anything (even a credential): never echoed.
                cx.value(
                    n.pos,
                    &format!("{p}/{}", pointer_token(&key)),
                    format!(
                        "key `{key}` does not hold the value the prompt asks for: `{}`",
                        data[&key]
                    ),
                );
            }
        }
        for (k, v) in data {
            if !have.iter().any(|(hk, _)| hk.key_string() == *k) {
                cx.value(
                    nearest(root, p).pos,
                    p,
                    format!("key `{k}` is missing; the prompt asks for `{k}: {v}`"),
                );
            }
        }
    }
}

/// A Kubernetes quantity in base units (`100m` = 0.1, `128Mi` = 134217728).
fn quantity(s: &str) -> Option<f64> {
    let s = s.trim();
    let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
    let (num, suffix) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let mult = match suffix {
        "" => 1.0,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024.0f64.powi(4),
        _ => return None,
    };
    Some(n * mult)
}

fn same_quantity(a: &str, b: &str) -> bool {
    match (quantity(a), quantity(b)) {
        (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0),
        _ => a == b,
    }
}

fn container(cx: &mut Cx<'_>, c: &Container, root: &Node, base: &str) {
    let node = root.lookup(base).expect("found by the caller");
    let who = format!("container `{}`", node.get_str("name").unwrap_or("?"));
    if let Some(image) = &c.image {
        expect_scalar(
            cx,
            root,
            &format!("{base}/image"),
            &format!("{who}'s image"),
            image,
        );
    }
    if let Some(p) = &c.pull_policy {
        expect_scalar(
            cx,
            root,
            &format!("{base}/imagePullPolicy"),
            &format!("{who}'s `imagePullPolicy`"),
            p,
        );
    }
    if !c.ports.is_empty() {
        let p = format!("{base}/ports");
        let mut have: Vec<i64> = root
            .lookup(&p)
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(|n| n.get("containerPort").and_then(Node::as_i64))
            .collect();
        have.sort_unstable();
        let mut want = c.ports.clone();
        want.sort_unstable();
        if have != want {
            let fmt = |v: &[i64]| {
                if v.is_empty() {
                    "none".to_owned()
                } else {
                    v.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
                }
            };
            cx.value(
                nearest(root, &p).pos,
                &p,
                format!(
                    "{who}'s container ports are {}; the prompt asks for {}",
                    fmt(&have),
                    fmt(&want)
                ),
            );
        }
    }
    for (section, q) in [("requests", &c.requests), ("limits", &c.limits)] {
        let Some(q) = q else { continue };
        for (res, want) in [("cpu", &q.cpu), ("memory", &q.memory)] {
            let p = format!("{base}/resources/{section}/{res}");
            match root.lookup(&p) {
                Some(n) if same_quantity(&n.key_string(), want) => {}
                Some(n) => cx.value(n.pos, &p, format!("{who}'s `resources.{section}.{res}` is {}; the prompt asks for `{want}`", show(n))),
                None => cx.value(nearest(root, &p).pos, &p, format!("{who}'s `resources.{section}.{res}` is missing; the prompt asks for `{want}`")),
            }
        }
    }
    let env = root
        .lookup(&format!("{base}/env"))
        .and_then(Node::as_seq)
        .unwrap_or_default();
    let env_at = nearest(root, &format!("{base}/env")).pos;
    let env_ptr = format!("{base}/env");
    if let Some(se) = &c.secret_env {
        for key in &se.keys {
            let entry = env.iter().position(|e| e.get_str("name") == Some(key));
            let ok = entry.is_some_and(|i| {
                let r = env[i].lookup("/valueFrom/secretKeyRef");
                r.and_then(|r| r.get_str("name")) == Some(se.secret.as_str())
                    && r.and_then(|r| r.get_str("key")) == Some(key.as_str())
            });
            if ok {
                continue;
            }
            let (pos, ptr) = match entry {
                Some(i) => (env[i].pos, format!("{env_ptr}/{i}")),
                None => (env_at, env_ptr.clone()),
            };
            cx.value(
                pos,
                &ptr,
                format!(
                    "{who}: env `{key}` {} from Secret `{}` key `{key}` through `valueFrom.secretKeyRef`, as the prompt asks",
                    if entry.is_some() { "is not read" } else { "is missing; it must be read" },
                    se.secret
                ),
            );
        }
    }
    for ce in &c.config_env {
        let entry = env
            .iter()
            .position(|e| e.get_str("name") == Some(ce.name.as_str()));
        let ok = entry.is_some_and(|i| {
            let r = env[i].lookup("/valueFrom/configMapKeyRef");
            r.and_then(|r| r.get_str("name")) == Some(ce.config_map.as_str())
                && r.and_then(|r| r.get_str("key")) == Some(ce.key.as_str())
        });
        if !ok {
            let (pos, ptr) = match entry {
                Some(i) => (env[i].pos, format!("{env_ptr}/{i}")),
                None => (env_at, env_ptr.clone()),
            };
            cx.value(
                pos,
                &ptr,
                format!(
                    "{who}: env `{}` must be read from ConfigMap `{}` key `{}` through `valueFrom.configMapKeyRef`, as the prompt asks",
                    ce.name, ce.config_map, ce.key
                ),
            );
        }
    }
    if c.probes {
        for probe in ["readinessProbe", "livenessProbe"] {
            if node.get(probe).is_none() {
                cx.value(
                    node.pos,
                    &format!("{base}/{probe}"),
                    format!("{who} has no `{probe}`; the prompt asks for one"),
                );
            }
        }
    }
    if c.run_as_non_root {
        let on = |p: &str| root.lookup(p).and_then(Node::as_bool);
        let own = on(&format!("{base}/securityContext/runAsNonRoot"));
        let pod = on("/spec/template/spec/securityContext/runAsNonRoot");
        if own != Some(true) && !(own.is_none() && pod == Some(true)) {
            cx.value(
                node.pos,
                &format!("{base}/securityContext/runAsNonRoot"),
                format!("{who} may run as root; the prompt asks for `securityContext.runAsNonRoot: true`"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Quantities, SecretEnv, ServicePort};
    use super::*;
    use crate::validate::yaml;

    fn run(resources: &[Resource], text: &str) -> Vec<String> {
        let docs = yaml::parse(text).documents;
        check(
            resources,
            &[File {
                documents: &docs,
                kinds: &[],
            }],
        )
        .into_iter()
        .map(|(_, d)| format!("{}@{}:{} {}", d.code, d.line, d.column, d.message))
        .collect()
    }

    fn deployment() -> Resource {
        Resource {
            kind: "Deployment".into(),
            name: "api".into(),
            replicas: Some(2),
            pod_labels: [("app".into(), "api".into())].into(),
            containers: vec![Container {
                name: Some("api".into()),
                image: Some("api:1".into()),
                pull_policy: Some("Never".into()),
                ports: vec![8000],
                requests: Some(Quantities {
                    cpu: "100m".into(),
                    memory: "128Mi".into(),
                }),
                limits: None,
                secret_env: Some(SecretEnv {
                    secret: "s".into(),
                    keys: vec!["A".into(), "B".into()],
                }),
                config_env: Vec::new(),
                probes: true,
                run_as_non_root: true,
            }],
            ..Default::default()
        }
    }

    const GOOD: &str = "kind: Deployment
metadata:
  name: api
spec:
  replicas: 2
  template:
    metadata:
      labels:
        app: api
    spec:
      securityContext:
        runAsNonRoot: true
      containers:
        - name: api
          image: api:1
          imagePullPolicy: Never
          ports:
            - containerPort: 8000
          resources:
            requests:
              cpu: 0.1
              memory: 128Mi
          env:
            - name: A
              valueFrom:
                secretKeyRef: {name: s, key: A}
            - name: B
              valueFrom:
                secretKeyRef: {name: s, key: B}
          readinessProbe: {tcpSocket: {port: 8000}}
          livenessProbe: {tcpSocket: {port: 8000}}
";

    #[test]
    fn a_kept_contract_has_no_findings() {
        assert_eq!(run(&[deployment()], GOOD), Vec::<String>::new());
    }

    #[test]
    fn wrong_values_missing_keys_and_probes() {
        let text = GOOD
            .replace("replicas: 2", "replicas: 3")
            .replace("imagePullPolicy: Never", "imagePullPolicy: Always")
            .replace("            - name: B\n              valueFrom:\n                secretKeyRef: {name: s, key: B}\n", "")
            .replace("          readinessProbe: {tcpSocket: {port: 8000}}\n          livenessProbe: {tcpSocket: {port: 8000}}\n", "");
        assert_eq!(
            run(&[deployment()], &text),
            [
                "contract/value@5:13 `spec.replicas` is `3`; the prompt asks for `2`",
                "contract/value@16:28 container `api`'s `imagePullPolicy` is `Always`; the prompt asks for `Never`",
                "contract/value@24:13 container `api`: env `B` is missing; it must be read from Secret `s` key `B` through `valueFrom.secretKeyRef`, as the prompt asks",
                "contract/value@14:11 container `api` has no `readinessProbe`; the prompt asks for one",
                "contract/value@14:11 container `api` has no `livenessProbe`; the prompt asks for one",
            ]
        );
    }

    #[test]
    fn wrong_kind_missing_and_extra() {
        let service = "apiVersion: v1\nkind: Service\nmetadata:\n  name: api\n";
        assert_eq!(
            run(&[deployment()], service),
            [
                "contract/missing@1:1 the prompt asks for a Deployment named `api`; the answer has none",
                "contract/kind@2:7 Service `api` is not what this prompt produces (Deployment `api`)",
            ]
        );
        let two = format!(
            "{GOOD}---\n{}",
            GOOD.replace("name: api\nspec", "name: other\nspec")
        );
        let found = run(&[deployment()], &two);
        assert_eq!(
            found,
            [
                "contract/extra@33:7 Deployment `other` is one resource too many: the prompt produces Deployment `api`"
            ]
        );
        let renamed = GOOD.replacen("name: api\nspec", "name: web\nspec", 1);
        assert_eq!(
            run(&[deployment()], &renamed),
            ["contract/name@3:9 the Deployment is named `web`; the prompt asks for `api`"]
        );
    }

    #[test]
    fn services_and_configmaps() {
        let svc = Resource {
            kind: "Service".into(),
            name: "web".into(),
            service_type: Some("NodePort".into()),
            selector: [("app".into(), "web".into())].into(),
            ports: vec![ServicePort {
                port: 3000,
                target_port: Some(3000),
                node_port: Some(30080),
            }],
            ..Default::default()
        };
        let text = "kind: Service\nmetadata:\n  name: web\nspec:\n  type: NodePort\n  selector:\n    app: web\n  ports:\n    - port: 3000\n      targetPort: 3000\n      nodePort: 30081\n";
        assert_eq!(
            run(std::slice::from_ref(&svc), text),
            ["contract/value@11:17 port 3000's `nodePort` is `30081`; the prompt asks for `30080`"]
        );
        let cm = Resource {
            kind: "ConfigMap".into(),
            name: "c".into(),
            data: Some([("URL".into(), "http://b:8000".into())].into()),
            ..Default::default()
        };
        let text = "kind: ConfigMap\nmetadata:\n  name: c\ndata:\n  URL: http://10.0.0.1:8000\n  OPENAI_API_KEY: x\n";
        assert_eq!(
            run(&[cm], text),
            [
                "contract/value@5:8 key `URL` does not hold the value the prompt asks for: `http://b:8000`",
                "contract/value@6:3 key `OPENAI_API_KEY` is not asked for; the prompt asks for exactly: URL",
            ]
        );
    }
}
