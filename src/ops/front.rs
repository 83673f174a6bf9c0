//! [`Front`]: what an operation shows while it runs, and the questions it
//! asks, implemented by the front end that called it (the command line's
//! text and JSON views; [`Quiet`] for callers that show nothing).

use crate::apply::{Observer, Outcome};
use crate::diag::{Diagnostics, SourceMap};
use crate::plan::Plan;
use crate::provider::BoxFuture;
use crate::state::EnvState;
use crate::store::Recovery;
use std::path::Path;

/// Something worth telling the user while an operation runs.
#[derive(Debug)]
pub enum Notice<'a> {
    /// A catalog version the project pins was fetched.
    Fetched { pin: String, url: &'a str },
    /// The catalog index could not be read; the copy from last time is used.
    StaleCatalog { why: &'a str },
    /// A journal left by an interrupted apply was replayed.
    Recovered {
        env: &'a str,
        recovery: &'a Recovery,
    },
    /// A warning in a sentence or a paragraph.
    Warning(&'a str),
    /// The audit trail could not be appended to (`cause`).
    AuditNotWritten(&'a str),
    /// The environment applies, but its definitions cannot be kept as a
    /// release (`why`), so it cannot be promoted from.
    NoRelease { env: &'a str, why: &'a str },
    /// A saved plan without changes: nothing is applied.
    NoChanges,
    /// A promotion is about to be planned.
    Promoting {
        release: &'a str,
        from: &'a str,
        to: &'a str,
        applied_at: &'a str,
        applied_by: &'a str,
    },
    /// A plan was saved to `path`; how it is applied depends on the
    /// environment's rules.
    Saved {
        path: &'a Path,
        env: &'a str,
        /// The environment takes only promotions from this one.
        promote_from: Option<&'a str>,
        require_approval: bool,
        /// Saved by `promote`.
        promotion: bool,
    },
    /// `upgrade` rewrote a configuration's pin in `file` at `line`.
    Upgraded {
        configuration: &'a str,
        from: &'a crate::config::catalog::Pin,
        to: &'a str,
        file: &'a str,
        line: usize,
    },
    /// `delete-project --destroy` is about to undeploy `env`.
    Undeploying { env: &'a str },
}

/// What an apply did, for the front end to sum up.
pub struct Applied<'a> {
    pub plan: &'a Plan,
    pub outcome: &'a Outcome,
    /// The state after the apply, for its outputs.
    pub state: &'a EnvState,
    pub sources: &'a SourceMap,
    pub destroy: bool,
}

/// The front end of one operation. Every method has a default that shows
/// nothing; a front end that cannot ask refuses every confirmation.
pub trait Front: Sync {
    /// Who runs the operation: the audit event's initiator, a plan's
    /// author, an approval's approver. The command line's user
    /// (`TERRACE_USER`, else the OS user) by default; `terrace serve`
    /// says the authenticated caller.
    fn user(&self) -> String {
        crate::project::user()
    }

    /// A notice, as it happens.
    fn notice(&self, _notice: Notice<'_>) {}

    /// Diagnostics that did not stop the operation (warnings).
    fn diagnostics(&self, _diags: Diagnostics, _sources: &SourceMap) {}

    /// A plan was made: shown before it is saved or confirmed. A front
    /// end that cannot show it (writing Markdown parts) stops the
    /// operation.
    fn planned(&self, _plan: &Plan) -> super::Result {
        Ok(())
    }

    /// Whether [`Front::planned`] shows the JSON view, which carries the
    /// definitions (`Plan::configuration`).
    fn shows_json(&self) -> bool {
        false
    }

    /// Whether someone can answer [`Front::confirm`].
    fn can_confirm(&self) -> bool {
        false
    }

    /// Asks whether to `what` ("perform these actions in environment
    /// \"dev\""); only a yes goes on.
    fn confirm<'a>(&'a self, _what: &'a str) -> BoxFuture<'a, bool> {
        Box::pin(async { false })
    }

    /// Who is told of each object read back while planning.
    fn reads(&self) -> &dyn crate::plan::Reads {
        &crate::plan::Unobserved
    }

    /// A saved plan is about to be applied.
    fn applying(&self, _plan: &Plan) {}

    /// Where the progress of applying `plan` in `env` goes; dropped when
    /// the apply ends, before anything else is shown.
    fn progress<'a>(&'a self, _env: &str, _plan: &Plan) -> Box<dyn Observer + 'a> {
        Box::new(Silent)
    }

    /// An apply ended (with or without errors) and its records are
    /// written.
    fn applied(&self, _applied: &Applied<'_>) {}
}

/// A front end that shows nothing and never confirms.
pub struct Quiet;

impl Front for Quiet {}

struct Silent;

impl Observer for Silent {
    fn event(&self, _event: &crate::apply::Event) {}
}
