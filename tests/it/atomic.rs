//! All or nothing: a run's artifacts, cache entries and lock are written and
//! committed as one unit, or not at all (issue 8 item 5, and the write rows of
//! RELIABILITY.md). Every test compares the whole output of each run.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::harness::{Output, Project, Test, fixture};
use crate::openai_server::{RecordedRequest, TestServer, chat_json};

const DEPLOYMENT: &str = "charts/todo-app/templates/backend-deployment.yaml";
const SERVICE: &str = "charts/todo-app/templates/backend-service.yaml";
const CONFIGMAP: &str = "charts/todo-app/templates/configmap.yaml";

/// The three single-target prompts and their recorded answers.
const PROMPTS: [(&str, &str); 3] = [
    ("backend-deployment", DEPLOYMENT),
    ("backend-service", SERVICE),
    ("frontend-configmap", CONFIGMAP),
];

pub fn answer(name: &str) -> String {
    std::fs::read_to_string(fixture(&format!("answers/{name}.md"))).unwrap()
}

/// Replace every run of exactly `len` lowercase hex digits (a whole word) by `with`.
fn hex_runs(s: &str, len: usize, with: &str) -> String {
    let c: Vec<char> = s.chars().collect();
    let hex = |x: char| x.is_ascii_digit() || ('a'..='f').contains(&x);
    let word = |x: char| x.is_alphanumeric();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < c.len() {
        if (i == 0 || !word(c[i - 1])) && hex(c[i]) {
            let mut j = i;
            while j < c.len() && hex(c[j]) {
                j += 1;
            }
            if j - i == len && (j == c.len() || !word(c[j])) {
                out.push_str(with);
                i = j;
                continue;
            }
        }
        out.push(c[i]);
        i += 1;
    }
    out
}

/// Output as compared: the given folders as `[ROOT]`, `[OUTSIDE]`..., cache
/// keys as `[KEY]`, abbreviated commit ids as `[SHA]`.
pub fn normalize(s: &str, paths: &[(&Path, &str)]) -> String {
    let mut s = s.to_owned();
    for (p, name) in paths {
        if let Ok(real) = p.canonicalize() {
            s = s.replace(&real.to_string_lossy().into_owned(), name);
        }
        s = s.replace(&p.to_string_lossy().into_owned(), name);
    }
    hex_runs(&hex_runs(&s, 64, "[KEY]"), 12, "[SHA]")
}

/// Compare a run's whole stdout and stderr (its exit status is checked by the harness).
pub fn assert_whole(out: &Output, paths: &[(&Path, &str)], stdout: &str, stderr: &str) {
    let (o, e) = (normalize(&out.stdout, paths), normalize(&out.stderr, paths));
    assert_eq!(
        (o.as_str(), e.as_str()),
        (stdout, stderr),
        "\n--- stdout\n{o}\n--- stderr\n{e}"
    );
}

/// Every file of the project (but .git) with its bytes, the index, HEAD and the status.
fn state(p: &Project) -> (Vec<(String, Vec<u8>)>, String, String, String) {
    let files = p
        .files()
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(p.path().join(&f)).unwrap();
            (f, bytes)
        })
        .collect();
    (
        files,
        p.git(&["ls-files", "-s"]),
        p.git(&["rev-parse", "HEAD"]),
        p.git(&["status", "--porcelain", "--untracked-files=all"]),
    )
}

fn generate_by_hand(p: &Project, id: &str, extra: &[&str]) -> Output {
    p.dockhand()
        .args(["-q", "generate", id, "--response-file"])
        .arg(fixture(&format!("answers/{id}.md")).to_string_lossy())
        .args(extra.iter().copied())
        .run()
}

/// A seeded project with the three prompts generated and committed.
fn generated() -> Project {
    let p = Project::seeded();
    for (id, _) in PROMPTS {
        generate_by_hand(&p, id, &[]);
    }
    p
}

/// A server answering every prompt with its recorded answer, revised by one comment line.
fn revising_server() -> TestServer {
    revising_server_padded(0)
}

