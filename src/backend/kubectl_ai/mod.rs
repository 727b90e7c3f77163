//! `kubectl-ai` – two unrelated projects share the name:
//!
//! * [`Flavour::Google`] – GoogleCloudPlatform/kubectl-ai, an *agent* that may run kubectl
//!   itself. Invoked as `kubectl-ai --quiet [--llm-provider P] [--model M] --kubeconfig K
//!   [--trace-path T] "<task>"`. `--skip-permissions` is never passed (it is filtered out of
//!   `extra_args` too): when the agent wants to change the cluster it must stop (in `--quiet`
//!   mode it exits 1) and we report [`KubectlAiError::Permission`].
//!   The answer comes from the trace file when the installed version has `--trace-path`
//!   (the model's last message, unrendered: [`trace::last_answer`]); otherwise from the
//!   terminal, where glamour rendered it (no fences, indented, padded, wrapped) between
//!   `Running: kubectl …` lines: [`crate::extract::glamour::unrender`] undoes that.
//!   The task is passed as the positional argument, not on stdin: when its stdin is a pipe
//!   this kubectl-ai switches its own prompts to the terminal (`/dev/tty`), which is exactly
//!   what must not happen here. stdin stays `/dev/null`.
//! * [`Flavour::Sozercan`] – sozercan/kubectl-ai, a manifest generator: `kubectl-ai "<prompt>"
//!   --raw` prints bare YAML and exits. `--require-confirmation=false` is never passed (nor
//!   kept from `extra_args`): without `--raw` it would apply the manifest unasked.
//!
//! Both run with no cluster credentials by default: `--kubeconfig` and `$KUBECONFIG` point at
//! an empty file in a temporary folder ([`Sandbox`]); `[tools.kubectl-ai] kubeconfig` gives
//! one for prompts that must look at the cluster.
//!
//! Argv builders, flavour detection and output parsing are pure; the adapter runs it:
//! [`Sandbox::new`], [`invocation`], the runner, [`interpret_with_trace`].

pub mod trace;

use super::process::{
    Availability, Captured, Invocation, ProcessError, ToolConfig, display_argv, one_line,
};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

pub const DEFAULT_BINARY: &str = "kubectl-ai";
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(20);

/// Which kubectl-ai this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Flavour {
    /// GoogleCloudPlatform/kubectl-ai
    #[serde(alias = "gcp", alias = "googlecloudplatform")]
    Google,
    /// sozercan/kubectl-ai
    Sozercan,
}

impl fmt::Display for Flavour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Flavour::Google => "google",
            Flavour::Sozercan => "sozercan",
        })
    }
}

impl FromStr for Flavour {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "google" | "gcp" | "googlecloudplatform" | "googlecloudplatform/kubectl-ai" => {
                Ok(Flavour::Google)
            }
            "sozercan" | "sozercan/kubectl-ai" => Ok(Flavour::Sozercan),
            other => Err(format!(
                "unknown kubectl-ai flavour `{other}` (expected `google` or `sozercan`)"
            )),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KubectlAiError {
    /// The Google agent wants to run commands that modify the cluster.
    #[error(
        "kubectl-ai wants to run commands that change the cluster and needs approval{}.\ndockhand never passes --skip-permissions. Run kubectl-ai yourself to review and approve them, or rephrase the request so it only writes the manifest.",
        command_list(.commands)
    )]
    Permission { commands: Vec<String> },

    #[error(
        "kubectl-ai is waiting for interactive input: {reason}. dockhand does not answer prompts on a tool's behalf; run it yourself:\n  {command}\nor configure a fallback backend in dockhand.toml."
    )]
    Interactive { reason: String, command: String },

    #[error("kubectl-ai is unavailable: {0}")]
    Unavailable(String),

    /// The agent ran but reported an error instead of an answer.
    #[error("kubectl-ai reported an error: {0}")]
    Agent(String),

    #[error("kubectl-ai finished without printing an answer{}", stderr_suffix(.stderr_tail))]
    Empty { stderr_tail: String },

    #[error(transparent)]
    Process(#[from] ProcessError),
}

