//! The embedded store: one directory per environment under
//! `.terrace/envs/ENV/` with a state file per configuration, numbered
//! backups beside it, the lock and the apply journal.
//!
//! ```text
//! .terrace/envs/dev/network.state.json       current state of `network`
//! .terrace/envs/dev/network.7.backup.json    the version it replaced (serial 7)
//! .terrace/envs/dev/lock                     who holds the environment
//! .terrace/envs/dev/journal.jsonl            operations of a running (or crashed) apply
//!
//! .terrace/envs/dev/drift.json               the last drift check
//! ```
//!
//! Writing needs a [`Lock`]: holding one is the capability to change state.

use super::{
    AuditAppend, AuditTail, Backend, Document, KeptRelease, Lock, RecordIo, Recovery, StateStore,
    replay,
};
use crate::state::format::{self, FormatError};
use crate::state::{ConfigState, EnvState, Journal, JournalError, LockError, LockInfo, Record};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How many backups per configuration are kept by default.
const DEFAULT_BACKUPS: usize = 20;

/// Why state could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot access {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("state file {path} cannot be used: {cause}")]
    Damaged {
        path: PathBuf,
        cause: FormatError,
        /// Backups of the same configuration, newest first.
        backups: Vec<BackupInfo>,
    },
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("there is no backup with serial {serial} in environment \"{env}\"")]
    NoBackup { env: String, serial: u64 },
    #[error("backup {path} cannot be restored: {cause}; nothing was changed")]
    BadBackup { path: PathBuf, cause: FormatError },
    #[error(
        "{location} exists already: a version is written verbatim only where there is none; nothing was changed"
    )]
    Exists { location: String },
    #[error(
        "the lock held is environment \"{held}\"'s, not \"{env}\"'s: only the holder of an environment's own lock changes its state; nothing was changed"
    )]
    WrongLock { held: String, env: String },
    /// A database backend could not read or write `place` (never a URL).
    #[error("{place}: {cause}")]
    Database { place: String, cause: String },
}

/// One backup file.
#[derive(Debug, Clone)]
pub struct BackupInfo {
    pub config: String,
    pub serial: u64,
    pub path: PathBuf,
    pub modified: Option<std::time::SystemTime>,
}

impl BackupInfo {
    /// When it was saved, RFC 3339 to the second; `None` when unknown.
    pub fn saved(&self) -> Option<String> {
        let t = jiff::Timestamp::try_from(self.modified?).ok()?;
        Some(t.round(jiff::Unit::Second).ok()?.to_string())
    }
}

/// The local backend: every record under the project's `.terrace/`.
#[derive(Debug, Clone)]
pub struct LocalBackend {
    root: PathBuf,
    /// Kept versions per configuration (`TERRACE_BACKUPS`, else 20).
    keep_backups: usize,
}

impl LocalBackend {
    /// The records of the project at `root`; `TERRACE_BACKUPS=N` keeps N
    /// backups per configuration instead of 20.
    pub fn new(root: &Path) -> LocalBackend {
        let keep_backups = std::env::var("TERRACE_BACKUPS")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .map_or(DEFAULT_BACKUPS, |n| n.max(1));
        LocalBackend {
            root: root.to_path_buf(),
            keep_backups,
        }
    }
}

impl Backend for LocalBackend {
    fn document_location(&self, env: &str, doc: Document) -> PathBuf {
        let name = match doc {
            Document::Lifecycle => "lifecycle.json",
            Document::Approvals => "approvals.json",
            Document::Deployed => "release.json",
            Document::Policies => "policies.json",
            Document::Drift => "drift.json",
        };
        self.root.join(".terrace").join("envs").join(env).join(name)
    }

