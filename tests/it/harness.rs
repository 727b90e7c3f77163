//! A small builder harness for running the real `dockhand` binary, in the
//! style of casey/just: `Test::new().arg(..).status(1).stdout(..).stderr(..).run()`.
//!
//! `stdout(..)` / `stderr(..)` compare the whole stream: once either is given,
//! both are compared (the other must be empty unless given too), after
//! `normalize`: the project folder reads `[PROJECT]`, this repository `[REPO]`,
//! hex runs of 12 or more characters (commit SHAs, hashes) `[SHA]`, and each
//! `filter(from, to)` is applied. The `*_has` forms are for checks that are
//! not about output (e.g. a file written), not for new output tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The repository this test binary was built from.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    repo_root().join("tests/fixtures").join(rel)
}

/// A throwaway project: a real git repository in a temp dir.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    /// An empty git repository with an identity and one initial commit.
    pub fn empty() -> Project {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = Project { dir };
        p.git(&["init", "-q", "-b", "main"]);
        std::fs::write(p.path().join("README.md"), "test project\n").unwrap();
        p.git(&["add", "README.md"]);
        p.git(&["commit", "-q", "-m", "init"]);
        p
    }

    /// A git repository holding a copy of this repo's prompts/ and dockhand.toml.
    pub fn seeded() -> Project {
        let p = Project::empty();
        copy_dir(&repo_root().join("prompts"), &p.path().join("prompts"));
        std::fs::copy(
            repo_root().join("dockhand.toml"),
            p.path().join("dockhand.toml"),
        )
        .unwrap();
        p.git(&["add", "-A"]);
        p.git(&["commit", "-q", "-m", "prompts"]);
        p
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, content: &str) -> &Project {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
        self
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.path().join(rel).exists()
    }

    pub fn git(&self, args: &[&str]) -> String {
        let out = Command::new("git")
            .current_dir(self.path())
            .args(args)
            .envs(git_env(self.path()))
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn commit_count(&self) -> usize {
        self.git(&["rev-list", "--count", "HEAD"])
            .trim()
            .parse()
            .unwrap()
    }

    /// Every file under the project (relative paths), excluding .git.
    pub fn files(&self) -> Vec<String> {
        let mut out = Vec::new();
        walk(self.path(), self.path(), &mut out);
        out.sort();
        out
    }

    pub fn dockhand(&self) -> Test {
        Test::new().current_dir(self.path())
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.file_name().unwrap() == ".git" {
            continue;
        }
        if p.is_dir() {
            walk(root, &p, out);
        } else {
            out.push(p.strip_prefix(root).unwrap().to_string_lossy().into_owned());
        }
    }
}

pub fn git_env(home: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("GIT_AUTHOR_NAME", "Test".into()),
        ("GIT_AUTHOR_EMAIL", "test@example.com".into()),
        ("GIT_COMMITTER_NAME", "Test".into()),
        ("GIT_COMMITTER_EMAIL", "test@example.com".into()),
        ("GIT_CONFIG_NOSYSTEM", "1".into()),
        ("HOME", home.to_string_lossy().into_owned()),
    ]
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// One run of the binary and what it must do.
pub struct Test {
    args: Vec<String>,
    env: Vec<(String, String)>,
    env_removed: Vec<String>,
    dir: Option<PathBuf>,
    stdin: Option<String>,
    status: i32,
    stdout_has: Vec<String>,
    stderr_has: Vec<String>,
    stdout_lacks: Vec<String>,
    path_prefix: Option<PathBuf>,
    stdout: Option<String>,
    stderr: Option<String>,
    stdout_elsewhere: bool,
    filters: Vec<(String, String)>,
}