fn command_list(cmds: &[String]) -> String {
    if cmds.is_empty() {
        String::new()
    } else {
        format!(
            ":\n{}",
            cmds.iter()
                .map(|c| format!("  * {c}"))
                .collect::<Vec<_>>()
                .join("\n")
        )
    }
}

fn stderr_suffix(t: &str) -> String {
    if t.trim().is_empty() {
        String::new()
    } else {
        format!(" (stderr: {})", t.trim())
    }
}

// ---------------------------------------------------------------------------------------------
// Flavour detection and probing
// ---------------------------------------------------------------------------------------------

/// Tell the flavours apart from `--help` (or version / error) output. Each side scores
/// markers only it prints; `None` when neither wins.
pub fn detect_flavour(output: &str) -> Option<Flavour> {
    let t = output.to_ascii_lowercase();
    let score = |markers: &[&str]| markers.iter().filter(|m| t.contains(*m)).count();
    let google =
        score(&[
            "--llm-provider",
            "--skip-permissions",
            "--quiet",
            "--mcp-server",
            "--max-iterations",
            "kubectl-ai is a tool",
            "kubectl-ai is a command-line tool",
            "interact with your kubernetes cluster using natural language",
        ]) + usize::from(t.contains("commit:") && t.contains("date:") && t.contains("version:"));
    let sozercan = score(&[
        "--raw",
        "--require-confirmation",
        "--openai-endpoint",
        "--openai-deployment-name",
        "--azure-openai-map",
        "kubectl-ai is a plugin",
        "please provide an openai key",
    ]);
    match google.cmp(&sozercan) {
        std::cmp::Ordering::Greater => Some(Flavour::Google),
        std::cmp::Ordering::Less => Some(Flavour::Sozercan),
        std::cmp::Ordering::Equal => None,
    }
}

/// `[kubectl-ai, --help]` – the help text is what tells the flavours apart.
pub fn probe_argv(cfg: &ToolConfig) -> Vec<String> {
    vec![cfg.program(DEFAULT_BINARY), "--help".to_string()]
}

pub fn probe_invocation(cfg: &ToolConfig) -> Invocation {
    Invocation::from_argv(probe_argv(cfg), PROBE_TIMEOUT.min(cfg.timeout))
}

/// Result of probing: availability plus the flavour (configured, else detected).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub availability: Availability,
    pub flavour: Option<Flavour>,
    /// `--help` lists `--trace-path` (the Google flavour since it journals its model calls).
    pub trace: bool,
}

/// Whether this help text offers `--trace-path`.
pub fn supports_trace(help: &str) -> bool {
    help.contains("--trace-path")
}

/// Judge the output of [`probe_argv`]. `configured` (from dockhand.toml) wins over detection.
pub fn judge_probe(c: &Captured, configured: Option<Flavour>) -> Probe {
    let all = format!("{}\n{}", c.stdout, c.stderr);
    let detected = detect_flavour(&all);
    let flavour = configured.or(detected);
    let trace = flavour == Some(Flavour::Google) && supports_trace(&all);
    let lower = all.to_ascii_lowercase();
    if lower.contains("please provide an openai key") {
        return Probe {
            availability: Availability::Unavailable(
                "kubectl-ai (sozercan) needs an OpenAI key: set OPENAI_API_KEY (and OPENAI_ENDPOINT for a local endpoint)".into(),
            ),
            flavour: flavour.or(Some(Flavour::Sozercan)),
            trace,
        };
    }
    if !c.success() {
        return Probe {
            availability: Availability::Unavailable(format!(
                "`kubectl-ai --help` failed: {}",
                one_line(&c.diagnostic_tail())
            )),
            flavour,
            trace,
        };
    }
    let availability = match flavour {
        Some(f) => Availability::Available(format!("{f} flavour")),
        None => Availability::Unavailable(
            "could not tell which kubectl-ai this is; set its flavour (\"google\" or \"sozercan\") in dockhand.toml".into(),
        ),
    };
    Probe {
        availability,
        flavour,
        trace,
    }
}

// ---------------------------------------------------------------------------------------------
// argv
// ---------------------------------------------------------------------------------------------

