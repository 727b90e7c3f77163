//! `Chart.yaml` judged by helm's own rules (`helm lint`'s Chart.yaml rules
//! and the loader's validation), and `.Chart` as templates see it.
//!
//! What helm calls an error is an error here; what `helm lint` calls a
//! warning (a version that is SemVer but not strict SemVer 2, unknown or
//! duplicate fields) is a warning, and its infos (no `icon`) are not
//! reported. `apiVersion: v1` and a missing `appVersion` are fine.

use serde_json::{Map, Value as J};

use super::gofmt::go_print;
use crate::validate::diagnostic::{Diagnostic, Pos, Severity};
use crate::validate::yaml::{self, Node, Value};

/// A dependency declared in Chart.yaml (or a v1 chart's requirements.yaml).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Dependency {
    pub(super) name: String,
    pub(super) alias: Option<String>,
    pub(super) pos: Pos,
}

#[derive(Debug, Clone, Default)]
pub(super) struct ChartMeta {
    pub(super) name: Option<String>,
    /// `.Chart` as templates see it (Go field names).
    pub(super) object: Map<String, J>,
    pub(super) api_version: Option<String>,
    pub(super) dependencies: Vec<Dependency>,
    /// `type: library`.
    pub(super) library: bool,
    /// Chart.yaml was read (it parsed as YAML).
    pub(super) readable: bool,
}

/// Fields of helm's `Metadata` (anything else fails its strict parse).
const FIELDS: &[&str] = &[
    "name",
    "home",
    "sources",
    "version",
    "description",
    "keywords",
    "maintainers",
    "icon",
    "apiVersion",
    "condition",
    "tags",
    "appVersion",
    "deprecated",
    "annotations",
    "kubeVersion",
    "dependencies",
    "type",
];