    fn read_document(&self, env: &str, doc: Document) -> std::io::Result<Option<Vec<u8>>> {
        match crate::bounded::read_record(&self.document_location(env, doc)) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn replace_document(&self, env: &str, doc: Document, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.document_location(env, doc);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        crate::state::write_atomic(&path, bytes)
    }

    fn document_time(&self, env: &str, doc: Document) -> Option<std::time::SystemTime> {
        std::fs::metadata(self.document_location(env, doc))
            .and_then(|m| m.modified())
            .ok()
    }

    fn environments(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.root.join(".terrace").join("envs"))
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .filter(|e| e.path().is_dir())
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|n| !n.starts_with('.'))
            .collect();
        names.sort();
        names
    }

    fn release_location(&self, id: &str) -> PathBuf {
        self.root.join(".terrace").join("releases").join(id)
    }

    fn release_manifest(&self, id: &str) -> Result<Option<Vec<u8>>, RecordIo> {
        read_optional(&self.release_location(id).join("release.json"))
    }

    fn release_files(&self, id: &str) -> Result<PathBuf, RecordIo> {
        Ok(self.release_location(id).join("files"))
    }

    fn keep_release(
        &self,
        id: &str,
        files: &[(String, Vec<u8>)],
        manifest: &[u8],
    ) -> Result<(), RecordIo> {
        let dir = self.release_location(id);
        if dir.join("release.json").is_file() {
            return Ok(());
        }
        let parent = self.root.join(".terrace").join("releases");
        let write_err = |path: &Path, e: std::io::Error| RecordIo::Write {
            path: path.to_path_buf(),
            cause: e.to_string(),
        };
        std::fs::create_dir_all(&parent).map_err(|e| write_err(&parent, e))?;
        let tmp = tempfile::Builder::new()
            .prefix(".tmp-")
            .tempdir_in(&parent)
            .map_err(|e| write_err(&parent, e))?;
        let files_dir = tmp.path().join("files");
        for (rel, bytes) in files {
            let to = files_dir.join(rel);
            if let Some(d) = to.parent() {
                std::fs::create_dir_all(d).map_err(|e| write_err(d, e))?;
            }
            // Durable before the directory is renamed into place: a kept
            // release is trusted from then on.
            let mut file = std::fs::File::create(&to).map_err(|e| write_err(&to, e))?;
            file.write_all(bytes).map_err(|e| write_err(&to, e))?;
            file.sync_all().map_err(|e| write_err(&to, e))?;
        }
        let manifest_path = tmp.path().join("release.json");
        crate::state::write_atomic(&manifest_path, manifest)
            .map_err(|e| write_err(&manifest_path, e))?;
        let kept = tmp.keep();
        match std::fs::rename(&kept, &dir) {
            Ok(()) => {}
            // Another process kept the same release first: same content.
            Err(_) if dir.join("release.json").is_file() => {
                let _ = std::fs::remove_dir_all(&kept);
            }
            Err(e) => {
                let _ = std::fs::remove_dir_all(&kept);
                return Err(write_err(&dir, e));
            }
        }
        let _ = crate::state::sync_dir(&parent);
        Ok(())
    }

    fn location(&self) -> PathBuf {
        self.root.join(".terrace")
    }

    fn audit_locations(&self) -> (PathBuf, PathBuf) {
        let dir = self.root.join(".terrace");
        (dir.join("audit.jsonl"), dir.join("audit.head"))
    }

    fn append_audit(
        &self,
        next: &mut dyn FnMut(AuditTail) -> Option<AuditAppend>,
    ) -> Result<bool, RecordIo> {
        let (path, head_path) = self.audit_locations();
        let fail = |e: std::io::Error| RecordIo::Write {
            path: path.clone(),
            cause: e.to_string(),
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(fail)?;
        }
        // Never through a symbolic link: the trail is appended where it
        // is, not wherever a link points.
        let mut options = std::fs::OpenOptions::new();
        options.read(true).append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NOFOLLOW);
        let mut file = options.open(&path).map_err(|e| {
            if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
                RecordIo::Write {
                    path: path.clone(),
                    cause: "it is a symbolic link, and terrace appends to the audit trail only in place"
                        .into(),
                }
            } else {
                fail(e)
            }
        })?;
        // Appends from concurrent processes are serialised by an OS lock
        // on the file, released when it closes.
        file.lock().map_err(fail)?;
        let head = read_optional(&head_path)?;
        let last_line = last_line(&mut file).map_err(fail)?;
        let Some(append) = next(AuditTail { last_line, head }) else {
            return Ok(false);
        };
        file.write_all(append.line.as_bytes()).map_err(fail)?;
        file.sync_data().map_err(fail)?;
        if let Some(head) = append.head {
            crate::state::write_atomic(&head_path, &head).map_err(|e| RecordIo::Write {
                path: head_path.clone(),
                cause: e.to_string(),
            })?;
        }
        let _ = file.unlock();
        Ok(true)
    }

    fn audit(&self) -> Result<(Vec<String>, Option<Vec<u8>>), RecordIo> {
        let (path, head_path) = self.audit_locations();
        // Bytes that are not text are damage for `verify` to name.
        let lines = read_optional(&path)?
            .map(|bytes| {
                String::from_utf8_lossy(&bytes)
                    .lines()
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        Ok((lines, read_optional(&head_path)?))
    }

    fn replace_audit(&self, lines: &[String], head: &[u8]) -> Result<(), RecordIo> {
        let (path, head_path) = self.audit_locations();
        let fail = |path: &Path| {
            let path = path.to_path_buf();
            move |e: std::io::Error| RecordIo::Write {
                path,
                cause: e.to_string(),
            }
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(fail(&path))?;
        }
        let mut text = lines.join("\n");
        text.push('\n');
        crate::state::write_atomic(&path, text.as_bytes()).map_err(fail(&path))?;
        crate::state::write_atomic(&head_path, head).map_err(fail(&head_path))
    }

    fn remove_document(&self, env: &str, doc: Document) -> std::io::Result<()> {
        match std::fs::remove_file(self.document_location(env, doc)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    fn state(&self, env: &str) -> Box<dyn StateStore> {
        let mut store = LocalStore::new(&self.root, env);
        store.keep_backups = self.keep_backups;
        Box::new(store)
    }

    /// Every directory under `.terrace/releases/` with a manifest; the
    /// temporary ones (`.tmp-…`) of a keep in progress are not releases.
    fn releases(&self) -> Result<Vec<String>, RecordIo> {
        let dir = self.root.join(".terrace").join("releases");
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(RecordIo::Read {
                    path: dir,
                    cause: e.to_string(),
                });
            }
        };
        let mut ids: Vec<String> = entries
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|id| !id.starts_with('.'))
            .filter(|id| self.release_location(id).join("release.json").is_file())
            .collect();
        ids.sort();
        Ok(ids)
    }

    fn read_release(&self, id: &str) -> Result<Option<KeptRelease>, RecordIo> {
        let Some(manifest) = self.release_manifest(id)? else {
            return Ok(None);
        };
        let mut files = Vec::new();
        read_tree(&self.release_files(id)?, "", &mut files)?;
        files.sort();
        Ok(Some(KeptRelease { manifest, files }))
    }

    /// Removes `.terrace/` (with the catalog cache, which is rebuilt).
    fn delete_project(&self) -> Result<(), RecordIo> {
        let dir = self.root.join(".terrace");
        match std::fs::remove_dir_all(&dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(RecordIo::Write {
                path: dir,
                cause: e.to_string(),
            }),
            _ => Ok(()),
        }
    }
}

