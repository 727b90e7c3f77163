//! Everything that talks to an assistant. Async lives here and only here.
//!
//! The `Broker` walks the configured chain (e.g. `cache → tool → openai`): the
//! response cache first, then the prompt's own tool, then the OpenAI-compatible
//! endpoint. A backend that is unavailable or fails is skipped with a one-line
//! reason, reported through the event callback.

pub mod cache;
pub mod gordon;
pub mod kagent;
pub mod kubectl_ai;
pub mod openai;
pub mod process;

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::artifact::OutputKind;
use crate::error::Error;
use crate::library::Tool;
use crate::settings::{Settings, ToolConfigFile};
use cache::{Cache, CacheEntry};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

/// One message of a conversation with an assistant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    pub role: Role,
    pub content: String,
}

impl Turn {
    pub fn user(content: impl Into<String>) -> Turn {
        Turn {
            role: Role::User,
            content: content.into(),
        }
    }
    pub fn assistant(content: impl Into<String>) -> Turn {
        Turn {
            role: Role::Assistant,
            content: content.into(),
        }
    }
}

/// What is asked: the conversation so far (the filled prompt, then any repair turns).
#[derive(Debug, Clone)]
pub struct Request {
    pub prompt: String,
    pub tool: Tool,
    pub output: OutputKind,
    pub agent: Option<String>,
    pub turns: Vec<Turn>,
    /// Try this backend/model's cached answer first (regen replays the lock's record).
    pub prefer: Option<(String, Option<String>)>,
    /// The prompt's target files, relative to the root (Gordon gets the current Dockerfile
    /// in its working folder, to edit in place).
    pub targets: Vec<String>,
}

/// An answer, and who gave it.
#[derive(Debug, Clone)]
pub struct Response {
    pub backend: String,
    pub model: Option<String>,
    pub text: String,
    pub hand_written: bool,
    /// The cache entry the answer is kept in when the artifact is accepted
    /// (for a replayed answer, the entry it came from).
    pub record: Option<CacheEntry>,
    pub from_cache: bool,
}

/// What the broker reports while it works. The UI decides how to show it.
#[derive(Debug, Clone)]
pub enum Event {
    Trying {
        backend: String,
    },
    Skipped {
        backend: String,
        reason: String,
    },
    Retrying {
        backend: String,
        attempt: u32,
        wait: Duration,
        reason: String,
    },
    Streaming {
        bytes: usize,
    },
    /// The text of one streamed chunk, as it arrived (after a `Streaming` with the new total).
    Delta(String),
}

pub type OnEvent<'a> = &'a (dyn Fn(Event) + Send + Sync);

/// The backends, as configured for this run.
pub struct Broker {
    settings: Settings,
    cache: Cache,
    http: reqwest::Client,
    kubectl_ai_flavour: tokio::sync::OnceCell<Result<kubectl_ai::Detected, String>>,
    /// What `docker ai --help` showed, probed once per run.
    gordon_behaviours: tokio::sync::OnceCell<gordon::Behaviours>,
    /// kagent conversations of this run, so that repair follow-ups keep the agent's context.
    kagent_sessions: kagent::Sessions,
    /// One semaphore per live backend: assistants rate-limit, so each has its own cap
    /// (`[broker.concurrency]`), whatever `--jobs` says.
    limits: std::collections::BTreeMap<String, std::sync::Arc<tokio::sync::Semaphore>>,
}

impl Broker {
    pub fn new(settings: &Settings) -> Broker {
        Broker {
            settings: settings.clone(),
            cache: Cache::new(&settings.root),
            http: reqwest::Client::builder()
                .build()
                .expect("http client builds"),
            kubectl_ai_flavour: tokio::sync::OnceCell::new(),
            kagent_sessions: kagent::Sessions::default(),
            gordon_behaviours: tokio::sync::OnceCell::new(),
            limits: ["openai", "gordon", "kubectl-ai", "kagent"]
                .into_iter()
                .map(|b| {
                    (
                        b.to_owned(),
                        std::sync::Arc::new(tokio::sync::Semaphore::new(
                            settings.concurrency_for(b),
                        )),
                    )
                })
                .collect(),
        }
    }

