//! The one secret heuristic: what counts as a credential, wherever it sits.
//!
//! A credential is
//! - a known token shape: OpenAI/Stripe-style `sk-…`/`sk_live_…`, GitHub `ghp_…`
//!   (and `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`), AWS `AKIA…`/`ASIA…`,
//!   Slack `xoxb-…` (and `xoxa-`, `xoxp-`, `xoxr-`, `xoxs-`), a private key block;
//! - a password in a URL (`scheme://user:pass@host`), unless it is a variable
//!   reference (`$VAR`, `${VAR}`, `$(VAR)`, `{{ … }}`) or a placeholder as
//!   documentation writes it (`password`, `<password>`, `***`, `…`);
//! - a high-entropy value under a secret-like name (see [`is_secret_name`]):
//!   at least 16 characters, no spaces, two character classes or more (and
//!   digits or both cases: `INSERT_YOUR_TOKEN` is a placeholder), and more
//!   than 3 bits of Shannon entropy per character.
//!
//! Not credentials: image digests and sha256 checksums (`PYTHON_SHA256`,
//! `@sha256:…`), GPG key fingerprints (`GPG_KEY`, `gpg --recv-keys …`: the
//! names are not secret-like and the values have no token shape), public keys
//! (`ssh-rsa AAAA…`, `BEGIN PUBLIC KEY`), and the names in a `secretKeyRef`.
//!
//! A credential found in an answer is replaced by a placeholder
//! `<redacted:KIND>` before the answer goes anywhere (the terminal, the
//! conversation, the cache); the placeholder is itself a finding, so a
//! redacted answer never passes.

use std::ops::Range;

mod findings;
mod stream;
#[cfg(test)]
mod tests;

pub use findings::{Found, dockerfile_findings, in_manifests, manifest_findings, text_findings};
pub use stream::LineRedactor;

/// The start of the text that stands in for a redacted credential.
pub const PLACEHOLDER_PREFIX: &str = "<redacted:";

/// What kind of credential was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    OpenAiKey,
    GithubToken,
    AwsKey,
    SlackToken,
    PrivateKey,
    UrlPassword,
    HighEntropy,
}

impl Kind {
    const ALL: [Kind; 7] = [
        Kind::OpenAiKey,
        Kind::GithubToken,
        Kind::AwsKey,
        Kind::SlackToken,
        Kind::PrivateKey,
        Kind::UrlPassword,
        Kind::HighEntropy,
    ];

    /// The slug in the placeholder, `<redacted:SLUG>`.
    pub fn slug(self) -> &'static str {
        match self {
            Kind::OpenAiKey => "api-key",
            Kind::GithubToken => "github-token",
            Kind::AwsKey => "aws-key",
            Kind::SlackToken => "slack-token",
            Kind::PrivateKey => "private-key",
            Kind::UrlPassword => "url-password",
            Kind::HighEntropy => "secret-value",
        }
    }

    /// The finding's code.
    pub fn code(self) -> &'static str {
        match self {
            Kind::PrivateKey => "secret/private-key",
            Kind::UrlPassword => "secret/url-password",
            Kind::HighEntropy => "secret/value",
            _ => "secret/token",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Kind::OpenAiKey => "an API key (`sk-…`)",
            Kind::GithubToken => "a GitHub token (`ghp_…`)",
            Kind::AwsKey => "an AWS access key (`AKIA…`)",
            Kind::SlackToken => "a Slack token (`xox…-`)",
            Kind::PrivateKey => "a private key block",
            Kind::UrlPassword => "a password in a URL (`scheme://user:password@host`)",
            Kind::HighEntropy => "a secret-looking value under a secret-like name",
        }
    }

    fn from_slug(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.slug() == s)
    }

    pub fn placeholder(self) -> String {
        format!("{PLACEHOLDER_PREFIX}{}>", self.slug())
    }
}

/// One credential: where it sits in the scanned text (bytes) and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub range: Range<usize>,
    pub kind: Kind,
}