/// Flags that would let the tool change a cluster unasked: never passed, dropped from
/// `extra_args`.
fn is_unsafe_flag(arg: &str) -> bool {
    arg == "--skip-permissions"
        || arg.starts_with("--skip-permissions=")
        || arg == "--require-confirmation=false"
        || arg == "--require-confirmation=0"
        || arg == "--require-confirmation=f"
        || arg == "--require-confirmation=False"
        || arg == "--require-confirmation=FALSE"
}

/// Where one run keeps its credentials and trace: a temporary folder holding an empty
/// kubeconfig (unless one is configured) and the trace file's path.
#[derive(Debug)]
pub struct Sandbox {
    _dir: tempfile::TempDir,
    /// What `--kubeconfig` / `$KUBECONFIG` get.
    pub kubeconfig: PathBuf,
    /// `--trace-path`, when the installed version supports it.
    pub trace: Option<PathBuf>,
}

impl Sandbox {
    /// A fresh folder; `kubeconfig` is the configured one (else an empty file is made),
    /// `trace` whether to ask for a trace file.
    pub fn new(kubeconfig: Option<&Path>, trace: bool) -> std::io::Result<Sandbox> {
        let dir = tempfile::Builder::new()
            .prefix("dockhand-kubectl-ai-")
            .tempdir()?;
        let kubeconfig = match kubeconfig {
            Some(k) => k.to_owned(),
            None => {
                let k = dir.path().join("kubeconfig");
                std::fs::write(&k, "")?;
                k
            }
        };
        let trace = trace.then(|| dir.path().join("trace.yaml"));
        Ok(Sandbox {
            _dir: dir,
            kubeconfig,
            trace,
        })
    }

    /// The model's last answer from the trace file, if there is one.
    pub fn traced_answer(&self) -> Option<String> {
        let text = std::fs::read_to_string(self.trace.as_ref()?).ok()?;
        trace::last_answer(&text)
    }
}

/// Build the argv.
///
/// * Google: `[kubectl-ai, --quiet, (--llm-provider P), (--model M), --kubeconfig K,
///   (--trace-path T), ...extra, prompt]`
/// * Sozercan: `[kubectl-ai, prompt, --raw, (--openai-deployment-name=M), ...extra]` – it only
///   speaks OpenAI-compatible APIs, so `provider` is ignored; `model` becomes the
///   deployment/model name. It reads `$KUBECONFIG` (see [`invocation`]).
///
/// `--skip-permissions` and `--require-confirmation=false` in any form are dropped from
/// `extra_args`. A prompt starting with `-` goes last, after `--`.
pub fn argv(
    flavour: Flavour,
    cfg: &ToolConfig,
    provider: Option<&str>,
    model: Option<&str>,
    sandbox: Option<&Sandbox>,
    prompt: &str,
) -> Vec<String> {
    let extra = cfg
        .extra_args
        .iter()
        .filter(|a| !is_unsafe_flag(a))
        .cloned();
    let mut v = vec![cfg.program(DEFAULT_BINARY)];
    let dash_prompt = prompt.starts_with('-');
    match flavour {
        Flavour::Google => {
            v.push("--quiet".into());
            if let Some(p) = provider.filter(|p| !p.is_empty()) {
                v.push("--llm-provider".into());
                v.push(p.into());
            }
            if let Some(m) = model.filter(|m| !m.is_empty()) {
                v.push("--model".into());
                v.push(m.into());
            }
            if let Some(sb) = sandbox {
                v.push("--kubeconfig".into());
                v.push(sb.kubeconfig.to_string_lossy().into_owned());
                if let Some(t) = &sb.trace {
                    v.push("--trace-path".into());
                    v.push(t.to_string_lossy().into_owned());
                }
            }
            v.extend(extra);
            if dash_prompt {
                v.push("--".into());
            }
            v.push(prompt.into());
        }
        Flavour::Sozercan => {
            if !dash_prompt {
                v.push(prompt.into());
            }
            v.push("--raw".into());
            if let Some(m) = model.filter(|m| !m.is_empty()) {
                v.push(format!("--openai-deployment-name={m}"));
            }
            v.extend(extra);
            if dash_prompt {
                v.push("--".into());
                v.push(prompt.into());
            }
        }
    }
    v
}

