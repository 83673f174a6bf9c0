//! Evaluation: expressions to values, and the dependency graph that says
//! in which order a project's expressions can be evaluated.
//!
//! Owns the expression evaluator ([`Evaluator`]), the function library
//! ([`functions`]), type conversion, the project graph ([`ProjectGraph`])
//! and the per-environment values ([`EnvValues`]). Knows nothing of state,
//! providers or plans: the plan and apply walkers drive it node by node.

mod authorization;
mod budget;
mod convert;
mod explain;
mod expr;
pub mod functions;
mod graph;
mod ops;
mod recorded;
mod types;
mod values;
mod variables;

pub use authorization::authorization;
pub use convert::convert;
pub use explain::reference_values;
pub use expr::{EvalError, Evaluator, Resolver, describe};
pub use graph::{Node, ProjectGraph};
pub use types::Kind;
pub use values::{EnvValues, Instance};
pub use variables::{Missing, project_variables};
