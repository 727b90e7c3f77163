//! The `nodeport` policy.

#[allow(unused_imports)]
use super::*;

impl Cx<'_> {
    pub(super) fn nodeport(&mut self, at: At, root: &Node) {
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
