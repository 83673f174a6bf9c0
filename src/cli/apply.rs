//! `terrace apply` and `terrace destroy`.

use super::live::Live;
use super::plan::{PlanFlags, compute, compute_at, read_hashed};
use super::progress::Progress;
use super::records;
use super::session::{self, Loaded};
use super::stream::JsonStream;
use super::{Failure, Global, Result, interruptible};
use crate::apply::{ApplyOptions, Cancel, Observer, Outcome};
use crate::eval::EnvValues;
use crate::plan::Plan;
use clap::Args;
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The environment to apply to
    #[arg(long, value_name = "ENV")]
    pub env: String,
    /// A plan saved with `terrace plan --out`: applied exactly, or refused if stale
    #[arg(value_name = "PLANFILE")]
    pub plan: Option<PathBuf>,
    /// Apply without asking for confirmation
    #[arg(long)]
    pub auto_approve: bool,
    /// Stream machine-readable events: one JSON object per line
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub common: PlanFlags,
}

#[derive(Debug, Args)]
pub struct DestroyArgs {
    /// The environment to destroy
    #[arg(long, value_name = "ENV")]
    pub env: String,
    /// Destroy without asking for confirmation
    #[arg(long)]
    pub auto_approve: bool,
    /// Stream machine-readable events: one JSON object per line
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub common: PlanFlags,
}

pub async fn run(g: &Global, a: ApplyArgs, cancel: &Cancel) -> Result {
    let plan = a.plan.as_deref();
    let run = Run {
        env: &a.env,
        planfile: plan,
        auto_approve: a.auto_approve,
        flags: &a.common,
        destroy: false,
    };
    with_stream(g, a.json, run, cancel).await
}

pub async fn destroy(g: &Global, a: DestroyArgs, cancel: &Cancel) -> Result {
    let run = Run {
        env: &a.env,
        planfile: None,
        auto_approve: a.auto_approve,
        flags: &a.common,
        destroy: true,
    };
    with_stream(g, a.json, run, cancel).await
}

/// What to apply, and how.
struct Run<'a> {
    env: &'a str,
    planfile: Option<&'a std::path::Path>,
    auto_approve: bool,
    flags: &'a PlanFlags,
    destroy: bool,
}

/// Runs with `--json` streaming, or with text.
async fn with_stream(g: &Global, json: bool, run: Run<'_>, cancel: &Cancel) -> Result {
    if !json {
        return execute(g, run, None, cancel).await;
    }
    let stream = JsonStream::new(run.env);
    stream.version();
    // Nobody can answer a prompt on a JSON stream.
    if run.planfile.is_none() && !run.auto_approve {
        let verb = if run.destroy { "destroy" } else { "apply" };
        return stream.result(Err(Failure::Message(format!(
            "--json needs --auto-approve or a saved plan: there is no prompt to {verb} on a JSON stream"
        ))));
    }
    let r = execute(g, run, Some(&stream), cancel).await;
    stream.result(r)
}

async fn execute(g: &Global, run: Run<'_>, stream: Option<&JsonStream>, cancel: &Cancel) -> Result {
    let Run {
        env,
        planfile,
        auto_approve,
        flags,
        destroy,
    } = run;
    let mut working = Loaded::load(g)?;
    working.ui.json = stream.is_some();
    let saved = planfile.map(read_hashed).transpose()?;
    // Variables come from the saved plan, or from this command line.
    let vars = match &saved {
        Some((p, _)) if p.release.is_none() => {
            let recorded: crate::value::Map = p
                .variables
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            super::vars::use_saved(&mut working, &flags.vars, &recorded)
        }
        Some(_) => Ok(()),
        None => super::vars::resolve(&mut working, &flags.vars, crate::eval::Missing::Error),
    };
    let working = working;
    let policy = working.environment(env)?;
    let action = if destroy || saved.as_ref().is_some_and(|(p, _)| p.destroy) {
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
            planfile,
            destroy,
        )?;
        // A promotion's definitions come from its release.
        let from_release;
        let loaded = match saved.as_ref().and_then(|(p, _)| p.release.as_deref()) {
            Some(id) => {
                let mut release = Loaded::load_release(g, id)?;
                release.ui.json = stream.is_some();
                if let Some((p, _)) = &saved {
                    let recorded: crate::value::Map = p
                        .variables
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    super::vars::use_saved(&mut release, &flags.vars, &recorded)?;
                }
                from_release = release;
                &from_release
            }
            None => &working,
        };
        let saved = saved.map(|(plan, hash)| Given {
            plan,
            hash: Some(hash),
            path: planfile,
        });
        let how = How {
            auto_approve,
            flags,
            destroy,
            stream,
        };
        execute_loaded(loaded, policy, saved, how, cancel).await
    }
    .await;
    working.audit(action, Some(env), details, result)
}

