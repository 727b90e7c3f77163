//! `dockhand review`: prepare into memory (charts/ and docker/ untouched), show
//! each artifact's diff against the file on disk with its findings, then accept
//! per file (interactively), everything that passes (`--apply`), or nothing.

use std::io::IsTerminal;
use std::sync::Arc;

use futures_util::StreamExt;

use super::{Outcome, lock_wait};
use crate::cli::ReviewArgs;
use crate::error::Error;
use crate::lock::Lockfile;
use crate::pipeline::{self, ApplyOptions, Context, Job};
use crate::repo::RunLock;
use crate::settings::Settings;
use crate::stage::{ChangeSet, Staged};
use crate::ui::Ui;

pub fn run(settings: Settings, args: &ReviewArgs, ui: &Ui) -> Result<Outcome, Error> {
    let _lock = RunLock::acquire(&settings.root, lock_wait())?;
    let mut ctx = Context::new(settings)?;
    let lock = Lockfile::read(&ctx.settings.root)?;
    // A deleted artifact: the others' cross-resource checks see it as the cache has it.
    ctx.restore = pipeline::missing_from_cache(&ctx, &lock)?;
    let ctx = Arc::new(ctx);
    let jobs = super::regen::jobs(&ctx, &lock, &args.ids)?;
    let rt = super::runtime()?;
    let on = |_: pipeline::Stage| {};
    let results: Vec<Result<Staged, Error>> = super::block_on_interruptible(&rt, async {
        let stream = futures_util::stream::iter(jobs).map(|job| {
            let ctx = ctx.clone();
            async move { pipeline::prepare(&ctx, job, &on).await }
        });
        Ok(stream.buffer_unordered(4).collect::<Vec<_>>().await)
    })?;
    let mut staged = Vec::new();
    for r in results {
        staged.push(r?);
    }
    staged.sort_by(|a, b| a.template.id.cmp(&b.template.id));
    pipeline::derive_chart(&ctx, &mut staged)?;

    let interactive = !args.apply && std::io::stdin().is_terminal() && Ui::stdout_is_tty();
    let mut accepted = ChangeSet::default();
    let mut changes = 0;
    for s in staged {
        let mut block = if s.passed() && !s.changed() {
            String::new()
        } else {
            super::show::staged(ui, &s)
        };
        let locked_version = lock
            .artifacts
            .iter()
            .find(|a| a.prompt == s.template.id)
            .map(|a| a.version.clone());
        if let Some(v) = locked_version.filter(|v| *v != s.template.version.to_string()) {
            // The prompt moved on since the lock: show the template's diff beside the output's.
            if let Ok(old) = ctx.library.get(&format!("{}@{v}", s.template.id)) {
                let read = |p: &std::path::Path| {
                    std::fs::read_to_string(ctx.settings.root.join(p)).unwrap_or_default()
                };
                let d = crate::diff::unified(
                    &s.template.path.to_string_lossy(),
                    Some(&read(&old.path)),
                    &read(&s.template.path),
                );
                block.push_str(&format!(
                    "prompt {} → {}:\n{}",
                    old.reference(),
                    s.template.reference(),
                    paint(ui, &d)
                ));
            }
        }
        for f in s.files.iter().filter(|f| f.changed()) {
            changes += 1;
            block.push_str(&paint(
                ui,
                &crate::diff::unified(&f.path, f.current.as_deref(), &f.content),
            ));
        }
        ui.out(&block);
        if !s.passed() || !s.changed() {
            continue;
        }
        if args.apply {
            accepted.jobs.push(s);
        } else if interactive && let Some(chosen) = choose(&ctx, ui, s)? {
            accepted.jobs.push(chosen);
        }
    }
    if accepted.jobs.is_empty() {
        if changes > 0 && !interactive {
            ui.info(&format!(
                "{changes} file(s) would change; run with --apply to accept what passes"
            ));
            return Ok(Outcome::Findings);
        }
        ui.info(if changes == 0 {
            "no changes"
        } else {
            "nothing accepted"
        });
        return Ok(Outcome::Clean);
    }
    let applied = pipeline::apply(
        &ctx,
        &accepted,
        ApplyOptions {
            commit: !args.no_commit,
            force: false,
        },
    )?;
    ui.out(&format!(
        "accepted {} file(s){}\n",
        applied.written.len(),
        applied
            .commit
            .as_deref()
            .map(|c| format!("; committed {}", &c[..12.min(c.len())]))
            .unwrap_or_default()
    ));
    Ok(Outcome::Clean)
}

/// Ask about each changed file: accept, reject, or go hunk by hunk. A file
/// accepted in part is a person's edit, recorded as such (`pipeline::hand_edited`).
fn choose(ctx: &Context, ui: &Ui, mut s: Staged) -> Result<Option<Staged>, Error> {
    let mut keep = Vec::new();
    let mut partial = false;
    for f in s.files.iter_mut() {
        if !f.changed() {
            keep.push(true);
            continue;
        }
        let answer = ui.ask(&format!("accept {}? [y]es, [n]o, [h]unk by hunk: ", f.path));
        match answer.as_str() {
            "y" | "yes" => keep.push(true),
            "h" | "hunks" => {
                let old = f.current.clone().unwrap_or_default();
                let hunks = crate::diff::hunks(&f.path, &old, &f.content);
                let mut take = Vec::new();
                for (i, h) in hunks.iter().enumerate() {
                    ui.out(&paint(ui, &h.text));
                    take.push(matches!(
                        ui.ask(&format!("accept hunk {}/{}? [y/N] ", i + 1, hunks.len()))
                            .as_str(),
                        "y" | "yes"
                    ));
                }
                if take.iter().all(|t| !*t) {
                    keep.push(false);
                } else {
                    if !take.iter().all(|t| *t) {
                        f.content = crate::diff::apply_hunks(&old, &f.content, &take);
                        partial = true;
                    }
                    keep.push(true);
                }
            }
            _ => keep.push(false),
        }
    }
    let mut i = 0;
    s.files.retain(|_| {
        i += 1;
        keep[i - 1]
    });
    if s.files.iter().all(|f| !f.changed()) {
        return Ok(None);
    }
    if partial {
        let job = Job {
            template: s.template.clone(),
            sets: Vec::new(),
            prefer: None,
            manual: None,
        };
        let text = s
            .files
            .iter()
            .map(|f| f.content.as_str())
            .collect::<Vec<_>>()
            .join("---\n");
        let edited = pipeline::hand_edited(ctx, &job, &s, &text)?;
        ui.out(&super::show::staged(ui, &edited));
        if !edited.passed() {
            ui.err("the accepted hunks do not pass validation; nothing accepted for this prompt");
            return Ok(None);
        }
        return Ok(Some(edited));
    }
    let kept: Vec<String> = s.files.iter().map(|f| f.path.clone()).collect();
    s.lock.retain(|l| kept.contains(&l.path));
    Ok(Some(s))
}

fn paint(ui: &Ui, d: &str) -> String {
    if ui.color {
        crate::diff::colorize(d)
    } else {
        d.to_owned()
    }
}
