//! Helm charts as helm sees them: the chart's own rules, rendering, then
//! every rendered document through the strict schemas and the policies.
//!
//! [`check_chart`] reads the chart once into memory ([`ChartFiles`]) and
//! checks, in order:
//! 1. `Chart.yaml` by helm's rules (`meta`): `apiVersion` `v1` or `v2`, a
//!    valid name, a SemVer `version`, a string `appVersion` when present,
//!    `type`, maintainers, URLs, dependencies. What `helm lint` calls a
//!    warning stays a warning;
//! 2. the layout (`layout`): a dependency declared but absent from
//!    `charts/` is an error (helm refuses to render it), a subchart not
//!    declared is an error (`helm lint`), `crds/` holds only
//!    CustomResourceDefinitions, template file extensions;
//! 3. `values.yaml` and the `--values` files parse (`yaml/...`), and `--set`
//!    strings parse (`chart/set`);
//! 4. every `.Values.a.b` path a template references exists in the merged
//!    values (`chart/missing-value`, a warning: helm renders a missing leaf as
//!    an empty string). A reference guarded by `default`, `coalesce`,
//!    `required`, `hasKey`, `empty`, or an `if`/`with`/`and`/`or`/`not` test is
//!    not reported, nor are references in the body the test guards;
//! 5. rendering, with helm or the built-in renderer (below);
//! 6. each rendered template's YAML, strict schema findings, object names
//!    and policy findings (cross-resource policies across the whole chart;
//!    `service-selector` is skipped when some template could not be rendered,
//!    since its workload may be the missing one).
//!
//! **Where findings go.** Chart-level findings are reported under the file
//! they are about (`DIR/Chart.yaml`, `DIR/values.yaml`, `DIR/templates/x.yaml`
//! with that file's own line and column). Findings about *rendered* documents
//! (YAML, schema, policies) are reported under `DIR/templates/x.yaml (rendered)`
//! (see [`RENDERED_SUFFIX`]) with line and column in the rendered text of that
//! template, i.e. in [`RenderedFile::text`], so a report can show the offending
//! rendered line. Inline `# dockhand:ignore CODE reason` comments in a
//! template survive rendering, so they still apply to the rendered lines.
//!
//! **Renderers.** With helm available ([`Renderer::Auto`] finds it on
//! `PATH`; [`Renderer::Helm`] names it, from `[tools.helm] binary`), helm is
//! the renderer, whatever Chart.yaml holds: `helm template RELEASE DIR
//! --kube-version V --debug [--values F]... [--set K=V]...` run with an argv
//! only, under a timeout and an output limit (`helm`), with its Go garbage
//! collector off under a memory bound unless the user set `GOGC` or
//! `GOMEMLIMIT`. helm starts right after Chart.yaml is read, and renders on
//! its own thread while steps 2-4 run (the chart's time is helm's, not the
//! sum); step 5 waits for it. Its errors come back
//! as `chart/render` findings at the template's line and column when helm
//! gives them. The `# Source: CHART/templates/x.yaml` separators map
//! documents back to their template (subcharts' too). The renderer used is
//! named in one `chart/renderer` info finding on Chart.yaml.
//!
//! Without helm, the built-in renderer (`render`) implements the subset of
//! Go templates and Sprig that dockhand's own charts use, with helm's
//! semantics. A construct outside it (`range`, `tpl`, `.Files`, subcharts,
//! ...) makes the chart *not fully checked*: one `chart/not-fully-checked`
//! info finding names the construct, and the templates that use it are not
//! rendered. The built-in renderer never turns what it cannot do into an
//! error: its errors are the ones helm gives too (a nil pointer, a template
//! that does not parse).
//!
//! Other codes: `chart/chart-yaml` (Chart.yaml missing or unreadable),
//! `chart/values` (values not a mapping), `chart/values-file` (unreadable
//! `--values` file), `chart/set` (bad `--set`, reported under the path
//! `--set`), `chart/template-syntax` (built-in parser), `chart/object-name`
//! (a rendered object's name Kubernetes refuses), `chart/kube-version` (no
//! schemas for the requested version).
//!
//! **Layout.** This file holds the public API and the orchestration
//! ([`check_files`]); the parts live in `files` (reading the chart once),
//! `meta` (Chart.yaml), `layout` (charts/, crds/, templates/), `values`
//! (values files, `--set`, merging), `values_schema` (values.schema.json),
//! `template` (reading templates, `.Values` references and their guards,
//! object names, unsupported constructs), `functions` (the functions helm
//! defines), `gotmpl` (the Go-template lexer and parser), `render` (the built-in
//! renderer), `gofmt` (Go's value formatting), `to_yaml` (helm's `toYaml`)
//! and `helm` (running `helm template`).

