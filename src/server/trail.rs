//! Events the server itself records in a served project's audit trail:
//! refused calls, and changes to access made through the API. Recorded
//! as the command line records its events (the project's records, the
//! hash chain). A failure to record is logged as a warning.

use super::Server;
use super::handlers::{Problem, blocking};
use crate::project::audit::{Audit, Event, Outcome, Target};
use std::sync::Arc;

/// An event of the server about project `project`: `action` by
/// `initiator`, with `details` (never a token).
pub fn event(
    action: &str,
    initiator: &str,
    outcome: Outcome,
    reason: Option<String>,
    details: serde_json::Value,
) -> Event {
    Event {
        seq: 0,
        time: String::new(),
        action: action.into(),
        initiator: initiator.into(),
        target: Target::default(),
        outcome,
        reason,
        details,
        prev: String::new(),
    }
}

/// Appends `event` to the audit trail of served project `project`
/// (nothing when it is not served).
pub async fn record(server: &Arc<Server>, project: &str, event: Event) {
    let Some(root) = server.projects.get(project).cloned() else {
        return;
    };
    let written = blocking(move || {
        let ws = crate::ops::Workspace::load(&root, &crate::ops::Quiet)
            .map_err(|e| Problem::internal(e.reason()))?;
        let event = Event {
            target: Target {
                project: ws.project.name.clone(),
                ..Target::default()
            },
            ..event
        };
        Audit::new(&ws.records())
            .append(event)
            .map_err(|e| Problem::internal(e.to_string()))
    })
    .await;
    if let Err(p) = written {
        tracing::warn!("an event of the server was not audited: {}", p.message);
    }
}
