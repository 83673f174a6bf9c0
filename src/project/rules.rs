//! An environment's rules for what it accepts: `promote_from` (only
//! promotions of the release its source runs) and `require_approval` (only
//! a saved plan whose file has an approval). Checked by apply before it
//! takes the lock, and by approve, so that nobody approves a plan that
//! could not be applied.

use super::approval::Approvals;
use super::release::{Deployed, short};
use super::{RecordError, Records};
use crate::config::Environment;
use crate::plan::Plan;

/// Why an environment refuses a plan.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("{0}")]
    Rule(String),
    #[error(transparent)]
    Records(#[from] RecordError),
}

/// Whether `env` takes `plan` (to be applied, or undeployed with
/// `undeploy`) as a promotion: an environment with `promote_from` takes
/// only a plan of the release its source runs now.
pub fn check_promotion(
    records: &Records,
    env: &Environment,
    plan: Option<&Plan>,
    undeploy: bool,
) -> Result<(), Refusal> {
    let Some((from, _)) = &env.promote_from else {
        return Ok(());
    };
    if undeploy {
        return Ok(());
    }
    let name = &env.name;
    let how = format!(
        "Plan the promotion, then apply that plan:\n  terrace promote --from {from} --to {name} --out {name}.plan\n  terrace apply --env {name} {name}.plan"
    );
    let Some(plan) = plan.filter(|p| p.promoted_from.as_deref() == Some(from.as_str())) else {
        return Err(Refusal::Rule(format!(
            "environment \"{name}\" receives releases only by promotion from \"{from}\" (its promote_from), so that it runs exactly what {from} ran.\n{how}"
        )));
    };
    let source = Deployed::load(records, from)?;
    match (&plan.release, source) {
        (Some(planned), Some(s)) if *planned == s.release => Ok(()),
        (Some(planned), Some(s)) => Err(Refusal::Rule(format!(
            "the plan promotes release {} of \"{from}\", but \"{from}\" runs release {} now: only what it runs can be promoted.\n{how}",
            short(planned),
            short(&s.release)
        ))),
        _ => Err(Refusal::Rule(format!(
            "the plan names no release that \"{from}\" runs, so it is not a promotion from \"{from}\".\n{how}"
        ))),
    }
}

/// Whether `env` may apply: a `require_approval` environment needs a
/// saved plan (`plan` with the sha256 of its file) that was approved.
pub fn check_approval(
    records: &Records,
    env: &Environment,
    plan: Option<(&Plan, &str)>,
    path: &str,
    undeploy: bool,
) -> Result<(), Refusal> {
    if !env.require_approval {
        return Ok(());
    }
    let name = &env.name;
    let Some((_, hash)) = plan else {
        let (flag, verb) = if undeploy {
            (" --destroy", "destroy")
        } else {
            ("", "apply")
        };
        let make = match (&env.promote_from, undeploy) {
            (Some((from, _)), false) => {
                format!("terrace promote --from {from} --to {name} --out {name}.plan")
            }
            _ => format!("terrace plan --env {name}{flag} --out {name}.plan"),
        };
        return Err(Refusal::Rule(format!(
            "environment \"{name}\" requires an approval of the exact plan to {verb}.\n\
             Save the plan, have it approved, then apply that file:\n  {make}\n  terrace approve --env {name} {name}.plan --comment \"…\"\n  terrace apply --env {name} {name}.plan"
        )));
    };
    let approvals = Approvals::load(records, name)?;
    if approvals.find(hash).is_some() {
        return Ok(());
    }
    let last = match approvals.latest() {
        Some(a) => format!(
            "\nThe last approval in {name} ({} by {} at {}) is for another plan (sha256 {}…): this plan is not the one approved, or it was changed since.",
            a.summary,
            a.approver,
            a.at,
            short(&a.plan)
        ),
        None => format!("\nNothing has been approved in {name} yet."),
    };
    Err(Refusal::Rule(format!(
        "environment \"{name}\" requires an approval, and the plan {path} (sha256 {}…) has none.{last}\nApprove it with:\n  terrace approve --env {name} {path} --comment \"…\"",
        short(hash)
    )))
}
