//! kagent: argv, both A2A shapes, failures, sessions, and the fake end to end.

use super::super::process::test_support::{
    captured, cfg, fixture, logged_argvs, run_fake, s, temp_log,
};
use super::*;

const ARGV: &[&str] = &["kagent", "invoke", "--agent", "k8s-agent", "--task", "t"];
fn ok(stdout: &str) -> Captured {
    captured(ARGV, 0, stdout, "")
}

#[test]
fn argv_shapes() {
    assert_eq!(
        argv(&cfg(), "k8s-agent", "Check pod health", None, None, false),
        s(&[
            "kagent",
            "invoke",
            "--agent",
            "k8s-agent",
            "--task",
            "Check pod health"
        ])
    );
    let c = ToolConfig {
        binary: Some("/usr/local/bin/kagent".into()),
        extra_args: s(&["--verbose"]),
        timeout: Duration::from_secs(120),
    };
    assert_eq!(
        argv(
            &c,
            "helm-agent",
            "--task-like text",
            Some("kagent"),
            Some("http://localhost:8083"),
            true
        ),
        s(&[
            "/usr/local/bin/kagent",
            "invoke",
            "--agent",
            "helm-agent",
            "--task",
            "--task-like text",
            "--namespace",
            "kagent",
            "--kagent-url",
            "http://localhost:8083",
            "--stream",
            "--verbose"
        ])
    );
    assert_eq!(
        argv(&cfg(), "a", "t", Some(""), Some(""), false),
        s(&["kagent", "invoke", "--agent", "a", "--task", "t"])
    );
    let inv = invocation(&c, "a", "t", None, None, false);
    assert_eq!(inv.stdin, None);
    assert_eq!(inv.timeout, Duration::from_secs(120));
    let big = "x".repeat(MAX_TASK_ARG + 1);
    let inv = invocation(&cfg(), "a", &big, Some("ns"), None, false);
    assert_eq!(
        inv.args,
        s(&["invoke", "--agent", "a", "--file", "-", "--namespace", "ns"])
    );
    assert_eq!(inv.stdin.as_deref(), Some(big.as_str()));
    assert_eq!(
        probe_argv(&cfg(), Some("kagent"), None),
        s(&["kagent", "version", "--namespace", "kagent"])
    );
}

#[test]
fn single_task() {
    let text = parse(&ok(&fixture("kagent-task.json"))).unwrap();
    assert!(
        text.starts_with("Here is the Deployment and Service for todo-backend:"),
        "{text}"
    );
    assert!(text.contains("imagePullPolicy: Never"));
    assert!(text.contains("```yaml"));
    let out = parse_a2a(&fixture("kagent-task.json")).unwrap();
    assert_eq!(out.state.as_deref(), Some("completed"));
    assert_eq!(out.artifacts.len(), 1);
}

#[test]
fn jsonrpc_wrapped_pretty_printed() {
    let text = parse(&ok(&fixture("kagent-task-jsonrpc.json"))).unwrap();
    assert!(text.contains("kind: Deployment"));
}

#[test]
fn bare_message_result() {
    let text = parse(&ok(&fixture("kagent-message.json"))).unwrap();
    assert!(text.contains("secretKeyRef"));
}

