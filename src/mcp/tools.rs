//! The MCP tools: their input schemas and what they do. Each reuses the stage the CLI uses
//! (`Validator`, `extract`, `Library` + `fill`, `pipeline::prepare` / `pipeline::apply`).

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use clap::Parser;
use rmcp::model::Tool;
use serde_json::{Value, json};

use super::{Server, ToolError};
use crate::artifact::OutputKind;
use crate::cli::BrokerArgs;
use crate::error::Error;
use crate::library::Library;
use crate::lock::Lockfile;
use crate::pipeline::{self, ApplyOptions, Context, Job};
use crate::repo::RunLock;
use crate::settings::Settings;
use crate::stage::{ChangeSet, Staged};
use crate::validate::{FileReport, Validator};

fn schema(v: Value) -> Arc<serde_json::Map<String, Value>> {
    match v {
        Value::Object(m) => Arc::new(m),
        _ => unreachable!("schemas are objects"),
    }
}

fn sets_schema() -> Value {
    json!({
        "type": "object",
        "description": "Prompt variables (like --set KEY=VALUE); values are strings, numbers, booleans or lists",
        "additionalProperties": true
    })
}

fn broker_properties() -> serde_json::Map<String, Value> {
    let Value::Object(m) = json!({
        "backend": {
            "type": "string",
            "enum": ["cache", "openai", "gordon", "kubectl-ai", "kagent"],
            "description": "Use only this backend (like --backend)"
        },
        "model": {"type": "string", "description": "Model for the OpenAI-compatible backend (like --model)"},
        "offline": {"type": "boolean", "default": false, "description": "Answer from the response cache only"},
        "refresh": {"type": "boolean", "default": false, "description": "Ask the live backend even when the cache holds an answer"}
    }) else {
        unreachable!()
    };
    m
}

/// Every tool, with a JSON schema for its input.
pub fn definitions() -> Vec<Tool> {
    let mut generate_props = broker_properties();
    generate_props.extend(
        [
            ("reference".to_owned(), json!({"type": "string", "description": "ID (newest version) or ID@VERSION"})),
            ("set".to_owned(), sets_schema()),
            ("response".to_owned(), json!({"type": "string", "description": "Use this answer instead of asking an assistant (recorded as hand-written, like --response-file)"})),
            ("apply".to_owned(), json!({"type": "boolean", "default": false, "description": "Write, lock and commit the artifact when it passes validation. Without it nothing is written"})),
            ("commit".to_owned(), json!({"type": "boolean", "default": true, "description": "With apply: commit the written files (like not passing --no-commit)"})),
            ("force".to_owned(), json!({"type": "boolean", "default": false, "description": "With apply: overwrite targets that have uncommitted changes"})),
        ],
    );
    let mut regen_props = broker_properties();
    regen_props.insert(
        "ids".to_owned(),
        json!({"type": "array", "items": {"type": "string"}, "description": "Prompt IDs (default: every locked artifact)"}),
    );
    vec![
        Tool::new(
            "validate",
            "Validate a Kubernetes manifest or Dockerfile given as text (content + kind), or a file or folder of the project (path; a folder with Chart.yaml is checked as a Helm chart). Returns the findings as JSON: files[].findings[] with code, severity, message, hint, line, column and pointer; errors and warnings counts.",
            schema(json!({
                "type": "object",
                "properties": {
                    "content": {"type": "string", "description": "The artifact's text"},
                    "kind": {"type": "string", "enum": ["kubernetes", "dockerfile"], "description": "What content is"},
                    "name": {"type": "string", "description": "File name for content, used in findings and for [[ignore]] paths (default <content>)"},
                    "path": {"type": "string", "description": "A file or folder in the project, relative to its root (instead of content)"},
                    "kube_version": {"type": "string", "description": "Kubernetes version of the schemas, e.g. 1.33"}
                },
                "additionalProperties": false
            })),
        ),
        Tool::new(
            "extract",
            "Pull the artifact out of an assistant's answer (fenced or bare; terminal escapes and glamour rendering undone).",
            schema(json!({
                "type": "object",
                "properties": {
                    "content": {"type": "string", "description": "The answer"},
                    "kind": {"type": "string", "enum": ["kubernetes", "dockerfile", "helm", "report"]}
                },
                "required": ["content", "kind"],
                "additionalProperties": false
            })),
        ),
        Tool::new(
            "prompts_list",
            "Every prompt of the project's library and version, with its tool, output kind, targets, variables and policies.",
            schema(json!({"type": "object", "properties": {}, "additionalProperties": false})),
        ),
        Tool::new(
            "prompt_render",
            "Fill a prompt with dockhand.toml's values and the given variables, and return its text.",
            schema(json!({
                "type": "object",
                "properties": {
                    "reference": {"type": "string", "description": "ID (newest version) or ID@VERSION"},
                    "set": sets_schema()
                },
                "required": ["reference"],
                "additionalProperties": false
            })),
        ),
        Tool::new(
            "generate",
            "Fill a prompt, ask the assistant (or take `response`), extract, validate and repair, and return the staged artifact with its findings and its diff against the file on disk. Writes, locks and commits only with apply: true (under the same run lock and uncommitted-changes check as `dockhand generate`).",
            schema(json!({
                "type": "object",
                "properties": generate_props,
                "required": ["reference"],
                "additionalProperties": false
            })),
        ),
        Tool::new(
            "regen_check",
            "Regenerate the locked artifacts in memory (like `dockhand regen --check`) and say which files differ from what the lock and the response cache reproduce. Writes nothing.",
            schema(json!({
                "type": "object",
                "properties": regen_props,
                "additionalProperties": false
            })),
        ),
    ]
}

