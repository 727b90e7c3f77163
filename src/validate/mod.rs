//! Artifact → Diagnostics. Pure and synchronous: the checks an artifact's kind
//! and its prompt ask for, and `validate PATH...` over files and folders.

pub mod chart;
pub mod contract;
pub mod diagnostic;
pub mod dockerfile;
mod files;
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
pub use files::is_dockerfile_name;
use files::{Job, Walker, read_text, sniff};
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
    /// A file that could not be read as UTF-8 text.
    Unreadable,
}

/// Which of the project's policies ran on a file, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicySet {
    /// `none (no dockhand.toml)`, `none (outside the project's chart and
    /// artifacts)`, `project`, or the policy names.
    pub label: String,
    /// The policies that ran (besides the schema and the general rules).
    pub policies: Vec<String>,
}

impl PolicySet {
    fn none(why: &str) -> PolicySet {
        PolicySet {
            label: format!("none ({why}): schema and general rules only"),
            policies: Vec::new(),
        }
    }

    fn of(policies: Vec<String>, why: &str) -> PolicySet {
        if policies.is_empty() {
            return PolicySet::none(why);
        }
        let label = if policies.len() == policy::known_names().len() {
            format!("{} ({} policies)", policy::PROJECT_SET, policies.len())
        } else {
            policies.join(", ")
        };
        PolicySet { label, policies }
    }

    fn allows(&self, code: &str) -> bool {
        match code.strip_prefix("policy/") {
            Some(name) => self.policies.iter().any(|p| p == name),
            None => true,
        }
    }
}

/// The findings for one file.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub path: String,
    pub kind: FileKind,
    pub diagnostics: Vec<Diagnostic>,
    /// The project policies that ran on it.
    pub policies: PolicySet,
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

/// The project's policy configuration, present only with a dockhand.toml.
#[derive(Debug, Clone)]
pub struct ProjectPolicies {
    /// The project root; files outside it get no project policies.
    pub root: PathBuf,
    /// `(path prefix relative to the root, policy names)`; `project` is the
    /// set of all of them.
    pub paths: Vec<(String, Vec<String>)>,
    /// `(Dockerfile path relative to the root, expected stage names)`.
    pub stages: Vec<(String, Vec<String>)>,
}

/// What the validation stage is configured with, for one run.
#[derive(Debug, Clone)]
pub struct ValidatorConfig {
    pub kube_version: String,
    pub ignores: Vec<Ignore>,
    pub policy: policy::PolicyConfig,
    /// Policies applied to every file of the project (`[policies] enabled`).
    pub enabled: Vec<String>,
    /// `None` without dockhand.toml: then only the schema and the general
    /// rules run (and whatever a prompt names, in the pipeline).
    pub project: Option<ProjectPolicies>,
    /// How charts are rendered (`[tools.helm] binary`, else helm on PATH).
    pub chart_renderer: chart::Renderer,
    /// Timeout and output limit for `helm template` (`[limits]`, or
    /// `[tools.helm] timeout_secs`).
    pub helm_limits: chart::HelmLimits,
}

/// The validation stage: strict schemas (compiled at build time, loaded once per process), policies, silences.
pub struct Validator {
    schemas: &'static Schemas,
    config: ValidatorConfig,
    /// The project root, canonical, for matching paths.
    root: Option<PathBuf>,
    /// Charts read once per run, for artifacts checked inside their chart.
    charts: std::sync::Mutex<std::collections::HashMap<PathBuf, std::sync::Arc<chart::ChartFiles>>>,
}

impl Validator {
    pub fn new(config: ValidatorConfig) -> Result<Validator, Error> {
        let schemas =
            Schemas::load(&config.kube_version).map_err(|e| Error::Schema(e.to_string()))?;
        let root = config
            .project
            .as_ref()
            .map(|p| p.root.canonicalize().unwrap_or_else(|_| p.root.clone()));
        Ok(Validator {
            schemas,
            config,
            root,
            charts: Default::default(),
        })
    }

