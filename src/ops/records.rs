//! What operations record beside state: audit events, lifecycle moves and
//! releases, kept in one place so that every operation records alike.

use super::{Front, Notice, Result, Workspace};
use crate::apply::{Event, Observer, Outcome};
use crate::config::Environment;
use crate::plan::Plan;
use crate::project::Records;
use crate::project::audit::{self, Audit};
use crate::project::lifecycle;
use crate::project::release::Release;
use std::collections::BTreeSet;
use std::sync::Mutex;

/// The audit trail of `project`, appended to by an operation that
/// started at `started`.
pub struct Trail<'a> {
    pub records: &'a Records,
    pub project: &'a str,
    pub started: std::time::SystemTime,
}

/// Appends an audit event: a success, or a failure for `reason` (see
/// [`super::Error::reason`]). A trail that cannot be written is a warning.
pub fn audit(
    trail: &Trail<'_>,
    action: &str,
    env: Option<&str>,
    reason: Option<String>,
    details: serde_json::Value,
    front: &dyn Front,
) {
    let Trail {
        records,
        project,
        started,
    } = *trail;
    let outcome = match reason {
        None => audit::Outcome::Success,
        Some(_) => audit::Outcome::Failure,
    };
    let event = audit::Event {
        seq: 0,
        time: String::new(),
        action: action.to_string(),
        initiator: front.user(),
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
    if let Err(e) = Audit::new(records).started(started).append(event) {
        front.notice(Notice::AuditNotWritten(&e.to_string()));
    }
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
    ws: &Workspace,
    env: &Environment,
    plan: &Plan,
    plan_hash: Option<&str>,
    front: &dyn Front,
) -> Result {
    let by = front.user();
    lifecycle::starting(&ws.records(), &ws.project, &env.name, plan, plan_hash, &by)?;
    Ok(())
}

/// Records how the apply ended (see [`lifecycle::finished`]).
#[allow(clippy::too_many_arguments)]
pub fn finished(
    ws: &Workspace,
    env: &Environment,
    plan: &Plan,
    plan_hash: Option<&str>,
    outcome: &Outcome,
    failed: &BTreeSet<String>,
    release: Option<&str>,
    front: &dyn Front,
) -> Result {
    let by = front.user();
    let ended = lifecycle::Ended {
        by: &by,
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
        &ws.records(),
        &ws.project,
        &*ws.store(&env.name),
        plan,
        plan_hash,
        &ended,
        release,
    )?;
    Ok(())
}

/// Keeps the definitions about to be applied as a release; `None`, with
/// a notice, when they cannot be (the environment then has no release to
/// promote, but applies all the same).
pub fn capture(ws: &Workspace, env: &str, front: &dyn Front) -> Result<Option<String>> {
    match Release::capture(&ws.records(), &ws.project, env, &front.user()) {
        Ok(id) => Ok(Some(id)),
        Err(crate::project::RecordError::NotReleasable(why)) => {
            front.notice(Notice::NoRelease { env, why: &why });
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// Records `validated` for every configuration of a successful plan.
pub fn validated(
    ws: &Workspace,
    env: &Environment,
    plan_hash: Option<&str>,
    front: &dyn Front,
) -> Result {
    let by = front.user();
    lifecycle::validated(&ws.records(), &ws.project, &env.name, plan_hash, &by)?;
    Ok(())
}