    /// The live backends to try for a prompt, in order (the cache is consulted first, separately).
    pub fn chain_for(&self, tool: Tool) -> Vec<String> {
        if let Some(only) = &self.settings.broker.only {
            return if only == "cache" {
                Vec::new()
            } else {
                vec![only.clone()]
            };
        }
        let mut out: Vec<String> = Vec::new();
        for name in &self.settings.broker.chain {
            let name = if name == "tool" {
                tool.as_str().to_owned()
            } else {
                name.clone()
            };
            if name != "cache" && name != "manual" && !out.contains(&name) {
                out.push(name);
            }
        }
        out
    }

    /// The cache is consulted first when the chain names it, and always offline.
    pub fn uses_cache(&self) -> bool {
        self.settings.broker.offline || self.settings.broker.chain.iter().any(|b| b == "cache")
    }

    /// The model a backend would be asked with (part of the cache key).
    pub fn model_for(&self, backend: &str) -> Option<String> {
        match backend {
            "openai" => Some(self.settings.openai.model.clone()),
            "kubectl-ai" => self.settings.tools.kubectl_ai.model.clone(),
            _ => None,
        }
    }

    /// The messages sent to a backend for a request: the OpenAI fallback gets a
    /// system message asking for the artifact in the form the tool would give.
    pub fn messages_for(&self, backend: &str, req: &Request) -> Vec<Turn> {
        let mut turns = Vec::new();
        if backend == "openai" {
            turns.push(Turn {
                role: Role::System,
                content: system_message(req.tool, req.output),
            });
        }
        turns.extend(req.turns.iter().cloned());
        turns
    }

    /// A hand-written answer (`--response-file`): recorded as such, never as an assistant's.
    pub fn manual(&self, req: &Request, text: String) -> Response {
        let key = cache::key("manual", None, &req.turns);
        Response {
            backend: "manual".into(),
            model: None,
            record: Some(CacheEntry {
                key,
                prompt: req.prompt.clone(),
                backend: "manual".into(),
                model: None,
                hand_written: true,
                response: text.clone(),
            }),
            text,
            hand_written: true,
            from_cache: false,
        }
    }

    fn lookup(
        &self,
        backend: &str,
        model: Option<&str>,
        req: &Request,
    ) -> Result<Option<Response>, Error> {
        let turns = if backend == "manual" {
            req.turns.clone()
        } else {
            self.messages_for(backend, req)
        };
        let key = cache::key(backend, model, &turns);
        Ok(self.cache.get(&key)?.map(|e| Response {
            backend: e.backend.clone(),
            model: e.model.clone(),
            text: e.response.clone(),
            hand_written: e.hand_written,
            // Kept so that the commit holds the entry the artifact replays from.
            record: Some(e),
            from_cache: true,
        }))
    }

    /// Ask: the cache first, then each live backend in order.
    pub async fn ask(&self, req: &Request, on: OnEvent<'_>) -> Result<Response, Error> {
        // A report describes the cluster as it is now: only the agent that can see
        // it may answer. A replayed or model-written report would be made up.
        let live_only = req.output == OutputKind::Report;
        let chain = if live_only {
            vec![req.tool.as_str().to_owned()]
        } else {
            self.chain_for(req.tool)
        };
        if self.uses_cache() && !live_only && !self.settings.broker.refresh {
            let mut candidates: Vec<(String, Option<String>)> = Vec::new();
            // The lock's record first, unless `--backend` asked for another backend
            // or `--model` for another model.
            if let Some(p) = &req.prefer
                && self
                    .settings
                    .broker
                    .only
                    .as_ref()
                    .is_none_or(|only| *only == p.0 || only == "cache")
                && (!self.settings.broker.model_given || p.1 == self.model_for(&p.0))
            {
                candidates.push(p.clone());
            }
            for b in &chain {
                candidates.push((b.clone(), self.model_for(b)));
            }
            for (b, m) in &candidates {
                if let Some(hit) = self.lookup(b, m.as_deref(), req)? {
                    return Ok(hit);
                }
            }
        }
        let mut reasons = Vec::new();
        if self.settings.broker.offline {
            let why = if live_only {
                "--offline forbids live calls, and a report is never replayed from the cache"
            } else {
                "no recorded answer for this exact prompt (and --offline)"
            };
            reasons.push(("cache".to_owned(), why.to_owned()));
            return Err(Error::NoBackend {
                prompt: req.prompt.clone(),
                reasons,
                report: live_only,
            });
        }
        if live_only {
            reasons.push((
                "cache, openai".to_owned(),
                "not used for reports: only the agent that sees the cluster can report on it"
                    .to_owned(),
            ));
        } else if self.uses_cache() && !self.settings.broker.refresh {
            reasons.push((
                "cache".to_owned(),
                "no recorded answer for this exact prompt".to_owned(),
            ));
        }
        for backend in chain {
            on(Event::Trying {
                backend: backend.clone(),
            });
            match self.ask_live(&backend, req, on).await {
                Ok(resp) => return Ok(resp),
                Err(reason) => {
                    on(Event::Skipped {
                        backend: backend.clone(),
                        reason: reason.clone(),
                    });
                    reasons.push((backend, reason));
                }
            }
        }
        Err(Error::NoBackend {
            prompt: req.prompt.clone(),
            reasons,
            report: live_only,
        })
    }