/// Run one tool.
pub async fn call(server: &Server, name: &str, args: Value) -> Result<Value, ToolError> {
    let args = Args(args);
    match name {
        "validate" => validate(server, &args),
        "extract" => extract(&args),
        "prompts_list" => prompts_list(server),
        "prompt_render" => prompt_render(server, &args),
        "generate" => generate(server, &args).await,
        "regen_check" => regen_check(server, &args).await,
        other => Err(ToolError::Arguments(format!(
            "unknown tool `{other}` (tools: validate, extract, prompts_list, prompt_render, generate, regen_check)"
        ))),
    }
}

/// A tool's arguments, read against its schema.
struct Args(Value);

impl Args {
    fn str(&self, key: &str) -> Result<Option<&str>, ToolError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ToolError::Arguments(format!("`{key}` must be a string"))),
        }
    }
    fn required(&self, key: &str) -> Result<&str, ToolError> {
        self.str(key)?
            .ok_or_else(|| ToolError::Arguments(format!("`{key}` is required")))
    }
    fn bool(&self, key: &str, default: bool) -> Result<bool, ToolError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(ToolError::Arguments(format!("`{key}` must be a boolean"))),
        }
    }
    fn strings(&self, key: &str) -> Result<Vec<String>, ToolError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_str().map(str::to_owned).ok_or_else(|| {
                        ToolError::Arguments(format!("`{key}` must be a list of strings"))
                    })
                })
                .collect(),
            Some(_) => Err(ToolError::Arguments(format!(
                "`{key}` must be a list of strings"
            ))),
        }
    }
    /// `set`: an object of variables, as `KEY=VALUE` strings the way `--set` takes them.
    fn sets(&self) -> Result<Vec<String>, ToolError> {
        match self.0.get("set") {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Object(m)) => Ok(m
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => format!("{k}={s}"),
                    other => format!("{k}={other}"),
                })
                .collect()),
            Some(_) => Err(ToolError::Arguments(
                "`set` must be an object of variables".into(),
            )),
        }
    }
    /// The broker flags, parsed by the CLI's own parser (same values, same messages).
    fn broker(&self) -> Result<BrokerArgs, ToolError> {
        #[derive(Parser)]
        #[command(name = "dockhand")]
        struct Flags {
            #[command(flatten)]
            broker: BrokerArgs,
        }
        let mut argv = vec!["dockhand".to_owned()];
        for key in ["backend", "model"] {
            if let Some(v) = self.str(key)? {
                argv.push(format!("--{key}={v}"));
            }
        }
        for key in ["offline", "refresh"] {
            if self.bool(key, false)? {
                argv.push(format!("--{key}"));
            }
        }
        Flags::try_parse_from(argv).map(|f| f.broker).map_err(|e| {
            let msg = e.to_string();
            let first = msg.lines().next().unwrap_or_default();
            ToolError::Arguments(first.trim_start_matches("error: ").to_owned())
        })
    }
}

