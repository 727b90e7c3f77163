//! The command line: clap derive only. Raw arguments become
//! `settings::Settings` (validated) before anything runs; `settings` itself
//! knows nothing of clap (`BrokerArgs` converts into `settings::BrokerFlags`).
//!
//! Every flag has a description and every command an Examples section
//! (`after_help`); the global flags are shown under their own heading.

use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::settings::BrokerFlags;

/// The heading the global flags are listed under in every command's help.
pub const GLOBAL_HEADING: &str = "Global options";

const MAIN_EXAMPLES: &str = "\
Examples:
  # start a project with the built-in prompt library
  dockhand init --starter
  # every prompt and version
  dockhand prompts list
  # ask, validate, write, lock and commit one artifact
  dockhand generate backend-deployment
  # do the committed artifacts match the cache? (CI)
  dockhand regen --offline --check
  # check files without asking anyone
  dockhand validate charts/ docker/";

#[derive(Debug, Parser)]
#[command(
    name = "dockhand",
    version,
    about = "Versioned prompts → AI assistants → validated Dockerfiles, manifests and charts → git",
    propagate_version = true,
    after_help = MAIN_EXAMPLES
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
pub struct Global {
    /// Project root (the folder holding dockhand.toml). Default: search upwards from the current folder.
    #[arg(long, global = true, value_name = "DIR", help_heading = GLOBAL_HEADING)]
    pub root: Option<PathBuf>,
    /// When to colour output: each stream is coloured only when it is a terminal (`auto`; NO_COLOR turns it off).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN", help_heading = GLOBAL_HEADING)]
    pub color: ColorChoice,
    /// Print less: only errors and results.
    #[arg(short, long, global = true, conflicts_with = "verbose", help_heading = GLOBAL_HEADING)]
    pub quiet: bool,
    /// Print more (repeat for more detail).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, help_heading = GLOBAL_HEADING)]
    pub verbose: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour a stream when it is a terminal and NO_COLOR is not set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// Findings with the source line, for people.
    #[default]
    Text,
    /// One JSON document.
    Json,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
    /// JUnit XML, for CI test reports.
    Junit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ListFormat {
    /// For people.
    #[default]
    Text,
    /// For scripts.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a project here (or in DIR): dockhand.toml, prompts/, the lock and .gitignore entries.
    #[command(after_help = "\
Examples:
  # dockhand.toml (every setting commented), prompts/, an empty lock
  dockhand init
  # ... and the built-in starter prompt library
  dockhand init --starter
  # in ./web, overwriting dockhand.toml, the lock and the starter prompts
  dockhand init web --starter --force")]
    Init(InitArgs),
    /// Browse and render the prompt library.
    #[command(
        subcommand,
        after_help = "\
Examples:
  dockhand prompts list
  dockhand prompts render frontend --set frontend_replicas=3
  dockhand prompts diff frontend@1.0.0 frontend@1.1.0"
    )]
    Prompts(PromptsCommand),
    /// Fill a prompt, ask the assistant, validate the answer and commit the artifact.
    #[command(after_help = "\
Examples:
  # the newest version, values from dockhand.toml
  dockhand generate backend-deployment
  dockhand generate backend-deployment@1.0.0 --set backend_replicas=3
  dockhand generate frontend --backend openai --model gpt-4o
  # an answer written by hand (recorded as such)
  dockhand generate frontend --response-file answer.md")]
    Generate(GenerateArgs),
    /// Regenerate locked artifacts (all by default), in parallel; one commit for the run.
    #[command(after_help = "\
Examples:
  # replay every locked artifact from the response cache
  dockhand regen --offline
  # exit 1 and name the files that differ (CI)
  dockhand regen --offline --check
  dockhand regen frontend backend-service -j 2
  # the same, for scripts
  dockhand regen --format json --check")]
    Regen(RegenArgs),
    /// Generate into a staging area and review the diff before anything is written.
    #[command(after_help = "\
Examples:
  # every locked artifact, hunk by hunk
  dockhand review
  # accept whatever passes validation
  dockhand review frontend --apply")]
    Review(ReviewArgs),
    /// Interactive: choose a prompt, fill it, watch the answer, then accept, reprompt, edit or skip.
    #[command(after_help = "\
Examples:
  # the configured backends, in order
  dockhand session
  dockhand session --backend openai --model gpt-4o")]
    Session(SessionArgs),
    /// Validate Dockerfiles, Helm charts and Kubernetes manifests (no project needed).
    #[command(after_help = "\
Examples:
  dockhand validate
  dockhand validate charts/todo-app docker/backend/Dockerfile
  kubectl get deploy -o yaml | dockhand validate -
  dockhand validate k8s/ --kube-version 1.30 --format sarif > findings.sarif

Exit status: 0 clean, 1 findings, 2 could not run.")]
    Validate(ValidateArgs),
    /// Pull the artifact out of an assistant's answer (no project needed).
    #[command(after_help = "\
