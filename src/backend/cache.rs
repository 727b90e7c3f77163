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
    root: PathBuf,
    dir: PathBuf,
}

impl Cache {
    pub fn new(root: &Path) -> Cache {
        Cache {
            root: root.to_owned(),
            dir: root.join(CACHE_DIR),
        }
    }

    /// Refuse a cache folder, or an entry in it, that resolves outside the
    /// repository (a symlink): its answers would be replayed from, and new
    /// ones written to, a place no commit holds.
    pub(crate) fn confined(&self, entry: Option<&Path>) -> Result<(), Error> {
        let Ok(root) = self.root.canonicalize() else {
            return Ok(());
        };
        let outside = |path: &Path| -> Option<Error> {
            let real = path.canonicalize().ok()?;
            (!real.starts_with(&root)).then(|| Error::CacheOutside {
                path: path.strip_prefix(&self.root).unwrap_or(path).to_owned(),
                real,
            })
        };
        // `.dockhand` itself, the cache folder, then the entry.
        let folders = [self.root.join(".dockhand"), self.dir.clone()];
        for p in folders.iter().map(PathBuf::as_path).chain(entry) {
            if let Some(e) = outside(p) {
                return Err(e);
            }
        }
        Ok(())
    }

    /// Every readable entry in the cache folder, with its path relative to the root.
    pub(crate) fn entries(&self) -> Result<Vec<(PathBuf, CacheEntry)>, Error> {
        self.confined(None)?;
        let read = match std::fs::read_dir(&self.dir) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(Error::Io {
                    path: self.dir.clone(),
                    source,
                });
            }
        };
        let mut keys: Vec<String> = read
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter_map(|n| n.strip_suffix(".json").map(str::to_owned))
            .collect();
        keys.sort();
        let mut out = Vec::new();
        for key in keys {
            match self.get(&key) {
                Ok(Some(entry)) => out.push((Cache::rel_path(&key), entry)),
                // An entry that leads outside is refused; one that is broken
                // is as good as absent here (a lookup of its key says why).
                Err(e @ Error::CacheOutside { .. }) => return Err(e),
                Ok(None) | Err(_) => {}
            }
        }
        Ok(out)
    }

    /// Path relative to the root for an entry, as committed.
    pub fn rel_path(key: &str) -> PathBuf {
        Path::new(CACHE_DIR).join(format!("{key}.json"))
    }

    pub fn get(&self, key: &str) -> Result<Option<CacheEntry>, Error> {
        let path = self.dir.join(format!("{key}.json"));
        self.confined(Some(&path))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str) -> CacheEntry {
        CacheEntry {
            key: key.to_owned(),
            prompt: "a@1.0.0".to_owned(),
            backend: "manual".to_owned(),
            model: None,
            hand_written: true,
            response: "answer".to_owned(),
        }
    }

    #[test]
    fn entries_skip_a_broken_one_and_refuse_a_folder_outside() {
        let root = tempfile::tempdir().unwrap();
        let cache = Cache::new(root.path());
        std::fs::create_dir_all(root.path().join(CACHE_DIR)).unwrap();
        let good = entry("aa");
        std::fs::write(
            root.path().join(Cache::rel_path("aa")),
            Cache::render(&good),
        )
        .unwrap();
        std::fs::write(root.path().join(Cache::rel_path("bb")), "{ broken").unwrap();
        assert_eq!(
            cache.entries().unwrap(),
            vec![(Cache::rel_path("aa"), good)]
        );
        assert!(matches!(cache.get("bb"), Err(Error::Config { .. })));

        let outside = tempfile::tempdir().unwrap();
        std::fs::remove_dir_all(root.path().join(CACHE_DIR)).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join(CACHE_DIR)).unwrap();
        let err = cache.entries().unwrap_err();
        assert!(
            matches!(&err, Error::CacheOutside { path, .. } if path == Path::new(CACHE_DIR)),
            "{err:?}"
        );
    }
}
