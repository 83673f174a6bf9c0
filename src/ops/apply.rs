//! `apply` and `destroy`: apply a saved plan exactly (refused if stale,
//! or if the environment's rules refuse it), or plan, confirm and apply;
//! record the lifecycle, the release and the audit event.

use super::plan::{PlanSettings, compute, compute_at};
use super::records;
use super::workspace::{lock, recover_and_load_ahead};
use super::{Error, Front, Notice, Result, Workspace, interruptible};
use crate::apply::{ApplyOptions, Cancel, Outcome};
use crate::config::Environment;
use crate::eval::{EnvValues, Missing};
use crate::plan::Plan;
use std::path::{Path, PathBuf};

/// An apply (or a destroy) of one environment.
#[derive(Debug, Clone)]
pub struct ApplyRequest {
    /// The project directory.
    pub root: PathBuf,
    pub env: String,
    /// A plan saved by `plan --out` or `promote --out`: applied exactly.
    pub planfile: Option<PathBuf>,
    /// The saved plan's bytes when they are kept elsewhere than a file
    /// (`terrace serve` keeps them in its records); `planfile` then names
    /// the plan in messages.
    pub kept: Option<Vec<u8>>,
    /// Apply a plan made now without asking the front end.
    pub auto_approve: bool,
    /// Delete everything in the environment.
    pub destroy: bool,
    pub settings: PlanSettings,
}

/// What an apply did.
#[derive(Debug, Default)]
pub struct ApplyReport {
    /// `None` when there was nothing to change.
    pub outcome: Option<Outcome>,
    /// The release the environment runs now, when one was recorded.
    pub release: Option<String>,
}

/// Applies `req`: the front end shows the plan made now, confirms it, and
/// receives progress and the outcome. An apply that ran and failed (or
/// was interrupted) is an [`Error::Shown`].
pub async fn apply(req: &ApplyRequest, front: &dyn Front, cancel: &Cancel) -> Result<ApplyReport> {
    let env = req.env.as_str();
    // The state is decoded while the definitions load.
    let ahead = crate::store::ReadAhead::start(&req.root, env);
    let mut working = Workspace::load(&req.root, front)?;
    let saved = req
        .planfile
        .as_deref()
        .map(|path| super::plan::read_saved(path, req.kept.as_deref()))
        .transpose()?;
    // Variables come from the saved plan, or from this request.
    let vars = match &saved {
        Some((p, _)) if p.release.is_none() => {
            super::vars::use_saved(&mut working, &req.settings.vars, &super::vars::recorded(p))
        }
        Some(_) => Ok(()),
        None => super::vars::resolve(&mut working, &req.settings.vars, Missing::Error, front),
    };
    let working = working;
    let policy = working.environment(env)?;
    let action = if req.destroy || saved.as_ref().is_some_and(|(p, _)| p.destroy) {
        "project.config.undeploy"
    } else {
        "project.config.deploy"
    };
    let details = serde_json::json!({
        "plan": saved.as_ref().map(|(_, h)| h),
        "release": saved.as_ref().and_then(|(p, _)| p.release.clone()),
        "promoted_from": saved.as_ref().and_then(|(p, _)| p.promoted_from.clone()),
    });
    let result = async {
        vars?;
        gate(
            &working.records(),
            policy,
            saved.as_ref(),
            req.planfile.as_deref(),
            req.destroy,
        )?;
        // A promotion's definitions come from its release.
        let from_release;
        let ws = match saved.as_ref().and_then(|(p, _)| p.release.as_deref()) {
            Some(id) => {
                let mut release = working.load_release(id)?;
                release.withhold(&working);
                if let Some((p, _)) = &saved {
                    super::vars::use_saved(
                        &mut release,
                        &req.settings.vars,
                        &super::vars::recorded(p),
                    )?;
                }
                from_release = release;
                &from_release
            }
            None => &working,
        };
        let saved = saved.map(|(plan, hash)| Given {
            plan,
            hash: Some(hash),
            path: req.planfile.as_deref(),
        });
        let how = How {
            auto_approve: req.auto_approve,
            settings: &req.settings,
            destroy: req.destroy,
            ahead,
        };
        execute(ws, policy, saved, how, front, cancel).await
    }
    .await;
    working.audit(action, Some(env), details, &result, front);
    result
}

/// The environment's rules (see [`crate::project::rules`]); a plan for
/// another environment is left to the stale check, which says so.
fn gate(
    records: &crate::project::Records,
    env: &Environment,
    saved: Option<&(Plan, String)>,
    planfile: Option<&Path>,
    destroy: bool,
) -> Result {
    use crate::project::rules;
    if saved.is_some_and(|(p, _)| p.environment != env.name) {
        return Ok(());
    }
    let undeploy = destroy || saved.is_some_and(|(p, _)| p.destroy);
    let plan = saved.map(|(p, _)| p);
    let path = planfile
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    rules::check_promotion(records, env, plan, undeploy)
        .and_then(|()| {
            let hashed = saved.map(|(p, h)| (p, h.as_str()));
            rules::check_approval(records, env, hashed, &path, undeploy)
        })
        .map_err(|e| Error::Refused(e.to_string()))
}

