//! helm's `toYaml`, written the way go-yaml v2 writes it.

use serde_json::{Map, Value as J};

use super::gofmt::go_float;
use crate::validate::yaml::{self, Value};

/// helm's `toYaml` (`sigs.k8s.io/yaml.Marshal`, go-yaml v2 style), without
/// the trailing newline.
pub(super) fn to_yaml(v: &J) -> String {
    let mut out = String::new();
    match v {
        J::Object(m) if !m.is_empty() => yaml_map(m, 0, &mut out),
        J::Array(a) if !a.is_empty() => yaml_seq(a, 0, &mut out),
        other => {
            out.push_str(&yaml_scalar(other, 0));
            out.push('\n');
        }
    }
    out.truncate(out.trim_end_matches('\n').len());
    out
}

fn yaml_map(m: &Map<String, J>, indent: usize, out: &mut String) {
    let mut keys: Vec<&String> = m.keys().collect();
    keys.sort_by(|a, b| yaml_key_order(a, b));
    for (i, k) in keys.into_iter().enumerate() {
        if i > 0 || !out.ends_with("- ") {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&yaml_string(k, indent));
        out.push(':');
        yaml_after_key(&m[k], indent, out);
    }
}

fn yaml_after_key(v: &J, indent: usize, out: &mut String) {
    match v {
        J::Object(m) if !m.is_empty() => {
            out.push('\n');
            yaml_map(m, indent + 2, out);
        }
        J::Array(a) if !a.is_empty() => {
            out.push('\n');
            yaml_seq(a, indent, out);
        }
        other => {
            out.push(' ');
            out.push_str(&yaml_scalar(other, indent));
            out.push('\n');
        }
    }
}

