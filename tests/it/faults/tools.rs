//! Assistants run as tools: fake `kubectl-ai` scripts in a temp dir.

use std::time::{Duration, Instant};

use super::*;

// ---------------------------------------------------------------------------------------------
// Tools
// ---------------------------------------------------------------------------------------------

#[test]
fn tool_missing_at_its_configured_path() {
    let p = project(5, "binary = \"/nonexistent/bin/kubectl-ai\"\n");
    let out = p
        .dockhand()
        .args(["generate", PROMPT, "--backend", "kubectl-ai"])
        .status(2)
        .run();
    assert_eq!(
        whole(&out, &[]),
        tool_missing("`/nonexistent/bin/kubectl-ai` does not exist")
    );
    untouched(&p, 3);
}

#[test]
fn tool_not_executable_at_its_configured_path() {
    let p = project(5, "binary = \"prompts/index.md\"\n");
    std::fs::write(p.path().join("tool.sh"), "#!/bin/sh\necho hi\n").unwrap();
    let p2 = project(5, &format!("binary = \"{}/tool.sh\"\n", p.path().display()));
    let out = p2
        .dockhand()
        .args(["generate", PROMPT, "--backend", "kubectl-ai"])
        .status(2)
        .run();
    assert_eq!(
        whole(&out, &[(&p.path().to_string_lossy(), "[OTHER]")]),
        tool_missing("`[OTHER]/tool.sh` is not executable")
    );
    untouched(&p2, 3);
}

#[test]
fn tool_missing_from_path() {
    let p = project(5, "");
    // A PATH with git on it, and no kubectl-ai.
    let only_git = tempfile::tempdir().unwrap();
    let git = which::which("git").unwrap();
    std::os::unix::fs::symlink(git, only_git.path().join("git")).unwrap();
    let out = p
        .dockhand()
        .env("PATH", only_git.path().to_string_lossy())
        .args(["generate", PROMPT, "--backend", "kubectl-ai"])
        .status(2)
        .run();
    assert_eq!(
        whole(&out, &[]),
        tool_missing("`kubectl-ai` not found on PATH")
    );
    untouched(&p, 3);
}

#[test]
fn tool_crashing() {
    let p = project(5, "");
    let tool =
        FakeTool::new("echo 'panic: runtime error: invalid memory address' >&2\nkill -SEGV $$");
    let out = ask_tool(&p, &tool).status(2).run();
    assert_eq!(
        whole(&out, &[]),
        tool_failed(
            "kubectl-ai exited with signal 11; it said:\n    panic: runtime error: invalid memory address"
        )
    );
    untouched(&p, 3);
}

#[test]
fn tool_hanging_is_killed_with_its_children() {
    let p = project(1, "");
    let tool = FakeTool::new(
        "echo $$ > \"$DIR/tool.pid\"\n\
         sh -c 'echo $$ > \"$0/child.pid\"; exec sleep 300' \"$DIR\" &\n\
         echo '  Running: kubectl get pods'\n\
         sleep 300",
    );
    let started = Instant::now();
    let out = ask_tool(&p, &tool).status(2).run();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert_eq!(
        whole(&out, &[]),
        tool_failed(&format!(
            "`{ARGV}` did not finish within 1 s; it was killed together with its process group; its output ended with:\n    Running: kubectl get pods"
        ))
    );
    for name in ["tool", "child"] {
        let pid = tool.pid(name).expect("the fake wrote its pid");
        assert!(gone(pid), "{name} {pid} survived");
    }
    untouched(&p, 3);
}

#[test]
fn tool_printing_garbage() {
    let p = project(5, "");
    let tool = FakeTool::new("printf '\\001\\002garbage \\377\\376 %%%% ~~ \\n@@@ not yaml: [\\n'");
    let out = ask_tool(&p, &tool).status(2).run();
    assert_eq!(
        whole(&out, &[]),
        tool_failed(
            "kubectl-ai gave no Kubernetes manifest; it said:\n    garbage �� %% ~~\n    @@@ not yaml: ["
        )
    );
    untouched(&p, 3);
}

