//! The project's records beyond state: what makes terrace a project tool
//! rather than a plan/apply engine alone.
//!
//! Owns, per environment, the lifecycle of every configuration
//! ([`lifecycle`]), the release it last applied ([`release`]) and the
//! approvals of saved plans ([`approval`]); for the project, the audit
//! trail ([`audit`]), the needs-attention list ([`attention`]) and the
//! `project.json` export ([`export`]). The records are kept by the run's
//! [`Backend`] (the local files under `.terrace/` by default), export and
//! import included (see [`crate::store`]). Nothing here plans or applies,
//! and nothing here ever
//! holds a credential. Entry point: [`Records`].

pub mod approval;
pub mod attention;
pub mod audit;
pub mod evaluations;
pub mod export;
pub mod lifecycle;
pub mod release;
pub mod rules;

use crate::store::{Backend, Document, LocalBackend, StateStore};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A record file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("cannot read {path}: {cause}")]
    Read { path: PathBuf, cause: String },
    #[error("cannot write {path}: {cause}")]
    Write { path: PathBuf, cause: String },
    #[error("{0}")]
    Invalid(String),
    /// The definitions cannot be kept as a release (files outside the
    /// project); the environment applies, but cannot be promoted from.
    #[error("{0}")]
    NotReleasable(String),
}

impl From<crate::store::RecordIo> for RecordError {
    fn from(e: crate::store::RecordIo) -> RecordError {
        match e {
            crate::store::RecordIo::Read { path, cause } => RecordError::Read { path, cause },
            crate::store::RecordIo::Write { path, cause } => RecordError::Write { path, cause },
        }
    }
}

/// Where a project's records live: the backend chosen for the run, and
/// `.terrace/` under its root for the records not yet behind it (see
/// [`crate::store`]).
#[derive(Debug, Clone)]
pub struct Records {
    dir: PathBuf,
    backend: Arc<dyn Backend>,
}

impl Records {
    /// The records of the project at `root` in local files.
    pub fn new(root: &Path) -> Records {
        Records::with_backend(root, Arc::new(LocalBackend::new(root)))
    }

    /// The records of the project at `root`, state in `backend`.
    pub fn with_backend(root: &Path, backend: Arc<dyn Backend>) -> Records {
        Records {
            dir: root.join(".terrace"),
            backend,
        }
    }

    /// The state records of environment `env`.
    pub fn state(&self, env: &str) -> Box<dyn StateStore> {
        self.backend.state(env)
    }

    /// `.terrace/`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `.terrace/envs/ENV/`, beside the environment's state.
    pub fn env_dir(&self, env: &str) -> PathBuf {
        self.dir.join("envs").join(env)
    }

    /// The environments that have records or state, by name.
    pub fn environments(&self) -> Vec<String> {
        self.backend.environments()
    }

    /// The backend holding the records.
    pub fn backend(&self) -> &dyn Backend {
        &*self.backend
    }

    /// Where the audit trail is, as shown to users.
    pub fn audit_location(&self) -> PathBuf {
        self.backend.audit_locations().0
    }

    /// Where the records are, as shown to users (see
    /// [`crate::store::Backend::location`]).
    pub fn place(&self) -> PathBuf {
        self.backend.location()
    }
}

/// The time now, as RFC 3339 UTC to the second.
pub fn now() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map_or_else(|_| jiff::Timestamp::now().to_string(), |t| t.to_string())
}

/// Who runs this command: `TERRACE_USER`, else the OS user.
pub fn user() -> String {
    crate::state::current_user()
}

impl Records {
    /// Where environment `env`'s document `doc` is, for messages.
    pub fn document_location(&self, env: &str, doc: Document) -> PathBuf {
        self.backend.document_location(env, doc)
    }

    /// Reads environment `env`'s JSON document `doc`; `Ok(None)` when it
    /// was never written.
    fn read_document<T: DeserializeOwned>(
        &self,
        env: &str,
        doc: Document,
    ) -> Result<Option<T>, RecordError> {
        let path = self.document_location(env, doc);
        let bytes = match self.backend.read_document(env, doc) {
            Ok(Some(b)) => b,
            Ok(None) => return Ok(None),
            Err(e) => {
                return Err(RecordError::Read {
                    path,
                    cause: e.to_string(),
                });
            }
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| RecordError::Read {
                path,
                cause: format!("it is damaged: {e}"),
            })
    }

