//! `dockhand regen`: the lock's artifacts (or the named prompts) → parallel
//! prepare → check for drift, or apply them all in one commit.

use std::sync::Arc;

use futures_util::StreamExt;
use serde::Serialize;

use super::{Outcome, lock_wait};
use crate::cli::{ListFormat, RegenArgs};
use crate::error::Error;
use crate::lock::Lockfile;
use crate::pipeline::{self, ApplyOptions, Context, Stage};
use crate::repo::RunLock;
use crate::settings::Settings;
use crate::stage::{Attempt, ChangeSet, Staged, Timings};
use crate::ui::Ui;
use crate::validate::diagnostic::Diagnostic;

pub use crate::pipeline::locked_jobs as jobs;

#[derive(Debug, Serialize)]
struct ArtifactResult<'a> {
    prompt: String,
    path: &'a str,
    status: &'static str,
    /// Who answered (`backend`, `model`).
    #[serde(flatten)]
    answerer: &'a crate::backend::Answerer,
    hand_written: bool,
    attempts: &'a [Attempt],
    findings: &'a [Diagnostic],
    timings: Timings,
}

pub fn run(settings: Settings, args: &RegenArgs, ui: &Ui) -> Result<Outcome, Error> {
    let _lock = if args.check {
        RunLock::acquire_shared(&settings.root, lock_wait())?
    } else {
        Some(RunLock::acquire(&settings.root, lock_wait())?)
    };
    let mut ctx = Context::new(settings)?;
    let lock = Lockfile::read(&ctx.settings.root)?;
    // A deleted artifact: the others' cross-resource checks see it as the cache has it.
    ctx.restore = pipeline::missing_from_cache(&ctx, &lock)?;
    let ctx = Arc::new(ctx);
    let jobs = jobs(&ctx, &lock, &args.ids)?;
    if jobs.is_empty() {
        ui.out("nothing to regenerate: dockhand.lock has no artifacts\n");
        return Ok(Outcome::Clean);
    }
    let parallel = args
        .jobs
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
        })
        .max(1);
    let json = args.format == ListFormat::Json;
    let progress = super::progress::Progress::new(
        jobs.len(),
        !json && Ui::stderr_is_tty() && ui.verbosity >= 0,
        ui,
    );
    let rt = super::runtime()?;
    let results: Vec<(String, Result<Staged, Error>)> =
        super::block_on_interruptible(&rt, async {
            let stream =
                futures_util::stream::iter(jobs.into_iter().enumerate()).map(|(i, job)| {
                    let ctx = ctx.clone();
                    let progress = &progress;
                    async move {
                        let name = job.template.reference();
                        let line = progress.start(i, &name);
                        let on = |stage: Stage| progress.stage(&line, &stage);
                        let r = pipeline::prepare(&ctx, job, &on).await;
                        progress.finish(&line, &name, &r);
                        (name, r)
                    }
                });
            Ok(stream.buffer_unordered(parallel).collect::<Vec<_>>().await)
        })?;
    progress.done();

    let mut errors = 0;
    let mut could_not_run = Vec::new();
    let mut findings = false;
    let mut set = ChangeSet::default();
    let mut report = String::new();
    let mut statuses: Vec<(String, &'static str)> = Vec::new();
    for (name, r) in results {
        match r {
            Err(e) => {
                errors += 1;
                report.push_str(&format!(
                    "{}: {}\n",
                    ui.paint("1;31", "error"),
                    super::show::job_error(&name, &e)
                ));
                could_not_run.push(serde_json::json!({"prompt": name, "error": e.to_string()}));
            }
            Ok(s) => {
                if !s.passed() {
                    findings = true;
                }
                // Details for jobs that failed or needed repairs; all of them with -v.
                if !json && (!s.passed() || s.attempts.len() > 1 || ui.verbosity >= 1) {
                    report.push_str(&super::show::staged(ui, &s));
                }
                set.jobs.push(s);
            }
        }
    }
    set.jobs.sort_by(|a, b| a.template.id.cmp(&b.template.id));
    pipeline::derive_chart(&ctx, &mut set.jobs)?;
    let drift: Vec<&str> = set
        .jobs
        .iter()
        .filter(|s| s.passed())
        .flat_map(|s| {
            s.files
                .iter()
                .filter(|f| f.changed())
                .map(|f| f.path.as_str())
        })
        .collect();

    let outcome;
    if args.check {
        for s in &set.jobs {
            for f in &s.files {
                let st = if !s.passed() {
                    "failed"
                } else if f.changed() {
                    "drift"
                } else {
                    "up-to-date"
                };
                statuses.push((f.path.clone(), st));
            }
        }
        if !drift.is_empty() {
            report.push_str(&format!(
                "drift: {} file(s) differ from what the lock and cache reproduce:\n",
                drift.len()
            ));
            for d in &drift {
                report.push_str(&format!("  {d}\n"));
            }
        }
        outcome = if errors > 0 {
            None
        } else if findings || !drift.is_empty() {
            Some(Outcome::Findings)
        } else {
            Some(Outcome::Clean)
        };
    } else if (errors > 0 || findings) && !args.keep_going {
        report
            .push_str("nothing written: some jobs failed (use --keep-going to write the others)\n");
        for s in &set.jobs {
            for f in &s.files {
                statuses.push((
                    f.path.clone(),
                    if s.passed() { "not-written" } else { "failed" },
                ));
            }
        }
        outcome = if errors > 0 {
            None
        } else {
            Some(Outcome::Findings)
        };
    } else {
        let applied = pipeline::apply(
            &ctx,
            &set,
            ApplyOptions {
                commit: !args.no_commit,
                force: args.force,
            },
        )?;
        for s in &set.jobs {
            for f in &s.files {
                let st = if !s.passed() {
                    "failed"
                } else if applied.written.contains(&f.path) {
                    "written"
                } else {
                    "up-to-date"
                };
                statuses.push((f.path.clone(), st));
            }
        }
        let n = applied
            .written
            .iter()
            .filter(|w| {
                set.jobs
                    .iter()
                    .any(|s| s.files.iter().any(|f| &f.path == *w))
            })
            .count();
        let failed = set.jobs.iter().filter(|s| !s.passed()).count();
        let passed = set.jobs.len() - failed;
        report.push_str(&match (&applied.commit, n) {
            (None, 0) if passed == 0 => "nothing written: no job passed\n".to_owned(),
            (Some(c), 0) => format!(
                "up to date: every artifact matches; committed {}\n",
                &c[..c.len().min(12)]
            ),
            (None, 0) => "up to date: every artifact matches\n".to_owned(),
            (Some(c), n) => format!(
                "wrote {n} artifact(s); committed {}\n",
                &c[..c.len().min(12)]
            ),
            (None, n) if args.no_commit => format!("wrote {n} artifact(s); not committed\n"),
            (None, n) => {
                format!("wrote {n} artifact(s); nothing new to commit (HEAD already holds them)\n")
            }
        });
        report.push_str(&super::generate::adopted(&applied));
        if failed > 0 && passed > 0 {
            report.push_str(&format!(
                "{failed} job(s) failed validation; nothing of theirs was written\n"
            ));
        }
        outcome = if errors > 0 {
            None
        } else if findings {
            Some(Outcome::Findings)
        } else {
            Some(Outcome::Clean)
        };
    }

    if json {
        let items: Vec<ArtifactResult> = set
            .jobs
            .iter()
            .flat_map(|s| {
                let statuses = &statuses;
                s.files.iter().map(move |f| ArtifactResult {
                    prompt: s.template.reference(),
                    path: &f.path,
                    status: statuses
                        .iter()
                        .find(|(p, _)| p == &f.path)
                        .map(|(_, st)| *st)
                        .unwrap_or("unknown"),
                    answerer: &s.answerer,
                    hand_written: s.hand_written,
                    attempts: &s.attempts,
                    findings: &f.diagnostics,
                    timings: s.timings,
                })
            })
            .collect();
        // `errors` counts every error: findings of that severity in the
        // artifacts, and jobs that could not run (listed in `could_not_run`).
        let finding_errors: usize = set
            .jobs
            .iter()
            .flat_map(|s| &s.files)
            .map(|f| f.errors())
            .sum();
        let doc = serde_json::json!({
            "artifacts": items,
            "errors": finding_errors + errors,
            "could_not_run": could_not_run,
        });
        ui.out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&doc).expect("serializes")
        ));
        if errors > 0 {
            ui.err(&report);
        }
    } else {
        ui.out(&report);
    }
    match outcome {
        Some(o) => Ok(o),
        None => Err(Error::Usage(format!("{errors} job(s) could not run"))),
    }
}
