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

mod retry;
mod sse;

pub use retry::human as human_duration;
pub use sse::{SseEvent, SseParser};

use std::fmt;
use std::time::Duration;

use async_openai::types::chat::{
    ChatCompletionRequestAssistantMessage, ChatCompletionRequestMessage,
    ChatCompletionRequestSystemMessage, ChatCompletionRequestUserMessage,
    CreateChatCompletionRequest,
};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};

use retry::{Wait, is_retryable_status, retry_after};
use serde::Deserialize;
use serde_json::Value;
use sse::{ChunkError, Ending, StreamState};

/// How much of a non-2xx response body is read to build an error message.
const ERROR_BODY_LIMIT: usize = 64 * 1024;
/// How many characters of a server body an error message may quote.
const EXCERPT_CHARS: usize = 200;

// ---------------------------------------------------------------------------
// Configuration and public data types
// ---------------------------------------------------------------------------

/// A secret API key. `Debug` and `Display` print `[redacted]`; the value is
/// only readable inside the crate, to build the `Authorization` header.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key. Surrounding whitespace (e.g. a trailing newline from a
    /// file or environment variable) is removed.
    pub fn new(key: impl Into<String>) -> Self {
        let key = key.into();
        let trimmed = key.trim();
        if trimmed.len() == key.len() {
            ApiKey(key)
        } else {
            ApiKey(trimmed.to_owned())
        }
    }

    /// True when the key is empty; an empty key sends no `Authorization`.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for ApiKey {
    fn from(key: String) -> Self {
        ApiKey::new(key)
    }
}

impl From<&str> for ApiKey {
    fn from(key: &str) -> Self {
        ApiKey::new(key)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

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
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        ChatMessage {
            role,
            content: content.into(),
        }
    }
    pub fn system(content: impl Into<String>) -> Self {
        Self::new(Role::System, content)
    }
    pub fn user(content: impl Into<String>) -> Self {
        Self::new(Role::User, content)
    }
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

/// Why a completion failed. Display is the user-facing wording. No variant
/// ever contains the API key or request headers.
#[derive(Debug, thiserror::Error)]
pub enum OpenAiError {
    /// 4xx other than 429: not retried.
    #[error("{url} rejected the request with HTTP {status}: {message}")]
    Rejected {
        status: u16,
        url: String,
        message: String,
        attempts: u32,
    },
    /// 429 or 5xx on the last attempt.
    #[error("{url} answered HTTP {status} ({}): {message}", tries(*.attempts))]
    ServerError {
        status: u16,
        url: String,
        message: String,
        attempts: u32,
    },
    #[error("no complete response from {url} within {timeout:?} ({})", tries(*.attempts))]
    Timeout {
        url: String,
        timeout: Duration,
        attempts: u32,
    },
    /// Connection refused/reset, DNS failure, body cut off, ...
    #[error("could not talk to {url} ({}): {detail}", tries(*.attempts))]
    Connection {
        url: String,
        detail: String,
        attempts: u32,
    },
    /// HTTP 200 but the stream closed without any content and without `[DONE]`.
    #[error("{url} answered HTTP 200 but the stream closed without sending any data")]
    EmptyStream { url: String, attempts: u32 },
    /// An `{"error": {...}}` object inside a 200 response or stream.
    #[error("{url} reported an error: {message}")]
    ServerReported {
        url: String,
        message: String,
        attempts: u32,
    },
    /// The model answered with a refusal instead of content.
    #[error("the model refused to answer: {message}")]
    Refused { message: String, attempts: u32 },
    /// A 200 response that is not valid chat-completions JSON / SSE.
    #[error("could not understand the response from {url}: {detail}")]
    Decode {
        url: String,
        detail: String,
        attempts: u32,
    },
    /// The answer was cut off: it cannot be used, and is never cached or written.
    #[error("the answer from {url} is incomplete: {}; it was discarded ({} received)", .why, crate::backend::process::human_bytes(*.received as u64))]
    Incomplete {
        url: String,
        why: IncompleteWhy,
        received: usize,
        attempts: u32,
    },
    /// The answer grew past `[limits] max_answer_bytes`; reading stopped there.
    #[error("the answer from {url} is larger than {}; reading stopped and nothing was kept (raise [limits] max_answer_bytes in dockhand.toml if the answer is meant to be this big)", crate::backend::process::human_bytes(*.limit))]
    TooLarge {
        url: String,
        limit: u64,
        attempts: u32,
    },
    /// HTTP 429 (or 503) with a `Retry-After` longer than the ceiling.
    #[error("{url} is rate-limiting (HTTP {status}) and asked to retry after {}, longer than the {} ceiling ([openai] max_retry_after_secs); not waiting: {message}", human_duration(*.asked), human_duration(*.ceiling))]
    RateLimited {
        status: u16,
        url: String,
        asked: Duration,
        ceiling: Duration,
        message: String,
        attempts: u32,
    },
    #[error("the API key contains characters that are not allowed in an HTTP header")]
    InvalidApiKey,
    #[error("could not build a request for {url}: {detail}")]
    InvalidRequest { url: String, detail: String },
}

/// Why an answer counts as incomplete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncompleteWhy {
    /// The stream closed with neither `[DONE]` nor a `finish_reason`.
    NoEndMarker,
    /// `finish_reason: length`.
    Length,
    /// The connection broke in the middle of the stream.
    ConnectionLost,
}

