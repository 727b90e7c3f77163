//! The `no-secret-objects` policy.

#[allow(unused_imports)]
use super::*;

impl Cx<'_> {
    pub(super) fn secret_object(&mut self, at: At, root: &Node) {
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
