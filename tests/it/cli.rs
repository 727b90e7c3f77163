//! Conventions users expect: completions, man page, colour, -q, exit codes, precedence.

use crate::harness::{Project, Test, fixture};
use crate::openai_server::{TestServer, chat_json};

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish"] {
        Test::new()
            .args(["completions", shell])
            .stdout_has("regen")
            .run();
    }
    Test::new().args(["man"]).stdout_has(".TH dockhand").run();
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    Test::new().args(["frobnicate"]).status(2).run();
    Test::new().args(["--help"]).stdout_has("regen").run();
}

#[test]
fn color_always_colours_and_no_color_is_honoured_for_auto() {
    let bad = fixture("manifests/bad/wrong-type.yaml")
        .to_string_lossy()
        .into_owned();
    let p = Project::empty();
    let out = p
        .dockhand()
        .args(["--color", "always", "validate", &bad])
        .status(1)
        .run();
    assert!(out.stdout.contains("\x1b[1;31merror"), "{}", out.stdout);
    // The harness sets NO_COLOR=1; auto (and never) stay plain.
    let out = p.dockhand().args(["validate", &bad]).status(1).run();
    assert!(!out.stdout.contains('\x1b'));
    let out = p
        .dockhand()
        .args(["--color", "never", "validate", &bad])
        .status(1)
        .run();
    assert!(!out.stdout.contains('\x1b'));
}

#[test]
fn quiet_hides_progress_but_not_results() {
    let p = Project::seeded();
    let out = p
        .dockhand()
        .args(["-q", "generate", "frontend-configmap", "--response-file"])
        .arg(fixture("answers/frontend-configmap.md").to_string_lossy())
        .stdout_has("wrote charts/todo-app/templates/configmap.yaml")
        .run();
    assert!(!out.stderr.contains("attempt 1"), "{}", out.stderr);
}

#[test]
fn model_precedence_is_flag_then_env_then_config() {
    let p = Project::seeded();
    let answer = std::fs::read_to_string(fixture("answers/frontend-configmap.md")).unwrap();
    let server = TestServer::start(vec![chat_json(&answer)]);
    let run = |extra: &[&str], env_model: Option<&str>| {
        let mut t = p
            .dockhand()
            .args([
                "generate",
                "frontend-configmap",
                "--backend",
                "openai",
                "--no-commit",
                "--force",
            ])
            .args(extra.iter().copied())
            .openai(&server);
        if let Some(m) = env_model {
            t = t.env("DOCKHAND_MODEL", m);
        }
        t.run();
        let reqs = server.requests();
        reqs.last().unwrap().json.as_ref().unwrap()["model"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(run(&[], None), "gpt-4o-mini");
    assert_eq!(run(&[], Some("env-model")), "env-model");
    assert_eq!(
        run(&["--model", "flag-model"], Some("env-model")),
        "flag-model"
    );
}

#[test]
fn a_broken_dockhand_toml_names_its_line() {
    let p = Project::seeded();
    p.write(
        "dockhand.toml",
        &format!("{}\n[broker]\nchian = []\n", p.read("dockhand.toml")),
    );
    let out = p.dockhand().args(["prompts", "list"]).status(2).run();
    assert!(out.stderr.contains("dockhand.toml:"), "{}", out.stderr);
}
