//! A whole project's records, every version, read from one backend and
//! written into another (`terrace backend migrate`), and the inventory
//! that proves the two hold the same.
//!
//! Built only on the [`Backend`] / [`StateStore`] interface, so that it
//! copies between any two backends: [`lock_all`] takes every
//! environment's lock (refusing a held or stale one and a pending
//! journal), [`dump`] reads every record under those locks, [`load`]
//! writes a dump into a backend that holds no records of the project, and
//! [`Inventory`] counts and hashes what a dump holds, record by record.
//! Journals and locks are not records to copy: a copy is refused while a
//! journal is pending, and a lock lives only as long as its holder.

use super::{Backend, Document, KeptRelease, Lock, RecordIo, StateError};
use crate::digest::sha256_hex;
use std::collections::BTreeMap;
use std::time::Duration;

/// Every record of a project, as its backend keeps the bytes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Dump {
    pub environments: BTreeMap<String, EnvDump>,
    /// Kept releases by id.
    pub releases: BTreeMap<String, KeptRelease>,
    /// The audit trail, one string per line, and its head.
    pub audit: Vec<String>,
    pub audit_head: Option<Vec<u8>>,
}

/// Every record of one environment.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct EnvDump {
    /// Kept (not current) versions by configuration and serial.
    pub kept: BTreeMap<(String, u64), Vec<u8>>,
    /// The current version of each configuration that has one.
    pub current: BTreeMap<String, Vec<u8>>,
    /// The lineage of each configuration's history.
    pub lineage: BTreeMap<String, String>,
    /// The documents that exist.
    pub documents: Vec<(Document, Vec<u8>)>,
}

/// Why a dump or a load could not go on.
#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Io(#[from] RecordIo),
    #[error("{0}")]
    Refused(String),
}

/// Takes the lock of every environment with records, at once (a held
/// lock is refused with its holder, a stale one until it is broken), and
/// refuses an environment whose apply left a journal: its operations are
/// not in state yet, and a copy would lose them.
pub fn lock_all(backend: &dyn Backend, command: &str) -> Result<Vec<Lock>, DumpError> {
    let mut locks = Vec::new();
    for env in backend.environments() {
        let store = backend.state(&env);
        locks.push(store.lock(command, Duration::ZERO)?);
        if store.pending_journal()?.is_some() {
            return Err(DumpError::Refused(format!(
                "environment \"{env}\" has the journal of an apply that did not finish ({}): \
                 run `terrace plan --env {env}` to recover it into state first; nothing was copied",
                store.location()
            )));
        }
    }
    Ok(locks)
}

/// Reads every record of the project, all versions. `locks` must hold
/// every environment's lock ([`lock_all`]), so that nothing changes
/// state while it is read.
pub fn dump(backend: &dyn Backend, locks: &[Lock]) -> Result<Dump, DumpError> {
    let mut out = Dump::default();
    for env in backend.environments() {
        if !locks.iter().any(|l| l.env() == env) {
            return Err(DumpError::Refused(format!(
                "environment \"{env}\" is not locked: a dump reads every environment under its lock"
            )));
        }
        let store = backend.state(&env);
        let mut e = EnvDump::default();
        let mut configs = store.configurations()?;
        for config in &configs {
            if let Some(bytes) = store.read_version(config, None)? {
                e.current.insert(config.clone(), bytes);
            }
        }
        for v in store.versions()? {
            let bytes = store
                .read_version(&v.config, Some(v.serial))?
                .ok_or_else(|| {
                    DumpError::Refused(format!(
                        "version {} of {env}/{} went while it was read",
                        v.serial, v.config
                    ))
                })?;
            configs.push(v.config.clone());
            e.kept.insert((v.config, v.serial), bytes);
        }
        configs.sort();
        configs.dedup();
        for config in configs {
            if let Some(lineage) = store.history_lineage(&config) {
                e.lineage.insert(config, lineage);
            }
        }
        for doc in Document::ALL {
            let bytes = backend
                .read_document(&env, doc)
                .map_err(|e| RecordIo::Read {
                    path: backend.document_location(&env, doc),
                    cause: e.to_string(),
                })?;
            if let Some(bytes) = bytes {
                e.documents.push((doc, bytes));
            }
        }
        out.environments.insert(env, e);
    }
    for id in backend.releases()? {
        if let Some(release) = backend.read_release(&id)? {
            out.releases.insert(id, release);
        }
    }
    (out.audit, out.audit_head) = backend.audit()?;
    Ok(out)
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
            if backend.read_document(&env, doc).ok().flatten().is_some() {
                return Ok(true);
            }
        }
    }
    let (lines, head) = backend.audit()?;
    Ok(!backend.releases()?.is_empty() || !lines.is_empty() || head.is_some())
}

