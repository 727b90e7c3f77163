//! How a staged job is shown: its attempts, then its findings with snippets.

use crate::backend::Event;
use crate::pipeline::Stage;
use crate::report::Text;
use crate::stage::Staged;
use crate::ui::Ui;

/// A one-line description of a stage, for progress displays.
pub fn stage_line(stage: &Stage) -> Option<String> {
    Some(match stage {
        Stage::Filling => "filling".into(),
        Stage::Waiting { attempt } if *attempt > 1 => {
            format!("waiting for the backend (attempt {attempt})")
        }
        Stage::Waiting { .. } => "waiting for the backend".into(),
        Stage::Backend(Event::Trying { backend }) => format!("asking {backend}"),
        Stage::Backend(Event::Skipped { backend, reason }) => {
            format!("skipped {backend}: {reason}")
        }
        Stage::Backend(Event::Retrying {
            backend,
            attempt,
            wait,
            reason,
        }) => {
            format!(
                "{backend}: {}; retry {attempt} in {:.1}s",
                first_line(reason),
                wait.as_secs_f64()
            )
        }
        Stage::Backend(Event::Streaming { bytes }) => format!("receiving ({bytes} bytes)"),
        Stage::Backend(Event::Delta(_)) => return None,
        Stage::Extracting => "extracting".into(),
        Stage::Validating => "validating".into(),
        Stage::Repairing { attempt, errors } => {
            format!("repairing: {errors} error(s), attempt {attempt}")
        }
    })
}

/// The first non-empty line of a server's message, at most 120 characters:
/// a progress line stays one line (the whole message is in the final error).
fn first_line(s: &str) -> String {
    let line = s
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let more = s.trim().lines().count() > 1;
    let mut out: String = line.chars().take(120).collect();
    if more || line.chars().count() > 120 {
        out.push('…');
    }
    out
}

/// `name: error` for a job's error, without saying the name twice when the
/// error's own wording already names the prompt.
pub fn job_error(name: &str, e: &crate::error::Error) -> String {
    let text = e.to_string();
    if text.contains(name) {
        text
    } else {
        format!("{name}: {text}")
    }
}

/// Attempts and findings of one job, as one block of text.
pub fn staged(ui: &Ui, s: &Staged) -> String {
    let mut out = String::new();
    for a in &s.attempts {
        let source = if a.hand_written {
            "hand-written answer".to_owned()
        } else if a.from_cache {
            format!("{} (cached)", a.answerer.backend)
        } else {
            a.answerer.backend.clone()
        };
        out.push_str(&format!(
            "{} attempt {}: {source}{}: {} error(s), {} warning(s){}\n",
            s.template.reference(),
            a.number,
            a.answerer
                .model
                .as_deref()
                .map(|m| format!(" model {m}"))
                .unwrap_or_default(),
            a.errors,
            a.warnings,
            a.note
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default(),
        ));
    }
    let text = Text { color: ui.color };
    for f in &s.files {
        for d in &f.diagnostics {
            out.push_str(&text.finding(&f.path, &f.content, d));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retry_is_one_line_however_long_the_servers_message() {
        let stage = Stage::Backend(Event::Retrying {
            backend: "openai".into(),
            attempt: 2,
            wait: std::time::Duration::from_millis(1500),
            reason: "HTTP 500: upstream failed\n  at frame 1\n  at frame 2\n".into(),
        });
        assert_eq!(
            stage_line(&stage).unwrap(),
            "openai: HTTP 500: upstream failed…; retry 2 in 1.5s"
        );
    }
}