/// A version helm accepts (Masterminds' `NewVersion`: `v` prefix, missing
/// minor or patch allowed).
fn is_loose_semver(v: &str) -> bool {
    let v = v.strip_prefix('v').unwrap_or(v);
    let (rest, build) = match v.split_once('+') {
        Some((r, b)) => (r, Some(b)),
        None => (v, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (rest, None),
    };
    let ident = |s: &str| {
        s.split('.')
            .all(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    };
    let parts: Vec<&str> = core.split('.').collect();
    (1..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && pre.is_none_or(ident)
        && build.is_none_or(ident)
}

/// Strict semantic versioning 2.0.0: `MAJOR.MINOR.PATCH[-pre][+build]`.
fn is_strict_semver(v: &str) -> bool {
    semver::Version::parse(v).is_ok()
}

/// helm's chart name rule: lowercase letters, digits and dashes, starting
/// and ending with a letter or digit.
fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

fn is_url(s: &str) -> bool {
    url::Url::parse(s).is_ok_and(|u| u.has_host() || u.scheme() == "file")
}

fn is_email(s: &str) -> bool {
    s.split_once('@').is_some_and(|(user, host)| {
        !user.is_empty() && host.contains('.') && !host.starts_with('.') && !s.contains(' ')
    })
}

struct Out {
    diags: Vec<Diagnostic>,
}

impl Out {
    fn error(&mut self, code: &str, pos: Pos, pointer: &str, message: String, hint: &str) {
        self.diags.push(
            Diagnostic::error(code, pos, message)
                .with_hint(hint)
                .with_pointer(pointer),
        );
    }
    fn warning(&mut self, code: &str, pos: Pos, pointer: &str, message: String, hint: &str) {
        self.diags.push(
            Diagnostic::warning(code, pos, message)
                .with_hint(hint)
                .with_pointer(pointer),
        );
    }
}

/// Check Chart.yaml. `requirements` is a v1 chart's requirements.yaml, if any.
pub(super) fn check_chart_yaml(
    text: &str,
    requirements: Option<&str>,
) -> (Vec<Diagnostic>, ChartMeta) {
    let parsed = yaml::parse(text);
    // helm reads Chart.yaml leniently (a duplicate key is a warning of its
    // strict parse), so YAML findings other than syntax errors are warnings.
    let mut out = Out {
        diags: parsed
            .diagnostics
            .iter()
            .cloned()
            .map(|mut d| {
                if d.code != "yaml/syntax" && d.severity == Severity::Error {
                    d.severity = Severity::Warning;
                }
                d
            })
            .collect(),
    };
    let mut meta = ChartMeta::default();
    if parsed.diagnostics.iter().any(|d| d.code == "yaml/syntax") {
        return (out.diags, meta);
    }
    meta.readable = true;
    let empty = Node::new(Value::Map(Vec::new()), Pos::new(1, 1));
    let root = parsed.documents.first().map_or(&empty, |d| &d.root);
    let top = if root.as_map().is_some() {
        root.pos
    } else {
        Pos::new(1, 1)
    };
    let hint_quote =
        "quote it, e.g. `version: \"0.1.0\"`: unquoted, YAML reads `1.10` as the number 1.1";

    // Fields helm does not know: a warning (`helm lint`: "failed to strictly parse").
    for (k, _) in root.as_map().unwrap_or_default() {
        let key = k.key_string();
        if !FIELDS.contains(&key.as_str()) {
            out.warning(
                "chart/unknown-field",
                k.pos,
                &format!("/{key}"),
                format!("Chart.yaml has a field helm does not know: `{key}`"),
                "helm ignores it; remove it or move it under `annotations`",
            );
        }
    }

    // apiVersion
    match root.entry("apiVersion") {
        None => out.error(
            "chart/api-version",
            top,
            "/apiVersion",
            "Chart.yaml has no `apiVersion`; it must be `v1` or `v2`".into(),
            "set `apiVersion: v2`",
        ),
        Some((_, v)) => match v.as_str() {
            Some(s @ ("v1" | "v2")) => meta.api_version = Some(s.to_owned()),
            _ => out.error(
                "chart/api-version",
                v.pos,
                "/apiVersion",
                format!(
                    "Chart.yaml has `apiVersion: {}`; it must be `v1` or `v2`",
                    v.key_string()
                ),
                "set `apiVersion: v2`",
            ),
        },
    }

    // name
    let name_hint = "chart names are lowercase letters, digits and dashes, e.g. `todo-app`";
    match root.entry("name") {
        Some((_, v)) if v.as_str().is_some_and(|s| !s.is_empty()) => {
            let name = v.as_str().unwrap_or_default();
            meta.name = Some(name.to_owned());
            if name.contains('/') || name.contains('\\') || name == "." || name == ".." {
                out.error(
                    "chart/name",
                    v.pos,
                    "/name",
                    format!("chart name `{name}` is invalid: it is a path"),
                    name_hint,
                );
            } else if !is_valid_name(name) {
                out.error(
                    "chart/name",
                    v.pos,
                    "/name",
                    format!("chart name `{name}` is invalid: {name_hint}"),
                    "helm lint rejects it; rename the chart",
                );
            }
        }
        Some((k, v)) => out.error(
            "chart/name",
            if v.is_null() { k.pos } else { v.pos },
            "/name",
            "Chart.yaml's `name` is empty or not a string".into(),
            name_hint,
        ),
        None => out.error(
            "chart/name",
            top,
            "/name",
            "Chart.yaml has no `name`".into(),
            name_hint,
        ),
    }

    // version: a string, SemVer (helm's loose parse); strict SemVer 2 is a warning.
    match root.entry("version") {
        None => out.error(
            "chart/version",
            top,
            "/version",
            "Chart.yaml has no `version`".into(),
            "set the chart's semantic version, e.g. `version: 0.1.0`",
        ),
        Some((k, v)) => match v.as_str() {
            Some(s) if is_strict_semver(s) => {}
            Some(s) if is_loose_semver(s) => out.warning(
                "chart/version",
                v.pos,
                "/version",
                format!("chart version `{s}` is not strict SemVer 2 (MAJOR.MINOR.PATCH)"),
                "helm accepts it; `helm lint` warns",
            ),
            Some(s) => out.error(
                "chart/version",
                v.pos,
                "/version",
                format!(
                    "chart version `{s}` is not a semantic version (MAJOR.MINOR.PATCH, e.g. 0.1.0)"
                ),
                "helm refuses to load the chart",
            ),
            None => out.error(
                "chart/version",
                if v.is_null() { k.pos } else { v.pos },
                "/version",
                format!(
                    "chart version is {}, not a string",
                    if v.is_null() {
                        "empty".to_owned()
                    } else {
                        format!("a {}", v.kind_name())
                    }
                ),
                hint_quote,
            ),
        },
    }

    // appVersion: optional; a string when present.
    if let Some((_, v)) = root.entry("appVersion")
        && !v.is_null()
        && v.as_str().is_none()
    {
        out.error(
            "chart/app-version",
            v.pos,
            "/appVersion",
            format!("`appVersion` is a {}, not a string", v.kind_name()),
            "quote it, e.g. `appVersion: \"1.10\"`: unquoted, YAML reads `1.10` as the number 1.1",
        );
    }

    // type: application or library, and only in v2.
    if let Some((_, v)) = root.entry("type")
        && !v.is_null()
    {
        let t = v.as_str().unwrap_or_default();
        if meta.api_version.as_deref() != Some("v2") {
            out.error(
                "chart/type",
                v.pos,
                "/type",
                "`type` is only valid in charts with `apiVersion: v2`".into(),
                "set `apiVersion: v2`, or remove `type`",
            );
        }
        if t != "application" && t != "library" {
            out.error(
                "chart/type",
                v.pos,
                "/type",
                format!(
                    "chart type `{}` is invalid: it must be `application` or `library`",
                    v.key_string()
                ),
                "helm refuses to load the chart",
            );
        }
        meta.library = t == "library";
    }

    // maintainers
    if let Some(list) = root.get("maintainers").and_then(Node::as_seq) {
        for (i, m) in list.iter().enumerate() {
            let ptr = format!("/maintainers/{i}");
            let name = m.get("name").and_then(Node::as_str).unwrap_or_default();
            if m.as_map().is_none_or(<[_]>::is_empty) {
                out.error(
                    "chart/maintainers",
                    m.pos,
                    &ptr,
                    "a maintainer entry is empty".into(),
                    "give each maintainer a `name`",
                );
            } else if name.is_empty() {
                out.error(
                    "chart/maintainers",
                    m.pos,
                    &ptr,
                    "each maintainer needs a `name`".into(),
                    "give each maintainer a `name`",
                );
            } else if let Some(e) = m
                .get("email")
                .filter(|e| e.as_str().is_some_and(|s| !s.is_empty()))
                && !is_email(e.as_str().unwrap_or_default())
            {
                out.error(
                    "chart/maintainers",
                    e.pos,
                    &format!("{ptr}/email"),
                    format!(
                        "invalid email `{}` for maintainer `{name}`",
                        e.as_str().unwrap_or_default()
                    ),
                    "use an address like `name@example.com`",
                );
            } else if let Some(u) = m
                .get("url")
                .filter(|u| u.as_str().is_some_and(|s| !s.is_empty()))
                && !is_url(u.as_str().unwrap_or_default())
            {
                out.error(
                    "chart/maintainers",
                    u.pos,
                    &format!("{ptr}/url"),
                    format!(
                        "invalid url `{}` for maintainer `{name}`",
                        u.as_str().unwrap_or_default()
                    ),
                    "use an absolute URL",
                );
            }
        }
    }
    // sources, icon
    if let Some(list) = root.get("sources").and_then(Node::as_seq) {
        for (i, s) in list.iter().enumerate() {
            let text = s.as_str().unwrap_or_default();
            if !is_url(text) {
                out.error(
                    "chart/sources",
                    s.pos,
                    &format!("/sources/{i}"),
                    format!("invalid source URL `{text}`"),
                    "use an absolute URL",
                );
            }
        }
    }
    if let Some(icon) = root.get("icon").and_then(Node::as_str)
        && !icon.is_empty()
        && !is_url(icon)
    {
        out.error(
            "chart/icon",
            root.get("icon").map_or(top, |n| n.pos),
            "/icon",
            format!("invalid icon URL `{icon}`"),
            "use an absolute URL",
        );
    }

    // dependencies: Chart.yaml in v2, requirements.yaml in v1.
    let v1 = meta.api_version.as_deref() == Some("v1");
    if let Some(deps) = root.get("dependencies").filter(|d| !d.is_null()) {
        if meta.api_version.as_deref() != Some("v2") {
            out.error(
                "chart/dependencies",
                deps.pos,
                "/dependencies",
                "`dependencies` are only valid in Chart.yaml with `apiVersion: v2`".into(),
                "set `apiVersion: v2`, or move them to requirements.yaml (Helm 2)",
            );
        }
        meta.dependencies = read_dependencies(deps, &mut out);
    }
    if v1
        && meta.dependencies.is_empty()
        && let Some(req) = requirements
    {
        let parsed = yaml::parse(req);
        if let Some(deps) = parsed
            .documents
            .first()
            .and_then(|d| d.root.get("dependencies"))
        {
            let mut scratch = Out { diags: Vec::new() };
            meta.dependencies = read_dependencies(deps, &mut scratch);
        }
    }
    let mut seen = std::collections::HashSet::new();
    for d in &meta.dependencies {
        let key = d.alias.as_deref().unwrap_or(&d.name);
        if !seen.insert(key.to_owned()) {
            out.error(
                "chart/dependencies",
                d.pos,
                "/dependencies",
                format!("more than one dependency is named or aliased `{key}`"),
                "give one of them a distinct `alias`",
            );
        }
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
    (out.diags, meta)
}

fn read_dependencies(deps: &Node, out: &mut Out) -> Vec<Dependency> {
    let mut found = Vec::new();
    for (i, d) in deps.as_seq().unwrap_or_default().iter().enumerate() {
        match d
            .get("name")
            .and_then(Node::as_str)
            .filter(|s| !s.is_empty())
        {
            Some(name) => found.push(Dependency {
                name: name.to_owned(),
                alias: d
                    .get("alias")
                    .and_then(Node::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
                pos: d.pos,
            }),
            None => out.error(
                "chart/dependencies",
                d.pos,
                &format!("/dependencies/{i}"),
                "a dependency has no `name`".into(),
                "each dependency needs `name`, `version` and `repository`",
            ),
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Vec<(String, Severity, usize)> {
        check_chart_yaml(text, None)
            .0
            .iter()
            .map(|d| (d.code.clone(), d.severity, d.line))
            .collect()
    }

    fn e(code: &str, line: usize) -> (String, Severity, usize) {
        (code.to_owned(), Severity::Error, line)
    }

    fn w(code: &str, line: usize) -> (String, Severity, usize) {
        (code.to_owned(), Severity::Warning, line)
    }

    #[test]
    fn helm_accepts_v1_and_no_app_version() {
        assert_eq!(codes("apiVersion: v1\nname: x\nversion: 0.1.0\n"), []);
        assert_eq!(
            codes("apiVersion: v2\nname: x\nversion: 0.1.0\nappVersion: \"1\"\n"),
            []
        );
    }

    #[test]
    fn chart_yaml_missing_fields() {
        assert_eq!(
            codes("description: x\n"),
            [
                e("chart/api-version", 1),
                e("chart/name", 1),
                e("chart/version", 1)
            ]
        );
    }

    #[test]
    fn refuses_what_helm_refuses() {
        assert_eq!(
            codes(
                "apiVersion: v3\nname: Todo_App\nversion: one\nappVersion: 1.10\ntype: Library\n"
            ),
            [
                e("chart/api-version", 1),
                e("chart/name", 2),
                e("chart/version", 3),
                e("chart/app-version", 4),
                e("chart/type", 5),
                e("chart/type", 5),
            ]
        );
        assert_eq!(
            codes("apiVersion: v2\nname: ../x\nversion: 1.0.0\n"),
            [e("chart/name", 2)]
        );
        assert_eq!(
            codes(
                "apiVersion: v1\nname: x\nversion: 1.0.0\ntype: application\ndependencies:\n- name: a\n"
            ),
            [e("chart/type", 4), e("chart/dependencies", 6)]
        );
        assert_eq!(
            codes(
                "apiVersion: v2\nname: x\nversion: 1.0.0\nsources: [\"not a url\"]\nicon: nope\nmaintainers:\n- email: a@b.c\n"
            ),
            [
                e("chart/maintainers", 7),
                e("chart/sources", 4),
                e("chart/icon", 5)
            ]
        );
        assert_eq!(
            codes(
                "apiVersion: v2\nname: x\nversion: 1.0.0\ndependencies:\n- name: a\n- name: b\n  alias: a\n"
            ),
            [e("chart/dependencies", 6)]
        );
    }

    #[test]
    fn warnings_stay_warnings() {
        assert_eq!(
            codes("apiVersion: v2\nname: x\nversion: \"1.0\"\nengine: gotpl\n"),
            [w("chart/unknown-field", 4), w("chart/version", 3)]
        );
        let dup = codes("apiVersion: v2\napiVersion: v1\nname: x\nversion: 1.0.0\n");
        assert!(
            dup.iter().all(|(_, s, _)| *s == Severity::Warning),
            "{dup:?}"
        );
        assert_eq!(dup.len(), 1, "{dup:?}");
    }

    #[test]
    fn v1_requirements_are_dependencies() {
        let (d, meta) = check_chart_yaml(
            "apiVersion: v1\nname: x\nversion: 0.1.0\n",
            Some("dependencies:\n- name: alpine\n  version: 0.1.0\n"),
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(meta.dependencies.len(), 1);
        assert_eq!(meta.dependencies[0].name, "alpine");
    }

    #[test]
    fn versions() {
        for ok in ["0.1.0", "1.0.0-alpha.1", "1.0.0-beta+exp.sha.5114f85"] {
            assert!(is_strict_semver(ok) && is_loose_semver(ok), "{ok}");
        }
        for loose in ["1", "1.0", "v1.0.0"] {
            assert!(
                !is_strict_semver(loose) && is_loose_semver(loose),
                "{loose}"
            );
        }
        for bad in ["one", "1.0.0.0", "1..0", "", "1.0.0-", "1.0.0+"] {
            assert!(!is_loose_semver(bad), "{bad}");
        }
    }
}
