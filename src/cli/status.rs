//! `terrace status`: every environment × configuration with its lifecycle
//! stage, and the release each environment runs.

use super::records::failure;
use super::session::Loaded;
use super::{Global, Result};
use crate::project::lifecycle::{Lifecycle, Stage, definition_hash};
use crate::project::release::{Deployed, short};
use clap::Args;
use serde::Serialize;

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct EnvStatus {
    name: String,
    promote_from: Option<String>,
    require_approval: bool,
    release: Option<Deployed>,
    configurations: Vec<ConfigStatus>,
}

#[derive(Serialize)]
struct ConfigStatus {
    name: String,
    stage: Stage,
    by: Option<String>,
    at: Option<String>,
}

pub fn run(g: &Global, a: StatusArgs) -> Result {
    let loaded = Loaded::load(g)?;
    let result = status(&loaded, &a);
    loaded.audit(
        "project.project.read",
        None,
        serde_json::Value::Null,
        result,
    )
}

fn status(loaded: &Loaded, a: &StatusArgs) -> Result {
    let records = loaded.records();
    let project = &loaded.project;
    let mut envs = Vec::new();
    for env in &project.environments {
        let lifecycle = Lifecycle::load(&records, &env.name).map_err(failure)?;
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
        envs.push(EnvStatus {
            name: env.name.clone(),
            promote_from: env.promote_from.as_ref().map(|(f, _)| f.clone()),
            require_approval: env.require_approval,
            release: Deployed::load(&records, &env.name).map_err(failure)?,
            configurations,
        });
    }
    if a.json {
        let doc = serde_json::json!({ "project": project.name, "environments": envs });
        outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return Ok(());
    }
    let pal = loaded.ui.pal;
    outln!("Project {}\n", pal.bold(&project.name));
    for e in &envs {
        let mut head = pal.bold(&e.name).to_string();
        if let Some(f) = &e.promote_from {
            head.push_str(&format!("  (promoted from {f})"));
        }
        if e.require_approval {
            head.push_str("  [approval required]");
        }
        outln!("{head}");
        match &e.release {
            Some(r) => outln!(
                "  release {}  applied {} by {}{}",
                short(&r.release),
                r.applied_at,
                r.applied_by,
                r.promoted_from
                    .as_ref()
                    .map(|f| format!(", promoted from {f}"))
                    .unwrap_or_default()
            ),
            None => outln!("  no release applied"),
        }
        let width = e
            .configurations
            .iter()
            .map(|c| c.name.len())
            .max()
            .unwrap_or(0);
        for c in &e.configurations {
            let stage = format!("{:16}", c.stage.name());
            let painted = match c.stage {
                Stage::Deployed => pal.green(&stage),
                Stage::DeployFailed | Stage::UndeployFailed => pal.red(&stage),
                Stage::Draft => pal.comment(&stage),
                _ => pal.yellow(&stage),
            };
            let who = match (&c.by, &c.at) {
                (Some(by), Some(at)) => format!("  {by} at {at}"),
                _ => String::new(),
            };
            let line = format!("  {:width$}  {painted}{who}", c.name);
            outln!("{}", line.trim_end());
        }
        outln!();
    }
    Ok(())
}
