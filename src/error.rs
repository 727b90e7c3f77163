//! The one error type. Variants carry the data (paths, lines, argv, status);
//! all the wording lives in the `#[error]` attributes here.

use std::path::PathBuf;

use crate::library::VarType;

/// Where a variable's value (or name) came from, for error messages.
#[derive(Debug, Clone)]
pub enum VarOrigin {
    File {
        path: PathBuf,
        line: usize,
    },
    Flag {
        flag: String,
        declared_in: PathBuf,
        line: usize,
    },
}

impl std::fmt::Display for VarOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VarOrigin::File { path, line } => write!(f, "{}:{line}", path.display()),
            VarOrigin::Flag {
                flag,
                declared_in,
                line,
            } => write!(f, "`{flag}` (see {}:{line})", declared_in.display()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("{}:{line}: {message}", path.display())]
    Config {
        path: PathBuf,
        line: usize,
        message: String,
    },

    #[error("{0}")]
    Usage(String),

    /// The MCP transport failed (`dockhand mcp`): `stage` is what it was doing.
    #[error("MCP server: {stage}: {message}")]
    Mcp {
        stage: &'static str,
        message: String,
    },

    /// A path given to `dockhand mcp` that leaves the project.
    #[error("{}: outside the project {} (give a path relative to its root)", path.display(), root.display())]
    OutsideProject { path: PathBuf, root: PathBuf },

    #[error("{}:{line}: {message}", path.display())]
    Prompt {
        path: PathBuf,
        line: usize,
        message: String,
    },

    #[error("{}:{line}: duplicate prompt {reference}: already defined in {}", second.display(), first.display())]
    DuplicatePrompt {
        reference: String,
        first: PathBuf,
        second: PathBuf,
        line: usize,
    },

    #[error("no prompt `{reference}` in the library (known: {})", if known.is_empty() { "none".to_owned() } else { known.join(", ") })]
    PromptNotFound {
        reference: String,
        known: Vec<String>,
    },

    #[error("{origin}: unknown variable `{name}` for {prompt}: {note}")]
    UnknownVariable {
        name: String,
        prompt: String,
        origin: VarOrigin,
        note: &'static str,
    },

    #[error("{origin}: variable `{name}` is declared {expected}, but got {found}")]
    TypeMismatch {
        name: String,
        expected: VarType,
        found: String,
        origin: VarOrigin,
    },

    #[error("{}:{line}: {prompt} needs variable `{name}`: set it in dockhand.toml [vars] or with --set {name}=...", path.display())]
    MissingVariable {
        name: String,
        prompt: String,
        path: PathBuf,
        line: usize,
    },

    #[error("{prompt}: no backend could answer:{}\n(configure an assistant in dockhand.toml or the environment, or give an answer by hand with --response-file FILE; it is recorded as hand-written)", reasons.iter().map(|(b, r)| format!("\n  {b}: {r}")).collect::<String>())]
    NoBackend {
        prompt: String,
        reasons: Vec<(String, String)>,
    },

    #[error("{prompt}: the answer from {backend} contains no {kind} artifact")]
    NothingExtracted {
        prompt: String,
        backend: String,
        kind: crate::artifact::OutputKind,
    },

    #[error("`{argv}` failed with {status}{}", if stderr.is_empty() { String::new() } else { format!(":\n{stderr}") })]
    Git {
        argv: String,
        status: String,
        stderr: String,
    },

    #[error("{}: not inside a git repository (dockhand commits with git; run `git init` or pass --no-commit)", root.display())]
    NotARepo { root: PathBuf },

    #[error("{}: has uncommitted changes; commit or stash them, or pass --force to overwrite", path.display())]
    DirtyTarget { path: PathBuf },

    #[error("{prompt}: target `{target}` is refused: {why}")]
    TargetEscapes {
        prompt: String,
        target: String,
        why: String,
    },

    #[error("another dockhand run holds the repository lock {}; waited {waited_secs}s", path.display())]
    Locked { path: PathBuf, waited_secs: u64 },

    #[error("{}:{line}: {message}", path.display())]
    Lock {
        path: PathBuf,
        line: usize,
        message: String,
    },

    #[error("{0}")]
    Schema(String),

    #[error("interrupted")]
    Interrupted,
}

impl Error {
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }
}
