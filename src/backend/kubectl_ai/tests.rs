//! kubectl-ai: argv, flavours, terminal and trace parsing, and the fake end to end.

use super::super::process::test_support::{
    captured, cfg, fixture, logged_argvs, run_fake, s, temp_log,
};
use super::*;

const GARGV: &[&str] = &["kubectl-ai", "--quiet", "Write a Deployment"];
const SARGV: &[&str] = &["kubectl-ai", "Write a Deployment", "--raw"];

#[test]
fn google_argv() {
    assert_eq!(
        argv(
            Flavour::Google,
            &cfg(),
            None,
            None,
            None,
            "make a deployment"
        ),
        s(&["kubectl-ai", "--quiet", "make a deployment"])
    );
    assert_eq!(
        argv(
            Flavour::Google,
            &cfg(),
            Some("openai"),
            Some("gpt-4.1"),
            None,
            "task"
        ),
        s(&[
            "kubectl-ai",
            "--quiet",
            "--llm-provider",
            "openai",
            "--model",
            "gpt-4.1",
            "task"
        ])
    );
    let c = ToolConfig {
        binary: Some("/opt/kubectl-ai".into()),
        extra_args: s(&[
            "--skip-permissions",
            "--max-iterations",
            "5",
            "--skip-permissions=true",
        ]),
        timeout: Duration::from_secs(90),
    };
    let v = argv(
        Flavour::Google,
        &c,
        Some(""),
        Some("gemini-2.5-flash"),
        None,
        "-n default please",
    );
    assert_eq!(
        v,
        s(&[
            "/opt/kubectl-ai",
            "--quiet",
            "--model",
            "gemini-2.5-flash",
            "--max-iterations",
            "5",
            "--",
            "-n default please"
        ])
    );
    let inv = invocation(Flavour::Google, &c, None, None, None, "x");
    assert_eq!(inv.stdin, None);
    assert_eq!(inv.timeout, Duration::from_secs(90));
}

#[test]
fn sozercan_argv() {
    assert_eq!(
        argv(
            Flavour::Sozercan,
            &cfg(),
            Some("openai"),
            None,
            None,
            "create nginx deployment"
        ),
        s(&["kubectl-ai", "create nginx deployment", "--raw"])
    );
    let c = ToolConfig {
        extra_args: s(&[
            "--temperature",
            "0.2",
            "--skip-permissions",
            "--require-confirmation=false",
        ]),
        ..cfg()
    };
    assert_eq!(
        argv(Flavour::Sozercan, &c, None, Some("gpt-4o"), None, "p"),
        s(&[
            "kubectl-ai",
            "p",
            "--raw",
            "--openai-deployment-name=gpt-4o",
            "--temperature",
            "0.2"
        ])
    );
    assert_eq!(
        argv(Flavour::Sozercan, &cfg(), None, None, None, "-weird"),
        s(&["kubectl-ai", "--raw", "--", "-weird"])
    );
}

#[test]
fn skip_permissions_never_appears() {
    let c = ToolConfig {
        extra_args: s(&[
            "--skip-permissions",
            "--skip-permissions=false",
            "--require-confirmation=false",
            "--require-confirmation=0",
            "--quiet",
        ]),
        ..cfg()
    };
    for f in [Flavour::Google, Flavour::Sozercan] {
        for (p, m) in [(None, None), (Some("gemini"), Some("gemini-2.5-pro"))] {
            let v = argv(f, &c, p, m, None, "--skip-permissions");
            assert!(
                !v.iter()
                    .take(v.len() - 1)
                    .any(|a| a.starts_with("--skip-permissions")
                        || a.starts_with("--require-confirmation")),
                "{v:?}"
            );
            assert_eq!(
                v.last().unwrap(),
                "--skip-permissions",
                "the prompt itself is kept, after --"
            );
            assert_eq!(v[v.len() - 2], "--");
        }
    }
}