/// Every file under `dir` as (path relative to the start, with `/`,
/// content), into `out`; a directory that does not exist holds none.
/// Symbolic links are refused: a release holds files only.
fn read_tree(dir: &Path, prefix: &str, out: &mut Vec<(String, Vec<u8>)>) -> Result<(), RecordIo> {
    let read_err = |path: &Path, cause: String| RecordIo::Read {
        path: path.to_path_buf(),
        cause,
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && prefix.is_empty() => return Ok(()),
        Err(e) => return Err(read_err(dir, e.to_string())),
    };
    for entry in entries {
        let entry = entry.map_err(|e| read_err(dir, e.to_string()))?;
        let path = entry.path();
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            return Err(read_err(&path, "its name is not UTF-8".into()));
        };
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let kind = entry
            .file_type()
            .map_err(|e| read_err(&path, e.to_string()))?;
        if kind.is_dir() {
            read_tree(&path, &rel, out)?;
        } else if kind.is_file() {
            let bytes =
                crate::bounded::read_record(&path).map_err(|e| read_err(&path, e.to_string()))?;
            out.push((rel, bytes));
        } else {
            return Err(read_err(&path, "it is not a regular file".into()));
        }
    }
    Ok(())
}

/// A record's bytes; `None` when the file does not exist.
fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, RecordIo> {
    match crate::bounded::read_record(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(RecordIo::Read {
            path: path.to_path_buf(),
            cause: e.to_string(),
        }),
    }
}

/// The file's last non-empty line.
fn last_line(file: &mut std::fs::File) -> std::io::Result<Option<String>> {
    let len = file.seek(SeekFrom::End(0))?;
    let mut start = len;
    let mut tail = Vec::new();
    // Read backwards in chunks until a whole line is in hand.
    loop {
        let chunk = 8192.min(start);
        start -= chunk;
        file.seek(SeekFrom::Start(start))?;
        let mut buf = vec![0; chunk as usize];
        file.read_exact(&mut buf)?;
        buf.extend_from_slice(&tail);
        tail = buf;
        let trimmed = tail.strip_suffix(b"\n").unwrap_or(&tail);
        if let Some(nl) = trimmed.iter().rposition(|&b| b == b'\n') {
            return Ok(Some(
                String::from_utf8_lossy(&trimmed[nl + 1..]).into_owned(),
            ));
        }
        if start == 0 {
            return Ok((!trimmed.is_empty()).then(|| String::from_utf8_lossy(trimmed).into_owned()));
        }
    }
}

