//! dockhand: prompt library → assistant → extraction → validation → commit.
//!
//! The data flows one way:
//! `PromptRef → Template → FilledPrompt → Response → Artifacts → Diagnostics → ChangeSet → Diff → Commit`.
//! `pipeline` is the only module that orders the stages; the `modes` differ
//! only in where jobs come from and in their last step.
//!
//! The library never prints: everything user-facing goes through `ui::Ui`,
//! which the binary owns (`clippy::print_stdout`/`print_stderr` are warned:
//! see the `[lints]` table in Cargo.toml).

pub(crate) mod artifact;
pub(crate) mod backend;
pub mod chartgen;
pub(crate) mod cli;
pub(crate) mod diff;
pub mod error;
pub(crate) mod extract;
pub(crate) mod fill;
pub mod hash;
pub(crate) mod health;
pub(crate) mod ignore;
pub mod library;
pub mod lock;
pub(crate) mod mcp;
pub(crate) mod modes;
pub mod pipeline;
pub(crate) mod process;
pub(crate) mod repo;
pub(crate) mod report;
pub mod settings;
pub(crate) mod stage;
pub(crate) mod ui;
pub mod validate;
pub(crate) mod var_type;

pub use error::Error;

/// Entry point used by `main.rs`: parse, run, map the outcome to an exit code.
pub fn run(args: impl IntoIterator<Item = std::ffi::OsString>) -> std::process::ExitCode {
    modes::main(args)
}