/// The environment's rules (see [`crate::project::policy`]); a plan for
/// another environment is left to the stale check, which says so.
fn gate(
    records: &crate::project::Records,
    env: &crate::config::Environment,
    saved: Option<&(Plan, String)>,
    planfile: Option<&std::path::Path>,
    destroy: bool,
) -> Result {
    use crate::project::policy;
    if saved.is_some_and(|(p, _)| p.environment != env.name) {
        return Ok(());
    }
    let undeploy = destroy || saved.is_some_and(|(p, _)| p.destroy);
    let plan = saved.map(|(p, _)| p);
    let path = planfile
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    policy::check_promotion(records, env, plan, undeploy)
        .and_then(|()| {
            let hashed = saved.map(|(p, h)| (p, h.as_str()));
            policy::check_approval(records, env, hashed, &path, undeploy)
        })
        .map_err(|e| Failure::Message(e.to_string()))
}

/// A plan made before apply: saved in a file, or just computed by
/// `promote`.
pub struct Given<'a> {
    pub plan: Plan,
    /// sha256 of the plan file.
    pub hash: Option<String>,
    pub path: Option<&'a std::path::Path>,
}

/// How to apply: confirmation, flags, and where events go.
pub struct How<'a> {
    pub auto_approve: bool,
    pub flags: &'a PlanFlags,
    pub destroy: bool,
    /// `--json`: events as JSON lines instead of text.
    pub stream: Option<&'a JsonStream>,
}