/// One environment's directory.
#[derive(Debug, Clone)]
pub struct LocalStore {
    dir: PathBuf,
    env: String,
    pub keep_backups: usize,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StateError + '_ {
    move |source| StateError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl LocalStore {
    /// The store of environment `env` in the project at `root`.
    pub fn new(root: &Path, env: &str) -> LocalStore {
        LocalStore {
            dir: root.join(".terrace").join("envs").join(env),
            env: env.to_string(),
            keep_backups: DEFAULT_BACKUPS,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn state_path(&self, config: &str) -> PathBuf {
        self.dir.join(format!("{config}.state.json"))
    }

    fn backup_path(&self, config: &str, serial: u64) -> PathBuf {
        self.dir.join(format!("{config}.{serial}.backup.json"))
    }

    pub fn journal_path(&self) -> PathBuf {
        self.dir.join("journal.jsonl")
    }

    /// Reads configuration `config`'s state file, verified: its checksum,
    /// and that it is this environment's, this configuration's, and of the
    /// lineage of the version it replaced (a copy from elsewhere is
    /// refused rather than applied against the wrong objects).
    fn read_current(&self, config: &str) -> Result<ConfigState, StateError> {
        let path = self.state_path(config);
        let bytes = crate::bounded::read_record(&path).map_err(io(&path))?;
        super::verified(&bytes, &self.env, config, || self.history_lineage(config)).map_err(
            |cause| StateError::Damaged {
                backups: self.backups_of(config).unwrap_or_default(),
                path: path.clone(),
                cause,
            },
        )
    }

    /// `<config>.lineage`: the lineage of the configuration's history,
    /// written once with its first state file.
    fn lineage_path(&self, config: &str) -> PathBuf {
        self.dir.join(format!("{config}.lineage"))
    }

    fn recorded_lineage(&self, config: &str) -> Option<String> {
        let text = crate::bounded::read_text(&self.lineage_path(config), 1024).ok()?;
        Some(text.trim().to_string()).filter(|l| !l.is_empty())
    }

    fn highest_backup_serial(&self) -> u64 {
        self.versions()
            .map(|b| b.iter().map(|x| x.serial).max().unwrap_or(0))
            .unwrap_or(0)
    }

    fn prune(&self, config: &str) -> Result<(), StateError> {
        let backups = self.backups_of(config)?;
        for old in backups.iter().skip(self.keep_backups) {
            std::fs::remove_file(&old.path).map_err(io(&old.path))?;
        }
        Ok(())
    }

    fn backups_of(&self, config: &str) -> Result<Vec<BackupInfo>, StateError> {
        Ok(self
            .versions()?
            .into_iter()
            .filter(|b| b.config == config)
            .collect())
    }

    /// The environment directory's entries; none before the first write.
    fn entries(&self) -> Result<Vec<std::fs::DirEntry>, StateError> {
        match std::fs::read_dir(&self.dir) {
            Ok(e) => Ok(e.filter_map(Result::ok).collect()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(io(&self.dir)(e)),
        }
    }

    /// Refuses a lock of another environment: a lock is the capability
    /// to change its own environment's state, and only that one.
    fn check_lock(&self, lock: &Lock) -> Result<(), StateError> {
        lock.check(&self.env)
    }

    fn state_files(&self) -> Result<Vec<String>, StateError> {
        let mut names: Vec<String> = self
            .entries()?
            .into_iter()
            .filter_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| n.strip_suffix(".state.json"))
                    .map(str::to_string)
            })
            .collect();
        names.sort();
        Ok(names)
    }
}

impl StateStore for LocalStore {
    fn env(&self) -> &str {
        &self.env
    }

    fn location(&self) -> String {
        self.dir.display().to_string()
    }

    fn current_location(&self, config: &str) -> String {
        self.state_path(config).display().to_string()
    }

    fn configurations(&self) -> Result<Vec<String>, StateError> {
        self.state_files()
    }

    /// The lineage of `config`'s newest backup: the history its current
    /// version continues. Without a backup (right after the first apply),
    /// the lineage recorded beside the state file (`CONFIG.lineage`).
    fn history_lineage(&self, config: &str) -> Option<String> {
        self.backups_of(config)
            .ok()
            .and_then(|b| b.first().and_then(|b| format::peek_lineage(&b.path)))
            .or_else(|| self.recorded_lineage(config))
    }

    /// Records `lineage` as `config`'s history (`CONFIG.lineage`), as its
    /// first write does.
    fn record_lineage(&self, config: &str, lineage: &str) -> Result<(), StateError> {
        std::fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        let path = self.lineage_path(config);
        crate::state::write_atomic(&path, lineage.as_bytes()).map_err(io(&path))
    }

    /// Takes the environment's lock.
    fn lock(&self, command: &str, timeout: Duration) -> Result<Lock, StateError> {
        let file = crate::state::acquire_lock(&self.dir, command, timeout)?;
        Ok(Lock::new(&self.env, file.info.clone(), Box::new(file)))
    }

    /// Who held a lock left by a holder that is gone; only reads.
    fn stale_lock(&self) -> Option<LockInfo> {
        crate::state::stale_lock(&self.dir)
    }

    fn unlock_stale(&self) -> Result<Option<LockInfo>, StateError> {
        Ok(crate::state::break_stale_lock(&self.dir)?)
    }

    /// Reads every configuration's state file.
    fn load(&self) -> Result<EnvState, StateError> {
        self.load_ahead(super::ReadAhead::default())
    }

    /// A file read ahead is taken if it is still the current one and its
    /// owner checks pass; it is read again otherwise, which reports what
    /// is wrong.
    fn load_ahead(&self, ahead: super::ReadAhead) -> Result<EnvState, StateError> {
        let mut early = ahead.finish(&self.dir);
        let mut env = EnvState::new(&self.env);
        for config in self.state_files()? {
            let lineage = || self.history_lineage(&config);
            let state = match early.remove(&config) {
                Some(read)
                    if read.is_current(&self.state_path(&config))
                        && format::check_owner(
                            &read.state,
                            &self.env,
                            &config,
                            lineage().as_deref(),
                        )
                        .is_ok() =>
                {
                    read.state
                }
                _ => self.read_current(&config)?,
            };
            env.configs.insert(config, state);
        }
        Ok(env)
    }

