//! `dockhand init`: a new project from nothing, then the everyday commands in it.

use crate::harness::{Project, fixture};
use crate::openai_server::{TestServer, chat_json};

const NEXT: &str = "next: `dockhand prompts list`; configure an assistant (OPENAI_BASE_URL, OPENAI_API_KEY, or a tool on PATH: see `dockhand doctor`), then `dockhand generate ID`\n";

#[test]
fn init_starter_lists_the_library_and_generates_against_an_openai_endpoint() {
    let p = Project::empty();
    let starter = crate::harness::repo_root().join("prompts");
    let count = walk_md(&starter);
    p.dockhand()
        .args(["init", "--starter"])
        .stdout(format!(
            "created dockhand.toml\ncreated dockhand.lock\n\
             created prompts/ with the starter library ({count} prompts)\n\
             added to .gitignore: /.dockhand/dockhand-run.lock\n{NEXT}"
        ))
        .run();
    assert_eq!(p.read(".gitignore"), "/.dockhand/dockhand-run.lock\n");
    assert_eq!(
        p.read("dockhand.lock"),
        "# dockhand.lock: how each artifact was made. Written by dockhand; do not edit.\nversion = 1\nartifact = []\n"
    );
    // The library is the one this binary was built with: the same list as a
    // project holding a copy of this repository's prompts/.
    let seeded = Project::seeded();
    let want = seeded.dockhand().args(["prompts", "list"]).run().stdout;
    p.dockhand().args(["prompts", "list"]).stdout(want).run();

    p.git(&["add", "-A"]);
    p.git(&["commit", "-qm", "dockhand init"]);
    let answer = std::fs::read_to_string(fixture("answers/frontend-configmap.md")).unwrap();
    let server = TestServer::start(vec![chat_json(&answer)]);
    p.dockhand()
        .args([
            "-q",
            "generate",
            "frontend-configmap@1.0.0",
            "--backend",
            "openai",
        ])
        .openai(&server)
        .stdout(
            "wrote charts/todo-app/templates/configmap.yaml\n\
             wrote .dockhand/cache/[SHA].json\n\
             wrote dockhand.lock\n\
             committed [SHA]\n",
        )
        .run();
    assert_eq!(server.request_count(), 1);
    assert_eq!(p.git(&["status", "--porcelain"]), "");
    assert_eq!(
        p.read("charts/todo-app/templates/configmap.yaml"),
        seeded_generate(&answer)
    );
}

/// What the same answer makes in a copy of this repository's project.
fn seeded_generate(answer: &str) -> String {
    let p = Project::seeded();
    let file = p.path().join("answer.md");
    std::fs::write(&file, answer).unwrap();
    p.dockhand()
        .args([
            "-q",
            "generate",
            "frontend-configmap@1.0.0",
            "--response-file",
        ])
        .arg(file.to_string_lossy())
        .run();
    p.read("charts/todo-app/templates/configmap.yaml")
}

fn walk_md(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            if p.is_dir() {
                walk_md(&p)
            } else {
                usize::from(p.extension().is_some_and(|x| x == "md"))
            }
        })
        .sum()
}

#[test]
fn init_refuses_to_overwrite_without_force_and_writes_nothing() {
    let p = Project::empty();
    p.write("dockhand.toml", "# mine\n");
    p.write(".gitignore", "/target\n/.dockhand/dockhand-run.lock\n");
    p.dockhand()
        .args(["init", "--starter"])
        .status(2)
        .stderr("error: [PROJECT]: dockhand.toml already exists; nothing was written (pass --force to overwrite)\n")
        .run();
    assert_eq!(p.read("dockhand.toml"), "# mine\n");
    assert!(!p.exists("dockhand.lock"));
    assert!(!p.exists("prompts"));
    // Twice: both files are named.
    p.write("dockhand.lock", "version = 1\n");
    p.dockhand()
        .args(["init"])
        .status(2)
        .stderr("error: [PROJECT]: dockhand.toml, dockhand.lock already exist; nothing was written (pass --force to overwrite)\n")
        .run();
    // --force overwrites; .gitignore already has the entry and is left alone.
    p.dockhand()
        .args(["init", "--force"])
        .stdout(format!(
            "overwrote dockhand.toml\noverwrote dockhand.lock\n\
             created prompts/ (empty; `dockhand init --starter` copies in the starter library)\n{NEXT}"
        ))
        .run();
    assert_eq!(
        p.read(".gitignore"),
        "/target\n/.dockhand/dockhand-run.lock\n"
    );
    // An empty library lists nothing, and says how to fill it.
    p.dockhand()
        .args(["prompts", "list"])
        .stderr("no prompts in [PROJECT]/prompts/<tool>/*.md; `dockhand init --starter` copies in the starter library\n")
        .run();
}

#[test]
fn init_dir_creates_the_folder_and_its_config_is_every_setting_commented() {
    let p = Project::empty();
    p.dockhand()
        .args(["init", "web"])
        .stdout(format!(
            "created dockhand.toml\ncreated dockhand.lock\n\
             created prompts/ (empty; `dockhand init --starter` copies in the starter library)\n\
             added to .gitignore: /.dockhand/dockhand-run.lock\n{NEXT}"
        ))
        .run();
    assert!(p.path().join("web/prompts").is_dir());
    let config = p.read("web/dockhand.toml");
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_prepend_module_to_snapshot(false);
    s.bind(|| insta::assert_snapshot!("init_dockhand_toml", config));
    // Every line is a comment, a table header or blank: nothing is set.
    let set: Vec<&str> = config
        .lines()
        .filter(|l| !(l.is_empty() || l.starts_with('#') || l.starts_with('[')))
        .collect();
    assert_eq!(set, Vec::<&str>::new());
    // The project in web/ is found from inside it.
    crate::harness::Test::new()
        .current_dir(&p.path().join("web"))
        .args(["regen", "--offline", "--check"])
        .stdout("nothing to regenerate: dockhand.lock has no artifacts\n")
        .run();
}

#[test]
fn init_outside_git_says_dockhand_commits_with_git() {
    let dir = tempfile::tempdir().unwrap();
    crate::harness::Test::new()
        .current_dir(dir.path())
        .env("GIT_CEILING_DIRECTORIES", dir.path().parent().unwrap().to_string_lossy())
        .arg("init")
        .stdout(format!(
            "created dockhand.toml\ncreated dockhand.lock\n\
             created prompts/ (empty; `dockhand init --starter` copies in the starter library)\n\
             added to .gitignore: /.dockhand/dockhand-run.lock\n\
             note: not inside a git repository; dockhand commits what it writes: run `git init` (or pass --no-commit)\n{NEXT}"
        ))
        .run();
}
