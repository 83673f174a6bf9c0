//! `terrace status`: every environment × configuration with its lifecycle
//! stage, and the release each environment runs.

use super::session::Ui;
use super::{Global, Result};
use crate::ops::status::StatusRequest;
use crate::project::lifecycle::Stage;
use crate::project::release::short;
use clap::Args;

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
}

pub fn run(g: &Global, a: StatusArgs) -> Result {
    let ui = Ui::detect();
    let req = StatusRequest {
        root: g.project.clone(),
    };
    let report = crate::ops::status::status(&req, &ui.console())?;
    let envs = &report.environments;
    if a.json {
        let doc = serde_json::json!({ "project": report.project, "environments": envs });
        outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return Ok(());
    }
    let pal = ui.pal;
    outln!("Project {}\n", pal.bold(&report.project));
    for e in envs {
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