/// A plan made before apply: saved in a file, or just made by `promote`.
pub(super) struct Given<'a> {
    pub plan: Plan,
    /// sha256 of the plan file.
    pub hash: Option<String>,
    pub path: Option<&'a Path>,
}

/// How to apply.
pub(super) struct How<'a> {
    pub auto_approve: bool,
    pub settings: &'a PlanSettings,
    pub destroy: bool,
    /// The environment's state files, read ahead.
    pub ahead: crate::store::ReadAhead,
}

/// Applies in `policy`'s environment with the definitions of `ws`:
/// `saved` exactly (refused if stale), or a plan made now and confirmed.
pub(super) async fn execute(
    ws: &Workspace,
    policy: &Environment,
    saved: Option<Given<'_>>,
    how: How<'_>,
    front: &dyn Front,
    cancel: &Cancel,
) -> Result<ApplyReport> {
    let How {
        auto_approve,
        settings,
        destroy,
        ahead,
    } = how;
    let env = policy.name.as_str();
    let graph = ws.graph(front)?;
    let environment = ws.environment(env)?;
    let store = ws.store(&environment.name);
    let command = if destroy {
        "terrace destroy"
    } else {
        "terrace apply"
    };
    let verb = if destroy { "destroy" } else { "apply" };
    // With nobody to say yes: refuse before planning.
    if saved.is_none() && !auto_approve && !front.can_confirm() {
        return Err(Error::Refused(format!(
            "refusing to {verb} without confirmation: standard input is not a terminal. Pass --auto-approve to {verb} anyway."
        )));
    }
    let lock = lock(&*store, command, settings.lock_timeout)?;
    let state = recover_and_load_ahead(&*store, &lock, front, ahead)?;
    if !settings.allow_recreate
        && !destroy
        && let Some(lost) = crate::project::release::lost_state(&ws.records(), &*store)
    {
        return Err(Error::Refused(lost));
    }
    let plan_hash = saved.as_ref().and_then(|g| g.hash.clone());
    let plan = match saved {
        Some(Given { plan, path, .. }) => {
            let path = path.unwrap_or(Path::new("(promotion)"));
            check_fresh(ws, policy, &plan, &state, path)?;
            // A saved plan applies only the changes a plan made now from the
            // definitions, state and flags it names makes, checked before
            // anything runs: an edited plan file cannot pass for one.
            let again = settings.again(&plan)?;
            let time = plan
                .created_at
                .parse()
                .unwrap_or_else(|_| jiff::Timestamp::now());
            let fresh = interruptible(
                compute_at(
                    ws,
                    &graph,
                    env,
                    &state,
                    &again,
                    plan.destroy,
                    time,
                    &crate::plan::Unobserved,
                    front,
                    true,
                ),
                cancel,
            )
            .await?;
            if !plan.same_changes(&fresh) {
                let (what, again) = match (&plan.release, &policy.promote_from) {
                    (Some(r), Some((from, _))) => (
                        format!("release {}", crate::project::release::short(r)),
                        format!("terrace promote --from {from} --to {env}"),
                    ),
                    _ => (
                        "its definitions and state".to_string(),
                        format!(
                            "terrace plan --env {env}{}",
                            if plan.destroy { " --destroy" } else { "" }
                        ),
                    ),
                };
                return Err(Error::Refused(format!(
                    "the saved plan {} does not match a plan of {what} made now: it was edited, or the objects changed since it was made. Nothing was changed. Make a new one with:\n  {again} --out {}",
                    path.display(),
                    path.display()
                )));
            }
            // Policies decide on the plan made now (the file's own results
            // are what its approval saw).
            let hash = plan_hash.as_deref().map(|h| (h, path));
            super::policies::record(ws, &fresh, front);
            super::policies::gate(&ws.records(), env, &fresh, hash)?;
            plan
        }
        None => {
            let plan = interruptible(
                compute(ws, &graph, env, &state, settings, destroy, front),
                cancel,
            )
            .await?;
            super::policies::record(ws, &plan, front);
            front.planned(&plan)?;
            if !plan.has_changes() {
                return unchanged(ws, policy, &plan, None, state.serial(), front);
            }
            super::policies::gate(&ws.records(), env, &plan, None)?;
            if !auto_approve {
                interruptible(confirm(front, env, destroy), cancel).await?;
            }
            plan
        }
    };
    if plan_hash.is_some() {
        front.applying(&plan);
    }
    if !plan.has_changes() {
        front.notice(Notice::NoChanges);
        return unchanged(
            ws,
            policy,
            &plan,
            plan_hash.as_deref(),
            state.serial(),
            front,
        );
    }
    // plantimestamp() gives the plan's time, as when it was made.
    let plan_time = plan
        .created_at
        .parse()
        .unwrap_or_else(|_| jiff::Timestamp::now());
    let values = EnvValues::new(&graph, environment, &ws.vars, plan_time)
        .map_err(|d| ws.error(d))?
        .for_apply();
    if cancel.is_cancelled() {
        return Err(Error::Interrupted);
    }
    let opts = ApplyOptions {
        parallelism: settings.parallelism,
        authorization: ws.authorization(environment)?,
    };
    // The records refuse first, so that a refused apply keeps no release.
    records::starting(ws, policy, &plan, plan_hash.as_deref(), front)?;
    // What is applied becomes the environment's release once it succeeds.
    let release = match (&plan.release, plan.destroy) {
        (Some(id), _) => Some(id.clone()),
        (None, false) => records::capture(ws, env, front)?,
        (None, true) => None,
    };
    let progress = front.progress(env, &plan);
    let tally = records::Tally::new(progress.as_ref());
    let result = crate::apply::apply(
        &graph,
        values,
        &plan,
        state,
        &*store,
        &lock,
        ws.registry(),
        &opts,
        &tally,
        cancel,
    )
    .await;
    let failed = tally.failed();
    drop(tally);
    // Clear a live display before anything else is shown.
    drop(progress);
    let (outcome, state) = match result {
        Ok(r) => r,
        Err(error) => {
            drop(lock);
            return Err(Error::Apply {
                error,
                journal: store.location(),
            });
        }
    };
    records::finished(
        ws,
        policy,
        &plan,
        plan_hash.as_deref(),
        &outcome,
        &failed,
        release.as_deref(),
        front,
    )?;
    drop(lock);
    front.applied(&super::front::Applied {
        plan: &plan,
        outcome: &outcome,
        state: &state,
        sources: &ws.project.sources,
        destroy,
    });
    if !outcome.succeeded() {
        return Err(Error::Shown {
            reason: match outcome.errors.first() {
                Some(d) => format!("{}: {}", d.code, d.message),
                None => "interrupted".into(),
            },
        });
    }
    Ok(ApplyReport {
        outcome: Some(outcome),
        release,
    })
}

