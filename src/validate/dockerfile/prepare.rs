//! Preparation: heredocs parse-dockerfile 0.1 cannot parse are masked, line numbers kept.

#[allow(unused_imports)]
use super::*;
use crate::extract::heredoc_delims;

pub(super) struct Prepared {
    /// The text handed to the parser: identical to the input except that the
    /// bodies of heredocs parse-dockerfile cannot parse (`RUN cat <<EOF > f`,
    /// a second heredoc) are turned into comment lines, so line numbers stay.
    pub(super) text: String,
    /// Bodies of masked heredocs fed to a shell (`RUN bash <<EOF`), by the
    /// 1-based line of their RUN instruction.
    pub(super) scripts: HashMap<usize, String>,
}

pub(super) const SHELLS: &[&str] = &["sh", "bash", "ash", "dash", "zsh"];

pub(super) fn prepare(text: &str) -> Prepared {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let escape = escape_directive(&lines);
    let mut out = String::with_capacity(text.len() + 64);
    let mut scripts = HashMap::new();
    let mut continued = false;
    let mut keyword = String::new();
    let mut instr_line = 0;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let t = line.trim();
        let first = !continued;
        if first {
            if t.is_empty() || t.starts_with('#') {
                out.push_str(line);
                i += 1;
                continue;
            }
            keyword = t
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            instr_line = i + 1;
        } else if t.starts_with('#') {
            out.push_str(line);
            i += 1;
            continue;
        }
        continued = t.ends_with(escape);
        out.push_str(line);
        i += 1;
        if keyword != "RUN" || continued {
            continue;
        }
        let delims = heredoc_delims(t);
        if delims.is_empty() {
            continue;
        }
        let args = run_args(t, first);
        // parse-dockerfile handles exactly one heredoc at the start of RUN.
        let handled = usize::from(first && args.starts_with("<<"));
        let launcher = &args[..args.find("<<").unwrap_or(args.len())];
        for (k, (delim, strip_tabs)) in delims.iter().enumerate() {
            let mut body = String::new();
            while i < lines.len() {
                let l = lines[i];
                let content = l.trim_end_matches(['\n', '\r']);
                let cmp = if *strip_tabs {
                    content.trim_start_matches('\t')
                } else {
                    content
                };
                let is_end = cmp == delim;
                if k < handled {
                    out.push_str(l);
                } else {
                    out.push('#');
                    out.push_str(l);
                }
                i += 1;
                if is_end {
                    break;
                }
                body.push_str(content);
                body.push('\n');
            }
            if k == 0 && handled == 0 && is_shell_launcher(launcher) {
                scripts.insert(instr_line, body);
            }
        }
    }
    Prepared { text: out, scripts }
}

pub(super) fn escape_directive(lines: &[&str]) -> char {
    for line in lines {
        let t = line.trim();
        let Some(d) = t.strip_prefix('#') else { break };
        let d = d.trim();
        if let Some((k, v)) = d.split_once('=') {
            if k.trim().eq_ignore_ascii_case("escape")
                && let Some(c) = v.trim().chars().next()
            {
                return c;
            }
            continue;
        }
        break;
    }
    '\\'
}

/// The arguments of a RUN line after the keyword and `--flag` options (for a
/// continuation line: the whole line).
pub(super) fn run_args(line: &str, first: bool) -> &str {
    let mut rest = line.trim_start();
    if first {
        rest = rest.get(3..).unwrap_or("").trim_start();
        while rest.starts_with("--") {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            rest = rest[end..].trim_start();
        }
    }
    rest
}

/// Empty, or a shell with only flags (`bash`, `sh -ex`, `/bin/bash -e`).
pub(super) fn is_shell_launcher(cmd: &str) -> bool {
    let mut words = cmd.split_whitespace();
    match words.next() {
        None => true,
        Some(w) => SHELLS.contains(&basename(w)) && words.all(|w| w.starts_with('-') && w != "-c"),
    }
}
