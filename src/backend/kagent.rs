//! kagent, driven through its CLI:
//! `kagent invoke --agent NAME --task "<task>" [--namespace NS] [--kagent-url URL] [--stream]`.
//!
//! The CLI prints A2A (agent-to-agent protocol) JSON on stdout:
//!
//! * without `--stream`: one JSON object, the `SendMessage` result – a **Task**
//!   (`{"kind":"task","status":{"state":…,"message":{…}},"artifacts":[{"parts":[…]}],"history":[…]}`)
//!   or a bare **Message** (`{"kind":"message","role":"agent","parts":[…]}`);
//! * with `--stream`: one JSON event per line – `task`, `status-update`
//!   (`{"kind":"status-update","status":{…},"final":true}`) and `artifact-update`
//!   (`{"kind":"artifact-update","artifact":{…},"append":true,"lastChunk":true}`) – then a blank line.
//!
//! Both bare objects and JSON-RPC envelopes (`{"jsonrpc":"2.0","id":…,"result":{…}}` /
//! `{"error":{"code":…,"message":…}}`) are accepted, as are `data: {…}` SSE lines, older
//! spec spellings (`"type":"text"` parts, events without `kind`) and protobuf-style states
//! (`TASK_STATE_COMPLETED`).
//!
//! The CLI exits 0 on most failures (it prints the error on stderr and returns), so success
//! is judged from the JSON, never from the exit code: a task that ended `failed`,
//! `rejected` or `canceled`, a JSON-RPC error, or no JSON at all is a [`KagentError`].
//! The answer is the text of the task's artifacts (joined, in order; streamed chunks with
//! `append: true` are concatenated), else the last agent message.

use super::process::{
    Availability, Captured, Invocation, ProcessError, ToolConfig, display_argv, one_line,
};
use serde_json::Value;
use std::time::Duration;

pub const DEFAULT_BINARY: &str = "kagent";
/// kagent's stock Kubernetes agent.
pub const DEFAULT_AGENT: &str = "k8s-agent";
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(30);
/// Tasks longer than this (bytes) are sent as `--file -` on stdin by [`invocation`]
/// (Linux limits a single argument to 128 KiB).
pub const MAX_TASK_ARG: usize = 100_000;

#[derive(Debug, thiserror::Error)]
pub enum KagentError {
    /// The task ended `failed`, `rejected` or `canceled`.
    #[error("the kagent agent's task {state}: {message}")]
    TaskFailed { state: String, message: String },

    /// The agent stopped to ask the user something (`input-required` / `auth-required`).
    #[error(
        "the kagent agent stopped to ask for more input ({state}): {message}. dockhand cannot answer it; run `kagent invoke` yourself or rephrase the task"
    )]
    InputRequired { state: String, message: String },

    /// The task was still `submitted` / `working` when the output ended.
    #[error("kagent's output ended while the task was still `{state}` (no final result)")]
    Incomplete { state: String },

    #[error("kagent returned JSON-RPC error {code}: {message}{}", data_suffix(.data))]
    Rpc {
        code: i64,
        message: String,
        data: Option<String>,
    },

    /// Nothing on stdout parsed as A2A JSON.
    #[error("kagent printed no A2A JSON{}", detail_suffix(.detail))]
    NoJson { detail: String },

    #[error("the kagent agent's task completed but contained no text")]
    Empty,

    /// Controller unreachable / CLI missing – the broker should move on.
    #[error("kagent is unavailable: {0}")]
    Unavailable(String),

    #[error(transparent)]
    Process(#[from] ProcessError),
}

fn data_suffix(d: &Option<String>) -> String {
    d.as_ref().map(|d| format!(" ({d})")).unwrap_or_default()
}

fn detail_suffix(d: &str) -> String {
    if d.trim().is_empty() {
        String::new()
    } else {
        format!(": {}", d.trim())
    }
}

// ---------------------------------------------------------------------------------------------
// argv
// ---------------------------------------------------------------------------------------------