Examples:
  # the Kubernetes manifests in answer.md
  dockhand extract answer.md
  docker ai 'a Dockerfile for ...' | dockhand extract --as dockerfile")]
    Extract(ExtractArgs),
    /// Show which assistants and peer tools are usable here, and why not.
    #[command(after_help = "\
Examples:
  dockhand doctor
  dockhand doctor --format json")]
    Doctor(DoctorArgs),
    /// Run the kagent health passes against the cluster.
    #[command(after_help = "\
Examples:
  # both passes
  dockhand health
  dockhand health --pass resources

Exit status: 0 healthy, 1 findings, 2 could not run.")]
    Health(HealthArgs),
    /// Serve dockhand's tools (validate, extract, prompts, generate, regen check) over MCP on stdio.
    #[command(after_help = "\
Examples:
  # what an MCP client runs (kubectl-ai's mcp.yaml, gordon-mcp.yml, an editor's mcpServers)
  dockhand --root /path/to/project mcp
  # try its tools in the MCP Inspector
  npx @modelcontextprotocol/inspector dockhand mcp")]
    Mcp,
    /// Print shell completions (prompt IDs and backend names complete as you type).
    #[command(after_help = "\
Examples:
  dockhand completions bash > ~/.local/share/bash-completion/completions/dockhand
  dockhand completions zsh > \"${fpath[1]}/_dockhand\"
  dockhand completions fish > ~/.config/fish/completions/dockhand.fish")]
    Completions {
        /// The shell to print completions for.
        #[arg(value_enum)]
        shell: CompletionShell,
    },
    /// Print a man page (roff), or write one page per command into a folder.
    #[command(after_help = "\
