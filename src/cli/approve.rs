//! `terrace approve --env ENV PLANFILE --comment TEXT`: record an approval
//! of that exact plan.

use super::session::Ui;
use super::{Global, Result};
use crate::ops::approve::ApproveRequest;
use crate::project::release::short;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// The environment the plan is for
    #[arg(long, value_name = "ENV")]
    pub env: String,
    /// The saved plan (terrace plan --out, terrace promote --out)
    #[arg(value_name = "PLANFILE")]
    pub plan: PathBuf,
    /// Why it is approved: recorded with the approval
    #[arg(long, value_name = "TEXT")]
    pub comment: String,
    /// Let this failing overridable policy through for this plan only
    /// (repeat for several); recorded with the comment
    #[arg(long, value_name = "NAME")]
    pub override_policy: Vec<String>,
    /// How long to wait for the environment's lock (e.g. 30s, 5m)
    #[arg(long, default_value = "10s", value_parser = super::session::parse_duration, value_name = "DURATION")]
    pub lock_timeout: std::time::Duration,
}

pub fn run(g: &Global, a: ApproveArgs) -> Result {
    let req = ApproveRequest {
        root: g.project.clone(),
        env: a.env,
        plan: a.plan,
        kept: None,
        comment: a.comment,
        override_policy: a.override_policy,
        lock_timeout: a.lock_timeout,
    };
    let report = crate::ops::approve::approve(&req, &Ui::detect().console())?;
    let (env, path) = (&req.env, req.plan.display());
    outln!(
        "Approved plan {path} (sha256 {}…) for environment {env}: {}.\nApply exactly it with:\n  terrace apply --env {env} {path}",
        short(&report.hash),
        report.summary,
    );
    Ok(())
}
