//! `dockhand session`, driven through a real pseudo-terminal by
//! tests/pty-driver.py (stdlib Python) with scripted keys, against the OpenAI
//! test server, in a real git repository.

use std::path::Path;

use std::time::Duration;

use serde_json::Value;

use crate::harness::{Project, fixture};
use crate::openai_server::{Reply, TestServer, chat_sse};

const KEY: &str = "sk-test-DOCKHAND-session-1234567890";
const TARGET: &str = "charts/todo-app/templates/backend-deployment.yaml";
const CTRL_C: &str = "\u{3}";
const CTRL_D: &str = "\u{4}";
const MENU: &str = "[s]kip";

fn answer() -> String {
    std::fs::read_to_string(fixture("answers/backend-deployment.md")).unwrap()
}

/// The manifest in an answer, as `dockhand extract` prints it.
fn artifact(answer: &str) -> String {
    crate::harness::Test::new()
        .arg("extract")
        .stdin(answer)
        .run()
        .stdout
}

/// (backend, hand_written, model) of the lock's entry for `path`.
fn locked(p: &Project, path: &str) -> (String, bool, Option<String>) {
    let lock: toml::Value = toml::from_str(&p.read("dockhand.lock")).unwrap();
    let e = lock["artifact"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"].as_str() == Some(path))
        .unwrap_or_else(|| panic!("no lock entry for {path}"));
    (
        e["backend"].as_str().unwrap().to_owned(),
        e["hand_written"].as_bool().unwrap(),
        e.get("model").and_then(|m| m.as_str()).map(str::to_owned),
    )
}

fn openai(hand_written: bool, edited: bool) -> (String, bool, Option<String>) {
    (
        if edited { "openai+edited" } else { "openai" }.to_owned(),
        hand_written,
        Some("gpt-4o-mini".to_owned()),
    )
}

use crate::harness::Step::{Expect, File, Send, Sleep};
use crate::harness::{PtyRun as Run, Step};

/// Choose backend-deployment in the prompt list.
const CHOOSE: [Step<'static>; 3] = [Expect("filter>"), Send("backend-dep"), Send("\r")];

/// Run `dockhand session --backend openai` in a pty with `steps`, then wait for it to exit.
fn session(p: &Project, server: &TestServer, env: &[(&str, &str)], steps: &[Step]) -> Run {
    let mut t = p
        .dockhand()
        .args(["session", "--backend", "openai"])
        .env("OPENAI_BASE_URL", server.base_url())
        .env("OPENAI_API_KEY", KEY);
    for (k, v) in env {
        t = t.env(k, *v);
    }
    crate::harness::pty(t, steps)
}

fn steps<'a>(parts: &[&[Step<'a>]]) -> Vec<Step<'a>> {
    parts.iter().flat_map(|p| p.iter().copied()).collect()
}

#[test]
fn accept_asks_missing_variables_streams_writes_and_commits() {
    let p = Project::seeded();
    // backend_replicas is not set in dockhand.toml: the session asks for it.
    p.write(
        "dockhand.toml",
        &p.read("dockhand.toml")
            .replace("backend_replicas = 2\n", ""),
    );
    p.git(&["commit", "-qam", "no replicas"]);
    let server = TestServer::start(vec![chat_sse(&answer())]);
    let run = session(
        &p,
        &server,
        &[],
        &steps(&[
            &CHOOSE,
            &[
                Expect("backend_replicas (integer) [default: 2]: "),
                Send("two\r"),
                Expect("`two` is not an integer; try again"),
                Expect("backend_replicas"),
                Send("3\r"),
                // The answer streams in, then the findings and the diff.
                Expect("asking openai"),
                Expect("kind: Deployment"),
                Expect("+++ b/charts/todo-app/templates/backend-deployment.yaml"),
                Expect("passes validation"),
                Expect("[a]ccept"),
                Send("a"),
                Expect("wrote charts/todo-app/templates/backend-deployment.yaml"),
                Expect("committed"),
                Expect("filter>"),
                Send(CTRL_D),
                Expect("bye"),
            ],
        ]),
    );
    run.assert_clean_exit();
    assert_eq!(server.request_count(), 1);
    let prompt = server.requests()[0].messages()[1].1.clone();
    assert!(
        prompt.contains("replicas: 3,"),
        "the typed value was used: {prompt}"
    );

    assert_eq!(p.read(TARGET), artifact(&answer()));
    assert_eq!(locked(&p, TARGET), openai(false, false));
    assert_eq!(
        p.git(&["log", "-1", "--format=%B"]),
        "dockhand: generate backend-deployment@1.0.0\n\n\
         - charts/todo-app/templates/backend-deployment.yaml (1 attempt)\n\n\
         Dockhand-Prompt: backend-deployment@1.0.0\n\
         Dockhand-Backend: openai\n\
         Dockhand-Model: gpt-4o-mini\n\n"
    );
    assert_eq!(p.git(&["status", "--porcelain"]), "");
    assert!(!run.transcript.contains(KEY));
}

