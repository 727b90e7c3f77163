//! `dockhand health`: the seed's two kagent passes (stability, resources).
//! Each pass is a versioned prompt from the library, sent through the same
//! pipeline; the report is judged per pod and stored under `reports/`.

use std::io::IsTerminal;

use super::Outcome;
use crate::cli::{HealthArgs, HealthPass};
use crate::error::Error;
use crate::health;
use crate::pipeline::{self, Context, Job};
use crate::settings::Settings;
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
            &staged.backend,
            &report,
        )?;
        ui.out(&format!(
            "== {} ({}) ==\n{report}\nstored {stored}\n",
            template.reference(),
            staged.backend
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
                let suggestions = health::parse_resource_suggestions(&report);
                if suggestions.is_empty() {
                    ui.info("resources: no suggested requests or limits found in the report");
                    continue;
                }
                propose_values(&ctx, &suggestions, ui)?;
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

/// Turn suggested requests/limits into a diff of the chart's values.yaml;
/// write it only when the user agrees at the terminal.
fn propose_values(
    ctx: &Context,
    suggestions: &[health::ResourceSuggestion],
    ui: &Ui,
) -> Result<(), Error> {
    let rel = format!("{}/values.yaml", ctx.settings.policies.chart_dir);
    let path = ctx.settings.root.join(&rel);
    let Ok(old) = std::fs::read_to_string(&path) else {
        ui.info(&format!(
            "resources: {rel} not found; suggestions not applied"
        ));
        return Ok(());
    };
    let mut new = old.clone();
    for s in suggestions {
        let section = s
            .workload
            .strip_prefix("todo-")
            .unwrap_or(&s.workload)
            .to_owned();
        for (kind, res, v) in [
            ("requests", "cpu", &s.requests_cpu),
            ("requests", "memory", &s.requests_memory),
            ("limits", "cpu", &s.limits_cpu),
            ("limits", "memory", &s.limits_memory),
        ] {
            if let Some(v) = v {
                new = set_yaml_scalar(&new, &[&section, "resources", kind, res], v);
            }
        }
    }
    let diff = crate::diff::unified(&rel, Some(&old), &new);
    if diff.is_empty() {
        ui.info("resources: values.yaml already matches the suggestions");
        return Ok(());
    }
    ui.out(&format!(
        "proposed change to {rel}:\n{}",
        if ui.color {
            crate::diff::colorize(&diff)
        } else {
            diff
        }
    ));
    if std::io::stdin().is_terminal() && matches!(ui.ask("apply it? [y/N] ").as_str(), "y" | "yes")
    {
        crate::repo::write_atomic(&path, new.as_bytes())?;
        ui.out(&format!("wrote {rel}\n"));
        return Ok(());
    }
    ui.info("not applied (needs consent at a terminal)");
    Ok(())
}

/// Set the scalar at a block-mapping path, keeping everything else byte for
/// byte. Paths that do not exist are left alone.
pub fn set_yaml_scalar(text: &str, path: &[&str], value: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut depth = 0;
    let mut parent_indent: isize = -1;
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = (line.len() - trimmed.len()) as isize;
        if indent <= parent_indent {
            return text.to_owned();
        }
        let Some((key, rest)) = trimmed.split_once(':') else {
            continue;
        };
        if key.trim() != path[depth] {
            continue;
        }
        if depth + 1 == path.len() {
            let comment = rest.find(" #").map(|c| &rest[c..]).unwrap_or("").trim_end();
            let newline = if line.ends_with('\n') { "\n" } else { "" };
            let replaced = format!(
                "{}{}: {value}{}{}",
                &line[..indent as usize],
                key.trim(),
                comment,
                newline
            );
            let mut out: String = lines[..i].concat();
            out.push_str(&replaced);
            out.push_str(&lines[i + 1..].concat());
            return out;
        }
        depth += 1;
        parent_indent = indent;
    }
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use super::set_yaml_scalar;

    #[test]
    fn sets_nested_scalar_and_keeps_the_rest() {
        let v = "backend:\n  resources:\n    requests:\n      cpu: 100m # seed\n      memory: 128Mi\nfrontend:\n  resources:\n    requests:\n      cpu: 50m\n";
        let out = set_yaml_scalar(v, &["frontend", "resources", "requests", "cpu"], "75m");
        assert!(out.contains("      cpu: 75m\n"));
        assert!(out.contains("cpu: 100m # seed"));
        let out = set_yaml_scalar(v, &["backend", "resources", "requests", "cpu"], "150m");
        assert!(out.contains("cpu: 150m # seed\n"), "{out}");
        assert_eq!(
            set_yaml_scalar(v, &["backend", "resources", "limits", "cpu"], "1"),
            v
        );
    }
}
