//! The folder Gordon runs in (`docker ai -C DIR`): a temporary copy of the build-context files
//! the prompt names (`requirements.txt`, `package.json`, … when they exist in the project),
//! and nothing else of the project. Gordon may write the Dockerfile there instead of printing
//! it: [`Workdir::written_dockerfile`] diffs the folder against what was put in.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

/// Extensions (and names) of files that can be part of a build context.
const CONTEXT_EXTENSIONS: &[&str] = &[
    "txt", "json", "toml", "lock", "yaml", "yml", "cfg", "ini", "mod", "sum", "js", "mjs", "cjs",
    "ts", "py", "xml", "gradle",
];
const CONTEXT_NAMES: &[&str] = &["Pipfile", "Gemfile", ".dockerignore", "Makefile"];
/// Folders never searched for context files.
const SKIP_DIRS: &[&str] = &["target", "node_modules", "charts", "schemas", "prompts"];
const MAX_DEPTH: usize = 4;

/// File names the prompt mentions that could be build context: `requirements.txt`,
/// `backend/package.json`, `pyproject.toml`, … (in order, without duplicates).
pub fn named_files(prompt: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for raw in prompt.split(|c: char| c.is_whitespace() || "`'\"()[]{},;<>".contains(c)) {
        let tok = raw.trim_end_matches(['.', ':', '!', '?']);
        if tok.is_empty() || tok.contains("://") || tok.contains(':') {
            continue;
        }
        let name = tok.rsplit('/').next().unwrap_or(tok);
        let ext_ok = name
            .rsplit_once('.')
            .is_some_and(|(stem, ext)| !stem.is_empty() && CONTEXT_EXTENSIONS.contains(&ext));
        if (ext_ok || CONTEXT_NAMES.contains(&name)) && !out.iter().any(|o| o == tok) {
            out.push(tok.to_owned());
        }
    }
    out
}

/// Where a named file is in the project: the path itself when it has a folder, else the
/// shallowest file of that name (hidden folders and build output skipped).
pub fn find_in_project(root: &Path, name: &str) -> Option<PathBuf> {
    let rel = Path::new(name);
    if rel.is_absolute()
        || rel
            .components()
            .any(|c| matches!(c, Component::ParentDir | Component::RootDir))
    {
        return None;
    }
    let direct = root.join(rel);
    if direct.is_file() {
        return Some(direct);
    }
    if rel.components().count() > 1 {
        return None;
    }
    let mut level = vec![root.to_owned()];
    for _ in 0..MAX_DEPTH {
        let mut next = Vec::new();
        let mut found = Vec::new();
        for dir in &level {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                let fname = e.file_name().to_string_lossy().into_owned();
                if p.is_dir() {
                    if !fname.starts_with('.') && !SKIP_DIRS.contains(&fname.as_str()) {
                        next.push(p);
                    }
                } else if fname == name {
                    found.push(p);
                }
            }
        }
        found.sort();
        if let Some(f) = found.into_iter().next() {
            return Some(f);
        }
        next.sort();
        level = next;
    }
    None
}

/// A temporary working folder for one `docker ai` run.
#[derive(Debug)]
pub struct Workdir {
    dir: tempfile::TempDir,
    /// What was put in: path relative to the folder → content.
    before: BTreeMap<PathBuf, Vec<u8>>,
}

impl Workdir {
    /// A fresh folder holding copies of the context files `prompt` names that exist under
    /// `root`, each under the name the prompt uses.
    pub fn new(root: &Path, prompt: &str) -> std::io::Result<Workdir> {
        let dir = tempfile::Builder::new()
            .prefix("dockhand-gordon-")
            .tempdir()?;
        let mut before = BTreeMap::new();
        for name in named_files(prompt) {
            let Some(src) = find_in_project(root, &name) else {
                continue;
            };
            let rel = PathBuf::from(Path::new(&name).file_name().unwrap_or_default());
            if before.contains_key(&rel) {
                continue;
            }
            let bytes = std::fs::read(&src)?;
            std::fs::write(dir.path().join(&rel), &bytes)?;
            before.insert(rel, bytes);
        }
        Ok(Workdir { dir, before })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Put a file in the folder (it counts as unchanged until Gordon changes it).
    pub fn put(&mut self, rel: &str, bytes: &[u8]) -> std::io::Result<()> {
        std::fs::write(self.dir.path().join(rel), bytes)?;
        self.before.insert(PathBuf::from(rel), bytes.to_vec());
        Ok(())
    }

    /// Files that are new or changed since [`Workdir::new`], relative paths, sorted.
    pub fn changes(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        let mut stack = vec![self.dir.path().to_owned()];
        while let Some(d) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                    continue;
                }
                let rel = p.strip_prefix(self.dir.path()).unwrap_or(&p).to_owned();
                let Ok(bytes) = std::fs::read(&p) else {
                    continue;
                };
                if self.before.get(&rel) != Some(&bytes) {
                    out.push((rel, bytes));
                }
            }
        }
        out.sort();
        out
    }

    /// The Dockerfile Gordon wrote into the folder (`Dockerfile`, `*.Dockerfile`,
    /// `Dockerfile.*`; the shallowest), if it wrote one.
    pub fn written_dockerfile(&self) -> Option<(String, String)> {
        let is_dockerfile = |p: &Path| {
            let n = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            n == "Dockerfile"
                || n == "Containerfile"
                || n.starts_with("Dockerfile.")
                || n.ends_with(".Dockerfile")
                || n.ends_with(".dockerfile")
        };
        self.changes()
            .into_iter()
            .filter(|(p, _)| is_dockerfile(p))
            .min_by_key(|(p, _)| (p.components().count(), p.clone()))
            .map(|(p, b)| {
                (
                    p.to_string_lossy().into_owned(),
                    String::from_utf8_lossy(&b).into_owned(),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_files_a_prompt_names() {
        assert_eq!(
            named_files(
                "Stage 1: install all dependencies from requirements.txt with pip. Copy package.json and \
                 `frontend/package-lock.json`, then next.config.js. CMD uvicorn backend.main:app --host 0.0.0.0. \
                 See https://example.com/x.json. Twice: requirements.txt"
            ),
            vec![
                "requirements.txt",
                "package.json",
                "frontend/package-lock.json",
                "next.config.js"
            ]
        );
        assert_eq!(
            named_files("Write a Dockerfile for Python 3.11"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn copies_what_exists_and_sees_what_gordon_wrote() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("backend")).unwrap();
        std::fs::write(root.path().join("backend/requirements.txt"), "fastapi\n").unwrap();
        std::fs::write(root.path().join("secret.env"), "TOKEN=x\n").unwrap();
        let w = Workdir::new(
            root.path(),
            "Install requirements.txt and package.json; use ../secret.env",
        )
        .unwrap();
        let names: Vec<_> = std::fs::read_dir(w.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["requirements.txt"]);
        assert_eq!(w.changes(), Vec::new());
        assert_eq!(w.written_dockerfile(), None);
        std::fs::write(w.path().join("Dockerfile"), "FROM python:3.11-slim\n").unwrap();
        std::fs::write(w.path().join("requirements.txt"), "fastapi\nuvicorn\n").unwrap();
        assert_eq!(
            w.written_dockerfile(),
            Some(("Dockerfile".into(), "FROM python:3.11-slim\n".into()))
        );
        assert_eq!(w.changes().len(), 2);
        let p = w.path().to_owned();
        drop(w);
        assert!(!p.exists());
    }
}
