//! The repository: git through the user's own `git`, atomic writes, target
//! confinement, and the repo-level lock that keeps two runs from writing at once.

use std::fs::File;
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::error::{Error, WriteCause};

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
    crate::process::display_argv(&owned)
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
        self.git_with_input(args, None)
    }

    /// Run git with `input` on its stdin (when given).
    fn git_with_input(&self, args: &[&str], input: Option<&str>) -> Result<String, Error> {
        let mut cmd = Command::new("git");
        cmd.arg("-C").arg(&self.root).args(args);
        // Own process group: a Ctrl-C at the terminal must not kill git half-way through a commit.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        cmd.stdin(if input.is_some() {
            std::process::Stdio::piped()
        } else {
            std::process::Stdio::null()
        })
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
        let mut argv = vec!["git"];
        argv.extend_from_slice(args);
        let mut run = || -> std::io::Result<std::process::Output> {
            let mut child = cmd.spawn()?;
            if let Some(text) = input {
                let mut stdin = child.stdin.take().expect("piped");
                stdin.write_all(text.as_bytes())?;
            }
            child.wait_with_output()
        };
        let out = run().map_err(|e| Error::Git {
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
            .git(&[
                "--no-optional-locks",
                "status",
                "--porcelain",
                "--untracked-files=all",
                "--",
                rel,
            ])?
            .trim()
            .is_empty())
    }

    /// A file's content at HEAD (None when HEAD or the file does not exist).
    pub(crate) fn at_head(&self, rel: &str) -> Option<String> {
        // `./`: relative to the root, which may be a folder inside the repository.
        self.git(&["show", &format!("HEAD:./{rel}")]).ok()
    }

    /// The index entries of `paths` (`git ls-files -s`), to put back with
    /// [`Repo::restore_index`] when a commit fails.
    pub(crate) fn index_of(&self, paths: &[String]) -> Result<String, Error> {
        let mut args = vec!["ls-files", "-s", "--"];
        args.extend(paths.iter().map(String::as_str));
        self.git(&args)
    }

    /// Put the index entries of `paths` back as [`Repo::index_of`] saw them.
    pub(crate) fn restore_index(&self, paths: &[String], saved: &str) -> Result<(), Error> {
        let mut rm = vec!["rm", "-q", "--cached", "--ignore-unmatch", "-r", "--"];
        rm.extend(paths.iter().map(String::as_str));
        self.git(&rm)?;
        if saved.trim().is_empty() {
            return Ok(());
        }
        self.git_with_input(&["update-index", "--index-info"], Some(saved))
            .map(|_| ())
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
        // The message on stdin: an error then quotes a short command line.
        let mut commit = vec!["commit", "--quiet", "--only", "-F", "-", "--"];
        commit.extend(paths.iter().map(String::as_str));
        self.git_with_input(&commit, Some(message))?;
        Ok(Some(self.git(&["rev-parse", "HEAD"])?.trim().to_owned()))
    }
}

/// Write `content` to `path` atomically: a temp file beside it, fsync, rename.
/// A crash or Ctrl-C leaves either the old file or the new one, never half.
pub fn write_atomic(path: &Path, content: &[u8]) -> Result<(), Error> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    let tmp = temp_beside(path, None).map_err(Error::io(path))?;
    let result = (|| {
        let mut f = tmp.as_file();
        f.write_all(content)?;
        f.sync_all()
    })();
    result.map_err(Error::io(path))?;
    tmp.persist(path).map_err(|e| Error::Io {
        path: path.to_owned(),
        source: e.error,
    })?;
    Ok(())
}

/// A new, randomly named temp file in `path`'s folder (so that a rename onto
/// `path` is atomic), with `path`'s permissions or the umask's default.
fn temp_beside(
    path: &Path,
    mode: Option<std::fs::Permissions>,
) -> std::io::Result<tempfile::NamedTempFile> {
    use std::os::unix::fs::PermissionsExt;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("artifact");
    tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".dockhand.tmp")
        .permissions(mode.unwrap_or_else(|| std::fs::Permissions::from_mode(0o666)))
        .tempfile_in(dir)
}

/// The files of one run, written as one unit.
///
/// First every new content is written and fsynced into a temp file beside its
/// target, after checking the target (inside the repository, not a symlink, a
/// directory or read-only). A full disk or a read-only folder fails here, before
/// any target changed. Then each temp file is renamed onto its target, the old
/// file kept as a hard link; if a rename fails, every target already replaced
/// gets its old file back. The returned [`Written`] can still undo the whole
/// unit (when the commit fails) until it is dropped.
pub fn write_all(root: &Path, files: &[(String, Vec<u8>)]) -> Result<Written, Error> {
    stage_writes(root, files)?.put()
}

