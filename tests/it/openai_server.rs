//! A scripted HTTP server on 127.0.0.1 that speaks the OpenAI
//! chat-completions wire format, for integration tests.
//!
//! std only (plus `serde_json` for bodies): one accept thread, one thread per
//! connection, HTTP/1.1, `Content-Length` (or chunked) request bodies, every
//! response sent with `Connection: close`. Streams are sent with chunked
//! transfer encoding, one HTTP chunk per script chunk, flushed one at a time.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use serde_json::{Value, json};

/// What the server answers to one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A complete response; `Content-Type: application/json` unless
    /// `headers` sets one.
    Json {
        status: u16,
        body: String,
        headers: Vec<(String, String)>,
    },
    /// `200 text/event-stream`; each chunk's raw bytes are written and
    /// flushed in order, with `delay_between` between chunks.
    Sse {
        chunks: Vec<String>,
        delay_between: Duration,
    },
    /// Any status with any body; `Content-Type: text/plain` unless the body
    /// looks like JSON or `headers` sets one.
    Status {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Waits, then serves the inner reply (the client may give up first).
    Delay(Duration, Box<Reply>),
    /// Closes the connection without answering (a connection error).
    Hangup,
    /// Starts a `200 text/event-stream`, sends `chunks`, then resets the
    /// connection (TCP RST: `SO_LINGER` 0, then close) in the middle of it.
    SseThenReset { chunks: Vec<String> },
}

impl Reply {
    /// `status` with a JSON body.
    pub fn json(status: u16, body: impl Into<String>) -> Reply {
        Reply::Json {
            status,
            body: body.into(),
            headers: Vec::new(),
        }
    }

    /// `status` with an OpenAI-style `{"error":{"message":..}}` body.
    pub fn error(status: u16, message: &str) -> Reply {
        let body = json!({"error": {"message": message, "type": "test_error", "param": null, "code": null}});
        Reply::Status {
            status,
            headers: Vec::new(),
            body: body.to_string(),
        }
    }

    /// The same reply with an extra response header (Json/Status only).
    pub fn with_header(self, name: &str, value: &str) -> Reply {
        let h = (name.to_owned(), value.to_owned());
        match self {
            Reply::Json {
                status,
                body,
                mut headers,
            } => {
                headers.push(h);
                Reply::Json {
                    status,
                    body,
                    headers,
                }
            }
            Reply::Status {
                status,
                mut headers,
                body,
            } => {
                headers.push(h);
                Reply::Status {
                    status,
                    headers,
                    body,
                }
            }
            Reply::Delay(d, inner) => Reply::Delay(d, Box::new(inner.with_header(name, value))),
            other => other,
        }
    }

    /// The same reply after a delay.
    pub fn delayed(self, d: Duration) -> Reply {
        Reply::Delay(d, Box::new(self))
    }
}

/// A standard non-streamed chat completion answering `content`.
pub fn chat_json(content: &str) -> Reply {
    let body = json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "test-model",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "logprobs": null,
            "finish_reason": "stop"
        }],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    });
    Reply::Json {
        status: 200,
        body: body.to_string(),
        headers: Vec::new(),
    }
}