    /// Replaces environment `env`'s document `doc` with `value` as JSON.
    fn replace_document<T: Serialize>(
        &self,
        env: &str,
        doc: Document,
        value: &T,
    ) -> Result<(), RecordError> {
        let bytes = json_bytes(value)?;
        self.backend
            .replace_document(env, doc, &bytes)
            .map_err(|e| RecordError::Write {
                path: self.document_location(env, doc),
                cause: e.to_string(),
            })
    }

    /// Removes environment `env`'s document `doc`, if there is one.
    fn remove_document(&self, env: &str, doc: Document) -> Result<(), RecordError> {
        self.backend
            .remove_document(env, doc)
            .map_err(|e| RecordError::Write {
                path: self.document_location(env, doc),
                cause: e.to_string(),
            })
    }
}

impl Records {
    /// Environment `env`'s last drift check, if any ran.
    pub fn drift(&self, env: &str) -> Result<Option<crate::state::DriftRecord>, RecordError> {
        self.read_document(env, Document::Drift)
    }

    /// Replaces environment `env`'s last drift check: compact JSON and a
    /// final newline (the format docs/state.md gives).
    pub fn record_drift(
        &self,
        env: &str,
        record: &crate::state::DriftRecord,
    ) -> Result<(), RecordError> {
        let mut bytes =
            serde_json::to_vec(record).map_err(|e| RecordError::Invalid(e.to_string()))?;
        bytes.push(b'\n');
        self.backend
            .replace_document(env, Document::Drift, &bytes)
            .map_err(|e| RecordError::Write {
                path: self.document_location(env, Document::Drift),
                cause: e.to_string(),
            })
    }

    /// Drops environment `env`'s last drift check (an apply reconciled it).
    pub fn clear_drift(&self, env: &str) -> Result<(), RecordError> {
        self.remove_document(env, Document::Drift)
    }
}

/// A record as written: pretty JSON and a final newline.
fn json_bytes<T: Serialize>(value: &T) -> Result<Vec<u8>, RecordError> {
    let mut bytes =
        serde_json::to_vec_pretty(value).map_err(|e| RecordError::Invalid(e.to_string()))?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Refuses a record written by a newer terrace.
fn check_format(path: &Path, found: u32, supported: u32) -> Result<(), RecordError> {
    if found > supported {
        return Err(RecordError::Invalid(format!(
            "{} has format {found}; this terrace reads format {supported}",
            path.display()
        )));
    }
    Ok(())
}

pub use crate::digest::sha256_hex;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_drift_record_round_trips_in_the_agreed_format() {
        use crate::state::{DriftKind, DriftRecord, DriftedObject};
        let dir = tempfile::tempdir().unwrap();
        let records = Records::new(dir.path());
        assert_eq!(records.drift("dev").unwrap(), None);
        let r = DriftRecord {
            format_version: 1,
            checked_at: "2026-01-02T03:04:05Z".into(),
            drifted: vec![DriftedObject {
                address: "net/http.vpc[\"a\"]".into(),
                configuration: "net".into(),
                kind: DriftKind::Deleted,
            }],
        };
        records.record_drift("dev", &r).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join(".terrace/envs/dev/drift.json")).unwrap(),
            "{\"format_version\":1,\"checked_at\":\"2026-01-02T03:04:05Z\",\"drifted\":[{\"address\":\"net/http.vpc[\\\"a\\\"]\",\"configuration\":\"net\",\"kind\":\"deleted\"}]}\n"
        );
        assert_eq!(records.drift("dev").unwrap(), Some(r));
        records.clear_drift("dev").unwrap();
        assert_eq!(records.drift("dev").unwrap(), None);
        records.clear_drift("dev").unwrap();
        assert!(DriftRecord::now(vec![]).checked_at.ends_with('Z'));
    }
}