/// `revising_server`, with `pad` more bytes in the Service's comment.
fn revising_server_padded(pad: usize) -> TestServer {
    TestServer::with_handler(move |req: &RecordedRequest| {
        let prompt = req.prompt_text();
        let id = if prompt.contains("ConfigMap") {
            "frontend-configmap"
        } else if prompt.contains("Deployment") {
            "backend-deployment"
        } else {
            "backend-service"
        };
        let comment = if id == "backend-service" {
            format!("# revised{}\n", " ".repeat(pad))
        } else {
            "# revised\n".to_owned()
        };
        chat_json(&answer(id).replacen("```yaml\n", &format!("```yaml\n{comment}"), 1))
    })
}

fn regen_revised(p: &Project, server: &TestServer, status: i32) -> Output {
    p.dockhand()
        .args(["-q", "regen", "--backend", "openai"])
        .args(PROMPTS.map(|(id, _)| id))
        .openai(server)
        .status(status)
        .run()
}

#[test]
fn a_read_only_target_in_a_regen_leaves_every_file_the_lock_and_the_cache_as_they_were() {
    let p = generated();
    let server = revising_server();
    let ro = p.path().join(CONFIGMAP);
    std::fs::set_permissions(&ro, std::os::unix::fs::PermissionsExt::from_mode(0o444)).unwrap();
    let before = state(&p);
    let out = regen_revised(&p, &server, 2);
    assert_whole(
        &out,
        &[],
        "",
        "error: cannot write charts/todo-app/templates/configmap.yaml: it is read-only; nothing was written, dockhand.lock is unchanged\n",
    );
    assert_eq!(server.request_count(), 3, "all three were answered");
    assert_eq!(
        state(&p),
        before,
        "files, cache, lock, index and HEAD unchanged"
    );
    // Writable again, the same run writes all three in one commit.
    std::fs::set_permissions(&ro, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let out = regen_revised(&p, &server, 0);
    assert_whole(&out, &[], "wrote 3 artifact(s); committed [SHA]\n", "");
    assert!(p.read(CONFIGMAP).starts_with("# revised\n"));
    assert_eq!(p.git(&["status", "--porcelain"]), "");
}

/// A small tmpfs mounted for one test (root only); unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        if std::env::var_os("DOCKHAND_TEST_NO_TMPFS").is_some() {
            return None;
        }
        let dir = tempfile::tempdir().ok()?;
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Tmpfs { dir })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// `Project::seeded` with the three prompts generated, inside `parent`.
fn generated_in(parent: &Path) -> Project {
    let p = Project {
        dir: tempfile::tempdir_in(parent).unwrap(),
    };
    p.git(&["init", "-q", "-b", "main"]);
    crate::harness::copy_dir(
        &crate::harness::repo_root().join("prompts"),
        &p.path().join("prompts"),
    );
    std::fs::copy(
        crate::harness::repo_root().join("dockhand.toml"),
        p.path().join("dockhand.toml"),
    )
    .unwrap();
    p.git(&["add", "-A"]);
    p.git(&["commit", "-q", "-m", "prompts"]);
    for (id, _) in PROMPTS {
        generate_by_hand(&p, id, &[]);
    }
    p
}

/// Fill the file system holding `dir` but for `free` bytes (whole 4 KiB pages).
fn fill(dir: &Path, free: u64) {
    use std::io::Write;
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    let page = [0u8; 4096];
    while f.write_all(&page).is_ok() {}
    let len = std::fs::metadata(&path).unwrap().len() / 4096 * 4096;
    f.set_len(len.saturating_sub(free)).unwrap();
    f.sync_all().unwrap();
}

