//! The `run-as-non-root, probes` policies.

#[allow(unused_imports)]
use super::*;

impl Cx<'_> {
    pub(super) fn run_as_non_root(&mut self, at: At, w: &Workload<'_>) {
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

    pub(super) fn probes(&mut self, at: At, c: &Container<'_>) {
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