#[test]
fn tool_printing_50_mb_is_stopped_at_the_limit() {
    let p = project(60, "");
    let tool = FakeTool::new(
        "echo $$ > \"$DIR/tool.pid\"\nhead -c 52428800 /dev/zero | tr '\\0' 'a'\necho done > \"$DIR/finished\"",
    );
    let started = Instant::now();
    let out = ask_tool(&p, &tool).status(2).run();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert_eq!(
        whole(&out, &[]),
        tool_failed(&format!(
            "`{ARGV}` wrote more than 1 MiB to stdout; it was stopped and its answer discarded (raise [limits] max_answer_bytes in dockhand.toml if the answer is meant to be this big)"
        ))
    );
    assert!(
        !tool.path().join("finished").exists(),
        "the tool ran to its end"
    );
    assert!(gone(tool.pid("tool").unwrap()));
    untouched(&p, 3);
}

#[test]
fn the_size_limit_is_configurable() {
    let p = project(5, "\n[limits]\nmax_answer_bytes = 100\n");
    let tool = FakeTool::new("cat \"$DIR/answer.md\"");
    let out = ask_tool(&p, &tool).status(2).run();
    assert_eq!(
        whole(&out, &[]),
        tool_failed(&format!(
            "`{ARGV}` wrote more than 100 bytes to stdout; it was stopped and its answer discarded (raise [limits] max_answer_bytes in dockhand.toml if the answer is meant to be this big)"
        ))
    );
    untouched(&p, 3);
}

#[test]
fn tool_exiting_1_with_a_good_answer() {
    let p = project(5, "");
    let tool = FakeTool::new("cat \"$DIR/answer.md\"\nexit 1");
    let out = ask_tool(&p, &tool).status(2).run();
    let first: Vec<String> = answer()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(5)
        .map(|l| format!("    {l}"))
        .collect();
    assert_eq!(
        whole(&out, &[]),
        tool_failed(&format!(
            "kubectl-ai exited with status 1; it said:\n{}",
            first.join("\n")
        ))
    );
    untouched(&p, 3);
}

#[test]
fn tool_exiting_0_with_only_an_error_on_stderr() {
    let p = project(5, "");
    let tool = FakeTool::new(
        "echo 'Error: creating llm client: GEMINI_API_KEY environment variable not set' >&2\nexit 0",
    );
    let out = ask_tool(&p, &tool).status(2).run();
    assert_eq!(
        whole(&out, &[]),
        tool_failed(
            "kubectl-ai printed no answer; it said:\n    Error: creating llm client: GEMINI_API_KEY environment variable not set"
        )
    );
    untouched(&p, 3);
}

#[test]
fn tool_leaving_a_detached_child_holding_stdout() {
    let p = project(30, "");
    let tool = FakeTool::new(
        "setsid sh -c 'echo $$ > \"$0/child.pid\"; exec sleep 300' \"$DIR\" &\n\
         while [ ! -s \"$DIR/child.pid\" ]; do sleep 0.05; done\n\
         cat \"$DIR/answer.md\"",
    );
    let started = Instant::now();
    let out = ask_tool(&p, &tool).run();
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        hashes_hidden(&whole(&out, &[])),
        format!(
            "exit 0\n--- stdout\n\
             wrote {TARGET}\n\
             wrote .dockhand/cache/[HASH].json\n\
             wrote dockhand.lock\n\
             committed [SHA]\n\
             --- stderr\n\
             {PROMPT}@1.1.0: changed\n\
             {PROMPT}@1.1.0 attempt 1: kubectl-ai: 0 error(s), 0 warning(s)\n"
        )
    );
    assert!(p.exists(TARGET), "{}", out.stderr);
    let pid = tool.pid("child").unwrap();
    assert!(gone(pid), "the detached child {pid} survived");
}
