//! JSON read by a JSON reader, into the same tree.
//!
//! JSON is YAML, and the YAML parser reads it, but not well at size: inside
//! a flow collection (`{...}`, `[...]`) it keeps every token until the
//! collection closes, because any of them might still turn out to be part
//! of a key. A 13 MB `kubectl get -o json` List took 400 MB that way. A text
//! that is valid JSON is read here instead, in one pass, and handed to the
//! tree builder as the parser's events would be: same positions, same
//! duplicate-key findings, same limits. Anything else (YAML flow style
//! such as `{a: 1}`, a JSON error) is left to the YAML parser, which says
//! what is wrong the way it always has.

use std::borrow::Cow;

use saphyr_parser::{Event, Marker, ScalarStyle, Span};

/// Whether `text` is one JSON value (objects and arrays only: a bare
/// scalar is left to the YAML parser).
pub(super) fn is_json(text: &str) -> bool {
    let first = text.bytes().find(|b| !b.is_ascii_whitespace());
    matches!(first, Some(b'{' | b'['))
        && serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}

/// Hand `emit` the events of the JSON `text` (checked by [`is_json`]),
/// until it returns `false`. Iterative: nesting costs no stack (serde_json's
/// check has no depth limit, and the tree builder stops at its own).
pub(super) fn events(text: &str, mut emit: impl FnMut(Event<'_>, Span) -> bool) {
    let mut r = Reader {
        text,
        i: 0,
        line: 1,
        col: 0,
    };
    r.ws();
    let start = r.mark();
    if !emit(Event::StreamStart, Span::empty(start))
        || !emit(Event::DocumentStart(false), Span::empty(start))
    {
        return;
    }
    // The closing byte of each open collection, and whether a key comes next.
    let mut open: Vec<u8> = Vec::new();
    let mut want_key = false;
    loop {
        r.ws();
        let at = r.mark();
        let c = r.peek();
        let go = if c == b'}' || c == b']' {
            r.bump(1);
            open.pop();
            let end = if c == b'}' {
                Event::MappingEnd
            } else {
                Event::SequenceEnd
            };
            emit(end, Span::empty(r.mark()))
        } else if want_key {
            let key = r.string();
            if !emit(
                Event::Scalar(key, ScalarStyle::DoubleQuoted, 0, None),
                Span::new(at, r.mark()),
            ) {
                return;
            }
            r.ws();
            r.bump(1); // ':'
            want_key = false;
            continue;
        } else {
            match c {
                b'{' | b'[' => {
                    r.bump(1);
                    let (event, close) = match c {
                        b'{' => (Event::MappingStart(0, None), b'}'),
                        _ => (Event::SequenceStart(0, None), b']'),
                    };
                    if !emit(event, Span::empty(at)) {
                        return;
                    }
                    open.push(close);
                    want_key = close == b'}';
                    continue;
                }
                b'"' => {
                    let s = r.string();
                    emit(
                        Event::Scalar(s, ScalarStyle::DoubleQuoted, 0, None),
                        Span::new(at, r.mark()),
                    )
                }
                _ => {
                    let s = r.plain();
                    emit(
                        Event::Scalar(s, ScalarStyle::Plain, 0, None),
                        Span::new(at, r.mark()),
                    )
                }
            }
        };
        // A value is complete: a scalar, or a collection just closed.
        if !go {
            return;
        }
        let Some(&close) = open.last() else { break };
        r.ws();
        if r.peek() == b',' {
            r.bump(1);
        }
        want_key = close == b'}';
    }
    r.ws();
    let end = r.mark();
    if emit(Event::DocumentEnd, Span::empty(end)) {
        emit(Event::StreamEnd, Span::empty(end));
    }
}

/// The four hex digits of a `\u` escape.
fn hex4(chars: &mut std::str::CharIndices<'_>) -> u32 {
    let hex: String = chars.take(4).map(|(_, h)| h).collect();
    u32::from_str_radix(&hex, 16).unwrap_or(0xFFFD)
}

struct Reader<'a> {
    text: &'a str,
    /// Byte offset.
    i: usize,
    /// 1-based line, 0-based column in characters (as the YAML parser counts).
    line: usize,
    col: usize,
}

impl<'a> Reader<'a> {
    fn mark(&self) -> Marker {
        Marker::new(self.i, self.line, self.col)
    }

    fn peek(&self) -> u8 {
        self.text.as_bytes().get(self.i).copied().unwrap_or(0)
    }

    /// Move over `n` bytes that hold no line break.
    fn bump(&mut self, n: usize) {
        let bytes = &self.text.as_bytes()[self.i..self.i + n];
        self.col += bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count();
        self.i += n;
    }

    fn ws(&mut self) {
        loop {
            match self.peek() {
                b'\n' => {
                    self.i += 1;
                    self.line += 1;
                    self.col = 0;
                }
                b' ' | b'\t' | b'\r' => self.bump(1),
                _ => return,
            }
        }
    }

    /// A quoted string, unescaped; borrowed when it has no escape.
    fn string(&mut self) -> Cow<'a, str> {
        let text = self.text;
        let body = self.i + 1;
        let b = text.as_bytes();
        let mut j = body;
        while b[j] != b'"' && b[j] != b'\\' {
            j += 1;
        }
        if b[j] == b'"' {
            self.bump(j + 1 - self.i);
            return Cow::Borrowed(&text[body..j]);
        }
        let mut out = String::from(&text[body..j]);
        let mut chars = text[j..].char_indices();
        while let Some((k, c)) = chars.next() {
            match c {
                '"' => {
                    self.bump(j + k + 1 - self.i);
                    break;
                }
                '\\' => match chars.next().map(|(_, e)| e) {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('r') => out.push('\r'),
                    Some('b') => out.push('\u{8}'),
                    Some('f') => out.push('\u{c}'),
                    Some('u') => {
                        let hi = hex4(&mut chars);
                        let c = if (0xD800..0xDC00).contains(&hi) {
                            // A surrogate pair: `\uD83D\uDE00`.
                            chars.nth(1);
                            let lo = hex4(&mut chars);
                            0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF)
                        } else {
                            hi
                        };
                        out.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
                    }
                    Some(other) => out.push(other), // `\"`, `\\`, `\/`
                    None => break,
                },
                c => out.push(c),
            }
        }
        Cow::Owned(out)
    }

    /// `true`, `false`, `null` or a number, as YAML reads them. A number with
    /// a fraction or an exponent is written with a `.` and no exponent, so
    /// that YAML 1.1 reads it as the float JSON means (`1e3` is 1000.0).
    fn plain(&mut self) -> Cow<'a, str> {
        let b = self.text.as_bytes();
        let mut j = self.i;
        while j < b.len() && matches!(b[j], b'0'..=b'9' | b'a'..=b'z' | b'-' | b'+' | b'.' | b'E') {
            j += 1;
        }
        let raw = &self.text[self.i..j];
        self.bump(j - self.i);
        if raw.contains(['e', 'E'])
            && !matches!(raw, "true" | "false")
            && let Ok(f) = raw.parse::<f64>()
        {
            let mut s = f.to_string();
            if !s.contains('.') {
                s.push_str(".0");
            }
            return Cow::Owned(s);
        }
        Cow::Borrowed(raw)
    }
}
