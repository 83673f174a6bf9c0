//! The environment lock: one file, `.terrace/envs/ENV/lock`, holding who
//! has it (pid, host, user, command, time), and an OS file lock on it.
//!
//! The OS lock dies with its process, so a lock file whose OS lock is free
//! belonged to a process that is gone: it is *stale*. terrace reports a
//! stale lock and leaves it for `terrace state unlock` to break, so that
//! whoever runs next learns that the last run did not end cleanly.

use serde::{Deserialize, Serialize};
use std::fs::{File, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Who holds a lock.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LockInfo {
    pub id: String,
    pub pid: u32,
    pub host: String,
    pub user: String,
    pub command: String,
    pub created_at: String,
}

impl LockInfo {
    /// This process, taking a lock now for `command`, under a fresh id.
    pub fn for_this_process(command: &str) -> LockInfo {
        LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            pid: std::process::id(),
            host: host_name(),
            user: current_user(),
            command: command.to_string(),
            created_at: jiff::Timestamp::now().to_string(),
        }
    }
}

impl std::fmt::Display for LockInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A lock file whose content could not be read says only that.
        if self.pid == 0 && self.id.is_empty() {
            return f.write_str(&self.command);
        }
        write!(
            f,
            "`{}` by {} on {} (pid {}) since {}",
            self.command, self.user, self.host, self.pid, self.created_at
        )
    }
}

/// Why a lock was not acquired.
/// How a local lock's holder is known to be gone.
pub const PROCESS_GONE: &str = "that process is no longer running";

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("the environment is locked by {0}")]
    Held(Box<LockInfo>),
    /// `gone` says how the holder is known to be gone.
    #[error("the environment has a stale lock: {info}, and {gone}")]
    Stale {
        info: Box<LockInfo>,
        gone: &'static str,
    },
    #[error(
        "the lock file {path} is {what}: terrace makes it a plain file and never follows a link; remove it (`terrace state unlock`) once no terrace command runs"
    )]
    NotAFile { path: PathBuf, what: String },
    #[error("cannot use the lock file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A held lock file; released (file removed) on drop.
#[derive(Debug)]
pub struct FileLock {
    file: File,
    path: PathBuf,
    pub info: LockInfo,
}

impl Drop for FileLock {
    fn drop(&mut self) {
        // Remove the name while still holding the OS lock, so that nobody
        // mistakes the file for a stale one.
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

/// The identity recorded in locks and audit records: `TERRACE_USER`, else
/// the OS user.
pub fn current_user() -> String {
    ["TERRACE_USER", "USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .or_else(user_from_uid)
        .unwrap_or_else(|| "unknown".into())
}

/// The name of this process's user from /etc/passwd, else `uid N`.
fn user_from_uid() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let name = passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() > 2 && f[2] == uid).then(|| f[0].to_string())
    });
    Some(name.unwrap_or(format!("uid {uid}")))
}

/// This machine's name.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".into())
}

