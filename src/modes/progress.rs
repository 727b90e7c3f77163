//! Progress for parallel jobs: indicatif bars on a terminal (an overall bar and
//! one line per running job with its stage), plain lines otherwise.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::error::Error;
use crate::pipeline::Stage;
use crate::stage::Staged;
use crate::ui::Ui;

pub struct Progress<'a> {
    multi: Option<(MultiProgress, ProgressBar)>,
    ui: &'a Ui,
}

pub enum Line {
    Bar(ProgressBar),
    Plain(String),
}

impl<'a> Progress<'a> {
    pub fn new(total: usize, tty: bool, ui: &'a Ui) -> Progress<'a> {
        let multi = tty.then(|| {
            let m = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let overall = m.add(ProgressBar::new(total as u64));
            overall.set_style(
                ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} artifacts")
                    .expect("template")
                    .progress_chars("=> "),
            );
            // Notes written while the bars are up clear them first and
            // redraw them after, so lines and spinners never garble.
            let hidden = m.clone();
            ui.set_suspend(Some(Box::new(move |write: &mut dyn FnMut()| {
                hidden.suspend(&mut *write)
            })));
            (m, overall)
        });
        Progress { multi, ui }
    }

    pub fn start(&self, _index: usize, name: &str) -> Line {
        match &self.multi {
            Some((m, _)) => {
                let bar = m.add(ProgressBar::new_spinner());
                bar.set_style(
                    ProgressStyle::with_template("  {spinner} {prefix}: {msg}").expect("template"),
                );
                bar.set_prefix(name.to_owned());
                bar.enable_steady_tick(std::time::Duration::from_millis(120));
                Line::Bar(bar)
            }
            None => {
                self.ui.debug(&format!("{name}: started"));
                Line::Plain(name.to_owned())
            }
        }
    }

    pub fn stage(&self, line: &Line, stage: &Stage) {
        let Some(text) = super::show::stage_line(stage) else {
            return;
        };
        match line {
            Line::Bar(b) => b.set_message(text),
            Line::Plain(name) => {
                if matches!(
                    stage,
                    Stage::Backend(
                        crate::backend::Event::Skipped { .. }
                            | crate::backend::Event::Retrying { .. }
                    ) | Stage::Repairing { .. }
                ) {
                    self.ui.info(&format!("{name}: {text}"));
                } else {
                    self.ui.debug(&format!("{name}: {text}"));
                }
            }
        }
    }

    pub fn finish(&self, line: &Line, name: &str, r: &Result<Staged, Error>) {
        let verdict = match r {
            Ok(s) if s.passed() && s.changed() => "changed",
            Ok(s) if s.passed() => "up to date",
            Ok(_) => "failed validation",
            Err(_) => "error",
        };
        match line {
            Line::Bar(b) => {
                b.finish_and_clear();
                if let Some((m, overall)) = &self.multi {
                    m.remove(b);
                    overall.inc(1);
                    let _ = m.println(format!("  {name}: {verdict}"));
                }
            }
            Line::Plain(_) => self.ui.info(&format!("{name}: {verdict}")),
        }
    }

    pub fn done(&self) {
        if let Some((_, overall)) = &self.multi {
            overall.finish_and_clear();
        }
        self.ui.set_suspend(None);
    }
}

impl Drop for Progress<'_> {
    fn drop(&mut self) {
        if self.multi.is_some() {
            self.ui.set_suspend(None);
        }
    }
}
