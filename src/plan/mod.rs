//! Plans: what applying the definitions to an environment would change.
//!
//! Owns [`Plan`] (plain data, saved as JSON), refresh (reading every
//! recorded object back through its provider), the diff of planned against
//! recorded values, and the checks that a saved plan still applies.
//! Mutates nothing: entry point [`plan`].

mod model;
mod planner;
mod stale;

pub use model::{
    Action, Change, Drift, OutputChange, PLAN_FORMAT_VERSION, Plan, PriorState, Reason, Summary,
};
pub use planner::{
    PlanOptions, Refreshed, check_schemas, conforms, diff, find_resource, first_difference, plan,
    prepare, read_data, refresh,
};
pub use stale::{Stale, check_fresh};