fn io(path: &Path, source: std::io::Error) -> LockError {
    LockError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Takes the lock in `dir` for `command`, waiting up to `timeout` while a
/// live process holds it.
pub fn acquire(dir: &Path, command: &str, timeout: Duration) -> Result<FileLock, LockError> {
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let path = dir.join("lock");
    remove_orphans(dir);
    let deadline = Instant::now() + timeout;
    loop {
        let info = LockInfo::for_this_process(command);
        // Write and lock a temporary file, then link it into place: the
        // lock file never exists unlocked or half written.
        let mut tmp = tempfile::Builder::new()
            .prefix(".lock-")
            .tempfile_in(dir)
            .map_err(|e| io(dir, e))?;
        tmp.as_file().try_lock().map_err(|e| match e {
            TryLockError::Error(e) => io(tmp.path(), e),
            TryLockError::WouldBlock => io(
                tmp.path(),
                std::io::Error::other("a new file is already locked"),
            ),
        })?;
        let json = serde_json::to_vec_pretty(&info).expect("lock info serializes");
        tmp.write_all(&json).map_err(|e| io(tmp.path(), e))?;
        // Not synced to disk: the lock guards live processes, which read it
        // from the page cache. After a power loss its holder is gone; a lock
        // file that survives it is stale either way (its holder shown, or
        // "cannot be read"), and what an apply did is in its synced journal.
        // Terraform's local lock is not synced either; the two fsyncs were
        // about a sixth of a 1 000-resource plan.
        match std::fs::hard_link(tmp.path(), &path) {
            Ok(()) => {
                // Keeps the locked file open; only the temporary name goes.
                let held = tmp.into_file();
                tracing::debug!(path = %path.display(), command, "took the lock");
                return Ok(FileLock {
                    file: held,
                    path,
                    info,
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io(&path, e)),
        }
        drop(tmp);
        match inspect(&path)? {
            Holder::Gone => continue,
            Holder::Stale(info) => {
                return Err(LockError::Stale {
                    info: Box::new(info),
                    gone: PROCESS_GONE,
                });
            }
            Holder::Live(info) => {
                if Instant::now() >= deadline {
                    return Err(LockError::Held(Box::new(info)));
                }
                std::thread::sleep(Duration::from_millis(100).min(deadline - Instant::now()));
            }
        }
    }
}

enum Holder {
    /// The file disappeared meanwhile.
    Gone,
    Live(LockInfo),
    Stale(LockInfo),
}

/// Who holds the lock file at `path`, and whether they are alive.
fn inspect(path: &Path) -> Result<Holder, LockError> {
    // A link (even a dangling one) would make `hard_link` fail forever
    // while `open` finds nothing: refuse instead of spinning.
    not_a_link(path)?;
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Holder::Gone),
        Err(e) => return Err(io(path, e)),
    };
    let info = read_info(&file, path);
    match file.try_lock() {
        Err(TryLockError::WouldBlock) => Ok(Holder::Live(info)),
        Err(TryLockError::Error(e)) => Err(io(path, e)),
        Ok(()) => {
            // Free: stale, unless the holder removed it just now.
            let same = same_file(&file, path);
            let _ = file.unlock();
            Ok(if same {
                Holder::Stale(info)
            } else {
                Holder::Gone
            })
        }
    }
}

/// Refuses a lock path that is a symbolic link or not a regular file.
fn not_a_link(path: &Path) -> Result<(), LockError> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(path, e)),
    };
    let what = if meta.file_type().is_symlink() {
        match std::fs::read_link(path) {
            Ok(to) => format!("a symbolic link to {}", to.display()),
            Err(_) => "a symbolic link".to_string(),
        }
    } else if meta.is_file() {
        return Ok(());
    } else {
        "not a regular file".to_string()
    };
    Err(LockError::NotAFile {
        path: path.to_path_buf(),
        what,
    })
}

/// Removes the temporary `.lock-*` files of processes that died between
/// creating one and linking it into place. A live process holds its
/// temporary file's OS lock from the moment it makes it, and a minute's age
/// leaves room for the instant between the two.
fn remove_orphans(dir: &Path) {
    super::atomic::remove_orphans(dir, |name| name.starts_with(".lock-"));
}

/// The largest lock holder record read.
const HOLDER_LIMIT: u64 = 64 << 10;