fn yaml_seq(a: &[J], indent: usize, out: &mut String) {
    for (i, item) in a.iter().enumerate() {
        if i > 0 || !out.ends_with("- ") {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str("- ");
        match item {
            J::Object(m) if !m.is_empty() => yaml_map(m, indent + 2, out),
            J::Array(inner) if !inner.is_empty() => yaml_seq(inner, indent + 2, out),
            other => {
                out.push_str(&yaml_scalar(other, indent + 2));
                out.push('\n');
            }
        }
    }
}

/// go-yaml v2's ordering of string keys: digit runs compare as numbers,
/// letters sort before other characters.
fn yaml_key_order(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let less = |x: &[char], y: &[char]| -> bool {
        let mut i = 0;
        while i < x.len() && i < y.len() {
            if x[i] == y[i] {
                i += 1;
                continue;
            }
            let al = x[i].is_alphabetic();
            let bl = y[i].is_alphabetic();
            if al && bl {
                return x[i] < y[i];
            }
            if al || bl {
                return bl;
            }
            let (mut an, mut bn) = (0i64, 0i64);
            if x[i] == '0' || y[i] == '0' {
                let mut j = i;
                while j > 0 && x[j - 1].is_ascii_digit() {
                    j -= 1;
                    if x[j] != '0' {
                        an = 1;
                        bn = 1;
                        break;
                    }
                }
            }
            let mut ai = i;
            while ai < x.len() && x[ai].is_ascii_digit() {
                an = an
                    .saturating_mul(10)
                    .saturating_add(x[ai] as i64 - '0' as i64);
                ai += 1;
            }
            let mut bi = i;
            while bi < y.len() && y[bi].is_ascii_digit() {
                bn = bn
                    .saturating_mul(10)
                    .saturating_add(y[bi] as i64 - '0' as i64);
                bi += 1;
            }
            if an != bn {
                return an < bn;
            }
            if ai != bi {
                return ai < bi;
            }
            return x[i] < y[i];
        }
        x.len() < y.len()
    };
    if less(&ar, &br) {
        Ordering::Less
    } else if less(&br, &ar) {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

fn yaml_scalar(v: &J, indent: usize) -> String {
    match v {
        J::Null => "null".to_owned(),
        J::Bool(b) => b.to_string(),
        J::Number(n) => {
            // Through JSON: integral floats print as integers, which go-yaml
            // reads back as ints (when they fit in an int64).
            match n.as_f64() {
                Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9.2e18 => {
                    format!("{}", f as i64)
                }
                Some(f) if n.is_f64() => match go_float(f).as_str() {
                    "+Inf" => ".inf".to_owned(),
                    "-Inf" => "-.inf".to_owned(),
                    "NaN" => ".nan".to_owned(),
                    s => s.to_owned(),
                },
                _ => n.to_string(),
            }
        }
        J::String(s) => yaml_string(s, indent),
        J::Array(_) => "[]".to_owned(),
        J::Object(_) => "{}".to_owned(),
    }
}

/// libyaml's printable set (no tab, no other C0 controls).
fn yaml_printable(c: char) -> bool {
    matches!(c as u32, 0x0A | 0x20..=0x7E | 0x85 | 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
        && c != '\u{feff}'
}

/// A string scalar the way go-yaml v2 writes it: plain when it would read
/// back as the same string, a literal block for multi-line text, else quoted.
fn yaml_string(s: &str, indent: usize) -> String {
    let special = s.chars().any(|c| !yaml_printable(c));
    if s.contains('\n') {
        // libyaml: no literal block with special characters, trailing
        // spaces, or a space before a line break.
        let literal_ok =
            !special && !s.ends_with(' ') && !s.contains(" \n") && !s.trim_matches('\n').is_empty();
        if literal_ok {
            return yaml_literal(s, indent);
        }
        return yaml_double(s);
    }
    if special {
        return yaml_double(s);
    }
    let resolves_to_string = matches!(yaml::resolve_plain(s), Value::Str(_)) || s.is_empty();
    if s.is_empty() || !resolves_to_string || is_base60(s) || looks_like_timestamp(s) {
        return yaml_double(s);
    }
    if plain_allowed(s) {
        return s.to_owned();
    }
    format!("'{}'", s.replace('\'', "''"))
}

/// A literal block scalar (`|`, `|-`, `|+`); the caller ends the line.
fn yaml_literal(s: &str, indent: usize) -> String {
    let (chomp, content) = if !s.ends_with('\n') {
        ("-", s)
    } else if s.ends_with("\n\n") {
        ("+", &s[..s.len() - 1])
    } else {
        ("", &s[..s.len() - 1])
    };
    let indicator = if s.starts_with(' ') || s.starts_with('\n') {
        "2"
    } else {
        ""
    };
    let pad = " ".repeat(indent + 2);
    let mut out = format!("|{indicator}{chomp}");
    for line in content.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
    }
    out
}

fn yaml_double(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{b}' => out.push_str("\\v"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            c if !yaml_printable(c) => {
                let n = c as u32;
                if n <= 0xFF {
                    out.push_str(&format!("\\x{n:02X}"));
                } else if n <= 0xFFFF {
                    out.push_str(&format!("\\u{n:04X}"));
                } else {
                    out.push_str(&format!("\\U{n:08X}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// go-yaml v2's `isBase60Float`: `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`.
fn is_base60(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (main, frac) = match s.split_once('.') {
        Some((m, f)) => (m, Some(f)),
        None => (s, None),
    };
    let mut parts = main.split(':');
    let first = parts.next().unwrap_or("");
    let first_ok = first.starts_with(|c: char| c.is_ascii_digit())
        && first.chars().all(|c| c.is_ascii_digit() || c == '_');
    let rest: Vec<&str> = parts.collect();
    first_ok
        && !rest.is_empty()
        && rest.iter().all(|p| {
            let b = p.as_bytes();
            match b.len() {
                1 => b[0].is_ascii_digit(),
                2 => (b'0'..=b'5').contains(&b[0]) && b[1].is_ascii_digit(),
                _ => false,
            }
        })
        && frac.is_none_or(|f| f.chars().all(|c| c.is_ascii_digit() || c == '_'))
}

/// Plain scalars go-yaml v2 would read as timestamps (`2024-01-01...`).
fn looks_like_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 8 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && {
        let rest = &s[5..];
        let mut parts = rest.splitn(2, '-');
        let m = parts.next().unwrap_or("");
        let d: String = parts
            .next()
            .unwrap_or("")
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        (1..=2).contains(&m.len())
            && m.bytes().all(|c| c.is_ascii_digit())
            && (1..=2).contains(&d.len())
    }
}

/// libyaml's analysis: may `s` (one line, printable) be written plain in
/// block context?
fn plain_allowed(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    if chars.is_empty() || chars[0] == ' ' || chars[chars.len() - 1] == ' ' {
        return false;
    }
    if (s.starts_with("---") || s.starts_with("...")) && chars.get(3).is_none_or(|c| *c == ' ') {
        return false;
    }
    for (i, &c) in chars.iter().enumerate() {
        let followed_by_blank = chars.get(i + 1).is_none_or(|n| *n == ' ');
        let preceded_by_blank = i > 0 && chars[i - 1] == ' ';
        if i == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(c) {
                return false;
            }
            if (c == '?' || c == ':' || c == '-') && followed_by_blank {
                return false;
            }
        } else {
            if c == ':' && followed_by_blank {
                return false;
            }
            if c == '#' && preceded_by_blank {
                return false;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::chart::values::load_values;

    #[test]
    fn to_yaml_like_go_yaml() {
        let (_, v) = load_values(
            "m:\n  b: 1000000\n  a: \"yes\"\n  l: [1, x, {k: v, j: [1]}]\n  e: {}\n  el: []\n  ml: \"a\\n b\\n\"\n  ml2: \"a\\nb\"\n  f: 0.5\n  big: 100000000000000000000\n  s1: \"- x\"\n  s2: \"a: b\"\n  s3: \" lead\"\n  s4: \"2024-01-01\"\n  s5: \"1:30\"\n  s6: \"it's\"\n  s7: \"#x\"\n  s8: \"x #y\"\n  s9: \"tab\\there\"\n  s10: \"\"\n  s11: \"null\"\n  s12: \"123\"\n  \"10\": x\n  \"9\": y\n  a10: z\n  a9: w\n  B: v\n  nul: null\n",
        );
        let y = to_yaml(&v["m"]);
        let want = "\
\"9\": true
\"10\": x
B: v
a: \"yes\"
a9: w
a10: z
b: 1000000
big: 1e+20
e: {}
el: []
f: 0.5
l:
- 1
- x
- j:
  - 1
  k: v
ml: |
  a
   b
ml2: |-
  a
  b
nul: null
s1: '- x'
s2: 'a: b'
s3: ' lead'
s4: \"2024-01-01\"
s5: \"1:30\"
s6: it's
s7: '#x'
s8: 'x #y'
s9: \"tab\\there\"
s10: \"\"
s11: \"null\"
s12: \"123\"";
        assert_eq!(y, want);
        // And it reads back as the same data.
        let back = yaml::parse(&y).documents[0].root.to_json();
        assert_eq!(back["ml"], "a\n b\n");
        assert_eq!(back["s9"], "tab\there");
        assert_eq!(to_yaml(&J::String("x".into())), "x");
        assert_eq!(to_yaml(&J::Null), "null");
        assert_eq!(
            to_yaml(&serde_json::json!([[1, 2], {"a": 1}])),
            "- - 1\n  - 2\n- a: 1"
        );
    }
}