/// `[kagent, invoke, --agent, AGENT, --task, TASK, (--namespace NS), (--kagent-url URL),
/// (--stream), ...extra_args]`. Empty optional values are left out.
pub fn argv(
    cfg: &ToolConfig,
    agent: &str,
    task: &str,
    namespace: Option<&str>,
    url: Option<&str>,
    stream: bool,
) -> Vec<String> {
    argv_with_task(cfg, agent, TaskArg::Inline(task), namespace, url, stream)
}

enum TaskArg<'a> {
    Inline(&'a str),
    Stdin,
}

fn argv_with_task(
    cfg: &ToolConfig,
    agent: &str,
    task: TaskArg<'_>,
    namespace: Option<&str>,
    url: Option<&str>,
    stream: bool,
) -> Vec<String> {
    let mut v = vec![
        cfg.program(DEFAULT_BINARY),
        "invoke".into(),
        "--agent".into(),
        agent.into(),
    ];
    match task {
        TaskArg::Inline(t) => {
            v.push("--task".into());
            v.push(t.into());
        }
        TaskArg::Stdin => {
            v.push("--file".into());
            v.push("-".into());
        }
    }
    if let Some(ns) = namespace.filter(|s| !s.is_empty()) {
        v.push("--namespace".into());
        v.push(ns.into());
    }
    if let Some(u) = url.filter(|s| !s.is_empty()) {
        v.push("--kagent-url".into());
        v.push(u.into());
    }
    if stream {
        v.push("--stream".into());
    }
    v.extend(cfg.extra_args.iter().cloned());
    v
}

/// The invocation: [`argv`] for ordinary tasks; for a task over [`MAX_TASK_ARG`] bytes,
/// `--file -` with the task on stdin instead of `--task`.
pub fn invocation(
    cfg: &ToolConfig,
    agent: &str,
    task: &str,
    namespace: Option<&str>,
    url: Option<&str>,
    stream: bool,
) -> Invocation {
    if task.len() > MAX_TASK_ARG {
        Invocation::from_argv(
            argv_with_task(cfg, agent, TaskArg::Stdin, namespace, url, stream),
            cfg.timeout,
        )
        .with_stdin(task)
    } else {
        Invocation::from_argv(argv(cfg, agent, task, namespace, url, stream), cfg.timeout)
    }
}

/// `[kagent, version, (--namespace NS), (--kagent-url URL)]` – talks to the controller, so it
/// checks reachability as well as installation.
pub fn probe_argv(cfg: &ToolConfig, namespace: Option<&str>, url: Option<&str>) -> Vec<String> {
    let mut v = vec![cfg.program(DEFAULT_BINARY), "version".into()];
    if let Some(ns) = namespace.filter(|s| !s.is_empty()) {
        v.push("--namespace".into());
        v.push(ns.into());
    }
    if let Some(u) = url.filter(|s| !s.is_empty()) {
        v.push("--kagent-url".into());
        v.push(u.into());
    }
    v
}

pub fn probe_invocation(
    cfg: &ToolConfig,
    namespace: Option<&str>,
    url: Option<&str>,
) -> Invocation {
    Invocation::from_argv(
        probe_argv(cfg, namespace, url),
        PROBE_TIMEOUT.min(cfg.timeout),
    )
}

/// Judge the output of [`probe_argv`].
pub fn judge_probe(c: &Captured) -> Availability {
    if let Some(reason) = unreachable_reason(c) {
        return Availability::Unavailable(reason);
    }
    if !c.success() {
        return Availability::Unavailable(format!(
            "`kagent version` failed: {}",
            one_line(&c.diagnostic_tail())
        ));
    }
    match c.stdout.lines().map(str::trim).find(|l| !l.is_empty()) {
        Some(first) => Availability::Available(first.to_string()),
        None => Availability::Unavailable(format!(
            "`kagent version` printed nothing{}",
            detail_suffix(&one_line(&c.stderr_tail()))
        )),
    }
}

fn unreachable_reason(c: &Captured) -> Option<String> {
    let lower = c.stderr.to_ascii_lowercase();
    let markers = [
        "error starting port-forward",
        "failed to establish connection to kagent-controller",
        "error connecting to server",
        "connection refused",
        "no such host",
        "i/o timeout",
    ];
    if markers.iter().any(|m| lower.contains(m)) {
        Some(format!(
            "the kagent controller is not reachable (is kagent installed in the cluster, and is the URL/namespace right?): {}",
            one_line(&c.stderr_tail())
        ))
    } else {
        None
    }
}

