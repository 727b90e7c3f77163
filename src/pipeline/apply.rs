//! The last step: the passing jobs of a ChangeSet written as one unit, then
//! one commit.

use super::{Context, commit_message};
use crate::error::Error;
use crate::lock::{LockEntry, Lockfile};
use crate::repo::{self, Repo};
use crate::stage::{ChangeSet, Staged};

/// Options for the last step.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApplyOptions {
    pub commit: bool,
    /// Overwrite targets that have uncommitted changes.
    pub force: bool,
}

#[derive(Debug, Default)]
pub struct Applied {
    /// The files this run wrote (artifacts, cache entries, the lock).
    pub written: Vec<String>,
    /// Files an earlier `--no-commit` run wrote that this commit took with it,
    /// because the lock it commits holds their entries.
    pub adopted: Vec<String>,
    pub commit: Option<String>,
}

/// Write the passing jobs of a ChangeSet as one unit: artifacts, cache entries
/// and the lock (see [`repo::write_all`]); then one commit of exactly the paths
/// the run stands for. If the commit fails, the files are restored.
pub fn apply(ctx: &Context, set: &ChangeSet, opts: ApplyOptions) -> Result<Applied, Error> {
    use crate::backend::cache::Cache;
    let root = &ctx.settings.root;
    let repo = if opts.commit {
        Some(Repo::open(root).ok_or_else(|| Error::NotARepo { root: root.clone() })?)
    } else {
        Repo::open(root)
    };
    let jobs: Vec<&Staged> = set.jobs.iter().filter(|s| s.passed()).collect();
    let cache = Cache::new(root);
    cache.confined(None)?;
    // A folder on the way may have become a symlink since `prepare` checked.
    for s in &jobs {
        for f in &s.files {
            repo::confine(
                root,
                &s.template.reference(),
                &f.path,
                target_roots(s.template.output),
            )?;
        }
    }
    let lock_now = Lockfile::read(root)?;
    // Refuse before writing anything: a target with the user's own edits.
    if !opts.force {
        for s in &jobs {
            for f in s.files.iter().filter(|f| f.changed()) {
                if let Some(current) = &f.current {
                    refuse_edited(repo.as_ref(), &lock_now, &f.path, current)?;
                }
            }
        }
    }
    // The unit: every changed artifact, every new cache entry, the lock.
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut ours: Vec<String> = Vec::new();
    for s in &jobs {
        for f in &s.files {
            ours.push(f.path.clone());
            if f.changed() {
                files.push((f.path.clone(), f.content.clone().into_bytes()));
            }
        }
        for entry in &s.cache {
            let rel = Cache::rel_path(&entry.key).to_string_lossy().into_owned();
            // A hand-written answer is keyed by the prompt alone: the newest one wins.
            let text = Cache::render(entry);
            let on_disk = std::fs::read_to_string(root.join(&rel)).ok();
            let replace = on_disk.is_none()
                || (entry.hand_written && on_disk.as_deref() != Some(text.as_str()));
            if replace && !files.iter().any(|(p, _)| *p == rel) {
                files.push((rel.clone(), text.into_bytes()));
            }
            ours.push(rel);
        }
    }
    let mut lock = lock_now.clone();
    for s in &jobs {
        lock.upsert(s.lock.iter().cloned());
    }
    if lock != lock_now {
        files.push((
            crate::lock::LOCK_FILE.to_owned(),
            lock.render().into_bytes(),
        ));
    }
    // What the commit takes: this run's paths, and the lock when this run's
    // entries differ from HEAD's. Entries of an earlier uncommitted run in that
    // lock come whole (their files and cache entries), or the run is refused.
    let mut adopted = Vec::new();
    if opts.commit
        && let Some(repo) = &repo
    {
        let head = match repo.at_head(crate::lock::LOCK_FILE) {
            Some(text) => Lockfile::parse(&text, std::path::Path::new("HEAD:dockhand.lock"))?,
            None => Lockfile::default(),
        };
        let mine: Vec<&LockEntry> = jobs.iter().flat_map(|s| s.lock.iter()).collect();
        if mine.iter().any(|e| head.entry(&e.path) != Some(*e)) {
            ours.push(crate::lock::LOCK_FILE.to_owned());
            let pending: Vec<&LockEntry> = lock
                .artifacts
                .iter()
                .filter(|e| !mine.iter().any(|m| m.path == e.path))
                .filter(|e| head.entry(&e.path) != Some(*e))
                .collect();
            adopted = adopt(root, &cache, &pending)?;
        }
    }
    let mut written = repo::write_all(root, &files)?;
    let mut applied = Applied {
        written: written.paths(),
        adopted,
        commit: None,
    };
    // No passing job: nothing of this run to commit (and `git commit --only`
    // without paths would take whatever else is staged).
    if opts.commit && !ours.is_empty() {
        let repo = repo.expect("checked above");
        let mut paths: Vec<String> = ours;
        paths.extend(applied.adopted.iter().cloned());
        let mut seen = std::collections::BTreeSet::new();
        paths.retain(|p| seen.insert(p.clone()));
        let message = commit_message(&jobs, &applied.adopted);
        let committed =
            repo.index_of(&paths)
                .and_then(|saved| match repo.commit_paths(&paths, &message) {
                    Ok(c) => Ok(c),
                    Err(e) => {
                        let _ = repo.restore_index(&paths, &saved);
                        Err(e)
                    }
                });
        match committed {
            Ok(c) => applied.commit = c,
            Err(e) => {
                let restored = written.rollback();
                return Err(Error::CommitFailed {
                    source: Box::new(e),
                    restored,
                });
            }
        }
    }
    Ok(applied)
}

