//! `dockhand health`: the seed's two kagent passes (stability, resources).
//! Each pass is a versioned prompt from the library, sent through the same
//! pipeline; the report is judged per pod and stored under `reports/`.

use std::io::IsTerminal;

use super::Outcome;
use crate::cli::{HealthArgs, HealthPass};
use crate::error::Error;
use crate::health;
use crate::lock::LockEntry;
use crate::pipeline::{self, ApplyOptions, Context, Job};
use crate::repo::RunLock;
use crate::settings::Settings;
use crate::stage::{ChangeSet, Staged};
use crate::ui::Ui;

pub const REPORTS_DIR: &str = "reports";

fn prompt_id(pass: HealthPass) -> &'static str {
    match pass {
        HealthPass::Stability => "health-stability",
        HealthPass::Resources => "health-resources",
    }
}

pub fn run(settings: Settings, args: &HealthArgs, ui: &Ui) -> Result<Outcome, Error> {
    let ctx = Context::new(settings)?;
    let passes = match args.pass {
        Some(p) => vec![p],
        None => vec![HealthPass::Stability, HealthPass::Resources],
    };
    let rt = super::runtime()?;
    let mut outcome = Outcome::Clean;
    for pass in passes {
        let template = ctx.library.get(prompt_id(pass))?;
        let job = Job {
            template: template.clone(),
            sets: Vec::new(),
            prefer: None,
            manual: None,
        };
        let on = |stage: pipeline::Stage| {
            if let Some(line) = super::show::stage_line(&stage) {
                ui.debug(&format!("{}: {line}", template.reference()));
            }
        };
        let staged = match super::block_on_interruptible(&rt, pipeline::prepare(&ctx, job, &on)) {
            Ok(s) => s,
            Err(e) => {
                // An agent that could not run at all is a failed health check.
                // The check could not run: exit 2, whatever the other pass finds.
                ui.err(&format!(
                    "the agent could not run: {}",
                    super::show::job_error(&template.reference(), &e)
                ));
                outcome = Outcome::Failed;
                continue;
            }
        };
        let report = staged
            .files
            .first()
            .map(|f| f.content.clone())
            .unwrap_or_default();
        let stored = store(
            &ctx,
            &template.id,
            &template.version.to_string(),
            &staged.answerer.backend,
            &report,
        )?;
        ui.out(&format!(
            "== {} ({}) ==\n{report}\nstored {stored}\n",
            template.reference(),
            staged.answerer.backend
        ));
        match pass {
            HealthPass::Stability => {
                let verdict = health::judge(&report);
                if !verdict.ran {
                    ui.err("the agent's report says it could not inspect the cluster");
                    outcome = Outcome::Failed;
                }
                for p in &verdict.unhealthy {
                    ui.err(&format!(
                        "unhealthy: pod {} is {} (report line {})",
                        p.pod, p.condition, p.line
                    ));
                    if outcome == Outcome::Clean {
                        outcome = Outcome::Findings;
                    }
                }
                if verdict.ran && verdict.unhealthy.is_empty() {
                    ui.info("stability: no pod in CrashLoopBackOff, OOMKilled or ImagePullBackOff");
                }
            }
            HealthPass::Resources => {
                let changes = crate::pipeline::record::changes_from_report(&report);
                if changes.is_empty() {
                    ui.info("resources: no suggested requests or limits found in the report");
                    continue;
                }
                propose_values(&ctx, staged, &changes, args.apply, ui)?;
            }
        }
    }
    Ok(outcome)
}

fn store(
    ctx: &Context,
    id: &str,
    version: &str,
    backend: &str,
    report: &str,
) -> Result<String, Error> {
    let rel = format!("{REPORTS_DIR}/{id}@{version}.md");
    let body =
        format!("<!-- dockhand health: prompt {id}@{version}, backend {backend} -->\n{report}");
    crate::repo::write_atomic(&ctx.settings.root.join(&rel), body.as_bytes())?;
    Ok(rel)
}

/// The resources pass through the pipeline: the suggestions become changes
/// of the derived values.yaml (which the Deployments' templates reference),
/// shown as a diff; written only when accepted (`--apply`, or "y" at a
/// terminal), under the run lock and the dirty check, locked with the
/// agent's backend and committed with the provenance trailers. `regen`
/// replays the change from the cached report.
fn propose_values(
    ctx: &Context,
    report: Staged,
    changes: &[crate::chartgen::ResourceChange],
    apply: bool,
    ui: &Ui,
) -> Result<(), Error> {
    use crate::pipeline::derive::{ChartDir, derive_with, derived_file};
    let Some(chart) = ChartDir::of(ctx) else {
        ui.info(&format!(
            "resources: no chart at {} (Chart.yaml); suggestions not applied",
            ctx.settings.policies.chart_dir
        ));
        return Ok(());
    };
    let Some(entry) = report.lock.first() else {
        ui.info("resources: the report did not pass its checks; suggestions not applied");
        return Ok(());
    };
    let _lock = RunLock::acquire(&ctx.settings.root, super::lock_wait())?;
    let derived = derive_with(ctx, &chart, &[], Some(changes))?;
    if derived.templates.is_empty() {
        ui.info(&format!(
            "resources: {} has no locked manifests to derive values from; suggestions not applied",
            chart.dir
        ));
        return Ok(());
    }
    let rel = chart.values();
    let file = derived_file(&ctx.settings.root, &rel, derived.values);
    if !file.changed() {
        ui.info("resources: values.yaml already matches the suggestions");
        return Ok(());
    }
    let diff = crate::diff::unified(&rel, file.current.as_deref(), &file.content);
    ui.out(&format!(
        "proposed change to {rel}:\n{}",
        if ui.color {
            crate::diff::colorize(&diff)
        } else {
            diff
        }
    ));
    let accepted = apply
        || (std::io::stdin().is_terminal()
            && matches!(ui.ask("apply it? [y/N] ").as_str(), "y" | "yes"));
    if !accepted {
        ui.info("not applied (pass --apply, or answer y at a terminal)");
        return Ok(());
    }
    let lock = LockEntry {
        path: rel.clone(),
        output_hash: crate::hash::tagged(file.content.as_bytes()),
        ..entry.clone()
    };
    // The change is a chart file: confined to charts/ like a Helm artifact
    // (the report itself stays under reports/).
    let mut template = (*report.template).clone();
    template.output = crate::artifact::OutputKind::Helm;
    let set = ChangeSet {
        jobs: vec![Staged {
            template: std::sync::Arc::new(template),
            files: vec![file],
            lock: vec![lock],
            ..report
        }],
    };
    let applied = pipeline::apply(
        ctx,
        &set,
        ApplyOptions {
            commit: true,
            force: false,
        },
    )?;
    let mut out = String::new();
    for w in &applied.written {
        out.push_str(&format!("wrote {w}\n"));
    }
    if let Some(c) = &applied.commit {
        out.push_str(&format!("committed {}\n", &c[..c.len().min(12)]));
    }
    ui.out(&out);
    Ok(())
}