/// The invocation: argv above, `$KUBECONFIG` from the sandbox, stdin `/dev/null` (see the
/// module docs), configured timeout.
pub fn invocation(
    flavour: Flavour,
    cfg: &ToolConfig,
    provider: Option<&str>,
    model: Option<&str>,
    sandbox: Option<&Sandbox>,
    prompt: &str,
) -> Invocation {
    let inv = Invocation::from_argv(
        argv(flavour, cfg, provider, model, sandbox, prompt),
        cfg.timeout,
    );
    match sandbox {
        Some(sb) => inv.with_env("KUBECONFIG", sb.kubeconfig.to_string_lossy()),
        None => inv,
    }
}

/// What detection found once per run: the flavour and whether it writes a trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detected {
    pub flavour: Flavour,
    pub trace: bool,
}

/// Detect the flavour (and trace support) from `--help`, unless configured.
pub async fn detect(cfg: &ToolConfig, configured: Option<Flavour>) -> Result<Detected, String> {
    let out = super::process::run(probe_invocation(cfg)).await;
    match (out, configured) {
        (Ok(c), configured) => {
            let p = judge_probe(&c, configured);
            p.flavour
                .map(|flavour| Detected {
                    flavour,
                    trace: p.trace,
                })
                .ok_or_else(|| {
                    "could not tell the kubectl-ai flavour from --help; set [tools.kubectl-ai] flavour".to_owned()
                })
        }
        (Err(_), Some(flavour)) => Ok(Detected {
            flavour,
            trace: false,
        }),
        (Err(e), None) => Err(e.to_string()),
    }
}