#[test]
fn flavour_detection() {
    assert_eq!(
        detect_flavour(&fixture("kubectl-ai-google-help.txt")),
        Some(Flavour::Google)
    );
    assert_eq!(
        detect_flavour(&fixture("kubectl-ai-google-version.txt")),
        Some(Flavour::Google)
    );
    assert_eq!(
        detect_flavour(&fixture("kubectl-ai-sozercan-help.txt")),
        Some(Flavour::Sozercan)
    );
    assert_eq!(
        detect_flavour(&fixture("kubectl-ai-sozercan-no-key.txt")),
        Some(Flavour::Sozercan)
    );
    assert_eq!(
        detect_flavour("kubectl-ai is a tool that lets you talk to k8s\n  --quiet"),
        Some(Flavour::Google)
    );
    assert_eq!(detect_flavour("some other program\n  --verbose"), None);
    assert_eq!(detect_flavour(""), None);
    assert_eq!("Google".parse::<Flavour>(), Ok(Flavour::Google));
    assert_eq!("sozercan".parse::<Flavour>(), Ok(Flavour::Sozercan));
    assert!("other".parse::<Flavour>().is_err());
    let f: Flavour = serde_json::from_str("\"gcp\"").unwrap();
    assert_eq!(f, Flavour::Google);
    assert_eq!(Flavour::Sozercan.to_string(), "sozercan");
}

#[test]
fn probe_judgement() {
    let help = captured(
        &["kubectl-ai", "--help"],
        0,
        &fixture("kubectl-ai-google-help.txt"),
        "",
    );
    let p = judge_probe(&help, None);
    assert_eq!(p.flavour, Some(Flavour::Google));
    assert!(p.availability.is_available());
    // Configuration overrides detection.
    assert_eq!(
        judge_probe(&help, Some(Flavour::Sozercan)).flavour,
        Some(Flavour::Sozercan)
    );
    let nokey = captured(
        &["kubectl-ai", "--help"],
        1,
        &fixture("kubectl-ai-sozercan-no-key.txt"),
        "",
    );
    let p = judge_probe(&nokey, None);
    assert_eq!(p.flavour, Some(Flavour::Sozercan));
    assert!(
        matches!(p.availability, Availability::Unavailable(ref r) if r.contains("OPENAI_API_KEY"))
    );
    let unknown = captured(&["kubectl-ai", "--help"], 0, "usage: something", "");
    assert!(
        matches!(judge_probe(&unknown, None).availability, Availability::Unavailable(ref r) if r.contains("flavour"))
    );
    assert!(
        judge_probe(&unknown, Some(Flavour::Google))
            .availability
            .is_available()
    );
}

/// The answer as kubectl-ai wrote it, with its fences; what unrendering must give back.
fn markdown_answer() -> String {
    fixture("kubectl-ai-google-answer.md").trim_end().to_owned()
}

