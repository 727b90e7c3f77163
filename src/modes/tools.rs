//! `dockhand validate` and `dockhand extract`: single stages on their own.

use std::io::Read;
use std::path::PathBuf;

use super::Outcome;
use crate::cli::{ExtractArgs, ValidateArgs};
use crate::error::Error;
use crate::settings::Settings;
use crate::ui::Ui;
use crate::validate::Validator;

pub fn validate(settings: &Settings, args: &ValidateArgs, ui: &Ui) -> Result<Outcome, Error> {
    let config = settings.validator_config(args.kube_version.as_deref());
    let chart_opts = crate::validate::chart::ChartOptions {
        values_files: args.values.clone(),
        set: args.set.clone(),
        kube_version: config.kube_version.clone(),
        policy: config.policy.clone(),
        renderer: config.chart_renderer.clone(),
        helm: config.helm_limits,
        ..Default::default()
    };
    let validator = Validator::new(config)?;
    let paths = match args.paths.is_empty() {
        true => project_artifacts(settings)?,
        false => args.paths.clone(),
    };
    let reports = validator.validate_paths(&paths, &chart_opts, args.jobs, || {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).map(|_| s)
    })?;
    let renderer = crate::report::for_format(args.format, ui.color);
    ui.out(&renderer.render(&reports));
    Ok(if reports.iter().any(|r| r.errors() > 0) {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

/// What `validate` checks when no path is given: the project's charts/ and
/// docker/ (those that exist), named relative to the current folder.
fn project_artifacts(settings: &Settings) -> Result<Vec<PathBuf>, Error> {
    if !settings.has_config {
        return Err(Error::Usage(
            "no PATH given, and no dockhand.toml here or above to find the project's charts/ and docker/: name what to check, e.g. `dockhand validate k8s/`".to_owned(),
        ));
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    let base = match (
        settings.root.strip_prefix(&cwd),
        cwd.strip_prefix(&settings.root),
    ) {
        (Ok(below), _) => below.to_path_buf(),
        // From inside the project: `../charts` rather than an absolute path.
        (_, Ok(inside)) => inside.components().map(|_| "..").collect(),
        _ => settings.root.clone(),
    };
    let found: Vec<PathBuf> = ["charts", "docker"]
        .iter()
        .filter(|dir| settings.root.join(dir).is_dir())
        .map(|dir| base.join(dir))
        .collect();
    match found.is_empty() {
        true => Err(Error::Usage(format!(
            "no PATH given, and the project at {} has no charts/ or docker/ yet: name what to check, or run `dockhand generate`",
            settings.root.display()
        ))),
        false => Ok(found),
    }
}

pub fn extract(args: &ExtractArgs, ui: &Ui) -> Result<Outcome, Error> {
    let text = match &args.file {
        None => read_stdin()?,
        Some(p) if p.as_os_str() == "-" => read_stdin()?,
        Some(p) => std::fs::read_to_string(p).map_err(Error::io(p))?,
    };
    match crate::extract::extract(args.kind, &text) {
        // A credential in the answer never reaches stdout (often a file): it is
        // replaced by its placeholder, said on stderr, and the exit status is 1.
        Ok(x) => match crate::pipeline::redact(args.kind, &x.text) {
            (text, found) if found.is_empty() => {
                ui.out(&text);
                Ok(Outcome::Clean)
            }
            (text, found) => {
                ui.out(&text);
                let mut kinds: Vec<&str> = Vec::new();
                for k in found.iter().map(|k| k.describe()) {
                    if !kinds.contains(&k) {
                        kinds.push(k);
                    }
                }
                ui.err(&format!(
                    "warning: the artifact held {} credential(s), printed as placeholders: {}",
                    found.len(),
                    kinds.join(", ")
                ));
                Ok(Outcome::Findings)
            }
        },
        Err(e) => {
            ui.err(&e.to_string());
            Ok(Outcome::Findings)
        }
    }
}

fn read_stdin() -> Result<String, Error> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .map_err(Error::io("<stdin>"))?;
    Ok(s)
}
