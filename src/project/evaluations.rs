//! The policy results of the last plan made in each environment
//! (docs/policies.md), kept for `terrace attention`:
//! `.terrace/envs/ENV/policies.json`, replaced by every evaluation.

use super::{RecordError, Records, read_json, write_json};
use crate::policy::PolicyResult;
use serde::{Deserialize, Serialize};

/// The last evaluation in one environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastEvaluation {
    pub format_version: u32,
    pub at: String,
    /// Whether the plan was one to destroy (what resolves an item differs).
    #[serde(default)]
    pub destroy: bool,
    pub results: Vec<PolicyResult>,
}

const FORMAT: u32 = 1;

fn path(records: &Records, env: &str) -> std::path::PathBuf {
    records.env_dir(env).join("policies.json")
}

impl LastEvaluation {
    pub fn new(destroy: bool, results: Vec<PolicyResult>) -> LastEvaluation {
        LastEvaluation {
            format_version: FORMAT,
            at: super::now(),
            destroy,
            results,
        }
    }

    pub fn load(records: &Records, env: &str) -> Result<Option<LastEvaluation>, RecordError> {
        let path = path(records, env);
        let Some(last) = read_json::<LastEvaluation>(&path)? else {
            return Ok(None);
        };
        super::check_format(&path, last.format_version, FORMAT)?;
        Ok(Some(last))
    }

    pub fn save(&self, records: &Records, env: &str) -> Result<(), RecordError> {
        write_json(&path(records, env), self)
    }
}
