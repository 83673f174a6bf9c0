//! `attention`: the needs-attention list, each item with the command that
//! resolves it.

use super::{Error, Front, Result, Workspace};
use crate::project::attention::{self, Item, Probes, Severity};
use std::path::PathBuf;

/// The needs-attention list of a project.
#[derive(Debug, Clone)]
pub struct AttentionRequest {
    /// The project directory.
    pub root: PathBuf,
    /// Fail when an item of this severity or worse is present.
    pub fail_on: Option<Severity>,
}

/// What needs attention.
#[derive(Debug)]
pub struct AttentionReport {
    /// Most severe first.
    pub items: Vec<Item>,
    /// Why the request's `fail_on` threshold was reached, if it was.
    pub failed: Option<String>,
}

/// Lists what needs attention; a reached threshold is recorded as a failure
/// and returned in the report, so that the items can still be shown.
pub fn attention(req: &AttentionRequest, front: &dyn Front) -> Result<AttentionReport> {
    let ws = Workspace::load(&req.root, front)?;
    let result = list(&ws, req);
    let recorded: Result = match &result {
        Ok(AttentionReport {
            failed: Some(why), ..
        }) => Err(Error::Refused(why.clone())),
        Ok(_) => Ok(()),
        Err(e) => Err(Error::Refused(e.reason())),
    };
    ws.audit(
        "project.project.read",
        None,
        serde_json::Value::Null,
        &recorded,
        front,
    );
    result
}

fn list(ws: &Workspace, req: &AttentionRequest) -> Result<AttentionReport> {
    let project = &ws.project;
    // The catalog is read only when some configuration uses it.
    let versions = project
        .configurations
        .iter()
        .any(|c| project.architecture_of(c).catalog.is_some())
        .then(|| crate::catalog::versions(&project.root).ok())
        .flatten();
    let newer = |c: &crate::config::Configuration| {
        let pin = project.architecture_of(c).catalog.as_ref()?;
        let newer = versions.as_ref()?.newer(&pin.name, &pin.version)?;
        Some((pin.version.clone(), newer))
    };
    let probes = Probes {
        newer_version: &newer,
    };
    let items = attention::items(&ws.project, &ws.records(), &probes)?;
    let failed = req
        .fail_on
        .filter(|t| items.iter().any(|i| i.severity >= *t))
        .map(|t| {
            format!(
                "items of severity {} or worse need attention",
                match t {
                    Severity::Info => "info",
                    Severity::Warning => "warning",
                    Severity::Error => "error",
                }
            )
        });
    Ok(AttentionReport { items, failed })
}
