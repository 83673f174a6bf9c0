//! Plans: what applying the definitions to an environment would change.
//!
//! Owns [`Plan`] (plain data, saved as JSON), refresh (reading every
//! recorded object back through its provider), the diff of planned against
//! recorded values, and the checks that a saved plan still applies.
//! Mutates nothing: entry point [`plan`].

mod check;
mod conditions;
mod conform;
mod instance;
pub mod json;
mod model;
mod moves;
mod order;
mod planner;
mod refresh;
mod stale;
mod target;
mod triggers;
mod walk;

pub use check::check_schemas;
pub use conditions::{Kind as ConditionKind, Phase, check as check_conditions, run_checks};
pub use conform::{conforms, first_difference};
pub use instance::{arguments, diff, plan_arguments, prepare, provider_diagnostics, read_data};
pub use model::{
    Action, Change, Drift, OutputChange, PLAN_FORMAT_VERSION, Plan, PriorState, Reason, Summary,
};
pub use order::{OrderError, Step, Steps, build as order, create_before_destroy};
pub use planner::{PlanOptions, find_resource, plan};
pub use refresh::{Reads, Refreshed, Unobserved, drift_of, refresh};
pub use stale::{Stale, check_fresh};
pub use target::Target;