#[test]
fn reprompt_sends_the_conversation_with_the_feedback() {
    let p = Project::seeded();
    let second = answer().replace("replicas: 2", "replicas: 3");
    let server = TestServer::start(vec![chat_sse(&answer()), chat_sse(&second)]);
    let run = session(
        &p,
        &server,
        &[],
        &steps(&[
            &CHOOSE,
            &[
                Expect("passes validation"),
                Expect(MENU),
                Send("r"),
                Expect("your feedback"),
                Send("Use three replicas, please.\r"),
                Expect("replicas: 3"),
                // The answer after the reprompt is the prompt's second.
                Expect("answer 2 from openai (gpt-4o-mini): 0 error(s)"),
                // The diff is against the file on disk (none yet).
                Expect("+  replicas: 3"),
                Expect("[a]ccept"),
                Send("a"),
                Expect("committed"),
                Expect("filter>"),
                Send(CTRL_D),
            ],
        ]),
    );
    run.assert_clean_exit();
    assert_eq!(server.request_count(), 2, "{}", run.context());
    let first = server.requests()[0].messages();
    let msgs = server.requests()[1].messages();
    // system, the filled prompt, the first answer, the feedback.
    assert_eq!(msgs.len(), 4, "{msgs:?}");
    assert_eq!(msgs[0], first[0]);
    assert_eq!(msgs[1], first[1]);
    assert_eq!(msgs[2], ("assistant".to_owned(), answer()));
    assert_eq!(
        msgs[3],
        ("user".to_owned(), "Use three replicas, please.".to_owned())
    );
    assert_eq!(p.read(TARGET), artifact(&second));
    assert_eq!(locked(&p, TARGET), openai(false, false));
}

/// An editor script: the first run breaks the artifact, the second fixes it
/// differently; every run notes its arguments.
fn editor_script(dir: &Path) -> String {
    let script = dir.join("edit.sh");
    std::fs::write(
        &script,
        format!(
            r#"for f; do :; done
printf '%s\n' "$@" >> '{log}'
if [ -f '{state}' ]; then
  sed -i 's/replicas: two/replicas: 4/' "$f"
else
  : > '{state}'
  sed -i 's/replicas: 2/replicas: two/' "$f"
fi
"#,
            log = dir.join("args.log").display(),
            state = dir.join("state").display()
        ),
    )
    .unwrap();
    format!("sh {} --wait", script.display())
}