/// Whether a name (env var, ConfigMap key, flag, header) says its value is secret:
/// `DATABASE_URL`, `*API_KEY`, `*APIKEY`, `*SECRET`, `*SECRET_KEY*`, `*PRIVATE_KEY`,
/// `*ACCESS_KEY`, `*PASSWORD*`, `*PASSWD*`, `*TOKEN*` (not `TOKENIZER`),
/// `*CREDENTIAL*`, `AUTHORIZATION`. Case-insensitive; `-` counts as `_` and
/// leading dashes (`--api-key`) are ignored. `GPG_KEY`, `*_SHA256`,
/// `SECRETARY` and `API_KEYS_PATH` are not secret-like.
pub fn is_secret_name(name: &str) -> bool {
    let name = name.trim_start_matches('-').as_bytes();
    // Upper case, `-` as `_`, in a buffer on the stack (names are short).
    let mut buf = [0u8; 64];
    let owned: Vec<u8>;
    let u: &[u8] = if name.len() <= buf.len() {
        for (d, c) in buf.iter_mut().zip(name) {
            *d = normal_name_byte(*c);
        }
        &buf[..name.len()]
    } else {
        owned = name.iter().map(|c| normal_name_byte(*c)).collect();
        &owned
    };
    let contains = |needle: &[u8]| u.windows(needle.len()).any(|w| w == needle);
    u == b"DATABASE_URL"
        || u == b"API_KEY"
        || u == b"AUTHORIZATION"
        || u.ends_with(b"_API_KEY")
        || u.ends_with(b"APIKEY")
        || u.ends_with(b"SECRET")
        || contains(b"SECRET_KEY")
        || u.ends_with(b"PRIVATE_KEY")
        || u.ends_with(b"ACCESS_KEY")
        || contains(b"PASSWORD")
        || contains(b"PASSWD")
        || contains(b"CREDENTIAL")
        || (contains(b"TOKEN") && !contains(b"TOKENIZER"))
}

/// A byte of a name as [`is_secret_name`] compares it: ASCII upper case, `-` as `_`.
fn normal_name_byte(c: u8) -> u8 {
    if c == b'-' {
        b'_'
    } else {
        c.to_ascii_uppercase()
    }
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Whether `i` follows a terminal colour code (`ESC [ 1;31 m`): a word starts there.
fn after_colour(s: &str, i: usize) -> bool {
    s.as_bytes()[i - 1] == b'm'
        && s[..i - 1].rfind("\x1b[").is_some_and(|e| {
            s.as_bytes()[e + 2..i - 1]
                .iter()
                .all(|c| c.is_ascii_digit() || *c == b';')
        })
}

/// Length of the run of bytes from `at` that satisfy `ok`.
fn run_len(s: &[u8], at: usize, ok: impl Fn(u8) -> bool) -> usize {
    s[at..].iter().take_while(|b| ok(**b)).count()
}

/// Known token shapes, private key blocks and placeholders, anywhere in `s`.
fn scan_tokens(s: &str, out: &mut Vec<Hit>) {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        // Every shape starts with one of these pairs of ASCII bytes
        // (`<redacted:`, `-----BEGIN `, `sk`, `gh…`, `github_pat_`, `AKIA`,
        // `ASIA`, `xox`): skip any other byte, and the inside of other characters.
        let next = b.get(i + 1).copied().unwrap_or(0);
        let candidate = match b[i] {
            b'<' => next == b'r',
            b'-' => next == b'-',
            b's' => next == b'k',
            b'g' => next == b'h' || next == b'i',
            b'A' => next == b'K' || next == b'S',
            b'x' => next == b'o',
            _ => false,
        };
        if !candidate {
            i += 1;
            continue;
        }
        let boundary = i == 0 || !is_word(b[i - 1]) || after_colour(s, i);
        let rest = &s[i..];
        let mut found: Option<(usize, Kind)> = None;
        if rest.starts_with(PLACEHOLDER_PREFIX)
            && let Some(end) = rest.find('>')
            && let Some(kind) = Kind::from_slug(&rest[PLACEHOLDER_PREFIX.len()..end])
        {
            found = Some((end + 1, kind));
        } else if rest.starts_with("-----BEGIN ")
            && let Some(close) = rest[11..].find("-----")
            && rest[11..11 + close].ends_with("PRIVATE KEY")
                | rest[11..11 + close].ends_with("PRIVATE KEY BLOCK")
        {
            let end = rest
                .find("-----END ")
                .and_then(|e| rest[e + 9..].find("-----").map(|c| e + 9 + c + 5))
                .unwrap_or(rest.len());
            found = Some((end, Kind::PrivateKey));
        } else if boundary {
            found = token_at(b, i);
        }
        match found {
            Some((len, kind)) => {
                out.push(Hit {
                    range: i..i + len,
                    kind,
                });
                i += len;
            }
            None => i += 1,
        }
    }
}

