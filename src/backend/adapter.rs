//! The backends behind one adapter trait, with typed errors.
//!
//! Each live backend is an [`Adapter`]: it takes the conversation and gives back the
//! answer's text, or a [`BackendError`] that says what happened (missing, timed out,
//! exited, refused, incomplete, rate-limited, too large). The tool adapters wrap the entry
//! points of `gordon`, `kubectl_ai` and `kagent` (`invocation` + `interpret`): the process
//! facts (exit status, empty output, size, timeout) are judged here, once, for all tools;
//! what a tool's output means stays in its module.

use std::fmt;
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};

use super::process::{self, Captured, ProcessError, ToolConfig};
use super::{OnEvent, Request, Turn, flatten, gordon, kagent, kubectl_ai, openai};
use crate::artifact::OutputKind;
use crate::settings::Settings;

/// A backend that can be named on the command line (`--backend`) and in the chain.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum BackendName {
    /// Only the response cache: never a live call.
    Cache,
    /// The OpenAI-compatible HTTP endpoint.
    Openai,
    /// Docker's assistant, `docker ai`.
    Gordon,
    /// kubectl-ai (Google's or sozercan's).
    KubectlAi,
    /// A kagent agent, `kagent invoke`.
    Kagent,
}

impl BackendName {
    pub const LIVE: [BackendName; 4] = [
        BackendName::Openai,
        BackendName::Gordon,
        BackendName::KubectlAi,
        BackendName::Kagent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BackendName::Cache => "cache",
            BackendName::Openai => "openai",
            BackendName::Gordon => "gordon",
            BackendName::KubectlAi => "kubectl-ai",
            BackendName::Kagent => "kagent",
        }
    }

    pub fn parse(s: &str) -> Option<BackendName> {
        [BackendName::Cache]
            .into_iter()
            .chain(BackendName::LIVE)
            .find(|b| b.as_str() == s)
    }

    /// How the backend's program is called in messages.
    pub fn tool(self) -> &'static str {
        match self {
            BackendName::Gordon => "docker ai",
            other => other.as_str(),
        }
    }
}

impl fmt::Display for BackendName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The suffix of the backend name of an artifact a person edited after the assistant answered.
pub const EDITED: &str = "+edited";

/// Who answered: the backend and, where it has one, the model. The one value the lock,
/// the reports and the JSON output take their `backend` and `model` from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answerer {
    /// A backend name, `manual` for a hand-written answer, with `+edited` when a person
    /// changed the artifact afterwards.
    pub backend: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

impl Answerer {
    pub fn new(backend: impl Into<String>, model: Option<String>) -> Answerer {
        Answerer {
            backend: backend.into(),
            model,
        }
    }

    /// A person changed the artifact after this answer (`<backend>+edited`).
    pub fn is_edited(&self) -> bool {
        self.backend.ends_with(EDITED)
    }

    /// The same answerer, marked as edited by a person (once).
    pub fn edited(&self) -> Answerer {
        if self.is_edited() {
            self.clone()
        } else {
            Answerer::new(format!("{}{}", self.backend, EDITED), self.model.clone())
        }
    }
}

impl fmt::Display for Answerer {
    /// `openai (gpt-4o-mini)`, `kubectl-ai`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.model {
            Some(m) => write!(f, "{} ({m})", self.backend),
            None => f.write_str(&self.backend),
        }
    }
}

/// Why a backend gave no usable answer. The variant is the kind of failure; the wording
/// is in `Display` (or, for failures described by the tool's own module, carried whole).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// Not installed, not configured, or a configured path that is missing or not executable.
    #[error("{0}")]
    Missing(String),
    /// No answer in time; the tool was killed with everything it started.
    #[error("{0}")]
    TimedOut(String),
    /// The tool exited with a failure status: its answer is not used, whatever it printed.
    #[error("{tool} exited with {status}{}", said(.first_lines))]
    Exited {
        tool: String,
        /// `status 1`, or `signal 9`.
        status: String,
        first_lines: String,
    },
    /// The assistant answered, but not with the artifact (a refusal, or nothing at all).
    #[error("{tool} {what}{}", said(.first_lines))]
    Refused {
        tool: String,
        /// `printed no answer`, `gave no Kubernetes manifest`, ...
        what: String,
        first_lines: String,
    },
    /// The answer was cut off; it is never extracted, cached or written.
    #[error("{0}")]
    Incomplete(String),
    /// The server asked to wait longer than dockhand is configured to.
    #[error("{0}")]
    RateLimited(String),
    /// Over `[limits] max_answer_bytes`: reading stopped, nothing kept.
    #[error("{0}")]
    TooLarge(String),
    /// Any other failure, in the words of the backend's own module.
    #[error("{0}")]
    Failed(String),
}

