//! Reading a streamed answer: server-sent events split by a pure, incremental parser,
//! each `data:` chunk folded into the answer so far, and the judgement of how the stream
//! ended. An answer counts only when the stream ended properly: with `data: [DONE]` or a
//! `finish_reason`, and that reason is not `length` (the model ran out of tokens).

use serde_json::Value;

use super::wire::{WireResponse, content_text, excerpt};

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

    /// Bytes held for an event not yet complete (bounded by the caller).
    pub fn pending(&self) -> usize {
        self.line.len() + self.data.len()
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

/// A stream chunk that cannot be used.
#[derive(Debug)]
pub(super) enum ChunkError {
    /// Not chat-completions JSON.
    Decode(String),
    /// An `{"error": ...}` object in the stream.
    Reported(Value),
}

/// How a stream ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Ending {
    /// `[DONE]`, or a `finish_reason` other than `length`.
    Complete,
    /// Closed with neither `[DONE]` nor a `finish_reason`: cut off.
    NoEndMarker,
    /// `finish_reason: length`: the model stopped at its token limit.
    Length,
    /// Closed before any content, refusal or end marker.
    Empty,
}

/// The answer so far.
#[derive(Debug, Default)]
pub(super) struct StreamState {
    pub text: String,
    pub refusal: String,
    pub model: Option<String>,
    pub finish_reason: Option<String>,
    /// `data: [DONE]` arrived.
    pub done: bool,
}

impl StreamState {
    /// Fold one event's `data` in; returns the new pieces of text, in order.
    pub fn handle(&mut self, data: &str) -> Result<Vec<String>, ChunkError> {
        let trimmed = data.trim();
        if trimmed.is_empty() {
            return Ok(Vec::new());
        }
        if trimmed == "[DONE]" {
            self.done = true;
            return Ok(Vec::new());
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
                        return Err(ChunkError::Decode(format!(
                            "bad stream chunk ({e}): {}",
                            excerpt(trimmed)
                        )));
                    }
                }
            }
        };
        let mut pieces = Vec::new();
        for chunk in chunks {
            if let Some(err) = chunk.error.as_ref() {
                return Err(ChunkError::Reported(err.clone()));
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
                pieces.push(piece);
            }
        }
        Ok(pieces)
    }

    /// How the stream ended, once the server closed it.
    pub fn ending(&self) -> Ending {
        match self.finish_reason.as_deref() {
            Some("length") => Ending::Length,
            Some(_) => Ending::Complete,
            None if self.done => Ending::Complete,
            None if self.text.is_empty() && self.refusal.is_empty() => Ending::Empty,
            None => Ending::NoEndMarker,
        }
    }
}

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

    fn state(events: &[&str]) -> StreamState {
        let mut st = StreamState::default();
        for e in events {
            st.handle(e).unwrap();
        }
        st
    }

    const HELLO: &str = r#"{"choices":[{"index":0,"delta":{"content":"hello"}}]}"#;
    const STOP: &str = r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#;
    const LENGTH: &str = r#"{"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}"#;

    #[test]
    fn a_stream_is_whole_only_with_an_end_marker_and_not_cut_at_the_token_limit() {
        assert_eq!(state(&[HELLO, STOP, "[DONE]"]).ending(), Ending::Complete);
        assert_eq!(state(&[HELLO, STOP]).ending(), Ending::Complete);
        assert_eq!(state(&[HELLO, "[DONE]"]).ending(), Ending::Complete);
        assert_eq!(state(&[HELLO]).ending(), Ending::NoEndMarker);
        assert_eq!(state(&[HELLO, LENGTH, "[DONE]"]).ending(), Ending::Length);
        assert_eq!(state(&[]).ending(), Ending::Empty);
    }

    #[test]
    fn bad_chunks_and_error_objects_are_errors() {
        let mut st = StreamState::default();
        assert!(matches!(st.handle("{not json"), Err(ChunkError::Decode(_))));
        assert!(matches!(
            st.handle(r#"{"error":{"message":"overloaded"}}"#),
            Err(ChunkError::Reported(_))
        ));
    }
}