/// Where a prompt's targets may live.
pub(super) fn target_roots(output: crate::artifact::OutputKind) -> &'static [&'static str] {
    if output == crate::artifact::OutputKind::Report {
        repo::REPORT_ROOTS
    } else {
        repo::ARTIFACT_ROOTS
    }
}

/// A target's current content is the user's own when it no longer matches the
/// output hash dockhand.lock records for it (or the lock has no entry for it)
/// and, in git, it has uncommitted changes. (What an earlier `--no-commit` run
/// wrote is dockhand's, not the user's.)
fn refuse_edited(
    repo: Option<&Repo>,
    lock: &Lockfile,
    path: &str,
    current: &str,
) -> Result<(), Error> {
    let as_locked = lock
        .entry(path)
        .is_some_and(|e| e.output_hash == crate::hash::tagged(current.as_bytes()));
    match repo {
        _ if as_locked => Ok(()),
        Some(repo) if repo.is_dirty(path)? => Err(Error::DirtyTarget { path: path.into() }),
        Some(_) => Ok(()),
        None => match lock.entry(path) {
            None => Err(Error::Unrecorded { path: path.into() }),
            Some(e) if e.output_hash != crate::hash::tagged(current.as_bytes()) => {
                Err(Error::HandEdited { path: path.into() })
            }
            Some(_) => Ok(()),
        },
    }
}

/// The files and cache entries of lock entries an earlier run left
/// uncommitted: each file must match its entry, and some cache entry must hold
/// its answer. Returns the paths to commit with them, or refuses naming what is
/// missing.
fn adopt(
    root: &std::path::Path,
    cache: &crate::backend::cache::Cache,
    pending: &[&LockEntry],
) -> Result<Vec<String>, Error> {
    use crate::error::PendingProblem;
    if pending.is_empty() {
        return Ok(Vec::new());
    }
    let entries = cache.entries()?;
    let mut paths = Vec::new();
    let mut problems = Vec::new();
    for e in pending {
        match std::fs::read(root.join(&e.path)) {
            Err(_) => problems.push((e.path.clone(), PendingProblem::FileMissing)),
            Ok(b) if crate::hash::tagged(&b) != e.output_hash => {
                problems.push((e.path.clone(), PendingProblem::FileEdited))
            }
            Ok(_) => paths.push(e.path.clone()),
        }
        let reference = format!("{}@{}", e.prompt, e.version);
        let same_prompt: Vec<&(std::path::PathBuf, crate::backend::cache::CacheEntry)> = entries
            .iter()
            .filter(|(_, c)| c.prompt == reference)
            .collect();
        if !same_prompt
            .iter()
            .any(|(_, c)| crate::hash::tagged(c.response.as_bytes()) == e.response_hash)
        {
            problems.push((e.path.clone(), PendingProblem::NoCacheEntry));
        }
        paths.extend(
            same_prompt
                .iter()
                .map(|(p, _)| p.to_string_lossy().into_owned()),
        );
    }
    if !problems.is_empty() {
        return Err(Error::PendingLock { pending: problems });
    }
    paths.sort();
    paths.dedup();
    Ok(paths)
}