/// A token shape starting at `i` (which is at a word boundary): its length and kind.
fn token_at(b: &[u8], i: usize) -> Option<(usize, Kind)> {
    let rest = &b[i..];
    let body = |prefix: usize, min: usize, ok: fn(u8) -> bool| {
        let n = run_len(b, i + prefix, ok);
        let tail = &b[i + prefix..i + prefix + n];
        (n >= min
            && tail.iter().any(u8::is_ascii_digit)
            && tail.iter().any(u8::is_ascii_alphabetic))
        .then_some(prefix + n)
    };
    let token_char = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'-';
    if rest.starts_with(b"sk-") || rest.starts_with(b"sk_live_") || rest.starts_with(b"sk_test_") {
        let prefix = if rest[2] == b'-' { 3 } else { 8 };
        return body(prefix, 20, token_char).map(|n| (n, Kind::OpenAiKey));
    }
    for p in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"] {
        if rest.starts_with(p.as_bytes()) {
            return body(p.len(), 20, |c| c.is_ascii_alphanumeric() || c == b'_')
                .map(|n| (n, Kind::GithubToken));
        }
    }
    if rest.starts_with(b"AKIA") || rest.starts_with(b"ASIA") {
        let n = run_len(b, i + 4, |c| c.is_ascii_uppercase() || c.is_ascii_digit());
        return (n == 16).then_some((20, Kind::AwsKey));
    }
    if rest.len() > 5 && rest.starts_with(b"xox") && b"abprs".contains(&rest[3]) && rest[4] == b'-'
    {
        return body(5, 10, |c| c.is_ascii_alphanumeric() || c == b'-')
            .map(|n| (n, Kind::SlackToken));
    }
    None
}

/// Whether a value is a reference resolved elsewhere, not a literal.
fn is_reference(v: &str) -> bool {
    v.is_empty()
        || v.starts_with('$')
        || v.contains("${")
        || v.contains("$(")
        || v.contains("{{")
        || v.contains(PLACEHOLDER_PREFIX)
}

/// Passwords in URLs: `scheme://user:pass@host`.
fn scan_urls(s: &str, out: &mut Vec<Hit>) {
    let mut from = 0;
    while let Some(off) = find_scheme_end(&s[from..]) {
        let at = from + off + 3;
        from = at;
        let scheme_ok = s[..at - 3]
            .bytes()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric());
        if !scheme_ok {
            continue;
        }
        let end = s[at..]
            .find(|c: char| {
                c.is_whitespace() || matches!(c, '/' | '?' | '#' | '"' | '\'' | '`' | ',' | ']')
            })
            .map_or(s.len(), |e| at + e);
        let authority = &s[at..end];
        let Some(amp) = authority.rfind('@') else {
            continue;
        };
        let userinfo = &authority[..amp];
        let Some(colon) = userinfo.find(':') else {
            continue;
        };
        let password = &userinfo[colon + 1..];
        if (is_reference(password) && !password.contains(PLACEHOLDER_PREFIX))
            || is_example_password(password)
        {
            continue;
        }
        let start = at + colon + 1;
        // A placeholder is reported by scan_tokens already.
        if !password.starts_with(PLACEHOLDER_PREFIX) {
            out.push(Hit {
                range: start..start + password.len(),
                kind: Kind::UrlPassword,
            });
        }
        from = end;
    }
}

