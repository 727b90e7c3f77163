//! [`judge`]: which pods a kagent health report says are unhealthy (see the module docs of `health`).

use std::collections::HashSet;

use super::{CONDITIONS, HealthVerdict, PodProblem};

// ---------------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Word(Word),
    Punct(char),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Word {
    pub(super) text: String,
    pub(super) lower: String,
    /// Wrapped in backticks, quotes or `**`.
    decorated: bool,
    /// Written as `pod/<name>`.
    pod_prefixed: bool,
}

impl Tok {
    pub(super) fn word(&self) -> Option<&Word> {
        match self {
            Tok::Word(w) => Some(w),
            Tok::Punct(_) => None,
        }
    }
    fn lower(&self) -> &str {
        self.word().map_or("", |w| w.lower.as_str())
    }
    pub(super) fn is_punct(&self, chars: &str) -> bool {
        matches!(self, Tok::Punct(c) if chars.contains(*c))
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | '\'' | '’')
}

fn is_decoration(c: char) -> bool {
    matches!(c, '`' | '*' | '"' | '“' | '”')
}

pub(super) fn tokenize(line: &str) -> Vec<Tok> {
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

fn push_word(toks: &mut Vec<Tok>, raw: String, decorated: bool) {
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

fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '-' | '_'))
        .collect::<String>()
        .to_lowercase()
}

