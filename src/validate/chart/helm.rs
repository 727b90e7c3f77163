//! Running `helm template` (under a timeout and an output limit, through
//! the process runner) and mapping its output and errors back to the
//! chart's templates.

use std::path::Path;

use super::files::ChartFiles;
use super::template::Source;
use super::{ChartOptions, RenderedFile, Report};
use crate::process::{self, Invocation, ProcessError};
use crate::validate::diagnostic::{Diagnostic, Pos};

pub(super) struct HelmOutput {
    success: bool,
    stdout: String,
    stderr: String,
}

pub(super) enum HelmRun {
    /// helm ran to its end (successfully or not).
    Ran(HelmOutput),
    /// helm could not be run, hung, or printed too much: one finding.
    Failed(Diagnostic),
}

/// `helm template` runs through the same process runner as the assistants: in its own
/// process group, killed at the timeout or as soon as its output passes the limit. A
/// chart that loops cannot hang `validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HelmLimits {
    pub timeout: std::time::Duration,
    pub max_output: u64,
}

impl Default for HelmLimits {
    fn default() -> Self {
        HelmLimits {
            timeout: crate::process::DEFAULT_TIMEOUT,
            max_output: crate::process::DEFAULT_MAX_OUTPUT,
        }
    }
}

/// `helm template RELEASE DIR --kube-version V --debug --values F --set K=V`,
/// under `opts.helm` (timeout, output limit). A timeout, output over the
/// limit or a helm that cannot be started is one finding. A chart with files
/// laid over it is rendered from its one copy on disk
/// ([`ChartFiles::on_disk`]); the chart's own files are never changed.
pub(super) fn run_helm(
    bin: &Path,
    chart: &ChartFiles,
    release: &str,
    opts: &ChartOptions,
) -> HelmRun {
    if chart.overlaid.is_empty() {
        return run_helm_in(bin, &chart.dir, release, opts);
    }
    match chart.on_disk(|dir| run_helm_in(bin, dir, release, opts)) {
        Ok(run) => run,
        Err(e) => HelmRun::Failed(Diagnostic::error(
            "chart/render",
            Pos::new(1, 1),
            format!("cannot stage the chart for helm: {e}"),
        )),
    }
}

fn run_helm_in(bin: &Path, dir: &Path, release: &str, opts: &ChartOptions) -> HelmRun {
    let mut args: Vec<String> = vec![
        "template".into(),
        release.into(),
        dir.to_string_lossy().into_owned(),
    ];
    if let Ok(v) = crate::validate::schema::parse_kube_version(&opts.kube_version) {
        args.push("--kube-version".into());
        args.push(v.to_string());
    }
    args.push("--debug".into());
    for f in &opts.values_files {
        args.push("--values".into());
        args.push(f.to_string_lossy().into_owned());
    }
    for s in &opts.set {
        args.push("--set".into());
        args.push(s.clone());
    }
    let mut inv = Invocation::new(bin, args).with_timeout(opts.helm.timeout);
    for (k, v) in go_env(|k| std::env::var_os(k).is_some()) {
        inv = inv.with_env(k, v);
    }
    match process::run_blocking_limited(&inv, opts.helm.max_output) {
        Ok(c) => HelmRun::Ran(HelmOutput {
            success: c.success(),
            stdout: c.stdout,
            stderr: c.stderr,
        }),
        Err(ProcessError::Timeout { argv, after, .. }) => {
            // Without helm's debug lines: they name temporary paths.
            let e = ProcessError::Timeout {
                argv,
                after,
                stderr_tail: String::new(),
                partial: None,
            };
            HelmRun::Failed(
                Diagnostic::error(
                    "chart/render",
                    Pos::new(1, 1),
                    format!("helm template failed: {e} (raise [limits] helm_timeout_secs in dockhand.toml to allow longer)"),
                )
                .with_hint("fix the template or values helm points at"),
            )
        }
        Err(e @ ProcessError::TooLarge { .. }) => HelmRun::Failed(
            Diagnostic::error("chart/render", Pos::new(1, 1), format!("helm template failed: {e}"))
                .with_hint("fix the template or values helm points at"),
        ),
        Err(e) => HelmRun::Failed(
            Diagnostic::error("chart/render", Pos::new(1, 1), format!("cannot run helm: {e}"))
                .with_hint("check `[tools.helm] binary`, or remove it to use helm from PATH or the built-in renderer"),
        ),
    }
}

/// The heap bound helm gets when dockhand turns its garbage collector off.
pub(super) const HELM_MEMORY_LIMIT: &str = "256MiB";

/// The Go runtime settings for helm's environment: a `helm template` run is
/// short, so its garbage collector is off (`GOGC=off`, about 10 ms less of its
/// ~40 ms) until its heap reaches [`HELM_MEMORY_LIMIT`] (`GOMEMLIMIT`), so a
/// huge chart is still collected. When the user set `GOGC` or `GOMEMLIMIT`
/// (`is_set`), helm keeps their settings and gets none.
pub(super) fn go_env(is_set: impl Fn(&str) -> bool) -> Vec<(&'static str, &'static str)> {
    if is_set("GOGC") || is_set("GOMEMLIMIT") {
        return Vec::new();
    }
    vec![("GOGC", "off"), ("GOMEMLIMIT", HELM_MEMORY_LIMIT)]
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

/// helm's load errors that dockhand's own checks already report precisely.
const ALREADY_REPORTED: &[&str] = &[
    "validation: chart.metadata",
    "cannot load Chart.yaml",
    "cannot load values.yaml",
    "missing in charts/ directory",
    "apiVersion is required",
    "library charts are not installable",
    "error unpacking subchart",
];

/// Turn helm's output into rendered files and findings. Returns the files
/// and whether everything rendered. `chart_errors`: dockhand's own checks
/// found errors already (helm's message for the same cause is dropped).
pub(super) fn helm_results(
    out: &HelmOutput,
    chart: &ChartFiles,
    chart_name: &str,
    sources: &[Source],
    chart_errors: bool,
    rep: &mut Report,
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
    if chart_errors && ALREADY_REPORTED.iter().any(|m| message.contains(m)) {
        return (by_template, false);
    }
    let chart_path = chart.path_of("Chart.yaml");
    let (path, pos) = match locate_helm_error(&message, chart_name) {
        Some((rel, line, col)) if sources.iter().any(|s| s.rel == rel) => {
            (chart.path_of(&rel), Pos::new(line, col))
        }
        _ if message.contains("values don't meet the specifications of the schema") => {
            (chart.path_of("values.yaml"), Pos::new(1, 1))
        }
        _ => (chart_path, Pos::new(1, 1)),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_runs_without_a_garbage_collector_unless_the_user_configured_go() {
        assert_eq!(
            go_env(|_| false),
            [("GOGC", "off"), ("GOMEMLIMIT", HELM_MEMORY_LIMIT)]
        );
        assert_eq!(go_env(|k| k == "GOGC"), []);
        assert_eq!(go_env(|k| k == "GOMEMLIMIT"), []);
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
        let chart = ChartFiles::read(Path::new("/nonexistent/c"));
        let (files, ok) = helm_results(&rendered, &chart, "todo-app", &[], false, &mut rep);
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
}
