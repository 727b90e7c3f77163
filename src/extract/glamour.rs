//! Undo glamour's terminal rendering of markdown, as GoogleCloudPlatform/kubectl-ai prints it.
//!
//! kubectl-ai renders the agent's markdown with glamour. In a pipe (`--quiet`), glamour uses
//! its "notty" style:
//!
//! * every line sits behind a 2-space document margin and is padded with spaces to the wrap
//!   width (about 78 columns);
//! * code blocks lose their ``` fences and sit 2 more spaces in (4 in all);
//! * lines longer than the width are wrapped (at a space or after one of `,.;-+|`, else hard),
//!   and the continuation starts at the 2-space margin, not at the code's indentation;
//! * the only colour codes are green and reset around the agent's messages and around the
//!   `Running: <command>` lines of the tools it called; a command's heredoc (`<<EOF`) is
//!   printed raw, at column 0.
//!
//! [`unrender`] turns that back into markdown with fenced code blocks, so that [`super::extract`]
//! reads it like any other answer. Pure and synchronous.

use super::{heredoc_delims, strip_ansi};

/// Characters after which glamour (lipgloss `Wrap`) breaks inside a word: the rejoined
/// pieces get no space between them. (It also breaks after `,` and `;`, but those are
/// nearly always followed by a space it dropped, so a space is put back there, even when
/// the piece filled the line.) Any other piece that filled the line to the last column was
/// cut mid-word; the rest were cut at a space.
const IN_WORD_BREAKPOINTS: &[char] = &['.', '-', '+', '|'];

/// The wrap width when the output carries no padding to measure it from.
const DEFAULT_WIDTH: usize = 78;

/// What [`unrender`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unrendered {
    /// The answer as markdown: prose de-indented, code blocks fenced with ```.
    pub markdown: String,
    /// Bodies of heredocs inside `Running:` commands (not part of `markdown`).
    pub heredocs: Vec<String>,
}

impl Unrendered {
    /// The answer, with the heredocs of the commands it ran appended as fenced blocks only
    /// when the answer itself shows no manifest (`apiVersion:` at the start of a line).
    pub fn answer(&self) -> String {
        let shows_manifest = self
            .markdown
            .lines()
            .any(|l| l.trim_start().starts_with("apiVersion:"));
        if shows_manifest || self.heredocs.is_empty() {
            return self.markdown.clone();
        }
        let mut out = self.markdown.clone();
        for h in &self.heredocs {
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            out.push_str("```yaml\n");
            out.push_str(h.trim_end());
            out.push_str("\n```");
        }
        out
    }
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn width_of(line: &str) -> usize {
    line.chars().count()
}

fn is_fence(trimmed: &str) -> bool {
    trimmed.starts_with("```") || trimmed.starts_with("~~~")
}

/// Does this look like glamour's rendering in a pipe? Either most non-blank lines are padded
/// with spaces to one common width, or the text sits behind a 2-space margin with unfenced
/// code (`apiVersion:` / `FROM `) 4 spaces in.
pub fn looks_rendered(raw: &str) -> bool {
    let text = strip_ansi(raw);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        return false;
    }
    let mut widths = std::collections::BTreeMap::<usize, usize>::new();
    for l in lines.iter().filter(|l| l.ends_with(' ')) {
        *widths.entry(width_of(l)).or_default() += 1;
    }
    let padded = widths.values().max().copied().unwrap_or(0);
    if padded >= 3 && padded * 2 >= lines.len() {
        return true;
    }
    let margin = lines.iter().map(|l| indent(l)).min().unwrap_or(0);
    let fenced = lines.iter().any(|l| is_fence(l.trim()));
    margin == 2
        && !fenced
        && lines.iter().any(|l| {
            let t = l.trim_start();
            indent(l) == 4 && (t.starts_with("apiVersion:") || t.starts_with("FROM "))
        })
}