// ---------------------------------------------------------------------------------------------
// A2A parsing
// ---------------------------------------------------------------------------------------------

/// What the A2A output said, folded over every object/event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct A2aOutcome {
    /// Last task state seen, normalized (`completed`, `failed`, `input-required`, …).
    pub state: Option<String>,
    /// A `final: true` status update was seen (streaming).
    pub final_seen: bool,
    /// Artifact texts in order of first appearance (`(artifact id, text)`).
    pub artifacts: Vec<(String, String)>,
    /// Text of the most recent agent message (status message, bare message or history).
    pub last_agent_message: Option<String>,
    /// Text of the most recent status message (whatever its role).
    pub last_status_message: Option<String>,
    /// Number of recognized A2A objects.
    pub objects: usize,
}

impl A2aOutcome {
    /// The agent's final text: the artifacts joined by blank lines, else the last agent message.
    pub fn answer(&self) -> Option<String> {
        let arts: Vec<&str> = self
            .artifacts
            .iter()
            .map(|(_, t)| t.trim())
            .filter(|t| !t.is_empty())
            .collect();
        if !arts.is_empty() {
            return Some(arts.join("\n\n"));
        }
        self.last_agent_message
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(String::from)
    }
}

/// Parse `kagent invoke` stdout (already ANSI-stripped). `Ok` with `objects == 0` means no
/// JSON was found; a JSON-RPC error is returned as `Err(KagentError::Rpc)`.
pub fn parse_a2a(stdout: &str) -> Result<A2aOutcome, KagentError> {
    let mut out = A2aOutcome::default();
    for value in json_values(stdout) {
        fold(&mut out, &value)?;
    }
    Ok(out)
}

/// Every JSON value in the output: the whole text if it is one document (pretty-printed
/// JSON), else each line that parses (`data:` prefixes allowed), skipping other lines.
fn json_values(stdout: &str) -> Vec<Value> {
    let trimmed = stdout.trim();
    if trimmed.is_empty() {
        return Vec::new();
    }
    let mut whole = serde_json::Deserializer::from_str(trimmed).into_iter::<Value>();
    let mut all = Vec::new();
    let mut ok = true;
    for v in whole.by_ref() {
        match v {
            Ok(v) => all.push(v),
            Err(_) => {
                ok = false;
                break;
            }
        }
    }
    if ok && !all.is_empty() {
        return all;
    }
    stdout
        .lines()
        .map(str::trim)
        .map(|l| l.strip_prefix("data:").map(str::trim).unwrap_or(l))
        .filter(|l| l.starts_with('{'))
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect()
}

