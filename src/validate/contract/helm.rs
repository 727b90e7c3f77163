//! Helm syntax only where a chart template is meant: `{{ … }}` in an answer
//! for a plain-manifest target is an error (`helm/in-plain-manifest`), and so
//! is a Helm action that reaches the cluster (`lookup`) in any generated
//! template (`helm/lookup`): a rendered chart must not depend on what the
//! cluster holds, nor read its Secrets.

use crate::validate::diagnostic::{Diagnostic, Pos};

/// Each `{{ … }}` action: its position and its text between the braces.
fn actions(text: &str) -> Vec<(Pos, &str)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut from = 0;
        while let Some(open) = line[from..].find("{{") {
            let start = from + open;
            let inner_start = start + 2;
            let end = line[inner_start..].find("}}").map(|e| inner_start + e);
            let column = line[..start].chars().count() + 1;
            out.push((
                Pos::new(n + 1, column),
                &line[inner_start..end.unwrap_or(line.len())],
            ));
            from = end.map_or(line.len(), |e| e + 2);
        }
    }
    out
}

fn is_lookup(action: &str) -> bool {
    action
        .trim_matches(|c: char| c == '-' || c.is_whitespace())
        .split(|c: char| c.is_whitespace() || c == '(' || c == '|')
        .any(|w| w == "lookup")
}

/// A plain manifest holds no template actions at all.
pub fn plain_manifest(text: &str) -> Vec<Diagnostic> {
    actions(text)
        .into_iter()
        .map(|(pos, action)| {
            let lookup = if is_lookup(action) {
                " (a `lookup` that reads the cluster)"
            } else {
                ""
            };
            Diagnostic::error(
                "helm/in-plain-manifest",
                pos,
                format!("Helm template syntax `{{{{{action}}}}}`{lookup} in a plain manifest"),
            )
            .with_hint("write the literal value the prompt asks for: this target is applied with kubectl, not rendered by Helm")
        })
        .collect()
}

/// A chart template never reaches the cluster.
pub fn template(text: &str) -> Vec<Diagnostic> {
    actions(text)
        .into_iter()
        .filter(|(_, a)| is_lookup(a))
        .map(|(pos, _)| {
            Diagnostic::error(
                "helm/lookup",
                pos,
                "`lookup` reads the cluster at render time; a generated template must not",
            )
            .with_hint("take the value from values.yaml, or reference the Secret by name with `secretKeyRef`")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_actions_in_plain_manifests_and_lookups_anywhere() {
        let text = "data:\n  k: {{ (lookup \"v1\" \"Secret\" \"default\" \"db\").data.password }}\n  n: {{- .Values.n -}}\n";
        let d = plain_manifest(text);
        assert_eq!(d.len(), 2);
        assert_eq!((d[0].line, d[0].column), (2, 6));
        assert!(d[0].message.contains("lookup"), "{}", d[0].message);
        assert_eq!((d[1].line, d[1].column), (3, 6));
        let t = template(text);
        assert_eq!(t.len(), 1);
        assert_eq!((t[0].code.as_str(), t[0].line), ("helm/lookup", 2));
        assert!(plain_manifest("data:\n  k: plain\n").is_empty());
        assert!(template("x: {{ .Values.lookupTable }}\n").is_empty());
    }
}
