//! The request loop: one HTTP attempt after another, each read as JSON or as a stream,
//! until an answer is whole, a failure is final, or the retries are spent.

use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use serde_json::Value;

use super::redact::Redactor;
use super::retry::{self, Wait, is_retryable_status, retry_after};
use super::sse::{ChunkError, Ending, SseEvent, SseParser, StreamState};
use super::wire::{WireResponse, content_text, error_value_message, excerpt, server_message};
use super::{
    ApiKey, ChatMessage, Completion, Event, IncompleteWhy, OpenAiConfig, OpenAiError,
    human_duration, request_body,
};

/// How much of a non-2xx response body is read to build an error message.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

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
