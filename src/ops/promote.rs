//! `promote`: plan (and apply) an environment with exactly the release its
//! source environment runs.

use super::apply::{ApplyReport, Given, How, confirm, execute};
use super::plan::{PlanSettings, compute, save};
use super::workspace::{lock, recover_and_load};
use super::{Error, Front, Notice, Result, Workspace, interruptible};
use crate::apply::Cancel;
use crate::project::lifecycle::Lifecycle;
use crate::project::release::{Deployed, short};
use std::path::PathBuf;

/// A promotion from one environment to the next.
#[derive(Debug, Clone)]
pub struct PromoteRequest {
    /// The project directory.
    pub root: PathBuf,
    /// The environment whose release is promoted.
    pub from: String,
    /// The environment that receives it (its `promote_from` names `from`).
    pub to: String,
    /// Save the plan here.
    pub out: Option<PathBuf>,
    /// Apply the promotion after planning it.
    pub apply: bool,
    /// With `apply`: without asking the front end.
    pub auto_approve: bool,
    pub settings: PlanSettings,
}

/// What a promotion did.
#[derive(Debug)]
pub struct PromoteReport {
    /// The release promoted.
    pub release: String,
    /// Whether the plan changes anything.
    pub has_changes: bool,
    /// The sha256 of the saved plan file, when one was saved.
    pub saved: Option<String>,
    /// The apply, when one was asked for.
    pub applied: Option<ApplyReport>,
}

/// Promotes `req.from`'s release to `req.to`.
pub async fn promote(
    req: &PromoteRequest,
    front: &dyn Front,
    cancel: &Cancel,
) -> Result<PromoteReport> {
    let working = Workspace::load(&req.root, front)?;
    let mut details = serde_json::json!({ "from": req.from });
    let result = promote_loaded(&working, req, front, cancel, &mut details).await;
    working.audit(
        "project.environment.promote",
        Some(&req.to),
        details,
        &result,
        front,
    );
    result
}

