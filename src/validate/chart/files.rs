//! A chart read once into memory: every file helm loads from the chart's
//! folder (Chart.yaml, values, templates/, crds/, requirements.yaml,
//! values.schema.json), plus what `charts/` holds. An artifact that is not on
//! disk yet is laid over it ([`ChartFiles::with_file`]) without copying the
//! chart anywhere.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Why a pipe, socket or device in a chart's folder is an error.
const IRREGULAR: &str =
    "not a regular file (a pipe, socket or device); helm does not load such a chart";

/// One entry of `charts/`: a subchart folder or archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Subchart {
    /// `charts/<entry>`.
    pub(super) rel: String,
    /// The name helm knows it by: the subchart's own `name:` (a folder), or
    /// the archive's name without `-VERSION.tgz`.
    pub(super) name: Option<String>,
}

/// The chart's files, keyed by their path relative to the chart (`/`-separated).
#[derive(Debug, Clone)]
pub struct ChartFiles {
    pub(super) dir: PathBuf,
    pub(super) files: BTreeMap<String, Arc<Vec<u8>>>,
    /// Relative paths that exist but could not be read (with the reason).
    pub(super) unreadable: Vec<(String, String)>,
    pub(super) subcharts: Vec<Subchart>,
    /// `templates` exists but is not a folder / `crds` likewise.
    pub(super) templates_not_dir: bool,
    pub(super) crds_not_dir: bool,
    pub(super) has_templates: bool,
    /// Relative paths laid over the files on disk.
    pub(super) overlaid: Vec<String>,
    /// The one folder on disk helm renders overlaid versions of this chart
    /// from, shared by every overlay of it (made on first use).
    pub(super) scratch: Arc<Mutex<Option<Scratch>>>,
    /// The files as read, before any overlay.
    base: Arc<BTreeMap<String, Arc<Vec<u8>>>>,
}

/// A copy of the chart's files on disk for helm; only the overlaid files
/// change between checks.
#[derive(Debug)]
pub(super) struct Scratch {
    _dir: tempfile::TempDir,
    /// The chart's folder inside it.
    pub(super) chart: PathBuf,
    /// Files currently holding an overlay.
    laid: Vec<String>,
}

/// Folders helm reads whole; everything else at the top is read when it is
/// one of [`TOP_FILES`].
const READ_DIRS: &[&str] = &["templates", "crds"];
const TOP_FILES: &[&str] = &[
    "Chart.yaml",
    "values.yaml",
    "values.schema.json",
    "requirements.yaml",
];

