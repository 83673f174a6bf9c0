//! Approvals: a person's recorded consent to apply one exact plan.
//!
//! An approval is bound to the sha256 of the saved plan file; an
//! environment with `require_approval = true` applies only a plan whose
//! hash has an approval. Kept in `.terrace/envs/ENV/approvals.json`.

use super::{RecordError, Records};
use crate::store::Document;
use serde::{Deserialize, Serialize};

/// One approval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Approval {
    /// sha256 of the plan file approved.
    pub plan: String,
    pub approver: String,
    pub comment: String,
    pub at: String,
    /// The configurations the plan changes.
    pub configurations: Vec<String>,
    /// `N to add, M to change, K to destroy`.
    pub summary: String,
    /// The release the plan deploys, for a promotion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// The failing `overridable` policies this approval lets through
    /// (`approve --override-policy NAME`), for this plan only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<String>,
}

/// Every approval recorded in one environment, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Approvals {
    pub format_version: u32,
    pub approvals: Vec<Approval>,
}

const FORMAT: u32 = 1;

impl Approvals {
    pub fn load(records: &Records, env: &str) -> Result<Approvals, RecordError> {
        let path = records.document_location(env, Document::Approvals);
        let a: Approvals = records
            .read_document(env, Document::Approvals)?
            .unwrap_or(Approvals {
                format_version: FORMAT,
                approvals: Vec::new(),
            });
        super::check_format(&path, a.format_version, FORMAT)?;
        Ok(a)
    }

    pub fn save(&self, records: &Records, env: &str) -> Result<(), RecordError> {
        records.replace_document(env, Document::Approvals, self)
    }

    /// The approval of the plan whose file hashes to `plan`, if any.
    pub fn find(&self, plan: &str) -> Option<&Approval> {
        self.approvals.iter().rev().find(|a| a.plan == plan)
    }

    /// The most recent approval.
    pub fn latest(&self) -> Option<&Approval> {
        self.approvals.last()
    }
}
