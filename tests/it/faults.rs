//! The fault suite: each row of RELIABILITY.md is a test here. Tools are small scripts
//! written into a temp dir; the OpenAI endpoint is the scripted test server. Each test
//! compares the whole output (exit status, stdout, stderr) with temp paths and the
//! server's address filtered out, and checks what must not have happened (nothing
//! written, cached, locked or committed; no process left behind).

use std::path::Path;
use std::time::{Duration, Instant};

use crate::harness::{Output, Project, Test, fixture};
use crate::openai_server::{Reply, TestServer, chat_json, chat_sse, empty_stream};

const PROMPT: &str = "backend-deployment";
const TARGET: &str = "charts/todo-app/templates/backend-deployment.yaml";

fn answer() -> String {
    std::fs::read_to_string(fixture("answers/backend-deployment.md")).unwrap()
}

/// A folder holding one fake `kubectl-ai`: `/bin/sh` running `body`. `$DIR` in the body
/// is the folder (for pid files and the answer, which is at `$DIR/answer.md`).
struct FakeTool {
    dir: tempfile::TempDir,
}

impl FakeTool {
    fn new(body: &str) -> FakeTool {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_string_lossy().into_owned();
        std::fs::write(dir.path().join("answer.md"), answer()).unwrap();
        let path = dir.path().join("kubectl-ai");
        std::fs::write(&path, format!("#!/bin/sh\nDIR='{d}'\n{body}\n")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        FakeTool { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The pids the script wrote to `$DIR/NAME.pid`.
    fn pid(&self, name: &str) -> Option<i32> {
        std::fs::read_to_string(self.path().join(format!("{name}.pid")))
            .ok()?
            .trim()
            .parse()
            .ok()
    }
}

/// A seeded project whose kubectl-ai is the google flavour (no `--help` probe), with
/// `timeout_secs` and any extra configuration, committed.
fn project(timeout_secs: u64, extra: &str) -> Project {
    let p = Project::seeded();
    let toml = format!(
        "{}\n[tools.kubectl-ai]\nflavour = \"google\"\ntimeout_secs = {timeout_secs}\n{extra}",
        p.read("dockhand.toml")
    );
    p.write("dockhand.toml", &toml);
    p.git(&["commit", "-qam", "faults config"]);
    p
}

fn ask_tool(p: &Project, tool: &FakeTool) -> Test {
    p.dockhand()
        .path_prefix(tool.path())
        .args(["generate", PROMPT, "--backend", "kubectl-ai"])
}

/// Exit status, stdout and stderr as one text, with the given paths replaced and the
/// prompt in a shown argv (`kubectl-ai --quiet --kubeconfig /tmp/…/kubeconfig '…'`) as
/// `[PROMPT]` and the per-run kubeconfig folder as `[TMP]`.
fn whole(out: &Output, subs: &[(&str, &str)]) -> String {
    let mut s = format!(
        "exit {}\n--- stdout\n{}--- stderr\n{}",
        out.status, out.stdout, out.stderr
    );
    for (from, to) in subs {
        s = s.replace(from, to);
    }
    prompt_hidden(&s)
}

fn prompt_hidden(s: &str) -> String {
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
fn hashes_hidden(s: &str) -> String {
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
fn untouched(p: &Project, commits: usize) {
    assert_eq!(p.git(&["status", "--porcelain", "--ignored"]), "");
    assert_eq!(p.commit_count(), commits);
    assert!(!p.exists(TARGET));
    assert!(!p.exists(".dockhand/cache"));
}

/// True once the process is gone (or a zombie nobody reaped yet).
fn gone(pid: i32) -> bool {
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
const NO_BACKEND_HINT: &str = "(configure an assistant in dockhand.toml or the environment (`dockhand doctor` shows what is usable), or give an answer by hand with `dockhand generate ID --response-file FILE`; it is recorded as hand-written)";

/// The output of a run in which kubectl-ai, the only backend, could not be started.
fn tool_missing(reason: &str) -> String {
    format!("{}{NO_BACKEND_HINT}\n", tool_failed(reason))
}

/// The output of a run in which kubectl-ai was the only backend and failed for `reason`.
fn tool_failed(reason: &str) -> String {
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
const ARGV: &str = "kubectl-ai --quiet --kubeconfig [TMP]/kubeconfig [PROMPT]";

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
        hashes_hidden(&out.stdout),
        format!(
            "wrote {TARGET}\nwrote .dockhand/cache/[HASH].json\nwrote dockhand.lock\ncommitted [SHA]\n"
        )
    );
    assert!(p.exists(TARGET), "{}", out.stderr);
    let pid = tool.pid("child").unwrap();
    assert!(gone(pid), "the detached child {pid} survived");
}

// ---------------------------------------------------------------------------------------------
// The OpenAI-compatible endpoint
// ---------------------------------------------------------------------------------------------

/// A project whose OpenAI settings make faults quick to see.
fn http_project(extra: &str) -> Project {
    let p = Project::seeded();
    let toml = p
        .read("dockhand.toml")
        .replace("timeout_secs = 120", "timeout_secs = 3")
        .replace("max_retries = 4", "max_retries = 2")
        .replace(
            "model = \"gpt-4o-mini\"",
            &format!("model = \"gpt-4o-mini\"\n{extra}"),
        );
    p.write("dockhand.toml", &toml);
    p.git(&["commit", "-qam", "faults config"]);
    p
}

fn ask_http(p: &Project, server: &TestServer) -> Test {
    p.dockhand()
        .openai(server)
        .args(["generate", PROMPT, "--backend", "openai"])
}

fn http_failed(reason: &str) -> String {
    format!(
        "exit 2\n--- stdout\n--- stderr\n\
         {PROMPT}@1.1.0: skipped openai: {reason}\n\
         {PROMPT}@1.1.0: error\n\
         error: {PROMPT}@1.1.0: no backend could answer:\n  \
         cache: no recorded answer for this exact prompt\n  \
         openai: {reason}\n"
    )
}

fn sse_chunk(content: &str) -> String {
    format!(
        "data: {}\n\n",
        serde_json::json!({"choices": [{"index": 0, "delta": {"content": content}}]})
    )
}

#[test]
fn http_429_with_retry_after_is_honoured_as_sent() {
    let p = http_project("");
    let server = TestServer::start(vec![
        Reply::error(429, "Rate limit reached").with_header("Retry-After", "2"),
        chat_sse(&answer()),
    ]);
    let started = Instant::now();
    let out = ask_http(&p, &server).run();
    let took = started.elapsed();
    assert!(took >= Duration::from_secs(2), "waited only {took:?}");
    assert_eq!(server.request_count(), 2);
    assert!(p.exists(TARGET));
    let retry_line = out
        .stderr
        .lines()
        .find(|l| l.contains("retry 1"))
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        retry_line,
        format!("{PROMPT}@1.1.0: openai: HTTP 429: Rate limit reached; retry 1 in 2.0s")
    );
}

#[test]
fn http_429_asking_longer_than_the_ceiling_fails_and_says_so() {
    let p = http_project("max_retry_after_secs = 30");
    let server = TestServer::start(vec![
        Reply::error(429, "Rate limit reached")
            .with_header("Retry-After", "Wed, 21 Oct 2099 07:28:00 GMT"),
        chat_sse(&answer()),
    ]);
    let out = ask_http(&p, &server).status(2).run();
    assert_eq!(server.request_count(), 1);
    let url = format!("{}/chat/completions", server.base_url());
    let text = whole(&out, &[(&url, "[URL]")]);
    // The wait asked for depends on today's date: show it as [WAIT].
    let text = regex_lite_replace_wait(&text);
    assert_eq!(
        text,
        http_failed(
            "[URL] is rate-limiting (HTTP 429) and asked to retry after [WAIT], longer than the 30 s ceiling ([openai] max_retry_after_secs); not waiting: Rate limit reached"
        )
    );
    untouched(&p, 3);
}

/// `retry after 2345 s,` → `retry after [WAIT],` (every occurrence).
fn regex_lite_replace_wait(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("retry after ") {
        let start = i + "retry after ".len();
        let end = start + rest[start..].find(',').unwrap();
        out.push_str(&rest[..start]);
        out.push_str("[WAIT]");
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[test]
fn http_500_then_success() {
    let p = http_project("");
    let server = TestServer::start(vec![
        Reply::error(
            500,
            "The server had an error while processing your request.",
        ),
        chat_sse(&answer()),
    ]);
    let out = ask_http(&p, &server).run();
    assert_eq!(server.request_count(), 2);
    assert!(p.exists(TARGET));
    let lines: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("retry") || l.contains("changed"))
        .collect();
    assert_eq!(
        lines,
        vec![
            format!(
                "{PROMPT}@1.1.0: openai: HTTP 500: The server had an error while processing your request.; retry 1 in 0.5s"
            ),
            format!("{PROMPT}@1.1.0: changed"),
        ]
    );
}

#[test]
fn http_connection_reset_mid_stream() {
    let p = http_project("");
    let server = TestServer::start(vec![Reply::SseThenReset {
        chunks: vec![sse_chunk(
            "```yaml\napiVersion: apps/v1\nkind: Deployment\n",
        )],
    }]);
    let out = ask_http(&p, &server).status(2).run();
    let url = format!("{}/chat/completions", server.base_url());
    assert_eq!(
        whole(&out, &[(&url, "[URL]")]),
        http_failed(
            "the answer from [URL] is incomplete: the connection was lost in the middle of the stream; it was discarded (45 bytes received)"
        )
    );
    untouched(&p, 3);
}

#[test]
fn http_stream_cut_cleanly_before_its_end() {
    let p = http_project("");
    let server = TestServer::start(vec![Reply::Sse {
        chunks: vec![sse_chunk(
            "```yaml\napiVersion: apps/v1\nkind: Deployment\n",
        )],
        delay_between: Duration::ZERO,
    }]);
    let out = ask_http(&p, &server).status(2).run();
    let url = format!("{}/chat/completions", server.base_url());
    assert_eq!(
        whole(&out, &[(&url, "[URL]")]),
        http_failed(
            "the answer from [URL] is incomplete: the stream ended without `data: [DONE]` or a finish_reason; it was discarded (45 bytes received)"
        )
    );
    untouched(&p, 3);
}

#[test]
fn http_stream_stopped_at_the_token_limit() {
    let p = http_project("");
    let server = TestServer::start(vec![Reply::Sse {
        chunks: vec![
            sse_chunk(&answer()),
            "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}\n\n"
                .into(),
            "data: [DONE]\n\n".into(),
        ],
        delay_between: Duration::ZERO,
    }]);
    let out = ask_http(&p, &server).status(2).run();
    let url = format!("{}/chat/completions", server.base_url());
    assert_eq!(
        whole(&out, &[(&url, "[URL]")]),
        http_failed(&format!(
            "the answer from [URL] is incomplete: the model stopped at its token limit (finish_reason: length); it was discarded ({} bytes received)",
            answer().len()
        ))
    );
    untouched(&p, 3);
}

#[test]
fn http_answer_whose_last_fence_is_never_closed() {
    let p = http_project("");
    let text = answer();
    let cut = &text[..text.rfind("```").unwrap()];
    let server = TestServer::start(vec![chat_sse(cut)]);
    let out = ask_http(&p, &server).status(2).run();
    let line = cut.lines().position(|l| l.starts_with("```")).unwrap() + 1;
    assert_eq!(
        whole(&out, &[]),
        http_failed(&format!(
            "the answer from openai is incomplete: the code fence opened on line {line} is never closed; it was discarded"
        ))
    );
    untouched(&p, 3);
}

#[test]
fn http_malformed_sse() {
    let p = http_project("");
    let server = TestServer::start(vec![Reply::Sse {
        chunks: vec!["data: {\"choices\": [{\"delta\": {\"content\": \"apiVersion\"\n\n".into()],
        delay_between: Duration::ZERO,
    }]);
    let out = ask_http(&p, &server).status(2).run();
    let url = format!("{}/chat/completions", server.base_url());
    assert_eq!(
        whole(&out, &[(&url, "[URL]")]),
        http_failed(
            "could not understand the response from [URL]: bad stream chunk (EOF while parsing an object at line 1 column 47): {\"choices\": [{\"delta\": {\"content\": \"apiVersion\""
        )
    );
    untouched(&p, 3);
}

#[test]
fn http_empty_200_stream() {
    let p = http_project("");
    let server = TestServer::start(vec![empty_stream()]);
    let out = ask_http(&p, &server).status(2).run();
    let url = format!("{}/chat/completions", server.base_url());
    assert_eq!(
        whole(&out, &[(&url, "[URL]")]),
        http_failed("[URL] answered HTTP 200 but the stream closed without sending any data")
    );
    untouched(&p, 3);
}

#[test]
fn http_server_that_never_answers() {
    let p = http_project("");
    p.write(
        "dockhand.toml",
        &p.read("dockhand.toml")
            .replace("max_retries = 2", "max_retries = 0"),
    );
    p.git(&["commit", "-qam", "no retries"]);
    let server = TestServer::start(vec![chat_json("late").delayed(Duration::from_secs(30))]);
    let started = Instant::now();
    let out = ask_http(&p, &server).status(2).run();
    assert!(started.elapsed() < Duration::from_secs(10));
    let url = format!("{}/chat/completions", server.base_url());
    assert_eq!(
        whole(&out, &[(&url, "[URL]")]),
        http_failed("no complete response from [URL] within 3s (1 attempt)")
    );
    untouched(&p, 4);
}

#[test]
fn http_401_is_not_retried() {
    let p = http_project("");
    let server = TestServer::start(vec![Reply::error(
        401,
        "Incorrect API key provided: sk-fault*****-key.",
    )]);
    let out = ask_http(&p, &server).status(2).run();
    assert_eq!(server.request_count(), 1);
    let url = format!("{}/chat/completions", server.base_url());
    assert_eq!(
        whole(&out, &[(&url, "[URL]")]),
        http_failed(
            "[URL] rejected the request with HTTP 401: Incorrect API key provided: sk-fault*****-key."
        )
    );
    untouched(&p, 3);
}

#[test]
fn http_answer_over_the_size_limit() {
    let p = http_project("");
    p.write(
        "dockhand.toml",
        &format!(
            "{}\n[limits]\nmax_answer_bytes = 1000\n",
            p.read("dockhand.toml")
        ),
    );
    p.git(&["commit", "-qam", "limit"]);
    let server = TestServer::start(vec![chat_sse(&"x".repeat(5000))]);
    let out = ask_http(&p, &server).status(2).run();
    let url = format!("{}/chat/completions", server.base_url());
    assert_eq!(
        whole(&out, &[(&url, "[URL]")]),
        http_failed(
            "the answer from [URL] is larger than 1000 bytes; reading stopped and nothing was kept (raise [limits] max_answer_bytes in dockhand.toml if the answer is meant to be this big)"
        )
    );
    untouched(&p, 4);
}

#[test]
fn a_refusal_shows_the_assistants_own_words() {
    let p = http_project("");
    let server = TestServer::start(vec![chat_json(
        "I'm sorry, I can only help with Kubernetes questions.",
    )]);
    let out = ask_http(&p, &server).status(2).run();
    assert_eq!(
        whole(&out, &[]),
        http_failed(
            "openai gave no Kubernetes manifest; it said:\n    I'm sorry, I can only help with Kubernetes questions."
        )
    );
    untouched(&p, 3);
}

// ---------------------------------------------------------------------------------------------
// Signals
// ---------------------------------------------------------------------------------------------

/// Generate by hand (so the lock has an entry), then `regen --backend kubectl-ai` with a
/// tool that hangs with a child; send `signal` once both are running.
fn signal_mid_regen(signal: i32) -> (Output, Project, FakeTool, String) {
    let p = project(120, "");
    p.dockhand()
        .args(["generate", PROMPT, "--response-file"])
        .arg(fixture("answers/backend-deployment.md").to_string_lossy())
        .run();
    let before = p.read(TARGET);
    let tool = FakeTool::new(
        "echo $$ > \"$DIR/tool.pid\"\n\
         sh -c 'echo $$ > \"$0/child.pid\"; exec sleep 300' \"$DIR\" &\n\
         sleep 300",
    );
    let mut cmd = p
        .dockhand()
        .path_prefix(tool.path())
        .args(["regen", PROMPT, "--backend", "kubectl-ai"])
        .command();
    cmd.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while tool.pid("child").is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(tool.pid("child").is_some(), "the fake never started");
    // SAFETY: sending a signal to the child we spawned.
    unsafe {
        libc::kill(child.id() as i32, signal);
    }
    let out = child.wait_with_output().unwrap();
    let out = Output {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    (out, p, tool, before)
}

fn after_signal(p: &Project, tool: &FakeTool, before: &str) {
    assert_eq!(p.read(TARGET), before);
    assert_eq!(p.git(&["status", "--porcelain"]), "");
    for name in ["tool", "child"] {
        let pid = tool.pid(name).unwrap();
        assert!(gone(pid), "{name} {pid} survived the signal");
    }
}

#[test]
fn sigterm_mid_regen() {
    let (out, p, tool, before) = signal_mid_regen(libc::SIGTERM);
    assert_eq!(
        whole(&out, &[]),
        format!(
            "exit 143\n--- stdout\n--- stderr\nerror: terminated (SIGTERM): the assistants were stopped and nothing was written\n"
        )
    );
    after_signal(&p, &tool, &before);
}

#[test]
fn sighup_mid_regen() {
    let (out, p, tool, before) = signal_mid_regen(libc::SIGHUP);
    assert_eq!(
        whole(&out, &[]),
        format!(
            "exit 129\n--- stdout\n--- stderr\nerror: hung up (SIGHUP): the assistants were stopped and nothing was written\n"
        )
    );
    after_signal(&p, &tool, &before);
}

#[test]
fn sigint_mid_regen() {
    let (out, p, tool, before) = signal_mid_regen(libc::SIGINT);
    assert_eq!(
        whole(&out, &[]),
        format!("exit 130\n--- stdout\n--- stderr\ninterrupted: nothing was written\n")
    );
    after_signal(&p, &tool, &before);
}

// ---------------------------------------------------------------------------------------------
// The API key and the base URL's credentials
// ---------------------------------------------------------------------------------------------

#[test]
fn the_api_key_and_url_credentials_reach_no_output_log_lock_cache_or_commit() {
    const KEY: &str = "sk-fault-key-0123456789abcdef";
    const PASSWORD: &str = "pa55w0rd-url-secret";
    const QUERY_KEY: &str = "qk-url-secret-42";
    let p = http_project("");
    // Every failure echoes the secrets back; the last attempt succeeds.
    let echo = format!("bad key {KEY} and api-key={QUERY_KEY}");
    let server = TestServer::start(vec![
        Reply::error(500, &echo),
        Reply::error(429, &echo).with_header("Retry-After", "0"),
        chat_sse(&answer()),
    ]);
    // The key goes as a bearer token, a secret in the query as it is.
    let base = format!(
        "{}?api-version=2024-06-01&api-key={QUERY_KEY}",
        server.base_url()
    );
    let out = p
        .dockhand()
        .env("OPENAI_BASE_URL", &base)
        .env("OPENAI_API_KEY", KEY)
        .args(["-vv", "generate", PROMPT, "--backend", "openai"])
        .run();
    assert!(p.exists(TARGET), "{}", out.stderr);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(
        reqs[0].header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert!(reqs[0].path.contains(QUERY_KEY), "{}", reqs[0].path);
    // A URL with a password, to a port nobody listens on: the error names the URL.
    let with_password = format!(
        "http://dockhand:{PASSWORD}@127.0.0.1:9/v1?api-version=2024-06-01&api-key={QUERY_KEY}"
    );
    let failed = p
        .dockhand()
        .env("OPENAI_BASE_URL", &with_password)
        .env("OPENAI_API_KEY", KEY)
        .args(["-vv", "generate", "backend-service", "--backend", "openai"])
        .status(2)
        .run();
    assert!(
        failed
            .stderr
            .contains("http://REDACTED@127.0.0.1:9/v1/chat/completions?api-version=2024-06-01&api-key=REDACTED"),
        "{}",
        failed.stderr
    );
    let doctor = p
        .dockhand()
        .env("OPENAI_BASE_URL", &with_password)
        .env("OPENAI_API_KEY", KEY)
        .args(["doctor"])
        .run();

    let mut places = vec![
        ("generate stdout".to_owned(), out.stdout),
        ("generate stderr".to_owned(), out.stderr),
        ("failed stdout".to_owned(), failed.stdout),
        ("failed stderr".to_owned(), failed.stderr),
        ("doctor stdout".to_owned(), doctor.stdout),
        ("doctor stderr".to_owned(), doctor.stderr),
        (
            "git history".to_owned(),
            p.git(&["log", "-p", "--all", "--format=%H%n%B"]),
        ),
    ];
    for f in p.files() {
        places.push((
            f.clone(),
            String::from_utf8_lossy(&std::fs::read(p.path().join(&f)).unwrap()).into_owned(),
        ));
    }
    assert!(
        p.files().iter().any(|f| f.starts_with(".dockhand/cache/")),
        "the answer was cached"
    );
    for (place, text) in &places {
        for secret in [KEY, PASSWORD, QUERY_KEY] {
            assert!(!text.contains(secret), "{secret} in {place}:\n{text}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// helm
// ---------------------------------------------------------------------------------------------

/// The peers' `bin` folder holding helm, or None (the test then says it was skipped).
#[allow(clippy::print_stderr)]
fn helm_dir() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("DOCKHAND_PEERS_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| crate::harness::repo_root().join(".peers/bin"));
    if dir.join("helm").exists() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: helm is not in {} (run scripts/install-peers.sh)",
            dir.display()
        );
        None
    }
}

/// A chart whose one template is `template` (with a 2 s helm timeout).
fn looping_chart(template: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("templates")).unwrap();
    std::fs::write(
        d.path().join("Chart.yaml"),
        "apiVersion: v2\nname: loop\ndescription: loops\ntype: application\nversion: 0.1.0\nappVersion: \"1.0.0\"\n",
    )
    .unwrap();
    std::fs::write(d.path().join("values.yaml"), "a: 1\n").unwrap();
    std::fs::write(d.path().join("templates/cm.yaml"), template).unwrap();
    std::fs::write(
        d.path().join("dockhand.toml"),
        "[limits]\nhelm_timeout_secs = 2\n",
    )
    .unwrap();
    d
}

#[test]
fn helm_on_a_looping_chart_is_stopped_at_the_timeout() {
    let Some(bin) = helm_dir() else { return };
    let chart = looping_chart(
        "{{- range until 100000 }}{{- range until 100000 }}{{- end }}{{- end }}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
    );
    let started = Instant::now();
    let out = Test::new()
        .current_dir(chart.path())
        .path_prefix(&bin)
        .args(["validate", "."])
        .status(1)
        .run();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let helm = bin.join("helm").to_string_lossy().into_owned();
    assert_eq!(
        whole(&out, &[(&helm, "[HELM]")]),
        "exit 1\n--- stdout\n\
         ./Chart.yaml:1:1: error[chart/render]: helm template failed: `[HELM] template loop . --kube-version 1.33 --debug` did not finish within 2 s; it was killed together with its process group (raise [limits] helm_timeout_secs in dockhand.toml to allow longer)\n  \
         |\n\
         1 | apiVersion: v2\n  \
         | ^\n  \
         hint: fix the template or values helm points at\n\
         3 files checked: 1 error, 0 warnings\n\
         --- stderr\n"
    );
}

/// helm renders the whole chart before it prints anything: a chart that would print
/// without end is stopped by the timeout (above); one that prints 3 MB, by the limit.
#[test]
fn helm_printing_more_than_the_limit_is_stopped() {
    let Some(bin) = helm_dir() else { return };
    let chart = looping_chart(
        "{{- range until 50000 }}\n# {{ . }} padding padding padding padding padding padding\n{{- end }}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
    );
    let out = Test::new()
        .current_dir(chart.path())
        .path_prefix(&bin)
        .args(["validate", "."])
        .status(1)
        .run();
    let helm = bin.join("helm").to_string_lossy().into_owned();
    assert_eq!(
        whole(&out, &[(&helm, "[HELM]")]),
        "exit 1\n--- stdout\n\
         ./Chart.yaml:1:1: error[chart/render]: helm template failed: `[HELM] template loop . --kube-version 1.33 --debug` wrote more than 1 MiB to stdout; it was stopped and its answer discarded (raise [limits] max_answer_bytes in dockhand.toml if the answer is meant to be this big)\n  \
         |\n\
         1 | apiVersion: v2\n  \
         | ^\n  \
         hint: fix the template or values helm points at\n\
         3 files checked: 1 error, 0 warnings\n\
         --- stderr\n"
    );
}