/// `content` streamed as SSE with the quirks of real servers: a `: ping`
/// comment, a first chunk carrying only the role, deltas lacking `created`,
/// `index`, `finish_reason`, `id`..., spaces after JSON separators, `data:`
/// without a space, CRLF lines, an event split across two writes, a
/// usage-only chunk with `choices: []`, and a final `data: [DONE]`.
pub fn chat_sse(content: &str) -> Reply {
    let chars: Vec<char> = content.chars().collect();
    let n = chars.len().div_ceil(4).max(1);
    let pieces: Vec<String> = chars.chunks(n).map(|c| c.iter().collect()).collect();
    let mut chunks = vec![
        ": ping - 2025-01-01 00:00:00\n\n".to_owned(),
        format!(
            "data: {}\n\n",
            json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1_700_000_000,
                   "model": "test-model",
                   "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}]})
        ),
    ];
    for (i, piece) in pieces.iter().enumerate() {
        let s = Value::String(piece.clone()).to_string();
        match i % 4 {
            // spaces after separators, no created/index/finish_reason/id
            0 => chunks.push(format!("data: {{\"choices\": [{{\"delta\": {{\"content\": {s}}}}}]}}\n\n")),
            // `data:` without space, CRLF line ends, has model but no id/object
            1 => chunks.push(format!(
                "data:{{\"model\": \"test-model\", \"choices\": [{{\"index\": 0, \"delta\": {{\"content\": {s}}}, \"finish_reason\": null}}]}}\r\n\r\n"
            )),
            // one event split across two writes, mid-JSON
            2 => {
                let line = format!("data: {{\"object\": \"chat.completion.chunk\", \"choices\": [{{\"delta\": {{\"content\": {s}}}}}]}}\n\n");
                let cut = line.len() / 2;
                let cut = (0..=cut).rev().find(|&i| line.is_char_boundary(i)).unwrap_or(0);
                chunks.push(line[..cut].to_owned());
                chunks.push(line[cut..].to_owned());
            }
            // event/id fields and a ping in front of the data
            _ => chunks.push(format!(
                ": ping - 2025-01-01 00:00:01\nevent: message\nid: {i}\ndata: {{\"choices\":[{{\"delta\":{{\"content\":{s}}},\"index\":0}}]}}\n\n"
            )),
        }
    }
    chunks.push(
        "data: {\"choices\": [{\"index\": 0, \"delta\": {}, \"finish_reason\": \"stop\"}]}\n\n"
            .to_owned(),
    );
    chunks.push(
        "data: {\"choices\": [], \"usage\": {\"prompt_tokens\": 10, \"completion_tokens\": 5, \"total_tokens\": 15}}\n\n"
            .to_owned(),
    );
    chunks.push("data: [DONE]\n\n".to_owned());
    Reply::Sse {
        chunks,
        delay_between: Duration::from_millis(2),
    }
}

/// SSE made of plain delta chunks for `pieces`, ending in `[DONE]`.
pub fn sse_pieces(pieces: &[&str]) -> Reply {
    let mut chunks: Vec<String> = pieces
        .iter()
        .map(|p| {
            format!(
                "data: {}\n\n",
                json!({"choices": [{"index": 0, "delta": {"content": p}}]})
            )
        })
        .collect();
    chunks.push(
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
            .to_owned(),
    );
    chunks.push("data: [DONE]\n\n".to_owned());
    Reply::Sse {
        chunks,
        delay_between: Duration::ZERO,
    }
}

/// `200 text/event-stream` that closes without sending anything.
pub fn empty_stream() -> Reply {
    Reply::Sse {
        chunks: Vec::new(),
        delay_between: Duration::ZERO,
    }
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    /// Request target, e.g. `/v1/chat/completions`.
    pub path: String,
    /// Header names lowercased, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// `body` parsed as JSON, if it is JSON.
    pub json: Option<Value>,
}

impl RecordedRequest {
    /// First header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `(role, content)` of each chat message in the body.
    pub fn messages(&self) -> Vec<(String, String)> {
        let Some(msgs) = self
            .json
            .as_ref()
            .and_then(|j| j.get("messages"))
            .and_then(Value::as_array)
        else {
            return Vec::new();
        };
        msgs.iter()
            .map(|m| {
                let role = m
                    .get("role")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let content = match m.get("content") {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Array(parts)) => parts
                        .iter()
                        .filter_map(|p| p.get("text").and_then(Value::as_str))
                        .collect(),
                    _ => String::new(),
                };
                (role, content)
            })
            .collect()
    }

    /// All message contents joined with newlines (handy for matching).
    pub fn prompt_text(&self) -> String {
        self.messages()
            .into_iter()
            .map(|(_, c)| c)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Content of the last `user` message, or "".
    pub fn last_user_message(&self) -> String {
        self.messages()
            .into_iter()
            .rev()
            .find(|(r, _)| r == "user")
            .map(|(_, c)| c)
            .unwrap_or_default()
    }

    /// Whether the client asked for a stream (`"stream": true`).
    pub fn wants_stream(&self) -> bool {
        self.json
            .as_ref()
            .and_then(|j| j.get("stream"))
            .and_then(Value::as_bool)
            == Some(true)
    }
}