fn settings(server: &Server, broker: Option<&BrokerArgs>) -> Result<Settings, ToolError> {
    let flags = broker.map(crate::settings::BrokerFlags::from);
    Ok(Settings::resolve(
        server.root.clone(),
        flags.as_ref(),
        &server.env,
    )?)
}

/// A path inside the project: relative, with no `..` that leaves it.
fn project_path(root: &Path, rel: &str) -> Result<PathBuf, ToolError> {
    let p = Path::new(rel);
    let escapes = p.is_absolute()
        || p.components()
            .try_fold(0i32, |depth, c| match c {
                Component::ParentDir if depth == 0 => None,
                Component::ParentDir => Some(depth - 1),
                Component::Normal(_) => Some(depth + 1),
                _ => Some(depth),
            })
            .is_none();
    if escapes {
        return Err(ToolError::Dockhand(Error::OutsideProject {
            path: p.to_owned(),
            root: root.to_owned(),
        }));
    }
    Ok(root.join(p))
}

fn findings_json(root: &Path, files: &[FileReport]) -> Value {
    let count = |sev| {
        files
            .iter()
            .flat_map(|f| &f.diagnostics)
            .filter(|d| d.severity == sev)
            .count()
    };
    let root_prefix = format!("{}/", root.display());
    json!({
        "files": files.iter().map(|f| json!({
            "path": f.path.strip_prefix(&root_prefix).unwrap_or(&f.path),
            "kind": f.kind,
            "findings": f.diagnostics,
        })).collect::<Vec<_>>(),
        "errors": count(crate::validate::diagnostic::Severity::Error),
        "warnings": count(crate::validate::diagnostic::Severity::Warning),
    })
}

fn validate(server: &Server, args: &Args) -> Result<Value, ToolError> {
    let settings = settings(server, None)?;
    let config = settings.validator_config(args.str("kube_version")?);
    match (args.str("content")?, args.str("path")?) {
        (Some(content), None) => {
            let kind = match args.required("kind")? {
                "kubernetes" => (
                    OutputKind::Kubernetes,
                    crate::validate::FileKind::Kubernetes,
                ),
                "dockerfile" => (
                    OutputKind::Dockerfile,
                    crate::validate::FileKind::Dockerfile,
                ),
                other => {
                    return Err(ToolError::Arguments(format!(
                        "`kind` must be `kubernetes` or `dockerfile`, not `{other}` (check a Helm chart by its path)"
                    )));
                }
            };
            let name = args.str("name")?.unwrap_or("<content>").to_owned();
            let validator = Validator::new(config)?;
            let diagnostics = validator.check(kind.0, &name, content, &Default::default());
            let report = FileReport {
                policies: validator.policy_set_for(&name, &[]),
                path: name,
                kind: kind.1,
                diagnostics,
                source: content.to_owned(),
            };
            Ok(findings_json(&settings.root, &[report]))
        }
        (None, Some(path)) => {
            let full = project_path(&settings.root, path)?;
            let chart_opts = crate::validate::chart::ChartOptions {
                kube_version: config.kube_version.clone(),
                policy: config.policy.clone(),
                ..Default::default()
            };
            let validator = Validator::new(config)?;
            let reports = validator.validate_paths(&[full], &chart_opts, None, || {
                Err(std::io::Error::other("no stdin over MCP"))
            })?;
            Ok(findings_json(&settings.root, &reports))
        }
        (Some(_), Some(_)) => Err(ToolError::Arguments(
            "give either `content` (with `kind`) or `path`, not both".into(),
        )),
        (None, None) => Err(ToolError::Arguments(
            "give `content` (with `kind`) or `path`".into(),
        )),
    }
}

fn extract(args: &Args) -> Result<Value, ToolError> {
    let content = args.required("content")?;
    let kind: OutputKind = args
        .required("kind")?
        .parse()
        .map_err(|e: String| ToolError::Arguments(e))?;
    match crate::extract::extract(kind, content) {
        // As `dockhand extract`: a credential is returned as its placeholder, and named.
        Ok(x) => {
            let (text, found) = crate::pipeline::redact(kind, &x.text);
            let credentials: Vec<&str> = found.iter().map(|k| k.describe()).collect();
            Ok(json!({"text": text, "blocks": x.blocks, "credentials": credentials}))
        }
        Err(e) => Err(ToolError::Dockhand(Error::Extract(e))),
    }
}

