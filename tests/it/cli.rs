//! Conventions users expect: help, completions, man pages, colour, -q, exit
//! codes, precedence, and clear answers outside a project. Whole-output
//! comparisons (stdout, stderr and status), snapshots where long.

use std::path::Path;
use std::process::Command;

use crate::harness::{Project, Step, Test, fixture, pty_command};
use crate::openai_server::{TestServer, chat_json};

fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_prepend_module_to_snapshot(false);
    s
}

#[test]
fn help_has_examples_and_global_flags_under_their_own_heading() {
    let main = Test::new().arg("--help").run();
    let generate = Test::new().args(["generate", "--help"]).run();
    let prompts_render = Test::new().args(["prompts", "render", "-h"]).run();
    assert_eq!(
        (main.stderr.as_str(), generate.stderr.as_str()),
        ("", ""),
        "help is written to stdout only"
    );
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("help_main", main.stdout);
        insta::assert_snapshot!("help_generate", generate.stdout);
        insta::assert_snapshot!("help_prompts_render_short", prompts_render.stdout);
    });
}

#[test]
fn usage_errors_exit_2_with_the_usage() {
    Test::new()
        .arg("frobnicate")
        .status(2)
        .stderr(
            "error: unrecognized subcommand 'frobnicate'\n\nUsage: dockhand [OPTIONS] <COMMAND>\n\nFor more information, try '--help'.\n",
        )
        .run();
}

/// A project with a small library of its own (stable whatever the repo's prompts become).
fn library_project() -> Project {
    let p = Project::empty();
    let prompt = |id: &str, version: &str, description: &str| {
        format!(
            "+++\nid = \"{id}\"\nversion = \"{version}\"\ntool = \"kubectl-ai\"\noutput = \"kubernetes\"\n\
             description = \"{description}\"\ntargets = [\"charts/x/{id}.yaml\"]\n+++\nCreate {id}.\n"
        )
    };
    p.write("dockhand.toml", "");
    p.write(
        "prompts/kubectl-ai/web@1.0.0.md",
        &prompt("web", "1.0.0", "The web Deployment"),
    );
    p.write(
        "prompts/kubectl-ai/web@1.1.0.md",
        &prompt("web", "1.1.0", "The web Deployment, probes added"),
    );
    p.write(
        "prompts/kubectl-ai/web-config@1.0.0.md",
        &prompt("web-config", "1.0.0", "The web ConfigMap"),
    );
    p.write(
        "prompts/kubectl-ai/worker@1.0.0.md",
        &prompt("worker", "1.0.0", "The worker Deployment"),
    );
    p
}