#[test]
fn stream_events_are_assembled() {
    let text = parse(&ok(&fixture("kagent-stream.jsonl"))).unwrap();
    let single = parse(&ok(&fixture("kagent-task.json"))).unwrap();
    assert_eq!(text, single, "chunks with append=true must be concatenated");
    let out = parse_a2a(&fixture("kagent-stream.jsonl")).unwrap();
    assert!(out.final_seen);
    assert_eq!(out.objects, 7);
    // Noise lines and SSE prefixes are tolerated.
    let noisy = format!(
        "Connecting to kagent…\n{}",
        fixture("kagent-stream.jsonl")
            .lines()
            .map(|l| if l.is_empty() {
                String::new()
            } else {
                format!("data: {l}")
            })
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_eq!(parse(&ok(&noisy)).unwrap(), single);
}

#[test]
fn failed_task_exit_zero_is_an_error() {
    let err = parse(&ok(&fixture("kagent-failed.json"))).unwrap_err();
    match &err {
        KagentError::TaskFailed { state, message } => {
            assert_eq!(state, "failed");
            assert!(message.contains("401 Unauthorized"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string()
            .contains("task failed: Error: model call failed")
    );
    let err = parse(&ok(&fixture("kagent-stream-failed.jsonl"))).unwrap_err();
    assert!(
        matches!(err, KagentError::TaskFailed { ref message, .. } if message.contains("context deadline exceeded")),
        "{err:?}"
    );
    for st in ["rejected", "canceled", "TASK_STATE_CANCELLED"] {
        let j = format!(
            r#"{{"kind":"task","id":"t","status":{{"state":"{st}"}},"artifacts":[{{"artifactId":"a","parts":[{{"kind":"text","text":"partial"}}]}}]}}"#
        );
        assert!(
            matches!(parse(&ok(&j)), Err(KagentError::TaskFailed { .. })),
            "{st}"
        );
    }
}

#[test]
fn rpc_error() {
    match parse(&ok(&fixture("kagent-rpc-error.json"))) {
        Err(e @ KagentError::Rpc { .. }) => {
            let m = e.to_string();
            assert!(
                m.contains("-32001") && m.contains("Task not found") && m.contains("k8s-agent"),
                "{m}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn no_json() {
    let c = captured(ARGV, 0, "", &fixture("kagent-no-json-stderr.txt"));
    match parse(&c) {
        Err(KagentError::Unavailable(r)) => assert!(r.contains("connection refused"), "{r}"),
        other => panic!("{other:?}"),
    }
    let c = captured(ARGV, 0, "", "Task or file is required\n");
    match parse(&c) {
        Err(e @ KagentError::NoJson { .. }) => {
            assert!(e.to_string().contains("Task or file is required"))
        }
        other => panic!("{other:?}"),
    }
    let c = captured(ARGV, 0, "Sure! Here's what I found.\n", "");
    assert!(
        matches!(parse(&c), Err(KagentError::NoJson { ref detail }) if detail.contains("Sure!"))
    );
    assert!(matches!(
        parse(&captured(ARGV, 0, "", "")),
        Err(KagentError::NoJson { .. })
    ));
    let c = captured(ARGV, 2, "", "panic: runtime error\n");
    assert!(matches!(
        parse(&c),
        Err(KagentError::Process(ProcessError::Failed { .. }))
    ));
    // Old CLI: plain text on stdout after a success line on stderr.
    let c = captured(
        ARGV,
        0,
        "All pods are healthy.\n",
        "Task completed successfully:\n",
    );
    assert_eq!(parse(&c).unwrap(), "All pods are healthy.");
}

#[test]
fn json_wins_over_exit_code() {
    let c = captured(
        ARGV,
        1,
        &fixture("kagent-task.json"),
        "warning: something\n",
    );
    assert!(parse(&c).is_ok());
}

#[test]
fn states_and_fallbacks() {
    let working =
        r#"{"kind":"status-update","taskId":"t","status":{"state":"working"},"final":false}"#;
    assert!(
        matches!(parse(&ok(working)), Err(KagentError::Incomplete { ref state, .. }) if state == "working")
    );
    let input = r#"{"kind":"task","id":"t","status":{"state":"input-required","message":{"kind":"message","role":"agent","parts":[{"kind":"text","text":"Which namespace?"}]}}}"#;
    assert!(
        matches!(parse(&ok(input)), Err(KagentError::InputRequired { ref message, .. }) if message == "Which namespace?")
    );
    // No artifacts: last agent message from history; data parts are ignored.
    let hist = r#"{"kind":"task","id":"t","status":{"state":"completed"},"history":[
        {"kind":"message","role":"user","parts":[{"kind":"text","text":"question"}]},
        {"kind":"message","role":"agent","parts":[{"kind":"text","text":"first"}]},
        {"kind":"message","role":"agent","parts":[{"kind":"data","data":{"name":"tool"}}]},
        {"kind":"message","role":"agent","parts":[{"kind":"text","text":"final "},{"kind":"text","text":"answer"}]}]}"#;
    assert_eq!(parse(&ok(hist)).unwrap(), "final answer");
    // Older drafts: no `kind`, parts typed with `type`, state in capitals.
    let old = r#"{"id":"t","status":{"state":"COMPLETED"},"artifacts":[{"name":"answer","parts":[{"type":"text","text":"old style"}]}]}"#;
    assert_eq!(parse(&ok(old)).unwrap(), "old style");
    let empty = r#"{"kind":"task","id":"t","status":{"state":"completed"},"artifacts":[]}"#;
    assert!(matches!(parse(&ok(empty)), Err(KagentError::Empty)));
    // Two artifacts are joined with a blank line.
    let two = r#"{"kind":"task","id":"t","status":{"state":"completed"},"artifacts":[
        {"artifactId":"a","parts":[{"kind":"text","text":"one"}]},{"artifactId":"b","parts":[{"kind":"text","text":"two"}]}]}"#;
    assert_eq!(parse(&ok(two)).unwrap(), "one\n\ntwo");
}

#[test]
fn probe_judgement() {
    let c = captured(
        &["kagent", "version"],
        0,
        &fixture("kagent-version.txt"),
        "",
    );
    assert!(matches!(judge_probe(&c), Availability::Available(ref d) if d.contains("0.6.3")));
    let c = captured(
        &["kagent", "version"],
        0,
        "",
        &fixture("kagent-port-forward-stderr.txt"),
    );
    assert!(
        matches!(judge_probe(&c), Availability::Unavailable(ref r) if r.contains("not reachable"))
    );
    let c = captured(&["kagent", "version"], 0, "", "");
    assert!(!judge_probe(&c).is_available());
}

// --- end-to-end through the runner and the fake ------------------------------------------

fn run_mode(mode: &str, task: &str, stream: bool, timeout_ms: u64) -> Result<String, KagentError> {
    interpret(run_fake(
        argv(&cfg(), DEFAULT_AGENT, task, Some("kagent"), None, stream),
        &[("FAKE_KAGENT_MODE", mode)],
        Duration::from_millis(timeout_ms),
    ))
}

#[test]
fn fake_end_to_end() {
    let log = temp_log("kagent");
    let r = run_fake(
        argv(
            &cfg(),
            "k8s-agent",
            "Write a Deployment for todo-backend",
            Some("kagent"),
            Some("http://127.0.0.1:8083"),
            true,
        ),
        &[("FAKE_LOG", log.to_str().unwrap())],
        Duration::from_secs(20),
    );
    assert!(interpret(r).unwrap().contains("kind: Deployment"));
    assert_eq!(
        logged_argvs(&log),
        vec![s(&[
            "kagent",
            "invoke",
            "--agent",
            "k8s-agent",
            "--task",
            "Write a Deployment for todo-backend",
            "--namespace",
            "kagent",
            "--kagent-url",
            "http://127.0.0.1:8083",
            "--stream"
        ])]
    );
    let _ = std::fs::remove_file(&log);

    assert!(
        run_mode("ok", "Check pod health", false, 20_000)
            .unwrap()
            .contains("No pods in CrashLoopBackOff")
    );
    assert!(
        run_mode("ok", "Suggest resource requests", false, 20_000)
            .unwrap()
            .contains("requests cpu=100m")
    );
    assert!(
        run_mode("ok-stream", "x", false, 20_000)
            .unwrap()
            .contains("secretKeyRef")
    );
    assert!(
        run_mode("unhealthy", "Check pod health", false, 20_000)
            .unwrap()
            .contains("CrashLoopBackOff")
    );
    assert!(
        run_mode("flood", "x", false, 60_000)
            .unwrap()
            .contains("todo-backend")
    );
    assert!(matches!(
        run_mode("failed-exit0", "x", false, 20_000),
        Err(KagentError::TaskFailed { .. })
    ));
    assert!(matches!(
        run_mode("failed-exit0", "x", true, 20_000),
        Err(KagentError::TaskFailed { .. })
    ));
    assert!(matches!(
        run_mode("rpc-error", "x", false, 20_000),
        Err(KagentError::Rpc { .. })
    ));
    assert!(matches!(
        run_mode("no-json", "x", false, 20_000),
        Err(KagentError::Unavailable(_))
    ));
    assert!(matches!(
        run_mode("unreachable", "x", false, 20_000),
        Err(KagentError::Unavailable(_))
    ));
    assert!(matches!(
        run_mode("hang", "x", false, 700),
        Err(KagentError::Process(ProcessError::Timeout { .. }))
    ));

    // A long task goes through `--file -` on stdin.
    let big = format!(
        "Check pod health. {}",
        "context ".repeat(MAX_TASK_ARG / 8 + 10)
    );
    let inv = invocation(&cfg(), "k8s-agent", &big, None, None, false);
    let mut inv = inv;
    inv.program = super::super::process::test_support::fake_bin("kagent");
    let text = interpret(super::super::process::run_blocking(&inv)).unwrap();
    assert!(text.contains("No pods in CrashLoopBackOff"), "{text}");
}

#[test]
fn fake_answer_file_is_json_escaped() {
    let path = temp_log("kagent-answer");
    std::fs::write(&path, "quotes \" and \\ backslash\n\ttab\nlast line").unwrap();
    for stream in [false, true] {
        let r = interpret(run_fake(
            argv(&cfg(), "k8s-agent", "x", None, None, stream),
            &[("FAKE_ANSWER_FILE", path.to_str().unwrap())],
            Duration::from_secs(20),
        ));
        assert_eq!(r.unwrap(), "quotes \" and \\ backslash\n\ttab\nlast line");
    }
    let _ = std::fs::remove_file(&path);
}

// --- both A2A shapes, unfinished tasks, sessions ---------------------------------------------

fn run_shape(shape: &str, mode: &str, stream: bool) -> Result<Reply, KagentError> {
    interpret_reply(run_fake(
        argv(
            &cfg(),
            DEFAULT_AGENT,
            "Write a Deployment",
            None,
            None,
            stream,
        ),
        &[("FAKE_KAGENT_SHAPE", shape), ("FAKE_KAGENT_MODE", mode)],
        Duration::from_secs(20),
    ))
}

#[test]
fn both_a2a_shapes_give_the_same_answer_and_context() {
    let want = Reply {
        text: fixture("answer-todo-backend.yaml").trim().to_owned(),
        context_id: Some("ctx-fake-1".into()),
    };
    // A2A 1.0: text in status.message.parts, in artifacts[].parts, or streamed as bare events.
    for (shape, stream) in [("v1", false), ("v1-artifacts", false), ("v1", true)] {
        assert_eq!(
            run_shape(shape, "ok", stream).unwrap(),
            want,
            "{shape} stream={stream}"
        );
    }
    // kagent up to v0.10: "kind" fields, lower-case states.
    let v0 = run_shape("v0", "ok", false).unwrap();
    assert_eq!(
        v0.context_id.as_deref(),
        Some("ctx-5b0e4c1e-8f57-4d0e-9a55-3c1f6f0f2b6a")
    );
    assert!(
        v0.text
            .starts_with("Here is the Deployment and Service for todo-backend:")
    );
    // The a2a-go v2 stream wrapper ({"statusUpdate": …}) is read too.
    let wrapped = "{\"statusUpdate\":{\"contextId\":\"c9\",\"status\":{\"state\":\"TASK_STATE_WORKING\"},\"taskId\":\"t\"}}\n{\"artifactUpdate\":{\"artifact\":{\"artifactId\":\"a\",\"parts\":[{\"text\":\"hello\"}]},\"contextId\":\"c9\",\"taskId\":\"t\"}}\n{\"statusUpdate\":{\"contextId\":\"c9\",\"status\":{\"state\":\"TASK_STATE_COMPLETED\"},\"taskId\":\"t\"}}\n";
    assert_eq!(
        parse_reply(&ok(wrapped)).unwrap(),
        Reply {
            text: "hello".into(),
            context_id: Some("c9".into())
        }
    );
}

#[test]
fn a_task_that_did_not_complete_fails_with_the_agents_message() {
    for shape in ["v0", "v1"] {
        let err = run_shape(shape, "not-completed", false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the kagent agent's task did not complete (it is `working`): Still waiting for the rollout of todo-backend to finish.",
            "{shape}"
        );
    }
    // A state dockhand does not know is not taken for success either.
    let odd = "{\"id\":\"t\",\"contextId\":\"c\",\"status\":{\"state\":\"TASK_STATE_PAUSED\",\"message\":{\"role\":\"ROLE_AGENT\",\"parts\":[{\"text\":\"paused by an operator\"}]}}}";
    assert_eq!(
        parse(&ok(odd)).unwrap_err().to_string(),
        "the kagent agent's task did not complete (it is `paused`): paused by an operator"
    );
}

#[test]
fn a_follow_up_to_a_known_answer_goes_alone_in_its_session() {
    let sessions = Sessions::default();
    let first = vec![Turn::user("Write a Service")];
    // Nothing known yet: the conversation, no session.
    assert_eq!(
        task_for(&sessions, &first),
        ("Write a Service".into(), None)
    );
    let mut answered = first.clone();
    answered.push(Turn::assistant("kind: Service"));
    sessions.put(&answered, "ctx-1".into());
    let mut repair = answered.clone();
    repair.push(Turn::user("fix schema/type at 9:13"));
    assert_eq!(
        task_for(&sessions, &repair),
        ("fix schema/type at 9:13".into(), Some("ctx-1".into()))
    );
    // Another conversation (a different answer) is not continued in that session.
    let other = vec![
        Turn::user("Write a Service"),
        Turn::assistant("kind: Pod"),
        Turn::user("fix it"),
    ];
    let (task, session) = task_for(&sessions, &other);
    assert_eq!(session, None);
    assert!(
        task.contains("kind: Pod") && task.contains("fix it"),
        "{task}"
    );
    assert_eq!(
        argv_in_session(
            &ToolConfig {
                extra_args: s(&["--verbose"]),
                ..cfg()
            },
            "k8s-agent",
            "fix it",
            Some("kagent"),
            None,
            false,
            Some("ctx-1")
        ),
        s(&[
            "kagent",
            "invoke",
            "--agent",
            "k8s-agent",
            "--task",
            "fix it",
            "--namespace",
            "kagent",
            "--session",
            "ctx-1",
            "--verbose"
        ])
    );
}