    /// Whether records of the environment's state exist (state files or
    /// backups) and which configurations have backups but no state file:
    /// their state file was deleted.
    fn missing_state(&self) -> Result<Vec<String>, StateError> {
        let current: BTreeSet<String> = self.state_files()?.into_iter().collect();
        let mut missing: Vec<String> = self
            .versions()?
            .into_iter()
            .map(|b| b.config)
            .filter(|c| !current.contains(c))
            .collect();
        missing.sort();
        missing.dedup();
        Ok(missing)
    }

    /// The records of an apply that did not finish, if any.
    fn pending_journal(&self) -> Result<Option<Vec<Record>>, StateError> {
        Ok(crate::state::read_journal(&self.journal_path())?)
    }

    /// Replays a journal left by an apply that did not finish into the
    /// state files, then removes it. Unfinished operations are recorded in
    /// state and returned.
    fn recover(&self, lock: &Lock) -> Result<Recovery, StateError> {
        self.check_lock(lock)?;
        let Some(records) = self.pending_journal()? else {
            return Ok(Recovery::default());
        };
        // Without its first line nothing says which state the operations
        // continue: refuse rather than drop them.
        if !matches!(records.first(), None | Some(Record::Begin { .. })) {
            let path = self.journal_path();
            return Err(StateError::Journal(JournalError {
                message: format!(
                    "it has no `begin` line, so nothing says which state its {} record(s) continue; terrace will not replay or drop them.\n\
                     Read it (each `done` line is an operation that finished), then move it aside (mv {} {}.unreadable) to go on: the objects it names may exist.",
                    records.len(),
                    path.display(),
                    path.display()
                ),
                path,
            }));
        }
        let mut state = self.load()?;
        tracing::debug!(
            records = records.len(),
            "replaying the journal of an unfinished apply"
        );
        let (changed, recovery) = replay(&mut state, &records);
        self.commit(lock, &mut state, &changed)?;
        let path = self.journal_path();
        std::fs::remove_file(&path).map_err(io(&path))?;
        crate::state::sync_dir(&self.dir).map_err(io(&self.dir))?;
        Ok(recovery)
    }

    /// Starts the journal of an apply from `state`.
    fn begin_journal(&self, lock: &Lock, state: &EnvState) -> Result<Journal, StateError> {
        self.check_lock(lock)?;
        std::fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        Ok(Journal::create(
            &self.journal_path(),
            &super::journal_begin(state),
        )?)
    }

    /// Closes the journal once its operations are in the state files.
    fn end_journal(&self, journal: Journal) -> Result<(), StateError> {
        let path = journal.path().to_path_buf();
        journal.close()?;
        std::fs::remove_file(&path).map_err(io(&path))?;
        crate::state::sync_dir(&self.dir).map_err(io(&self.dir))
    }

    /// Writes the configurations named in `changed` with a new serial (the
    /// same for all of them), keeping each previous version as a backup.
    /// Returns the new serial.
    fn commit(
        &self,
        lock: &Lock,
        state: &mut EnvState,
        changed: &BTreeSet<String>,
    ) -> Result<u64, StateError> {
        self.check_lock(lock)?;
        if changed.is_empty() {
            return Ok(state.serial());
        }
        std::fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        let serial = state.serial().max(self.highest_backup_serial()) + 1;
        for name in changed {
            let path = self.state_path(name);
            // A configuration written for the first time since its file
            // went continues the history of its backups.
            let adopted = (state.configs.get(name).is_none_or(|c| c.serial == 0) && !path.exists())
                .then(|| self.history_lineage(name))
                .flatten();
            let config = state.config_mut(name);
            if let Some(lineage) = adopted {
                config.lineage = lineage;
            }
            config.serial = serial;
            config.terrace_version = env!("CARGO_PKG_VERSION").to_string();
            if let Ok(old) = crate::bounded::read_record(&path)
                && let Ok(old_state) = format::decode(&old)
            {
                let backup = self.backup_path(name, old_state.serial);
                let _ = std::fs::remove_file(&backup);
                std::fs::hard_link(&path, &backup).map_err(io(&backup))?;
            }
            crate::state::write_atomic_with(&path, |file| format::write(file, config))
                .map_err(io(&path))?;
            if self.recorded_lineage(name).as_deref() != Some(config.lineage.as_str()) {
                let lineage_path = self.lineage_path(name);
                crate::state::write_atomic(&lineage_path, config.lineage.as_bytes())
                    .map_err(io(&lineage_path))?;
            }
            tracing::debug!(path = %path.display(), serial, objects = config.instance_count(), "wrote state");
            self.prune(name)?;
        }
        Ok(serial)
    }

    fn read_version(
        &self,
        config: &str,
        serial: Option<u64>,
    ) -> Result<Option<Vec<u8>>, StateError> {
        let path = match serial {
            None => self.state_path(config),
            Some(s) => self.backup_path(config, s),
        };
        match crate::bounded::read_record(&path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(&path)(e)),
        }
    }

