//! The record store: one interface for every record terrace keeps, and
//! the backends behind it. Operations reach records only through a
//! [`Backend`] chosen once per run (see [`choice`]): the local files under
//! `.terrace/` ([`local`], the default) or a PostgreSQL database shared by
//! every machine ([`postgres`]).
//!
//! # What is recorded, and what each record needs
//!
//! Surveyed from every reader and writer (state, apply, ops, cli,
//! project). Each line is an operation the interface offers and the
//! guarantee it must keep on every backend; how the local files keep it is
//! in brackets.
//!
//! **State versions** (per environment, per configuration; `StateStore`):
//! - `load`: the current version of every configuration, each verified:
//!   checksum, its environment and configuration, and the lineage of the
//!   history it continues; a damaged one is refused with the versions it
//!   could be restored from. [`CONFIG.state.json`, `CONFIG.lineage`]
//! - `commit(lock, state, changed) -> serial`: one apply's versions of all
//!   changed configurations under *one* new serial, higher than every
//!   serial seen, all or none visible; the replaced versions are kept.
//!   Only the holder of the environment's own [`Lock`] may commit (a lock
//!   of another environment is refused). [atomic
//!   write per file (temporary, fsync, rename), the old file hard-linked
//!   as `CONFIG.SERIAL.backup.json` first; a crash between two files is
//!   repaired by the journal's replay, which is why the journal ends only
//!   after the commit]
//! - `versions` / `restore(lock, serial, only)`: every kept version, and
//!   restoring the newest at or before a serial as a new version; every
//!   version to restore is verified before anything moves. The local store
//!   keeps `TERRACE_BACKUPS` (20) versions per configuration; a database
//!   keeps all.
//! - `missing_state` / `configurations`: which configurations have a
//!   current version, and which have history but lost it (so that a plan
//!   does not create again what exists).
//!
//! **Journal** (per environment, one per running apply): `begin_journal`
//! durably writes where the apply starts from (serial and lineage per
//! configuration) and refuses when one exists; records then become durable
//! in order, by group commit ([`crate::state::Journal`] over a
//! [`crate::state::JournalLog`]: one writer thread, one sync per batch; a database would
//! insert a batch per transaction); `end_journal` removes it after the
//! commit; `pending_journal` and `recover` find and replay one left by a
//! crash. [`journal.jsonl`, fsync per batch]
//!
//! **Lock** (per environment): `lock(command, timeout)` returns a guard
//! whose lifetime *is* the lock, with its holder (user, host, pid,
//! command, since); a holder that died leaves a lock that is provably
//! stale and is reported, never silently taken; `unlock_stale` breaks only
//! a stale one. [a `lock` file with an OS file lock, which dies with its
//! process; a database: a lock row plus a session advisory lock held by
//! the holder's connection, which dies with it]
//!
//! **Drift** (per environment; [`Document::Drift`]): the last `terrace
//! drift` check; replaced whole, dropped by a successful apply.
//! [`drift.json`]
//!
//! **Lifecycle, approvals, deployed release, last policy results** (per
//! environment, [`crate::project`]; [`Document`]): small documents read and
//! replaced whole, by the operation that holds the environment's lock (the
//! policy results by every plan, last writer wins); a reader sees the old or
//! the new one. The store keeps their bytes; `project` owns their types and
//! format checks. [`lifecycle.json`, `approvals.json`, `release.json`,
//! `policies.json`, each written atomically]
//!
//! **Releases** (per project; [`Backend::keep_release`]): content-addressed:
//! a release's id is the hash of its files; kept whole or not at all,
//! never changed, verified against its manifest on read.
//! [`.terrace/releases/ID/{release.json,files/}`, built in a temporary
//! directory and renamed into place]
//!
//! **Audit trail** (per project; [`Backend::append_audit`]): append-only,
//! hash-chained (`seq`, `prev`, `hash`) and appended serially, so that
//! concurrent writers never fork the chain: the appender computes the next
//! line from the tail it sees under the store's exclusive lock (a database:
//! a transaction holding a lock on the trail). Verified end to end with its
//! head; replaced whole only by an import. [`audit.jsonl` under an
//! exclusive file lock, `audit.head`]
//!
//! **Export / import / delete / copy**: every record above, read and
//! written through the same interface: each version's bytes as written
//! (`StateStore::read_version`, and `write_version` to put one verbatim,
//! so that its checksum and lineage travel with it), every kept release
//! (`Backend::releases`, `read_release`), and `Backend::delete_project`
//! removing every record of the project. Journal and lock are not
//! copied: a copy is refused while an apply's journal is pending, and
//! takes the locks itself.
//!
//! Still naming local paths: a few types, for messages (`StateError`'s
//! paths, `BackupInfo::path`, `Records::dir`); a database's records are
//! named there as `postgres (VARIABLE): PROJECT: RECORD`.
//!
//! # Why the interface is synchronous
//!
//! The local store is plain file I/O, called from the command line's
//! synchronous code and from async operations alike, and its journal
//! already runs on its own writer thread; a sync trait keeps it and its
//! callers unchanged, and object-safe without boxing futures (`Box<dyn
//! StateStore>`, `Arc<dyn Backend>`). The PostgreSQL backend uses the
//! blocking `postgres` client on a thread of its own per connection and
//! answers calls over std channels, which block safely inside and outside
//! a tokio runtime (unlike `block_on`). Its [`Lock`] guard holds the
//! connection whose session owns the advisory lock; its
//! [`crate::state::JournalLog`] sends each batch as one transaction, so
//! group commit stays in one place. Operations already do blocking file
//! I/O on tokio's workers; a database round trip per record operation is
//! of that kind.

