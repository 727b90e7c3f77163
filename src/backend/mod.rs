//! Everything that talks to an assistant. Async lives here and only here.
//!
//! The `Broker` walks the configured chain (e.g. `cache → tool → openai`): the
//! response cache first, then the prompt's own tool, then the OpenAI-compatible
//! endpoint. Each live backend is an [`Adapter`] (see `adapter`): it answers, or
//! fails with a typed [`BackendError`]. A backend that is unavailable or fails is
//! skipped with its reason, reported through the event callback. Only a whole answer
//! that holds the artifact leaves the broker: one cut off (an unclosed last fence, a
//! stream without its end) or without the artifact (a refusal) is that backend's
//! failure, in the assistant's own words.

pub mod adapter;
pub mod cache;
pub mod gordon;
pub mod kagent;
pub mod kubectl_ai;
pub mod openai;
pub(crate) use crate::process;

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::artifact::OutputKind;
use crate::error::Error;
use crate::library::Tool;
use crate::settings::Settings;
pub use adapter::{Adapter, Answerer, BackendError, BackendName};
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
    pub answerer: Answerer,
    pub text: String,
    pub hand_written: bool,
    /// The cache entry the answer is kept in when the artifact is accepted
    /// (for a replayed answer, the entry it came from).
    pub record: Option<CacheEntry>,
    pub from_cache: bool,
}

impl Response {
    /// Who answered.
    pub fn answerer(&self) -> Answerer {
        self.answerer.clone()
    }
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
    /// The live backends, each behind the one adapter trait.
    adapters: Vec<Box<dyn Adapter>>,
    /// Removes the API key and URL credentials from anything shown.
    redact: openai::Redactor,
    /// One semaphore per live backend: assistants rate-limit, so each has its own cap
    /// (`[broker.concurrency]`), whatever `--jobs` says.
    limits: std::collections::BTreeMap<String, std::sync::Arc<tokio::sync::Semaphore>>,
}

impl Broker {
    pub fn new(settings: &Settings) -> Broker {
        let http = reqwest::Client::builder()
            .build()
            .expect("http client builds");
        let adapters: Vec<Box<dyn Adapter>> = vec![
            Box::new(adapter::OpenAi {
                settings: settings.clone(),
                http,
            }),
            Box::new(adapter::Gordon {
                settings: settings.clone(),
                behaviours: tokio::sync::OnceCell::new(),
            }),
            Box::new(adapter::KubectlAi {
                settings: settings.clone(),
                flavour: tokio::sync::OnceCell::new(),
            }),
            Box::new(adapter::Kagent {
                settings: settings.clone(),
                sessions: kagent::Sessions::default(),
            }),
        ];
        Broker {
            settings: settings.clone(),
            cache: Cache::new(&settings.root),
            redact: openai::Redactor::new(
                settings.openai.api_key.as_ref().map(|k| k.expose()),
                &settings.openai.base_url,
            ),
            limits: adapters
                .iter()
                .map(|a| {
                    let b = a.name().as_str();
                    (
                        b.to_owned(),
                        std::sync::Arc::new(tokio::sync::Semaphore::new(
                            settings.concurrency_for(b),
                        )),
                    )
                })
                .collect(),
            adapters,
        }
    }

    fn adapter(&self, name: &str) -> Option<&dyn Adapter> {
        self.adapters
            .iter()
            .find(|a| a.name().as_str() == name)
            .map(|a| a.as_ref())
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
        self.adapter(backend).and_then(|a| a.model())
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
            answerer: Answerer::new("manual", None),
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
            answerer: Answerer::new(e.backend.clone(), e.model.clone()),
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
                Err(e) => {
                    let reason = e.redacted(&self.redact);
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
    ) -> Result<Response, BackendError> {
        let Some(adapter) = self.adapter(backend) else {
            return Err(BackendError::Missing(format!(
                "unknown backend `{backend}`"
            )));
        };
        let _permit = match self.limits.get(backend) {
            Some(s) => Some(
                s.acquire()
                    .await
                    .map_err(|e| BackendError::Failed(e.to_string()))?,
            ),
            None => None,
        };
        let model = adapter.model();
        let turns = self.messages_for(backend, req);
        let text = adapter
            .ask(adapter::Ask {
                turns: &turns,
                request: req,
                on,
            })
            .await?;
        let text = self.scrub(text);
        // Only a whole answer that holds the artifact goes on (to be extracted, cached,
        // written); anything else is this backend's failure, and the next one is asked.
        adapter::judge_answer(adapter.name(), req.output, &text)?;
        let key = cache::key(backend, model.as_deref(), &turns);
        Ok(Response {
            answerer: Answerer::new(backend, model.clone()),
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

    /// Never let the API key (or the base URL's credentials) reach a file: redact them
    /// should a server or tool echo them.
    fn scrub(&self, text: String) -> String {
        self.redact.apply(text)
    }
}

/// A tool's `[tools.*]` section as the runner's config.
pub use adapter::tool_config;

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
