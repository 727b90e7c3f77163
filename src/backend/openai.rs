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
//! our own [`SseParser`], and responses are decoded with tolerant private
//! serde types in which every field is optional.
//!
//! This module never prints. Progress (retries, streamed text) is reported
//! through the `on_event` callback of [`complete`].

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_openai::types::chat::{
    ChatCompletionRequestAssistantMessage, ChatCompletionRequestMessage,
    ChatCompletionRequestSystemMessage, ChatCompletionRequestUserMessage,
    CreateChatCompletionRequest,
};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use serde::Deserialize;
use serde_json::Value;

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
    /// ... capped at `backoff_cap`, which also caps `Retry-After`.
    pub backoff_cap: Duration,
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
            stream: true,
            temperature: None,
        }
    }

    /// The full endpoint URL: `{base_url}/chat/completions`.
    pub fn endpoint(&self) -> String {
        format!("{}/chat/completions", self.base_url.trim_end_matches('/'))
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
    #[error("the API key contains characters that are not allowed in an HTTP header")]
    InvalidApiKey,
    #[error("could not build a request for {url}: {detail}")]
    InvalidRequest { url: String, detail: String },
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
            OpenAiError::Rejected { status, .. } | OpenAiError::ServerError { status, .. } => {
                Some(*status)
            }
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
            | OpenAiError::Decode { attempts, .. } => *attempts,
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
// Server-sent events
// ---------------------------------------------------------------------------

/// One dispatched server-sent event. Only the `data` field matters for chat
/// completions; `event:`, `id:` and `retry:` are ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `data:` lines of the event joined with `\n`.
    pub data: String,
}

/// Incremental, pure `text/event-stream` parser.
///
/// Feed it bytes as they arrive (chunks may split lines, even UTF-8
/// sequences); it returns the events completed by each chunk. Accepts `\n`,
/// `\r\n` and `\r` line ends, `data:` with or without the space, multi-line
/// data, `:` comment lines (keep-alive pings) and a leading BOM.
#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    data: String,
    has_data: bool,
    /// The previous byte was `\r`, so a following `\n` belongs to it.
    after_cr: bool,
    started: bool,
}

impl SseParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses `bytes` and returns every event they complete.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        let mut out = Vec::new();
        for &b in bytes {
            if self.after_cr {
                self.after_cr = false;
                if b == b'\n' {
                    continue;
                }
            }
            match b {
                b'\n' => self.end_line(&mut out),
                b'\r' => {
                    self.after_cr = true;
                    self.end_line(&mut out);
                }
                _ => self.line.push(b),
            }
        }
        out
    }

    /// Call at end of input: treats an unterminated last line and a last
    /// event lacking its blank line as complete (lenient towards servers that
    /// close right after `data: [DONE]`).
    pub fn finish(&mut self) -> Vec<SseEvent> {
        let mut out = Vec::new();
        if !self.line.is_empty() {
            self.end_line(&mut out);
        }
        self.dispatch(&mut out);
        self.after_cr = false;
        out
    }

    fn end_line(&mut self, out: &mut Vec<SseEvent>) {
        let raw = std::mem::take(&mut self.line);
        let mut line: &[u8] = &raw;
        if !self.started {
            self.started = true;
            line = line.strip_prefix("\u{feff}".as_bytes()).unwrap_or(line);
        }
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if line[0] == b':' {
            return; // comment / keep-alive
        }
        let (field, value) = match line.iter().position(|&c| c == b':') {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(b" ").unwrap_or(v))
            }
            None => (line, &b""[..]),
        };
        if field == b"data" {
            if self.has_data {
                self.data.push('\n');
            }
            self.data.push_str(&String::from_utf8_lossy(value));
            self.has_data = true;
        }
        // event:, id:, retry: and unknown fields are ignored.
    }

    fn dispatch(&mut self, out: &mut Vec<SseEvent>) {
        if self.has_data {
            self.has_data = false;
            out.push(SseEvent {
                data: std::mem::take(&mut self.data),
            });
        }
    }
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

