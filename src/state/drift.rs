//! The result of the last `terrace drift` check of an environment,
//! `.terrace/envs/ENV/drift.json`, for `terrace attention` to read:
//!
//! ```json
//! {"format_version":1,"checked_at":"2026-01-02T03:04:05Z",
//!  "drifted":[{"address":"network/http.vpc","configuration":"network","kind":"changed"}]}
//! ```

use super::{StateError, Store, write_atomic};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The file's format version.
pub const DRIFT_FORMAT_VERSION: u32 = 1;

/// One drift check of one environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftRecord {
    pub format_version: u32,
    /// When the check ran, RFC 3339 in UTC.
    pub checked_at: String,
    /// Objects that differ from state; empty when none do.
    pub drifted: Vec<DriftedObject>,
}

/// One object that changed or vanished outside terrace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftedObject {
    /// `CONFIG/TYPE.NAME[KEY]`.
    pub address: String,
    pub configuration: String,
    pub kind: DriftKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DriftKind {
    Changed,
    Deleted,
}

impl DriftRecord {
    /// A record of a check that ran now.
    pub fn now(drifted: Vec<DriftedObject>) -> DriftRecord {
        DriftRecord {
            format_version: DRIFT_FORMAT_VERSION,
            checked_at: jiff::Timestamp::now()
                .round(jiff::Unit::Second)
                .map_or_else(|_| jiff::Timestamp::now().to_string(), |t| t.to_string()),
            drifted,
        }
    }

    /// Where the record of `store`'s environment lives.
    pub fn path(store: &Store) -> PathBuf {
        store.dir().join("drift.json")
    }

    /// The last record, or `None` when no check ran yet.
    pub fn read(store: &Store) -> Result<Option<DriftRecord>, StateError> {
        let path = Self::path(store);
        let bytes = match crate::bounded::read_record(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(StateError::Io { path, source }),
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| StateError::Io {
                path,
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
            })
    }

    /// Writes the record atomically.
    pub fn write(&self, store: &Store) -> Result<(), StateError> {
        let path = Self::path(store);
        let io = |source| StateError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(store.dir()).map_err(io)?;
        let mut bytes = serde_json::to_vec(self).map_err(|e| io(std::io::Error::other(e)))?;
        bytes.push(b'\n');
        write_atomic(&path, &bytes).map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_in_the_agreed_format() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path(), "dev");
        assert_eq!(DriftRecord::read(&store).unwrap(), None);
        let r = DriftRecord {
            format_version: 1,
            checked_at: "2026-01-02T03:04:05Z".into(),
            drifted: vec![DriftedObject {
                address: "net/http.vpc[\"a\"]".into(),
                configuration: "net".into(),
                kind: DriftKind::Deleted,
            }],
        };
        r.write(&store).unwrap();
        assert_eq!(
            std::fs::read_to_string(DriftRecord::path(&store)).unwrap(),
            "{\"format_version\":1,\"checked_at\":\"2026-01-02T03:04:05Z\",\"drifted\":[{\"address\":\"net/http.vpc[\\\"a\\\"]\",\"configuration\":\"net\",\"kind\":\"deleted\"}]}\n"
        );
        assert_eq!(DriftRecord::read(&store).unwrap(), Some(r));
        assert!(DriftRecord::now(vec![]).checked_at.ends_with('Z'));
    }
}