fn fold(out: &mut A2aOutcome, v: &Value) -> Result<(), KagentError> {
    let Some(obj) = v.as_object() else {
        return Ok(());
    };

    // JSON-RPC envelope.
    if let Some(err) = obj.get("error").filter(|e| !e.is_null())
        && (obj.contains_key("jsonrpc") || obj.contains_key("id") || err.get("code").is_some())
    {
        return Err(KagentError::Rpc {
            code: err.get("code").and_then(Value::as_i64).unwrap_or(0),
            message: err
                .get("message")
                .and_then(Value::as_str)
                .map(String::from)
                .unwrap_or_else(|| err.to_string()),
            data: err.get("data").filter(|d| !d.is_null()).map(|d| match d {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            }),
        });
    }
    if let Some(result) = obj.get("result").filter(|r| r.is_object())
        && (obj.contains_key("jsonrpc") || obj.contains_key("id"))
    {
        return fold(out, result);
    }

    let kind = obj
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_else(|| infer_kind(obj));
    match kind {
        "task" => {
            out.objects += 1;
            if let Some(status) = obj.get("status") {
                apply_status(out, status);
            }
            if let Some(arts) = obj.get("artifacts").and_then(Value::as_array) {
                for a in arts {
                    upsert_artifact(out, a, false);
                }
            }
            // History is a fallback for the answer only (status/artifacts are authoritative).
            if out.last_agent_message.is_none()
                && let Some(hist) = obj.get("history").and_then(Value::as_array)
                && let Some(t) = hist
                    .iter()
                    .rev()
                    .filter(|m| is_agent(m))
                    .map(message_text)
                    .find(|t| !t.trim().is_empty())
            {
                out.last_agent_message = Some(t);
            }
        }
        "status-update" => {
            out.objects += 1;
            if let Some(status) = obj.get("status") {
                apply_status(out, status);
            }
            if obj.get("final").and_then(Value::as_bool) == Some(true) {
                out.final_seen = true;
            }
        }
        "artifact-update" => {
            out.objects += 1;
            let append = obj.get("append").and_then(Value::as_bool).unwrap_or(false);
            if let Some(a) = obj.get("artifact") {
                upsert_artifact(out, a, append);
            }
        }
        "message" => {
            out.objects += 1;
            if is_agent(v) {
                let t = message_text(v);
                if !t.trim().is_empty() {
                    out.last_agent_message = Some(t);
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Older A2A drafts had no `kind`; recognize objects by shape.
fn infer_kind(obj: &serde_json::Map<String, Value>) -> &'static str {
    if obj.contains_key("artifact") {
        "artifact-update"
    } else if obj.contains_key("status") && obj.contains_key("final") {
        "status-update"
    } else if obj.contains_key("status")
        && (obj.contains_key("artifacts") || obj.contains_key("history") || obj.contains_key("id"))
    {
        "task"
    } else if obj.contains_key("parts") && obj.contains_key("role") {
        "message"
    } else {
        ""
    }
}

fn apply_status(out: &mut A2aOutcome, status: &Value) {
    if let Some(s) = status.get("state").and_then(Value::as_str) {
        out.state = Some(normalize_state(s));
    }
    if let Some(m) = status.get("message").filter(|m| m.is_object()) {
        let t = message_text(m);
        if !t.trim().is_empty() {
            out.last_status_message = Some(t.clone());
            if is_agent(m) || m.get("role").is_none() {
                out.last_agent_message = Some(t);
            }
        }
    }
}

fn upsert_artifact(out: &mut A2aOutcome, artifact: &Value, append: bool) {
    let id = artifact
        .get("artifactId")
        .or_else(|| artifact.get("id"))
        .or_else(|| artifact.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let text = parts_text(artifact.get("parts"));
    match out.artifacts.iter_mut().find(|(i, _)| *i == id) {
        Some((_, existing)) if append => existing.push_str(&text),
        Some((_, existing)) => *existing = text,
        None => out.artifacts.push((id, text)),
    }
}

fn is_agent(m: &Value) -> bool {
    matches!(
        m.get("role").and_then(Value::as_str),
        Some("agent") | Some("ROLE_AGENT") | Some("assistant") | Some("model")
    )
}

fn message_text(m: &Value) -> String {
    parts_text(m.get("parts"))
}

/// Concatenate the text parts (`{"kind":"text","text":…}`, or `"type":"text"` in older
/// drafts); data/file parts are ignored.
fn parts_text(parts: Option<&Value>) -> String {
    let Some(parts) = parts.and_then(Value::as_array) else {
        return String::new();
    };
    parts
        .iter()
        .filter(|p| {
            let k = p
                .get("kind")
                .or_else(|| p.get("type"))
                .and_then(Value::as_str);
            k.is_none() || k == Some("text")
        })
        .filter_map(|p| p.get("text").and_then(Value::as_str))
        .collect::<Vec<_>>()
        .join("")
}

/// `TASK_STATE_INPUT_REQUIRED` → `input-required`, `Completed` → `completed`.
fn normalize_state(s: &str) -> String {
    let l = s.trim().to_ascii_lowercase();
    let l = l.strip_prefix("task_state_").unwrap_or(&l);
    let l = l.replace('_', "-");
    if l == "cancelled" {
        "canceled".to_string()
    } else {
        l
    }
}

/// Turn a finished `kagent invoke` into the agent's answer text.
pub fn parse(c: &Captured) -> Result<String, KagentError> {
    let outcome = parse_a2a(&c.stdout)?;
    if outcome.objects == 0 {
        // Old CLIs printed plain text after "Task completed successfully:" on stderr.
        if c.success()
            && c.stderr.contains("Task completed successfully")
            && !c.stdout.trim().is_empty()
        {
            return Ok(c.stdout.trim().to_string());
        }
        if let Some(reason) = unreachable_reason(c) {
            return Err(KagentError::Unavailable(reason));
        }
        if !c.success() {
            return Err(KagentError::Process(ProcessError::failed(c)));
        }
        let detail = if !c.stderr.trim().is_empty() {
            one_line(&c.stderr_tail())
        } else if !c.stdout.trim().is_empty() {
            format!(
                "stdout began with {:?}",
                c.stdout.trim().chars().take(120).collect::<String>()
            )
        } else {
            "stdout and stderr were empty".to_string()
        };
        return Err(KagentError::NoJson { detail });
    }
    let state = outcome.state.clone();
    let message = || {
        outcome
            .last_status_message
            .clone()
            .or_else(|| outcome.last_agent_message.clone())
            .map(|m| m.trim().to_string())
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| "(no message)".to_string())
    };
    match state.as_deref() {
        Some(s @ ("failed" | "rejected" | "canceled")) => {
            return Err(KagentError::TaskFailed {
                state: s.to_string(),
                message: message(),
            });
        }
        Some(s @ ("input-required" | "auth-required")) => {
            return Err(KagentError::InputRequired {
                state: s.to_string(),
                message: message(),
            });
        }
        Some(s @ ("submitted" | "working" | "unknown" | "unspecified")) => {
            return Err(KagentError::Incomplete {
                state: s.to_string(),
            });
        }
        _ => {}
    }
    outcome.answer().ok_or(KagentError::Empty)
}

/// [`parse`] for the runner's full result.
pub fn interpret(result: Result<Captured, ProcessError>) -> Result<String, KagentError> {
    match result {
        Ok(c) => parse(&c),
        Err(ProcessError::NotFound { program }) => Err(KagentError::Unavailable(format!(
            "`{program}` is not installed (not found on PATH)"
        ))),
        Err(e) => Err(KagentError::Process(e)),
    }
}

/// The command line for messages ("run it yourself: …").
pub fn describe(c: &Captured) -> String {
    display_argv(&c.argv)
}

#[cfg(test)]
mod tests {
    use super::super::process::test_support::{
        captured, cfg, fixture, logged_argvs, run_fake, s, temp_log,
    };
    use super::*;

    const ARGV: &[&str] = &["kagent", "invoke", "--agent", "k8s-agent", "--task", "t"];
    fn ok(stdout: &str) -> Captured {
        captured(ARGV, 0, stdout, "")
    }

    #[test]
    fn argv_shapes() {
        assert_eq!(
            argv(&cfg(), "k8s-agent", "Check pod health", None, None, false),
            s(&[
                "kagent",
                "invoke",
                "--agent",
                "k8s-agent",
                "--task",
                "Check pod health"
            ])
        );
        let c = ToolConfig {
            binary: Some("/usr/local/bin/kagent".into()),
            extra_args: s(&["--verbose"]),
            timeout: Duration::from_secs(120),
        };
        assert_eq!(
            argv(
                &c,
                "helm-agent",
                "--task-like text",
                Some("kagent"),
                Some("http://localhost:8083"),
                true
            ),
            s(&[
                "/usr/local/bin/kagent",
                "invoke",
                "--agent",
                "helm-agent",
                "--task",
                "--task-like text",
                "--namespace",
                "kagent",
                "--kagent-url",
                "http://localhost:8083",
                "--stream",
                "--verbose"
            ])
        );
        assert_eq!(
            argv(&cfg(), "a", "t", Some(""), Some(""), false),
            s(&["kagent", "invoke", "--agent", "a", "--task", "t"])
        );
        let inv = invocation(&c, "a", "t", None, None, false);
        assert_eq!(inv.stdin, None);
        assert_eq!(inv.timeout, Duration::from_secs(120));
        let big = "x".repeat(MAX_TASK_ARG + 1);
        let inv = invocation(&cfg(), "a", &big, Some("ns"), None, false);
        assert_eq!(
            inv.args,
            s(&["invoke", "--agent", "a", "--file", "-", "--namespace", "ns"])
        );
        assert_eq!(inv.stdin.as_deref(), Some(big.as_str()));
        assert_eq!(
            probe_argv(&cfg(), Some("kagent"), None),
            s(&["kagent", "version", "--namespace", "kagent"])
        );
    }

    #[test]
    fn single_task() {
        let text = parse(&ok(&fixture("kagent-task.json"))).unwrap();
        assert!(
            text.starts_with("Here is the Deployment and Service for todo-backend:"),
            "{text}"
        );
        assert!(text.contains("imagePullPolicy: Never"));
        assert!(text.contains("```yaml"));
        let out = parse_a2a(&fixture("kagent-task.json")).unwrap();
        assert_eq!(out.state.as_deref(), Some("completed"));
        assert_eq!(out.artifacts.len(), 1);
    }

    #[test]
    fn jsonrpc_wrapped_pretty_printed() {
        let text = parse(&ok(&fixture("kagent-task-jsonrpc.json"))).unwrap();
        assert!(text.contains("kind: Deployment"));
    }

    #[test]
    fn bare_message_result() {
        let text = parse(&ok(&fixture("kagent-message.json"))).unwrap();
        assert!(text.contains("secretKeyRef"));
    }

    #[test]
    fn stream_events_are_assembled() {
        let text = parse(&ok(&fixture("kagent-stream.jsonl"))).unwrap();
        let single = parse(&ok(&fixture("kagent-task.json"))).unwrap();
        assert_eq!(text, single, "chunks with append=true must be concatenated");
        let out = parse_a2a(&fixture("kagent-stream.jsonl")).unwrap();
        assert!(out.final_seen);
        assert_eq!(out.objects, 7);
        // Noise lines and SSE prefixes are tolerated.
        let noisy = format!(
            "Connecting to kagent…\n{}",
            fixture("kagent-stream.jsonl")
                .lines()
                .map(|l| if l.is_empty() {
                    String::new()
                } else {
                    format!("data: {l}")
                })
                .collect::<Vec<_>>()
                .join("\n")
        );
        assert_eq!(parse(&ok(&noisy)).unwrap(), single);
    }

    #[test]
    fn failed_task_exit_zero_is_an_error() {
        let err = parse(&ok(&fixture("kagent-failed.json"))).unwrap_err();
        match &err {
            KagentError::TaskFailed { state, message } => {
                assert_eq!(state, "failed");
                assert!(message.contains("401 Unauthorized"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert!(
            err.to_string()
                .contains("task failed: Error: model call failed")
        );
        let err = parse(&ok(&fixture("kagent-stream-failed.jsonl"))).unwrap_err();
        assert!(
            matches!(err, KagentError::TaskFailed { ref message, .. } if message.contains("context deadline exceeded")),
            "{err:?}"
        );
        for st in ["rejected", "canceled", "TASK_STATE_CANCELLED"] {
            let j = format!(
                r#"{{"kind":"task","id":"t","status":{{"state":"{st}"}},"artifacts":[{{"artifactId":"a","parts":[{{"kind":"text","text":"partial"}}]}}]}}"#
            );
            assert!(
                matches!(parse(&ok(&j)), Err(KagentError::TaskFailed { .. })),
                "{st}"
            );
        }
    }

    #[test]
    fn rpc_error() {
        match parse(&ok(&fixture("kagent-rpc-error.json"))) {
            Err(e @ KagentError::Rpc { .. }) => {
                let m = e.to_string();
                assert!(
                    m.contains("-32001") && m.contains("Task not found") && m.contains("k8s-agent"),
                    "{m}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn no_json() {
        let c = captured(ARGV, 0, "", &fixture("kagent-no-json-stderr.txt"));
        match parse(&c) {
            Err(KagentError::Unavailable(r)) => assert!(r.contains("connection refused"), "{r}"),
            other => panic!("{other:?}"),
        }
        let c = captured(ARGV, 0, "", "Task or file is required\n");
        match parse(&c) {
            Err(e @ KagentError::NoJson { .. }) => {
                assert!(e.to_string().contains("Task or file is required"))
            }
            other => panic!("{other:?}"),
        }
        let c = captured(ARGV, 0, "Sure! Here's what I found.\n", "");
        assert!(
            matches!(parse(&c), Err(KagentError::NoJson { ref detail }) if detail.contains("Sure!"))
        );
        assert!(matches!(
            parse(&captured(ARGV, 0, "", "")),
            Err(KagentError::NoJson { .. })
        ));
        let c = captured(ARGV, 2, "", "panic: runtime error\n");
        assert!(matches!(
            parse(&c),
            Err(KagentError::Process(ProcessError::Failed { .. }))
        ));
        // Old CLI: plain text on stdout after a success line on stderr.
        let c = captured(
            ARGV,
            0,
            "All pods are healthy.\n",
            "Task completed successfully:\n",
        );
        assert_eq!(parse(&c).unwrap(), "All pods are healthy.");
    }

    #[test]
    fn json_wins_over_exit_code() {
        let c = captured(
            ARGV,
            1,
            &fixture("kagent-task.json"),
            "warning: something\n",
        );
        assert!(parse(&c).is_ok());
    }

    #[test]
    fn states_and_fallbacks() {
        let working =
            r#"{"kind":"status-update","taskId":"t","status":{"state":"working"},"final":false}"#;
        assert!(
            matches!(parse(&ok(working)), Err(KagentError::Incomplete { ref state }) if state == "working")
        );
        let input = r#"{"kind":"task","id":"t","status":{"state":"input-required","message":{"kind":"message","role":"agent","parts":[{"kind":"text","text":"Which namespace?"}]}}}"#;
        assert!(
            matches!(parse(&ok(input)), Err(KagentError::InputRequired { ref message, .. }) if message == "Which namespace?")
        );
        // No artifacts: last agent message from history; data parts are ignored.
        let hist = r#"{"kind":"task","id":"t","status":{"state":"completed"},"history":[
            {"kind":"message","role":"user","parts":[{"kind":"text","text":"question"}]},
            {"kind":"message","role":"agent","parts":[{"kind":"text","text":"first"}]},
            {"kind":"message","role":"agent","parts":[{"kind":"data","data":{"name":"tool"}}]},
            {"kind":"message","role":"agent","parts":[{"kind":"text","text":"final "},{"kind":"text","text":"answer"}]}]}"#;
        assert_eq!(parse(&ok(hist)).unwrap(), "final answer");
        // Older drafts: no `kind`, parts typed with `type`, state in capitals.
        let old = r#"{"id":"t","status":{"state":"COMPLETED"},"artifacts":[{"name":"answer","parts":[{"type":"text","text":"old style"}]}]}"#;
        assert_eq!(parse(&ok(old)).unwrap(), "old style");
        let empty = r#"{"kind":"task","id":"t","status":{"state":"completed"},"artifacts":[]}"#;
        assert!(matches!(parse(&ok(empty)), Err(KagentError::Empty)));
        // Two artifacts are joined with a blank line.
        let two = r#"{"kind":"task","id":"t","status":{"state":"completed"},"artifacts":[
            {"artifactId":"a","parts":[{"kind":"text","text":"one"}]},{"artifactId":"b","parts":[{"kind":"text","text":"two"}]}]}"#;
        assert_eq!(parse(&ok(two)).unwrap(), "one\n\ntwo");
    }

    #[test]
    fn probe_judgement() {
        let c = captured(
            &["kagent", "version"],
            0,
            &fixture("kagent-version.txt"),
            "",
        );
        assert!(matches!(judge_probe(&c), Availability::Available(ref d) if d.contains("0.6.3")));
        let c = captured(
            &["kagent", "version"],
            0,
            "",
            &fixture("kagent-port-forward-stderr.txt"),
        );
        assert!(
            matches!(judge_probe(&c), Availability::Unavailable(ref r) if r.contains("not reachable"))
        );
        let c = captured(&["kagent", "version"], 0, "", "");
        assert!(!judge_probe(&c).is_available());
    }

    // --- end-to-end through the runner and the fake ------------------------------------------

    fn run_mode(
        mode: &str,
        task: &str,
        stream: bool,
        timeout_ms: u64,
    ) -> Result<String, KagentError> {
        interpret(run_fake(
            argv(&cfg(), DEFAULT_AGENT, task, Some("kagent"), None, stream),
            &[("FAKE_KAGENT_MODE", mode)],
            Duration::from_millis(timeout_ms),
        ))
    }

    #[test]
    fn fake_end_to_end() {
        let log = temp_log("kagent");
        let r = run_fake(
            argv(
                &cfg(),
                "k8s-agent",
                "Write a Deployment for todo-backend",
                Some("kagent"),
                Some("http://127.0.0.1:8083"),
                true,
            ),
            &[("FAKE_LOG", log.to_str().unwrap())],
            Duration::from_secs(20),
        );
        assert!(interpret(r).unwrap().contains("kind: Deployment"));
        assert_eq!(
            logged_argvs(&log),
            vec![s(&[
                "kagent",
                "invoke",
                "--agent",
                "k8s-agent",
                "--task",
                "Write a Deployment for todo-backend",
                "--namespace",
                "kagent",
                "--kagent-url",
                "http://127.0.0.1:8083",
                "--stream"
            ])]
        );
        let _ = std::fs::remove_file(&log);

        assert!(
            run_mode("ok", "Check pod health", false, 20_000)
                .unwrap()
                .contains("No pods in CrashLoopBackOff")
        );
        assert!(
            run_mode("ok", "Suggest resource requests", false, 20_000)
                .unwrap()
                .contains("requests cpu=100m")
        );
        assert!(
            run_mode("ok-stream", "x", false, 20_000)
                .unwrap()
                .contains("secretKeyRef")
        );
        assert!(
            run_mode("unhealthy", "Check pod health", false, 20_000)
                .unwrap()
                .contains("CrashLoopBackOff")
        );
        assert!(
            run_mode("flood", "x", false, 60_000)
                .unwrap()
                .contains("todo-backend")
        );
        assert!(matches!(
            run_mode("failed-exit0", "x", false, 20_000),
            Err(KagentError::TaskFailed { .. })
        ));
        assert!(matches!(
            run_mode("failed-exit0", "x", true, 20_000),
            Err(KagentError::TaskFailed { .. })
        ));
        assert!(matches!(
            run_mode("rpc-error", "x", false, 20_000),
            Err(KagentError::Rpc { .. })
        ));
        assert!(matches!(
            run_mode("no-json", "x", false, 20_000),
            Err(KagentError::Unavailable(_))
        ));
        assert!(matches!(
            run_mode("unreachable", "x", false, 20_000),
            Err(KagentError::Unavailable(_))
        ));
        assert!(matches!(
            run_mode("hang", "x", false, 700),
            Err(KagentError::Process(ProcessError::Timeout { .. }))
        ));

        // A long task goes through `--file -` on stdin.
        let big = format!(
            "Check pod health. {}",
            "context ".repeat(MAX_TASK_ARG / 8 + 10)
        );
        let inv = invocation(&cfg(), "k8s-agent", &big, None, None, false);
        let mut inv = inv;
        inv.program = super::super::process::test_support::fake_bin("kagent");
        let text = interpret(super::super::process::run_blocking(&inv)).unwrap();
        assert!(text.contains("No pods in CrashLoopBackOff"), "{text}");
    }

    #[test]
    fn fake_answer_file_is_json_escaped() {
        let path = temp_log("kagent-answer");
        std::fs::write(&path, "quotes \" and \\ backslash\n\ttab\nlast line").unwrap();
        for stream in [false, true] {
            let r = interpret(run_fake(
                argv(&cfg(), "k8s-agent", "x", None, None, stream),
                &[("FAKE_ANSWER_FILE", path.to_str().unwrap())],
                Duration::from_secs(20),
            ));
            assert_eq!(r.unwrap(), "quotes \" and \\ backslash\n\ttab\nlast line");
        }
        let _ = std::fs::remove_file(&path);
    }
}