#[test]
fn a_full_disk_half_way_through_the_writes_leaves_everything_as_it_was() {
    let (_fs, p, injected);
    match Tmpfs::mount("4m") {
        Some(fs) => {
            p = generated_in(fs.dir.path());
            // Room for two new files: the third write finds the disk full.
            fill(fs.dir.path(), 2 * 4096);
            _fs = Some(fs);
            injected = false;
        }
        None => {
            eprintln!(
                "no tmpfs (not root, or DOCKHAND_TEST_NO_TMPFS): the disk fills by RLIMIT_FSIZE instead"
            );
            p = generated();
            _fs = None;
            injected = true;
        }
    }
    // Injected: the Service's answer comes padded past the file size limit (16 KiB,
    // more than git's index), so its cache entry, the fourth write, fails.
    let server = revising_server_padded(if injected { 20_000 } else { 0 });
    let before = state(&p);
    let test = p
        .dockhand()
        .args(["-q", "regen", "--backend", "openai"])
        .args(PROMPTS.map(|(id, _)| id))
        .openai(&server)
        .status(2);
    let out = if injected {
        // A file written past 16 KiB fails with EFBIG, as a full disk would fail it.
        run_with_file_size_limit(test, 16 * 1024)
    } else {
        test.run()
    };
    let expected = if injected {
        "error: cannot write .dockhand/cache/[KEY].json: File too large (os error 27); nothing was written, dockhand.lock is unchanged\n"
    } else {
        "error: cannot write charts/todo-app/templates/backend-service.yaml: No space left on device (os error 28); nothing was written, dockhand.lock is unchanged\n"
    };
    assert_whole(&out, &[], "", expected);
    assert_eq!(
        state(&p),
        before,
        "files, cache, lock, index and HEAD unchanged"
    );
}

/// Run `test` under a file size limit, with SIGXFSZ ignored so that writes fail with EFBIG.
fn run_with_file_size_limit(test: Test, bytes: u64) -> Output {
    let cmd = test.command();
    let mut sh = std::process::Command::new("sh");
    sh.arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {}; exec \"$0\" \"$@\"",
            bytes / 512
        ))
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => sh.env(k, v),
            None => sh.env_remove(k),
        };
    }
    sh.current_dir(cmd.get_current_dir().unwrap());
    let out = sh.stdin(std::process::Stdio::null()).output().unwrap();
    let out = Output {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_eq!(out.status, 2, "{}", out.stderr);
    out
}