fn prompts_list(server: &Server) -> Result<Value, ToolError> {
    let lib = Library::load(&server.root)?;
    let all: Vec<_> = lib.all().map(|t| t.as_ref()).collect();
    Ok(json!({"prompts": all}))
}

fn prompt_render(server: &Server, args: &Args) -> Result<Value, ToolError> {
    let settings = settings(server, None)?;
    let lib = Library::load(&settings.root)?;
    let t = lib.get(args.required("reference")?)?;
    let values = settings.values_for(&t.id);
    let own = settings.prompt_vars.get(&t.id).cloned().unwrap_or_default();
    let filled = crate::fill::fill(&t, &values, &own, &settings.config_path, &args.sets()?)?;
    Ok(json!({"reference": t.reference(), "text": filled.text}))
}

/// A staged job as JSON: the artifact, its findings and its diff against the file on disk.
fn staged_json(s: &Staged) -> Value {
    json!({
        "reference": s.template.reference(),
        "backend": s.answerer.backend,
        "model": s.answerer.model,
        "hand_written": s.hand_written,
        "passed": s.passed(),
        "attempts": s.attempts,
        "files": s.files.iter().map(|f| json!({
            "path": f.path,
            "content": f.content,
            "changed": f.changed(),
            "diff": crate::diff::unified(&f.path, f.current.as_deref(), &f.content),
            "findings": f.diagnostics,
        })).collect::<Vec<_>>(),
    })
}

async fn generate(server: &Server, args: &Args) -> Result<Value, ToolError> {
    let broker = args.broker()?;
    let reference = args.required("reference")?;
    let apply = args.bool("apply", false)?;
    let commit = args.bool("commit", true)?;
    let force = args.bool("force", false)?;
    let sets = args.sets()?;
    let manual = args.str("response")?.map(str::to_owned);
    let settings = settings(server, Some(&broker))?;
    // The same contract as `dockhand generate`: one run at a time when it may write.
    let _lock = if apply {
        Some(RunLock::acquire(&settings.root, crate::repo::lock_wait())?)
    } else {
        None
    };
    let ctx = Context::new(settings)?;
    let template = ctx.library.get(reference)?;
    let job = Job {
        template,
        sets,
        prefer: None,
        manual,
    };
    let staged = pipeline::prepare(&ctx, job, &|_| {}).await?;
    let mut out = staged_json(&staged);
    let applied = if apply && staged.passed() {
        let set = ChangeSet { jobs: vec![staged] };
        let a = pipeline::apply(&ctx, &set, ApplyOptions { commit, force })?;
        json!({"written": a.written, "commit": a.commit})
    } else if apply {
        json!({"written": [], "commit": null, "refused": "validation failed; nothing written"})
    } else {
        Value::Null
    };
    out["applied"] = applied;
    Ok(out)
}

async fn regen_check(server: &Server, args: &Args) -> Result<Value, ToolError> {
    let broker = args.broker()?;
    let ids = args.strings("ids")?;
    let ctx = Arc::new(Context::new(settings(server, Some(&broker))?)?);
    let lock = Lockfile::read(&ctx.settings.root)?;
    let jobs = crate::pipeline::locked_jobs(&ctx, &lock, &ids)?;
    let mut files = Vec::new();
    let mut failures = Vec::new();
    for job in jobs {
        let name = job.template.reference();
        match pipeline::prepare(&ctx, job, &|_| {}).await {
            Err(e) => failures.push(json!({"prompt": name, "error": e.to_string()})),
            Ok(s) => {
                for f in &s.files {
                    let status = if !s.passed() {
                        "failed"
                    } else if f.changed() {
                        "drift"
                    } else {
                        "up-to-date"
                    };
                    files.push(json!({
                        "path": f.path,
                        "prompt": name,
                        "status": status,
                        "findings": f.diagnostics,
                        "diff": if f.changed() { Value::String(crate::diff::unified(&f.path, f.current.as_deref(), &f.content)) } else { Value::Null },
                    }));
                }
            }
        }
    }
    let clean = failures.is_empty() && files.iter().all(|f| f["status"] == "up-to-date");
    Ok(json!({"clean": clean, "files": files, "errors": failures}))
}