/// The first half of [`write_all`]: every new content in a temp file beside
/// its target. Nothing the user sees has changed yet.
fn stage_writes(root: &Path, files: &[(String, Vec<u8>)]) -> Result<Staging, Error> {
    let fail = |rel: &str, cause: WriteCause| Error::Write {
        path: rel.into(),
        cause,
        restored: 0,
    };
    let root_real = root.canonicalize().map_err(Error::io(root))?;
    let mut created: Vec<PathBuf> = Vec::new();
    let mut staged: Vec<(String, tempfile::NamedTempFile)> = Vec::new();
    let result = (|| {
        for (rel, content) in files {
            let path = root.join(rel);
            check_target(&root_real, &path).map_err(|c| fail(rel, c))?;
            let dir = path.parent().unwrap_or(root);
            create_dirs(dir, &mut created).map_err(|e| fail(rel, WriteCause::Io(e)))?;
            // The folder may have been swapped between the check and here.
            let mode = check_target(&root_real, &path).map_err(|c| fail(rel, c))?;
            let tmp = temp_beside(&path, mode).map_err(|e| fail(rel, WriteCause::Io(e)))?;
            let mut f = tmp.as_file();
            f.write_all(content)
                .and_then(|()| f.sync_all())
                .map_err(|e| fail(rel, WriteCause::Io(e)))?;
            staged.push((rel.clone(), tmp));
        }
        Ok(())
    })();
    match result {
        Ok(()) => Ok(Staging {
            root: root.to_owned(),
            root_real,
            created,
            staged,
        }),
        Err(e) => {
            drop(staged);
            remove_dirs(&created);
            Err(e)
        }
    }
}

/// New contents in temp files, not yet in place (dropped: the temp files go).
struct Staging {
    root: PathBuf,
    root_real: PathBuf,
    created: Vec<PathBuf>,
    staged: Vec<(String, tempfile::NamedTempFile)>,
}

impl Staging {
    /// The second half of [`write_all`]: rename each temp file onto its target,
    /// keeping the old file; on a failure, put every old file back.
    fn put(self) -> Result<Written, Error> {
        let mut written = Written {
            root: self.root,
            done: Vec::new(),
            created: self.created,
        };
        for (rel, tmp) in self.staged {
            let path = written.root.join(&rel);
            let step = (|| {
                check_target(&self.root_real, &path)?;
                let backup = if std::fs::symlink_metadata(&path).is_ok() {
                    Some(backup_of(&path).map_err(WriteCause::Io)?)
                } else {
                    None
                };
                tmp.persist(&path)
                    .map_err(|e| WriteCause::Io(e.error))
                    .map(|_| backup)
            })();
            match step {
                Ok(backup) => written.done.push(Done { rel, backup }),
                Err(cause) => {
                    let restored = written.rollback();
                    return Err(Error::Write {
                        path: rel.into(),
                        cause,
                        restored,
                    });
                }
            }
        }
        sync_dirs(&written.root, &written.done);
        Ok(written)
    }
}

/// Check a target before writing: its folder resolves inside the repository,
/// and the path itself is not a symlink, a directory, or read-only. Returns the
/// permissions to keep.
fn check_target(root_real: &Path, path: &Path) -> Result<Option<std::fs::Permissions>, WriteCause> {
    // The deepest existing folder on the way must resolve inside the repository.
    let mut probe = path.parent();
    while let Some(dir) = probe {
        if std::fs::symlink_metadata(dir).is_ok() {
            let real = dir.canonicalize().map_err(WriteCause::Io)?;
            if !real.starts_with(root_real) {
                return Err(WriteCause::Outside);
            }
            break;
        }
        probe = dir.parent();
    }
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(WriteCause::Symlink),
        Ok(m) if m.is_dir() => Err(WriteCause::Directory),
        Ok(m) if m.permissions().readonly() => Err(WriteCause::ReadOnly),
        Ok(m) => Ok(Some(m.permissions())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(WriteCause::Io(e)),
    }
}

