//! The values step as a pipeline stage: after validation, the staged
//! manifests under the chart's `templates/` become templates, and the chart's
//! other derived files (the other templates, values.yaml, values.schema.json)
//! join the ChangeSet, so that the dirty check, review, `regen --check`, the
//! lock and the commit cover them like any artifact.

use std::collections::BTreeMap;
use std::path::Path;

use super::Context;
use super::record::{self, Answers};
use crate::chartgen::{Chart, ResourceChange, SCHEMA_FILE, VALUES_FILE};
use crate::error::Error;
use crate::lock::{LockEntry, Lockfile};
use crate::stage::{Staged, StagedFile};

/// Where the chart is, from `[policies] chart_dir`.
pub struct ChartDir {
    pub dir: String,
    pub name: String,
}

impl ChartDir {
    /// The configured chart, when it has a Chart.yaml with a name.
    pub fn of(ctx: &Context) -> Option<ChartDir> {
        let dir = ctx
            .settings
            .policies
            .chart_dir
            .trim_end_matches('/')
            .to_owned();
        let text = std::fs::read_to_string(ctx.settings.root.join(&dir).join("Chart.yaml")).ok()?;
        let parsed = crate::validate::yaml::parse(&text);
        let name = parsed.documents.first()?.root.get_str("name")?.to_owned();
        Some(ChartDir { dir, name })
    }
    pub fn templates(&self) -> String {
        format!("{}/templates/", self.dir)
    }
    pub fn values(&self) -> String {
        format!("{}/{VALUES_FILE}", self.dir)
    }
    pub fn schema(&self) -> String {
        format!("{}/{SCHEMA_FILE}", self.dir)
    }
    fn holds_template(&self, path: &str) -> bool {
        path.starts_with(&self.templates()) && (path.ends_with(".yaml") || path.ends_with(".yml"))
    }
}

/// Derive the chart from the manifests on record, with the passing staged
/// manifests in place of theirs. `overrides` replace the lock's recorded
/// resource changes when given.
pub fn derive_with(
    ctx: &Context,
    chart: &ChartDir,
    jobs: &[Staged],
    overrides: Option<&[ResourceChange]>,
) -> Result<Chart, Error> {
    let root = &ctx.settings.root;
    let lock = Lockfile::read(root)?;
    let answers = Answers::load(root);
    let mut manifests: BTreeMap<String, String> =
        record::manifests(root, &ctx.library, &lock, &answers, &chart.templates());
    for s in jobs.iter().filter(|s| s.passed()) {
        for f in s.files.iter().filter(|f| chart.holds_template(&f.path)) {
            manifests.insert(f.path.clone(), f.content.clone());
        }
    }
    let recorded;
    let changes = match overrides {
        Some(c) => c,
        None => {
            recorded = record::resource_changes(&ctx.library, &lock, &answers, &chart.values());
            &recorded
        }
    };
    Ok(crate::chartgen::derive(&chart.name, &manifests, changes))
}

/// The stage: rewrite the passing jobs' chart manifests into templates (and
/// their lock entries' `output_hash`), and add the chart's other derived files
/// that change to the first passing chart job, with their lock entries. Jobs
/// without a chart target are left alone.
pub fn derive_into(ctx: &Context, jobs: &mut [Staged]) -> Result<(), Error> {
    let Some(chart) = ChartDir::of(ctx) else {
        return Ok(());
    };
    let touches = |s: &Staged| s.passed() && s.files.iter().any(|f| chart.holds_template(&f.path));
    let Some(carrier) = jobs.iter().position(touches) else {
        return Ok(());
    };
    let derived = derive_with(ctx, &chart, jobs, None)?;
    let root = ctx.settings.root.clone();
    let lock = Lockfile::read(&root)?;
    let mut owned: Vec<String> = Vec::new();
    for s in jobs.iter_mut().filter(|s| s.passed()) {
        for f in s.files.iter_mut().filter(|f| chart.holds_template(&f.path)) {
            if let Some(t) = derived.templates.get(&f.path) {
                f.content = t.clone();
                f.current = std::fs::read_to_string(root.join(&f.path)).ok();
                owned.push(f.path.clone());
                for l in s.lock.iter_mut().filter(|l| l.path == f.path) {
                    l.output_hash = crate::hash::tagged(t.as_bytes());
                }
            }
        }
    }
    let mut extra: Vec<(String, String)> = derived
        .templates
        .iter()
        .filter(|(p, _)| !owned.contains(p))
        .map(|(p, t)| (p.clone(), t.clone()))
        .collect();
    extra.push((chart.values(), derived.values.clone()));
    extra.push((chart.schema(), derived.schema.clone()));
    let s = &mut jobs[carrier];
    // Derived files are pinned like the others (outside git, an edit by hand
    // is told by its hash): an entry of their own, else the carrier's answer.
    let model = s
        .lock
        .iter()
        .find(|l| chart.holds_template(&l.path))
        .cloned();
    for (path, content) in extra {
        let file = derived_file(&root, &path, content);
        let output_hash = crate::hash::tagged(file.content.as_bytes());
        match lock.artifacts.iter().find(|a| a.path == path) {
            Some(entry) if entry.output_hash != output_hash => s.lock.push(LockEntry {
                output_hash,
                ..entry.clone()
            }),
            Some(_) => {}
            None => {
                if let Some(m) = &model {
                    s.lock.push(LockEntry {
                        path: path.clone(),
                        output_hash,
                        ..m.clone()
                    });
                }
            }
        }
        // Only what changes joins the set (and the commit's list of files).
        if file.changed() {
            s.files.push(file);
        }
    }
    Ok(())
}

/// A derived file beside what is on disk now.
pub fn derived_file(root: &Path, path: &str, content: String) -> StagedFile {
    StagedFile {
        path: path.to_owned(),
        current: std::fs::read_to_string(root.join(path)).ok(),
        content,
        diagnostics: Vec::new(),
    }
}

/// The chart's manifests on record (lock + cache), for the cross-resource
/// policies that need a template's siblings as manifests.
pub fn manifests_on_record(ctx: &Context) -> BTreeMap<String, String> {
    let Some(chart) = ChartDir::of(ctx) else {
        return BTreeMap::new();
    };
    let root = &ctx.settings.root;
    let Ok(lock) = Lockfile::read(root) else {
        return BTreeMap::new();
    };
    record::manifests(
        root,
        &ctx.library,
        &lock,
        &Answers::load(root),
        &chart.templates(),
    )
}