/// Refuses a saved plan made for another environment, or from other
/// state or definitions.
fn check_fresh(
    ws: &Workspace,
    policy: &Environment,
    plan: &Plan,
    state: &crate::state::EnvState,
    path: &Path,
) -> Result {
    let env = policy.name.as_str();
    crate::plan::check_fresh(plan, env, &ws.project.definitions_hash, state).map_err(|e| {
        Error::Refused(match e {
            crate::plan::Stale::Environment { plan: planned, .. } => format!(
                "the saved plan {} is for environment \"{planned}\", not \"{env}\". Apply it with:\n  terrace apply --env {planned} {}",
                path.display(),
                path.display()
            ),
            e => format!(
                "the saved plan {} is stale: {e}.\nterrace applies a saved plan only to the state and definitions it was made from. Make a new plan with:\n  {} --out {}",
                path.display(),
                match (&policy.promote_from, plan.destroy) {
                    (Some((from, _)), false) => format!("terrace promote --from {from} --to {env}"),
                    _ => format!(
                        "terrace plan --env {env}{}",
                        if plan.destroy { " --destroy" } else { "" }
                    ),
                },
                path.display()
            ),
        })
    })
}

/// Nothing to change: the environment already runs these definitions, so
/// they are its release (a promotion that changes nothing still moves it).
fn unchanged(
    ws: &Workspace,
    policy: &Environment,
    plan: &Plan,
    plan_hash: Option<&str>,
    serial: u64,
    front: &dyn Front,
) -> Result<ApplyReport> {
    if plan.destroy {
        return Ok(ApplyReport::default());
    }
    let release = match &plan.release {
        Some(id) => Some(id.clone()),
        None => records::capture(ws, &policy.name, front)?,
    };
    let outcome = Outcome {
        serial,
        ..Outcome::default()
    };
    records::finished(
        ws,
        policy,
        plan,
        plan_hash,
        &outcome,
        &Default::default(),
        release.as_deref(),
        front,
    )?;
    Ok(ApplyReport {
        outcome: None,
        release,
    })
}

/// Asks the front end to confirm applying (or destroying) in `env`.
pub(super) async fn confirm(front: &dyn Front, env: &str, destroy: bool) -> Result {
    let what = if destroy {
        "destroy all resources in"
    } else {
        "perform these actions in"
    };
    if front
        .confirm(&format!("{what} environment \"{env}\""))
        .await
    {
        Ok(())
    } else {
        Err(Error::Cancelled(if destroy {
            "Destroy cancelled."
        } else {
            "Apply cancelled."
        }))
    }
}
