//! How `dockhand validate` runs helm on charts, with the fake helm
//! (tests/fake-bin/helm, helm's output shape) on PATH: helm starts before
//! dockhand's own chart checks and renders while they run; several charts'
//! helm processes run at once (up to `--jobs`) and the report keeps its
//! order; helm's Go garbage collector is off, under a memory bound, unless the
//! user set `GOGC` or `GOMEMLIMIT`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::harness::{Test, repo_root};

/// PATH without any real helm.
const SYSTEM_PATH: &str = "/usr/bin:/bin";

/// A folder holding only the fake helm, and the PATH that puts it first.
fn fake_helm() -> (tempfile::TempDir, String) {
    let d = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        repo_root().join("tests/fake-bin/helm"),
        d.path().join("helm"),
    )
    .unwrap();
    let path = format!("{}:{SYSTEM_PATH}", d.path().display());
    (d, path)
}

/// A valid chart `name` at `root/name`, with one ConfigMap template.
fn write_chart(root: &Path, name: &str) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(
        dir.join("Chart.yaml"),
        format!("apiVersion: v2\nname: {name}\nversion: 0.1.0\n"),
    )
    .unwrap();
    std::fs::write(dir.join("values.yaml"), "greeting: hello\n").unwrap();
    std::fs::write(
        dir.join("templates/cm.yaml"),
        // Plain YAML: the fake helm prints templates as they are.
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: greeting\ndata:\n  greeting: hello\n",
    )
    .unwrap();
    dir
}

/// The text report of clean charts `names` under `[PROJECT]`.
fn clean_report(names: &[&str]) -> String {
    let mut out = String::new();
    for n in names {
        out.push_str(&format!(
            "[PROJECT]/{n}/Chart.yaml:1:1: info[chart/renderer]: rendered with `helm template` ([HELM])\n  |\n1 | apiVersion: v2\n  | ^\n"
        ));
    }
    out.push_str(&format!(
        "policies: none (no dockhand.toml): schema and general rules only\n{} files checked: 0 errors, 0 warnings\n",
        names.len() * 3
    ));
    out
}

#[test]
fn helm_runs_without_a_garbage_collector_unless_the_user_set_one() {
    let (bin, path) = fake_helm();
    let work = tempfile::tempdir().unwrap();
    write_chart(work.path(), "c");
    let log = work.path().join("helm.log");
    let helm = bin.path().join("helm");
    let argv = |env: &str| {
        format!("helm\ntemplate\nc\nc\n--kube-version\n1.33\n--debug\n--- end argv ---\n{env}\n")
    };
    Test::new()
        .current_dir(work.path())
        .env("PATH", &path)
        .env("FAKE_LOG", log.to_string_lossy())
        .env_remove("GOGC")
        .env_remove("GOMEMLIMIT")
        .args(["validate", "c"])
        .filter(helm.to_string_lossy(), "[HELM]")
        .stdout(clean_report(&["c"]).replace("[PROJECT]/", ""))
        .run();
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        argv("env GOGC=off GOMEMLIMIT=256MiB")
    );
    // The user's own settings are left alone (and none is added).
    for (k, v, seen) in [
        ("GOGC", "50", "env GOGC=50 GOMEMLIMIT="),
        ("GOMEMLIMIT", "1GiB", "env GOGC= GOMEMLIMIT=1GiB"),
    ] {
        std::fs::remove_file(&log).unwrap();
        Test::new()
            .current_dir(work.path())
            .env("PATH", &path)
            .env("FAKE_LOG", log.to_string_lossy())
            .env_remove("GOGC")
            .env_remove("GOMEMLIMIT")
            .env(k, v)
            .args(["validate", "c"])
            .filter(helm.to_string_lossy(), "[HELM]")
            .stdout(clean_report(&["c"]).replace("[PROJECT]/", ""))
            .run();
        assert_eq!(std::fs::read_to_string(&log).unwrap(), argv(seen));
    }
}

