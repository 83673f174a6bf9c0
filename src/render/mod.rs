//! Views: plans, state and outputs as text for a terminal, Markdown for a
//! pull request, JSON for tools, and JSON lines for pipelines.
//!
//! Every function returns a string; the CLI decides where it goes. Colour
//! is a [`Palette`] passed in, so views are testable without a terminal.

mod console;
mod diff;
mod drift;
pub mod events;
/// The JSON plan and state documents are data (policies read them too):
/// they live with the plan.
pub use crate::plan::json;
pub mod markdown;
pub mod parts;
mod plan;
pub mod policies;
mod state;
mod style;
mod validate;
mod value;

pub use console::console_value;
pub use drift::{drift_json, drift_text};
pub use plan::{change as plan_change, plan, verb as plan_verb};
pub use state::{environment, instance, outputs};
pub use style::{Palette, Sym};
pub use validate::validate_json;
pub use value::hcl;