#[test]
fn google_quiet_glamour_output_is_unrendered_to_the_markdown_it_came_from() {
    // No fences, code 4 spaces in, padded to 78 columns, two long lines wrapped onto the
    // 2-space margin (one at a space after `,`, one after `-`), green escapes, `Running:`.
    let raw = fixture("kubectl-ai-google-quiet.txt");
    assert!(raw.contains("\n  app/backend/blob/main/deploy/kubernetes/deployment.yaml  "));
    let c = captured(GARGV, 0, &raw, "");
    let text = parse(Flavour::Google, &c).unwrap();
    // Prose keeps glamour's word wrap; the code is exactly the model's YAML.
    let want = markdown_answer()
        .replace(
            "image and reads its secrets",
            "image\nand reads its secrets",
        )
        .replace("```yaml", "```")
        .replace(
            "Create the secret first with `kubectl create secret generic todo-backend-secret --from-literal=...`.",
            "Create the secret first with `kubectl create secret generic todo-backend-\nsecret --from-literal=...`.",
        );
    assert_eq!(text, want);
    // And extraction reads the whole Deployment, wrapped lines included.
    let x = crate::extract::extract(crate::artifact::OutputKind::Kubernetes, &text).unwrap();
    let fenced = markdown_answer();
    let yaml = fenced
        .split("```yaml\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    assert_eq!(x.text, yaml);
}

#[test]
fn the_manifest_in_a_heredoc_of_a_command_is_not_taken_when_the_answer_shows_it() {
    let c = captured(GARGV, 0, &fixture("kubectl-ai-google-heredoc.txt"), "");
    let text = parse(Flavour::Google, &c).unwrap();
    assert!(!text.contains("todo-backend:draft"), "{text}");
    let x = crate::extract::extract(crate::artifact::OutputKind::Kubernetes, &text).unwrap();
    assert!(x.text.contains("image: todo-backend:latest\n"));
    // Only in the heredoc: then it is the answer.
    let draft = fixture("kubectl-ai-google-draft.yaml");
    let only = format!(
        "\x1b[32m\n  Running: kubectl apply --dry-run=server -f - <<EOF\n{draft}EOF\n\x1b[0m\x1b[32m\n  The manifest above passed a server-side dry run.                            \n\n\x1b[0m"
    );
    let text = parse(Flavour::Google, &captured(GARGV, 0, &only, "")).unwrap();
    assert_eq!(
        text,
        format!(
            "The manifest above passed a server-side dry run.\n\n```yaml\n{}\n```",
            draft.trim_end()
        )
    );
}

#[test]
fn older_coloured_glamour_output_is_unrendered_too() {
    let c = captured(GARGV, 0, &fixture("kubectl-ai-google-answer.txt"), "");
    let text = parse(Flavour::Google, &c).unwrap();
    assert!(text.starts_with("Here is a Deployment"), "{text}");
    assert!(text.lines().all(|l| l == l.trim_end()), "padding left");
    let x = crate::extract::extract(crate::artifact::OutputKind::Kubernetes, &text).unwrap();
    assert!(
        x.text
            .starts_with("apiVersion: apps/v1\nkind: Deployment\n"),
        "{}",
        x.text
    );
}

#[test]
fn google_running_lines_are_dropped() {
    let c = captured(GARGV, 0, &fixture("kubectl-ai-google-running.txt"), "");
    let text = parse(Flavour::Google, &c).unwrap();
    assert!(!text.contains("Running:"), "{text}");
    assert!(
        text.starts_with("There is no todo-backend Deployment yet"),
        "{text}"
    );
    assert!(text.contains("```yaml\napiVersion: apps/v1"), "{text}");
    assert!(text.contains("secretKeyRef:"));
    assert!(!text.contains("\n\n\n"));
}

#[test]
fn google_permission_requests_fail_clearly() {
    for file in [
        "kubectl-ai-google-permission.txt",
        "kubectl-ai-google-prompt.txt",
    ] {
        let c = captured(GARGV, 0, &fixture(file), "");
        let err = parse(Flavour::Google, &c).unwrap_err();
        match &err {
            KubectlAiError::Permission { commands } => {
                assert!(
                    commands.contains(&"kubectl apply -f todo-backend.yaml".to_string()),
                    "{commands:?}"
                );
            }
            other => panic!("{file}: {other:?}"),
        }
        let msg = err.to_string();
        assert!(msg.contains("never passes --skip-permissions"), "{msg}");
        assert!(
            msg.contains("* kubectl apply -f todo-backend.yaml"),
            "{msg}"
        );
    }
    let c = captured(GARGV, 0, "Delete the old pods? (y/N)", "");
    assert!(matches!(
        parse(Flavour::Google, &c),
        Err(KubectlAiError::Permission { .. })
    ));
    let c = captured(
        GARGV,
        0,
        "Error: RunOnce mode cannot handle user choice requests\n",
        "",
    );
    assert!(matches!(
        parse(Flavour::Google, &c),
        Err(KubectlAiError::Interactive { .. })
    ));
}

#[test]
fn google_errors() {
    let c = captured(GARGV, 1, "", &fixture("kubectl-ai-google-no-key.txt"));
    match parse(Flavour::Google, &c) {
        Err(KubectlAiError::Unavailable(r)) => assert!(r.contains("GEMINI_API_KEY"), "{r}"),
        other => panic!("{other:?}"),
    }
    let c = captured(
        GARGV,
        1,
        "",
        "running agent: Error 429, Message: Resource has been exhausted\n",
    );
    let err = parse(Flavour::Google, &c).unwrap_err();
    assert!(matches!(
        err,
        KubectlAiError::Process(ProcessError::Failed { .. })
    ));
    assert!(err.to_string().contains("Resource has been exhausted"));
    let c = captured(
        GARGV,
        0,
        "\x1b[31mError: Error 503: model overloaded\x1b[0m\n",
        "",
    );
    match parse(Flavour::Google, &c) {
        Err(KubectlAiError::Agent(m)) => assert_eq!(m, "Error 503: model overloaded"),
        other => panic!("{other:?}"),
    }
    let c = captured(GARGV, 0, "  Running: kubectl get pods\n\n", "");
    assert!(matches!(
        parse(Flavour::Google, &c),
        Err(KubectlAiError::Empty { .. })
    ));
}

#[test]
fn sozercan_parsing() {
    let c = captured(SARGV, 0, &fixture("kubectl-ai-sozercan-answer.txt"), "");
    let text = parse(Flavour::Sozercan, &c).unwrap();
    assert!(
        text.starts_with("apiVersion: apps/v1\nkind: Deployment"),
        "{text}"
    );
    assert!(text.contains("imagePullPolicy: Never"));
    let c = captured(SARGV, 1, &fixture("kubectl-ai-sozercan-no-key.txt"), "");
    assert!(matches!(
        parse(Flavour::Sozercan, &c),
        Err(KubectlAiError::Unavailable(_))
    ));
    let menu = "✨ Attempting to apply the following manifest:\napiVersion: v1\n\n  Would you like to apply this? [Reprompt/Apply/Don't Apply]\n";
    assert!(matches!(
        parse(Flavour::Sozercan, &captured(SARGV, 0, menu, "")),
        Err(KubectlAiError::Interactive { .. })
    ));
    let banner =
        "✨ Attempting to apply the following manifest:\napiVersion: v1\nkind: Namespace\n";
    assert_eq!(
        parse(Flavour::Sozercan, &captured(SARGV, 0, banner, "")).unwrap(),
        "apiVersion: v1\nkind: Namespace"
    );
}

#[test]
fn timeout_at_prompt() {
    let partial = captured(GARGV, 0, &fixture("kubectl-ai-google-prompt.txt"), "");
    let err = ProcessError::Timeout {
        argv: s(GARGV),
        after: Duration::from_secs(1),
        stderr_tail: String::new(),
        partial: Some(Box::new(partial)),
    };
    assert!(matches!(
        interpret(Flavour::Google, Err(err)),
        Err(KubectlAiError::Permission { .. })
    ));
    assert!(matches!(
        interpret(
            Flavour::Google,
            Err(ProcessError::NotFound {
                program: "kubectl-ai".into()
            })
        ),
        Err(KubectlAiError::Unavailable(_))
    ));
}

// --- end-to-end through the runner and the fake ------------------------------------------

fn run_mode(flavour: Flavour, mode: &str, timeout_ms: u64) -> Result<String, KubectlAiError> {
    let fl = flavour.to_string();
    let r = run_fake(
        argv(
            flavour,
            &cfg(),
            None,
            None,
            None,
            "Write a Deployment for todo-backend",
        ),
        &[
            ("FAKE_KUBECTL_AI_FLAVOUR", fl.as_str()),
            ("FAKE_KUBECTL_AI_MODE", mode),
        ],
        Duration::from_millis(timeout_ms),
    );
    interpret(flavour, r)
}

#[test]
fn fake_end_to_end() {
    let log = temp_log("kubectl-ai");
    let c = ToolConfig {
        extra_args: s(&["--skip-permissions"]),
        ..cfg()
    };
    let r = run_fake(
        argv(
            Flavour::Google,
            &c,
            Some("gemini"),
            Some("gemini-2.5-pro"),
            None,
            "Write a Deployment",
        ),
        &[
            ("FAKE_LOG", log.to_str().unwrap()),
            ("FAKE_KUBECTL_AI_MODE", "running"),
        ],
        Duration::from_secs(20),
    );
    let text = interpret(Flavour::Google, r).unwrap();
    assert!(text.contains("kind: Deployment"));
    let logged = logged_argvs(&log);
    assert_eq!(
        logged,
        vec![s(&[
            "kubectl-ai",
            "--quiet",
            "--llm-provider",
            "gemini",
            "--model",
            "gemini-2.5-pro",
            "Write a Deployment"
        ])]
    );
    let _ = std::fs::remove_file(&log);

    assert!(
        run_mode(Flavour::Google, "answer", 20_000)
            .unwrap()
            .contains("secretKeyRef")
    );
    assert!(
        run_mode(Flavour::Sozercan, "answer", 20_000)
            .unwrap()
            .starts_with("apiVersion: apps/v1")
    );
    assert!(
        run_mode(Flavour::Google, "flood", 60_000)
            .unwrap()
            .contains("todo-backend")
    );
    assert!(matches!(
        run_mode(Flavour::Google, "permission", 20_000),
        Err(KubectlAiError::Permission { .. })
    ));
    assert!(matches!(
        run_mode(Flavour::Google, "prompt", 1500),
        Err(KubectlAiError::Permission { .. })
    ));
    assert!(matches!(
        run_mode(Flavour::Sozercan, "permission", 1500),
        Err(KubectlAiError::Interactive { .. })
    ));
    assert!(matches!(
        run_mode(Flavour::Google, "hang", 700),
        Err(KubectlAiError::Process(ProcessError::Timeout { .. }))
    ));
    assert!(matches!(
        run_mode(Flavour::Google, "stderr-fail", 20_000),
        Err(KubectlAiError::Process(ProcessError::Failed { .. }))
    ));
    assert!(matches!(
        run_mode(Flavour::Google, "no-key", 20_000),
        Err(KubectlAiError::Unavailable(_))
    ));
    assert!(matches!(
        run_mode(Flavour::Sozercan, "no-key", 20_000),
        Err(KubectlAiError::Unavailable(_))
    ));
}

#[test]
fn fake_probe_detects_both_flavours() {
    for (fl, want) in [("google", Flavour::Google), ("sozercan", Flavour::Sozercan)] {
        let c = run_fake(
            probe_argv(&cfg()),
            &[("FAKE_KUBECTL_AI_FLAVOUR", fl)],
            PROBE_TIMEOUT,
        )
        .unwrap();
        let p = judge_probe(&c, None);
        assert_eq!(p.flavour, Some(want));
        assert!(p.availability.is_available(), "{p:?}");
    }
}

// --- ask(): sandbox, trace, terminal -----------------------------------------------------------

fn ask_fake(detected: Detected, env: &[(&str, &str)]) -> Result<String, KubectlAiError> {
    let inv_cfg = ToolConfig {
        binary: Some(super::super::process::test_support::fake_bin("kubectl-ai")),
        timeout: Duration::from_secs(20),
        ..cfg()
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let sandbox = Sandbox::new(None, detected.trace).unwrap();
    let mut inv = invocation(
        detected.flavour,
        &inv_cfg,
        None,
        None,
        Some(&sandbox),
        "Write a Deployment for todo-backend",
    );
    for (k, v) in env {
        inv = inv.with_env(*k, *v);
    }
    let result = rt.block_on(super::super::process::run(inv));
    interpret_with_trace(detected.flavour, result, &sandbox)
}

#[test]
fn with_a_trace_the_answer_is_the_models_markdown_untouched() {
    let traced = ask_fake(
        Detected {
            flavour: Flavour::Google,
            trace: true,
        },
        &[],
    )
    .unwrap();
    // Byte for byte the model's answer: its fences and its own line breaks (glamour rewrapped
    // the first sentence in the terminal).
    assert_eq!(traced, markdown_answer() + "\n");
    let terminal = ask_fake(
        Detected {
            flavour: Flavour::Google,
            trace: false,
        },
        &[],
    )
    .unwrap();
    assert_ne!(terminal, traced);
    assert!(terminal.starts_with(
        "Here is a Deployment for `todo-backend` that uses the locally built image\nand reads"
    ));
    // A permission request is an error even though the trace holds the model's messages.
    let err = ask_fake(
        Detected {
            flavour: Flavour::Google,
            trace: true,
        },
        &[("FAKE_KUBECTL_AI_MODE", "permission")],
    )
    .unwrap_err();
    assert!(matches!(err, KubectlAiError::Permission { .. }), "{err:?}");
}
