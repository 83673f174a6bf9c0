//! The records of Terraform's HTTP state backend in `terrace serve`: what
//! a store keeps of a state (its [`Head`] and the bytes of each version)
//! and the [`TfStateStore`] it implements, in the server's data directory
//! or in PostgreSQL ([`super::postgres::tfstate`]). The rules over them
//! (who may write under a lock, what a restore writes) are
//! [`crate::server::tfstate`]'s.

use serde::{Deserialize, Serialize};

/// One kept version of a state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TfVersion {
    /// Its number: 1 for the first version written, then one more each.
    pub version: i64,
    /// The `serial` of the state in it, when it has one.
    pub serial: Option<i64>,
    /// The `lineage` of the state in it, when it has one.
    pub lineage: Option<String>,
    /// Who wrote it (the authenticated caller, or the host's user for a
    /// restore on the command line).
    pub author: String,
    /// RFC 3339.
    pub created: String,
    /// The sha256 of its bytes, in lowercase hex.
    pub sha256: String,
    pub size: i64,
}

/// A held lock: the id Terraform gave it, the user who took it, and
/// Terraform's `LockInfo` JSON as it was sent (shown to whoever is
/// refused).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TfLock {
    pub id: String,
    pub user: String,
    pub info: String,
}

/// What a store keeps of one state besides the versions' bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    /// The current version; `None` before the first write and after a
    /// delete.
    pub current: Option<i64>,
    pub lock: Option<TfLock>,
    /// Every version, oldest first.
    pub versions: Vec<TfVersion>,
}

/// A new version for [`TfStateStore::update`] to append and make current.
#[derive(Debug, Clone)]
pub struct NewVersion {
    pub meta: TfVersion,
    pub bytes: Vec<u8>,
}

/// Why the states cannot be read or written.
#[derive(Debug, thiserror::Error)]
#[error("the server's Terraform states ({location}): {cause}")]
pub struct TfStateError {
    pub location: String,
    pub cause: String,
}

/// The edit [`TfStateStore::update`] runs on a head, under the store's
/// lock: it changes the head and may return a version to append.
pub type Change<'a> = &'a mut dyn FnMut(&mut Head) -> Option<NewVersion>;

/// Where the states are kept.
pub trait TfStateStore: Send + Sync {
    /// The head of state `name` of `project`, if it was ever written or
    /// locked.
    fn head(&self, project: &str, name: &str) -> Result<Option<Head>, TfStateError>;
    /// The bytes of one version.
    fn bytes(
        &self,
        project: &str,
        name: &str,
        version: i64,
    ) -> Result<Option<Vec<u8>>, TfStateError>;
    /// Runs `change` on the head (an empty one for a new state) under the
    /// store's lock, appends the version it returns (numbered by it) and
    /// makes it current, and keeps the head.
    fn update(&self, project: &str, name: &str, change: Change<'_>) -> Result<(), TfStateError>;
    /// The names of the states of `project`, sorted.
    fn names(&self, project: &str) -> Result<Vec<String>, TfStateError>;
    /// Where the states are, for messages.
    fn location(&self) -> String;
}
