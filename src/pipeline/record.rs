//! The manifests on record: what the lock and the response cache reproduce
//! for the chart's templates, without asking anyone. This is the one part of
//! the values step that reads files.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::backend::cache::{CACHE_DIR, CacheEntry};
use crate::library::{Library, PromptRef};
use crate::lock::Lockfile;

/// Cached answers by the hash of their text (the lock's `response_hash`).
pub struct Answers {
    by_hash: HashMap<String, CacheEntry>,
}

impl Answers {
    /// Every readable entry under `.dockhand/cache/` (broken ones are skipped:
    /// the broker reports them when it reads them).
    pub fn load(root: &Path) -> Answers {
        let mut by_hash = HashMap::new();
        let mut names: Vec<_> = std::fs::read_dir(root.join(CACHE_DIR))
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        names.sort();
        for path in names {
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            if let Ok(entry) = serde_json::from_str::<CacheEntry>(&text) {
                by_hash
                    .entry(crate::hash::tagged(entry.response.as_bytes()))
                    .or_insert(entry);
            }
        }
        Answers { by_hash }
    }

    pub fn get(&self, response_hash: &str) -> Option<&CacheEntry> {
        self.by_hash.get(response_hash)
    }
}

/// The manifest of every locked artifact under `templates_dir` (e.g.
/// `charts/todo-app/templates/`): its cached answer, extracted and routed as
/// the pipeline did. A plain manifest on disk (no `{{`) stands in for an
/// answer that is not in the cache.
pub fn manifests(
    root: &Path,
    library: &Library,
    lock: &Lockfile,
    answers: &Answers,
    templates_dir: &str,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for entry in lock
        .artifacts
        .iter()
        .filter(|a| a.path.starts_with(templates_dir))
    {
        let replayed = answers.get(&entry.response_hash).and_then(|answer| {
            let t = library
                .resolve(&PromptRef {
                    id: entry.prompt.clone(),
                    version: entry.version.parse().ok(),
                })
                .ok()?;
            let x = crate::extract::extract(t.output, &answer.response).ok()?;
            super::route(&t, &x.text)
                .files
                .into_iter()
                .find(|(p, _)| *p == entry.path)
                .map(|(_, text)| text)
        });
        let text = replayed.or_else(|| {
            std::fs::read_to_string(root.join(&entry.path))
                .ok()
                .filter(|t| !t.contains("{{"))
        });
        if let Some(text) = text {
            out.insert(entry.path.clone(), text);
        }
    }
    out
}

/// The resource changes accepted from `health --pass resources`: the lock's
/// entry for `values_rel` names the kagent report in the cache.
pub fn resource_changes(
    library: &Library,
    lock: &Lockfile,
    answers: &Answers,
    values_rel: &str,
) -> Vec<crate::chartgen::ResourceChange> {
    let Some(entry) = lock.artifacts.iter().find(|a| a.path == values_rel) else {
        return Vec::new();
    };
    let Some(answer) = answers.get(&entry.response_hash) else {
        return Vec::new();
    };
    // Only a report (kagent's resources pass) changes values; a manifest's
    // answer is already in the manifests.
    let is_report = library
        .resolve(&PromptRef {
            id: entry.prompt.clone(),
            version: entry.version.parse().ok(),
        })
        .is_ok_and(|t| t.output == crate::artifact::OutputKind::Report);
    if !is_report {
        return Vec::new();
    }
    let report = crate::extract::extract(crate::artifact::OutputKind::Report, &answer.response)
        .map(|x| x.text)
        .unwrap_or_else(|_| answer.response.clone());
    changes_from_report(&report)
}

/// A kagent report's suggested requests and limits, as resource changes.
pub fn changes_from_report(report: &str) -> Vec<crate::chartgen::ResourceChange> {
    let mut out = Vec::new();
    for s in crate::health::parse_resource_suggestions(report) {
        for (kind, resource, v) in [
            ("requests", "cpu", &s.requests_cpu),
            ("requests", "memory", &s.requests_memory),
            ("limits", "cpu", &s.limits_cpu),
            ("limits", "memory", &s.limits_memory),
        ] {
            if let Some(v) = v {
                out.push(crate::chartgen::ResourceChange {
                    workload: s.workload.clone(),
                    kind,
                    resource,
                    value: v.clone(),
                });
            }
        }
    }
    out
}
