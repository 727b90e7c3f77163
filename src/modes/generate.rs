//! `dockhand generate ID[@VERSION]`: one prompt → prepare → apply.

use super::{Outcome, lock_wait};
use crate::cli::GenerateArgs;
use crate::error::Error;
use crate::pipeline::{self, ApplyOptions, Context, Job};
use crate::repo::RunLock;
use crate::settings::Settings;
use crate::stage::ChangeSet;
use crate::ui::Ui;

pub fn run(settings: Settings, args: &GenerateArgs, ui: &Ui) -> Result<Outcome, Error> {
    let manual = match &args.response_file {
        Some(p) if p.as_os_str() == "-" => {
            Some(std::io::read_to_string(std::io::stdin()).map_err(Error::io("<stdin>"))?)
        }
        Some(p) => Some(std::fs::read_to_string(p).map_err(Error::io(p))?),
        None => None,
    };
    let _lock = RunLock::acquire(&settings.root, lock_wait())?;
    let ctx = Context::new(settings)?;
    let template = ctx.library.get(&args.reference)?;
    let job = Job {
        template: template.clone(),
        sets: args.set.clone(),
        prefer: None,
        manual,
    };
    let rt = super::runtime()?;
    // A spinner with the job's stage on a terminal; plain lines otherwise.
    let progress = super::progress::Progress::new(1, Ui::stderr_is_tty() && ui.verbosity >= 0, ui);
    let name = template.reference();
    let line = progress.start(0, &name);
    let on = |stage: pipeline::Stage| progress.stage(&line, &stage);
    let staged = super::block_on_interruptible(&rt, pipeline::prepare(&ctx, job, &on));
    progress.finish(&line, &name, &staged);
    progress.done();
    let mut jobs = vec![staged.map_err(Error::with_set_flag)?];
    pipeline::derive_chart(&ctx, &mut jobs)?;
    let staged = jobs.pop().expect("one job");
    ui.info(&super::show::staged(ui, &staged));
    if !staged.passed() {
        ui.err(&format!(
            "{}: validation failed; nothing written",
            staged.template.reference()
        ));
        return Ok(Outcome::Findings);
    }
    let set = ChangeSet { jobs: vec![staged] };
    let applied = pipeline::apply(
        &ctx,
        &set,
        ApplyOptions {
            commit: !args.no_commit,
            force: args.force,
        },
    )?;
    let mut out = String::new();
    if applied.written.is_empty() {
        out.push_str("up to date: nothing changed\n");
    }
    for w in &applied.written {
        out.push_str(&format!("wrote {w}\n"));
    }
    match &applied.commit {
        Some(c) => out.push_str(&format!("committed {}\n", &c[..c.len().min(12)])),
        None if !args.no_commit && !applied.written.is_empty() => {
            out.push_str("nothing new to commit (HEAD already holds it)\n")
        }
        None => {}
    }
    out.push_str(&adopted(&applied));
    ui.out(&out);
    Ok(Outcome::Clean)
}

/// The lines naming what an earlier `--no-commit` run wrote and this commit took along.
pub(super) fn adopted(applied: &pipeline::Applied) -> String {
    if applied.adopted.is_empty() || applied.commit.is_none() {
        return String::new();
    }
    let mut out = String::from(
        "the commit includes what an earlier --no-commit run wrote, which the lock records:\n",
    );
    for p in &applied.adopted {
        out.push_str(&format!("  {p}\n"));
    }
    out
}
