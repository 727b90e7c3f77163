//! The OpenAI-compatible endpoint: the scripted test server.

use std::time::{Duration, Instant};

use super::*;
use crate::harness::{Project, Test};
use crate::openai_server::{Reply, TestServer, chat_json, chat_sse, empty_stream};

// ---------------------------------------------------------------------------------------------
// The OpenAI-compatible endpoint
// ---------------------------------------------------------------------------------------------

/// A project whose OpenAI settings make faults quick to see.
pub(super) fn http_project(extra: &str) -> Project {
    let p = Project::seeded();
    let toml = p
        .read("dockhand.toml")
        .replace("timeout_secs = 120", "timeout_secs = 3")
        .replace("max_retries = 4", "max_retries = 2")
        .replace(
            "model = \"gpt-4o-mini\"",
            &format!("model = \"gpt-4o-mini\"\n{extra}"),
        );
    p.write("dockhand.toml", &toml);
    p.git(&["commit", "-qam", "faults config"]);
    p
}

fn ask_http(p: &Project, server: &TestServer) -> Test {
    p.dockhand()
        .openai(server)
        .args(["generate", PROMPT, "--backend", "openai"])
}

fn http_failed(reason: &str) -> String {
    format!(
        "exit 2\n--- stdout\n--- stderr\n\
         {PROMPT}@1.1.0: skipped openai: {reason}\n\
         {PROMPT}@1.1.0: error\n\
         error: {PROMPT}@1.1.0: no backend could answer:\n  \
         cache: no recorded answer for this exact prompt\n  \
         openai: {reason}\n"
    )
}

fn sse_chunk(content: &str) -> String {
    format!(
        "data: {}\n\n",
        serde_json::json!({"choices": [{"index": 0, "delta": {"content": content}}]})
    )
}

#[test]
fn http_429_with_retry_after_is_honoured_as_sent() {
    let p = http_project("");
    let server = TestServer::start(vec![
        Reply::error(429, "Rate limit reached").with_header("Retry-After", "2"),
        chat_sse(&answer()),
    ]);
    let started = Instant::now();
    let out = ask_http(&p, &server).run();
    let took = started.elapsed();
    assert!(took >= Duration::from_secs(2), "waited only {took:?}");
    assert_eq!(server.request_count(), 2);
    assert!(p.exists(TARGET));
    assert_eq!(
        hashes_hidden(&whole(&out, &[])),
        written_after_one_retry("HTTP 429: Rate limit reached; retry 1 in 2.0s")
    );
}

#[test]
fn http_429_asking_longer_than_the_ceiling_fails_and_says_so() {
    let p = http_project("max_retry_after_secs = 30");
    let server = TestServer::start(vec![
        Reply::error(429, "Rate limit reached")
            .with_header("Retry-After", "Wed, 21 Oct 2099 07:28:00 GMT"),
        chat_sse(&answer()),
    ]);
    let out = ask_http(&p, &server).status(2).run();
    assert_eq!(server.request_count(), 1);
    let url = format!("{}/chat/completions", server.base_url());
    let text = whole(&out, &[(&url, "[URL]")]);
    // The wait asked for depends on today's date: show it as [WAIT].
    let text = regex_lite_replace_wait(&text);
    assert_eq!(
        text,
        http_failed(
            "[URL] is rate-limiting (HTTP 429) and asked to retry after [WAIT], longer than the 30 s ceiling ([openai] max_retry_after_secs); not waiting: Rate limit reached"
        )
    );
    untouched(&p, 3);
}