/// Serves the FIFO `fifo` to each reader until `done`: the first reader gets
/// `values` once the fake helm has started (`started` exists) or after 5 s;
/// returns whether it had started. Later readers (the report reads the file
/// again for its snippets) get `values` at once.
fn serve_fifo(fifo: &Path, values: &[u8], started: &Path, done: &AtomicBool) -> bool {
    use std::os::unix::fs::OpenOptionsExt;
    // Without blocking: it fails (ENXIO) while no one has the FIFO open for reading.
    let open = || {
        std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(fifo)
    };
    let mut first: Option<bool> = None;
    while !done.load(Ordering::SeqCst) {
        let Ok(mut f) = open() else {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        };
        if first.is_none() {
            let deadline = Instant::now() + Duration::from_secs(5);
            while !started.exists() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            first = Some(started.exists());
        }
        f.write_all(values).unwrap();
        drop(f);
        // Until this reader has closed it.
        while open().is_ok() && !done.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    first.unwrap_or(false)
}

#[test]
fn helm_renders_while_dockhand_checks_the_chart_itself() {
    // The `--values` file is a FIFO that this test writes only once dockhand
    // reads it (dockhand's own values check) and the fake helm has started,
    // or after 5 s. If helm started only after dockhand's own checks, it
    // could not have started by then.
    let (bin, path) = fake_helm();
    let work = tempfile::tempdir().unwrap();
    write_chart(work.path(), "c");
    let started = work.path().join("started");
    std::fs::create_dir(&started).unwrap();
    let fifo = work.path().join("extra.yaml");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let done = Arc::new(AtomicBool::new(false));
    let writer = {
        let (fifo, started, done) = (fifo.clone(), started.join("c"), done.clone());
        std::thread::spawn(move || serve_fifo(&fifo, b"greeting: hi\n", &started, &done))
    };
    let helm = bin.path().join("helm");
    Test::new()
        .current_dir(work.path())
        .env("PATH", &path)
        .env("FAKE_HELM_STARTED", started.to_string_lossy())
        .args(["validate", "c", "--values", "extra.yaml"])
        .filter(helm.to_string_lossy(), "[HELM]")
        .stdout(
            clean_report(&["c"])
                .replace("[PROJECT]/", "")
                .replace("3 files checked", "4 files checked"),
        )
        .run();
    done.store(true, Ordering::SeqCst);
    assert!(
        writer.join().unwrap(),
        "helm had not started while dockhand read the values file"
    );
}

#[test]
fn charts_are_rendered_by_helm_at_once_up_to_the_jobs_and_reported_in_order() {
    let (bin, path) = fake_helm();
    let work = tempfile::tempdir().unwrap();
    write_chart(work.path(), "a");
    write_chart(work.path(), "b");
    let started = work.path().join("started");
    let helm = bin.path().join("helm");
    let run = |jobs: &str, wait_secs: &str, status: i32, stdout: String| {
        let _ = std::fs::remove_dir_all(&started);
        std::fs::create_dir(&started).unwrap();
        Test::new()
            .current_dir(work.path())
            .env("PATH", &path)
            .env("FAKE_HELM_STARTED", started.to_string_lossy())
            // Each helm waits until both are running; `a` answers last.
            .env("FAKE_HELM_TOGETHER", "2")
            .env("FAKE_HELM_WAIT_SECS", wait_secs)
            .env("FAKE_HELM_SLOW", "a")
            .args(["validate", "--jobs", jobs, "a", "b"])
            .filter(helm.to_string_lossy(), "[HELM]")
            .status(status)
            .stdout(stdout)
            .run();
    };
    run(
        "2",
        "5",
        0,
        clean_report(&["a", "b"]).replace("[PROJECT]/", ""),
    );
    // One at a time, `a`'s helm waits for `b`'s in vain: the fake refuses.
    run(
        "1",
        "1",
        1,
        "\
a/Chart.yaml:1:1: error[chart/render]: helm template failed: a: only 1 of 2 charts were rendering at once
  |
1 | apiVersion: v2
  | ^
  hint: fix the template or values helm points at
a/Chart.yaml:1:1: info[chart/renderer]: rendered with `helm template` ([HELM])
  |
1 | apiVersion: v2
  | ^
b/Chart.yaml:1:1: info[chart/renderer]: rendered with `helm template` ([HELM])
  |
1 | apiVersion: v2
  | ^
policies: none (no dockhand.toml): schema and general rules only
6 files checked: 1 error, 0 warnings
"
        .to_owned(),
    );
}