/// Writes `dump` into `backend`, which must hold no records of the
/// project: the versions verbatim with their lineage, the documents, the
/// releases and the audit trail, each environment under its lock.
pub fn load(backend: &dyn Backend, dump: &Dump, command: &str) -> Result<(), DumpError> {
    if holds_records(backend)? {
        return Err(DumpError::Refused(
            "the destination already holds records of this project; nothing was copied".into(),
        ));
    }
    if dump.audit_head.is_none() && !dump.audit.is_empty() {
        return Err(DumpError::Refused(
            "the audit trail has no head: run `terrace audit --verify` on the source; nothing was copied"
                .into(),
        ));
    }
    for (env, e) in &dump.environments {
        let store = backend.state(env);
        let lock = store.lock(command, Duration::ZERO)?;
        for (config, lineage) in &e.lineage {
            store.record_lineage(config, lineage)?;
        }
        for ((config, _), bytes) in &e.kept {
            store.write_version(&lock, config, bytes, false)?;
        }
        for (config, bytes) in &e.current {
            store.write_version(&lock, config, bytes, true)?;
        }
        for (doc, bytes) in &e.documents {
            backend
                .replace_document(env, *doc, bytes)
                .map_err(|e| RecordIo::Write {
                    path: backend.document_location(env, *doc),
                    cause: e.to_string(),
                })?;
        }
    }
    for (id, release) in &dump.releases {
        backend.keep_release(id, &release.files, &release.manifest)?;
    }
    if let Some(head) = &dump.audit_head {
        backend.replace_audit(&dump.audit, head)?;
    }
    Ok(())
}

