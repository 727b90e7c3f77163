//! The `service-selector` policy.

#[allow(unused_imports)]
use super::*;

pub(super) fn labels_text(map: &Node) -> String {
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
pub(super) fn selects(selector: &Node, labels: Option<&Node>) -> bool {
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
    pub(super) fn service_selector(&mut self, files: &[Input<'_>]) {
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