pub struct Output {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Test {
    pub fn new() -> Test {
        Test {
            args: Vec::new(),
            env: Vec::new(),
            env_removed: Vec::new(),
            dir: None,
            stdin: None,
            status: 0,
            stdout_has: Vec::new(),
            stderr_has: Vec::new(),
            stdout_lacks: Vec::new(),
            path_prefix: None,
            stdout: None,
            stderr: None,
            stdout_elsewhere: false,
            filters: Vec::new(),
        }
    }
    /// The whole of stdout, after `normalize` (stderr is then compared too).
    pub fn stdout(mut self, s: impl Into<String>) -> Test {
        self.stdout = Some(s.into());
        self
    }
    /// The whole of stderr, after `normalize` (stdout is then compared too).
    pub fn stderr(mut self, s: impl Into<String>) -> Test {
        self.stderr = Some(s.into());
        self
    }
    /// Stdout is compared by the caller (a snapshot of the returned output).
    pub fn stdout_elsewhere(mut self) -> Test {
        self.stdout_elsewhere = true;
        self
    }
    /// Replace `from` by `to` in both streams before comparing.
    pub fn filter(mut self, from: impl Into<String>, to: impl Into<String>) -> Test {
        self.filters.push((from.into(), to.into()));
        self
    }
    /// `s` as the comparisons see it.
    pub fn normalize(&self, s: &str) -> String {
        let mut s = s.to_owned();
        for (from, to) in &self.filters {
            s = s.replace(from.as_str(), to);
        }
        if let Some(d) = &self.dir {
            for form in [d.canonicalize().ok(), Some(d.clone())]
                .into_iter()
                .flatten()
            {
                s = s.replace(&*form.to_string_lossy(), "[PROJECT]");
            }
        }
        s = s.replace(&*repo_root().to_string_lossy(), "[REPO]");
        mask_hex(&s)
    }
    pub fn arg(mut self, a: impl Into<String>) -> Test {
        self.args.push(a.into());
        self
    }
    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, a: I) -> Test {
        self.args.extend(a.into_iter().map(Into::into));
        self
    }
    pub fn env(mut self, k: &str, v: impl Into<String>) -> Test {
        self.env.push((k.into(), v.into()));
        self
    }
    /// Run without this variable, whatever the test's own environment holds.
    pub fn env_remove(mut self, k: &str) -> Test {
        self.env_removed.push(k.into());
        self
    }
    pub fn current_dir(mut self, d: &Path) -> Test {
        self.dir = Some(d.to_owned());
        self
    }
    pub fn stdin(mut self, s: impl Into<String>) -> Test {
        self.stdin = Some(s.into());
        self
    }
    /// Point the OpenAI backend at a test server (with a dummy key).
    pub fn openai(self, server: &crate::openai_server::TestServer) -> Test {
        self.env("OPENAI_BASE_URL", server.base_url())
            .env("OPENAI_API_KEY", "sk-test")
    }
    /// Put this folder first on PATH (fake tools).
    pub fn path_prefix(mut self, d: &Path) -> Test {
        self.path_prefix = Some(d.to_owned());
        self
    }
    pub fn status(mut self, s: i32) -> Test {
        self.status = s;
        self
    }
    pub fn stdout_has(mut self, s: impl Into<String>) -> Test {
        self.stdout_has.push(s.into());
        self
    }
    pub fn stdout_lacks(mut self, s: impl Into<String>) -> Test {
        self.stdout_lacks.push(s.into());
        self
    }
    pub fn stderr_has(mut self, s: impl Into<String>) -> Test {
        self.stderr_has.push(s.into());
        self
    }

    /// Start the command in the background with stdout and stderr captured.
    pub fn spawn_piped(&self) -> std::process::Child {
        self.command()
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("dockhand starts")
    }

    pub fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dockhand"));
        cmd.args(&self.args);
        let home = self.dir.clone().unwrap_or_else(std::env::temp_dir);
        for k in [
            "OPENAI_BASE_URL",
            "OPENAI_API_KEY",
            "DOCKHAND_MODEL",
            "NO_COLOR",
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "http_proxy",
            "https_proxy",
            "ALL_PROXY",
        ] {
            cmd.env_remove(k);
        }
        cmd.env("NO_COLOR", "1");
        cmd.envs(git_env(&home));
        if let Some(prefix) = &self.path_prefix {
            let path = std::env::var("PATH").unwrap_or_default();
            cmd.env("PATH", format!("{}:{path}", prefix.display()));
        }
        for k in &self.env_removed {
            cmd.env_remove(k);
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        if let Some(d) = &self.dir {
            cmd.current_dir(d);
        }
        cmd
    }

    /// Run without checking the exit status or output (the caller judges them).
    pub fn run_any(mut self) -> Output {
        self.stdout_has.clear();
        self.stderr_has.clear();
        self.stdout_lacks.clear();
        let (status, mut out) = self.spawn_and_wait();
        out.status = status;
        out
    }

