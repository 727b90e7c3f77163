//! OpenAI-compatible chat-completions backend.
//!
//! The request body is built with `async-openai`'s chat types
//! ([`CreateChatCompletionRequest`] and the `ChatCompletionRequest*Message`
//! types), so its shape follows the published schema. We deliberately do
//! **not** use `async-openai`'s own client:
//!
//! * its streaming types require fields that many OpenAI-compatible servers
//!   omit (`created`, `index`, `object`, ...), so a perfectly usable stream
//!   from e.g. a local inference server fails to deserialize;
//! * it does not honour `Retry-After`.
//!
//! Instead the body is sent with `reqwest`, server-sent events are split by
//! our own [`SseParser`] (in `sse`), and responses are decoded with tolerant
//! private serde types in which every field is optional. When to retry and how
//! long to wait lives in `retry`.
//!
//! Only whole answers are returned: a stream that closes without `[DONE]` or a
//! `finish_reason`, or that stops at `finish_reason: length`, is
//! [`OpenAiError::Incomplete`]; an answer over `max_answer_bytes` is
//! [`OpenAiError::TooLarge`] and is not read further. Credentials in the base
//! URL (`user:pass@`, an `api-key` in the query) never appear in a message.
//!
//! This module never prints. Progress (retries, streamed text) is reported
//! through the `on_event` callback of [`complete`].

mod error;
mod redact;
mod request;
mod retry;
mod sse;
mod wire;

pub use error::{IncompleteWhy, OpenAiError};
pub(crate) use redact::Redactor;
pub use redact::redact_url;
pub use request::complete;
pub use retry::human as human_duration;

use std::time::Duration;

use async_openai::types::chat::{
    ChatCompletionRequestAssistantMessage, ChatCompletionRequestMessage,
    ChatCompletionRequestSystemMessage, ChatCompletionRequestUserMessage,
    CreateChatCompletionRequest,
};

use serde_json::Value;

// ---------------------------------------------------------------------------
// Configuration and public data types
// ---------------------------------------------------------------------------

pub use crate::settings::ApiKey;

/// Where and how to talk to an OpenAI-compatible server.
#[derive(Debug, Clone)]
pub struct OpenAiConfig {
    /// API root, e.g. `https://api.openai.com/v1` or
    /// `http://127.0.0.1:8080/v1`; `/chat/completions` is appended.
    pub base_url: String,
    /// Sent as `Authorization: Bearer ...` when present and non-empty.
    pub api_key: Option<ApiKey>,
    pub model: String,
    /// Limit for one attempt: connect, headers and the full body (the whole
    /// stream when streaming). `Duration::ZERO` disables the limit.
    pub request_timeout: Duration,
    /// Retries after the first attempt (so `max_retries + 1` attempts).
    pub max_retries: u32,
    /// Wait before retry `n` (1-based) is `backoff_base * 2^(n-1)` ...
    pub backoff_base: Duration,
    /// ... capped at `backoff_cap`.
    pub backoff_cap: Duration,
    /// The longest `Retry-After` honoured; a server asking for more is not waited for.
    pub retry_after_ceiling: Duration,
    /// The largest answer accepted; reading stops there.
    pub max_answer_bytes: u64,
    pub stream: bool,
    pub temperature: Option<f32>,
}

impl OpenAiConfig {
    /// A config with defaults: no key, 300 s timeout, 3 retries, backoff
    /// 1 s doubling up to 30 s, streaming on, server-default temperature.
    #[cfg(test)]
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        OpenAiConfig {
            base_url: base_url.into(),
            api_key: None,
            model: model.into(),
            request_timeout: Duration::from_secs(300),
            max_retries: 3,
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(30),
            retry_after_ceiling: Duration::from_secs(60),
            max_answer_bytes: 1024 * 1024,
            stream: true,
            temperature: None,
        }
    }

    /// The full endpoint URL: `{base_url}/chat/completions`, keeping a query the base
    /// URL has (`?api-version=...`).
    pub fn endpoint(&self) -> String {
        match url::Url::parse(&self.base_url) {
            Ok(mut u) if !u.cannot_be_a_base() => {
                let path = format!("{}/chat/completions", u.path().trim_end_matches('/'));
                u.set_path(&path);
                u.to_string()
            }
            _ => format!("{}/chat/completions", self.base_url.trim_end_matches('/')),
        }
    }

    /// The endpoint as shown in messages: credentials in it redacted.
    pub fn shown_endpoint(&self) -> String {
        redact_url(&self.endpoint())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    System,
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
}

impl ChatMessage {
    #[cfg(test)]
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        ChatMessage {
            role,
            content: content.into(),
        }
    }
    #[cfg(test)]
    pub fn system(content: impl Into<String>) -> Self {
        Self::new(Role::System, content)
    }
    #[cfg(test)]
    pub fn user(content: impl Into<String>) -> Self {
        Self::new(Role::User, content)
    }
    #[cfg(test)]
    pub fn assistant(content: impl Into<String>) -> Self {
        Self::new(Role::Assistant, content)
    }
}

/// Progress reported by [`complete`] while it works.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Attempt number `attempt` (1-based; equivalently this is retry number
    /// `attempt`) failed for `reason`; the next attempt starts after `wait`.
    Retrying {
        attempt: u32,
        wait: Duration,
        reason: String,
    },
    /// A piece of the answer. The deltas of a successful call concatenate to
    /// [`Completion::text`]; a non-streamed answer arrives as one delta.
    Delta(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub text: String,
    /// The model name as reported by the server, if it reported one.
    pub model: Option<String>,
    /// As reported by the server (`stop`, `length`, ...). `None` when the
    /// server reported none, e.g. a stream that closed without `[DONE]`
    /// and without a final chunk.
    pub finish_reason: Option<String>,
    /// Number of HTTP attempts made, including the successful one.
    pub attempts: u32,
}