type Handler = dyn Fn(&RecordedRequest) -> Reply + Send + Sync + 'static;

struct Shared {
    handler: Box<Handler>,
    requests: Mutex<Vec<RecordedRequest>>,
    stop: AtomicBool,
}

/// Serves on a background thread until dropped.
pub struct TestServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Serves `script` in order, one reply per request; once exhausted the
    /// last reply repeats. An empty script answers 500.
    pub fn start(script: Vec<Reply>) -> TestServer {
        let next = Mutex::new(0usize);
        TestServer::with_handler(move |_req| {
            let mut i = next.lock().unwrap();
            let reply = script
                .get(*i)
                .or(script.last())
                .cloned()
                .unwrap_or_else(|| Reply::error(500, "test server: empty script"));
            *i += 1;
            reply
        })
    }

    /// Answers every request with `f(request)`. A panicking handler yields
    /// a 500 whose error message is the panic message.
    pub fn with_handler(
        f: impl Fn(&RecordedRequest) -> Reply + Send + Sync + 'static,
    ) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local_addr");
        let shared = Arc::new(Shared {
            handler: Box::new(f),
            requests: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let sh = Arc::clone(&shared);
        let accept = thread::Builder::new()
            .name("openai-test-server".into())
            .spawn(move || {
                for conn in listener.incoming() {
                    if sh.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let sh = Arc::clone(&sh);
                    let _ = thread::Builder::new()
                        .name("openai-test-conn".into())
                        .spawn(move || serve_connection(conn, &sh));
                }
            })
            .expect("spawn accept thread");
        TestServer {
            addr,
            shared,
            accept: Some(accept),
        }
    }

    /// `http://127.0.0.1:PORT/v1`
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests.lock().unwrap().clone()
    }

    pub fn request_count(&self) -> usize {
        self.shared.requests.lock().unwrap().len()
    }

    /// Wait (up to 10 s) until a first request has arrived: the moment to interrupt a run.
    pub fn wait_for_a_request(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while self.request_count() == 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag. Connection threads are
        // left to finish (or fail writing) on their own.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

fn serve_connection(conn: TcpStream, shared: &Shared) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
    let _ = conn.set_nodelay(true);
    let Some(req) = read_request(&conn) else {
        return;
    };
    if shared.stop.load(Ordering::SeqCst) {
        return;
    }
    shared.requests.lock().unwrap().push(req.clone());
    let reply = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (shared.handler)(&req)))
        .unwrap_or_else(|p| {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "handler panicked".into());
            Reply::error(500, &format!("test server handler panicked: {msg}"))
        });
    let mut conn = conn;
    let reset_after = matches!(reply, Reply::SseThenReset { .. });
    let _ = write_reply(&mut conn, reply);
    if reset_after {
        return; // dropped: closed with SO_LINGER 0, which sends the RST
    }
    let _ = conn.flush();
    let _ = conn.shutdown(Shutdown::Write);
    // Drain whatever the client still sends so close() doesn't reset the
    // connection before the client has read the response.
    let _ = conn.set_read_timeout(Some(Duration::from_millis(200)));
    let mut sink = [0u8; 1024];
    while matches!(conn.read(&mut sink), Ok(n) if n > 0) {}
}

