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

mod judge;
mod resources;

pub use judge::judge;
pub use resources::parse_resource_suggestions;

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
    #[cfg(test)]
    pub fn is_healthy(&self) -> bool {
        self.ran && self.unhealthy.is_empty()
    }
}

#[cfg(test)]
mod tests;
