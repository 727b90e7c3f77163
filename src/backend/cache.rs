//! The response cache: every answer dockhand used, kept in the repo under
//! `.dockhand/cache/`, keyed by a hash of exactly what was asked (backend,
//! model, messages). Replaying it makes regeneration reproducible offline.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Turn;
use crate::error::Error;

pub const CACHE_DIR: &str = ".dockhand/cache";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheEntry {
    pub key: String,
    pub prompt: String,
    pub backend: String,
    #[serde(default)]
    pub model: Option<String>,
    /// True when a person supplied this answer (`--response-file`), not an assistant.
    #[serde(default)]
    pub hand_written: bool,
    pub response: String,
}

/// The cache key of one question to one backend.
pub fn key(backend: &str, model: Option<&str>, messages: &[Turn]) -> String {
    let canonical = serde_json::json!({
        "backend": backend,
        "model": model.unwrap_or(""),
        "messages": messages,
    });
    crate::hash::sha256_hex(canonical.to_string().as_bytes())
}

#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    pub fn new(root: &Path) -> Cache {
        Cache {
            dir: root.join(CACHE_DIR),
        }
    }

    /// Path relative to the root for an entry, as committed.
    pub fn rel_path(key: &str) -> PathBuf {
        Path::new(CACHE_DIR).join(format!("{key}.json"))
    }

    pub fn get(&self, key: &str) -> Result<Option<CacheEntry>, Error> {
        let path = self.dir.join(format!("{key}.json"));
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| Error::Config {
                    path,
                    line: e.line(),
                    message: format!("broken cache entry: {e}"),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(Error::Io { path, source }),
        }
    }

    /// Serialized form written to disk (pretty JSON, trailing newline).
    pub fn render(entry: &CacheEntry) -> String {
        let mut s = serde_json::to_string_pretty(entry).expect("cache entry serializes");
        s.push('\n');
        s
    }
}
