//! What commands record beside state: audit events, lifecycle moves and
//! releases, kept in one place so that every command records alike.

use super::session::Loaded;
use super::{Failure, Result};
use crate::apply::{Event, Observer, Outcome};
use crate::config::Environment;
use crate::plan::Plan;
use crate::project::Records;
use crate::project::audit::{self, Audit};
use crate::project::lifecycle;
use crate::project::release::Release;
use std::collections::BTreeSet;
use std::sync::Mutex;

/// Appends an audit event; a trail that cannot be written is a warning.
pub fn audit(
    records: &Records,
    project: &str,
    action: &str,
    env: Option<&str>,
    outcome: &Result,
    details: serde_json::Value,
) {
    let (outcome, reason) = match outcome {
        Ok(()) | Err(Failure::Changes) => (audit::Outcome::Success, None),
        Err(Failure::Message(m)) => (audit::Outcome::Failure, Some(m.clone())),
        Err(Failure::Reported | Failure::Code(_)) => (
            audit::Outcome::Failure,
            Some(super::session::last_error().unwrap_or_else(|| "see the command's output".into())),
        ),
    };
    let event = audit::Event {
        seq: 0,
        time: String::new(),
        action: action.to_string(),
        initiator: crate::project::user(),
        target: audit::Target {
            project: project.to_string(),
            environment: env.map(str::to_string),
            configuration: None,
        },
        outcome,
        reason,
        details,
        prev: String::new(),
    };
    if let Err(e) = Audit::new(records).append(event) {
        errln!("Warning: the audit trail was not written: {e}");
    }
}

/// Turns a record error into a command failure.
pub fn failure(e: crate::project::RecordError) -> Failure {
    Failure::Message(e.to_string())
}

/// Passes events on, and notes which configurations had a failure.
pub struct Tally<'a> {
    pub inner: &'a dyn Observer,
    failed: Mutex<BTreeSet<String>>,
}

impl<'a> Tally<'a> {
    pub fn new(inner: &'a dyn Observer) -> Tally<'a> {
        Tally {
            inner,
            failed: Mutex::new(BTreeSet::new()),
        }
    }

    /// The configurations with a failed operation.
    pub fn failed(&self) -> BTreeSet<String> {
        self.failed.lock().map(|f| f.clone()).unwrap_or_default()
    }
}

impl Observer for Tally<'_> {
    fn event(&self, event: &Event) {
        if let Event::Failed { address, .. } = event
            && let Some((config, _)) = address.split_once('/')
            && let Ok(mut f) = self.failed.lock()
        {
            f.insert(config.to_string());
        }
        self.inner.event(event);
    }
}

/// Records `deploying` (or `undeploying`) before an apply starts.
pub fn starting(
    loaded: &Loaded,
    env: &Environment,
    plan: &Plan,
    plan_hash: Option<&str>,
) -> Result {
    lifecycle::starting(
        &loaded.records(),
        &loaded.project,
        &env.name,
        plan,
        plan_hash,
    )
    .map_err(failure)
}

/// Records how the apply ended (see [`lifecycle::finished`]).
pub fn finished(
    loaded: &Loaded,
    env: &Environment,
    plan: &Plan,
    plan_hash: Option<&str>,
    outcome: &Outcome,
    failed: &BTreeSet<String>,
    release: Option<&str>,
) -> Result {
    let ended = lifecycle::Ended {
        succeeded: outcome.succeeded(),
        message: outcome
            .errors
            .first()
            .map(|d| d.message.clone())
            .or_else(|| outcome.cancelled.then(|| "interrupted".to_string())),
        failed,
        serial: outcome.serial,
    };
    lifecycle::finished(
        &loaded.records(),
        &loaded.project,
        &loaded.store(&env.name),
        plan,
        plan_hash,
        &ended,
        release,
    )
    .map_err(failure)
}

/// Keeps the definitions about to be applied as a release; `None`, with
/// a warning, when they cannot be (the environment then has no release to
/// promote, but applies all the same).
pub fn capture(loaded: &Loaded, env: &str) -> Result<Option<String>> {
    match Release::capture(&loaded.records(), &loaded.project, env) {
        Ok(id) => Ok(Some(id)),
        Err(crate::project::RecordError::NotReleasable(why)) => {
            errln!(
                "{} environment \"{env}\" will have no release to promote: {why}. Move shared architectures into the project (or a catalog inside it) to promote it.",
                loaded.ui.pal_err.yellow("Warning:")
            );
            Ok(None)
        }
        Err(e) => Err(failure(e)),
    }
}

/// Records `validated` for every configuration of a successful plan.
pub fn validated(loaded: &Loaded, env: &Environment, plan_hash: Option<&str>) -> Result {
    lifecycle::validated(&loaded.records(), &loaded.project, &env.name, plan_hash).map_err(failure)
}
