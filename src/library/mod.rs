//! The prompt library: every `prompts/<tool>/*.md`, indexed by id and version.
//! `ID` resolves to the newest version, `ID@1.2.0` to a pinned one.

pub mod syntax;
pub mod template;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use template::{Target, Template, Tool, VarSpec, VarType};

use crate::error::Error;

pub const PROMPTS_DIR: &str = "prompts";

/// A reference to a prompt as a user writes it: `ID` or `ID@VERSION`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptRef {
    pub id: String,
    pub version: Option<semver::Version>,
}

impl std::str::FromStr for PromptRef {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.split_once('@') {
            None => Ok(PromptRef {
                id: s.to_owned(),
                version: None,
            }),
            Some((id, v)) => {
                let version = semver::Version::parse(v.trim_start_matches('v')).map_err(|e| {
                    Error::Usage(format!("`{s}`: `{v}` is not a semver version ({e})"))
                })?;
                Ok(PromptRef {
                    id: id.to_owned(),
                    version: Some(version),
                })
            }
        }
    }
}

impl std::fmt::Display for PromptRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.version {
            Some(v) => write!(f, "{}@{v}", self.id),
            None => f.write_str(&self.id),
        }
    }
}

#[derive(Debug, Default)]
pub struct Library {
    /// id → version → template.
    prompts: BTreeMap<String, BTreeMap<semver::Version, Arc<Template>>>,
}

impl Library {
    /// Read every prompt under `<root>/prompts`. Any broken prompt is an error
    /// naming its file and line; so is a duplicate id@version.
    pub fn load(root: &Path) -> Result<Library, Error> {
        let dir = root.join(PROMPTS_DIR);
        let mut files = Vec::new();
        if dir.is_dir() {
            walk(&dir, &mut files)?;
        }
        files.sort();
        let mut lib = Library::default();
        for file in files {
            let rel = file.strip_prefix(root).unwrap_or(&file).to_owned();
            let text = std::fs::read_to_string(&file).map_err(|source| Error::Io {
                path: file.clone(),
                source,
            })?;
            let template = template::parse(&rel, &text)?;
            check_folder(&rel, &template, &text)?;
            check_policies(&rel, &template, &text)?;
            syntax::check_syntax(&template)?;
            let versions = lib.prompts.entry(template.id.clone()).or_default();
            if let Some(first) = versions.get(&template.version) {
                return Err(Error::DuplicatePrompt {
                    reference: template.reference(),
                    first: first.path.clone(),
                    second: rel,
                    line: 1 + text
                        .lines()
                        .position(|l| l.trim_start().starts_with("version"))
                        .unwrap_or(0),
                });
            }
            versions.insert(template.version.clone(), Arc::new(template));
        }
        Ok(lib)
    }

    pub fn resolve(&self, r: &PromptRef) -> Result<Arc<Template>, Error> {
        let not_found = || {
            let known: Vec<String> = self
                .prompts
                .iter()
                .flat_map(|(id, vs)| vs.keys().map(move |v| format!("{id}@{v}")))
                .collect();
            Error::PromptNotFound {
                reference: r.to_string(),
                suggestions: self.nearest(r),
                known,
            }
        };
        let versions = self.prompts.get(&r.id).ok_or_else(not_found)?;
        match &r.version {
            None => versions.values().next_back().cloned().ok_or_else(not_found),
            Some(v) => versions.get(v).cloned().ok_or_else(not_found),
        }
    }

    /// The known references nearest to a mistyped one: IDs within a small
    /// edit distance (`strsim`), or the versions of the ID when only the
    /// version is wrong. At most three, nearest first.
    pub fn nearest(&self, r: &PromptRef) -> Vec<String> {
        if let Some(versions) = self.prompts.get(&r.id) {
            return versions
                .keys()
                .rev()
                .take(3)
                .map(|v| format!("{}@{v}", r.id))
                .collect();
        }
        let mut scored: Vec<(usize, &String)> = self
            .prompts
            .keys()
            .map(|id| (strsim::damerau_levenshtein(&r.id, id), id))
            .filter(|(d, id)| *d <= (id.len().max(r.id.len()) / 3).max(2))
            .collect();
        scored.sort();
        scored
            .into_iter()
            .take(3)
            .map(|(_, id)| id.clone())
            .collect()
    }

    pub fn get(&self, reference: &str) -> Result<Arc<Template>, Error> {
        self.resolve(&reference.parse()?)
    }

    /// Every template, by id then version (oldest first).
    pub fn all(&self) -> impl Iterator<Item = &Arc<Template>> {
        self.prompts.values().flat_map(|vs| vs.values())
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Io {
        path: dir.to_owned(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| Error::Io {
            path: dir.to_owned(),
            source,
        })?;
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "md") {
            out.push(path);
        }
    }
    Ok(())
}

/// Every policy a prompt names must exist.
fn check_policies(rel: &Path, t: &Template, text: &str) -> Result<(), Error> {
    for name in &t.policies {
        if crate::validate::policy::find(name).is_none() {
            let known: Vec<&str> = crate::validate::policy::POLICIES
                .iter()
                .map(|p| p.name)
                .collect();
            return Err(Error::Prompt {
                path: rel.to_owned(),
                line: 1 + text
                    .lines()
                    .position(|l| l.trim_start().starts_with("policies"))
                    .unwrap_or(0),
                message: format!("unknown policy `{name}` (known: {})", known.join(", ")),
            });
        }
    }
    Ok(())
}

/// A prompt lives under `prompts/<its tool>/`.
fn check_folder(rel: &Path, t: &Template, text: &str) -> Result<(), Error> {
    let folder = rel.iter().nth(1).and_then(|s| s.to_str()).unwrap_or("");
    if rel.iter().count() < 3 || folder != t.tool.as_str() {
        return Err(Error::Prompt {
            path: rel.to_owned(),
            line: 1 + text
                .lines()
                .position(|l| l.trim_start().starts_with("tool"))
                .unwrap_or(0),
            message: format!(
                "a prompt for `{}` belongs under prompts/{}/",
                t.tool, t.tool
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every "seed §N" a prompt cites is a section of docs/decisions.md, and
    /// no file of the repository points outside it at the research note.
    #[test]
    fn cited_decisions_live_in_the_repo() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let lib = Library::load(root).unwrap();
        let decisions = std::fs::read_to_string(root.join("docs/decisions.md")).unwrap();
        let mut cited = 0;
        for t in lib.all() {
            let Some((_, refs)) = t.description.split_once("(seed ") else {
                continue;
            };
            for n in refs.trim_end_matches(')').split(", ") {
                let heading = format!("\n## {n} ");
                assert!(
                    decisions.contains(&heading),
                    "{}: {n} is not in docs/decisions.md",
                    t.reference()
                );
                cited += 1;
            }
        }
        assert!(cited >= 14, "{cited}");
        let listed = std::process::Command::new("git")
            .args(["ls-files", "-z"])
            .current_dir(root)
            .output();
        let Some(listed) = listed.ok().filter(|o| o.status.success()) else {
            return;
        };
        let mut outside = Vec::new();
        for rel in listed.stdout.split(|b| *b == 0).filter(|r| !r.is_empty()) {
            let rel = String::from_utf8_lossy(rel).into_owned();
            if let Ok(text) = std::fs::read_to_string(root.join(&rel))
                && text.contains(concat!("../shared", "/seed"))
            {
                outside.push(rel);
            }
        }
        assert_eq!(outside, Vec::<String>::new());
    }
}
