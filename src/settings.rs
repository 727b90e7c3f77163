//! `dockhand.toml` + environment + flags → one validated, read-only `Settings`.
//!
//! Precedence everywhere: flags > environment > `dockhand.toml` > defaults.
//! Settings hold configuration only; runtime state lives with the run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::error::Error;
use crate::validate::schema::DEFAULT_KUBE_VERSION;

pub const CONFIG_FILE: &str = "dockhand.toml";

/// A value from `dockhand.toml`, with the line it was written on.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigValue {
    pub value: toml::Value,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// The project root: where dockhand.toml, prompts/, charts/ and docker/ live.
    pub root: PathBuf,
    /// Path of dockhand.toml (it may not exist; defaults apply then).
    pub config_path: PathBuf,
    pub kube_version: String,
    /// `[vars]`: values for any prompt that declares them.
    pub vars: BTreeMap<String, ConfigValue>,
    /// `[prompts.<id>.vars]`: values for one prompt only.
    pub prompt_vars: BTreeMap<String, BTreeMap<String, ConfigValue>>,
    pub broker: BrokerSettings,
    pub openai: OpenAiSettings,
    pub tools: ToolSettings,
    pub policies: PolicySettings,
    pub ignores: Vec<Ignore>,
    pub repair_attempts: u32,
    /// Whether dockhand.toml exists (without it, no project policies run).
    pub has_config: bool,
    pub limits: LimitSettings,
}

/// `[limits]`: bounds on what an assistant may hand back.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSection {
    /// The largest answer accepted, over HTTP or from a tool (bytes).
    pub max_answer_bytes: Option<u64>,
    /// How long `helm template` may run (seconds, default 300 like the assistants).
    pub helm_timeout_secs: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct LimitSettings {
    /// Default 1 MiB. Over it: a clear error, nothing cached; reading stops there.
    pub max_answer_bytes: u64,
    /// `helm template`'s timeout; its output has the same limit as an answer.
    pub helm_timeout: Duration,
}

pub const DEFAULT_MAX_ANSWER_BYTES: u64 = 1024 * 1024;

#[derive(Debug, Clone)]
pub struct BrokerSettings {
    /// The fallback chain, e.g. `cache`, `tool` (the prompt's own tool), `openai`.
    pub chain: Vec<String>,
    /// `--backend`: use only this one (after the cache).
    pub only: Option<String>,
    pub offline: bool,
    /// `--refresh`: skip the cache lookup and ask the live backend.
    pub refresh: bool,
    /// `--model` was given: a cached answer from another model is not replayed.
    pub model_given: bool,
    /// Jobs at once per backend (assistants rate-limit).
    pub concurrency: BTreeMap<String, usize>,
}