#[test]
fn a_target_folder_that_turns_into_a_symlink_while_the_assistant_answers_is_refused() {
    let p = generated();
    let outside = tempfile::tempdir().unwrap();
    let server = TestServer::with_handler(|_req: &RecordedRequest| {
        chat_json(&answer("backend-service").replacen("```yaml\n", "```yaml\n# revised\n", 1))
            .delayed(Duration::from_millis(1500))
    });
    let child = p
        .dockhand()
        .args(["-q", "regen", "backend-service", "--backend", "openai"])
        .openai(&server)
        .command()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.request_count() == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    // The chart's templates move outside the repository, a symlink left in their place.
    let templates = p.path().join("charts/todo-app/templates");
    crate::harness::copy_dir(&templates, outside.path());
    std::fs::remove_dir_all(&templates).unwrap();
    std::os::unix::fs::symlink(outside.path(), &templates).unwrap();
    let outside_before: Vec<_> = read_tree(outside.path());
    let lock_before = p.read("dockhand.lock");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Output {
        status: 2,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_whole(
        &out,
        &[],
        "",
        "error: backend-service@1.1.0: target `charts/todo-app/templates/backend-service.yaml` is refused: a symlink leads outside\n",
    );
    assert_eq!(
        read_tree(outside.path()),
        outside_before,
        "nothing written outside"
    );
    assert_eq!(p.read("dockhand.lock"), lock_before);
    assert_eq!(p.commit_count(), 5);
}

fn read_tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let bytes = std::fs::read(&p).unwrap_or_default();
            (p, bytes)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_commit_refused_by_a_hook_restores_the_files_and_the_index() {
    let p = generated();
    let server = revising_server();
    p.write(
        ".git/hooks/pre-commit",
        "#!/bin/sh\necho 'hook: no commits today' >&2\nexit 1\n",
    );
    std::fs::set_permissions(
        p.path().join(".git/hooks/pre-commit"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    // Something of the user's own, staged: it stays staged.
    p.write("notes.txt", "mine\n");
    p.git(&["add", "notes.txt"]);
    let before = state(&p);
    let out = regen_revised(&p, &server, 2);
    assert_whole(
        &out,
        &[],
        "",
        "error: `git commit --quiet --only -F - -- charts/todo-app/templates/backend-deployment.yaml .dockhand/cache/[KEY].json charts/todo-app/templates/backend-service.yaml .dockhand/cache/[KEY].json charts/todo-app/templates/configmap.yaml .dockhand/cache/[KEY].json dockhand.lock` failed with exit status: 1:\nhook: no commits today\nthe commit did not happen, so the 7 file(s) this run wrote were restored and dockhand.lock is unchanged\n",
    );
    assert_eq!(
        state(&p),
        before,
        "files, index (notes.txt still staged) and HEAD as before"
    );
}

#[test]
fn no_commit_then_generate_commits_the_earlier_run_whole() {
    let p = Project::seeded();
    let out = generate_by_hand(&p, "backend-service", &["--no-commit"]);
    assert_whole(
        &out,
        &[],
        "wrote charts/todo-app/templates/backend-service.yaml\nwrote .dockhand/cache/[KEY].json\nwrote dockhand.lock\n",
        "",
    );
    assert_eq!(
        p.commit_count(),
        2,
        "--no-commit leaves its changes uncommitted"
    );
    let out = generate_by_hand(&p, "backend-deployment", &[]);
    assert_whole(
        &out,
        &[],
        "wrote charts/todo-app/templates/backend-deployment.yaml\nwrote .dockhand/cache/[KEY].json\nwrote dockhand.lock\ncommitted [SHA]\nthe commit includes what an earlier --no-commit run wrote, which the lock records:\n  .dockhand/cache/[KEY].json\n  charts/todo-app/templates/backend-service.yaml\n",
        "",
    );
    assert_eq!(p.git(&["status", "--porcelain"]), "", "nothing left behind");
    assert_clones_replay(&p);
}

#[test]
fn no_commit_then_generate_refuses_when_the_earlier_run_is_not_whole() {
    let p = Project::seeded();
    generate_by_hand(&p, "backend-deployment", &[]);
    generate_by_hand(&p, "backend-service", &["--no-commit"]);
    generate_by_hand(&p, "frontend-configmap", &["--no-commit"]);
    // One file edited by hand since, one cache entry lost.
    p.write(
        SERVICE,
        &p.read(SERVICE).replace("port: 8000", "port: 8001"),
    );
    let cm_entry = p
        .files()
        .into_iter()
        .find(|f| f.starts_with(".dockhand/cache/") && p.read(f).contains("frontend-configmap"))
        .unwrap();
    std::fs::remove_file(p.path().join(&cm_entry)).unwrap();
    let revised = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        revised.path(),
        answer("backend-deployment").replacen("```yaml\n", "```yaml\n# revised\n", 1),
    )
    .unwrap();
    let run = |status: i32| {
        p.dockhand()
            .args(["-q", "generate", "backend-deployment", "--response-file"])
            .arg(revised.path().to_string_lossy())
            .status(status)
            .run()
    };
    let before = state(&p);
    assert_whole(
        &run(2),
        &[],
        "",
        "error: dockhand.lock holds entries of an earlier run that were never committed (--no-commit); this commit would take them without what they need:\n  charts/todo-app/templates/backend-service.yaml: the file no longer matches its lock entry (edited since it was generated)\n  charts/todo-app/templates/configmap.yaml: no cache entry in .dockhand/cache holds its answer, so a clone could not replay it\ncommit or discard that run's changes first (restoring dockhand.lock as HEAD has it drops its entries), or pass --no-commit\n",
    );
    assert_eq!(state(&p), before, "nothing written");
    // Dropping the earlier run's lock entries lets the run commit its own, alone.
    p.git(&["checkout", "--", "dockhand.lock"]);
    assert_whole(
        &run(0),
        &[],
        "wrote charts/todo-app/templates/backend-deployment.yaml\nwrote .dockhand/cache/[KEY].json\nwrote dockhand.lock\ncommitted [SHA]\n",
        "",
    );
    assert_eq!(
        p.git(&["show", "--name-only", "--format=", "HEAD"])
            .lines()
            .count(),
        3,
        "the artifact, its cache entry, the lock"
    );
    assert_clones_replay(&p);
}

/// The property: a fresh clone of every commit dockhand made passes `regen --offline --check`.
fn assert_clones_replay(p: &Project) {
    let log = p.git(&["log", "--format=%H %s"]);
    let ours: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(" dockhand: "))
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert!(!ours.is_empty(), "dockhand made commits");
    for sha in ours {
        let dir = tempfile::tempdir().unwrap();
        let clone = dir.path().join("clone");
        let ok = std::process::Command::new("git")
            .args(["clone", "-q"])
            .arg(p.path())
            .arg(&clone)
            .status()
            .unwrap()
            .success();
        assert!(ok);
        let ok = std::process::Command::new("git")
            .current_dir(&clone)
            .args(["checkout", "-q", sha])
            .status()
            .unwrap()
            .success();
        assert!(ok);
        let out = Test::new()
            .current_dir(&clone)
            .args(["-q", "regen", "--offline", "--check"])
            .run();
        assert_whole(&out, &[], "", "");
    }
}

/// One step of a sequence of runs.
#[derive(Debug, Clone, Copy)]
enum Step {
    Generate { prompt: usize, commit: bool },
    Regen { commit: bool },
    Remove { prompt: usize },
}

/// A deterministic sequence of `n` steps from `seed` (a linear congruential generator).
fn sequence(seed: u64, n: usize) -> Vec<Step> {
    let mut x = seed;
    let mut next = move |m: u64| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) % m
    };
    (0..n)
        .map(|_| match next(5) {
            0 | 1 => Step::Generate {
                prompt: next(3) as usize,
                commit: next(2) == 0,
            },
            2 | 3 => Step::Regen {
                commit: next(2) == 0,
            },
            _ => Step::Remove {
                prompt: next(3) as usize,
            },
        })
        .collect()
}

