//! Artifact → Diagnostics. Pure and synchronous: the checks an artifact's kind
//! and its prompt ask for, and `validate PATH...` over files and folders.

pub mod chart;
pub mod contract;
pub mod diagnostic;
pub mod dockerfile;
pub mod policy;
pub mod schema;
pub mod secrets;
pub mod yaml;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::artifact::OutputKind;
use crate::error::Error;
use crate::ignore::Ignore;
use diagnostic::{Diagnostic, Pos, Severity};
use schema::Schemas;

/// What a file is, for `validate PATH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    Kubernetes,
    Dockerfile,
    /// A Helm template (contains `{{`): checked through its chart.
    HelmTemplate,
    /// A Helm chart file (Chart.yaml, values, templates), checked as a whole chart.
    Chart,
}

/// The findings for one file.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub path: String,
    pub kind: FileKind,
    pub diagnostics: Vec<Diagnostic>,
    /// The text, for snippets in the text renderer.
    #[serde(skip)]
    pub source: String,
}

impl FileReport {
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }
}

/// What an artifact is checked against, beyond its kind's own rules.
#[derive(Debug, Clone, Default)]
pub struct Checks<'a> {
    pub expect: Option<&'a dockerfile::Expectations>,
    /// Policy names (the prompt's, plus `[policies] enabled`).
    pub policies: &'a [String],
    /// Other manifests of the same set (e.g. the chart's other templates), for
    /// cross-resource policies; their own findings are not reported.
    pub context: &'a [(String, String)],
}

/// What the validation stage is configured with, for one run.
#[derive(Debug, Clone)]
pub struct ValidatorConfig {
    pub kube_version: String,
    pub ignores: Vec<Ignore>,
    pub policy: policy::PolicyConfig,
    /// Policies applied to every manifest (`[policies] enabled`).
    pub enabled: Vec<String>,
    /// How charts are rendered (`[tools.helm] binary`, else helm on PATH).
    pub chart_renderer: chart::Renderer,
    /// Timeout and output limit for `helm template` (`[limits]`, or
    /// `[tools.helm] timeout_secs`).
    pub helm_limits: chart::HelmLimits,
}

/// The validation stage: strict schemas compiled once per run, policies, silences.
pub struct Validator {
    schemas: Schemas,
    config: ValidatorConfig,
    /// Charts read once per run, for artifacts checked inside their chart.
    charts: std::sync::Mutex<std::collections::HashMap<PathBuf, std::sync::Arc<chart::ChartFiles>>>,
}

impl Validator {
    pub fn new(config: ValidatorConfig) -> Result<Validator, Error> {
        let schemas =
            Schemas::load(&config.kube_version).map_err(|e| Error::Schema(e.to_string()))?;
        Ok(Validator {
            schemas,
            config,
            charts: Default::default(),
        })
    }

    /// Check one artifact's text. `path` decides silences and whether it is under charts/.
    pub fn check(
        &self,
        kind: OutputKind,
        path: &str,
        text: &str,
        checks: &Checks<'_>,
    ) -> Vec<Diagnostic> {
        let mut out = match kind {
            OutputKind::Kubernetes | OutputKind::Helm => self.check_manifests(path, text, checks),
            OutputKind::Dockerfile => {
                let mut out = dockerfile::check(text, checks.expect.unwrap_or(&Default::default()));
                out.extend(secrets::dockerfile_findings(text));
                out
            }
            OutputKind::Report => Vec::new(),
        };
        if kind == OutputKind::Kubernetes {
            out.extend(contract::helm::plain_manifest(text));
        }
        self.silence(path, text, &mut out);
        out.sort_by_key(|d| (d.line, d.column));
        out
    }

