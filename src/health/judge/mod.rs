//! [`judge`]: which pods a kagent health report says are unhealthy (see the module docs of `health`).

use std::collections::HashSet;

use super::{HealthVerdict, PodProblem};

mod words;

use words::*;
pub(super) use words::{Tok, tokenize};

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