    /// `path` relative to the project root (`/`-separated), if it is inside.
    /// A relative `path` is taken as relative to the root when `from_root`,
    /// else to the current folder.
    fn project_rel(&self, path: &Path, from_root: bool) -> Option<String> {
        let root = self.root.as_ref()?;
        let full = if path.is_relative() && from_root {
            root.join(path)
        } else {
            path.to_owned()
        };
        let full = full
            .canonicalize()
            .or_else(|_| std::path::absolute(&full))
            .ok()?;
        let rel = full.strip_prefix(root).ok()?;
        Some(
            rel.components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/"),
        )
    }

    /// The policies for a file at `rel` (root-relative), plus `extra` (a
    /// prompt's own).
    fn policy_set(&self, rel: Option<&str>, extra: &[String]) -> PolicySet {
        let Some(project) = &self.config.project else {
            return match extra.is_empty() {
                true => PolicySet::none("no dockhand.toml"),
                false => PolicySet::of(policy::expand(extra), "no dockhand.toml"),
            };
        };
        let mut names: Vec<String> = extra.to_vec();
        if let Some(rel) = rel {
            names.extend(self.config.enabled.iter().cloned());
            for (prefix, set) in &project.paths {
                if under(rel, prefix) {
                    names.extend(set.iter().cloned());
                }
            }
        }
        PolicySet::of(
            policy::expand(&names),
            "outside the project's chart and artifacts",
        )
    }

    fn expected_stages(&self, rel: Option<&str>) -> Option<Vec<String>> {
        let rel = rel?;
        self.config
            .project
            .as_ref()?
            .stages
            .iter()
            .find(|(p, _)| p.trim_matches('/') == rel)
            .map(|(_, s)| s.clone())
    }

    /// The policy set [`Validator::check`] applies to `path` (relative to
    /// the project root), with `extra` (a prompt's own policies).
    pub fn policy_set_for(&self, path: &str, extra: &[String]) -> PolicySet {
        let rel = self.project_rel(Path::new(path), true);
        self.policy_set(rel.as_deref(), extra)
    }

    /// Check one artifact's text. `path` (relative to the project root)
    /// decides silences and the project's policies, on top of those in
    /// `checks`.
    pub fn check(
        &self,
        kind: OutputKind,
        path: &str,
        text: &str,
        checks: &Checks<'_>,
    ) -> Vec<Diagnostic> {
        let rel = self.project_rel(Path::new(path), true);
        let set = self.policy_set(rel.as_deref(), checks.policies);
        self.check_with(kind, path, text, checks, &set, rel.as_deref())
    }

    fn check_with(
        &self,
        kind: OutputKind,
        path: &str,
        text: &str,
        checks: &Checks<'_>,
        set: &PolicySet,
        rel: Option<&str>,
    ) -> Vec<Diagnostic> {
        let mut out = match kind {
            OutputKind::Kubernetes | OutputKind::Helm => {
                self.check_manifests(path, text, checks, set)
            }
            OutputKind::Dockerfile => {
                let mut policies = dockerfile::DockerPolicies::from_names(&set.policies);
                // A prompt's own expectations are its demands, not a policy.
                policies.expected_stages |= checks.expect.is_some();
                let mut out = match (checks.expect, self.expected_stages(rel)) {
                    (Some(e), _) => dockerfile::check_with(text, e, policies),
                    (None, stages) => dockerfile::check_with(
                        text,
                        &dockerfile::Expectations {
                            stages,
                            ..Default::default()
                        },
                        policies,
                    ),
                };
                out.extend(secrets::dockerfile_findings(text));
                out
            }
            OutputKind::Report => Vec::new(),
        };
        if kind == OutputKind::Kubernetes && text.contains("{{") {
            out.extend(contract::helm::plain_manifest(text));
        }
        self.silence(rel.unwrap_or(path), text, &mut out);
        out.sort_by_key(|d| (d.line, d.column));
        out
    }