impl ChartFiles {
    /// Read the chart at `dir`: the files helm loads, once.
    pub fn read(dir: &Path) -> ChartFiles {
        let mut out = ChartFiles {
            dir: dir.to_owned(),
            files: BTreeMap::new(),
            unreadable: Vec::new(),
            subcharts: Vec::new(),
            templates_not_dir: false,
            crds_not_dir: false,
            has_templates: false,
            overlaid: Vec::new(),
            scratch: Arc::new(Mutex::new(None)),
            base: Arc::default(),
        };
        for name in TOP_FILES {
            let p = dir.join(name);
            if p.is_file() {
                out.read_one(&p, (*name).to_owned());
            }
        }
        for sub in READ_DIRS {
            let p = dir.join(sub);
            if p.is_dir() {
                if *sub == "templates" {
                    out.has_templates = true;
                }
                let mut seen = HashSet::new();
                out.walk(&p, sub, &mut seen);
            } else if p.exists() {
                if *sub == "templates" {
                    out.templates_not_dir = true;
                } else {
                    out.crds_not_dir = true;
                }
            }
        }
        // helm loads every file of the chart's folder, and refuses a pipe, socket
        // or device among them; the ones dockhand reads are found by `walk`.
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if !name.starts_with('.')
                    && std::fs::metadata(e.path()).is_ok_and(|m| !m.is_file() && !m.is_dir())
                {
                    out.unreadable.push((name, IRREGULAR.to_owned()));
                }
            }
        }
        if let Ok(entries) = std::fs::read_dir(dir.join("charts")) {
            let mut subs: Vec<Subchart> = entries
                .flatten()
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    if name.starts_with('.') {
                        return None;
                    }
                    let path = e.path();
                    let rel = format!("charts/{name}");
                    if path.is_dir() {
                        let own = std::fs::read_to_string(path.join("Chart.yaml"))
                            .ok()
                            .and_then(|t| chart_name_of(&t));
                        Some(Subchart { rel, name: own })
                    } else {
                        name.strip_suffix(".tgz").map(|stem| Subchart {
                            rel,
                            name: Some(archive_chart_name(stem).to_owned()),
                        })
                    }
                })
                .collect();
            subs.sort_by(|a, b| a.rel.cmp(&b.rel));
            out.subcharts = subs;
        }
        out.base = Arc::new(out.files.clone());
        out
    }

    /// The same chart with `rel` holding `content` (the files on disk are
    /// not touched).
    pub fn with_file(&self, rel: &str, content: &str) -> ChartFiles {
        let mut out = self.clone();
        let rel = rel.replace('\\', "/");
        if rel.starts_with("templates/") {
            out.has_templates = true;
        }
        out.files
            .insert(rel.clone(), Arc::new(content.as_bytes().to_vec()));
        out.unreadable.retain(|(p, _)| *p != rel);
        out.overlaid.push(rel);
        out
    }

    /// The chart's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub(super) fn text(&self, rel: &str) -> Option<Result<&str, std::str::Utf8Error>> {
        self.files.get(rel).map(|b| std::str::from_utf8(b))
    }

    /// The text of the file a finding names (`DIR/rel`, see [`ChartFiles::path_of`]),
    /// from the copy read into memory: a chart is read once. `None` for a file
    /// that was not read, or is not UTF-8.
    pub fn source_of(&self, path: &str) -> Option<&str> {
        let rel = Path::new(path).strip_prefix(&self.dir).ok()?.to_str()?;
        let text = self.text(rel)?.ok()?;
        Some(text.strip_prefix('\u{feff}').unwrap_or(text))
    }

    /// `DIR/rel` for findings.
    pub(super) fn path_of(&self, rel: &str) -> String {
        self.dir.join(rel).to_string_lossy().into_owned()
    }

    /// Files under `prefix/`, sorted.
    pub(super) fn under<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.files
            .keys()
            .filter(move |k| k.strip_prefix(prefix).is_some_and(|r| r.starts_with('/')))
            .map(String::as_str)
    }

    fn read_one(&mut self, path: &Path, rel: String) {
        match std::fs::read(path) {
            Ok(bytes) => {
                self.files.insert(rel, Arc::new(bytes));
            }
            Err(e) => self.unreadable.push((rel, e.to_string())),
        }
    }

    /// Files under `dir`; a folder reached twice through symlinks is read once.
    fn walk(&mut self, dir: &Path, rel: &str, seen: &mut HashSet<PathBuf>) {
        let Ok(real) = dir.canonicalize() else { return };
        if !seen.insert(real) {
            return;
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let child = format!("{rel}/{name}");
            let path = entry.path();
            if path.is_dir() {
                self.walk(&path, &child, seen);
            } else if path.is_file() {
                self.read_one(&path, child);
            } else if path.exists() {
                // A pipe, socket or device: reading a FIFO could wait forever, and
                // helm refuses to load the chart ("cannot load irregular file").
                self.unreadable.push((child, IRREGULAR.to_owned()));
            }
        }
    }

    /// Run `f` with a folder on disk holding this chart with its overlays,
    /// for helm. The chart is written once per [`ChartFiles::read`]; later
    /// overlays rewrite only the files that differ. Checks of the same chart
    /// take turns.
    pub(super) fn on_disk<T>(&self, f: impl FnOnce(&Path) -> T) -> std::io::Result<T> {
        let mut guard = self.scratch.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            let dir = tempfile::Builder::new()
                .prefix("dockhand-chart-")
                .tempdir()?;
            let name = self
                .dir
                .file_name()
                .map(|n| n.to_os_string())
                .unwrap_or_else(|| "chart".into());
            let chart = dir.path().join(name);
            self.write_to(&chart)?;
            *guard = Some(Scratch {
                _dir: dir,
                chart,
                laid: self.overlaid.clone(),
            });
        } else if let Some(s) = guard.as_mut() {
            // Put back what the last check laid over, then lay this one's.
            for rel in std::mem::take(&mut s.laid) {
                let p = s.chart.join(&rel);
                match self.base.get(&rel) {
                    Some(bytes) => std::fs::write(&p, bytes.as_slice())?,
                    None => std::fs::remove_file(&p).or_else(|e| {
                        if e.kind() == std::io::ErrorKind::NotFound {
                            Ok(())
                        } else {
                            Err(e)
                        }
                    })?,
                }
            }
            for rel in &self.overlaid {
                let p = s.chart.join(rel);
                if let Some(parent) = p.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(&p, self.files[rel].as_slice())?;
            }
            s.laid = self.overlaid.clone();
        }
        let chart = guard.as_ref().map(|s| s.chart.clone()).unwrap_or_default();
        Ok(f(&chart))
    }

    /// Write the chart (with its overlays) into `to`, for a renderer that
    /// reads from disk. Only used when something is laid over the chart.
    fn write_to(&self, to: &Path) -> std::io::Result<()> {
        for (rel, bytes) in &self.files {
            let p = to.join(rel);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(p, bytes.as_slice())?;
        }
        if self.has_templates {
            std::fs::create_dir_all(to.join("templates"))?;
        }
        for sub in &self.subcharts {
            let from = self.dir.join(&sub.rel);
            let dest = to.join(&sub.rel);
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent)?;
            }
            // Subcharts are linked, not copied.
            #[cfg(unix)]
            std::os::unix::fs::symlink(&from, &dest)?;
            #[cfg(not(unix))]
            std::fs::copy(&from, &dest).map(|_| ())?;
        }
        Ok(())
    }
}