pub mod ahead;
pub mod choice;
pub mod dump;
pub mod local;
pub mod postgres;
pub mod replay;
pub mod tfstate;

pub use ahead::ReadAhead;
pub use choice::{BACKEND_VARIABLE, BackendChoice, ChoiceError};

pub use local::{BackupInfo, LocalBackend, LocalStore, StateError};
pub use replay::{Recovery, replay};

use crate::state::format::{self, FormatError};
use crate::state::{Base, ConfigState, EnvState, Journal, LockInfo, Record};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

/// Where a project's records live, chosen once per run.
pub trait Backend: Send + Sync + std::fmt::Debug {
    /// The state records of environment `env`.
    fn state(&self, env: &str) -> Box<dyn StateStore>;

    /// Where environment `env`'s document `doc` is, as shown to users in
    /// messages (a path for local files; never a credential).
    fn document_location(&self, env: &str, doc: Document) -> PathBuf;

    /// Environment `env`'s document `doc` as last replaced; `None` when
    /// it was never written (or was removed).
    fn read_document(&self, env: &str, doc: Document) -> std::io::Result<Option<Vec<u8>>>;

    /// Replaces the document whole and durably: a reader sees the old one
    /// or the new one, never a mix. The caller holds the environment's
    /// lock when the document belongs to an operation that does.
    fn replace_document(&self, env: &str, doc: Document, bytes: &[u8]) -> std::io::Result<()>;

    /// Removes the document; removing one that does not exist succeeds.
    fn remove_document(&self, env: &str, doc: Document) -> std::io::Result<()>;

    /// When the document was last replaced, if it exists.
    fn document_time(&self, env: &str, doc: Document) -> Option<std::time::SystemTime>;

    /// The environments that have records, by name.
    fn environments(&self) -> Vec<String>;

    /// Where the audit trail and its head are, as shown to users.
    fn audit_locations(&self) -> (PathBuf, PathBuf);

    /// Where every record of the project is, as shown to users: locally
    /// the `.terrace/` directory, a database by the variable naming it and
    /// the project (never a credential).
    fn location(&self) -> PathBuf;

    /// Appends one line to the audit trail, serially: while this runs no
    /// other writer on any machine appends, so `next` sees the true tail
    /// (the last line and the head's bytes) and the line it returns
    /// extends the chain without a fork. The line is durable on return,
    /// then the head is replaced when `next` gave one. `next` returning
    /// `None` appends nothing (its own error), and this returns `false`.
    fn append_audit(
        &self,
        next: &mut dyn FnMut(AuditTail) -> Option<AuditAppend>,
    ) -> Result<bool, RecordIo>;

