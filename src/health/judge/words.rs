//! The words of a health report: tokens, the conditions they name, and the
//! classes of words (negations, hypotheticals, counts, Kubernetes names) the
//! judge reads them by.

use super::super::CONDITIONS;

// ---------------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
pub(in crate::health) enum Tok {
    Word(Word),
    Punct(char),
}

#[derive(Debug, Clone, PartialEq)]
pub(in crate::health) struct Word {
    pub(in crate::health) text: String,
    pub(in crate::health) lower: String,
    /// Wrapped in backticks, quotes or `**`.
    pub(in crate::health) decorated: bool,
    /// Written as `pod/<name>`.
    pub(in crate::health) pod_prefixed: bool,
}

impl Tok {
    pub(in crate::health) fn word(&self) -> Option<&Word> {
        match self {
            Tok::Word(w) => Some(w),
            Tok::Punct(_) => None,
        }
    }
    pub(in crate::health) fn lower(&self) -> &str {
        self.word().map_or("", |w| w.lower.as_str())
    }
    pub(in crate::health) fn is_punct(&self, chars: &str) -> bool {
        matches!(self, Tok::Punct(c) if chars.contains(*c))
    }
}

pub(in crate::health) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | '\'' | '’')
}

pub(in crate::health) fn is_decoration(c: char) -> bool {
    matches!(c, '`' | '*' | '"' | '“' | '”')
}

pub(in crate::health) fn tokenize(line: &str) -> Vec<Tok> {
    let chars: Vec<char> = line.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if is_word_char(c) {
            let start = i;
            while i < chars.len() && is_word_char(chars[i]) {
                i += 1;
            }
            let before = start.checked_sub(1).map(|j| chars[j]);
            let after = chars.get(i).copied();
            let decorated = before.is_some_and(is_decoration) || after.is_some_and(is_decoration);
            push_word(&mut toks, chars[start..i].iter().collect(), decorated);
        } else {
            if !c.is_whitespace() && !is_decoration(c) && c != '\u{fe0f}' {
                toks.push(Tok::Punct(c));
            }
            i += 1;
        }
    }
    toks
}

pub(in crate::health) fn push_word(toks: &mut Vec<Tok>, raw: String, decorated: bool) {
    let mut w = raw.trim_matches(|c| c == '\'' || c == '’').to_string();
    // Trailing dots: one is a sentence end, several are an ellipsis.
    let dots = w.len() - w.trim_end_matches('.').len();
    w.truncate(w.len() - dots);
    let sentence_end =
        dots == 1 && !["e.g", "i.e", "etc", "vs"].contains(&w.to_lowercase().as_str());
    for suffix in ["'s", "’s"] {
        if let Some(s) = w.strip_suffix(suffix) {
            w = s.to_string();
        }
    }
    let lower = w.to_lowercase();
    // Bullets and rules ("-", "--", "...") are not words.
    if !w.is_empty() && !w.chars().all(|c| matches!(c, '-' | '_' | '.' | '/')) {
        let is_ratio = lower.split('/').count() == 2
            && lower
                .split('/')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
        if lower.starts_with("pod/") || lower.starts_with("pods/") {
            let name = w.split_once('/').map(|x| x.1).unwrap_or("").to_string();
            if !name.is_empty() {
                toks.push(Tok::Word(Word {
                    lower: name.to_lowercase(),
                    text: name,
                    decorated,
                    pod_prefixed: true,
                }));
            }
        } else if lower.contains('/') && !is_ratio && lower != "n/a" {
            let parts: Vec<&str> = w.split('/').collect();
            for (k, p) in parts.iter().enumerate() {
                if k > 0 {
                    toks.push(Tok::Punct('/'));
                }
                if !p.is_empty() {
                    toks.push(Tok::Word(Word {
                        text: p.to_string(),
                        lower: p.to_lowercase(),
                        decorated,
                        pod_prefixed: false,
                    }));
                }
            }
        } else {
            toks.push(Tok::Word(Word {
                text: w,
                lower,
                decorated,
                pod_prefixed: false,
            }));
        }
    }
    if sentence_end {
        toks.push(Tok::Punct('.'));
    }
}

// ---------------------------------------------------------------------------------------------
// Conditions
// ---------------------------------------------------------------------------------------------

pub(in crate::health) fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '-' | '_'))
        .collect::<String>()
        .to_lowercase()
}

/// The condition mentioned at token `i`, and how many tokens the mention spans.
pub(in crate::health) fn condition_at(toks: &[Tok], i: usize) -> Option<(&'static str, usize)> {
    let n = norm(toks[i].word()?.lower.as_str());
    let next = |k: usize| {
        toks.get(i + k)
            .and_then(Tok::word)
            .map(|w| norm(&w.lower))
            .unwrap_or_default()
    };
    if n.starts_with("crashloop") {
        return Some(("CrashLoopBackOff", 1));
    }
    if n == "crash" && ["loop", "looping", "loops", "loopbackoff"].contains(&next(1).as_str()) {
        return Some(("CrashLoopBackOff", 2));
    }
    if n.starts_with("oomkill") {
        return Some(("OOMKilled", 1));
    }
    if n == "oom" {
        return Some((
            "OOMKilled",
            if ["killed", "kill", "kills", "killer"].contains(&next(1).as_str()) {
                2
            } else {
                1
            },
        ));
    }
    if n.starts_with("errimagepull") {
        return Some(("ErrImagePull", 1));
    }
    if n.starts_with("imagepullbackoff") {
        return Some(("ImagePullBackOff", 1));
    }
    if n == "image" && next(1) == "pull" && ["backoff", "backoffs"].contains(&next(2).as_str()) {
        return Some(("ImagePullBackOff", 3));
    }
    None
}

