//! A silenced finding, as dockhand.toml's `[[ignore]]` writes it. Its own
//! module so that `settings` (which reads it) and `validate` (which applies
//! it) both use it without depending on each other.

use serde::Deserialize;

/// A silenced finding: `[[ignore]] code = "..." path = "..." reason = "..."`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Ignore {
    pub code: String,
    /// Glob-free path prefix, relative to the root; empty means everywhere.
    #[serde(default)]
    pub path: String,
    pub reason: String,
}