    /// The whole trail, one string per line, and the head's bytes.
    fn audit(&self) -> Result<(Vec<String>, Option<Vec<u8>>), RecordIo>;

    /// Replaces the whole trail and its head (an import).
    fn replace_audit(&self, lines: &[String], head: &[u8]) -> Result<(), RecordIo>;

    /// Where release `id` is kept, as shown to users.
    fn release_location(&self, id: &str) -> PathBuf;

    /// Release `id`'s manifest, if the release is kept.
    fn release_manifest(&self, id: &str) -> Result<Option<Vec<u8>>, RecordIo>;

    /// The directory holding release `id`'s definition files, to load
    /// them from (local: where they are kept; a database would unpack them
    /// into a cache first). The caller verifies them against the manifest.
    fn release_files(&self, id: &str) -> Result<PathBuf, RecordIo>;

    /// Keeps release `id`: `files` (relative path, content) and its
    /// manifest, all or nothing. Content-addressed: the id is the hash of
    /// the definitions, so a release kept already (by anyone) is left as
    /// it is and this succeeds.
    fn keep_release(
        &self,
        id: &str,
        files: &[(String, Vec<u8>)],
        manifest: &[u8],
    ) -> Result<(), RecordIo>;

    /// The ids of every kept release, sorted.
    fn releases(&self) -> Result<Vec<String>, RecordIo>;

    /// Release `id` as kept: its manifest and its files (relative path
    /// with `/`, content), sorted by path; `None` when it is not kept.
    /// The bytes are as kept: the caller verifies them if it trusts them.
    fn read_release(&self, id: &str) -> Result<Option<KeptRelease>, RecordIo>;

    /// Removes every record of the project: every environment's versions,
    /// lineage, documents, journal and lock, the releases and the audit
    /// trail (local: `.terrace/`; a database: the project's rows). The
    /// caller holds every environment's lock; a lock it holds may go
    /// with the records.
    fn delete_project(&self) -> Result<(), RecordIo>;
}

/// A kept release's bytes ([`Backend::read_release`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptRelease {
    /// `release.json`: the manifest the files are verified against.
    pub manifest: Vec<u8>,
    /// (relative path with `/`, content), sorted by path.
    pub files: Vec<(String, Vec<u8>)>,
}

/// The end of the audit trail, as an appender sees it under the lock.
#[derive(Debug, Clone)]
pub struct AuditTail {
    /// The last non-empty line, if any.
    pub last_line: Option<String>,
    /// The head's bytes, if there is a head.
    pub head: Option<Vec<u8>>,
}

/// What to append: the line (with its newline) and the head to record,
/// if the head is to move.
#[derive(Debug, Clone)]
pub struct AuditAppend {
    pub line: String,
    pub head: Option<Vec<u8>>,
}

/// A record could not be read or written: where, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordIo {
    #[error("cannot read {path}: {cause}")]
    Read { path: PathBuf, cause: String },
    #[error("cannot write {path}: {cause}")]
    Write { path: PathBuf, cause: String },
}

/// A record of one environment that is read and replaced whole: small,
/// changed by the operation that holds the environment's lock, and typed
/// by [`crate::project`] (the store keeps bytes, so that it knows nothing
/// of the types above it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Document {
    /// Each configuration's stage ([`crate::project::lifecycle`]).
    Lifecycle,
    /// Approvals of saved plans ([`crate::project::approval`]).
    Approvals,
    /// The release the environment runs ([`crate::project::release`]).
    Deployed,
    /// The policy results of the last plan ([`crate::project::evaluations`]).
    Policies,
    /// The last `terrace drift` check ([`crate::state::DriftRecord`];
    /// [`crate::project::Records::drift`]).
    Drift,
}

impl Document {
    /// Every kind of document, for whoever copies them all.
    pub const ALL: [Document; 5] = [
        Document::Lifecycle,
        Document::Approvals,
        Document::Deployed,
        Document::Policies,
        Document::Drift,
    ];

    /// The document's name in messages and dumps (stable).
    pub fn name(self) -> &'static str {
        match self {
            Document::Lifecycle => "lifecycle",
            Document::Approvals => "approvals",
            Document::Deployed => "deployed",
            Document::Policies => "policies",
            Document::Drift => "drift",
        }
    }
}

