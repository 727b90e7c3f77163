//! Findings are data: every check in dockhand produces `Diagnostic`s, and the
//! renderers in `report/` decide how they look.

use serde::{Deserialize, Serialize};

/// How bad a finding is. Ordered so that `Error > Warning > Info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// A position in a text, both 1-based. Every node of a YAML tree carries
/// one, so it is kept small (a line or column past `u32::MAX` saturates).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Pos {
    line: u32,
    column: u32,
}

impl Pos {
    pub const fn new(line: usize, column: usize) -> Self {
        const fn small(n: usize) -> u32 {
            if n > u32::MAX as usize {
                u32::MAX
            } else {
                n as u32
            }
        }
        Pos {
            line: small(line),
            column: small(column),
        }
    }

    pub const fn line(self) -> usize {
        self.line as usize
    }

    pub const fn column(self) -> usize {
        self.column as usize
    }
}

/// One finding about one artifact. The file it belongs to is carried by the
/// enclosing `FileReport`, so that pure checks never need to know paths.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// Stable code, e.g. `schema/unknown-field`, `DL3006`, `policy/image-pull-never`.
    pub code: String,
    pub severity: Severity,
    pub message: String,
    #[serde(default)]
    pub hint: Option<String>,
    pub line: usize,
    pub column: usize,
    /// JSON pointer into the document (YAML artifacts only), e.g. `/spec/replicas`.
    #[serde(default)]
    pub pointer: Option<String>,
    /// Index of the YAML document within the file (0-based), when there are several.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub document: Option<usize>,
}

impl Diagnostic {
    pub fn new(
        code: impl Into<String>,
        severity: Severity,
        pos: Pos,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            code: code.into(),
            severity,
            message: message.into(),
            hint: None,
            line: pos.line(),
            column: pos.column(),
            pointer: None,
            document: None,
        }
    }

    pub fn error(code: impl Into<String>, pos: Pos, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Error, pos, message)
    }

    pub fn warning(code: impl Into<String>, pos: Pos, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Warning, pos, message)
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_pointer(mut self, pointer: impl Into<String>) -> Self {
        self.pointer = Some(pointer.into());
        self
    }

    pub fn with_document(mut self, document: usize) -> Self {
        self.document = Some(document);
        self
    }

    pub fn pos(&self) -> Pos {
        Pos::new(self.line, self.column)
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Escape one JSON-pointer reference token (RFC 6901).
pub fn pointer_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Append `/` and `token` (escaped as [`pointer_token`] does) to a JSON
/// pointer, without allocating unless the token needs escaping.
pub fn push_pointer_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    if token.bytes().any(|b| b == b'~' || b == b'/') {
        pointer.push_str(&pointer_token(token));
    } else {
        pointer.push_str(token);
    }
}