// ---------------------------------------------------------------------------
// Retry helpers
// ---------------------------------------------------------------------------

fn backoff(cfg: &OpenAiConfig, failed_attempt: u32) -> Duration {
    let exp = failed_attempt.saturating_sub(1).min(30);
    cfg.backoff_base
        .checked_mul(1u32 << exp)
        .unwrap_or(cfg.backoff_cap)
        .min(cfg.backoff_cap)
}

/// `Retry-After` as delay-seconds (integer or decimal) or an IMF-fixdate
/// HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`); a past date means zero.
fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(1e9)));
    }
    let target = parse_http_date(value)?;
    let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(target.saturating_sub(now)))
}

/// Unix seconds of an IMF-fixdate.
fn parse_http_date(s: &str) -> Option<u64> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let [_, day, month, year, time, zone] = parts.as_slice() else {
        return None;
    };
    if !zone.eq_ignore_ascii_case("GMT") && *zone != "UTC" {
        return None;
    }
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let month = MONTHS.iter().position(|m| month.eq_ignore_ascii_case(m))? as i64 + 1;
    let day: i64 = day.parse().ok()?;
    let year: i64 = year.parse().ok()?;
    let mut hms = time.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, sec) = (hms.next()??, hms.next()??, hms.next()??);
    if !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    // Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + h * 3600 + m * 60 + sec).ok()
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    if let Some(ms) = headers
        .get("retry-after-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|ms| ms.is_finite() && *ms >= 0.0)
    {
        return Some(Duration::from_secs_f64(ms.min(1e12) / 1000.0));
    }
    parse_retry_after(
        headers.get("retry-after")?.to_str().ok()?,
        SystemTime::now(),
    )
}

fn is_retryable_status(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

/// Removes the API key from server-supplied text, in case a server echoes it.
struct Redactor<'a>(Option<&'a str>);

impl Redactor<'_> {
    fn apply(&self, s: String) -> String {
        match self.0 {
            Some(key) if !key.is_empty() && s.contains(key) => s.replace(key, "[redacted]"),
            _ => s,
        }
    }
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
    url: &'a str,
    body: &'a [u8],
    number: u32,
    redact: &'a Redactor<'a>,
}