async fn promote_loaded(
    working: &Workspace,
    req: &PromoteRequest,
    front: &dyn Front,
    cancel: &Cancel,
    details: &mut serde_json::Value,
) -> Result<PromoteReport> {
    if !req.settings.targets.is_empty() {
        return Err(Error::Refused(
            "--target cannot be used with promote: a promotion deploys the whole release".into(),
        ));
    }
    let (from, to) = (req.from.as_str(), req.to.as_str());
    working.environment(from)?;
    let target = working.environment(to)?;
    match &target.promote_from {
        Some((f, _)) if f == from => {}
        Some((f, _)) => {
            return Err(Error::Refused(format!(
                "environment \"{to}\" is promoted from \"{f}\", not \"{from}\" (its promote_from); run:\n  terrace promote --from {f} --to {to}"
            )));
        }
        None => {
            return Err(Error::Refused(format!(
                "environment \"{to}\" has no promote_from, so it receives no promotions; it is applied from the working tree with `terrace apply --env {to}`.\nTo promote {from} to it, add `promote_from = \"{from}\"` to its environment block."
            )));
        }
    }
    if req.apply && target.require_approval {
        return Err(Error::Refused(format!(
            "environment \"{to}\" requires an approval of the exact plan, so --apply cannot apply it at once.\n\
             Save the plan, have it approved, then apply that file:\n  terrace promote --from {from} --to {to} --out {to}.plan\n  terrace approve --env {to} {to}.plan --comment \"…\"\n  terrace apply --env {to} {to}.plan"
        )));
    }
    let records = working.records();
    let deployed = Deployed::load(&records, from)?.ok_or_else(|| {
        Error::Refused(format!(
            "environment \"{from}\" has no release to promote: nothing was applied there successfully yet.\nApply it first with: terrace apply --env {from}"
        ))
    })?;
    details["release"] = deployed.release.clone().into();
    // The source must run its release, whole and as recorded.
    let lifecycle = Lifecycle::load(&records, from)?;
    let unhealthy: Vec<String> = lifecycle
        .unsettled()
        .map(|(c, e)| format!("  {from}/{c}: {} by {} at {}", e.stage, e.by, e.at))
        .collect();
    if !unhealthy.is_empty() {
        return Err(Error::Refused(format!(
            "refusing to promote {from}: its last apply did not leave every configuration deployed:\n{}\nFix {from} first (terrace apply --env {from}), then promote.",
            unhealthy.join("\n")
        )));
    }
    let mut release = working.load_release(&deployed.release)?;
    release.withhold(working);
    // The source's values win: a promotion deploys what the source runs.
    // Sensitive values were not recorded, and come from this run.
    super::vars::resolve_promotion(
        &mut release,
        &req.settings.vars,
        from,
        &deployed.variables,
        front,
    )?;
    let release = release;
    let graph = release.graph(front)?;
    check_source(&release, &graph, from, &req.settings, front).await?;

    if release.project.environment(to).is_none() {
        return Err(Error::Refused(format!(
            "release {} (running in {from}) does not declare environment \"{to}\": it was added after. Apply {from} again, then promote.",
            short(&deployed.release)
        )));
    }
    let environment = release.environment(to)?;
    let store = release.store(to);
    let lock = lock(&*store, "terrace promote", req.settings.lock_timeout)?;
    let state = recover_and_load(&*store, &lock, front)?;
    let mut plan = interruptible(
        compute(&release, &graph, to, &state, &req.settings, false, front),
        cancel,
    )
    .await?;
    plan.release = Some(deployed.release.clone());
    plan.promoted_from = Some(from.to_string());
    plan.created_by = front.user();
    super::policies::record(&release, &plan, front);
    front.notice(Notice::Promoting {
        release: &deployed.release,
        from,
        to,
        applied_at: &deployed.applied_at,
        applied_by: &deployed.applied_by,
    });
    if req.out.is_some() {
        super::plan::describe(&mut plan, &graph);
    }
    front.planned(&plan)?;
    let hash = match &req.out {
        Some(path) => {
            let hash = save(&plan, path)?;
            details["plan"] = hash.clone().into();
            front.notice(Notice::Saved {
                path,
                env: to,
                promote_from: None,
                require_approval: target.require_approval,
                promotion: true,
            });
            Some(hash)
        }
        None => None,
    };
    super::records::validated(&release, environment, hash.as_deref(), front)?;
    drop(lock);
    let mut report = PromoteReport {
        release: deployed.release.clone(),
        has_changes: plan.has_changes(),
        saved: hash.clone(),
        applied: None,
    };
    if !req.apply {
        return Ok(report);
    }
    if !req.auto_approve {
        if !front.can_confirm() {
            return Err(Error::Refused(
                "refusing to apply without confirmation: standard input is not a terminal. Pass --auto-approve to apply anyway.".into(),
            ));
        }
        if plan.has_changes() {
            interruptible(confirm(front, to, false), cancel).await?;
        }
    }
    let given = Given {
        plan,
        hash,
        path: req.out.as_deref(),
    };
    let how = How {
        auto_approve: true,
        settings: &req.settings,
        destroy: false,
        ahead: Default::default(),
    };
    let result = execute(&release, target, Some(given), how, front, cancel).await;
    let deploy = serde_json::json!({
        "plan": details.get("plan"),
        "release": deployed.release,
        "promoted_from": from,
    });
    working.audit("project.config.deploy", Some(to), deploy, &result, front);
    report.applied = Some(result?);
    Ok(report)
}

/// Refuses to promote a source that drifted from its state, or that does
/// not run all of its release (a plan of it would change something).
async fn check_source(
    release: &Workspace,
    graph: &crate::eval::ProjectGraph<'_>,
    from: &str,
    settings: &PlanSettings,
    front: &dyn Front,
) -> Result {
    let store = release.store(from);
    let lock = lock(
        &*store,
        "terrace promote (checking the source)",
        settings.lock_timeout,
    )?;
    let state = recover_and_load(&*store, &lock, front)?;
    let mut settings = settings.clone();
    settings.refresh = true;
    let plan = compute(release, graph, from, &state, &settings, false, front).await?;
    drop(lock);
    if !plan.drift.is_empty() {
        let list: Vec<String> = plan
            .drift
            .iter()
            .map(|d| format!("  {from}/{}", d.address))
            .collect();
        return Err(Error::Refused(format!(
            "refusing to promote {from}: it has drifted from its state:\n{}\nReconcile it first (terrace plan --env {from}, terrace apply --env {from}), then promote.",
            list.join("\n")
        )));
    }
    if plan.has_changes() {
        let s = plan.summary();
        return Err(Error::Refused(format!(
            "refusing to promote {from}: it does not run all of its release ({} to add, {} to change, {} to destroy to get there).\nApply {from} first, then promote.",
            s.add, s.change, s.destroy
        )));
    }
    Ok(())
}
