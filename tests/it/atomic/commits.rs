//! `--no-commit` and the commits after it, two runs at once, and the property:
//! a fresh clone of every commit dockhand makes replays.

use std::time::{Duration, Instant};

use super::*;
use crate::harness::{Output, Project, Test, fixture};
use crate::openai_server::{RecordedRequest, TestServer, chat_json};

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

#[test]
fn what_a_no_commit_run_wrote_is_not_taken_for_a_hand_edit() {
    let p = Project::seeded();
    generate_by_hand(&p, "backend-service", &["--no-commit"]);
    // A new answer for the same target: the uncommitted file is dockhand's own, not an edit.
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
        .run();
    assert_whole(
        &out,
        &[],
        "wrote charts/todo-app/templates/backend-service.yaml\nwrote .dockhand/cache/[KEY].json\nwrote dockhand.lock\ncommitted [SHA]\n",
        "",
    );
    assert!(p.read(SERVICE).starts_with("# revised\n"));
    assert_eq!(p.git(&["status", "--porcelain"]), "");
    assert_clones_replay(&p);
    // Edited by hand (and uncommitted), it is refused.
    p.write(SERVICE, &format!("{}# mine\n", p.read(SERVICE)));
    let out = p
        .dockhand()
        .args(["-q", "generate", "backend-service", "--response-file"])
        .arg(fixture("answers/backend-service.md").to_string_lossy())
        .status(2)
        .run();
    assert_whole(
        &out,
        &[],
        "",
        "error: charts/todo-app/templates/backend-service.yaml: has uncommitted changes; commit or stash them, or pass --force to overwrite\n",
    );
}

/// The property: a fresh clone of every commit dockhand made passes `regen --offline --check`.
/// Returns how many commits it cloned.
fn assert_clones_replay(p: &Project) -> usize {
    let log = p.git(&["log", "--format=%H %s"]);
    let ours: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(" dockhand: "))
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert!(!ours.is_empty(), "dockhand made commits");
    for sha in &ours {
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
    ours.len()
}

/// One step of a sequence of runs.
#[derive(Debug, Clone, Copy)]
enum Step {
    Generate {
        prompt: usize,
        commit: bool,
    },
    Regen {
        commit: bool,
    },
    Remove {
        prompt: usize,
    },
    /// A person edits the file (and does not commit).
    Edit {
        prompt: usize,
    },
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
        .map(|_| match next(7) {
            0..=2 => Step::Generate {
                prompt: next(3) as usize,
                commit: next(2) == 0,
            },
            3 | 4 => Step::Regen {
                commit: next(2) == 0,
            },
            5 => Step::Remove {
                prompt: next(3) as usize,
            },
            _ => Step::Edit {
                prompt: next(3) as usize,
            },
        })
        .collect()
}

const REFUSED: &str =
    "error: dockhand.lock holds entries of an earlier run that were never committed (--no-commit)";

#[test]
fn every_commit_of_any_sequence_of_generate_no_commit_and_regen_replays_in_a_fresh_clone() {
    let (mut clones, mut adopted, mut refused_runs) = (0, 0, 0);
    for seed in 1..=8u64 {
        let p = Project::seeded();
        // Each sequence starts from an uncommitted run.
        let mut steps = vec![Step::Generate {
            prompt: (seed % 3) as usize,
            commit: false,
        }];
        steps.extend(sequence(seed, 9));
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
                Step::Edit { prompt } => {
                    let path = p.path().join(PROMPTS[prompt].1);
                    if let Ok(text) = std::fs::read_to_string(&path) {
                        std::fs::write(&path, format!("{text}# edited\n")).unwrap();
                    }
                    continue;
                }
            };
            // Each run succeeds, refuses to commit an incomplete earlier run, or
            // refuses to overwrite an edit.
            let refused = out.status == 2 && out.stderr.starts_with(REFUSED);
            let edited = out.status == 2
                && out.stderr.starts_with("error: charts/")
                && out.stderr.ends_with(
                    ": has uncommitted changes; commit or stash them, or pass --force to overwrite\n",
                );
            refused_runs += usize::from(refused);
            adopted += usize::from(out.stdout.contains("earlier --no-commit run wrote"));
            assert!(
                (out.status == 0 && out.stderr.is_empty()) || refused || edited,
                "seed {seed}, {step:?} in {steps:?}:\n{}\n{}",
                out.stdout,
                out.stderr
            );
        }
        if p.git(&["log", "--format=%s"]).contains("dockhand: ") {
            clones += assert_clones_replay(&p);
        }
    }
    // The sequences reach both branches: commits that took an earlier run's
    // output whole, and runs refused for an incomplete one.
    eprintln!("{clones} commits cloned, {adopted} adopted an earlier run, {refused_runs} refused");
    assert!(clones >= 10 && adopted >= 1 && refused_runs >= 1);
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
fn a_regen_whose_every_job_fails_commits_nothing_even_with_keep_going() {
    let p = generated();
    // The user's own staged change must not end up in a dockhand commit.
    p.write("notes.txt", "mine\n");
    p.git(&["add", "notes.txt"]);
    let before = state(&p);
    let server = TestServer::with_handler(|_req: &RecordedRequest| {
        chat_json(
            "```yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  ports: nope\n```\n",
        )
    });
    let out = p
        .dockhand()
        .args([
            "-q",
            "regen",
            "frontend-configmap",
            "--backend",
            "openai",
            "--keep-going",
        ])
        .openai(&server)
        .status(1)
        .run_any();
    assert_eq!(out.status, 1, "{}\n{}", out.stdout, out.stderr);
    // The findings, then what happened.
    assert_eq!(out.stderr, "");
    snapshot("regen_keep_going_no_job_passed", &out.stdout);
    assert_eq!(state(&p), before, "no commit; notes.txt still staged");
}
