//! Starting a child: resolving the program (a configured path is checked as given, a bare
//! name is looked up on PATH), its own process group, stdin written then closed (or
//! `/dev/null`), stdout and stderr into unnamed temp files the runner can watch.

use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use super::kill::Registered;
use super::{Invocation, ProcessError};

/// A started child and where its output goes.
pub(super) struct Spawned {
    /// First, so it leaves the registry before the files below are closed.
    pub registered: Registered,
    pub argv: Vec<String>,
    pub child: Child,
    pub stdout: File,
    pub stderr: File,
    pub started: Instant,
}

/// Where `program` is: a name with a `/` is taken as a path and must exist and be
/// executable; a bare name is looked up on PATH.
pub fn resolve(program: &Path) -> Result<PathBuf, ProcessError> {
    let shown = program.to_string_lossy().into_owned();
    if shown.is_empty() {
        return Err(ProcessError::NotFound { program: shown });
    }
    if shown.contains('/') {
        let Ok(meta) = std::fs::metadata(program) else {
            return Err(ProcessError::NoSuchFile {
                path: program.to_path_buf(),
            });
        };
        if !meta.is_file() || meta.mode() & 0o111 == 0 {
            return Err(ProcessError::NotExecutable {
                path: program.to_path_buf(),
            });
        }
        return Ok(program.to_path_buf());
    }
    super::which(&shown).ok_or(ProcessError::NotFound { program: shown })
}

pub(super) fn spawn(inv: &Invocation) -> Result<Spawned, ProcessError> {
    let argv = inv.argv();
    let program = resolve(&inv.program)?;
    if let Some(cwd) = &inv.cwd
        && !cwd.is_dir()
    {
        return Err(ProcessError::Spawn {
            argv,
            source: io::Error::new(
                io::ErrorKind::NotFound,
                format!("working directory {} does not exist", cwd.display()),
            ),
        });
    }
    let spawn_err = |source: io::Error| ProcessError::Spawn {
        argv: argv.clone(),
        source,
    };
    let stdout = tempfile::tempfile().map_err(spawn_err)?;
    let stderr = tempfile::tempfile().map_err(spawn_err)?;
    let ids = [&stdout, &stderr]
        .iter()
        .filter_map(|f| f.metadata().ok().map(|m| (m.dev(), m.ino())))
        .collect();

    let mut cmd = Command::new(&program);
    cmd.args(&inv.args)
        .stdout(stdout.try_clone().map_err(spawn_err)?)
        .stderr(stderr.try_clone().map_err(spawn_err)?)
        .stdin(if inv.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    for (k, v) in &inv.env {
        cmd.env(k, v);
    }
    if let Some(cwd) = &inv.cwd {
        cmd.current_dir(cwd);
    }
    // Its own process group: a terminal's Ctrl-C reaches dockhand only, and one kill
    // takes down the tool and everything it started.
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);

    let started = Instant::now();
    let mut child = cmd.spawn().map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => ProcessError::NotFound {
            program: inv.program.to_string_lossy().into_owned(),
        },
        io::ErrorKind::PermissionDenied => ProcessError::NotExecutable {
            path: program.clone(),
        },
        _ => spawn_err(e),
    })?;
    let registered = Registered::new(child.id() as i32, ids);
    if let (Some(input), Some(mut pipe)) = (inv.stdin.clone(), child.stdin.take()) {
        // On its own thread: a child that never reads cannot block the runner. A child
        // that exits without reading makes the write fail with EPIPE, which is fine.
        std::thread::spawn(move || {
            let _ = pipe.write_all(input.as_bytes());
        });
    }
    Ok(Spawned {
        argv,
        child,
        stdout,
        stderr,
        started,
        registered,
    })
}