#[test]
fn edit_is_validated_again_and_recorded_as_hand_edited() {
    let p = Project::seeded();
    let tools = tempfile::tempdir().unwrap();
    let editor = editor_script(tools.path());
    let server = TestServer::start(vec![chat_sse(&answer())]);
    let run = session(
        &p,
        &server,
        &[("EDITOR", editor.as_str())],
        &steps(&[
            &CHOOSE,
            &[
                Expect("passes validation"),
                Expect(MENU),
                Send("e"),
                // The first edit does not validate: it cannot be accepted.
                Expect("answer 1 from openai (gpt-4o-mini): 0 error(s)"),
                Expect("edited by hand: 1 error(s)"),
                Expect("schema/type"),
                Expect("it cannot be accepted as it is"),
                Expect(
                    "[r]eprompt  [e]dit  [d]iff  [s]kip  (cannot accept: it fails validation) > ",
                ),
                Send("a"),
                Expect("cannot accept: 1 error(s)"),
                Send("e"),
                Expect("edited by hand: 0 error(s)"),
                Expect("+  replicas: 4"),
                Expect("passes validation"),
                Expect("[a]ccept"),
                Send("a"),
                Expect("recorded as edited by hand (backend openai+edited"),
                Expect("committed"),
                Expect("filter>"),
                Send(CTRL_D),
            ],
        ]),
    );
    run.assert_clean_exit();
    assert_eq!(server.request_count(), 1);
    // $EDITOR was split into words, and the file came last, as its own argument.
    let args = std::fs::read_to_string(tools.path().join("args.log")).unwrap();
    let args: Vec<&str> = args.lines().collect();
    assert_eq!(args.len(), 4, "{args:?}");
    assert_eq!(args[0], "--wait");
    assert!(args[1].ends_with("/backend-deployment.yaml"), "{args:?}");
    assert!(
        !Path::new(args[1]).exists(),
        "the temporary copy is removed"
    );

    assert_eq!(
        p.read(TARGET),
        artifact(&answer()).replace("replicas: 2", "replicas: 4")
    );
    assert_eq!(locked(&p, TARGET), openai(true, true));
    let msg = p.git(&["log", "-1", "--format=%B"]);
    assert_eq!(
        msg,
        "dockhand: generate backend-deployment@1.0.0\n\n\
         - charts/todo-app/templates/backend-deployment.yaml (2 attempts)\n\n\
         Dockhand-Prompt: backend-deployment@1.0.0\n\
         Dockhand-Backend: openai+edited (hand-written)\n\
         Dockhand-Model: gpt-4o-mini\n\n"
    );
    // The cache holds the assistant's answer as it was, and the edit, marked as such.
    let cached: Vec<Value> = p
        .files()
        .into_iter()
        .filter(|f| f.starts_with(".dockhand/cache/"))
        .map(|f| serde_json::from_str(&p.read(&f)).unwrap())
        .collect();
    assert_eq!(cached.len(), 2, "{cached:?}");
    let original = cached
        .iter()
        .find(|e| e["backend"] == "openai")
        .expect("the answer");
    assert_eq!(original["response"].as_str(), Some(answer().as_str()));
    assert_eq!(original["hand_written"], false);
    let edited = cached
        .iter()
        .find(|e| e["backend"] == "openai+edited")
        .expect("the edit");
    assert_eq!(edited["hand_written"], true);
    assert!(edited["response"].as_str().unwrap().contains("replicas: 4"));
    // regen replays the edit from the cache: no drift, no request.
    p.dockhand().args(["regen", "--check", "--offline"]).run();
    assert_eq!(server.request_count(), 1);
}

#[test]
fn ctrl_c_cancels_a_slow_request_and_the_session_goes_on() {
    let p = Project::seeded();
    // Each request leaves a marker file as it arrives, so that Ctrl-C is sent
    // while the server holds it.
    let marks = tempfile::tempdir().unwrap();
    let dir = marks.path().to_owned();
    let script = [
        Reply::Delay(Duration::from_secs(30), Box::new(chat_sse(&answer()))),
        chat_sse(&answer()),
        Reply::Delay(Duration::from_secs(30), Box::new(chat_sse("late"))),
    ];
    let seen = std::sync::Mutex::new(0usize);
    let server = TestServer::with_handler(move |_| {
        let mut n = seen.lock().unwrap();
        std::fs::write(dir.join(format!("request-{}", *n + 1)), "").unwrap();
        *n += 1;
        script[(*n - 1).min(script.len() - 1)].clone()
    });
    let first = marks
        .path()
        .join("request-1")
        .to_string_lossy()
        .into_owned();
    let third = marks
        .path()
        .join("request-3")
        .to_string_lossy()
        .into_owned();
    let run = session(
        &p,
        &server,
        &[],
        &steps(&[
            &CHOOSE,
            &[
                Expect("Ctrl-C cancels)"),
                File(&first),
                Send(CTRL_C),
                Expect("cancelled"),
            ],
            &CHOOSE,
            &[
                Expect("passes validation"),
                Expect(MENU),
                // Ctrl-C during a reprompt goes back to the menu with the answer kept.
                Send("r"),
                Expect("your feedback"),
                Send("more\r"),
                Expect("Ctrl-C cancels)"),
                File(&third),
                Send(CTRL_C),
                Expect("back to the previous answer"),
                Expect("[a]ccept"),
                Send("a"),
                Expect("committed"),
                Expect("filter>"),
                Send(CTRL_D),
            ],
        ]),
    );
    run.assert_clean_exit();
    assert_eq!(server.request_count(), 3, "{}", run.context());
    assert_eq!(server.requests()[2].last_user_message(), "more");
    assert_eq!(p.read(TARGET), artifact(&answer()));
    assert_eq!(p.commit_count(), 3);
}

