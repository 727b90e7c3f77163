//! The lexer of Go's `text/template`: the text split into plain text and
//! actions (`segments`), and each action into tokens (`lex`), with Go's
//! number literals (`number`).

use serde_json::{Number, Value as J};

use super::{Error, error};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Field(Vec<String>),
    Var(String, Vec<String>),
    Ident(String),
    Lit(J),
    Char,
    LParen,
    /// `)` and the field chain right after it.
    RParen(Vec<String>),
    Pipe,
    Declare,
    Assign,
    Comma,
}

pub(super) enum Segment {
    Text(String),
    Action { toks: Vec<(Tok, usize)>, at: usize },
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// Split the text into text and actions, applying `{{-`/`-}}` trimming
/// and dropping comments.
pub(super) fn segments(src: &str) -> Result<Vec<Segment>, Error> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut trim_next = false;
    loop {
        let open = src[i..].find("{{").map(|j| i + j);
        let text_end = open.unwrap_or(src.len());
        let mut text = &src[i..text_end];
        if trim_next {
            text = text.trim_start_matches([' ', '\t', '\r', '\n']);
        }
        let Some(open) = open else {
            if !text.is_empty() {
                out.push(Segment::Text(text.to_owned()));
            }
            break;
        };
        let mut k = open + 2;
        let trim_left = b.get(k) == Some(&b'-') && b.get(k + 1).is_some_and(|c| is_space(*c));
        if trim_left {
            text = text.trim_end_matches([' ', '\t', '\r', '\n']);
            k += 2;
        }
        if !text.is_empty() {
            out.push(Segment::Text(text.to_owned()));
        }
        // Comment: `{{/* ... */}}`, `{{- /* ... */ -}}`.
        if src[k..].starts_with("/*") {
            let Some(end) = src[k + 2..].find("*/") else {
                return error(open, "unclosed comment");
            };
            let mut j = k + 2 + end + 2;
            let rest = &src[j..];
            if rest.starts_with("}}") {
                trim_next = false;
                i = j + 2;
            } else if rest.len() >= 4
                && is_space(rest.as_bytes()[0])
                && rest[1..].starts_with("-}}")
            {
                trim_next = true;
                j += 4;
                i = j;
            } else {
                return error(open, "comment ends before closing delimiter");
            }
            continue;
        }
        // Find the closing `}}`, skipping quoted strings.
        let mut j = k;
        let close;
        loop {
            if j >= b.len() {
                return error(open, "unclosed action");
            }
            match b[j] {
                b'"' => {
                    j += 1;
                    while j < b.len() && b[j] != b'"' {
                        if b[j] == b'\\' {
                            j += 1;
                        }
                        if j < b.len() && b[j] == b'\n' {
                            return error(j, "unterminated quoted string");
                        }
                        j += 1;
                    }
                    j += 1;
                }
                b'`' => {
                    j += 1;
                    while j < b.len() && b[j] != b'`' {
                        j += 1;
                    }
                    j += 1;
                }
                b'\'' => {
                    j += 1;
                    while j < b.len() && b[j] != b'\'' {
                        if b[j] == b'\\' {
                            j += 1;
                        }
                        j += 1;
                    }
                    j += 1;
                }
                b'}' if b.get(j + 1) == Some(&b'}') => {
                    close = j;
                    break;
                }
                _ => j += 1,
            }
        }
        let trim_right = close >= k + 2 && b[close - 1] == b'-' && is_space(b[close - 2]);
        let body_end = if trim_right { close - 2 } else { close };
        let toks = lex(src, k, body_end.max(k))?;
        out.push(Segment::Action { toks, at: open });
        trim_next = trim_right;
        i = close + 2;
    }
    Ok(out)
}

