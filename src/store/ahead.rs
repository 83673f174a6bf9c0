//! Reading an environment's state files ahead: a plan starts decoding them
//! on a thread of its own before it loads the definitions, which take as
//! long or longer, and takes them under the lock if they are still the
//! files it read. A state file is replaced by a rename, so a file that
//! changed meanwhile is another file (or has another size, modification
//! or change time when edited in place), and is read again.

use crate::state::ConfigState;
use crate::state::format;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The state files of one local environment, being read. Dropped unused,
/// it leaves its thread to finish on its own (it only reads).
#[derive(Default)]
pub struct ReadAhead {
    dir: PathBuf,
    thread: Option<std::thread::JoinHandle<HashMap<String, Read>>>,
}

/// A state file as it was read.
pub(super) struct Read {
    identity: Identity,
    pub(super) state: ConfigState,
}

/// What tells one version of a file from another.
type Identity = (u64, u64, u64, i64, i64, i64, i64);

#[cfg(unix)]
fn identity(meta: &std::fs::Metadata) -> Option<Identity> {
    use std::os::unix::fs::MetadataExt;
    Some((
        meta.dev(),
        meta.ino(),
        meta.len(),
        meta.mtime(),
        meta.mtime_nsec(),
        meta.ctime(),
        meta.ctime_nsec(),
    ))
}

#[cfg(not(unix))]
fn identity(_: &std::fs::Metadata) -> Option<Identity> {
    None
}

impl ReadAhead {
    /// Starts reading the state files of environment `env` of the project
    /// in `root`, as the local store keeps them. Nothing is read for an
    /// environment name that is not a plain name.
    pub fn start(root: &Path, env: &str) -> ReadAhead {
        let plain = !env.is_empty() && !env.starts_with('.') && !env.contains(['/', '\\']);
        let dir = std::path::absolute(root)
            .unwrap_or_else(|_| root.to_path_buf())
            .join(".terrace")
            .join("envs")
            .join(env);
        let thread = plain
            .then(|| {
                let dir = dir.clone();
                std::thread::Builder::new()
                    .name("state-ahead".into())
                    .spawn(move || read_all(&dir))
                    .ok()
            })
            .flatten();
        ReadAhead { dir, thread }
    }

    /// What was read in `dir`, by configuration (nothing when it was
    /// another folder).
    pub(super) fn finish(self, dir: &Path) -> HashMap<String, Read> {
        match self.thread {
            Some(t) if self.dir == dir => t.join().unwrap_or_default(),
            _ => HashMap::new(),
        }
    }
}

#[cfg(test)]
impl ReadAhead {
    /// Waits until everything is read.
    pub(super) fn wait(&self) {
        while self.thread.as_ref().is_some_and(|t| !t.is_finished()) {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }
}

impl Read {
    /// Whether the file at `path` is still the one that was read.
    pub(super) fn is_current(&self, path: &Path) -> bool {
        std::fs::metadata(path)
            .ok()
            .and_then(|m| identity(&m))
            .is_some_and(|now| now == self.identity)
    }
}

/// Every `CONFIG.state.json` in `dir` that reads and decodes; the others
/// are left to the store, which reports what is wrong with them.
fn read_all(dir: &Path) -> HashMap<String, Read> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return HashMap::new();
    };
    entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name();
            let config = name.to_str()?.strip_suffix(".state.json")?.to_string();
            let (bytes, meta) = crate::bounded::read_record_as_of(&e.path()).ok()?;
            let identity = identity(&meta)?;
            let state = format::decode(&bytes).ok()?;
            Some((config, Read { identity, state }))
        })
        .collect()
}