    /// Writes `CONFIG.state.json` or `CONFIG.SERIAL.backup.json` with the
    /// bytes as they are, atomically.
    fn write_version(
        &self,
        lock: &Lock,
        config: &str,
        bytes: &[u8],
        current: bool,
        written: Option<std::time::SystemTime>,
    ) -> Result<u64, StateError> {
        self.check_lock(lock)?;
        let serial =
            crate::store::sound_version(bytes, &self.env, config, self.dir.join(config))?.serial;
        let path = if current {
            self.state_path(config)
        } else {
            self.backup_path(config, serial)
        };
        if std::fs::symlink_metadata(&path).is_ok() {
            return Err(StateError::Exists {
                location: path.display().to_string(),
            });
        }
        std::fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        crate::state::write_atomic(&path, bytes).map_err(io(&path))?;
        if let Some(time) = written {
            std::fs::File::options()
                .write(true)
                .open(&path)
                .and_then(|f| f.set_modified(time))
                .map_err(io(&path))?;
        }
        Ok(serial)
    }

    /// Every backup, newest first.
    fn versions(&self) -> Result<Vec<BackupInfo>, StateError> {
        let mut out: Vec<BackupInfo> = self
            .entries()?
            .into_iter()
            .filter_map(|e| {
                let name = e.file_name().to_str()?.to_string();
                let stem = name.strip_suffix(".backup.json")?;
                let (config, serial) = stem.rsplit_once('.')?;
                Some(BackupInfo {
                    config: config.to_string(),
                    serial: serial.parse().ok()?,
                    modified: e.metadata().and_then(|m| m.modified()).ok(),
                    path: e.path(),
                })
            })
            .collect();
        out.sort_by(|a, b| b.serial.cmp(&a.serial).then(a.config.cmp(&b.config)));
        Ok(out)
    }

    /// Restores the environment (or one configuration) to how it was at
    /// `serial`: each configuration takes its newest version at or before
    /// that serial. The result is written with a new serial; what it
    /// replaces becomes a backup. Every version to restore is read and
    /// verified (checksum, environment, configuration, lineage) before
    /// anything moves: a refused restore leaves every file where it was.
    /// A damaged current file that is replaced is kept aside.
    /// Returns, per configuration, the serial restored (0: it had no state).
    fn restore(
        &self,
        lock: &Lock,
        serial: u64,
        only: Option<&str>,
    ) -> Result<BTreeMap<String, u64>, StateError> {
        self.check_lock(lock)?;
        let backups = self.versions()?;
        crate::store::check_restorable(&backups, &self.env, serial, only)?;
        let mut configs: BTreeSet<String> = backups.iter().map(|b| b.config.clone()).collect();
        let mut current = EnvState::new(&self.env);
        // Serials of damaged files are not reused: read them if one can.
        let mut damaged_serial = 0;
        let mut damaged = Vec::new();
        for name in self.state_files()? {
            configs.insert(name.clone());
            match self.read_current(&name) {
                Ok(s) => {
                    current.configs.insert(name, s);
                }
                Err(StateError::Damaged { path, .. }) => {
                    let serial = crate::bounded::read_record(&path)
                        .ok()
                        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                        .and_then(|v| v["state"]["serial"].as_u64())
                        .unwrap_or(0);
                    damaged_serial = damaged_serial.max(serial);
                    damaged.push(name);
                }
                Err(e) => return Err(e),
            }
        }
        // The restored versions are written after everything seen so far.
        let top = current
            .serial()
            .max(self.highest_backup_serial())
            .max(damaged_serial);
        // First read and verify every version to restore.
        let mut restored = BTreeMap::new();
        let mut chosen = Vec::new();
        for name in configs.into_iter().filter(|c| only.is_none_or(|o| o == c)) {
            let mut candidates: Vec<(u64, PathBuf)> = backups
                .iter()
                .filter(|b| b.config == name && b.serial <= serial)
                .map(|b| (b.serial, b.path.clone()))
                .collect();
            if let Some(c) = current.configs.get(&name)
                && c.serial <= serial
            {
                candidates.push((c.serial, self.state_path(&name)));
            }
            candidates.sort();
            let lineage = current.configs.get(&name).map(|c| c.lineage.clone());
            let old = match candidates.last() {
                Some((s, path)) => {
                    restored.insert(name.clone(), *s);
                    // Already there: nothing to write.
                    if current.configs.get(&name).is_some_and(|c| c.serial == *s) {
                        continue;
                    }
                    let bytes = crate::bounded::read_record(path).map_err(io(path))?;
                    super::verified(&bytes, &self.env, &name, || lineage.clone()).map_err(
                        |cause| StateError::BadBackup {
                            path: path.clone(),
                            cause,
                        },
                    )?
                }
                None => {
                    restored.insert(name.clone(), 0);
                    ConfigState::new(&self.env, &name)
                }
            };
            chosen.push((name, lineage, old));
        }
        // Then move aside the damaged files being replaced, and write.
        for name in damaged
            .iter()
            .filter(|d| chosen.iter().any(|(n, ..)| n == *d))
        {
            let path = self.state_path(name);
            let aside = self.dir.join(format!(
                "{name}.state.json.damaged-{}",
                jiff::Timestamp::now().as_second()
            ));
            std::fs::rename(&path, &aside).map_err(io(&path))?;
        }
        let mut changed = BTreeSet::new();
        for (name, lineage, old) in chosen {
            let entry = current.config_mut(&name);
            *entry = ConfigState {
                lineage: lineage.unwrap_or(old.lineage.clone()),
                serial: top,
                ..old
            };
            changed.insert(name);
        }
        self.commit(lock, &mut current, &changed)?;
        Ok(restored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::InstanceAddr;
    use crate::value::Value;

    fn addr(s: &str) -> InstanceAddr {
        InstanceAddr::parse(s).unwrap().1
    }

    #[test]
    fn writes_keep_backups_and_restore_goes_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path(), "dev");
        let lock = store.lock("test", Duration::ZERO).unwrap();
        let mut state = EnvState::new("dev");
        for v in 1..=3 {
            state.set_instance(&addr("net/terrace_data.x"), Value::int(v), None);
            let changed = BTreeSet::from(["net".to_string()]);
            assert_eq!(store.commit(&lock, &mut state, &changed).unwrap(), v as u64);
        }
        let serials: Vec<u64> = store.versions().unwrap().iter().map(|b| b.serial).collect();
        assert_eq!(serials, [2, 1]);
        let restored = store.restore(&lock, 1, None).unwrap();
        assert_eq!(restored["net"], 1);
        let now = store.load().unwrap();
        assert_eq!(now.serial(), 4);
        assert_eq!(
            now.instance(&addr("net/terrace_data.x"))
                .unwrap()
                .attributes,
            Value::int(1)
        );
        assert!(store.restore(&lock, 99, None).is_err());
    }