/// One environment's state: its versions, journal, lock and drift check.
pub trait StateStore: Send + Sync + std::fmt::Debug {
    /// The environment's name.
    fn env(&self) -> &str;

    /// Where the environment's records are, as shown to users (a
    /// directory; never a credential).
    fn location(&self) -> String;

    /// Where configuration `config`'s current version is, as shown to
    /// users.
    fn current_location(&self, config: &str) -> String;

    /// Takes the environment's lock, waiting up to `timeout` for a live
    /// holder; a stale lock is refused (and named) until broken.
    fn lock(&self, command: &str, timeout: Duration) -> Result<Lock, StateError>;

    /// Who held a lock that was left behind by a holder that is gone
    /// (`None` when there is no lock, or its holder lives).
    fn stale_lock(&self) -> Option<LockInfo>;

    /// Breaks a stale lock and returns who held it; refuses a live one.
    fn unlock_stale(&self) -> Result<Option<LockInfo>, StateError>;

    /// The configurations with a current version, by name.
    fn configurations(&self) -> Result<Vec<String>, StateError>;

    /// The current version of every configuration, verified.
    fn load(&self) -> Result<EnvState, StateError>;

    /// [`load`](StateStore::load), taking what `ahead` read of this
    /// store's files where they are still the same (a local store's).
    fn load_ahead(&self, ahead: ReadAhead) -> Result<EnvState, StateError> {
        drop(ahead);
        self.load()
    }

    /// The lineage of configuration `config`'s history: the one its
    /// current version must continue (`None` before its first version).
    fn history_lineage(&self, config: &str) -> Option<String>;

    /// Records `lineage` as configuration `config`'s history, as its first
    /// commit does: for a current version that arrives without its kept
    /// versions (an import), so that a copy from elsewhere is still
    /// refused.
    fn record_lineage(&self, config: &str, lineage: &str) -> Result<(), StateError>;

    /// The configurations that have kept versions but no current one.
    fn missing_state(&self) -> Result<Vec<String>, StateError>;

    /// Commits the configurations in `changed` as one new version with one
    /// new serial, keeping what they replace; returns the serial (the
    /// current one when nothing changed).
    fn commit(
        &self,
        lock: &Lock,
        state: &mut EnvState,
        changed: &BTreeSet<String>,
    ) -> Result<u64, StateError>;

    /// Every kept version that is not current, newest first.
    fn versions(&self) -> Result<Vec<BackupInfo>, StateError>;

    /// Restores the environment (or one configuration) to how it was at
    /// `serial`, as a new version; returns the serial restored per
    /// configuration (0: it had no state then).
    fn restore(
        &self,
        lock: &Lock,
        serial: u64,
        only: Option<&str>,
    ) -> Result<BTreeMap<String, u64>, StateError>;

    /// The records of an apply that did not finish, if any.
    fn pending_journal(&self) -> Result<Option<Vec<Record>>, StateError>;

    /// Replays a journal left by an apply that did not finish, commits
    /// the result and ends the journal.
    fn recover(&self, lock: &Lock) -> Result<Recovery, StateError>;

    /// Starts the journal of an apply from `state`; refused when one
    /// exists.
    fn begin_journal(&self, lock: &Lock, state: &EnvState) -> Result<Journal, StateError>;

    /// Ends the journal once its operations are committed.
    fn end_journal(&self, journal: Journal) -> Result<(), StateError>;

    /// The bytes of configuration `config`'s version as written: the
    /// current one (`serial` `None`) or the kept version `serial`; `None`
    /// when there is no such version. Not verified: an export or a copy
    /// carries the bytes, checksum included, as they are.
    fn read_version(
        &self,
        config: &str,
        serial: Option<u64>,
    ) -> Result<Option<Vec<u8>>, StateError>;

