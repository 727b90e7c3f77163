//! Judging kagent's free-text health reports (pure functions).
//!
//! # [`judge`]: which pods does the report say are unhealthy?
//!
//! The report is prose/markdown written by an LLM, so this judges *what is said about each
//! pod*, not whether a word appears. It is a line- and clause-level heuristic:
//!
//! 1. **Table rows** are judged as rows: a markdown row (`| pod | 0/1 | CrashLoopBackOff |`)
//!    or a `kubectl get pods`-style row (`todo-backend-xyz  0/1  CrashLoopBackOff  5  3m`)
//!    with a pod-like cell and a condition cell is unhealthy (restart counts like `0` in the
//!    row are not read as negations). `Init:CrashLoopBackOff` counts.
//! 2. **Other lines** are split into clauses at `.` `;` `!` `?` and at *but*, *however*,
//!    *whereas*, *except*. Condition mentions (CrashLoopBackOff, OOMKilled, ImagePullBackOff,
//!    ErrImagePull, and spellings such as "crash-looping", "OOM killed", "image pull
//!    backoff") are found; mentions listed together ("CrashLoopBackOff, OOMKilled or
//!    ImagePullBackOff") share one verdict.
//! 3. A mention is **negated** (a healthy statement) when, in the same clause,
//!    * up to ~12 words *before* it (not reaching back past an earlier mention, an *and* or
//!      a `)`) contain a negation – *no, not, none, never, without, nothing, neither, nor,
//!      free of, no longer, …n't*, *recovered/resolved* – or a zero quantity
//!      (`0 pods`, `zero events`, `0 CrashLoopBackOff`); e.g. "No pods in CrashLoopBackOff
//!      found", "none of the pods are in ImagePullBackOff", "0 pods in CrashLoopBackOff";
//!    * or the first few words *after* it (stopping at *and/with/because/since/…* or a
//!      parenthesis) are *none, no, not, 0, zero, n/a, ✅*; e.g. "CrashLoopBackOff: none",
//!      "| OOMKilled | 0 |", "CrashLoopBackOff was not observed".
//! 4. A mention preceded by a **hypothetical** (*if, when, unless, avoid, prevent, could,
//!    might, would, should, may, risk, potential*) is ignored: advice such as "raise the
//!    limit to prevent further OOMKilled restarts" is not a finding.
//! 5. Any other mention is **unhealthy**. The pod is the pod-like name in the clause (a
//!    lowercase DNS-label-ish token with a digit or two hyphens, `pod/…`, or one named right
//!    after "pod"); names before the mention are preferred over names after it ("X is in
//!    CrashLoopBackOff because it cannot reach Y-0" blames X). Failing that, a pod named
//!    earlier in the same block (describe-style output), then a workload-like name
//!    (`todo-backend`), else `pod` is empty.
//! 6. **Section headings** that are only a condition ("### CrashLoopBackOff",
//!    "Pods in OOMKilled state:") defer judgement to the lines below: a "None"/"0" line makes
//!    it healthy, list items naming pods make those pods unhealthy.
//!
//! Duplicates (same pod and condition) are reported once, at their first line; an unnamed
//! problem is dropped when a named one has the same condition.
//!
//! `ran` says whether the report looks like a health check actually happened: it made at
//! least one statement about the conditions, or it talks about pods without an error
//! ("unable to", "forbidden", "connection refused", …). An empty report, or "I could not
//! access the cluster", gives `ran: false`.
//!
//! # [`parse_resource_suggestions`]: requests/limits per workload
//!
//! Best effort over the shapes reports use:
//! * one line per workload: `todo-backend: requests cpu=100m memory=128Mi, limits cpu=300m memory=256Mi`
//!   (also `cpu: 100m`, `100m CPU`, `0.5 cores`, `256 MiB`, and postfix
//!   `todo-backend: 100m/128Mi requests, 300m/256Mi limits`);
//! * YAML-ish blocks (`requests:` / `  cpu: 100m` …) under a line or heading naming the workload;
//! * markdown tables with a workload column and columns named like "CPU request",
//!   "Memory limit" (or combined "Requests"/"Limits" columns holding `cpu: …, memory: …`).
//!
//! Workloads are recognised as `todo-frontend` / `todo-backend` (pod names like
//! `todo-backend-7d9f…` map to their workload; a leading `Frontend:`/`Backend:` label maps
//! to `todo-frontend`/`todo-backend`); in tables the workload cell is taken as written.
//! A value needs a section (requests/limits) to count; quantities are classified by keyword
//! (`cpu`, `memory`) or by unit (`m` → CPU, `Mi`/`Gi`/`M`… → memory). Memory units like
//! `MiB` are normalised to Kubernetes' `Mi`. Workloads with no value are left out.

