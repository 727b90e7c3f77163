//! Template-level checks: reading templates/, `.Values` paths that the
//! merged values do not define, and constructs outside the built-in
//! renderer's subset.

use std::collections::{HashMap, HashSet};

use serde_json::Value as J;

use super::Report;
use super::files::ChartFiles;
use super::gotmpl;
use crate::validate::diagnostic::{Diagnostic, Pos};

// ---------------------------------------------------------------- reading

/// One file under templates/.
pub(super) struct Source {
    /// Relative to the chart: `templates/x.yaml`.
    pub(super) rel: String,
    /// For findings: `DIR/templates/x.yaml`.
    pub(super) path: String,
    pub(super) text: String,
    pub(super) tree: Option<gotmpl::Tree>,
    pub(super) parse_error: Option<gotmpl::Error>,
}

impl Source {
    fn base_name(&self) -> &str {
        self.rel.rsplit('/').next().unwrap_or(&self.rel)
    }

    /// Rendered to a manifest (not a partial, not NOTES.txt).
    pub(super) fn renders(&self) -> bool {
        !self.base_name().starts_with('_') && self.base_name() != "NOTES.txt"
    }
}

pub(super) fn read_templates(chart: &ChartFiles, rep: &mut Report) -> Vec<Source> {
    let mut out = Vec::new();
    for rel in chart.under("templates") {
        let path = chart.path_of(rel);
        match chart.text(rel) {
            Some(Ok(text)) => {
                rep.touch(&path);
                out.push(Source {
                    rel: rel.to_owned(),
                    path,
                    text: text.to_owned(),
                    tree: None,
                    parse_error: None,
                });
            }
            _ => rep.add(
                &path,
                Diagnostic::error("chart/render", Pos::new(1, 1), "template is not UTF-8 text"),
            ),
        }
    }
    out
}

/// Functions whose arguments are tests or fallbacks: a missing value there
/// is what the function is for.
const GUARDS: &[&str] = &[
    "default", "coalesce", "required", "hasKey", "empty", "and", "or", "not", "ternary", "kindIs",
    "typeIs", "kindOf", "typeOf", "eq", "ne",
];

/// `.Values` paths referenced where `.` (or `$`) is the chart's root and
/// nothing guards them, with the offset of each reference. Guarded: an
/// argument of a [`GUARDS`] function (or piped into one), the test of an
/// `if`/`with`/`range`, and in the body of an `if`/`with` any path above or
/// below one its test checked (`hasKey .Values.a "b"` checks `a.b`).
pub(super) fn value_refs(tree: &gotmpl::Tree) -> Vec<(Vec<String>, usize)> {
    let mut out = Vec::new();
    let mut guards = Vec::new();
    refs_in_items(&tree.items, true, &mut guards, &mut out);
    for d in &tree.defines {
        refs_in_items(&d.body, true, &mut guards, &mut out);
    }
    out
}

type Refs = Vec<(Vec<String>, usize)>;

fn refs_in_items(list: &[gotmpl::Item], root: bool, guards: &mut Vec<Vec<String>>, out: &mut Refs) {
    use gotmpl::Item;
    for item in list {
        match item {
            Item::Text(_) | Item::Control { .. } => {}
            Item::Action(p) => refs_in_pipe(p, root, false, guards, out),
            Item::If { branches, els, .. } => {
                let depth = guards.len();
                for (cond, body) in branches {
                    tested(cond, root, guards);
                    refs_in_items(body, root, guards, out);
                }
                refs_in_items(els, root, guards, out);
                guards.truncate(depth);
            }
            Item::With {
                pipe: p, body, els, ..
            } => {
                let depth = guards.len();
                tested(p, root, guards);
                refs_in_items(body, false, guards, out);
                refs_in_items(els, root, guards, out);
                guards.truncate(depth);
            }
            Item::Range {
                pipe: p, body, els, ..
            } => {
                // Ranging over a missing value runs no iteration.
                refs_in_items(body, false, guards, out);
                refs_in_items(els, root, guards, out);
                let _ = p;
            }
            Item::Template { arg, .. } => {
                if let Some(p) = arg {
                    refs_in_pipe(p, root, false, guards, out);
                }
            }
        }
    }
}