fn read_info(file: &File, path: &Path) -> LockInfo {
    // A holder's record is a few hundred bytes: a huge file is nobody's.
    let text = crate::bounded::read_from(file, None, HOLDER_LIMIT, String::new).unwrap_or_default();
    serde_json::from_slice(&text).unwrap_or_else(|_| LockInfo {
        id: String::new(),
        pid: 0,
        host: "unknown".into(),
        user: "unknown".into(),
        command: format!(
            "a lock file whose holder cannot be read ({})",
            path.display()
        ),
        created_at: "unknown".into(),
    })
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.ino() == b.ino() && a.dev() == b.dev(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

/// The stale lock in `dir`, if there is one: a lock file whose OS lock
/// nobody holds. Changes nothing.
pub fn stale(dir: &Path) -> Option<LockInfo> {
    let path = dir.join("lock");
    not_a_link(&path).ok()?;
    let file = File::open(&path).ok()?;
    let info = read_info(&file, &path);
    match file.try_lock() {
        Ok(()) => {
            let _ = file.unlock();
            Some(info)
        }
        Err(_) => None,
    }
}

/// Breaks a stale lock. A lock held by a live process is refused.
pub fn break_stale(dir: &Path) -> Result<Option<LockInfo>, LockError> {
    let path = dir.join("lock");
    // terrace never makes the lock a link: one is nobody's lock.
    if let Err(LockError::NotAFile { what, .. }) = not_a_link(&path)
        && what.starts_with("a symbolic link")
    {
        std::fs::remove_file(&path).map_err(|e| io(&path, e))?;
        return Ok(Some(LockInfo {
            id: String::new(),
            pid: 0,
            host: "unknown".into(),
            user: "unknown".into(),
            command: format!("a lock file that was {what}"),
            created_at: "unknown".into(),
        }));
    }
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(&path, e)),
    };
    let info = read_info(&file, &path);
    match file.try_lock() {
        Err(TryLockError::WouldBlock) => Err(LockError::Held(Box::new(info))),
        Err(TryLockError::Error(e)) => Err(io(&path, e)),
        Ok(()) => {
            if same_file(&file, &path) {
                std::fs::remove_file(&path).map_err(|e| io(&path, e))?;
            }
            let _ = file.unlock();
            Ok(Some(info))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_refused_and_release_frees() {
        let dir = tempfile::tempdir().unwrap();
        let first = acquire(dir.path(), "apply", Duration::ZERO).unwrap();
        match acquire(dir.path(), "plan", Duration::from_millis(150)) {
            Err(LockError::Held(info)) => assert_eq!(info.command, "apply"),
            other => panic!("expected Held, got {other:?}"),
        }
        drop(first);
        assert!(!dir.path().join("lock").exists());
        acquire(dir.path(), "plan", Duration::ZERO).unwrap();
    }

    #[test]
    fn a_left_over_lock_file_is_stale_until_broken() {
        let dir = tempfile::tempdir().unwrap();
        let info = LockInfo {
            id: "x".into(),
            pid: 999_999,
            host: "h".into(),
            user: "u".into(),
            command: "apply".into(),
            created_at: "t".into(),
        };
        std::fs::write(dir.path().join("lock"), serde_json::to_vec(&info).unwrap()).unwrap();
        assert!(matches!(
            acquire(dir.path(), "plan", Duration::ZERO),
            Err(LockError::Stale { .. })
        ));
        assert_eq!(break_stale(dir.path()).unwrap(), Some(info));
        acquire(dir.path(), "plan", Duration::ZERO).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_dangling_symlink_lock_is_refused_at_once_and_leaves_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/nonexistent/lock", dir.path().join("lock")).unwrap();
        match acquire(dir.path(), "plan", Duration::from_secs(60)) {
            Err(LockError::NotAFile { what, .. }) => assert!(what.contains("symbolic link")),
            other => panic!("expected NotAFile, got {other:?}"),
        }
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["lock"]);
        assert!(break_stale(dir.path()).unwrap().is_some());
        acquire(dir.path(), "plan", Duration::ZERO).unwrap();
    }

    #[test]
    fn an_orphaned_temporary_lock_file_is_removed_but_a_held_one_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let old = std::time::SystemTime::now() - Duration::from_secs(3600);
        let orphan = dir.path().join(".lock-orphan");
        let held = dir.path().join(".lock-held");
        for p in [&orphan, &held] {
            File::create(p).unwrap().set_modified(old).unwrap();
        }
        let holder = File::open(&held).unwrap();
        holder.try_lock().unwrap();
        let lock = acquire(dir.path(), "plan", Duration::ZERO).unwrap();
        assert!(!orphan.exists(), "the orphan is removed");
        assert!(held.exists(), "a file someone holds is kept");
        drop(lock);
    }
}