    pub fn run(self) -> Output {
        let (_, output) = self.spawn_and_wait();
        let ctx = || {
            format!(
                "dockhand {:?}\n--- stdout\n{}\n--- stderr\n{}",
                self.args, output.stdout, output.stderr
            )
        };
        if self.stdout.is_some() || self.stderr.is_some() {
            let want = (
                self.stdout.clone().unwrap_or_default(),
                self.stderr.clone().unwrap_or_default(),
                self.status,
            );
            let got = (
                if self.stdout_elsewhere {
                    want.0.clone()
                } else {
                    self.normalize(&output.stdout)
                },
                self.normalize(&output.stderr),
                output.status,
            );
            if want != got {
                panic!(
                    "dockhand {:?}: output differs\n--- expected stdout\n{}\n--- actual stdout\n{}\n--- expected stderr\n{}\n--- actual stderr\n{}\n--- expected status {}, actual {}",
                    self.args, want.0, got.0, want.1, got.1, want.2, got.2
                );
            }
        }
        assert_eq!(output.status, self.status, "exit status\n{}", ctx());
        for s in &self.stdout_has {
            assert!(
                output.stdout.contains(s.as_str()),
                "stdout lacks {s:?}\n{}",
                ctx()
            );
        }
        for s in &self.stdout_lacks {
            assert!(
                !output.stdout.contains(s.as_str()),
                "stdout has {s:?}\n{}",
                ctx()
            );
        }
        for s in &self.stderr_has {
            assert!(
                output.stderr.contains(s.as_str()),
                "stderr lacks {s:?}\n{}",
                ctx()
            );
        }
        output
    }

    fn spawn_and_wait(&self) -> (i32, Output) {
        let mut cmd = self.command();
        cmd.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("dockhand runs");
        if let Some(input) = &self.stdin {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        }
        let out = child.wait_with_output().unwrap();
        let status = out.status.code().unwrap_or(-1);
        let output = Output {
            status,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        (status, output)
    }
}

/// Runs of 12 or more hex digits (commit SHAs, hashes) become `[SHA]`.
pub fn mask_hex(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= 12 && run.chars().any(|c| c.is_ascii_digit()) {
            out.push_str("[SHA]");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in s.chars() {
        if c.is_ascii_hexdigit() && (c.is_ascii_digit() || c.is_ascii_lowercase()) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// A step of a scripted terminal session (tests/pty-driver.py).
#[derive(Clone, Copy)]
pub enum Step<'a> {
    Expect(&'a str),
    Send(&'a str),
    Sleep(f64),
    /// Wait until this file exists.
    File(&'a str),
    /// Send the program this signal (`"TERM"`, `"HUP"`).
    Signal(&'a str),
}

/// What a run in a pseudo-terminal did.
pub struct PtyRun {
    pub ok: bool,
    pub status: Option<i64>,
    pub error: Option<String>,
    pub transcript: String,
    /// The output as the terminal received it (escape sequences kept).
    pub raw: String,
}

impl PtyRun {
    pub fn context(&self) -> String {
        format!(
            "driver error: {:?}\n--- transcript\n{}",
            self.error, self.transcript
        )
    }
    pub fn assert_clean_exit(&self) {
        assert!(self.ok, "{}", self.context());
        assert_eq!(self.status, Some(0), "exit status\n{}", self.context());
    }
}

/// Run `test`'s command in a real pseudo-terminal, sending scripted keys.
pub fn pty(t: Test, steps: &[Step]) -> PtyRun {
    pty_command(t.command(), steps)
}

/// Run `inner` in a real pseudo-terminal, sending scripted keys.
pub fn pty_command(inner: Command, steps: &[Step]) -> PtyRun {
    use Step::{Expect, File, Send, Signal, Sleep};
    use serde_json::{Value, json};
    use std::io::Write;
    let mut cmd = Command::new("python3");
    cmd.arg(repo_root().join("tests/pty-driver.py"))
        .arg("--")
        .arg(inner.get_program())
        .args(inner.get_args());
    for (k, v) in inner.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd.env_remove("VISUAL").env("TERM", "xterm");
    if !inner.get_envs().any(|(k, _)| k == "EDITOR") {
        cmd.env_remove("EDITOR");
    }
    if let Some(d) = inner.get_current_dir() {
        cmd.current_dir(d);
    }
    let steps: Vec<Value> = steps
        .iter()
        .map(|s| match s {
            Expect(t) => json!(["expect", t]),
            Send(k) => json!(["send", k]),
            Sleep(s) => json!(["sleep", s]),
            File(f) => json!(["file", f]),
            Signal(s) => json!(["signal", s]),
        })
        .collect();
    let script = json!({"timeout": 10, "columns": 120, "rows": 40, "steps": steps});
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "pty driver failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "driver report: {e}: {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    PtyRun {
        ok: report["ok"].as_bool().unwrap_or(false),
        status: report["status"].as_i64(),
        error: report["error"].as_str().map(str::to_owned),
        transcript: report["transcript"].as_str().unwrap_or_default().to_owned(),
        raw: report["raw"].as_str().unwrap_or_default().to_owned(),
    }
}
