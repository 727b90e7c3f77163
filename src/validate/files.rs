//! `validate PATH...` over files as they come: the walker (symlinks
//! followed, each file and folder once), reading text (BOM, encodings), and
//! telling Dockerfiles from manifests by name.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::FileKind;
use super::chart;
use super::diagnostic::{Diagnostic, Pos};

/// Read a file as text: a UTF-8 byte-order mark is dropped; a file that is
/// not UTF-8, or cannot be read, is one finding on that file.
pub(super) fn read_text(path: &Path) -> Result<String, Box<Diagnostic>> {
    let bytes = std::fs::read(path).map_err(|e| {
        Box::new(Diagnostic::error(
            "file/unreadable",
            Pos::new(1, 1),
            format!("cannot read the file: {e}; not checked"),
        ))
    })?;
    let mut bytes = bytes;
    if bytes.starts_with(b"\xef\xbb\xbf") {
        bytes.drain(..3);
    }
    match String::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(e) => {
            let body = e.as_bytes();
            let e = e.utf8_error();
            let good = &body[..e.valid_up_to()];
            let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
            let start = good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let column = String::from_utf8_lossy(&good[start..]).chars().count() + 1;
            Err(Box::new(
                Diagnostic::error(
                    "file/encoding",
                    Pos::new(line, column),
                    format!(
                        "not UTF-8 text (invalid byte 0x{:02x} at line {line}, column {column}); not checked",
                        body[e.valid_up_to()]
                    ),
                )
                .with_hint("save the file as UTF-8 (Kubernetes, helm and docker read UTF-8)"),
            ))
        }
    }
}

/// One unit of parallel work.
pub(super) enum Job {
    File(PathBuf),
    /// A chart; with `only`, the reports of just these files.
    Chart {
        dir: PathBuf,
        only: Option<Vec<String>>,
    },
}

/// Collects what `validate PATH...` checks. Folders and files are keyed by
/// their canonical path, so a symlink loop ends and a file reached twice
/// (through symlinks, or given twice) is checked once, under the first path
/// it was reached by (folders are read in name order).
#[derive(Default)]
pub(super) struct Walker {
    seen_dirs: HashSet<PathBuf>,
    seen_files: HashSet<PathBuf>,
    files: Vec<PathBuf>,
    /// Chart folders, and for each the files asked for (`None`: all).
    charts: Vec<(PathBuf, Option<Vec<String>>)>,
    chart_index: HashMap<PathBuf, usize>,
}

