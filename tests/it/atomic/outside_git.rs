//! Outside git: the lock's output hash tells dockhand's files from a person's.

use super::*;
use crate::harness::{Test, fixture};

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