/// The condition mentioned at token `i`, and how many tokens the mention spans.
fn condition_at(toks: &[Tok], i: usize) -> Option<(&'static str, usize)> {
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
fn cell_condition(cell: &str) -> Option<&'static str> {
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

fn is_negation_word(w: &str) -> bool {
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

fn is_hypothetical(w: &str) -> bool {
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

fn is_zero(w: &str) -> bool {
    w == "0" || w == "zero"
}

fn is_counted_noun(w: &str) -> bool {
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

const STOPLIST: &[&str] = &[
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
fn k8s_name(w: &Word) -> Option<String> {
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
struct Candidate {
    name: String,
    idx: usize,
    strong: bool,
}

/// Pod-like names among `toks[range]` (namespace names after "namespace"/"-n" excluded).
fn candidates(toks: &[Tok], range: std::ops::Range<usize>) -> Vec<Candidate> {
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

// ---------------------------------------------------------------------------------------------
// judge
// ---------------------------------------------------------------------------------------------

struct Judge {
    problems: Vec<PodProblem>,
    statements: usize,
    /// Last strongly pod-like name in the current block, for describe-style reports.
    context_pod: Option<String>,
    /// A heading that was only a condition, waiting for the lines below.
    section: Option<Section>,
}

struct Section {
    conditions: Vec<&'static str>,
    saw_items: bool,
}

/// Judge a health report. See the module documentation for the rules.
pub fn judge(report: &str) -> HealthVerdict {
    let mut j = Judge {
        problems: Vec::new(),
        statements: 0,
        context_pod: None,
        section: None,
    };
    let mut table_rows = 0;

    for (idx, raw) in report.lines().enumerate() {
        let line_no = idx + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            j.context_pod = None;
            continue;
        }
        let is_heading = trimmed.starts_with('#');
        if is_heading {
            j.context_pod = None;
            j.section = None;
        }
        if let Some(handled) = j.table_row(trimmed, line_no) {
            table_rows += 1;
            if handled {
                continue;
            }
        }
        let toks = tokenize(trimmed);
        let has_condition = (0..toks.len()).any(|i| condition_at(&toks, i).is_some());

        // Inside a condition-only section: list items and "None" lines.
        if !has_condition && let Some(sec) = &mut j.section {
            // First word, skipping list numbering ("1." / "2)").
            let mut first = "";
            for (k, t) in toks.iter().enumerate() {
                let Some(w) = t.word() else { continue };
                let numbering = w.lower.chars().all(|c| c.is_ascii_digit())
                    && toks.get(k + 1).is_some_and(|n| n.is_punct(".)"));
                if !numbering {
                    first = w.lower.as_str();
                    break;
                }
            }
            if is_negation_word(first)
                || is_zero(first)
                || first == "n/a"
                || toks.iter().any(|t| t.is_punct("✅✔✓"))
            {
                j.statements += 1;
                j.section = None;
            } else {
                let cands = candidates(&toks, 0..toks.len());
                let pick: Vec<Candidate> = if cands.iter().any(|c| c.strong) {
                    cands.into_iter().filter(|c| c.strong).collect()
                } else {
                    cands.into_iter().take(1).collect()
                };
                if pick.is_empty() {
                    if sec.saw_items {
                        j.section = None;
                    }
                } else {
                    sec.saw_items = true;
                    let conds = sec.conditions.clone();
                    for c in &pick {
                        for cond in &conds {
                            j.report(&c.name, cond, line_no);
                        }
                    }
                }
            }
            continue;
        }
        if has_condition {
            j.section = None;
        }

        if has_condition && j.is_section_heading(trimmed, &toks, is_heading) {
            let mut conditions = Vec::new();
            for i in 0..toks.len() {
                if let Some((c, _)) = condition_at(&toks, i)
                    && !conditions.contains(&c)
                {
                    conditions.push(c);
                }
            }
            j.section = Some(Section {
                conditions,
                saw_items: false,
            });
            continue;
        }

        j.judge_line(&toks, line_no);
    }

    // Unnamed problems add nothing when the same condition was pinned on a named pod.
    let named: HashSet<String> = j
        .problems
        .iter()
        .filter(|p| !p.pod.is_empty())
        .map(|p| p.condition.clone())
        .collect();
    let unhealthy: Vec<PodProblem> = j
        .problems
        .into_iter()
        .filter(|p| !p.pod.is_empty() || !named.contains(&p.condition))
        .collect();

    let ran = !report.trim().is_empty()
        && (j.statements > 0 || !unhealthy.is_empty() || looks_like_a_check(report, table_rows));
    HealthVerdict { unhealthy, ran }
}

fn looks_like_a_check(report: &str, table_rows: usize) -> bool {
    let lower = report.to_lowercase();
    let failure = [
        "unable to",
        "could not",
        "couldn't",
        "cannot access",
        "can't access",
        "failed to",
        "forbidden",
        "connection refused",
        "no access",
        "don't have access",
        "do not have access",
        "not able to",
        "permission denied",
        "unauthorized",
        "timed out",
        "error:",
    ];
    if failure.iter().any(|f| lower.contains(f)) {
        return false;
    }
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).collect();
    table_rows > 0
        || words
            .iter()
            .any(|w| matches!(*w, "pod" | "pods" | "healthy" | "running"))
}

impl Judge {
    fn report(&mut self, pod: &str, condition: &str, line: usize) {
        self.statements += 1;
        if !self
            .problems
            .iter()
            .any(|p| p.pod == pod && p.condition == condition)
        {
            self.problems.push(PodProblem {
                pod: pod.to_string(),
                condition: condition.to_string(),
                line,
            });
        }
    }

    /// `Some(true)`: a table row, fully judged. `Some(false)`: a table row with a condition
    /// but no pod (judged as text). `None`: not a table row.
    fn table_row(&mut self, line: &str, line_no: usize) -> Option<bool> {
        let cells: Vec<String> = if line.contains('|') {
            line.split('|')
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .collect()
        } else {
            let ws: Vec<&str> = line.split_whitespace().collect();
            let kubectl_row = ws.len() >= 3
                && ws[1].split('/').count() == 2
                && ws[1]
                    .split('/')
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
            let spaced = line.contains("  ") || line.contains('\t');
            let cells: Vec<String> = if spaced {
                line.split("  ")
                    .flat_map(|c| c.split('\t'))
                    .map(|c| c.trim().to_string())
                    .filter(|c| !c.is_empty())
                    .collect()
            } else {
                ws.iter().map(|s| s.to_string()).collect()
            };
            if !(kubectl_row || (spaced && cells.len() >= 3)) {
                return None;
            }
            cells
        };
        if cells.len() < 2
            || cells
                .iter()
                .all(|c| c.chars().all(|ch| matches!(ch, '-' | ':' | ' ')))
        {
            return if line.contains('|') { Some(true) } else { None };
        }
        let cond = cells.iter().find_map(|c| cell_condition(c));
        let pod = cells.iter().find_map(|c| {
            let toks = tokenize(c);
            let words: Vec<&Word> = toks.iter().filter_map(Tok::word).collect();
            if words.len() != 1 {
                return None;
            }
            k8s_name(words[0])
        });
        match (cond, pod) {
            (Some(cond), Some(pod)) => {
                self.report(&pod, cond, line_no);
                self.context_pod = Some(pod);
                Some(true)
            }
            (Some(_), None) => Some(false),
            (None, Some(pod)) => {
                self.context_pod = Some(pod);
                Some(true)
            }
            // Header rows and prose that happens to look tabular: judge as text.
            (None, None) => Some(false),
        }
    }

    fn is_section_heading(&self, trimmed: &str, toks: &[Tok], is_heading: bool) -> bool {
        let bold_only = trimmed.starts_with("**") && trimmed.trim_end_matches(':').ends_with("**");
        let ends_colon = trimmed.trim_end_matches(['*', ' ']).ends_with(':');
        if !(is_heading || bold_only || ends_colon) {
            return false;
        }
        let any_negation = toks
            .iter()
            .filter_map(Tok::word)
            .any(|w| is_negation_word(&w.lower) || is_zero(&w.lower));
        let any_pod = !candidates(toks, 0..toks.len()).is_empty();
        !any_negation && !any_pod
    }

    fn judge_line(&mut self, toks: &[Tok], line_no: usize) {
        for clause in clauses(toks) {
            self.judge_clause(toks, clause, line_no);
        }
    }

    fn judge_clause(&mut self, toks: &[Tok], clause: std::ops::Range<usize>, line_no: usize) {
        let cands = candidates(toks, clause.clone());
        // Mentions, grouped into runs of conditions listed together.
        let mut runs: Vec<(usize, usize, Vec<&'static str>)> = Vec::new();
        let mut i = clause.start;
        while i < clause.end {
            if let Some((cond, len)) = condition_at(toks, i) {
                let end = (i + len).min(clause.end);
                let joined = runs.last().is_some_and(|(_, prev_end, _)| {
                    toks[*prev_end..i]
                        .iter()
                        .all(|t| t.is_punct(",/&") || matches!(t.lower(), "and" | "or" | "nor"))
                });
                if joined {
                    let last = runs.last_mut().unwrap();
                    last.1 = end;
                    if !last.2.contains(&cond) {
                        last.2.push(cond);
                    }
                } else {
                    runs.push((i, end, vec![cond]));
                }
                i = end;
            } else {
                i += 1;
            }
        }

        self.judge_runs(toks, &clause, &runs, &cands, line_no);
        // The last pod named here is the context for describe-style lines that follow.
        if let Some(c) = cands.iter().rev().find(|c| c.strong) {
            self.context_pod = Some(c.name.clone());
        }
    }

    fn judge_runs(
        &mut self,
        toks: &[Tok],
        clause: &std::ops::Range<usize>,
        runs: &[(usize, usize, Vec<&'static str>)],
        cands: &[Candidate],
        line_no: usize,
    ) {
        let mut prev_end = clause.start;
        for (start, end, conds) in runs {
            let verdict = judge_mention(toks, prev_end, *start, *end, clause.end);
            prev_end = *end;
            match verdict {
                Mention::Hypothetical => {}
                Mention::Negated => self.statements += 1,
                Mention::Affirmed => {
                    let pods = pick_pods(cands, *start, self.context_pod.as_deref());
                    for cond in conds {
                        if pods.is_empty() {
                            self.report("", cond, line_no);
                        }
                        for p in &pods {
                            self.report(p, cond, line_no);
                        }
                    }
                }
            }
        }
    }
}

/// Clause ranges: split at sentence punctuation and contrastive conjunctions.
fn clauses(toks: &[Tok]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        let boundary =
            t.is_punct(".;!?") || matches!(t.lower(), "but" | "however" | "whereas" | "except");
        if boundary {
            if start < i {
                out.push(start..i);
            }
            start = i + 1;
        }
    }
    if start < toks.len() {
        out.push(start..toks.len());
    }
    out
}

enum Mention {
    Affirmed,
    Negated,
    Hypothetical,
}

/// Judge one run of condition mentions `toks[start..end]`; `floor` is where the
/// before-window may start (clause start or the previous run's end).
fn judge_mention(
    toks: &[Tok],
    floor: usize,
    start: usize,
    end: usize,
    clause_end: usize,
) -> Mention {
    // Before: walk back up to 12 words, stopping at "and" or ')'.
    let mut words = 0;
    let mut j = start;
    while j > floor && words < 12 {
        j -= 1;
        let t = &toks[j];
        if t.is_punct(")") || t.lower() == "and" {
            break;
        }
        let Some(w) = t.word() else { continue };
        words += 1;
        let lw = w.lower.as_str();
        if is_hypothetical(lw) {
            return Mention::Hypothetical;
        }
        if is_negation_word(lw) {
            return Mention::Negated;
        }
        if lw == "free" && toks.get(j + 1).map(Tok::lower) == Some("of") {
            return Mention::Negated;
        }
        if lw == "longer" && j > 0 && toks[j - 1].lower() == "no" {
            return Mention::Negated;
        }
        if is_zero(lw) {
            let next = toks.get(j + 1);
            if j + 1 == start || next.is_some_and(|n| is_counted_noun(n.lower())) {
                return Mention::Negated;
            }
        }
    }
    // After: up to 4 words.
    let mut words = 0;
    let mut k = end;
    while k < clause_end && words < 4 {
        let t = &toks[k];
        if t.is_punct("✅✔✓") {
            return Mention::Negated;
        }
        if t.is_punct("(") {
            let inner = toks[k + 1..clause_end]
                .iter()
                .find_map(Tok::word)
                .map(|w| w.lower.as_str());
            if inner.is_some_and(|w| is_zero(w) || matches!(w, "none" | "no")) {
                return Mention::Negated;
            }
            break;
        }
        if t.is_punct(")") {
            break;
        }
        if let Some(w) = t.word() {
            let lw = w.lower.as_str();
            if matches!(
                lw,
                "and"
                    | "with"
                    | "since"
                    | "because"
                    | "after"
                    | "due"
                    | "caused"
                    | "which"
                    | "that"
                    | "for"
                    | "on"
            ) {
                break;
            }
            words += 1;
            if is_negation_word(lw) || is_zero(lw) || matches!(lw, "n/a" | "clear") {
                return Mention::Negated;
            }
        }
        k += 1;
    }
    Mention::Affirmed
}

/// Which pods a mention at token `at` is about.
fn pick_pods(cands: &[Candidate], at: usize, context: Option<&str>) -> Vec<String> {
    let strong_before: Vec<&Candidate> = cands.iter().filter(|c| c.strong && c.idx < at).collect();
    let strong_after: Vec<&Candidate> = cands.iter().filter(|c| c.strong && c.idx > at).collect();
    let chosen: Vec<&Candidate> = if !strong_before.is_empty() {
        strong_before
    } else {
        strong_after
    };
    if !chosen.is_empty() {
        let mut names: Vec<String> = Vec::new();
        for c in chosen {
            if !names.contains(&c.name) {
                names.push(c.name.clone());
            }
        }
        return names;
    }
    if let Some(ctx) = context {
        return vec![ctx.to_string()];
    }
    let weak = cands
        .iter()
        .rfind(|c| c.idx < at)
        .or_else(|| cands.iter().find(|c| c.idx > at));
    weak.map(|c| vec![c.name.clone()]).unwrap_or_default()
}
