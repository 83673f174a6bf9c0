//! The result of the last `terrace drift` check of an environment,
//! kept by the record store (locally `.terrace/envs/ENV/drift.json`) for
//! `terrace attention` to read:
//!
//! ```json
//! {"format_version":1,"checked_at":"2026-01-02T03:04:05Z",
//!  "drifted":[{"address":"network/http.vpc","configuration":"network","kind":"changed"}]}
//! ```

use serde::{Deserialize, Serialize};

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
}