impl Walker {
    pub(super) fn walk(&mut self, dir: &Path) {
        let Ok(canon) = dir.canonicalize() else {
            self.files.push(dir.to_owned());
            return;
        };
        if !self.seen_dirs.insert(canon.clone()) {
            return;
        }
        if chart::is_chart(dir) {
            self.chart(dir, canon, None);
            return;
        }
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(_) => {
                // Read as a file, so that the error becomes one finding.
                self.files.push(dir.to_owned());
                return;
            }
        };
        // Each name with its type as the listing gives it (no stat); `None`
        // for a symlink or an unknown type, which is looked up.
        let mut names: Vec<(std::ffi::OsString, Option<std::fs::FileType>)> = entries
            .filter_map(|e| e.ok())
            .map(|e| {
                let kind = e.file_type().ok().filter(|t| !t.is_symlink());
                (e.file_name(), kind)
            })
            .collect();
        // The names of one folder: sorting them sorts the paths.
        names.sort_by(|a, b| a.0.cmp(&b.0));
        for (file_name, kind) in names {
            let name = file_name.to_str().unwrap_or("");
            if name.starts_with('.') {
                continue;
            }
            let path = dir.join(&file_name);
            if kind.map_or_else(|| path.is_dir(), |t| t.is_dir()) {
                self.walk(&path);
            } else if name.ends_with(".yaml") || name.ends_with(".yml") || is_dockerfile_name(name)
            {
                match kind {
                    // Not a symlink, in a canonical folder: canonical as it is.
                    // A pipe, socket or device is passed over, as ripgrep does: reading
                    // a FIFO nobody writes to would never end.
                    Some(t) if t.is_file() => self.found(path, canon.join(&file_name)),
                    Some(_) => {}
                    None => self.file(&path, false),
                }
            }
        }
    }

    /// A file given on the command line (`explicit`) or found in a folder.
    pub(super) fn file(&mut self, path: &Path, explicit: bool) {
        let Ok(canon) = path.canonicalize() else {
            // A dangling symlink: reported as unreadable.
            self.files.push(path.to_owned());
            return;
        };
        // Found in a folder through a symlink: only a regular file (see `walk`). Named
        // on the command line, anything is read: `validate <(helm template ...)`.
        if !explicit && !std::fs::metadata(&canon).is_ok_and(|m| m.is_file()) {
            return;
        }
        if explicit
            && let Some(dir) = path.ancestors().skip(1).find(|d| {
                chart::is_chart(if d.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    d
                })
            })
        {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            if let Ok(c) = dir.canonicalize() {
                let display = path.to_string_lossy().into_owned();
                self.chart(dir, c, Some(display));
                return;
            }
        }
        self.found(path.to_owned(), canon);
    }

    /// A file to check, unless it was reached before (by its canonical path).
    fn found(&mut self, path: PathBuf, canon: PathBuf) {
        if self.seen_files.insert(canon) {
            self.files.push(path);
        }
    }

    fn chart(&mut self, dir: &Path, canon: PathBuf, file: Option<String>) {
        match self.chart_index.get(&canon) {
            Some(&i) => match (&mut self.charts[i].1, file) {
                (Some(list), Some(f)) => {
                    if !list.contains(&f) {
                        list.push(f)
                    }
                }
                (slot, None) => *slot = None,
                (None, Some(_)) => {}
            },
            None => {
                self.chart_index.insert(canon, self.charts.len());
                self.charts.push((dir.to_owned(), file.map(|f| vec![f])));
            }
        }
    }

    pub(super) fn jobs(mut self) -> Vec<Job> {
        self.charts.sort_by(|a, b| a.0.cmp(&b.0));
        // Folders are walked in name order, so the files are often sorted already.
        if !self.files.is_sorted() {
            self.files.sort();
        }
        self.charts
            .into_iter()
            .map(|(dir, only)| Job::Chart { dir, only })
            .chain(self.files.into_iter().map(Job::File))
            .collect()
    }
}

/// Whether a file name is a Dockerfile's: `Dockerfile`, `Containerfile`,
/// `*.Dockerfile`, `Dockerfile.*`, `Dockerfile-*`, `Dockerfile_*` and the
/// same for Containerfile, in any case (`dockerfile`, `app.dockerfile`);
/// not the `Dockerfile.dockerignore` files.
pub fn is_dockerfile_name(name: &str) -> bool {
    let base = Path::new(name)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(name)
        .to_ascii_lowercase();
    if base.ends_with(".dockerignore") || base.ends_with(".containerignore") {
        return false;
    }
    ["dockerfile", "containerfile"].iter().any(|stem| {
        base == *stem
            || base.strip_suffix(stem).is_some_and(|r| r.ends_with('.'))
            || base
                .strip_prefix(stem)
                .is_some_and(|r| r.len() > 1 && r.starts_with(['.', '-', '_']))
    })
}

pub(super) fn sniff(name: &str, text: &str) -> FileKind {
    let base = Path::new(name)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(name);
    if base == "Chart.yaml"
        || base.starts_with("values") && (base.ends_with(".yaml") || base.ends_with(".yml"))
    {
        return FileKind::HelmTemplate;
    }
    if is_dockerfile_name(name)
        || (name == "-"
            && text
                .lines()
                .any(|l| l.trim_start().to_ascii_uppercase().starts_with("FROM ")))
            && !text.contains("apiVersion:")
    {
        FileKind::Dockerfile
    } else if text.contains("{{") {
        FileKind::HelmTemplate
    } else {
        FileKind::Kubernetes
    }
}