fn read_request(conn: &TcpStream) -> Option<RecordedRequest> {
    let mut r = BufReader::new(conn);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end_matches(['\r', '\n']);
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let mut body = Vec::new();
    if get("transfer-encoding").is_some_and(|te| te.to_ascii_lowercase().contains("chunked")) {
        loop {
            let mut size = String::new();
            r.read_line(&mut size).ok()?;
            let size = usize::from_str_radix(size.trim().split(';').next()?.trim(), 16).ok()?;
            if size == 0 {
                let mut trailer = String::new();
                while r.read_line(&mut trailer).ok()? > 2 {
                    trailer.clear();
                }
                break;
            }
            let mut chunk = vec![0; size + 2];
            r.read_exact(&mut chunk).ok()?;
            body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(len) = get("content-length").and_then(|v| v.parse::<usize>().ok()) {
        body.resize(len, 0);
        r.read_exact(&mut body).ok()?;
    }
    let body = String::from_utf8_lossy(&body).into_owned();
    let json = serde_json::from_str(&body).ok();
    Some(RecordedRequest {
        method,
        path,
        headers,
        body,
        json,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        529 => "Site Overloaded",
        _ => "Whatever",
    }
}

fn head(status: u16, content_type: &str, extra: &[(String, String)], framing: &str) -> String {
    let mut h = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    if !extra
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        h.push_str(&format!("Content-Type: {content_type}\r\n"));
    }
    for (k, v) in extra {
        h.push_str(&format!("{k}: {v}\r\n"));
    }
    h.push_str(framing);
    h.push_str("Connection: close\r\n\r\n");
    h
}

fn write_reply(conn: &mut TcpStream, reply: Reply) -> std::io::Result<()> {
    match reply {
        Reply::Json {
            status,
            body,
            headers,
        } => {
            let h = head(
                status,
                "application/json",
                &headers,
                &format!("Content-Length: {}\r\n", body.len()),
            );
            conn.write_all(h.as_bytes())?;
            conn.write_all(body.as_bytes())
        }
        Reply::Status {
            status,
            headers,
            body,
        } => {
            let ct = if body.trim_start().starts_with('{') {
                "application/json"
            } else {
                "text/plain; charset=utf-8"
            };
            let h = head(
                status,
                ct,
                &headers,
                &format!("Content-Length: {}\r\n", body.len()),
            );
            conn.write_all(h.as_bytes())?;
            conn.write_all(body.as_bytes())
        }
        Reply::Sse {
            chunks,
            delay_between,
        } => {
            let mut h = head(
                200,
                "text/event-stream",
                &[],
                "Transfer-Encoding: chunked\r\n",
            );
            h.insert_str(h.len() - 2, "Cache-Control: no-cache\r\n");
            conn.write_all(h.as_bytes())?;
            conn.flush()?;
            for (i, chunk) in chunks.iter().enumerate() {
                if i > 0 && !delay_between.is_zero() {
                    thread::sleep(delay_between);
                }
                if chunk.is_empty() {
                    continue; // a zero-size chunk would end the body
                }
                write!(conn, "{:x}\r\n", chunk.len())?;
                conn.write_all(chunk.as_bytes())?;
                conn.write_all(b"\r\n")?;
                conn.flush()?;
            }
            conn.write_all(b"0\r\n\r\n")
        }
        Reply::Delay(d, inner) => {
            thread::sleep(d);
            write_reply(conn, *inner)
        }
        Reply::Hangup => Ok(()),
        Reply::SseThenReset { chunks } => {
            let h = head(
                200,
                "text/event-stream",
                &[],
                "Transfer-Encoding: chunked\r\n",
            );
            conn.write_all(h.as_bytes())?;
            for chunk in chunks.iter().filter(|c| !c.is_empty()) {
                write!(conn, "{:x}\r\n", chunk.len())?;
                conn.write_all(chunk.as_bytes())?;
                conn.write_all(b"\r\n")?;
                conn.flush()?;
            }
            thread::sleep(Duration::from_millis(50));
            reset(conn);
            Ok(())
        }
    }
}

/// Abort the connection: with `SO_LINGER` {on, 0 s}, closing sends a TCP RST.
fn reset(conn: &TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt on a socket we own, with a correctly sized `linger`.
    unsafe {
        libc::setsockopt(
            conn.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}
