//! `dockhand review`: diff before anything is written; accept with --apply.

use crate::harness::{Project, fixture};
use crate::openai_server::{TestServer, chat_json};

const TARGET: &str = "charts/todo-app/templates/backend-service.yaml";

fn answer(name: &str) -> String {
    std::fs::read_to_string(fixture(&format!("answers/{name}.md"))).unwrap()
}

/// backend-service generated at port 8000, then the config moved to 8001 and the
/// server now answers with the new port.
fn changed() -> (Project, TestServer) {
    let p = Project::seeded();
    p.dockhand()
        .args(["generate", "backend-service", "--response-file"])
        .arg(fixture("answers/backend-service.md").to_string_lossy())
        .run();
    p.write(
        "dockhand.toml",
        &p.read("dockhand.toml")
            .replace("backend_port = 8000", "backend_port = 8001"),
    );
    p.git(&["commit", "-qam", "port 8001"]);
    let server = TestServer::start(vec![chat_json(
        &answer("backend-service").replace("8000", "8001"),
    )]);
    (p, server)
}

#[test]
fn review_shows_the_diff_touches_nothing_and_exits_1() {
    let (p, server) = changed();
    let before = p.read(TARGET);
    let commits = p.commit_count();
    let out = p
        .dockhand()
        .args(["review", "backend-service", "--backend", "openai"])
        .openai(&server)
        .status(1)
        .run();
    assert!(
        out.stdout.contains(&format!("--- a/{TARGET}")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("-    - port: 8000") && out.stdout.contains("+    - port: 8001"),
        "{}",
        out.stdout
    );
    assert_eq!(p.read(TARGET), before);
    assert_eq!(p.commit_count(), commits);
    assert_eq!(p.git(&["status", "--porcelain"]), "");
}

#[test]
fn review_apply_accepts_what_passes_and_commits() {
    let (p, server) = changed();
    let commits = p.commit_count();
    p.dockhand()
        .args([
            "review",
            "backend-service",
            "--backend",
            "openai",
            "--apply",
        ])
        .openai(&server)
        .stdout_has("accepted")
        .run();
    assert!(p.read(TARGET).contains("port: 8001"));
    assert_eq!(p.commit_count(), commits + 1);
}

#[test]
fn review_apply_rejects_what_fails_validation() {
    let p = Project::seeded();
    p.write(
        "dockhand.toml",
        &p.read("dockhand.toml")
            .replace("repair_attempts = 2", "repair_attempts = 0"),
    );
    p.git(&["commit", "-qam", "no repair"]);
    let server = TestServer::start(vec![chat_json(
        &answer("backend-service").replace("targetPort: 8000", "targetPort: [8000]"),
    )]);
    let out = p
        .dockhand()
        .args([
            "review",
            "backend-service",
            "--backend",
            "openai",
            "--apply",
        ])
        .openai(&server)
        .status(1)
        .run();
    assert!(out.stdout.contains("schema/"), "{}", out.stdout);
    assert!(!p.exists(TARGET));
}

#[test]
fn a_new_prompt_version_shows_the_template_diff_beside_the_output() {
    let (p, server) = changed();
    let old = p.read("prompts/kubectl-ai/backend-service@1.1.0.md");
    p.write(
        "prompts/kubectl-ai/backend-service@1.2.0.md",
        &old.replace("version = \"1.1.0\"", "version = \"1.2.0\"")
            .replace(
                "Create one Kubernetes Service",
                "Create exactly one Kubernetes Service",
            ),
    );
    let out = p
        .dockhand()
        .args(["review", "backend-service@1.2.0", "--backend", "openai"])
        .openai(&server)
        .status(1)
        .run();
    assert!(
        out.stdout
            .contains("prompt backend-service@1.1.0 → backend-service@1.2.0"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("+Create exactly one Kubernetes Service"),
        "{}",
        out.stdout
    );
}

mod interactive {
    use super::*;
    use crate::harness::Step::{Expect, Send};
    use crate::harness::pty;

    const DEPLOYMENT: &str = "charts/todo-app/templates/backend-deployment.yaml";

    fn review(
        p: &Project,
        server: &TestServer,
        steps: &[crate::harness::Step],
    ) -> crate::harness::PtyRun {
        let t = p
            .dockhand()
            .args(["review", "--backend", "openai"])
            .openai(server);
        pty(t, steps)
    }

    /// backend-deployment generated, then the config changes replicas and the
    /// assistant also delays the liveness probe (which the prompt's contract
    /// leaves open): two hunks far apart.
    fn two_hunks() -> (Project, TestServer) {
        let p = Project::seeded();
        p.dockhand()
            .args(["generate", "backend-deployment", "--response-file"])
            .arg(fixture("answers/backend-deployment.md").to_string_lossy())
            .run();
        let toml = p
            .read("dockhand.toml")
            .replace("backend_replicas = 2", "backend_replicas = 3");
        p.write("dockhand.toml", &toml);
        p.git(&["commit", "-qam", "more"]);
        let changed = answer("backend-deployment")
            .replace("replicas: 2", "replicas: 3")
            .replace(
                "          livenessProbe:\n            tcpSocket:\n              port: 8000\n",
                "          livenessProbe:\n            tcpSocket:\n              port: 8000\n            initialDelaySeconds: 10\n",
            );
        (p, TestServer::start(vec![chat_json(&changed)]))
    }

    #[test]
    fn accept_a_file_writes_and_commits_it() {
        let (p, server) = two_hunks();
        let run = review(
            &p,
            &server,
            &[Expect("[h]unk by hunk:"), Send("y\r"), Expect("accepted")],
        );
        run.assert_clean_exit();
        let text = p.read(DEPLOYMENT);
        assert!(
            text.contains("replicas: 3") && text.contains("initialDelaySeconds: 10"),
            "{text}"
        );
        assert_eq!(p.git(&["status", "--porcelain"]), "");
        assert!(p.read("dockhand.lock").contains("backend = \"openai\""));
    }

    #[test]
    fn reject_a_file_leaves_everything_as_it_was() {
        let (p, server) = two_hunks();
        let before = p.read(DEPLOYMENT);
        let commits = p.commit_count();
        let run = review(&p, &server, &[Expect("[h]unk by hunk:"), Send("n\r")]);
        run.assert_clean_exit();
        assert!(
            run.transcript.contains("nothing accepted"),
            "{}",
            run.context()
        );
        assert_eq!(p.read(DEPLOYMENT), before);
        assert_eq!(p.commit_count(), commits);
    }

    #[test]
    fn accept_one_hunk_of_two_is_recorded_as_an_edit() {
        let (p, server) = two_hunks();
        let run = review(
            &p,
            &server,
            &[
                Expect("[h]unk by hunk:"),
                Send("h\r"),
                Expect("accept hunk 1/2?"),
                Send("y\r"),
                Expect("accept hunk 2/2?"),
                Send("n\r"),
                Expect("accepted"),
            ],
        );
        run.assert_clean_exit();
        let text = p.read(DEPLOYMENT);
        // Hunk 1 alone keeps the contract (replicas: 3, as now asked); hunk 2 is left out.
        assert!(text.contains("replicas: 3"), "hunk 1 accepted: {text}");
        assert!(
            !text.contains("initialDelaySeconds"),
            "hunk 2 rejected: {text}"
        );
        let lock = p.read("dockhand.lock");
        assert!(lock.contains("backend = \"openai+edited\""), "{lock}");
        let msg = p.git(&["log", "-1", "--format=%B"]);
        assert!(msg.contains("(hand-written)"), "{msg}");
    }
}
