//! What the cross-resource checks see beside an artifact: the other files on
//! disk, and the artifacts of the set being regenerated that are missing on
//! disk, as the lock and the cache reproduce them.

use std::collections::BTreeMap;

use super::{Context, route};
use crate::error::Error;
use crate::extract;
use crate::lock::{LockEntry, Lockfile};

/// The other manifests beside the targets (the chart's other templates, as on
/// disk, and those of the set being regenerated that are missing on disk, from
/// the cache), so that cross-resource policies see the whole set. A chart
/// template derived by the values step stands in as its manifest on record.
pub(super) fn context_for(
    ctx: &Context,
    routed: &[(String, String)],
    on_record: &BTreeMap<String, String>,
) -> Vec<(String, String)> {
    use std::path::Path;
    let mut dirs: Vec<std::path::PathBuf> = routed
        .iter()
        .filter_map(|(p, _)| Path::new(p).parent().map(|d| d.to_owned()))
        .collect();
    dirs.sort();
    dirs.dedup();
    let is_yaml = |n: &str| n.ends_with(".yaml") || n.ends_with(".yml");
    let mut beside: BTreeMap<String, String> = BTreeMap::new();
    for dir in &dirs {
        if let Ok(entries) = std::fs::read_dir(ctx.settings.root.join(dir)) {
            for name in entries
                .filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| is_yaml(n))
            {
                let rel = dir.join(&name).to_string_lossy().into_owned();
                if let Ok(text) = std::fs::read_to_string(ctx.settings.root.join(&rel)) {
                    beside.insert(rel, text);
                }
            }
        }
        for (rel, text) in &ctx.restore {
            if Path::new(rel).parent() == Some(dir.as_path()) && is_yaml(rel) {
                beside.entry(rel.clone()).or_insert_with(|| text.clone());
            }
        }
    }
    for (rel, m) in on_record {
        if dirs
            .iter()
            .any(|d| Path::new(rel).parent() == Some(d.as_path()))
        {
            beside.entry(rel.clone()).or_insert_with(|| m.clone());
        }
    }
    let mut out: Vec<(String, String)> = routed.to_vec();
    out.extend(
        beside
            .into_iter()
            .filter(|(rel, _)| !routed.iter().any(|(p, _)| p == rel))
            .filter_map(|(rel, text)| {
                if !text.contains("{{") {
                    Some((rel, text))
                } else {
                    on_record.get(&rel).map(|m| (rel, m.clone()))
                }
            }),
    );
    out
}

/// The locked artifacts missing on disk, as the lock's record in the cache
/// reproduces them: the answer whose hash the lock holds, extracted and routed
/// like a fresh one, kept only when it hashes to the lock's output hash.
pub(crate) fn missing_from_cache(
    ctx: &Context,
    lock: &Lockfile,
) -> Result<BTreeMap<String, String>, Error> {
    let missing: Vec<&LockEntry> = lock
        .artifacts
        .iter()
        .filter(|e| std::fs::symlink_metadata(ctx.settings.root.join(&e.path)).is_err())
        .collect();
    let mut out = BTreeMap::new();
    if missing.is_empty() {
        return Ok(out);
    }
    let cache = crate::backend::cache::Cache::new(&ctx.settings.root).entries()?;
    for e in missing {
        let reference = crate::library::PromptRef {
            id: e.prompt.clone(),
            version: e.version.parse().ok(),
        };
        let Ok(t) = ctx.library.resolve(&reference) else {
            continue;
        };
        let Some((_, answer)) = cache.iter().find(|(_, c)| {
            c.prompt == t.reference()
                && crate::hash::tagged(c.response.as_bytes()) == e.response_hash
        }) else {
            continue;
        };
        let Ok(x) = extract::extract(t.output, &answer.response) else {
            continue;
        };
        if let Some((path, content)) = route(&t, &x.text)
            .files
            .into_iter()
            .find(|(p, c)| *p == e.path && crate::hash::tagged(c.as_bytes()) == e.output_hash)
        {
            out.insert(path, content);
        }
    }
    Ok(out)
}