/// What a dump holds: per kind of record, the sha256 of every record's
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
    /// The inventory of `dump`.
    pub fn of(dump: &Dump) -> Inventory {
        let mut inv = Inventory::default();
        for kind in KINDS {
            inv.kinds.insert(kind, BTreeMap::new());
        }
        let mut add = |kind: &'static str, key: String, bytes: &[u8]| {
            if let Some(k) = inv.kinds.get_mut(kind) {
                k.insert(key, sha256_hex(bytes));
            }
        };
        for (env, e) in &dump.environments {
            for ((config, serial), bytes) in &e.kept {
                add(
                    "state versions",
                    format!("{env}/{config} serial {serial}"),
                    bytes,
                );
            }
            for (config, bytes) in &e.current {
                // The current version is a version too, and the pointer
                // to it a record of its own.
                let serial = crate::state::format::decode(bytes)
                    .map(|s| s.serial.to_string())
                    .unwrap_or_else(|_| "unreadable".into());
                add(
                    "state versions",
                    format!("{env}/{config} serial {serial}"),
                    bytes,
                );
                add(
                    "current versions",
                    format!("{env}/{config}"),
                    serial.as_bytes(),
                );
            }
            for (config, lineage) in &e.lineage {
                add("lineages", format!("{env}/{config}"), lineage.as_bytes());
            }
            for (doc, bytes) in &e.documents {
                add("documents", format!("{env}/{}", doc.name()), bytes);
            }
        }
        for (id, release) in &dump.releases {
            add("releases", id.clone(), &release.manifest);
            for (path, bytes) in &release.files {
                add("release files", format!("{id}/{path}"), bytes);
            }
        }
        for (n, line) in dump.audit.iter().enumerate() {
            add("audit lines", format!("line {}", n + 1), line.as_bytes());
        }
        if let Some(head) = &dump.audit_head {
            add("audit head", "head".into(), head);
        }
        inv
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
    fn a_dump_loaded_elsewhere_holds_every_version_and_record() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let from = populated(a.path());
        let to = LocalBackend::new(b.path());
        let locks = lock_all(&from, "test").unwrap();
        let dump = dump(&from, &locks).unwrap();
        assert_eq!(
            dump.environments["dev"].kept.len(),
            5,
            "{:?}",
            dump.environments["dev"].kept.keys()
        );
        assert_eq!(dump.environments["dev"].current.len(), 2);
        load(&to, &dump, "test").unwrap();
        let to_locks = lock_all(&to, "test").unwrap();
        let copy = super::dump(&to, &to_locks).unwrap();
        assert_eq!(copy, dump);
        let (inv, copied) = (Inventory::of(&dump), Inventory::of(&copy));
        assert!(inv.differences(&copied).is_empty());
        assert_eq!(inv.summary(), copied.summary());
        let counts: Vec<usize> = inv.summary().iter().map(|(_, n, _)| *n).collect();
        // 2 envs × (5 kept + 2 current) versions, 2×2 current, 2×2
        // lineages, 3 documents, 1 release with 2 files, 3 lines, a head.
        assert_eq!(counts, [14, 4, 4, 3, 1, 2, 3, 1]);
        // The copy's versions restore and verify.
        drop(to_locks);
        let store = to.state("dev");
        let lock = store.lock("test", Duration::ZERO).unwrap();
        assert_eq!(store.load().unwrap().serial(), 5);
        store.restore(&lock, 1, None).unwrap();
        let restored = store.load().unwrap();
        assert_eq!(restored.serial(), 6);
        assert_eq!(
            restored
                .instance(&addr("net/terrace_data.x"))
                .unwrap()
                .attributes,
            Value::int(1)
        );
    }

    #[test]
    fn a_destination_with_records_or_a_pending_journal_is_refused() {
        let a = tempfile::tempdir().unwrap();
        let from = populated(a.path());
        let locks = lock_all(&from, "test").unwrap();
        let dump = dump(&from, &locks).unwrap();
        // Into itself: it holds records.
        let err = load(&from, &dump, "test").unwrap_err();
        assert!(err.to_string().contains("already holds records"), "{err}");
        drop(locks);
        // A held lock is refused with its holder.
        let held = from
            .state("prod")
            .lock("terrace apply", Duration::ZERO)
            .unwrap();
        let err = lock_all(&from, "test").unwrap_err();
        assert!(err.to_string().contains("terrace apply"), "{err}");
        drop(held);
        // A pending journal is refused.
        let store = from.state("dev");
        let lock = store.lock("test", Duration::ZERO).unwrap();
        let state = store.load().unwrap();
        let journal = store.begin_journal(&lock, &state).unwrap();
        drop(lock);
        let err = lock_all(&from, "test").unwrap_err();
        assert!(err.to_string().contains("did not finish"), "{err}");
        drop(journal);
        // Without the locks, no dump.
        let err = super::dump(&from, &[]).unwrap_err();
        assert!(err.to_string().contains("is not locked"), "{err}");
    }

    #[test]
    fn the_inventory_names_every_record_that_differs() {
        let a = tempfile::tempdir().unwrap();
        let from = populated(a.path());
        let locks = lock_all(&from, "test").unwrap();
        let dump = dump(&from, &locks).unwrap();
        let mut other = dump.clone();
        other.audit.pop();
        if let Some(v) = other
            .environments
            .get_mut("prod")
            .and_then(|e| e.kept.values_mut().next())
        {
            v.push(b' ');
        }
        other.releases.clear();
        let diff = Inventory::of(&dump).differences(&Inventory::of(&other));
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
