//! The only place that orders the stages:
//! `PromptRef → Template → FilledPrompt → Response → Artifacts → Diagnostics → ChangeSet → Diff → Commit`.
//!
//! `prepare` takes one job to a `Staged` result and writes nothing. `apply`
//! writes a ChangeSet atomically, records it in the lock and the cache, and
//! makes one commit. Every mode (generate, regen, review, session) uses both.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use crate::backend::{self, Broker, Request, Response, Turn};
use crate::error::Error;
use crate::extract;
use crate::fill::{self, FilledPrompt};
use crate::library::{Library, Template};
use crate::lock::{LockEntry, Lockfile};
use crate::repo::{self, Repo};
use crate::settings::Settings;
use crate::stage::{Attempt, ChangeSet, Staged, StagedFile, Timings};
use crate::validate::contract::Contract;
use crate::validate::diagnostic::Diagnostic;
use crate::validate::{Checks, Validator, secrets};

/// What a run needs, built once: settings, the library, the broker, the validator.
pub struct Context {
    pub settings: Settings,
    pub library: Library,
    pub broker: Broker,
    pub validator: Validator,
    /// Artifacts of the set being regenerated that are missing on disk, as the
    /// lock and the cache reproduce them (see [`missing_from_cache`]): the
    /// cross-resource checks see them in place of the missing files.
    pub restore: BTreeMap<String, String>,
}

impl Context {
    pub fn new(settings: Settings) -> Result<Context, Error> {
        // Answers replayed from, or written to, outside the repository: refused up front.
        crate::backend::cache::Cache::new(&settings.root).confined(None)?;
        let library = Library::load(&settings.root)?;
        let validator = Validator::new(settings.validator_config(None))?;
        let broker = Broker::new(&settings);
        Ok(Context {
            settings,
            library,
            broker,
            validator,
            restore: BTreeMap::new(),
        })
    }
}

/// One thing to generate.
#[derive(Debug, Clone)]
pub struct Job {
    pub template: Arc<Template>,
    pub sets: Vec<String>,
    /// Replay this backend/model's cached answer first (from the lock).
    pub prefer: Option<(String, Option<String>)>,
    /// A hand-written answer to use instead of asking (`--response-file`).
    pub manual: Option<String>,
}

/// The stage a job is in, for progress displays.
#[derive(Debug, Clone)]
pub enum Stage {
    Filling,
    Waiting { attempt: u32 },
    Backend(backend::Event),
    Extracting,
    Validating,
    Repairing { attempt: u32, errors: usize },
}

/// Fill the job's prompt with dockhand.toml values and its `--set`s.
pub fn fill(
    ctx: &Context,
    template: &Arc<Template>,
    sets: &[String],
) -> Result<FilledPrompt, Error> {
    let values = ctx.settings.values_for(&template.id);
    let own = ctx
        .settings
        .prompt_vars
        .get(&template.id)
        .cloned()
        .unwrap_or_default();
    fill::fill(template, &values, &own, &ctx.settings.config_path, sets)
}

/// The follow-up sent when an answer has error-level findings.
pub fn repair_message(files: &[StagedFile]) -> String {
    let mut out = String::from(
        "Your answer does not pass validation. Fix every problem below and answer again with the complete corrected artifact, in the same form.\n",
    );
    for f in files {
        let errors: Vec<&Diagnostic> = f.diagnostics.iter().filter(|d| d.is_error()).collect();
        if errors.is_empty() {
            continue;
        }
        out.push_str(&format!("\nProblems in {}:\n", f.path));
        for d in errors {
            out.push_str(&format!("- line {}: [{}] {}\n", d.line, d.code, d.message));
        }
        out.push_str(&format!(
            "\nThe artifact ({}):\n```\n{}```\n",
            f.path, f.content
        ));
    }
    out
}

/// The other manifests beside the targets (the chart's other templates, as on
/// disk, and those of the set being regenerated that are missing on disk, from
/// the cache), so that cross-resource policies see the whole set.
fn context_for(ctx: &Context, routed: &[(String, String)]) -> Vec<(String, String)> {
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
    let mut out: Vec<(String, String)> = routed.to_vec();
    out.extend(
        beside
            .into_iter()
            .filter(|(rel, text)| !routed.iter().any(|(p, _)| p == rel) && !text.contains("{{")),
    );
    out
}

