//! The policy results of the last plan made in each environment
//! (docs/policies.md), kept for `terrace attention`:
//! `.terrace/envs/ENV/policies.json`, replaced by every evaluation.

use super::{RecordError, Records};
use crate::policy::PolicyResult;
use crate::store::Document;
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
        let Some(last) = records.read_document::<LastEvaluation>(env, Document::Policies)? else {
            return Ok(None);
        };
        let path = records.document_location(env, Document::Policies);
        super::check_format(&path, last.format_version, FORMAT)?;
        Ok(Some(last))
    }

    pub fn save(&self, records: &Records, env: &str) -> Result<(), RecordError> {
        records.replace_document(env, Document::Policies, self)
    }
}