const REFUSED: &str =
    "error: dockhand.lock holds entries of an earlier run that were never committed (--no-commit)";

#[test]
fn every_commit_of_any_sequence_of_generate_no_commit_and_regen_replays_in_a_fresh_clone() {
    for seed in 1..=5u64 {
        let p = Project::seeded();
        let steps = sequence(seed, 8);
        for step in &steps {
            let out = match *step {
                Step::Generate { prompt, commit } => {
                    let id = PROMPTS[prompt].0;
                    let mut t = p
                        .dockhand()
                        .args(["-q", "generate", id, "--response-file"])
                        .arg(fixture(&format!("answers/{id}.md")).to_string_lossy());
                    if !commit {
                        t = t.arg("--no-commit");
                    }
                    t.run_any()
                }
                Step::Regen { commit } => {
                    let mut t = p.dockhand().args(["-q", "regen", "--offline"]);
                    if !commit {
                        t = t.arg("--no-commit");
                    }
                    t.run_any()
                }
                Step::Remove { prompt } => {
                    let _ = std::fs::remove_file(p.path().join(PROMPTS[prompt].1));
                    continue;
                }
            };
            // Each run either succeeds or refuses to commit an incomplete earlier run.
            let refused = out.status == 2 && out.stderr.starts_with(REFUSED);
            assert!(
                (out.status == 0 && out.stderr.is_empty()) || refused,
                "seed {seed}, {step:?} in {steps:?}:\n{}\n{}",
                out.stdout,
                out.stderr
            );
        }
        if p.git(&["log", "--format=%s"]).contains("dockhand: ") {
            assert_clones_replay(&p);
        }
    }
}

