//! Apply: carrying out a plan, and nothing but the plan.
//!
//! A concurrent walker over the steps [`plan::order`](crate::plan::order)
//! builds (the project graph plus destroy steps): a step starts as soon as
//! the steps it depends on are done, up to `parallelism` provider operations at once,
//! across configurations. Objects whose planned values were unknown are
//! planned again with the values now known and must agree with the saved
//! plan. A failed step stops only what depends on it. Every operation is
//! journaled as it completes; state files are written at the end.
//!
//! This is the only module that calls providers' mutating operations and
//! writes state. Entry point: [`apply`].

mod op;
#[cfg(test)]
mod tests;
mod walker;

pub use walker::apply;

use crate::diag::Diagnostic;
use crate::plan::Action;
use std::time::Duration;

/// How to apply.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Provider operations at once.
    pub parallelism: usize,
    /// The environment's credential, handed to providers.
    pub authorization: Option<crate::value::Secret>,
}

/// What the walker reports while it works. The views (terminal, JSON)
/// implement [`Observer`]; the core never prints.
#[derive(Debug, Clone)]
pub enum Event {
    /// An operation on the object at `address` (`CONFIG/TYPE.NAME[KEY]`)
    /// started; `deposed` when the object is the old one of a
    /// create-before-destroy replacement.
    Started {
        address: String,
        deposed: bool,
        action: Action,
        /// The existing object's `id`, for updates and deletes.
        id: Option<String>,
    },
    Finished {
        address: String,
        deposed: bool,
        action: Action,
        elapsed: Duration,
        id: Option<String>,
    },
    Failed {
        address: String,
        deposed: bool,
        action: Action,
        elapsed: Duration,
        message: String,
    },
    /// Not attempted because something it depends on failed.
    Skipped { address: String, because: String },
    /// Ctrl-C: no new operations start.
    Interrupted { in_flight: usize },
}

/// An operation's object as people read it: its address, with
/// ` (deposed)` for the old object of a create-before-destroy replacement.
pub fn shown(address: &str, deposed: bool) -> std::borrow::Cow<'_, str> {
    if deposed {
        format!("{address} (deposed)").into()
    } else {
        address.into()
    }
}

/// Receives events.
pub trait Observer: Send + Sync {
    fn event(&self, event: &Event);
}

/// Set from a signal handler: stop starting new work.
pub use crate::graph::Cancel;

/// How an apply ended.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Objects adopted by `import` blocks.
    pub imported: usize,
    pub created: usize,
    pub updated: usize,
    pub replaced: usize,
    pub deleted: usize,
    /// Every failure, in the order they happened.
    pub errors: Vec<Diagnostic>,
    /// Failed `check` assertions: reported, never failures.
    pub warnings: Vec<Diagnostic>,
    /// Interrupted by Ctrl-C.
    pub cancelled: bool,
    /// The state serial written.
    pub serial: u64,
}

impl Outcome {
    pub fn succeeded(&self) -> bool {
        self.errors.is_empty() && !self.cancelled
    }
}

/// A failure that stops the whole apply: state or journal cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    State(#[from] crate::store::StateError),
    #[error(transparent)]
    Journal(#[from] crate::state::JournalError),
}
