//! When to ask again, and how long to wait first: capped exponential backoff, or the
//! server's `Retry-After` honoured exactly as sent, up to a ceiling
//! (`[openai] max_retry_after_secs`). A server that asks for a longer wait than the
//! ceiling is not waited for: the run fails and says what the server asked.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use super::OpenAiConfig;

/// The wait before retry `failed_attempt` (1-based) when the server did not say.
pub(super) fn backoff(cfg: &OpenAiConfig, failed_attempt: u32) -> Duration {
    let exp = failed_attempt.saturating_sub(1).min(30);
    cfg.backoff_base
        .checked_mul(1u32 << exp)
        .unwrap_or(cfg.backoff_cap)
        .min(cfg.backoff_cap)
}

/// `Retry-After` as delay-seconds (integer or decimal) or an HTTP date (parsed by
/// `httpdate`: IMF-fixdate, RFC 850 and asctime forms); a past date means zero.
pub(super) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(1e9)));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The server's requested wait: `retry-after-ms` (OpenAI's own header) or `Retry-After`.
pub(super) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
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

/// 429 and every 5xx are worth another attempt; other statuses are final.
pub(super) fn is_retryable_status(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

/// What to do after a retryable failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Wait {
    /// Sleep this long, then try again.
    For(Duration),
    /// The server asked for a longer wait than the ceiling: give up now.
    TooLong { asked: Duration },
}

/// The wait before the next attempt, after attempt `failed_attempt` failed.
pub(super) fn wait(cfg: &OpenAiConfig, failed_attempt: u32, asked: Option<Duration>) -> Wait {
    match asked {
        Some(a) if a > cfg.retry_after_ceiling => Wait::TooLong { asked: a },
        Some(a) => Wait::For(a),
        None => Wait::For(backoff(cfg, failed_attempt)),
    }
}

/// `7 s`, `1.5 s`, `250 ms`.
pub fn human(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

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
        // RFC 850 and asctime forms, which HTTP/1.1 clients must accept.
        assert_eq!(
            parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after("Sun Nov  6 08:49:37 1994", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn a_wait_over_the_ceiling_is_refused_and_one_under_it_is_honoured_exactly() {
        let mut cfg = OpenAiConfig::new("http://x", "m");
        cfg.retry_after_ceiling = Duration::from_secs(60);
        cfg.backoff_cap = Duration::from_secs(1);
        assert_eq!(
            wait(&cfg, 1, Some(Duration::from_secs(45))),
            Wait::For(Duration::from_secs(45))
        );
        assert_eq!(
            wait(&cfg, 1, Some(Duration::from_secs(61))),
            Wait::TooLong {
                asked: Duration::from_secs(61)
            }
        );
        assert_eq!(
            wait(&cfg, 1, None),
            Wait::For(cfg.backoff_base.min(cfg.backoff_cap))
        );
    }
}