#[test]
fn two_runs_at_once_take_turns_and_each_commit_is_whole() {
    let p = Project::seeded();
    let server = TestServer::with_handler(|req: &RecordedRequest| {
        let id = if req.prompt_text().contains("ConfigMap") {
            "frontend-configmap"
        } else {
            "backend-service"
        };
        chat_json(&answer(id)).delayed(Duration::from_millis(800))
    });
    let spawn = |id: &str| {
        p.dockhand()
            .args(["-q", "generate", id, "--backend", "openai"])
            .openai(&server)
            .command()
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let started = Instant::now();
    let a = spawn("backend-service");
    let b = spawn("frontend-configmap");
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(
        started.elapsed() >= Duration::from_millis(1600),
        "the second run waited for the first"
    );
    for (out, path) in [(a, SERVICE), (b, CONFIGMAP)] {
        let out = Output {
            status: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        assert_eq!(out.status, 0, "{}", out.stderr);
        assert_whole(
            &out,
            &[],
            &format!(
                "wrote {path}\nwrote .dockhand/cache/[KEY].json\nwrote dockhand.lock\ncommitted [SHA]\n"
            ),
            "",
        );
    }
    assert_eq!(p.commit_count(), 4, "one commit each");
    let lock = p.read("dockhand.lock");
    assert_eq!(lock.matches("[[artifact]]").count(), 2, "{lock}");
    assert_eq!(p.git(&["status", "--porcelain"]), "");
    assert_clones_replay(&p);
}

#[test]
fn a_cache_folder_that_is_a_symlink_leading_outside_is_refused() {
    let p = generated();
    let outside = tempfile::tempdir().unwrap();
    crate::harness::copy_dir(&p.path().join(".dockhand/cache"), outside.path());
    std::fs::remove_dir_all(p.path().join(".dockhand/cache")).unwrap();
    std::os::unix::fs::symlink(outside.path(), p.path().join(".dockhand/cache")).unwrap();
    let refusal = "error: .dockhand/cache: the response cache is a symlink to [OUTSIDE], outside the repository; refused (answers must live in the repository to be committed and replayed)\n";
    // Replaying from it is refused...
    let out = p
        .dockhand()
        .args(["-q", "regen", "--offline", "--check"])
        .status(2)
        .run();
    assert_whole(&out, &[(outside.path(), "[OUTSIDE]")], "", refusal);
    // ...and so is writing to it.
    let before = read_tree(outside.path());
    let revised = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        revised.path(),
        answer("backend-service").replacen("```yaml\n", "```yaml\n# revised\n", 1),
    )
    .unwrap();
    let out = p
        .dockhand()
        .args(["-q", "generate", "backend-service", "--response-file"])
        .arg(revised.path().to_string_lossy())
        .status(2)
        .run();
    assert_whole(&out, &[(outside.path(), "[OUTSIDE]")], "", refusal);
    assert_eq!(read_tree(outside.path()), before);
    // A symlink that stays inside the repository is fine.
    std::fs::remove_file(p.path().join(".dockhand/cache")).unwrap();
    crate::harness::copy_dir(outside.path(), &p.path().join("answers"));
    std::os::unix::fs::symlink("../answers", p.path().join(".dockhand/cache")).unwrap();
    let out = p
        .dockhand()
        .args(["-q", "regen", "--offline", "--check"])
        .run();
    assert_whole(&out, &[], "", "");
}

/// A project folder that is not a git repository: prompts and dockhand.toml only.
fn outside_git() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    crate::harness::copy_dir(
        &crate::harness::repo_root().join("prompts"),
        &dir.path().join("prompts"),
    );
    std::fs::copy(
        crate::harness::repo_root().join("dockhand.toml"),
        dir.path().join("dockhand.toml"),
    )
    .unwrap();
    dir
}

