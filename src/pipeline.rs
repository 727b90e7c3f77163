//! The only place that orders the stages:
//! `PromptRef → Template → FilledPrompt → Response → Artifacts → Diagnostics → ChangeSet → Diff → Commit`.
//!
//! `prepare` takes one job to a `Staged` result and writes nothing. `apply`
//! writes a ChangeSet atomically, records it in the lock and the cache, and
//! makes one commit. Every mode (generate, regen, review, session) uses both.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use crate::backend::{self, Answerer, Broker, Request, Response, Turn};
use crate::error::Error;
use crate::extract;
use crate::fill::{self, FilledPrompt};
use crate::library::{Library, Template};
use crate::lock::LockEntry;
use crate::repo;
use crate::settings::Settings;
use crate::stage::{Attempt, Staged, StagedFile, Timings};
use crate::validate::contract::Contract;
use crate::validate::diagnostic::Diagnostic;
use crate::validate::{Checks, Validator, secrets};

mod apply;
pub(crate) mod derive;
pub mod record;
mod restore;

use apply::target_roots;
pub use apply::{Applied, ApplyOptions, apply};
use restore::context_for;
pub(crate) use restore::missing_from_cache;

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

/// The jobs of a regen: named prompts, or every locked artifact's prompt at its locked version.
pub fn locked_jobs(
    ctx: &Context,
    lock: &crate::lock::Lockfile,
    ids: &[String],
) -> Result<Vec<Job>, Error> {
    let refs: Vec<crate::library::PromptRef> = if ids.is_empty() {
        lock.prompt_ids()
            .into_iter()
            .map(|id| crate::library::PromptRef { id, version: None })
            .collect()
    } else {
        ids.iter().map(|s| s.parse()).collect::<Result<_, _>>()?
    };
    let mut out = Vec::new();
    for r in refs {
        let locked = lock.artifacts.iter().find(|a| a.prompt == r.id);
        let r = match (&r.version, locked) {
            (None, Some(l)) => crate::library::PromptRef {
                id: r.id.clone(),
                version: l.version.parse().ok(),
            },
            _ => r,
        };
        let template = ctx.library.resolve(&r)?;
        // A report (kagent's resource pass) is replayed by the values step, not rewritten.
        if ids.is_empty() && template.output == crate::artifact::OutputKind::Report {
            continue;
        }
        let prefer = locked
            .filter(|l| l.version == template.version.to_string())
            .map(|l| (l.answerer.backend.clone(), l.answerer.model.clone()));
        out.push(Job {
            template,
            sets: Vec::new(),
            prefer,
            manual: None,
        });
    }
    Ok(out)
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
    // Templates derived by the values step stand in as their manifests on record.
    let on_record = derive::manifests_on_record(ctx);
    let set = context_for(ctx, &routed, &on_record);
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
            let current = std::fs::read_to_string(ctx.settings.root.join(&path))
                .ok()
                .map(|disk| match on_record.get(&path) {
                    // A derived template: the answer is compared with the manifest it came from.
                    Some(m) if disk.contains("{{") => m.clone(),
                    _ => disk,
                });
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
pub(crate) fn route(t: &Template, text: &str) -> Routed {
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
pub(crate) struct Routed {
    pub(crate) files: Vec<(String, String)>,
    pub(crate) problems: Vec<String>,
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
    // What streams in is shown a line at a time, each line redacted.
    let stream = std::sync::Mutex::new(secrets::LineRedactor::default());
    let forward = |e: backend::Event| match e {
        backend::Event::Delta(d) => {
            let lines = stream.lock().map(|mut s| s.push(&d)).unwrap_or_default();
            if !lines.is_empty() {
                on(Stage::Backend(backend::Event::Delta(lines)));
            }
        }
        other => on(Stage::Backend(other)),
    };
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
        let rest = stream.lock().map(|mut s| s.finish()).unwrap_or_default();
        if !rest.is_empty() {
            on(Stage::Backend(backend::Event::Delta(rest)));
        }
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
            answerer: response.answerer.clone(),
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
                        answerer: response.answerer.clone(),
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
                    answerer: response.answerer,
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
        answerer: last
            .map(|a| a.answerer)
            .unwrap_or_else(|| Answerer::new("", None)),
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
    let answerer = base.answerer.edited();
    let (backend, model) = (answerer.backend.clone(), answerer.model.clone());
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
    if base.answerer.is_edited() && attempts.last().is_some_and(|a| a.hand_written) {
        attempts.pop();
    }
    attempts.push(Attempt {
        number: attempts.len() as u32 + 1,
        answerer: answerer.clone(),
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
                answerer: answerer.clone(),
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
        answerer,
        hand_written: true,
        timings: base.timings,
    })
}

/// The values step (between validation and the ChangeSet): the passing
/// jobs' chart manifests become Helm templates with `.Values` references, and
/// the chart's other derived files (values.yaml, values.schema.json, the
/// other templates) join the first chart job. See `crate::chartgen`.
pub fn derive_chart(ctx: &Context, jobs: &mut [Staged]) -> Result<(), Error> {
    derive::derive_into(ctx, jobs)
}

/// An answer with every credential replaced by its placeholder: the one
/// secret heuristic over the whole text, plus the values found in its
/// manifests' structure (an env var's `value` under a secret-like `name`).
pub(crate) fn redact(
    output: crate::artifact::OutputKind,
    text: &str,
) -> (String, Vec<secrets::Kind>) {
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

pub use crate::backend::adapter::EDITED;

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
/// Subject, body, and trailers naming prompt@version, backend and model. Only
/// the jobs whose files changed are named, and only their changed files are
/// listed and counted (a job that changed nothing is not in the commit).
pub fn commit_message(jobs: &[&Staged], adopted: &[String]) -> String {
    let changed: Vec<&Staged> = jobs
        .iter()
        .copied()
        .filter(|s| s.files.iter().any(|f| f.changed()))
        .collect();
    let jobs: &[&Staged] = if changed.is_empty() { jobs } else { &changed };
    let files = |s: &&Staged| -> Vec<String> {
        let all = s.files.iter().all(|f| !f.changed());
        s.files
            .iter()
            .filter(|f| all || f.changed())
            .map(|f| f.path.clone())
            .collect()
    };
    let count: usize = jobs.iter().map(|s| files(s).len()).sum();
    let subject = match jobs {
        [one] => format!("dockhand: generate {}", one.template.reference()),
        _ => format!(
            "dockhand: regenerate {count} artifact{}",
            if count == 1 { "" } else { "s" }
        ),
    };
    let mut body = String::new();
    for s in jobs {
        for path in files(s) {
            body.push_str(&format!(
                "- {} ({} attempt{})\n",
                path,
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
            s.answerer.backend,
            if s.hand_written {
                " (hand-written)"
            } else {
                ""
            }
        ));
        trailers.push_str(&format!(
            "Dockhand-Model: {}\n",
            s.answerer.model.as_deref().unwrap_or("none")
        ));
    }
    format!("{subject}\n\n{body}\n{trailers}")
}
