//! A whole project's records, every version, read from one backend and
//! written into another (`terrace backend migrate`), and the inventory
//! that proves the two hold the same.
//!
//! Built only on the [`Backend`] / [`super::StateStore`] interface, so
//! that it copies between any two backends: [`lock_all`] takes every
//! environment's lock (refusing a held or stale one and a pending
//! journal), [`walk`] reads every record under those locks one at a time
//! (a long history is never held whole), [`copy`] writes them into a
//! backend that holds no records of the project, and [`Inventory`]
//! counts and hashes what a backend holds, record by record.
//! Journals and locks are not records to copy: a copy is refused while a
//! journal is pending, and a lock lives only as long as its holder.

use super::{Backend, Document, KeptRelease, Lock, RecordIo, StateError};
use crate::digest::sha256_hex;
use std::collections::BTreeMap;
use std::time::Duration;

/// One record of a project, as [`walk`] reads it.
#[derive(Debug)]
pub enum Record<'a> {
    /// The lineage of configuration `config`'s history.
    Lineage {
        env: &'a str,
        config: &'a str,
        lineage: String,
    },
    /// A state version as written; `current` for the configuration's
    /// current one.
    Version {
        env: &'a str,
        config: &'a str,
        serial: u64,
        current: bool,
        bytes: Vec<u8>,
        /// When it was written, as the source keeps it.
        written: Option<std::time::SystemTime>,
    },
    Document {
        env: &'a str,
        doc: Document,
        bytes: Vec<u8>,
    },
    Release {
        id: &'a str,
        release: KeptRelease,
    },
    /// The whole audit trail, one string per line, and its head.
    Audit {
        lines: Vec<String>,
        head: Option<Vec<u8>>,
    },
}

impl Record<'_> {
    /// The environment the record belongs to; `None` for the project's
    /// releases and audit trail.
    fn env(&self) -> Option<&str> {
        match self {
            Record::Lineage { env, .. }
            | Record::Version { env, .. }
            | Record::Document { env, .. } => Some(env),
            Record::Release { .. } | Record::Audit { .. } => None,
        }
    }
}

