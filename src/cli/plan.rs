//! `terrace plan`: what applying would change.

use super::session::{Ui, parse_duration};
use super::stream::JsonStream;
use super::view::ViewFlags;
use super::{Failure, Global, Result};
use crate::ops::plan::{PlanRequest, PlanSettings};
use crate::plan::Plan;
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The environment to plan
    #[arg(long, value_name = "ENV")]
    pub env: String,
    /// Save the plan to FILE, for `terrace apply FILE`
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit 0 when there are no changes, 2 when there are, 1 on error
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Plan to destroy everything in the environment
    #[arg(long)]
    pub destroy: bool,
    #[command(flatten)]
    pub view: ViewFlags,
    /// Stream machine-readable events instead: one JSON object per line
    #[arg(long, conflicts_with_all = ["format", "parts_dir"])]
    pub json: bool,
    #[command(flatten)]
    pub common: PlanFlags,
}

/// Flags shared by plan, apply and destroy.
#[derive(Debug, Args, Clone)]
pub struct PlanFlags {
    /// Read every managed object back before planning (--refresh=false skips it)
    #[arg(
        long,
        default_value_t = true,
        num_args = 0..=1,
        default_missing_value = "true",
        require_equals = true,
        action = clap::ArgAction::Set,
        value_name = "BOOL"
    )]
    pub refresh: bool,
    /// How long to wait for the environment's lock (e.g. 30s, 5m)
    #[arg(long, default_value = "0s", value_parser = parse_duration, value_name = "DURATION")]
    pub lock_timeout: Duration,
    /// Provider operations to run at once
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000), value_name = "N")]
    pub parallelism: u32,
    #[command(flatten)]
    pub vars: super::vars::VarFlags,
    /// Plan only this resource and what it depends on: CONFIG, CONFIG/TYPE.NAME or CONFIG/TYPE.NAME[KEY] (repeatable; not for routine use)
    #[arg(long, value_name = "ADDR", value_parser = parse_target)]
    pub target: Vec<crate::plan::Target>,
    /// Replace this object even if nothing forces it: CONFIG/TYPE.NAME[KEY] (repeatable)
    #[arg(long, value_name = "ADDR", value_parser = crate::ops::plan::parse_replace)]
    pub replace: Vec<crate::address::InstanceAddr>,
    /// Create again the objects of an environment whose state files are gone while its records say it is deployed
    #[arg(long)]
    pub allow_recreate: bool,
}

fn parse_target(s: &str) -> std::result::Result<crate::plan::Target, String> {
    crate::plan::Target::parse(s)
}

impl PlanFlags {
    /// The operations' settings these flags give.
    pub fn settings(&self) -> PlanSettings {
        PlanSettings {
            refresh: self.refresh,
            lock_timeout: self.lock_timeout,
            parallelism: self.parallelism as usize,
            vars: self.vars.clone(),
            targets: self.target.clone(),
            replace: self.replace.clone(),
            allow_recreate: self.allow_recreate,
        }
    }
}

pub async fn run(g: &Global, a: PlanArgs) -> Result {
    a.view.check()?;
    let req = PlanRequest {
        root: g.project.clone(),
        env: a.env.clone(),
        destroy: a.destroy,
        out: a.out.clone(),
        settings: a.common.settings(),
    };
    let console = Ui::detect().console();
    let report = if a.json {
        let stream = JsonStream::new(&a.env);
        stream.version();
        let console = console.streaming(Some(&stream));
        let r = crate::ops::plan::plan(&req, &console).await;
        stream.result(r.map_err(Failure::from))?
    } else {
        crate::ops::plan::plan(&req, &console.viewing(&a.view)).await?
    };
    let changes = report.plan.has_changes();
    // The process ends once the command returns: the operating system
    // reclaims the plan and state faster than freeing them one allocation
    // at a time (plain data, no Drop that does work).
    std::mem::forget(report);
    if a.detailed_exitcode && changes {
        return Err(Failure::Changes);
    }
    Ok(())
}

/// Reads a saved plan.
pub fn read(path: &std::path::Path) -> Result<Plan> {
    Ok(crate::ops::plan::read(path)?.0)
}
