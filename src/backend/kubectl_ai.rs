//! `kubectl-ai` – two unrelated projects share the name:
//!
//! * [`Flavour::Google`] – GoogleCloudPlatform/kubectl-ai, an *agent* that may run kubectl
//!   itself. Invoked as `kubectl-ai --quiet [--llm-provider P] [--model M] "<task>"`.
//!   `--skip-permissions` is never passed (it is filtered out of `extra_args` too): when the
//!   agent wants to change the cluster it must stop and we report [`KubectlAiError::Permission`].
//!   Its answer is markdown, possibly glamour-rendered (indented, padded, coloured) and
//!   interleaved with `Running: kubectl …` lines, which [`parse`] drops.
//!   The task is passed as the positional argument, not on stdin: when its stdin is a pipe
//!   this kubectl-ai switches its own prompts to the terminal (`/dev/tty`), which is exactly
//!   what must not happen here. stdin stays `/dev/null`.
//! * [`Flavour::Sozercan`] – sozercan/kubectl-ai, a manifest generator: `kubectl-ai "<prompt>"
//!   --raw --require-confirmation=false` prints bare YAML.
//!
//! Pure adapter: argv builders, flavour detection, output parsing.

use super::process::{
    Availability, Captured, Invocation, ProcessError, ToolConfig, display_argv, one_line,
};
use std::fmt;
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
}