// ---------------------------------------------------------------------------
// Request body
// ---------------------------------------------------------------------------

/// The JSON body POSTed to `/chat/completions` (pure; no I/O).
pub fn request_body(cfg: &OpenAiConfig, messages: &[ChatMessage]) -> Value {
    let messages = messages
        .iter()
        .map(|m| match m.role {
            Role::System => {
                ChatCompletionRequestMessage::System(ChatCompletionRequestSystemMessage {
                    content: m.content.clone().into(),
                    name: None,
                })
            }
            Role::User => ChatCompletionRequestMessage::User(ChatCompletionRequestUserMessage {
                content: m.content.clone().into(),
                name: None,
            }),
            Role::Assistant => {
                ChatCompletionRequestMessage::Assistant(ChatCompletionRequestAssistantMessage {
                    content: Some(m.content.clone().into()),
                    ..Default::default()
                })
            }
        })
        .collect();
    let request = CreateChatCompletionRequest {
        model: cfg.model.clone(),
        messages,
        stream: cfg.stream.then_some(true),
        temperature: cfg.temperature,
        ..Default::default()
    };
    let mut body =
        serde_json::to_value(&request).unwrap_or_else(|_| Value::Object(Default::default()));
    // f32 -> JSON goes through f64 and would print 0.2 as 0.20000000298023224.
    if let (Some(t), Some(obj)) = (cfg.temperature, body.as_object_mut())
        && let Some(n) = t
            .to_string()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
    {
        obj.insert("temperature".to_owned(), Value::Number(n));
    }
    body
}

// ---------------------------------------------------------------------------
// Unit tests (pure parts)
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::wire::{EXCERPT_CHARS, content_text, server_message};
    use super::*;
    use reqwest::StatusCode;
    use serde_json::Value;
    #[test]
    fn request_body_shape() {
        let mut cfg = OpenAiConfig::new("http://x/v1/", "m1");
        cfg.temperature = Some(0.2);
        let body = request_body(
            &cfg,
            &[
                ChatMessage::system("sys"),
                ChatMessage::user("hi"),
                ChatMessage::assistant("yo"),
            ],
        );
        assert_eq!(
            body,
            serde_json::json!({
                "messages": [
                    {"role": "system", "content": "sys"},
                    {"role": "user", "content": "hi"},
                    {"role": "assistant", "content": "yo"}
                ],
                "model": "m1",
                "stream": true,
                "temperature": 0.2
            })
        );
        cfg.stream = false;
        cfg.temperature = None;
        let body = request_body(&cfg, &[ChatMessage::user("hi")]);
        assert!(body.get("stream").is_none());
        assert!(body.get("temperature").is_none());
        assert_eq!(cfg.endpoint(), "http://x/v1/chat/completions");
    }

    #[test]
    fn api_key_is_redacted() {
        let k = ApiKey::new(" sk-secret-123\n");
        assert_eq!(k.expose(), "sk-secret-123");
        assert_eq!(format!("{k} {k:?}"), "[redacted] [redacted]");
        let mut cfg = OpenAiConfig::new("http://x/v1", "m");
        cfg.api_key = Some(k);
        assert!(!format!("{cfg:?}").contains("sk-secret"));
        assert_eq!(
            Redactor::new(Some("sk-secret-123"), "http://x/v1")
                .apply("bad key sk-secret-123".into()),
            "bad key [redacted]"
        );
    }

    #[test]
    fn server_messages() {
        let s = StatusCode::BAD_REQUEST;
        assert_eq!(
            server_message(r#"{"error":{"message":"bad model","type":"x"}}"#, s),
            "bad model"
        );
        assert_eq!(server_message(r#"{"error":"nope"}"#, s), "nope");
        assert_eq!(server_message(r#"{"detail":"Not Found"}"#, s), "Not Found");
        assert_eq!(
            server_message("  <html>\n oops </html>", s),
            "<html> oops </html>"
        );
        assert_eq!(
            server_message("", StatusCode::TOO_MANY_REQUESTS),
            "Too Many Requests"
        );
        let long = "x".repeat(500);
        assert_eq!(server_message(&long, s).chars().count(), EXCERPT_CHARS + 1);
    }

    #[test]
    fn content_shapes() {
        assert_eq!(content_text(&serde_json::json!("a")), "a");
        assert_eq!(
            content_text(
                &serde_json::json!([{"type":"text","text":"a"},{"type":"text","text":"b"}])
            ),
            "ab"
        );
        assert_eq!(content_text(&Value::Null), "");
    }

    #[test]
    fn error_display_wording() {
        let e = OpenAiError::ServerError {
            status: 529,
            url: "http://h/v1/chat/completions".into(),
            message: "overloaded".into(),
            attempts: 3,
        };
        assert_eq!(
            e.to_string(),
            "http://h/v1/chat/completions answered HTTP 529 (3 attempts): overloaded"
        );
        assert_eq!(e.status(), Some(529));
        assert_eq!(e.attempts(), 3);
        let t = OpenAiError::Timeout {
            url: "u".into(),
            timeout: Duration::from_millis(200),
            attempts: 1,
        };
        assert_eq!(
            t.to_string(),
            "no complete response from u within 200ms (1 attempt)"
        );
    }
}