    fn check_manifests(
        &self,
        path: &str,
        text: &str,
        checks: &Checks<'_>,
        set: &PolicySet,
    ) -> Vec<Diagnostic> {
        let selected: Vec<&str> = set
            .policies
            .iter()
            .map(String::as_str)
            .filter(|n| policy::find(n).is_some())
            .collect();
        if selected.is_empty() {
            // Document by document: memory stays bounded by the largest one.
            let mut found = Vec::new();
            let mut out = yaml::parse_with(text, |doc| {
                found.extend(secrets::manifest_findings(std::slice::from_ref(&doc)));
                found.extend(self.schemas.validate(&doc));
            });
            out.append(&mut found);
            return out;
        }
        let parsed = yaml::parse(text);
        let mut out = parsed.diagnostics;
        out.extend(secrets::manifest_findings(&parsed.documents));
        for doc in &parsed.documents {
            out.extend(self.schemas.validate(doc));
        }
        let context: Vec<(String, Vec<yaml::Document>)> = checks
            .context
            .iter()
            .map(|(p, t)| (p.clone(), yaml::parse(t).documents))
            .collect();
        let under_charts = |p: &str| p.starts_with("charts/") || p.contains("/charts/");
        let mut inputs = vec![policy::Input {
            path,
            documents: &parsed.documents,
            under_charts: under_charts(path),
        }];
        inputs.extend(context.iter().map(|(p, docs)| policy::Input {
            path: p,
            documents: docs,
            under_charts: under_charts(p),
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
        let mut result = chart::check_files_with(&files, &opts, Some(self.schemas));
        if !result.complete
            && let Some(helm) = self.config.chart_renderer.helm_binary()
        {
            opts.renderer = chart::Renderer::Helm(helm);
            result = chart::check_files_with(&files, &opts, Some(self.schemas));
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
        let set = self.policy_set(
            self.project_rel(Path::new(rel), true).as_deref(),
            checks.policies,
        );
        out.retain(|d| set.allows(&d.code));
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
    /// With `only`, just the reports of those files (as `validate FILE` of a
    /// file inside a chart).
    fn report_chart(
        &self,
        dir: &Path,
        opts: &chart::ChartOptions,
        only: Option<&[String]>,
    ) -> Vec<FileReport> {
        let rel = self.project_rel(dir, false);
        let set = self.policy_set(rel.as_deref(), &[]);
        let files = chart::ChartFiles::read(dir);
        let result = chart::check_files_with(&files, opts, Some(self.schemas));
        let mut reports: Vec<FileReport> = result
            .files
            .into_iter()
            .filter(|(path, _)| {
                only.is_none_or(|o| {
                    let base = path.strip_suffix(chart::RENDERED_SUFFIX).unwrap_or(path);
                    o.iter().any(|f| f == base)
                })
            })
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
                    // The snippets' text, from the chart as it was read.
                    None => files.source_of(&path).unwrap_or_default().to_owned(),
                };
                diagnostics.retain(|d| set.allows(&d.code));
                let base = path.strip_suffix(chart::RENDERED_SUFFIX).unwrap_or(&path);
                let file_rel = self.project_rel(Path::new(base), false);
                self.silence(
                    file_rel.as_deref().unwrap_or(&path),
                    &source,
                    &mut diagnostics,
                );
                FileReport {
                    path,
                    kind: FileKind::Chart,
                    diagnostics,
                    policies: set.clone(),
                    source,
                }
            })
            .collect();
        // A file of the chart that the chart check does not look at.
        for f in only.unwrap_or_default() {
            if !reports.iter().any(|r| {
                r.path
                    .strip_suffix(chart::RENDERED_SUFFIX)
                    .unwrap_or(&r.path)
                    == f
            }) {
                reports.push(FileReport {
                    path: f.clone(),
                    kind: FileKind::Chart,
                    diagnostics: Vec::new(),
                    policies: set.clone(),
                    source: String::new(),
                });
            }
        }
        reports
    }

    /// Drop findings silenced in dockhand.toml (`[[ignore]]`, by path relative
    /// to the root) or inline with a `# dockhand:ignore CODE reason` comment on
    /// the line or the line above.
    fn silence(&self, path: &str, text: &str, out: &mut Vec<Diagnostic>) {
        if out.is_empty() {
            return;
        }
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
    /// checked as a chart; symlinks are followed, each file and folder once),
    /// or `-` for stdin. A file inside a chart is checked with its chart.
    /// Files and charts are checked in parallel on `jobs` threads (default:
    /// the cores available); reports come back in a fixed order (charts,
    /// then files, each sorted by path).
    pub fn validate_paths(
        &self,
        paths: &[PathBuf],
        chart_opts: &chart::ChartOptions,
        jobs: Option<usize>,
        stdin: impl FnOnce() -> std::io::Result<String>,
    ) -> Result<Vec<FileReport>, Error> {
        let mut walker = Walker::default();
        let mut stdin = Some(stdin);
        let mut reports = Vec::new();
        for p in paths {
            if p.as_os_str() == "-" {
                let read = stdin
                    .take()
                    .ok_or_else(|| Error::Usage("`-` (stdin) given twice".into()))?;
                let text = read().map_err(Error::io("<stdin>"))?;
                let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_owned();
                let kind = sniff("-", &text);
                reports.push(self.report("<stdin>".into(), kind, text, None));
            } else if p.is_dir() {
                walker.walk(p);
            } else if p.exists() || p.is_symlink() {
                walker.file(p, true);
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
        let jobs_list = walker.jobs();
        let n = jobs_list.len();
        let threads = jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .clamp(1, n.max(1));
        let next = std::sync::atomic::AtomicUsize::new(0);
        let mut results: Vec<(usize, Vec<FileReport>)> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        let mut done = Vec::new();
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(job) = jobs_list.get(i) else { break };
                            done.push((i, self.run_job(job, chart_opts)));
                        }
                        done
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().expect("a validation thread panicked"))
                .collect()
        });
        results.sort_by_key(|(i, _)| *i);
        reports.extend(results.into_iter().flat_map(|(_, r)| r));
        Ok(reports)
    }

    fn run_job(&self, job: &Job, chart_opts: &chart::ChartOptions) -> Vec<FileReport> {
        match job {
            Job::Chart { dir, only } => self.report_chart(dir, chart_opts, only.as_deref()),
            Job::File(f) => {
                let name = f.to_string_lossy().into_owned();
                match read_text(f) {
                    Ok(text) => {
                        let kind = sniff(&name, &text);
                        vec![self.report(name, kind, text, Some(f))]
                    }
                    Err(d) => vec![FileReport {
                        path: name,
                        kind: FileKind::Unreadable,
                        diagnostics: vec![*d],
                        policies: self.policy_set(self.project_rel(f, false).as_deref(), &[]),
                        source: String::new(),
                    }],
                }
            }
        }
    }

    fn report(
        &self,
        path: String,
        kind: FileKind,
        text: String,
        file: Option<&Path>,
    ) -> FileReport {
        let rel = file.and_then(|f| self.project_rel(f, false));
        let set = self.policy_set(rel.as_deref(), &[]);
        let diagnostics = match kind {
            FileKind::Kubernetes => self.check_with(
                OutputKind::Kubernetes,
                &path,
                &text,
                &Checks::default(),
                &set,
                rel.as_deref(),
            ),
            FileKind::Dockerfile => self.check_with(
                OutputKind::Dockerfile,
                &path,
                &text,
                &Checks::default(),
                &set,
                rel.as_deref(),
            ),
            FileKind::HelmTemplate | FileKind::Chart | FileKind::Unreadable => {
                vec![Diagnostic::new(
                    "helm/template-skipped",
                    Severity::Info,
                    Pos::new(1, 1),
                    "Helm template: not validated on its own (it needs its chart's values)",
                )]
            }
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
            policies: set,
            source,
        }
    }
}

/// Whether root-relative `rel` is `prefix` or inside it.
fn under(rel: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_matches('/');
    prefix.is_empty()
        || prefix == "."
        || rel == prefix
        || rel
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}
