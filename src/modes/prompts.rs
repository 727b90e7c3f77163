//! `dockhand prompts list|show|render|diff`.

use super::Outcome;
use crate::cli::{ListFormat, PromptsCommand};
use crate::error::Error;
use crate::library::Library;
use crate::settings::Settings;
use crate::ui::Ui;

pub fn run(settings: &Settings, cmd: &PromptsCommand, ui: &Ui) -> Result<Outcome, Error> {
    let lib = Library::load(&settings.root)?;
    match cmd {
        PromptsCommand::List { format } => {
            match format {
                ListFormat::Json => {
                    let all: Vec<_> = lib.all().map(|t| t.as_ref()).collect();
                    ui.out(&format!(
                        "{}\n",
                        serde_json::to_string_pretty(&all).expect("serializes")
                    ));
                }
                ListFormat::Text => {
                    if lib.all().next().is_none() {
                        ui.info(&format!(
                            "no prompts in {}/prompts/<tool>/*.md; `dockhand init --starter` copies in the starter library",
                            settings.root.display()
                        ));
                    }
                    let mut out = String::new();
                    for t in lib.all() {
                        out.push_str(&format!(
                            "{:<28} {:<11} {:<10} {}\n",
                            t.reference(),
                            t.tool.as_str(),
                            t.output.as_str(),
                            t.targets
                                .iter()
                                .map(|t| t.path.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ));
                    }
                    ui.out(&out);
                }
            }
            Ok(Outcome::Clean)
        }
        PromptsCommand::Show { reference } => {
            let t = lib.get(reference)?;
            let text =
                std::fs::read_to_string(settings.root.join(&t.path)).map_err(Error::io(&t.path))?;
            ui.out(&format!("# {}\n{text}", t.path.display()));
            Ok(Outcome::Clean)
        }
        PromptsCommand::Render { reference, set } => {
            let t = lib.get(reference)?;
            let values = settings.values_for(&t.id);
            let own = settings.prompt_vars.get(&t.id).cloned().unwrap_or_default();
            let filled = crate::fill::fill(&t, &values, &own, &settings.config_path, set)
                .map_err(Error::with_set_flag)?;
            ui.out(&filled.text);
            Ok(Outcome::Clean)
        }
        PromptsCommand::Diff { a, b } => {
            let (ta, tb) = (lib.get(a)?, lib.get(b)?);
            let read = |p: &std::path::Path| {
                std::fs::read_to_string(settings.root.join(p)).map_err(Error::io(p))
            };
            let d = crate::diff::between(
                &format!("a/{}", ta.path.display()),
                &format!("b/{}", tb.path.display()),
                Some(&read(&ta.path)?),
                &read(&tb.path)?,
            );
            ui.out(&if ui.color {
                crate::diff::colorize(&d)
            } else {
                d
            });
            Ok(Outcome::Clean)
        }
    }
}