/// [`interpret`], but a successful run's answer is the trace's last message when the trace
/// holds one.
pub fn interpret_with_trace(
    flavour: Flavour,
    result: Result<Captured, ProcessError>,
    sandbox: &Sandbox,
) -> Result<String, KubectlAiError> {
    let text = interpret(flavour, result)?;
    Ok(sandbox.traced_answer().unwrap_or(text))
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/// Turn a finished run into the answer text (markdown for Google, YAML for Sozercan).
pub fn parse(flavour: Flavour, c: &Captured) -> Result<String, KubectlAiError> {
    let all = format!("{}\n{}", c.stdout, c.stderr);
    if let Some(err) = interaction_error(flavour, c, &all) {
        return Err(err);
    }
    if let Some(reason) = unavailable_reason(flavour, c, &all) {
        return Err(KubectlAiError::Unavailable(reason));
    }
    if !c.success() {
        return Err(KubectlAiError::Process(ProcessError::failed(c)));
    }
    let text = match flavour {
        Flavour::Google => crate::extract::glamour::unrender(&c.stdout).answer(),
        Flavour::Sozercan => clean_sozercan(&c.stdout),
    };
    if text.is_empty() {
        return Err(KubectlAiError::Empty {
            stderr_tail: c.stderr_tail(),
        });
    }
    if flavour == Flavour::Google
        && let Some(msg) = only_errors(&text)
    {
        return Err(KubectlAiError::Agent(msg));
    }
    Ok(text)
}

/// [`parse`] for the runner's full result: a timeout while sitting at a prompt becomes
/// `Permission`/`Interactive`; a missing binary becomes `Unavailable`.
pub fn interpret(
    flavour: Flavour,
    result: Result<Captured, ProcessError>,
) -> Result<String, KubectlAiError> {
    match result {
        Ok(c) => parse(flavour, &c),
        Err(ProcessError::NotFound { program }) => Err(KubectlAiError::Unavailable(format!(
            "`{program}` is not installed (not found on PATH)"
        ))),
        Err(err) => {
            if let Some(p) = err.partial() {
                let all = format!("{}\n{}", p.stdout, p.stderr);
                if let Some(e) = interaction_error(flavour, p, &all) {
                    return Err(match e {
                        KubectlAiError::Interactive { reason, command } => {
                            KubectlAiError::Interactive {
                                reason: format!(
                                    "{reason} (it was still waiting when dockhand stopped it)"
                                ),
                                command,
                            }
                        }
                        other => other,
                    });
                }
            }
            Err(KubectlAiError::Process(err))
        }
    }
}

fn interaction_error(flavour: Flavour, c: &Captured, all: &str) -> Option<KubectlAiError> {
    let command = display_argv(&c.argv);
    if c.alt_screen {
        return Some(KubectlAiError::Interactive {
            reason: "it opened a full-screen terminal UI".into(),
            command,
        });
    }
    let lower = all.to_ascii_lowercase();
    match flavour {
        Flavour::Google => {
            let permission_markers = [
                "cannot handle permission requests",
                "require approval",
                "requires approval",
                "require your approval",
                "requires your approval",
                "do you want to proceed",
                "use --skip-permissions",
            ];
            if permission_markers.iter().any(|m| lower.contains(m)) || ends_with_yes_no_prompt(all)
            {
                return Some(KubectlAiError::Permission {
                    commands: listed_commands(all),
                });
            }
            if lower.contains("cannot handle user choice requests") {
                return Some(KubectlAiError::Interactive {
                    reason: "the agent asked the user to choose between options".into(),
                    command,
                });
            }
        }
        Flavour::Sozercan => {
            if lower.contains("would you like to apply this") || ends_with_yes_no_prompt(all) {
                return Some(KubectlAiError::Interactive {
                    reason: "it is asking whether to apply the manifest (is `--raw` being overridden by extra_args?)".into(),
                    command,
                });
            }
        }
    }
    None
}

/// A last non-empty line like `Proceed? (y/N)` or `Enter your choice (1-3):`.
fn ends_with_yes_no_prompt(all: &str) -> bool {
    let Some(last) = all.lines().map(str::trim).rfind(|l| !l.is_empty()) else {
        return false;
    };
    let l = last.to_ascii_lowercase();
    let l = l.trim_end_matches([':', ' ', '>', '?']);
    ["(y/n)", "[y/n]", "[y/n/a]", "(yes/no)", "[yes/no]"]
        .iter()
        .any(|m| l.ends_with(m))
        || (l.starts_with("enter your choice") && l.ends_with(')'))
}

/// `* kubectl apply -f x.yaml` lines listed under a permission request.
fn listed_commands(all: &str) -> Vec<String> {
    all.lines()
        .map(str::trim)
        .filter_map(|l| l.strip_prefix("* ").or_else(|| l.strip_prefix("- ")))
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect()
}

fn unavailable_reason(flavour: Flavour, c: &Captured, all: &str) -> Option<String> {
    let lower = all.to_ascii_lowercase();
    match flavour {
        Flavour::Sozercan if lower.contains("please provide an openai key") => {
            Some("kubectl-ai (sozercan) needs an OpenAI key: set OPENAI_API_KEY".into())
        }
        Flavour::Google if !c.success() => {
            let markers = [
                "creating llm client",
                "api_key",
                "api key",
                "environment variable not set",
                "could not find default credentials",
            ];
            let line = all.lines().find(|l| {
                let l = l.to_ascii_lowercase();
                markers.iter().any(|m| l.contains(m))
            })?;
            Some(format!(
                "kubectl-ai cannot reach its model: {}",
                line.trim()
            ))
        }
        _ => None,
    }
}

/// Sozercan output: bare YAML; drop the "✨ Attempting to apply…" banner if present.
fn clean_sozercan(stdout: &str) -> String {
    let lines: Vec<&str> = stdout
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.contains("Attempting to apply the following manifest"))
        .collect();
    dedent(&lines)
}

/// Remove the indentation shared by all non-blank lines; trim blank lines at both ends.
fn dedent(lines: &[&str]) -> String {
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches(' ').len())
        .min()
        .unwrap_or(0);
    let out: Vec<&str> = lines
        .iter()
        .map(|l| {
            if l.trim().is_empty() {
                ""
            } else {
                &l[indent.min(l.len())..]
            }
        })
        .collect();
    let start = out.iter().position(|l| !l.is_empty()).unwrap_or(out.len());
    let end = out
        .iter()
        .rposition(|l| !l.is_empty())
        .map_or(start, |e| e + 1);
    out[start..end].join("\n")
}

/// If every non-blank line is an `Error: …` message, the agent failed: return the message.
fn only_errors(text: &str) -> Option<String> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let all_errors = !lines.is_empty()
        && lines
            .iter()
            .all(|l| l.starts_with("Error: ") || l.starts_with("error: "));
    all_errors.then(|| lines.iter().map(|l| &l[7..]).collect::<Vec<_>>().join("; "))
}

#[cfg(test)]
mod tests;