#[test]
fn outside_git_a_file_edited_by_hand_is_not_overwritten_without_force() {
    let dir = outside_git();
    let root = dir.path();
    let generate = |answer: &str, extra: &[&str], status: i32| {
        Test::new()
            .current_dir(root)
            .args([
                "-q",
                "generate",
                "backend-service",
                "--no-commit",
                "--response-file",
            ])
            .arg(answer)
            .args(extra.iter().copied())
            .status(status)
            .run()
    };
    let first = fixture("answers/backend-service.md");
    let out = generate(&first.to_string_lossy(), &[], 0);
    assert_whole(
        &out,
        &[],
        "wrote charts/todo-app/templates/backend-service.yaml\nwrote .dockhand/cache/[KEY].json\nwrote dockhand.lock\n",
        "",
    );
    let first_written = std::fs::read_to_string(root.join(SERVICE)).unwrap();
    // A new answer replaces a file that still matches the lock's output hash.
    let revised_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        revised_file.path(),
        answer("backend-service").replacen("```yaml\n", "```yaml\n# revised\n", 1),
    )
    .unwrap();
    let revised = revised_file.path().to_string_lossy().into_owned();
    let out = generate(&revised, &[], 0);
    assert_whole(
        &out,
        &[],
        "wrote charts/todo-app/templates/backend-service.yaml\nwrote .dockhand/cache/[KEY].json\nwrote dockhand.lock\n",
        "",
    );
    // Edited by hand: refused, the edit kept.
    let path = root.join(SERVICE);
    let mine = std::fs::read_to_string(&path).unwrap() + "# my note\n";
    std::fs::write(&path, &mine).unwrap();
    let lock = std::fs::read_to_string(root.join("dockhand.lock")).unwrap();
    let out = generate(&first.to_string_lossy(), &[], 2);
    assert_whole(
        &out,
        &[],
        "",
        "error: charts/todo-app/templates/backend-service.yaml: changed since dockhand wrote it (its content no longer matches the output hash in dockhand.lock); pass --force to overwrite\n",
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), mine);
    assert_eq!(
        std::fs::read_to_string(root.join("dockhand.lock")).unwrap(),
        lock
    );
    // --force overwrites it.
    let out = generate(&first.to_string_lossy(), &["--force"], 0);
    assert_whole(
        &out,
        &[],
        "wrote charts/todo-app/templates/backend-service.yaml\nwrote .dockhand/cache/[KEY].json\nwrote dockhand.lock\n",
        "",
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), first_written);
}

#[test]
fn outside_git_a_file_dockhand_did_not_write_is_not_overwritten_without_force() {
    let dir = outside_git();
    let root = dir.path();
    let path = root.join(CONFIGMAP);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "# written by a person\n").unwrap();
    let out = Test::new()
        .current_dir(root)
        .args([
            "-q",
            "generate",
            "frontend-configmap",
            "--no-commit",
            "--response-file",
        ])
        .arg(fixture("answers/frontend-configmap.md").to_string_lossy())
        .status(2)
        .run();
    assert_whole(
        &out,
        &[],
        "",
        "error: charts/todo-app/templates/configmap.yaml: exists but dockhand.lock has no entry for it, so it was not written by dockhand; pass --force to overwrite\n",
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "# written by a person\n"
    );
    assert!(!root.join("dockhand.lock").exists());
    assert!(!root.join(".dockhand/cache").exists());
}

#[test]
fn a_lock_from_a_newer_dockhand_is_refused() {
    let p = generated();
    p.write(
        "dockhand.lock",
        &p.read("dockhand.lock")
            .replace("version = 1", "version = 2"),
    );
    for args in [
        &["-q", "regen", "--offline", "--check"][..],
        &["-q", "regen", "--offline"],
    ] {
        let out = p.dockhand().args(args.iter().copied()).status(2).run();
        assert_whole(
            &out,
            &[(p.path(), "[ROOT]")],
            "",
            "error: [ROOT]/dockhand.lock:2: lock format version 2 is newer than this dockhand understands (up to 1); upgrade dockhand\n",
        );
    }
}