/// The first `://` in `s` (a search for `:` first: most text has none).
fn find_scheme_end(s: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(off) = s[from..].find(':') {
        let at = from + off;
        if s[at + 1..].starts_with("//") {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// A password as documentation writes it (`user:password@`, `user:<pass>@`,
/// `user:***@`): a placeholder, not a credential.
fn is_example_password(p: &str) -> bool {
    let l = p.to_ascii_lowercase();
    matches!(
        l.as_str(),
        "password" | "pass" | "passwd" | "pwd" | "secret" | "changeme" | "..." | "…"
    ) || (l.starts_with('<') && l.ends_with('>'))
        || l.chars().all(|c| c == '*' || c == 'x')
}

/// The shortest literal [`high_entropy`] takes for a secret, in bytes.
const MIN_SECRET_LEN: usize = 16;

/// Whether `text` has [`MIN_SECRET_LEN`] bytes in a row without whitespace:
/// else no literal in it can be a high-entropy secret. (Bytes of non-ASCII
/// characters count as non-whitespace: this may say yes wrongly, never no.)
fn has_long_word(text: &str) -> bool {
    let mut run = 0;
    for &c in text.as_bytes() {
        // The ASCII characters with Unicode's White_Space property (`char::is_whitespace`).
        if matches!(c, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ') {
            run = 0;
        } else {
            run += 1;
            if run >= MIN_SECRET_LEN {
                return true;
            }
        }
    }
    false
}

/// Whether a literal looks like a generated secret (see the module docs).
pub fn high_entropy(v: &str) -> bool {
    if v.len() < MIN_SECRET_LEN || v.chars().any(char::is_whitespace) || is_reference(v) {
        return false;
    }
    // Paths and plain URLs are locations, not secrets (passwords in URLs are found apart).
    if v.starts_with('/') || v.contains("://") {
        return false;
    }
    let classes = [
        v.bytes().any(|c| c.is_ascii_lowercase()),
        v.bytes().any(|c| c.is_ascii_uppercase()),
        v.bytes().any(|c| c.is_ascii_digit()),
        v.bytes().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|x| **x)
    .count();
    if classes < 2 {
        return false;
    }
    // Words in one case with separators (`INSERT_ETCD_TOKEN`, `change-me-please`) are
    // placeholders, not generated secrets: those mix cases or carry digits.
    let digits = v.bytes().any(|c| c.is_ascii_digit());
    let mixed =
        v.bytes().any(|c| c.is_ascii_lowercase()) && v.bytes().any(|c| c.is_ascii_uppercase());
    if !digits && !mixed {
        return false;
    }
    let mut counts = [0usize; 256];
    for c in v.bytes() {
        counts[c as usize] += 1;
    }
    let n = v.len() as f64;
    let entropy: f64 = counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = *c as f64 / n;
            -p * p.log2()
        })
        .sum();
    entropy > 3.0
}

/// A value under a name: token shapes, URL passwords, and a high-entropy value
/// when the name is secret-like. Ranges are within `value`.
pub fn scan_value(name: Option<&str>, value: &str) -> Vec<Hit> {
    let mut out = scan(value);
    if out.is_empty()
        && let Some(name) = name
        && value.len() >= MIN_SECRET_LEN
        && is_secret_name(name)
    {
        let lit = strip_scheme(value.trim());
        if high_entropy(lit) {
            let start = value.find(lit).unwrap_or(0);
            out.push(Hit {
                range: start..start + lit.len(),
                kind: Kind::HighEntropy,
            });
        }
    }
    out
}

/// `Bearer X`, `Basic X`, `token X` → `X`.
fn strip_scheme(v: &str) -> &str {
    for p in ["Bearer ", "bearer ", "Basic ", "basic ", "token ", "Token "] {
        if let Some(r) = v.strip_prefix(p) {
            return r.trim();
        }
    }
    v
}

/// Free text (an answer, a Dockerfile, a config file): token shapes and URL
/// passwords anywhere, and high-entropy values after a secret-like name on
/// the same line (`NAME=value`, `NAME: value`, `--name=value`, `--name value`,
/// `ENV NAME value`), or on a YAML `value:` line after `name: NAME`.
pub fn scan(text: &str) -> Vec<Hit> {
    let mut out = Vec::new();
    scan_tokens(text, &mut out);
    scan_urls(text, &mut out);
    if !has_long_word(text) {
        return normalise(out);
    }
    let mut pending_name: Option<&str> = None;
    let mut offset = 0;
    let mut found = Vec::new();
    let mut words = Vec::new();
    for line in text.split_inclusive('\n') {
        found.clear();
        pairs(line, &mut pending_name, &mut words, &mut found);
        for (name, range) in found.drain(..) {
            let value = &line[range.clone()];
            let lit = strip_scheme(value);
            if lit.len() >= MIN_SECRET_LEN && is_secret_name(name) && high_entropy(lit) {
                let start = offset + range.start + value.find(lit).unwrap_or(0);
                out.push(Hit {
                    range: start..start + lit.len(),
                    kind: Kind::HighEntropy,
                });
            }
        }
        offset += line.len();
    }
    normalise(out)
}

/// Sort, and drop hits that overlap an earlier one.
fn normalise(mut hits: Vec<Hit>) -> Vec<Hit> {
    hits.sort_by_key(|h| (h.range.start, std::cmp::Reverse(h.range.end)));
    let mut out: Vec<Hit> = Vec::with_capacity(hits.len());
    for h in hits {
        if out.last().is_none_or(|l| h.range.start >= l.range.end) {
            out.push(h);
        }
    }
    out
}

fn unquote_range(line: &str, r: Range<usize>) -> Range<usize> {
    let s = &line[r.clone()];
    let t = s.trim();
    let lead = s.len() - s.trim_start().len();
    let mut r = r.start + lead..r.start + lead + t.len();
    for q in ['"', '\''] {
        if t.len() >= 2 && t.starts_with(q) && t.ends_with(q) {
            r = r.start + 1..r.end - 1;
        }
    }
    r
}

/// The (name, value range) pairs of one line, into `out` (`words` is scratch).
fn pairs<'t>(
    line: &'t str,
    pending_name: &mut Option<&'t str>,
    words: &mut Vec<Range<usize>>,
    out: &mut Vec<(&'t str, Range<usize>)>,
) {
    let body = line.trim_end_matches(['\n', '\r']);
    let indent = body.len() - body.trim_start().len();
    let mut t = &body[indent..];
    let mut at = indent;
    if let Some(r) = t.strip_prefix("- ") {
        at += 2;
        t = r;
    }
    // YAML `key: value`, and the env pair `name: X` / `value: Y`.
    if let Some(colon) = t.find(": ") {
        let key = t[..colon].trim().trim_matches(['"', '\'']);
        if !key.is_empty() && !key.contains(char::is_whitespace) {
            let r = unquote_range(body, at + colon + 2..body.len());
            if key == "name" {
                *pending_name = Some(&body[r.clone()]);
            } else if key == "value" {
                if let Some(n) = pending_name.take() {
                    out.push((n, r.clone()));
                }
            } else {
                out.push((key, r.clone()));
            }
        }
    }
    // Words: `NAME=value`, `--name=value`, `--name value`, `ENV NAME value`.
    word_ranges(body, words);
    for (k, w) in words.iter().enumerate() {
        let word = &body[w.clone()];
        if let Some(eq) = word.find('=') {
            let name = word[..eq].trim_start_matches('-');
            if !name.is_empty() && !name.contains(['"', '\'']) {
                out.push((name, unquote_range(body, w.start + eq + 1..w.end)));
            }
        } else if word.starts_with("--")
            && let Some(next) = words.get(k + 1)
            && !body[next.clone()].starts_with('-')
        {
            out.push((word, unquote_range(body, next.clone())));
        } else if k == 1
            && words.len() > 2
            && (body[words[0].clone()].eq_ignore_ascii_case("ENV")
                || body[words[0].clone()].eq_ignore_ascii_case("ARG"))
        {
            let last = words.last().expect("more than two words");
            out.push((word, unquote_range(body, words[2].start..last.end)));
        }
    }
}

/// Byte ranges of the whitespace-separated words of a line, keeping quoted
/// parts together, into `out`.
fn word_ranges(line: &str, out: &mut Vec<Range<usize>>) {
    out.clear();
    let mut start: Option<usize> = None;
    let mut quote: Option<char> = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => {
                quote = Some(c);
                start.get_or_insert(i);
            }
            (None, c) if c.is_whitespace() => {
                if let Some(s) = start.take() {
                    out.push(s..i);
                }
            }
            (None, _) => {
                start.get_or_insert(i);
            }
        }
    }
    if let Some(s) = start {
        out.push(s..line.len());
    }
}

/// `text` with every hit of [`scan`], and every occurrence of each string in
/// `also`, replaced by its placeholder. Returns the text and the kinds found.
pub fn redact(text: &str, also: &[(String, Kind)]) -> (String, Vec<Kind>) {
    let mut hits = scan(text);
    for (value, kind) in also {
        if value.is_empty() {
            continue;
        }
        let mut from = 0;
        while let Some(off) = text[from..].find(value.as_str()) {
            hits.push(Hit {
                range: from + off..from + off + value.len(),
                kind: *kind,
            });
            from += off + value.len();
        }
    }
    let hits = normalise(hits);
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut kinds = Vec::new();
    for h in &hits {
        out.push_str(&text[last..h.range.start]);
        let replacement = h.kind.placeholder();
        if text[h.range.clone()] != replacement {
            kinds.push(h.kind);
        }
        out.push_str(&replacement);
        last = h.range.end;
    }
    out.push_str(&text[last..]);
    (out, kinds)
}
