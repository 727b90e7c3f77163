//! Asking again: `--refresh` asks the live backend although the cache holds an answer, and
//! `review --model M` asks that model instead of replaying the lock's record.

use crate::backends::answer;
use crate::harness::Project;
use crate::openai_server::{TestServer, chat_json};

fn service_answer() -> String {
    std::fs::read_to_string(answer("backend-service")).unwrap()
}

#[test]
fn generate_refresh_asks_the_live_backend_although_the_cache_holds_an_answer() {
    let p = Project::seeded();
    let first = TestServer::start(vec![chat_json(&service_answer())]);
    p.dockhand()
        .args(["generate", "backend-service", "--backend", "openai"])
        .openai(&first)
        .run();
    assert_eq!(first.request_count(), 1);

    // Without --refresh the recorded answer is replayed: the server is not asked.
    let second = TestServer::start(vec![chat_json(&service_answer())]);
    let out = p
        .dockhand()
        .args(["-q", "generate", "backend-service", "--backend", "openai"])
        .openai(&second)
        .run();
    assert_eq!(
        (
            out.stdout.as_str(),
            out.stderr.as_str(),
            second.request_count()
        ),
        ("up to date: nothing changed\n", "", 0)
    );

    // With --refresh it is, and its new answer is written.
    let changed = service_answer().replace("protocol: TCP", "protocol: TCP\n      name: http");
    let third = TestServer::start(vec![chat_json(&changed)]);
    let out = p
        .dockhand()
        .args([
            "-q",
            "generate",
            "backend-service",
            "--backend",
            "openai",
            "--refresh",
            "--no-commit",
        ])
        .openai(&third)
        .run();
    assert_eq!(
        (
            out.stdout.as_str(),
            out.stderr.as_str(),
            third.request_count()
        ),
        (
            "wrote charts/todo-app/templates/backend-service.yaml\nwrote dockhand.lock\n",
            "",
            1
        )
    );
    assert!(
        p.read("charts/todo-app/templates/backend-service.yaml")
            .contains("      name: http\n")
    );
}

#[test]
fn refresh_and_offline_are_refused_together() {
    let p = Project::seeded();
    let out = p
        .dockhand()
        .args(["regen", "--offline", "--refresh"])
        .status(2)
        .run();
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str()),
        (
            "",
            "error: the argument '--offline' cannot be used with '--refresh'\n\nUsage: dockhand regen --offline [ID]...\n\nFor more information, try '--help'.\n"
        )
    );
}

#[test]
fn regen_refresh_asks_again_and_regen_without_it_replays() {
    let p = Project::seeded();
    let first = TestServer::start(vec![chat_json(&service_answer())]);
    p.dockhand()
        .args(["generate", "backend-service", "--backend", "openai"])
        .openai(&first)
        .run();
    let idle = TestServer::start(vec![]);
    let out = p
        .dockhand()
        .args(["-q", "regen", "--check"])
        .openai(&idle)
        .run();
    assert_eq!(
        (
            out.stdout.as_str(),
            out.stderr.as_str(),
            idle.request_count()
        ),
        ("", "", 0)
    );
    let changed = service_answer().replace("protocol: TCP", "protocol: TCP\n      name: http");
    let live = TestServer::start(vec![chat_json(&changed)]);
    let out = p
        .dockhand()
        .args(["-q", "regen", "--check", "--refresh", "--backend", "openai"])
        .openai(&live)
        .status(1)
        .run();
    assert_eq!(
        (
            out.stdout.as_str(),
            out.stderr.as_str(),
            live.request_count()
        ),
        (
            "drift: 1 file(s) differ from what the lock and cache reproduce:\n  charts/todo-app/templates/backend-service.yaml\n",
            "",
            1
        )
    );
}

#[test]
fn review_with_another_model_asks_that_model_instead_of_replaying_the_lock() {
    let p = Project::seeded();
    let first = TestServer::start(vec![chat_json(&service_answer())]);
    p.dockhand()
        .args([
            "generate",
            "backend-service",
            "--backend",
            "openai",
            "--model",
            "m-old",
        ])
        .openai(&first)
        .run();
    let changed = service_answer().replace("protocol: TCP", "protocol: TCP\n      name: http");
    let server = TestServer::start(vec![chat_json(&changed)]);
    let out = p
        .dockhand()
        .args([
            "-q",
            "review",
            "backend-service",
            "--backend",
            "openai",
            "--model",
            "m-new",
        ])
        .openai(&server)
        .status(1)
        .run();
    assert_eq!(server.request_count(), 1);
    assert_eq!(
        server.requests()[0].json.as_ref().unwrap()["model"],
        "m-new"
    );
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str()),
        (
            "backend-service@1.1.0 attempt 1: openai model m-new: 0 error(s), 1 warning(s)\n\
charts/todo-app/templates/backend-service.yaml:9:3: warning[policy/service-selector]: Service `todo-backend` selects `app=todo-backend`, but the checked files contain no Deployment or other workload to match it against\n  |\n9 |   selector:\n  |   ^\n  at /spec/selector\n  hint: make the Service's `spec.selector` equal to labels of the Deployment's pod template, and its `targetPort` a `containerPort` (or port name) of that pod\n\
--- a/charts/todo-app/templates/backend-service.yaml\n\
+++ b/charts/todo-app/templates/backend-service.yaml\n\
@@ -12,3 +12,4 @@\n     - port: 8000\n       targetPort: 8000\n       protocol: TCP\n+      name: http\n",
            ""
        )
    );
    // The same model replays the lock's record: nothing to review.
    let idle = TestServer::start(vec![]);
    let out = p
        .dockhand()
        .args([
            "-q",
            "review",
            "backend-service",
            "--backend",
            "openai",
            "--model",
            "m-old",
        ])
        .openai(&idle)
        .run();
    assert_eq!(
        (
            out.stdout.as_str(),
            out.stderr.as_str(),
            idle.request_count()
        ),
        ("", "", 0)
    );
}
