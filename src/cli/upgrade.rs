//! `terrace upgrade`: move a configuration to another version of its
//! catalog architecture, and show the plan that results.

use super::plan::PlanFlags;
use super::session::Ui;
use super::{Global, Result};
use crate::ops::upgrade::{UpgradeReport, UpgradeRequest};
use clap::Args;

#[derive(Debug, Args)]
pub struct UpgradeArgs {
    /// The configuration to upgrade
    #[arg(value_name = "CONFIG")]
    pub configuration: String,
    /// The version to move to (default: the newest)
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,
    /// The environment to plan (default: the first that promotes from no other)
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
    #[command(flatten)]
    pub common: PlanFlags,
}

pub async fn run(g: &Global, a: UpgradeArgs) -> Result {
    let req = UpgradeRequest {
        root: g.project.clone(),
        configuration: a.configuration,
        to: a.to,
        env: a.env,
        settings: a.common.settings(),
    };
    match crate::ops::upgrade::upgrade(&req, &Ui::detect().console()).await? {
        UpgradeReport::Newest { configuration, pin } => {
            outln!("{configuration} is at {pin}, the newest version in the catalog.");
        }
        UpgradeReport::AlreadyAt { configuration, pin } => {
            outln!("{configuration} is at {pin} already.");
        }
        // The plan was shown as it was made.
        UpgradeReport::Upgraded { .. } => {}
    }
    Ok(())
}