    #[test]
    fn state_read_ahead_is_taken_only_while_it_is_the_current_file() {
        use crate::store::ReadAhead;
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path(), "dev");
        let lock = store.lock("test", Duration::ZERO).unwrap();
        let x = addr("net/terrace_data.x");
        let changed = BTreeSet::from(["net".to_string()]);
        let mut state = EnvState::new("dev");
        state.set_instance(&x, Value::int(1), None);
        store.commit(&lock, &mut state, &changed).unwrap();
        let value = |s: &EnvState| s.instance(&x).unwrap().attributes.clone();

        // Read and still current: taken.
        let early = ReadAhead::start(dir.path(), "dev").finish(&store.dir);
        assert!(early["net"].is_current(&store.state_path("net")));
        assert_eq!(early["net"].state.serial, 1);
        // Read for another folder: nothing.
        let other = tempfile::tempdir().unwrap();
        assert!(
            ReadAhead::start(other.path(), "dev")
                .finish(&store.dir)
                .is_empty()
        );
        assert!(
            ReadAhead::start(dir.path(), "../dev")
                .finish(&store.dir)
                .is_empty()
        );

        // Replaced after it was read: the new file is read.
        let ahead = ReadAhead::start(dir.path(), "dev");
        ahead.wait();
        state.set_instance(&x, Value::int(2), None);
        store.commit(&lock, &mut state, &changed).unwrap();
        let early = ReadAhead::start(dir.path(), "dev").finish(&store.dir);
        assert!(early["net"].is_current(&store.state_path("net")));
        assert_eq!(value(&store.load_ahead(ahead).unwrap()), Value::int(2));

