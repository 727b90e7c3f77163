//! The repository: git through the user's own `git`, atomic writes, target
//! confinement, and the repo-level lock that keeps two runs from writing at once.

use std::fs::File;
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::error::Error;

/// Folders dockhand may write artifacts into.
pub const ARTIFACT_ROOTS: &[&str] = &["charts", "docker"];
/// Where kagent reports go.
pub const REPORT_ROOTS: &[&str] = &["reports"];

#[derive(Debug, Clone)]
pub struct Repo {
    root: PathBuf,
}

/// argv as a person would type it, for error messages.
fn shell_words(argv: &[&str]) -> String {
    let owned: Vec<String> = argv.iter().map(|s| (*s).to_owned()).collect();
    crate::backend::process::display_argv(&owned)
}

impl Repo {
    /// The git repository containing `root`, or None when there is none.
    pub fn open(root: &Path) -> Option<Repo> {
        let out = Command::new("git")
            .arg("-C")
            .arg(root)
            .args(["rev-parse", "--show-toplevel"])
            .output()
            .ok()?;
        out.status.success().then(|| Repo {
            root: root.to_owned(),
        })
    }

    fn git(&self, args: &[&str]) -> Result<String, Error> {
        let mut cmd = Command::new("git");
        cmd.arg("-C").arg(&self.root).args(args);
        // Own process group: a Ctrl-C at the terminal must not kill git half-way through a commit.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut argv = vec!["git"];
        argv.extend_from_slice(args);
        let out = cmd.output().map_err(|e| Error::Git {
            argv: shell_words(&argv),
            status: "no exit".into(),
            stderr: e.to_string(),
        })?;
        if !out.status.success() {
            let mut stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            if stderr.trim().is_empty() {
                stderr = String::from_utf8_lossy(&out.stdout).into_owned();
            }
            let tail: Vec<&str> = stderr.lines().rev().take(20).collect();
            return Err(Error::Git {
                argv: shell_words(&argv),
                status: out.status.to_string(),
                stderr: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The repository's git directory (also right in worktrees, where `.git` is a file).
    pub fn git_dir(&self) -> Option<PathBuf> {
        self.git(&["rev-parse", "--absolute-git-dir"])
            .ok()
            .map(|s| PathBuf::from(s.trim()))
    }

    /// True when `rel` has changes not in HEAD: modified, staged, or untracked.
    pub fn is_dirty(&self, rel: &str) -> Result<bool, Error> {
        Ok(!self
            .git(&["status", "--porcelain", "--untracked-files=all", "--", rel])?
            .trim()
            .is_empty())
    }

    /// Commit exactly `paths` (relative to the root). Other staged changes stay
    /// staged and out of this commit (`git commit --only`).
    /// Returns None when those paths hold nothing new for HEAD.
    pub fn commit_paths(&self, paths: &[String], message: &str) -> Result<Option<String>, Error> {
        let mut add = vec!["add", "--"];
        add.extend(paths.iter().map(String::as_str));
        self.git(&add)?;
        let mut staged = vec!["diff", "--cached", "--name-only", "--"];
        staged.extend(paths.iter().map(String::as_str));
        if self.git(&staged)?.trim().is_empty() {
            return Ok(None);
        }
        let mut commit = vec!["commit", "--quiet", "--only", "-m", message, "--"];
        commit.extend(paths.iter().map(String::as_str));
        self.git(&commit)?;
        Ok(Some(self.git(&["rev-parse", "HEAD"])?.trim().to_owned()))
    }
}

/// Write `content` to `path` atomically: a temp file beside it, fsync, rename.
/// A crash or Ctrl-C leaves either the old file or the new one, never half.
pub fn write_atomic(path: &Path, content: &[u8]) -> Result<(), Error> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("artifact");
    let tmp = dir.join(format!(".{name}.dockhand-{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(content)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(source) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::Io {
            path: path.to_owned(),
            source,
        });
    }
    Ok(())
}

/// Check that a prompt's target stays inside charts/ or docker/: no absolute
/// path, no `..`, and no symlink on the way that leads elsewhere.
pub fn confine(root: &Path, prompt: &str, target: &str, roots: &[&str]) -> Result<PathBuf, Error> {
    let escape = |why: &str| Error::TargetEscapes {
        prompt: prompt.to_owned(),
        target: target.to_owned(),
        why: why.to_owned(),
    };
    let rel = Path::new(target);
    if rel.is_absolute() {
        return Err(escape("absolute path"));
    }
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(escape("`..` or `.` in the path"));
    }
    let first = rel
        .components()
        .next()
        .and_then(|c| c.as_os_str().to_str())
        .unwrap_or("");
    if !roots.contains(&first) || rel.components().count() < 2 {
        return Err(escape(&format!(
            "targets live under {}",
            roots
                .iter()
                .map(|r| format!("{r}/"))
                .collect::<Vec<_>>()
                .join(" or ")
        )));
    }
    // Resolve the deepest existing ancestor and make sure it is still inside its artifact root.
    let allowed = root.join(first);
    let mut probe = root.join(rel);
    loop {
        if std::fs::symlink_metadata(&probe).is_ok() {
            let real = probe
                .canonicalize()
                .map_err(|_| escape("a symlink on the way does not resolve"))?;
            let allowed_real = allowed
                .canonicalize()
                .map_err(|_| escape("the artifact root does not resolve"))?;
            if std::fs::symlink_metadata(&allowed)
                .map(|m| m.file_type().is_symlink())
                .unwrap_or(false)
                || !real.starts_with(&allowed_real)
            {
                return Err(escape("a symlink leads outside"));
            }
            break;
        }
        match probe.parent() {
            Some(p) if p.starts_with(root) && p != root => probe = p.to_owned(),
            _ => break,
        }
    }
    Ok(root.join(rel))
}

/// The repo-level lock: held for the whole run of a writing command, so two
/// dockhand runs never write at once. The second waits up to `wait`, then fails.
pub struct RunLock {
    _file: File,
}

/// Inside `.git/` so that it never shows up as an untracked file.
pub const RUN_LOCK: &str = "dockhand-run.lock";

impl RunLock {
    pub fn acquire(root: &Path, wait: Duration) -> Result<RunLock, Error> {
        let path = match Repo::open(root).and_then(|r| r.git_dir()) {
            Some(git_dir) => git_dir.join(RUN_LOCK),
            None => root.join(".dockhand").join(RUN_LOCK),
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
        }
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(Error::io(&path))?;
        let start = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(RunLock { _file: file }),
                Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < wait => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(Error::Locked {
                        path,
                        waited_secs: wait.as_secs(),
                    });
                }
                Err(std::fs::TryLockError::Error(source)) => {
                    return Err(Error::Io { path, source });
                }
            }
        }
    }
}