/// Turn glamour output back into markdown (see the module docs).
pub fn unrender(raw: &str) -> Unrendered {
    let text = strip_ansi(raw).replace("\r\n", "\n");
    let raw_lines: Vec<&str> = text
        .split('\n')
        .map(|l| match l.rfind('\r') {
            Some(i) => &l[i + 1..],
            None => l,
        })
        .collect();

    // 1. `Running:` lines go, and so do their heredoc bodies (kept aside).
    let mut lines: Vec<&str> = Vec::new();
    let mut heredocs = Vec::new();
    let mut i = 0;
    while i < raw_lines.len() {
        let l = raw_lines[i];
        i += 1;
        let t = l.trim();
        if !t.starts_with("Running: ") {
            lines.push(l);
            continue;
        }
        for (delim, _) in heredoc_delims(t) {
            let mut body = Vec::new();
            while i < raw_lines.len() && raw_lines[i].trim() != delim {
                body.push(raw_lines[i].trim_end());
                i += 1;
            }
            i += 1; // the delimiter line
            heredocs.push(body.join("\n"));
        }
    }

    // 2. The width (padding shows it) and the document margin.
    let width = lines
        .iter()
        .filter(|l| l.ends_with(' ') && !l.trim().is_empty())
        .map(|l| width_of(l))
        .max()
        .unwrap_or(DEFAULT_WIDTH);
    let margin = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| indent(l))
        .min()
        .unwrap_or(0);

    // 3. Walk the lines: prose and fenced regions pass through de-indented by the margin;
    //    runs of lines indented past it are code blocks, re-fenced, with wrapped lines rejoined.
    let mut out: Vec<String> = Vec::new();
    let mut in_fence = false;
    let mut code: Vec<String> = Vec::new();
    let flush = |code: &mut Vec<String>, out: &mut Vec<String>| {
        if code.is_empty() {
            return;
        }
        while code.last().is_some_and(|l| l.trim().is_empty()) {
            code.pop();
        }
        let base = code
            .iter()
            .filter(|l| !l.trim().is_empty())
            .map(|l| indent(l))
            .min()
            .unwrap_or(0);
        out.push("```".to_owned());
        for l in code.drain(..) {
            out.push(if l.trim().is_empty() {
                String::new()
            } else {
                l[base..].to_owned()
            });
        }
        out.push("```".to_owned());
        out.push(String::new());
    };
    let mut k = 0;
    while k < lines.len() {
        let l = lines[k];
        k += 1;
        let t = l.trim();
        let rel = if indent(l) >= margin { &l[margin..] } else { l };
        if in_fence {
            if is_fence(t) {
                in_fence = false;
            }
            out.push(rel.trim_end().to_owned());
            continue;
        }
        if is_fence(t) {
            flush(&mut code, &mut out);
            in_fence = true;
            out.push(rel.trim_end().to_owned());
            continue;
        }
        if t.is_empty() {
            if code.is_empty() {
                out.push(String::new());
            } else {
                code.push(String::new());
            }
            continue;
        }
        let deeper = indent(l) >= margin + 2;
        if deeper {
            // A code line, followed by the pieces glamour wrapped onto the margin (glamour
            // puts a blank line after a code block, so a margin line right below is one).
            let mut line = l.trim_end().to_owned();
            let mut last = l;
            while k < lines.len() {
                let next = lines[k];
                if next.trim().is_empty() || indent(next) != margin {
                    break;
                }
                // A piece that filled the width to the last column was cut mid-word.
                let hard = width_of(last) >= width && !last.ends_with(' ');
                if line.ends_with([',', ';']) || (!hard && !line.ends_with(IN_WORD_BREAKPOINTS)) {
                    line.push(' ');
                }
                line.push_str(next.trim());
                last = next;
                k += 1;
            }
            code.push(line);
            continue;
        }
        flush(&mut code, &mut out);
        out.push(rel.trim_end().to_owned());
    }
    flush(&mut code, &mut out);

    // 4. Blank lines: none at the ends, never two in a row.
    let mut markdown = String::new();
    let mut blank = true;
    for l in out {
        if l.is_empty() {
            if !blank {
                markdown.push('\n');
            }
            blank = true;
            continue;
        }
        markdown.push_str(&l);
        markdown.push('\n');
        blank = false;
    }
    Unrendered {
        markdown: markdown.trim_end().to_owned(),
        heredocs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pad(l: &str) -> String {
        format!("{l:<30}")
    }

    #[test]
    fn wrapped_pieces_are_rejoined_by_how_they_were_cut() {
        // Width 30. A cut at a space (space put back), after `-` (none), and a hard cut in
        // the middle of a word filling the line to the last column (none).
        let raw = [
            pad("  Intro:"),
            pad(""),
            pad("    args: [\"--host\", \"0.0.0.0\","),
            pad("  \"--port\"]"),
            pad("    url: https://example.com/a-"),
            pad("  b/c"),
            "    token: abcdefghijklmnopqrstuvwx".to_owned(),
            pad("  yz"),
            pad(""),
            pad("  Done."),
        ]
        .join("\n");
        assert!(looks_rendered(&raw));
        assert_eq!(
            unrender(&raw).markdown,
            "Intro:\n\n```\nargs: [\"--host\", \"0.0.0.0\", \"--port\"]\nurl: https://example.com/a-b/c\ntoken: abcdefghijklmnopqrstuvwxyz\n```\n\nDone."
        );
    }

    #[test]
    fn fenced_answers_pass_through_and_plain_text_is_not_taken_for_glamour() {
        let fenced = "  Here:\n\n  ```yaml\n  kind: A\n    x: 1\n  ```\n";
        assert_eq!(
            unrender(fenced).markdown,
            "Here:\n\n```yaml\nkind: A\n  x: 1\n```"
        );
        assert!(!looks_rendered(fenced));
        assert!(!looks_rendered(
            "Here is it:\n\n```yaml\napiVersion: v1\n```\n"
        ));
        assert!(!looks_rendered("apiVersion: v1\nkind: Namespace\n"));
        // Trailing spaces stripped, but the 2-space margin and 4-space code remain.
        assert!(looks_rendered(
            "  Here:\n\n    apiVersion: v1\n    kind: Namespace\n"
        ));
    }
}
