//! `terrace approve --env ENV PLANFILE --comment TEXT`: record an approval
//! of that exact plan.

use super::records::failure;
use super::session::Loaded;
use super::{Failure, Global, Result};
use crate::project::approval::{Approval, Approvals};
use crate::project::lifecycle::Lifecycle;
use crate::project::release::short;
use clap::Args;
use std::collections::BTreeSet;
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
}

pub fn run(g: &Global, a: ApproveArgs) -> Result {
    let loaded = Loaded::load(g)?;
    let mut details = serde_json::Value::Null;
    let result = approve(&loaded, &a, &mut details);
    loaded.audit("project.config.approve", Some(&a.env), details, result)
}

fn approve(loaded: &Loaded, a: &ApproveArgs, details: &mut serde_json::Value) -> Result {
    let env = loaded.environment(&a.env)?;
    if a.comment.trim().is_empty() {
        return Err(Failure::Message(
            "an approval needs a --comment saying why".into(),
        ));
    }
    let (plan, hash) = super::plan::read_hashed(&a.plan)?;
    if plan.environment != env.name {
        return Err(Failure::Message(format!(
            "the plan {} is for environment \"{}\", not \"{}\"",
            a.plan.display(),
            plan.environment,
            env.name
        )));
    }
    // A plan the environment would refuse is not worth approving.
    let undeploy = plan.destroy;
    crate::project::policy::check_promotion(&loaded.records(), env, Some(&plan), undeploy)
        .map_err(|e| Failure::Message(format!("refusing to approve {}: {e}", a.plan.display())))?;
    let s = plan.summary();
    let summary = format!(
        "{} to add, {} to change, {} to destroy",
        s.add, s.change, s.destroy
    );
    let configurations: BTreeSet<String> = plan
        .changes
        .iter()
        .map(|c| c.address.resource.config.clone())
        .collect();
    let approval = Approval {
        plan: hash.clone(),
        approver: crate::project::user(),
        comment: a.comment.clone(),
        at: crate::project::now(),
        configurations: configurations.iter().cloned().collect(),
        summary: summary.clone(),
        release: plan.release.clone(),
    };
    *details = serde_json::json!({
        "plan": hash,
        "comment": a.comment,
        "release": plan.release,
        "summary": summary,
    });
    let records = loaded.records();
    let store = loaded.store(&env.name);
    // Approvals and lifecycle change together, under the environment's lock.
    let lock = super::session::lock(
        &store,
        "terrace approve",
        std::time::Duration::from_secs(10),
    )?;
    let mut approvals = Approvals::load(&records, &env.name).map_err(failure)?;
    approvals.approvals.push(approval);
    approvals.save(&records, &env.name).map_err(failure)?;
    let mut lifecycle = Lifecycle::load(&records, &env.name).map_err(failure)?;
    lifecycle.approve(&configurations, &hash);
    lifecycle.save(&records, &env.name).map_err(failure)?;
    drop(lock);
    outln!(
        "Approved plan {} (sha256 {}…) for environment {}: {summary}.\nApply exactly it with:\n  terrace apply --env {} {}",
        a.plan.display(),
        short(&hash),
        env.name,
        env.name,
        a.plan.display()
    );
    Ok(())
}
