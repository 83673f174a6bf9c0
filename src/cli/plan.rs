//! `terrace plan`: what applying would change.

use super::session::{self, Loaded, parse_duration};
use super::stream::JsonStream;
use super::view::{Format, ViewFlags};
use super::{Failure, Global, Result};
use crate::eval::{EnvValues, Missing, ProjectGraph};
use crate::plan::{Plan, PlanOptions};
use crate::state::EnvState;
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The environment to plan
    #[arg(long, value_name = "ENV")]
    pub env: String,
    /// Save the plan to FILE, for `terrace apply FILE`
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit 0 when there are no changes, 2 when there are, 1 on error
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Plan to destroy everything in the environment
    #[arg(long)]
    pub destroy: bool,
    #[command(flatten)]
    pub view: ViewFlags,
    /// Stream machine-readable events instead: one JSON object per line
    #[arg(long, conflicts_with_all = ["format", "parts_dir"])]
    pub json: bool,
    #[command(flatten)]
    pub common: PlanFlags,
}

/// Flags shared by plan, apply and destroy.
#[derive(Debug, Args, Clone)]
pub struct PlanFlags {
    /// Read every managed object back before planning (--refresh=false skips it)
    #[arg(
        long,
        default_value_t = true,
        num_args = 0..=1,
        default_missing_value = "true",
        require_equals = true,
        action = clap::ArgAction::Set,
        value_name = "BOOL"
    )]
    pub refresh: bool,
    /// How long to wait for the environment's lock (e.g. 30s, 5m)
    #[arg(long, default_value = "0s", value_parser = parse_duration, value_name = "DURATION")]
    pub lock_timeout: Duration,
    /// Provider operations to run at once
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000), value_name = "N")]
    pub parallelism: u32,
    #[command(flatten)]
    pub vars: super::vars::VarFlags,
    /// Plan only this resource and what it depends on: CONFIG, CONFIG/TYPE.NAME or CONFIG/TYPE.NAME[KEY] (repeatable; not for routine use)
    #[arg(long, value_name = "ADDR", value_parser = parse_target)]
    pub target: Vec<crate::plan::Target>,
    /// Replace this object even if nothing forces it: CONFIG/TYPE.NAME[KEY] (repeatable)
    #[arg(long, value_name = "ADDR", value_parser = parse_replace)]
    pub replace: Vec<crate::address::InstanceAddr>,
}

fn parse_target(s: &str) -> std::result::Result<crate::plan::Target, String> {
    crate::plan::Target::parse(s)
}

fn parse_replace(s: &str) -> std::result::Result<crate::address::InstanceAddr, String> {
    match crate::address::InstanceAddr::parse(s)? {
        (None, addr) => Ok(addr),
        (Some(_), _) => Err(format!(
            "\"{s}\": the address is inside the environment given by --env; write CONFIG/TYPE.NAME"
        )),
    }
}

/// Terraform's warning for `-target`, word for word where it fits.
pub const TARGET_WARNING: &str = "Resource targeting is in effect\n\n\
You are creating a plan with --target, which means that the result of this plan may not represent all of the changes requested by the current definitions.\n\n\
The --target option is not for routine use, and is provided only for exceptional situations such as recovering from errors or mistakes, or when terrace specifically suggests to use it as part of an error message.";

pub async fn run(g: &Global, a: PlanArgs) -> Result {
    a.view.check()?;
    if a.json {
        let stream = JsonStream::new(&a.env);
        stream.version();
        return stream.result(plan(g, &a, Some(&stream)).await);
    }
    plan(g, &a, None).await
}

async fn plan(g: &Global, a: &PlanArgs, stream: Option<&JsonStream>) -> Result {
    let mut loaded = Loaded::load(g)?;
    loaded.ui.json = stream.is_some();
    let result = match super::vars::resolve(&mut loaded, &a.common.vars, Missing::Error) {
        Ok(()) => plan_env(&loaded, a, stream).await,
        Err(e) => Err(e),
    };
    loaded.audit(
        "project.config.validate",
        Some(&a.env),
        serde_json::Value::Null,
        result,
    )
}