    fn check_manifests(&self, path: &str, text: &str, checks: &Checks<'_>) -> Vec<Diagnostic> {
        let parsed = yaml::parse(text);
        let mut out = parsed.diagnostics;
        out.extend(secrets::manifest_findings(&parsed.documents));
        for doc in &parsed.documents {
            out.extend(
                self.schemas
                    .validate(doc)
                    .into_iter()
                    .map(|d| d.with_document(doc.index)),
            );
        }
        let mut selected: Vec<&str> = checks.policies.iter().map(String::as_str).collect();
        selected.extend(self.config.enabled.iter().map(String::as_str));
        if selected.is_empty() {
            return out;
        }
        let context: Vec<(String, Vec<yaml::Document>)> = checks
            .context
            .iter()
            .map(|(p, t)| (p.clone(), yaml::parse(t).documents))
            .collect();
        let under = |p: &str| p.starts_with("charts/") || p.contains("/charts/");
        let mut inputs = vec![policy::Input {
            path,
            documents: &parsed.documents,
            under_charts: under(path),
        }];
        inputs.extend(context.iter().map(|(p, docs)| policy::Input {
            path: p,
            documents: docs,
            under_charts: under(p),
        }));
        out.extend(
            policy::check(&inputs, &selected, &self.config.policy)
                .into_iter()
                .filter(|(i, _)| *i == 0)
                .map(|(_, d)| d),
        );
        out
    }

    /// A Helm chart file (`output = "helm"`) is checked inside its chart: the
    /// chart is read once per run into memory, `content` is laid over `rel`,
    /// and the whole chart is rendered and checked. The built-in renderer runs
    /// first (pure, in memory); helm renders only a chart it cannot render
    /// fully. Only the findings about `rel` are returned. A value the chart
    /// lacks is an error here (a wrong answer). Without a chart around it,
    /// plain YAML is checked as manifests.
    pub fn check_in_chart(
        &self,
        root: &Path,
        rel: &str,
        content: &str,
        checks: &Checks<'_>,
    ) -> Vec<Diagnostic> {
        let target = root.join(rel);
        let chart_dir = target
            .ancestors()
            .skip(1)
            .take_while(|d| d.starts_with(root))
            .find(|d| chart::is_chart(d));
        let Some(chart_dir) = chart_dir else {
            if content.contains("{{") {
                return vec![Diagnostic::warning(
                    "chart/no-chart",
                    Pos::new(1, 1),
                    format!("{rel}: a Helm template, but no Chart.yaml above it to render it with"),
                )];
            }
            return self.check(OutputKind::Kubernetes, rel, content, checks);
        };
        let inner = target
            .strip_prefix(chart_dir)
            .unwrap_or(Path::new(rel))
            .to_string_lossy()
            .replace('\\', "/");
        let files = {
            let mut cache = self.charts.lock().unwrap_or_else(|e| e.into_inner());
            cache
                .entry(chart_dir.to_owned())
                .or_insert_with(|| std::sync::Arc::new(chart::ChartFiles::read(chart_dir)))
                .clone()
        };
        let files = files.with_file(&inner, content);
        let mut opts = chart::ChartOptions {
            kube_version: self.config.kube_version.clone(),
            policy: self.config.policy.clone(),
            renderer: chart::Renderer::BuiltIn,
            helm: self.config.helm_limits,
            strict_values: true,
            ..Default::default()
        };
        let mut result = chart::check_files_with(&files, &opts, Some(&self.schemas));
        if !result.complete
            && let Some(helm) = self.config.chart_renderer.helm_binary()
        {
            opts.renderer = chart::Renderer::Helm(helm);
            result = chart::check_files_with(&files, &opts, Some(&self.schemas));
        }
        let ours = files.dir().join(&inner).to_string_lossy().into_owned();
        let mut out: Vec<Diagnostic> = result
            .files
            .into_iter()
            .filter(|(path, _)| {
                *path == ours || path.strip_suffix(chart::RENDERED_SUFFIX) == Some(ours.as_str())
            })
            .flat_map(|(_, d)| d)
            .collect();
        out.extend(contract::helm::template(content));
        out.extend(secrets::text_findings(content));
        self.silence(rel, content, &mut out);
        out.sort_by_key(|d| (d.line, d.column));
        out
    }