use std::collections::HashSet;

/// The conditions [`judge`] looks for, in their canonical spelling.
pub const CONDITIONS: [&str; 4] = [
    "CrashLoopBackOff",
    "OOMKilled",
    "ImagePullBackOff",
    "ErrImagePull",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodProblem {
    /// The pod (or, failing that, workload) named; empty when the report names none.
    pub pod: String,
    /// One of [`CONDITIONS`].
    pub condition: String,
    /// 1-based line of the report.
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HealthVerdict {
    pub unhealthy: Vec<PodProblem>,
    /// The report looks like an actual health check (see the module docs).
    pub ran: bool,
}

impl HealthVerdict {
    /// Ran and found nothing wrong.
    pub fn is_healthy(&self) -> bool {
        self.ran && self.unhealthy.is_empty()
    }
}

// ---------------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(Word),
    Punct(char),
}

#[derive(Debug, Clone, PartialEq)]
struct Word {
    text: String,
    lower: String,
    /// Wrapped in backticks, quotes or `**`.
    decorated: bool,
    /// Written as `pod/<name>`.
    pod_prefixed: bool,
}

impl Tok {
    fn word(&self) -> Option<&Word> {
        match self {
            Tok::Word(w) => Some(w),
            Tok::Punct(_) => None,
        }
    }
    fn lower(&self) -> &str {
        self.word().map_or("", |w| w.lower.as_str())
    }
    fn is_punct(&self, chars: &str) -> bool {
        matches!(self, Tok::Punct(c) if chars.contains(*c))
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | '\'' | '’')
}

fn is_decoration(c: char) -> bool {
    matches!(c, '`' | '*' | '"' | '“' | '”')
}

fn tokenize(line: &str) -> Vec<Tok> {
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

// ---------------------------------------------------------------------------------------------
// Resource suggestions
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResourceSuggestion {
    /// `todo-frontend` / `todo-backend` (or a table's workload cell as written).
    pub workload: String,
    pub requests_cpu: Option<String>,
    pub requests_memory: Option<String>,
    pub limits_cpu: Option<String>,
    pub limits_memory: Option<String>,
}

impl ResourceSuggestion {
    fn is_empty(&self) -> bool {
        self.requests_cpu.is_none()
            && self.requests_memory.is_none()
            && self.limits_cpu.is_none()
            && self.limits_memory.is_none()
    }
}

/// Workloads recognised in free text.
pub const WORKLOADS: [&str; 2] = ["todo-frontend", "todo-backend"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section2 {
    Requests,
    Limits,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Cpu,
    Mem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Workload,
    Value(Section2, Kind),
    Combined(Section2),
    Other,
}

struct Res {
    out: Vec<ResourceSuggestion>,
    current: Option<usize>,
    section: Option<Section2>,
    pending_kind: Option<Kind>,
    pending_value: Option<String>,
    unsectioned: Vec<(Kind, String)>,
    /// Kind assigned by the previous word ("100m CPU": the keyword is a label, not a prefix).
    just_assigned: Option<Kind>,
}

impl Res {
    fn select(&mut self, workload: &str) {
        let idx = match self.out.iter().position(|r| r.workload == workload) {
            Some(i) => i,
            None => {
                self.out.push(ResourceSuggestion {
                    workload: workload.to_string(),
                    ..Default::default()
                });
                self.out.len() - 1
            }
        };
        self.current = Some(idx);
        self.section = None;
        self.pending_kind = None;
        self.pending_value = None;
        self.unsectioned.clear();
    }

    fn set(&mut self, section: Section2, kind: Kind, value: String) {
        let Some(i) = self.current else { return };
        let r = &mut self.out[i];
        let slot = match (section, kind) {
            (Section2::Requests, Kind::Cpu) => &mut r.requests_cpu,
            (Section2::Requests, Kind::Mem) => &mut r.requests_memory,
            (Section2::Limits, Kind::Cpu) => &mut r.limits_cpu,
            (Section2::Limits, Kind::Mem) => &mut r.limits_memory,
        };
        *slot = Some(value);
    }

    fn assign(&mut self, kind: Kind, value: String) {
        self.just_assigned = Some(kind);
        match self.section {
            Some(s) => self.set(s, kind, value),
            None => self.unsectioned.push((kind, value)),
        }
    }

    fn section_keyword(&mut self, s: Section2) {
        if self.unsectioned.is_empty() {
            self.section = Some(s);
        } else {
            // Postfix form: "100m/128Mi requests, 300m/256Mi limits".
            for (k, v) in std::mem::take(&mut self.unsectioned) {
                self.set(s, k, v);
            }
            self.section = None;
        }
    }

    /// Feed the words of one line (or table cell).
    fn feed(&mut self, text: &str, allow_workload_switch: bool) {
        let words = resource_words(text);
        for (n, w) in words.iter().enumerate() {
            let lw = w.to_lowercase();
            let just = self.just_assigned.take();
            if allow_workload_switch && let Some(wl) = workload_of(&lw, n == 0 && words.len() > 1) {
                self.select(&wl);
                continue;
            }
            match lw.as_str() {
                "request" | "requests" | "requested" | "req" => {
                    self.section_keyword(Section2::Requests);
                    continue;
                }
                "limit" | "limits" | "max" => {
                    self.section_keyword(Section2::Limits);
                    continue;
                }
                "cpu" | "cpus" | "core" | "cores" | "vcpu" | "vcpus" | "millicores" => {
                    match self.pending_value.take() {
                        Some(v) => self.assign(Kind::Cpu, v),
                        None if just == Some(Kind::Cpu) => {}
                        None => self.pending_kind = Some(Kind::Cpu),
                    }
                    continue;
                }
                "memory" | "mem" | "ram" => {
                    match self.pending_value.take() {
                        Some(v) => self.assign(Kind::Mem, v),
                        None if just == Some(Kind::Mem) => {}
                        None => self.pending_kind = Some(Kind::Mem),
                    }
                    continue;
                }
                _ => {}
            }
            if let Some(unit) = mem_unit(w)
                && let Some(v) = self.pending_value.take()
            {
                self.assign(Kind::Mem, format!("{v}{unit}"));
                self.pending_kind = None;
                continue;
            }
            if let Some((value, shape)) = quantity(w) {
                let kind = match (self.pending_kind.take(), shape) {
                    (Some(Kind::Cpu), Shape::Bare | Shape::Milli) => Some(Kind::Cpu),
                    (Some(Kind::Mem), Shape::Bare | Shape::Mem) => Some(Kind::Mem),
                    (_, Shape::Milli) => Some(Kind::Cpu),
                    (_, Shape::Mem) => Some(Kind::Mem),
                    (_, Shape::Bare) => None,
                };
                match kind {
                    Some(k) => self.assign(k, value),
                    None => self.pending_value = Some(value),
                }
            }
        }
        self.pending_value = None;
        self.pending_kind = None;
        self.just_assigned = None;
        self.unsectioned.clear();
    }
}

fn resource_words(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || ",;=:()|/`*[]{}\"".contains(c))
        .map(|w| w.trim_matches(|c: char| c == '.' || c == '-' || c == '\'' || c == '’'))
        .filter(|w| !w.is_empty() && *w != "and" && *w != "&")
        .map(String::from)
        .collect()
}

/// Workload named by a word: `todo-backend`, a pod `todo-backend-7d9f…`, or (as the first
/// word of a line) `Backend`/`frontend`.
fn workload_of(lower: &str, leading: bool) -> Option<String> {
    let lw = lower.trim_end_matches("'s");
    for w in WORKLOADS {
        if lw == w || lw.strip_prefix(w).is_some_and(|rest| rest.starts_with('-')) {
            return Some(w.to_string());
        }
    }
    if leading {
        match lw {
            "frontend" => return Some("todo-frontend".into()),
            "backend" => return Some("todo-backend".into()),
            _ => {}
        }
    }
    None
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Bare,
    Milli,
    Mem,
}

/// A standalone memory unit word following a number ("256 MiB").
fn mem_unit(w: &str) -> Option<&'static str> {
    Some(match w {
        "Ki" | "KiB" | "kib" | "ki" => "Ki",
        "Mi" | "MiB" | "mib" | "mi" => "Mi",
        "Gi" | "GiB" | "gib" | "gi" => "Gi",
        "M" | "MB" | "mb" => "M",
        "G" | "GB" | "gb" => "G",
        _ => return None,
    })
}

/// `100m`, `0.5`, `128Mi`, `1Gi`, `256MiB`, `512M` → normalized value and shape.
fn quantity(w: &str) -> Option<(String, Shape)> {
    let digits_end = w
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(w.len());
    let (num, unit) = w.split_at(digits_end);
    if num.is_empty()
        || !num.chars().next().unwrap().is_ascii_digit()
        || num.matches('.').count() > 1
        || num.ends_with('.')
    {
        return None;
    }
    let (unit, shape) = match unit {
        "" => ("", Shape::Bare),
        "m" => ("m", Shape::Milli),
        "k" | "K" => ("k", Shape::Mem),
        "Ki" | "KiB" | "ki" | "kib" => ("Ki", Shape::Mem),
        "Mi" | "MiB" | "mi" | "mib" => ("Mi", Shape::Mem),
        "Gi" | "GiB" | "gi" | "gib" => ("Gi", Shape::Mem),
        "Ti" | "TiB" => ("Ti", Shape::Mem),
        "M" | "MB" => ("M", Shape::Mem),
        "G" | "GB" => ("G", Shape::Mem),
        _ => return None,
    };
    Some((format!("{num}{unit}"), shape))
}

fn classify_header(cell: &str) -> Col {
    let l = cell.to_lowercase();
    let cpu = l.contains("cpu");
    let mem = l.contains("mem") || l.contains("ram");
    let req = l.contains("request");
    let lim = l.contains("limit");
    match (cpu, mem, req, lim) {
        (true, false, true, false) => Col::Value(Section2::Requests, Kind::Cpu),
        (true, false, false, true) => Col::Value(Section2::Limits, Kind::Cpu),
        (false, true, true, false) => Col::Value(Section2::Requests, Kind::Mem),
        (false, true, false, true) => Col::Value(Section2::Limits, Kind::Mem),
        (false, false, true, false) => Col::Combined(Section2::Requests),
        (false, false, false, true) => Col::Combined(Section2::Limits),
        (false, false, false, false)
            if [
                "workload",
                "deployment",
                "container",
                "name",
                "component",
                "service",
                "app",
                "pod",
            ]
            .iter()
            .any(|k| l.contains(k)) =>
        {
            Col::Workload
        }
        _ => Col::Other,
    }
}

fn table_cells(line: &str) -> Option<Vec<String>> {
    let t = line.trim();
    if !t.contains('|') {
        return None;
    }
    let inner = t.trim_start_matches('|').trim_end_matches('|');
    let cells: Vec<String> = inner.split('|').map(|c| c.trim().to_string()).collect();
    (cells.len() >= 2).then_some(cells)
}

fn clean_cell(cell: &str) -> String {
    cell.trim()
        .trim_matches(|c| c == '`' || c == '*' || c == '"')
        .trim()
        .to_string()
}

/// Parse resource suggestions from a report. See the module documentation.
pub fn parse_resource_suggestions(report: &str) -> Vec<ResourceSuggestion> {
    let mut r = Res {
        out: Vec::new(),
        current: None,
        section: None,
        pending_kind: None,
        pending_value: None,
        unsectioned: Vec::new(),
        just_assigned: None,
    };
    let mut columns: Option<Vec<Col>> = None;

    for line in report.lines() {
        let trimmed = line.trim();
        if let Some(cells) = table_cells(trimmed) {
            if cells
                .iter()
                .all(|c| c.chars().all(|ch| matches!(ch, '-' | ':' | ' ')))
            {
                continue; // separator row
            }
            let header: Vec<Col> = cells.iter().map(|c| classify_header(c)).collect();
            let is_header = header
                .iter()
                .any(|c| matches!(c, Col::Value(..) | Col::Combined(_)))
                && !cells.iter().any(|c| {
                    resource_words(c)
                        .iter()
                        .any(|w| quantity(w).is_some_and(|(_, s)| s != Shape::Bare))
                });
            if is_header {
                let mut cols = header;
                if !cols.contains(&Col::Workload)
                    && let Some(first) = cols.iter_mut().find(|c| **c == Col::Other)
                {
                    *first = Col::Workload;
                }
                columns = Some(cols);
                continue;
            }
            if let Some(cols) = &columns {
                let wl_cell = cols
                    .iter()
                    .position(|c| *c == Col::Workload)
                    .and_then(|i| cells.get(i));
                let Some(wl_cell) = wl_cell else { continue };
                let name = clean_cell(wl_cell);
                let lower = name.to_lowercase();
                let workload = workload_of(&lower, true).unwrap_or(name);
                if workload.is_empty() {
                    continue;
                }
                r.select(&workload);
                for (col, cell) in cols.iter().zip(cells.iter()) {
                    match *col {
                        Col::Value(s, k) => {
                            let v = resource_words(cell)
                                .iter()
                                .find_map(|w| quantity(w))
                                .map(|(v, _)| v);
                            if let Some(v) = v {
                                r.set(s, k, v);
                            }
                        }
                        Col::Combined(s) => {
                            r.section = Some(s);
                            r.feed(cell, false);
                        }
                        _ => {}
                    }
                }
                r.section = None;
                continue;
            }
        } else {
            columns = None;
        }
        if trimmed.starts_with('#') {
            r.current = None;
            r.section = None;
        }
        r.feed(trimmed, true);
    }
    r.out.into_iter().filter(|s| !s.is_empty()).collect()
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::process::test_support::fixture;

    fn problems(report: &str) -> Vec<(String, String)> {
        judge(report)
            .unhealthy
            .into_iter()
            .map(|p| (p.pod, p.condition))
            .collect()
    }
    fn p(pod: &str, cond: &str) -> (String, String) {
        (pod.to_string(), cond.to_string())
    }

    #[test]
    fn healthy_phrasings() {
        let healthy = [
            "No pods in CrashLoopBackOff found",
            "no OOMKilled events",
            "none of the pods are in ImagePullBackOff",
            "0 pods in CrashLoopBackOff",
            "CrashLoopBackOff: none",
            "- CrashLoopBackOff: 0 pods",
            "There are zero pods in CrashLoopBackOff.",
            "No CrashLoopBackOff, OOMKilled or ImagePullBackOff pods were found.",
            "Checked all pods for CrashLoopBackOff, OOMKilled and ImagePullBackOff: none found.",
            "todo-backend-7d9f-abc12 is not in CrashLoopBackOff.",
            "todo-backend-7d9f-abc12 isn't in CrashLoopBackOff any more",
            "The cluster is free of OOMKilled events.",
            "Pods are running without CrashLoopBackOff or ErrImagePull errors.",
            "todo-frontend never entered CrashLoopBackOff.",
            "todo-backend-abc12 is no longer in CrashLoopBackOff",
            "CrashLoopBackOff was not observed.",
            "| CrashLoopBackOff | 0 |",
            "| OOMKilled | None |",
            "| ImagePullBackOff | ✅ |",
            "✅ No ErrImagePull or ImagePullBackOff",
            "None of the pods, including todo-backend-7d9f-abc12, are in CrashLoopBackOff.",
            "CrashLoopBackOff (0 pods)",
            "No pods were OOMKilled; todo-backend-abc12 is Running.",
            "todo-backend-7d9f-abc12 recovered from CrashLoopBackOff",
            "OOMKilled: n/a",
        ];
        for h in healthy {
            let v = judge(h);
            assert!(
                v.unhealthy.is_empty(),
                "{h:?} judged unhealthy: {:?}",
                v.unhealthy
            );
            assert!(v.ran, "{h:?}");
        }
    }

    #[test]
    fn unhealthy_phrasings() {
        let cases: Vec<(&str, Vec<(String, String)>)> = vec![
            (
                "todo-backend-7d9f-abc12 is in CrashLoopBackOff",
                vec![p("todo-backend-7d9f-abc12", "CrashLoopBackOff")],
            ),
            (
                "todo-backend-xyz  0/1  CrashLoopBackOff  5  3m",
                vec![p("todo-backend-xyz", "CrashLoopBackOff")],
            ),
            (
                "todo-backend-xyz   0/1     CrashLoopBackOff   0          3m",
                vec![p("todo-backend-xyz", "CrashLoopBackOff")],
            ),
            (
                "todo-backend-xyz 0/1 Init:CrashLoopBackOff 0 3m",
                vec![p("todo-backend-xyz", "CrashLoopBackOff")],
            ),
            (
                "pod todo-frontend-... was OOMKilled",
                vec![p("todo-frontend", "OOMKilled")],
            ),
            (
                "Pod todo-frontend-5c7d9b8f4-xk2lp was OOMKilled twice.",
                vec![p("todo-frontend-5c7d9b8f4-xk2lp", "OOMKilled")],
            ),
            (
                "| todo-backend-7d9f8c6b5-abc12 | 0/1 | CrashLoopBackOff | 6 | 7m |",
                vec![p("todo-backend-7d9f8c6b5-abc12", "CrashLoopBackOff")],
            ),
            (
                "`todo-backend-abc12` is crash-looping",
                vec![p("todo-backend-abc12", "CrashLoopBackOff")],
            ),
            (
                "pod/todo-frontend-xk2lp: ErrImagePull",
                vec![p("todo-frontend-xk2lp", "ErrImagePull")],
            ),
            (
                "Found 2 pods in CrashLoopBackOff: todo-backend-a1, todo-backend-b2",
                vec![
                    p("todo-backend-a1", "CrashLoopBackOff"),
                    p("todo-backend-b2", "CrashLoopBackOff"),
                ],
            ),
            (
                "todo-backend-a1 and todo-backend-b2 are in ImagePullBackOff",
                vec![
                    p("todo-backend-a1", "ImagePullBackOff"),
                    p("todo-backend-b2", "ImagePullBackOff"),
                ],
            ),
            (
                "No pods are in CrashLoopBackOff, but todo-frontend-x1 was OOMKilled.",
                vec![p("todo-frontend-x1", "OOMKilled")],
            ),
            (
                "Although no pods were OOMKilled, todo-backend-a1 is in CrashLoopBackOff.",
                vec![p("todo-backend-a1", "CrashLoopBackOff")],
            ),
            (
                "All pods are healthy except todo-backend-a1, which is in CrashLoopBackOff.",
                vec![p("todo-backend-a1", "CrashLoopBackOff")],
            ),
            (
                "todo-backend-7d9f-abc12 is in CrashLoopBackOff because it cannot reach todo-postgres-0",
                vec![p("todo-backend-7d9f-abc12", "CrashLoopBackOff")],
            ),
            (
                "todo-backend-7d9f-abc12 is in CrashLoopBackOff and has not recovered",
                vec![p("todo-backend-7d9f-abc12", "CrashLoopBackOff")],
            ),
            (
                "todo-backend has been restarting with no success and is in CrashLoopBackOff",
                vec![p("todo-backend", "CrashLoopBackOff")],
            ),
            (
                "- OOMKilled: 1 pod (todo-frontend-abc12)",
                vec![p("todo-frontend-abc12", "OOMKilled")],
            ),
            (
                "❌ todo-backend-abc12: CrashLoopBackOff (restarts: 0, exit code 1)",
                vec![p("todo-backend-abc12", "CrashLoopBackOff")],
            ),
            (
                "Restarts: 0, status CrashLoopBackOff for pod todo-backend-q1",
                vec![p("todo-backend-q1", "CrashLoopBackOff")],
            ),
            (
                "2 pods are in CrashLoopBackOff.",
                vec![p("", "CrashLoopBackOff")],
            ),
        ];
        for (text, want) in cases {
            assert_eq!(problems(text), want, "{text:?}");
            assert!(judge(text).ran);
        }
    }

    #[test]
    fn hypotheticals_and_advice_are_not_findings() {
        for t in [
            "If a pod is in CrashLoopBackOff, check its logs with kubectl logs --previous.",
            "Raise the memory limit of todo-frontend to 256Mi to prevent further OOMKilled restarts.",
            "Set imagePullPolicy: Never to avoid ImagePullBackOff with locally built images.",
            "A missing secret could cause CrashLoopBackOff in todo-backend.",
            "When the image is missing, pods may show ErrImagePull.",
        ] {
            assert!(
                judge(t).unhealthy.is_empty(),
                "{t}: {:?}",
                judge(t).unhealthy
            );
        }
    }

    #[test]
    fn sections_and_describe_blocks() {
        let r = "### CrashLoopBackOff\n\nNone found.\n\n### OOMKilled\n\n- todo-frontend-5c7d9b8f4-xk2lp (3 restarts)\n- todo-frontend-5c7d9b8f4-zz9qq\n\n### ImagePullBackOff\n0\n";
        let v = judge(r);
        assert_eq!(
            v.unhealthy,
            vec![
                PodProblem {
                    pod: "todo-frontend-5c7d9b8f4-xk2lp".into(),
                    condition: "OOMKilled".into(),
                    line: 7
                },
                PodProblem {
                    pod: "todo-frontend-5c7d9b8f4-zz9qq".into(),
                    condition: "OOMKilled".into(),
                    line: 8
                },
            ]
        );
        assert!(v.ran);
        let r = "Pods in CrashLoopBackOff:\n  * todo-backend-7d9f8c6b5-abc12\n\nEverything else is Running.";
        assert_eq!(
            problems(r),
            vec![p("todo-backend-7d9f8c6b5-abc12", "CrashLoopBackOff")]
        );
        let describe = "Name:         todo-frontend-5c7d9b8f4-xk2lp\nNamespace:    default\nContainers:\n  web:\n    Last State:  Terminated\n      Reason:    OOMKilled\n      Exit Code: 137\n";
        let v = judge(describe);
        assert_eq!(
            v.unhealthy,
            vec![PodProblem {
                pod: "todo-frontend-5c7d9b8f4-xk2lp".into(),
                condition: "OOMKilled".into(),
                line: 6
            }]
        );
    }

    #[test]
    fn fixture_reports() {
        let v = judge(&fixture("health-report-healthy.md"));
        assert!(v.is_healthy(), "{v:?}");
        let v = judge(&fixture("health-report-unhealthy.md"));
        assert!(v.ran);
        assert_eq!(
            v.unhealthy,
            vec![
                PodProblem {
                    pod: "todo-backend-7d9f8c6b5-abc12".into(),
                    condition: "CrashLoopBackOff".into(),
                    line: 5
                },
                PodProblem {
                    pod: "todo-frontend-5c7d9b8f4-xk2lp".into(),
                    condition: "OOMKilled".into(),
                    line: 11
                },
            ]
        );
        // The same reports as kagent would deliver them.
        let json = fixture("kagent-health-unhealthy.json");
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let text = v["artifacts"][0]["parts"][0]["text"].as_str().unwrap();
        assert_eq!(judge(text).unhealthy.len(), 2);
    }

    #[test]
    fn duplicates_and_unnamed() {
        let r = "Summary: 1 pod in CrashLoopBackOff.\n\ntodo-backend-a1 is in CrashLoopBackOff.\n| todo-backend-a1 | 0/1 | CrashLoopBackOff |\n";
        let v = judge(r);
        assert_eq!(
            v.unhealthy,
            vec![PodProblem {
                pod: "todo-backend-a1".into(),
                condition: "CrashLoopBackOff".into(),
                line: 3
            }]
        );
    }

    #[test]
    fn ran_flag() {
        assert!(!judge("").ran);
        assert!(!judge("   \n\n").ran);
        assert!(
            !judge(
                "I was unable to list pods: pods is forbidden: User cannot list resource \"pods\""
            )
            .ran
        );
        assert!(!judge("Error: could not connect to the cluster").ran);
        assert!(!judge("Hello! How can I help you today?").ran);
        assert!(judge("All pods in namespace default are Running and Ready.").ran);
        assert!(
            judge("NAME  READY  STATUS  RESTARTS  AGE\ntodo-backend-a1  1/1  Running  0  5m").ran
        );
        // A finding counts as having run even next to an error phrase.
        let v = judge("Failed to fetch logs, but todo-backend-a1 is in CrashLoopBackOff.");
        assert!(v.ran);
        assert_eq!(v.unhealthy.len(), 1);
    }

    #[test]
    fn tokenizer_details() {
        let t = tokenize("pod todo-frontend-... was `OOMKilled`. Done");
        let words: Vec<&str> = t
            .iter()
            .filter_map(Tok::word)
            .map(|w| w.text.as_str())
            .collect();
        assert_eq!(
            words,
            vec!["pod", "todo-frontend-", "was", "OOMKilled", "Done"]
        );
        assert_eq!(
            t.iter().filter(|t| t.is_punct(".")).count(),
            1,
            "ellipsis is not a sentence end"
        );
        let t = tokenize("ErrImagePull/ImagePullBackOff 0/1 n/a pod/x-1");
        let words: Vec<&str> = t
            .iter()
            .filter_map(Tok::word)
            .map(|w| w.lower.as_str())
            .collect();
        assert_eq!(
            words,
            vec!["errimagepull", "imagepullbackoff", "0/1", "n/a", "x-1"]
        );
    }

    // --- resource suggestions ------------------------------------------------------------------

    fn rs(w: &str, rc: &str, rm: &str, lc: &str, lm: &str) -> ResourceSuggestion {
        let o = |s: &str| (!s.is_empty()).then(|| s.to_string());
        ResourceSuggestion {
            workload: w.into(),
            requests_cpu: o(rc),
            requests_memory: o(rm),
            limits_cpu: o(lc),
            limits_memory: o(lm),
        }
    }

    #[test]
    fn resources_one_line_each() {
        assert_eq!(
            parse_resource_suggestions(&fixture("resources-report.md")),
            vec![
                rs("todo-backend", "100m", "128Mi", "300m", "256Mi"),
                rs("todo-frontend", "50m", "96Mi", "200m", "192Mi")
            ]
        );
        assert_eq!(
            parse_resource_suggestions(
                "todo-backend: requests cpu=100m memory=128Mi, limits cpu=300m memory=256Mi"
            ),
            vec![rs("todo-backend", "100m", "128Mi", "300m", "256Mi")]
        );
    }

    #[test]
    fn resources_table() {
        assert_eq!(
            parse_resource_suggestions(&fixture("resources-report-table.md")),
            vec![
                rs("todo-frontend", "50m", "64Mi", "250m", "256Mi"),
                rs("todo-backend", "100m", "128Mi", "500m", "512Mi")
            ]
        );
        let combined = "| Deployment | Requests | Limits |\n|--|--|--|\n| **todo-backend** | cpu: 100m, memory: 128Mi | cpu: 500m, memory: 512Mi |\n| frontend | 50m / 64Mi | 200m / 256Mi |\n";
        assert_eq!(
            parse_resource_suggestions(combined),
            vec![
                rs("todo-backend", "100m", "128Mi", "500m", "512Mi"),
                rs("todo-frontend", "50m", "64Mi", "200m", "256Mi")
            ]
        );
    }

    #[test]
    fn resources_yaml_and_prose() {
        let yaml = "For todo-frontend:\n\n```yaml\nresources:\n  requests:\n    cpu: 50m\n    memory: 64Mi\n  limits:\n    cpu: 250m\n    memory: 256Mi\n```\n\n### todo-backend\n\n```yaml\nresources:\n  requests: {cpu: 100m, memory: 128Mi}\n  limits: {cpu: \"1\", memory: 1Gi}\n```\n";
        assert_eq!(
            parse_resource_suggestions(yaml),
            vec![
                rs("todo-frontend", "50m", "64Mi", "250m", "256Mi"),
                rs("todo-backend", "100m", "128Mi", "1", "1Gi")
            ]
        );
        let prose = "For todo-backend, set requests of 100m CPU and 128 MiB memory, and limits of 0.5 cores and 512MiB of memory.\nBackend: fine.\nFrontend: requests 50m/64Mi, limits 200m/256Mi";
        assert_eq!(
            parse_resource_suggestions(prose),
            vec![
                rs("todo-backend", "100m", "128Mi", "0.5", "512Mi"),
                rs("todo-frontend", "50m", "64Mi", "200m", "256Mi")
            ]
        );
        let postfix = "- todo-backend: 100m/128Mi requests, 300m/256Mi limits";
        assert_eq!(
            parse_resource_suggestions(postfix),
            vec![rs("todo-backend", "100m", "128Mi", "300m", "256Mi")]
        );
        let pods = "todo-backend-7d9f8c6b5-abc12: requests cpu=80m memory=100Mi";
        assert_eq!(
            parse_resource_suggestions(pods),
            vec![rs("todo-backend", "80m", "100Mi", "", "")]
        );
    }

    #[test]
    fn resources_nothing_to_find() {
        assert!(parse_resource_suggestions("").is_empty());
        assert!(
            parse_resource_suggestions("Both workloads look fine; no changes needed.").is_empty()
        );
        assert!(
            parse_resource_suggestions("todo-backend uses 80m and 90Mi at peak.").is_empty(),
            "usage without requests/limits is not a suggestion"
        );
        assert!(parse_resource_suggestions(&fixture("health-report-healthy.md")).is_empty());
    }
}
