//! `dockhand.lock`: one entry per artifact, pinning how it was made.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::backend::Answerer;
use crate::error::Error;
use crate::settings::line_of;

pub const LOCK_FILE: &str = "dockhand.lock";

/// The lock format this dockhand writes and understands.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockEntry {
    /// Target path, relative to the root.
    pub path: String,
    pub prompt: String,
    pub version: String,
    pub template_hash: String,
    pub vars_hash: String,
    /// Who answered (`backend`, `model`).
    #[serde(flatten)]
    pub answerer: Answerer,
    /// True when the answer was supplied by hand, not by an assistant.
    #[serde(default)]
    pub hand_written: bool,
    pub response_hash: String,
    pub output_hash: String,
    /// How many answers it took (1 + repairs).
    #[serde(default = "one")]
    pub attempts: u32,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lockfile {
    pub version: u32,
    #[serde(default, rename = "artifact")]
    pub artifacts: Vec<LockEntry>,
}

impl Lockfile {
    pub fn read(root: &Path) -> Result<Lockfile, Error> {
        let path = root.join(LOCK_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Lockfile {
                    version: VERSION,
                    artifacts: Vec::new(),
                });
            }
            Err(source) => return Err(Error::Io { path, source }),
        };
        Lockfile::parse(&text, &path)
    }

    /// Parse a lock's text (`path` names it in errors). A newer format version
    /// is refused before the rest is read: its fields may mean other things.
    pub fn parse(text: &str, path: &Path) -> Result<Lockfile, Error> {
        #[derive(Deserialize)]
        struct Head {
            version: toml::Spanned<u64>,
        }
        let broken = |e: toml::de::Error| Error::Lock {
            line: e.span().map(|s| line_of(text, s.start)).unwrap_or(1),
            message: e.message().to_owned(),
            path: path.to_owned(),
        };
        let head: Head = toml::from_str(text).map_err(broken)?;
        if *head.version.get_ref() > u64::from(VERSION) {
            return Err(Error::LockVersion {
                path: path.to_owned(),
                line: line_of(text, head.version.span().start),
                found: *head.version.get_ref(),
                supported: VERSION,
            });
        }
        toml::from_str(text).map_err(broken)
    }

    /// The entry for a target path.
    pub fn entry(&self, path: &str) -> Option<&LockEntry> {
        self.artifacts.iter().find(|a| a.path == path)
    }

    /// Replace the entries for the given paths; keep the rest; sort by path.
    pub fn upsert(&mut self, entries: impl IntoIterator<Item = LockEntry>) {
        for e in entries {
            self.artifacts.retain(|a| a.path != e.path);
            self.artifacts.push(e);
        }
        self.artifacts.sort_by(|a, b| a.path.cmp(&b.path));
        self.version = VERSION;
    }

    pub fn render(&self) -> String {
        let mut s = String::from(
            "# dockhand.lock: how each artifact was made. Written by dockhand; do not edit.\n",
        );
        s.push_str(&toml::to_string(self).expect("lockfile serializes"));
        s
    }

    /// Locked prompt ids, in order of first appearance.
    pub fn prompt_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for a in &self.artifacts {
            if !ids.contains(&a.prompt) {
                ids.push(a.prompt.clone());
            }
        }
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENTRY: &str = "[[artifact]]\npath = \"charts/a.yaml\"\nprompt = \"a\"\nversion = \"1.0.0\"\ntemplate_hash = \"t\"\nvars_hash = \"v\"\nbackend = \"manual\"\nresponse_hash = \"r\"\noutput_hash = \"o\"\n";

    #[test]
    fn reads_its_own_version() {
        let lock =
            Lockfile::parse(&format!("version = 1\n{ENTRY}"), Path::new("dockhand.lock")).unwrap();
        assert_eq!(lock.entry("charts/a.yaml").map(|e| e.attempts), Some(1));
        let rendered = lock.render();
        assert_eq!(
            Lockfile::parse(&rendered, Path::new("dockhand.lock")).unwrap(),
            lock
        );
    }

    #[test]
    fn a_future_version_is_refused_with_its_line_even_if_the_rest_changed_shape() {
        let text = "# dockhand.lock\nversion = 2\n[[artifact]]\nwhere = 3\n";
        let err = Lockfile::parse(text, Path::new("dockhand.lock")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "dockhand.lock:2: lock format version 2 is newer than this dockhand understands (up to 1); upgrade dockhand"
        );
    }

    #[test]
    fn a_broken_lock_names_its_line() {
        let text = format!("version = 1\n{}", ENTRY.replace("path = ", "path == "));
        let err = Lockfile::parse(&text, Path::new("dockhand.lock")).unwrap_err();
        assert!(matches!(err, Error::Lock { line: 3, .. }), "{err:?}");
    }
}