#[test]
fn ctrl_d_leaves_cleanly_and_ctrl_c_does_not() {
    let p = Project::seeded();
    let server = TestServer::start(vec![chat_sse(&answer())]);
    let run = session(
        &p,
        &server,
        &[],
        &[
            Expect("filter>"),
            Send(CTRL_C),
            Expect("Ctrl-D leaves the session"),
            Expect("filter>"),
            // Skip an answer, then leave from the menu.
            Send("backend-dep\r"),
            Expect(MENU),
            Send("s"),
            Expect("skipped backend-deployment@1.0.0: nothing written"),
            Expect("filter>"),
            Send("backend-dep\r"),
            Expect(MENU),
            Send(CTRL_D),
            Expect("bye"),
        ],
    );
    run.assert_clean_exit();
    assert!(!p.exists(TARGET));
    assert_eq!(p.commit_count(), 2);
}

#[test]
fn the_prompt_list_filters_by_subsequence() {
    let p = Project::seeded();
    let server = TestServer::start(vec![]);
    let run = session(
        &p,
        &server,
        &[],
        &[
            Expect("filter>"),
            Expect("frontend@1.0.0"),
            // `bkdf` is a subsequence of backend-dockerfile only; `next` matches a description.
            Send("bkdf"),
            Expect("filter> bkdf"),
            Sleep(0.2),
            Send(CTRL_C),
            Send("zzzz"),
            Expect("(no prompt matches)"),
            Send("\u{15}"),
            Send(CTRL_D),
            Expect("bye"),
        ],
    );
    run.assert_clean_exit();
    let after = run
        .transcript
        .split("filter> bkdf")
        .nth(1)
        .unwrap_or_default();
    let frame = after.split("filter>").next().unwrap_or_default();
    assert!(
        frame.contains("backend-dockerfile@1.0.0"),
        "{}",
        run.context()
    );
    assert!(
        !frame.contains("backend-deployment@1.0.0"),
        "{}",
        run.context()
    );
    assert_eq!(server.request_count(), 0);
}

#[test]
fn without_a_terminal_it_fails_with_a_pointer_to_generate() {
    let p = Project::seeded();
    p.dockhand()
        .arg("session")
        .status(2)
        .stderr(
            "error: `dockhand session` is interactive and needs a terminal on stdin and stdout; \
             in scripts use `dockhand generate ID` (or `dockhand review`)\n",
        )
        .run();
}

#[test]
fn editing_a_prompt_with_several_targets_routes_the_edit_back() {
    let p = Project::seeded();
    let tools = tempfile::tempdir().unwrap();
    let script = tools.path().join("edit.sh");
    std::fs::write(&script, "sed -i 's/replicas: 2/replicas: 5/' \"$1\"\n").unwrap();
    let editor = format!("sh '{}'", script.display());
    let answer = std::fs::read_to_string(fixture("answers/frontend.md")).unwrap();
    let server = TestServer::start(vec![chat_sse(&answer)]);
    let run = session(
        &p,
        &server,
        &[("EDITOR", editor.as_str())],
        &[
            Expect("filter>"),
            Send("frontend@\r"),
            Expect("prompt: frontend@1.0.0"),
            Expect("passes validation"),
            Expect(MENU),
            Send("e"),
            Expect("edited by hand: 0 error(s)"),
            Expect("+  replicas: 5"),
            Expect("[a]ccept"),
            Send("a"),
            Expect("committed"),
            Expect("filter>"),
            Send(CTRL_D),
        ],
    );
    run.assert_clean_exit();
    assert!(
        p.read("charts/todo-app/templates/frontend-deployment.yaml")
            .contains("replicas: 5")
    );
    let service = p.read("charts/todo-app/templates/frontend-service.yaml");
    assert!(
        service.starts_with("apiVersion: v1\nkind: Service\n"),
        "{service}"
    );
    let lock = p.read("dockhand.lock");
    assert_eq!(
        lock.matches("backend = \"openai+edited\"").count(),
        2,
        "{lock}"
    );
    p.dockhand().args(["regen", "--check", "--offline"]).run();
}