/// Applies in `policy`'s environment with the definitions of `loaded`:
/// `saved` exactly (refused if stale), or a plan made now and confirmed.
pub async fn execute_loaded(
    loaded: &Loaded,
    policy: &crate::config::Environment,
    saved: Option<Given<'_>>,
    how: How<'_>,
    cancel: &Cancel,
) -> Result {
    let How {
        auto_approve,
        flags,
        destroy,
        stream,
    } = how;
    let env = policy.name.as_str();
    let graph = loaded.graph()?;
    let environment = loaded.environment(env)?;
    let store = loaded.store(&environment.name);
    let command = if destroy {
        "terrace destroy"
    } else {
        "terrace apply"
    };
    let verb = if destroy { "destroy" } else { "apply" };
    // Without a terminal there is nobody to say yes: refuse before planning.
    if saved.is_none() && !auto_approve && !std::io::stdin().is_terminal() {
        return Err(Failure::Message(format!(
            "refusing to {verb} without confirmation: standard input is not a terminal. Pass --auto-approve to {verb} anyway."
        )));
    }
    let lock = session::lock(&store, command, flags.lock_timeout)?;
    let state = session::recover_and_load(loaded, &store, &lock)?;
    if let Some(lost) = session::lost_state(loaded, &store, flags, destroy) {
        return Err(Failure::Message(lost));
    }
    let plan_hash = saved.as_ref().and_then(|g| g.hash.clone());
    let plan = match saved {
        Some(Given { plan, path, .. }) => {
            let path = path.unwrap_or(std::path::Path::new("(promotion)"));
            crate::plan::check_fresh(&plan, env, &loaded.project.definitions_hash, &state).map_err(|e| {
                Failure::Message(match e {
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
                            _ => format!("terrace plan --env {env}{}", if plan.destroy { " --destroy" } else { "" }),
                        },
                        path.display()
                    ),
                })
            })?;
            // A saved plan applies only the changes a plan made now from the
            // definitions, state and flags it names makes, checked before
            // anything runs: an edited plan file cannot pass for one.
            {
                let again = super::plan::flags_of(&plan, flags)?;
                let time = plan
                    .created_at
                    .parse()
                    .unwrap_or_else(|_| jiff::Timestamp::now());
                let fresh = compute_at(loaded, &graph, env, &state, &again, plan.destroy, time);
                let fresh = interruptible(fresh, cancel).await?;
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
                    return Err(Failure::Message(format!(
                        "the saved plan {} does not match a plan of {what} made now: it was edited, or the objects changed since it was made. Nothing was changed. Make a new one with:\n  {again} --out {}",
                        path.display(),
                        path.display()
                    )));
                }
            }
            plan
        }
        None => {
            let plan =
                interruptible(compute(loaded, &graph, env, &state, flags, destroy), cancel).await?;
            match stream {
                Some(stream) => stream.plan(&plan),
                None => out!("{}", crate::render::plan(&plan, loaded.ui.pal)),
            }
            if !plan.has_changes() {
                return unchanged(loaded, policy, &plan, None, state.serial());
            }
            if !auto_approve {
                interruptible(confirm(env, destroy), cancel).await?;
            }
            plan
        }
    };
    if let (Some(stream), Some(_)) = (stream, &plan_hash) {
        stream.plan(&plan);
    }
    if !plan.has_changes() {
        if stream.is_none() {
            outln!("No changes to apply.");
        }
        return unchanged(loaded, policy, &plan, plan_hash.as_deref(), state.serial());
    }
    // plantimestamp() gives the plan's time, as when it was made.
    let plan_time = plan
        .created_at
        .parse()
        .unwrap_or_else(|_| jiff::Timestamp::now());
    let values = EnvValues::new(&graph, environment, &loaded.vars, plan_time)
        .map_err(|d| {
            loaded.report(d);
            Failure::Reported
        })?
        .for_apply();
    if cancel.is_cancelled() {
        return Err(Failure::Message("interrupted; nothing was changed".into()));
    }
    let opts = ApplyOptions {
        parallelism: flags.parallelism as usize,
        authorization: loaded.authorization(environment)?,
    };
    // The records refuse first, so that a refused apply keeps no release.
    records::starting(loaded, policy, &plan, plan_hash.as_deref())?;
    // What is applied becomes the environment's release once it succeeds.
    let release = match (&plan.release, plan.destroy) {
        (Some(id), _) => Some(id.clone()),
        (None, false) => records::capture(loaded, env)?,
        (None, true) => None,
    };
    let plain = Progress::new(env, loaded.ui.pal);
    let live = (stream.is_none() && std::io::stdout().is_terminal())
        .then(|| Live::new(env, &plan, loaded.ui.pal));
    let observer: &dyn Observer = match (stream, &live) {
        (Some(stream), _) => stream,
        (None, Some(live)) => live,
        (None, None) => &plain,
    };
    let tally = records::Tally::new(observer);
    let result = crate::apply::apply(
        &graph,
        values,
        &plan,
        state,
        &store,
        &lock,
        loaded.registry(),
        &opts,
        &tally,
        cancel,
    )
    .await;
    let failed = tally.failed();
    drop(tally);
    // Clear the live display before anything else is printed.
    drop(live);
    let (outcome, state) = match result {
        Ok(r) => r,
        Err(e) => {
            drop(lock);
            return Err(Failure::Message(format!(
                "{e}\nThe journal in {} keeps every completed operation; the next terrace command in this environment recovers it.",
                store.dir().display()
            )));
        }
    };
    records::finished(
        loaded,
        policy,
        &plan,
        plan_hash.as_deref(),
        &outcome,
        &failed,
        release.as_deref(),
    )?;
    drop(lock);
    if let Some(stream) = stream {
        stream.outcome(&outcome, destroy, &loaded.project.sources);
        return if outcome.succeeded() {
            Ok(())
        } else {
            Err(Failure::Reported)
        };
    }
    finish(loaded, &plan, &outcome, &state, destroy)
}