    async fn ask_live(
        &self,
        backend: &str,
        req: &Request,
        on: OnEvent<'_>,
    ) -> Result<Response, String> {
        let _permit = match self.limits.get(backend) {
            Some(s) => Some(s.acquire().await.map_err(|e| e.to_string())?),
            None => None,
        };
        let model = self.model_for(backend);
        let turns = self.messages_for(backend, req);
        let text = match backend {
            "openai" => self.ask_openai(&turns, on).await?,
            "gordon" => self.ask_gordon(req, &turns).await?,
            "kubectl-ai" => self.ask_kubectl_ai(&turns).await?,
            "kagent" => self.ask_kagent(req, &turns).await?,
            other => return Err(format!("unknown backend `{other}`")),
        };
        let key = cache::key(backend, model.as_deref(), &turns);
        let text = self.scrub(text);
        Ok(Response {
            backend: backend.to_owned(),
            model: model.clone(),
            record: Some(CacheEntry {
                key,
                prompt: req.prompt.clone(),
                backend: backend.to_owned(),
                model,
                hand_written: false,
                response: text.clone(),
            }),
            text,
            hand_written: false,
            from_cache: false,
        })
    }

    /// Never let the API key reach a file: redact it should a server echo it.
    fn scrub(&self, text: String) -> String {
        match &self.settings.openai.api_key {
            Some(k) if !k.expose().is_empty() && text.contains(k.expose()) => {
                text.replace(k.expose(), "[redacted]")
            }
            _ => text,
        }
    }

    async fn ask_openai(&self, turns: &[Turn], on: OnEvent<'_>) -> Result<String, String> {
        let s = &self.settings.openai;
        if !s.configured {
            return Err(
                "not configured (set OPENAI_BASE_URL or OPENAI_API_KEY, or [openai] base_url)"
                    .into(),
            );
        }
        let cfg = openai::OpenAiConfig {
            base_url: s.base_url.clone(),
            api_key: s.api_key.clone(),
            model: s.model.clone(),
            request_timeout: s.timeout,
            max_retries: s.max_retries,
            backoff_base: Duration::from_millis(500),
            backoff_cap: Duration::from_secs(30),
            stream: s.stream,
            temperature: Some(0.0),
        };
        let messages: Vec<openai::ChatMessage> = turns
            .iter()
            .map(|t| openai::ChatMessage {
                role: match t.role {
                    Role::System => openai::Role::System,
                    Role::User => openai::Role::User,
                    Role::Assistant => openai::Role::Assistant,
                },
                content: t.content.clone(),
            })
            .collect();
        let mut received = 0usize;
        let mut handler = |e: openai::Event| match e {
            openai::Event::Retrying {
                attempt,
                wait,
                reason,
            } => on(Event::Retrying {
                backend: "openai".into(),
                attempt,
                wait,
                reason,
            }),
            openai::Event::Delta(d) => {
                received += d.len();
                on(Event::Streaming { bytes: received });
                on(Event::Delta(d))
            }
        };
        openai::complete(&self.http, &cfg, &messages, &mut handler)
            .await
            .map(|c| c.text)
            .map_err(|e| e.to_string())
    }

    async fn ask_gordon(&self, req: &Request, turns: &[Turn]) -> Result<String, String> {
        let cfg = tool_config(&self.settings.tools.gordon, 300);
        require(&cfg, "docker")?;
        let found = *self
            .gordon_behaviours
            .get_or_init(|| gordon::detect(&cfg))
            .await;
        let current = req.targets.first().map(String::as_str);
        gordon::ask(&cfg, &self.settings.root, current, found, &flatten(turns))
            .await
            .map_err(|e| e.to_string())
    }

