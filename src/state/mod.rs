//! State: what terrace manages in each environment, kept crash-safe on disk.
//!
//! Three layers: the in-memory [`model`] (no I/O); the versioned file
//! [`format`] with its checksum; the [`Store`] that locks, journals, backs
//! up and writes atomically. Apply records each operation in the
//! [`Journal`] as it completes and compacts it into the state files at
//! the end; the next run replays a journal left by a crash.

mod atomic;
mod drift;
pub mod format;
mod journal;
mod lock;
mod model;
mod store;

pub use atomic::{remove_orphans, sync_dir, write_atomic};
pub use drift::{DRIFT_FORMAT_VERSION, DriftKind, DriftRecord, DriftedObject};
pub use journal::{Journal, JournalError, Record};
pub use lock::{Lock, LockError, LockInfo, current_user, host_name, stale as stale_lock};
pub use model::{ConfigState, EnvState, InstanceState, OutputState, ResourceState, UnfinishedOp};
pub use store::{BackupInfo, DEFAULT_BACKUPS, Recovery, StateError, Store, replay};
