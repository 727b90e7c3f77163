//! Ending children: the process group of each tool, anything that still holds the
//! tool's output files after it exited (a detached child that left the group), and every
//! live group at once when dockhand itself is told to stop (SIGINT, SIGTERM, SIGHUP).

use std::collections::BTreeMap;
use std::sync::Mutex;

/// (device, inode) of an output file a child writes to.
pub(super) type FileId = (u64, u64);

/// The live children: process group id → the output files given to it.
static LIVE: Mutex<BTreeMap<i32, Vec<FileId>>> = Mutex::new(BTreeMap::new());

/// Kept while a child runs; the runner calls [`Registered::kill`] on every way out (while
/// the output files are still open: their inodes identify the holders). On drop it only
/// leaves the registry: a closed file's inode may already belong to someone else.
pub(super) struct Registered {
    pgid: i32,
    files: Vec<FileId>,
}

impl Registered {
    pub(super) fn new(pgid: i32, files: Vec<FileId>) -> Registered {
        if let Ok(mut live) = LIVE.lock() {
            live.insert(pgid, files.clone());
        }
        Registered { pgid, files }
    }

    /// Kill the group and anything outside it that holds the child's output files.
    pub(super) fn kill(&self) {
        kill_group(self.pgid);
        kill_holders(&self.files);
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        if let Ok(mut live) = LIVE.lock() {
            live.remove(&self.pgid);
        }
    }
}

/// Kill every child this process started that is still running (with its group and
/// detached holders). Returns how many groups were killed. Used when a signal arrives.
pub fn kill_all_children() -> usize {
    let live: Vec<(i32, Vec<FileId>)> = match LIVE.lock() {
        Ok(l) => l.iter().map(|(k, v)| (*k, v.clone())).collect(),
        Err(_) => return 0,
    };
    for (pgid, files) in &live {
        kill_group(*pgid);
        kill_holders(files);
    }
    live.len()
}

/// SIGKILL every process in the group `pgid`.
pub(super) fn kill_group(pgid: i32) {
    if pgid > 1 {
        // SAFETY: plain syscall; a negative pid addresses the process group.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
}

/// True once `pid` no longer runs: it does not exist, or it is a zombie waiting to be
/// reaped by its (new) parent.
#[cfg(test)]
pub fn is_gone(pid: i32) -> bool {
    // SAFETY: signal 0 only checks existence and permission.
    let exists = unsafe { libc::kill(pid, 0) } == 0
        || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH);
    if !exists {
        return true;
    }
    // /proc/PID/stat: "pid (comm) S ..."; the state follows the last ')'.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().starts_with(['Z', 'X']))
        })
        .unwrap_or(false)
}

/// Kill every process (other than dockhand) that has one of `files` open. A tool's child
/// that called `setsid` left the tool's process group, but it still holds the output file
/// it inherited: that is how it is found. Linux only (reads /proc); elsewhere a no-op.
pub(super) fn kill_holders(files: &[FileId]) {
    if files.is_empty() || !cfg!(target_os = "linux") {
        return;
    }
    let me = std::process::id() as i32;
    for pid in holders(files) {
        // A direct child of dockhand is another tool (or one being spawned: between fork
        // and exec it holds every descriptor of ours, this file's too). Each is ended by
        // its own group's kill; a detached child was reparented away from us.
        if pid != me && pid > 1 && parent_of(pid) != Some(me) {
            // SAFETY: plain syscall on a pid found holding our file.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
    }
}

/// The parent pid of `pid`, from /proc/PID/stat ("pid (comm) S ppid ...").
fn parent_of(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// The pids whose open file descriptors include one of `files`.
fn holders(files: &[FileId]) -> Vec<i32> {
    use std::os::unix::fs::MetadataExt;
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for p in procs.flatten() {
        let Some(pid) = p.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(p.path().join("fd")) else {
            continue; // gone, or not ours to look at
        };
        let holds = fds.flatten().any(|fd| {
            std::fs::metadata(fd.path()).is_ok_and(|m| files.contains(&(m.dev(), m.ino())))
        });
        if holds {
            out.push(pid);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holders_finds_this_process_for_its_own_file() {
        use std::os::unix::fs::MetadataExt;
        let f = tempfile::tempfile().unwrap();
        let m = f.metadata().unwrap();
        let found = holders(&[(m.dev(), m.ino())]);
        // Other tests may be forking at the same moment (a child between fork and exec
        // holds our descriptors too), so this process is among the holders.
        assert!(found.contains(&(std::process::id() as i32)), "{found:?}");
    }

    #[test]
    fn a_direct_child_holding_the_file_is_left_to_its_own_group_kill() {
        use std::os::unix::fs::MetadataExt;
        let f = tempfile::tempfile().unwrap();
        let m = f.metadata().unwrap();
        let mut c = std::process::Command::new("sleep")
            .arg("5")
            .stdout(f.try_clone().unwrap())
            .spawn()
            .unwrap();
        let pid = c.id() as i32;
        assert_eq!(parent_of(pid), Some(std::process::id() as i32));
        kill_holders(&[(m.dev(), m.ino())]);
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(!is_gone(pid), "a sibling tool was killed");
        c.kill().unwrap();
        c.wait().unwrap();
    }

    #[test]
    fn a_reaped_child_is_gone_and_a_running_one_is_not() {
        let mut c = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let pid = c.id() as i32;
        assert!(!is_gone(pid));
        c.kill().unwrap();
        c.wait().unwrap();
        assert!(is_gone(pid));
    }
}
