//! A parser for Go's `text/template` syntax (the whole grammar, so that
//! unsupported constructs can be named precisely; the executor implements a
//! subset).

use serde_json::{Number, Value as J};

#[derive(Debug, Clone, Default)]
pub(super) struct Tree {
    pub(super) items: Vec<Item>,
    pub(super) defines: Vec<Define>,
}

#[derive(Debug, Clone)]
pub(super) struct Define {
    pub(super) name: String,
    pub(super) body: Vec<Item>,
}

/// Offsets (`at`) are byte offsets into the template text.
#[derive(Debug, Clone)]
pub(super) enum Item {
    Text(String),
    Action(Pipe),
    If {
        branches: Vec<(Pipe, Vec<Item>)>,
        els: Vec<Item>,
    },
    With {
        pipe: Pipe,
        body: Vec<Item>,
        els: Vec<Item>,
        at: usize,
    },
    Range {
        pipe: Pipe,
        body: Vec<Item>,
        els: Vec<Item>,
        at: usize,
    },
    /// `template "name" pipeline` or `block "name" pipeline`.
    Template {
        name: String,
        arg: Option<Pipe>,
        at: usize,
        keyword: &'static str,
    },
    /// `break`, `continue`.
    Control {
        keyword: &'static str,
        at: usize,
    },
}

#[derive(Debug, Clone)]
pub(super) struct Pipe {
    /// `$x :=` / `$x =` / `$i, $v :=`.
    pub(super) decls: Vec<(String, usize)>,
    pub(super) cmds: Vec<Cmd>,
}

#[derive(Debug, Clone)]
pub(super) struct Cmd {
    pub(super) args: Vec<Arg>,
    pub(super) at: usize,
}

#[derive(Debug, Clone)]
pub(super) enum Arg {
    /// `.` (empty chain) or `.a.b`.
    Field {
        chain: Vec<String>,
        at: usize,
    },
    /// `$` (empty name) or `$x`, with a field chain.
    Var {
        name: String,
        chain: Vec<String>,
        at: usize,
    },
    Func {
        name: String,
        at: usize,
    },
    /// Strings, numbers, booleans, `nil` (null).
    Lit {
        value: J,
        at: usize,
    },
    /// `( pipeline )`, with a field chain.
    Sub {
        pipe: Pipe,
        chain: Vec<String>,
        at: usize,
    },
    /// Syntax the executor will never support (character constants, ...).
    Unsupported {
        what: String,
        at: usize,
    },
}