/// The locked artifacts missing on disk, as the lock's record in the cache
/// reproduces them: the answer whose hash the lock holds, extracted and routed
/// like a fresh one, kept only when it hashes to the lock's output hash.
pub fn missing_from_cache(
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

/// Split the extracted text over the template's targets and validate each file.
fn artifacts(
    ctx: &Context,
    t: &Template,
    contract: Option<&Contract>,
    text: &str,
) -> Result<Vec<StagedFile>, Error> {
    let Routed {
        files: routed,
        problems,
    } = route(t, text);
    let set = context_for(ctx, &routed);
    let mut files: Vec<StagedFile> = routed
        .iter()
        .map(|(path, content)| {
            let context: Vec<(String, String)> =
                set.iter().filter(|(p, _)| p != path).cloned().collect();
            let checks = Checks {
                // The prompt's expectations are its contract, checked below.
                expect: None,
                policies: &t.policies,
                context: &context,
            };
            let (path, content) = (path.clone(), content.clone());
            let diagnostics = if t.output == crate::artifact::OutputKind::Helm {
                ctx.validator
                    .check_in_chart(&ctx.settings.root, &path, &content, &checks)
            } else {
                ctx.validator.check(t.output, &path, &content, &checks)
            };
            let current = std::fs::read_to_string(ctx.settings.root.join(&path)).ok();
            StagedFile {
                path,
                content,
                diagnostics,
                current,
            }
        })
        .collect();
    if let Some(contract) = contract {
        let inputs: Vec<(&str, &str, &[String])> = routed
            .iter()
            .map(|(path, content)| {
                let kinds = t
                    .targets
                    .iter()
                    .find(|tg| tg.path == *path)
                    .map_or(&[][..], |tg| &tg.kinds[..]);
                (path.as_str(), content.as_str(), kinds)
            })
            .collect();
        for (i, d) in ctx.validator.check_contract(t.output, contract, &inputs) {
            files[i].diagnostics.push(d);
        }
        for f in &mut files {
            f.diagnostics.sort_by_key(|d| (d.line, d.column));
        }
    }
    // What did not fit the targets is a finding (sent back for repair), on the
    // first file, or on the first target when nothing fitted at all.
    if !problems.is_empty() {
        if files.is_empty() {
            let path = t.targets[0].path.clone();
            let current = std::fs::read_to_string(ctx.settings.root.join(&path)).ok();
            files.push(StagedFile {
                path,
                content: String::new(),
                diagnostics: Vec::new(),
                current,
            });
        }
        for p in problems {
            files[0].diagnostics.push(Diagnostic::error(
                "extract/targets",
                crate::validate::diagnostic::Pos::new(1, 1),
                p,
            ));
        }
    }
    Ok(files)
}

/// With one target, everything goes there; with several, YAML documents go to
/// the target whose `kinds` list their kind.
fn route(t: &Template, text: &str) -> Routed {
    if t.targets.len() == 1 {
        return Routed {
            files: vec![(t.targets[0].path.clone(), text.to_owned())],
            problems: Vec::new(),
        };
    }
    let mut out: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let mut problems = Vec::new();
    for doc in split_documents(text) {
        let kind = doc
            .lines()
            .find_map(|l| l.strip_prefix("kind:"))
            .map(|k| k.trim().trim_matches('"').to_owned())
            .unwrap_or_default();
        match t
            .targets
            .iter()
            .position(|tg| tg.kinds.iter().any(|k| k == &kind))
        {
            Some(i) => out.entry(i).or_default().push(doc),
            None => problems.push(if kind.is_empty() {
                "the answer has a document without `kind`, which no target takes".to_owned()
            } else {
                format!("the answer has a {kind}, which no target of this prompt takes")
            }),
        }
    }
    for (i, tg) in t.targets.iter().enumerate() {
        if !out.contains_key(&i) {
            problems.push(format!(
                "the answer has no {} for {}",
                tg.kinds.join(" or "),
                tg.path
            ));
        }
    }
    Routed {
        files: out
            .into_iter()
            .map(|(i, docs)| (t.targets[i].path.clone(), docs.join("---\n")))
            .collect(),
        problems,
    }
}

/// An answer split over a prompt's targets, and what did not fit.
struct Routed {
    files: Vec<(String, String)>,
    problems: Vec<String>,
}

/// The documents of a YAML stream, as text, without their `---` lines.
pub fn split_documents(text: &str) -> Vec<String> {
    let mut docs = vec![String::new()];
    for line in text.split_inclusive('\n') {
        if line.trim_end() == "---" {
            docs.push(String::new());
        } else {
            docs.last_mut().expect("one doc").push_str(line);
        }
    }
    docs.into_iter()
        .filter(|d| {
            d.lines()
                .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        })
        .collect()
}

/// Fill → ask → extract → validate, repairing up to the configured number of
/// attempts. Writes nothing.
pub async fn prepare(
    ctx: &Context,
    job: Job,
    on: &(dyn Fn(Stage) + Send + Sync),
) -> Result<Staged, Error> {
    prepare_conversation(ctx, job, Vec::new(), on)
        .await
        .map(|(staged, _)| staged)
}

/// `prepare` for a conversation (`dockhand session`): `history` holds the
/// earlier turns (the filled prompt, the answers, the user's feedback) and
/// must end with a user turn; it is sent in place of the freshly filled prompt
/// (the prompt is still filled, for its checks and `vars_hash`). An empty
/// history is `prepare`. Also returns the whole conversation, ending with the
/// final answer, to continue it.
pub async fn prepare_conversation(
    ctx: &Context,
    job: Job,
    history: Vec<Turn>,
    on: &(dyn Fn(Stage) + Send + Sync),
) -> Result<(Staged, Vec<Turn>), Error> {
    let started = Instant::now();
    let t = job.template.clone();
    for target in &t.targets {
        repo::confine(
            &ctx.settings.root,
            &t.reference(),
            &target.path,
            target_roots(t.output),
        )?;
    }
    on(Stage::Filling);
    let filled = fill(ctx, &t, &job.sets)?;
    let mut request = Request {
        prompt: t.reference(),
        tool: t.tool,
        output: t.output,
        agent: t.agent.clone(),
        turns: if history.is_empty() {
            vec![Turn::user(filled.text.clone())]
        } else {
            history
        },
        prefer: job.prefer.clone(),
        targets: t.targets.iter().map(|x| x.path.clone()).collect(),
    };
    let max_attempts = 1 + ctx.settings.repair_attempts;
    let mut attempts: Vec<Attempt> = Vec::new();
    let mut records = Vec::new();
    let mut previous: Option<String> = None;
    let mut timings = Timings::default();
    let mut manual = job.manual;
    let forward = |e: backend::Event| on(Stage::Backend(e));
    loop {
        let number = attempts.len() as u32 + 1;
        on(Stage::Waiting { attempt: number });
        let asked = Instant::now();
        let mut response: Response = match manual.take() {
            Some(text) => ctx.broker.manual(&request, text),
            None => match ctx.broker.ask(&request, &forward).await {
                Ok(r) => r,
                // A repair that no backend can answer ends the loop with the last findings.
                Err(e) if number > 1 => {
                    if let Some(last) = attempts.last_mut() {
                        last.note = Some(format!("repair not possible: {e}"));
                    }
                    break;
                }
                Err(e) => return Err(e),
            },
        };
        timings.backend_ms += asked.elapsed().as_millis();
        // A credential in the answer is replaced by a placeholder before the
        // answer goes anywhere: the terminal, the conversation, the cache.
        // The placeholder is a finding, so the answer cannot pass.
        let (redacted, found) = redact(t.output, &response.text);
        if !found.is_empty() {
            response.text = redacted;
            if let Some(r) = &mut response.record {
                r.response = response.text.clone();
            }
        }
        if let Some(r) = &response.record {
            records.push(r.clone());
        }
        on(Stage::Extracting);
        let checked = Instant::now();
        let files = match extract::extract(t.output, &response.text) {
            Ok(x) => {
                on(Stage::Validating);
                artifacts(ctx, &t, filled.contract.as_ref(), &x.text)?
            }
            Err(e) => nothing_found(ctx, &t, &e),
        };
        timings.validate_ms += checked.elapsed().as_millis();
        let errors: usize = files.iter().map(StagedFile::errors).sum();
        let warnings: usize = files.iter().map(|f| f.diagnostics.len() - f.errors()).sum();
        let joined: String = files.iter().map(|f| f.content.as_str()).collect();
        let same_again = previous.as_deref() == Some(joined.as_str());
        attempts.push(Attempt {
            number,
            backend: response.backend.clone(),
            model: response.model.clone(),
            from_cache: response.from_cache,
            hand_written: response.hand_written,
            errors,
            warnings,
            note: same_again.then(|| "the same artifact came back; stopping".to_owned()),
        });
        let done = errors == 0 || same_again || number >= max_attempts;
        if done {
            let lock = if errors == 0 {
                files
                    .iter()
                    .map(|f| LockEntry {
                        path: f.path.clone(),
                        prompt: t.id.clone(),
                        version: t.version.to_string(),
                        template_hash: t.content_hash.clone(),
                        vars_hash: filled.vars_hash.clone(),
                        backend: response.backend.clone(),
                        model: response.model.clone(),
                        hand_written: response.hand_written,
                        response_hash: crate::hash::tagged(response.text.as_bytes()),
                        output_hash: crate::hash::tagged(f.content.as_bytes()),
                        attempts: number,
                    })
                    .collect()
            } else {
                Vec::new()
            };
            timings.total_ms = started.elapsed().as_millis();
            request.turns.push(Turn::assistant(response.text.clone()));
            return Ok((
                Staged {
                    template: t.clone(),
                    files,
                    attempts,
                    lock,
                    cache: records,
                    backend: response.backend,
                    model: response.model,
                    hand_written: response.hand_written,
                    timings,
                },
                request.turns,
            ));
        }
        on(Stage::Repairing {
            attempt: number + 1,
            errors,
        });
        previous = Some(joined);
        request.turns.push(Turn::assistant(response.text.clone()));
        request.turns.push(Turn::user(repair_message(&files)));
    }
    // Reached when a repair could not be asked: report the last findings.
    let last = attempts.last().cloned();
    timings.total_ms = started.elapsed().as_millis();
    let files = artifacts_from_last(ctx, &t, filled.contract.as_ref(), &request)?;
    // The unanswered repair request is not part of the conversation.
    if request
        .turns
        .last()
        .is_some_and(|t| t.role == backend::Role::User)
        && request.turns.len() > 1
    {
        request.turns.pop();
    }
    let staged = Staged {
        template: t,
        files,
        lock: Vec::new(),
        cache: Vec::new(),
        backend: last.as_ref().map(|a| a.backend.clone()).unwrap_or_default(),
        model: last.and_then(|a| a.model),
        hand_written: false,
        attempts,
        timings,
    };
    Ok((staged, request.turns))
}

/// A person's edit of a staged answer (`dockhand session`'s Edit), routed and
/// validated like an answer. Recorded honestly, never as the assistant's
/// answer: backend `<backend>+edited` and `hand_written = true` in the lock,
/// the cache and the commit trailer. The cache entry holds the edited artifact,
/// keyed like a hand-written answer to the job's filled prompt under that
/// backend name, so that `regen` replays the edited artifact.
pub fn hand_edited(ctx: &Context, job: &Job, base: &Staged, text: &str) -> Result<Staged, Error> {
    let t = job.template.clone();
    let filled = fill(ctx, &t, &job.sets)?;
    let (text, _) = redact(t.output, text);
    let text = text.as_str();
    let files = artifacts(ctx, &t, filled.contract.as_ref(), text)?;
    let backend = if base.backend.ends_with(EDITED) {
        base.backend.clone()
    } else {
        format!("{}{EDITED}", base.backend)
    };
    let model = base.model.clone();
    let key = crate::backend::cache::key(
        &backend,
        model.as_deref(),
        &[Turn::user(filled.text.clone())],
    );
    let mut cache: Vec<_> = base
        .cache
        .iter()
        .filter(|e| e.key != key)
        .cloned()
        .collect();
    cache.push(crate::backend::cache::CacheEntry {
        key,
        prompt: t.reference(),
        backend: backend.clone(),
        model: model.clone(),
        hand_written: true,
        response: text.to_owned(),
    });
    let errors: usize = files.iter().map(StagedFile::errors).sum();
    let warnings: usize = files.iter().map(|f| f.diagnostics.len() - f.errors()).sum();
    let mut attempts = base.attempts.clone();
    // Editing an edit is still one edit by hand.
    if base.backend.ends_with(EDITED) && attempts.last().is_some_and(|a| a.hand_written) {
        attempts.pop();
    }
    attempts.push(Attempt {
        number: attempts.len() as u32 + 1,
        backend: backend.clone(),
        model: model.clone(),
        from_cache: false,
        hand_written: true,
        errors,
        warnings,
        note: Some("edited by hand".to_owned()),
    });
    let lock = if errors == 0 {
        files
            .iter()
            .map(|f| LockEntry {
                path: f.path.clone(),
                prompt: t.id.clone(),
                version: t.version.to_string(),
                template_hash: t.content_hash.clone(),
                vars_hash: filled.vars_hash.clone(),
                backend: backend.clone(),
                model: model.clone(),
                hand_written: true,
                response_hash: crate::hash::tagged(text.as_bytes()),
                output_hash: crate::hash::tagged(f.content.as_bytes()),
                attempts: attempts.len() as u32,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(Staged {
        template: t,
        files,
        attempts,
        lock,
        cache,
        backend,
        model,
        hand_written: true,
        timings: base.timings,
    })
}

/// An answer with every credential replaced by its placeholder: the one
/// secret heuristic over the whole text, plus the values found in its
/// manifests' structure (an env var's `value` under a secret-like `name`).
fn redact(output: crate::artifact::OutputKind, text: &str) -> (String, Vec<secrets::Kind>) {
    let structured: Vec<(String, secrets::Kind)> = match output {
        crate::artifact::OutputKind::Kubernetes | crate::artifact::OutputKind::Helm => {
            match extract::extract(output, text) {
                Ok(x) => secrets::in_manifests(&crate::validate::yaml::parse(&x.text).documents)
                    .into_iter()
                    .map(|f| (f.literal, f.kind))
                    .collect(),
                Err(_) => Vec::new(),
            }
        }
        _ => Vec::new(),
    };
    secrets::redact(text, &structured)
}

/// The suffix of the backend name of an artifact a person edited after the assistant answered.
pub const EDITED: &str = "+edited";

/// The targets, unchanged, each with the one finding that the answer held no artifact.
fn nothing_found(ctx: &Context, t: &Template, e: &extract::ExtractError) -> Vec<StagedFile> {
    t.targets
        .iter()
        .map(|tg| StagedFile {
            path: tg.path.clone(),
            content: String::new(),
            diagnostics: vec![Diagnostic::error(
                "extract/nothing-found",
                crate::validate::diagnostic::Pos::new(1, 1),
                e.to_string(),
            )],
            current: std::fs::read_to_string(ctx.settings.root.join(&tg.path)).ok(),
        })
        .collect()
}

/// Re-derive the last answer's files (the loop ended before a new answer came).
fn artifacts_from_last(
    ctx: &Context,
    t: &Template,
    contract: Option<&Contract>,
    request: &Request,
) -> Result<Vec<StagedFile>, Error> {
    let last = request
        .turns
        .iter()
        .rev()
        .find(|t| t.role == backend::Role::Assistant)
        .map(|t| t.content.as_str())
        .unwrap_or("");
    match extract::extract(t.output, last) {
        Ok(x) => artifacts(ctx, t, contract, &x.text),
        Err(e) => Ok(nothing_found(ctx, t, &e)),
    }
}

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
            Some(text) => Lockfile::parse(&text, &root.join(crate::lock::LOCK_FILE))?,
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
    if opts.commit {
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
fn target_roots(output: crate::artifact::OutputKind) -> &'static [&'static str] {
    if output == crate::artifact::OutputKind::Report {
        repo::REPORT_ROOTS
    } else {
        repo::ARTIFACT_ROOTS
    }
}

/// A target's current content is the user's own when, in git, it has
/// uncommitted changes; outside git, when it no longer matches the output hash
/// dockhand.lock recorded for it (or the lock has no entry for it).
fn refuse_edited(
    repo: Option<&Repo>,
    lock: &Lockfile,
    path: &str,
    current: &str,
) -> Result<(), Error> {
    match repo {
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

/// Subject, body, and trailers naming prompt@version, backend and model.
pub fn commit_message(jobs: &[&Staged], adopted: &[String]) -> String {
    let subject = match jobs {
        [one] => format!("dockhand: generate {}", one.template.reference()),
        many => format!("dockhand: regenerate {} artifacts", many.len()),
    };
    let mut body = String::new();
    for s in jobs {
        for f in &s.files {
            body.push_str(&format!(
                "- {} ({} attempt{})\n",
                f.path,
                s.attempts.len(),
                if s.attempts.len() == 1 { "" } else { "s" }
            ));
        }
    }
    if !adopted.is_empty() {
        body.push_str("\nWith what an earlier --no-commit run wrote, which this lock records:\n");
        for p in adopted {
            body.push_str(&format!("- {p}\n"));
        }
    }
    let mut trailers = String::new();
    for s in jobs {
        trailers.push_str(&format!("Dockhand-Prompt: {}\n", s.template.reference()));
        trailers.push_str(&format!(
            "Dockhand-Backend: {}{}\n",
            s.backend,
            if s.hand_written {
                " (hand-written)"
            } else {
                ""
            }
        ));
        trailers.push_str(&format!(
            "Dockhand-Model: {}\n",
            s.model.as_deref().unwrap_or("none")
        ));
    }
    format!("{subject}\n\n{body}\n{trailers}")
}
