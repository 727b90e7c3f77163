//! A tiny shell lexer: enough to find simple commands and their arguments.

#[allow(unused_imports)]
use super::*;

#[derive(Debug, Default, PartialEq)]
pub(super) struct ShellCmd {
    /// `NAME=value` words before the command.
    pub(super) assigns: Vec<String>,
    /// The command's basename (`/usr/bin/pip3` → `pip3`).
    pub(super) name: String,
    pub(super) args: Vec<String>,
}

pub(super) const SHELL_KEYWORDS: &[&str] = &[
    "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "time",
    "env", "exec", "command",
];

pub(super) fn is_assignment(w: &str) -> bool {
    match w.split_once('=') {
        Some((name, _)) => {
            !name.is_empty()
                && name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
        None => false,
    }
}

pub(super) fn make_cmd(words: Vec<String>) -> Option<ShellCmd> {
    let mut assigns = Vec::new();
    let mut it = words.into_iter().peekable();
    while let Some(w) = it.peek() {
        if is_assignment(w) {
            assigns.push(it.next().expect("peeked"));
        } else if SHELL_KEYWORDS.contains(&w.as_str()) {
            it.next();
        } else {
            break;
        }
    }
    let name = basename(&it.next()?).to_string();
    Some(ShellCmd {
        assigns,
        name,
        args: it.collect(),
    })
}

/// Split a shell script into simple commands (on newlines, `;`, `&&`, `||`,
/// `|`, `&`, parentheses). Quotes are removed, comments and redirections
/// (with their targets) dropped; `$(...)` and backticks stay inside a word.
pub(super) fn shell_commands(script: &str) -> Vec<ShellCmd> {
    let chars: Vec<char> = script.chars().collect();
    let n = chars.len();
    let mut cmds = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut skip_word = false;

    pub(super) fn end_word(
        word: &mut String,
        in_word: &mut bool,
        skip_word: &mut bool,
        words: &mut Vec<String>,
    ) {
        if *in_word {
            if *skip_word {
                *skip_word = false;
            } else {
                words.push(std::mem::take(word));
            }
            word.clear();
            *in_word = false;
        }
    }

    let mut i = 0;
    while i < n {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\r' => end_word(&mut word, &mut in_word, &mut skip_word, &mut words),
            '\n' | ';' | '(' | ')' | '|' => {
                end_word(&mut word, &mut in_word, &mut skip_word, &mut words);
                skip_word = false;
                cmds.extend(make_cmd(std::mem::take(&mut words)));
            }
            '&' => {
                end_word(&mut word, &mut in_word, &mut skip_word, &mut words);
                if chars.get(i + 1) == Some(&'>') {
                    i += 2;
                    while i < n && chars[i] == '>' {
                        i += 1;
                    }
                    skip_word = true;
                    continue;
                }
                skip_word = false;
                cmds.extend(make_cmd(std::mem::take(&mut words)));
            }
            '>' | '<' => {
                if in_word && word.chars().all(|c| c.is_ascii_digit()) {
                    word.clear();
                    in_word = false;
                } else {
                    end_word(&mut word, &mut in_word, &mut skip_word, &mut words);
                }
                i += 1;
                while i < n && matches!(chars[i], '>' | '<' | '&' | '-' | '|') {
                    i += 1;
                }
                skip_word = true;
                continue;
            }
            '#' if !in_word => {
                while i < n && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            '\\' => {
                if let Some(&next) = chars.get(i + 1)
                    && next != '\n'
                {
                    word.push(next);
                    in_word = true;
                }
                i += 2;
                continue;
            }
            '\'' => {
                in_word = true;
                i += 1;
                while i < n && chars[i] != '\'' {
                    word.push(chars[i]);
                    i += 1;
                }
            }
            '"' => {
                in_word = true;
                i += 1;
                while i < n && chars[i] != '"' {
                    if chars[i] == '\\'
                        && i + 1 < n
                        && matches!(chars[i + 1], '"' | '\\' | '$' | '`' | '\n')
                    {
                        if chars[i + 1] != '\n' {
                            word.push(chars[i + 1]);
                        }
                        i += 2;
                        continue;
                    }
                    word.push(chars[i]);
                    i += 1;
                }
            }
            '$' if chars.get(i + 1) == Some(&'(') => {
                in_word = true;
                let mut depth = 0;
                while i < n {
                    word.push(chars[i]);
                    match chars[i] {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
            }
            '`' => {
                in_word = true;
                word.push(c);
                i += 1;
                while i < n && chars[i] != '`' {
                    word.push(chars[i]);
                    i += 1;
                }
                word.push('`');
            }
            _ => {
                word.push(c);
                in_word = true;
            }
        }
        i += 1;
    }
    end_word(&mut word, &mut in_word, &mut skip_word, &mut words);
    cmds.extend(make_cmd(words));
    cmds
}