    /// The prompt's contract over the files of one answer (`files`: path,
    /// text, the kinds its target takes). Findings carry their file's index.
    pub fn check_contract(
        &self,
        output: OutputKind,
        contract: &contract::Contract,
        files: &[(&str, &str, &[String])],
    ) -> Vec<(usize, Diagnostic)> {
        let mut out: Vec<(usize, Diagnostic)> = match output {
            OutputKind::Kubernetes if !contract.resources.is_empty() => {
                let parsed: Vec<Vec<yaml::Document>> = files
                    .iter()
                    .map(|(_, text, _)| yaml::parse(text).documents)
                    .collect();
                let inputs: Vec<contract::manifest::File<'_>> = parsed
                    .iter()
                    .zip(files)
                    .map(|(documents, (_, _, kinds))| contract::manifest::File { documents, kinds })
                    .collect();
                contract::manifest::check(&contract.resources, &inputs)
            }
            OutputKind::Dockerfile => match &contract.dockerfile {
                Some(c) => files
                    .iter()
                    .enumerate()
                    .flat_map(|(i, (_, text, _))| {
                        contract::dockerfile::check(c, text)
                            .into_iter()
                            .map(move |d| (i, d))
                    })
                    .collect(),
                None => Vec::new(),
            },
            _ => Vec::new(),
        };
        for (i, (path, text, _)) in files.iter().enumerate() {
            let mut mine: Vec<Diagnostic> = out
                .iter()
                .filter(|(f, _)| *f == i)
                .map(|(_, d)| d.clone())
                .collect();
            self.silence(path, text, &mut mine);
            out.retain(|(f, _)| *f != i);
            out.extend(mine.into_iter().map(|d| (i, d)));
        }
        out
    }

    /// `validate` of a chart folder: Chart.yaml, values, rendered templates.
    fn report_chart(&self, dir: &Path, opts: &chart::ChartOptions) -> Vec<FileReport> {
        let result =
            chart::check_files_with(&chart::ChartFiles::read(dir), opts, Some(&self.schemas));
        result
            .files
            .into_iter()
            .map(|(path, mut diagnostics)| {
                let source = match path.strip_suffix(chart::RENDERED_SUFFIX) {
                    Some(_) => result
                        .rendered
                        .iter()
                        .find(|r| {
                            path.ends_with(&format!("{}{}", r.template, chart::RENDERED_SUFFIX))
                        })
                        .map(|r| r.text.clone())
                        .unwrap_or_default(),
                    None => std::fs::read_to_string(&path).unwrap_or_default(),
                };
                self.silence(&path, &source, &mut diagnostics);
                FileReport {
                    path,
                    kind: FileKind::Chart,
                    diagnostics,
                    source,
                }
            })
            .collect()
    }

    /// Drop findings silenced in dockhand.toml (`[[ignore]]`) or inline with a
    /// `# dockhand:ignore CODE reason` comment on the line or the line above.
    fn silence(&self, path: &str, text: &str, out: &mut Vec<Diagnostic>) {
        let lines: Vec<&str> = text.lines().collect();
        out.retain(|d| {
            // A credential is never silenced: it must not land, whatever a comment says.
            if d.code.starts_with("secret/") {
                return true;
            }
            if self
                .config
                .ignores
                .iter()
                .any(|i| i.code == d.code && path.starts_with(&i.path))
            {
                return false;
            }
            let inline = |n: usize| {
                n >= 1
                    && lines.get(n - 1).is_some_and(|l| {
                        l.split_once("dockhand:ignore").is_some_and(|(_, rest)| {
                            let mut words = rest.split_whitespace();
                            words.next() == Some(d.code.as_str()) && words.next().is_some()
                        })
                    })
            };
            !(inline(d.line) || inline(d.line.saturating_sub(1)))
        });
    }

