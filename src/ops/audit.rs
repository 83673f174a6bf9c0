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
    /// Only events whose action contains this (`deploy`,
    /// `server.access`).
    pub action: Option<String>,
}

/// A `since` value: RFC 3339 (`2026-01-31T12:00:00Z`), a date
/// (`2026-01-31`, UTC midnight) or an age before now (`24h`, as
/// [`super::parse_duration`] reads it). The error says what is accepted.
pub fn parse_since(s: &str) -> std::result::Result<jiff::Timestamp, String> {
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Ok(t);
    }
    if let Ok(d) = s.parse::<jiff::civil::Date>()
        && let Ok(z) = d.to_zoned(jiff::tz::TimeZone::UTC)
    {
        return Ok(z.timestamp());
    }
    let age = super::parse_duration(s).map_err(|_| {
        format!("{s:?} is not a time: use RFC 3339 (2026-01-31T12:00:00Z), a date (2026-01-31) or an age (24h)")
    })?;
    jiff::Timestamp::now()
        .checked_sub(jiff::SignedDuration::try_from(age).unwrap_or_default())
        .map_err(|e| format!("{s:?}: {e}"))
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
            && req.action.as_deref().is_none_or(|a| e.action.contains(a))
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
