//! Writes that fail, and what dockhand refuses before writing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;
use crate::harness::{Output, Project, Test};
use crate::openai_server::{RecordedRequest, TestServer, chat_json};

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
        .spawn_piped();
    server.wait_for_a_request();
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
        "error: `git commit --quiet --only -F - -- charts/todo-app/templates/backend-deployment.yaml .dockhand/cache/[KEY].json charts/todo-app/templates/backend-service.yaml .dockhand/cache/[KEY].json charts/todo-app/templates/configmap.yaml .dockhand/cache/[KEY].json dockhand.lock` failed with exit status: 1:\nhook: no commits today\nthe commit did not happen; the 7 file(s) this run wrote were restored and dockhand.lock is unchanged\n",
    );
    assert_eq!(
        state(&p),
        before,
        "files, index (notes.txt still staged) and HEAD as before"
    );
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
    // `.dockhand` itself leading outside is refused the same way.
    let dot = tempfile::tempdir().unwrap();
    crate::harness::copy_dir(&p.path().join("answers"), &dot.path().join("cache"));
    std::fs::remove_dir_all(p.path().join(".dockhand")).unwrap();
    std::os::unix::fs::symlink(dot.path(), p.path().join(".dockhand")).unwrap();
    let out = p
        .dockhand()
        .args(["-q", "regen", "--offline", "--check"])
        .status(2)
        .run();
    assert_whole(
        &out,
        &[(dot.path(), "[OUTSIDE]")],
        "",
        "error: .dockhand: the response cache is a symlink to [OUTSIDE], outside the repository; refused (answers must live in the repository to be committed and replayed)\n",
    );
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