/// `; it said:` and the lines, indented under the reason.
fn said(first_lines: &str) -> String {
    if first_lines.trim().is_empty() {
        String::new()
    } else {
        let indented: Vec<String> = first_lines.lines().map(|l| format!("    {l}")).collect();
        format!("; it said:\n{}", indented.join("\n"))
    }
}

/// Lines shown of what an assistant said.
const FIRST_LINES: usize = 5;
const LINE_CHARS: usize = 200;

/// The first few non-empty lines of `s`, each cut to a readable length.
pub fn first_lines(s: &str) -> String {
    s.lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .take(FIRST_LINES)
        .map(|l| {
            if l.chars().count() > LINE_CHARS {
                format!("{}…", l.chars().take(LINE_CHARS).collect::<String>())
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

impl BackendError {
    /// Its wording with `redact` applied (the API key, URL credentials).
    pub(crate) fn redacted(&self, redact: &openai::Redactor) -> String {
        redact.apply(self.to_string())
    }
}

impl From<openai::OpenAiError> for BackendError {
    fn from(e: openai::OpenAiError) -> BackendError {
        use openai::OpenAiError as E;
        let s = e.to_string();
        match e {
            E::Timeout { .. } => BackendError::TimedOut(s),
            E::Incomplete { .. } => BackendError::Incomplete(s),
            E::RateLimited { .. } => BackendError::RateLimited(s),
            E::ServerError { status: 429, .. } => BackendError::RateLimited(s),
            E::TooLarge { .. } => BackendError::TooLarge(s),
            E::Refused { message, .. } => BackendError::Refused {
                tool: "the model".into(),
                what: "refused to answer".into(),
                first_lines: first_lines(&message),
            },
            _ => BackendError::Failed(s),
        }
    }
}

/// The process facts, judged the same way for every tool.
fn from_process(e: &ProcessError) -> BackendError {
    let s = e.to_string();
    match e {
        ProcessError::NotFound { .. }
        | ProcessError::NoSuchFile { .. }
        | ProcessError::NotExecutable { .. } => BackendError::Missing(s),
        ProcessError::TooLarge { .. } => BackendError::TooLarge(s),
        ProcessError::Timeout { .. } => BackendError::TimedOut(s),
        _ => BackendError::Failed(s),
    }
}

/// What one call of an adapter gets.
pub struct Ask<'a> {
    pub turns: &'a [Turn],
    pub request: &'a Request,
    pub on: OnEvent<'a>,
}

/// One live backend.
pub trait Adapter: Send + Sync {
    fn name(&self) -> BackendName;
    /// The model it will be asked with (part of the cache key), when it has one.
    fn model(&self) -> Option<String>;
    /// Ask; the answer's text, or why there is none.
    fn ask<'a>(&'a self, ask: Ask<'a>) -> BoxFuture<'a, Result<String, BackendError>>;
}

/// A tool's answer, from the runner's result and its module's `interpret`.
///
/// * missing binary, output over the limit → `Missing`, `TooLarge`;
/// * timeout → `TimedOut`, in the module's words when it recognised why (a question);
/// * a failure status → `Exited` with the tool's first lines, unless the module
///   recognised the failure (`specific`), e.g. a permission request;
/// * exit 0 with nothing on stdout → `Refused` with the tool's own first lines (stderr);
/// * else the module's `interpret`.
fn judge_tool<E: std::error::Error>(
    name: BackendName,
    result: Result<Captured, ProcessError>,
    interpret: impl Fn(Result<Captured, ProcessError>) -> Result<String, E>,
    specific: impl Fn(&E) -> bool,
) -> Result<String, BackendError> {
    let tool = name.tool().to_owned();
    let c = match result {
        Ok(c) => c,
        Err(e @ ProcessError::Timeout { .. }) => {
            let fallback = from_process(&e);
            return Err(match interpret(Err(e)) {
                Err(err) if specific(&err) => BackendError::TimedOut(err.to_string()),
                _ => fallback,
            });
        }
        Err(e) => return Err(from_process(&e)),
    };
    if !c.success() {
        if let Err(err) = interpret(Ok(c.clone()))
            && specific(&err)
        {
            return Err(BackendError::Failed(err.to_string()));
        }
        let status = match (c.status, c.signal) {
            (Some(code), _) => format!("status {code}"),
            (None, Some(sig)) => format!("signal {sig}"),
            (None, None) => "an unknown status".to_owned(),
        };
        let shown = if c.stderr.trim().is_empty() {
            &c.stdout
        } else {
            &c.stderr
        };
        return Err(BackendError::Exited {
            tool,
            status,
            first_lines: first_lines(shown),
        });
    }
    if c.stdout.trim().is_empty() {
        return Err(BackendError::Refused {
            tool,
            what: "printed no answer".into(),
            first_lines: first_lines(&c.stderr),
        });
    }
    interpret(Ok(c)).map_err(|e| BackendError::Failed(e.to_string()))
}

/// Is an answer whole and about the artifact? Pure: the last code fence must be closed,
/// and the text must hold the artifact asked for.
pub fn judge_answer(name: BackendName, output: OutputKind, text: &str) -> Result<(), BackendError> {
    if let Some(line) = unclosed_fence(text) {
        return Err(BackendError::Incomplete(format!(
            "the answer from {name} is incomplete: the code fence opened on line {line} is never closed; it was discarded"
        )));
    }
    if text.trim().is_empty() {
        return Err(BackendError::Refused {
            tool: name.tool().to_owned(),
            what: "gave an empty answer".into(),
            first_lines: String::new(),
        });
    }
    if crate::extract::extract(output, text).is_err() {
        return Err(BackendError::Refused {
            tool: name.tool().to_owned(),
            what: format!("gave no {}", kind_words(output)),
            first_lines: first_lines(text),
        });
    }
    Ok(())
}

fn kind_words(output: OutputKind) -> &'static str {
    match output {
        OutputKind::Kubernetes => "Kubernetes manifest",
        OutputKind::Dockerfile => "Dockerfile",
        OutputKind::Helm => "Helm chart file",
        OutputKind::Report => "report",
    }
}

/// The line (1-based) of a code fence that is opened and never closed, if any.
/// CommonMark: a fence is 3+ backticks or tildes, indented at most 3 spaces; it is closed
/// by a line of the same character, at least as long, with nothing after it.
pub fn unclosed_fence(text: &str) -> Option<usize> {
    let mut open: Option<(char, usize, usize)> = None;
    for (i, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        if indent > 3 {
            continue;
        }
        let t = &line[indent..];
        let Some(c) = t.chars().next().filter(|c| *c == '`' || *c == '~') else {
            continue;
        };
        let run = t.chars().take_while(|x| *x == c).count();
        if run < 3 {
            continue;
        }
        let rest = &t[run..];
        match open {
            None => {
                // A backtick fence's info string may not contain a backtick.
                if c == '`' && rest.contains('`') {
                    continue;
                }
                open = Some((c, run, i + 1));
            }
            Some((oc, olen, _)) if oc == c && run >= olen && rest.trim().is_empty() => {
                open = None;
            }
            Some(_) => {}
        }
    }
    open.map(|(_, _, line)| line)
}

// ---------------------------------------------------------------------------------------------
// The adapters
// ---------------------------------------------------------------------------------------------

/// The OpenAI-compatible endpoint.
pub struct OpenAi {
    pub settings: Settings,
    pub http: reqwest::Client,
}

impl Adapter for OpenAi {
    fn name(&self) -> BackendName {
        BackendName::Openai
    }

    fn model(&self) -> Option<String> {
        Some(self.settings.openai.model.clone())
    }

    fn ask<'a>(&'a self, ask: Ask<'a>) -> BoxFuture<'a, Result<String, BackendError>> {
        Box::pin(async move {
            let s = &self.settings.openai;
            if !s.configured {
                return Err(BackendError::Missing(
                    "not configured (set OPENAI_BASE_URL or OPENAI_API_KEY, or [openai] base_url)"
                        .into(),
                ));
            }
            let cfg = openai::OpenAiConfig {
                base_url: s.base_url.clone(),
                api_key: s.api_key.clone(),
                model: s.model.clone(),
                request_timeout: s.timeout,
                max_retries: s.max_retries,
                backoff_base: Duration::from_millis(500),
                backoff_cap: Duration::from_secs(30),
                retry_after_ceiling: s.retry_after_ceiling,
                max_answer_bytes: self.settings.limits.max_answer_bytes,
                stream: s.stream,
                temperature: Some(0.0),
            };
            let messages: Vec<openai::ChatMessage> = ask
                .turns
                .iter()
                .map(|t| openai::ChatMessage {
                    role: match t.role {
                        super::Role::System => openai::Role::System,
                        super::Role::User => openai::Role::User,
                        super::Role::Assistant => openai::Role::Assistant,
                    },
                    content: t.content.clone(),
                })
                .collect();
            let on = ask.on;
            let mut received = 0usize;
            let mut handler = |e: openai::Event| match e {
                openai::Event::Retrying {
                    attempt,
                    wait,
                    reason,
                } => on(super::Event::Retrying {
                    backend: "openai".into(),
                    attempt,
                    wait,
                    reason,
                }),
                openai::Event::Delta(d) => {
                    received += d.len();
                    on(super::Event::Streaming { bytes: received });
                    on(super::Event::Delta(d))
                }
            };
            openai::complete(&self.http, &cfg, &messages, &mut handler)
                .await
                .map(|c| c.text)
                .map_err(BackendError::from)
        })
    }
}

/// A `[tools.*]` section as the runner's config.
pub fn tool_config(t: &crate::settings::ToolConfigFile, default_timeout: u64) -> ToolConfig {
    ToolConfig {
        binary: t.binary.clone(),
        extra_args: t.args.clone(),
        timeout: Duration::from_secs(t.timeout_secs.unwrap_or(default_timeout)),
    }
}

/// `docker ai`, in a temporary working folder (see [`gordon::prepare`]).
pub struct Gordon {
    pub settings: Settings,
    /// What `docker ai --help` showed, probed once per run.
    pub behaviours: tokio::sync::OnceCell<gordon::Behaviours>,
}

impl Adapter for Gordon {
    fn name(&self) -> BackendName {
        BackendName::Gordon
    }

    fn model(&self) -> Option<String> {
        None
    }

    fn ask<'a>(&'a self, ask: Ask<'a>) -> BoxFuture<'a, Result<String, BackendError>> {
        Box::pin(async move {
            let cfg = tool_config(&self.settings.tools.gordon, 300);
            // A missing or unusable binary says so before the --help probe.
            process::resolve(std::path::Path::new(&cfg.program("docker")))
                .map_err(|e| from_process(&e))?;
            let found = *self.behaviours.get_or_init(|| gordon::detect(&cfg)).await;
            let current = ask.request.targets.first().map(String::as_str);
            let (inv, dir) = gordon::prepare(
                &cfg,
                &self.settings.root,
                current,
                found,
                &flatten(ask.turns),
            )
            .map_err(|e| BackendError::Failed(e.to_string()))?;
            let result = process::run_limited(inv, self.settings.limits.max_answer_bytes).await;
            // A Dockerfile it wrote into the folder is the answer, even when it printed
            // little or nothing about it.
            if matches!(&result, Ok(c) if c.success()) && dir.written_dockerfile().is_some() {
                return gordon::interpret_in(result, &dir)
                    .map_err(|e| BackendError::Failed(e.to_string()));
            }
            judge_tool(
                self.name(),
                result,
                |r| gordon::interpret_in(r, &dir),
                |e| matches!(e, gordon::GordonError::Interactive { .. }),
            )
        })
    }
}

/// kubectl-ai, either flavour, in a sandbox: an empty kubeconfig (unless configured) and
/// the trace file (see [`kubectl_ai::Sandbox`]).
pub struct KubectlAi {
    pub settings: Settings,
    /// The flavour and whether it writes a trace: from `--help` once per run.
    pub flavour: tokio::sync::OnceCell<Result<kubectl_ai::Detected, String>>,
}

impl KubectlAi {
    /// The flavour (from config, else detected from `--help`) and trace support, once per run.
    async fn detected(&self, cfg: &ToolConfig) -> Result<kubectl_ai::Detected, BackendError> {
        self.flavour
            .get_or_init(|| async {
                let configured = match &self.settings.tools.kubectl_ai.flavour {
                    Some(f) => Some(f.parse::<kubectl_ai::Flavour>()?),
                    None => None,
                };
                kubectl_ai::detect(cfg, configured).await
            })
            .await
            .clone()
            .map_err(BackendError::Failed)
    }
}

impl Adapter for KubectlAi {
    fn name(&self) -> BackendName {
        BackendName::KubectlAi
    }

    fn model(&self) -> Option<String> {
        self.settings.tools.kubectl_ai.model.clone()
    }

    fn ask<'a>(&'a self, ask: Ask<'a>) -> BoxFuture<'a, Result<String, BackendError>> {
        Box::pin(async move {
            let t = &self.settings.tools.kubectl_ai;
            let cfg = tool_config(t, 300);
            // A missing or unusable binary says so before the flavour probe.
            process::resolve(std::path::Path::new(&cfg.program("kubectl-ai")))
                .map_err(|e| from_process(&e))?;
            let detected = self.detected(&cfg).await?;
            let kubeconfig = t.kubeconfig.as_ref().map(|k| self.settings.root.join(k));
            let sandbox =
                kubectl_ai::Sandbox::new(kubeconfig.as_deref(), detected.trace).map_err(|e| {
                    BackendError::Failed(format!(
                        "kubectl-ai: cannot make its temporary folder: {e}"
                    ))
                })?;
            let inv = kubectl_ai::invocation(
                detected.flavour,
                &cfg,
                t.llm_provider.as_deref(),
                t.model.as_deref(),
                Some(&sandbox),
                &flatten(ask.turns),
            );
            let result = process::run_limited(inv, self.settings.limits.max_answer_bytes).await;
            judge_tool(
                self.name(),
                result,
                |r| kubectl_ai::interpret_with_trace(detected.flavour, r, &sandbox),
                |e| {
                    matches!(
                        e,
                        kubectl_ai::KubectlAiError::Permission { .. }
                            | kubectl_ai::KubectlAiError::Interactive { .. }
                    )
                },
            )
        })
    }
}

/// `kagent invoke`; repair follow-ups continue the conversation (`--session`).
pub struct Kagent {
    pub settings: Settings,
    /// The conversations of this run (see [`kagent::Sessions`]).
    pub sessions: kagent::Sessions,
}

impl Adapter for Kagent {
    fn name(&self) -> BackendName {
        BackendName::Kagent
    }

    fn model(&self) -> Option<String> {
        None
    }

    fn ask<'a>(&'a self, ask: Ask<'a>) -> BoxFuture<'a, Result<String, BackendError>> {
        Box::pin(async move {
            let t = &self.settings.tools.kagent;
            let cfg = tool_config(t, 600);
            let agent = ask
                .request
                .agent
                .clone()
                .or_else(|| t.agent.clone())
                .unwrap_or_else(|| "k8s-agent".into());
            let opts = kagent::AskOptions {
                agent: &agent,
                namespace: t.namespace.as_deref(),
                url: t.url.as_deref(),
                stream: t.stream,
            };
            let inv = kagent::conversation_invocation(&cfg, &opts, &self.sessions, ask.turns);
            let result = process::run_limited(inv, self.settings.limits.max_answer_bytes).await;
            // kagent prints its failures as A2A JSON on stdout and exits 0: its module
            // knows a failed task when it sees one.
            judge_tool(
                self.name(),
                result,
                |r| kagent::finish(&self.sessions, ask.turns, r),
                |e| {
                    matches!(
                        e,
                        kagent::KagentError::TaskFailed { .. }
                            | kagent::KagentError::Rpc { .. }
                            | kagent::KagentError::Incomplete { .. }
                    )
                },
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences() {
        assert_eq!(unclosed_fence("```yaml\na: 1\n```\n"), None);
        assert_eq!(unclosed_fence("intro\n```yaml\na: 1\n"), Some(2));
        assert_eq!(unclosed_fence("```yaml\na\n```\n\n~~~\nb\n"), Some(5));
        // A shorter or different fence does not close; a longer one does.
        assert_eq!(unclosed_fence("````\n```\n"), Some(1));
        assert_eq!(unclosed_fence("```\n~~~\n"), Some(1));
        assert_eq!(unclosed_fence("```\n`````\n"), None);
        // Inline code and indented code are not fences.
        assert_eq!(unclosed_fence("use ``` for fences `x`\n    ```\n"), None);
        assert_eq!(unclosed_fence("no fences at all"), None);
    }

    #[test]
    fn an_answer_must_be_whole_and_hold_the_artifact() {
        let k = OutputKind::Kubernetes;
        let ok = "```yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: x\n```\n";
        assert_eq!(judge_answer(BackendName::Openai, k, ok), Ok(()));
        assert_eq!(
            judge_answer(BackendName::Openai, k, &ok[..ok.len() - 4])
                .unwrap_err()
                .to_string(),
            "the answer from openai is incomplete: the code fence opened on line 1 is never closed; it was discarded"
        );
        assert_eq!(
            judge_answer(
                BackendName::KubectlAi,
                k,
                "I'm sorry, I can't help with that.\nAsk me about pods instead."
            )
            .unwrap_err()
            .to_string(),
            "kubectl-ai gave no Kubernetes manifest; it said:\n    I'm sorry, I can't help with that.\n    Ask me about pods instead."
        );
        assert_eq!(
            judge_answer(BackendName::Gordon, OutputKind::Dockerfile, "  \n")
                .unwrap_err()
                .to_string(),
            "docker ai gave an empty answer"
        );
    }

    #[test]
    fn a_failure_status_is_reported_as_such_whatever_was_printed() {
        let c = Captured::from_raw(
            vec!["kubectl-ai".into()],
            Some(1),
            b"apiVersion: apps/v1\nkind: Deployment\n",
            b"",
        );
        let e = judge_tool(
            BackendName::KubectlAi,
            Ok(c),
            |r| kubectl_ai::interpret(kubectl_ai::Flavour::Google, r),
            |_| false,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "kubectl-ai exited with status 1; it said:\n    apiVersion: apps/v1\n    kind: Deployment"
        );
    }

    #[test]
    fn tool_args_are_an_array_or_a_shell_line() {
        #[derive(Deserialize)]
        struct T {
            #[serde(deserialize_with = "crate::settings::tool_args")]
            args: Vec<String>,
        }
        let t: T = toml::from_str("args = \"--model 'gemini 2.5' -v\"").unwrap();
        assert_eq!(t.args, ["--model", "gemini 2.5", "-v"]);
        let t: T = toml::from_str("args = [\"a b\", \"c\"]").unwrap();
        assert_eq!(t.args, ["a b", "c"]);
        let e = toml::from_str::<T>("args = \"--model 'open\"")
            .err()
            .unwrap();
        assert!(
            e.message()
                .starts_with("cannot split `--model 'open` into arguments"),
            "{e}"
        );
    }

    #[test]
    fn backend_names_round_trip() {
        for b in [BackendName::Cache].into_iter().chain(BackendName::LIVE) {
            assert_eq!(BackendName::parse(b.as_str()), Some(b));
            assert_eq!(
                <BackendName as clap::ValueEnum>::from_str(b.as_str(), false),
                Ok(b)
            );
        }
        assert_eq!(BackendName::parse("manual"), None);
    }
}
