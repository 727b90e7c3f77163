//! `dockhand validate` and `dockhand extract`: single stages on their own.

use std::io::Read;

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
    let reports = validator.validate_paths(&args.paths, &chart_opts, || {
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

pub fn extract(args: &ExtractArgs, ui: &Ui) -> Result<Outcome, Error> {
    let text = match &args.file {
        None => read_stdin()?,
        Some(p) if p.as_os_str() == "-" => read_stdin()?,
        Some(p) => std::fs::read_to_string(p).map_err(Error::io(p))?,
    };
    match crate::extract::extract(args.kind, &text) {
        Ok(x) => {
            ui.out(&x.text);
            Ok(Outcome::Clean)
        }
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
