//! `terrace promote --from dev --to test`: plan (and apply) the target with
//! exactly the release the source runs.

use super::plan::PlanFlags;
use super::session::Ui;
use super::{Failure, Global, Result};
use crate::apply::Cancel;
use crate::ops::promote::PromoteRequest;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct PromoteArgs {
    /// The environment whose release is promoted
    #[arg(long, value_name = "ENV")]
    pub from: String,
    /// The environment that receives it (its promote_from must name --from)
    #[arg(long, value_name = "ENV")]
    pub to: String,
    /// Save the plan to FILE, for `terrace approve` and `terrace apply`
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Apply the promotion after planning it (not where approval is required)
    #[arg(long)]
    pub apply: bool,
    /// With --apply: apply without asking for confirmation
    #[arg(long, requires = "apply")]
    pub auto_approve: bool,
    /// Exit 0 when there are no changes, 2 when there are, 1 on error
    #[arg(long)]
    pub detailed_exitcode: bool,
    #[command(flatten)]
    pub view: super::view::ViewFlags,
    #[command(flatten)]
    pub common: PlanFlags,
}

pub async fn run(g: &Global, a: PromoteArgs, cancel: &Cancel) -> Result {
    a.view.check()?;
    let req = PromoteRequest {
        root: g.project.clone(),
        from: a.from,
        to: a.to,
        out: a.out,
        apply: a.apply,
        auto_approve: a.auto_approve,
        settings: a.common.settings(),
    };
    let console = Ui::detect().console().viewing(&a.view);
    let report = crate::ops::promote::promote(&req, &console, cancel).await?;
    if !req.apply && a.detailed_exitcode && report.has_changes {
        return Err(Failure::Changes);
    }
    Ok(())
}
