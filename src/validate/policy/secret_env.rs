//! The `secret-env` policy.

#[allow(unused_imports)]
use super::*;

/// Whether an env var (or ConfigMap key) name looks like it holds a secret:
/// the one secret-name test, [`crate::validate::secrets::is_secret_name`].
pub fn is_secret_name(name: &str) -> bool {
    crate::validate::secrets::is_secret_name(name)
}

impl Cx<'_> {
    pub(super) fn secret_env(&mut self, at: At, c: &Container<'_>) {
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
    pub(super) fn secret_configmap(&mut self, at: At, root: &Node) {
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
