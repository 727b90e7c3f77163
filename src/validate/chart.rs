//! Helm charts: the chart's own rules, then every rendered document through
//! the strict schemas and the project's policies.
//!
//! [`check_chart`] checks, in order:
//! 1. `Chart.yaml`: `apiVersion: v2`, a name, a semantic version and an
//!    `appVersion` (`chart/api-version`, `chart/name`, `chart/version`,
//!    `chart/app-version`), plus its YAML findings;
//! 2. `values.yaml` and the `--values` files parse (`yaml/...` findings), and
//!    `--set` strings parse (`chart/set`);
//! 3. every `.Values.a.b` path a template references exists in the merged
//!    values (`chart/missing-value`, at the reference's line and column).
//!    helm itself does not check this: a missing leaf renders as an empty
//!    string. References are found statically in every template file,
//!    including `_helpers.tpl`, anywhere in a pipeline (`default`, `toYaml`,
//!    `if`, function arguments, sub-pipelines). Skipped, because `.` is not
//!    the chart's root there: references inside `range`/`with` bodies and
//!    through variables (`$v.x`); `$.Values.x` is always checked. Inside
//!    `define` bodies `.` is assumed to be the root (the `include "x" .`
//!    idiom);
//! 4. rendering, with `helm template` or the built-in renderer (below);
//! 5. each rendered template's YAML, strict schema findings and policy
//!    findings (all of [`policy::POLICIES`], cross-resource ones across the
//!    whole chart; `service-selector` is skipped when some template could not
//!    be rendered, since its workload may be the missing one).
//!
//! **Where findings go.** Chart-level findings are reported under the file
//! they are about (`DIR/Chart.yaml`, `DIR/values.yaml`, `DIR/templates/x.yaml`
//! with that file's own line and column). Findings about *rendered* documents
//! (YAML, schema, policies) are reported under `DIR/templates/x.yaml (rendered)`
//! (see [`RENDERED_SUFFIX`]) with line and column in the rendered text of that
//! template, i.e. in [`RenderedFile::text`], so a report can show the offending
//! rendered line; the template and the rendered output differ once helpers and
//! `toYaml` expand. Inline `# dockhand:ignore CODE reason` comments in a
//! template survive rendering, so they still apply to the rendered lines.
//!
//! **Renderers.** [`Renderer::Auto`] uses `helm template` when `helm` is on
//! `PATH` (and Chart.yaml is valid, since helm refuses to render otherwise),
//! else the built-in renderer. helm is run with an argv only: `helm template
//! RELEASE DIR --kube-version V --debug [--values F]... [--set K=V]...`; the
//! release name is the chart's name; `--debug` makes helm print the rendered
//! output even when it is not valid YAML, so that dockhand can point at the
//! YAML error itself. The `# Source: CHART/templates/x.yaml` separators map
//! documents back to their template.
//!
//! The built-in renderer implements the subset of Go templates (and of Sprig)
//! that dockhand's charts use, with helm's semantics (values are read as
//! JSON, so numbers are float64: `1000000` prints as `1e+06`, as in helm):
//! text, `{{ pipeline }}` with `|`, `{{-`/`-}}` trimming, `{{/* comments */}}`,
//! `define`, `template` and `include "name" DATA`, `if`/`else if`/`else`/`end`
//! on truthiness, the fields `.Values.*`, `$`, `.Release.{Name,Namespace,
//! Service,IsInstall,IsUpgrade,Revision}`, `.Chart.{Name,Version,AppVersion,
//! Description,...}`, `.Template.{Name,BasePath}`, literals, parenthesised
//! sub-pipelines, and the functions `include toYaml indent nindent quote
//! squote default not and or trunc trimSuffix upper lower trim`. Anything
//! else (`range`, `with`, `block`, variables, `printf`, `tpl`, `lookup`,
//! `required`, `.Capabilities`, `.Files`, subcharts, ...) is reported as
//! `chart/unsupported-template` at the construct's line and column, and the
//! template is not rendered: dockhand never guesses. Files whose name starts
//! with `_` are not rendered (their `define`s are loaded); `NOTES.txt` is
//! skipped.
//!
//! Other codes: `chart/chart-yaml` (Chart.yaml unreadable), `chart/values`
//! (values not a mapping), `chart/values-file` (unreadable `--values` file),
//! `chart/set` (bad `--set`, reported under the path `--set`),
//! `chart/template-syntax` (built-in parser), `chart/render` (a rendering
//! failure, from either renderer, at the template position when known),
//! `chart/kube-version` (no schemas for the requested version).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::{Map, Number, Value as J};

use super::diagnostic::{Diagnostic, Pos};
use super::policy::{self, PolicyConfig};
use super::schema::{DEFAULT_KUBE_VERSION, Schemas};
use super::yaml::{self, Node, Value};

/// Appended to a template's path for findings about its rendered output.
pub const RENDERED_SUFFIX: &str = " (rendered)";

/// How to render a chart's templates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Renderer {
    /// `helm` from `PATH` if there is one, else the built-in renderer.
    #[default]
    Auto,
    /// This `helm` binary.
    Helm(PathBuf),
    /// The built-in renderer only.
    BuiltIn,
}

/// What to check a chart with.
#[derive(Debug, Clone)]
pub struct ChartOptions {
    /// `--values` files, later ones win.
    pub values_files: Vec<PathBuf>,
    /// `--set` strings (`a.b=c,d[0]=e`), applied after the values files.
    pub set: Vec<String>,
    pub renderer: Renderer,
    /// Kubernetes version of the strict schemas (and helm's `--kube-version`).
    pub kube_version: String,
    /// Settings of the project's policies.
    pub policy: PolicyConfig,
}

impl Default for ChartOptions {
    fn default() -> Self {
        ChartOptions {
            values_files: Vec::new(),
            set: Vec::new(),
            renderer: Renderer::Auto,
            kube_version: DEFAULT_KUBE_VERSION.to_owned(),
            policy: PolicyConfig::default(),
        }
    }
}

/// The rendered output of one template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    /// Relative to the chart, e.g. `templates/backend-deployment.yaml`.
    pub template: String,
    /// Its documents (several are separated by `---`).
    pub text: String,
}

/// Everything [`check_chart`] found.
#[derive(Debug, Clone)]
pub struct ChartResult {
    /// Findings per file: `DIR/Chart.yaml`, `DIR/values.yaml`, values files,
    /// `--set`, `DIR/templates/x.yaml`, and `DIR/templates/x.yaml (rendered)`
    /// (the latter only when it has findings). Every inspected source file
    /// has an entry, possibly empty.
    pub files: Vec<(String, Vec<Diagnostic>)>,
    /// Rendered templates with some output, sorted by template path.
    pub rendered: Vec<RenderedFile>,
    /// `"helm"` or `"built-in"`.
    pub renderer_used: &'static str,
}

impl ChartResult {
    /// Number of error findings in all files.
    pub fn errors(&self) -> usize {
        self.files
            .iter()
            .flat_map(|(_, d)| d)
            .filter(|d| d.is_error())
            .count()
    }
}

/// Whether `dir` is a Helm chart (has a `Chart.yaml`).
pub fn is_chart(dir: &Path) -> bool {
    dir.join("Chart.yaml").is_file()
}

/// Check a chart: Chart.yaml, values, `.Values` references, rendering, and
/// the strict schemas and policies on every rendered document.
pub fn check_chart(dir: &Path, opts: &ChartOptions) -> ChartResult {
    let mut rep = Report::default();
    let path_of = |rel: &str| dir.join(rel).to_string_lossy().into_owned();

    // 1. Chart.yaml
    let chart_path = path_of("Chart.yaml");
    rep.touch(&chart_path);
    let meta = match std::fs::read_to_string(dir.join("Chart.yaml")) {
        Ok(text) => {
            let (diags, meta) = check_chart_yaml(&text);
            rep.extend(&chart_path, diags);
            meta
        }
        Err(e) => {
            rep.add(
                &chart_path,
                Diagnostic::error(
                    "chart/chart-yaml",
                    Pos::new(1, 1),
                    format!("cannot read Chart.yaml: {e}"),
                )
                .with_hint("a Helm chart is a folder with Chart.yaml, values.yaml and templates/"),
            );
            ChartMeta::default()
        }
    };
    let chart_name = meta
        .name
        .clone()
        .or_else(|| dir.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "chart".to_owned());

    // 2. values
    let values_path = path_of("values.yaml");
    let mut defaults = J::Object(Map::new());
    if let Ok(text) = std::fs::read_to_string(dir.join("values.yaml")) {
        rep.touch(&values_path);
        let (diags, v) = load_values(&text);
        rep.extend(&values_path, diags);
        defaults = v;
    }
    let mut user = J::Object(Map::new());
    for f in &opts.values_files {
        let p = f.to_string_lossy().into_owned();
        rep.touch(&p);
        match std::fs::read_to_string(f) {
            Ok(text) => {
                let (diags, v) = load_values(&text);
                rep.extend(&p, diags);
                merge_maps(&mut user, v);
            }
            Err(e) => rep.add(
                &p,
                Diagnostic::error(
                    "chart/values-file",
                    Pos::new(1, 1),
                    format!("cannot read values file: {e}"),
                ),
            ),
        }
    }
    for s in &opts.set {
        if let Err(message) = parse_set(s, &mut user) {
            rep.add(
                "--set",
                Diagnostic::error("chart/set", Pos::new(1, 1), format!("--set {s}: {message}"))
                    .with_hint("helm's --set syntax: `a.b=c`, `list[0]=x`, `a={x,y}`, several separated by commas; escape `,` and `.` with `\\`"),
            );
        }
    }
    let values = coalesce(user, &defaults);

    // 3. templates: read, parse, check `.Values` references
    let mut sources = read_templates(dir, &mut rep, &path_of);
    for src in &mut sources {
        src.tree = match tmpl::parse(&src.text) {
            Ok(tree) => Some(tree),
            Err(e) => {
                src.parse_error = Some(e);
                None
            }
        };
    }
    for src in &sources {
        let Some(tree) = &src.tree else { continue };
        let lines = LineIndex::new(&src.text);
        let mut seen = HashSet::new();
        for (path, at) in value_refs(tree) {
            if let Some(d) = missing_value(&values, &path, lines.pos(&src.text, at))
                && seen.insert((d.line, d.column))
            {
                rep.add(&src.path, d);
            }
        }
    }

    // 4. render
    let helm = match &opts.renderer {
        Renderer::BuiltIn => None,
        Renderer::Helm(p) => Some((p.clone(), true)),
        Renderer::Auto if meta.valid => find_on_path("helm").map(|p| (p, false)),
        Renderer::Auto => None,
    };
    let mut complete = true;
    let (rendered, renderer_used) = match helm {
        Some((bin, explicit)) => match run_helm(&bin, dir, &chart_name, opts) {
            Ok(out) => {
                let (files, ok) =
                    helm_results(&out, dir, &chart_name, &sources, &mut rep, &path_of);
                complete = ok;
                (files, "helm")
            }
            Err(e) if explicit => {
                rep.add(
                    &chart_path,
                    Diagnostic::error(
                        "chart/render",
                        Pos::new(1, 1),
                        format!("cannot run helm at {}: {e}", bin.display()),
                    )
                    .with_hint("check the helm path, or use the built-in renderer"),
                );
                (Vec::new(), "helm")
            }
            Err(_) => {
                let (files, ok) =
                    render_builtin(dir, &chart_name, &meta, &values, &sources, &mut rep);
                complete = ok;
                (files, "built-in")
            }
        },
        None => {
            let (files, ok) = render_builtin(dir, &chart_name, &meta, &values, &sources, &mut rep);
            complete = ok;
            (files, "built-in")
        }
    };

    // 5. rendered documents: YAML, schemas, policies
    let schemas = match Schemas::load(&opts.kube_version) {
        Ok(s) => Some(s),
        Err(e) => {
            rep.add(
                &chart_path,
                Diagnostic::error("chart/kube-version", Pos::new(1, 1), e.to_string()),
            );
            None
        }
    };
    let mut parsed: Vec<(String, Vec<yaml::Document>)> = Vec::new();
    for rf in &rendered {
        let rpath = format!("{}{RENDERED_SUFFIX}", path_of(&rf.template));
        let p = yaml::parse(&rf.text);
        rep.extend(&rpath, p.diagnostics);
        if let Some(schemas) = &schemas {
            for doc in &p.documents {
                rep.extend(&rpath, schemas.validate(doc));
            }
        }
        parsed.push((rpath, p.documents));
    }
    let inputs: Vec<policy::Input<'_>> = parsed
        .iter()
        .map(|(p, docs)| policy::Input {
            path: p,
            documents: docs,
            under_charts: true,
        })
        .collect();
    let selected: Vec<&str> = policy::POLICIES
        .iter()
        .map(|p| p.name)
        .filter(|n| complete || *n != "service-selector")
        .collect();
    for (i, d) in policy::check(&inputs, &selected, &opts.policy) {
        rep.add(&parsed[i].0, d);
    }

    let mut files = rep.files;
    for (_, diags) in &mut files {
        diags.sort_by_key(|d| (d.document, d.line, d.column));
    }
    ChartResult {
        files,
        rendered,
        renderer_used,
    }
}

/// Findings per path, in the order paths were first seen.
#[derive(Default)]
struct Report {
    files: Vec<(String, Vec<Diagnostic>)>,
}

impl Report {
    fn entry(&mut self, path: &str) -> &mut Vec<Diagnostic> {
        let i = match self.files.iter().position(|(p, _)| p == path) {
            Some(i) => i,
            None => {
                self.files.push((path.to_owned(), Vec::new()));
                self.files.len() - 1
            }
        };
        &mut self.files[i].1
    }

    fn touch(&mut self, path: &str) {
        self.entry(path);
    }