        // Another environment's file put in its place is refused, as
        // without reading ahead.
        let prod = LocalStore::new(dir.path(), "prod");
        let prod_lock = prod.lock("test", Duration::ZERO).unwrap();
        let mut theirs = EnvState::new("prod");
        theirs.set_instance(&x, Value::int(9), None);
        prod.commit(&prod_lock, &mut theirs, &changed).unwrap();
        std::fs::copy(prod.state_path("net"), store.state_path("net")).unwrap();
        let ahead = ReadAhead::start(dir.path(), "dev");
        ahead.wait();
        let refused = store.load_ahead(ahead).unwrap_err();
        assert!(matches!(refused, StateError::Damaged { .. }), "{refused}");
        assert_eq!(refused.to_string(), store.load().unwrap_err().to_string());
    }

    #[test]
    fn a_lock_of_another_environment_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let dev = LocalStore::new(dir.path(), "dev");
        let prod = LocalStore::new(dir.path(), "prod");
        let dev_lock = dev.lock("test", Duration::ZERO).unwrap();
        let mut state = EnvState::new("prod");
        state.set_instance(&addr("net/terrace_data.x"), Value::int(1), None);
        let changed = BTreeSet::from(["net".to_string()]);
        let wrong = |e: StateError| {
            assert!(
                matches!(&e, StateError::WrongLock { held, env } if held == "dev" && env == "prod"),
                "{e}"
            );
            assert!(
                e.to_string()
                    .contains("environment \"dev\"'s, not \"prod\"'s")
            );
        };
        wrong(prod.commit(&dev_lock, &mut state, &changed).unwrap_err());
        wrong(prod.restore(&dev_lock, 1, None).unwrap_err());
        match prod.begin_journal(&dev_lock, &state) {
            Err(e) => wrong(e),
            Ok(_) => panic!("a dev lock began prod's journal"),
        }
        wrong(prod.recover(&dev_lock).unwrap_err());
        assert!(prod.load().unwrap().configs.is_empty());
        assert!(prod.pending_journal().unwrap().is_none());
        // Its own lock commits.
        let prod_lock = prod.lock("test", Duration::ZERO).unwrap();
        assert_eq!(prod.commit(&prod_lock, &mut state, &changed).unwrap(), 1);
    }

    #[test]
    fn damaged_state_is_refused_with_its_backups() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path(), "dev");
        let lock = store.lock("test", Duration::ZERO).unwrap();
        let mut state = EnvState::new("dev");
        for v in 1..=2 {
            state.set_instance(&addr("net/terrace_data.x"), Value::int(v), None);
            store
                .commit(&lock, &mut state, &BTreeSet::from(["net".to_string()]))
                .unwrap();
        }
        let path = store.dir().join("net.state.json");
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("\"serial\": 2", "\"serial\": 7");
        std::fs::write(&path, text).unwrap();
        match store.load() {
            Err(StateError::Damaged { backups, .. }) => assert_eq!(backups[0].serial, 1),
            other => panic!("expected Damaged, got {other:?}"),
        }
    }

    #[test]
    fn versions_are_read_and_written_verbatim_and_a_second_write_is_refused() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let from = LocalStore::new(a.path(), "dev");
        let to = LocalStore::new(b.path(), "dev");
        let lock = from.lock("test", Duration::ZERO).unwrap();
        let mut state = EnvState::new("dev");
        for v in 1..=3 {
            state.set_instance(&addr("net/terrace_data.x"), Value::int(v), None);
            from.commit(&lock, &mut state, &BTreeSet::from(["net".to_string()]))
                .unwrap();
        }
        let to_lock = to.lock("test", Duration::ZERO).unwrap();
        for b in from.versions().unwrap() {
            let bytes = from.read_version("net", Some(b.serial)).unwrap().unwrap();
            assert_eq!(
                to.write_version(&to_lock, "net", &bytes, false, None)
                    .unwrap(),
                b.serial
            );
        }
        let current = from.read_version("net", None).unwrap().unwrap();
        assert_eq!(
            to.write_version(&to_lock, "net", &current, true, None)
                .unwrap(),
            3
        );
        to.record_lineage("net", &from.history_lineage("net").unwrap())
            .unwrap();
        assert_eq!(to.read_version("net", None).unwrap().unwrap(), current);
        assert_eq!(to.load().unwrap().serial(), 3);
        let serials: Vec<u64> = to.versions().unwrap().iter().map(|b| b.serial).collect();
        assert_eq!(serials, [2, 1]);
        assert!(to.read_version("net", Some(9)).unwrap().is_none());
        assert!(matches!(
            to.write_version(&to_lock, "net", &current, true, None),
            Err(StateError::Exists { .. })
        ));
        // Another configuration's (or environment's) bytes are refused.
        assert!(matches!(
            to.write_version(&to_lock, "app", &current, true, None),
            Err(StateError::Damaged { .. })
        ));
        let prod = LocalStore::new(b.path(), "prod");
        let prod_lock = prod.lock("test", Duration::ZERO).unwrap();
        assert!(
            prod.write_version(&prod_lock, "net", &current, true, None)
                .is_err()
        );
        assert!(prod.configurations().unwrap().is_empty());
    }

    #[test]
    fn releases_are_listed_read_whole_and_deleted_with_the_project() {
        let dir = tempfile::tempdir().unwrap();
        let backend = LocalBackend::new(dir.path());
        assert!(backend.releases().unwrap().is_empty());
        let files = vec![
            ("arch/main.hcl".to_string(), b"x".to_vec()),
            ("project.hcl".to_string(), b"y".to_vec()),
        ];
        backend.keep_release("abc", &files, b"{}").unwrap();
        std::fs::create_dir_all(dir.path().join(".terrace/releases/.tmp-1")).unwrap();
        assert_eq!(backend.releases().unwrap(), ["abc"]);
        let kept = backend.read_release("abc").unwrap().unwrap();
        assert_eq!(kept.manifest, b"{}");
        assert_eq!(kept.files, files);
        assert!(backend.read_release("def").unwrap().is_none());
        backend.delete_project().unwrap();
        assert!(!dir.path().join(".terrace").exists());
        assert!(backend.releases().unwrap().is_empty());
        backend.delete_project().unwrap();
    }
}
