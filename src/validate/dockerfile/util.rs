//! Helpers: quoting, users, paths, URLs, variables, ENV/ARG pairs.

#[allow(unused_imports)]
use super::*;

pub(super) fn basename(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

pub(super) fn unquote(s: &str) -> String {
    let s = s.trim();
    for q in ['"', '\''] {
        if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
            return s[1..s.len() - 1].to_string();
        }
    }
    s.to_string()
}

pub(super) fn is_truthy(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "on" | "yes")
}

pub(super) fn is_root(user: &str) -> bool {
    let u = unquote(user);
    let name = u.split(':').next().unwrap_or("");
    name == "root" || name == "0"
}

pub(super) fn is_absolute_dir(dir: &str) -> bool {
    let b = dir.as_bytes();
    dir.starts_with('/')
        || dir.starts_with('$')
        || (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':')
}

pub(super) fn is_url(src: &str) -> bool {
    let s = unquote(src);
    ["http://", "https://", "git://", "ssh://", "git@"]
        .iter()
        .any(|p| s.starts_with(p))
}

pub(super) const ARCHIVES: &[&str] = &[
    ".tar", ".Z", ".bz2", ".gz", ".lz", ".lzma", ".tZ", ".tb2", ".tbz", ".tbz2", ".tgz", ".tlz",
    ".tpz", ".txz", ".xz",
];

pub(super) fn is_archive(src: &str) -> bool {
    let s = unquote(src);
    ARCHIVES.iter().any(|ext| s.ends_with(ext))
}

/// Expand `$VAR`, `${VAR}` and `${VAR:-default}`; `None` when a variable is
/// unknown.
pub(super) fn substitute(s: &str, vars: &HashMap<String, String>) -> Option<String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(inner) = after.strip_prefix('{') {
            let end = inner.find('}')?;
            let expr = &inner[..end];
            let (name, default) = match expr.split_once(":-") {
                Some((n, d)) => (n, Some(d)),
                None => (expr, None),
            };
            match vars
                .get(name)
                .filter(|v| !v.is_empty())
                .map(String::as_str)
                .or(default)
            {
                Some(v) => out.push_str(v),
                None => return None,
            }
            rest = &inner[end + 1..];
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if end == 0 {
                out.push('$');
                rest = after;
                continue;
            }
            out.push_str(vars.get(&after[..end])?);
            rest = &after[end..];
        }
    }
    out.push_str(rest);
    Some(out)
}

/// Split ENV/ARG arguments into `(name, raw value)`; quotes are kept in the
/// value so that callers can tell `$VAR` references apart. With `legacy_env`,
/// `ENV NAME value with spaces` is understood.
pub(super) fn kv_pairs(args: &str, legacy_env: bool) -> Vec<(String, Option<String>)> {
    let words = split_words(args);
    if legacy_env && words.first().is_some_and(|w| !w.contains('=')) {
        let name = words[0].clone();
        let value = args.trim_start()[name.len()..].trim().to_string();
        return vec![(name, Some(value))];
    }
    words
        .into_iter()
        .map(|w| match w.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (w, None),
        })
        .collect()
}

/// Whitespace-separated words, keeping quotes (and what they enclose) intact.
pub(super) fn split_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                word.push(c);
            }
            (Some(_), '\\') => {
                word.push(c);
                if let Some(n) = chars.next() {
                    word.push(n);
                }
            }
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                word.push(c);
            }
            (None, '\\') => {
                word.push(c);
                if let Some(n) = chars.next() {
                    word.push(n);
                }
            }
            (None, c) if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            (None, c) => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Undo Dockerfile line continuations; comment and blank lines inside a
/// continued instruction are dropped, as Docker does.
pub(super) fn join_continuations(s: &str, escape: char) -> String {
    let mut out = String::new();
    let mut continued = false;
    for line in s.split('\n') {
        let t = line.trim_end();
        if continued && (t.trim().is_empty() || t.trim_start().starts_with('#')) {
            continue;
        }
        match t.strip_suffix(escape) {
            Some(stripped) => {
                out.push_str(stripped);
                out.push(' ');
                continued = true;
            }
            None => {
                out.push_str(t);
                out.push('\n');
                continued = false;
            }
        }
    }
    out
}
