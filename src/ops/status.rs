//! `status`: every environment × configuration with its lifecycle stage,
//! and the release each environment runs.

use super::{Front, Result, Workspace};
use crate::project::lifecycle::{Lifecycle, Stage, definition_hash};
use crate::project::release::Deployed;
use serde::Serialize;
use std::path::PathBuf;

/// The project's status.
#[derive(Debug, Clone)]
pub struct StatusRequest {
    /// The project directory.
    pub root: PathBuf,
}

/// Every environment's status, in declaration order.
#[derive(Debug, Serialize)]
pub struct StatusReport {
    pub project: String,
    pub environments: Vec<EnvStatus>,
}

/// One environment.
#[derive(Debug, Serialize)]
pub struct EnvStatus {
    pub name: String,
    pub promote_from: Option<String>,
    pub require_approval: bool,
    /// The release it runs, if one was applied.
    pub release: Option<Deployed>,
    pub configurations: Vec<ConfigStatus>,
}

/// One configuration in one environment.
#[derive(Debug, Serialize)]
pub struct ConfigStatus {
    pub name: String,
    pub stage: Stage,
    pub by: Option<String>,
    pub at: Option<String>,
}

/// Reads the project's status.
pub fn status(req: &StatusRequest, front: &dyn Front) -> Result<StatusReport> {
    let ws = Workspace::load(&req.root, front)?;
    let result = status_of(&ws);
    ws.audit(
        "project.project.read",
        None,
        serde_json::Value::Null,
        &result,
        front,
    );
    result
}

fn status_of(ws: &Workspace) -> Result<StatusReport> {
    let records = ws.records();
    let project = &ws.project;
    let mut environments = Vec::new();
    for env in &project.environments {
        let lifecycle = Lifecycle::load(&records, &env.name)?;
        let configurations = project
            .configurations
            .iter()
            .map(|c| {
                let entry = lifecycle.get(&c.name);
                // Promoted environments run a release, not the working
                // tree: their stage is as recorded.
                let stage = match &env.promote_from {
                    None => lifecycle.shown(&c.name, &definition_hash(project, env, c)),
                    Some(_) => entry.map_or(Stage::Draft, |e| e.stage),
                };
                ConfigStatus {
                    name: c.name.clone(),
                    stage,
                    by: entry.map(|e| e.by.clone()),
                    at: entry.map(|e| e.at.clone()),
                }
            })
            .collect();
        environments.push(EnvStatus {
            name: env.name.clone(),
            promote_from: env.promote_from.as_ref().map(|(f, _)| f.clone()),
            require_approval: env.require_approval,
            release: Deployed::load(&records, &env.name)?,
            configurations,
        });
    }
    Ok(StatusReport {
        project: project.name.clone(),
        environments,
    })
}