    /// The kubectl-ai flavour (from config, else from `--help`) and whether it writes a
    /// trace: probed once per run.
    async fn kubectl_ai_detected(
        &self,
        cfg: &process::ToolConfig,
    ) -> Result<kubectl_ai::Detected, String> {
        self.kubectl_ai_flavour
            .get_or_init(|| async {
                let configured = match &self.settings.tools.kubectl_ai.flavour {
                    Some(f) => Some(f.parse::<kubectl_ai::Flavour>()?),
                    None => None,
                };
                kubectl_ai::detect(cfg, configured).await
            })
            .await
            .clone()
    }

    async fn ask_kubectl_ai(&self, turns: &[Turn]) -> Result<String, String> {
        let t = &self.settings.tools.kubectl_ai;
        let cfg = tool_config(t, 300);
        require(&cfg, "kubectl-ai")?;
        let detected = self.kubectl_ai_detected(&cfg).await?;
        let kubeconfig = t.kubeconfig.as_ref().map(|k| self.settings.root.join(k));
        let opts = kubectl_ai::AskOptions {
            provider: t.llm_provider.as_deref(),
            model: t.model.as_deref(),
            kubeconfig: kubeconfig.as_deref(),
        };
        kubectl_ai::ask(&cfg, detected, &opts, &flatten(turns))
            .await
            .map_err(|e| e.to_string())
    }

    async fn ask_kagent(&self, req: &Request, turns: &[Turn]) -> Result<String, String> {
        let t = &self.settings.tools.kagent;
        let cfg = tool_config(t, 600);
        require(&cfg, "kagent")?;
        let agent = req
            .agent
            .clone()
            .or_else(|| t.agent.clone())
            .unwrap_or_else(|| "k8s-agent".into());
        let opts = kagent::AskOptions {
            agent: &agent,
            namespace: t.namespace.as_deref(),
            url: t.url.as_deref(),
            stream: t.stream,
        };
        kagent::ask(&cfg, &opts, &self.kagent_sessions, turns)
            .await
            .map_err(|e| e.to_string())
    }
}

/// A tool that is not installed is unavailable: say so in one line.
fn require(cfg: &process::ToolConfig, default: &str) -> Result<(), String> {
    let program = cfg.program(default);
    match process::which(&program) {
        Some(_) => Ok(()),
        None => Err(format!("`{program}` not found on PATH")),
    }
}

/// A tool's `[tools.*]` section as the runner's config.
pub fn tool_config(t: &ToolConfigFile, default_timeout: u64) -> process::ToolConfig {
    process::ToolConfig {
        binary: t.binary.clone(),
        extra_args: t.args.clone(),
        timeout: Duration::from_secs(t.timeout_secs.unwrap_or(default_timeout)),
    }
}

/// CLI tools take one prompt, not a conversation: fold repair turns into it.
pub fn flatten(turns: &[Turn]) -> String {
    if turns.len() == 1 {
        return turns[0].content.clone();
    }
    let mut out = String::new();
    for t in turns {
        let who = match t.role {
            Role::System => "Instructions",
            Role::User => "Request",
            Role::Assistant => "Your previous answer",
        };
        out.push_str(&format!("## {who}\n\n{}\n\n", t.content.trim_end()));
    }
    out
}

/// What the OpenAI fallback is told about the tool it stands in for.
pub fn system_message(tool: Tool, output: OutputKind) -> String {
    let form = match output {
        OutputKind::Kubernetes => {
            "Kubernetes manifests as multi-document YAML in one ```yaml fenced block"
        }
        OutputKind::Dockerfile => "a complete Dockerfile in one ```dockerfile fenced block",
        OutputKind::Helm => "the Helm chart file in one ```yaml fenced block",
        OutputKind::Report => "a concise plain-text report that names each pod and its state",
    };
    let who = match tool {
        Tool::Gordon => "Docker's assistant Gordon (`docker ai`)",
        Tool::KubectlAi => "kubectl-ai",
        Tool::Kagent => "a kagent Kubernetes agent",
    };
    format!(
        "You stand in for {who}. Answer the request with {form}, as {who} would produce it. \
         Produce exactly the resources the request names, each with every setting it asks for \
         (probes, security context, resources included), and never write a credential into it."
    )
}