mod files;
mod functions;
mod gofmt;
mod gotmpl;
mod helm;
mod layout;
mod meta;
mod render;
mod template;
mod to_yaml;
mod values;
mod values_schema;

pub use helm::HelmLimits;

#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value as J};

use super::diagnostic::{Diagnostic, Pos, Severity};
use super::policy::{self, PolicyConfig};
use super::schema::{DEFAULT_KUBE_VERSION, Schemas};
use super::yaml;
pub use files::ChartFiles;
use helm::{HelmRun, helm_results, run_helm};
use meta::check_chart_yaml;
use render::render_builtin;
use template::{missing_value, read_templates, value_refs};
use values::{coalesce, load_values, merge_maps, parse_set};

/// Appended to a template's path for findings about its rendered output.
pub const RENDERED_SUFFIX: &str = " (rendered)";

/// How to render a chart's templates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Renderer {
    /// `helm` from `PATH` if there is one, else the built-in renderer.
    #[default]
    Auto,
    /// This `helm` binary (`[tools.helm] binary`).
    Helm(PathBuf),
    /// The built-in renderer only.
    BuiltIn,
}

impl Renderer {
    /// The helm binary this renderer uses, if any.
    pub fn helm_binary(&self) -> Option<PathBuf> {
        match self {
            Renderer::BuiltIn => None,
            Renderer::Helm(p) => Some(p.clone()),
            Renderer::Auto => which::which("helm").ok(),
        }
    }
}

/// What to check a chart with.
#[derive(Debug, Clone)]
pub struct ChartOptions {
    /// `--values` files, later ones win.
    pub values_files: Vec<PathBuf>,
    /// `--set` strings (`a.b=c,d[0]=e`), applied after the values files.
    pub set: Vec<String>,
    pub renderer: Renderer,
    /// Timeout and output limit for `helm template` (the assistants').
    pub helm: HelmLimits,
    /// Kubernetes version of the strict schemas (and helm's `--kube-version`).
    pub kube_version: String,
    /// Settings of the project's policies.
    pub policy: PolicyConfig,
    /// `chart/missing-value` is an error (for a generated template, where a
    /// value the chart lacks is a wrong answer) rather than a warning.
    pub strict_values: bool,
}