    /// Writes a version of configuration `config` verbatim (an import, a
    /// copy between backends): `bytes` as [`StateStore::read_version`]
    /// gave them, as the current version or as a kept one. Its serial is
    /// the one it carries. Refused, with nothing written, when the bytes
    /// are not a sound version of this environment's `config` (checksum,
    /// environment, configuration) or when that version (the current one,
    /// or a kept one with that serial) exists already. Lineage is the
    /// caller's: [`StateStore::record_lineage`]. `written` is when the
    /// version was first written, kept as its time ([`StateStore::versions`]),
    /// so that a copied history shows when each version was made; `None`:
    /// now. Returns the serial.
    fn write_version(
        &self,
        lock: &Lock,
        config: &str,
        bytes: &[u8],
        current: bool,
        written: Option<std::time::SystemTime>,
    ) -> Result<u64, StateError>;
}

/// A held environment lock: dropping it releases the lock. It is the
/// capability to change the environment's state.
pub struct Lock {
    env: String,
    info: LockInfo,
    /// What the backend holds (the local lock file; a database
    /// connection), released when dropped.
    _held: Box<dyn Send + Sync>,
}

impl Lock {
    /// A lock of environment `env` held by `info`, kept by `held`. Only
    /// a backend makes one, when it has taken the lock: code elsewhere
    /// cannot forge the capability.
    pub(in crate::store) fn new(env: &str, info: LockInfo, held: Box<dyn Send + Sync>) -> Lock {
        Lock {
            env: env.to_string(),
            info,
            _held: held,
        }
    }

    /// Who holds it: this process.
    pub fn info(&self) -> &LockInfo {
        &self.info
    }

    /// The environment locked.
    pub fn env(&self) -> &str {
        &self.env
    }

    /// Refuses this lock unless it is environment `env`'s: a lock is the
    /// capability to change its own environment's state, and only that.
    pub(in crate::store) fn check(&self, env: &str) -> Result<(), StateError> {
        if self.env == env {
            Ok(())
        } else {
            Err(StateError::WrongLock {
                held: self.env.clone(),
                env: env.to_string(),
            })
        }
    }
}

/// Decodes a kept version of configuration `config` in environment `env`
/// and verifies it: its checksum, and that it is this environment's, this
/// configuration's, and of `lineage()` (the history it must continue, when
/// known), so that a copy from elsewhere is refused rather than applied
/// against the wrong objects. Every backend reads state through this.
pub(in crate::store) fn verified(
    bytes: &[u8],
    env: &str,
    config: &str,
    lineage: impl FnOnce() -> Option<String>,
) -> Result<ConfigState, FormatError> {
    let state = format::decode(bytes)?;
    format::check_owner(&state, env, config, lineage().as_deref())?;
    Ok(state)
}

/// Refuses a restore to `serial` (of configuration `only`, when given)
/// that no kept version of environment `env` matches.
pub(in crate::store) fn check_restorable(
    versions: &[BackupInfo],
    env: &str,
    serial: u64,
    only: Option<&str>,
) -> Result<(), StateError> {
    if versions
        .iter()
        .any(|b| b.serial == serial && only.is_none_or(|c| c == b.config))
    {
        Ok(())
    } else {
        Err(StateError::NoBackup {
            env: env.to_string(),
            serial,
        })
    }
}

/// Decodes a version given to [`StateStore::write_version`] and checks it
/// is environment `env`'s configuration `config` (its checksum too);
/// `place` names it in the refusal.
pub(in crate::store) fn sound_version(
    bytes: &[u8],
    env: &str,
    config: &str,
    place: PathBuf,
) -> Result<ConfigState, StateError> {
    format::decode(bytes)
        .and_then(|s| format::check_owner(&s, env, config, None).map(|()| s))
        .map_err(|cause| StateError::Damaged {
            path: place,
            cause,
            backups: Vec::new(),
        })
}

/// The first record of an apply's journal: where it starts from.
pub(in crate::store) fn journal_begin(state: &EnvState) -> Record {
    let base = state
        .configs
        .iter()
        .map(|(name, c)| {
            (
                name.clone(),
                Base {
                    serial: c.serial,
                    lineage: c.lineage.clone(),
                },
            )
        })
        .collect();
    Record::Begin {
        apply_id: uuid::Uuid::new_v4().to_string(),
        time: jiff::Timestamp::now().to_string(),
        base,
    }
}

impl std::fmt::Debug for Lock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lock")
            .field("env", &self.env)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}
