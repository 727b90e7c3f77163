//! A2A (agent-to-agent protocol) JSON as `kagent invoke` prints it, in both shapes:
//!
//! * up to kagent v0.10 (A2A 0.x): objects carry `"kind"` (`task`, `message`,
//!   `status-update`, `artifact-update`), parts are `{"kind":"text","text":…}`, states are
//!   lower-case (`completed`);
//! * after the move to A2A 1.0 (a2a-go v2): no `kind` anywhere, states like
//!   `TASK_STATE_COMPLETED`, roles like `ROLE_AGENT`, parts `{"text":…}`; streamed events are
//!   bare status/artifact updates (`taskId` + `status` / `artifact`) or wrapped
//!   (`{"statusUpdate":{…}}`, `{"artifactUpdate":{…}}`, `{"task":{…}}`, `{"message":{…}}`).
//!
//! The text is in `artifacts[].parts[]` and/or `status.message.parts[]`.

use serde_json::Value;

use super::KagentError;

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
    /// The conversation's `contextId` (what `kagent invoke -s` continues).
    pub context_id: Option<String>,
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

    // A2A 1.0 stream responses wrap the event in a field named after its type.
    if obj.len() == 1 {
        for key in ["task", "message", "statusUpdate", "artifactUpdate"] {
            if let Some(inner) = obj.get(key).filter(|v| v.is_object()) {
                let mut inner = inner.clone();
                let kind = match key {
                    "statusUpdate" => "status-update",
                    "artifactUpdate" => "artifact-update",
                    other => other,
                };
                if let Some(m) = inner.as_object_mut() {
                    m.entry("kind").or_insert_with(|| Value::from(kind));
                }
                return fold(out, &inner);
            }
        }
    }
    if let Some(ctx) = obj.get("contextId").and_then(Value::as_str)
        && !ctx.is_empty()
    {
        out.context_id = Some(ctx.to_owned());
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
    } else if obj.contains_key("status")
        && (obj.contains_key("final") || (obj.contains_key("taskId") && !obj.contains_key("id")))
    {
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