impl Default for ChartOptions {
    fn default() -> Self {
        ChartOptions {
            values_files: Vec::new(),
            set: Vec::new(),
            renderer: Renderer::Auto,
            helm: HelmLimits::default(),
            kube_version: DEFAULT_KUBE_VERSION.to_owned(),
            policy: PolicyConfig::default(),
            strict_values: false,
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
    /// Every template was rendered and checked.
    pub complete: bool,
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

/// Check the chart at `dir` (read once into memory).
pub fn check_chart(dir: &Path, opts: &ChartOptions) -> ChartResult {
    check_files(&ChartFiles::read(dir), opts)
}

/// Check a chart already in memory (possibly with files laid over it).
pub fn check_files(chart: &ChartFiles, opts: &ChartOptions) -> ChartResult {
    check_files_with(chart, opts, None)
}

/// [`check_files`] with the strict schemas already compiled for this run
/// (used when their version is `opts.kube_version`, else loaded here).
pub fn check_files_with(
    chart: &ChartFiles,
    opts: &ChartOptions,
    compiled: Option<&Schemas>,
) -> ChartResult {
    let mut rep = Report::default();
    let path_of = |rel: &str| chart.path_of(rel);

    // 1. Chart.yaml
    let chart_path = path_of("Chart.yaml");
    rep.touch(&chart_path);
    let requirements = chart.text("requirements.yaml").and_then(Result::ok);
    let meta = match chart.text("Chart.yaml") {
        Some(Ok(text)) => {
            let (diags, meta) = check_chart_yaml(text, requirements);
            rep.extend(&chart_path, diags);
            meta
        }
        found => {
            let why = match found {
                Some(Err(_)) => "Chart.yaml is not UTF-8 text".to_owned(),
                _ => match chart.unreadable.iter().find(|(p, _)| p == "Chart.yaml") {
                    Some((_, e)) => format!("cannot read Chart.yaml: {e}"),
                    None => "the chart has no Chart.yaml".to_owned(),
                },
            };
            rep.add(
                &chart_path,
                Diagnostic::error("chart/chart-yaml", Pos::new(1, 1), why).with_hint(
                    "a Helm chart is a folder with Chart.yaml, values.yaml and templates/",
                ),
            );
            meta::ChartMeta::default()
        }
    };
    let chart_name = meta
        .name
        .clone()
        .or_else(|| {
            chart
                .dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "chart".to_owned());
    for (rel, e) in &chart.unreadable {
        rep.add(
            &path_of(rel),
            Diagnostic::error(
                "chart/read",
                Pos::new(1, 1),
                format!("cannot read {rel}: {e}"),
            ),
        );
    }

    // 5a. helm starts first and renders while dockhand does its own checks
    // (2-4, and the schemas): the chart's wall time is helm's, not the sum.
    let helm_bin = match meta.library {
        true => None,
        false => opts.renderer.helm_binary(),
    };
    std::thread::scope(|scope| {
        let helm = helm_bin
            .as_deref()
            .map(|bin| scope.spawn(|| run_helm(bin, chart, &chart_name, opts)));
        let (values, sources) = own_checks(chart, opts, &meta, &mut rep);
        let schemas = strict_schemas(opts, compiled);
        let helm = helm.map(|h| match h.join() {
            Ok(run) => run,
            Err(panic) => std::panic::resume_unwind(panic),
        });
        let rendered = render(
            chart,
            opts,
            &meta,
            &chart_name,
            &values,
            &sources,
            helm_bin.as_deref().zip(helm),
            &mut rep,
        );
        finish(chart, opts, schemas, rendered, rep)
    })
}

/// Steps 2-4 of [`check_files_with`]: the layout, the values (returned,
/// merged) and the templates (returned, parsed, their `.Values` references
/// checked).
fn own_checks(
    chart: &ChartFiles,
    opts: &ChartOptions,
    meta: &meta::ChartMeta,
    rep: &mut Report,
) -> (J, Vec<template::Source>) {
    let path_of = |rel: &str| chart.path_of(rel);
    // 2. layout
    layout::check_layout(chart, meta, rep);

    // 3. values
    let values_path = path_of("values.yaml");
    let mut defaults = J::Object(Map::new());
    match chart.text("values.yaml") {
        Some(Ok(text)) => {
            rep.touch(&values_path);
            let (diags, v) = load_values(text);
            rep.extend(&values_path, diags);
            defaults = v;
        }
        Some(Err(_)) => rep.add(
            &values_path,
            Diagnostic::error(
                "chart/values",
                Pos::new(1, 1),
                "values.yaml is not UTF-8 text",
            ),
        ),
        None => {}
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
    if chart.files.contains_key("values.schema.json") {
        rep.touch(&path_of("values.schema.json"));
    }

    // 4. templates: read, parse, check `.Values` references
    let mut sources = read_templates(chart, rep);
    for src in &mut sources {
        src.tree = match gotmpl::parse(&src.text) {
            Ok(tree) => Some(tree),
            Err(e) => {
                src.parse_error = Some(e);
                None
            }
        };
    }
    // Values of subcharts and `global` are merged by helm from elsewhere.
    let mut foreign: HashSet<&str> = HashSet::from(["global"]);
    for d in &meta.dependencies {
        foreign.insert(d.alias.as_deref().unwrap_or(&d.name));
    }
    for src in &sources {
        let Some(tree) = &src.tree else { continue };
        let lines = LineIndex::new(&src.text);
        let mut seen = HashSet::new();
        for (path, at) in value_refs(tree) {
            if path.first().is_some_and(|p| foreign.contains(p.as_str())) {
                continue;
            }
            if let Some(mut d) = missing_value(&values, &path, lines.pos(&src.text, at))
                && seen.insert((d.line, d.column))
            {
                if !opts.strict_values {
                    d.severity = Severity::Warning;
                }
                rep.add(&src.path, d);
            }
        }
    }

    (values, sources)
}

/// The strict schemas for `opts.kube_version`: `compiled` when it is that
/// version, else loaded (once per process); the error is reported by
/// [`finish`], where it always was.
fn strict_schemas<'a>(
    opts: &ChartOptions,
    compiled: Option<&'a Schemas>,
) -> Result<&'a Schemas, String> {
    let wanted = super::schema::parse_kube_version(&opts.kube_version).ok();
    match compiled.filter(|c| Some(c.version()) == wanted) {
        Some(c) => Ok(c),
        None => Schemas::load(&opts.kube_version).map_err(|e| e.to_string()),
    }
}

/// What step 5 rendered: the files, the renderer's name, and whether every
/// template was rendered.
type Rendered = (Vec<RenderedFile>, &'static str, bool);

/// Step 5: helm's run (already started and finished: `helm`), or the
/// built-in renderer, or nothing for a library chart.
#[allow(clippy::too_many_arguments)]
fn render(
    chart: &ChartFiles,
    opts: &ChartOptions,
    meta: &meta::ChartMeta,
    chart_name: &str,
    values: &J,
    sources: &[template::Source],
    helm: Option<(&Path, HelmRun)>,
    rep: &mut Report,
) -> Rendered {
    let chart_path = chart.path_of("Chart.yaml");
    if meta.library {
        rep.add(
            &chart_path,
            renderer_info("a library chart: its templates are rendered by the charts that use it"),
        );
        (Vec::new(), "none", true)
    } else {
        match helm {
            Some((bin, run)) => match run {
                HelmRun::Ran(out) => {
                    let chart_errors = rep
                        .files
                        .iter()
                        .any(|(_, ds)| ds.iter().any(Diagnostic::is_error));
                    let (files, ok) =
                        helm_results(&out, chart, chart_name, sources, chart_errors, rep);
                    rep.add(
                        &chart_path,
                        renderer_info(format!("rendered with `helm template` ({})", bin.display())),
                    );
                    (files, "helm", ok)
                }
                HelmRun::Failed(d) => {
                    rep.add(&chart_path, d);
                    (Vec::new(), "helm", false)
                }
            },
            None => {
                let schema_ok = check_values_schema(chart, values, opts, rep);
                let (files, ok) = render_builtin(chart, chart_name, meta, values, sources, rep);
                let ok = ok && schema_ok;
                let why = match opts.renderer {
                    Renderer::BuiltIn => "as asked",
                    _ => "no helm on PATH",
                };
                rep.add(
                    &chart_path,
                    renderer_info(format!(
                        "rendered with dockhand's built-in renderer ({why})"
                    )),
                );
                (files, "built-in", ok)
            }
        }
    }
}

/// The one `chart/renderer` info on Chart.yaml: which renderer ran, and why.
fn renderer_info(message: impl Into<String>) -> Diagnostic {
    Diagnostic::new("chart/renderer", Severity::Info, Pos::new(1, 1), message)
}

/// Step 6: the rendered documents (YAML, schemas, names, policies), and the
/// result.
fn finish(
    chart: &ChartFiles,
    opts: &ChartOptions,
    schemas: Result<&Schemas, String>,
    (rendered, renderer_used, complete): Rendered,
    mut rep: Report,
) -> ChartResult {
    let path_of = |rel: &str| chart.path_of(rel);
    // 6. rendered documents: YAML, schemas, names, policies
    let schemas = match schemas {
        Ok(s) => Some(s),
        Err(e) => {
            rep.add(
                &path_of("Chart.yaml"),
                Diagnostic::error("chart/kube-version", Pos::new(1, 1), e),
            );
            None
        }
    };
    let mut parsed: Vec<(String, Vec<yaml::Document>)> = Vec::new();
    for rf in &rendered {
        let rpath = format!("{}{RENDERED_SUFFIX}", path_of(&rf.template));
        let p = yaml::parse(&rf.text);
        rep.extend(&rpath, p.diagnostics);
        if let Some(schemas) = schemas {
            for doc in &p.documents {
                rep.extend(&rpath, schemas.validate(doc));
            }
        }
        for doc in &p.documents {
            rep.extend(&rpath, template::object_name(doc));
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
        complete,
    }
}

/// `values.schema.json` against the merged values (helm does this itself
/// when it renders). Returns whether the schema could be checked.
fn check_values_schema(
    chart: &ChartFiles,
    values: &J,
    opts: &ChartOptions,
    rep: &mut Report,
) -> bool {
    let Some(Ok(text)) = chart.text("values.schema.json") else {
        return true;
    };
    let schema_path = chart.path_of("values.schema.json");
    rep.touch(&schema_path);
    let schema: J = match serde_json::from_str(text) {
        Ok(s) => s,
        Err(e) => {
            rep.add(
                &schema_path,
                Diagnostic::error(
                    "chart/values-schema",
                    Pos::new(e.line().max(1), e.column().max(1)),
                    format!("values.schema.json is not JSON: {e}"),
                )
                .with_hint("helm refuses to render a chart whose schema does not parse"),
            );
            return true;
        }
    };
    if let Some(keyword) = values_schema::unsupported_keyword(&schema) {
        rep.add(
            &schema_path,
            Diagnostic::new(
                "chart/not-fully-checked",
                Severity::Info,
                Pos::new(1, 1),
                format!("not fully checked: the built-in checker does not implement {keyword}; the values were not checked against values.schema.json"),
            )
            .with_hint("install helm (dockhand renders with `helm template` when helm is on PATH or `[tools.helm] binary` names it) to check the whole chart"),
        );
        return false;
    }
    let values_path = chart.path_of("values.yaml");
    let parsed = chart
        .text("values.yaml")
        .and_then(Result::ok)
        .map(yaml::parse);
    for (pointer, message) in values_schema::check(&schema, values) {
        // At the value in values.yaml when it comes from there; else at the
        // override that set it.
        let merged = values.pointer(&pointer);
        let in_defaults = parsed
            .as_ref()
            .and_then(|p| p.documents.first())
            .and_then(|d| d.root.lookup(&pointer))
            .filter(|n| pointer.is_empty() || merged.is_none_or(|m| values::values_json(n) == *m));
        let (path, pos) = match in_defaults {
            Some(n) => (values_path.clone(), n.pos),
            None if !opts.set.is_empty() => ("--set".to_owned(), Pos::new(1, 1)),
            None => match opts.values_files.last() {
                Some(f) => (f.to_string_lossy().into_owned(), Pos::new(1, 1)),
                None => (values_path.clone(), Pos::new(1, 1)),
            },
        };
        let mut d = Diagnostic::error(
            "chart/values-schema",
            pos,
            format!("values don't meet values.schema.json: {message}"),
        )
        .with_hint("helm refuses to render the chart with these values");
        if !pointer.is_empty() {
            d = d.with_pointer(pointer);
        }
        rep.add(&path, d);
    }
    true
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