impl fmt::Display for IncompleteWhy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IncompleteWhy::NoEndMarker => {
                "the stream ended without `data: [DONE]` or a finish_reason"
            }
            IncompleteWhy::Length => "the model stopped at its token limit (finish_reason: length)",
            IncompleteWhy::ConnectionLost => "the connection was lost in the middle of the stream",
        })
    }
}

fn tries(n: u32) -> String {
    if n == 1 {
        "1 attempt".to_owned()
    } else {
        format!("{n} attempts")
    }
}

impl OpenAiError {
    /// The HTTP status behind the error, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            OpenAiError::Rejected { status, .. }
            | OpenAiError::ServerError { status, .. }
            | OpenAiError::RateLimited { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// HTTP attempts made before giving up (0 if none was sent).
    pub fn attempts(&self) -> u32 {
        match self {
            OpenAiError::Rejected { attempts, .. }
            | OpenAiError::ServerError { attempts, .. }
            | OpenAiError::Timeout { attempts, .. }
            | OpenAiError::Connection { attempts, .. }
            | OpenAiError::EmptyStream { attempts, .. }
            | OpenAiError::ServerReported { attempts, .. }
            | OpenAiError::Refused { attempts, .. }
            | OpenAiError::Decode { attempts, .. }
            | OpenAiError::Incomplete { attempts, .. }
            | OpenAiError::TooLarge { attempts, .. }
            | OpenAiError::RateLimited { attempts, .. } => *attempts,
            OpenAiError::InvalidApiKey | OpenAiError::InvalidRequest { .. } => 0,
        }
    }
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
// Tolerant wire types
// ---------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WireResponse {
    choices: Option<Vec<WireChoice>>,
    model: Option<String>,
    error: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WireChoice {
    index: Option<i64>,
    delta: Option<WireMessage>,
    message: Option<WireMessage>,
    /// Legacy completions shape, which some servers still use.
    text: Option<String>,
    finish_reason: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WireMessage {
    content: Option<Value>,
    refusal: Option<String>,
}

impl WireResponse {
    fn first_choice(&self) -> Option<&WireChoice> {
        self.choices
            .as_deref()?
            .iter()
            .find(|c| c.index.unwrap_or(0) == 0)
    }
}

impl WireChoice {
    fn finish_reason(&self) -> Option<String> {
        match &self.finish_reason {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        }
    }
}

/// Text of a `content` value: a string, or an array of `{"text": ..}` parts.
fn content_text(v: &Value) -> String {
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
fn error_value_message(v: &Value) -> String {
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
fn server_message(body: &str, status: StatusCode) -> String {
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
fn excerpt(s: &str) -> String {
    let collapsed: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = collapsed.chars().take(EXCERPT_CHARS).collect();
    if collapsed.chars().nth(EXCERPT_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// Removes secrets from text that may reach a message: the API key, and the
/// credentials of the base URL (its user and password, secret query values), in case
/// a server or an HTTP library echoes them.
pub(crate) struct Redactor(Vec<String>);

/// Query parameters whose values are credentials.
const SECRET_PARAMS: &[&str] = &[
    "api-key",
    "api_key",
    "apikey",
    "key",
    "token",
    "access_token",
    "auth",
    "password",
    "secret",
    "sig",
    "signature",
    "code",
];

fn is_secret_param(name: &str) -> bool {
    SECRET_PARAMS.iter().any(|p| p.eq_ignore_ascii_case(name))
}

impl Redactor {
    pub(crate) fn new(api_key: Option<&str>, base_url: &str) -> Redactor {
        let mut secrets: Vec<String> = api_key
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
            .into_iter()
            .collect();
        if let Ok(u) = url::Url::parse(base_url) {
            for part in [u.username(), u.password().unwrap_or("")] {
                if !part.is_empty() {
                    secrets.push(part.to_owned());
                }
            }
            for (k, v) in u.query_pairs() {
                if is_secret_param(&k) && !v.is_empty() {
                    secrets.push(v.into_owned());
                }
            }
            if let Some(q) = u.query() {
                for pair in q.split('&') {
                    if let Some((k, v)) = pair.split_once('=')
                        && is_secret_param(k)
                        && !v.is_empty()
                    {
                        secrets.push(v.to_owned());
                    }
                }
            }
        }
        // Longest first, so a secret containing another is replaced whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Redactor(secrets)
    }

    pub(crate) fn apply(&self, mut s: String) -> String {
        for secret in &self.0 {
            if s.contains(secret.as_str()) {
                s = s.replace(secret.as_str(), "[redacted]");
            }
        }
        s
    }
}

/// A URL as shown in messages: user and password replaced by `REDACTED`, and the values
/// of secret query parameters (`api-key`, `key`, `token`, ...) too. Not a URL at all:
/// shown as it is, up to its first `@` or `?`.
pub fn redact_url(raw: &str) -> String {
    let Ok(mut u) = url::Url::parse(raw) else {
        return raw.split(['@', '?']).next().unwrap_or("").to_owned();
    };
    if !u.username().is_empty() || u.password().is_some() {
        let _ = u.set_password(None);
        let _ = u.set_username("REDACTED");
    }
    if u.query().is_some() {
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let v = if is_secret_param(&k) {
                    "REDACTED".to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    u.to_string()
}

/// `reqwest` error with its source chain, e.g. "error sending request for
/// url (...): client error (Connect): tcp connect error: Connection refused".
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(cause) = src {
        let c = cause.to_string();
        if !s.contains(&c) {
            s.push_str(": ");
            s.push_str(&c);
        }
        src = cause.source();
    }
    s
}

// ---------------------------------------------------------------------------
// The request loop
// ---------------------------------------------------------------------------

// Private and short-lived: its size does not matter next to a network round trip.
#[allow(clippy::large_enum_variant)]
enum Failure {
    /// Worth another attempt (if no text was handed out yet).
    Retry {
        reason: String,
        retry_after: Option<Duration>,
        error: OpenAiError,
    },
    Fatal(OpenAiError),
}

struct Attempt<'a> {
    http: &'a reqwest::Client,
    cfg: &'a OpenAiConfig,
    /// The endpoint as sent (may hold credentials).
    endpoint: &'a str,
    /// The endpoint as shown (credentials redacted).
    shown: &'a str,
    body: &'a [u8],
    number: u32,
    redact: &'a Redactor,
}

/// Sends `messages` to `{base_url}/chat/completions` and returns the answer.
///
/// Retries 429, any 5xx, connection failures and timeouts up to
/// `cfg.max_retries` times with capped exponential backoff, or after exactly
/// the `Retry-After` the server sent when it is within
/// `cfg.retry_after_ceiling` (a longer one fails at once with
/// [`OpenAiError::RateLimited`]); each retry is announced with
/// [`Event::Retrying`] before sleeping. Once any [`Event::Delta`] has been
/// delivered there are no more retries (the caller may have shown the text):
/// a stream cut off after that fails with [`OpenAiError::Incomplete`].
/// Other 4xx, error objects, refusals and undecodable answers fail at once.
pub async fn complete(
    http: &reqwest::Client,
    cfg: &OpenAiConfig,
    messages: &[ChatMessage],
    on_event: &mut (dyn FnMut(Event) + Send),
) -> Result<Completion, OpenAiError> {
    let endpoint = cfg.endpoint();
    let shown = cfg.shown_endpoint();
    let body = serde_json::to_vec(&request_body(cfg, messages)).map_err(|e| {
        OpenAiError::InvalidRequest {
            url: shown.clone(),
            detail: e.to_string(),
        }
    })?;
    let key = cfg.api_key.as_ref().map(ApiKey::expose);
    let redact = Redactor::new(key, &cfg.base_url);
    let max_attempts = cfg.max_retries.saturating_add(1);
    let mut number = 0;
    loop {
        number += 1;
        let attempt = Attempt {
            http,
            cfg,
            endpoint: &endpoint,
            shown: &shown,
            body: &body,
            number,
            redact: &redact,
        };
        let mut emitted = false;
        let result = if cfg.request_timeout.is_zero() {
            attempt.run(on_event, &mut emitted).await
        } else {
            match tokio::time::timeout(cfg.request_timeout, attempt.run(on_event, &mut emitted))
                .await
            {
                Ok(r) => r,
                Err(_) => Err(Failure::Retry {
                    reason: format!(
                        "no complete response within {}",
                        human_duration(cfg.request_timeout)
                    ),
                    retry_after: None,
                    error: OpenAiError::Timeout {
                        url: shown.clone(),
                        timeout: cfg.request_timeout,
                        attempts: number,
                    },
                }),
            }
        };
        match result {
            Ok(completion) => return Ok(completion),
            Err(Failure::Fatal(e)) => return Err(e),
            Err(Failure::Retry { error, .. }) if emitted || number >= max_attempts => {
                return Err(error);
            }
            Err(Failure::Retry {
                reason,
                retry_after,
                error,
            }) => {
                let wait = match retry::wait(cfg, number, retry_after) {
                    Wait::For(w) => w,
                    Wait::TooLong { asked } => {
                        let (status, message) = match error {
                            OpenAiError::ServerError {
                                status, message, ..
                            } => (status, message),
                            other => (0, other.to_string()),
                        };
                        return Err(OpenAiError::RateLimited {
                            status,
                            url: shown.clone(),
                            asked,
                            ceiling: cfg.retry_after_ceiling,
                            message,
                            attempts: number,
                        });
                    }
                };
                on_event(Event::Retrying {
                    attempt: number,
                    wait,
                    reason: redact.apply(reason),
                });
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// Read at most this many raw bytes for an answer whose text may be `limit` bytes
/// (room for the JSON or SSE envelope around it).
fn raw_limit(limit: u64) -> usize {
    usize::try_from(limit.saturating_mul(2).saturating_add(64 * 1024)).unwrap_or(usize::MAX)
}

#[allow(clippy::result_large_err)] // see `Failure`
impl Attempt<'_> {
    fn url(&self) -> String {
        self.shown.to_owned()
    }

    fn connection_failure(&self, e: &reqwest::Error) -> Failure {
        let detail = self.redact.apply(error_chain(e));
        if e.is_builder() {
            return Failure::Fatal(OpenAiError::InvalidRequest {
                url: self.url(),
                detail,
            });
        }
        let error = if e.is_timeout() {
            OpenAiError::Timeout {
                url: self.url(),
                timeout: self.cfg.request_timeout,
                attempts: self.number,
            }
        } else {
            OpenAiError::Connection {
                url: self.url(),
                detail: detail.clone(),
                attempts: self.number,
            }
        };
        Failure::Retry {
            reason: detail,
            retry_after: None,
            error,
        }
    }

    fn decode(&self, detail: impl Into<String>) -> Failure {
        Failure::Fatal(OpenAiError::Decode {
            url: self.url(),
            detail: self.redact.apply(detail.into()),
            attempts: self.number,
        })
    }

    fn too_large(&self) -> Failure {
        Failure::Fatal(OpenAiError::TooLarge {
            url: self.url(),
            limit: self.cfg.max_answer_bytes,
            attempts: self.number,
        })
    }

    /// Cut off: worth another attempt while nothing was shown, else a clear failure.
    fn incomplete(&self, why: IncompleteWhy, received: usize) -> Failure {
        Failure::Retry {
            reason: why.to_string(),
            retry_after: None,
            error: OpenAiError::Incomplete {
                url: self.url(),
                why,
                received,
                attempts: self.number,
            },
        }
    }

    async fn run(
        &self,
        on_event: &mut (dyn FnMut(Event) + Send),
        emitted: &mut bool,
    ) -> Result<Completion, Failure> {
        let accept = if self.cfg.stream {
            "text/event-stream, application/json"
        } else {
            "application/json"
        };
        let mut req = self
            .http
            .post(self.endpoint)
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, accept)
            .body(self.body.to_vec());
        if let Some(key) = self.cfg.api_key.as_ref().filter(|k| !k.is_empty()) {
            let mut value = HeaderValue::from_str(&format!("Bearer {}", key.expose()))
                .map_err(|_| Failure::Fatal(OpenAiError::InvalidApiKey))?;
            value.set_sensitive(true);
            req = req.header(AUTHORIZATION, value);
        }
        let mut resp = req.send().await.map_err(|e| self.connection_failure(&e))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(self.status_failure(resp).await);
        }

        // Sniff the body: a JSON object means a non-streamed answer whatever
        // the Content-Type says; anything else is read as SSE.
        let mut prefix = Vec::new();
        let first = loop {
            match resp
                .chunk()
                .await
                .map_err(|e| self.connection_failure(&e))?
            {
                Some(chunk) => {
                    prefix.extend_from_slice(&chunk);
                    if let Some(b) = prefix.iter().find(|b| !b.is_ascii_whitespace()) {
                        break Some(*b);
                    }
                    if prefix.len() > raw_limit(self.cfg.max_answer_bytes) {
                        return Err(self.too_large());
                    }
                }
                None => break None,
            }
        };
        match first {
            None if self.cfg.stream || is_event_stream(resp.headers()) => {
                Err(Failure::Fatal(OpenAiError::EmptyStream {
                    url: self.url(),
                    attempts: self.number,
                }))
            }
            None => Err(self.decode("empty response body")),
            Some(b'{') => {
                while let Some(chunk) = resp
                    .chunk()
                    .await
                    .map_err(|e| self.connection_failure(&e))?
                {
                    prefix.extend_from_slice(&chunk);
                    if prefix.len() > raw_limit(self.cfg.max_answer_bytes) {
                        return Err(self.too_large());
                    }
                }
                let completion = self.parse_json(&prefix)?;
                if completion.text.len() as u64 > self.cfg.max_answer_bytes {
                    return Err(self.too_large());
                }
                if completion.finish_reason.as_deref() == Some("length") {
                    return Err(self.incomplete(IncompleteWhy::Length, completion.text.len()));
                }
                if !completion.text.is_empty() {
                    *emitted = true;
                    on_event(Event::Delta(completion.text.clone()));
                }
                Ok(completion)
            }
            Some(_) => self.read_stream(resp, prefix, on_event, emitted).await,
        }
    }

    async fn status_failure(&self, mut resp: reqwest::Response) -> Failure {
        let status = resp.status();
        let retry_after = retry_after(resp.headers());
        let mut raw = Vec::new();
        // Best effort: an error page cut short still yields a message.
        while raw.len() < ERROR_BODY_LIMIT {
            match resp.chunk().await {
                Ok(Some(chunk)) => raw.extend_from_slice(&chunk),
                _ => break,
            }
        }
        raw.truncate(ERROR_BODY_LIMIT);
        let message = self
            .redact
            .apply(server_message(&String::from_utf8_lossy(&raw), status));
        let code = status.as_u16();
        if is_retryable_status(status) {
            Failure::Retry {
                reason: format!("HTTP {code}: {message}"),
                retry_after,
                error: OpenAiError::ServerError {
                    status: code,
                    url: self.url(),
                    message,
                    attempts: self.number,
                },
            }
        } else {
            Failure::Fatal(OpenAiError::Rejected {
                status: code,
                url: self.url(),
                message,
                attempts: self.number,
            })
        }
    }

    fn parse_json(&self, raw: &[u8]) -> Result<Completion, Failure> {
        let wire: WireResponse = serde_json::from_slice(raw).map_err(|e| {
            self.decode(format!(
                "{e}; body starts with: {}",
                excerpt(&String::from_utf8_lossy(raw))
            ))
        })?;
        if let Some(err) = wire.error.as_ref() {
            return Err(self.reported(err));
        }
        let Some(choice) = wire.first_choice() else {
            return Err(self.decode("the response has no choices"));
        };
        let msg = choice.message.as_ref().or(choice.delta.as_ref());
        let text = msg
            .and_then(|m| m.content.as_ref())
            .map(content_text)
            .or_else(|| choice.text.clone())
            .unwrap_or_default();
        if text.is_empty()
            && let Some(refusal) = msg
                .and_then(|m| m.refusal.clone())
                .filter(|r| !r.is_empty())
        {
            return Err(self.refused(refusal));
        }
        Ok(Completion {
            text,
            finish_reason: choice.finish_reason(),
            model: wire.model.clone().filter(|m| !m.is_empty()),
            attempts: self.number,
        })
    }

    fn reported(&self, err: &Value) -> Failure {
        Failure::Fatal(OpenAiError::ServerReported {
            url: self.url(),
            message: self.redact.apply(error_value_message(err)),
            attempts: self.number,
        })
    }

    fn refused(&self, message: String) -> Failure {
        Failure::Fatal(OpenAiError::Refused {
            message: self.redact.apply(message),
            attempts: self.number,
        })
    }

    fn chunk_failure(&self, e: ChunkError) -> Failure {
        match e {
            ChunkError::Decode(d) => self.decode(d),
            ChunkError::Reported(v) => self.reported(&v),
        }
    }

    /// Fold events in; hand each new piece of text out. True once `[DONE]` arrived.
    fn take(
        &self,
        st: &mut StreamState,
        events: Vec<SseEvent>,
        on_event: &mut (dyn FnMut(Event) + Send),
        emitted: &mut bool,
    ) -> Result<bool, Failure> {
        for ev in events {
            let pieces = st.handle(&ev.data).map_err(|e| self.chunk_failure(e))?;
            if st.text.len() as u64 > self.cfg.max_answer_bytes {
                return Err(self.too_large());
            }
            for piece in pieces {
                *emitted = true;
                on_event(Event::Delta(piece));
            }
            if st.done {
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn read_stream(
        &self,
        mut resp: reqwest::Response,
        prefix: Vec<u8>,
        on_event: &mut (dyn FnMut(Event) + Send),
        emitted: &mut bool,
    ) -> Result<Completion, Failure> {
        let mut parser = SseParser::new();
        let mut st = StreamState::default();
        let mut done = self.take(&mut st, parser.feed(&prefix), on_event, emitted)?;
        while !done {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    let events = parser.feed(&chunk);
                    if parser.pending() > raw_limit(self.cfg.max_answer_bytes) {
                        return Err(self.too_large());
                    }
                    done = self.take(&mut st, events, on_event, emitted)?;
                }
                Ok(None) => {
                    self.take(&mut st, parser.finish(), on_event, emitted)?;
                    break;
                }
                // Reset in the middle of an answer: that answer is cut off.
                Err(_) if !st.text.is_empty() => {
                    return Err(self.incomplete(IncompleteWhy::ConnectionLost, st.text.len()));
                }
                Err(e) => return Err(self.connection_failure(&e)),
            }
        }
        if st.text.is_empty() && !st.refusal.is_empty() {
            return Err(self.refused(st.refusal));
        }
        match st.ending() {
            Ending::Complete => Ok(Completion {
                text: st.text,
                model: st.model,
                finish_reason: st.finish_reason,
                attempts: self.number,
            }),
            Ending::Empty => Err(Failure::Fatal(OpenAiError::EmptyStream {
                url: self.url(),
                attempts: self.number,
            })),
            Ending::NoEndMarker => Err(self.incomplete(IncompleteWhy::NoEndMarker, st.text.len())),
            Ending::Length => Err(self.incomplete(IncompleteWhy::Length, st.text.len())),
        }
    }
}

fn is_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("event-stream"))
}

// ---------------------------------------------------------------------------
// Unit tests (pure parts)
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
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

#[cfg(test)]
mod redaction_tests {
    use super::*;

    #[test]
    fn credentials_in_the_base_url_are_redacted() {
        assert_eq!(
            redact_url("https://alice:s3cret@llm.example/v1/chat/completions"),
            "https://REDACTED@llm.example/v1/chat/completions"
        );
        assert_eq!(
            redact_url("https://llm.example/v1?api-version=2024-01&api-key=abc123"),
            "https://llm.example/v1?api-version=2024-01&api-key=REDACTED"
        );
        assert_eq!(
            redact_url("http://127.0.0.1:8080/v1"),
            "http://127.0.0.1:8080/v1"
        );
        assert_eq!(redact_url("not a url user:pw@x"), "not a url user:pw");
        let r = Redactor::new(
            Some("sk-live-1"),
            "https://alice:s3cret@llm.example/v1?api-key=abc123",
        );
        assert_eq!(
            r.apply("GET https://alice:s3cret@llm.example/v1?api-key=abc123 with sk-live-1".into()),
            "GET https://[redacted]:[redacted]@llm.example/v1?api-key=[redacted] with [redacted]"
        );
    }
}
