//! `dockhand doctor`: which backends and peer tools are usable here, and why not.

use std::time::Duration;

use serde::Serialize;

use super::Outcome;
use crate::backend::{gordon, kagent, kubectl_ai};
use crate::cli::{DoctorArgs, ListFormat};
use crate::error::Error;
use crate::process::{self, Invocation};
use crate::settings::Settings;
use crate::ui::Ui;

#[derive(Debug, Serialize)]
struct Check {
    name: String,
    kind: &'static str,
    found: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    flavour: Option<String>,
    configured: bool,
    usable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    /// What the installed version does that changes how dockhand drives it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    behaviours: Vec<String>,
}

fn probe(program: &str, args: &[&str]) -> Option<process::Captured> {
    let inv = Invocation {
        program: program.into(),
        args: args.iter().map(|s| s.to_string()).collect(),
        stdin: None,
        env: Vec::new(),
        timeout: Duration::from_secs(15),
        cwd: None,
    };
    process::run_blocking(&inv).ok()
}

fn first_line(c: &process::Captured) -> Option<String> {
    format!("{}\n{}", c.stdout, c.stderr)
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(|l| l.chars().take(100).collect())
}

fn tool(
    name: &str,
    binary: Option<&std::path::Path>,
    version_args: &[&str],
    kind: &'static str,
) -> Check {
    let program = binary
        .map(|b| b.to_string_lossy().into_owned())
        .unwrap_or_else(|| name.to_owned());
    let path = process::which(&program);
    let version = path
        .as_ref()
        .and_then(|_| probe(&program, version_args))
        .and_then(|c| first_line(&c));
    Check {
        name: name.to_owned(),
        kind,
        found: path.is_some(),
        path: path.map(|p| p.display().to_string()),
        version,
        flavour: None,
        configured: binary.is_some(),
        usable: false,
        reason: None,
        behaviours: Vec::new(),
    }
}

/// Probe one assistant CLI with its adapter's own probe and judgement.
fn probe_backend(
    name: &str,
    cfg: &process::ToolConfig,
    default: &str,
    probe: Invocation,
    judge: impl Fn(&process::Captured) -> (process::Availability, Option<String>),
) -> Check {
    let program = cfg.program(default);
    let path = process::which(&program);
    let mut check = Check {
        name: name.to_owned(),
        kind: "backend",
        found: path.is_some(),
        path: path.map(|p| p.display().to_string()),
        version: None,
        flavour: None,
        configured: cfg.binary.is_some(),
        usable: false,
        reason: None,
        behaviours: Vec::new(),
    };
    if !check.found {
        check.reason = Some(format!("`{program}` not found on PATH"));
        return check;
    }
    match process::run_blocking(&probe) {
        Ok(c) => {
            let (availability, flavour) = judge(&c);
            check.flavour = flavour;
            match availability {
                process::Availability::Available(v) => {
                    check.usable = true;
                    check.version = (!v.is_empty()).then_some(v);
                }
                process::Availability::Unavailable(r) => check.reason = Some(r),
            }
        }
        Err(e) => check.reason = Some(e.to_string()),
    }
    check
}

/// What `docker ai --help` shows about the installed Gordon.
fn gordon_behaviours(cfg: &process::ToolConfig) -> Vec<String> {
    let help = process::run_blocking(&gordon::help_invocation(cfg))
        .map(|c| c.stdout)
        .unwrap_or_default();
    let b = gordon::behaviours(&help);
    vec![
        if b.prompt_argument {
            "takes the first prompt as an argument".to_owned()
        } else {
            "its usage shows no [PROMPT] argument: the prompt is still passed as one".to_owned()
        },
        if b.working_dir {
            "has -C/--working-dir: runs in a temporary folder holding copies of the context files the prompt names".to_owned()
        } else {
            "no -C/--working-dir: runs with a temporary folder (holding the context files) as its current directory".to_owned()
        },
        "may ask approval ([Y/n/a]) or open its terminal UI: stdin is closed, and either ends the run with a message".to_owned(),
        "may write the Dockerfile instead of printing it: the folder is diffed".to_owned(),
    ]
}

fn kubectl_ai_behaviours(
    flavour: kubectl_ai::Flavour,
    trace: bool,
    kubeconfig: Option<&std::path::Path>,
) -> Vec<String> {
    let mut v = Vec::new();
    match flavour {
        kubectl_ai::Flavour::Google => {
            v.push(if trace {
                "has --trace-path: the answer is the model's last message from the trace file"
                    .to_owned()
            } else {
                "no --trace-path: the answer is read from its glamour-rendered terminal output"
                    .to_owned()
            });
            v.push(
                "never given --skip-permissions: a change to the cluster ends the run".to_owned(),
            );
        }
        kubectl_ai::Flavour::Sozercan => {
            v.push("given --raw (bare YAML), never --require-confirmation=false".to_owned());
        }
    }
    v.push(match kubeconfig {
        Some(k) => format!("kubeconfig {} (from dockhand.toml)", k.display()),
        None => "an empty kubeconfig: no cluster access".to_owned(),
    });
    v
}

