//! GoogleCloudPlatform/kubectl-ai's `--trace-path` file: the model's raw answers.
//!
//! The file is a YAML stream of journal events (`action`, `payload`, `timestamp`), each
//! followed by `---`. Two generations of the tool write the answer differently:
//!
//! * `http.response` events (current): `payload.body` is the provider's raw HTTP response –
//!   Gemini `generateContent` JSON (`candidates[].content.parts[].text`, `thought` parts
//!   skipped), OpenAI chat completions (`choices[].message.content`), either as server-sent
//!   events (`data: {…}` lines, deltas concatenated), Anthropic (`content[].text`) or Ollama
//!   (`message.content`);
//! * `ui.render` events (older): `payload.text` is the text handed to the terminal UI before
//!   glamour rendered it (`Running: …` tool-call lines are not answers).
//!
//! [`last_answer`] is the last assistant text found, unrendered: the markdown the model wrote.

use serde_json::Value;

/// The last assistant message in a trace, or `None` when the trace holds none.
pub fn last_answer(trace: &str) -> Option<String> {
    let parsed = crate::validate::yaml::parse(trace);
    let mut last = None;
    for doc in &parsed.documents {
        let event = doc.root.to_json();
        let text = match event.get("action").and_then(Value::as_str) {
            Some("http.response") => event
                .pointer("/payload/body")
                .and_then(Value::as_str)
                .and_then(response_text),
            Some("ui.render") => event
                .pointer("/payload/text")
                .and_then(Value::as_str)
                .filter(|t| !t.trim_start().starts_with("Running: "))
                .map(str::to_owned),
            _ => None,
        };
        if let Some(t) = text.filter(|t| !t.trim().is_empty()) {
            last = Some(t);
        }
    }
    last
}

/// The assistant text in one HTTP response body (JSON, or server-sent events).
fn response_text(body: &str) -> Option<String> {
    let body = body.trim();
    if let Ok(v) = serde_json::from_str::<Value>(body) {
        return Some(json_text(&v)).filter(|t| !t.is_empty());
    }
    // Streaming: `data: {…}` lines, or one JSON object per line (Ollama, Gemini arrays).
    let mut out = String::new();
    for line in body.lines() {
        let l = line.trim();
        let l = l.strip_prefix("data:").map(str::trim).unwrap_or(l);
        let l = l
            .trim_start_matches(['[', ','])
            .trim_end_matches([']', ',']);
        if let Ok(v) = serde_json::from_str::<Value>(l) {
            out.push_str(&json_text(&v));
        }
    }
    Some(out).filter(|t| !t.is_empty())
}

/// Text parts of one response object, in order, across the providers kubectl-ai speaks.
fn json_text(v: &Value) -> String {
    let mut out = String::new();
    if let Some(items) = v.as_array() {
        for i in items {
            out.push_str(&json_text(i));
        }
        return out;
    }
    // Gemini
    for c in v
        .get("candidates")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for p in c
            .pointer("/content/parts")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if p.get("thought").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            if let Some(t) = p.get("text").and_then(Value::as_str) {
                out.push_str(t);
            }
        }
    }
    // OpenAI (whole message or stream delta)
    for c in v
        .get("choices")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for ptr in ["/message/content", "/delta/content"] {
            if let Some(t) = c.pointer(ptr).and_then(Value::as_str) {
                out.push_str(t);
            }
        }
    }
    // Anthropic
    if v.get("type").and_then(Value::as_str) == Some("message") {
        for p in v
            .get("content")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if p.get("type").and_then(Value::as_str) == Some("text")
                && let Some(t) = p.get("text").and_then(Value::as_str)
            {
                out.push_str(t);
            }
        }
    }
    // Ollama
    if let Some(t) = v.pointer("/message/content").and_then(Value::as_str) {
        out.push_str(t);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::super::process::test_support::fixture;
    use super::*;

    #[test]
    fn the_last_gemini_answer_is_taken_not_the_function_call() {
        let t = last_answer(&fixture("kubectl-ai-google-trace.yaml")).unwrap();
        assert_eq!(
            t,
            fixture("kubectl-ai-google-answer.md"),
            "the trace holds the raw markdown, fences and all"
        );
    }

    #[test]
    fn openai_streams_ui_render_and_nothing() {
        let sse = "action: http.response\npayload:\n  body: |\n    data: {\"choices\":[{\"delta\":{\"content\":\"```yaml\\napiVersion: v1\\n\"}}]}\n\n    data: {\"choices\":[{\"delta\":{\"content\":\"kind: Namespace\\n```\"}}]}\n\n    data: [DONE]\n  status: 200 OK\n\n\n---\n\n";
        assert_eq!(
            last_answer(sse).unwrap(),
            "```yaml\napiVersion: v1\nkind: Namespace\n```"
        );
        let old = "action: ui.render\npayload:\n  text: \"Here:\\n```yaml\\nkind: A\\n```\"\n---\naction: ui.render\npayload:\n  text: \"  Running: kubectl get pods\"\n";
        assert_eq!(last_answer(old).unwrap(), "Here:\n```yaml\nkind: A\n```");
        let openai = "action: http.response\npayload:\n  body: '{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"done\"}}]}'\n";
        assert_eq!(last_answer(openai).unwrap(), "done");
        assert_eq!(last_answer(""), None);
        assert_eq!(
            last_answer("action: tool-request\npayload:\n  name: kubectl\n"),
            None
        );
        let thought = "action: http.response\npayload:\n  body: '{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"thinking\",\"thought\":true}]}}]}'\n";
        assert_eq!(last_answer(thought), None);
    }
}
