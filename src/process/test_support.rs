use super::*;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

pub fn cfg() -> ToolConfig {
    ToolConfig::default()
}

pub fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fake_bin(name: &str) -> PathBuf {
    repo_root().join("tests/fake-bin").join(name)
}

pub fn fixture(name: &str) -> String {
    let p = repo_root().join("tests/fixtures/tool-output").join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()))
}

/// A finished child that printed the fixture `stdout` (and `stderr`) and exited `status`.
pub fn captured(argv: &[&str], status: i32, stdout: &str, stderr: &str) -> Captured {
    Captured::from_raw(
        argv.iter().map(|s| s.to_string()).collect(),
        Some(status),
        stdout.as_bytes(),
        stderr.as_bytes(),
    )
}

/// Run a fake tool: `argv[0]` is replaced by the fake's path; `env` selects its mode.
pub fn run_fake(
    argv: Vec<String>,
    env: &[(&str, &str)],
    timeout: Duration,
) -> Result<Captured, ProcessError> {
    let mut inv = Invocation::from_argv(argv, timeout);
    let name = inv.program.to_string_lossy().into_owned();
    let name = Path::new(&name)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    inv.program = fake_bin(&name);
    for (k, v) in env {
        inv = inv.with_env(*k, *v);
    }
    run_blocking(&inv)
}

/// A unique temp file path for FAKE_LOG.
pub fn temp_log(tag: &str) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let p = std::env::temp_dir().join(format!("dockhand-{tag}-{}-{n}.log", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

/// The argv blocks a fake wrote to FAKE_LOG (one Vec per invocation, argv[0] first).
pub fn logged_argvs(log: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut out = Vec::new();
    let mut cur: Option<Vec<String>> = None;
    for line in text.lines() {
        match (&mut cur, line) {
            (Some(_), "--- end argv ---") => out.push(cur.take().unwrap()),
            (Some(v), l) => v.push(l.to_string()),
            (None, l)
                if !l.starts_with("--- ") && ["docker", "kubectl-ai", "kagent"].contains(&l) =>
            {
                cur = Some(vec![l.to_string()])
            }
            _ => {}
        }
    }
    out
}
