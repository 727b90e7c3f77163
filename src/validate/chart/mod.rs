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
//!
//! **Layout.** This file holds the public API and the orchestration
//! ([`check_chart`]); the parts live in `meta` (Chart.yaml), `values`
//! (values files, `--set`, merging), `template` (reading templates/,
//! `.Values` references, unsupported constructs), `gotmpl` (the Go-template
//! parser), `render` (the built-in renderer), `to_yaml` (helm's `toYaml`) and
//! `helm` (running `helm template`).

mod gotmpl;
mod helm;
pub use helm::HelmLimits;
mod meta;
mod render;
mod template;
mod to_yaml;
mod values;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value as J};

use super::diagnostic::{Diagnostic, Pos};
use super::policy::{self, PolicyConfig};
use super::schema::{DEFAULT_KUBE_VERSION, Schemas};
use super::yaml;
use helm::{find_on_path, helm_results, run_helm};
use meta::{ChartMeta, check_chart_yaml};
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
    /// Timeout and output limit for `helm template`.
    pub helm: helm::HelmLimits,
}

impl Default for ChartOptions {
    fn default() -> Self {
        ChartOptions {
            values_files: Vec::new(),
            set: Vec::new(),
            renderer: Renderer::Auto,
            kube_version: DEFAULT_KUBE_VERSION.to_owned(),
            policy: PolicyConfig::default(),
            helm: helm::HelmLimits::default(),
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
        src.tree = match gotmpl::parse(&src.text) {
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

#[cfg(test)]
mod tests {
    use super::*;

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

    /// A one-template chart in a temp dir (values `a: 1`); the caller removes it.
    fn scratch_chart(tag: &str, template: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("dockhand-chart-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("templates")).unwrap();
        std::fs::write(
            dir.join("Chart.yaml"),
            "apiVersion: v2\nname: x\nversion: 0.1.0\nappVersion: \"1\"\n",
        )
        .unwrap();
        std::fs::write(dir.join("values.yaml"), "a: 1\n").unwrap();
        std::fs::write(dir.join("templates/cm.yaml"), template).unwrap();
        dir
    }

    #[test]
    fn template_syntax_error() {
        let dir = scratch_chart("syntax", "kind: ConfigMap\n{{ if .Values.a }}\nx: 1\n");
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
        let dir = scratch_chart(
            "helm-err",
            "kind: ConfigMap\nx: {{ .Values.nope.deeper }}\n",
        );
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
