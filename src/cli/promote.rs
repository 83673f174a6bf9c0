//! `terrace promote --from dev --to test`: plan (and apply) the target with
//! exactly the release the source runs.

use super::apply::{Given, confirm, execute_loaded};
use super::plan::{PlanFlags, compute, save};
use super::records::failure;
use super::session::{self, Loaded};
use super::{Failure, Global, Result, interruptible};
use crate::apply::Cancel;
use crate::project::lifecycle::Lifecycle;
use crate::project::release::{Deployed, short};
use clap::Args;
use std::io::IsTerminal;
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
    let working = Loaded::load(g)?;
    let mut details = serde_json::json!({ "from": a.from });
    let result = promote(g, &working, &a, cancel, &mut details).await;
    working.audit("project.environment.promote", Some(&a.to), details, result)
}

async fn promote(
    g: &Global,
    working: &Loaded,
    a: &PromoteArgs,
    cancel: &Cancel,
    details: &mut serde_json::Value,
) -> Result {
    a.view.check()?;
    if !a.common.target.is_empty() {
        return Err(Failure::Message(
            "--target cannot be used with promote: a promotion deploys the whole release".into(),
        ));
    }
    let (from, to) = (a.from.as_str(), a.to.as_str());
    working.environment(from)?;
    let target = working.environment(to)?;
    match &target.promote_from {
        Some((f, _)) if f == from => {}
        Some((f, _)) => {
            return Err(Failure::Message(format!(
                "environment \"{to}\" is promoted from \"{f}\", not \"{from}\" (its promote_from); run:\n  terrace promote --from {f} --to {to}"
            )));
        }
        None => {
            return Err(Failure::Message(format!(
                "environment \"{to}\" has no promote_from, so it receives no promotions; it is applied from the working tree with `terrace apply --env {to}`.\nTo promote {from} to it, add `promote_from = \"{from}\"` to its environment block."
            )));
        }
    }
    if a.apply && target.require_approval {
        return Err(Failure::Message(format!(
            "environment \"{to}\" requires an approval of the exact plan, so --apply cannot apply it at once.\n\
             Save the plan, have it approved, then apply that file:\n  terrace promote --from {from} --to {to} --out {to}.plan\n  terrace approve --env {to} {to}.plan --comment \"…\"\n  terrace apply --env {to} {to}.plan"
        )));
    }
    let records = working.records();
    let deployed = Deployed::load(&records, from).map_err(failure)?.ok_or_else(|| {
        Failure::Message(format!(
            "environment \"{from}\" has no release to promote: nothing was applied there successfully yet.\nApply it first with: terrace apply --env {from}"
        ))
    })?;
    details["release"] = deployed.release.clone().into();
    // The source must run its release, whole and as recorded.
    let lifecycle = Lifecycle::load(&records, from).map_err(failure)?;
    let unhealthy: Vec<String> = lifecycle
        .unsettled()
        .map(|(c, e)| format!("  {from}/{c}: {} by {} at {}", e.stage, e.by, e.at))
        .collect();
    if !unhealthy.is_empty() {
        return Err(Failure::Message(format!(
            "refusing to promote {from}: its last apply did not leave every configuration deployed:\n{}\nFix {from} first (terrace apply --env {from}), then promote.",
            unhealthy.join("\n")
        )));
    }
    let mut release = Loaded::load_release(g, &deployed.release)?;
    // The source's values win: a promotion deploys what the source runs.
    // Sensitive values were not recorded, and come from this run.
    super::vars::resolve_promotion(&mut release, &a.common.vars, from, &deployed.variables)?;
    let release = release;
    let graph = release.graph()?;
    check_source(&release, &graph, from, a).await?;

    if release.project.environment(to).is_none() {
        return Err(Failure::Message(format!(
            "release {} (running in {from}) does not declare environment \"{to}\": it was added after. Apply {from} again, then promote.",
            short(&deployed.release)
        )));
    }
    let environment = release.environment(to)?;
    let store = release.store(to);
    let lock = session::lock(&store, "terrace promote", a.common.lock_timeout)?;
    let state = session::recover_and_load(&release, &store, &lock)?;
    let mut plan = interruptible(
        compute(&release, &graph, to, &state, &a.common, false),
        cancel,
    )
    .await?;
    plan.release = Some(deployed.release.clone());
    plan.promoted_from = Some(from.to_string());
    let text = a.view.format == super::view::Format::Text;
    let heading = format!(
        "Promoting release {} from {from} (applied {} by {}) to {to}.",
        short(&deployed.release),
        deployed.applied_at,
        deployed.applied_by
    );
    // Standard output carries only the document in other formats.
    if text {
        outln!("{heading}\n");
    } else {
        errln!("{heading}");
    }
    super::view::show(&plan, &a.view, release.ui.pal)?;
    let hash = match &a.out {
        Some(path) => {
            let hash = save(&plan, path)?;
            details["plan"] = hash.clone().into();
            let next = if target.require_approval {
                format!(
                    "Environment {to} requires approval:\n  terrace approve --env {to} {p} --comment \"…\"\n  terrace apply --env {to} {p}",
                    p = path.display()
                )
            } else {
                format!(
                    "Apply exactly this plan with:\n  terrace apply --env {to} {}",
                    path.display()
                )
            };
            if text {
                outln!("\nSaved the plan to {}. {next}", path.display());
            } else {
                errln!("Saved the plan to {}. {next}", path.display());
            }
            Some(hash)
        }
        None => None,
    };
    super::records::validated(&release, environment, hash.as_deref())?;
    drop(lock);
    if !a.apply {
        if a.detailed_exitcode && plan.has_changes() {
            return Err(Failure::Changes);
        }
        return Ok(());
    }
    if !a.auto_approve {
        if !std::io::stdin().is_terminal() {
            return Err(Failure::Message(
                "refusing to apply without confirmation: standard input is not a terminal. Pass --auto-approve to apply anyway.".into(),
            ));
        }
        if plan.has_changes() {
            interruptible(confirm(to, false), cancel).await?;
        }
    }
    let given = Given {
        plan,
        hash,
        path: a.out.as_deref(),
    };
    let how = super::apply::How {
        auto_approve: true,
        flags: &a.common,
        destroy: false,
        stream: None,
    };
    let result = execute_loaded(&release, target, Some(given), how, cancel).await;
    let deploy = serde_json::json!({
        "plan": details.get("plan"),
        "release": deployed.release,
        "promoted_from": from,
    });
    working.audit("project.config.deploy", Some(to), deploy, result)
}

