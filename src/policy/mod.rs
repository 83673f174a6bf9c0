//! Policy gates: the project's `policy` blocks, Rego evaluated in-process
//! with regorus on the JSON plan document ([`crate::plan::json`]), and the
//! Rego files' own `test_` rules (`terrace policy test`).
//!
//! Owns compiling a policy ([`check`]), evaluating it ([`evaluate`]) into
//! plain [`PolicyResult`]s that a plan carries, and running tests
//! ([`test`]). It prints nothing and gates nothing: `ops` decides what a
//! failing policy blocks, `render` shows the results. The semantics are
//! in docs/policies.md.

mod engine;
mod testing;

pub use engine::{check, evaluate};
pub use testing::{TestOutcome, TestResult, test};

use crate::config::Enforcement;
use serde::{Deserialize, Serialize};

/// What a policy decided about a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The query was undefined or empty.
    Pass,
    /// The query listed violations.
    Fail,
    /// A `warn` query (conftest's convention) listed messages: never blocks.
    Warn,
    /// The policy could not be evaluated (a Rego error, or a value that is
    /// not a list of messages): gated like a failure.
    Error,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Warn => "warn",
            Verdict::Error => "error",
        }
    }
}

/// One policy's result on one plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyResult {
    pub name: String,
    pub enforcement: Enforcement,
    pub result: Verdict,
    /// The violations (or warnings, or the error), one per message.
    #[serde(default)]
    pub messages: Vec<String>,
}

impl PolicyResult {
    /// Whether the result stops the plan (until overridden, for an
    /// `overridable` one): a failure or an error of a policy that is not
    /// advisory.
    pub fn blocks(&self) -> bool {
        matches!(self.result, Verdict::Fail | Verdict::Error)
            && self.enforcement != Enforcement::Advisory
    }
}
