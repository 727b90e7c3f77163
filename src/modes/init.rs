//! `dockhand init [DIR]`: start a project. It writes `dockhand.toml` (every
//! setting present, commented, at its default), `prompts/`, an empty
//! `dockhand.lock` and the `.gitignore` entries; with `--starter` it also
//! copies in the starter library embedded in the binary (this repository's
//! `prompts/` at build time, listed by build.rs) and the values its variables
//! need. Existing files are refused unless `--force`; nothing is written then.

use std::path::{Path, PathBuf};

use super::Outcome;
use crate::cli::InitArgs;
use crate::error::Error;
use crate::settings::CONFIG_FILE;
use crate::ui::Ui;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/starter.rs"));
}

pub(crate) use embedded::STARTER;

/// What `.gitignore` must hold for a dockhand project.
pub(crate) const GITIGNORE_ENTRIES: &[&str] = &["/.dockhand/dockhand-run.lock"];

/// dockhand.toml with every setting commented out at its default.
pub(crate) fn config_template(starter: bool) -> String {
    let kube = crate::validate::schema::DEFAULT_KUBE_VERSION;
    let vars = if starter {
        format!(
            "# Values for the starter prompts' variables (a prompt's own defaults apply otherwise).\n{}",
            starter_vars()
        )
    } else {
        "# Values for the prompts' variables, shared by every prompt that declares them.\n\
         [vars]\n\
         # backend_image = \"todo-backend:latest\"\n"
            .to_owned()
    };
    format!(
        r#"# dockhand configuration. Precedence: flags > environment > this file > defaults.
# Every setting is shown at its default (or, where there is none, an example);
# remove the `#` to change one.

[project]
# Kubernetes version of the strict schemas (`dockhand validate --help`).
# kube_version = "{kube}"

[broker]
# Tried in order: the response cache, the prompt's own tool, then the OpenAI-compatible endpoint.
# chain = ["cache", "tool", "openai"]
# Follow-ups sent to the assistant when an answer fails validation.
# repair_attempts = 2

[broker.concurrency]
# Jobs at once per backend (assistants rate-limit); 4 for a backend not named.
# openai = 4
# gordon = 4
# kubectl-ai = 4
# kagent = 4

[openai]
# Any OpenAI-compatible endpoint. OPENAI_BASE_URL and OPENAI_API_KEY override;
# the key is only ever read from the environment, never from this file.
# base_url = "https://api.openai.com/v1"
# Model (DOCKHAND_MODEL and --model override).
# model = "gpt-4o-mini"
# timeout_secs = 120
# Retries on 429 and 5xx (Retry-After is honoured).
# max_retries = 4
# Stream the answer as it is written.
# stream = true

[tools.gordon]
# `docker ai` (Docker's Gordon). Default: `docker` on PATH.
# binary = "/usr/local/bin/docker"
# args = []
# timeout_secs = 300

[tools.kubectl-ai]
# Default: `kubectl-ai` on PATH; the flavour ("google" or "sozercan") is detected from --help.
# binary = "/usr/local/bin/kubectl-ai"
# args = []
# timeout_secs = 300
# flavour = "google"
# The google flavour's --llm-provider and --model (no default: the tool's own).
# llm_provider = "openai"
# model = "gpt-4o-mini"

[tools.kagent]
# Default: `kagent` on PATH.
# binary = "/usr/local/bin/kagent"
# args = []
# timeout_secs = 600
# agent = "k8s-agent"
# Namespace and URL of the kagent controller (no default: the tool's own).
# namespace = "kagent"
# url = "http://localhost:8083"
# stream = false

[policies]
# Applied to every manifest, on top of the policies each prompt names.
# enabled = []
# nodeport = 30080
# `host:port` the frontend must use to reach the backend.
# backend_address = "todo-backend:8000"
# chart_dir = "charts/todo-app"

# Silence one finding, with the reason (or `# dockhand:ignore CODE reason` in the file).
# [[ignore]]
# code = "DL3007"
# path = "docker/"
# reason = "the base image is pinned by digest elsewhere"

{vars}
# Values for one prompt only:
# [prompts.backend-deployment.vars]
# backend_replicas = 3
"#
    )
}

