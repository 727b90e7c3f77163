//! The fault suite: each row of RELIABILITY.md is a test here. Tools are small scripts
//! written into a temp dir; the OpenAI endpoint is the scripted test server. Each test
//! compares the whole output (exit status, stdout, stderr) with temp paths and the
//! server's address filtered out, and checks what must not have happened (nothing
//! written, cached, locked or committed; no process left behind).

use std::path::Path;
use std::time::{Duration, Instant};

use crate::harness::{Output, Project, Test, fixture};

mod helm;
mod http;
mod signals;
mod tools;

pub(super) const PROMPT: &str = "backend-deployment";
pub(super) const TARGET: &str = "charts/todo-app/templates/backend-deployment.yaml";

pub(super) fn answer() -> String {
    std::fs::read_to_string(fixture("answers/backend-deployment.md")).unwrap()
}

/// A folder holding one fake `kubectl-ai`: `/bin/sh` running `body`. `$DIR` in the body
/// is the folder (for pid files and the answer, which is at `$DIR/answer.md`).
pub(super) struct FakeTool {
    dir: tempfile::TempDir,
}

impl FakeTool {
    pub(super) fn new(body: &str) -> FakeTool {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_string_lossy().into_owned();
        std::fs::write(dir.path().join("answer.md"), answer()).unwrap();
        let path = dir.path().join("kubectl-ai");
        std::fs::write(&path, format!("#!/bin/sh\nDIR='{d}'\n{body}\n")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        FakeTool { dir }
    }

    pub(super) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The pids the script wrote to `$DIR/NAME.pid`.
    pub(super) fn pid(&self, name: &str) -> Option<i32> {
        std::fs::read_to_string(self.path().join(format!("{name}.pid")))
            .ok()?
            .trim()
            .parse()
            .ok()
    }
}

/// A seeded project whose kubectl-ai is the google flavour (no `--help` probe), with
/// `timeout_secs` and any extra configuration, committed.
pub(super) fn project(timeout_secs: u64, extra: &str) -> Project {
    let p = Project::seeded();
    let toml = format!(
        "{}\n[tools.kubectl-ai]\nflavour = \"google\"\ntimeout_secs = {timeout_secs}\n{extra}",
        p.read("dockhand.toml")
    );
    p.write("dockhand.toml", &toml);
    p.git(&["commit", "-qam", "faults config"]);
    p
}

pub(super) fn ask_tool(p: &Project, tool: &FakeTool) -> Test {
    p.dockhand()
        .path_prefix(tool.path())
        .args(["generate", PROMPT, "--backend", "kubectl-ai"])
}

/// Exit status, stdout and stderr as one text, with the given paths replaced and the
/// prompt in a shown argv (`kubectl-ai --quiet --kubeconfig /tmp/…/kubeconfig '…'`) as
/// `[PROMPT]` and the per-run kubeconfig folder as `[TMP]`.
pub(super) fn whole(out: &Output, subs: &[(&str, &str)]) -> String {
    let mut s = format!(
        "exit {}\n--- stdout\n{}--- stderr\n{}",
        out.status, out.stdout, out.stderr
    );
    for (from, to) in subs {
        s = s.replace(from, to);
    }
    prompt_hidden(&s)
}

pub(super) fn prompt_hidden(s: &str) -> String {
    const OPEN: &str = "`kubectl-ai --quiet --kubeconfig ";
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find(OPEN) {
        out.push_str(&rest[..i]);
        out.push_str(&format!("`{ARGV}`"));
        let after = &rest[i + OPEN.len()..];
        let after = after.split_once(" '").map_or("", |(_, a)| a);
        rest = match after.find("'`") {
            Some(j) => &after[j + 2..],
            None => "",
        };
    }
    out.push_str(rest);
    out
}

/// Runs of 64 hex digits → `[HASH]`, of 12 → `[SHA]`.
pub(super) fn hashes_hidden(s: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        match run.len() {
            64 => out.push_str("[HASH]"),
            12 => out.push_str("[SHA]"),
            _ => out.push_str(run),
        }
        run.clear();
    };
    for c in s.chars() {
        if c.is_ascii_hexdigit() && !c.is_ascii_uppercase() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Nothing written, cached, locked or committed: the tree is as it was.
pub(super) fn untouched(p: &Project, commits: usize) {
    assert_eq!(p.git(&["status", "--porcelain", "--ignored"]), "");
    assert_eq!(p.commit_count(), commits);
    assert!(!p.exists(TARGET));
    assert!(!p.exists(".dockhand/cache"));
}

/// True once the process is gone (or a zombie nobody reaped yet).
pub(super) fn gone(pid: i32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| s.rsplit_once(')').map(|(_, r)| r.trim_start().to_owned()));
        match state {
            None => return true,
            Some(s) if s.starts_with('Z') || s.starts_with('X') => return true,
            Some(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    false
}

/// Shown when no backend could be reached at all (none was asked).
pub(super) const NO_BACKEND_HINT: &str = "(configure an assistant in dockhand.toml or the environment (`dockhand doctor` shows what is usable), or give an answer by hand with `dockhand generate ID --response-file FILE`; it is recorded as hand-written)";

/// The output of a run in which kubectl-ai, the only backend, could not be started.
pub(super) fn tool_missing(reason: &str) -> String {
    format!("{}{NO_BACKEND_HINT}\n", tool_failed(reason))
}

/// The output of a run in which kubectl-ai was the only backend and failed for `reason`.
pub(super) fn tool_failed(reason: &str) -> String {
    format!(
        "exit 2\n--- stdout\n--- stderr\n\
         {PROMPT}@1.1.0: skipped kubectl-ai: {reason}\n\
         {PROMPT}@1.1.0: error\n\
         error: {PROMPT}@1.1.0: no backend could answer:\n  \
         cache: no recorded answer for this exact prompt\n  \
         kubectl-ai: {reason}\n"
    )
}

/// The argv dockhand shows for the fake kubectl-ai (the prompt elided).
pub(super) const ARGV: &str = "kubectl-ai --quiet --kubeconfig [TMP]/kubeconfig [PROMPT]";