/// The paths a test checks become guards.
fn tested(p: &gotmpl::Pipe, root: bool, guards: &mut Vec<Vec<String>>) {
    fn all(p: &gotmpl::Pipe, root: bool, guards: &mut Vec<Vec<String>>) {
        for cmd in &p.cmds {
            // `hasKey M "k"` checks M.k, not all of M (added below).
            if matches!(cmd.args.first(), Some(gotmpl::Arg::Func { name, .. }) if name == "hasKey")
            {
                continue;
            }
            for arg in &cmd.args {
                match arg {
                    gotmpl::Arg::Sub { pipe, .. } => all(pipe, root, guards),
                    other => guards.extend(values_path(other, root).filter(|p| !p.is_empty())),
                }
            }
        }
    }
    all(p, root, guards);
    for cmd in &p.cmds {
        if let [
            gotmpl::Arg::Func { name, .. },
            target,
            gotmpl::Arg::Lit {
                value: J::String(key),
                ..
            },
        ] = cmd.args.as_slice()
            && name == "hasKey"
            && let Some(mut path) = values_path(target, root)
        {
            path.push(key.clone());
            guards.push(path);
        }
    }
}

fn values_path(arg: &gotmpl::Arg, root: bool) -> Option<Vec<String>> {
    let chain = match arg {
        gotmpl::Arg::Field { chain, .. } if root => chain,
        gotmpl::Arg::Var { name, chain, .. } if name.is_empty() => chain,
        _ => return None,
    };
    (chain.first().map(String::as_str) == Some("Values")).then(|| chain[1..].to_vec())
}

