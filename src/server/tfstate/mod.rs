//! Terraform's HTTP state backend (`backend "http"`): the states that
//! Terraform keeps in `terrace serve`, one per project and name, every
//! version kept, with the lock Terraform takes around its writes.
//!
//! What it owns: the rules of the backend (who may write while a lock is
//! held, what a restore writes) in the functions of this module, over a
//! [`TfStateStore`] that only keeps records: in the server's data
//! directory ([`local::LocalTfState`]) or in PostgreSQL
//! ([`crate::store::postgres::tfstate`]), chosen as [`super::access::open`]
//! chooses. What it does not: HTTP, which is [`http`]'s.
//!
//! A state is a head ([`Head`]: its current version, its lock, the list
//! of its versions) and the bytes of each version, which never change once
//! written. Every change goes through [`TfStateStore::update`], which runs
//! under a lock of the store (a file lock, or a row lock in a
//! transaction), so that two servers on one store never both take a lock.
//!
//! Entry points: [`open`], [`write`], [`lock`], [`unlock`], [`delete`],
//! [`restore`].

pub mod http;
pub mod local;

use crate::config::DATABASE_URL_VARIABLE;
use std::path::Path;

/// The largest state body accepted (413 beyond it).
pub const MAX_STATE_BYTES: usize = 64 * 1024 * 1024;

impl Head {
    fn serial(&self) -> Option<i64> {
        let current = self.current?;
        self.versions
            .iter()
            .find(|v| v.version == current)
            .and_then(|v| v.serial)
    }

    fn next_version(&self) -> i64 {
        self.versions.last().map_or(1, |v| v.version + 1)
    }
}

pub use crate::store::tfstate::{
    Change, Head, NewVersion, TfLock, TfStateError, TfStateStore, TfVersion,
};

/// Opens the store the environment chooses, as [`super::access::open`]
/// does: PostgreSQL with `TERRACE_BACKEND=postgres`, else files under
/// `data_dir/tfstate`.
pub fn open(data_dir: &Path) -> Result<Box<dyn TfStateStore>, TfStateError> {
    let url = super::access::chosen_database().map_err(|e| TfStateError {
        location: e.location,
        cause: e.cause,
    })?;
    match url {
        Some(url) => {
            let db = crate::store::postgres::tfstate::PgTfState::open(&url, DATABASE_URL_VARIABLE)
                .map_err(|e| TfStateError {
                    location: format!("postgres ({DATABASE_URL_VARIABLE})"),
                    cause: e.to_string(),
                })?;
            Ok(Box::new(db))
        }
        None => Ok(Box::new(local::LocalTfState::new(data_dir))),
    }
}

/// A state's name as given in the URL: 1 to 128 of `A-Z a-z 0-9 . _ -`,
/// not starting with a dot (it names a directory on disk).
pub fn valid_name(name: &str) -> Result<&str, String> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(name)
    } else {
        Err(format!(
            "{name:?} is not a state name: use 1 to 128 letters, digits, '.', '_' or '-', not starting with '.'"
        ))
    }
}

/// The `serial` and `lineage` of a state file, or why it is not one.
pub fn describe(bytes: &[u8]) -> Result<(Option<i64>, Option<String>), String> {
    let doc: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| format!("the body is not a Terraform state (JSON): {e}"))?;
    if !doc.is_object() {
        return Err("the body is not a Terraform state: a JSON object is expected".into());
    }
    let serial = doc.get("serial").and_then(serde_json::Value::as_i64);
    let lineage = doc
        .get("lineage")
        .and_then(serde_json::Value::as_str)
        .map(str::to_string);
    Ok((serial, lineage))
}

fn new_version(
    head: &Head,
    bytes: Vec<u8>,
    serial: Option<i64>,
    lineage: Option<String>,
    author: &str,
) -> NewVersion {
    NewVersion {
        meta: TfVersion {
            version: head.next_version(),
            serial,
            lineage,
            author: author.to_string(),
            created: crate::project::now(),
            sha256: crate::digest::sha256_hex(&bytes),
            size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
        },
        bytes,
    }
}

/// Whether a write presenting `id` (`?ID=`) may go on: the state is not
/// locked, or locked under that id. Else the holder.
fn holder_against(head: &Head, id: Option<&str>) -> Option<TfLock> {
    match &head.lock {
        Some(lock) if Some(lock.id.as_str()) != id => Some(lock.clone()),
        _ => None,
    }
}

/// The current bytes of a state, if it has a current version.
pub fn current(
    store: &dyn TfStateStore,
    project: &str,
    name: &str,
) -> Result<Option<Vec<u8>>, TfStateError> {
    let Some(version) = store.head(project, name)?.and_then(|h| h.current) else {
        return Ok(None);
    };
    store.bytes(project, name, version)
}

/// What a write, delete or restore met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<T> {
    Done(T),
    /// Someone else holds the lock.
    Locked(TfLock),
}