impl Arg {
    pub(super) fn at(&self) -> usize {
        match self {
            Arg::Field { at, .. }
            | Arg::Var { at, .. }
            | Arg::Func { at, .. }
            | Arg::Lit { at, .. }
            | Arg::Sub { at, .. }
            | Arg::Unsupported { at, .. } => *at,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Error {
    pub(super) at: usize,
    pub(super) message: String,
}

fn error<T>(at: usize, message: impl Into<String>) -> Result<T, Error> {
    Err(Error {
        at,
        message: message.into(),
    })
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
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

enum Segment {
    Text(String),
    Action { toks: Vec<(Tok, usize)>, at: usize },
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// Split the text into text and actions, applying `{{-`/`-}}` trimming
/// and dropping comments.
fn segments(src: &str) -> Result<Vec<Segment>, Error> {
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

/// Parse a template.
pub(super) fn parse(src: &str) -> Result<Tree, Error> {
    let segs = segments(src)?;
    let mut p = Parser {
        segs,
        i: 0,
        defines: Vec::new(),
    };
    let (items, stop) = p.list(true)?;
    match stop {
        Stop::Eof => {}
        Stop::End(at) => return error(at, "unexpected {{end}}"),
        Stop::Else(at, _) => return error(at, "unexpected {{else}}"),
    }
    Ok(Tree {
        items,
        defines: p.defines,
    })
}

enum Stop {
    Eof,
    End(usize),
    Else(usize, Vec<(Tok, usize)>),
}

struct Parser {
    segs: Vec<Segment>,
    i: usize,
    defines: Vec<Define>,
}

impl Parser {
    fn list(&mut self, top: bool) -> Result<(Vec<Item>, Stop), Error> {
        let mut items = Vec::new();
        while self.i < self.segs.len() {
            let seg = std::mem::replace(&mut self.segs[self.i], Segment::Text(String::new()));
            self.i += 1;
            let (toks, at) = match seg {
                Segment::Text(t) => {
                    items.push(Item::Text(t));
                    continue;
                }
                Segment::Action { toks, at } => (toks, at),
            };
            let keyword = match toks.first() {
                Some((Tok::Ident(k), _)) => k.as_str(),
                Some(_) => "",
                None => return error(at, "missing value for command"),
            };
            let rest = toks.get(1..).unwrap_or_default().to_vec();
            match keyword {
                "end" => {
                    if !rest.is_empty() {
                        return error(at, "unexpected tokens after end");
                    }
                    return Ok((items, Stop::End(at)));
                }
                "else" => return Ok((items, Stop::Else(at, rest))),
                "if" | "with" | "range" => items.push(self.control(keyword, &rest, at)?),
                "define" => {
                    if !top {
                        return error(at, "unexpected {{define}}: it must be at the top level");
                    }
                    let name = match rest.as_slice() {
                        [(Tok::Lit(J::String(n)), _)] => n.clone(),
                        _ => return error(at, "`define` needs a quoted template name"),
                    };
                    let (body, stop) = self.list(false)?;
                    match stop {
                        Stop::End(_) => {}
                        _ => {
                            return error(
                                at,
                                format!(
                                    "unexpected EOF: {{{{define \"{name}\"}}}} has no {{{{end}}}}"
                                ),
                            );
                        }
                    }
                    self.defines.push(Define { name, body });
                }
                "template" | "block" => {
                    let (name, arg_toks) = match rest.split_first() {
                        Some(((Tok::Lit(J::String(n)), _), arg)) => (n.clone(), arg),
                        _ => {
                            return error(at, format!("`{keyword}` needs a quoted template name"));
                        }
                    };
                    let arg = if arg_toks.is_empty() {
                        None
                    } else {
                        Some(pipeline(arg_toks, at)?)
                    };
                    let keyword: &'static str = if keyword == "block" {
                        "block"
                    } else {
                        "template"
                    };
                    if keyword == "block" {
                        let (body, stop) = self.list(false)?;
                        if !matches!(stop, Stop::End(_)) {
                            return error(at, "unexpected EOF: {{block}} has no {{end}}");
                        }
                        self.defines.push(Define {
                            name: name.clone(),
                            body,
                        });
                    }
                    items.push(Item::Template {
                        name,
                        arg,
                        at,
                        keyword,
                    });
                }
                "break" | "continue" => {
                    items.push(Item::Control {
                        keyword: if keyword == "break" {
                            "break"
                        } else {
                            "continue"
                        },
                        at,
                    });
                }
                _ => items.push(Item::Action(pipeline(&toks, at)?)),
            }
        }
        Ok((items, Stop::Eof))
    }

    /// `if`/`with`/`range` after its keyword, up to its `end`.
    fn control(&mut self, keyword: &str, rest: &[(Tok, usize)], at: usize) -> Result<Item, Error> {
        let pipe = pipeline(rest, at)?;
        let (body, stop) = self.list(false)?;
        let mut branches = vec![(pipe, body)];
        let mut els = Vec::new();
        let mut stop = stop;
        loop {
            match stop {
                Stop::End(_) => break,
                Stop::Eof => {
                    return error(
                        at,
                        format!("unexpected EOF: {{{{{keyword}}}}} has no {{{{end}}}}"),
                    );
                }
                Stop::Else(else_at, toks) => {
                    if toks.is_empty() {
                        let (body, s) = self.list(false)?;
                        els = body;
                        match s {
                            Stop::End(_) => break,
                            Stop::Else(a, _) => {
                                return error(a, "unexpected {{else}} after {{else}}");
                            }
                            Stop::Eof => {
                                return error(
                                    at,
                                    format!("unexpected EOF: {{{{{keyword}}}}} has no {{{{end}}}}"),
                                );
                            }
                        }
                    }
                    match toks.first() {
                        Some((Tok::Ident(k), _)) if k == "if" && keyword == "if" => {
                            let cond = pipeline(&toks[1..], else_at)?;
                            let (body, s) = self.list(false)?;
                            branches.push((cond, body));
                            stop = s;
                        }
                        Some((Tok::Ident(k), _)) if k == "if" || k == "with" => {
                            // `{{ else if }}` in with/range, `{{ else with }}`:
                            // a nested control sharing the outer `{{ end }}`.
                            let k = k.clone();
                            els = vec![self.control(&k, &toks[1..], else_at)?];
                            break;
                        }
                        _ => return error(else_at, "unexpected tokens after else"),
                    }
                }
            }
        }
        Ok(match keyword {
            "if" => Item::If { branches, els },
            "with" => {
                let (pipe, body) = branches.remove(0);
                Item::With {
                    pipe,
                    body,
                    els,
                    at,
                }
            }
            _ => {
                let (pipe, body) = branches.remove(0);
                Item::Range {
                    pipe,
                    body,
                    els,
                    at,
                }
            }
        })
    }
}

/// A pipeline: optional declarations, then commands separated by `|`.
fn pipeline(toks: &[(Tok, usize)], at: usize) -> Result<Pipe, Error> {
    let mut decls = Vec::new();
    let mut rest = toks;
    // `$x :=`, `$x =`, `$i, $v :=`
    let decl_end = toks
        .iter()
        .position(|(t, _)| matches!(t, Tok::Declare | Tok::Assign));
    if let Some(end) = decl_end
        && toks[..end]
            .iter()
            .all(|(t, _)| matches!(t, Tok::Var(_, c) if c.is_empty()) || *t == Tok::Comma)
        && end > 0
    {
        for (t, a) in &toks[..end] {
            if let Tok::Var(name, _) = t {
                decls.push((format!("${name}"), *a));
            }
        }
        rest = &toks[end + 1..];
    }
    if rest.is_empty() {
        return error(at, "missing value for command");
    }
    let mut cmds = Vec::new();
    let mut i = 0;
    while i < rest.len() {
        let cmd_at = rest[i].1;
        let mut args = Vec::new();
        while i < rest.len() && rest[i].0 != Tok::Pipe {
            let (tok, a) = &rest[i];
            i += 1;
            let arg = match tok {
                Tok::Field(chain) => Arg::Field {
                    chain: chain.clone(),
                    at: *a,
                },
                Tok::Var(name, chain) => Arg::Var {
                    name: name.clone(),
                    chain: chain.clone(),
                    at: *a,
                },
                Tok::Ident(name) => Arg::Func {
                    name: name.clone(),
                    at: *a,
                },
                Tok::Lit(v) => Arg::Lit {
                    value: v.clone(),
                    at: *a,
                },
                Tok::Char => Arg::Unsupported {
                    what: "a character constant".into(),
                    at: *a,
                },
                Tok::LParen => {
                    let mut depth = 1;
                    let start = i;
                    while i < rest.len() {
                        match rest[i].0 {
                            Tok::LParen => depth += 1,
                            Tok::RParen(_) => {
                                depth -= 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            _ => {}
                        }
                        i += 1;
                    }
                    let Some((Tok::RParen(chain), _)) = rest.get(i) else {
                        return error(*a, "unclosed left paren");
                    };
                    let inner = pipeline(&rest[start..i], *a)?;
                    if !inner.decls.is_empty() {
                        return error(*a, "variable declaration inside parentheses");
                    }
                    i += 1;
                    Arg::Sub {
                        pipe: inner,
                        chain: chain.clone(),
                        at: *a,
                    }
                }
                Tok::RParen(_) => return error(*a, "unexpected right paren"),
                Tok::Declare | Tok::Assign | Tok::Comma => {
                    return error(*a, "unexpected `:=`, `=` or `,` in pipeline");
                }
                Tok::Pipe => unreachable!(),
            };
            args.push(arg);
        }
        if args.is_empty() {
            return error(cmd_at, "missing command in pipeline");
        }
        cmds.push(Cmd { args, at: cmd_at });
        if i < rest.len() {
            i += 1; // the `|`
            if i == rest.len() {
                return error(rest[i - 1].1, "missing command after `|`");
            }
        }
    }
    Ok(Pipe { decls, cmds })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_parse_errors() {
        for (t, msg, at) in [
            ("{{ if .x }}", "unexpected EOF: {{if}} has no {{end}}", 0),
            ("a {{ end }}", "unexpected {{end}}", 2),
            ("{{ .x ", "unclosed action", 0),
            ("{{ \"abc }}", "unclosed action", 0),
            ("{{ \"abc\n }}", "unterminated quoted string", 7),
            ("{{/* x }}", "unclosed comment", 0),
            ("{{ }}", "missing value for command", 0),
            ("{{ .a | }}", "missing command after `|`", 6),
            ("{{ (.a }}", "unclosed left paren", 3),
            (
                "{{ if .a }}{{ define \"x\" }}{{ end }}{{ end }}",
                "unexpected {{define}}: it must be at the top level",
                11,
            ),
        ] {
            let e = parse(t).unwrap_err();
            assert_eq!((e.message.as_str(), e.at), (msg, at), "{t}");
        }
    }
}
