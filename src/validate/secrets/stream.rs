//! Redaction of an answer while it streams in, for live displays: text is
//! released a whole line at a time, each line redacted with the line before
//! it as context (an env `value:` under its `name:`), and a private key
//! block is held back until its end and shown as one placeholder.

use super::{Kind, redact};

/// Feed chunks with [`LineRedactor::push`]; call [`LineRedactor::finish`] at the end.
#[derive(Debug, Default)]
pub struct LineRedactor {
    pending: String,
    previous: String,
    in_key: bool,
}

impl LineRedactor {
    /// The redacted complete lines that `chunk` finishes (maybe none).
    pub fn push(&mut self, chunk: &str) -> String {
        self.pending.push_str(chunk);
        let mut out = String::new();
        while let Some(n) = self.pending.find('\n') {
            let line: String = self.pending.drain(..=n).collect();
            out.push_str(&self.line(&line));
        }
        out
    }

    /// The rest (an unfinished last line), redacted; the redactor starts afresh.
    pub fn finish(&mut self) -> String {
        let rest = std::mem::take(&mut self.pending);
        let out = if rest.is_empty() {
            String::new()
        } else {
            self.line(&rest)
        };
        *self = LineRedactor::default();
        out
    }

    fn line(&mut self, line: &str) -> String {
        if self.in_key {
            if line.contains("-----END ") {
                self.in_key = false;
            }
            self.previous.clear();
            return String::new();
        }
        let opens_key = line.contains("-----BEGIN ")
            && line.contains("PRIVATE KEY")
            && !line.contains("-----END ");
        if opens_key {
            self.in_key = true;
            let start = line.find("-----BEGIN ").unwrap_or(0);
            let (before, _) = redact(&line[..start], &[]);
            self.previous.clear();
            return format!("{before}{}\n", Kind::PrivateKey.placeholder());
        }
        let with_context = format!("{}{line}", self.previous);
        let (all, _) = redact(&with_context, &[]);
        let (previous, _) = redact(&self.previous, &[]);
        let out = match all.strip_prefix(&previous) {
            Some(rest) => rest.to_owned(),
            None => redact(line, &[]).0,
        };
        self.previous = line.to_owned();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(text: &str, size: usize) -> String {
        let mut r = LineRedactor::default();
        let chars: Vec<char> = text.chars().collect();
        let mut out = String::new();
        for piece in chars.chunks(size) {
            out.push_str(&r.push(&piece.iter().collect::<String>()));
        }
        out + &r.finish()
    }

    #[test]
    fn secrets_split_across_chunks_never_come_out() {
        let text = "Here it is:\n```yaml\ndata:\n  OPENAI_API_KEY: \"sk-live-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c\"\nenv:\n  - name: DB_PASSWORD\n    value: Zx9kQ2mP7vR4tY8wL3nB6cF1\n  key: |\n    -----BEGIN RSA PRIVATE KEY-----\n    MIIEowIBAAKCAQEA\n    -----END RSA PRIVATE KEY-----\n  url: postgres://admin:S3cret@db/todo\n```\ndone";
        for size in [1, 3, 7, 64, 1000] {
            let out = stream(text, size);
            assert_eq!(
                out,
                "Here it is:\n```yaml\ndata:\n  OPENAI_API_KEY: \"<redacted:api-key>\"\nenv:\n  - name: DB_PASSWORD\n    value: <redacted:secret-value>\n  key: |\n    <redacted:private-key>\n  url: postgres://admin:<redacted:url-password>@db/todo\n```\ndone",
                "chunks of {size}"
            );
        }
    }
}