#[derive(Debug, Clone)]
pub struct OpenAiSettings {
    pub base_url: String,
    pub model: String,
    pub api_key: Option<ApiKey>,
    pub timeout: Duration,
    pub max_retries: u32,
    pub stream: bool,
    /// The longest `Retry-After` waited for (`[openai] max_retry_after_secs`, default 60).
    pub retry_after_ceiling: Duration,
    /// Whether the base URL or key was configured at all (for doctor and the chain).
    pub configured: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolConfigFile {
    pub binary: Option<PathBuf>,
    /// An array, or one string split as a POSIX shell would (`shlex`).
    #[serde(default, deserialize_with = "tool_args")]
    pub args: Vec<String>,
    pub timeout_secs: Option<u64>,
    /// kubectl-ai only: `google` or `sozercan` (default: detected).
    pub flavour: Option<String>,
    /// kubectl-ai (google) only.
    pub llm_provider: Option<String>,
    /// kubectl-ai only: the kubeconfig it may use (default: an empty one, no cluster access).
    pub kubeconfig: Option<PathBuf>,
    pub model: Option<String>,
    /// kagent only.
    pub agent: Option<String>,
    pub namespace: Option<String>,
    pub url: Option<String>,
    #[serde(default)]
    pub stream: bool,
}

#[derive(Debug, Clone, Default)]
pub struct ToolSettings {
    pub gordon: ToolConfigFile,
    pub kubectl_ai: ToolConfigFile,
    pub kagent: ToolConfigFile,
    /// `[tools.helm]`: the chart renderer (`binary`, `timeout_secs`).
    pub helm: ToolConfigFile,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicySettings {
    /// Policies applied to every artifact, on top of those the prompt names.
    pub enabled: Vec<String>,
    pub nodeport: u16,
    /// `host:port` the frontend must use to reach the backend.
    pub backend_address: String,
    pub chart_dir: String,
    /// `[policies.paths]`: policy names (or the set `project`) applied to the
    /// files under each path, relative to the root. Default: the project's
    /// own chart (`chart_dir`) and `docker/` get the `project` set.
    pub paths: Option<BTreeMap<String, Vec<String>>>,
    /// `[policies.stages]`: the stages a Dockerfile must have, by path
    /// (for the `expected-stages` policy under `validate`).
    pub stages: BTreeMap<String, Vec<String>>,
}

impl Default for PolicySettings {
    fn default() -> Self {
        PolicySettings {
            enabled: Vec::new(),
            nodeport: 30080,
            backend_address: "todo-backend:8000".to_owned(),
            chart_dir: "charts/todo-app".to_owned(),
            paths: None,
            stages: BTreeMap::new(),
        }
    }
}

/// `[[ignore]]` entries: defined apart so that validation reads them without
/// depending on settings (settings → validate, never back).
pub use crate::ignore::Ignore;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    project: ProjectSection,
    #[serde(default)]
    broker: BrokerSection,
    #[serde(default)]
    openai: OpenAiSection,
    #[serde(default)]
    tools: ToolsSection,
    #[serde(default)]
    vars: BTreeMap<String, toml::Spanned<toml::Value>>,
    #[serde(default)]
    prompts: BTreeMap<String, PromptSection>,
    #[serde(default)]
    policies: PolicySettings,
    #[serde(default)]
    ignore: Vec<Ignore>,
    #[serde(default)]
    limits: LimitSection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectSection {
    kube_version: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct BrokerSection {
    chain: Option<Vec<String>>,
    repair_attempts: Option<u32>,
    #[serde(default)]
    concurrency: BTreeMap<String, usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct OpenAiSection {
    base_url: Option<String>,
    model: Option<String>,
    timeout_secs: Option<u64>,
    max_retries: Option<u32>,
    stream: Option<bool>,
    max_retry_after_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ToolsSection {
    #[serde(default)]
    gordon: ToolConfigFile,
    #[serde(default, rename = "kubectl-ai")]
    kubectl_ai: ToolConfigFile,
    #[serde(default)]
    kagent: ToolConfigFile,
    #[serde(default)]
    helm: ToolConfigFile,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PromptSection {
    #[serde(default)]
    vars: BTreeMap<String, toml::Spanned<toml::Value>>,
}

pub const DEFAULT_CHAIN: &[&str] = &["cache", "tool", "openai"];
pub const KNOWN_BACKENDS: &[&str] = &[
    "cache",
    "tool",
    "openai",
    "gordon",
    "kubectl-ai",
    "kagent",
    "manual",
];

/// What the command line says about the broker. Plain data: settings know
/// nothing of the argument parser (`cli` converts its flags into this).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BrokerFlags {
    /// `--backend B`: use only B (after the cache).
    pub backend: Option<String>,
    /// `--model M`.
    pub model: Option<String>,
    /// `--offline`: never make a live call.
    pub offline: bool,
    /// `--refresh`: ask the live backend even when the cache holds an answer.
    pub refresh: bool,
}

/// 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
}

/// The project root: `--root DIR` when it holds dockhand.toml, else the
/// nearest folder upwards from the current one that does. A command that
/// needs a project gets `Error::NoProject` when there is none.
pub fn find_root(explicit: Option<&Path>) -> Result<PathBuf, Error> {
    let (start, explicit) = match explicit {
        Some(root) => (
            root.canonicalize().map_err(|source| Error::Io {
                path: root.to_owned(),
                source,
            })?,
            true,
        ),
        None => (
            std::env::current_dir().map_err(|source| Error::Io {
                path: PathBuf::from("."),
                source,
            })?,
            false,
        ),
    };
    if explicit {
        return if start.join(CONFIG_FILE).is_file() {
            Ok(start)
        } else {
            Err(Error::NoProject {
                dir: start,
                parents: false,
            })
        };
    }
    start
        .ancestors()
        .find(|d| d.join(CONFIG_FILE).is_file())
        .map(Path::to_owned)
        .ok_or(Error::NoProject {
            dir: start,
            parents: true,
        })
}

/// The root for a command that works without a project (`validate`,
/// `doctor`): the project's when there is one, else the current folder
/// (defaults apply: there is no dockhand.toml to read).
pub fn find_root_or_cwd(explicit: Option<&Path>) -> Result<PathBuf, Error> {
    match find_root(explicit) {
        Err(Error::NoProject { dir, .. }) => Ok(dir),
        other => other,
    }
}

/// The environment dockhand reads, gathered once so that resolution is a pure function.
#[derive(Debug, Clone, Default)]
pub struct Env {
    pub openai_base_url: Option<String>,
    pub openai_api_key: Option<String>,
    pub model: Option<String>,
    pub no_color: bool,
}

impl Env {
    pub fn from_process() -> Env {
        let get = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Env {
            openai_base_url: get("OPENAI_BASE_URL"),
            openai_api_key: get("OPENAI_API_KEY"),
            model: get("DOCKHAND_MODEL"),
            no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        }
    }
}

impl Settings {
    /// Load dockhand.toml under `root` and combine it with the environment and flags.
    pub fn resolve(
        root: PathBuf,
        broker: Option<&BrokerFlags>,
        env: &Env,
    ) -> Result<Settings, Error> {
        let config_path = root.join(CONFIG_FILE);
        let mut has_config = true;
        let text = match std::fs::read_to_string(&config_path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                has_config = false;
                String::new()
            }
            Err(source) => {
                return Err(Error::Io {
                    path: config_path,
                    source,
                });
            }
        };
        let file: ConfigFile = toml::from_str(&text).map_err(|e| Error::Config {
            path: config_path.clone(),
            line: e.span().map(|s| line_of(&text, s.start)).unwrap_or(1),
            message: e.message().to_owned(),
        })?;
        let spanned =
            |m: BTreeMap<String, toml::Spanned<toml::Value>>| -> BTreeMap<String, ConfigValue> {
                m.into_iter()
                    .map(|(k, v)| {
                        let line = line_of(&text, v.span().start);
                        (
                            k,
                            ConfigValue {
                                value: v.into_inner(),
                                line,
                            },
                        )
                    })
                    .collect()
            };

        let chain = file
            .broker
            .chain
            .unwrap_or_else(|| DEFAULT_CHAIN.iter().map(|s| s.to_string()).collect());
        for name in &chain {
            if !KNOWN_BACKENDS.contains(&name.as_str()) {
                return Err(Error::Config {
                    path: config_path.clone(),
                    line: find_line(&text, name),
                    message: format!(
                        "unknown backend `{name}` in broker.chain (known: {})",
                        KNOWN_BACKENDS.join(", ")
                    ),
                });
            }
        }
        for name in file
            .policies
            .paths
            .iter()
            .flat_map(|m| m.values())
            .chain(std::iter::once(&file.policies.enabled))
            .flatten()
        {
            if !crate::validate::policy::is_known(name) {
                return Err(Error::Config {
                    path: config_path.clone(),
                    line: find_line(&text, &format!("\"{name}\"")),
                    message: format!(
                        "unknown policy `{name}` in [policies] (known: {})",
                        crate::validate::policy::known_names().join(", ")
                    ),
                });
            }
        }
        let only = broker.and_then(|b| b.backend.clone());
        if let Some(name) = &only
            && (!KNOWN_BACKENDS.contains(&name.as_str()) || name == "tool" || name == "manual")
        {
            const ASKABLE: &[&str] = &["cache", "openai", "gordon", "kubectl-ai", "kagent"];
            let nearest = ASKABLE
                .iter()
                .map(|b| (strsim::damerau_levenshtein(name, b), *b))
                .filter(|(d, _)| *d <= 2)
                .min()
                .map(|(_, b)| format!("did you mean `{b}`? "))
                .unwrap_or_default();
            return Err(Error::Usage(format!(
                "unknown backend `{name}` for --backend ({nearest}known: {})",
                ASKABLE.join(", ")
            )));
        }

        let base_url_cfg = file.openai.base_url.clone();
        let base_url = env
            .openai_base_url
            .clone()
            .or(base_url_cfg)
            .unwrap_or_else(|| "https://api.openai.com/v1".to_owned());
        // Usable when a key is set, or a base URL other than OpenAI's own (local servers need no key).
        let configured = env.openai_api_key.is_some() || !base_url.contains("api.openai.com");
        let model = broker
            .and_then(|b| b.model.clone())
            .or_else(|| env.model.clone())
            .or(file.openai.model)
            .unwrap_or_else(|| "gpt-4o-mini".to_owned());

        let kube_version = file
            .project
            .kube_version
            .unwrap_or_else(|| DEFAULT_KUBE_VERSION.to_owned());

        let prompt_vars = file
            .prompts
            .into_iter()
            .map(|(id, p)| (id, spanned(p.vars)))
            .collect();
        Ok(Settings {
            root,
            config_path,
            kube_version,
            vars: spanned(file.vars),
            prompt_vars,
            broker: BrokerSettings {
                chain,
                only,
                offline: broker.is_some_and(|b| b.offline),
                refresh: broker.is_some_and(|b| b.refresh),
                model_given: broker.is_some_and(|b| b.model.is_some()),
                concurrency: file.broker.concurrency,
            },
            openai: OpenAiSettings {
                base_url,
                model,
                api_key: env.openai_api_key.clone().map(ApiKey::new),
                timeout: Duration::from_secs(file.openai.timeout_secs.unwrap_or(120)),
                max_retries: file.openai.max_retries.unwrap_or(4),
                stream: file.openai.stream.unwrap_or(true),
                retry_after_ceiling: Duration::from_secs(
                    file.openai.max_retry_after_secs.unwrap_or(60),
                ),
                configured,
            },
            tools: ToolSettings {
                gordon: file.tools.gordon,
                kubectl_ai: file.tools.kubectl_ai,
                kagent: file.tools.kagent,
                helm: file.tools.helm,
            },
            policies: file.policies,
            ignores: file.ignore,
            repair_attempts: file.broker.repair_attempts.unwrap_or(2),
            has_config,
            limits: LimitSettings {
                max_answer_bytes: file
                    .limits
                    .max_answer_bytes
                    .unwrap_or(DEFAULT_MAX_ANSWER_BYTES),
                helm_timeout: Duration::from_secs(file.limits.helm_timeout_secs.unwrap_or(300)),
            },
        })
    }

    /// Values for one prompt: `[vars]` overlaid with `[prompts.<id>.vars]`.
    pub fn values_for(&self, prompt_id: &str) -> BTreeMap<String, ConfigValue> {
        let mut out = self.vars.clone();
        if let Some(own) = self.prompt_vars.get(prompt_id) {
            out.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        out
    }

    /// The validation stage's configuration (`kube_version` overrides the project's).
    pub fn validator_config(&self, kube_version: Option<&str>) -> crate::validate::ValidatorConfig {
        let paths = match &self.policies.paths {
            Some(p) => p.clone().into_iter().collect(),
            None => vec![
                (
                    self.policies.chart_dir.clone(),
                    vec![crate::validate::policy::PROJECT_SET.to_owned()],
                ),
                (
                    "docker".to_owned(),
                    vec![crate::validate::policy::PROJECT_SET.to_owned()],
                ),
            ],
        };
        crate::validate::ValidatorConfig {
            kube_version: kube_version.unwrap_or(&self.kube_version).to_owned(),
            ignores: self.ignores.clone(),
            policy: crate::validate::policy::PolicyConfig {
                nodeport: self.policies.nodeport,
                backend_address: self.policies.backend_address.clone(),
            },
            enabled: self.policies.enabled.clone(),
            project: self.has_config.then(|| crate::validate::ProjectPolicies {
                root: self.root.clone(),
                paths,
                stages: self.policies.stages.clone().into_iter().collect(),
            }),
            chart_renderer: match &self.tools.helm.binary {
                Some(p) if p.components().count() > 1 && p.is_relative() => {
                    crate::validate::chart::Renderer::Helm(self.root.join(p))
                }
                Some(p) => crate::validate::chart::Renderer::Helm(p.clone()),
                None => crate::validate::chart::Renderer::Auto,
            },
            helm_limits: {
                let mut limits = self.helm_limits();
                if let Some(secs) = self.tools.helm.timeout_secs {
                    limits.timeout = std::time::Duration::from_secs(secs);
                }
                limits
            },
        }
    }

    /// The limits `helm template` runs under.
    pub fn helm_limits(&self) -> crate::validate::chart::HelmLimits {
        crate::validate::chart::HelmLimits {
            timeout: self.limits.helm_timeout,
            max_output: self.limits.max_answer_bytes,
        }
    }

    /// Concurrency limit for one backend (default 4).
    pub fn concurrency_for(&self, backend: &str) -> usize {
        self.broker
            .concurrency
            .get(backend)
            .copied()
            .unwrap_or(4)
            .max(1)
    }
}

fn find_line(text: &str, needle: &str) -> usize {
    text.find(needle).map(|o| line_of(text, o)).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Settings are plain data: nothing here names the argument parser.
    #[test]
    fn settings_do_not_depend_on_clap() {
        let code = include_str!("settings.rs");
        let code = &code[..code.find("#[cfg(test)]").unwrap()];
        for needle in ["clap", "crate::cli", "cli::"] {
            assert!(!code.contains(needle), "settings.rs mentions `{needle}`");
        }
    }

    #[test]
    fn a_mistyped_backend_gets_the_nearest_name() {
        let dir = tempfile::tempdir().unwrap();
        let flags = |b: &str| BrokerFlags {
            backend: Some(b.to_owned()),
            ..BrokerFlags::default()
        };
        let err = |b: &str| {
            Settings::resolve(dir.path().into(), Some(&flags(b)), &Env::default())
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err("opneai"),
            "unknown backend `opneai` for --backend (did you mean `openai`? known: cache, openai, gordon, kubectl-ai, kagent)"
        );
        assert_eq!(
            err("bard"),
            "unknown backend `bard` for --backend (known: cache, openai, gordon, kubectl-ai, kagent)"
        );
        assert!(
            Settings::resolve(dir.path().into(), Some(&flags("kagent")), &Env::default()).is_ok()
        );
    }

    #[test]
    fn no_dockhand_toml_upwards_is_an_error_naming_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let inner = dir.path().join("a/b");
        std::fs::create_dir_all(&inner).unwrap();
        let inner = inner.canonicalize().unwrap();
        match find_root(Some(&inner)) {
            Err(Error::NoProject { dir, parents }) => {
                assert_eq!((dir, parents), (inner.clone(), false))
            }
            other => panic!("{other:?}"),
        }
        std::fs::write(dir.path().join(CONFIG_FILE), "").unwrap();
        // --root names the folder itself: a parent's dockhand.toml does not count.
        assert!(find_root(Some(&inner)).is_err());
        assert_eq!(find_root_or_cwd(Some(&inner)).unwrap(), inner);
        let top = dir.path().canonicalize().unwrap();
        assert_eq!(find_root(Some(&top)).unwrap(), top);
    }
}

/// A secret API key. `Debug` and `Display` print `[redacted]`; the value is
/// only readable inside the crate, to build the `Authorization` header.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key. Surrounding whitespace (e.g. a trailing newline from a
    /// file or environment variable) is removed.
    pub fn new(key: impl Into<String>) -> Self {
        let key = key.into();
        let trimmed = key.trim();
        if trimmed.len() == key.len() {
            ApiKey(key)
        } else {
            ApiKey(trimmed.to_owned())
        }
    }

    /// True when the key is empty; an empty key sends no `Authorization`.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for ApiKey {
    fn from(key: String) -> Self {
        ApiKey::new(key)
    }
}

impl From<&str> for ApiKey {
    fn from(key: &str) -> Self {
        ApiKey::new(key)
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl std::fmt::Display for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// `[tools.*] args`: an array of arguments, or one string split as a POSIX shell would
/// (`args = "--llm-provider gemini --model 'gemini 2.5'"`). Unbalanced quotes are an error.
pub fn tool_args<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Args {
        List(Vec<String>),
        Line(String),
    }
    match Args::deserialize(d)? {
        Args::List(v) => Ok(v),
        Args::Line(line) => shlex::split(&line).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "cannot split `{line}` into arguments (an unclosed quote?); write them as an array"
            ))
        }),
    }
}