/// Sends `messages` to `{base_url}/chat/completions` and returns the answer.
///
/// Retries 429, any 5xx, connection failures and timeouts up to
/// `cfg.max_retries` times with capped exponential backoff, honouring
/// `Retry-After` (capped at `backoff_cap`); each retry is announced with
/// [`Event::Retrying`] before sleeping. Once any [`Event::Delta`] has been
/// delivered there are no more retries (the caller may have shown the text).
/// Other 4xx, error objects, refusals and undecodable answers fail at once.
pub async fn complete(
    http: &reqwest::Client,
    cfg: &OpenAiConfig,
    messages: &[ChatMessage],
    on_event: &mut (dyn FnMut(Event) + Send),
) -> Result<Completion, OpenAiError> {
    let url = cfg.endpoint();
    let body = serde_json::to_vec(&request_body(cfg, messages)).map_err(|e| {
        OpenAiError::InvalidRequest {
            url: url.clone(),
            detail: e.to_string(),
        }
    })?;
    let key = cfg.api_key.as_ref().map(ApiKey::expose);
    let redact = Redactor(key);
    let max_attempts = cfg.max_retries.saturating_add(1);
    let mut number = 0;
    loop {
        number += 1;
        let attempt = Attempt {
            http,
            cfg,
            url: &url,
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
                    reason: format!("no complete response within {:?}", cfg.request_timeout),
                    retry_after: None,
                    error: OpenAiError::Timeout {
                        url: url.clone(),
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
                ..
            }) => {
                let wait = match retry_after {
                    Some(ra) => ra.min(cfg.backoff_cap),
                    None => backoff(cfg, number),
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

impl Attempt<'_> {
    fn url(&self) -> String {
        self.url.to_owned()
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
            .post(self.url)
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
                }
                let completion = self.parse_json(&prefix)?;
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

    async fn read_stream(
        &self,
        mut resp: reqwest::Response,
        prefix: Vec<u8>,
        on_event: &mut (dyn FnMut(Event) + Send),
        emitted: &mut bool,
    ) -> Result<Completion, Failure> {
        let mut parser = SseParser::new();
        let mut st = StreamState::default();
        let mut events = parser.feed(&prefix);
        loop {
            for ev in events.drain(..) {
                st.handle(self, &ev.data, on_event, emitted)?;
                if st.done {
                    break;
                }
            }
            if st.done {
                break;
            }
            match resp.chunk().await {
                Ok(Some(chunk)) => events = parser.feed(&chunk),
                Ok(None) => {
                    for ev in parser.finish() {
                        st.handle(self, &ev.data, on_event, emitted)?;
                        if st.done {
                            break;
                        }
                    }
                    break;
                }
                Err(e) => return Err(self.connection_failure(&e)),
            }
        }
        if !st.done && st.text.is_empty() && st.refusal.is_empty() {
            return Err(Failure::Fatal(OpenAiError::EmptyStream {
                url: self.url(),
                attempts: self.number,
            }));
        }
        if st.text.is_empty() && !st.refusal.is_empty() {
            return Err(self.refused(st.refusal));
        }
        Ok(Completion {
            text: st.text,
            model: st.model,
            finish_reason: st.finish_reason,
            attempts: self.number,
        })
    }
}

fn is_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("event-stream"))
}

#[derive(Default)]
struct StreamState {
    text: String,
    refusal: String,
    model: Option<String>,
    finish_reason: Option<String>,
    done: bool,
}

impl StreamState {
    fn handle(
        &mut self,
        at: &Attempt<'_>,
        data: &str,
        on_event: &mut (dyn FnMut(Event) + Send),
        emitted: &mut bool,
    ) -> Result<(), Failure> {
        let trimmed = data.trim();
        if trimmed.is_empty() {
            return Ok(());
        }
        if trimmed == "[DONE]" {
            self.done = true;
            return Ok(());
        }
        // Normally one JSON object per event; tolerate servers that put
        // several `data:` lines in one event, one object per line.
        let chunks: Vec<WireResponse> = match serde_json::from_str(trimmed) {
            Ok(c) => vec![c],
            Err(e) => {
                let per_line: Result<Vec<WireResponse>, _> = trimmed
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && *l != "[DONE]")
                    .map(serde_json::from_str)
                    .collect();
                match per_line {
                    Ok(v) if trimmed.contains('\n') => {
                        if trimmed.lines().any(|l| l.trim() == "[DONE]") {
                            self.done = true;
                        }
                        v
                    }
                    _ => {
                        return Err(
                            at.decode(format!("bad stream chunk ({e}): {}", excerpt(trimmed)))
                        );
                    }
                }
            }
        };
        for chunk in chunks {
            if let Some(err) = chunk.error.as_ref() {
                return Err(at.reported(err));
            }
            if self.model.is_none() {
                self.model = chunk.model.clone().filter(|m| !m.is_empty());
            }
            let Some(choice) = chunk.first_choice() else {
                continue;
            };
            if let Some(reason) = choice.finish_reason() {
                self.finish_reason = Some(reason);
            }
            let msg = choice.delta.as_ref().or(choice.message.as_ref());
            let piece = msg
                .and_then(|m| m.content.as_ref())
                .map(content_text)
                .or_else(|| choice.text.clone())
                .unwrap_or_default();
            if let Some(r) = msg.and_then(|m| m.refusal.as_deref()) {
                self.refusal.push_str(r);
            }
            if !piece.is_empty() {
                self.text.push_str(&piece);
                *emitted = true;
                on_event(Event::Delta(piece));
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Unit tests (pure parts)
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    fn datas(evs: Vec<SseEvent>) -> Vec<String> {
        evs.into_iter().map(|e| e.data).collect()
    }

    fn parse_all(chunks: &[&[u8]]) -> Vec<String> {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        for c in chunks {
            out.extend(datas(p.feed(c)));
        }
        out.extend(datas(p.finish()));
        out
    }

    #[test]
    fn sse_basic_lf_and_crlf() {
        assert_eq!(parse_all(&[b"data: a\n\ndata: b\n\n"]), ["a", "b"]);
        assert_eq!(parse_all(&[b"data: a\r\n\r\ndata: b\r\n\r\n"]), ["a", "b"]);
        assert_eq!(parse_all(&[b"data: a\r\rdata: b\r\r"]), ["a", "b"]);
    }

    #[test]
    fn sse_data_without_space_and_with_extra_space() {
        assert_eq!(parse_all(&[b"data:x\n\ndata:  y\n\n"]), ["x", " y"]);
    }

    #[test]
    fn sse_multiline_data() {
        assert_eq!(
            parse_all(&[b"data: one\ndata: two\ndata:\n\n"]),
            ["one\ntwo\n"]
        );
    }

    #[test]
    fn sse_comments_and_ignored_fields() {
        let input = b": ping - 2025-01-01 00:00:00\n\nevent: message\nid: 7\nretry: 1000\ndata: hi\n\n:\n\n";
        assert_eq!(parse_all(&[input]), ["hi"]);
        // an event with no data dispatches nothing
        assert!(parse_all(&[b"event: x\nid: 1\n\n"]).is_empty());
    }

    #[test]
    fn sse_split_anywhere() {
        let input = "data: {\"a\": \"é\"}\r\n\r\n: c\r\ndata: [DONE]\r\n\r\n".as_bytes();
        let whole = parse_all(&[input]);
        assert_eq!(whole, ["{\"a\": \"é\"}", "[DONE]"]);
        for i in 0..=input.len() {
            for j in i..=input.len() {
                let got = parse_all(&[&input[..i], &input[i..j], &input[j..]]);
                assert_eq!(got, whole, "split at {i},{j}");
            }
        }
        // byte-by-byte
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(parse_all(&bytes), whole);
    }

    #[test]
    fn sse_incremental_events_arrive_when_complete() {
        let mut p = SseParser::new();
        assert!(p.feed(b"data: par").is_empty());
        assert!(p.feed(b"tial\n").is_empty());
        assert_eq!(datas(p.feed(b"\n")), ["partial"]);
    }

    #[test]
    fn sse_finish_flushes_unterminated_event() {
        assert_eq!(parse_all(&[b"data: [DONE]"]), ["[DONE]"]);
        assert_eq!(parse_all(&[b"data: x\n"]), ["x"]);
        assert!(parse_all(&[b""]).is_empty());
        assert!(parse_all(&[b": only a comment"]).is_empty());
    }

    #[test]
    fn sse_bom_and_field_without_colon() {
        assert_eq!(parse_all(&["\u{feff}data: a\n\n".as_bytes()]), ["a"]);
        assert_eq!(parse_all(&[b"data\n\n"]), [""]);
    }

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
            Redactor(Some("sk-secret-123")).apply("bad key sk-secret-123".into()),
            "bad key [redacted]"
        );
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let mut cfg = OpenAiConfig::new("http://x", "m");
        cfg.backoff_base = Duration::from_millis(100);
        cfg.backoff_cap = Duration::from_millis(350);
        let waits: Vec<_> = (1..=5).map(|n| backoff(&cfg, n).as_millis()).collect();
        assert_eq!(waits, [100, 200, 350, 350, 350]);
        assert_eq!(backoff(&cfg, u32::MAX), Duration::from_millis(350));
    }

    #[test]
    fn retry_after_forms() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_770); // 1994-11-06 08:49:30 GMT
        assert_eq!(parse_retry_after("1", now), Some(Duration::from_secs(1)));
        assert_eq!(
            parse_retry_after(" 0.5 ", now),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date("Wed, 01 Jan 2025 00:00:00 GMT"),
            Some(1_735_689_600)
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
