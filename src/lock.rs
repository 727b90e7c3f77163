//! `dockhand.lock`: one entry per artifact, pinning how it was made.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::settings::line_of;

pub const LOCK_FILE: &str = "dockhand.lock";

/// The lock format this dockhand reads and writes.
pub const LOCK_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockEntry {
    /// Target path, relative to the root.
    pub path: String,
    pub prompt: String,
    pub version: String,
    pub template_hash: String,
    pub vars_hash: String,
    pub backend: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
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
                    version: LOCK_VERSION,
                    artifacts: Vec::new(),
                });
            }
            Err(source) => return Err(Error::Io { path, source }),
        };
        let lock: Lockfile = toml::from_str(&text).map_err(|e| Error::Lock {
            line: e.span().map(|s| line_of(&text, s.start)).unwrap_or(1),
            message: e.message().to_owned(),
            path: path.clone(),
        })?;
        if lock.version != LOCK_VERSION {
            let line = text
                .lines()
                .position(|l| l.trim_start().starts_with("version"))
                .map_or(1, |i| i + 1);
            let message = if lock.version > LOCK_VERSION {
                format!(
                    "lock version {} was written by a newer dockhand; this one reads version {LOCK_VERSION}: upgrade dockhand (the lock is left as it is)",
                    lock.version
                )
            } else {
                format!(
                    "lock version {} is not one dockhand knows (this one reads version {LOCK_VERSION})",
                    lock.version
                )
            };
            return Err(Error::Lock {
                path,
                line,
                message,
            });
        }
        Ok(lock)
    }

    /// Who answered for an entry.
    pub fn answerer_of(entry: &LockEntry) -> crate::backend::Answerer {
        crate::backend::Answerer::new(entry.backend.clone(), entry.model.clone())
    }

    /// Replace the entries for the given paths; keep the rest; sort by path.
    pub fn upsert(&mut self, entries: impl IntoIterator<Item = LockEntry>) {
        for e in entries {
            self.artifacts.retain(|a| a.path != e.path);
            self.artifacts.push(e);
        }
        self.artifacts.sort_by(|a, b| a.path.cmp(&b.path));
        self.version = LOCK_VERSION;
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

    #[test]
    fn a_lock_from_a_newer_dockhand_is_refused_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let text = "# dockhand.lock\nversion = 2\n";
        std::fs::write(dir.path().join(LOCK_FILE), text).unwrap();
        let e = Lockfile::read(dir.path()).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}:2: lock version 2 was written by a newer dockhand; this one reads version 1: upgrade dockhand (the lock is left as it is)",
                dir.path().join(LOCK_FILE).display()
            )
        );
        std::fs::write(dir.path().join(LOCK_FILE), "version = 1\n").unwrap();
        assert_eq!(Lockfile::read(dir.path()).unwrap().version, 1);
        std::fs::write(dir.path().join(LOCK_FILE), "version = 0\n").unwrap();
        assert!(Lockfile::read(dir.path()).is_err());
    }
}