/// Writes `bytes` (a state file, already checked by [`describe`]) as a
/// new version, when the lock allows it.
pub fn write(
    store: &dyn TfStateStore,
    project: &str,
    name: &str,
    bytes: Vec<u8>,
    described: (Option<i64>, Option<String>),
    lock_id: Option<&str>,
    author: &str,
) -> Result<Outcome<TfVersion>, TfStateError> {
    let mut outcome = None;
    let (serial, lineage) = described;
    let mut bytes = Some(bytes);
    store.update(project, name, &mut |head| {
        if let Some(holder) = holder_against(head, lock_id) {
            outcome = Some(Outcome::Locked(holder));
            return None;
        }
        let v = new_version(
            head,
            bytes.take().unwrap_or_default(),
            serial,
            lineage.clone(),
            author,
        );
        outcome = Some(Outcome::Done(v.meta.clone()));
        Some(v)
    })?;
    outcome.ok_or_else(|| unchanged(store))
}

fn unchanged(store: &dyn TfStateStore) -> TfStateError {
    TfStateError {
        location: store.location(),
        cause: "the update did not run".into(),
    }
}

/// Takes the lock for `lock`'s id, unless another id holds it (then the
/// holder). Taking it again under the same id succeeds.
pub fn lock(
    store: &dyn TfStateStore,
    project: &str,
    name: &str,
    lock: &TfLock,
) -> Result<Outcome<()>, TfStateError> {
    let mut outcome = None;
    store.update(project, name, &mut |head| {
        outcome = Some(match holder_against(head, Some(&lock.id)) {
            Some(holder) => Outcome::Locked(holder),
            None => {
                head.lock = Some(lock.clone());
                Outcome::Done(())
            }
        });
        None
    })?;
    outcome.ok_or_else(|| unchanged(store))
}

/// What an unlock did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unlocked {
    /// The lock under that id was released; it was taken by this user.
    Released(TfLock),
    /// The state was not locked: nothing to do.
    NotLocked,
    /// Another id holds it.
    HeldBy(TfLock),
}

/// Releases the lock held under `id`.
pub fn unlock(
    store: &dyn TfStateStore,
    project: &str,
    name: &str,
    id: &str,
) -> Result<Unlocked, TfStateError> {
    let mut outcome = Unlocked::NotLocked;
    store.update(project, name, &mut |head| {
        outcome = match head.lock.take() {
            None => Unlocked::NotLocked,
            Some(held) if held.id == id => Unlocked::Released(held),
            Some(held) => {
                head.lock = Some(held.clone());
                Unlocked::HeldBy(held)
            }
        };
        None
    })?;
    Ok(outcome)
}

/// Releases the state's lock whoever holds it: an Administrator's unlock
/// of a lock whose Terraform is gone (Terraform's own `force-unlock`
/// needs the lock's details that only its holder has). The lock
/// released, if there was one.
pub fn break_lock(
    store: &dyn TfStateStore,
    project: &str,
    name: &str,
) -> Result<Option<TfLock>, TfStateError> {
    let mut released = None;
    store.update(project, name, &mut |head| {
        released = head.lock.take();
        None
    })?;
    Ok(released)
}

/// Deletes a state: it has no current version any more (GET answers 404),
/// its versions are kept for a restore. Whether it had one.
pub fn delete(
    store: &dyn TfStateStore,
    project: &str,
    name: &str,
    lock_id: Option<&str>,
) -> Result<Outcome<bool>, TfStateError> {
    let mut outcome = Outcome::Done(false);
    store.update(project, name, &mut |head| {
        outcome = match holder_against(head, lock_id) {
            Some(holder) => Outcome::Locked(holder),
            None => Outcome::Done(head.current.take().is_some()),
        };
        None
    })?;
    Ok(outcome)
}

/// Why a restore did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restore {
    Restored(TfVersion),
    /// The state has no such version.
    NoSuchVersion,
    /// It is locked: a restore under a running apply would be lost.
    Locked(TfLock),
    /// The kept version is not a state file (it cannot be given a serial).
    NotAState(String),
}