/// Refuses to promote a source that drifted from its state, or that does
/// not run all of its release (a plan of it would change something).
async fn check_source(
    release: &Loaded,
    graph: &crate::eval::ProjectGraph<'_>,
    from: &str,
    a: &PromoteArgs,
) -> Result {
    let store = release.store(from);
    let lock = session::lock(
        &store,
        "terrace promote (checking the source)",
        a.common.lock_timeout,
    )?;
    let state = session::recover_and_load(release, &store, &lock)?;
    let mut flags = a.common.clone();
    flags.refresh = true;
    let plan = compute(release, graph, from, &state, &flags, false).await?;
    drop(lock);
    if !plan.drift.is_empty() {
        let list: Vec<String> = plan
            .drift
            .iter()
            .map(|d| format!("  {from}/{}", d.address))
            .collect();
        return Err(Failure::Message(format!(
            "refusing to promote {from}: it has drifted from its state:\n{}\nReconcile it first (terrace plan --env {from}, terrace apply --env {from}), then promote.",
            list.join("\n")
        )));
    }
    if plan.has_changes() {
        let s = plan.summary();
        return Err(Failure::Message(format!(
            "refusing to promote {from}: it does not run all of its release ({} to add, {} to change, {} to destroy to get there).\nApply {from} first, then promote.",
            s.add, s.change, s.destroy
        )));
    }
    Ok(())
}
