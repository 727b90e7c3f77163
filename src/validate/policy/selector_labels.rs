//! The `selector-labels` policy.

#[allow(unused_imports)]
use super::*;

impl Cx<'_> {
    pub(super) fn selector_labels(&mut self, at: At, root: &Node, kind: &str) {
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
