//! Why a completion failed. `Display` is the user-facing wording; no variant ever holds
//! the API key or request headers.

use std::fmt;
use std::time::Duration;

use super::human_duration;

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
    #[error("the answer from {url} is incomplete: {}; it was discarded ({} received)", .why, crate::process::human_bytes(*.received as u64))]
    Incomplete {
        url: String,
        why: IncompleteWhy,
        received: usize,
        attempts: u32,
    },
    /// The answer grew past `[limits] max_answer_bytes`; reading stopped there.
    #[error("the answer from {url} is larger than {}; reading stopped and nothing was kept (raise [limits] max_answer_bytes in dockhand.toml if the answer is meant to be this big)", crate::process::human_bytes(*.limit))]
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
    #[cfg(test)]
    pub fn status(&self) -> Option<u16> {
        match self {
            OpenAiError::Rejected { status, .. }
            | OpenAiError::ServerError { status, .. }
            | OpenAiError::RateLimited { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// HTTP attempts made before giving up (0 if none was sent).
    #[cfg(test)]
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