fn refs_in_pipe(
    p: &gotmpl::Pipe,
    root: bool,
    guarded: bool,
    guards: &mut Vec<Vec<String>>,
    out: &mut Refs,
) {
    let is_guard = |cmd: &gotmpl::Cmd| matches!(cmd.args.first(), Some(gotmpl::Arg::Func { name, .. }) if GUARDS.contains(&name.as_str()));
    for (i, cmd) in p.cmds.iter().enumerate() {
        // `.Values.x | default 1`: the value flows into a guard.
        let guarded = guarded || is_guard(cmd) || p.cmds[i + 1..].iter().any(is_guard);
        for arg in &cmd.args {
            match arg {
                gotmpl::Arg::Sub { pipe: inner, .. } => {
                    refs_in_pipe(inner, root, guarded, guards, out)
                }
                other => {
                    if let Some(path) = values_path(other, root)
                        && !path.is_empty()
                        && !guarded
                        && !guards
                            .iter()
                            .any(|g| path.starts_with(g) || g.starts_with(&path))
                    {
                        out.push((path, other.at()));
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------- missing values

/// `.Values.<path>` is defined in the merged values? A finding if not.
pub(super) fn missing_value(values: &J, path: &[String], pos: Pos) -> Option<Diagnostic> {
    let mut cur = values;
    for (i, seg) in path.iter().enumerate() {
        let here = format!(".Values.{}", path[..i].join("."));
        let here = here.trim_end_matches('.');
        let full = format!(".Values.{}", path.join("."));
        let message = match cur {
            J::Object(m) => match m.get(seg) {
                Some(v) => {
                    cur = v;
                    continue;
                }
                None => {
                    let keys: Vec<&str> = m.keys().map(String::as_str).collect();
                    let near = closest(seg, &keys)
                        .map(|k| format!("; did you mean `{k}`?"))
                        .unwrap_or_default();
                    if keys.is_empty() {
                        format!("`{full}` is not defined in the chart's values (`{here}` is empty)")
                    } else {
                        format!(
                            "`{full}` is not defined in the chart's values (`{here}` has {}){near}",
                            ticked(&keys)
                        )
                    }
                }
            },
            J::Null => format!("`{full}` is not defined in the chart's values (`{here}` is null)"),
            other => format!(
                "`{full}` is not defined in the chart's values (`{here}` is {}, not a mapping)",
                json_kind(other)
            ),
        };
        return Some(
            Diagnostic::error("chart/missing-value", pos, message)
                .with_hint("define every value the templates use in values.yaml (helm renders a missing value as an empty string, and fails on a missing parent)"),
        );
    }
    None
}

fn ticked(keys: &[&str]) -> String {
    keys.iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn json_kind(v: &J) -> &'static str {
    match v {
        J::Null => "null",
        J::Bool(_) => "a boolean",
        J::Number(_) => "a number",
        J::String(_) => "a string",
        J::Array(_) => "a list",
        J::Object(_) => "a mapping",
    }
}

/// The candidate within edit distance 2 (case-insensitive), if any.
fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let w = word.to_lowercase();
    candidates
        .iter()
        .map(|c| (strsim::levenshtein(&w, &c.to_lowercase()), *c))
        .filter(|(d, _)| *d <= 2 && *d < w.chars().count())
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

// ---------------------------------------------------------------- object names

/// A rendered object's `metadata.name` that Kubernetes refuses (helm lint
/// only warns, to allow old clusters; no Kubernetes version accepts these).
pub(super) fn object_name(doc: &crate::validate::yaml::Document) -> Vec<Diagnostic> {
    let Some(meta) = doc.root.get("metadata") else {
        return Vec::new();
    };
    let Some(node) = meta.get("name") else {
        return Vec::new();
    };
    let Some(name) = node.as_str() else {
        return Vec::new();
    };
    if name.contains("{{") || (name.is_empty() && meta.get("generateName").is_some()) {
        return Vec::new();
    }
    let kind = doc.root.get("kind").and_then(|k| k.as_str()).unwrap_or("");
    let problem = match kind.to_ascii_lowercase().as_str() {
        "service" => (!dns_label(name)).then_some(
            "a Service name must be a DNS-1035 label: at most 63 lowercase letters, digits and `-`, starting with a letter",
        ),
        "role" | "clusterrole" | "rolebinding" | "clusterrolebinding" => {
            (name.is_empty() || name == "." || name == ".." || name.contains('/') || name.contains('%'))
                .then_some("an RBAC object's name must be a path segment (not empty, `.`, `..`, no `/` or `%`)")
        }
        "certificatesigningrequest" => None,
        _ => (!dns_subdomain(name)).then_some(
            "a name must be a DNS subdomain: at most 253 lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit",
        ),
    };
    match problem {
        Some(why) => vec![
            Diagnostic::error(
                "chart/object-name",
                node.pos,
                format!("object name `{name}` is not valid: {why}"),
            )
            .with_hint("the API server refuses it; `helm lint` warns about it too")
            .with_pointer("/metadata/name")
            .with_document(doc.index),
        ],
        None => Vec::new(),
    }
}

fn dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && s.as_bytes()[0].is_ascii_lowercase()
        && !s.ends_with('-')
}

fn dns_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

// ---------------------------------------------------------------- unsupported constructs

const FUNCS: &[&str] = &[
    "include",
    "toYaml",
    "indent",
    "nindent",
    "quote",
    "squote",
    "default",
    "not",
    "and",
    "or",
    "trunc",
    "trimSuffix",
    "upper",
    "lower",
    "trim",
];
const RELEASE_FIELDS: &[&str] = &[
    "Name",
    "Namespace",
    "Service",
    "IsInstall",
    "IsUpgrade",
    "Revision",
];
const CHART_FIELDS: &[&str] = &[
    "Name",
    "Version",
    "AppVersion",
    "Description",
    "APIVersion",
    "Type",
    "KubeVersion",
    "Home",
    "Icon",
    "Deprecated",
    "Keywords",
    "Sources",
    "Maintainers",
    "Dependencies",
    "Annotations",
];
const TEMPLATE_FIELDS: &[&str] = &["Name", "BasePath"];

/// Where named templates live: name → (source index, body).
pub(super) type Defines<'a> = HashMap<String, (usize, &'a [gotmpl::Item])>;

/// Constructs outside the built-in subset reachable from `items`:
/// (source index, offset, description).
pub(super) fn unsupported<'a>(
    items: &'a [gotmpl::Item],
    file: usize,
    defines: &Defines<'a>,
    visited: &mut HashSet<String>,
    out: &mut Vec<(usize, usize, String)>,
) {
    use gotmpl::Item;
    for item in items {
        match item {
            Item::Text(_) => {}
            Item::Action(p) => unsupported_pipe(p, file, defines, visited, out),
            Item::If { branches, els, .. } => {
                for (cond, body) in branches {
                    unsupported_pipe(cond, file, defines, visited, out);
                    unsupported(body, file, defines, visited, out);
                }
                unsupported(els, file, defines, visited, out);
            }
            Item::With { at, .. } => out.push((file, *at, "`with`".to_owned())),
            Item::Range { at, .. } => out.push((file, *at, "`range`".to_owned())),
            Item::Control { keyword, at } => out.push((file, *at, format!("`{keyword}`"))),
            Item::Template {
                name,
                arg,
                at,
                keyword,
            } => {
                if *keyword == "block" {
                    out.push((file, *at, "`block`".to_owned()));
                    continue;
                }
                if let Some(p) = arg {
                    unsupported_pipe(p, file, defines, visited, out);
                }
                follow(name, file, defines, visited, out);
            }
        }
    }
}

fn follow<'a>(
    name: &str,
    _from: usize,
    defines: &Defines<'a>,
    visited: &mut HashSet<String>,
    out: &mut Vec<(usize, usize, String)>,
) {
    if let Some((f, body)) = defines.get(name)
        && visited.insert(name.to_owned())
    {
        unsupported(body, *f, defines, visited, out);
    }
}

fn unsupported_pipe<'a>(
    p: &gotmpl::Pipe,
    file: usize,
    defines: &Defines<'a>,
    visited: &mut HashSet<String>,
    out: &mut Vec<(usize, usize, String)>,
) {
    use gotmpl::Arg;
    if let Some((name, at)) = p.decls.first() {
        out.push((file, *at, format!("variable declaration `{name} :=`")));
    }
    for cmd in &p.cmds {
        for (i, arg) in cmd.args.iter().enumerate() {
            match arg {
                Arg::Func { name, at } => {
                    if !FUNCS.contains(&name.as_str()) {
                        out.push((file, *at, format!("function `{name}`")));
                    } else if name == "include" && i == 0 {
                        match cmd.args.get(1) {
                            Some(Arg::Lit {
                                value: J::String(n),
                                ..
                            }) => follow(n, file, defines, visited, out),
                            _ => out.push((
                                file,
                                *at,
                                "`include` with a computed template name".to_owned(),
                            )),
                        }
                    }
                }
                Arg::Var { name, at, .. } if !name.is_empty() => {
                    out.push((file, *at, format!("variable `${name}`")))
                }
                Arg::Field { chain, at } => {
                    let bad = match chain.first().map(String::as_str) {
                        Some("Capabilities" | "Files" | "Subcharts") => Some(1),
                        Some("Release")
                            if chain.len() > 1 && !RELEASE_FIELDS.contains(&chain[1].as_str()) =>
                        {
                            Some(2)
                        }
                        Some("Chart")
                            if chain.len() > 1 && !CHART_FIELDS.contains(&chain[1].as_str()) =>
                        {
                            Some(2)
                        }
                        Some("Template")
                            if chain.len() > 1 && !TEMPLATE_FIELDS.contains(&chain[1].as_str()) =>
                        {
                            Some(2)
                        }
                        _ => None,
                    };
                    if let Some(n) = bad {
                        out.push((file, *at, format!("`.{}`", chain[..n].join("."))));
                    }
                }
                Arg::Sub { pipe, .. } => unsupported_pipe(pipe, file, defines, visited, out),
                Arg::Unsupported { what, at } => out.push((file, *at, what.clone())),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::chart::values::load_values;

    #[test]
    fn value_refs_skip_rebound_dot() {
        let t = "{{ .Values.a.b }}{{ if .Values.c }}{{ default 1 (.Values.d.e) }}{{ end }}\
                 {{ with .Values.f }}{{ .g }}{{ .Values.notroot }}{{ $.Values.h }}{{ else }}{{ .Values.i }}{{ end }}\
                 {{ range .Values.j }}{{ .k }}{{ end }}{{ define \"x\" }}{{ .Values.l }}{{ end }}{{ .Values }}";
        let tree = gotmpl::parse(t).unwrap();
        let refs: Vec<String> = value_refs(&tree)
            .into_iter()
            .map(|(p, _)| p.join("."))
            .collect();
        assert_eq!(refs, ["a.b", "h", "i", "l"]);
    }

    #[test]
    fn guarded_references_are_not_reported() {
        let t = "{{ if hasKey .Values \"x\" }}{{ .Values.x.y }}{{ end }}\
                 {{ if hasKey .Values.o \"p\" }}{{ .Values.o.p.q }}{{ .Values.o.other }}{{ end }}\
                 {{ .Values.p | default \"q\" | quote }}{{ coalesce .Values.m .Values.n }}{{ required \"r\" .Values.r }}\
                 {{ if and .Values.s .Values.s.t }}{{ .Values.s.t.u }}{{ end }}\
                 {{ if or .Values.v1 .Values.v2 }}{{ .Values.v1.deep }}{{ end }}\
                 {{ if not .Values.n1 }}{{ .Values.n1.z }}{{ end }}\
                 {{ with .Values.w }}{{ $.Values.w.z }}{{ end }}\
                 {{ .Values.after }}{{ if .Values.g1 }}{{ end }}{{ .Values.g1.later }}";
        let tree = gotmpl::parse(t).unwrap();
        let refs: Vec<String> = value_refs(&tree)
            .into_iter()
            .map(|(p, _)| p.join("."))
            .collect();
        // Unguarded: a sibling of the checked key, and references outside the guard's body.
        assert_eq!(refs, ["o.other", "after", "g1.later"]);
    }

    #[test]
    fn missing_value_messages() {
        let (_, v) = load_values("a: {b: 1, c: ~}\ns: text\n");
        let p = |s: &str| s.split('.').map(str::to_owned).collect::<Vec<_>>();
        assert!(missing_value(&v, &p("a.b"), Pos::new(1, 1)).is_none());
        assert!(
            missing_value(&v, &p("a.c"), Pos::new(1, 1)).is_none(),
            "defined as null is defined"
        );
        let m = |path: &str| missing_value(&v, &p(path), Pos::new(3, 4)).unwrap();
        assert_eq!((m("a.x").line, m("a.x").column), (3, 4));
        assert!(
            m("a.x").message.contains("`.Values.a` has `b`, `c`"),
            "{}",
            m("a.x").message
        );
        assert!(
            m("a.c.d").message.contains("`.Values.a.c` is null"),
            "{}",
            m("a.c.d").message
        );
        assert!(
            m("s.x").message.contains("is a string, not a mapping"),
            "{}",
            m("s.x").message
        );
        assert!(
            m("zz").message.contains("`.Values.zz`"),
            "{}",
            m("zz").message
        );
    }
}