/// The `[vars]` table of this repository's dockhand.toml: the values the starter prompts need.
fn starter_vars() -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in embedded::REPO_CONFIG.lines() {
        let header = line.trim_start().starts_with('[');
        if header {
            inside = line.trim() == "[vars]";
        }
        if inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// One file `init` writes.
struct Planned {
    rel: String,
    content: String,
}

pub fn run(args: &InitArgs, ui: &Ui) -> Result<Outcome, Error> {
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => std::env::current_dir().map_err(Error::io("."))?,
    };
    std::fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
    let mut plan = vec![
        Planned {
            rel: CONFIG_FILE.to_owned(),
            content: config_template(args.starter),
        },
        Planned {
            rel: crate::lock::LOCK_FILE.to_owned(),
            content: crate::lock::Lockfile {
                version: 1,
                artifacts: Vec::new(),
            }
            .render(),
        },
    ];
    if args.starter {
        plan.extend(STARTER.iter().map(|(rel, text)| Planned {
            rel: (*rel).to_owned(),
            content: (*text).to_owned(),
        }));
    }
    let existing: Vec<PathBuf> = plan
        .iter()
        .map(|p| PathBuf::from(&p.rel))
        .filter(|rel| dir.join(rel).exists())
        .collect();
    if !existing.is_empty() && !args.force {
        return Err(Error::WouldOverwrite {
            dir: dir.clone(),
            paths: existing,
        });
    }

    let prompts = dir.join(crate::library::PROMPTS_DIR);
    std::fs::create_dir_all(&prompts).map_err(Error::io(&prompts))?;
    let mut report = String::new();
    for p in &plan {
        let path = dir.join(&p.rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(Error::io(parent))?;
        }
        crate::repo::write_atomic(&path, p.content.as_bytes())?;
        if !p.rel.starts_with("prompts/") {
            let verb = if existing.contains(&PathBuf::from(&p.rel)) {
                "overwrote"
            } else {
                "created"
            };
            report.push_str(&format!("{verb} {}\n", p.rel));
        }
    }
    report.push_str(&if args.starter {
        format!(
            "created prompts/ with the starter library ({} prompts)\n",
            STARTER.len()
        )
    } else {
        "created prompts/ (empty; `dockhand init --starter` copies in the starter library)\n"
            .to_owned()
    });
    let added = gitignore(&dir)?;
    if !added.is_empty() {
        report.push_str(&format!("added to .gitignore: {}\n", added.join(", ")));
    }
    if crate::repo::Repo::open(&dir).is_none() {
        report.push_str(
            "note: not inside a git repository; dockhand commits what it writes: run `git init` (or pass --no-commit)\n",
        );
    }
    report.push_str(
        "next: `dockhand prompts list`; configure an assistant (OPENAI_BASE_URL, OPENAI_API_KEY, \
         or a tool on PATH: see `dockhand doctor`), then `dockhand generate ID`\n",
    );
    ui.out(&report);
    Ok(Outcome::Clean)
}

/// Append the entries `.gitignore` lacks; the ones added.
fn gitignore(dir: &Path) -> Result<Vec<&'static str>, Error> {
    let path = dir.join(".gitignore");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(Error::io(&path)(e)),
    };
    let missing: Vec<&'static str> = GITIGNORE_ENTRIES
        .iter()
        .copied()
        .filter(|e| !text.lines().any(|l| l.trim() == *e))
        .collect();
    if missing.is_empty() {
        return Ok(missing);
    }
    let mut new = text.clone();
    if !new.is_empty() && !new.ends_with('\n') {
        new.push('\n');
    }
    for e in &missing {
        new.push_str(e);
        new.push('\n');
    }
    crate::repo::write_atomic(&path, new.as_bytes())?;
    Ok(missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded list is exactly what is under prompts/ now, byte for byte.
    #[test]
    fn the_starter_library_is_the_repos_prompts() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut on_disk = Vec::new();
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "md") {
                    out.push(p);
                }
            }
        }
        walk(&root.join("prompts"), &mut on_disk);
        on_disk.sort();
        let on_disk: Vec<(String, String)> = on_disk
            .iter()
            .map(|p| {
                (
                    p.strip_prefix(root).unwrap().to_string_lossy().into_owned(),
                    std::fs::read_to_string(p).unwrap(),
                )
            })
            .collect();
        let embedded: Vec<(String, String)> = STARTER
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect();
        assert_eq!(embedded, on_disk);
        assert!(!STARTER.is_empty());
    }

    /// Uncommenting every setting is valid configuration and changes no default.
    #[test]
    fn every_commented_setting_is_valid_and_at_its_default() {
        let dir = tempfile::tempdir().unwrap();
        let text = config_template(false);
        let uncommented: String = text
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest) if rest.contains(" = ") || rest.starts_with('[') => {
                    format!("{rest}\n")
                }
                _ => format!("{l}\n"),
            })
            .collect();
        let env = crate::settings::Env::default();
        let defaults = crate::settings::Settings::resolve(dir.path().into(), None, &env).unwrap();
        std::fs::write(dir.path().join(CONFIG_FILE), &uncommented).unwrap();
        let s = crate::settings::Settings::resolve(dir.path().into(), None, &env)
            .unwrap_or_else(|e| panic!("{e}\n{uncommented}"));
        assert_eq!(s.kube_version, defaults.kube_version);
        assert_eq!(s.broker.chain, defaults.broker.chain);
        assert_eq!(s.repair_attempts, defaults.repair_attempts);
        for b in ["openai", "gordon", "kubectl-ai", "kagent"] {
            assert_eq!(s.concurrency_for(b), defaults.concurrency_for(b));
        }
        assert_eq!(s.openai.base_url, defaults.openai.base_url);
        assert_eq!(s.openai.model, defaults.openai.model);
        assert_eq!(s.openai.timeout, defaults.openai.timeout);
        assert_eq!(s.openai.max_retries, defaults.openai.max_retries);
        assert_eq!(s.openai.stream, defaults.openai.stream);
        assert_eq!(s.policies.enabled, defaults.policies.enabled);
        assert_eq!(s.policies.nodeport, defaults.policies.nodeport);
        assert_eq!(
            s.policies.backend_address,
            defaults.policies.backend_address
        );
        assert_eq!(s.policies.chart_dir, defaults.policies.chart_dir);
        assert_eq!(s.ignores.len(), 1);
        // As written (all commented) it is valid too.
        std::fs::write(dir.path().join(CONFIG_FILE), &text).unwrap();
        crate::settings::Settings::resolve(dir.path().into(), None, &env).unwrap();
    }

    #[test]
    fn the_starter_config_sets_the_starter_vars() {
        let text = config_template(true);
        let v: toml::Value = toml::from_str(&text).unwrap();
        assert!(v["vars"].as_table().unwrap().contains_key("backend_image"));
    }
}