/// Nothing to change: the environment already runs these definitions, so
/// they are its release (a promotion that changes nothing still moves it).
fn unchanged(
    loaded: &Loaded,
    policy: &crate::config::Environment,
    plan: &Plan,
    plan_hash: Option<&str>,
    serial: u64,
) -> Result {
    if plan.destroy {
        return Ok(());
    }
    let release = match &plan.release {
        Some(id) => Some(id.clone()),
        None => records::capture(loaded, &policy.name)?,
    };
    let outcome = Outcome {
        serial,
        ..Outcome::default()
    };
    records::finished(
        loaded,
        policy,
        plan,
        plan_hash,
        &outcome,
        &Default::default(),
        release.as_deref(),
    )
}

/// Asks for `yes` on the terminal.
pub async fn confirm(env: &str, destroy: bool) -> Result {
    let what = if destroy {
        "destroy all resources in"
    } else {
        "perform these actions in"
    };
    confirm_text(&format!("{what} environment \"{env}\""))
        .await
        .map_err(|_| {
            Failure::Message(format!(
                "{} cancelled.",
                if destroy { "Destroy" } else { "Apply" }
            ))
        })
}

/// Asks whether to `what`; only `yes` goes on.
pub async fn confirm_text(what: &str) -> Result {
    out!(
        "\nDo you want to {what}?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: "
    );
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let answer = tokio::task::spawn_blocking(|| {
        let mut s = String::new();
        std::io::stdin().read_line(&mut s).map(|_| s)
    })
    .await
    .ok()
    .and_then(|r| r.ok())
    .unwrap_or_default();
    outln!();
    if answer.trim() == "yes" {
        Ok(())
    } else {
        Err(Failure::Message("Cancelled.".into()))
    }
}

fn finish(
    loaded: &Loaded,
    plan: &Plan,
    outcome: &Outcome,
    state: &crate::state::EnvState,
    destroy: bool,
) -> Result {
    let pal = loaded.ui.pal;
    let word = if destroy { "Destroy" } else { "Apply" };
    let done = if destroy {
        format!("{} destroyed", outcome.deleted + outcome.replaced)
    } else {
        let imported = if outcome.imported > 0 {
            format!("{} imported, ", outcome.imported)
        } else {
            String::new()
        };
        format!(
            "{imported}{} added, {} changed, {} destroyed",
            outcome.created + outcome.replaced,
            outcome.updated,
            outcome.deleted + outcome.replaced
        )
    };
    if !outcome.warnings.is_empty() {
        loaded.report(outcome.warnings.iter().cloned().collect());
    }
    if !outcome.errors.is_empty() {
        let n = outcome.errors.len();
        loaded.report(outcome.errors.iter().cloned().collect());
        errln!(
            "{} {n} error(s); {done} before stopping. State is saved (serial {}).",
            loaded.ui.pal_err.red(&format!("{word} failed:")),
            outcome.serial
        );
        return Err(Failure::Reported);
    }
    if outcome.cancelled {
        errln!(
            "{} {done} before stopping. State is saved (serial {}); run the same command again to finish.",
            loaded.ui.pal_err.yellow(&format!("{word} interrupted:")),
            outcome.serial
        );
        return Err(Failure::Reported);
    }
    outln!(
        "\n{} Resources: {done}.",
        pal.green(&format!("{word} complete!"))
    );
    if !plan.targets.is_empty() {
        super::plan::warn(
            loaded,
            &format!(
                "Applied changes may be incomplete\n\n\
                 The plan was created with --target in effect, so some changes requested in the definitions may have been ignored and the output values may not be fully updated. Run the following command to verify that no other changes are pending:\n    terrace plan --env {}\n\n\
                 Note that --target is not suitable for routine use, and is provided only for exceptional situations such as recovering from errors or mistakes.",
                plan.environment
            ),
        );
    }
    if !destroy && !plan.outputs.is_empty() {
        let text = crate::render::outputs(state, None, pal);
        if !text.is_empty() {
            outln!("\nOutputs:\n\n{text}");
        }
    }
    Ok(())
}
