//! `dockhand generate ID[@VERSION]`: one prompt → prepare → apply.

use super::{lock_wait, Outcome};
use crate::cli::GenerateArgs;
use crate::error::Error;
use crate::pipeline::{self, ApplyOptions, Context, Job};
use crate::repo::RunLock;
use crate::settings::Settings;
use crate::stage::ChangeSet;
use crate::ui::Ui;

pub fn run(settings: Settings, args: &GenerateArgs, ui: &Ui) -> Result<Outcome, Error> {
    let manual = match &args.response_file {
        Some(p) if p.as_os_str() == "-" => Some(std::io::read_to_string(std::io::stdin()).map_err(Error::io("<stdin>"))?),
        Some(p) => Some(std::fs::read_to_string(p).map_err(Error::io(p))?),
        None => None,
    };
    let _lock = RunLock::acquire(&settings.root, lock_wait())?;
    let ctx = Context::new(settings)?;
    let template = ctx.library.get(&args.reference)?;
    let job = Job { template, sets: args.set.clone(), prefer: None, manual };
    let rt = super::runtime()?;
    let on = |stage: pipeline::Stage| {
        if let Some(line) = super::show::stage_line(&stage) {
            ui.debug(&format!("{}: {line}", args.reference));
        }
        if let pipeline::Stage::Backend(crate::backend::Event::Skipped { .. } | crate::backend::Event::Retrying { .. }) = stage {
            if let Some(line) = super::show::stage_line(&stage) {
                ui.info(&line);
            }
        }
    };
    let staged = super::block_on_interruptible(&rt, pipeline::prepare(&ctx, job, &on))?;
    ui.info(&super::show::staged(ui, &staged));
    if !staged.passed() {
        ui.err(&format!("{}: validation failed; nothing written", staged.template.reference()));
        return Ok(Outcome::Findings);
    }
    let set = ChangeSet { jobs: vec![staged] };
    let applied = pipeline::apply(&ctx, &set, ApplyOptions { commit: !args.no_commit, force: args.force })?;
    if applied.written.is_empty() {
        ui.out("up to date: nothing changed\n");
    } else {
        let mut out = String::new();
        for w in &applied.written {
            out.push_str(&format!("wrote {w}\n"));
        }
        if let Some(c) = &applied.commit {
            out.push_str(&format!("committed {}\n", &c[..c.len().min(12)]));
        }
        ui.out(&out);
    }
    Ok(Outcome::Clean)
}