/// Ask `shell` to complete `line` (the last word is the one completed) with
/// the script `dockhand completions SHELL` prints, in `dir`. None when the
/// shell is not installed.
fn complete_in(shell: &str, dir: &Path, line: &str) -> Option<String> {
    let script = Test::new().args(["completions", shell]).run().stdout;
    let file = dir.join(format!("completion.{shell}"));
    std::fs::write(&file, script).unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_dockhand")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let words: Vec<&str> = line.split(' ').collect();
    let quoted = |ws: &[&str]| {
        ws.iter()
            .map(|w| format!("'{w}'"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (program, code) = match shell {
        "bash" => (
            "bash",
            format!(
                "source '{}'; COMP_WORDS=({}); COMP_CWORD={}; _dockhand; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
                file.display(),
                quoted(&words),
                words.len() - 1
            ),
        ),
        "zsh" => (
            "zsh",
            format!(
                "compdef() {{ :; }}; _files() {{ print FILES; }}; \
                 compadd() {{ while [[ $1 != -- ]]; do shift; done; shift; print -l -- \"$@\"; }}; \
                 source '{}'; words=({}); CURRENT={}; _dockhand",
                file.display(),
                quoted(&words),
                words.len()
            ),
        ),
        "fish" => (
            "fish",
            format!("source '{}'; complete -C '{line}'", file.display()),
        ),
        _ => unreachable!(),
    };
    let mut cmd = Command::new(program);
    if shell == "zsh" {
        cmd.arg("-f");
    }
    if shell == "fish" {
        cmd.arg("--no-config");
    }
    let out = match cmd
        .arg("-c")
        .arg(&code)
        .current_dir(dir)
        .env("PATH", path)
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir)
        .env("XDG_DATA_HOME", dir)
        .output()
    {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => panic!("{shell}: {e}"),
    };
    assert!(
        out.status.success(),
        "{shell} -c {code}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn completions_offer_prompt_ids_versions_and_backends_in_bash_zsh_and_fish() {
    let p = library_project();
    let cases: &[(&str, &str, &str)] = &[
        (
            "dockhand generate we",
            "web\nweb@1.0.0\nweb@1.1.0\nweb-config\nweb-config@1.0.0\n",
            "web\tThe web Deployment\nweb@1.0.0\tThe web Deployment\nweb@1.1.0\tThe web Deployment, probes added\nweb-config\tThe web ConfigMap\nweb-config@1.0.0\tThe web ConfigMap\n",
        ),
        (
            "dockhand prompts diff web@1.0.0 web@",
            "web@1.0.0\nweb@1.1.0\n",
            "web@1.0.0\tThe web Deployment\nweb@1.1.0\tThe web Deployment, probes added\n",
        ),
        (
            "dockhand regen w",
            "web\nweb-config\nworker\n",
            "web\tThe web Deployment\nweb-config\tThe web ConfigMap\nworker\tThe worker Deployment\n",
        ),
        (
            "dockhand generate web --backend k",
            "kubectl-ai\nkagent\n",
            // fish sorts what it is given
            "kagent\tbackend\nkubectl-ai\tbackend\n",
        ),
        (
            "dockhand session --backend ",
            "cache\nopenai\ngordon\nkubectl-ai\nkagent\n",
            "cache\tbackend\ngordon\tbackend\nkagent\tbackend\nkubectl-ai\tbackend\nopenai\tbackend\n",
        ),
    ];
    let mut skipped = Vec::new();
    for shell in ["bash", "zsh", "fish"] {
        for (line, plain, fish) in cases {
            let Some(got) = complete_in(shell, p.path(), line) else {
                skipped.push(shell);
                break;
            };
            let want = if shell == "fish" { fish } else { plain };
            assert_eq!(&got, want, "{shell}: {line}");
        }
    }
    if !skipped.is_empty() {
        eprintln!("SKIPPED completion checks in {skipped:?}: shell not installed");
    }
}

#[test]
fn the_complete_protocol_answers_files_for_paths_and_nothing_outside_a_project() {
    let p = library_project();
    p.dockhand()
        .args([
            "__complete",
            "bash",
            "--",
            "generate",
            "--response-file",
            "",
        ])
        .stdout("__files__\n")
        .run();
    // Outside a project there are no prompt IDs, and no error either.
    let empty = Project::empty();
    empty
        .dockhand()
        .args(["__complete", "bash", "--", "generate", "we"])
        .stdout("")
        .run();
    // `--root` typed on the line is where the IDs come from.
    empty
        .dockhand()
        .args(["__complete", "bash", "--", "--root"])
        .arg(p.path().to_string_lossy())
        .args(["generate", "wor"])
        .stdout("worker\nworker@1.0.0\n")
        .run();
}

#[test]
fn man_writes_one_page_per_command_and_no_page_refers_to_a_missing_one() {
    let p = Project::empty();
    let out = p.path().join("man");
    p.dockhand()
        .args(["man", "--dir"])
        .arg(out.to_string_lossy())
        .stdout("wrote 18 man pages into [PROJECT]/man\n")
        .run();
    let mut pages: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    assert_eq!(
        pages,
        [
            "dockhand-completions.1",
            "dockhand-doctor.1",
            "dockhand-extract.1",
            "dockhand-generate.1",
            "dockhand-health.1",
            "dockhand-init.1",
            "dockhand-man.1",
            "dockhand-mcp.1",
            "dockhand-prompts-diff.1",
            "dockhand-prompts-list.1",
            "dockhand-prompts-render.1",
            "dockhand-prompts-show.1",
            "dockhand-prompts.1",
            "dockhand-regen.1",
            "dockhand-review.1",
            "dockhand-session.1",
            "dockhand-validate.1",
            "dockhand.1",
        ]
    );
    let mut referenced = Vec::new();
    for page in &pages {
        let text = std::fs::read_to_string(out.join(page)).unwrap();
        for (i, _) in text.match_indices("(1)") {
            let start = text[..i]
                .rfind(|c: char| c.is_whitespace() || c == '"')
                .map(|s| s + 1)
                .unwrap_or(0);
            let name = text[start..i].replace("\\-", "-");
            referenced.push(format!("{name}.1"));
        }
    }
    referenced.sort();
    referenced.dedup();
    let missing: Vec<&String> = referenced.iter().filter(|r| !pages.contains(r)).collect();
    assert!(
        missing.is_empty(),
        "pages referred to but not written: {missing:?}"
    );
    assert!(referenced.len() >= 12, "{referenced:?}");
    // One page on stdout.
    let page = p.dockhand().args(["man", "prompts", "diff"]).run();
    snapshot_settings().bind(|| insta::assert_snapshot!("man_prompts_diff", page.stdout));
    p.dockhand()
        .args(["man", "frobnicate"])
        .status(2)
        .stderr("error: no command `frobnicate` (see `dockhand --help`)\n")
        .run();
}

/// `--color always` colours, `never` and `auto` (the harness sets NO_COLOR)
/// do not, and the only difference is the escape codes.
#[test]
fn color_always_colours_and_no_color_is_honoured_for_auto() {
    let bad = fixture("manifests/bad/wrong-type.yaml")
        .to_string_lossy()
        .into_owned();
    let p = Project::empty();
    let run = |color: &str| {
        p.dockhand()
            .args(["--color", color, "validate", &bad])
            .status(1)
            .run()
    };
    let (always, never, auto) = (run("always"), run("never"), run("auto"));
    assert_ne!(always.stdout, never.stdout, "always has colour");
    assert_eq!(
        String::from_utf8(strip_ansi_escapes::strip(&always.stdout)).unwrap(),
        never.stdout
    );
    assert_eq!(auto.stdout, never.stdout);
    assert_eq!((never.stderr.as_str(), auto.stderr.as_str()), ("", ""));
}

/// When stdout is a terminal and stderr is redirected, stderr stays plain
/// (each stream decides for itself); on the terminal the same error is red.
#[test]
fn a_redirected_stderr_gets_no_colour_codes_when_stdout_is_a_terminal() {
    let p = library_project();
    let err = p.path().join("stderr.txt");
    let run = |redirect: bool| {
        let mut cmd = Command::new("sh");
        let script = if redirect {
            format!("exec \"$0\" \"$@\" 2>'{}'", err.display())
        } else {
            "exec \"$0\" \"$@\"".to_owned()
        };
        cmd.arg("-c")
            .arg(script)
            .arg(env!("CARGO_BIN_EXE_dockhand"))
            .args(["prompts", "show", "wbe"])
            .current_dir(p.path())
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR")
            .env_remove("CLICOLOR_FORCE");
        pty_command(cmd, &[Step::Sleep(0.0)])
    };
    let run_redirected = run(true);
    assert_eq!(
        run_redirected.status,
        Some(2),
        "{}",
        run_redirected.context()
    );
    assert_eq!(
        std::fs::read_to_string(&err).unwrap(),
        "error: no prompt `wbe` in the library; did you mean `web`?\n"
    );
    let on_terminal = run(false);
    assert_eq!(
        on_terminal.raw,
        "\x1b[1m\x1b[31merror\x1b[0m: no prompt `wbe` in the library; did you mean `web`?\r\n"
    );
}

#[test]
fn quiet_hides_progress_but_not_results() {
    let p = Project::seeded();
    p.dockhand()
        .args(["-q", "generate", "frontend-configmap", "--response-file"])
        .arg(fixture("answers/frontend-configmap.md").to_string_lossy())
        .stdout(
            "wrote charts/todo-app/templates/configmap.yaml\n\
             wrote .dockhand/cache/[SHA].json\n\
             wrote dockhand.lock\n\
             committed [SHA]\n",
        )
        .run();
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
    let text = format!("{}\n[broker]\nchian = []\n", p.read("dockhand.toml"));
    let line = text.lines().count() - 1;
    p.write("dockhand.toml", &text);
    p.dockhand()
        .args(["prompts", "list"])
        .status(2)
        .stderr(format!(
            "error: [PROJECT]/dockhand.toml:{line}: duplicate key\n"
        ))
        .run();
}

/// Every command that needs a project says so, exit 2; the ones that do not work.
#[test]
fn outside_a_project_commands_exit_2_and_say_run_dockhand_init() {
    let p = Project::empty();
    let no_project = "error: no dockhand.toml in [PROJECT] or any parent; run `dockhand init`\n";
    for args in [
        &["prompts", "list"][..],
        &["prompts", "show", "web"],
        &["prompts", "render", "web"],
        &["prompts", "diff", "web@1.0.0", "web@1.1.0"],
        &["generate", "web"],
        &["regen", "--check"],
        &["regen", "--offline"],
        &["review"],
        &["health"],
    ] {
        p.dockhand()
            .args(args.iter().copied())
            .status(2)
            .stderr(no_project)
            .run();
    }
    // A sub-folder of no project says where it looked from.
    std::fs::create_dir_all(p.path().join("sub")).unwrap();
    Test::new()
        .current_dir(&p.path().join("sub"))
        .filter(p.path().to_string_lossy(), "[TOP]")
        .args(["regen", "--check"])
        .status(2)
        .stderr("error: no dockhand.toml in [TOP]/sub or any parent; run `dockhand init`\n")
        .run();
    // --root names a folder without dockhand.toml.
    p.dockhand()
        .args(["--root", "."])
        .args(["regen", "--check"])
        .status(2)
        .stderr("error: no dockhand.toml in [PROJECT]; run `dockhand init [PROJECT]`\n")
        .run();
    // These need no project.
    let good = fixture("manifests/good").to_string_lossy().into_owned();
    p.dockhand().args(["validate", &good]).run();
    p.dockhand()
        .args(["extract", "--as", "dockerfile"])
        .stdin("```dockerfile\nFROM alpine:3.20\n```\n")
        .stdout("FROM alpine:3.20\n")
        .run();
    p.dockhand().args(["completions", "bash"]).run();
    p.dockhand().args(["man"]).run();
    // doctor reports on this machine (its lines vary with what is installed).
    p.dockhand().args(["doctor"]).run();
}

#[test]
fn a_mistyped_prompt_id_suggests_the_nearest() {
    let p = library_project();
    p.dockhand()
        .args(["prompts", "render", "wbe"])
        .status(2)
        .stderr("error: no prompt `wbe` in the library; did you mean `web`?\n")
        .run();
    p.dockhand()
        .args(["generate", "web-confg"])
        .status(2)
        .stderr("error: no prompt `web-confg` in the library; did you mean `web-config`?\n")
        .run();
    p.dockhand()
        .args(["prompts", "show", "web@2.0.0"])
        .status(2)
        .stderr(
            "error: no prompt `web@2.0.0` in the library; did you mean `web@1.1.0` or `web@1.0.0`?\n",
        )
        .run();
    p.dockhand()
        .args(["prompts", "show", "database"])
        .status(2)
        .stderr("error: no prompt `database` in the library (known: web@1.0.0, web@1.1.0, web-config@1.0.0, worker@1.0.0)\n")
        .run();
}