/// Why a copy could not go on.
#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    #[error(transparent)]
    State(#[from] StateError),
    /// A lock or journal of one environment, named for the message.
    #[error("environment \"{env}\": {error}")]
    Env { env: String, error: StateError },
    #[error(transparent)]
    Io(#[from] RecordIo),
    #[error("{0}")]
    Refused(String),
    /// The destination of a copy holds records: nothing was written.
    #[error("the destination already holds records of this project; nothing was copied")]
    DestinationHolds,
    /// Whether the destination holds records could not be told: nothing
    /// was written, and what it holds must not be removed.
    #[error("cannot tell whether the destination holds records ({0}); nothing was copied")]
    DestinationUnknown(Box<DumpError>),
}

/// Takes the lock of every environment with records ([`lock_envs`]).
pub fn lock_all(
    backend: &dyn Backend,
    command: &str,
    timeout: Duration,
) -> Result<Vec<Lock>, DumpError> {
    lock_envs(backend, &backend.environments(), command, timeout)
}

/// Takes the lock of each of `envs`, waiting up to
/// `timeout` for each live holder (then refused with its holder; a stale
/// lock is refused until it is broken), and
/// refuses an environment whose apply left a journal: its operations are
/// not in state yet, and a copy would lose them.
pub fn lock_envs(
    backend: &dyn Backend,
    envs: &[String],
    command: &str,
    timeout: Duration,
) -> Result<Vec<Lock>, DumpError> {
    let mut locks = Vec::new();
    for env in envs {
        let store = backend.state(env);
        let of_env = |error| DumpError::Env {
            env: env.clone(),
            error,
        };
        locks.push(store.lock(command, timeout).map_err(of_env)?);
        if store.pending_journal().map_err(of_env)?.is_some() {
            return Err(DumpError::Refused(format!(
                "environment \"{env}\" has the journal of an apply that did not finish ({}): \
                 run `terrace plan --env {env}` to recover it into state first; nothing was copied",
                store.location()
            )));
        }
    }
    Ok(locks)
}

/// Reads every record of the project, all versions, one at a time into
/// `visit` (so that a long history is never held whole): per
/// environment its lineages, kept versions, current versions and
/// documents, then the releases, then the audit trail. `locks` must hold
/// every environment's lock ([`lock_all`]), so that nothing changes
/// state while it is read.
pub fn walk(
    backend: &dyn Backend,
    locks: &[Lock],
    visit: &mut dyn FnMut(Record<'_>) -> Result<(), DumpError>,
) -> Result<(), DumpError> {
    for env in backend.environments() {
        if !locks.iter().any(|l| l.env() == env) {
            return Err(DumpError::Refused(format!(
                "environment \"{env}\" is not locked: every environment is read under its lock"
            )));
        }
        let store = backend.state(&env);
        let current = store.configurations()?;
        let kept = store.versions()?;
        let mut configs: Vec<&str> = current
            .iter()
            .map(String::as_str)
            .chain(kept.iter().map(|v| v.config.as_str()))
            .collect();
        configs.sort();
        configs.dedup();
        for config in configs {
            if let Some(lineage) = store.history_lineage(config) {
                visit(Record::Lineage {
                    env: &env,
                    config,
                    lineage,
                })?;
            }
        }
        // Oldest first, as they were written.
        for v in kept.iter().rev() {
            let bytes = store
                .read_version(&v.config, Some(v.serial))?
                .ok_or_else(|| {
                    DumpError::Refused(format!(
                        "version {} of {env}/{} went while it was read",
                        v.serial, v.config
                    ))
                })?;
            visit(Record::Version {
                env: &env,
                config: &v.config,
                serial: v.serial,
                current: false,
                bytes,
                written: v.modified,
            })?;
        }
        for config in &current {
            let Some(bytes) = store.read_version(config, None)? else {
                continue;
            };
            let serial = crate::state::format::decode(&bytes)
                .map_err(|cause| StateError::Damaged {
                    path: std::path::PathBuf::from(store.current_location(config)),
                    cause,
                    backups: Vec::new(),
                })?
                .serial;
            visit(Record::Version {
                env: &env,
                config,
                serial,
                current: true,
                bytes,
                written: None,
            })?;
        }
        for doc in Document::ALL {
            let bytes = backend
                .read_document(&env, doc)
                .map_err(|e| RecordIo::Read {
                    path: backend.document_location(&env, doc),
                    cause: e.to_string(),
                })?;
            if let Some(bytes) = bytes {
                visit(Record::Document {
                    env: &env,
                    doc,
                    bytes,
                })?;
            }
        }
    }
    for id in backend.releases()? {
        if let Some(release) = backend.read_release(&id)? {
            visit(Record::Release { id: &id, release })?;
        }
    }
    let (lines, head) = backend.audit()?;
    visit(Record::Audit { lines, head })
}

/// The inventory of every record `backend` holds ([`walk`]).
pub fn inventory(backend: &dyn Backend, locks: &[Lock]) -> Result<Inventory, DumpError> {
    let mut inv = Inventory::default();
    walk(backend, locks, &mut |r| {
        inv.add(&r);
        Ok(())
    })?;
    Ok(inv)
}

/// Whether the backend holds any record of the project (a version, a
/// lineage, a document, a release or an audit line).
pub fn holds_records(backend: &dyn Backend) -> Result<bool, DumpError> {
    for env in backend.environments() {
        let store = backend.state(&env);
        if !store.configurations()?.is_empty()
            || !store.versions()?.is_empty()
            || store.pending_journal()?.is_some()
        {
            return Ok(true);
        }
        for doc in Document::ALL {
            // One that cannot be read is there all the same.
            if !matches!(backend.read_document(&env, doc), Ok(None)) {
                return Ok(true);
            }
        }
    }
    let (lines, head) = backend.audit()?;
    Ok(!backend.releases()?.is_empty() || !lines.is_empty() || head.is_some())
}

/// Copies every record of the project from `from` (every environment
/// locked by `locks`) into `to`, which must hold no records of it: the
/// versions verbatim after their lineage, the documents, the releases and
/// the audit trail. `to_locks` hold the lock in `to` of every environment
/// of `from`, taken before `to` was found empty, so that no other copy
/// can start into it meanwhile. Returns the
/// inventory of what was read. A failure other than
/// [`DumpError::DestinationHolds`] and [`DumpError::DestinationUnknown`]
/// (where nothing was written) leaves `to` holding part of the copy: the
/// caller removes it.
pub fn copy(
    from: &dyn Backend,
    locks: &[Lock],
    to: &dyn Backend,
    to_locks: &[Lock],
) -> Result<Inventory, DumpError> {
    match holds_records(to) {
        Ok(false) => {}
        Ok(true) => return Err(DumpError::DestinationHolds),
        Err(e) => return Err(DumpError::DestinationUnknown(Box::new(e))),
    }
    let mut inv = Inventory::default();
    walk(from, locks, &mut |record| {
        inv.add(&record);
        let held = record.env().map(|env| {
            to_locks.iter().find(|l| l.env() == env).ok_or_else(|| {
                DumpError::Refused(format!(
                    "environment \"{env}\" is not locked in the destination: every environment is written under its lock"
                ))
            })
        });
        let held = held.transpose()?;
        match record {
            Record::Lineage {
                env,
                config,
                lineage,
            } => to.state(env).record_lineage(config, &lineage)?,
            Record::Version {
                env,
                config,
                current,
                bytes,
                written,
                ..
            } => {
                if let Some(lock) = held {
                    to.state(env)
                        .write_version(lock, config, &bytes, current, written)?;
                }
            }
            Record::Document { env, doc, bytes } => {
                to.replace_document(env, doc, &bytes)
                    .map_err(|e| RecordIo::Write {
                        path: to.document_location(env, doc),
                        cause: e.to_string(),
                    })?;
            }
            Record::Release { id, release } => {
                to.keep_release(id, &release.files, &release.manifest)?;
            }
            Record::Audit { lines, head } => match head {
                Some(head) => to.replace_audit(&lines, &head)?,
                None if lines.is_empty() => {}
                None => {
                    return Err(DumpError::Refused(
                        "the audit trail has no head: run `terrace audit --verify` on the source"
                            .into(),
                    ));
                }
            },
        }
        Ok(())
    })?;
    Ok(inv)
}

/// What a backend holds: per kind of record, the sha256 of every record's
/// bytes by its key. Two backends hold the same records when their
/// inventories are equal.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Inventory {
    kinds: BTreeMap<&'static str, BTreeMap<String, String>>,
}

/// The kinds of record, in the order they are shown.
pub const KINDS: [&str; 8] = [
    "state versions",
    "current versions",
    "lineages",
    "documents",
    "releases",
    "release files",
    "audit lines",
    "audit head",
];

impl Inventory {
    /// Counts `record` in.
    pub fn add(&mut self, record: &Record<'_>) {
        let mut put = |kind: &'static str, key: String, bytes: &[u8]| {
            self.kinds
                .entry(kind)
                .or_default()
                .insert(key, sha256_hex(bytes));
        };
        match record {
            Record::Lineage {
                env,
                config,
                lineage,
            } => put("lineages", format!("{env}/{config}"), lineage.as_bytes()),
            Record::Version {
                env,
                config,
                serial,
                current,
                bytes,
                // Times are shown, not verified: the stores keep them
                // at different precision.
                written: _,
            } => {
                put(
                    "state versions",
                    format!("{env}/{config} serial {serial}"),
                    bytes,
                );
                // The pointer to the current version is a record of its own.
                if *current {
                    let serial = serial.to_string();
                    put(
                        "current versions",
                        format!("{env}/{config}"),
                        serial.as_bytes(),
                    );
                }
            }
            Record::Document { env, doc, bytes } => {
                put("documents", format!("{env}/{}", doc.name()), bytes);
            }
            Record::Release { id, release } => {
                put("releases", id.to_string(), &release.manifest);
                for (path, bytes) in &release.files {
                    put("release files", format!("{id}/{path}"), bytes);
                }
            }
            Record::Audit { lines, head } => {
                for (n, line) in lines.iter().enumerate() {
                    put("audit lines", format!("line {}", n + 1), line.as_bytes());
                }
                if let Some(head) = head {
                    put("audit head", "head".into(), head);
                }
            }
        }
    }

    /// Per kind: how many records, and the sha256 over every record's key
    /// and hash in order.
    pub fn summary(&self) -> Vec<(&'static str, usize, String)> {
        KINDS
            .iter()
            .map(|kind| {
                let records = self.kinds.get(kind).cloned().unwrap_or_default();
                let text: String = records
                    .iter()
                    .map(|(key, hash)| format!("{key}\t{hash}\n"))
                    .collect();
                (*kind, records.len(), sha256_hex(text.as_bytes()))
            })
            .collect()
    }

    /// Whether every record here is in `other` with the same bytes (and
    /// there is at least one): what an unfinished copy of `other` holds.
    pub fn is_part_of(&self, other: &Inventory) -> bool {
        let mut any = false;
        for (kind, records) in &self.kinds {
            let Some(theirs) = other.kinds.get(kind) else {
                if records.is_empty() {
                    continue;
                }
                return false;
            };
            for (key, hash) in records {
                any = true;
                if theirs.get(key) != Some(hash) {
                    return false;
                }
            }
        }
        any
    }

    /// What differs from `other` (the copy), one line per record: empty
    /// when both hold the same.
    pub fn differences(&self, other: &Inventory) -> Vec<String> {
        let empty = BTreeMap::new();
        let mut out = Vec::new();
        for kind in KINDS {
            let ours = self.kinds.get(kind).unwrap_or(&empty);
            let theirs = other.kinds.get(kind).unwrap_or(&empty);
            for (key, hash) in ours {
                match theirs.get(key) {
                    None => out.push(format!("{kind}: {key} is missing from the copy")),
                    Some(h) if h != hash => out.push(format!("{kind}: {key} differs")),
                    Some(_) => {}
                }
            }
            for key in theirs.keys().filter(|k| !ours.contains_key(*k)) {
                out.push(format!("{kind}: {key} is in the copy only"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::InstanceAddr;
    use crate::state::EnvState;
    use crate::store::{AuditAppend, LocalBackend};
    use crate::value::Value;
    use std::collections::BTreeSet;

    fn addr(s: &str) -> InstanceAddr {
        InstanceAddr::parse(s).unwrap().1
    }

    /// A project with two environments, several versions, a restore,
    /// documents, a release and an audit trail.
    fn populated(root: &std::path::Path) -> LocalBackend {
        let backend = LocalBackend::new(root);
        for env in ["dev", "prod"] {
            let store = backend.state(env);
            let lock = store.lock("test", Duration::ZERO).unwrap();
            let mut state = EnvState::new(env);
            for v in 1..=4 {
                state.set_instance(&addr("net/terrace_data.x"), Value::int(v), None);
                state.set_instance(&addr("app/file.y"), Value::int(v * 10), None);
                let changed = if v % 2 == 0 {
                    BTreeSet::from(["net".to_string()])
                } else {
                    BTreeSet::from(["net".to_string(), "app".to_string()])
                };
                store.commit(&lock, &mut state, &changed).unwrap();
            }
            store.restore(&lock, 2, Some("net")).unwrap();
            backend
                .replace_document(env, Document::Lifecycle, b"{\"configs\":{}}")
                .unwrap();
        }
        backend
            .replace_document("dev", Document::Drift, b"{\"x\":1}\n")
            .unwrap();
        backend
            .keep_release(
                "r1",
                &[
                    ("project.hcl".into(), b"p".to_vec()),
                    ("a/b.hcl".into(), b"b".to_vec()),
                ],
                b"{\"id\":\"r1\"}",
            )
            .unwrap();
        for n in 0..3 {
            backend
                .append_audit(&mut |_| {
                    Some(AuditAppend {
                        line: format!("event {n}\n"),
                        head: Some(format!("head {n}").into_bytes()),
                    })
                })
                .unwrap();
        }
        backend
    }

    #[test]
    fn a_copy_holds_every_version_and_record_and_restores() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let from = populated(a.path());
        let to = LocalBackend::new(b.path());
        let locks = lock_all(&from, "test", Duration::ZERO).unwrap();
        let to_locks = lock_envs(&to, &from.environments(), "test", Duration::ZERO).unwrap();
        let inv = copy(&from, &locks, &to, &to_locks).unwrap();
        assert_eq!(inventory(&from, &locks).unwrap(), inv);
        let copied = inventory(&to, &to_locks).unwrap();
        assert!(
            inv.differences(&copied).is_empty(),
            "{:?}",
            inv.differences(&copied)
        );
        assert_eq!(inv.summary(), copied.summary());
        let counts: Vec<usize> = inv.summary().iter().map(|(_, n, _)| *n).collect();
        // 2 envs × (5 kept + 2 current) versions, 2×2 current, 2×2
        // lineages, 3 documents, 1 release with 2 files, 3 lines, a head.
        assert_eq!(counts, [14, 4, 4, 3, 1, 2, 3, 1]);
        drop(to_locks);
        // Every version came along, and restores.
        let (src, dst) = (from.state("dev"), to.state("dev"));
        let serials = |s: &dyn crate::store::StateStore| -> Vec<(String, u64)> {
            s.versions()
                .unwrap()
                .into_iter()
                .map(|b| (b.config, b.serial))
                .collect()
        };
        assert_eq!(serials(&*src), serials(&*dst));
        assert_eq!(src.load().unwrap(), dst.load().unwrap());
        let lock = dst.lock("test", Duration::ZERO).unwrap();
        dst.restore(&lock, 1, None).unwrap();
        let restored = dst.load().unwrap();
        assert_eq!(restored.serial(), 6);
        assert_eq!(
            restored
                .instance(&addr("net/terrace_data.x"))
                .unwrap()
                .attributes,
            Value::int(1)
        );
        // A copy of another project's state is still refused: lineage came along.
        assert_eq!(src.history_lineage("net"), dst.history_lineage("net"));
    }

    #[test]
    fn a_destination_with_records_a_held_lock_or_a_pending_journal_is_refused() {
        let a = tempfile::tempdir().unwrap();
        let from = populated(a.path());
        let locks = lock_all(&from, "test", Duration::ZERO).unwrap();
        // Into itself: it holds records.
        let err = copy(&from, &locks, &from, &locks).unwrap_err();
        assert!(err.to_string().contains("already holds records"), "{err}");
        drop(locks);
        // A held lock is refused with its holder.
        let held = from
            .state("prod")
            .lock("terrace apply", Duration::ZERO)
            .unwrap();
        let err = lock_all(&from, "test", Duration::ZERO).unwrap_err();
        assert!(err.to_string().contains("terrace apply"), "{err}");
        // With a timeout, it waits for the holder to finish.
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            drop(held);
        });
        let locks = lock_all(&from, "test", Duration::from_secs(10)).unwrap();
        release.join().unwrap();
        drop(locks);
        // A pending journal is refused.
        let store = from.state("dev");
        let lock = store.lock("test", Duration::ZERO).unwrap();
        let state = store.load().unwrap();
        let journal = store.begin_journal(&lock, &state).unwrap();
        drop(lock);
        let err = lock_all(&from, "test", Duration::ZERO).unwrap_err();
        assert!(err.to_string().contains("did not finish"), "{err}");
        drop(journal);
        // Without the locks, nothing is read.
        let err = inventory(&from, &[]).unwrap_err();
        assert!(err.to_string().contains("is not locked"), "{err}");
    }

    #[test]
    fn the_inventory_names_every_record_that_differs() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let from = populated(a.path());
        let to = LocalBackend::new(b.path());
        let locks = lock_all(&from, "test", Duration::ZERO).unwrap();
        let to_locks = lock_envs(&to, &from.environments(), "test", Duration::ZERO).unwrap();
        let inv = copy(&from, &locks, &to, &to_locks).unwrap();
        // Damage the copy: an audit line gone, a kept version edited, the
        // release removed.
        let (lines, head) = to.audit().unwrap();
        to.replace_audit(&lines[..2], &head.unwrap()).unwrap();
        let backup = b.path().join(".terrace/envs/prod/app.1.backup.json");
        let mut bytes = std::fs::read(&backup).unwrap();
        bytes.push(b' ');
        std::fs::write(&backup, bytes).unwrap();
        std::fs::remove_dir_all(b.path().join(".terrace/releases")).unwrap();
        let diff = inv.differences(&inventory(&to, &to_locks).unwrap());
        assert_eq!(
            diff,
            [
                "state versions: prod/app serial 1 differs",
                "releases: r1 is missing from the copy",
                "release files: r1/a/b.hcl is missing from the copy",
                "release files: r1/project.hcl is missing from the copy",
                "audit lines: line 3 is missing from the copy",
            ]
        );
    }
}