Examples:
  # the main page
  dockhand man | man -l -
  # the page of `dockhand generate`
  dockhand man generate
  dockhand man --dir /usr/local/share/man/man1")]
    Man(ManArgs),
    /// Candidates for the shell completion scripts (internal).
    #[command(name = "__complete", hide = true)]
    Complete(CompleteArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The folder to set up (created when missing; default: the current folder).
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Also copy in the built-in starter prompt library (the seed's prompts).
    #[arg(long)]
    pub starter: bool,
    /// Overwrite files that already exist (dockhand.toml, the lock, starter prompts).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The command whose page to print, e.g. `generate` or `prompts list` (default: the main page).
    #[arg(value_name = "COMMAND", conflicts_with = "dir")]
    pub command: Vec<String>,
    /// Write one page per command into this folder (dockhand.1, dockhand-generate.1, ...).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompleteArgs {
    /// The shell asking.
    #[arg(value_enum)]
    pub shell: CompletionShell,
    /// The words after `dockhand`, up to and including the one being completed.
    #[arg(last = true, allow_hyphen_values = true)]
    pub words: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum PromptsCommand {
    /// List every prompt and version.
    #[command(after_help = "\
Examples:
  dockhand prompts list
  dockhand prompts list --format json | jq '.[].id'")]
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: ListFormat,
    },
    /// Show one prompt's front matter and template.
    #[command(after_help = "\
Examples:
  # the newest version
  dockhand prompts show frontend
  dockhand prompts show frontend@1.0.0")]
    Show {
        /// ID (newest version) or ID@VERSION.
        #[arg(value_name = "ID[@VERSION]")]
        reference: String,
    },
    /// Fill a prompt with values from dockhand.toml and --set, and print it.
    #[command(after_help = "\
Examples:
  dockhand prompts render backend-deployment
  dockhand prompts render backend-deployment --set backend_replicas=3")]
    Render {
        /// ID (newest version) or ID@VERSION.
        #[arg(value_name = "ID[@VERSION]")]
        reference: String,
        /// A value for one of the prompt's variables (repeatable; wins over dockhand.toml).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
    },
    /// Show how two versions of a prompt differ.
    #[command(after_help = "\
Examples:
  dockhand prompts diff frontend@1.0.0 frontend@1.1.0")]
    Diff {
        /// The old side: ID or ID@VERSION.
        #[arg(value_name = "A")]
        a: String,
        /// The new side: ID or ID@VERSION.
        #[arg(value_name = "B")]
        b: String,
    },
}

#[derive(Debug, Clone, Args, Default)]
pub struct BrokerArgs {
    /// Use only this backend (after the cache).
    #[arg(long, value_name = "BACKEND", value_enum)]
    pub backend: Option<crate::backend::BackendName>,
    /// Model for the OpenAI-compatible backend (else DOCKHAND_MODEL, else dockhand.toml).
    #[arg(long, value_name = "MODEL")]
    pub model: Option<String>,
    /// Never make a live call: answer from the response cache or fail.
    #[arg(long)]
    pub offline: bool,
    /// Ask the live backend even when the response cache holds an answer.
    #[arg(long, conflicts_with = "offline")]
    pub refresh: bool,
}

impl From<&BrokerArgs> for BrokerFlags {
    fn from(a: &BrokerArgs) -> BrokerFlags {
        BrokerFlags {
            backend: a.backend.map(|b| b.as_str().to_owned()),
            model: a.model.clone(),
            offline: a.offline,
            refresh: a.refresh,
        }
    }
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// ID (newest version) or ID@VERSION.
    #[arg(value_name = "ID[@VERSION]")]
    pub reference: String,
    /// A value for one of the prompt's variables (repeatable; wins over dockhand.toml).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    #[command(flatten)]
    pub broker: BrokerArgs,
    /// Write the artifact and the lock but do not commit.
    #[arg(long)]
    pub no_commit: bool,
    /// Overwrite targets even when they have uncommitted changes.
    #[arg(long)]
    pub force: bool,
    /// Use this hand-written answer instead of asking an assistant (recorded as hand-written).
    #[arg(long, value_name = "FILE")]
    pub response_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RegenArgs {
    /// Prompt IDs to regenerate (default: every locked artifact).
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,
    /// Jobs at a time (default: number of cores, bounded per backend).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Do not write: exit 1 and name the files that differ.
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub broker: BrokerArgs,
    /// Output format of the summary.
    #[arg(long, value_enum, default_value_t)]
    pub format: ListFormat,
    /// Write the jobs that succeeded even when others failed.
    #[arg(long)]
    pub keep_going: bool,
    /// Write the artifacts and the lock but do not commit.
    #[arg(long)]
    pub no_commit: bool,
    /// Overwrite targets even when they have uncommitted changes.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// Prompt IDs to review (default: every locked artifact).
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,
    /// Accept every artifact that passes validation.
    #[arg(long)]
    pub apply: bool,
    #[command(flatten)]
    pub broker: BrokerArgs,
    /// Write accepted artifacts and the lock but do not commit.
    #[arg(long)]
    pub no_commit: bool,
}

#[derive(Debug, Args)]
pub struct SessionArgs {
    #[command(flatten)]
    pub broker: BrokerArgs,
    /// Write accepted artifacts and the lock but do not commit.
    #[arg(long)]
    pub no_commit: bool,
    /// Overwrite targets even when they have uncommitted changes.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Files or folders (walked recursively); `-` reads stdin. None: the
    /// project's charts/ and docker/.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format of the findings.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Kubernetes version of the schemas (default 1.33).
    #[arg(long, value_name = "X.Y")]
    pub kube_version: Option<String>,
    /// Extra values files for charts (like `helm --values`; later files win).
    #[arg(long = "values", short = 'f', value_name = "FILE")]
    pub values: Vec<PathBuf>,
    /// Value overrides for charts (like `helm --set a.b=c`).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Files checked at once (default: the cores available).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
}

#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// What to extract.
    #[arg(
        long = "as",
        value_name = "KIND",
        default_value = "kubernetes",
        value_parser = PossibleValuesParser::new(["kubernetes", "dockerfile", "helm", "report"])
            .map(|s| s.parse::<crate::artifact::OutputKind>().expect("a listed kind"))
    )]
    pub kind: crate::artifact::OutputKind,
    /// The answer to read (default `-`, stdin).
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: ListFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HealthPass {
    /// Pods that restart, crash or are not ready.
    Stability,
    /// Requests and limits against what the pods use.
    Resources,
}

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// Run one pass (default: both).
    #[arg(long = "pass", value_enum)]
    pub pass: Option<HealthPass>,
    /// Accept the resources pass's values.yaml change without asking (else a terminal is asked).
    #[arg(long)]
    pub apply: bool,
    #[command(flatten)]
    pub broker: BrokerArgs,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Every argument of every command (hidden ones aside) has a description,
    /// and every visible command has an Examples section.
    #[test]
    fn every_flag_is_described_and_every_command_has_examples() {
        fn check(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            if cmd.is_hide_set() || cmd.get_name() == "help" {
                return;
            }
            let here = format!("{path} {}", cmd.get_name()).trim().to_owned();
            for a in cmd.get_arguments() {
                if a.get_help().is_none() && !matches!(a.get_id().as_str(), "help" | "version") {
                    missing.push(format!("{here}: {} has no description", a.get_id()));
                }
            }
            let examples = cmd
                .get_after_help()
                .is_some_and(|h| h.to_string().starts_with("Examples:\n"));
            if !examples {
                missing.push(format!("{here}: no Examples section"));
            }
            for sub in cmd.get_subcommands() {
                check(sub, &here, missing);
            }
        }
        let mut missing = Vec::new();
        let mut cmd = Cli::command();
        cmd.build();
        check(&cmd, "", &mut missing);
        assert!(missing.is_empty(), "{missing:#?}");
    }
}