    /// `validate PATH...`: files, folders (walked; a folder with Chart.yaml is
    /// checked as a chart), or `-` for stdin.
    pub fn validate_paths(
        &self,
        paths: &[PathBuf],
        chart_opts: &chart::ChartOptions,
        stdin: impl FnOnce() -> std::io::Result<String>,
    ) -> Result<Vec<FileReport>, Error> {
        let mut files = Vec::new();
        let mut charts = Vec::new();
        let mut stdin = Some(stdin);
        let mut reports = Vec::new();
        for p in paths {
            if p.as_os_str() == "-" {
                let read = stdin
                    .take()
                    .ok_or_else(|| Error::Usage("`-` (stdin) given twice".into()))?;
                let text = read().map_err(Error::io("<stdin>"))?;
                let kind = sniff("-", &text);
                reports.push(self.report("<stdin>".into(), kind, text));
            } else if p.is_dir() {
                walk(p, &mut files, &mut charts)?;
            } else if p.exists() {
                files.push(p.clone());
            } else {
                return Err(Error::Io {
                    path: p.clone(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "no such file or folder",
                    ),
                });
            }
        }
        files.sort();
        files.dedup();
        charts.sort();
        charts.dedup();
        for c in &charts {
            reports.extend(self.report_chart(c, chart_opts));
        }
        for f in files {
            let text = std::fs::read_to_string(&f).map_err(Error::io(&f))?;
            let name = f.to_string_lossy().into_owned();
            let kind = sniff(&name, &text);
            reports.push(self.report(name, kind, text));
        }
        Ok(reports)
    }

    fn report(&self, path: String, kind: FileKind, text: String) -> FileReport {
        let diagnostics = match kind {
            FileKind::Kubernetes => {
                self.check(OutputKind::Kubernetes, &path, &text, &Checks::default())
            }
            FileKind::Dockerfile => {
                self.check(OutputKind::Dockerfile, &path, &text, &Checks::default())
            }
            FileKind::HelmTemplate | FileKind::Chart => vec![Diagnostic::new(
                "helm/template-skipped",
                Severity::Info,
                Pos::new(1, 1),
                "Helm template: not validated on its own (it needs its chart's values)",
            )],
        };
        // The snippets shown with the findings never show a credential.
        let source = if diagnostics.iter().any(|d| d.code.starts_with("secret/")) {
            let structured: Vec<(String, secrets::Kind)> = match kind {
                FileKind::Kubernetes => secrets::in_manifests(&yaml::parse(&text).documents)
                    .into_iter()
                    .map(|f| (f.literal, f.kind))
                    .collect(),
                _ => Vec::new(),
            };
            secrets::redact(&text, &structured).0
        } else {
            text
        };
        FileReport {
            path,
            kind,
            diagnostics,
            source,
        }
    }
}

fn is_dockerfile_name(name: &str) -> bool {
    let base = Path::new(name)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(name);
    // `Dockerfile.dockerignore` is the ignore file BuildKit reads beside a Dockerfile.
    base == "Dockerfile"
        || (base.starts_with("Dockerfile.") && !base.ends_with(".dockerignore"))
        || base.ends_with(".Dockerfile")
        || base.ends_with(".dockerfile")
}

fn sniff(name: &str, text: &str) -> FileKind {
    let base = Path::new(name)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(name);
    if base == "Chart.yaml"
        || base.starts_with("values") && (base.ends_with(".yaml") || base.ends_with(".yml"))
    {
        return FileKind::HelmTemplate;
    }
    if is_dockerfile_name(name)
        || (name == "-"
            && text
                .lines()
                .any(|l| l.trim_start().to_ascii_uppercase().starts_with("FROM ")))
            && !text.contains("apiVersion:")
    {
        FileKind::Dockerfile
    } else if text.contains("{{") {
        FileKind::HelmTemplate
    } else {
        FileKind::Kubernetes
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, charts: &mut Vec<PathBuf>) -> Result<(), Error> {
    if chart::is_chart(dir) {
        charts.push(dir.to_owned());
        return Ok(());
    }
    for entry in std::fs::read_dir(dir).map_err(Error::io(dir))? {
        let path = entry.map_err(Error::io(dir))?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            walk(&path, out, charts)?;
        } else if name.ends_with(".yaml") || name.ends_with(".yml") || is_dockerfile_name(name) {
            out.push(path);
        }
    }
    Ok(())
}