/// `retry after 2345 s,` → `retry after [WAIT],` (every occurrence).
fn regex_lite_replace_wait(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("retry after ") {
        let start = i + "retry after ".len();
        let end = start + rest[start..].find(',').unwrap();
        out.push_str(&rest[..start]);
        out.push_str("[WAIT]");
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn written_after_one_retry(retry: &str) -> String {
    format!(
        "exit 0\n--- stdout\n\
         wrote {TARGET}\n\
         wrote .dockhand/cache/[HASH].json\n\
         wrote dockhand.lock\n\
         committed [SHA]\n\
         --- stderr\n\
         {PROMPT}@1.1.0: openai: {retry}\n\
         {PROMPT}@1.1.0: changed\n\
         {PROMPT}@1.1.0 attempt 1: openai model gpt-4o-mini: 0 error(s), 0 warning(s)\n"
    )
}

#[test]
fn http_500_then_success() {
    let p = http_project("");
    let server = TestServer::start(vec![
        Reply::error(
            500,
            "The server had an error while processing your request.",
        ),
        chat_sse(&answer()),
    ]);
    let out = ask_http(&p, &server).run();
    assert_eq!(server.request_count(), 2);
    assert!(p.exists(TARGET));
    assert_eq!(
        hashes_hidden(&whole(&out, &[])),
        written_after_one_retry(
            "HTTP 500: The server had an error while processing your request.; retry 1 in 0.5s"
        )
    );
}

#[test]
fn http_connection_reset_mid_stream() {
    let p = http_project("");
    let server = TestServer::start(vec![Reply::SseThenReset {
        chunks: vec![sse_chunk(
            "```yaml\napiVersion: apps/v1\nkind: Deployment\n",
        )],
    }]);
    let out = ask_http(&p, &server).status(2).run();
    let url = format!("{}/chat/completions", server.base_url());
    assert_eq!(
        whole(&out, &[(&url, "[URL]")]),
        http_failed(
            "the answer from [URL] is incomplete: the connection was lost in the middle of the stream; it was discarded (45 bytes received)"
        )
    );
    untouched(&p, 3);
}

#[test]
fn http_stream_cut_cleanly_before_its_end() {
    let p = http_project("");
    let server = TestServer::start(vec![Reply::Sse {
        chunks: vec![sse_chunk(
            "```yaml\napiVersion: apps/v1\nkind: Deployment\n",
        )],
        delay_between: Duration::ZERO,
    }]);
    let out = ask_http(&p, &server).status(2).run();
    let url = format!("{}/chat/completions", server.base_url());
    assert_eq!(
        whole(&out, &[(&url, "[URL]")]),
        http_failed(
            "the answer from [URL] is incomplete: the stream ended without `data: [DONE]` or a finish_reason; it was discarded (45 bytes received)"
        )
    );
    untouched(&p, 3);
}

#[test]
fn http_stream_stopped_at_the_token_limit() {
    let p = http_project("");
    let server = TestServer::start(vec![Reply::Sse {
        chunks: vec![
            sse_chunk(&answer()),
            "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}\n\n"
                .into(),
            "data: [DONE]\n\n".into(),
        ],
        delay_between: Duration::ZERO,
    }]);
    let out = ask_http(&p, &server).status(2).run();
    let url = format!("{}/chat/completions", server.base_url());
    assert_eq!(
        whole(&out, &[(&url, "[URL]")]),
        http_failed(&format!(
            "the answer from [URL] is incomplete: the model stopped at its token limit (finish_reason: length); it was discarded ({} bytes received)",
            answer().len()
        ))
    );
    untouched(&p, 3);
}

/// A whole (non-streamed) answer stopped at the token limit has not been shown yet:
/// it is asked again, and the second, complete answer is written.
#[test]
fn http_answer_at_the_token_limit_before_anything_was_shown_is_asked_again() {
    let p = http_project("");
    let text = answer();
    let cut = serde_json::json!({
        "model": "test-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": &text[..text.len() / 2]}, "finish_reason": "length"}]
    });
    let server = TestServer::start(vec![Reply::json(200, cut.to_string()), chat_json(&text)]);
    let out = ask_http(&p, &server).run();
    assert_eq!(server.request_count(), 2);
    assert_eq!(
        hashes_hidden(&whole(&out, &[])),
        written_after_one_retry(
            "the model stopped at its token limit (finish_reason: length); retry 1 in 0.5s"
        )
    );
}

#[test]
fn http_answer_whose_last_fence_is_never_closed() {
    let p = http_project("");
    let text = answer();
    let cut = &text[..text.rfind("```").unwrap()];
    let server = TestServer::start(vec![chat_sse(cut)]);
    let out = ask_http(&p, &server).status(2).run();
    let line = cut.lines().position(|l| l.starts_with("```")).unwrap() + 1;
    assert_eq!(
        whole(&out, &[]),
        http_failed(&format!(
            "the answer from openai is incomplete: the code fence opened on line {line} is never closed; it was discarded"
        ))
    );
    untouched(&p, 3);
}

