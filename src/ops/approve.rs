//! `approve`: record an approval of one exact saved plan, bound to its
//! file's sha256.

use super::{Error, Front, Result, Workspace};
use crate::project::approval::{Approval, Approvals};
use crate::project::lifecycle::Lifecycle;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// An approval of a saved plan.
#[derive(Debug, Clone)]
pub struct ApproveRequest {
    /// The project directory.
    pub root: PathBuf,
    /// The environment the plan is for.
    pub env: String,
    /// The saved plan (or, with `kept`, its name in messages).
    pub plan: PathBuf,
    /// The saved plan's bytes when they are kept elsewhere than a file
    /// (`terrace serve` keeps them in its records).
    pub kept: Option<Vec<u8>>,
    /// Why it is approved: recorded with the approval.
    pub comment: String,
    /// How long to wait for the environment's lock.
    pub lock_timeout: std::time::Duration,
    /// Failing `overridable` policies to let through (`--override-policy`).
    pub override_policy: Vec<String>,
}

/// What was approved.
#[derive(Debug)]
pub struct ApproveReport {
    /// The sha256 of the plan file.
    pub hash: String,
    /// "N to add, N to change, N to destroy".
    pub summary: String,
}

/// Records the approval of `req.plan` in `req.env`.
pub fn approve(req: &ApproveRequest, front: &dyn Front) -> Result<ApproveReport> {
    let ws = Workspace::load(&req.root, front)?;
    let mut details = serde_json::Value::Null;
    let result = approve_loaded(&ws, req, &front.user(), &mut details);
    ws.audit(
        "project.config.approve",
        Some(&req.env),
        details,
        &result,
        front,
    );
    result
}

fn approve_loaded(
    ws: &Workspace,
    req: &ApproveRequest,
    approver: &str,
    details: &mut serde_json::Value,
) -> Result<ApproveReport> {
    let env = ws.environment(&req.env)?;
    if req.comment.trim().is_empty() {
        return Err(Error::Refused(
            "an approval needs a --comment saying why".into(),
        ));
    }
    let (plan, hash) = super::plan::read_saved(&req.plan, req.kept.as_deref())?;
    if plan.environment != env.name {
        return Err(Error::Refused(format!(
            "the plan {} is for environment \"{}\", not \"{}\"",
            req.plan.display(),
            plan.environment,
            env.name
        )));
    }
    if env.distinct_approver {
        distinct(&plan, approver, &env.name, &req.plan)?;
    }
    // A plan the environment would refuse is not worth approving.
    let undeploy = plan.destroy;
    crate::project::rules::check_promotion(&ws.records(), env, Some(&plan), undeploy)
        .map_err(|e| Error::Refused(format!("refusing to approve {}: {e}", req.plan.display())))?;
    // The results the plan carries: apply evaluates again on the plan it
    // re-derives, and wants this approval's overrides for what fails then.
    super::policies::approvable(&plan, &req.override_policy, &req.plan)?;
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
        approver: approver.to_string(),
        comment: req.comment.clone(),
        at: crate::project::now(),
        configurations: configurations.iter().cloned().collect(),
        summary: summary.clone(),
        release: plan.release.clone(),
        overrides: req.override_policy.clone(),
    };
    *details = serde_json::json!({
        "plan": hash,
        "comment": req.comment,
        "release": plan.release,
        "summary": summary,
        "overrides": req.override_policy,
        "policies": plan.policies,
    });
    let records = ws.records();
    let store = ws.store(&env.name);
    // Approvals and lifecycle change together, under the environment's lock.
    let lock = super::lock(&*store, "terrace approve", req.lock_timeout)?;
    let mut approvals = Approvals::load(&records, &env.name)?;
    approvals.approvals.push(approval);
    approvals.save(&records, &env.name)?;
    let mut lifecycle = Lifecycle::load(&records, &env.name)?;
    lifecycle.approve(&configurations, &hash, approver);
    lifecycle.save(&records, &env.name)?;
    drop(lock);
    Ok(ApproveReport { hash, summary })
}

/// `require_approval { distinct_approver = true }`: the plan's author may
/// not approve it, and a plan that does not say who made it (made by an
/// older terrace) cannot be approved there.
fn distinct(plan: &crate::plan::Plan, approver: &str, env: &str, path: &std::path::Path) -> Result {
    let path = path.display();
    if plan.created_by.is_empty() {
        return Err(Error::Refused(format!(
            "environment \"{env}\" requires an approver other than the plan's author, and the plan {path} does not say who made it (an older terrace made it). Make it again:\n  terrace plan --env {env} --out {path}"
        )));
    }
    if plan.created_by == approver {
        return Err(Error::Refused(format!(
            "{approver} made the plan {path}, and environment \"{env}\" requires an approver other than the plan's author (require_approval {{ distinct_approver = true }}): another person must approve it"
        )));
    }
    Ok(())
}
