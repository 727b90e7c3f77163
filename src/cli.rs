//! The command line: clap derive only. Raw arguments become `settings::Settings`
//! (validated) before anything runs.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "dockhand",
    version,
    about = "Versioned prompts → AI assistants → validated Dockerfiles, manifests and charts → git",
    propagate_version = true
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
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// When to colour output. NO_COLOR is honoured for `auto`.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print less: only errors and results.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more (repeat for more detail).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
    Sarif,
    Junit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ListFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Browse and render the prompt library.
    #[command(subcommand)]
    Prompts(PromptsCommand),
    /// Fill a prompt, ask the assistant, validate the answer and commit the artifact.
    Generate(GenerateArgs),
    /// Regenerate locked artifacts (all by default), in parallel; one commit for the run.
    Regen(RegenArgs),
    /// Generate into a staging area and review the diff before anything is written.
    Review(ReviewArgs),
    /// Interactive: choose a prompt, fill it, watch the answer, then accept, reprompt, edit or skip.
    Session(SessionArgs),
    /// Validate Dockerfiles, Helm charts and Kubernetes manifests.
    Validate(ValidateArgs),
    /// Pull the artifact out of an assistant's answer.
    Extract(ExtractArgs),
    /// Show which assistants and peer tools are usable here, and why not.
    Doctor(DoctorArgs),
    /// Run the kagent health passes against the cluster.
    Health(HealthArgs),
    /// Serve dockhand's tools (validate, extract, prompts, generate, regen check) over MCP on stdio.
    Mcp,
    /// Print shell completions.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
}

#[derive(Debug, Subcommand)]
pub enum PromptsCommand {
    /// List every prompt and version.
    List {
        #[arg(long, value_enum, default_value_t)]
        format: ListFormat,
    },
    /// Show one prompt's front matter and template.
    Show {
        /// ID (newest version) or ID@VERSION.
        reference: String,
    },
    /// Fill a prompt with values from dockhand.toml and --set, and print it.
    Render {
        reference: String,
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
    },
    /// Show how two versions of a prompt differ.
    Diff { a: String, b: String },
}

#[derive(Debug, Clone, Args, Default)]
pub struct BrokerArgs {
    /// Use only this backend (cache, openai, gordon, kubectl-ai, kagent).
    #[arg(long, value_name = "BACKEND")]
    pub backend: Option<String>,
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

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// ID (newest version) or ID@VERSION.
    pub reference: String,
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
    pub ids: Vec<String>,
    /// Jobs at a time (default: number of cores, bounded per backend).
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Do not write: exit 1 and name the files that differ.
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub broker: BrokerArgs,
    #[arg(long, value_enum, default_value_t)]
    pub format: ListFormat,
    /// Write the jobs that succeeded even when others failed.
    #[arg(long)]
    pub keep_going: bool,
    #[arg(long)]
    pub no_commit: bool,
    /// Overwrite targets even when they have uncommitted changes.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ReviewArgs {
    pub ids: Vec<String>,
    /// Accept every artifact that passes validation.
    #[arg(long)]
    pub apply: bool,
    #[command(flatten)]
    pub broker: BrokerArgs,
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
    /// Files or folders (walked recursively); `-` reads stdin.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
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
}

#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// What to extract.
    #[arg(long = "as", value_name = "KIND", default_value = "kubernetes")]
    pub kind: crate::artifact::OutputKind,
    /// The answer to read (default `-`, stdin).
    pub file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[arg(long, value_enum, default_value_t)]
    pub format: ListFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HealthPass {
    Stability,
    Resources,
}

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// Run one pass (default: both).
    #[arg(long = "pass", value_enum)]
    pub pass: Option<HealthPass>,
    #[command(flatten)]
    pub broker: BrokerArgs,
}
