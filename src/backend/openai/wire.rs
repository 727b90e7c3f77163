//! Tolerant wire types (every field optional: OpenAI-compatible servers omit many) and
//! the server's own words in an error body.

use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::Value;

/// How many characters of a server body an error message may quote.
pub(super) const EXCERPT_CHARS: usize = 200;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct WireResponse {
    pub(super) choices: Option<Vec<WireChoice>>,
    pub(super) model: Option<String>,
    pub(super) error: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct WireChoice {
    pub(super) index: Option<i64>,
    pub(super) delta: Option<WireMessage>,
    pub(super) message: Option<WireMessage>,
    /// Legacy completions shape, which some servers still use.
    pub(super) text: Option<String>,
    pub(super) finish_reason: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct WireMessage {
    pub(super) content: Option<Value>,
    pub(super) refusal: Option<String>,
}

impl WireResponse {
    pub(super) fn first_choice(&self) -> Option<&WireChoice> {
        self.choices
            .as_deref()?
            .iter()
            .find(|c| c.index.unwrap_or(0) == 0)
    }
}

impl WireChoice {
    pub(super) fn finish_reason(&self) -> Option<String> {
        match &self.finish_reason {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        }
    }
}

/// Text of a `content` value: a string, or an array of `{"text": ..}` parts.
pub(super) fn content_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| match p {
                Value::String(s) => Some(s.as_str()),
                _ => p.get("text").and_then(Value::as_str),
            })
            .collect(),
        _ => String::new(),
    }
}

/// The human message inside an `error` value.
pub(super) fn error_value_message(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(o) => match o.get("message") {
            Some(Value::String(m)) => m.clone(),
            _ => excerpt(&v.to_string()),
        },
        other => excerpt(&other.to_string()),
    }
}

/// The server's message in an error body: `{"error":{"message":..}}`,
/// `{"error":".."}`, `{"message":..}`, `{"detail":..}`, else the first
/// 200 characters of the body.
pub(super) fn server_message(body: &str, status: StatusCode) -> String {
    if let Ok(v) = serde_json::from_str::<Value>(body) {
        if let Some(e) = v.get("error").filter(|e| !e.is_null()) {
            return error_value_message(e);
        }
        for k in ["message", "detail"] {
            if let Some(Value::String(m)) = v.get(k) {
                return m.clone();
            }
        }
    }
    let ex = excerpt(body);
    if ex.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("no response body")
            .to_owned()
    } else {
        ex
    }
}

/// First [`EXCERPT_CHARS`] characters, whitespace runs collapsed.
pub(super) fn excerpt(s: &str) -> String {
    let collapsed: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = collapsed.chars().take(EXCERPT_CHARS).collect();
    if collapsed.chars().nth(EXCERPT_CHARS).is_some() {
        out.push('…');
    }
    out
}
