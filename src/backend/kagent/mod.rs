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

use super::process::{Availability, Captured, Invocation, ProcessError, ToolConfig, one_line};
use std::time::Duration;

use super::{Role, Turn};

pub mod a2a;

pub use a2a::parse_a2a;

pub const DEFAULT_BINARY: &str = "kagent";
/// kagent's stock Kubernetes agent.
#[cfg(test)]
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

    /// The task ended in any other state than completed (still `submitted` / `working`, or
    /// one dockhand does not know).
    #[error("the kagent agent's task did not complete (it is `{state}`): {message}")]
    Incomplete { state: String, message: String },

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

/// [`argv`] continuing the conversation `session` (`--session ID`, the `contextId` of an
/// earlier answer), so that the agent keeps its context.
pub fn argv_in_session(
    cfg: &ToolConfig,
    agent: &str,
    task: &str,
    namespace: Option<&str>,
    url: Option<&str>,
    stream: bool,
    session: Option<&str>,
) -> Vec<String> {
    let mut v = argv(cfg, agent, task, namespace, url, stream);
    if let Some(s) = session.filter(|s| !s.is_empty()) {
        // Before the extra args, after the task: `kagent invoke --agent A --task T --session S`.
        let at = v.len() - cfg.extra_args.len();
        v.insert(at, "--session".into());
        v.insert(at + 1, s.into());
    }
    v
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

/// The agent's answer and the conversation it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub text: String,
    /// `contextId`: pass it as `--session` to continue the conversation.
    pub context_id: Option<String>,
}

/// Turn a finished `kagent invoke` into the agent's answer text.
#[cfg(test)]
pub fn parse(c: &Captured) -> Result<String, KagentError> {
    parse_reply(c).map(|r| r.text)
}

/// [`parse`], keeping the `contextId`.
pub fn parse_reply(c: &Captured) -> Result<Reply, KagentError> {
    let outcome = parse_a2a(&c.stdout)?;
    if outcome.objects == 0 {
        // Old CLIs printed plain text after "Task completed successfully:" on stderr.
        if c.success()
            && c.stderr.contains("Task completed successfully")
            && !c.stdout.trim().is_empty()
        {
            return Ok(Reply {
                text: c.stdout.trim().to_string(),
                context_id: None,
            });
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
        Some("completed") | None => {}
        Some(s) => {
            return Err(KagentError::Incomplete {
                state: s.to_string(),
                message: message(),
            });
        }
    }
    let text = outcome.answer().ok_or(KagentError::Empty)?;
    Ok(Reply {
        text,
        context_id: outcome.context_id.clone(),
    })
}

/// [`parse`] for the runner's full result.
#[cfg(test)]
pub fn interpret(result: Result<Captured, ProcessError>) -> Result<String, KagentError> {
    interpret_reply(result).map(|r| r.text)
}

/// [`interpret`], keeping the `contextId`.
pub fn interpret_reply(result: Result<Captured, ProcessError>) -> Result<Reply, KagentError> {
    match result {
        Ok(c) => parse_reply(&c),
        Err(ProcessError::NotFound { program }) => Err(KagentError::Unavailable(format!(
            "`{program}` is not installed (not found on PATH)"
        ))),
        Err(e) => Err(KagentError::Process(e)),
    }
}

/// The kagent conversations of one run: a conversation so far (its turns, ending with the
/// agent's answer) → the `contextId` that answer came in. A repair follow-up to that answer
/// is sent alone with `--session`, so that the agent keeps its context.
#[derive(Debug, Default)]
pub struct Sessions(std::sync::Mutex<std::collections::HashMap<String, String>>);

impl Sessions {
    fn key(turns: &[Turn]) -> String {
        crate::hash::sha256_hex(
            serde_json::to_string(turns)
                .expect("turns serialize")
                .as_bytes(),
        )
    }

    /// The session an answer ending these turns came in.
    pub fn get(&self, turns: &[Turn]) -> Option<String> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&Self::key(turns)).cloned()
    }

    pub fn put(&self, turns: &[Turn], context_id: String) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(Self::key(turns), context_id);
    }
}

/// What [`conversation_invocation`] needs from `[tools.kagent]` and the prompt.
#[derive(Debug, Clone, Default)]
pub struct AskOptions<'a> {
    pub agent: &'a str,
    pub namespace: Option<&'a str>,
    pub url: Option<&'a str>,
    pub stream: bool,
}

/// The task to send for a conversation and the session to send it in: a follow-up to an
/// answer of a known session goes alone, in that session; anything else is the whole
/// conversation folded into one task, in a new session.
pub fn task_for(sessions: &Sessions, turns: &[Turn]) -> (String, Option<String>) {
    if let Some((last, before)) = turns.split_last()
        && last.role == Role::User
        && !before.is_empty()
        && let Some(ctx) = sessions.get(before)
    {
        return (last.content.clone(), Some(ctx));
    }
    (super::flatten(turns), None)
}

/// The invocation for a conversation: see [`task_for`].
pub fn conversation_invocation(
    cfg: &ToolConfig,
    opts: &AskOptions<'_>,
    sessions: &Sessions,
    turns: &[Turn],
) -> Invocation {
    let (task, session) = task_for(sessions, turns);
    match session {
        Some(s) if task.len() <= MAX_TASK_ARG => Invocation::from_argv(
            argv_in_session(
                cfg,
                opts.agent,
                &task,
                opts.namespace,
                opts.url,
                opts.stream,
                Some(&s),
            ),
            cfg.timeout,
        ),
        _ => invocation(
            cfg,
            opts.agent,
            &task,
            opts.namespace,
            opts.url,
            opts.stream,
        ),
    }
}

/// The answer of a finished run for `turns`; the session it came in is remembered, so that
/// a follow-up to it continues there.
pub fn finish(
    sessions: &Sessions,
    turns: &[Turn],
    result: Result<Captured, ProcessError>,
) -> Result<String, KagentError> {
    let reply = interpret_reply(result)?;
    if let Some(ctx) = reply.context_id.clone() {
        let mut all = turns.to_vec();
        all.push(Turn::assistant(reply.text.clone()));
        sessions.put(&all, ctx);
    }
    Ok(reply.text)
}

#[cfg(test)]
mod tests;
