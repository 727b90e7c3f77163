//! YAML 1.1 scalar resolution, as go-yaml v2 (and so Kubernetes) reads a
//! plain or tagged scalar: `yes`/`on` are booleans, `0644` is octal, `~` is
//! null, and `!!int` must decode as an integer.

use saphyr_parser::{ScalarStyle, Tag};

use super::Value;

/// Resolve one scalar: explicit core tags win, quoted and block scalars are
/// strings, plain scalars follow go-yaml v2 (YAML 1.1) resolution.
pub(super) fn resolve_scalar(
    text: &str,
    style: ScalarStyle,
    tag: Option<&Tag>,
) -> Result<Value, String> {
    let Some(tag) = tag else {
        return Ok(if style == ScalarStyle::Plain {
            resolve_plain(text)
        } else {
            Value::Str(text.to_owned())
        });
    };
    if !tag.is_yaml_core_schema() {
        // Local / unknown tags: go-yaml v2 keeps the text as a string.
        return Ok(Value::Str(text.to_owned()));
    }
    let resolved = resolve_plain(text);
    match tag.suffix.as_str() {
        "str" => Ok(Value::Str(text.to_owned())),
        "null" => Ok(Value::Null),
        "bool" => match resolved {
            Value::Bool(_) => Ok(resolved),
            _ => Err(format!("cannot decode `{text}` as !!bool")),
        },
        "int" => match resolved {
            Value::Int(_) => Ok(resolved),
            _ => Err(format!("cannot decode `{text}` as !!int")),
        },
        "float" => match resolved {
            Value::Int(i) => Ok(Value::Float(i as f64)),
            Value::Float(_) => Ok(resolved),
            _ => Err(format!("cannot decode `{text}` as !!float")),
        },
        // binary, timestamp, merge, ... : keep the text.
        _ => Ok(Value::Str(text.to_owned())),
    }
}

/// go-yaml v2 `resolve()` for an untagged plain scalar.
pub fn resolve_plain(s: &str) -> Value {
    resolve_plain_scalar(s).unwrap_or_else(|| Value::Str(s.to_owned()))
}

/// [`resolve_plain`], `None` when the scalar is a string.
pub(super) fn resolve_plain_scalar(s: &str) -> Option<Value> {
    // Most plain scalars are words: no null, bool or number starts like this.
    match s.as_bytes().first() {
        Some(b)
            if b.is_ascii_alphabetic()
                && !matches!(
                    b,
                    b'n' | b'N' | b'y' | b'Y' | b't' | b'T' | b'f' | b'F' | b'o' | b'O'
                ) =>
        {
            return None;
        }
        _ => {}
    }
    Some(resolve_plain_full(s))
}

fn resolve_plain_full(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Value::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Value::Bool(false);
        }
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        _ => {}
    }
    let first = s.as_bytes()[0];
    if first == b'.' {
        if is_yaml_float(s)
            && let Ok(f) = s.parse::<f64>()
        {
            return Value::Float(f);
        }
    } else if first.is_ascii_digit() || first == b'+' || first == b'-' {
        let plain = match s.contains('_') {
            true => std::borrow::Cow::Owned(s.replace('_', "")),
            false => std::borrow::Cow::Borrowed(s),
        };
        if let Some(v) = go_parse_int(&plain) {
            return v;
        }
        if is_yaml_float(&plain)
            && let Ok(f) = plain.parse::<f64>()
        {
            return Value::Float(f);
        }
    }
    Value::Str(s.to_owned())
}

/// Go's `strconv.ParseInt(s, 0, 64)`, falling back to `ParseUint` (returned
/// as a float, since [`Value::Int`] is `i64`).
fn go_parse_int(s: &str) -> Option<Value> {
    let (neg, rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = rest.get(..2).map(str::to_ascii_lowercase);
    let (radix, digits) = match lower.as_deref() {
        Some("0x") => (16, &rest[2..]),
        Some("0b") => (2, &rest[2..]),
        Some("0o") => (8, &rest[2..]),
        _ if rest.len() > 1 && rest.starts_with('0') => (8, &rest[1..]),
        _ => (10, rest),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let mag = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        if mag <= i64::MAX as u64 + 1 {
            Some(Value::Int((-(mag as i128)) as i64))
        } else {
            None
        }
    } else if mag <= i64::MAX as u64 {
        Some(Value::Int(mag as i64))
    } else {
        Some(Value::Float(mag as f64))
    }
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$` (go-yaml v2).
fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}