/// Judge the output of [`probe_argv`]. `configured` (from dockhand.toml) wins over detection.
pub fn judge_probe(c: &Captured, configured: Option<Flavour>) -> Probe {
    let all = format!("{}\n{}", c.stdout, c.stderr);
    let detected = detect_flavour(&all);
    let flavour = configured.or(detected);
    let lower = all.to_ascii_lowercase();
    if lower.contains("please provide an openai key") {
        return Probe {
            availability: Availability::Unavailable(
                "kubectl-ai (sozercan) needs an OpenAI key: set OPENAI_API_KEY (and OPENAI_ENDPOINT for a local endpoint)".into(),
            ),
            flavour: flavour.or(Some(Flavour::Sozercan)),
        };
    }
    if !c.success() {
        return Probe {
            availability: Availability::Unavailable(format!(
                "`kubectl-ai --help` failed: {}",
                one_line(&c.diagnostic_tail())
            )),
            flavour,
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
    }
}

// ---------------------------------------------------------------------------------------------
// argv
// ---------------------------------------------------------------------------------------------

fn is_skip_permissions(arg: &str) -> bool {
    arg == "--skip-permissions" || arg.starts_with("--skip-permissions=")
}

/// Build the argv.
///
/// * Google: `[kubectl-ai, --quiet, (--llm-provider P), (--model M), ...extra, prompt]`
/// * Sozercan: `[kubectl-ai, prompt, --raw, --require-confirmation=false,
///   (--openai-deployment-name M), ...extra]` – it only speaks OpenAI-compatible APIs, so
///   `provider` is ignored; `model` becomes the deployment/model name.
///
/// `--skip-permissions` in any form is dropped from `extra_args`. A prompt starting with `-`
/// goes last, after `--`.
pub fn argv(
    flavour: Flavour,
    cfg: &ToolConfig,
    provider: Option<&str>,
    model: Option<&str>,
    prompt: &str,
) -> Vec<String> {
    let extra = cfg
        .extra_args
        .iter()
        .filter(|a| !is_skip_permissions(a))
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
            v.push("--require-confirmation=false".into());
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

/// The invocation: argv above, stdin `/dev/null` (see the module docs), configured timeout.
pub fn invocation(
    flavour: Flavour,
    cfg: &ToolConfig,
    provider: Option<&str>,
    model: Option<&str>,
    prompt: &str,
) -> Invocation {
    Invocation::from_argv(argv(flavour, cfg, provider, model, prompt), cfg.timeout)
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
        Flavour::Google => clean_google(&c.stdout),
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
                                    "{reason} (it was still waiting when the timeout hit)"
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
                    reason: "it is asking whether to apply the manifest (are `--raw --require-confirmation=false` being overridden by extra_args?)".into(),
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

/// Google output: drop `Running: …` tool-call lines, trailing padding, the common indent
/// glamour adds, and blank lines at both ends.
fn clean_google(stdout: &str) -> String {
    let lines: Vec<&str> = stdout
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim_start().starts_with("Running: "))
        .collect();
    let text = dedent(&lines);
    squeeze_blank_runs(&text)
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

/// Collapse runs of 3+ blank lines (left behind by dropped `Running:` lines) to one.
fn squeeze_blank_runs(s: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let mut blanks = 0;
    for l in s.lines() {
        if l.is_empty() {
            blanks += 1;
            if blanks > 1 {
                continue;
            }
        } else {
            blanks = 0;
        }
        out.push(l);
    }
    out.join("\n")
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
mod tests {
    use super::super::process::test_support::{
        captured, cfg, fixture, logged_argvs, run_fake, s, temp_log,
    };
    use super::*;

    const GARGV: &[&str] = &["kubectl-ai", "--quiet", "Write a Deployment"];
    const SARGV: &[&str] = &[
        "kubectl-ai",
        "Write a Deployment",
        "--raw",
        "--require-confirmation=false",
    ];

    #[test]
    fn google_argv() {
        assert_eq!(
            argv(Flavour::Google, &cfg(), None, None, "make a deployment"),
            s(&["kubectl-ai", "--quiet", "make a deployment"])
        );
        assert_eq!(
            argv(
                Flavour::Google,
                &cfg(),
                Some("openai"),
                Some("gpt-4.1"),
                "task"
            ),
            s(&[
                "kubectl-ai",
                "--quiet",
                "--llm-provider",
                "openai",
                "--model",
                "gpt-4.1",
                "task"
            ])
        );
        let c = ToolConfig {
            binary: Some("/opt/kubectl-ai".into()),
            extra_args: s(&[
                "--skip-permissions",
                "--max-iterations",
                "5",
                "--skip-permissions=true",
            ]),
            timeout: Duration::from_secs(90),
        };
        let v = argv(
            Flavour::Google,
            &c,
            Some(""),
            Some("gemini-2.5-flash"),
            "-n default please",
        );
        assert_eq!(
            v,
            s(&[
                "/opt/kubectl-ai",
                "--quiet",
                "--model",
                "gemini-2.5-flash",
                "--max-iterations",
                "5",
                "--",
                "-n default please"
            ])
        );
        let inv = invocation(Flavour::Google, &c, None, None, "x");
        assert_eq!(inv.stdin, None);
        assert_eq!(inv.timeout, Duration::from_secs(90));
    }

    #[test]
    fn sozercan_argv() {
        assert_eq!(
            argv(
                Flavour::Sozercan,
                &cfg(),
                Some("openai"),
                None,
                "create nginx deployment"
            ),
            s(&[
                "kubectl-ai",
                "create nginx deployment",
                "--raw",
                "--require-confirmation=false"
            ])
        );
        let c = ToolConfig {
            extra_args: s(&["--temperature", "0.2", "--skip-permissions"]),
            ..cfg()
        };
        assert_eq!(
            argv(Flavour::Sozercan, &c, None, Some("gpt-4o"), "p"),
            s(&[
                "kubectl-ai",
                "p",
                "--raw",
                "--require-confirmation=false",
                "--openai-deployment-name=gpt-4o",
                "--temperature",
                "0.2"
            ])
        );
        assert_eq!(
            argv(Flavour::Sozercan, &cfg(), None, None, "-weird"),
            s(&[
                "kubectl-ai",
                "--raw",
                "--require-confirmation=false",
                "--",
                "-weird"
            ])
        );
    }

    #[test]
    fn skip_permissions_never_appears() {
        let c = ToolConfig {
            extra_args: s(&["--skip-permissions", "--skip-permissions=false", "--quiet"]),
            ..cfg()
        };
        for f in [Flavour::Google, Flavour::Sozercan] {
            for (p, m) in [(None, None), (Some("gemini"), Some("gemini-2.5-pro"))] {
                let v = argv(f, &c, p, m, "--skip-permissions");
                assert!(
                    !v.iter()
                        .take(v.len() - 1)
                        .any(|a| a.starts_with("--skip-permissions")),
                    "{v:?}"
                );
                assert_eq!(
                    v.last().unwrap(),
                    "--skip-permissions",
                    "the prompt itself is kept, after --"
                );
                assert_eq!(v[v.len() - 2], "--");
            }
        }
    }

    #[test]
    fn flavour_detection() {
        assert_eq!(
            detect_flavour(&fixture("kubectl-ai-google-help.txt")),
            Some(Flavour::Google)
        );
        assert_eq!(
            detect_flavour(&fixture("kubectl-ai-google-version.txt")),
            Some(Flavour::Google)
        );
        assert_eq!(
            detect_flavour(&fixture("kubectl-ai-sozercan-help.txt")),
            Some(Flavour::Sozercan)
        );
        assert_eq!(
            detect_flavour(&fixture("kubectl-ai-sozercan-no-key.txt")),
            Some(Flavour::Sozercan)
        );
        assert_eq!(
            detect_flavour("kubectl-ai is a tool that lets you talk to k8s\n  --quiet"),
            Some(Flavour::Google)
        );
        assert_eq!(detect_flavour("some other program\n  --verbose"), None);
        assert_eq!(detect_flavour(""), None);
        assert_eq!("Google".parse::<Flavour>(), Ok(Flavour::Google));
        assert_eq!("sozercan".parse::<Flavour>(), Ok(Flavour::Sozercan));
        assert!("other".parse::<Flavour>().is_err());
        let f: Flavour = serde_json::from_str("\"gcp\"").unwrap();
        assert_eq!(f, Flavour::Google);
        assert_eq!(Flavour::Sozercan.to_string(), "sozercan");
    }

    #[test]
    fn probe_judgement() {
        let help = captured(
            &["kubectl-ai", "--help"],
            0,
            &fixture("kubectl-ai-google-help.txt"),
            "",
        );
        let p = judge_probe(&help, None);
        assert_eq!(p.flavour, Some(Flavour::Google));
        assert!(p.availability.is_available());
        // Configuration overrides detection.
        assert_eq!(
            judge_probe(&help, Some(Flavour::Sozercan)).flavour,
            Some(Flavour::Sozercan)
        );
        let nokey = captured(
            &["kubectl-ai", "--help"],
            1,
            &fixture("kubectl-ai-sozercan-no-key.txt"),
            "",
        );
        let p = judge_probe(&nokey, None);
        assert_eq!(p.flavour, Some(Flavour::Sozercan));
        assert!(
            matches!(p.availability, Availability::Unavailable(ref r) if r.contains("OPENAI_API_KEY"))
        );
        let unknown = captured(&["kubectl-ai", "--help"], 0, "usage: something", "");
        assert!(
            matches!(judge_probe(&unknown, None).availability, Availability::Unavailable(ref r) if r.contains("flavour"))
        );
        assert!(
            judge_probe(&unknown, Some(Flavour::Google))
                .availability
                .is_available()
        );
    }

    #[test]
    fn google_glamour_answer() {
        let c = captured(GARGV, 0, &fixture("kubectl-ai-google-answer.txt"), "");
        let text = parse(Flavour::Google, &c).unwrap();
        assert!(!text.contains('\x1b'));
        assert!(text.starts_with("Here is a Deployment"), "{text}");
        assert!(
            text.contains("  imagePullPolicy: Never") || text.contains("imagePullPolicy: Never")
        );
        assert!(text.lines().all(|l| l == l.trim_end()), "padding left");
        // YAML keeps its relative indentation: top-level keys two spaces in from the prose.
        assert!(text.lines().any(|l| l == "  apiVersion: apps/v1"), "{text}");
        assert!(
            text.lines().any(|l| l == "    name: todo-backend"),
            "{text}"
        );
    }

    #[test]
    fn google_running_lines_are_dropped() {
        let c = captured(GARGV, 0, &fixture("kubectl-ai-google-running.txt"), "");
        let text = parse(Flavour::Google, &c).unwrap();
        assert!(!text.contains("Running:"), "{text}");
        assert!(
            text.starts_with("There is no todo-backend Deployment yet"),
            "{text}"
        );
        assert!(text.contains("```yaml\napiVersion: apps/v1"), "{text}");
        assert!(text.contains("secretKeyRef:"));
        assert!(!text.contains("\n\n\n"));
    }

    #[test]
    fn google_permission_requests_fail_clearly() {
        for file in [
            "kubectl-ai-google-permission.txt",
            "kubectl-ai-google-prompt.txt",
        ] {
            let c = captured(GARGV, 0, &fixture(file), "");
            let err = parse(Flavour::Google, &c).unwrap_err();
            match &err {
                KubectlAiError::Permission { commands } => {
                    assert!(
                        commands.contains(&"kubectl apply -f todo-backend.yaml".to_string()),
                        "{commands:?}"
                    );
                }
                other => panic!("{file}: {other:?}"),
            }
            let msg = err.to_string();
            assert!(msg.contains("never passes --skip-permissions"), "{msg}");
            assert!(
                msg.contains("* kubectl apply -f todo-backend.yaml"),
                "{msg}"
            );
        }
        let c = captured(GARGV, 0, "Delete the old pods? (y/N)", "");
        assert!(matches!(
            parse(Flavour::Google, &c),
            Err(KubectlAiError::Permission { .. })
        ));
        let c = captured(
            GARGV,
            0,
            "Error: RunOnce mode cannot handle user choice requests\n",
            "",
        );
        assert!(matches!(
            parse(Flavour::Google, &c),
            Err(KubectlAiError::Interactive { .. })
        ));
    }

    #[test]
    fn google_errors() {
        let c = captured(GARGV, 1, "", &fixture("kubectl-ai-google-no-key.txt"));
        match parse(Flavour::Google, &c) {
            Err(KubectlAiError::Unavailable(r)) => assert!(r.contains("GEMINI_API_KEY"), "{r}"),
            other => panic!("{other:?}"),
        }
        let c = captured(
            GARGV,
            1,
            "",
            "running agent: Error 429, Message: Resource has been exhausted\n",
        );
        let err = parse(Flavour::Google, &c).unwrap_err();
        assert!(matches!(
            err,
            KubectlAiError::Process(ProcessError::Failed { .. })
        ));
        assert!(err.to_string().contains("Resource has been exhausted"));
        let c = captured(
            GARGV,
            0,
            "\x1b[31mError: Error 503: model overloaded\x1b[0m\n",
            "",
        );
        match parse(Flavour::Google, &c) {
            Err(KubectlAiError::Agent(m)) => assert_eq!(m, "Error 503: model overloaded"),
            other => panic!("{other:?}"),
        }
        let c = captured(GARGV, 0, "  Running: kubectl get pods\n\n", "");
        assert!(matches!(
            parse(Flavour::Google, &c),
            Err(KubectlAiError::Empty { .. })
        ));
    }

    #[test]
    fn sozercan_parsing() {
        let c = captured(SARGV, 0, &fixture("kubectl-ai-sozercan-answer.txt"), "");
        let text = parse(Flavour::Sozercan, &c).unwrap();
        assert!(
            text.starts_with("apiVersion: apps/v1\nkind: Deployment"),
            "{text}"
        );
        assert!(text.contains("imagePullPolicy: Never"));
        let c = captured(SARGV, 1, &fixture("kubectl-ai-sozercan-no-key.txt"), "");
        assert!(matches!(
            parse(Flavour::Sozercan, &c),
            Err(KubectlAiError::Unavailable(_))
        ));
        let menu = "✨ Attempting to apply the following manifest:\napiVersion: v1\n\n  Would you like to apply this? [Reprompt/Apply/Don't Apply]\n";
        assert!(matches!(
            parse(Flavour::Sozercan, &captured(SARGV, 0, menu, "")),
            Err(KubectlAiError::Interactive { .. })
        ));
        let banner =
            "✨ Attempting to apply the following manifest:\napiVersion: v1\nkind: Namespace\n";
        assert_eq!(
            parse(Flavour::Sozercan, &captured(SARGV, 0, banner, "")).unwrap(),
            "apiVersion: v1\nkind: Namespace"
        );
    }

    #[test]
    fn timeout_at_prompt() {
        let partial = captured(GARGV, 0, &fixture("kubectl-ai-google-prompt.txt"), "");
        let err = ProcessError::Timeout {
            argv: s(GARGV),
            after: Duration::from_secs(1),
            stderr_tail: String::new(),
            partial: Some(Box::new(partial)),
        };
        assert!(matches!(
            interpret(Flavour::Google, Err(err)),
            Err(KubectlAiError::Permission { .. })
        ));
        assert!(matches!(
            interpret(
                Flavour::Google,
                Err(ProcessError::NotFound {
                    program: "kubectl-ai".into()
                })
            ),
            Err(KubectlAiError::Unavailable(_))
        ));
    }

    // --- end-to-end through the runner and the fake ------------------------------------------

    fn run_mode(flavour: Flavour, mode: &str, timeout_ms: u64) -> Result<String, KubectlAiError> {
        let fl = flavour.to_string();
        let r = run_fake(
            argv(
                flavour,
                &cfg(),
                None,
                None,
                "Write a Deployment for todo-backend",
            ),
            &[
                ("FAKE_KUBECTL_AI_FLAVOUR", fl.as_str()),
                ("FAKE_KUBECTL_AI_MODE", mode),
            ],
            Duration::from_millis(timeout_ms),
        );
        interpret(flavour, r)
    }

    #[test]
    fn fake_end_to_end() {
        let log = temp_log("kubectl-ai");
        let c = ToolConfig {
            extra_args: s(&["--skip-permissions"]),
            ..cfg()
        };
        let r = run_fake(
            argv(
                Flavour::Google,
                &c,
                Some("gemini"),
                Some("gemini-2.5-pro"),
                "Write a Deployment",
            ),
            &[
                ("FAKE_LOG", log.to_str().unwrap()),
                ("FAKE_KUBECTL_AI_MODE", "running"),
            ],
            Duration::from_secs(20),
        );
        let text = interpret(Flavour::Google, r).unwrap();
        assert!(text.contains("kind: Deployment"));
        let logged = logged_argvs(&log);
        assert_eq!(
            logged,
            vec![s(&[
                "kubectl-ai",
                "--quiet",
                "--llm-provider",
                "gemini",
                "--model",
                "gemini-2.5-pro",
                "Write a Deployment"
            ])]
        );
        let _ = std::fs::remove_file(&log);

        assert!(
            run_mode(Flavour::Google, "answer", 20_000)
                .unwrap()
                .contains("secretKeyRef")
        );
        assert!(
            run_mode(Flavour::Sozercan, "answer", 20_000)
                .unwrap()
                .starts_with("apiVersion: apps/v1")
        );
        assert!(
            run_mode(Flavour::Google, "flood", 60_000)
                .unwrap()
                .contains("todo-backend")
        );
        assert!(matches!(
            run_mode(Flavour::Google, "permission", 20_000),
            Err(KubectlAiError::Permission { .. })
        ));
        assert!(matches!(
            run_mode(Flavour::Google, "prompt", 1500),
            Err(KubectlAiError::Permission { .. })
        ));
        assert!(matches!(
            run_mode(Flavour::Sozercan, "permission", 1500),
            Err(KubectlAiError::Interactive { .. })
        ));
        assert!(matches!(
            run_mode(Flavour::Google, "hang", 700),
            Err(KubectlAiError::Process(ProcessError::Timeout { .. }))
        ));
        assert!(matches!(
            run_mode(Flavour::Google, "stderr-fail", 20_000),
            Err(KubectlAiError::Process(ProcessError::Failed { .. }))
        ));
        assert!(matches!(
            run_mode(Flavour::Google, "no-key", 20_000),
            Err(KubectlAiError::Unavailable(_))
        ));
        assert!(matches!(
            run_mode(Flavour::Sozercan, "no-key", 20_000),
            Err(KubectlAiError::Unavailable(_))
        ));
    }

    #[test]
    fn fake_probe_detects_both_flavours() {
        for (fl, want) in [("google", Flavour::Google), ("sozercan", Flavour::Sozercan)] {
            let c = run_fake(
                probe_argv(&cfg()),
                &[("FAKE_KUBECTL_AI_FLAVOUR", fl)],
                PROBE_TIMEOUT,
            )
            .unwrap();
            let p = judge_probe(&c, None);
            assert_eq!(p.flavour, Some(want));
            assert!(p.availability.is_available(), "{p:?}");
        }
    }
}
