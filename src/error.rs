//! The one error type. Variants carry the data (paths, lines, argv, status);
//! all the wording lives in the `#[error]` attributes here.

use std::path::PathBuf;

use crate::var_type::VarType;

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

    /// `extract` (CLI or MCP) found nothing of the wanted kind.
    #[error(transparent)]
    Extract(#[from] crate::extract::ExtractError),

    /// A path given to `dockhand mcp` that leaves the project.
    #[error("{}: outside the project {} (give a path relative to its root)", path.display(), root.display())]
    OutsideProject { path: PathBuf, root: PathBuf },

    #[error("no dockhand.toml in {}{}", dir.display(), if *parents { " or any parent; run `dockhand init`".to_owned() } else { format!("; run `dockhand init {}`", dir.display()) })]
    NoProject { dir: PathBuf, parents: bool },

    #[error("{}: {} already exist{}; nothing was written (pass --force to overwrite)", dir.display(), paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "), if paths.len() == 1 { "s" } else { "" })]
    WouldOverwrite { dir: PathBuf, paths: Vec<PathBuf> },

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

    #[error("no prompt `{reference}` in the library{}", if !suggestions.is_empty() { format!("; did you mean {}?", suggestions.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(" or ")) } else if known.is_empty() { " (it is empty: `dockhand init --starter` copies in the starter library)".to_owned() } else { format!(" (known: {})", known.join(", ")) })]
    PromptNotFound {
        reference: String,
        known: Vec<String>,
        /// The nearest known references (edit distance), best first.
        suggestions: Vec<String>,
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

    #[error("{}:{line}: {prompt} needs variable `{name}`: set it in dockhand.toml [vars]{}", path.display(), if *set_flag { format!(" or with --set {name}=...") } else { String::new() })]
    MissingVariable {
        name: String,
        prompt: String,
        path: PathBuf,
        line: usize,
        /// Whether the command has `--set` (generate, prompts render), so the hint may name it.
        set_flag: bool,
    },

    #[error("{prompt}: no backend could answer:{}{}", reasons.iter().map(|(b, r)| format!("\n  {b}: {r}")).collect::<String>(), no_backend_hint(reasons, *report))]
    NoBackend {
        prompt: String,
        reasons: Vec<(String, String)>,
        /// A report only the live agent can give (health): no cache, no answer by hand.
        report: bool,
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

    #[error("cannot write {}: {cause}; {}", path.display(), if *restored == 0 { "nothing was written, dockhand.lock is unchanged".to_owned() } else { format!("the {restored} file(s) this run had already written were restored, dockhand.lock is unchanged") })]
    Write {
        path: PathBuf,
        cause: WriteCause,
        restored: usize,
    },

    #[error("{source}\nthe commit did not happen; {}", if *restored == 0 { "this run wrote nothing, dockhand.lock is unchanged".to_owned() } else { format!("the {restored} file(s) this run wrote were restored and dockhand.lock is unchanged") })]
    CommitFailed { source: Box<Error>, restored: usize },

    #[error("{}: changed since dockhand wrote it (its content no longer matches the output hash in dockhand.lock); pass --force to overwrite", path.display())]
    HandEdited { path: PathBuf },

    #[error("{}: exists but dockhand.lock has no entry for it, so it was not written by dockhand; pass --force to overwrite", path.display())]
    Unrecorded { path: PathBuf },

    #[error("dockhand.lock holds entries of an earlier run that were never committed (--no-commit); this commit would take them without what they need:{}\ncommit or discard that run's changes first (restoring dockhand.lock as HEAD has it drops its entries), or pass --no-commit", pending.iter().map(|(p, why)| format!("\n  {p}: {why}")).collect::<String>())]
    PendingLock {
        pending: Vec<(String, PendingProblem)>,
    },

    #[error("{}: the response cache is a symlink to {}, outside the repository; refused (answers must live in the repository to be committed and replayed)", path.display(), real.display())]
    CacheOutside { path: PathBuf, real: PathBuf },

    #[error("{}:{line}: lock format version {found} is newer than this dockhand understands (up to {supported}); upgrade dockhand", path.display())]
    LockVersion {
        path: PathBuf,
        line: usize,
        found: u64,
        supported: u32,
    },

    #[error("{0}")]
    Schema(String),

    #[error("interrupted")]
    Interrupted,

    /// SIGTERM or SIGHUP while preparing: the assistants were killed, nothing was written.
    #[error("{}: the assistants were stopped and nothing was written", signal_name(*.signal))]
    Terminated { signal: i32 },
}

/// `SIGTERM`, `SIGHUP`, `SIGINT`, or `signal N`.
pub fn signal_name(signal: i32) -> String {
    match signal {
        libc::SIGTERM => "terminated (SIGTERM)".to_owned(),
        libc::SIGHUP => "hung up (SIGHUP)".to_owned(),
        libc::SIGINT => "interrupted (SIGINT)".to_owned(),
        n => format!("signal {n}"),
    }
}

/// What to do when no backend could answer, from why each failed. The
/// "configure an assistant" hint only when none was reachable at all; none
/// when one was asked and failed (its reason says why: 429, 500, ...).
fn no_backend_hint(reasons: &[(String, String)], report: bool) -> String {
    let offline = reasons.iter().any(|(_, r)| r.contains("--offline"));
    let unreachable = |r: &str| {
        r.starts_with("not configured")
            || r.ends_with("not found on PATH")
            || r.ends_with("does not exist")
            || r.ends_with("is not executable")
            || r.starts_with("no recorded answer")
            || r.starts_with("not used for reports")
    };
    if offline {
        "\n(--offline uses recorded answers only; run without it to ask an assistant)".to_owned()
    } else if !reasons.iter().all(|(_, r)| unreachable(r)) {
        String::new()
    } else if report {
        "\n(install kagent or set [tools.kagent] in dockhand.toml; `dockhand doctor` shows what is usable)"
            .to_owned()
    } else {
        "\n(configure an assistant in dockhand.toml or the environment (`dockhand doctor` shows what is usable), \
         or give an answer by hand with `dockhand generate ID --response-file FILE`; it is recorded as hand-written)"
            .to_owned()
    }
}

/// Why one file of a run could not be written.
#[derive(Debug)]
pub enum WriteCause {
    Io(std::io::Error),
    /// The path (or a folder on the way) became a symlink.
    Symlink,
    /// A folder on the way resolves outside the repository.
    Outside,
    Directory,
    ReadOnly,
}

impl std::fmt::Display for WriteCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteCause::Io(e) => write!(f, "{e}"),
            WriteCause::Symlink => write!(f, "it is a symlink"),
            WriteCause::Outside => {
                write!(f, "a folder on the way leads outside the repository")
            }
            WriteCause::Directory => write!(f, "it is a directory"),
            WriteCause::ReadOnly => write!(f, "it is read-only"),
        }
    }
}

/// What a lock entry of an earlier, uncommitted run lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PendingProblem {
    FileMissing,
    FileEdited,
    NoCacheEntry,
}

impl std::fmt::Display for PendingProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PendingProblem::FileMissing => write!(f, "the file is missing"),
            PendingProblem::FileEdited => write!(
                f,
                "the file no longer matches its lock entry (edited since it was generated)"
            ),
            PendingProblem::NoCacheEntry => write!(
                f,
                "no cache entry in .dockhand/cache holds its answer, so a clone could not replay it"
            ),
        }
    }
}

impl Error {
    /// The same error for a command that has `--set`: a missing variable's hint names it.
    pub fn with_set_flag(self) -> Error {
        match self {
            Error::MissingVariable {
                name,
                prompt,
                path,
                line,
                ..
            } => Error::MissingVariable {
                name,
                prompt,
                path,
                line,
                set_flag: true,
            },
            other => other,
        }
    }

    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }
}