/// The A2A shape `kagent invoke` prints, from `kagent version`'s `kagent_version`.
fn kagent_behaviours(version: &str) -> Vec<String> {
    let v: Option<(u64, u64)> = serde_json::from_str::<serde_json::Value>(version)
        .ok()
        .and_then(|j| j.get("kagent_version")?.as_str().map(str::to_owned))
        .and_then(|s| {
            let mut it = s.trim_start_matches('v').split('.');
            Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
        });
    let shape = match v {
        Some((0, minor)) if minor <= 10 => {
            "prints A2A 0.x JSON (\"kind\" fields, lower-case states)"
        }
        Some(_) => "prints A2A 1.0 JSON (TASK_STATE_*, no \"kind\" fields)",
        None => "A2A JSON of either shape (version not recognised)",
    };
    vec![
        shape.to_owned(),
        "repair follow-ups continue the conversation with --session".to_owned(),
    ]
}

pub fn run(settings: &Settings, args: &DoctorArgs, ui: &Ui) -> Result<Outcome, Error> {
    let mut checks = Vec::new();
    let cache_dir = settings.root.join(crate::backend::cache::CACHE_DIR);
    let cached = std::fs::read_dir(&cache_dir)
        .map(|d| d.count())
        .unwrap_or(0);
    checks.push(Check {
        name: "cache".into(),
        kind: "backend",
        found: cached > 0,
        path: Some(cache_dir.display().to_string()),
        version: Some(format!("{cached} recorded answer(s)")),
        flavour: None,
        configured: settings.broker.chain.iter().any(|b| b == "cache"),
        usable: cached > 0,
        reason: (cached == 0).then(|| "no recorded answers yet".into()),
        behaviours: Vec::new(),
    });

    let o = &settings.openai;
    checks.push(Check {
        name: "openai".into(),
        kind: "backend",
        found: o.configured,
        path: Some(crate::backend::openai::redact_url(&o.base_url)),
        version: Some(format!("model {}", o.model)),
        flavour: None,
        configured: o.configured,
        usable: o.configured,
        reason: (!o.configured)
            .then(|| "set OPENAI_BASE_URL and OPENAI_API_KEY, or [openai] base_url".into()),
        behaviours: Vec::new(),
    });

    let tools = &settings.tools;
    let gordon_cfg = crate::backend::tool_config(&tools.gordon, 30);
    let mut g = probe_backend(
        "gordon",
        &gordon_cfg,
        "docker",
        gordon::probe_invocation(&gordon_cfg),
        |c| (gordon::judge_probe(c), None),
    );
    if g.usable {
        g.behaviours = gordon_behaviours(&gordon_cfg);
    }
    checks.push(g);
    let kai_cfg = crate::backend::tool_config(&tools.kubectl_ai, 30);
    let configured: Option<kubectl_ai::Flavour> = tools
        .kubectl_ai
        .flavour
        .as_deref()
        .and_then(|f| f.parse().ok());
    let kai_probe = std::cell::Cell::new(None);
    let mut k = probe_backend(
        "kubectl-ai",
        &kai_cfg,
        "kubectl-ai",
        kubectl_ai::probe_invocation(&kai_cfg),
        |c| {
            let p = kubectl_ai::judge_probe(c, configured);
            kai_probe.set(Some((p.flavour, p.trace)));
            (p.availability, p.flavour.map(|f| f.to_string()))
        },
    );
    if let Some((Some(flavour), trace)) = kai_probe.get() {
        k.behaviours =
            kubectl_ai_behaviours(flavour, trace, tools.kubectl_ai.kubeconfig.as_deref());
    }
    checks.push(k);
    let ka_cfg = crate::backend::tool_config(&tools.kagent, 30);
    let probe = kagent::probe_invocation(
        &ka_cfg,
        tools.kagent.namespace.as_deref(),
        tools.kagent.url.as_deref(),
    );
    let mut ka = probe_backend("kagent", &ka_cfg, "kagent", probe, |c| {
        (kagent::judge_probe(c), None)
    });
    if ka.usable {
        ka.behaviours = kagent_behaviours(ka.version.as_deref().unwrap_or_default());
    }
    checks.push(ka);

    for (name, args) in [
        ("git", &["--version"][..]),
        ("helm", &["version", "--short"][..]),
        ("hadolint", &["--version"][..]),
        ("kubectl", &["version", "--client"][..]),
        ("minikube", &["version", "--short"][..]),
    ] {
        let mut c = tool(name, None, args, "tool");
        c.usable = c.found;
        if !c.found {
            c.reason = Some(match name {
                "git" => "needed to commit artifacts".into(),
                "helm" => "optional: charts are rendered with the built-in renderer".into(),
                "hadolint" => "optional: only the cross-check tests use it".into(),
                _ => "optional: only needed to deploy".into(),
            });
        }
        checks.push(c);
    }

    match args.format {
        ListFormat::Json => ui.out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&checks).expect("serializes")
        )),
        ListFormat::Text => {
            let mut out = String::new();
            for c in &checks {
                let mark = if c.usable {
                    ui.paint("32", "ok ")
                } else if c.found {
                    ui.paint("33", "!! ")
                } else {
                    ui.paint("31", "-- ")
                };
                out.push_str(&format!(
                    "{mark} {:<11} {:<8} {}{}{}\n",
                    c.name,
                    c.kind,
                    c.version
                        .as_deref()
                        .unwrap_or(if c.found { "found" } else { "not found" }),
                    c.flavour
                        .as_deref()
                        .map(|f| format!(" (flavour {f})"))
                        .unwrap_or_default(),
                    c.reason
                        .as_deref()
                        .map(|r| format!(" - {r}"))
                        .unwrap_or_default(),
                ));
                for b in &c.behaviours {
                    out.push_str(&format!("       {b}\n"));
                }
            }
            ui.out(&out);
        }
    }
    Ok(Outcome::Clean)
}