/// `create_dir_all`, remembering each folder it created (outermost first).
fn create_dirs(dir: &Path, created: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut missing = Vec::new();
    let mut probe = Some(dir);
    while let Some(d) = probe {
        if std::fs::symlink_metadata(d).is_ok() {
            break;
        }
        missing.push(d.to_owned());
        probe = d.parent();
    }
    for d in missing.into_iter().rev() {
        match std::fs::create_dir(&d) {
            Ok(()) => created.push(d),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Remove the folders a failed run created (innermost first; only if empty).
fn remove_dirs(created: &[PathBuf]) {
    for d in created.iter().rev() {
        let _ = std::fs::remove_dir(d);
    }
}

/// A hard link to `path` under a random name beside it: the old file, kept
/// without copying (a full disk cannot stop it) until the unit is done.
fn backup_of(path: &Path) -> std::io::Result<tempfile::TempPath> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("artifact");
    tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".dockhand.old")
        .make_in(dir, |p| std::fs::hard_link(path, p))
        .map(|f| f.into_temp_path())
}

/// fsync the folders that got new entries, so the renames survive a crash.
fn sync_dirs(root: &Path, done: &[Done]) {
    let mut dirs: Vec<PathBuf> = done
        .iter()
        .filter_map(|d| root.join(&d.rel).parent().map(Path::to_owned))
        .collect();
    dirs.sort();
    dirs.dedup();
    for d in dirs {
        if let Ok(f) = File::open(&d) {
            let _ = f.sync_all();
        }
    }
}

/// One target replaced by [`write_all`], with its old file (None when it was new).
struct Done {
    rel: String,
    backup: Option<tempfile::TempPath>,
}

/// What [`write_all`] changed, undoable until dropped (then the kept old files go).
pub struct Written {
    root: PathBuf,
    done: Vec<Done>,
    created: Vec<PathBuf>,
}

impl Written {
    /// The paths written, relative to the root, in order.
    pub fn paths(&self) -> Vec<String> {
        self.done.iter().map(|d| d.rel.clone()).collect()
    }

    /// Put every old file back (remove the new ones) and the created folders;
    /// returns how many targets were restored.
    pub fn rollback(&mut self) -> usize {
        let n = self.done.len();
        for d in self.done.drain(..).rev() {
            let path = self.root.join(&d.rel);
            match d.backup {
                Some(old) => {
                    let _ = old.persist(&path);
                }
                None => {
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
        remove_dirs(&self.created);
        self.created.clear();
        n
    }
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
    /// The exclusive lock, for a run that writes.
    pub fn acquire(root: &Path, wait: Duration) -> Result<RunLock, Error> {
        let path = RunLock::path(root);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
        }
        let file = RunLock::open(&path).map_err(Error::io(&path))?;
        RunLock::wait_for(file, path, wait, File::try_lock)
    }

    /// A shared lock, for a run that only reads (`regen --check`): it waits
    /// while a writing run holds the lock, so it never sees half a unit, and
    /// runs beside other readers. Where the lock file cannot be made (a
    /// read-only checkout), nobody can write either: None.
    pub fn acquire_shared(root: &Path, wait: Duration) -> Result<Option<RunLock>, Error> {
        let path = RunLock::path(root);
        let Ok(file) = RunLock::open(&path) else {
            return Ok(None);
        };
        RunLock::wait_for(file, path, wait, File::try_lock_shared).map(Some)
    }

    fn path(root: &Path) -> PathBuf {
        match Repo::open(root).and_then(|r| r.git_dir()) {
            Some(git_dir) => git_dir.join(RUN_LOCK),
            None => root.join(".dockhand").join(RUN_LOCK),
        }
    }

    fn open(path: &Path) -> std::io::Result<File> {
        File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
    }

    fn wait_for(
        file: File,
        path: PathBuf,
        wait: Duration,
        try_lock: fn(&File) -> Result<(), std::fs::TryLockError>,
    ) -> Result<RunLock, Error> {
        let start = Instant::now();
        loop {
            match try_lock(&file) {
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

/// How long a second run waits for the repository lock (DOCKHAND_LOCK_WAIT seconds overrides).
pub fn lock_wait() -> std::time::Duration {
    let secs = std::env::var("DOCKHAND_LOCK_WAIT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    std::time::Duration::from_secs(secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn files(list: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
        list.iter()
            .map(|(p, c)| ((*p).to_owned(), c.as_bytes().to_vec()))
            .collect()
    }

    /// Every file under `dir`, with its content (temp files included).
    fn tree(dir: &Path) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_owned()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                    out.push((rel, std::fs::read_to_string(&p).unwrap_or_default()));
                }
            }
        }
        out.sort();
        out
    }

    fn project() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("charts/a")).unwrap();
        std::fs::write(dir.path().join("charts/a/one.yaml"), "old one\n").unwrap();
        std::fs::write(dir.path().join("charts/a/two.yaml"), "old two\n").unwrap();
        dir
    }

    #[test]
    fn writes_every_file_and_keeps_their_modes() {
        let dir = project();
        let script = dir.path().join("charts/a/two.yaml");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o750)).unwrap();
        let w = write_all(
            dir.path(),
            &files(&[
                ("charts/a/one.yaml", "new one\n"),
                ("charts/a/two.yaml", "new two\n"),
                ("charts/b/c/three.yaml", "new three\n"),
            ]),
        )
        .unwrap();
        assert_eq!(
            w.paths(),
            [
                "charts/a/one.yaml",
                "charts/a/two.yaml",
                "charts/b/c/three.yaml"
            ]
        );
        drop(w);
        assert_eq!(
            tree(dir.path()),
            [
                ("charts/a/one.yaml".to_owned(), "new one\n".to_owned()),
                ("charts/a/two.yaml".to_owned(), "new two\n".to_owned()),
                ("charts/b/c/three.yaml".to_owned(), "new three\n".to_owned()),
            ]
        );
        let mode = |p: &str| {
            std::fs::metadata(dir.path().join(p))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode("charts/a/two.yaml"), 0o750);
        assert_eq!(mode("charts/b/c/three.yaml") & 0o644, 0o644, "not 0600");
    }

    #[test]
    fn a_read_only_target_fails_the_unit_before_anything_changes() {
        let dir = project();
        let before = tree(dir.path());
        let ro = dir.path().join("charts/a/two.yaml");
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o444)).unwrap();
        let err = write_all(
            dir.path(),
            &files(&[
                ("charts/new/x.yaml", "x\n"),
                ("charts/a/one.yaml", "new one\n"),
                ("charts/a/two.yaml", "new two\n"),
            ]),
        )
        .err()
        .unwrap();
        assert_eq!(
            err.to_string(),
            "cannot write charts/a/two.yaml: it is read-only; nothing was written, dockhand.lock is unchanged"
        );
        assert_eq!(tree(dir.path()), before, "no temp file, no new file");
        assert!(
            !dir.path().join("charts/new").exists(),
            "created folder removed"
        );
    }

    #[test]
    fn a_rename_that_fails_half_way_puts_every_old_file_back() {
        let dir = project();
        let before = tree(dir.path());
        let staging = stage_writes(
            dir.path(),
            &files(&[
                ("charts/a/one.yaml", "new one\n"),
                ("charts/new/x.yaml", "x\n"),
                ("charts/a/two.yaml", "new two\n"),
            ]),
        )
        .unwrap();
        // Between staging and the renames, the last target turns into a symlink.
        std::fs::remove_file(dir.path().join("charts/a/two.yaml")).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", dir.path().join("charts/a/two.yaml")).unwrap();
        let err = staging.put().err().unwrap();
        assert_eq!(
            err.to_string(),
            "cannot write charts/a/two.yaml: it is a symlink; the 2 file(s) this run had already written were restored, dockhand.lock is unchanged"
        );
        std::fs::remove_file(dir.path().join("charts/a/two.yaml")).unwrap();
        std::fs::write(dir.path().join("charts/a/two.yaml"), "old two\n").unwrap();
        assert_eq!(
            tree(dir.path()),
            before,
            "old files back, new ones and temps gone"
        );
        assert!(!dir.path().join("charts/new").exists());
    }

    #[test]
    fn a_folder_that_leads_outside_is_refused_at_write_time() {
        let dir = project();
        let outside = tempfile::tempdir().unwrap();
        std::fs::remove_dir_all(dir.path().join("charts/a")).unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("charts/a")).unwrap();
        let err = write_all(dir.path(), &files(&[("charts/a/one.yaml", "x\n")]))
            .err()
            .unwrap();
        assert_eq!(
            err.to_string(),
            "cannot write charts/a/one.yaml: a folder on the way leads outside the repository; nothing was written, dockhand.lock is unchanged"
        );
        assert!(std::fs::read_dir(outside.path()).unwrap().next().is_none());
    }

    #[test]
    fn rollback_after_success_undoes_the_unit() {
        let dir = project();
        let before = tree(dir.path());
        let mut w = write_all(
            dir.path(),
            &files(&[("charts/a/one.yaml", "new\n"), ("charts/z/new.yaml", "n\n")]),
        )
        .unwrap();
        assert_eq!(w.rollback(), 2);
        drop(w);
        assert_eq!(tree(dir.path()), before);
        assert!(!dir.path().join("charts/z").exists());
    }
}
