//! Credentials as findings: in the strings of parsed manifests (with the
//! name each value sits under), and in any text, line by line.

use std::fmt::Write as _;

use super::{Kind, scan, scan_value};
use crate::validate::diagnostic::{Diagnostic, Pos, push_pointer_token};
use crate::validate::yaml::{Document, Node, Value};

/// A credential found in a manifest: where, what, and the literal (to redact it).
#[derive(Debug, Clone)]
pub struct Found {
    pub pos: Pos,
    pub pointer: String,
    pub document: usize,
    pub context: String,
    pub kind: Kind,
    pub literal: String,
}

/// Every credential in the strings of some manifests: ConfigMap data, args,
/// command, annotations, env values under any name.
pub fn in_manifests(documents: &[Document]) -> Vec<Found> {
    let mut out = Vec::new();
    let mut pointer = String::new();
    for doc in documents {
        pointer.clear();
        walk(&doc.root, &mut pointer, None, doc.index, &mut out);
    }
    out
}

/// `pointer` is the node's JSON pointer; it is extended for the children
/// and restored before returning.
fn walk(
    node: &Node,
    pointer: &mut String,
    name: Option<&str>,
    document: usize,
    out: &mut Vec<Found>,
) {
    match &node.value {
        Value::Str(s) => {
            for h in scan_value(name, s) {
                out.push(Found {
                    pos: node.pos,
                    pointer: pointer.clone(),
                    document,
                    context: match name {
                        Some(n) => format!("`{n}`"),
                        None => format!("`{pointer}`"),
                    },
                    kind: h.kind,
                    literal: s[h.range].to_owned(),
                });
            }
        }
        Value::Seq(items) => {
            let len = pointer.len();
            for (i, item) in items.iter().enumerate() {
                // `["--api-key", "value"]`: the flag names the next item.
                let flag = i
                    .checked_sub(1)
                    .and_then(|p| items[p].as_str())
                    .filter(|f| f.starts_with('-') && !f.contains('='));
                let _ = write!(pointer, "/{i}");
                walk(item, pointer, flag.or(name), document, out);
                pointer.truncate(len);
            }
        }
        Value::Map(entries) => {
            // An env var: its `value` is under the var's `name`.
            let env_name = node.get_str("name").filter(|_| node.get("value").is_some());
            let len = pointer.len();
            for (k, v) in entries {
                let owned;
                let key = match k.as_str() {
                    Some(key) => key,
                    None => {
                        owned = k.key_string();
                        &owned
                    }
                };
                let under = if key == "value" { env_name } else { None };
                push_pointer_token(pointer, key);
                walk(v, pointer, Some(under.unwrap_or(key)), document, out);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

fn finding(kind: Kind, pos: Pos, context: &str) -> Diagnostic {
    Diagnostic::error(
        kind.code(),
        pos,
        format!("{context} holds a credential: {}", kind.describe()),
    )
    .with_hint(
        "a credential never goes into an artifact: read it at run time from a Secret created with `kubectl create secret generic` (env `valueFrom.secretKeyRef`, or `RUN --mount=type=secret` in a Dockerfile)",
    )
}

/// The findings for the credentials in some manifests (never their values).
pub fn manifest_findings(documents: &[Document]) -> Vec<Diagnostic> {
    in_manifests(documents)
        .into_iter()
        .map(|f| {
            finding(f.kind, f.pos, &f.context)
                .with_pointer(f.pointer)
                .with_document(f.document)
        })
        .collect()
}

/// The findings for the credentials in a Dockerfile, any instruction or comment.
pub fn dockerfile_findings(text: &str) -> Vec<Diagnostic> {
    text_findings(text)
}

/// The findings for the credentials in any text, line by line (Dockerfiles,
/// Helm templates), named after each line's first word.
pub fn text_findings(text: &str) -> Vec<Diagnostic> {
    let mut line_starts = vec![0];
    line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    scan(text)
        .into_iter()
        .map(|h| {
            let line = line_starts.partition_point(|s| *s <= h.range.start);
            let start = line_starts[line - 1];
            let column = text[start..h.range.start].chars().count() + 1;
            let word = text[start..]
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            finding(h.kind, Pos::new(line, column), &format!("this {word} line"))
        })
        .collect()
}
