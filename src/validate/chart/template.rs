//! Template-level checks: reading templates/, `.Values` paths that the
//! merged values do not define, and constructs outside the built-in
//! renderer's subset.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde_json::Value as J;

use super::Report;
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

pub(super) fn read_templates(
    dir: &Path,
    rep: &mut Report,
    path_of: &dyn Fn(&str) -> String,
) -> Vec<Source> {
    let mut found = Vec::new();
    collect_files(&dir.join("templates"), "templates", &mut found);
    found.sort();
    let mut out = Vec::new();
    for rel in found {
        let path = path_of(&rel);
        match std::fs::read(dir.join(&rel)).map(String::from_utf8) {
            Ok(Ok(text)) => {
                rep.touch(&path);
                out.push(Source {
                    rel,
                    path,
                    text,
                    tree: None,
                    parse_error: None,
                });
            }
            Ok(Err(_)) => rep.add(
                &path,
                Diagnostic::error("chart/render", Pos::new(1, 1), "template is not UTF-8 text"),
            ),
            Err(e) => rep.add(
                &path,
                Diagnostic::error(
                    "chart/render",
                    Pos::new(1, 1),
                    format!("cannot read template: {e}"),
                ),
            ),
        }
    }
    out
}

fn collect_files(dir: &Path, rel: &str, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let child = format!("{rel}/{name}");
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, &child, out);
        } else {
            out.push(child);
        }
    }
}

/// `.Values` paths referenced where `.` (or `$`) is the chart's root, with
/// the offset of each reference.
pub(super) fn value_refs(tree: &gotmpl::Tree) -> Vec<(Vec<String>, usize)> {
    use gotmpl::Item;
    fn items(list: &[Item], root: bool, out: &mut Vec<(Vec<String>, usize)>) {
        for item in list {
            match item {
                Item::Text(_) | Item::Control { .. } => {}
                Item::Action(p) => pipe(p, root, out),
                Item::If { branches, els, .. } => {
                    for (cond, body) in branches {
                        pipe(cond, root, out);
                        items(body, root, out);
                    }
                    items(els, root, out);
                }
                Item::With {
                    pipe: p, body, els, ..
                }
                | Item::Range {
                    pipe: p, body, els, ..
                } => {
                    pipe(p, root, out);
                    items(body, false, out);
                    items(els, root, out);
                }
                Item::Template { arg, .. } => {
                    if let Some(p) = arg {
                        pipe(p, root, out);
                    }
                }
            }
        }
    }
    fn pipe(p: &gotmpl::Pipe, root: bool, out: &mut Vec<(Vec<String>, usize)>) {
        for cmd in &p.cmds {
            for arg in &cmd.args {
                match arg {
                    gotmpl::Arg::Field { chain, at } if root => push(chain, *at, out),
                    gotmpl::Arg::Var { name, chain, at } if name.is_empty() => {
                        push(chain, *at, out)
                    }
                    gotmpl::Arg::Sub { pipe: inner, .. } => pipe(inner, root, out),
                    _ => {}
                }
            }
        }
    }
    fn push(chain: &[String], at: usize, out: &mut Vec<(Vec<String>, usize)>) {
        if chain.len() > 1 && chain[0] == "Values" {
            out.push((chain[1..].to_vec(), at));
        }
    }
    let mut out = Vec::new();
    items(&tree.items, true, &mut out);
    for d in &tree.defines {
        items(&d.body, true, &mut out);
    }
    out
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
    let w: Vec<char> = word.to_lowercase().chars().collect();
    candidates
        .iter()
        .map(|c| {
            (
                levenshtein(&w, &c.to_lowercase().chars().collect::<Vec<_>>()),
                *c,
            )
        })
        .filter(|(d, _)| *d <= 2 && *d < w.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn levenshtein(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
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
        assert_eq!(refs, ["a.b", "c", "d.e", "f", "h", "i", "j", "l"]);
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