/// Canonical condition if a table cell *is* a condition ("CrashLoopBackOff",
/// "Init:CrashLoopBackOff", "OOMKilled (3x)", "⚠ ErrImagePull").
pub(in crate::health) fn cell_condition(cell: &str) -> Option<&'static str> {
    let toks = tokenize(cell);
    let mut first = toks.iter().position(|t| t.word().is_some())?;
    // kubectl's "Init:CrashLoopBackOff".
    if toks[first].lower() == "init" && toks.get(first + 1).is_some_and(|t| t.is_punct(":")) {
        first += 2;
    }
    let (cond, len) = condition_at(&toks, first)?;
    // Nothing negating after it in the cell.
    let rest_negated = toks[first + len..]
        .iter()
        .any(|t| is_negation_word(t.lower()));
    (!rest_negated).then_some(cond)
}

// ---------------------------------------------------------------------------------------------
// Word classes
// ---------------------------------------------------------------------------------------------

pub(in crate::health) fn is_negation_word(w: &str) -> bool {
    matches!(
        w,
        "no" | "not"
            | "none"
            | "never"
            | "without"
            | "nothing"
            | "neither"
            | "nor"
            | "cannot"
            | "recovered"
            | "resolved"
    ) || w.ends_with("n't")
        || w.ends_with("n’t")
}

pub(in crate::health) fn is_hypothetical(w: &str) -> bool {
    matches!(
        w,
        "if" | "when"
            | "whenever"
            | "unless"
            | "avoid"
            | "avoids"
            | "avoiding"
            | "prevent"
            | "prevents"
            | "preventing"
            | "could"
            | "might"
            | "would"
            | "should"
            | "may"
            | "risk"
            | "risks"
            | "potential"
            | "potentially"
    )
}

pub(in crate::health) fn is_zero(w: &str) -> bool {
    w == "0" || w == "zero"
}

pub(in crate::health) fn is_counted_noun(w: &str) -> bool {
    matches!(
        w,
        "pod"
            | "pods"
            | "container"
            | "containers"
            | "instance"
            | "instances"
            | "event"
            | "events"
            | "occurrence"
            | "occurrences"
            | "workload"
            | "workloads"
            | "replica"
            | "replicas"
            | "times"
            | "restarts"
            | "issues"
    )
}

pub(in crate::health) const STOPLIST: &[&str] = &[
    "out-of-memory",
    "up-to-date",
    "in-cluster",
    "non-zero",
    "well-known",
    "re-run",
    "read-only",
    "built-in",
    "back-off",
    "crash-loop",
    "crash-looping",
    "image-pull",
    "step-by-step",
    "end-to-end",
    "day-to-day",
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "follow-up",
    "e.g",
    "i.e",
    "health-check",
    "long-running",
    "up-to",
    "n/a",
    "x-api-key",
    "set-up",
    "multi-stage",
    "non-root",
    "real-time",
    "so-called",
    "built-ins",
    "self-healing",
];

/// A lowercase DNS-label-ish token with at least one hyphen.
pub(in crate::health) fn k8s_name(w: &Word) -> Option<String> {
    let s = w
        .text
        .trim_matches(|c: char| matches!(c, '-' | '.' | ':' | ',' | '_'));
    let ok = s.len() >= 3
        && s.contains('-')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && !STOPLIST.contains(&s)
        && !s.contains("..");
    let is_condition =
        CONDITIONS.iter().any(|c| norm(c) == norm(s)) || norm(s).starts_with("crashloop");
    (ok && !is_condition).then(|| s.to_string())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::health) struct Candidate {
    pub(in crate::health) name: String,
    pub(in crate::health) idx: usize,
    pub(in crate::health) strong: bool,
}

/// Pod-like names among `toks[range]` (namespace names after "namespace"/"-n" excluded).
pub(in crate::health) fn candidates(toks: &[Tok], range: std::ops::Range<usize>) -> Vec<Candidate> {
    let mut out = Vec::new();
    for i in range {
        let Some(w) = toks[i].word() else { continue };
        let Some(name) = k8s_name(w) else { continue };
        let prev = (0..i)
            .rev()
            .find_map(|j| toks[j].word())
            .map(|p| p.lower.as_str())
            .unwrap_or("");
        if matches!(
            prev,
            "namespace" | "ns" | "-n" | "secret" | "configmap" | "service" | "image" | "node"
        ) {
            continue;
        }
        let hyphens = name.matches('-').count();
        let strong = w.pod_prefixed
            || hyphens >= 2
            || (name.chars().any(|c| c.is_ascii_digit()) && hyphens >= 1)
            || matches!(prev, "pod" | "pods");
        out.push(Candidate {
            name,
            idx: i,
            strong,
        });
    }
    out
}