#[test]
fn http_malformed_sse() {
    let p = http_project("");
    let server = TestServer::start(vec![Reply::Sse {
        chunks: vec!["data: {\"choices\": [{\"delta\": {\"content\": \"apiVersion\"\n\n".into()],
        delay_between: Duration::ZERO,
    }]);
    let out = ask_http(&p, &server).status(2).run();
    let url = format!("{}/chat/completions", server.base_url());
    assert_eq!(
        whole(&out, &[(&url, "[URL]")]),
        http_failed(
            "could not understand the response from [URL]: bad stream chunk (EOF while parsing an object at line 1 column 47): {\"choices\": [{\"delta\": {\"content\": \"apiVersion\""
        )
    );
    untouched(&p, 3);
}

#[test]
fn http_empty_200_stream() {
    let p = http_project("");
    let server = TestServer::start(vec![empty_stream()]);
    let out = ask_http(&p, &server).status(2).run();
    let url = format!("{}/chat/completions", server.base_url());
    assert_eq!(
        whole(&out, &[(&url, "[URL]")]),
        http_failed("[URL] answered HTTP 200 but the stream closed without sending any data")
    );
    untouched(&p, 3);
}

#[test]
fn http_server_that_never_answers() {
    let p = http_project("");
    p.write(
        "dockhand.toml",
        &p.read("dockhand.toml")
            .replace("max_retries = 2", "max_retries = 0"),
    );
    p.git(&["commit", "-qam", "no retries"]);
    let server = TestServer::start(vec![chat_json("late").delayed(Duration::from_secs(30))]);
    let started = Instant::now();
    let out = ask_http(&p, &server).status(2).run();
    assert!(started.elapsed() < Duration::from_secs(10));
    let url = format!("{}/chat/completions", server.base_url());
    assert_eq!(
        whole(&out, &[(&url, "[URL]")]),
        http_failed("no complete response from [URL] within 3s (1 attempt)")
    );
    untouched(&p, 4);
}

#[test]
fn http_401_is_not_retried() {
    let p = http_project("");
    let server = TestServer::start(vec![Reply::error(
        401,
        "Incorrect API key provided: sk-fault*****-key.",
    )]);
    let out = ask_http(&p, &server).status(2).run();
    assert_eq!(server.request_count(), 1);
    let url = format!("{}/chat/completions", server.base_url());
    assert_eq!(
        whole(&out, &[(&url, "[URL]")]),
        http_failed(
            "[URL] rejected the request with HTTP 401: Incorrect API key provided: sk-fault*****-key."
        )
    );
    untouched(&p, 3);
}

#[test]
fn http_answer_over_the_size_limit() {
    let p = http_project("");
    p.write(
        "dockhand.toml",
        &format!(
            "{}\n[limits]\nmax_answer_bytes = 1000\n",
            p.read("dockhand.toml")
        ),
    );
    p.git(&["commit", "-qam", "limit"]);
    let server = TestServer::start(vec![chat_sse(&"x".repeat(5000))]);
    let out = ask_http(&p, &server).status(2).run();
    let url = format!("{}/chat/completions", server.base_url());
    assert_eq!(
        whole(&out, &[(&url, "[URL]")]),
        http_failed(
            "the answer from [URL] is larger than 1000 bytes; reading stopped and nothing was kept (raise [limits] max_answer_bytes in dockhand.toml if the answer is meant to be this big)"
        )
    );
    untouched(&p, 4);
}

#[test]
fn a_refusal_shows_the_assistants_own_words() {
    let p = http_project("");
    let server = TestServer::start(vec![chat_json(
        "I'm sorry, I can only help with Kubernetes questions.",
    )]);
    let out = ask_http(&p, &server).status(2).run();
    assert_eq!(
        whole(&out, &[]),
        http_failed(
            "openai gave no Kubernetes manifest; it said:\n    I'm sorry, I can only help with Kubernetes questions."
        )
    );
    untouched(&p, 3);
}
