//! `audit`: the audit trail's events, and the check of its hash chain.

use super::{Error, Front, Result, Workspace};
use crate::project::audit::{Audit, Event};
use std::path::PathBuf;

/// What to read from the audit trail.
#[derive(Debug, Clone)]
pub struct AuditRequest {
    /// The project directory.
    pub root: PathBuf,
    /// Only events about this environment.
    pub env: Option<String>,
    /// Only events since this time.
    pub since: Option<jiff::Timestamp>,
}

/// The events asked for, oldest first, each with its line as recorded.
pub fn events(req: &AuditRequest, front: &dyn Front) -> Result<Vec<(Event, String)>> {
    let ws = Workspace::load(&req.root, front)?;
    let mut events = Audit::new(&ws.records()).entries()?;
    events.retain(|(e, _)| {
        req.env
            .as_deref()
            .is_none_or(|env| e.target.environment.as_deref() == Some(env))
            && !req
                .since
                .is_some_and(|t| e.time.parse::<jiff::Timestamp>().is_ok_and(|at| at < t))
    });
    Ok(events)
}

/// Checks that no event was edited, removed or reordered; returns how
/// many events the trail holds.
pub fn verify(root: &std::path::Path, front: &dyn Front) -> Result<usize> {
    let ws = Workspace::load(root, front)?;
    let records = ws.records();
    let has_records = !records.environments().is_empty();
    match Audit::new(&records).verify(has_records)? {
        Ok(n) => Ok(n),
        Err(broken) => Err(Error::Refused(format!(
            "the audit trail {} is not intact at {broken}",
            records.audit_location().display()
        ))),
    }
}
