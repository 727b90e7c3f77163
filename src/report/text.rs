//! Text: `file:line:col: severity[code]: message`, then the offending line with a caret.

use super::Report;
use crate::validate::FileReport;
use crate::validate::diagnostic::{Diagnostic, Severity};

pub struct Text {
    pub color: bool,
}

impl Text {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }

    /// One finding with a snippet of its line.
    pub fn finding(&self, path: &str, source: &str, d: &Diagnostic) -> String {
        let lines: Vec<&str> = source.lines().collect();
        self.finding_in(path, &lines, d)
    }

    /// One finding, with the source already split into lines.
    fn finding_in(&self, path: &str, lines: &[&str], d: &Diagnostic) -> String {
        let sev = match d.severity {
            Severity::Error => self.paint("1;31", "error"),
            Severity::Warning => self.paint("1;33", "warning"),
            Severity::Info => self.paint("1;36", "info"),
        };
        let mut out = format!(
            "{path}:{}:{}: {sev}[{}]: {}\n",
            d.line, d.column, d.code, d.message
        );
        if let Some(line) = lines.get(d.line.saturating_sub(1)).filter(|_| d.line > 0) {
            let num = d.line.to_string();
            let pad = " ".repeat(num.len());
            let (shown, caret) = window(line, d.column);
            out.push_str(&format!(
                "{pad} |\n{num} | {shown}\n{pad} | {}{}\n",
                " ".repeat(caret),
                self.paint("1;31", "^")
            ));
        }
        if let Some(p) = &d.pointer {
            out.push_str(&format!("  at {p}\n"));
        }
        if let Some(h) = &d.hint {
            out.push_str(&format!("  {}: {h}\n", self.paint("1", "hint")));
        }
        out
    }
}

/// Widest snippet shown, in characters: a longer line (minified JSON, a
/// generated file) is cut to this many around the column, marked with `…`.
const SNIPPET_WIDTH: usize = 120;

/// The part of `line` to show for a finding at 1-based `column`, and the
/// caret's offset in it.
fn window(line: &str, column: usize) -> (std::borrow::Cow<'_, str>, usize) {
    let at = column.saturating_sub(1);
    let len = line.chars().count();
    if len <= SNIPPET_WIDTH {
        return (line.into(), at);
    }
    let start = at
        .saturating_sub(SNIPPET_WIDTH / 2)
        .min(len - SNIPPET_WIDTH);
    let end = start + SNIPPET_WIDTH;
    let mut shown = String::with_capacity(SNIPPET_WIDTH * 4 + 6);
    if start > 0 {
        shown.push('…');
    }
    shown.extend(line.chars().skip(start).take(SNIPPET_WIDTH));
    if end < len {
        shown.push('…');
    }
    (shown.into(), at - start + usize::from(start > 0))
}

impl Report for Text {
    fn render(&self, files: &[FileReport]) -> String {
        let mut out = String::new();
        let (mut errors, mut warnings) = (0, 0);
        for f in files {
            let lines: Vec<&str> = if f.diagnostics.is_empty() {
                Vec::new()
            } else {
                f.source.lines().collect()
            };
            for d in &f.diagnostics {
                match d.severity {
                    Severity::Error => errors += 1,
                    Severity::Warning => warnings += 1,
                    Severity::Info => {}
                }
                out.push_str(&self.finding_in(&f.path, &lines, d));
            }
        }
        if let Some(line) = policy_line(files) {
            out.push_str(&line);
        }
        out.push_str(&format!(
            "{} file{} checked: {errors} error{}, {warnings} warning{}\n",
            files.len(),
            if files.len() == 1 { "" } else { "s" },
            if errors == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" },
        ));
        out
    }
}

/// One line saying which policy sets ran: `policies: LABEL`, or with several
/// sets `policies: LABEL (N files); LABEL (M files)`, in order of first use.
pub fn policy_line(files: &[FileReport]) -> Option<String> {
    let mut groups: Vec<(&str, usize)> = Vec::new();
    for f in files {
        match groups.iter_mut().find(|(l, _)| *l == f.policies.label) {
            Some(g) => g.1 += 1,
            None => groups.push((&f.policies.label, 1)),
        }
    }
    match groups.as_slice() {
        [] => None,
        [(label, _)] => Some(format!("policies: {label}\n")),
        many => Some(format!(
            "policies: {}\n",
            many.iter()
                .map(|(l, n)| format!("{l} ({n} file{})", if *n == 1 { "" } else { "s" }))
                .collect::<Vec<_>>()
                .join("; ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::window;

    #[test]
    fn a_long_line_is_cut_around_the_column_and_the_caret_follows() {
        assert_eq!(window("a: [1]", 4), ("a: [1]".into(), 3));
        let line = format!("{}X{}", "a".repeat(1000), "b".repeat(1000));
        let (shown, caret) = window(&line, 1001);
        assert_eq!(shown.chars().count(), 122, "{shown}");
        assert!(shown.starts_with('…') && shown.ends_with('…'));
        assert_eq!(shown.chars().nth(caret), Some('X'));
        // At the start and the end: one mark only, the caret still on its character.
        let (shown, caret) = window(&line, 1);
        assert!(!shown.starts_with('…') && shown.ends_with('…'));
        assert_eq!((shown.chars().nth(caret), caret), (Some('a'), 0));
        let (shown, caret) = window(&line, 2001);
        assert!(shown.starts_with('…') && !shown.ends_with('…'));
        assert_eq!(shown.chars().nth(caret), Some('b'));
        assert_eq!(caret, 120);
    }
}