/// `name:` of a Chart.yaml, read leniently.
pub(super) fn chart_name_of(text: &str) -> Option<String> {
    let parsed = crate::validate::yaml::parse(text);
    let doc = parsed.documents.first()?;
    doc.root.get("name")?.as_str().map(str::to_owned)
}

/// `common-0.0.5` → `common`: helm names a packaged chart `NAME-VERSION.tgz`.
fn archive_chart_name(stem: &str) -> &str {
    let bytes = stem.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'-' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
            return &stem[..i];
        }
    }
    stem
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_names() {
        assert_eq!(archive_chart_name("common-0.0.5"), "common");
        assert_eq!(archive_chart_name("my-chart-1.2.3-rc.1"), "my-chart");
        assert_eq!(archive_chart_name("plain"), "plain");
    }

    #[test]
    fn overlay_does_not_touch_disk() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("templates")).unwrap();
        std::fs::write(dir.path().join("Chart.yaml"), "name: x\n").unwrap();
        std::fs::write(dir.path().join("templates/a.yaml"), "a: 1\n").unwrap();
        std::fs::write(dir.path().join("README.md"), "not read\n").unwrap();
        let files = ChartFiles::read(dir.path());
        assert_eq!(
            files.files.keys().collect::<Vec<_>>(),
            ["Chart.yaml", "templates/a.yaml"]
        );
        let over = files.with_file("templates/b.yaml", "b: 2\n");
        assert_eq!(
            over.under("templates").collect::<Vec<_>>(),
            ["templates/a.yaml", "templates/b.yaml"]
        );
        assert!(!dir.path().join("templates/b.yaml").exists());
        assert_eq!(files.under("templates").count(), 1);
    }

    #[test]
    fn one_copy_on_disk_per_chart_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("templates")).unwrap();
        std::fs::write(dir.path().join("Chart.yaml"), "name: x\n").unwrap();
        std::fs::write(dir.path().join("templates/a.yaml"), "a: 1\n").unwrap();
        let files = ChartFiles::read(dir.path());
        let read = |p: &Path, rel: &str| std::fs::read_to_string(p.join(rel)).ok();
        let first = files
            .with_file("templates/a.yaml", "a: 2\n")
            .on_disk(|p| (p.to_owned(), read(p, "templates/a.yaml")))
            .unwrap();
        assert_eq!(first.1.as_deref(), Some("a: 2\n"));
        let second = files
            .with_file("templates/b.yaml", "b: 1\n")
            .on_disk(|p| {
                (
                    p.to_owned(),
                    read(p, "templates/a.yaml"),
                    read(p, "templates/b.yaml"),
                )
            })
            .unwrap();
        assert_eq!(second.0, first.0, "the same copy");
        assert_eq!(second.1.as_deref(), Some("a: 1\n"), "a.yaml put back");
        assert_eq!(second.2.as_deref(), Some("b: 1\n"));
        let third = files
            .with_file("templates/a.yaml", "a: 3\n")
            .on_disk(|p| read(p, "templates/b.yaml"))
            .unwrap();
        assert_eq!(third, None, "b.yaml removed again");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("templates/a.yaml")).unwrap(),
            "a: 1\n"
        );
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loops_end() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("templates/sub")).unwrap();
        std::fs::write(dir.path().join("templates/sub/a.yaml"), "a: 1\n").unwrap();
        std::os::unix::fs::symlink(
            dir.path().join("templates"),
            dir.path().join("templates/sub/loop"),
        )
        .unwrap();
        let files = ChartFiles::read(dir.path());
        assert_eq!(
            files.under("templates").collect::<Vec<_>>(),
            ["templates/sub/a.yaml"]
        );
    }
}
