//! Policy gates in the workflows: the environment's policies evaluated on
//! every plan made ([`evaluate`]) and recorded for the plan shown
//! ([`record`]), what a failing one blocks ([`gate`] for
//! apply, [`approvable`] for approve), and `terrace policy test`
//! ([`test`]). Evaluation itself is [`crate::policy`]; docs/policies.md
//! says what users see.

use super::{Error, Front, Result, Workspace};
use crate::config::Enforcement;
use crate::eval::ProjectGraph;
use crate::plan::Plan;
use crate::policy::{PolicyResult, Verdict};
use std::path::{Path, PathBuf};

/// Evaluates the policies that gate `plan`'s environment on the plan's
/// JSON document (as `plan --format json` writes it, definitions
/// included, without `terrace.policies`) and keeps the results in the
/// plan. Writes nothing: [`record`] does, for the plan that is shown.
pub(super) fn evaluate(ws: &Workspace, graph: &ProjectGraph<'_>, plan: &mut Plan) {
    let env = plan.environment.clone();
    if !ws.project.policies.iter().any(|p| p.applies_to(&env)) {
        return;
    }
    super::plan::describe(plan, graph);
    plan.policies.clear();
    let input = crate::plan::json::plan_value(plan);
    plan.policies = crate::policy::evaluate(&ws.project, &env, &input);
}

/// Records the policy results `plan` carries (it is the plan shown, or
/// the one an apply decides on): the last evaluation of its environment,
/// for `terrace attention`, and one audit event. A plan that no policy
/// gates records nothing.
pub(super) fn record(ws: &Workspace, plan: &Plan, front: &dyn Front) {
    if plan.policies.is_empty() {
        return;
    }
    let env = &plan.environment;
    let details = serde_json::json!({
        "definitions_hash": plan.definitions_hash,
        "release": plan.release,
        "destroy": plan.destroy,
        "policies": plan.policies,
    });
    // A record that cannot be written is reported, and the plan goes on.
    let last =
        crate::project::evaluations::LastEvaluation::new(plan.destroy, plan.policies.clone());
    let saved = last
        .save(&ws.records(), env)
        .map_err(|e| Error::Refused(e.to_string()));
    if let Err(e) = &saved {
        front.notice(super::Notice::Warning(&e.reason()));
    }
    ws.audit("project.policy.evaluate", Some(env), details, &saved, front);
}

fn list(r: &PolicyResult) -> String {
    r.messages
        .iter()
        .map(|m| format!("\n  - {m}"))
        .collect::<String>()
}

fn failing(results: &[PolicyResult], level: Enforcement) -> impl Iterator<Item = &PolicyResult> {
    results
        .iter()
        .filter(move |r| r.blocks() && r.enforcement == level)
}

/// What failing means, in words.
fn fails(r: &PolicyResult) -> &'static str {
    match r.result {
        Verdict::Error => "could not be evaluated",
        _ => "fails",
    }
}

