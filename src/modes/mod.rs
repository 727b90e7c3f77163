//! Where jobs come from, and the last step. Every mode goes through
//! `pipeline::prepare` and (when it writes) `pipeline::apply`.

mod doctor;
mod generate;
mod health;
mod help;
mod init;
mod mcp;
mod progress;
mod prompts;
pub(crate) mod regen;
mod review;
mod session;
mod show;
mod tools;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{BrokerArgs, Cli, Command};
use crate::error::Error;
use crate::settings::{Env, Settings};
use crate::ui::Ui;

/// How a command ended: 0 clean, 1 findings or drift, 2 could not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Clean,
    Findings,
    /// Could not run; the reasons are already shown (exit 2).
    Failed,
}

pub use crate::repo::lock_wait;

pub fn main(args: impl IntoIterator<Item = std::ffi::OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let env = Env::from_process();
    // `auto` is decided for stdout and stderr apart (anstream), so a
    // redirected stream stays plain while the other is coloured.
    let color = match cli.global.color {
        crate::cli::ColorChoice::Always => anstream::ColorChoice::Always,
        crate::cli::ColorChoice::Never => anstream::ColorChoice::Never,
        crate::cli::ColorChoice::Auto => anstream::ColorChoice::Auto,
    };
    let ui = Ui::new(
        color,
        if cli.global.quiet {
            -1
        } else {
            cli.global.verbose as i8
        },
    );
    match dispatch(cli, &env, &ui) {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::Findings) => ExitCode::from(1),
        Ok(Outcome::Failed) => ExitCode::from(2),
        Err(Error::Interrupted) => {
            ui.err("interrupted: nothing was written");
            ExitCode::from(130)
        }
        Err(e @ Error::Terminated { signal }) => {
            ui.error(&e);
            // The shell's convention: 128 + the signal (143 for SIGTERM, 129 for SIGHUP).
            ExitCode::from(128 + signal as u8)
        }
        Err(e) => {
            ui.error(&e);
            ExitCode::from(2)
        }
    }
}

/// Settings of the project (found upwards from here, or `--root`); none is an error.
fn settings(cli: &Cli, env: &Env, broker: Option<&BrokerArgs>) -> Result<Settings, Error> {
    let root = crate::settings::find_root(cli.global.root.as_deref())?;
    Settings::resolve(
        root,
        broker.map(crate::settings::BrokerFlags::from).as_ref(),
        env,
    )
}

/// Settings for a command that needs no project: the project's when there is one, else defaults.
fn settings_anywhere(cli: &Cli, env: &Env) -> Result<Settings, Error> {
    let root = crate::settings::find_root_or_cwd(cli.global.root.as_deref())?;
    Settings::resolve(root, None, env)
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))
}

/// Run `fut`; SIGINT (Ctrl-C), SIGTERM (a CI cancel) or SIGHUP (a closed terminal) while
/// it runs cancels it: every assistant's process group is killed at once, and nothing has
/// been written (preparing never writes). Exit 130, 143 or 129.
pub fn block_on_interruptible<T>(
    rt: &tokio::runtime::Runtime,
    fut: impl std::future::Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    use tokio::signal::unix::{SignalKind, signal};
    rt.block_on(async {
        // Register before anything runs. The handlers then stay for the life of the
        // process, so a signal after this point (while `apply` writes and commits) no
        // longer kills dockhand half-way: the all-or-nothing step finishes.
        let mut sigint = signal(SignalKind::interrupt()).map_err(Error::io("<SIGINT handler>"))?;
        let mut sigterm =
            signal(SignalKind::terminate()).map_err(Error::io("<SIGTERM handler>"))?;
        let mut sighup = signal(SignalKind::hangup()).map_err(Error::io("<SIGHUP handler>"))?;
        let stopped = |e: Error| {
            crate::process::kill_all_children();
            Err(e)
        };
        tokio::select! {
            r = fut => r,
            _ = sigint.recv() => stopped(Error::Interrupted),
            _ = sigterm.recv() => stopped(Error::Terminated { signal: libc::SIGTERM }),
            _ = sighup.recv() => stopped(Error::Terminated { signal: libc::SIGHUP }),
        }
    })
}

fn dispatch(cli: Cli, env: &Env, ui: &Ui) -> Result<Outcome, Error> {
    match &cli.command {
        Command::Init(args) => init::run(args, ui),
        Command::Prompts(cmd) => prompts::run(&settings(&cli, env, None)?, cmd, ui),
        Command::Generate(args) => {
            generate::run(settings(&cli, env, Some(&args.broker))?, args, ui)
        }
        Command::Regen(args) => regen::run(settings(&cli, env, Some(&args.broker))?, args, ui),
        Command::Review(args) => review::run(settings(&cli, env, Some(&args.broker))?, args, ui),
        Command::Session(args) => {
            session::require_terminal()?;
            session::run(settings(&cli, env, Some(&args.broker))?, args, ui)
        }
        Command::Validate(args) => tools::validate(&settings_anywhere(&cli, env)?, args, ui),
        Command::Extract(args) => tools::extract(args, ui),
        Command::Doctor(args) => doctor::run(&settings_anywhere(&cli, env)?, args, ui),
        Command::Health(args) => health::run(settings(&cli, env, Some(&args.broker))?, args, ui),
        Command::Mcp => mcp::run(
            crate::settings::find_root_or_cwd(cli.global.root.as_deref())?,
            env,
        ),
        Command::Completions { shell } => {
            ui.out(help::script(*shell));
            Ok(Outcome::Clean)
        }
        Command::Man(args) => help::man(args, ui),
        Command::Complete(args) => help::candidates(cli.global.root.as_deref(), args, ui),
    }
}