async fn plan_env(loaded: &Loaded, a: &PlanArgs, stream: Option<&JsonStream>) -> Result {
    let graph = loaded.graph()?;
    let env = loaded.environment(&a.env)?;
    let store = loaded.store(&env.name);
    let lock = session::lock(&store, "terrace plan", a.common.lock_timeout)?;
    let state = session::recover_and_load(loaded, &store, &lock)?;
    let plan = compute(loaded, &graph, &a.env, &state, &a.common, a.destroy).await?;
    match stream {
        Some(stream) => stream.plan(&plan),
        None => super::view::show(&plan, &a.view, loaded.ui.pal)?,
    }
    let hash = match &a.out {
        Some(path) => {
            let hash = save(&plan, path)?;
            let saved = match &env.promote_from {
                // The plan shows what the working tree would change; the
                // environment takes only promotions.
                Some((from, _)) if !a.destroy => format!(
                    "Saved the plan to {}. Environment {} receives releases only by promotion from {from}, so apply a promotion instead:\n  terrace promote --from {from} --to {} --out {}.plan",
                    path.display(),
                    a.env,
                    a.env,
                    a.env
                ),
                _ => format!(
                    "Saved the plan to {}. Apply exactly this plan with:\n  terrace apply --env {} {}{}",
                    path.display(),
                    a.env,
                    path.display(),
                    if env.require_approval {
                        format!(
                            "\nafter approving it (environment {} requires it):\n  terrace approve --env {} {} --comment \"…\"",
                            a.env,
                            a.env,
                            path.display()
                        )
                    } else {
                        String::new()
                    }
                ),
            };
            // Only the text view has room for this on standard output.
            if stream.is_none() && a.view.format == Format::Text {
                outln!("\n{saved}");
            } else {
                errln!("{saved}");
            }
            Some(hash)
        }
        None => None,
    };
    // Environments that receive promotions validate what is promoted; a
    // targeted plan validates only part of the definitions.
    if env.promote_from.is_none() && !a.destroy && plan.targets.is_empty() {
        super::records::validated(loaded, env, hash.as_deref())?;
    }
    drop(lock);
    if a.detailed_exitcode && plan.has_changes() {
        return Err(Failure::Changes);
    }
    Ok(())
}

/// Plans `env` against `state`, reporting diagnostics.
pub async fn compute(
    loaded: &Loaded,
    graph: &ProjectGraph<'_>,
    env: &str,
    state: &EnvState,
    flags: &PlanFlags,
    destroy: bool,
) -> Result<Plan> {
    let environment = loaded.environment(env)?;
    let values =
        EnvValues::new(graph, environment, &loaded.vars, jiff::Timestamp::now()).map_err(|d| {
            loaded.report(d);
            Failure::Reported
        })?;
    crate::plan::check_targets(&flags.target, graph, &|r| {
        state.configs.get(&r.config).is_some_and(|c| {
            c.resources
                .contains_key(&(r.mode, r.type_name.clone(), r.name.clone()))
        })
    })
    .map_err(Failure::Message)?;
    for r in &flags.replace {
        if state.instance(r).is_none() {
            warn(
                loaded,
                &format!(
                    "--replace {r}: there is no such object in environment \"{env}\", so there is nothing to replace"
                ),
            );
        }
    }
    let opts = PlanOptions {
        refresh: flags.refresh,
        destroy,
        parallelism: flags.parallelism as usize,
        authorization: loaded.authorization(environment)?,
        defer_data: false,
        replace: flags.replace.clone(),
    };
    match crate::plan::plan(graph, values, state, loaded.registry(), &opts).await {
        Ok((mut plan, warnings)) => {
            session::check(loaded, warnings)?;
            if !flags.target.is_empty() {
                crate::plan::narrow(&mut plan, graph, &flags.target);
                warn(loaded, TARGET_WARNING);
            }
            plan.variables = loaded
                .vars
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            Ok(plan)
        }
        Err(diags) => {
            loaded.report(diags);
            Err(Failure::Reported)
        }
    }
}

/// Writes a plan file atomically; returns the file's sha256, which
/// approvals bind to.
pub fn save(plan: &Plan, path: &std::path::Path) -> Result<String> {
    let full = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let bytes = plan.to_bytes();
    crate::state::write_atomic(&full, &bytes).map_err(|e| {
        Failure::Message(format!("cannot write the plan to {}: {e}", path.display()))
    })?;
    Ok(crate::project::sha256_hex(&bytes))
}

/// Reads a saved plan.
pub fn read(path: &std::path::Path) -> Result<Plan> {
    read_hashed(path).map(|(plan, _)| plan)
}

/// Reads a saved plan and the sha256 of its file, which approvals bind to.
pub fn read_hashed(path: &std::path::Path) -> Result<(Plan, String)> {
    let bytes = crate::bounded::read_record(path)
        .map_err(|e| Failure::Message(format!("cannot read the plan {}: {e}", path.display())))?;
    let plan = Plan::from_bytes(&bytes)
        .map_err(|e| Failure::Message(format!("cannot use the plan {}: {e}", path.display())))?;
    Ok((plan, crate::digest::sha256_hex(&bytes)))
}

/// A warning on standard error (a JSON stream carries only events).
pub fn warn(loaded: &Loaded, text: &str) {
    if loaded.ui.json {
        return;
    }
    errln!("{} {text}\n", loaded.ui.pal_err.yellow("Warning:"));
}
