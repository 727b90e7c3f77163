//! A parser for Go's `text/template` syntax (the whole grammar, so that
//! unsupported constructs can be named precisely; the executor implements a
//! subset).

mod lex;

use lex::{Segment, Tok, segments};
use serde_json::Value as J;

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

/// Parse a template.
pub(super) fn parse(src: &str) -> Result<Tree, Error> {
    let segs = segments(src)?;
    if let Some(at) = too_deep(&segs) {
        // Go's parser grows its stack; this one recurses on a thread's fixed stack.
        // So deeper nesting is not parsed: the template is "not fully checked",
        // never an error that helm would not give.
        let what = format!("blocks or parentheses nested more than {MAX_NESTING} levels deep");
        let cmd = Cmd {
            args: vec![Arg::Unsupported { what, at }],
            at,
        };
        return Ok(Tree {
            items: vec![Item::Action(Pipe {
                decls: Vec::new(),
                cmds: vec![cmd],
            })],
            defines: Vec::new(),
        });
    }
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

/// Deepest nesting of blocks (`if`, `with`, `range`, `define`, `block`) or
/// of parentheses within one action that is parsed. Real charts nest a few
/// levels.
const MAX_NESTING: usize = 100;

/// Where the nesting first goes past [`MAX_NESTING`], if it does.
fn too_deep(segs: &[Segment]) -> Option<usize> {
    let mut blocks = 0usize;
    for seg in segs {
        let Segment::Action { toks, at } = seg else {
            continue;
        };
        match toks.first() {
            Some((Tok::Ident(k), _))
                if matches!(k.as_str(), "if" | "with" | "range" | "define" | "block") =>
            {
                blocks += 1;
            }
            Some((Tok::Ident(k), _)) if k == "end" => blocks = blocks.saturating_sub(1),
            _ => {}
        }
        let mut parens = 0usize;
        for (tok, tok_at) in toks {
            match tok {
                Tok::LParen => parens += 1,
                Tok::RParen(..) => parens = parens.saturating_sub(1),
                _ => {}
            }
            if parens > MAX_NESTING {
                return Some(*tok_at);
            }
        }
        if blocks > MAX_NESTING {
            return Some(*at);
        }
    }
    None
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

    /// The one unsupported construct of a tree, if that is all it holds.
    fn unsupported(tree: &Tree) -> Option<(&str, usize)> {
        match tree.items.as_slice() {
            [Item::Action(pipe)] => match pipe.cmds[0].args.as_slice() {
                [Arg::Unsupported { what, at }] => Some((what.as_str(), *at)),
                _ => None,
            },
            _ => None,
        }
    }

    #[test]
    fn nesting_past_the_limit_is_unsupported_not_a_stack_overflow() {
        let parens = |n: usize| format!("{{{{ {}1{} }}}}", "(".repeat(n), ")".repeat(n));
        let blocks = |n: usize| format!("{}x{}", "{{ if 1 }}".repeat(n), "{{ end }}".repeat(n));
        // At the limit: parsed as usual.
        for t in [parens(MAX_NESTING), blocks(MAX_NESTING)] {
            let tree = parse(&t).unwrap();
            assert_eq!(unsupported(&tree), None);
        }
        // Past it, and far past it (100,000 overflowed the stack): one construct that
        // names the reason, at the first level too deep.
        let what = "blocks or parentheses nested more than 100 levels deep";
        for n in [MAX_NESTING + 1, 100_000] {
            let tree = parse(&parens(n)).unwrap();
            assert_eq!(unsupported(&tree), Some((what, 3 + MAX_NESTING)));
            let tree = parse(&blocks(n)).unwrap();
            assert_eq!(unsupported(&tree), Some((what, 10 * MAX_NESTING)));
        }
    }
}