    fn add(&mut self, path: &str, d: Diagnostic) {
        self.entry(path).push(d);
    }

    /// Add findings; no entry is created for none (see [`Report::touch`]).
    fn extend(&mut self, path: &str, ds: impl IntoIterator<Item = Diagnostic>) {
        let ds: Vec<Diagnostic> = ds.into_iter().collect();
        if !ds.is_empty() {
            self.entry(path).extend(ds);
        }
    }
}

/// Byte offset → 1-based line and column (in characters).
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    fn pos(&self, text: &str, offset: usize) -> Pos {
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let column = text
            .get(start..offset.min(text.len()))
            .map_or(1, |s| s.chars().count() + 1);
        Pos::new(line, column)
    }
}

// ---------------------------------------------------------------- Chart.yaml

#[derive(Debug, Clone, Default)]
struct ChartMeta {
    name: Option<String>,
    /// `.Chart` as templates see it (Go field names).
    object: Map<String, J>,
    /// No error in Chart.yaml.
    valid: bool,
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

fn check_chart_yaml(text: &str) -> (Vec<Diagnostic>, ChartMeta) {
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

// ---------------------------------------------------------------- values

/// A values file as helm reads it (YAML 1.1, through JSON: numbers are floats).
fn load_values(text: &str) -> (Vec<Diagnostic>, J) {
    let parsed = yaml::parse(text);
    let mut out = parsed.diagnostics;
    let value = match parsed.documents.first() {
        None => J::Object(Map::new()),
        Some(doc) if doc.root.as_map().is_some() => values_json(&doc.root),
        Some(doc) => {
            out.push(
                Diagnostic::error(
                    "chart/values",
                    doc.root.pos,
                    format!("values must be a mapping, found {}", doc.root.kind_name()),
                )
                .with_pointer(""),
            );
            J::Object(Map::new())
        }
    };
    (out, value)
}

/// YAML → the JSON helm's templates see (`sigs.k8s.io/yaml`: numbers become
/// float64).
fn values_json(node: &Node) -> J {
    match &node.value {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => Number::from_f64(*i as f64).map_or(J::Null, J::Number),
        Value::Float(f) => Number::from_f64(*f).map_or(J::Null, J::Number),
        Value::Str(s) => J::String(s.clone()),
        Value::Seq(items) => J::Array(items.iter().map(values_json).collect()),
        Value::Map(entries) => {
            let mut m = Map::new();
            for (k, v) in entries {
                m.entry(k.key_string()).or_insert_with(|| values_json(v));
            }
            J::Object(m)
        }
    }
}

/// helm's `mergeMaps`: `src` over `dst`, maps merged recursively.
fn merge_maps(dst: &mut J, src: J) {
    match (dst, src) {
        (J::Object(d), J::Object(s)) => {
            for (k, v) in s {
                match d.get_mut(&k) {
                    Some(existing @ J::Object(_)) if v.is_object() => merge_maps(existing, v),
                    _ => {
                        d.insert(k, v);
                    }
                }
            }
        }
        (dst, src) => *dst = src,
    }
}

/// helm's `coalesceValues`: user values over the chart's defaults; a user
/// `null` deletes the default.
fn coalesce(user: J, defaults: &J) -> J {
    let (J::Object(mut u), J::Object(d)) = (user, defaults) else {
        return defaults.clone();
    };
    for (k, dv) in d {
        match u.get(k) {
            None => {
                u.insert(k.clone(), dv.clone());
            }
            Some(J::Null) => {
                u.remove(k);
            }
            Some(J::Object(_)) if dv.is_object() => {
                let uv = u.remove(k).unwrap_or(J::Null);
                u.insert(k.clone(), coalesce(uv, dv));
            }
            Some(_) => {}
        }
    }
    J::Object(u)
}

/// helm's `strvals.typedVal`: `true`/`false`/`null`, integers without a
/// leading zero; everything else stays a string (floats too).
fn typed_val(s: &str) -> J {
    if s.eq_ignore_ascii_case("true") {
        return J::Bool(true);
    }
    if s.eq_ignore_ascii_case("false") {
        return J::Bool(false);
    }
    if s.eq_ignore_ascii_case("null") {
        return J::Null;
    }
    if s == "0" {
        return J::from(0i64);
    }
    if !s.is_empty()
        && !s.starts_with('0')
        && let Ok(i) = s.parse::<i64>()
    {
        return J::from(i);
    }
    J::String(s.to_owned())
}

enum Seg {
    Key(String),
    Index(usize),
}

/// Parse one `--set` string (helm's strvals) into `into`.
fn parse_set(s: &str, into: &mut J) -> Result<(), String> {
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        // key path
        let mut path = Vec::new();
        let mut key = String::new();
        loop {
            let Some(&c) = chars.get(i) else {
                return Err(format!("key `{key}` has no value"));
            };
            i += 1;
            match c {
                '\\' => {
                    key.push(*chars.get(i).ok_or("trailing `\\`")?);
                    i += 1;
                }
                '.' => {
                    if key.is_empty() && !matches!(path.last(), Some(Seg::Index(_))) {
                        return Err("empty key".into());
                    }
                    if !key.is_empty() {
                        path.push(Seg::Key(std::mem::take(&mut key)));
                    }
                }
                '[' => {
                    if !key.is_empty() {
                        path.push(Seg::Key(std::mem::take(&mut key)));
                    }
                    let close = chars[i..]
                        .iter()
                        .position(|&c| c == ']')
                        .ok_or("missing `]`")?;
                    let idx: String = chars[i..i + close].iter().collect();
                    let n: usize = idx.parse().map_err(|_| format!("bad list index `{idx}`"))?;
                    if n > 65536 {
                        return Err(format!("list index {n} is too large"));
                    }
                    path.push(Seg::Index(n));
                    i += close + 1;
                }
                '=' => {
                    if !key.is_empty() {
                        path.push(Seg::Key(std::mem::take(&mut key)));
                    }
                    break;
                }
                ',' => return Err(format!("key `{key}` has no value")),
                c => key.push(c),
            }
        }
        if path.is_empty() {
            return Err("empty key".into());
        }
        // value
        let value = if chars.get(i) == Some(&'{') {
            let mut items = Vec::new();
            let mut cur = String::new();
            i += 1;
            loop {
                let Some(&c) = chars.get(i) else {
                    return Err("list value misses its closing `}`".into());
                };
                i += 1;
                match c {
                    '\\' => {
                        cur.push(*chars.get(i).ok_or("trailing `\\`")?);
                        i += 1;
                    }
                    ',' => items.push(typed_val(&std::mem::take(&mut cur))),
                    '}' => {
                        items.push(typed_val(&cur));
                        break;
                    }
                    c => cur.push(c),
                }
            }
            match chars.get(i) {
                None => {}
                Some(',') => i += 1,
                Some(c) => return Err(format!("unexpected `{c}` after a list value")),
            }
            J::Array(items)
        } else {
            let mut cur = String::new();
            while let Some(&c) = chars.get(i) {
                i += 1;
                match c {
                    '\\' => {
                        cur.push(*chars.get(i).ok_or("trailing `\\`")?);
                        i += 1;
                    }
                    ',' => break,
                    c => cur.push(c),
                }
            }
            typed_val(&cur)
        };
        set_path(into, &path, value);
    }
    Ok(())
}

fn set_path(target: &mut J, path: &[Seg], value: J) {
    let Some((first, rest)) = path.split_first() else {
        *target = value;
        return;
    };
    match first {
        Seg::Key(k) => {
            if !target.is_object() {
                *target = J::Object(Map::new());
            }
            let J::Object(m) = target else { return };
            if rest.is_empty() {
                m.insert(k.clone(), value);
            } else {
                let child = m.entry(k.clone()).or_insert(J::Null);
                set_path(child, rest, value);
            }
        }
        Seg::Index(n) => {
            if !target.is_array() {
                *target = J::Array(Vec::new());
            }
            let J::Array(a) = target else { return };
            if a.len() <= *n {
                a.resize(n + 1, J::Null);
            }
            set_path(&mut a[*n], rest, value);
        }
    }
}

/// `.Values.<path>` is defined in the merged values? A finding if not.
fn missing_value(values: &J, path: &[String], pos: Pos) -> Option<Diagnostic> {
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

// ---------------------------------------------------------------- templates

/// One file under templates/.
struct Source {
    /// Relative to the chart: `templates/x.yaml`.
    rel: String,
    /// For findings: `DIR/templates/x.yaml`.
    path: String,
    text: String,
    tree: Option<tmpl::Tree>,
    parse_error: Option<tmpl::Error>,
}

impl Source {
    fn base_name(&self) -> &str {
        self.rel.rsplit('/').next().unwrap_or(&self.rel)
    }

    /// Rendered to a manifest (not a partial, not NOTES.txt).
    fn renders(&self) -> bool {
        !self.base_name().starts_with('_') && self.base_name() != "NOTES.txt"
    }
}

fn read_templates(dir: &Path, rep: &mut Report, path_of: &dyn Fn(&str) -> String) -> Vec<Source> {
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
fn value_refs(tree: &tmpl::Tree) -> Vec<(Vec<String>, usize)> {
    use tmpl::Item;
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
    fn pipe(p: &tmpl::Pipe, root: bool, out: &mut Vec<(Vec<String>, usize)>) {
        for cmd in &p.cmds {
            for arg in &cmd.args {
                match arg {
                    tmpl::Arg::Field { chain, at } if root => push(chain, *at, out),
                    tmpl::Arg::Var { name, chain, at } if name.is_empty() => push(chain, *at, out),
                    tmpl::Arg::Sub { pipe: inner, .. } => pipe(inner, root, out),
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

// ---------------------------------------------------------------- built-in renderer

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
type Defines<'a> = HashMap<String, (usize, &'a [tmpl::Item])>;

/// Constructs outside the built-in subset reachable from `items`:
/// (source index, offset, description).
fn unsupported<'a>(
    items: &'a [tmpl::Item],
    file: usize,
    defines: &Defines<'a>,
    visited: &mut HashSet<String>,
    out: &mut Vec<(usize, usize, String)>,
) {
    use tmpl::Item;
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
    p: &tmpl::Pipe,
    file: usize,
    defines: &Defines<'a>,
    visited: &mut HashSet<String>,
    out: &mut Vec<(usize, usize, String)>,
) {
    use tmpl::Arg;
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

/// Render every template with the built-in renderer. Returns the rendered
/// files and whether every template could be rendered.
fn render_builtin(
    dir: &Path,
    chart_name: &str,
    meta: &ChartMeta,
    values: &J,
    sources: &[Source],
    rep: &mut Report,
) -> (Vec<RenderedFile>, bool) {
    let mut complete = true;
    // Syntax errors first: a template that does not parse is not rendered.
    for src in sources {
        if let Some(e) = &src.parse_error {
            let pos = LineIndex::new(&src.text).pos(&src.text, e.at);
            rep.add(
                &src.path,
                Diagnostic::error("chart/template-syntax", pos, e.message.clone())
                    .with_hint("fix the Go template syntax: every `{{ if }}`/`{{ define }}` needs its `{{ end }}`, actions close with `}}`"),
            );
            complete = false;
        }
    }
    if dir.join("charts").is_dir()
        && std::fs::read_dir(dir.join("charts")).is_ok_and(|mut d| d.next().is_some())
    {
        let chart_path = dir.join("Chart.yaml").to_string_lossy().into_owned();
        rep.add(
            &chart_path,
            Diagnostic::error(
                "chart/unsupported-template",
                Pos::new(1, 1),
                "the built-in renderer does not render subcharts (charts/); their templates are not checked",
            )
            .with_hint("install helm (or pass its path) to render charts with dependencies"),
        );
        complete = false;
    }
    let mut defines: Defines<'_> = HashMap::new();
    for (i, src) in sources.iter().enumerate() {
        if let Some(tree) = &src.tree {
            for d in &tree.defines {
                defines.insert(d.name.clone(), (i, &d.body));
            }
        }
    }
    let lines: Vec<LineIndex> = sources.iter().map(|s| LineIndex::new(&s.text)).collect();
    let pos_in = |file: usize, at: usize| lines[file].pos(&sources[file].text, at);

    let mut release = Map::new();
    release.insert("Name".into(), J::String(chart_name.to_owned()));
    release.insert("Namespace".into(), J::String("default".into()));
    release.insert("Service".into(), J::String("Helm".into()));
    release.insert("IsInstall".into(), J::Bool(true));
    release.insert("IsUpgrade".into(), J::Bool(false));
    release.insert("Revision".into(), J::from(1i64));

    let mut rendered = Vec::new();
    for (i, src) in sources.iter().enumerate() {
        let Some(tree) = &src.tree else { continue };
        if !src.renders() {
            continue;
        }
        let mut found = Vec::new();
        unsupported(&tree.items, i, &defines, &mut HashSet::new(), &mut found);
        if !found.is_empty() {
            complete = false;
            let mut seen = HashSet::new();
            for (f, at, what) in found {
                if !seen.insert((f, at)) {
                    continue;
                }
                let pos = pos_in(f, at);
                let used_by = if f == i {
                    String::new()
                } else {
                    format!(", used by {}", src.rel)
                };
                rep.add(
                    &sources[f].path,
                    Diagnostic::error(
                        "chart/unsupported-template",
                        pos,
                        format!(
                            "{what} at line {} of {}{used_by} is not supported by the built-in renderer; {} is not rendered or checked",
                            pos.line, sources[f].rel, src.rel
                        ),
                    )
                    .with_hint("install helm (dockhand uses `helm template` when it is on PATH), or rewrite the template with the supported subset (see `dockhand validate --help`)"),
                );
            }
            continue;
        }
        let mut root = Map::new();
        root.insert("Values".into(), values.clone());
        root.insert("Release".into(), J::Object(release.clone()));
        root.insert("Chart".into(), J::Object(meta.object.clone()));
        let mut template = Map::new();
        template.insert(
            "Name".into(),
            J::String(format!("{chart_name}/{}", src.rel)),
        );
        template.insert(
            "BasePath".into(),
            J::String(format!("{chart_name}/templates")),
        );
        root.insert("Template".into(), J::Object(template));
        let root = J::Object(root);
        let mut exec = Exec {
            defines: &defines,
            depth: 0,
        };
        let mut out = String::new();
        match exec.items(i, &tree.items, &root, &root, &mut out) {
            Ok(()) => {
                if !out.trim().is_empty() {
                    rendered.push(RenderedFile {
                        template: src.rel.clone(),
                        text: out,
                    });
                }
            }
            Err(e) => {
                complete = false;
                let pos = pos_in(e.file, e.at);
                let within = if e.file == i {
                    String::new()
                } else {
                    format!(" (rendering {})", src.rel)
                };
                rep.add(
                    &sources[e.file].path,
                    Diagnostic::error("chart/render", pos, format!("{}{within}", e.message))
                        .with_hint("helm fails the same way: check the value's type and that its parents exist in values.yaml"),
                );
            }
        }
    }
    (rendered, complete)
}

struct RenderError {
    file: usize,
    at: usize,
    message: String,
}

struct Exec<'d, 'a> {
    defines: &'d Defines<'a>,
    depth: usize,
}

type R<T> = Result<T, RenderError>;

fn err<T>(file: usize, at: usize, message: impl Into<String>) -> R<T> {
    Err(RenderError {
        file,
        at,
        message: message.into(),
    })
}

/// Go template truthiness.
fn truth(v: &J) -> bool {
    match v {
        J::Null => false,
        J::Bool(b) => *b,
        J::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        J::String(s) => !s.is_empty(),
        J::Array(a) => !a.is_empty(),
        J::Object(m) => !m.is_empty(),
    }
}

/// Sprig's `empty`.
fn is_empty(v: &J) -> bool {
    !truth(v)
}

/// Go's type name for a value, in error messages.
fn go_type(v: &J) -> &'static str {
    match v {
        J::Null => "nil",
        J::Bool(_) => "bool",
        J::Number(n) if n.is_f64() => "float64",
        J::Number(_) => "int64",
        J::String(_) => "string",
        J::Array(_) => "[]interface {}",
        J::Object(_) => "map[string]interface {}",
    }
}

impl Exec<'_, '_> {
    fn items(
        &mut self,
        file: usize,
        items: &[tmpl::Item],
        dot: &J,
        dollar: &J,
        out: &mut String,
    ) -> R<()> {
        use tmpl::Item;
        for item in items {
            match item {
                Item::Text(t) => out.push_str(t),
                Item::Action(p) => {
                    let v = self.pipe(file, p, dot, dollar)?;
                    out.push_str(&print_top(&v));
                }
                Item::If { branches, els, .. } => {
                    let mut done = false;
                    for (cond, body) in branches {
                        if truth(&self.pipe(file, cond, dot, dollar)?) {
                            self.items(file, body, dot, dollar, out)?;
                            done = true;
                            break;
                        }
                    }
                    if !done {
                        self.items(file, els, dot, dollar, out)?;
                    }
                }
                Item::Template { name, arg, at, .. } => {
                    let data = match arg {
                        Some(p) => self.pipe(file, p, dot, dollar)?,
                        None => J::Null,
                    };
                    let text = self.include(file, *at, name, &data)?;
                    out.push_str(&text);
                }
                Item::With { at, .. } | Item::Range { at, .. } | Item::Control { at, .. } => {
                    return err(file, *at, "not supported by the built-in renderer");
                }
            }
        }
        Ok(())
    }

    fn include(&mut self, file: usize, at: usize, name: &str, data: &J) -> R<String> {
        let Some((f, body)) = self.defines.get(name).copied() else {
            return err(
                file,
                at,
                format!(
                    "no template named \"{name}\" (named templates come from `{{{{ define \"{name}\" }}}}`)"
                ),
            );
        };
        if self.depth >= 1000 {
            return err(
                file,
                at,
                format!(
                    "rendering template \"{name}\" exceeded the maximum depth of 1000 (recursive include?)"
                ),
            );
        }
        self.depth += 1;
        let mut out = String::new();
        let r = self.items(f, body, data, data, &mut out);
        self.depth -= 1;
        r.map(|()| out)
    }

    fn pipe(&mut self, file: usize, p: &tmpl::Pipe, dot: &J, dollar: &J) -> R<J> {
        if let Some((_, at)) = p.decls.first() {
            return err(
                file,
                *at,
                "variables are not supported by the built-in renderer",
            );
        }
        let mut prev: Option<J> = None;
        for cmd in &p.cmds {
            prev = Some(self.command(file, cmd, dot, dollar, prev)?);
        }
        Ok(prev.unwrap_or(J::Null))
    }

    fn command(
        &mut self,
        file: usize,
        cmd: &tmpl::Cmd,
        dot: &J,
        dollar: &J,
        last: Option<J>,
    ) -> R<J> {
        use tmpl::Arg;
        let Some(first) = cmd.args.first() else {
            return err(file, cmd.at, "empty command");
        };
        if let Arg::Func { name, at } = first {
            let mut args = Vec::with_capacity(cmd.args.len());
            for a in &cmd.args[1..] {
                args.push(self.arg(file, a, dot, dollar)?);
            }
            if let Some(l) = last {
                args.push(l);
            }
            return self.call(file, *at, name, args);
        }
        if cmd.args.len() > 1 || last.is_some() {
            return err(file, first.at(), "can't give argument to non-function");
        }
        self.arg(file, first, dot, dollar)
    }

    fn arg(&mut self, file: usize, arg: &tmpl::Arg, dot: &J, dollar: &J) -> R<J> {
        use tmpl::Arg;
        match arg {
            Arg::Field { chain, at } => walk_fields(file, *at, dot, chain),
            Arg::Var { name, chain, at } if name.is_empty() => {
                walk_fields(file, *at, dollar, chain)
            }
            Arg::Lit { value, .. } => Ok(value.clone()),
            Arg::Sub { pipe, chain, at } => {
                let v = self.pipe(file, pipe, dot, dollar)?;
                walk_fields(file, *at, &v, chain)
            }
            Arg::Func { name, at } => self.call(file, *at, name, Vec::new()),
            Arg::Var { at, .. } | Arg::Unsupported { at, .. } => {
                err(file, *at, "not supported by the built-in renderer")
            }
        }
    }

    fn call(&mut self, file: usize, at: usize, name: &str, args: Vec<J>) -> R<J> {
        let want = |n: usize| -> R<()> {
            if args.len() == n {
                Ok(())
            } else {
                err(
                    file,
                    at,
                    format!(
                        "wrong number of args for {name}: want {n} got {}",
                        args.len()
                    ),
                )
            }
        };
        let int_arg = |v: &J| -> R<i64> {
            match v {
                J::Number(n) if !n.is_f64() => n.as_i64().map_or_else(
                    || err(file, at, format!("{name}: integer out of range")),
                    Ok,
                ),
                other => err(
                    file,
                    at,
                    format!(
                        "error calling {name}: wrong type for value; expected int; got {}",
                        go_type(other)
                    ),
                ),
            }
        };
        let str_arg = |v: &J| -> R<String> {
            match v {
                J::String(s) => Ok(s.clone()),
                J::Null => err(
                    file,
                    at,
                    format!("error calling {name}: invalid value; expected string"),
                ),
                other => err(
                    file,
                    at,
                    format!(
                        "error calling {name}: wrong type for value; expected string; got {}",
                        go_type(other)
                    ),
                ),
            }
        };
        Ok(match name {
            "include" => {
                want(2)?;
                let n = str_arg(&args[0])?;
                J::String(self.include(file, at, &n, &args[1])?)
            }
            "toYaml" => {
                want(1)?;
                J::String(to_yaml(&args[0]))
            }
            "indent" | "nindent" => {
                want(2)?;
                let n = int_arg(&args[0])?;
                let s = str_arg(&args[1])?;
                let pad = " ".repeat(n.max(0) as usize);
                let body = format!("{pad}{}", s.replace('\n', &format!("\n{pad}")));
                J::String(if name == "nindent" {
                    format!("\n{body}")
                } else {
                    body
                })
            }
            "quote" => J::String(
                args.iter()
                    .filter(|a| !a.is_null())
                    .map(|a| go_quote(&strval(a)))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            "squote" => J::String(
                args.iter()
                    .filter(|a| !a.is_null())
                    .map(|a| format!("'{}'", strval(a)))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            "default" => {
                if args.is_empty() {
                    return err(
                        file,
                        at,
                        "wrong number of args for default: want at least 1 got 0",
                    );
                }
                match args.get(1) {
                    Some(given) if !is_empty(given) => given.clone(),
                    _ => args[0].clone(),
                }
            }
            "not" => {
                want(1)?;
                J::Bool(!truth(&args[0]))
            }
            "and" | "or" => {
                if args.is_empty() {
                    return err(
                        file,
                        at,
                        format!("wrong number of args for {name}: want at least 1 got 0"),
                    );
                }
                let stop = |v: &J| if name == "and" { !truth(v) } else { truth(v) };
                args.iter()
                    .find(|v| stop(v))
                    .unwrap_or_else(|| args.last().unwrap_or(&J::Null))
                    .clone()
            }
            "trunc" => {
                want(2)?;
                let c = int_arg(&args[0])?;
                let s = str_arg(&args[1])?;
                let len = s.len() as i64;
                let cut = |i: i64| {
                    let mut i = i as usize;
                    while !s.is_char_boundary(i) {
                        i -= 1;
                    }
                    i
                };
                J::String(if c < 0 && len + c > 0 {
                    s[cut(len + c)..].to_owned()
                } else if c >= 0 && len > c {
                    s[..cut(c)].to_owned()
                } else {
                    s
                })
            }
            "trimSuffix" => {
                want(2)?;
                let suffix = str_arg(&args[0])?;
                let s = str_arg(&args[1])?;
                J::String(
                    s.strip_suffix(suffix.as_str())
                        .map(str::to_owned)
                        .unwrap_or(s),
                )
            }
            "upper" | "lower" | "trim" => {
                want(1)?;
                let s = str_arg(&args[0])?;
                J::String(match name {
                    "upper" => s.to_uppercase(),
                    "lower" => s.to_lowercase(),
                    _ => s.trim().to_owned(),
                })
            }
            other => {
                return err(
                    file,
                    at,
                    format!("function \"{other}\" is not supported by the built-in renderer"),
                );
            }
        })
    }
}

/// `.a.b.c` from `v`, with Go's (helm's `missingkey=zero`) semantics: a
/// missing key is nil; a field of nil is an error.
fn walk_fields(file: usize, at: usize, v: &J, chain: &[String]) -> R<J> {
    let mut cur = v;
    for (i, f) in chain.iter().enumerate() {
        match cur {
            J::Object(m) => match m.get(f) {
                Some(next) => cur = next,
                None => {
                    if i + 1 < chain.len() {
                        return err(
                            file,
                            at,
                            format!("nil pointer evaluating interface {{}}.{}", chain[i + 1]),
                        );
                    }
                    return Ok(J::Null);
                }
            },
            J::Null => {
                return err(
                    file,
                    at,
                    format!("nil pointer evaluating interface {{}}.{f}"),
                );
            }
            other => {
                return err(
                    file,
                    at,
                    format!("can't evaluate field {f} in type {}", go_type(other)),
                );
            }
        }
    }
    Ok(cur.clone())
}

/// An action's output: Go's `%v`, with helm's `<no value>` removal for nil.
fn print_top(v: &J) -> String {
    if v.is_null() {
        String::new()
    } else {
        go_print(v)
    }
}

/// Go's `fmt.Sprint` of a decoded JSON value.
fn go_print(v: &J) -> String {
    match v {
        J::Null => "<nil>".to_owned(),
        J::Bool(b) => b.to_string(),
        J::Number(n) => go_number(n),
        J::String(s) => s.clone(),
        J::Array(a) => format!("[{}]", a.iter().map(go_print).collect::<Vec<_>>().join(" ")),
        J::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            format!(
                "map[{}]",
                keys.iter()
                    .map(|k| format!("{k}:{}", go_print(&m[*k])))
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        }
    }
}

fn go_number(n: &Number) -> String {
    if n.is_f64() {
        go_float(n.as_f64().unwrap_or(0.0))
    } else {
        n.to_string()
    }
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)` (also `%v`).
fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    let e = format!("{f:e}");
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if f < 0.0 { "-" } else { "" };
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    if !(-4..6).contains(&exp) {
        let rest = if digits.len() > 1 {
            format!(".{}", &digits[1..])
        } else {
            String::new()
        };
        format!(
            "{sign}{}{rest}e{}{:02}",
            &digits[..1],
            if exp < 0 { '-' } else { '+' },
            exp.abs()
        )
    } else if exp >= 0 {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            format!("{sign}{digits}{}", "0".repeat(int_len - digits.len()))
        } else {
            format!("{sign}{}.{}", &digits[..int_len], &digits[int_len..])
        }
    } else {
        format!("{sign}0.{}{digits}", "0".repeat((-exp - 1) as usize))
    }
}

/// Sprig's `strval`.
fn strval(v: &J) -> String {
    go_print(v)
}

/// Go's `strconv.Quote`.
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                if (c as u32) < 0x10000 {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

// ---------------------------------------------------------------- toYaml

/// helm's `toYaml` (`sigs.k8s.io/yaml.Marshal`, go-yaml v2 style), without
/// the trailing newline.
fn to_yaml(v: &J) -> String {
    let mut out = String::new();
    match v {
        J::Object(m) if !m.is_empty() => yaml_map(m, 0, &mut out),
        J::Array(a) if !a.is_empty() => yaml_seq(a, 0, &mut out),
        other => {
            out.push_str(&yaml_scalar(other, 0));
            out.push('\n');
        }
    }
    out.truncate(out.trim_end_matches('\n').len());
    out
}

fn yaml_map(m: &Map<String, J>, indent: usize, out: &mut String) {
    let mut keys: Vec<&String> = m.keys().collect();
    keys.sort_by(|a, b| yaml_key_order(a, b));
    for (i, k) in keys.into_iter().enumerate() {
        if i > 0 || !out.ends_with("- ") {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&yaml_string(k, indent));
        out.push(':');
        yaml_after_key(&m[k], indent, out);
    }
}

fn yaml_after_key(v: &J, indent: usize, out: &mut String) {
    match v {
        J::Object(m) if !m.is_empty() => {
            out.push('\n');
            yaml_map(m, indent + 2, out);
        }
        J::Array(a) if !a.is_empty() => {
            out.push('\n');
            yaml_seq(a, indent, out);
        }
        other => {
            out.push(' ');
            out.push_str(&yaml_scalar(other, indent));
            out.push('\n');
        }
    }
}

fn yaml_seq(a: &[J], indent: usize, out: &mut String) {
    for (i, item) in a.iter().enumerate() {
        if i > 0 || !out.ends_with("- ") {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str("- ");
        match item {
            J::Object(m) if !m.is_empty() => yaml_map(m, indent + 2, out),
            J::Array(inner) if !inner.is_empty() => yaml_seq(inner, indent + 2, out),
            other => {
                out.push_str(&yaml_scalar(other, indent + 2));
                out.push('\n');
            }
        }
    }
}

/// go-yaml v2's ordering of string keys: digit runs compare as numbers,
/// letters sort before other characters.
fn yaml_key_order(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let less = |x: &[char], y: &[char]| -> bool {
        let mut i = 0;
        while i < x.len() && i < y.len() {
            if x[i] == y[i] {
                i += 1;
                continue;
            }
            let al = x[i].is_alphabetic();
            let bl = y[i].is_alphabetic();
            if al && bl {
                return x[i] < y[i];
            }
            if al || bl {
                return bl;
            }
            let (mut an, mut bn) = (0i64, 0i64);
            if x[i] == '0' || y[i] == '0' {
                let mut j = i;
                while j > 0 && x[j - 1].is_ascii_digit() {
                    j -= 1;
                    if x[j] != '0' {
                        an = 1;
                        bn = 1;
                        break;
                    }
                }
            }
            let mut ai = i;
            while ai < x.len() && x[ai].is_ascii_digit() {
                an = an
                    .saturating_mul(10)
                    .saturating_add(x[ai] as i64 - '0' as i64);
                ai += 1;
            }
            let mut bi = i;
            while bi < y.len() && y[bi].is_ascii_digit() {
                bn = bn
                    .saturating_mul(10)
                    .saturating_add(y[bi] as i64 - '0' as i64);
                bi += 1;
            }
            if an != bn {
                return an < bn;
            }
            if ai != bi {
                return ai < bi;
            }
            return x[i] < y[i];
        }
        x.len() < y.len()
    };
    if less(&ar, &br) {
        Ordering::Less
    } else if less(&br, &ar) {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

fn yaml_scalar(v: &J, indent: usize) -> String {
    match v {
        J::Null => "null".to_owned(),
        J::Bool(b) => b.to_string(),
        J::Number(n) => {
            // Through JSON: integral floats print as integers, which go-yaml
            // reads back as ints (when they fit in an int64).
            match n.as_f64() {
                Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9.2e18 => {
                    format!("{}", f as i64)
                }
                Some(f) if n.is_f64() => match go_float(f).as_str() {
                    "+Inf" => ".inf".to_owned(),
                    "-Inf" => "-.inf".to_owned(),
                    "NaN" => ".nan".to_owned(),
                    s => s.to_owned(),
                },
                _ => n.to_string(),
            }
        }
        J::String(s) => yaml_string(s, indent),
        J::Array(_) => "[]".to_owned(),
        J::Object(_) => "{}".to_owned(),
    }
}

/// libyaml's printable set (no tab, no other C0 controls).
fn yaml_printable(c: char) -> bool {
    matches!(c as u32, 0x0A | 0x20..=0x7E | 0x85 | 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
        && c != '\u{feff}'
}

/// A string scalar the way go-yaml v2 writes it: plain when it would read
/// back as the same string, a literal block for multi-line text, else quoted.
fn yaml_string(s: &str, indent: usize) -> String {
    let special = s.chars().any(|c| !yaml_printable(c));
    if s.contains('\n') {
        // libyaml: no literal block with special characters, trailing
        // spaces, or a space before a line break.
        let literal_ok =
            !special && !s.ends_with(' ') && !s.contains(" \n") && !s.trim_matches('\n').is_empty();
        if literal_ok {
            return yaml_literal(s, indent);
        }
        return yaml_double(s);
    }
    if special {
        return yaml_double(s);
    }
    let resolves_to_string = matches!(yaml::resolve_plain(s), Value::Str(_)) || s.is_empty();
    if s.is_empty() || !resolves_to_string || is_base60(s) || looks_like_timestamp(s) {
        return yaml_double(s);
    }
    if plain_allowed(s) {
        return s.to_owned();
    }
    format!("'{}'", s.replace('\'', "''"))
}

/// A literal block scalar (`|`, `|-`, `|+`); the caller ends the line.
fn yaml_literal(s: &str, indent: usize) -> String {
    let (chomp, content) = if !s.ends_with('\n') {
        ("-", s)
    } else if s.ends_with("\n\n") {
        ("+", &s[..s.len() - 1])
    } else {
        ("", &s[..s.len() - 1])
    };
    let indicator = if s.starts_with(' ') || s.starts_with('\n') {
        "2"
    } else {
        ""
    };
    let pad = " ".repeat(indent + 2);
    let mut out = format!("|{indicator}{chomp}");
    for line in content.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
    }
    out
}

fn yaml_double(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{b}' => out.push_str("\\v"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            c if !yaml_printable(c) => {
                let n = c as u32;
                if n <= 0xFF {
                    out.push_str(&format!("\\x{n:02X}"));
                } else if n <= 0xFFFF {
                    out.push_str(&format!("\\u{n:04X}"));
                } else {
                    out.push_str(&format!("\\U{n:08X}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// go-yaml v2's `isBase60Float`: `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`.
fn is_base60(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (main, frac) = match s.split_once('.') {
        Some((m, f)) => (m, Some(f)),
        None => (s, None),
    };
    let mut parts = main.split(':');
    let first = parts.next().unwrap_or("");
    let first_ok = first.starts_with(|c: char| c.is_ascii_digit())
        && first.chars().all(|c| c.is_ascii_digit() || c == '_');
    let rest: Vec<&str> = parts.collect();
    first_ok
        && !rest.is_empty()
        && rest.iter().all(|p| {
            let b = p.as_bytes();
            match b.len() {
                1 => b[0].is_ascii_digit(),
                2 => (b'0'..=b'5').contains(&b[0]) && b[1].is_ascii_digit(),
                _ => false,
            }
        })
        && frac.is_none_or(|f| f.chars().all(|c| c.is_ascii_digit() || c == '_'))
}

/// Plain scalars go-yaml v2 would read as timestamps (`2024-01-01...`).
fn looks_like_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 8 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && {
        let rest = &s[5..];
        let mut parts = rest.splitn(2, '-');
        let m = parts.next().unwrap_or("");
        let d: String = parts
            .next()
            .unwrap_or("")
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        (1..=2).contains(&m.len())
            && m.bytes().all(|c| c.is_ascii_digit())
            && (1..=2).contains(&d.len())
    }
}

/// libyaml's analysis: may `s` (one line, printable) be written plain in
/// block context?
fn plain_allowed(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    if chars.is_empty() || chars[0] == ' ' || chars[chars.len() - 1] == ' ' {
        return false;
    }
    if (s.starts_with("---") || s.starts_with("...")) && chars.get(3).is_none_or(|c| *c == ' ') {
        return false;
    }
    for (i, &c) in chars.iter().enumerate() {
        let followed_by_blank = chars.get(i + 1).is_none_or(|n| *n == ' ');
        let preceded_by_blank = i > 0 && chars[i - 1] == ' ';
        if i == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(c) {
                return false;
            }
            if (c == '?' || c == ':' || c == '-') && followed_by_blank {
                return false;
            }
        } else {
            if c == ':' && followed_by_blank {
                return false;
            }
            if c == '#' && preceded_by_blank {
                return false;
            }
        }
    }
    true
}

// ---------------------------------------------------------------- helm

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

struct HelmOutput {
    success: bool,
    stdout: String,
    stderr: String,
}

/// `helm template RELEASE DIR --kube-version V --debug --values F --set K=V`.
fn run_helm(
    bin: &Path,
    dir: &Path,
    release: &str,
    opts: &ChartOptions,
) -> std::io::Result<HelmOutput> {
    let mut cmd = std::process::Command::new(bin);
    cmd.arg("template").arg(release).arg(dir);
    if let Ok(v) = super::schema::parse_kube_version(&opts.kube_version) {
        cmd.arg("--kube-version").arg(v);
    }
    cmd.arg("--debug");
    for f in &opts.values_files {
        cmd.arg("--values").arg(f);
    }
    for s in &opts.set {
        cmd.arg("--set").arg(s);
    }
    cmd.stdin(std::process::Stdio::null());
    let out = cmd.output()?;
    Ok(HelmOutput {
        success: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// Split `helm template` output at its `# Source:` headers: (template
/// relative to the chart, text), in output order.
fn split_helm_output(stdout: &str, chart_name: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let lines: Vec<&str> = stdout.split_inclusive('\n').collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim_end_matches(['\n', '\r']);
        let header = (line == "---")
            .then(|| lines.get(i + 1))
            .flatten()
            .and_then(|next| {
                next.trim_end_matches(['\n', '\r'])
                    .strip_prefix("# Source: ")
            });
        if let Some(src) = header {
            let rel = src
                .strip_prefix(&format!("{chart_name}/"))
                .unwrap_or(src)
                .to_owned();
            out.push((rel, String::new()));
            i += 2;
            continue;
        }
        if let Some((_, text)) = out.last_mut() {
            text.push_str(lines[i]);
        }
        i += 1;
    }
    out
}

/// Turn helm's output into rendered files and findings. Returns the files
/// and whether everything rendered.
fn helm_results(
    out: &HelmOutput,
    dir: &Path,
    chart_name: &str,
    sources: &[Source],
    rep: &mut Report,
    path_of: &dyn Fn(&str) -> String,
) -> (Vec<RenderedFile>, bool) {
    let mut by_template: Vec<RenderedFile> = Vec::new();
    for (rel, text) in split_helm_output(&out.stdout, chart_name) {
        if text.trim().is_empty() {
            continue;
        }
        match by_template.iter_mut().find(|r| r.template == rel) {
            Some(r) => {
                if !r.text.ends_with('\n') {
                    r.text.push('\n');
                }
                r.text.push_str("---\n");
                r.text.push_str(&text);
            }
            None => by_template.push(RenderedFile {
                template: rel,
                text,
            }),
        }
    }
    by_template.sort_by(|a, b| a.template.cmp(&b.template));
    if out.success {
        return (by_template, true);
    }
    // Our own parser's syntax errors are not reported when helm renders: a
    // construct it does not know is not an error. helm's own error is.
    let message: Vec<&str> = out
        .stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("level=") && !l.starts_with("Use --debug flag"))
        .collect();
    let message = message.join(" ");
    let message = message
        .strip_prefix("Error: ")
        .unwrap_or(&message)
        .to_owned();
    if message.starts_with("YAML parse error on") && !by_template.is_empty() {
        // dockhand parses the rendered output itself and reports it precisely.
        return (by_template, true);
    }
    let (path, pos) = match locate_helm_error(&message, chart_name) {
        Some((rel, line, col)) => {
            let p = path_of(&rel);
            let exists = sources.iter().any(|s| s.rel == rel);
            (
                if exists { p } else { path_of("Chart.yaml") },
                Pos::new(line, col),
            )
        }
        None => (
            dir.join("Chart.yaml").to_string_lossy().into_owned(),
            Pos::new(1, 1),
        ),
    };
    rep.add(
        &path,
        Diagnostic::error(
            "chart/render",
            pos,
            format!("helm template failed: {message}"),
        )
        .with_hint("fix the template or values helm points at"),
    );
    (by_template, false)
}

/// `CHART/templates/x.yaml:LINE[:COL]` in a helm error: (relative path,
/// line, 1-based column). helm's columns are 0-based byte offsets.
fn locate_helm_error(message: &str, chart_name: &str) -> Option<(String, usize, usize)> {
    let prefix = format!("{chart_name}/");
    let mut search = 0;
    while let Some(found) = message[search..].find(&prefix) {
        let start = search + found + prefix.len();
        search = start;
        let rest = &message[start..];
        let end = rest
            .find(|c: char| c == ':' || c.is_whitespace() || c == ')' || c == '"')
            .unwrap_or(rest.len());
        let rel = &rest[..end];
        let after = &rest[end..];
        let Some(nums) = after.strip_prefix(':') else {
            continue;
        };
        let line: String = nums.chars().take_while(char::is_ascii_digit).collect();
        let Ok(line) = line.parse::<usize>() else {
            continue;
        };
        let after_line = &nums[line.to_string().len()..];
        let col = after_line
            .strip_prefix(':')
            .map(|c| {
                c.chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
            })
            .and_then(|c| c.parse::<usize>().ok())
            .map_or(1, |c| c + 1);
        return Some((rel.to_owned(), line, col));
    }
    None
}

// ---------------------------------------------------------------- Go template parser

/// A parser for Go's `text/template` syntax (the whole grammar, so that
/// unsupported constructs can be named precisely; the executor implements a
/// subset).
mod tmpl {
    use serde_json::{Number, Value as J};

    #[derive(Debug, Clone, Default)]
    pub struct Tree {
        pub items: Vec<Item>,
        pub defines: Vec<Define>,
    }

    #[derive(Debug, Clone)]
    pub struct Define {
        pub name: String,
        pub body: Vec<Item>,
    }

    /// Offsets (`at`) are byte offsets into the template text.
    #[derive(Debug, Clone)]
    pub enum Item {
        Text(String),
        Action(Pipe),
        If {
            branches: Vec<(Pipe, Vec<Item>)>,
            els: Vec<Item>,
        },
        With {
            pipe: Pipe,
            body: Vec<Item>,
            els: Vec<Item>,
            at: usize,
        },
        Range {
            pipe: Pipe,
            body: Vec<Item>,
            els: Vec<Item>,
            at: usize,
        },
        /// `template "name" pipeline` or `block "name" pipeline`.
        Template {
            name: String,
            arg: Option<Pipe>,
            at: usize,
            keyword: &'static str,
        },
        /// `break`, `continue`.
        Control {
            keyword: &'static str,
            at: usize,
        },
    }

    #[derive(Debug, Clone)]
    pub struct Pipe {
        /// `$x :=` / `$x =` / `$i, $v :=`.
        pub decls: Vec<(String, usize)>,
        pub cmds: Vec<Cmd>,
    }

    #[derive(Debug, Clone)]
    pub struct Cmd {
        pub args: Vec<Arg>,
        pub at: usize,
    }

    #[derive(Debug, Clone)]
    pub enum Arg {
        /// `.` (empty chain) or `.a.b`.
        Field {
            chain: Vec<String>,
            at: usize,
        },
        /// `$` (empty name) or `$x`, with a field chain.
        Var {
            name: String,
            chain: Vec<String>,
            at: usize,
        },
        Func {
            name: String,
            at: usize,
        },
        /// Strings, numbers, booleans, `nil` (null).
        Lit {
            value: J,
            at: usize,
        },
        /// `( pipeline )`, with a field chain.
        Sub {
            pipe: Pipe,
            chain: Vec<String>,
            at: usize,
        },
        /// Syntax the executor will never support (character constants, ...).
        Unsupported {
            what: String,
            at: usize,
        },
    }

    impl Arg {
        pub fn at(&self) -> usize {
            match self {
                Arg::Field { at, .. }
                | Arg::Var { at, .. }
                | Arg::Func { at, .. }
                | Arg::Lit { at, .. }
                | Arg::Sub { at, .. }
                | Arg::Unsupported { at, .. } => *at,
            }
        }
    }

    #[derive(Debug, Clone, PartialEq)]
    pub struct Error {
        pub at: usize,
        pub message: String,
    }

    fn error<T>(at: usize, message: impl Into<String>) -> Result<T, Error> {
        Err(Error {
            at,
            message: message.into(),
        })
    }

    #[derive(Debug, Clone, PartialEq)]
    enum Tok {
        Field(Vec<String>),
        Var(String, Vec<String>),
        Ident(String),
        Lit(J),
        Char,
        LParen,
        /// `)` and the field chain right after it.
        RParen(Vec<String>),
        Pipe,
        Declare,
        Assign,
        Comma,
    }

    enum Segment {
        Text(String),
        Action { toks: Vec<(Tok, usize)>, at: usize },
    }

    fn is_space(c: u8) -> bool {
        matches!(c, b' ' | b'\t' | b'\r' | b'\n')
    }

    /// Split the text into text and actions, applying `{{-`/`-}}` trimming
    /// and dropping comments.
    fn segments(src: &str) -> Result<Vec<Segment>, Error> {
        let b = src.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        let mut trim_next = false;
        loop {
            let open = src[i..].find("{{").map(|j| i + j);
            let text_end = open.unwrap_or(src.len());
            let mut text = &src[i..text_end];
            if trim_next {
                text = text.trim_start_matches([' ', '\t', '\r', '\n']);
            }
            let Some(open) = open else {
                if !text.is_empty() {
                    out.push(Segment::Text(text.to_owned()));
                }
                break;
            };
            let mut k = open + 2;
            let trim_left = b.get(k) == Some(&b'-') && b.get(k + 1).is_some_and(|c| is_space(*c));
            if trim_left {
                text = text.trim_end_matches([' ', '\t', '\r', '\n']);
                k += 2;
            }
            if !text.is_empty() {
                out.push(Segment::Text(text.to_owned()));
            }
            // Comment: `{{/* ... */}}`, `{{- /* ... */ -}}`.
            if src[k..].starts_with("/*") {
                let Some(end) = src[k + 2..].find("*/") else {
                    return error(open, "unclosed comment");
                };
                let mut j = k + 2 + end + 2;
                let rest = &src[j..];
                if rest.starts_with("}}") {
                    trim_next = false;
                    i = j + 2;
                } else if rest.len() >= 4
                    && is_space(rest.as_bytes()[0])
                    && rest[1..].starts_with("-}}")
                {
                    trim_next = true;
                    j += 4;
                    i = j;
                } else {
                    return error(open, "comment ends before closing delimiter");
                }
                continue;
            }
            // Find the closing `}}`, skipping quoted strings.
            let mut j = k;
            let close;
            loop {
                if j >= b.len() {
                    return error(open, "unclosed action");
                }
                match b[j] {
                    b'"' => {
                        j += 1;
                        while j < b.len() && b[j] != b'"' {
                            if b[j] == b'\\' {
                                j += 1;
                            }
                            if j < b.len() && b[j] == b'\n' {
                                return error(j, "unterminated quoted string");
                            }
                            j += 1;
                        }
                        j += 1;
                    }
                    b'`' => {
                        j += 1;
                        while j < b.len() && b[j] != b'`' {
                            j += 1;
                        }
                        j += 1;
                    }
                    b'\'' => {
                        j += 1;
                        while j < b.len() && b[j] != b'\'' {
                            if b[j] == b'\\' {
                                j += 1;
                            }
                            j += 1;
                        }
                        j += 1;
                    }
                    b'}' if b.get(j + 1) == Some(&b'}') => {
                        close = j;
                        break;
                    }
                    _ => j += 1,
                }
            }
            let trim_right = close >= k + 2 && b[close - 1] == b'-' && is_space(b[close - 2]);
            let body_end = if trim_right { close - 2 } else { close };
            let toks = lex(src, k, body_end.max(k))?;
            out.push(Segment::Action { toks, at: open });
            trim_next = trim_right;
            i = close + 2;
        }
        Ok(out)
    }

    fn ident_char(c: char) -> bool {
        c.is_alphanumeric() || c == '_'
    }

    /// Tokens of one action body `src[start..end]`, with absolute offsets.
    fn lex(src: &str, start: usize, end: usize) -> Result<Vec<(Tok, usize)>, Error> {
        let body = &src[start..end];
        let chars: Vec<(usize, char)> = body.char_indices().collect();
        let mut out = Vec::new();
        let mut i = 0;
        let at = |i: usize| start + chars.get(i).map_or(body.len(), |c| c.0);
        let chain = |i: &mut usize| -> Vec<String> {
            let mut fields = Vec::new();
            while *i < chars.len()
                && chars[*i].1 == '.'
                && chars
                    .get(*i + 1)
                    .is_some_and(|c| ident_char(c.1) && !c.1.is_ascii_digit())
            {
                *i += 1;
                let mut name = String::new();
                while *i < chars.len() && ident_char(chars[*i].1) {
                    name.push(chars[*i].1);
                    *i += 1;
                }
                fields.push(name);
            }
            fields
        };
        while i < chars.len() {
            let (_, c) = chars[i];
            let here = at(i);
            match c {
                c if c.is_whitespace() => i += 1,
                '|' => {
                    out.push((Tok::Pipe, here));
                    i += 1;
                }
                '(' => {
                    out.push((Tok::LParen, here));
                    i += 1;
                }
                ')' => {
                    i += 1;
                    let fields = chain(&mut i);
                    out.push((Tok::RParen(fields), here));
                }
                ',' => {
                    out.push((Tok::Comma, here));
                    i += 1;
                }
                ':' if chars.get(i + 1).is_some_and(|c| c.1 == '=') => {
                    out.push((Tok::Declare, here));
                    i += 2;
                }
                '=' => {
                    out.push((Tok::Assign, here));
                    i += 1;
                }
                '"' => {
                    i += 1;
                    let mut s = String::new();
                    loop {
                        let Some(&(_, c)) = chars.get(i) else {
                            return error(here, "unterminated quoted string");
                        };
                        i += 1;
                        match c {
                            '"' => break,
                            '\\' => {
                                let Some(&(_, e)) = chars.get(i) else {
                                    return error(here, "unterminated quoted string");
                                };
                                i += 1;
                                match e {
                                    'n' => s.push('\n'),
                                    't' => s.push('\t'),
                                    'r' => s.push('\r'),
                                    'a' => s.push('\u{7}'),
                                    'b' => s.push('\u{8}'),
                                    'f' => s.push('\u{c}'),
                                    'v' => s.push('\u{b}'),
                                    '\\' | '"' | '\'' => s.push(e),
                                    'x' | 'u' | 'U' => {
                                        let n = match e {
                                            'x' => 2,
                                            'u' => 4,
                                            _ => 8,
                                        };
                                        let hex: String =
                                            chars.iter().skip(i).take(n).map(|c| c.1).collect();
                                        i += n;
                                        let ch = u32::from_str_radix(&hex, 16)
                                            .ok()
                                            .and_then(char::from_u32);
                                        match ch {
                                            Some(ch) => s.push(ch),
                                            None => {
                                                return error(
                                                    here,
                                                    format!("invalid escape `\\{e}{hex}`"),
                                                );
                                            }
                                        }
                                    }
                                    '0'..='7' => {
                                        let oct: String =
                                            chars.iter().skip(i - 1).take(3).map(|c| c.1).collect();
                                        i += 2;
                                        match u32::from_str_radix(&oct, 8)
                                            .ok()
                                            .and_then(char::from_u32)
                                        {
                                            Some(ch) => s.push(ch),
                                            None => {
                                                return error(
                                                    here,
                                                    format!("invalid escape `\\{oct}`"),
                                                );
                                            }
                                        }
                                    }
                                    other => {
                                        return error(
                                            here,
                                            format!("unknown escape sequence `\\{other}`"),
                                        );
                                    }
                                }
                            }
                            c => s.push(c),
                        }
                    }
                    out.push((Tok::Lit(J::String(s)), here));
                }
                '`' => {
                    i += 1;
                    let mut s = String::new();
                    loop {
                        let Some(&(_, c)) = chars.get(i) else {
                            return error(here, "unterminated raw quoted string");
                        };
                        i += 1;
                        if c == '`' {
                            break;
                        }
                        s.push(c);
                    }
                    out.push((Tok::Lit(J::String(s)), here));
                }
                '\'' => {
                    i += 1;
                    while i < chars.len() && chars[i].1 != '\'' {
                        if chars[i].1 == '\\' {
                            i += 1;
                        }
                        i += 1;
                    }
                    i += 1;
                    out.push((Tok::Char, here));
                }
                '$' => {
                    i += 1;
                    let mut name = String::new();
                    while i < chars.len() && ident_char(chars[i].1) {
                        name.push(chars[i].1);
                        i += 1;
                    }
                    let fields = chain(&mut i);
                    out.push((Tok::Var(name, fields), here));
                }
                '.' if !chars.get(i + 1).is_some_and(|c| c.1.is_ascii_digit()) => {
                    let fields = chain(&mut i);
                    if fields.is_empty() {
                        i += 1; // a lone dot
                    }
                    out.push((Tok::Field(fields), here));
                }
                c if c.is_ascii_digit()
                    || c == '.'
                    || ((c == '-' || c == '+')
                        && chars
                            .get(i + 1)
                            .is_some_and(|n| n.1.is_ascii_digit() || n.1 == '.')) =>
                {
                    let begin = i;
                    i += 1;
                    while i < chars.len()
                        && (chars[i].1.is_ascii_alphanumeric()
                            || chars[i].1 == '.'
                            || chars[i].1 == '_'
                            || ((chars[i].1 == '-' || chars[i].1 == '+')
                                && matches!(chars[i - 1].1, 'e' | 'E' | 'p' | 'P')))
                    {
                        i += 1;
                    }
                    let text: String = chars[begin..i].iter().map(|c| c.1).collect();
                    match number(&text) {
                        Some(v) => out.push((Tok::Lit(v), here)),
                        None => return error(here, format!("bad number syntax: `{text}`")),
                    }
                }
                c if ident_char(c) => {
                    let mut name = String::new();
                    while i < chars.len() && ident_char(chars[i].1) {
                        name.push(chars[i].1);
                        i += 1;
                    }
                    let tok = match name.as_str() {
                        "true" => Tok::Lit(J::Bool(true)),
                        "false" => Tok::Lit(J::Bool(false)),
                        "nil" => Tok::Lit(J::Null),
                        _ => Tok::Ident(name),
                    };
                    out.push((tok, here));
                }
                other => return error(here, format!("unexpected `{other}` in action")),
            }
        }
        Ok(out)
    }

    fn number(text: &str) -> Option<J> {
        let clean = text.replace('_', "");
        let (neg, digits) = match clean.strip_prefix('-') {
            Some(d) => (true, d.to_owned()),
            None => (false, clean.strip_prefix('+').unwrap_or(&clean).to_owned()),
        };
        let lower = digits.to_ascii_lowercase();
        let int = if let Some(h) = lower.strip_prefix("0x") {
            i64::from_str_radix(h, 16).ok()
        } else if let Some(o) = lower.strip_prefix("0o") {
            i64::from_str_radix(o, 8).ok()
        } else if let Some(b) = lower.strip_prefix("0b") {
            i64::from_str_radix(b, 2).ok()
        } else if lower.len() > 1
            && lower.starts_with('0')
            && lower.bytes().all(|c| c.is_ascii_digit())
        {
            i64::from_str_radix(&lower[1..], 8).ok()
        } else {
            lower.parse::<i64>().ok()
        };
        if let Some(i) = int {
            return Some(J::from(if neg { -i } else { i }));
        }
        let f: f64 = lower.parse().ok()?;
        let f = if neg { -f } else { f };
        // Go: a float constant with an integral value is also an int.
        if f.fract() == 0.0 && f.abs() < 9.0e15 && !lower.contains(['e', 'p']) {
            return Some(J::from(f as i64));
        }
        Number::from_f64(f).map(J::Number)
    }

    /// Parse a template.
    pub fn parse(src: &str) -> Result<Tree, Error> {
        let segs = segments(src)?;
        let mut p = Parser {
            segs,
            i: 0,
            defines: Vec::new(),
        };
        let (items, stop) = p.list(true)?;
        match stop {
            Stop::Eof => {}
            Stop::End(at) => return error(at, "unexpected {{end}}"),
            Stop::Else(at, _) => return error(at, "unexpected {{else}}"),
        }
        Ok(Tree {
            items,
            defines: p.defines,
        })
    }

    enum Stop {
        Eof,
        End(usize),
        Else(usize, Vec<(Tok, usize)>),
    }

    struct Parser {
        segs: Vec<Segment>,
        i: usize,
        defines: Vec<Define>,
    }

    impl Parser {
        fn list(&mut self, top: bool) -> Result<(Vec<Item>, Stop), Error> {
            let mut items = Vec::new();
            while self.i < self.segs.len() {
                let seg = std::mem::replace(&mut self.segs[self.i], Segment::Text(String::new()));
                self.i += 1;
                let (toks, at) = match seg {
                    Segment::Text(t) => {
                        items.push(Item::Text(t));
                        continue;
                    }
                    Segment::Action { toks, at } => (toks, at),
                };
                let keyword = match toks.first() {
                    Some((Tok::Ident(k), _)) => k.as_str(),
                    Some(_) => "",
                    None => return error(at, "missing value for command"),
                };
                let rest = toks.get(1..).unwrap_or_default().to_vec();
                match keyword {
                    "end" => {
                        if !rest.is_empty() {
                            return error(at, "unexpected tokens after end");
                        }
                        return Ok((items, Stop::End(at)));
                    }
                    "else" => return Ok((items, Stop::Else(at, rest))),
                    "if" | "with" | "range" => items.push(self.control(keyword, &rest, at)?),
                    "define" => {
                        if !top {
                            return error(at, "unexpected {{define}}: it must be at the top level");
                        }
                        let name = match rest.as_slice() {
                            [(Tok::Lit(J::String(n)), _)] => n.clone(),
                            _ => return error(at, "`define` needs a quoted template name"),
                        };
                        let (body, stop) = self.list(false)?;
                        match stop {
                            Stop::End(_) => {}
                            _ => {
                                return error(
                                    at,
                                    format!(
                                        "unexpected EOF: {{{{define \"{name}\"}}}} has no {{{{end}}}}"
                                    ),
                                );
                            }
                        }
                        self.defines.push(Define { name, body });
                    }
                    "template" | "block" => {
                        let (name, arg_toks) = match rest.split_first() {
                            Some(((Tok::Lit(J::String(n)), _), arg)) => (n.clone(), arg),
                            _ => {
                                return error(
                                    at,
                                    format!("`{keyword}` needs a quoted template name"),
                                );
                            }
                        };
                        let arg = if arg_toks.is_empty() {
                            None
                        } else {
                            Some(pipeline(arg_toks, at)?)
                        };
                        let keyword: &'static str = if keyword == "block" {
                            "block"
                        } else {
                            "template"
                        };
                        if keyword == "block" {
                            let (body, stop) = self.list(false)?;
                            if !matches!(stop, Stop::End(_)) {
                                return error(at, "unexpected EOF: {{block}} has no {{end}}");
                            }
                            self.defines.push(Define {
                                name: name.clone(),
                                body,
                            });
                        }
                        items.push(Item::Template {
                            name,
                            arg,
                            at,
                            keyword,
                        });
                    }
                    "break" | "continue" => {
                        items.push(Item::Control {
                            keyword: if keyword == "break" {
                                "break"
                            } else {
                                "continue"
                            },
                            at,
                        });
                    }
                    _ => items.push(Item::Action(pipeline(&toks, at)?)),
                }
            }
            Ok((items, Stop::Eof))
        }

        /// `if`/`with`/`range` after its keyword, up to its `end`.
        fn control(
            &mut self,
            keyword: &str,
            rest: &[(Tok, usize)],
            at: usize,
        ) -> Result<Item, Error> {
            let pipe = pipeline(rest, at)?;
            let (body, stop) = self.list(false)?;
            let mut branches = vec![(pipe, body)];
            let mut els = Vec::new();
            let mut stop = stop;
            loop {
                match stop {
                    Stop::End(_) => break,
                    Stop::Eof => {
                        return error(
                            at,
                            format!("unexpected EOF: {{{{{keyword}}}}} has no {{{{end}}}}"),
                        );
                    }
                    Stop::Else(else_at, toks) => {
                        if toks.is_empty() {
                            let (body, s) = self.list(false)?;
                            els = body;
                            match s {
                                Stop::End(_) => break,
                                Stop::Else(a, _) => {
                                    return error(a, "unexpected {{else}} after {{else}}");
                                }
                                Stop::Eof => {
                                    return error(
                                        at,
                                        format!(
                                            "unexpected EOF: {{{{{keyword}}}}} has no {{{{end}}}}"
                                        ),
                                    );
                                }
                            }
                        }
                        match toks.first() {
                            Some((Tok::Ident(k), _)) if k == "if" && keyword == "if" => {
                                let cond = pipeline(&toks[1..], else_at)?;
                                let (body, s) = self.list(false)?;
                                branches.push((cond, body));
                                stop = s;
                            }
                            Some((Tok::Ident(k), _)) if k == "if" || k == "with" => {
                                // `{{ else if }}` in with/range, `{{ else with }}`:
                                // a nested control sharing the outer `{{ end }}`.
                                let k = k.clone();
                                els = vec![self.control(&k, &toks[1..], else_at)?];
                                break;
                            }
                            _ => return error(else_at, "unexpected tokens after else"),
                        }
                    }
                }
            }
            Ok(match keyword {
                "if" => Item::If { branches, els },
                "with" => {
                    let (pipe, body) = branches.remove(0);
                    Item::With {
                        pipe,
                        body,
                        els,
                        at,
                    }
                }
                _ => {
                    let (pipe, body) = branches.remove(0);
                    Item::Range {
                        pipe,
                        body,
                        els,
                        at,
                    }
                }
            })
        }
    }

    /// A pipeline: optional declarations, then commands separated by `|`.
    fn pipeline(toks: &[(Tok, usize)], at: usize) -> Result<Pipe, Error> {
        let mut decls = Vec::new();
        let mut rest = toks;
        // `$x :=`, `$x =`, `$i, $v :=`
        let decl_end = toks
            .iter()
            .position(|(t, _)| matches!(t, Tok::Declare | Tok::Assign));
        if let Some(end) = decl_end
            && toks[..end]
                .iter()
                .all(|(t, _)| matches!(t, Tok::Var(_, c) if c.is_empty()) || *t == Tok::Comma)
            && end > 0
        {
            for (t, a) in &toks[..end] {
                if let Tok::Var(name, _) = t {
                    decls.push((format!("${name}"), *a));
                }
            }
            rest = &toks[end + 1..];
        }
        if rest.is_empty() {
            return error(at, "missing value for command");
        }
        let mut cmds = Vec::new();
        let mut i = 0;
        while i < rest.len() {
            let cmd_at = rest[i].1;
            let mut args = Vec::new();
            while i < rest.len() && rest[i].0 != Tok::Pipe {
                let (tok, a) = &rest[i];
                i += 1;
                let arg = match tok {
                    Tok::Field(chain) => Arg::Field {
                        chain: chain.clone(),
                        at: *a,
                    },
                    Tok::Var(name, chain) => Arg::Var {
                        name: name.clone(),
                        chain: chain.clone(),
                        at: *a,
                    },
                    Tok::Ident(name) => Arg::Func {
                        name: name.clone(),
                        at: *a,
                    },
                    Tok::Lit(v) => Arg::Lit {
                        value: v.clone(),
                        at: *a,
                    },
                    Tok::Char => Arg::Unsupported {
                        what: "a character constant".into(),
                        at: *a,
                    },
                    Tok::LParen => {
                        let mut depth = 1;
                        let start = i;
                        while i < rest.len() {
                            match rest[i].0 {
                                Tok::LParen => depth += 1,
                                Tok::RParen(_) => {
                                    depth -= 1;
                                    if depth == 0 {
                                        break;
                                    }
                                }
                                _ => {}
                            }
                            i += 1;
                        }
                        let Some((Tok::RParen(chain), _)) = rest.get(i) else {
                            return error(*a, "unclosed left paren");
                        };
                        let inner = pipeline(&rest[start..i], *a)?;
                        if !inner.decls.is_empty() {
                            return error(*a, "variable declaration inside parentheses");
                        }
                        i += 1;
                        Arg::Sub {
                            pipe: inner,
                            chain: chain.clone(),
                            at: *a,
                        }
                    }
                    Tok::RParen(_) => return error(*a, "unexpected right paren"),
                    Tok::Declare | Tok::Assign | Tok::Comma => {
                        return error(*a, "unexpected `:=`, `=` or `,` in pipeline");
                    }
                    Tok::Pipe => unreachable!(),
                };
                args.push(arg);
            }
            if args.is_empty() {
                return error(cmd_at, "missing command in pipeline");
            }
            cmds.push(Cmd { args, at: cmd_at });
            if i < rest.len() {
                i += 1; // the `|`
                if i == rest.len() {
                    return error(rest[i - 1].1, "missing command after `|`");
                }
            }
        }
        Ok(Pipe { decls, cmds })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::diagnostic::Severity;

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/charts")
    }

    fn builtin() -> ChartOptions {
        ChartOptions {
            renderer: Renderer::BuiltIn,
            ..ChartOptions::default()
        }
    }

    /// (file name relative to the chart, code, line, column) of every finding.
    fn brief(dir: &Path, r: &ChartResult) -> Vec<(String, String, usize, usize)> {
        let prefix = dir.to_string_lossy().into_owned() + "/";
        r.files
            .iter()
            .flat_map(|(p, ds)| {
                let rel = p.strip_prefix(&prefix).unwrap_or(p).to_owned();
                ds.iter()
                    .map(move |d| (rel.clone(), d.code.clone(), d.line, d.column))
            })
            .collect()
    }

    fn t(file: &str, code: &str, line: usize, column: usize) -> (String, String, usize, usize) {
        (file.to_owned(), code.to_owned(), line, column)
    }

    /// Render one template text with the built-in renderer.
    fn render(template: &str, values: &str) -> Result<String, String> {
        let tree =
            tmpl::parse(template).map_err(|e| format!("parse: {} at {}", e.message, e.at))?;
        let (diags, values) = load_values(values);
        assert!(diags.is_empty(), "{diags:?}");
        let mut defines: Defines<'_> = HashMap::new();
        for d in &tree.defines {
            defines.insert(d.name.clone(), (0, &d.body));
        }
        let mut found = Vec::new();
        unsupported(&tree.items, 0, &defines, &mut HashSet::new(), &mut found);
        if let Some((_, at, what)) = found.first() {
            return Err(format!("unsupported {what} at {at}"));
        }
        let mut root = Map::new();
        root.insert("Values".into(), values);
        let mut release = Map::new();
        release.insert("Name".into(), J::String("rel".into()));
        root.insert("Release".into(), J::Object(release));
        let root = J::Object(root);
        let mut out = String::new();
        Exec {
            defines: &defines,
            depth: 0,
        }
        .items(0, &tree.items, &root, &root, &mut out)
        .map_err(|e| format!("{} at {}", e.message, e.at))?;
        Ok(out)
    }

    #[test]
    fn is_chart_needs_chart_yaml() {
        assert!(is_chart(&fixtures().join("todo-app")));
        assert!(!is_chart(&fixtures().join("todo-app/templates")));
        assert!(!is_chart(&fixtures().join("does-not-exist")));
    }

    #[test]
    fn good_chart_has_no_findings() {
        let dir = fixtures().join("todo-app");
        let r = check_chart(&dir, &builtin());
        assert_eq!(r.renderer_used, "built-in");
        let all = brief(&dir, &r);
        assert!(all.is_empty(), "{:#?}", r.files);
        let names: Vec<&str> = r.rendered.iter().map(|f| f.template.as_str()).collect();
        assert_eq!(
            names,
            [
                "templates/backend-deployment.yaml",
                "templates/backend-service.yaml",
                "templates/configmap.yaml",
                "templates/frontend-deployment.yaml",
                "templates/frontend-service.yaml"
            ]
        );
        // Every source file has an entry, even without findings.
        let files: Vec<String> = r
            .files
            .iter()
            .map(|(p, _)| p.rsplit('/').next().unwrap().to_owned())
            .collect();
        assert!(
            files.contains(&"Chart.yaml".to_owned())
                && files.contains(&"values.yaml".to_owned())
                && files.contains(&"_helpers.tpl".to_owned()),
            "{files:?}"
        );
        let deploy = &r.rendered[0].text;
        assert!(deploy.contains("imagePullPolicy: Never"), "{deploy}");
        assert!(
            deploy.contains("\n    app.kubernetes.io/part-of: todo-app\n"),
            "{deploy}"
        );
        assert!(
            deploy
                .contains("\n          resources:\n            limits:\n              cpu: 500m\n"),
            "{deploy}"
        );
    }

    #[test]
    fn good_chart_with_overrides() {
        let dir = fixtures().join("todo-app");
        let tmp =
            std::env::temp_dir().join(format!("dockhand-chart-values-{}.yaml", std::process::id()));
        std::fs::write(
            &tmp,
            "backend:\n  replicas: 3\nfrontend:\n  nodePort: 30081\n",
        )
        .unwrap();
        let opts = ChartOptions {
            values_files: vec![tmp.clone()],
            set: vec!["backend.replicas=5,frontend.image.tag=v2".into()],
            ..builtin()
        };
        let r = check_chart(&dir, &opts);
        std::fs::remove_file(&tmp).ok();
        let deploy = r
            .rendered
            .iter()
            .find(|f| f.template == "templates/backend-deployment.yaml")
            .unwrap();
        assert!(
            deploy.text.contains("replicas: 5\n"),
            "--set wins over the values file: {}",
            deploy.text
        );
        let front = r
            .rendered
            .iter()
            .find(|f| f.template == "templates/frontend-deployment.yaml")
            .unwrap();
        assert!(
            front.text.contains("image: \"todo-frontend:v2\""),
            "{}",
            front.text
        );
        // The values file's NodePort is checked against the policy.
        let all = brief(&dir, &r);
        assert_eq!(
            all,
            vec![t(
                "templates/frontend-service.yaml (rendered)",
                "policy/nodeport",
                18,
                17
            )],
            "{:#?}",
            r.files
        );
    }

    #[test]
    fn bad_chart_version() {
        let dir = fixtures().join("bad-chart-yaml");
        let r = check_chart(&dir, &builtin());
        assert_eq!(
            brief(&dir, &r),
            vec![
                t("Chart.yaml", "chart/api-version", 1, 13),
                t("Chart.yaml", "chart/version", 4, 10),
                t("Chart.yaml", "chart/app-version", 5, 13),
            ]
        );
        let d = &r.files[0].1;
        assert!(
            d[1].message.contains("`one` is not a semantic version"),
            "{}",
            d[1].message
        );
        assert!(d[2].message.contains("a number"), "{}", d[2].message);
        assert!(d.iter().all(|d| d.is_error() && d.hint.is_some()));
        // The chart still renders with the built-in renderer.
        assert_eq!(r.rendered.len(), 1);
    }

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

    #[test]
    fn missing_value_reference() {
        let dir = fixtures().join("bad-missing-value");
        let r = check_chart(&dir, &builtin());
        assert_eq!(
            brief(&dir, &r),
            vec![
                // `.Values.backend.imag`, a typo
                t("templates/deployment.yaml", "chart/missing-value", 19, 21),
                // inside `default`: values.yaml must still define it
                t("templates/deployment.yaml", "chart/missing-value", 29, 26),
                t("templates/deployment.yaml", "chart/missing-value", 32, 24),
            ],
            "{:#?}",
            r.files
        );
        let d = &r
            .files
            .iter()
            .find(|(p, _)| p.ends_with("deployment.yaml"))
            .unwrap()
            .1;
        assert!(
            d[0].message.contains("`.Values.backend.imag`"),
            "{}",
            d[0].message
        );
        assert!(
            d[0].message.contains("did you mean `image`?"),
            "{}",
            d[0].message
        );
        assert!(
            d[1].message
                .contains("`.Values.backend.resources.limits.memory`"),
            "{}",
            d[1].message
        );
        assert!(
            d[2].message.contains("`.Values.backend.healthPath`"),
            "{}",
            d[2].message
        );
        // Helm renders a missing leaf as an empty string: the document still renders.
        assert_eq!(r.rendered.len(), 1);
    }

    #[test]
    fn unsupported_range_is_reported_not_guessed() {
        let dir = fixtures().join("bad-range");
        let r = check_chart(&dir, &builtin());
        assert_eq!(
            brief(&dir, &r),
            vec![t(
                "templates/deployment.yaml",
                "chart/unsupported-template",
                30,
                13
            )],
            "{:#?}",
            r.files
        );
        let d = &r
            .files
            .iter()
            .find(|(p, _)| p.ends_with("deployment.yaml"))
            .unwrap()
            .1[0];
        assert!(
            d.message
                .starts_with("`range` at line 30 of templates/deployment.yaml"),
            "{}",
            d.message
        );
        assert!(r.rendered.is_empty());
    }

    #[test]
    fn literal_secret_in_chart() {
        let dir = fixtures().join("bad-literal-secret");
        let r = check_chart(&dir, &builtin());
        assert_eq!(
            brief(&dir, &r),
            vec![t(
                "templates/deployment.yaml (rendered)",
                "policy/secret-env",
                25,
                22
            )],
            "{:#?}",
            r.files
        );
        let text = &r.rendered[0].text;
        assert_eq!(
            text.lines().nth(24).unwrap().trim(),
            "value: \"sk-test-not-a-real-key\""
        );
    }

    #[test]
    fn nodeport_30081() {
        let dir = fixtures().join("bad-nodeport");
        let r = check_chart(&dir, &builtin());
        assert_eq!(
            brief(&dir, &r),
            vec![t(
                "templates/service.yaml (rendered)",
                "policy/nodeport",
                12,
                17
            )],
            "{:#?}",
            r.files
        );
        let d = &r
            .files
            .iter()
            .find(|(p, _)| p.ends_with(RENDERED_SUFFIX))
            .unwrap()
            .1[0];
        assert!(d.message.contains("nodePort 30081"), "{}", d.message);
        assert_eq!(d.pointer.as_deref(), Some("/spec/ports/0/nodePort"));
        // With the policy configured for 30081, it passes.
        let opts = ChartOptions {
            policy: PolicyConfig {
                nodeport: 30081,
                ..PolicyConfig::default()
            },
            ..builtin()
        };
        assert!(check_chart(&dir, &opts).errors() == 0);
    }

    #[test]
    fn template_syntax_error() {
        let dir =
            std::env::temp_dir().join(format!("dockhand-chart-syntax-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("templates")).unwrap();
        std::fs::write(
            dir.join("Chart.yaml"),
            "apiVersion: v2\nname: x\nversion: 0.1.0\nappVersion: \"1\"\n",
        )
        .unwrap();
        std::fs::write(dir.join("values.yaml"), "a: 1\n").unwrap();
        std::fs::write(
            dir.join("templates/cm.yaml"),
            "kind: ConfigMap\n{{ if .Values.a }}\nx: 1\n",
        )
        .unwrap();
        let r = check_chart(&dir, &builtin());
        std::fs::remove_dir_all(&dir).ok();
        let d: Vec<_> = r.files.iter().flat_map(|(_, d)| d).collect();
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(
            (d[0].code.as_str(), d[0].line, d[0].column),
            ("chart/template-syntax", 2, 1)
        );
        assert!(
            d[0].message.contains("{{if}} has no {{end}}"),
            "{}",
            d[0].message
        );
    }

    #[test]
    fn renderer_basics() {
        let v = "a: {b: hello, num: 1000000, f: 0.5, t: true, e: '', l: [1, x], m: {z: 1, w: [a]}}\nname: web\n";
        assert_eq!(render("x: {{ .Values.a.b }}", v).unwrap(), "x: hello");
        assert_eq!(
            render("{{ .Values.a.num }} {{ .Values.a.f }} {{ .Values.a.t }}", v).unwrap(),
            "1e+06 0.5 true"
        );
        assert_eq!(
            render("{{ .Values.a.l }} {{ .Values.a.m }}", v).unwrap(),
            "[1 x] map[w:[a] z:1]"
        );
        assert_eq!(render("[{{ .Values.nope }}]", v).unwrap(), "[]");
        assert_eq!(render("a\n  {{- /* c */ -}}\n  b", v).unwrap(), "ab");
        assert_eq!(render("a {{/* c */}} b", v).unwrap(), "a  b");
        assert_eq!(
            render("x:\n  {{- .Values.a.b }}\ny: {{ .Values.a.b -}}  \n  !", v).unwrap(),
            "x:hello\ny: hello!"
        );
        assert_eq!(
            render(
                "{{ .Values.a.b | quote }} {{ .Values.a.num | quote }} {{ quote .Values.nope }}",
                v
            )
            .unwrap(),
            "\"hello\" \"1e+06\" "
        );
        assert_eq!(
            render("{{ \"a\\\"b\\n\" | quote }} {{ squote .Values.a.b }}", v).unwrap(),
            "\"a\\\"b\\n\" 'hello'"
        );
        assert_eq!(render("{{ .Values.a.e | default \"d\" }} {{ .Values.a.b | default \"d\" }} {{ default 3 .Values.nope }}", v).unwrap(), "d hello 3");
        assert_eq!(
            render(
                "{{ .Release.Name }}-{{ .Values.name | upper | trunc 2 }}",
                v
            )
            .unwrap(),
            "rel-WE"
        );
        assert_eq!(
            render(
                "{{ \"abc-\" | trimSuffix \"-\" }} {{ trim \"  x \" }} {{ lower \"AB\" }}",
                v
            )
            .unwrap(),
            "abc x ab"
        );
        assert_eq!(
            render(
                "{{ not .Values.a.t }} {{ and 1 0 }} {{ or 0 \"\" 2 }} {{ (.Values.a).b }}",
                v
            )
            .unwrap(),
            "false 0 2 hello"
        );
        assert_eq!(render("{{ $.Values.name }}", v).unwrap(), "web");
    }

    #[test]
    fn renderer_if_else_and_includes() {
        let v = "yes_: true\nno_: false\nzero: 0\nlabels: {app: web, tier: api}\n";
        let t = r#"{{- define "labels" -}}
app: {{ .Values.labels.app }}
{{- if .Values.yes_ }}
up: "yes"
{{- end }}
{{- end -}}
{{- define "nested" }}[{{ include "labels" . | nindent 2 }}]{{ end -}}
{{ if .Values.no_ }}A{{ else if .Values.zero }}B{{ else }}C{{ end }}
{{ if .Values.yes_ }}D{{ end }}
metadata:
  labels:
    {{- include "labels" . | nindent 4 }}
{{ template "nested" . }}
{{ include "labels" . | indent 2 }}"#;
        assert_eq!(
            render(t, v).unwrap(),
            "C\nD\nmetadata:\n  labels:\n    app: web\n    up: \"yes\"\n[\n  app: web\n  up: \"yes\"]\n  app: web\n  up: \"yes\""
        );
    }

    #[test]
    fn renderer_errors_like_helm() {
        let v = "a: {b: x}\nnum: 2\n";
        assert_eq!(
            render("{{ .Values.nope.deeper }}", v),
            Err("nil pointer evaluating interface {}.deeper at 3".into())
        );
        assert_eq!(
            render("{{ .Values.a.b.c }}", v),
            Err("can't evaluate field c in type string at 3".into())
        );
        assert_eq!(
            render("{{ include \"x\" . }}", v).unwrap_err(),
            "no template named \"x\" (named templates come from `{{ define \"x\" }}`) at 3"
        );
        assert_eq!(
            render("{{ nindent .Values.num \"x\" }}", v),
            Err(
                "error calling nindent: wrong type for value; expected int; got float64 at 3"
                    .into()
            )
        );
        assert_eq!(
            render("{{ .Values.num | indent 2 }}", v),
            Err(
                "error calling indent: wrong type for value; expected string; got float64 at 17"
                    .into()
            )
        );
        assert_eq!(
            render("{{ .Values.a \"x\" }}", v),
            Err("can't give argument to non-function at 3".into())
        );
    }

    #[test]
    fn unsupported_constructs_are_named() {
        for (t, what) in [
            ("{{ range .Values.l }}x{{ end }}", "`range`"),
            ("{{ with .Values.a }}x{{ end }}", "`with`"),
            ("{{ printf \"%s\" .Values.a }}", "function `printf`"),
            ("{{ tpl .Values.a . }}", "function `tpl`"),
            (
                "{{ lookup \"v1\" \"Secret\" \"ns\" \"n\" }}",
                "function `lookup`",
            ),
            ("{{ required \"x\" .Values.a }}", "function `required`"),
            ("{{ $x := .Values.a }}", "variable declaration `$x :=`"),
            ("{{ .Capabilities.KubeVersion }}", "`.Capabilities`"),
            ("{{ .Files.Get \"x\" }}", "`.Files`"),
            ("{{ .Chart.Nope }}", "`.Chart.Nope`"),
            (
                "{{ include .Values.name . }}",
                "`include` with a computed template name",
            ),
            ("{{ block \"x\" . }}y{{ end }}", "`block`"),
            ("{{ 'a' }}", "a character constant"),
        ] {
            let got = render(t, "a: 1\nl: []\nname: n\n").unwrap_err();
            assert!(
                got.starts_with(&format!("unsupported {what} at")),
                "{t}: {got}"
            );
        }
        // In a define that is included: found through the include.
        let t = "{{ define \"h\" }}{{ printf \"x\" }}{{ end }}{{ include \"h\" . }}";
        assert_eq!(
            render(t, "a: 1\n").unwrap_err(),
            "unsupported function `printf` at 19"
        );
        // An unused define is not reported.
        let t = "{{ define \"h\" }}{{ printf \"x\" }}{{ end }}ok";
        assert_eq!(render(t, "a: 1\n").unwrap(), "ok");
    }

    #[test]
    fn template_parse_errors() {
        for (t, msg, at) in [
            ("{{ if .x }}", "unexpected EOF: {{if}} has no {{end}}", 0),
            ("a {{ end }}", "unexpected {{end}}", 2),
            ("{{ .x ", "unclosed action", 0),
            ("{{ \"abc }}", "unclosed action", 0),
            ("{{ \"abc\n }}", "unterminated quoted string", 7),
            ("{{/* x }}", "unclosed comment", 0),
            ("{{ }}", "missing value for command", 0),
            ("{{ .a | }}", "missing command after `|`", 6),
            ("{{ (.a }}", "unclosed left paren", 3),
            (
                "{{ if .a }}{{ define \"x\" }}{{ end }}{{ end }}",
                "unexpected {{define}}: it must be at the top level",
                11,
            ),
        ] {
            let e = tmpl::parse(t).unwrap_err();
            assert_eq!((e.message.as_str(), e.at), (msg, at), "{t}");
        }
    }

    #[test]
    fn value_refs_skip_rebound_dot() {
        let t = "{{ .Values.a.b }}{{ if .Values.c }}{{ default 1 (.Values.d.e) }}{{ end }}\
                 {{ with .Values.f }}{{ .g }}{{ .Values.notroot }}{{ $.Values.h }}{{ else }}{{ .Values.i }}{{ end }}\
                 {{ range .Values.j }}{{ .k }}{{ end }}{{ define \"x\" }}{{ .Values.l }}{{ end }}{{ .Values }}";
        let tree = tmpl::parse(t).unwrap();
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

    #[test]
    fn set_values_like_helm() {
        let mut v = J::Object(Map::new());
        parse_set(
            "a.b=1,a.c=true,d=007,e=null,f=1.5,g={x,2},h[1]=z,i\\.j=k,l=a\\,b",
            &mut v,
        )
        .unwrap();
        assert_eq!(
            v,
            serde_json::json!({"a": {"b": 1, "c": true}, "d": "007", "e": null, "f": "1.5", "g": ["x", 2], "h": [null, "z"], "i.j": "k", "l": "a,b"})
        );
        for bad in ["a", "a.b", "=x", "a[x]=1", "a={x"] {
            assert!(parse_set(bad, &mut J::Object(Map::new())).is_err(), "{bad}");
        }
        // Later files win, maps merge, null deletes a default.
        let (_, defaults) = load_values("a: {b: 1, c: 2}\nd: 3\nl: [1]\n");
        let mut user = J::Object(Map::new());
        merge_maps(&mut user, serde_json::json!({"a": {"b": 10}, "d": null}));
        merge_maps(&mut user, serde_json::json!({"a": {"x": 1}}));
        parse_set("a.b=20", &mut user).unwrap();
        let merged = coalesce(user, &defaults);
        assert_eq!(
            merged,
            serde_json::json!({"a": {"b": 20, "x": 1, "c": 2.0}, "l": [1.0]})
        );
    }

    #[test]
    fn to_yaml_like_go_yaml() {
        let (_, v) = load_values(
            "m:\n  b: 1000000\n  a: \"yes\"\n  l: [1, x, {k: v, j: [1]}]\n  e: {}\n  el: []\n  ml: \"a\\n b\\n\"\n  ml2: \"a\\nb\"\n  f: 0.5\n  big: 100000000000000000000\n  s1: \"- x\"\n  s2: \"a: b\"\n  s3: \" lead\"\n  s4: \"2024-01-01\"\n  s5: \"1:30\"\n  s6: \"it's\"\n  s7: \"#x\"\n  s8: \"x #y\"\n  s9: \"tab\\there\"\n  s10: \"\"\n  s11: \"null\"\n  s12: \"123\"\n  \"10\": x\n  \"9\": y\n  a10: z\n  a9: w\n  B: v\n  nul: null\n",
        );
        let y = to_yaml(&v["m"]);
        let want = "\
\"9\": true
\"10\": x
B: v
a: \"yes\"
a9: w
a10: z
b: 1000000
big: 1e+20
e: {}
el: []
f: 0.5
l:
- 1
- x
- j:
  - 1
  k: v
ml: |
  a
   b
ml2: |-
  a
  b
nul: null
s1: '- x'
s2: 'a: b'
s3: ' lead'
s4: \"2024-01-01\"
s5: \"1:30\"
s6: it's
s7: '#x'
s8: 'x #y'
s9: \"tab\\there\"
s10: \"\"
s11: \"null\"
s12: \"123\"";
        assert_eq!(y, want);
        // And it reads back as the same data.
        let back = yaml::parse(&y).documents[0].root.to_json();
        assert_eq!(back["ml"], "a\n b\n");
        assert_eq!(back["s9"], "tab\there");
        assert_eq!(to_yaml(&J::String("x".into())), "x");
        assert_eq!(to_yaml(&J::Null), "null");
        assert_eq!(
            to_yaml(&serde_json::json!([[1, 2], {"a": 1}])),
            "- - 1\n  - 2\n- a: 1"
        );
    }

    #[test]
    fn go_formatting() {
        let cases = [
            (123456.0, "123456"),
            (1234567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5, "1.5"),
            (1e20, "1e+20"),
            (-0.5, "-0.5"),
            (2.0, "2"),
            (100.25, "100.25"),
        ];
        for (f, s) in cases {
            assert_eq!(go_float(f), s, "{f}");
        }
        assert_eq!(
            go_quote("tab\there \"q\" \\ é \u{1}"),
            "\"tab\\there \\\"q\\\" \\\\ é \\x01\""
        );
    }

    #[test]
    fn helm_output_is_split_by_source() {
        let out = "---\n# Source: todo-app/templates/a.yaml\nkind: A\n---\n# Source: todo-app/templates/b.yaml\nkind: B\n---\n# Source: todo-app/templates/a.yaml\nkind: A2\n";
        let parts = split_helm_output(out, "todo-app");
        assert_eq!(
            parts,
            [
                ("templates/a.yaml".to_owned(), "kind: A\n".to_owned()),
                ("templates/b.yaml".to_owned(), "kind: B\n".to_owned()),
                ("templates/a.yaml".to_owned(), "kind: A2\n".to_owned()),
            ]
        );
        let rendered = HelmOutput {
            success: true,
            stdout: out.into(),
            stderr: String::new(),
        };
        let mut rep = Report::default();
        let (files, ok) = helm_results(
            &rendered,
            Path::new("c"),
            "todo-app",
            &[],
            &mut rep,
            &|r: &str| format!("c/{r}"),
        );
        assert!(ok);
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].text, "kind: A\n---\nkind: A2\n");
        assert_eq!(
            locate_helm_error(
                "t/templates/b.yaml:1:13\n  executing \"t/templates/b.yaml\" at <.Values.nope.deeper>",
                "t"
            ),
            Some(("templates/b.yaml".into(), 1, 14))
        );
        assert_eq!(
            locate_helm_error(
                "parse error at (t/templates/c.yaml:3): unexpected \"}\" in end",
                "t"
            ),
            Some(("templates/c.yaml".into(), 3, 1))
        );
        assert_eq!(
            locate_helm_error("validation: chart.metadata.version \"one\" is invalid", "t"),
            None
        );
    }

    // ------------------------------------------------------------ against helm

    /// The peer `helm`, when `DOCKHAND_PEERS_BIN` names a folder holding it.
    #[allow(clippy::print_stderr)]
    fn peer_helm() -> Option<PathBuf> {
        let Some(dir) = std::env::var_os("DOCKHAND_PEERS_BIN") else {
            eprintln!("note: DOCKHAND_PEERS_BIN is not set; skipping the comparison with helm");
            return None;
        };
        let helm = PathBuf::from(dir).join("helm");
        if !helm.is_file() {
            eprintln!(
                "note: no helm in DOCKHAND_PEERS_BIN ({}); skipping the comparison with helm",
                helm.display()
            );
            return None;
        }
        Some(helm)
    }

    /// Parsed documents per template, sorted (helm orders by kind).
    fn documents(r: &ChartResult) -> Vec<(String, Vec<String>)> {
        r.rendered
            .iter()
            .map(|f| {
                let parsed = yaml::parse(&f.text);
                let mut docs: Vec<String> = parsed
                    .documents
                    .iter()
                    .map(|d| d.root.to_json().to_string())
                    .collect();
                docs.sort();
                (f.template.clone(), docs)
            })
            .collect()
    }

    #[test]
    fn builtin_renderer_matches_helm() {
        let Some(helm) = peer_helm() else { return };
        let tmp =
            std::env::temp_dir().join(format!("dockhand-chart-cmp-{}.yaml", std::process::id()));
        // Floats print as helm prints them (`1e+06`); odd strings go through `quote`.
        std::fs::write(
            &tmp,
            "backend:\n  resources:\n    limits: {cpu: '1', memory: 1Gi}\nfrontend:\n  replicas: 1000000\n  apiUrl: 'http://todo-backend:8000 # \"x\"'\n",
        )
        .unwrap();
        let cases: Vec<(&str, Vec<PathBuf>, Vec<String>)> = vec![
            ("todo-app", vec![], vec![]),
            (
                "todo-app",
                vec![tmp.clone()],
                vec!["backend.replicas=3,frontend.image.tag=v2,backend.port=8001".into()],
            ),
            ("bad-literal-secret", vec![], vec![]),
            ("bad-nodeport", vec![], vec![]),
            ("bad-missing-value", vec![], vec![]),
        ];
        for (chart, values_files, set) in cases {
            let dir = fixtures().join(chart);
            let base = ChartOptions {
                values_files,
                set,
                ..ChartOptions::default()
            };
            let ours = check_chart(
                &dir,
                &ChartOptions {
                    renderer: Renderer::BuiltIn,
                    ..base.clone()
                },
            );
            let theirs = check_chart(
                &dir,
                &ChartOptions {
                    renderer: Renderer::Helm(helm.clone()),
                    ..base.clone()
                },
            );
            assert_eq!(ours.renderer_used, "built-in");
            assert_eq!(theirs.renderer_used, "helm");
            assert!(
                !theirs.rendered.is_empty(),
                "{chart}: helm rendered nothing: {:#?}",
                theirs.files
            );
            assert_eq!(
                documents(&ours),
                documents(&theirs),
                "{chart} {:?}",
                base.set
            );
            // Same findings too, apart from where the rendered lines differ.
            let codes = |r: &ChartResult| {
                let mut c: Vec<(String, String)> = r
                    .files
                    .iter()
                    .flat_map(|(p, ds)| ds.iter().map(move |d| (p.clone(), d.code.clone())))
                    .collect();
                c.sort();
                c
            };
            assert_eq!(codes(&ours), codes(&theirs), "{chart}");
        }
        std::fs::remove_file(&tmp).ok();
    }

    #[test]
    fn good_chart_passes_kubernetes_validate() {
        let Some(helm) = peer_helm() else { return };
        let kv = helm.with_file_name("kubernetes-validate");
        let dir = fixtures().join("todo-app");
        let r = check_chart(&dir, &builtin());
        let tmp = std::env::temp_dir().join(format!("dockhand-chart-kv-{}", std::process::id()));
        std::fs::create_dir_all(&tmp).unwrap();
        let mut args = vec![
            "--strict".to_owned(),
            "--quiet".to_owned(),
            "-k".to_owned(),
            "1.33.0".to_owned(),
        ];
        for (i, f) in r.rendered.iter().enumerate() {
            let p = tmp.join(format!("{i}.yaml"));
            std::fs::write(&p, &f.text).unwrap();
            args.push(p.to_string_lossy().into_owned());
        }
        let out = std::process::Command::new(&kv)
            .args(&args)
            .output()
            .expect("run kubernetes-validate");
        std::fs::remove_dir_all(&tmp).ok();
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn helm_errors_are_mapped_to_templates() {
        let Some(helm) = peer_helm() else { return };
        let dir = fixtures().join("bad-chart-yaml");
        let r = check_chart(
            &dir,
            &ChartOptions {
                renderer: Renderer::Helm(helm.clone()),
                ..ChartOptions::default()
            },
        );
        let render: Vec<&Diagnostic> = r
            .files
            .iter()
            .flat_map(|(_, d)| d)
            .filter(|d| d.code == "chart/render")
            .collect();
        assert_eq!(render.len(), 1, "{:#?}", r.files);
        assert!(
            render[0].message.contains("helm template failed"),
            "{}",
            render[0].message
        );
        // A failure while rendering points at the template's line.
        let dir =
            std::env::temp_dir().join(format!("dockhand-chart-helm-err-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("templates")).unwrap();
        std::fs::write(
            dir.join("Chart.yaml"),
            "apiVersion: v2\nname: x\nversion: 0.1.0\nappVersion: \"1\"\n",
        )
        .unwrap();
        std::fs::write(dir.join("values.yaml"), "a: 1\n").unwrap();
        std::fs::write(
            dir.join("templates/cm.yaml"),
            "kind: ConfigMap\nx: {{ .Values.nope.deeper }}\n",
        )
        .unwrap();
        let r = check_chart(
            &dir,
            &ChartOptions {
                renderer: Renderer::Helm(helm),
                ..ChartOptions::default()
            },
        );
        std::fs::remove_dir_all(&dir).ok();
        let d: Vec<(&str, usize, usize)> = r
            .files
            .iter()
            .flat_map(|(_, d)| d)
            .map(|d| (d.code.as_str(), d.line, d.column))
            .collect();
        assert_eq!(d[0].0, "chart/missing-value");
        assert_eq!((d[0].1, d[0].2), (2, 7));
        assert_eq!(d[1].0, "chart/render");
        assert_eq!(d[1].1, 2);
    }
}
