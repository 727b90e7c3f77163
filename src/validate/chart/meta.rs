//! `Chart.yaml`: the chart's own rules, and `.Chart` as templates see it.

use serde_json::{Map, Value as J};

use super::render::go_print;
use crate::validate::diagnostic::{Diagnostic, Pos};
use crate::validate::yaml::{self, Node, Value};

#[derive(Debug, Clone, Default)]
pub(super) struct ChartMeta {
    pub(super) name: Option<String>,
    /// `.Chart` as templates see it (Go field names).
    pub(super) object: Map<String, J>,
    /// No error in Chart.yaml.
    pub(super) valid: bool,
}

/// Strict semantic versioning 2.0.0: `MAJOR.MINOR.PATCH[-pre][+build]`.
fn is_semver(v: &str) -> bool {
    let (rest, build) = match v.split_once('+') {
        Some((r, b)) => (r, Some(b)),
        None => (v, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (rest, None),
    };
    let numeric = |s: &str| {
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'))
    };
    let ident =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| numeric(p))
        && pre.is_none_or(|p| {
            p.split('.')
                .all(|i| ident(i) && (!i.bytes().all(|b| b.is_ascii_digit()) || numeric(i)))
        })
        && build.is_none_or(|b| b.split('.').all(ident))
}

pub(super) fn check_chart_yaml(text: &str) -> (Vec<Diagnostic>, ChartMeta) {
    let parsed = yaml::parse(text);
    let mut out = parsed.diagnostics.clone();
    let mut meta = ChartMeta::default();
    let empty = Node::new(Value::Map(Vec::new()), Pos::new(1, 1));
    let root = parsed.documents.first().map_or(&empty, |d| &d.root);
    let top = if root.as_map().is_some() {
        root.pos
    } else {
        Pos::new(1, 1)
    };
    let hint_quote =
        "quote it, e.g. `version: \"0.1.0\"`: unquoted, YAML reads `1.10` as the number 1.1";

    // apiVersion
    match root.entry("apiVersion") {
        None => out.push(
            Diagnostic::error("chart/api-version", top, "Chart.yaml has no `apiVersion`")
                .with_hint("Helm 3 charts start with `apiVersion: v2`")
                .with_pointer("/apiVersion"),
        ),
        Some((_, v)) if v.as_str() != Some("v2") => out.push(
            Diagnostic::error(
                "chart/api-version",
                v.pos,
                format!(
                    "Chart.yaml has `apiVersion: {}`; Helm 3 charts use `v2`",
                    v.key_string()
                ),
            )
            .with_hint("`apiVersion: v1` is Helm 2's format; set `apiVersion: v2`")
            .with_pointer("/apiVersion"),
        ),
        Some(_) => {}
    }

    // name
    match root.entry("name") {
        Some((_, v)) if v.as_str().is_some_and(|s| !s.trim().is_empty()) => {
            let name = v.as_str().unwrap_or_default();
            meta.name = Some(name.to_owned());
            let dns = name.len() <= 63
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !name.starts_with('-')
                && !name.ends_with('-');
            if !dns {
                out.push(
                    Diagnostic::warning(
                        "chart/name",
                        v.pos,
                        format!("chart name `{name}` is not lowercase letters, digits and dashes"),
                    )
                    .with_hint("chart names become resource names and labels; use e.g. `todo-app`")
                    .with_pointer("/name"),
                );
            }
        }
        Some((k, v)) => out.push(
            Diagnostic::error(
                "chart/name",
                if v.is_null() { k.pos } else { v.pos },
                "Chart.yaml's `name` is empty or not a string",
            )
            .with_hint("set `name: todo-app` (the chart's folder name)")
            .with_pointer("/name"),
        ),
        None => out.push(
            Diagnostic::error("chart/name", top, "Chart.yaml has no `name`")
                .with_hint("set `name: todo-app` (the chart's folder name)")
                .with_pointer("/name"),
        ),
    }

    // version
    match root.entry("version") {
        None => out.push(
            Diagnostic::error("chart/version", top, "Chart.yaml has no `version`")
                .with_hint("set the chart's semantic version, e.g. `version: 0.1.0`")
                .with_pointer("/version"),
        ),
        Some((k, v)) => match v.as_str() {
            Some(s) if is_semver(s) => {}
            Some(s) => out.push(
                Diagnostic::error(
                    "chart/version",
                    v.pos,
                    format!("chart version `{s}` is not a semantic version (MAJOR.MINOR.PATCH, e.g. 0.1.0)"),
                )
                .with_hint("Helm requires SemVer 2 chart versions: `version: 0.1.0`")
                .with_pointer("/version"),
            ),
            None => out.push(
                Diagnostic::error(
                    "chart/version",
                    if v.is_null() { k.pos } else { v.pos },
                    format!("chart version is a {}, not a string", v.kind_name()),
                )
                .with_hint(hint_quote)
                .with_pointer("/version"),
            ),
        },
    }

    // appVersion
    match root.entry("appVersion") {
        None => out.push(
            Diagnostic::error("chart/app-version", top, "Chart.yaml has no `appVersion`")
                .with_hint("set the version of the application the chart deploys, quoted: `appVersion: \"1.0.0\"`")
                .with_pointer("/appVersion"),
        ),
        Some((k, v)) => match v.as_str() {
            Some(s) if !s.trim().is_empty() => {}
            _ => out.push(
                Diagnostic::error(
                    "chart/app-version",
                    if v.is_null() { k.pos } else { v.pos },
                    format!("`appVersion` is {}, not a non-empty string", if v.is_null() { "empty".to_owned() } else { format!("a {}", v.kind_name()) }),
                )
                .with_hint(hint_quote)
                .with_pointer("/appVersion"),
            ),
        },
    }

    // `.Chart` for templates: Go field names, "" for missing strings.
    let field = |k: &str| root.get(k).map(Node::to_json);
    let mut obj = Map::new();
    for (go, key) in [
        ("Name", "name"),
        ("Version", "version"),
        ("AppVersion", "appVersion"),
        ("Description", "description"),
        ("APIVersion", "apiVersion"),
        ("Type", "type"),
        ("KubeVersion", "kubeVersion"),
        ("Home", "home"),
        ("Icon", "icon"),
    ] {
        let v = match field(key) {
            Some(J::String(s)) => J::String(s),
            Some(J::Null) | None => J::String(String::new()),
            Some(other) => J::String(go_print(&other)),
        };
        obj.insert(go.to_owned(), v);
    }
    obj.insert(
        "Deprecated".to_owned(),
        J::Bool(
            root.get("deprecated")
                .and_then(Node::as_bool)
                .unwrap_or(false),
        ),
    );
    for (go, key) in [
        ("Keywords", "keywords"),
        ("Sources", "sources"),
        ("Maintainers", "maintainers"),
        ("Dependencies", "dependencies"),
    ] {
        obj.insert(go.to_owned(), field(key).unwrap_or(J::Null));
    }
    obj.insert(
        "Annotations".to_owned(),
        field("annotations").unwrap_or(J::Null),
    );
    meta.object = obj;
    meta.valid = !out.iter().any(Diagnostic::is_error);
    (out, meta)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::diagnostic::Severity;

    #[test]
    fn chart_yaml_missing_fields() {
        let (d, meta) = check_chart_yaml("description: x\n");
        let codes: Vec<(&str, usize, usize)> = d
            .iter()
            .map(|d| (d.code.as_str(), d.line, d.column))
            .collect();
        assert_eq!(
            codes,
            [
                ("chart/api-version", 1, 1),
                ("chart/name", 1, 1),
                ("chart/version", 1, 1),
                ("chart/app-version", 1, 1)
            ]
        );
        assert!(!meta.valid);
        let (d, meta) = check_chart_yaml(
            "apiVersion: v2\nname: Todo_App\nversion: 1.0.0-rc.1+b5\nappVersion: \"1\"\n",
        );
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(
            (d[0].code.as_str(), d[0].severity, d[0].line),
            ("chart/name", Severity::Warning, 2)
        );
        assert!(meta.valid);
        assert_eq!(meta.object["Name"], "Todo_App");
        assert_eq!(meta.object["Description"], "");
    }

    #[test]
    fn semver() {
        for ok in [
            "0.1.0",
            "1.2.3",
            "10.20.30",
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-0.3.7",
            "1.0.0+20130313144700",
            "1.0.0-beta+exp.sha.5114f85",
        ] {
            assert!(is_semver(ok), "{ok}");
        }
        for bad in [
            "one", "1", "1.0", "v1.0.0", "01.0.0", "1.0.0-", "1.0.0-01", "1.0.0+", "1.0.0.0",
            "1..0", "",
        ] {
            assert!(!is_semver(bad), "{bad}");
        }
    }
}
