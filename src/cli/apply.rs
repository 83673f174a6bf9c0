//! `terrace apply` and `terrace destroy`.

use super::live::Live;
use super::plan::{PlanFlags, compute, read};
use super::progress::Progress;
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
    let mut loaded = Loaded::load(g)?;
    loaded.ui.json = stream.is_some();
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
    if planfile.is_none() && !auto_approve && !std::io::stdin().is_terminal() {
        return Err(Failure::Message(format!(
            "refusing to {verb} without confirmation: standard input is not a terminal. Pass --auto-approve to {verb} anyway."
        )));
    }
    let lock = session::lock(&store, command, flags.lock_timeout)?;
    let state = session::recover_and_load(&loaded, &store, &lock)?;
    let plan = match planfile {
        Some(path) => {
            let plan = read(path)?;
            crate::plan::check_fresh(&plan, env, &loaded.project.definitions_hash, &state).map_err(|e| {
                Failure::Message(match e {
                    crate::plan::Stale::Environment { plan: planned, .. } => format!(
                        "the saved plan {} is for environment \"{planned}\", not \"{env}\". Apply it with:\n  terrace apply --env {planned} {}",
                        path.display(),
                        path.display()
                    ),
                    e => format!(
                        "the saved plan {} is stale: {e}.\nterrace applies a saved plan only to the state and definitions it was made from. Make a new plan with:\n  terrace plan --env {env} --out {}",
                        path.display(),
                        path.display()
                    ),
                })
            })?;
            plan
        }
        None => {
            let plan = interruptible(
                compute(&loaded, &graph, env, &state, flags, destroy),
                cancel,
            )
            .await?;
            match stream {
                Some(stream) => stream.plan(&plan),
                None => out!("{}", crate::render::plan(&plan, loaded.ui.pal)),
            }
            if !plan.has_changes() {
                return Ok(());
            }
            if !auto_approve {
                interruptible(confirm(env, destroy), cancel).await?;
            }
            plan
        }
    };
    if let (Some(stream), Some(_)) = (stream, planfile) {
        stream.plan(&plan);
    }
    if !plan.has_changes() {
        if stream.is_none() {
            outln!("No changes to apply.");
        }
        return Ok(());
    }
    let values = EnvValues::new(&graph, environment)
        .map_err(|d| {
            loaded.report(d);
            Failure::Reported
        })?
        .for_apply();
    if cancel.is_cancelled() {
        return Err(Failure::Message("interrupted; nothing was changed".into()));
    }
    let plain = Progress::new(env, loaded.ui.pal);
    let live = (stream.is_none() && std::io::stdout().is_terminal())
        .then(|| Live::new(env, &plan, loaded.ui.pal));
    let observer: &dyn Observer = match (stream, &live) {
        (Some(stream), _) => stream,
        (None, Some(live)) => live,
        (None, None) => &plain,
    };
    let opts = ApplyOptions {
        parallelism: flags.parallelism as usize,
        authorization: loaded.authorization(environment)?,
    };
    let result = crate::apply::apply(
        &graph,
        values,
        &plan,
        state,
        &store,
        &lock,
        &loaded.registry,
        &opts,
        observer,
        cancel,
    )
    .await;
    drop(lock);
    // Clear the live display before anything else is printed.
    drop(live);
    let (outcome, state) = result.map_err(|e| {
        Failure::Message(format!(
            "{e}\nThe journal in {} keeps every completed operation; the next terrace command in this environment recovers it.",
            store.dir().display()
        ))
    })?;
    if let Some(stream) = stream {
        stream.outcome(&outcome, destroy, &loaded.project.sources);
        return if outcome.succeeded() {
            Ok(())
        } else {
            Err(Failure::Reported)
        };
    }
    finish(&loaded, &plan, &outcome, &state, destroy)
}

/// Asks for `yes` on the terminal.
async fn confirm(env: &str, destroy: bool) -> Result {
    let what = if destroy {
        "destroy all resources in"
    } else {
        "perform these actions in"
    };
    out!(
        "\nDo you want to {what} environment \"{env}\"?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: "
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
        Err(Failure::Message(format!(
            "{} cancelled.",
            if destroy { "Destroy" } else { "Apply" }
        )))
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
        format!(
            "{} added, {} changed, {} destroyed",
            outcome.created + outcome.replaced,
            outcome.updated,
            outcome.deleted + outcome.replaced
        )
    };
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
    if !destroy && !plan.outputs.is_empty() {
        let text = crate::render::outputs(state, None, pal);
        if !text.is_empty() {
            outln!("\nOutputs:\n\n{text}");
        }
    }
    Ok(())
}