/// Refuses to apply `plan` in `env` when a policy blocks it: a failing
/// `mandatory` policy always; a failing `overridable` one unless an
/// approval of the saved plan (`hash`, its file `path`) overrides it.
pub(super) fn gate(
    records: &crate::project::Records,
    env: &str,
    plan: &Plan,
    saved: Option<(&str, &Path)>,
) -> Result {
    if let Some(r) = failing(&plan.policies, Enforcement::Mandatory).next() {
        return Err(Error::Refused(format!(
            "policy \"{}\" (mandatory) {} for this plan of environment \"{env}\":{}\nNothing was changed. A mandatory policy cannot be overridden: change the definitions (or the policy) and plan again.",
            r.name,
            fails(r),
            list(r)
        )));
    }
    let overridable: Vec<&PolicyResult> =
        failing(&plan.policies, Enforcement::Overridable).collect();
    if overridable.is_empty() {
        return Ok(());
    }
    let approval = match saved {
        Some((hash, _)) => crate::project::approval::Approvals::load(records, env)
            .map_err(|e| Error::Refused(e.to_string()))?
            .find(hash)
            .cloned(),
        None => None,
    };
    let missing: Vec<&&PolicyResult> = overridable
        .iter()
        .filter(|r| {
            !approval
                .as_ref()
                .is_some_and(|a| a.overrides.contains(&r.name))
        })
        .collect();
    let Some(r) = missing.first() else {
        return Ok(());
    };
    let flags: String = missing
        .iter()
        .map(|r| format!(" --override-policy {}", r.name))
        .collect();
    let how = match saved {
        Some((_, path)) => format!(
            "An approval of this exact plan can override it:\n  terrace approve --env {env} {path}{flags} --comment \"…\"\n  terrace apply --env {env} {path}",
            path = path.display()
        ),
        None => {
            let make = match (&plan.promoted_from, plan.destroy) {
                (Some(from), _) => {
                    format!("terrace promote --from {from} --to {env} --out {env}.plan")
                }
                (None, true) => format!("terrace plan --env {env} --destroy --out {env}.plan"),
                (None, false) => format!("terrace plan --env {env} --out {env}.plan"),
            };
            format!(
                "An approval of one exact saved plan can override it:\n  {make}\n  terrace approve --env {env} {env}.plan{flags} --comment \"…\"\n  terrace apply --env {env} {env}.plan"
            )
        }
    };
    Err(Error::Refused(format!(
        "policy \"{}\" (overridable) {} for this plan of environment \"{env}\":{}\nNothing was changed. {how}",
        r.name,
        fails(r),
        list(r)
    )))
}

/// Whether an approval of `plan` may be recorded with `overrides`: no
/// failing `mandatory` policy, every failing `overridable` one named, and
/// no name that is not one of those.
pub(super) fn approvable(plan: &Plan, overrides: &[String], path: &Path) -> Result {
    let refuse = |why: String| {
        Err(Error::Refused(format!(
            "refusing to approve {}: {why}",
            path.display()
        )))
    };
    if let Some(r) = failing(&plan.policies, Enforcement::Mandatory).next() {
        return refuse(format!(
            "policy \"{}\" (mandatory) {} for it:{}\nA mandatory policy cannot be overridden: change the definitions (or the policy) and plan again.",
            r.name,
            fails(r),
            list(r)
        ));
    }
    for name in overrides {
        match plan.policies.iter().find(|r| &r.name == name) {
            Some(r) if r.blocks() && r.enforcement == Enforcement::Overridable => {}
            Some(r) => {
                return refuse(format!(
                    "--override-policy {name}: policy \"{name}\" is {} and its result on this plan is {}; only a failing overridable policy can be overridden",
                    r.enforcement.as_str(),
                    r.result.as_str()
                ));
            }
            None => {
                let names: Vec<&str> = plan.policies.iter().map(|r| r.name.as_str()).collect();
                return refuse(format!(
                    "--override-policy {name}: no policy of that name was evaluated on this plan (evaluated: {})",
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                ));
            }
        }
    }
    if let Some(r) =
        failing(&plan.policies, Enforcement::Overridable).find(|r| !overrides.contains(&r.name))
    {
        return refuse(format!(
            "policy \"{}\" (overridable) {} for it:{}\nApprove it only with an explicit override: add --override-policy {} (recorded in the audit trail with your comment).",
            r.name,
            fails(r),
            list(r),
            r.name
        ));
    }
    Ok(())
}

/// `terrace policy test`.
#[derive(Debug, Clone)]
pub struct TestRequest {
    /// The project directory.
    pub root: PathBuf,
}

/// Runs the `test_` rules of every `.rego` file in the folders that hold
/// the project's policy sources (and below), as `opa test DIR…` does.
/// Only the definitions are read (no catalog, no records backend), as
/// `opa test` runs offline; files that cannot be parsed are refused.
pub fn test(req: &TestRequest) -> Result<Vec<crate::policy::TestResult>> {
    let (project, diags) = crate::config::load(&req.root);
    let (project, _) = super::workspace::usable(project, diags)?;
    let root = project.root.clone();
    let folders = crate::config::policy_folders(&project, &root);
    for dir in &folders {
        std::fs::read_dir(dir).map_err(|source| Error::Io {
            action: "read the policy folder",
            path: dir.clone(),
            source,
        })?;
    }
    let files = crate::config::rego_files(&folders);
    crate::policy::test(&root, &files).map_err(|e| Error::Refused(e.to_string()))
}
