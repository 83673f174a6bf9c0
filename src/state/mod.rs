//! State: what terrace manages in each environment, and the pieces its
//! stores are made of.
//!
//! Three layers: the in-memory [`model`] (no I/O); the versioned file
//! [`format`] with its checksum; and the record store, which is
//! [`crate::store`]'s (the interface, and the local files behind it).
//! Here too: the apply [`Journal`] (group commit over any
//! [`JournalLog`]), the local lock file ([`FileLock`]), atomic writes and
//! the drift record type.

mod atomic;
mod drift;
pub mod format;
mod journal;
mod lock;
mod model;

pub use atomic::{remove_orphans, sync_dir, write_atomic, write_atomic_with};
pub use drift::{DRIFT_FORMAT_VERSION, DriftKind, DriftRecord, DriftedObject};
pub use journal::{Base, Journal, JournalError, JournalLog, Record, read as read_journal};
pub use lock::{
    FileLock, LockError, LockInfo, acquire as acquire_lock, break_stale as break_stale_lock,
    current_user, host_name, stale as stale_lock,
};
pub use model::{ConfigState, EnvState, InstanceState, OutputState, ResourceState, UnfinishedOp};