fn ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Tokens of one action body `src[start..end]`, with absolute offsets.
fn lex(src: &str, start: usize, end: usize) -> Result<Vec<(Tok, usize)>, Error> {
    let body = &src[start..end];
    let chars: Vec<(usize, char)> = body.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let at = |i: usize| start + chars.get(i).map_or(body.len(), |c| c.0);
    let chain = |i: &mut usize| -> Vec<String> {
        let mut fields = Vec::new();
        while *i < chars.len()
            && chars[*i].1 == '.'
            && chars
                .get(*i + 1)
                .is_some_and(|c| ident_char(c.1) && !c.1.is_ascii_digit())
        {
            *i += 1;
            let mut name = String::new();
            while *i < chars.len() && ident_char(chars[*i].1) {
                name.push(chars[*i].1);
                *i += 1;
            }
            fields.push(name);
        }
        fields
    };
    while i < chars.len() {
        let (_, c) = chars[i];
        let here = at(i);
        match c {
            c if c.is_whitespace() => i += 1,
            '|' => {
                out.push((Tok::Pipe, here));
                i += 1;
            }
            '(' => {
                out.push((Tok::LParen, here));
                i += 1;
            }
            ')' => {
                i += 1;
                let fields = chain(&mut i);
                out.push((Tok::RParen(fields), here));
            }
            ',' => {
                out.push((Tok::Comma, here));
                i += 1;
            }
            ':' if chars.get(i + 1).is_some_and(|c| c.1 == '=') => {
                out.push((Tok::Declare, here));
                i += 2;
            }
            '=' => {
                out.push((Tok::Assign, here));
                i += 1;
            }
            '"' => {
                i += 1;
                let mut s = String::new();
                loop {
                    let Some(&(_, c)) = chars.get(i) else {
                        return error(here, "unterminated quoted string");
                    };
                    i += 1;
                    match c {
                        '"' => break,
                        '\\' => {
                            let Some(&(_, e)) = chars.get(i) else {
                                return error(here, "unterminated quoted string");
                            };
                            i += 1;
                            match e {
                                'n' => s.push('\n'),
                                't' => s.push('\t'),
                                'r' => s.push('\r'),
                                'a' => s.push('\u{7}'),
                                'b' => s.push('\u{8}'),
                                'f' => s.push('\u{c}'),
                                'v' => s.push('\u{b}'),
                                '\\' | '"' | '\'' => s.push(e),
                                'x' | 'u' | 'U' => {
                                    let n = match e {
                                        'x' => 2,
                                        'u' => 4,
                                        _ => 8,
                                    };
                                    let hex: String =
                                        chars.iter().skip(i).take(n).map(|c| c.1).collect();
                                    i += n;
                                    let ch =
                                        u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32);
                                    match ch {
                                        Some(ch) => s.push(ch),
                                        None => {
                                            return error(
                                                here,
                                                format!("invalid escape `\\{e}{hex}`"),
                                            );
                                        }
                                    }
                                }
                                '0'..='7' => {
                                    let oct: String =
                                        chars.iter().skip(i - 1).take(3).map(|c| c.1).collect();
                                    i += 2;
                                    match u32::from_str_radix(&oct, 8).ok().and_then(char::from_u32)
                                    {
                                        Some(ch) => s.push(ch),
                                        None => {
                                            return error(
                                                here,
                                                format!("invalid escape `\\{oct}`"),
                                            );
                                        }
                                    }
                                }
                                other => {
                                    return error(
                                        here,
                                        format!("unknown escape sequence `\\{other}`"),
                                    );
                                }
                            }
                        }
                        c => s.push(c),
                    }
                }
                out.push((Tok::Lit(J::String(s)), here));
            }
            '`' => {
                i += 1;
                let mut s = String::new();
                loop {
                    let Some(&(_, c)) = chars.get(i) else {
                        return error(here, "unterminated raw quoted string");
                    };
                    i += 1;
                    if c == '`' {
                        break;
                    }
                    s.push(c);
                }
                out.push((Tok::Lit(J::String(s)), here));
            }
            '\'' => {
                i += 1;
                while i < chars.len() && chars[i].1 != '\'' {
                    if chars[i].1 == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                out.push((Tok::Char, here));
            }
            '$' => {
                i += 1;
                let mut name = String::new();
                while i < chars.len() && ident_char(chars[i].1) {
                    name.push(chars[i].1);
                    i += 1;
                }
                let fields = chain(&mut i);
                out.push((Tok::Var(name, fields), here));
            }
            '.' if !chars.get(i + 1).is_some_and(|c| c.1.is_ascii_digit()) => {
                let fields = chain(&mut i);
                if fields.is_empty() {
                    i += 1; // a lone dot
                }
                out.push((Tok::Field(fields), here));
            }
            c if c.is_ascii_digit()
                || c == '.'
                || ((c == '-' || c == '+')
                    && chars
                        .get(i + 1)
                        .is_some_and(|n| n.1.is_ascii_digit() || n.1 == '.')) =>
            {
                let begin = i;
                i += 1;
                while i < chars.len()
                    && (chars[i].1.is_ascii_alphanumeric()
                        || chars[i].1 == '.'
                        || chars[i].1 == '_'
                        || ((chars[i].1 == '-' || chars[i].1 == '+')
                            && matches!(chars[i - 1].1, 'e' | 'E' | 'p' | 'P')))
                {
                    i += 1;
                }
                let text: String = chars[begin..i].iter().map(|c| c.1).collect();
                match number(&text) {
                    Some(v) => out.push((Tok::Lit(v), here)),
                    None => return error(here, format!("bad number syntax: `{text}`")),
                }
            }
            c if ident_char(c) => {
                let mut name = String::new();
                while i < chars.len() && ident_char(chars[i].1) {
                    name.push(chars[i].1);
                    i += 1;
                }
                let tok = match name.as_str() {
                    "true" => Tok::Lit(J::Bool(true)),
                    "false" => Tok::Lit(J::Bool(false)),
                    "nil" => Tok::Lit(J::Null),
                    _ => Tok::Ident(name),
                };
                out.push((tok, here));
            }
            other => return error(here, format!("unexpected `{other}` in action")),
        }
    }
    Ok(out)
}

fn number(text: &str) -> Option<J> {
    let clean = text.replace('_', "");
    let (neg, digits) = match clean.strip_prefix('-') {
        Some(d) => (true, d.to_owned()),
        None => (false, clean.strip_prefix('+').unwrap_or(&clean).to_owned()),
    };
    let lower = digits.to_ascii_lowercase();
    let int = if let Some(h) = lower.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(o) = lower.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else if let Some(b) = lower.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()
    } else if lower.len() > 1 && lower.starts_with('0') && lower.bytes().all(|c| c.is_ascii_digit())
    {
        i64::from_str_radix(&lower[1..], 8).ok()
    } else {
        lower.parse::<i64>().ok()
    };
    if let Some(i) = int {
        return Some(J::from(if neg { -i } else { i }));
    }
    let f: f64 = lower.parse().ok()?;
    let f = if neg { -f } else { f };
    // Go: a float constant with an integral value is also an int.
    if f.fract() == 0.0 && f.abs() < 9.0e15 && !lower.contains(['e', 'p']) {
        return Some(J::from(f as i64));
    }
    Number::from_f64(f).map(J::Number)
}