/// Writes version `version`'s content again as a new version, with a
/// serial above the current one (Terraform refuses to go back a serial),
/// unless the state is locked.
pub fn restore(
    store: &dyn TfStateStore,
    project: &str,
    name: &str,
    version: i64,
    author: &str,
) -> Result<Restore, TfStateError> {
    // Versions never change: their bytes are read outside the update.
    let Some(old) = store.bytes(project, name, version)? else {
        return Ok(Restore::NoSuchVersion);
    };
    let mut doc: serde_json::Value = match serde_json::from_slice(&old) {
        Ok(doc @ serde_json::Value::Object(_)) => doc,
        Ok(_) => return Ok(Restore::NotAState("not a JSON object".into())),
        Err(e) => return Ok(Restore::NotAState(e.to_string())),
    };
    let lineage = doc
        .get("lineage")
        .and_then(serde_json::Value::as_str)
        .map(str::to_string);
    let old_serial = doc.get("serial").and_then(serde_json::Value::as_i64);
    let mut outcome = Restore::NoSuchVersion;
    store.update(project, name, &mut |head| {
        if let Some(holder) = &head.lock {
            outcome = Restore::Locked(holder.clone());
            return None;
        }
        if !head.versions.iter().any(|v| v.version == version) {
            outcome = Restore::NoSuchVersion;
            return None;
        }
        let serial = head.serial().max(old_serial).unwrap_or(0) + 1;
        doc["serial"] = serde_json::Value::from(serial);
        let mut bytes = serde_json::to_vec_pretty(&doc).unwrap_or_else(|_| old.clone());
        bytes.push(b'\n');
        let v = new_version(head, bytes, Some(serial), lineage.clone(), author);
        outcome = Restore::Restored(v.meta.clone());
        Some(v)
    })?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(serial: i64) -> Vec<u8> {
        format!(r#"{{"version":4,"serial":{serial},"lineage":"l-1","resources":[]}}"#).into_bytes()
    }

    fn held(id: &str) -> TfLock {
        TfLock {
            id: id.into(),
            user: "ann".into(),
            info: format!(r#"{{"ID":"{id}"}}"#),
        }
    }

    #[test]
    fn writes_are_refused_while_another_id_holds_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let store = local::LocalTfState::new(dir.path());
        let w = |id: Option<&str>, serial| {
            let bytes = state(serial);
            let d = describe(&bytes).unwrap();
            write(&store, "shop", "net", bytes, d, id, "ann").unwrap()
        };
        assert!(matches!(w(None, 1), Outcome::Done(v) if v.version == 1 && v.serial == Some(1)));
        assert_eq!(
            lock(&store, "shop", "net", &held("a")).unwrap(),
            Outcome::Done(())
        );
        assert_eq!(
            lock(&store, "shop", "net", &held("b")).unwrap(),
            Outcome::Locked(held("a"))
        );
        assert_eq!(w(None, 2), Outcome::Locked(held("a")));
        assert_eq!(w(Some("b"), 2), Outcome::Locked(held("a")));
        assert!(matches!(w(Some("a"), 2), Outcome::Done(v) if v.version == 2));
        assert_eq!(
            unlock(&store, "shop", "net", "b").unwrap(),
            Unlocked::HeldBy(held("a"))
        );
        assert_eq!(
            unlock(&store, "shop", "net", "a").unwrap(),
            Unlocked::Released(held("a"))
        );
        assert_eq!(current(&store, "shop", "net").unwrap(), Some(state(2)));
        assert_eq!(store.names("shop").unwrap(), ["net"]);
        assert!(store.names("other").unwrap().is_empty());
    }

    #[test]
    fn a_restore_writes_the_old_content_with_a_higher_serial() {
        let dir = tempfile::tempdir().unwrap();
        let store = local::LocalTfState::new(dir.path());
        for serial in [1, 5] {
            let bytes = state(serial);
            let d = describe(&bytes).unwrap();
            write(&store, "shop", "net", bytes, d, None, "ann").unwrap();
        }
        let Restore::Restored(v) = restore(&store, "shop", "net", 1, "bob").unwrap() else {
            panic!("restored")
        };
        assert_eq!(
            (v.version, v.serial, v.author.as_str()),
            (3, Some(6), "bob")
        );
        let now = current(&store, "shop", "net").unwrap().unwrap();
        assert_eq!(describe(&now).unwrap(), (Some(6), Some("l-1".into())));
        assert_eq!(
            restore(&store, "shop", "net", 9, "bob").unwrap(),
            Restore::NoSuchVersion
        );
        lock(&store, "shop", "net", &held("a")).unwrap();
        assert_eq!(
            restore(&store, "shop", "net", 1, "bob").unwrap(),
            Restore::Locked(held("a"))
        );
    }

    #[test]
    fn a_delete_keeps_the_versions() {
        let dir = tempfile::tempdir().unwrap();
        let store = local::LocalTfState::new(dir.path());
        let bytes = state(1);
        let d = describe(&bytes).unwrap();
        write(&store, "shop", "net", bytes, d, None, "ann").unwrap();
        assert_eq!(
            delete(&store, "shop", "net", None).unwrap(),
            Outcome::Done(true)
        );
        assert_eq!(current(&store, "shop", "net").unwrap(), None);
        assert_eq!(
            store.head("shop", "net").unwrap().unwrap().versions.len(),
            1
        );
    }

    #[test]
    fn names_that_could_leave_the_directory_are_refused() {
        for bad in ["", ".", "..", ".hidden", "a/b", "a b", "é"] {
            assert!(valid_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(valid_name("net-1.prod_x"), Ok("net-1.prod_x"));
    }
}
